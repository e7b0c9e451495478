/*
 * serve-http: the HTTP receiver (libmicrohttpd, its own threads). A delivery
 * is checked, parsed and stored (inbox.h) before it is answered, so a 200
 * means it is on disk; everything else waits for the batch loop.
 */
#include "config.h"

#include "stages/serve/serve-int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "apis/webhook.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "store/inbox.h"

#define PATH_HOOK "/ashby/webhook"
#define PATH_HEALTH "/healthz"
#define HTTP_THREADS 4
#define HTTP_TIMEOUT_S 10
#define HTTP_CONNECTIONS 64
#define DRAIN_MAX (8u * WEBHOOK_BODY_MAX) /* larger bodies are not read at all */
#ifndef MHD_HTTP_CONTENT_TOO_LARGE
#define MHD_HTTP_CONTENT_TOO_LARGE 413
#endif

/* One request's body as it comes (the webhook's only). */
struct conn {
	struct buf body;
	bool too_big;
};

static const char *kind_name(enum webhook_kind k)
{
	switch (k) {
	case WEBHOOK_APPLICATIONS:
		return "applications";
	case WEBHOOK_MERGE:
		return "merge";
	case WEBHOOK_PING:
		return "ping";
	default:
		return "ignored";
	}
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *json,
			     const char *allow)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(strlen(json), (void *)json, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ok;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "application/json");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	if (allow)
		MHD_add_response_header(r, "Allow", allow);
	ok = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ok;
}

static enum MHD_Result health(struct serve *s, struct MHD_Connection *c)
{
	json_t *v;
	char *text;
	enum MHD_Result ok;

	pthread_mutex_lock(&s->mu);
	v = json_pack("{s:s,s:I,s:s?,s:s?}", "status", s->stopping ? "stopping" : "ok", "pending",
		      (json_int_t)inbox_count(s->inbox), "lastRunId",
		      s->last_run_id[0] ? s->last_run_id : NULL, "lastError",
		      s->last_error[0] ? s->last_error : NULL);
	pthread_mutex_unlock(&s->mu);
	text = json_dumps(v, JSON_SORT_KEYS | JSON_COMPACT);
	ok = reply(c, MHD_HTTP_OK, text ? text : "{}", NULL);
	free(text);
	json_decref(v);
	return ok;
}

/* "application 'a', 'b'" for the log line (at most a few named). */
static void name_apps(const json_t *apps, char *dst, size_t n)
{
	size_t i, used = 0;
	json_t *v;

	dst[0] = '\0';
	json_array_foreach (apps, i, v) {
		int k;

		if (i == 3) {
			snprintf(dst + used, n - used, " and %zu more", json_array_size(apps) - 3);
			return;
		}
		k = snprintf(dst + used, n - used, "%s'%s'", i ? ", " : "", json_string_value(v));
		if (k < 0 || (size_t)k >= n - used)
			return;
		used += (size_t)k;
	}
}

/* Store a verified, parsed delivery and answer it. */
static enum MHD_Result accept_delivery(struct serve *s, struct MHD_Connection *c,
				       const struct webhook_delivery *d)
{
	struct err e = ERR_INIT;
	char apps[200];
	json_t *rec;
	bool dup = false;
	int rc;

	name_apps(json_array_size(d->applications) ? d->applications : d->candidates, apps,
		  sizeof(apps));
	if (d->kind == WEBHOOK_PING) {
		log_info("webhook %s: ping: answered", d->action_id);
		return reply(c, MHD_HTTP_OK, "{\"status\":\"ok\"}", NULL);
	}
	rec = json_pack("{s:s,s:s,s:O,s:O}", "action", d->action, "kind", kind_name(d->kind),
			"applications", d->applications, "candidates", d->candidates);
	rc = inbox_put(s->inbox, d->action_id, rec, &dup, &e);
	json_decref(rec);
	if (rc < 0) {
		log_error("webhook %s: %s %s: not stored (answered 503, Ashby retries): %s",
			  d->action_id, d->action, apps, e.msg);
		return reply(c, MHD_HTTP_SERVICE_UNAVAILABLE, "{\"error\":\"not stored\"}", NULL);
	}
	if (dup) {
		log_info("webhook %s: %s %s: seen already: nothing new", d->action_id, d->action,
			 apps);
		return reply(c, MHD_HTTP_OK, "{\"status\":\"duplicate\"}", NULL);
	}
	if (d->kind == WEBHOOK_IGNORED) {
		log_info("webhook %s: %s%s%s: stored, ignored (no application to read)",
			 d->action_id, d->action[0] ? d->action : "(no action)", apps[0] ? " " : "",
			 apps);
	} else {
		log_info("webhook %s: %s %s%s: accepted", d->action_id, d->action,
			 d->kind == WEBHOOK_MERGE ? "candidate " : "application ", apps);
		pthread_mutex_lock(&s->mu);
		s->arrivals++;
		pthread_cond_signal(&s->cv);
		pthread_mutex_unlock(&s->mu);
	}
	return reply(c, MHD_HTTP_OK, "{\"status\":\"accepted\"}", NULL);
}

static enum MHD_Result webhook(struct serve *s, struct MHD_Connection *c, struct conn *k)
{
	const char *sig = MHD_lookup_connection_value(c, MHD_HEADER_KIND, WEBHOOK_SIGNATURE_HEADER);
	struct webhook_delivery d;
	struct err e = ERR_INIT;
	enum MHD_Result ok;

	if (k->too_big) {
		log_warn("webhook: refused (413): body over %u bytes", WEBHOOK_BODY_MAX);
		return reply(c, MHD_HTTP_CONTENT_TOO_LARGE, "{\"error\":\"body too large\"}", NULL);
	}
	if (!webhook_signature_ok(s->o->secret, s->secret_len, k->body.data, k->body.len, sig)) {
		log_warn("webhook: refused (401): %s signature; nothing stored",
			 sig ? "wrong" : "no");
		return reply(c, MHD_HTTP_UNAUTHORIZED, "{\"error\":\"bad signature\"}", NULL);
	}
	if (webhook_parse(k->body.data ? k->body.data : "", k->body.len, &d, &e) < 0) {
		log_warn("webhook: refused (400): %s", e.msg);
		return reply(c, MHD_HTTP_BAD_REQUEST, "{\"error\":\"malformed delivery\"}", NULL);
	}
	ok = accept_delivery(s, c, &d);
	webhook_delivery_release(&d);
	return ok;
}

/* The first call for a request: route it; a body is read only for the webhook. */
static enum MHD_Result route(struct serve *s, struct MHD_Connection *c, const char *url,
			     const char *method, void **con_cls)
{
	const char *len;
	bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;

	if (strcmp(url, PATH_HEALTH) == 0)
		return get ? health(s, c)
			   : reply(c, MHD_HTTP_METHOD_NOT_ALLOWED,
				   "{\"error\":\"method not allowed\"}", "GET, HEAD");
	if (strcmp(url, PATH_HOOK) != 0)
		return reply(c, MHD_HTTP_NOT_FOUND, "{\"error\":\"not found\"}", NULL);
	if (strcmp(method, "POST") != 0)
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "{\"error\":\"method not allowed\"}",
			     "POST");
	/*
	 * A body a little over the limit is read and dropped, so the client sees
	 * the 413 (an answer sent before its body is read can reach it as a reset
	 * connection); one far over it is answered at once and the connection closed.
	 */
	len = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (len && strtoull(len, NULL, 10) > DRAIN_MAX) {
		log_warn("webhook: refused (413): body of %s bytes", len);
		return reply(c, MHD_HTTP_CONTENT_TOO_LARGE, "{\"error\":\"body too large\"}", NULL);
	}
	*con_cls = xcalloc(1, sizeof(struct conn));
	return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct serve *s = cls;
	struct conn *k = *con_cls;

	(void)version;
	if (!k)
		return route(s, c, url, method, con_cls);
	if (*upload_size > 0) {
		if (k->too_big || k->body.len + *upload_size > WEBHOOK_BODY_MAX)
			k->too_big = true; /* read and dropped: the answer is 413 */
		else
			buf_add(&k->body, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	return webhook(s, c, k);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode why)
{
	struct conn *k = *con_cls;

	(void)cls;
	(void)c;
	(void)why;
	if (k) {
		buf_release(&k->body);
		free(k);
		*con_cls = NULL;
	}
}

/* "ADDR:PORT" into `ss`; false when it is not one. */
static bool parse_listen(const char *spec, struct sockaddr_storage *ss, bool *v6)
{
	const char *colon = strrchr(spec, ':');
	char host[64], *end;
	unsigned long port;
	size_t n;

	memset(ss, 0, sizeof(*ss));
	if (!colon || colon == spec || !colon[1])
		return false;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || *end || port > 65535)
		return false;
	n = (size_t)(colon - spec);
	if (spec[0] == '[' && n >= 2 && spec[n - 1] == ']') {
		spec++;
		n -= 2;
	}
	if (n >= sizeof(host))
		return false;
	memcpy(host, spec, n);
	host[n] = '\0';
	*v6 = strchr(host, ':') != NULL;
	if (*v6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons((unsigned short)port);
		return inet_pton(AF_INET6, host, &a->sin6_addr) == 1;
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		a->sin_family = AF_INET;
		a->sin_port = htons((unsigned short)port);
		return inet_pton(AF_INET, host, &a->sin_addr) == 1;
	}
}

int serve_http_start(struct serve *s, struct err *e)
{
	struct sockaddr_storage ss;
	const union MHD_DaemonInfo *info;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD;
	bool v6 = false;

	if (!parse_listen(s->o->listen, &ss, &v6))
		return err_set(e, ERR_INVALID,
			       "serve: --listen '%s' is not ADDR:PORT (an IP address and a port, "
			       "e.g. 127.0.0.1:8080)",
			       s->o->listen);
	if (v6)
		flags |= MHD_USE_IPv6;
	s->mhd = MHD_start_daemon(
		flags, 0, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)HTTP_THREADS, MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned)HTTP_TIMEOUT_S, MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_CONNECTIONS,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_END);
	if (!s->mhd)
		return err_set(e, ERR_IO, "serve: cannot listen on %s: %s", s->o->listen,
			       errno ? strerror(errno) : "address in use or not available");
	info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
	log_info("serve: listening on %s (port %u): POST %s, GET %s; deliveries within %d s "
		 "share one run%s",
		 s->o->listen, info ? (unsigned)info->port : 0u, PATH_HOOK, PATH_HEALTH,
		 SERVE_WINDOW_MS / 1000, s->o->apply ? "" : " (dry runs: no --apply)");
	return 0;
}

void serve_http_stop(struct serve *s)
{
	if (s->mhd)
		MHD_stop_daemon(s->mhd);
	s->mhd = NULL;
}
