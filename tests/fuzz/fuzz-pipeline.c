/* pipeline.json: pipeline_parse() accepts a valid pipeline or says why not. */
#include "config.h"

#include <string.h>

#include "store/pipeline.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pipeline *p = NULL;
	struct err e = ERR_INIT;
	size_t i;

	if (pipeline_parse(&p, (const char *)data, size, "pipeline.json", &e) < 0) {
		FUZZ_CHECK(p == NULL && e.msg[0]);
		return 0;
	}
	FUZZ_CHECK(p != NULL && p->version == 1 && strlen(pipeline_sha256_hex(p)) == 64);
	FUZZ_CHECK(p->fields[PF_FIRST_NAME].enabled && p->fields[PF_LAST_NAME].enabled);
	for (i = 0; i < p->ncustom; i++) {
		FUZZ_CHECK(p->custom[i].source_id || p->custom[i].source_title);
		FUZZ_CHECK(p->custom[i].target != NULL);
		(void)pipeline_type_name(p->custom[i].type);
		(void)pipeline_object_name(p->custom[i].object);
	}
	pipeline_free(p);
	return 0;
}
