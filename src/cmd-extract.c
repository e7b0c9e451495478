/*
 * extract [--full] [--jobs N] [--max-rps R]: read Ashby into extract/, commit.
 */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include "cli.h"
#include "extract.h"
#include "log.h"
#include "run.h"

/* "--name VALUE" or "--name=VALUE": the value, advancing *i; NULL when `arg` is not `name`. */
static const char *opt_value(int argc, char **argv, int *i, const char *name, bool *missing)
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

int cmd_extract(int argc, char **argv, const struct config *cfg)
{
	struct extract_opts xo = { false };
	struct run_opts ro = { 4, 0 };
	struct err e = ERR_INIT;
	struct run r;
	const char *v;
	bool missing;
	int i, rc;

	if (cli_wants_help(argc, argv, "extract"))
		return EXIT_OK;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--full") == 0) {
			xo.full = true;
		} else if ((v = opt_value(argc, argv, &i, "--jobs", &missing)) || missing) {
			if (missing || !run_parse_jobs(v, &ro.jobs)) {
				log_error("--jobs wants a number of requests from 1 to 64");
				cli_usage_command("extract", true);
				return EXIT_FAILURE_;
			}
		} else if ((v = opt_value(argc, argv, &i, "--max-rps", &missing)) || missing) {
			if (missing || !run_parse_rps(v, &ro.max_rps)) {
				log_error("--max-rps wants a number of requests per second (0: no cap)");
				cli_usage_command("extract", true);
				return EXIT_FAILURE_;
			}
		} else {
			log_error("extract: unknown option '%s'", argv[i]);
			cli_usage_command("extract", true);
			return EXIT_FAILURE_;
		}
	}
	rc = run_begin(&r, cfg, "extract", &ro, &e);
	if (rc < 0) {
		log_error("%s", e.msg);
		return EXIT_FAILURE_;
	}
	rc = extract_stage(&r, &xo, &e);
	return run_end(&r, rc, &e);
}
