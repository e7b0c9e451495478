/* plan: the three-way rule for one field (plan.h: sync_decide). Pure. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/jsonutil.h"
#include "base/money.h"
#include "stages/plan/plan-int.h"

static bool is_none(const json_t *v)
{
	return !v || json_is_null(v);
}

static bool str_nocase(const json_t *a, const json_t *b)
{
	return json_is_string(a) && json_is_string(b) &&
	       strcasecmp(json_string_value(a), json_string_value(b)) == 0;
}

static bool salary_equal(const json_t *a, const json_t *b)
{
	static const char *const exact[] = { "period", "effectiveDate" };
	size_t i;

	if (!json_is_object(a) || !json_is_object(b))
		return false;
	if (!sync_equal(SYNC_CMP_MONEY, json_object_get(a, "amount"),
			json_object_get(b, "amount")) ||
	    !sync_equal(SYNC_CMP_NOCASE, json_object_get(a, "currency"),
			json_object_get(b, "currency")))
		return false;
	for (i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
		if (!sync_equal(SYNC_CMP_EXACT, json_object_get(a, exact[i]),
				json_object_get(b, exact[i])))
			return false;
	return true;
}

bool sync_equal(enum sync_cmp how, const json_t *a, const json_t *b)
{
	if (is_none(a) || is_none(b))
		return is_none(a) && is_none(b);
	switch (how) {
	case SYNC_CMP_NOCASE:
		return str_nocase(a, b) || json_equal((json_t *)a, (json_t *)b);
	case SYNC_CMP_MONEY:
		return money_equal(a, b);
	case SYNC_CMP_SALARY:
		return salary_equal(a, b);
	case SYNC_CMP_EXACT:
	default:
		return json_equal((json_t *)a, (json_t *)b);
	}
}

enum sync_outcome sync_decide(enum sync_cmp how, const json_t *ashby, const json_t *humaans,
			      const json_t *base)
{
	if (sync_equal(how, ashby, humaans))
		return SYNC_SAME;
	if (!base)
		return SYNC_CONFLICT;
	if (sync_equal(how, humaans, base))
		return SYNC_ASHBY;
	if (sync_equal(how, ashby, base))
		return SYNC_KEEP;
	return SYNC_CONFLICT;
}

const json_t *plan_base_of(const json_t *entry, const char *sec, const char *key)
{
	const json_t *base = json_get_obj(entry, "base"), *s, *v;

	if (!base)
		return NULL;
	s = sec ? json_get_obj(base, sec) : base;
	v = s ? json_object_get(s, key) : NULL;
	if (v)
		return v;
	/* A base begun by this tool's create knows every field it did not write: null. */
	return json_is_true(json_object_get(base, "partial")) ? NULL : json_null();
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

void plan_field_conflict(json_t *op, const char *field, const char *base, bool base_known,
			 const char *ashby, const char *humaans)
{
	json_t *fc = json_object_get(op, "fieldConflicts"), *c = json_object();

	if (!json_is_array(fc)) {
		fc = json_array();
		json_object_set_new(op, "fieldConflicts", fc);
	}
	json_object_set_new(c, "field", json_string(field));
	json_object_set_new(c, "base", base_known ? str_or_null(base) : json_null());
	json_object_set_new(c, "ashby", str_or_null(ashby));
	json_object_set_new(c, "humaans", str_or_null(humaans));
	if (!base_known)
		json_object_set_new(c, "baseUnknown", json_true());
	json_array_append_new(fc, c);
}

void plan_field_conflict_v(json_t *op, const char *field, const json_t *base, const json_t *ashby,
			   const json_t *humaans)
{
	char *b = plan_disp(base), *a = plan_disp(ashby), *h = plan_disp(humaans);

	plan_field_conflict(op, field, b, base != NULL, a, h);
	free(b);
	free(a);
	free(h);
}

void plan_add_change_b(json_t *changes, const char *field, const char *before, const char *after,
		       const char *base)
{
	json_t *c;

	plan_add_change(changes, field, before, after);
	c = json_array_get(changes, json_array_size(changes) - 1);
	json_object_set_new(c, "base", str_or_null(base));
}

void plan_add_change_bv(json_t *changes, const char *field, const json_t *before,
			const json_t *after, const json_t *base)
{
	char *b = plan_disp(before), *a = plan_disp(after), *s = plan_disp(base);

	plan_add_change_b(changes, field, b, a, s);
	free(b);
	free(a);
	free(s);
}
