/* tombstones: the reader and writer of load/tombstones.json (tombstones.h). */
#include "config.h"

#include "store/tombstones.h"

#include <stdlib.h>
#include <string.h>

#include "base/jsonutil.h"
#include "base/xalloc.h"
#include "store/records.h"
#include "store/snapshot.h"
#include "store/staging.h"

static bool date_valid(const char *d)
{
	static const char pat[] = "dddd-dd-dd";
	size_t i;

	if (!d || strlen(d) != sizeof(pat) - 1)
		return false;
	for (i = 0; pat[i]; i++)
		if (pat[i] == 'd' ? (d[i] < '0' || d[i] > '9') : d[i] != pat[i])
			return false;
	return true;
}

static int entry_check(const char *app, const json_t *en, const char *what, struct err *e)
{
	const json_t *runs = json_object_get(en, "runs"), *r;
	size_t i;

	if (!json_is_object(en) || !date_valid(json_get_str(en, "date")) ||
	    !json_get_str(en, "reason") || !json_is_array(runs))
		return err_set(e, ERR_INVALID,
			       "%s: the tombstone of application '%s' needs a date "
			       "(YYYY-MM-DD), a reason and runs",
			       what, app);
	json_array_foreach (runs, i, r)
		if (!json_is_string(r))
			return err_set(e, ERR_INVALID,
				       "%s: application '%s': a run is not a string", what, app);
	return 0;
}

int tombstones_parse(const char *data, size_t len, const char *what, json_t **out, struct err *e)
{
	json_t *t = NULL, *en;
	const char *app;
	int rc;

	*out = NULL;
	if ((rc = snapshot_parse(data, len, what, &t, e)) < 0)
		return rc;
	if (!json_is_object(t)) {
		json_decref(t);
		return err_set(e, ERR_INVALID, "%s is not a JSON object", what);
	}
	json_object_foreach (t, app, en) {
		if ((rc = entry_check(app, en, what, e)) < 0) {
			json_decref(t);
			return rc;
		}
	}
	*out = t;
	return 0;
}

int tombstones_load_at(struct staging *s, const char *rev, json_t **out, struct err *e)
{
	struct buf b = BUF_INIT;
	int rc = rev ? staging_read_at(s, rev, TOMBSTONES_FILE, &b, e)
		     : staging_read(s, TOMBSTONES_FILE, &b, e);

	*out = NULL;
	if (rc == ERR_NOTFOUND) {
		err_clear(e);
		*out = json_object();
		rc = 0;
	} else if (rc == 0) {
		rc = tombstones_parse(b.data, b.len, TOMBSTONES_FILE, out, e);
	}
	buf_release(&b);
	return rc;
}

int tombstones_load(struct staging *s, json_t **out, struct err *e)
{
	return tombstones_load_at(s, NULL, out, e);
}

bool tombstones_has(const json_t *t, const char *app, const char **date)
{
	const json_t *en = app ? json_object_get(t, app) : NULL;

	if (date)
		*date = en ? json_get_str(en, "date") : NULL;
	return en != NULL;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int tombstones_add(json_t *t, const char *app, const char *date, const char *reason,
		   const json_t *runs, struct err *e)
{
	json_t *en, *arr = json_array(), *r;
	const char **v;
	size_t i, n = json_array_size(runs);

	if (!app || !*app || !date_valid(date) || !reason || strpbrk(reason, "\r\n")) {
		json_decref(arr);
		return err_set(e, ERR_INVALID,
			       "a tombstone needs an application id, a date and "
			       "a one-line reason");
	}
	v = xcalloc(n ? n : 1, sizeof(*v));
	json_array_foreach (runs, i, r)
		v[i] = json_string_value(r) ? json_string_value(r) : "";
	qsort(v, n, sizeof(*v), cmp_str);
	for (i = 0; i < n; i++)
		if (i == 0 || strcmp(v[i], v[i - 1]) != 0)
			json_array_append_new(arr, json_string(v[i]));
	free(v);
	en = json_pack("{s:s, s:s, s:o}", "date", date, "reason", reason, "runs", arr);
	if (!en)
		return err_set(e, ERR_INVALID, "the reason of the erasure is not valid UTF-8");
	json_object_set_new(t, app, en);
	return 0;
}

int tombstones_dump(const json_t *t, struct buf *out, struct err *e)
{
	return snapshot_dump(t, out, e);
}

const char **tombstones_ids(const json_t *t, size_t *n)
{
	const char **ids, *app;
	size_t i = 0, cnt = json_object_size(t);
	json_t *en;

	ids = xcalloc(cnt ? cnt : 1, sizeof(*ids));
	json_object_foreach ((json_t *)t, app, en)
		ids[i++] = app;
	qsort(ids, cnt, sizeof(*ids), cmp_str);
	*n = cnt;
	return ids;
}
