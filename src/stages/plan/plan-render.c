#include "config.h"

#include "stages/plan/plan-int.h"

#include <string.h>

#include "base/jsonutil.h"
#include "base/text.h"
#include "stages/plan/plan-departures.h"

#define C_GREEN "\033[32m"
#define C_YELLOW "\033[33m"
#define C_RED "\033[31m"
#define C_RESET "\033[0m"

/* Add one operation to the counts. */
void plan_count_op(const json_t *op, struct plan_summary *c)
{
	const char *a = json_get_str(op, "action");

	if (a && strcmp(a, "create") == 0)
		c->creates++;
	else if (a && strcmp(a, "change") == 0 && json_array_size(json_get_arr(op, "steps")))
		c->changes++;
	else if (a && strcmp(a, "conflict") == 0)
		c->conflicts++;
	/* Each field both sides changed needs a person, like a conflict. */
	c->conflicts += (long)json_array_size(json_get_arr(op, "fieldConflicts"));
	c->field_conflicts += (long)json_array_size(json_get_arr(op, "fieldConflicts"));
	c->left_hired += plan_departure_attention(op);
	c->warnings += (long)json_array_size(json_get_arr(op, "warnings"));
}

void plan_count(const json_t *plan, struct plan_summary *out)
{
	const json_t *op;
	size_t i;

	memset(out, 0, sizeof(*out));
	json_array_foreach (json_get_arr(plan, "operations"), i, op)
		plan_count_op(op, out);
	out->rejects = (long)json_array_size(json_get_arr(plan, "rejects"));
}

static const char *opt_str(const json_t *o, const char *k, const char *dflt)
{
	const char *s = json_get_str(o, k);

	return s ? s : dflt;
}

const char *plan_plural(long n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/*
 * A value from Ashby or Humaans as plan.txt shows it: control characters escaped
 * (text.h), so a name cannot rewrite the terminal of the person approving the plan
 * or split a line, and cut at PLAN_SHOW_MAX bytes. A JSON string is read whole
 * (json_string_length: a NUL is shown, not a cut); a missing value shows `dflt`.
 */
#define PLAN_SHOW_MAX 512

static void show_json(struct buf *out, const json_t *v, const char *dflt)
{
	if (json_is_string(v))
		text_escape(out, json_string_value(v), json_string_length(v), PLAN_SHOW_MAX);
	else if (dflt)
		buf_adds(out, dflt);
}

static void show(struct buf *out, const json_t *o, const char *k, const char *dflt)
{
	show_json(out, json_is_object(o) ? json_object_get(o, k) : NULL, dflt);
}

/* A field both sides changed: a line of its own, starting with '!'. */
static void render_field_conflict(const json_t *x, bool color, struct buf *out)
{
	buf_addf(out, "%s!%s   ", color ? C_RED : "", color ? C_RESET : "");
	show(out, x, "field", "");
	buf_adds(out, ": changed on both sides: Ashby ");
	show(out, x, "ashby", "(none)");
	buf_adds(out, ", Humaans ");
	show(out, x, "humaans", "(none)");
	if (json_is_true(json_object_get(x, "baseUnknown"))) {
		buf_adds(out, ", base unknown (no record of what this tool wrote)");
	} else {
		buf_adds(out, ", base ");
		show(out, x, "base", "(none)");
	}
	buf_adds(out, "; nothing written\n");
}

/* The lines of plan.txt for one operation (appended to out). */
void plan_render_op_text(const json_t *op, bool color, struct buf *out)
{
	const char *a = opt_str(op, "action", "");
	const json_t *x;
	size_t j;
	char sign = '?';
	const char *col = "";

	if (plan_departures_render(op, color, out))
		return;
	if (strcmp(a, "forgotten") == 0) {
		buf_adds(out, "= forgotten ");
		show(out, op, "id", "?");
		buf_adds(out, ": forgotten on ");
		show(out, op, "forgottenOn", "?");
		buf_adds(out, ", nothing read or created\n");
		return;
	}
	if (strcmp(a, "create") == 0) {
		sign = '+';
		col = C_GREEN;
	} else if (strcmp(a, "change") == 0 && !json_array_size(json_get_arr(op, "steps"))) {
		sign = '!'; /* nothing to write: only fields both sides changed */
		col = C_RED;
	} else if (strcmp(a, "change") == 0) {
		sign = '~';
		col = C_YELLOW;
	} else if (strcmp(a, "conflict") == 0) {
		sign = '!';
		col = C_RED;
	} else if (strcmp(a, "delete") == 0) {
		sign = '-';
		col = C_RED;
	}
	buf_addf(out, "%s%c ", color ? col : "", sign);
	show(out, op, "action", "");
	buf_addc(out, ' ');
	show(out, op, "id", "?");
	buf_addc(out, ' ');
	show(out, op, "name", "");
	buf_adds(out, " <");
	show(out, op, "personalEmail", "");
	buf_addc(out, '>');
	if (json_get_str(op, "personId")) {
		buf_adds(out, " (Humaans ");
		show(out, op, "personId", "");
		buf_addc(out, ')');
	}
	buf_addf(out, "%s\n", color ? C_RESET : "");
	json_array_foreach (json_get_arr(op, "changes"), j, x) {
		buf_adds(out, "    ");
		show(out, x, "field", "");
		buf_adds(out, ": ");
		if (strcmp(a, "create") == 0) {
			show(out, x, "after", "");
		} else {
			show(out, x, "before", "(none)");
			buf_adds(out, " -> ");
			show(out, x, "after", "(none)");
		}
		buf_addc(out, '\n');
	}
	json_array_foreach (json_get_arr(op, "fieldConflicts"), j, x)
		render_field_conflict(x, color, out);
	if (json_get_str(op, "reason")) {
		buf_adds(out, "    reason: ");
		show(out, op, "reason", "");
		buf_addc(out, '\n');
	}
	json_array_foreach (json_get_arr(op, "warnings"), j, x) {
		buf_addf(out, "    %swarning:%s ", color ? C_YELLOW : "", color ? C_RESET : "");
		show_json(out, x, "");
		buf_addc(out, '\n');
	}
}

/* What plan.txt says after the operations: the set-aside hires and the counts (`c`, rejects included). */
void plan_render_tail_text(const struct plan_summary *c, const json_t *rejects, struct buf *out)
{
	const json_t *x;
	size_t i;

	if (c->creates + c->changes + c->conflicts == 0)
		buf_adds(out, "No changes: Humaans already holds every transformed hire.\n");
	if (c->rejects) {
		buf_adds(out, "\nSet aside (not planned; fix them in Ashby or overrides.csv):\n");
		json_array_foreach (rejects, i, x) {
			const char *cand = json_get_str(x, "candidate"),
				   *fields = json_get_str(x, "fields");

			buf_adds(out, "x ");
			show(out, x, "id", "?");
			if (cand && *cand) {
				buf_addc(out, ' ');
				show(out, x, "candidate", "");
			}
			buf_adds(out, ": ");
			show(out, x, "reason", "set aside");
			if (fields && *fields) {
				buf_adds(out, " [");
				show(out, x, "fields", "");
				buf_addc(out, ']');
			}
			buf_addc(out, '\n');
		}
	}
	buf_addf(out, "\nPlan: %ld to create, %ld to change, %ld %s, %ld set aside, %ld %s.\n",
		 c->creates, c->changes, c->conflicts,
		 plan_plural(c->conflicts, "conflict", "conflicts"), c->rejects, c->warnings,
		 plan_plural(c->warnings, "warning", "warnings"));
	plan_departures_render_tail(c->left_hired, out);
}

void plan_render_text(const json_t *plan, bool color, struct buf *out)
{
	struct plan_summary c;
	const json_t *op;
	size_t i;

	plan_count(plan, &c);
	json_array_foreach (json_get_arr(plan, "operations"), i, op)
		plan_render_op_text(op, color, out);
	plan_render_tail_text(&c, json_get_arr(plan, "rejects"), out);
}

static void csv_row(struct csv_writer *w, const char *a, const char *b, const char *c,
		    const char *d, const char *e, const char *f)
{
	csv_writer_field(w, a);
	csv_writer_field(w, b);
	csv_writer_field(w, c);
	csv_writer_field(w, d);
	csv_writer_field(w, e);
	csv_writer_field(w, f);
	csv_writer_end_row(w);
}

void plan_csv_header(struct csv_writer *w)
{
	csv_row(w, "application_id", "name", "action", "field", "before", "after");
}

/* The rows of changes.csv for one operation. */
void plan_csv_op(struct csv_writer *w, const json_t *op)
{
	const char *id = json_get_str(op, "id"), *name = json_get_str(op, "name"),
		   *a = json_get_str(op, "action");
	const json_t *x;
	size_t j;

	json_array_foreach (json_get_arr(op, "changes"), j, x)
		csv_row(w, id, name, a, json_get_str(x, "field"), json_get_str(x, "before"),
			json_get_str(x, "after"));
	json_array_foreach (json_get_arr(op, "fieldConflicts"), j, x)
		csv_row(w, id, name, "field-conflict", json_get_str(x, "field"),
			json_get_str(x, "humaans"), json_get_str(x, "ashby"));
	if (json_get_str(op, "reason"))
		csv_row(w, id, name, a, "", "", json_get_str(op, "reason"));
	if (json_get_str(op, "command"))
		csv_row(w, id, name, a, "command", "", json_get_str(op, "command"));
	json_array_foreach (json_get_arr(op, "warnings"), j, x)
		csv_row(w, id, name, "warning", "", "", json_string_value(x));
}

void plan_csv_rejects(struct csv_writer *w, const json_t *rejects)
{
	const json_t *x;
	size_t i;

	json_array_foreach (rejects, i, x)
		csv_row(w, json_get_str(x, "id"), json_get_str(x, "candidate"), "set-aside",
			json_get_str(x, "fields"), "", json_get_str(x, "reason"));
}

void plan_render_csv(const json_t *plan, struct buf *out)
{
	struct csv_writer w;
	const json_t *op;
	size_t i;

	csv_writer_init(&w);
	plan_csv_header(&w);
	json_array_foreach (json_get_arr(plan, "operations"), i, op)
		plan_csv_op(&w, op);
	plan_csv_rejects(&w, json_get_arr(plan, "rejects"));
	buf_add(out, w.out.data, w.out.len);
	csv_writer_release(&w);
}
