#include "config.h"

#include "store/ledger.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/jsonutil.h"
#include "store/records.h"
#include "store/staging.h"
#include "base/xalloc.h"

struct ledger {
	struct staging *s; /* borrowed */
	/* owned: application -> integer: >= 0 the offset of its value in ledger.json,
	 * < 0 -(offset + 1) of its last line in the pending file */
	json_t *index;
	FILE *main, *pend; /* read handles, NULL when the file is absent */
	bool has_pending;
};

static char *full_path(struct ledger *l, const char *rel)
{
	return xasprintf("%s/%s", staging_path(l->s), rel);
}

static int open_read(struct ledger *l, const char *rel, FILE **out, struct err *e)
{
	char *p = full_path(l, rel);
	int rc = 0;

	*out = fopen(p, "r");
	if (!*out && errno != ENOENT)
		rc = err_set(e, ERR_IO, "cannot read %s: %s", rel, strerror(errno));
	free(p);
	return rc;
}

/* Index every member of the object in `f`: application id -> offset of its entry. */
static int index_object(FILE *f, const char *what, json_t *index, struct err *e)
{
	struct rec_members *m;
	const char *app;
	long at;
	int rc;

	if (rec_skip_ws(f) != '{')
		return err_set(e, ERR_INVALID, "%s is not an object", what);
	m = rec_members_begin(f, what);
	while ((rc = rec_members_next(m, &app, &at, e)) == 1)
		json_object_set_new(index, app, json_integer(at));
	rec_members_end(m);
	if (rc == 0 && rec_skip_ws(f) != EOF)
		rc = err_set(e, ERR_INVALID, "%s: invalid json near byte %ld", what, ftell(f));
	return rc;
}

/* ---- the pending lines ---- */

static int index_pending(struct ledger *l, struct err *e)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	long off = 0;

	(void)e;
	while ((n = getline(&line, &cap, l->pend)) > 0) {
		json_t *v =
			json_loadb(line, (size_t)n, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, NULL);
		const char *app = json_get_str(v, "app");

		/* A torn last line (a kill mid-write) is ignored: its step is in the journal. */
		if (app && json_is_object(json_object_get(v, "entry")))
			json_object_set_new(l->index, app, json_integer(-(off + 1)));
		json_decref(v);
		off += (long)n;
	}
	free(line);
	return 0;
}

static void ledger_close_files(struct ledger *l)
{
	if (l->main)
		fclose(l->main);
	if (l->pend)
		fclose(l->pend);
	l->main = l->pend = NULL;
}

static int ledger_load(struct ledger *l, struct err *e)
{
	int rc;

	json_object_clear(l->index);
	if ((rc = open_read(l, LEDGER_FILE, &l->main, e)) < 0 ||
	    (rc = open_read(l, LEDGER_PENDING_FILE, &l->pend, e)) < 0)
		return rc;
	if (l->main && (rc = index_object(l->main, LEDGER_FILE, l->index, e)) < 0)
		return rc;
	l->has_pending = l->pend != NULL;
	if (l->pend)
		rc = index_pending(l, e);
	return rc;
}

int ledger_open(struct staging *s, struct ledger **out, struct err *e)
{
	struct ledger *l = xcalloc(1, sizeof(*l));
	int rc;

	l->s = s;
	l->index = json_object();
	if ((rc = ledger_load(l, e)) < 0) {
		ledger_free(l);
		l = NULL;
	}
	*out = l;
	return rc;
}

void ledger_free(struct ledger *l)
{
	if (!l)
		return;
	ledger_close_files(l);
	json_decref(l->index);
	free(l);
}

size_t ledger_count(const struct ledger *l)
{
	return json_object_size(l->index);
}

bool ledger_has_pending(const struct ledger *l)
{
	return l->has_pending;
}

int ledger_get(struct ledger *l, const char *app, json_t **out, struct err *e)
{
	const json_t *at = json_object_get(l->index, app);
	json_int_t off;
	json_error_t jerr;
	json_t *v;
	FILE *f;
	int rc;

	*out = NULL;
	if (!at)
		return 0;
	off = json_integer_value(at);
	if (off < 0 && !l->pend && (rc = open_read(l, LEDGER_PENDING_FILE, &l->pend, e)) < 0)
		return rc;
	f = off >= 0 ? l->main : l->pend;
	if (!f || fseek(f, (long)(off >= 0 ? off : -off - 1), SEEK_SET) < 0)
		return err_set(e, ERR_IO, "cannot read the ledger entry of %s", app);
	v = json_loadf(f,
		       JSON_DISABLE_EOF_CHECK | JSON_DECODE_ANY | JSON_REJECT_DUPLICATES |
			       JSON_ALLOW_NUL,
		       &jerr);
	if (!v)
		return err_set(e, ERR_INVALID, "%s: the entry of %s: invalid json: %s",
			       off >= 0 ? LEDGER_FILE : LEDGER_PENDING_FILE, app, jerr.text);
	if (off < 0) {
		json_t *en = json_incref(json_object_get(v, "entry"));

		json_decref(v);
		v = en;
	}
	*out = v;
	return 1;
}

int ledger_put(struct ledger *l, const char *app, const json_t *en, struct err *e)
{
	json_t *o = json_pack("{s:s,s:O}", "app", app, "entry", en);
	char *line = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	char *p = full_path(l, LEDGER_PENDING_FILE);
	struct stat st;
	long off;
	int rc;

	json_decref(o);
	if (!line) {
		rc = err_set(e, ERR_FAIL, "could not encode a ledger line for %s", app);
		goto out;
	}
	/* The line starts where the file ends now (ledger_write settled any torn line). */
	if (stat(p, &st) == 0) {
		off = (long)st.st_size;
	} else if (errno == ENOENT) {
		off = 0;
	} else {
		rc = err_set(e, ERR_IO, "cannot read %s: %s", LEDGER_PENDING_FILE, strerror(errno));
		goto out;
	}
	if ((rc = staging_append_line(l->s, LEDGER_PENDING_FILE, line, e)) < 0)
		goto out;
	json_object_set_new(l->index, app, json_integer(-(json_int_t)off - 1));
	l->has_pending = true;
out:
	free(p);
	free(line);
	return rc;
}

void ledger_del(struct ledger *l, const char *app)
{
	json_object_del(l->index, app);
}

int ledger_each(struct ledger *l, ledger_entry_fn fn, void *ctx, struct err *e)
{
	const char *k;
	json_t *v;
	int rc = 0;

	json_object_foreach (l->index, k, v) {
		json_t *en = NULL;

		(void)v;
		if ((rc = ledger_get(l, k, &en, e)) < 0)
			return rc;
		rc = fn(ctx, k, en, e);
		json_decref(en);
		if (rc != 0)
			return rc;
	}
	return 0;
}

struct find_person {
	const char *person_id;
	char *app;
};

static int find_person_entry(void *ctx, const char *app, json_t *en, struct err *e)
{
	struct find_person *fp = ctx;
	const char *pid = json_get_str(en, "personId");

	(void)e;
	if (!pid || strcmp(pid, fp->person_id) != 0)
		return 0;
	fp->app = xstrdup(app);
	return 1;
}

int ledger_find_person(struct ledger *l, const char *person_id, char **app, struct err *e)
{
	struct find_person fp = { person_id, NULL };
	int rc = ledger_each(l, find_person_entry, &fp, e);

	*app = fp.app;
	return rc;
}

static int key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int ledger_write(struct ledger *l, struct err *e)
{
	size_t n = json_object_size(l->index), i = 0;
	const char **keys = xcalloc(n ? n : 1, sizeof(*keys));
	struct rec_writer *w = NULL;
	const char *k;
	json_t *v;
	int rc;

	json_object_foreach (l->index, k, v) {
		(void)v;
		keys[i++] = k;
	}
	qsort(keys, n, sizeof(*keys), key_cmp);
	if ((rc = rec_writer_begin_object(l->s, LEDGER_FILE, &w, e)) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		json_t *en = NULL;

		rc = ledger_get(l, keys[i], &en, e);
		if (rc >= 0)
			rc = rec_writer_member(w, keys[i], en, e);
		json_decref(en);
		if (rc < 0)
			goto out;
	}
	rc = rec_writer_finish(w, NULL, e);
	w = NULL;
	if (rc < 0)
		goto out;
	free(keys);
	keys = NULL;
	if ((rc = staging_remove(l->s, LEDGER_PENDING_FILE, e)) < 0)
		goto out;
	/* Point the index into what was just written. */
	ledger_close_files(l);
	rc = ledger_load(l, e);
out:
	rec_writer_abort(w);
	free(keys);
	return rc;
}
