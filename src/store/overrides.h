/*
 * overrides: the one reader of overrides.csv, the reviewer's corrections in
 * the staging repo. Rows "application_id,field,value" under a required
 * header row (a UTF-8 byte order mark before it is skipped).
 *
 * Field rows correct one value of a hire before transform maps it: firstName,
 * middleName, lastName, personalEmail, personalPhoneNumber,
 * employmentStartDate, jobTitle, department, reportingTo (the manager's
 * email), location (a location name), salaryAmount, salaryCurrency. An empty
 * value clears an optional field. Values are checked when parsed (email,
 * date, amount, currency syntax).
 *
 * Acknowledgement rows "<application id>,acknowledge,left-hired" tell plan
 * that a person has seen that a created hire left Hired (DRIFT-DESIGN §3);
 * transform ignores them.
 *
 * An unknown field, a bad value, an acknowledgement of anything but
 * left-hired, or the same application and field (or acknowledgement) twice
 * is ERR_INVALID naming the file and the line.
 */
#ifndef OVERRIDES_H
#define OVERRIDES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/err.h"

/* The fields a row can correct, in the order messages list them. */
enum override_field {
	OF_FIRST_NAME,
	OF_MIDDLE_NAME,
	OF_LAST_NAME,
	OF_PERSONAL_EMAIL,
	OF_PERSONAL_PHONE,
	OF_START_DATE,
	OF_JOB_TITLE,
	OF_DEPARTMENT,
	OF_REPORTING_TO,
	OF_LOCATION,
	OF_SALARY_AMOUNT,
	OF_SALARY_CURRENCY,
	OF__COUNT
};

/* One field row. */
struct override {
	const char *app_id;
	enum override_field field;
	const char *value; /* NULL: clear the field */
	size_t line;	   /* its line in the file */
};

struct overrides;

/* Parse `data` (`what` names it in messages). *out: caller frees with overrides_free(). */
int overrides_parse(struct overrides **out, const char *data, size_t len, const char *what,
		    struct err *e);
void overrides_free(struct overrides *ov); /* NULL is fine */

/* The field rows: how many (NULL: none), and the i-th in file order (borrowed from `ov`). */
size_t overrides_count(const struct overrides *ov);
const struct override *overrides_at(const struct overrides *ov, size_t i);
/* The name of a field as written in the file ("lastName"). */
const char *override_field_name(enum override_field f);
/* Whether a field row names application `app_id` (`ov` may be NULL). */
bool overrides_names(const struct overrides *ov, const char *app_id);

/*
 * Whether a row "<app_id>,acknowledge,<what>" is present (`ov` may be NULL);
 * `what` is "left-hired", the one acknowledgement there is.
 */
bool overrides_acknowledged(const struct overrides *ov, const char *app_id, const char *what);

/*
 * Append one line per field row ("  <application id> <field>: <value>") to
 * `out`, marking those whose application is not among `applications` (an
 * array of objects with an "id", may be NULL). Returns how many matched none.
 */
size_t overrides_describe(const struct overrides *ov, const json_t *applications, struct buf *out);

#endif
