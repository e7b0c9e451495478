#include "config.h"

#include "cli.h"

int cmd_run(int argc, char **argv, const struct config *cfg)
{
	(void)cfg;
	if (cli_wants_help(argc, argv, "run"))
		return EXIT_OK;
	return cli_not_built("run", "issue 5");
}
