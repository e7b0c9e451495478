/*
 * http-batch: the jobs of a batch and its run loop on the client's curl multi
 * handle (see http-int.h), and http_do, a batch of one.
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
void http_job_where(const struct http_job *j, char *out, size_t n)
{
	const char *q;

	if (j->absolute && (q = strchr(j->path, '?')) != NULL)
		snprintf(out, n, "%.*s?<redacted>", (int)(q - j->path), j->path);
	else
		snprintf(out, n, "%s", j->path);
}

void http_job_append(struct http_job **head, struct http_job ***tail, struct http_job *j)
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
	http_job_append(&b->queue, &b->queue_tail, j);
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
		again = http_job_decide(c, j, res, http_now_mono());
		curl_mime_free(j->mime);
		j->mime = NULL;
		curl_easy_reset(h);
		c->pool[c->npool++] = h;
		j->easy = NULL;
		c->running--;
		b->running--;
		if (again && b->stopping) {
			http_job_where(j, where, sizeof(where));
			j->rc = err_set(&j->err, ERR_NETWORK,
					"%s: %s %s: not retried, the batch stopped", c->name,
					j->method, where);
			again = 0;
		}
		if (again)
			http_job_append(&b->queue, &b->queue_tail, j);
		else
			http_job_append(&b->done, &b->done_tail, j);
	}
	return count;
}

/* Start what may start now; return ms until something else could start (-1: nothing waits). */
static long batch_start(struct http_batch *b, double now)
{
	struct http_client *c = b->c;
	struct http_job **pp = &b->queue, *j;
	double wake = -1, interval = http_client_interval(c);
	int level = http_adapt_level(&c->adapt);

	while ((j = *pp) != NULL) {
		double at = j->not_before;

		if (c->pause_until > at)
			at = c->pause_until;
		if (interval > 0 && c->next_start > at)
			at = c->next_start;
		if (at > now) {
			if (wake < 0 || at - now < wake)
				wake = at - now;
			pp = &j->next;
			continue;
		}
		if (c->running >= level)
			break; /* woken by a transfer finishing */
		*pp = j->next;
		if (b->queue_tail == &j->next)
			b->queue_tail = pp;
		if (interval > 0)
			c->next_start = (c->next_start > now ? c->next_start : now) + interval;
		http_job_start(b, j, now);
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
		wake = b->stopping ? -1 : batch_start(b, http_now_mono());
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
