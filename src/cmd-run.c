/*
 * run [--dry-run] [--full] [--jobs N] [--max-rps R]: extract, transform, plan,
 * then apply unless --dry-run (the nightly entry point). Planning is skipped,
 * and Humaans not read, when the transform is byte-identical to the one the
 * last completely applied plan was computed from (DESIGN.md).
 */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include "apply.h"
#include "cli.h"
#include "extract.h"
#include "log.h"
#include "plan.h"
#include "run.h"
#include "transform.h"

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

int cmd_run(int argc, char **argv, const struct config *cfg)
{
	struct extract_opts xo = { false };
	struct plan_opts po = { -1, true };
	struct apply_opts ao = { NULL, true };
	struct run_opts ro = { 4, 0 };
	struct err e = ERR_INIT;
	struct run r;
	bool dry_run = false, missing, settled = false;
	const char *v;
	int i, rc;

	if (cli_wants_help(argc, argv, "run"))
		return EXIT_OK;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--dry-run") == 0) {
			dry_run = true;
		} else if (strcmp(argv[i], "--full") == 0) {
			xo.full = true;
		} else if ((v = opt_value(argc, argv, &i, "--jobs", &missing)) || missing) {
			if (missing || !run_parse_jobs(v, &ro.jobs)) {
				log_error("--jobs wants a number of requests from 1 to 64");
				cli_usage_command("run", true);
				return EXIT_FAILURE_;
			}
		} else if ((v = opt_value(argc, argv, &i, "--max-rps", &missing)) || missing) {
			if (missing || !run_parse_rps(v, &ro.max_rps)) {
				log_error("--max-rps wants a number of requests per second (0: no cap)");
				cli_usage_command("run", true);
				return EXIT_FAILURE_;
			}
		} else {
			log_error("run: unexpected argument '%s'", argv[i]);
			cli_usage_command("run", true);
			return EXIT_FAILURE_;
		}
	}
	if (run_begin(&r, cfg, "run", &ro, &e) < 0) {
		log_error("run: %s", e.msg);
		return EXIT_FAILURE_;
	}
	rc = extract_stage(&r, &xo, &e);
	if (rc == 0)
		rc = transform_stage(&r, &e);
	if (rc == 0)
		rc = apply_plan_settled(&r, &settled, &e);
	if (rc == 0 && settled) {
		log_info("plan: the transform is unchanged since its plan was applied in full: "
			 "nothing to plan, Humaans not read");
		run_stage_done(&r, dry_run ? "plan" : "apply");
	} else if (rc == 0) {
		rc = plan_stage(&r, &po, NULL, &e);
		/* The plan was made a moment ago from what it read: apply does not read it again. */
		if (rc == 0 && !dry_run)
			rc = apply_stage(&r, &ao, &e);
	}
	return run_end(&r, rc, &e);
}
