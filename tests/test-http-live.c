/*
 * The http client against tests/flaky_server.py (started by tests/http-retry.sh,
 * which exports A2H_TEST_URL, A2H_TEST_LOG and A2H_TEST_TMP). Each case states
 * what the server answers and checks both the result and the requests the
 * server recorded.
 */
#include "config.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "apis/http.h"
#include "base/log.h"
#include "tap.h"
#include "base/xalloc.h"

#define SECRET "s3cr3t-token-42"

static const char *base_url, *log_path, *tmp_dir;
static int uniq;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_opts(struct http_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->name = "test";
	o->base_url = base_url;
	o->authorization = "Bearer " SECRET;
	o->request_id_header = "X-Request-Id";
	o->timeout_ms = 5000;
	o->max_attempts = 4;
	o->backoff_base_ms = 50;
	o->backoff_max_ms = 200;
	o->jobs = 4;
}

static struct http_client *client_with(const struct http_opts *o)
{
	struct http_client *c = NULL;
	struct err e = ERR_INIT;

	if (http_client_new(&c, o, &e) < 0) {
		printf("Bail out! http_client_new: %s\n", e.msg);
		exit(1);
	}
	return c;
}

static struct http_client *client_default(void)
{
	struct http_opts o;

	test_opts(&o);
	return client_with(&o);
}

/* A target no other case uses, so the server's per-target sequence starts afresh. */
static char *target(const char *path)
{
	return xasprintf("%s%cu=%d", path, strchr(path, '?') ? '&' : '?', ++uniq);
}

/* Every request the server logged for `path` (exact target), oldest first. */
static json_t *requests_to(const char *path)
{
	json_t *all = json_array();
	FILE *f = fopen(log_path, "r");
	char *line = NULL;
	size_t cap = 0;

	if (!f)
		return all;
	while (getline(&line, &cap, f) > 0) {
		json_t *r = json_loads(line, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, NULL);
		const char *p = json_string_value(json_object_get(r, "path"));

		if (p && strcmp(p, path) == 0)
			json_array_append(all, r);
		json_decref(r);
	}
	free(line);
	fclose(f);
	return all;
}

static size_t count_to(const char *path)
{
	json_t *a = requests_to(path);
	size_t n = json_array_size(a);

	json_decref(a);
	return n;
}

static const char *req_header(json_t *req, const char *name)
{
	const char *k;
	json_t *v;

	json_object_foreach (json_object_get(req, "headers"), k, v) {
		if (strcasecmp(k, name) == 0)
			return json_string_value(v);
	}
	return NULL;
}

static int do_get(struct http_client *c, const char *path, bool idempotent, struct http_response *r,
		  struct err *e)
{
	struct http_request q = { 0 };

	q.method = "GET";
	q.path = path;
	q.idempotent = idempotent;
	return http_do(c, &q, r, e);
}

static int do_post(struct http_client *c, const char *path, const char *json, bool idempotent,
		   struct http_response *r, struct err *e)
{
	struct http_request q = { 0 };

	q.method = "POST";
	q.path = path;
	q.json_body = json;
	q.idempotent = idempotent;
	return http_do(c, &q, r, e);
}

static const void *find_bytes(const void *hay, size_t hlen, const void *needle, size_t nlen)
{
	const char *h = hay;
	size_t i;

	for (i = 0; nlen <= hlen && i <= hlen - nlen; i++)
		if (memcmp(h + i, needle, nlen) == 0)
			return h + i;
	return NULL;
}

static void test_basic(void)
{
	struct http_client *c = client_default();
	struct http_response r;
	struct err e = ERR_INIT;
	char *p = target("/seq/200");
	json_t *reqs;
	const char *ua;
	int rc;

	rc = do_get(c, p, true, &r, &e);
	is_int(rc, 0, "a plain GET succeeds");
	is_int(r.status, 200, "and answers 200");
	is_int(r.attempts, 1, "in one attempt");
	ok(r.request_id && strncmp(r.request_id, "req-", 4) == 0, "the request id is captured");
	ok(strstr(r.body.data, "\"n\": 1") != NULL, "the body is returned");
	reqs = requests_to(p);
	is_int((long long)json_array_size(reqs), 1, "the server saw one request");
	is_str(req_header(json_array_get(reqs, 0), "Authorization"), "Bearer " SECRET,
	       "the Authorization header reaches the server");
	is_str(req_header(json_array_get(reqs, 0), "Accept"), "application/json",
	       "Accept: application/json is sent");
	ua = req_header(json_array_get(reqs, 0), "User-Agent");
	ok(ua && strcmp(ua, "ashby2humaans/" PACKAGE_VERSION) == 0,
	   "the User-Agent names the tool");
	json_decref(reqs);
	http_response_release(&r);
	free(p);
	http_client_free(c);
}

static void test_retries(void)
{
	struct http_client *c = client_default();
	struct http_response r;
	struct http_stats st;
	struct err e = ERR_INIT;
	char *p;
	double t0;
	int rc;

	p = target("/seq/429-1,200");
	t0 = now_s();
	rc = do_get(c, p, true, &r, &e);
	ok(now_s() - t0 >= 0.9, "429 with Retry-After: 1 waits about a second (%.2f s)",
	   now_s() - t0);
	is_int(rc, 0, "then succeeds");
	is_int(r.status, 200, "with 200");
	is_int(r.attempts, 2, "after 2 attempts");
	is_int((long long)count_to(p), 2, "the server saw 2 requests");
	http_client_stats(c, &st);
	ok(st.waits >= 1 && st.wait_seconds >= 0.9, "the pause is counted (%lu waits, %.2f s)",
	   st.waits, st.wait_seconds);
	is_int((long long)st.retries, 1, "one retry is counted");
	is_int((long long)st.requests, 2, "two requests are counted");
	http_response_release(&r);
	free(p);

	p = target("/seq/503,200");
	rc = do_get(c, p, true, &r, &e);
	ok(rc == 0 && r.status == 200 && r.attempts == 2, "503 then 200 succeeds on attempt 2");
	http_response_release(&r);
	free(p);

	p = target("/seq/drop,200");
	rc = do_get(c, p, true, &r, &e);
	ok(rc == 0 && r.status == 200, "a dropped connection is retried for an idempotent GET");
	ok(count_to(p) >= 2, "the server saw the GET again");
	http_response_release(&r);
	free(p);

	p = target("/seq/400");
	rc = do_get(c, p, true, &r, &e);
	ok(rc == 0 && r.status == 400, "400 is returned to the caller");
	is_int((long long)count_to(p), 1, "400 is not retried");
	http_response_release(&r);
	free(p);

	p = target("/seq/404");
	rc = do_post(c, p, "{}", true, &r, &e);
	ok(rc == 0 && r.status == 404 && count_to(p) == 1, "404 on a POST is not retried");
	http_response_release(&r);
	free(p);

	p = target("/seq/503,503,503,503,503,503");
	rc = do_get(c, p, true, &r, &e);
	is_int(rc, ERR_NETWORK, "503 every time ends in a network error");
	is_int((long long)count_to(p), 4, "after exactly max_attempts (4) requests");
	is_int(r.status, 503, "the last status is kept");
	ok(strstr(e.msg, "test: GET /seq/503") != NULL, "the error names the API, method and path");
	ok(strstr(e.msg, "503") && strstr(e.msg, "4 attempts"), "and the status and attempts");
	ok(strstr(e.msg, "request id req-") != NULL, "and the request id");
	ok(strstr(e.msg, SECRET) == NULL, "but never the credential");
	diag("%s", e.msg);
	http_response_release(&r);
	free(p);
	http_client_free(c);
}

static void test_uncertain(void)
{
	struct http_client *c = client_default();
	struct http_response r;
	struct err e = ERR_INIT;
	struct http_opts o;
	char *p;
	int rc;

	/* On a fresh connection. */
	p = target("/seq/drop,201");
	rc = do_post(c, p, "{\"firstName\":\"Ada\"}", false, &r, &e);
	is_int(rc, ERR_UNCERTAIN, "a dropped connection on a creating POST is uncertain");
	is_int((long long)count_to(p), 1, "and the POST is not resent");
	ok(strstr(e.msg, "POST") && strstr(e.msg, "may have been applied"), "the message says so");
	http_response_release(&r);
	free(p);

	/* On a reused connection, where curl itself would resend. */
	p = target("/seq/200");
	do_get(c, p, true, &r, &e);
	http_response_release(&r);
	do_get(c, p, true, &r, &e);
	http_response_release(&r);
	free(p);
	p = target("/seq/drop,201");
	rc = do_post(c, p, "{\"firstName\":\"Ada\"}", false, &r, &e);
	is_int(rc, ERR_UNCERTAIN, "the same on a reused connection");
	is_int((long long)count_to(p), 1, "curl does not resend it either");
	http_response_release(&r);
	free(p);

	p = target("/seq/drop,201");
	rc = do_post(c, p, NULL, false, &r, &e);
	ok(rc == ERR_UNCERTAIN && count_to(p) == 1,
	   "a creating POST without a body: uncertain, sent once");
	http_response_release(&r);
	free(p);

	p = target("/seq/drop,200");
	rc = do_post(c, p, "{\"limit\":1}", true, &r, &e);
	ok(rc == 0 && r.status == 200, "an idempotent POST (a read) is retried after a drop");
	http_response_release(&r);
	free(p);

	p = target("/seq/429-0,201");
	rc = do_post(c, p, "{}", false, &r, &e);
	ok(rc == 0 && r.status == 201 && count_to(p) == 2,
	   "429 is definite: a creating POST is retried");
	http_response_release(&r);
	free(p);

	p = target("/seq/503,201");
	rc = do_post(c, p, "{}", false, &r, &e);
	ok(rc == 0 && r.status == 201 && count_to(p) == 2,
	   "503 is definite: a creating POST is retried");
	http_response_release(&r);
	free(p);

	p = target("/seq/500,201");
	rc = do_post(c, p, "{}", false, &r, &e);
	is_int(rc, ERR_UNCERTAIN, "500 on a creating POST is uncertain");
	ok(count_to(p) == 1 && r.status == 500, "not resent, and the status is kept");
	http_response_release(&r);
	free(p);
	http_client_free(c);

	/* A timeout after the request was sent. */
	test_opts(&o);
	o.timeout_ms = 300;
	c = client_with(&o);
	p = target("/seq/sleep1500,201");
	rc = do_post(c, p, "{}", false, &r, &e);
	is_int(rc, ERR_UNCERTAIN, "a timeout after sending a creating POST is uncertain");
	is_int((long long)count_to(p), 1, "and it is not resent");
	http_response_release(&r);
	free(p);
	p = target("/seq/sleep1000,200");
	rc = do_get(c, p, true, &r, &e);
	ok(rc == 0 && r.status == 200 && count_to(p) == 2, "a timed-out GET is retried");
	http_response_release(&r);
	free(p);
	http_client_free(c);
}

static void test_connect_refused(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	struct http_client *c;
	struct http_response r;
	struct http_opts o;
	struct err e = ERR_INIT;
	char url[64];
	int fd, rc;

	/* A port that was just free: nothing listens there. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	getsockname(fd, (struct sockaddr *)&sa, &len);
	close(fd);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", ntohs(sa.sin_port));
	test_opts(&o);
	o.base_url = url;
	o.max_attempts = 3;
	c = client_with(&o);
	rc = do_post(c, "/create", "{}", false, &r, &e);
	is_int(rc, ERR_NETWORK, "connection refused ends in a network error, not uncertain");
	is_int(r.attempts, 3, "a creating POST is retried when nothing was sent");
	ok(strstr(e.msg, "test: POST /create") != NULL, "the message names the request");
	http_response_release(&r);
	http_client_free(c);
}

/* A host name that does not resolve fails at once, naming the host: no retries, no backoff. */
static void test_dns_unresolved(void)
{
	struct http_client *c;
	struct http_response r;
	struct http_opts o;
	struct err e = ERR_INIT;
	double t0;
	int rc;

	test_opts(&o);
	o.base_url = "http://a2h-no-such-host.invalid"; /* RFC 6761: never resolves */
	o.max_attempts = 5;
	o.backoff_base_ms = 1000;
	c = client_with(&o);
	t0 = now_s();
	rc = do_post(c, "/v1/thing", "{}", true, &r, &e);
	is_int(rc, ERR_NETWORK, "an unresolvable host is a network error");
	is_int(r.attempts, 1, "it is tried once, not retried five times");
	ok(now_s() - t0 < 0.9, "without a backoff wait");
	ok(strstr(e.msg, "host 'a2h-no-such-host.invalid' not found") != NULL,
	   "the message names the host");
	ok(strstr(e.msg, SECRET) == NULL, "and not the key");
	http_response_release(&r);
	http_client_free(c);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *s;
	long n;

	if (!f)
		return xstrdup("");
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	s = calloc(1, (size_t)n + 1);
	if (fread(s, 1, (size_t)n, f) != (size_t)n)
		s[0] = '\0';
	fclose(f);
	return s;
}

static void test_redaction(void)
{
	struct http_client *c = client_default();
	struct http_response r;
	struct http_request q = { 0 };
	struct err e = ERR_INIT;
	char trace[512], *p, *dl, *text;
	json_t *reqs;
	int saved, fd, rc, rc2;

	snprintf(trace, sizeof(trace), "%s/trace.txt", tmp_dir);
	p = target("/seq/503,503,503,503");
	dl = xasprintf("%s/seq/200?X-Amz-Signature=sig-secret-99", base_url);

	fflush(stderr);
	saved = dup(2);
	fd = open(trace, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fd, 2);
	log_setup(LOG_TRACE, false);
	rc = do_get(c, p, true, &r, &e);
	http_response_release(&r);
	q.method = "GET";
	q.path = dl;
	q.absolute = true;
	q.idempotent = true;
	rc2 = http_do(c, &q, &r, &e);
	log_setup(LOG_NORMAL, false);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(fd);

	is_int(rc, ERR_NETWORK, "the traced request fails after its retries");
	ok(rc2 == 0 && r.status == 200, "a pre-signed download succeeds");
	text = slurp(trace);
	ok(strstr(text, "> GET /seq/503") != NULL, "-vv traces the request line");
	ok(strstr(text, "< HTTP/1.1 503") != NULL, "-vv traces the response line");
	ok(strstr(text, "Authorization: <redacted>") != NULL,
	   "the Authorization header is shown redacted");
	ok(strstr(text, SECRET) == NULL, "the credential is not in the trace");
	ok(strstr(text, "sig-secret-99") == NULL, "nor is a pre-signed URL's query");
	ok(strstr(e.msg, SECRET) == NULL, "nor in the error message");
	reqs = requests_to(dl + strlen(base_url));
	ok(json_array_size(reqs) == 1 && !req_header(json_array_get(reqs, 0), "Authorization"),
	   "a pre-signed download is sent without the Authorization header");
	json_decref(reqs);
	free(text);
	http_response_release(&r);
	free(dl);
	free(p);
	http_client_free(c);
}

static void test_size_cap(void)
{
	struct http_client *c;
	struct http_response r;
	struct http_opts o;
	struct err e = ERR_INIT;
	int rc;

	test_opts(&o);
	o.max_response = 1000;
	c = client_with(&o);
	rc = do_get(c, "/big/5000", true, &r, &e);
	ok(rc < 0 && strstr(e.msg, "larger than 1000 bytes"),
	   "a response past the cap fails clearly");
	diag("%s", e.msg);
	ok(r.body.len == 0, "and nothing of it is kept");
	http_response_release(&r);
	err_clear(&e);
	rc = do_get(c, "/big/5000?chunked=1", true, &r, &e);
	ok(rc < 0 && strstr(e.msg, "larger than 1000 bytes"), "so does one without a length");
	http_response_release(&r);
	rc = do_get(c, "/big/1000", true, &r, &e);
	ok(rc == 0 && r.body.len == 1000, "a response of exactly the cap is accepted");
	http_response_release(&r);
	http_client_free(c);
}

static void test_bodies(void)
{
	static const char file[] = "%PDF-1.4\n\0\x01\xff binary resume";
	struct http_client *c = client_default();
	struct http_response r;
	struct http_request q = { 0 };
	struct err e = ERR_INIT;
	json_t *reqs;
	const char *ct;
	char *p;
	int rc;

	q.method = "POST";
	q.path = "/echo";
	q.file_field = "file";
	q.file_name = "resume.pdf";
	q.file_type = "application/pdf";
	q.file_data = file;
	q.file_len = sizeof(file) - 1;
	rc = http_do(c, &q, &r, &e);
	ok(rc == 0 && r.status == 200, "a multipart upload succeeds");
	ok(find_bytes(r.body.data, r.body.len, "name=\"file\"; filename=\"resume.pdf\"", 34) !=
		   NULL,
	   "the part carries the field and file name");
	ok(find_bytes(r.body.data, r.body.len, "Content-Type: application/pdf", 29) != NULL,
	   "the part carries the content type");
	ok(find_bytes(r.body.data, r.body.len, file, sizeof(file) - 1) != NULL,
	   "the file's bytes arrive intact");
	reqs = requests_to("/echo");
	ct = req_header(json_array_get(reqs, json_array_size(reqs) - 1), "Content-Type");
	ok(ct && strncmp(ct, "multipart/form-data; boundary=", 30) == 0,
	   "sent as multipart/form-data");
	json_decref(reqs);
	http_response_release(&r);

	p = target("/echo");
	memset(&q, 0, sizeof(q));
	q.method = "PATCH";
	q.path = p;
	q.json_body = "{\"jobTitle\":\"Engineer \\u00e9\"}";
	q.idempotent = true;
	rc = http_do(c, &q, &r, &e);
	ok(rc == 0 && strcmp(r.body.data, q.json_body) == 0, "a JSON body arrives intact");
	reqs = requests_to(p);
	is_str(json_string_value(json_object_get(json_array_get(reqs, 0), "method")), "PATCH",
	       "with the method asked for");
	is_str(req_header(json_array_get(reqs, 0), "Content-Type"), "application/json",
	       "and Content-Type: application/json");
	json_decref(reqs);
	http_response_release(&r);
	free(p);

	p = target("/redirect?to=/seq/200");
	rc = do_get(c, p, true, &r, &e);
	ok(rc == 0 && r.status == 302, "an API call does not follow redirects");
	http_response_release(&r);
	free(p);
	http_client_free(c);
}

static int on_done_time(void *ctx, int rc, struct http_response *resp, struct err *e)
{
	double *t = ctx;

	*t = rc == 0 && resp->status == 200 ? now_s() : -1;
	return 0;
}

static void test_concurrency(void)
{
	struct http_client *c = client_default();
	struct http_batch *b;
	struct http_request q = { 0 };
	struct http_stats st;
	struct err e = ERR_INIT;
	double t0, done[8], last = 0;
	char *paths[8];
	int i, all = 1;

	b = http_batch_new(c);
	q.method = "GET";
	q.idempotent = true;
	for (i = 0; i < 8; i++) {
		paths[i] = target("/seq/sleep200");
		q.path = paths[i];
		http_batch_add(b, &q, on_done_time, &done[i]);
	}
	t0 = now_s();
	is_int(http_batch_run(b, &e), 0, "a batch of 8 runs");
	for (i = 0; i < 8; i++) {
		if (done[i] < 0)
			all = 0;
		if (done[i] - t0 > last)
			last = done[i] - t0;
		free(paths[i]);
	}
	ok(all, "every request of the batch succeeds");
	ok(last < 1.2 && last >= 0.35, "8 x 200 ms with jobs=4 take %.2f s (4 at a time)", last);
	http_client_stats(c, &st);
	is_int((long long)st.requests, 8, "8 requests are counted");
	http_batch_free(b);
	http_client_free(c);
}

static void test_shared_pause(void)
{
	struct http_client *c;
	struct http_batch *b;
	struct http_request q = { 0 };
	struct http_opts o;
	struct err e = ERR_INIT;
	double t0, ta = -1, tb = -1;
	char *pa = target("/seq/429-1,200"), *pb = target("/seq/200");

	test_opts(&o);
	o.jobs = 1;
	c = client_with(&o);
	b = http_batch_new(c);
	q.method = "GET";
	q.idempotent = true;
	q.path = pa;
	http_batch_add(b, &q, on_done_time, &ta);
	q.path = pb;
	http_batch_add(b, &q, on_done_time, &tb);
	t0 = now_s();
	is_int(http_batch_run(b, &e), 0, "a batch with a 429 runs");
	ok(ta - t0 >= 0.9, "the limited request waits out its Retry-After (%.2f s)", ta - t0);
	ok(tb - t0 >= 0.9, "another request on the client waits for the pause too (%.2f s)",
	   tb - t0);
	http_batch_free(b);
	http_client_free(c);
	free(pa);
	free(pb);
}

struct chain {
	struct http_batch *b;
	char *paths[3];
	int step;
	int seen[3];
};

static int on_chain(void *ctx, int rc, struct http_response *resp, struct err *e)
{
	struct chain *ch = ctx;
	struct http_request q = { 0 };

	ch->seen[ch->step] = rc == 0 ? (int)resp->status : -1;
	if (++ch->step < 3) {
		q.method = "POST";
		q.path = ch->paths[ch->step];
		q.json_body = "{}";
		http_batch_add(ch->b, &q, on_chain, ch);
	}
	return 0;
}

static int on_stop(void *ctx, int rc, struct http_response *resp, struct err *e)
{
	int *calls = ctx;

	(*calls)++;
	return err_set(e, ERR_INVALID, "stopped by the callback at status %ld", resp->status);
}

struct nested {
	struct http_client *c;
	char *inner;
	int outer_done, inner_rc;
	long inner_status;
};

/* A callback that makes a synchronous call on the same client. */
static int on_nested(void *ctx, int rc, struct http_response *resp, struct err *e)
{
	struct nested *n = ctx;
	struct http_response r;
	struct err ie = ERR_INIT;

	if (rc == 0 && resp->status == 200)
		n->outer_done++;
	if (n->outer_done == 1) {
		n->inner_rc = do_get(n->c, n->inner, true, &r, &ie);
		n->inner_status = r.status;
		http_response_release(&r);
	}
	return 0;
}

static void test_callbacks(void)
{
	struct http_client *c;
	struct http_request q = { 0 };
	struct http_opts o;
	struct chain ch = { 0 };
	struct err e = ERR_INIT;
	json_t *a, *b;
	int i, calls = 0, rc;
	double t1, t2;

	c = client_default();
	ch.b = http_batch_new(c);
	for (i = 0; i < 3; i++)
		ch.paths[i] = target("/seq/201");
	q.method = "POST";
	q.path = ch.paths[0];
	q.json_body = "{}";
	http_batch_add(ch.b, &q, on_chain, &ch);
	is_int(http_batch_run(ch.b, &e), 0, "a chain of requests queued from callbacks runs");
	ok(ch.step == 3 && ch.seen[0] == 201 && ch.seen[1] == 201 && ch.seen[2] == 201,
	   "every step completed");
	a = requests_to(ch.paths[1]);
	b = requests_to(ch.paths[2]);
	t1 = json_real_value(json_object_get(json_array_get(a, 0), "t"));
	t2 = json_real_value(json_object_get(json_array_get(b, 0), "t"));
	ok(json_array_size(a) == 1 && json_array_size(b) == 1 && t1 <= t2, "in order, once each");
	json_decref(a);
	json_decref(b);
	for (i = 0; i < 3; i++)
		free(ch.paths[i]);
	http_batch_free(ch.b);

	/* http_do from inside a callback, while the batch has requests in flight. */
	{
		struct nested n = { c, target("/seq/200"), 0, -1, 0 };
		struct http_batch *nb = http_batch_new(c);
		char *p1 = target("/seq/200"), *p2 = target("/seq/sleep300");

		memset(&q, 0, sizeof(q));
		q.method = "GET";
		q.idempotent = true;
		q.path = p1;
		http_batch_add(nb, &q, on_nested, &n);
		q.path = p2;
		http_batch_add(nb, &q, on_nested, &n);
		is_int(http_batch_run(nb, &e), 0, "a batch whose callback calls http_do runs");
		ok(n.inner_rc == 0 && n.inner_status == 200, "the nested call succeeds");
		is_int(n.outer_done, 2, "and both requests of the batch complete");
		http_batch_free(nb);
		free(n.inner);
		free(p1);
		free(p2);
	}
	http_client_free(c);

	/* A callback that stops the batch: the queued rest is dropped. */
	test_opts(&o);
	o.jobs = 1;
	c = client_with(&o);
	ch.b = http_batch_new(c);
	memset(&q, 0, sizeof(q));
	q.method = "GET";
	q.idempotent = true;
	for (i = 0; i < 3; i++) {
		ch.paths[i] = target("/seq/200");
		q.path = ch.paths[i];
		http_batch_add(ch.b, &q, on_stop, &calls);
	}
	rc = http_batch_run(ch.b, &e);
	is_int(rc, ERR_INVALID, "a callback's error stops the batch with its code");
	is_str(e.msg, "stopped by the callback at status 200", "and its message");
	is_int(calls, 1, "the queued requests are dropped");
	ok(count_to(ch.paths[1]) == 0 && count_to(ch.paths[2]) == 0, "and never sent");
	for (i = 0; i < 3; i++)
		free(ch.paths[i]);
	http_batch_free(ch.b);
	http_client_free(c);
}

static void test_reuse_and_rate(void)
{
	struct http_client *c;
	struct http_response r;
	struct http_opts o;
	struct err e = ERR_INIT;
	json_t *reqs;
	char *p = target("/seq/200");
	long first = -1;
	int i, same = 1;
	double t0;

	test_opts(&o);
	o.jobs = 1;
	o.max_rps = 10;
	c = client_with(&o);
	t0 = now_s();
	for (i = 0; i < 5; i++) {
		do_get(c, p, true, &r, &e);
		http_response_release(&r);
	}
	ok(now_s() - t0 >= 0.35, "max_rps 10 spaces 5 requests about 0.1 s apart (%.2f s in all)",
	   now_s() - t0);
	reqs = requests_to(p);
	for (i = 0; i < (int)json_array_size(reqs); i++) {
		long peer =
			(long)json_integer_value(json_object_get(json_array_get(reqs, i), "peer"));

		if (first < 0)
			first = peer;
		else if (peer != first)
			same = 0;
	}
	ok(json_array_size(reqs) == 5 && same, "5 sequential requests share one connection");
	json_decref(reqs);
	free(p);
	http_client_free(c);
}

int main(void)
{
	base_url = getenv("A2H_TEST_URL");
	log_path = getenv("A2H_TEST_LOG");
	tmp_dir = getenv("A2H_TEST_TMP");
	if (!base_url || !log_path || !tmp_dir) {
		printf("1..0 # SKIP run by tests/http-retry.sh\n");
		return 0;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	log_setup(LOG_NORMAL, false);
	test_basic();
	test_retries();
	test_uncertain();
	test_connect_refused();
	test_dns_unresolved();
	test_redaction();
	test_size_cap();
	test_bodies();
	test_concurrency();
	test_shared_pause();
	test_callbacks();
	test_reuse_and_rate();
	curl_global_cleanup();
	return tap_done();
}
