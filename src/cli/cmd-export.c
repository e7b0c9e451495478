/* export: write an audit bundle of one run, or verify one. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stages/bundle.h"
#include "cli/cli.h"
#include "base/log.h"
#include "store/staging.h"

static void report_problem(void *ctx, const char *path, const char *problem)
{
	(void)ctx;
	log_error("%s: %s", path, problem);
}

static int export_verify(const char *file)
{
	struct err e = ERR_INIT;
	size_t n = 0;

	if (bundle_verify(file, report_problem, NULL, &n, &e) < 0) {
		log_error("export: %s", e.msg);
		return EXIT_FAILURE_;
	}
	log_info("%s: verified, %zu files match MANIFEST", file, n);
	return EXIT_OK;
}

static int export_write(const struct config *cfg, const char *run, const char *file)
{
	struct staging *s = NULL;
	struct bundle b;
	struct err e = ERR_INIT;
	size_t n = 0;
	int status = EXIT_FAILURE_;

	/*
	 * A zip stores DOS times in local time: export in UTC so that a run's
	 * bundle has the same bytes wherever it is written.
	 */
	if (setenv("TZ", "UTC0", 1) == 0)
		tzset();
	bundle_init(&b, run);
	if (staging_open_readonly(&s, cfg->staging_dir, &e) < 0 || bundle_collect(&b, s, &e) < 0 ||
	    bundle_write(&b, file, &n, &e) < 0) {
		log_error("export: %s", e.msg);
		goto out;
	}
	log_info("wrote %s: run %s, %zu files", file, b.run_id, n);
	status = EXIT_OK;
out:
	bundle_release(&b);
	if (s)
		staging_close(s);
	return status;
}

int cmd_export(int argc, char **argv, const struct config *cfg)
{
	const char *run = NULL, *output = NULL, *verify = NULL;
	int i;

	if (cli_wants_help(argc, argv, "export"))
		return EXIT_OK;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if ((strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) && i + 1 < argc)
			output = argv[++i];
		else if (strncmp(a, "--output=", 9) == 0)
			output = a + 9;
		else if (strncmp(a, "-o", 2) == 0 && a[2])
			output = a + 2;
		else if (strcmp(a, "--verify") == 0 && i + 1 < argc)
			verify = argv[++i];
		else if (strncmp(a, "--verify=", 9) == 0)
			verify = a + 9;
		else if (a[0] == '-' || run) {
			log_error("export: unexpected argument '%s'", a);
			goto usage;
		} else
			run = a;
	}
	if (verify && !run && !output)
		return export_verify(verify);
	if (verify) {
		log_error("export: --verify takes only the bundle");
		goto usage;
	}
	if (!run || !output) {
		log_error("export: %s", !run ? "which run? (a run id, run/<id> or latest)"
					     : "where to? (-o FILE.tar.gz or -o FILE.zip)");
		goto usage;
	}
	return export_write(cfg, run, output);
usage:
	cli_usage_command("export", true);
	return EXIT_FAILURE_;
}
