/*
 * apply: carry out a committed plan in Humaans, journal every call, keep the
 * ledger; and delete-new-hire.
 *
 * Journal (load/journal.jsonl, store/journal.h): a "begin" line before each
 * write, an "end" line after it, a "lookup" line when an uncertain write was
 * looked up, a "forget" line when delete-new-hire removed a hire.
 *
 * Ledger (load/ledger.json, ledger.h; each completed step is appended to the
 * pending lines, and ledger.json is rewritten once, when apply ends):
 *   { "<application id>": { "personId", "compensationIds", "fileIds",
 *     "documentIds", "customValueIds", "jobRoleIds", "planRunId",
 *     "stepsDone" } }
 * stepsDone counts the steps of the plan planRunId already done, so a re-run
 * of the same plan skips them; a step whose begin has no end (killed) or whose
 * outcome was uncertain is looked up in Humaans before it is sent again.
 *
 * The code is in src/stages/apply/ (apply-int.h says which file does what).
 */
#ifndef APPLY_H
#define APPLY_H

#include <stdbool.h>

#include "base/err.h"

struct run;

struct apply_opts {
	const char *plan_rev; /* --plan REV; NULL: the latest commit with Stage plan */
	bool basis_fresh;     /* the plan was made by this invocation (run): its Humaans reads
				 are the basis, so they are not read again (people once per run) */
};

/*
 * The apply stage. Refuses (ERR_STALE, nothing written) when the Humaans
 * records the plan relied on changed. Sets r->plan_run_id and the counts
 * (created, changed, failed, conflicts, rejected from transform/rejects.csv).
 * A hire Humaans rejects is counted in failed and the others go on; a write
 * whose outcome stays unknown makes the stage fail (re-run apply to finish).
 * Memory does not grow with the plan: its operations are streamed from
 * plan/plan.json and only the hires under way (a few per --jobs) are held.
 */
int apply_stage(struct run *r, const struct apply_opts *o, struct err *e);

/*
 * Delete a new hire this tool created: `id` is an Ashby application id or a
 * Humaans person id found in the ledger. Refuses anyone not in the ledger or
 * whose status is not newHire. Deletes what the tool uploaded and created for
 * the hire (documents, then files, compensations, custom values), then the
 * person; journals every call (404: already gone, not an error), removes the
 * hire from the ledger and commits (stage delete).
 */
int apply_delete_new_hire(struct run *r, const char *id, struct err *e);

/*
 * Whether `run` may skip planning (DESIGN.md): the latest plan was computed
 * from the current transform/new_hires.json, pipeline.json and overrides.csv
 * (whose acknowledgement rows change no transformed hire), the latest apply
 * carried it out with no failure left to retry, and that plan flagged no
 * created hire as left Hired (its Left-Hired trailer: those are reported every
 * night until deleted or acknowledged). Reads only the staging repo.
 */
int apply_plan_settled(struct run *r, bool *settled, struct err *e);

#endif
