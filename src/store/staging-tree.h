/*
 * staging-tree: read whole trees and stage history at a revision of the
 * staging repo (for log, show and export). Kept apart from the staging-*.c
 * files; it reaches libgit2 through staging_git_repo().
 */
#ifndef STAGING_TREE_H
#define STAGING_TREE_H

#include <stddef.h>

#include "base/err.h"

struct staging;

/*
 * Called once per file (blob) of the tree, in git's tree order: `path` is
 * relative to the work tree, `blob_hex` the blob's id (for staging_blob_use),
 * `data` the file's bytes; all borrowed, valid during the call. A non-zero return stops the walk and is returned.
 */
typedef int (*staging_blob_fn)(void *ctx, const char *path, const char *blob_hex, const void *data,
			       size_t len, struct err *e);

/*
 * Walk the files of the tree at `rev` (a commit id, "HEAD", "run/<id>"...)
 * whose path starts with `prefix` ("extract/", "pipeline.json"; NULL or ""
 * for all). Submodules and symlinks are skipped. ERR_NOTFOUND when `rev` does
 * not resolve to a commit.
 */
int staging_tree_walk(struct staging *s, const char *rev, const char *prefix, staging_blob_fn fn,
		      void *ctx, struct err *e);

/*
 * Call `fn` with the bytes of blob `blob_hex` (borrowed, valid during the
 * call; no copy is made) and return what it returns. ERR_NOTFOUND when there
 * is no such blob.
 */
typedef int (*staging_bytes_fn)(void *ctx, const void *data, size_t len, struct err *e);
int staging_blob_use(struct staging *s, const char *blob_hex, staging_bytes_fn fn, void *ctx,
		     struct err *e);

/*
 * The newest commit reachable from `rev` (itself included) whose Stage trailer
 * is `stage`: its id into oid_out (41 bytes) and, when run_id_out is not NULL,
 * its Run-Id trailer ("" when absent). ERR_NOTFOUND when there is none.
 */
int staging_find_stage_at(struct staging *s, const char *rev, const char *stage, char oid_out[41],
			  char *run_id_out, size_t run_id_len, struct err *e);

#endif
