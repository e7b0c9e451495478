#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "apis/ashby.h"
#include "apis/http.h"
#include "base/buf.h"
#include "base/hash.h"
#include "base/jsonutil.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "stages/extract.h"
#include "stages/extract/extract-int.h"
#include "stages/extract/extract-owed.h"
#include "stages/run.h"
#include "store/records.h"
#include "store/snapshot.h"
#include "store/staging.h"

/* Open one staged array and index it by id; an absent file reads as empty. */
int xt_staged_open(struct xctx *x, const char *relpath, struct staged *st, struct err *e)
{
	int rc = rec_reader_open(x->stg, relpath, NULL, &st->r, e);

	if (rc == ERR_NOTFOUND) {
		err_clear(e);
		st->idx = json_object();
		return 0;
	}
	if (rc < 0)
		return rc;
	return rec_reader_index(st->r, "id", false, &st->idx, e);
}

/* Forget a staged array (a full pass trusts nothing staged): it reads as empty. */
void xt_staged_drop(struct staged *st)
{
	rec_reader_close(st->r);
	st->r = NULL;
	json_decref(st->idx);
	st->idx = json_object();
}

void xt_staged_close(struct staged *st)
{
	rec_reader_close(st->r);
	json_decref(st->idx);
	st->r = NULL;
	st->idx = NULL;
}

/* One JSON value of state.json at the stream's position. *out is a new reference. */
static int load_value(FILE *f, json_t **out, struct err *e)
{
	json_error_t jerr;
	long at = ftell(f);

	*out = json_loadf(f,
			  JSON_DISABLE_EOF_CHECK | JSON_DECODE_ANY | JSON_REJECT_DUPLICATES |
				  JSON_ALLOW_NUL,
			  &jerr);
	if (!*out)
		return err_set(e, ERR_INVALID, "%s: invalid JSON at byte %ld: %s", STATE,
			       at + (long)jerr.position, jerr.text);
	return 0;
}

/* state.json's "files", whose '{' was just read: each entry is spooled, not held. */
static int load_files(struct xctx *x, FILE *f, struct err *e)
{
	struct rec_members *m = rec_members_begin(f, STATE);
	const char *app_id;
	json_t *entry = NULL;
	long at;
	int rc;

	while ((rc = rec_members_next(m, &app_id, &at, e)) == 1) {
		rc = load_value(f, &entry, e);
		if (rc == 0)
			rc = rec_spool_put(x->prev_files, app_id, entry, e);
		json_decref(entry);
		entry = NULL;
		if (rc < 0)
			break;
	}
	rec_members_end(m);
	return rc;
}

/* One top-level member of state.json, whose value is next in `f`. */
static int load_member(struct xctx *x, FILE *f, const char *name, struct err *e)
{
	json_t *v = NULL;
	int c, rc;

	if (strcmp(name, "files") == 0) {
		c = rec_skip_ws(f);
		if (c == '{')
			return load_files(x, f, e);
		ungetc(c, f); /* not an object: no staged letters, as before */
	}
	rc = load_value(f, &v, e);
	if (rc == 0 && strcmp(name, "syncTokens") == 0 && json_is_object(v)) {
		json_decref(x->prev_tokens);
		x->prev_tokens = json_incref(v);
	}
	if (rc == 0 && strcmp(name, "owed") == 0) {
		json_decref(x->prev_owed);
		rc = extract_owed_load(v, &x->prev_owed, e);
	}
	json_decref(v);
	return rc;
}

/*
 * state.json, read one member at a time (rec_members, records.h): its "files"
 * (one entry per hire, megabytes at 10,000 hires) go to a spool, its
 * "syncTokens" and "owed" stay in memory.
 */
int xt_load_state(struct xctx *x, struct err *e)
{
	struct rec_members *m;
	FILE *f = NULL;
	const char *name;
	long at;
	int rc, c;

	x->prev_tokens = json_object();
	x->prev_owed = json_object();
	rc = rec_spool_new(x->stg, &x->prev_files, e);
	if (rc < 0)
		return rc;
	rc = staging_fopen(x->stg, STATE, &f, e);
	if (rc == ERR_NOTFOUND) {
		err_clear(e);
		return 0;
	}
	if (rc < 0)
		return rc;
	c = rec_skip_ws(f);
	if (c == '{') {
		m = rec_members_begin(f, STATE);
		while ((rc = rec_members_next(m, &name, &at, e)) == 1 &&
		       (rc = load_member(x, f, name, e)) == 0)
			;
		rec_members_end(m);
	} else if (c != '[') { /* an array holds neither files nor tokens */
		rc = err_set(e, ERR_INVALID, "%s: not a JSON array or object", STATE);
	}
	fclose(f);
	return rc < 0 ? rc : 0;
}

/*
 * The state.json entry of staged application `app_id` after this run:
 * *out is a new reference, or NULL when it has none.
 */
int xt_final_letter(struct xctx *x, const char *app_id, json_t **out, struct err *e)
{
	json_t *res = NULL;
	int rc;

	*out = NULL;
	if (!json_object_get(x->apps, app_id))
		return 0;
	rc = xt_hire_result(x, app_id, &res, e);
	if (rc < 0)
		return rc;
	if (res && !json_object_get(res, "aside"))
		*out = json_incref(json_object_get(res, "letter"));
	else
		rc = rec_spool_get(x->prev_files, app_id, out, e);
	json_decref(res);
	return rc < 0 ? rc : 0;
}

/* Write `v` canonically as if it sat at `depth` inside the file (see records.c). */
static int put_nested(struct rec_writer *w, const json_t *v, int depth, struct buf *tmp,
		      struct err *e)
{
	const char *p, *nl, *end;
	int rc = 0;

	buf_reset(tmp);
	rc = snapshot_dump(v, tmp, e);
	if (rc < 0)
		return rc;
	tmp->data[--tmp->len] = '\0'; /* its final newline */
	p = tmp->data;
	end = p + tmp->len;
	while (rc == 0 && (nl = memchr(p, '\n', (size_t)(end - p)))) {
		rc = rec_writer_text(w, p, (size_t)(nl + 1 - p), e);
		if (rc == 0)
			rc = rec_writer_text(w, "        ", (size_t)depth * 2, e);
		p = nl + 1;
	}
	return rc < 0 ? rc : rec_writer_text(w, p, (size_t)(end - p), e);
}

static int put_text(struct rec_writer *w, const char *s, struct err *e)
{
	return rec_writer_text(w, s, strlen(s), e);
}

/*
 * state.json, as snapshot_dump() gives it for {"files": ..., "syncTokens": ...},
 * an entry at a time: the staged applications `ids` (sorted) that have a letter.
 */
int xt_write_state(struct xctx *x, const char **ids, size_t n, const json_t *tokens, struct err *e)
{
	struct rec_writer *w = NULL;
	struct buf tmp = BUF_INIT;
	json_t *entry = NULL, *key;
	bool changed = false;
	size_t i, count = 0;
	int rc = rec_writer_begin_text(x->stg, STATE, &w, e);

	if (rc == 0)
		rc = put_text(w, "{\n  \"files\": {", e);
	for (i = 0; rc == 0 && i < n; i++) {
		rc = xt_final_letter(x, ids[i], &entry, e);
		if (rc < 0 || !entry)
			continue;
		rc = put_text(w, count++ ? ",\n    " : "\n    ", e);
		key = json_string(ids[i]);
		if (rc == 0)
			rc = put_nested(w, key, 2, &tmp, e);
		json_decref(key);
		if (rc == 0)
			rc = put_text(w, ": ", e);
		if (rc == 0)
			rc = put_nested(w, entry, 2, &tmp, e);
		json_decref(entry);
		entry = NULL;
	}
	if (rc == 0)
		rc = put_text(w, count ? "\n  }" : "}", e);
	if (rc == 0 && json_object_size(x->owed) > 0) {
		/* Present only while some hire is owed a re-read (extract-owed.h). */
		rc = put_text(w, ",\n  \"owed\": ", e);
		if (rc == 0)
			rc = put_nested(w, x->owed, 1, &tmp, e);
	}
	if (rc == 0)
		rc = put_text(w, ",\n  \"syncTokens\": ", e);
	if (rc == 0)
		rc = put_nested(w, tokens, 1, &tmp, e);
	if (rc == 0)
		rc = put_text(w, "\n}\n", e);
	if (rc == 0) {
		rc = rec_writer_finish(w, &changed, e);
		w = NULL;
	}
	rec_writer_abort(w);
	buf_release(&tmp);
	if (rc == 0 && changed)
		x->st.files_changed++;
	return rc;
}
