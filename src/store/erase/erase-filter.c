/*
 * erase-filter: what of a staged file names the hires being erased, and the
 * file without it. JSON record arrays lose the records that name a hire
 * (read and written a record at a time, canonical as before); objects keyed
 * by id lose the hire's member (the ledger keeps its Humaans ids and loses
 * `base`); text files lose the lines (CSV: records) that name a hire, and
 * plan.txt the indented lines under a dropped one.
 */
#define _GNU_SOURCE /* fmemopen */
#include "config.h"

#include "store/erase/erase-int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "store/records.h"

#define MIN_TEXT 5 /* a shorter name or phone would match too much */
#define LOAD_FLAGS (JSON_DISABLE_EOF_CHECK | JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL)

/* ---- needles ---- */

void needles_init(struct needles *nd)
{
	memset(nd, 0, sizeof(*nd));
	nd->apps = json_object();
	nd->set = json_object();
	nd->raw_ok = true;
}

void needles_release(struct needles *nd)
{
	size_t i;

	for (i = 0; i < nd->n; i++)
		free(nd->v[i]);
	free(nd->v);
	json_decref(nd->apps);
	json_decref(nd->set);
	memset(nd, 0, sizeof(*nd));
}

void needles_add(struct needles *nd, const char *s, bool is_id)
{
	const unsigned char *p;
	size_t len = s ? strlen(s) : 0;

	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	if (!len || (!is_id && len < MIN_TEXT))
		return;
	if (json_object_get(nd->set, s))
		return;
	json_object_set_new(nd->set, s, json_true());
	nd->v = xrealloc(nd->v, (nd->n + 1) * sizeof(*nd->v));
	nd->v[nd->n] = xstrndup(s, len);
	for (p = (const unsigned char *)nd->v[nd->n]; *p; p++)
		if (*p == '"' || *p == '\\' || *p < 0x20)
			nd->raw_ok = false;
	nd->n++;
}

void needles_add_app(struct needles *nd, const char *app)
{
	json_object_set_new(nd->apps, app, json_true());
	needles_add(nd, app, true);
}

bool needles_is_app(const struct needles *nd, const char *s)
{
	return s && json_object_get(nd->apps, s) != NULL;
}

static bool ci_find(const char *hay, size_t hlen, const char *nee, size_t nlen)
{
	unsigned char lo = (unsigned char)tolower((unsigned char)nee[0]),
		      up = (unsigned char)toupper((unsigned char)nee[0]);
	size_t i, j;

	if (nlen == 0 || nlen > hlen)
		return false;
	for (i = 0; i + nlen <= hlen; i++) {
		unsigned char c = (unsigned char)hay[i];

		if (c != lo && c != up)
			continue;
		for (j = 1; j < nlen; j++)
			if (tolower((unsigned char)hay[i + j]) != tolower((unsigned char)nee[j]))
				break;
		if (j == nlen)
			return true;
	}
	return false;
}

bool needles_in_text(const struct needles *nd, const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < nd->n; i++)
		if (ci_find(p, len, nd->v[i], strlen(nd->v[i])))
			return true;
	return false;
}

bool needles_in_json(const struct needles *nd, const json_t *v)
{
	const char *k;
	json_t *x;
	size_t i;

	switch (json_typeof(v)) {
	case JSON_STRING:
		return needles_in_text(nd, json_string_value(v), json_string_length(v));
	case JSON_OBJECT:
		json_object_foreach ((json_t *)v, k, x)
			if (needles_in_text(nd, k, strlen(k)) || needles_in_json(nd, x))
				return true;
		return false;
	case JSON_ARRAY:
		json_array_foreach (v, i, x)
			if (needles_in_json(nd, x))
				return true;
		return false;
	default:
		return false;
	}
}

/* ---- by path ---- */

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

enum erase_kind erase_kind_of(const char *path)
{
	if (strcmp(path, "load/ledger.json") == 0)
		return EK_LEDGER;
	if (strcmp(path, "load/ledger.pending.jsonl") == 0)
		return EK_PENDING;
	if (ends_with(path, ".json"))
		return EK_JSON;
	if (ends_with(path, ".csv"))
		return EK_CSV;
	if (ends_with(path, ".pdf"))
		return EK_BINARY;
	return EK_LINES;
}

bool erase_path_drops(const struct needles *nd, const char *path)
{
	const char *app;
	json_t *v;

	json_object_foreach (nd->apps, app, v)
		if (strstr(path, app))
			return true;
	return false;
}

/* ---- JSON ---- */

/* Drop from `v` what names a hire: members by name or string value, array elements whole. */
static void scrub_value(const struct needles *nd, json_t *v, long *removed)
{
	const char *k;
	json_t *x;
	void *tmp;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach_safe (v, tmp, k, x) {
			if (needles_in_text(nd, k, strlen(k)) ||
			    (json_is_string(x) && needles_in_json(nd, x))) {
				json_object_del(v, k);
				(*removed)++;
			} else {
				scrub_value(nd, x, removed);
			}
		}
	} else if (json_is_array(v)) {
		for (i = json_array_size(v); i-- > 0;) {
			if (needles_in_json(nd, json_array_get(v, i))) {
				json_array_remove(v, i);
				(*removed)++;
			}
		}
	}
}

/* The records of one array (the whole file, or member `member`) into `w`, filtered. */
static int filter_array(const struct needles *nd, const char *path, const char *data, size_t len,
			const char *member, struct rec_writer *w, long *removed, struct err *e)
{
	struct rec_reader *r = NULL;
	json_t *rec = NULL;
	int rc;

	if ((rc = rec_reader_open_mem(data, len, path, member, &r, e)) < 0)
		return rc;
	while ((rc = rec_reader_next(r, &rec, NULL, e)) == 1) {
		if (needles_in_json(nd, rec))
			(*removed)++;
		else if ((rc = rec_writer_add(w, rec, e)) < 0)
			break;
		json_decref(rec);
		rec = NULL;
	}
	json_decref(rec);
	rec_reader_close(r);
	return rc;
}

static int load_at(FILE *f, long at, const char *path, json_t **out, struct err *e)
{
	json_error_t jerr;

	if (fseek(f, at, SEEK_SET) != 0)
		return err_set(e, ERR_IO, "%s: cannot seek to byte %ld", path, at);
	*out = json_loadf(f, LOAD_FLAGS | JSON_DECODE_ANY, &jerr);
	if (!*out)
		return err_set(e, ERR_INVALID, "%s: invalid value at byte %ld: %s", path, at,
			       jerr.text);
	return 0;
}

/* One member of a top-level object (`name`, value at `at`) into `w`, filtered. */
static int filter_member(const struct needles *nd, enum erase_kind kind, const char *path,
			 const char *data, size_t len, FILE *f, const char *name, long at,
			 struct rec_writer *w, long *removed, struct err *e)
{
	json_t *v = NULL;
	int rc, c;

	if (kind == EK_LEDGER && needles_is_app(nd, name)) {
		/* The Humaans ids stay (delete-new-hire, dedupe); what was sent goes. */
		if ((rc = load_at(f, at, path, &v, e)) < 0)
			return rc;
		if (json_object_get(v, "base")) {
			json_object_del(v, "base");
			(*removed)++;
		}
		scrub_value(nd, v, removed);
		rc = rec_writer_member(w, name, v, e);
		json_decref(v);
		return rc;
	}
	if (needles_in_text(nd, name, strlen(name))) {
		(*removed)++;
		return 0;
	}
	if (fseek(f, at, SEEK_SET) != 0)
		return err_set(e, ERR_IO, "%s: cannot seek to byte %ld", path, at);
	c = rec_skip_ws(f);
	if (c == '[') {
		/* A record array (plan.json "operations"): a record at a time. */
		if ((rc = rec_writer_member_array(w, name, e)) < 0)
			return rc;
		return filter_array(nd, path, data, len, name, w, removed, e);
	}
	if ((rc = load_at(f, at, path, &v, e)) < 0)
		return rc;
	if (json_is_string(v) && needles_in_json(nd, v))
		(*removed)++;
	else {
		scrub_value(nd, v, removed);
		rc = rec_writer_member(w, name, v, e);
	}
	json_decref(v);
	return rc;
}

static int filter_object(const struct needles *nd, enum erase_kind kind, const char *path,
			 const char *data, size_t len, struct rec_writer *w, long *removed,
			 struct err *e)
{
	FILE *f = fmemopen((void *)data, len, "r");
	struct rec_members *m = NULL;
	const char *name;
	char *copy = NULL;
	long at;
	int rc;

	if (!f)
		return err_set(e, ERR_FAIL, "%s: cannot read it in memory", path);
	if (rec_skip_ws(f) != '{') {
		rc = err_set(e, ERR_INVALID, "%s is not a JSON object", path);
		goto out;
	}
	m = rec_members_begin(f, path);
	while ((rc = rec_members_next(m, &name, &at, e)) == 1) {
		free(copy);
		copy = xstrdup(name);
		rc = filter_member(nd, kind, path, data, len, f, copy, at, w, removed, e);
		if (rc < 0)
			break;
	}
out:
	free(copy);
	rec_members_end(m);
	fclose(f);
	return rc;
}

static int filter_json(const struct needles *nd, enum erase_kind kind, const char *path,
		       const char *data, size_t len, struct buf *out, long *removed, struct err *e)
{
	struct rec_writer *w = NULL;
	size_t i = 0;
	bool object;
	int rc;

	while (i < len && strchr(" \t\r\n", data[i]))
		i++;
	if (i == len || (data[i] != '[' && data[i] != '{'))
		return err_set(e, ERR_INVALID, "%s is not a JSON array or object", path);
	object = data[i] == '{';
	rec_writer_begin_buf(out, object, &w);
	if (object)
		rc = filter_object(nd, kind, path, data, len, w, removed, e);
	else
		rc = filter_array(nd, path, data, len, NULL, w, removed, e);
	if (rc < 0) {
		rec_writer_abort(w);
		return rc;
	}
	return rec_writer_finish(w, NULL, e);
}

/* ---- lines ---- */

/* The end of the record that starts at `p` (just past its newline, or `end`). */
static const char *record_end(const char *p, const char *end, bool csv)
{
	bool quoted = false;

	for (; p < end; p++) {
		if (csv && *p == '"')
			quoted = !quoted;
		else if (*p == '\n' && !quoted)
			return p + 1;
	}
	return end;
}

/* A line of load/ledger.pending.jsonl of an erased hire: its entry without `base`. */
static bool pending_line(const struct needles *nd, const char *p, size_t n, struct buf *out)
{
	json_t *v = json_loadb(p, n, JSON_REJECT_DUPLICATES, NULL);
	json_t *en = json_object_get(v, "entry");
	char *text;

	if (!v || !needles_is_app(nd, json_string_value(json_object_get(v, "app"))) ||
	    !json_is_object(en)) {
		json_decref(v);
		return false;
	}
	json_object_del(en, "base");
	text = json_dumps(v, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(v);
	if (!text)
		return false;
	buf_adds(out, text);
	buf_addc(out, '\n');
	free(text);
	return true;
}

static bool line_names(const struct needles *nd, const char *p, size_t n, bool json)
{
	json_t *v;
	bool hit;

	if (needles_in_text(nd, p, n))
		return true;
	if (!json || nd->raw_ok)
		return false;
	v = json_loadb(p, n, 0, NULL);
	hit = v && needles_in_json(nd, v);
	json_decref(v);
	return hit;
}

static void filter_lines(const struct needles *nd, enum erase_kind kind, const char *path,
			 const char *data, size_t len, struct buf *out, long *removed)
{
	const char *p = data, *end = data + len, *q;
	bool json = kind == EK_PENDING || ends_with(path, ".jsonl"), block = false;

	for (; p < end; p = q) {
		q = record_end(p, end, kind == EK_CSV);
		if (kind == EK_LINES && block && *p == ' ') {
			(*removed)++;
			continue;
		}
		block = false;
		if (!line_names(nd, p, (size_t)(q - p), json)) {
			buf_add(out, p, (size_t)(q - p));
			continue;
		}
		(*removed)++;
		if (kind == EK_PENDING && pending_line(nd, p, (size_t)(q - p), out))
			continue;
		block = kind == EK_LINES && *p != ' ';
	}
}

int erase_filter(const struct needles *nd, const char *path, const char *data, size_t len,
		 struct buf *out, bool *changed, struct err *e)
{
	enum erase_kind kind = erase_kind_of(path);
	struct buf tmp = BUF_INIT;
	long removed = 0;
	int rc = 0;

	*changed = false;
	if (kind == EK_BINARY || memchr(data, '\0', len))
		return 0; /* not text: another hire's letter */
	if (nd->raw_ok && !needles_in_text(nd, data, len))
		return 0;
	if (kind == EK_JSON || kind == EK_LEDGER) {
		rc = filter_json(nd, kind, path, data, len, &tmp, &removed, e);
		if (rc == ERR_INVALID) {
			/* Not JSON after all (a broken file in history): filter its lines. */
			err_clear(e);
			rc = 0;
			buf_reset(&tmp);
			removed = 0;
			filter_lines(nd, EK_LINES, path, data, len, &tmp, &removed);
		}
	} else {
		filter_lines(nd, kind, path, data, len, &tmp, &removed);
	}
	if (rc == 0 && removed > 0) {
		buf_add(out, tmp.data, tmp.len);
		*changed = true;
	}
	buf_release(&tmp);
	return rc;
}

bool erase_filter_message(const struct needles *nd, const char *msg, struct buf *out)
{
	const char *p = msg, *end = msg + strlen(msg), *q;
	bool changed = false;

	for (; p < end; p = q) {
		q = record_end(p, end, false);
		if (needles_in_text(nd, p, (size_t)(q - p)))
			changed = true;
		else
			buf_add(out, p, (size_t)(q - p));
	}
	return changed;
}
