/* plan-departures: hires that left `Hired` (plan-departures.h). */
#include "config.h"

#include "stages/plan/plan-departures.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/jsonutil.h"
#include "base/text.h"
#include "base/xalloc.h"
#include "store/overrides.h"
#include "store/snapshot.h"
#include "store/staging.h"
#include "store/tombstones.h"

#define DELETE_COMMAND "ashby2humaans delete-new-hire"
#define SHOW_MAX 512 /* as plan.txt shows any value */

#define C_RED "\033[31m"
#define C_RESET "\033[0m"

/*
 * "First Last" from the entry's base.person (or the name plan's ledger view
 * kept of it, "baseName"), or NULL when it has neither. Caller frees.
 */
static char *base_name(const json_t *entry)
{
	const json_t *person = json_get_obj(json_get_obj(entry, "base"), "person");
	const char *fn = json_get_str(person, "firstName"), *ln = json_get_str(person, "lastName");

	if (json_get_str(entry, "baseName"))
		return xstrdup(json_get_str(entry, "baseName"));
	if (!fn && !ln)
		return NULL;
	return xasprintf("%s%s%s", fn ? fn : "", fn && ln ? " " : "", ln ? ln : "");
}

/* Why the application is gone from the hires, from its departed.json record (may be NULL). */
static char *why_gone(const json_t *dep)
{
	const json_t *st = json_object_get(dep, "status");
	const char *reason = json_get_str(dep, "reason");
	char *base, *why;

	if (json_is_string(st))
		base = xasprintf("no longer Hired in Ashby (status now %s)", json_string_value(st));
	else if (dep)
		base = xstrdup("no longer visible in Ashby");
	else
		base = xstrdup("no longer among the Hired applications in Ashby");
	if (!reason || !*reason)
		return base;
	why = xasprintf("%s: %s", base, reason);
	free(base);
	return why;
}

static json_t *op_base(const char *app, const char *action, const json_t *dep)
{
	json_t *op = json_object();

	json_set_str(op, "id", app);
	json_object_set_new(op, "action", json_string(action));
	if (json_is_string(json_object_get(dep, "status")))
		json_object_set(op, "status", json_object_get(dep, "status"));
	json_object_set_new(op, "steps", json_array());
	json_object_set_new(op, "changes", json_array());
	json_object_set_new(op, "warnings", json_array());
	return op;
}

static json_t *left_hired_op(const char *app, const json_t *entry, const json_t *dep, bool acked)
{
	json_t *op = op_base(app, PLAN_ACTION_LEFT_HIRED, dep);
	const char *pid = json_get_str(entry, "personId");
	char *name = base_name(entry), *why = why_gone(dep), *cmd, *reason;

	cmd = xasprintf(DELETE_COMMAND " %s", app);
	if (acked)
		reason = xasprintf("%s; acknowledged in overrides.csv: Humaans keeps new hire %s",
				   why, pid);
	else
		reason = xasprintf("%s; Humaans still holds new hire %s: nothing was deleted", why,
				   pid);
	json_set_str(op, "name", name);
	json_set_str(op, "personId", pid);
	json_object_set_new(op, "reason", json_string(reason));
	json_object_set_new(op, "command", json_string(cmd));
	json_object_set_new(op, "acknowledged", json_boolean(acked));
	free(name);
	free(why);
	free(cmd);
	free(reason);
	return op;
}

static json_t *departed_op(const char *app, const json_t *dep)
{
	json_t *op = op_base(app, PLAN_ACTION_DEPARTED, dep);
	char *why = why_gone(dep);
	char *reason = xasprintf("left the creates: %s before this tool created it in Humaans; "
				 "nothing to create",
				 why);

	json_object_set_new(op, "reason", json_string(reason));
	free(why);
	free(reason);
	return op;
}

/* The ids of an array of {id, ...} records, as an object id -> the record (new). */
static json_t *by_id(const json_t *arr)
{
	json_t *idx = json_object(), *el;
	size_t i;

	json_array_foreach (arr, i, el)
		if (json_get_str(el, "id"))
			json_object_set(idx, json_get_str(el, "id"), el);
	return idx;
}

json_t *plan_departures(const struct plan_departures_in *in)
{
	json_t *ops = json_array(), *rejects = by_id(in->rejects), *departed = by_id(in->departed);
	const char *app;
	json_t *en, *dep;

	json_object_foreach ((json_t *)in->ledger, app, en) {
		/* A hire whose create is only uncertain has no person this tool knows of. */
		if (!json_get_str(en, "personId") || json_object_get(in->hire_ids, app) ||
		    json_object_get(rejects, app) || json_object_get(in->tombstones, app))
			continue;
		json_array_append_new(ops, left_hired_op(app, en, json_object_get(departed, app),
							 json_object_get(in->acks, app) != NULL));
	}
	json_object_foreach (departed, app, dep) {
		if (json_object_get(in->ledger, app) || json_object_get(in->hire_ids, app) ||
		    json_object_get(rejects, app) || json_object_get(in->tombstones, app))
			continue;
		json_array_append_new(ops, departed_op(app, dep));
	}
	json_decref(rejects);
	json_decref(departed);
	snapshot_sort_by_key(ops, "id");
	return ops;
}

/* extract/departed.json into *out (a new array); absent: NULL (no extract wrote it yet). */
static int read_departed(struct staging *s, json_t **out, struct err *e)
{
	int rc = snapshot_read_json(s, PLAN_DEPARTED_FILE, out, e);

	if (rc == ERR_NOTFOUND) {
		err_clear(e);
		return 0;
	}
	if (rc == 0 && !json_is_array(*out)) {
		json_decref(*out);
		*out = NULL;
		rc = err_set(e, ERR_INVALID, "%s is not a JSON array", PLAN_DEPARTED_FILE);
	}
	return rc;
}

/*
 * The applications overrides.csv acknowledges as left Hired (new object; empty
 * when the file is absent), read through transform's parser of the file.
 */
static int read_acks(struct staging *s, const json_t *ledger, json_t **out, struct err *e)
{
	struct buf b = BUF_INIT;
	struct overrides *ov = NULL;
	const char *app;
	json_t *en;
	int rc = staging_read(s, "overrides.csv", &b, e);

	*out = json_object();
	if (rc == ERR_NOTFOUND) {
		err_clear(e);
		rc = 0;
	} else if (rc == 0 && (rc = overrides_parse(&ov, b.data ? b.data : "", b.len,
						    "overrides.csv", e)) == 0) {
		json_object_foreach ((json_t *)ledger, app, en)
			if (overrides_acknowledged(ov, app, "left-hired"))
				json_object_set_new(*out, app, json_true());
	}
	overrides_free(ov);
	buf_release(&b);
	return rc;
}

int plan_departures_read(struct staging *s, const json_t *ledger, const json_t *hire_ids,
			 const json_t *rejects, json_t **out, struct err *e)
{
	struct plan_departures_in in = { ledger, hire_ids, rejects, NULL, NULL, NULL };
	json_t *tomb = NULL, *dep = NULL, *acks = NULL;
	int rc;

	*out = NULL;
	if ((rc = tombstones_load(s, &tomb, e)) < 0 || (rc = read_departed(s, &dep, e)) < 0 ||
	    (rc = read_acks(s, ledger, &acks, e)) < 0)
		goto out;
	in.tombstones = tomb;
	in.departed = dep;
	in.acks = acks;
	*out = plan_departures(&in);
out:
	json_decref(tomb);
	json_decref(dep);
	json_decref(acks);
	return rc;
}

int plan_departures_overrides_sha(struct staging *s, char out[65], struct err *e)
{
	int rc = staging_sha256(s, "overrides.csv", out, NULL, e);

	if (rc == ERR_NOTFOUND) {
		err_clear(e);
		out[0] = '\0';
		rc = 0;
	}
	return rc;
}

bool plan_departure_attention(const json_t *op)
{
	const char *a = json_get_str(op, "action");

	return a && strcmp(a, PLAN_ACTION_LEFT_HIRED) == 0 &&
	       !json_is_true(json_object_get(op, "acknowledged"));
}

static void show(struct buf *out, const json_t *op, const char *key)
{
	const json_t *v = json_object_get(op, key);

	if (json_is_string(v))
		text_escape(out, json_string_value(v), json_string_length(v), SHOW_MAX);
}

bool plan_departures_render(const json_t *op, bool color, struct buf *out)
{
	const char *a = json_get_str(op, "action");
	bool attention = plan_departure_attention(op);

	if (!a || (strcmp(a, PLAN_ACTION_LEFT_HIRED) != 0 && strcmp(a, PLAN_ACTION_DEPARTED) != 0))
		return false;
	buf_addf(out, "%s%c ", attention && color ? C_RED : "", attention ? '!' : '*');
	buf_adds(out, a);
	buf_addc(out, ' ');
	show(out, op, "id");
	if (json_get_str(op, "name")) {
		buf_addc(out, ' ');
		show(out, op, "name");
	}
	if (json_get_str(op, "personId")) {
		buf_adds(out, " (Humaans ");
		show(out, op, "personId");
		buf_addc(out, ')');
	}
	buf_adds(out, ": ");
	show(out, op, "reason");
	buf_addf(out, "%s\n", attention && color ? C_RESET : "");
	if (attention) {
		buf_adds(out, "    to delete it from Humaans: ");
		show(out, op, "command");
		buf_adds(out, "\n    or, to keep it, acknowledge it in overrides.csv: ");
		show(out, op, "id");
		buf_adds(out, ",acknowledge,left-hired\n");
	} else if (json_get_str(op, "command")) {
		buf_adds(out, "    to delete it from Humaans after all: ");
		show(out, op, "command");
		buf_addc(out, '\n');
	}
	return true;
}

void plan_departures_render_tail(long n, struct buf *out)
{
	if (n > 0)
		buf_addf(out,
			 "Left Hired: %ld created %s no longer Hired in Ashby and still in "
			 "Humaans: delete or acknowledge (lines starting with '!').\n",
			 n, n == 1 ? "hire is" : "hires are");
}
