/*
 * hstate: the Humaans state a plan depends on, read from Humaans and indexed,
 * shared by plan (which computes the basis fingerprints) and apply (which
 * reads them again to see whether the plan went stale).
 *
 * A basis key is "<resource>/<id>" (one record) or "<resource>?personId=<id>"
 * (the set of a person's sub-records); its fingerprint is the SHA-256 of the
 * canonical JSON (snapshot_dump) of the record or of the set sorted by id.
 */
#ifndef HSTATE_H
#define HSTATE_H

#include <jansson.h>

#include "base/err.h"

struct http_client;

/*
 * What a streamed read (hstate_stream_init) keeps of the records as their
 * pages arrive; every record is fingerprinted first, whole. A NULL function
 * keeps nothing. The reference lists (locations, compensation types, document
 * types, custom fields) are small and kept whole.
 */
struct hstate_keep {
	/* A person of /people (borrowed): what to keep (new reference), or NULL for nothing. */
	json_t *(*person)(void *ctx, const json_t *person);
	/*
	 * A person's records of `res` ("job-roles", "compensations",
	 * "custom-values"), all of them, sorted by id (borrowed): what to keep
	 * (new array), or NULL for nothing.
	 */
	json_t *(*set)(void *ctx, const char *res, const char *pid, const json_t *records);
	void *ctx;
};

/*
 * Arrays of records. NULL means "not read" (nothing needed it).
 * compensations, job_roles and custom_values hold records of the ledger-known
 * people only. Either the arrays are whole, as Humaans returned them (a unit
 * test fills them; fingerprints are computed from them on demand), or the
 * state was streamed (hstate_stream_init, then hstate_read / hstate_read_sets
 * or hstate_read_basis): the fingerprints were computed as the pages arrived
 * and the arrays hold only what `keep` kept. Whether the arrays are owned is
 * the holder's business: the streamed reads fill owned ones, hstate_release()
 * frees them.
 */
struct hstate {
	json_t *people, *locations, *compensation_types, *document_types, *custom_fields;
	json_t *compensations, *job_roles, *custom_values;
	/*
	 * Streamed: basis key -> fingerprint (a string of 64 hex digits), made
	 * as the records arrived; an empty set has none. NULL when the arrays are
	 * whole.
	 */
	json_t *fp;
	unsigned read;	      /* streamed: a bit per resource read (hstate.c's table) */
	const json_t *wanted; /* streamed: only these keys are fingerprinted (borrowed); NULL all */
	struct hstate_keep keep;
	/*
	 * A lookup cache built from the arrays on first use (hstate_fingerprint):
	 * "<resource>/<id>" -> record, "<resource>?personId=<id>" -> array of the
	 * person's records, so a plan over 10,000 people does not scan whole
	 * arrays per key. Rebuilt when the arrays grew; freed by hstate_release().
	 */
	json_t *index;
	size_t indexed; /* records in the arrays when `index` was built */
};

/*
 * The fingerprint of one basis key: 64 hex digits into `out`. ERR_NOTFOUND
 * when the record is absent or its resource was not read (an empty set is
 * not absent); ERR_INVALID for a key of neither shape. A streamed state
 * fingerprints "<resource>/<id>" keys of whole lists (people, the reference
 * lists) and "<resource>?personId=<id>" keys of sets.
 */
int hstate_fingerprint(const struct hstate *hs, const char *key, char out[65], struct err *e);

/*
 * The records of person `pid` in resource `res` ("compensations",
 * "job-roles", "custom-values"...), in the array's order; borrowed. NULL when
 * there are none (json_array_foreach and json_array_size take NULL as empty).
 */
const json_t *hstate_person(const struct hstate *hs, const char *res, const char *pid);

/* Free the arrays, the fingerprints and the cache, and zero `hs`. */
void hstate_release(struct hstate *hs);

/*
 * Start a streamed state: `keep` (copied; NULL keeps nothing of people and
 * sets) says what is kept, `wanted` (borrowed, an object whose keys are
 * basis keys; NULL: every key) which fingerprints.
 */
void hstate_stream_init(struct hstate *hs, const struct hstate_keep *keep, const json_t *wanted);

/*
 * Read a whole list into a streamed state, one page at a time: `res` is
 * "people" or a reference list ("locations", "compensation-types",
 * "document-types", "custom-fields"). Each record is fingerprinted
 * ("<res>/<id>"; the first record with an id stands), then kept.
 */
int hstate_read(struct hstate *hs, struct http_client *c, const char *res, struct err *e);

/*
 * Read the records of the people `pids` (array of strings) in set resource
 * `res` ("job-roles", "compensations", "custom-values") with personId[$in][]=
 * in chunks. A person's records are held only until the chunks that asked for
 * them are complete: then their set is fingerprinted
 * ("<res>?personId=<id>", the records sorted by id) and what `keep` chose of
 * it is appended to the array.
 */
int hstate_read_sets(struct hstate *hs, struct http_client *c, const char *res, const json_t *pids,
		     struct err *e);

/*
 * Read what a set of basis keys (an object key -> sha; the values are not
 * looked at) needs, and always people, into `hs` as a streamed state that
 * fingerprints only those keys and keeps what `keep` (may be NULL) chose.
 * Free with hstate_release; released on error.
 */
int hstate_read_basis(struct http_client *c, const json_t *keys, const struct hstate_keep *keep,
		      struct hstate *hs, struct err *e);

#endif
