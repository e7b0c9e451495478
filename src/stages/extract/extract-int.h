/*
 * extract-int.h: what the files of the extract stage share (private: only
 * files of src/stages/extract/ include it; the stage's interface is
 * stages/extract.h).
 *
 *   extract-stage.c    extract_stage: state.json and the staged arrays opened,
 *                      the pass (again as a full one on a sync reset), the
 *                      commit
 *   extract-lists.c    the list passes (application.list, offer.list, the
 *                      reference lists), accept_app (whether a listed
 *                      application is staged), the spools and sets of ids
 *   extract-hires.c    the per-hire reads side by side (candidate.info,
 *                      offers by application, job.info), the hire slots
 *   extract-candidates.c  candidate.list: changed candidates of staged hires,
 *                      merges
 *   extract-letters.c  choosing, downloading, holding and writing offer letters
 *   extract-write.c    assembling the staged set and writing extract/
 *   extract-state.c    extract/state.json: read one member at a time, written
 *                      an entry at a time; the staged arrays' readers
 *   extract-owed.c     the hires owed a re-read (extract-owed.h)
 *   extract-targeted.c the targeted pass of serve: the applications webhook
 *                      deliveries named, read by id instead of the list passes
 */
#ifndef EXTRACT_INT_H
#define EXTRACT_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "apis/ashby.h"
#include "apis/http.h"
#include "base/buf.h"
#include "base/err.h"
#include "stages/extract.h"
#include "store/records.h"

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
struct ref_list {
	const char *endpoint;
	const char *flag; /* boolean parameter set to `flag_value` */
	bool flag_value;
	const char *file;
};
#define NREFS 4
extern const struct ref_list ref_lists[NREFS];

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
	const struct extract_opts *only; /* a targeted pass (extract-targeted.c), else NULL */
	struct extract_stats st;

	/* what the last extract staged (cands, offers and jobs stay empty on a full pass) */
	struct staged prev_apps, prev_cands, prev_offers, prev_jobs;
	json_t *prev_offers_by_app; /* applicationId -> [offsets]: built when a hire is restored */
	struct rec_spool *prev_files; /* state.json "files": application id -> entry */
	json_t *prev_tokens;
	json_t *prev_owed; /* state.json "owed": application id -> reason */
	json_t *tomb;	   /* load/tombstones.json: forgotten applications, never staged */

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
	char *tok_apps, *tok_offers, *tok_cands;
	long offer_records; /* offer records read by the list pass */
	long cand_records;  /* candidate records read by candidate.list */
	json_t *cand_list;  /* candidate id -> true: staged from candidate.list (in sp_cands) */
	json_t *moved;	    /* application id -> why: its candidate changed (merge), read again */
	json_t *left; /* application id -> status: a staged hire listed this run as no longer Hired */
	json_t *gone; /* application id -> true: application.info answered not found */

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

/* ---- extract-letters.c ---- */

int xt_queue_letter(struct hire *h, struct err *e);
int xt_write_letters(struct xctx *x, struct err *e);

/* ---- extract-lists.c ---- */

const char *xt_app_name(const json_t *app);
const char **xt_keys_sorted(const json_t *obj, size_t *n);
int xt_rec_get(struct rec_spool *sp, const struct staged *prev, const json_t *where, const char *id,
	       json_t **out, struct err *e);
int xt_get_app(struct xctx *x, const char *id, json_t **out, struct err *e);
int xt_get_offer(struct xctx *x, const char *id, json_t **out, struct err *e);
int xt_hire_result(struct xctx *x, const char *app_id, json_t **out, struct err *e);
void xt_set_aside_record(struct xctx *x, const char *what, const char *id, const char *why);
int xt_index_offer(struct xctx *x, const char *app, const char *id, struct err *e);
int xt_offers_of(struct xctx *x, const char *app, json_t **out, struct err *e);
int xt_on_offer_page(void *ctx, json_t *results, struct err *e);
int xt_on_app_page(void *ctx, json_t *results, struct err *e);
int extract_pass(struct xctx *x, bool full, struct err *e);

/* ---- extract-targeted.c ---- */

/* Whether a targeted pass can run: not a full pass, and the reference lists are staged. */
bool xt_targeted_possible(struct xctx *x, bool full);
/* The targeted pass's reads of the named applications `ids[0..n)` (borrowed). */
int xt_targeted_pass(struct xctx *x, const char *const *ids, size_t n, unsigned *pages,
		     struct err *e);

/* ---- extract-candidates.c ---- */

/* candidate.list after the other lists (x->apps known), then the merged applications re-read. */
int xt_candidate_pass(struct xctx *x, unsigned *pages, struct err *e);

/* ---- extract-hires.c ---- */

void xt_hire_release(struct hire *h);
int xt_hire_done(struct hire *h, struct err *e);
int xt_hire_finished(struct hire *h, int rc, struct err *e);
int xt_hire_failed(struct hire *h, int rc, struct err *e);
void xt_queue_call(struct xctx *x, const char *endpoint, const json_t *params, http_done_fn done,
		   void *ctx);
int xt_read_hires(struct xctx *x, struct err *e);

/* ---- extract-state.c ---- */

int xt_staged_open(struct xctx *x, const char *relpath, struct staged *st, struct err *e);
void xt_staged_drop(struct staged *st);
void xt_staged_close(struct staged *st);
int xt_load_state(struct xctx *x, struct err *e);
int xt_final_letter(struct xctx *x, const char *app_id, json_t **out, struct err *e);
int xt_write_state(struct xctx *x, const char **ids, size_t n, const json_t *tokens, struct err *e);

/* ---- extract-write.c ---- */

int xt_put_file(struct xctx *x, const char *relpath, const void *data, size_t len, struct err *e);
int xt_remove_file(struct xctx *x, const char *relpath, struct err *e);
int xt_write_extract(struct xctx *x, struct err *e);
int xt_commit_extract(struct xctx *x, struct err *e);

/* ---- extract-stage.c ---- */

void xt_pass_release(struct xctx *x);

#endif
