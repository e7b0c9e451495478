#include "config.h"

#include "stages/plan/plan-int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/jsonutil.h"
#include "base/xalloc.h"

int plan_create(struct planner *p, const json_t *hire, json_t *op)
{
	json_t *steps = json_object_get(op, "steps"), *changes = json_object_get(op, "changes"),
	       *warnings = json_object_get(op, "warnings");
	const json_t *person = json_get_obj(hire, "person"), *jr = json_get_obj(hire, "jobRole");
	const json_t *mgr, *loc, *el, *salary = json_get_obj(hire, "salary");
	json_t *body = json_deep_copy(person), *role;
	const char **keys;
	size_t i, n;
	char *s;

	if (!body)
		body = json_object();
	if (!json_get_str(body, "status"))
		json_object_set_new(body, "status", json_string(HUM_STATUS_NEW_HIRE));
	loc = plan_resolve_location(p, hire, warnings);
	if (p->e->code < 0)
		goto fail;
	if (loc)
		json_object_set_new(body, "locationId", json_string(json_get_str(loc, "id")));
	role = jr ? json_deep_copy(jr) : json_object();
	mgr = plan_resolve_manager(p, hire, warnings, "created without reportingTo");
	if (p->e->code < 0) {
		json_decref(role);
		goto fail;
	}
	if (mgr)
		json_object_set_new(role, "reportingTo", json_string(json_get_str(mgr, "id")));
	if (json_object_size(role))
		json_object_set_new(body, "jobRole", role);
	else
		json_decref(role);

	/* Every field sent, for plan.txt and changes.csv. */
	keys = plan_sorted_keys(body, &n);
	for (i = 0; i < n; i++) {
		const json_t *v = json_object_get(body, keys[i]);

		if (strcmp(keys[i], "jobRole") == 0)
			continue;
		if (strcmp(keys[i], "locationId") == 0) {
			s = plan_location_display(loc);
			plan_add_change(changes, "locationId", NULL, s);
			free(s);
		} else {
			plan_add_change_v(changes, keys[i], NULL, v);
		}
	}
	free(keys);
	if ((role = json_get_obj(body, "jobRole"))) {
		keys = plan_sorted_keys(role, &n);
		for (i = 0; i < n; i++) {
			char field[128];

			snprintf(field, sizeof(field), "jobRole.%s", keys[i]);
			if (strcmp(keys[i], "reportingTo") == 0) {
				s = plan_manager_display(mgr);
				plan_add_change(changes, field, NULL, s);
				free(s);
			} else {
				plan_add_change_v(changes, field, NULL,
						  json_object_get(role, keys[i]));
			}
		}
		free(keys);
	}
	json_array_append_new(steps, plan_step_new("createPerson", "POST", "/people", body));
	body = NULL;

	if (salary) {
		const json_t *type = plan_resolve_salary_type(p, warnings);

		if (p->e->code < 0)
			goto fail;
		if (type) {
			json_t *cb = plan_compensation_body("$personId", type, salary);

			s = plan_salary_display(cb);
			plan_add_change(changes, "compensation", NULL, s);
			free(s);
			json_array_append_new(steps, plan_step_new("createCompensation", "POST",
								   "/compensations", cb));
		}
	}
	json_array_foreach (json_get_arr(hire, "documents"), i, el) {
		const json_t *t = plan_resolve_doc_type(p, el, warnings);

		if (p->e->code < 0)
			goto fail;
		if (t)
			plan_document_steps(steps, changes, "$personId", el, t);
	}
	json_array_foreach (json_get_arr(hire, "customValues"), i, el) {
		const json_t *f = plan_resolve_custom_field(p, el, warnings);
		json_t *b;
		char field[256];

		if (p->e->code < 0)
			goto fail;
		if (!f)
			continue;
		b = json_object();
		json_object_set_new(b, "personId", json_string("$personId"));
		json_object_set_new(b, "customFieldId", json_string(json_get_str(f, "id")));
		json_object_set(b, "value", json_object_get(el, "value"));
		json_array_append_new(
			steps, plan_step_new("createCustomValue", "POST", "/custom-values", b));
		snprintf(field, sizeof(field), "custom:%s", json_get_str(f, "name"));
		plan_add_change_v(changes, field, NULL, json_object_get(el, "value"));
	}
	{
		char *le = plan_lower_dup(json_get_str(person, "personalEmail"));

		json_array_append_new(p->absent, json_string(le));
		free(le);
	}
	return 0;
fail:
	json_decref(body);
	return p->e->code;
}
