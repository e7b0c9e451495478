#include "config.h"

#include "stages/plan/plan-int.h"

#include <stdio.h>
#include <string.h>

#include "store/staging.h"

void plan_out_init(struct plan_out *po)
{
	memset(po, 0, sizeof(*po));
	csv_writer_init(&po->cw);
	po->line = (struct buf)BUF_INIT;
}

int plan_out_begin(struct staging *s, struct plan_out *po, const json_t *basis, struct err *e)
{
	int rc;

	memset(po, 0, sizeof(*po));
	csv_writer_init(&po->cw);
	po->line = (struct buf)BUF_INIT;
	if ((rc = rec_writer_begin_object(s, "plan/plan.json", &po->json, e)) < 0 ||
	    (rc = rec_writer_member(po->json, "basis", basis, e)) < 0 ||
	    (rc = rec_writer_member_array(po->json, "operations", e)) < 0 ||
	    (rc = rec_writer_begin_text(s, "plan/plan.txt", &po->txt, e)) < 0 ||
	    (rc = rec_writer_begin_text(s, "plan/changes.csv", &po->csv, e)) < 0)
		return rc;
	plan_csv_header(&po->cw);
	return 0;
}

/* Hand what is pending in the line buffers to the text writers. */
static int plan_out_flush(struct plan_out *po, struct err *e)
{
	int rc;

	if ((rc = rec_writer_text(po->txt, po->line.data, po->line.len, e)) < 0 ||
	    (rc = rec_writer_text(po->csv, po->cw.out.data, po->cw.out.len, e)) < 0)
		return rc;
	buf_reset(&po->line);
	buf_reset(&po->cw.out);
	return 0;
}

int plan_out_op(struct plan_out *po, const json_t *op, struct err *e)
{
	int rc = rec_writer_add(po->json, op, e);

	if (rc < 0)
		return rc;
	plan_render_op_text(op, false, &po->line);
	plan_csv_op(&po->cw, op);
	return plan_out_flush(po, e);
}

/* The rejects, plan.txt's closing lines; then every file is put in place. */
int plan_out_finish(struct plan_out *po, const struct plan_summary *sum, const json_t *rejects,
		    struct err *e)
{
	struct rec_writer *w;
	int rc;

	if ((rc = rec_writer_member(po->json, "rejects", rejects, e)) < 0)
		return rc;
	plan_render_tail_text(sum, rejects, &po->line);
	plan_csv_rejects(&po->cw, rejects);
	if ((rc = plan_out_flush(po, e)) < 0)
		return rc;
	w = po->json;
	po->json = NULL;
	if ((rc = rec_writer_finish(w, NULL, e)) < 0)
		return rc;
	w = po->txt;
	po->txt = NULL;
	if ((rc = rec_writer_finish(w, NULL, e)) < 0)
		return rc;
	w = po->csv;
	po->csv = NULL;
	return rec_writer_finish(w, NULL, e);
}

void plan_out_release(struct plan_out *po)
{
	rec_writer_abort(po->json);
	rec_writer_abort(po->txt);
	rec_writer_abort(po->csv);
	csv_writer_release(&po->cw);
	buf_release(&po->line);
	memset(po, 0, sizeof(*po));
}

int plan_print(struct staging *s, bool color, const struct plan_summary *sum, const json_t *rejects,
	       struct err *e)
{
	struct rec_reader *rd = NULL;
	struct buf b = BUF_INIT;
	json_t *op = NULL;
	int rc;

	if (!color) {
		char chunk[65536];
		FILE *f;
		size_t n;

		if ((rc = staging_fopen(s, "plan/plan.txt", &f, e)) < 0)
			return rc;
		while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
			fwrite(chunk, 1, n, stdout);
		if (ferror(f))
			rc = err_set(e, ERR_IO, "reading plan/plan.txt");
		fclose(f);
		return rc;
	}
	if ((rc = rec_reader_open(s, "plan/plan.json", "operations", &rd, e)) < 0)
		return rc;
	while ((rc = rec_reader_next(rd, &op, NULL, e)) == 1) {
		plan_render_op_text(op, true, &b);
		fwrite(b.data, 1, b.len, stdout);
		buf_reset(&b);
		json_decref(op);
		op = NULL;
	}
	if (rc == 0) {
		plan_render_tail_text(sum, rejects, &b);
		fwrite(b.data, 1, b.len, stdout);
	}
	buf_release(&b);
	rec_reader_close(rd);
	return rc;
}
