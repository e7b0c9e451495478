/*
 * The plan reader: plan/plan.json as apply reads it, the "operations" a
 * record at a time (records.h, member "operations") and the whole file
 * parsed strictly (snapshot_parse) for its "basis". When both readers accept
 * the file they see the same operations.
 */
#include "config.h"

#include <jansson.h>

#include "base/jsonutil.h"
#include "store/records.h"
#include "store/snapshot.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rec_reader *r = NULL;
	struct err e = ERR_INIT;
	json_t *plan = NULL, *op = NULL, *ops;
	size_t n = 0;
	int rc = -1;

	if (rec_reader_open_mem((const char *)data, size, "plan/plan.json", "operations", &r, &e) ==
	    0) {
		while ((rc = rec_reader_next(r, &op, NULL, &e)) == 1) {
			(void)json_get_str(op, "id");
			(void)json_get_str(op, "action");
			(void)json_get_arr(op, "steps");
			json_decref(op);
			op = NULL;
			n++;
		}
		rec_reader_close(r);
	}
	err_clear(&e);
	if (snapshot_parse((const char *)data, size, "plan/plan.json", &plan, &e) == 0) {
		(void)json_get_obj(plan, "basis");
		ops = json_get_arr(plan, "operations");
		/* A file both accept holds the same number of operations for both. */
		if (rc == 0 && json_is_object(plan) && ops)
			FUZZ_CHECK(json_array_size(ops) == n);
		json_decref(plan);
	}
	return 0;
}
