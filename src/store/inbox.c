#define _DEFAULT_SOURCE /* DT_REG */
#include "config.h"

#include "store/inbox.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/hash.h"
#include "base/jsonutil.h"
#include "base/log.h"
#include "base/xalloc.h"

#define REC_MAX (64u << 10) /* a record is a few hundred bytes; anything larger is not ours */

struct inbox {
	char *dir;  /* <staging>/inbox */
	char *done; /* <staging>/inbox/done */
	pthread_mutex_t mu;
	unsigned long tmp_seq;
};

const char *inbox_path(const struct inbox *ib)
{
	return ib->dir;
}

static int make_dir(const char *path, struct err *e)
{
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return err_set(e, ERR_IO, "cannot create '%s': %s", path, strerror(errno));
	return 0;
}

static int fsync_dir(const char *path, struct err *e)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0 || fsync(fd) < 0)
		rc = err_set(e, ERR_IO, "cannot sync '%s': %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	return rc;
}

/* A record file name: <64 hex>.json. */
static bool is_record_name(const char *name)
{
	size_t i;

	for (i = 0; i < 64; i++)
		if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f')))
			return false;
	return strcmp(name + 64, ".json") == 0;
}

static void prune_done(struct inbox *ib)
{
	DIR *d = opendir(ib->done);
	struct dirent *de;
	time_t cutoff = time(NULL) - (time_t)INBOX_KEEP_DAYS * 86400;

	if (!d)
		return;
	while ((de = readdir(d))) {
		struct stat st;
		char *p;

		if (!is_record_name(de->d_name))
			continue;
		p = xasprintf("%s/%s", ib->done, de->d_name);
		if (lstat(p, &st) == 0 && S_ISREG(st.st_mode) && st.st_mtime < cutoff)
			unlink(p);
		free(p);
	}
	closedir(d);
}

int inbox_open(const char *staging_dir, struct inbox **out, struct err *e)
{
	struct inbox *ib = xcalloc(1, sizeof(*ib));
	int rc;

	*out = NULL;
	ib->dir = xasprintf("%s/inbox", staging_dir);
	ib->done = xasprintf("%s/inbox/done", staging_dir);
	pthread_mutex_init(&ib->mu, NULL);
	rc = make_dir(ib->dir, e);
	if (rc == 0)
		rc = make_dir(ib->done, e);
	if (rc < 0) {
		inbox_close(ib);
		return rc;
	}
	prune_done(ib);
	*out = ib;
	return 0;
}

void inbox_close(struct inbox *ib)
{
	if (!ib)
		return;
	pthread_mutex_destroy(&ib->mu);
	free(ib->dir);
	free(ib->done);
	free(ib);
}

static void key_of(const char *action_id, char key[65])
{
	sha256_hex(action_id, strlen(action_id), key);
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static void utc_now(char *dst, size_t n)
{
	struct timespec ts;
	struct tm tm;
	char s[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(dst, n, "%.20s.%03dZ", s, (int)(ts.tv_nsec / 1000000L % 1000));
}

/* Write `text` to `path` atomically (0600, fsync, rename, fsync of the directory). */
static int write_atomic(struct inbox *ib, const char *path, const char *text, struct err *e)
{
	char *tmp = xasprintf("%s/.tmp-%ld-%lu", ib->dir, (long)getpid(), ++ib->tmp_seq);
	size_t len = strlen(text), off = 0;
	int fd, rc = 0;

	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		rc = err_set(e, ERR_IO, "cannot create '%s': %s", tmp, strerror(errno));
		goto out;
	}
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = err_set(e, ERR_IO, "cannot write '%s': %s", tmp, strerror(errno));
			goto out;
		}
		off += (size_t)n;
	}
	if (fsync(fd) < 0) {
		rc = err_set(e, ERR_IO, "cannot sync '%s': %s", tmp, strerror(errno));
		goto out;
	}
	close(fd);
	fd = -1;
	if (rename(tmp, path) < 0) {
		rc = err_set(e, ERR_IO, "cannot rename '%s': %s", tmp, strerror(errno));
		goto out;
	}
	rc = fsync_dir(ib->dir, e);
out:
	if (fd >= 0)
		close(fd);
	if (rc < 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

int inbox_put(struct inbox *ib, const char *action_id, const json_t *rec, bool *dup, struct err *e)
{
	char key[65], when[40];
	char *pending = NULL, *done = NULL, *text = NULL;
	json_t *r = json_deep_copy(rec);
	int rc = 0;

	*dup = false;
	key_of(action_id, key);
	pending = xasprintf("%s/%s.json", ib->dir, key);
	done = xasprintf("%s/%s.json", ib->done, key);
	utc_now(when, sizeof(when));
	json_object_set_new(r, "webhookActionId", json_string(action_id));
	json_object_set_new(r, "received", json_string(when));
	text = json_dumps(r, JSON_SORT_KEYS | JSON_COMPACT);
	pthread_mutex_lock(&ib->mu);
	if (exists(pending) || exists(done))
		*dup = true;
	else if (!text)
		rc = err_set(e, ERR_FAIL, "webhook delivery '%s': cannot encode", action_id);
	else
		rc = write_atomic(ib, pending, text, e);
	pthread_mutex_unlock(&ib->mu);
	free(text);
	free(pending);
	free(done);
	json_decref(r);
	return rc;
}

static int cmp_received(const void *a, const void *b)
{
	const json_t *x = *(const json_t *const *)a, *y = *(const json_t *const *)b;
	const char *rx = json_get_str(x, "received"), *ry = json_get_str(y, "received");
	int c = strcmp(rx ? rx : "", ry ? ry : "");

	return c ? c : strcmp(json_get_str(x, "key"), json_get_str(y, "key"));
}

static json_t *load_record(const char *path, const char *name)
{
	json_error_t jerr;
	json_t *r;
	struct stat st;

	if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > (off_t)REC_MAX)
		return NULL;
	r = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (r && (!json_is_object(r) || !json_get_str(r, "webhookActionId"))) {
		json_decref(r);
		r = NULL;
	}
	if (r)
		json_object_set_new(r, "key", json_stringn(name, 64));
	return r;
}

int inbox_pending(struct inbox *ib, json_t **out, struct err *e)
{
	DIR *d;
	struct dirent *de;
	json_t **recs = NULL, *r;
	size_t n = 0, i;

	*out = NULL;
	pthread_mutex_lock(&ib->mu);
	d = opendir(ib->dir);
	if (!d) {
		pthread_mutex_unlock(&ib->mu);
		return err_set(e, ERR_IO, "cannot read '%s': %s", ib->dir, strerror(errno));
	}
	while ((de = readdir(d))) {
		char *p;

		if (!is_record_name(de->d_name))
			continue;
		p = xasprintf("%s/%s", ib->dir, de->d_name);
		r = load_record(p, de->d_name);
		if (!r)
			log_warn("inbox: '%s' is not a delivery record: left alone", p);
		free(p);
		if (!r)
			continue;
		recs = xrealloc(recs, (n + 1) * sizeof(*recs));
		recs[n++] = r;
	}
	closedir(d);
	pthread_mutex_unlock(&ib->mu);
	if (n > 1)
		qsort(recs, n, sizeof(*recs), cmp_received);
	*out = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(*out, recs[i]);
	free(recs);
	return 0;
}

size_t inbox_count(struct inbox *ib)
{
	DIR *d;
	struct dirent *de;
	size_t n = 0;

	pthread_mutex_lock(&ib->mu);
	d = opendir(ib->dir);
	while (d && (de = readdir(d)))
		if (is_record_name(de->d_name))
			n++;
	if (d)
		closedir(d);
	pthread_mutex_unlock(&ib->mu);
	return n;
}

int inbox_done(struct inbox *ib, const char *key, struct err *e)
{
	char *from, *to;
	int rc = 0;

	if (strlen(key) != 64)
		return err_set(e, ERR_INVALID, "inbox: '%s' is not a delivery key", key);
	from = xasprintf("%s/%s.json", ib->dir, key);
	to = xasprintf("%s/%s.json", ib->done, key);
	pthread_mutex_lock(&ib->mu);
	if (rename(from, to) < 0 && errno != ENOENT)
		rc = err_set(e, ERR_IO, "cannot move '%s' to '%s': %s", from, ib->done,
			     strerror(errno));
	if (rc == 0)
		rc = fsync_dir(ib->done, e);
	if (rc == 0)
		rc = fsync_dir(ib->dir, e);
	pthread_mutex_unlock(&ib->mu);
	free(from);
	free(to);
	return rc;
}
