/* forget: erase hires' personal data from the whole staging history (store/erase.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "cli/cli.h"
#include "store/erase.h"
#include "store/staging.h"

static int usage_error(const char *msg)
{
	log_error("forget: %s", msg);
	cli_usage_command("forget", true);
	return EXIT_FAILURE_;
}

int cmd_forget(int argc, char **argv, const struct config *cfg)
{
	struct erase_opts o = { 0 };
	struct erase_result res;
	struct staging *s = NULL;
	struct err e = ERR_INIT;
	const char **apps = calloc((size_t)argc + 1, sizeof(*apps));
	char run_id[48], today[16], started[32];
	time_t now = time(NULL);
	struct tm tm;
	int i, status = EXIT_FAILURE_;

	if (cli_wants_help(argc, argv, "forget")) {
		free(apps);
		return EXIT_OK;
	}
	for (i = 1; i < argc; i++) {
		bool missing = false;
		const char *v;

		if ((v = cli_opt_value(argc, argv, &i, "--reason", &missing)))
			o.reason = v;
		else if ((v = cli_opt_value(argc, argv, &i, "--before", &missing)))
			o.before = v;
		else if (missing) {
			free(apps);
			return usage_error("an option is missing its value");
		} else if (strcmp(argv[i], "--dry-run") == 0)
			o.dry_run = true;
		else if (argv[i][0] == '-') {
			free(apps);
			return usage_error("unknown option");
		} else
			apps[o.napps++] = argv[i];
	}
	if (!o.reason || !*o.reason)
		status = usage_error("--reason TEXT is required (it is recorded)");
	else if (!o.before == !o.napps)
		status = usage_error("give APPLICATION_ID... or --before DATE");
	if (!o.reason || !*o.reason || !o.before == !o.napps) {
		free(apps);
		return status;
	}
	o.apps = apps;
	o.out = stdout;
	gmtime_r(&now, &tm);
	strftime(today, sizeof(today), "%Y-%m-%d", &tm);
	o.today = today;
	strftime(started, sizeof(started), "%Y-%m-%dT%H:%M:%SZ", &tm);
	o.started = started;
	if (staging_open(&s, cfg->staging_dir, &e) < 0 ||
	    staging_new_run_id(s, run_id, sizeof(run_id), &e) < 0)
		goto out;
	o.run_id = run_id;
	if (erase_forget(s, &o, &res, &e) < 0)
		goto out;
	if (o.dry_run)
		log_info("forget --dry-run: %ld hires, %ld commits of %ld runs and %ld files would "
			 "be rewritten; nothing changed",
			 res.hires, res.commits, res.runs, res.files);
	else if (res.hires)
		log_info("forget: %ld hires erased; %ld commits of %ld runs rewritten; tombstones "
			 "in load/tombstones.json (run %s)",
			 res.hires, res.commits, res.runs, run_id);
	status = EXIT_OK;
out:
	if (status != EXIT_OK)
		log_error("forget: %s", e.msg);
	staging_close(s);
	free(apps);
	return status;
}
