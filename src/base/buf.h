/*
 * buf: a growable byte buffer, after git's strbuf and curl's dynbuf.
 *
 * Invariants: `data` is never NULL and always NUL-terminated (data[len] == 0),
 * so it can be used as a C string when it holds text. An optional size cap
 * (`max`, 0 = none) bounds growth: an append that would pass it fails, leaves
 * the buffer released (empty) and returns ERR_FAIL, so a hostile or runaway
 * response cannot exhaust memory.
 */
#ifndef BUF_H
#define BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max;
};

#define BUF_INIT                   \
	{                          \
		buf_empty, 0, 0, 0 \
	}
extern char buf_empty[1];

void buf_init(struct buf *b, size_t max);
void buf_release(struct buf *b);		     /* frees; buffer is empty and reusable */
void buf_reset(struct buf *b);			     /* len = 0, keeps memory */
int buf_add(struct buf *b, const void *p, size_t n); /* 0 or ERR_FAIL past the cap */
int buf_adds(struct buf *b, const char *s);
int buf_addc(struct buf *b, char c);
int buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vaddf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Hand the contents over: caller frees the result; the buffer is left empty. */
char *buf_detach(struct buf *b, size_t *len);

#endif
