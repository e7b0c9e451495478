/*
 * Humaans answers: an error body through humaans_decode_error() and
 * humaans_error_scope() (byte 0 picks the status), and a success body parsed
 * as the client parses it, then read as a list page {total, data}.
 */
#include "config.h"

#include <string.h>

#include <jansson.h>

#include "apis/humaans.h"
#include "base/jsonutil.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = { 400, 401, 403, 404, 409, 422, 429, 500, 502, 0, 302 };
	const char *body = (const char *)data + 1;
	struct err e = ERR_INIT;
	char scope[128];
	json_error_t jerr;
	json_t *doc;
	long status;
	int rc;

	if (size < 1)
		return 0;
	status = statuses[data[0] % (sizeof(statuses) / sizeof(statuses[0]))];
	rc = humaans_decode_error(status, body, size - 1, "GET /people", &e);
	FUZZ_CHECK(rc < 0 && e.msg[0] && strlen(e.msg) < sizeof(e.msg));
	if (humaans_error_scope(body, size - 1, scope, sizeof(scope)))
		FUZZ_CHECK(strlen(scope) < sizeof(scope));

	doc = json_loadb(body, size - 1, JSON_REJECT_DUPLICATES, &jerr);
	if (doc) {
		json_t *page = json_get_arr(doc, "data");
		json_t *total = json_object_get(doc, "total");
		size_t i;
		json_t *rec;

		if (page && json_is_integer(total))
			json_array_foreach (page, i, rec)
				(void)json_get_str(rec, "id");
		json_decref(doc);
	}
	return 0;
}
