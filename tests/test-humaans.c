/*
 * test-humaans: the Humaans client.
 *
 * Pure part (always): error decoding, the scope named by a 403.
 * Emulator part (when HUMAANS_BASE_URL is set, run by tests/humaans-client.sh
 * with HUMAANS_API_TOKEN=demo-token against tests/humaans_emulator.py seeded
 * with fixtures/demo/humaans): paging, $in, writes, validation, scopes,
 * uploads, retries, uncertain writes, batches. The control endpoints are
 * reached with a second client on the emulator's root URL.
 */
#include "config.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "apis/http.h"
#include "apis/humaans.h"
#include "base/jsonutil.h"
#include "base/log.h"
#include "base/xalloc.h"

#include "tap.h"

static const char *base_url;
static const char *token;
static struct http_client *hc;	/* Humaans, demo-token */
static struct http_client *ctl; /* the emulator's control endpoints */

/* ---- pure ---------------------------------------------------------------------------------- */

static void test_decode(void)
{
	static const struct {
		long status;
		const char *body;
		int code;
		const char *want1, *want2;
	} cases[] = {
		{ 400,
		  "{\"name\":\"BadRequest\",\"message\":\"person: personalEmail 'a@b.c' is "
		  "already used\",\"code\":400,\"className\":\"bad-request\",\"errors\":"
		  "{\"personalEmail\":\"must be unique\"}}",
		  ERR_INVALID, "already used", "(personalEmail: must be unique)" },
		{ 422,
		  "{\"name\":\"Unprocessable\",\"message\":\"Validation failed\",\"code\":422,"
		  "\"errors\":[{\"field\":\"amount\",\"message\":\"must be a string\"}]}",
		  ERR_INVALID, "422 unprocessable: Validation failed", "amount: must be a string" },
		{ 400,
		  "{\"message\":\"bad\",\"issues\":[{\"path\":[\"jobRole\",\"effectiveDate\"],"
		  "\"message\":\"Invalid date\"}]}",
		  ERR_INVALID, "400 bad request: bad", "jobRole.effectiveDate: Invalid date" },
		{ 400, "{\"message\":\"bad\",\"data\":{\"personalEmail\":{\"message\":\"taken\"}}}",
		  ERR_INVALID, "bad", "personalEmail: taken" },
		{ 401, "{\"name\":\"NotAuthenticated\",\"message\":\"Invalid authentication\"}",
		  ERR_AUTH, "401 unauthorized: Invalid authentication", "HUMAANS_API_TOKEN" },
		{ 403,
		  "{\"name\":\"Forbidden\",\"message\":\"nope\",\"data\":{\"scope\":"
		  "\"documents:write\"}}",
		  ERR_PERMISSION, "lacks the scope 'documents:write'", "Settings > API access" },
		{ 403, "{\"message\":\"Missing scope compensations:read for this route\"}",
		  ERR_PERMISSION, "'compensations:read'", NULL },
		{ 403, "{\"message\":\"forbidden\"}", ERR_PERMISSION, "403 forbidden", "scopes" },
		{ 404, "{\"message\":\"No record found for id 'x'\"}", ERR_NOTFOUND,
		  "404 not found", "No record found" },
		{ 500, "<html>\n<body>Bad gateway</body></html>", ERR_HTTP,
		  "500 server error: <html>", NULL },
		{ 429, "", ERR_HTTP, "429 rate limited", NULL },
		{ 400, "{\"message\":\"a\",\"message\":\"b\"}", ERR_INVALID, "400 bad request: {",
		  NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct err e = ERR_INIT;
		int rc = humaans_decode_error(cases[i].status, cases[i].body, strlen(cases[i].body),
					      "POST /people", &e);

		is_int(rc, cases[i].code, "decode: status code mapped");
		ok(strstr(e.msg, cases[i].want1) &&
			   (!cases[i].want2 || strstr(e.msg, cases[i].want2)),
		   "decode %ld: message '%s'", cases[i].status, e.msg);
		ok(strncmp(e.msg, "humaans: POST /people: ", 23) == 0 && !strchr(e.msg, '\n'),
		   "decode: one line naming the call");
	}
}

/* A body that is not NUL-terminated is read no further than its length (found by fuzzing). */
static void test_decode_unterminated(void)
{
	struct err e = ERR_INIT;
	char *body = malloc(18);

	memcpy(body, "upstream timed out", 18);
	is_int(humaans_decode_error(502, body, 18, "GET /people", &e), ERR_HTTP,
	       "decode: an unterminated body");
	ok(strstr(e.msg, ": upstream timed out") && e.msg[strlen(e.msg) - 1] == 't',
	   "decode: shows the body's start and nothing past it: '%s'", e.msg);
	free(body);
}

static void test_scope(void)
{
	char s[64];
	const char *b1 = "{\"message\":\"x\",\"data\":{\"missingScope\":\"private:write\"}}";
	const char *b2 = "{\"message\":\"needs private:read or public:read\"}";
	const char *b3 = "{\"message\":\"forbidden\"}";

	ok(humaans_error_scope(b1, strlen(b1), s, sizeof(s)) && !strcmp(s, "private:write"),
	   "scope from data.missingScope");
	ok(humaans_error_scope(b2, strlen(b2), s, sizeof(s)) && !strcmp(s, "private:read"),
	   "scope: the first one the message names");
	ok(!humaans_error_scope(b3, strlen(b3), s, sizeof(s)), "no scope named");
	ok(!humaans_error_scope("", 0, s, sizeof(s)), "no scope in an empty body");
}

/* ---- emulator helpers ---------------------------------------------------------------------- */

static json_t *ctl_post(const char *path, const char *json)
{
	struct err e = ERR_INIT;
	json_t *body = json_loads(json, 0, NULL), *out = NULL;

	if (humaans_post(ctl, path, body, &out, &e) < 0)
		diag("control %s failed: %s", path, e.msg);
	json_decref(body);
	return out;
}

static void faults(const char *json)
{
	json_decref(ctl_post("/_emulator/faults", json));
}

/* The emulator's request log from entry `from` (1-based seq) on. New reference. */
static json_t *requests_since(long from)
{
	struct err e = ERR_INIT;
	json_t *all = NULL, *out = json_array(), *r;
	size_t i;

	if (humaans_get(ctl, "/_emulator/requests", &all, &e) < 0)
		diag("requests: %s", e.msg);
	json_array_foreach (all, i, r)
		if (json_integer_value(json_object_get(r, "seq")) >= from)
			json_array_append(out, r);
	json_decref(all);
	return out;
}

static long requests_count(void)
{
	json_t *all = requests_since(0);
	long n = (long)json_array_size(all);

	json_decref(all);
	return n;
}

static struct http_client *client_with(const char *tok)
{
	struct http_client *c = NULL;
	struct err e = ERR_INIT;

	if (humaans_client_new(&c, base_url, tok, 4, false, 0, &e) < 0)
		diag("client: %s", e.msg);
	return c;
}

static void sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
	for (unsigned int i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
	out[2 * n] = 0;
}

/* ---- paging ---------------------------------------------------------------------------------- */

struct pages {
	long pages, records, max_page;
	json_t *ids;
};

static int count_page(void *ctx, json_t *data, struct err *e)
{
	struct pages *p = ctx;
	size_t i;
	json_t *r;

	p->pages++;
	p->records += (long)json_array_size(data);
	if ((long)json_array_size(data) > p->max_page)
		p->max_page = (long)json_array_size(data);
	json_array_foreach (data, i, r)
		json_object_set(p->ids, json_get_str(r, "id"), json_true());
	return 0;
}

static int stop_page(void *ctx, json_t *data, struct err *e)
{
	return err_set(e, ERR_STALE, "stopped by the page callback");
}

static void test_paging(void)
{
	struct pages p = { 0, 0, 0, json_object() };
	struct err e = ERR_INIT;
	long count = 0, from;
	json_t *log, *r;
	size_t i;
	int rc;

	json_decref(ctl_post("/_emulator/generate", "{\"count\": 600}"));
	from = requests_count() + 1;
	rc = humaans_list(hc, "/people", NULL, count_page, &p, &count, &e);
	is_int(rc, 0, "list 608 people");
	is_int(count, 608, "count of records seen");
	is_int((long)json_object_size(p.ids), 608, "every person once");
	is_int(p.pages, 3, "in three pages");
	is_int(p.max_page, 250, "of at most 250");
	log = requests_since(from);
	is_int((long)json_array_size(log), 3, "three requests");
	json_array_foreach (log, i, r) {
		json_t *q = json_object_get(r, "query");
		char want[16];

		snprintf(want, sizeof(want), "%zu", i * 250);
		is_str(json_string_value(json_array_get(json_object_get(q, "$limit"), 0)), "250",
		       "page asks $limit=250");
		is_str(json_string_value(json_array_get(json_object_get(q, "$skip"), 0)), want,
		       "page's $skip advances by len(data)");
	}
	json_decref(log);
	json_decref(p.ids);

	rc = humaans_list(hc, "/people", "status=newHire", NULL, NULL, &count, &e);
	ok(rc == 0 && count == 1, "a filtered list (the seed's one new hire): %ld", count);

	rc = humaans_list(hc, "/people", NULL, stop_page, NULL, NULL, &e);
	ok(rc == ERR_STALE && strstr(e.msg, "stopped by the page callback"),
	   "a page callback's error stops the list: %s", e.msg);
	err_clear(&e);
	rc = humaans_list(hc, "/people", "shoeSize=44", NULL, NULL, NULL, &e);
	ok(rc == ERR_INVALID && strstr(e.msg, "shoeSize"), "an unknown filter: %s", e.msg);
	json_decref(ctl_post("/_emulator/reset", "{}"));
}

static void test_in(void)
{
	const char *ids[130];
	char *gen[120];
	struct pages p = { 0, 0, 0, json_object() };
	struct err e = ERR_INIT;
	struct buf q = BUF_INIT;
	json_t *out = NULL, *g, *log, *r;
	long from;
	size_t i;
	int rc;

	ids[0] = "per-ada-lovelace";
	ids[1] = "per-alan-turing";
	ids[2] = "per-grace-hopper";
	rc = humaans_query_in(&q, "id", ids, 3, &e);
	rc = rc ? rc : humaans_list_all(hc, "/people", q.data, &out, &e);
	is_int(json_array_size(out), 3, "$in finds three people");
	ok(strstr(q.data, "id%5B$in%5D%5B%5D=per-ada-lovelace&id%5B$in%5D%5B%5D=per-alan-turing") !=
		   NULL,
	   "$in query: %s", q.data);
	json_decref(out);

	buf_reset(&q);
	humaans_query_eq(&q, "personalEmail", "a+b &c=d@example.org", &e);
	is_str(q.data, "personalEmail=a%2Bb%20%26c%3Dd%40example.org", "values are escaped");
	ok(humaans_query_eq(&q, "x[$in]", "y", &e) == ERR_INVALID, "a bad field name is refused");
	buf_reset(&q);
	humaans_query_op(&q, "employmentStartDate", "gte", "2022-01-01", &e);
	humaans_query_eq(&q, "status", "active", &e);
	rc = humaans_list_all(hc, "/people", q.data, &out, &e);
	ok(rc == 0 && json_array_size(out) == 1 &&
		   !strcmp(json_get_str(json_array_get(out, 0), "id"), "per-edsger-dijkstra"),
	   "[$gte] with an equality filter");
	json_decref(out);
	buf_release(&q);

	/* 120 generated people + 10 unknown ids: chunks of 50 side by side. */
	g = ctl_post("/_emulator/generate", "{\"count\": 120, \"prefix\": \"inq\"}");
	for (i = 0; i < 120; i++)
		ids[i] = gen[i] =
			xstrdup(json_string_value(json_array_get(json_object_get(g, "ids"), i)));
	for (; i < 130; i++)
		ids[i] = "per-nobody";
	from = requests_count() + 1;
	rc = humaans_list_in(hc, "/people", "id", ids, 130, "status=active", count_page, &p, &e);
	is_int(rc, 0, "list_in over 130 values");
	is_int(p.records, 120, "finds the 120 that exist");
	log = requests_since(from);
	is_int((long)json_array_size(log), 3, "in three requests of at most 50 values");
	json_array_foreach (log, i, r) {
		json_t *q2 = json_object_get(r, "query");

		ok(json_array_size(json_object_get(q2, "id[$in][]")) <= 50 &&
			   json_object_get(q2, "status"),
		   "chunk %zu carries <= 50 ids and the extra filter", i);
	}
	json_decref(log);
	for (i = 0; i < 120; i++)
		free(gen[i]);
	json_decref(g);
	json_decref(p.ids);
	json_decref(ctl_post("/_emulator/reset", "{}"));
}

/* ---- writes ---------------------------------------------------------------------------------- */

static json_t *newhire(const char *email)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s}}", "status", "newHire",
			 "firstName", "Olivia", "lastName", "van der Berg", "personalEmail", email,
			 "employmentStartDate", "2026-03-02", "locationId", "loc-london-hq",
			 "jobRole", "jobTitle", "Engineer", "department", "Engineering",
			 "reportingTo", "per-ada-lovelace");
}

static void test_round_trip(void)
{
	struct err e = ERR_INIT;
	struct humaans_result res;
	json_t *body = newhire("olivia@example.com"), *out = NULL, *patch, *roles = NULL;
	char *path = NULL, *q;
	const char *id;
	int rc;

	rc = humaans_post(hc, "/people", body, &out, &e);
	ok(rc == 0 && json_get_str(out, "id"), "create a new hire: %s", e.msg);
	id = json_get_str(out, "id");
	path = humaans_path_id("/people", id ? id : "x");
	q = xasprintf("personId=%s", id ? id : "x");
	rc = humaans_list_all(hc, "/job-roles", q, &roles, &e);
	ok(rc == 0 && json_array_size(roles) == 1 &&
		   !strcmp(json_get_str(json_array_get(roles, 0), "effectiveDate"), "2026-03-02"),
	   "its job role, effective at the start date");
	json_decref(roles);
	free(q);
	json_decref(out);

	patch = json_pack("{s:s}", "personalPhoneNumber", "+44 20 7946 0000");
	rc = humaans_patch(hc, path, patch, &out, &e);
	ok(rc == 0 && !strcmp(json_get_str(out, "personalPhoneNumber"), "+44 20 7946 0000") &&
		   !strcmp(json_get_str(out, "lastName"), "van der Berg"),
	   "PATCH changes only that field");
	json_decref(out);
	json_decref(patch);
	rc = humaans_get(hc, path, &out, &e);
	ok(rc == 0 && !strcmp(json_get_str(out, "personalPhoneNumber"), "+44 20 7946 0000"),
	   "GET reads it back");
	json_decref(out);

	/* A duplicate personal email, in other case: the message surfaces, the raw body is kept. */
	json_decref(body);
	body = newhire("OLIVIA@Example.COM");
	humaans_result_init(&res);
	rc = humaans_call(hc, "POST", "/people", body, &res, &e);
	is_int(rc, ERR_INVALID, "a duplicate personalEmail ignoring case is invalid");
	ok(strstr(e.msg, "already used by another person") && strstr(e.msg, "personalEmail"),
	   "its message surfaces: %s", e.msg);
	ok(res.status == 400 && res.body && strstr(res.body, "\"BadRequest\"") && !res.json,
	   "the raw body is kept for the journal");
	humaans_result_release(&res);
	faults("{\"validation_status\": 422}");
	rc = humaans_post(hc, "/people", body, &out, &e);
	ok(rc == ERR_INVALID && strstr(e.msg, "422"), "422 is a validation error too: %s", e.msg);
	faults("{\"validation_status\": 400}");

	rc = humaans_delete(hc, path, &out, &e);
	ok(rc == 0 && json_get_bool(out, "deleted", false), "DELETE answers deleted: true");
	json_decref(out);
	rc = humaans_get(hc, path, &out, &e);
	ok(rc == ERR_NOTFOUND && !out && strstr(e.msg, "404"), "then GET is not found: %s", e.msg);
	json_decref(body);
	free(path);
}

static void test_scopes(void)
{
	struct http_client *ro = client_with("read-only-token");
	struct http_client *nd = client_with("no-documents-token");
	struct http_client *bad = client_with("not-a-valid-token-xyz");
	struct err e = ERR_INIT;
	json_t *body = newhire("scope@example.com"), *out = NULL, *scopes = NULL;
	bool probed = true;
	int rc;

	rc = humaans_post(ro, "/people", body, &out, &e);
	ok(rc == ERR_PERMISSION && strstr(e.msg, "'private:write'"),
	   "403 names the missing scope: %s", e.msg);
	rc = humaans_upload(nd, "a.pdf", "application/pdf", "%PDF", 4, &out, &e);
	ok(rc == ERR_PERMISSION && strstr(e.msg, "'documents:write'"),
	   "upload without documents:write: %s", e.msg);
	rc = humaans_get(bad, "/me", &out, &e);
	ok(rc == ERR_AUTH && !strstr(e.msg, "not-a-valid-token-xyz"),
	   "401 is an auth error without the token: %s", e.msg);

	rc = humaans_token_scopes(nd, &scopes, &probed, &e);
	ok(rc == 0 && !probed && json_array_size(scopes) == 7, "token-info lists 7 scopes");
	json_decref(scopes);
	faults("{\"faults\": [{\"path\": \"/api/token-info\", \"status\": 404}]}");
	rc = humaans_token_scopes(ro, &scopes, &probed, &e);
	ok(rc == 0 && probed && json_array_size(scopes) == 1 &&
		   !strcmp(json_string_value(json_array_get(scopes, 0)), "public:read"),
	   "without token-info, probing finds public:read only");
	json_decref(scopes);
	faults("{\"clear\": true}");

	json_decref(body);
	http_client_free(ro);
	http_client_free(nd);
	http_client_free(bad);
}

static void test_upload(void)
{
	size_t len = 300 * 1024 + 17;
	unsigned char *data = xmalloc(len);
	struct err e = ERR_INIT;
	json_t *out = NULL, *log, *doc, *r, *part = NULL;
	char hex[65];
	long from;
	size_t i;
	int rc;

	for (i = 0; i < len; i++)
		data[i] = (unsigned char)((i * 2654435761u) >> 13);
	memcpy(data, "%PDF-1.4\n", 9);
	sha256_hex(data, len, hex);
	from = requests_count() + 1;
	rc = humaans_upload(hc, "offer letter (signed).pdf", "application/pdf", data, len, &out,
			    &e);
	ok(rc == 0 && json_get_str(out, "id"), "upload: %s", e.msg);
	is_int((long)json_integer_value(json_object_get(out, "size")), (long)len, "size answered");
	log = requests_since(from);
	json_array_foreach (log, i, r)
		if (!strcmp(json_get_str(r, "path"), "/api/files"))
			part = json_array_get(json_object_get(r, "body"), 0);
	is_str(json_get_str(part, "sha256"), hex, "the emulator received the same bytes (sha256)");
	is_str(json_get_str(part, "name"), "file", "in the part 'file'");
	is_str(json_get_str(part, "filename"), "offer letter (signed).pdf", "with the file name");
	is_str(json_get_str(part, "contentType"), "application/pdf", "and the content type");

	doc = json_pack("{s:s, s:s, s:s, s:s, s:s}", "personId", "per-ada-lovelace",
			"documentTypeId", "dty-offer-letter", "name", "offer.pdf", "fileId",
			json_get_str(out, "id"), "issueDate", "2026-02-01");
	json_decref(out);
	rc = humaans_post(hc, "/documents", doc, &out, &e);
	ok(rc == 0 && json_get_str(out, "id"), "a document on the uploaded file");
	json_decref(out);
	json_decref(doc);
	json_decref(log);
	free(data);
}

static void test_retries(void)
{
	struct http_stats st0, st1;
	struct err e = ERR_INIT;
	struct http_client *fast = NULL;
	struct humaans_result res;
	struct http_opts o;
	char *auth = xasprintf("Bearer %s", token);
	json_t *out = NULL, *body;
	long from;
	int rc;

	memset(&o, 0, sizeof(o));
	o.name = "humaans";
	o.base_url = base_url;
	o.authorization = auth;
	o.max_attempts = 3;
	o.backoff_base_ms = 10;
	o.backoff_max_ms = 50;
	if (http_client_new(&fast, &o, &e) < 0)
		diag("fast client: %s", e.msg);
	free(auth);

	http_client_stats(hc, &st0);
	faults("{\"faults\": [{\"method\": \"GET\", \"path\": \"/api/locations\", \"status\": 429, "
	       "\"retry_after\": \"1\", \"times\": 2}, {\"method\": \"GET\", \"path\": "
	       "\"/api/compensation-types\", \"status\": 503, \"times\": 2}]}");
	from = requests_count() + 1;
	rc = humaans_list_all(hc, "/locations", NULL, &out, &e);
	ok(rc == 0 && json_array_size(out) == 4, "locations through two 429s: %s", e.msg);
	json_decref(out);
	rc = humaans_list_all(hc, "/compensation-types", NULL, &out, &e);
	ok(rc == 0 && json_array_size(out) == 3, "compensation types through two 503s: %s", e.msg);
	json_decref(out);
	is_int(requests_count() - from + 1, 6, "six requests reached the emulator");
	http_client_stats(hc, &st1);
	ok(st1.retries - st0.retries >= 4, "the client counted its retries");

	faults("{\"faults\": [{\"method\": \"GET\", \"path\": \"/api/document-types\", \"status\": "
	       "503, \"times\": -1}]}");
	from = requests_count() + 1;
	humaans_result_init(&res);
	rc = humaans_call(fast, "GET", "/document-types", NULL, &res, &e);
	ok(rc < 0 && !res.json && strstr(e.msg, "503"), "a lasting 503 fails after the retries: %s",
	   e.msg);
	ok(res.status == 503 && res.body && strstr(res.body, "Unavailable"),
	   "the last answer's body is kept");
	humaans_result_release(&res);
	is_int(requests_count() - from + 1, 3, "after max_attempts (3) attempts");
	http_client_free(fast);

	faults("{\"faults\": [{\"method\": \"GET\", \"path\": \"/api/document-types\", \"action\": "
	       "\"malformed\"}]}");
	rc = humaans_get(hc, "/document-types", &out, &e);
	ok(rc == ERR_HTTP && strstr(e.msg, "not JSON"), "a malformed read: %s", e.msg);
	faults("{\"faults\": [{\"method\": \"POST\", \"path\": \"/api/people\", \"action\": "
	       "\"malformed\", \"status\": 201}]}");
	body = newhire("malformed@example.com");
	rc = humaans_post(hc, "/people", body, &out, &e);
	ok(rc == ERR_UNCERTAIN && strstr(e.msg, "look the record up"),
	   "a malformed create answer is uncertain: %s", e.msg);
	json_decref(body);

	faults("{\"clear\": true, \"drop_after_write\": 1}");
	body = newhire("dropped@example.com");
	rc = humaans_post(hc, "/people", body, &out, &e);
	is_int(rc, ERR_UNCERTAIN, "a create whose answer was lost is uncertain");
	json_decref(body);
	rc = humaans_list_all(hc, "/people", "personalEmail=dropped%40example.com", &out, &e);
	ok(rc == 0 && json_array_size(out) == 1, "... and looking it up finds it");
	json_decref(out);
	faults("{\"clear\": true}");
}

/* ---- batches --------------------------------------------------------------------------------- */

struct hire {
	struct humaans_batch *hb;
	char email[64];
	char *person_id;
	char *comp_id;
	int failures;
};

static int comp_done(void *ctx, int rc, struct humaans_result *res, struct err *e)
{
	struct hire *h = ctx;

	if (rc < 0) {
		h->failures++;
		return 0;
	}
	h->comp_id = xstrdup(json_get_str(res->json, "id"));
	return 0;
}

static int person_done(void *ctx, int rc, struct humaans_result *res, struct err *e)
{
	struct hire *h = ctx;
	json_t *comp;

	if (rc < 0) {
		h->failures++;
		return 0; /* journaled, the batch goes on */
	}
	h->person_id = xstrdup(json_get_str(res->json, "id"));
	comp = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "personId", h->person_id,
			 "compensationTypeId", "cty-salary", "amount", "85000", "currency", "GBP",
			 "period", "annual", "effectiveDate", "2026-03-02");
	humaans_batch_call(h->hb, "POST", "/compensations", comp, comp_done, h);
	json_decref(comp);
	return 0;
}

static int stop_done(void *ctx, int rc, struct humaans_result *res, struct err *e)
{
	return rc < 0 ? rc : 0;
}

static void test_batch(void)
{
	struct hire hires[6];
	struct humaans_batch *hb = humaans_batch_new(hc);
	struct err e = ERR_INIT;
	json_t *state = NULL, *body;
	int rc, created = 0, comps = 0;

	faults("{\"latency_ms\": 100}");
	for (int i = 0; i < 6; i++) {
		memset(&hires[i], 0, sizeof(hires[i]));
		hires[i].hb = hb;
		/* the last one collides with the seed's conflict person */
		snprintf(hires[i].email, sizeof(hires[i].email),
			 i == 5 ? "Conflict.Person@example.org" : "batch%d@example.com", i);
		body = newhire(hires[i].email);
		humaans_batch_call(hb, "POST", "/people", body, person_done, &hires[i]);
		json_decref(body);
	}
	rc = humaans_batch_run(hb, &e);
	is_int(rc, 0, "a batch of six hires runs to the end");
	for (int i = 0; i < 6; i++) {
		created += hires[i].person_id != NULL;
		comps += hires[i].comp_id != NULL;
	}
	is_int(created, 5, "five people created");
	is_int(comps, 5, "each followed by its compensation");
	is_int(hires[5].failures, 1, "the duplicate failed alone");
	rc = humaans_get(ctl, "/_emulator/state", &state, &e);
	is_int((long)json_array_size(json_object_get(state, "compensations")), 7,
	       "the emulator holds 2 + 5 compensations");
	json_decref(state);
	humaans_batch_free(hb);
	for (int i = 0; i < 6; i++) {
		free(hires[i].person_id);
		free(hires[i].comp_id);
	}

	/* A callback that returns an error stops the batch with its message. */
	hb = humaans_batch_new(hc);
	humaans_batch_call(hb, "GET", "/people/per-nobody", NULL, stop_done, NULL);
	humaans_batch_list(hb, "/people", NULL, NULL, NULL, NULL);
	rc = humaans_batch_run(hb, &e);
	ok(rc == ERR_NOTFOUND && strstr(e.msg, "GET /people/per-nobody"),
	   "a callback's error stops the batch: %s", e.msg);
	humaans_batch_free(hb);
	faults("{\"clear\": true}");
	json_decref(ctl_post("/_emulator/reset", "{}"));
}

int main(void)
{
	char *root;
	struct err e = ERR_INIT;
	struct http_opts o;

	test_decode();
	test_decode_unterminated();
	test_scope();

	base_url = getenv("HUMAANS_BASE_URL");
	token = getenv("HUMAANS_API_TOKEN");
	if (!base_url || !token) {
		diag("HUMAANS_BASE_URL not set: emulator tests skipped (tests/humaans-client.sh "
		     "runs them)");
		return tap_done();
	}
	log_setup(getenv("HUMAANS_TEST_TRACE") ? LOG_TRACE : LOG_NORMAL, false);
	root = xstrdup(base_url);
	if (strlen(root) > 4 && !strcmp(root + strlen(root) - 4, "/api"))
		root[strlen(root) - 4] = 0;
	memset(&o, 0, sizeof(o));
	o.name = "emulator";
	o.base_url = root;
	o.max_attempts = 1;
	if (http_client_new(&ctl, &o, &e) < 0 ||
	    humaans_client_new(&hc, base_url, token, 4, false, 0, &e) < 0) {
		ok(0, "clients: %s", e.msg);
		free(root);
		return tap_done();
	}
	test_paging();
	test_in();
	test_round_trip();
	test_scopes();
	test_upload();
	test_retries();
	test_batch();
	http_client_free(hc);
	http_client_free(ctl);
	free(root);
	return tap_done();
}
