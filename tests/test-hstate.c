/* Unit tests of hstate.c: the index over the Humaans state and the basis fingerprints. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/buf.h"
#include "base/hash.h"
#include "stages/hstate.h"
#include "store/snapshot.h"
#include "tap.h"
#include "tap-json.h"

/* The SHA-256 of the canonical dump of `text`'s JSON, as a fingerprint is. */
static void sha_of_text(const char *text, char out[65])
{
	struct buf b = BUF_INIT;
	struct err e = ERR_INIT;
	json_t *v = J(text);

	snapshot_dump(v, &b, &e);
	sha256_hex(b.data, b.len, out);
	buf_release(&b);
	json_decref(v);
}

static void init(struct hstate *hs)
{
	memset(hs, 0, sizeof(*hs));
	hs->people = J("[{\"id\":\"p_mgr\",\"firstName\":\"Ann\"},"
		       " {\"id\":\"p_known\",\"firstName\":\"Kim\"}]");
	hs->compensations = J("[{\"id\":\"c_2\",\"personId\":\"p_known\",\"amount\":\"2\"},"
			      " {\"id\":\"c_1\",\"personId\":\"p_known\",\"amount\":\"1\"},"
			      " {\"id\":\"c_3\",\"personId\":\"p_mgr\",\"amount\":\"3\"}]");
}

int main(void)
{
	struct hstate hs;
	struct err e = ERR_INIT;
	char a[65], b[65];
	const json_t *set;

	init(&hs);
	ok(hstate_fingerprint(&hs, "people/p_mgr", a, &e) == 0, "fingerprint of a person");
	sha_of_text("{\"id\":\"p_mgr\",\"firstName\":\"Ann\"}", b);
	is_str(a, b, "a record's fingerprint is the sha-256 of its canonical json");
	json_object_set_new(json_array_get(hs.people, 0), "lastName", json_string("Changed"));
	hstate_fingerprint(&hs, "people/p_mgr", b, &e);
	ok(strcmp(a, b) != 0, "a changed record changes its fingerprint");
	is_int(hstate_fingerprint(&hs, "people/p_nobody", a, &e), ERR_NOTFOUND,
	       "an absent record is not found");
	is_int(hstate_fingerprint(&hs, "locations/l_1", a, &e), ERR_NOTFOUND,
	       "a record of a resource not read is not found");
	is_int(hstate_fingerprint(&hs, "people", a, &e), ERR_INVALID, "a key of neither shape");

	ok(hstate_fingerprint(&hs, "compensations?personId=p_known", a, &e) == 0,
	   "fingerprint of a person's set");
	sha_of_text("[{\"id\":\"c_1\",\"personId\":\"p_known\",\"amount\":\"1\"},"
		    " {\"id\":\"c_2\",\"personId\":\"p_known\",\"amount\":\"2\"}]",
		    b);
	is_str(a, b, "a set's fingerprint is of its records sorted by id");
	ok(hstate_fingerprint(&hs, "compensations?personId=p_nobody", a, &e) == 0,
	   "a person with no records has an empty set");
	sha_of_text("[]", b);
	is_str(a, b, "the empty set's fingerprint");
	is_int(hstate_fingerprint(&hs, "job-roles?personId=p_known", a, &e), ERR_NOTFOUND,
	       "a set of a resource not read is not found");

	hstate_fingerprint(&hs, "compensations?personId=p_known", a, &e);
	json_array_append_new(hs.compensations, J("{\"id\":\"c_0\",\"personId\":\"p_known\"}"));
	hstate_fingerprint(&hs, "compensations?personId=p_known", b, &e);
	ok(strcmp(a, b) != 0, "an added sub-record changes the set's fingerprint (index rebuilt)");

	set = hstate_person(&hs, "compensations", "p_known");
	is_int((long long)json_array_size(set), 3, "hstate_person: the person's records");
	is_str(json_string_value(json_object_get(json_array_get(set, 0), "id")), "c_2",
	       "hstate_person keeps the array's order");
	ok(hstate_person(&hs, "compensations", "p_nobody") == NULL, "hstate_person: none");

	hstate_release(&hs);
	ok(hs.people == NULL && hs.index == NULL, "released and zeroed");
	return tap_done();
}
