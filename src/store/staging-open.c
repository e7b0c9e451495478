/* staging-open: opening and closing a staging repo (with or without its lock). */
#include "config.h"

#include "store/staging-int.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/xalloc.h"

static int staging_open_mode(struct staging **out, const char *dir, bool lock, long wait_ms,
			     struct err *e)
{
	struct staging *s;
	const char *wd;
	size_t n;
	int rc;

	*out = NULL;
	s = xcalloc(1, sizeof(*s));
	s->lock_fd = -1;
	s->name = xstrdup(dir);
	/* Objects and refs reach the disk before a commit is reported. */
	git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1);
	rc = git_repository_open_ext(&s->repo, dir, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL);
	if (rc == GIT_ENOTFOUND) {
		rc = err_set(e, ERR_NOTFOUND,
			     "no staging repo in '%s': create it with 'ashby2humaans init %s'", dir,
			     dir);
		goto fail;
	}
	if (rc < 0) {
		rc = staging_git_fail(e, rc, "cannot open staging repo '%s'", dir);
		goto fail;
	}
	wd = git_repository_workdir(s->repo);
	if (!wd) {
		rc = err_set(e, ERR_INVALID, "'%s' is a bare git repository, not a staging repo",
			     dir);
		goto fail;
	}
	n = strlen(wd);
	while (n > 1 && wd[n - 1] == '/')
		n--;
	s->path = xstrndup(wd, n);
	if (lock && (rc = staging_lock(s, wait_ms, e)) < 0)
		goto fail;
	*out = s;
	return 0;
fail:
	staging_close(s);
	return rc;
}

int staging_open(struct staging **out, const char *dir, struct err *e)
{
	return staging_open_mode(out, dir, true, 0, e);
}

int staging_open_wait(struct staging **out, const char *dir, long wait_ms, struct err *e)
{
	return staging_open_mode(out, dir, true, wait_ms, e);
}

int staging_open_readonly(struct staging **out, const char *dir, struct err *e)
{
	return staging_open_mode(out, dir, false, 0, e);
}

void staging_close(struct staging *s)
{
	if (!s)
		return;
	if (s->lock_fd >= 0) {
		/* An empty lock file means "nobody": no stale pid is ever shown. */
		if (ftruncate(s->lock_fd, 0) < 0) {
			/* harmless: the next holder rewrites it */
		}
		close(s->lock_fd); /* releases the flock */
	}
	git_repository_free(s->repo);
	free(s->path);
	free(s->name);
	free(s);
}

const char *staging_path(const struct staging *s)
{
	return s->path;
}

void *staging_git_repo(struct staging *s)
{
	return s->repo;
}
