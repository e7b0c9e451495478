/*
 * ashby2humaans init [DIR]: create the staging repo and copy the default
 * pipeline into it. Running it again on a staging repo changes nothing.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "base/log.h"
#include "store/staging.h"

/*
 * The default pipeline: $ASHBY2HUMAANS_PIPELINE when set (tests, packagers),
 * else the source tree's copy while that tree exists (a binary run from its
 * build tree must not pick up an older installed copy), else the installed
 * copy. Borrowed: a literal or the environment.
 */
static const char *default_pipeline(void)
{
	const char *env = getenv("ASHBY2HUMAANS_PIPELINE");
	static const char src[] = ABS_TOP_SRCDIR "/pipelines/ashby-humaans.json";
	static const char installed[] = PKGDATADIR "/ashby-humaans.json";

	if (env && *env)
		return env;
	if (access(src, R_OK) == 0)
		return src;
	return installed; /* when missing, the error names where it should be */
}

int cmd_init(int argc, char **argv, const struct config *cfg)
{
	struct err e = ERR_INIT;
	const char *dir = cfg->staging_dir;
	bool created = false;
	int i;

	if (cli_wants_help(argc, argv, "init"))
		return EXIT_OK;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (argv[i][0] == '-' && argv[i][1]) {
			log_error("init: unknown option '%s'", argv[i]);
			cli_usage_command("init", true);
			return EXIT_FAILURE_;
		}
		break;
	}
	if (i < argc)
		dir = argv[i++];
	if (i < argc) {
		log_error("init: too many arguments");
		cli_usage_command("init", true);
		return EXIT_FAILURE_;
	}

	if (staging_init(dir, default_pipeline(), NULL, &created, &e) < 0) {
		log_error("init: %s", e.msg);
		return EXIT_FAILURE_;
	}
	if (created)
		printf("initialised staging repo in %s\n", dir);
	else
		printf("%s is already a staging repo: nothing changed\n", dir);
	return EXIT_OK;
}
