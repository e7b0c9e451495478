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

char *extract_safe_name(const char *name)
{
	struct buf b = BUF_INIT;
	const char *p = name ? name : "";
	size_t n = strlen(p), i;
	char *out;

	if (n >= 4 && strcasecmp(p + n - 4, ".pdf") == 0)
		n -= 4;
	for (i = 0; i < n && b.len < 96; i++) {
		unsigned char ch = (unsigned char)p[i];
		bool ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
			  (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' || ch == '_';

		if (!ok)
			ch = '_';
		/* No leading dot or underscore, and no runs of underscores. */
		if ((ch == '.' || ch == '_') && b.len == 0)
			continue;
		if (ch == '_' && b.len > 0 && b.data[b.len - 1] == '_')
			continue;
		buf_addc(&b, (char)ch);
	}
	while (b.len > 0 && (b.data[b.len - 1] == '_' || b.data[b.len - 1] == '.'))
		b.data[--b.len] = '\0';
	if (b.len == 0)
		buf_adds(&b, "offer-letter");
	buf_adds(&b, ".pdf");
	out = buf_detach(&b, NULL);
	return out;
}

/* "signed" anywhere in the name, ignoring case, but not as part of "unsigned". */
static bool says_signed(const char *name)
{
	size_t i, n = strlen(name);

	for (i = 0; i + 6 <= n; i++) {
		if (strncasecmp(name + i, "signed", 6) != 0)
			continue;
		if (i >= 2 && strncasecmp(name + i - 2, "un", 2) == 0)
			continue;
		return true;
	}
	return false;
}

static bool is_pdf_name(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	return n >= 4 && strcasecmp(name + n - 4, ".pdf") == 0;
}

const json_t *extract_pick_letter(const json_t *handles)
{
	const json_t *first = NULL;
	size_t i;
	json_t *h;

	json_array_foreach (handles, i, h) {
		const char *name = json_get_str(h, "name");

		if (!json_get_str(h, "handle") || !is_pdf_name(name))
			continue;
		if (says_signed(name))
			return h;
		if (!first)
			first = h;
	}
	return first;
}

/* Keep a letter's bytes until the end of the run in x->held (a temporary file in .git). */
static int hold_letter(struct hire *h, const void *data, size_t len, struct err *e)
{
	struct xctx *x = h->x;
	int rc;

	if (!x->held && (rc = staging_tmpfile(x->stg, &x->held, e)) < 0)
		return rc;
	if (fseek(x->held, x->held_end, SEEK_SET) < 0 || fwrite(data, 1, len, x->held) != len ||
	    fflush(x->held) != 0)
		return err_set(e, ERR_IO,
			       "temporary file in .git for the offer letter of "
			       "application '%s': %s",
			       h->app_id, strerror(errno));
	h->letter.held = true;
	h->letter.held_at = x->held_end;
	x->held_end += (long)len;
	return 0;
}

/* Read back `len` bytes held at `at` into `out`. */
static int held_read(struct xctx *x, long at, size_t len, struct buf *out, struct err *e)
{
	char chunk[8192];

	if (fseek(x->held, at, SEEK_SET) < 0)
		return err_set(e, ERR_IO, "temporary file in .git: %s", strerror(errno));
	while (out->len < len) {
		size_t want = len - out->len, n;

		n = fread(chunk, 1, want < sizeof(chunk) ? want : sizeof(chunk), x->held);
		if (n == 0)
			return err_set(e, ERR_IO, "temporary file in .git: %s",
				       ferror(x->held) ? strerror(errno) : "truncated");
		if (buf_add(out, chunk, n) < 0)
			return err_set(e, ERR_FAIL, "temporary file in .git: out of memory");
	}
	return 0;
}

static int on_download(void *ctx, int rc, struct http_response *resp, struct err *e)
{
	struct hire *h = ctx;
	char what[256];

	snprintf(what, sizeof(what), "the offer letter of application '%s'", h->app_id);
	if (rc < 0 && resp->too_large) {
		/* Aborted while streaming (the request's max_body): nothing of it is kept. */
		rc = xt_hire_failed(h,
				    err_set(e, ERR_INVALID, "%s is larger than %u MiB: refused",
					    what, LETTER_MAX >> 20),
				    e);
		goto out;
	}
	if (rc < 0) {
		err_prefix(e, "download of %s", what);
		goto out;
	}
	if (resp->status != 200) {
		rc = xt_hire_failed(
			h, err_set(e, ERR_INVALID, "download of %s: HTTP %ld", what, resp->status),
			e);
		goto out;
	}
	if (resp->body.len < 5 || memcmp(resp->body.data, "%PDF-", 5) != 0) {
		rc = xt_hire_failed(h, err_set(e, ERR_INVALID, "%s is not a PDF", what), e);
		goto out;
	}
	if (resp->body.len > LETTER_MAX) { /* max_body stops it sooner: kept as a guard */
		rc = xt_hire_failed(h, err_set(e, ERR_INVALID, "%s is too large", what), e);
		goto out;
	}
	h->letter.size = resp->body.len;
	sha256_hex(resp->body.data, resp->body.len, h->letter.sha);
	h->letter.downloaded = true;
	h->x->st.downloads++;
	/*
	 * Memory stays bounded: a new hire's letter (or any letter on a full
	 * pass) goes to the work tree now, not held until the end. A letter that
	 * replaces a staged one waits, so a hire set aside can keep its old one.
	 */
	if (h->x->full || !rec_spool_has(h->x->prev_files, h->app_id)) {
		rc = xt_put_file(h->x, h->letter.path, resp->body.data, resp->body.len, e);
		if (rc < 0)
			goto out;
		h->letter.written = true;
		goto out;
	}
	rc = hold_letter(h, resp->body.data, resp->body.len, e);
out:
	return xt_hire_finished(h, rc, e);
}

static int on_file_info(void *ctx, int rc, struct http_response *resp, struct err *e)
{
	struct hire *h = ctx;
	struct http_request req;
	json_t *env = NULL;
	const char *url;
	char what[200];

	snprintf(what, sizeof(what), "application '%s'", h->app_id);
	rc = ashby_decode("file.info", what, rc, resp, &env, e);
	if (rc < 0) {
		rc = xt_hire_failed(h, rc, e);
		goto out;
	}
	url = json_get_str(json_object_get(env, "results"), "url");
	if (!url || strncmp(url, "http", 4) != 0) {
		rc = xt_hire_failed(
			h, err_set(e, ERR_INVALID, "ashby file.info for %s: no usable 'url'", what),
			e);
		goto out;
	}
	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.path = url;
	req.absolute = true; /* pre-signed: never send the Ashby key there */
	req.idempotent = true;
	req.max_body = LETTER_MAX; /* aborted as soon as it passes the limit */
	h->pending++;
	http_batch_add(h->x->batch, &req, on_download, h);
out:
	json_decref(env);
	return xt_hire_finished(h, rc, e);
}

/* The accepted offer of an application (*best: new reference or NULL), the latest if several. */
static int accepted_offer(struct xctx *x, const char *app_id, json_t **best, struct err *e)
{
	json_t *ids = NULL, *o = NULL, *v;
	size_t i;
	int rc = xt_offers_of(x, app_id, &ids, e);

	*best = NULL;
	json_array_foreach (ids, i, v) {
		const char *k = json_string_value(v), *s;

		rc = xt_get_offer(x, k, &o, e);
		if (rc < 0)
			break;
		rc = 0;
		s = o ? json_get_str(o, "acceptanceStatus") : NULL;
		if (!o || strcmp(json_get_str(o, "applicationId"), app_id) != 0 || !s ||
		    strcmp(s, ACCEPTED) != 0) {
			json_decref(o);
			o = NULL;
			continue;
		}
		if (!*best) {
			*best = o;
		} else {
			const char *a = json_get_str(json_get_obj(o, "latestVersion"), "createdAt");
			const char *b =
				json_get_str(json_get_obj(*best, "latestVersion"), "createdAt");

			if (a &&
			    (!b || strcmp(a, b) > 0 ||
			     (strcmp(a, b) == 0 && strcmp(k, json_get_str(*best, "id")) > 0))) {
				json_decref(*best);
				*best = o;
			} else {
				json_decref(o);
			}
		}
		o = NULL;
	}
	json_decref(ids);
	if (rc < 0) {
		json_decref(*best);
		*best = NULL;
	}
	return rc;
}

/* Whether the staged letter of this hire can be kept as it is: 1 yes, 0 no. */
static int letter_reusable(struct hire *h, struct err *e)
{
	struct xctx *x = h->x;
	json_t *prev = NULL;
	const char *handle, *path, *sha;
	struct buf b = BUF_INIT;
	struct err e2 = ERR_INIT;
	char now[65];
	int rc;

	if (x->full)
		return 0;
	rc = rec_spool_get(x->prev_files, h->app_id, &prev, e);
	if (rc <= 0)
		return rc;
	handle = json_get_str(prev, "handle");
	path = json_get_str(prev, "path");
	sha = json_get_str(prev, "sha256");
	rc = 0;
	if (!handle || !path || !sha || strcmp(handle, h->letter.handle) != 0 ||
	    strcmp(path, h->letter.path) != 0)
		goto out;
	/* The bytes must still be there, unchanged, to be reused. */
	if (staging_read(x->stg, path, &b, &e2) == 0) {
		sha256_hex(b.data, b.len, now);
		rc = strcmp(now, sha) == 0;
		h->letter.size = b.len;
		memcpy(h->letter.sha, now, sizeof(now));
	}
out:
	buf_release(&b);
	json_decref(prev);
	return rc;
}

/* Choose the offer letter and, unless the staged one is current, fetch it. */
int xt_queue_letter(struct hire *h, struct err *e)
{
	struct xctx *x = h->x;
	json_t *offer = NULL, *params;
	const json_t *fh;
	char *safe;
	int rc = accepted_offer(x, h->app_id, &offer, e);

	if (rc < 0)
		return rc;
	fh = extract_pick_letter(json_get_arr(json_get_obj(offer, "latestVersion"), "fileHandles"));
	if (!fh) {
		log_verbose("application '%s' (%s): no offer letter", h->app_id, h->name);
		goto out;
	}
	h->has_letter = true;
	h->letter.handle = xstrdup(json_get_str(fh, "handle"));
	h->letter.name = xstrdup(json_get_str(fh, "name"));
	safe = extract_safe_name(h->letter.name);
	h->letter.path = xasprintf("extract/files/%s/%s", h->app_id, safe);
	free(safe);
	rc = letter_reusable(h, e);
	if (rc != 0)
		goto out;
	params = json_pack("{s:s}", "fileHandle", h->letter.handle);
	h->pending++;
	xt_queue_call(x, "file.info", params, on_file_info, h);
	json_decref(params);
out:
	json_decref(offer);
	return rc < 0 ? rc : 0;
}

/* Letters that went away or moved, then the letters downloaded this run and not yet written. */
int xt_write_letters(struct xctx *x, struct err *e)
{
	json_t *keys = rec_spool_keys(x->prev_files), *key, *prev = NULL, *now = NULL, *res = NULL;
	struct buf data = BUF_INIT;
	size_t i;
	int rc = 0;

	json_array_foreach (keys, i, key) {
		const char *k = json_string_value(key), *old, *path;

		rc = rec_spool_get(x->prev_files, k, &prev, e);
		if (rc >= 0)
			rc = xt_final_letter(x, k, &now, e);
		if (rc < 0)
			goto out;
		old = json_get_str(prev, "path");
		path = json_get_str(now, "path");
		if (old && strncmp(old, "extract/files/", 14) == 0 &&
		    !(path && strcmp(path, old) == 0))
			rc = xt_remove_file(x, old, e);
		json_decref(prev);
		json_decref(now);
		prev = now = NULL;
		if (rc < 0)
			goto out;
	}
	for (i = 0; i < x->nhires; i++) {
		const json_t *letter, *held;
		const char *path, *mine;
		bool aside;

		rc = xt_hire_result(x, x->ids[i], &res, e);
		if (rc >= 0)
			rc = xt_final_letter(x, x->ids[i], &now, e);
		if (rc < 0)
			goto out;
		aside = json_object_get(res, "aside") != NULL;
		letter = json_object_get(res, "letter");
		mine = json_get_str(letter, "path");
		held = json_object_get(res, "held");
		path = json_get_str(now, "path");
		if (json_is_true(json_object_get(res, "written")) && mine &&
		    (aside || !path || strcmp(path, mine) != 0)) {
			/* Written early for a hire that was then set aside. */
			rc = xt_remove_file(x, mine, e);
		} else if (!aside && held && mine && now) {
			buf_reset(&data);
			rc = held_read(x, (long)json_integer_value(held),
				       (size_t)json_integer_value(json_object_get(letter, "size")),
				       &data, e);
			if (rc == 0)
				rc = xt_put_file(x, mine, data.data, data.len, e);
		}
		json_decref(res);
		json_decref(now);
		res = now = NULL;
		if (rc < 0)
			goto out;
	}
out:
	buf_release(&data);
	json_decref(res);
	json_decref(prev);
	json_decref(now);
	json_decref(keys);
	return rc;
}
