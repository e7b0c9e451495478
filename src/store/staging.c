/*
 * staging: the git repository of snapshots, through libgit2 1.5.
 *
 * libgit2 errors are translated into a struct err in one place (git_fail).
 * Paths handed to this module come partly from Ashby (file names), so every
 * relative path is checked (relpath_check) before it touches the file system:
 * nothing may escape the work tree or reach into .git.
 */
#define _DEFAULT_SOURCE /* flock(2): POSIX has only fcntl locks, which fork and close lose */
#include "config.h"

#include "store/staging.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <git2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/hash.h"
#include "base/xalloc.h"

#define LOCK_NAME "ashby2humaans.lock"
#define SIG_NAME "ashby2humaans"
#define SIG_EMAIL "ashby2humaans@localhost"
#define RELPATH_MAX 4096
#define READ_MAX ((size_t)1 << 30) /* a staged file larger than 1 GiB is not ours */

struct staging {
	git_repository *repo;
	char *path;  /* the work tree, absolute, no trailing slash */
	char *name;  /* the directory as the user gave it, for messages */
	int lock_fd; /* -1 when opened read-only */
};

/* Translate the last libgit2 error; `fmt` says what was being done. */
__attribute__((format(printf, 3, 4))) static int git_fail(struct err *e, int gitrc, const char *fmt,
							  ...)
{
	const git_error *ge = git_error_last();
	char what[512];
	va_list ap;
	int code = ERR_FAIL;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (gitrc == GIT_ENOTFOUND || gitrc == GIT_EUNBORNBRANCH)
		code = ERR_NOTFOUND;
	else if (gitrc == GIT_EEXISTS || gitrc == GIT_EAMBIGUOUS || gitrc == GIT_EINVALIDSPEC)
		code = ERR_INVALID;
	else if (ge && ge->klass == GIT_ERROR_OS)
		code = ERR_IO;
	return err_set(e, code, "%s: %s", what,
		       ge && ge->message && *ge->message ? ge->message : "libgit2 error");
}

/* File system errors, with the one users most need to recognise spelled out. */
static int io_fail(struct err *e, int errnum, const char *doing, const char *relpath)
{
	if (errnum == ENOSPC)
		return err_set(e, ERR_IO, "no space left on device %s %s", doing, relpath);
#ifdef EDQUOT
	if (errnum == EDQUOT)
		return err_set(e, ERR_IO, "disk quota exceeded %s %s", doing, relpath);
#endif
	return err_set(e, ERR_IO, "%s %s: %s", doing, relpath, strerror(errnum));
}

/* A printable copy of a possibly hostile path, for messages. */
static const char *path_shown(const char *p, char *out, size_t outlen)
{
	size_t o = 0;

	for (; *p && o + 5 < outlen; p++) {
		unsigned char c = (unsigned char)*p;

		if (c < 0x20 || c == 0x7f || c == '\\')
			o += (size_t)snprintf(out + o, outlen - o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
	return out;
}

/*
 * A path relative to the work tree that cannot leave it: not absolute, no
 * empty, "." or ".." component, no ".git" component, no backslash, no
 * control character.
 */
static int relpath_check(const char *relpath, struct err *e)
{
	char shown[256];
	const char *p, *comp;
	size_t n;

	if (!relpath || !*relpath)
		return err_set(e, ERR_INVALID, "empty path refused in the staging repo");
	path_shown(relpath, shown, sizeof(shown));
	if (strlen(relpath) > RELPATH_MAX)
		return err_set(e, ERR_INVALID, "path too long refused in the staging repo: '%s'",
			       shown);
	if (relpath[0] == '/')
		return err_set(e, ERR_INVALID, "absolute path '%s' refused in the staging repo",
			       shown);
	for (p = relpath; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c < 0x20 || c == 0x7f)
			return err_set(
				e, ERR_INVALID,
				"path '%s' with a control character refused in the staging repo",
				shown);
		if (c == '\\')
			return err_set(e, ERR_INVALID,
				       "path '%s' with a backslash refused in the staging repo",
				       shown);
	}
	for (comp = relpath;; comp = p + 1) {
		p = strchr(comp, '/');
		n = p ? (size_t)(p - comp) : strlen(comp);
		if (n == 0)
			return err_set(
				e, ERR_INVALID,
				"path '%s' with an empty component refused in the staging repo",
				shown);
		if ((n == 1 && comp[0] == '.') || (n == 2 && comp[0] == '.' && comp[1] == '.'))
			return err_set(e, ERR_INVALID,
				       "path '%s' with a '.' or '..' component refused in the "
				       "staging repo",
				       shown);
		if (n == 4 && strncasecmp(comp, ".git", 4) == 0)
			return err_set(e, ERR_INVALID,
				       "path '%s' inside .git refused in the staging repo", shown);
		if (!p)
			break;
	}
	return 0;
}

static int need_writable(const struct staging *s, struct err *e)
{
	if (s->lock_fd < 0)
		return err_set(e, ERR_FAIL, "staging repo '%s' was opened read-only", s->name);
	return 0;
}

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
				     ? io_fail(e, errno, "syncing the directory of", relpath)
				     : 0;
			*slash = '/';
			if (rc < 0)
				goto out;
		} else {
			if (errno != EEXIST) {
				rc = io_fail(e, errno, "creating the directory of", relpath);
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

	if ((rc = need_writable(s, e)) < 0 || (rc = relpath_check(relpath, e)) < 0 ||
	    (rc = make_parents(s, relpath, e)) < 0)
		return rc;
	full = xasprintf("%s/%s", s->path, relpath);
	base = strrchr(full, '/') + 1;
	dir = xstrndup(full, (size_t)(base - 1 - full));
	/* Ignored by the repo's .gitignore, in case a crash leaves one behind. */
	tmp = xasprintf("%s/.%s.tmp-XXXXXX", dir, base);
	fd = mkstemp(tmp);
	if (fd < 0) {
		rc = io_fail(e, errno, "writing", relpath);
		free(tmp);
		tmp = NULL;
		goto out;
	}
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	if (write_all(fd, data, len) < 0 || fsync(fd) < 0 || fchmod(fd, 0600) < 0) {
		rc = io_fail(e, errno, "writing", relpath);
		goto out;
	}
	if (close(fd) < 0) {
		fd = -1;
		rc = io_fail(e, errno, "writing", relpath);
		goto out;
	}
	fd = -1;
	if (rename(tmp, full) < 0) {
		rc = io_fail(e, errno, "writing", relpath);
		goto out;
	}
	free(tmp);
	tmp = NULL;
	if (fsync_dir(dir) < 0)
		rc = io_fail(e, errno, "syncing the directory of", relpath);
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
	if ((rc = need_writable(s, e)) < 0 || (rc = relpath_check(relpath, e)) < 0 ||
	    (rc = make_parents(s, relpath, e)) < 0)
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
		rc = io_fail(e, errno, "writing", relpath);
		free(f->tmp);
		f->tmp = NULL;
		file_free(f);
		return rc;
	}
	fcntl(f->fd, F_SETFD, FD_CLOEXEC);
	if (fchmod(f->fd, 0600) < 0) {
		rc = io_fail(e, errno, "writing", relpath);
		file_free(f);
		return rc;
	}
	*out = f;
	return 0;
}

static int file_flush(struct staging_file *f, struct err *e)
{
	if (f->len && write_all(f->fd, f->buf, f->len) < 0)
		return io_fail(e, errno, "writing", f->relpath);
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
				       ? io_fail(e, errno, "writing", f->relpath)
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
		rc = io_fail(e, errno, "writing", f->relpath);
		goto out;
	}
	rc = close(f->fd);
	f->fd = -1;
	if (rc < 0) {
		rc = io_fail(e, errno, "writing", f->relpath);
		goto out;
	}
	if (rename(f->tmp, f->full) < 0) {
		rc = io_fail(e, errno, "writing", f->relpath);
		goto out;
	}
	free(f->tmp);
	f->tmp = NULL;
	if (changed)
		*changed = true;
	if (fsync_dir(f->dir) < 0)
		rc = io_fail(e, errno, "syncing the directory of", f->relpath);
out:
	file_free(f);
	return rc;
}

void staging_file_abort(struct staging_file *f)
{
	if (f)
		file_free(f);
}

int staging_fopen(struct staging *s, const char *relpath, FILE **out, struct err *e)
{
	char *full;
	struct stat st;
	FILE *f = NULL;
	int rc;

	*out = NULL;
	if ((rc = relpath_check(relpath, e)) < 0)
		return rc;
	full = xasprintf("%s/%s", s->path, relpath);
	f = fopen(full, "re");
	if (!f) {
		if (errno == ENOENT)
			rc = err_set(e, ERR_NOTFOUND, "%s not found in staging repo '%s'", relpath,
				     s->name);
		else
			rc = io_fail(e, errno, "reading", relpath);
	} else if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode)) {
		rc = err_set(e, ERR_INVALID, "cannot read %s: not a regular file", relpath);
		fclose(f);
		f = NULL;
	}
	free(full);
	*out = f;
	return rc;
}

int staging_tmpfile(struct staging *s, FILE **out, struct err *e)
{
	char *tmp = xasprintf("%s/.git/ashby2humaans-spool-XXXXXX", s->path);
	int fd = mkstemp(tmp), rc = 0;

	*out = NULL;
	if (fd < 0) {
		rc = io_fail(e, errno, "creating a temporary file in", ".git");
		goto out;
	}
	unlink(tmp);
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	*out = fdopen(fd, "w+");
	if (!*out) {
		rc = io_fail(e, errno, "creating a temporary file in", ".git");
		close(fd);
	}
out:
	free(tmp);
	return rc;
}

int staging_read(struct staging *s, const char *relpath, struct buf *out, struct err *e)
{
	char *full = NULL;
	char chunk[65536];
	struct stat st;
	int fd = -1, rc;

	if ((rc = relpath_check(relpath, e)) < 0)
		return rc;
	full = xasprintf("%s/%s", s->path, relpath);
	/* Never through a symbolic link: a parse error would describe another file. */
	fd = open(full, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ELOOP)
			rc = err_set(e, ERR_INVALID,
				     "%s: refusing to read it through a symbolic link", relpath);
		else if (errno == ENOENT)
			rc = err_set(e, ERR_NOTFOUND, "%s not found in staging repo '%s'", relpath,
				     s->name);
		else
			rc = io_fail(e, errno, "reading", relpath);
		goto out;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		rc = err_set(e, ERR_INVALID, "cannot read %s: not a regular file", relpath);
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = io_fail(e, errno, "reading", relpath);
			goto out;
		}
		if (n == 0)
			break;
		if (out->len + (size_t)n > READ_MAX || buf_add(out, chunk, (size_t)n) < 0) {
			rc = err_set(e, ERR_FAIL, "cannot read %s: file too large", relpath);
			goto out;
		}
	}
out:
	if (fd >= 0)
		close(fd);
	free(full);
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

int staging_sha256(struct staging *s, const char *relpath, char out[65], struct buf *keep,
		   struct err *e)
{
	struct buf b = BUF_INIT;
	int rc;

	if (!keep) {
		/* A chunk at a time: a snapshot may be tens of megabytes. */
		struct sha256_ctx *c;
		char chunk[65536];
		FILE *f;
		size_t n;

		rc = staging_fopen(s, relpath, &f, e);
		if (rc < 0)
			return rc;
		c = sha256_begin();
		while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
			sha256_add(c, chunk, n);
		if (ferror(f))
			rc = io_fail(e, errno, "reading", relpath);
		sha256_end(c, out);
		fclose(f);
		return rc;
	}
	rc = staging_read(s, relpath, &b, e);

	if (rc == 0) {
		sha256_hex(b.data, b.len, out);
		if (keep && buf_add(keep, b.data, b.len) < 0)
			rc = err_set(e, ERR_IO, "%s: too large to keep in memory", relpath);
	}
	buf_release(&b);
	return rc;
}

int staging_remove(struct staging *s, const char *relpath, struct err *e)
{
	char *full, *slash;
	int rc;

	if ((rc = need_writable(s, e)) < 0 || (rc = relpath_check(relpath, e)) < 0)
		return rc;
	full = xasprintf("%s/%s", s->path, relpath);
	rc = remove_tree(full);
	if (rc) {
		rc = io_fail(e, rc, "removing", relpath);
	} else {
		slash = strrchr(full, '/');
		*slash = '\0';
		if (fsync_dir(full) < 0 && errno != ENOENT)
			rc = io_fail(e, errno, "syncing the directory of", relpath);
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

	if ((rc = need_writable(s, e)) < 0 || (rc = relpath_check(relpath, e)) < 0 ||
	    (rc = make_parents(s, relpath, e)) < 0)
		return rc;
	if (memchr(line, '\n', n) && (n == 0 || memchr(line, '\n', n - 1)))
		return err_set(e, ERR_INVALID, "cannot append to %s: a line break inside the line",
			       relpath);
	full = xasprintf("%s/%s", s->path, relpath);
	is_new = lstat(full, &st) < 0;
	fd = open(full, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || write_all(fd, line, n) < 0 ||
	    ((n == 0 || line[n - 1] != '\n') && write_all(fd, "\n", 1) < 0) || fsync(fd) < 0) {
		rc = io_fail(e, errno, "appending to", relpath);
		goto out;
	}
	if (is_new) {
		*strrchr(full, '/') = '\0';
		if (fsync_dir(full) < 0)
			rc = io_fail(e, errno, "syncing the directory of", relpath);
	}
out:
	if (fd >= 0 && close(fd) < 0 && !rc)
		rc = io_fail(e, errno, "appending to", relpath);
	free(full);
	return rc;
}

/* The lock */

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* The holder's pid, or 0 when it has not written it yet (it may be just starting). */
static long lock_holder(int fd)
{
	char text[32];
	int tries;

	for (tries = 0; tries < 100; tries++) {
		ssize_t n = pread(fd, text, sizeof(text) - 1, 0);
		long pid;
		char *end;

		if (n > 0) {
			text[n] = '\0';
			pid = strtol(text, &end, 10);
			if (pid > 0 && end != text)
				return pid;
		}
		sleep_ms(10);
	}
	return 0;
}

static int staging_lock(struct staging *s, struct err *e)
{
	char *path = xasprintf("%s" LOCK_NAME, git_repository_path(s->repo));
	char pid[32];
	int fd, rc = 0, n;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		rc = err_set(e, ERR_IO, "cannot open the lock of staging repo '%s': %s", s->name,
			     strerror(errno));
		goto out;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		long holder;

		if (errno != EWOULDBLOCK && errno != EAGAIN) {
			rc = err_set(e, ERR_IO, "cannot lock staging repo '%s': %s", s->name,
				     strerror(errno));
			goto out;
		}
		holder = lock_holder(fd);
		if (holder)
			rc = err_set(e, ERR_LOCKED,
				     "staging repo '%s' is locked by pid %ld (another "
				     "ashby2humaans run)",
				     s->name, holder);
		else
			rc = err_set(e, ERR_LOCKED,
				     "staging repo '%s' is locked by another ashby2humaans run",
				     s->name);
		goto out;
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
		rc = err_set(e, ERR_IO, "cannot write the lock of staging repo '%s': %s", s->name,
			     strerror(errno));
		goto out;
	}
	s->lock_fd = fd;
	fd = -1;
out:
	if (fd >= 0)
		close(fd);
	free(path);
	return rc;
}

/* Opening */

static int staging_open_mode(struct staging **out, const char *dir, bool lock, struct err *e)
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
		rc = git_fail(e, rc, "cannot open staging repo '%s'", dir);
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
	if (lock && (rc = staging_lock(s, e)) < 0)
		goto fail;
	*out = s;
	return 0;
fail:
	staging_close(s);
	return rc;
}

int staging_open(struct staging **out, const char *dir, struct err *e)
{
	return staging_open_mode(out, dir, true, e);
}

int staging_open_readonly(struct staging **out, const char *dir, struct err *e)
{
	return staging_open_mode(out, dir, false, e);
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

/* Run ids: "YYYYMMDDTHHMMSSZ" with an optional "-N". Tag names are built from them. */
static bool run_id_valid(const char *id)
{
	const char *p;

	if (!id || !*id || strlen(id) >= 48 || id[0] == '-')
		return false;
	for (p = id; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= 'a' && *p <= 'z') || *p == '-'))
			return false;
	return true;
}

/* Run ids in time order: the base, then the suffix as a number ("-10" after "-9"). */
static int run_id_cmp(const char *a, const char *b)
{
	const char *da = strchr(a, '-'), *db = strchr(b, '-');
	size_t la = da ? (size_t)(da - a) : strlen(a), lb = db ? (size_t)(db - b) : strlen(b);
	long na = da ? strtol(da + 1, NULL, 10) : 1, nb = db ? strtol(db + 1, NULL, 10) : 1;
	int c = strncmp(a, b, la < lb ? la : lb);

	if (c)
		return c;
	if (la != lb)
		return la < lb ? -1 : 1;
	if (na != nb)
		return na < nb ? -1 : 1;
	return strcmp(a, b);
}

static int tag_exists(struct staging *s, const char *run_id, bool *exists, struct err *e)
{
	char *ref = xasprintf("refs/tags/run/%s", run_id);
	git_oid oid;
	int rc = git_reference_name_to_id(&oid, s->repo, ref);

	*exists = rc == 0;
	if (rc == GIT_ENOTFOUND)
		rc = 0;
	else if (rc < 0)
		rc = git_fail(e, rc, "cannot look up tag run/%s", run_id);
	free(ref);
	return rc;
}

int staging_new_run_id(struct staging *s, char *out, size_t outlen, struct err *e)
{
	char base[32], id[48];
	time_t now = time(NULL);
	struct tm tm;
	bool exists = false;
	int n, rc;

	if (!gmtime_r(&now, &tm) || strftime(base, sizeof(base), "%Y%m%dT%H%M%SZ", &tm) == 0)
		return err_set(e, ERR_FAIL, "cannot format the current time as a run id");
	for (n = 1; n < 100000; n++) {
		if (n == 1)
			snprintf(id, sizeof(id), "%s", base);
		else
			snprintf(id, sizeof(id), "%s-%d", base, n);
		if (!s)
			break;
		if ((rc = tag_exists(s, id, &exists, e)) < 0)
			return rc;
		if (!exists)
			break;
	}
	if (exists)
		return err_set(e, ERR_FAIL, "no free run id for %s", base);
	if (strlen(id) >= outlen)
		return err_set(e, ERR_FAIL, "run id buffer too small");
	memcpy(out, id, strlen(id) + 1);
	return 0;
}

/* Commits and tags */

static bool has_newline(const char *s)
{
	return s && strpbrk(s, "\r\n");
}

static int trailer_check(const char *key, const char *value, struct err *e)
{
	const char *p;

	if (!key || !*key || !value)
		return err_set(e, ERR_INVALID, "commit trailer without a key or value");
	for (p = key; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= 'a' && *p <= 'z') || *p == '-'))
			return err_set(e, ERR_INVALID, "commit trailer key '%s' is not a word",
				       key);
	if (has_newline(value))
		return err_set(e, ERR_INVALID, "commit trailer %s has a line break", key);
	return 0;
}

/*
 * Bring the index in line with the work tree under `ps` (all of it when NULL):
 * new and changed files added, deleted ones removed, ignored files left out;
 * what git_index_add_all() and git_index_update_all() do together. Those walk
 * their diff with git_diff_foreach(), which loads every changed file and its
 * old blob whole to tell whether it is binary: a 36 MB plan.json cost over
 * 150 MB. Here the diff skips that check and each file is added by path,
 * which streams it into the object database.
 */
static int index_sync(git_repository *repo, git_index *idx, const git_strarray *ps)
{
	git_diff_options o;
	git_diff *diff = NULL;
	size_t i, n;
	int rc;

	if ((rc = git_diff_options_init(&o, GIT_DIFF_OPTIONS_VERSION)) < 0)
		return rc;
	o.flags = GIT_DIFF_INCLUDE_UNTRACKED | GIT_DIFF_RECURSE_UNTRACKED_DIRS |
		  GIT_DIFF_INCLUDE_TYPECHANGE | GIT_DIFF_SKIP_BINARY_CHECK;
	if (ps)
		o.pathspec = *ps;
	if ((rc = git_diff_index_to_workdir(&diff, repo, idx, &o)) < 0)
		return rc;
	n = git_diff_num_deltas(diff);
	for (i = 0; i < n && rc == 0; i++) {
		const git_diff_delta *d = git_diff_get_delta(diff, i);

		switch (d->status) {
		case GIT_DELTA_DELETED:
			rc = git_index_remove_bypath(idx, d->old_file.path);
			break;
		case GIT_DELTA_ADDED:
		case GIT_DELTA_UNTRACKED:
		case GIT_DELTA_MODIFIED:
		case GIT_DELTA_TYPECHANGE:
			rc = git_index_add_bypath(idx, d->new_file.path);
			break;
		default:
			break;
		}
	}
	git_diff_free(diff);
	return rc;
}

int staging_commit(struct staging *s, const char *const *paths, const char *stage,
		   const char *run_id, const char *subject, const char *body,
		   const struct trailer *extra, size_t nextra, char oid_out[41], bool *committed,
		   struct err *e)
{
	git_index *idx = NULL;
	git_tree *tree = NULL;
	git_commit *parent = NULL;
	const git_commit *parents[1];
	git_signature *sig = NULL;
	git_strarray ps = { NULL, 0 };
	git_oid tree_oid, head_oid, commit_oid;
	struct buf msg = BUF_INIT;
	size_t i, n;
	int rc;

	*committed = false;
	oid_out[0] = '\0';
	if ((rc = need_writable(s, e)) < 0)
		return rc;
	if (!stage || !*stage || has_newline(stage) || !run_id_valid(run_id) || !subject ||
	    !*subject || has_newline(subject))
		return err_set(e, ERR_INVALID,
			       "a commit needs a stage, a valid run id and a one-line subject");
	for (i = 0; i < nextra; i++)
		if ((rc = trailer_check(extra[i].key, extra[i].value, e)) < 0)
			return rc;

	/* Pathspecs without a trailing slash: libgit2 matches a directory by prefix. */
	for (n = 0; paths && paths[n]; n++)
		;
	if (n) {
		ps.strings = xcalloc(n, sizeof(char *));
		ps.count = n;
		for (i = 0; i < n; i++) {
			size_t l = strlen(paths[i]);

			while (l > 1 && paths[i][l - 1] == '/')
				l--;
			ps.strings[i] = xstrndup(paths[i], l);
		}
	}

	if ((rc = git_repository_index(&idx, s->repo)) < 0 || (rc = git_index_read(idx, 0)) < 0) {
		rc = git_fail(e, rc, "cannot read the index of staging repo '%s'", s->name);
		goto out;
	}
	if ((rc = index_sync(s->repo, idx, n ? &ps : NULL)) < 0) {
		rc = git_fail(e, rc, "cannot stage the %s snapshot", stage);
		goto out;
	}
	if ((rc = git_index_write_tree(&tree_oid, idx)) < 0 || (rc = git_index_write(idx)) < 0) {
		rc = git_fail(e, rc, "cannot write the %s snapshot", stage);
		goto out;
	}
	rc = git_reference_name_to_id(&head_oid, s->repo, "HEAD");
	if (rc == 0) {
		if ((rc = git_commit_lookup(&parent, s->repo, &head_oid)) < 0) {
			rc = git_fail(e, rc, "cannot read HEAD of staging repo '%s'", s->name);
			goto out;
		}
		if (git_oid_equal(git_commit_tree_id(parent), &tree_oid)) {
			git_oid_tostr(oid_out, 41, &head_oid);
			goto out; /* nothing changed: no commit */
		}
	} else if (rc != GIT_ENOTFOUND && rc != GIT_EUNBORNBRANCH) {
		rc = git_fail(e, rc, "cannot read HEAD of staging repo '%s'", s->name);
		goto out;
	}
	rc = 0;

	buf_addf(&msg, "%s\n\n", subject);
	if (body && *body) {
		size_t bl = strlen(body);

		while (bl && body[bl - 1] == '\n')
			bl--;
		if (bl) {
			buf_add(&msg, body, bl);
			buf_adds(&msg, "\n\n");
		}
	}
	buf_addf(&msg, "Run-Id: %s\nStage: %s\nTool-Version: %s\n", run_id, stage, PACKAGE_VERSION);
	for (i = 0; i < nextra; i++)
		buf_addf(&msg, "%s: %s\n", extra[i].key, extra[i].value);

	if ((rc = git_signature_now(&sig, SIG_NAME, SIG_EMAIL)) < 0 ||
	    (rc = git_tree_lookup(&tree, s->repo, &tree_oid)) < 0) {
		rc = git_fail(e, rc, "cannot prepare the %s commit", stage);
		goto out;
	}
	parents[0] = parent;
	rc = git_commit_create(&commit_oid, s->repo, "HEAD", sig, sig, NULL, msg.data, tree,
			       parent ? 1 : 0, parents);
	if (rc < 0) {
		rc = git_fail(e, rc, "cannot commit the %s snapshot", stage);
		goto out;
	}
	git_oid_tostr(oid_out, 41, &commit_oid);
	*committed = true;
out:
	buf_release(&msg);
	git_signature_free(sig);
	git_tree_free(tree);
	git_commit_free(parent);
	git_index_free(idx);
	for (i = 0; i < ps.count; i++)
		free(ps.strings[i]);
	free(ps.strings);
	return rc;
}

int staging_tag_run(struct staging *s, const char *run_id, const char *message, struct err *e)
{
	git_object *target = NULL;
	git_signature *sig = NULL;
	struct buf msg = BUF_INIT;
	git_oid head, tag_oid;
	char *name = NULL;
	int rc;

	if ((rc = need_writable(s, e)) < 0)
		return rc;
	if (!run_id_valid(run_id))
		return err_set(e, ERR_INVALID, "invalid run id '%s'", run_id ? run_id : "");
	rc = git_reference_name_to_id(&head, s->repo, "HEAD");
	if (rc < 0) {
		rc = git_fail(e, rc, "cannot tag run %s: staging repo '%s' has no commit", run_id,
			      s->name);
		goto out;
	}
	name = xasprintf("run/%s", run_id);
	buf_adds(&msg, message ? message : "");
	if (msg.len == 0 || msg.data[msg.len - 1] != '\n')
		buf_addc(&msg, '\n');
	if ((rc = git_object_lookup(&target, s->repo, &head, GIT_OBJECT_COMMIT)) < 0 ||
	    (rc = git_signature_now(&sig, SIG_NAME, SIG_EMAIL)) < 0 ||
	    (rc = git_tag_create(&tag_oid, s->repo, name, target, sig, msg.data, 0)) < 0) {
		rc = git_fail(e, rc, "cannot tag run %s", run_id);
		goto out;
	}
out:
	buf_release(&msg);
	free(name);
	git_signature_free(sig);
	git_object_free(target);
	return rc;
}

int staging_head(struct staging *s, char oid_out[41], struct err *e)
{
	git_oid oid;
	int rc = git_reference_name_to_id(&oid, s->repo, "HEAD");

	oid_out[0] = '\0';
	if (rc == GIT_ENOTFOUND || rc == GIT_EUNBORNBRANCH)
		return err_set(e, ERR_NOTFOUND, "staging repo '%s' has no commit yet", s->name);
	if (rc < 0)
		return git_fail(e, rc, "cannot read HEAD of staging repo '%s'", s->name);
	git_oid_tostr(oid_out, 41, &oid);
	return 0;
}

static int resolve_commit(struct staging *s, const char *rev, git_commit **out, struct err *e)
{
	git_object *obj = NULL, *peeled = NULL;
	bool exists = false;
	char *spec = NULL;
	int rc;

	*out = NULL;
	if (!rev || !*rev)
		return err_set(e, ERR_INVALID, "empty revision");
	/* A bare run id means its tag. */
	if (rev[0] >= '0' && rev[0] <= '9' && run_id_valid(rev)) {
		if ((rc = tag_exists(s, rev, &exists, e)) < 0)
			return rc;
		if (exists)
			spec = xasprintf("refs/tags/run/%s", rev);
	}
	rc = git_revparse_single(&obj, s->repo, spec ? spec : rev);
	if (rc == GIT_ENOTFOUND || rc == GIT_EINVALIDSPEC || rc == GIT_EUNBORNBRANCH) {
		rc = err_set(e, ERR_NOTFOUND,
			     "no revision '%s' in staging repo '%s' (see 'ashby2humaans log')", rev,
			     s->name);
		goto out;
	}
	if (rc == GIT_EAMBIGUOUS) {
		rc = err_set(e, ERR_INVALID,
			     "revision '%s' is ambiguous: give more of the commit id", rev);
		goto out;
	}
	if (rc < 0) {
		rc = git_fail(e, rc, "cannot resolve revision '%s'", rev);
		goto out;
	}
	if (git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT) < 0) {
		rc = err_set(e, ERR_INVALID, "revision '%s' does not name a commit", rev);
		goto out;
	}
	*out = (git_commit *)peeled;
	peeled = NULL;
out:
	git_object_free(peeled);
	git_object_free(obj);
	free(spec);
	return rc;
}

int staging_resolve(struct staging *s, const char *rev, char oid_out[41], struct err *e)
{
	git_commit *c;
	int rc;

	oid_out[0] = '\0';
	if ((rc = resolve_commit(s, rev, &c, e)) < 0)
		return rc;
	git_oid_tostr(oid_out, 41, git_commit_id(c));
	git_commit_free(c);
	return 0;
}

int staging_read_at(struct staging *s, const char *rev, const char *relpath, struct buf *out,
		    struct err *e)
{
	git_commit *c = NULL;
	git_tree *tree = NULL;
	git_tree_entry *entry = NULL;
	git_blob *blob = NULL;
	int rc;

	if ((rc = relpath_check(relpath, e)) < 0 || (rc = resolve_commit(s, rev, &c, e)) < 0)
		return rc;
	if ((rc = git_commit_tree(&tree, c)) < 0) {
		rc = git_fail(e, rc, "cannot read the tree of %s", rev);
		goto out;
	}
	rc = git_tree_entry_bypath(&entry, tree, relpath);
	if (rc == GIT_ENOTFOUND) {
		rc = err_set(e, ERR_NOTFOUND, "%s not found at %s", relpath, rev);
		goto out;
	}
	if (rc < 0) {
		rc = git_fail(e, rc, "cannot read %s at %s", relpath, rev);
		goto out;
	}
	if (git_tree_entry_type(entry) != GIT_OBJECT_BLOB) {
		rc = err_set(e, ERR_INVALID, "%s is a directory at %s, not a file", relpath, rev);
		goto out;
	}
	if ((rc = git_blob_lookup(&blob, s->repo, git_tree_entry_id(entry))) < 0) {
		rc = git_fail(e, rc, "cannot read %s at %s", relpath, rev);
		goto out;
	}
	if (buf_add(out, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob)) < 0)
		rc = err_set(e, ERR_FAIL, "cannot read %s at %s: file too large", relpath, rev);
out:
	git_blob_free(blob);
	git_tree_entry_free(entry);
	git_tree_free(tree);
	git_commit_free(c);
	return rc;
}

static int run_id_desc(const void *a, const void *b)
{
	return run_id_cmp(*(const char *const *)b, *(const char *const *)a);
}

int staging_list_runs(struct staging *s, staging_run_fn fn, void *ctx, struct err *e)
{
	git_strarray names = { NULL, 0 };
	const char **ids = NULL;
	size_t i, n = 0;
	int rc;

	if ((rc = git_tag_list_match(&names, "run/*", s->repo)) < 0)
		return git_fail(e, rc, "cannot list the runs of staging repo '%s'", s->name);
	ids = xcalloc(names.count + 1, sizeof(*ids));
	for (i = 0; i < names.count; i++)
		if (strncmp(names.strings[i], "run/", 4) == 0 && run_id_valid(names.strings[i] + 4))
			ids[n++] = names.strings[i] + 4;
	qsort(ids, n, sizeof(*ids), run_id_desc);

	for (i = 0; i < n && rc == 0; i++) {
		git_reference *ref = NULL;
		git_object *obj = NULL, *commit = NULL;
		char *refname = xasprintf("refs/tags/run/%s", ids[i]);
		const char *message = "";
		char hex[41];

		if ((rc = git_reference_lookup(&ref, s->repo, refname)) < 0 ||
		    (rc = git_object_lookup(&obj, s->repo, git_reference_target(ref),
					    GIT_OBJECT_ANY)) < 0 ||
		    (rc = git_object_peel(&commit, obj, GIT_OBJECT_COMMIT)) < 0) {
			rc = git_fail(e, rc, "cannot read tag run/%s", ids[i]);
		} else {
			if (git_object_type(obj) == GIT_OBJECT_TAG &&
			    git_tag_message((git_tag *)obj))
				message = git_tag_message((git_tag *)obj);
			git_oid_tostr(hex, sizeof(hex), git_object_id(commit));
			rc = fn(ctx, ids[i], message, hex);
		}
		git_object_free(commit);
		git_object_free(obj);
		git_reference_free(ref);
		free(refname);
	}
	free(ids);
	git_strarray_dispose(&names);
	return rc < 0 ? rc : 0;
}

/* The Run-Id and Stage trailers of a commit message (empty when absent). */
static void message_run_stage(const char *message, char *run_id, size_t run_id_len, char *stage,
			      size_t stage_len)
{
	git_message_trailer_array arr;
	size_t i;

	run_id[0] = stage[0] = '\0';
	if (git_message_trailers(&arr, message) < 0)
		return;
	for (i = 0; i < arr.count; i++) {
		if (strcmp(arr.trailers[i].key, "Run-Id") == 0)
			snprintf(run_id, run_id_len, "%s", arr.trailers[i].value);
		else if (strcmp(arr.trailers[i].key, "Stage") == 0)
			snprintf(stage, stage_len, "%s", arr.trailers[i].value);
	}
	git_message_trailer_array_free(&arr);
}

/* Walk HEAD's history; `visit` returns non-zero to stop (negative: an error). */
typedef int (*walk_fn)(void *arg, git_commit *c, const char *run_id, const char *stage);

static int walk_head(struct staging *s, bool oldest_first, walk_fn visit, void *arg, struct err *e)
{
	git_revwalk *walk = NULL;
	git_oid oid;
	int rc;

	if ((rc = git_revwalk_new(&walk, s->repo)) < 0) {
		rc = git_fail(e, rc, "cannot walk staging repo '%s'", s->name);
		goto out;
	}
	git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME |
					  (oldest_first ? GIT_SORT_REVERSE : 0));
	rc = git_revwalk_push_head(walk);
	if (rc == GIT_ENOTFOUND || rc == GIT_EUNBORNBRANCH) {
		rc = 0; /* no commit yet: nothing to visit */
		goto out;
	}
	if (rc < 0) {
		rc = git_fail(e, rc, "cannot walk staging repo '%s'", s->name);
		goto out;
	}
	while ((rc = git_revwalk_next(&oid, walk)) == 0) {
		git_commit *c = NULL;
		char run_id[64], stage[32];

		if ((rc = git_commit_lookup(&c, s->repo, &oid)) < 0) {
			rc = git_fail(e, rc, "cannot read a commit of staging repo '%s'", s->name);
			goto out;
		}
		message_run_stage(git_commit_message(c), run_id, sizeof(run_id), stage,
				  sizeof(stage));
		rc = visit(arg, c, run_id, stage);
		git_commit_free(c);
		if (rc)
			goto out;
	}
	if (rc == GIT_ITEROVER)
		rc = 0;
	else
		rc = git_fail(e, rc, "cannot walk staging repo '%s'", s->name);
out:
	git_revwalk_free(walk);
	return rc;
}

struct run_commits_arg {
	const char *run_id;
	staging_commit_fn fn;
	void *ctx;
};

static int run_commits_visit(void *arg, git_commit *c, const char *run_id, const char *stage)
{
	struct run_commits_arg *a = arg;
	char hex[41];

	if (strcmp(run_id, a->run_id) != 0)
		return 0;
	git_oid_tostr(hex, sizeof(hex), git_commit_id(c));
	return a->fn(a->ctx, hex, stage, git_commit_message(c));
}

int staging_run_commits(struct staging *s, const char *run_id, staging_commit_fn fn, void *ctx,
			struct err *e)
{
	struct run_commits_arg a = { run_id, fn, ctx };
	int rc;

	if (!run_id || !*run_id)
		return err_set(e, ERR_INVALID, "empty run id");
	rc = walk_head(s, true, run_commits_visit, &a, e);
	return rc < 0 ? rc : 0;
}

struct find_stage_arg {
	const char *stage;
	char *oid_out;
	char *run_id_out;
	size_t run_id_len;
};

static int find_stage_visit(void *arg, git_commit *c, const char *run_id, const char *stage)
{
	struct find_stage_arg *a = arg;

	if (strcmp(stage, a->stage) != 0)
		return 0;
	git_oid_tostr(a->oid_out, 41, git_commit_id(c));
	if (a->run_id_out && a->run_id_len)
		snprintf(a->run_id_out, a->run_id_len, "%s", run_id);
	return 1;
}

int staging_find_stage(struct staging *s, const char *stage, char oid_out[41], char *run_id_out,
		       size_t run_id_len, struct err *e)
{
	struct find_stage_arg a = { stage, oid_out, run_id_out, run_id_len };
	int rc;

	oid_out[0] = '\0';
	if (run_id_out && run_id_len)
		run_id_out[0] = '\0';
	rc = walk_head(s, false, find_stage_visit, &a, e);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return err_set(e, ERR_NOTFOUND, "no %s commit in staging repo '%s'", stage,
			       s->name);
	return 0;
}

/* init */

static bool dir_is_empty(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	bool empty = true;

	if (!d)
		return false;
	while (empty && (de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			empty = false;
	closedir(d);
	return empty;
}

/* What init finds in an existing directory. */
enum dir_kind {
	DIR_PLAIN,     /* not a git repository */
	DIR_GIT_OTHER, /* a git repository that is not a staging repo */
	DIR_STAGING,   /* a staging repo: a work tree with pipeline.json and a commit */
	DIR_UNFINISHED /* an init that was interrupted before its commit */
};

/* Only what an interrupted init leaves: .git, pipeline.json, .gitignore, temp files. */
static bool only_init_leftovers(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	bool only = true;

	if (!d)
		return false;
	while (only && (de = readdir(d))) {
		const char *n = de->d_name;

		if (strcmp(n, ".") && strcmp(n, "..") && strcmp(n, ".git") &&
		    strcmp(n, "pipeline.json") && strcmp(n, ".gitignore") &&
		    !(n[0] == '.' && strstr(n, ".tmp-")))
			only = false;
	}
	closedir(d);
	return only;
}

static enum dir_kind dir_classify(const char *dir)
{
	git_repository *repo = NULL;
	enum dir_kind kind = DIR_GIT_OTHER;
	struct stat st;
	git_oid head;
	char *p;

	if (git_repository_open_ext(&repo, dir, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0)
		return DIR_PLAIN;
	if (git_repository_workdir(repo)) {
		p = xasprintf("%s/pipeline.json", dir);
		if (git_reference_name_to_id(&head, repo, "HEAD") < 0) {
			if (only_init_leftovers(dir))
				kind = DIR_UNFINISHED;
		} else if (stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
			kind = DIR_STAGING;
		}
		free(p);
	}
	git_repository_free(repo);
	return kind;
}

static int read_file(const char *path, struct buf *out, struct err *e)
{
	char chunk[65536];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return err_set(e, ERR_IO, "cannot read the pipeline '%s': %s", path,
			       strerror(errno));
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = err_set(e, ERR_IO, "cannot read the pipeline '%s': %s", path,
				     strerror(errno));
			break;
		}
		if (n == 0)
			break;
		if (out->len + (size_t)n > READ_MAX || buf_add(out, chunk, (size_t)n) < 0) {
			rc = err_set(e, ERR_FAIL, "cannot read the pipeline '%s': too large", path);
			break;
		}
	}
	close(fd);
	return rc;
}

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char gitignore[] = "# ashby2humaans: temporary files of interrupted atomic writes.\n"
				".*.tmp-*\n";

int staging_init(const char *dir, const char *pipeline_src, const char *run_id, bool *created,
		 struct err *e)
{
	static const char *const paths[] = { ".gitignore", "pipeline.json", NULL };
	git_repository_init_options opts;
	git_repository *repo = NULL;
	struct staging *s = NULL;
	struct buf pipeline = BUF_INIT, tagmsg = BUF_INIT;
	char id[48], oid[41], started[32];
	double t0 = mono_now();
	time_t now = time(NULL);
	struct stat st;
	struct tm tm;
	bool resume = false, committed;
	int rc;

	*created = false;
	if (stat(dir, &st) == 0) {
		if (!S_ISDIR(st.st_mode))
			return err_set(e, ERR_INVALID, "'%s' exists and is not a directory", dir);
		switch (dir_classify(dir)) {
		case DIR_STAGING:
			return 0;
		case DIR_UNFINISHED:
			resume = true; /* finish what an interrupted init began */
			break;
		case DIR_GIT_OTHER:
			return err_set(e, ERR_INVALID,
				       "'%s' is a git repository but not a staging repo", dir);
		case DIR_PLAIN:
			break;
		}
		if (!resume && !dir_is_empty(dir))
			return err_set(
				e, ERR_INVALID,
				"'%s' exists and is not empty: choose a new or empty directory",
				dir);
	} else if (errno != ENOENT) {
		return err_set(e, ERR_IO, "cannot use '%s': %s", dir, strerror(errno));
	}
	/* Read the pipeline before creating anything, so a bad source leaves no half repo. */
	if ((rc = read_file(pipeline_src, &pipeline, e)) < 0)
		goto out;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		rc = err_set(e, ERR_IO, "cannot create '%s': %s", dir, strerror(errno));
		goto out;
	}
	if (chmod(dir, 0700) < 0) {
		rc = err_set(e, ERR_IO, "cannot restrict '%s' to its owner: %s", dir,
			     strerror(errno));
		goto out;
	}
	if ((rc = git_repository_init_options_init(&opts, GIT_REPOSITORY_INIT_OPTIONS_VERSION)) <
	    0) {
		rc = git_fail(e, rc, "cannot create a git repository in '%s'", dir);
		goto out;
	}
	opts.flags = GIT_REPOSITORY_INIT_NO_REINIT;
	opts.initial_head = "main";
	if (!resume && (rc = git_repository_init_ext(&repo, dir, &opts)) < 0) {
		rc = git_fail(e, rc, "cannot create a git repository in '%s'", dir);
		goto out;
	}
	git_repository_free(repo);
	if ((rc = staging_open(&s, dir, e)) < 0)
		goto out;
	if (run_id) {
		if (!run_id_valid(run_id)) {
			rc = err_set(e, ERR_INVALID, "invalid run id '%s'", run_id);
			goto out;
		}
		snprintf(id, sizeof(id), "%s", run_id);
	} else if ((rc = staging_new_run_id(s, id, sizeof(id), e)) < 0) {
		goto out;
	}
	if ((rc = staging_write(s, "pipeline.json", pipeline.data, pipeline.len, e)) < 0 ||
	    (rc = staging_write(s, ".gitignore", gitignore, sizeof(gitignore) - 1, e)) < 0)
		goto out;
	if ((rc = staging_commit(s, paths, "init", id, "init: staging repo created", NULL, NULL, 0,
				 oid, &committed, e)) < 0)
		goto out;

	gmtime_r(&now, &tm);
	strftime(started, sizeof(started), "%Y-%m-%dT%H:%M:%SZ", &tm);
	buf_addf(&tagmsg,
		 "run %s: ok\n\nCommand: init\nStarted: %s\nDuration: %.3f\n"
		 "Stage-Reached: init\nOutcome: ok\n",
		 id, started, mono_now() - t0);
	if ((rc = staging_tag_run(s, id, tagmsg.data, e)) < 0)
		goto out;
	*created = true;
out:
	staging_close(s);
	buf_release(&tagmsg);
	buf_release(&pipeline);
	return rc;
}
