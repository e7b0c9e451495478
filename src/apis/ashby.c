#include "config.h"

#include "apis/ashby.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/hash.h"
#include "base/jsonutil.h"
#include "base/secret.h"
#include "base/xalloc.h"

/*
 * The contract assumptions (api/ashby.md), in one place. Anything marked
 * "assumption" there is not confirmed against a live account: change it here.
 *
 * - Module and scope per endpoint: the scope strings reported by apiKey.info
 *   ("candidates:read", ...) are an assumption, as is "apiKeys:read".
 * - Id parameter names differ per endpoint (applicationId, id, fileHandle).
 * - Which lists take syncToken. Filters are assumed NOT to combine with a
 *   sync token, and a token to cover only what an unfiltered pass read, so the
 *   incremental lists are always unfiltered (ASHBY_HIRED is kept by the caller).
 * - Every later page repeats the first request's parameters (token included)
 *   plus `cursor`.
 * - Retry-After on 429 is in seconds (assumption): http.h honours it.
 * - The codes below ask for a full pass.
 */
/* clang-format off */
const struct ashby_endpoint ashby_endpoints[] = {
	/* name                module                     scope (assumption)            id param        paginated sync */
	{ "apiKey.info",      "API Keys",                "apiKeys:read",               NULL,            false, false },
	{ "application.list", "Candidates",              "candidates:read",            NULL,            true,  true },
	{ "application.info", "Candidates",              "candidates:read",            "applicationId", false, false },
	{ "candidate.info",   "Candidates",              "candidates:read",            "id",            false, false },
	{ "candidate.list",   "Candidates",              "candidates:read",            NULL,            true,  true },
	{ "file.info",        "Candidates",              "candidates:read",            "fileHandle",    false, false },
	{ "offer.list",       "Offers",                  "offers:read",                NULL,            true,  true },
	{ "job.info",         "Jobs",                    "jobs:read",                  "id",            false, false },
	{ "jobPosting.list",  "Jobs",                    "jobs:read",                  NULL,            false, false },
	{ "department.list",  "Organization",            "organization:read",          NULL,            true,  true },
	{ "location.list",    "Organization",            "organization:read",          NULL,            true,  true },
	{ "user.list",        "Organization",            "organization:read",          NULL,            true,  true },
	{ "customField.list", "Hiring Process Metadata", "hiringProcessMetadata:read", NULL,            true,  true },
	{ NULL, NULL, NULL, NULL, false, false }
};
/* clang-format on */

/* clang-format off */
static const char *const reset_codes[] = {
	"sync_token_expired", "sync_token_invalid", "incremental_sync_too_large",
	"next_cursor_expired", "invalid_next_cursor", "cursor_invalid", NULL
};
/* clang-format on */

/* Where a missing module permission is granted (Ashby's admin UI). */
#define ASHBY_GRANT_HINT "in Ashby, Admin > Integrations > API keys > the key > tick Read on %s"

const struct ashby_endpoint *ashby_endpoint_find(const char *name)
{
	const struct ashby_endpoint *ep;

	for (ep = ashby_endpoints; ep->name; ep++)
		if (strcmp(ep->name, name) == 0)
			return ep;
	return NULL;
}

bool ashby_code_is_reset(const char *code)
{
	size_t i;

	if (!code)
		return false;
	for (i = 0; reset_codes[i]; i++)
		if (strcmp(reset_codes[i], code) == 0)
			return true;
	return false;
}

char *ashby_body(const json_t *params)
{
	json_t *copy = json_object();
	const char *k;
	json_t *v;
	char *s;

	if (json_is_object(params)) {
		json_object_foreach ((json_t *)params, k, v) {
			if (!json_is_null(v))
				json_object_set(copy, k, v);
		}
	}
	s = json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(copy);
	if (!s) {
		/* Only on allocation failure: xalloc's policy is to exit. */
		return xstrdup("{}");
	}
	return s;
}

void ashby_req_init(struct ashby_req *r, const char *endpoint, const json_t *params)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->path, sizeof(r->path), "/%s", endpoint);
	r->body = ashby_body(params);
	r->http.method = "POST";
	r->http.path = r->path;
	r->http.json_body = r->body;
	/* Ashby's reads are POSTs that change nothing: safe to resend. */
	r->http.idempotent = true;
}

void ashby_req_release(struct ashby_req *r)
{
	free(r->body);
	r->body = NULL;
}

/* An errors[] string is taken for a code only when it looks like one ("job_not_found"). */
static bool looks_like_code(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || *s == '_'))
			return false;
	return true;
}

/* A short, printable excerpt of Ashby's own message: redacted, escaped, then cut. */
static void excerpt(char *dst, size_t n, const char *src)
{
	struct buf b = BUF_INIT;

	secret_excerpt(&b, src, src ? strlen(src) : 0, n / 2);
	snprintf(dst, n, "%s", b.len ? b.data : "");
	buf_release(&b);
}

/* Pull code, message and request id out of a success:false body (any of them may be absent). */
static void error_fields(const json_t *env, const char **code, const char **message,
			 const char **rid)
{
	json_t *info = json_get_obj(env, "errorInfo");
	json_t *errs = json_get_arr(env, "errors");

	*code = json_get_str(info, "code");
	*message = json_get_str(info, "message");
	if (!*rid)
		*rid = json_get_str(info, "requestId");
	if (json_array_size(errs) > 0) {
		json_t *first = json_array_get(errs, 0);

		/* Deprecated `errors`: strings, or {"message", "parameter"} objects. */
		if (!*message)
			*message = json_is_string(first) ? json_string_value(first)
							 : json_get_str(first, "message");
		if (!*code && json_is_string(first) && looks_like_code(json_string_value(first)))
			*code = json_string_value(first);
	}
}

static int code_to_err(const char *code)
{
	size_t n;

	if (!code)
		return ERR_HTTP;
	if (strcmp(code, "missing_endpoint_permission") == 0)
		return ERR_PERMISSION;
	if (ashby_code_is_reset(code))
		return ERR_SYNC_RESET;
	if (strcmp(code, "invalid_input") == 0)
		return ERR_INVALID;
	n = strlen(code);
	if (n > 10 && strcmp(code + n - 10, "_not_found") == 0)
		return ERR_NOTFOUND;
	return ERR_HTTP;
}

static int permission_error(const char *endpoint, const char *rid, struct err *e)
{
	const struct ashby_endpoint *ep = ashby_endpoint_find(endpoint);
	const char *module = ep ? ep->module : "the module of this endpoint";

	return err_set(e, ERR_PERMISSION,
		       "the ashby API key lacks the %s permission, needed by %s (request id "
		       "%s): " ASHBY_GRANT_HINT,
		       module, endpoint, rid ? rid : "none", module);
}

int ashby_decode(const char *endpoint, const char *what, int rc, const struct http_response *resp,
		 json_t **envelope, struct err *e)
{
	const char *rid = resp ? resp->request_id : NULL;
	const char *code = NULL, *message = NULL;
	char for_what[300] = "", msg[300];
	json_t *env = NULL;
	json_error_t jerr;
	char why[200] = "";

	*envelope = NULL;
	if (what)
		snprintf(for_what, sizeof(for_what), " for %s", what);
	if (rc < 0)
		return err_prefix(e, "ashby %s%s", endpoint, for_what);

	/* 401/403/5xx bodies may be an HTML page: a JSON body is a bonus, not a must. */
	if (resp->body.len > 0)
		env = json_loadb(resp->body.data, resp->body.len,
				 JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
	if (!json_is_object(env)) {
		/* Keep the parser's own reason: a bad byte is found by its position. */
		if (resp->body.len > 0 && !env)
			snprintf(why, sizeof(why), ": %s at byte %d", jerr.text, jerr.position);
		else if (resp->body.len == 0)
			snprintf(why, sizeof(why), ": the body is empty");
		else
			snprintf(why, sizeof(why), ": the body is JSON but not an object");
		json_decref(env);
		env = NULL;
	}
	if (env)
		error_fields(env, &code, &message, &rid);
	excerpt(msg, sizeof(msg), message);

	if (resp->status == 401) {
		err_set(e, ERR_AUTH,
			"ashby %s%s: HTTP 401, the API key was not accepted (request id %s): "
			"check ASHBY_API_KEY",
			endpoint, for_what, rid ? rid : "none");
		goto fail;
	}
	if (code && strcmp(code, "missing_endpoint_permission") == 0) {
		permission_error(endpoint, rid, e);
		goto fail;
	}
	if (resp->status == 403) {
		err_set(e, ERR_AUTH,
			"ashby %s%s: HTTP 403, the API key is wrong or deactivated%s%s (request id "
			"%s): "
			"check ASHBY_API_KEY",
			endpoint, for_what, *msg ? ": " : "", msg, rid ? rid : "none");
		goto fail;
	}
	if (resp->status != 200) {
		err_set(e, ERR_HTTP, "ashby %s%s: HTTP %ld%s%s%s%s (request id %s)", endpoint,
			for_what, resp->status, code ? ": " : "", code ? code : "",
			*msg ? ": " : "", msg, rid ? rid : "none");
		goto fail;
	}
	if (!env) {
		err_set(e, ERR_INVALID,
			"ashby %s%s: the answer is not a JSON object%s (request id %s)", endpoint,
			for_what, why, rid ? rid : "none");
		goto fail;
	}
	if (!json_is_boolean(json_object_get(env, "success"))) {
		err_set(e, ERR_INVALID, "ashby %s%s: the answer has no 'success' (request id %s)",
			endpoint, for_what, rid ? rid : "none");
		goto fail;
	}
	if (!json_is_true(json_object_get(env, "success"))) {
		err_set(e, code_to_err(code), "ashby %s%s failed: %s%s%s (request id %s)", endpoint,
			for_what, code ? code : "error", *msg ? ": " : "", msg, rid ? rid : "none");
		goto fail;
	}
	if (!json_object_get(env, "results")) {
		err_set(e, ERR_INVALID, "ashby %s%s: the answer has no 'results' (request id %s)",
			endpoint, for_what, rid ? rid : "none");
		goto fail;
	}
	*envelope = env;
	return 0;
fail:
	json_decref(env);
	return e->code;
}

int ashby_call(struct http_client *c, const char *endpoint, const json_t *params, const char *what,
	       json_t **results, struct err *e)
{
	struct ashby_req req;
	struct http_response resp;
	json_t *env = NULL;
	int rc;

	*results = NULL;
	http_response_init(&resp);
	ashby_req_init(&req, endpoint, params);
	rc = http_do(c, &req.http, &resp, e);
	rc = ashby_decode(endpoint, what, rc, &resp, &env, e);
	if (rc == 0) {
		*results = json_incref(json_object_get(env, "results"));
		json_decref(env);
	}
	http_response_release(&resp);
	ashby_req_release(&req);
	return rc;
}

int ashby_cursor_next(struct ashby_cursors *cs, const char *endpoint, const char *what,
		      const char *next, struct err *e)
{
	char key[65];

	cs->pages++;
	if (!next || !*next)
		return 0;
	if (cs->pages >= ASHBY_MAX_PAGES)
		return err_set(e, ERR_INVALID,
			       "ashby %s%s%s: more than %u pages: giving up (a runaway cursor?)",
			       endpoint, what ? " for " : "", what ? what : "",
			       (unsigned)ASHBY_MAX_PAGES);
	/* A hash, not the cursor: a hostile cursor may be megabytes long. */
	sha256_hex(next, strlen(next), key);
	if (!cs->seen)
		cs->seen = json_object();
	if (json_object_get(cs->seen, key))
		return err_set(e, ERR_INVALID,
			       "ashby %s%s%s: page %u gives a cursor already followed in this "
			       "pass: stopping an endless pagination loop",
			       endpoint, what ? " for " : "", what ? what : "", cs->pages);
	json_object_set_new(cs->seen, key, json_true());
	return 0;
}

void ashby_cursors_release(struct ashby_cursors *cs)
{
	json_decref(cs->seen);
	cs->seen = NULL;
	cs->pages = 0;
}

int ashby_list(struct http_client *c, const char *endpoint, const json_t *params,
	       const char *sync_token, ashby_page_fn fn, void *ctx, char **sync_token_out,
	       unsigned *pages, struct err *e)
{
	const struct ashby_endpoint *ep = ashby_endpoint_find(endpoint);
	json_t *p = json_is_object(params) ? json_deep_copy(params) : json_object();
	json_t *results = NULL;
	struct ashby_cursors seen = ASHBY_CURSORS_INIT;
	char *cursor = NULL;
	unsigned n = 0;
	int rc = 0;

	if (sync_token_out)
		*sync_token_out = NULL;
	if (ep && ep->paginated && !json_object_get(p, "limit"))
		json_object_set_new(p, "limit", json_integer(ASHBY_PAGE_LIMIT));
	if (sync_token)
		json_object_set_new(p, "syncToken", json_string(sync_token));

	for (;;) {
		struct ashby_req req;
		struct http_response resp;
		json_t *env = NULL, *more;
		const char *next, *tok;

		if (cursor)
			json_object_set_new(p, "cursor", json_string(cursor));
		http_response_init(&resp);
		ashby_req_init(&req, endpoint, p);
		rc = http_do(c, &req.http, &resp, e);
		rc = ashby_decode(endpoint, NULL, rc, &resp, &env, e);
		http_response_release(&resp);
		ashby_req_release(&req);
		n++;
		if (rc < 0)
			goto out;
		results = json_object_get(env, "results");
		if (!json_is_array(results)) {
			rc = err_set(e, ERR_INVALID, "ashby %s: page %u: 'results' is not an array",
				     endpoint, n);
			json_decref(env);
			goto out;
		}
		more = json_object_get(env, "moreDataAvailable");
		next = json_get_str(env, "nextCursor");
		if (ep && ep->paginated && json_is_true(more) && (!next || !*next)) {
			rc = err_set(e, ERR_INVALID,
				     "ashby %s: page %u: more data but no 'nextCursor'", endpoint,
				     n);
			json_decref(env);
			goto out;
		}
		rc = fn(ctx, results, e);
		if (rc < 0) {
			json_decref(env);
			goto out;
		}
		if (!ep || !ep->paginated || !json_is_true(more)) {
			tok = json_get_str(env, "syncToken");
			if (sync_token_out && tok)
				*sync_token_out = xstrdup(tok);
			json_decref(env);
			break;
		}
		rc = ashby_cursor_next(&seen, endpoint, NULL, next, e);
		free(cursor);
		cursor = xstrdup(next);
		json_decref(env);
		if (rc < 0)
			goto out;
	}
out:
	if (pages)
		*pages += n;
	ashby_cursors_release(&seen);
	free(cursor);
	json_decref(p);
	return rc;
}

int ashby_download(struct http_client *c, const char *url, const char *what, struct buf *out,
		   struct err *e)
{
	struct http_request req;
	struct http_response resp;
	int rc;

	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.path = url;
	req.absolute = true; /* pre-signed: no Ashby auth */
	req.idempotent = true;
	http_response_init(&resp);
	rc = http_do(c, &req, &resp, e);
	if (rc < 0) {
		err_prefix(e, "download of %s", what);
		goto out;
	}
	if (resp.status != 200) {
		rc = err_set(e, ERR_HTTP, "download of %s: HTTP %ld", what, resp.status);
		goto out;
	}
	if (buf_add(out, resp.body.data, resp.body.len) < 0)
		rc = err_set(e, ERR_FAIL, "download of %s: too large", what);
out:
	http_response_release(&resp);
	return rc;
}
