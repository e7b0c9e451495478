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
const json_t *plan_current_role(const json_t *roles, const char *pid)
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

/* How a person field's values compare: emails and ids ignoring case, the rest exactly. */
static enum sync_cmp cmp_of(const char *key)
{
	if (strcmp(key, "personalEmail") == 0 || strcmp(key, "email") == 0 ||
	    strcmp(key, "locationId") == 0)
		return SYNC_CMP_NOCASE;
	return SYNC_CMP_EXACT;
}

/*
 * Whether the hire has started: Humaans' employmentStartDate (else Ashby's)
 * is today or earlier. A hire without a start date counts as started.
 */
static bool started(const struct planner *p, const json_t *hire, const json_t *cur)
{
	const char *start = json_get_str(cur, "employmentStartDate");

	if (!start)
		start = json_get_str(json_get_obj(hire, "person"), "employmentStartDate");
	return !start || strcmp(start, p->today) <= 0;
}

/* The three-way outcome of one field; a conflict is recorded on `op`. True: write Ashby's value. */
static bool decide(json_t *op, const char *field, enum sync_cmp how, const json_t *a,
		   const json_t *h, const json_t *b)
{
	enum sync_outcome o = sync_decide(how, a, h, b);

	if (o == SYNC_CONFLICT)
		plan_field_conflict_v(op, field, b, a, h);
	return o == SYNC_ASHBY;
}

/* A location id as plan.txt shows it (caller frees; NULL for none). */
static char *location_shown(const struct planner *p, const json_t *id)
{
	const char *s = json_is_string(id) ? json_string_value(id) : NULL;
	const json_t *l = s ? json_array_find(p->hs->locations, "id", s) : NULL;

	return l ? plan_location_display(l) : (s ? xstrdup(s) : NULL);
}

/* The location, three ways; *patch gets locationId when Ashby changed it. */
static int change_location(struct planner *p, const json_t *hire, const json_t *cur,
			   const json_t *entry, json_t *patch, json_t *op)
{
	const json_t *loc = plan_resolve_location(p, hire, json_object_get(op, "warnings"));
	const json_t *h = json_object_get(cur, "locationId"),
		     *b = plan_base_of(entry, "person", "locationId");
	json_t *a;
	enum sync_outcome o;
	char *sa, *sh, *sb;

	if (p->e->code < 0)
		return p->e->code;
	if (!loc)
		return 0;
	a = json_string(json_get_str(loc, "id"));
	o = sync_decide(SYNC_CMP_NOCASE, a, h, b);
	sa = location_shown(p, a);
	sh = location_shown(p, h);
	sb = location_shown(p, b);
	if (o == SYNC_ASHBY) {
		json_object_set(patch, "locationId", a);
		plan_add_change_b(json_object_get(op, "changes"), "locationId", sh, sa, sb);
	} else if (o == SYNC_CONFLICT) {
		plan_field_conflict(op, "locationId", sb, b != NULL, sa, sh);
	}
	free(sa);
	free(sh);
	free(sb);
	json_decref(a);
	return 0;
}

/* The person fields and the location Ashby changed: one PATCH /people/:id. */
static int change_person(struct planner *p, const json_t *hire, const json_t *cur,
			 const json_t *entry, json_t *op)
{
	json_t *changes = json_object_get(op, "changes");
	const json_t *person = json_get_obj(hire, "person");
	json_t *patch = json_object();
	const char **keys;
	size_t i, n;
	char *path;

	keys = plan_sorted_keys(person, &n);
	for (i = 0; i < n; i++) {
		const json_t *w = json_object_get(person, keys[i]),
			     *h = json_object_get(cur, keys[i]),
			     *b = plan_base_of(entry, "person", keys[i]);

		/* Status moves on in Humaans (newHire, active, ...): never sent back. */
		if (strcmp(keys[i], "status") == 0 ||
		    !decide(op, keys[i], cmp_of(keys[i]), w, h, b))
			continue;
		json_object_set(patch, keys[i], (json_t *)w);
		plan_add_change_bv(changes, keys[i], h, w, b);
	}
	free(keys);
	if (change_location(p, hire, cur, entry, patch, op) < 0) {
		json_decref(patch);
		return p->e->code;
	}
	if (json_object_size(patch)) {
		path = xasprintf("/people/%s", json_get_str(cur, "id"));
		json_array_append_new(json_object_get(op, "steps"),
				      plan_step_new("updatePerson", "PATCH", path, patch));
		free(path);
	} else {
		json_decref(patch);
	}
	return 0;
}

/* A manager id as plan.txt shows it (caller frees). */
static char *manager_shown(const struct planner *p, const json_t *id)
{
	const json_t *m =
		json_is_string(id) ? json_object_get(p->by_id, json_string_value(id)) : NULL;

	return m ? plan_manager_display(m) : plan_disp(id);
}

/* One job role field, three ways; true when Ashby changed it. */
static bool role_field(struct planner *p, json_t *op, const char *key, const json_t *w,
		       const json_t *h, const json_t *b)
{
	enum sync_outcome o = sync_decide(SYNC_CMP_EXACT, w, h, b);
	char field[128], *sw, *sh, *sb;

	if (o == SYNC_SAME || o == SYNC_KEEP)
		return false;
	snprintf(field, sizeof(field), "jobRole.%s", key);
	if (strcmp(key, "reportingTo") == 0) {
		sw = manager_shown(p, w);
		sh = manager_shown(p, h);
		sb = manager_shown(p, b);
	} else {
		sw = plan_disp(w);
		sh = plan_disp(h);
		sb = plan_disp(b);
	}
	if (o == SYNC_ASHBY)
		plan_add_change_b(json_object_get(op, "changes"), field, sh, sw, sb);
	else
		plan_field_conflict(op, field, sb, b != NULL, sw, sh);
	free(sw);
	free(sh);
	free(sb);
	return o == SYNC_ASHBY;
}

/*
 * The role step: before the start date a correction of the current role
 * (PATCH /job-roles/:id, the fields Ashby changed); after it, or without a
 * role, a new role (POST /job-roles) carrying what is kept from Humaans.
 */
static void role_step(struct planner *p, const json_t *hire, const char *pid, const json_t *role,
		      bool replace, json_t *want, json_t *changed, json_t *steps)
{
	const char *start = json_get_str(json_get_obj(hire, "person"), "employmentStartDate");
	const char *eff = start && strcmp(start, p->today) > 0 ? start : p->today;
	char *path;

	if (replace && role && json_get_str(role, "id")) {
		path = xasprintf("/job-roles/%s", json_get_str(role, "id"));
		json_array_append_new(
			steps, plan_step_new("updateJobRole", "PATCH", path, json_incref(changed)));
		free(path);
		return;
	}
	json_object_set_new(want, "personId", json_string(pid));
	json_object_set_new(want, "effectiveDate", json_string(eff));
	json_array_append_new(
		steps, plan_step_new("createJobRole", "POST", "/job-roles", json_incref(want)));
}

/* Job role: the mapped fields three ways against the current role. */
static int change_role(struct planner *p, const json_t *hire, const json_t *cur,
		       const json_t *entry, json_t *op)
{
	const json_t *jr = json_get_obj(hire, "jobRole"), *mgr, *role;
	const char *pid = json_get_str(cur, "id");
	json_t *want, *changed = json_object();
	const char **keys;
	size_t i, n;

	if (plan_note(p, "job-roles?personId=", pid) < 0)
		goto out;
	role = plan_current_role(hstate_person(p->hs, "job-roles", pid), pid);
	want = jr ? json_deep_copy(jr) : json_object();
	mgr = plan_resolve_manager(p, hire, json_object_get(op, "warnings"),
				   "reportingTo left as it is");
	if (p->e->code < 0) {
		json_decref(want);
		goto out;
	}
	if (mgr)
		json_object_set_new(want, "reportingTo", json_string(json_get_str(mgr, "id")));
	json_object_del(want, "effectiveDate");
	keys = plan_sorted_keys(want, &n);
	for (i = 0; i < n; i++) {
		const json_t *w = json_object_get(want, keys[i]),
			     *h = role ? json_object_get(role, keys[i]) : NULL;

		if (role_field(p, op, keys[i], w, h, plan_base_of(entry, "jobRole", keys[i])))
			json_object_set(changed, keys[i], (json_t *)w);
		else if (h && !json_is_null(h))
			json_object_set(want, keys[i], (json_t *)h); /* Humaans' value is kept */
		else
			json_object_del(want, keys[i]);
	}
	free(keys);
	if (json_object_size(changed))
		role_step(p, hire, pid, role, !started(p, hire, cur), want, changed,
			  json_object_get(op, "steps"));
	json_decref(want);
out:
	json_decref(changed);
	return p->e->code < 0 ? p->e->code : 0;
}

static const char *str_or_empty(const json_t *o, const char *k)
{
	const char *s = json_get_str(o, k);

	return s ? s : "";
}

/* The salary fields of a compensation record or body (new object). */
static json_t *salary_of(const json_t *c)
{
	static const char *const keys[] = { "amount", "currency", "period", "effectiveDate" };
	json_t *s = json_object();
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (json_object_get(c, keys[i]))
			json_object_set(s, keys[i], json_object_get(c, keys[i]));
	return s;
}

/*
 * The latest compensation of the salary type, or NULL; *recorded when any
 * record of the type holds the body's salary.
 */
static const json_t *latest_salary(const struct planner *p, const char *pid, const json_t *type,
				   const json_t *cb, bool *recorded)
{
	const json_t *latest = NULL, *el;
	json_t *want = salary_of(cb);
	size_t i;

	*recorded = false;
	json_array_foreach (hstate_person(p->hs, "compensations", pid), i, el) {
		json_t *have;

		if (!plan_str_ieq(json_get_str(el, "personId"), pid) ||
		    !plan_str_ieq(json_get_str(el, "compensationTypeId"), json_get_str(type, "id")))
			continue;
		if (!latest || strcmp(str_or_empty(el, "effectiveDate"),
				      str_or_empty(latest, "effectiveDate")) >= 0)
			latest = el;
		have = salary_of(el);
		if (sync_equal(SYNC_CMP_SALARY, have, want))
			*recorded = true;
		json_decref(have);
	}
	json_decref(want);
	return latest;
}

/* The compensation step: a correction of the latest record before the start date, else a new one. */
static void salary_step(const char *pid, const json_t *latest, bool replace, json_t *cb,
			json_t *steps)
{
	char *path;

	if (replace && latest && json_get_str(latest, "id")) {
		path = xasprintf("/compensations/%s", json_get_str(latest, "id"));
		json_array_append_new(
			steps, plan_step_new("updateCompensation", "PATCH", path, salary_of(cb)));
		free(path);
		json_decref(cb);
		return;
	}
	(void)pid;
	json_array_append_new(steps,
			      plan_step_new("createCompensation", "POST", "/compensations", cb));
}

/* Salary, three ways: Ashby's against the latest compensation of the salary type. */
static int change_salary(struct planner *p, const json_t *hire, const json_t *cur,
			 const json_t *entry, json_t *op)
{
	const json_t *salary = json_get_obj(hire, "salary"), *type, *latest,
		     *b = plan_base_of(entry, NULL, "salary");
	const char *pid = json_get_str(cur, "id");
	json_t *cb, *a, *h;
	bool recorded;
	enum sync_outcome o;
	char *sa, *sh, *sb;

	if (!salary)
		return 0;
	type = plan_resolve_salary_type(p, json_object_get(op, "warnings"));
	if (p->e->code < 0)
		return p->e->code;
	if (!type)
		return 0;
	if (plan_note(p, "compensations?personId=", pid) < 0)
		return p->e->code;
	cb = plan_compensation_body(pid, type, salary);
	latest = latest_salary(p, pid, type, cb, &recorded);
	if (recorded) {
		json_decref(cb);
		return 0;
	}
	a = salary_of(cb);
	h = latest ? salary_of(latest) : json_null();
	o = sync_decide(SYNC_CMP_SALARY, a, h, b);
	sa = plan_salary_display(a);
	sh = latest ? plan_salary_display(latest) : NULL;
	sb = json_is_object(b) ? plan_salary_display(b) : NULL;
	if (o == SYNC_ASHBY) {
		plan_add_change_b(json_object_get(op, "changes"), "compensation", sh, sa, sb);
		salary_step(pid, latest, !started(p, hire, cur), cb, json_object_get(op, "steps"));
		cb = NULL;
	} else if (o == SYNC_CONFLICT) {
		plan_field_conflict(op, "compensation", sb, b != NULL, sa, sh);
	}
	free(sa);
	free(sh);
	free(sb);
	json_decref(a);
	json_decref(h);
	json_decref(cb);
	return 0;
}

/* The hire's offer letter: its first document with a SHA-256 (borrowed), or NULL. */
static const json_t *letter_of(const json_t *hire)
{
	const json_t *el;
	size_t i;

	json_array_foreach (json_get_arr(hire, "documents"), i, el)
		if (json_get_str(el, "sha256"))
			return el;
	return NULL;
}

/*
 * Documents: every one when the tool has filed none for this hire yet; after
 * that, the letter again when its bytes changed since the one filed last
 * (base.letter): a new document, the old one kept.
 */
static int change_documents(struct planner *p, const json_t *hire, const json_t *entry,
			    const char *pid, json_t *op)
{
	json_t *steps = json_object_get(op, "steps"), *changes = json_object_get(op, "changes"),
	       *warnings = json_object_get(op, "warnings");
	const json_t *el, *doc, *dt, *b;
	const char *sha;
	size_t i;

	if (!json_array_size(json_get_arr(hire, "documents")))
		return 0;
	if (!json_array_size(json_get_arr(entry, "documentIds"))) {
		json_array_foreach (json_get_arr(hire, "documents"), i, el) {
			dt = plan_resolve_doc_type(p, el, warnings);
			if (p->e->code < 0)
				return p->e->code;
			if (dt)
				plan_document_steps(steps, changes, pid, el, dt);
		}
		return 0;
	}
	doc = letter_of(hire);
	sha = json_get_str(doc, "sha256");
	b = plan_base_of(entry, NULL, "letter");
	/* No record of the letter filed: nothing is known to have changed. */
	if (!sha || !json_is_string(b) || strcmp(json_string_value(b), sha) == 0)
		return 0;
	dt = plan_resolve_doc_type(p, doc, warnings);
	if (p->e->code < 0)
		return p->e->code;
	if (dt) {
		char *before = xasprintf("sha256 %s", json_string_value(b));
		char *after = xasprintf("%s (sha256 %s)", str_or_empty(doc, "name"), sha);

		plan_add_change_b(changes, "letter", before, after, json_string_value(b));
		plan_document_steps(steps, NULL, pid, doc, dt);
		free(before);
		free(after);
	}
	return 0;
}

/* The Humaans custom value of field `f` for the person (borrowed), or NULL. */
static const json_t *custom_value_of(const struct planner *p, const char *pid, const json_t *f)
{
	const json_t *have = NULL, *cv;
	size_t j;

	json_array_foreach (hstate_person(p->hs, "custom-values", pid), j, cv)
		if (plan_str_ieq(json_get_str(cv, "personId"), pid) &&
		    plan_str_ieq(json_get_str(cv, "customFieldId"), json_get_str(f, "id")))
			have = cv;
	return have;
}

/* Custom values, three ways: PATCH the value Humaans holds, or POST one when it holds none. */
static int change_custom_values(struct planner *p, const json_t *hire, const json_t *entry,
				const char *pid, json_t *op)
{
	json_t *steps = json_object_get(op, "steps"), *changes = json_object_get(op, "changes"),
	       *warnings = json_object_get(op, "warnings");
	const json_t *el;
	size_t i;

	if (json_array_size(json_get_arr(hire, "customValues")) &&
	    plan_note(p, "custom-values?personId=", pid) < 0)
		return p->e->code;
	json_array_foreach (json_get_arr(hire, "customValues"), i, el) {
		const json_t *f = plan_resolve_custom_field(p, el, warnings), *have, *h, *b;
		const json_t *w = json_object_get(el, "value");
		const char *fid;
		char field[256], *path;
		json_t *body, *st;

		if (p->e->code < 0)
			return p->e->code;
		if (!f)
			continue;
		fid = json_get_str(f, "id");
		have = custom_value_of(p, pid, f);
		h = have ? json_object_get(have, "value") : NULL;
		b = plan_base_of(entry, "customValues", fid ? fid : "");
		snprintf(field, sizeof(field), "custom:%s", json_get_str(f, "name"));
		if (!decide(op, field, SYNC_CMP_EXACT, w, h, b))
			continue;
		plan_add_change_bv(changes, field, h, w, b);
		body = json_object();
		if (have) {
			json_object_set(body, "value", (json_t *)w);
			path = xasprintf("/custom-values/%s", json_get_str(have, "id"));
			st = plan_step_new("updateCustomValue", "PATCH", path, body);
			/* Not sent: which field the value is of, for the ledger's base. */
			json_object_set_new(st, "customFieldId", json_string(fid));
			json_array_append_new(steps, st);
			free(path);
		} else {
			json_object_set_new(body, "personId", json_string(pid));
			json_object_set_new(body, "customFieldId", json_string(fid));
			json_object_set(body, "value", (json_t *)w);
			json_array_append_new(steps, plan_step_new("createCustomValue", "POST",
								   "/custom-values", body));
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
	/* The pipeline's sync.stopAtStartDate: Humaans alone holds a hire who has started. */
	if (p->stop_at_start && started(p, hire, cur))
		return 0;
	if ((rc = change_person(p, hire, cur, entry, op)) < 0 ||
	    (rc = change_role(p, hire, cur, entry, op)) < 0 ||
	    (rc = change_salary(p, hire, cur, entry, op)) < 0 ||
	    (rc = change_documents(p, hire, entry, pid, op)) < 0 ||
	    (rc = change_custom_values(p, hire, entry, pid, op)) < 0)
		return rc;
	/* A base derived from the last applied plan goes with the operation, for apply to keep. */
	if (json_is_true(json_object_get(entry, "baseDerived")) &&
	    json_array_size(json_object_get(op, "steps")))
		json_object_set(op, "base", json_object_get(entry, "base"));
	return 0;
}
