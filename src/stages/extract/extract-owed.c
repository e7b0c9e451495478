#include "config.h"

#include "stages/extract/extract-owed.h"

#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/syntax.h"
#include "base/xalloc.h"

#define STATE "extract/state.json"

bool extract_owed_id_ok(const char *id)
{
	return syntax_id_valid(id);
}

int extract_owed_load(const json_t *v, json_t **out, struct err *e)
{
	const char *k;
	json_t *why;

	*out = json_object();
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_object(v))
		goto bad;
	json_object_foreach ((json_t *)v, k, why) {
		if (!extract_owed_id_ok(k) || !json_is_string(why))
			goto bad;
		json_object_set(*out, k, why);
	}
	return 0;
bad:
	json_decref(*out);
	*out = NULL;
	return err_set(e, ERR_INVALID,
		       "%s: 'owed' is not an object of application ids and reasons: run "
		       "'extract --full'",
		       STATE);
}

void extract_owed_note(json_t *owed, const char *app_id, const char *why)
{
	if (!extract_owed_id_ok(app_id))
		return;
	if (!json_object_get(owed, app_id))
		log_warn("application '%s' will be read again on the next run (until a read "
			 "succeeds)",
			 app_id);
	json_object_set_new(owed, app_id, json_string(why ? why : "its reads failed"));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int extract_owed_reread(struct http_client *c, const json_t *prev, ashby_page_fn fn, void *ctx,
			json_t *owed, json_t *gone, unsigned *calls, struct err *e)
{
	const char **ids;
	const char *k;
	json_t *v, *p = NULL, *rec = NULL, *page = NULL;
	size_t i = 0, n = json_object_size(prev);
	int rc = 0;

	if (n == 0)
		return 0;
	ids = xmalloc(n * sizeof(*ids));
	json_object_foreach ((json_t *)prev, k, v)
		ids[i++] = k;
	qsort(ids, n, sizeof(*ids), cmp_str);
	for (i = 0; i < n && rc == 0; i++) {
		char what[200];

		snprintf(what, sizeof(what), "application '%s' (owed a re-read)", ids[i]);
		log_info("extract: reading application '%s' again: %s", ids[i],
			 json_string_value(json_object_get(prev, ids[i])));
		p = json_pack("{s:s}", "applicationId", ids[i]);
		rc = ashby_call(c, "application.info", p, what, &rec, e);
		json_decref(p);
		if (calls)
			(*calls)++;
		if (rc == 0 &&
		    (!json_is_object(rec) || !json_is_string(json_object_get(rec, "id")) ||
		     strcmp(json_string_value(json_object_get(rec, "id")), ids[i]) != 0))
			rc = err_set(e, ERR_INVALID,
				     "ashby application.info for %s: not its record", what);
		if (rc == ERR_NOTFOUND && gone) {
			/* Ashby no longer has it: nothing left to read again. */
			log_warn("%s", e->msg);
			json_object_set_new(gone, ids[i], json_true());
			err_clear(e);
			rc = 0;
		} else if (rc == ERR_NOTFOUND || rc == ERR_INVALID) {
			log_warn("%s", e->msg);
			extract_owed_note(owed, ids[i], e->msg);
			err_clear(e);
			rc = 0;
		} else if (rc == 0) {
			page = json_array();
			json_array_append(page, rec);
			rc = fn(ctx, page, e);
			json_decref(page);
		}
		json_decref(rec);
		rec = NULL;
	}
	free(ids);
	return rc;
}
