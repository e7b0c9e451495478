/* bundle-contents: a bundle in memory: its files (by value or by reference), commits and stages. */
#include "config.h"

#include "stages/bundle/bundle-int.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/hash.h"
#include "base/xalloc.h"

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
