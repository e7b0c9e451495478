/*
 * http-retry: whether and when a finished attempt is tried again (see
 * http-int.h): the pure helpers (backoff, Retry-After, retryable statuses)
 * and the decision over one finished transfer.
 */
#include "config.h"

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
#include "apis/http.h"
#include "base/log.h"
#include "base/xalloc.h"

double http_now_mono(void)
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

double http_client_interval(const struct http_client *c)
{
	double learnt = http_adapt_interval(&c->adapt);

	return learnt > c->min_interval ? learnt : c->min_interval;
}

/* The finished attempt into the client's level (http-adapt.h); a move is logged. */
static void client_adapt(struct http_client *c, const struct http_job *j, long status, double now)
{
	struct http_adapt_answer ans = { j->started, now, status, c->running };
	int was = http_adapt_level(&c->adapt);

	switch (http_adapt_answer(&c->adapt, &ans)) {
	case HTTP_ADAPT_GREW:
		log_trace("%s: %d requests in flight at most (was %d)", c->name,
			  http_adapt_level(&c->adapt), was);
		break;
	case HTTP_ADAPT_HALVED:
		log_verbose("%s: rate limited (429): %d requests in flight at most (was %d)",
			    c->name, http_adapt_level(&c->adapt), was);
		break;
	case HTTP_ADAPT_SURGED:
		log_verbose("%s: answers slowed to %.0f ms on average: %d requests in flight at "
			    "most (was %d)",
			    c->name, c->adapt.avg * 1000.0, http_adapt_level(&c->adapt), was);
		break;
	case HTTP_ADAPT_PACED:
		log_verbose("%s: rate limited (429) with one request in flight: pacing at %.2f "
			    "requests a second, %d in flight at most",
			    c->name, c->adapt.rate, http_adapt_level(&c->adapt));
		break;
	case HTTP_ADAPT_SAME:
		break;
	}
}

static void client_wait(struct http_client *c, double seconds)
{
	c->stats.waits++;
	c->stats.wait_seconds += seconds;
}

static bool curl_transient(CURLcode rc)
{
	switch (rc) {
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
 * The host part of `url` ("https://user@host:443/x" -> "host") into `out`;
 * "(unknown host)" when there is none.
 */
static void url_host(const char *url, char *out, size_t n)
{
	const char *p = url ? strstr(url, "://") : NULL, *end, *at;
	size_t len;

	snprintf(out, n, "(unknown host)");
	if (!p)
		return;
	p += 3;
	end = p + strcspn(p, "/?#");
	at = memchr(p, '@', (size_t)(end - p));
	if (at)
		p = at + 1;
	if (*p == '[') /* an IPv6 literal */
		len = strcspn(p, "]") + 1;
	else
		len = strcspn(p, ":/?#");
	if (len > (size_t)(end - p))
		len = (size_t)(end - p);
	if (len > 0 && len < n)
		snprintf(out, n, "%.*s", (int)len, p);
}

/*
 * A host name that does not resolve is a configuration error (a wrong base
 * URL), not a passing fault: the job fails at once, naming the host, instead
 * of five attempts with backoff.
 */
static int fail_unresolved(struct http_client *c, struct http_job *j, CURLcode res,
			   const char *where)
{
	char host[256];
	char *url = NULL;

	if (res == CURLE_COULDNT_RESOLVE_PROXY) {
		j->rc = err_set(&j->err, ERR_NETWORK,
				"%s: %s %s: the proxy's host name could not be resolved", c->name,
				j->method, where);
		return 0;
	}
	curl_easy_getinfo(j->easy, CURLINFO_EFFECTIVE_URL, &url);
	url_host(url, host, sizeof(host));
	j->rc = err_set(&j->err, ERR_NETWORK,
			"%s: %s %s: host '%s' not found (DNS); check the URL, not retried", c->name,
			j->method, where, host);
	return 0;
}

/*
 * Decide a finished attempt: 0 when the job is complete (j->rc and j->err
 * set), 1 when it is to be tried again at j->not_before.
 */
int http_job_decide(struct http_client *c, struct http_job *j, CURLcode res, double now)
{
	int n = j->resp.attempts;
	long delay, ra = -1;
	curl_off_t reqsize = 0;
	char where[512], why[CURL_ERROR_SIZE + 64];
	bool sent;

	http_job_where(j, where, sizeof(where));
	curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &j->resp.status);
	curl_easy_getinfo(j->easy, CURLINFO_REQUEST_SIZE, &reqsize);
	c->stats.bytes_in += j->resp.body.len;
	client_adapt(c, j, res == CURLE_OK ? j->resp.status : 0, now);

	if (res == CURLE_OK) {
		long st = j->resp.status;

		log_trace("%s: %s %s -> %ld in %.3f s, %zu bytes%s%s", c->name, j->method, where,
			  st, now - j->started, j->resp.body.len,
			  j->resp.request_id ? ", request id " : "",
			  j->resp.request_id ? j->resp.request_id : "");
		if (st == 429)
			c->stats.answers_429++;
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
				c->stats.wait_429_seconds += until - from;
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
	if (res == CURLE_COULDNT_RESOLVE_HOST || res == CURLE_COULDNT_RESOLVE_PROXY)
		return fail_unresolved(c, j, res, where);
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
