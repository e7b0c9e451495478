/*
 * transform: map extract/ through pipeline.json (and overrides.csv) into
 * transform/. The pipeline is validated before the run starts, so an invalid
 * pipeline is refused without taking the lock, tagging a run or touching a
 * file.
 */
#include "config.h"

#include <stdio.h>

#include "cli/cli.h"
#include "base/log.h"
#include "store/pipeline.h"
#include "stages/run.h"
#include "stages/transform.h"

int cmd_transform(int argc, char **argv, const struct config *cfg)
{
	struct run_opts opts = { 0, false, 0 };
	struct pipeline *p = NULL;
	struct err e = ERR_INIT;
	struct run r;
	char path[4096];
	int rc;

	if (cli_wants_help(argc, argv, "transform"))
		return EXIT_OK;
	if (argc > 1) {
		log_error("transform: unexpected argument '%s'", argv[1]);
		cli_usage_command("transform", true);
		return EXIT_FAILURE_;
	}
	snprintf(path, sizeof(path), "%s/pipeline.json", cfg->staging_dir);
	rc = pipeline_load(&p, path, &e);
	if (rc == ERR_NOTFOUND) {
		log_error("%s: no pipeline: is '%s' a staging repo? create one with 'ashby2humaans "
			  "init'",
			  path, cfg->staging_dir);
		return EXIT_FAILURE_;
	}
	if (rc < 0) {
		log_error("%s", e.msg);
		log_error("fix %s and run transform again (doc/pipeline.md describes the format)",
			  path);
		return EXIT_FAILURE_;
	}
	pipeline_free(p);

	if (run_begin(&r, cfg, "transform", &opts, &e) < 0) {
		log_error("%s", e.msg);
		return EXIT_FAILURE_;
	}
	rc = transform_stage(&r, &e);
	return run_end(&r, rc, &e);
}
