#include "config.h"

#include "cli.h"

int cmd_export(int argc, char **argv, const struct config *cfg)
{
	(void)cfg;
	if (cli_wants_help(argc, argv, "export"))
		return EXIT_OK;
	return cli_not_built("export", "issue 6");
}
