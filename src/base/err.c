#include "config.h"

#include "base/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/secret.h"
#include "base/text.h"

/*
 * Every message is formed here, so this is where it is made safe to print and
 * to store: configured secrets are redacted (before any cut, so a cut cannot
 * leave part of one), control characters escaped (a message stays one line and
 * cannot drive a terminal), and the whole cut to fit with "... (N bytes)".
 */
static void msg_form(char *dst, size_t dstsz, const char *fmt, va_list ap)
{
	struct buf raw = BUF_INIT, shown = BUF_INIT;

	buf_vaddf(&raw, fmt, ap);
	secret_redact_buf(&raw);
	text_escape(&shown, raw.data, raw.len, dstsz - 32);
	snprintf(dst, dstsz, "%s", shown.data);
	buf_release(&shown);
	buf_release(&raw);
}

int err_set(struct err *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return code;
	e->code = code;
	va_start(ap, fmt);
	msg_form(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return code;
}

int err_prefix(struct err *e, const char *fmt, ...)
{
	char head[ERR_MSG_MAX];
	char old[ERR_MSG_MAX];
	va_list ap;
	int n;

	if (!e)
		return ERR_FAIL;
	va_start(ap, fmt);
	msg_form(head, sizeof(head), fmt, ap);
	va_end(ap);
	memcpy(old, e->msg, sizeof(old));
	/* Truncation is acceptable: the message stays a valid, shorter string. */
	n = snprintf(e->msg, sizeof(e->msg), "%s: ", head);
	if (n >= 0 && (size_t)n < sizeof(e->msg))
		snprintf(e->msg + n, sizeof(e->msg) - (size_t)n, "%s", old);
	return e->code;
}

void err_clear(struct err *e)
{
	if (!e)
		return;
	e->code = 0;
	e->msg[0] = '\0';
}

const char *err_code_name(int code)
{
	switch (code) {
	case ERR_OK:
		return "ok";
	case ERR_FAIL:
		return "failure";
	case ERR_NOTFOUND:
		return "not found";
	case ERR_INVALID:
		return "invalid";
	case ERR_IO:
		return "i/o error";
	case ERR_HTTP:
		return "http error";
	case ERR_NETWORK:
		return "network error";
	case ERR_AUTH:
		return "authentication failed";
	case ERR_PERMISSION:
		return "permission missing";
	case ERR_UNCERTAIN:
		return "uncertain";
	case ERR_STALE:
		return "stale";
	case ERR_LOCKED:
		return "locked";
	case ERR_SYNC_RESET:
		return "sync reset";
	}
	return "unknown";
}
