/*
 * extract-targeted: the targeted pass `serve` asks for (DRIFT-DESIGN §6):
 * instead of the list passes, the applications a batch of webhook deliveries
 * named are read with application.info (the owed-hire re-read,
 * extract-owed.h) and merged into what the last extract staged; their offers
 * are read by application and their per-hire reads follow as usual. The
 * reference lists come from the staged files. The sync tokens are left as the
 * last full or incremental pass committed them, so the nightly incremental
 * pass still sees every change (those already read included).
 */
#ifndef EXTRACT_TARGETED_H
#define EXTRACT_TARGETED_H

#include <jansson.h>
#include <stddef.h>

#include "apis/ashby.h"
#include "base/err.h"

struct staging;

/*
 * The staged reference lists `files[0..n)` into refs[0..n) (new arrays).
 * ERR_NOTFOUND (refs left NULL) when one is not staged: no targeted pass then.
 */
int extract_targeted_refs(struct staging *stg, const char *const *files, json_t **refs, size_t n,
			  struct err *e);

/* What the targeted read needs of the pass (everything borrowed). */
struct extract_targeted {
	struct http_client *c;
	const char *const *ids; /* the applications named by the deliveries */
	size_t n;
	ashby_page_fn on_app; /* the pass's handler of application pages */
	void *ctx;
	const json_t *prev_owed; /* state.json "owed" of the last extract */
	const json_t *prev_apps; /* id -> offset: the applications the last extract staged */
	json_t *owed;		 /* this pass's owed list: filled */
	json_t *refresh, *fresh; /* this pass's sets: a named hire is read in full */
	unsigned *calls;	 /* requests made (may be NULL) */
};

/*
 * Read the named applications. The hires owed a re-read that are not named
 * stay owed; a named one that cannot be read is owed again when it was
 * staged or owed before, and otherwise left to the nightly pass (warning).
 */
int extract_targeted_read(const struct extract_targeted *t, struct err *e);

#endif
