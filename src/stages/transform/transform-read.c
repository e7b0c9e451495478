#include "config.h"

#include "stages/transform.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/jsonutil.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "store/records.h"
#include "store/snapshot.h"
#include "store/staging.h"
#include "stages/transform/transform-int.h"

/*
 * The stage holds one application (and what it points to) at a time:
 * applications.json is read in file order, which extract writes sorted by id,
 * the order of the outputs; candidates, offers and jobs are re-read by offset
 * through id indexes, and so are the entries of state.json's "files" object.
 * Only the small reference lists (departments, locations, users,
 * custom_fields) are loaded whole. Beyond those, memory grows with the number
 * of hires only by the index entries (an id and an offset each).
 */

/* The members of the "files" object whose '{' was just read: application id -> offset. */
static int files_index_walk(struct files_index *fi, struct err *e)
{
	struct rec_members *m = rec_members_begin(fi->f, "extract/state.json: files");
	const char *id;
	long at;
	int rc;

	while ((rc = rec_members_next(m, &id, &at, e)) == 1)
		json_object_set_new(fi->idx, id, json_integer(at));
	rec_members_end(m);
	return rc;
}

static void files_index_release(struct files_index *fi)
{
	if (fi->f)
		fclose(fi->f);
	json_decref(fi->idx);
}

/*
 * Index extract/state.json's "files" (absent, not an object or without
 * "files": no files); the other members are skipped. Release with
 * files_index_release().
 */
static int files_index_init(struct files_index *fi, struct staging *s, struct err *e)
{
	struct rec_members *m;
	const char *name;
	long at;
	int rc, c;

	fi->idx = json_object();
	fi->f = NULL;
	rc = staging_fopen(s, "extract/state.json", &fi->f, e);
	if (rc == ERR_NOTFOUND) {
		err_clear(e);
		return 0;
	}
	if (rc < 0)
		return rc;
	c = rec_skip_ws(fi->f);
	if (c == EOF)
		return err_set(e, ERR_INVALID, "extract/state.json: empty file at byte %ld",
			       ftell(fi->f));
	if (c != '{')
		return 0;
	m = rec_members_begin(fi->f, "extract/state.json");
	while ((rc = rec_members_next(m, &name, &at, e)) == 1) {
		if (strcmp(name, "files") != 0 || rec_skip_ws(fi->f) != '{')
			continue;
		if ((rc = files_index_walk(fi, e)) < 0)
			break;
	}
	rec_members_end(m);
	return rc;
}

/* The "files" entry of application `id`: *out a new reference, NULL when there is none. */
static int files_index_get(struct files_index *fi, const char *id, json_t **out, struct err *e)
{
	const json_t *off = json_object_get(fi->idx, id);
	json_error_t jerr;

	*out = NULL;
	if (!off)
		return 0;
	if (fseek(fi->f, (long)json_integer_value(off), SEEK_SET) < 0)
		return err_set(e, ERR_IO, "extract/state.json: cannot seek: %s", strerror(errno));
	*out = json_loadf(fi->f,
			  JSON_DISABLE_EOF_CHECK | JSON_REJECT_DUPLICATES | JSON_DECODE_ANY |
				  JSON_ALLOW_NUL,
			  &jerr);
	if (!*out)
		return err_set(e, ERR_INVALID, "extract/state.json: files entry '%s': %s", id,
			       jerr.text);
	return 0;
}

/* An optional extract file: *r NULL when it is absent (it reads as empty). */
static int open_optional(struct staging *s, const char *relpath, struct rec_reader **r,
			 struct err *e)
{
	int rc = rec_reader_open(s, relpath, NULL, r, e);

	if (rc == ERR_NOTFOUND) {
		err_clear(e);
		*r = NULL;
		rc = 0;
	}
	return rc;
}

/* Records of `r` by their string `key`: id -> offset, the first record of an id standing (as index_by). */
static int index_first(struct rec_reader *r, const char *key, json_t **out, struct err *e)
{
	json_t *idx = json_object(), *rec = NULL;
	long off;
	int rc = 0;

	*out = NULL;
	while (r && (rc = rec_reader_next(r, &rec, &off, e)) == 1) {
		const char *id = json_get_str(rec, key);

		if (id && !json_object_get(idx, id))
			json_object_set_new(idx, id, json_integer(off));
		json_decref(rec);
	}
	if (r && rc == 0)
		rc = rec_reader_rewind(r, e);
	if (rc < 0) {
		json_decref(idx);
		return rc;
	}
	*out = idx;
	return 0;
}

/* The record `idx` maps `id` to: *out a new reference, NULL when there is none. */
static int lookup(struct rec_reader *r, const json_t *idx, const char *id, json_t **out,
		  struct err *e)
{
	int rc;

	*out = NULL;
	if (!r || !id)
		return 0;
	rc = rec_reader_find(r, idx, id, out, e);
	return rc < 0 ? rc : 0;
}

/* The offers of application `id` in file order: *out a new array, NULL when it has none. */
static int lookup_offers(struct rec_reader *r, const json_t *idx, const char *id, json_t **out,
			 struct err *e)
{
	const json_t *offs = r ? json_object_get(idx, id) : NULL;
	json_t *list, *el, *rec;
	size_t i;
	int rc;

	*out = NULL;
	if (!offs)
		return 0;
	list = json_array();
	json_array_foreach (offs, i, el) {
		if ((rc = rec_reader_at(r, (long)json_integer_value(el), &rec, e)) < 0) {
			json_decref(list);
			return rc;
		}
		json_array_append_new(list, rec);
	}
	*out = list;
	return 0;
}

void app_stream_release(struct app_stream *as)
{
	size_t i;

	for (i = 0; i < as->n; i++)
		free((char *)as->order[i].id);
	free(as->order);
	free(as->last);
	rec_reader_close(as->r);
}

int app_stream_scan(struct app_stream *as, const struct overrides *ov,
		    struct transform_summary *sum, json_t *named, struct err *e)
{
	json_t *app = NULL;
	char *prev = NULL;
	bool sorted = true;
	size_t cap = 0, seq = 0;
	long off;
	int rc;

	while ((rc = rec_reader_next(as->r, &app, NULL, e)) == 1) {
		const char *id = json_get_str(app, "id");
		bool hired = transform_app_hired(app);

		sum->hired += hired;
		if (id && overrides_names(ov, id) && !json_array_find(named, "id", id))
			json_array_append_new(named, json_pack("{ss}", "id", id));
		if (id && hired) {
			if (prev && strcmp(id, prev) < 0)
				sorted = false;
			free(prev);
			prev = xstrdup(id);
		}
		json_decref(app);
	}
	free(prev);
	if (rc == 0)
		rc = rec_reader_rewind(as->r, e);
	if (rc < 0 || sorted)
		return rc;

	log_info("transform: extract/applications.json is not in id order: reading it by index");
	while ((rc = rec_reader_next(as->r, &app, &off, e)) == 1) {
		const char *id = json_get_str(app, "id");

		if (id && transform_app_hired(app)) {
			if (as->n == cap) {
				cap = cap ? 2 * cap : 64;
				as->order = xrealloc(as->order, cap * sizeof(*as->order));
			}
			as->order[as->n++] = (struct app_ref){ xstrdup(id), NULL, off, seq };
		}
		seq++;
		json_decref(app);
	}
	if (rc == 0)
		rc = rec_reader_rewind(as->r, e);
	if (as->n)
		qsort(as->order, as->n, sizeof(*as->order), transform_cmp_app_ref);
	return rc;
}

int app_stream_next(struct app_stream *as, json_t **out, struct err *e)
{
	json_t *app = NULL;
	const char *id;
	int rc;

	*out = NULL;
	for (;;) {
		if (as->order) {
			if (as->next == as->n)
				return 0;
			id = as->order[as->next].id;
			if (as->last && strcmp(as->last, id) == 0) {
				as->next++;
				continue; /* the same application twice: the first one stands */
			}
			rc = rec_reader_at(as->r, as->order[as->next++].off, &app, e);
			if (rc < 0)
				return rc;
		} else {
			rc = rec_reader_next(as->r, &app, NULL, e);
			if (rc <= 0)
				return rc;
			id = json_get_str(app, "id");
			if (!id || !transform_app_hired(app) ||
			    (as->last && strcmp(as->last, id) == 0)) {
				json_decref(app);
				continue;
			}
		}
		id = json_get_str(app, "id");
		free(as->last);
		as->last = xstrdup(id);
		*out = app;
		return 1;
	}
}

void app_sources_release(struct app_sources *src)
{
	rec_reader_close(src->cands);
	rec_reader_close(src->offers);
	rec_reader_close(src->jobs);
	json_decref(src->cand_idx);
	json_decref(src->offer_idx);
	json_decref(src->job_idx);
	files_index_release(&src->files);
}

int app_sources_init(struct app_sources *src, struct staging *s, struct err *e)
{
	int rc;

	memset(src, 0, sizeof(*src));
	if ((rc = open_optional(s, "extract/candidates.json", &src->cands, e)) < 0 ||
	    (rc = open_optional(s, "extract/offers.json", &src->offers, e)) < 0 ||
	    (rc = open_optional(s, "extract/jobs.json", &src->jobs, e)) < 0)
		return rc;
	if ((rc = index_first(src->cands, "id", &src->cand_idx, e)) < 0 ||
	    (rc = index_first(src->jobs, "id", &src->job_idx, e)) < 0)
		return rc;
	if (src->offers)
		rc = rec_reader_index(src->offers, "applicationId", true, &src->offer_idx, e);
	else
		src->offer_idx = json_object();
	if (rc < 0)
		return rc;
	return files_index_init(&src->files, s, e);
}

int transform_map_sourced(const struct transform_ctx *c, struct app_sources *src, const json_t *app,
			  json_t **out, struct err *e)
{
	struct transform_input in = { app, NULL, NULL, NULL, NULL };
	json_t *cand = NULL, *offers = NULL, *job = NULL, *file = NULL;
	const char *id = json_get_str(app, "id");
	int rc;

	*out = NULL;
	if ((rc = lookup(src->cands, src->cand_idx, transform_app_candidate_id(app), &cand, e)) <
		    0 ||
	    (rc = lookup(src->jobs, src->job_idx, transform_app_job_id(app), &job, e)) < 0 ||
	    (rc = lookup_offers(src->offers, src->offer_idx, id, &offers, e)) < 0 ||
	    (rc = files_index_get(&src->files, id, &file, e)) < 0)
		goto out;
	in.candidate = cand;
	in.offers = offers;
	in.job = job;
	in.file = file;
	rc = transform_application(c, &in, out);
out:
	json_decref(cand);
	json_decref(offers);
	json_decref(job);
	json_decref(file);
	return rc;
}

int transform_load_refs(struct staging *s, json_t **out, struct err *e)
{
	static const char *const names[] = { "departments", "locations", "users", "custom_fields",
					     NULL };
	json_t *refs = json_object();
	size_t i;
	int rc = 0;

	*out = NULL;
	for (i = 0; names[i]; i++) {
		char path[64];
		json_t *v = NULL;

		snprintf(path, sizeof(path), "extract/%s.json", names[i]);
		rc = snapshot_read_json(s, path, &v, e);
		if (rc == ERR_NOTFOUND) {
			err_clear(e);
			rc = 0;
			v = json_array();
		}
		if (rc < 0)
			break;
		json_object_set_new(refs, names[i], v);
	}
	if (rc < 0)
		json_decref(refs);
	else
		*out = refs;
	return rc;
}
