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
 * Arrays of records as Humaans returned them. NULL means "not read" (nothing
 * needed it). compensations, job_roles and custom_values hold the records of
 * the ledger-known people only. Whether the arrays are owned is the holder's
 * business: hstate_read_basis() fills owned ones, hstate_release() frees
 * them.
 */
struct hstate {
	json_t *people, *locations, *compensation_types, *document_types, *custom_fields;
	json_t *compensations, *job_roles, *custom_values;
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
 * not absent); ERR_INVALID for a key of neither shape.
 */
int hstate_fingerprint(const struct hstate *hs, const char *key, char out[65], struct err *e);

/*
 * The records of person `pid` in resource `res` ("compensations",
 * "job-roles", "custom-values"...), in the array's order; borrowed. NULL when
 * there are none (json_array_foreach and json_array_size take NULL as empty).
 */
const json_t *hstate_person(const struct hstate *hs, const char *res, const char *pid);

/* Free the arrays and the cache, and zero `hs`. */
void hstate_release(struct hstate *hs);

/*
 * Every record of a Humaans list. `what` is a resource path ("/people"),
 * `query` extra query text or NULL; the client pages until done. *out is a
 * new array.
 */
int hstate_list(struct http_client *c, const char *what, const char *query, json_t **out,
		struct err *e);

/*
 * The same, with personId[$in][]= for `ids` (array of strings), in chunks;
 * sorted by id for stable output. *out is a new array.
 */
int hstate_list_in(struct http_client *c, const char *what, const json_t *ids, json_t **out,
		   struct err *e);

/*
 * Read what a set of basis keys (an object key -> sha; the values are not
 * looked at) needs, and always people, into `hs` (owned arrays: free with
 * hstate_release; released on error).
 */
int hstate_read_basis(struct http_client *c, const json_t *keys, struct hstate *hs, struct err *e);

#endif
