/* staging-read: reading work-tree files (whole, as a stream, or hashed). */
#include "config.h"

#include "store/staging-int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/hash.h"
#include "base/xalloc.h"

int staging_fopen(struct staging *s, const char *relpath, FILE **out, struct err *e)
{
	char *full;
	struct stat st;
	FILE *f = NULL;
	int rc;

	*out = NULL;
	if ((rc = staging_relpath_check(relpath, e)) < 0)
		return rc;
	full = xasprintf("%s/%s", s->path, relpath);
	f = fopen(full, "re");
	if (!f) {
		if (errno == ENOENT)
			rc = err_set(e, ERR_NOTFOUND, "%s not found in staging repo '%s'", relpath,
				     s->name);
		else
			rc = staging_io_fail(e, errno, "reading", relpath);
	} else if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode)) {
		rc = err_set(e, ERR_INVALID, "cannot read %s: not a regular file", relpath);
		fclose(f);
		f = NULL;
	}
	free(full);
	*out = f;
	return rc;
}
int staging_read(struct staging *s, const char *relpath, struct buf *out, struct err *e)
{
	char *full = NULL;
	char chunk[65536];
	struct stat st;
	int fd = -1, rc;

	if ((rc = staging_relpath_check(relpath, e)) < 0)
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
			rc = staging_io_fail(e, errno, "reading", relpath);
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
			rc = staging_io_fail(e, errno, "reading", relpath);
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
			rc = staging_io_fail(e, errno, "reading", relpath);
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
