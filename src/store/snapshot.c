/*
 * snapshot: canonical JSON and CSV for the staging repo.
 *
 * Canonical means: the same value always gives the same bytes. jansson sorts
 * keys (JSON_SORT_KEYS) and indents by two spaces; UTF-8 is kept as it is (no
 * JSON_ENSURE_ASCII) so that names with accents stay readable in `git diff`.
 */
#include "config.h"

#include "store/snapshot.h"

#include <csv.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "store/staging.h"
#include "base/xalloc.h"

#define SNAPSHOT_DUMP_FLAGS \
	(JSON_SORT_KEYS | JSON_INDENT(2) | JSON_REAL_PRECISION(17) | JSON_ENCODE_ANY)

int snapshot_parse(const char *data, size_t len, const char *what, json_t **out, struct err *e)
{
	json_error_t jerr;
	json_t *v;

	*out = NULL;
	v = json_loadb(data, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
	if (!v)
		return err_set(e, ERR_INVALID, "%s: invalid json at line %d, column %d: %s", what,
			       jerr.line, jerr.column, jerr.text);
	*out = v;
	return 0;
}

static int dump_cb(const char *p, size_t n, void *data)
{
	return buf_add(data, p, n) < 0 ? -1 : 0;
}

int snapshot_dump(const json_t *v, struct buf *out, struct err *e)
{
	if (!v)
		return err_set(e, ERR_INVALID, "cannot dump a missing json value");
	if (json_dump_callback(v, dump_cb, out, SNAPSHOT_DUMP_FLAGS) < 0 || buf_addc(out, '\n') < 0)
		return err_set(e, ERR_FAIL, "cannot serialise json (too large or invalid utf-8)");
	return 0;
}

struct sort_item {
	json_t *v;
	const char *key; /* borrowed from v, NULL when absent */
	size_t pos;	 /* original position: keeps the sort stable */
};

static int sort_item_cmp(const void *a, const void *b)
{
	const struct sort_item *x = a, *y = b;
	int c;

	if (x->key && y->key) {
		c = strcmp(x->key, y->key);
		if (c)
			return c;
	} else if (x->key != y->key) {
		return x->key ? -1 : 1; /* records without the key go last */
	}
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

void snapshot_sort_by_key(json_t *array, const char *key)
{
	struct sort_item *items;
	size_t i, n;

	if (!json_is_array(array) || (n = json_array_size(array)) < 2)
		return;
	items = xcalloc(n, sizeof(*items));
	for (i = 0; i < n; i++) {
		json_t *v = json_array_get(array, i);
		json_t *k = json_is_object(v) ? json_object_get(v, key) : NULL;

		items[i].v = json_incref(v);
		items[i].key = json_is_string(k) ? json_string_value(k) : NULL;
		items[i].pos = i;
	}
	qsort(items, n, sizeof(*items), sort_item_cmp);
	/* Elements are held by `items`, so the keys stay valid across the clear. */
	json_array_clear(array);
	for (i = 0; i < n; i++)
		json_array_append_new(array, items[i].v);
	free(items);
}

int snapshot_write_json(struct staging *s, const char *relpath, const json_t *v, struct err *e)
{
	struct buf b = BUF_INIT;
	int rc;

	rc = snapshot_dump(v, &b, e);
	if (rc < 0) {
		err_prefix(e, "%s", relpath);
		goto out;
	}
	rc = staging_write(s, relpath, b.data, b.len, e);
out:
	buf_release(&b);
	return rc;
}

int snapshot_read_json(struct staging *s, const char *relpath, json_t **out, struct err *e)
{
	struct buf b = BUF_INIT;
	int rc;

	*out = NULL;
	rc = staging_read(s, relpath, &b, e);
	if (rc < 0)
		goto out;
	rc = snapshot_parse(b.data, b.len, relpath, out, e);
out:
	buf_release(&b);
	return rc;
}

/* CSV writer */

void csv_writer_init(struct csv_writer *w)
{
	buf_init(&w->out, 0);
	w->nfields = 0;
}

void csv_writer_release(struct csv_writer *w)
{
	buf_release(&w->out);
	w->nfields = 0;
}

static bool is_formula_start(char c)
{
	return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r';
}

char *csv_neutralise(const char *value)
{
	if (!value)
		return xstrdup("");
	if (is_formula_start(value[0]))
		return xasprintf("'%s", value);
	return xstrdup(value);
}

/*
 * Quote when a reader would otherwise split, join or trim the cell: a
 * separator, a quote or a line break anywhere, or a space or tab at either
 * end (libcsv trims those from unquoted fields). An empty string is quoted
 * too, so a row of one empty cell is not a blank line.
 */
static bool csv_needs_quotes(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || strpbrk(s, ",\"\r\n"))
		return true;
	return s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' || s[n - 1] == '\t';
}

void csv_writer_field(struct csv_writer *w, const char *value)
{
	char *cell;

	if (w->nfields++)
		buf_addc(&w->out, ',');
	if (!value)
		return;
	cell = csv_neutralise(value);
	if (csv_needs_quotes(cell)) {
		size_t len = strlen(cell);
		size_t need = csv_write(NULL, 0, cell, len);
		char *q = xmalloc(need);

		csv_write(q, need, cell, len);
		buf_add(&w->out, q, need);
		free(q);
	} else {
		buf_adds(&w->out, cell);
	}
	free(cell);
}

void csv_writer_end_row(struct csv_writer *w)
{
	buf_addc(&w->out, '\n');
	w->nfields = 0;
}

/* CSV parser */

struct csv_ctx {
	csv_row_fn row;
	void *ctx;
	struct err *e;
	char **fields;
	size_t nfields, cap;
	size_t line;	     /* line of the chunk being parsed (1-based) */
	size_t row_newlines; /* line breaks inside the current row's fields */
	size_t next_row_off; /* offset where the next row may start */
	size_t chunk_end;    /* offset after the chunk being parsed */
	int rc;		     /* first non-zero return of `row` */
};

static void csv_ctx_clear_fields(struct csv_ctx *c)
{
	size_t i;

	for (i = 0; i < c->nfields; i++)
		free(c->fields[i]);
	c->nfields = 0;
	c->row_newlines = 0;
}

static void csv_cb_field(void *field, size_t len, void *data)
{
	struct csv_ctx *c = data;
	const char *f = field ? field : "";
	size_t i;

	if (c->rc)
		return;
	if (c->nfields == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 16;
		c->fields = xrealloc(c->fields, c->cap * sizeof(*c->fields));
	}
	c->fields[c->nfields++] = xstrndup(f, field ? len : 0);
	for (i = 0; field && i < len; i++)
		if (f[i] == '\n')
			c->row_newlines++;
}

static void csv_cb_row(int term, void *data)
{
	struct csv_ctx *c = data;

	(void)term;
	if (!c->rc)
		c->rc = c->row(c->ctx, c->fields, c->nfields, c->line - c->row_newlines, c->e);
	csv_ctx_clear_fields(c);
	c->next_row_off = c->chunk_end;
}

/* The line where an unterminated row began: the first non-blank line after the last row. */
static size_t csv_row_start_line(const char *data, size_t len, const struct csv_ctx *c)
{
	size_t line = 1, i;

	for (i = 0; i < c->next_row_off && i < len; i++)
		if (data[i] == '\n')
			line++;
	for (; i < len && (data[i] == '\n' || data[i] == '\r'); i++)
		if (data[i] == '\n')
			line++;
	return line;
}

int csv_parse_text(const char *data, size_t len, const char *what, csv_row_fn row, void *ctx,
		   struct err *e)
{
	struct csv_parser p;
	struct csv_ctx c;
	size_t off = 0;
	int rc = 0;

	memset(&c, 0, sizeof(c));
	c.row = row;
	c.ctx = ctx;
	c.e = e;
	c.line = 1;
	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0)
		return err_set(e, ERR_FAIL, "%s: cannot set up the csv parser", what);

	/* One line at a time, so that callbacks and errors know their line. */
	while (off < len && !c.rc) {
		const char *nl = memchr(data + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - (data + off)) + 1 : len - off;

		c.chunk_end = off + n;
		if (csv_parse(&p, data + off, n, csv_cb_field, csv_cb_row, &c) != n) {
			rc = err_set(e, csv_error(&p) == CSV_EPARSE ? ERR_INVALID : ERR_FAIL,
				     "%s: malformed csv at line %zu: %s", what, c.line,
				     csv_error(&p) == CSV_EPARSE ? "misplaced quote"
								 : csv_strerror(csv_error(&p)));
			goto out;
		}
		off += n;
		if (nl)
			c.line++;
	}
	if (c.rc)
		goto out;
	if (c.line > 1 && len && data[len - 1] == '\n')
		c.line--; /* csv_fini's row ends on the last line, not after it */
	c.chunk_end = len;
	if (csv_fini(&p, csv_cb_field, csv_cb_row, &c) != 0) {
		rc = err_set(e, ERR_INVALID,
			     "%s: malformed csv at line %zu: unterminated quoted field", what,
			     csv_row_start_line(data, len, &c));
		goto out;
	}
out:
	if (!rc)
		rc = c.rc;
	csv_ctx_clear_fields(&c);
	free(c.fields);
	csv_free(&p);
	return rc;
}
