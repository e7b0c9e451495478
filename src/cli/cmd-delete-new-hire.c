/* delete-new-hire: delete a new hire this tool created (journaled). */
#include "config.h"

#include <string.h>

#include "stages/apply.h"
#include "cli/cli.h"
#include "base/log.h"
#include "stages/run.h"

int cmd_delete_new_hire(int argc, char **argv, const struct config *cfg)
{
	struct err e = ERR_INIT;
	struct run r;
	int rc;

	if (cli_wants_help(argc, argv, "delete-new-hire"))
		return EXIT_OK;
	if (argc != 2 || argv[1][0] == '-') {
		log_error("delete-new-hire: give one id: an Ashby application id or a Humaans "
			  "person id");
		cli_usage_command("delete-new-hire", true);
		return EXIT_FAILURE_;
	}
	if (run_begin(&r, cfg, "delete-new-hire", NULL, &e) < 0) {
		log_error("delete-new-hire: %s", e.msg);
		return EXIT_FAILURE_;
	}
	rc = apply_delete_new_hire(&r, argv[1], &e);
	return run_end(&r, rc, &e);
}
