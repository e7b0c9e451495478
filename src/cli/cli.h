/*
 * cli: the command layer. main.c parses global options into a struct config
 * and dispatches to one cmd_<verb>() per command (src/cmd-<verb>.c). Commands
 * print their product on stdout, diagnostics on stderr, and return the exit
 * status (enum exit_status). Library code never exits; commands decide.
 */
#ifndef CLI_H
#define CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "base/settings.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv, const struct config *cfg);
	const char *synopsis; /* options after the command name, man-page style */
	const char *summary;  /* one line */
};

/* The command table (main.c). */
extern const struct command commands[];

/* Print a command's usage (synopsis and summary) to stdout or stderr. */
void cli_usage_command(const char *name, bool to_stderr);
/* Common handling of "--help" for a command: returns true when it printed help. */
bool cli_wants_help(int argc, char **argv, const char *name);

int cmd_init(int argc, char **argv, const struct config *cfg);
int cmd_check(int argc, char **argv, const struct config *cfg);
int cmd_extract(int argc, char **argv, const struct config *cfg);
int cmd_transform(int argc, char **argv, const struct config *cfg);
int cmd_plan(int argc, char **argv, const struct config *cfg);
int cmd_apply(int argc, char **argv, const struct config *cfg);
int cmd_run(int argc, char **argv, const struct config *cfg);
int cmd_log(int argc, char **argv, const struct config *cfg);
int cmd_show(int argc, char **argv, const struct config *cfg);
int cmd_export(int argc, char **argv, const struct config *cfg);
int cmd_delete_new_hire(int argc, char **argv, const struct config *cfg);
int cmd_forget(int argc, char **argv, const struct config *cfg);
int cmd_serve(int argc, char **argv, const struct config *cfg);

/*
 * "--name VALUE" or "--name=VALUE" at argv[*i]: returns the value (borrowed)
 * and advances *i past it; NULL when argv[*i] is not `name`. When the value is
 * missing, returns NULL and sets *missing.
 */
const char *cli_opt_value(int argc, char **argv, int *i, const char *name, bool *missing);

struct run_opts;
/*
 * Write s[0..len) for a person to read: line by line, every control character
 * but the newlines escaped (text.h), so that a candidate's name cannot move the
 * cursor or hide a line. 0, or -1 when the write failed.
 */
int cli_write_text(FILE *f, const char *s, size_t len);

/*
 * The options every networked stage shares, --jobs N|auto, --jobs-max N and
 * --max-rps R, at argv[*i]: 1 when consumed (into `ro`), 0 when argv[*i] is
 * another option, -1 on a bad or missing value, or --jobs N with --jobs-max
 * (the error and `cmd`'s usage are printed).
 */
int cli_run_option(int argc, char **argv, int *i, const char *cmd, struct run_opts *ro);

#endif
