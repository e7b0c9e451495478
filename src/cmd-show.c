#include "config.h"

#include "cli.h"

int cmd_show(int argc, char **argv, const struct config *cfg)
{
	(void)cfg;
	if (cli_wants_help(argc, argv, "show"))
		return EXIT_OK;
	return cli_not_built("show", "issue 6");
}
