/*
 * extract [--full] [--jobs N|auto] [--jobs-max N] [--max-rps R]: read Ashby into extract/, commit.
 */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include "cli/cli.h"
#include "stages/extract.h"
#include "base/log.h"
#include "stages/run.h"

int cmd_extract(int argc, char **argv, const struct config *cfg)
{
	struct extract_opts xo = { false };
	struct run_opts ro = { 0, false, 0 };
	struct err e = ERR_INIT;
	struct run r;
	int i, rc, taken;

	if (cli_wants_help(argc, argv, "extract"))
		return EXIT_OK;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--full") == 0) {
			xo.full = true;
		} else if ((taken = cli_run_option(argc, argv, &i, "extract", &ro)) != 0) {
			if (taken < 0)
				return EXIT_FAILURE_;
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
