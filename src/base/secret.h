/*
 * secret: the configured credentials, redacted from every message before it is
 * printed or stored.
 *
 * err_set()/err_prefix() and the log functions pass each message they form
 * through secret_redact(), so a server that echoes a key in its error text
 * (Ashby's errorInfo.message) cannot put it on a terminal, in a log or in a
 * run's tag message.
 *
 * The registry is process-wide state, written once at start-up by main from the
 * process configuration (struct config: ASHBY_API_KEY, HUMAANS_API_TOKEN) before
 * any work starts, and only read afterwards (threads included). It is process
 * configuration, like the log level; adding a credential later (a webhook secret,
 * a notification URL) is one secret_add() call in main.
 */
#ifndef SECRET_H
#define SECRET_H

#include <stddef.h>

/* At most this many secrets (each registered form counts). */
#define SECRET_MAX 16

/*
 * Values shorter than this are not registered: no real key or token is that
 * short, and masking every "k" or "t" would garble every message.
 */
#define SECRET_MIN_LEN 8

/* What a secret is replaced with. */
#define SECRET_MASK "[redacted]"

/*
 * Register `s` (copied; NULL or shorter than SECRET_MIN_LEN is ignored). Call only at start-up, before
 * threads. Returns 0, or -1 when the registry is full.
 */
int secret_add(const char *s);

/*
 * Register `user` and the base64 of "user:" (the HTTP Basic credentials Ashby's
 * key is sent as), so the encoded form is redacted too.
 */
int secret_add_basic(const char *user);

/* Forget every secret (tests). */
void secret_clear(void);

/*
 * Replace every registered secret in the NUL-terminated `s` (a buffer of `size`
 * bytes) with SECRET_MASK, cutting the result to fit. Returns the number of
 * replacements.
 */
size_t secret_redact(char *s, size_t size);

/* The same over a buffer's text (it grows as needed). */
struct buf;
size_t secret_redact_buf(struct buf *b);

/*
 * Append a server's text s[0..len) to `out` for a message: redacted whole first,
 * then escaped for display and cut after `cap` bytes (text_escape). Redacting
 * before the cut matters: a secret cut in half would no longer match.
 */
void secret_excerpt(struct buf *out, const char *s, size_t len, size_t cap);

#endif
