/*
 * webhook: Ashby's webhook deliveries (api/ashby.md §Webhooks): the signature
 * check and the parse of a payload into what a run needs. Pure functions: no
 * I/O, no global state; safe from any thread.
 *
 * The signature is `Ashby-Signature: sha256=<hex of HMAC-SHA256(secret, raw
 * body)>`, checked over the raw bytes before anything parses them, in
 * constant time. The payload says only *which* application changed: nothing
 * it carries besides ids is used (what reaches Humaans comes from the API),
 * so a replayed or stale delivery cannot write old data.
 */
#ifndef WEBHOOK_H
#define WEBHOOK_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"

/* The largest body a receiver accepts (larger: 413). */
#define WEBHOOK_BODY_MAX (1u << 20)
/* The header that carries the signature. */
#define WEBHOOK_SIGNATURE_HEADER "Ashby-Signature"

/*
 * Whether `header` (the Ashby-Signature value, may be NULL) is
 * "sha256=<64 hex digits>" (hex in either case, surrounding blanks allowed) and
 * equals HMAC-SHA256(secret, body). The digests are compared in constant time.
 * An empty secret never verifies.
 */
bool webhook_signature_ok(const void *secret, size_t secret_len, const void *body, size_t len,
			  const char *header);

/* The signature header value for `body` ("sha256=<hex>", 72 bytes with the NUL): for tests. */
void webhook_sign(const void *secret, size_t secret_len, const void *body, size_t len,
		  char out[72]);

enum webhook_kind {
	WEBHOOK_APPLICATIONS, /* names applications: a targeted run reads them */
	WEBHOOK_MERGE,	      /* candidateMerge: re-read the merged candidate's applications */
	WEBHOOK_PING,	      /* the URL check: nothing to do */
	WEBHOOK_IGNORED	      /* any other action: stored, ignored */
};

/* One parsed delivery. Every string member is owned; release with webhook_delivery_release(). */
struct webhook_delivery {
	char *action_id; /* webhookActionId, or "body-<sha256 of the body>" when absent */
	char *action;	 /* the action ("" when absent) */
	enum webhook_kind kind;
	json_t *applications; /* array of application ids (strings), sorted, unique */
	json_t *candidates;   /* array of candidate ids: for WEBHOOK_MERGE, the merged one */
};

/*
 * Parse a verified body. ERR_INVALID (message naming what is wrong, no payload
 * text) when it is not a JSON object or a member has the wrong type. Ids that
 * are not plain ([A-Za-z0-9._-], no leading dot, at most 128 bytes) are
 * dropped. An action that should name an application but names none is
 * WEBHOOK_IGNORED.
 */
int webhook_parse(const void *body, size_t len, struct webhook_delivery *out, struct err *e);
void webhook_delivery_release(struct webhook_delivery *d);

#endif
