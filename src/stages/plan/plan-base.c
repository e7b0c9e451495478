/*
 * plan: the bases of ledger entries written before bases were kept (legacy
 * staging repos), derived from what the last applied plan sent, and the
 * pipeline's sync switch.
 */
#include "config.h"

#include "stages/plan/plan-int.h"

#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/jsonutil.h"
#include "base/log.h"
#include "store/ledger-base.h"
#include "store/pipeline.h"
#include "store/staging.h"

/*
 * The operations of the plan of run `prid` (new object: application id ->
 * operation), or NULL when that plan is not in the history.
 */
static int plan_ops_of_run(struct staging *s, const char *prid, json_t **out, struct err *e)
{
	char poid[41] = "";
	struct buf b = BUF_INIT;
	json_t *plan = NULL, *ops, *op;
	size_t i;
	int rc;

	*out = NULL;
	rc = staging_run_stage_commit(s, prid, "plan", poid, e);
	if (rc < 0 || !poid[0])
		return rc;
	rc = staging_read_at(s, poid, "plan/plan.json", &b, e);
	if (rc == ERR_NOTFOUND) {
		err_clear(e);
		rc = 0;
		goto out;
	}
	if (rc < 0)
		goto out;
	plan = json_loadb(b.data ? b.data : "", b.len, 0, NULL);
	ops = json_object();
	json_array_foreach (json_get_arr(plan, "operations"), i, op)
		if (json_get_str(op, "id"))
			json_object_set(ops, json_get_str(op, "id"), op);
	*out = ops;
out:
	json_decref(plan);
	buf_release(&b);
	return rc;
}

/*
 * A base for each entry of `ledger` (the plan's view, changed in place) that
 * has a person but no base: what the operation of its last applied plan
 * (planRunId) sent, marked "baseDerived". A base not begun by a create is
 * "partial" (ledger-base.h): its missing fields are unknown, not null. An
 * entry whose plan is not found keeps no base: every field is then unknown.
 */
int plan_derive_bases(struct staging *s, json_t *ledger, struct err *e)
{
	json_t *plans = json_object(), *en, *ops;
	const char *app;
	long derived = 0, unknown = 0;
	int rc = 0;

	json_object_foreach (ledger, app, en) {
		const char *prid = json_get_str(en, "planRunId");
		const json_t *op;
		json_t *base;

		if (!json_get_str(en, "personId") || json_is_object(json_object_get(en, "base")) ||
		    json_is_true(json_object_get(en, "baseStored")))
			continue;
		ops = prid ? json_object_get(plans, prid) : NULL;
		if (prid && !ops) {
			if ((rc = plan_ops_of_run(s, prid, &ops, e)) < 0)
				goto out;
			json_object_set_new(plans, prid, ops ? ops : json_null());
		}
		op = json_is_object(ops) ? json_object_get(ops, app) : NULL;
		if (!op) {
			unknown++;
			continue;
		}
		base = ledger_base_of_steps(json_get_arr(op, "steps"));
		if (strcmp(json_get_str(op, "action") ? json_get_str(op, "action") : "",
			   "create") != 0)
			json_object_set_new(base, "partial", json_true());
		json_object_set_new(en, "base", base);
		json_object_set_new(en, "baseDerived", json_true());
		derived++;
	}
	if (derived || unknown)
		log_verbose("plan: %ld ledger entr%s without a base: derived from the last applied "
			    "plan; %ld without a record",
			    derived, derived == 1 ? "y" : "ies", unknown);
out:
	json_decref(plans);
	return rc;
}

int plan_read_sync(struct staging *s, bool *stop_at_start, struct err *e)
{
	struct pipeline *pl = NULL;
	struct buf b = BUF_INIT;
	int rc;

	*stop_at_start = false;
	if ((rc = staging_read(s, "pipeline.json", &b, e)) < 0)
		goto out;
	if ((rc = pipeline_parse(&pl, b.data ? b.data : "", b.len, "pipeline.json", e)) < 0)
		goto out;
	*stop_at_start = pl->stop_at_start_date;
out:
	pipeline_free(pl);
	buf_release(&b);
	return rc;
}
