/*
 * errcode: the codes every fallible function returns (0 or negative). Apart
 * from err.h so that the lowest modules (buf) can return them without
 * depending on err, whose message formatting uses buf.
 */
#ifndef ERRCODE_H
#define ERRCODE_H

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

#endif
