#include "config.h"

#include "apis/humaans.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "apis/http.h"
#include "base/jsonutil.h"
#include "base/log.h"
#include "base/secret.h"
#include "base/xalloc.h"

/*
 * CONTRACT ASSUMPTIONS (shared/api/humaans.md, points marked **assumption**).
 * Nothing below is confirmed against a live Humaans account; each guess lives
 * here and nowhere else, so a correction is a one-line change.
 *
 * - HUMAANS_ROUTE_TOKEN_INFO: GET /token-info answers {id, label, scopes}.
 *   When it answers 404/405 we fall back to probing reads (HUMAANS_PROBES).
 * - HUMAANS_ROUTE_FILES / HUMAANS_FILE_PART: the upload route is not public;
 *   we assume POST /files, multipart/form-data, one part "file", answering
 *   201 {id, filename, size}.
 * - DELETE /documents/:id and DELETE /files/:id (delete-new-hire; not in
 *   the contract) answer like every DELETE, 200 {id, deleted: true}, and 404
 *   once the record is gone. Deleting a person may remove their documents
 *   but is assumed to leave the uploaded files: delete-new-hire deletes the
 *   documents, then the files, then the person.
 * - Validation failures: 400 per the reference, 422 per some sources; both
 *   decode to ERR_INVALID (HUMAANS_STATUS_VALIDATION_ALT).
 * - Rate limiting: no limit is published; we assume 429 with Retry-After in
 *   seconds. http-retry.c retries 429/5xx and honours Retry-After; nothing here
 *   needs to know the number.
 * - HUMAANS_REQUEST_ID_HEADER: the answer carries a request id under this
 *   name (kept in messages and the journal when present).
 * - Error detail: the body's `message` plus any `errors`, `data` or `issues`
 *   member; a 403 names the scope in `data.scope` / `data.missingScope` /
 *   `data.requiredScope` or in the message text.
 * - HUMAANS_PAGE_LIMIT: the maximum $limit is 250 (larger is capped).
 * - HUMAANS_MAX_PAGES: a list longer than this (ten million records) is a
 *   server that never stops paging; $skip only grows, so a page cannot repeat
 *   the way a cursor can, and the cap is the one guard needed.
 * - HUMAANS_IN_CHUNK: how many values one field[$in][] request carries; the
 *   API publishes no URL limit, 50 ids keep a URL near 3 KB.
 * - Corrections in place: PATCH /job-roles/:id and PATCH /compensations/:id
 *   take the changed fields and answer 200 with the record (the reference
 *   lists POST and DELETE only). plan sends them for a hire who has not
 *   started yet (stages/plan/plan-int.h, stages/apply/apply-int.h).
 * - Brackets in query keys are sent percent-encoded (%5B, %5D): the API's
 *   query parser (qs) decodes keys, and libcurl needs no globbing care.
 */
#define HUMAANS_ROUTE_TOKEN_INFO "/token-info"
#define HUMAANS_ROUTE_ME "/me"
#define HUMAANS_ROUTE_FILES "/files"
#define HUMAANS_FILE_PART "file"
#define HUMAANS_STATUS_VALIDATION 400
#define HUMAANS_STATUS_VALIDATION_ALT 422
#define HUMAANS_REQUEST_ID_HEADER "X-Request-Id"
#define HUMAANS_PAGE_LIMIT 250
#define HUMAANS_MAX_PAGES 40000
#define HUMAANS_IN_CHUNK 50

/* Probing reads when /token-info is absent: a 2xx means the token holds the scope. */
static const struct {
	const char *path;
	const char *scope;
} HUMAANS_PROBES[] = {
	{ "/custom-values?$limit=1", "private:read" },
	{ "/locations?$limit=1", "public:read" },
	{ "/compensations?$limit=1", "compensations:read" },
	{ "/documents?$limit=1", "documents:read" },
};

/* Scopes the contract lists, for finding one named in an error message. */
static const char *const humaans_scopes[] = {
	"public:read",	       "private:read",	 "private:write",   "compensations:read",
	"compensations:write", "documents:read", "documents:write", "webhooks:manage",
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define DETAIL_MAX 400

/* ---- client ------------------------------------------------------------------------------ */

int humaans_client_new(struct http_client **out, const char *base_url, const char *token, int jobs,
		       bool adapt, double max_rps, struct err *e)
{
	static const char *const headers[] = { "Accept: application/json", NULL };
	struct http_opts opts;
	char *auth = NULL;
	size_t n;
	int rc;

	*out = NULL;
	if (!token || !*token)
		return err_set(e, ERR_AUTH, "humaans: no API token (set HUMAANS_API_TOKEN)");
	if (!base_url || !*base_url)
		return err_set(e, ERR_INVALID, "humaans: no base URL");
	memset(&opts, 0, sizeof(opts));
	auth = xasprintf("Bearer %s", token);
	opts.name = "humaans";
	opts.base_url = base_url;
	opts.authorization = auth;
	opts.headers = headers;
	opts.request_id_header = HUMAANS_REQUEST_ID_HEADER;
	opts.jobs = jobs;
	opts.adapt = adapt;
	opts.max_rps = max_rps;
	rc = http_client_new(out, &opts, e);
	/* The client keeps its own copy: wipe ours so no stray copy of the token lingers. */
	n = strlen(auth);
	for (volatile char *p = auth; n--; p++)
		*p = 0;
	free(auth);
	return rc;
}

void humaans_result_init(struct humaans_result *r)
{
	memset(r, 0, sizeof(*r));
}

void humaans_result_release(struct humaans_result *r)
{
	json_decref(r->json);
	free(r->body);
	free(r->request_id);
	humaans_result_init(r);
}

char *humaans_path_id(const char *resource, const char *id)
{
	struct buf b = BUF_INIT;

	buf_adds(&b, resource);
	buf_addc(&b, '/');
	http_url_escape(&b, id);
	return buf_detach(&b, NULL);
}

/* ---- errors ------------------------------------------------------------------------------ */

/* Append `s` as one line: control characters become spaces, the total stays under `max`. */
/* A server's text, redacted whole, escaped, and cut where `out` reaches `max`. */
static void add_line(struct buf *out, const char *s, size_t max)
{
	if (out->len < max)
		secret_excerpt(out, s, strlen(s), max - out->len);
}

static void add_detail_value(struct buf *out, const json_t *v)
{
	const char *msg;
	char *dump;

	if (json_is_string(v)) {
		add_line(out, json_string_value(v), DETAIL_MAX);
	} else if ((msg = json_get_str(v, "message"))) {
		add_line(out, msg, DETAIL_MAX);
	} else {
		dump = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
		if (dump)
			add_line(out, dump, DETAIL_MAX);
		free(dump);
	}
}

/* Flatten errors/data/issues into "field: message; field: message". */
static void add_detail(struct buf *out, const json_t *d)
{
	const char *key;
	const json_t *v;
	size_t i;

	if (json_is_object(d)) {
		json_object_foreach ((json_t *)d, key, v) {
			if (out->len >= DETAIL_MAX)
				return;
			if (out->len)
				buf_adds(out, "; ");
			add_line(out, key, DETAIL_MAX);
			buf_adds(out, ": ");
			add_detail_value(out, v);
		}
	} else if (json_is_array(d)) {
		json_array_foreach (d, i, v) {
			const json_t *path = json_object_get(v, "path");
			const char *field = json_get_str(v, "field");

			if (out->len >= DETAIL_MAX)
				return;
			if (out->len)
				buf_adds(out, "; ");
			if (json_is_array(path) || json_is_string(path) || field) {
				if (field) {
					add_line(out, field, DETAIL_MAX);
				} else if (json_is_string(path)) {
					add_line(out, json_string_value(path), DETAIL_MAX);
				} else {
					size_t j;
					const json_t *p;

					json_array_foreach (path, j, p) {
						if (j)
							buf_addc(out, '.');
						add_detail_value(out, p);
					}
				}
				buf_adds(out, ": ");
			}
			add_detail_value(out, v);
		}
	} else if (d && !json_is_null(d)) {
		add_detail_value(out, d);
	}
}

/* Earliest known scope named in `s`, or NULL. */
static const char *scope_in_text(const char *s)
{
	const char *best = NULL, *best_at = NULL;

	for (size_t i = 0; s && i < ARRAY_SIZE(humaans_scopes); i++) {
		const char *at = strstr(s, humaans_scopes[i]);

		if (at && (!best_at || at < best_at)) {
			best = humaans_scopes[i];
			best_at = at;
		}
	}
	return best;
}

static bool scope_from_json(const json_t *doc, char *out, size_t outsz)
{
	static const char *const keys[] = { "scope", "missingScope", "requiredScope" };
	const json_t *data = json_get_obj(doc, "data");
	const char *s = NULL;

	for (size_t i = 0; data && !s && i < ARRAY_SIZE(keys); i++) {
		s = json_get_str(data, keys[i]);
		if (s && !scope_in_text(s))
			s = NULL;
	}
	if (!s)
		s = scope_in_text(json_get_str(doc, "message"));
	if (!s)
		return false;
	snprintf(out, outsz, "%s", scope_in_text(s));
	return true;
}

bool humaans_error_scope(const char *body, size_t len, char *out, size_t outsz)
{
	json_t *doc = body && len ? json_loadb(body, len, JSON_ALLOW_NUL, NULL) : NULL;
	bool found = false;

	if (doc) {
		found = scope_from_json(doc, out, outsz);
		json_decref(doc);
	}
	return found;
}

static const char *status_text(long status)
{
	switch (status) {
	case 400:
		return "bad request";
	case 401:
		return "unauthorized";
	case 403:
		return "forbidden";
	case 404:
		return "not found";
	case 408:
		return "timeout";
	case 409:
		return "conflict";
	case 413:
		return "too large";
	case 422:
		return "unprocessable";
	case 429:
		return "rate limited";
	}
	return status >= 500 ? "server error" : "error";
}

int humaans_decode_error(long status, const char *body, size_t len, const char *what, struct err *e)
{
	struct buf msg = BUF_INIT, detail = BUF_INIT;
	json_t *doc = NULL;
	char scope[64];
	const char *m = NULL;
	int code;

	if (status == 401)
		code = ERR_AUTH;
	else if (status == 403)
		code = ERR_PERMISSION;
	else if (status == 404)
		code = ERR_NOTFOUND;
	else if (status == HUMAANS_STATUS_VALIDATION || status == HUMAANS_STATUS_VALIDATION_ALT)
		code = ERR_INVALID;
	else
		code = ERR_HTTP;

	if (body && len)
		doc = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, NULL);
	if (json_is_object(doc)) {
		m = json_get_str(doc, "message");
		if (m)
			add_line(&msg, m, DETAIL_MAX);
		if (status != 403) {
			add_detail(&detail, json_object_get(doc, "errors"));
			add_detail(&detail, json_object_get(doc, "data"));
			add_detail(&detail, json_object_get(doc, "issues"));
		}
	} else if (body && len) {
		/* Not the contract's shape (a proxy's page?): show its start (`body` need not
		 * end in a NUL: copy what is shown). */
		secret_excerpt(&msg, body, len, 120);
	}

	if (status == 403) {
		if (scope_from_json(doc, scope, sizeof(scope)))
			err_set(e, code,
				"humaans: %s: the API token lacks the scope '%s' "
				"(grant it to the token in Humaans, Settings > API access)",
				what, scope);
		else
			err_set(e, code,
				"humaans: %s: 403 forbidden%s%s (check the API token's scopes)",
				what, msg.len ? ": " : "", msg.data);
	} else if (status == 401) {
		err_set(e, code, "humaans: %s: 401 unauthorized%s%s (check HUMAANS_API_TOKEN)",
			what, msg.len ? ": " : "", msg.data);
	} else {
		err_set(e, code, "humaans: %s: %ld %s%s%s%s%s%s", what, status, status_text(status),
			msg.len ? ": " : "", msg.data, detail.len ? " (" : "", detail.data,
			detail.len ? ")" : "");
	}
	log_trace("humaans: %s: %ld decoded as %s", what, status, err_code_name(code));
	json_decref(doc);
	buf_release(&msg);
	buf_release(&detail);
	return code;
}

/* "POST /people" from the method and the path, without the query. */
static char *call_name(const char *method, const char *path)
{
	size_t n = strcspn(path, "?");

	return xasprintf("%s %.*s", method, (int)n, path);
}

/*
 * Turn an http outcome into a result: parse a 2xx body, decode an error body.
 * `rc` is http's (0 when an answer arrived). `e` gets the message on failure.
 */
static int result_take(const char *method, const char *path, int rc, struct http_response *resp,
		       struct humaans_result *res, struct err *e)
{
	bool create = strcmp(method, "POST") == 0;
	char *what = call_name(method, path);
	json_error_t jerr;

	res->status = resp->status;
	res->attempts = resp->attempts;
	if (resp->request_id)
		res->request_id = xstrdup(resp->request_id);
	if (rc < 0) {
		/* http spent its retries (or the outcome is unknown): keep its message, and the
		 * last answer's body, if any, for the journal. */
		if (resp->status && resp->body.len)
			res->body = xstrndup(resp->body.data, resp->body.len);
		if (!e || !e->msg[0])
			err_set(e, rc, "humaans: %s: no answer", what);
		goto out;
	}
	if (resp->status < 200 || resp->status > 299) {
		res->body = xstrndup(resp->body.data, resp->body.len);
		rc = humaans_decode_error(resp->status, resp->body.data, resp->body.len, what, e);
		goto out;
	}
	if (resp->body.len == 0 && !create) {
		res->json = json_null();
		goto out;
	}
	res->json = json_loadb(resp->body.data, resp->body.len,
			       JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
	if (!res->json) {
		res->body = xstrndup(resp->body.data, resp->body.len);
		/* A create that answered garbage may still have created the record. */
		rc = err_set(e, create ? ERR_UNCERTAIN : ERR_HTTP,
			     "humaans: %s: %ld answer is not JSON (%s at byte %d)%s", what,
			     resp->status, jerr.text, jerr.position,
			     create ? ": look the record up before sending it again" : "");
	}
out:
	free(what);
	return rc;
}

/* ---- synchronous calls ------------------------------------------------------------------- */

static int do_call(struct http_client *c, struct http_request *req, struct humaans_result *res,
		   struct err *e)
{
	struct http_response resp;
	int rc;

	http_response_init(&resp);
	rc = http_do(c, req, &resp, e);
	rc = result_take(req->method, req->path, rc, &resp, res, e);
	http_response_release(&resp);
	return rc;
}

static char *dump_body(const json_t *body)
{
	return body ? json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
}

int humaans_call(struct http_client *c, const char *method, const char *path, const json_t *body,
		 struct humaans_result *res, struct err *e)
{
	struct http_request req;
	char *json = dump_body(body);
	int rc;

	if (body && !json)
		return err_set(e, ERR_INVALID, "humaans: %s %s: body cannot be encoded", method,
			       path);
	memset(&req, 0, sizeof(req));
	req.method = method;
	req.path = path;
	req.json_body = json;
	req.idempotent = strcmp(method, "POST") != 0;
	rc = do_call(c, &req, res, e);
	free(json);
	return rc;
}

static int call_json(struct http_client *c, const char *method, const char *path,
		     const json_t *body, json_t **out, struct err *e)
{
	struct humaans_result res;
	int rc;

	if (out)
		*out = NULL;
	humaans_result_init(&res);
	rc = humaans_call(c, method, path, body, &res, e);
	if (rc == 0 && out) {
		*out = res.json;
		res.json = NULL;
	}
	humaans_result_release(&res);
	return rc;
}

int humaans_get(struct http_client *c, const char *path, json_t **out, struct err *e)
{
	return call_json(c, "GET", path, NULL, out, e);
}

int humaans_post(struct http_client *c, const char *path, const json_t *body, json_t **out,
		 struct err *e)
{
	return call_json(c, "POST", path, body, out, e);
}

int humaans_patch(struct http_client *c, const char *path, const json_t *body, json_t **out,
		  struct err *e)
{
	return call_json(c, "PATCH", path, body, out, e);
}

int humaans_delete(struct http_client *c, const char *path, json_t **out, struct err *e)
{
	return call_json(c, "DELETE", path, NULL, out, e);
}

/* The upload answer must name the file we sent, at the size we sent. */
static int check_upload(const json_t *ans, size_t len, const char *filename, struct err *e)
{
	json_t *size = json_object_get(ans, "size");

	if (!json_get_str(ans, "id"))
		return err_set(e, ERR_UNCERTAIN,
			       "humaans: upload of '%s': the answer has no file id", filename);
	if (size && (!json_is_integer(size) || (uint64_t)json_integer_value(size) != len))
		return err_set(e, ERR_HTTP,
			       "humaans: upload of '%s': sent %zu bytes, Humaans "
			       "stored %" JSON_INTEGER_FORMAT,
			       filename, len,
			       json_is_integer(size) ? json_integer_value(size) : -1);
	return 0;
}

static void upload_request(struct http_request *req, const char *filename, const char *content_type,
			   const void *data, size_t len)
{
	memset(req, 0, sizeof(*req));
	req->method = "POST";
	req->path = HUMAANS_ROUTE_FILES;
	req->file_field = HUMAANS_FILE_PART;
	req->file_name = filename;
	req->file_type = content_type ? content_type : "application/octet-stream";
	req->file_data = data;
	req->file_len = len;
	req->idempotent = false;
}

int humaans_upload(struct http_client *c, const char *filename, const char *content_type,
		   const void *data, size_t len, json_t **out, struct err *e)
{
	struct humaans_result res;
	struct http_request req;
	int rc;

	*out = NULL;
	humaans_result_init(&res);
	upload_request(&req, filename, content_type, data, len);
	rc = do_call(c, &req, &res, e);
	if (rc == 0)
		rc = check_upload(res.json, len, filename, e);
	if (rc == 0) {
		*out = res.json;
		res.json = NULL;
	}
	humaans_result_release(&res);
	return rc;
}

/* ---- queries ----------------------------------------------------------------------------- */

static int check_field(const char *field, struct err *e)
{
	const char *p = field;

	for (; p && *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_')
			break;
	if (!field || !*field || *p)
		return err_set(e, ERR_INVALID, "humaans: bad query field name '%s'",
			       field ? field : "(null)");
	return 0;
}

static void query_sep(struct buf *q)
{
	if (q->len)
		buf_addc(q, '&');
}

int humaans_query_eq(struct buf *q, const char *field, const char *value, struct err *e)
{
	if (check_field(field, e))
		return ERR_INVALID;
	query_sep(q);
	buf_addf(q, "%s=", field);
	http_url_escape(q, value ? value : "");
	return 0;
}

int humaans_query_in(struct buf *q, const char *field, const char *const *values, size_t n,
		     struct err *e)
{
	if (check_field(field, e))
		return ERR_INVALID;
	for (size_t i = 0; i < n; i++) {
		query_sep(q);
		buf_addf(q, "%s%%5B$in%%5D%%5B%%5D=", field);
		http_url_escape(q, values[i] ? values[i] : "");
	}
	return 0;
}

int humaans_query_op(struct buf *q, const char *field, const char *op, const char *value,
		     struct err *e)
{
	if (check_field(field, e) || check_field(op, e))
		return ERR_INVALID;
	query_sep(q);
	buf_addf(q, "%s%%5B$%s%%5D=", field, op);
	http_url_escape(q, value ? value : "");
	return 0;
}

/* ---- batches ----------------------------------------------------------------------------- */

/*
 * Every context handed to http is kept on the batch's list until its call has
 * completed (a list: until its last page), else freed with the batch: http
 * may drop queued requests without calling back when a batch stops, and
 * nothing must leak then. Freeing completed ones keeps a long batch (apply's
 * tens of thousands of writes) from growing with every call.
 */
struct call_ctx {
	struct call_ctx *next, *prev;
	struct humaans_batch *hb;
	char *method;
	char *path;
	humaans_done_fn done;
	void *ctx;
	/* upload */
	bool upload;
	char *filename;
	size_t len;
	/* list */
	humaans_page_fn page;
	char *resource;
	char *query;
	long skip;
	long seen;
	long pages;
	long *count;
	/* a chunk of humaans_list_in_chunks: told when its list ended */
	humaans_chunk_fn chunk;
	const char *const *chunk_values;
	size_t chunk_n;
};

struct humaans_batch {
	struct http_client *c;
	struct http_batch *b;
	struct call_ctx *ctxs;
};

struct humaans_batch *humaans_batch_new(struct http_client *c)
{
	struct humaans_batch *hb = xcalloc(1, sizeof(*hb));

	hb->c = c;
	hb->b = http_batch_new(c);
	return hb;
}

int humaans_batch_run(struct humaans_batch *hb, struct err *e)
{
	return http_batch_run(hb->b, e);
}

static void ctx_free(struct call_ctx *cc)
{
	free(cc->method);
	free(cc->path);
	free(cc->filename);
	free(cc->resource);
	free(cc->query);
	free(cc);
}

/* Take a context off its batch's list and free it. */
static void ctx_done(struct call_ctx *cc)
{
	if (cc->prev)
		cc->prev->next = cc->next;
	else
		cc->hb->ctxs = cc->next;
	if (cc->next)
		cc->next->prev = cc->prev;
	ctx_free(cc);
}

void humaans_batch_free(struct humaans_batch *hb)
{
	struct call_ctx *cc, *next;

	if (!hb)
		return;
	http_batch_free(hb->b);
	for (cc = hb->ctxs; cc; cc = next) {
		next = cc->next;
		ctx_free(cc);
	}
	free(hb);
}

static struct call_ctx *ctx_new(struct humaans_batch *hb, const char *method, const char *path)
{
	struct call_ctx *cc = xcalloc(1, sizeof(*cc));

	cc->hb = hb;
	cc->method = xstrdup(method);
	cc->path = path ? xstrdup(path) : NULL;
	cc->next = hb->ctxs;
	if (hb->ctxs)
		hb->ctxs->prev = cc;
	hb->ctxs = cc;
	return cc;
}

static int call_done(void *ctx, int rc, struct http_response *resp, struct err *e)
{
	struct call_ctx *cc = ctx;
	struct humaans_result res;

	humaans_result_init(&res);
	rc = result_take(cc->method, cc->path, rc, resp, &res, e);
	if (rc == 0 && cc->upload)
		rc = check_upload(res.json, cc->len, cc->filename, e);
	rc = cc->done ? cc->done(cc->ctx, rc, &res, e) : rc;
	if (rc == 0)
		err_clear(e);
	humaans_result_release(&res);
	/* http calls back once per request and does not look at the context again. */
	ctx_done(cc);
	return rc;
}

void humaans_batch_call(struct humaans_batch *hb, const char *method, const char *path,
			const json_t *body, humaans_done_fn done, void *ctx)
{
	struct call_ctx *cc = ctx_new(hb, method, path);
	struct http_request req;
	char *json = dump_body(body);

	cc->done = done;
	cc->ctx = ctx;
	memset(&req, 0, sizeof(req));
	req.method = method;
	req.path = path;
	/* jansson cannot fail to encode a valid json_t short of memory; send nothing then. */
	req.json_body = json;
	req.idempotent = strcmp(method, "POST") != 0;
	http_batch_add(hb->b, &req, call_done, cc);
	free(json);
}

void humaans_batch_upload(struct humaans_batch *hb, const char *filename, const char *content_type,
			  const void *data, size_t len, humaans_done_fn done, void *ctx)
{
	struct call_ctx *cc = ctx_new(hb, "POST", HUMAANS_ROUTE_FILES);
	struct http_request req;

	cc->done = done;
	cc->ctx = ctx;
	cc->upload = true;
	cc->filename = xstrdup(filename);
	cc->len = len;
	upload_request(&req, filename, content_type, data, len);
	http_batch_add(hb->b, &req, call_done, cc);
}

static int list_page_done(void *ctx, int rc, struct http_response *resp, struct err *e);

static void list_queue(struct call_ctx *cc)
{
	struct http_request req;

	free(cc->path);
	cc->path = xasprintf("%s?$limit=%d&$skip=%ld%s%s", cc->resource, HUMAANS_PAGE_LIMIT,
			     cc->skip, cc->query ? "&" : "", cc->query ? cc->query : "");
	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.path = cc->path;
	req.idempotent = true;
	log_trace("humaans: list %s from %ld", cc->resource, cc->skip);
	http_batch_add(cc->hb->b, &req, list_page_done, cc);
}

static int list_page_done(void *ctx, int rc, struct http_response *resp, struct err *e)
{
	struct call_ctx *cc = ctx;
	struct humaans_result res;
	json_t *data, *total;
	size_t n;

	humaans_result_init(&res);
	rc = result_take("GET", cc->path, rc, resp, &res, e);
	if (rc < 0)
		goto out;
	data = json_get_arr(res.json, "data");
	total = json_object_get(res.json, "total");
	if (!data || !json_is_integer(total)) {
		rc = err_set(e, ERR_HTTP,
			     "humaans: GET %s: the answer is not a list "
			     "{total, limit, skip, data}",
			     cc->resource);
		goto out;
	}
	n = json_array_size(data);
	if (n && cc->page) {
		rc = cc->page(cc->ctx, data, e);
		if (rc < 0)
			goto out;
	}
	cc->seen += (long)n;
	cc->skip += (long)n;
	/* Trust neither `limit` nor a stable total: stop on an empty page or when skip reaches total. */
	if (n == 0 || cc->skip >= json_integer_value(total)) {
		if (cc->count)
			*cc->count = cc->seen;
		if (cc->chunk)
			rc = cc->chunk(cc->ctx, cc->chunk_values, cc->chunk_n, e);
		goto out;
	}
	if (++cc->pages >= HUMAANS_MAX_PAGES) {
		rc = err_set(e, ERR_HTTP,
			     "humaans: GET %s: more than %d pages (total %" JSON_INTEGER_FORMAT
			     "): giving up on an endless list",
			     cc->resource, HUMAANS_MAX_PAGES, json_integer_value(total));
		goto out;
	}
	list_queue(cc);
out:
	humaans_result_release(&res);
	return rc;
}

/* Queue a paged list; `chunk` (may be NULL) is told when it ends (humaans_list_in_chunks). */
static void list_start(struct humaans_batch *hb, const char *resource, const char *query,
		       humaans_page_fn fn, void *ctx, long *count, humaans_chunk_fn chunk,
		       const char *const *values, size_t n)
{
	struct call_ctx *cc = ctx_new(hb, "GET", NULL);

	cc->page = fn;
	cc->ctx = ctx;
	cc->resource = xstrdup(resource);
	cc->query = query && *query ? xstrdup(query) : NULL;
	cc->count = count;
	if (count)
		*count = 0;
	cc->chunk = chunk;
	cc->chunk_values = values;
	cc->chunk_n = n;
	list_queue(cc);
}

void humaans_batch_list(struct humaans_batch *hb, const char *resource, const char *query,
			humaans_page_fn fn, void *ctx, long *count)
{
	list_start(hb, resource, query, fn, ctx, count, NULL, NULL, 0);
}

/* ---- lists ------------------------------------------------------------------------------- */

int humaans_list(struct http_client *c, const char *resource, const char *query, humaans_page_fn fn,
		 void *ctx, long *count, struct err *e)
{
	struct humaans_batch *hb = humaans_batch_new(c);
	int rc;

	humaans_batch_list(hb, resource, query, fn, ctx, count);
	rc = humaans_batch_run(hb, e);
	humaans_batch_free(hb);
	return rc;
}

static int collect_page(void *ctx, json_t *data, struct err *e)
{
	return json_array_extend((json_t *)ctx, data) ? err_set(e, ERR_FAIL, "out of memory") : 0;
}

int humaans_list_all(struct http_client *c, const char *resource, const char *query, json_t **out,
		     struct err *e)
{
	json_t *all = json_array();
	int rc;

	*out = NULL;
	rc = humaans_list(c, resource, query, collect_page, all, NULL, e);
	if (rc < 0) {
		json_decref(all);
		return rc;
	}
	*out = all;
	return 0;
}

int humaans_list_in_chunks(struct http_client *c, const char *resource, const char *field,
			   const char *const *values, size_t n, const char *extra,
			   humaans_page_fn fn, humaans_chunk_fn chunk, void *ctx, struct err *e)
{
	struct humaans_batch *hb;
	struct buf q = BUF_INIT;
	int rc = 0;

	if (check_field(field, e))
		return ERR_INVALID;
	hb = humaans_batch_new(c);
	for (size_t i = 0; i < n; i += HUMAANS_IN_CHUNK) {
		size_t k = n - i < HUMAANS_IN_CHUNK ? n - i : HUMAANS_IN_CHUNK;

		buf_reset(&q);
		if (extra && *extra)
			buf_adds(&q, extra);
		humaans_query_in(&q, field, values + i, k, e);
		list_start(hb, resource, q.data, fn, ctx, NULL, chunk, values + i, k);
	}
	if (n)
		rc = humaans_batch_run(hb, e);
	humaans_batch_free(hb);
	buf_release(&q);
	return rc;
}

int humaans_list_in(struct http_client *c, const char *resource, const char *field,
		    const char *const *values, size_t n, const char *extra, humaans_page_fn fn,
		    void *ctx, struct err *e)
{
	return humaans_list_in_chunks(c, resource, field, values, n, extra, fn, NULL, ctx, e);
}

/* ---- token ------------------------------------------------------------------------------- */

int humaans_token_scopes(struct http_client *c, json_t **scopes, bool *probed, struct err *e)
{
	struct humaans_result res;
	json_t *list = NULL;
	int rc;

	*scopes = NULL;
	*probed = false;
	humaans_result_init(&res);
	rc = humaans_call(c, "GET", HUMAANS_ROUTE_TOKEN_INFO, NULL, &res, e);
	if (rc == 0) {
		list = json_get_arr(res.json, "scopes");
		if (!list) {
			rc = err_set(e, ERR_HTTP, "humaans: GET %s: the answer has no scopes",
				     HUMAANS_ROUTE_TOKEN_INFO);
			goto out;
		}
		*scopes = json_incref(list);
		goto out;
	}
	if (res.status != 404 && res.status != 405)
		goto out;
	/* No token-info route: what reads answer is all we can learn safely. */
	err_clear(e);
	*probed = true;
	list = json_array();
	for (size_t i = 0; i < ARRAY_SIZE(HUMAANS_PROBES); i++) {
		humaans_result_release(&res);
		rc = humaans_call(c, "GET", HUMAANS_PROBES[i].path, NULL, &res, e);
		if (rc == 0) {
			json_array_append_new(list, json_string(HUMAANS_PROBES[i].scope));
		} else if (rc == ERR_PERMISSION || rc == ERR_NOTFOUND) {
			err_clear(e);
		} else {
			json_decref(list);
			goto out;
		}
	}
	rc = 0;
	*scopes = list;
out:
	humaans_result_release(&res);
	return rc;
}
