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

static const struct {
	const char *name;
	size_t off;
} hstate_map[] = {
	{ "people", offsetof(struct hstate, people) },
	{ "locations", offsetof(struct hstate, locations) },
	{ "compensation-types", offsetof(struct hstate, compensation_types) },
	{ "document-types", offsetof(struct hstate, document_types) },
	{ "custom-fields", offsetof(struct hstate, custom_fields) },
	{ "compensations", offsetof(struct hstate, compensations) },
	{ "job-roles", offsetof(struct hstate, job_roles) },
	{ "custom-values", offsetof(struct hstate, custom_values) },
};
#define NHSTATE (sizeof(hstate_map) / sizeof(hstate_map[0]))

/* The index in hstate_map of the resource named by the first `n` bytes of `res`, or -1. */
static int hstate_res(const char *res, size_t n)
{
	size_t i;

	for (i = 0; i < NHSTATE; i++)
		if (strlen(hstate_map[i].name) == n && strncmp(hstate_map[i].name, res, n) == 0)
			return (int)i;
	return -1;
}

static json_t **hstate_slot(const struct hstate *hs, int i)
{
	return (json_t **)((const char *)hs + hstate_map[i].off);
}

static json_t *hstate_array(const struct hstate *hs, const char *res, size_t n)
{
	int i = hstate_res(res, n);

	return i < 0 ? NULL : *hstate_slot(hs, i);
}

/* Whether the resource of the first `n` bytes of `res` was read (streamed) or is held (whole). */
static bool hstate_has(const struct hstate *hs, const char *res, size_t n)
{
	int i = hstate_res(res, n);

	if (i < 0)
		return false;
	return hs->fp ? (hs->read & (1u << i)) != 0 : *hstate_slot(hs, i) != NULL;
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

/* The cache of struct hstate (hstate.h), current for the arrays as they are now. */
static json_t *hstate_index(const struct hstate *hs)
{
	/* The cache is not part of the state's value: filling it keeps `hs` logically const. */
	struct hstate *mut = (struct hstate *)hs;
	size_t total = 0, i, j;
	json_t *idx, *arr, *el;
	char key[512];

	for (i = 0; i < NHSTATE; i++)
		total += json_array_size(*hstate_slot(hs, (int)i));
	if (hs->index && hs->indexed == total)
		return hs->index;
	json_decref(mut->index);
	idx = json_object();
	for (i = 0; i < NHSTATE; i++) {
		arr = *hstate_slot(hs, (int)i);
		json_array_foreach (arr, j, el) {
			const char *id = json_get_str(el, "id"),
				   *pid = json_get_str(el, "personId");

			/* The first record with an id stands, as a scan would find it. */
			snprintf(key, sizeof(key), "%s/%s", hstate_map[i].name, id ? id : "");
			if (id && !json_object_get(idx, key))
				json_object_set(idx, key, el);
			if (pid) {
				json_t *set;

				snprintf(key, sizeof(key), "%s?personId=%s", hstate_map[i].name,
					 pid);
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

/* The SHA-256 of the canonical empty array, an empty set's fingerprint. */
static void empty_set_sha(char out[65])
{
	static const char text[] = "[]\n";

	sha256_hex(text, sizeof(text) - 1, out);
}

int hstate_fingerprint(const struct hstate *hs, const char *key, char out[65], struct err *e)
{
	const char *slash = strchr(key, '/'), *q = strstr(key, "?personId=");
	const char *sha;
	json_t *el;
	int rc;

	if (q && (!slash || q < slash)) {
		json_t *set;

		if (!hstate_has(hs, key, (size_t)(q - key)))
			return err_set(e, ERR_NOTFOUND, "humaans %s was not read", key);
		if (hs->fp) {
			sha = json_string_value(json_object_get(hs->fp, key));
			if (sha)
				snprintf(out, 65, "%s", sha);
			else
				empty_set_sha(out);
			return 0;
		}
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
	if (hs->fp) {
		sha = hstate_has(hs, key, (size_t)(slash - key))
			      ? json_string_value(json_object_get(hs->fp, key))
			      : NULL;
		if (!sha)
			return err_set(e, ERR_NOTFOUND, "humaans %s does not exist", key);
		snprintf(out, 65, "%s", sha);
		return 0;
	}
	el = hstate_array(hs, key, (size_t)(slash - key)) ? json_object_get(hstate_index(hs), key)
							  : NULL;
	if (!el)
		return err_set(e, ERR_NOTFOUND, "humaans %s does not exist", key);
	return sha_of(el, out, e);
}

void hstate_release(struct hstate *hs)
{
	size_t i;

	for (i = 0; i < NHSTATE; i++)
		json_decref(*hstate_slot(hs, (int)i));
	json_decref(hs->fp);
	json_decref(hs->index);
	memset(hs, 0, sizeof(*hs));
}

/* ------------------------------------------------------ streamed reads */

void hstate_stream_init(struct hstate *hs, const struct hstate_keep *keep, const json_t *wanted)
{
	memset(hs, 0, sizeof(*hs));
	hs->fp = json_object();
	hs->wanted = wanted;
	if (keep)
		hs->keep = *keep;
}

/* Record the fingerprint of `key` (unless not wanted, or already there when `first`). */
static int note_fp(struct hstate *hs, const char *key, const json_t *v, bool first, struct err *e)
{
	char sha[65];
	int rc;

	if (hs->wanted && !json_object_get(hs->wanted, key))
		return 0;
	if (first && json_object_get(hs->fp, key))
		return 0;
	if ((rc = sha_of(v, sha, e)) < 0)
		return rc;
	if (json_object_set_new(hs->fp, key, json_string(sha)) < 0)
		return err_set(e, ERR_FAIL, "out of memory fingerprinting humaans records");
	return 0;
}

struct list_read {
	struct hstate *hs;
	int res;
};

static int list_page(void *ctx, json_t *data, struct err *e)
{
	struct list_read *lr = ctx;
	struct hstate *hs = lr->hs;
	json_t **arr = hstate_slot(hs, lr->res), *el, *kept;
	bool people = strcmp(hstate_map[lr->res].name, "people") == 0;
	char key[512];
	size_t i;
	int rc;

	json_array_foreach (data, i, el) {
		const char *id = json_get_str(el, "id");

		if (id) {
			snprintf(key, sizeof(key), "%s/%s", hstate_map[lr->res].name, id);
			if ((rc = note_fp(hs, key, el, true, e)) < 0)
				return rc;
		}
		if (!people)
			kept = json_incref(el);
		else
			kept = hs->keep.person ? hs->keep.person(hs->keep.ctx, el) : NULL;
		if (kept && json_array_append_new(*arr, kept) < 0)
			return err_set(e, ERR_FAIL, "out of memory reading humaans");
	}
	return 0;
}

int hstate_read(struct hstate *hs, struct http_client *c, const char *res, struct err *e)
{
	struct list_read lr = { hs, hstate_res(res, strlen(res)) };
	json_t **arr;
	char path[64];

	if (lr.res < 0)
		return err_set(e, ERR_INVALID, "humaans: no list '%s'", res);
	arr = hstate_slot(hs, lr.res);
	if (!*arr)
		*arr = json_array();
	hs->read |= 1u << lr.res;
	snprintf(path, sizeof(path), "/%s", res);
	return humaans_list(c, path, NULL, list_page, &lr, NULL, e);
}

/*
 * A set read under way: each person's records arrived so far (pid -> array)
 * and how many chunks asking for the person are not complete (pid -> count).
 */
struct set_read {
	struct hstate *hs;
	int res;
	json_t *pending, *waiting;
};

static int set_page(void *ctx, json_t *data, struct err *e)
{
	struct set_read *sr = ctx;
	json_t *el, *arr;
	size_t i;

	json_array_foreach (data, i, el) {
		const char *pid = json_get_str(el, "personId");

		if (!pid)
			continue;
		arr = json_object_get(sr->pending, pid);
		if (!arr) {
			arr = json_array();
			json_object_set_new(sr->pending, pid, arr);
		}
		if (json_array_append(arr, el) < 0)
			return err_set(e, ERR_FAIL, "out of memory reading humaans");
	}
	return 0;
}

/* A person's set is complete: fingerprint it, keep what `keep` chose, drop the records. */
static int set_finish(struct set_read *sr, const char *pid, struct err *e)
{
	struct hstate *hs = sr->hs;
	const char *res = hstate_map[sr->res].name;
	json_t *set = json_incref(json_object_get(sr->pending, pid)), *kept;
	char key[512];
	int rc = 0;

	if (!set) {
		json_object_del(sr->waiting, pid);
		return 0; /* an empty set has no fingerprint of its own */
	}
	snapshot_sort_by_key(set, "id");
	snprintf(key, sizeof(key), "%s?personId=%s", res, pid);
	if ((rc = note_fp(hs, key, set, false, e)) < 0)
		goto out;
	kept = hs->keep.set ? hs->keep.set(hs->keep.ctx, res, pid, set) : NULL;
	if (kept && json_array_extend(*hstate_slot(hs, sr->res), kept) < 0)
		rc = err_set(e, ERR_FAIL, "out of memory reading humaans");
	json_decref(kept);
out:
	json_decref(set);
	/* Last: `pid` may be the key of either object. */
	json_object_del(sr->waiting, pid);
	json_object_del(sr->pending, pid);
	return rc;
}

static int set_chunk_done(void *ctx, const char *const *values, size_t n, struct err *e)
{
	struct set_read *sr = ctx;
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		json_t *w = json_object_get(sr->waiting, values[i]);
		json_int_t left = json_integer_value(w) - 1;

		if (left > 0) {
			json_integer_set(w, left);
			continue;
		}
		if ((rc = set_finish(sr, values[i], e)) < 0)
			return rc;
	}
	return 0;
}

int hstate_read_sets(struct hstate *hs, struct http_client *c, const char *res, const json_t *pids,
		     struct err *e)
{
	struct set_read sr = { hs, hstate_res(res, strlen(res)), json_object(), json_object() };
	size_t i, n = json_array_size(pids);
	const char **v = xcalloc(n ? n : 1, sizeof(*v));
	const char *pid;
	json_t **arr, *tmp;
	char path[64];
	void *it;
	int rc = 0;

	if (sr.res < 0) {
		rc = err_set(e, ERR_INVALID, "humaans: no list '%s'", res);
		goto out;
	}
	arr = hstate_slot(hs, sr.res);
	if (!*arr)
		*arr = json_array();
	hs->read |= 1u << sr.res;
	for (i = 0; i < n; i++) {
		json_t *w;

		v[i] = json_string_value(json_array_get(pids, i));
		w = json_object_get(sr.waiting, v[i]);
		if (w)
			json_integer_set(w, json_integer_value(w) + 1);
		else
			json_object_set_new(sr.waiting, v[i], json_integer(1));
	}
	snprintf(path, sizeof(path), "/%s", res);
	rc = humaans_list_in_chunks(c, path, "personId", v, n, NULL, set_page, set_chunk_done, &sr,
				    e);
	/* Records of people no chunk asked for (a server that ignores the filter). */
	json_object_foreach_safe (sr.pending, it, pid, tmp) {
		(void)tmp;
		if (rc == 0)
			rc = set_finish(&sr, pid, e);
	}
out:
	free(v);
	json_decref(sr.pending);
	json_decref(sr.waiting);
	return rc;
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

int hstate_read_basis(struct http_client *c, const json_t *keys, const struct hstate_keep *keep,
		      struct hstate *hs, struct err *e)
{
	static const char *const lists[] = { "locations", "compensation-types", "document-types",
					     "custom-fields" };
	static const char *const sets_read[] = { "compensations", "job-roles", "custom-values" };
	json_t *want = json_object(), *sets = json_object(), *v;
	const char *k;
	size_t i;
	int rc;

	hstate_stream_init(hs, keep, keys);
	json_object_foreach ((json_t *)keys, k, v) {
		const char *q = strstr(k, "?personId="), *slash = strchr(k, '/');

		(void)v;
		if (q && (!slash || q < slash))
			set_add(sets, k, (size_t)(q - k), q + strlen("?personId="));
		else if (slash)
			json_object_setn_new(want, k, (size_t)(slash - k), json_true());
	}
	if ((rc = hstate_read(hs, c, "people", e)) < 0)
		goto out;
	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
		if (json_object_get(want, lists[i]) && (rc = hstate_read(hs, c, lists[i], e)) < 0)
			goto out;
	for (i = 0; i < sizeof(sets_read) / sizeof(sets_read[0]); i++)
		if (json_object_get(sets, sets_read[i]) &&
		    (rc = hstate_read_sets(hs, c, sets_read[i], json_object_get(sets, sets_read[i]),
					   e)) < 0)
			goto out;
out:
	json_decref(want);
	json_decref(sets);
	if (rc < 0)
		hstate_release(hs);
	return rc;
}
