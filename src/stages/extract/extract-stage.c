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
#include "store/tombstones.h"

void xt_pass_release(struct xctx *x)
{
	size_t i;

	for (i = 0; i < HIRES_IN_FLIGHT; i++)
		xt_hire_release(&x->slots[i]);
	free(x->ids);
	x->ids = NULL;
	x->nhires = x->next_hire = x->active_hires = 0;
	x->hires_done = 0;
	for (i = 0; i < x->njobs; i++) {
		free(x->jobs[i].id);
		free(x->jobs[i].for_app);
		free(x->jobs[i].key);
	}
	free(x->jobs);
	x->jobs = NULL;
	x->njobs = 0;
	json_decref(x->job_index);
	json_decref(x->apps);
	json_decref(x->offers);
	json_decref(x->refresh);
	json_decref(x->fresh);
	json_decref(x->prev_offers_by_app);
	json_decref(x->owed);
	x->job_index = x->apps = x->offers = x->refresh = x->fresh = x->owed = NULL;
	x->prev_offers_by_app = NULL;
	rec_spool_free(x->sp_apps);
	rec_spool_free(x->sp_offers);
	rec_spool_free(x->sp_cands);
	rec_spool_free(x->sp_jobs);
	rec_spool_free(x->sp_by_app);
	rec_spool_free(x->sp_done);
	x->sp_apps = x->sp_offers = x->sp_cands = x->sp_jobs = x->sp_by_app = x->sp_done = NULL;
	if (x->held)
		fclose(x->held);
	x->held = NULL;
	x->held_end = 0;
	for (i = 0; i < NREFS; i++) {
		json_decref(x->refs[i]);
		x->refs[i] = NULL;
	}
	free(x->tok_apps);
	free(x->tok_offers);
	free(x->tok_cands);
	x->tok_apps = x->tok_offers = x->tok_cands = NULL;
	json_decref(x->cand_list);
	json_decref(x->moved);
	json_decref(x->left);
	json_decref(x->gone);
	x->cand_list = x->moved = x->left = x->gone = NULL;
}

/* A full pass trusts nothing staged but the hires (for the count of those dropped) and letters. */
static void forget_staged(struct xctx *x)
{
	xt_staged_drop(&x->prev_cands);
	xt_staged_drop(&x->prev_offers);
	xt_staged_drop(&x->prev_jobs);
}

/* Everything but the figures; twice is fine. */
static void extract_release(struct xctx *x)
{
	xt_pass_release(x);
	xt_staged_close(&x->prev_apps);
	xt_staged_close(&x->prev_cands);
	xt_staged_close(&x->prev_offers);
	xt_staged_close(&x->prev_jobs);
	rec_spool_free(x->prev_files);
	x->prev_files = NULL;
	json_decref(x->prev_tokens);
	x->prev_tokens = NULL;
	json_decref(x->prev_owed);
	x->prev_owed = NULL;
	json_decref(x->tomb);
	x->tomb = NULL;
}

int extract_stage_stats(struct run *r, const struct extract_opts *o, struct extract_stats *stats,
			struct err *e)
{
	struct xctx x;
	bool full;
	int rc;

	memset(&x, 0, sizeof(x));
	x.r = r;
	x.stg = r->stg;
	rc = run_ashby(r, &x.c, e);
	if (rc < 0)
		goto out;
	rc = xt_load_state(&x, e);
	if (rc == 0)
		rc = tombstones_load(x.stg, &x.tomb, e);
	if (rc < 0)
		goto out;
	full = (o && o->full) || !json_get_str(x.prev_tokens, "application.list") ||
	       !json_get_str(x.prev_tokens, "offer.list");
	if (o && o->n_only > 0)
		x.only = xt_targeted_possible(&x, full) ? o : NULL;
	rc = xt_staged_open(&x, "extract/applications.json", &x.prev_apps, e);
	if (rc < 0)
		goto out;
	if (full) {
		forget_staged(&x);
	} else if ((rc = xt_staged_open(&x, "extract/candidates.json", &x.prev_cands, e)) < 0 ||
		   (rc = xt_staged_open(&x, "extract/offers.json", &x.prev_offers, e)) < 0 ||
		   (rc = xt_staged_open(&x, "extract/jobs.json", &x.prev_jobs, e)) < 0) {
		goto out;
	}
	rc = extract_pass(&x, full, e);
	if (rc == ERR_SYNC_RESET) {
		log_info("sync token expired: doing a full pass");
		log_verbose("%s", e->msg);
		err_clear(e);
		forget_staged(&x);
		rc = extract_pass(&x, true, e);
		if (rc == ERR_SYNC_RESET)
			err_prefix(e, "the full pass was reset too");
	}
	if (rc < 0)
		goto out;
	rc = xt_write_extract(&x, e);
	if (rc < 0)
		goto out;
	x.st.refreshed = (long)x.nhires;
	/* The commit indexes every staged file: let it have the memory. */
	extract_release(&x);
	rc = xt_commit_extract(&x, e);
	if (rc < 0)
		goto out;
	r->counts.extracted = x.st.hires;
	r->counts.owed = x.st.owed;
	r->counts.owed_unstaged = x.st.found - x.st.hires;
	if (x.st.committed)
		r->committed = true;
	run_stage_done(r, "extract");
	log_info("extract: %ld applications read, %ld hires found, %ld staged, %ld read this run, "
		 "%ld records set aside, %ld hires to read again next run, %ld dropped, "
		 "%ld files changed%s",
		 x.st.applications, x.st.found, x.st.hires, x.st.refreshed, x.st.set_aside,
		 x.st.owed, x.st.dropped, x.st.files_changed,
		 x.st.committed ? "" : " (nothing to commit)");
	if (x.st.forgotten)
		log_info("extract: %ld forgotten applications skipped (" TOMBSTONES_FILE ")",
			 x.st.forgotten);
out:
	if (stats)
		*stats = x.st;
	extract_release(&x);
	return rc;
}

int extract_stage(struct run *r, const struct extract_opts *o, struct err *e)
{
	return extract_stage_stats(r, o, NULL, e);
}
