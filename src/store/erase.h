/*
 * erase: `forget`, the erasure of hires' personal data from the whole
 * staging history (issue 16, DRIFT-DESIGN §5).
 *
 * Every commit from the first that held the data is recreated without it
 * (same messages, trailers, author, committer and times), every ref and
 * run tag moved to its rewritten commit, and a fresh .git holding only
 * the reachable objects (one pack, packed-refs, no reflog) is swapped in for
 * the old one in one atomic exchange: a crash leaves the old repository
 * (run forget again) or the rewritten one. The erasure is recorded in
 * load/tombstones.json (store/tombstones.h) by a commit of stage `forget`
 * tagged run/<run id>. The ledger keeps the Humaans ids of the hires (not
 * personal data) and loses what was sent (`base`).
 *
 * Memory: a blob is filtered once (memo of old id -> new id), record arrays a
 * record at a time; the memos hold ids, not data.
 */
#ifndef ERASE_H
#define ERASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "base/err.h"

struct staging;

struct erase_opts {
	const char *const *apps; /* application ids (borrowed), or NULL with `before` */
	size_t napps;
	const char *before;  /* YYYY-MM-DD: every hire whose last run is older (retention) */
	const char *reason;  /* one line, recorded */
	const char *today;   /* YYYY-MM-DD: the tombstones' date */
	const char *run_id;  /* the erasure's Run-Id */
	const char *started; /* when it started, "YYYY-MM-DDTHH:MM:SSZ" (its run tag) */
	bool dry_run;	     /* list what would be erased on `out`, change nothing */
	FILE *out;	     /* the listing (hires, commits, files) */
};

struct erase_result {
	long hires;   /* hires erased (or that would be) */
	long commits; /* commits recreated */
	long runs;    /* runs with a recreated commit */
	long files;   /* distinct paths rewritten or dropped */
};

/*
 * Erase (`s` open and locked). An application id the staging history does
 * not hold: ERR_NOTFOUND, nothing changed. Ids already tombstoned are
 * finished (leftovers of an interrupted erasure removed), not erased again.
 */
int erase_forget(struct staging *s, const struct erase_opts *o, struct erase_result *res,
		 struct err *e);

#endif
