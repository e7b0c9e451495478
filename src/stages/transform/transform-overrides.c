#include "config.h"

#include "stages/transform.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/jsonutil.h"
#include "base/xalloc.h"
#include "store/snapshot.h"
#include "stages/transform/transform-int.h"

/* ------------------------------------------------------------------ */
/* overrides.csv                                                       */

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
	for (i = 0; i < OV__COUNT; i++)
		if (strcmp(transform_slot_names[i], field) == 0)
			o.slot = (int)i;
	if (o.slot < 0) {
		struct buf b = BUF_INIT;

		for (i = 0; i < OV__COUNT; i++)
			buf_addf(&b, "%s%s", i ? ", " : "", transform_slot_names[i]);
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
	free(ov);
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

		buf_addf(out, "  %s %s: %s%s\n", o->app_id, transform_slot_names[o->slot],
			 o->value ? o->value : "(cleared)",
			 known ? "" : " (no such hired application: ignored)");
		unmatched += !known;
	}
	return unmatched;
}
