/* Unit tests of forget's filters (src/store/erase/erase-filter.c) and tombstones. */
#include "config.h"

#include <string.h>

#include "store/erase/erase-int.h"
#include "store/tombstones.h"
#include "tap.h"

#define A1 "app-1111"
#define A2 "app-2222"

static struct needles nd;

/* Filter `in` as `path`; returns the new bytes (static) or "(unchanged)". */
static const char *filt(const char *path, const char *in)
{
	static struct buf out = BUF_INIT;
	struct err e = ERR_INIT;
	bool changed = false;

	buf_reset(&out);
	if (erase_filter(&nd, path, in, strlen(in), &out, &changed, &e) < 0) {
		diag("%s", e.msg);
		return "(error)";
	}
	return changed ? out.data : "(unchanged)";
}

static void test_needles(void)
{
	ok(needles_in_text(&nd, "x ANA.LOPEZ@Example.mx y", 24), "a needle matches ignoring case");
	ok(!needles_in_text(&nd, "Ana", 3), "a short name is not a needle");
	ok(erase_path_drops(&nd, "extract/files/" A1 "/letter.pdf"),
	   "a hire's letter goes by path");
	ok(!erase_path_drops(&nd, "extract/files/" A2 "/letter.pdf"), "another's stays");
}

static void test_json(void)
{
	const char *arr = "[\n  {\n    \"id\": \"" A1 "\",\n    \"name\": \"Ana Lopez\"\n  },\n"
			  "  {\n    \"id\": \"" A2 "\",\n    \"name\": \"Bo Berg\"\n  }\n]\n";
	const char *obj =
		"{\n  \"basis\": {\n    \"absentEmails\": [\n      \"ana.lopez@example.mx\",\n"
		"      \"bo@example.se\"\n    ]\n  },\n  \"operations\": [\n    {\n"
		"      \"id\": \"" A1 "\"\n    },\n    {\n      \"id\": \"" A2 "\"\n"
		"    }\n  ]\n}\n";
	const char *ledger = "{\n  \"" A1 "\": {\n    \"base\": {\n      \"person\": {\n"
			     "        \"firstName\": \"Ana\"\n      }\n    },\n"
			     "    \"personId\": \"per1\"\n  },\n  \"" A2 "\": {\n"
			     "    \"personId\": \"per2\"\n  }\n}\n";

	is_str(filt("extract/applications.json", arr),
	       "[\n  {\n    \"id\": \"" A2 "\",\n    \"name\": \"Bo Berg\"\n  }\n]\n",
	       "a record array loses the hire's record and stays canonical");
	is_str(filt("extract/jobs.json", "[\n  {\n    \"id\": \"j1\"\n  }\n]\n"), "(unchanged)",
	       "a file that does not name the hire is unchanged");
	is_str(filt("plan/plan.json", obj),
	       "{\n  \"basis\": {\n    \"absentEmails\": [\n      \"bo@example.se\"\n    ]\n  },\n"
	       "  \"operations\": [\n    {\n      \"id\": \"" A2 "\"\n    }\n  ]\n}\n",
	       "an object's nested list and record array lose the hire");
	is_str(filt("load/ledger.json", ledger),
	       "{\n  \"" A1 "\": {\n    \"personId\": \"per1\"\n  },\n  \"" A2 "\": {\n"
	       "    \"personId\": \"per2\"\n  }\n}\n",
	       "the ledger keeps the hire's Humaans ids and loses base");
	is_str(filt("extract/state.json",
		    "{\n  \"files\": {\n    \"" A1 "\": {\n      \"size\": 1\n"
		    "    }\n  },\n  \"tokens\": {}\n}\n"),
	       "{\n  \"files\": {},\n  \"tokens\": {}\n}\n",
	       "an object keyed by id loses the member");
	is_str(filt("extract/all.json", "[\n  {\n    \"id\": \"" A1 "\"\n  }\n]\n"), "[]\n",
	       "an array left empty is []");
}

static void test_lines(void)
{
	is_str(filt("transform/new_hires.csv",
		    "application_id,name\n" A1 ",\"Ana\nLopez\"\n" A2 ",Bo Berg\n"),
	       "application_id,name\n" A2 ",Bo Berg\n",
	       "a CSV record with a quoted line break goes whole");
	is_str(filt("plan/plan.txt", "+ create " A1 " Ana Lopez <ana.lopez@example.mx>\n"
				     "    firstName: Ana\n+ create " A2 " Bo Berg <bo@example.se>\n"
				     "    firstName: Bo\n"),
	       "+ create " A2 " Bo Berg <bo@example.se>\n    firstName: Bo\n",
	       "plan.txt loses the operation and its indented lines");
	is_str(filt("load/journal.jsonl",
		    "{\"application\":\"" A1 "\"}\n{\"application\":\"" A2 "\"}\n"),
	       "{\"application\":\"" A2 "\"}\n", "the journal loses the hire's lines");
	is_str(filt("load/ledger.pending.jsonl",
		    "{\"app\":\"" A1 "\",\"entry\":{\"base\":{\"x\":1},\"personId\":\"per1\"}}\n"),
	       "{\"app\":\"" A1 "\",\"entry\":{\"personId\":\"per1\"}}\n",
	       "a pending ledger line keeps the ids and loses base");
	is_str(filt("extract/files/" A2 "/l.pdf", "%PDF ana.lopez@example.mx"), "(unchanged)",
	       "a PDF is not rewritten");
}

static void test_message(void)
{
	struct buf out = BUF_INIT;

	ok(erase_filter_message(&nd, "apply: 1 created\n\nFailed: " A1 " Ana Lopez\nRun-Id: R\n",
				&out),
	   "a message naming the hire changes");
	is_str(out.data, "apply: 1 created\n\nRun-Id: R\n", "only the line naming it goes");
	buf_release(&out);
}

static void test_tombstones(void)
{
	struct err e = ERR_INIT;
	struct buf b = BUF_INIT;
	json_t *t = json_object(), *runs = json_pack("[ss]", "R2", "R1"), *back = NULL;
	const char *date = NULL;

	ok(tombstones_add(t, A1, "2026-01-02", "request 7", runs, &e) == 0, "a tombstone is added");
	ok(tombstones_add(t, A2, "2026-1-2", "x", runs, &e) < 0, "a bad date is refused");
	ok(tombstones_add(t, A2, "2026-01-02", "two\nlines", runs, &e) < 0,
	   "a reason with a line break is refused");
	tombstones_dump(t, &b, &e);
	is_str(b.data,
	       "{\n  \"" A1 "\": {\n    \"date\": \"2026-01-02\",\n    \"reason\": \"request 7\",\n"
	       "    \"runs\": [\n      \"R1\",\n      \"R2\"\n    ]\n  }\n}\n",
	       "tombstones.json is canonical, runs sorted");
	ok(tombstones_parse(b.data, b.len, "t", &back, &e) == 0 && tombstones_has(back, A1, &date),
	   "it parses back");
	is_str(date, "2026-01-02", "with its date");
	json_decref(back);
	back = NULL;
	ok(tombstones_parse("{\"x\": {}}", 9, "t", &back, &e) < 0,
	   "an entry without a date is refused");
	json_decref(back);
	json_decref(runs);
	json_decref(t);
	buf_release(&b);
}

int main(void)
{
	needles_init(&nd);
	needles_add_app(&nd, A1);
	needles_add(&nd, "ana.lopez@example.mx", false);
	needles_add(&nd, "Ana Lopez", false);
	needles_add(&nd, "Ana", false);
	test_needles();
	test_json();
	test_lines();
	test_message();
	test_tombstones();
	needles_release(&nd);
	return tap_done();
}
