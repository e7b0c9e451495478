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
 * show) and a conflict its "reason".
 */
#ifndef PLAN_H
#define PLAN_H

#include <jansson.h>
#include <stdbool.h>

#include "base/buf.h"
#include "base/err.h"

struct run;
struct http_client;

struct plan_opts {
	int color;  /* 1 colour, 0 none, -1 colour when stdout is a terminal */
	bool print; /* print plan.txt on stdout */
};

struct plan_summary {
	long creates, changes, conflicts, rejects, warnings;
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
 * The Humaans state a plan depends on: arrays of records as Humaans returned
 * them. All borrowed; NULL means "not read" (nothing needed it).
 * compensations, job_roles and custom_values hold the records of the
 * ledger-known people only.
 */
struct hstate {
	json_t *people, *locations, *compensation_types, *document_types, *custom_fields;
	json_t *compensations, *job_roles, *custom_values;
	/*
	 * A lookup cache built from the arrays on first use (hstate_fingerprint):
	 * "<resource>/<id>" -> record, "<resource>?personId=<id>" -> array of the
	 * person's records, so a plan over 10,000 people does not scan whole
	 * arrays per key. Rebuilt when the arrays grew; freed by hstate_release().
	 */
	json_t *index;
	size_t indexed; /* records in the arrays when `index` was built */
};

/*
 * The fingerprint of one basis key: "<resource>/<id>" (one record) or
 * "<resource>?personId=<id>" (the set of a person's sub-records, sorted by
 * id). 64 hex digits of the SHA-256 of the canonical JSON. ERR_NOTFOUND when
 * the record is absent (an empty set is not absent).
 */
int hstate_fingerprint(const struct hstate *hs, const char *key, char out[65], struct err *e);

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

/* plan.txt (appended to out); `color` adds ANSI colours to the operation lines. */
void plan_render_text(const json_t *plan, bool color, struct buf *out);
/* changes.csv (appended to out): application_id, name, action, field, before, after. */
void plan_render_csv(const json_t *plan, struct buf *out);
/* Counts of a plan document. */
void plan_count(const json_t *plan, struct plan_summary *out);

/* Money amounts compared as decimals ("85000" equals "85000.00"); strings or integers. */
bool plan_money_equal(const json_t *a, const json_t *b);

/*
 * Reading Humaans (shared with apply). `what` is a resource path
 * ("/people"), `query` extra query text or NULL. Pages with $limit/$skip
 * until done; *out is a new array.
 */
int plan_hum_list(struct http_client *c, const char *what, const char *query, json_t **out,
		  struct err *e);
/* The same, with personId[$in][]= for `ids` (array of strings), in chunks. */
int plan_hum_list_in(struct http_client *c, const char *what, const json_t *ids, json_t **out,
		     struct err *e);
/* Read the state a set of basis keys (and people) needs into `hs` (owned arrays: free with hstate_release). */
int plan_hum_read_basis(struct http_client *c, const json_t *humaans_keys, struct hstate *hs,
			struct err *e);
void hstate_release(struct hstate *hs);

struct staging;
/* transform/rejects.csv as [{id, candidate, fields, reason}] (new array; empty when absent). */
int plan_read_rejects(struct staging *s, json_t **out, struct err *e);
/*
 * load/ledger.json (new object; empty when absent), with the entries of an
 * unfinished apply folded in from LEDGER_PENDING_FILE (apply appends one line
 * per completed step there and rewrites ledger.json once, when it ends:
 * rewriting the whole ledger after every step was quadratic in the hires).
 */
int plan_read_ledger(struct staging *s, json_t **out, struct err *e);

#endif
