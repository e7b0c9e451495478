/*
 * tap.h: a tiny TAP producer for the C unit tests, read by automake's
 * tap-driver.sh. Each test program calls ok()/is_str()/is_int() and ends with
 * `return tap_done();`, which prints the plan and returns non-zero on failure.
 */
#ifndef TAP_H
#define TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

__attribute__((format(printf, 2, 3), unused)) static int ok(int cond, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	return cond;
}

__attribute__((unused)) static int is_str(const char *got, const char *want, const char *name)
{
	int cond = (got == NULL && want == NULL) || (got && want && strcmp(got, want) == 0);

	ok(cond, "%s", name);
	if (!cond)
		printf("#   got:  '%s'\n#   want: '%s'\n", got ? got : "(null)",
		       want ? want : "(null)");
	return cond;
}

__attribute__((unused)) static int is_int(long long got, long long want, const char *name)
{
	int cond = got == want;

	ok(cond, "%s", name);
	if (!cond)
		printf("#   got:  %lld\n#   want: %lld\n", got, want);
	return cond;
}

__attribute__((format(printf, 1, 2), unused)) static void diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

__attribute__((unused)) static int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
