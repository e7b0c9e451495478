/*
 * namesplit: first, middle and last name from Ashby's single `name` string.
 *
 * Rules (DESIGN.md, "Decisions that fill gaps"): the name is trimmed and runs
 * of white space (ASCII space, tab, CR, LF, VT, FF and the Unicode spaces
 * U+00A0, U+1680, U+2000..U+200A, U+202F, U+205F, U+3000 in UTF-8) count as
 * one separator. The first word is the first name; the last word, with any
 * surname particles in front of it, is the last name; the words between are
 * the middle name. A particle never takes the first word. A one-word name
 * has no last name. A split of more than two words is flagged for review.
 *
 * Particles, compared ignoring case (ASCII and Latin-1 letters in UTF-8):
 * van, von, der, den, de, del, della, di, da, dos, das, du, des, la, le, ter,
 * ten, bin, binti, ibn, al, el, ní, nic, ó.
 *
 * Pure, no locale dependence, UTF-8 safe: bytes that are not white space are
 * copied unchanged (invalid UTF-8 included), so words are never cut inside a
 * multi-byte character.
 */
#ifndef NAMESPLIT_H
#define NAMESPLIT_H

#include <stdbool.h>
#include <stddef.h>

struct name_split {
	char *first;  /* NULL when the name is empty */
	char *middle; /* NULL when there are no words between first and last */
	char *last;   /* NULL for a one-word (or empty) name */
	size_t words; /* words in the normalised name */
	bool review;  /* more than two words: a person should check the split */
};

#define NAME_SPLIT_INIT                    \
	{                                  \
		NULL, NULL, NULL, 0, false \
	}

/* Split `name` (may be NULL: same as empty) into `out`; the strings are the caller's, freed by name_split_release(). */
void name_split(struct name_split *out, const char *name);
void name_split_release(struct name_split *s);

/* Whether `word` (NUL-terminated) is a surname particle. */
bool name_is_particle(const char *word);

/* The name trimmed, with every run of white space replaced by one ASCII space. Caller frees. */
char *name_normalise(const char *name);

#endif
