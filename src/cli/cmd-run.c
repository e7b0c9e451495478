/*
 * run [--dry-run] [--full] [--jobs N|auto] [--jobs-max N] [--max-rps R]: the nightly entry point.
 * Validates the pipeline, checks the credentials (stopping before anything is
 * extracted when a permission is missing), then extract, transform, plan, and
 * apply unless --dry-run, all under one Run-Id and one lock. Planning is
 * skipped, and Humaans not read, when the transform is byte-identical to the
 * one the last completely applied plan was computed from (DESIGN.md).
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "stages/apply.h"
#include "base/buf.h"
#include "stages/check.h"
#include "cli/cli.h"
#include "stages/extract.h"
#include "base/log.h"
#include "store/pipeline.h"
#include "stages/plan.h"
#include "stages/run.h"
#include "stages/transform.h"

/* The check of `check`, inside the run: each missing permission is logged. */
static int run_check(struct run *r, const struct pipeline *p, struct err *e)
{
	struct http_client *ashby, *humaans;
	struct buf report = BUF_INIT;
	int missing = 0, rc;

	rc = run_ashby(r, &ashby, e);
	if (rc == 0)
		rc = run_humaans(r, &humaans, e);
	if (rc == 0)
		rc = check_credentials(ashby, humaans, p, &report, &missing, e);
	if (rc == 0 && missing) {
		const char *line = report.data, *nl;

		for (; (nl = strchr(line, '\n')); line = nl + 1)
			if (strncmp(line, "  MISSING  ", 11) == 0)
				log_error("missing: %.*s", (int)(nl - line - 11), line + 11);
		rc = err_set(e, ERR_PERMISSION,
			     "%d permission%s missing: nothing was extracted; grant %s and run "
			     "again ('ashby2humaans check' shows the details)",
			     missing, missing == 1 ? "" : "s", missing == 1 ? "it" : "them");
	}
	buf_release(&report);
	return rc;
}

int cmd_run(int argc, char **argv, const struct config *cfg)
{
	struct extract_opts xo = { false };
	struct plan_opts po = { -1, true };
	struct apply_opts ao = { NULL, true };
	struct run_opts ro = { 0, false, 0 };
	struct pipeline *p = NULL;
	struct err e = ERR_INIT;
	struct run r;
	bool dry_run = false, settled = false;
	long retention = 0;
	char path[4096];
	int i, rc, taken;

	if (cli_wants_help(argc, argv, "run"))
		return EXIT_OK;
	/* -q: nothing on stdout (the plan is in plan/plan.txt); errors still reach stderr. */
	po.print = cfg->verbosity > LOG_QUIET;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--dry-run") == 0) {
			dry_run = true;
		} else if (strcmp(argv[i], "--full") == 0) {
			xo.full = true;
		} else if ((taken = cli_run_option(argc, argv, &i, "run", &ro)) != 0) {
			if (taken < 0)
				return EXIT_FAILURE_;
		} else {
			log_error("run: unexpected argument '%s'", argv[i]);
			cli_usage_command("run", true);
			return EXIT_FAILURE_;
		}
	}
	/* An invalid pipeline is refused before the run takes the lock or reads anything. */
	snprintf(path, sizeof(path), "%s/pipeline.json", cfg->staging_dir);
	rc = pipeline_load(&p, path, &e);
	if (rc < 0) {
		log_error("%s", e.msg);
		if (rc == ERR_NOTFOUND)
			log_error("is '%s' a staging repo? create one with 'ashby2humaans init'",
				  cfg->staging_dir);
		return EXIT_FAILURE_;
	}
	/* The nightly run waits for a `serve` batch (or another run) to finish. */
	if (run_begin_wait(&r, cfg, "run", &ro, RUN_LOCK_WAIT_MS, &e) < 0) {
		log_error("run: %s", e.msg);
		pipeline_free(p);
		return EXIT_FAILURE_;
	}
	rc = run_check(&r, p, &e);
	retention = p->retention_days;
	pipeline_free(p);
	if (rc == 0)
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
	/* pipeline.json "retention": the night ends by forgetting what is older. */
	if (rc == 0 && retention > 0)
		rc = run_retention(&r, retention, &e);
	return run_end(&r, rc, &e);
}
