/*
 * staging-int: what the staging-*.c files share and nobody else sees (only
 * files in src/store/ include it): the handle itself and the checks every
 * entry point makes first. The public interface is staging.h.
 */
#ifndef STAGING_INT_H
#define STAGING_INT_H

#include <stdbool.h>

#include <git2.h>

#include "base/err.h"
#include "store/staging.h"

#define READ_MAX ((size_t)1 << 30) /* a staged file larger than 1 GiB is not ours */

struct staging {
	git_repository *repo;
	char *path;  /* the work tree, absolute, no trailing slash */
	char *name;  /* the directory as the user gave it, for messages */
	int lock_fd; /* -1 when opened read-only */
};

/* Translate the last libgit2 error into `e`; `fmt` says what was being done. */
__attribute__((format(printf, 3, 4))) int staging_git_fail(struct err *e, int gitrc,
							   const char *fmt, ...);
/* A file system error (errno `errnum`) while `doing` something to `relpath`. */
int staging_io_fail(struct err *e, int errnum, const char *doing, const char *relpath);
/* ERR_INVALID unless `relpath` stays inside the work tree (see staging_write()). */
int staging_relpath_check(const char *relpath, struct err *e);
/* ERR_FAIL when `s` was opened read-only. */
int staging_need_writable(const struct staging *s, struct err *e);

/* Take the repo's lock (s->lock_fd); ERR_LOCKED naming the holder when taken. */
/* Take the lock, waiting up to `wait_ms` milliseconds (0: fail at once) for its holder. */
int staging_lock(struct staging *s, long wait_ms, struct err *e);

/* Run ids: "YYYYMMDDTHHMMSSZ" with an optional "-N". Tag names are built from them. */
bool staging_run_id_valid(const char *id);
/* Run ids in time order: the base, then the suffix as a number ("-10" after "-9"). */
int staging_run_id_cmp(const char *a, const char *b);
/* Whether tag run/<run_id> exists. */
int staging_tag_exists(struct staging *s, const char *run_id, bool *exists, struct err *e);

#endif
