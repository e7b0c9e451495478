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

/* An id used as a directory name must be plain. */
const struct ref_list ref_lists[NREFS] = {
	{ "department.list", "includeArchived", true, "extract/departments.json" },
	{ "location.list", "includeArchived", true, "extract/locations.json" },
	{ "user.list", "includeDeactivated", true, "extract/users.json" },
	{ "customField.list", "includeArchived", false, "extract/custom_fields.json" },
};

static bool safe_id(const char *id)
{
	return extract_owed_id_ok(id);
}

const char *xt_app_name(const json_t *app)
{
	const char *n = json_get_str(json_get_obj(app, "candidate"), "name");

	return n ? n : "";
}

/* Why an application record cannot be used, or NULL when it can. */
static const char *app_problem(const json_t *a)
{
	const char *status;

	if (!json_is_object(a))
		return "the record is not an object";
	if (!json_get_str(a, "id") || !*json_get_str(a, "id"))
		return "the record has no string 'id'";
	status = json_get_str(a, "status");
	if (!status)
		return "'status' is missing or not a string";
	if (strcmp(status, HIRED) != 0)
		return NULL;
	if (!safe_id(json_get_str(a, "id")))
		return "the id is not usable as a directory name";
	if (!json_get_str(json_get_obj(a, "candidate"), "id"))
		return "'candidate.id' is missing or not a string";
	if (!json_get_str(json_get_obj(a, "job"), "id"))
		return "'job.id' is missing or not a string";
	return NULL;
}

static const char *offer_problem(const json_t *o)
{
	json_t *lv;

	if (!json_is_object(o))
		return "the record is not an object";
	if (!json_get_str(o, "id"))
		return "the record has no string 'id'";
	if (!json_get_str(o, "applicationId"))
		return "'applicationId' is missing or not a string";
	lv = json_object_get(o, "latestVersion");
	if (lv && !json_is_object(lv) && !json_is_null(lv))
		return "'latestVersion' is not an object";
	if (json_is_object(lv) && json_object_get(lv, "fileHandles") &&
	    !json_is_array(json_object_get(lv, "fileHandles")) &&
	    !json_is_null(json_object_get(lv, "fileHandles")))
		return "'latestVersion.fileHandles' is not an array";
	return NULL;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * The keys of `obj` in strcmp order (the order of the "id"-sorted snapshots):
 * a new array (caller frees) of strings borrowed from `obj`, valid until
 * `obj` changes. *n receives the count.
 */
const char **xt_keys_sorted(const json_t *obj, size_t *n)
{
	const char **keys = xcalloc(json_object_size(obj) + 1, sizeof(*keys));
	const char *k;
	json_t *v;
	size_t i = 0;

	json_object_foreach ((json_t *)obj, k, v)
		keys[i++] = k;
	qsort(keys, i, sizeof(*keys), cmp_str);
	*n = i;
	return keys;
}

/*
 * A record of this run by where a set says it is (`where`: IN_SPOOL, an
 * offset of `prev`, or NULL): 1 and *out (new reference), 0 when absent.
 */
int xt_rec_get(struct rec_spool *sp, const struct staged *prev, const json_t *where, const char *id,
	       json_t **out, struct err *e)
{
	json_int_t at;
	int rc;

	*out = NULL;
	if (!json_is_integer(where))
		return 0;
	at = json_integer_value(where);
	if (at == IN_SPOOL)
		return rec_spool_get(sp, id, out, e);
	if (!prev->r)
		return 0;
	rc = rec_reader_at(prev->r, (long)at, out, e);
	return rc < 0 ? rc : 1;
}

int xt_get_app(struct xctx *x, const char *id, json_t **out, struct err *e)
{
	return xt_rec_get(x->sp_apps, &x->prev_apps, json_object_get(x->apps, id), id, out, e);
}

int xt_get_offer(struct xctx *x, const char *id, json_t **out, struct err *e)
{
	return xt_rec_get(x->sp_offers, &x->prev_offers, json_object_get(x->offers, id), id, out,
			  e);
}

/*
 * What came of the reads of hire `app_id` this run (xt_hire_done): 1 and *out (new
 * reference), 0 when it was not read this run.
 */
int xt_hire_result(struct xctx *x, const char *app_id, json_t **out, struct err *e)
{
	*out = NULL;
	return x->sp_done ? rec_spool_get(x->sp_done, app_id, out, e) : 0;
}

void xt_set_aside_record(struct xctx *x, const char *what, const char *id, const char *why)
{
	x->st.set_aside++;
	log_warn("%s '%s' set aside: %s", what, id ? id : "(no id)", why);
}

/*
 * One application record of a list pass or a re-read: the one place that
 * decides whether a listed application is staged. A Hired one is staged and
 * its per-hire reads are due; any other status takes it out of the staged set
 * (an incremental pass: a staged hire that left Hired). A record of the wrong
 * shape is set aside and owed a re-read (Ashby will not report it again).
 */
static int accept_app(struct xctx *x, json_t *a, struct err *e)
{
	const char *why = app_problem(a), *id = json_get_str(a, "id");
	int rc;

	x->st.applications++;
	if (id && tombstones_has(x->tomb, id, NULL)) {
		/* Forgotten (forget): nothing of it is staged again, not even a departure. */
		x->st.forgotten++;
		return 0;
	}
	if (why) {
		xt_set_aside_record(x, "application", id, why);
		extract_owed_note(x->owed, id, why);
		return 0;
	}
	if (strcmp(json_get_str(a, "status"), HIRED) != 0) {
		if (json_object_get(x->prev_apps.idx, id))
			json_object_set_new(x->left, id, json_string(json_get_str(a, "status")));
		rec_spool_del(x->sp_apps, id);
		json_object_del(x->apps, id);
		json_object_del(x->refresh, id);
		json_object_del(x->fresh, id);
		return 0;
	}
	rc = rec_spool_put(x->sp_apps, id, a, e);
	if (rc < 0)
		return rc;
	json_object_del(x->left, id);
	json_object_del(x->gone, id);
	json_object_set_new(x->apps, id, json_integer(IN_SPOOL));
	json_object_set_new(x->refresh, id, json_true());
	if (!x->full && !json_object_get(x->prev_apps.idx, id))
		json_object_set_new(x->fresh, id, json_true());
	return 0;
}

int xt_on_app_page(void *ctx, json_t *results, struct err *e)
{
	struct xctx *x = ctx;
	size_t i;
	json_t *a;
	int rc;

	json_array_foreach (results, i, a) {
		rc = accept_app(x, a, e);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Remember that offer `id` belongs to application `app` (so a hire finds its offers). */
int xt_index_offer(struct xctx *x, const char *app, const char *id, struct err *e)
{
	json_t *list = NULL, *v;
	size_t i;
	int rc = rec_spool_get(x->sp_by_app, app, &list, e);

	if (rc < 0)
		return rc;
	if (!list)
		list = json_array();
	json_array_foreach (list, i, v) {
		if (strcmp(json_string_value(v), id) == 0) {
			json_decref(list);
			return 0;
		}
	}
	json_array_append_new(list, json_string(id));
	rc = rec_spool_put(x->sp_by_app, app, list, e);
	json_decref(list);
	return rc;
}

/* The ids of the offers of application `app` (new reference, maybe empty). */
int xt_offers_of(struct xctx *x, const char *app, json_t **out, struct err *e)
{
	int rc = rec_spool_get(x->sp_by_app, app, out, e);

	if (rc == 0)
		*out = json_array();
	return rc < 0 ? rc : 0;
}

int xt_on_offer_page(void *ctx, json_t *results, struct err *e)
{
	struct xctx *x = ctx;
	size_t i;
	json_t *o;
	int rc;

	json_array_foreach (results, i, o) {
		const char *why = offer_problem(o), *app, *id;

		x->offer_records++;
		if (why) {
			xt_set_aside_record(x, "offer", json_get_str(o, "id"), why);
			app = json_get_str(o, "applicationId");
			if (app && json_object_get(x->apps, app))
				extract_owed_note(x->owed, app, why);
			continue;
		}
		app = json_get_str(o, "applicationId");
		id = json_get_str(o, "id");
		if (!json_object_get(x->apps, app)) {
			rec_spool_del(x->sp_offers, id);
			json_object_del(x->offers, id);
			continue;
		}
		rc = rec_spool_put(x->sp_offers, id, o, e);
		if (rc < 0)
			return rc;
		json_object_set_new(x->offers, id, json_integer(IN_SPOOL));
		rc = xt_index_offer(x, app, id, e);
		if (rc < 0)
			return rc;
		/* A changed offer (a new letter, a new salary) refreshes its hire. */
		json_object_set_new(x->refresh, app, json_true());
	}
	return 0;
}

static int on_ref_page(void *ctx, json_t *results, struct err *e)
{
	json_t *arr = ctx;

	(void)e;
	return json_array_extend(arr, results) == 0 ? 0 : ERR_FAIL;
}

int extract_pass(struct xctx *x, bool full, struct err *e)
{
	const char *tok_a = full ? NULL : json_get_str(x->prev_tokens, "application.list");
	const char *tok_o = full ? NULL : json_get_str(x->prev_tokens, "offer.list");
	unsigned pages = 0;
	size_t i;
	int rc;

	xt_pass_release(x);
	x->full = full;
	x->st.full = full;
	x->st.applications = 0;
	x->st.set_aside = 0;
	x->offer_records = 0;
	if ((rc = rec_spool_new(x->stg, &x->sp_apps, e)) < 0 ||
	    (rc = rec_spool_new(x->stg, &x->sp_offers, e)) < 0 ||
	    (rc = rec_spool_new(x->stg, &x->sp_cands, e)) < 0 ||
	    (rc = rec_spool_new(x->stg, &x->sp_jobs, e)) < 0 ||
	    (rc = rec_spool_new(x->stg, &x->sp_by_app, e)) < 0 ||
	    (rc = rec_spool_new(x->stg, &x->sp_done, e)) < 0)
		return rc;
	/* Shallow copies of the indexes: the offsets are replaced, never changed in place. */
	x->apps = full ? json_object() : json_copy(x->prev_apps.idx);
	x->offers = full ? json_object() : json_copy(x->prev_offers.idx);
	x->refresh = json_object();
	x->fresh = json_object();
	x->owed = json_object();
	x->job_index = json_object();
	x->left = json_object();
	x->gone = json_object();

	if (x->only) {
		rc = xt_targeted_pass(x, x->only->only, x->only->n_only, &pages, e);
		return rc < 0 ? rc : xt_read_hires(x, e);
	}
	log_info("extract: %s pass", full ? "full" : "incremental");
	rc = ashby_list(x->c, "application.list", NULL, tok_a, xt_on_app_page, x, &x->tok_apps,
			&pages, e);
	if (rc < 0)
		return rc;
	rc = ashby_list(x->c, "offer.list", NULL, tok_o, xt_on_offer_page, x, &x->tok_offers,
			&pages, e);
	if (rc < 0)
		return rc;
	for (i = 0; i < NREFS; i++) {
		json_t *p = json_pack("{s:b}", ref_lists[i].flag, ref_lists[i].flag_value);

		x->refs[i] = json_array();
		rc = ashby_list(x->c, ref_lists[i].endpoint, p, NULL, on_ref_page, x->refs[i], NULL,
				&pages, e);
		json_decref(p);
		if (rc < 0)
			return rc;
	}
	/*
	 * An incremental list that saw no change leaves its old token in force:
	 * it covers exactly what the new one does, and keeping it means an
	 * unchanged night stages the same bytes and makes no commit.
	 */
	if (!full && x->st.applications == 0 && tok_a) {
		free(x->tok_apps);
		x->tok_apps = xstrdup(tok_a);
	}
	if (!full && x->offer_records == 0 && tok_o) {
		free(x->tok_offers);
		x->tok_offers = xstrdup(tok_o);
	}
	rc = xt_candidate_pass(x, &pages, e);
	if (rc < 0)
		return rc;
	if (!full) {
		/* Hires set aside by earlier runs: read again from scratch (a full pass reads all). */
		const char *k;
		json_t *v;

		rc = extract_owed_reread(x->c, x->prev_owed, xt_on_app_page, x, x->owed, x->gone,
					 &pages, e);
		if (rc < 0)
			return rc;
		json_object_foreach (x->prev_owed, k, v) {
			if (json_object_get(x->refresh, k)) /* its offers too, by application */
				json_object_set_new(x->fresh, k, json_true());
		}
		json_object_foreach (x->gone, k, v) { /* application_not_found: it departs */
			json_object_del(x->apps, k);
			json_object_del(x->refresh, k);
		}
	}
	log_verbose(
		"extract: %ld applications read in %u list pages, %zu hires staged, %zu to read",
		x->st.applications, pages, json_object_size(x->apps), json_object_size(x->refresh));
	return xt_read_hires(x, e);
}
