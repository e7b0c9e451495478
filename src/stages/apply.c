#include "config.h"

#include "stages/apply.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <git2.h>

#include "base/buf.h"
#include "base/hash.h"
#include "apis/http.h"
#include "apis/humaans.h"
#include "base/jsonutil.h"
#include "store/ledger.h"
#include "base/log.h"
#include "stages/plan.h"
#include "store/records.h"
#include "stages/run.h"
#include "store/snapshot.h"
#include "store/staging.h"
#include "base/xalloc.h"

#define JOURNAL "load/journal.jsonl"
#define PLAN_FILE "plan/plan.json"

/*
 * Humaans contract assumptions apply relies on (api/humaans.md):
 *  - There are no idempotency keys: a create whose outcome is unknown is
 *    looked up before it is sent again: a person by personalEmail (the filter
 *    matches exactly; we compare ignoring case), a compensation, document,
 *    custom value or job role by personId=, matched on the fields we sent
 *    and not already in the ledger.
 *  - PATCH is idempotent and is simply sent again; an uploaded file that no
 *    document references is harmless, so an uncertain upload is sent again.
 *  - 4xx other than 401/403/408/429 means the server refused the write
 *    (nothing was created); 401/403 stop the run; anything else may or may
 *    not have reached Humaans.
 *  - DELETE /people/:id removes the person and their job roles; documents,
 *    compensations and custom values the tool created are deleted first with
 *    DELETE /<resource>/:id (404 = already gone).
 */
#define MAX_SENDS 2 /* sends of one step in one run: the first and one after a lookup */

/*
 * Hires under way at once: a few per connection (--jobs), so that a hire
 * waiting for a retry or between two steps never leaves a connection idle.
 * The operations are read from plan.json as hires finish, so memory does not
 * grow with the number of hires.
 */
#define WINDOW_PER_JOB 4
#define WINDOW_MIN 16

struct applier;

/* One hire under way; freed by job_end(), after which nothing may touch it. */
struct hire_job {
	struct applier *ax;
	size_t slot; /* index in ax->slots */
	json_t *op;  /* owned: the operation, read from the plan */
	json_t *en;  /* owned: the hire's ledger entry (NULL until it has one) */
	const char *app, *name, *email, *action; /* borrowed from op */
	const json_t *steps;			 /* borrowed from op */
	size_t next;				 /* the step in progress */
	int sends;				 /* sends of the current step in this run */
	bool did_work, failed;
	char *person_id; /* $personId, once known */
	char *file_id;	 /* $fileId, the last file uploaded */
};

struct applier {
	struct run *r;
	struct humaans_batch *hb;
	struct ledger *ledger;	 /* owned */
	struct rec_reader *ops;	 /* owned: the plan's operations */
	json_t *pending;	 /* owned: "<app>#<step>" -> true */
	json_t *done;		 /* owned: "<app>#<step>" -> id, completed per the journal */
	const char *prid;	 /* the plan's Run-Id (r->plan_run_id) */
	struct hire_job **slots; /* owned: the hires under way (NULL: a free slot) */
	size_t window, active;	 /* slots, and how many are taken */
	bool feeding;		 /* feed() is on the stack */
	size_t njobs, ndone;
	long created, changed, failed, uncertain, writes;
};

/* ------------------------------------------------------------- journal */

struct jline {
	const char *app;
	long step; /* -1: none */
	const char *op, *method, *path, *phase, *outcome;
	long status; /* -1: none */
	json_t *ids; /* stolen, may be NULL */
	const char *error, *body, *request_id;
};

static int journal_write(struct run *r, const char *prid, struct jline *l, struct err *e)
{
	json_t *o = json_object();
	char when[32], *line;
	time_t now = time(NULL);
	struct tm tm;
	int rc;

	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_set_str(o, "time", when);
	json_set_str(o, "runId", r->id);
	json_set_str(o, "planRunId", prid);
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
	rc = staging_append_line(r->stg, JOURNAL, line, e);
	free(line);
	if (rc < 0)
		err_prefix(e, "journal");
	return rc;
}

/* What to do with one parsed journal line (borrowed). */
typedef int (*journal_line_fn)(void *ctx, const json_t *l, struct err *e);

/*
 * Each line of a journal stream, parsed, a line at a time (the journal grows
 * by a few lines per write: tens of megabytes after a large backfill). An
 * empty or torn line (a kill mid-append) carries nothing and is skipped.
 */
static int journal_each_line(FILE *f, journal_line_fn fn, void *ctx, struct err *e)
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
		rc = err_set(e, ERR_IO, "cannot read %s", JOURNAL);
	free(line);
	return rc;
}

/* The same over load/journal.jsonl. Absent: no line. */
static int journal_each(struct staging *s, journal_line_fn fn, void *ctx, struct err *e)
{
	FILE *f;
	int rc = staging_fopen(s, JOURNAL, &f, e);

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

/*
 * Reading a journal for plan `prid`: `pending` gets the steps whose outcome
 * is unknown (begin without end, or uncertain), `done` (may be NULL) the
 * steps that completed with the id they produced (a kill between the
 * journal's end line and the ledger write loses nothing), `touched` (may be
 * NULL) the applications with any line.
 *
 * With `ledger`, what the ledger already says is left out, so the maps hold
 * only the hires an interrupted apply left unfinished, not every step of
 * every hire: a hire whose entry is of this plan is exempt from the stale
 * check anyway (not touched), and its steps before stepsDone are never
 * looked at again (neither pending nor done).
 */
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

int apply_pending_from_journal(const char *text, size_t len, const char *plan_run_id, json_t **out,
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

/* One line for apply_uncertain_creates: `ctx` is the object of applications. */
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

int apply_uncertain_creates(struct staging *s, json_t **out, struct err *e)
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

/* -------------------------------------------------------------- ledger */

static void entry_push(json_t *en, const char *key, const char *id)
{
	json_t *arr = json_object_get(en, key);

	if (!json_is_array(arr)) {
		arr = json_array();
		json_object_set_new(en, key, arr);
	}
	json_array_append_new(arr, json_string(id));
}

static bool entry_has(const json_t *en, const char *key, const char *id)
{
	const json_t *el;
	size_t i;

	json_array_foreach (json_get_arr(en, key), i, el)
		if (json_is_string(el) && strcmp(json_string_value(el), id) == 0)
			return true;
	return false;
}

/* The ledger list a created record's id goes to (NULL: none). */
static const char *entry_list_of(const char *op)
{
	if (strcmp(op, "createCompensation") == 0)
		return "compensationIds";
	if (strcmp(op, "uploadFile") == 0)
		return "fileIds";
	if (strcmp(op, "createDocument") == 0)
		return "documentIds";
	if (strcmp(op, "createCustomValue") == 0)
		return "customValueIds";
	if (strcmp(op, "createJobRole") == 0)
		return "jobRoleIds";
	return NULL;
}

/* ----------------------------------------------------------------- jobs */

static const json_t *job_step(const struct hire_job *j)
{
	return json_array_get(j->steps, j->next);
}

static const char *step_op(const struct hire_job *j)
{
	const char *op = json_get_str(job_step(j), "op");

	return op ? op : "?";
}

static int job_advance(struct hire_job *j, struct err *e);
static int job_send(struct hire_job *j, struct err *e);
static int feed(struct applier *ax, struct err *e);

static void job_free(struct hire_job *j)
{
	json_decref(j->op);
	json_decref(j->en);
	free(j->person_id);
	free(j->file_id);
	free(j);
}

/*
 * The hire is over (done or failed): count it, free it and start the next
 * hire of the plan in its slot. Callers return right after: `j` is gone.
 */
static int job_end(struct hire_job *j, struct err *e)
{
	struct applier *ax = j->ax;

	ax->ndone++;
	if (!j->failed && j->did_work) {
		if (strcmp(j->action, "create") == 0)
			ax->created++;
		else
			ax->changed++;
	}
	if (log_is_tty() && ax->r->humaans) {
		char reqs[96];

		http_client_progress(ax->r->humaans, reqs, sizeof(reqs));
		log_progress("apply: %zu/%zu hires, %ld writes, %ld failed; %s", ax->ndone,
			     ax->njobs, ax->writes, ax->failed, reqs);
	}
	ax->slots[j->slot] = NULL;
	ax->active--;
	job_free(j);
	return feed(ax, e);
}

/* The hire failed; like job_end, `j` is gone when this returns. */
static int job_fail(struct hire_job *j, bool uncertain, const char *msg, struct err *e)
{
	j->failed = true;
	if (uncertain) {
		j->ax->uncertain++;
		log_error("application %s (%s): %s: outcome unknown: %s; run apply again to finish "
			  "(it looks the record up first)",
			  j->app, j->name, step_op(j), msg);
	} else {
		j->ax->failed++;
		log_error("application %s (%s): Humaans refused %s: %s; fix the hire (Ashby or "
			  "overrides.csv), then run plan and apply again",
			  j->app, j->name, step_op(j), msg);
	}
	return job_end(j, e);
}

/* Record a completed step in the ledger (appended, fsynced) and move on. */
static int job_completed(struct hire_job *j, const char *id, struct err *e)
{
	struct applier *ax = j->ax;
	const char *op = step_op(j), *list = entry_list_of(op);
	json_t *en;
	int rc;

	if (!j->en)
		j->en = json_object();
	en = j->en;
	if (strcmp(op, "createPerson") == 0 && id) {
		json_object_set_new(en, "personId", json_string(id));
		free(j->person_id);
		j->person_id = xstrdup(id);
	}
	if (list && id)
		entry_push(en, list, id);
	if (strcmp(op, "uploadFile") == 0 && id) {
		free(j->file_id);
		j->file_id = xstrdup(id);
	}
	json_object_set_new(en, "planRunId", json_string(ax->prid));
	json_object_set_new(en, "stepsDone", json_integer((json_int_t)j->next + 1));
	if ((rc = ledger_put(ax->ledger, j->app, en, e)) < 0)
		return err_prefix(e, "ledger");
	j->did_work = true;
	j->next++;
	return job_advance(j, e);
}

/* The step's body with $personId / $fileId filled in (new reference), or NULL when one is unknown. */
static json_t *step_body(const struct hire_job *j, const char **missing)
{
	json_t *b = json_deep_copy(json_object_get(job_step(j), "body")), *v;
	const char *k;

	if (!b)
		return NULL;
	json_object_foreach (b, k, v) {
		const char *s = json_is_string(v) ? json_string_value(v) : NULL;
		const char *with = NULL;

		if (!s || s[0] != '$')
			continue;
		if (strcmp(s, "$personId") == 0)
			with = j->person_id;
		else if (strcmp(s, "$fileId") == 0)
			with = j->file_id;
		else
			continue;
		if (!with) {
			*missing = s;
			json_decref(b);
			return NULL;
		}
		json_object_set_new(b, k, json_string(with));
	}
	return b;
}

/* Whether an uncertain step is looked up (creates) or simply sent again (PATCH, uploads). */
static bool step_looked_up(const char *op)
{
	return strcmp(op, "createPerson") == 0 || strcmp(op, "createCompensation") == 0 ||
	       strcmp(op, "createDocument") == 0 || strcmp(op, "createCustomValue") == 0 ||
	       strcmp(op, "createJobRole") == 0;
}

static bool money_eq(const json_t *a, const json_t *b)
{
	return plan_money_equal(a, b);
}

static bool str_eq_field(const json_t *a, const json_t *b, const char *key)
{
	const char *x = json_get_str(a, key), *y = json_get_str(b, key);

	return (!x && !y) || (x && y && strcmp(x, y) == 0);
}

/* The record in a lookup answer that is the write we may have made. Borrowed. */
static const json_t *lookup_match(const struct hire_job *j, const json_t *body, const json_t *data)
{
	const json_t *en = j->en, *el;
	const char *op = step_op(j), *list = entry_list_of(op);
	size_t i;

	json_array_foreach (data, i, el) {
		const char *id = json_get_str(el, "id");

		if (!id || (list && entry_has(en, list, id)))
			continue;
		if (strcmp(op, "createPerson") == 0) {
			const char *a = json_get_str(el, "personalEmail"),
				   *b = json_get_str(body, "personalEmail");

			if (a && b && strcasecmp(a, b) == 0)
				return el;
			continue;
		}
		if (!str_eq_field(el, body, "personId"))
			continue;
		if (strcmp(op, "createCompensation") == 0 &&
		    str_eq_field(el, body, "compensationTypeId") &&
		    money_eq(json_object_get(el, "amount"), json_object_get(body, "amount")) &&
		    str_eq_field(el, body, "effectiveDate"))
			return el;
		if (strcmp(op, "createDocument") == 0 && str_eq_field(el, body, "documentTypeId") &&
		    str_eq_field(el, body, "name"))
			return el;
		if (strcmp(op, "createCustomValue") == 0 && str_eq_field(el, body, "customFieldId"))
			return el;
		if (strcmp(op, "createJobRole") == 0 && str_eq_field(el, body, "jobTitle") &&
		    str_eq_field(el, body, "effectiveDate"))
			return el;
	}
	return NULL;
}

static void jline_for(struct jline *l, const struct hire_job *j, const char *phase)
{
	const json_t *st = job_step(j);

	memset(l, 0, sizeof(*l));
	l->app = j->app;
	l->step = (long)j->next;
	l->op = json_get_str(st, "op");
	l->method = json_get_str(st, "method");
	l->path = json_get_str(st, "path");
	l->phase = phase;
	l->status = -1;
}

static json_t *ids_of(const char *key, const char *id)
{
	json_t *o = json_object();

	if (id)
		json_object_set_new(o, key, json_string(id));
	return o;
}

static int on_lookup(void *ctx, int rc, struct humaans_result *res, struct err *e)
{
	struct hire_job *j = ctx;
	struct applier *ax = j->ax;
	const char *missing = NULL;
	json_t *body = step_body(j, &missing);
	const json_t *found;
	struct jline l;
	int wrc;

	if (rc == ERR_AUTH || rc == ERR_PERMISSION) {
		json_decref(body);
		return rc;
	}
	if (rc < 0) {
		json_decref(body);
		return job_fail(j, true, e->msg, e);
	}
	found = body ? lookup_match(j, body, json_get_arr(res->json, "data")) : NULL;
	jline_for(&l, j, "lookup");
	l.outcome = found ? "found" : "absent";
	l.status = res->status;
	if (found)
		l.ids = ids_of("id", json_get_str(found, "id"));
	wrc = journal_write(ax->r, ax->prid, &l, e);
	if (wrc < 0) {
		json_decref(body);
		return wrc;
	}
	if (found) {
		log_verbose("application %s: %s had reached Humaans (%s): not sent again", j->app,
			    step_op(j), json_get_str(found, "id"));
		wrc = job_completed(j, json_get_str(found, "id"), e);
	} else {
		wrc = job_send(j, e);
	}
	json_decref(body);
	return wrc;
}

static int job_lookup(struct hire_job *j, struct err *e)
{
	const char *op = step_op(j), *missing = NULL, *path = json_get_str(job_step(j), "path");
	json_t *body = step_body(j, &missing);
	struct buf q = BUF_INIT;
	char *full;
	int rc;

	if (!body)
		return job_fail(j, true, "its person is not known yet", e);
	if (strcmp(op, "createPerson") == 0)
		rc = humaans_query_eq(&q, "personalEmail", json_get_str(body, "personalEmail"), e);
	else
		rc = humaans_query_eq(&q, "personId", json_get_str(body, "personId"), e);
	json_decref(body);
	if (rc < 0) {
		buf_release(&q);
		return rc;
	}
	full = xasprintf("%s?%s", path, q.data);
	humaans_batch_call(j->ax->hb, "GET", full, NULL, on_lookup, j);
	free(full);
	buf_release(&q);
	return 0;
}

/* Whether a failed write certainly did not happen (Humaans refused it). */
static bool refused(int rc, long status)
{
	(void)rc;
	return status >= 400 && status < 500 && status != 401 && status != 403 && status != 408 &&
	       status != 429;
}

static int on_write(void *ctx, int rc, struct humaans_result *res, struct err *e)
{
	struct hire_job *j = ctx;
	struct applier *ax = j->ax;
	const char *op = step_op(j);
	struct jline l;
	int wrc;

	jline_for(&l, j, "end");
	l.status = res ? res->status : 0;
	l.request_id = res ? res->request_id : NULL;
	if (rc == 0) {
		const char *id = json_get_str(res->json, "id");

		l.outcome = "ok";
		l.ids = ids_of("id", id);
		if ((wrc = journal_write(ax->r, ax->prid, &l, e)) < 0)
			return wrc;
		if (!id && strcmp(json_get_str(job_step(j), "method"), "POST") == 0)
			return job_fail(j, true, "Humaans answered without an id", e);
		return job_completed(j, id, e);
	}
	l.error = e->msg;
	l.body = res ? res->body : NULL;
	if (rc == ERR_AUTH || rc == ERR_PERMISSION) {
		char msg[ERR_MSG_MAX];

		l.outcome = "failed";
		snprintf(msg, sizeof(msg), "%s", e->msg);
		if ((wrc = journal_write(ax->r, ax->prid, &l, e)) < 0)
			return wrc;
		return err_set(e, rc, "application %s (%s): %s", j->app, j->name, msg);
	}
	if (refused(rc, l.status)) {
		char msg[ERR_MSG_MAX];

		l.outcome = "failed";
		snprintf(msg, sizeof(msg), "%s", e->msg);
		if ((wrc = journal_write(ax->r, ax->prid, &l, e)) < 0)
			return wrc;
		return job_fail(j, false, msg, e);
	}
	/* No answer, a 5xx after the retries, or a dropped connection: it may have happened. */
	{
		char msg[ERR_MSG_MAX];

		l.outcome = "uncertain";
		snprintf(msg, sizeof(msg), "%s", e->msg);
		if ((wrc = journal_write(ax->r, ax->prid, &l, e)) < 0)
			return wrc;
		if (j->sends >= MAX_SENDS)
			return job_fail(j, true, msg, e);
		log_verbose("application %s: %s: %s; looking before sending again", j->app, op,
			    msg);
		return step_looked_up(op) ? job_lookup(j, e) : job_send(j, e);
	}
}

static int job_send(struct hire_job *j, struct err *e)
{
	struct applier *ax = j->ax;
	const json_t *st = job_step(j);
	const char *op = step_op(j), *missing = NULL;
	json_t *body = NULL;
	struct buf file = BUF_INIT;
	struct jline l;
	int rc;

	if (strcmp(op, "uploadFile") == 0) {
		const char *rel = json_get_str(st, "file"), *want = json_get_str(st, "sha256");
		char sha[65];
		struct err fe = ERR_INIT;

		if (!rel || staging_read(ax->r->stg, rel, &file, &fe) < 0) {
			buf_release(&file);
			return job_fail(j, false, rel ? fe.msg : "the step names no file", e);
		}
		sha256_hex(file.data, file.len, sha);
		if (want && strcmp(sha, want) != 0) {
			buf_release(&file);
			return job_fail(j, false,
					"the offer letter changed since the plan: run plan again",
					e);
		}
	} else if (json_object_get(st, "body")) {
		body = step_body(j, &missing);
		if (!body) {
			char *msg = xasprintf("%s is not known", missing ? missing : "the body");

			rc = job_fail(j, false, msg, e);
			free(msg);
			return rc;
		}
	}
	j->sends++;
	jline_for(&l, j, "begin");
	if ((rc = journal_write(ax->r, ax->prid, &l, e)) < 0)
		goto out;
	ax->writes++;
	if (strcmp(op, "uploadFile") == 0)
		humaans_batch_upload(ax->hb, json_get_str(st, "fileName"),
				     json_get_str(st, "contentType"), file.data, file.len, on_write,
				     j);
	else
		humaans_batch_call(ax->hb, json_get_str(st, "method"), json_get_str(st, "path"),
				   body, on_write, j);
out:
	json_decref(body);
	buf_release(&file);
	return rc;
}

static int job_advance(struct hire_job *j, struct err *e)
{
	char key[512];

	if (j->next >= json_array_size(j->steps))
		return job_end(j, e);
	j->sends = 0;
	snprintf(key, sizeof(key), "%s#%zu", j->app, j->next);
	if (json_is_string(json_object_get(j->ax->done, key))) {
		const char *id = json_string_value(json_object_get(j->ax->done, key));

		/* Journaled as done, killed before the ledger was written: record it now. */
		log_verbose("application %s: %s completed in an earlier run (%s)", j->app,
			    step_op(j), *id ? id : "no id");
		return job_completed(j, *id ? id : NULL, e);
	}
	if (json_is_true(json_object_get(job_step(j), "adopt"))) {
		log_verbose("application %s: adopting the person an earlier create left unanswered",
			    j->app);
		return job_lookup(j, e);
	}
	if (json_object_get(j->ax->pending, key) && step_looked_up(step_op(j))) {
		log_verbose("application %s: %s was interrupted: looking it up first", j->app,
			    step_op(j));
		return job_lookup(j, e);
	}
	return job_send(j, e);
}

/* ------------------------------------------------------------ the plan */

/* The value of trailer `key` of a commit into `out` ("" when absent). */
static int commit_trailer(struct staging *s, const char *oid_hex, const char *key, char *out,
			  size_t n, struct err *e)
{
	git_repository *repo = staging_git_repo(s);
	git_commit *c = NULL;
	git_oid oid;
	const char *msg, *p;
	size_t klen = strlen(key);

	if (git_oid_fromstr(&oid, oid_hex) < 0 || git_commit_lookup(&c, repo, &oid) < 0)
		return err_set(e, ERR_NOTFOUND, "commit %s not found", oid_hex);
	msg = git_commit_message(c);
	out[0] = '\0';
	for (p = msg; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		size_t len = strcspn(p, "\n");

		if (len > klen + 1 && strncmp(p, key, klen) == 0 && p[klen] == ':' &&
		    p[klen + 1] == ' ')
			snprintf(out, n, "%.*s", (int)(len - klen - 2), p + klen + 2);
	}
	git_commit_free(c);
	return 0;
}

static int commit_trailers(struct staging *s, const char *oid_hex, char *run_id, size_t n,
			   char *stage, size_t sn, struct err *e)
{
	int rc = commit_trailer(s, oid_hex, "Run-Id", run_id, n, e);

	return rc < 0 ? rc : commit_trailer(s, oid_hex, "Stage", stage, sn, e);
}

/* The commit of the plan to apply (--plan REV, else the latest plan commit); sets r->plan_run_id. */
static int plan_commit(struct run *r, const struct apply_opts *o, char oid[41], struct err *e)
{
	char stage[32];
	int rc;

	if (o && o->plan_rev) {
		if ((rc = staging_resolve(r->stg, o->plan_rev, oid, e)) < 0)
			return rc;
		if ((rc = commit_trailers(r->stg, oid, r->plan_run_id, sizeof(r->plan_run_id),
					  stage, sizeof(stage), e)) < 0)
			return rc;
		if (!r->plan_run_id[0])
			return err_set(e, ERR_INVALID,
				       "%s is not a commit of this tool (no Run-Id)", o->plan_rev);
		return 0;
	}
	rc = staging_find_stage(r->stg, "plan", oid, r->plan_run_id, sizeof(r->plan_run_id), e);
	if (rc == ERR_NOTFOUND)
		return err_set(e, ERR_NOTFOUND, "no plan committed yet: run 'plan' first");
	return rc;
}

/*
 * Whether work-tree file `relpath` holds the bytes it has in commit `oid_hex`
 * (the same blob id), so that it can be read from the work tree a record at
 * a time. ERR_NOTFOUND when the commit has no such file.
 */
static int worktree_is_at(struct staging *s, const char *oid_hex, const char *relpath, bool *same,
			  struct err *e)
{
	git_repository *repo = staging_git_repo(s);
	git_commit *c = NULL;
	git_tree *t = NULL;
	git_tree_entry *te = NULL;
	git_oid oid, wt;
	char *path = NULL;
	int rc = 0;

	*same = false;
	if (git_oid_fromstr(&oid, oid_hex) < 0 || git_commit_lookup(&c, repo, &oid) < 0 ||
	    git_commit_tree(&t, c) < 0) {
		rc = err_set(e, ERR_NOTFOUND, "commit %s not found", oid_hex);
		goto out;
	}
	if (git_tree_entry_bypath(&te, t, relpath) < 0) {
		rc = err_set(e, ERR_NOTFOUND, "no %s in commit %s", relpath, oid_hex);
		goto out;
	}
	/* Absent or unreadable in the work tree: not the same, the commit is read instead. */
	path = xasprintf("%s/%s", staging_path(s), relpath);
	if (git_odb_hashfile(&wt, path, GIT_OBJECT_BLOB) == 0)
		*same = git_oid_equal(&wt, git_tree_entry_id(te)) != 0;
out:
	free(path);
	git_tree_entry_free(te);
	git_tree_free(t);
	git_commit_free(c);
	return rc;
}

/*
 * The plan of commit `oid`: *basis (new reference; an empty object when
 * absent) and, when `ops` is not NULL, a reader of its operations (caller
 * closes). The plan is read from the work tree a record at a time when
 * plan/plan.json there is the committed one (the usual case: plan, then
 * apply); otherwise (--plan of an older plan) the committed bytes are read
 * into `text`, which must outlive the reader. `rev` names the commit in messages.
 */
static int plan_open(struct staging *s, const char *oid, const char *rev, struct buf *text,
		     json_t **basis, struct rec_reader **ops, struct err *e)
{
	json_t *plan = NULL;
	bool same;
	int rc = worktree_is_at(s, oid, PLAN_FILE, &same, e);

	*basis = NULL;
	if (ops)
		*ops = NULL;
	if (rc == ERR_NOTFOUND)
		return err_set(e, ERR_NOTFOUND, "%s holds no %s", rev, PLAN_FILE);
	if (rc < 0)
		return rc;
	if (same) {
		rc = rec_read_member(s, PLAN_FILE, "basis", basis, e);
		if (rc == ERR_NOTFOUND) {
			err_clear(e);
			*basis = json_object();
			rc = 0;
		}
		if (rc == 0 && ops)
			rc = rec_reader_open(s, PLAN_FILE, "operations", ops, e);
		goto out;
	}
	if ((rc = staging_read_at(s, oid, PLAN_FILE, text, e)) < 0 ||
	    (rc = snapshot_parse(text->data, text->len, PLAN_FILE, &plan, e)) < 0)
		goto out;
	if (!json_is_array(json_get_arr(plan, "operations"))) {
		rc = err_set(e, ERR_INVALID, "%s has no operations", PLAN_FILE);
		goto out;
	}
	*basis = json_get_obj(plan, "basis") ? json_incref(json_object_get(plan, "basis"))
					     : json_object();
	json_decref(plan);
	plan = NULL;
	if (ops)
		rc = rec_reader_open_mem(text->data, text->len, PLAN_FILE, "operations", ops, e);
out:
	json_decref(plan);
	if (rc < 0) {
		json_decref(*basis);
		*basis = NULL;
	}
	return rc;
}

/* ---------------------------------------------------------- stale check */

/*
 * The first operation whose string `key` equals `value` (new reference), or
 * NULL; reads the operations again from the start (messages only: on a read
 * error there is simply none).
 */
static json_t *op_with(struct rec_reader *ops, const char *key, const char *value, bool icase)
{
	struct err e = ERR_INIT;
	json_t *op = NULL;

	if (!value || rec_reader_rewind(ops, &e) < 0)
		return NULL;
	while (rec_reader_next(ops, &op, NULL, &e) == 1) {
		const char *v = json_get_str(op, key);

		if (v && (icase ? strcasecmp(v, value) : strcmp(v, value)) == 0)
			return op;
		json_decref(op);
		op = NULL;
	}
	return NULL;
}

/* The person id a basis key concerns ("people/<id>", "<res>?personId=<id>"), or NULL. */
static const char *key_person(const char *key, char *buf, size_t n)
{
	const char *q = strstr(key, "?personId=");

	if (q)
		return snprintf(buf, n, "%s", q + strlen("?personId=")), buf;
	if (strncmp(key, "people/", 7) == 0)
		return snprintf(buf, n, "%s", key + 7), buf;
	return NULL;
}

static int stale(struct rec_reader *ops, const char *key, const char *pid, bool gone, struct err *e)
{
	json_t *op = pid ? op_with(ops, "personId", pid, false) : NULL;
	const char *what = gone ? "no longer exists" : "changed since the plan was made";
	int rc;

	if (op)
		rc = err_set(e, ERR_STALE,
			     "plan is stale: Humaans %s of application %s <%s> (person %s) %s; run "
			     "'plan' again, review it, then apply",
			     key, json_get_str(op, "id"),
			     json_get_str(op, "personalEmail") ? json_get_str(op, "personalEmail")
							       : "",
			     pid, what);
	else if (pid && strncmp(key, "people/", 7) == 0)
		rc = err_set(e, ERR_STALE,
			     "plan is stale: Humaans person %s %s; run 'plan' again, review it, "
			     "then apply",
			     pid, what);
	else
		rc = err_set(
			e, ERR_STALE,
			"plan is stale: Humaans %s %s; run 'plan' again, review it, then apply",
			key, what);
	json_decref(op);
	return rc;
}

/* Whether a ledger entry is of plan `prid`. */
static bool entry_of_plan(const json_t *en, const char *prid)
{
	const char *lp = json_get_str(en, "planRunId");

	return lp && strcmp(lp, prid) == 0;
}

/* `s` with ASCII letters lowered (strcasecmp's notion of case), into a new string. */
static char *email_key(const char *s)
{
	char *k = xstrdup(s), *p;

	for (p = k; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return k;
}

/*
 * The planned creates whose personal email a Humaans person now has: each
 * must be explained by this plan (the person it created for that hire, or a
 * create the journal says was interrupted), else the plan is stale. People
 * and operations are matched through maps of lowered emails, one pass over
 * each: a scan of the operations per email would be quadratic.
 */
static int check_absent_emails(struct applier *ax, const json_t *absent, const json_t *people,
			       struct err *e)
{
	json_t *wanted = json_object(), *person_of = json_object(), *app_of = json_object();
	json_t *op = NULL, *en = NULL;
	const json_t *v;
	size_t i;
	int rc = 0;

	json_array_foreach (absent, i, v) {
		char *k;

		if (!json_is_string(v))
			continue;
		k = email_key(json_string_value(v));
		json_object_set_new(wanted, k, json_true());
		free(k);
	}
	/* The last person with the email, as a scan of people in order finds it. */
	json_array_foreach (people, i, v) {
		const char *pe = json_get_str(v, "personalEmail");
		char *k;

		if (!pe)
			continue;
		k = email_key(pe);
		if (json_object_get(wanted, k))
			json_object_set(person_of, k, (json_t *)v);
		free(k);
	}
	if (json_object_size(person_of) == 0)
		goto out;
	/* The first operation with the email. */
	if ((rc = rec_reader_rewind(ax->ops, e)) < 0)
		goto out;
	while ((rc = rec_reader_next(ax->ops, &op, NULL, e)) == 1) {
		const char *pe = json_get_str(op, "personalEmail"), *app = json_get_str(op, "id");
		char *k = pe ? email_key(pe) : NULL;

		if (k && json_object_get(person_of, k) && !json_object_get(app_of, k))
			json_object_set_new(app_of, k, app ? json_string(app) : json_null());
		free(k);
		json_decref(op);
		op = NULL;
	}
	if (rc < 0)
		goto out;
	json_array_foreach (absent, i, v) {
		const char *email = json_string_value(v), *app;
		const json_t *person;
		char key[512], *k;

		if (!email)
			continue;
		k = email_key(email);
		person = json_object_get(person_of, k);
		app = json_string_value(json_object_get(app_of, k));
		free(k);
		if (!person)
			continue;
		if (app) {
			if ((rc = ledger_get(ax->ledger, app, &en, e)) < 0)
				goto out;
			snprintf(key, sizeof(key), "%s#0", app);
			if (en && entry_of_plan(en, ax->prid) && json_get_str(en, "personId") &&
			    strcmp(json_get_str(en, "personId"), json_get_str(person, "id")) == 0)
				goto ours;
			if (!json_get_str(en, "personId") && json_object_get(ax->pending, key))
				goto ours;
			/* Created and journalled, killed before the ledger heard of it. */
			if (!json_get_str(en, "personId") &&
			    json_is_string(json_object_get(ax->done, key)) &&
			    strcmp(json_string_value(json_object_get(ax->done, key)),
				   json_get_str(person, "id")) == 0)
				goto ours;
		}
		rc = err_set(e, ERR_STALE,
			     "plan is stale: application %s <%s> was planned as a new hire, but "
			     "Humaans person %s now has that personal email; run 'plan' again",
			     app ? app : "?", email, json_get_str(person, "id"));
		goto out;
	ours:
		json_decref(en);
		en = NULL;
	}
out:
	json_decref(op);
	json_decref(en);
	json_decref(app_of);
	json_decref(person_of);
	json_decref(wanted);
	return rc;
}

/*
 * Re-read what the plan relied on and compare. Hires this plan already
 * touched (ledger or journal) are exempt: their records changed because of
 * this very plan.
 */
static int check_basis(struct applier *ax, struct http_client *hc, const json_t *basis,
		       const json_t *touched, struct err *e)
{
	const json_t *keys = json_get_obj(basis, "humaans"), *v;
	json_t *exempt_pid = json_object(), *empty = json_object(), *op = NULL, *en = NULL;
	struct hstate hs;
	const char *k;
	int rc;

	memset(&hs, 0, sizeof(hs));
	if ((rc = rec_reader_rewind(ax->ops, e)) < 0)
		goto out;
	while ((rc = rec_reader_next(ax->ops, &op, NULL, e)) == 1) {
		const char *app = json_get_str(op, "id");

		if (app && (rc = ledger_get(ax->ledger, app, &en, e)) < 0)
			goto out;
		if (app && (json_object_get(touched, app) || entry_of_plan(en, ax->prid))) {
			if (json_get_str(en, "personId"))
				json_object_set_new(exempt_pid, json_get_str(en, "personId"),
						    json_true());
			if (json_get_str(op, "personId"))
				json_object_set_new(exempt_pid, json_get_str(op, "personId"),
						    json_true());
		}
		json_decref(en);
		en = NULL;
		json_decref(op);
		op = NULL;
	}
	if (rc < 0)
		goto out;
	rc = plan_hum_read_basis(hc, keys ? keys : empty, &hs, e);
	if (rc < 0)
		goto out;
	json_object_foreach ((json_t *)(keys ? keys : empty), k, v) {
		char pidbuf[256], sha[65];
		const char *pid = key_person(k, pidbuf, sizeof(pidbuf));

		if (pid && json_object_get(exempt_pid, pid))
			continue;
		rc = hstate_fingerprint(&hs, k, sha, e);
		if (rc == ERR_NOTFOUND) {
			rc = stale(ax->ops, k, pid, true, e);
			goto out;
		}
		if (rc < 0)
			goto out;
		if (!json_is_string(v) || strcmp(json_string_value(v), sha) != 0) {
			rc = stale(ax->ops, k, pid, false, e);
			goto out;
		}
	}
	rc = check_absent_emails(ax, json_get_arr(basis, "absentEmails"), hs.people, e);
out:
	json_decref(op);
	json_decref(en);
	hstate_release(&hs);
	json_decref(exempt_pid);
	json_decref(empty);
	return rc;
}

/* ----------------------------------------------------------------- stage */

static int read_journal(struct applier *ax, json_t *touched, struct err *e)
{
	struct jscan sc;
	int rc;

	memset(&sc, 0, sizeof(sc));
	sc.prid = ax->prid;
	sc.pending = ax->pending;
	sc.done = ax->done;
	sc.touched = touched;
	sc.ledger = ax->ledger;
	rc = journal_each(ax->r->stg, jscan_line, &sc, e);
	free(sc.app);
	return rc;
}

static int commit_load(struct run *r, const char *stage, const char *subject,
		       const struct trailer *tr, size_t ntr, struct err *e)
{
	static const char *const paths[] = { "load/", NULL };
	char oid[41];
	bool committed = false;
	int rc = staging_commit(r->stg, paths, stage, r->id, subject, NULL, tr, ntr, oid,
				&committed, e);

	if (rc == 0 && committed)
		r->committed = true;
	return rc;
}

/* Whether an operation is a hire to write; its id when so (borrowed). */
static const char *op_work(const json_t *op)
{
	const char *a = json_get_str(op, "action");

	if (!a || (strcmp(a, "create") != 0 && strcmp(a, "change") != 0) ||
	    !json_array_size(json_get_arr(op, "steps")))
		return NULL;
	return json_get_str(op, "id");
}

/* Start the hire of operation `op` (stolen) in a free slot. */
static int job_start(struct applier *ax, json_t *op, struct err *e)
{
	struct hire_job *j = xcalloc(1, sizeof(*j));
	const json_t *fids;
	int rc;

	j->ax = ax;
	j->op = op;
	j->app = json_get_str(op, "id");
	j->name = json_get_str(op, "name") ? json_get_str(op, "name") : "";
	j->email = json_get_str(op, "personalEmail");
	j->action = json_get_str(op, "action");
	j->steps = json_get_arr(op, "steps");
	for (j->slot = 0; ax->slots[j->slot]; j->slot++)
		;
	ax->slots[j->slot] = j;
	ax->active++;
	if ((rc = ledger_get(ax->ledger, j->app, &j->en, e)) < 0)
		return rc;
	if (json_get_str(j->en, "personId"))
		j->person_id = xstrdup(json_get_str(j->en, "personId"));
	else if (json_get_str(op, "personId"))
		j->person_id = xstrdup(json_get_str(op, "personId"));
	fids = json_get_arr(j->en, "fileIds");
	if (json_array_size(fids))
		j->file_id =
			xstrdup(json_string_value(json_array_get(fids, json_array_size(fids) - 1)));
	if (entry_of_plan(j->en, ax->prid) && json_is_integer(json_object_get(j->en, "stepsDone")))
		j->next = (size_t)json_integer_value(json_object_get(j->en, "stepsDone"));
	return job_advance(j, e);
}

/*
 * Start the plan's next hires while slots are free. A hire that ends at once
 * (nothing left to do) calls back in here through job_end: that inner call
 * returns at once and this loop fills the slot, so the stack stays shallow.
 */
static int feed(struct applier *ax, struct err *e)
{
	json_t *op = NULL;
	int rc = 0;

	if (ax->feeding)
		return 0;
	ax->feeding = true;
	while (ax->active < ax->window) {
		if ((rc = rec_reader_next(ax->ops, &op, NULL, e)) <= 0)
			break;
		if (!op_work(op)) {
			json_decref(op);
			continue;
		}
		if ((rc = job_start(ax, op, e)) < 0)
			break;
	}
	ax->feeding = false;
	return rc < 0 ? rc : 0;
}

int apply_stage(struct run *r, const struct apply_opts *o, struct err *e)
{
	struct applier ax;
	struct buf text = BUF_INIT;
	json_t *basis = NULL, *rejects = NULL, *touched = json_object(), *op = NULL;
	struct http_client *hc;
	char poid[41];
	size_t i, nwork = 0;
	bool wrote = false;
	int rc, crc;

	memset(&ax, 0, sizeof(ax));
	ax.r = r;
	ax.pending = json_object();
	ax.done = json_object();
	if ((rc = plan_commit(r, o, poid, e)) < 0 ||
	    (rc = plan_open(r->stg, poid, o && o->plan_rev ? o->plan_rev : "the latest plan commit",
			    &text, &basis, &ax.ops, e)) < 0)
		goto out;
	ax.prid = r->plan_run_id;
	if ((rc = plan_read_rejects(r->stg, &rejects, e)) < 0 ||
	    (rc = ledger_open(r->stg, &ax.ledger, e)) < 0)
		goto out;
	/* Lines a killed apply left go into ledger.json first, so a torn last line is never
	 * followed by this run's lines. */
	if (ledger_has_pending(ax.ledger) && (rc = ledger_write(ax.ledger, e)) < 0)
		goto out;
	if ((rc = read_journal(&ax, touched, e)) < 0)
		goto out;
	r->counts.rejected = (long)json_array_size(rejects);
	/* Assigned, not added to: under `run` the plan stage has counted them already. */
	r->counts.conflicts = 0;
	while ((rc = rec_reader_next(ax.ops, &op, NULL, e)) == 1) {
		const char *a = json_get_str(op, "action");

		if (a && strcmp(a, "conflict") == 0)
			r->counts.conflicts++;
		else if (op_work(op))
			nwork++;
		json_decref(op);
		op = NULL;
	}
	if (rc < 0)
		goto out;
	r->counts.planned = (long)nwork;
	log_info("apply: plan %s: %zu hires to write, %ld %s", ax.prid, nwork, r->counts.conflicts,
		 r->counts.conflicts == 1 ? "conflict" : "conflicts");
	if (nwork == 0)
		goto done;

	if ((rc = run_humaans(r, &hc, e)) < 0)
		goto out;
	if ((!o || !o->basis_fresh) && (rc = check_basis(&ax, hc, basis, touched, e)) < 0)
		goto out;
	json_decref(touched);
	touched = NULL;

	ax.njobs = nwork;
	ax.window = (size_t)r->opts.jobs * WINDOW_PER_JOB;
	if (ax.window < WINDOW_MIN)
		ax.window = WINDOW_MIN;
	ax.slots = xcalloc(ax.window, sizeof(*ax.slots));
	ax.hb = humaans_batch_new(hc);
	if ((rc = rec_reader_rewind(ax.ops, e)) == 0)
		rc = feed(&ax, e);
	wrote = true;
	if (rc == 0)
		rc = humaans_batch_run(ax.hb, e);
	log_progress_done();
	if (wrote) {
		struct err le = ERR_INIT;
		int lrc = ledger_write(ax.ledger, &le);

		if (lrc < 0 && rc == 0) {
			rc = lrc;
			*e = le;
			err_prefix(e, "ledger");
		} else if (lrc < 0) {
			log_error("ledger: %s", le.msg);
		}
	}

done:
	r->counts.created = ax.created;
	r->counts.changed = ax.changed;
	r->counts.failed = ax.failed + ax.uncertain;
	if (wrote || nwork == 0) {
		char s_created[24], s_changed[24], s_failed[24], s_conf[24];
		struct trailer tr[5];
		struct err ce = ERR_INIT;
		char *subject;

		snprintf(s_created, sizeof(s_created), "%ld", ax.created);
		snprintf(s_changed, sizeof(s_changed), "%ld", ax.changed);
		snprintf(s_failed, sizeof(s_failed), "%ld", ax.failed + ax.uncertain);
		snprintf(s_conf, sizeof(s_conf), "%ld", r->counts.conflicts);
		tr[0] = (struct trailer){ "Plan-Run-Id", ax.prid };
		tr[1] = (struct trailer){ "Created", s_created };
		tr[2] = (struct trailer){ "Changed", s_changed };
		tr[3] = (struct trailer){ "Failed", s_failed };
		tr[4] = (struct trailer){ "Conflicts", s_conf };
		subject = xasprintf("apply: %ld created, %ld changed, %ld failed (plan %s)",
				    ax.created, ax.changed, ax.failed + ax.uncertain, ax.prid);
		/* The journal of a failed apply is committed too: it is what the next one resumes from. */
		crc = commit_load(r, "apply", subject, tr, 5, &ce);
		free(subject);
		if (crc < 0 && rc == 0) {
			rc = crc;
			*e = ce;
		} else if (crc < 0) {
			log_error("%s", ce.msg);
		}
	}
	if (rc == 0 && ax.uncertain)
		rc = err_set(
			e, ERR_UNCERTAIN,
			"%ld %s may or may not have reached Humaans: run 'apply' again to finish "
			"(each is looked up before it is sent again)",
			ax.uncertain, ax.uncertain == 1 ? "write" : "writes");
	if (rc == 0)
		run_stage_done(r, "apply");
	log_info("apply: %ld created, %ld changed, %ld failed, %ld writes", ax.created, ax.changed,
		 ax.failed + ax.uncertain, ax.writes);
out:
	if (ax.hb)
		humaans_batch_free(ax.hb);
	/* Hires a stopped batch left under way. */
	for (i = 0; i < ax.window; i++)
		if (ax.slots[i])
			job_free(ax.slots[i]);
	free(ax.slots);
	ledger_free(ax.ledger);
	rec_reader_close(ax.ops);
	json_decref(ax.pending);
	json_decref(ax.done);
	json_decref(op);
	json_decref(touched);
	json_decref(rejects);
	json_decref(basis);
	buf_release(&text);
	return rc;
}

/* ------------------------------------------------------- delete-new-hire */

/* One journaled DELETE; 404 counts as already gone. */
static int delete_one(struct run *r, struct http_client *hc, const char *app, const char *op,
		      const char *resource, const char *id, struct err *e)
{
	struct humaans_result res;
	struct jline l;
	char *path = humaans_path_id(resource, id);
	int rc, wrc;

	memset(&l, 0, sizeof(l));
	l.app = app;
	l.step = -1;
	l.op = op;
	l.method = "DELETE";
	l.path = path;
	l.phase = "begin";
	l.status = -1;
	if ((rc = journal_write(r, "", &l, e)) < 0)
		goto out;
	humaans_result_init(&res);
	rc = humaans_call(hc, "DELETE", path, NULL, &res, e);
	l.phase = "end";
	l.status = res.status;
	l.request_id = res.request_id;
	l.ids = ids_of("id", id);
	if (rc == 0 || rc == ERR_NOTFOUND) {
		l.outcome = rc == 0 ? "ok" : "gone";
	} else {
		l.outcome = "failed";
		l.error = e->msg;
		l.body = res.body;
	}
	{
		struct err je = ERR_INIT;

		wrc = journal_write(r, "", &l, &je);
		if (wrc < 0 && rc >= 0) {
			rc = wrc;
			*e = je;
		}
	}
	humaans_result_release(&res);
	if (rc == ERR_NOTFOUND) {
		err_clear(e);
		rc = 0;
	} else if (rc < 0) {
		err_prefix(e, "application %s: delete %s %s", app, resource + 1, id);
	}
out:
	free(path);
	return rc;
}

int apply_delete_new_hire(struct run *r, const char *id, struct err *e)
{
	static const struct {
		const char *list, *resource, *op;
	} subs[] = {
		{ "documentIds", "/documents", "deleteDocument" },
		{ "compensationIds", "/compensations", "deleteCompensation" },
		{ "customValueIds", "/custom-values", "deleteCustomValue" },
	};
	struct ledger *ledger = NULL;
	json_t *person = NULL, *en = NULL, *v;
	struct http_client *hc;
	const char *status;
	char *app = NULL, *pid = NULL, *prid = NULL, *path = NULL, *subject = NULL;
	struct trailer tr[2];
	struct jline l;
	size_t s, i;
	bool gone = false;
	int rc;

	if ((rc = ledger_open(r->stg, &ledger, e)) < 0 || (rc = ledger_get(ledger, id, &en, e)) < 0)
		goto out;
	if (rc == 1)
		app = xstrdup(id);
	else if ((rc = ledger_find_person(ledger, id, &app, e)) < 0 ||
		 (app && (rc = ledger_get(ledger, app, &en, e)) < 0))
		goto out;
	rc = 0;
	if (!app) {
		rc = err_set(e, ERR_INVALID,
			     "refusing to delete %s: it is not in the ledger, so this tool did not "
			     "create it (delete people by hand in Humaans)",
			     id);
		goto out;
	}
	if (!json_get_str(en, "personId")) {
		rc = err_set(e, ERR_INVALID, "application %s has no Humaans person in the ledger",
			     app);
		goto out;
	}
	pid = xstrdup(json_get_str(en, "personId"));
	prid = xstrdup(json_get_str(en, "planRunId") ? json_get_str(en, "planRunId") : "");
	if ((rc = run_humaans(r, &hc, e)) < 0)
		goto out;
	path = humaans_path_id("/people", pid);
	rc = humaans_get(hc, path, &person, e);
	if (rc == ERR_NOTFOUND) {
		err_clear(e);
		rc = 0;
		gone = true;
		log_warn("application %s: Humaans person %s no longer exists: removing it from the "
			 "ledger",
			 app, pid);
	} else if (rc < 0) {
		goto out;
	} else {
		status = json_get_str(person, "status");
		if (!status || strcmp(status, "newHire") != 0) {
			rc = err_set(
				e, ERR_INVALID,
				"refusing to delete Humaans person %s (application %s): status is "
				"%s, not newHire",
				pid, app, status ? status : "unknown");
			goto out;
		}
	}
	if (!gone) {
		for (s = 0; s < sizeof(subs) / sizeof(subs[0]); s++)
			json_array_foreach (json_get_arr(en, subs[s].list), i, v) {
				if (!json_is_string(v))
					continue;
				if ((rc = delete_one(r, hc, app, subs[s].op, subs[s].resource,
						     json_string_value(v), e)) < 0)
					goto fail;
			}
		if ((rc = delete_one(r, hc, app, "deletePerson", "/people", pid, e)) < 0)
			goto fail;
	}
	/* Tell later applies of the same plan that the hire's earlier steps are gone. */
	memset(&l, 0, sizeof(l));
	l.app = app;
	l.step = -1;
	l.phase = "forget";
	l.status = -1;
	l.ids = ids_of("personId", pid);
	if ((rc = journal_write(r, prid, &l, e)) < 0)
		goto fail;
	ledger_del(ledger, app);
	if ((rc = ledger_write(ledger, e)) < 0)
		goto fail;
	r->counts.deleted = 1;
	tr[0] = (struct trailer){ "Application", app };
	tr[1] = (struct trailer){ "Person-Id", pid };
	subject = xasprintf("delete: new hire %s (application %s)", pid, app);
	rc = commit_load(r, "delete", subject, tr, 2, e);
	if (rc == 0) {
		run_stage_done(r, "delete");
		printf("deleted new hire %s (application %s)\n", pid, app);
	}
	goto out;
fail : {
	/* Keep the journal of what was deleted before the failure. */
	struct err ce = ERR_INIT;

	subject = xasprintf("delete: new hire %s (application %s) failed", pid, app);
	tr[0] = (struct trailer){ "Application", app };
	tr[1] = (struct trailer){ "Person-Id", pid };
	if (commit_load(r, "delete", subject, tr, 2, &ce) < 0)
		log_error("%s", ce.msg);
}
out:
	free(subject);
	free(path);
	free(app);
	free(pid);
	free(prid);
	json_decref(person);
	json_decref(en);
	ledger_free(ledger);
	return rc;
}

/* ------------------------------------------------------------ run's skip */

static int find_plan_commit(void *ctx, const char *commit_hex, const char *stage,
			    const char *message)
{
	(void)message;
	if (stage && strcmp(stage, "plan") == 0)
		snprintf(ctx, 41, "%s", commit_hex);
	return 0;
}

int apply_plan_settled(struct run *r, bool *settled, struct err *e)
{
	char poid[41], aoid[41], applied[48], failed[32], tsha[65], psha[65];
	struct buf b = BUF_INIT;
	json_t *basis = NULL;
	int rc;

	*settled = false;
	rc = staging_find_stage(r->stg, "apply", aoid, NULL, 0, e);
	if (rc == ERR_NOTFOUND) {
		err_clear(e);
		return 0;
	}
	if (rc < 0)
		return rc;
	if ((rc = commit_trailer(r->stg, aoid, "Plan-Run-Id", applied, sizeof(applied), e)) < 0 ||
	    (rc = commit_trailer(r->stg, aoid, "Failed", failed, sizeof(failed), e)) < 0)
		return rc;
	if (!applied[0] || strcmp(failed, "0") != 0)
		return 0;
	/* The plan that apply carried out: the plan commit of run `applied`. */
	poid[0] = '\0';
	if ((rc = staging_run_commits(r->stg, applied, find_plan_commit, poid, e)) < 0 &&
	    rc != ERR_NOTFOUND)
		return rc;
	err_clear(e);
	if (!poid[0])
		return 0;
	/* Only the basis: the operations are not read. */
	if ((rc = plan_open(r->stg, poid, "the applied plan's commit", &b, &basis, NULL, e)) < 0)
		goto out;
	rc = staging_sha256(r->stg, "transform/new_hires.json", tsha, NULL, e);
	if (rc == 0)
		rc = staging_sha256(r->stg, "pipeline.json", psha, NULL, e);
	if (rc == ERR_NOTFOUND) {
		err_clear(e);
		rc = 0;
		goto out;
	}
	if (rc < 0)
		goto out;
	*settled = json_get_str(basis, "transformSha256") &&
		   strcmp(json_get_str(basis, "transformSha256"), tsha) == 0 &&
		   json_get_str(basis, "pipelineSha256") &&
		   strcmp(json_get_str(basis, "pipelineSha256"), psha) == 0;
out:
	buf_release(&b);
	json_decref(basis);
	return rc;
}
