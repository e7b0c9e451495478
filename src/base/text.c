#include "config.h"

#include "base/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"

/*
 * Decode one UTF-8 sequence at s[0..len): its code point and length, or -1 when
 * it is not valid (overlong, surrogate, past U+10FFFF, cut short). *n is then 1.
 */
static long utf8_next(const unsigned char *s, size_t len, size_t *n)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xBF;
	size_t need, i;
	long cp;

	*n = 1;
	if (c < 0x80)
		return c;
	if (c >= 0xC2 && c <= 0xDF) {
		need = 1;
		cp = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		need = 2;
		cp = c & 0x0F;
		if (c == 0xE0)
			lo = 0xA0; /* overlong */
		if (c == 0xED)
			hi = 0x9F; /* surrogates */
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 3;
		cp = c & 0x07;
		if (c == 0xF0)
			lo = 0x90;
		if (c == 0xF4)
			hi = 0x8F;
	} else {
		return -1;
	}
	if (len < need + 1)
		return -1;
	for (i = 1; i <= need; i++) {
		unsigned char b = s[i];

		if (b < (i == 1 ? lo : 0x80) || b > (i == 1 ? hi : 0xBF))
			return -1;
		cp = (cp << 6) | (b & 0x3F);
	}
	*n = need + 1;
	return cp;
}

static bool cp_is_control(long cp, unsigned allow)
{
	if (cp == '\t')
		return !(allow & TEXT_ALLOW_TAB);
	if (cp == '\n')
		return !(allow & TEXT_ALLOW_NEWLINE);
	return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F);
}

bool text_check(const char *s, size_t len, unsigned allow, size_t *at, long *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, n;

	while (s && i < len) {
		long c = utf8_next(u + i, len - i, &n);

		if (c < 0 || cp_is_control(c, allow)) {
			if (at)
				*at = i;
			if (cp)
				*cp = c;
			return false;
		}
		i += n;
	}
	return true;
}

bool text_problem(const char *s, size_t len, unsigned allow, char *why, size_t whysz)
{
	size_t at;
	long cp;

	if (whysz)
		why[0] = '\0';
	if (text_check(s, len, allow, &at, &cp))
		return false;
	if (cp < 0)
		snprintf(why, whysz, "is not valid UTF-8 (byte 0x%02X)",
			 (unsigned)(unsigned char)s[at]);
	else if (cp == 0)
		snprintf(why, whysz, "contains a NUL byte (U+0000)");
	else
		snprintf(why, whysz, "contains a control character (U+%04lX)", (unsigned long)cp);
	return true;
}

char *text_strip(const char *s, size_t len, unsigned allow)
{
	const unsigned char *u = (const unsigned char *)s;
	struct buf b = BUF_INIT;
	size_t i = 0, n;

	buf_add(&b, "", 0);
	while (s && i < len) {
		long c = utf8_next(u + i, len - i, &n);

		if (c < 0)
			buf_adds(&b, "\xEF\xBF\xBD"); /* U+FFFD */
		else if (!cp_is_control(c, allow))
			buf_add(&b, s + i, n);
		i += n;
	}
	return buf_detach(&b, NULL);
}

void text_escape(struct buf *out, const char *s, size_t len, size_t cap)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, n, end;

	if (!s)
		return;
	end = cap && len > cap ? cap : len;
	while (i < end) {
		long c = utf8_next(u + i, len - i, &n);

		if (i + n > end && cap)
			break; /* never cut a character in two */
		if (c < 0)
			buf_addf(out, "\\x%02x", u[i]);
		else if (c == 0)
			buf_adds(out, "\\0");
		else if (c == '\n')
			buf_adds(out, "\\n");
		else if (c == '\r')
			buf_adds(out, "\\r");
		else if (c == '\t')
			buf_adds(out, "\\t");
		else if (c < 0x20 || c == 0x7F)
			buf_addf(out, "\\x%02lx", (unsigned long)c);
		else if (c >= 0x80 && c <= 0x9F)
			buf_addf(out, "\\u%04lx", (unsigned long)c);
		else
			buf_add(out, s + i, n);
		i += n;
	}
	if (end < len)
		buf_addf(out, "... (%zu bytes)", len);
}

const char *text_show(char *dst, size_t dstsz, const char *s)
{
	struct buf b = BUF_INIT;

	if (!dstsz)
		return dst;
	text_escape(&b, s, s ? strlen(s) : 0, TEXT_SHOW_MAX);
	snprintf(dst, dstsz, "%s", b.len ? b.data : "");
	buf_release(&b);
	return dst;
}
