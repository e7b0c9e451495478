/*
 * test-ashby: the Ashby client's envelope, error and pagination handling,
 * against canned answers. http_do() is replaced here (the linker takes this
 * definition, so http.o is not needed): each case states the answer Ashby
 * gives and checks the exact request the client sent, as curl's tests do.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "apis/ashby.h"
#include "tap.h"
#include "base/xalloc.h"

struct canned {
	long status;
	const char *body;
	const char *request_id;
	int rc; /* what http_do returns: 0, or ERR_NETWORK */
};

static const struct canned *script;
static size_t script_len, script_pos;
static char sent_path[8][64];
static char *sent_body[8];
static size_t nsent;

void http_response_init(struct http_response *r)
{
	memset(r, 0, sizeof(*r));
	buf_init(&r->body, 0);
}

void http_response_release(struct http_response *r)
{
	buf_release(&r->body);
	free(r->request_id);
	r->request_id = NULL;
}

int http_do(struct http_client *c, const struct http_request *req, struct http_response *resp,
	    struct err *e)
{
	const struct canned *k;

	(void)c;
	if (nsent < 8) {
		snprintf(sent_path[nsent], sizeof(sent_path[nsent]), "%s %s", req->method,
			 req->path);
		sent_body[nsent] = xstrdup(req->json_body ? req->json_body : "");
		nsent++;
	}
	if (script_pos >= script_len)
		return err_set(e, ERR_FAIL, "script exhausted");
	k = &script[script_pos++];
	if (k->rc < 0)
		return err_set(e, k->rc, "connection reset after 5 attempts");
	resp->status = k->status;
	buf_adds(&resp->body, k->body);
	resp->request_id = k->request_id ? xstrdup(k->request_id) : NULL;
	return 0;
}

static void play(const struct canned *s, size_t n)
{
	size_t i;

	for (i = 0; i < nsent; i++)
		free(sent_body[i]);
	nsent = 0;
	script = s;
	script_len = n;
	script_pos = 0;
}

static int call(const char *endpoint, const struct canned *s, json_t **res, struct err *e)
{
	json_t *params = json_pack("{s:s}", "id", "c1");
	int rc;

	play(s, 1);
	err_clear(e);
	rc = ashby_call(NULL, endpoint, params, "application 'a1'", res, e);
	json_decref(params);
	return rc;
}

static void test_envelope(void)
{
	static const struct canned okc = {
		200, "{\"success\":true,\"results\":{\"id\":\"c1\",\"name\":\"Zoë\"}}", "req_1", 0
	};
	static const struct canned biz = {
		200,
		"{\"success\":false,\"errorInfo\":{\"code\":\"invalid_input\",\"message\":\"id is "
		"required\",\"requestId\":\"req_body\"},\"errors\":[\"id is required\"]}",
		NULL, 0
	};
	static const struct canned deprecated = {
		200, "{\"success\":false,\"errorInfo\":null,\"errors\":[\"candidate_not_found\"]}",
		"req_3", 0
	};
	static const struct canned objerr = {
		200,
		"{\"success\":false,\"errors\":[{\"message\":\"bad id\",\"parameter\":\"id\"}]}",
		"req_4", 0
	};
	static const struct canned perm = {
		403,
		"{\"success\":false,\"errorInfo\":{\"code\":\"missing_endpoint_permission\","
		"\"message\":\"missing Offers\",\"requestId\":\"req_5\"}}",
		"req_5", 0
	};
	static const struct canned unauth = { 401, "<html><body>401 Unauthorized</body></html>",
					      "req_6", 0 };
	static const struct canned forbid = { 403, "<html>Forbidden</html>", "req_7", 0 };
	static const struct canned down = { 503, "<html><h1>503</h1></html>", "req_8", 0 };
	static const struct canned garbage = { 200,
					       "{\"success\": true, \"results\": [{\"id\": \"tr",
					       "req_9", 0 };
	static const struct canned nosuccess = { 200, "{\"results\":[]}", "req_10", 0 };
	static const struct canned expired = { 200,
					       "{\"success\":false,\"errorInfo\":{\"code\":\"sync_"
					       "token_expired\",\"message\":\"expired\"}}",
					       "req_11", 0 };
	static const struct canned badcursor = { 200,
						 "{\"success\":false,\"errorInfo\":{\"code\":"
						 "\"invalid_next_cursor\",\"message\":\"x\"}}",
						 "req_12", 0 };
	static const struct canned dup = { 200,
					   "{\"success\":true,\"success\":true,\"results\":{}}",
					   "req_13", 0 };
	static const struct canned net = { 0, "", NULL, ERR_NETWORK };
	struct err e = ERR_INIT;
	json_t *res = NULL;
	int rc;

	rc = call("candidate.info", &okc, &res, &e);
	is_int(rc, 0, "a success envelope is accepted");
	is_str(json_string_value(json_object_get(res, "name")), "Zoë", "its results are returned");
	is_str(sent_path[0], "POST /candidate.info", "the call is POST /{category}.{method}");
	is_str(sent_body[0], "{\"id\":\"c1\"}", "the body carries the parameters");
	json_decref(res);

	rc = call("candidate.info", &biz, &res, &e);
	is_int(rc, ERR_INVALID, "success:false on HTTP 200 is an error (invalid_input)");
	ok(res == NULL, "no results on an error");
	ok(strstr(e.msg, "invalid_input") && strstr(e.msg, "id is required"),
	   "the message carries code and Ashby's message: %s", e.msg);
	ok(strstr(e.msg, "req_body") != NULL, "the request id comes from errorInfo when no header");
	ok(strstr(e.msg, "application 'a1'") != NULL, "the message names the record");

	rc = call("candidate.info", &deprecated, &res, &e);
	is_int(rc, ERR_NOTFOUND, "errorInfo null: the deprecated errors[0] code is used");
	ok(strstr(e.msg, "req_3") != NULL, "the request id header is in the message");

	rc = call("candidate.info", &objerr, &res, &e);
	is_int(rc, ERR_HTTP, "errors as objects: a generic error");
	ok(strstr(e.msg, "bad id") != NULL, "errors[0].message is shown: %s", e.msg);

	rc = call("offer.list", &perm, &res, &e);
	is_int(rc, ERR_PERMISSION, "missing_endpoint_permission is ERR_PERMISSION");
	ok(strstr(e.msg, "Offers") && strstr(e.msg, "Admin > Integrations > API keys") &&
		   strstr(e.msg, "Read on Offers"),
	   "the message names the module and where to grant it: %s", e.msg);
	ok(strstr(e.msg, "req_5") != NULL, "with the request id");

	rc = call("candidate.info", &unauth, &res, &e);
	is_int(rc, ERR_AUTH, "401 with an HTML body is ERR_AUTH");
	ok(strstr(e.msg, "401") && strstr(e.msg, "req_6") && !strstr(e.msg, "parse") &&
		   !strstr(e.msg, "JSON"),
	   "status and request id, not a parse error: %s", e.msg);

	rc = call("candidate.info", &forbid, &res, &e);
	is_int(rc, ERR_AUTH, "403 without a code is ERR_AUTH");
	ok(strstr(e.msg, "403") && strstr(e.msg, "req_7"), "status and request id: %s", e.msg);

	rc = call("candidate.info", &down, &res, &e);
	is_int(rc, ERR_HTTP, "503 with an HTML body is ERR_HTTP");
	ok(strstr(e.msg, "503") && strstr(e.msg, "req_8") && !strstr(e.msg, "JSON"),
	   "status and request id: %s", e.msg);

	rc = call("candidate.info", &garbage, &res, &e);
	is_int(rc, ERR_INVALID, "a truncated 200 body is ERR_INVALID");
	ok(strstr(e.msg, "req_9") != NULL, "with the request id: %s", e.msg);

	rc = call("candidate.info", &nosuccess, &res, &e);
	is_int(rc, ERR_INVALID, "an answer without 'success' is ERR_INVALID");

	rc = call("application.list", &expired, &res, &e);
	is_int(rc, ERR_SYNC_RESET, "sync_token_expired is ERR_SYNC_RESET");
	rc = call("application.list", &badcursor, &res, &e);
	is_int(rc, ERR_SYNC_RESET, "invalid_next_cursor is ERR_SYNC_RESET");
	rc = call("candidate.info", &dup, &res, &e);
	is_int(rc, ERR_INVALID, "duplicate keys are rejected");
	rc = call("candidate.info", &net, &res, &e);
	is_int(rc, ERR_NETWORK, "a network failure propagates");
	ok(strstr(e.msg, "candidate.info") && strstr(e.msg, "connection reset"),
	   "and is prefixed with the call: %s", e.msg);
}

static int count_page(void *ctx, json_t *results, struct err *e)
{
	int *n = ctx;

	(void)e;
	*n += (int)json_array_size(results);
	return 0;
}

static void test_list(void)
{
	static const struct canned pages[] = {
		{ 200,
		  "{\"success\":true,\"results\":[{\"id\":\"a\"},{\"id\":\"b\"}],"
		  "\"moreDataAvailable\":true,\"nextCursor\":\"c1\"}",
		  "r1", 0 },
		{ 200,
		  "{\"success\":true,\"results\":[{\"id\":\"c\"}],\"moreDataAvailable\":true,"
		  "\"nextCursor\":\"c2\"}",
		  "r2", 0 },
		{ 200,
		  "{\"success\":true,\"results\":[{\"id\":\"d\"}],\"moreDataAvailable\":false,"
		  "\"syncToken\":\"T2\"}",
		  "r3", 0 },
	};
	static const struct canned nocursor[] = {
		{ 200, "{\"success\":true,\"results\":[],\"moreDataAvailable\":true}", "r1", 0 },
	};
	static const struct canned notarray[] = {
		{ 200, "{\"success\":true,\"results\":{},\"moreDataAvailable\":false}", "r1", 0 },
	};
	static const struct canned reset[] = {
		{ 200,
		  "{\"success\":true,\"results\":[{\"id\":\"a\"}],\"moreDataAvailable\":true,"
		  "\"nextCursor\":\"c1\"}",
		  "r1", 0 },
		{ 200,
		  "{\"success\":false,\"errorInfo\":{\"code\":\"next_cursor_expired\",\"message\":"
		  "\"gone\"}}",
		  "r2", 0 },
	};
	struct err e = ERR_INIT;
	json_t *params = json_pack("{s:b,s:n}", "includeArchived", 1, "status");
	char *tok = NULL;
	unsigned n = 0;
	int got = 0, rc;

	play(pages, 3);
	rc = ashby_list(NULL, "application.list", NULL, "T1", count_page, &got, &tok, &n, &e);
	is_int(rc, 0, "a three-page list is read");
	is_int(got, 4, "every record reaches the callback");
	is_int(n, 3, "three calls");
	is_str(tok, "T2", "the last page's sync token is returned");
	is_str(sent_body[0], "{\"limit\":100,\"syncToken\":\"T1\"}",
	       "page 1: limit and the stored token");
	is_str(sent_body[1], "{\"cursor\":\"c1\",\"limit\":100,\"syncToken\":\"T1\"}",
	       "page 2 repeats the parameters, token included, plus the cursor");
	is_str(sent_body[2], "{\"cursor\":\"c2\",\"limit\":100,\"syncToken\":\"T1\"}",
	       "page 3 likewise");
	free(tok);

	play(pages + 2, 1);
	got = 0;
	rc = ashby_list(NULL, "location.list", params, NULL, count_page, &got, NULL, NULL, &e);
	is_int(rc, 0, "a one-page list");
	is_str(sent_body[0], "{\"includeArchived\":true,\"limit\":100}",
	       "a null parameter is left out, never sent as null");

	play(nocursor, 1);
	rc = ashby_list(NULL, "offer.list", NULL, NULL, count_page, &got, &tok, NULL, &e);
	is_int(rc, ERR_INVALID, "more data without a cursor is a malformed page");
	ok(tok == NULL, "and no token is returned");

	play(notarray, 1);
	rc = ashby_list(NULL, "offer.list", NULL, NULL, count_page, &got, &tok, NULL, &e);
	is_int(rc, ERR_INVALID, "results that are not an array is a malformed page");

	play(reset, 2);
	rc = ashby_list(NULL, "application.list", NULL, NULL, count_page, &got, &tok, NULL, &e);
	is_int(rc, ERR_SYNC_RESET, "an expired cursor asks for a full pass");
	json_decref(params);
	play(NULL, 0);
}

static void test_table(void)
{
	const struct ashby_endpoint *ep = ashby_endpoint_find("offer.list");

	ok(ep && strcmp(ep->module, "Offers") == 0, "offer.list needs the Offers module");
	ep = ashby_endpoint_find("customField.list");
	ok(ep && strcmp(ep->module, "Hiring Process Metadata") == 0,
	   "customField.list needs Hiring Process Metadata");
	ep = ashby_endpoint_find("file.info");
	ok(ep && strcmp(ep->id_param, "fileHandle") == 0, "file.info takes fileHandle");
	ok(ashby_endpoint_find("nope.list") == NULL, "unknown endpoints are not in the table");
	ok(ashby_code_is_reset("incremental_sync_too_large"), "incremental_sync_too_large resets");
	ok(!ashby_code_is_reset("invalid_input"), "invalid_input does not");
}

int main(void)
{
	test_envelope();
	test_list();
	test_table();
	return tap_done();
}
