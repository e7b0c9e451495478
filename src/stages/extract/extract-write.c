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

/* Put a set-aside hire back as the last extract staged it, or drop it. */
static int restore_hire(struct xctx *x, const char *app_id, const char *why, struct err *e)
{
	json_t *prev = json_object_get(x->prev_apps.idx, app_id), *o = NULL, *ids = NULL, *offs;
	json_t *v;
	size_t i;
	int rc;

	xt_set_aside_record(x, "application", app_id, why);
	extract_owed_note(x->owed, app_id, why);
	rc = xt_offers_of(x, app_id, &ids, e);
	json_array_foreach (ids, i, v) {
		const char *k = json_string_value(v);

		rc = xt_get_offer(x, k, &o, e);
		if (rc < 0)
			goto out;
		rc = 0;
		if (o && strcmp(json_get_str(o, "applicationId"), app_id) == 0)
			json_object_del(x->offers, k);
		json_decref(o);
		o = NULL;
	}
	if (!prev || x->full) {
		json_object_del(x->apps, app_id);
		goto out;
	}
	log_warn("application '%s': keeping what the last extract staged meanwhile", app_id);
	json_object_set(x->apps, app_id, prev);
	if (!x->prev_offers.r)
		goto out;
	if (!x->prev_offers_by_app) {
		rc = rec_reader_index(x->prev_offers.r, "applicationId", true,
				      &x->prev_offers_by_app, e);
		if (rc < 0)
			goto out;
	}
	offs = json_object_get(x->prev_offers_by_app, app_id);
	json_array_foreach (offs, i, v) {
		rc = rec_reader_at(x->prev_offers.r, (long)json_integer_value(v), &o, e);
		if (rc < 0)
			goto out;
		if (json_get_str(o, "id"))
			json_object_set(x->offers, json_get_str(o, "id"), v);
		json_decref(o);
		o = NULL;
	}
out:
	json_decref(ids);
	return rc;
}

/* Write `data` when it differs from what is in the work tree. */
int xt_put_file(struct xctx *x, const char *relpath, const void *data, size_t len, struct err *e)
{
	struct buf old = BUF_INIT;
	int rc = staging_read(x->stg, relpath, &old, e);

	if (rc == 0 && old.len == len && memcmp(old.data, data, len) == 0) {
		buf_release(&old);
		return 0;
	}
	buf_release(&old);
	if (rc < 0 && rc != ERR_NOTFOUND)
		return rc;
	err_clear(e);
	rc = staging_write(x->stg, relpath, data, len, e);
	if (rc == 0)
		x->st.files_changed++;
	return rc;
}

/* Serialise `v` and write it when it differs from what is in the work tree. */
static int put_json(struct xctx *x, const char *relpath, const json_t *v, struct err *e)
{
	struct buf b = BUF_INIT;
	int rc = snapshot_dump(v, &b, e);

	if (rc == 0)
		rc = xt_put_file(x, relpath, b.data, b.len, e);
	buf_release(&b);
	return rc;
}

int xt_remove_file(struct xctx *x, const char *relpath, struct err *e)
{
	struct buf old = BUF_INIT;
	int rc = staging_read(x->stg, relpath, &old, e);

	buf_release(&old);
	err_clear(e);
	if (rc == ERR_NOTFOUND)
		return 0;
	x->st.files_changed++;
	return staging_remove(x->stg, relpath, e);
}

/*
 * Write one snapshot array: the records of `set` (id -> where) in id order,
 * from `sp` or `prev`; `keep` (may be NULL) filters them.
 */
static int write_array(struct xctx *x, const char *relpath, const json_t *set, struct rec_spool *sp,
		       const struct staged *prev, bool (*keep)(struct xctx *, const json_t *),
		       struct err *e)
{
	struct rec_writer *w = NULL;
	const char **ids;
	json_t *rec = NULL;
	bool changed = false;
	size_t i, n;
	int rc;

	ids = xt_keys_sorted(set, &n);
	rc = rec_writer_begin(x->stg, relpath, &w, e);
	for (i = 0; rc == 0 && i < n; i++) {
		rc = xt_rec_get(sp, prev, json_object_get(set, ids[i]), ids[i], &rec, e);
		if (rc == 0)
			rc = err_set(e, ERR_FAIL, "%s: record '%s' went missing", relpath, ids[i]);
		if (rc < 0)
			break;
		rc = 0;
		if (!keep || keep(x, rec))
			rc = rec_writer_add(w, rec, e);
		json_decref(rec);
		rec = NULL;
	}
	if (rc == 0) {
		rc = rec_writer_finish(w, &changed, e);
		w = NULL;
	}
	rec_writer_abort(w);
	if (rc == 0 && changed)
		x->st.files_changed++;
	free(ids);
	return rc;
}

static bool offer_kept(struct xctx *x, const json_t *offer)
{
	return json_object_get(x->apps, json_get_str(offer, "applicationId")) != NULL;
}

/*
 * The candidate and the job of staged hire `k` into `cands` and `jobs` (id ->
 * where): read this run, or kept from the last extract. A hire missing either
 * leaves the staged set, owed a re-read.
 */
static int stage_refs(struct xctx *x, const char *k, json_t *cands, json_t *jobs, struct err *e)
{
	const char *cid, *jid, *ckey = NULL, *jkey = NULL;
	json_int_t cat = 0, jat = 0;
	json_t *app = NULL, *res = NULL, *ji, *off;
	int rc = xt_get_app(x, k, &app, e);

	if (rc >= 0)
		rc = xt_hire_result(x, k, &res, e);
	if (rc < 0)
		goto out;
	rc = 0;
	cid = json_get_str(json_get_obj(app, "candidate"), "id");
	jid = json_get_str(json_get_obj(app, "job"), "id");
	ji = json_object_get(x->job_index, jid);
	if (res && json_object_get(res, "aside")) {
		json_decref(res);
		res = NULL;
	}
	if (res && json_get_str(res, "candidate")) {
		ckey = json_get_str(res, "candidate");
		cat = IN_SPOOL;
	} else if (!res && json_object_get(x->cand_list, cid)) {
		ckey = cid; /* changed, from candidate.list (extract-candidates.c) */
		cat = IN_SPOOL;
	} else if (!res && (off = json_object_get(x->prev_cands.idx, cid))) {
		ckey = cid;
		cat = json_integer_value(off);
	}
	if (ji && json_integer_value(ji) >= 0) {
		jkey = x->jobs[json_integer_value(ji)].key;
		jat = IN_SPOOL;
	} else if ((off = json_object_get(x->prev_jobs.idx, jid))) {
		jkey = jid;
		jat = json_integer_value(off);
	}
	if (!ckey || !jkey) {
		const char *why =
			!ckey ? "its candidate could not be read" : "its job could not be read";

		xt_set_aside_record(x, "application", k, why);
		extract_owed_note(x->owed, k, why);
		json_object_del(x->apps, k);
	} else {
		/* A candidate read this run wins over a staged one (two hires, one person). */
		if (cat == IN_SPOOL || !json_object_get(cands, ckey))
			json_object_set_new(cands, ckey, json_integer(cat));
		if (jat == IN_SPOOL || !json_object_get(jobs, jkey))
			json_object_set_new(jobs, jkey, json_integer(jat));
	}
out:
	json_decref(res);
	json_decref(app);
	return rc;
}

/*
 * Why staged hire `k`, which this extract no longer stages, left: a new
 * {"id", "status", "reason"} for extract/departed.json, or NULL when it is
 * only set aside (owed a re-read: state.json says so, and it is not gone).
 */
static json_t *departure(struct xctx *x, const char *k)
{
	const char *status = json_string_value(json_object_get(x->left, k));
	char why[160];

	if (status) {
		snprintf(why, sizeof(why), "its status is now %s, no longer Hired", status);
		return json_pack("{s:s,s:s,s:s}", "id", k, "status", status, "reason", why);
	}
	if (json_object_get(x->gone, k))
		return json_pack("{s:s,s:n,s:s}", "id", k, "status", "reason",
				 "application_not_found: Ashby no longer has the application");
	if (x->full && !json_object_get(x->owed, k))
		return json_pack("{s:s,s:n,s:s}", "id", k, "status", "reason",
				 "not listed by Ashby's full application.list");
	return NULL;
}

/*
 * The hires the last extract staged and this one does not: counted, named
 * when verbose, and those that departed (left Hired, or gone) written to
 * extract/departed.json (DRIFT-DESIGN §3; an empty array when none did).
 */
static int write_departed(struct xctx *x, struct err *e)
{
	json_t *app = NULL, *departed = json_array(), *d, *v;
	const char *k;
	int rc = 0;

	json_object_foreach (x->prev_apps.idx, k, v) {
		if (json_object_get(x->apps, k))
			continue;
		x->st.dropped++;
		d = departure(x, k);
		if (d)
			json_array_append_new(departed, d);
		if (log_level() < LOG_VERBOSE)
			continue;
		rc = rec_reader_at(x->prev_apps.r, (long)json_integer_value(v), &app, e);
		if (rc < 0)
			goto out;
		log_verbose("application '%s' (%s) is no longer Hired: dropped from extract/", k,
			    xt_app_name(app));
		json_decref(app);
		app = NULL;
	}
	snapshot_sort_by_key(departed, "id");
	rc = put_json(x, "extract/departed.json", departed, e);
out:
	json_decref(departed);
	return rc;
}

/* The staged records: applications, candidates, offers, jobs and the reference lists. */
static int write_records(struct xctx *x, const json_t *cands, const json_t *jobs, struct err *e)
{
	size_t i;
	int rc = write_array(x, "extract/applications.json", x->apps, x->sp_apps, &x->prev_apps,
			     NULL, e);

	if (rc == 0)
		rc = write_array(x, "extract/candidates.json", cands, x->sp_cands, &x->prev_cands,
				 NULL, e);
	if (rc == 0)
		rc = write_array(x, "extract/offers.json", x->offers, x->sp_offers, &x->prev_offers,
				 offer_kept, e);
	if (rc == 0)
		rc = write_array(x, "extract/jobs.json", jobs, x->sp_jobs, &x->prev_jobs, NULL, e);
	for (i = 0; rc == 0 && i < NREFS; i++) {
		snapshot_sort_by_key(x->refs[i], "id");
		rc = put_json(x, ref_lists[i].file, x->refs[i], e);
	}
	return rc;
}

int xt_write_extract(struct xctx *x, struct err *e)
{
	json_t *cands = json_object(), *jobs = json_object(); /* id -> where */
	json_t *tokens = NULL, *res = NULL, *where, *v;
	const char **ids = NULL;
	const char *k;
	size_t i, n;
	void *tmp;
	int rc = 0;

	for (i = 0; i < x->nhires; i++) {
		rc = xt_hire_result(x, x->ids[i], &res, e);
		if (rc > 0 && json_get_str(res, "aside"))
			rc = restore_hire(x, x->ids[i], json_get_str(res, "aside"), e);
		json_decref(res);
		res = NULL;
		if (rc < 0)
			goto out;
	}
	json_object_foreach_safe (x->apps, tmp, k, where) {
		rc = stage_refs(x, k, cands, jobs, e);
		if (rc < 0)
			goto out;
	}
	rc = write_departed(x, e);
	if (rc == 0)
		rc = xt_write_letters(x, e);
	if (rc == 0)
		rc = write_records(x, cands, jobs, e);
	if (rc < 0)
		goto out;
	tokens = json_object();
	if (x->tok_apps)
		json_object_set_new(tokens, "application.list", json_string(x->tok_apps));
	if (x->tok_offers)
		json_object_set_new(tokens, "offer.list", json_string(x->tok_offers));
	if (x->tok_cands)
		json_object_set_new(tokens, "candidate.list", json_string(x->tok_cands));
	ids = xt_keys_sorted(x->apps, &n);
	rc = xt_write_state(x, ids, n, tokens, e);
	x->st.hires = (long)json_object_size(x->apps);
	x->st.owed = (long)json_object_size(x->owed);
	x->st.found = x->st.hires;
	json_object_foreach (x->owed, k, v) {
		if (!json_object_get(x->apps, k))
			x->st.found++;
	}
out:
	free(ids);
	json_decref(tokens);
	json_decref(cands);
	json_decref(jobs);
	return rc;
}

int xt_commit_extract(struct xctx *x, struct err *e)
{
	static const char *const paths[] = { "extract/", NULL };
	char subject[160], hires[32], apps[32], changed[32], oid[41];
	struct trailer tr[3];

	snprintf(subject, sizeof(subject),
		 "extract: %ld applications, %ld hires, %ld files changed", x->st.applications,
		 x->st.hires, x->st.files_changed);
	snprintf(hires, sizeof(hires), "%ld", x->st.hires);
	snprintf(apps, sizeof(apps), "%ld", x->st.applications);
	snprintf(changed, sizeof(changed), "%ld", x->st.files_changed);
	tr[0].key = "Hires";
	tr[0].value = hires;
	tr[1].key = "Applications";
	tr[1].value = apps;
	tr[2].key = "Files-Changed";
	tr[2].value = changed;
	return staging_commit(x->stg, paths, "extract", x->r->id, subject,
			      x->full	? "A full pass (no sync token used)."
			      : x->only ? "A targeted pass (webhook deliveries): sync tokens kept."
					: NULL,
			      tr, 3, oid, &x->st.committed, e);
}
