#include "config.h"

#include "stages/hstate.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apis/humaans.h"
#include "base/buf.h"
#include "base/hash.h"
#include "base/jsonutil.h"
#include "base/xalloc.h"
#include "store/snapshot.h"

static json_t *hstate_array(const struct hstate *hs, const char *res, size_t n)
{
	static const struct {
		const char *name;
		size_t off;
	} map[] = {
		{ "people", offsetof(struct hstate, people) },
		{ "locations", offsetof(struct hstate, locations) },
		{ "compensation-types", offsetof(struct hstate, compensation_types) },
		{ "document-types", offsetof(struct hstate, document_types) },
		{ "custom-fields", offsetof(struct hstate, custom_fields) },
		{ "compensations", offsetof(struct hstate, compensations) },
		{ "job-roles", offsetof(struct hstate, job_roles) },
		{ "custom-values", offsetof(struct hstate, custom_values) },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strlen(map[i].name) == n && strncmp(map[i].name, res, n) == 0)
			return *(json_t *const *)((const char *)hs + map[i].off);
	return NULL;
}

static int sha_of(const json_t *v, char out[65], struct err *e)
{
	struct buf b = BUF_INIT;
	int rc = snapshot_dump(v, &b, e);

	if (rc == 0)
		sha256_hex(b.data, b.len, out);
	buf_release(&b);
	return rc;
}

static const char *const hstate_names[] = { "people",	      "locations",     "compensation-types",
					    "document-types", "custom-fields", "compensations",
					    "job-roles",      "custom-values" };
#define NHSTATE (sizeof(hstate_names) / sizeof(hstate_names[0]))

/* The cache of struct hstate (hstate.h), current for the arrays as they are now. */
static json_t *hstate_index(const struct hstate *hs)
{
	/* The cache is not part of the state's value: filling it keeps `hs` logically const. */
	struct hstate *mut = (struct hstate *)hs;
	size_t total = 0, i, j;
	json_t *idx, *arr, *el;
	char key[512];

	for (i = 0; i < NHSTATE; i++)
		total +=
			json_array_size(hstate_array(hs, hstate_names[i], strlen(hstate_names[i])));
	if (hs->index && hs->indexed == total)
		return hs->index;
	json_decref(mut->index);
	idx = json_object();
	for (i = 0; i < NHSTATE; i++) {
		arr = hstate_array(hs, hstate_names[i], strlen(hstate_names[i]));
		json_array_foreach (arr, j, el) {
			const char *id = json_get_str(el, "id"),
				   *pid = json_get_str(el, "personId");

			/* The first record with an id stands, as a scan would find it. */
			snprintf(key, sizeof(key), "%s/%s", hstate_names[i], id ? id : "");
			if (id && !json_object_get(idx, key))
				json_object_set(idx, key, el);
			if (pid) {
				json_t *set;

				snprintf(key, sizeof(key), "%s?personId=%s", hstate_names[i], pid);
				set = json_object_get(idx, key);
				if (!set) {
					set = json_array();
					json_object_set_new(idx, key, set);
				}
				json_array_append(set, el);
			}
		}
	}
	mut->index = idx;
	mut->indexed = total;
	return idx;
}

/*
 * The records of person `pid` in resource `res` ("compensations"...), in the
 * array's order; borrowed. NULL when there are none (json_array_foreach and
 * json_array_size take NULL as empty).
 */
const json_t *hstate_person(const struct hstate *hs, const char *res, const char *pid)
{
	char key[512];

	snprintf(key, sizeof(key), "%s?personId=%s", res, pid ? pid : "");
	return json_object_get(hstate_index(hs), key);
}

int hstate_fingerprint(const struct hstate *hs, const char *key, char out[65], struct err *e)
{
	const char *slash = strchr(key, '/'), *q = strstr(key, "?personId=");
	json_t *el;
	int rc;

	if (q && (!slash || q < slash)) {
		json_t *set;

		if (!hstate_array(hs, key, (size_t)(q - key)))
			return err_set(e, ERR_NOTFOUND, "humaans %s was not read", key);
		set = json_copy(json_object_get(hstate_index(hs), key));
		if (!set)
			set = json_array();
		snapshot_sort_by_key(set, "id");
		rc = sha_of(set, out, e);
		json_decref(set);
		return rc;
	}
	if (!slash)
		return err_set(e, ERR_INVALID, "bad basis key '%s'", key);
	el = hstate_array(hs, key, (size_t)(slash - key)) ? json_object_get(hstate_index(hs), key)
							  : NULL;
	if (!el)
		return err_set(e, ERR_NOTFOUND, "humaans %s does not exist", key);
	return sha_of(el, out, e);
}

/* Every record of a list, through the Humaans client (paging lives there). */
int hstate_list(struct http_client *c, const char *what, const char *query, json_t **out,
		struct err *e)
{
	return humaans_list_all(c, what, query, out, e);
}

static int collect_page(void *ctx, json_t *data, struct err *e)
{
	(void)e;
	return json_array_extend((json_t *)ctx, data) < 0 ? ERR_FAIL : 0;
}

int hstate_list_in(struct http_client *c, const char *what, const json_t *ids, json_t **out,
		   struct err *e)
{
	size_t i, n = json_array_size(ids);
	const char **v = xcalloc(n ? n : 1, sizeof(*v));
	json_t *all = json_array();
	int rc;

	for (i = 0; i < n; i++)
		v[i] = json_string_value(json_array_get(ids, i));
	rc = humaans_list_in(c, what, "personId", v, n, NULL, collect_page, all, e);
	free(v);
	if (rc < 0) {
		json_decref(all);
		return rc;
	}
	/* Chunks arrive in no particular order: sort for stable output. */
	snapshot_sort_by_key(all, "id");
	*out = all;
	return 0;
}

void hstate_release(struct hstate *hs)
{
	json_decref(hs->people);
	json_decref(hs->locations);
	json_decref(hs->compensation_types);
	json_decref(hs->document_types);
	json_decref(hs->custom_fields);
	json_decref(hs->compensations);
	json_decref(hs->job_roles);
	json_decref(hs->custom_values);
	json_decref(hs->index);
	memset(hs, 0, sizeof(*hs));
}

static bool arr_has_str(const json_t *arr, const char *s)
{
	const json_t *el;
	size_t i;

	json_array_foreach (arr, i, el)
		if (json_is_string(el) && strcmp(json_string_value(el), s) == 0)
			return true;
	return false;
}

/* Add `id` to the array under `res` in `sets` once. */
static void set_add(json_t *sets, const char *res, size_t n, const char *id)
{
	char name[64];
	json_t *arr;

	snprintf(name, sizeof(name), "%.*s", (int)n, res);
	arr = json_object_get(sets, name);
	if (!arr) {
		arr = json_array();
		json_object_set_new(sets, name, arr);
	}
	if (!arr_has_str(arr, id))
		json_array_append_new(arr, json_string(id));
}

int hstate_read_basis(struct http_client *c, const json_t *keys, struct hstate *hs, struct err *e)
{
	json_t *lists = json_object(), *sets = json_object(), *v;
	const char *k;
	int rc;

	memset(hs, 0, sizeof(*hs));
	json_object_foreach ((json_t *)keys, k, v) {
		const char *q = strstr(k, "?personId="), *slash = strchr(k, '/');

		(void)v;
		if (q && (!slash || q < slash))
			set_add(sets, k, (size_t)(q - k), q + strlen("?personId="));
		else if (slash)
			json_object_setn_new(lists, k, (size_t)(slash - k), json_true());
	}
	if ((rc = hstate_list(c, "/people", NULL, &hs->people, e)) < 0)
		goto out;
#define READ_IF(name, field)                                          \
	if (json_object_get(lists, name) &&                           \
	    (rc = hstate_list(c, "/" name, NULL, &hs->field, e)) < 0) \
		goto out;
	READ_IF("locations", locations)
	READ_IF("compensation-types", compensation_types)
	READ_IF("document-types", document_types)
	READ_IF("custom-fields", custom_fields)
#undef READ_IF
#define READ_SET(name, field)                                                                   \
	if (json_object_get(sets, name) &&                                                      \
	    (rc = hstate_list_in(c, "/" name, json_object_get(sets, name), &hs->field, e)) < 0) \
		goto out;
	READ_SET("compensations", compensations)
	READ_SET("job-roles", job_roles)
	READ_SET("custom-values", custom_values)
#undef READ_SET
out:
	json_decref(lists);
	json_decref(sets);
	if (rc < 0)
		hstate_release(hs);
	return rc;
}
