/*
 * ledger: load/ledger.json and the entries appended since to
 * load/ledger.pending.jsonl (LEDGER_PENDING_FILE), read one entry at a time.
 *
 * The ledger maps an Ashby application id to what this tool created for it in
 * Humaans (doc/ARCHITECTURE.md, apply.h). At 10,000 hires ledger.json is a few
 * megabytes and its jansson tree several times that, so this keeps only an
 * index of application id -> where the entry's current value starts (in
 * ledger.json, or the last pending line that names it) and parses an entry
 * when it is asked for. ledger_write() puts every current entry into
 * ledger.json in key order (byte for byte what snapshot_write_json() gives
 * for the whole object) and removes the pending lines.
 *
 * A pending line is {"app": "<application id>", "entry": {...}}, the entry as
 * it stood after a completed step: the last line of an application wins; a
 * torn last line (a kill mid-write) is ignored. This is the one reader of
 * both files: plan and apply see the ledger through it.
 */
#ifndef LEDGER_H
#define LEDGER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"

struct staging;
struct ledger;

#define LEDGER_FILE "load/ledger.json"
/* Entries appended by an apply under way, folded into ledger.json when it ends. */
#define LEDGER_PENDING_FILE "load/ledger.pending.jsonl"

/*
 * Index load/ledger.json (absent: empty) and the pending lines. ERR_INVALID
 * when ledger.json is not one JSON object or names an application twice.
 * Caller frees with ledger_free(). `s` is borrowed until then.
 */
int ledger_open(struct staging *s, struct ledger **out, struct err *e);
void ledger_free(struct ledger *l);

/* How many applications the ledger holds. */
size_t ledger_count(const struct ledger *l);
/* Whether pending lines exist (an apply did not finish, or one is under way). */
bool ledger_has_pending(const struct ledger *l);

/* The entry of `app`: 1 and *out (new reference), 0 (*out NULL) when absent, or a negative code. */
int ledger_get(struct ledger *l, const char *app, json_t **out, struct err *e);

/* `en` (borrowed) becomes the entry of `app`: one pending line, appended and fsynced. */
int ledger_put(struct ledger *l, const char *app, const json_t *en, struct err *e);

/* Forget `app` (absent is fine); ledger.json loses it at the next ledger_write(). */
void ledger_del(struct ledger *l, const char *app);

/*
 * What to do with one entry: `app` is borrowed and `en` a reference the
 * ledger drops after the call (the callback may change it, or keep it with
 * json_incref). A non-zero return stops the walk and is returned.
 */
typedef int (*ledger_entry_fn)(void *ctx, const char *app, json_t *en, struct err *e);

/*
 * Each entry, read one at a time, in the ledger's order: ledger.json's, then
 * the applications the pending lines add, in the order they first appear.
 * The callback must not put, delete or write.
 */
int ledger_each(struct ledger *l, ledger_entry_fn fn, void *ctx, struct err *e);

/*
 * The application whose entry's "personId" is `person_id`: 1 and *app (caller
 * frees), or 0 when none. Reads every entry.
 */
int ledger_find_person(struct ledger *l, const char *person_id, char **app, struct err *e);

/*
 * Write every current entry to load/ledger.json (atomically; left untouched
 * when the bytes are the same), then remove the pending lines. The index then
 * points into the new ledger.json.
 */
int ledger_write(struct ledger *l, struct err *e);

#endif
