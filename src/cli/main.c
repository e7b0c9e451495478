/*
 * ashby2humaans: the command table, global options and exit status.
 * Everything else lives in the core library (libcore.a) that the tests link.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <git2.h>

#include "cli/cli.h"
#include "base/harden.h"
#include "base/log.h"
#include "base/secret.h"

const struct command commands[] = {
	{ "init", cmd_init, "[DIR]", "create the staging repo and copy the default pipeline" },
	{ "check", cmd_check, "[--notify-test]",
	  "validate pipeline.json and the credentials' permissions" },
	{ "extract", cmd_extract, "[--full] [--jobs N|auto] [--jobs-max N] [--max-rps R]",
	  "read hired applications from Ashby into extract/" },
	{ "transform", cmd_transform, "", "map extract/ through pipeline.json into transform/" },
	{ "plan", cmd_plan, "[--detailed-exitcode] [--jobs N|auto] [--jobs-max N] [--max-rps R]",
	  "diff the new hires against Humaans into plan/" },
	{ "apply", cmd_apply, "[--plan REV] [--jobs N|auto] [--jobs-max N] [--max-rps R]",
	  "carry out the committed plan in Humaans" },
	{ "run", cmd_run, "[--dry-run] [--full] [--jobs N|auto] [--jobs-max N] [--max-rps R]",
	  "extract, transform, plan, then apply unless --dry-run" },
	{ "log", cmd_log, "[--format text|json]", "list the runs, newest first" },
	{ "show", cmd_show, "RUN [FILE]", "show a run's summary, or one of its staged files" },
	{ "export", cmd_export, "RUN -o FILE | --verify FILE",
	  "write (or verify) an audit bundle of a run" },
	{ "delete-new-hire", cmd_delete_new_hire, "ID", "delete a new hire this tool created" },
	{ "forget", cmd_forget,
	  "APPLICATION_ID... --reason TEXT | --before DATE --reason TEXT [--dry-run]",
	  "erase hires' personal data from the whole staging history" },
	{ "serve", cmd_serve,
	  "--listen ADDR:PORT [--apply] [--jobs N|auto] [--jobs-max N] [--max-rps R]",
	  "receive Ashby webhooks and run the stages for the hires they name" },
	{ NULL, NULL, NULL, NULL }
};

static void usage(FILE *f)
{
	const struct command *c;

	fputs("usage: ashby2humaans [-C DIR | --staging DIR] [-v | -vv | -q] COMMAND [ARGS]\n"
	      "       ashby2humaans --help | --version\n"
	      "\ncommands:\n",
	      f);
	for (c = commands; c->name; c++)
		fprintf(f, "  %-16s %s\n", c->name, c->summary);
	fputs("\nenvironment: ASHBY_API_KEY, HUMAANS_API_TOKEN, ASHBY_BASE_URL, HUMAANS_BASE_URL,\n"
	      "             ASHBY2HUMAANS_STAGING, ASHBY_WEBHOOK_SECRET (serve),\n"
	      "             ASHBY2HUMAANS_NOTIFY_URL, ASHBY2HUMAANS_NOTIFY_NAMES\n"
	      "exit status: 0 success, 1 failure, 2 plan has changes (--detailed-exitcode),\n"
	      "             3 hires set aside or failed\n"
	      "run 'ashby2humaans COMMAND --help' for a command's options; see ashby2humaans(1).\n",
	      f);
}

/* The path (and query) of a URL, what -vv traces show of a request: NULL when none. */
static const char *url_path(const char *url)
{
	const char *p = url ? strstr(url, "://") : NULL;

	return p ? strchr(p + 3, '/') : NULL;
}

static const char *env_or(const char *name, const char *dflt)
{
	const char *v = getenv(name);

	return v && *v ? v : dflt;
}

/* Flush stdout and report a failed write (a full disk), as git does. */
static int finish(int status)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		log_error("could not write to standard output");
		return EXIT_FAILURE_;
	}
	return status;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "staging", required_argument, NULL, 'C' }, { "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },	     { "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },	     { NULL, 0, NULL, 0 }
	};
	struct config cfg;
	const struct command *c;
	struct err e = ERR_INIT;
	int opt, status, verbosity = LOG_NORMAL;

	/* Before anything reads the credentials: no core dump may hold them. */
	if (harden_process(&e) < 0)
		log_warn("%s", e.msg);
	memset(&cfg, 0, sizeof(cfg));
	cfg.argv0 = argv[0];
	cfg.staging_dir = env_or("ASHBY2HUMAANS_STAGING", "./staging");

	/* "+" stops at the command name: the rest belongs to the command. */
	while ((opt = getopt_long(argc, argv, "+C:vqh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'C':
			cfg.staging_dir = optarg;
			break;
		case 'v':
			verbosity++;
			break;
		case 'q':
			verbosity = LOG_QUIET;
			break;
		case 'h':
			usage(stdout);
			return finish(EXIT_OK);
		case 'V':
			printf("ashby2humaans %s\n", PACKAGE_VERSION);
			return finish(EXIT_OK);
		default:
			usage(stderr);
			return EXIT_FAILURE_;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_FAILURE_;
	}
	cfg.verbosity = verbosity;
	cfg.ashby_api_key = getenv("ASHBY_API_KEY");
	cfg.humaans_token = getenv("HUMAANS_API_TOKEN");
	cfg.ashby_base_url = env_or("ASHBY_BASE_URL", "https://api.ashbyhq.com");
	cfg.humaans_base_url = env_or("HUMAANS_BASE_URL", "https://app.humaans.io/api");
	cfg.retry_base_ms = atol(env_or("ASHBY2HUMAANS_RETRY_BASE_MS", "0"));
	cfg.notify_url = getenv("ASHBY2HUMAANS_NOTIFY_URL");
	if (cfg.notify_url && !*cfg.notify_url)
		cfg.notify_url = NULL;
	cfg.notify_names = strcmp(env_or("ASHBY2HUMAANS_NOTIFY_NAMES", "0"), "1") == 0;
	log_setup(verbosity, isatty(STDERR_FILENO));
	/* Every credential the process holds, redacted from each message (secret.h).
	 * Ashby's key also travels as HTTP Basic "KEY:" in base64. The notification
	 * webhook's URL is its own credential, and so is its path (what a -vv trace shows). */
	if (secret_add_basic(cfg.ashby_api_key) < 0 || secret_add(cfg.humaans_token) < 0 ||
	    secret_add(cfg.notify_url) < 0 || secret_add(url_path(cfg.notify_url)) < 0) {
		log_error("too many secrets to redact");
		return EXIT_FAILURE_;
	}

	for (c = commands; c->name; c++)
		if (strcmp(c->name, argv[optind]) == 0)
			break;
	if (!c->name) {
		log_error("unknown command '%s'", argv[optind]);
		usage(stderr);
		return EXIT_FAILURE_;
	}

	curl_global_init(CURL_GLOBAL_DEFAULT);
	git_libgit2_init();
	status = c->fn(argc - optind, argv + optind, &cfg);
	git_libgit2_shutdown();
	curl_global_cleanup();
	return finish(status);
}
