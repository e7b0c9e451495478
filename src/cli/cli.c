#include "config.h"

#include "cli/cli.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/text.h"
#include "stages/run.h"

#include <stdio.h>
#include <string.h>

/* The options cli_run_option() reads, for the usage of the commands that take them. */
#define RUN_OPTIONS_HELP                                                                    \
	"\n"                                                                                \
	"  --jobs auto     (the default) requests in flight per API: start at 4, add one\n" \
	"                  while answers stay fast, halve on a 429 or when answers slow\n"  \
	"                  down, never above 16 (--jobs-max)\n"                             \
	"  --jobs N        exactly N requests in flight per API (1 to 64)\n"                \
	"  --jobs-max N    the ceiling of --jobs auto (1 to 64, default 16)\n"              \
	"  --max-rps R     at most R requests a second to each API (default 0: no cap)\n"

void cli_usage_command(const char *name, bool to_stderr)
{
	FILE *f = to_stderr ? stderr : stdout;
	const struct command *c;

	for (c = commands; c->name; c++) {
		if (strcmp(c->name, name) == 0) {
			fprintf(f, "usage: ashby2humaans [global options] %s%s%s\n\n%s\n", c->name,
				*c->synopsis ? " " : "", c->synopsis, c->summary);
			if (strstr(c->synopsis, "--jobs"))
				fputs(RUN_OPTIONS_HELP, f);
			return;
		}
	}
}

bool cli_wants_help(int argc, char **argv, const char *name)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			cli_usage_command(name, false);
			return true;
		}
	}
	return false;
}

const char *cli_opt_value(int argc, char **argv, int *i, const char *name, bool *missing)
{
	size_t n = strlen(name);

	*missing = false;
	if (strncmp(argv[*i], name, n) != 0)
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (argv[*i][n] != '\0')
		return NULL;
	if (*i + 1 >= argc) {
		*missing = true;
		return NULL;
	}
	return argv[++*i];
}

static int jobs_conflict(const char *cmd)
{
	log_error("%s: --jobs-max goes with --jobs auto; --jobs N pins the number", cmd);
	cli_usage_command(cmd, true);
	return -1;
}

int cli_run_option(int argc, char **argv, int *i, const char *cmd, struct run_opts *ro)
{
	const char *v;
	bool missing;

	if ((v = cli_opt_value(argc, argv, i, "--jobs", &missing)) || missing) {
		int n = 0;

		if (!missing && strcmp(v, "auto") == 0) {
			if (ro->jobs_pinned)
				ro->jobs = 0;
			ro->jobs_pinned = false;
			return 1;
		}
		if (missing || !run_parse_jobs(v, &n)) {
			log_error("%s: --jobs wants 'auto' or a number of requests from 1 to 64",
				  cmd);
			cli_usage_command(cmd, true);
			return -1;
		}
		if (!ro->jobs_pinned && ro->jobs > 0)
			return jobs_conflict(cmd);
		ro->jobs = n;
		ro->jobs_pinned = true;
		return 1;
	}
	if ((v = cli_opt_value(argc, argv, i, "--jobs-max", &missing)) || missing) {
		int n = 0;

		if (missing || !run_parse_jobs(v, &n)) {
			log_error("%s: --jobs-max wants a number of requests from 1 to 64", cmd);
			cli_usage_command(cmd, true);
			return -1;
		}
		if (ro->jobs_pinned)
			return jobs_conflict(cmd);
		ro->jobs = n;
		return 1;
	}
	if ((v = cli_opt_value(argc, argv, i, "--max-rps", &missing)) || missing) {
		if (missing || !run_parse_rps(v, &ro->max_rps)) {
			log_error("%s: --max-rps wants a number of requests per second (0: no cap)",
				  cmd);
			cli_usage_command(cmd, true);
			return -1;
		}
		return 1;
	}
	return 0;
}

int cli_write_text(FILE *f, const char *s, size_t len)
{
	struct buf line = BUF_INIT;
	size_t i = 0;
	int rc = 0;

	while (i < len && rc == 0) {
		const char *nl = memchr(s + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (s + i)) : len - i;

		buf_reset(&line);
		text_escape(&line, s + i, n, 0);
		if (line.len && fwrite(line.data, 1, line.len, f) != line.len)
			rc = -1;
		if (nl && fputc('\n', f) == EOF)
			rc = -1;
		i += n + (nl ? 1 : 0);
	}
	buf_release(&line);
	return rc;
}
