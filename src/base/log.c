#include "config.h"

#include "base/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

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

static void emit(const char *tag, const char *fmt, va_list ap)
{
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
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
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
	vfprintf(stderr, fmt, ap);
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
