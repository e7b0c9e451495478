/*
 * records: staged arrays of JSON records, one record at a time (records.h).
 *
 * Reading relies on jansson's JSON_DISABLE_EOF_CHECK: json_loadf() then stops
 * right after the closing brace of one object, leaving the stdio stream at the
 * separator that follows, so the array's punctuation is handled here and each
 * element is parsed by jansson alone. Writing dumps one record with the
 * snapshot flags and indents it to its depth: jansson escapes line breaks
 * inside strings, so every newline in a dump is structural and indenting after
 * each one gives exactly the bytes of the whole array dumped at once.
 */
#include "config.h"

#include "store/records.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "store/staging.h"
#include "base/xalloc.h"

/* As snapshot.c: the canonical form of staged JSON. */
#define DUMP_FLAGS (JSON_SORT_KEYS | JSON_INDENT(2) | JSON_REAL_PRECISION(17) | JSON_ENCODE_ANY)
/* The spool keeps records compact; 17 digits give back the same double. */
#define SPOOL_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(17) | JSON_ENCODE_ANY)
/* NUL is allowed in strings: a value from an API may hold one; transform sets such a hire aside. */
#define LOAD_FLAGS (JSON_DISABLE_EOF_CHECK | JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL)

/* ---- reading ---- */

struct rec_reader {
	FILE *f;
	char *what; /* the file's name, for messages */
	long start; /* offset just after the array's '[' (-1: no array, reads as empty) */
	long count; /* records returned since the start */
	bool done;  /* the closing ']' was read */
};

int rec_skip_ws(FILE *f)
{
	int c;

	do
		c = getc(f);
	while (c == ' ' || c == '\t' || c == '\n' || c == '\r');
	return c;
}

static int bad(struct rec_reader *r, long at, const char *why, struct err *e)
{
	return err_set(e, ERR_INVALID, "%s: %s at byte %ld", r->what, why, at < 0 ? 0 : at);
}

/* A member we do not want may be a large array: skipped, not built (records.h). */
int rec_skip_value(FILE *f)
{
	bool in_string = false;
	long depth = 0;
	int c;

	while ((c = getc(f)) != EOF) {
		if (in_string) {
			if (c == '\\') {
				if (getc(f) == EOF)
					return -1;
			} else if (c == '"') {
				in_string = false;
				if (depth == 0)
					return 0;
			}
		} else if (c == '"') {
			in_string = true;
		} else if (c == '{' || c == '[') {
			depth++;
		} else if (c == '}' || c == ']') {
			if (depth == 0) {
				ungetc(c, f); /* the end of a scalar */
				return 0;
			}
			if (--depth == 0)
				return 0;
		} else if (depth == 0 &&
			   (c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r')) {
			ungetc(c, f);
			return 0;
		}
	}
	return in_string || depth ? -1 : 0;
}

/* ---- the members of an object ---- */

#define NAME_MAX_BYTES 65536 /* a member name longer than this is not ours */

struct rec_members {
	FILE *f;	/* borrowed */
	char *what;	/* the file's name, for messages */
	json_t *seen;	/* the names read so far: a name seen twice is refused */
	json_t *name;	/* the current member's name, decoded */
	struct buf raw; /* that name as written, quotes included */
	long value_at;	/* where the current member's value starts; -1 before the first */
	bool done;	/* the closing '}' was read */
};

struct rec_members *rec_members_begin(FILE *f, const char *what)
{
	struct rec_members *m = xcalloc(1, sizeof(*m));

	m->f = f;
	m->what = xstrdup(what);
	m->seen = json_object();
	buf_init(&m->raw, NAME_MAX_BYTES);
	m->value_at = -1;
	return m;
}

void rec_members_end(struct rec_members *m)
{
	if (!m)
		return;
	free(m->what);
	json_decref(m->seen);
	json_decref(m->name);
	buf_release(&m->raw);
	free(m);
}

static int members_bad(struct rec_members *m, const char *why, struct err *e)
{
	long at = ftell(m->f);

	return err_set(e, ERR_INVALID, "%s: %s at byte %ld", m->what, why, at < 0 ? 0 : at);
}

/* The rest of a member name whose opening quote was read, decoded into m->name. */
static int name_read(struct rec_members *m)
{
	int c;

	buf_reset(&m->raw);
	json_decref(m->name);
	m->name = NULL;
	if (buf_addc(&m->raw, '"') < 0)
		return -1;
	while ((c = getc(m->f)) != EOF) {
		if (buf_addc(&m->raw, (char)c) < 0)
			return -1;
		if (c == '"')
			break;
		if (c == '\\' && ((c = getc(m->f)) == EOF || buf_addc(&m->raw, (char)c) < 0))
			return -1;
	}
	if (c == EOF)
		return -1;
	m->name = json_loadb(m->raw.data, m->raw.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	return json_is_string(m->name) ? 0 : -1;
}

/* Past the current member's value (read by the caller or not), then its ',' or the '}'. */
static int member_pass(struct rec_members *m, struct err *e)
{
	long pos = ftell(m->f);
	int c;

	if (pos != m->value_at && fseek(m->f, m->value_at, SEEK_SET) < 0)
		return err_set(e, ERR_IO, "%s: cannot seek: %s", m->what, strerror(errno));
	if (rec_skip_value(m->f) < 0)
		return members_bad(m, "premature end of input", e);
	c = rec_skip_ws(m->f);
	if (c == '}') {
		m->done = true;
		return 0;
	}
	if (c != ',')
		return members_bad(m, "',' or '}' expected", e);
	return 1;
}

int rec_members_next(struct rec_members *m, const char **name, long *at, struct err *e)
{
	const char *key;
	int c, rc;

	*name = NULL;
	*at = -1;
	if (m->done)
		return 0;
	if (m->value_at >= 0 && (rc = member_pass(m, e)) <= 0)
		return rc;
	c = rec_skip_ws(m->f);
	if (c == '}' && m->value_at < 0) {
		m->done = true; /* {} */
		return 0;
	}
	if (c != '"' || name_read(m) < 0)
		return members_bad(m, "malformed member name", e);
	if (rec_skip_ws(m->f) != ':')
		return members_bad(m, "':' expected", e);
	key = json_string_value(m->name);
	if (json_object_get(m->seen, key))
		return err_set(e, ERR_INVALID, "%s: member '%s' appears twice", m->what, key);
	c = rec_skip_ws(m->f);
	if (c == EOF)
		return members_bad(m, "premature end of input", e);
	ungetc(c, m->f);
	m->value_at = ftell(m->f);
	if (m->value_at < 0)
		return err_set(e, ERR_IO, "%s: cannot tell the position: %s", m->what,
			       strerror(errno));
	json_object_set_new(m->seen, key, json_true());
	*name = key;
	*at = m->value_at;
	return 1;
}

/*
 * Position `r->f` just inside the value of top-level member `member`:
 * 1 when found (the value's first character is next), 0 when absent.
 */
static int seek_member(struct rec_reader *r, const char *member, struct err *e)
{
	struct rec_members *m;
	const char *name;
	long at;
	int rc;

	if (rec_skip_ws(r->f) != '{')
		return bad(r, ftell(r->f) - 1, "not a JSON object", e);
	m = rec_members_begin(r->f, r->what);
	while ((rc = rec_members_next(m, &name, &at, e)) == 1 && strcmp(name, member) != 0)
		;
	rec_members_end(m);
	return rc;
}

static int reader_start(FILE *f, const char *what, const char *member, struct rec_reader **out,
			struct err *e)
{
	struct rec_reader *r = xcalloc(1, sizeof(*r));
	int rc = 1, c;

	r->f = f;
	r->what = xstrdup(what);
	r->start = -1;
	if (member)
		rc = seek_member(r, member, e);
	if (rc < 0)
		goto fail;
	if (rc == 0) {
		r->done = true; /* an absent member reads as an empty array */
	} else {
		c = rec_skip_ws(f);
		if (c != '[') {
			rc = bad(r, ftell(f) - 1,
				 member ? "the member is not a JSON array" : "not a JSON array", e);
			if (member)
				err_prefix(e, "'%s'", member);
			goto fail;
		}
		r->start = ftell(f);
	}
	*out = r;
	return 0;
fail:
	rec_reader_close(r);
	return rc;
}

int rec_reader_open(struct staging *s, const char *relpath, const char *member,
		    struct rec_reader **out, struct err *e)
{
	FILE *f;
	int rc;

	*out = NULL;
	rc = staging_fopen(s, relpath, &f, e);
	if (rc < 0)
		return rc;
	return reader_start(f, relpath, member, out, e);
}

int rec_reader_open_mem(const char *data, size_t len, const char *what, const char *member,
			struct rec_reader **out, struct err *e)
{
	FILE *f;

	*out = NULL;
	if (len == 0)
		return err_set(e, ERR_INVALID, "%s: empty", what);
	f = fmemopen((void *)data, len, "r");
	if (!f)
		return err_set(e, ERR_FAIL, "%s: cannot read from memory: %s", what,
			       strerror(errno));
	return reader_start(f, what, member, out, e);
}

void rec_reader_close(struct rec_reader *r)
{
	if (!r)
		return;
	if (r->f)
		fclose(r->f);
	free(r->what);
	free(r);
}

static int load_one(struct rec_reader *r, long at, json_t **out, struct err *e)
{
	json_error_t jerr;

	*out = json_loadf(r->f, LOAD_FLAGS, &jerr);
	if (!*out)
		return err_set(e, ERR_INVALID, "%s: invalid record at byte %ld: %s", r->what,
			       at + (long)jerr.position, jerr.text);
	return 0;
}

int rec_reader_next(struct rec_reader *r, json_t **out, long *offset, struct err *e)
{
	long at;
	int c, rc;

	*out = NULL;
	if (r->done)
		return 0;
	c = rec_skip_ws(r->f);
	if (c == ']') {
		r->done = true;
		return 0;
	}
	if (r->count > 0) {
		if (c != ',')
			return bad(r, ftell(r->f) - 1, "',' or ']' expected", e);
		c = rec_skip_ws(r->f);
	}
	if (c == EOF)
		return bad(r, ftell(r->f), "premature end of input", e);
	ungetc(c, r->f);
	at = ftell(r->f);
	rc = load_one(r, at, out, e);
	if (rc < 0)
		return rc;
	r->count++;
	if (offset)
		*offset = at;
	return 1;
}

int rec_reader_rewind(struct rec_reader *r, struct err *e)
{
	if (r->start < 0)
		return 0;
	if (fseek(r->f, r->start, SEEK_SET) < 0)
		return err_set(e, ERR_IO, "%s: cannot seek: %s", r->what, strerror(errno));
	r->count = 0;
	r->done = false;
	return 0;
}

int rec_reader_at(struct rec_reader *r, long offset, json_t **out, struct err *e)
{
	long pos = ftell(r->f);
	int rc;

	*out = NULL;
	if (pos < 0 || fseek(r->f, offset, SEEK_SET) < 0)
		return err_set(e, ERR_IO, "%s: cannot seek: %s", r->what, strerror(errno));
	rc = load_one(r, offset, out, e);
	if (fseek(r->f, pos, SEEK_SET) < 0 && rc == 0) {
		json_decref(*out);
		*out = NULL;
		rc = err_set(e, ERR_IO, "%s: cannot seek: %s", r->what, strerror(errno));
	}
	return rc;
}

int rec_reader_index(struct rec_reader *r, const char *key, bool multi, json_t **out, struct err *e)
{
	json_t *idx = json_object(), *rec = NULL;
	long off;
	int rc;

	*out = NULL;
	rc = rec_reader_rewind(r, e);
	while (rc == 0 && (rc = rec_reader_next(r, &rec, &off, e)) == 1) {
		json_t *k = json_is_object(rec) ? json_object_get(rec, key) : NULL;
		const char *id = json_string_value(k);

		rc = 0;
		if (!id) {
			json_decref(rec);
			continue;
		}
		if (multi) {
			json_t *list = json_object_get(idx, id);

			if (!list) {
				list = json_array();
				json_object_set_new(idx, id, list);
			}
			json_array_append_new(list, json_integer(off));
		} else if (json_object_get(idx, id)) {
			rc = err_set(e, ERR_INVALID, "%s: two records with %s '%s'", r->what, key,
				     id);
		} else {
			json_object_set_new(idx, id, json_integer(off));
		}
		json_decref(rec);
	}
	if (rc == 0)
		rc = rec_reader_rewind(r, e);
	if (rc < 0) {
		json_decref(idx);
		return rc;
	}
	*out = idx;
	return 0;
}

int rec_reader_find(struct rec_reader *r, const json_t *index, const char *key, json_t **out,
		    struct err *e)
{
	json_t *off = json_object_get(index, key);
	int rc;

	*out = NULL;
	if (!json_is_integer(off))
		return 0;
	rc = rec_reader_at(r, (long)json_integer_value(off), out, e);
	return rc < 0 ? rc : 1;
}

int rec_read_member(struct staging *s, const char *relpath, const char *member, json_t **out,
		    struct err *e)
{
	struct rec_reader *r = NULL;
	json_error_t jerr;
	FILE *f;
	long at;
	int rc;

	*out = NULL;
	rc = staging_fopen(s, relpath, &f, e);
	if (rc < 0)
		return rc;
	r = xcalloc(1, sizeof(*r));
	r->f = f;
	r->what = xstrdup(relpath);
	rc = seek_member(r, member, e);
	if (rc == 0) {
		rc = err_set(e, ERR_NOTFOUND, "%s: no member '%s'", relpath, member);
	} else if (rc > 0) {
		at = ftell(f);
		*out = json_loadf(f, LOAD_FLAGS | JSON_DECODE_ANY, &jerr);
		rc = *out ? 0
			  : err_set(e, ERR_INVALID, "%s: invalid '%s' at byte %ld: %s", relpath,
				    member, at + (long)jerr.position, jerr.text);
	}
	rec_reader_close(r);
	return rc;
}

/* ---- writing ---- */

enum writer_kind { W_ARRAY, W_OBJECT, W_TEXT };

struct rec_writer {
	struct staging_file *f;
	struct buf *mem; /* rec_writer_begin_buf(): the bytes go here instead of a file */
	enum writer_kind kind;
	char *last_key; /* W_OBJECT: the last member written */
	size_t members;
	bool in_array; /* an array is open: records go into it */
	int depth;     /* the depth of that array's records (1: top level) */
	size_t count;  /* records in the open array */
	struct buf tmp;
};

static int begin(struct staging *s, const char *relpath, enum writer_kind kind,
		 struct rec_writer **out, struct err *e)
{
	struct rec_writer *w;
	struct staging_file *f;
	int rc = staging_file_begin(s, relpath, &f, e);

	*out = NULL;
	if (rc < 0)
		return rc;
	w = xcalloc(1, sizeof(*w));
	w->f = f;
	w->kind = kind;
	buf_init(&w->tmp, 0);
	if (kind == W_ARRAY) {
		w->in_array = true;
		w->depth = 1;
	}
	*out = w;
	return 0;
}

int rec_writer_begin_buf(struct buf *dst, bool object, struct rec_writer **out)
{
	struct rec_writer *w = xcalloc(1, sizeof(*w));

	w->mem = dst;
	w->kind = object ? W_OBJECT : W_ARRAY;
	buf_init(&w->tmp, 0);
	if (!object) {
		w->in_array = true;
		w->depth = 1;
	}
	*out = w;
	return 0;
}

int rec_writer_begin(struct staging *s, const char *relpath, struct rec_writer **out, struct err *e)
{
	return begin(s, relpath, W_ARRAY, out, e);
}

int rec_writer_begin_object(struct staging *s, const char *relpath, struct rec_writer **out,
			    struct err *e)
{
	return begin(s, relpath, W_OBJECT, out, e);
}

int rec_writer_begin_text(struct staging *s, const char *relpath, struct rec_writer **out,
			  struct err *e)
{
	return begin(s, relpath, W_TEXT, out, e);
}

static int put(struct rec_writer *w, const char *p, size_t n, struct err *e)
{
	if (w->mem)
		return buf_add(w->mem, p, n) < 0
			       ? err_set(e, ERR_FAIL, "a rewritten file is too large")
			       : 0;
	return staging_file_write(w->f, p, n, e);
}

static int puts_(struct rec_writer *w, const char *s, struct err *e)
{
	return put(w, s, strlen(s), e);
}

static int newline_indent(struct rec_writer *w, int depth, struct err *e)
{
	static const char spaces[] = "\n                ";
	int rc = 0;

	rc = put(w, spaces, 1, e);
	while (rc == 0 && depth > 8) {
		rc = put(w, spaces + 1, 16, e);
		depth -= 8;
	}
	return rc < 0 ? rc : put(w, spaces + 1, (size_t)depth * 2, e);
}

static int dump_cb(const char *p, size_t n, void *data)
{
	return buf_add(data, p, n) < 0 ? -1 : 0;
}

/* Write `v` canonically as if it sat at `depth` inside the file. */
static int put_value(struct rec_writer *w, const json_t *v, int depth, struct err *e)
{
	const char *p, *nl, *end;
	int rc = 0;

	buf_reset(&w->tmp);
	if (json_dump_callback(v, dump_cb, &w->tmp, DUMP_FLAGS) < 0)
		return err_set(e, ERR_FAIL, "cannot serialise json (too large or invalid utf-8)");
	p = w->tmp.data;
	end = p + w->tmp.len;
	while (rc == 0 && (nl = memchr(p, '\n', (size_t)(end - p)))) {
		rc = put(w, p, (size_t)(nl - p), e);
		if (rc == 0)
			rc = newline_indent(w, depth, e);
		p = nl + 1;
	}
	return rc < 0 ? rc : put(w, p, (size_t)(end - p), e);
}

static int close_array(struct rec_writer *w, struct err *e)
{
	int rc;

	if (!w->in_array)
		return 0;
	w->in_array = false;
	if (w->count == 0)
		return puts_(w, "[]", e);
	rc = newline_indent(w, w->depth - 1, e);
	return rc < 0 ? rc : puts_(w, "]", e);
}

static int member_key(struct rec_writer *w, const char *key, struct err *e)
{
	json_t *k;
	char *text;
	int rc;

	if (w->kind != W_OBJECT)
		return err_set(e, ERR_INVALID, "a member written outside an object");
	if (w->last_key && strcmp(key, w->last_key) <= 0)
		return err_set(e, ERR_INVALID, "member '%s' written after '%s': not in order", key,
			       w->last_key);
	rc = close_array(w, e);
	if (rc < 0)
		return rc;
	free(w->last_key);
	w->last_key = xstrdup(key);
	rc = puts_(w, w->members++ == 0 ? "{" : ",", e);
	if (rc == 0)
		rc = newline_indent(w, 1, e);
	if (rc < 0)
		return rc;
	k = json_string(key);
	text = k ? json_dumps(k, JSON_ENCODE_ANY) : NULL;
	json_decref(k);
	if (!text)
		return err_set(e, ERR_INVALID, "member name is not valid UTF-8");
	rc = puts_(w, text, e);
	free(text);
	return rc < 0 ? rc : puts_(w, ": ", e);
}

int rec_writer_member(struct rec_writer *w, const char *key, const json_t *value, struct err *e)
{
	int rc = member_key(w, key, e);

	return rc < 0 ? rc : put_value(w, value, 1, e);
}

int rec_writer_member_array(struct rec_writer *w, const char *key, struct err *e)
{
	int rc = member_key(w, key, e);

	if (rc < 0)
		return rc;
	w->in_array = true;
	w->depth = 2;
	w->count = 0;
	return 0;
}

int rec_writer_text(struct rec_writer *w, const char *data, size_t len, struct err *e)
{
	if (w->kind != W_TEXT)
		return err_set(e, ERR_INVALID, "text written into a JSON snapshot");
	return put(w, data, len, e);
}

int rec_writer_add(struct rec_writer *w, const json_t *rec, struct err *e)
{
	int rc;

	if (!w->in_array)
		return err_set(e, ERR_INVALID, "a record written with no array open");
	rc = puts_(w, w->count == 0 ? "[" : ",", e);
	if (rc == 0)
		rc = newline_indent(w, w->depth, e);
	if (rc == 0)
		rc = put_value(w, rec, w->depth, e);
	if (rc == 0)
		w->count++;
	return rc;
}

size_t rec_writer_count(const struct rec_writer *w)
{
	return w->count;
}

static void writer_free(struct rec_writer *w)
{
	buf_release(&w->tmp);
	free(w->last_key);
	free(w);
}

int rec_writer_finish(struct rec_writer *w, bool *changed, struct err *e)
{
	int rc = 0;

	if (changed)
		*changed = false;
	if (w->kind != W_TEXT) {
		rc = close_array(w, e);
		if (rc == 0 && w->kind == W_OBJECT)
			rc = w->members == 0 ? puts_(w, "{}", e) : puts_(w, "\n}", e);
		if (rc == 0)
			rc = puts_(w, "\n", e);
	}
	if (rc < 0) {
		rec_writer_abort(w);
		return rc;
	}
	rc = w->mem ? 0 : staging_file_finish(w->f, changed, e);
	writer_free(w);
	return rc;
}

void rec_writer_abort(struct rec_writer *w)
{
	if (!w)
		return;
	if (!w->mem)
		staging_file_abort(w->f);
	writer_free(w);
}

/* ---- spooling ---- */

struct spool_slot {
	long off;
	size_t len;
};

struct rec_spool {
	FILE *f;
	json_t *index; /* key -> slot number */
	struct spool_slot *slots;
	size_t nslots, cap;
	long end; /* where the next record goes */
	struct buf tmp;
};

int rec_spool_new(struct staging *s, struct rec_spool **out, struct err *e)
{
	struct rec_spool *sp;
	FILE *f;
	int rc = staging_tmpfile(s, &f, e);

	*out = NULL;
	if (rc < 0)
		return rc;
	sp = xcalloc(1, sizeof(*sp));
	sp->f = f;
	sp->index = json_object();
	buf_init(&sp->tmp, 0);
	*out = sp;
	return 0;
}

void rec_spool_free(struct rec_spool *sp)
{
	if (!sp)
		return;
	fclose(sp->f);
	json_decref(sp->index);
	free(sp->slots);
	buf_release(&sp->tmp);
	free(sp);
}

static int spool_io(struct err *e)
{
	if (errno == ENOSPC)
		return err_set(e, ERR_IO, "no space left on device writing a spool file in .git");
	return err_set(e, ERR_IO, "spool file in .git: %s", strerror(errno));
}

int rec_spool_put(struct rec_spool *sp, const char *key, const json_t *rec, struct err *e)
{
	json_t *at = json_object_get(sp->index, key);
	size_t slot;

	buf_reset(&sp->tmp);
	if (json_dump_callback(rec, dump_cb, &sp->tmp, SPOOL_FLAGS) < 0)
		return err_set(e, ERR_FAIL, "cannot serialise record '%s'", key);
	if (fseek(sp->f, sp->end, SEEK_SET) < 0 ||
	    fwrite(sp->tmp.data, 1, sp->tmp.len, sp->f) != sp->tmp.len || fflush(sp->f) != 0)
		return spool_io(e);
	if (at) {
		slot = (size_t)json_integer_value(at);
	} else {
		if (sp->nslots == sp->cap) {
			sp->cap = sp->cap ? 2 * sp->cap : 64;
			sp->slots = xrealloc(sp->slots, sp->cap * sizeof(*sp->slots));
		}
		slot = sp->nslots++;
		json_object_set_new(sp->index, key, json_integer((json_int_t)slot));
	}
	sp->slots[slot].off = sp->end;
	sp->slots[slot].len = sp->tmp.len;
	sp->end += (long)sp->tmp.len;
	return 0;
}

void rec_spool_del(struct rec_spool *sp, const char *key)
{
	json_object_del(sp->index, key); /* the slot is left unused */
}

bool rec_spool_has(const struct rec_spool *sp, const char *key)
{
	return json_object_get(sp->index, key) != NULL;
}

int rec_spool_get(struct rec_spool *sp, const char *key, json_t **out, struct err *e)
{
	json_t *at = json_object_get(sp->index, key);
	const struct spool_slot *slot;
	json_error_t jerr;

	*out = NULL;
	if (!at)
		return 0;
	slot = &sp->slots[json_integer_value(at)];
	buf_reset(&sp->tmp);
	if (buf_add(&sp->tmp, "", 0) < 0)
		return err_set(e, ERR_FAIL, "spool: out of memory");
	if (fseek(sp->f, slot->off, SEEK_SET) < 0)
		return spool_io(e);
	while (sp->tmp.len < slot->len) {
		char chunk[8192];
		size_t want = slot->len - sp->tmp.len, n;

		n = fread(chunk, 1, want < sizeof(chunk) ? want : sizeof(chunk), sp->f);
		if (n == 0)
			return ferror(sp->f) ? spool_io(e)
					     : err_set(e, ERR_IO, "spool file in .git: truncated");
		if (buf_add(&sp->tmp, chunk, n) < 0)
			return err_set(e, ERR_FAIL, "spool: out of memory");
	}
	*out = json_loadb(sp->tmp.data, sp->tmp.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
	if (!*out)
		return err_set(e, ERR_FAIL, "spool record '%s' unreadable: %s", key, jerr.text);
	return 1;
}

size_t rec_spool_count(const struct rec_spool *sp)
{
	return json_object_size(sp->index);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

json_t *rec_spool_keys(const struct rec_spool *sp)
{
	size_t n = json_object_size(sp->index), i = 0;
	const char **keys = xcalloc(n ? n : 1, sizeof(*keys));
	json_t *arr = json_array(), *v;
	const char *k;

	json_object_foreach (sp->index, k, v)
		keys[i++] = k;
	qsort(keys, n, sizeof(*keys), cmp_str);
	for (i = 0; i < n; i++)
		json_array_append_new(arr, json_string(keys[i]));
	free(keys);
	return arr;
}
