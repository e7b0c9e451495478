#include "config.h"

#include "cli.h"

int cmd_plan(int argc, char **argv, const struct config *cfg)
{
	(void)cfg;
	if (cli_wants_help(argc, argv, "plan"))
		return EXIT_OK;
	return cli_not_built("plan", "issue 5");
}
