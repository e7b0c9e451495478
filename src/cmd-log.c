#include "config.h"

#include "cli.h"

int cmd_log(int argc, char **argv, const struct config *cfg)
{
	(void)cfg;
	if (cli_wants_help(argc, argv, "log"))
		return EXIT_OK;
	return cli_not_built("log", "issue 6");
}
