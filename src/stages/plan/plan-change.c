#include "config.h"

#include "stages/plan/plan-int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/jsonutil.h"
#include "base/money.h"
#include "base/xalloc.h"

/* The person's current job role: latest effectiveDate, then latest createdAt, then last listed. */
static const json_t *current_role(const json_t *roles, const char *pid)
{
	const json_t *best = NULL, *el;
	size_t i;

	json_array_foreach (roles, i, el) {
		const char *ep = json_get_str(el, "personId");
		int c;

		if (!ep || strcmp(ep, pid) != 0)
			continue;
		if (!best) {
			best = el;
			continue;
		}
		c = strcmp(json_get_str(el, "effectiveDate") ? json_get_str(el, "effectiveDate")
							     : "",
			   json_get_str(best, "effectiveDate") ? json_get_str(best, "effectiveDate")
							       : "");
		if (c == 0)
			c = strcmp(json_get_str(el, "createdAt") ? json_get_str(el, "createdAt")
								 : "",
				   json_get_str(best, "createdAt") ? json_get_str(best, "createdAt")
								   : "");
		if (c >= 0)
			best = el;
	}
	return best;
}

static bool value_equal(const char *key, const json_t *a, const json_t *b)
{
	if (strcmp(key, "personalEmail") == 0 || strcmp(key, "email") == 0)
		return json_is_string(a) && json_is_string(b) &&
		       strcasecmp(json_string_value(a), json_string_value(b)) == 0;
	if ((!a || json_is_null(a)) && (!b || json_is_null(b)))
		return true;
	return a && b && json_equal((json_t *)a, (json_t *)b);
}

/* The person fields and the location that differ: one PATCH /people/:id. */
static int change_person(struct planner *p, const json_t *hire, const json_t *cur, json_t *op)
{
	json_t *steps = json_object_get(op, "steps"), *changes = json_object_get(op, "changes"),
	       *warnings = json_object_get(op, "warnings");
	const json_t *person = json_get_obj(hire, "person"), *loc;
	const char *pid = json_get_str(cur, "id");
	json_t *patch = json_object();
	const char **keys;
	size_t i, n;
	char *path, *s, *t;

	keys = plan_sorted_keys(person, &n);
	for (i = 0; i < n; i++) {
		const json_t *w = json_object_get(person, keys[i]),
			     *h = json_object_get(cur, keys[i]);

		/* Status moves on in Humaans (newHire, active, ...): never sent back. */
		if (strcmp(keys[i], "status") == 0 || value_equal(keys[i], w, h))
			continue;
		json_object_set(patch, keys[i], (json_t *)w);
		plan_add_change_v(changes, keys[i], h, w);
	}
	free(keys);
	loc = plan_resolve_location(p, hire, warnings);
	if (p->e->code < 0) {
		json_decref(patch);
		return p->e->code;
	}
	if (loc && !plan_str_ieq(json_get_str(cur, "locationId"), json_get_str(loc, "id"))) {
		const char *was = json_get_str(cur, "locationId");
		const json_t *wl = was ? json_array_find(p->hs->locations, "id", was) : NULL;

		json_object_set_new(patch, "locationId", json_string(json_get_str(loc, "id")));
		s = wl ? plan_location_display(wl) : (was ? xstrdup(was) : NULL);
		t = plan_location_display(loc);
		plan_add_change(changes, "locationId", s, t);
		free(s);
		free(t);
	}
	if (json_object_size(patch)) {
		path = xasprintf("/people/%s", pid);
		json_array_append_new(steps, plan_step_new("updatePerson", "PATCH", path, patch));
		free(path);
	} else {
		json_decref(patch);
	}
	return 0;
}

/* Job role: the mapped fields against the current role; a new role when any differs. */
static int change_role(struct planner *p, const json_t *hire, const char *pid, json_t *op)
{
	json_t *steps = json_object_get(op, "steps"), *changes = json_object_get(op, "changes"),
	       *warnings = json_object_get(op, "warnings");
	const json_t *person = json_get_obj(hire, "person"), *jr = json_get_obj(hire, "jobRole");
	const json_t *mgr, *role;
	json_t *want;
	const char **keys;
	size_t i, n;
	char *s, *t;
	bool role_changed = false;

	if (plan_note(p, "job-roles?personId=", pid) < 0)
		return p->e->code;
	role = current_role(hstate_person(p->hs, "job-roles", pid), pid);
	want = jr ? json_deep_copy(jr) : json_object();
	mgr = plan_resolve_manager(p, hire, warnings, "reportingTo left as it is");
	if (p->e->code < 0) {
		json_decref(want);
		return p->e->code;
	}
	if (mgr)
		json_object_set_new(want, "reportingTo", json_string(json_get_str(mgr, "id")));
	keys = plan_sorted_keys(want, &n);
	for (i = 0; i < n; i++) {
		const json_t *w = json_object_get(want, keys[i]),
			     *h = role ? json_object_get(role, keys[i]) : NULL;
		char field[128];

		if (strcmp(keys[i], "effectiveDate") == 0 || value_equal(keys[i], w, h))
			continue;
		role_changed = true;
		snprintf(field, sizeof(field), "jobRole.%s", keys[i]);
		if (strcmp(keys[i], "reportingTo") == 0) {
			const json_t *was =
				json_is_string(h) ? json_object_get(p->by_id, json_string_value(h))
						  : NULL;

			s = was ? plan_manager_display(was) : plan_disp(h);
			t = plan_manager_display(mgr);
			plan_add_change(changes, field, s, t);
			free(s);
			free(t);
		} else {
			plan_add_change_v(changes, field, h, w);
		}
	}
	free(keys);
	if (role_changed) {
		const char *start = json_get_str(person, "employmentStartDate");
		const char *eff = start && strcmp(start, p->today) > 0 ? start : p->today;

		json_object_set_new(want, "personId", json_string(pid));
		json_object_set_new(want, "effectiveDate", json_string(eff));
		json_array_append_new(steps,
				      plan_step_new("createJobRole", "POST", "/job-roles", want));
		want = NULL;
	}
	json_decref(want);
	return 0;
}

static const char *str_or_empty(const json_t *o, const char *k)
{
	const char *s = json_get_str(o, k);

	return s ? s : "";
}

/* Salary: a new compensation unless some record of the salary type already holds it. */
static int change_salary(struct planner *p, const json_t *hire, const char *pid, json_t *op)
{
	json_t *steps = json_object_get(op, "steps"), *changes = json_object_get(op, "changes"),
	       *warnings = json_object_get(op, "warnings");
	const json_t *salary = json_get_obj(hire, "salary"), *type, *latest = NULL, *el;
	json_t *cb;
	bool recorded = false;
	size_t i;
	char *s, *t;

	if (!salary)
		return 0;
	type = plan_resolve_salary_type(p, warnings);
	if (p->e->code < 0)
		return p->e->code;
	if (!type)
		return 0;
	if (plan_note(p, "compensations?personId=", pid) < 0)
		return p->e->code;
	cb = plan_compensation_body(pid, type, salary);
	json_array_foreach (hstate_person(p->hs, "compensations", pid), i, el) {
		if (!plan_str_ieq(json_get_str(el, "personId"), pid) ||
		    !plan_str_ieq(json_get_str(el, "compensationTypeId"), json_get_str(type, "id")))
			continue;
		if (!latest || strcmp(str_or_empty(el, "effectiveDate"),
				      str_or_empty(latest, "effectiveDate")) >= 0)
			latest = el;
		/* The Ashby salary counts as recorded when any record holds it. */
		if (money_equal(json_object_get(el, "amount"), json_object_get(cb, "amount")) &&
		    plan_str_ieq(json_get_str(el, "currency"), json_get_str(cb, "currency")) &&
		    plan_str_ieq(json_get_str(el, "period"), json_get_str(cb, "period")) &&
		    plan_str_ieq(json_get_str(el, "effectiveDate"),
				 json_get_str(cb, "effectiveDate")))
			recorded = true;
	}
	if (recorded) {
		json_decref(cb);
		return 0;
	}
	s = latest ? plan_salary_display(latest) : NULL;
	t = plan_salary_display(cb);
	plan_add_change(changes, "compensation", s, t);
	free(s);
	free(t);
	json_array_append_new(steps,
			      plan_step_new("createCompensation", "POST", "/compensations", cb));
	return 0;
}

/* Documents: added when the tool has filed none for this hire yet. */
static int change_documents(struct planner *p, const json_t *hire, const json_t *entry,
			    const char *pid, json_t *op)
{
	json_t *steps = json_object_get(op, "steps"), *changes = json_object_get(op, "changes"),
	       *warnings = json_object_get(op, "warnings");
	const json_t *el;
	size_t i;

	if (!json_array_size(json_get_arr(hire, "documents")) ||
	    json_array_size(json_get_arr(entry, "documentIds")))
		return 0;
	json_array_foreach (json_get_arr(hire, "documents"), i, el) {
		const json_t *dt = plan_resolve_doc_type(p, el, warnings);

		if (p->e->code < 0)
			return p->e->code;
		if (dt)
			plan_document_steps(steps, changes, pid, el, dt);
	}
	return 0;
}

/* Custom values: PATCH the value Humaans holds, or POST one when it holds none. */
static int change_custom_values(struct planner *p, const json_t *hire, const char *pid, json_t *op)
{
	json_t *steps = json_object_get(op, "steps"), *changes = json_object_get(op, "changes"),
	       *warnings = json_object_get(op, "warnings");
	const json_t *el;
	size_t i;

	if (json_array_size(json_get_arr(hire, "customValues")) &&
	    plan_note(p, "custom-values?personId=", pid) < 0)
		return p->e->code;
	json_array_foreach (json_get_arr(hire, "customValues"), i, el) {
		const json_t *f = plan_resolve_custom_field(p, el, warnings), *have = NULL, *cv;
		const json_t *w = json_object_get(el, "value");
		char field[256];
		size_t j;
		json_t *b;
		char *path;

		if (p->e->code < 0)
			return p->e->code;
		if (!f)
			continue;
		json_array_foreach (hstate_person(p->hs, "custom-values", pid), j, cv)
			if (plan_str_ieq(json_get_str(cv, "personId"), pid) &&
			    plan_str_ieq(json_get_str(cv, "customFieldId"), json_get_str(f, "id")))
				have = cv;
		if (have && value_equal("value", json_object_get(have, "value"), w))
			continue;
		snprintf(field, sizeof(field), "custom:%s", json_get_str(f, "name"));
		plan_add_change_v(changes, field, have ? json_object_get(have, "value") : NULL, w);
		b = json_object();
		if (have) {
			json_object_set(b, "value", (json_t *)w);
			path = xasprintf("/custom-values/%s", json_get_str(have, "id"));
			json_array_append_new(steps,
					      plan_step_new("updateCustomValue", "PATCH", path, b));
			free(path);
		} else {
			json_object_set_new(b, "personId", json_string(pid));
			json_object_set_new(b, "customFieldId", json_string(json_get_str(f, "id")));
			json_object_set(b, "value", (json_t *)w);
			json_array_append_new(steps, plan_step_new("createCustomValue", "POST",
								   "/custom-values", b));
		}
	}
	return 0;
}

int plan_change(struct planner *p, const json_t *hire, const json_t *cur, const json_t *entry,
		json_t *op)
{
	const char *pid = json_get_str(cur, "id");
	int rc;

	json_object_set_new(op, "personId", json_string(pid));
	if ((rc = change_person(p, hire, cur, op)) < 0 ||
	    (rc = change_role(p, hire, pid, op)) < 0 ||
	    (rc = change_salary(p, hire, pid, op)) < 0 ||
	    (rc = change_documents(p, hire, entry, pid, op)) < 0 ||
	    (rc = change_custom_values(p, hire, pid, op)) < 0)
		return rc;
	return 0;
}
