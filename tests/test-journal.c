/*
 * Unit tests of journal.c: the line writer, the line reader, and the queries
 * over load/journal.jsonl that plan and apply share (the unsettled steps of a
 * plan run, the creates whose outcome is unknown).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/jsonutil.h"
#include "store/journal.h"
#include "store/ledger.h"
#include "store/staging.h"
#include "tap.h"
#include "tmp-stage.h"

static const char *PENDING_TEXT =
	"{\"application\":\"a1\",\"phase\":\"begin\",\"planRunId\":\"R1\",\"step\":0}\n"
	"{\"application\":\"a1\",\"phase\":\"end\",\"outcome\":\"ok\",\"planRunId\":\"R1\","
	"\"step\":0}\n"
	"{\"application\":\"a1\",\"phase\":\"begin\",\"planRunId\":\"R1\",\"step\":1}\n"
	"{\"application\":\"a2\",\"phase\":\"begin\",\"planRunId\":\"R1\",\"step\":0}\n"
	"{\"application\":\"a2\",\"phase\":\"end\",\"outcome\":\"uncertain\",\"planRunId\":"
	"\"R1\",\"step\":0}\n"
	"{\"application\":\"a3\",\"phase\":\"begin\",\"planRunId\":\"R1\",\"step\":0}\n"
	"{\"application\":\"a3\",\"phase\":\"end\",\"outcome\":\"uncertain\",\"planRunId\":"
	"\"R1\",\"step\":0}\n"
	"{\"application\":\"a3\",\"phase\":\"lookup\",\"outcome\":\"found\",\"planRunId\":"
	"\"R1\",\"step\":0}\n"
	"{\"application\":\"a4\",\"phase\":\"begin\",\"planRunId\":\"R0\",\"step\":0}\n"
	"{\"application\":\"a5\",\"phase\":\"begin\",\"planRunId\":\"R1\",\"step\":2}\n"
	"{\"application\":\"a5\",\"phase\":\"end\",\"outcome\":\"failed\",\"planRunId\":"
	"\"R1\",\"step\":2}\n"
	"{\"application\":\"a6\",\"phase\":\"beg";

static void test_pending_of_text(void)
{
	const char *text;
	json_t *pending = NULL;
	struct err e = ERR_INIT;

	ok(journal_pending_of_text(PENDING_TEXT, strlen(PENDING_TEXT), "R1", &pending, &e) == 0,
	   "journal scanned (torn last line ignored)");
	ok(json_object_get(pending, "a1#1") != NULL, "begin without end: pending");
	ok(json_object_get(pending, "a1#0") == NULL, "begin and end ok: done");
	ok(json_object_get(pending, "a2#0") != NULL, "uncertain end: pending");
	ok(json_object_get(pending, "a3#0") == NULL, "uncertain then found: settled");
	ok(json_object_get(pending, "a4#0") == NULL, "other plan's lines ignored");
	ok(json_object_get(pending, "a5#2") == NULL, "refused write: not pending");
	is_int((long long)json_object_size(pending), 2, "exactly two pending");
	json_decref(pending);

	text = "{\"application\":\"a1\",\"phase\":\"begin\",\"planRunId\":\"R1\",\"step\":1}\n"
	       "{\"application\":\"a1\",\"phase\":\"forget\",\"planRunId\":\"R1\"}\n";
	journal_pending_of_text(text, strlen(text), "R1", &pending, &e);
	is_int((long long)json_object_size(pending), 0,
	       "delete-new-hire's forget clears the hire's steps");
	json_decref(pending);
	ok(journal_pending_of_text("", 0, "R1", &pending, &e) == 0 &&
		   json_object_size(pending) == 0,
	   "an empty journal has nothing pending");
	json_decref(pending);
}

/* Append one line through journal_write. */
static int jw(struct staging *s, const char *prid, const char *app, long step, const char *op,
	      const char *phase, const char *outcome, const char *id)
{
	struct journal_line l;
	struct err e = ERR_INIT;

	memset(&l, 0, sizeof(l));
	l.app = app;
	l.step = step;
	l.op = op;
	l.method = "POST";
	l.path = "/people";
	l.phase = phase;
	l.outcome = outcome;
	l.status = outcome ? 201 : -1;
	l.ids = id ? json_pack("{s:s}", "id", id) : NULL;
	return journal_write(s, "RUN", prid, &l, &e);
}

static int count_line(void *ctx, const json_t *l, struct err *e)
{
	(void)l;
	(void)e;
	++*(int *)ctx;
	return 0;
}

static void test_write_and_read(struct staging *s)
{
	struct err e = ERR_INIT;
	char *text, *nl;
	json_t *first;
	int n = 0;

	staging_remove(s, JOURNAL_FILE, &e);
	ok(journal_each(s, count_line, &n, &e) == 0 && n == 0, "an absent journal has no line");
	ok(jw(s, "R1", "a1", 0, "createPerson", "begin", NULL, NULL) == 0, "a begin line written");
	ok(jw(s, "R1", "a1", 0, "createPerson", "end", "ok", "p1") == 0, "an end line written");
	text = tmp_stage_read(s, JOURNAL_FILE);
	ok(text && (nl = strchr(text, '\n')) && strchr(nl + 1, '\n') &&
		   *(strchr(nl + 1, '\n') + 1) == '\0',
	   "two lines, each ending in a newline");
	first = text ? json_loadb(text, (size_t)(strchr(text, '\n') - text), 0, NULL) : NULL;
	is_str(json_get_str(first, "runId"), "RUN", "the line carries the run id");
	is_str(json_get_str(first, "planRunId"), "R1", "and the plan run id");
	is_str(json_get_str(first, "phase"), "begin", "and the phase");
	ok(json_is_integer(json_object_get(first, "step")) && !json_object_get(first, "status") &&
		   !json_object_get(first, "outcome") && json_get_str(first, "time"),
	   "a step and a time; no status or outcome when there is none");
	ok(text && strncmp(text, "{\"application\":\"a1\",\"method\":\"POST\",", 36) == 0,
	   "compact, with sorted keys");
	json_decref(first);
	free(text);
	n = 0;
	ok(journal_each(s, count_line, &n, &e) == 0 && n == 2, "journal_each reads both lines");
}

static int is_set(json_t *o, const char *k)
{
	return json_object_get(o, k) != NULL;
}

static void test_uncertain_creates(struct staging *s)
{
	struct err e = ERR_INIT;
	json_t *apps = NULL;

	staging_remove(s, JOURNAL_FILE, &e);
	ok(journal_uncertain_creates(s, &apps, &e) == 0 && json_object_size(apps) == 0,
	   "an absent journal: no uncertain create");
	json_decref(apps);
	jw(s, "R1", "a1", 0, "createPerson", "begin", NULL, NULL); /* killed */
	jw(s, "R1", "a2", 0, "createPerson", "begin", NULL, NULL);
	jw(s, "R1", "a2", 0, "createPerson", "end", "uncertain", NULL);
	jw(s, "R1", "a3", 0, "createPerson", "begin", NULL, NULL);
	jw(s, "R1", "a3", 0, "createPerson", "end", "ok", "p3");
	jw(s, "R1", "a4", 0, "createPerson", "end", "failed", NULL); /* refused */
	jw(s, "R1", "a5", 0, "createPerson", "end", "uncertain", NULL);
	jw(s, "R2", "a5", 0, "createPerson", "lookup", "found", "p5"); /* a later plan run */
	jw(s, "R1", "a6", 1, "createCompensation", "begin", NULL, NULL);
	jw(s, "R1", "a7", 0, "createPerson", "begin", NULL, NULL);
	jw(s, "", "a7", -1, NULL, "forget", NULL, NULL);
	ok(journal_uncertain_creates(s, &apps, &e) == 0, "uncertain creates read");
	ok(is_set(apps, "a1"), "a begin with no end is uncertain");
	ok(is_set(apps, "a2"), "an uncertain end is uncertain");
	ok(!is_set(apps, "a3"), "an ok end settles it");
	ok(!is_set(apps, "a4"), "a refused create created nothing");
	ok(!is_set(apps, "a5"), "a lookup that found it settles it, in any plan run");
	ok(!is_set(apps, "a6"), "only createPerson counts");
	ok(!is_set(apps, "a7"), "a forgotten hire is not uncertain");
	is_int((long long)json_object_size(apps), 2, "exactly two");
	json_decref(apps);
}

static void test_scan(struct staging *s)
{
	struct err e = ERR_INIT;
	struct ledger *l = NULL;
	json_t *pending = json_object(), *done = json_object(), *touched = json_object(), *en;

	staging_remove(s, JOURNAL_FILE, &e);
	staging_remove(s, LEDGER_FILE, &e);
	staging_remove(s, LEDGER_PENDING_FILE, &e);
	ledger_open(s, &l, &e);
	/* b1: this plan's entry says two steps are done. */
	en = json_pack("{s:s,s:s,s:i}", "personId", "p1", "planRunId", "R1", "stepsDone", 2);
	ledger_put(l, "b1", en, &e);
	json_decref(en);
	jw(s, "R1", "b1", 0, "createPerson", "begin", NULL, NULL);
	jw(s, "R1", "b1", 1, "createCompensation", "begin", NULL, NULL);
	jw(s, "R1", "b1", 2, "createDocument", "begin", NULL, NULL);
	/* b2: no ledger entry; step 0 done per the journal only (killed before the ledger). */
	jw(s, "R1", "b2", 0, "createPerson", "begin", NULL, NULL);
	jw(s, "R1", "b2", 0, "createPerson", "end", "ok", "p2");
	jw(s, "R1", "b2", 1, "createCompensation", "begin", NULL, NULL);
	jw(s, "R0", "b3", 0, "createPerson", "begin", NULL, NULL);
	ok(journal_scan(s, "R1", l, pending, done, touched, &e) == 0,
	   "journal scanned with a ledger");
	ok(!is_set(pending, "b1#0") && !is_set(pending, "b1#1"),
	   "steps before the ledger's stepsDone are left out");
	ok(is_set(pending, "b1#2"), "a later step of a ledger-known hire is pending");
	ok(!is_set(touched, "b1"), "a hire whose entry is of this plan is not touched");
	is_str(json_string_value(json_object_get(done, "b2#0")), "p2",
	       "a step done per the journal carries its id");
	ok(is_set(pending, "b2#1") && is_set(touched, "b2"), "b2: step 1 pending, hire touched");
	ok(!is_set(touched, "b3") && !is_set(pending, "b3#0"), "other plan runs are ignored");
	is_int((long long)json_object_size(pending), 2, "two steps pending");
	ledger_free(l);
	json_decref(pending);
	json_decref(done);
	json_decref(touched);
}

int main(void)
{
	struct tmp_stage t;

	test_pending_of_text();
	if (tmp_stage_open(&t, "journal") < 0)
		return 1;
	test_write_and_read(t.s);
	test_uncertain_creates(t.s);
	test_scan(t.s);
	tmp_stage_close(&t);
	return tap_done();
}
