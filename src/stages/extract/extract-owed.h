/*
 * extract-owed: the hires an extract owes a re-read (extract/state.json "owed").
 *
 * The sync tokens move past every change a pass was told about, so a hire
 * whose reads failed this run (a malformed or wrong-typed answer, a record not
 * found, a letter refused) would never be read again: Ashby reports a change
 * once. Such a hire is recorded as owed (application id -> the reason),
 * committed with the extract, and read again from scratch on every following
 * run (application.info, then its per-hire reads and its offers by
 * application) until a read succeeds; it then leaves the list. One bad hire
 * holds back nobody else's changes, as holding the tokens back would.
 */
#ifndef EXTRACT_OWED_H
#define EXTRACT_OWED_H

#include <jansson.h>
#include <stdbool.h>

#include "apis/ashby.h"
#include "base/err.h"

/*
 * The owed list from state.json's "owed" member `v` (borrowed, may be NULL):
 * *out is a new object, application id -> reason. A member that is not a
 * string reason for a plain id is an error naming state.json.
 */
int extract_owed_load(const json_t *v, json_t **out, struct err *e);

/* Whether `id` is usable as an application id (and a directory name): [A-Za-z0-9._-], no leading dot. */
bool extract_owed_id_ok(const char *id);

/*
 * Note that application `app_id` is owed a re-read because of `why`, with a
 * warning saying so. `owed` is the list this run will commit.
 */
void extract_owed_note(json_t *owed, const char *app_id, const char *why);

/*
 * Read the applications of `prev` (the list the last extract committed) again
 * with application.info, handing each record to `fn` as a page of one, in id
 * order. A per-record failure (not found, malformed, wrong shape) notes the
 * application in `owed` again and goes on, except that an application Ashby
 * answers application_not_found for goes to `gone` (id -> true) instead when
 * `gone` is not NULL; any other failure is returned.
 * `calls` (may be NULL) counts the calls made.
 */
int extract_owed_reread(struct http_client *c, const json_t *prev, ashby_page_fn fn, void *ctx,
			json_t *owed, json_t *gone, unsigned *calls, struct err *e);

#endif
