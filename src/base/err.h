/*
 * err: errors as values.
 *
 * A fallible function returns 0 on success or a negative enum err_code, and
 * takes a `struct err *` as its last parameter which it fills with a one-line,
 * lower-case message naming what failed and the record it concerns. Messages
 * never contain credentials. Library errors (libcurl, jansson, libgit2,
 * libarchive, libcsv) are translated into a `struct err` once, in the wrapper
 * that calls the library.
 */
#ifndef ERR_H
#define ERR_H

#include <stddef.h>

enum err_code {
	ERR_OK = 0,
	ERR_FAIL = -1,	     /* generic failure */
	ERR_NOTFOUND = -2,   /* the thing looked for does not exist */
	ERR_INVALID = -3,    /* bad input: malformed, wrong type, missing field */
	ERR_IO = -4,	     /* file system */
	ERR_HTTP = -5,	     /* the API answered with an error status */
	ERR_NETWORK = -6,    /* no usable answer after the retries */
	ERR_AUTH = -7,	     /* credentials missing or rejected (401/403) */
	ERR_PERMISSION = -8, /* credentials lack a module or scope */
	ERR_UNCERTAIN = -9,  /* a write may have reached the server: look before retrying */
	ERR_STALE = -10,     /* a plan's basis no longer holds */
	ERR_LOCKED = -11,    /* the staging repo is locked by another process */
	ERR_SYNC_RESET = -12 /* Ashby asked for a full pass (token or cursor reset) */
};

#define ERR_MSG_MAX 1024

struct err {
	int code;
	char msg[ERR_MSG_MAX];
};

#define ERR_INIT      \
	{             \
		0, "" \
	}

/* Set code and message; returns code so callers can `return err_set(...)`. */
int err_set(struct err *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Prepend "context: " to the current message; returns the current code. */
int err_prefix(struct err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void err_clear(struct err *e);

/* Name of a code, for tests and logs ("not found", "stale", ...). */
const char *err_code_name(int code);

#endif
