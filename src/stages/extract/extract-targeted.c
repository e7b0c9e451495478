/*
 * extract-targeted: the targeted pass `serve` asks for (DRIFT-DESIGN §6).
 * Instead of the list passes, the applications a batch of webhook deliveries
 * named are read with application.info (the owed-hire re-read,
 * extract-owed.h) and merged into what the last extract staged, as an
 * incremental pass merges; their offers are read by application and their
 * per-hire reads follow as usual. The reference lists come from the staged
 * files. The sync tokens are left as the last list pass committed them, so
 * the nightly incremental pass still sees every change (these included).
 */
#include "config.h"

#include "stages/extract/extract-int.h"

#include <string.h>

#include "base/jsonutil.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "stages/extract/extract-owed.h"
#include "store/staging.h"
#include "store/tombstones.h"

#define NAMED "named by a webhook delivery"

/* The staged reference lists into x->refs; ERR_NOTFOUND when one is not staged. */
static int staged_refs(struct xctx *x, struct err *e)
{
	struct buf b = BUF_INIT;
	json_error_t jerr;
	size_t i;
	int rc = 0;

	for (i = 0; i < NREFS && rc == 0; i++) {
		buf_reset(&b);
		if ((rc = staging_read(x->stg, ref_lists[i].file, &b, e)) < 0)
			break;
		json_decref(x->refs[i]);
		x->refs[i] = json_loadb(b.data ? b.data : "", b.len, JSON_REJECT_DUPLICATES, &jerr);
		if (!json_is_array(x->refs[i]))
			rc = err_set(e, ERR_NOTFOUND, "%s: not a staged array", ref_lists[i].file);
	}
	buf_release(&b);
	return rc;
}

bool xt_targeted_possible(struct xctx *x, bool full)
{
	struct err e = ERR_INIT;
	size_t i;
	int rc;

	if (full) {
		log_info("extract: no sync token yet: a full pass instead of a targeted one");
		return false;
	}
	rc = staged_refs(x, &e);
	for (i = 0; i < NREFS; i++) {
		json_decref(x->refs[i]);
		x->refs[i] = NULL;
	}
	if (rc < 0) {
		log_info(
			"extract: nothing staged yet (%s): a normal pass instead of a targeted one",
			e.msg);
		return false;
	}
	return true;
}

int xt_targeted_pass(struct xctx *x, const char *const *ids, size_t n, unsigned *pages,
		     struct err *e)
{
	json_t *named = json_object(), *failed = json_object(), *v;
	const char *k;
	size_t i;
	int rc;

	if ((rc = staged_refs(x, e)) < 0)
		goto out;
	/* The list passes did not run: every token stays as the last one committed it. */
	x->tok_apps = xstrdup(json_get_str(x->prev_tokens, "application.list"));
	x->tok_offers = xstrdup(json_get_str(x->prev_tokens, "offer.list"));
	x->tok_cands = xstrdup(json_get_str(x->prev_tokens, "candidate.list"));
	x->cand_list = json_object();
	x->moved = json_object();
	/* Owed hires not named here stay owed: the nightly pass reads them. */
	json_object_foreach (x->prev_owed, k, v)
		json_object_set(x->owed, k, v);
	for (i = 0; i < n; i++) {
		if (!extract_owed_id_ok(ids[i]) || tombstones_has(x->tomb, ids[i], NULL))
			continue; /* not an application id, or forgotten (forget) */
		json_object_del(x->owed, ids[i]);
		json_object_set_new(named, ids[i], json_string(NAMED));
	}
	log_info("extract: targeted pass: %zu application%s named by webhook deliveries",
		 json_object_size(named), json_object_size(named) == 1 ? "" : "s");
	rc = extract_owed_reread(x->c, named, xt_on_app_page, x, failed, x->gone, pages, e);
	if (rc < 0)
		goto out;
	json_object_foreach (failed, k, v) {
		if (json_object_get(x->prev_owed, k) || json_object_get(x->prev_apps.idx, k))
			extract_owed_note(x->owed, k, json_string_value(v));
		else
			log_warn("application '%s' could not be read: left to the next nightly run",
				 k);
	}
	json_object_foreach (named, k, v) {
		/* A named hire is read in full: its offers by application too (offerUpdate). */
		if (json_object_get(x->refresh, k))
			json_object_set_new(x->fresh, k, json_true());
	}
	json_object_foreach (x->gone, k, v) { /* application_not_found: it departs */
		json_object_del(x->apps, k);
		json_object_del(x->refresh, k);
	}
out:
	json_decref(named);
	json_decref(failed);
	return rc;
}
