#include "config.h"

#include "apis/notify.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "apis/http.h"

void notify_escape(struct buf *out, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '&')
			buf_adds(out, "&amp;");
		else if (*s == '<')
			buf_adds(out, "&lt;");
		else if (*s == '>')
			buf_adds(out, "&gt;");
		else
			buf_addc(out, *s);
	}
}

int notify_post(const char *url, const char *text, long retry_base_ms, struct err *e)
{
	struct http_opts o;
	struct http_client *c = NULL;
	struct http_request req;
	struct http_response resp;
	struct err he = ERR_INIT;
	json_t *doc = json_object();
	struct buf esc = BUF_INIT;
	char *body = NULL;
	int rc;

	http_response_init(&resp);
	memset(&o, 0, sizeof(o));
	o.name = "notify";
	o.base_url = url;
	o.connect_timeout_ms = 5000;
	o.timeout_ms = 15000;
	o.max_response = 64 * 1024;
	o.max_attempts = NOTIFY_ATTEMPTS;
	o.backoff_base_ms = retry_base_ms > 0 ? retry_base_ms : 500;
	o.backoff_max_ms = 4 * o.backoff_base_ms;
	o.jobs = 1;
	notify_escape(&esc, text);
	if (json_object_set_new(doc, "text", json_stringn(esc.data ? esc.data : "", esc.len)) < 0 ||
	    !(body = json_dumps(doc, JSON_COMPACT))) {
		rc = err_set(e, ERR_FAIL, "notify: the message is not valid UTF-8");
		goto out;
	}
	/* The client's own message would carry nothing of the URL either; ours says less. */
	if ((rc = http_client_new(&c, &o, &he)) < 0) {
		rc = err_set(e, rc, "notify: cannot set up the request");
		goto out;
	}
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	/* http.c trims the base's trailing slashes: give one back as the path. */
	req.path = *url && url[strlen(url) - 1] == '/' ? "/" : "";
	req.json_body = body;
	/* A notice sent twice is harmless; one lost is what the retries are for. */
	req.idempotent = true;
	rc = http_do(c, &req, &resp, &he);
	if (rc < 0)
		rc = err_set(e, ERR_NETWORK, "notify: the webhook did not answer after %d attempts",
			     resp.attempts ? resp.attempts : NOTIFY_ATTEMPTS);
	else if (resp.status < 200 || resp.status > 299)
		rc = err_set(e, ERR_FAIL, "notify: the webhook answered %ld", resp.status);
out:
	http_response_release(&resp);
	http_client_free(c);
	free(body);
	buf_release(&esc);
	json_decref(doc);
	return rc;
}
