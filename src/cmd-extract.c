#include "config.h"

#include "cli.h"

int cmd_extract(int argc, char **argv, const struct config *cfg)
{
	(void)cfg;
	if (cli_wants_help(argc, argv, "extract"))
		return EXIT_OK;
	return cli_not_built("extract", "issue 3");
}
