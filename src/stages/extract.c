#include "config.h"

#include "stages/extract.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "apis/ashby.h"
#include "base/buf.h"
#include "base/hash.h"
#include "apis/http.h"
#include "base/jsonutil.h"
#include "base/log.h"
#include "store/records.h"
#include "stages/extract-owed.h"
#include "stages/extract-targeted.h"
#include "stages/run.h"
#include "store/snapshot.h"
#include "store/staging.h"
#include "base/xalloc.h"

#define HIRED "Hired"	       /* the application status we stage (contract) */
#define ACCEPTED "Accepted"    /* the offer acceptanceStatus transform uses */
#define LETTER_MAX (32u << 20) /* an offer letter larger than this is refused */
#define STATE "extract/state.json"
/*
 * Hires whose reads are under way at once: enough to keep --jobs (at most 64)
 * requests busy. The others wait as an id in `ids`, not as queued requests (a
 * queued request costs over a kilobyte).
 */
#define HIRES_IN_FLIGHT 64
/* In the sets of ids below: the record is in this run's spool (else: its offset in the staged file). */
#define IN_SPOOL (-1)

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
	char *handle; /* fileHandles[].handle */
	char *name;   /* the name Ashby gave it */
	char *path;   /* extract/files/<application-id>/<safe-name> */
	char sha[65];
	size_t size;
	bool downloaded;
	bool written; /* already in the work tree: see on_download */
	bool held;    /* downloaded, waiting in x->held at held_at: see on_download */
	long held_at;
};

/*
 * One hired application whose reads are under way (HIRES_IN_FLIGHT at most).
 * When its last request is done, what came of it goes to x->sp_done
 * (hire_done) and the slot is free again.
 */
struct hire {
	struct xctx *x;
	const char *app_id; /* borrowed from x->ids */
	char *cand_id;
	char *name;	  /* the candidate's name, for messages; may be "" */
	bool need_offers; /* incremental pass, newly staged: read its offers */
	char *cand_key;	  /* the id its candidate.info result is spooled under (owned), or NULL */
	json_t *offer_params;		    /* offer.list by application (owned), while paging */
	struct ashby_cursors offer_cursors; /* the cursors of those pages */
	bool has_letter;
	struct letter letter;
	char *aside; /* why the hire was set aside (owned), or NULL */
	int pending; /* requests still out for this hire */
	bool busy;   /* the slot is in use */
};

/* One job read by job.info. */
struct jobreq {
	struct xctx *x;
	char *id;
	char *for_app; /* an application that needs it, for messages (owned) */
	char *key;     /* the id its result is spooled under (owned), or NULL when not read */
};

/* One array the last extract staged: a reader and its id -> offset index. */
struct staged {
	struct rec_reader *r; /* NULL when the file is absent or not used this pass */
	json_t *idx;	      /* id -> offset (never NULL once opened) */
};

struct xctx {
	struct run *r;
	struct http_client *c;
	struct staging *stg;
	bool full;
	const struct extract_opts *only; /* a targeted pass (extract-targeted.h), else NULL */
	struct extract_stats st;

	/* what the last extract staged (cands, offers and jobs stay empty on a full pass) */
	struct staged prev_apps, prev_cands, prev_offers, prev_jobs;
	json_t *prev_offers_by_app; /* applicationId -> [offsets]: built when a hire is restored */
	struct rec_spool *prev_files; /* state.json "files": application id -> entry */
	json_t *prev_tokens;
	json_t *prev_owed; /* state.json "owed": application id -> reason */

	/*
	 * This run. The records are in spools (keyed by id); the sets map an id
	 * to IN_SPOOL or to the record's offset in the staged file.
	 */
	struct rec_spool *sp_apps, *sp_offers, *sp_cands, *sp_jobs;
	struct rec_spool *sp_by_app; /* application id -> [offer ids] (may hold stale ids) */
	struct rec_spool *sp_done;   /* application id -> what came of its reads (hire_done) */
	FILE *held;		     /* letters waiting for the end of the run (on_download) */
	long held_end;
	json_t *apps;	     /* application id -> where: the Hired applications */
	json_t *offers;	     /* offer id -> where: offers of staged applications */
	json_t *refresh;     /* application id -> true: per-hire reads due */
	json_t *fresh;	     /* application id -> true: not staged before, or owed */
	json_t *owed;	     /* application id -> reason: set aside this run, read again next run */
	json_t *refs[NREFS]; /* arrays */
	char *tok_apps, *tok_offers;
	long offer_records; /* offer records read by the list pass */

	const char **ids; /* the hires read this run, sorted (borrowed from `refresh`) */
	size_t nhires;
	size_t next_hire;    /* the first of `ids` whose reads are not started */
	size_t active_hires; /* started and not finished */
	bool feeding;
	struct hire slots[HIRES_IN_FLIGHT];
	struct jobreq *jobs;
	size_t njobs;
	json_t *job_index; /* job id -> index in jobs, or -1 when the staged job is reused */
	struct http_batch *batch;
	size_t hires_done;
};

/* ---- small helpers --------------------------------------------------- */

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
	return extract_owed_id_ok(id);
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

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * The keys of `obj` in strcmp order (the order of the "id"-sorted snapshots):
 * a new array (caller frees) of strings borrowed from `obj`, valid until
 * `obj` changes. *n receives the count.
 */
static const char **keys_sorted(const json_t *obj, size_t *n)
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
static int rec_get(struct rec_spool *sp, const struct staged *prev, const json_t *where,
		   const char *id, json_t **out, struct err *e)
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

static int get_app(struct xctx *x, const char *id, json_t **out, struct err *e)
{
	return rec_get(x->sp_apps, &x->prev_apps, json_object_get(x->apps, id), id, out, e);
}

static int get_offer(struct xctx *x, const char *id, json_t **out, struct err *e)
{
	return rec_get(x->sp_offers, &x->prev_offers, json_object_get(x->offers, id), id, out, e);
}

/*
 * What came of the reads of hire `app_id` this run (hire_done): 1 and *out (new
 * reference), 0 when it was not read this run.
 */
static int hire_result(struct xctx *x, const char *app_id, json_t **out, struct err *e)
{
	*out = NULL;
	return x->sp_done ? rec_spool_get(x->sp_done, app_id, out, e) : 0;
}

/* ---- loading what the last extract staged ---------------------------- */

/* Open one staged array and index it by id; an absent file reads as empty. */
static int staged_open(struct xctx *x, const char *relpath, struct staged *st, struct err *e)
{
	int rc = rec_reader_open(x->stg, relpath, NULL, &st->r, e);

	if (rc == ERR_NOTFOUND) {
		err_clear(e);
		st->idx = json_object();
		return 0;
	}
	if (rc < 0)
		return rc;
	return rec_reader_index(st->r, "id", false, &st->idx, e);
}

/* Forget a staged array (a full pass trusts nothing staged): it reads as empty. */
static void staged_drop(struct staged *st)
{
	rec_reader_close(st->r);
	st->r = NULL;
	json_decref(st->idx);
	st->idx = json_object();
}

static void staged_close(struct staged *st)
{
	rec_reader_close(st->r);
	json_decref(st->idx);
	st->r = NULL;
	st->idx = NULL;
}

/*
 * One JSON value from `f` (a member name or an object: jansson stops right
 * after it, see records.c). *out is a new reference.
 */
static int load_value(FILE *f, json_t **out, struct err *e)
{
	json_error_t jerr;
	long at = ftell(f);

	*out = json_loadf(f,
			  JSON_DISABLE_EOF_CHECK | JSON_DECODE_ANY | JSON_REJECT_DUPLICATES |
				  JSON_ALLOW_NUL,
			  &jerr);
	if (!*out)
		return err_set(e, ERR_INVALID, "%s: invalid JSON at byte %ld: %s", STATE,
			       at + (long)jerr.position, jerr.text);
	return 0;
}

/*
 * Walk the object whose '{' was just read from `f`, calling `fn` with each
 * member's name and value (borrowed).
 */
static int each_member(FILE *f, int (*fn)(struct xctx *, FILE *, const char *, struct err *),
		       struct xctx *x, struct err *e)
{
	json_t *key = NULL;
	int c = rec_skip_ws(f), rc = 0;

	if (c == '}')
		return 0;
	for (;;) {
		ungetc(c, f);
		rc = load_value(f, &key, e);
		if (rc < 0)
			break;
		if (!json_is_string(key) || rec_skip_ws(f) != ':') {
			rc = err_set(e, ERR_INVALID, "%s: malformed member near byte %ld", STATE,
				     ftell(f));
			break;
		}
		rc = fn(x, f, json_string_value(key), e);
		if (rc < 0)
			break;
		json_decref(key);
		key = NULL;
		c = rec_skip_ws(f);
		if (c == '}')
			break;
		if (c != ',' || (c = rec_skip_ws(f)) == EOF) {
			rc = err_set(e, ERR_INVALID, "%s: ',' or '}' expected near byte %ld", STATE,
				     ftell(f));
			break;
		}
	}
	json_decref(key);
	return rc;
}

/* One member of state.json's "files": spooled, not held. */
static int on_state_file(struct xctx *x, FILE *f, const char *app_id, struct err *e)
{
	json_t *entry = NULL;
	int rc = load_value(f, &entry, e);

	if (rc == 0 && rec_spool_has(x->prev_files, app_id))
		rc = err_set(e, ERR_INVALID, "%s: duplicate object key '%s'", STATE, app_id);
	if (rc == 0)
		rc = rec_spool_put(x->prev_files, app_id, entry, e);
	json_decref(entry);
	return rc;
}

/* One top-level member of state.json. */
static int on_state_member(struct xctx *x, FILE *f, const char *name, struct err *e)
{
	json_t *v = NULL;
	int c, rc;

	if (strcmp(name, "files") == 0) {
		c = rec_skip_ws(f);
		if (c == '{')
			return each_member(f, on_state_file, x, e);
		ungetc(c, f); /* not an object: no staged letters, as before */
	}
	rc = load_value(f, &v, e);
	if (rc == 0 && strcmp(name, "syncTokens") == 0 && json_is_object(v)) {
		json_decref(x->prev_tokens);
		x->prev_tokens = json_incref(v);
	}
	if (rc == 0 && strcmp(name, "owed") == 0) {
		json_decref(x->prev_owed);
		rc = extract_owed_load(v, &x->prev_owed, e);
	}
	json_decref(v);
	return rc;
}

/*
 * state.json, read one member at a time: its "files" (one entry per hire,
 * megabytes at 10,000 hires) go to a spool, its "syncTokens" stay in memory.
 */
static int load_state(struct xctx *x, struct err *e)
{
	FILE *f = NULL;
	int rc, c;

	x->prev_tokens = json_object();
	x->prev_owed = json_object();
	rc = rec_spool_new(x->stg, &x->prev_files, e);
	if (rc < 0)
		return rc;
	rc = staging_fopen(x->stg, STATE, &f, e);
	if (rc == ERR_NOTFOUND) {
		err_clear(e);
		return 0;
	}
	if (rc < 0)
		return rc;
	c = rec_skip_ws(f);
	if (c == '{')
		rc = each_member(f, on_state_member, x, e);
	else if (c != '[') /* an array holds neither files nor tokens */
		rc = err_set(e, ERR_INVALID, "%s: not a JSON array or object", STATE);
	fclose(f);
	return rc;
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
	int rc;

	json_array_foreach (results, i, a) {
		const char *why = app_problem(a), *id;

		x->st.applications++;
		if (why) {
			set_aside_record(x, "application", json_get_str(a, "id"), why);
			/* Ashby will not report it again: read it again next run. */
			extract_owed_note(x->owed, json_get_str(a, "id"), why);
			continue;
		}
		id = json_get_str(a, "id");
		if (strcmp(json_get_str(a, "status"), HIRED) == 0) {
			rc = rec_spool_put(x->sp_apps, id, a, e);
			if (rc < 0)
				return rc;
			json_object_set_new(x->apps, id, json_integer(IN_SPOOL));
			json_object_set_new(x->refresh, id, json_true());
			if (!x->full && !json_object_get(x->prev_apps.idx, id))
				json_object_set_new(x->fresh, id, json_true());
		} else {
			/* An incremental pass: a staged hire that left Hired. */
			rec_spool_del(x->sp_apps, id);
			json_object_del(x->apps, id);
			json_object_del(x->refresh, id);
			json_object_del(x->fresh, id);
		}
	}
	return 0;
}

/* Remember that offer `id` belongs to application `app` (so a hire finds its offers). */
static int index_offer(struct xctx *x, const char *app, const char *id, struct err *e)
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
static int offers_of(struct xctx *x, const char *app, json_t **out, struct err *e)
{
	int rc = rec_spool_get(x->sp_by_app, app, out, e);

	if (rc == 0)
		*out = json_array();
	return rc < 0 ? rc : 0;
}

static int on_offer_page(void *ctx, json_t *results, struct err *e)
{
	struct xctx *x = ctx;
	size_t i;
	json_t *o;
	int rc;

	json_array_foreach (results, i, o) {
		const char *why = offer_problem(o), *app, *id;

		x->offer_records++;
		if (why) {
			set_aside_record(x, "offer", json_get_str(o, "id"), why);
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
		rc = index_offer(x, app, id, e);
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

/* ---- per-hire reads (side by side through one http batch) --------------- */

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

static void hire_release(struct hire *h)
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
 * Keep what came of a hire's reads, for write_extract: {"aside": why,
 * "candidate": spool key, "letter": its state.json entry, "written": true,
 * "held": offset in x->held}, each member only when it applies.
 */
static int hire_done(struct hire *h, struct err *e)
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
static int hire_finished(struct hire *h, int rc, struct err *e)
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
		rc = hire_done(h, e);
	hire_release(h);
	if (rc == 0)
		rc = feed_hires(x, e);
	return rc;
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

static int put_file(struct xctx *x, const char *relpath, const void *data, size_t len,
		    struct err *e);

/* Keep a letter's bytes until the end of the run in x->held (a temporary file in .git). */
static int hold_letter(struct hire *h, const void *data, size_t len, struct err *e)
{
	struct xctx *x = h->x;
	int rc;

	if (!x->held && (rc = staging_tmpfile(x->stg, &x->held, e)) < 0)
		return rc;
	if (fseek(x->held, x->held_end, SEEK_SET) < 0 || fwrite(data, 1, len, x->held) != len ||
	    fflush(x->held) != 0)
		return err_set(e, ERR_IO,
			       "temporary file in .git for the offer letter of "
			       "application '%s': %s",
			       h->app_id, strerror(errno));
	h->letter.held = true;
	h->letter.held_at = x->held_end;
	x->held_end += (long)len;
	return 0;
}

/* Read back `len` bytes held at `at` into `out`. */
static int held_read(struct xctx *x, long at, size_t len, struct buf *out, struct err *e)
{
	char chunk[8192];

	if (fseek(x->held, at, SEEK_SET) < 0)
		return err_set(e, ERR_IO, "temporary file in .git: %s", strerror(errno));
	while (out->len < len) {
		size_t want = len - out->len, n;

		n = fread(chunk, 1, want < sizeof(chunk) ? want : sizeof(chunk), x->held);
		if (n == 0)
			return err_set(e, ERR_IO, "temporary file in .git: %s",
				       ferror(x->held) ? strerror(errno) : "truncated");
		if (buf_add(out, chunk, n) < 0)
			return err_set(e, ERR_FAIL, "temporary file in .git: out of memory");
	}
	return 0;
}

static int on_download(void *ctx, int rc, struct http_response *resp, struct err *e)
{
	struct hire *h = ctx;
	char what[256];

	snprintf(what, sizeof(what), "the offer letter of application '%s'", h->app_id);
	if (rc < 0 && resp->too_large) {
		/* Aborted while streaming (the request's max_body): nothing of it is kept. */
		rc = hire_failed(h,
				 err_set(e, ERR_INVALID, "%s is larger than %u MiB: refused", what,
					 LETTER_MAX >> 20),
				 e);
		goto out;
	}
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
	if (resp->body.len > LETTER_MAX) { /* max_body stops it sooner: kept as a guard */
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
	if (h->x->full || !rec_spool_has(h->x->prev_files, h->app_id)) {
		rc = put_file(h->x, h->letter.path, resp->body.data, resp->body.len, e);
		if (rc < 0)
			goto out;
		h->letter.written = true;
		goto out;
	}
	rc = hold_letter(h, resp->body.data, resp->body.len, e);
out:
	return hire_finished(h, rc, e);
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
	req.max_body = LETTER_MAX; /* aborted as soon as it passes the limit */
	h->pending++;
	http_batch_add(h->x->batch, &req, on_download, h);
out:
	json_decref(env);
	return hire_finished(h, rc, e);
}

/* The accepted offer of an application (*best: new reference or NULL), the latest if several. */
static int accepted_offer(struct xctx *x, const char *app_id, json_t **best, struct err *e)
{
	json_t *ids = NULL, *o = NULL, *v;
	size_t i;
	int rc = offers_of(x, app_id, &ids, e);

	*best = NULL;
	json_array_foreach (ids, i, v) {
		const char *k = json_string_value(v), *s;

		rc = get_offer(x, k, &o, e);
		if (rc < 0)
			break;
		rc = 0;
		s = o ? json_get_str(o, "acceptanceStatus") : NULL;
		if (!o || strcmp(json_get_str(o, "applicationId"), app_id) != 0 || !s ||
		    strcmp(s, ACCEPTED) != 0) {
			json_decref(o);
			o = NULL;
			continue;
		}
		if (!*best) {
			*best = o;
		} else {
			const char *a = json_get_str(json_get_obj(o, "latestVersion"), "createdAt");
			const char *b =
				json_get_str(json_get_obj(*best, "latestVersion"), "createdAt");

			if (a &&
			    (!b || strcmp(a, b) > 0 ||
			     (strcmp(a, b) == 0 && strcmp(k, json_get_str(*best, "id")) > 0))) {
				json_decref(*best);
				*best = o;
			} else {
				json_decref(o);
			}
		}
		o = NULL;
	}
	json_decref(ids);
	if (rc < 0) {
		json_decref(*best);
		*best = NULL;
	}
	return rc;
}

/* Whether the staged letter of this hire can be kept as it is: 1 yes, 0 no. */
static int letter_reusable(struct hire *h, struct err *e)
{
	struct xctx *x = h->x;
	json_t *prev = NULL;
	const char *handle, *path, *sha;
	struct buf b = BUF_INIT;
	struct err e2 = ERR_INIT;
	char now[65];
	int rc;

	if (x->full)
		return 0;
	rc = rec_spool_get(x->prev_files, h->app_id, &prev, e);
	if (rc <= 0)
		return rc;
	handle = json_get_str(prev, "handle");
	path = json_get_str(prev, "path");
	sha = json_get_str(prev, "sha256");
	rc = 0;
	if (!handle || !path || !sha || strcmp(handle, h->letter.handle) != 0 ||
	    strcmp(path, h->letter.path) != 0)
		goto out;
	/* The bytes must still be there, unchanged, to be reused. */
	if (staging_read(x->stg, path, &b, &e2) == 0) {
		sha256_hex(b.data, b.len, now);
		rc = strcmp(now, sha) == 0;
		h->letter.size = b.len;
		memcpy(h->letter.sha, now, sizeof(now));
	}
out:
	buf_release(&b);
	json_decref(prev);
	return rc;
}

/* Choose the offer letter and, unless the staged one is current, fetch it. */
static int queue_letter(struct hire *h, struct err *e)
{
	struct xctx *x = h->x;
	json_t *offer = NULL, *params;
	const json_t *fh;
	char *safe;
	int rc = accepted_offer(x, h->app_id, &offer, e);

	if (rc < 0)
		return rc;
	fh = extract_pick_letter(json_get_arr(json_get_obj(offer, "latestVersion"), "fileHandles"));
	if (!fh) {
		log_verbose("application '%s' (%s): no offer letter", h->app_id, h->name);
		goto out;
	}
	h->has_letter = true;
	h->letter.handle = xstrdup(json_get_str(fh, "handle"));
	h->letter.name = xstrdup(json_get_str(fh, "name"));
	safe = extract_safe_name(h->letter.name);
	h->letter.path = xasprintf("extract/files/%s/%s", h->app_id, safe);
	free(safe);
	rc = letter_reusable(h, e);
	if (rc != 0)
		goto out;
	params = json_pack("{s:s}", "fileHandle", h->letter.handle);
	h->pending++;
	queue_call(x, "file.info", params, on_file_info, h);
	json_decref(params);
out:
	json_decref(offer);
	return rc < 0 ? rc : 0;
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
	rc = rec_spool_put(h->x->sp_cands, json_get_str(c, "id"), c, e);
	if (rc == 0)
		h->cand_key = xstrdup(json_get_str(c, "id"));
out:
	json_decref(env);
	return hire_finished(h, rc, e);
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
		rc = hire_failed(h, rc, e);
		goto out;
	}
	res = json_object_get(env, "results");
	if (!json_is_array(res)) {
		rc = err_set(e, ERR_INVALID, "ashby offer.list for %s: 'results' is not an array",
			     what);
		goto out;
	}
	rc = on_offer_page(h->x, res, e);
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
		queue_call(h->x, "offer.list", h->offer_params, on_hire_offers, h);
	} else {
		rc = queue_letter(h, e);
	}
out:
	json_decref(env);
	return hire_finished(h, rc, e);
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
	rc = get_app(x, app_id, &app, e);
	if (rc == 0)
		rc = err_set(e, ERR_FAIL, "extract: application '%s' went missing", app_id);
	if (rc < 0)
		return rc;
	h->busy = true;
	h->x = x;
	h->app_id = app_id;
	h->cand_id = xstrdup(json_get_str(json_get_obj(app, "candidate"), "id"));
	h->name = xstrdup(app_name(app));
	h->need_offers = json_object_get(x->fresh, app_id) != NULL;
	json_decref(app);
	x->active_hires++;
	h->pending = 1; /* held until the hire's first steps are queued */
	h->pending++;
	p = json_pack("{s:s}", "id", h->cand_id);
	queue_call(x, "candidate.info", p, on_candidate, h);
	json_decref(p);
	rc = 0;
	if (h->need_offers) {
		/* Newly hired since the last pass: its older offers are not in the delta. */
		h->offer_params = json_pack("{s:s,s:i}", "applicationId", h->app_id, "limit",
					    ASHBY_PAGE_LIMIT);
		h->pending++;
		queue_call(x, "offer.list", h->offer_params, on_hire_offers, h);
	} else {
		rc = queue_letter(h, e);
	}
	return hire_finished(h, rc, e);
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
	int rc = get_app(x, app_id, &app, e);

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
			rc = index_offer(x, app, id, e);
		json_decref(o);
	}
	return rc;
}

static int read_hires(struct xctx *x, struct err *e)
{
	json_t *app = NULL, *where;
	const char *k;
	size_t i;
	int rc = 0;

	/* A staged hire whose staged records are incomplete is read again. */
	if (!x->full) {
		json_object_foreach (x->apps, k, where) {
			if (json_object_get(x->refresh, k))
				continue;
			rc = get_app(x, k, &app, e);
			if (rc < 0)
				goto out;
			if (!json_object_get(x->prev_cands.idx,
					     json_get_str(json_get_obj(app, "candidate"), "id")))
				json_object_set_new(x->refresh, k, json_true());
			json_decref(app);
			app = NULL;
		}
	}
	/*
	 * Sorted, so the requests go out in a stable order. The keys stay valid:
	 * `refresh` only gains keys from here on.
	 */
	x->ids = keys_sorted(x->refresh, &x->nhires);
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

		queue_call(x, "job.info", p, on_job, &x->jobs[i]);
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

/* ---- assembling and writing the snapshot ------------------------------------ */

/* Put a set-aside hire back as the last extract staged it, or drop it. */
static int restore_hire(struct xctx *x, const char *app_id, const char *why, struct err *e)
{
	json_t *prev = json_object_get(x->prev_apps.idx, app_id), *o = NULL, *ids = NULL, *offs;
	json_t *v;
	size_t i;
	int rc;

	set_aside_record(x, "application", app_id, why);
	extract_owed_note(x->owed, app_id, why);
	rc = offers_of(x, app_id, &ids, e);
	json_array_foreach (ids, i, v) {
		const char *k = json_string_value(v);

		rc = get_offer(x, k, &o, e);
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

/* Serialise `v` and write it when it differs from what is in the work tree. */
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

/*
 * The state.json entry of staged application `app_id` after this run:
 * *out is a new reference, or NULL when it has none.
 */
static int final_letter(struct xctx *x, const char *app_id, json_t **out, struct err *e)
{
	json_t *res = NULL;
	int rc;

	*out = NULL;
	if (!json_object_get(x->apps, app_id))
		return 0;
	rc = hire_result(x, app_id, &res, e);
	if (rc < 0)
		return rc;
	if (res && !json_object_get(res, "aside"))
		*out = json_incref(json_object_get(res, "letter"));
	else
		rc = rec_spool_get(x->prev_files, app_id, out, e);
	json_decref(res);
	return rc < 0 ? rc : 0;
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

	ids = keys_sorted(set, &n);
	rc = rec_writer_begin(x->stg, relpath, &w, e);
	for (i = 0; rc == 0 && i < n; i++) {
		rc = rec_get(sp, prev, json_object_get(set, ids[i]), ids[i], &rec, e);
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

/* Write `v` canonically as if it sat at `depth` inside the file (see records.c). */
static int put_nested(struct rec_writer *w, const json_t *v, int depth, struct buf *tmp,
		      struct err *e)
{
	const char *p, *nl, *end;
	int rc = 0;

	buf_reset(tmp);
	rc = snapshot_dump(v, tmp, e);
	if (rc < 0)
		return rc;
	tmp->data[--tmp->len] = '\0'; /* its final newline */
	p = tmp->data;
	end = p + tmp->len;
	while (rc == 0 && (nl = memchr(p, '\n', (size_t)(end - p)))) {
		rc = rec_writer_text(w, p, (size_t)(nl + 1 - p), e);
		if (rc == 0)
			rc = rec_writer_text(w, "        ", (size_t)depth * 2, e);
		p = nl + 1;
	}
	return rc < 0 ? rc : rec_writer_text(w, p, (size_t)(end - p), e);
}

static int put_text(struct rec_writer *w, const char *s, struct err *e)
{
	return rec_writer_text(w, s, strlen(s), e);
}

/*
 * state.json, as snapshot_dump() gives it for {"files": ..., "syncTokens": ...},
 * an entry at a time: the staged applications `ids` (sorted) that have a letter.
 */
static int write_state(struct xctx *x, const char **ids, size_t n, const json_t *tokens,
		       struct err *e)
{
	struct rec_writer *w = NULL;
	struct buf tmp = BUF_INIT;
	json_t *entry = NULL, *key;
	bool changed = false;
	size_t i, count = 0;
	int rc = rec_writer_begin_text(x->stg, STATE, &w, e);

	if (rc == 0)
		rc = put_text(w, "{\n  \"files\": {", e);
	for (i = 0; rc == 0 && i < n; i++) {
		rc = final_letter(x, ids[i], &entry, e);
		if (rc < 0 || !entry)
			continue;
		rc = put_text(w, count++ ? ",\n    " : "\n    ", e);
		key = json_string(ids[i]);
		if (rc == 0)
			rc = put_nested(w, key, 2, &tmp, e);
		json_decref(key);
		if (rc == 0)
			rc = put_text(w, ": ", e);
		if (rc == 0)
			rc = put_nested(w, entry, 2, &tmp, e);
		json_decref(entry);
		entry = NULL;
	}
	if (rc == 0)
		rc = put_text(w, count ? "\n  }" : "}", e);
	if (rc == 0 && json_object_size(x->owed) > 0) {
		/* Present only while some hire is owed a re-read (extract-owed.h). */
		rc = put_text(w, ",\n  \"owed\": ", e);
		if (rc == 0)
			rc = put_nested(w, x->owed, 1, &tmp, e);
	}
	if (rc == 0)
		rc = put_text(w, ",\n  \"syncTokens\": ", e);
	if (rc == 0)
		rc = put_nested(w, tokens, 1, &tmp, e);
	if (rc == 0)
		rc = put_text(w, "\n}\n", e);
	if (rc == 0) {
		rc = rec_writer_finish(w, &changed, e);
		w = NULL;
	}
	rec_writer_abort(w);
	buf_release(&tmp);
	if (rc == 0 && changed)
		x->st.files_changed++;
	return rc;
}

/* Letters that went away or moved, then the letters downloaded this run and not yet written. */
static int write_letters(struct xctx *x, struct err *e)
{
	json_t *keys = rec_spool_keys(x->prev_files), *key, *prev = NULL, *now = NULL, *res = NULL;
	struct buf data = BUF_INIT;
	size_t i;
	int rc = 0;

	json_array_foreach (keys, i, key) {
		const char *k = json_string_value(key), *old, *path;

		rc = rec_spool_get(x->prev_files, k, &prev, e);
		if (rc >= 0)
			rc = final_letter(x, k, &now, e);
		if (rc < 0)
			goto out;
		old = json_get_str(prev, "path");
		path = json_get_str(now, "path");
		if (old && strncmp(old, "extract/files/", 14) == 0 &&
		    !(path && strcmp(path, old) == 0))
			rc = remove_file(x, old, e);
		json_decref(prev);
		json_decref(now);
		prev = now = NULL;
		if (rc < 0)
			goto out;
	}
	for (i = 0; i < x->nhires; i++) {
		const json_t *letter, *held;
		const char *path, *mine;
		bool aside;

		rc = hire_result(x, x->ids[i], &res, e);
		if (rc >= 0)
			rc = final_letter(x, x->ids[i], &now, e);
		if (rc < 0)
			goto out;
		aside = json_object_get(res, "aside") != NULL;
		letter = json_object_get(res, "letter");
		mine = json_get_str(letter, "path");
		held = json_object_get(res, "held");
		path = json_get_str(now, "path");
		if (json_is_true(json_object_get(res, "written")) && mine &&
		    (aside || !path || strcmp(path, mine) != 0)) {
			/* Written early for a hire that was then set aside. */
			rc = remove_file(x, mine, e);
		} else if (!aside && held && mine && now) {
			buf_reset(&data);
			rc = held_read(x, (long)json_integer_value(held),
				       (size_t)json_integer_value(json_object_get(letter, "size")),
				       &data, e);
			if (rc == 0)
				rc = put_file(x, mine, data.data, data.len, e);
		}
		json_decref(res);
		json_decref(now);
		res = now = NULL;
		if (rc < 0)
			goto out;
	}
out:
	buf_release(&data);
	json_decref(res);
	json_decref(prev);
	json_decref(now);
	json_decref(keys);
	return rc;
}

static int write_extract(struct xctx *x, struct err *e)
{
	json_t *cands = json_object(), *jobs = json_object(); /* id -> where */
	json_t *tokens = NULL, *app = NULL, *res = NULL, *where, *v;
	const char **ids = NULL;
	const char *k;
	size_t i, n;
	void *tmp;
	int rc = 0;

	for (i = 0; i < x->nhires; i++) {
		rc = hire_result(x, x->ids[i], &res, e);
		if (rc > 0 && json_get_str(res, "aside"))
			rc = restore_hire(x, x->ids[i], json_get_str(res, "aside"), e);
		json_decref(res);
		res = NULL;
		if (rc < 0)
			goto out;
	}

	/* Candidates and jobs of the staged hires: read this run, or kept. */
	json_object_foreach_safe (x->apps, tmp, k, where) {
		const char *cid, *jid, *ckey = NULL, *jkey = NULL;
		json_int_t cat = 0, jat = 0;
		json_t *ji, *off;

		rc = get_app(x, k, &app, e);
		if (rc >= 0)
			rc = hire_result(x, k, &res, e);
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
			const char *why = !ckey ? "its candidate could not be read"
						: "its job could not be read";

			set_aside_record(x, "application", k, why);
			extract_owed_note(x->owed, k, why);
			json_object_del(x->apps, k);
		} else {
			/* A candidate read this run wins over a staged one (two hires, one person). */
			if (cat == IN_SPOOL || !json_object_get(cands, ckey))
				json_object_set_new(cands, ckey, json_integer(cat));
			if (jat == IN_SPOOL || !json_object_get(jobs, jkey))
				json_object_set_new(jobs, jkey, json_integer(jat));
		}
		json_decref(res);
		json_decref(app);
		res = app = NULL;
	}
	json_object_foreach (x->prev_apps.idx, k, v) {
		if (json_object_get(x->apps, k))
			continue;
		x->st.dropped++;
		if (log_level() >= LOG_VERBOSE) {
			rc = rec_reader_at(x->prev_apps.r, (long)json_integer_value(v), &app, e);
			if (rc < 0)
				goto out;
			log_verbose(
				"application '%s' (%s) is no longer Hired: dropped from extract/",
				k, app_name(app));
			json_decref(app);
			app = NULL;
		}
	}

	rc = write_letters(x, e);
	if (rc < 0)
		goto out;
	rc = write_array(x, "extract/applications.json", x->apps, x->sp_apps, &x->prev_apps, NULL,
			 e);
	if (rc == 0)
		rc = write_array(x, "extract/candidates.json", cands, x->sp_cands, &x->prev_cands,
				 NULL, e);
	if (rc == 0)
		rc = write_array(x, "extract/offers.json", x->offers, x->sp_offers, &x->prev_offers,
				 offer_kept, e);
	if (rc == 0)
		rc = write_array(x, "extract/jobs.json", jobs, x->sp_jobs, &x->prev_jobs, NULL, e);
	if (rc < 0)
		goto out;
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
	ids = keys_sorted(x->apps, &n);
	rc = write_state(x, ids, n, tokens, e);
	x->st.hires = (long)json_object_size(x->apps);
	x->st.owed = (long)json_object_size(x->owed);
	x->st.found = x->st.hires;
	json_object_foreach (x->owed, k, v) {
		if (!json_object_get(x->apps, k))
			x->st.found++;
	}
out:
	free(ids);
	json_decref(res);
	json_decref(app);
	json_decref(tokens);
	json_decref(cands);
	json_decref(jobs);
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
			      x->full	? "A full pass (no sync token used)."
			      : x->only ? "A targeted pass (webhook deliveries): sync tokens kept."
					: NULL,
			      tr, 3, oid, &x->st.committed, e);
}

/* ---- the stage ------------------------------------------------------------ */

static void pass_release(struct xctx *x)
{
	size_t i;

	for (i = 0; i < HIRES_IN_FLIGHT; i++)
		hire_release(&x->slots[i]);
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
	x->tok_apps = x->tok_offers = NULL;
}

/* The hooks of a targeted pass (extract-targeted.h): the named applications, no list pass. */
static bool targeted_ok(struct xctx *x, bool full)
{
	const char *files[NREFS];
	json_t *refs[NREFS];
	struct err e = ERR_INIT;
	size_t i;

	for (i = 0; i < NREFS; i++)
		files[i] = ref_lists[i].file;
	if (full || extract_targeted_refs(x->stg, files, refs, NREFS, &e) < 0) {
		log_info("extract: nothing staged yet: a normal pass instead of a targeted one");
		return false;
	}
	for (i = 0; i < NREFS; i++)
		json_decref(refs[i]);
	return true;
}

static int targeted_pass(struct xctx *x, unsigned *pages, struct err *e)
{
	const char *files[NREFS];
	struct extract_targeted t;
	size_t i;
	int rc;

	for (i = 0; i < NREFS; i++)
		files[i] = ref_lists[i].file;
	if ((rc = extract_targeted_refs(x->stg, files, x->refs, NREFS, e)) < 0)
		return rc;
	x->tok_apps = xstrdup(json_get_str(x->prev_tokens, "application.list"));
	x->tok_offers = xstrdup(json_get_str(x->prev_tokens, "offer.list"));
	memset(&t, 0, sizeof(t));
	t.c = x->c;
	t.ids = x->only->only;
	t.n = x->only->n_only;
	t.on_app = on_app_page;
	t.ctx = x;
	t.prev_owed = x->prev_owed;
	t.prev_apps = x->prev_apps.idx;
	t.owed = x->owed;
	t.refresh = x->refresh;
	t.fresh = x->fresh;
	t.calls = pages;
	return extract_targeted_read(&t, e);
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

	if (x->only) {
		rc = targeted_pass(x, &pages, e);
		return rc < 0 ? rc : read_hires(x, e);
	}
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
	if (!full) {
		/* Hires set aside by earlier runs: read again from scratch (a full pass reads all). */
		const char *k;
		json_t *v;

		rc = extract_owed_reread(x->c, x->prev_owed, on_app_page, x, x->owed, &pages, e);
		if (rc < 0)
			return rc;
		json_object_foreach (x->prev_owed, k, v) {
			if (json_object_get(x->refresh, k)) /* its offers too, by application */
				json_object_set_new(x->fresh, k, json_true());
		}
	}
	log_verbose(
		"extract: %ld applications read in %u list pages, %zu hires staged, %zu to read",
		x->st.applications, pages, json_object_size(x->apps), json_object_size(x->refresh));
	return read_hires(x, e);
}

/* A full pass trusts nothing staged but the hires (for the count of those dropped) and letters. */
static void forget_staged(struct xctx *x)
{
	staged_drop(&x->prev_cands);
	staged_drop(&x->prev_offers);
	staged_drop(&x->prev_jobs);
}

/* Everything but the figures; twice is fine. */
static void extract_release(struct xctx *x)
{
	pass_release(x);
	staged_close(&x->prev_apps);
	staged_close(&x->prev_cands);
	staged_close(&x->prev_offers);
	staged_close(&x->prev_jobs);
	rec_spool_free(x->prev_files);
	x->prev_files = NULL;
	json_decref(x->prev_tokens);
	x->prev_tokens = NULL;
	json_decref(x->prev_owed);
	x->prev_owed = NULL;
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
	rc = load_state(&x, e);
	if (rc < 0)
		goto out;
	full = (o && o->full) || !json_get_str(x.prev_tokens, "application.list") ||
	       !json_get_str(x.prev_tokens, "offer.list");
	if (o && o->n_only > 0)
		x.only = targeted_ok(&x, full) ? o : NULL;
	rc = staged_open(&x, "extract/applications.json", &x.prev_apps, e);
	if (rc < 0)
		goto out;
	if (full) {
		forget_staged(&x);
	} else if ((rc = staged_open(&x, "extract/candidates.json", &x.prev_cands, e)) < 0 ||
		   (rc = staged_open(&x, "extract/offers.json", &x.prev_offers, e)) < 0 ||
		   (rc = staged_open(&x, "extract/jobs.json", &x.prev_jobs, e)) < 0) {
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
	rc = write_extract(&x, e);
	if (rc < 0)
		goto out;
	x.st.refreshed = (long)x.nhires;
	/* The commit indexes every staged file: let it have the memory. */
	extract_release(&x);
	rc = commit_extract(&x, e);
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
