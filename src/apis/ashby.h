/*
 * ashby: the Ashby API client over http.h.
 *
 * Every call is POST {base}/{category}.{method} with a JSON body and comes back
 * in the envelope {"success": bool, "results": ...}. Most errors are HTTP 200
 * with success:false, so every answer is checked for `success`, not only for
 * its status. Errors become a struct err naming the endpoint, the record and
 * Ashby's request id (never the key):
 *
 *   ERR_PERMISSION  missing_endpoint_permission: names the module and where to
 *                   grant it (Admin > Integrations > API keys > the key > Read)
 *   ERR_AUTH        401, or 403 without a permission code (wrong/deactivated key)
 *   ERR_SYNC_RESET  the sync token or cursor is no longer usable: do a full pass
 *   ERR_NOTFOUND    *_not_found codes
 *   ERR_INVALID     invalid_input, or an answer that is not the envelope
 *   ERR_HTTP        any other error status or code (5xx after the retries, 429)
 *   ERR_NETWORK     no answer after the retries (from http.h)
 *
 * Every contract *assumption* (module and scope per endpoint, id parameter
 * names, which lists take sync tokens, which codes reset a sync) is in one
 * table at the top of ashby.c.
 */
#ifndef ASHBY_H
#define ASHBY_H

#include <jansson.h>
#include <stdbool.h>

#include "base/err.h"
#include "apis/http.h"

/* What the client assumes about one endpoint (see the table in ashby.c). */
struct ashby_endpoint {
	const char *name;     /* "offer.list" */
	const char *module;   /* permission module, "Offers" */
	const char *scope;    /* apiKey.info scope string, "offers:read" */
	const char *id_param; /* the id parameter of an .info call, else NULL */
	bool paginated;	      /* limit / cursor / moreDataAvailable */
	bool sync_token;      /* takes syncToken on an unfiltered pass */
};

/* The table entry for `name`, or NULL. Borrowed, static. */
const struct ashby_endpoint *ashby_endpoint_find(const char *name);
/* Every endpoint the tool uses, terminated by an entry whose name is NULL. */
extern const struct ashby_endpoint ashby_endpoints[];
/* The largest `limit` a list call accepts. */
#define ASHBY_PAGE_LIMIT 100
/* A list longer than this many pages is taken for a runaway cursor (ten million records). */
#define ASHBY_MAX_PAGES 100000

/*
 * The cursors one paginated pass has followed, so that a server handing back
 * a cursor seen before in the pass (the same one, or a cycle of several) or
 * more than ASHBY_MAX_PAGES pages stops the pass instead of looping forever.
 * Zero it (or ASHBY_CURSORS_INIT) before the first page; release it after.
 */
struct ashby_cursors {
	json_t *seen; /* sha256 of each cursor -> true (NULL until the first) */
	unsigned pages;
};
#define ASHBY_CURSORS_INIT \
	{                  \
		NULL, 0    \
	}

/*
 * Count one page answered and check the cursor it gives for the next one
 * (`next`: NULL or "" when the list is done): ERR_INVALID naming `endpoint`
 * and `what` (may be NULL) when the cursor was seen before in this pass or the
 * page cap is reached, else 0.
 */
int ashby_cursor_next(struct ashby_cursors *cs, const char *endpoint, const char *what,
		      const char *next, struct err *e);
void ashby_cursors_release(struct ashby_cursors *cs);

/* Whether an Ashby error code asks for a full pass (token or cursor reset). */
bool ashby_code_is_reset(const char *code);

/*
 * Serialise call parameters: a compact JSON object ("{}" for NULL), leaving
 * out members whose value is null (Ashby rejects null parameters). Caller frees.
 */
char *ashby_body(const json_t *params);

/* One request being built: the http_request and the storage it borrows. */
struct ashby_req {
	struct http_request http; /* points into this struct: do not copy it */
	char path[64];
	char *body; /* owned */
};

/* Build POST /{endpoint} with `params` (borrowed, may be NULL). Release with ashby_req_release(). */
void ashby_req_init(struct ashby_req *r, const char *endpoint, const json_t *params);
void ashby_req_release(struct ashby_req *r);

/*
 * Decode one answer: `rc` and `resp` as given to an http_done_fn (or by
 * http_do). On success *envelope is the whole envelope object (a new
 * reference, caller decrefs) whose "results" is present. `what` names the
 * record for messages ("application 'ab12'"), may be NULL. On failure *envelope
 * is NULL and `e` holds the message (with Ashby's error code kept at the start
 * of the detail, e.g. "... failed: sync_token_expired: ...").
 */
int ashby_decode(const char *endpoint, const char *what, int rc, const struct http_response *resp,
		 json_t **envelope, struct err *e);

/*
 * One call, synchronously. *results is a new reference to the envelope's
 * "results" (caller decrefs). `params` is borrowed, may be NULL.
 */
int ashby_call(struct http_client *c, const char *endpoint, const json_t *params, const char *what,
	       json_t **results, struct err *e);

/*
 * Called once per page with the page's results array (borrowed, valid during
 * the call). A negative return stops the listing and is returned.
 */
typedef int (*ashby_page_fn)(void *ctx, json_t *results, struct err *e);

/*
 * Read a whole list, page by page (limit ASHBY_PAGE_LIMIT): `params` (borrowed,
 * may be NULL) are repeated on every page, `sync_token` (may be NULL: a full
 * pass) too, with the cursor of the previous page. Only one page is held at
 * a time. On success *sync_token_out (when not NULL) receives the last page's
 * syncToken (caller frees; NULL when Ashby gave none). Unpaginated lists
 * (jobPosting.list) are handed over in one call. `pages` (may be NULL) counts
 * the calls made.
 */
int ashby_list(struct http_client *c, const char *endpoint, const json_t *params,
	       const char *sync_token, ashby_page_fn fn, void *ctx, char **sync_token_out,
	       unsigned *pages, struct err *e);

/*
 * Fetch a pre-signed file URL with a plain GET (no Ashby auth), appending the
 * bytes to `out`. `what` names the record for messages.
 */
int ashby_download(struct http_client *c, const char *url, const char *what, struct buf *out,
		   struct err *e);

#endif
