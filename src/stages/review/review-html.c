/*
 * review-html: escaping and the frame of plan/plan.html (head, CSS, CSP, sections, footer).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "base/jsonutil.h"
#include "base/text.h"
#include "stages/review/review-int.h"

void review_html_escape(struct buf *out, const char *s, size_t len)
{
	size_t i, from = 0;

	if (!s)
		return;
	for (i = 0; i < len; i++) {
		const char *ref;

		switch (s[i]) {
		case '&':
			ref = "&amp;";
			break;
		case '<':
			ref = "&lt;";
			break;
		case '>':
			ref = "&gt;";
			break;
		case '"':
			ref = "&quot;";
			break;
		case '\'':
			ref = "&#39;";
			break;
		default:
			continue;
		}
		buf_add(out, s + from, i - from);
		buf_adds(out, ref);
		from = i + 1;
	}
	buf_add(out, s + from, len - from);
}

void rv_text(struct buf *out, const char *s, size_t len)
{
	struct buf t = BUF_INIT;

	if (!s)
		return;
	text_escape(&t, s, len, RV_SHOW_MAX);
	review_html_escape(out, t.data, t.len);
	buf_release(&t);
}

void rv_str(struct buf *out, const char *s)
{
	if (s)
		rv_text(out, s, strlen(s));
}

void rv_json(struct buf *out, const json_t *v, const char *dflt)
{
	char *d;

	if (json_is_string(v)) {
		rv_text(out, json_string_value(v), json_string_length(v));
	} else if (!v || json_is_null(v)) {
		rv_str(out, dflt);
	} else {
		d = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
		rv_str(out, d);
		free(d);
	}
}

void rv_member(struct buf *out, const json_t *o, const char *key, const char *dflt)
{
	rv_json(out, json_is_object(o) ? json_object_get(o, key) : NULL, dflt);
}

const char *rv_op_id(const json_t *op)
{
	const char *s = json_get_str(op, "id");

	return s ? s : json_get_str(op, "application");
}

const char *rv_op_email(const json_t *op)
{
	const char *s = json_get_str(op, "personalEmail");

	return s ? s : json_get_str(op, "email");
}

/*
 * The style sheet: the only one the page's Content-Security-Policy allows (by its
 * SHA-256), so a <style> smuggled into a value would not apply even if escaping failed.
 */
static const char css[] =
	"\n"
	"@page { size: A4; margin: 14mm 12mm; }\n"
	"* { box-sizing: border-box; }\n"
	"body { font: 14px/1.45 system-ui, -apple-system, \"Segoe UI\", Roboto, Helvetica, "
	"Arial, sans-serif; color: #1b1f24; background: #fff; margin: 0 auto; max-width: 62rem; "
	"padding: 1.25rem; }\n"
	"h1 { font-size: 1.5rem; margin: 0 0 .5rem; }\n"
	"h2 { font-size: 1.15rem; margin: 1.75rem 0 .6rem; padding-bottom: .25rem; "
	"border-bottom: 2px solid #d0d7de; break-after: avoid; page-break-after: avoid; }\n"
	"h3 { font-size: 1rem; margin: 0 0 .4rem; }\n"
	"code, .mono { font-family: ui-monospace, \"DejaVu Sans Mono\", Menlo, Consolas, "
	"monospace; font-size: .85em; overflow-wrap: anywhere; }\n"
	"table { border-collapse: collapse; width: 100%; }\n"
	"th, td { text-align: left; vertical-align: top; padding: .2rem .5rem; "
	"border-bottom: 1px solid #eaeef2; overflow-wrap: anywhere; }\n"
	"th { font-weight: 600; color: #57606a; }\n"
	"table.facts th { width: 11rem; }\n"
	"table.meta th { width: 12rem; }\n"
	"thead th { border-bottom: 1px solid #d0d7de; }\n"
	".counts { display: flex; flex-wrap: wrap; gap: .5rem; padding: 0; list-style: none; "
	"margin: .75rem 0; }\n"
	".counts li { border: 1px solid #d0d7de; border-radius: 6px; padding: .3rem .6rem; }\n"
	".counts li.hot { border-color: #cf222e; background: #ffebe9; }\n"
	".counts b { font-size: 1.1rem; }\n"
	"nav ol { margin: .25rem 0 0; padding-left: 1.25rem; columns: 2; }\n"
	"a { color: #0969da; }\n"
	"article.hire { border: 1px solid #d0d7de; border-left-width: 6px; border-radius: 6px; "
	"padding: .6rem .8rem; margin: 0 0 .8rem; break-inside: avoid; "
	"page-break-inside: avoid; }\n"
	"article.conflict, article.field-conflict, article.other { border-left-color: #cf222e; }\n"
	"article.left-hired { border-left-color: #bc4c00; }\n"
	"article.departed, article.acknowledged, article.forgotten { border-left-color: #8c959f; "
	"}\n"
	"article.set-aside { border-left-color: #9a6700; }\n"
	"article.create { border-left-color: #1a7f37; }\n"
	"article.change { border-left-color: #0969da; }\n"
	".badge { display: inline-block; font-size: .75rem; font-weight: 700; text-transform: "
	"uppercase; letter-spacing: .03em; border-radius: 4px; padding: 0 .35rem; margin-right: "
	".35rem; color: #fff; background: #57606a; }\n"
	".conflict .badge, .field-conflict .badge, .other .badge { background: #cf222e; }\n"
	".left-hired .badge { background: #bc4c00; }\n"
	".set-aside .badge { background: #9a6700; }\n"
	".create .badge { background: #1a7f37; }\n"
	".change .badge { background: #0969da; }\n"
	".app { font-weight: 400; color: #57606a; }\n"
	".todo { background: #fff8c5; border: 1px solid #d4a72c; border-radius: 4px; "
	"padding: .35rem .6rem; margin: .5rem 0 0; }\n"
	".todo code.row { display: block; margin-top: .2rem; }\n"
	".warn { color: #9a6700; }\n"
	".none { color: #57606a; font-style: italic; }\n"
	".old { color: #82071e; }\n"
	".new { color: #116329; }\n"
	"footer { margin-top: 2rem; color: #57606a; font-size: .85rem; }\n"
	"@media print { body { padding: 0; max-width: none; font-size: 9pt; line-height: 1.3; } "
	"nav { display: none; } th, td { padding: .05rem .4rem; } "
	"article.hire { padding: .4rem .6rem; margin-bottom: .5rem; } "
	"a { color: inherit; text-decoration: none; } }\n";

/* 'sha256-<base64>' of the style sheet, for the CSP. */
static void css_hash(char out[64])
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	EVP_Digest(css, sizeof(css) - 1, d, &n, EVP_sha256(), NULL);
	EVP_EncodeBlock((unsigned char *)out, d, (int)n); /* 44 characters and a NUL */
}

static const char *const titles[RV__COUNT] = {
	[RV_CONFLICTS] = "Conflicts and failures",
	[RV_LEFT] = "Left Hired",
	[RV_SETASIDE] = "Set aside",
	[RV_CREATES] = "Creates",
	[RV_CHANGES] = "Changes",
	[RV_FORGOTTEN] = "Forgotten",
	[RV_WARNINGS] = "Warnings",
};
static const char *const anchors[RV__COUNT] = {
	[RV_CONFLICTS] = "conflicts", [RV_LEFT] = "left-hired", [RV_SETASIDE] = "set-aside",
	[RV_CREATES] = "creates",     [RV_CHANGES] = "changes", [RV_FORGOTTEN] = "forgotten",
	[RV_WARNINGS] = "warnings",
};

static void meta_row(struct buf *out, const char *th, const char *v, bool code)
{
	buf_addf(out, "<tr><th>%s</th><td>%s", th, code ? "<code>" : "");
	rv_str(out, v ? v : "(unknown)");
	buf_addf(out, "%s</td></tr>\n", code ? "</code>" : "");
}

static void count_item(struct buf *out, long n, const char *one, const char *many, bool hot)
{
	buf_addf(out, "<li%s><b>%ld</b> %s</li>\n", hot && n ? " class=\"hot\"" : "", n,
		 n == 1 ? one : many);
}

static long section_size(const struct rv_counts *c, enum rv_section s)
{
	switch (s) {
	case RV_CONFLICTS:
		return c->conflicts + c->field_conflicts + c->other;
	case RV_LEFT:
		return c->left_hired + c->acknowledged + c->departed;
	case RV_SETASIDE:
		return c->set_aside;
	case RV_CREATES:
		return c->creates;
	case RV_CHANGES:
		return c->changes;
	case RV_FORGOTTEN:
		return c->forgotten;
	default:
		return c->warnings;
	}
}

void rv_head(struct buf *out, const struct review_meta *m, const json_t *basis,
	     const struct rv_counts *c)
{
	char hash[64];
	int s;

	css_hash(hash);
	buf_adds(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
	buf_addf(out,
		 "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
		 "style-src 'sha256-%s'; img-src 'none'; font-src 'none'; connect-src 'none'; "
		 "script-src 'none'; base-uri 'none'; form-action 'none'\">\n",
		 hash);
	buf_adds(out, "<meta name=\"referrer\" content=\"no-referrer\">\n"
		      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		      "<meta name=\"generator\" content=\"ashby2humaans ");
	rv_str(out, m->version ? m->version : "");
	buf_adds(out, "\">\n<meta name=\"ashby2humaans-plan-sha256\" content=\"");
	rv_str(out, m->plan_sha256 ? m->plan_sha256 : "");
	buf_adds(out, "\">\n<title>ashby2humaans plan ");
	rv_str(out, m->run_id ? m->run_id : "");
	buf_addf(out, "</title>\n<style>%s</style>\n</head>\n<body>\n<header>\n", css);
	buf_adds(out, "<h1>Plan of run ");
	rv_str(out, m->run_id ? m->run_id : "(unknown)");
	buf_adds(out, "</h1>\n<table class=\"meta\">\n");
	meta_row(out, "Run", m->run_id, true);
	meta_row(out, "Computed", m->time, false);
	meta_row(out, "Ashby extract commit", json_get_str(basis, "extractCommit"), true);
	meta_row(out, "Pipeline SHA-256", json_get_str(basis, "pipelineSha256"), true);
	meta_row(out, "Transform SHA-256", json_get_str(basis, "transformSha256"), true);
	meta_row(out, "plan.json SHA-256", m->plan_sha256, true);
	buf_adds(out, "</table>\n<ul class=\"counts\">\n");
	count_item(out, c->conflicts + c->field_conflicts + c->other, "conflict", "conflicts",
		   true);
	count_item(out, c->left_hired, "left Hired", "left Hired", true);
	count_item(out, c->set_aside, "set aside", "set aside", true);
	count_item(out, c->creates, "to create", "to create", false);
	count_item(out, c->changes, "to change", "to change", false);
	if (c->departed + c->acknowledged)
		count_item(out, c->departed + c->acknowledged, "left the creates",
			   "left the creates", false);
	if (c->forgotten)
		count_item(out, c->forgotten, "forgotten", "forgotten", false);
	count_item(out, c->warnings, "warning", "warnings", false);
	buf_adds(out, "</ul>\n<nav><b>Contents</b><ol>\n");
	for (s = 0; s < RV__COUNT; s++)
		buf_addf(out, "<li><a href=\"#%s\">%s</a> (%ld)</li>\n", anchors[s], titles[s],
			 section_size(c, (enum rv_section)s));
	buf_adds(out, "</ol></nav>\n</header>\n");
}

void rv_section_begin(struct buf *out, enum rv_section s, long n)
{
	buf_addf(out, "<section id=\"%s\">\n<h2>%s (%ld)</h2>\n", anchors[s], titles[s], n);
	if (n == 0)
		buf_adds(out, "<p class=\"none\">None.</p>\n");
}

void rv_section_end(struct buf *out)
{
	buf_adds(out, "</section>\n");
}

void rv_tail(struct buf *out, const struct review_meta *m)
{
	buf_adds(out, "<footer>Rendered by ashby2humaans ");
	rv_str(out, m->version ? m->version : "");
	buf_adds(out, " from plan/plan.json, the plan apply carries out. The page of any run: "
		      "<code>ashby2humaans show ");
	rv_str(out, m->run_id ? m->run_id : "RUN");
	buf_adds(out, " plan/plan.html</code>.</footer>\n</body>\n</html>\n");
}
