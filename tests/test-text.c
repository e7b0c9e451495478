/* Unit tests: text (the control-character sanitiser) and secret (redaction), table-driven. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/secret.h"
#include "base/text.h"
#include "tap.h"

#define S(lit) lit, sizeof(lit) - 1

/* text_check / text_problem: the first problem and the reason given for it. */
static const struct {
	const char *s;
	size_t len;
	unsigned allow;
	int clean;
	size_t at;
	const char *why;
} checks[] = {
	{ S("Olivia"), 0, 1, 0, "" },
	{ S("Zoë Ångström 李"), 0, 1, 0, "" },
	{ S("emoji \xF0\x9F\x98\x80"), 0, 1, 0, "" },
	{ S(""), 0, 1, 0, "" },
	{ S("Bob\r\x1b[1A"), 0, 0, 3, "contains a control character (U+000D)" },
	{ S("Bob\x1b[8mHidden"), 0, 0, 3, "contains a control character (U+001B)" },
	{ S("Bo\0b"), 0, 0, 2, "contains a NUL byte (U+0000)" },
	{ S("a\tb"), 0, 0, 1, "contains a control character (U+0009)" },
	{ S("a\tb"), TEXT_ALLOW_TAB, 1, 0, "" },
	{ S("a\nb"), 0, 0, 1, "contains a control character (U+000A)" },
	{ S("a\nb"), TEXT_ALLOW_NEWLINE, 1, 0, "" },
	{ S("a\r\nb"), TEXT_ALLOW_NEWLINE | TEXT_ALLOW_TAB, 0, 1,
	  "contains a control character (U+000D)" },
	{ S("del\x7f"), 0, 0, 3, "contains a control character (U+007F)" },
	{ S("c1 \xC2\x9B"), 0, 0, 3, "contains a control character (U+009B)" },
	{ S("nbsp\xC2\xA0ok"), 0, 1, 0, "" },
	{ S("bad \xC3"), 0, 0, 4, "is not valid UTF-8 (byte 0xC3)" },
	{ S("bad \xFF x"), 0, 0, 4, "is not valid UTF-8 (byte 0xFF)" },
	{ S("overlong \xC0\xAF"), 0, 0, 9, "is not valid UTF-8 (byte 0xC0)" },
	{ S("overlong \xE0\x80\xAF"), 0, 0, 9, "is not valid UTF-8 (byte 0xE0)" },
	{ S("surrogate \xED\xA0\x80"), 0, 0, 10, "is not valid UTF-8 (byte 0xED)" },
	{ S("too high \xF4\x90\x80\x80"), 0, 0, 9, "is not valid UTF-8 (byte 0xF4)" },
	{ S("cont \x80"), 0, 0, 5, "is not valid UTF-8 (byte 0x80)" },
};

/* text_escape with no cap: what a person sees. */
static const struct {
	const char *s;
	size_t len;
	const char *want;
} escapes[] = {
	{ S("Olivia Rose"), "Olivia Rose" },
	{ S("Zoë"), "Zoë" },
	{ S("Bob\r\x1b[1A\x1b[2K\x1b[8mHidden"), "Bob\\r\\x1b[1A\\x1b[2K\\x1b[8mHidden" },
	{ S("line\nbreak\ttab"), "line\\nbreak\\ttab" },
	{ S("nul\0here"), "nul\\0here" },
	{ S("del\x7f"), "del\\x7f" },
	{ S("csi \xC2\x9B"), "csi \\u009b" },
	{ S("bad \xFF\xC3"), "bad \\xff\\xc3" },
	{ S("back\\slash"), "back\\slash" },
};

/* text_strip with tab and newline allowed: free text sent to Humaans. */
static const struct {
	const char *s;
	size_t len;
	const char *want;
} strips[] = {
	{ S("plain note"), "plain note" },
	{ S("two\nlines\tand tab"), "two\nlines\tand tab" },
	{ S("esc\x1b"
	    "[2Kgone\r"),
	  "esc[2Kgone" },
	{ S("nul\0cut"), "nulcut" },
	{ S("c1\xC2\x85"
	    "x"),
	  "c1x" },
	{ S("bad\xFF"
	    "byte"),
	  "bad\xEF\xBF\xBD"
	  "byte" },
};

static void test_check(void)
{
	size_t i;

	for (i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		size_t at = 99;
		long cp = 0;
		char why[128];
		bool clean = text_check(checks[i].s, checks[i].len, checks[i].allow, &at, &cp);
		bool problem =
			text_problem(checks[i].s, checks[i].len, checks[i].allow, why, sizeof(why));

		ok(clean == (checks[i].clean != 0) && problem == !clean, "check %zu: clean=%d", i,
		   checks[i].clean);
		if (!clean)
			is_int((long long)at, (long long)checks[i].at, "  offset of the problem");
		is_str(why, checks[i].why, "  reason");
	}
}

static void test_escape(void)
{
	size_t i;

	for (i = 0; i < sizeof(escapes) / sizeof(escapes[0]); i++) {
		struct buf b = BUF_INIT;

		text_escape(&b, escapes[i].s, escapes[i].len, 0);
		is_str(b.data, escapes[i].want, "escape");
		buf_release(&b);
	}
}

static void test_strip(void)
{
	size_t i;

	for (i = 0; i < sizeof(strips) / sizeof(strips[0]); i++) {
		char *got =
			text_strip(strips[i].s, strips[i].len, TEXT_ALLOW_TAB | TEXT_ALLOW_NEWLINE);

		is_str(got, strips[i].want, "strip");
		free(got);
	}
}

static void test_cap(void)
{
	size_t n = 10 * 1024 * 1024;
	char *big = malloc(n + 1);
	char small[300];
	struct buf b = BUF_INIT;

	memset(big, 'a', n);
	big[n] = '\0';
	text_show(small, sizeof(small), big);
	ok(strlen(small) < 200, "a 10 MB value is shown short (%zu bytes)", strlen(small));
	ok(strstr(small, "... (10485760 bytes)") != NULL, "and says how long it is: %s",
	   small + TEXT_SHOW_MAX);
	/* A cut never splits a UTF-8 character. */
	text_escape(&b, "ééé", 6, 3);
	is_str(b.data, "é... (6 bytes)", "cut on a character boundary");
	buf_release(&b);
	free(big);
}

static void test_secret(void)
{
	struct err e = ERR_INIT;
	char msg[64];

	secret_clear();
	ok(secret_add_basic("sk_live_key") == 0, "register a key");
	secret_add("hum-token");
	/* base64("sk_live_key:") */
	snprintf(msg, sizeof(msg), "auth c2tfbGl2ZV9rZXk6 and sk_live_key");
	is_int((long long)secret_redact(msg, sizeof(msg)), 2, "two secrets redacted");
	is_str(msg, "auth [redacted] and [redacted]", "key and its basic form");
	err_set(&e, ERR_HTTP, "ashby failed: invalid key sk_live_key (token hum-token)");
	is_str(e.msg, "ashby failed: invalid key [redacted] (token [redacted])", "err_set redacts");
	err_prefix(&e, "run %s", "sk_live_key");
	ok(strstr(e.msg, "sk_live_key") == NULL, "err_prefix redacts: %s", e.msg);
	err_set(&e, ERR_INVALID, "candidate '%s'", "Bob\r\x1b[8mHidden");
	is_str(e.msg, "candidate 'Bob\\r\\x1b[8mHidden'", "err_set escapes control characters");
	secret_clear();
	err_set(&e, ERR_HTTP, "sk_live_key");
	is_str(e.msg, "sk_live_key", "cleared registry redacts nothing");

	/* Short values are no credentials: masking them would garble every message. */
	secret_add("k");
	secret_add("tok");
	snprintf(msg, sizeof(msg), "refusing to read it through a link");
	is_int((long long)secret_redact(msg, sizeof(msg)), 0,
	       "values under 8 bytes are not registered");
	/* One pass: the longest secret wins, and a mask put in is not searched again. */
	secret_add("red-acted");
	secret_add("red-acted-longer");
	secret_add("[redacted]x");
	snprintf(msg, sizeof(msg), "a red-acted-longer b red-acted c");
	is_int((long long)secret_redact(msg, sizeof(msg)), 2, "overlapping secrets: two replaced");
	is_str(msg, "a [redacted] b [redacted] c", "the longest secret wins, whole");
	snprintf(msg, sizeof(msg), "x red-actedx");
	secret_redact(msg, sizeof(msg));
	is_str(msg, "x [redacted]x", "a mask followed by text is not redacted again");
	{
		/* A server's message cut for display: the secret across the cut is still masked. */
		struct buf b = BUF_INIT;
		const char *m = "0123456789red-acted-longer and more";

		secret_excerpt(&b, m, strlen(m), 14);
		ok(b.len && strstr(b.data, "red-") == NULL && strstr(b.data, "acted-") == NULL &&
			   strncmp(b.data, "0123456789[", 11) == 0,
		   "secret_excerpt redacts before it cuts: %s", b.len ? b.data : "");
		buf_release(&b);
	}
	secret_clear();
}

int main(void)
{
	test_check();
	test_escape();
	test_strip();
	test_cap();
	test_secret();
	return tap_done();
}
