#include "config.h"

#include "stages/transform.h"

#include <stdio.h>
#include <string.h>

#include "base/jsonutil.h"
#include "base/log.h"
#include "store/records.h"
#include "store/snapshot.h"
#include "store/staging.h"
#include "stages/run.h"
#include "stages/transform/transform-int.h"

const char *const transform_inputs[] = { "applications", "candidates", "offers", "jobs",
					 "departments",	 "locations",  "users",	 "custom_fields",
					 "state",	 NULL };

/* ------------------------------------------------------------------ */
/* CSV views                                                           */

static const char *path_str(const json_t *rec, const char *path)
{
	return json_string_value(json_get_path(rec, path));
}

static const char *const hires_header[] = {
	"application_id", "first_name",	   "middle_name",     "last_name",  "personal_email",
	"personal_phone", "start_date",	   "job_title",	      "department", "reporting_to_email",
	"location",	  "salary_amount", "salary_currency", "review",	    NULL
};
static const char *const hires_paths[] = { "id",
					   "person.firstName",
					   "person.middleName",
					   "person.lastName",
					   "person.personalEmail",
					   "person.personalPhoneNumber",
					   "person.employmentStartDate",
					   "jobRole.jobTitle",
					   "jobRole.department",
					   "reportingTo.email",
					   "location.name",
					   "salary.amount",
					   "salary.currency",
					   "review",
					   NULL };
static const char *const rejects_header[] = { "application_id", "candidate", "fields", "reason",
					      NULL };
static const char *const rejects_cols[] = { "id", "candidate", "fields", "reason", NULL };

static void csv_row_strings(struct csv_writer *w, const char *const *cells)
{
	size_t k;

	for (k = 0; cells[k]; k++)
		csv_writer_field(w, cells[k]);
	csv_writer_end_row(w);
}

static void hires_csv_row(struct csv_writer *w, const json_t *rec)
{
	size_t k;

	for (k = 0; hires_paths[k]; k++)
		csv_writer_field(w, path_str(rec, hires_paths[k]));
	csv_writer_end_row(w);
}

static void rejects_csv_row(struct csv_writer *w, const json_t *rec)
{
	size_t k;

	for (k = 0; rejects_cols[k]; k++)
		csv_writer_field(w, json_get_str(rec, rejects_cols[k]));
	csv_writer_end_row(w);
}

void transform_hires_csv(const json_t *new_hires, struct buf *out)
{
	struct csv_writer w;
	json_t *rec;
	size_t i;

	csv_writer_init(&w);
	csv_row_strings(&w, hires_header);
	json_array_foreach (new_hires, i, rec)
		hires_csv_row(&w, rec);
	buf_add(out, w.out.data, w.out.len);
	csv_writer_release(&w);
}

void transform_rejects_csv(const json_t *rejects, struct buf *out)
{
	struct csv_writer w;
	json_t *rec;
	size_t i;

	csv_writer_init(&w);
	csv_row_strings(&w, rejects_header);
	json_array_foreach (rejects, i, rec)
		rejects_csv_row(&w, rec);
	buf_add(out, w.out.data, w.out.len);
	csv_writer_release(&w);
}

/* Append what `w` holds to `out` and empty it. */
static int csv_flush(struct csv_writer *w, struct rec_writer *out, struct err *e)
{
	int rc = rec_writer_text(out, w->out.data, w->out.len, e);

	buf_reset(&w->out);
	return rc;
}

int transform_write(struct staging *s, const struct pipeline *p, const struct overrides *ov,
		    struct transform_summary *sum, struct buf *body, struct err *e)
{
	struct app_stream as = { NULL, NULL, 0, 0, NULL };
	struct app_sources src;
	struct transform_ctx *c = NULL;
	struct rec_writer *wj = NULL, *wh = NULL, *wr = NULL;
	struct csv_writer ch, cr;
	json_t *refs = NULL, *named = json_array(), *app = NULL, *rec = NULL;
	int rc;

	memset(sum, 0, sizeof(*sum));
	memset(&src, 0, sizeof(src));
	csv_writer_init(&ch);
	csv_writer_init(&cr);
	rc = rec_reader_open(s, "extract/applications.json", NULL, &as.r, e);
	if (rc == ERR_NOTFOUND)
		rc = err_set(e, ERR_NOTFOUND,
			     "extract/applications.json not found: run 'ashby2humaans extract' "
			     "first");
	if (rc < 0)
		goto out;
	if ((rc = app_sources_init(&src, s, e)) < 0 ||
	    (rc = transform_load_refs(s, &refs, e)) < 0 ||
	    (rc = transform_ctx_new(&c, p, refs, ov, e)) < 0 ||
	    (rc = app_stream_scan(&as, ov, sum, named, e)) < 0)
		goto out;

	if ((rc = rec_writer_begin(s, "transform/new_hires.json", &wj, e)) < 0 ||
	    (rc = rec_writer_begin_text(s, "transform/new_hires.csv", &wh, e)) < 0 ||
	    (rc = rec_writer_begin_text(s, "transform/rejects.csv", &wr, e)) < 0)
		goto out;
	csv_row_strings(&ch, hires_header);
	csv_row_strings(&cr, rejects_header);
	while ((rc = app_stream_next(&as, &app, e)) == 1) {
		if ((rc = transform_map_sourced(c, &src, app, &rec, e)) < 0)
			goto out;
		if (rc == 1) {
			sum->hires++;
			sum->review += json_object_get(rec, "review") != NULL;
			hires_csv_row(&ch, rec);
			if ((rc = rec_writer_add(wj, rec, e)) < 0 ||
			    (rc = csv_flush(&ch, wh, e)) < 0)
				goto out;
		} else {
			sum->rejects++;
			log_warn("transform: set aside %s (%s): %s", json_get_str(rec, "id"),
				 json_get_str(rec, "candidate"), json_get_str(rec, "reason"));
			rejects_csv_row(&cr, rec);
			if ((rc = csv_flush(&cr, wr, e)) < 0)
				goto out;
		}
		json_decref(rec);
		json_decref(app);
		rec = app = NULL;
	}
	if (rc < 0 || (rc = csv_flush(&ch, wh, e)) < 0 || (rc = csv_flush(&cr, wr, e)) < 0)
		goto out;
	rc = rec_writer_finish(wj, NULL, e);
	wj = NULL;
	if (rc == 0)
		rc = rec_writer_finish(wh, NULL, e);
	wh = NULL;
	if (rc == 0)
		rc = rec_writer_finish(wr, NULL, e);
	wr = NULL;
	if (rc < 0)
		goto out;

	if (overrides_count(ov)) {
		buf_adds(body, "Overrides applied (overrides.csv):\n");
		sum->unmatched = overrides_describe(ov, named, body);
	}
out:
	rec_writer_abort(wj);
	rec_writer_abort(wh);
	rec_writer_abort(wr);
	json_decref(rec);
	json_decref(app);
	json_decref(named);
	json_decref(refs);
	csv_writer_release(&ch);
	csv_writer_release(&cr);
	transform_ctx_free(c);
	app_sources_release(&src);
	app_stream_release(&as);
	return rc;
}

int transform_stage(struct run *r, struct err *e)
{
	struct buf text = BUF_INIT, body = BUF_INIT;
	struct pipeline *p = NULL;
	struct overrides *ov = NULL;
	struct transform_summary sum;
	static const char *const paths[] = { "transform/", NULL };
	char subject[128], nh[32], nr[32], nrev[32], oid[41];
	struct trailer tr[4];
	bool committed = false;
	int rc;

	if ((rc = staging_read(r->stg, "pipeline.json", &text, e)) < 0)
		goto out;
	if ((rc = pipeline_parse(&p, text.data, text.len, "pipeline.json", e)) < 0)
		goto out;
	buf_reset(&text);
	rc = staging_read(r->stg, "overrides.csv", &text, e);
	if (rc == 0)
		rc = overrides_parse(&ov, text.data, text.len, "overrides.csv", e);
	else if (rc == ERR_NOTFOUND) {
		err_clear(e);
		rc = 0;
	}
	if (rc < 0)
		goto out;
	if ((rc = transform_write(r->stg, p, ov, &sum, &body, e)) < 0)
		goto out;
	if (sum.unmatched)
		log_warn("transform: %zu override(s) in overrides.csv match no hired application",
			 sum.unmatched);

	snprintf(subject, sizeof(subject), "transform: %zu hires, %zu set aside, %zu to review",
		 sum.hires, sum.rejects, sum.review);
	snprintf(nh, sizeof(nh), "%zu", sum.hires);
	snprintf(nr, sizeof(nr), "%zu", sum.rejects);
	snprintf(nrev, sizeof(nrev), "%zu", sum.review);
	tr[0] = (struct trailer){ "Hires", nh };
	tr[1] = (struct trailer){ "Rejected", nr };
	tr[2] = (struct trailer){ "Review", nrev };
	tr[3] = (struct trailer){ "Pipeline-Sha256", pipeline_sha256_hex(p) };
	if ((rc = staging_commit(r->stg, paths, "transform", r->id, subject,
				 body.len ? body.data : NULL, tr, 4, oid, &committed, e)) < 0)
		goto out;
	if (committed)
		r->committed = true;
	r->counts.extracted = (long)sum.hired;
	r->counts.rejected = (long)sum.rejects;
	run_stage_done(r, "transform");
	log_info("transform: %zu hires, %zu set aside, %zu to review%s", sum.hires, sum.rejects,
		 sum.review, committed ? "" : " (unchanged)");
out:
	overrides_free(ov);
	pipeline_free(p);
	buf_release(&body);
	buf_release(&text);
	return rc;
}
