#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "apis/ashby.h"
#include "apis/http.h"
#include "base/buf.h"
#include "base/hash.h"
#include "base/jsonutil.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "stages/extract.h"
#include "stages/extract/extract-int.h"
#include "stages/extract/extract-owed.h"
#include "stages/run.h"
#include "store/records.h"
#include "store/snapshot.h"
#include "store/staging.h"

static int start_hire(struct xctx *x, const char *app_id, struct err *e);

/* Start the reads of waiting hires while fewer than HIRES_IN_FLIGHT are under way. */
static int feed_hires(struct xctx *x, struct err *e)
{
	int rc = 0;

	if (x->feeding)
		return 0; /* the loop below goes on */
	x->feeding = true;
	while (rc == 0 && x->next_hire < x->nhires && x->active_hires < HIRES_IN_FLIGHT)
		rc = start_hire(x, x->ids[x->next_hire++], e);
	x->feeding = false;
	return rc;
}

void xt_hire_release(struct hire *h)
{
	free(h->cand_id);
	free(h->name);
	free(h->cand_key);
	json_decref(h->offer_params);
	ashby_cursors_release(&h->offer_cursors);
	free(h->letter.handle);
	free(h->letter.name);
	free(h->letter.path);
	free(h->aside);
	memset(h, 0, sizeof(*h));
}

/*
 * Keep what came of a hire's reads, for xt_write_extract: {"aside": why,
 * "candidate": spool key, "letter": its state.json entry, "written": true,
 * "held": offset in x->held}, each member only when it applies.
 */
int xt_hire_done(struct hire *h, struct err *e)
{
	struct letter *l = &h->letter;
	json_t *rec = json_object();
	int rc;

	if (h->aside)
		json_object_set_new(rec, "aside", json_string(h->aside));
	if (h->cand_key)
		json_object_set_new(rec, "candidate", json_string(h->cand_key));
	if (h->has_letter && (l->downloaded || l->sha[0]))
		json_object_set_new(rec, "letter",
				    json_pack("{s:s,s:s,s:s,s:s,s:I}", "handle", l->handle, "name",
					      l->name, "path", l->path, "sha256", l->sha, "size",
					      (json_int_t)l->size));
	if (l->written)
		json_object_set_new(rec, "written", json_true());
	if (l->held)
		json_object_set_new(rec, "held", json_integer(l->held_at));
	rc = rec_spool_put(h->x->sp_done, h->app_id, rec, e);
	json_decref(rec);
	return rc;
}

/*
 * A request of `h` is done (`rc` is the callback's outcome so far): when it
 * was the last, what came of the hire is kept and the next hire starts.
 * Returns `rc`, or the failure to keep or to start.
 */
int xt_hire_finished(struct hire *h, int rc, struct err *e)
{
	struct xctx *x = h->x;
	char reqs[96];

	if (--h->pending > 0)
		return rc;
	x->hires_done++;
	x->active_hires--;
	http_client_progress(x->c, reqs, sizeof(reqs));
	log_progress("extract: %zu/%zu hires, %s", x->hires_done, x->nhires, reqs);
	if (rc == 0)
		rc = xt_hire_done(h, e);
	xt_hire_release(h);
	if (rc == 0)
		rc = feed_hires(x, e);
	return rc;
}

/*
 * A per-record failure sets the hire aside (the run goes on); anything else
 * (network, permission, key) stops the batch and fails the run.
 */
int xt_hire_failed(struct hire *h, int rc, struct err *e)
{
	if (rc == ERR_NOTFOUND || rc == ERR_INVALID) {
		if (!h->aside)
			h->aside = xstrdup(e->msg);
		err_clear(e);
		return 0;
	}
	return rc;
}

void xt_queue_call(struct xctx *x, const char *endpoint, const json_t *params, http_done_fn done,
		   void *ctx)
{
	struct ashby_req req;

	ashby_req_init(&req, endpoint, params);
	http_batch_add(x->batch, &req.http, done, ctx);
	ashby_req_release(&req);
}

static int on_candidate(void *ctx, int rc, struct http_response *resp, struct err *e)
{
	struct hire *h = ctx;
	json_t *env = NULL, *c;
	char what[200];

	snprintf(what, sizeof(what), "application '%s'", h->app_id);
	rc = ashby_decode("candidate.info", what, rc, resp, &env, e);
	if (rc < 0) {
		rc = xt_hire_failed(h, rc, e);
		goto out;
	}
	c = json_object_get(env, "results");
	if (!json_is_object(c) || !json_get_str(c, "id")) {
		rc = xt_hire_failed(h,
				    err_set(e, ERR_INVALID,
					    "candidate.info for %s: not a candidate record", what),
				    e);
		goto out;
	}
	rc = rec_spool_put(h->x->sp_cands, json_get_str(c, "id"), c, e);
	if (rc == 0)
		h->cand_key = xstrdup(json_get_str(c, "id"));
out:
	json_decref(env);
	return xt_hire_finished(h, rc, e);
}

static int on_job(void *ctx, int rc, struct http_response *resp, struct err *e)
{
	struct jobreq *j = ctx;
	json_t *env = NULL, *job;
	char what[300];

	snprintf(what, sizeof(what), "job '%s' of application '%s'", j->id, j->for_app);
	rc = ashby_decode("job.info", what, rc, resp, &env, e);
	if (rc == ERR_NOTFOUND || rc == ERR_INVALID) {
		/* The hires on this job are set aside when the output is assembled. */
		log_warn("%s", e->msg);
		err_clear(e);
		rc = 0;
		goto out;
	}
	if (rc < 0)
		goto out;
	job = json_object_get(env, "results");
	if (!json_is_object(job) || !json_get_str(job, "id")) {
		log_warn("job.info for %s: not a job record", what);
		goto out;
	}
	rc = rec_spool_put(j->x->sp_jobs, json_get_str(job, "id"), job, e);
	if (rc == 0)
		j->key = xstrdup(json_get_str(job, "id"));
out:
	json_decref(env);
	return rc;
}

static int on_hire_offers(void *ctx, int rc, struct http_response *resp, struct err *e)
{
	struct hire *h = ctx;
	json_t *env = NULL, *res;
	const char *next;
	char what[200];

	snprintf(what, sizeof(what), "application '%s'", h->app_id);
	rc = ashby_decode("offer.list", what, rc, resp, &env, e);
	if (rc < 0) {
		rc = xt_hire_failed(h, rc, e);
		goto out;
	}
	res = json_object_get(env, "results");
	if (!json_is_array(res)) {
		rc = err_set(e, ERR_INVALID, "ashby offer.list for %s: 'results' is not an array",
			     what);
		goto out;
	}
	rc = xt_on_offer_page(h->x, res, e);
	if (rc < 0)
		goto out;
	next = json_get_str(env, "nextCursor");
	if (json_is_true(json_object_get(env, "moreDataAvailable"))) {
		/* No cursor, a repeated one or too many pages fails the run (as for the lists). */
		if (!next || !*next)
			rc = err_set(e, ERR_INVALID,
				     "ashby offer.list for %s: more data but no 'nextCursor'",
				     what);
		else
			rc = ashby_cursor_next(&h->offer_cursors, "offer.list", what, next, e);
		if (rc < 0)
			goto out;
		json_object_set_new(h->offer_params, "cursor", json_string(next));
		h->pending++;
		xt_queue_call(h->x, "offer.list", h->offer_params, on_hire_offers, h);
	} else {
		rc = xt_queue_letter(h, e);
	}
out:
	json_decref(env);
	return xt_hire_finished(h, rc, e);
}

/* Take a free slot for hire `app_id` and queue its first reads. */
static int start_hire(struct xctx *x, const char *app_id, struct err *e)
{
	struct hire *h = NULL;
	json_t *app = NULL, *p;
	size_t i;
	int rc;

	for (i = 0; i < HIRES_IN_FLIGHT && !h; i++)
		if (!x->slots[i].busy)
			h = &x->slots[i];
	if (!h)
		return err_set(e, ERR_FAIL, "extract: no free slot for application '%s'", app_id);
	rc = xt_get_app(x, app_id, &app, e);
	if (rc == 0)
		rc = err_set(e, ERR_FAIL, "extract: application '%s' went missing", app_id);
	if (rc < 0)
		return rc;
	h->busy = true;
	h->x = x;
	h->app_id = app_id;
	h->cand_id = xstrdup(json_get_str(json_get_obj(app, "candidate"), "id"));
	h->name = xstrdup(xt_app_name(app));
	h->need_offers = json_object_get(x->fresh, app_id) != NULL;
	json_decref(app);
	x->active_hires++;
	h->pending = 1; /* held until the hire's first steps are queued */
	h->pending++;
	p = json_pack("{s:s}", "id", h->cand_id);
	xt_queue_call(x, "candidate.info", p, on_candidate, h);
	json_decref(p);
	rc = 0;
	if (h->need_offers) {
		/* Newly hired since the last pass: its older offers are not in the delta. */
		h->offer_params = json_pack("{s:s,s:i}", "applicationId", h->app_id, "limit",
					    ASHBY_PAGE_LIMIT);
		h->pending++;
		xt_queue_call(x, "offer.list", h->offer_params, on_hire_offers, h);
	} else {
		rc = xt_queue_letter(h, e);
	}
	return xt_hire_finished(h, rc, e);
}

/* Whether a job staged by the last extract still matches the application's summary of it. */
static bool job_unchanged(const json_t *staged, const json_t *summary)
{
	static const char *const keys[] = { "title", "locationId", "departmentId" };
	size_t i;

	if (!staged)
		return false;
	for (i = 0; i < 3; i++) {
		json_t *a = json_object_get(staged, keys[i]),
		       *b = json_object_get(summary, keys[i]);

		if (b && !json_equal(a, b))
			return false;
	}
	return true;
}

static int plan_job(struct xctx *x, const char *app_id, struct err *e)
{
	json_t *app = NULL, *staged = NULL;
	const json_t *summary;
	const char *id;
	int rc = xt_get_app(x, app_id, &app, e);

	if (rc <= 0)
		return rc;
	summary = json_get_obj(app, "job");
	id = json_get_str(summary, "id");
	rc = 0;
	if (json_object_get(x->job_index, id))
		goto out;
	if (!x->full && x->prev_jobs.r) {
		rc = rec_reader_find(x->prev_jobs.r, x->prev_jobs.idx, id, &staged, e);
		if (rc < 0)
			goto out;
		rc = 0;
	}
	if (!x->full && staged &&
	    (!json_object_get(x->refresh, app_id) || job_unchanged(staged, summary))) {
		json_object_set_new(x->job_index, id, json_integer(-1));
		goto out;
	}
	x->jobs = xrealloc(x->jobs, (x->njobs + 1) * sizeof(*x->jobs));
	memset(&x->jobs[x->njobs], 0, sizeof(*x->jobs));
	x->jobs[x->njobs].x = x;
	x->jobs[x->njobs].id = xstrdup(id);
	x->jobs[x->njobs].for_app = xstrdup(app_id);
	json_object_set_new(x->job_index, id, json_integer((json_int_t)x->njobs));
	x->njobs++;
out:
	json_decref(staged);
	json_decref(app);
	return rc;
}

/* The staged offers still in force, by application (this run's are indexed as they come). */
static int index_staged_offers(struct xctx *x, struct err *e)
{
	json_t *o = NULL;
	long off;
	int rc;

	if (!x->prev_offers.r)
		return 0;
	rc = rec_reader_rewind(x->prev_offers.r, e);
	while (rc == 0 && (rc = rec_reader_next(x->prev_offers.r, &o, &off, e)) == 1) {
		const char *id = json_get_str(o, "id"), *app = json_get_str(o, "applicationId");
		json_t *where = id ? json_object_get(x->offers, id) : NULL;

		rc = 0;
		if (app && json_is_integer(where) && json_integer_value(where) == off)
			rc = xt_index_offer(x, app, id, e);
		json_decref(o);
	}
	return rc;
}

int xt_read_hires(struct xctx *x, struct err *e)
{
	json_t *app = NULL, *where;
	const char *k, *cid;
	size_t i;
	int rc = 0;

	/* A staged hire whose staged records are incomplete is read again. */
	if (!x->full) {
		json_object_foreach (x->apps, k, where) {
			if (json_object_get(x->refresh, k))
				continue;
			rc = xt_get_app(x, k, &app, e);
			if (rc < 0)
				goto out;
			cid = json_get_str(json_get_obj(app, "candidate"), "id");
			if (!json_object_get(x->prev_cands.idx, cid) &&
			    !json_object_get(x->cand_list, cid))
				json_object_set_new(x->refresh, k, json_true());
			json_decref(app);
			app = NULL;
		}
	}
	/*
	 * Sorted, so the requests go out in a stable order. The keys stay valid:
	 * `refresh` only gains keys from here on.
	 */
	x->ids = xt_keys_sorted(x->refresh, &x->nhires);
	if (x->nhires > 0 && !x->full) {
		rc = index_staged_offers(x, e);
		if (rc < 0)
			goto out;
	}

	/* Hires read this run first: their summary of the job is the current one. */
	json_object_foreach (x->apps, k, where) {
		if (json_object_get(x->refresh, k) && (rc = plan_job(x, k, e)) < 0)
			goto out;
	}
	json_object_foreach (x->apps, k, where) {
		if (!json_object_get(x->refresh, k) && (rc = plan_job(x, k, e)) < 0)
			goto out;
	}

	x->batch = http_batch_new(x->c);
	for (i = 0; i < x->njobs; i++) {
		json_t *p = json_pack("{s:s}", "id", x->jobs[i].id);

		xt_queue_call(x, "job.info", p, on_job, &x->jobs[i]);
		json_decref(p);
	}
	rc = feed_hires(x, e);
	if (rc == 0)
		rc = http_batch_run(x->batch, e);
	if (rc == 0 && x->hires_done != x->nhires)
		rc = err_set(e, ERR_FAIL, "extract: %zu of %zu hires were read", x->hires_done,
			     x->nhires);
	log_progress_done();
	http_batch_free(x->batch);
	x->batch = NULL;
out:
	json_decref(app);
	return rc;
}
