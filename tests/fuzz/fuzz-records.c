/*
 * The staged-record reader (records.h) over a file's bytes: every record read
 * in order is read again, equal, at its offset; a rewind reads as many; the
 * index by "id" finds each record it lists.
 */
#include "config.h"

#include <string.h>

#include <jansson.h>

#include "store/records.h"
#include "fuzz.h"

#define MAX_RECS 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static long offs[MAX_RECS];
	struct rec_reader *r = NULL;
	struct err e = ERR_INIT;
	json_t *rec = NULL, *again = NULL, *index = NULL, *v;
	const char *key;
	size_t n = 0, m = 0;
	int rc;

	if (rec_reader_open_mem((const char *)data, size, "extract/applications.json", NULL, &r,
				&e) < 0) {
		FUZZ_CHECK(r == NULL && e.msg[0]);
		return 0;
	}
	while (n < MAX_RECS && (rc = rec_reader_next(r, &rec, &offs[n], &e)) == 1) {
		FUZZ_CHECK(rec != NULL);
		FUZZ_CHECK(rec_reader_at(r, offs[n], &again, &e) == 0);
		FUZZ_CHECK(json_equal(rec, again));
		json_decref(again);
		json_decref(rec);
		again = rec = NULL;
		n++;
	}
	if (n == MAX_RECS)
		goto out;
	if (rc < 0) {
		FUZZ_CHECK(e.msg[0]);
		goto out;
	}
	FUZZ_CHECK(rec_reader_rewind(r, &e) == 0);
	while (rec_reader_next(r, &rec, NULL, &e) == 1) {
		json_decref(rec);
		rec = NULL;
		m++;
	}
	FUZZ_CHECK(m == n);
	if (rec_reader_index(r, "id", false, &index, &e) == 0) {
		json_object_foreach (index, key, v) {
			FUZZ_CHECK(rec_reader_find(r, index, key, &rec, &e) == 1);
			FUZZ_CHECK(json_is_string(json_object_get(rec, "id")) &&
				   strcmp(json_string_value(json_object_get(rec, "id")), key) == 0);
			json_decref(rec);
			rec = NULL;
		}
		json_decref(index);
		index = NULL;
	}
	if (rec_reader_index(r, "id", true, &index, &e) == 0)
		json_decref(index);
out:
	rec_reader_close(r);
	return 0;
}
