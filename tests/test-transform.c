/*
 * Unit tests: transform conversions (dates, money, custom field types, email
 * and currency syntax), pipeline validation messages,
 * the mapping rules of transform_records on small inline extracts, and that
 * the streamed stage (transform_write over a staging repo) writes the same
 * bytes as transform_records.
 */
#include "config.h"

#include <errno.h>
#include <git2.h>
#include <stdlib.h>
#include <string.h>

#include "base/jsonutil.h"
#include "base/log.h"
#include "base/syntax.h"
#include "store/pipeline.h"
#include "store/snapshot.h"
#include "store/staging.h"
#include "tap.h"
#include "tap-json.h"
#include "stages/transform.h"
#include "base/xalloc.h"

static void test_dates(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "2026-03-02T00:00:00.000Z", "2026-03-02" },
		{ "2026-03-02", "2026-03-02" },
		{ "2026-03-01T23:30:00.000-05:00",
		  "2026-03-01" }, /* never shifted through a zone */
		{ "2024-02-29T00:00:00Z", "2024-02-29" },
		{ "2000-02-29", "2000-02-29" },
		{ "1900-02-29", NULL },
		{ "2026-02-29", NULL },
		{ "2026-13-01", NULL },
		{ "2026-04-31", NULL },
		{ "2026-00-10", NULL },
		{ "2026-3-2", NULL },
		{ "02/03/2026", NULL },
		{ "2026-03-02 10:00", NULL },
		{ "", NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[11];
		int rc = syntax_date(cases[i].in, out);

		if (cases[i].out)
			is_str(rc == 0 ? out : "(error)", cases[i].out, cases[i].in);
		else
			ok(rc == ERR_INVALID, "'%s' is not a date", cases[i].in);
	}
	ok(syntax_date(NULL, (char[11]){ 0 }) == ERR_INVALID, "NULL is not a date");
}

static void test_money(void)
{
	static const struct {
		const char *json, *out;
	} cases[] = {
		{ "85000", "85000" },
		{ "85000.5", "85000.5" },
		{ "85000.50", "85000.5" },
		{ "85000.0", "85000" },
		{ "1e6", "1000000" },
		{ "1E+6", "1000000" },
		{ "1.5e3", "1500" },
		{ "0.1", "0.1" },
		{ "0.3", "0.3" },
		{ "123456.789", "123456.789" },
		{ "2.5e-7", "0.00000025" },
		{ "0", "0" },
		{ "0.0", "0" },
		{ "-0.0", "0" },
		{ "-5", "-5" },
		{ "-1234.5", "-1234.5" },
		{ "9007199254740993", "9007199254740993" }, /* an integer beyond 2^53 stays exact */
		{ "99999999999.99", "99999999999.99" },
	};
	size_t i;
	char out[64];
	json_t *v;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char label[96];

		v = J(cases[i].json);
		snprintf(label, sizeof(label), "money %s -> \"%s\"", cases[i].json, cases[i].out);
		is_str(transform_money(v, out, sizeof(out)) == 0 ? out : "(error)", cases[i].out,
		       label);
		json_decref(v);
	}
	v = J("\"85000\"");
	ok(transform_money(v, out, sizeof(out)) == ERR_INVALID, "a string is not a JSON number");
	json_decref(v);
	v = J("null");
	ok(transform_money(v, out, sizeof(out)) == ERR_INVALID, "null is not an amount");
	json_decref(v);
	v = J("1e300");
	ok(transform_money(v, out, sizeof(out)) == ERR_INVALID,
	   "1e300 is refused, not printed with 300 digits");
	json_decref(v);
	v = J("123456789");
	ok(transform_money(v, out, 5) == ERR_INVALID,
	   "too small a buffer is an error, not truncation");
	json_decref(v);

	ok(syntax_amount_valid("85000") && syntax_amount_valid("85000.50") &&
		   syntax_amount_valid("0.5"),
	   "plain decimal amounts are valid");
	ok(!syntax_amount_valid("-5") && !syntax_amount_valid("1e6") &&
		   !syntax_amount_valid("85,000") && !syntax_amount_valid("85000.") &&
		   !syntax_amount_valid(".5") && !syntax_amount_valid(""),
	   "signs, exponents, separators and bare dots are not");
}

static void test_syntax(void)
{
	ok(syntax_email_valid("olivia@example.com"), "plain email");
	ok(syntax_email_valid("o.r+hr@mail.example.co.uk"), "dots and plus in the local part");
	ok(syntax_email_valid("zoë@exämple.com"), "UTF-8 in an email");
	ok(!syntax_email_valid("olivia"), "no @");
	ok(!syntax_email_valid("olivia@localhost"), "no dot in the domain");
	ok(!syntax_email_valid("@example.com"), "empty local part");
	ok(!syntax_email_valid("a@@example.com") && !syntax_email_valid("a@b@example.com"),
	   "two @");
	ok(!syntax_email_valid("ol ivia@example.com"), "space");
	ok(!syntax_email_valid("olivia@example..com") && !syntax_email_valid("olivia@.example.com"),
	   "empty domain label");
	ok(!syntax_email_valid("olivia@-example.com"), "label starting with '-'");
	ok(!syntax_email_valid(".olivia@example.com") && !syntax_email_valid("o..r@example.com"),
	   "leading or doubled dot");
	ok(!syntax_email_valid(NULL), "NULL");

	ok(syntax_currency_valid("GBP") && syntax_currency_valid("EUR"), "GBP, EUR");
	ok(!syntax_currency_valid("gbp") && !syntax_currency_valid("GB") &&
		   !syntax_currency_valid("GBPX") && !syntax_currency_valid("G8P") &&
		   !syntax_currency_valid("") && !syntax_currency_valid(NULL),
	   "lower case, wrong length, digits, empty are not ISO 4217 codes");
}

/* One custom conversion: returns the compact JSON of the result or "ERR:<why>" / "EMPTY". */
static char *conv(enum pipeline_type t, const char *def, const char *value, const char *label)
{
	json_t *d = def ? J(def) : NULL, *v = value ? J(value) : NULL, *l = label ? J(label) : NULL;
	json_t *out = NULL;
	char why[256], *s;
	int rc = transform_custom_value(t, d, v, l, &out, why, sizeof(why));

	if (rc == ERR_NOTFOUND)
		s = strdup("EMPTY");
	else if (rc < 0)
		s = xasprintf("ERR:%s", why);
	else
		s = json_dumps(out, JSON_ENCODE_ANY | JSON_COMPACT);
	json_decref(out);
	json_decref(d);
	json_decref(v);
	json_decref(l);
	return s;
}

#define SELECT_DEF                                                            \
	"{\"id\":\"cf\",\"fieldType\":\"ValueSelect\",\"selectableValues\":[" \
	"{\"label\":\"Medium\",\"value\":\"m\"},{\"label\":\"Large\",\"value\":\"l\"}]}"
#define MULTI_DEF                                                                  \
	"{\"id\":\"cf\",\"fieldType\":\"MultiValueSelect\",\"selectableValues\":[" \
	"{\"label\":\"Vegan\",\"value\":\"vg\"},{\"label\":\"Nut-free\",\"value\":\"nf\"}]}"

static void test_custom_types(void)
{
	static const struct {
		enum pipeline_type t;
		const char *def, *value, *label, *want;
	} cases[] = {
		{ PT_TEXT, "{\"fieldType\":\"String\"}", "\"hello\"", NULL, "\"hello\"" },
		{ PT_TEXT, "{\"fieldType\":\"Number\"}", "42.5", NULL, "\"42.5\"" },
		{ PT_TEXT, "{\"fieldType\":\"Boolean\"}", "true", NULL, "\"true\"" },
		{ PT_TEXT, "{\"fieldType\":\"Date\"}", "\"2026-05-01T00:00:00.000Z\"", NULL,
		  "\"2026-05-01\"" },
		{ PT_TEXT, SELECT_DEF, "\"m\"", NULL, "\"Medium\"" },
		{ PT_TEXT, MULTI_DEF, "[\"vg\",\"nf\"]", NULL, "\"Vegan, Nut-free\"" },
		{ PT_TEXT, "{\"fieldType\":\"Currency\"}",
		  "{\"value\":5000,\"currencyCode\":\"EUR\"}", NULL, "\"5000 EUR\"" },
		{ PT_TEXT, NULL, "{\"min\":1}", NULL,
		  "ERR:value {\"min\":1} cannot be written as text" },
		{ PT_NUMBER, "{\"fieldType\":\"Number\"}", "42", NULL, "42" },
		{ PT_NUMBER, "{\"fieldType\":\"Number\"}", "42.0", NULL, "42" },
		{ PT_NUMBER, "{\"fieldType\":\"Number\"}", "2.5", NULL, "2.5" },
		{ PT_NUMBER, "{\"fieldType\":\"Number\"}", "\"17\"", NULL, "17" },
		{ PT_NUMBER, "{\"fieldType\":\"Number\"}", "\"abc\"", NULL,
		  "ERR:value \"abc\" is not a number" },
		{ PT_NUMBER, "{\"fieldType\":\"Number\"}", "true", NULL,
		  "ERR:value true is not a number" },
		{ PT_DATE, "{\"fieldType\":\"Date\"}", "\"2026-05-01T00:00:00.000Z\"", NULL,
		  "\"2026-05-01\"" },
		{ PT_DATE, "{\"fieldType\":\"Date\"}", "\"2026-02-30\"", NULL,
		  "ERR:value \"2026-02-30\" is not a date (YYYY-MM-DD)" },
		{ PT_DATE, "{\"fieldType\":\"Date\"}", "20260501", NULL,
		  "ERR:value 20260501 is not a date (YYYY-MM-DD)" },
		{ PT_BOOLEAN, "{\"fieldType\":\"Boolean\"}", "false", NULL, "false" },
		{ PT_BOOLEAN, "{\"fieldType\":\"Boolean\"}", "\"TRUE\"", NULL, "true" },
		{ PT_BOOLEAN, "{\"fieldType\":\"Boolean\"}", "\"yes\"", NULL,
		  "ERR:value \"yes\" is not true or false" },
		{ PT_SELECT, SELECT_DEF, "\"l\"", NULL, "\"Large\"" },
		{ PT_SELECT, SELECT_DEF, "\"l\"", "\"Large (L)\"", "\"Large (L)\"" },
		{ PT_SELECT, SELECT_DEF, "\"xl\"", NULL, "\"xl\"" },
		{ PT_SELECT, SELECT_DEF, "[\"l\"]", NULL,
		  "ERR:value [\"l\"] is not a single option" },
		{ PT_MULTISELECT, MULTI_DEF, "[\"nf\",\"vg\"]", NULL, "[\"Nut-free\",\"Vegan\"]" },
		{ PT_MULTISELECT, MULTI_DEF, "\"vg\"", NULL, "[\"Vegan\"]" },
		{ PT_MULTISELECT, MULTI_DEF, "[\"vg\",\"x\"]", "[\"VEGAN\",\"Other\"]",
		  "[\"VEGAN\",\"Other\"]" },
		{ PT_MULTISELECT, MULTI_DEF, "[1,2]", NULL,
		  "ERR:value [1,2] is not a list of options" },
		{ PT_CURRENCY, "{\"fieldType\":\"Currency\"}",
		  "{\"value\":1500.5,\"currencyCode\":\"GBP\"}", NULL, "\"1500.5 GBP\"" },
		{ PT_CURRENCY, "{\"fieldType\":\"Currency\"}",
		  "{\"value\":1500,\"currencyCode\":\"pounds\"}", NULL,
		  "ERR:value {\"value\":1500,\"currencyCode\":\"pounds\"} is not an amount with an "
		  "ISO 4217 currency code" },
		{ PT_CURRENCY, "{\"fieldType\":\"Currency\"}", "1500", NULL,
		  "ERR:value 1500 is not an amount with an ISO 4217 currency code" },
		{ PT_TEXT, NULL, "null", NULL, "EMPTY" },
		{ PT_TEXT, NULL, "\"\"", NULL, "EMPTY" },
		{ PT_MULTISELECT, MULTI_DEF, "[]", NULL, "EMPTY" },
		{ PT_NUMBER, NULL, NULL, NULL, "EMPTY" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = conv(cases[i].t, cases[i].def, cases[i].value, cases[i].label);
		char label[200];

		snprintf(label, sizeof(label), "%s %s -> %s", pipeline_type_name(cases[i].t),
			 cases[i].value ? cases[i].value : "(absent)", cases[i].want);
		is_str(got, cases[i].want, label);
		free(got);
	}
	ok(transform_type_applies(PT_TEXT, "LongText") &&
		   transform_type_applies(PT_SELECT, "ValueSelect") &&
		   transform_type_applies(PT_CURRENCY, "Currency") &&
		   transform_type_applies(PT_NUMBER, NULL),
	   "types that apply");
	ok(!transform_type_applies(PT_NUMBER, "String") &&
		   !transform_type_applies(PT_DATE, "Boolean") &&
		   !transform_type_applies(PT_TEXT, "NumberRange") &&
		   !transform_type_applies(PT_SELECT, "MultiValueSelect"),
	   "types that cannot apply");
}

static void test_pipeline_default(void)
{
	struct pipeline *p = NULL;
	struct err e = ERR_INIT;
	char path[1024];
	int f;

	snprintf(path, sizeof(path), "%s/pipelines/ashby-humaans.json", ABS_TOP_SRCDIR);
	ok(pipeline_load(&p, path, &e) == 0, "the default pipeline loads: %s", e.msg);
	if (!p)
		return;
	for (f = 0; f < PF__COUNT; f++)
		ok(p->fields[f].enabled, "default maps %s", pipeline_field_name(f));
	ok(p->fields[PF_START_DATE].required && p->fields[PF_FIRST_NAME].required &&
		   p->fields[PF_LAST_NAME].required && p->fields[PF_PERSONAL_EMAIL].required &&
		   p->fields[PF_JOB_TITLE].required,
	   "start date, first and last name, email and job title are required");
	ok(!p->fields[PF_MIDDLE_NAME].required && !p->fields[PF_SALARY].required,
	   "the others are optional");
	is_str(p->salary_period, "annual", "salary period annual");
	is_str(p->hiring_manager_role, "Hiring Manager", "hiring manager role");
	ok(p->offer_letter, "offer letter on");
	is_str(p->offer_letter_type, "Offer letter", "document type 'Offer letter'");
	is_int((long long)p->ncustom, 0, "no custom fields by default");
	ok(!p->legal_name_id && !p->legal_name_title, "no legal name field by default");
	ok(!p->stop_at_start_date, "sync.stopAtStartDate off by default");
	is_int((long long)strlen(pipeline_sha256_hex(p)), 64, "sha-256 of the file bytes");
	pipeline_free(p);
	p = NULL;
	{
		static const char sync[] =
			"{\"version\": 1, \"sync\": {\"stopAtStartDate\": true}}";

		ok(pipeline_parse(&p, sync, strlen(sync), "pipeline.json", &e) == 0 && p &&
			   p->stop_at_start_date,
		   "sync.stopAtStartDate: true is read");
		pipeline_free(p);
	}
}

#define PL_HEAD "{\"version\": 1, "

static void test_pipeline_errors(void)
{
	static const struct {
		const char *json, *msg;
	} cases[] = {
		{ PL_HEAD "\"fields\": {\"firstName\": {\"enabled\": false}}}",
		  "pipeline.json: fields.firstName.enabled: firstName is required and cannot be "
		  "switched off" },
		{ PL_HEAD "\"fields\": {\"employmentStartDate\": {\"enabled\": false}}}",
		  "pipeline.json: fields.employmentStartDate.enabled: employmentStartDate is "
		  "required and cannot be switched off" },
		{ PL_HEAD "\"fields\": {\"jobTitle\": {\"required\": false}}}",
		  "pipeline.json: fields.jobTitle.required: jobTitle is required by Humaans and "
		  "cannot be made optional" },
		{ PL_HEAD "\"fields\": {\"department\": {\"enabled\": false, \"required\": true}}}",
		  "pipeline.json: fields.department: department cannot be both required and "
		  "switched off" },
		{ PL_HEAD "\"fields\": {\"nickname\": {}}}",
		  "pipeline.json: fields.nickname: unknown Humaans target 'nickname' (expected "
		  "employmentStartDate, firstName, middleName, lastName, personalEmail, "
		  "personalPhoneNumber, jobTitle, department, reportingTo, location or salary; map "
		  "other fields under customFields)" },
		{ PL_HEAD "\"fields\": {\"jobTitle\": {\"from\": \"jobPosting.title\"}}}",
		  "pipeline.json: fields.jobTitle.from: unknown Ashby source 'jobPosting.title' "
		  "(jobTitle reads 'job.title')" },
		{ PL_HEAD "\"fields\": {\"salary\": {\"period\": \"weekly\"}}}",
		  "pipeline.json: fields.salary.period: unknown period 'weekly' (expected annual, "
		  "monthly or hourly)" },
		{ PL_HEAD "\"fields\": {\"location\": {\"enabled\": \"no\"}}}",
		  "pipeline.json: fields.location.enabled: expected true or false" },
		{ PL_HEAD "\"fields\": {\"location\": {\"enabeld\": false}}}",
		  "pipeline.json: fields.location.enabeld: unknown key (expected from, enabled or "
		  "required)" },
		{ PL_HEAD "\"colour\": \"blue\"}",
		  "pipeline.json: colour: unknown key (expected version, hiringManagerRole, "
		  "legalNameField, fields, customFields, documents, sync or retention)" },
		{ PL_HEAD "\"sync\": {\"stopAtStartDate\": \"yes\"}}",
		  "pipeline.json: sync.stopAtStartDate: expected true or false" },
		{ PL_HEAD "\"sync\": {\"stopAt\": true}}",
		  "pipeline.json: sync.stopAt: unknown key (expected stopAtStartDate)" },
		{ "{\"version\": 2}", "pipeline.json: version: unsupported version (expected 1)" },
		{ "{}", "pipeline.json: version: missing (expected 1)" },
		{ "[]", "pipeline.json: expected a JSON object" },
		{ "{\"version\": 1, \"version\": 1}",
		  "pipeline.json: line 1, column 24: duplicate object key" },
		{ "{\"version\": 1,",
		  "pipeline.json: line 1, column 14: string or '}' expected near end of file" },
		{ PL_HEAD "\"hiringManagerRole\": \"\"}",
		  "pipeline.json: hiringManagerRole: expected a non-empty string" },
		{ PL_HEAD "\"customFields\": {}}",
		  "pipeline.json: customFields: expected an array" },
		{ PL_HEAD "\"customFields\": [{\"from\": {\"object\": \"Opening\", \"title\": "
			  "\"X\"}, \"to\": {\"customField\": \"X\", \"section\": \"basics\"}, "
			  "\"type\": \"text\"}]}",
		  "pipeline.json: customFields[0].from.object: unknown Ashby object 'Opening' "
		  "(expected Candidate, Application, Job or Offer)" },
		{ PL_HEAD
		  "\"customFields\": [{\"from\": {\"object\": \"Candidate\"}, \"to\": "
		  "{\"customField\": \"X\", \"section\": \"basics\"}, \"type\": \"text\"}]}",
		  "pipeline.json: customFields[0].from: name the Ashby custom field by 'title' or "
		  "'id'" },
		{ PL_HEAD "\"customFields\": [{\"from\": {\"object\": \"Candidate\", \"title\": "
			  "\"X\", \"id\": \"y\"}, \"to\": {\"customField\": \"X\", \"section\": "
			  "\"basics\"}, \"type\": \"text\"}]}",
		  "pipeline.json: customFields[0].from: give 'title' or 'id', not both" },
		{ PL_HEAD
		  "\"customFields\": [{\"from\": {\"object\": \"Candidate\", \"title\": \"X\"}, "
		  "\"to\": {\"customField\": \"X\", \"section\": \"\"}, \"type\": \"text\"}]}",
		  "pipeline.json: customFields[0].to.section: expected a non-empty string" },
		{ PL_HEAD "\"customFields\": [{\"from\": {\"object\": \"Candidate\", \"title\": "
			  "\"X\"}, \"to\": {\"personField\": \"nickname\"}, \"type\": \"text\"}]}",
		  "pipeline.json: customFields[0].to.personField: unknown Humaans target "
		  "'nickname' (expected preferredName, email, phoneNumber, remoteCity or "
		  "remoteCountryCode)" },
		{ PL_HEAD
		  "\"customFields\": [{\"from\": {\"object\": \"Candidate\", \"title\": \"X\"}, "
		  "\"to\": {\"personField\": \"preferredName\"}, \"type\": \"number\"}]}",
		  "pipeline.json: customFields[0].type: type 'number' cannot apply to person field "
		  "'preferredName' (a text field: use text, select or currency)" },
		{ PL_HEAD "\"customFields\": [{\"from\": {\"object\": \"Candidate\", \"title\": "
			  "\"X\"}, \"to\": {\"personField\": \"preferredName\", \"section\": "
			  "\"basics\"}, \"type\": \"text\"}]}",
		  "pipeline.json: customFields[0].to.section: a person field has no section" },
		{ PL_HEAD "\"customFields\": [{\"from\": {\"object\": \"Candidate\", \"title\": "
			  "\"X\"}, \"to\": {\"customField\": \"X\", \"section\": \"basics\"}, "
			  "\"type\": \"string\"}]}",
		  "pipeline.json: customFields[0].type: unknown type 'string' (expected text, "
		  "number, date, boolean, select, multiSelect or currency)" },
		{ PL_HEAD "\"customFields\": [{\"from\": {\"object\": \"Candidate\", \"title\": "
			  "\"X\"}, \"to\": {\"customField\": \"X\", \"section\": \"basics\"}}]}",
		  "pipeline.json: customFields[0].type: missing (text, number, date, boolean, "
		  "select, multiSelect or currency)" },
		{ PL_HEAD
		  "\"customFields\": [{\"from\": {\"object\": \"Candidate\", \"title\": \"X\"}, "
		  "\"to\": {\"customField\": \"T\", \"section\": \"basics\"}, \"type\": \"text\"},"
		  "{\"from\": {\"object\": \"Job\", \"title\": \"Y\"}, \"to\": {\"customField\": "
		  "\"T\", \"section\": \"employment\"}, \"type\": \"text\"}]}",
		  "pipeline.json: customFields[1].to: 'T' is already the target of "
		  "customFields[0]" },
		{ PL_HEAD "\"customFields\": [{\"from\": {\"object\": \"Candidate\", \"title\": "
			  "\"X\"}, \"to\": {\"customField\": \"T\", \"section\": \"basics\"}, "
			  "\"type\": \"text\", \"required\": 1}]}",
		  "pipeline.json: customFields[0].required: expected true or false" },
		{ PL_HEAD "\"documents\": {\"offerLetter\": {\"documentType\": \"\"}}}",
		  "pipeline.json: documents.offerLetter.documentType: expected a non-empty "
		  "string" },
		{ PL_HEAD "\"documents\": {\"contract\": {}}}",
		  "pipeline.json: documents.contract: unknown key (expected offerLetter)" },
		{ PL_HEAD "\"legalNameField\": {\"object\": \"Job\", \"title\": \"Legal name\"}}",
		  "pipeline.json: legalNameField.object: the legal name must be a Candidate custom "
		  "field" },
		{ PL_HEAD "\"legalNameField\": \"Legal name\"}",
		  "pipeline.json: legalNameField: expected an object such as {\"title\": \"Legal "
		  "name\"}" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pipeline *p = NULL;
		struct err e = ERR_INIT;
		int rc = pipeline_parse(&p, cases[i].json, strlen(cases[i].json), "pipeline.json",
					&e);

		ok(rc == ERR_INVALID && p == NULL, "invalid pipeline %zu refused", i);
		is_str(e.msg, cases[i].msg, cases[i].msg);
		pipeline_free(p);
	}
}

/* The complete example in doc/pipeline.md must be a valid pipeline. */
static void test_pipeline_doc_example(void)
{
	char path[1024], *text = NULL, *start, *end;
	struct pipeline *p = NULL;
	struct err e = ERR_INIT;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/doc/pipeline.md", ABS_TOP_SRCDIR);
	f = fopen(path, "rb");
	if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		ok(0, "read doc/pipeline.md");
		if (f)
			fclose(f);
		return;
	}
	text = calloc(1, (size_t)n + 1);
	if (fread(text, 1, (size_t)n, f) != (size_t)n)
		text[0] = '\0';
	fclose(f);
	start = strstr(text, "```json\n");
	end = start ? strstr(start + 8, "```") : NULL;
	ok(start && end, "doc/pipeline.md has a json example");
	if (start && end) {
		ok(pipeline_parse(&p, start + 8, (size_t)(end - start - 8), "pipeline.json", &e) ==
			   0,
		   "the example in doc/pipeline.md is valid: %s", e.msg);
		ok(p && p->ncustom == 3 && !p->fields[PF_LOCATION].enabled && p->legal_name_title,
		   "and says what the doc says");
	}
	pipeline_free(p);
	free(text);
}

static void test_pipeline_custom_ok(void)
{
	static const char json[] =
		PL_HEAD "\"hiringManagerRole\": \"Hiring Lead\","
			"\"legalNameField\": {\"title\": \"Legal name\"},"
			"\"fields\": {\"salary\": {\"enabled\": false}, \"department\": "
			"{\"required\": true}},"
			"\"customFields\": [{\"from\": {\"object\": \"Offer\", \"id\": \"cf_1\"},"
			" \"to\": {\"customField\": \"Bonus\", \"section\": \"compensation\"}, "
			"\"type\": \"currency\", \"required\": true},"
			"{\"from\": {\"object\": \"Candidate\", \"title\": \"Preferred\"}, \"to\": "
			"{\"personField\": \"preferredName\"}, \"type\": \"text\"}],"
			"\"documents\": {\"offerLetter\": {\"enabled\": false}}}";
	struct pipeline *p = NULL;
	struct err e = ERR_INIT;

	ok(pipeline_parse(&p, json, strlen(json), "pipeline.json", &e) == 0,
	   "a custom pipeline parses: %s", e.msg);
	if (!p)
		return;
	ok(!p->fields[PF_SALARY].enabled, "salary switched off");
	ok(p->fields[PF_DEPARTMENT].required, "department made required");
	is_str(p->hiring_manager_role, "Hiring Lead", "hiring manager role");
	is_str(p->legal_name_title, "Legal name", "legal name field");
	is_int((long long)p->ncustom, 2, "two custom fields");
	ok(p->custom[0].object == PO_OFFER && p->custom[0].type == PT_CURRENCY &&
		   p->custom[0].required && strcmp(p->custom[0].source_id, "cf_1") == 0 &&
		   strcmp(p->custom[0].section, "compensation") == 0,
	   "offer currency field to compensation");
	ok(p->custom[1].to_person && strcmp(p->custom[1].target, "preferredName") == 0 &&
		   !p->custom[1].section,
	   "candidate field to a person field");
	ok(!p->offer_letter, "offer letter off");
	pipeline_free(p);
}

/* A Humaans section is whatever Humaans defines: any name parses, and none at all. */
static void test_pipeline_sections(void)
{
	static const char json[] = PL_HEAD
		"\"customFields\": ["
		"{\"from\": {\"object\": \"Candidate\", \"title\": \"A\"}, "
		"\"to\": {\"customField\": \"A\", \"section\": \"personal\"}, \"type\": \"text\"},"
		"{\"from\": {\"object\": \"Candidate\", \"title\": \"B\"}, "
		"\"to\": {\"customField\": \"B\", \"section\": \"someCompanySection\"}, "
		"\"type\": \"text\"},"
		"{\"from\": {\"object\": \"Candidate\", \"title\": \"C\"}, "
		"\"to\": {\"customField\": \"C\"}, \"type\": \"text\"}]}";
	struct pipeline *p = NULL;
	struct err e = ERR_INIT;

	ok(pipeline_parse(&p, json, strlen(json), "pipeline.json", &e) == 0,
	   "sections are not a closed list: %s", e.msg);
	if (!p)
		return;
	ok(p->ncustom == 3 && strcmp(p->custom[0].section, "personal") == 0 &&
		   strcmp(p->custom[1].section, "someCompanySection") == 0 && !p->custom[2].section,
	   "personal, a company's own section, and none named");
	pipeline_free(p);
}

static const char base_extract[] =
	"{\"applications\": [{\"id\": \"app_1\", \"status\": \"Hired\","
	"  \"candidate\": {\"id\": \"c1\", \"name\": \"Olivia Bennett\"}, \"job\": {\"id\": "
	"\"j1\"},"
	"  \"hiringTeam\": [{\"userId\": \"u9\", \"email\": \"rec@co.com\", \"role\": "
	"\"Recruiter\"},"
	"                   {\"userId\": \"u1\", \"email\": \"ann@co.com\", \"firstName\": "
	"\"Ann\", \"lastName\": \"Manager\", \"role\": \"hiring manager\"}]},"
	"  {\"id\": \"app_0\", \"status\": \"Archived\", \"candidate\": {\"id\": \"c1\"}}],"
	" \"candidates\": [{\"id\": \"c1\", \"name\": \" Olivia\\u00a0 Bennett \","
	"  \"primaryEmailAddress\": {\"value\": \"olivia@work.com\", \"type\": \"Work\", "
	"\"isPrimary\": true},"
	"  \"emailAddresses\": [{\"value\": \"olivia@work.com\", \"type\": \"Work\"}, {\"value\": "
	"\"olivia@home.com\", \"type\": \"Personal\"}],"
	"  \"primaryPhoneNumber\": {\"value\": \"+44 20 7946 0000\", \"type\": \"Mobile\"}}],"
	" \"offers\": ["
	"  {\"id\": \"o1\", \"applicationId\": \"app_1\", \"acceptanceStatus\": \"Declined\", "
	"\"decidedAt\": \"2026-01-20T10:00:00.000Z\","
	"   \"latestVersion\": {\"startDate\": \"2026-01-01T00:00:00.000Z\"}},"
	"  {\"id\": \"o2\", \"applicationId\": \"app_1\", \"acceptanceStatus\": \"Accepted\", "
	"\"decidedAt\": \"2026-01-10T10:00:00.000Z\","
	"   \"latestVersion\": {\"startDate\": \"2026-03-02T00:00:00.000Z\", \"createdAt\": "
	"\"2026-01-08T00:00:00.000Z\","
	"                      \"salary\": {\"currencyCode\": \"GBP\", \"value\": 85000.5}}},"
	"  {\"id\": \"o3\", \"applicationId\": \"app_1\", \"acceptanceStatus\": \"Accepted\", "
	"\"decidedAt\": \"2026-01-05T10:00:00.000Z\","
	"   \"latestVersion\": {\"startDate\": \"2026-02-01T00:00:00.000Z\"}}],"
	" \"jobs\": [{\"id\": \"j1\", \"title\": \"Engineer\", \"departmentId\": \"d1\", "
	"\"locationId\": \"l1\","
	"  \"hiringTeam\": [{\"userId\": \"u2\", \"role\": \"Hiring Manager\"}]}],"
	" \"departments\": [{\"id\": \"d1\", \"name\": \"Engineering\"}],"
	" \"locations\": [{\"id\": \"l1\", \"name\": \"London Office\", \"address\": "
	"{\"postalAddress\": {\"addressLocality\": \"London\"}}}],"
	" \"users\": [{\"id\": \"u2\", \"email\": \"bob@co.com\", \"firstName\": \"Bob\", "
	"\"lastName\": \"Boss\"}],"
	" \"state\": {\"files\": {\"app_1\": {\"name\": \"offer_signed.pdf\", \"path\": "
	"\"extract/files/app_1/offer_signed.pdf\", \"sha256\": \"abc\"}}}}";

static const char default_pipeline[] = "{\"version\": 1}";

struct outcome {
	json_t *hires, *rejects;
	int rc;
	struct err e;
};

static void run_case(struct outcome *o, const char *pipeline_json, json_t *x, const char *overrides)
{
	struct pipeline *p = NULL;
	struct overrides *ov = NULL;

	memset(o, 0, sizeof(*o));
	if (pipeline_parse(&p, pipeline_json, strlen(pipeline_json), "pipeline.json", &o->e) < 0 ||
	    (overrides &&
	     overrides_parse(&ov, overrides, strlen(overrides), "overrides.csv", &o->e) < 0)) {
		o->rc = o->e.code;
		printf("# setup failed: %s\n", o->e.msg);
	} else {
		o->rc = transform_records(p, x, ov, &o->hires, &o->rejects, &o->e);
	}
	overrides_free(ov);
	pipeline_free(p);
	json_decref(x);
}

static void outcome_release(struct outcome *o)
{
	json_decref(o->hires);
	json_decref(o->rejects);
}

static const char *H(const struct outcome *o, const char *path)
{
	return json_string_value(json_get_path(json_array_get(o->hires, 0), path));
}

static const char *R(const struct outcome *o, const char *key)
{
	return json_get_str(json_array_get(o->rejects, 0), key);
}

static void test_records(void)
{
	struct outcome o;
	json_t *x;

	run_case(&o, default_pipeline, J(base_extract), NULL);
	ok(o.rc == 0, "base extract transforms: %s", o.e.msg);
	is_int((long long)json_array_size(o.hires), 1,
	       "one hire (the Archived application is skipped)");
	is_int((long long)json_array_size(o.rejects), 0, "no rejects");
	is_str(H(&o, "id"), "app_1", "keyed by application id");
	is_str(H(&o, "name"), " Olivia\xc2\xa0 Bennett ", "Ashby's name kept for messages");
	is_str(H(&o, "person.firstName"), "Olivia", "first name");
	is_str(H(&o, "person.lastName"), "Bennett", "last name");
	ok(!json_get_path(json_array_get(o.hires, 0), "person.middleName"), "no middle name");
	ok(!json_get_path(json_array_get(o.hires, 0), "review"), "a two-word name needs no review");
	is_str(H(&o, "person.status"), "newHire", "status newHire");
	is_str(H(&o, "person.personalEmail"), "olivia@home.com",
	       "Personal address preferred over a Work primary");
	is_str(H(&o, "person.personalPhoneNumber"), "+44 20 7946 0000", "phone");
	is_str(H(&o, "person.employmentStartDate"), "2026-03-02",
	       "start date of the latest accepted offer");
	is_str(H(&o, "jobRole.jobTitle"), "Engineer", "job title");
	is_str(H(&o, "jobRole.department"), "Engineering", "department by id");
	is_str(H(&o, "reportingTo.email"), "ann@co.com",
	       "hiring manager from the application, role ignoring case");
	is_str(H(&o, "reportingTo.name"), "Ann Manager", "hiring manager name");
	is_str(H(&o, "location.name"), "London Office", "location name");
	is_str(H(&o, "location.city"), "London", "location city");
	is_str(H(&o, "salary.amount"), "85000.5", "salary amount as a decimal string");
	is_str(H(&o, "salary.currency"), "GBP", "salary currency");
	is_str(H(&o, "salary.period"), "annual", "salary period");
	is_str(H(&o, "salary.effectiveDate"), "2026-03-02", "salary effective on the start date");
	ok(json_array_size(json_get_path(json_array_get(o.hires, 0), "documents")) == 1,
	   "one document");
	is_str(json_get_str(
		       json_array_get(json_get_path(json_array_get(o.hires, 0), "documents"), 0),
		       "issueDate"),
	       "2026-01-10", "offer letter issued on the offer's decision date");
	outcome_release(&o);

	/* The job's hiring manager when the application has none; the user list gives the email. */
	x = J(base_extract);
	json_array_remove(
		json_get_path(json_array_get(json_get_arr(x, "applications"), 0), "hiringTeam"), 1);
	run_case(&o, default_pipeline, x, NULL);
	is_str(H(&o, "reportingTo.email"), "bob@co.com",
	       "hiring manager from the job, email from users");
	is_str(H(&o, "reportingTo.name"), "Bob Boss", "its name from users");
	outcome_release(&o);

	/* A configured role title. */
	run_case(&o, "{\"version\": 1, \"hiringManagerRole\": \"RECRUITER\"}", J(base_extract),
		 NULL);
	is_str(H(&o, "reportingTo.email"), "rec@co.com", "hiringManagerRole picks another role");
	outcome_release(&o);

	/* No accepted offer. */
	x = J(base_extract);
	json_array_remove(json_get_arr(x, "offers"), 2);
	json_array_remove(json_get_arr(x, "offers"), 1);
	run_case(&o, default_pipeline, x, NULL);
	is_int((long long)json_array_size(o.hires), 0, "no accepted offer: not a hire");
	is_str(R(&o, "reason"), "no accepted offer: no start date", "reject reason");
	is_str(R(&o, "fields"), "employmentStartDate", "reject field");
	is_str(R(&o, "candidate"), " Olivia\xc2\xa0 Bennett ", "reject names the candidate");
	outcome_release(&o);

	/* A single-word name: set aside, unless an override supplies the last name. */
	x = J(base_extract);
	json_object_set_new(json_array_get(json_get_arr(x, "candidates"), 0), "name",
			    json_string("Cher"));
	run_case(&o, default_pipeline, json_deep_copy(x), NULL);
	is_str(R(&o, "reason"),
	       "single-word name 'Cher' has no last name: add a lastName override to overrides.csv",
	       "single-word name set aside");
	is_str(R(&o, "fields"), "lastName", "on lastName");
	outcome_release(&o);
	run_case(&o, default_pipeline, x, "application_id,field,value\napp_1,lastName,Sarkisian\n");
	is_str(H(&o, "person.lastName"), "Sarkisian", "override supplies the last name");
	outcome_release(&o);

	/* Overrides of other fields; a name override clears the review flag. */
	x = J(base_extract);
	json_object_set_new(json_array_get(json_get_arr(x, "candidates"), 0), "name",
			    json_string("Bennett Olivia Rose"));
	run_case(&o, default_pipeline, json_deep_copy(x), NULL);
	is_str(H(&o, "review"), "split of 3 words: check the name", "three words flagged");
	outcome_release(&o);
	run_case(&o, default_pipeline, x,
		 "application_id,field,value\n"
		 "app_1,firstName,Olivia\napp_1,middleName,Rose\napp_1,lastName,Bennett\n"
		 "app_1,salaryAmount,90000\napp_1,department,\napp_1,reportingTo,cto@co.com\n");
	is_str(H(&o, "person.firstName"), "Olivia", "override firstName");
	is_str(H(&o, "person.lastName"), "Bennett", "override lastName");
	ok(!json_get_path(json_array_get(o.hires, 0), "review"), "reviewed name no longer flagged");
	is_str(H(&o, "salary.amount"), "90000", "override salary amount");
	ok(!json_get_path(json_array_get(o.hires, 0), "jobRole.department"),
	   "empty override clears department");
	is_str(H(&o, "reportingTo.email"), "cto@co.com", "override manager email");
	ok(!json_get_path(json_array_get(o.hires, 0), "reportingTo.name"),
	   "the overridden manager has no Ashby name");
	outcome_release(&o);

	/* Invalid values set the hire aside, all reasons listed. */
	x = J(base_extract);
	json_object_set_new(
		json_get_path(json_array_get(json_get_arr(x, "offers"), 1), "latestVersion.salary"),
		"currencyCode", json_string("gbp"));
	json_array_clear(
		json_get_arr(json_array_get(json_get_arr(x, "candidates"), 0), "emailAddresses"));
	json_object_set_new(json_get_path(json_array_get(json_get_arr(x, "candidates"), 0),
					  "primaryEmailAddress"),
			    "value", json_string("olivia at work"));
	run_case(&o, default_pipeline, x, NULL);
	is_str(R(&o, "fields"), "personalEmail;salary", "both bad fields named");
	is_str(R(&o, "reason"),
	       "personal email 'olivia at work' is not a valid address; accepted offer 'o2' salary "
	       "currency 'gbp' is not an ISO 4217 code",
	       "both reasons given");
	outcome_release(&o);

	/* Switched-off optional fields are absent, not null. */
	run_case(&o,
		 "{\"version\": 1, \"fields\": {\"salary\": {\"enabled\": false}, \"location\": "
		 "{\"enabled\": false},"
		 " \"reportingTo\": {\"enabled\": false}, \"department\": {\"enabled\": false},"
		 " \"personalPhoneNumber\": {\"enabled\": false}}, \"documents\": "
		 "{\"offerLetter\": {\"enabled\": false}}}",
		 J(base_extract), NULL);
	{
		json_t *rec = json_array_get(o.hires, 0);

		ok(rec && !json_object_get(rec, "salary") && !json_object_get(rec, "location") &&
			   !json_object_get(rec, "reportingTo") &&
			   !json_object_get(rec, "documents") &&
			   !json_get_path(rec, "jobRole.department") &&
			   !json_get_path(rec, "person.personalPhoneNumber"),
		   "disabled parts are absent");
	}
	outcome_release(&o);

	/* A required optional field that is missing sets the hire aside. */
	x = J(base_extract);
	json_object_del(json_array_get(json_get_arr(x, "jobs"), 0), "departmentId");
	run_case(&o, "{\"version\": 1, \"fields\": {\"department\": {\"required\": true}}}", x,
		 NULL);
	is_str(R(&o, "reason"), "job 'j1' has no department", "required department missing");
	outcome_release(&o);
}

#define CF_DEFS                                                                                    \
	"[{\"id\": \"cf_size\", \"title\": \"T-shirt size\", \"objectType\": \"Candidate\", "      \
	"\"fieldType\": \"ValueSelect\","                                                          \
	"  \"selectableValues\": [{\"label\": \"Medium\", \"value\": \"m\"}]},"                    \
	" {\"id\": \"cf_legal\", \"title\": \"Legal name\", \"objectType\": \"Candidate\", "       \
	"\"fieldType\": \"String\"},"                                                              \
	" {\"id\": \"cf_bonus\", \"title\": \"Bonus\", \"objectType\": \"Offer\", \"fieldType\": " \
	"\"Number\"}]"

static void test_records_custom(void)
{
	struct outcome o;
	json_t *x, *cand;
	const json_t *cv;

	x = J(base_extract);
	json_object_set_new(x, "custom_fields", J(CF_DEFS));
	cand = json_array_get(json_get_arr(x, "candidates"), 0);
	json_object_set_new(
		cand, "customFields",
		J("[{\"id\": \"cf_size\", \"title\": \"T-shirt size\", \"value\": \"m\"},"
		  " {\"id\": \"cf_legal\", \"title\": \"Legal name\", \"value\": \"Olivia Maria "
		  "van der Berg\"}]"));
	json_object_set_new(
		json_get_path(json_array_get(json_get_arr(x, "offers"), 1), "latestVersion"),
		"customFields",
		J("[{\"id\": \"cf_bonus\", \"title\": \"Bonus\", \"value\": \"lots\"}]"));
	run_case(&o,
		 "{\"version\": 1, \"legalNameField\": {\"title\": \"Legal name\"}, "
		 "\"customFields\": ["
		 " {\"from\": {\"object\": \"Candidate\", \"title\": \"T-shirt size\"}, \"to\": "
		 "{\"customField\": \"T-shirt size\", \"section\": \"basics\"}, \"type\": "
		 "\"select\"},"
		 " {\"from\": {\"object\": \"Offer\", \"id\": \"cf_bonus\"}, \"to\": "
		 "{\"customField\": \"Bonus\", \"section\": \"compensation\"}, \"type\": "
		 "\"number\"}]}",
		 json_deep_copy(x), NULL);
	ok(o.rc == 0, "custom fields transform: %s", o.e.msg);
	is_str(H(&o, "person.firstName"), "Olivia", "legal name wins: first");
	is_str(H(&o, "person.middleName"), "Maria", "legal name wins: middle");
	is_str(H(&o, "person.lastName"), "van der Berg", "legal name wins: last");
	is_str(H(&o, "review"), "split of 5 words: check the name", "legal name split flagged");
	cv = json_get_path(json_array_get(o.hires, 0), "customValues");
	is_int((long long)json_array_size(cv), 1,
	       "one custom value (the optional bad one left out)");
	is_str(json_get_str(json_array_get(cv, 0), "value"), "Medium",
	       "select sends the option label");
	is_str(json_get_str(json_array_get(cv, 0), "section"), "basics", "section");
	is_str(json_get_str(json_array_get(cv, 0), "type"), "select", "type");
	is_str(json_string_value(
		       json_array_get(json_get_path(json_array_get(o.hires, 0), "warnings"), 0)),
	       "Offer custom field 'Bonus' left out: value \"lots\" is not a number",
	       "warning for the optional failure");
	outcome_release(&o);

	run_case(&o,
		 "{\"version\": 1, \"customFields\": ["
		 " {\"from\": {\"object\": \"Offer\", \"id\": \"cf_bonus\"}, \"to\": "
		 "{\"customField\": \"Bonus\", \"section\": \"compensation\"}, \"type\": "
		 "\"number\", \"required\": true}]}",
		 json_deep_copy(x), NULL);
	is_str(R(&o, "reason"), "Offer custom field 'Bonus': value \"lots\" is not a number",
	       "required conversion failure sets aside");
	is_str(R(&o, "fields"), "Bonus", "on the custom field");
	outcome_release(&o);

	run_case(&o,
		 "{\"version\": 1, \"customFields\": ["
		 " {\"from\": {\"object\": \"Job\", \"title\": \"T-shirt size\"}, \"to\": "
		 "{\"customField\": \"S\", \"section\": \"basics\"}, \"type\": \"text\"}]}",
		 json_deep_copy(x), NULL);
	ok(o.rc == ERR_INVALID, "an Ashby field absent from custom_fields fails the transform");
	is_str(o.e.msg,
	       "pipeline.json: customFields[0].from: no Job custom field titled 'T-shirt size' in "
	       "extract/custom_fields.json",
	       "and names the pipeline key");
	outcome_release(&o);

	run_case(&o,
		 "{\"version\": 1, \"customFields\": ["
		 " {\"from\": {\"object\": \"Candidate\", \"title\": \"T-shirt size\"}, \"to\": "
		 "{\"customField\": \"S\", \"section\": \"basics\"}, \"type\": \"date\"}]}",
		 json_deep_copy(x), NULL);
	is_str(o.e.msg,
	       "pipeline.json: customFields[0].type: type 'date' cannot apply to Ashby field "
	       "'T-shirt size' of type ValueSelect",
	       "a conversion that cannot apply fails the transform");
	outcome_release(&o);

	run_case(&o,
		 "{\"version\": 1, \"customFields\": ["
		 " {\"from\": {\"object\": \"Offer\", \"id\": \"cf_size\"}, \"to\": "
		 "{\"customField\": \"S\", \"section\": \"basics\"}, \"type\": \"text\"}]}",
		 x, NULL);
	is_str(o.e.msg,
	       "pipeline.json: customFields[0].from: Ashby custom field 'cf_size' belongs to "
	       "Candidate, not Offer",
	       "an id on the wrong object");
	outcome_release(&o);
}

static void test_determinism(void)
{
	struct outcome a, b;
	char *sa, *sb;

	run_case(&a, default_pipeline, J(base_extract), NULL);
	run_case(&b, default_pipeline, J(base_extract), NULL);
	sa = json_dumps(a.hires, JSON_SORT_KEYS | JSON_INDENT(2));
	sb = json_dumps(b.hires, JSON_SORT_KEYS | JSON_INDENT(2));
	is_str(sa, sb, "same inputs, same output");
	free(sa);
	free(sb);
	outcome_release(&a);
	outcome_release(&b);
}

/* ---- the streamed stage agrees with transform_records ---- */

static struct staging *stg;

/*
 * Put `x` into extract/ (each member as its file, written as is: an array
 * out of order stays so; an absent member leaves no file), extract/state.json
 * as `state_raw` when given.
 */
static void put_extract(const json_t *x, const char *state_raw)
{
	struct err e = ERR_INIT;
	size_t i;

	for (i = 0; transform_inputs[i]; i++) {
		char path[64];
		const json_t *v = json_object_get(x, transform_inputs[i]);

		snprintf(path, sizeof(path), "extract/%s.json", transform_inputs[i]);
		if (staging_remove(stg, path, &e) < 0 && e.code != ERR_NOTFOUND)
			diag("remove %s: %s", path, e.msg);
		err_clear(&e);
		if (strcmp(transform_inputs[i], "state") == 0 && state_raw) {
			if (staging_write(stg, path, state_raw, strlen(state_raw), &e) < 0)
				diag("write %s: %s", path, e.msg);
		} else if (v && snapshot_write_json(stg, path, v, &e) < 0) {
			diag("write %s: %s", path, e.msg);
		}
	}
}

static char *read_staged(const char *relpath)
{
	struct err e = ERR_INIT;
	struct buf b = BUF_INIT;

	if (staging_read(stg, relpath, &b, &e) < 0) {
		diag("read %s: %s", relpath, e.msg);
		buf_release(&b);
		return xstrdup("");
	}
	return buf_detach(&b, NULL);
}

/* is_str()/is_int() with the case's name before the label. */
static void same_str(const char *got, const char *want, const char *name, const char *what)
{
	char *label = xasprintf("%s: %s", name, what);

	is_str(got, want, label);
	free(label);
}

static void same_int(long long got, long long want, const char *name, const char *what)
{
	char *label = xasprintf("%s: %s", name, what);

	is_int(got, want, label);
	free(label);
}

/*
 * Run transform_records over `x` and transform_write over the same extract in
 * the staging repo; the three files, the overrides listing and the counts
 * must agree. `state_raw` (may be NULL) is state.json's text for the stage;
 * `x`'s "state" must then be its parsed value. Steals `x`.
 */
static void agree(const char *name, const char *pipeline_json, json_t *x, const char *overrides,
		  const char *state_raw)
{
	struct err e1 = ERR_INIT, e2 = ERR_INIT;
	struct pipeline *p = NULL;
	struct overrides *ov = NULL;
	struct transform_summary sum;
	struct buf want = BUF_INIT, body = BUF_INIT, wbody = BUF_INIT;
	json_t *hires = NULL, *rejects = NULL, *el;
	size_t i, hired = 0, review = 0;
	char *got;
	int rc1, rc2;

	if (pipeline_parse(&p, pipeline_json, strlen(pipeline_json), "pipeline.json", &e1) < 0 ||
	    (overrides &&
	     overrides_parse(&ov, overrides, strlen(overrides), "overrides.csv", &e1) < 0)) {
		ok(0, "%s: setup: %s", name, e1.msg);
		goto out;
	}
	put_extract(x, state_raw);
	rc1 = transform_records(p, x, ov, &hires, &rejects, &e1);
	rc2 = transform_write(stg, p, ov, &sum, &body, &e2);
	same_int(rc2, rc1, name, "the stage and transform_records give the same result");
	if (rc1 < 0 || rc2 < 0) {
		same_str(e2.msg, e1.msg, name, "and the same message");
		goto out;
	}
	snapshot_dump(hires, &want, &e1);
	got = read_staged("transform/new_hires.json");
	same_str(got, want.data, name, "new_hires.json agrees");
	free(got);
	buf_reset(&want);
	transform_hires_csv(hires, &want);
	got = read_staged("transform/new_hires.csv");
	same_str(got, want.data, name, "new_hires.csv agrees");
	free(got);
	buf_reset(&want);
	transform_rejects_csv(rejects, &want);
	got = read_staged("transform/rejects.csv");
	same_str(got, want.data, name, "rejects.csv agrees");
	free(got);

	if (overrides_count(ov)) {
		buf_adds(&wbody, "Overrides applied (overrides.csv):\n");
		same_int((long long)sum.unmatched,
			 (long long)overrides_describe(ov, json_object_get(x, "applications"),
						       &wbody),
			 name, "the same overrides match no application");
	}
	same_str(body.data, wbody.data, name, "the overrides are listed alike");
	json_array_foreach (json_object_get(x, "applications"), i, el)
		hired += transform_app_hired(el);
	json_array_foreach (hires, i, el)
		review += json_object_get(el, "review") != NULL;
	ok(sum.hired == hired && sum.hires == json_array_size(hires) &&
		   sum.rejects == json_array_size(rejects) && sum.review == review,
	   "%s: the counts agree (%zu hired, %zu hires, %zu set aside, %zu to review)", name,
	   sum.hired, sum.hires, sum.rejects, sum.review);
out:
	json_decref(hires);
	json_decref(rejects);
	json_decref(x);
	overrides_free(ov);
	pipeline_free(p);
	buf_release(&want);
	buf_release(&body);
	buf_release(&wbody);
}

static json_t *app_variant(const json_t *base, const char *id, const char *status, bool job)
{
	json_t *a = json_deep_copy(base);

	if (id)
		json_object_set_new(a, "id", json_string(id));
	else
		json_object_del(a, "id");
	if (status)
		json_object_set_new(a, "status", json_string(status));
	else
		json_object_del(a, "status");
	if (!job)
		json_object_del(a, "job");
	return a;
}

static void test_stream_agrees(void)
{
	json_t *x, *apps, *app1;

	agree("base", default_pipeline, J(base_extract), NULL, NULL);

	/* Out of id order, with the same id twice (the first stands), no id, no status. */
	x = J(base_extract);
	app1 = json_deep_copy(json_array_get(json_get_arr(x, "applications"), 0));
	apps = json_array();
	json_array_append_new(apps, app_variant(app1, "app_3", "Hired", true));
	json_array_append_new(apps, app_variant(app1, "app_1", "Hired", true));
	json_array_append_new(apps, app_variant(app1, "app_0", "Archived", true));
	json_array_append_new(apps, app_variant(app1, "app_1", "Hired", false));
	json_array_append_new(apps, app_variant(app1, NULL, "Hired", true));
	json_array_append_new(apps, app_variant(app1, "app_2", NULL, false));
	json_object_set_new(x, "applications", apps);
	agree("out of order", default_pipeline, json_deep_copy(x), NULL, NULL);

	/* The same in id order: read straight through. */
	apps = json_array();
	json_array_append_new(apps, app_variant(app1, "app_0", "Archived", true));
	json_array_append_new(apps, app_variant(app1, "app_1", "Hired", false));
	json_array_append_new(apps, app_variant(app1, "app_1", "Hired", true));
	json_array_append_new(apps, app_variant(app1, "app_2", NULL, true));
	json_array_append_new(apps, app_variant(app1, "app_3", "Hired", false));
	json_object_set_new(x, "applications", apps);
	agree("in order, an id twice", default_pipeline, json_deep_copy(x),
	      "application_id,field,value\napp_0,lastName,Archived\nnope,firstName,Y\n"
	      "app_3,jobTitle,Boss\n",
	      NULL);

	/* No candidates, offers, jobs or state: the applications' own objects stand. */
	json_object_del(x, "candidates");
	json_object_del(x, "offers");
	json_object_del(x, "jobs");
	json_object_del(x, "state");
	agree("absent files", default_pipeline, x, NULL, NULL);

	/* state.json as any JSON writer may have it: an escaped key, odd values, nested members. */
	x = J(base_extract);
	json_array_append_new(json_get_arr(x, "applications"),
			      app_variant(json_array_get(json_get_arr(x, "applications"), 0),
					  "app_2", "Hired", true));
	{
		static const char state[] =
			"{\"syncTokens\": {\"a\": \"}]\\\"[{\", \"b\": [1, {\"c\": null}]},"
			" \"files\" : {\"app\\u005f1\": {\"name\": \"o.pdf\", \"path\": "
			"\"extract/files/app_1/o.pdf\", \"sha256\": \"abc\"},\n"
			"  \"app_2\": \"not an object\", \"zz\": 12.5 }, \"more\": true}";

		json_object_set_new(x, "state", J(state));
		agree("state.json in another layout", default_pipeline, x, NULL, state);
	}

	x = J(base_extract);
	json_object_set_new(x, "applications", json_array());
	agree("no applications", default_pipeline, x, NULL, NULL);

	/* A configuration error fails both with the same message. */
	agree("a custom field that is not in custom_fields",
	      "{\"version\": 1, \"customFields\": ["
	      " {\"from\": {\"object\": \"Candidate\", \"title\": \"Nope\"}, \"to\": "
	      "{\"customField\": \"Nope\", \"section\": \"basics\"}, \"type\": \"text\"}]}",
	      J(base_extract), NULL, NULL);
	json_decref(app1);
}

static int with_staging_repo(void (*fn)(void))
{
	struct err e = ERR_INIT;
	char tmp[256], repo[300], pipeline[300], *cmd;
	bool created;
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s/a2h-transform.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmp)) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return -1;
	}
	setenv("HOME", tmp, 1);
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	git_libgit2_init();
	log_setup(LOG_QUIET, false); /* the stage logs each hire set aside */
	snprintf(pipeline, sizeof(pipeline), "%s/pipeline.json", tmp);
	snprintf(repo, sizeof(repo), "%s/stage", tmp);
	f = fopen(pipeline, "w");
	if (!f || fputs("{\"version\": 1}\n", f) < 0 || fclose(f) != 0 ||
	    staging_init(repo, pipeline, NULL, &created, &e) < 0 ||
	    staging_open(&stg, repo, &e) < 0) {
		printf("Bail out! %s\n", e.msg);
		return -1;
	}
	fn();
	staging_close(stg);
	stg = NULL;
	git_libgit2_shutdown();
	cmd = xasprintf("rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		diag("could not remove %s", tmp);
	free(cmd);
	return 0;
}

int main(void)
{
	test_dates();
	test_money();
	test_syntax();
	test_custom_types();
	test_pipeline_default();
	test_pipeline_errors();
	test_pipeline_custom_ok();
	test_pipeline_sections();
	test_pipeline_doc_example();
	test_records();
	test_records_custom();
	test_determinism();
	if (with_staging_repo(test_stream_agrees) < 0)
		return 1;
	return tap_done();
}
