/*
 * serve --listen ADDR:PORT [--apply] [--jobs N|auto] [--jobs-max N] [--max-rps R]: the Ashby
 * webhook receiver (stages/serve.h). The secret comes from
 * ASHBY_WEBHOOK_SECRET only, and is registered for redaction before anything
 * else runs. SIGTERM and SIGINT stop it (exit 0).
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "base/secret.h"
#include "cli/cli.h"
#include "stages/serve.h"

#define SECRET_ENV "ASHBY_WEBHOOK_SECRET"

static volatile sig_atomic_t stop_asked;

static void on_stop(int sig)
{
	(void)sig;
	stop_asked = 1;
}

static void handle_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

int cmd_serve(int argc, char **argv, const struct config *cfg)
{
	struct serve_opts o;
	struct err e = ERR_INIT;
	bool abandoned = false, missing = false;
	const char *v;
	int i, taken, rc;

	if (cli_wants_help(argc, argv, "serve"))
		return EXIT_OK;
	memset(&o, 0, sizeof(o));
	for (i = 1; i < argc; i++) {
		if ((v = cli_opt_value(argc, argv, &i, "--listen", &missing)) || missing) {
			if (missing) {
				log_error("serve: --listen wants ADDR:PORT");
				cli_usage_command("serve", true);
				return EXIT_FAILURE_;
			}
			o.listen = v;
		} else if (strcmp(argv[i], "--apply") == 0) {
			o.apply = true;
		} else if ((taken = cli_run_option(argc, argv, &i, "serve", &o.ro)) != 0) {
			if (taken < 0)
				return EXIT_FAILURE_;
		} else {
			log_error("serve: unexpected argument '%s'", argv[i]);
			cli_usage_command("serve", true);
			return EXIT_FAILURE_;
		}
	}
	if (!o.listen) {
		log_error("serve: --listen ADDR:PORT is required");
		cli_usage_command("serve", true);
		return EXIT_FAILURE_;
	}
	o.secret = getenv(SECRET_ENV);
	if (!o.secret || !*o.secret) {
		log_error("serve: %s is not set: set it to the secret token of the webhook in "
			  "Ashby (Admin, Integrations, Webhooks)",
			  SECRET_ENV);
		return EXIT_FAILURE_;
	}
	if (strlen(o.secret) < SECRET_MIN_LEN) {
		log_error("serve: %s is shorter than %d characters: use a long random token",
			  SECRET_ENV, SECRET_MIN_LEN);
		return EXIT_FAILURE_;
	}
	/* Before any thread starts: the secret is never printed (secret.h). */
	if (secret_add(o.secret) < 0) {
		log_error("too many secrets to redact");
		return EXIT_FAILURE_;
	}
	stop_asked = 0;
	o.stop = &stop_asked;
	handle_signals();
	rc = serve_main(cfg, &o, &abandoned, &e);
	if (rc < 0) {
		log_error("%s", e.msg);
		return EXIT_FAILURE_;
	}
	if (abandoned) {
		/* The worker still holds the run: end the process now (the lock goes with it). */
		fflush(stdout);
		fflush(stderr);
		_exit(EXIT_OK);
	}
	return EXIT_OK;
}
