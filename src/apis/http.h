/*
 * http: the one HTTP client type used by the Ashby and Humaans clients.
 *
 * Built on libcurl. A client owns a curl multi handle and a small pool of
 * easy handles, so connections are reused and up to `jobs` requests run side
 * by side: exactly `jobs`, or with `adapt` (--jobs auto) a level that starts
 * at 4 and moves between 1 and `jobs` with the answers (http-adapt.h: grows
 * while answers are fast, halves on a 429 or a latency surge, and learns a
 * pace when a 429 comes with one request in flight). Requests are queued on a batch with a completion callback; the
 * callback may queue more requests (the next step of the same hire), so one
 * mechanism serves a single call, a fan-out of reads and ordered per-hire writes.
 *
 * Retries: 408, 429, 5xx and transient network errors are retried with
 * exponential backoff and full jitter, honouring Retry-After (seconds or an
 * HTTP date), up to `max_attempts` attempts in all. Other 4xx are never
 * retried. A 429 pauses the whole client (every request in flight on this
 * API), not only the one that got it. A request that is not idempotent (a
 * POST that creates) is not retried after a failure that may have reached the
 * server (timeout or connection dropped after the request was sent, or a 5xx
 * other than 503): it completes with ERR_UNCERTAIN so the caller can look
 * before sending again. 408, 429 and 503 are refusals and are retried for any
 * method; so is a failure to connect, when nothing was sent. curl's own resend
 * of a request that died on a reused connection is refused for such requests.
 * A Retry-After beyond 15 minutes ends the retries instead of sleeping. A host
 * name that does not resolve (DNS) is not retried: it fails at once (ERR_NETWORK)
 * with a message naming the host.
 *
 * Secrets: the Authorization header value is given once in the options and is
 * never logged, traced (-vv shows "Authorization: <redacted>") or put in an
 * error message. Traces show no bodies, and a pre-signed (absolute) URL's
 * query shows as "?<redacted>" in traces and messages.
 */
#ifndef HTTP_H
#define HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/err.h"

struct http_client;
struct http_batch;

/* Zero (or NULL) in any field means its default. */
struct http_opts {
	const char *name;	       /* "ashby", "humaans": used in messages */
	const char *base_url;	       /* no trailing slash needed */
	const char *authorization;     /* full header value, e.g. "Bearer x"; copied; may be NULL */
	const char *const *headers;    /* extra headers for every API request (not absolute
				      downloads), NULL-terminated; copied; may be NULL */
	const char *request_id_header; /* response header copied into http_response.request_id */
	long connect_timeout_ms;       /* default 10000 */
	long timeout_ms;	       /* total per attempt, default 60000 */
	size_t max_response;	       /* cap on a response body, default 64 MiB */
	int max_attempts;	       /* default 5 */
	long backoff_base_ms;	       /* default 500 */
	long backoff_max_ms;	       /* default 30000 */
	int jobs;		       /* requests in flight at once, default 4; with
				      `adapt` the ceiling */
	bool adapt;		       /* adapt the level up to `jobs` (http-adapt.h) */
	double max_rps;		       /* requests per second cap, 0 = none */
};

/* Counters kept by a client, for the run summary and the benchmark. */
struct http_stats {
	unsigned long requests; /* attempts sent, retries included */
	unsigned long retries;	/* attempts after the first */
	unsigned long waits;	/* delays scheduled: a 429 pause or a retry's backoff */
	double wait_seconds;	/* their sum (a 429 pause counts only what it adds) */
	unsigned long bytes_in;
	unsigned long answers_429; /* attempts answered 429 */
	double wait_429_seconds;   /* of wait_seconds, the 429 pauses */
	int jobs;		   /* requests allowed in flight now */
	int jobs_reached;	   /* the most allowed so far */
};

struct http_request {
	const char *method;    /* "GET", "POST", "PATCH", "DELETE" */
	const char *path;      /* appended to base_url; or a full URL when `absolute` */
	bool absolute;	       /* path is a full URL (pre-signed download): no auth header sent */
	const char *json_body; /* sent with Content-Type: application/json; NULL = no body */
	/* multipart/form-data upload of one file part (used when file_data != NULL) */
	const char *file_field; /* form field name, e.g. "file" */
	const char *file_name;
	const char *file_type; /* e.g. "application/pdf" */
	const void *file_data;
	size_t file_len;
	bool idempotent; /* safe to resend after an uncertain failure (reads, GET, Ashby's POST reads) */
	/* A tighter cap on this response's body than the client's max_response, 0 = none.
	 * The transfer is aborted as soon as the body passes it (nothing more is buffered). */
	size_t max_body;
	/* Methods: a body (JSON or file) goes with any method; without one, GET,
	 * HEAD, POST (empty body) or any other method as a custom request. */
};

struct http_response {
	long status;	  /* 0 when no HTTP answer was received */
	struct buf body;  /* response body (capped by max_response) */
	char *request_id; /* value of opts.request_id_header, or NULL; owned */
	int attempts;	  /* attempts made, retries included */
	bool too_large;	  /* the body passed its cap: the transfer was aborted (rc ERR_FAIL) */
};

/*
 * Completion callback. `resp` and `e` are borrowed for the duration of the
 * call; the callback may take resp->body (buf_detach) or resp->request_id
 * (set it to NULL after taking it). `rc` is 0 when a final HTTP answer arrived
 * (any status that is not retried, e.g. 4xx: the caller interprets the body),
 * or a negative code with `e` set ("NAME: METHOD PATH: what (request id X)"):
 *   ERR_NETWORK   the retries were spent (after a network error, or a
 *                 retryable status: resp holds the last status and body),
 *                 or curl failed in a way that is not worth retrying;
 *   ERR_UNCERTAIN a non-idempotent request whose outcome is unknown;
 *   ERR_FAIL      the response passed max_response or the request's max_body
 *                 (body released, resp->too_large set), or the
 *                 request could not be set up.
 * The callback may call http_batch_add() on the same batch, and http_do() on
 * the same client. It returns 0 to go on, or a negative code to stop the
 * batch: requests in flight finish (their callbacks run), queued ones
 * (including those waiting to be retried) are dropped without their
 * callback, later http_batch_add() calls are ignored, and http_batch_run
 * returns that code with the message the callback left in `e`.
 */
typedef int (*http_done_fn)(void *ctx, int rc, struct http_response *resp, struct err *e);

/* Create a client. Caller frees with http_client_free(). */
int http_client_new(struct http_client **out, const struct http_opts *opts, struct err *e);
void http_client_free(struct http_client *c);
void http_client_stats(const struct http_client *c, struct http_stats *out);
/* A short account for progress lines: "57 requests, 2 retries, 1 wait, jobs 8", then
 * " (up to 12)" when the level was higher, ", 429 wait 2.0 s" after a 429. Into `out` (n bytes). */
void http_client_progress(const struct http_client *c, char *out, size_t n);
/* Change the retry pacing after creation (0 keeps a value); for the test suite's short backoff. */
void http_client_set_backoff(struct http_client *c, long base_ms, long max_ms);

/* A batch of requests on one client. Caller frees with http_batch_free(). */
struct http_batch *http_batch_new(struct http_client *c);
/* Queue a request: its strings and data are copied, so `req` may be temporary. */
void http_batch_add(struct http_batch *b, const struct http_request *req, http_done_fn done,
		    void *ctx);
/* Run until every queued request (and any the callbacks queue) has completed.
 * Returns 0 (whatever each request's rc was: callbacks see those) or the
 * code of a callback that stopped the batch. */
int http_batch_run(struct http_batch *b, struct err *e);
void http_batch_free(struct http_batch *b);

/*
 * One request, synchronously. On 0 the response is filled (any HTTP status);
 * the caller releases it with http_response_release(). On a negative code `e`
 * says what failed (never with credentials) and `resp` holds what was received.
 */
int http_do(struct http_client *c, const struct http_request *req, struct http_response *resp,
	    struct err *e);
void http_response_init(struct http_response *r);
void http_response_release(struct http_response *r);

/* Pure helpers, exposed for unit tests. */
/* Delay before attempt `attempt` (1-based retry count) in ms, with full jitter from `rand01` in [0,1):
 * a value in [0, min(max_ms, base_ms * 2^(attempt-1))). */
long http_backoff_ms(int attempt, long base_ms, long max_ms, double rand01);
/* Parse a Retry-After value (delta seconds or HTTP-date) into ms from `now`; -1 when unparsable;
 * 0 for a date in the past. */
long http_parse_retry_after(const char *value, long long now_epoch);
/* Whether an HTTP status is retried: 408, 429 and 5xx but 501 and 505. */
bool http_status_retryable(long status);
/* Percent-encode a query parameter value into `out` (all but A-Z a-z 0-9 - . _ ~);
 * 0, or ERR_FAIL past the buffer's cap. */
int http_url_escape(struct buf *out, const char *s);

#endif
