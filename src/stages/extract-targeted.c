#include "config.h"

#include "stages/extract-targeted.h"

#include <string.h>

#include "base/buf.h"
#include "base/log.h"
#include "stages/extract-owed.h"
#include "store/staging.h"

#define NAMED "named by a webhook delivery"

int extract_targeted_refs(struct staging *stg, const char *const *files, json_t **refs, size_t n,
			  struct err *e)
{
	struct buf b = BUF_INIT;
	json_error_t jerr;
	size_t i;
	int rc = 0;

	for (i = 0; i < n; i++)
		refs[i] = NULL;
	for (i = 0; i < n && rc == 0; i++) {
		buf_reset(&b);
		rc = staging_read(stg, files[i], &b, e);
		if (rc < 0)
			break;
		refs[i] = json_loadb(b.data ? b.data : "", b.len, JSON_REJECT_DUPLICATES, &jerr);
		if (!json_is_array(refs[i]))
			rc = err_set(e, ERR_NOTFOUND, "%s: not a staged array", files[i]);
	}
	if (rc < 0)
		for (i = 0; i < n; i++) {
			json_decref(refs[i]);
			refs[i] = NULL;
		}
	buf_release(&b);
	return rc;
}

int extract_targeted_read(const struct extract_targeted *t, struct err *e)
{
	json_t *named = json_object(), *failed = json_object(), *v;
	const char *k;
	size_t i;
	int rc;

	/* Owed hires not named here stay owed: the nightly pass reads them. */
	json_object_foreach ((json_t *)t->prev_owed, k, v)
		json_object_set(t->owed, k, v);
	for (i = 0; i < t->n; i++) {
		if (!extract_owed_id_ok(t->ids[i]))
			continue;
		json_object_del(t->owed, t->ids[i]);
		json_object_set_new(named, t->ids[i], json_string(NAMED));
	}
	log_info("extract: targeted pass: %zu application%s named by webhook deliveries",
		 json_object_size(named), json_object_size(named) == 1 ? "" : "s");
	rc = extract_owed_reread(t->c, named, t->on_app, t->ctx, failed, t->calls, e);
	if (rc < 0)
		goto out;
	json_object_foreach (failed, k, v) {
		if (json_object_get(t->prev_owed, k) || json_object_get(t->prev_apps, k))
			extract_owed_note(t->owed, k, json_string_value(v));
		else
			log_warn("application '%s' could not be read: left to the next nightly run",
				 k);
	}
	/* A named hire is read in full: its offers by application too (offerUpdate). */
	json_object_foreach (named, k, v) {
		if (json_object_get(t->refresh, k))
			json_object_set_new(t->fresh, k, json_true());
	}
out:
	json_decref(named);
	json_decref(failed);
	return rc;
}
