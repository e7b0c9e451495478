/*
 * humaans: the Humaans API client (shared/api/humaans.md) over http.h.
 *
 * It builds requests (Bearer token, JSON bodies, multipart upload), decodes
 * the contract's error body into a `struct err`, pages through lists one page
 * at a time, and keeps every contract **assumption** in one block at the top
 * of humaans.c. It does not plan or apply anything.
 *
 * Paths are relative to the base URL, which ends in /api: "/people",
 * "/people/<id>". Query strings are built with humaans_query_*() (escaped).
 *
 * Errors, as negative enum err_code with a one-line message naming the method
 * and path, never the token:
 *   401 ERR_AUTH; 403 ERR_PERMISSION (naming the missing scope when the body
 *   says it); 404 ERR_NOTFOUND; 400 and 422 ERR_INVALID (the API's message
 *   and its errors/data/issues detail); other statuses ERR_HTTP (429 and 5xx
 *   only after http's retries); ERR_NETWORK / ERR_UNCERTAIN from http; a 2xx
 *   that is not JSON is ERR_HTTP for a read and ERR_UNCERTAIN for a POST (the
 *   record may exist: look it up before sending it again).
 */
#ifndef HUMAANS_H
#define HUMAANS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/err.h"

struct http_client;

/*
 * Create the http client for Humaans: base URL, "Authorization: Bearer
 * <token>" (the token is copied into the client and never logged), the
 * Humaans request-id header, `jobs` requests in flight (with `adapt`, the
 * ceiling of an adaptive level: http.h) and `max_rps` (0 = no cap). Caller
 * frees with http_client_free(). Missing token: ERR_AUTH.
 */
int humaans_client_new(struct http_client **out, const char *base_url, const char *token, int jobs,
		       bool adapt, double max_rps, struct err *e);

/* The outcome of one call, for callers that journal it (apply). */
struct humaans_result {
	long status;	  /* HTTP status; 0 when no answer arrived */
	json_t *json;	  /* parsed body of a 2xx answer (owned), else NULL */
	char *body;	  /* raw body of a non-2xx answer (owned, NUL-terminated), else NULL */
	char *request_id; /* the answer's request id (owned), or NULL */
	int attempts;
};

void humaans_result_init(struct humaans_result *r);
void humaans_result_release(struct humaans_result *r);

/*
 * One call, synchronously. `body` (borrowed, may be NULL) is sent as JSON.
 * Returns 0 on a 2xx with `res->json` set, else a negative code with `e`
 * filled and `res` holding what arrived (status, raw error body).
 */
int humaans_call(struct http_client *c, const char *method, const char *path, const json_t *body,
		 struct humaans_result *res, struct err *e);

/*
 * JSON helpers: on 0, `*out` is the parsed answer (new reference, caller
 * decrefs); on error `*out` is NULL. `out` may be NULL when the answer is
 * not wanted.
 */
int humaans_get(struct http_client *c, const char *path, json_t **out, struct err *e);
int humaans_post(struct http_client *c, const char *path, const json_t *body, json_t **out,
		 struct err *e);
int humaans_patch(struct http_client *c, const char *path, const json_t *body, json_t **out,
		  struct err *e);
int humaans_delete(struct http_client *c, const char *path, json_t **out, struct err *e);

/*
 * Upload one file (multipart/form-data, part "file"). `data` is borrowed.
 * On 0, `*out` is the answer {id, filename, size} (new reference); a size
 * that differs from `len` is ERR_HTTP.
 */
int humaans_upload(struct http_client *c, const char *filename, const char *content_type,
		   const void *data, size_t len, json_t **out, struct err *e);

/* "<resource>/<escaped id>", e.g. humaans_path_id("/people", id). Caller frees. */
char *humaans_path_id(const char *resource, const char *id);

/*
 * Query building into `q` (a query string without the leading '?'; "&" is
 * added between parameters). Field names must be [A-Za-z0-9_]+ (else
 * ERR_INVALID); values are percent-encoded.
 *   humaans_query_eq(q, "status", "newHire")        status=newHire
 *   humaans_query_in(q, "personId", ids, n)         personId[$in][]=a&personId[$in][]=b
 *   humaans_query_op(q, "effectiveDate", "gte", d)  effectiveDate[$gte]=d
 */
int humaans_query_eq(struct buf *q, const char *field, const char *value, struct err *e);
int humaans_query_in(struct buf *q, const char *field, const char *const *values, size_t n,
		     struct err *e);
int humaans_query_op(struct buf *q, const char *field, const char *op, const char *value,
		     struct err *e);

/*
 * Called once per page with the page's `data` array (borrowed, valid during
 * the call). Return 0 to go on, or a negative code (with `e` set) to stop.
 */
typedef int (*humaans_page_fn)(void *ctx, json_t *data, struct err *e);

/*
 * Page through `resource` ("/people") with the optional `query` (from
 * humaans_query_*, may be NULL): $limit=250, $skip += len(data) until
 * skip >= total or a page is empty. Only one page is held at a time.
 * `*count` (may be NULL) receives the number of records seen.
 */
int humaans_list(struct http_client *c, const char *resource, const char *query, humaans_page_fn fn,
		 void *ctx, long *count, struct err *e);

/* Every record of a (small) list in one array. `*out` is a new reference. */
int humaans_list_all(struct http_client *c, const char *resource, const char *query, json_t **out,
		     struct err *e);

/*
 * The records of `resource` whose `field` is one of `values`, read with
 * field[$in][] in chunks of a bounded number of values (each chunk paged),
 * chunks side by side on one batch. `extra` (may be NULL) is added to every
 * request. Pages arrive through `fn` in no particular order.
 */
int humaans_list_in(struct http_client *c, const char *resource, const char *field,
		    const char *const *values, size_t n, const char *extra, humaans_page_fn fn,
		    void *ctx, struct err *e);

/*
 * Called once per chunk of humaans_list_in_chunks when its list has been read
 * to the end: `values` (borrowed) are the chunk's values, so every record of
 * them has arrived. Return 0 to go on, or a negative code (with `e` set).
 */
typedef int (*humaans_chunk_fn)(void *ctx, const char *const *values, size_t n, struct err *e);

/* humaans_list_in, telling `chunk` (may be NULL) as each chunk completes. */
int humaans_list_in_chunks(struct http_client *c, const char *resource, const char *field,
			   const char *const *values, size_t n, const char *extra,
			   humaans_page_fn fn, humaans_chunk_fn chunk, void *ctx, struct err *e);

/*
 * Batches: several Humaans calls side by side on one http batch. The batch
 * owns the small per-call contexts, so nothing leaks when it is stopped
 * early. Caller frees with humaans_batch_free().
 *
 * The completion callback gets rc (0 on 2xx, else the decoded error code with
 * `e` filled as for humaans_call) and the result (borrowed for the call; the
 * callback may steal `res->json` or `res->body` by setting it to NULL). It may
 * queue more calls on the same batch (the next step of a hire). It returns 0
 * to go on (the error was handled, e.g. journaled) or a negative code, with
 * `e` set, to stop the batch.
 */
struct humaans_batch;
typedef int (*humaans_done_fn)(void *ctx, int rc, struct humaans_result *res, struct err *e);

struct humaans_batch *humaans_batch_new(struct http_client *c);
/* Run until every queued call (and those the callbacks queue) has completed. */
int humaans_batch_run(struct humaans_batch *hb, struct err *e);
void humaans_batch_free(struct humaans_batch *hb);

/* Queue a JSON call; `body` (borrowed) is serialised now. */
void humaans_batch_call(struct humaans_batch *hb, const char *method, const char *path,
			const json_t *body, humaans_done_fn done, void *ctx);
/* Queue an upload; `data` is copied. On 2xx the size answered is checked against `len`. */
void humaans_batch_upload(struct humaans_batch *hb, const char *filename, const char *content_type,
			  const void *data, size_t len, humaans_done_fn done, void *ctx);
/*
 * Queue a paged list: pages arrive through `fn`; each next page is queued when
 * the previous one arrived. A failed page stops the batch. `*count` (may be
 * NULL) receives the number of records seen when the list ends.
 */
void humaans_batch_list(struct humaans_batch *hb, const char *resource, const char *query,
			humaans_page_fn fn, void *ctx, long *count);

/*
 * The token's scopes: GET /token-info (an assumption) into `*scopes` (a new
 * array of strings). When that route does not exist (404/405), probe reads
 * instead and return the read scopes that answered, with `*probed` true
 * (write scopes cannot be probed safely and are then unknown).
 */
int humaans_token_scopes(struct http_client *c, json_t **scopes, bool *probed, struct err *e);

/*
 * Pure helpers, exposed for unit tests.
 *
 * Decode an error answer (status and raw body, either may be odd) into `e`:
 * returns the code (see the top of this file). `what` names the call
 * ("POST /people").
 */
int humaans_decode_error(long status, const char *body, size_t len, const char *what,
			 struct err *e);
/* The scope a 403 body names ("documents:write"), copied into `out`; false when none. */
bool humaans_error_scope(const char *body, size_t len, char *out, size_t outsz);

#endif
