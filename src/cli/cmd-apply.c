/* apply: carry out the committed plan in Humaans, journaled; refuse a stale plan. */
#include "config.h"

#include <string.h>

#include "stages/apply.h"
#include "cli/cli.h"
#include "base/log.h"
#include "stages/run.h"

int cmd_apply(int argc, char **argv, const struct config *cfg)
{
	struct apply_opts ao = { NULL, false };
	struct run_opts ro = { 0, false, 0 };
	struct err e = ERR_INIT;
	struct run r;
	int i, rc, taken;

	if (cli_wants_help(argc, argv, "apply"))
		return EXIT_OK;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v;
		bool missing;

		if ((v = cli_opt_value(argc, argv, &i, "--plan", &missing)) || missing) {
			if (missing) {
				log_error("apply: --plan wants a revision (a run id, run/<id> or a "
					  "commit)");
				cli_usage_command("apply", true);
				return EXIT_FAILURE_;
			}
			ao.plan_rev = v;
		} else if ((taken = cli_run_option(argc, argv, &i, "apply", &ro)) != 0) {
			if (taken < 0)
				return EXIT_FAILURE_;
		} else {
			log_error("apply: unexpected argument '%s'", a);
			cli_usage_command("apply", true);
			return EXIT_FAILURE_;
		}
	}
	if (run_begin(&r, cfg, "apply", &ro, &e) < 0) {
		log_error("apply: %s", e.msg);
		return EXIT_FAILURE_;
	}
	rc = apply_stage(&r, &ao, &e);
	return run_end(&r, rc, &e);
}
