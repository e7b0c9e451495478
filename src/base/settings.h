/*
 * settings: the process's configuration (global options and the environment)
 * and the exit statuses every command returns. main.c fills one struct config
 * before dispatching; it is read-only from then on, and the only process-wide
 * state the tool has.
 */
#ifndef SETTINGS_H
#define SETTINGS_H

enum exit_status {
	EXIT_OK = 0,
	EXIT_FAILURE_ = 1, /* failure, or a usage error */
	EXIT_CHANGES = 2,  /* plan --detailed-exitcode: the plan has changes */
	EXIT_SET_ASIDE = 3 /* completed, but hires were set aside or failed */
};

/* The process's configuration: global options and the environment. Read-only after main sets it up. */
struct config {
	const char *staging_dir;      /* -C / --staging, $ASHBY2HUMAANS_STAGING, else "./staging" */
	int verbosity;		      /* log level, see log.h */
	const char *ashby_api_key;    /* $ASHBY_API_KEY: never printed */
	const char *humaans_token;    /* $HUMAANS_API_TOKEN: never printed */
	const char *ashby_base_url;   /* $ASHBY_BASE_URL or https://api.ashbyhq.com */
	const char *humaans_base_url; /* $HUMAANS_BASE_URL or https://app.humaans.io/api */
	const char *notify_url; /* $ASHBY2HUMAANS_NOTIFY_URL: a webhook, a secret: never printed */
	int notify_names;	/* $ASHBY2HUMAANS_NOTIFY_NAMES=1: notifications name the hires */
	long retry_base_ms; /* $ASHBY2HUMAANS_RETRY_BASE_MS: shorter retry pacing for tests; 0 = default */
	const char *argv0;
};

#endif
