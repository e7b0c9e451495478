/*
 * transform: map extract/ through pipeline.json (and overrides.csv) into
 * transform/new_hires.json, new_hires.csv and rejects.csv.
 *
 * The stage is pure: no network, no clock, no environment. The same extract,
 * pipeline and overrides give byte-identical outputs. The record format is in
 * doc/ARCHITECTURE.md ("transform/"); this module adds, beside it:
 *   - "warnings": [ "..." ] on a record when something optional was left out
 *     (e.g. an optional custom value that could not be converted);
 *   - "type" on each customValues entry (the pipeline's declared type).
 *
 * Money: Ashby's salary is a JSON number. jansson keeps integers as json_int_t
 * (so 85000 stays exact) and every other number as a double; a double is
 * written in the shortest form that reads back as the same double, in plain
 * decimal notation with trailing zeros stripped (85000.5 -> "85000.5",
 * 1e6 -> "1000000", 0.1 -> "0.1"). The extract must therefore be parsed
 * without JSON_DECODE_INT_AS_REAL, which would turn integers above 2^53 into
 * rounded doubles. Amounts are never computed with, only formatted.
 */
#ifndef TRANSFORM_H
#define TRANSFORM_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/err.h"
#include "store/pipeline.h"

struct run;
struct staging;

/* ---- overrides.csv ---- */

/*
 * Reviewer corrections: rows "application_id,field,value" under a required
 * header row. Fields: firstName, middleName, lastName, personalEmail,
 * personalPhoneNumber, employmentStartDate, jobTitle, department, reportingTo
 * (the manager's email), location (a location name), salaryAmount,
 * salaryCurrency. An empty value clears an optional field. Values are checked
 * when parsed (email, date, amount, currency syntax); an unknown field, a bad
 * value or the same application and field twice is ERR_INVALID naming `what`
 * and the line.
 *
 * The row "<application id>,acknowledge,left-hired" is not an override: it
 * acknowledges that a created hire left Hired (plan reads it through
 * overrides_acknowledged()); transform accepts and ignores it, and it is not
 * counted or described below. Another acknowledge value is ERR_INVALID.
 */
#define OVERRIDE_ACKNOWLEDGE "acknowledge"
#define OVERRIDE_ACK_LEFT_HIRED "left-hired"
struct overrides;

int overrides_parse(struct overrides **out, const char *data, size_t len, const char *what,
		    struct err *e);
void overrides_free(struct overrides *ov);
size_t overrides_count(const struct overrides *ov);
/* Whether a row "<app_id>,acknowledge,<what>" was given (`ov` may be NULL). */
bool overrides_acknowledged(const struct overrides *ov, const char *app_id, const char *what);
/*
 * Append one line per override ("  <application id> <field>: <value>") to
 * `out`, marking those whose application is not among `applications` (an
 * array of Ashby applications, may be NULL). Returns how many matched none.
 */
size_t overrides_describe(const struct overrides *ov, const json_t *applications, struct buf *out);

/* ---- the pure core ---- */

/* The extract inputs: extract/<name>.json for each name, then "state" (extract/state.json). */
extern const char *const transform_inputs[];

/*
 * What every hire is mapped with: the pipeline, the overrides and the small
 * reference lists. `refs` is an object with the arrays departments,
 * locations, users and custom_fields (an absent key counts as empty); `p`,
 * `ov` (may be NULL) and `refs` are borrowed and must outlive the context.
 * A configuration problem that concerns every hire (a pipeline custom field
 * absent from custom_fields, a type that cannot apply to the Ashby field) is
 * ERR_INVALID. Caller frees with transform_ctx_free() (NULL is fine).
 */
struct transform_ctx;
int transform_ctx_new(struct transform_ctx **out, const struct pipeline *p, const json_t *refs,
		      const struct overrides *ov, struct err *e);
void transform_ctx_free(struct transform_ctx *c);

/* Whether an application counts as hired: status "Hired", or no status. */
bool transform_app_hired(const json_t *app);
/* The ids an application points to (its candidate, its job), borrowed from `app`; NULL when absent. */
const char *transform_app_candidate_id(const json_t *app);
const char *transform_app_job_id(const json_t *app);

/* One hired application and what it points to (all borrowed, each but `app` may be NULL). */
struct transform_input {
	const json_t *app; /* the Ashby application (it has an "id") */
	const json_t
		*candidate;   /* the candidate of transform_app_candidate_id() in candidates.json */
	const json_t *offers; /* the array of its offers ("applicationId"), in file order */
	const json_t *job;    /* the job of transform_app_job_id() in jobs.json */
	const json_t *file;   /* its entry in state.json's "files" */
};

/*
 * Map one hired application: returns 1 with *out its new_hires.json record,
 * or 0 with *out its reject {id, candidate, fields, reason} (a problem with
 * one hire sets that hire aside). *out is a new reference. Pure: the same
 * input gives the same record.
 */
int transform_application(const struct transform_ctx *c, const struct transform_input *in,
			  json_t **out);

/*
 * Map every Hired application of `extract` (an object with the arrays
 * applications, candidates, offers, jobs, departments, locations, users,
 * custom_fields and the object state; an absent key counts as empty) into
 * *new_hires (array of records sorted by id) and *rejects (array of
 * {id, candidate, fields, reason} sorted by id). Both are new references.
 * `ov` may be NULL. Of two applications with the same id the first stands.
 * Fails as transform_ctx_new() does. A whole-object form of
 * transform_write(), for tests and golden cases: the two give the same bytes.
 */
int transform_records(const struct pipeline *p, const json_t *extract, const struct overrides *ov,
		      json_t **new_hires, json_t **rejects, struct err *e);

/* The CSV views, appended to `out` (header row first). */
void transform_hires_csv(const json_t *new_hires, struct buf *out);
void transform_rejects_csv(const json_t *rejects, struct buf *out);

/* ---- the stage ---- */

struct transform_summary {
	size_t hired;	  /* applications Hired (or without a status) in extract/ */
	size_t hires;	  /* records written to new_hires.json */
	size_t rejects;	  /* hires set aside (rejects.csv) */
	size_t review;	  /* hires whose name split needs a look */
	size_t unmatched; /* overrides naming no application */
};

/*
 * Read extract/ of `s` a record at a time and write transform/new_hires.json,
 * new_hires.csv and rejects.csv (each replaced atomically, untouched when the
 * bytes are the same); no commit. Holds one application at a time plus
 * id -> offset indexes of candidates, offers, jobs and state.json's files.
 * When `ov` holds overrides, appends to `body` the commit body that lists
 * them. Logs each hire set aside. ERR_NOTFOUND when
 * extract/applications.json is absent.
 */
int transform_write(struct staging *s, const struct pipeline *p, const struct overrides *ov,
		    struct transform_summary *sum, struct buf *body, struct err *e);

/*
 * The stage: read pipeline.json and overrides.csv from r->stg, then
 * transform_write() and commit transform/ (stage "transform"; nothing when
 * unchanged). Sets r->counts.extracted and r->counts.rejected.
 */
int transform_stage(struct run *r, struct err *e);

/* ---- conversions, exposed for the unit tests ---- */

/* A JSON number as a decimal string (see above). ERR_INVALID for a non-number or a non-finite value. */
int transform_money(const json_t *v, char *out, size_t outlen);
/* The calendar date at the start of an ISO-8601 date or date-time, validated; ERR_INVALID otherwise. */
int transform_date(const char *s, char out[11]);
bool transform_email_valid(const char *s);
bool transform_currency_valid(const char *s);
/* A plain decimal amount ("85000", "85000.50"), as accepted in overrides.csv. */
bool transform_amount_valid(const char *s);

/*
 * Convert one Ashby custom field value to the pipeline's type. `def` is the
 * field's definition from custom_fields.json (may be NULL), `value` the
 * value's `value` member. On success *out is a new reference; ERR_NOTFOUND
 * when the value is empty (null, "", []); ERR_INVALID with a reason in `why`
 * when it cannot be converted.
 */
int transform_custom_value(enum pipeline_type type, const json_t *def, const json_t *value,
			   const json_t *label, json_t **out, char *why, size_t whylen);
/* Whether `type` can apply to an Ashby fieldType (NULL: unknown, allowed). */
bool transform_type_applies(enum pipeline_type type, const char *ashby_field_type);

#endif
