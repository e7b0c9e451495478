/*
 * http: the one libcurl client (see http.h for the contract).
 *
 * A batch holds a FIFO of jobs. The run loop starts ready jobs (capacity,
 * the client's 429 pause, the max_rps spacing and each job's own backoff
 * time permitting) on the client's multi handle, drives curl, and decides for
 * each finished transfer: done, retry later, or a final error. Callbacks run
 * from the loop, never from inside curl, so they may queue more work.
 *
 * Why a non-idempotent request is never resent by accident: curl on its own
 * resends a request that got no answer on a reused connection ("connection
 * died, retrying a fresh connect"). For a body sent through a read callback
 * that resend needs a rewind, and our seek callback refuses it for a
 * non-idempotent job, so curl fails with CURLE_SEND_FAIL_REWIND and we report
 * ERR_UNCERTAIN. A non-idempotent request without a body uses a fresh
 * connection, where curl never resends.
 */
#include "config.h"

#include "apis/http.h"

#include <ctype.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "base/log.h"
#include "base/xalloc.h"

#define DEFAULT_CONNECT_TIMEOUT_MS 10000L
#define DEFAULT_TIMEOUT_MS 60000L
#define DEFAULT_MAX_RESPONSE ((size_t)64 << 20)
#define DEFAULT_MAX_ATTEMPTS 5
#define DEFAULT_BACKOFF_BASE_MS 500L
#define DEFAULT_BACKOFF_MAX_MS 30000L
#define DEFAULT_JOBS 4
/* A Retry-After longer than this ends the retries: a batch job should fail, not sleep for hours. */
#define RETRY_AFTER_MAX_MS (15L * 60 * 1000)
#define DOWNLOAD_MAX_REDIRS 3L
/* The run loop wakes at least this often, whatever curl says. */
#define LOOP_MAX_WAIT_MS 1000

struct http_client {
	char *name;
	char *base_url;
	char *authorization; /* scrubbed on free */
	char **headers;	     /* extra headers, NULL-terminated */
	char *request_id_header;
	bool has_accept; /* an extra header sets Accept */
	long connect_timeout_ms;
	long timeout_ms;
	size_t max_response;
	int max_attempts;
	long backoff_base_ms;
	long backoff_max_ms;
	int jobs;
	double min_interval; /* seconds between starts, from max_rps; 0 = none */

	CURLM *multi;
	CURL **pool; /* idle easy handles, kept for reuse */
	int npool;
	int running;	    /* transfers in flight on this client, any batch */
	double pause_until; /* monotonic time before which nothing starts (429) */
	double next_start;  /* monotonic time of the next allowed start (max_rps) */
	uint64_t rng;
	struct http_stats stats;
};

struct http_job {
	struct http_job *next;
	struct http_batch *batch;
	/* the request, copied */
	char *method;
	char *path;
	bool absolute;
	char *body;
	size_t body_len;
	bool has_body;
	char *file_field;
	char *file_name;
	char *file_type;
	char *file_data;
	size_t file_len;
	bool is_upload;
	bool idempotent;
	size_t max_body; /* the cap on the response body: the request's, else the client's */
	http_done_fn done;
	void *ctx;

	/* per attempt */
	CURL *easy;
	struct curl_slist *hdrs;
	curl_mime *mime;
	size_t body_pos;
	size_t file_pos;
	bool too_big;
	char retry_after[64];
	char errbuf[CURL_ERROR_SIZE];
	double started;

	double not_before; /* monotonic time of the next attempt */
	int rc;
	struct err err;
	struct http_response resp;
};

struct http_batch {
	struct http_client *c;
	struct http_job *queue, **queue_tail; /* waiting to start */
	struct http_job *done, **done_tail;   /* finished, callback pending */
	int running;			      /* this batch's jobs in flight */
	bool stopping;
	int stop_rc;
	struct err stop_err;
};

static double now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* splitmix64: small, good enough for jitter, and per client (no global state). */
static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double rng_01(uint64_t *s)
{
	return (double)(rng_next(s) >> 11) * (1.0 / 9007199254740992.0);
}

/* ---- pure helpers ---- */

long http_backoff_ms(int attempt, long base_ms, long max_ms, double rand01)
{
	double cap = (double)base_ms;
	int i;

	if (attempt < 1 || base_ms <= 0 || max_ms <= 0)
		return 0;
	for (i = 1; i < attempt && cap < (double)max_ms; i++)
		cap *= 2;
	if (cap > (double)max_ms)
		cap = (double)max_ms;
	if (rand01 < 0)
		rand01 = 0;
	if (rand01 >= 1)
		rand01 = 0.999999999;
	return (long)(rand01 * cap);
}

long http_parse_retry_after(const char *value, long long now_epoch)
{
	const char *p, *end;
	long long secs = 0;
	time_t when;
	char tmp[128];
	size_t n;

	if (!value)
		return -1;
	while (*value == ' ' || *value == '\t')
		value++;
	end = value + strlen(value);
	while (end > value &&
	       (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' || end[-1] == '\n'))
		end--;
	if (end == value)
		return -1;
	for (p = value; p < end && isdigit((unsigned char)*p); p++) {
		if (secs < LONG_MAX / 1000)
			secs = secs * 10 + (*p - '0');
	}
	if (p == end) {
		if (secs > LONG_MAX / 1000)
			secs = LONG_MAX / 1000;
		return (long)(secs * 1000);
	}
	/* An HTTP date: it must start with a day name, as every HTTP date form does. */
	if (!isalpha((unsigned char)*value))
		return -1;
	n = (size_t)(end - value);
	if (n >= sizeof(tmp))
		return -1;
	memcpy(tmp, value, n);
	tmp[n] = '\0';
	when = curl_getdate(tmp, NULL);
	if (when == (time_t)-1)
		return -1;
	if ((long long)when <= now_epoch)
		return 0;
	secs = (long long)when - now_epoch;
	if (secs > LONG_MAX / 1000)
		secs = LONG_MAX / 1000;
	return (long)(secs * 1000);
}

bool http_status_retryable(long status)
{
	if (status == 408 || status == 429)
		return true;
	/* 501 and 505 say what the server cannot do: asking again will not help. */
	return status >= 500 && status <= 599 && status != 501 && status != 505;
}

int http_url_escape(struct buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p; p++) {
		int rc;

		if (isalnum(*p) || *p == '-' || *p == '.' || *p == '_' || *p == '~') {
			rc = buf_addc(out, (char)*p);
		} else {
			char enc[3] = { '%', hex[*p >> 4], hex[*p & 15] };

			rc = buf_add(out, enc, 3);
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ---- responses ---- */

void http_response_init(struct http_response *r)
{
	r->status = 0;
	buf_init(&r->body, 0);
	r->request_id = NULL;
	r->attempts = 0;
	r->too_large = false;
}

void http_response_release(struct http_response *r)
{
	buf_release(&r->body);
	free(r->request_id);
	r->request_id = NULL;
	r->status = 0;
	r->attempts = 0;
}

/* ---- client ---- */

static long or_default(long v, long dflt)
{
	return v > 0 ? v : dflt;
}

int http_client_new(struct http_client **out, const struct http_opts *opts, struct err *e)
{
	struct http_client *c;
	size_t n = 0, i;

	*out = NULL;
	c = xcalloc(1, sizeof(*c));
	c->name = xstrdup(opts->name ? opts->name : "http");
	c->base_url = xstrdup(opts->base_url ? opts->base_url : "");
	n = strlen(c->base_url);
	while (n > 0 && c->base_url[n - 1] == '/')
		c->base_url[--n] = '\0';
	c->authorization = opts->authorization ? xstrdup(opts->authorization) : NULL;
	n = 0;
	if (opts->headers)
		while (opts->headers[n])
			n++;
	c->headers = xcalloc(n + 1, sizeof(*c->headers));
	for (i = 0; i < n; i++) {
		c->headers[i] = xstrdup(opts->headers[i]);
		if (strncasecmp(c->headers[i], "accept:", 7) == 0)
			c->has_accept = true;
	}
	c->request_id_header = opts->request_id_header ? xstrdup(opts->request_id_header) : NULL;
	c->connect_timeout_ms = or_default(opts->connect_timeout_ms, DEFAULT_CONNECT_TIMEOUT_MS);
	c->timeout_ms = or_default(opts->timeout_ms, DEFAULT_TIMEOUT_MS);
	c->max_response = opts->max_response ? opts->max_response : DEFAULT_MAX_RESPONSE;
	c->max_attempts = opts->max_attempts > 0 ? opts->max_attempts : DEFAULT_MAX_ATTEMPTS;
	c->backoff_base_ms = or_default(opts->backoff_base_ms, DEFAULT_BACKOFF_BASE_MS);
	c->backoff_max_ms = or_default(opts->backoff_max_ms, DEFAULT_BACKOFF_MAX_MS);
	if (c->backoff_max_ms < c->backoff_base_ms)
		c->backoff_max_ms = c->backoff_base_ms;
	c->jobs = opts->jobs > 0 ? opts->jobs : DEFAULT_JOBS;
	c->min_interval = opts->max_rps > 0 ? 1.0 / opts->max_rps : 0;
	c->pool = xcalloc((size_t)c->jobs, sizeof(*c->pool));
	c->rng = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)c ^
		 (uint64_t)(now_mono() * 1e9);
	c->multi = curl_multi_init();
	if (!c->multi) {
		http_client_free(c);
		return err_set(e, ERR_FAIL, "%s: cannot create a curl multi handle",
			       opts->name ? opts->name : "http");
	}
	curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, (long)c->jobs * 2);
	*out = c;
	return 0;
}

void http_client_free(struct http_client *c)
{
	int i;

	if (!c)
		return;
	for (i = 0; i < c->npool; i++)
		curl_easy_cleanup(c->pool[i]);
	free(c->pool);
	if (c->multi)
		curl_multi_cleanup(c->multi);
	if (c->authorization) {
		volatile char *p = c->authorization;

		while (*p)
			*p++ = '\0';
		free(c->authorization);
	}
	for (i = 0; c->headers && c->headers[i]; i++)
		free(c->headers[i]);
	free(c->headers);
	free(c->request_id_header);
	free(c->base_url);
	free(c->name);
	free(c);
}

void http_client_progress(const struct http_client *c, char *out, size_t n)
{
	const struct http_stats *st = &c->stats;

	snprintf(out, n, "%lu request%s, %lu retr%s, %lu wait%s", st->requests,
		 st->requests == 1 ? "" : "s", st->retries, st->retries == 1 ? "y" : "ies",
		 st->waits, st->waits == 1 ? "" : "s");
}

void http_client_set_backoff(struct http_client *c, long base_ms, long max_ms)
{
	if (base_ms > 0)
		c->backoff_base_ms = base_ms;
	if (max_ms > 0)
		c->backoff_max_ms = max_ms;
	if (c->backoff_max_ms < c->backoff_base_ms)
		c->backoff_max_ms = c->backoff_base_ms;
}

void http_client_stats(const struct http_client *c, struct http_stats *out)
{
	*out = c->stats;
}

/* ---- jobs ---- */

static void job_free(struct http_job *j)
{
	if (!j)
		return;
	curl_slist_free_all(j->hdrs);
	free(j->method);
	free(j->path);
	free(j->body);
	free(j->file_field);
	free(j->file_name);
	free(j->file_type);
	free(j->file_data);
	http_response_release(&j->resp);
	free(j);
}

/* The path as it may appear in messages and traces: a pre-signed URL loses its query. */
static void job_where(const struct http_job *j, char *out, size_t n)
{
	const char *q;

	if (j->absolute && (q = strchr(j->path, '?')) != NULL)
		snprintf(out, n, "%.*s?<redacted>", (int)(q - j->path), j->path);
	else
		snprintf(out, n, "%s", j->path);
}

static void append_job(struct http_job **head, struct http_job ***tail, struct http_job *j)
{
	j->next = NULL;
	**tail = j;
	*tail = &j->next;
}

struct http_batch *http_batch_new(struct http_client *c)
{
	struct http_batch *b = xcalloc(1, sizeof(*b));

	b->c = c;
	b->queue_tail = &b->queue;
	b->done_tail = &b->done;
	return b;
}

void http_batch_add(struct http_batch *b, const struct http_request *req, http_done_fn done,
		    void *ctx)
{
	struct http_job *j;

	if (b->stopping)
		return;
	j = xcalloc(1, sizeof(*j));
	j->batch = b;
	j->method = xstrdup(req->method ? req->method : "GET");
	j->path = xstrdup(req->path ? req->path : "");
	j->absolute = req->absolute;
	if (req->json_body) {
		j->body_len = strlen(req->json_body);
		j->body = xstrndup(req->json_body, j->body_len);
		j->has_body = true;
	}
	if (req->file_data) {
		j->is_upload = true;
		j->file_field = xstrdup(req->file_field ? req->file_field : "file");
		j->file_name = req->file_name ? xstrdup(req->file_name) : NULL;
		j->file_type = req->file_type ? xstrdup(req->file_type) : NULL;
		j->file_len = req->file_len;
		j->file_data = xmalloc(req->file_len ? req->file_len : 1);
		if (req->file_len)
			memcpy(j->file_data, req->file_data, req->file_len);
	}
	j->idempotent = req->idempotent;
	j->max_body = req->max_body && req->max_body < b->c->max_response ? req->max_body
									  : b->c->max_response;
	j->done = done;
	j->ctx = ctx;
	http_response_init(&j->resp);
	buf_init(&j->resp.body, j->max_body);
	append_job(&b->queue, &b->queue_tail, j);
}

static void drop_queue(struct http_batch *b)
{
	struct http_job *j, *next;

	for (j = b->queue; j; j = next) {
		next = j->next;
		job_free(j);
	}
	b->queue = NULL;
	b->queue_tail = &b->queue;
}

void http_batch_free(struct http_batch *b)
{
	struct http_job *j, *next;

	if (!b)
		return;
	drop_queue(b);
	for (j = b->done; j; j = next) {
		next = j->next;
		job_free(j);
	}
	free(b);
}

/* ---- curl callbacks ---- */

static size_t on_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct http_job *j = userdata;
	size_t n = size * nmemb;

	if (buf_add(&j->resp.body, ptr, n) < 0) {
		j->too_big = true;
		return 0;
	}
	return n;
}

static bool header_is(const char *line, size_t len, const char *name, const char **value,
		      size_t *vlen)
{
	size_t n = strlen(name);
	const char *v, *end;

	if (len <= n || strncasecmp(line, name, n) != 0 || line[n] != ':')
		return false;
	v = line + n + 1;
	end = line + len;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
		end--;
	*value = v;
	*vlen = (size_t)(end - v);
	return true;
}

static size_t on_header(char *ptr, size_t size, size_t nitems, void *userdata)
{
	struct http_job *j = userdata;
	struct http_client *c = j->batch->c;
	size_t n = size * nitems;
	const char *v;
	size_t vlen;

	/* A new status line starts a new header block (a redirect, a 100 Continue). */
	if (n >= 5 && strncmp(ptr, "HTTP/", 5) == 0) {
		j->retry_after[0] = '\0';
		free(j->resp.request_id);
		j->resp.request_id = NULL;
	} else if (header_is(ptr, n, "Retry-After", &v, &vlen)) {
		if (vlen >= sizeof(j->retry_after))
			vlen = sizeof(j->retry_after) - 1;
		memcpy(j->retry_after, v, vlen);
		j->retry_after[vlen] = '\0';
	} else if (c->request_id_header && header_is(ptr, n, c->request_id_header, &v, &vlen)) {
		free(j->resp.request_id);
		j->resp.request_id = xstrndup(v, vlen < 200 ? vlen : 200);
	}
	return n;
}

static size_t on_read_body(char *ptr, size_t size, size_t nitems, void *userdata)
{
	struct http_job *j = userdata;
	size_t n = size * nitems, left = j->body_len - j->body_pos;

	if (n > left)
		n = left;
	memcpy(ptr, j->body + j->body_pos, n);
	j->body_pos += n;
	return n;
}

/* A rewind means curl wants to send the body again on its own: only for idempotent jobs. */
static int on_seek_body(void *userdata, curl_off_t offset, int origin)
{
	struct http_job *j = userdata;

	if (!j->idempotent || origin != SEEK_SET || offset < 0 || (size_t)offset > j->body_len)
		return CURL_SEEKFUNC_FAIL;
	j->body_pos = (size_t)offset;
	return CURL_SEEKFUNC_OK;
}

static size_t on_read_file(char *ptr, size_t size, size_t nitems, void *arg)
{
	struct http_job *j = arg;
	size_t n = size * nitems, left = j->file_len - j->file_pos;

	if (n > left)
		n = left;
	memcpy(ptr, j->file_data + j->file_pos, n);
	j->file_pos += n;
	return n;
}

static int on_seek_file(void *arg, curl_off_t offset, int origin)
{
	struct http_job *j = arg;

	if (!j->idempotent || origin != SEEK_SET || offset < 0 || (size_t)offset > j->file_len)
		return CURL_SEEKFUNC_FAIL;
	j->file_pos = (size_t)offset;
	return CURL_SEEKFUNC_OK;
}

/* Write one trace line, hiding credentials and, for pre-signed URLs, the query. */
static void trace_line(const struct http_job *j, const char *prefix, const char *line, size_t len)
{
	static const char *const secret[] = { "authorization", "proxy-authorization", "cookie",
					      "set-cookie", NULL };
	struct buf out = BUF_INIT;
	size_t i;
	int k;

	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\n'))
		len--;
	if (len == 0)
		return;
	for (k = 0; secret[k]; k++) {
		size_t n = strlen(secret[k]);

		if (len > n && strncasecmp(line, secret[k], n) == 0 && line[n] == ':') {
			log_trace("%s: %s%.*s: <redacted>", j->batch->c->name, prefix, (int)n,
				  line);
			return;
		}
	}
	for (i = 0; i < len; i++) {
		if (j->absolute && line[i] == '?') {
			buf_adds(&out, "?<redacted>");
			while (i + 1 < len && line[i + 1] != ' ' && line[i + 1] != '\'' &&
			       line[i + 1] != '"')
				i++;
		} else {
			buf_addc(&out, isprint((unsigned char)line[i]) ? line[i] : '.');
		}
	}
	log_trace("%s: %s%s", j->batch->c->name, prefix, out.data);
	buf_release(&out);
}

static int on_debug(CURL *easy, curl_infotype type, char *data, size_t size, void *userptr)
{
	struct http_job *j = userptr;
	const char *prefix, *p, *end, *nl;

	switch (type) {
	case CURLINFO_TEXT:
		prefix = "* ";
		break;
	case CURLINFO_HEADER_OUT:
		prefix = "> ";
		break;
	case CURLINFO_HEADER_IN:
		prefix = "< ";
		break;
	default:
		return 0; /* bodies stay out of traces: they hold personal data */
	}
	for (p = data, end = data + size; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		trace_line(j, prefix, p, (size_t)(nl - p));
		if (nl == end)
			break;
	}
	return 0;
}

/* ---- attempts ---- */

static struct curl_slist *slist_add(struct curl_slist *l, const char *s, bool *oom)
{
	struct curl_slist *n = curl_slist_append(l, s);

	if (!n)
		*oom = true;
	return n ? n : l;
}

static int job_headers(struct http_client *c, struct http_job *j)
{
	struct curl_slist *l = NULL;
	bool oom = false;
	char *auth;
	int i;

	if (!j->absolute) {
		if (c->authorization) {
			auth = xasprintf("Authorization: %s", c->authorization);
			l = slist_add(l, auth, &oom);
			memset(auth, 0, strlen(auth));
			free(auth);
		}
		if (!c->has_accept)
			l = slist_add(l, "Accept: application/json", &oom);
		for (i = 0; c->headers[i]; i++)
			l = slist_add(l, c->headers[i], &oom);
	}
	if (j->has_body)
		l = slist_add(l, "Content-Type: application/json", &oom);
	/* No 100-continue round trip: our bodies are small and the servers answer directly. */
	l = slist_add(l, "Expect:", &oom);
	if (oom) {
		curl_slist_free_all(l);
		return ERR_FAIL;
	}
	j->hdrs = l;
	return 0;
}

static int job_setup(struct http_client *c, struct http_job *j, CURL *h)
{
	char *url;
	CURLcode rc = CURLE_OK;

#define SET(opt, val)                                       \
	do {                                                \
		if (rc == CURLE_OK)                         \
			rc = curl_easy_setopt(h, opt, val); \
	} while (0)

	if (!j->hdrs && job_headers(c, j) < 0)
		return ERR_FAIL;
	url = j->absolute ? xstrdup(j->path) : xasprintf("%s%s", c->base_url, j->path);
	SET(CURLOPT_URL, url); /* curl copies it */
	free(url);
	SET(CURLOPT_PRIVATE, (void *)j);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_USERAGENT, PACKAGE_NAME "/" PACKAGE_VERSION);
	SET(CURLOPT_ACCEPT_ENCODING, "");
	SET(CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
	SET(CURLOPT_TIMEOUT_MS, c->timeout_ms);
	SET(CURLOPT_TCP_KEEPALIVE, 1L);
	SET(CURLOPT_WRITEFUNCTION, on_write);
	SET(CURLOPT_WRITEDATA, (void *)j);
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_HEADERDATA, (void *)j);
	SET(CURLOPT_ERRORBUFFER, j->errbuf);
	SET(CURLOPT_HTTPHEADER, j->hdrs);
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)j->max_body);
#if LIBCURL_VERSION_NUM >= 0x075500
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
	SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
	SET(CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	if (j->absolute) {
		SET(CURLOPT_FOLLOWLOCATION, 1L);
		SET(CURLOPT_MAXREDIRS, DOWNLOAD_MAX_REDIRS);
	} else {
		SET(CURLOPT_FOLLOWLOCATION, 0L);
	}
	if (log_level() >= LOG_TRACE) {
		SET(CURLOPT_DEBUGFUNCTION, on_debug);
		SET(CURLOPT_DEBUGDATA, (void *)j);
		SET(CURLOPT_VERBOSE, 1L);
	}

	if (j->is_upload) {
		curl_mimepart *part;

		j->mime = curl_mime_init(h);
		if (!j->mime)
			return ERR_FAIL;
		part = curl_mime_addpart(j->mime);
		if (!part)
			return ERR_FAIL;
		j->file_pos = 0;
		if (curl_mime_name(part, j->file_field) != CURLE_OK ||
		    (j->file_name && curl_mime_filename(part, j->file_name) != CURLE_OK) ||
		    (j->file_type && curl_mime_type(part, j->file_type) != CURLE_OK) ||
		    curl_mime_data_cb(part, (curl_off_t)j->file_len, on_read_file, on_seek_file,
				      NULL, j) != CURLE_OK)
			return ERR_FAIL;
		SET(CURLOPT_MIMEPOST, j->mime);
		if (strcmp(j->method, "POST") != 0)
			SET(CURLOPT_CUSTOMREQUEST, j->method);
	} else if (j->has_body) {
		j->body_pos = 0;
		SET(CURLOPT_POST, 1L);
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)j->body_len);
		SET(CURLOPT_READFUNCTION, on_read_body);
		SET(CURLOPT_READDATA, (void *)j);
		SET(CURLOPT_SEEKFUNCTION, on_seek_body);
		SET(CURLOPT_SEEKDATA, (void *)j);
		if (strcmp(j->method, "POST") != 0)
			SET(CURLOPT_CUSTOMREQUEST, j->method);
	} else if (strcmp(j->method, "GET") == 0) {
		SET(CURLOPT_HTTPGET, 1L);
	} else if (strcmp(j->method, "HEAD") == 0) {
		SET(CURLOPT_NOBODY, 1L);
	} else if (strcmp(j->method, "POST") == 0) {
		SET(CURLOPT_POSTFIELDS, "");
		SET(CURLOPT_POSTFIELDSIZE, 0L);
	} else {
		SET(CURLOPT_CUSTOMREQUEST, j->method);
	}
	/* Without a body there is nothing for curl to rewind, so it would resend a
	 * request that died on a reused connection: use a fresh one instead. */
	if (!j->idempotent && !j->has_body && !j->is_upload)
		SET(CURLOPT_FRESH_CONNECT, 1L);
#undef SET
	return rc == CURLE_OK ? 0 : ERR_FAIL;
}

static void job_start(struct http_batch *b, struct http_job *j, double now)
{
	struct http_client *c = b->c;
	char where[512];
	CURL *h;

	h = c->npool > 0 ? c->pool[--c->npool] : curl_easy_init();
	j->errbuf[0] = '\0';
	j->retry_after[0] = '\0';
	j->too_big = false;
	buf_reset(&j->resp.body);
	free(j->resp.request_id);
	j->resp.request_id = NULL;
	j->resp.status = 0;
	j->resp.attempts++;
	j->started = now;
	c->stats.requests++;
	if (j->resp.attempts > 1)
		c->stats.retries++;
	job_where(j, where, sizeof(where));
	if (j->resp.attempts > 1)
		log_trace("%s: %s %s (attempt %d)", c->name, j->method, where, j->resp.attempts);
	if (!h || job_setup(c, j, h) < 0 || curl_multi_add_handle(c->multi, h) != CURLM_OK) {
		if (h) {
			curl_mime_free(j->mime);
			j->mime = NULL;
			curl_easy_reset(h);
			c->pool[c->npool++] = h;
		}
		j->rc = err_set(&j->err, ERR_FAIL, "%s: %s %s: cannot set up the request", c->name,
				j->method, where);
		append_job(&b->done, &b->done_tail, j);
		return;
	}
	j->easy = h;
	c->running++;
	b->running++;
}

static void client_wait(struct http_client *c, double seconds)
{
	c->stats.waits++;
	c->stats.wait_seconds += seconds;
}

static bool curl_transient(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_FAIL_REWIND:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return true;
	default:
		return false;
	}
}

/* Errors that happen before a byte of the request could have left. */
static bool curl_before_send(CURLcode rc)
{
	return rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_CONNECT;
}

/*
 * Decide a finished attempt: 0 when the job is complete (j->rc and j->err
 * set), 1 when it is to be tried again at j->not_before.
 */
static int job_decide(struct http_client *c, struct http_job *j, CURLcode res, double now)
{
	int n = j->resp.attempts;
	long delay, ra = -1;
	curl_off_t reqsize = 0;
	char where[512], why[CURL_ERROR_SIZE + 64];
	bool sent;

	job_where(j, where, sizeof(where));
	curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &j->resp.status);
	curl_easy_getinfo(j->easy, CURLINFO_REQUEST_SIZE, &reqsize);
	c->stats.bytes_in += j->resp.body.len;

	if (res == CURLE_OK) {
		long st = j->resp.status;

		log_trace("%s: %s %s -> %ld in %.3f s, %zu bytes%s%s", c->name, j->method, where,
			  st, now - j->started, j->resp.body.len,
			  j->resp.request_id ? ", request id " : "",
			  j->resp.request_id ? j->resp.request_id : "");
		if (!http_status_retryable(st)) {
			j->rc = 0;
			return 0;
		}
		snprintf(why, sizeof(why), "http %ld", st);
		if (j->resp.request_id)
			snprintf(why + strlen(why), sizeof(why) - strlen(why), " (request id %s)",
				 j->resp.request_id);
		/* 408, 429 and 503 are refusals: the server did not act on the request. */
		if (!j->idempotent && st != 408 && st != 429 && st != 503) {
			j->rc = err_set(&j->err, ERR_UNCERTAIN,
					"%s: %s %s: %s; it may have been applied, not resent",
					c->name, j->method, where, why);
			return 0;
		}
		if (j->retry_after[0])
			ra = http_parse_retry_after(j->retry_after, (long long)time(NULL));
		if (ra > RETRY_AFTER_MAX_MS) {
			j->rc = err_set(&j->err, ERR_NETWORK,
					"%s: %s %s: %s asks to wait %ld s, longer than %ld s",
					c->name, j->method, where, why, ra / 1000,
					RETRY_AFTER_MAX_MS / 1000);
			return 0;
		}
		if (n >= c->max_attempts) {
			j->rc = err_set(&j->err, ERR_NETWORK, "%s: %s %s: %s after %d attempt%s",
					c->name, j->method, where, why, n, n == 1 ? "" : "s");
			return 0;
		}
		delay = ra >= 0 ? ra
				: http_backoff_ms(n, c->backoff_base_ms, c->backoff_max_ms,
						  rng_01(&c->rng));
		if (st == 429) {
			/* The whole client waits: the limit is the API's, not this request's. */
			double until = now + (double)delay / 1000.0;
			double from = c->pause_until > now ? c->pause_until : now;

			if (until > c->pause_until) {
				client_wait(c, until - from);
				c->pause_until = until;
			}
			log_verbose("%s: rate limited (429), pausing %.1f s", c->name,
				    (double)delay / 1000.0);
		} else {
			client_wait(c, (double)delay / 1000.0);
			log_verbose("%s: %s %s: %s, retrying in %.1f s", c->name, j->method, where,
				    why, (double)delay / 1000.0);
		}
		j->not_before = now + (double)delay / 1000.0;
		return 1;
	}

	if (j->too_big || res == CURLE_FILESIZE_EXCEEDED) {
		buf_release(&j->resp.body);
		j->resp.too_large = true;
		j->rc = err_set(&j->err, ERR_FAIL, "%s: %s %s: response larger than %zu bytes",
				c->name, j->method, where, j->max_body);
		return 0;
	}
	if (j->errbuf[0]) {
		snprintf(why, sizeof(why), "%s", j->errbuf);
		why[0] = (char)tolower((unsigned char)why[0]);
	} else {
		snprintf(why, sizeof(why), "%s", curl_easy_strerror(res));
	}
	log_trace("%s: %s %s -> %s in %.3f s", c->name, j->method, where, why, now - j->started);
	if (!curl_transient(res)) {
		j->rc = err_set(&j->err, ERR_NETWORK, "%s: %s %s: %s", c->name, j->method, where,
				why);
		return 0;
	}
	sent = !curl_before_send(res) && (reqsize > 0 || res == CURLE_SEND_FAIL_REWIND);
	if (!j->idempotent && sent) {
		j->rc = err_set(&j->err, ERR_UNCERTAIN,
				"%s: %s %s: %s after the request was sent; it may have been "
				"applied, not resent",
				c->name, j->method, where, why);
		return 0;
	}
	if (n >= c->max_attempts) {
		j->rc = err_set(&j->err, ERR_NETWORK, "%s: %s %s: %s (%d attempt%s)", c->name,
				j->method, where, why, n, n == 1 ? "" : "s");
		return 0;
	}
	delay = http_backoff_ms(n, c->backoff_base_ms, c->backoff_max_ms, rng_01(&c->rng));
	client_wait(c, (double)delay / 1000.0);
	log_verbose("%s: %s %s: %s, retrying in %.1f s", c->name, j->method, where, why,
		    (double)delay / 1000.0);
	j->not_before = now + (double)delay / 1000.0;
	return 1;
}

/* Collect finished transfers of any batch on this client; return how many. */
static int client_drain(struct http_client *c)
{
	CURLMsg *msg;
	int left, count = 0;

	while ((msg = curl_multi_info_read(c->multi, &left)) != NULL) {
		struct http_job *j;
		struct http_batch *b;
		CURL *h = msg->easy_handle;
		CURLcode res = msg->data.result;
		char *priv = NULL, where[512];
		int again;

		if (msg->msg != CURLMSG_DONE)
			continue;
		count++;
		curl_easy_getinfo(h, CURLINFO_PRIVATE, &priv);
		j = (struct http_job *)(void *)priv;
		b = j->batch;
		curl_multi_remove_handle(c->multi, h);
		again = job_decide(c, j, res, now_mono());
		curl_mime_free(j->mime);
		j->mime = NULL;
		curl_easy_reset(h);
		c->pool[c->npool++] = h;
		j->easy = NULL;
		c->running--;
		b->running--;
		if (again && b->stopping) {
			job_where(j, where, sizeof(where));
			j->rc = err_set(&j->err, ERR_NETWORK,
					"%s: %s %s: not retried, the batch stopped", c->name,
					j->method, where);
			again = 0;
		}
		if (again)
			append_job(&b->queue, &b->queue_tail, j);
		else
			append_job(&b->done, &b->done_tail, j);
	}
	return count;
}

/* Start what may start now; return ms until something else could start (-1: nothing waits). */
static long batch_start(struct http_batch *b, double now)
{
	struct http_client *c = b->c;
	struct http_job **pp = &b->queue, *j;
	double wake = -1;

	while ((j = *pp) != NULL) {
		double at = j->not_before;

		if (c->pause_until > at)
			at = c->pause_until;
		if (c->min_interval > 0 && c->next_start > at)
			at = c->next_start;
		if (at > now) {
			if (wake < 0 || at - now < wake)
				wake = at - now;
			pp = &j->next;
			continue;
		}
		if (c->running >= c->jobs)
			break; /* woken by a transfer finishing */
		*pp = j->next;
		if (b->queue_tail == &j->next)
			b->queue_tail = pp;
		if (c->min_interval > 0)
			c->next_start =
				(c->next_start > now ? c->next_start : now) + c->min_interval;
		job_start(b, j, now);
	}
	if (wake < 0)
		return -1;
	return (long)(wake * 1000.0) + 1;
}

/* Run the callbacks of finished jobs; stop the batch at the first that says so. */
static void batch_finish(struct http_batch *b)
{
	struct http_job *j;

	while ((j = b->done) != NULL) {
		int rc = 0;

		b->done = j->next;
		if (!b->done)
			b->done_tail = &b->done;
		if (j->done)
			rc = j->done(j->ctx, j->rc, &j->resp, &j->err);
		if (rc < 0 && !b->stopping) {
			b->stopping = true;
			b->stop_rc = rc;
			b->stop_err = j->err;
			b->stop_err.code = rc;
			drop_queue(b);
		}
		job_free(j);
	}
}

int http_batch_run(struct http_batch *b, struct err *e)
{
	struct http_client *c = b->c;

	for (;;) {
		long wait = LOOP_MAX_WAIT_MS, wake;
		int still;
		CURLMcode mc;

		batch_finish(b);
		wake = b->stopping ? -1 : batch_start(b, now_mono());
		if (!b->queue && !b->running && !b->done)
			break;
		mc = curl_multi_perform(c->multi, &still);
		if (mc != CURLM_OK) {
			err_set(e, ERR_FAIL, "%s: %s", c->name, curl_multi_strerror(mc));
			/* Let what is in flight end cleanly before giving up. */
			b->stopping = true;
			b->stop_rc = ERR_FAIL;
			b->stop_err = *e;
			drop_queue(b);
		}
		/* Anything finished changes what may start and when: decide again first. */
		if (client_drain(c) > 0)
			continue;
		if (wake >= 0 && wake < wait)
			wait = wake;
		curl_multi_poll(c->multi, NULL, 0, (int)wait, NULL);
	}
	if (b->stopping) {
		*e = b->stop_err;
		return b->stop_rc;
	}
	return 0;
}

struct do_ctx {
	int rc;
	struct http_response *resp;
	struct err *e;
};

static int do_done(void *ctx, int rc, struct http_response *resp, struct err *e)
{
	struct do_ctx *d = ctx;

	d->rc = rc;
	*d->resp = *resp;
	http_response_init(resp);
	if (rc < 0)
		*d->e = *e;
	return 0;
}

int http_do(struct http_client *c, const struct http_request *req, struct http_response *resp,
	    struct err *e)
{
	struct http_batch *b = http_batch_new(c);
	struct do_ctx d = { ERR_FAIL, resp, e };
	int rc;

	http_response_init(resp);
	http_batch_add(b, req, do_done, &d);
	rc = http_batch_run(b, e);
	http_batch_free(b);
	return rc < 0 ? rc : d.rc;
}
