/*
 * http-int.h: what the files of the http client share (private: only
 * src/apis/http*.c include it; the interface is apis/http.h).
 *
 *   http-client.c the client, responses, curl callbacks, one attempt's setup
 *   http-batch.c  a batch's jobs and its run loop; http_do
 *   http-retry.c  backoff, Retry-After, and the decision over a finished
 *                 attempt: done, retry later, or a final error
 */
#ifndef HTTP_INT_H
#define HTTP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "apis/http-adapt.h"
#include "apis/http.h"
#include "base/err.h"

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
	int jobs;		 /* the most in flight: --jobs N, or the ceiling of --jobs auto */
	double min_interval;	 /* seconds between starts, from max_rps; 0 = none */
	struct http_adapt adapt; /* the level in flight now and any learnt pace */

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

/* http-retry.c */
double http_now_mono(void);
/* Seconds between starts now: --max-rps's or the learnt pace, the larger. */
double http_client_interval(const struct http_client *c);
int http_job_decide(struct http_client *c, struct http_job *j, CURLcode res, double now);

/* http-batch.c */
void http_job_where(const struct http_job *j, char *out, size_t n);
void http_job_append(struct http_job **head, struct http_job ***tail, struct http_job *j);

/* http-client.c */
void http_job_start(struct http_batch *b, struct http_job *j, double now);

#endif
