#include "config.h"

#include "stages/plan/plan-int.h"
#include "stages/plan/plan-departures.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "apis/http.h"
#include "base/jsonutil.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "stages/review.h"
#include "stages/run.h"
#include "store/journal.h"
#include "store/ledger.h"
#include "store/records.h"
#include "store/rejects.h"
#include "store/staging.h"
#include "store/tombstones.h"

/*
 * Mark in the (in-memory) ledger the hires whose createPerson the journal
 * leaves unsettled ("createUncertain": true), so plan_hire adopts their person
 * rather than calling it a conflict.
 */
static int mark_uncertain_creates(struct staging *s, json_t *ledger, struct err *e)
{
	json_t *apps = NULL, *v;
	const char *app;
	int rc = journal_uncertain_creates(s, &apps, e);

	if (rc < 0)
		return rc;
	json_object_foreach (apps, app, v) {
		json_t *en = json_object_get(ledger, app);

		if (json_get_str(en, "personId"))
			continue;
		if (!en) {
			en = json_object();
			json_object_set_new(ledger, app, en);
		}
		json_object_set_new(en, "createUncertain", json_true());
	}
	json_decref(apps);
	return 0;
}

/*
 * load/ledger.json with the pending lines folded in, as planning sees it (new
 * object, application -> entry), read through ledger.c an entry at a time.
 * Of each entry only what planning reads is kept (personId, documentIds,
 * createUncertain, planRunId): the other ids and stepsDone are dropped as it
 * is read, so the ledger's id lists are never held whole. Nor is a stored
 * base (a few kilobytes of jansson per hire): the entry says "baseStored"
 * (plan_hire reads it again through the ledger, *out, left open for it) and
 * keeps the name its base gives ("baseName", for plan-departures.c).
 */
static int view_entry(void *ctx, const char *app, json_t *en, struct err *e)
{
	static const char *const keep[] = { "personId", "documentIds", "createUncertain",
					    "planRunId" };
	const json_t *base = json_get_obj(en, "base");
	const json_t *person = json_get_obj(base, "person");
	const char *fn = json_get_str(person, "firstName"), *ln = json_get_str(person, "lastName");
	char *name = fn || ln ? xasprintf("%s%s%s", fn ? fn : "", fn && ln ? " " : "", ln ? ln : "")
			      : NULL;
	const char *k;
	json_t *v;
	void *tmp;
	size_t i;

	(void)e;
	json_object_foreach_safe (en, tmp, k, v) {
		(void)v;
		if (strcmp(k, "base") == 0 && base)
			continue;
		for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
			if (strcmp(k, keep[i]) == 0)
				break;
		if (i == sizeof(keep) / sizeof(keep[0]))
			json_object_del(en, k);
	}
	if (base) {
		json_object_del(en, "base");
		json_object_set_new(en, "baseStored", json_true());
		if (name)
			json_object_set_new(en, "baseName", json_string(name));
	}
	free(name);
	json_object_set((json_t *)ctx, app, en);
	return 0;
}

static int ledger_view(struct staging *s, struct ledger **l, json_t **out, struct err *e)
{
	json_t *view = json_object();
	int rc = ledger_open(s, l, e);

	if (rc == 0)
		rc = ledger_each(*l, view_entry, view, e);
	if (rc < 0) {
		json_decref(view);
		view = NULL;
	}
	*out = view;
	return rc;
}

/*
 * The stage holds one hire at a time. transform/new_hires.json is read three
 * times: once for what the hires need read from Humaans, once to plan every
 * hire for the basis (plan.json's first member: the Humaans records relied on
 * and the emails planned to be created), keeping only an (id, offset) entry
 * for each hire that has an operation, and once more, by those entries in id
 * order, to plan each such hire again and write its operation to plan.json,
 * plan.txt and changes.csv. Planning is deterministic, so the second planning
 * gives the operation the first one found; the Humaans data, the ledger and
 * the rejects are read once and held.
 */
struct op_entry {
	char *id;   /* owned */
	long off;   /* where the hire starts in new_hires.json */
	size_t pos; /* its place in the file, to keep equal ids in file order */
};

static int op_entry_cmp(const void *a, const void *b)
{
	const struct op_entry *x = a, *y = b;
	int c = strcmp(x->id, y->id);

	return c ? c : (x->pos < y->pos ? -1 : x->pos > y->pos);
}

static int open_hires(struct staging *s, struct rec_reader **out, struct err *e)
{
	int rc = rec_reader_open(s, NEW_HIRES, NULL, out, e);

	if (rc == ERR_NOTFOUND)
		return err_set(e, ERR_NOTFOUND, "no " NEW_HIRES ": run 'transform' first");
	if (rc == ERR_INVALID)
		return err_set(e, ERR_INVALID, NEW_HIRES " is not an array");
	return rc;
}

/*
 * The first read: what the hires need from Humaans (and which of its fields,
 * into `keep`), how many there are, the person ids the ledger gives them (in
 * file order, new array) and the hires' application ids (into `ids`, id ->
 * true).
 */
static int scan_hires(struct rec_reader *rd, const json_t *ledger, struct plan_needs *needs,
		      struct plan_keep *keep, size_t *n, json_t **pids, json_t *ids, struct err *e)
{
	json_t *h = NULL;
	int rc;

	memset(needs, 0, sizeof(*needs));
	*n = 0;
	*pids = json_array();
	while ((rc = rec_reader_next(rd, &h, NULL, e)) == 1) {
		const char *id = json_get_str(h, "id");
		const char *pid = id ? json_get_str(json_object_get(ledger, id), "personId") : NULL;

		plan_needs_add(h, needs);
		plan_keep_hire(keep, h);
		if (id)
			json_object_set_new(ids, id, json_true());
		if (pid)
			json_array_append_new(*pids, json_string(pid));
		(*n)++;
		json_decref(h);
	}
	if (rc == 0)
		rc = rec_reader_rewind(rd, e);
	if (rc < 0) {
		json_decref(*pids);
		*pids = NULL;
	}
	return rc;
}

/*
 * Humaans as the hires need it, into `hs` (request for request what the
 * whole-array planner read), streamed: each record is fingerprinted as its
 * page arrives and only what `keep` chooses is held (plan-keep.c).
 */
static int read_humaans(struct run *r, const struct plan_needs *needs, const json_t *pids,
			struct plan_keep *keep, struct hstate *hs, struct err *e)
{
	struct http_client *hc;
	struct hstate_keep hooks;
	json_t *ids = json_array(), *by_id = NULL, *v;
	size_t i;
	int rc;

	plan_keep_hooks(keep, hs, &hooks);
	hstate_stream_init(hs, &hooks, NULL);
	if ((rc = run_humaans(r, &hc, e)) < 0)
		goto out;
	if ((rc = hstate_read(hs, hc, "people", e)) < 0)
		goto out;
	if (needs->locations && (rc = hstate_read(hs, hc, "locations", e)) < 0)
		goto out;
	if (needs->compensations && (rc = hstate_read(hs, hc, "compensation-types", e)) < 0)
		goto out;
	if (needs->documents && (rc = hstate_read(hs, hc, "document-types", e)) < 0)
		goto out;
	if (needs->custom_fields && (rc = hstate_read(hs, hc, "custom-fields", e)) < 0)
		goto out;
	/* The ledger-known people that still exist (plan_detail_ids). */
	by_id = plan_index_by(hs->people, "id", false);
	json_array_foreach (pids, i, v)
		if (json_object_get(by_id, json_string_value(v)))
			json_array_append(ids, v);
	json_decref(by_id);
	by_id = NULL;
	if (json_array_size(ids)) {
		if ((rc = hstate_read_sets(hs, hc, "job-roles", ids, e)) < 0)
			goto out;
		if (needs->compensations &&
		    (rc = hstate_read_sets(hs, hc, "compensations", ids, e)) < 0)
			goto out;
		if (needs->custom_fields &&
		    (rc = hstate_read_sets(hs, hc, "custom-values", ids, e)) < 0)
			goto out;
	}
out:
	json_decref(by_id);
	json_decref(ids);
	return rc;
}

/*
 * The second read: plan every hire for the basis; *entries (caller frees
 * each id and the array) gets the hires that have an operation.
 */
static int plan_pass_basis(struct planner *p, struct rec_reader *rd, struct op_entry **entries,
			   size_t *n, struct err *e)
{
	struct op_entry *v = NULL;
	size_t cap = 0, pos = 0;
	json_t *h = NULL, *op = NULL;
	long off;
	int rc;

	*n = 0;
	while ((rc = rec_reader_next(rd, &h, &off, e)) == 1) {
		if (!json_is_object(h)) {
			rc = err_set(e, ERR_INVALID, NEW_HIRES ": record %zu is not an object",
				     pos);
			break;
		}
		if ((rc = plan_hire(p, h, &op)) < 0)
			break;
		if (op) {
			if (*n == cap) {
				cap = cap ? 2 * cap : 256;
				v = xrealloc(v, cap * sizeof(*v));
			}
			v[*n].id = xstrdup(json_get_str(h, "id"));
			v[*n].off = off;
			v[*n].pos = pos;
			(*n)++;
		}
		json_decref(op);
		op = NULL;
		json_decref(h);
		h = NULL;
		pos++;
	}
	json_decref(h);
	*entries = v;
	if (rc < 0)
		return rc;
	if (*n)
		qsort(v, *n, sizeof(*v), op_entry_cmp);
	return 0;
}

/* The third read: plan the hires of `entries` again, in id order, and write their operations. */
static int plan_pass_write(struct planner *p, struct rec_reader *rd, const struct op_entry *entries,
			   size_t n, struct plan_out *po, struct plan_summary *sum, struct err *e)
{
	json_t *h = NULL, *op = NULL;
	size_t i;
	int rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		if ((rc = rec_reader_at(rd, entries[i].off, &h, e)) < 0)
			break;
		if ((rc = plan_hire(p, h, &op)) < 0)
			break;
		if (!op) {
			rc = err_set(e, ERR_FAIL, "hire '%s' planned twice with different outcomes",
				     entries[i].id);
			break;
		}
		/* The emails were gathered the first time round. */
		json_array_clear(p->absent);
		plan_count_op(op, sum);
		rc = plan_out_op(po, op, e);
		json_decref(op);
		op = NULL;
		json_decref(h);
		h = NULL;
	}
	json_decref(op);
	json_decref(h);
	return rc;
}

/* The hires that left Hired (plan-departures.h), after the hires' own operations. */
static int plan_pass_departures(struct staging *s, const json_t *ledger, const json_t *ids,
				const json_t *rejects, struct plan_out *po,
				struct plan_summary *sum, struct err *e)
{
	json_t *ops = NULL, *op;
	size_t i;
	int rc = plan_departures_read(s, ledger, ids, rejects, &ops, e);

	json_array_foreach (ops, i, op) {
		if (rc < 0)
			break;
		plan_count_op(op, sum);
		rc = plan_out_op(po, op, e);
	}
	json_decref(ops);
	if (rc == 0 && sum->left_hired)
		log_warn("plan: %ld created %s no longer Hired in Ashby: delete or acknowledge "
			 "(plan/plan.txt gives the command)",
			 sum->left_hired, plan_plural(sum->left_hired, "hire is", "hires are"));
	return rc;
}

/*
 * The hires `forget` erased (load/tombstones.json): one "forgotten" operation
 * each, in id order, so the plan says why they are neither created nor changed.
 */
static int plan_pass_forgotten(struct staging *s, struct plan_out *po, struct err *e)
{
	json_t *t = NULL, *op;
	const char **ids;
	size_t i, n;
	int rc = tombstones_load(s, &t, e);

	if (rc < 0)
		return rc;
	ids = tombstones_ids(t, &n);
	for (i = 0; i < n && rc == 0; i++) {
		op = json_pack("{s:s, s:s, s:s?}", "action", "forgotten", "id", ids[i],
			       "forgottenOn", json_get_str(json_object_get(t, ids[i]), "date"));
		rc = plan_out_op(po, op, e);
		json_decref(op);
	}
	free(ids);
	json_decref(t);
	return rc;
}

/* Commit plan/ with the counts as trailers; *committed is false when nothing changed. */
static int plan_commit(struct run *r, const struct plan_summary *sum, bool *committed,
		       struct err *e)
{
	static const char *const paths[] = { "plan/", NULL };
	char c1[32], c2[32], c3[32], c4[32], c5[32], c6[32], c7[32], oid[41];
	struct trailer tr[7];
	size_t n = 5;
	char *subject;
	int rc;

	snprintf(c1, sizeof(c1), "%ld", sum->creates);
	snprintf(c2, sizeof(c2), "%ld", sum->changes);
	snprintf(c3, sizeof(c3), "%ld", sum->conflicts);
	snprintf(c4, sizeof(c4), "%ld", sum->rejects);
	snprintf(c5, sizeof(c5), "%ld", sum->warnings);
	tr[0] = (struct trailer){ "Creates", c1 };
	tr[1] = (struct trailer){ "Changes", c2 };
	tr[2] = (struct trailer){ "Conflicts", c3 };
	tr[3] = (struct trailer){ "Set-Aside", c4 };
	tr[4] = (struct trailer){ "Warnings", c5 };
	/* Only when there are any: run must not skip a plan that waits on a person. */
	snprintf(c6, sizeof(c6), "%ld", sum->field_conflicts);
	if (sum->field_conflicts)
		tr[n++] = (struct trailer){ "Field-Conflicts", c6 };
	snprintf(c7, sizeof(c7), "%ld", sum->left_hired);
	if (sum->left_hired)
		tr[n++] = (struct trailer){ "Left-Hired", c7 };
	subject = xasprintf("plan: %ld to create, %ld to change, %ld %s, %ld set aside",
			    sum->creates, sum->changes, sum->conflicts,
			    plan_plural(sum->conflicts, "conflict", "conflicts"), sum->rejects);
	rc = staging_commit(r->stg, paths, "plan", r->id, subject, NULL, tr, n, oid, committed, e);
	free(subject);
	return rc;
}

/* The basis of the plan: what the planner relied on in Humaans, and the files it read. */
static json_t *plan_basis_of_files(struct planner *p, const char *extract, const char *tsha,
				   const char *psha, const char *osha)
{
	json_t *basis = planner_basis(p);

	json_object_set_new(basis, "extractCommit", extract ? json_string(extract) : json_null());
	json_object_set_new(basis, "transformSha256", json_string(tsha));
	json_object_set_new(basis, "pipelineSha256", json_string(psha));
	json_object_set_new(basis, "overridesSha256", json_string(osha));
	json_array_clear(p->absent);
	return basis;
}

/* The run's counts from the plan, plan.txt on stdout (unless -q) and the closing log line. */
static int plan_report(struct run *r, const struct plan_opts *o, const struct plan_summary *sum,
		       const json_t *rejects, struct err *e)
{
	int rc;

	if (sum->committed)
		r->committed = true;
	r->counts.planned = sum->creates + sum->changes;
	r->counts.conflicts = sum->conflicts;
	r->counts.rejected = sum->rejects;
	r->counts.left_hired = sum->left_hired;
	run_stage_done(r, "plan");
	if (!o || o->print) {
		bool color = o && (o->color > 0 || (o->color < 0 && isatty(STDOUT_FILENO)));

		if ((rc = plan_print(r->stg, color, sum, rejects, e)) < 0)
			return rc;
	}
	log_info("plan: %ld to create, %ld to change, %ld %s, %ld set aside%s", sum->creates,
		 sum->changes, sum->conflicts, plan_plural(sum->conflicts, "conflict", "conflicts"),
		 sum->rejects, sum->committed ? "" : " (unchanged)");
	return 0;
}

int plan_stage(struct run *r, const struct plan_opts *o, struct plan_summary *out, struct err *e)
{
	struct hstate hs;
	struct plan_summary sum;
	struct plan_needs needs;
	struct plan_keep keep;
	struct planner p;
	struct plan_out po;
	struct rec_reader *rd = NULL;
	struct op_entry *entries = NULL;
	struct ledger *lg = NULL;
	size_t nhires = 0, nentries = 0, i;
	json_t *rejects = NULL, *ledger = NULL, *pids = NULL, *basis = NULL, *ids = json_object();
	char tsha[65], psha[65], osha[65], extract[41], today[16];
	time_t now = time(NULL);
	struct tm tm;
	bool committed = false, have_extract, stop_at_start = false;
	int rc;

	memset(&hs, 0, sizeof(hs));
	memset(&p, 0, sizeof(p));
	memset(&sum, 0, sizeof(sum));
	plan_keep_init(&keep);
	plan_out_init(&po);
	rc = staging_sha256(r->stg, NEW_HIRES, tsha, NULL, e);
	if (rc == ERR_NOTFOUND) {
		err_set(e, ERR_NOTFOUND, "no " NEW_HIRES ": run 'transform' first");
		goto out;
	}
	if (rc < 0 || (rc = open_hires(r->stg, &rd, e)) < 0)
		goto out;
	if ((rc = staging_sha256(r->stg, "pipeline.json", psha, NULL, e)) < 0 ||
	    (rc = plan_departures_overrides_sha(r->stg, osha, e)) < 0)
		goto out;
	if ((rc = rejects_read(r->stg, &rejects, e)) < 0 ||
	    (rc = ledger_view(r->stg, &lg, &ledger, e)) < 0 ||
	    (rc = mark_uncertain_creates(r->stg, ledger, e)) < 0 ||
	    (rc = plan_derive_bases(r->stg, ledger, e)) < 0 ||
	    (rc = plan_read_sync(r->stg, &stop_at_start, e)) < 0)
		goto out;
	rc = staging_find_stage(r->stg, "extract", extract, NULL, 0, e);
	have_extract = rc == 0;
	if (rc == ERR_NOTFOUND)
		err_clear(e);
	else if (rc < 0)
		goto out;

	if ((rc = scan_hires(rd, ledger, &needs, &keep, &nhires, &pids, ids, e)) < 0)
		goto out;
	/* Read Humaans only when there is something to match. */
	if (nhires && (rc = read_humaans(r, &needs, pids, &keep, &hs, e)) < 0)
		goto out;
	json_decref(pids);
	pids = NULL;
	gmtime_r(&now, &tm);
	strftime(today, sizeof(today), "%Y-%m-%d", &tm);

	planner_init(&p, ledger, &hs, today, e);
	p.lg = lg;
	p.stop_at_start = stop_at_start;
	err_clear(e);
	if ((rc = plan_pass_basis(&p, rd, &entries, &nentries, e)) < 0)
		goto out;
	basis = plan_basis_of_files(&p, have_extract ? extract : NULL, tsha, psha, osha);

	if ((rc = plan_out_begin(r->stg, &po, basis, e)) < 0)
		goto out;
	json_decref(basis);
	basis = NULL;
	if ((rc = plan_pass_write(&p, rd, entries, nentries, &po, &sum, e)) < 0)
		goto out;
	/* Planning is over: what it held goes before the review page and the commit. */
	planner_release(&p);
	hstate_release(&hs);
	ledger_free(lg);
	lg = NULL;
	if ((rc = plan_pass_departures(r->stg, ledger, ids, rejects, &po, &sum, e)) < 0 ||
	    (rc = plan_pass_forgotten(r->stg, &po, e)) < 0)
		goto out;
	sum.rejects = (long)json_array_size(rejects);
	json_decref(ledger);
	ledger = NULL;
	json_decref(ids);
	ids = NULL;
	if ((rc = plan_out_finish(&po, &sum, rejects, e)) < 0 || (rc = review_stage(r, e)) < 0)
		goto out;
	sum.read_humaans = nhires > 0;
	if ((rc = plan_commit(r, &sum, &committed, e)) < 0)
		goto out;
	sum.committed = committed;
	if ((rc = plan_report(r, o, &sum, rejects, e)) < 0)
		goto out;
	if (out)
		*out = sum;
out:
	json_decref(ids);
	plan_out_release(&po);
	for (i = 0; i < nentries; i++)
		free(entries[i].id);
	free(entries);
	planner_release(&p);
	rec_reader_close(rd);
	json_decref(basis);
	json_decref(pids);
	json_decref(rejects);
	json_decref(ledger);
	ledger_free(lg);
	hstate_release(&hs);
	plan_keep_release(&keep);
	return rc;
}
