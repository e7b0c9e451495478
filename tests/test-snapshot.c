/* Unit tests: snapshot (canonical JSON, sorting, strict parsing, CSV writing and parsing). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "store/snapshot.h"
#include "tap.h"
#include "base/xalloc.h"

static char *dump(const json_t *v)
{
	struct buf b = BUF_INIT;
	struct err e = ERR_INIT;

	if (snapshot_dump(v, &b, &e) < 0) {
		diag("dump failed: %s", e.msg);
		buf_release(&b);
		return xstrdup("");
	}
	return buf_detach(&b, NULL);
}

static void test_dump(void)
{
	json_t *a = json_object(), *b = json_object(), *inner;
	char *da, *db;

	json_object_set_new(a, "zeta", json_string("z"));
	json_object_set_new(a, "alpha", json_integer(1));
	inner = json_object();
	json_object_set_new(inner, "y", json_true());
	json_object_set_new(inner, "x", json_null());
	json_object_set_new(a, "mid", inner);
	json_object_set_new(a, "name", json_string("Zoë Ångström"));

	/* The same value, built in another key order. */
	json_object_set_new(b, "name", json_string("Zoë Ångström"));
	inner = json_object();
	json_object_set_new(inner, "x", json_null());
	json_object_set_new(inner, "y", json_true());
	json_object_set_new(b, "mid", inner);
	json_object_set_new(b, "alpha", json_integer(1));
	json_object_set_new(b, "zeta", json_string("z"));

	da = dump(a);
	db = dump(b);
	is_str(da,
	       "{\n"
	       "  \"alpha\": 1,\n"
	       "  \"mid\": {\n"
	       "    \"x\": null,\n"
	       "    \"y\": true\n"
	       "  },\n"
	       "  \"name\": \"Zoë Ångström\",\n"
	       "  \"zeta\": \"z\"\n"
	       "}\n",
	       "dump: keys sorted, 2-space indent, UTF-8 kept, final newline");
	ok(strcmp(da, db) == 0, "dump: equal values built in different orders give the same bytes");
	free(da);
	free(db);
	json_decref(a);
	json_decref(b);

	a = json_array();
	da = dump(a);
	is_str(da, "[]\n", "dump: an empty array");
	free(da);
	json_decref(a);

	a = json_string("x");
	da = dump(a);
	is_str(da, "\"x\"\n", "dump: a bare string");
	free(da);
	json_decref(a);
}

static void test_sort(void)
{
	json_t *arr;
	char *d;

	arr = json_pack("[{s:s,s:i},{s:i},{s:s,s:i},{s:s,s:i},{s:i}]", "id", "c", "n", 1, "n", 2,
			"id", "a", "n", 3, "id", "c", "n", 4, "n", 5);
	snapshot_sort_by_key(arr, "id");
	d = dump(arr);
	json_decref(arr);
	arr = NULL;
	is_str(d,
	       "[\n"
	       "  {\n    \"id\": \"a\",\n    \"n\": 3\n  },\n"
	       "  {\n    \"id\": \"c\",\n    \"n\": 1\n  },\n"
	       "  {\n    \"id\": \"c\",\n    \"n\": 4\n  },\n"
	       "  {\n    \"n\": 2\n  },\n"
	       "  {\n    \"n\": 5\n  }\n"
	       "]\n",
	       "sort by id: ascending, stable, records without the key last");
	free(d);

	arr = json_array();
	snapshot_sort_by_key(arr, "id");
	is_int((long long)json_array_size(arr), 0, "sort of an empty array is harmless");
	json_decref(arr);
}

static void test_parse(void)
{
	struct err e = ERR_INIT;
	json_t *v = NULL;
	int rc;
	const char *dup = "{\n  \"id\": \"a\",\n  \"id\": \"b\"\n}\n";
	const char *bad = "[\n  1,\n  2,,\n]\n";

	rc = snapshot_parse("{\"a\": [1, 2]}", 13, "t.json", &v, &e);
	is_int(rc, 0, "parse: a valid document");
	ok(v && json_array_size(json_object_get(v, "a")) == 2, "parse: the value is there");
	json_decref(v);

	rc = snapshot_parse(dup, strlen(dup), "extract/x.json", &v, &e);
	is_int(rc, ERR_INVALID, "parse: duplicate keys are rejected");
	ok(v == NULL, "parse: no value on error");
	ok(strstr(e.msg, "extract/x.json") != NULL, "parse: the error names the input (%s)", e.msg);
	ok(strstr(e.msg, "line 3") != NULL, "parse: the error names the line");
	ok(strstr(e.msg, "column") != NULL, "parse: the error names the column");

	rc = snapshot_parse(bad, strlen(bad), "bad.json", &v, &e);
	is_int(rc, ERR_INVALID, "parse: malformed json is rejected");
	ok(strstr(e.msg, "bad.json") && strstr(e.msg, "line 3"),
	   "parse: malformed json names input and line (%s)", e.msg);
}

static char *csv_row(const char *const *cells, size_t n)
{
	struct csv_writer w;
	char *out;
	size_t i;

	csv_writer_init(&w);
	for (i = 0; i < n; i++)
		csv_writer_field(&w, cells[i]);
	csv_writer_end_row(&w);
	out = buf_detach(&w.out, NULL);
	csv_writer_release(&w);
	return out;
}

static void test_csv_write(void)
{
	static const struct {
		const char *in, *out;
	} quoting[] = {
		{ "plain", "plain\n" },
		{ "a,b", "\"a,b\"\n" },
		{ "say \"hi\"", "\"say \"\"hi\"\"\"\n" },
		{ "two\nlines", "\"two\nlines\"\n" },
		{ "cr\rhere", "\"cr\rhere\"\n" },
		{ "", "\"\"\n" },
		{ " padded ", "\" padded \"\n" },
		{ "Zoë", "Zoë\n" },
	};
	static const char *const formulas[] = { "=SUM(A1)", "+44 20 7946 0000", "-1", "@cmd", "\tx",
						"\rx" };
	static const char *const harmless[] = { "a=b",	   "1+1",	 "x-y", "mail@example.com",
						"'quoted", "2026-03-02", "" };
	const char *row[] = { "a", NULL, "", "b" };
	size_t i;
	char *s;

	for (i = 0; i < sizeof(quoting) / sizeof(quoting[0]); i++) {
		s = csv_row(&quoting[i].in, 1);
		is_str(s, quoting[i].out, "csv quoting");
		free(s);
	}
	s = csv_row(row, 4);
	is_str(s, "a,,\"\",b\n", "csv: NULL is an empty field, an empty string is quoted");
	free(s);

	for (i = 0; i < sizeof(formulas) / sizeof(formulas[0]); i++) {
		char *want = xasprintf("'%s", formulas[i]);

		s = csv_neutralise(formulas[i]);
		is_str(s, want, "neutralise: formula prefix gets an apostrophe");
		free(s);
		free(want);
	}
	for (i = 0; i < sizeof(harmless) / sizeof(harmless[0]); i++) {
		s = csv_neutralise(harmless[i]);
		is_str(s, harmless[i], "neutralise: a harmless cell is untouched");
		free(s);
	}
	s = csv_row(&formulas[0], 1);
	is_str(s, "'=SUM(A1)\n", "csv writer neutralises formulas");
	free(s);
	s = csv_row(&formulas[4], 1);
	is_str(s, "'\tx\n", "csv writer neutralises a leading tab (no quotes needed after it)");
	free(s);
	s = csv_neutralise(NULL);
	is_str(s, "", "neutralise(NULL) is an empty string");
	free(s);
}

struct rows {
	struct buf text; /* rows as "line|f1|f2|...\n" */
	size_t n;
	size_t stop_at; /* return 7 at this row (0: never) */
};

static int collect(void *ctx, char **fields, size_t nfields, size_t line, struct err *e)
{
	struct rows *r = ctx;
	size_t i;

	(void)e;
	r->n++;
	buf_addf(&r->text, "%zu", line);
	for (i = 0; i < nfields; i++)
		buf_addf(&r->text, "|%s", fields[i]);
	buf_addc(&r->text, '\n');
	return r->stop_at && r->n == r->stop_at ? 7 : 0;
}

static void test_csv_parse(void)
{
	static const char *const cells[][4] = {
		{ "application_id", "field", "value", "note" },
		{ "app-1", "firstName", "Zoë", "" },
		{ "app-2", "two\nlines", "a,b", "say \"hi\"" },
		{ "app-3", "=1+1", " padded ", NULL },
	};
	struct csv_writer w;
	struct rows r;
	struct err e = ERR_INIT;
	const char *malformed = "a,b\nc,d\"x\",e\nf,g\n";
	const char *unterminated = "a,b\n\n\"open,c\nmore\n";
	const char *crlf = "a,b\r\nc,d\r\n";
	size_t i, j;
	int rc;

	csv_writer_init(&w);
	for (i = 0; i < 4; i++) {
		for (j = 0; j < 4; j++)
			csv_writer_field(&w, cells[i][j]);
		csv_writer_end_row(&w);
	}
	memset(&r, 0, sizeof(r));
	buf_init(&r.text, 0);
	rc = csv_parse_text(w.out.data, w.out.len, "overrides.csv", collect, &r, &e);
	is_int(rc, 0, "csv parse of the writer's output");
	is_str(r.text.data,
	       "1|application_id|field|value|note\n"
	       "2|app-1|firstName|Zoë|\n"
	       "3|app-2|two\nlines|a,b|say \"hi\"\n"
	       "5|app-3|'=1+1| padded |\n",
	       "csv round trip: quoted newlines, commas, quotes, spaces; line numbers of row "
	       "starts");
	buf_release(&r.text);
	csv_writer_release(&w);

	memset(&r, 0, sizeof(r));
	buf_init(&r.text, 0);
	rc = csv_parse_text("x,y\nlast,row", 12, "t.csv", collect, &r, &e);
	is_int(rc, 0, "csv parse without a final newline");
	is_str(r.text.data, "1|x|y\n2|last|row\n", "the last row without a newline is read");
	buf_release(&r.text);

	memset(&r, 0, sizeof(r));
	buf_init(&r.text, 0);
	rc = csv_parse_text(crlf, strlen(crlf), "t.csv", collect, &r, &e);
	is_str(r.text.data, "1|a|b\n2|c|d\n", "csv parse of CRLF lines");
	buf_release(&r.text);

	memset(&r, 0, sizeof(r));
	buf_init(&r.text, 0);
	rc = csv_parse_text(malformed, strlen(malformed), "overrides.csv", collect, &r, &e);
	is_int(rc, ERR_INVALID, "csv parse: a stray quote is an error");
	ok(strstr(e.msg, "overrides.csv") && strstr(e.msg, "line 2"),
	   "csv parse error names the input and line (%s)", e.msg);
	buf_release(&r.text);

	memset(&r, 0, sizeof(r));
	buf_init(&r.text, 0);
	rc = csv_parse_text(unterminated, strlen(unterminated), "u.csv", collect, &r, &e);
	is_int(rc, ERR_INVALID, "csv parse: an unterminated quote is an error");
	ok(strstr(e.msg, "u.csv") && strstr(e.msg, "line 3"),
	   "unterminated quote names the line it starts on (%s)", e.msg);
	buf_release(&r.text);

	memset(&r, 0, sizeof(r));
	buf_init(&r.text, 0);
	r.stop_at = 2;
	rc = csv_parse_text("a\nb\nc\nd\n", 8, "t.csv", collect, &r, &e);
	is_int(rc, 7, "csv parse: the callback's non-zero return stops and is returned");
	is_int((long long)r.n, 2, "csv parse: no row after the stop");
	buf_release(&r.text);
}

int main(void)
{
	test_dump();
	test_sort();
	test_parse();
	test_csv_write();
	test_csv_parse();
	return tap_done();
}
