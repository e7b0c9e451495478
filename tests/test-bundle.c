/* Unit tests for the bundle module: run times, MANIFEST format, writing and verifying bundles. */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>

#include "stages/bundle.h"
#include "base/hash.h"
#include "tap.h"
#include "base/xalloc.h"

static char tmpdir[] = "/tmp/a2h-bundle-XXXXXX";

struct entry {
	char *path;
	char *data;
	size_t len;
	int type;
	int perm;
	long long uid, gid;
	char *uname;
	time_t mtime;
};

struct entries {
	struct entry e[64];
	size_t n;
};

static void entries_free(struct entries *es)
{
	size_t i;

	for (i = 0; i < es->n; i++) {
		free(es->e[i].path);
		free(es->e[i].data);
		free(es->e[i].uname);
	}
	es->n = 0;
}

/* Read every entry of an archive with libarchive, independently of the bundle module. */
static int entries_read(const char *path, struct entries *es)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ent;
	char block[4096];
	la_ssize_t n;
	int rc = 0;

	es->n = 0;
	archive_read_support_filter_all(a);
	archive_read_support_format_all(a);
	if (archive_read_open_filename(a, path, 10240) != ARCHIVE_OK) {
		archive_read_free(a);
		return -1;
	}
	while (es->n < 64 && (rc = archive_read_next_header(a, &ent)) == ARCHIVE_OK) {
		struct entry *x = &es->e[es->n++];
		size_t cap = 64;

		x->path = xstrdup(archive_entry_pathname(ent));
		x->type = (int)archive_entry_filetype(ent);
		x->perm = (int)archive_entry_perm(ent);
		x->uid = archive_entry_uid(ent);
		x->gid = archive_entry_gid(ent);
		x->uname = xstrdup(archive_entry_uname(ent) ? archive_entry_uname(ent) : "");
		x->mtime = archive_entry_mtime(ent);
		x->data = xmalloc(cap);
		x->len = 0;
		while ((n = archive_read_data(a, block, sizeof(block))) > 0) {
			while (x->len + (size_t)n + 1 > cap)
				cap *= 2;
			x->data = xrealloc(x->data, cap);
			memcpy(x->data + x->len, block, (size_t)n);
			x->len += (size_t)n;
		}
		x->data[x->len] = '\0';
	}
	archive_read_free(a);
	return rc == ARCHIVE_EOF ? 0 : -1;
}

static struct entry *entry_find(struct entries *es, const char *path)
{
	size_t i;

	for (i = 0; i < es->n; i++)
		if (strcmp(es->e[i].path, path) == 0)
			return &es->e[i];
	return NULL;
}

/* Write entries back as a tar.gz, e.g. after tampering with one. */
static int entries_write_tgz(const char *path, struct entries *es)
{
	struct archive *a = archive_write_new();
	struct archive_entry *ent = archive_entry_new();
	size_t i;
	int rc = 0;

	archive_write_set_format_pax_restricted(a);
	archive_write_add_filter_gzip(a);
	if (archive_write_open_filename(a, path) != ARCHIVE_OK)
		rc = -1;
	for (i = 0; !rc && i < es->n; i++) {
		archive_entry_clear(ent);
		archive_entry_set_pathname(ent, es->e[i].path);
		archive_entry_set_filetype(ent, (unsigned)es->e[i].type);
		archive_entry_set_perm(ent, (mode_t)es->e[i].perm);
		archive_entry_set_size(ent, (la_int64_t)es->e[i].len);
		if (archive_write_header(a, ent) != ARCHIVE_OK)
			rc = -1;
		else if (es->e[i].len && archive_write_data(a, es->e[i].data, es->e[i].len) !=
						 (la_ssize_t)es->e[i].len)
			rc = -1;
	}
	if (archive_write_close(a) != ARCHIVE_OK)
		rc = -1;
	archive_write_free(a);
	archive_entry_free(ent);
	return rc;
}

static int file_read(const char *path, char **data, size_t *len)
{
	FILE *f = fopen(path, "rb");
	long n;

	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	*data = xmalloc((size_t)n + 1);
	*len = fread(*data, 1, (size_t)n, f);
	fclose(f);
	return *len == (size_t)n ? 0 : -1;
}

static int file_write(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	int rc;

	if (!f)
		return -1;
	rc = fwrite(data, 1, len, f) == len ? 0 : -1;
	return fclose(f) == 0 ? rc : -1;
}

static int files_same(const char *a, const char *b)
{
	char *x = NULL, *y = NULL;
	size_t nx = 0, ny = 0;
	int same = file_read(a, &x, &nx) == 0 && file_read(b, &y, &ny) == 0 && nx == ny &&
		   memcmp(x, y, nx) == 0;

	free(x);
	free(y);
	return same;
}

static size_t dir_count(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

struct problems {
	char text[4096];
	size_t n;
};

static void on_problem(void *ctx, const char *path, const char *problem)
{
	struct problems *p = ctx;
	size_t used = strlen(p->text);

	p->n++;
	snprintf(p->text + used, sizeof(p->text) - used, "%s: %s\n", path, problem);
}

static const unsigned char pdf[] = { '%', 'P',	'D',  'F',  '-', '1', '.', '4', '\n', 0,   1,
				     2,	  0xff, 0xfe, '\n', '%', '%', 'E', 'O', 'F',  '\n' };

static void bundle_fill(struct bundle *b)
{
	struct err e = ERR_INIT;
	int rc = 0;

	snprintf(b->commit, sizeof(b->commit), "%s", "0123456789abcdef0123456789abcdef01234567");
	bundle_set_summary(b, "run 20261127T020000Z: ok\n\nCommand: run\nOutcome: ok\n");
	rc |= bundle_add_file(b, "transform/new_hires.json", "[]\n", 3, &e);
	rc |= bundle_add_file(b, "pipeline.json", "{}\n", 3, &e);
	rc |= bundle_add_file(b, "extract/applications.json", "[\n  {\"id\": \"a1\"}\n]\n", 18, &e);
	rc |= bundle_add_file(b, "extract/files/a1/offer_signed.pdf", pdf, sizeof(pdf), &e);
	rc |= bundle_add_file(b, "extract/files.json", "", 0, &e);
	rc |= bundle_add_file(b, "load/journal.jsonl", "{\"phase\":\"begin\"}\n", 18, &e);
	bundle_add_commit(b, "extract", "1111111111111111111111111111111111111111",
			  "extract: 1 application, 1 hire, 2 files changed");
	bundle_add_commit(b, "transform", "2222222222222222222222222222222222222222",
			  "transform: 1 hire");
	bundle_add_stage(b, "extract", "1111111111111111111111111111111111111111",
			 "20261127T020000Z");
	ok(rc == 0, "files added to the bundle");
}

static void test_run_time(void)
{
	struct err e = ERR_INIT;
	time_t t = 0;

	is_int(bundle_run_time("20261127T020000Z", &t, &e), 0, "a run id parses");
	is_int((long long)t, 1795744800LL, "20261127T020000Z is 2026-11-27 02:00:00 UTC");
	is_int(bundle_run_time("19700101T000000Z", &t, &e), 0, "the epoch parses");
	is_int((long long)t, 0, "19700101T000000Z is 0");
	is_int(bundle_run_time("20240229T235959Z-2", &t, &e), 0, "a suffixed run id parses");
	is_int((long long)t, 1709251199LL, "a leap day's last second");
	is_int(bundle_run_time("20261127T020000", &t, &e), ERR_INVALID, "no Z is refused");
	is_int(bundle_run_time("20261327T020000Z", &t, &e), ERR_INVALID, "month 13 is refused");
	is_int(bundle_run_time("20261127T020000Z-", &t, &e), ERR_INVALID,
	       "an empty suffix is refused");
	is_int(bundle_run_time("20261127T020000Zx", &t, &e), ERR_INVALID,
	       "junk after Z is refused");
	ok(strstr(e.msg, "20261127T020000Zx") != NULL, "the message names the run id");
}

static void test_manifest_line(void)
{
	struct buf b = BUF_INIT;
	char sha[65];

	sha256_hex("abc", 3, sha);
	is_str(sha, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	       "sha256_hex of 'abc'");
	sha256_hex("", 0, sha);
	is_str(sha, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	       "sha256_hex of nothing");
	bundle_manifest_line(&b, sha, "extract/a.json");
	is_str(b.data,
	       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  extract/a.json\n",
	       "a MANIFEST line is '<hex>  <path>'");
	buf_reset(&b);
	bundle_manifest_line(&b, sha, "a\\b");
	is_str(b.data,
	       "\\e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  a\\\\b\n",
	       "a backslash is escaped as sha256sum does");
	buf_release(&b);
}

static void test_refusals(void)
{
	struct bundle b;
	struct err e = ERR_INIT;
	char *path;

	bundle_init(&b, "20261127T020000Z");
	is_int(bundle_add_file(&b, "/etc/passwd", "", 0, &e), ERR_INVALID,
	       "an absolute path is refused");
	is_int(bundle_add_file(&b, "extract/../x", "", 0, &e), ERR_INVALID, "'..' is refused");
	is_int(bundle_add_file(&b, "a//b", "", 0, &e), ERR_INVALID,
	       "an empty component is refused");
	is_int(bundle_add_file(&b, "a\nb", "", 0, &e), ERR_INVALID, "a newline is refused");
	is_int(bundle_add_file(&b, "MANIFEST", "", 0, &e), ERR_INVALID, "MANIFEST is reserved");
	is_int(bundle_add_file(&b, "README", "", 0, &e), ERR_INVALID, "README is reserved");
	is_int(bundle_add_file(&b, "x.json", "1", 1, &e), 0, "a plain path is taken");
	is_int(bundle_add_file(&b, "x.json", "2", 1, &e), 0, "a duplicate is taken for now");

	path = xasprintf("%s/out.tar", tmpdir);
	err_clear(&e);
	is_int(bundle_write(&b, path, NULL, &e), ERR_INVALID, "a .tar name is refused");
	ok(strstr(e.msg, ".tar.gz or .zip") != NULL, "the message says which names work: %s",
	   e.msg);
	ok(access(path, F_OK) != 0, "nothing is written for a refused name");
	free(path);

	path = xasprintf("%s/dup.tar.gz", tmpdir);
	is_int(bundle_write(&b, path, NULL, &e), ERR_INVALID, "a duplicate path fails the write");
	ok(strstr(e.msg, "x.json") != NULL, "the message names the duplicate: %s", e.msg);
	ok(access(path, F_OK) != 0, "no bundle is left behind");
	free(path);

	bundle_release(&b);

	bundle_init(&b, "20261127T020000Z");
	path = xasprintf("%s/no/such/dir/out.zip", tmpdir);
	is_int(bundle_write(&b, path, NULL, &e), ERR_IO, "an unwritable place is an i/o error");
	free(path);
	is_int((long long)dir_count(tmpdir), 0, "no temp file is left behind");
	bundle_release(&b);

	bundle_init(&b, "not-a-run");
	path = xasprintf("%s/bad.zip", tmpdir);
	is_int(bundle_write(&b, path, NULL, &e), ERR_INVALID, "a bad run id fails the write");
	free(path);
	bundle_release(&b);
}

static void check_contents(const char *path, const char *what)
{
	struct entries es;
	struct entry *m, *x;
	struct buf want = BUF_INIT;
	const char *top = "ashby2humaans-20261127T020000Z/";
	char sha[65];
	size_t i, nfiles = 0;
	int is_tar = strstr(what, ".tar.gz") != NULL;
	int sorted = 1, owned = 1, stamped = 1, modes = 1, under_top = 1;
	json_t *mj;
	json_error_t jerr;

	if (!ok(entries_read(path, &es) == 0, "%s: libarchive reads it back", what))
		return;
	is_str(es.e[0].path, "ashby2humaans-20261127T020000Z/", "the top directory comes first");
	for (i = 0; i < es.n; i++) {
		struct entry *y = &es.e[i];

		if (i > 0 && strcmp(es.e[i - 1].path, y->path) >= 0)
			sorted = 0;
		/* zip keeps uid and gid (the "ux" field) but no owner names. */
		if (y->uid != 0 || y->gid != 0 || (is_tar && strcmp(y->uname, "root") != 0))
			owned = 0;
		if (y->mtime != 1795744800)
			stamped = 0;
		if (y->perm != (y->type == AE_IFDIR ? 0755 : 0644))
			modes = 0;
		if (strncmp(y->path, top, strlen(top)) != 0)
			under_top = 0;
		if (y->type == AE_IFREG)
			nfiles++;
	}
	ok(sorted, "%s: entries are sorted", what);
	ok(owned, "%s: entries belong to root (uid/gid 0)", what);
	ok(stamped, "%s: entries carry the run's start time", what);
	ok(modes, "%s: files are 0644, directories 0755", what);
	ok(under_top, "%s: everything is under the top directory", what);
	ok(nfiles == 9, "%s: 6 files, README, MANIFEST, MANIFEST.json", what);
	x = entry_find(&es, "ashby2humaans-20261127T020000Z/extract/files/a1/");
	ok(x && x->type == AE_IFDIR, "%s: directories have entries", what);
	x = entry_find(&es, "ashby2humaans-20261127T020000Z/extract/files/a1/offer_signed.pdf");
	ok(x && x->len == sizeof(pdf) && memcmp(x->data, pdf, sizeof(pdf)) == 0,
	   "%s: binary data survives", what);

	/* MANIFEST: every file but itself, sorted, in sha256sum format. */
	for (i = 0; i < es.n; i++) {
		const char *rel = es.e[i].path + strlen(top);

		if (es.e[i].type != AE_IFREG || strcmp(rel, "MANIFEST") == 0)
			continue;
		sha256_hex(es.e[i].data, es.e[i].len, sha);
		buf_addf(&want, "%s  %s\n", sha, rel);
	}
	m = entry_find(&es, "ashby2humaans-20261127T020000Z/MANIFEST");
	ok(m != NULL, "%s: MANIFEST is there", what);
	is_str(m ? m->data : NULL, want.data,
	       "MANIFEST lists every other file with its sha256, sorted");
	ok(m && strstr(m->data, "  MANIFEST.json\n") && strstr(m->data, "  README\n"),
	   "%s: MANIFEST covers MANIFEST.json and README", what);

	x = entry_find(&es, "ashby2humaans-20261127T020000Z/README");
	ok(x && strstr(x->data, "sha256sum -c MANIFEST") && strstr(x->data, "20261127T020000Z"),
	   "%s: README says how to verify", what);

	x = entry_find(&es, "ashby2humaans-20261127T020000Z/MANIFEST.json");
	mj = x ? json_loadb(x->data, x->len, JSON_REJECT_DUPLICATES, &jerr) : NULL;
	ok(mj != NULL, "%s: MANIFEST.json parses", what);
	is_str(json_string_value(json_object_get(mj, "runId")), "20261127T020000Z",
	       "MANIFEST.json has the run id");
	is_str(json_string_value(json_object_get(mj, "commit")),
	       "0123456789abcdef0123456789abcdef01234567", "MANIFEST.json has the tagged commit");
	is_str(json_string_value(
		       json_object_get(json_array_get(json_object_get(mj, "commits"), 1), "stage")),
	       "transform", "MANIFEST.json lists the run's commits by stage");
	is_int((long long)json_array_size(json_object_get(mj, "files")), 7,
	       "MANIFEST.json lists every file but the manifests");
	is_int(json_integer_value(
		       json_object_get(json_array_get(json_object_get(mj, "files"), 3), "size")),
	       (long long)sizeof(pdf), "MANIFEST.json has sizes (sorted by path)");
	json_decref(mj);
	buf_release(&want);
	entries_free(&es);
}

static void test_write_verify(const char *name)
{
	struct bundle b;
	struct err e = ERR_INIT;
	struct problems p = { "", 0 };
	char *path = xasprintf("%s/%s", tmpdir, name);
	char *again = xasprintf("%s/again-%s", tmpdir, name);
	size_t n = 0;

	bundle_init(&b, "20261127T020000Z");
	bundle_fill(&b);
	ok(bundle_write(&b, path, &n, &e) == 0, "%s is written", name);
	if (e.code)
		diag("%s", e.msg);
	is_int((long long)n, 9, "bundle_write counts 9 files");
	check_contents(path, name);

	n = 0;
	is_int(bundle_verify(path, on_problem, &p, &n, &e), 0, "a fresh bundle verifies");
	if (p.n)
		diag("%s", p.text);
	is_int((long long)n, 9, "verify checked 9 files");

	is_int(bundle_write(&b, again, NULL, &e), 0, "written twice");
	ok(files_same(path, again), "%s: two writes are byte-identical", name);
	sleep(1);
	unlink(again);
	is_int(bundle_write(&b, again, NULL, &e), 0, "written again a second later");
	ok(files_same(path, again), "%s: still byte-identical a second later", name);
	unlink(again);
	bundle_release(&b);
	free(again);
	free(path);
}

/* Flip one byte at `off` of a copy of `src`; verify must fail. */
static void test_flip(const char *src, long off, const char *what)
{
	struct err e = ERR_INIT;
	struct problems p = { "", 0 };
	char *copy = xasprintf("%s.flipped", src);
	char *data = NULL;
	size_t len = 0;

	if (file_read(src, &data, &len) != 0) {
		ok(0, "read %s", src);
		free(copy);
		return;
	}
	if (off < 0)
		off += (long)len;
	data[off] ^= 0x20;
	file_write(copy, data, len);
	ok(bundle_verify(copy, on_problem, &p, NULL, &e) == ERR_INVALID,
	   "one byte changed (%s) fails verify", what);
	ok(e.msg[0] && (p.n > 0 || strstr(e.msg, "is unreadable (corrupt")),
	   "%s: the problem is reported: %s", what, e.msg);
	unlink(copy);
	free(copy);
	free(data);
}

static void test_tamper(void)
{
	struct bundle b;
	struct err e = ERR_INIT;
	struct problems p = { "", 0 };
	struct entries es;
	struct entry *x;
	char *path = xasprintf("%s/t.tar.gz", tmpdir);
	char *zpath = xasprintf("%s/t.zip", tmpdir);
	char *bad = xasprintf("%s/bad.tar.gz", tmpdir);
	char *data = NULL;
	size_t len = 0;

	bundle_init(&b, "20261127T020000Z");
	bundle_fill(&b);
	bundle_write(&b, path, NULL, &e);
	bundle_write(&b, zpath, NULL, &e);
	bundle_release(&b);

	/* An auditor's worry: one file's content changed, the archive itself sound. */
	entries_read(path, &es);
	x = entry_find(&es, "ashby2humaans-20261127T020000Z/extract/applications.json");
	if (x)
		x->data[8] = 'X';
	entries_write_tgz(bad, &es);
	is_int(bundle_verify(bad, on_problem, &p, NULL, &e), ERR_INVALID,
	       "a changed file fails verify");
	ok(strstr(p.text, "extract/applications.json: sha256 differs from MANIFEST") != NULL,
	   "the changed file is named: %s", p.text);
	ok(strstr(e.msg, "extract/applications.json") != NULL, "the error names it: %s", e.msg);

	/* A file removed and one added. */
	if (x) {
		free(x->path);
		x->path = xstrdup("ashby2humaans-20261127T020000Z/extract/extra.json");
	}
	entries_write_tgz(bad, &es);
	memset(&p, 0, sizeof(p));
	is_int(bundle_verify(bad, on_problem, &p, NULL, &e), ERR_INVALID,
	       "a missing and an extra file fail verify");
	ok(strstr(p.text, "extract/applications.json: listed in MANIFEST but missing") != NULL,
	   "the missing file is named");
	ok(strstr(p.text, "extract/extra.json: not listed in MANIFEST") != NULL,
	   "the extra file is named");
	entries_free(&es);

	/* One byte of the compressed file, wherever it is. */
	file_read(path, &data, &len);
	test_flip(path, (long)len / 2, "tar.gz, middle");
	test_flip(path, 12, "tar.gz, start of the deflate data");
	test_flip(path, -1, "tar.gz, gzip trailer");
	test_flip(path, -6, "tar.gz, gzip crc");
	test_flip(zpath, 200, "zip, early");
	test_flip(zpath, 400, "zip, later");
	free(data);

	memset(&p, 0, sizeof(p));
	file_write(bad, "not an archive\n", 15);
	ok(bundle_verify(bad, on_problem, &p, NULL, &e) < 0, "a non-archive fails verify: %s",
	   e.msg);
	is_int(bundle_verify("/nonexistent/x.tar.gz", NULL, NULL, NULL, &e), ERR_IO,
	       "a missing bundle is an i/o error");

	unlink(bad);
	unlink(path);
	unlink(zpath);
	free(bad);
	free(path);
	free(zpath);
}

int main(void)
{
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	test_run_time();
	test_manifest_line();
	test_refusals();
	test_write_verify("b.tar.gz");
	test_write_verify("b.zip");
	test_tamper();
	rmdir(tmpdir);
	return tap_done();
}
