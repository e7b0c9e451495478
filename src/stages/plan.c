#include "config.h"

#include "stages/plan.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "base/hash.h"
#include "apis/http.h"
#include "apis/humaans.h"
#include "base/jsonutil.h"
#include "base/log.h"
#include "base/money.h"
#include "store/journal.h"
#include "base/text.h"
#include "store/ledger.h"
#include "store/records.h"
#include "store/rejects.h"
#include "stages/review.h"
#include "stages/run.h"
#include "store/snapshot.h"
#include "store/staging.h"
#include "base/xalloc.h"

/*
 * Humaans contract assumptions the planner relies on (docs: api/humaans.md).
 * Kept here, in one block, so they are easy to find and change.
 *  - A new hire is created with POST /people, status "newHire", and a nested
 *    first job role {jobTitle, department, reportingTo, effectiveDate}.
 *  - PATCH /people/:id takes the person fields that changed, never jobRole;
 *    a job role change is a new POST /job-roles record.
 *  - reportingTo is the manager's person id; the manager is the person whose
 *    work `email` equals the hiring manager's email, ignoring case.
 *  - The salary compensation type is the one whose baseType is "salary"
 *    (preferring one named "Salary" when there are several).
 *  - A compensation change is a new compensation record; a custom value
 *    change is PATCH /custom-values/:id {value}.
 *  - Files are uploaded with POST /files (multipart), then referenced by a
 *    document's fileId.
 */
#define HUM_STATUS_NEW_HIRE "newHire"
#define HUM_SALARY_BASE_TYPE "salary"
#define HUM_SALARY_TYPE_NAME "Salary"
#define HUM_OFFER_CONTENT_TYPE "application/pdf"

struct planner {
	const struct hstate *hs;
	const json_t *ledger;
	const char *today;
	json_t *by_id;	  /* person id -> person */
	json_t *by_email; /* lower(personalEmail) -> person */
	json_t *by_work;  /* lower(email) -> person */
	json_t *humaans;  /* basis key -> sha */
	json_t *absent;	  /* planned-create emails, lower case */
	struct err *e;
};

static char *lower_dup(const char *s)
{
	char *d = xstrdup(s ? s : "");
	char *p;

	for (p = d; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return d;
}

static bool str_ieq(const char *a, const char *b)
{
	return a && b && strcasecmp(a, b) == 0;
}

/* Map the (optionally lower-cased) string `key` of each record to the record. New object. */
static json_t *index_by(const json_t *arr, const char *key, bool lower)
{
	json_t *idx = json_object(), *el;
	size_t i;

	json_array_foreach (arr, i, el) {
		const char *k = json_get_str(el, key);
		char *lk;

		if (!k || !*k)
			continue;
		lk = lower ? lower_dup(k) : xstrdup(k);
		if (!json_object_get(idx, lk))
			json_object_set(idx, lk, el);
		free(lk);
	}
	return idx;
}

/* A display form of a value: strings as they are, absent/null as NULL, others compact JSON. Caller frees. */
static char *disp(const json_t *v)
{
	if (!v || json_is_null(v))
		return NULL;
	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	{
		char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
		char *d = xstrdup(s ? s : "");

		free(s);
		return d;
	}
}

static int add_change(json_t *changes, const char *field, const char *before, const char *after)
{
	json_t *c = json_object();

	if (json_object_set_new(c, "field", json_string(field)) < 0 ||
	    json_object_set_new(c, "before", before ? json_string(before) : json_null()) < 0 ||
	    json_object_set_new(c, "after", after ? json_string(after) : json_null()) < 0 ||
	    json_array_append_new(changes, c) < 0)
		return -1;
	return 0;
}

static int add_change_v(json_t *changes, const char *field, const json_t *before,
			const json_t *after)
{
	char *b = disp(before), *a = disp(after);
	int rc = add_change(changes, field, b, a);

	free(b);
	free(a);
	return rc;
}

static void add_warning(json_t *warnings, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void add_warning(json_t *warnings, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	json_array_append_new(warnings, json_string(b.data));
	buf_release(&b);
}

/* Sorted keys of an object (new array of strings). */
static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Fields in the order a reader expects them (names first); others follow alphabetically. */
static int field_rank(const char *k)
{
	static const char *const order[] = {
		"firstName",
		"middleName",
		"lastName",
		"preferredName",
		"personalEmail",
		"personalPhoneNumber",
		"employmentStartDate",
		"locationId",
		"status",
		"jobTitle",
		"department",
		"reportingTo",
		"effectiveDate",
	};
	size_t i;

	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (strcmp(order[i], k) == 0)
			return (int)i;
	return (int)(sizeof(order) / sizeof(order[0]));
}

static int cmp_field(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	int rx = field_rank(x), ry = field_rank(y);

	return rx != ry ? rx - ry : strcmp(x, y);
}

static const char **sorted_keys(const json_t *obj, size_t *n)
{
	const char **keys;
	const char *k;
	json_t *v;
	size_t i = 0;

	*n = json_object_size(obj);
	keys = xcalloc(*n ? *n : 1, sizeof(*keys));
	json_object_foreach ((json_t *)obj, k, v) {
		(void)v;
		keys[i++] = k;
	}
	qsort(keys, *n, sizeof(*keys), cmp_field);
	return keys;
}

/* ---------------------------------------------------------------- basis */

/* Record a basis key for the record (or set) the plan relied on. */
static int note(struct planner *p, const char *prefix, const char *id)
{
	char key[512], sha[65];
	int rc;

	snprintf(key, sizeof(key), "%s%s", prefix, id ? id : "");
	if (json_object_get(p->humaans, key))
		return 0;
	rc = hstate_fingerprint(p->hs, key, sha, p->e);
	if (rc < 0)
		return rc;
	if (json_object_set_new(p->humaans, key, json_string(sha)) < 0)
		return err_set(p->e, ERR_FAIL, "out of memory recording the plan basis");
	return 0;
}

/* ---------------------------------------------------------- references */

static const json_t *resolve_manager(struct planner *p, const json_t *hire, json_t *warnings,
				     const char *unresolved_what)
{
	const json_t *rt = json_get_obj(hire, "reportingTo");
	const char *email = json_get_str(rt, "email"), *mname = json_get_str(rt, "name");
	char *le;
	json_t *m;

	if (!rt)
		return NULL;
	if (!email || !*email) {
		add_warning(warnings, "hiring manager %s has no email: %s",
			    mname ? mname : "(unnamed)", unresolved_what);
		return NULL;
	}
	le = lower_dup(email);
	m = json_object_get(p->by_work, le);
	free(le);
	if (!m) {
		add_warning(warnings, "hiring manager %s%s%s%s is not in Humaans: %s",
			    mname ? mname : "", mname ? " <" : "", email, mname ? ">" : "",
			    unresolved_what);
		return NULL;
	}
	if (note(p, "people/", json_get_str(m, "id")) < 0)
		return NULL;
	return m;
}

static const json_t *resolve_location(struct planner *p, const json_t *hire, json_t *warnings)
{
	const json_t *loc = json_get_obj(hire, "location");
	const char *name = json_get_str(loc, "name"), *city = json_get_str(loc, "city");
	const json_t *found = NULL, *el;
	size_t i;

	if (!loc)
		return NULL;
	json_array_foreach (p->hs->locations, i, el)
		if (name && str_ieq(json_get_str(el, "label"), name)) {
			found = el;
			break;
		}
	if (!found)
		json_array_foreach (p->hs->locations, i, el)
			if (city && str_ieq(json_get_str(el, "city"), city)) {
				found = el;
				break;
			}
	if (!found) {
		add_warning(
			warnings,
			"location '%s'%s%s%s matches no Humaans location label or city: left out",
			name ? name : "", city ? " (city " : "", city ? city : "", city ? ")" : "");
		return NULL;
	}
	if (note(p, "locations/", json_get_str(found, "id")) < 0)
		return NULL;
	return found;
}

static const json_t *resolve_salary_type(struct planner *p, json_t *warnings)
{
	const json_t *found = NULL, *el;
	size_t i;

	json_array_foreach (p->hs->compensation_types, i, el) {
		if (!str_ieq(json_get_str(el, "baseType"), HUM_SALARY_BASE_TYPE))
			continue;
		if (!found || (str_ieq(json_get_str(el, "name"), HUM_SALARY_TYPE_NAME) &&
			       !str_ieq(json_get_str(found, "name"), HUM_SALARY_TYPE_NAME)))
			found = el;
	}
	if (!found) {
		add_warning(warnings,
			    "Humaans has no compensation type with baseType '%s': "
			    "salary left out",
			    HUM_SALARY_BASE_TYPE);
		return NULL;
	}
	if (note(p, "compensation-types/", json_get_str(found, "id")) < 0)
		return NULL;
	return found;
}

static const json_t *resolve_named(struct planner *p, const json_t *arr, const char *res,
				   const char *name)
{
	const json_t *el;
	size_t i;

	json_array_foreach (arr, i, el)
		if (str_ieq(json_get_str(el, "name"), name)) {
			char prefix[64];

			snprintf(prefix, sizeof(prefix), "%s/", res);
			if (note(p, prefix, json_get_str(el, "id")) < 0)
				return NULL;
			return el;
		}
	return NULL;
}

/* --------------------------------------------------------------- steps */

static json_t *step_new(const char *op, const char *method, const char *path, json_t *body)
{
	json_t *s = json_object();

	json_object_set_new(s, "op", json_string(op));
	json_object_set_new(s, "method", json_string(method));
	json_object_set_new(s, "path", json_string(path));
	if (body)
		json_object_set_new(s, "body", body);
	return s;
}

static char *salary_display(const json_t *c)
{
	char *amount = disp(json_object_get(c, "amount"));
	const char *cur = json_get_str(c, "currency"), *per = json_get_str(c, "period"),
		   *eff = json_get_str(c, "effectiveDate");
	char *s = xasprintf("%s %s %s from %s", amount ? amount : "?", cur ? cur : "?",
			    per ? per : "?", eff ? eff : "?");

	free(amount);
	return s;
}

static json_t *compensation_body(const char *pid, const json_t *type, const json_t *salary)
{
	json_t *b = json_object();

	json_object_set_new(b, "personId", json_string(pid));
	json_object_set_new(b, "compensationTypeId", json_string(json_get_str(type, "id")));
	json_object_set(b, "amount", json_object_get(salary, "amount"));
	json_set_str(b, "currency", json_get_str(salary, "currency"));
	json_set_str(b, "period",
		     json_get_str(salary, "period") ? json_get_str(salary, "period") : "annual");
	json_set_str(b, "effectiveDate", json_get_str(salary, "effectiveDate"));
	return b;
}

/* Steps uploading one offer letter and filing it as a document. */
static void document_steps(json_t *steps, json_t *changes, const char *pid, const json_t *doc,
			   const json_t *dtype)
{
	const char *name = json_get_str(doc, "name");
	json_t *up = step_new("uploadFile", "POST", "/files", NULL), *b = json_object();
	char *shown;

	json_set_str(up, "file", json_get_str(doc, "path"));
	json_set_str(up, "sha256", json_get_str(doc, "sha256"));
	json_set_str(up, "fileName", name);
	json_set_str(up, "contentType", HUM_OFFER_CONTENT_TYPE);
	json_array_append_new(steps, up);

	json_object_set_new(b, "personId", json_string(pid));
	json_object_set_new(b, "documentTypeId", json_string(json_get_str(dtype, "id")));
	json_set_str(b, "name", name);
	json_object_set_new(b, "fileId", json_string("$fileId"));
	json_set_str(b, "issueDate", json_get_str(doc, "issueDate"));
	json_array_append_new(steps, step_new("createDocument", "POST", "/documents", b));

	shown = xasprintf("%s: %s", json_get_str(dtype, "name"), name ? name : "");
	add_change(changes, "document", NULL, shown);
	free(shown);
}

static const json_t *resolve_doc_type(struct planner *p, const json_t *doc, json_t *warnings)
{
	const char *tname = json_get_str(doc, "documentType");
	const json_t *t =
		tname ? resolve_named(p, p->hs->document_types, "document-types", tname) : NULL;

	if (!t)
		add_warning(warnings, "document type '%s' is not in Humaans: %s not uploaded",
			    tname ? tname : "",
			    json_get_str(doc, "name") ? json_get_str(doc, "name") : "the document");
	return t;
}

static const json_t *resolve_custom_field(struct planner *p, const json_t *cv, json_t *warnings)
{
	const char *fname = json_get_str(cv, "field");
	const json_t *f =
		fname ? resolve_named(p, p->hs->custom_fields, "custom-fields", fname) : NULL;

	if (!f)
		add_warning(warnings, "custom field '%s' is not in Humaans: left out",
			    fname ? fname : "");
	return f;
}

static char *manager_display(const json_t *m)
{
	const char *fn = json_get_str(m, "firstName"), *ln = json_get_str(m, "lastName"),
		   *em = json_get_str(m, "email");

	return xasprintf("%s%s%s <%s> (%s)", fn ? fn : "", fn && ln ? " " : "", ln ? ln : "",
			 em ? em : "", json_get_str(m, "id"));
}

static char *location_display(const json_t *l)
{
	const char *label = json_get_str(l, "label");

	return xasprintf("%s (%s)", label ? label : "", json_get_str(l, "id"));
}

/* ----------------------------------------------------------- operations */

static json_t *op_new(const json_t *hire, const char *action)
{
	json_t *op = json_object();
	const json_t *person = json_get_obj(hire, "person");

	json_set_str(op, "id", json_get_str(hire, "id"));
	json_object_set_new(op, "action", json_string(action));
	json_set_str(op, "name", json_get_str(hire, "name"));
	json_set_str(op, "personalEmail", json_get_str(person, "personalEmail"));
	json_object_set_new(op, "steps", json_array());
	json_object_set_new(op, "changes", json_array());
	json_object_set_new(op, "warnings", json_array());
	return op;
}

static void review_warning(const json_t *hire, json_t *warnings)
{
	const char *review = json_get_str(hire, "review");
	const json_t *pe = json_get_obj(hire, "person");
	const char *fn = json_get_str(pe, "firstName"), *mn = json_get_str(pe, "middleName"),
		   *ln = json_get_str(pe, "lastName");

	if (!review)
		return;
	add_warning(warnings,
		    "check the name split of '%s' (first '%s', middle '%s', last '%s'): %s",
		    json_get_str(hire, "name") ? json_get_str(hire, "name") : "", fn ? fn : "",
		    mn ? mn : "", ln ? ln : "", review);
}

static int plan_create(struct planner *p, const json_t *hire, json_t *op)
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
	loc = resolve_location(p, hire, warnings);
	if (p->e->code < 0)
		goto fail;
	if (loc)
		json_object_set_new(body, "locationId", json_string(json_get_str(loc, "id")));
	role = jr ? json_deep_copy(jr) : json_object();
	mgr = resolve_manager(p, hire, warnings, "created without reportingTo");
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
	keys = sorted_keys(body, &n);
	for (i = 0; i < n; i++) {
		const json_t *v = json_object_get(body, keys[i]);

		if (strcmp(keys[i], "jobRole") == 0)
			continue;
		if (strcmp(keys[i], "locationId") == 0) {
			s = location_display(loc);
			add_change(changes, "locationId", NULL, s);
			free(s);
		} else {
			add_change_v(changes, keys[i], NULL, v);
		}
	}
	free(keys);
	if ((role = json_get_obj(body, "jobRole"))) {
		keys = sorted_keys(role, &n);
		for (i = 0; i < n; i++) {
			char field[128];

			snprintf(field, sizeof(field), "jobRole.%s", keys[i]);
			if (strcmp(keys[i], "reportingTo") == 0) {
				s = manager_display(mgr);
				add_change(changes, field, NULL, s);
				free(s);
			} else {
				add_change_v(changes, field, NULL, json_object_get(role, keys[i]));
			}
		}
		free(keys);
	}
	json_array_append_new(steps, step_new("createPerson", "POST", "/people", body));
	body = NULL;

	if (salary) {
		const json_t *type = resolve_salary_type(p, warnings);

		if (p->e->code < 0)
			goto fail;
		if (type) {
			json_t *cb = compensation_body("$personId", type, salary);

			s = salary_display(cb);
			add_change(changes, "compensation", NULL, s);
			free(s);
			json_array_append_new(steps, step_new("createCompensation", "POST",
							      "/compensations", cb));
		}
	}
	json_array_foreach (json_get_arr(hire, "documents"), i, el) {
		const json_t *t = resolve_doc_type(p, el, warnings);

		if (p->e->code < 0)
			goto fail;
		if (t)
			document_steps(steps, changes, "$personId", el, t);
	}
	json_array_foreach (json_get_arr(hire, "customValues"), i, el) {
		const json_t *f = resolve_custom_field(p, el, warnings);
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
		json_array_append_new(steps,
				      step_new("createCustomValue", "POST", "/custom-values", b));
		snprintf(field, sizeof(field), "custom:%s", json_get_str(f, "name"));
		add_change_v(changes, field, NULL, json_object_get(el, "value"));
	}
	{
		char *le = lower_dup(json_get_str(person, "personalEmail"));

		json_array_append_new(p->absent, json_string(le));
		free(le);
	}
	return 0;
fail:
	json_decref(body);
	return p->e->code;
}

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

static int plan_change(struct planner *p, const json_t *hire, const json_t *cur,
		       const json_t *entry, json_t *op)
{
	json_t *steps = json_object_get(op, "steps"), *changes = json_object_get(op, "changes"),
	       *warnings = json_object_get(op, "warnings");
	const json_t *person = json_get_obj(hire, "person"), *jr = json_get_obj(hire, "jobRole");
	const char *pid = json_get_str(cur, "id");
	const json_t *loc, *mgr, *role, *salary = json_get_obj(hire, "salary"), *el;
	json_t *patch = json_object(), *want = NULL;
	const char **keys;
	size_t i, n;
	char *path, *s, *t;
	bool role_changed = false;

	json_object_set_new(op, "personId", json_string(pid));
	keys = sorted_keys(person, &n);
	for (i = 0; i < n; i++) {
		const json_t *w = json_object_get(person, keys[i]),
			     *h = json_object_get(cur, keys[i]);

		/* Status moves on in Humaans (newHire, active, ...): never sent back. */
		if (strcmp(keys[i], "status") == 0 || value_equal(keys[i], w, h))
			continue;
		json_object_set(patch, keys[i], (json_t *)w);
		add_change_v(changes, keys[i], h, w);
	}
	free(keys);
	loc = resolve_location(p, hire, warnings);
	if (p->e->code < 0)
		goto fail;
	if (loc && !str_ieq(json_get_str(cur, "locationId"), json_get_str(loc, "id"))) {
		const char *was = json_get_str(cur, "locationId");
		const json_t *wl = was ? json_array_find(p->hs->locations, "id", was) : NULL;

		json_object_set_new(patch, "locationId", json_string(json_get_str(loc, "id")));
		s = wl ? location_display(wl) : (was ? xstrdup(was) : NULL);
		t = location_display(loc);
		add_change(changes, "locationId", s, t);
		free(s);
		free(t);
	}
	if (json_object_size(patch)) {
		path = xasprintf("/people/%s", pid);
		json_array_append_new(steps, step_new("updatePerson", "PATCH", path, patch));
		free(path);
	} else {
		json_decref(patch);
	}
	patch = NULL;

	/* Job role: compare the mapped fields with the current role. */
	if (note(p, "job-roles?personId=", pid) < 0)
		goto fail;
	role = current_role(hstate_person(p->hs, "job-roles", pid), pid);
	want = jr ? json_deep_copy(jr) : json_object();
	mgr = resolve_manager(p, hire, warnings, "reportingTo left as it is");
	if (p->e->code < 0)
		goto fail;
	if (mgr)
		json_object_set_new(want, "reportingTo", json_string(json_get_str(mgr, "id")));
	keys = sorted_keys(want, &n);
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

			s = was ? manager_display(was) : disp(h);
			t = manager_display(mgr);
			add_change(changes, field, s, t);
			free(s);
			free(t);
		} else {
			add_change_v(changes, field, h, w);
		}
	}
	free(keys);
	if (role_changed) {
		const char *start = json_get_str(person, "employmentStartDate");
		const char *eff = start && strcmp(start, p->today) > 0 ? start : p->today;

		json_object_set_new(want, "personId", json_string(pid));
		json_object_set_new(want, "effectiveDate", json_string(eff));
		json_array_append_new(steps, step_new("createJobRole", "POST", "/job-roles", want));
		want = NULL;
	}
	json_decref(want);
	want = NULL;

	if (salary) {
		const json_t *type = resolve_salary_type(p, warnings);

		if (p->e->code < 0)
			goto fail;
		if (type) {
			json_t *cb = compensation_body(pid, type, salary);
			const json_t *latest = NULL;
			bool recorded = false;

			if (note(p, "compensations?personId=", pid) < 0) {
				json_decref(cb);
				goto fail;
			}
			json_array_foreach (hstate_person(p->hs, "compensations", pid), i, el) {
				if (!str_ieq(json_get_str(el, "personId"), pid) ||
				    !str_ieq(json_get_str(el, "compensationTypeId"),
					     json_get_str(type, "id")))
					continue;
				if (!latest ||
				    strcmp(json_get_str(el, "effectiveDate")
						   ? json_get_str(el, "effectiveDate")
						   : "",
					   json_get_str(latest, "effectiveDate")
						   ? json_get_str(latest, "effectiveDate")
						   : "") >= 0)
					latest = el;
				/* The Ashby salary counts as recorded when any record holds it. */
				if (money_equal(json_object_get(el, "amount"),
						json_object_get(cb, "amount")) &&
				    str_ieq(json_get_str(el, "currency"),
					    json_get_str(cb, "currency")) &&
				    str_ieq(json_get_str(el, "period"),
					    json_get_str(cb, "period")) &&
				    str_ieq(json_get_str(el, "effectiveDate"),
					    json_get_str(cb, "effectiveDate")))
					recorded = true;
			}
			if (recorded) {
				json_decref(cb);
			} else {
				s = latest ? salary_display(latest) : NULL;
				t = salary_display(cb);
				add_change(changes, "compensation", s, t);
				free(s);
				free(t);
				json_array_append_new(steps, step_new("createCompensation", "POST",
								      "/compensations", cb));
			}
		}
	}

	/* Documents: added when the tool has filed none for this hire yet. */
	if (json_array_size(json_get_arr(hire, "documents")) &&
	    !json_array_size(json_get_arr(entry, "documentIds"))) {
		json_array_foreach (json_get_arr(hire, "documents"), i, el) {
			const json_t *dt = resolve_doc_type(p, el, warnings);

			if (p->e->code < 0)
				goto fail;
			if (dt)
				document_steps(steps, changes, pid, el, dt);
		}
	}

	if (json_array_size(json_get_arr(hire, "customValues")) &&
	    note(p, "custom-values?personId=", pid) < 0)
		goto fail;
	json_array_foreach (json_get_arr(hire, "customValues"), i, el) {
		const json_t *f = resolve_custom_field(p, el, warnings), *have = NULL, *cv;
		const json_t *w = json_object_get(el, "value");
		char field[256];
		size_t j;
		json_t *b;

		if (p->e->code < 0)
			goto fail;
		if (!f)
			continue;
		json_array_foreach (hstate_person(p->hs, "custom-values", pid), j, cv)
			if (str_ieq(json_get_str(cv, "personId"), pid) &&
			    str_ieq(json_get_str(cv, "customFieldId"), json_get_str(f, "id")))
				have = cv;
		if (have && value_equal("value", json_object_get(have, "value"), w))
			continue;
		snprintf(field, sizeof(field), "custom:%s", json_get_str(f, "name"));
		add_change_v(changes, field, have ? json_object_get(have, "value") : NULL, w);
		b = json_object();
		if (have) {
			json_object_set(b, "value", (json_t *)w);
			path = xasprintf("/custom-values/%s", json_get_str(have, "id"));
			json_array_append_new(steps,
					      step_new("updateCustomValue", "PATCH", path, b));
			free(path);
		} else {
			json_object_set_new(b, "personId", json_string(pid));
			json_object_set_new(b, "customFieldId", json_string(json_get_str(f, "id")));
			json_object_set(b, "value", (json_t *)w);
			json_array_append_new(
				steps, step_new("createCustomValue", "POST", "/custom-values", b));
		}
	}
	return 0;
fail:
	json_decref(patch);
	json_decref(want);
	return p->e->code;
}

/*
 * A person with the hire's email whom this tool created itself: an earlier
 * apply's createPerson got no answer (the journal says so) and was never
 * settled. Not a conflict: a create whose person step is looked up (and so
 * adopted) instead of sent, the remaining steps as for any create. The person
 * is fingerprinted, not required to be absent.
 */
static int plan_adopt(struct planner *p, const json_t *hire, const char *oid, json_t **out)
{
	json_t *op = op_new(hire, "create"), *first;
	size_t n;
	int rc;

	if ((rc = note(p, "people/", oid)) < 0)
		goto out;
	json_object_set_new(op, "personId", json_string(oid));
	review_warning(hire, json_object_get(op, "warnings"));
	if ((rc = plan_create(p, hire, op)) < 0)
		goto out;
	/* plan_create listed the email as one that must stay absent: it exists, and is ours. */
	n = json_array_size(p->absent);
	if (n)
		json_array_remove(p->absent, n - 1);
	first = json_array_get(json_object_get(op, "steps"), 0);
	json_object_set_new(first, "adopt", json_true());
	json_array_append_new(
		json_object_get(op, "warnings"),
		json_sprintf(
			"warning: Humaans person %s has this personal email and an earlier apply's "
			"create for this hire got no answer: adopting it, not creating it again",
			oid));
	*out = op;
	op = NULL;
out:
	json_decref(op);
	return rc;
}

/*
 * Plan one hire: *out is its operation (new reference), or NULL when Humaans
 * already holds it as it is. The basis keys the operation relies on are added
 * to p->humaans, a planned create's email to p->absent.
 */
static int plan_hire(struct planner *p, const json_t *hire, json_t **out)
{
	const char *id = json_get_str(hire, "id");
	const json_t *person = json_get_obj(hire, "person");
	const char *email = json_get_str(person, "personalEmail");
	const json_t *entry = id ? json_object_get(p->ledger, id) : NULL;
	const char *lpid = json_get_str(entry, "personId");
	json_t *op;
	int rc = 0;

	*out = NULL;
	if (!id || !email)
		return err_set(p->e, ERR_INVALID, "transformed hire '%s' has no %s", id ? id : "?",
			       id ? "personal email" : "id");
	if (lpid) {
		const json_t *cur = json_object_get(p->by_id, lpid);

		if (!cur) {
			op = op_new(hire, "conflict");
			json_object_set_new(op, "personId", json_string(lpid));
			json_object_set_new(op, "reason",
					    json_string("the ledger maps this hire to a Humaans "
							"person that no longer exists: "
							"nothing done; run 'delete-new-hire' with "
							"the application id to forget it"));
			review_warning(hire, json_object_get(op, "warnings"));
			*out = op;
			return 0;
		}
		if ((rc = note(p, "people/", lpid)) < 0)
			return rc;
		op = op_new(hire, "change");
		rc = plan_change(p, hire, cur, entry, op);
		if (rc == 0 && json_array_size(json_object_get(op, "steps"))) {
			review_warning(hire, json_object_get(op, "warnings"));
			*out = op;
			op = NULL;
		}
		json_decref(op);
		return rc;
	}
	{
		char *le = lower_dup(email);
		const json_t *other = json_object_get(p->by_email, le);

		free(le);
		if (other) {
			const char *oid = json_get_str(other, "id"),
				   *st = json_get_str(other, "status");
			const char *k, *owner = NULL;
			json_t *v;

			if ((rc = note(p, "people/", oid)) < 0)
				return rc;
			json_object_foreach ((json_t *)p->ledger, k, v)
				if (str_ieq(json_get_str(v, "personId"), oid))
					owner = k;
			if (!owner && json_is_true(json_object_get(entry, "createUncertain")))
				return plan_adopt(p, hire, oid, out);
			op = op_new(hire, "conflict");
			json_object_set_new(op, "personId", json_string(oid));
			{
				char *reason = owner ? xasprintf("Humaans person %s (status %s) "
								 "has this personal email "
								 "and was created by this tool for "
								 "application %s: "
								 "nothing done",
								 oid, st ? st : "?", owner)
						     : xasprintf("Humaans person %s (status %s) "
								 "has this personal email "
								 "and was not created by this "
								 "tool: nothing done; "
								 "link or remove it in Humaans",
								 oid, st ? st : "?");

				json_object_set_new(op, "reason", json_string(reason));
				free(reason);
			}
			review_warning(hire, json_object_get(op, "warnings"));
			*out = op;
			return 0;
		}
	}
	op = op_new(hire, "create");
	review_warning(hire, json_object_get(op, "warnings"));
	rc = plan_create(p, hire, op);
	if (rc == 0)
		*out = op;
	else
		json_decref(op);
	return rc;
}

/* `ledger` and `hs` are borrowed and must outlive the planner; release with planner_release(). */
static void planner_init(struct planner *p, const json_t *ledger, const struct hstate *hs,
			 const char *today, struct err *e)
{
	json_t *empty = json_array();

	memset(p, 0, sizeof(*p));
	p->hs = hs;
	p->ledger = json_is_object(ledger) ? json_incref((json_t *)ledger) : json_object();
	p->today = today;
	p->e = e;
	p->by_id = index_by(hs->people ? hs->people : empty, "id", false);
	p->by_email = index_by(hs->people ? hs->people : empty, "personalEmail", true);
	p->by_work = index_by(hs->people ? hs->people : empty, "email", true);
	p->humaans = json_object();
	p->absent = json_array();
	json_decref(empty);
}

static void planner_release(struct planner *p)
{
	json_decref((json_t *)p->ledger);
	json_decref(p->by_id);
	json_decref(p->by_email);
	json_decref(p->by_work);
	json_decref(p->humaans);
	json_decref(p->absent);
	memset(p, 0, sizeof(*p));
}

/* The planned-create emails in sorted order, for canonical output (new array). */
static json_t *sorted_strings(const json_t *arr)
{
	size_t n = json_array_size(arr), k;
	const char **v = xcalloc(n ? n : 1, sizeof(*v));
	json_t *sorted = json_array();

	for (k = 0; k < n; k++)
		v[k] = json_string_value(json_array_get(arr, k));
	qsort(v, n, sizeof(*v), cmp_str);
	for (k = 0; k < n; k++)
		json_array_append_new(sorted, json_string(v[k]));
	free(v);
	return sorted;
}

/* The basis the planner gathered: {"humaans", "absentEmails"} (new object). */
static json_t *planner_basis(const struct planner *p)
{
	json_t *basis = json_object();

	json_object_set(basis, "humaans", p->humaans);
	json_object_set_new(basis, "absentEmails", sorted_strings(p->absent));
	return basis;
}

int plan_compute(const json_t *hires, const json_t *rejects, const json_t *ledger,
		 const struct hstate *hs, const char *today, json_t **out, struct err *e)
{
	struct planner p;
	json_t *plan = NULL, *ops = json_array(), *op;
	const json_t *h;
	size_t i;
	int rc = 0;

	planner_init(&p, ledger, hs, today, e);
	err_clear(e);
	json_array_foreach (hires, i, h) {
		if (!json_is_object(h)) {
			rc = err_set(e, ERR_INVALID,
				     "transform/new_hires.json: record %zu is not an object", i);
			goto out;
		}
		if ((rc = plan_hire(&p, h, &op)) < 0)
			goto out;
		if (op && json_array_append_new(ops, op) < 0) {
			rc = err_set(e, ERR_FAIL, "out of memory planning");
			goto out;
		}
	}
	snapshot_sort_by_key(ops, "id");
	plan = json_object();
	json_object_set_new(plan, "basis", planner_basis(&p));
	json_object_set(plan, "operations", ops);
	json_object_set_new(plan, "rejects", rejects ? json_deep_copy(rejects) : json_array());
	*out = plan;
	plan = NULL;
out:
	json_decref(plan);
	json_decref(ops);
	planner_release(&p);
	return rc;
}

json_t *plan_detail_ids(const json_t *hires, const json_t *ledger, const json_t *people)
{
	json_t *ids = json_array();
	const json_t *h;
	size_t i;

	json_array_foreach (hires, i, h) {
		const char *id = json_get_str(h, "id");
		const char *pid = id ? json_get_str(json_object_get(ledger, id), "personId") : NULL;

		if (pid && json_array_find(people, "id", pid))
			json_array_append_new(ids, json_string(pid));
	}
	return ids;
}

/* Add what one hire needs read to `out`. */
static void needs_add(const json_t *h, struct plan_needs *out)
{
	if (json_get_obj(h, "location"))
		out->locations = true;
	if (json_get_obj(h, "salary"))
		out->compensations = true;
	if (json_array_size(json_get_arr(h, "documents")))
		out->documents = true;
	if (json_array_size(json_get_arr(h, "customValues")))
		out->custom_fields = true;
}

void plan_needs_of(const json_t *hires, struct plan_needs *out)
{
	const json_t *h;
	size_t i;

	memset(out, 0, sizeof(*out));
	json_array_foreach (hires, i, h)
		needs_add(h, out);
}

/* ------------------------------------------------------------- rendering */

#define C_GREEN "\033[32m"
#define C_YELLOW "\033[33m"
#define C_RED "\033[31m"
#define C_RESET "\033[0m"

/* Add one operation to the counts. */
static void count_op(const json_t *op, struct plan_summary *c)
{
	const char *a = json_get_str(op, "action");

	if (a && strcmp(a, "create") == 0)
		c->creates++;
	else if (a && strcmp(a, "change") == 0)
		c->changes++;
	else if (a && strcmp(a, "conflict") == 0)
		c->conflicts++;
	c->warnings += (long)json_array_size(json_get_arr(op, "warnings"));
}

void plan_count(const json_t *plan, struct plan_summary *out)
{
	const json_t *op;
	size_t i;

	memset(out, 0, sizeof(*out));
	json_array_foreach (json_get_arr(plan, "operations"), i, op)
		count_op(op, out);
	out->rejects = (long)json_array_size(json_get_arr(plan, "rejects"));
}

static const char *opt_str(const json_t *o, const char *k, const char *dflt)
{
	const char *s = json_get_str(o, k);

	return s ? s : dflt;
}

static const char *plural(long n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/*
 * A value from Ashby or Humaans as plan.txt shows it: control characters escaped
 * (text.h), so a name cannot rewrite the terminal of the person approving the plan
 * or split a line, and cut at PLAN_SHOW_MAX bytes. A JSON string is read whole
 * (json_string_length: a NUL is shown, not a cut); a missing value shows `dflt`.
 */
#define PLAN_SHOW_MAX 512

static void show_json(struct buf *out, const json_t *v, const char *dflt)
{
	if (json_is_string(v))
		text_escape(out, json_string_value(v), json_string_length(v), PLAN_SHOW_MAX);
	else if (dflt)
		buf_adds(out, dflt);
}

static void show(struct buf *out, const json_t *o, const char *k, const char *dflt)
{
	show_json(out, json_is_object(o) ? json_object_get(o, k) : NULL, dflt);
}

/* The lines of plan.txt for one operation (appended to out). */
static void render_op_text(const json_t *op, bool color, struct buf *out)
{
	const char *a = opt_str(op, "action", "");
	const json_t *x;
	size_t j;
	char sign = '?';
	const char *col = "";

	if (strcmp(a, "create") == 0) {
		sign = '+';
		col = C_GREEN;
	} else if (strcmp(a, "change") == 0) {
		sign = '~';
		col = C_YELLOW;
	} else if (strcmp(a, "conflict") == 0) {
		sign = '!';
		col = C_RED;
	} else if (strcmp(a, "delete") == 0) {
		sign = '-';
		col = C_RED;
	}
	buf_addf(out, "%s%c ", color ? col : "", sign);
	show(out, op, "action", "");
	buf_addc(out, ' ');
	show(out, op, "id", "?");
	buf_addc(out, ' ');
	show(out, op, "name", "");
	buf_adds(out, " <");
	show(out, op, "personalEmail", "");
	buf_addc(out, '>');
	if (json_get_str(op, "personId")) {
		buf_adds(out, " (Humaans ");
		show(out, op, "personId", "");
		buf_addc(out, ')');
	}
	buf_addf(out, "%s\n", color ? C_RESET : "");
	json_array_foreach (json_get_arr(op, "changes"), j, x) {
		buf_adds(out, "    ");
		show(out, x, "field", "");
		buf_adds(out, ": ");
		if (strcmp(a, "create") == 0) {
			show(out, x, "after", "");
		} else {
			show(out, x, "before", "(none)");
			buf_adds(out, " -> ");
			show(out, x, "after", "(none)");
		}
		buf_addc(out, '\n');
	}
	if (json_get_str(op, "reason")) {
		buf_adds(out, "    reason: ");
		show(out, op, "reason", "");
		buf_addc(out, '\n');
	}
	json_array_foreach (json_get_arr(op, "warnings"), j, x) {
		buf_addf(out, "    %swarning:%s ", color ? C_YELLOW : "", color ? C_RESET : "");
		show_json(out, x, "");
		buf_addc(out, '\n');
	}
}

/* What plan.txt says after the operations: the set-aside hires and the counts (`c`, rejects included). */
static void render_tail_text(const struct plan_summary *c, const json_t *rejects, struct buf *out)
{
	const json_t *x;
	size_t i;

	if (c->creates + c->changes + c->conflicts == 0)
		buf_adds(out, "No changes: Humaans already holds every transformed hire.\n");
	if (c->rejects) {
		buf_adds(out, "\nSet aside (not planned; fix them in Ashby or overrides.csv):\n");
		json_array_foreach (rejects, i, x) {
			const char *cand = json_get_str(x, "candidate"),
				   *fields = json_get_str(x, "fields");

			buf_adds(out, "x ");
			show(out, x, "id", "?");
			if (cand && *cand) {
				buf_addc(out, ' ');
				show(out, x, "candidate", "");
			}
			buf_adds(out, ": ");
			show(out, x, "reason", "set aside");
			if (fields && *fields) {
				buf_adds(out, " [");
				show(out, x, "fields", "");
				buf_addc(out, ']');
			}
			buf_addc(out, '\n');
		}
	}
	buf_addf(out, "\nPlan: %ld to create, %ld to change, %ld %s, %ld set aside, %ld %s.\n",
		 c->creates, c->changes, c->conflicts,
		 plural(c->conflicts, "conflict", "conflicts"), c->rejects, c->warnings,
		 plural(c->warnings, "warning", "warnings"));
}

void plan_render_text(const json_t *plan, bool color, struct buf *out)
{
	struct plan_summary c;
	const json_t *op;
	size_t i;

	plan_count(plan, &c);
	json_array_foreach (json_get_arr(plan, "operations"), i, op)
		render_op_text(op, color, out);
	render_tail_text(&c, json_get_arr(plan, "rejects"), out);
}

static void csv_row(struct csv_writer *w, const char *a, const char *b, const char *c,
		    const char *d, const char *e, const char *f)
{
	csv_writer_field(w, a);
	csv_writer_field(w, b);
	csv_writer_field(w, c);
	csv_writer_field(w, d);
	csv_writer_field(w, e);
	csv_writer_field(w, f);
	csv_writer_end_row(w);
}

static void csv_header(struct csv_writer *w)
{
	csv_row(w, "application_id", "name", "action", "field", "before", "after");
}

/* The rows of changes.csv for one operation. */
static void csv_op(struct csv_writer *w, const json_t *op)
{
	const char *id = json_get_str(op, "id"), *name = json_get_str(op, "name"),
		   *a = json_get_str(op, "action");
	const json_t *x;
	size_t j;

	json_array_foreach (json_get_arr(op, "changes"), j, x)
		csv_row(w, id, name, a, json_get_str(x, "field"), json_get_str(x, "before"),
			json_get_str(x, "after"));
	if (json_get_str(op, "reason"))
		csv_row(w, id, name, a, "", "", json_get_str(op, "reason"));
	json_array_foreach (json_get_arr(op, "warnings"), j, x)
		csv_row(w, id, name, "warning", "", "", json_string_value(x));
}

static void csv_rejects(struct csv_writer *w, const json_t *rejects)
{
	const json_t *x;
	size_t i;

	json_array_foreach (rejects, i, x)
		csv_row(w, json_get_str(x, "id"), json_get_str(x, "candidate"), "set-aside",
			json_get_str(x, "fields"), "", json_get_str(x, "reason"));
}

void plan_render_csv(const json_t *plan, struct buf *out)
{
	struct csv_writer w;
	const json_t *op;
	size_t i;

	csv_writer_init(&w);
	csv_header(&w);
	json_array_foreach (json_get_arr(plan, "operations"), i, op)
		csv_op(&w, op);
	csv_rejects(&w, json_get_arr(plan, "rejects"));
	buf_add(out, w.out.data, w.out.len);
	csv_writer_release(&w);
}

/* ------------------------------------------------------------------ stage */

/*
 * Mark in the (in-memory) ledger the hires whose createPerson the journal
 * leaves unsettled ("createUncertain": true), so plan_hire adopts their person
 * rather than calling it a conflict.
 */
static int mark_uncertain_creates(struct staging *s, json_t *ledger, struct err *e)
{
	json_t *apps = NULL, *v;
	const char *app;
	int rc = journal_uncertain_creates(s, &apps, e);

	if (rc < 0)
		return rc;
	json_object_foreach (apps, app, v) {
		json_t *en = json_object_get(ledger, app);

		if (json_get_str(en, "personId"))
			continue;
		if (!en) {
			en = json_object();
			json_object_set_new(ledger, app, en);
		}
		json_object_set_new(en, "createUncertain", json_true());
	}
	json_decref(apps);
	return 0;
}

/*
 * load/ledger.json with the pending lines folded in, as planning sees it (new
 * object, application -> entry), read through ledger.c an entry at a time.
 * Of each entry only what planning reads is kept (personId, documentIds,
 * createUncertain): the other ids, planRunId and stepsDone are dropped as it
 * is read, so the ledger (3.3 MB of JSON at 10,000 hires) is never held whole.
 */
static int view_entry(void *ctx, const char *app, json_t *en, struct err *e)
{
	static const char *const keep[] = { "personId", "documentIds", "createUncertain" };
	const char *k;
	json_t *v;
	void *tmp;
	size_t i;

	(void)e;
	json_object_foreach_safe (en, tmp, k, v) {
		(void)v;
		for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
			if (strcmp(k, keep[i]) == 0)
				break;
		if (i == sizeof(keep) / sizeof(keep[0]))
			json_object_del(en, k);
	}
	json_object_set((json_t *)ctx, app, en);
	return 0;
}

static int ledger_view(struct staging *s, json_t **out, struct err *e)
{
	struct ledger *l = NULL;
	json_t *view = json_object();
	int rc = ledger_open(s, &l, e);

	if (rc == 0)
		rc = ledger_each(l, view_entry, view, e);
	ledger_free(l);
	if (rc < 0) {
		json_decref(view);
		view = NULL;
	}
	*out = view;
	return rc;
}

/*
 * The stage holds one hire at a time. transform/new_hires.json is read three
 * times: once for what the hires need read from Humaans, once to plan every
 * hire for the basis (plan.json's first member: the Humaans records relied on
 * and the emails planned to be created), keeping only an (id, offset) entry
 * for each hire that has an operation, and once more, by those entries in id
 * order, to plan each such hire again and write its operation to plan.json,
 * plan.txt and changes.csv. Planning is deterministic, so the second planning
 * gives the operation the first one found; the Humaans data, the ledger and
 * the rejects are read once and held.
 */
struct op_entry {
	char *id;   /* owned */
	long off;   /* where the hire starts in new_hires.json */
	size_t pos; /* its place in the file, to keep equal ids in file order */
};

static int op_entry_cmp(const void *a, const void *b)
{
	const struct op_entry *x = a, *y = b;
	int c = strcmp(x->id, y->id);

	return c ? c : (x->pos < y->pos ? -1 : x->pos > y->pos);
}

#define NEW_HIRES "transform/new_hires.json"

static int open_hires(struct staging *s, struct rec_reader **out, struct err *e)
{
	int rc = rec_reader_open(s, NEW_HIRES, NULL, out, e);

	if (rc == ERR_NOTFOUND)
		return err_set(e, ERR_NOTFOUND, "no " NEW_HIRES ": run 'transform' first");
	if (rc == ERR_INVALID)
		return err_set(e, ERR_INVALID, NEW_HIRES " is not an array");
	return rc;
}

/*
 * The first read: what the hires need from Humaans, how many there are, and
 * the person ids the ledger gives them (in file order, new array).
 */
static int scan_hires(struct rec_reader *rd, const json_t *ledger, struct plan_needs *needs,
		      size_t *n, json_t **pids, struct err *e)
{
	json_t *h = NULL;
	int rc;

	memset(needs, 0, sizeof(*needs));
	*n = 0;
	*pids = json_array();
	while ((rc = rec_reader_next(rd, &h, NULL, e)) == 1) {
		const char *id = json_get_str(h, "id");
		const char *pid = id ? json_get_str(json_object_get(ledger, id), "personId") : NULL;

		needs_add(h, needs);
		if (pid)
			json_array_append_new(*pids, json_string(pid));
		(*n)++;
		json_decref(h);
	}
	if (rc == 0)
		rc = rec_reader_rewind(rd, e);
	if (rc < 0) {
		json_decref(*pids);
		*pids = NULL;
	}
	return rc;
}

/* Humaans as the hires need it, into `hs` (request for request what the whole-array planner read). */
static int read_humaans(struct run *r, const struct plan_needs *needs, const json_t *pids,
			struct hstate *hs, struct err *e)
{
	struct http_client *hc;
	json_t *ids = json_array(), *by_id = NULL, *v;
	size_t i;
	int rc;

	if ((rc = run_humaans(r, &hc, e)) < 0)
		goto out;
	if ((rc = hstate_list(hc, "/people", NULL, &hs->people, e)) < 0)
		goto out;
	if (needs->locations && (rc = hstate_list(hc, "/locations", NULL, &hs->locations, e)) < 0)
		goto out;
	if (needs->compensations &&
	    (rc = hstate_list(hc, "/compensation-types", NULL, &hs->compensation_types, e)) < 0)
		goto out;
	if (needs->documents &&
	    (rc = hstate_list(hc, "/document-types", NULL, &hs->document_types, e)) < 0)
		goto out;
	if (needs->custom_fields &&
	    (rc = hstate_list(hc, "/custom-fields", NULL, &hs->custom_fields, e)) < 0)
		goto out;
	/* The ledger-known people that still exist (plan_detail_ids). */
	by_id = index_by(hs->people, "id", false);
	json_array_foreach (pids, i, v)
		if (json_object_get(by_id, json_string_value(v)))
			json_array_append(ids, v);
	if (json_array_size(ids)) {
		if ((rc = hstate_list_in(hc, "/job-roles", ids, &hs->job_roles, e)) < 0)
			goto out;
		if (needs->compensations &&
		    (rc = hstate_list_in(hc, "/compensations", ids, &hs->compensations, e)) < 0)
			goto out;
		if (needs->custom_fields &&
		    (rc = hstate_list_in(hc, "/custom-values", ids, &hs->custom_values, e)) < 0)
			goto out;
	}
out:
	json_decref(by_id);
	json_decref(ids);
	return rc;
}

/*
 * The second read: plan every hire for the basis; *entries (caller frees
 * each id and the array) gets the hires that have an operation.
 */
static int plan_pass_basis(struct planner *p, struct rec_reader *rd, struct op_entry **entries,
			   size_t *n, struct err *e)
{
	struct op_entry *v = NULL;
	size_t cap = 0, pos = 0;
	json_t *h = NULL, *op = NULL;
	long off;
	int rc;

	*n = 0;
	while ((rc = rec_reader_next(rd, &h, &off, e)) == 1) {
		if (!json_is_object(h)) {
			rc = err_set(e, ERR_INVALID, NEW_HIRES ": record %zu is not an object",
				     pos);
			break;
		}
		if ((rc = plan_hire(p, h, &op)) < 0)
			break;
		if (op) {
			if (*n == cap) {
				cap = cap ? 2 * cap : 256;
				v = xrealloc(v, cap * sizeof(*v));
			}
			v[*n].id = xstrdup(json_get_str(h, "id"));
			v[*n].off = off;
			v[*n].pos = pos;
			(*n)++;
		}
		json_decref(op);
		op = NULL;
		json_decref(h);
		h = NULL;
		pos++;
	}
	json_decref(h);
	*entries = v;
	if (rc < 0)
		return rc;
	if (*n)
		qsort(v, *n, sizeof(*v), op_entry_cmp);
	return 0;
}

/* The outputs of plan/, written an operation at a time. */
struct plan_out {
	struct rec_writer *json, *txt, *csv;
	struct csv_writer cw; /* the rows of one operation, then flushed */
	struct buf line;      /* the text of one operation, then flushed */
};

static int plan_out_begin(struct staging *s, struct plan_out *po, const json_t *basis,
			  struct err *e)
{
	int rc;

	memset(po, 0, sizeof(*po));
	csv_writer_init(&po->cw);
	po->line = (struct buf)BUF_INIT;
	if ((rc = rec_writer_begin_object(s, "plan/plan.json", &po->json, e)) < 0 ||
	    (rc = rec_writer_member(po->json, "basis", basis, e)) < 0 ||
	    (rc = rec_writer_member_array(po->json, "operations", e)) < 0 ||
	    (rc = rec_writer_begin_text(s, "plan/plan.txt", &po->txt, e)) < 0 ||
	    (rc = rec_writer_begin_text(s, "plan/changes.csv", &po->csv, e)) < 0)
		return rc;
	csv_header(&po->cw);
	return 0;
}

/* Hand what is pending in the line buffers to the text writers. */
static int plan_out_flush(struct plan_out *po, struct err *e)
{
	int rc;

	if ((rc = rec_writer_text(po->txt, po->line.data, po->line.len, e)) < 0 ||
	    (rc = rec_writer_text(po->csv, po->cw.out.data, po->cw.out.len, e)) < 0)
		return rc;
	buf_reset(&po->line);
	buf_reset(&po->cw.out);
	return 0;
}

static int plan_out_op(struct plan_out *po, const json_t *op, struct err *e)
{
	int rc = rec_writer_add(po->json, op, e);

	if (rc < 0)
		return rc;
	render_op_text(op, false, &po->line);
	csv_op(&po->cw, op);
	return plan_out_flush(po, e);
}

/* The rejects, plan.txt's closing lines; then every file is put in place. */
static int plan_out_finish(struct plan_out *po, const struct plan_summary *sum,
			   const json_t *rejects, struct err *e)
{
	struct rec_writer *w;
	int rc;

	if ((rc = rec_writer_member(po->json, "rejects", rejects, e)) < 0)
		return rc;
	render_tail_text(sum, rejects, &po->line);
	csv_rejects(&po->cw, rejects);
	if ((rc = plan_out_flush(po, e)) < 0)
		return rc;
	w = po->json;
	po->json = NULL;
	if ((rc = rec_writer_finish(w, NULL, e)) < 0)
		return rc;
	w = po->txt;
	po->txt = NULL;
	if ((rc = rec_writer_finish(w, NULL, e)) < 0)
		return rc;
	w = po->csv;
	po->csv = NULL;
	return rec_writer_finish(w, NULL, e);
}

static void plan_out_release(struct plan_out *po)
{
	rec_writer_abort(po->json);
	rec_writer_abort(po->txt);
	rec_writer_abort(po->csv);
	csv_writer_release(&po->cw);
	buf_release(&po->line);
	memset(po, 0, sizeof(*po));
}

/* The third read: plan the hires of `entries` again, in id order, and write their operations. */
static int plan_pass_write(struct planner *p, struct rec_reader *rd, const struct op_entry *entries,
			   size_t n, struct plan_out *po, struct plan_summary *sum, struct err *e)
{
	json_t *h = NULL, *op = NULL;
	size_t i;
	int rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		if ((rc = rec_reader_at(rd, entries[i].off, &h, e)) < 0)
			break;
		if ((rc = plan_hire(p, h, &op)) < 0)
			break;
		if (!op) {
			rc = err_set(e, ERR_FAIL, "hire '%s' planned twice with different outcomes",
				     entries[i].id);
			break;
		}
		/* The emails were gathered the first time round. */
		json_array_clear(p->absent);
		count_op(op, sum);
		rc = plan_out_op(po, op, e);
		json_decref(op);
		op = NULL;
		json_decref(h);
		h = NULL;
	}
	json_decref(op);
	json_decref(h);
	return rc;
}

/* plan.txt on stdout: copied as written, or rendered again from plan.json in colour. */
static int print_plan(struct staging *s, bool color, const struct plan_summary *sum,
		      const json_t *rejects, struct err *e)
{
	struct rec_reader *rd = NULL;
	struct buf b = BUF_INIT;
	json_t *op = NULL;
	int rc;

	if (!color) {
		char chunk[65536];
		FILE *f;
		size_t n;

		if ((rc = staging_fopen(s, "plan/plan.txt", &f, e)) < 0)
			return rc;
		while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
			fwrite(chunk, 1, n, stdout);
		if (ferror(f))
			rc = err_set(e, ERR_IO, "reading plan/plan.txt");
		fclose(f);
		return rc;
	}
	if ((rc = rec_reader_open(s, "plan/plan.json", "operations", &rd, e)) < 0)
		return rc;
	while ((rc = rec_reader_next(rd, &op, NULL, e)) == 1) {
		render_op_text(op, true, &b);
		fwrite(b.data, 1, b.len, stdout);
		buf_reset(&b);
		json_decref(op);
		op = NULL;
	}
	if (rc == 0) {
		render_tail_text(sum, rejects, &b);
		fwrite(b.data, 1, b.len, stdout);
	}
	buf_release(&b);
	rec_reader_close(rd);
	return rc;
}

int plan_stage(struct run *r, const struct plan_opts *o, struct plan_summary *out, struct err *e)
{
	static const char *const paths[] = { "plan/", NULL };
	struct hstate hs;
	struct plan_summary sum;
	struct plan_needs needs;
	struct planner p;
	struct plan_out po;
	struct rec_reader *rd = NULL;
	struct op_entry *entries = NULL;
	size_t nhires = 0, nentries = 0, i;
	json_t *rejects = NULL, *ledger = NULL, *pids = NULL, *basis = NULL;
	char tsha[65], psha[65], extract[41], today[16], oid[41];
	char c1[32], c2[32], c3[32], c4[32], c5[32];
	struct trailer tr[5];
	char *subject = NULL;
	time_t now = time(NULL);
	struct tm tm;
	bool committed = false, have_extract;
	int rc;

	memset(&hs, 0, sizeof(hs));
	memset(&p, 0, sizeof(p));
	memset(&sum, 0, sizeof(sum));
	csv_writer_init(&po.cw);
	po.line = (struct buf)BUF_INIT;
	po.json = po.txt = po.csv = NULL;
	rc = staging_sha256(r->stg, NEW_HIRES, tsha, NULL, e);
	if (rc == ERR_NOTFOUND) {
		err_set(e, ERR_NOTFOUND, "no " NEW_HIRES ": run 'transform' first");
		goto out;
	}
	if (rc < 0 || (rc = open_hires(r->stg, &rd, e)) < 0)
		goto out;
	if ((rc = staging_sha256(r->stg, "pipeline.json", psha, NULL, e)) < 0)
		goto out;
	if ((rc = rejects_read(r->stg, &rejects, e)) < 0 ||
	    (rc = ledger_view(r->stg, &ledger, e)) < 0 ||
	    (rc = mark_uncertain_creates(r->stg, ledger, e)) < 0)
		goto out;
	rc = staging_find_stage(r->stg, "extract", extract, NULL, 0, e);
	have_extract = rc == 0;
	if (rc == ERR_NOTFOUND)
		err_clear(e);
	else if (rc < 0)
		goto out;

	if ((rc = scan_hires(rd, ledger, &needs, &nhires, &pids, e)) < 0)
		goto out;
	/* Read Humaans only when there is something to match. */
	if (nhires && (rc = read_humaans(r, &needs, pids, &hs, e)) < 0)
		goto out;
	json_decref(pids);
	pids = NULL;
	gmtime_r(&now, &tm);
	strftime(today, sizeof(today), "%Y-%m-%d", &tm);

	planner_init(&p, ledger, &hs, today, e);
	err_clear(e);
	if ((rc = plan_pass_basis(&p, rd, &entries, &nentries, e)) < 0)
		goto out;
	basis = planner_basis(&p);
	json_object_set_new(basis, "extractCommit",
			    have_extract ? json_string(extract) : json_null());
	json_object_set_new(basis, "transformSha256", json_string(tsha));
	json_object_set_new(basis, "pipelineSha256", json_string(psha));
	json_array_clear(p.absent);

	if ((rc = plan_out_begin(r->stg, &po, basis, e)) < 0)
		goto out;
	json_decref(basis);
	basis = NULL;
	if ((rc = plan_pass_write(&p, rd, entries, nentries, &po, &sum, e)) < 0)
		goto out;
	sum.rejects = (long)json_array_size(rejects);
	if ((rc = plan_out_finish(&po, &sum, rejects, e)) < 0 || (rc = review_stage(r, e)) < 0)
		goto out;
	sum.read_humaans = nhires > 0;
	snprintf(c1, sizeof(c1), "%ld", sum.creates);
	snprintf(c2, sizeof(c2), "%ld", sum.changes);
	snprintf(c3, sizeof(c3), "%ld", sum.conflicts);
	snprintf(c4, sizeof(c4), "%ld", sum.rejects);
	snprintf(c5, sizeof(c5), "%ld", sum.warnings);
	tr[0] = (struct trailer){ "Creates", c1 };
	tr[1] = (struct trailer){ "Changes", c2 };
	tr[2] = (struct trailer){ "Conflicts", c3 };
	tr[3] = (struct trailer){ "Set-Aside", c4 };
	tr[4] = (struct trailer){ "Warnings", c5 };
	subject = xasprintf("plan: %ld to create, %ld to change, %ld %s, %ld set aside",
			    sum.creates, sum.changes, sum.conflicts,
			    plural(sum.conflicts, "conflict", "conflicts"), sum.rejects);
	if ((rc = staging_commit(r->stg, paths, "plan", r->id, subject, NULL, tr, 5, oid,
				 &committed, e)) < 0)
		goto out;
	sum.committed = committed;
	if (committed)
		r->committed = true;
	r->counts.planned = sum.creates + sum.changes;
	r->counts.conflicts = sum.conflicts;
	r->counts.rejected = sum.rejects;
	run_stage_done(r, "plan");
	if (!o || o->print) {
		bool color = o && (o->color > 0 || (o->color < 0 && isatty(STDOUT_FILENO)));

		if ((rc = print_plan(r->stg, color, &sum, rejects, e)) < 0)
			goto out;
	}
	log_info("plan: %ld to create, %ld to change, %ld %s, %ld set aside%s", sum.creates,
		 sum.changes, sum.conflicts, plural(sum.conflicts, "conflict", "conflicts"),
		 sum.rejects, committed ? "" : " (unchanged)");
	if (out)
		*out = sum;
out:
	free(subject);
	plan_out_release(&po);
	for (i = 0; i < nentries; i++)
		free(entries[i].id);
	free(entries);
	planner_release(&p);
	rec_reader_close(rd);
	json_decref(basis);
	json_decref(pids);
	json_decref(rejects);
	json_decref(ledger);
	hstate_release(&hs);
	return rc;
}
