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

#include "buf.h"
#include "err.h"
#include "pipeline.h"

struct run;

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
 */
struct overrides;

int overrides_parse(struct overrides **out, const char *data, size_t len, const char *what,
		    struct err *e);
void overrides_free(struct overrides *ov);
size_t overrides_count(const struct overrides *ov);
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
 * Map every Hired application of `extract` (an object with the arrays
 * applications, candidates, offers, jobs, departments, locations, users,
 * custom_fields and the object state; an absent key counts as empty) into
 * *new_hires (array of records sorted by id) and *rejects (array of
 * {id, candidate, fields, reason} sorted by id). Both are new references.
 * `ov` may be NULL. A configuration problem that concerns every hire (a
 * pipeline custom field absent from custom_fields, a type that cannot apply
 * to the Ashby field) fails the whole call with ERR_INVALID; a problem with
 * one hire sets that hire aside.
 */
int transform_records(const struct pipeline *p, const json_t *extract, const struct overrides *ov,
		      json_t **new_hires, json_t **rejects, struct err *e);

/* The CSV views, appended to `out` (header row first). */
void transform_hires_csv(const json_t *new_hires, struct buf *out);
void transform_rejects_csv(const json_t *rejects, struct buf *out);

/*
 * The stage: read pipeline.json, extract/ and overrides.csv from r->stg,
 * write transform/ and commit it (stage "transform"; nothing when unchanged).
 * Sets r->counts.extracted and r->counts.rejected.
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
