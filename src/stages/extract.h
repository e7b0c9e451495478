/*
 * extract: the extract stage. Reads the hired applications and what the
 * pipeline maps from Ashby into extract/ (doc/ARCHITECTURE.md), then makes one
 * commit holding the records and the sync tokens together.
 *
 * Reads: application.list, offer.list and candidate.list unfiltered (full, or
 * incremental with the stored sync tokens; candidate.list for changes to a
 * candidate alone), the reference lists once per run, and per hire
 * candidate.info, job.info once per distinct job, file.info and the download
 * of the offer letter, side by side up to the run's --jobs. An incremental
 * pass makes no per-hire read for a hire whose application and offers did not
 * change. When Ashby resets a sync token the stage drops the tokens and does a
 * full pass. Nothing is written until every read succeeded; a record of the
 * wrong shape is set aside with a warning naming the application.
 *
 * Memory does not grow with the number of hires beyond small index entries:
 * the records read this run wait in spools inside .git and the staged ones
 * are re-read by offset (records.h), a few dozen hires are read at a time,
 * and the snapshots (state.json included) are written a record at a time.
 */
#ifndef EXTRACT_H
#define EXTRACT_H

#include <jansson.h>
#include <stdbool.h>

#include "base/err.h"

struct run;

struct extract_opts {
	bool full; /* ignore the stored sync tokens and staged records: read everything */
	/*
	 * A targeted pass (serve, src/stages/extract/extract-targeted.c): just these application ids
	 * (borrowed), merged into what is staged; no list pass, sync tokens kept.
	 * With nothing staged yet, a normal pass instead (it says so).
	 */
	const char *const *only;
	size_t n_only;
};

/* Per-run figures, for the run summary, the tests and the benchmark. */
struct extract_stats {
	long applications;  /* application records read this run (all statuses) */
	long hires;	    /* hired applications staged */
	long refreshed;	    /* hires whose per-hire records were read this run */
	long set_aside;	    /* records set aside (wrong shape, not found) */
	long owed;	    /* hires set aside this run: owed a re-read (state.json "owed") */
	long found;	    /* hires found: those staged and those owed but not staged */
	long dropped;	    /* staged hires no longer Hired */
	long files_changed; /* files under extract/ added, changed or removed */
	long downloads;	    /* offer letters downloaded */
	long forgotten;	    /* applications skipped: tombstoned by forget */
	bool full;	    /* the pass was a full one */
	bool committed;
};

/*
 * Run the extract stage inside `r` (run_begin done). Uses run_ashby() for the
 * client and sets r->counts.extracted. `stats` may be NULL.
 */
int extract_stage(struct run *r, const struct extract_opts *o, struct err *e);
int extract_stage_stats(struct run *r, const struct extract_opts *o, struct extract_stats *stats,
			struct err *e);

/*
 * The name an offer letter is stored under: [A-Za-z0-9._-] only, no leading
 * dot, ending in ".pdf", at most 100 bytes. Caller frees. Exposed for tests.
 */
char *extract_safe_name(const char *name);

/*
 * The offer letter to take from an offer's latestVersion.fileHandles
 * (borrowed): the .pdf whose name says "signed" (not "unsigned"), else the
 * first other .pdf; NULL when there is none. Borrowed from `handles`.
 */
const json_t *extract_pick_letter(const json_t *handles);

#endif
