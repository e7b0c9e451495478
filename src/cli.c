#include "config.h"

#include "cli.h"
#include "log.h"

#include <stdio.h>
#include <string.h>

void cli_usage_command(const char *name, bool to_stderr)
{
	FILE *f = to_stderr ? stderr : stdout;
	const struct command *c;

	for (c = commands; c->name; c++) {
		if (strcmp(c->name, name) == 0) {
			fprintf(f, "usage: ashby2humaans [global options] %s%s%s\n\n%s\n",
				c->name, *c->synopsis ? " " : "", c->synopsis, c->summary);
			return;
		}
	}
}

bool cli_wants_help(int argc, char **argv, const char *name)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			cli_usage_command(name, false);
			return true;
		}
	}
	return false;
}

int cli_not_built(const char *name, const char *issue)
{
	log_error("'%s' is not built yet (%s)", name, issue);
	return EXIT_FAILURE_;
}
