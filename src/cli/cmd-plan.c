/*
 * plan [--detailed-exitcode] [--jobs N|auto] [--jobs-max N] [--max-rps R]:
 * diff the transformed hires against Humaans into plan/, commit, print.
 */
#include "config.h"

#include <string.h>

#include "cli/cli.h"
#include "base/log.h"
#include "stages/plan.h"
#include "stages/run.h"

int cmd_plan(int argc, char **argv, const struct config *cfg)
{
	struct plan_opts po = { -1, true };
	struct plan_summary sum;
	struct run_opts ro = { 0, false, 0 };
	struct err e = ERR_INIT;
	struct run r;
	bool detailed = false;
	int i, rc, status, taken;

	if (cli_wants_help(argc, argv, "plan"))
		return EXIT_OK;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--detailed-exitcode") == 0) {
			detailed = true;
		} else if ((taken = cli_run_option(argc, argv, &i, "plan", &ro)) != 0) {
			if (taken < 0)
				return EXIT_FAILURE_;
		} else {
			log_error("plan: unexpected argument '%s'", argv[i]);
			cli_usage_command("plan", true);
			return EXIT_FAILURE_;
		}
	}
	memset(&sum, 0, sizeof(sum));
	if (run_begin(&r, cfg, "plan", &ro, &e) < 0) {
		log_error("plan: %s", e.msg);
		return EXIT_FAILURE_;
	}
	rc = plan_stage(&r, &po, &sum, &e);
	status = run_end(&r, rc, &e);
	/* --detailed-exitcode answers only "are there changes" (DESIGN.md). */
	if (status != EXIT_FAILURE_ && detailed)
		return sum.creates + sum.changes > 0 ? EXIT_CHANGES : EXIT_OK;
	return status;
}
