#include "config.h"

#include "base/namesplit.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/xalloc.h"

static const char *const particles[] = { "van",
					 "von",
					 "der",
					 "den",
					 "de",
					 "del",
					 "della",
					 "di",
					 "da",
					 "dos",
					 "das",
					 "du",
					 "des",
					 "la",
					 "le",
					 "ter",
					 "ten",
					 "bin",
					 "binti",
					 "ibn",
					 "al",
					 "el",
					 "n\xc3\xad" /* ní */,
					 "nic",
					 "\xc3\xb3" /* ó */,
					 NULL };

/*
 * Length of the white-space character at `p` (0 when `p` is not white space).
 * Only the characters listed in the header are recognised; everything else,
 * including malformed UTF-8, is part of a word.
 */
static size_t space_len(const unsigned char *p)
{
	switch (p[0]) {
	case ' ':
	case '\t':
	case '\n':
	case '\v':
	case '\f':
	case '\r':
		return 1;
	case 0xc2:
		return p[1] == 0xa0 ? 2 : 0; /* U+00A0 */
	case 0xe1:
		return p[1] == 0x9a && p[2] == 0x80 ? 3 : 0; /* U+1680 */
	case 0xe2:
		if (p[1] == 0x80 && ((p[2] >= 0x80 && p[2] <= 0x8a) || p[2] == 0xaf))
			return 3;			     /* U+2000..200A, U+202F */
		return p[1] == 0x81 && p[2] == 0x9f ? 3 : 0; /* U+205F */
	case 0xe3:
		return p[1] == 0x80 && p[2] == 0x80 ? 3 : 0; /* U+3000 */
	default:
		return 0;
	}
}

char *name_normalise(const char *name)
{
	const unsigned char *p = (const unsigned char *)(name ? name : "");
	struct buf b = BUF_INIT;
	int pending_space = 0;

	while (*p) {
		size_t n = space_len(p);

		if (n) {
			pending_space = b.len > 0;
			p += n;
			continue;
		}
		if (pending_space)
			buf_addc(&b, ' ');
		pending_space = 0;
		buf_addc(&b, (char)*p++);
	}
	return buf_detach(&b, NULL);
}

/*
 * Fold one character for comparison: ASCII A-Z and the Latin-1 capitals
 * U+00C0..U+00DE (except U+00D7) to lower case. Returns the bytes consumed
 * and writes the folded bytes to out (at most 2).
 */
static size_t fold_char(const unsigned char *p, unsigned char out[2], size_t *outn)
{
	if (p[0] >= 'A' && p[0] <= 'Z') {
		out[0] = (unsigned char)(p[0] + 32);
		*outn = 1;
		return 1;
	}
	if (p[0] == 0xc3 && p[1] >= 0x80 && p[1] <= 0x9e && p[1] != 0x97) {
		out[0] = 0xc3;
		out[1] = (unsigned char)(p[1] + 0x20);
		*outn = 2;
		return 2;
	}
	out[0] = p[0];
	*outn = 1;
	return 1;
}

static bool equal_fold(const char *word, size_t len, const char *lower)
{
	const unsigned char *p = (const unsigned char *)word;
	const unsigned char *end = p + len;
	const unsigned char *q = (const unsigned char *)lower;

	while (p < end) {
		unsigned char f[2];
		size_t fn, i;

		p += fold_char(p, f, &fn);
		for (i = 0; i < fn; i++, q++)
			if (*q != f[i])
				return false;
	}
	return *q == '\0';
}

static bool is_particle_n(const char *word, size_t len)
{
	const char *const *pp;

	for (pp = particles; *pp; pp++)
		if (equal_fold(word, len, *pp))
			return true;
	return false;
}

bool name_is_particle(const char *word)
{
	return is_particle_n(word, strlen(word));
}

struct word {
	const char *s;
	size_t len;
};

static char *join_words(const struct word *w, size_t from, size_t to)
{
	struct buf b = BUF_INIT;
	size_t i;

	if (from >= to)
		return NULL;
	for (i = from; i < to; i++) {
		if (i > from)
			buf_addc(&b, ' ');
		buf_add(&b, w[i].s, w[i].len);
	}
	return buf_detach(&b, NULL);
}

void name_split(struct name_split *out, const char *name)
{
	char *norm = name_normalise(name);
	struct word *w = NULL;
	size_t n = 0, cap = 0, last_start;
	char *p = norm;

	memset(out, 0, sizeof(*out));
	while (*p) {
		char *sp = strchr(p, ' ');
		size_t len = sp ? (size_t)(sp - p) : strlen(p);

		if (n == cap) {
			cap = cap ? 2 * cap : 8;
			w = xrealloc(w, cap * sizeof(*w));
		}
		w[n].s = p;
		w[n].len = len;
		n++;
		p += len;
		if (*p == ' ')
			p++;
	}
	out->words = n;
	out->review = n > 2;
	if (n == 0)
		goto out;
	out->first = xstrndup(w[0].s, w[0].len);
	if (n == 1)
		goto out;
	last_start = n - 1;
	while (last_start > 1 && is_particle_n(w[last_start - 1].s, w[last_start - 1].len))
		last_start--;
	out->middle = join_words(w, 1, last_start);
	out->last = join_words(w, last_start, n);
out:
	free(w);
	free(norm);
}

void name_split_release(struct name_split *s)
{
	free(s->first);
	free(s->middle);
	free(s->last);
	memset(s, 0, sizeof(*s));
}
