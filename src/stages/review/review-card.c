/*
 * review-card: one hire's card on plan/plan.html, for each kind of operation of
 * plan.json (create, change, conflict, left-hired, departed, forgotten, and a
 * change's fieldConflicts), and one set-aside hire with its overrides.csv fix.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "base/jsonutil.h"
#include "stages/review/review-int.h"

/* The fields overrides.csv accepts (transform's override slots). */
static const char *const overridable[] = { "firstName",
					   "middleName",
					   "lastName",
					   "personalEmail",
					   "personalPhoneNumber",
					   "employmentStartDate",
					   "jobTitle",
					   "department",
					   "reportingTo",
					   "location",
					   "salaryAmount",
					   "salaryCurrency",
					   NULL };

static bool is_overridable(const char *f)
{
	size_t i;

	for (i = 0; overridable[i]; i++)
		if (strcmp(f, overridable[i]) == 0)
			return true;
	return false;
}

/* The overrides.csv field of a plan field: "jobRole.jobTitle" -> "jobTitle". */
static const char *override_field(const char *f)
{
	if (strncmp(f, "jobRole.", 8) == 0)
		return f + 8;
	if (strcmp(f, "locationId") == 0)
		return "location";
	if (strcmp(f, "compensation") == 0)
		return "salaryAmount";
	return f;
}

static const json_t *find_change(const json_t *op, const char *field)
{
	const json_t *c;
	size_t i;

	json_array_foreach (json_get_arr(op, "changes"), i, c) {
		const char *f = json_get_str(c, "field");

		if (f && strcmp(f, field) == 0)
			return c;
	}
	return NULL;
}

/* The facts a create shows at the top, in order; the other fields sent follow. */
static const struct {
	const char *field, *label;
} facts[] = {
	{ "employmentStartDate", "Start date" },
	{ "jobRole.jobTitle", "Job title" },
	{ "jobRole.reportingTo", "Manager" },
	{ "compensation", "Salary" },
};

static bool is_fact(const char *f)
{
	size_t i;

	if (!f || strncmp(f, "custom:", 7) == 0 || strcmp(f, "document") == 0 ||
	    strcmp(f, "letter") == 0)
		return true;
	for (i = 0; i < sizeof(facts) / sizeof(facts[0]); i++)
		if (strcmp(f, facts[i].field) == 0)
			return true;
	return false;
}

static void row_begin(struct buf *out, const char *th)
{
	buf_addf(out, "<tr><th>%s</th><td>", th);
}

static void row_json(struct buf *out, const char *th, const json_t *v, const char *dflt)
{
	row_begin(out, th);
	rv_json(out, v, dflt);
	buf_adds(out, "</td></tr>\n");
}

static void row_code(struct buf *out, const char *th, const char *v)
{
	row_begin(out, th);
	buf_adds(out, "<code>");
	rv_str(out, v ? v : "(none)");
	buf_adds(out, "</code></td></tr>\n");
}

/* <article> and its title line: a badge, the name (unless `anonymous`), the application id. */
static void card_begin(struct buf *out, const json_t *op, const char *cls, const char *badge,
		       bool anonymous)
{
	const char *id = rv_op_id(op);

	buf_addf(out, "<article class=\"hire %s\" id=\"hire-", cls);
	rv_str(out, id ? id : "");
	buf_addf(out, "\">\n<h3><span class=\"badge\">%s</span>", badge);
	if (!anonymous)
		rv_member(out, op, "name", "(no name)");
	buf_adds(out, " <span class=\"app\">");
	rv_str(out, id ? id : "(no application id)");
	buf_adds(out, "</span></h3>\n<table class=\"facts\">\n");
	row_code(out, "Application", id);
	if (anonymous)
		return;
	row_json(out, "Name", json_object_get(op, "name"), "(none)");
	row_begin(out, "Personal email");
	rv_str(out, rv_op_email(op) ? rv_op_email(op) : "(none)");
	buf_adds(out, "</td></tr>\n");
	if (json_get_str(op, "personId"))
		row_code(out, "Humaans person", json_get_str(op, "personId"));
}

/* The offer letters uploaded by the operation's steps: file name and SHA-256. */
static void letter_rows(struct buf *out, const json_t *op, bool none_row)
{
	const json_t *st;
	size_t i;
	bool any = false;

	json_array_foreach (json_get_arr(op, "steps"), i, st) {
		const char *o = json_get_str(st, "op");

		if (!o || strcmp(o, "uploadFile") != 0)
			continue;
		any = true;
		row_begin(out, "Offer letter");
		rv_member(out, st, "fileName", "(no name)");
		buf_adds(out, "<br><code>SHA-256 ");
		rv_member(out, st, "sha256", "(unknown)");
		buf_adds(out, "</code></td></tr>\n");
	}
	if (!any && none_row)
		row_json(out, "Offer letter", NULL, "(none)");
}

static void card_end(struct buf *out, const json_t *op)
{
	const json_t *w;
	size_t i;

	json_array_foreach (json_get_arr(op, "warnings"), i, w) {
		buf_adds(out, "<p class=\"warn\">Warning: ");
		rv_json(out, w, "");
		buf_adds(out, "</p>\n");
	}
	buf_adds(out, "</article>\n");
}

static void facts_of_create(struct buf *out, const json_t *op)
{
	const json_t *c;
	size_t i;

	for (i = 0; i < sizeof(facts) / sizeof(facts[0]); i++) {
		c = find_change(op, facts[i].field);
		row_json(out, facts[i].label, c ? json_object_get(c, "after") : NULL, "(none)");
	}
	json_array_foreach (json_get_arr(op, "changes"), i, c) {
		const char *f = json_get_str(c, "field");

		if (!f || strncmp(f, "custom:", 7) != 0)
			continue;
		buf_adds(out, "<tr><th>Custom value: ");
		rv_str(out, f + 7);
		buf_adds(out, "</th><td>");
		rv_member(out, c, "after", "(none)");
		buf_adds(out, "</td></tr>\n");
	}
	letter_rows(out, op, true);
	json_array_foreach (json_get_arr(op, "changes"), i, c) {
		const char *f = json_get_str(c, "field");

		if (is_fact(f))
			continue;
		buf_adds(out, "<tr><th>");
		rv_str(out, f);
		buf_adds(out, "</th><td>");
		rv_member(out, c, "after", "(none)");
		buf_adds(out, "</td></tr>\n");
	}
}

/* The changes of an operation: field, old, new, and the base when any change has one. */
static void changes_table(struct buf *out, const json_t *op)
{
	const json_t *c, *arr = json_get_arr(op, "changes");
	bool base = false;
	size_t i;

	if (!json_array_size(arr))
		return;
	json_array_foreach (arr, i, c)
		base = base || json_object_get(c, "base") != NULL;
	buf_addf(out,
		 "<table class=\"changes\">\n<thead><tr><th>Field</th><th>Old</th>"
		 "<th>New</th>%s</tr></thead>\n<tbody>\n",
		 base ? "<th>Base (last written by this tool)</th>" : "");
	json_array_foreach (arr, i, c) {
		buf_adds(out, "<tr><td>");
		rv_member(out, c, "field", "");
		buf_adds(out, "</td><td class=\"old\">");
		rv_member(out, c, "before", "(none)");
		buf_adds(out, "</td><td class=\"new\">");
		rv_member(out, c, "after", "(none)");
		if (base) {
			buf_adds(out, "</td><td>");
			rv_member(out, c, "base", "(no record)");
		}
		buf_adds(out, "</td></tr>\n");
	}
	buf_adds(out, "</tbody></table>\n");
}

/* A change's field conflicts: base, Ashby, Humaans; and how to settle them. */
static void field_conflicts(struct buf *out, const json_t *op)
{
	const json_t *fc, *arr = json_get_arr(op, "fieldConflicts");
	size_t i;

	buf_adds(out, "<table class=\"changes\">\n<thead><tr><th>Field in conflict</th>"
		      "<th>Base (last written by this tool)</th><th>Ashby now</th>"
		      "<th>Humaans now</th></tr></thead>\n<tbody>\n");
	json_array_foreach (arr, i, fc) {
		buf_adds(out, "<tr><td>");
		rv_member(out, fc, "field", "");
		buf_adds(out, "</td><td>");
		rv_member(out, fc, "base", "(no record of what this tool wrote)");
		buf_adds(out, "</td><td>");
		rv_member(out, fc, "ashby", "(none)");
		buf_adds(out, "</td><td>");
		rv_member(out, fc, "humaans", "(none)");
		buf_adds(out, "</td></tr>\n");
	}
	buf_adds(out, "</tbody></table>\n<div class=\"todo\">Nothing is written for these "
		      "fields until Ashby and Humaans agree, or a reviewer settles each with an "
		      "<code>overrides.csv</code> row (its value takes Ashby's place):");
	json_array_foreach (arr, i, fc) {
		const char *f = json_get_str(fc, "field");

		buf_adds(out, "<code class=\"row\">");
		rv_str(out, rv_op_id(op));
		buf_addc(out, ',');
		rv_str(out, f ? override_field(f) : "");
		buf_adds(out, ",VALUE</code>");
	}
	buf_adds(out, "</div>\n");
}

static void todo(struct buf *out, const char *lead, const char *code)
{
	buf_addf(out, "<div class=\"todo\">%s", lead);
	if (code) {
		buf_adds(out, "<code class=\"row\">");
		rv_str(out, code);
		buf_adds(out, "</code>");
	}
	buf_adds(out, "</div>\n");
}

static void card_left_hired(struct buf *out, const json_t *op)
{
	const char *id = rv_op_id(op) ? rv_op_id(op) : "";
	bool ack = json_is_true(json_object_get(op, "acknowledged"));
	const char *cmd = json_get_str(op, "command");
	char line[512];

	card_begin(out, op, ack ? "acknowledged" : "left-hired",
		   ack ? "left Hired (acknowledged)" : "left Hired", false);
	if (json_object_get(op, "status"))
		row_json(out, "Status in Ashby", json_object_get(op, "status"),
			 "(no longer visible)");
	if (json_object_get(op, "reason"))
		row_json(out, "Why", json_object_get(op, "reason"), "");
	buf_adds(out, "</table>\n");
	changes_table(out, op);
	if (!ack) {
		snprintf(line, sizeof(line), "ashby2humaans delete-new-hire %s", id);
		todo(out,
		     "This hire was created in Humaans and no longer is Hired in Ashby. The tool "
		     "never deletes on its own. To delete the new hire:",
		     cmd ? cmd : line);
		snprintf(line, sizeof(line), "%s,acknowledge,left-hired", id);
		todo(out,
		     "Or, to keep the person, acknowledge it with the overrides.csv row:", line);
	}
	card_end(out, op);
}

static void card_forgotten(struct buf *out, const json_t *op)
{
	const json_t *d = json_object_get(op, "date");

	/* A forgotten hire is named by its application id only, whatever the operation holds. */
	card_begin(out, op, "forgotten", "forgotten", true);
	row_json(out, "Forgotten on", d ? d : json_object_get(op, "forgottenOn"), "(unknown date)");
	buf_adds(out, "</table>\n<p>Nothing is planned for it.</p>\n</article>\n");
}

void rv_card(struct buf *out, const json_t *op)
{
	const char *a = json_get_str(op, "action");

	a = a ? a : "";
	if (strcmp(a, "forgotten") == 0) {
		card_forgotten(out, op);
		return;
	}
	if (strcmp(a, "left-hired") == 0) {
		card_left_hired(out, op);
		return;
	}
	if (strcmp(a, "create") == 0) {
		card_begin(out, op, "create", "create", false);
		facts_of_create(out, op);
		buf_adds(out, "</table>\n");
		card_end(out, op);
		return;
	}
	if (json_array_size(json_get_arr(op, "fieldConflicts")))
		card_begin(out, op, "field-conflict", "field conflict", false);
	else if (strcmp(a, "change") == 0)
		card_begin(out, op, "change", "change", false);
	else if (strcmp(a, "conflict") == 0)
		card_begin(out, op, "conflict", "conflict", false);
	else if (strcmp(a, "departed") == 0)
		card_begin(out, op, "departed", "left the creates", false);
	else
		card_begin(out, op, "other", *a ? a : "unknown action", false);
	if (strcmp(a, "departed") == 0 && json_object_get(op, "status"))
		row_json(out, "Status in Ashby", json_object_get(op, "status"),
			 "(no longer visible)");
	letter_rows(out, op, false);
	if (json_object_get(op, "reason") && strcmp(a, "conflict") != 0)
		row_json(out, "Why", json_object_get(op, "reason"), "");
	buf_adds(out, "</table>\n");
	if (json_array_size(json_get_arr(op, "fieldConflicts")))
		field_conflicts(out, op);
	changes_table(out, op);
	if (strcmp(a, "conflict") == 0) {
		buf_adds(out, "<div class=\"todo\">");
		rv_member(out, op, "reason", "a person in Humaans has this personal email");
		buf_adds(out, "</div>\n");
	}
	card_end(out, op);
}

void rv_reject_card(struct buf *out, const json_t *rej)
{
	const char *id = rv_op_id(rej), *fields = json_get_str(rej, "fields");
	char f[128];
	const char *p, *q;
	bool any = false;

	buf_adds(out, "<article class=\"hire set-aside\" id=\"hire-");
	rv_str(out, id ? id : "");
	buf_adds(out, "\">\n<h3><span class=\"badge\">set aside</span>");
	rv_member(out, rej, "candidate", "(no name)");
	buf_adds(out, " <span class=\"app\">");
	rv_str(out, id ? id : "(no application id)");
	buf_adds(out, "</span></h3>\n<table class=\"facts\">\n");
	row_code(out, "Application", id);
	row_json(out, "Candidate", json_object_get(rej, "candidate"), "(none)");
	row_json(out, "Reason", json_object_get(rej, "reason"), "(none given)");
	if (fields && *fields)
		row_json(out, "Fields", json_object_get(rej, "fields"), "");
	buf_adds(out, "</table>\n");
	for (p = fields ? fields : ""; *p; p = *q ? q + 1 : q) {
		size_t n;

		q = p + strcspn(p, ";,");
		n = (size_t)(q - p) < sizeof(f) ? (size_t)(q - p) : sizeof(f) - 1;
		memcpy(f, p, n);
		f[n] = '\0';
		if (!is_overridable(f))
			continue;
		if (!any)
			buf_adds(out,
				 "<div class=\"todo\">The fix: add to <code>overrides.csv</code> "
				 "(with the right value), then run again:");
		any = true;
		buf_adds(out, "<code class=\"row\">");
		rv_str(out, id ? id : "");
		buf_addc(out, ',');
		rv_str(out, f);
		buf_addf(out, ",%s</code>",
			 strcmp(f, "employmentStartDate") == 0 ? "YYYY-MM-DD" : "VALUE");
	}
	if (any)
		buf_adds(out, "</div>\n");
	else
		todo(out, "The fix: correct it in Ashby; the next run plans it once it passes.",
		     NULL);
	buf_adds(out, "</article>\n");
}

void rv_warning_rows(struct buf *out, const json_t *op)
{
	const json_t *w;
	size_t i;

	json_array_foreach (json_get_arr(op, "warnings"), i, w) {
		buf_adds(out, "<tr><td><a href=\"#hire-");
		rv_str(out, rv_op_id(op));
		buf_adds(out, "\"><code>");
		rv_str(out, rv_op_id(op));
		buf_adds(out, "</code></a></td><td>");
		rv_member(out, op, "name", "");
		buf_adds(out, "</td><td>");
		rv_json(out, w, "");
		buf_adds(out, "</td></tr>\n");
	}
}
