/*
 * journal: load/journal.jsonl, apply's append-only record of every write it
 * sends to Humaans, and the queries over it that plan and apply share.
 *
 * One compact JSON object a line (sorted keys), appended and fsynced: a
 * "begin" line before each write, an "end" line after it (outcome ok | failed
 * | uncertain, HTTP status, ids, error message, raw error body), a "lookup"
 * line when an uncertain write was looked up (outcome found | absent), and a
 * "forget" line when delete-new-hire removed a hire. Every line carries time,
 * runId, planRunId, application and, for a plan step, step (its index in the
 * operation's steps). The file grows by a few lines per write (tens of
 * megabytes after a large backfill): it is read a line at a time, and an empty
 * or torn line (a kill mid-append) carries nothing.
 */
#ifndef JOURNAL_H
#define JOURNAL_H

#include <jansson.h>
#include <stdio.h>

#include "base/err.h"

struct ledger;
struct staging;

#define JOURNAL_FILE "load/journal.jsonl"

/* One line to write. Strings are borrowed; NULL ones are left out. */
struct journal_line {
	const char *app;
	long step; /* -1: none */
	const char *op, *method, *path, *phase, *outcome;
	long status; /* -1: none */
	json_t *ids; /* stolen by journal_write (set to NULL), may be NULL */
	const char *error, *body, *request_id;
};

/*
 * Append `l` to the journal of `s` with the time, `run_id` and `plan_run_id`
 * (the plan being applied; "" for a delete): one line, fsynced.
 */
int journal_write(struct staging *s, const char *run_id, const char *plan_run_id,
		  struct journal_line *l, struct err *e);

/* What to do with one parsed journal line (borrowed). A non-zero return stops. */
typedef int (*journal_line_fn)(void *ctx, const json_t *l, struct err *e);

/* Each line of a journal stream, parsed, a line at a time; empty or torn lines are skipped. */
int journal_each_line(FILE *f, journal_line_fn fn, void *ctx, struct err *e);

/* The same over load/journal.jsonl of `s`. Absent: no line. */
int journal_each(struct staging *s, journal_line_fn fn, void *ctx, struct err *e);

/*
 * The state of the steps of plan run `plan_run_id`, the last word on a step
 * winning, into objects the caller owns (each may be NULL but `pending`):
 *  - pending: "<app>#<step>" -> true, the steps whose outcome is unknown
 *    (begin without end, or an uncertain end not settled by a lookup);
 *  - done: "<app>#<step>" -> the id the step produced ("" for none), the
 *    steps that completed (a kill between the journal's end line and the
 *    ledger write loses nothing);
 *  - touched: application -> true, the applications with any line.
 * A "forget" line clears its application from all three. With `ledger`
 * (borrowed, may be NULL) what the ledger already says is left out, so the
 * maps hold only the hires an interrupted apply left unfinished: a hire
 * whose entry is of this plan is not touched, and its steps before stepsDone
 * are neither pending nor done.
 */
int journal_scan(struct staging *s, const char *plan_run_id, struct ledger *ledger, json_t *pending,
		 json_t *done, json_t *touched, struct err *e);

/*
 * The pending map above for a journal text (no ledger): which (application,
 * step) writes of plan run `plan_run_id` are unresolved. *out is a new object
 * whose keys are "<application>#<step>".
 */
int journal_pending_of_text(const char *text, size_t len, const char *plan_run_id, json_t **out,
			    struct err *e);

/*
 * The applications whose createPerson was sent and never settled, in any
 * plan run: the journal's last word on it is "begin" or an uncertain end
 * (not a successful end or lookup, not a refusal, not forgotten by
 * delete-new-hire). The person may exist in Humaans without being in the
 * ledger: plan adopts it instead of reporting a conflict. Absent journal:
 * none. *out is a new object, application -> true.
 */
int journal_uncertain_creates(struct staging *s, json_t **out, struct err *e);

#endif
