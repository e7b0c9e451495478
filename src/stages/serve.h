/*
 * serve: the webhook receiver (issue 15). A long-running process that
 * answers Ashby's webhooks and runs the stages for just the applications they
 * name, sharing everything with the batch run: the staging repo, its lock,
 * the journal, the ledger and the audit trail.
 *
 *   POST /ashby/webhook   signature checked over the raw bytes (401, nothing
 *                         stored, when missing or wrong); body over 1 MiB: 413;
 *                         else the delivery is stored durably in inbox/
 *                         (store/inbox.h) and answered 200, whatever the action
 *   GET  /healthz         200 {"status", "pending", "lastRunId", "lastError"}
 *   anything else         404 (unknown path) or 405 (wrong method)
 *
 * Deliveries that arrive close together share one run: a run starts
 * SERVE_WINDOW_MS after the latest delivery, and at most SERVE_WINDOW_MAX_MS
 * after the first one of its batch. Each run has its own Run-Id and tag
 * (`Command: serve`, `Trigger: webhook`, the delivery ids); its first commit
 * (stage `webhook`) stages webhook/deliveries.json, the deliveries it used
 * (ids, actions, application ids: no personal data), so the history shows
 * which webhook caused which Humaans write. Then extract (targeted:
 * src/stages/extract/extract-targeted.c), transform, plan, and apply with `apply`. The staging
 * lock is taken only for the run: while the nightly run holds it, deliveries
 * are accepted and wait. A failed run leaves its deliveries pending; they are
 * tried again with a growing pause, and after SERVE_ATTEMPTS failures left to
 * the nightly run.
 */
#ifndef SERVE_H
#define SERVE_H

#include <signal.h>
#include <stdbool.h>

#include "base/err.h"
#include "base/settings.h"
#include "stages/run.h"

#define SERVE_WINDOW_MS 2000
#define SERVE_WINDOW_MAX_MS 10000
#define SERVE_ATTEMPTS 5
/* After a stop is asked for, how long the run in progress may take before it is abandoned. */
#define SERVE_STOP_GRACE_MS 8000

struct serve_opts {
	const char *listen; /* "ADDR:PORT" (IPv4 address or "[IPv6]"; port 0: any free port) */
	bool apply;	    /* apply the plans; else dry runs */
	struct run_opts ro;
	const char *secret;		   /* the webhook secret (borrowed; never printed) */
	const volatile sig_atomic_t *stop; /* becomes non-zero when the process should stop */
};

/*
 * Serve until *o->stop. Returns 0 after a clean stop, with *abandoned true
 * when a run was still in progress after SERVE_STOP_GRACE_MS (its worker
 * still runs: the caller should end the process at once; the deliveries stay
 * pending and the journal makes the run resumable).
 */
int serve_main(const struct config *cfg, const struct serve_opts *o, bool *abandoned,
	       struct err *e);

#endif
