/*
 * The Ashby envelope decoder, ashby_decode(): input byte 0 picks the HTTP
 * status, byte 1 the endpoint (from ashby_endpoints[]), the rest is the body.
 * On success the envelope has "results"; on failure there is no envelope and
 * the message is set.
 */
#include "config.h"

#include <string.h>

#include "apis/ashby.h"
#include "apis/http.h"
#include "base/buf.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = { 200, 200, 200, 400, 401, 403, 404, 429, 500, 503, 0 };
	struct http_response resp;
	struct err e = ERR_INIT;
	json_t *env = (json_t *)1;
	size_t nend = 0;
	int rc;

	if (size < 2)
		return 0;
	while (ashby_endpoints[nend].name)
		nend++;
	http_response_init(&resp);
	resp.status = statuses[data[0] % (sizeof(statuses) / sizeof(statuses[0]))];
	if (data[0] & 0x80)
		resp.request_id = strdup("req-fuzz");
	buf_add(&resp.body, data + 2, size - 2);
	if (!resp.status) /* http gave up: its message is in e */
		err_set(&e, ERR_NETWORK, "no answer after the retries");
	rc = ashby_decode(ashby_endpoints[data[1] % nend].name, "application 'ap-1'",
			  resp.status ? 0 : ERR_NETWORK, &resp, &env, &e);
	if (rc == 0) {
		FUZZ_CHECK(json_is_object(env) && json_object_get(env, "results"));
	} else {
		FUZZ_CHECK(rc < 0 && env == NULL && e.msg[0]);
		FUZZ_CHECK(strlen(e.msg) < sizeof(e.msg));
	}
	json_decref(env);
	http_response_release(&resp);
	return 0;
}
