/* apply: carry out the committed plan in Humaans, journaled; refuse a stale plan. */
#include "config.h"

#include <string.h>

#include "apply.h"
#include "cli.h"
#include "log.h"
#include "run.h"

int cmd_apply(int argc, char **argv, const struct config *cfg)
{
	struct apply_opts ao = { NULL, false };
	struct run_opts ro = { 4, 0 };
	struct err e = ERR_INIT;
	struct run r;
	int i, rc;

	if (cli_wants_help(argc, argv, "apply"))
		return EXIT_OK;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = NULL;
		bool has = i + 1 < argc;

		if (strcmp(a, "--plan") == 0 && has) {
			ao.plan_rev = argv[++i];
		} else if (strncmp(a, "--plan=", 7) == 0) {
			ao.plan_rev = a + 7;
		} else if ((strcmp(a, "--jobs") == 0 && has) || strncmp(a, "--jobs=", 7) == 0) {
			v = a[6] == '=' ? a + 7 : argv[++i];
			if (!run_parse_jobs(v, &ro.jobs)) {
				log_error("apply: --jobs takes a number from 1 to 64, not '%s'", v);
				return EXIT_FAILURE_;
			}
		} else if ((strcmp(a, "--max-rps") == 0 && has) || strncmp(a, "--max-rps=", 10) == 0) {
			v = a[9] == '=' ? a + 10 : argv[++i];
			if (!run_parse_rps(v, &ro.max_rps)) {
				log_error("apply: --max-rps takes a number >= 0, not '%s'", v);
				return EXIT_FAILURE_;
			}
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
