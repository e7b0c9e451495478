/*
 * log: diagnostics on stderr.
 *
 * The level is process configuration, set once by main from -q/-v/-vv.
 * When stderr is not a terminal (cron), every line carries a UTC timestamp.
 * Every message has the configured secrets redacted (secret.h) and its control
 * characters escaped (text.h), and is cut at a few KB, so a value from an API
 * can neither leak a key, drive the terminal, split a line nor flood the log.
 * Callers should still not pass credentials.
 */
#ifndef LOG_H
#define LOG_H

#include <stdbool.h>

enum log_level {
	LOG_QUIET = 0,	 /* errors only */
	LOG_NORMAL = 1,	 /* stage lines, warnings, the run summary */
	LOG_VERBOSE = 2, /* -v: per-hire detail */
	LOG_TRACE = 3	 /* -vv: every HTTP request, Authorization redacted */
};

void log_setup(int level, bool stderr_is_tty);
int log_level(void);
bool log_is_tty(void);

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_verbose(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Progress of a long stage ("extract: 12/40 hires, 57 requests, 2 retries").
 * On a terminal it redraws one line; elsewhere it prints nothing (the stage
 * lines and the summary say enough under cron). log_progress_done() ends the line.
 */
void log_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_progress_done(void);

#endif
