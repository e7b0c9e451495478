/*
 * staging-write: atomic writes into the work tree (whole files, files written
 * piece by piece, appended journal lines), removals and scratch files.
 */
#include "config.h"

#include "store/staging-int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/xalloc.h"

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return -1;
	if (fsync(fd) < 0 && errno != EINVAL && errno != EROFS)
		rc = -1;
	close(fd);
	return rc;
}

/* Create the directories leading to `relpath` (already checked), mode 0700. */
static int make_parents(struct staging *s, const char *relpath, struct err *e)
{
	char *full = xasprintf("%s/%s", s->path, relpath);
	char *p = full + strlen(s->path) + 1;
	struct stat st;
	int rc = 0;

	while ((p = strchr(p, '/'))) {
		*p = '\0';
		if (mkdir(full, 0700) == 0) {
			/* The new directory's entry must reach the disk too. */
			char *slash = strrchr(full, '/');

			*slash = '\0';
			rc = fsync_dir(full) < 0
				     ? staging_io_fail(e, errno, "syncing the directory of",
						       relpath)
				     : 0;
			*slash = '/';
			if (rc < 0)
				goto out;
		} else {
			if (errno != EEXIST) {
				rc = staging_io_fail(e, errno, "creating the directory of",
						     relpath);
				goto out;
			}
			/* A symlink or file here could lead outside the work tree. */
			if (lstat(full, &st) < 0 || !S_ISDIR(st.st_mode)) {
				rc = err_set(e, ERR_INVALID,
					     "cannot write %s: '%s' is not a directory", relpath,
					     full + strlen(s->path) + 1);
				goto out;
			}
		}
		*p++ = '/';
	}
out:
	free(full);
	return rc;
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int staging_write(struct staging *s, const char *relpath, const void *data, size_t len,
		  struct err *e)
{
	char *full = NULL, *dir = NULL, *tmp = NULL;
	const char *base;
	int fd = -1, rc;

	if ((rc = staging_need_writable(s, e)) < 0 ||
	    (rc = staging_relpath_check(relpath, e)) < 0 || (rc = make_parents(s, relpath, e)) < 0)
		return rc;
	full = xasprintf("%s/%s", s->path, relpath);
	base = strrchr(full, '/') + 1;
	dir = xstrndup(full, (size_t)(base - 1 - full));
	/* Ignored by the repo's .gitignore, in case a crash leaves one behind. */
	tmp = xasprintf("%s/.%s.tmp-XXXXXX", dir, base);
	fd = mkstemp(tmp);
	if (fd < 0) {
		rc = staging_io_fail(e, errno, "writing", relpath);
		free(tmp);
		tmp = NULL;
		goto out;
	}
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	if (write_all(fd, data, len) < 0 || fsync(fd) < 0 || fchmod(fd, 0600) < 0) {
		rc = staging_io_fail(e, errno, "writing", relpath);
		goto out;
	}
	if (close(fd) < 0) {
		fd = -1;
		rc = staging_io_fail(e, errno, "writing", relpath);
		goto out;
	}
	fd = -1;
	if (rename(tmp, full) < 0) {
		rc = staging_io_fail(e, errno, "writing", relpath);
		goto out;
	}
	free(tmp);
	tmp = NULL;
	if (fsync_dir(dir) < 0)
		rc = staging_io_fail(e, errno, "syncing the directory of", relpath);
out:
	if (fd >= 0)
		close(fd);
	if (tmp) {
		unlink(tmp); /* the old file, if any, is untouched */
		free(tmp);
	}
	free(dir);
	free(full);
	return rc;
}

/* ---- files written piece by piece ---- */

#define FILE_BUF_SIZE 65536

struct staging_file {
	char *relpath; /* for messages */
	char *full;    /* the target */
	char *dir;     /* its directory */
	char *tmp;     /* the temporary file beside it */
	int fd;
	char buf[FILE_BUF_SIZE];
	size_t len;
};

static void file_free(struct staging_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	if (f->tmp)
		unlink(f->tmp); /* the old file, if any, is untouched */
	free(f->tmp);
	free(f->dir);
	free(f->full);
	free(f->relpath);
	free(f);
}

int staging_file_begin(struct staging *s, const char *relpath, struct staging_file **out,
		       struct err *e)
{
	struct staging_file *f;
	const char *base;
	int rc;

	*out = NULL;
	if ((rc = staging_need_writable(s, e)) < 0 ||
	    (rc = staging_relpath_check(relpath, e)) < 0 || (rc = make_parents(s, relpath, e)) < 0)
		return rc;
	f = xcalloc(1, sizeof(*f));
	f->relpath = xstrdup(relpath);
	f->full = xasprintf("%s/%s", s->path, relpath);
	base = strrchr(f->full, '/') + 1;
	f->dir = xstrndup(f->full, (size_t)(base - 1 - f->full));
	/* Ignored by the repo's .gitignore, in case a crash leaves one behind. */
	f->tmp = xasprintf("%s/.%s.tmp-XXXXXX", f->dir, base);
	f->fd = mkstemp(f->tmp);
	if (f->fd < 0) {
		rc = staging_io_fail(e, errno, "writing", relpath);
		free(f->tmp);
		f->tmp = NULL;
		file_free(f);
		return rc;
	}
	fcntl(f->fd, F_SETFD, FD_CLOEXEC);
	if (fchmod(f->fd, 0600) < 0) {
		rc = staging_io_fail(e, errno, "writing", relpath);
		file_free(f);
		return rc;
	}
	*out = f;
	return 0;
}

static int file_flush(struct staging_file *f, struct err *e)
{
	if (f->len && write_all(f->fd, f->buf, f->len) < 0)
		return staging_io_fail(e, errno, "writing", f->relpath);
	f->len = 0;
	return 0;
}

int staging_file_write(struct staging_file *f, const void *data, size_t len, struct err *e)
{
	int rc;

	if (f->len + len > sizeof(f->buf)) {
		if ((rc = file_flush(f, e)) < 0)
			return rc;
		if (len >= sizeof(f->buf))
			return write_all(f->fd, data, len) < 0
				       ? staging_io_fail(e, errno, "writing", f->relpath)
				       : 0;
	}
	memcpy(f->buf + f->len, data, len);
	f->len += len;
	return 0;
}

/* Whether the files `a` (open) and `b` (a path) hold the same bytes. */
static bool same_bytes(int a, const char *b)
{
	char x[65536], y[65536];
	struct stat sa, sb;
	bool same = false;
	int fb = open(b, O_RDONLY | O_CLOEXEC);

	if (fb < 0)
		return false;
	if (fstat(a, &sa) < 0 || fstat(fb, &sb) < 0 || !S_ISREG(sb.st_mode) ||
	    sa.st_size != sb.st_size || lseek(a, 0, SEEK_SET) < 0)
		goto out;
	for (;;) {
		ssize_t n = read(a, x, sizeof(x)), m, got = 0;

		if (n < 0)
			goto out;
		if (n == 0)
			break;
		while (got < n) {
			m = read(fb, y + got, (size_t)(n - got));
			if (m <= 0)
				goto out;
			got += m;
		}
		if (memcmp(x, y, (size_t)n) != 0)
			goto out;
	}
	same = true;
out:
	close(fb);
	return same;
}

int staging_file_finish(struct staging_file *f, bool *changed, struct err *e)
{
	int rc;

	if (changed)
		*changed = false;
	if ((rc = file_flush(f, e)) < 0)
		goto out;
	if (same_bytes(f->fd, f->full))
		goto out; /* file_free() drops the temporary file */
	if (fsync(f->fd) < 0) {
		rc = staging_io_fail(e, errno, "writing", f->relpath);
		goto out;
	}
	rc = close(f->fd);
	f->fd = -1;
	if (rc < 0) {
		rc = staging_io_fail(e, errno, "writing", f->relpath);
		goto out;
	}
	if (rename(f->tmp, f->full) < 0) {
		rc = staging_io_fail(e, errno, "writing", f->relpath);
		goto out;
	}
	free(f->tmp);
	f->tmp = NULL;
	if (changed)
		*changed = true;
	if (fsync_dir(f->dir) < 0)
		rc = staging_io_fail(e, errno, "syncing the directory of", f->relpath);
out:
	file_free(f);
	return rc;
}

void staging_file_abort(struct staging_file *f)
{
	if (f)
		file_free(f);
}

int staging_tmpfile(struct staging *s, FILE **out, struct err *e)
{
	char *tmp = xasprintf("%s/.git/ashby2humaans-spool-XXXXXX", s->path);
	int fd = mkstemp(tmp), rc = 0;

	*out = NULL;
	if (fd < 0) {
		rc = staging_io_fail(e, errno, "creating a temporary file in", ".git");
		goto out;
	}
	unlink(tmp);
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	*out = fdopen(fd, "w+");
	if (!*out) {
		rc = staging_io_fail(e, errno, "creating a temporary file in", ".git");
		close(fd);
	}
out:
	free(tmp);
	return rc;
}

/* Remove a file or a directory tree; returns 0 or an errno value. */
static int remove_tree(const char *path)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int rc = 0;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : errno;
	if (!S_ISDIR(st.st_mode))
		return unlink(path) < 0 && errno != ENOENT ? errno : 0;
	d = opendir(path);
	if (!d)
		return errno;
	while (!rc && (de = readdir(d))) {
		char *child;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		child = xasprintf("%s/%s", path, de->d_name);
		rc = remove_tree(child);
		free(child);
	}
	closedir(d);
	if (!rc && rmdir(path) < 0)
		rc = errno;
	return rc;
}

int staging_remove(struct staging *s, const char *relpath, struct err *e)
{
	char *full, *slash;
	int rc;

	if ((rc = staging_need_writable(s, e)) < 0 || (rc = staging_relpath_check(relpath, e)) < 0)
		return rc;
	full = xasprintf("%s/%s", s->path, relpath);
	rc = remove_tree(full);
	if (rc) {
		rc = staging_io_fail(e, rc, "removing", relpath);
	} else {
		slash = strrchr(full, '/');
		*slash = '\0';
		if (fsync_dir(full) < 0 && errno != ENOENT)
			rc = staging_io_fail(e, errno, "syncing the directory of", relpath);
	}
	free(full);
	return rc;
}

int staging_append_line(struct staging *s, const char *relpath, const char *line, struct err *e)
{
	char *full = NULL;
	size_t n = strlen(line);
	struct stat st;
	bool is_new;
	int fd = -1, rc;

	if ((rc = staging_need_writable(s, e)) < 0 ||
	    (rc = staging_relpath_check(relpath, e)) < 0 || (rc = make_parents(s, relpath, e)) < 0)
		return rc;
	if (memchr(line, '\n', n) && (n == 0 || memchr(line, '\n', n - 1)))
		return err_set(e, ERR_INVALID, "cannot append to %s: a line break inside the line",
			       relpath);
	full = xasprintf("%s/%s", s->path, relpath);
	is_new = lstat(full, &st) < 0;
	fd = open(full, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || write_all(fd, line, n) < 0 ||
	    ((n == 0 || line[n - 1] != '\n') && write_all(fd, "\n", 1) < 0) || fsync(fd) < 0) {
		rc = staging_io_fail(e, errno, "appending to", relpath);
		goto out;
	}
	if (is_new) {
		*strrchr(full, '/') = '\0';
		if (fsync_dir(full) < 0)
			rc = staging_io_fail(e, errno, "syncing the directory of", relpath);
	}
out:
	if (fd >= 0 && close(fd) < 0 && !rc)
		rc = staging_io_fail(e, errno, "appending to", relpath);
	free(full);
	return rc;
}
