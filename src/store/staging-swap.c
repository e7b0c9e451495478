/*
 * staging-swap: putting a rebuilt .git directory in place of the old one in
 * one step (forget's rewrite, store/erase.h). The exchange is atomic
 * (renameat2 RENAME_EXCHANGE): at every instant `.git` is either the old
 * directory or the new one, never missing or half-built.
 */
#define _GNU_SOURCE /* renameat2 */
#include "config.h"

#include "store/staging-int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "base/xalloc.h"

int staging_swap_gitdir(struct staging *s, const char *newdir, struct err *e)
{
	char *gitdir = xasprintf("%s/.git", s->path);
	char *lock = xasprintf("%s/ashby2humaans.lock", newdir);
	char pid[32];
	int fd = -1, dfd = -1, rc = 0, n;

	if ((rc = staging_need_writable(s, e)) < 0)
		goto out;
	/* The new directory's lock is ours before anyone can see it. */
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0 || ftruncate(fd, 0) < 0 ||
	    pwrite(fd, pid, (size_t)n, 0) != n) {
		rc = err_set(e, ERR_IO, "cannot lock the rebuilt repository of '%s': %s", s->name,
			     strerror(errno));
		goto out;
	}
	if (renameat2(AT_FDCWD, newdir, AT_FDCWD, gitdir, RENAME_EXCHANGE) < 0) {
		rc = err_set(e, ERR_IO, "cannot put the rewritten repository in place in '%s': %s",
			     s->name, strerror(errno));
		goto out;
	}
	dfd = open(s->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	/* From here the old directory (now at `newdir`) is garbage; the new lock is held. */
	close(s->lock_fd);
	s->lock_fd = fd;
	fd = -1;
	git_repository_free(s->repo);
	s->repo = NULL;
	rc = git_repository_open_ext(&s->repo, s->path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL);
	if (rc < 0)
		rc = staging_git_fail(e, rc, "cannot open the rewritten staging repo '%s'",
				      s->name);
out:
	if (fd >= 0)
		close(fd);
	free(lock);
	free(gitdir);
	return rc;
}
