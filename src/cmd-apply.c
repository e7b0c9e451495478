#include "config.h"

#include "cli.h"

int cmd_apply(int argc, char **argv, const struct config *cfg)
{
	(void)cfg;
	if (cli_wants_help(argc, argv, "apply"))
		return EXIT_OK;
	return cli_not_built("apply", "issue 5");
}
