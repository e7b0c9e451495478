/*
 * The three-way rule (stages/plan.h: sync_decide, sync_equal), row by row,
 * and the base a ledger entry keeps (store/ledger-base.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stages/plan.h"
#include "store/ledger-base.h"
#include "tap.h"
#include "tap-json.h"

/* JSON text, or NULL for "no record" (an unknown base, an absent value). */
struct row {
	const char *name;
	enum sync_cmp how;
	const char *ashby, *humaans, *base; /* JSON text; NULL: absent / unknown */
	enum sync_outcome want;
};

static const struct row rows[] = {
	{ "all three equal: nothing", SYNC_CMP_EXACT, "\"a\"", "\"a\"", "\"a\"", SYNC_SAME },
	{ "Ashby equals Humaans, base differs: nothing", SYNC_CMP_EXACT, "\"b\"", "\"b\"", "\"a\"",
	  SYNC_SAME },
	{ "Ashby changed, Humaans at base: write Ashby", SYNC_CMP_EXACT, "\"b\"", "\"a\"", "\"a\"",
	  SYNC_ASHBY },
	{ "Humaans changed, Ashby at base: keep Humaans (HR edit)", SYNC_CMP_EXACT, "\"a\"",
	  "\"h\"", "\"a\"", SYNC_KEEP },
	{ "both changed to different values: conflict", SYNC_CMP_EXACT, "\"b\"", "\"h\"", "\"a\"",
	  SYNC_CONFLICT },
	{ "both changed to the same value: nothing", SYNC_CMP_EXACT, "\"b\"", "\"b\"", "\"a\"",
	  SYNC_SAME },
	{ "base unknown, sides differ: conflict, never Ashby changed", SYNC_CMP_EXACT, "\"b\"",
	  "\"a\"", NULL, SYNC_CONFLICT },
	{ "base unknown, sides equal: nothing", SYNC_CMP_EXACT, "\"a\"", "\"a\"", NULL, SYNC_SAME },
	{ "base null (nothing written), Humaans empty, Ashby set: write", SYNC_CMP_EXACT, "\"a\"",
	  NULL, "null", SYNC_ASHBY },
	{ "base null, HR filled the field, Ashby still empty: keep", SYNC_CMP_EXACT, "null",
	  "\"h\"", "null", SYNC_KEEP },
	{ "Ashby cleared the field, Humaans at base: write (null)", SYNC_CMP_EXACT, "null", "\"a\"",
	  "\"a\"", SYNC_ASHBY },
	{ "absent and null are one value", SYNC_CMP_EXACT, NULL, "null", "\"a\"", SYNC_SAME },
	{ "email: Ashby changed only the case: nothing", SYNC_CMP_NOCASE, "\"Kim@Example.com\"",
	  "\"kim@example.com\"", "\"kim@example.com\"", SYNC_SAME },
	{ "email: Humaans at base ignoring case, Ashby changed: write", SYNC_CMP_NOCASE,
	  "\"kim@new.com\"", "\"KIM@example.com\"", "\"kim@example.com\"", SYNC_ASHBY },
	{ "email: HR edit, Ashby at base ignoring case: keep", SYNC_CMP_NOCASE,
	  "\"KIM@EXAMPLE.COM\"", "\"k.known@example.com\"", "\"kim@example.com\"", SYNC_KEEP },
	{ "exact: case matters for a name", SYNC_CMP_EXACT, "\"kim\"", "\"Kim\"", "\"Kim\"",
	  SYNC_ASHBY },
	{ "money: 85000 equals 85000.00", SYNC_CMP_MONEY, "\"85000\"", "\"85000.00\"", "\"85000\"",
	  SYNC_SAME },
	{ "money: Humaans 85000.00 at base 85000, Ashby 90000: write", SYNC_CMP_MONEY, "\"90000\"",
	  "\"85000.00\"", "\"85000\"", SYNC_ASHBY },
	{ "money: HR raised it, Ashby at base: keep", SYNC_CMP_MONEY, "\"85000\"", "\"88000.00\"",
	  "\"85000.00\"", SYNC_KEEP },
	{ "money: an integer equals its string", SYNC_CMP_MONEY, "85000", "\"85000.00\"", NULL,
	  SYNC_SAME },
	{ "salary: equal as decimals, currency ignoring case", SYNC_CMP_SALARY,
	  "{\"amount\":\"85000\",\"currency\":\"gbp\",\"period\":\"annual\","
	  "\"effectiveDate\":\"2026-03-02\"}",
	  "{\"amount\":\"85000.00\",\"currency\":\"GBP\",\"period\":\"annual\","
	  "\"effectiveDate\":\"2026-03-02\"}",
	  NULL, SYNC_SAME },
	{ "salary: Ashby's new amount, Humaans at base: write", SYNC_CMP_SALARY,
	  "{\"amount\":\"90000\",\"currency\":\"GBP\",\"period\":\"annual\","
	  "\"effectiveDate\":\"2026-03-02\"}",
	  "{\"amount\":\"85000.00\",\"currency\":\"GBP\",\"period\":\"annual\","
	  "\"effectiveDate\":\"2026-03-02\"}",
	  "{\"amount\":\"85000\",\"currency\":\"GBP\",\"period\":\"annual\","
	  "\"effectiveDate\":\"2026-03-02\"}",
	  SYNC_ASHBY },
	{ "salary: a different period is a different salary", SYNC_CMP_SALARY,
	  "{\"amount\":\"85000\",\"currency\":\"GBP\",\"period\":\"monthly\"}",
	  "{\"amount\":\"85000\",\"currency\":\"GBP\",\"period\":\"annual\"}",
	  "{\"amount\":\"85000\",\"currency\":\"GBP\",\"period\":\"annual\"}", SYNC_ASHBY },
	{ "salary: none in Humaans, none written: write", SYNC_CMP_SALARY,
	  "{\"amount\":\"85000\",\"currency\":\"GBP\",\"period\":\"annual\"}", "null", "null",
	  SYNC_ASHBY },
};

static const char *outcome_name(enum sync_outcome o)
{
	switch (o) {
	case SYNC_SAME:
		return "same";
	case SYNC_ASHBY:
		return "ashby";
	case SYNC_KEEP:
		return "keep";
	case SYNC_CONFLICT:
		return "conflict";
	}
	return "?";
}

static void test_rows(void)
{
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		json_t *a = J(rows[i].ashby), *h = J(rows[i].humaans), *b = J(rows[i].base);

		is_str(outcome_name(sync_decide(rows[i].how, a, h, b)), outcome_name(rows[i].want),
		       rows[i].name);
		json_decref(a);
		json_decref(h);
		json_decref(b);
	}
}

static void test_ledger_base(void)
{
	json_t *steps = J(
		"[{\"op\":\"createPerson\",\"body\":{\"firstName\":\"Kim\",\"status\":\"newHire\","
		"\"personalPhoneNumber\":\"+44 1\",\"locationId\":\"loc_lon\","
		"\"jobRole\":{\"jobTitle\":\"Engineer\",\"reportingTo\":\"p_mgr\","
		"\"effectiveDate\":\"2026-03-02\"}}},"
		" {\"op\":\"createCompensation\",\"body\":{\"personId\":\"$personId\","
		"\"compensationTypeId\":\"ct\",\"amount\":\"85000\",\"currency\":\"GBP\","
		"\"period\":\"annual\",\"effectiveDate\":\"2026-03-02\"}},"
		" {\"op\":\"uploadFile\",\"sha256\":\"aaa\"},"
		" {\"op\":\"createDocument\",\"body\":{\"fileId\":\"$fileId\"}},"
		" {\"op\":\"createCustomValue\",\"body\":{\"customFieldId\":\"cf_1\",\"value\":"
		"\"M\"}},"
		" {\"op\":\"updatePerson\",\"body\":{\"personalPhoneNumber\":\"+44 2\"}},"
		" {\"op\":\"updateJobRole\",\"body\":{\"jobTitle\":\"Senior Engineer\"}},"
		" {\"op\":\"updateCustomValue\",\"customFieldId\":\"cf_1\",\"body\":{\"value\":"
		"\"L\"}},"
		" {\"op\":\"updateCompensation\",\"body\":{\"amount\":\"90000\"}}]");
	json_t *base = ledger_base_of_steps(steps), *want;

	want = J("{\"person\":{\"firstName\":\"Kim\",\"personalPhoneNumber\":\"+44 2\","
		 "\"locationId\":\"loc_lon\"},"
		 "\"jobRole\":{\"jobTitle\":\"Senior Engineer\",\"reportingTo\":\"p_mgr\"},"
		 "\"salary\":{\"amount\":\"90000\",\"currency\":\"GBP\",\"period\":\"annual\","
		 "\"effectiveDate\":\"2026-03-02\"},"
		 "\"letter\":\"aaa\",\"customValues\":{\"cf_1\":\"L\"}}");
	ok(json_equal(base, want),
	   "ledger base: person without status and jobRole, the role without effectiveDate, "
	   "PATCHes merged, the letter's SHA-256 at its document, custom values by field id");
	json_decref(base);
	json_decref(want);
	json_decref(steps);

	/* An upload whose document was never filed does not move the letter. */
	steps = J("[{\"op\":\"uploadFile\",\"sha256\":\"bbb\"}]");
	base = ledger_base_of_steps(steps);
	ok(json_object_get(base, "letter") == NULL, "ledger base: an upload alone is not a letter");
	json_decref(base);
	json_decref(steps);
}

int main(void)
{
	test_rows();
	test_ledger_base();
	return tap_done();
}
