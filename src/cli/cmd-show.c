/*
 * show: a run's summary and commits, or one of its staged files as it was (its
 * bytes when piped; control characters escaped on a terminal, where a hostile
 * value could otherwise move the cursor).
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "cli/cli.h"
#include "base/log.h"
#include "store/runinfo.h"
#include "store/staging.h"

static int print_commit(void *ctx, const char *commit_hex, const char *stage, const char *message)
{
	const char *nl = message ? strchr(message, '\n') : NULL;
	int n = nl ? (int)(nl - message) : (int)strlen(message ? message : "");
	int *count = ctx;

	if ((*count)++ == 0)
		printf("\ncommits:\n");
	printf("  %-10s %.7s  ", stage && *stage ? stage : "-", commit_hex);
	cli_write_text(stdout, message ? message : "", (size_t)n);
	putchar('\n');
	return 0;
}

static int show_summary(struct staging *s, const struct runinfo *ri, struct err *e)
{
	const char *msg = ri->message;
	size_t n = strlen(msg);
	int count = 0, rc;

	printf("run %s (tag run/%s, commit %.7s)\n\n", ri->id, ri->id, ri->commit);
	/* The tag message: subject, then the "Key: value" lines, as written. */
	cli_write_text(stdout, msg, n);
	if (n && msg[n - 1] != '\n')
		putchar('\n');
	rc = staging_run_commits(s, ri->id, print_commit, &count, e);
	if (rc < 0)
		return rc;
	if (count == 0)
		printf("\ncommits: none (nothing changed in this run)\n");
	return 0;
}

static int show_file(struct staging *s, const struct runinfo *ri, const char *file, struct err *e)
{
	struct buf out = BUF_INIT;
	int rc;

	rc = staging_read_at(s, ri->commit, file, &out, e);
	if (rc == ERR_NOTFOUND)
		rc = err_set(e, ERR_NOTFOUND, "no file '%s' in run %s", file, ri->id);
	else if (rc == 0 && out.len && isatty(STDOUT_FILENO) &&
		 cli_write_text(stdout, out.data, out.len) < 0)
		rc = err_set(e, ERR_IO, "cannot write to standard output");
	else if (rc == 0 && out.len && !isatty(STDOUT_FILENO) &&
		 fwrite(out.data, 1, out.len, stdout) != out.len)
		rc = err_set(e, ERR_IO, "cannot write to standard output");
	buf_release(&out);
	return rc;
}

int cmd_show(int argc, char **argv, const struct config *cfg)
{
	struct staging *s = NULL;
	struct runinfo ri = { "", "", NULL };
	struct err e = ERR_INIT;
	const char *args[2] = { NULL, NULL };
	bool options = true;
	int i, nargs = 0, status = EXIT_FAILURE_;

	if (cli_wants_help(argc, argv, "show"))
		return EXIT_OK;
	for (i = 1; i < argc; i++) {
		if (options && strcmp(argv[i], "--") == 0) {
			options = false;
			continue;
		} else if (options && argv[i][0] == '-' && argv[i][1]) {
			log_error("show: unknown option '%s'", argv[i]);
			cli_usage_command("show", true);
			return EXIT_FAILURE_;
		} else if (nargs == 2) {
			log_error("show: too many arguments");
			cli_usage_command("show", true);
			return EXIT_FAILURE_;
		}
		args[nargs++] = argv[i];
	}
	if (nargs == 0) {
		log_error(
			"show: which run? (a run id, run/<id> or latest; see 'ashby2humaans log')");
		cli_usage_command("show", true);
		return EXIT_FAILURE_;
	}

	if (staging_open_readonly(&s, cfg->staging_dir, &e) < 0 ||
	    runinfo_find(s, args[0], &ri, &e) < 0 ||
	    (args[1] ? show_file(s, &ri, args[1], &e) : show_summary(s, &ri, &e)) < 0) {
		log_error("show: %s", e.msg);
		goto out;
	}
	status = EXIT_OK;
out:
	runinfo_release(&ri);
	if (s)
		staging_close(s);
	return status;
}
