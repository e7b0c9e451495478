#include "config.h"

#include "store/overrides.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/jsonutil.h"
#include "base/syntax.h"
#include "base/xalloc.h"
#include "store/snapshot.h"

static const char *const field_names[OF__COUNT] = {
	[OF_FIRST_NAME] = "firstName",
	[OF_MIDDLE_NAME] = "middleName",
	[OF_LAST_NAME] = "lastName",
	[OF_PERSONAL_EMAIL] = "personalEmail",
	[OF_PERSONAL_PHONE] = "personalPhoneNumber",
	[OF_START_DATE] = "employmentStartDate",
	[OF_JOB_TITLE] = "jobTitle",
	[OF_DEPARTMENT] = "department",
	[OF_REPORTING_TO] = "reportingTo",
	[OF_LOCATION] = "location",
	[OF_SALARY_AMOUNT] = "salaryAmount",
	[OF_SALARY_CURRENCY] = "salaryCurrency",
};

/* The field of an acknowledgement row, and the acknowledgements there are. */
#define ACK_FIELD "acknowledge"
static const char *const ack_values[] = { "left-hired", NULL };

/* One row, owned by the list. */
struct row {
	char *app_id;
	int field; /* enum override_field, or -1: an acknowledgement */
	char *value;
	size_t line;
};

struct overrides {
	struct override *v; /* the field rows (strings owned) */
	size_t n, cap;
	struct row *acks; /* the acknowledgement rows (value: one of ack_values) */
	size_t nacks, capacks;
	bool header_seen;
	const char *what;
};

const char *override_field_name(enum override_field f)
{
	return f < OF__COUNT ? field_names[f] : "?";
}

static bool required_always(int f)
{
	return f == OF_FIRST_NAME || f == OF_LAST_NAME || f == OF_PERSONAL_EMAIL ||
	       f == OF_START_DATE || f == OF_JOB_TITLE;
}

static char *trim_dup(const char *s)
{
	size_t n;

	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		n--;
	return xstrndup(s, n);
}

static int header_row(struct overrides *ov, char **fields, size_t nfields, size_t line,
		      struct err *e)
{
	if (nfields != 3 || strcasecmp(fields[0], "application_id") != 0 ||
	    strcasecmp(fields[1], "field") != 0 || strcasecmp(fields[2], "value") != 0)
		return err_set(e, ERR_INVALID,
			       "%s: line %zu: expected the header row "
			       "'application_id,field,value'",
			       ov->what, line);
	ov->header_seen = true;
	return 0;
}

/* An acknowledgement row; steals r->app_id and r->value when it is kept. */
static int ack_row(struct overrides *ov, struct row *r, struct err *e)
{
	size_t i;
	bool known = false;

	for (i = 0; ack_values[i]; i++)
		known = known || strcmp(ack_values[i], r->value) == 0;
	if (!known) {
		struct buf b = BUF_INIT;
		int rc;

		for (i = 0; ack_values[i]; i++)
			buf_addf(&b, "%s%s", i ? ", " : "", ack_values[i]);
		rc = err_set(e, ERR_INVALID,
			     "%s: line %zu: application '%s': cannot acknowledge '%s' "
			     "(expected %s)",
			     ov->what, r->line, r->app_id, r->value, b.data);
		buf_release(&b);
		return rc;
	}
	for (i = 0; i < ov->nacks; i++)
		if (strcmp(ov->acks[i].app_id, r->app_id) == 0 &&
		    strcmp(ov->acks[i].value, r->value) == 0)
			return err_set(e, ERR_INVALID,
				       "%s: line %zu: application '%s' is acknowledged %s twice "
				       "(also line %zu)",
				       ov->what, r->line, r->app_id, r->value, ov->acks[i].line);
	if (ov->nacks == ov->capacks) {
		ov->capacks = ov->capacks ? 2 * ov->capacks : 4;
		ov->acks = xrealloc(ov->acks, ov->capacks * sizeof(*ov->acks));
	}
	ov->acks[ov->nacks++] = *r;
	r->app_id = r->value = NULL;
	return 0;
}

/* Whether a field row's non-empty value has the field's syntax. */
static bool value_valid(int f, const char *value)
{
	char date[11];

	switch (f) {
	case OF_PERSONAL_EMAIL:
	case OF_REPORTING_TO:
		return syntax_email_valid(value);
	case OF_START_DATE:
		return syntax_date(value, date) == 0 && strlen(value) == 10;
	case OF_SALARY_AMOUNT:
		return syntax_amount_valid(value);
	case OF_SALARY_CURRENCY:
		return syntax_currency_valid(value);
	default:
		return true;
	}
}

/* A field row (r->field set); steals r->app_id and r->value when it is kept. */
static int field_row(struct overrides *ov, struct row *r, struct err *e)
{
	static const char *const expect[OF__COUNT] = {
		[OF_PERSONAL_EMAIL] = "an email address",
		[OF_REPORTING_TO] = "the manager's email address",
		[OF_START_DATE] = "a date YYYY-MM-DD",
		[OF_SALARY_AMOUNT] = "a decimal amount such as 85000 or 85000.50",
		[OF_SALARY_CURRENCY] = "an ISO 4217 code such as GBP",
	};
	const char *name = field_names[r->field];
	size_t i;

	if (!*r->value && required_always(r->field))
		return err_set(e, ERR_INVALID, "%s: line %zu: %s is required and cannot be cleared",
			       ov->what, r->line, name);
	if (*r->value && !value_valid(r->field, r->value))
		return err_set(e, ERR_INVALID, "%s: line %zu: %s value '%s' is not %s", ov->what,
			       r->line, name, r->value, expect[r->field]);
	for (i = 0; i < ov->n; i++)
		if ((int)ov->v[i].field == r->field && strcmp(ov->v[i].app_id, r->app_id) == 0)
			return err_set(
				e, ERR_INVALID,
				"%s: line %zu: duplicate override of %s for application '%s' "
				"(also line %zu)",
				ov->what, r->line, name, r->app_id, ov->v[i].line);
	if (ov->n == ov->cap) {
		ov->cap = ov->cap ? 2 * ov->cap : 8;
		ov->v = xrealloc(ov->v, ov->cap * sizeof(*ov->v));
	}
	if (!*r->value) {
		free(r->value);
		r->value = NULL;
	}
	ov->v[ov->n++] =
		(struct override){ r->app_id, (enum override_field)r->field, r->value, r->line };
	r->app_id = r->value = NULL;
	return 0;
}

static int override_row(void *ctx, char **fields, size_t nfields, size_t line, struct err *e)
{
	struct overrides *ov = ctx;
	struct row r = { NULL, -1, NULL, line };
	char *field = NULL;
	size_t i;
	int rc = 0;

	if (!ov->header_seen)
		return header_row(ov, fields, nfields, line, e);
	if (nfields == 1 && !*fields[0])
		return 0; /* a blank line */
	if (nfields != 3)
		return err_set(
			e, ERR_INVALID,
			"%s: line %zu: expected 3 fields (application_id, field, value), got %zu",
			ov->what, line, nfields);
	r.app_id = trim_dup(fields[0]);
	field = trim_dup(fields[1]);
	r.value = trim_dup(fields[2]);
	if (!*r.app_id) {
		rc = err_set(e, ERR_INVALID, "%s: line %zu: empty application_id", ov->what, line);
		goto out;
	}
	if (strcmp(field, ACK_FIELD) == 0) {
		rc = ack_row(ov, &r, e);
		goto out;
	}
	for (i = 0; i < OF__COUNT; i++)
		if (strcmp(field_names[i], field) == 0)
			r.field = (int)i;
	if (r.field < 0) {
		struct buf b = BUF_INIT;

		for (i = 0; i < OF__COUNT; i++)
			buf_addf(&b, "%s%s", i ? ", " : "", field_names[i]);
		rc = err_set(e, ERR_INVALID,
			     "%s: line %zu: unknown field '%s' (expected %s, or %s)", ov->what,
			     line, field, b.data, ACK_FIELD);
		buf_release(&b);
		goto out;
	}
	rc = field_row(ov, &r, e);
out:
	free(r.app_id);
	free(r.value);
	free(field);
	return rc;
}

int overrides_parse(struct overrides **out, const char *data, size_t len, const char *what,
		    struct err *e)
{
	struct overrides *ov = xcalloc(1, sizeof(*ov));
	int rc;

	*out = NULL;
	ov->what = what;
	/* Spreadsheets save CSV with a UTF-8 byte order mark: skip it. */
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
		data += 3;
		len -= 3;
	}
	rc = csv_parse_text(data, len, what, override_row, ov, e);
	if (rc == 0 && !ov->header_seen && len > 0)
		rc = err_set(e, ERR_INVALID,
			     "%s: expected the header row 'application_id,field,value'", what);
	ov->what = NULL;
	if (rc < 0) {
		overrides_free(ov);
		return rc;
	}
	*out = ov;
	return 0;
}

void overrides_free(struct overrides *ov)
{
	size_t i;

	if (!ov)
		return;
	for (i = 0; i < ov->n; i++) {
		free((char *)ov->v[i].app_id);
		free((char *)ov->v[i].value);
	}
	for (i = 0; i < ov->nacks; i++) {
		free(ov->acks[i].app_id);
		free(ov->acks[i].value);
	}
	free(ov->v);
	free(ov->acks);
	free(ov);
}

size_t overrides_count(const struct overrides *ov)
{
	return ov ? ov->n : 0;
}

const struct override *overrides_at(const struct overrides *ov, size_t i)
{
	return ov && i < ov->n ? &ov->v[i] : NULL;
}

bool overrides_names(const struct overrides *ov, const char *app_id)
{
	size_t i;

	for (i = 0; ov && app_id && i < ov->n; i++)
		if (strcmp(ov->v[i].app_id, app_id) == 0)
			return true;
	return false;
}

bool overrides_acknowledged(const struct overrides *ov, const char *app_id, const char *what)
{
	size_t i;

	for (i = 0; ov && app_id && what && i < ov->nacks; i++)
		if (strcmp(ov->acks[i].app_id, app_id) == 0 && strcmp(ov->acks[i].value, what) == 0)
			return true;
	return false;
}

size_t overrides_describe(const struct overrides *ov, const json_t *applications, struct buf *out)
{
	size_t i, unmatched = 0;

	for (i = 0; ov && i < ov->n; i++) {
		const struct override *o = &ov->v[i];
		bool known = !applications || json_array_find(applications, "id", o->app_id);

		buf_addf(out, "  %s %s: %s%s\n", o->app_id, field_names[o->field],
			 o->value ? o->value : "(cleared)",
			 known ? "" : " (no such hired application: ignored)");
		unmatched += !known;
	}
	return unmatched;
}
