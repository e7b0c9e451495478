/*
 * Unit tests: review (plan/plan.html). The one escaping function, hostile values
 * (markup, </style>, quotes, control characters) in every place a value goes, the
 * operations of the drift design (left-hired, departed, forgotten, fieldConflicts,
 * a change's base), and the golden page of the demo organisation
 * (fixtures/review-demo/, compared byte for byte, a diff shown when it differs).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/hash.h"
#include "stages/review.h"
#include "tap.h"

static const struct review_meta META = {
	"20261127T020000Z", "2026-11-27T02:00:00Z", "golden",
	"0000000000000000000000000000000000000000000000000000000000000000"
};

static void test_escape(void)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "Olivia", "Olivia" },
		{ "", "" },
		{ "<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;" },
		{ "</style><script>", "&lt;/style&gt;&lt;script&gt;" },
		{ "\"q\" & 'a'", "&quot;q&quot; &amp; &#39;a&#39;" },
		{ "&amp;", "&amp;amp;" },
		{ "Zoë Müller", "Zoë Müller" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf b = BUF_INIT;

		review_html_escape(&b, cases[i].in, strlen(cases[i].in));
		is_str(b.data ? b.data : "", cases[i].want, cases[i].in);
		buf_release(&b);
	}
	{
		struct buf b = BUF_INIT;

		review_html_escape(&b, NULL, 3);
		ok(b.len == 0, "NULL appends nothing");
		review_html_escape(&b, "a<\0>b", 5);
		ok(b.len == 11 && memcmp(b.data, "a&lt;\0&gt;b", 11) == 0,
		   "the length is used, not strlen");
		buf_release(&b);
	}
}

static char *render(const char *json)
{
	json_error_t je;
	json_t *plan = json_loads(json, JSON_ALLOW_NUL, &je);
	struct buf b = BUF_INIT;
	struct err e = ERR_INIT;
	char *s;

	if (!plan) {
		diag("bad test JSON: %s", je.text);
		return strdup("");
	}
	if (review_render(plan, &META, &b, &e) < 0)
		diag("render: %s", e.msg);
	json_decref(plan);
	s = strdup(b.data ? b.data : "");
	buf_release(&b);
	return s;
}

static int count(const char *hay, const char *needle)
{
	int n = 0;

	for (; (hay = strstr(hay, needle)); hay += strlen(needle))
		n++;
	return n;
}

static void test_hostile(void)
{
	char *p = render(
		"{\"basis\": {\"extractCommit\": \"<b>x</b>\", \"pipelineSha256\": \"\\\"'\"},"
		" \"operations\": ["
		"{\"id\": \"app-1\", \"action\": \"create\", \"name\": \"<img src=x "
		"onerror=alert(1)>\","
		" \"personalEmail\": \"a\\\"onmouseover=\\\"x@example.com\","
		" \"changes\": [{\"field\": \"custom:</style><style>*{display:none}\","
		"  \"before\": null, \"after\": \"<script>alert(2)</script>\"},"
		"  {\"field\": \"employmentStartDate\", \"before\": null, \"after\": "
		"\"2026-03-02\"}],"
		" \"steps\": [{\"op\": \"uploadFile\", \"fileName\": \"o'k\\\"<a "
		"href=http://x>.pdf\","
		"  \"sha256\": \"ab\"}],"
		" \"warnings\": [\"name \\u001b[2J\\u0000 ends\"]}],"
		" \"rejects\": [{\"id\": \"app-\\\"2\", \"candidate\": "
		"\"Bob\\r\\u001b]0;t\\u0007\","
		"  \"fields\": \"lastName\", \"reason\": \"</textarea>\"}]}");

	ok(count(p, "<img") == 0, "no <img element from a name");
	ok(count(p, "&lt;img src=x onerror=alert(1)&gt;") >= 2, "the name is shown escaped");
	ok(count(p, "<script") == 0, "no <script from a custom value");
	ok(count(p, "</style>") == 1 && count(p, "<style>") == 1, "one style element: ours");
	ok(count(p, "<a href=\"http") == 0 && count(p, "<a href=http") == 0,
	   "no link from a file name");
	ok(strstr(p, "o&#39;k&quot;&lt;a href=http://x&gt;.pdf") != NULL, "quotes escaped");
	ok(strstr(p, "a&quot;onmouseover=&quot;x@example.com") != NULL,
	   "an email cannot leave its attribute or cell");
	ok(strchr(p, '\x1b') == NULL && strchr(p, '\r') == NULL && strchr(p, '\a') == NULL,
	   "no control character reaches the page");
	ok(strstr(p, "name \\x1b[2J\\0 ends") != NULL, "control characters shown escaped");
	ok(strstr(p, "Bob\\r\\x1b]0;t\\x07") != NULL, "in a reject too");
	ok(strstr(p, "&lt;b&gt;x&lt;/b&gt;") != NULL && strstr(p, "&quot;&#39;") != NULL,
	   "the basis is escaped");
	ok(strstr(p, "id=\"hire-app-&quot;2\"") != NULL, "an id in an attribute is escaped");
	ok(strstr(p,
		  "Content-Security-Policy\" content=\"default-src 'none'; style-src 'sha256-") !=
		   NULL,
	   "a strict CSP");
	ok(count(p, "http://") + count(p, "https://") == 1 && strstr(p, "http://x") != NULL,
	   "no URL but the escaped file name's");
	free(p);
}

static void test_drift_kinds(void)
{
	char *p = render(
		"{\"basis\": {}, \"operations\": ["
		"{\"id\": \"app-c\", \"action\": \"change\", \"name\": \"Chris\", \"personId\": "
		"\"per-c\","
		" \"personalEmail\": \"c@example.com\","
		" \"changes\": [{\"field\": \"jobRole.jobTitle\", \"before\": \"Engineer\","
		"  \"after\": \"Senior Engineer\", \"base\": \"Engineer\"}], \"warnings\": []},"
		"{\"id\": \"app-f\", \"action\": \"change\", \"name\": \"Fay\","
		" \"changes\": [], \"fieldConflicts\": [{\"field\": \"jobRole.department\","
		"  \"base\": null, \"ashby\": \"Sales\", \"humaans\": \"Marketing\"}]},"
		"{\"id\": \"app-l\", \"action\": \"left-hired\", \"name\": \"Lee\","
		" \"status\": \"Archived\", \"changes\": []},"
		"{\"id\": \"app-k\", \"action\": \"left-hired\", \"acknowledged\": true, \"name\": "
		"\"Kim\"},"
		"{\"id\": \"app-d\", \"action\": \"departed\", \"name\": \"Dee\", \"status\": null,"
		" \"reason\": \"application_not_found\"},"
		"{\"id\": \"app-g\", \"action\": \"forgotten\", \"name\": \"Secret Name\","
		" \"email\": \"secret@example.com\", \"date\": \"2026-11-01\"}"
		"], \"rejects\": []}");
	const char *conf = strstr(p, "<section id=\"conflicts\">"),
		   *left = strstr(p, "<section id=\"left-hired\">"),
		   *aside = strstr(p, "<section id=\"set-aside\">"),
		   *cre = strstr(p, "<section id=\"creates\">"),
		   *chg = strstr(p, "<section id=\"changes\">"),
		   *forg = strstr(p, "<section id=\"forgotten\">"),
		   *warn = strstr(p, "<section id=\"warnings\">");

	ok(conf && left && aside && cre && chg && forg && warn && conf < left && left < aside &&
		   aside < cre && cre < chg && chg < forg && forg < warn,
	   "sections in the order of urgency");
	ok(strstr(p, "<h2>Conflicts and failures (1)</h2>") &&
		   strstr(p, "<h2>Left Hired (3)</h2>") && strstr(p, "<h2>Changes (1)</h2>") &&
		   strstr(p, "<h2>Forgotten (1)</h2>"),
	   "section counts");
	ok(strstr(p, "hire-app-f") > conf && strstr(p, "hire-app-f") < left,
	   "a field conflict is among the conflicts");
	ok(strstr(p,
		  "<td>(no record of what this tool wrote)</td><td>Sales</td><td>Marketing</td>") !=
		   NULL,
	   "field conflict: base, Ashby, Humaans");
	ok(strstr(p, "app-f,department,VALUE") != NULL, "the overrides.csv row that settles it");
	ok(strstr(p, "<th>Base (last written by this tool)</th>") &&
		   strstr(p, "<td class=\"old\">Engineer</td><td class=\"new\">Senior "
			     "Engineer</td><td>Engineer</td>"),
	   "a three-way change shows its base");
	ok(strstr(p, "ashby2humaans delete-new-hire app-l") != NULL &&
		   strstr(p, "app-l,acknowledge,left-hired") != NULL,
	   "left Hired: the command and the acknowledgement row");
	ok(strstr(p, "delete-new-hire app-k") == NULL && strstr(p, "left Hired (acknowledged)"),
	   "an acknowledged hire is informational");
	ok(strstr(p, "application_not_found") != NULL, "departed: the reason");
	ok(strstr(p, "Secret Name") == NULL && strstr(p, "secret@example.com") == NULL &&
		   strstr(p, "2026-11-01") != NULL,
	   "a forgotten hire: its id and date, no personal data");
	free(p);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct buf b = BUF_INIT;
	char chunk[65536];
	size_t n;

	if (!f)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	*len = b.len;
	return b.data ? b.data : strdup("");
}

static void test_golden(void)
{
	const char *src = getenv("top_srcdir") ? getenv("top_srcdir") : "..";
	const char *bld = getenv("top_builddir") ? getenv("top_builddir") : ".";
	char in[4096], want_path[4096], got_path[4096], cmd[12400], sha[65];
	struct review_meta m = META;
	struct buf b = BUF_INIT;
	struct err e = ERR_INIT;
	size_t inlen = 0, wlen = 0;
	char *text, *want;
	json_t *plan;
	FILE *f;

	snprintf(in, sizeof(in), "%s/fixtures/review-demo/plan.json", src);
	snprintf(want_path, sizeof(want_path), "%s/fixtures/review-demo/expected/plan.html", src);
	snprintf(got_path, sizeof(got_path), "%s/tests/review-demo.got.html", bld);
	text = slurp(in, &inlen);
	if (!ok(text != NULL, "the demo plan is read")) {
		free(text);
		return;
	}
	sha256_hex(text, inlen, sha);
	m.plan_sha256 = sha;
	plan = json_loadb(text, inlen, 0, NULL);
	ok(plan && review_render(plan, &m, &b, &e) == 0, "the demo page is rendered");
	if (getenv("REVIEW_GOLDEN_UPDATE") && (f = fopen(want_path, "wb"))) {
		fwrite(b.data, 1, b.len, f);
		fclose(f);
	}
	want = slurp(want_path, &wlen);
	if (!ok(want && wlen == b.len && memcmp(want, b.data, wlen) == 0,
		"the demo page is byte for byte fixtures/review-demo/expected/plan.html") &&
	    (f = fopen(got_path, "wb"))) {
		fwrite(b.data, 1, b.len, f);
		fclose(f);
		snprintf(cmd, sizeof(cmd), "diff -u '%s' '%s' | head -40 | sed 's/^/# /'",
			 want_path, got_path);
		if (system(cmd) != 0)
			diag("diff failed");
	}
	free(want);
	free(text);
	json_decref(plan);
	buf_release(&b);
}

int main(void)
{
	test_escape();
	test_hostile();
	test_drift_kinds();
	test_golden();
	return tap_done();
}
