/*
 * bundle-write: writing a bundle (.tar.gz or .zip) through a temp file, with
 * the same bytes for the same run.
 */
#include "config.h"

#include "stages/bundle/bundle-int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "base/hash.h"
#include "base/xalloc.h"
#include "store/staging-tree.h"

#define BUNDLE_OWNER "root"

enum bundle_kind { BUNDLE_TGZ, BUNDLE_ZIP };

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && strcmp(s + n - m, suffix) == 0;
}

static int bundle_kind_of(const char *path, enum bundle_kind *kind, struct err *e)
{
	if (has_suffix(path, ".tar.gz") || has_suffix(path, ".tgz"))
		*kind = BUNDLE_TGZ;
	else if (has_suffix(path, ".zip"))
		*kind = BUNDLE_ZIP;
	else
		return err_set(e, ERR_INVALID,
			       "cannot tell the bundle format of '%s': name it .tar.gz or .zip",
			       path);
	return 0;
}

static int cmp_file_ptr(const void *a, const void *b)
{
	const struct bundle_file *const *x = a, *const *y = b;

	return strcmp((*x)->path, (*y)->path);
}

static int archive_fail(struct archive *a, const char *what, const char *path, struct err *e)
{
	const char *msg = archive_error_string(a);

	return err_set(e, ERR_IO, "cannot write bundle '%s': %s: %s", path, what,
		       msg ? msg : "unknown libarchive error");
}

static int entry_write(struct archive *a, struct archive_entry *ent, const char *top,
		       const char *rel, size_t rel_len, bool dir, const void *data, size_t len,
		       time_t mtime, const char *dest, struct err *e)
{
	char *full = xasprintf("%s/%.*s", top, (int)rel_len, rel);
	size_t off = 0;
	la_ssize_t n;
	int rc = 0;

	archive_entry_clear(ent);
	archive_entry_set_pathname_utf8(ent, full);
	archive_entry_set_filetype(ent, dir ? AE_IFDIR : AE_IFREG);
	archive_entry_set_perm(ent, dir ? 0755 : 0644);
	archive_entry_set_size(ent, dir ? 0 : (la_int64_t)len);
	archive_entry_set_uid(ent, 0);
	archive_entry_set_gid(ent, 0);
	archive_entry_set_uname(ent, BUNDLE_OWNER);
	archive_entry_set_gname(ent, BUNDLE_OWNER);
	archive_entry_set_mtime(ent, mtime, 0);
	/* ARCHIVE_WARN means something was altered (a name); a bundle must be exact. */
	if (archive_write_header(a, ent) != ARCHIVE_OK) {
		rc = archive_fail(a, full, dest, e);
		goto out;
	}
	while (!dir && off < len) {
		n = archive_write_data(a, (const char *)data + off, len - off);
		if (n <= 0) {
			rc = archive_fail(a, full, dest, e);
			goto out;
		}
		off += (size_t)n;
	}
out:
	free(full);
	return rc;
}

/* One file entry being written: what entries_write passes to put_file. */
struct file_entry {
	struct archive *a;
	struct archive_entry *ent;
	const char *top, *dest;
	const struct bundle_file *f;
	time_t mtime;
};

/* Write the entry of x->f; bytes read again from the repo must be those listed in the manifest. */
static int put_file(void *ctx, const void *data, size_t len, struct err *e)
{
	const struct file_entry *x = ctx;
	char sha[65];

	if (!x->f->data)
		sha256_hex(data, len, sha);
	if (!x->f->data && (len != x->f->len || strcmp(sha, x->f->sha) != 0))
		return err_set(e, ERR_FAIL, "cannot write bundle '%s': '%s' is not the file listed",
			       x->dest, x->f->path);
	return entry_write(x->a, x->ent, x->top, x->f->path, strlen(x->f->path), false, data, len,
			   x->mtime, x->dest, e);
}

/* Write the sorted files into an open archive, each directory before its contents. */
static int entries_write(const struct bundle *b, struct archive *a, const char *top,
			 struct bundle_file *const *files, size_t nfiles, time_t mtime,
			 const char *dest, struct err *e)
{
	struct archive_entry *ent = archive_entry_new();
	struct file_entry x = { a, ent, top, dest, NULL, mtime };
	const char *prev = "";
	const char *slash;
	size_t i;
	int rc;

	if (!ent)
		return err_set(e, ERR_FAIL, "cannot write bundle '%s': out of memory", dest);
	rc = entry_write(a, ent, top, "", 0, true, NULL, 0, mtime, dest, e);
	for (i = 0; !rc && i < nfiles; i++) {
		const char *path = files[i]->path;

		/*
		 * Sorted paths keep every directory's contents together, so a
		 * directory is new exactly when it is not a prefix of the previous path.
		 */
		for (slash = strchr(path, '/'); !rc && slash; slash = strchr(slash + 1, '/')) {
			size_t n = (size_t)(slash - path) + 1;

			if (strncmp(prev, path, n) == 0)
				continue;
			rc = entry_write(a, ent, top, path, n, true, NULL, 0, mtime, dest, e);
		}
		x.f = files[i];
		if (rc)
			break;
		if (files[i]->data)
			rc = put_file(&x, files[i]->data, files[i]->len, e);
		else if (b->src)
			/* Straight from libgit2's copy of the blob: one file in memory at a time. */
			rc = staging_blob_use(b->src, files[i]->blob, put_file, &x, e);
		else
			rc = err_set(e, ERR_FAIL, "bundle: no staging repo to read '%s' from",
				     path);
		prev = path;
	}
	archive_entry_free(ent);
	return rc;
}

/* fsync the directory holding `path`, so the rename survives a crash. */
static void dir_sync(const char *path)
{
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	int fd;

	if (!slash)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	fd = open(dir, O_RDONLY);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(dir);
}

int bundle_write(const struct bundle *b, const char *path, size_t *nfiles_out, struct err *e)
{
	struct bundle_file readme = { 0 }, mjson = { 0 }, manifest = { 0 };
	struct bundle_file **files = NULL;
	struct buf text = BUF_INIT;
	struct archive *a = NULL;
	enum bundle_kind kind;
	char *top = NULL, *tmp = NULL;
	time_t mtime;
	size_t n = 0, i;
	int fd = -1, rc;

	if ((rc = bundle_kind_of(path, &kind, e)) || (rc = bundle_run_time(b->run_id, &mtime, e)))
		goto out;

	files = xcalloc(b->nfiles + 3, sizeof(*files));
	for (i = 0; i < b->nfiles; i++)
		files[n++] = &b->files[i];

	bundle_readme_build(b, &text);
	readme.path = (char *)"README";
	readme.data = (unsigned char *)buf_detach(&text, &readme.len);
	sha256_hex(readme.data, readme.len, readme.sha);
	files[n++] = &readme;
	qsort(files, n, sizeof(*files), cmp_file_ptr);
	for (i = 1; i < n; i++) {
		if (strcmp(files[i - 1]->path, files[i]->path) == 0) {
			rc = err_set(e, ERR_INVALID, "cannot write bundle '%s': '%s' added twice",
				     path, files[i]->path);
			goto out;
		}
	}

	if ((rc = bundle_manifest_json_build(b, files, n, &text, e)))
		goto out;
	mjson.path = (char *)"MANIFEST.json";
	mjson.data = (unsigned char *)buf_detach(&text, &mjson.len);
	sha256_hex(mjson.data, mjson.len, mjson.sha);
	files[n++] = &mjson;
	qsort(files, n, sizeof(*files), cmp_file_ptr);

	for (i = 0; i < n; i++)
		bundle_manifest_line(&text, files[i]->sha, files[i]->path);
	manifest.path = (char *)"MANIFEST";
	manifest.data = (unsigned char *)buf_detach(&text, &manifest.len);
	files[n++] = &manifest;
	qsort(files, n, sizeof(*files), cmp_file_ptr);

	tmp = xasprintf("%s.tmpXXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0) {
		rc = err_set(e, ERR_IO, "cannot create a temp file next to '%s': %s", path,
			     strerror(errno));
		free(tmp);
		tmp = NULL;
		goto out;
	}

	a = archive_write_new();
	if (!a) {
		rc = err_set(e, ERR_FAIL, "cannot write bundle '%s': out of memory", path);
		goto out;
	}
	if (kind == BUNDLE_TGZ) {
		if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
		    archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
		    /* No time stamp in the gzip header: the same run gives the same bytes. */
		    archive_write_set_filter_option(a, "gzip", "timestamp", NULL) != ARCHIVE_OK) {
			rc = archive_fail(a, "setting up tar.gz", path, e);
			goto out;
		}
	} else if (archive_write_set_format_zip(a) != ARCHIVE_OK) {
		rc = archive_fail(a, "setting up zip", path, e);
		goto out;
	}
	if (archive_write_open_fd(a, fd) != ARCHIVE_OK) {
		rc = archive_fail(a, "opening", path, e);
		goto out;
	}
	top = xasprintf(BUNDLE_TOP_PREFIX "%s", b->run_id);
	if ((rc = entries_write(b, a, top, files, n, mtime, path, e)))
		goto out;
	if (archive_write_close(a) != ARCHIVE_OK) {
		rc = archive_fail(a, "closing", path, e);
		goto out;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		fd = -1;
		rc = err_set(e, ERR_IO, "cannot write bundle '%s': %s", path, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		rc = err_set(e, ERR_IO, "cannot rename the bundle to '%s': %s", path,
			     strerror(errno));
		goto out;
	}
	free(tmp);
	tmp = NULL;
	dir_sync(path);
	if (nfiles_out)
		*nfiles_out = n;
	rc = 0;
out:
	if (a)
		archive_write_free(a);
	if (fd >= 0)
		close(fd);
	if (tmp) {
		unlink(tmp);
		free(tmp);
	}
	free(top);
	free(readme.data);
	free(mjson.data);
	free(manifest.data);
	free(files);
	buf_release(&text);
	return rc;
}
