/*
 * http-client: the one libcurl client (see http.h for the contract).
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

#include "apis/http-int.h"
#include "base/log.h"
#include "base/xalloc.h"

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
	http_adapt_init(&c->adapt, c->jobs, !opts->adapt);
	c->pool = xcalloc((size_t)c->jobs, sizeof(*c->pool));
	c->rng = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)c ^
		 (uint64_t)(http_now_mono() * 1e9);
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
	int level = http_adapt_level(&c->adapt);
	size_t len;

	snprintf(out, n, "%lu request%s, %lu retr%s, %lu wait%s, jobs %d", st->requests,
		 st->requests == 1 ? "" : "s", st->retries, st->retries == 1 ? "y" : "ies",
		 st->waits, st->waits == 1 ? "" : "s", level);
	len = strlen(out);
	if (c->adapt.reached > level && len < n)
		len += (size_t)snprintf(out + len, n - len, " (up to %d)", c->adapt.reached);
	if (st->answers_429 && len < n)
		snprintf(out + len, n - len, ", 429 wait %.1f s", st->wait_429_seconds);
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
	out->jobs = http_adapt_level(&c->adapt);
	out->jobs_reached = c->adapt.reached;
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

void http_job_start(struct http_batch *b, struct http_job *j, double now)
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
	http_job_where(j, where, sizeof(where));
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
		http_job_append(&b->done, &b->done_tail, j);
		return;
	}
	j->easy = h;
	c->running++;
	b->running++;
}
