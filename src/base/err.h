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

#include "base/errcode.h"

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
