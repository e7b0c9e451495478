/*
 * review-page: plan/plan.html's sections in order, from an index of plan.json's
 * operations (one record at a time when written from the staged file), and the
 * two ways in: review_render (a plan in memory) and review_write (the stage hook).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/jsonutil.h"
#include "base/xalloc.h"
#include "store/records.h"
#include "store/staging.h"
#include "stages/run.h"
#include "stages/review/review-int.h"

#define PLAN_JSON "plan/plan.json"

static void refs_add(struct rv_refs *r, long ref)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 16;
		r->v = xrealloc(r->v, r->cap * sizeof(*r->v));
	}
	r->v[r->n++] = ref;
}

enum rv_section rv_section_of(const json_t *op)
{
	const char *a = json_get_str(op, "action");

	a = a ? a : "";
	if (strcmp(a, "forgotten") == 0)
		return RV_FORGOTTEN;
	if (strcmp(a, "left-hired") == 0 || strcmp(a, "departed") == 0)
		return RV_LEFT;
	if (strcmp(a, "conflict") == 0 || json_array_size(json_get_arr(op, "fieldConflicts")))
		return RV_CONFLICTS;
	if (strcmp(a, "create") == 0)
		return RV_CREATES;
	if (strcmp(a, "change") == 0)
		return RV_CHANGES;
	return RV_CONFLICTS; /* an action this page does not know needs a person's eyes */
}

void rv_index_add(struct rv_index *ix, const json_t *op, long ref)
{
	enum rv_section s = rv_section_of(op);
	const char *a = json_get_str(op, "action");
	struct rv_counts *c = &ix->c;

	a = a ? a : "";
	refs_add(&ix->sec[s], ref);
	if (s == RV_FORGOTTEN)
		c->forgotten++;
	else if (strcmp(a, "left-hired") == 0 && json_is_true(json_object_get(op, "acknowledged")))
		c->acknowledged++;
	else if (strcmp(a, "left-hired") == 0)
		c->left_hired++;
	else if (strcmp(a, "departed") == 0)
		c->departed++;
	else if (strcmp(a, "conflict") == 0)
		c->conflicts++;
	else if (s == RV_CONFLICTS && (strcmp(a, "change") == 0 || strcmp(a, "create") == 0))
		c->field_conflicts++;
	else if (s == RV_CREATES)
		c->creates++;
	else if (s == RV_CHANGES)
		c->changes++;
	else
		c->other++;
	/* A forgotten hire's page names nothing but its id. */
	if (s != RV_FORGOTTEN && json_array_size(json_get_arr(op, "warnings"))) {
		c->warnings += (long)json_array_size(json_get_arr(op, "warnings"));
		refs_add(&ix->sec[RV_WARNINGS], ref);
	}
}

void rv_index_release(struct rv_index *ix)
{
	int s;

	for (s = 0; s < RV__COUNT; s++)
		free(ix->sec[s].v);
	memset(ix, 0, sizeof(*ix));
}

/* The operations of one section, each read back, rendered and handed on. */
static int section_ops(const struct rv_refs *r, bool warnings, struct buf *b, rv_get_fn get,
		       rv_emit_fn emit, void *ctx, struct err *e)
{
	json_t *op = NULL;
	size_t i;
	int rc = 0;

	for (i = 0; i < r->n && rc == 0; i++) {
		if ((rc = get(ctx, r->v[i], &op, e)) < 0)
			break;
		if (warnings)
			rv_warning_rows(b, op);
		else
			rv_card(b, op);
		json_decref(op);
		op = NULL;
		rc = emit(ctx, b, e);
	}
	return rc;
}

int rv_page(const struct rv_index *ix, const json_t *basis, const json_t *rejects,
	    const struct review_meta *m, rv_get_fn get, rv_emit_fn emit, void *ctx, struct err *e)
{
	struct rv_counts c = ix->c;
	struct buf b = BUF_INIT;
	const json_t *rej;
	size_t i;
	int s, rc;

	c.set_aside = (long)json_array_size(rejects);
	rv_head(&b, m, basis, &c);
	if ((rc = emit(ctx, &b, e)) < 0)
		goto out;
	for (s = 0; s < RV__COUNT && rc == 0; s++) {
		if (s == RV_SETASIDE) {
			rv_section_begin(&b, RV_SETASIDE, c.set_aside);
			json_array_foreach (rejects, i, rej)
				rv_reject_card(&b, rej);
		} else if (s == RV_WARNINGS) {
			rv_section_begin(&b, RV_WARNINGS, c.warnings);
			if (c.warnings)
				buf_adds(&b,
					 "<table class=\"warnings\">\n<thead><tr><th>Application"
					 "</th><th>Name</th><th>Warning</th></tr></thead>\n"
					 "<tbody>\n");
			rc = section_ops(&ix->sec[s], true, &b, get, emit, ctx, e);
			if (c.warnings)
				buf_adds(&b, "</tbody></table>\n");
		} else {
			rv_section_begin(&b, (enum rv_section)s, (long)ix->sec[s].n);
			rc = section_ops(&ix->sec[s], false, &b, get, emit, ctx, e);
		}
		rv_section_end(&b);
		if (rc == 0)
			rc = emit(ctx, &b, e);
	}
	if (rc == 0) {
		rv_tail(&b, m);
		rc = emit(ctx, &b, e);
	}
out:
	buf_release(&b);
	return rc;
}

/* ------------------------------------------------------------- in memory */

struct mem_ctx {
	const json_t *ops;
	struct buf *out;
};

static int mem_get(void *ctx, long ref, json_t **out, struct err *e)
{
	struct mem_ctx *m = ctx;

	(void)e;
	*out = json_incref(json_array_get(m->ops, (size_t)ref));
	return 0;
}

static int mem_emit(void *ctx, struct buf *b, struct err *e)
{
	struct mem_ctx *m = ctx;

	(void)e;
	buf_add(m->out, b->data, b->len);
	buf_reset(b);
	return 0;
}

int review_render(const json_t *plan, const struct review_meta *m, struct buf *out, struct err *e)
{
	struct rv_index ix;
	struct mem_ctx mc = { json_get_arr(plan, "operations"), out };
	const json_t *op;
	size_t i;
	int rc;

	memset(&ix, 0, sizeof(ix));
	json_array_foreach (mc.ops, i, op)
		rv_index_add(&ix, op, (long)i);
	rc = rv_page(&ix, json_get_obj(plan, "basis"), json_get_arr(plan, "rejects"), m, mem_get,
		     mem_emit, &mc, e);
	rv_index_release(&ix);
	return rc;
}

/* ------------------------------------------------------------ staged file */

struct file_ctx {
	struct rec_reader *rd;
	struct rec_writer *w;
};

static int file_get(void *ctx, long ref, json_t **out, struct err *e)
{
	return rec_reader_at(((struct file_ctx *)ctx)->rd, ref, out, e);
}

static int file_emit(void *ctx, struct buf *b, struct err *e)
{
	int rc = rec_writer_text(((struct file_ctx *)ctx)->w, b->data, b->len, e);

	buf_reset(b);
	return rc;
}

/* Whether the page on disk was rendered from plan.json `sha` by this version (its head says). */
static bool page_current(struct staging *s, const struct review_meta *m, const char *sha)
{
	char head[4096], want[256], gen[256];
	struct err e = ERR_INIT;
	FILE *f;
	size_t n;

	if (staging_fopen(s, REVIEW_PAGE, &f, &e) < 0)
		return false;
	n = fread(head, 1, sizeof(head) - 1, f);
	fclose(f);
	head[n] = '\0';
	snprintf(want, sizeof(want), "<meta name=\"ashby2humaans-plan-sha256\" content=\"%s\">",
		 sha);
	snprintf(gen, sizeof(gen), "<meta name=\"generator\" content=\"ashby2humaans %s\">",
		 m->version ? m->version : "");
	return strstr(head, want) && strstr(head, gen);
}

int review_write(struct staging *s, const struct review_meta *m, bool *changed, struct err *e)
{
	struct review_meta mm = *m;
	struct file_ctx fc = { NULL, NULL };
	struct rv_index ix;
	json_t *op = NULL, *basis = NULL, *rejects = NULL;
	char sha[65];
	long off;
	int rc;

	memset(&ix, 0, sizeof(ix));
	if (changed)
		*changed = false;
	if ((rc = staging_sha256(s, PLAN_JSON, sha, NULL, e)) < 0)
		return rc;
	mm.plan_sha256 = sha;
	if (page_current(s, &mm, sha))
		return 0;
	if ((rc = rec_reader_open(s, PLAN_JSON, "operations", &fc.rd, e)) < 0)
		goto out;
	while ((rc = rec_reader_next(fc.rd, &op, &off, e)) == 1) {
		rv_index_add(&ix, op, off);
		json_decref(op);
		op = NULL;
	}
	if (rc < 0)
		goto out;
	if ((rc = rec_read_member(s, PLAN_JSON, "basis", &basis, e)) < 0 ||
	    (rc = rec_read_member(s, PLAN_JSON, "rejects", &rejects, e)) < 0)
		goto out;
	if ((rc = rec_writer_begin_text(s, REVIEW_PAGE, &fc.w, e)) < 0)
		goto out;
	if ((rc = rv_page(&ix, basis, rejects, &mm, file_get, file_emit, &fc, e)) < 0)
		goto out;
	rc = rec_writer_finish(fc.w, changed, e);
	fc.w = NULL;
out:
	rec_writer_abort(fc.w);
	rec_reader_close(fc.rd);
	rv_index_release(&ix);
	json_decref(basis);
	json_decref(rejects);
	return rc;
}

int review_stage(struct run *r, struct err *e)
{
	struct review_meta m = { r->id, NULL, PACKAGE_VERSION, NULL };
	char when[32];
	struct tm tm;

	gmtime_r(&r->started, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	m.time = when;
	return review_write(r->stg, &m, NULL, e);
}
