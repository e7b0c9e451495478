#include "config.h"

#include "store/journal.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/jsonutil.h"
#include "base/xalloc.h"
#include "store/ledger.h"
#include "store/staging.h"

int journal_write(struct staging *s, const char *run_id, const char *plan_run_id,
		  struct journal_line *l, struct err *e)
{
	json_t *o = json_object();
	char when[32], *line;
	time_t now = time(NULL);
	struct tm tm;
	int rc;

	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_set_str(o, "time", when);
	json_set_str(o, "runId", run_id);
	json_set_str(o, "planRunId", plan_run_id);
	json_set_str(o, "application", l->app);
	if (l->step >= 0)
		json_object_set_new(o, "step", json_integer(l->step));
	json_set_str(o, "op", l->op);
	json_set_str(o, "method", l->method);
	json_set_str(o, "path", l->path);
	json_set_str(o, "phase", l->phase);
	json_set_str(o, "outcome", l->outcome);
	if (l->status >= 0)
		json_object_set_new(o, "status", json_integer(l->status));
	if (l->ids)
		json_object_set_new(o, "ids", l->ids);
	l->ids = NULL;
	json_set_str(o, "error", l->error);
	json_set_str(o, "errorBody", l->body);
	json_set_str(o, "requestId", l->request_id);
	line = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	if (!line)
		return err_set(e, ERR_FAIL, "could not encode a journal line");
	rc = staging_append_line(s, JOURNAL_FILE, line, e);
	free(line);
	if (rc < 0)
		err_prefix(e, "journal");
	return rc;
}

/*
 * Each line of a journal stream, parsed, a line at a time (the journal grows
 * by a few lines per write: tens of megabytes after a large backfill). An
 * empty or torn line (a kill mid-append) carries nothing and is skipped.
 */
int journal_each_line(FILE *f, journal_line_fn fn, void *ctx, struct err *e)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc = 0;

	while (rc == 0 && (n = getline(&line, &cap, f)) > 0) {
		json_t *l =
			json_loadb(line, (size_t)n, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, NULL);

		if (l)
			rc = fn(ctx, l, e);
		json_decref(l);
	}
	if (rc == 0 && ferror(f))
		rc = err_set(e, ERR_IO, "cannot read %s", JOURNAL_FILE);
	free(line);
	return rc;
}

/* The same over load/journal.jsonl. Absent: no line. */
int journal_each(struct staging *s, journal_line_fn fn, void *ctx, struct err *e)
{
	FILE *f;
	int rc = staging_fopen(s, JOURNAL_FILE, &f, e);

	if (rc == ERR_NOTFOUND) {
		err_clear(e);
		return 0;
	}
	if (rc < 0)
		return rc;
	rc = journal_each_line(f, fn, ctx, e);
	fclose(f);
	return rc;
}

/* One scan of journal_scan() (journal.h); `app`, `this_plan` and `steps` cache the ledger entry last read. */
struct jscan {
	const char *prid;
	json_t *pending, *done, *touched; /* borrowed */
	struct ledger *ledger;		  /* borrowed, may be NULL */
	char *app;	/* owned: the application `this_plan` and `steps` are of */
	bool this_plan; /* its ledger entry is of plan prid */
	long steps;	/* its stepsDone then */
};

static int jscan_ledger(struct jscan *sc, const char *app, struct err *e)
{
	json_t *en = NULL;
	const char *lp;
	int rc;

	if (sc->app && strcmp(sc->app, app) == 0)
		return 0;
	free(sc->app);
	sc->app = NULL;
	if ((rc = ledger_get(sc->ledger, app, &en, e)) < 0)
		return rc;
	lp = json_get_str(en, "planRunId");
	sc->this_plan = lp && strcmp(lp, sc->prid) == 0;
	sc->steps = json_is_integer(json_object_get(en, "stepsDone"))
			    ? (long)json_integer_value(json_object_get(en, "stepsDone"))
			    : 0;
	sc->app = xstrdup(app);
	json_decref(en);
	return 0;
}

static int jscan_line(void *ctx, const json_t *l, struct err *e)
{
	struct jscan *sc = ctx;
	const char *app = json_get_str(l, "application"), *phase = json_get_str(l, "phase"),
		   *outcome = json_get_str(l, "outcome"), *lp = json_get_str(l, "planRunId");
	json_t *st = json_object_get(l, "step");
	int rc;

	if (!app || !phase || !lp || strcmp(lp, sc->prid) != 0)
		return 0;
	if (strcmp(phase, "forget") == 0) {
		/* delete-new-hire removed the hire: its earlier steps no longer exist. */
		char prefix[512];
		const char *k;
		json_t *v, *objs[3] = { sc->pending, sc->done, sc->touched };
		void *tmp;
		size_t o, plen = (size_t)snprintf(prefix, sizeof(prefix), "%s#", app);

		for (o = 0; o < 3; o++) {
			if (!objs[o])
				continue;
			json_object_foreach_safe (objs[o], tmp, k, v) {
				(void)v;
				if (strncmp(k, prefix, plen) == 0 || strcmp(k, app) == 0)
					json_object_del(objs[o], k);
			}
		}
		return 0;
	}
	if (sc->ledger && (rc = jscan_ledger(sc, app, e)) < 0)
		return rc;
	if (sc->touched && !(sc->ledger && sc->this_plan))
		json_object_set_new(sc->touched, app, json_true());
	if (json_is_integer(st)) {
		char key[512];
		const char *id = json_get_str(json_object_get(l, "ids"), "id");
		bool ok = outcome && (strcmp(outcome, "ok") == 0 || strcmp(outcome, "found") == 0);

		if (sc->ledger && sc->this_plan && json_integer_value(st) < sc->steps)
			return 0;
		snprintf(key, sizeof(key), "%s#%lld", app, (long long)json_integer_value(st));
		/* The last word on a step wins. */
		if (strcmp(phase, "begin") == 0 || (outcome && strcmp(outcome, "uncertain") == 0)) {
			json_object_set_new(sc->pending, key, json_true());
			if (sc->done)
				json_object_del(sc->done, key);
		} else if (ok && (strcmp(phase, "end") == 0 || strcmp(phase, "lookup") == 0)) {
			json_object_del(sc->pending, key);
			if (sc->done)
				json_object_set_new(sc->done, key, json_string(id ? id : ""));
		} else if (strcmp(phase, "end") == 0) {
			json_object_del(sc->pending, key);
			if (sc->done)
				json_object_del(sc->done, key);
		}
	}
	return 0;
}

int journal_pending_of_text(const char *text, size_t len, const char *plan_run_id, json_t **out,
			    struct err *e)
{
	FILE *f = len ? fmemopen((void *)text, len, "r") : NULL;
	struct jscan sc;
	int rc;

	if (len && !f)
		return err_set(e, ERR_FAIL, "cannot read a journal text: %s", strerror(errno));
	memset(&sc, 0, sizeof(sc));
	sc.prid = plan_run_id;
	sc.pending = json_object();
	rc = f ? journal_each_line(f, jscan_line, &sc, e) : 0;
	if (f)
		fclose(f);
	if (rc < 0) {
		json_decref(sc.pending);
		return rc;
	}
	*out = sc.pending;
	return 0;
}

int journal_scan(struct staging *s, const char *plan_run_id, struct ledger *ledger, json_t *pending,
		 json_t *done, json_t *touched, struct err *e)
{
	struct jscan sc;
	int rc;

	memset(&sc, 0, sizeof(sc));
	sc.prid = plan_run_id;
	sc.pending = pending;
	sc.done = done;
	sc.touched = touched;
	sc.ledger = ledger;
	rc = journal_each(s, jscan_line, &sc, e);
	free(sc.app);
	return rc;
}

/* One line for journal_uncertain_creates: `ctx` is the object of applications. */
static int uncertain_line(void *ctx, const json_t *l, struct err *e)
{
	json_t *apps = ctx;
	const char *app = json_get_str(l, "application"), *phase = json_get_str(l, "phase"),
		   *op = json_get_str(l, "op"), *outcome = json_get_str(l, "outcome");

	(void)e;
	if (app && phase && strcmp(phase, "forget") == 0) {
		json_object_del(apps, app);
	} else if (app && phase && op && strcmp(op, "createPerson") == 0) {
		/* The last word on the create wins, across plan runs. */
		if (strcmp(phase, "begin") == 0 || (outcome && strcmp(outcome, "uncertain") == 0))
			json_object_set_new(apps, app, json_true());
		else if (outcome && (strcmp(outcome, "ok") == 0 || strcmp(outcome, "found") == 0))
			json_object_del(apps, app);
		else if (strcmp(phase, "end") == 0)
			json_object_del(apps, app); /* refused: nothing was created */
	}
	return 0;
}

int journal_uncertain_creates(struct staging *s, json_t **out, struct err *e)
{
	json_t *apps = json_object();
	int rc = journal_each(s, uncertain_line, apps, e);

	if (rc < 0) {
		json_decref(apps);
		return rc;
	}
	*out = apps;
	return 0;
}
