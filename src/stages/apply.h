/*
 * apply: carry out a committed plan in Humaans, journal every call, keep the
 * ledger; and delete-new-hire.
 *
 * Journal (load/journal.jsonl, append-only, one compact JSON object a line,
 * fsynced): a "begin" line before each write, an "end" line after it
 * (outcome ok | failed | uncertain, HTTP status, ids, error message, raw error
 * body), and a "lookup" line when an uncertain write was looked up. Every
 * line carries runId, planRunId, application and step (index in the
 * operation's steps).
 *
 * Ledger (load/ledger.json, ledger.h; each completed step is appended to the
 * pending lines, and ledger.json is rewritten once, when apply ends):
 *   { "<application id>": { "personId", "compensationIds", "fileIds",
 *     "documentIds", "customValueIds", "jobRoleIds", "planRunId",
 *     "stepsDone" } }
 * stepsDone counts the steps of the plan planRunId already done, so a re-run
 * of the same plan skips them; a step whose begin has no end (killed) or whose
 * outcome was uncertain is looked up in Humaans before it is sent again.
 */
#ifndef APPLY_H
#define APPLY_H

#include <jansson.h>
#include <stdbool.h>

#include "base/err.h"

struct run;
struct staging;

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
 * whose status is not newHire. Journals every call, removes the hire from the
 * ledger and commits (stage delete).
 */
int apply_delete_new_hire(struct run *r, const char *id, struct err *e);

/*
 * Whether `run` may skip planning (DESIGN.md): the latest plan was computed
 * from the current transform/new_hires.json and pipeline.json, and the latest
 * apply carried it out with no failure left to retry. Reads only the staging repo.
 */
int apply_plan_settled(struct run *r, bool *settled, struct err *e);

/*
 * Pure helper for tests: which (application, step) writes of plan run
 * `plan_run_id` are unresolved in a journal text (begin without end, or an
 * uncertain end not settled by a lookup). *out is a new object whose keys are
 * "<application>#<step>".
 */
int apply_pending_from_journal(const char *text, size_t len, const char *plan_run_id, json_t **out,
			       struct err *e);

/*
 * The applications whose createPerson was sent and never settled, in any
 * plan run: the journal's last word on it is "begin" or an uncertain end
 * (not a successful end or lookup, not forgotten by delete-new-hire). The
 * person may exist in Humaans without being in the ledger: plan adopts it
 * instead of reporting a conflict. load/journal.jsonl is read a line at a time
 * (absent: none). *out is a new object, application -> true.
 */
int apply_uncertain_creates(struct staging *s, json_t **out, struct err *e);

#endif
