/*
 * Unit tests for records.c: streamed reading of staged arrays (offsets,
 * indexes, members), the object-member reader, the record-by-record writer (byte-identical to
 * snapshot_dump of the whole value) and the spool.
 */
#include "config.h"

#include <errno.h>
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "store/records.h"
#include "store/snapshot.h"
#include "store/staging.h"
#include "tap.h"
#include "tmp-stage.h"
#include "base/xalloc.h"

/* What snapshot_dump gives for `v`. Caller frees. */
static char *canonical(const json_t *v)
{
	struct buf b = BUF_INIT;
	struct err e = ERR_INIT;

	snapshot_dump(v, &b, &e);
	return buf_detach(&b, NULL);
}

/* Records with nesting, empties, escapes, UTF-8, exact integers and reals. */
static json_t *sample(size_t n)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; i < n; i++) {
		char id[32];

		snprintf(id, sizeof(id), "id-%03zu", i);
		json_array_append_new(
			arr, json_pack("{s:s,s:s,s:I,s:f,s:[],s:{},s:{s:[i,{s:s}],s:n},s:b}", "id",
				       id, "name", i % 2 ? "Zoë \"Q\"\n\tline\\" : "Ann", "big",
				       (json_int_t)9007199254740993LL, "amount", 0.1 + (double)i,
				       "none", "empty", "nested", "list", 1, "deep", "{[,]}",
				       "null", "flag", i % 3 == 0));
	}
	return arr;
}

static void test_writer(struct staging *s)
{
	struct err e = ERR_INIT;
	struct rec_writer *w = NULL;
	json_t *arr, *obj, *rec;
	char *want, *got;
	bool changed = false;
	size_t n, i;
	int rc;

	for (n = 0; n <= 3; n++) {
		arr = sample(n);
		rc = rec_writer_begin(s, "x/array.json", &w, &e);
		json_array_foreach (arr, i, rec)
			rc = rc ? rc : rec_writer_add(w, rec, &e);
		rc = rc ? rc : rec_writer_finish(w, &changed, &e);
		want = canonical(arr);
		got = tmp_stage_read(s, "x/array.json");
		ok(rc == 0 && got && strcmp(got, want) == 0,
		   "an array of %zu records is byte-identical to snapshot_dump", n);
		ok(changed, "and reported as changed");
		free(want);
		free(got);

		/* The same bytes again: nothing changes. */
		rec_writer_begin(s, "x/array.json", &w, &e);
		json_array_foreach (arr, i, rec)
			rec_writer_add(w, rec, &e);
		rc = rec_writer_finish(w, &changed, &e);
		ok(rc == 0 && !changed, "rewriting the same %zu records reports no change", n);
		json_decref(arr);
	}

	/* An object: a whole member, an array member, an empty array member. */
	arr = sample(3);
	obj = json_pack("{s:{s:s,s:{s:s}},s:O,s:[]}", "basis", "a", "b", "c", "d", "e",
			"operations", arr, "rejects");
	rc = rec_writer_begin_object(s, "x/obj.json", &w, &e);
	rc = rc ? rc : rec_writer_member(w, "basis", json_object_get(obj, "basis"), &e);
	rc = rc ? rc : rec_writer_member_array(w, "operations", &e);
	json_array_foreach (arr, i, rec)
		rc = rc ? rc : rec_writer_add(w, rec, &e);
	is_int((long long)rec_writer_count(w), 3, "the writer counts the records of the array");
	rc = rc ? rc : rec_writer_member_array(w, "rejects", &e);
	rc = rc ? rc : rec_writer_finish(w, NULL, &e);
	want = canonical(obj);
	got = tmp_stage_read(s, "x/obj.json");
	ok(rc == 0 && got && strcmp(got, want) == 0, "an object with array members is canonical");
	free(want);
	free(got);

	rec_writer_begin_object(s, "x/obj.json", &w, &e);
	rec_writer_member(w, "b", obj, &e);
	rc = rec_writer_member(w, "a", obj, &e);
	ok(rc == ERR_INVALID, "members out of order are refused (%s)", e.msg);
	rec_writer_abort(w);
	got = tmp_stage_read(s, "x/obj.json");
	want = canonical(obj);
	ok(got && strcmp(got, want) == 0, "an aborted writer leaves the old file as it was");
	free(want);
	free(got);

	rc = rec_writer_begin_object(s, "x/empty.json", &w, &e);
	rc = rc ? rc : rec_writer_finish(w, NULL, &e);
	got = tmp_stage_read(s, "x/empty.json");
	is_str(got, "{}\n", "an empty object");
	free(got);

	rc = rec_writer_begin_text(s, "x/t.csv", &w, &e);
	rc = rc ? rc : rec_writer_text(w, "a,b\n", 4, &e);
	rc = rc ? rc : rec_writer_add(w, obj, &e);
	ok(rc == ERR_INVALID, "a record cannot go into a text file");
	rc = rec_writer_finish(w, NULL, &e);
	got = tmp_stage_read(s, "x/t.csv");
	is_str(got, "a,b\n", "the text writer writes the text as it is");
	free(got);

	rc = rec_writer_begin(s, "../escape.json", &w, &e);
	ok(rc == ERR_INVALID && !w, "a hostile path is refused (%s)", e.msg);
	json_decref(obj);
	json_decref(arr);
}

static void test_reader(struct staging *s)
{
	struct err e = ERR_INIT;
	struct rec_reader *r = NULL;
	json_t *arr = sample(5), *rec, *idx, *v;
	long offs[5], off;
	size_t i = 0;
	char *text;
	int rc;

	snapshot_write_json(s, "x/r.json", arr, &e);
	rc = rec_reader_open(s, "x/r.json", NULL, &r, &e);
	is_int(rc, 0, "open a staged array");
	while ((rc = rec_reader_next(r, &rec, &off, &e)) == 1) {
		ok(i < 5 && json_equal(rec, json_array_get(arr, i)), "record %zu reads back equal",
		   i);
		if (i < 5)
			offs[i] = off;
		i++;
		json_decref(rec);
	}
	ok(rc == 0 && i == 5, "the end of the array after 5 records");
	rc = rec_reader_at(r, offs[3], &rec, &e);
	ok(rc == 0 && json_equal(rec, json_array_get(arr, 3)), "a record re-read by its offset");
	json_decref(rec);

	rc = rec_reader_index(r, "id", false, &idx, &e);
	ok(rc == 0 && json_object_size(idx) == 5, "an index of 5 ids");
	rc = rec_reader_find(r, idx, "id-002", &rec, &e);
	ok(rc == 1 && json_equal(rec, json_array_get(arr, 2)), "find by id");
	json_decref(rec);
	rc = rec_reader_find(r, idx, "nope", &rec, &e);
	ok(rc == 0 && !rec, "an unknown id is absent");
	rc = rec_reader_next(r, &rec, NULL, &e);
	ok(rc == 1 && json_equal(rec, json_array_get(arr, 0)),
	   "the reader is at the start after indexing");
	json_decref(rec);
	json_decref(idx);
	rc = rec_reader_index(r, "flag", true, &idx, &e);
	ok(rc == 0 && json_object_size(idx) == 0, "records without a string key are skipped");
	json_decref(idx);
	rec_reader_close(r);

	/* Duplicate keys in an index, and in a record. */
	v = json_pack("[{s:s},{s:s}]", "id", "a", "id", "a");
	snapshot_write_json(s, "x/dup.json", v, &e);
	json_decref(v);
	rec_reader_open(s, "x/dup.json", NULL, &r, &e);
	rc = rec_reader_index(r, "id", false, &idx, &e);
	ok(rc == ERR_INVALID, "two records with one id are refused (%s)", e.msg);
	rc = rec_reader_index(r, "id", true, &idx, &e);
	ok(rc == 0 && json_array_size(json_object_get(idx, "a")) == 2,
	   "a multi index keeps both offsets");
	json_decref(idx);
	rec_reader_close(r);

	/* A member of an object, after a large member, and an absent one. */
	v = json_pack("{s:O,s:O,s:s,s:i}", "a", arr, "operations", arr, "x", "y]},\"", "z", 1);
	snapshot_write_json(s, "x/m.json", v, &e);
	rc = rec_reader_open(s, "x/m.json", "operations", &r, &e);
	i = 0;
	while (rc == 0 && rec_reader_next(r, &rec, NULL, &e) == 1) {
		i += json_equal(rec, json_array_get(arr, i));
		json_decref(rec);
	}
	ok(i == 5, "the array member is read record by record");
	rec_reader_close(r);
	rc = rec_reader_open(s, "x/m.json", "missing", &r, &e);
	ok(rc == 0 && rec_reader_next(r, &rec, NULL, &e) == 0, "an absent member reads as empty");
	rec_reader_close(r);
	rc = rec_reader_open(s, "x/m.json", "x", &r, &e);
	ok(rc == ERR_INVALID, "a member that is not an array is refused (%s)", e.msg);
	rc = rec_read_member(s, "x/m.json", "z", &rec, &e);
	ok(rc == 0 && json_integer_value(rec) == 1, "rec_read_member reads a member after others");
	json_decref(rec);
	rc = rec_read_member(s, "x/m.json", "x", &rec, &e);
	ok(rc == 0 && strcmp(json_string_value(rec), "y]},\"") == 0,
	   "a string member with brackets and quotes");
	json_decref(rec);
	rc = rec_read_member(s, "x/m.json", "q", &rec, &e);
	ok(rc == ERR_NOTFOUND, "an absent member is not found");
	rc = rec_read_member(s, "x/none.json", "q", &rec, &e);
	ok(rc == ERR_NOTFOUND, "an absent file is not found");

	/* Bytes in memory, and broken input. */
	text = canonical(arr);
	rc = rec_reader_open_mem(text, strlen(text), "mem", NULL, &r, &e);
	i = 0;
	while (rc == 0 && rec_reader_next(r, &rec, NULL, &e) == 1) {
		i++;
		json_decref(rec);
	}
	ok(i == 5, "a reader over bytes in memory");
	rec_reader_close(r);
	free(text);
	{
		static const char *const broken[] = { "[{\"id\":1} {\"id\":2}]",
						      "[{\"id\":1},",
						      "[{\"id\":1,\"id\":2}]",
						      "[{\"id\":",
						      "{}",
						      "[1]" };

		for (i = 0; i < sizeof(broken) / sizeof(broken[0]); i++) {
			int r1 = rec_reader_open_mem(broken[i], strlen(broken[i]), "bad.json", NULL,
						     &r, &e);

			while (r1 == 0) {
				r1 = rec_reader_next(r, &rec, NULL, &e);
				json_decref(rec);
				if (r1 == 1)
					r1 = 0;
				else if (r1 == 0)
					break;
			}
			ok(r1 == ERR_INVALID && strstr(e.msg, "bad.json"),
			   "broken input %zu is an error naming the file (%s)", i, e.msg);
			rec_reader_close(r);
			r = NULL;
		}
	}
	json_decref(v);
	json_decref(arr);
}

static void test_spool(struct staging *s)
{
	struct err e = ERR_INIT;
	struct rec_spool *sp = NULL;
	json_t *arr = sample(4), *rec, *keys;
	int rc;

	rc = rec_spool_new(s, &sp, &e);
	is_int(rc, 0, "a spool");
	if (rc)
		return;
	rec_spool_put(sp, "c", json_array_get(arr, 2), &e);
	rec_spool_put(sp, "a", json_array_get(arr, 0), &e);
	rec_spool_put(sp, "b", json_array_get(arr, 3), &e);
	rc = rec_spool_put(sp, "b", json_array_get(arr, 1), &e);
	is_int((long long)rec_spool_count(sp), 3, "three keys (one replaced)");
	rc = rec_spool_get(sp, "b", &rec, &e);
	ok(rc == 1 && json_equal(rec, json_array_get(arr, 1)),
	   "the replacement is read back, exact integers and reals kept");
	json_decref(rec);
	keys = rec_spool_keys(sp);
	ok(json_array_size(keys) == 3 &&
		   strcmp(json_string_value(json_array_get(keys, 0)), "a") == 0 &&
		   strcmp(json_string_value(json_array_get(keys, 2)), "c") == 0,
	   "keys come sorted");
	json_decref(keys);
	rec_spool_del(sp, "a");
	ok(!rec_spool_has(sp, "a") && rec_spool_get(sp, "a", &rec, &e) == 0,
	   "a deleted key is gone");
	ok(rec_spool_has(sp, "c"), "the others stay");
	rec_spool_free(sp);
	json_decref(arr);
}

/* Walk `text` (after `skip` bytes) with rec_members: the names joined by ',' into `names`. */
static int walk_names(const char *text, size_t skip, struct buf *names, struct err *e)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	struct rec_members *m;
	const char *name;
	long at;
	int rc;

	buf_reset(names);
	if (!f || fseek(f, (long)skip, SEEK_SET) < 0 || rec_skip_ws(f) != '{') {
		if (f)
			fclose(f);
		return -100;
	}
	m = rec_members_begin(f, "t.json");
	while ((rc = rec_members_next(m, &name, &at, e)) == 1)
		buf_addf(names, "%s%s", names->len ? "," : "", name);
	rec_members_end(m);
	if (rc == 0 && rec_skip_ws(f) != EOF)
		rc = -101; /* the stream must be left just after the '}' */
	fclose(f);
	return rc;
}

/* The value at `at` of stream `f`, parsed as a reader of the offsets would. */
static json_t *value_at(FILE *f, long at)
{
	if (fseek(f, at, SEEK_SET) < 0)
		return NULL;
	return json_loadf(f, JSON_DISABLE_EOF_CHECK | JSON_DECODE_ANY, NULL);
}

static void test_members(void)
{
	static const char text[] = "xyz  {\"b\": 1, \"a\\u0041\": [1, {\"x\": \"}\"}], "
				   "\"c\" : \"s\\\"}\" ,\"d\": {\"e\": {}, \"f\": [\"]\"]}, "
				   "\"n\": null}\n";
	static const char *const want_names[] = { "b", "aA", "c", "d", "n" };
	const char *want_values[] = { "1", "[1, {\"x\": \"}\"}]", "\"s\\\"}\"",
				      "{\"e\": {}, \"f\": [\"]\"]}", "null" };
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	struct rec_members *m, *inner;
	struct err e = ERR_INIT;
	struct buf names = BUF_INIT;
	const char *name;
	long at, ats[5];
	size_t i = 0;
	int rc, c;

	/* Names decoded, offsets absolute (the object starts at byte 5), the caller reading
	 * some values where the walk leaves the stream, others left to be skipped. */
	ok(f && fseek(f, 3, SEEK_SET) == 0 && rec_skip_ws(f) == '{', "the object is found");
	m = rec_members_begin(f, "t.json");
	while ((rc = rec_members_next(m, &name, &at, &e)) == 1 && i < 5) {
		is_str(name, want_names[i], "member name read and decoded");
		ats[i] = at;
		ok(ftell(f) == at, "the stream is left at the value of '%s'", name);
		if (i == 1) {
			/* read the value where it is */
			json_t *v = json_loadf(f, JSON_DISABLE_EOF_CHECK | JSON_DECODE_ANY, NULL),
			       *w = json_loads(want_values[i], JSON_DECODE_ANY, NULL);

			ok(v && w && json_equal(v, w), "the value of 'aA' read in place");
			json_decref(v);
			json_decref(w);
		} else if (i == 3) {
			/* a nested walk over the same stream */
			c = rec_skip_ws(f);
			inner = rec_members_begin(f, "t.json");
			buf_reset(&names);
			while (c == '{' && rec_members_next(inner, &name, &at, &e) == 1)
				buf_addf(&names, "%s;", name);
			rec_members_end(inner);
			is_str(names.data, "e;f;", "a nested object walked on the same stream");
		} else if (i == 4) {
			/* wander off: the next call still finds its place */
			fseek(f, 0, SEEK_SET);
		}
		i++;
	}
	is_int(rc, 0, "the walk ends at the closing brace");
	is_int((long long)i, 5, "five members");
	is_int(getc(f), '\n', "the stream is left just after the '}'");
	is_int(rec_members_next(m, &name, &at, &e), 0, "and stays at the end");
	rec_members_end(m);
	for (i = 0; i < 5; i++) {
		json_t *v = value_at(f, ats[i]),
		       *w = json_loads(want_values[i], JSON_DECODE_ANY, NULL);

		ok(v && w && json_equal(v, w), "the offset of member %zu reads its value", i);
		json_decref(v);
		json_decref(w);
	}
	fclose(f);

	is_int(walk_names("{}", 0, &names, &e), 0, "an empty object");
	is_int((long long)names.len, 0, "has no members");
	is_int(walk_names(" { \n } ", 0, &names, &e), 0, "an empty object with spaces");
	is_int(walk_names("{\"k\": {\"k\": 1}, \"l\": 2}", 0, &names, &e), 0,
	       "a name inside a value is not a member");
	is_str(names.data, "k,l", "only the members of the object are named");

	is_int(walk_names("{\"a\": 1, \"b\": 2, \"a\": 3}", 0, &names, &e), ERR_INVALID,
	       "a name seen twice is refused");
	ok(strstr(e.msg, "t.json") && strstr(e.msg, "'a'"), "the message names file and member: %s",
	   e.msg);
	err_clear(&e);
	is_int(walk_names("{\"a\": 1, \"\\u0061\": 2}", 0, &names, &e), ERR_INVALID,
	       "the same name spelt with an escape is refused too");
	err_clear(&e);

	{
		static const struct {
			const char *text, *why;
		} badv[] = {
			{ "{\"a\" 1}", "':' expected" },
			{ "{\"a\": 1,}", "malformed member name" },
			{ "{a: 1}", "malformed member name" },
			{ "{1: 1}", "malformed member name" },
			{ "{\"a\": 1 \"b\": 2}", "',' or '}' expected" },
			{ "{\"a\": [1, 2", "premature end of input" },
			{ "{\"a\":", "premature end of input" },
			{ "{\"a", "malformed member name" },
			{ "{\"a\": \"x", "premature end of input" },
		};

		for (i = 0; i < sizeof(badv) / sizeof(badv[0]); i++) {
			rc = walk_names(badv[i].text, 0, &names, &e);
			ok(rc == ERR_INVALID && strstr(e.msg, badv[i].why) &&
				   strstr(e.msg, "t.json: "),
			   "%s is refused: %s", badv[i].text, e.msg);
			err_clear(&e);
		}
	}

	/* A large value is skipped, not held: the member after it is found. */
	{
		struct buf big = BUF_INIT;

		buf_adds(&big, "{\"big\": [");
		for (i = 0; i < 200000; i++)
			buf_addf(&big, "%s{\"s\": \"%zu}]\"}", i ? "," : "", i);
		buf_adds(&big, "], \"after\": true}");
		is_int(walk_names(big.data, 0, &names, &e), 0, "a 3 MB member is skipped");
		is_str(names.data, "big,after", "and the member after it read");
		buf_release(&big);
	}
	buf_release(&names);
}

int main(void)
{
	struct tmp_stage t;

	if (tmp_stage_open(&t, "records") < 0)
		return 1;
	test_writer(t.s);
	test_reader(t.s);
	test_spool(t.s);
	test_members();
	tmp_stage_close(&t);
	return tap_done();
}
