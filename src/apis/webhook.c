#include "config.h"

#include "apis/webhook.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "base/hash.h"
#include "base/jsonutil.h"
#include "base/syntax.h"
#include "base/xalloc.h"

#define PREFIX "sha256="

static void hmac256(const void *secret, size_t secret_len, const void *body, size_t len,
		    unsigned char out[32])
{
	unsigned int n = 32;

	if (!HMAC(EVP_sha256(), secret, (int)secret_len, body, len, out, &n))
		memset(out, 0, 32);
}

bool webhook_signature_ok(const void *secret, size_t secret_len, const void *body, size_t len,
			  const char *header)
{
	unsigned char want[32], got[32];
	const char *p = header;
	size_t i;

	if (!secret || secret_len == 0 || secret_len > 4096 || !header)
		return false;
	while (*p == ' ' || *p == '\t')
		p++;
	if (strncmp(p, PREFIX, strlen(PREFIX)) != 0)
		return false;
	p += strlen(PREFIX);
	for (i = 0; i < 32; i++) {
		int hi = syntax_hex_digit((unsigned char)p[2 * i]), lo;

		if (hi < 0)
			return false;
		lo = syntax_hex_digit((unsigned char)p[2 * i + 1]);
		if (lo < 0)
			return false;
		got[i] = (unsigned char)(hi << 4 | lo);
	}
	for (p += 64; *p == ' ' || *p == '\t'; p++)
		;
	if (*p)
		return false;
	hmac256(secret, secret_len, body ? body : "", body ? len : 0, want);
	return CRYPTO_memcmp(want, got, 32) == 0;
}

void webhook_sign(const void *secret, size_t secret_len, const void *body, size_t len, char out[72])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char mac[32];
	size_t i;

	hmac256(secret, secret_len, body ? body : "", body ? len : 0, mac);
	memcpy(out, PREFIX, 7);
	for (i = 0; i < 32; i++) {
		out[7 + 2 * i] = hex[mac[i] >> 4];
		out[8 + 2 * i] = hex[mac[i] & 15];
	}
	out[71] = '\0';
}

/* The actions that name an application (api/ashby.md §Webhooks). */
static bool names_application(const char *action)
{
	static const char *const actions[] = { "candidateHire", "applicationUpdate",
					       "offerUpdate",	"candidateStageChange",
					       "pushToHRIS",	NULL };
	const char *const *a;

	for (a = actions; *a; a++)
		if (strcmp(*a, action) == 0)
			return true;
	return false;
}

/* Add id `v` (any JSON value; only a plain id string counts) to the sorted unique array. */
static void add_id(json_t *arr, const json_t *v)
{
	const char *id = json_string_value(v);
	size_t i;
	json_t *x;

	if (!syntax_id_valid(id))
		return;
	json_array_foreach (arr, i, x) {
		int c = strcmp(json_string_value(x), id);

		if (c == 0)
			return;
		if (c > 0) {
			json_array_insert_new(arr, i, json_string(id));
			return;
		}
	}
	json_array_append_new(arr, json_string(id));
}

static void add_ids(json_t *arr, const json_t *list)
{
	size_t i;
	json_t *v;

	json_array_foreach (list, i, v)
		add_id(arr, v);
}

int webhook_parse(const void *body, size_t len, struct webhook_delivery *out, struct err *e)
{
	json_error_t jerr;
	json_t *root, *data, *id;
	const char *action;
	char sha[65];
	int rc = 0;

	memset(out, 0, sizeof(*out));
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return err_set(e, ERR_INVALID, "webhook delivery: invalid JSON at byte %d",
			       jerr.position);
	if (!json_is_object(root)) {
		rc = err_set(e, ERR_INVALID, "webhook delivery: not a JSON object");
		goto out;
	}
	id = json_object_get(root, "webhookActionId");
	action = json_get_str(root, "action");
	data = json_object_get(root, "data");
	if ((id && !json_is_string(id)) ||
	    (json_object_get(root, "action") && !json_is_string(json_object_get(root, "action"))) ||
	    (data && !json_is_object(data) && !json_is_null(data))) {
		rc = err_set(e, ERR_INVALID,
			     "webhook delivery: 'webhookActionId', 'action' or 'data' has the "
			     "wrong type");
		goto out;
	}
	if (id && syntax_id_valid(json_string_value(id))) {
		out->action_id = xstrdup(json_string_value(id));
	} else {
		/* No usable dedupe key: the bytes are one (a retry sends the same bytes). */
		sha256_hex(body, len, sha);
		out->action_id = xasprintf("body-%s", sha);
	}
	out->action = xstrdup(action ? action : "");
	out->applications = json_array();
	out->candidates = json_array();
	if (strcmp(out->action, "ping") == 0) {
		out->kind = WEBHOOK_PING;
	} else if (strcmp(out->action, "candidateMerge") == 0) {
		const json_t *merged = json_get_obj(data, "mergedCandidate");

		add_id(out->candidates, json_object_get(merged, "id"));
		add_ids(out->applications, json_object_get(merged, "applicationIds"));
		out->kind =
			json_array_size(out->candidates) + json_array_size(out->applications) > 0
				? WEBHOOK_MERGE
				: WEBHOOK_IGNORED;
	} else if (names_application(out->action)) {
		add_id(out->applications, json_object_get(json_get_obj(data, "application"), "id"));
		add_id(out->applications,
		       json_object_get(json_get_obj(data, "offer"), "applicationId"));
		out->kind = json_array_size(out->applications) > 0 ? WEBHOOK_APPLICATIONS
								   : WEBHOOK_IGNORED;
	} else {
		out->kind = WEBHOOK_IGNORED;
	}
out:
	json_decref(root);
	if (rc < 0)
		webhook_delivery_release(out);
	return rc;
}

void webhook_delivery_release(struct webhook_delivery *d)
{
	free(d->action_id);
	free(d->action);
	json_decref(d->applications);
	json_decref(d->candidates);
	memset(d, 0, sizeof(*d));
}
