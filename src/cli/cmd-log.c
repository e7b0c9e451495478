/* log: the runs, newest first, from the run tags' messages. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/buf.h"
#include "stages/bundle.h"
#include "cli/cli.h"
#include "base/log.h"
#include "store/runinfo.h"
#include "store/staging.h"
#include "base/xalloc.h"

struct column {
	const char *title;
	const char *key; /* in the JSON object of a run */
	int numeric;	 /* right-aligned */
};

static const struct column columns[] = {
	{ "RUN", "runId", 0 },
	{ "STARTED", "started", 0 },
	{ "DURATION", "duration", 1 },
	{ "COMMAND", "command", 0 },
	{ "STAGE", "stageReached", 0 },
	{ "EXTRACTED", "hiresExtracted", 1 },
	{ "REJECTED", "hiresRejected", 1 },
	{ "PLANNED", "hiresPlanned", 1 },
	{ "CREATED", "hiresCreated", 1 },
	{ "FAILED", "hiresFailed", 1 },
	{ "REQ-ASHBY", "requestsAshby", 1 },
	{ "REQ-HUMAANS", "requestsHumaans", 1 },
	{ "OUTCOME", "outcome", 0 },
};
#define NCOLUMNS (sizeof(columns) / sizeof(columns[0]))

static int add_run(void *ctx, const char *run_id, const char *message, const char *commit_hex)
{
	json_t *runs = ctx, *obj = runinfo_fields(message ? message : "");
	time_t t;
	char started[32];

	if (!obj)
		return -1;
	json_object_set_new(obj, "runId", json_string(run_id));
	json_object_set_new(obj, "commit", json_string(commit_hex));
	/* A tag without Started: the run id says when it began. */
	if (!json_object_get(obj, "started") && bundle_run_time(run_id, &t, NULL) == 0) {
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(started, sizeof(started), "%Y-%m-%dT%H:%M:%SZ", &tm);
		json_object_set_new(obj, "started", json_string(started));
	}
	return json_array_append_new(runs, obj) ? -1 : 0;
}

static char *cell(const json_t *run, const char *key)
{
	const json_t *v = json_object_get(run, key);

	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	if (json_is_integer(v))
		return xasprintf("%lld", (long long)json_integer_value(v));
	if (json_is_real(v))
		return xasprintf("%.1fs", json_real_value(v));
	return xstrdup("-");
}

static void print_table(const json_t *runs)
{
	size_t width[NCOLUMNS], nruns = json_array_size(runs), i, c;
	char **cells = xcalloc(nruns * NCOLUMNS + 1, sizeof(*cells));

	for (c = 0; c < NCOLUMNS; c++)
		width[c] = strlen(columns[c].title);
	for (i = 0; i < nruns; i++) {
		for (c = 0; c < NCOLUMNS; c++) {
			char *s = cell(json_array_get(runs, i), columns[c].key);

			cells[i * NCOLUMNS + c] = s;
			if (strlen(s) > width[c])
				width[c] = strlen(s);
		}
	}
	for (i = 0; i <= nruns; i++) {
		for (c = 0; c < NCOLUMNS; c++) {
			const char *s = i == 0 ? columns[c].title : cells[(i - 1) * NCOLUMNS + c];
			int w = (int)width[c];

			if (c + 1 == NCOLUMNS)
				printf("%s\n", s);
			else if (columns[c].numeric)
				printf("%*s  ", w, s);
			else
				printf("%-*s  ", w, s);
		}
	}
	for (i = 0; i < nruns * NCOLUMNS; i++)
		free(cells[i]);
	free(cells);
}

int cmd_log(int argc, char **argv, const struct config *cfg)
{
	struct staging *s = NULL;
	struct err e = ERR_INIT;
	const char *format = "text";
	json_t *runs = NULL;
	int i, status = EXIT_FAILURE_;

	if (cli_wants_help(argc, argv, "log"))
		return EXIT_OK;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--format") == 0 && i + 1 < argc)
			format = argv[++i];
		else if (strncmp(argv[i], "--format=", 9) == 0)
			format = argv[i] + 9;
		else {
			log_error("log: unexpected argument '%s'", argv[i]);
			cli_usage_command("log", true);
			return EXIT_FAILURE_;
		}
	}
	if (strcmp(format, "text") != 0 && strcmp(format, "json") != 0) {
		log_error("log: unknown format '%s' (text or json)", format);
		cli_usage_command("log", true);
		return EXIT_FAILURE_;
	}

	if (staging_open_readonly(&s, cfg->staging_dir, &e) < 0) {
		log_error("%s", e.msg);
		return EXIT_FAILURE_;
	}
	runs = json_array();
	if (!runs || staging_list_runs(s, add_run, runs, &e) < 0) {
		log_error("log: %s", e.msg[0] ? e.msg : "cannot list the runs");
		goto out;
	}
	if (strcmp(format, "json") == 0) {
		char *text =
			json_dumps(runs, JSON_SORT_KEYS | JSON_INDENT(2) | JSON_REAL_PRECISION(15));

		if (!text) {
			log_error("log: cannot serialise the runs");
			goto out;
		}
		printf("%s\n", text);
		free(text);
	} else if (json_array_size(runs) == 0) {
		printf("no runs yet\n");
	} else {
		print_table(runs);
	}
	status = EXIT_OK;
out:
	json_decref(runs);
	if (s)
		staging_close(s);
	return status;
}
