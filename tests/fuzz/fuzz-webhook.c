/* A webhook delivery: the signature check over hostile headers and bodies, then the parse. */
#include "config.h"

#include <string.h>

#include <jansson.h>

#include "apis/webhook.h"
#include "fuzz.h"

#define SECRET "fuzz-webhook-secret"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct webhook_delivery d;
	struct err e = ERR_INIT;
	char header[80], sig[72];
	size_t n = size < sizeof(header) - 1 ? size : sizeof(header) - 1;
	size_t i;
	json_t *v;

	/* The first bytes as a header: only the right signature may verify. */
	memcpy(header, data, n);
	header[n] = '\0';
	webhook_sign(SECRET, strlen(SECRET), data, size, sig);
	FUZZ_CHECK(webhook_signature_ok(SECRET, strlen(SECRET), data, size, sig));
	(void)webhook_signature_ok(SECRET, strlen(SECRET), data, size, header);
	FUZZ_CHECK(!webhook_signature_ok("", 0, data, size, sig));
	if (webhook_parse(data, size, &d, &e) < 0) {
		FUZZ_CHECK(e.msg[0] && d.action_id == NULL);
		return 0;
	}
	FUZZ_CHECK(d.action_id && d.action && json_is_array(d.applications));
	FUZZ_CHECK(webhook_id_ok(d.action_id) || strncmp(d.action_id, "body-", 5) == 0);
	json_array_foreach (d.applications, i, v)
		FUZZ_CHECK(webhook_id_ok(json_string_value(v)));
	json_array_foreach (d.candidates, i, v)
		FUZZ_CHECK(webhook_id_ok(json_string_value(v)));
	FUZZ_CHECK(d.kind != WEBHOOK_APPLICATIONS || json_array_size(d.applications) > 0);
	webhook_delivery_release(&d);
	return 0;
}
