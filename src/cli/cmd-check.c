/*
 * check [--notify-test]: validate pipeline.json, then ask Ashby and Humaans what
 * the credentials may do. Exit 0 when everything the pipeline needs is granted,
 * 1 otherwise. Read-only: takes no lock and records no run. A line says whether
 * notifications are on; --notify-test posts a test message (a failure is exit 1).
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "stages/check.h"
#include "cli/cli.h"
#include "apis/http.h"
#include "base/log.h"
#include "store/pipeline.h"
#include "stages/review.h"
#include "stages/run.h"

/* The notification line; with `test`, a test message is posted. False when it failed. */
static bool check_notify(const struct config *cfg, bool test)
{
	struct err e = ERR_INIT;

	if (!cfg->notify_url) {
		printf("notify: off (ASHBY2HUMAANS_NOTIFY_URL is not set)%s\n",
		       test ? ": no test message sent" : "");
		return !test;
	}
	if (!test) {
		printf("notify: on (--notify-test posts a test message)\n");
		return true;
	}
	if (review_notify_test(cfg, &e) < 0) {
		printf("notify: FAILED  %s\n", e.msg);
		return false;
	}
	printf("notify: test message posted\n");
	return true;
}

int cmd_check(int argc, char **argv, const struct config *cfg)
{
	struct run_opts ro = { 1, true, 0 };
	struct http_client *ashby = NULL, *humaans = NULL;
	struct pipeline *p = NULL;
	struct buf report = BUF_INIT;
	struct err e = ERR_INIT;
	char path[4096];
	int missing = 0, problems = 0, status = EXIT_FAILURE_;
	bool notify_test = argc > 1 && strcmp(argv[1], "--notify-test") == 0, notify_ok = true;

	if (cli_wants_help(argc, argv, "check"))
		return EXIT_OK;
	if (argc > 1 + notify_test) {
		log_error("check: unexpected argument '%s'", argv[1]);
		cli_usage_command("check", true);
		return EXIT_FAILURE_;
	}
	snprintf(path, sizeof(path), "%s/pipeline.json", cfg->staging_dir);
	if (pipeline_load(&p, path, &e) < 0) {
		log_error("%s", e.msg);
		goto out;
	}
	printf("pipeline.json: ok\n");
	if (run_client_ashby(cfg, &ro, &ashby, &e) < 0 ||
	    run_client_humaans(cfg, &ro, &humaans, &e) < 0 ||
	    check_credentials(ashby, humaans, p, &report, &missing, &e) < 0) {
		cli_write_text(stdout, report.data, report.len);
		log_error("%s", e.msg);
		goto out;
	}
	cli_write_text(stdout, report.data, report.len);
	if (missing) {
		printf("%d permission%s missing: grant %s and run check again\n", missing,
		       missing == 1 ? "" : "s", missing == 1 ? "it" : "them");
		goto out;
	}
	printf("all permissions the pipeline needs are granted\n");
	buf_reset(&report);
	if (check_custom_fields(ashby, humaans, p, &report, &problems, &e) < 0) {
		cli_write_text(stdout, report.data, report.len);
		log_error("%s", e.msg);
		goto out;
	}
	cli_write_text(stdout, report.data, report.len);
	if (problems) {
		printf("%d custom field mapping%s cannot carry %s value: see above\n", problems,
		       problems == 1 ? "" : "s", problems == 1 ? "its" : "their");
		goto out;
	}
	status = EXIT_OK;
out:
	notify_ok = check_notify(cfg, notify_test);
	if (!notify_ok)
		status = EXIT_FAILURE_;
	buf_release(&report);
	http_client_free(ashby);
	http_client_free(humaans);
	pipeline_free(p);
	return status;
}
