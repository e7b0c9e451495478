#include "config.h"

#include "stages/bundle.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>

#include "base/hash.h"
#include "store/staging-tree.h"
#include "base/xalloc.h"

#define BUNDLE_TOP_PREFIX "ashby2humaans-"
#define BUNDLE_OWNER "root"
/* The largest file verify reads into memory: a bundle is untrusted input. */
#define BUNDLE_FILE_MAX ((size_t)1 << 30)

static const char *const reserved_names[] = { "MANIFEST", "MANIFEST.json", "README", NULL };

void bundle_init(struct bundle *b, const char *run_id)
{
	memset(b, 0, sizeof(*b));
	b->run_id = xstrdup(run_id);
}

void bundle_release(struct bundle *b)
{
	size_t i;

	for (i = 0; i < b->nfiles; i++) {
		free(b->files[i].path);
		free(b->files[i].data);
	}
	free(b->files);
	for (i = 0; i < b->ncommits; i++) {
		free(b->commits[i].stage);
		free(b->commits[i].subject);
	}
	free(b->commits);
	for (i = 0; i < b->nstages; i++) {
		free(b->stages[i].stage);
		free(b->stages[i].run_id);
	}
	free(b->stages);
	free(b->summary);
	free(b->run_id);
	memset(b, 0, sizeof(*b));
}

void bundle_set_summary(struct bundle *b, const char *summary)
{
	free(b->summary);
	b->summary = summary ? xstrdup(summary) : NULL;
}

static bool path_is_safe(const char *path)
{
	const char *p = path, *slash;
	size_t n;

	if (!*path || *path == '/')
		return false;
	for (; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return false;
	for (p = path;; p = slash + 1) {
		slash = strchr(p, '/');
		n = slash ? (size_t)(slash - p) : strlen(p);
		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		if (!slash)
			return true;
	}
}

static int add_file(struct bundle *b, const char *path, struct bundle_file **out, struct err *e)
{
	struct bundle_file *f;
	const char *const *r;

	if (!path_is_safe(path))
		return err_set(e, ERR_INVALID, "unsafe path '%s' for a bundle", path);
	for (r = reserved_names; *r; r++)
		if (strcmp(path, *r) == 0)
			return err_set(e, ERR_INVALID, "'%s' is reserved in a bundle", path);
	if (b->nfiles == b->files_alloc) {
		b->files_alloc = b->files_alloc ? 2 * b->files_alloc : 16;
		b->files = xrealloc(b->files, b->files_alloc * sizeof(*b->files));
	}
	f = &b->files[b->nfiles++];
	memset(f, 0, sizeof(*f));
	f->path = xstrdup(path);
	*out = f;
	return 0;
}

int bundle_add_file(struct bundle *b, const char *path, const void *data, size_t len, struct err *e)
{
	struct bundle_file *f;
	int rc = add_file(b, path, &f, e);

	if (rc < 0)
		return rc;
	f->data = xmalloc(len ? len : 1);
	if (len)
		memcpy(f->data, data, len);
	f->len = len;
	sha256_hex(f->data, len, f->sha);
	return 0;
}

int bundle_add_file_ref(struct bundle *b, const char *path, const char *blob_hex,
			const char sha[65], size_t len, struct err *e)
{
	struct bundle_file *f;
	int rc = add_file(b, path, &f, e);

	if (rc < 0)
		return rc;
	f->len = len;
	memcpy(f->sha, sha, 65);
	snprintf(f->blob, sizeof(f->blob), "%s", blob_hex);
	return 0;
}

void bundle_add_commit(struct bundle *b, const char *stage, const char *oid, const char *subject)
{
	struct bundle_commit *c;

	if (b->ncommits == b->commits_alloc) {
		b->commits_alloc = b->commits_alloc ? 2 * b->commits_alloc : 8;
		b->commits = xrealloc(b->commits, b->commits_alloc * sizeof(*b->commits));
	}
	c = &b->commits[b->ncommits++];
	c->stage = xstrdup(stage ? stage : "");
	snprintf(c->oid, sizeof(c->oid), "%s", oid);
	c->subject = xstrdup(subject ? subject : "");
}

void bundle_add_stage(struct bundle *b, const char *stage, const char *oid, const char *run_id)
{
	struct bundle_stage *st;

	if (b->nstages == b->stages_alloc) {
		b->stages_alloc = b->stages_alloc ? 2 * b->stages_alloc : 8;
		b->stages = xrealloc(b->stages, b->stages_alloc * sizeof(*b->stages));
	}
	st = &b->stages[b->nstages++];
	st->stage = xstrdup(stage);
	snprintf(st->oid, sizeof(st->oid), "%s", oid);
	st->run_id = xstrdup(run_id ? run_id : "");
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static long long days_from_civil(long long y, int m, int d)
{
	long long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int digits(const char *s, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int bundle_run_time(const char *run_id, time_t *out, struct err *e)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, mo, d, h, mi, s;
	const char *p;

	if (strlen(run_id) < 16 || run_id[8] != 'T' || run_id[15] != 'Z')
		goto bad;
	y = digits(run_id, 4);
	mo = digits(run_id + 4, 2);
	d = digits(run_id + 6, 2);
	h = digits(run_id + 9, 2);
	mi = digits(run_id + 11, 2);
	s = digits(run_id + 13, 2);
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h < 0 || h > 23 ||
	    mi < 0 || mi > 59 || s < 0 || s > 60)
		goto bad;
	p = run_id + 16;
	if (*p) {
		/* A second run in the same second: "-2", "-3"... */
		if (*p++ != '-' || !*p)
			goto bad;
		for (; *p; p++)
			if (*p < '0' || *p > '9')
				goto bad;
	}
	*out = (time_t)(days_from_civil(y, mo, d) * 86400LL + h * 3600LL + mi * 60LL + s);
	return 0;
bad:
	return err_set(e, ERR_INVALID, "'%s' is not a run id (want YYYYMMDDTHHMMSSZ)", run_id);
}

void bundle_manifest_line(struct buf *out, const char *sha_hex, const char *path)
{
	const char *p;

	if (!strpbrk(path, "\\\n\r")) {
		buf_addf(out, "%s  %s\n", sha_hex, path);
		return;
	}
	/* GNU sha256sum's escaping: a leading backslash, then \\, \n and \r. */
	buf_addf(out, "\\%s  ", sha_hex);
	for (p = path; *p; p++) {
		if (*p == '\\')
			buf_adds(out, "\\\\");
		else if (*p == '\n')
			buf_adds(out, "\\n");
		else if (*p == '\r')
			buf_adds(out, "\\r");
		else
			buf_addc(out, *p);
	}
	buf_addc(out, '\n');
}

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

static void readme_build(const struct bundle *b, struct buf *out)
{
	const char *p, *nl;

	buf_addf(out,
		 "ashby2humaans audit bundle: run %s\n"
		 "\n"
		 "This bundle holds what run %s of ashby2humaans had staged when it\n"
		 "ended, read from the staging repository's commit %s\n"
		 "(tag run/%s), not from a working copy that may have changed since.\n"
		 "\n"
		 "  pipeline.json   the mapping in force\n"
		 "  extract/        what Ashby returned (extract/files/: the offer letters)\n"
		 "  transform/      the new hires as they were to be sent to Humaans\n"
		 "  plan/           the operations and the basis they were computed from\n"
		 "  load/           the journal of every Humaans call and the ledger of ids\n"
		 "  MANIFEST        the SHA-256 of every file of the bundle but itself\n"
		 "  MANIFEST.json   run id, commit ids, each file's size and SHA-256\n"
		 "\n"
		 "To verify the bundle after extracting it:\n"
		 "\n"
		 "  cd " BUNDLE_TOP_PREFIX "%s && sha256sum -c MANIFEST\n"
		 "\n"
		 "or, without extracting: ashby2humaans export --verify BUNDLE\n",
		 b->run_id, b->run_id, b->commit[0] ? b->commit : "(unknown)", b->run_id,
		 b->run_id);
	if (b->ncommits) {
		size_t i;

		buf_adds(out, "\nThe run's commits, oldest first:\n\n");
		for (i = 0; i < b->ncommits; i++)
			buf_addf(out, "  %-10s %s %s\n", b->commits[i].stage, b->commits[i].oid,
				 b->commits[i].subject);
	}
	if (b->summary && *b->summary) {
		buf_adds(out, "\nThe run's summary (its tag message):\n\n");
		for (p = b->summary; *p; p = nl + 1) {
			nl = strchr(p, '\n');
			if (!nl)
				nl = p + strlen(p);
			if (nl > p)
				buf_addf(out, "  %.*s\n", (int)(nl - p), p);
			else
				buf_addc(out, '\n');
			if (!*nl)
				break;
		}
	}
}

static int json_add(json_t *obj, const char *key, json_t *v, struct err *e)
{
	if (!v || json_object_set_new(obj, key, v) != 0)
		return err_set(e, ERR_FAIL, "cannot build MANIFEST.json (key '%s')", key);
	return 0;
}

static int manifest_json_build(const struct bundle *b, struct bundle_file *const *files,
			       size_t nfiles, struct buf *out, struct err *e)
{
	json_t *root = json_object(), *arr, *obj;
	char *text = NULL;
	size_t i;
	int rc;

	if (!root)
		return err_set(e, ERR_FAIL, "cannot build MANIFEST.json");
	if ((rc = json_add(root, "format", json_string("ashby2humaans-bundle/1"), e)) ||
	    (rc = json_add(root, "runId", json_string(b->run_id), e)) ||
	    (rc = json_add(root, "tag", json_sprintf("run/%s", b->run_id), e)) ||
	    (rc = json_add(root, "commit", json_string(b->commit), e)) ||
	    (rc = json_add(root, "toolVersion", json_string(PACKAGE_VERSION), e)))
		goto out;

	if ((rc = json_add(root, "commits", arr = json_array(), e)))
		goto out;
	for (i = 0; i < b->ncommits; i++) {
		obj = json_object();
		if (!obj || json_array_append_new(arr, obj)) {
			rc = err_set(e, ERR_FAIL, "cannot build MANIFEST.json");
			goto out;
		}
		if ((rc = json_add(obj, "stage", json_string(b->commits[i].stage), e)) ||
		    (rc = json_add(obj, "commit", json_string(b->commits[i].oid), e)) ||
		    (rc = json_add(obj, "subject", json_string(b->commits[i].subject), e)))
			goto out;
	}

	if ((rc = json_add(root, "stages", obj = json_object(), e)))
		goto out;
	for (i = 0; i < b->nstages; i++) {
		json_t *st = json_object();

		if ((rc = json_add(obj, b->stages[i].stage, st, e)) ||
		    (rc = json_add(st, "commit", json_string(b->stages[i].oid), e)) ||
		    (rc = json_add(st, "runId", json_string(b->stages[i].run_id), e)))
			goto out;
	}

	if ((rc = json_add(root, "files", arr = json_array(), e)))
		goto out;
	for (i = 0; i < nfiles; i++) {
		obj = json_object();
		if (!obj || json_array_append_new(arr, obj)) {
			rc = err_set(e, ERR_FAIL, "cannot build MANIFEST.json");
			goto out;
		}
		/* The path must survive as bytes: non-UTF-8 names were refused earlier. */
		if ((rc = json_add(obj, "path", json_string(files[i]->path), e)) ||
		    (rc = json_add(obj, "sha256", json_string(files[i]->sha), e)) ||
		    (rc = json_add(obj, "size", json_integer((json_int_t)files[i]->len), e)))
			goto out;
	}

	text = json_dumps(root, JSON_SORT_KEYS | JSON_INDENT(2));
	if (!text) {
		rc = err_set(e, ERR_FAIL, "cannot serialise MANIFEST.json");
		goto out;
	}
	buf_adds(out, text);
	buf_addc(out, '\n');
	rc = 0;
out:
	free(text);
	json_decref(root);
	return rc;
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

	readme_build(b, &text);
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

	if ((rc = manifest_json_build(b, files, n, &text, e)))
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

/* ---- verify ---- */

struct vfile {
	char *path; /* relative to the top directory */
	char sha[65];
	size_t size;
	bool listed;
};

struct verify {
	const char *bundle;
	bundle_problem_fn fn;
	void *ctx;
	size_t nproblems;
	char first[512];
	struct vfile *files;
	size_t nfiles, alloc;
	struct buf manifest;
	struct buf mjson;
	bool have_manifest, have_mjson;
	char *top; /* "ashby2humaans-<run-id>" */
};

static void problem(struct verify *v, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void problem(struct verify *v, const char *path, const char *fmt, ...)
{
	char msg[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (v->nproblems++ == 0)
		snprintf(v->first, sizeof(v->first), "%s: %s", path, msg);
	if (v->fn)
		v->fn(v->ctx, path, msg);
}

static struct vfile *vfile_find(struct verify *v, const char *path)
{
	size_t i;

	for (i = 0; i < v->nfiles; i++)
		if (strcmp(v->files[i].path, path) == 0)
			return &v->files[i];
	return NULL;
}

/* Split "ashby2humaans-<id>/rest" into its top and rest; NULL rest when outside. */
static const char *entry_rel(struct verify *v, const char *name)
{
	const char *slash = strchr(name, '/');
	size_t n = slash ? (size_t)(slash - name) : strlen(name);

	if (!v->top) {
		if (strncmp(name, BUNDLE_TOP_PREFIX, strlen(BUNDLE_TOP_PREFIX)) != 0 ||
		    n == strlen(BUNDLE_TOP_PREFIX))
			return NULL;
		v->top = xstrndup(name, n);
	}
	if (strlen(v->top) != n || strncmp(name, v->top, n) != 0)
		return NULL;
	return slash ? slash + 1 : "";
}

/* CRC-32 (IEEE), for the gzip trailer which libarchive 3.6 does not check. */
static uint32_t crc32_update(uint32_t crc, const unsigned char *p, size_t n)
{
	static uint32_t table[256];
	static bool ready;
	size_t i;
	int k;

	if (!ready) {
		for (i = 0; i < 256; i++) {
			uint32_t c = (uint32_t)i;

			for (k = 0; k < 8; k++)
				c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
			table[i] = c;
		}
		ready = true;
	}
	crc = ~crc;
	for (i = 0; i < n; i++)
		crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
	return ~crc;
}

/*
 * A gzip stream's trailer holds the CRC-32 and size of everything it
 * decompresses to, tar padding included. libarchive does not check it, so a
 * changed byte there (or in data past the tar's end) would go unnoticed.
 */
static void gzip_check(struct verify *v, const char *path)
{
	unsigned char head[2], trailer[8];
	struct archive *a = NULL;
	struct archive_entry *ent;
	unsigned char block[16384];
	uint32_t crc = 0, want_crc, want_size;
	uint64_t size = 0;
	la_ssize_t n;
	FILE *f = fopen(path, "rb");
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;

	if (!f)
		return;
	if (fread(head, 1, 2, f) != 2 || head[0] != 0x1f || head[1] != 0x8b) {
		fclose(f);
		return;
	}
	if (fseek(f, -8, SEEK_END) != 0 || fread(trailer, 1, 8, f) != 8) {
		fclose(f);
		problem(v, base, "gzip stream is truncated");
		return;
	}
	fclose(f);
	want_crc = (uint32_t)trailer[0] | (uint32_t)trailer[1] << 8 | (uint32_t)trailer[2] << 16 |
		   (uint32_t)trailer[3] << 24;
	want_size = (uint32_t)trailer[4] | (uint32_t)trailer[5] << 8 | (uint32_t)trailer[6] << 16 |
		    (uint32_t)trailer[7] << 24;

	a = archive_read_new();
	if (!a)
		return;
	archive_read_support_filter_gzip(a);
	archive_read_support_format_raw(a);
	if (archive_read_open_filename(a, path, sizeof(block)) != ARCHIVE_OK ||
	    archive_read_next_header(a, &ent) != ARCHIVE_OK) {
		problem(v, base, "gzip stream is unreadable: %s", archive_error_string(a));
		goto out;
	}
	while ((n = archive_read_data(a, block, sizeof(block))) > 0) {
		crc = crc32_update(crc, block, (size_t)n);
		size += (uint64_t)n;
	}
	if (n < 0)
		problem(v, base, "gzip stream is corrupt: %s", archive_error_string(a));
	else if (crc != want_crc || (uint32_t)size != want_size)
		problem(v, base, "gzip checksum does not match its contents");
out:
	archive_read_free(a);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Check every MANIFEST line against the files read; mark them listed. */
static void manifest_check(struct verify *v)
{
	char *text = v->manifest.data;
	char *line, *nl, *p;
	size_t lineno = 0, i;
	struct buf path = BUF_INIT;

	for (line = text; *line; line = nl + 1) {
		char sha[65];
		bool escaped = false, bad = false;
		struct vfile *f;

		lineno++;
		nl = strchr(line, '\n');
		if (!nl) {
			problem(v, "MANIFEST", "line %zu has no final newline", lineno);
			break;
		}
		*nl = '\0';
		p = line;
		if (*p == '\\') {
			escaped = true;
			p++;
		}
		for (i = 0; i < 64; i++) {
			int h = hexval(p[i]);

			if (h < 0)
				break;
			sha[i] = "0123456789abcdef"[h];
		}
		sha[64] = '\0';
		if (i != 64 || p[64] != ' ' || (p[65] != ' ' && p[65] != '*') || !p[66]) {
			problem(v, "MANIFEST", "line %zu is not '<sha256>  <path>'", lineno);
			*nl = '\n';
			continue;
		}
		buf_reset(&path);
		for (p += 66; *p; p++) {
			if (escaped && *p == '\\') {
				p++;
				if (*p == '\\')
					buf_addc(&path, '\\');
				else if (*p == 'n')
					buf_addc(&path, '\n');
				else if (*p == 'r')
					buf_addc(&path, '\r');
				else {
					bad = true;
					break;
				}
			} else {
				buf_addc(&path, *p);
			}
		}
		*nl = '\n';
		if (bad) {
			problem(v, "MANIFEST", "line %zu has a bad escape", lineno);
			continue;
		}
		f = vfile_find(v, path.data);
		if (!f)
			problem(v, path.data, "listed in MANIFEST but missing from the bundle");
		else if (f->listed)
			problem(v, path.data, "listed twice in MANIFEST");
		else {
			f->listed = true;
			if (strcmp(f->sha, sha) != 0)
				problem(v, path.data, "sha256 differs from MANIFEST");
		}
	}
	buf_release(&path);
	for (i = 0; i < v->nfiles; i++)
		if (!v->files[i].listed && strcmp(v->files[i].path, "MANIFEST") != 0)
			problem(v, v->files[i].path, "not listed in MANIFEST");
}

/* MANIFEST.json must agree with the files too (sizes and sums). */
static void manifest_json_check(struct verify *v)
{
	json_error_t jerr;
	json_t *root, *files, *item;
	const char *run_id;
	size_t i;

	root = json_loadb(v->mjson.data, v->mjson.len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		problem(v, "MANIFEST.json", "not valid JSON: %s (line %d)", jerr.text, jerr.line);
		return;
	}
	run_id = json_string_value(json_object_get(root, "runId"));
	if (!run_id || !v->top || strcmp(v->top + strlen(BUNDLE_TOP_PREFIX), run_id) != 0)
		problem(v, "MANIFEST.json", "runId does not match the top directory '%s'",
			v->top ? v->top : "");
	files = json_object_get(root, "files");
	if (!json_is_array(files)) {
		problem(v, "MANIFEST.json", "has no files array");
		goto out;
	}
	json_array_foreach (files, i, item) {
		const char *p = json_string_value(json_object_get(item, "path"));
		const char *sha = json_string_value(json_object_get(item, "sha256"));
		json_t *size = json_object_get(item, "size");
		struct vfile *f;

		if (!p || !sha || !json_is_integer(size)) {
			problem(v, "MANIFEST.json", "file %zu lacks path, sha256 or size", i);
			continue;
		}
		f = vfile_find(v, p);
		if (!f)
			problem(v, p, "listed in MANIFEST.json but missing from the bundle");
		else if (strcmp(f->sha, sha) != 0 ||
			 (json_int_t)f->size != json_integer_value(size))
			problem(v, p, "size or sha256 differs from MANIFEST.json");
	}
out:
	json_decref(root);
}

int bundle_verify(const char *path, bundle_problem_fn fn, void *ctx, size_t *nfiles_out,
		  struct err *e)
{
	struct verify v;
	struct archive *a = archive_read_new();
	struct archive_entry *ent;
	struct buf data;
	struct stat st;
	const char *name, *rel;
	char buf_block[16384];
	la_ssize_t n;
	bool too_large;
	size_t i;
	int r, rc = 0;

	memset(&v, 0, sizeof(v));
	v.bundle = path;
	v.fn = fn;
	v.ctx = ctx;
	buf_init(&v.manifest, BUNDLE_FILE_MAX);
	buf_init(&v.mjson, BUNDLE_FILE_MAX);
	buf_init(&data, BUNDLE_FILE_MAX);
	if (!a) {
		rc = err_set(e, ERR_FAIL, "cannot read bundle '%s': out of memory", path);
		goto out;
	}
	errno = 0;
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
		rc = err_set(e, ERR_IO, "cannot read bundle '%s': %s", path,
			     errno ? strerror(errno) : "not a file");
		goto out;
	}
	archive_read_support_filter_gzip(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_zip(a);
	if (archive_read_open_filename(a, path, sizeof(buf_block)) != ARCHIVE_OK) {
		rc = err_set(e, ERR_INVALID,
			     "bundle '%s' is unreadable (corrupt, or not a .tar.gz or .zip): %s",
			     path, archive_error_string(a));
		goto out;
	}

	while ((r = archive_read_next_header(a, &ent)) != ARCHIVE_EOF) {
		if (r < ARCHIVE_WARN) {
			problem(&v, "(archive)", "corrupt: %s", archive_error_string(a));
			break;
		}
		name = archive_entry_pathname_utf8(ent);
		if (!name)
			name = archive_entry_pathname(ent);
		if (!name)
			name = "(unnamed entry)";
		rel = entry_rel(&v, name);
		if (!rel) {
			problem(&v, name, "outside the bundle's top directory");
			continue;
		}
		if (archive_entry_filetype(ent) == AE_IFDIR)
			continue;
		if (archive_entry_filetype(ent) != AE_IFREG) {
			problem(&v, rel, "not a regular file");
			continue;
		}
		if (vfile_find(&v, rel)) {
			problem(&v, rel, "appears twice in the bundle");
			continue;
		}
		buf_reset(&data);
		too_large = false;
		while ((n = archive_read_data(a, buf_block, sizeof(buf_block))) > 0) {
			if (buf_add(&data, buf_block, (size_t)n) != 0) {
				too_large = true;
				break;
			}
		}
		if (n < 0 || too_large) {
			problem(&v, rel, "unreadable: %s",
				too_large ? "too large" : archive_error_string(a));
			goto done;
		}
		if (v.nfiles == v.alloc) {
			v.alloc = v.alloc ? 2 * v.alloc : 32;
			v.files = xrealloc(v.files, v.alloc * sizeof(*v.files));
		}
		v.files[v.nfiles].path = xstrdup(rel);
		sha256_hex(data.data, data.len, v.files[v.nfiles].sha);
		v.files[v.nfiles].size = data.len;
		v.files[v.nfiles].listed = false;
		v.nfiles++;
		if (strcmp(rel, "MANIFEST") == 0) {
			buf_add(&v.manifest, data.data, data.len);
			v.have_manifest = true;
		} else if (strcmp(rel, "MANIFEST.json") == 0) {
			buf_add(&v.mjson, data.data, data.len);
			v.have_mjson = true;
		}
	}

	if (!v.have_manifest)
		problem(&v, "MANIFEST", "missing from the bundle");
	else if (memchr(v.manifest.data, '\0', v.manifest.len))
		problem(&v, "MANIFEST", "holds a NUL byte");
	else
		manifest_check(&v);
	if (!v.have_mjson)
		problem(&v, "MANIFEST.json", "missing from the bundle");
	else
		manifest_json_check(&v);
	gzip_check(&v, path);
done:
	if (nfiles_out)
		*nfiles_out = v.nfiles;
	if (v.nproblems)
		rc = err_set(e, ERR_INVALID,
			     "bundle '%s' does not verify: %zu problem%s, first: %s", path,
			     v.nproblems, v.nproblems == 1 ? "" : "s", v.first);
out:
	if (a)
		archive_read_free(a);
	for (i = 0; i < v.nfiles; i++)
		free(v.files[i].path);
	free(v.files);
	free(v.top);
	buf_release(&v.manifest);
	buf_release(&v.mjson);
	buf_release(&data);
	return rc;
}
