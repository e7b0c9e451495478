/* overrides.csv: overrides_parse(), then the listing transform writes in its commit. */
#include "config.h"

#include <string.h>

#include <jansson.h>

#include "base/buf.h"
#include "store/overrides.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct overrides *ov = NULL;
	struct err e = ERR_INIT;
	struct buf b = BUF_INIT;
	json_t *apps;
	size_t unmatched;

	if (overrides_parse(&ov, (const char *)data, size, "overrides.csv", &e) < 0) {
		FUZZ_CHECK(ov == NULL && e.msg[0]);
		return 0;
	}
	apps = json_pack("[{s:s}]", "id", "a1000000-0000-4000-8000-000000000009");
	unmatched = overrides_describe(ov, apps, &b);
	FUZZ_CHECK(unmatched <= overrides_count(ov));
	json_decref(apps);
	buf_release(&b);
	overrides_free(ov);
	return 0;
}
