/*
 * plan: the plan stage. Matches every transformed hire with what Humaans
 * holds (ledger first, then personalEmail ignoring case, across every status)
 * and writes the operations apply will carry out, with the basis they were
 * computed from, into plan/ (plan.json, plan.txt, changes.csv).
 *
 * The stage function reads the staged files and Humaans; the cores below are
 * pure (no file, no network) so the unit tests drive them with hand-written
 * JSON. plan.json's shape is in doc/ARCHITECTURE.md; each operation also
 * carries "changes" ([{field, before, after}], what plan.txt and changes.csv
 * show) and a conflict its "reason". Created hires that left Hired and hires
 * that left the creates are operations of their own (plan/plan-departures.h).
 */
#ifndef PLAN_H
#define PLAN_H

#include <jansson.h>
#include <stdbool.h>

#include "base/buf.h"
#include "base/err.h"
#include "stages/hstate.h"

struct run;

struct plan_opts {
	int color;  /* 1 colour, 0 none, -1 colour when stdout is a terminal */
	bool print; /* print plan.txt on stdout */
};

struct plan_summary {
	long creates, changes, conflicts, rejects, warnings;
	long field_conflicts; /* of the conflicts, the fields both sides changed */
	long left_hired; /* created hires no longer Hired, not acknowledged (plan/plan-departures.h) */
	bool read_humaans; /* false when there was nothing to plan */
	bool committed;
};

/*
 * The plan stage: reads transform/, load/ledger.json, pipeline.json and
 * Humaans, writes and commits plan/, prints plan.txt. Sets r->counts.planned,
 * conflicts and rejected. `out` may be NULL. The hires are read and planned
 * one at a time (records.h); what is held is the Humaans data read, the
 * ledger, the rejects, and per hire an (id, offset) entry and the basis keys.
 */
int plan_stage(struct run *r, const struct plan_opts *o, struct plan_summary *out, struct err *e);

/*
 * The pure planner. `hires` is transform/new_hires.json (array), `rejects` an
 * array of {id, candidate, reason, fields} (may be NULL), `ledger` the
 * load/ledger.json object (may be NULL), `today` "YYYY-MM-DD" (the earliest
 * effective date of a changed job role). *out (new reference) is
 * {"operations", "rejects", "basis": {"humaans": {key: sha}, "absentEmails"}}.
 */
int plan_compute(const json_t *hires, const json_t *rejects, const json_t *ledger,
		 const struct hstate *hs, const char *today, json_t **out, struct err *e);

/* The ids of the ledger-known people present in `people` (new array). */
json_t *plan_detail_ids(const json_t *hires, const json_t *ledger, const json_t *people);

/* What the hires need read besides people. */
struct plan_needs {
	bool locations, compensations, documents, custom_fields;
};
void plan_needs_of(const json_t *hires, struct plan_needs *out);

/*
 * The three-way rule for one field of a hire the tool created (README,
 * "Keeping Humaans and Ashby in sync"): A Ashby now, H Humaans now, B the
 * base (what this tool last wrote; NULL when it has no record of it, a JSON
 * null when it wrote nothing). Absent and null are the same value.
 *  - A equal to H: SYNC_SAME, nothing to do;
 *  - B unknown: SYNC_CONFLICT (a missing base is never "Ashby changed");
 *  - H equal to B: SYNC_ASHBY, Ashby changed: write A;
 *  - A equal to B: SYNC_KEEP, an edit in Humaans: keep it;
 *  - otherwise SYNC_CONFLICT: both changed.
 */
enum sync_cmp {
	SYNC_CMP_EXACT,	 /* JSON equality */
	SYNC_CMP_NOCASE, /* strings ignoring ASCII case (emails, ids) */
	SYNC_CMP_MONEY,	 /* amounts as decimals ("85000" equals "85000.00") */
	SYNC_CMP_SALARY	 /* {amount (money), currency (no case), period, effectiveDate} */
};
enum sync_outcome { SYNC_SAME, SYNC_ASHBY, SYNC_KEEP, SYNC_CONFLICT };

bool sync_equal(enum sync_cmp how, const json_t *a, const json_t *b);
enum sync_outcome sync_decide(enum sync_cmp how, const json_t *ashby, const json_t *humaans,
			      const json_t *base);

/* plan.txt (appended to out); `color` adds ANSI colours to the operation lines. */
void plan_render_text(const json_t *plan, bool color, struct buf *out);
/* changes.csv (appended to out): application_id, name, action, field, before, after. */
void plan_render_csv(const json_t *plan, struct buf *out);
/* Counts of a plan document. */
void plan_count(const json_t *plan, struct plan_summary *out);

#endif
