/*
 * review-notify: the one message posted when `run` or `apply` ends needing a
 * person (ASHBY2HUMAANS_NOTIFY_URL, apis/notify.h). By default it names hires by
 * application id only: no names, emails, phones or salaries (a chat channel is
 * not the HR system); ASHBY2HUMAANS_NOTIFY_NAMES=1 adds the names.
 */
#include "config.h"

#include <string.h>

#include "apis/notify.h"
#include "base/jsonutil.h"
#include "base/log.h"
#include "base/settings.h"
#include "base/text.h"
#include "stages/review/review-int.h"
#include "stages/run.h"
#include "store/records.h"

/* Application ids listed per kind of work before "and N more". */
#define NOTIFY_LIST_MAX 20

struct worklist {
	struct buf ids;
	long n;
};

struct notice {
	struct rv_counts c; /* from plan.json, when the run reached its plan */
	bool have_plan;
	struct worklist conflicts, left, set_aside;
};

static void work_add(struct worklist *w, const char *id, const char *name, bool names)
{
	if (w->n++ >= NOTIFY_LIST_MAX)
		return;
	if (w->ids.len)
		buf_adds(&w->ids, ", ");
	text_escape(&w->ids, id ? id : "?", id ? strlen(id) : 1, TEXT_SHOW_MAX);
	if (names && name && *name) {
		buf_adds(&w->ids, " (");
		text_escape(&w->ids, name, strlen(name), TEXT_SHOW_MAX);
		buf_addc(&w->ids, ')');
	}
}

/* The counts and the application ids that need a person, from plan/plan.json. */
static int notice_read_plan(struct run *r, struct notice *n, struct err *e)
{
	struct rec_reader *rd = NULL;
	struct rv_index ix;
	json_t *op = NULL, *rejects = NULL, *x;
	bool names = r->cfg->notify_names;
	size_t i;
	int rc;

	memset(&ix, 0, sizeof(ix));
	if ((rc = rec_reader_open(r->stg, "plan/plan.json", "operations", &rd, e)) < 0)
		return rc;
	while ((rc = rec_reader_next(rd, &op, NULL, e)) == 1) {
		const char *a = json_get_str(op, "action");
		enum rv_section s = rv_section_of(op);

		rv_index_add(&ix, op, 0);
		if (s == RV_CONFLICTS)
			work_add(&n->conflicts, rv_op_id(op), json_get_str(op, "name"), names);
		else if (a && strcmp(a, "left-hired") == 0 &&
			 !json_is_true(json_object_get(op, "acknowledged")))
			work_add(&n->left, rv_op_id(op), json_get_str(op, "name"), names);
		json_decref(op);
		op = NULL;
	}
	rec_reader_close(rd);
	if (rc == 0 &&
	    (rc = rec_read_member(r->stg, "plan/plan.json", "rejects", &rejects, e)) == 0)
		json_array_foreach (rejects, i, x)
			work_add(&n->set_aside, rv_op_id(x), json_get_str(x, "candidate"), names);
	json_decref(rejects);
	n->c = ix.c;
	n->c.set_aside = n->set_aside.n;
	n->have_plan = rc == 0;
	rv_index_release(&ix);
	return rc;
}

static void todo_line(struct buf *t, const struct worklist *w, const char *what, const char *fix)
{
	if (!w->n)
		return;
	buf_addf(t, "- %ld %s: %s", w->n, what, w->ids.data);
	if (w->n > NOTIFY_LIST_MAX)
		buf_addf(t, " and %ld more", w->n - NOTIFY_LIST_MAX);
	buf_addf(t, ". %s\n", fix);
}

static void notice_text(const struct run *r, int status, const struct notice *n, struct buf *t)
{
	const struct run_counts *c = &r->counts;
	long conflicts =
		n->have_plan ? n->c.conflicts + n->c.field_conflicts + n->c.other : c->conflicts;

	buf_addf(t, "ashby2humaans: %s %s needs a person (exit status %d", r->command, r->id,
		 status);
	if (status == EXIT_FAILURE_)
		buf_addf(t, ", failed after stage %s",
			 r->stage_reached[0] ? r->stage_reached : "none");
	buf_adds(t, ").\n");
	buf_addf(t, "Counts: %ld hires found, ", c->extracted + c->owed_unstaged);
	if (n->have_plan)
		buf_addf(t, "%ld to create, %ld to change, ", n->c.creates, n->c.changes);
	buf_addf(t,
		 "%ld conflicts, %ld left Hired, %ld set aside, %ld created, %ld changed, "
		 "%ld failed.\n",
		 conflicts, n->c.left_hired,
		 (n->have_plan ? n->set_aside.n : c->rejected) + c->owed, c->created, c->changed,
		 c->failed);
	buf_adds(t, "To do:\n");
	if (status == EXIT_FAILURE_)
		buf_addf(t, "- the run failed: read why with `ashby2humaans show %s`.\n", r->id);
	todo_line(t, &n->conflicts, "in conflict",
		  "Settle them in Humaans, or with an overrides.csv row.");
	todo_line(
		t, &n->left, "left Hired",
		"Delete with `ashby2humaans delete-new-hire ID` or acknowledge in overrides.csv.");
	todo_line(t, &n->set_aside, "set aside",
		  "Fix them in Ashby or overrides.csv (the page has the row to add).");
	if (c->owed)
		buf_addf(t, "- %ld owed a re-read from Ashby: the next run reads them again.\n",
			 c->owed);
	if (c->failed)
		buf_addf(t, "- %ld failed in apply: the next apply retries them.\n", c->failed);
	buf_addf(t, "Look: `ashby2humaans show %s plan/plan.html`\n", r->id);
}

void review_notify_run(struct run *r, int status)
{
	struct notice n;
	struct buf t = BUF_INIT;
	struct err e = ERR_INIT;
	bool reached_plan;

	if (!r->cfg || !r->cfg->notify_url ||
	    (strcmp(r->command, "run") != 0 && strcmp(r->command, "apply") != 0))
		return;
	memset(&n, 0, sizeof(n));
	reached_plan = strcmp(r->stage_reached, "plan") == 0 ||
		       strcmp(r->stage_reached, "apply") == 0 || strcmp(r->command, "apply") == 0;
	if (reached_plan && notice_read_plan(r, &n, &e) < 0) {
		log_verbose("notify: plan/plan.json not read: %s", e.msg);
		err_clear(&e);
		n.have_plan = false;
	}
	if (status != EXIT_FAILURE_ && status != EXIT_SET_ASIDE && r->counts.conflicts == 0 &&
	    n.conflicts.n == 0 && n.left.n == 0) {
		log_verbose("notify: run %s needs nobody: nothing posted", r->id);
		goto out;
	}
	notice_text(r, status, &n, &t);
	if (notify_post(r->cfg->notify_url, t.data, r->cfg->retry_base_ms, &e) < 0)
		log_warn("notify: %s: the notice of run %s was not delivered (the run's outcome is "
			 "unchanged)",
			 e.msg, r->id);
	else
		log_info("notify: posted the notice of run %s", r->id);
out:
	buf_release(&t);
	buf_release(&n.conflicts.ids);
	buf_release(&n.left.ids);
	buf_release(&n.set_aside.ids);
}

int review_notify_test(const struct config *cfg, struct err *e)
{
	if (!cfg->notify_url)
		return err_set(e, ERR_INVALID, "notify: ASHBY2HUMAANS_NOTIFY_URL is not set");
	return notify_post(cfg->notify_url,
			   "ashby2humaans: a test notification (`check --notify-test`). A nightly "
			   "run or apply that needs a person posts its notice here.",
			   cfg->retry_base_ms, e);
}
