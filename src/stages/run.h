/*
 * run: one invocation of a stage command or of `run`. Owns the staging repo
 * (locked), the run id, the API clients (created on first use), and the
 * counts that end up in the run's tag and summary.
 *
 * Every command that changes the staging repo does:
 *     run_begin(&r, cfg, "extract", &opts, &e);
 *     rc = extract_stage(&r, &xopts, &e);     // or transform_stage, plan_stage, ...
 *     status = run_end(&r, rc, &e);           // tag run/<id>, summary on stderr
 */
#ifndef RUN_H
#define RUN_H

#include <stdbool.h>
#include <time.h>

#include "apis/http-adapt.h"
#include "base/settings.h"
#include "base/err.h"

struct staging;
struct http_client;

struct run_counts {
	long extracted;	    /* hired applications staged in extract/ */
	long rejected;	    /* set aside by transform */
	long owed;	    /* set aside by extract: owed a re-read on the next run */
	long owed_unstaged; /* of those, the ones not staged (not in `extracted`) */
	long planned;	    /* operations in the plan (creates + changes) */
	long conflicts;
	long left_hired; /* created hires no longer Hired, not acknowledged: need attention */
	long created;	 /* hires created in Humaans by apply */
	long changed;	 /* hires changed by apply */
	long failed;	 /* hires whose apply failed */
	long deleted;
};

/* How long `run` waits for the staging lock held by `serve` or another run. */
#define RUN_LOCK_WAIT_MS (10L * 60 * 1000)

/*
 * Requests in flight per API. Zero (the default) is `--jobs auto`: start at
 * 4 and adapt up to 16 (apis/http-adapt.h); `--jobs-max N` sets that
 * ceiling; `--jobs N` pins the number exactly.
 */
#define RUN_JOBS_MAX_DEFAULT HTTP_ADAPT_MAX

struct run_opts {
	int jobs;	  /* --jobs N (pinned) or --jobs-max N (auto); 0: auto up to 16 */
	bool jobs_pinned; /* --jobs N: exactly `jobs`; false: --jobs auto, `jobs` the ceiling */
	double max_rps;	  /* --max-rps, default 0 (none) */
};

struct run {
	const struct config *cfg; /* borrowed */
	struct staging *stg;	  /* owned, locked */
	char id[48];		  /* Run-Id */
	char command[32];	  /* "run", "extract", ... */
	char stage_reached[16];	  /* last stage that completed */
	char plan_run_id[48];	  /* apply: the Run-Id of the plan carried out */
	time_t started;
	double t0;	      /* monotonic seconds at start */
	struct run_opts opts; /* opts.jobs set: the ceiling (auto) or the number (pinned) */
	struct run_counts counts;
	struct http_client *ashby;   /* owned, NULL until run_ashby() */
	struct http_client *humaans; /* owned, NULL until run_humaans() */
	bool committed;		     /* some stage made a commit */
	/* Requests per stage, recorded by run_stage_done() (for the tag and the summary). */
	struct run_stage_requests {
		char stage[16];
		unsigned long ashby, humaans;
	} stage_requests[8];
	int nstage_requests;
	unsigned long counted_ashby, counted_humaans; /* requests already given to a stage */
	/* Borrowed, may be NULL: more "Key: value" lines for the tag (serve). */
	const char *tag_note;
};

/* Open and lock the staging repo, choose the run id. On failure nothing is held. */
int run_begin(struct run *r, const struct config *cfg, const char *command,
	      const struct run_opts *opts, struct err *e);
/*
 * The same, waiting up to `lock_wait_ms` milliseconds for another process's
 * lock (the nightly `run` and `serve`'s batches share the repo); ERR_LOCKED
 * when it is still held then.
 */
int run_begin_wait(struct run *r, const struct config *cfg, const char *command,
		   const struct run_opts *opts, long lock_wait_ms, struct err *e);

/*
 * The API clients, created on first use from the config (credentials from the
 * environment; a missing one is an error naming the variable). Borrowed,
 * valid until run_end().
 */
int run_ashby(struct run *r, struct http_client **out, struct err *e);
int run_humaans(struct run *r, struct http_client **out, struct err *e);

/* The same clients outside a run (check). Caller frees with http_client_free(). */
int run_client_ashby(const struct config *cfg, const struct run_opts *ro, struct http_client **out,
		     struct err *e);
int run_client_humaans(const struct config *cfg, const struct run_opts *ro,
		       struct http_client **out, struct err *e);

/* Record that `stage` completed (for the tag and `log`), and the requests it made
 * (those since the previous stage): "Requests-<Stage>-Ashby/Humaans:" lines in the tag. */
void run_stage_done(struct run *r, const char *stage);

/*
 * End the run: tag run/<id> on HEAD with the outcome and counts (even when the
 * run failed, so `log` lists it), print the summary on stderr, close the repo.
 * `rc` is the stage result (0 or a negative code, with `e` holding the
 * message). Returns the process exit status (0, 1 or 3).
 */
int run_end(struct run *r, int rc, struct err *e);

/* Parse the common --jobs / --jobs-max / --max-rps values (jobs 1 to 64); false on a bad value. */
bool run_parse_jobs(const char *s, int *out);
bool run_parse_rps(const char *s, double *out);

/* Monotonic seconds, for durations. */
double run_now(void);

/*
 * Retention (pipeline.json "retention": {"days": N}): forget every hire whose
 * last run is more than `days` days before today (store/erase.h), with its
 * own run id and tag. Nothing to erase: nothing changes.
 */
int run_retention(struct run *r, long days, struct err *e);

#endif
