/* Unit tests: buf (growth, cap, detach) and err (set, prefix). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "tap.h"

static void test_buf(void)
{
	struct buf b;
	char *s;
	size_t len;
	int i;

	buf_init(&b, 0);
	is_str(b.data, "", "a new buffer is an empty string");
	is_int(b.len, 0, "a new buffer has length 0");
	buf_adds(&b, "hello");
	buf_addc(&b, ' ');
	buf_addf(&b, "%s %d", "world", 42);
	is_str(b.data, "hello world 42", "adds, addc and addf append");
	for (i = 0; i < 1000; i++)
		buf_adds(&b, "x");
	is_int(b.len, 14 + 1000, "growth keeps every byte");
	ok(b.data[b.len] == '\0', "always NUL-terminated");
	buf_reset(&b);
	is_str(b.data, "", "reset empties");
	buf_add(&b, "a\0b", 3);
	is_int(b.len, 3, "binary data with NUL keeps its length");
	s = buf_detach(&b, &len);
	is_int(len, 3, "detach hands over the length");
	ok(memcmp(s, "a\0b", 3) == 0, "detach hands over the bytes");
	is_str(b.data, "", "detached buffer is empty");
	free(s);
	buf_release(&b);

	buf_init(&b, 8);
	is_int(buf_adds(&b, "12345678"), 0, "an append up to the cap succeeds");
	is_int(buf_adds(&b, "9"), ERR_FAIL, "an append past the cap fails");
	is_int(b.len, 0, "a buffer that hit its cap is released");
	is_int(b.max, 8, "the cap survives the release");
	buf_release(&b);

	s = buf_detach(&b, NULL);
	is_str(s, "", "detach of an empty buffer gives an owned empty string");
	free(s);
}

static void test_err(void)
{
	struct err e = ERR_INIT;

	is_int(err_set(&e, ERR_NOTFOUND, "offer for application '%s' not found", "ab12"),
	       ERR_NOTFOUND, "err_set returns the code");
	is_str(e.msg, "offer for application 'ab12' not found", "err_set formats");
	is_int(err_prefix(&e, "extract"), ERR_NOTFOUND, "err_prefix keeps the code");
	is_str(e.msg, "extract: offer for application 'ab12' not found", "err_prefix prepends");
	err_clear(&e);
	is_int(e.code, 0, "err_clear resets the code");
	is_str(e.msg, "", "err_clear resets the message");
	is_str(err_code_name(ERR_STALE), "stale", "code names");
	is_int(err_set(NULL, ERR_IO, "ignored"), ERR_IO, "a NULL err is allowed");
}

int main(void)
{
	test_buf();
	test_err();
	return tap_done();
}
