/*
 * inbox: the webhook deliveries `serve` accepted and no run has used yet
 * (DESIGN.md: `inbox/` in the staging directory).
 *
 * A delivery is one small JSON record (its webhookActionId, action, kind and
 * the application and candidate ids it names, the time it came: no personal
 * data, no secret) in `inbox/<key>.json`, where <key> is the SHA-256 of its
 * webhookActionId. It is written atomically (a temporary file created 0600,
 * fsync, rename, fsync of the directory) before inbox_put() returns, so a
 * delivery answered 200 survives kill -9. When a run has used it, it moves to
 * `inbox/done/` and stays there INBOX_KEEP_DAYS days so that Ashby's retries
 * and repeated webhooks of one event are recognised (the webhookActionId is
 * the dedupe key) across restarts. The directory is not tracked by git; the
 * run that uses deliveries commits their list (see stages/serve.h).
 *
 * The inbox does not take the staging lock: `serve` keeps accepting while a
 * nightly run holds it. One mutex serialises the inbox's own operations, so
 * it may be shared by threads.
 */
#ifndef INBOX_H
#define INBOX_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"

#define INBOX_KEEP_DAYS 14

struct inbox;

/*
 * Open (creating, mode 0700) `<staging_dir>/inbox` and `inbox/done`, and drop
 * done records older than INBOX_KEEP_DAYS. Caller closes with inbox_close().
 */
int inbox_open(const char *staging_dir, struct inbox **out, struct err *e);
void inbox_close(struct inbox *ib);

/*
 * Store `rec` (an object; borrowed) as the delivery `action_id`, durably,
 * with "webhookActionId" and "received" set. When that id is pending or was
 * used already, nothing is written and *dup is true.
 */
int inbox_put(struct inbox *ib, const char *action_id, const json_t *rec, bool *dup, struct err *e);

/*
 * The pending deliveries, oldest first: *out is a new array of the records,
 * each with its "key" added. A record that cannot be read is skipped with a
 * warning naming its file (it stays where it is).
 */
int inbox_pending(struct inbox *ib, json_t **out, struct err *e);

/* How many deliveries are pending. */
size_t inbox_count(struct inbox *ib);

/* Delivery `key` was used by a run: move it to inbox/done/. */
int inbox_done(struct inbox *ib, const char *key, struct err *e);

/* The directory (borrowed). */
const char *inbox_path(const struct inbox *ib);

#endif
