/*
 * plan-keep.c: what plan keeps of the Humaans records as their pages arrive
 * (hstate_keep, stages/hstate.h). Each record is fingerprinted whole by
 * hstate first; the planner then needs only the fields it compares: of a
 * person those the hires' person sections name and the few matching reads,
 * of a person's job roles the current one, of compensations those of the
 * salary type (their salary fields), of custom values the last of each field.
 */
#include "config.h"

#include "stages/plan/plan-int.h"

#include <string.h>

#include "base/jsonutil.h"

/* Person fields the planner reads besides the hires' person keys (matching, displays). */
static const char *const person_fields[] = {
	"id",	     "status",	 "personalEmail", "email",
	"firstName", "lastName", "locationId",	  "employmentStartDate"
};
static const char *const role_fields[] = { "id", "personId", "effectiveDate", "createdAt",
					   "reportingTo" };
static const char *const comp_fields[] = { "id",       "personId", "compensationTypeId", "amount",
					   "currency", "period",   "effectiveDate" };
static const char *const cv_fields[] = { "id", "personId", "customFieldId", "value" };

#define NFIELDS(a) (sizeof(a) / sizeof((a)[0]))

void plan_keep_init(struct plan_keep *k)
{
	size_t i;

	memset(k, 0, sizeof(*k));
	k->person_keys = json_object();
	k->role_keys = json_object();
	for (i = 0; i < NFIELDS(person_fields); i++)
		json_object_set_new(k->person_keys, person_fields[i], json_true());
	for (i = 0; i < NFIELDS(role_fields); i++)
		json_object_set_new(k->role_keys, role_fields[i], json_true());
}

void plan_keep_hire(struct plan_keep *k, const json_t *hire)
{
	const char *key;
	json_t *v;

	json_object_foreach ((json_t *)json_get_obj(hire, "person"), key, v)
		json_object_set_new(k->person_keys, key, json_true());
	json_object_foreach ((json_t *)json_get_obj(hire, "jobRole"), key, v)
		json_object_set_new(k->role_keys, key, json_true());
}

void plan_keep_release(struct plan_keep *k)
{
	json_decref(k->person_keys);
	json_decref(k->role_keys);
	memset(k, 0, sizeof(*k));
}

/* The members of `rec` named in `keys` (an object) (new object). */
static json_t *project(const json_t *rec, const json_t *keys)
{
	json_t *out = json_object(), *v;
	const char *key;

	json_object_foreach ((json_t *)keys, key, v) {
		json_t *have = json_object_get(rec, key);

		if (have)
			json_object_set(out, key, have);
	}
	return out;
}

/* The same for a list of names. */
static json_t *project_names(const json_t *rec, const char *const *names, size_t n)
{
	json_t *out = json_object();
	size_t i;

	for (i = 0; i < n; i++)
		if (json_object_get(rec, names[i]))
			json_object_set(out, names[i], json_object_get(rec, names[i]));
	return out;
}

static json_t *keep_person(void *ctx, const json_t *person)
{
	return project(person, ((struct plan_keep *)ctx)->person_keys);
}

/* The last custom value of each field (compared ignoring case, as the planner does). */
static json_t *keep_custom_values(const json_t *records)
{
	json_t *kept = json_array(), *el, *have;
	size_t i, j;

	json_array_foreach (records, i, el) {
		const char *fid = json_get_str(el, "customFieldId");

		if (!fid)
			continue;
		json_array_foreach (kept, j, have)
			if (plan_str_ieq(json_get_str(have, "customFieldId"), fid))
				break;
		if (j < json_array_size(kept))
			json_array_set_new(kept, j,
					   project_names(el, cv_fields, NFIELDS(cv_fields)));
		else
			json_array_append_new(kept,
					      project_names(el, cv_fields, NFIELDS(cv_fields)));
	}
	return kept;
}

static json_t *keep_set(void *ctx, const char *res, const char *pid, const json_t *records)
{
	struct plan_keep *k = ctx;
	json_t *kept = json_array(), *el;
	size_t i;

	if (strcmp(res, "job-roles") == 0) {
		const json_t *role = plan_current_role(records, pid);

		if (role)
			json_array_append_new(kept, project(role, k->role_keys));
	} else if (strcmp(res, "compensations") == 0) {
		const json_t *type = plan_salary_type(k->hs->compensation_types);

		json_array_foreach (records, i, el)
			if (type && plan_str_ieq(json_get_str(el, "compensationTypeId"),
						 json_get_str(type, "id")))
				json_array_append_new(
					kept, project_names(el, comp_fields, NFIELDS(comp_fields)));
	} else if (strcmp(res, "custom-values") == 0) {
		json_decref(kept);
		kept = keep_custom_values(records);
	}
	return kept;
}

void plan_keep_hooks(struct plan_keep *k, const struct hstate *hs, struct hstate_keep *out)
{
	k->hs = hs;
	out->person = keep_person;
	out->set = keep_set;
	out->ctx = k;
}
