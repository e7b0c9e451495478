/* Unit tests of webhook.c: the signature check and the parse of deliveries, hostile ones included. */
#include "config.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "apis/webhook.h"
#include "base/syntax.h"
#include "tap.h"

#define SECRET "s3cr3t-token-for-tests"
#define APP "a1000000-0000-4000-8000-000000000001"

static void signatures(void)
{
	static const char body[] = "{\"webhookActionId\":\"w1\",\"action\":\"ping\"}";
	/* HMAC-SHA256("key", "The quick brown fox jumps over the lazy dog") (RFC 4231 style vector). */
	static const char fox[] = "The quick brown fox jumps over the lazy dog";
	static const char fox_sig[] =
		"sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8";
	char sig[72], upper[72], flipped[72], spaced[80];
	size_t i, n = strlen(body);

	ok(webhook_signature_ok("key", 3, fox, strlen(fox), fox_sig),
	   "the published HMAC-SHA256 vector verifies");
	webhook_sign(SECRET, strlen(SECRET), body, n, sig);
	ok(strncmp(sig, "sha256=", 7) == 0 && strlen(sig) == 71, "a signature is sha256=<64 hex>");
	ok(webhook_signature_ok(SECRET, strlen(SECRET), body, n, sig),
	   "the right signature verifies");
	strcpy(upper, sig);
	for (i = 7; upper[i]; i++)
		if (upper[i] >= 'a' && upper[i] <= 'f')
			upper[i] = (char)(upper[i] - 'a' + 'A');
	ok(webhook_signature_ok(SECRET, strlen(SECRET), body, n, upper), "upper-case hex verifies");
	snprintf(spaced, sizeof(spaced), "  %s ", sig);
	ok(webhook_signature_ok(SECRET, strlen(SECRET), body, n, spaced),
	   "blanks around the value are allowed");
	strcpy(flipped, sig);
	flipped[70] = flipped[70] == '0' ? '1' : '0';
	ok(!webhook_signature_ok(SECRET, strlen(SECRET), body, n, flipped),
	   "one wrong digit fails");
	ok(!webhook_signature_ok(SECRET, strlen(SECRET), body, n, NULL), "no header fails");
	ok(!webhook_signature_ok(SECRET, strlen(SECRET), body, n, ""), "an empty header fails");
	ok(!webhook_signature_ok(SECRET, strlen(SECRET), body, n, sig + 7),
	   "the hex without 'sha256=' fails");
	ok(!webhook_signature_ok("other-secret", 12, body, n, sig), "another secret fails");
	ok(!webhook_signature_ok(SECRET, strlen(SECRET), body, n - 1, sig),
	   "a body one byte shorter fails");
	ok(!webhook_signature_ok("", 0, body, n, sig), "an empty secret never verifies");
	sig[40] = '\0';
	ok(!webhook_signature_ok(SECRET, strlen(SECRET), body, n, sig), "a truncated digest fails");
	ok(!webhook_signature_ok(SECRET, strlen(SECRET), body, n,
				 "sha1=0000000000000000000000000000000000000000"),
	   "another algorithm fails");
	webhook_sign(SECRET, strlen(SECRET), body, n, sig);
	snprintf(spaced, sizeof(spaced), "%s00", sig);
	ok(!webhook_signature_ok(SECRET, strlen(SECRET), body, n, spaced), "trailing digits fail");
	snprintf(spaced, sizeof(spaced), "%sx", sig);
	ok(!webhook_signature_ok(SECRET, strlen(SECRET), body, n, spaced),
	   "a trailing non-blank fails");
}

struct pcase {
	const char *what;
	const char *body;
	int rc;
	enum webhook_kind kind;
	const char *action_id; /* NULL: "body-<sha>" */
	const char *apps;      /* the application ids, comma-joined */
	const char *cands;
};

static void joined(const json_t *arr, char *dst, size_t n)
{
	size_t i, used = 0;
	json_t *v;

	dst[0] = '\0';
	json_array_foreach (arr, i, v)
		used += (size_t)snprintf(dst + used, n - used, "%s%s", i ? "," : "",
					 json_string_value(v));
}

/* clang-format off */
static const struct pcase cases[] = {
	{ "candidateHire names its application", "{\"webhookActionId\":\"wa1\",\"action\":\"candidateHire\",\"data\":{\"application\":{\"id\":\"" APP "\"},\"offer\":{\"applicationId\":\"" APP "\"}}}", 0, WEBHOOK_APPLICATIONS, "wa1", APP, "" },
	{ "applicationUpdate", "{\"webhookActionId\":\"wa2\",\"action\":\"applicationUpdate\",\"data\":{\"application\":{\"id\":\"b2\",\"status\":\"Active\"}}}", 0, WEBHOOK_APPLICATIONS, "wa2", "b2", "" },
	{ "offerUpdate names the offer's application", "{\"webhookActionId\":\"wa3\",\"action\":\"offerUpdate\",\"data\":{\"offer\":{\"id\":\"o1\",\"applicationId\":\"b3\"}}}", 0, WEBHOOK_APPLICATIONS, "wa3", "b3", "" },
	{ "candidateStageChange", "{\"webhookActionId\":\"wa4\",\"action\":\"candidateStageChange\",\"data\":{\"application\":{\"id\":\"b4\"}}}", 0, WEBHOOK_APPLICATIONS, "wa4", "b4", "" },
	{ "pushToHRIS", "{\"webhookActionId\":\"wa5\",\"action\":\"pushToHRIS\",\"data\":{\"application\":{\"id\":\"b5\"}}}", 0, WEBHOOK_APPLICATIONS, "wa5", "b5", "" },
	{ "two ids are sorted and unique", "{\"webhookActionId\":\"wa6\",\"action\":\"candidateHire\",\"data\":{\"application\":{\"id\":\"z9\"},\"offer\":{\"applicationId\":\"a1\"}}}", 0, WEBHOOK_APPLICATIONS, "wa6", "a1,z9", "" },
	{ "candidateMerge names the merged candidate", "{\"webhookActionId\":\"wa7\",\"action\":\"candidateMerge\",\"data\":{\"deletedCandidate\":{\"id\":\"c-old\"},\"mergedCandidate\":{\"id\":\"c-new\"}}}", 0, WEBHOOK_MERGE, "wa7", "", "c-new" },
	{ "candidateMerge with applicationIds", "{\"webhookActionId\":\"wa8\",\"action\":\"candidateMerge\",\"data\":{\"mergedCandidate\":{\"id\":\"c2\",\"applicationIds\":[\"b2\",\"b1\",7]}}}", 0, WEBHOOK_MERGE, "wa8", "b1,b2", "c2" },
	{ "ping", "{\"action\":\"ping\",\"data\":{\"webhookActionType\":\"ping\"}}", 0, WEBHOOK_PING, NULL, "", "" },
	{ "an unknown action is ignored", "{\"webhookActionId\":\"wa9\",\"action\":\"jobCreate\",\"data\":{\"job\":{\"id\":\"j1\"}}}", 0, WEBHOOK_IGNORED, "wa9", "", "" },
	{ "candidateDelete is ignored", "{\"webhookActionId\":\"wa10\",\"action\":\"candidateDelete\",\"data\":{\"candidate\":{\"id\":\"c1\"}}}", 0, WEBHOOK_IGNORED, "wa10", "", "" },
	{ "an action without its application is ignored", "{\"webhookActionId\":\"wa11\",\"action\":\"applicationUpdate\",\"data\":{}}", 0, WEBHOOK_IGNORED, "wa11", "", "" },
	{ "no data at all", "{\"webhookActionId\":\"wa12\",\"action\":\"candidateHire\"}", 0, WEBHOOK_IGNORED, "wa12", "", "" },
	{ "a path-like id is dropped", "{\"webhookActionId\":\"wa13\",\"action\":\"applicationUpdate\",\"data\":{\"application\":{\"id\":\"../../etc/passwd\"}}}", 0, WEBHOOK_IGNORED, "wa13", "", "" },
	{ "an id with a control character is dropped", "{\"webhookActionId\":\"wa14\",\"action\":\"applicationUpdate\",\"data\":{\"application\":{\"id\":\"a\\n1\"}}}", 0, WEBHOOK_IGNORED, "wa14", "", "" },
	{ "an id with a leading dot is dropped", "{\"webhookActionId\":\"wa15\",\"action\":\"applicationUpdate\",\"data\":{\"application\":{\"id\":\".git\"}}}", 0, WEBHOOK_IGNORED, "wa15", "", "" },
	{ "a numeric id is dropped", "{\"webhookActionId\":\"wa16\",\"action\":\"applicationUpdate\",\"data\":{\"application\":{\"id\":42}}}", 0, WEBHOOK_IGNORED, "wa16", "", "" },
	{ "a hostile webhookActionId becomes a body hash", "{\"webhookActionId\":\"../x\",\"action\":\"applicationUpdate\",\"data\":{\"application\":{\"id\":\"b1\"}}}", 0, WEBHOOK_APPLICATIONS, NULL, "b1", "" },
	{ "no webhookActionId: a body hash", "{\"action\":\"applicationUpdate\",\"data\":{\"application\":{\"id\":\"b1\"}}}", 0, WEBHOOK_APPLICATIONS, NULL, "b1", "" },
	{ "a numeric webhookActionId is refused", "{\"webhookActionId\":5,\"action\":\"ping\"}", ERR_INVALID, 0, NULL, "", "" },
	{ "a non-string action is refused", "{\"webhookActionId\":\"w\",\"action\":[\"x\"]}", ERR_INVALID, 0, NULL, "", "" },
	{ "data that is not an object is refused", "{\"webhookActionId\":\"w\",\"action\":\"applicationUpdate\",\"data\":\"x\"}", ERR_INVALID, 0, NULL, "", "" },
	{ "an array is refused", "[1,2]", ERR_INVALID, 0, NULL, "", "" },
	{ "truncated JSON is refused", "{\"webhookActionId\":\"w\",\"act", ERR_INVALID, 0, NULL, "", "" },
	{ "an empty body is refused", "", ERR_INVALID, 0, NULL, "", "" },
	{ "duplicate keys are refused", "{\"action\":\"ping\",\"action\":\"candidateHire\"}", ERR_INVALID, 0, NULL, "", "" },
	{ "a bare string is refused", "\"candidateHire\"", ERR_INVALID, 0, NULL, "", "" },
};
/* clang-format on */

static void parses(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct pcase *c = &cases[i];
		struct webhook_delivery d;
		struct err e = ERR_INIT;
		char got[300];
		int rc = webhook_parse(c->body, strlen(c->body), &d, &e);

		if (!ok(rc == c->rc, "%s: rc %d", c->what, rc))
			continue;
		if (rc < 0) {
			ok(e.msg[0] != '\0' && strstr(e.msg, "webhook delivery") != NULL,
			   "%s: the message says what: %s", c->what, e.msg);
			continue;
		}
		ok(d.kind == c->kind, "%s: kind %d", c->what, (int)d.kind);
		if (c->action_id)
			is_str(d.action_id, c->action_id, c->what);
		else
			ok(strncmp(d.action_id, "body-", 5) == 0 && strlen(d.action_id) == 69,
			   "%s: keyed by the body's hash", c->what);
		joined(d.applications, got, sizeof(got));
		is_str(got, c->apps, c->what);
		joined(d.candidates, got, sizeof(got));
		is_str(got, c->cands, c->what);
		webhook_delivery_release(&d);
	}
}

static void hostile(void)
{
	struct webhook_delivery d;
	struct err e = ERR_INIT;
	size_t n = 1u << 16, i;
	char *deep = malloc(2 * n + 1), a[16], b[16];

	/* Deep nesting: jansson's own depth limit answers, no crash. */
	for (i = 0; i < n; i++)
		deep[i] = '[';
	for (i = 0; i < n; i++)
		deep[n + i] = ']';
	deep[2 * n] = '\0';
	ok(webhook_parse(deep, 2 * n, &d, &e) == ERR_INVALID, "deeply nested arrays are refused");
	free(deep);
	/* NUL inside the body. */
	ok(webhook_parse("{\"action\":\"p\0ing\"}", 18, &d, &e) == ERR_INVALID,
	   "a NUL byte in a string is refused");
	/* The same body twice gives the same key (a retry without an id dedupes). */
	webhook_parse("{\"action\":\"applicationUpdate\"}", 30, &d, &e);
	snprintf(a, sizeof(a), "%.15s", d.action_id + 5);
	webhook_delivery_release(&d);
	webhook_parse("{\"action\":\"applicationUpdate\"}", 30, &d, &e);
	snprintf(b, sizeof(b), "%.15s", d.action_id + 5);
	webhook_delivery_release(&d);
	is_str(a, b, "the same bytes give the same key");
	ok(syntax_id_valid("a1000000-0000-4000-8000-000000000001"), "a uuid is an id");
	ok(!syntax_id_valid(""), "an empty string is not an id");
	ok(!syntax_id_valid("a/b"), "a slash is not in an id");
}

int main(void)
{
	signatures();
	parses();
	hostile();
	return tap_done();
}
