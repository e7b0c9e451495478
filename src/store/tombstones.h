/*
 * tombstones: load/tombstones.json, what remains of the hires `forget` erased
 * (doc/ARCHITECTURE.md, DRIFT-DESIGN §5). The one reader and writer of it.
 *
 * A canonical object keyed by application id:
 *     { "<application id>": {"date": "YYYY-MM-DD", "reason": "...",
 *                            "runs": ["<run id>", ...]} }
 * No personal data: the id, the date of the erasure, the reason given and the
 * runs whose commits were rewritten. extract skips a tombstoned application
 * entirely; plan shows one line for it and creates nothing. Removing an entry
 * (and committing) lets a later run import the application again; the erased
 * history itself is gone for good.
 */
#ifndef TOMBSTONES_H
#define TOMBSTONES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/err.h"

struct staging;

#define TOMBSTONES_FILE "load/tombstones.json"

/* Parse the file's bytes (`what` names them in errors). *out: a new object (caller decrefs). */
int tombstones_parse(const char *data, size_t len, const char *what, json_t **out, struct err *e);
/* The work tree's file; absent: an empty object. *out: new reference. */
int tombstones_load(struct staging *s, json_t **out, struct err *e);
/* The same at revision `rev` ("HEAD"; NULL: the work tree). */
int tombstones_load_at(struct staging *s, const char *rev, json_t **out, struct err *e);
/* Whether `app` is tombstoned; *date (may be NULL) gets its date (borrowed from `t`). */
bool tombstones_has(const json_t *t, const char *app, const char **date);
/*
 * Add (or replace) the entry of `app`: `date` (YYYY-MM-DD), `reason` (one
 * line), `runs` (borrowed array of run ids, copied and sorted).
 */
int tombstones_add(json_t *t, const char *app, const char *date, const char *reason,
		   const json_t *runs, struct err *e);
/* Canonical bytes of `t`, appended to `out`. */
int tombstones_dump(const json_t *t, struct buf *out, struct err *e);

/*
 * The application ids of `t` in byte order (borrowed from `t`); *n gets how
 * many. The array is the caller's to free.
 */
const char **tombstones_ids(const json_t *t, size_t *n);

#endif
