/*
 * bundle: audit bundles of one run for reviewers (libarchive).
 *
 * A bundle is a .tar.gz (pax, gzip) or a .zip, chosen by the file name. Every
 * file lives under the top directory "ashby2humaans-<run-id>/": the run's
 * snapshots as of its tag, then three files the bundle adds:
 *   MANIFEST       "<sha256>  <path>" for every file but itself, sorted
 *                  (sha256sum -c format, so coreutils alone can verify it);
 *   MANIFEST.json  run id, commit ids, and each file's size and sha256;
 *   README         what the bundle is and how to verify it.
 * The same run always gives the same bytes: entries are sorted, owned by
 * root:root with mode 0644 (directories 0755), stamped with the run's start
 * time (from the run id), and the gzip header carries no timestamp or name.
 * A zip's DOS times are local time, so zips are byte-identical only within
 * one time zone (cmd-export runs in UTC).
 */
#ifndef BUNDLE_H
#define BUNDLE_H

#include <stddef.h>
#include <time.h>

#include "base/buf.h"
#include "base/err.h"

struct staging;

struct bundle_file {
	char *path;	     /* relative to the top directory; owned */
	unsigned char *data; /* owned; NULL: read again from the staging repo when written */
	size_t len;
	char sha[65];  /* of the bytes, computed when added */
	char blob[41]; /* data NULL: the git blob that holds the bytes */
};

struct bundle_commit {
	char *stage; /* owned */
	char oid[41];
	char *subject; /* owned */
};

/* A stage's snapshot source: the newest commit of that stage reachable from the tag. */
struct bundle_stage {
	char *stage; /* owned */
	char oid[41];
	char *run_id; /* owned; may be "" when the commit carries no Run-Id */
};

struct bundle {
	char *run_id;	 /* owned */
	char commit[41]; /* the commit the run's tag points at: the snapshots' source */
	char *summary;	 /* the tag message; owned, may be NULL */
	struct bundle_file *files;
	size_t nfiles, files_alloc;
	struct bundle_commit *commits; /* the run's own commits, oldest first */
	size_t ncommits, commits_alloc;
	struct bundle_stage *stages;
	size_t nstages, stages_alloc;
	struct staging *src; /* borrowed: where files added by reference are read */
};

/* Start an empty bundle for `run_id` (copied). Release with bundle_release(). */
void bundle_init(struct bundle *b, const char *run_id);
void bundle_release(struct bundle *b);
/* Set the tag message shown in README and MANIFEST.json (copied). */
void bundle_set_summary(struct bundle *b, const char *summary);
/*
 * Add a file (path and bytes copied). ERR_INVALID for an unsafe path (absolute,
 * "..", empty component, control character) or one the bundle reserves
 * (MANIFEST, MANIFEST.json, README).
 */
int bundle_add_file(struct bundle *b, const char *path, const void *data, size_t len,
		    struct err *e);
/*
 * Add a file by reference: its bytes (of SHA-256 `sha`, `len` long) are read
 * again from blob `blob_hex` of b->src when the bundle is written, one file at
 * a time, so a bundle of a large run does not hold every file in memory. Same
 * checks as bundle_add_file(); bundle_write() fails if the bytes differ.
 */
int bundle_add_file_ref(struct bundle *b, const char *path, const char *blob_hex,
			const char sha[65], size_t len, struct err *e);
/* Record one of the run's commits (copied). */
void bundle_add_commit(struct bundle *b, const char *stage, const char *oid, const char *subject);
/* Record where a stage's snapshot came from (copied). */
void bundle_add_stage(struct bundle *b, const char *stage, const char *oid, const char *run_id);

/*
 * Fill `b` (already bundle_init()ed with a run id, "run/<id>" or "latest";
 * replaced by the run's id) from the staging repo:
 * the tree at tag run/<run-id> (pipeline.json, overrides.csv, extract/,
 * transform/, plan/, load/), the run's commits, the stage sources and the tag
 * message. ERR_NOTFOUND when the run does not exist.
 */
int bundle_collect(struct bundle *b, struct staging *s, struct err *e);

/*
 * Write the bundle to `path` (".tar.gz"/".tgz" or ".zip"; anything else is
 * ERR_INVALID) through a temp file in the same directory renamed at the end,
 * so a failure leaves no half-written bundle. *nfiles_out (may be NULL)
 * receives the number of files written, MANIFEST, MANIFEST.json and README
 * included.
 */
int bundle_write(const struct bundle *b, const char *path, size_t *nfiles_out, struct err *e);

/*
 * Append one MANIFEST line for `path` to `out`, in sha256sum's format: a path
 * holding a backslash, CR or LF is escaped and the line starts with '\\'.
 */
void bundle_manifest_line(struct buf *out, const char *sha_hex, const char *path);

/*
 * Verify a bundle: recompute every file's sha256 and compare with MANIFEST
 * (and MANIFEST.json). `problem` (may be NULL) is called once per mismatched,
 * missing, extra or unreadable file, with its path. Returns 0 when all is
 * well, ERR_INVALID (message naming the first problem and their count) when
 * anything differs, ERR_IO when the file cannot be opened. *nfiles_out (may be
 * NULL) receives the number of files checked.
 */
typedef void (*bundle_problem_fn)(void *ctx, const char *path, const char *problem);
int bundle_verify(const char *path, bundle_problem_fn problem, void *ctx, size_t *nfiles_out,
		  struct err *e);

/* The start time encoded in a run id ("20261127T020000Z", "...Z-2"). ERR_INVALID otherwise. */
int bundle_run_time(const char *run_id, time_t *out, struct err *e);

#endif
