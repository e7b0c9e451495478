#include "config.h"

#include "cli.h"

int cmd_init(int argc, char **argv, const struct config *cfg)
{
	(void)cfg;
	if (cli_wants_help(argc, argv, "init"))
		return EXIT_OK;
	return cli_not_built("init", "issue 2");
}
