/*
 * apply-int.h: what the files of the apply stage share (private: only files
 * of src/stages/apply/ include it; the stage's interface is stages/apply.h).
 *
 *   apply-stage.c    apply_stage: open the plan, the ledger and the journal,
 *                    count the work, run the window of hires, commit load/
 *   apply-steps.c    one hire under way: sending a step, looking up an
 *                    uncertain one, recording a completed one; the window feed
 *   apply-basis.c    the stale check: the Humaans records the plan relied on,
 *                    read again and compared
 *   apply-delete.c   delete-new-hire
 *   apply-settled.c  finding and opening the plan commit; whether run may
 *                    skip planning
 *
 * Humaans contract assumptions apply relies on (api/humaans.md):
 *  - There are no idempotency keys: a create whose outcome is unknown is
 *    looked up before it is sent again: a person by personalEmail (the filter
 *    matches exactly; we compare ignoring case), a compensation, document,
 *    custom value or job role by personId=, matched on the fields we sent
 *    and not already in the ledger.
 *  - PATCH /job-roles/:id and PATCH /compensations/:id (**assumption**, not
 *    in the contract) correct a record in place; plan sends them for a hire
 *    whose employmentStartDate is still ahead.
 *  - PATCH is idempotent and is simply sent again; an uploaded file that no
 *    document references is harmless, so an uncertain upload is sent again.
 *  - 4xx other than 401/403/408/429 means the server refused the write
 *    (nothing was created); 401/403 stop the run; anything else may or may
 *    not have reached Humaans.
 *  - DELETE /people/:id removes the person and their job roles; documents,
 *    files, compensations and custom values the tool created are deleted
 *    first with DELETE /<resource>/:id (404 = already gone), documents before
 *    the files they reference.
 *  - DELETE /documents/:id and DELETE /files/:id exist (not in the contract:
 *    an assumption, named with the other routes in apis/humaans.c). Deleting
 *    a person is assumed not to delete the files uploaded for them (a file
 *    names no person), so delete-new-hire removes them itself.
 */
#ifndef APPLY_INT_H
#define APPLY_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/err.h"
#include "stages/apply.h"

struct http_client;
struct humaans_batch;
struct ledger;
struct rec_reader;
struct run;
struct staging;
struct trailer;

#define PLAN_FILE "plan/plan.json"

struct applier;

/* One hire under way; freed by job_end() (apply-steps.c), after which nothing may touch it. */
struct hire_job {
	struct applier *ax;
	size_t slot; /* index in ax->slots */
	json_t *op;  /* owned: the operation, read from the plan */
	json_t *en;  /* owned: the hire's ledger entry (NULL until it has one) */
	const char *app, *name, *email, *action; /* borrowed from op */
	const json_t *steps;			 /* borrowed from op */
	size_t next;				 /* the step in progress */
	int sends;				 /* sends of the current step in this run */
	bool did_work, failed;
	char *person_id; /* $personId, once known */
	char *file_id;	 /* $fileId, the last file uploaded */
};

/* One apply of one plan. */
struct applier {
	struct run *r;
	struct humaans_batch *hb;
	struct ledger *ledger;	 /* owned */
	struct rec_reader *ops;	 /* owned: the plan's operations */
	json_t *pending;	 /* owned: "<app>#<step>" -> true */
	json_t *done;		 /* owned: "<app>#<step>" -> id, completed per the journal */
	const char *prid;	 /* the plan's Run-Id (r->plan_run_id) */
	struct hire_job **slots; /* owned: the hires under way (NULL: a free slot) */
	size_t window, active;	 /* slots, and how many are taken */
	bool feeding;		 /* apply_feed() is on the stack */
	size_t njobs, ndone;
	long created, changed, failed, uncertain, writes;
};

/* ---- apply-steps.c ---- */

/*
 * Start the plan's next hires (read from ax->ops) while slots are free. A
 * hire that ends calls back in here; a nested call returns at once and the
 * outer loop fills the slot, so the stack stays shallow.
 */
int apply_feed(struct applier *ax, struct err *e);
/* Free a hire a stopped batch left under way. */
void apply_job_free(struct hire_job *j);
/* Whether an operation is a hire to write; its id when so (borrowed), else NULL. */
const char *apply_op_work(const json_t *op);
/* Whether a ledger entry (may be NULL) is of plan `prid`. */
bool apply_entry_of_plan(const json_t *en, const char *prid);
/* {key: id}, or {} when id is NULL (new reference). */
json_t *apply_ids_of(const char *key, const char *id);

/* ---- apply-basis.c ---- */

/*
 * Re-read what the plan relied on (`basis`: plan.json's basis member) and
 * compare: ERR_STALE naming the record and hire when it changed. Hires this
 * plan already touched (`touched`, from the journal, or a ledger entry of
 * this plan) are exempt: their records changed because of this very plan.
 */
int apply_check_basis(struct applier *ax, struct http_client *hc, const json_t *basis,
		      const json_t *touched, struct err *e);

/* ---- apply-stage.c ---- */

/* Commit load/ with Stage `stage`; sets r->committed when a commit was made. */
int apply_commit_load(struct run *r, const char *stage, const char *subject,
		      const struct trailer *tr, size_t ntr, struct err *e);

/* ---- apply-settled.c ---- */

/* The commit of the plan to apply (--plan REV, else the latest plan commit); sets r->plan_run_id. */
int apply_plan_commit(struct run *r, const struct apply_opts *o, char oid[41], struct err *e);

/*
 * The plan of commit `oid`: *basis (new reference; an empty object when
 * absent) and, when `ops` is not NULL, a reader of its operations (caller
 * closes). The plan is read from the work tree a record at a time when
 * plan/plan.json there is the committed one (the usual case: plan, then
 * apply); otherwise (--plan of an older plan) the committed bytes are read
 * into `text`, which must outlive the reader. `rev` names the commit in messages.
 */
int apply_plan_open(struct staging *s, const char *oid, const char *rev, struct buf *text,
		    json_t **basis, struct rec_reader **ops, struct err *e);

#endif
