#include "config.h"

#include "stages/transform.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/jsonutil.h"
#include "base/text.h"
#include "base/xalloc.h"
#include "stages/transform/transform-int.h"

/* The pipeline field each slot belongs to. */
const enum pipeline_field transform_slot_field[S__COUNT] = {
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

void hire_set(struct hire *h, int slot, const char *value)
{
	free(h->v[slot]);
	h->v[slot] = value ? xstrdup(value) : NULL;
}

void hire_note(struct hire *h, int slot, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	free(h->note[slot]);
	h->note[slot] = buf_detach(&b, NULL);
}

void hire_reject(struct hire *h, const char *field, const char *fmt, ...)
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

void hire_warn(struct hire *h, const char *fmt, ...)
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

void hire_release(struct hire *h)
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

void hire_set_clean(struct hire *h, int slot, const char *value)
{
	free(h->v[slot]);
	h->v[slot] = clean(value);
}

void hire_validate(const struct transform_ctx *c, struct hire *h)
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

		fm = &c->p->fields[transform_slot_field[s]];
		if (!fm->enabled)
			continue;
		/* Names and identifiers go to Humaans and to a reviewer's terminal: one with a
		 * control character (an override's included) is set aside, never cleaned. */
		if (h->nul & (1u << s))
			hire_reject(h, override_field_name((enum override_field)s),
				    "%s contains a NUL byte (U+0000)",
				    override_field_name((enum override_field)s));
		else if (h->v[s] && text_problem(h->v[s], strlen(h->v[s]), 0, why, sizeof(why)))
			hire_reject(h, override_field_name((enum override_field)s), "%s %s",
				    override_field_name((enum override_field)s), why);
		else if (h->v[s] && h->note[s])
			hire_reject(h, override_field_name((enum override_field)s), "%s",
				    h->note[s]);
		else if (!h->v[s] && fm->required)
			hire_reject(h, override_field_name((enum override_field)s), "%s",
				    h->note[s] ? h->note[s] : "no value");
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
