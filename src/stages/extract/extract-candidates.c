/*
 * extract-candidates: candidate.list, for changes to a candidate's own
 * details (a new phone number or email) that move neither the application nor
 * its offers, so neither incremental list returns them (api/ashby.md).
 *
 * The pass runs after application.list and offer.list, with its own sync
 * token (state.json "syncTokens"."candidate.list"). A listed candidate is
 * kept only when a staged hire refers to it and that hire is not read again
 * this run anyway: a full pass lists every candidate of the organisation and
 * keeps none of them (every hire is read by candidate.info then). A kept
 * candidate's record replaces the staged one as it is when it holds the
 * fields the tool stages (CAND_FIELDS); otherwise its hires are read again,
 * one candidate.info each. Everything is keyed on the application id: a
 * candidate listing a staged application whose staged record names another
 * candidate (Ashby merged the two without moving the application) has that
 * application read again by application.info, and the old candidate leaves
 * extract/candidates.json with the last hire that refers to it.
 */
#include "config.h"

#include <string.h>

#include "apis/ashby.h"
#include "base/jsonutil.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "stages/extract/extract-int.h"
#include "stages/extract/extract-owed.h"
#include "store/records.h"

/* The members of a candidate record the staged one must have: transform reads these. */
static const char *const cand_fields[] = { "emailAddresses", "phoneNumbers", "customFields", NULL };

/* Whether a listed candidate record can be staged as it is (else: candidate.info). */
static bool cand_complete(const json_t *c)
{
	size_t i;

	if (!json_get_str(c, "name"))
		return false;
	for (i = 0; cand_fields[i]; i++)
		if (!json_is_array(json_object_get(c, cand_fields[i])))
			return false;
	return true;
}

/*
 * Hire `app` (staged, not read this run) lists candidate `cid`: note it for a
 * re-read when the staged application names another candidate (a merge), or
 * for candidate.info when the listed record cannot be staged as it is.
 * 1 when the listed record is wanted for it, 0 when not.
 */
static int cand_of_hire(struct xctx *x, const char *app, const char *cid, bool complete,
			struct err *e)
{
	json_t *rec = NULL;
	const char *now;
	int rc = xt_get_app(x, app, &rec, e);

	if (rc <= 0)
		return rc;
	now = json_get_str(json_get_obj(rec, "candidate"), "id");
	if (now && strcmp(now, cid) != 0) {
		log_info("extract: application '%s' now belongs to candidate '%s' (merged): "
			 "reading it again",
			 app, cid);
		json_object_set_new(x->moved, app, json_string("its candidate was merged"));
		rc = 0;
	} else if (!complete) {
		json_object_set_new(x->refresh, app, json_true());
		rc = 0;
	} else {
		rc = 1;
	}
	json_decref(rec);
	return rc;
}

/* One listed candidate: kept when a staged hire that is not read this run refers to it. */
static int on_candidate_listed(struct xctx *x, json_t *c, struct err *e)
{
	const char *cid = json_get_str(c, "id");
	const json_t *apps = json_get_arr(c, "applicationIds");
	bool complete, wanted;
	json_t *v;
	size_t i;
	int rc;

	if (!json_is_object(c) || !cid) {
		xt_set_aside_record(x, "candidate", cid, "the record has no string 'id'");
		return 0;
	}
	/* A staged candidate is kept whatever the hires (two hires, one person). */
	complete = cand_complete(c);
	wanted = complete && json_object_get(x->prev_cands.idx, cid) != NULL;
	json_array_foreach (apps, i, v) {
		const char *app = json_string_value(v);

		if (!app || !json_object_get(x->apps, app) || json_object_get(x->refresh, app))
			continue;
		rc = cand_of_hire(x, app, cid, complete, e);
		if (rc < 0)
			return rc;
		wanted = wanted || rc == 1;
	}
	if (!wanted)
		return 0;
	log_verbose("extract: candidate '%s' changed: staged from candidate.list", cid);
	rc = rec_spool_put(x->sp_cands, cid, c, e);
	if (rc == 0)
		json_object_set_new(x->cand_list, cid, json_true());
	return rc;
}

static int on_candidate_page(void *ctx, json_t *results, struct err *e)
{
	struct xctx *x = ctx;
	size_t i;
	json_t *c;
	int rc;

	json_array_foreach (results, i, c) {
		x->cand_records++;
		rc = on_candidate_listed(x, c, e);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int xt_candidate_pass(struct xctx *x, unsigned *pages, struct err *e)
{
	const char *tok = x->full ? NULL : json_get_str(x->prev_tokens, "candidate.list");
	int rc;

	x->cand_records = 0;
	x->cand_list = json_object();
	x->moved = json_object();
	rc = ashby_list(x->c, "candidate.list", NULL, tok, on_candidate_page, x, &x->tok_cands,
			pages, e);
	if (rc < 0)
		return rc;
	if (x->cand_records == 0 && tok) { /* as for the other lists: keep the token */
		free(x->tok_cands);
		x->tok_cands = xstrdup(tok);
	}
	/* Applications moved to another candidate by a merge: read again by application. */
	return extract_owed_reread(x->c, x->moved, xt_on_app_page, x, x->owed, x->gone, pages, e);
}
