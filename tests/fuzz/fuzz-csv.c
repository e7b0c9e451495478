/*
 * The CSV reader, csv_parse_text(): fields are never NULL, line numbers start
 * at 1 and never go back, and a parse error names the input.
 */
#include "config.h"

#include <string.h>

#include "store/snapshot.h"
#include "fuzz.h"

struct seen {
	size_t rows, last_line;
};

static int row(void *ctx, char **fields, size_t nfields, size_t line, struct err *e)
{
	struct seen *s = ctx;
	size_t i;

	(void)e;
	FUZZ_CHECK(line >= 1 && line >= s->last_line);
	for (i = 0; i < nfields; i++)
		FUZZ_CHECK(fields[i] != NULL && strlen(fields[i]) < (size_t)-1);
	s->last_line = line;
	s->rows++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seen s = { 0, 0 };
	struct err e = ERR_INIT;

	if (csv_parse_text((const char *)data, size, "transform/rejects.csv", row, &s, &e) < 0)
		FUZZ_CHECK(strncmp(e.msg, "transform/rejects.csv: ", 23) == 0);
	return 0;
}
