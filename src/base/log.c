#include "config.h"

#include "base/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "base/buf.h"
#include "base/secret.h"
#include "base/text.h"

/* Bytes of one log line's message before it is cut with "... (N bytes)". */
#define LOG_LINE_MAX 4096

/* Process configuration, written once by log_setup() before any work starts. */
static int level = LOG_NORMAL;
static bool is_tty;
static bool progress_open;

void log_setup(int lvl, bool stderr_is_tty)
{
	level = lvl;
	is_tty = stderr_is_tty;
}

int log_level(void)
{
	return level;
}

bool log_is_tty(void)
{
	return is_tty;
}

/*
 * Print a formatted message on stderr with the secrets redacted and the control
 * characters escaped (one line, no terminal escapes), cut at LOG_LINE_MAX.
 */
static void put_clean(const char *fmt, va_list ap)
{
	struct buf raw = BUF_INIT, shown = BUF_INIT;

	buf_vaddf(&raw, fmt, ap);
	secret_redact_buf(&raw);
	text_escape(&shown, raw.data, raw.len, LOG_LINE_MAX);
	fputs(shown.data, stderr);
	buf_release(&shown);
	buf_release(&raw);
}

static void emit(const char *tag, const char *fmt, va_list ap)
{
	flockfile(stderr); /* one whole line, whichever thread logs (serve) */
	if (progress_open) {
		fputs("\r\033[K", stderr);
		progress_open = false;
	}
	if (!is_tty) {
		char stamp[32];
		time_t now = time(NULL);
		struct tm tm;

		gmtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
		fprintf(stderr, "%s ", stamp);
	}
	fputs("ashby2humaans: ", stderr);
	if (tag)
		fputs(tag, stderr);
	put_clean(fmt, ap);
	fputc('\n', stderr);
	funlockfile(stderr);
}

#define LOG_AT(name, min, tag)          \
	void name(const char *fmt, ...) \
	{                               \
		va_list ap;             \
		if (level < (min))      \
			return;         \
		va_start(ap, fmt);      \
		emit(tag, fmt, ap);     \
		va_end(ap);             \
	}

LOG_AT(log_error, LOG_QUIET, "error: ")
LOG_AT(log_warn, LOG_NORMAL, "warning: ")
LOG_AT(log_info, LOG_NORMAL, NULL)
LOG_AT(log_verbose, LOG_VERBOSE, NULL)
LOG_AT(log_trace, LOG_TRACE, "trace: ")

void log_progress(const char *fmt, ...)
{
	va_list ap;

	if (!is_tty || level < LOG_NORMAL)
		return;
	fputs("\r\033[K", stderr);
	va_start(ap, fmt);
	put_clean(fmt, ap);
	va_end(ap);
	fflush(stderr);
	progress_open = true;
}

void log_progress_done(void)
{
	if (progress_open) {
		fputc('\n', stderr);
		progress_open = false;
	}
}
