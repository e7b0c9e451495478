/*
 * Unit tests for ledger.c: the index over load/ledger.json and the pending
 * lines, entries read on demand or walked in order (ledger_each), and
 * ledger_write giving what snapshot_write_json gives for the whole (folded)
 * object.
 */
#include "config.h"

#include <errno.h>
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/jsonutil.h"
#include "store/ledger.h"
#include "store/snapshot.h"
#include "store/staging.h"
#include "tap.h"
#include "tmp-stage.h"
#include "base/xalloc.h"

static char *canonical(const json_t *v)
{
	struct buf b = BUF_INIT;
	struct err e = ERR_INIT;

	snapshot_dump(v, &b, &e);
	return buf_detach(&b, NULL);
}

static const char *entry_pid(struct ledger *l, const char *app, char *out, size_t n)
{
	struct err e = ERR_INIT;
	json_t *en = NULL;
	int rc = ledger_get(l, app, &en, &e);

	const char *pid = json_get_str(en, "personId");

	snprintf(out, n, "%s", rc != 1 ? "absent" : pid ? pid : "-");
	json_decref(en);
	return out;
}

/* A ledger_each callback: entries into `all`, their keys into `order`; returns 7 after `stop_after` entries. */
struct walk {
	json_t *all;
	int stop_after, seen;
	char order[256];
};

static int collect(void *ctx, const char *app, json_t *en, struct err *e)
{
	struct walk *w = ctx;

	(void)e;
	json_object_set(w->all, app, en);
	snprintf(w->order + strlen(w->order), sizeof(w->order) - strlen(w->order), "%s,", app);
	return ++w->seen == w->stop_after ? 7 : 0;
}

static void test_ledger(struct staging *s)
{
	struct err e = ERR_INIT;
	struct ledger *l = NULL;
	json_t *want, *en;
	char *got, *exp, pid[64], *app = NULL;
	int rc;

	/* Absent: empty. */
	staging_remove(s, "load/ledger.json", &e);
	ok(ledger_open(s, &l, &e) == 0 && ledger_count(l) == 0 && !ledger_has_pending(l),
	   "an absent ledger is empty");
	is_str(entry_pid(l, "a1", pid, sizeof(pid)), "absent", "absent application");
	ok(ledger_write(l, &e) == 0, "an empty ledger is written");
	got = tmp_stage_read(s, "load/ledger.json");
	is_str(got, "{}\n", "an empty ledger is {} as snapshot_dump gives it");
	free(got);
	ledger_free(l);

	/* A canonical ledger with escapes, nesting and a non-object value. */
	want = json_pack("{s:{s:s,s:[s,s],s:i},s:{s:s,s:[]},s:{s:s},s:s}", "a\"1", "personId", "p1",
			 "compensationIds", "c1", "c2", "stepsDone", 2, "b2", "personId", "p\\2{",
			 "fileIds", "c3", "personId", "p3", "zz", "odd");
	exp = canonical(want);
	staging_write(s, "load/ledger.json", exp, strlen(exp), &e);
	rc = ledger_open(s, &l, &e);
	ok(rc == 0 && ledger_count(l) == 4, "four entries indexed");
	is_str(entry_pid(l, "a\"1", pid, sizeof(pid)), "p1", "escaped key read back");
	is_str(entry_pid(l, "b2", pid, sizeof(pid)), "p\\2{", "escaped value read back");
	is_str(entry_pid(l, "c3", pid, sizeof(pid)), "p3", "last entry read back");
	ok(ledger_get(l, "zz", &en, &e) == 1 && json_is_string(en), "a scalar entry read back");
	json_decref(en);

	/* Pending lines: the last one of an application wins; a torn line is ignored. */
	en = json_pack("{s:s,s:i}", "personId", "p1b", "stepsDone", 3);
	ok(ledger_put(l, "a\"1", en, &e) == 0, "put an entry");
	json_object_set(want, "a\"1", en);
	json_decref(en);
	en = json_pack("{s:s}", "personId", "p4");
	ok(ledger_put(l, "d4", en, &e) == 0, "put a new entry");
	json_object_set(want, "d4", en);
	json_decref(en);
	en = json_pack("{s:s}", "personId", "p4b");
	ledger_put(l, "d4", en, &e);
	json_object_set(want, "d4", en);
	json_decref(en);
	ok(ledger_has_pending(l), "pending lines exist");
	is_str(entry_pid(l, "a\"1", pid, sizeof(pid)), "p1b", "the put entry is read back");
	is_str(entry_pid(l, "d4", pid, sizeof(pid)), "p4b", "the last put wins");
	ledger_free(l);
	{
		char *p = xasprintf("%s/%s", staging_path(s), LEDGER_PENDING_FILE);
		FILE *f = fopen(p, "a");

		fputs("{\"app\":\"c3\",\"entry\":{\"pers", f);
		fclose(f);
		free(p);
	}
	ok(ledger_open(s, &l, &e) == 0 && ledger_count(l) == 5, "reopened with pending lines");
	ok(ledger_has_pending(l), "pending lines seen on open");
	is_str(entry_pid(l, "d4", pid, sizeof(pid)), "p4b", "the last pending line wins on open");
	is_str(entry_pid(l, "c3", pid, sizeof(pid)), "p3", "a torn pending line is ignored");
	{
		json_t *folded = json_object();
		struct walk w = { folded, 0, 0, "" };

		ok(ledger_each(l, collect, &w, &e) == 0, "every entry walked");
		ok(json_equal(folded, want),
		   "the walk gives every current entry, pending folded in");
		is_str(w.order, "a\"1,b2,c3,zz,d4,", "in ledger.json's order, then the new ones");
		w.stop_after = 2;
		w.seen = 0;
		w.order[0] = '\0';
		is_int(ledger_each(l, collect, &w, &e), 7, "a non-zero return stops the walk");
		is_str(w.order, "a\"1,b2,", "and is returned at once");
		json_decref(folded);
	}
	ok(ledger_find_person(l, "p4b", &app, &e) == 1 && app && strcmp(app, "d4") == 0,
	   "find an application by person id");
	free(app);
	ok(ledger_find_person(l, "nobody", &app, &e) == 0 && !app, "an unknown person id");
	ledger_del(l, "b2");
	json_object_del(want, "b2");
	ok(ledger_write(l, &e) == 0, "write");
	free(exp);
	exp = canonical(want);
	got = tmp_stage_read(s, "load/ledger.json");
	is_str(got, exp, "ledger.json is the canonical dump of the folded ledger");
	free(got);
	got = tmp_stage_read(s, LEDGER_PENDING_FILE);
	ok(got == NULL && !ledger_has_pending(l), "the pending lines are gone");
	free(got);
	is_str(entry_pid(l, "d4", pid, sizeof(pid)), "p4b", "the index points into the new file");
	is_str(entry_pid(l, "b2", pid, sizeof(pid)), "absent", "a deleted application is gone");
	ledger_free(l);
	free(exp);
	json_decref(want);

	/* Broken ledgers. */
	staging_write(s, "load/ledger.json", "[]\n", 3, &e);
	is_int(ledger_open(s, &l, &e), ERR_INVALID, "an array is refused");
	staging_write(s, "load/ledger.json", "{\"a\": {}, \"a\": {}}\n", 19, &e);
	is_int(ledger_open(s, &l, &e), ERR_INVALID, "a duplicate application is refused");
	staging_write(s, "load/ledger.json", "{\"a\": {\"x\": [}\n", 15, &e);
	is_int(ledger_open(s, &l, &e), ERR_INVALID, "truncated json is refused");
	staging_write(s, "load/ledger.json", "{\"a\": 1} x\n", 11, &e);
	is_int(ledger_open(s, &l, &e), ERR_INVALID, "trailing text is refused");
	staging_remove(s, "load/ledger.json", &e);
}

int main(void)
{
	struct tmp_stage t;

	if (tmp_stage_open(&t, "ledger") < 0)
		return 1;
	test_ledger(t.s);
	tmp_stage_close(&t);
	return tap_done();
}
