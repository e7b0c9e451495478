/* Unit tests of money.c: amounts compared as decimals. */
#include "config.h"

#include <jansson.h>

#include "base/money.h"
#include "tap.h"

static void eq(const char *a, const char *b, bool want, const char *what)
{
	json_t *x = json_loads(a, JSON_DECODE_ANY, NULL), *y = json_loads(b, JSON_DECODE_ANY, NULL);

	ok(money_equal(x, y) == want, "%s", what);
	ok(money_equal(y, x) == want, "%s (the other way round)", what);
	json_decref(x);
	json_decref(y);
}

int main(void)
{
	eq("\"85000\"", "\"85000.00\"", true, "85000 equals 85000.00");
	eq("\"85000\"", "85000", true, "a string equals the same integer");
	eq("\"85000\"", "\"85000.5\"", false, "85000 differs from 85000.5");
	eq("\"85000.50\"", "\"85000.5\"", true, "trailing fractional zeros do not count");
	eq("\"085000\"", "\"85000\"", true, "leading zeros do not count");
	eq("\"+85000\"", "\"85000\"", true, "a plus sign does not count");
	eq("\"-5\"", "-5", true, "a negative string equals the negative integer");
	eq("\"-5\"", "\"5\"", false, "the sign counts");
	eq("\"100\"", "\"10\"", false, "zeros before the point count");
	eq("\"85000\"", "85000.0", false, "a real is never money");
	eq("\"85k\"", "\"85k\"", false, "a non-number equals nothing, not even itself");
	eq("\"\"", "\"\"", false, "an empty string is not an amount");
	eq("null", "null", false, "null is not an amount");
	return tap_done();
}
