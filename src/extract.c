#include "config.h"

#include "extract.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ashby.h"
#include "buf.h"
#include "hash.h"
#include "http.h"
#include "jsonutil.h"
#include "log.h"
#include "run.h"
#include "snapshot.h"
#include "staging.h"
#include "xalloc.h"

#define HIRED "Hired"	       /* the application status we stage (contract) */
#define ACCEPTED "Accepted"    /* the offer acceptanceStatus transform uses */
#define LETTER_MAX (32u << 20) /* an offer letter larger than this is refused */

/* The reference lists read once per run: endpoint, parameters, staged file. */
static const struct ref_list {
	const char *endpoint;
	const char *flag; /* boolean parameter set to `flag_value` */
	bool flag_value;
	const char *file;
} ref_lists[] = {
	{ "department.list", "includeArchived", true, "extract/departments.json" },
	{ "location.list", "includeArchived", true, "extract/locations.json" },
	{ "user.list", "includeDeactivated", true, "extract/users.json" },
	{ "customField.list", "includeArchived", false, "extract/custom_fields.json" },
};
#define NREFS (sizeof(ref_lists) / sizeof(ref_lists[0]))

struct xctx;

/* The offer letter of one hire. */
struct letter {
	char *handle;	 /* fileHandles[].handle */
	char *name;	 /* the name Ashby gave it */
	char *path;	 /* extract/files/<application-id>/<safe-name> */
	struct buf data; /* the bytes, when downloaded this run and not yet written */
	char sha[65];
	size_t size;
	bool downloaded;
	bool written; /* already in the work tree (data released): see on_download */
};

/* One hired application whose records are read this run. */
struct hire {
	struct xctx *x;
	char *app_id;
	char *cand_id;
	char *name;	      /* the candidate's name, for messages; may be "" */
	bool need_offers;     /* incremental pass, newly staged: read its offers */
	json_t *candidate;    /* candidate.info result (owned) */
	json_t *offer_params; /* offer.list by application (owned), while paging */
	bool has_letter;
	struct letter letter;
	char *aside; /* why the hire was set aside (owned), or NULL */
	int pending; /* requests still out for this hire */
};

/* One job read by job.info. */
struct jobreq {
	struct xctx *x;
	char *id;
	const char *for_app; /* borrowed: an application that needs it, for messages */
	json_t *job;	     /* owned */
};

struct xctx {
	struct run *r;
	struct http_client *c;
	struct staging *stg;
	bool full;
	struct extract_stats st;

	/* what the last extract staged (objects keyed by id; empty on a full pass) */
	json_t *prev_apps, *prev_cands, *prev_offers, *prev_jobs, *prev_files;
	json_t *prev_tokens;

	/* this run */
	json_t *apps;	       /* id -> application (Hired) */
	json_t *offers;	       /* id -> offer of a staged application */
	json_t *offers_by_app; /* application id -> {offer id: true}, during the per-hire reads */
	json_t *refresh;       /* application id -> true: per-hire reads due */
	json_t *fresh;	       /* application id -> true: not staged before */
	json_t *refs[NREFS];   /* arrays */
	char *tok_apps, *tok_offers;
	long offer_records; /* offer records read by the list pass */

	struct hire *hires;
	size_t nhires;
	struct jobreq *jobs;
	size_t njobs;
	json_t *job_index;  /* job id -> index in jobs, or -1 when the staged job is reused */
	json_t *hire_index; /* application id -> index in hires */
	struct http_batch *batch;
	size_t hires_done;
};

/* ---- small helpers --------------------------------------------------- */

char *extract_safe_name(const char *name)
{
	struct buf b = BUF_INIT;
	const char *p = name ? name : "";
	size_t n = strlen(p), i;
	char *out;

	if (n >= 4 && strcasecmp(p + n - 4, ".pdf") == 0)
		n -= 4;
	for (i = 0; i < n && b.len < 96; i++) {
		unsigned char ch = (unsigned char)p[i];
		bool ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
			  (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' || ch == '_';

		if (!ok)
			ch = '_';
		/* No leading dot or underscore, and no runs of underscores. */
		if ((ch == '.' || ch == '_') && b.len == 0)
			continue;
		if (ch == '_' && b.len > 0 && b.data[b.len - 1] == '_')
			continue;
		buf_addc(&b, (char)ch);
	}
	while (b.len > 0 && (b.data[b.len - 1] == '_' || b.data[b.len - 1] == '.'))
		b.data[--b.len] = '\0';
	if (b.len == 0)
		buf_adds(&b, "offer-letter");
	buf_adds(&b, ".pdf");
	out = buf_detach(&b, NULL);
	return out;
}

/* "signed" anywhere in the name, ignoring case, but not as part of "unsigned". */
static bool says_signed(const char *name)
{
	size_t i, n = strlen(name);

	for (i = 0; i + 6 <= n; i++) {
		if (strncasecmp(name + i, "signed", 6) != 0)
			continue;
		if (i >= 2 && strncasecmp(name + i - 2, "un", 2) == 0)
			continue;
		return true;
	}
	return false;
}

static bool is_pdf_name(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	return n >= 4 && strcasecmp(name + n - 4, ".pdf") == 0;
}

const json_t *extract_pick_letter(const json_t *handles)
{
	const json_t *first = NULL;
	size_t i;
	json_t *h;

	json_array_foreach (handles, i, h) {
		const char *name = json_get_str(h, "name");

		if (!json_get_str(h, "handle") || !is_pdf_name(name))
			continue;
		if (says_signed(name))
			return h;
		if (!first)
			first = h;
	}
	return first;
}

/* An id used as a directory name must be plain. */
static bool safe_id(const char *id)
{
	const char *p;

	if (!id || !*id || *id == '.' || strlen(id) > 128)
		return false;
	for (p = id; *p; p++) {
		unsigned char ch = (unsigned char)*p;

		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		      (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' || ch == '_'))
			return false;
	}
	return true;
}

static const char *app_name(const json_t *app)
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

/* Index an array of records by "id" into a new object (records without an id are skipped). */
static json_t *index_by_id(const json_t *arr)
{
	json_t *idx = json_object(), *v;
	size_t i;

	json_array_foreach (arr, i, v) {
		const char *id = json_get_str(v, "id");

		if (id)
			json_object_set(idx, id, v);
	}
	return idx;
}

/* The values of an id-keyed object as an array sorted by id (new reference). */
static json_t *values_sorted(const json_t *obj)
{
	json_t *arr = json_array(), *v;
	const char *k;

	json_object_foreach ((json_t *)obj, k, v)
		json_array_append(arr, v);
	snapshot_sort_by_key(arr, "id");
	return arr;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sort an array of strings in place. */
static void sort_strings(json_t *arr)
{
	size_t n = json_array_size(arr), i;
	const char **v = xcalloc(n ? n : 1, sizeof(*v));
	json_t *copy = json_copy(arr);

	for (i = 0; i < n; i++)
		v[i] = json_string_value(json_array_get(copy, i));
	qsort(v, n, sizeof(*v), cmp_str);
	json_array_clear(arr);
	for (i = 0; i < n; i++)
		json_array_append_new(arr, json_string(v[i]));
	free(v);
	json_decref(copy);
}

/* ---- loading what the last extract staged ---------------------------- */

static int read_staged(struct xctx *x, const char *relpath, json_t **out, struct err *e)
{
	json_t *v = NULL;
	int rc = snapshot_read_json(x->stg, relpath, &v, e);

	*out = NULL;
	if (rc == ERR_NOTFOUND) {
		err_clear(e);
		*out = json_array();
		return 0;
	}
	if (rc < 0)
		return rc;
	if (!json_is_array(v) && !json_is_object(v)) {
		json_decref(v);
		return err_set(e, ERR_INVALID, "%s: not a JSON array or object", relpath);
	}
	*out = v;
	return 0;
}

static int load_previous(struct xctx *x, struct err *e)
{
	static const char *const files[] = { "extract/applications.json", "extract/candidates.json",
					     "extract/offers.json", "extract/jobs.json" };
	json_t **dst[] = { &x->prev_apps, &x->prev_cands, &x->prev_offers, &x->prev_jobs };
	json_t *state = NULL;
	size_t i;
	int rc;

	for (i = 0; i < 4; i++) {
		json_t *arr;

		rc = read_staged(x, files[i], &arr, e);
		if (rc < 0)
			return rc;
		*dst[i] = index_by_id(arr);
		json_decref(arr);
	}
	rc = read_staged(x, "extract/state.json", &state, e);
	if (rc < 0)
		return rc;
	x->prev_files = json_incref(json_get_obj(state, "files"));
	x->prev_tokens = json_incref(json_get_obj(state, "syncTokens"));
	if (!x->prev_files)
		x->prev_files = json_object();
	if (!x->prev_tokens)
		x->prev_tokens = json_object();
	json_decref(state);
	return 0;
}

/* ---- the list passes ----------------------------------------------------- */

static void set_aside_record(struct xctx *x, const char *what, const char *id, const char *why)
{
	x->st.set_aside++;
	log_warn("%s '%s' set aside: %s", what, id ? id : "(no id)", why);
}

static int on_app_page(void *ctx, json_t *results, struct err *e)
{
	struct xctx *x = ctx;
	size_t i;
	json_t *a;

	(void)e;
	json_array_foreach (results, i, a) {
		const char *why = app_problem(a), *id;

		x->st.applications++;
		if (why) {
			set_aside_record(x, "application", json_get_str(a, "id"), why);
			continue;
		}
		id = json_get_str(a, "id");
		if (strcmp(json_get_str(a, "status"), HIRED) == 0) {
			json_object_set(x->apps, id, a);
			json_object_set_new(x->refresh, id, json_true());
			if (!x->full && !json_object_get(x->prev_apps, id))
				json_object_set_new(x->fresh, id, json_true());
		} else {
			/* An incremental pass: a staged hire that left Hired. */
			json_object_del(x->apps, id);
			json_object_del(x->refresh, id);
			json_object_del(x->fresh, id);
		}
	}
	return 0;
}

/* Remember that offer `id` belongs to application `app` (so a hire finds its offers in O(1)). */
static void index_offer(struct xctx *x, const char *app, const char *id)
{
	json_t *set = json_object_get(x->offers_by_app, app);

	if (!set) {
		set = json_object();
		json_object_set_new(x->offers_by_app, app, set);
	}
	json_object_set_new(set, id, json_true());
}

static int on_offer_page(void *ctx, json_t *results, struct err *e)
{
	struct xctx *x = ctx;
	size_t i;
	json_t *o;

	(void)e;
	json_array_foreach (results, i, o) {
		const char *why = offer_problem(o), *app;

		x->offer_records++;
		if (why) {
			set_aside_record(x, "offer", json_get_str(o, "id"), why);
			continue;
		}
		app = json_get_str(o, "applicationId");
		if (!json_object_get(x->apps, app)) {
			json_object_del(x->offers, json_get_str(o, "id"));
			continue;
		}
		json_object_set(x->offers, json_get_str(o, "id"), o);
		if (x->offers_by_app)
			index_offer(x, app, json_get_str(o, "id"));
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

/* ---- per-hire reads (side by side through one http batch) --------------- */

static void hire_finished(struct hire *h)
{
	struct xctx *x = h->x;

	char reqs[96];

	if (--h->pending == 0) {
		x->hires_done++;
		http_client_progress(x->c, reqs, sizeof(reqs));
		log_progress("extract: %zu/%zu hires, %s", x->hires_done, x->nhires, reqs);
	}
}

/*
 * A per-record failure sets the hire aside (the run goes on); anything else
 * (network, permission, key) stops the batch and fails the run.
 */
static int hire_failed(struct hire *h, int rc, struct err *e)
{
	if (rc == ERR_NOTFOUND || rc == ERR_INVALID) {
		if (!h->aside)
			h->aside = xstrdup(e->msg);
		err_clear(e);
		return 0;
	}
	return rc;
}

static void queue_call(struct xctx *x, const char *endpoint, const json_t *params,
		       http_done_fn done, void *ctx)
{
	struct ashby_req req;

	ashby_req_init(&req, endpoint, params);
	http_batch_add(x->batch, &req.http, done, ctx);
	ashby_req_release(&req);
}

static void queue_letter(struct hire *h);
static int put_file(struct xctx *x, const char *relpath, const void *data, size_t len,
		    struct err *e);
static int remove_file(struct xctx *x, const char *relpath, struct err *e);

static int on_download(void *ctx, int rc, struct http_response *resp, struct err *e)
{
	struct hire *h = ctx;
	char what[256];

	snprintf(what, sizeof(what), "the offer letter of application '%s'", h->app_id);
	if (rc < 0) {
		err_prefix(e, "download of %s", what);
		goto out;
	}
	if (resp->status != 200) {
		rc = hire_failed(
			h, err_set(e, ERR_INVALID, "download of %s: HTTP %ld", what, resp->status),
			e);
		goto out;
	}
	if (resp->body.len < 5 || memcmp(resp->body.data, "%PDF-", 5) != 0) {
		rc = hire_failed(h, err_set(e, ERR_INVALID, "%s is not a PDF", what), e);
		goto out;
	}
	if (resp->body.len > LETTER_MAX) {
		rc = hire_failed(h, err_set(e, ERR_INVALID, "%s is too large", what), e);
		goto out;
	}
	h->letter.size = resp->body.len;
	sha256_hex(resp->body.data, resp->body.len, h->letter.sha);
	h->letter.downloaded = true;
	h->x->st.downloads++;
	/*
	 * Memory stays bounded: a new hire's letter (or any letter on a full
	 * pass) goes to the work tree now, not held until the end. A letter that
	 * replaces a staged one waits, so a hire set aside can keep its old one.
	 */
	if (h->x->full || !json_object_get(h->x->prev_files, h->app_id)) {
		rc = put_file(h->x, h->letter.path, resp->body.data, resp->body.len, e);
		if (rc < 0)
			goto out;
		h->letter.written = true;
		goto out;
	}
	buf_reset(&h->letter.data);
	if (buf_add(&h->letter.data, resp->body.data, resp->body.len) < 0) {
		rc = hire_failed(h, err_set(e, ERR_INVALID, "%s is too large", what), e);
		goto out;
	}
out:
	hire_finished(h);
	return rc;
}

static int on_file_info(void *ctx, int rc, struct http_response *resp, struct err *e)
{
	struct hire *h = ctx;
	struct http_request req;
	json_t *env = NULL;
	const char *url;
	char what[200];

	snprintf(what, sizeof(what), "application '%s'", h->app_id);
	rc = ashby_decode("file.info", what, rc, resp, &env, e);
	if (rc < 0) {
		rc = hire_failed(h, rc, e);
		goto out;
	}
	url = json_get_str(json_object_get(env, "results"), "url");
	if (!url || strncmp(url, "http", 4) != 0) {
		rc = hire_failed(
			h, err_set(e, ERR_INVALID, "ashby file.info for %s: no usable 'url'", what),
			e);
		goto out;
	}
	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.path = url;
	req.absolute = true; /* pre-signed: never send the Ashby key there */
	req.idempotent = true;
	h->pending++;
	http_batch_add(h->x->batch, &req, on_download, h);
out:
	json_decref(env);
	hire_finished(h);
	return rc;
}

/* The accepted offer of an application (borrowed), the latest if several. */
static json_t *accepted_offer(struct xctx *x, const char *app_id)
{
	json_t *best = NULL, *o, *flag;
	const char *k;

	json_object_foreach (json_object_get(x->offers_by_app, app_id), k, flag) {
		const char *s;

		o = json_object_get(x->offers, k);
		s = o ? json_get_str(o, "acceptanceStatus") : NULL;
		if (!o || strcmp(json_get_str(o, "applicationId"), app_id) != 0 || !s ||
		    strcmp(s, ACCEPTED) != 0)
			continue;
		if (!best) {
			best = o;
		} else {
			const char *a = json_get_str(json_get_obj(o, "latestVersion"), "createdAt");
			const char *b =
				json_get_str(json_get_obj(best, "latestVersion"), "createdAt");

			if (a && (!b || strcmp(a, b) > 0 ||
				  (strcmp(a, b) == 0 && strcmp(k, json_get_str(best, "id")) > 0)))
				best = o;
		}
	}
	return best;
}

/* Whether the staged letter of this hire can be kept as it is. */
static bool letter_reusable(struct hire *h)
{
	struct xctx *x = h->x;
	json_t *prev = json_get_obj(x->prev_files, h->app_id);
	const char *handle = json_get_str(prev, "handle"), *path = json_get_str(prev, "path");
	const char *sha = json_get_str(prev, "sha256");
	struct buf b = BUF_INIT;
	struct err e = ERR_INIT;
	char now[65];
	bool ok = false;

	if (x->full || !handle || !path || !sha || strcmp(handle, h->letter.handle) != 0 ||
	    strcmp(path, h->letter.path) != 0)
		return false;
	/* The bytes must still be there, unchanged, to be reused. */
	if (staging_read(x->stg, path, &b, &e) == 0) {
		sha256_hex(b.data, b.len, now);
		ok = strcmp(now, sha) == 0;
		h->letter.size = b.len;
		memcpy(h->letter.sha, now, sizeof(now));
	}
	buf_release(&b);
	return ok;
}

/* Choose the offer letter and, unless the staged one is current, fetch it. */
static void queue_letter(struct hire *h)
{
	struct xctx *x = h->x;
	json_t *offer = accepted_offer(x, h->app_id), *params;
	const json_t *fh;
	char *safe;

	fh = extract_pick_letter(json_get_arr(json_get_obj(offer, "latestVersion"), "fileHandles"));
	if (!fh) {
		log_verbose("application '%s' (%s): no offer letter", h->app_id, h->name);
		return;
	}
	h->has_letter = true;
	h->letter.handle = xstrdup(json_get_str(fh, "handle"));
	h->letter.name = xstrdup(json_get_str(fh, "name"));
	safe = extract_safe_name(h->letter.name);
	h->letter.path = xasprintf("extract/files/%s/%s", h->app_id, safe);
	free(safe);
	if (letter_reusable(h))
		return;
	params = json_pack("{s:s}", "fileHandle", h->letter.handle);
	h->pending++;
	queue_call(x, "file.info", params, on_file_info, h);
	json_decref(params);
}

static int on_candidate(void *ctx, int rc, struct http_response *resp, struct err *e)
{
	struct hire *h = ctx;
	json_t *env = NULL, *c;
	char what[200];

	snprintf(what, sizeof(what), "application '%s'", h->app_id);
	rc = ashby_decode("candidate.info", what, rc, resp, &env, e);
	if (rc < 0) {
		rc = hire_failed(h, rc, e);
		goto out;
	}
	c = json_object_get(env, "results");
	if (!json_is_object(c) || !json_get_str(c, "id")) {
		rc = hire_failed(h,
				 err_set(e, ERR_INVALID,
					 "candidate.info for %s: not a candidate record", what),
				 e);
		goto out;
	}
	h->candidate = json_incref(c);
out:
	json_decref(env);
	hire_finished(h);
	return rc;
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
	j->job = json_incref(job);
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
		rc = hire_failed(h, rc, e);
		goto out;
	}
	res = json_object_get(env, "results");
	if (!json_is_array(res)) {
		rc = err_set(e, ERR_INVALID, "ashby offer.list for %s: 'results' is not an array",
			     what);
		goto out;
	}
	on_offer_page(h->x, res, e);
	next = json_get_str(env, "nextCursor");
	if (json_is_true(json_object_get(env, "moreDataAvailable")) && next) {
		json_object_set_new(h->offer_params, "cursor", json_string(next));
		h->pending++;
		queue_call(h->x, "offer.list", h->offer_params, on_hire_offers, h);
	} else {
		queue_letter(h);
	}
out:
	json_decref(env);
	hire_finished(h);
	return rc;
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

static void plan_job(struct xctx *x, const char *app_id, const json_t *app)
{
	const json_t *summary = json_get_obj(app, "job");
	const char *id = json_get_str(summary, "id");

	if (json_object_get(x->job_index, id))
		return;
	if (!x->full && (!json_object_get(x->refresh, app_id) ||
			 job_unchanged(json_object_get(x->prev_jobs, id), summary))) {
		if (json_object_get(x->prev_jobs, id)) {
			json_object_set_new(x->job_index, id, json_integer(-1));
			return;
		}
	}
	x->jobs = xrealloc(x->jobs, (x->njobs + 1) * sizeof(*x->jobs));
	memset(&x->jobs[x->njobs], 0, sizeof(*x->jobs));
	x->jobs[x->njobs].x = x;
	x->jobs[x->njobs].id = xstrdup(id);
	x->jobs[x->njobs].for_app = json_get_str(app, "id");
	json_object_set_new(x->job_index, id, json_integer((json_int_t)x->njobs));
	x->njobs++;
}

static int read_hires(struct xctx *x, struct err *e)
{
	json_t *ids = json_array(), *v, *app;
	const char *k;
	size_t i;
	int rc;

	/* Offers by application, kept up to date by on_offer_page while the hires are read. */
	json_decref(x->offers_by_app);
	x->offers_by_app = json_object();
	json_object_foreach (x->offers, k, v)
		index_offer(x, json_get_str(v, "applicationId"), k);

	/* A staged hire whose staged records are incomplete is read again. */
	json_object_foreach (x->apps, k, app) {
		const char *cid = json_get_str(json_get_obj(app, "candidate"), "id");

		if (!json_object_get(x->prev_cands, cid))
			json_object_set_new(x->refresh, k, json_true());
	}
	json_object_foreach (x->refresh, k, v)
		json_array_append_new(ids, json_string(k));
	/* Sorted, so the requests go out in a stable order. */
	sort_strings(ids);
	x->nhires = json_array_size(ids);
	x->hires = xcalloc(x->nhires ? x->nhires : 1, sizeof(*x->hires));
	json_array_foreach (ids, i, v) {
		struct hire *h = &x->hires[i];

		app = json_object_get(x->apps, json_string_value(v));
		h->x = x;
		h->app_id = xstrdup(json_string_value(v));
		h->cand_id = xstrdup(json_get_str(json_get_obj(app, "candidate"), "id"));
		h->name = xstrdup(app_name(app));
		h->need_offers = json_object_get(x->fresh, h->app_id) != NULL;
		json_object_set_new(x->hire_index, h->app_id, json_integer((json_int_t)i));
		buf_init(&h->letter.data, LETTER_MAX);
	}
	json_decref(ids);

	/* Hires read this run first: their summary of the job is the current one. */
	json_object_foreach (x->apps, k, app)
		if (json_object_get(x->refresh, k))
			plan_job(x, k, app);
	json_object_foreach (x->apps, k, app)
		plan_job(x, k, app);

	x->batch = http_batch_new(x->c);
	for (i = 0; i < x->njobs; i++) {
		json_t *p = json_pack("{s:s}", "id", x->jobs[i].id);

		queue_call(x, "job.info", p, on_job, &x->jobs[i]);
		json_decref(p);
	}
	for (i = 0; i < x->nhires; i++) {
		struct hire *h = &x->hires[i];
		json_t *p = json_pack("{s:s}", "id", h->cand_id);

		h->pending = 1; /* held until the hire's first steps are queued */
		h->pending++;
		queue_call(x, "candidate.info", p, on_candidate, h);
		json_decref(p);
		if (h->need_offers) {
			/* Newly hired since the last pass: its older offers are not in the delta. */
			h->offer_params = json_pack("{s:s,s:i}", "applicationId", h->app_id,
						    "limit", ASHBY_PAGE_LIMIT);
			h->pending++;
			queue_call(x, "offer.list", h->offer_params, on_hire_offers, h);
		} else {
			queue_letter(h);
		}
		hire_finished(h);
	}
	rc = http_batch_run(x->batch, e);
	log_progress_done();
	http_batch_free(x->batch);
	x->batch = NULL;
	return rc;
}

/* ---- assembling and writing the snapshot ------------------------------------ */

/* Put a set-aside hire back as the last extract staged it, or drop it. */
static void restore_hire(struct xctx *x, struct hire *h)
{
	json_t *prev = json_object_get(x->prev_apps, h->app_id), *o;
	const char *k;
	void *tmp;

	set_aside_record(x, "application", h->app_id, h->aside);
	json_object_foreach_safe (x->offers, tmp, k, o) {
		if (strcmp(json_get_str(o, "applicationId"), h->app_id) == 0)
			json_object_del(x->offers, k);
	}
	if (!prev || x->full) {
		json_object_del(x->apps, h->app_id);
		return;
	}
	log_warn("application '%s': keeping what the last extract staged; run 'extract --full' "
		 "once Ashby is fixed",
		 h->app_id);
	json_object_set(x->apps, h->app_id, prev);
	json_object_foreach (x->prev_offers, k, o) {
		if (strcmp(json_get_str(o, "applicationId"), h->app_id) == 0)
			json_object_set(x->offers, k, o);
	}
}

/* Serialise `v` and write it when it differs from what is in the work tree. */
static int put_file(struct xctx *x, const char *relpath, const void *data, size_t len,
		    struct err *e)
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

static int put_json(struct xctx *x, const char *relpath, const json_t *v, struct err *e)
{
	struct buf b = BUF_INIT;
	int rc = snapshot_dump(v, &b, e);

	if (rc == 0)
		rc = put_file(x, relpath, b.data, b.len, e);
	buf_release(&b);
	return rc;
}

static int remove_file(struct xctx *x, const char *relpath, struct err *e)
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

static int write_extract(struct xctx *x, struct err *e)
{
	json_t *cands = json_object(), *jobs = json_object(), *files = json_object();
	json_t *state = NULL, *arr = NULL, *tokens, *app, *v;
	const char *k;
	size_t i;
	void *tmp;
	int rc = 0;

	for (i = 0; i < x->nhires; i++)
		if (x->hires[i].aside)
			restore_hire(x, &x->hires[i]);

	/* Candidates, jobs and letters of the staged hires: read this run, or kept. */
	json_object_foreach_safe (x->apps, tmp, k, app) {
		const char *cid = json_get_str(json_get_obj(app, "candidate"), "id");
		const char *jid = json_get_str(json_get_obj(app, "job"), "id");
		json_t *ji = json_object_get(x->job_index, jid), *cand = NULL, *job = NULL;
		json_t *hi = json_object_get(x->hire_index, k);
		struct hire *h = hi ? &x->hires[json_integer_value(hi)] : NULL;

		if (h && h->aside)
			h = NULL;
		cand = h ? h->candidate : json_object_get(x->prev_cands, cid);
		if (ji && json_integer_value(ji) >= 0)
			job = x->jobs[json_integer_value(ji)].job;
		else
			job = json_object_get(x->prev_jobs, jid);
		if (!cand || !job) {
			set_aside_record(x, "application", k,
					 !cand ? "its candidate could not be read"
					       : "its job could not be read");
			json_object_del(x->apps, k);
			continue;
		}
		json_object_set(cands, json_get_str(cand, "id"), cand);
		json_object_set(jobs, json_get_str(job, "id"), job);
		if (h && h->has_letter) {
			json_t *f =
				json_pack("{s:s,s:s,s:s,s:s,s:I}", "handle", h->letter.handle,
					  "name", h->letter.name, "path", h->letter.path, "sha256",
					  h->letter.sha, "size", (json_int_t)h->letter.size);

			if (h->letter.downloaded || h->letter.sha[0])
				json_object_set_new(files, k, f);
			else
				json_decref(f);
		} else if (!h && json_get_obj(x->prev_files, k)) {
			json_object_set(files, k, json_get_obj(x->prev_files, k));
		}
	}
	json_object_foreach_safe (x->offers, tmp, k, v) {
		if (!json_object_get(x->apps, json_get_str(v, "applicationId")))
			json_object_del(x->offers, k);
	}
	json_object_foreach (x->prev_apps, k, v) {
		if (!json_object_get(x->apps, k)) {
			x->st.dropped++;
			log_verbose(
				"application '%s' (%s) is no longer Hired: dropped from extract/",
				k, app_name(v));
		}
	}

	/* Letters that went away or moved first, then every file. */
	json_object_foreach (x->prev_files, k, v) {
		const char *old = json_get_str(v, "path");
		const char *now = json_get_str(json_get_obj(files, k), "path");

		if (!old || strncmp(old, "extract/files/", 14) != 0)
			continue;
		if (now && strcmp(now, old) == 0)
			continue;
		rc = remove_file(x, old, e);
		if (rc < 0)
			goto out;
	}
	for (i = 0; i < x->nhires; i++) {
		struct hire *h = &x->hires[i];
		const char *now = json_get_str(json_get_obj(files, h->app_id), "path");

		if (h->letter.written && (h->aside || !now || strcmp(now, h->letter.path) != 0)) {
			/* Written early for a hire that was then set aside. */
			rc = remove_file(x, h->letter.path, e);
			if (rc < 0)
				goto out;
			continue;
		}
		if (h->aside || !h->letter.downloaded || h->letter.written ||
		    !json_object_get(files, h->app_id))
			continue;
		rc = put_file(x, h->letter.path, h->letter.data.data, h->letter.data.len, e);
		if (rc < 0)
			goto out;
	}

	{
		const char *names[] = { "extract/applications.json", "extract/candidates.json",
					"extract/offers.json", "extract/jobs.json" };
		json_t *objs[] = { x->apps, cands, x->offers, jobs };

		for (i = 0; i < 4; i++) {
			arr = values_sorted(objs[i]);
			rc = put_json(x, names[i], arr, e);
			json_decref(arr);
			arr = NULL;
			if (rc < 0)
				goto out;
		}
	}
	for (i = 0; i < NREFS; i++) {
		snapshot_sort_by_key(x->refs[i], "id");
		rc = put_json(x, ref_lists[i].file, x->refs[i], e);
		if (rc < 0)
			goto out;
	}
	tokens = json_object();
	if (x->tok_apps)
		json_object_set_new(tokens, "application.list", json_string(x->tok_apps));
	if (x->tok_offers)
		json_object_set_new(tokens, "offer.list", json_string(x->tok_offers));
	state = json_pack("{s:O,s:o}", "files", files, "syncTokens", tokens);
	rc = put_json(x, "extract/state.json", state, e);
	x->st.hires = (long)json_object_size(x->apps);
out:
	json_decref(state);
	json_decref(cands);
	json_decref(jobs);
	json_decref(files);
	return rc;
}

static int commit_extract(struct xctx *x, struct err *e)
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
			      x->full ? "A full pass (no sync token used)." : NULL, tr, 3, oid,
			      &x->st.committed, e);
}

/* ---- the stage ------------------------------------------------------------ */

static void pass_release(struct xctx *x)
{
	size_t i;

	for (i = 0; i < x->nhires; i++) {
		struct hire *h = &x->hires[i];

		free(h->app_id);
		free(h->cand_id);
		free(h->name);
		json_decref(h->candidate);
		json_decref(h->offer_params);
		free(h->letter.handle);
		free(h->letter.name);
		free(h->letter.path);
		buf_release(&h->letter.data);
		free(h->aside);
	}
	free(x->hires);
	x->hires = NULL;
	x->nhires = 0;
	x->hires_done = 0;
	for (i = 0; i < x->njobs; i++) {
		free(x->jobs[i].id);
		json_decref(x->jobs[i].job);
	}
	free(x->jobs);
	x->jobs = NULL;
	x->njobs = 0;
	json_decref(x->job_index);
	json_decref(x->hire_index);
	x->hire_index = NULL;
	json_decref(x->apps);
	json_decref(x->offers);
	json_decref(x->refresh);
	json_decref(x->fresh);
	json_decref(x->offers_by_app);
	x->job_index = x->apps = x->offers = x->refresh = x->fresh = x->offers_by_app = NULL;
	for (i = 0; i < NREFS; i++) {
		json_decref(x->refs[i]);
		x->refs[i] = NULL;
	}
	free(x->tok_apps);
	free(x->tok_offers);
	x->tok_apps = x->tok_offers = NULL;
}

static int extract_pass(struct xctx *x, bool full, struct err *e)
{
	const char *tok_a = full ? NULL : json_get_str(x->prev_tokens, "application.list");
	const char *tok_o = full ? NULL : json_get_str(x->prev_tokens, "offer.list");
	unsigned pages = 0;
	size_t i;
	int rc;

	pass_release(x);
	x->full = full;
	x->st.full = full;
	x->st.applications = 0;
	x->st.set_aside = 0;
	x->offer_records = 0;
	/* Shallow copies: records are replaced, never changed in place. */
	x->apps = full ? json_object() : json_copy(x->prev_apps);
	x->offers = full ? json_object() : json_copy(x->prev_offers);
	x->refresh = json_object();
	x->fresh = json_object();
	x->job_index = json_object();
	x->hire_index = json_object();

	log_info("extract: %s pass", full ? "full" : "incremental");
	rc = ashby_list(x->c, "application.list", NULL, tok_a, on_app_page, x, &x->tok_apps, &pages,
			e);
	if (rc < 0)
		return rc;
	rc = ashby_list(x->c, "offer.list", NULL, tok_o, on_offer_page, x, &x->tok_offers, &pages,
			e);
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
	log_verbose(
		"extract: %ld applications read in %u list pages, %zu hires staged, %zu to read",
		x->st.applications, pages, json_object_size(x->apps), json_object_size(x->refresh));
	return read_hires(x, e);
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
	rc = load_previous(&x, e);
	if (rc < 0)
		goto out;
	full = (o && o->full) || !json_get_str(x.prev_tokens, "application.list") ||
	       !json_get_str(x.prev_tokens, "offer.list");
	if (full) {
		/* A full pass trusts nothing staged: every record is read again. */
		json_object_clear(x.prev_cands);
		json_object_clear(x.prev_offers);
		json_object_clear(x.prev_jobs);
	}
	rc = extract_pass(&x, full, e);
	if (rc == ERR_SYNC_RESET) {
		log_info("sync token expired: doing a full pass");
		log_verbose("%s", e->msg);
		err_clear(e);
		json_object_clear(x.prev_cands);
		json_object_clear(x.prev_offers);
		json_object_clear(x.prev_jobs);
		rc = extract_pass(&x, true, e);
		if (rc == ERR_SYNC_RESET)
			err_prefix(e, "the full pass was reset too");
	}
	if (rc < 0)
		goto out;
	rc = write_extract(&x, e);
	if (rc < 0)
		goto out;
	rc = commit_extract(&x, e);
	if (rc < 0)
		goto out;
	r->counts.extracted = x.st.hires;
	if (x.st.committed)
		r->committed = true;
	run_stage_done(r, "extract");
	x.st.refreshed = (long)x.nhires;
	log_info("extract: %ld applications read, %ld hires staged, %ld read this run, "
		 "%ld set aside, %ld dropped, %ld files changed%s",
		 x.st.applications, x.st.hires, (long)x.nhires, x.st.set_aside, x.st.dropped,
		 x.st.files_changed, x.st.committed ? "" : " (nothing to commit)");
out:
	if (stats)
		*stats = x.st;
	pass_release(&x);
	json_decref(x.prev_apps);
	json_decref(x.prev_cands);
	json_decref(x.prev_offers);
	json_decref(x.prev_jobs);
	json_decref(x.prev_files);
	json_decref(x.prev_tokens);
	return rc;
}

int extract_stage(struct run *r, const struct extract_opts *o, struct err *e)
{
	return extract_stage_stats(r, o, NULL, e);
}
