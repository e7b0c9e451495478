#include "config.h"

#include "cli/cli.h"

int cmd_serve(int argc, char **argv, const struct config *cfg)
{
	(void)cfg;
	if (cli_wants_help(argc, argv, "serve"))
		return EXIT_OK;
	return cli_not_built("serve", "a later issue");
}
