/*
 * ledger-base: the "base" member of a ledger entry, what this tool last wrote
 * to Humaans for one hire (doc/ARCHITECTURE.md, DRIFT design section 1):
 *
 *   "base": {"person": {...}, "jobRole": {...}, "salary": {amount, currency,
 *            period, effectiveDate}, "customValues": {"<customFieldId>": v},
 *            "letter": "<sha256 of the offer letter filed last>"}
 *
 * One function folds a completed plan step into it. apply calls it as each
 * step completes; plan calls it over the steps of the last applied plan to
 * derive the base of a ledger entry written before bases were kept. Pure: no
 * file, no network.
 */
#ifndef LEDGER_BASE_H
#define LEDGER_BASE_H

#include <jansson.h>
#include <stddef.h>

/*
 * Fold step `i` of `steps` (a plan operation's steps, borrowed) into `base`
 * (an object, changed in place):
 *  - createPerson: its body without status and jobRole becomes base.person,
 *    its nested jobRole (without effectiveDate) base.jobRole;
 *  - updatePerson: its body is merged into base.person;
 *  - createJobRole: its body (without personId, effectiveDate) becomes
 *    base.jobRole; updateJobRole is merged into it;
 *  - createCompensation / updateCompensation: amount, currency, period and
 *    effectiveDate become base.salary;
 *  - createCustomValue, updateCustomValue (the step's "customFieldId"):
 *    base.customValues[customFieldId] = value;
 *  - createDocument after an uploadFile: the upload's sha256 becomes base.letter.
 * Other steps change nothing.
 */
void ledger_base_step(json_t *base, const json_t *steps, size_t i);

/* The base of a whole operation's steps (new object); {} when none says anything. */
json_t *ledger_base_of_steps(const json_t *steps);

#endif
