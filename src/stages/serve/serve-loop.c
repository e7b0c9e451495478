/*
 * serve-loop: the batch loop (one worker thread) and serve_main. Deliveries
 * wait in the inbox; when none has come for SERVE_WINDOW_MS (or the first
 * of the batch has waited SERVE_WINDOW_MAX_MS) they become one run.
 */
#include "config.h"

#include "stages/serve/serve-int.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apis/ashby.h"
#include "base/buf.h"
#include "base/jsonutil.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "stages/apply.h"
#include "stages/extract.h"
#include "stages/plan.h"
#include "stages/transform.h"
#include "store/inbox.h"
#include "store/snapshot.h"
#include "store/staging.h"

#define DELIVERIES "webhook/deliveries.json"
#define LOCK_WAIT_MS 2000 /* per try: the loop tries again, and stays stoppable */
#define RETRY_BASE_S 5.0
#define TICK_MS 200

static void note_outcome(struct serve *s, const char *run_id, const char *error)
{
	pthread_mutex_lock(&s->mu);
	if (run_id)
		snprintf(s->last_run_id, sizeof(s->last_run_id), "%s", run_id);
	snprintf(s->last_error, sizeof(s->last_error), "%s", error ? error : "");
	pthread_mutex_unlock(&s->mu);
}

static bool is_actionable(const json_t *rec)
{
	const char *k = json_get_str(rec, "kind");

	return k && (strcmp(k, "applications") == 0 || strcmp(k, "merge") == 0);
}

/* Add the strings of array `list` as keys of `set`. */
static void add_keys(json_t *set, const json_t *list)
{
	size_t i;
	json_t *v;

	json_array_foreach (list, i, v)
		if (json_is_string(v))
			json_object_set_new(set, json_string_value(v), json_true());
}

/* candidateMerge: the applications of the merged candidate, by candidate.info. */
static int merged_applications(struct run *r, const json_t *cands, json_t *apps, struct err *e)
{
	struct http_client *c;
	const char *id;
	json_t *v, *rec = NULL, *p;
	int rc = 0;

	if (json_object_size(cands) == 0)
		return 0;
	rc = run_ashby(r, &c, e);
	json_object_foreach ((json_t *)cands, id, v) {
		char what[200];

		if (rc < 0)
			break;
		snprintf(what, sizeof(what), "merged candidate '%s'", id);
		p = json_pack("{s:s}", "id", id);
		rc = ashby_call(c, "candidate.info", p, what, &rec, e);
		json_decref(p);
		if (rc == ERR_NOTFOUND || rc == ERR_INVALID) {
			log_warn("%s: left to the nightly run", e->msg);
			err_clear(e);
			rc = 0;
		} else if (rc == 0) {
			add_keys(apps, json_object_get(rec, "applicationIds"));
		}
		json_decref(rec);
		rec = NULL;
	}
	return rc;
}

/* The first commit of the run (stage `webhook`): the deliveries it uses. */
static int commit_deliveries(struct run *r, const json_t *recs, struct err *e)
{
	static const char *const paths[] = { "webhook/", NULL };
	json_t *list = json_array(), *rec;
	struct trailer tr[1];
	char subject[96], count[24], oid[41];
	bool committed = false;
	size_t i;
	int rc;

	json_array_foreach (recs, i, rec) {
		json_array_append_new(list,
				      json_pack("{s:O,s:O,s:O,s:O,s:O}", "webhookActionId",
						json_object_get(rec, "webhookActionId"), "action",
						json_object_get(rec, "action"), "applications",
						json_object_get(rec, "applications"), "candidates",
						json_object_get(rec, "candidates"), "received",
						json_object_get(rec, "received")));
	}
	snapshot_sort_by_key(list, "webhookActionId");
	rc = snapshot_write_json(r->stg, DELIVERIES, list, e);
	snprintf(subject, sizeof(subject), "webhook: %zu deliver%s", json_array_size(list),
		 json_array_size(list) == 1 ? "y" : "ies");
	snprintf(count, sizeof(count), "%zu", json_array_size(list));
	tr[0].key = "Deliveries";
	tr[0].value = count;
	if (rc == 0)
		rc = staging_commit(r->stg, paths, "webhook", r->id, subject,
				    "The webhook deliveries this run read the applications of.", tr,
				    1, oid, &committed, e);
	if (rc == 0 && committed)
		r->committed = true;
	if (rc == 0)
		run_stage_done(r, "webhook");
	json_decref(list);
	return rc;
}

/* extract (targeted), transform, plan, apply: as `run`, for just `apps`. */
static int run_stages(struct serve *s, struct run *r, const json_t *apps, struct err *e)
{
	struct extract_opts xo = { false, NULL, 0 };
	struct plan_opts po = { 0, false };
	struct apply_opts ao = { NULL, true };
	const char **ids = xcalloc(json_object_size(apps) + 1, sizeof(*ids));
	const char *k;
	json_t *v;
	bool settled = false;
	size_t n = 0;
	int rc;

	json_object_foreach ((json_t *)apps, k, v)
		ids[n++] = k;
	xo.only = ids;
	xo.n_only = n;
	rc = extract_stage(r, &xo, e);
	if (rc == 0)
		rc = transform_stage(r, e);
	if (rc == 0)
		rc = apply_plan_settled(r, &settled, e);
	if (rc == 0 && settled) {
		log_info("plan: the transform is unchanged since its plan was applied in full: "
			 "nothing to plan, Humaans not read");
		run_stage_done(r, s->o->apply ? "apply" : "plan");
	} else if (rc == 0) {
		rc = plan_stage(r, &po, NULL, e);
		if (rc == 0 && s->o->apply)
			rc = apply_stage(r, &ao, e);
	}
	free(ids);
	return rc;
}

/* The tag lines naming the trigger and the deliveries. */
static void tag_note(struct buf *note, const json_t *recs)
{
	size_t i, j;
	json_t *rec, *v;

	buf_addf(note, "Trigger: webhook\nDeliveries: %zu\n", json_array_size(recs));
	json_array_foreach (recs, i, rec) {
		buf_addf(note, "Delivery: %s %s", json_get_str(rec, "webhookActionId"),
			 json_get_str(rec, "action"));
		json_array_foreach (json_object_get(rec, "applications"), j, v)
			buf_addf(note, " %s", json_string_value(v));
		json_array_foreach (json_object_get(rec, "candidates"), j, v)
			buf_addf(note, " candidate:%s", json_string_value(v));
		buf_addf(note, "\n");
	}
}

/* One run for the deliveries `recs`. ERR_LOCKED: the lock is held elsewhere, nothing done. */
static int run_batch(struct serve *s, const json_t *recs, struct err *e)
{
	struct run_opts ro = s->o->ro;
	struct buf note = BUF_INIT;
	json_t *apps = json_object(), *cands = json_object(), *rec;
	struct run r;
	size_t i;
	int rc, status;

	rc = run_begin_wait(&r, s->cfg, "serve", &ro, LOCK_WAIT_MS, e);
	if (rc < 0)
		goto out;
	tag_note(&note, recs);
	r.tag_note = note.data;
	json_array_foreach (recs, i, rec) {
		add_keys(apps, json_object_get(rec, "applications"));
		add_keys(cands, json_object_get(rec, "candidates"));
	}
	log_info("serve %s: %zu deliver%s, %zu application%s to read", r.id, json_array_size(recs),
		 json_array_size(recs) == 1 ? "y" : "ies", json_object_size(apps),
		 json_object_size(apps) == 1 ? "" : "s");
	rc = merged_applications(&r, cands, apps, e);
	if (rc == 0)
		rc = commit_deliveries(&r, recs, e);
	if (rc == 0 && json_object_size(apps) > 0)
		rc = run_stages(s, &r, apps, e);
	else if (rc == 0)
		log_info("serve %s: no application to read", r.id);
	status = run_end(&r, rc, e);
	note_outcome(s, r.id, rc < 0 ? e->msg : NULL);
	if (rc == 0 && status == EXIT_FAILURE_)
		rc = err_set(e, ERR_FAIL, "run %s could not be recorded", r.id);
out:
	buf_release(&note);
	json_decref(apps);
	json_decref(cands);
	return rc;
}

/* Move deliveries to inbox/done (a run used them, or they need none). */
static void mark_done(struct serve *s, const json_t *recs)
{
	struct err e = ERR_INIT;
	size_t i;
	json_t *rec;

	json_array_foreach (recs, i, rec) {
		if (inbox_done(s->inbox, json_get_str(rec, "key"), &e) < 0) {
			log_error("inbox: %s", e.msg);
			err_clear(&e);
		}
	}
}

/* The pending deliveries, split: those a run needs (returned) and the others (marked done). */
static json_t *take_batch(struct serve *s)
{
	struct err e = ERR_INIT;
	json_t *all = NULL, *batch = json_array(), *idle = json_array(), *rec;
	size_t i;

	if (inbox_pending(s->inbox, &all, &e) < 0) {
		log_error("inbox: %s", e.msg);
		note_outcome(s, NULL, e.msg);
	}
	json_array_foreach (all, i, rec)
		json_array_append(is_actionable(rec) ? batch : idle, rec);
	mark_done(s, idle);
	json_decref(idle);
	json_decref(all);
	return batch;
}

static double now_s(void)
{
	return run_now();
}

/* The state of the loop between ticks. */
struct loop {
	unsigned long arrivals; /* s->arrivals last seen */
	bool pending;
	double first, last; /* when the batch's first and latest deliveries came */
	double retry_at;
	int failures;
	bool said_locked;
};

/* After a failed run: try again later, or give up on these deliveries. */
static void after_failure(struct serve *s, struct loop *l, const json_t *batch, struct err *e)
{
	double pause;

	l->failures++;
	if (l->failures >= SERVE_ATTEMPTS) {
		log_error("serve: %zu deliveries failed %d runs: left to the nightly run (%s)",
			  json_array_size(batch), l->failures, e->msg);
		mark_done(s, batch);
		l->failures = 0;
		return;
	}
	pause = RETRY_BASE_S * (double)(1 << (l->failures - 1));
	log_warn("serve: the run failed: its %zu deliveries stay pending; next try in %.0f s",
		 json_array_size(batch), pause);
	l->retry_at = now_s() + pause;
	l->pending = true;
}

/* Whether it is time for a batch. */
static bool due(const struct loop *l, double now)
{
	if (!l->pending || now < l->retry_at)
		return false;
	return now - l->last >= SERVE_WINDOW_MS / 1000.0 ||
	       now - l->first >= SERVE_WINDOW_MAX_MS / 1000.0;
}

static void one_batch(struct serve *s, struct loop *l)
{
	struct err e = ERR_INIT;
	json_t *batch = take_batch(s);
	int rc;

	l->pending = false;
	if (json_array_size(batch) == 0)
		goto out;
	rc = run_batch(s, batch, &e);
	if (rc == ERR_LOCKED) {
		if (!l->said_locked)
			log_info("serve: the staging repo is locked by another run: %zu deliveries "
				 "wait for it",
				 json_array_size(batch));
		l->said_locked = true;
		l->pending = true;
		l->retry_at = now_s() + 1.0;
	} else if (rc < 0) {
		l->said_locked = false;
		after_failure(s, l, batch, &e);
	} else {
		l->said_locked = false;
		l->failures = 0;
		mark_done(s, batch);
	}
out:
	json_decref(batch);
}

void *serve_loop(void *arg)
{
	struct serve *s = arg;
	struct loop l;
	struct timespec until;

	memset(&l, 0, sizeof(l));
	/* Deliveries accepted before a restart (or a kill -9) come first. */
	l.pending = inbox_count(s->inbox) > 0;
	l.first = l.last = now_s() - SERVE_WINDOW_MAX_MS / 1000.0;
	for (;;) {
		double now;

		pthread_mutex_lock(&s->mu);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += TICK_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		if (!s->stopping && s->arrivals == l.arrivals)
			pthread_cond_timedwait(&s->cv, &s->mu, &until);
		now = now_s();
		if (s->arrivals != l.arrivals) {
			if (!l.pending)
				l.first = now;
			l.last = now;
			l.pending = true;
			l.arrivals = s->arrivals;
		}
		if (s->stopping) {
			pthread_mutex_unlock(&s->mu);
			break;
		}
		pthread_mutex_unlock(&s->mu);
		if (due(&l, now))
			one_batch(s, &l);
	}
	pthread_mutex_lock(&s->mu);
	s->worker_done = true;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL); /* a signal ends it early: the caller looks at the flag */
}

/* Wait for the worker up to SERVE_STOP_GRACE_MS: true when it finished. */
static bool worker_finished(struct serve *s)
{
	double end = now_s() + SERVE_STOP_GRACE_MS / 1000.0;
	bool done;

	pthread_mutex_lock(&s->mu);
	s->stopping = true;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	for (;;) {
		pthread_mutex_lock(&s->mu);
		done = s->worker_done;
		pthread_mutex_unlock(&s->mu);
		if (done || now_s() >= end)
			return done;
		sleep_ms(50);
	}
}

int serve_main(const struct config *cfg, const struct serve_opts *o, bool *abandoned, struct err *e)
{
	struct serve *s = xcalloc(1, sizeof(*s));
	struct staging *stg = NULL;
	pthread_t worker;
	size_t n;
	int rc;

	*abandoned = false;
	s->cfg = cfg;
	s->o = o;
	s->secret_len = strlen(o->secret);
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	/* A staging repo must be there (the lock is taken per run, not here). */
	rc = staging_open_readonly(&stg, cfg->staging_dir, e);
	staging_close(stg);
	if (rc == 0)
		rc = inbox_open(cfg->staging_dir, &s->inbox, e);
	if (rc < 0)
		goto out;
	n = inbox_count(s->inbox);
	if (n > 0)
		log_info("serve: %zu deliver%s pending from before: processed first", n,
			 n == 1 ? "y" : "ies");
	rc = serve_http_start(s, e);
	if (rc < 0)
		goto out;
	if (pthread_create(&worker, NULL, serve_loop, s) != 0) {
		rc = err_set(e, ERR_FAIL, "serve: cannot start the batch thread: %s",
			     strerror(errno));
		serve_http_stop(s);
		goto out;
	}
	while (!*o->stop)
		sleep_ms(100);
	log_info("serve: stopping: no more deliveries accepted");
	serve_http_stop(s);
	if (!worker_finished(s)) {
		log_warn("serve: the run in progress is abandoned: its deliveries stay pending "
			 "and the journal makes it resumable (run 'ashby2humaans run' or start "
			 "serve again)");
		*abandoned = true;
		return 0; /* `s` stays: the worker still uses it until the process ends */
	}
	pthread_join(worker, NULL);
	log_info("serve: stopped");
out:
	inbox_close(s->inbox);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s);
	return rc;
}
