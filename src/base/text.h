/*
 * text: the one sanitiser for control characters in values that come from the
 * APIs (or from overrides.csv) and go to a person or to Humaans.
 *
 * A "control character" here is a C0 byte (U+0000-U+001F, except what the caller
 * allows: tab, newline), DEL (U+007F), a C1 character (U+0080-U+009F, as UTF-8),
 * or a byte sequence that is not valid UTF-8. These can rewrite a terminal (ESC),
 * split a line (CR, LF), cut a C string (NUL), or hide text (C1 CSI).
 *
 * Three uses, one definition:
 *  - text_check(): names and identifier fields (first/middle/last name, email,
 *    phone, ...) are rejected by transform with the reason text_check() gives
 *    ("contains a control character (U+001B)").
 *  - text_strip(): free-text custom-field values sent to Humaans are cleaned, not
 *    rejected: every control character except tab and newline is removed and
 *    invalid UTF-8 becomes U+FFFD. A stray byte in a long note should not hold a
 *    hire back, and tab/newline are legitimate in free text (doc/pipeline.md).
 *  - text_escape(): every value shown to a person (terminal, plan/plan.txt, log
 *    lines, error messages, run summaries) is escaped so that it stays on one line
 *    and shows what it holds: ESC as \x1b, CR as \r, LF as \n, NUL as \0, tab as
 *    \t, a C1 character as \u0085, an invalid byte as \xff. Long values are cut
 *    for display: the first TEXT_SHOW_MAX bytes and "... (N bytes)".
 *
 * CSV files (changes.csv, new_hires.csv, rejects.csv) are data: their values stay
 * exact (libcsv quotes CR/LF), only formula neutralising applies there.
 */
#ifndef TEXT_H
#define TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"

/* Bytes of one value shown in a message before it is cut ("... (N bytes)"). */
#define TEXT_SHOW_MAX 120

enum text_allow {
	TEXT_ALLOW_TAB = 1,	/* U+0009 is not a problem */
	TEXT_ALLOW_NEWLINE = 2, /* U+000A is not a problem (CR still is) */
};

/*
 * Look for the first control character or invalid UTF-8 in s[0..len) (NUL bytes
 * count: pass the JSON string's length, not strlen). Returns true when the text
 * is clean. Otherwise *at gets the byte offset and *cp the code point, or -1 for
 * invalid UTF-8 (the byte at *at is the first of the bad sequence). Any out
 * pointer may be NULL.
 */
bool text_check(const char *s, size_t len, unsigned allow, size_t *at, long *cp);

/*
 * Why s[0..len) is not clean, for a reject reason: "contains a control character
 * (U+001B)", "contains a NUL byte (U+0000)", "is not valid UTF-8 (byte 0xC3)".
 * Returns false (and leaves `why` empty) when the text is clean.
 */
bool text_problem(const char *s, size_t len, unsigned allow, char *why, size_t whysz);

/*
 * A copy of s[0..len) without control characters (except those `allow`ed) and with
 * invalid UTF-8 replaced by U+FFFD; NUL-terminated. Caller frees.
 */
char *text_strip(const char *s, size_t len, unsigned allow);

/*
 * Append s[0..len) to `out` escaped for display (see above), cut after `cap` bytes
 * of input with "... (N bytes)" (cap 0: no cut). NULL s appends nothing.
 */
void text_escape(struct buf *out, const char *s, size_t len, size_t cap);

/*
 * Escape a NUL-terminated string into `dst` (always terminated, cut to fit), capped
 * at TEXT_SHOW_MAX bytes of input. Returns dst, for use as a printf argument:
 * printf("'%s'", text_show(tmp, sizeof(tmp), name)). NULL shows as "".
 */
const char *text_show(char *dst, size_t dstsz, const char *s);

#endif
