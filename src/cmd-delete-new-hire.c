#include "config.h"

#include "cli.h"

int cmd_delete_new_hire(int argc, char **argv, const struct config *cfg)
{
	(void)cfg;
	if (cli_wants_help(argc, argv, "delete-new-hire"))
		return EXIT_OK;
	return cli_not_built("delete-new-hire", "issue 5");
}
