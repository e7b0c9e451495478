/*
 * staging: the git repository that holds every run's snapshots (libgit2).
 *
 * Layout and commit conventions are in DESIGN.md and docs/ARCHITECTURE.md.
 * The repo holds personal data: it is created mode 0700 and files 0600, and
 * no credential is ever written into it.
 *
 * A process that changes the repo holds an exclusive lock
 * (`.git/ashby2humaans.lock`, flock plus the holder's pid written inside), so
 * two runs cannot interleave; a second one fails with ERR_LOCKED naming the pid.
 * Every file is written atomically (temp file in the same directory, fsync,
 * rename, fsync of the directory), so an interrupted run never leaves a
 * half-written snapshot. Commits are signed by the tool itself
 * ("ashby2humaans <ashby2humaans@localhost>") so no git identity is needed.
 */
#ifndef STAGING_H
#define STAGING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "base/buf.h"
#include "base/err.h"

struct staging;

/* A commit trailer "Key: value". */
struct trailer {
	const char *key;
	const char *value;
};

/*
 * Create the staging repo at `dir` (mode 0700), copy `pipeline_src` to
 * pipeline.json and make the first commit (stage `init`), then tag
 * run/<run_id> (`run_id` NULL: a fresh one). When `dir` already holds a
 * staging repo nothing changes and *created is false. `dir` may be absent or
 * empty (its parent must exist); a non-empty directory that is not a staging
 * repo is refused (ERR_INVALID). An init interrupted before its commit is
 * finished.
 */
int staging_init(const char *dir, const char *pipeline_src, const char *run_id, bool *created,
		 struct err *e);

/*
 * Open an existing staging repo and take its lock. Caller closes with
 * staging_close(), which releases the lock. ERR_NOTFOUND when `dir` is not a
 * git work tree; ERR_LOCKED ("staging repo 'DIR' is locked by pid N (another
 * ashby2humaans run)") when another process holds it.
 */
int staging_open(struct staging **out, const char *dir, struct err *e);
/*
 * The same, waiting up to `wait_ms` milliseconds for another process to
 * release the lock (the nightly run and `serve` share a repo); ERR_LOCKED
 * when it is still held then.
 */
int staging_open_wait(struct staging **out, const char *dir, long wait_ms, struct err *e);
/* Open without the lock, for read-only commands (log, show, export). Writes through it fail. */
int staging_open_readonly(struct staging **out, const char *dir, struct err *e);
void staging_close(struct staging *s);

/* The work tree's path. Borrowed, valid until staging_close(). */
const char *staging_path(const struct staging *s);

/*
 * Write `relpath` (relative to the work tree, no "..", no absolute path, no
 * control characters) atomically with mode 0600, creating directories.
 * Every function taking a relpath refuses (ERR_INVALID) an absolute path,
 * an empty, "." or ".." component, a ".git" component, a backslash or a
 * control character. On a write error (ERR_IO, "no space left on device
 * writing extract/x.json") the old file is left intact.
 */
int staging_write(struct staging *s, const char *relpath, const void *data, size_t len,
		  struct err *e);
/* Read a work-tree file into `out` (appended). ERR_NOTFOUND when absent. */
int staging_read(struct staging *s, const char *relpath, struct buf *out, struct err *e);
/*
 * The SHA-256 (64 hex digits) of a work-tree file. When `keep` is not NULL the
 * bytes are also appended to it, so a caller can hash and use one read.
 * ERR_NOTFOUND when absent.
 */
int staging_sha256(struct staging *s, const char *relpath, char out[65], struct buf *keep,
		   struct err *e);
/*
 * A work-tree file written piece by piece (a large snapshot), with the same
 * guarantees as staging_write(): the bytes go to a temporary file beside the
 * target, and staging_file_finish() puts it in place (fsync, rename, fsync of
 * the directory) unless the target already holds exactly these bytes, which
 * *changed (may be NULL) reports. Writes are buffered. finish and abort free
 * `f` whatever happens; after a failure the old file is left as it was.
 */
struct staging_file;
int staging_file_begin(struct staging *s, const char *relpath, struct staging_file **out,
		       struct err *e);
int staging_file_write(struct staging_file *f, const void *data, size_t len, struct err *e);
int staging_file_finish(struct staging_file *f, bool *changed, struct err *e);
void staging_file_abort(struct staging_file *f); /* NULL is fine */

/* Open a work-tree file for reading as a stdio stream (caller fcloses). ERR_NOTFOUND when absent. */
int staging_fopen(struct staging *s, const char *relpath, FILE **out, struct err *e);
/*
 * An anonymous read-write temporary file inside the repo's .git directory
 * (owner-only, already unlinked: it vanishes when closed or when the process
 * dies), for data too large for memory that must not go to /tmp.
 */
int staging_tmpfile(struct staging *s, FILE **out, struct err *e);

/* Remove a work-tree file or directory tree; absent is not an error. */
int staging_remove(struct staging *s, const char *relpath, struct err *e);
/* Append one line to a file and fsync it (the load journal). A final "\n" is added when missing. */
int staging_append_line(struct staging *s, const char *relpath, const char *line, struct err *e);

/*
 * Commit every change under `paths` (NULL-terminated list of work-tree
 * prefixes such as "extract/"; additions, changes and deletions) with the
 * message: `subject`, a blank line, optional `body`, a blank line, then the
 * trailers Run-Id, Stage, Tool-Version and `extra`. When nothing changed no
 * commit is made and *committed is false. `oid_out` (41 bytes) receives the
 * new HEAD (or the unchanged one). `paths` NULL means the whole work tree.
 * The commit compares trees with HEAD, so an unchanged snapshot adds nothing.
 */
int staging_commit(struct staging *s, const char *const *paths, const char *stage,
		   const char *run_id, const char *subject, const char *body,
		   const struct trailer *extra, size_t nextra, char oid_out[41], bool *committed,
		   struct err *e);

/* A fresh, unique run id: UTC "YYYYMMDDTHHMMSSZ", with "-2", "-3"... when a tag exists. `s` may be NULL (no check). */
int staging_new_run_id(struct staging *s, char *out, size_t outlen, struct err *e);
/*
 * The same, never equal to `taken` (a run id handed out but not tagged yet:
 * the night's run, when its retention erasure needs an id of its own).
 */
int staging_new_run_id_besides(struct staging *s, const char *taken, char *out, size_t outlen,
			       struct err *e);

/* End a run: annotated tag run/<run_id> on HEAD whose message is `message`. */
int staging_tag_run(struct staging *s, const char *run_id, const char *message, struct err *e);

/* HEAD's commit id (41 bytes). ERR_NOTFOUND on an empty repo. */
int staging_head(struct staging *s, char oid_out[41], struct err *e);

/*
 * Read `relpath` as it was at `rev` (a commit id, "HEAD", a tag such as
 * "run/2026..."). Appends to `out`. ERR_NOTFOUND when absent at that revision.
 */
int staging_read_at(struct staging *s, const char *rev, const char *relpath, struct buf *out,
		    struct err *e);

/*
 * List the run tags, newest first. Calls `fn` with the run id, the tag
 * message and the tagged commit id; stops early when `fn` returns non-zero.
 * Returns 0 (also after an early stop with a positive value), a negative
 * value returned by `fn`, or a negative code with `e` filled.
 * Pointers passed to `fn` are borrowed for the call.
 */
typedef int (*staging_run_fn)(void *ctx, const char *run_id, const char *message,
			      const char *commit_hex);
int staging_list_runs(struct staging *s, staging_run_fn fn, void *ctx, struct err *e);

/*
 * Walk the commits of one run (those whose Run-Id trailer is run_id), oldest
 * first, calling `fn` with the commit id, Stage trailer and full message.
 * Return value and early stop as staging_list_runs().
 */
typedef int (*staging_commit_fn)(void *ctx, const char *commit_hex, const char *stage,
				 const char *message);
int staging_run_commits(struct staging *s, const char *run_id, staging_commit_fn fn, void *ctx,
			struct err *e);
/*
 * The last commit of stage `stage` (a Stage trailer) made by run `run_id`,
 * into oid_out (40 hex digits); "" when the run made none or is not in
 * HEAD's history.
 */
int staging_run_stage_commit(struct staging *s, const char *run_id, const char *stage,
			     char oid_out[41], struct err *e);

/*
 * Find the newest commit on HEAD's history whose Stage trailer is `stage`
 * (e.g. "plan"); fills oid_out and, when run_id_out is not NULL, its Run-Id.
 * ERR_NOTFOUND when there is none.
 */
int staging_find_stage(struct staging *s, const char *stage, char oid_out[41], char *run_id_out,
		       size_t run_id_len, struct err *e);

/*
 * Resolve a revision (commit id prefix, tag name, "run/<id>", a bare run id
 * meaning "run/<id>", "HEAD") to a commit id. ERR_NOTFOUND when unknown.
 */
int staging_resolve(struct staging *s, const char *rev, char oid_out[41], struct err *e);

/*
 * Put the git directory `newdir` (a complete repository built beside the old
 * one, e.g. by forget) in place of the work tree's .git in one atomic
 * exchange; the old directory is then at `newdir` for the caller to remove.
 * The lock moves to the new directory and the handle is reopened on it (the
 * libgit2 repository of staging_git_repo() changes).
 */
int staging_swap_gitdir(struct staging *s, const char *newdir, struct err *e);

/* Low level: the libgit2 repository, borrowed. Declared as void to keep git2.h out of users. */
void *staging_git_repo(struct staging *s);

#endif
