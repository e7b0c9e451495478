#include "config.h"

#include "cli.h"

int cmd_transform(int argc, char **argv, const struct config *cfg)
{
	(void)cfg;
	if (cli_wants_help(argc, argv, "transform"))
		return EXIT_OK;
	return cli_not_built("transform", "issue 4");
}
