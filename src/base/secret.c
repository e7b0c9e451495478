#include "config.h"

#include "base/secret.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/text.h"
#include "base/xalloc.h"

/* Process configuration: written by main before any work starts, read-only afterwards. */
static char *secrets[SECRET_MAX];
static size_t nsecrets;

int secret_add(const char *s)
{
	size_t i;

	/* Too short to be a credential: redacting it would garble every message. */
	if (!s || strlen(s) < SECRET_MIN_LEN)
		return 0;
	for (i = 0; i < nsecrets; i++)
		if (strcmp(secrets[i], s) == 0)
			return 0;
	if (nsecrets == SECRET_MAX)
		return -1;
	secrets[nsecrets++] = xstrdup(s);
	return 0;
}

static char *base64(const unsigned char *in, size_t n)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = xmalloc((n + 2) / 3 * 4 + 1), *o = out;
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		*o++ = tab[in[i] >> 2];
		*o++ = tab[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
		*o++ = tab[((in[i + 1] & 15) << 2) | (in[i + 2] >> 6)];
		*o++ = tab[in[i + 2] & 63];
	}
	if (i < n) {
		*o++ = tab[in[i] >> 2];
		if (i + 1 < n) {
			*o++ = tab[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
			*o++ = tab[(in[i + 1] & 15) << 2];
		} else {
			*o++ = tab[(in[i] & 3) << 4];
			*o++ = '=';
		}
		*o++ = '=';
	}
	*o = '\0';
	return out;
}

int secret_add_basic(const char *user)
{
	char *pair, *enc;
	size_t n;
	int rc;

	if (!user || !*user)
		return 0;
	n = strlen(user);
	pair = xmalloc(n + 2);
	memcpy(pair, user, n);
	pair[n] = ':';
	pair[n + 1] = '\0';
	enc = base64((const unsigned char *)pair, n + 1);
	rc = secret_add(user);
	if (rc == 0)
		rc = secret_add(enc);
	free(enc);
	free(pair);
	return rc;
}

void secret_clear(void)
{
	while (nsecrets)
		free(secrets[--nsecrets]);
}

/* The longest secret that starts at `p`, or 0. */
static size_t match_at(const char *p)
{
	size_t i, best = 0;

	for (i = 0; i < nsecrets; i++) {
		size_t n = strlen(secrets[i]);

		if (n > best && strncmp(p, secrets[i], n) == 0)
			best = n;
	}
	return best;
}

/*
 * Replace the secrets of b's text in place, in one pass from left to right
 * (the longest secret wins where two start at the same byte), so a mask that
 * was put in is never searched again. Returns the number replaced.
 */
size_t secret_redact_buf(struct buf *b)
{
	struct buf out = BUF_INIT;
	size_t hits = 0, i = 0, from = 0, n;

	if (!nsecrets || !b->len)
		return 0;
	while (i < b->len) {
		if ((n = match_at(b->data + i)) == 0) {
			i++;
			continue;
		}
		buf_add(&out, b->data + from, i - from);
		buf_adds(&out, SECRET_MASK);
		i += n;
		from = i;
		hits++;
	}
	if (hits) {
		buf_add(&out, b->data + from, b->len - from);
		buf_reset(b);
		buf_add(b, out.data, out.len);
	}
	buf_release(&out);
	return hits;
}

size_t secret_redact(char *s, size_t size)
{
	struct buf b = BUF_INIT;
	size_t hits;

	if (!s || !size || !nsecrets)
		return 0;
	buf_adds(&b, s);
	hits = secret_redact_buf(&b);
	/* Cut to fit: a cut can only shorten the mask, never leave a secret behind. */
	if (hits)
		snprintf(s, size, "%s", b.data);
	buf_release(&b);
	return hits;
}

void secret_excerpt(struct buf *out, const char *s, size_t len, size_t cap)
{
	struct buf whole = BUF_INIT;

	if (!s)
		return;
	buf_add(&whole, s, len);
	secret_redact_buf(&whole);
	text_escape(out, whole.data, whole.len, cap);
	buf_release(&whole);
}
