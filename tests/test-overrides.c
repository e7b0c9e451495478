/*
 * Unit tests: store/overrides, the one reader of overrides.csv (field rows
 * and acknowledgement rows, the BOM, the messages naming the line).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/buf.h"
#include "store/overrides.h"
#include "tap.h"
#include "tap-json.h"

static void test_bom(void)
{
	static const char csv[] = "\xEF\xBB\xBF"
				  "application_id,field,value\n"
				  "app_1,acknowledge,left-hired\n";
	struct overrides *ov = NULL;
	struct err e = ERR_INIT;

	ok(overrides_parse(&ov, csv, strlen(csv), "overrides.csv", &e) == 0 &&
		   overrides_acknowledged(ov, "app_1", "left-hired"),
	   "a byte order mark before the header is skipped: %s", e.msg);
	overrides_free(ov);
}

static void test_overrides(void)
{
	static const struct {
		const char *csv, *msg;
	} bad[] = {
		{ "app_1,lastName,Smith\n",
		  "overrides.csv: line 1: expected the header row 'application_id,field,value'" },
		{ "application_id,field,value\napp_1,surname,Smith\n",
		  "overrides.csv: line 2: unknown field 'surname' (expected firstName, middleName, "
		  "lastName, personalEmail, personalPhoneNumber, employmentStartDate, jobTitle, "
		  "department, reportingTo, location, salaryAmount, salaryCurrency, or "
		  "acknowledge)" },
		{ "application_id,field,value\napp_1,lastName\n",
		  "overrides.csv: line 2: expected 3 fields (application_id, field, value), got "
		  "2" },
		{ "application_id,field,value\napp_1,personalEmail,not-an-email\n",
		  "overrides.csv: line 2: personalEmail value 'not-an-email' is not an email "
		  "address" },
		{ "application_id,field,value\napp_1,employmentStartDate,2026-02-30\n",
		  "overrides.csv: line 2: employmentStartDate value '2026-02-30' is not a date "
		  "YYYY-MM-DD" },
		{ "application_id,field,value\napp_1,salaryAmount,\"85,000\"\n",
		  "overrides.csv: line 2: salaryAmount value '85,000' is not a decimal amount such "
		  "as 85000 or 85000.50" },
		{ "application_id,field,value\napp_1,salaryCurrency,gbp\n",
		  "overrides.csv: line 2: salaryCurrency value 'gbp' is not an ISO 4217 code such "
		  "as GBP" },
		{ "application_id,field,value\napp_1,lastName,\n",
		  "overrides.csv: line 2: lastName is required and cannot be cleared" },
		{ "application_id,field,value\napp_1,lastName,A\napp_1,lastName,B\n",
		  "overrides.csv: line 3: duplicate override of lastName for application 'app_1' "
		  "(also line 2)" },
		{ "application_id,field,value\n,lastName,A\n",
		  "overrides.csv: line 2: empty application_id" },
		{ "application_id,field,value\napp_1,acknowledge,left-Hired\n",
		  "overrides.csv: line 2: application 'app_1': cannot acknowledge 'left-Hired' "
		  "(expected left-hired)" },
		{ "application_id,field,value\napp_1,acknowledge,\n",
		  "overrides.csv: line 2: application 'app_1': cannot acknowledge '' (expected "
		  "left-hired)" },
		{ "application_id,field,value\napp_1,acknowledge,left-hired\n"
		  "app_1,acknowledge,left-hired\n",
		  "overrides.csv: line 3: application 'app_1' is acknowledged left-hired twice "
		  "(also line 2)" },
	};
	static const char good[] = "application_id,field,value\n"
				   "app_2,lastName,van der Berg\n"
				   "app_1,middleName,\n"
				   "app_1,salaryAmount,85000.50\n"
				   "app_3, acknowledge ,left-hired\n";
	struct overrides *ov = NULL;
	struct err e = ERR_INIT;
	struct buf b = BUF_INIT;
	json_t *apps;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err_clear(&e);
		ok(overrides_parse(&ov, bad[i].csv, strlen(bad[i].csv), "overrides.csv", &e) ==
				   ERR_INVALID &&
			   !ov,
		   "bad overrides %zu refused", i);
		is_str(e.msg, bad[i].msg, bad[i].msg);
	}
	err_clear(&e);
	ok(overrides_parse(&ov, good, strlen(good), "overrides.csv", &e) == 0,
	   "good overrides parse: %s", e.msg);
	is_int((long long)overrides_count(ov), 3,
	       "three field overrides (the acknowledgement apart)");
	ok(overrides_acknowledged(ov, "app_3", "left-hired"), "app_3 acknowledged as left Hired");
	ok(!overrides_acknowledged(ov, "app_1", "left-hired") &&
		   !overrides_acknowledged(ov, "app_3", "something") &&
		   !overrides_acknowledged(NULL, "app_3", "left-hired"),
	   "nothing else acknowledged");
	ok(overrides_names(ov, "app_1") && !overrides_names(ov, "app_3"),
	   "an acknowledgement is not a field override");
	is_str(override_field_name(overrides_at(ov, 0)->field), "lastName", "rows in file order");
	apps = J("[{\"id\":\"app_1\"}]");
	is_int((long long)overrides_describe(ov, apps, &b), 1,
	       "one override matches no application");
	is_str(b.data,
	       "  app_2 lastName: van der Berg (no such hired application: ignored)\n"
	       "  app_1 middleName: (cleared)\n"
	       "  app_1 salaryAmount: 85000.50\n",
	       "overrides described for the commit body");
	json_decref(apps);
	buf_release(&b);
	overrides_free(ov);
	ov = NULL;
	ok(overrides_parse(&ov, "", 0, "overrides.csv", &e) == 0 && overrides_count(ov) == 0,
	   "an empty overrides.csv holds nothing");
	overrides_free(ov);
}

int main(void)
{
	test_overrides();
	test_bom();
	return tap_done();
}
