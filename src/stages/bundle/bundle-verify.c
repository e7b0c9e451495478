/*
 * bundle-verify: checking a bundle (untrusted input) against its MANIFEST,
 * MANIFEST.json and gzip trailer.
 */
#include "config.h"

#include "stages/bundle/bundle-int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>

#include "base/syntax.h"
#include "base/hash.h"
#include "base/xalloc.h"

/* The largest file verify reads into memory: a bundle is untrusted input. */
#define BUNDLE_FILE_MAX ((size_t)1 << 30)
#define VERIFY_BLOCK 16384 /* bytes read from the archive at a time */

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
			int h = syntax_hex_digit(p[i]);

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

/*
 * Open the bundle at `path` for reading (.tar.gz or .zip). *out is set even on
 * failure (NULL when out of memory): the caller frees it.
 */
static int archive_open(const char *path, struct archive **out, struct err *e)
{
	struct archive *a = archive_read_new();
	struct stat st;

	*out = a;
	if (!a)
		return err_set(e, ERR_FAIL, "cannot read bundle '%s': out of memory", path);
	errno = 0;
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return err_set(e, ERR_IO, "cannot read bundle '%s': %s", path,
			       errno ? strerror(errno) : "not a file");
	archive_read_support_filter_gzip(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_zip(a);
	if (archive_read_open_filename(a, path, VERIFY_BLOCK) != ARCHIVE_OK)
		return err_set(e, ERR_INVALID,
			       "bundle '%s' is unreadable (corrupt, or not a .tar.gz or .zip): %s",
			       path, archive_error_string(a));
	return 0;
}

/* Read the current entry's bytes into `data`; false (a problem told) when they cannot be. */
static bool entry_read(struct verify *v, struct archive *a, const char *rel, struct buf *data)
{
	char block[VERIFY_BLOCK];
	bool too_large = false;
	la_ssize_t n;

	buf_reset(data);
	while ((n = archive_read_data(a, block, sizeof(block))) > 0) {
		if (buf_add(data, block, (size_t)n) != 0) {
			too_large = true;
			break;
		}
	}
	if (n < 0 || too_large) {
		problem(v, rel, "unreadable: %s",
			too_large ? "too large" : archive_error_string(a));
		return false;
	}
	return true;
}

/* Record a file read from the bundle; MANIFEST and MANIFEST.json are also kept whole. */
static void vfile_add(struct verify *v, const char *rel, const struct buf *data)
{
	if (v->nfiles == v->alloc) {
		v->alloc = v->alloc ? 2 * v->alloc : 32;
		v->files = xrealloc(v->files, v->alloc * sizeof(*v->files));
	}
	v->files[v->nfiles].path = xstrdup(rel);
	sha256_hex(data->data, data->len, v->files[v->nfiles].sha);
	v->files[v->nfiles].size = data->len;
	v->files[v->nfiles].listed = false;
	v->nfiles++;
	if (strcmp(rel, "MANIFEST") == 0) {
		buf_add(&v->manifest, data->data, data->len);
		v->have_manifest = true;
	} else if (strcmp(rel, "MANIFEST.json") == 0) {
		buf_add(&v->mjson, data->data, data->len);
		v->have_mjson = true;
	}
}

/*
 * Read every entry of the archive into v->files, telling a problem for each
 * one that does not belong. false when a file could not be read: the
 * manifests are then not checked against an incomplete list.
 */
static bool entries_read(struct verify *v, struct archive *a)
{
	struct archive_entry *ent;
	struct buf data;
	const char *name, *rel;
	bool complete = true;
	int r;

	buf_init(&data, BUNDLE_FILE_MAX);
	while ((r = archive_read_next_header(a, &ent)) != ARCHIVE_EOF) {
		if (r < ARCHIVE_WARN) {
			problem(v, "(archive)", "corrupt: %s", archive_error_string(a));
			break;
		}
		name = archive_entry_pathname_utf8(ent);
		if (!name)
			name = archive_entry_pathname(ent);
		if (!name)
			name = "(unnamed entry)";
		rel = entry_rel(v, name);
		if (!rel) {
			problem(v, name, "outside the bundle's top directory");
			continue;
		}
		if (archive_entry_filetype(ent) == AE_IFDIR)
			continue;
		if (archive_entry_filetype(ent) != AE_IFREG) {
			problem(v, rel, "not a regular file");
			continue;
		}
		if (vfile_find(v, rel)) {
			problem(v, rel, "appears twice in the bundle");
			continue;
		}
		if (!entry_read(v, a, rel, &data)) {
			complete = false;
			break;
		}
		vfile_add(v, rel, &data);
	}
	buf_release(&data);
	return complete;
}

/* The checks once every file is read: MANIFEST, MANIFEST.json, the gzip trailer. */
static void files_check(struct verify *v, const char *path)
{
	if (!v->have_manifest)
		problem(v, "MANIFEST", "missing from the bundle");
	else if (memchr(v->manifest.data, '\0', v->manifest.len))
		problem(v, "MANIFEST", "holds a NUL byte");
	else
		manifest_check(v);
	if (!v->have_mjson)
		problem(v, "MANIFEST.json", "missing from the bundle");
	else
		manifest_json_check(v);
	gzip_check(v, path);
}

int bundle_verify(const char *path, bundle_problem_fn fn, void *ctx, size_t *nfiles_out,
		  struct err *e)
{
	struct verify v;
	struct archive *a = NULL;
	size_t i;
	int rc;

	memset(&v, 0, sizeof(v));
	v.bundle = path;
	v.fn = fn;
	v.ctx = ctx;
	buf_init(&v.manifest, BUNDLE_FILE_MAX);
	buf_init(&v.mjson, BUNDLE_FILE_MAX);
	if ((rc = archive_open(path, &a, e)) != 0)
		goto out;
	if (entries_read(&v, a))
		files_check(&v, path);
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
	return rc;
}
