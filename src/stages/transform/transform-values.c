#include "config.h"

#include "stages/transform.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/jsonutil.h"
#include "base/syntax.h"
#include "base/text.h"
#include "base/xalloc.h"
#include "stages/transform/transform-int.h"

/* ------------------------------------------------------------------ */
/* Conversions                                                         */

bool transform_has_nul(const json_t *v)
{
	return json_is_string(v) && strlen(json_string_value(v)) != json_string_length(v);
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
char *transform_value_repr(const json_t *v)
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
		    syntax_date(s, date) == 0)
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
		if (json_is_string(value) && syntax_date(json_string_value(value), date) == 0)
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
		if (json_is_object(value) && syntax_currency_valid(str) &&
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

		repr = transform_value_repr(value);
		if (why)
			snprintf(why, whylen, "value %s %s", repr, what[type]);
		rc = ERR_INVALID;
	}
	*out = r;
	free(repr);
	return rc;
}
