/*
 * plan-int.h: what the files of the plan stage share (src/stages/plan/ only).
 *
 *  plan-ops.c     small builders: changes, warnings, steps, displays, operations
 *  plan-match.c   matching a hire with Humaans (ledger, then email), the
 *                 resolve_* lookups and the basis they record, plan_compute
 *  plan-create.c  the operation of a new hire (plan_create)
 *  plan-change.c  the operation of a hire the tool created (plan_change)
 *  plan-keep.c    what plan keeps of Humaans records as their pages arrive
 *  plan-render.c  plan.txt and changes.csv from operations
 *  plan-out.c     writing plan/ an operation at a time, printing plan.txt
 *  plan-stage.c   plan_stage: reading the staged files and Humaans, the passes
 */
#ifndef PLAN_INT_H
#define PLAN_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/err.h"
#include "stages/hstate.h"
#include "stages/plan.h"
#include "store/records.h"
#include "store/snapshot.h"

struct ledger;
struct staging;

/*
 * Humaans contract assumptions the planner relies on (docs: api/humaans.md).
 * Kept here, in one block, so they are easy to find and change.
 *  - A new hire is created with POST /people, status "newHire", and a nested
 *    first job role {jobTitle, department, reportingTo, effectiveDate}.
 *  - PATCH /people/:id takes the person fields that changed, never jobRole.
 *    After the start date a job role change is a new POST /job-roles record;
 *    before it, a correction of the current role: PATCH /job-roles/:id
 *    (**assumption**: not in the contract), likewise PATCH /compensations/:id.
 *  - reportingTo is the manager's person id; the manager is the person whose
 *    work `email` equals the hiring manager's email, ignoring case.
 *  - The salary compensation type is the one whose baseType is "salary"
 *    (preferring one named "Salary" when there are several).
 *  - After the start date a compensation change is a new record; a custom value
 *    change is PATCH /custom-values/:id {value}.
 *  - Files are uploaded with POST /files (multipart), then referenced by a
 *    document's fileId.
 */
#define HUM_STATUS_NEW_HIRE "newHire"
#define HUM_SALARY_BASE_TYPE "salary"
#define HUM_SALARY_TYPE_NAME "Salary"
#define HUM_OFFER_CONTENT_TYPE "application/pdf"

#define NEW_HIRES "transform/new_hires.json"

struct planner {
	const struct hstate *hs;
	const json_t *ledger;
	/*
	 * Borrowed, may be NULL: where an entry marked "baseStored" (the stage's
	 * ledger view holds no bases) is read again whole when its hire is planned.
	 */
	struct ledger *lg;
	const char *today;
	json_t *by_id;	    /* person id -> person */
	json_t *by_email;   /* lower(personalEmail) -> person */
	json_t *by_work;    /* lower(email) -> person */
	json_t *humaans;    /* basis key -> sha */
	json_t *absent;	    /* planned-create emails, lower case */
	bool stop_at_start; /* pipeline sync.stopAtStartDate: no Ashby changes once started */
	struct err *e;
};

/* ---- plan-ops.c */

/* A lower-cased copy of s ("" for NULL). Caller frees. */
char *plan_lower_dup(const char *s);
bool plan_str_ieq(const char *a, const char *b);
/* Map the (optionally lower-cased) string `key` of each record to the record. New object. */
json_t *plan_index_by(const json_t *arr, const char *key, bool lower);
/* A display form of a value: strings as they are, absent/null as NULL, others compact JSON. Caller frees. */
char *plan_disp(const json_t *v);
/* Append {field, before, after} to `changes` (NULL shown as null). */
int plan_add_change(json_t *changes, const char *field, const char *before, const char *after);
int plan_add_change_v(json_t *changes, const char *field, const json_t *before,
		      const json_t *after);
void plan_add_warning(json_t *warnings, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The keys of an object in the order a reader expects (caller frees the array, not the keys). */
const char **plan_sorted_keys(const json_t *obj, size_t *n);
/* A step {op, method, path, body}; steals body (may be NULL). New object. */
json_t *plan_step_new(const char *op, const char *method, const char *path, json_t *body);
char *plan_salary_display(const json_t *c);
json_t *plan_compensation_body(const char *pid, const json_t *type, const json_t *salary);
/* Steps uploading one offer letter and filing it as a document; its change added to `changes` unless NULL. */
void plan_document_steps(json_t *steps, json_t *changes, const char *pid, const json_t *doc,
			 const json_t *dtype);
char *plan_manager_display(const json_t *m);
char *plan_location_display(const json_t *l);
/* A new operation {id, action, name, personalEmail, steps, changes, warnings}. */
json_t *plan_op_new(const json_t *hire, const char *action);
void plan_review_warning(const json_t *hire, json_t *warnings);

/* ---- plan-match.c */

/* Record a basis key for the record (or set) the plan relied on. */
int plan_note(struct planner *p, const char *prefix, const char *id);
/* The lookups: the record found (borrowed from p->hs), or NULL with a warning added. */
const json_t *plan_resolve_manager(struct planner *p, const json_t *hire, json_t *warnings,
				   const char *unresolved_what);
const json_t *plan_resolve_location(struct planner *p, const json_t *hire, json_t *warnings);
const json_t *plan_resolve_salary_type(struct planner *p, json_t *warnings);
/* The salary compensation type of `types` (borrowed), or NULL; no basis noted. */
const json_t *plan_salary_type(const json_t *types);
const json_t *plan_resolve_doc_type(struct planner *p, const json_t *doc, json_t *warnings);
const json_t *plan_resolve_custom_field(struct planner *p, const json_t *cv, json_t *warnings);
/*
 * Plan one hire: *out is its operation (new reference), or NULL when Humaans
 * already holds it as it is.
 */
int plan_hire(struct planner *p, const json_t *hire, json_t **out);
/* `ledger` and `hs` are borrowed and must outlive the planner; release with planner_release(). */
void planner_init(struct planner *p, const json_t *ledger, const struct hstate *hs,
		  const char *today, struct err *e);
void planner_release(struct planner *p);
/* The basis the planner gathered: {"humaans", "absentEmails"} (new object). */
json_t *planner_basis(const struct planner *p);
/* Add what one hire needs read to `out`. */
void plan_needs_add(const json_t *h, struct plan_needs *out);

/* ---- plan-create.c, plan-change.c */

int plan_create(struct planner *p, const json_t *hire, json_t *op);
int plan_change(struct planner *p, const json_t *hire, const json_t *cur, const json_t *entry,
		json_t *op);
/* The current role of person `pid` among `roles` (borrowed), or NULL. */
const json_t *plan_current_role(const json_t *roles, const char *pid);

/* ---- plan-keep.c */

/*
 * What plan keeps of the Humaans records it streams (hstate_keep): the
 * person fields the hires' person sections name (plus those matching and the
 * displays read), the job role fields their jobRole sections name.
 */
struct plan_keep {
	json_t *person_keys, *role_keys; /* name -> true */
	const struct hstate *hs;	 /* borrowed: the salary type, for compensations */
};

void plan_keep_init(struct plan_keep *k);
/* Add the fields one hire compares. */
void plan_keep_hire(struct plan_keep *k, const json_t *hire);
/* Fill `out` with hooks over `k` (which must outlive the reads); `hs` is the state being read. */
void plan_keep_hooks(struct plan_keep *k, const struct hstate *hs, struct hstate_keep *out);
void plan_keep_release(struct plan_keep *k);

/* ---- plan-sync.c (the three-way rule itself is sync_decide, plan.h) */

/*
 * The base of field `key` in section `sec` ("person", "jobRole",
 * "customValues"; NULL: the base itself, for "salary" and "letter") of a
 * ledger entry (borrowed): NULL when this tool has no record of it, a JSON
 * null when it wrote nothing there.
 */
const json_t *plan_base_of(const json_t *entry, const char *sec, const char *key);
/* Add {field, base, ashby, humaans} to op's "fieldConflicts" (display strings; NULL: none). */
void plan_field_conflict(json_t *op, const char *field, const char *base, bool base_known,
			 const char *ashby, const char *humaans);
void plan_field_conflict_v(json_t *op, const char *field, const json_t *base, const json_t *ashby,
			   const json_t *humaans);
/* A change {field, before, after, base} of a three-way field. */
void plan_add_change_b(json_t *changes, const char *field, const char *before, const char *after,
		       const char *base);
void plan_add_change_bv(json_t *changes, const char *field, const json_t *before,
			const json_t *after, const json_t *base);

/* ---- plan-base.c */

/*
 * Give each entry of the plan's ledger view (changed in place) that has a
 * person but no "base" the base its last applied plan sent ("baseDerived":
 * true); entries whose plan is not found keep none.
 */
int plan_derive_bases(struct staging *s, json_t *ledger, struct err *e);
/* pipeline.json's sync.stopAtStartDate. */
int plan_read_sync(struct staging *s, bool *stop_at_start, struct err *e);

/* ---- plan-render.c */

void plan_count_op(const json_t *op, struct plan_summary *c);
const char *plan_plural(long n, const char *one, const char *many);
/* The lines of plan.txt for one operation (appended to out). */
void plan_render_op_text(const json_t *op, bool color, struct buf *out);
/* What plan.txt says after the operations: the set-aside hires and the counts. */
void plan_render_tail_text(const struct plan_summary *c, const json_t *rejects, struct buf *out);
void plan_csv_header(struct csv_writer *w);
/* The rows of changes.csv for one operation. */
void plan_csv_op(struct csv_writer *w, const json_t *op);
void plan_csv_rejects(struct csv_writer *w, const json_t *rejects);

/* ---- plan-out.c */

/* The outputs of plan/, written an operation at a time. */
struct plan_out {
	struct rec_writer *json, *txt, *csv;
	struct csv_writer cw; /* the rows of one operation, then flushed */
	struct buf line;      /* the text of one operation, then flushed */
};

/* Zero `po` so plan_out_release may run on it. */
void plan_out_init(struct plan_out *po);
int plan_out_begin(struct staging *s, struct plan_out *po, const json_t *basis, struct err *e);
int plan_out_op(struct plan_out *po, const json_t *op, struct err *e);
/* The rejects, plan.txt's closing lines; then every file is put in place. */
int plan_out_finish(struct plan_out *po, const struct plan_summary *sum, const json_t *rejects,
		    struct err *e);
void plan_out_release(struct plan_out *po);
/* plan.txt on stdout: copied as written, or rendered again from plan.json in colour. */
int plan_print(struct staging *s, bool color, const struct plan_summary *sum, const json_t *rejects,
	       struct err *e);

#endif
