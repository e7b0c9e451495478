#include "config.h"

#include "store/ledger.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/buf.h"
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

/* ---- the top-level object of ledger.json, member by member ---- */

struct scan {
	FILE *f;
	long pos; /* offset of the next character */
};

static int scan_get(struct scan *sc)
{
	int c = getc(sc->f);

	if (c != EOF)
		sc->pos++;
	return c;
}

static void scan_unget(struct scan *sc, int c)
{
	if (c != EOF) {
		ungetc(c, sc->f);
		sc->pos--;
	}
}

static int scan_nonws(struct scan *sc)
{
	int c;

	do
		c = scan_get(sc);
	while (c == ' ' || c == '\t' || c == '\n' || c == '\r');
	return c;
}

/* The rest of a string whose opening quote was read; its raw text (quotes included) into `raw` when not NULL. */
static int scan_string(struct scan *sc, struct buf *raw)
{
	int c;

	if (raw)
		buf_addc(raw, '"');
	while ((c = scan_get(sc)) != EOF) {
		if (raw)
			buf_addc(raw, (char)c);
		if (c == '"')
			return 0;
		if (c == '\\') {
			if ((c = scan_get(sc)) == EOF)
				break;
			if (raw)
				buf_addc(raw, (char)c);
		}
	}
	return -1;
}

/* Skip a value whose first character `c` was read. */
static int scan_value(struct scan *sc, int c)
{
	int depth = 0;

	if (c == '"')
		return scan_string(sc, NULL);
	if (c != '{' && c != '[') {
		/* A scalar: up to the next delimiter, which is left for the caller. */
		while (c != EOF && c != ',' && c != '}' && c != ']' && c != ' ' && c != '\t' &&
		       c != '\n' && c != '\r')
			c = scan_get(sc);
		scan_unget(sc, c);
		return 0;
	}
	for (; c != EOF; c = scan_get(sc)) {
		if (c == '"') {
			if (scan_string(sc, NULL) < 0)
				return -1;
		} else if (c == '{' || c == '[') {
			depth++;
		} else if ((c == '}' || c == ']') && --depth == 0) {
			return 0;
		}
	}
	return -1;
}

/* Index every member of the object in `f`: key -> offset of its value. */
static int index_object(FILE *f, const char *what, json_t *index, struct err *e)
{
	struct scan sc = { f, 0 };
	struct buf raw = BUF_INIT;
	int c = scan_nonws(&sc), rc = 0;

	if (c != '{') {
		rc = err_set(e, ERR_INVALID, "%s is not an object", what);
		goto out;
	}
	c = scan_nonws(&sc);
	if (c == '}')
		goto end;
	for (;;) {
		json_t *key;
		long at;

		buf_reset(&raw);
		if (c != '"' || scan_string(&sc, &raw) < 0)
			goto bad;
		key = json_loadb(raw.data, raw.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
		if (!json_is_string(key)) {
			json_decref(key);
			goto bad;
		}
		if (scan_nonws(&sc) != ':') {
			json_decref(key);
			goto bad;
		}
		c = scan_nonws(&sc);
		at = sc.pos - 1;
		if (c == EOF || scan_value(&sc, c) < 0) {
			json_decref(key);
			goto bad;
		}
		if (json_object_get(index, json_string_value(key))) {
			rc = err_set(e, ERR_INVALID, "%s: application '%s' appears twice", what,
				     json_string_value(key));
			json_decref(key);
			goto out;
		}
		json_object_set_new(index, json_string_value(key), json_integer(at));
		json_decref(key);
		c = scan_nonws(&sc);
		if (c == '}')
			break;
		if (c != ',')
			goto bad;
		c = scan_nonws(&sc);
	}
end:
	if (scan_nonws(&sc) == EOF)
		goto out;
bad:
	rc = err_set(e, ERR_INVALID, "%s: invalid json near byte %ld", what, sc.pos);
out:
	buf_release(&raw);
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

int ledger_find_person(struct ledger *l, const char *person_id, char **app, struct err *e)
{
	const char *k;
	json_t *v;
	int rc;

	*app = NULL;
	json_object_foreach (l->index, k, v) {
		json_t *en;
		const char *pid;

		(void)v;
		if ((rc = ledger_get(l, k, &en, e)) < 0)
			return rc;
		pid = json_get_str(en, "personId");
		if (pid && strcmp(pid, person_id) == 0)
			*app = xstrdup(k);
		json_decref(en);
		if (*app)
			return 1;
	}
	return 0;
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
