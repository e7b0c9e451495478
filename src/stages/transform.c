#include "config.h"

#include "stages/transform.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/jsonutil.h"
#include "base/log.h"
#include "base/namesplit.h"
#include "base/text.h"
#include "store/records.h"
#include "stages/run.h"
#include "store/snapshot.h"
#include "store/staging.h"
#include "base/xalloc.h"

const char *const transform_inputs[] = { "applications", "candidates", "offers", "jobs",
					 "departments",	 "locations",  "users",	 "custom_fields",
					 "state",	 NULL };

/* ------------------------------------------------------------------ */
/* Conversions                                                         */

/* Free text keeps tab and newline (text.h). */
#define TEXT_FREE (TEXT_ALLOW_TAB | TEXT_ALLOW_NEWLINE)

/* A JSON string holding a NUL byte, which json_string_value() would silently cut. */
static bool has_nul(const json_t *v)
{
	return json_is_string(v) && strlen(json_string_value(v)) != json_string_length(v);
}

static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int transform_date(const char *s, char out[11])
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int i, y, m, d;

	out[0] = '\0';
	if (!s)
		return ERR_INVALID;
	for (i = 0; i < 10; i++) {
		if (i == 4 || i == 7) {
			if (s[i] != '-')
				return ERR_INVALID;
		} else if (s[i] < '0' || s[i] > '9') {
			return ERR_INVALID;
		}
	}
	if (s[10] != '\0' && s[10] != 'T')
		return ERR_INVALID;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 1 || m < 1 || m > 12 || d < 1)
		return ERR_INVALID;
	if (d > mdays[m - 1] + (m == 2 && is_leap(y)))
		return ERR_INVALID;
	memcpy(out, s, 10);
	out[10] = '\0';
	return 0;
}

bool transform_currency_valid(const char *s)
{
	return s && strlen(s) == 3 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z' &&
	       s[2] >= 'A' && s[2] <= 'Z';
}

bool transform_amount_valid(const char *s)
{
	const char *p = s;

	if (!s || !(*p >= '0' && *p <= '9'))
		return false;
	while (*p >= '0' && *p <= '9')
		p++;
	if (*p == '.') {
		p++;
		if (!(*p >= '0' && *p <= '9'))
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return *p == '\0' && p - s <= 32;
}

/*
 * A pragmatic address check, not RFC 5322: one '@', a local part of 1..64
 * printable characters without spaces, quotes or brackets and without
 * leading, trailing or doubled dots, and a domain of at least two dot
 * separated labels of letters, digits, '-' or UTF-8 (IDN), none starting or
 * ending with '-'.
 */
bool transform_email_valid(const char *s)
{
	const char *at, *p, *label;
	size_t len;

	if (!s)
		return false;
	len = strlen(s);
	at = strchr(s, '@');
	if (len < 3 || len > 254 || !at || strchr(at + 1, '@') || at == s || at - s > 64)
		return false;
	if (s[0] == '.' || at[-1] == '.')
		return false;
	for (p = s; p < at; p++) {
		unsigned char c = (unsigned char)*p;

		if (c <= ' ' || c == 0x7f || strchr("\"(),:;<>[\\]", c))
			return false;
		if (c == '.' && p[1] == '.')
			return false;
	}
	label = at + 1;
	if (!strchr(label, '.'))
		return false;
	for (p = label;; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '.' || c == '\0') {
			if (p == label || label[0] == '-' || p[-1] == '-' || p - label > 63)
				return false;
			if (c == '\0')
				break;
			label = p + 1;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c >= 0x80))
			return false;
	}
	return true;
}

/*
 * A double in plain decimal notation from the shortest "%.*e" form that
 * reads back as the same double (the tool never calls setlocale, so the
 * C locale's '.' is the decimal point).
 */
static int format_real(double d, char *out, size_t outlen)
{
	char sci[40], digits[24];
	struct buf b = BUF_INIT;
	int prec, exp10, nd = 0, i, rc = 0;
	const char *p;
	bool neg = d < 0;

	if (!isfinite(d) || d >= 1e21 || d <= -1e21)
		return ERR_INVALID;
	if (d == 0) {
		snprintf(out, outlen, "0");
		return 0;
	}
	for (prec = 1; prec <= 17; prec++) {
		snprintf(sci, sizeof(sci), "%.*e", prec - 1, d);
		if (strtod(sci, NULL) == d)
			break;
	}
	/* sci: [-]D[.DDD]e[+-]XX */
	for (p = sci; *p && *p != 'e'; p++)
		if (*p >= '0' && *p <= '9' && nd < (int)sizeof(digits) - 1)
			digits[nd++] = *p;
	digits[nd] = '\0';
	exp10 = *p == 'e' ? atoi(p + 1) : 0;
	while (nd > 1 && digits[nd - 1] == '0')
		digits[--nd] = '\0';
	if (neg)
		buf_addc(&b, '-');
	if (exp10 < 0) {
		buf_adds(&b, "0.");
		for (i = 0; i < -exp10 - 1; i++)
			buf_addc(&b, '0');
		buf_adds(&b, digits);
	} else {
		for (i = 0; i <= exp10; i++)
			buf_addc(&b, i < nd ? digits[i] : '0');
		if (nd > exp10 + 1) {
			buf_addc(&b, '.');
			buf_adds(&b, digits + exp10 + 1);
		}
	}
	if (b.len + 1 > outlen)
		rc = ERR_INVALID;
	else
		memcpy(out, b.data, b.len + 1);
	buf_release(&b);
	return rc;
}

int transform_money(const json_t *v, char *out, size_t outlen)
{
	if (outlen)
		out[0] = '\0';
	if (json_is_integer(v)) {
		int n = snprintf(out, outlen, "%" JSON_INTEGER_FORMAT, json_integer_value(v));

		return n < 0 || (size_t)n >= outlen ? ERR_INVALID : 0;
	}
	if (json_is_real(v))
		return format_real(json_real_value(v), out, outlen);
	return ERR_INVALID;
}

bool transform_type_applies(enum pipeline_type type, const char *t)
{
	if (!t)
		return true;
	switch (type) {
	case PT_TEXT:
		return strcmp(t, "NumberRange") != 0 && strcmp(t, "CompensationRange") != 0;
	case PT_NUMBER:
		return strcmp(t, "Number") == 0;
	case PT_DATE:
		return strcmp(t, "Date") == 0;
	case PT_BOOLEAN:
		return strcmp(t, "Boolean") == 0;
	case PT_SELECT:
		return strcmp(t, "ValueSelect") == 0;
	case PT_MULTISELECT:
		return strcmp(t, "MultiValueSelect") == 0;
	case PT_CURRENCY:
		return strcmp(t, "Currency") == 0;
	}
	return false;
}

/* The label of a select option: the definition's selectableValues, else the value itself. */
static const char *option_label(const json_t *def, const char *value)
{
	json_t *opt = json_array_find(json_get_arr(def, "selectableValues"), "value", value);
	const char *label = json_get_str(opt, "label");

	return label ? label : value;
}

/* A short rendering of a value for messages (caller frees). */
static char *value_repr(const json_t *v)
{
	char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	char *r;

	if (!s)
		return xstrdup("?");
	if (strlen(s) > 60)
		strcpy(s + 57, "...");
	r = xstrdup(s);
	free(s);
	return r;
}

static bool value_empty(const json_t *v)
{
	return !v || json_is_null(v) || (json_is_string(v) && !*json_string_value(v)) ||
	       (json_is_array(v) && json_array_size(v) == 0);
}

/* A number from a JSON number or a numeric string; new reference or NULL. */
static json_t *to_number(const json_t *v)
{
	const char *s;
	char *end;

	if (json_is_integer(v))
		return json_integer(json_integer_value(v));
	if (json_is_real(v)) {
		double d = json_real_value(v);

		if (d < 9007199254740992.0 && d > -9007199254740992.0 && d == (double)(long long)d)
			return json_integer((json_int_t)d);
		return json_real(d);
	}
	if (!json_is_string(v))
		return NULL;
	s = json_string_value(v);
	if (!*s || strspn(s, "-0123456789.eE+") != strlen(s))
		return NULL;
	if (!strpbrk(s, ".eE")) {
		long long n = strtoll(s, &end, 10);

		return *end ? NULL : json_integer((json_int_t)n);
	} else {
		double d = strtod(s, &end);
		json_t *tmp, *r;

		if (*end || !isfinite(d))
			return NULL;
		tmp = json_real(d);
		r = to_number(tmp);
		json_decref(tmp);
		return r;
	}
}

static char *text_of(const json_t *def, const json_t *v, const json_t *label)
{
	char money[64], date[11];
	const char *s;

	if (json_is_string(label) && *json_string_value(label))
		return xstrdup(json_string_value(label));
	if (json_is_string(v)) {
		s = json_string_value(v);
		if (def && json_get_str(def, "fieldType") &&
		    strcmp(json_get_str(def, "fieldType"), "Date") == 0 &&
		    transform_date(s, date) == 0)
			return xstrdup(date);
		if (def && json_get_arr(def, "selectableValues"))
			return xstrdup(option_label(def, s));
		return text_strip(s, json_string_length(v), TEXT_FREE);
	}
	if (json_is_number(v))
		return transform_money(v, money, sizeof(money)) == 0 ? xstrdup(money) : NULL;
	if (json_is_boolean(v))
		return xstrdup(json_is_true(v) ? "true" : "false");
	if (json_is_array(v)) {
		struct buf b = BUF_INIT;
		size_t i;
		json_t *el;

		json_array_foreach (v, i, el) {
			if (!json_is_string(el)) {
				buf_release(&b);
				return NULL;
			}
			if (i)
				buf_adds(&b, ", ");
			buf_adds(&b, option_label(def, json_string_value(el)));
		}
		return buf_detach(&b, NULL);
	}
	if (json_is_object(v) && json_get_str(v, "currencyCode") &&
	    transform_money(json_object_get(v, "value"), money, sizeof(money)) == 0)
		return xasprintf("%s %s", money, json_get_str(v, "currencyCode"));
	return NULL;
}

/*
 * Free text sent to Humaans is cleaned, not rejected (text.h, doc/pipeline.md):
 * control characters other than tab and newline are dropped, invalid UTF-8 becomes
 * U+FFFD. Applies to a string or to each string of an array; steals `v`.
 */
static void strip_string(json_t *v)
{
	char *t;

	if (!json_is_string(v))
		return;
	t = text_strip(json_string_value(v), json_string_length(v), TEXT_FREE);
	json_string_set(v, t);
	free(t);
}

static json_t *strip_value(json_t *v)
{
	size_t i;
	json_t *el;

	strip_string(v);
	json_array_foreach (v, i, el)
		strip_string(el);
	return v;
}

int transform_custom_value(enum pipeline_type type, const json_t *def, const json_t *value,
			   const json_t *label, json_t **out, char *why, size_t whylen)
{
	char date[11], money[64];
	char *repr = NULL, *s;
	const char *str;
	json_t *r = NULL;
	int rc = 0;

	*out = NULL;
	if (why && whylen)
		why[0] = '\0';
	if (value_empty(value))
		return ERR_NOTFOUND;
	switch (type) {
	case PT_TEXT:
		if ((s = text_of(def, value, label)) != NULL) {
			r = json_string(s);
			free(s);
		}
		break;
	case PT_NUMBER:
		r = to_number(value);
		break;
	case PT_DATE:
		if (json_is_string(value) && transform_date(json_string_value(value), date) == 0)
			r = json_string(date);
		break;
	case PT_BOOLEAN:
		if (json_is_boolean(value))
			r = json_boolean(json_is_true(value));
		else if (json_is_string(value) && strcasecmp(json_string_value(value), "true") == 0)
			r = json_true();
		else if (json_is_string(value) &&
			 strcasecmp(json_string_value(value), "false") == 0)
			r = json_false();
		break;
	case PT_SELECT:
		if (json_is_string(value)) {
			str = json_is_string(label) && *json_string_value(label)
				      ? json_string_value(label)
				      : option_label(def, json_string_value(value));
			r = json_string(str);
		}
		break;
	case PT_MULTISELECT:
		if (json_is_string(value)) {
			r = json_array();
			json_array_append_new(
				r, json_string(option_label(def, json_string_value(value))));
		} else if (json_is_array(label) &&
			   json_array_size(label) == json_array_size(value)) {
			size_t i;
			json_t *el;

			r = json_array(); /* Ashby's own labels, when it sends them */
			json_array_foreach (label, i, el) {
				if (!json_is_string(el) ||
				    !json_is_string(json_array_get(value, i))) {
					json_decref(r);
					r = NULL;
					break;
				}
				json_array_append_new(r, json_string(json_string_value(el)));
			}
		} else if (json_is_array(value)) {
			size_t i;
			json_t *el;

			r = json_array();
			json_array_foreach (value, i, el) {
				if (!json_is_string(el)) {
					json_decref(r);
					r = NULL;
					break;
				}
				json_array_append_new(
					r, json_string(option_label(def, json_string_value(el))));
			}
		}
		break;
	case PT_CURRENCY:
		str = json_get_str(value, "currencyCode");
		if (json_is_object(value) && transform_currency_valid(str) &&
		    transform_money(json_object_get(value, "value"), money, sizeof(money)) == 0)
			r = json_string((s = xasprintf("%s %s", money, str)));
		else
			s = NULL;
		free(s);
		break;
	}
	r = strip_value(r);
	if (!r) {
		static const char *const what[] = {
			[PT_TEXT] = "cannot be written as text",
			[PT_NUMBER] = "is not a number",
			[PT_DATE] = "is not a date (YYYY-MM-DD)",
			[PT_BOOLEAN] = "is not true or false",
			[PT_SELECT] = "is not a single option",
			[PT_MULTISELECT] = "is not a list of options",
			[PT_CURRENCY] = "is not an amount with an ISO 4217 currency code",
		};

		repr = value_repr(value);
		if (why)
			snprintf(why, whylen, "value %s %s", repr, what[type]);
		rc = ERR_INVALID;
	}
	*out = r;
	free(repr);
	return rc;
}

/* ------------------------------------------------------------------ */
/* overrides.csv                                                       */

/* Slots of a hire's values; the first OV__COUNT can be overridden. */
enum slot {
	S_FIRST,
	S_MIDDLE,
	S_LAST,
	S_EMAIL,
	S_PHONE,
	S_START,
	S_TITLE,
	S_DEPT,
	S_REPORTING,
	S_LOCATION,
	S_SAL_AMOUNT,
	S_SAL_CURRENCY,
	OV__COUNT,
	S_REPORTING_NAME = OV__COUNT,
	S_LOCATION_CITY,
	S__COUNT
};

static const char *const slot_names[OV__COUNT] = {
	[S_FIRST] = "firstName",
	[S_MIDDLE] = "middleName",
	[S_LAST] = "lastName",
	[S_EMAIL] = "personalEmail",
	[S_PHONE] = "personalPhoneNumber",
	[S_START] = "employmentStartDate",
	[S_TITLE] = "jobTitle",
	[S_DEPT] = "department",
	[S_REPORTING] = "reportingTo",
	[S_LOCATION] = "location",
	[S_SAL_AMOUNT] = "salaryAmount",
	[S_SAL_CURRENCY] = "salaryCurrency",
};

/* The pipeline field each slot belongs to. */
static const enum pipeline_field slot_field[S__COUNT] = {
	[S_FIRST] = PF_FIRST_NAME,
	[S_MIDDLE] = PF_MIDDLE_NAME,
	[S_LAST] = PF_LAST_NAME,
	[S_EMAIL] = PF_PERSONAL_EMAIL,
	[S_PHONE] = PF_PERSONAL_PHONE,
	[S_START] = PF_START_DATE,
	[S_TITLE] = PF_JOB_TITLE,
	[S_DEPT] = PF_DEPARTMENT,
	[S_REPORTING] = PF_REPORTING_TO,
	[S_LOCATION] = PF_LOCATION,
	[S_SAL_AMOUNT] = PF_SALARY,
	[S_SAL_CURRENCY] = PF_SALARY,
	[S_REPORTING_NAME] = PF_REPORTING_TO,
	[S_LOCATION_CITY] = PF_LOCATION,
};

struct override {
	char *app_id;
	int slot;
	char *value; /* NULL: clear the field */
	size_t line;
};

struct overrides {
	struct override *v;
	size_t n, cap;
	json_t *acks; /* "<application id>" -> ["left-hired"]: acknowledgement rows (plan's) */
	bool header_seen;
	const char *what;
};

static bool slot_required_always(int slot)
{
	return slot == S_FIRST || slot == S_LAST || slot == S_EMAIL || slot == S_START ||
	       slot == S_TITLE;
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

/*
 * An acknowledgement row "<application id>,acknowledge,left-hired": not a
 * correction of the hire but a reviewer's word to plan (stages/plan.h), kept
 * apart from the overrides so transform ignores it. Only that value is known.
 */
static int override_ack(struct overrides *ov, const char *app, const char *value, size_t line,
			struct err *e)
{
	json_t *list;

	if (strcmp(value, OVERRIDE_ACK_LEFT_HIRED) != 0)
		return err_set(
			e, ERR_INVALID,
			"%s: line %zu: acknowledge value '%s' is not " OVERRIDE_ACK_LEFT_HIRED,
			ov->what, line, value);
	if (!ov->acks)
		ov->acks = json_object();
	list = json_object_get(ov->acks, app);
	if (!list) {
		list = json_array();
		json_object_set_new(ov->acks, app, list);
	}
	if (!json_array_size(list))
		json_array_append_new(list, json_string(value));
	return 0;
}

static int override_row(void *ctx, char **fields, size_t nfields, size_t line, struct err *e)
{
	struct overrides *ov = ctx;
	struct override o = { NULL, -1, NULL, line };
	char *field = NULL, *value = NULL, date[11];
	size_t i;
	int rc = 0;

	if (!ov->header_seen) {
		if (nfields != 3 || strcasecmp(fields[0], "application_id") != 0 ||
		    strcasecmp(fields[1], "field") != 0 || strcasecmp(fields[2], "value") != 0)
			return err_set(e, ERR_INVALID,
				       "%s: line %zu: expected the header row "
				       "'application_id,field,value'",
				       ov->what, line);
		ov->header_seen = true;
		return 0;
	}
	if (nfields == 1 && !*fields[0])
		return 0; /* a blank line */
	if (nfields != 3)
		return err_set(
			e, ERR_INVALID,
			"%s: line %zu: expected 3 fields (application_id, field, value), got %zu",
			ov->what, line, nfields);
	o.app_id = trim_dup(fields[0]);
	field = trim_dup(fields[1]);
	value = trim_dup(fields[2]);
	if (!*o.app_id) {
		rc = err_set(e, ERR_INVALID, "%s: line %zu: empty application_id", ov->what, line);
		goto out;
	}
	if (strcmp(field, OVERRIDE_ACKNOWLEDGE) == 0) {
		rc = override_ack(ov, o.app_id, value, line, e);
		goto out;
	}
	for (i = 0; i < OV__COUNT; i++)
		if (strcmp(slot_names[i], field) == 0)
			o.slot = (int)i;
	if (o.slot < 0) {
		struct buf b = BUF_INIT;

		for (i = 0; i < OV__COUNT; i++)
			buf_addf(&b, "%s%s", i ? ", " : "", slot_names[i]);
		buf_adds(&b, " or " OVERRIDE_ACKNOWLEDGE);
		rc = err_set(e, ERR_INVALID, "%s: line %zu: unknown field '%s' (expected %s)",
			     ov->what, line, field, b.data);
		buf_release(&b);
		goto out;
	}
	if (!*value) {
		if (slot_required_always(o.slot)) {
			rc = err_set(e, ERR_INVALID,
				     "%s: line %zu: %s is required and cannot be cleared", ov->what,
				     line, field);
			goto out;
		}
	} else if ((o.slot == S_EMAIL && !transform_email_valid(value)) ||
		   (o.slot == S_START && transform_date(value, date) < 0) ||
		   (o.slot == S_START && strlen(value) != 10) ||
		   (o.slot == S_SAL_AMOUNT && !transform_amount_valid(value)) ||
		   (o.slot == S_SAL_CURRENCY && !transform_currency_valid(value)) ||
		   (o.slot == S_REPORTING && !transform_email_valid(value))) {
		static const char *const expect[OV__COUNT] = {
			[S_EMAIL] = "an email address",
			[S_REPORTING] = "the manager's email address",
			[S_START] = "a date YYYY-MM-DD",
			[S_SAL_AMOUNT] = "a decimal amount such as 85000 or 85000.50",
			[S_SAL_CURRENCY] = "an ISO 4217 code such as GBP",
		};

		rc = err_set(e, ERR_INVALID, "%s: line %zu: %s value '%s' is not %s", ov->what,
			     line, field, value, expect[o.slot]);
		goto out;
	}
	for (i = 0; i < ov->n; i++)
		if (ov->v[i].slot == o.slot && strcmp(ov->v[i].app_id, o.app_id) == 0) {
			rc = err_set(e, ERR_INVALID,
				     "%s: line %zu: duplicate override of %s for application '%s' "
				     "(also line %zu)",
				     ov->what, line, field, o.app_id, ov->v[i].line);
			goto out;
		}
	if (*value) {
		o.value = value;
		value = NULL;
	}
	if (ov->n == ov->cap) {
		ov->cap = ov->cap ? 2 * ov->cap : 8;
		ov->v = xrealloc(ov->v, ov->cap * sizeof(*ov->v));
	}
	ov->v[ov->n++] = o;
	o.app_id = NULL;
out:
	free(o.app_id);
	free(field);
	free(value);
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
		free(ov->v[i].app_id);
		free(ov->v[i].value);
	}
	free(ov->v);
	json_decref(ov->acks);
	free(ov);
}

bool overrides_acknowledged(const struct overrides *ov, const char *app_id, const char *what)
{
	const json_t *v;
	size_t i;

	if (!ov || !ov->acks || !app_id)
		return false;
	json_array_foreach (json_object_get(ov->acks, app_id), i, v)
		if (strcmp(json_string_value(v), what) == 0)
			return true;
	return false;
}

size_t overrides_count(const struct overrides *ov)
{
	return ov ? ov->n : 0;
}

size_t overrides_describe(const struct overrides *ov, const json_t *applications, struct buf *out)
{
	size_t i, unmatched = 0;

	for (i = 0; ov && i < ov->n; i++) {
		const struct override *o = &ov->v[i];
		bool known = !applications || json_array_find(applications, "id", o->app_id);

		buf_addf(out, "  %s %s: %s%s\n", o->app_id, slot_names[o->slot],
			 o->value ? o->value : "(cleared)",
			 known ? "" : " (no such hired application: ignored)");
		unmatched += !known;
	}
	return unmatched;
}

/* ------------------------------------------------------------------ */
/* The core                                                            */

struct transform_ctx {
	const struct pipeline *p;	       /* borrowed */
	const struct overrides *ov;	       /* borrowed, may be NULL */
	json_t *dept_idx, *loc_idx, *user_idx; /* id -> record (owned) */
	const json_t **defs; /* per pipeline custom entry, borrowed from the refs (owned array) */
	const json_t *legal_def; /* borrowed from the refs */
};

struct hire {
	const char *id;
	const char *name;
	const char *name_src; /* what the split was given: the legal name or `name` (borrowed) */
	const char *candidate_id;
	const json_t *app, *cand, *job, *offer, *file; /* borrowed */
	char *v[S__COUNT];
	char *note[S__COUNT]; /* why the value is missing (v NULL) or invalid (v set) */
	bool review;
	bool name_nul;	      /* the candidate's (legal) name holds a NUL byte */
	bool name_overridden; /* overrides.csv gives a name field: the source name is not used */
	unsigned nul;	      /* slots (1 << S_...) whose source string holds a NUL byte */
	size_t words;
	json_t *person_extra; /* person fields mapped from custom fields */
	json_t *custom_values;
	json_t *warnings;
	struct buf fields, reasons;
};

static json_t *arr_of(const json_t *x, const char *key)
{
	json_t *a = json_get_arr(x, key);

	return a ? a : NULL;
}

/* An object indexing the records of `arr` by their string `key` (first wins). */
static json_t *index_by(const json_t *arr, const char *key)
{
	json_t *idx = json_object(), *el;
	size_t i;

	json_array_foreach (arr, i, el) {
		const char *id = json_get_str(el, key);

		if (id && !json_object_get(idx, id))
			json_object_set(idx, id, el);
	}
	return idx;
}

static json_t *group_by(const json_t *arr, const char *key)
{
	json_t *idx = json_object(), *el;
	size_t i;

	json_array_foreach (arr, i, el) {
		const char *id = json_get_str(el, key);
		json_t *g;

		if (!id)
			continue;
		g = json_object_get(idx, id);
		if (!g) {
			g = json_array();
			json_object_set_new(idx, id, g);
		}
		json_array_append(g, el);
	}
	return idx;
}

static int resolve_def(const json_t *defs, enum pipeline_object obj, const char *id,
		       const char *title, const char *path, const char *what, const json_t **out,
		       struct err *e)
{
	const char *objname = pipeline_object_name(obj);
	const json_t *found = NULL;
	json_t *el;
	size_t i, n = 0;

	*out = NULL;
	json_array_foreach (defs, i, el) {
		const char *t = json_get_str(el, "objectType");

		if (id ? !json_get_str(el, "id") || strcmp(json_get_str(el, "id"), id) != 0
		       : !json_get_str(el, "title") ||
				    strcmp(json_get_str(el, "title"), title) != 0)
			continue;
		if (id && t && strcmp(t, objname) != 0)
			return err_set(e, ERR_INVALID,
				       "%s: %s: Ashby custom field '%s' belongs to %s, not %s",
				       what, path, id, t, objname);
		if (!id && t && strcmp(t, objname) != 0)
			continue;
		if (!found)
			found = el;
		n++;
	}
	if (!found)
		return err_set(e, ERR_INVALID,
			       "%s: %s: no %s custom field %s '%s' in extract/custom_fields.json",
			       what, path, objname, id ? "with id" : "titled", id ? id : title);
	if (n > 1)
		return err_set(e, ERR_INVALID,
			       "%s: %s: %zu %s custom fields are titled '%s': name it by 'id'",
			       what, path, n, objname, title);
	*out = found;
	return 0;
}

void transform_ctx_free(struct transform_ctx *c)
{
	if (!c)
		return;
	json_decref(c->dept_idx);
	json_decref(c->loc_idx);
	json_decref(c->user_idx);
	free(c->defs);
	free(c);
}

int transform_ctx_new(struct transform_ctx **out, const struct pipeline *p, const json_t *refs,
		      const struct overrides *ov, struct err *e)
{
	const json_t *defs = arr_of(refs, "custom_fields");
	struct transform_ctx *c = xcalloc(1, sizeof(*c));
	size_t i;
	int rc = 0;

	*out = NULL;
	c->p = p;
	c->ov = ov;
	c->dept_idx = index_by(arr_of(refs, "departments"), "id");
	c->loc_idx = index_by(arr_of(refs, "locations"), "id");
	c->user_idx = index_by(arr_of(refs, "users"), "id");
	c->defs = xcalloc(p->ncustom ? p->ncustom : 1, sizeof(*c->defs));
	for (i = 0; i < p->ncustom; i++) {
		const struct pipeline_custom *pc = &p->custom[i];
		const char *ftype;
		char path[64];

		snprintf(path, sizeof(path), "customFields[%zu].from", i);
		if ((rc = resolve_def(defs, pc->object, pc->source_id, pc->source_title, path,
				      "pipeline.json", &c->defs[i], e)) < 0)
			goto out;
		ftype = json_get_str(c->defs[i], "fieldType");
		if (!transform_type_applies(pc->type, ftype)) {
			rc = err_set(e, ERR_INVALID,
				     "pipeline.json: customFields[%zu].type: type '%s' cannot "
				     "apply to Ashby field '%s' of type %s",
				     i, pipeline_type_name(pc->type),
				     json_get_str(c->defs[i], "title")
					     ? json_get_str(c->defs[i], "title")
					     : "?",
				     ftype);
			goto out;
		}
	}
	if (p->legal_name_id || p->legal_name_title)
		rc = resolve_def(defs, PO_CANDIDATE, p->legal_name_id, p->legal_name_title,
				 "legalNameField", "pipeline.json", &c->legal_def, e);
out:
	if (rc < 0)
		transform_ctx_free(c);
	else
		*out = c;
	return rc;
}

static void hire_set(struct hire *h, int slot, const char *value)
{
	free(h->v[slot]);
	h->v[slot] = value ? xstrdup(value) : NULL;
}

__attribute__((format(printf, 3, 4))) static void hire_note(struct hire *h, int slot,
							    const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	free(h->note[slot]);
	h->note[slot] = buf_detach(&b, NULL);
}

__attribute__((format(printf, 3, 4))) static void hire_reject(struct hire *h, const char *field,
							      const char *fmt, ...)
{
	va_list ap;

	if (h->fields.len)
		buf_addc(&h->fields, ';');
	buf_adds(&h->fields, field);
	if (h->reasons.len)
		buf_adds(&h->reasons, "; ");
	va_start(ap, fmt);
	buf_vaddf(&h->reasons, fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 2, 3))) static void hire_warn(struct hire *h, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	if (!h->warnings)
		h->warnings = json_array();
	json_array_append_new(h->warnings, json_string(b.data));
	buf_release(&b);
}

static void hire_release(struct hire *h)
{
	int i;

	for (i = 0; i < S__COUNT; i++) {
		free(h->v[i]);
		free(h->note[i]);
	}
	json_decref(h->person_extra);
	json_decref(h->custom_values);
	json_decref(h->warnings);
	buf_release(&h->fields);
	buf_release(&h->reasons);
}

/* ASCII white space trimmed copy, or NULL for NULL / empty. */
static char *clean(const char *s)
{
	size_t n;

	if (!s)
		return NULL;
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	return n ? xstrndup(s, n) : NULL;
}

static void hire_set_clean(struct hire *h, int slot, const char *value)
{
	free(h->v[slot]);
	h->v[slot] = clean(value);
}

/* The accepted offer with the latest decidedAt (ties: the greater id). */
static const json_t *pick_offer(const json_t *offers)
{
	const json_t *best = NULL;
	json_t *el;
	size_t i;

	json_array_foreach (offers, i, el) {
		const char *st = json_get_str(el, "acceptanceStatus");
		const char *d, *bd;
		int cmp;

		if (!st || strcmp(st, "Accepted") != 0)
			continue;
		if (!best) {
			best = el;
			continue;
		}
		d = json_get_str(el, "decidedAt");
		bd = json_get_str(best, "decidedAt");
		cmp = strcmp(d ? d : "", bd ? bd : "");
		if (cmp == 0)
			cmp = strcmp(json_get_str(el, "id") ? json_get_str(el, "id") : "",
				     json_get_str(best, "id") ? json_get_str(best, "id") : "");
		if (cmp > 0)
			best = el;
	}
	return best;
}

/* The value entry of a custom field on a record: by the definition's id, else its title. */
static const json_t *custom_entry(const json_t *holder, const json_t *def)
{
	json_t *arr = json_get_arr(holder, "customFields");
	const json_t *v = json_array_find(arr, "id", json_get_str(def, "id"));

	return v ? v : json_array_find(arr, "title", json_get_str(def, "title"));
}

static void map_names(const struct transform_ctx *c, struct hire *h)
{
	struct name_split ns = NAME_SPLIT_INIT;
	const char *src = h->name;
	bool legal = false;

	if (c->legal_def) {
		const json_t *entry = custom_entry(h->cand, c->legal_def);
		const char *v = json_get_str(entry, "value");

		if (v && *v) {
			src = v;
			legal = true;
			h->name_nul = has_nul(json_object_get(entry, "value"));
		}
	}
	h->name_src = src;
	name_split(&ns, src);
	h->words = ns.words;
	h->review = ns.review;
	hire_set(h, S_FIRST, ns.first);
	hire_set(h, S_MIDDLE, ns.middle);
	hire_set(h, S_LAST, ns.last);
	if (ns.words == 0) {
		hire_note(h, S_FIRST, "candidate has no name");
		hire_note(h, S_LAST, "candidate has no name");
	} else if (ns.words == 1) {
		hire_note(h, S_LAST,
			  "single-word %s '%s' has no last name: add a lastName override to "
			  "overrides.csv",
			  legal ? "legal name" : "name", ns.first);
	}
	name_split_release(&ns);
}

/* The string at `key` as a jansson value (borrowed), or NULL. */
static const json_t *str_at(const json_t *obj, const char *key)
{
	const json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;

	return json_is_string(v) ? v : NULL;
}

/* Set a slot from a JSON string, noting a NUL byte that the C string would hide. */
static void hire_set_json(struct hire *h, int slot, const json_t *v)
{
	hire_set_clean(h, slot, v ? json_string_value(v) : NULL);
	if (has_nul(v))
		h->nul |= 1u << slot;
}

static void map_contact(struct hire *h)
{
	const json_t *pe = json_get_obj(h->cand, "primaryEmailAddress");
	const json_t *email = str_at(pe, "value");
	const char *type = json_get_str(pe, "type");
	const json_t *ph;

	if (!email || (type && strcmp(type, "Work") == 0)) {
		const json_t *personal = json_array_find(json_get_arr(h->cand, "emailAddresses"),
							 "type", "Personal");

		if (str_at(personal, "value"))
			email = str_at(personal, "value");
	}
	if (!email)
		email = str_at(json_array_get(json_get_arr(h->cand, "emailAddresses"), 0), "value");
	hire_set_json(h, S_EMAIL, email);
	if (!h->v[S_EMAIL])
		hire_note(h, S_EMAIL, "candidate has no email address");
	else if (!transform_email_valid(h->v[S_EMAIL]))
		hire_note(h, S_EMAIL, "personal email '%s' is not a valid address", h->v[S_EMAIL]);

	ph = json_get_obj(h->cand, "primaryPhoneNumber");
	if (!json_get_str(ph, "value"))
		ph = json_array_get(json_get_arr(h->cand, "phoneNumbers"), 0);
	hire_set_json(h, S_PHONE, str_at(ph, "value"));
	if (!h->v[S_PHONE])
		hire_note(h, S_PHONE, "candidate has no phone number");
}

static void map_offer(const struct transform_ctx *c, struct hire *h)
{
	const json_t *ver = json_get_obj(h->offer, "latestVersion");
	const json_t *sal = json_get_obj(ver, "salary");
	const char *oid = json_get_str(h->offer, "id") ? json_get_str(h->offer, "id") : "?";
	const char *sd = json_get_str(ver, "startDate");
	const char *cur;
	char date[11], money[64];

	if (!h->offer) {
		hire_note(h, S_START, "no accepted offer: no start date");
		hire_note(h, S_SAL_AMOUNT, "no accepted offer: no salary");
		return;
	}
	if (!sd) {
		hire_note(h, S_START, "accepted offer '%s' has no start date", oid);
	} else if (transform_date(sd, date) < 0) {
		hire_set(h, S_START, sd);
		hire_note(h, S_START, "accepted offer '%s' start date '%s' is not a date", oid, sd);
	} else {
		hire_set(h, S_START, date);
	}

	if (!c->p->fields[PF_SALARY].enabled)
		return;
	if (!sal) {
		hire_note(h, S_SAL_AMOUNT, "accepted offer '%s' has no salary", oid);
		return;
	}
	if (!json_object_get(sal, "value") || json_is_null(json_object_get(sal, "value"))) {
		hire_note(h, S_SAL_AMOUNT, "accepted offer '%s' salary has no value", oid);
	} else if (transform_money(json_object_get(sal, "value"), money, sizeof(money)) < 0) {
		char *r = value_repr(json_object_get(sal, "value"));

		hire_set(h, S_SAL_AMOUNT, r);
		hire_note(h, S_SAL_AMOUNT, "accepted offer '%s' salary value %s is not a number",
			  oid, r);
		free(r);
	} else {
		hire_set(h, S_SAL_AMOUNT, money);
		if (money[0] == '-')
			hire_note(h, S_SAL_AMOUNT, "accepted offer '%s' salary %s is negative", oid,
				  money);
	}
	cur = json_get_str(sal, "currencyCode");
	if (!cur) {
		hire_note(h, S_SAL_CURRENCY, "accepted offer '%s' salary has no currency", oid);
	} else {
		hire_set(h, S_SAL_CURRENCY, cur);
		if (!transform_currency_valid(cur))
			hire_note(
				h, S_SAL_CURRENCY,
				"accepted offer '%s' salary currency '%s' is not an ISO 4217 code",
				oid, cur);
	}
}

/* A hiring team entry whose role matches, from the application, else the job. */
static const json_t *find_manager(const struct transform_ctx *c, const struct hire *h)
{
	const json_t *teams[2] = { json_get_arr(h->app, "hiringTeam"),
				   json_get_arr(h->job, "hiringTeam") };
	size_t t, i;
	json_t *el;

	for (t = 0; t < 2; t++)
		json_array_foreach (teams[t], i, el) {
			const char *role = json_get_str(el, "role");

			if (role && strcasecmp(role, c->p->hiring_manager_role) == 0)
				return el;
		}
	return NULL;
}

static void map_job(const struct transform_ctx *c, struct hire *h)
{
	const char *jid = json_get_str(h->job, "id") ? json_get_str(h->job, "id") : "?";
	const char *dept_id = json_get_str(h->job, "departmentId");
	const char *loc_id = json_get_str(h->job, "locationId");
	const json_t *dept, *loc, *mgr;

	if (!h->job) {
		hire_note(h, S_TITLE, "application has no job");
		return;
	}
	hire_set_clean(h, S_TITLE, json_get_str(h->job, "title"));
	if (!h->v[S_TITLE])
		hire_note(h, S_TITLE, "job '%s' has no title", jid);

	dept = dept_id ? json_object_get(c->dept_idx, dept_id) : NULL;
	hire_set_clean(h, S_DEPT, json_get_str(dept, "name"));
	if (!h->v[S_DEPT])
		hire_note(h, S_DEPT,
			  dept_id ? "department '%s' of job '%s' is not in extract/departments.json"
				  : "job '%s' has no department%s",
			  dept_id ? dept_id : jid, dept_id ? jid : "");

	loc = loc_id ? json_object_get(c->loc_idx, loc_id) : NULL;
	hire_set_clean(h, S_LOCATION, json_get_str(loc, "name"));
	hire_set_clean(
		h, S_LOCATION_CITY,
		json_string_value(json_get_path(loc, "address.postalAddress.addressLocality")));
	if (!h->v[S_LOCATION])
		hire_note(h, S_LOCATION,
			  loc_id ? "location '%s' of job '%s' is not in extract/locations.json"
				 : "job '%s' has no location%s",
			  loc_id ? loc_id : jid, loc_id ? jid : "");

	mgr = find_manager(c, h);
	if (!mgr) {
		hire_note(h, S_REPORTING,
			  "no '%s' in the hiring team of the application or job '%s'",
			  c->p->hiring_manager_role, jid);
	} else {
		const char *uid = json_get_str(mgr, "userId");
		const json_t *user = uid ? json_object_get(c->user_idx, uid) : NULL;
		const char *email = json_get_str(mgr, "email") ? json_get_str(mgr, "email")
							       : json_get_str(user, "email");
		const char *fn = json_get_str(mgr, "firstName") ? json_get_str(mgr, "firstName")
								: json_get_str(user, "firstName");
		const char *ln = json_get_str(mgr, "lastName") ? json_get_str(mgr, "lastName")
							       : json_get_str(user, "lastName");
		char *full = xasprintf("%s%s%s", fn ? fn : "", fn && ln ? " " : "", ln ? ln : "");

		hire_set_clean(h, S_REPORTING, email);
		hire_set_clean(h, S_REPORTING_NAME, full);
		if (!h->v[S_REPORTING]) {
			hire_note(h, S_REPORTING, "the hiring manager (user '%s') has no email",
				  uid ? uid : "?");
		} else if (!transform_email_valid(h->v[S_REPORTING])) {
			hire_note(h, S_REPORTING,
				  "the hiring manager's email '%s' is not a valid address",
				  h->v[S_REPORTING]);
		}
		free(full);
	}
}

static const json_t *custom_holder(const struct hire *h, enum pipeline_object o)
{
	switch (o) {
	case PO_CANDIDATE:
		return h->cand;
	case PO_APPLICATION:
		return h->app;
	case PO_JOB:
		return h->job;
	case PO_OFFER:
		return json_get_obj(h->offer, "latestVersion");
	}
	return NULL;
}

static void map_custom(const struct transform_ctx *c, struct hire *h)
{
	size_t i;

	for (i = 0; i < c->p->ncustom; i++) {
		const struct pipeline_custom *pc = &c->p->custom[i];
		const json_t *entry = custom_entry(custom_holder(h, pc->object), c->defs[i]);
		const char *title = json_get_str(c->defs[i], "title")
					    ? json_get_str(c->defs[i], "title")
					    : pc->target;
		const char *objname = pipeline_object_name(pc->object);
		char why[256];
		json_t *val = NULL;
		int rc;

		rc = transform_custom_value(pc->type, c->defs[i], json_object_get(entry, "value"),
					    json_object_get(entry, "valueLabel"), &val, why,
					    sizeof(why));
		if (rc == ERR_NOTFOUND) {
			if (pc->required)
				hire_reject(h, pc->target, "%s custom field '%s' has no value",
					    objname, title);
			continue;
		}
		if (rc < 0) {
			if (pc->required)
				hire_reject(h, pc->target, "%s custom field '%s': %s", objname,
					    title, why);
			else
				hire_warn(h, "%s custom field '%s' left out: %s", objname, title,
					  why);
			continue;
		}
		if (pc->to_person) {
			if (!h->person_extra)
				h->person_extra = json_object();
			json_object_set_new(h->person_extra, pc->target, val);
		} else {
			json_t *cv = json_object();

			json_object_set_new(cv, "field", json_string(pc->target));
			json_object_set_new(cv, "section", json_string(pc->section));
			json_object_set_new(cv, "type", json_string(pipeline_type_name(pc->type)));
			json_object_set_new(cv, "value", val);
			if (!h->custom_values)
				h->custom_values = json_array();
			json_array_append_new(h->custom_values, cv);
		}
	}
}

static void apply_overrides(const struct transform_ctx *c, struct hire *h)
{
	size_t i;

	for (i = 0; c->ov && i < c->ov->n; i++) {
		const struct override *o = &c->ov->v[i];

		if (strcmp(o->app_id, h->id) != 0)
			continue;
		if (!c->p->fields[slot_field[o->slot]].enabled) {
			hire_warn(h, "override of %s ignored: %s is switched off in pipeline.json",
				  slot_names[o->slot], pipeline_field_name(slot_field[o->slot]));
			continue;
		}
		hire_set(h, o->slot, o->value);
		free(h->note[o->slot]);
		h->note[o->slot] = NULL;
		if (o->slot == S_REPORTING)
			hire_set(h, S_REPORTING_NAME, NULL);
		if (o->slot == S_LOCATION)
			hire_set(h, S_LOCATION_CITY, NULL);
		if (o->slot == S_FIRST || o->slot == S_MIDDLE || o->slot == S_LAST) {
			h->review = false; /* a person has looked at the name */
			h->name_overridden = true;
		}
	}
}

/* Check every mapped field; the reasons go into h->reasons. */
static void validate(const struct transform_ctx *c, struct hire *h)
{
	static const int slots[] = { S_START, S_FIRST, S_MIDDLE, S_LAST,      S_EMAIL,
				     S_PHONE, S_TITLE, S_DEPT,	 S_REPORTING, S_LOCATION };
	const struct pipeline_field_map *fm;
	size_t i;

	/* The name as Ashby gives it: the split treats CR and LF as spaces, so look
	 * before the split hides them. A reviewer's name override stands instead. */
	if (!h->name_overridden) {
		char why[96];

		if (h->name_nul)
			hire_reject(h, "name", "name contains a NUL byte (U+0000)");
		else if (h->name_src &&
			 text_problem(h->name_src, strlen(h->name_src), 0, why, sizeof(why)))
			hire_reject(h, "name", "name %s", why);
	}
	for (i = 0; i < sizeof(slots) / sizeof(slots[0]); i++) {
		int s = slots[i];
		char why[96];

		fm = &c->p->fields[slot_field[s]];
		if (!fm->enabled)
			continue;
		/* Names and identifiers go to Humaans and to a reviewer's terminal: one with a
		 * control character (an override's included) is set aside, never cleaned. */
		if (h->nul & (1u << s))
			hire_reject(h, slot_names[s], "%s contains a NUL byte (U+0000)",
				    slot_names[s]);
		else if (h->v[s] && text_problem(h->v[s], strlen(h->v[s]), 0, why, sizeof(why)))
			hire_reject(h, slot_names[s], "%s %s", slot_names[s], why);
		else if (h->v[s] && h->note[s])
			hire_reject(h, slot_names[s], "%s", h->note[s]);
		else if (!h->v[s] && fm->required)
			hire_reject(h, slot_names[s], "%s", h->note[s] ? h->note[s] : "no value");
	}
	fm = &c->p->fields[PF_SALARY];
	if (!fm->enabled)
		return;
	if (h->v[S_SAL_AMOUNT] && h->note[S_SAL_AMOUNT])
		hire_reject(h, "salary", "%s", h->note[S_SAL_AMOUNT]);
	if (h->v[S_SAL_CURRENCY] && h->note[S_SAL_CURRENCY])
		hire_reject(h, "salary", "%s", h->note[S_SAL_CURRENCY]);
	if (!h->v[S_SAL_AMOUNT] && !h->v[S_SAL_CURRENCY]) {
		if (fm->required)
			hire_reject(h, "salary", "%s",
				    h->note[S_SAL_AMOUNT] ? h->note[S_SAL_AMOUNT] : "no salary");
	} else if (!h->v[S_SAL_AMOUNT]) {
		hire_reject(h, "salary", "%s",
			    h->note[S_SAL_AMOUNT] ? h->note[S_SAL_AMOUNT] : "salary has no amount");
	} else if (!h->v[S_SAL_CURRENCY]) {
		hire_reject(h, "salary", "%s",
			    h->note[S_SAL_CURRENCY] ? h->note[S_SAL_CURRENCY]
						    : "salary has no currency");
	}
}

static bool on(const struct transform_ctx *c, enum pipeline_field f)
{
	return c->p->fields[f].enabled;
}

static void put(json_t *obj, const char *key, const char *value)
{
	if (value)
		json_object_set_new(obj, key, json_string(value));
}

static json_t *hire_record(const struct transform_ctx *c, struct hire *h)
{
	json_t *rec = json_object(), *person = json_object(), *role = json_object();
	const json_t *file;
	char date[11];

	put(rec, "id", h->id);
	put(rec, "candidateId", h->candidate_id);
	put(rec, "name", h->name ? h->name : "");
	if (h->review) {
		char *r = xasprintf("split of %zu words: check the name", h->words);

		put(rec, "review", r);
		free(r);
	}
	if (h->warnings)
		json_object_set(rec, "warnings", h->warnings);

	put(person, "status", "newHire");
	put(person, "firstName", h->v[S_FIRST]);
	if (on(c, PF_MIDDLE_NAME))
		put(person, "middleName", h->v[S_MIDDLE]);
	put(person, "lastName", h->v[S_LAST]);
	put(person, "personalEmail", h->v[S_EMAIL]);
	if (on(c, PF_PERSONAL_PHONE))
		put(person, "personalPhoneNumber", h->v[S_PHONE]);
	put(person, "employmentStartDate", h->v[S_START]);
	if (h->person_extra)
		json_object_update(person, h->person_extra);
	json_object_set_new(rec, "person", person);

	put(role, "jobTitle", h->v[S_TITLE]);
	if (on(c, PF_DEPARTMENT))
		put(role, "department", h->v[S_DEPT]);
	json_object_set_new(rec, "jobRole", role);

	if (on(c, PF_REPORTING_TO) && h->v[S_REPORTING]) {
		json_t *m = json_object();

		put(m, "email", h->v[S_REPORTING]);
		put(m, "name", h->v[S_REPORTING_NAME]);
		json_object_set_new(rec, "reportingTo", m);
	}
	if (on(c, PF_LOCATION) && h->v[S_LOCATION]) {
		json_t *l = json_object();

		put(l, "name", h->v[S_LOCATION]);
		put(l, "city", h->v[S_LOCATION_CITY]);
		json_object_set_new(rec, "location", l);
	}
	if (on(c, PF_SALARY) && h->v[S_SAL_AMOUNT]) {
		json_t *s = json_object();

		put(s, "amount", h->v[S_SAL_AMOUNT]);
		put(s, "currency", h->v[S_SAL_CURRENCY]);
		put(s, "period", c->p->salary_period);
		put(s, "effectiveDate", h->v[S_START]);
		json_object_set_new(rec, "salary", s);
	}
	if (h->custom_values)
		json_object_set(rec, "customValues", h->custom_values);

	file = json_is_object(h->file) ? h->file : NULL;
	if (c->p->offer_letter && json_get_str(file, "path")) {
		json_t *docs = json_array(), *d = json_object();
		const char *issued = json_get_str(h->offer, "decidedAt");

		if (!issued || transform_date(issued, date) < 0)
			issued = json_get_str(json_get_obj(h->offer, "latestVersion"), "createdAt");
		put(d, "documentType", c->p->offer_letter_type);
		put(d, "name",
		    json_get_str(file, "name") ? json_get_str(file, "name")
					       : json_get_str(file, "path"));
		put(d, "path", json_get_str(file, "path"));
		put(d, "sha256", json_get_str(file, "sha256"));
		if (issued && transform_date(issued, date) == 0)
			put(d, "issueDate", date);
		json_array_append_new(docs, d);
		json_object_set_new(rec, "documents", docs);
	}
	return rec;
}

bool transform_app_hired(const json_t *app)
{
	const char *st = json_get_str(app, "status");

	return !st || strcmp(st, "Hired") == 0;
}

const char *transform_app_candidate_id(const json_t *app)
{
	const char *id = json_get_str(json_get_obj(app, "candidate"), "id");

	return id ? id : json_get_str(app, "candidateId");
}

const char *transform_app_job_id(const json_t *app)
{
	const char *id = json_get_str(json_get_obj(app, "job"), "id");

	return id ? id : json_get_str(app, "jobId");
}

int transform_application(const struct transform_ctx *c, const struct transform_input *in,
			  json_t **out)
{
	const json_t *ac = json_get_obj(in->app, "candidate");
	struct hire h;
	int hired;

	memset(&h, 0, sizeof(h));
	buf_init(&h.fields, 0);
	buf_init(&h.reasons, 0);
	h.app = in->app;
	h.id = json_get_str(h.app, "id");
	h.cand = in->candidate ? in->candidate : ac;
	h.candidate_id = json_get_str(h.cand, "id") ? json_get_str(h.cand, "id")
						    : transform_app_candidate_id(h.app);
	h.name = json_get_str(h.cand, "name") ? json_get_str(h.cand, "name")
					      : json_get_str(ac, "name");
	h.name_nul = has_nul(str_at(h.cand, "name") ? str_at(h.cand, "name") : str_at(ac, "name"));
	h.job = in->job ? in->job : json_get_obj(h.app, "job");
	h.offer = pick_offer(in->offers);
	h.file = in->file;

	map_names(c, &h);
	map_contact(&h);
	map_offer(c, &h);
	map_job(c, &h);
	map_custom(c, &h);
	apply_overrides(c, &h);
	validate(c, &h);

	hired = h.reasons.len == 0;
	if (!hired) {
		json_t *r = json_object();

		put(r, "id", h.id);
		put(r, "candidate", h.name ? h.name : "");
		put(r, "fields", h.fields.data);
		put(r, "reason", h.reasons.data);
		*out = r;
	} else {
		*out = hire_record(c, &h);
	}
	hire_release(&h);
	return hired;
}

/* An application in the order of the outputs: by id, then by position in the file. */
struct app_ref {
	const char *id;	   /* borrowed from app, or owned (the stage's index) */
	const json_t *app; /* borrowed (transform_records), NULL in the stage */
	long off;	   /* the stage: where the application starts in its file */
	size_t seq;
};

/* By id, then by file position: stable, so the first of two equal ids stands. */
static int cmp_app_ref(const void *a, const void *b)
{
	const struct app_ref *x = a, *y = b;
	int c = strcmp(x->id, y->id);

	if (c)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int transform_records(const struct pipeline *p, const json_t *extract, const struct overrides *ov,
		      json_t **new_hires, json_t **rejects, struct err *e)
{
	const json_t *apps = arr_of(extract, "applications");
	const json_t *files = json_get_obj(json_get_obj(extract, "state"), "files");
	struct app_ref *sorted = NULL;
	json_t *hires = NULL, *rej = NULL, *el;
	json_t *cand_idx = NULL, *job_idx = NULL, *offer_idx = NULL;
	struct transform_ctx *c = NULL;
	size_t i, n = 0;
	int rc;

	*new_hires = *rejects = NULL;
	if ((rc = transform_ctx_new(&c, p, extract, ov, e)) < 0)
		goto out;
	cand_idx = index_by(arr_of(extract, "candidates"), "id");
	job_idx = index_by(arr_of(extract, "jobs"), "id");
	offer_idx = group_by(arr_of(extract, "offers"), "applicationId");
	sorted = xcalloc(json_array_size(apps) + 1, sizeof(*sorted));
	json_array_foreach (apps, i, el) {
		if (json_get_str(el, "id") && transform_app_hired(el))
			sorted[n++] = (struct app_ref){ json_get_str(el, "id"), el, 0, i };
	}
	qsort(sorted, n, sizeof(*sorted), cmp_app_ref);

	hires = json_array();
	rej = json_array();
	for (i = 0; i < n; i++) {
		struct transform_input in = { sorted[i].app, NULL, NULL, NULL, NULL };
		const char *id = sorted[i].id;
		json_t *rec;

		if (i > 0 && strcmp(id, sorted[i - 1].id) == 0)
			continue; /* the same application twice: the first one stands */
		if (transform_app_candidate_id(in.app))
			in.candidate =
				json_object_get(cand_idx, transform_app_candidate_id(in.app));
		if (transform_app_job_id(in.app))
			in.job = json_object_get(job_idx, transform_app_job_id(in.app));
		in.offers = json_object_get(offer_idx, id);
		in.file = json_object_get(files, id);
		if (transform_application(c, &in, &rec))
			json_array_append_new(hires, rec);
		else
			json_array_append_new(rej, rec);
	}
	*new_hires = hires;
	*rejects = rej;
	hires = rej = NULL;
out:
	json_decref(hires);
	json_decref(rej);
	json_decref(cand_idx);
	json_decref(job_idx);
	json_decref(offer_idx);
	free(sorted);
	transform_ctx_free(c);
	return rc;
}

/* ------------------------------------------------------------------ */
/* CSV views                                                           */

static const char *path_str(const json_t *rec, const char *path)
{
	return json_string_value(json_get_path(rec, path));
}

static const char *const hires_header[] = {
	"application_id", "first_name",	   "middle_name",     "last_name",  "personal_email",
	"personal_phone", "start_date",	   "job_title",	      "department", "reporting_to_email",
	"location",	  "salary_amount", "salary_currency", "review",	    NULL
};
static const char *const hires_paths[] = { "id",
					   "person.firstName",
					   "person.middleName",
					   "person.lastName",
					   "person.personalEmail",
					   "person.personalPhoneNumber",
					   "person.employmentStartDate",
					   "jobRole.jobTitle",
					   "jobRole.department",
					   "reportingTo.email",
					   "location.name",
					   "salary.amount",
					   "salary.currency",
					   "review",
					   NULL };
static const char *const rejects_header[] = { "application_id", "candidate", "fields", "reason",
					      NULL };
static const char *const rejects_cols[] = { "id", "candidate", "fields", "reason", NULL };

static void csv_row_strings(struct csv_writer *w, const char *const *cells)
{
	size_t k;

	for (k = 0; cells[k]; k++)
		csv_writer_field(w, cells[k]);
	csv_writer_end_row(w);
}

static void hires_csv_row(struct csv_writer *w, const json_t *rec)
{
	size_t k;

	for (k = 0; hires_paths[k]; k++)
		csv_writer_field(w, path_str(rec, hires_paths[k]));
	csv_writer_end_row(w);
}

static void rejects_csv_row(struct csv_writer *w, const json_t *rec)
{
	size_t k;

	for (k = 0; rejects_cols[k]; k++)
		csv_writer_field(w, json_get_str(rec, rejects_cols[k]));
	csv_writer_end_row(w);
}

void transform_hires_csv(const json_t *new_hires, struct buf *out)
{
	struct csv_writer w;
	json_t *rec;
	size_t i;

	csv_writer_init(&w);
	csv_row_strings(&w, hires_header);
	json_array_foreach (new_hires, i, rec)
		hires_csv_row(&w, rec);
	buf_add(out, w.out.data, w.out.len);
	csv_writer_release(&w);
}

void transform_rejects_csv(const json_t *rejects, struct buf *out)
{
	struct csv_writer w;
	json_t *rec;
	size_t i;

	csv_writer_init(&w);
	csv_row_strings(&w, rejects_header);
	json_array_foreach (rejects, i, rec)
		rejects_csv_row(&w, rec);
	buf_add(out, w.out.data, w.out.len);
	csv_writer_release(&w);
}

/* ------------------------------------------------------------------ */
/* The stage                                                           */

/*
 * The stage holds one application (and what it points to) at a time:
 * applications.json is read in file order, which extract writes sorted by id,
 * the order of the outputs; candidates, offers and jobs are re-read by offset
 * through id indexes, and so are the entries of state.json's "files" object.
 * Only the small reference lists (departments, locations, users,
 * custom_fields) are loaded whole. Beyond those, memory grows with the number
 * of hires only by the index entries (an id and an offset each).
 */

/* The raw contents of a JSON string, escapes kept (the opening quote already read). */
static int scan_string(FILE *f, struct buf *raw)
{
	int c;

	buf_reset(raw);
	while ((c = getc(f)) != EOF && c != '"') {
		buf_addc(raw, (char)c);
		if (c == '\\') {
			if ((c = getc(f)) == EOF)
				return -1;
			buf_addc(raw, (char)c);
		}
	}
	return c == EOF ? -1 : 0;
}

/* The member name from scan_string (caller frees); NULL when it is not a valid JSON string. */
static char *scan_key(const struct buf *raw)
{
	char *quoted, *key = NULL;
	json_t *v;

	if (!memchr(raw->data, '\\', raw->len))
		return xstrndup(raw->data, raw->len);
	quoted = xasprintf("\"%s\"", raw->data);
	v = json_loads(quoted, JSON_DECODE_ANY, NULL);
	if (json_is_string(v))
		key = xstrdup(json_string_value(v));
	json_decref(v);
	free(quoted);
	return key;
}

/*
 * extract/state.json's "files" (application id -> its offer letter), an
 * object of one entry per hire: indexed by offset rather than loaded.
 */
struct files_index {
	FILE *f;     /* extract/state.json; NULL when absent */
	json_t *idx; /* application id -> offset of its entry (owned) */
};

static int state_bad(FILE *f, const char *why, struct err *e)
{
	return err_set(e, ERR_INVALID, "extract/state.json: %s at byte %ld", why, ftell(f));
}

/*
 * Read the members of an object whose '{' was just read, refusing a name
 * seen twice (as JSON_REJECT_DUPLICATES would). With `idx`, record the offset
 * of each member's value under its name. At the top level (`top`), the
 * members of a "files" object go into fi->idx; every other value is skipped.
 */
static int scan_object(FILE *f, json_t *idx, bool top, struct files_index *fi, struct err *e)
{
	struct buf raw = BUF_INIT;
	json_t *seen = json_object();
	char *key = NULL;
	int rc = 0, c = rec_skip_ws(f);

	if (c == '}')
		goto out;
	for (;;) {
		if (c != '"' || scan_string(f, &raw) < 0 || !(key = scan_key(&raw))) {
			rc = state_bad(f, "malformed member name", e);
			goto out;
		}
		if (rec_skip_ws(f) != ':') {
			rc = state_bad(f, "':' expected", e);
			goto out;
		}
		if (json_object_get(seen, key)) {
			rc = err_set(e, ERR_INVALID, "extract/state.json: duplicate key '%s'", key);
			goto out;
		}
		json_object_set_new(seen, key, json_true());
		c = rec_skip_ws(f);
		if (c == EOF) {
			rc = state_bad(f, "premature end of input", e);
			goto out;
		}
		if (top && c == '{' && strcmp(key, "files") == 0) {
			rc = scan_object(f, fi->idx, false, fi, e);
		} else {
			ungetc(c, f);
			if (idx)
				json_object_set_new(idx, key, json_integer(ftell(f)));
			if (rec_skip_value(f) < 0)
				rc = state_bad(f, "premature end of input", e);
		}
		if (rc < 0)
			goto out;
		free(key);
		key = NULL;
		c = rec_skip_ws(f);
		if (c == '}')
			break;
		if (c != ',') {
			rc = state_bad(f, "',' or '}' expected", e);
			goto out;
		}
		c = rec_skip_ws(f);
	}
out:
	free(key);
	json_decref(seen);
	buf_release(&raw);
	return rc;
}

static void files_index_release(struct files_index *fi)
{
	if (fi->f)
		fclose(fi->f);
	json_decref(fi->idx);
}

/* Index extract/state.json (absent, or not an object: no files). Release with files_index_release(). */
static int files_index_init(struct files_index *fi, struct staging *s, struct err *e)
{
	int rc, c;

	fi->idx = json_object();
	fi->f = NULL;
	rc = staging_fopen(s, "extract/state.json", &fi->f, e);
	if (rc == ERR_NOTFOUND) {
		err_clear(e);
		return 0;
	}
	if (rc < 0)
		return rc;
	c = rec_skip_ws(fi->f);
	if (c == EOF)
		return state_bad(fi->f, "empty file", e);
	if (c != '{')
		return 0;
	return scan_object(fi->f, NULL, true, fi, e);
}

/* The "files" entry of application `id`: *out a new reference, NULL when there is none. */
static int files_index_get(struct files_index *fi, const char *id, json_t **out, struct err *e)
{
	const json_t *off = json_object_get(fi->idx, id);
	json_error_t jerr;

	*out = NULL;
	if (!off)
		return 0;
	if (fseek(fi->f, (long)json_integer_value(off), SEEK_SET) < 0)
		return err_set(e, ERR_IO, "extract/state.json: cannot seek: %s", strerror(errno));
	*out = json_loadf(fi->f,
			  JSON_DISABLE_EOF_CHECK | JSON_REJECT_DUPLICATES | JSON_DECODE_ANY |
				  JSON_ALLOW_NUL,
			  &jerr);
	if (!*out)
		return err_set(e, ERR_INVALID, "extract/state.json: files entry '%s': %s", id,
			       jerr.text);
	return 0;
}

/* An optional extract file: *r NULL when it is absent (it reads as empty). */
static int open_optional(struct staging *s, const char *relpath, struct rec_reader **r,
			 struct err *e)
{
	int rc = rec_reader_open(s, relpath, NULL, r, e);

	if (rc == ERR_NOTFOUND) {
		err_clear(e);
		*r = NULL;
		rc = 0;
	}
	return rc;
}

/* Records of `r` by their string `key`: id -> offset, the first record of an id standing (as index_by). */
static int index_first(struct rec_reader *r, const char *key, json_t **out, struct err *e)
{
	json_t *idx = json_object(), *rec = NULL;
	long off;
	int rc = 0;

	*out = NULL;
	while (r && (rc = rec_reader_next(r, &rec, &off, e)) == 1) {
		const char *id = json_get_str(rec, key);

		if (id && !json_object_get(idx, id))
			json_object_set_new(idx, id, json_integer(off));
		json_decref(rec);
	}
	if (r && rc == 0)
		rc = rec_reader_rewind(r, e);
	if (rc < 0) {
		json_decref(idx);
		return rc;
	}
	*out = idx;
	return 0;
}

/* The record `idx` maps `id` to: *out a new reference, NULL when there is none. */
static int lookup(struct rec_reader *r, const json_t *idx, const char *id, json_t **out,
		  struct err *e)
{
	int rc;

	*out = NULL;
	if (!r || !id)
		return 0;
	rc = rec_reader_find(r, idx, id, out, e);
	return rc < 0 ? rc : 0;
}

/* The offers of application `id` in file order: *out a new array, NULL when it has none. */
static int lookup_offers(struct rec_reader *r, const json_t *idx, const char *id, json_t **out,
			 struct err *e)
{
	const json_t *offs = r ? json_object_get(idx, id) : NULL;
	json_t *list, *el, *rec;
	size_t i;
	int rc;

	*out = NULL;
	if (!offs)
		return 0;
	list = json_array();
	json_array_foreach (offs, i, el) {
		if ((rc = rec_reader_at(r, (long)json_integer_value(el), &rec, e)) < 0) {
			json_decref(list);
			return rc;
		}
		json_array_append_new(list, rec);
	}
	*out = list;
	return 0;
}

static bool overrides_name(const struct overrides *ov, const char *app_id)
{
	size_t i;

	for (i = 0; ov && i < ov->n; i++)
		if (strcmp(ov->v[i].app_id, app_id) == 0)
			return true;
	return false;
}

/*
 * The Hired applications of extract/applications.json in id order, one at a
 * time. When the file is in id order (extract writes it so) it is read
 * straight through; else an index of (id, offset) sorted by id is read by
 * offset. Of two applications with the same id the first in the file stands.
 */
struct app_stream {
	struct rec_reader *r;  /* owned */
	struct app_ref *order; /* NULL: read straight through (owned, ids owned) */
	size_t n, next;
	char *last; /* the id of the application returned last (owned) */
};

static void app_stream_release(struct app_stream *as)
{
	size_t i;

	for (i = 0; i < as->n; i++)
		free((char *)as->order[i].id);
	free(as->order);
	free(as->last);
	rec_reader_close(as->r);
}

/*
 * A first pass over the applications: whether the Hired ones are in id order,
 * how many applications are Hired (or have no status: sum->hired), and which
 * of them overrides.csv names (appended to `named` as {"id": ...}, what
 * overrides_describe() needs). Then the index, if the order needs one.
 */
static int app_stream_scan(struct app_stream *as, const struct overrides *ov,
			   struct transform_summary *sum, json_t *named, struct err *e)
{
	json_t *app = NULL;
	char *prev = NULL;
	bool sorted = true;
	size_t cap = 0, seq = 0;
	long off;
	int rc;

	while ((rc = rec_reader_next(as->r, &app, NULL, e)) == 1) {
		const char *id = json_get_str(app, "id");
		bool hired = transform_app_hired(app);

		sum->hired += hired;
		if (id && overrides_name(ov, id) && !json_array_find(named, "id", id))
			json_array_append_new(named, json_pack("{ss}", "id", id));
		if (id && hired) {
			if (prev && strcmp(id, prev) < 0)
				sorted = false;
			free(prev);
			prev = xstrdup(id);
		}
		json_decref(app);
	}
	free(prev);
	if (rc == 0)
		rc = rec_reader_rewind(as->r, e);
	if (rc < 0 || sorted)
		return rc;

	log_info("transform: extract/applications.json is not in id order: reading it by index");
	while ((rc = rec_reader_next(as->r, &app, &off, e)) == 1) {
		const char *id = json_get_str(app, "id");

		if (id && transform_app_hired(app)) {
			if (as->n == cap) {
				cap = cap ? 2 * cap : 64;
				as->order = xrealloc(as->order, cap * sizeof(*as->order));
			}
			as->order[as->n++] = (struct app_ref){ xstrdup(id), NULL, off, seq };
		}
		seq++;
		json_decref(app);
	}
	if (rc == 0)
		rc = rec_reader_rewind(as->r, e);
	if (as->n)
		qsort(as->order, as->n, sizeof(*as->order), cmp_app_ref);
	return rc;
}

/* The next Hired application (new reference): 1 and *out, 0 at the end. */
static int app_stream_next(struct app_stream *as, json_t **out, struct err *e)
{
	json_t *app = NULL;
	const char *id;
	int rc;

	*out = NULL;
	for (;;) {
		if (as->order) {
			if (as->next == as->n)
				return 0;
			id = as->order[as->next].id;
			if (as->last && strcmp(as->last, id) == 0) {
				as->next++;
				continue; /* the same application twice: the first one stands */
			}
			rc = rec_reader_at(as->r, as->order[as->next++].off, &app, e);
			if (rc < 0)
				return rc;
		} else {
			rc = rec_reader_next(as->r, &app, NULL, e);
			if (rc <= 0)
				return rc;
			id = json_get_str(app, "id");
			if (!id || !transform_app_hired(app) ||
			    (as->last && strcmp(as->last, id) == 0)) {
				json_decref(app);
				continue;
			}
		}
		id = json_get_str(app, "id");
		free(as->last);
		as->last = xstrdup(id);
		*out = app;
		return 1;
	}
}

/* Append what `w` holds to `out` and empty it. */
static int csv_flush(struct csv_writer *w, struct rec_writer *out, struct err *e)
{
	int rc = rec_writer_text(out, w->out.data, w->out.len, e);

	buf_reset(&w->out);
	return rc;
}

/* The sources of one application, looked up and released by the stage. */
struct app_sources {
	struct rec_reader *cands, *offers, *jobs; /* NULL when the file is absent (owned) */
	json_t *cand_idx, *offer_idx, *job_idx;	  /* owned */
	struct files_index files;
};

static void app_sources_release(struct app_sources *src)
{
	rec_reader_close(src->cands);
	rec_reader_close(src->offers);
	rec_reader_close(src->jobs);
	json_decref(src->cand_idx);
	json_decref(src->offer_idx);
	json_decref(src->job_idx);
	files_index_release(&src->files);
}

static int app_sources_init(struct app_sources *src, struct staging *s, struct err *e)
{
	int rc;

	memset(src, 0, sizeof(*src));
	if ((rc = open_optional(s, "extract/candidates.json", &src->cands, e)) < 0 ||
	    (rc = open_optional(s, "extract/offers.json", &src->offers, e)) < 0 ||
	    (rc = open_optional(s, "extract/jobs.json", &src->jobs, e)) < 0)
		return rc;
	if ((rc = index_first(src->cands, "id", &src->cand_idx, e)) < 0 ||
	    (rc = index_first(src->jobs, "id", &src->job_idx, e)) < 0)
		return rc;
	if (src->offers)
		rc = rec_reader_index(src->offers, "applicationId", true, &src->offer_idx, e);
	else
		src->offer_idx = json_object();
	if (rc < 0)
		return rc;
	return files_index_init(&src->files, s, e);
}

/* Map `app` with what it points to: 1 and *out a hire, 0 and *out a reject. */
static int map_application(const struct transform_ctx *c, struct app_sources *src,
			   const json_t *app, json_t **out, struct err *e)
{
	struct transform_input in = { app, NULL, NULL, NULL, NULL };
	json_t *cand = NULL, *offers = NULL, *job = NULL, *file = NULL;
	const char *id = json_get_str(app, "id");
	int rc;

	*out = NULL;
	if ((rc = lookup(src->cands, src->cand_idx, transform_app_candidate_id(app), &cand, e)) <
		    0 ||
	    (rc = lookup(src->jobs, src->job_idx, transform_app_job_id(app), &job, e)) < 0 ||
	    (rc = lookup_offers(src->offers, src->offer_idx, id, &offers, e)) < 0 ||
	    (rc = files_index_get(&src->files, id, &file, e)) < 0)
		goto out;
	in.candidate = cand;
	in.offers = offers;
	in.job = job;
	in.file = file;
	rc = transform_application(c, &in, out);
out:
	json_decref(cand);
	json_decref(offers);
	json_decref(job);
	json_decref(file);
	return rc;
}

/* The reference lists, loaded whole (a few records each): a new object. */
static int load_refs(struct staging *s, json_t **out, struct err *e)
{
	static const char *const names[] = { "departments", "locations", "users", "custom_fields",
					     NULL };
	json_t *refs = json_object();
	size_t i;
	int rc = 0;

	*out = NULL;
	for (i = 0; names[i]; i++) {
		char path[64];
		json_t *v = NULL;

		snprintf(path, sizeof(path), "extract/%s.json", names[i]);
		rc = snapshot_read_json(s, path, &v, e);
		if (rc == ERR_NOTFOUND) {
			err_clear(e);
			rc = 0;
			v = json_array();
		}
		if (rc < 0)
			break;
		json_object_set_new(refs, names[i], v);
	}
	if (rc < 0)
		json_decref(refs);
	else
		*out = refs;
	return rc;
}

int transform_write(struct staging *s, const struct pipeline *p, const struct overrides *ov,
		    struct transform_summary *sum, struct buf *body, struct err *e)
{
	struct app_stream as = { NULL, NULL, 0, 0, NULL };
	struct app_sources src;
	struct transform_ctx *c = NULL;
	struct rec_writer *wj = NULL, *wh = NULL, *wr = NULL;
	struct csv_writer ch, cr;
	json_t *refs = NULL, *named = json_array(), *app = NULL, *rec = NULL;
	int rc;

	memset(sum, 0, sizeof(*sum));
	memset(&src, 0, sizeof(src));
	csv_writer_init(&ch);
	csv_writer_init(&cr);
	rc = rec_reader_open(s, "extract/applications.json", NULL, &as.r, e);
	if (rc == ERR_NOTFOUND)
		rc = err_set(e, ERR_NOTFOUND,
			     "extract/applications.json not found: run 'ashby2humaans extract' "
			     "first");
	if (rc < 0)
		goto out;
	if ((rc = app_sources_init(&src, s, e)) < 0 || (rc = load_refs(s, &refs, e)) < 0 ||
	    (rc = transform_ctx_new(&c, p, refs, ov, e)) < 0 ||
	    (rc = app_stream_scan(&as, ov, sum, named, e)) < 0)
		goto out;

	if ((rc = rec_writer_begin(s, "transform/new_hires.json", &wj, e)) < 0 ||
	    (rc = rec_writer_begin_text(s, "transform/new_hires.csv", &wh, e)) < 0 ||
	    (rc = rec_writer_begin_text(s, "transform/rejects.csv", &wr, e)) < 0)
		goto out;
	csv_row_strings(&ch, hires_header);
	csv_row_strings(&cr, rejects_header);
	while ((rc = app_stream_next(&as, &app, e)) == 1) {
		if ((rc = map_application(c, &src, app, &rec, e)) < 0)
			goto out;
		if (rc == 1) {
			sum->hires++;
			sum->review += json_object_get(rec, "review") != NULL;
			hires_csv_row(&ch, rec);
			if ((rc = rec_writer_add(wj, rec, e)) < 0 ||
			    (rc = csv_flush(&ch, wh, e)) < 0)
				goto out;
		} else {
			sum->rejects++;
			log_warn("transform: set aside %s (%s): %s", json_get_str(rec, "id"),
				 json_get_str(rec, "candidate"), json_get_str(rec, "reason"));
			rejects_csv_row(&cr, rec);
			if ((rc = csv_flush(&cr, wr, e)) < 0)
				goto out;
		}
		json_decref(rec);
		json_decref(app);
		rec = app = NULL;
	}
	if (rc < 0 || (rc = csv_flush(&ch, wh, e)) < 0 || (rc = csv_flush(&cr, wr, e)) < 0)
		goto out;
	rc = rec_writer_finish(wj, NULL, e);
	wj = NULL;
	if (rc == 0)
		rc = rec_writer_finish(wh, NULL, e);
	wh = NULL;
	if (rc == 0)
		rc = rec_writer_finish(wr, NULL, e);
	wr = NULL;
	if (rc < 0)
		goto out;

	if (overrides_count(ov)) {
		buf_adds(body, "Overrides applied (overrides.csv):\n");
		sum->unmatched = overrides_describe(ov, named, body);
	}
out:
	rec_writer_abort(wj);
	rec_writer_abort(wh);
	rec_writer_abort(wr);
	json_decref(rec);
	json_decref(app);
	json_decref(named);
	json_decref(refs);
	csv_writer_release(&ch);
	csv_writer_release(&cr);
	transform_ctx_free(c);
	app_sources_release(&src);
	app_stream_release(&as);
	return rc;
}

int transform_stage(struct run *r, struct err *e)
{
	struct buf text = BUF_INIT, body = BUF_INIT;
	struct pipeline *p = NULL;
	struct overrides *ov = NULL;
	struct transform_summary sum;
	static const char *const paths[] = { "transform/", NULL };
	char subject[128], nh[32], nr[32], nrev[32], oid[41];
	struct trailer tr[4];
	bool committed = false;
	int rc;

	if ((rc = staging_read(r->stg, "pipeline.json", &text, e)) < 0)
		goto out;
	if ((rc = pipeline_parse(&p, text.data, text.len, "pipeline.json", e)) < 0)
		goto out;
	buf_reset(&text);
	rc = staging_read(r->stg, "overrides.csv", &text, e);
	if (rc == 0)
		rc = overrides_parse(&ov, text.data, text.len, "overrides.csv", e);
	else if (rc == ERR_NOTFOUND) {
		err_clear(e);
		rc = 0;
	}
	if (rc < 0)
		goto out;
	if ((rc = transform_write(r->stg, p, ov, &sum, &body, e)) < 0)
		goto out;
	if (sum.unmatched)
		log_warn("transform: %zu override(s) in overrides.csv match no hired application",
			 sum.unmatched);

	snprintf(subject, sizeof(subject), "transform: %zu hires, %zu set aside, %zu to review",
		 sum.hires, sum.rejects, sum.review);
	snprintf(nh, sizeof(nh), "%zu", sum.hires);
	snprintf(nr, sizeof(nr), "%zu", sum.rejects);
	snprintf(nrev, sizeof(nrev), "%zu", sum.review);
	tr[0] = (struct trailer){ "Hires", nh };
	tr[1] = (struct trailer){ "Rejected", nr };
	tr[2] = (struct trailer){ "Review", nrev };
	tr[3] = (struct trailer){ "Pipeline-Sha256", pipeline_sha256_hex(p) };
	if ((rc = staging_commit(r->stg, paths, "transform", r->id, subject,
				 body.len ? body.data : NULL, tr, 4, oid, &committed, e)) < 0)
		goto out;
	if (committed)
		r->committed = true;
	r->counts.extracted = (long)sum.hired;
	r->counts.rejected = (long)sum.rejects;
	run_stage_done(r, "transform");
	log_info("transform: %zu hires, %zu set aside, %zu to review%s", sum.hires, sum.rejects,
		 sum.review, committed ? "" : " (unchanged)");
out:
	overrides_free(ov);
	pipeline_free(p);
	buf_release(&body);
	buf_release(&text);
	return rc;
}
