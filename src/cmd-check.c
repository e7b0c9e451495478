#include "config.h"

#include "cli.h"

int cmd_check(int argc, char **argv, const struct config *cfg)
{
	(void)cfg;
	if (cli_wants_help(argc, argv, "check"))
		return EXIT_OK;
	return cli_not_built("check", "issue 6");
}
