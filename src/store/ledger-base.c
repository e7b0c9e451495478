/* ledger-base: folding completed plan steps into a ledger entry's base (ledger-base.h). */
#include "config.h"

#include "store/ledger-base.h"

#include <string.h>

#include "base/jsonutil.h"

/* base[key] as an object, created when absent (borrowed). */
static json_t *member_obj(json_t *base, const char *key)
{
	json_t *o = json_object_get(base, key);

	if (!json_is_object(o)) {
		o = json_object();
		json_object_set_new(base, key, o);
	}
	return o;
}

/* Copy the members of `from` into `to`, except those named in `skip` (NULL-terminated). */
static void merge_except(json_t *to, const json_t *from, const char *const *skip)
{
	const char *k;
	json_t *v;
	size_t i;

	json_object_foreach ((json_t *)from, k, v) {
		for (i = 0; skip[i]; i++)
			if (strcmp(skip[i], k) == 0)
				break;
		if (!skip[i])
			json_object_set(to, k, v);
	}
}

static void fold_salary(json_t *base, const json_t *body)
{
	static const char *const keys[] = { "amount", "currency", "period", "effectiveDate" };
	json_t *s = member_obj(base, "salary");
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		json_t *v = json_object_get(body, keys[i]);

		if (v)
			json_object_set(s, keys[i], v);
	}
}

void ledger_base_step(json_t *base, const json_t *steps, size_t i)
{
	static const char *const person_skip[] = { "status", "jobRole", NULL };
	static const char *const role_skip[] = { "personId", "effectiveDate", NULL };
	static const char *const none[] = { NULL };
	const json_t *st = json_array_get(steps, i), *body = json_get_obj(st, "body");
	const char *op = json_get_str(st, "op");

	if (!op || !json_is_object(base))
		return;
	if (strcmp(op, "createPerson") == 0 && body) {
		json_t *p = json_object();

		merge_except(p, body, person_skip);
		json_object_set_new(base, "person", p);
		if (json_get_obj(body, "jobRole")) {
			json_t *r = json_object();

			merge_except(r, json_get_obj(body, "jobRole"), role_skip);
			json_object_set_new(base, "jobRole", r);
		}
	} else if (strcmp(op, "updatePerson") == 0 && body) {
		merge_except(member_obj(base, "person"), body, none);
	} else if (strcmp(op, "createJobRole") == 0 && body) {
		json_t *r = json_object();

		merge_except(r, body, role_skip);
		json_object_set_new(base, "jobRole", r);
	} else if (strcmp(op, "updateJobRole") == 0 && body) {
		merge_except(member_obj(base, "jobRole"), body, role_skip);
	} else if ((strcmp(op, "createCompensation") == 0 ||
		    strcmp(op, "updateCompensation") == 0) &&
		   body) {
		fold_salary(base, body);
	} else if (strcmp(op, "createCustomValue") == 0 || strcmp(op, "updateCustomValue") == 0) {
		const char *fid = json_get_str(body, "customFieldId");
		json_t *v = json_object_get(body, "value");

		if (!fid)
			fid = json_get_str(st, "customFieldId");
		if (fid && v)
			json_object_set(member_obj(base, "customValues"), fid, v);
	} else if (strcmp(op, "createDocument") == 0 && i > 0) {
		const json_t *up = json_array_get(steps, i - 1);
		const char *sha = json_get_str(up, "sha256");

		if (sha &&
		    strcmp(json_get_str(up, "op") ? json_get_str(up, "op") : "", "uploadFile") == 0)
			json_object_set_new(base, "letter", json_string(sha));
	}
}

json_t *ledger_base_of_steps(const json_t *steps)
{
	json_t *base = json_object();
	size_t i;

	for (i = 0; i < json_array_size(steps); i++)
		ledger_base_step(base, steps, i);
	return base;
}
