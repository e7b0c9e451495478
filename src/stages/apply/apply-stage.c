/* apply: the stage (apply.h): the plan, the ledger and the journal opened, a window of hires run. */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apis/humaans.h"
#include "base/buf.h"
#include "base/jsonutil.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "stages/apply/apply-int.h"
#include "stages/run.h"
#include "store/journal.h"
#include "store/ledger.h"
#include "store/records.h"
#include "store/rejects.h"
#include "store/staging.h"

/*
 * Hires under way at once: a few per connection (--jobs), so that a hire
 * waiting for a retry or between two steps never leaves a connection idle.
 * The operations are read from plan.json as hires finish, so memory does not
 * grow with the number of hires.
 */
#define WINDOW_PER_JOB 4
#define WINDOW_MIN 16

int apply_commit_load(struct run *r, const char *stage, const char *subject,
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

/*
 * Open the plan (*basis, ax->ops; `text` as for apply_plan_open) and the
 * ledger, count the rejects, and read the journal into ax->pending, ax->done
 * and `touched`.
 */
static int apply_open(struct applier *ax, const struct apply_opts *o, struct buf *text,
		      json_t **basis, json_t *touched, struct err *e)
{
	struct run *r = ax->r;
	json_t *rejects = NULL;
	char poid[41];
	int rc;

	if ((rc = apply_plan_commit(r, o, poid, e)) < 0 ||
	    (rc = apply_plan_open(r->stg, poid,
				  o && o->plan_rev ? o->plan_rev : "the latest plan commit", text,
				  basis, &ax->ops, e)) < 0)
		return rc;
	ax->prid = r->plan_run_id;
	if ((rc = rejects_read(r->stg, &rejects, e)) < 0 ||
	    (rc = ledger_open(r->stg, &ax->ledger, e)) < 0)
		goto out;
	/* Lines a killed apply left go into ledger.json first, so a torn last line is never
	 * followed by this run's lines. */
	if (ledger_has_pending(ax->ledger) && (rc = ledger_write(ax->ledger, e)) < 0)
		goto out;
	if ((rc = journal_scan(r->stg, ax->prid, ax->ledger, ax->pending, ax->done, touched, e)) <
	    0)
		goto out;
	r->counts.rejected = (long)json_array_size(rejects);
out:
	json_decref(rejects);
	return rc;
}

/*
 * The plan's conflicts and created hires that left Hired unacknowledged (into
 * r->counts.conflicts and left_hired: both need attention) and hires to write (*nwork).
 */
static int count_work(struct applier *ax, size_t *nwork, struct err *e)
{
	struct run *r = ax->r;
	json_t *op = NULL;
	int rc;

	*nwork = 0;
	/* Assigned, not added to: under `run` the plan stage has counted them already. */
	r->counts.conflicts = 0;
	r->counts.left_hired = 0;
	while ((rc = rec_reader_next(ax->ops, &op, NULL, e)) == 1) {
		const char *a = json_get_str(op, "action");

		if (a && strcmp(a, "conflict") == 0)
			r->counts.conflicts++;
		else if (a && strcmp(a, "left-hired") == 0 &&
			 !json_is_true(json_object_get(op, "acknowledged")))
			r->counts.left_hired++;
		else if (apply_op_work(op))
			(*nwork)++;
		json_decref(op);
		op = NULL;
	}
	json_decref(op);
	return rc < 0 ? rc : 0;
}

/*
 * Carry out the `nwork` hires, a window of them at a time, then write the
 * ledger (also when the batch stopped: what was done stays recorded).
 */
static int run_window(struct applier *ax, struct http_client *hc, size_t nwork, struct err *e)
{
	struct err le = ERR_INIT;
	int rc, lrc;

	ax->njobs = nwork;
	ax->window = (size_t)ax->r->opts.jobs * WINDOW_PER_JOB;
	if (ax->window < WINDOW_MIN)
		ax->window = WINDOW_MIN;
	ax->slots = xcalloc(ax->window, sizeof(*ax->slots));
	ax->hb = humaans_batch_new(hc);
	if ((rc = rec_reader_rewind(ax->ops, e)) == 0)
		rc = apply_feed(ax, e);
	if (rc == 0)
		rc = humaans_batch_run(ax->hb, e);
	log_progress_done();
	lrc = ledger_write(ax->ledger, &le);
	if (lrc < 0 && rc == 0) {
		rc = lrc;
		*e = le;
		err_prefix(e, "ledger");
	} else if (lrc < 0) {
		log_error("ledger: %s", le.msg);
	}
	return rc;
}

/*
 * Set the counts and commit load/ (the journal of a failed apply too: it is
 * what the next one resumes from). `rc` is the outcome of the writes; the
 * stage's is returned.
 */
static int apply_finish(struct applier *ax, int rc, struct err *e)
{
	struct run *r = ax->r;
	long failed = ax->failed + ax->uncertain;
	char s_created[24], s_changed[24], s_failed[24], s_conf[24];
	struct trailer tr[5];
	struct err ce = ERR_INIT;
	char *subject;
	int crc;

	r->counts.created = ax->created;
	r->counts.changed = ax->changed;
	r->counts.failed = failed;
	snprintf(s_created, sizeof(s_created), "%ld", ax->created);
	snprintf(s_changed, sizeof(s_changed), "%ld", ax->changed);
	snprintf(s_failed, sizeof(s_failed), "%ld", failed);
	snprintf(s_conf, sizeof(s_conf), "%ld", r->counts.conflicts);
	tr[0] = (struct trailer){ "Plan-Run-Id", ax->prid };
	tr[1] = (struct trailer){ "Created", s_created };
	tr[2] = (struct trailer){ "Changed", s_changed };
	tr[3] = (struct trailer){ "Failed", s_failed };
	tr[4] = (struct trailer){ "Conflicts", s_conf };
	subject = xasprintf("apply: %ld created, %ld changed, %ld failed (plan %s)", ax->created,
			    ax->changed, failed, ax->prid);
	crc = apply_commit_load(r, "apply", subject, tr, 5, &ce);
	free(subject);
	if (crc < 0 && rc == 0) {
		rc = crc;
		*e = ce;
	} else if (crc < 0) {
		log_error("%s", ce.msg);
	}
	if (rc == 0 && ax->uncertain)
		rc = err_set(
			e, ERR_UNCERTAIN,
			"%ld %s may or may not have reached Humaans: run 'apply' again to finish "
			"(each is looked up before it is sent again)",
			ax->uncertain, ax->uncertain == 1 ? "write" : "writes");
	if (rc == 0)
		run_stage_done(r, "apply");
	log_info("apply: %ld created, %ld changed, %ld failed, %ld writes", ax->created,
		 ax->changed, failed, ax->writes);
	return rc;
}

int apply_stage(struct run *r, const struct apply_opts *o, struct err *e)
{
	struct applier ax;
	struct buf text = BUF_INIT;
	json_t *basis = NULL, *touched = json_object();
	struct http_client *hc;
	size_t i, nwork = 0;
	int rc;

	memset(&ax, 0, sizeof(ax));
	ax.r = r;
	ax.pending = json_object();
	ax.done = json_object();
	if ((rc = apply_open(&ax, o, &text, &basis, touched, e)) < 0 ||
	    (rc = count_work(&ax, &nwork, e)) < 0)
		goto out;
	r->counts.planned = (long)nwork;
	log_info("apply: plan %s: %zu hires to write, %ld %s", ax.prid, nwork, r->counts.conflicts,
		 r->counts.conflicts == 1 ? "conflict" : "conflicts");
	if (nwork > 0) {
		if ((rc = run_humaans(r, &hc, e)) < 0)
			goto out;
		if ((!o || !o->basis_fresh) &&
		    (rc = apply_check_basis(&ax, hc, basis, touched, e)) < 0)
			goto out;
		json_decref(touched);
		touched = NULL;
		rc = run_window(&ax, hc, nwork, e);
	}
	rc = apply_finish(&ax, rc, e);
out:
	if (ax.hb)
		humaans_batch_free(ax.hb);
	/* Hires a stopped batch left under way. */
	for (i = 0; i < ax.window; i++)
		if (ax.slots[i])
			apply_job_free(ax.slots[i]);
	free(ax.slots);
	ledger_free(ax.ledger);
	rec_reader_close(ax.ops);
	json_decref(ax.pending);
	json_decref(ax.done);
	json_decref(touched);
	json_decref(basis);
	buf_release(&text);
	return rc;
}
