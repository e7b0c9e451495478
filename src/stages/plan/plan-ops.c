#include "config.h"

#include "stages/plan/plan-int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/jsonutil.h"
#include "base/xalloc.h"

char *plan_lower_dup(const char *s)
{
	char *d = xstrdup(s ? s : "");
	char *p;

	for (p = d; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return d;
}

bool plan_str_ieq(const char *a, const char *b)
{
	return a && b && strcasecmp(a, b) == 0;
}

/* Map the (optionally lower-cased) string `key` of each record to the record. New object. */
json_t *plan_index_by(const json_t *arr, const char *key, bool lower)
{
	json_t *idx = json_object(), *el;
	size_t i;

	json_array_foreach (arr, i, el) {
		const char *k = json_get_str(el, key);
		char *lk;

		if (!k || !*k)
			continue;
		lk = lower ? plan_lower_dup(k) : xstrdup(k);
		if (!json_object_get(idx, lk))
			json_object_set(idx, lk, el);
		free(lk);
	}
	return idx;
}

/* A display form of a value: strings as they are, absent/null as NULL, others compact JSON. Caller frees. */
char *plan_disp(const json_t *v)
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

int plan_add_change(json_t *changes, const char *field, const char *before, const char *after)
{
	json_t *c = json_object();

	if (json_object_set_new(c, "field", json_string(field)) < 0 ||
	    json_object_set_new(c, "before", before ? json_string(before) : json_null()) < 0 ||
	    json_object_set_new(c, "after", after ? json_string(after) : json_null()) < 0 ||
	    json_array_append_new(changes, c) < 0)
		return -1;
	return 0;
}

int plan_add_change_v(json_t *changes, const char *field, const json_t *before, const json_t *after)
{
	char *b = plan_disp(before), *a = plan_disp(after);
	int rc = plan_add_change(changes, field, b, a);

	free(b);
	free(a);
	return rc;
}

void plan_add_warning(json_t *warnings, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	json_array_append_new(warnings, json_string(b.data));
	buf_release(&b);
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

const char **plan_sorted_keys(const json_t *obj, size_t *n)
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

json_t *plan_step_new(const char *op, const char *method, const char *path, json_t *body)
{
	json_t *s = json_object();

	json_object_set_new(s, "op", json_string(op));
	json_object_set_new(s, "method", json_string(method));
	json_object_set_new(s, "path", json_string(path));
	if (body)
		json_object_set_new(s, "body", body);
	return s;
}

char *plan_salary_display(const json_t *c)
{
	char *amount = plan_disp(json_object_get(c, "amount"));
	const char *cur = json_get_str(c, "currency"), *per = json_get_str(c, "period"),
		   *eff = json_get_str(c, "effectiveDate");
	char *s = xasprintf("%s %s %s from %s", amount ? amount : "?", cur ? cur : "?",
			    per ? per : "?", eff ? eff : "?");

	free(amount);
	return s;
}

json_t *plan_compensation_body(const char *pid, const json_t *type, const json_t *salary)
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
void plan_document_steps(json_t *steps, json_t *changes, const char *pid, const json_t *doc,
			 const json_t *dtype)
{
	const char *name = json_get_str(doc, "name");
	json_t *up = plan_step_new("uploadFile", "POST", "/files", NULL), *b = json_object();
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
	json_array_append_new(steps, plan_step_new("createDocument", "POST", "/documents", b));

	if (!changes)
		return;
	shown = xasprintf("%s: %s", json_get_str(dtype, "name"), name ? name : "");
	plan_add_change(changes, "document", NULL, shown);
	free(shown);
}

char *plan_manager_display(const json_t *m)
{
	const char *fn = json_get_str(m, "firstName"), *ln = json_get_str(m, "lastName"),
		   *em = json_get_str(m, "email");

	return xasprintf("%s%s%s <%s> (%s)", fn ? fn : "", fn && ln ? " " : "", ln ? ln : "",
			 em ? em : "", json_get_str(m, "id"));
}

char *plan_location_display(const json_t *l)
{
	const char *label = json_get_str(l, "label");

	return xasprintf("%s (%s)", label ? label : "", json_get_str(l, "id"));
}

/* ----------------------------------------------------------- operations */

json_t *plan_op_new(const json_t *hire, const char *action)
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

void plan_review_warning(const json_t *hire, json_t *warnings)
{
	const char *review = json_get_str(hire, "review");
	const json_t *pe = json_get_obj(hire, "person");
	const char *fn = json_get_str(pe, "firstName"), *mn = json_get_str(pe, "middleName"),
		   *ln = json_get_str(pe, "lastName");

	if (!review)
		return;
	plan_add_warning(warnings,
			 "check the name split of '%s' (first '%s', middle '%s', last '%s'): %s",
			 json_get_str(hire, "name") ? json_get_str(hire, "name") : "", fn ? fn : "",
			 mn ? mn : "", ln ? ln : "", review);
}
