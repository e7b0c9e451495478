/* apply: one hire under way (apply-int.h): its steps sent, looked up and recorded. */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "apis/http.h"
#include "apis/humaans.h"
#include "base/buf.h"
#include "base/hash.h"
#include "base/jsonutil.h"
#include "base/log.h"
#include "base/money.h"
#include "base/xalloc.h"
#include "stages/apply/apply-int.h"
#include "stages/run.h"
#include "store/journal.h"
#include "store/ledger-base.h"
#include "store/ledger.h"
#include "store/records.h"
#include "store/staging.h"

#define MAX_SENDS 2 /* sends of one step in one run: the first and one after a lookup */

/* -------------------------------------------------------------- ledger */

static void entry_push(json_t *en, const char *key, const char *id)
{
	json_t *arr = json_object_get(en, key);

	if (!json_is_array(arr)) {
		arr = json_array();
		json_object_set_new(en, key, arr);
	}
	json_array_append_new(arr, json_string(id));
}

static bool entry_has(const json_t *en, const char *key, const char *id)
{
	const json_t *el;
	size_t i;

	json_array_foreach (json_get_arr(en, key), i, el)
		if (json_is_string(el) && strcmp(json_string_value(el), id) == 0)
			return true;
	return false;
}

/* The ledger list a created record's id goes to (NULL: none). */
static const char *entry_list_of(const char *op)
{
	if (strcmp(op, "createCompensation") == 0)
		return "compensationIds";
	if (strcmp(op, "uploadFile") == 0)
		return "fileIds";
	if (strcmp(op, "createDocument") == 0)
		return "documentIds";
	if (strcmp(op, "createCustomValue") == 0)
		return "customValueIds";
	if (strcmp(op, "createJobRole") == 0)
		return "jobRoleIds";
	return NULL;
}

/* Whether a ledger entry is of plan `prid`. */
bool apply_entry_of_plan(const json_t *en, const char *prid)
{
	const char *lp = json_get_str(en, "planRunId");

	return lp && strcmp(lp, prid) == 0;
}

/* ----------------------------------------------------------------- jobs */

static const json_t *job_step(const struct hire_job *j)
{
	return json_array_get(j->steps, j->next);
}

static const char *step_op(const struct hire_job *j)
{
	const char *op = json_get_str(job_step(j), "op");

	return op ? op : "?";
}

static int job_advance(struct hire_job *j, struct err *e);
static int job_send(struct hire_job *j, struct err *e);

void apply_job_free(struct hire_job *j)
{
	json_decref(j->op);
	json_decref(j->en);
	free(j->person_id);
	free(j->file_id);
	free(j);
}

/*
 * The hire is over (done or failed): count it, free it and start the next
 * hire of the plan in its slot. Callers return right after: `j` is gone.
 */
static int job_end(struct hire_job *j, struct err *e)
{
	struct applier *ax = j->ax;

	ax->ndone++;
	if (!j->failed && j->did_work) {
		if (strcmp(j->action, "create") == 0)
			ax->created++;
		else
			ax->changed++;
	}
	if (log_is_tty() && ax->r->humaans) {
		char reqs[96];

		http_client_progress(ax->r->humaans, reqs, sizeof(reqs));
		log_progress("apply: %zu/%zu hires, %ld writes, %ld failed; %s", ax->ndone,
			     ax->njobs, ax->writes, ax->failed, reqs);
	}
	ax->slots[j->slot] = NULL;
	ax->active--;
	apply_job_free(j);
	return apply_feed(ax, e);
}

/* The hire failed; like job_end, `j` is gone when this returns. */
static int job_fail(struct hire_job *j, bool uncertain, const char *msg, struct err *e)
{
	j->failed = true;
	if (uncertain) {
		j->ax->uncertain++;
		log_error("application %s (%s): %s: outcome unknown: %s; run apply again to finish "
			  "(it looks the record up first)",
			  j->app, j->name, step_op(j), msg);
	} else {
		j->ax->failed++;
		log_error("application %s (%s): Humaans refused %s: %s; fix the hire (Ashby or "
			  "overrides.csv), then run plan and apply again",
			  j->app, j->name, step_op(j), msg);
	}
	return job_end(j, e);
}

/*
 * The base (ledger-base.h): what this tool has now written for the hire. An
 * entry without one starts from the base the plan derived for it (the
 * operation's "base": a ledger entry written before bases were kept).
 */
static void entry_fold_base(const struct hire_job *j, json_t *en)
{
	json_t *base = json_object_get(en, "base");

	if (!json_is_object(base)) {
		const json_t *derived = json_get_obj(j->op, "base");

		base = derived ? json_deep_copy(derived) : json_object();
		json_object_set_new(en, "base", base);
	}
	ledger_base_step(base, j->steps, j->next);
}

/* Record a completed step in the ledger (appended, fsynced) and move on. */
static int job_completed(struct hire_job *j, const char *id, struct err *e)
{
	struct applier *ax = j->ax;
	const char *op = step_op(j), *list = entry_list_of(op);
	json_t *en;
	int rc;

	if (!j->en)
		j->en = json_object();
	en = j->en;
	if (strcmp(op, "createPerson") == 0 && id) {
		json_object_set_new(en, "personId", json_string(id));
		free(j->person_id);
		j->person_id = xstrdup(id);
	}
	if (list && id)
		entry_push(en, list, id);
	if (strcmp(op, "uploadFile") == 0 && id) {
		free(j->file_id);
		j->file_id = xstrdup(id);
	}
	entry_fold_base(j, en);
	json_object_set_new(en, "planRunId", json_string(ax->prid));
	json_object_set_new(en, "stepsDone", json_integer((json_int_t)j->next + 1));
	if ((rc = ledger_put(ax->ledger, j->app, en, e)) < 0)
		return err_prefix(e, "ledger");
	j->did_work = true;
	j->next++;
	return job_advance(j, e);
}

/* The step's body with $personId / $fileId filled in (new reference), or NULL when one is unknown. */
static json_t *step_body(const struct hire_job *j, const char **missing)
{
	json_t *b = json_deep_copy(json_object_get(job_step(j), "body")), *v;
	const char *k;

	if (!b)
		return NULL;
	json_object_foreach (b, k, v) {
		const char *s = json_is_string(v) ? json_string_value(v) : NULL;
		const char *with = NULL;

		if (!s || s[0] != '$')
			continue;
		if (strcmp(s, "$personId") == 0)
			with = j->person_id;
		else if (strcmp(s, "$fileId") == 0)
			with = j->file_id;
		else
			continue;
		if (!with) {
			*missing = s;
			json_decref(b);
			return NULL;
		}
		json_object_set_new(b, k, json_string(with));
	}
	return b;
}

/* Whether an uncertain step is looked up (creates) or simply sent again (PATCH, uploads). */
static bool step_looked_up(const char *op)
{
	return strcmp(op, "createPerson") == 0 || strcmp(op, "createCompensation") == 0 ||
	       strcmp(op, "createDocument") == 0 || strcmp(op, "createCustomValue") == 0 ||
	       strcmp(op, "createJobRole") == 0;
}

static bool str_eq_field(const json_t *a, const json_t *b, const char *key)
{
	const char *x = json_get_str(a, key), *y = json_get_str(b, key);

	return (!x && !y) || (x && y && strcmp(x, y) == 0);
}

/* The record in a lookup answer that is the write we may have made. Borrowed. */
static const json_t *lookup_match(const struct hire_job *j, const json_t *body, const json_t *data)
{
	const json_t *en = j->en, *el;
	const char *op = step_op(j), *list = entry_list_of(op);
	size_t i;

	json_array_foreach (data, i, el) {
		const char *id = json_get_str(el, "id");

		if (!id || (list && entry_has(en, list, id)))
			continue;
		if (strcmp(op, "createPerson") == 0) {
			const char *a = json_get_str(el, "personalEmail"),
				   *b = json_get_str(body, "personalEmail");

			if (a && b && strcasecmp(a, b) == 0)
				return el;
			continue;
		}
		if (!str_eq_field(el, body, "personId"))
			continue;
		if (strcmp(op, "createCompensation") == 0 &&
		    str_eq_field(el, body, "compensationTypeId") &&
		    money_equal(json_object_get(el, "amount"), json_object_get(body, "amount")) &&
		    str_eq_field(el, body, "effectiveDate"))
			return el;
		if (strcmp(op, "createDocument") == 0 && str_eq_field(el, body, "documentTypeId") &&
		    str_eq_field(el, body, "name"))
			return el;
		if (strcmp(op, "createCustomValue") == 0 && str_eq_field(el, body, "customFieldId"))
			return el;
		if (strcmp(op, "createJobRole") == 0 && str_eq_field(el, body, "jobTitle") &&
		    str_eq_field(el, body, "effectiveDate"))
			return el;
	}
	return NULL;
}

static void jline_for(struct journal_line *l, const struct hire_job *j, const char *phase)
{
	const json_t *st = job_step(j);

	memset(l, 0, sizeof(*l));
	l->app = j->app;
	l->step = (long)j->next;
	l->op = json_get_str(st, "op");
	l->method = json_get_str(st, "method");
	l->path = json_get_str(st, "path");
	l->phase = phase;
	l->status = -1;
}

json_t *apply_ids_of(const char *key, const char *id)
{
	json_t *o = json_object();

	if (id)
		json_object_set_new(o, key, json_string(id));
	return o;
}

static int on_lookup(void *ctx, int rc, struct humaans_result *res, struct err *e)
{
	struct hire_job *j = ctx;
	struct applier *ax = j->ax;
	const char *missing = NULL;
	json_t *body = step_body(j, &missing);
	const json_t *found;
	struct journal_line l;
	int wrc;

	if (rc == ERR_AUTH || rc == ERR_PERMISSION) {
		json_decref(body);
		return rc;
	}
	if (rc < 0) {
		json_decref(body);
		return job_fail(j, true, e->msg, e);
	}
	found = body ? lookup_match(j, body, json_get_arr(res->json, "data")) : NULL;
	jline_for(&l, j, "lookup");
	l.outcome = found ? "found" : "absent";
	l.status = res->status;
	if (found)
		l.ids = apply_ids_of("id", json_get_str(found, "id"));
	wrc = journal_write(ax->r->stg, ax->r->id, ax->prid, &l, e);
	if (wrc < 0) {
		json_decref(body);
		return wrc;
	}
	if (found) {
		log_verbose("application %s: %s had reached Humaans (%s): not sent again", j->app,
			    step_op(j), json_get_str(found, "id"));
		wrc = job_completed(j, json_get_str(found, "id"), e);
	} else {
		wrc = job_send(j, e);
	}
	json_decref(body);
	return wrc;
}

static int job_lookup(struct hire_job *j, struct err *e)
{
	const char *op = step_op(j), *missing = NULL, *path = json_get_str(job_step(j), "path");
	json_t *body = step_body(j, &missing);
	struct buf q = BUF_INIT;
	char *full;
	int rc;

	if (!body)
		return job_fail(j, true, "its person is not known yet", e);
	if (strcmp(op, "createPerson") == 0)
		rc = humaans_query_eq(&q, "personalEmail", json_get_str(body, "personalEmail"), e);
	else
		rc = humaans_query_eq(&q, "personId", json_get_str(body, "personId"), e);
	json_decref(body);
	if (rc < 0) {
		buf_release(&q);
		return rc;
	}
	full = xasprintf("%s?%s", path, q.data);
	humaans_batch_call(j->ax->hb, "GET", full, NULL, on_lookup, j);
	free(full);
	buf_release(&q);
	return 0;
}

/* Whether a failed write certainly did not happen (Humaans refused it). */
static bool refused(int rc, long status)
{
	(void)rc;
	return status >= 400 && status < 500 && status != 401 && status != 403 && status != 408 &&
	       status != 429;
}

static int on_write(void *ctx, int rc, struct humaans_result *res, struct err *e)
{
	struct hire_job *j = ctx;
	struct applier *ax = j->ax;
	const char *op = step_op(j);
	struct journal_line l;
	int wrc;

	jline_for(&l, j, "end");
	l.status = res ? res->status : 0;
	l.request_id = res ? res->request_id : NULL;
	if (rc == 0) {
		const char *id = json_get_str(res->json, "id");

		l.outcome = "ok";
		l.ids = apply_ids_of("id", id);
		if ((wrc = journal_write(ax->r->stg, ax->r->id, ax->prid, &l, e)) < 0)
			return wrc;
		if (!id && strcmp(json_get_str(job_step(j), "method"), "POST") == 0)
			return job_fail(j, true, "Humaans answered without an id", e);
		return job_completed(j, id, e);
	}
	l.error = e->msg;
	l.body = res ? res->body : NULL;
	if (rc == ERR_AUTH || rc == ERR_PERMISSION) {
		char msg[ERR_MSG_MAX];

		l.outcome = "failed";
		snprintf(msg, sizeof(msg), "%s", e->msg);
		if ((wrc = journal_write(ax->r->stg, ax->r->id, ax->prid, &l, e)) < 0)
			return wrc;
		return err_set(e, rc, "application %s (%s): %s", j->app, j->name, msg);
	}
	if (refused(rc, l.status)) {
		char msg[ERR_MSG_MAX];

		l.outcome = "failed";
		snprintf(msg, sizeof(msg), "%s", e->msg);
		if ((wrc = journal_write(ax->r->stg, ax->r->id, ax->prid, &l, e)) < 0)
			return wrc;
		return job_fail(j, false, msg, e);
	}
	/* No answer, a 5xx after the retries, or a dropped connection: it may have happened. */
	{
		char msg[ERR_MSG_MAX];

		l.outcome = "uncertain";
		snprintf(msg, sizeof(msg), "%s", e->msg);
		if ((wrc = journal_write(ax->r->stg, ax->r->id, ax->prid, &l, e)) < 0)
			return wrc;
		if (j->sends >= MAX_SENDS)
			return job_fail(j, true, msg, e);
		log_verbose("application %s: %s: %s; looking before sending again", j->app, op,
			    msg);
		return step_looked_up(op) ? job_lookup(j, e) : job_send(j, e);
	}
}

static int job_send(struct hire_job *j, struct err *e)
{
	struct applier *ax = j->ax;
	const json_t *st = job_step(j);
	const char *op = step_op(j), *missing = NULL;
	json_t *body = NULL;
	struct buf file = BUF_INIT;
	struct journal_line l;
	int rc;

	if (strcmp(op, "uploadFile") == 0) {
		const char *rel = json_get_str(st, "file"), *want = json_get_str(st, "sha256");
		char sha[65];
		struct err fe = ERR_INIT;

		if (!rel || staging_read(ax->r->stg, rel, &file, &fe) < 0) {
			buf_release(&file);
			return job_fail(j, false, rel ? fe.msg : "the step names no file", e);
		}
		sha256_hex(file.data, file.len, sha);
		if (want && strcmp(sha, want) != 0) {
			buf_release(&file);
			return job_fail(j, false,
					"the offer letter changed since the plan: run plan again",
					e);
		}
	} else if (json_object_get(st, "body")) {
		body = step_body(j, &missing);
		if (!body) {
			char *msg = xasprintf("%s is not known", missing ? missing : "the body");

			rc = job_fail(j, false, msg, e);
			free(msg);
			return rc;
		}
	}
	j->sends++;
	jline_for(&l, j, "begin");
	if ((rc = journal_write(ax->r->stg, ax->r->id, ax->prid, &l, e)) < 0)
		goto out;
	ax->writes++;
	if (strcmp(op, "uploadFile") == 0)
		humaans_batch_upload(ax->hb, json_get_str(st, "fileName"),
				     json_get_str(st, "contentType"), file.data, file.len, on_write,
				     j);
	else
		humaans_batch_call(ax->hb, json_get_str(st, "method"), json_get_str(st, "path"),
				   body, on_write, j);
out:
	json_decref(body);
	buf_release(&file);
	return rc;
}

static int job_advance(struct hire_job *j, struct err *e)
{
	char key[512];

	if (j->next >= json_array_size(j->steps))
		return job_end(j, e);
	j->sends = 0;
	snprintf(key, sizeof(key), "%s#%zu", j->app, j->next);
	if (json_is_string(json_object_get(j->ax->done, key))) {
		const char *id = json_string_value(json_object_get(j->ax->done, key));

		/* Journaled as done, killed before the ledger was written: record it now. */
		log_verbose("application %s: %s completed in an earlier run (%s)", j->app,
			    step_op(j), *id ? id : "no id");
		return job_completed(j, *id ? id : NULL, e);
	}
	if (json_is_true(json_object_get(job_step(j), "adopt"))) {
		log_verbose("application %s: adopting the person an earlier create left unanswered",
			    j->app);
		return job_lookup(j, e);
	}
	if (json_object_get(j->ax->pending, key) && step_looked_up(step_op(j))) {
		log_verbose("application %s: %s was interrupted: looking it up first", j->app,
			    step_op(j));
		return job_lookup(j, e);
	}
	return job_send(j, e);
}

/* ---------------------------------------------------------- the window */

/* Whether an operation is a hire to write; its id when so (borrowed). */
const char *apply_op_work(const json_t *op)
{
	const char *a = json_get_str(op, "action");

	if (!a || (strcmp(a, "create") != 0 && strcmp(a, "change") != 0) ||
	    !json_array_size(json_get_arr(op, "steps")))
		return NULL;
	return json_get_str(op, "id");
}

/* Start the hire of operation `op` (stolen) in a free slot. */
static int job_start(struct applier *ax, json_t *op, struct err *e)
{
	struct hire_job *j = xcalloc(1, sizeof(*j));
	const json_t *fids;
	int rc;

	j->ax = ax;
	j->op = op;
	j->app = json_get_str(op, "id");
	j->name = json_get_str(op, "name") ? json_get_str(op, "name") : "";
	j->email = json_get_str(op, "personalEmail");
	j->action = json_get_str(op, "action");
	j->steps = json_get_arr(op, "steps");
	for (j->slot = 0; ax->slots[j->slot]; j->slot++)
		;
	ax->slots[j->slot] = j;
	ax->active++;
	if ((rc = ledger_get(ax->ledger, j->app, &j->en, e)) < 0)
		return rc;
	if (json_get_str(j->en, "personId"))
		j->person_id = xstrdup(json_get_str(j->en, "personId"));
	else if (json_get_str(op, "personId"))
		j->person_id = xstrdup(json_get_str(op, "personId"));
	fids = json_get_arr(j->en, "fileIds");
	if (json_array_size(fids))
		j->file_id =
			xstrdup(json_string_value(json_array_get(fids, json_array_size(fids) - 1)));
	if (apply_entry_of_plan(j->en, ax->prid) &&
	    json_is_integer(json_object_get(j->en, "stepsDone")))
		j->next = (size_t)json_integer_value(json_object_get(j->en, "stepsDone"));
	return job_advance(j, e);
}

/*
 * Start the plan's next hires while slots are free. A hire that ends at once
 * (nothing left to do) calls back in here through job_end: that inner call
 * returns at once and this loop fills the slot, so the stack stays shallow.
 */
int apply_feed(struct applier *ax, struct err *e)
{
	json_t *op = NULL;
	int rc = 0;

	if (ax->feeding)
		return 0;
	ax->feeding = true;
	while (ax->active < ax->window) {
		if ((rc = rec_reader_next(ax->ops, &op, NULL, e)) <= 0)
			break;
		if (!apply_op_work(op)) {
			json_decref(op);
			continue;
		}
		if ((rc = job_start(ax, op, e)) < 0)
			break;
	}
	ax->feeding = false;
	return rc < 0 ? rc : 0;
}
