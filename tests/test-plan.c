/* Unit tests of the pure planner: matching, operations, references, rendering. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/buf.h"
#include "base/jsonutil.h"
#include "stages/plan/plan-departures.h"
#include "stages/plan.h"
#include "tap.h"
#include "tap-json.h"

/* Humaans state shared by the cases. */
static const char *PEOPLE = "[{\"id\":\"p_mgr\",\"firstName\":\"Ann\",\"lastName\":\"Manager\","
			    "\"email\":\"Ann.Manager@Company.com\",\"status\":\"active\"},"
			    " {\"id\":\"p_taken\",\"firstName\":\"Tom\",\"lastName\":\"Taken\","
			    "\"personalEmail\":\"TOM@Example.com\",\"status\":\"offboarded\"},"
			    " {\"id\":\"p_known\",\"firstName\":\"Kim\",\"lastName\":\"Known\","
			    "\"personalEmail\":\"kim@example.com\",\"status\":\"newHire\","
			    "  \"employmentStartDate\":\"2026-03-02\",\"locationId\":\"loc_lon\"}]";
static const char *LOCATIONS =
	"[{\"id\":\"loc_lon\",\"label\":\"London Office\",\"city\":\"London\"},"
	" {\"id\":\"loc_ber\",\"label\":\"HQ Berlin\",\"city\":\"Berlin\"}]";
static const char *COMP_TYPES = "[{\"id\":\"ct_bonus\",\"name\":\"Bonus\",\"baseType\":\"bonus\"},"
				" {\"id\":\"ct_sal\",\"name\":\"Salary\",\"baseType\":\"salary\"}]";
static const char *DOC_TYPES = "[{\"id\":\"dt_offer\",\"name\":\"Offer letter\"}]";
static const char *CUSTOM_FIELDS =
	"[{\"id\":\"cf_shirt\",\"name\":\"T-shirt size\",\"type\":\"text\"}]";
static const char *COMPS =
	"[{\"id\":\"c_1\",\"personId\":\"p_known\",\"compensationTypeId\":\"ct_sal\",\"amount\":"
	"\"85000.00\","
	"  \"currency\":\"GBP\",\"period\":\"annual\",\"effectiveDate\":\"2026-03-02\"}]";
static const char *ROLES = "[{\"id\":\"jr_1\",\"personId\":\"p_known\",\"jobTitle\":\"Engineer\","
			   "\"department\":\"R&D\","
			   "  \"reportingTo\":\"p_mgr\",\"effectiveDate\":\"2026-03-02\"}]";
static const char *CVALUES = "[{\"id\":\"cv_1\",\"personId\":\"p_known\",\"customFieldId\":\"cf_"
			     "shirt\",\"value\":\"M\"}]";

/* What this tool wrote for Kim (the ledger entry's base): what Humaans holds. */
#define KIM_BASE                                                                                   \
	"\"base\":{\"person\":{\"firstName\":\"Kim\",\"lastName\":\"Known\","                      \
	"\"personalEmail\":\"kim@example.com\",\"employmentStartDate\":\"2026-03-02\","            \
	"\"locationId\":\"loc_lon\"},"                                                             \
	"\"jobRole\":{\"jobTitle\":\"Engineer\",\"department\":\"R&D\",\"reportingTo\":\"p_mgr\"}" \
	","                                                                                        \
	"\"salary\":{\"amount\":\"85000\",\"currency\":\"GBP\",\"period\":\"annual\","             \
	"\"effectiveDate\":\"2026-03-02\"},"                                                       \
	"\"customValues\":{\"cf_shirt\":\"M\"},\"letter\":\"abc\"}"

struct fixture {
	struct hstate hs;
};

static void fixture_init(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	f->hs.people = J(PEOPLE);
	f->hs.locations = J(LOCATIONS);
	f->hs.compensation_types = J(COMP_TYPES);
	f->hs.document_types = J(DOC_TYPES);
	f->hs.custom_fields = J(CUSTOM_FIELDS);
	f->hs.compensations = J(COMPS);
	f->hs.job_roles = J(ROLES);
	f->hs.custom_values = J(CVALUES);
}

/* A full hire record as transform writes it. */
static json_t *hire(const char *id, const char *name, const char *email, const char *last)
{
	json_t *h = J(
		"{\"person\":{\"status\":\"newHire\",\"firstName\":\"Kim\","
		"\"employmentStartDate\":\"2026-03-02\"},"
		"\"jobRole\":{\"jobTitle\":\"Engineer\",\"department\":\"R&D\"},"
		"\"reportingTo\":{\"email\":\"ann.manager@company.com\",\"name\":\"Ann Manager\"},"
		"\"location\":{\"name\":\"london office\",\"city\":\"London\"},"
		"\"salary\":{\"amount\":\"85000\",\"currency\":\"GBP\",\"period\":\"annual\","
		"\"effectiveDate\":\"2026-03-02\"},"
		"\"customValues\":[{\"field\":\"T-shirt "
		"size\",\"section\":\"basics\",\"value\":\"M\"}],"
		"\"documents\":[{\"documentType\":\"Offer letter\",\"name\":\"offer.pdf\","
		"\"path\":\"extract/files/x/"
		"offer.pdf\",\"sha256\":\"abc\",\"issueDate\":\"2026-02-01\"}]}");

	json_object_set_new(h, "id", json_string(id));
	json_object_set_new(h, "name", json_string(name));
	json_object_set_new(json_object_get(h, "person"), "personalEmail", json_string(email));
	json_object_set_new(json_object_get(h, "person"), "lastName", json_string(last));
	return h;
}

static json_t *compute(struct fixture *f, json_t *hires, json_t *ledger, struct err *e)
{
	json_t *plan = NULL;
	int rc = plan_compute(hires, NULL, ledger, &f->hs, "2026-01-15", &plan, e);

	if (rc < 0)
		diag("plan_compute: %s", e->msg);
	return plan;
}

static const json_t *op_of(const json_t *plan, const char *id)
{
	return json_array_find(json_object_get(plan, "operations"), "id", id);
}

static const json_t *step_of(const json_t *op, const char *name)
{
	return json_array_find(json_object_get(op, "steps"), "op", name);
}

static const char *change_after(const json_t *op, const char *field)
{
	return json_get_str(json_array_find(json_object_get(op, "changes"), "field", field),
			    "after");
}

static const char *change_before(const json_t *op, const char *field)
{
	return json_get_str(json_array_find(json_object_get(op, "changes"), "field", field),
			    "before");
}

static bool has_warning(const json_t *op, const char *needle)
{
	const json_t *w;
	size_t i;

	json_array_foreach (json_object_get(op, "warnings"), i, w)
		if (strstr(json_string_value(w), needle))
			return true;
	return false;
}

static void test_create(void)
{
	struct fixture f;
	struct err e = ERR_INIT;
	json_t *hires = json_array(), *plan;
	const json_t *op, *body, *st, *basis;

	fixture_init(&f);
	json_array_append_new(hires, hire("app_new", "Nia New", "Nia@Example.com", "New"));
	plan = compute(&f, hires, NULL, &e);
	ok(plan != NULL, "create: plan computed");
	op = op_of(plan, "app_new");
	is_str(json_get_str(op, "action"), "create", "unknown hire: create");
	is_int((long long)json_array_size(json_object_get(op, "steps")), 5,
	       "create: person, compensation, upload, document, custom value");
	st = json_array_get(json_object_get(op, "steps"), 0);
	is_str(json_get_str(st, "op"), "createPerson", "first step creates the person");
	is_str(json_get_str(st, "path"), "/people", "person POSTed to /people");
	body = json_object_get(st, "body");
	is_str(json_get_str(body, "status"), "newHire", "status newHire");
	is_str(json_get_str(body, "personalEmail"), "Nia@Example.com", "personal email as given");
	is_str(json_get_str(body, "locationId"), "loc_lon", "location by label ignoring case");
	is_str(json_get_str(json_object_get(body, "jobRole"), "reportingTo"), "p_mgr",
	       "reportingTo: manager by work email ignoring case");
	is_str(json_get_str(json_object_get(body, "jobRole"), "jobTitle"), "Engineer",
	       "nested job role title");
	st = step_of(op, "createCompensation");
	body = json_object_get(st, "body");
	is_str(json_get_str(body, "compensationTypeId"), "ct_sal", "salary type by baseType");
	ok(json_is_string(json_object_get(body, "amount")), "amount stays a string");
	is_str(json_get_str(body, "amount"), "85000", "amount as transformed");
	is_str(json_get_str(body, "personId"), "$personId", "compensation waits for $personId");
	st = step_of(op, "uploadFile");
	is_str(json_get_str(st, "file"), "extract/files/x/offer.pdf",
	       "upload names the staged file");
	is_str(json_get_str(st, "contentType"), "application/pdf", "upload content type");
	st = step_of(op, "createDocument");
	is_str(json_get_str(json_object_get(st, "body"), "fileId"), "$fileId",
	       "document uses $fileId");
	is_str(json_get_str(json_object_get(st, "body"), "documentTypeId"), "dt_offer",
	       "document type by name");
	st = step_of(op, "createCustomValue");
	is_str(json_get_str(json_object_get(st, "body"), "customFieldId"), "cf_shirt",
	       "custom field by name");
	is_int((long long)json_array_size(json_object_get(op, "warnings")), 0, "no warnings");
	is_str(change_after(op, "lastName"), "New", "changes list every field sent");
	is_str(change_after(op, "compensation"), "85000 GBP annual from 2026-03-02",
	       "compensation shown");
	basis = json_object_get(plan, "basis");
	ok(json_object_get(json_object_get(basis, "humaans"), "people/p_mgr") != NULL,
	   "basis fingerprints the manager");
	ok(json_object_get(json_object_get(basis, "humaans"), "locations/loc_lon") != NULL,
	   "basis fingerprints the location");
	ok(json_object_get(json_object_get(basis, "humaans"), "compensation-types/ct_sal") != NULL,
	   "basis fingerprints the compensation type");
	ok(json_object_get(json_object_get(basis, "humaans"), "document-types/dt_offer") != NULL,
	   "basis fingerprints the document type");
	ok(json_object_get(json_object_get(basis, "humaans"), "custom-fields/cf_shirt") != NULL,
	   "basis fingerprints the custom field");
	is_str(json_string_value(json_array_get(json_object_get(basis, "absentEmails"), 0)),
	       "nia@example.com", "planned-create email recorded, lower case");
	json_decref(plan);
	json_decref(hires);
	hstate_release(&f.hs);
}

static void test_conflict_and_noop(void)
{
	struct fixture f;
	struct err e = ERR_INIT;
	json_t *hires = json_array(), *plan, *ledger;
	const json_t *op;

	fixture_init(&f);
	json_array_append_new(hires, hire("app_tom", "Tom Taken", "tom@EXAMPLE.com", "Taken"));
	json_array_append_new(hires, hire("app_kim", "Kim Known", "KIM@example.com", "Known"));
	ledger = J("{\"app_kim\":{\"personId\":\"p_known\",\"documentIds\":[\"d_1\"]," KIM_BASE
		   "}}");
	plan = compute(&f, hires, ledger, &e);
	op = op_of(plan, "app_tom");
	is_str(json_get_str(op, "action"), "conflict", "found by email, not in ledger: conflict");
	is_str(json_get_str(op, "personId"), "p_taken", "conflict names the person");
	ok(json_get_str(op, "reason") &&
		   strstr(json_get_str(op, "reason"), "not created by this tool"),
	   "conflict reason stated");
	is_int((long long)json_array_size(json_object_get(op, "steps")), 0,
	       "conflict: nothing done");
	ok(op_of(plan, "app_kim") == NULL, "ledger-known and equal: no operation");
	ok(json_object_get(json_object_get(json_object_get(plan, "basis"), "humaans"),
			   "people/p_known") != NULL,
	   "matched person fingerprinted");
	ok(json_object_get(json_object_get(json_object_get(plan, "basis"), "humaans"),
			   "compensations?personId=p_known") != NULL,
	   "matched person's compensations fingerprinted as a set");
	json_decref(plan);
	json_decref(ledger);

	/* Ledger says the person is gone. */
	ledger = J("{\"app_kim\":{\"personId\":\"p_gone\"}}");
	plan = compute(&f, hires, ledger, &e);
	is_str(json_get_str(op_of(plan, "app_kim"), "action"), "conflict",
	       "ledger person missing from Humaans: conflict, not a duplicate");
	json_decref(plan);
	json_decref(ledger);
	json_decref(hires);
	hstate_release(&f.hs);
}

static void test_change(void)
{
	struct fixture f;
	struct err e = ERR_INIT;
	json_t *hires = json_array(), *plan, *ledger, *h;
	const json_t *op, *st;

	fixture_init(&f);
	h = hire("app_kim", "Kim Known", "kim@example.com", "Knowles");
	json_object_set_new(json_object_get(h, "salary"), "amount", json_string("90000"));
	json_object_set_new(json_object_get(h, "jobRole"), "jobTitle",
			    json_string("Senior Engineer"));
	json_object_set_new(json_object_get(h, "location"), "name", json_string("Elsewhere"));
	json_object_set_new(json_object_get(h, "location"), "city", json_string("BERLIN"));
	json_array_set_new(json_object_get(h, "customValues"), 0,
			   J("{\"field\":\"T-shirt size\",\"value\":\"L\"}"));
	json_array_append_new(hires, h);
	ledger = J("{\"app_kim\":{\"personId\":\"p_known\",\"documentIds\":[\"d_1\"]," KIM_BASE
		   "}}");
	plan = compute(&f, hires, ledger, &e);
	op = op_of(plan, "app_kim");
	is_str(json_get_str(op, "action"), "change", "ledger-known with changed fields: change");
	st = step_of(op, "updatePerson");
	is_str(json_get_str(st, "method"), "PATCH", "person change is a PATCH");
	is_str(json_get_str(st, "path"), "/people/p_known", "PATCH the ledger's person");
	is_int((long long)json_object_size(json_object_get(st, "body")), 2,
	       "PATCH sends only the changed fields (lastName, locationId)");
	is_str(json_get_str(json_object_get(st, "body"), "lastName"), "Knowles", "new last name");
	is_str(json_get_str(json_object_get(st, "body"), "locationId"), "loc_ber",
	       "location by city when the label does not match");
	is_str(change_before(op, "lastName"), "Known", "before shown");
	is_str(change_after(op, "lastName"), "Knowles", "after shown");
	/* Kim starts 2026-03-02, after "today": corrections replace the records. */
	st = step_of(op, "updateJobRole");
	is_str(json_get_str(st, "path"), "/job-roles/jr_1",
	       "not started: job title corrected on the current role (PATCH)");
	is_str(json_get_str(json_object_get(st, "body"), "jobTitle"), "Senior Engineer",
	       "the role correction carries the new title");
	is_int((long long)json_object_size(json_object_get(st, "body")), 1,
	       "the role correction sends only what Ashby changed");
	ok(step_of(op, "createJobRole") == NULL, "not started: no new job role");
	st = step_of(op, "updateCompensation");
	is_str(json_get_str(st, "path"), "/compensations/c_1",
	       "not started: salary corrected on the latest compensation (PATCH)");
	is_str(json_get_str(json_object_get(st, "body"), "amount"), "90000",
	       "the salary correction carries the new amount");
	ok(step_of(op, "createCompensation") == NULL, "not started: no new compensation");
	is_str(change_before(op, "compensation"), "85000.00 GBP annual from 2026-03-02",
	       "compensation before shown");
	is_str(json_get_str(json_array_find(json_object_get(op, "changes"), "field", "lastName"),
			    "base"),
	       "Known", "a change carries its base");
	st = step_of(op, "updateCustomValue");
	is_str(json_get_str(st, "path"), "/custom-values/cv_1", "custom value change is a PATCH");
	ok(step_of(op, "uploadFile") == NULL, "document already filed: not uploaded again");
	ok(step_of(op, "createPerson") == NULL, "no person created for a known hire");
	json_decref(plan);
	json_decref(ledger);
	json_decref(hires);
	hstate_release(&f.hs);
}

/* The three-way plan of a hire the tool created (plan.h: sync_decide). */
static void test_three_way(void)
{
	struct fixture f;
	struct err e = ERR_INIT;
	json_t *hires = json_array(), *plan, *ledger, *h, *fc;
	const json_t *op, *st;
	struct buf txt = BUF_INIT;
	struct plan_summary sum;

	fixture_init(&f);
	/* Humaans: HR corrected the last name to "Knowne" and the department to "Research". */
	json_object_set_new(json_array_get(f.hs.people, 2), "lastName", json_string("Knowne"));
	json_object_set_new(json_array_get(f.hs.job_roles, 0), "department",
			    json_string("Research"));
	/* Ashby: a new title (only Ashby changed), the department changed too (both changed). */
	h = hire("app_kim", "Kim Known", "kim@example.com", "Known");
	json_object_set_new(json_object_get(h, "jobRole"), "jobTitle",
			    json_string("Senior Engineer"));
	json_object_set_new(json_object_get(h, "jobRole"), "department", json_string("Platform"));
	json_object_set_new(json_array_get(json_object_get(h, "documents"), 0), "sha256",
			    json_string("def"));
	json_array_append_new(hires, h);
	ledger = J("{\"app_kim\":{\"personId\":\"p_known\",\"documentIds\":[\"d_1\"]," KIM_BASE
		   "}}");
	/* Started: today is after the start date. */
	if (plan_compute(hires, NULL, ledger, &f.hs, "2026-04-01", &plan, &e) < 0) {
		ok(0, "three-way: plan computed: %s", e.msg);
		return;
	}
	op = op_of(plan, "app_kim");
	ok(step_of(op, "updatePerson") == NULL, "HR's edit (Humaans changed, Ashby at base) kept");
	st = step_of(op, "createJobRole");
	is_str(json_get_str(json_object_get(st, "body"), "jobTitle"), "Senior Engineer",
	       "started: Ashby's new title is a new job role");
	is_str(json_get_str(json_object_get(st, "body"), "department"), "Research",
	       "the new role keeps Humaans' department (a field conflict is not written)");
	is_str(json_get_str(json_object_get(st, "body"), "effectiveDate"), "2026-04-01",
	       "the new role is effective today");
	fc = json_object_get(op, "fieldConflicts");
	is_int((long long)json_array_size(fc), 1, "one field conflict");
	is_str(json_get_str(json_array_get(fc, 0), "field"), "jobRole.department",
	       "the conflict names the field");
	is_str(json_get_str(json_array_get(fc, 0), "ashby"), "Platform", "Ashby's value");
	is_str(json_get_str(json_array_get(fc, 0), "humaans"), "Research", "Humaans' value");
	is_str(json_get_str(json_array_get(fc, 0), "base"), "R&D", "and the base");
	ok(step_of(op, "uploadFile") && step_of(op, "createDocument"),
	   "a re-signed letter (new SHA-256) is uploaded as a new document");
	ok(change_after(op, "letter") != NULL, "the letter change is listed");
	plan_count(plan, &sum);
	is_int(sum.conflicts, 1, "a field conflict counts as a conflict");
	plan_render_text(plan, false, &txt);
	ok(strstr(txt.data, "\n!   jobRole.department: changed on both sides: Ashby Platform, "
			    "Humaans Research, base R&D") != NULL,
	   "plan.txt: ! line naming the field, both values and the base");
	buf_release(&txt);
	json_decref(plan);
	json_decref(ledger);

	/* No base (a legacy entry not derived): a difference is a conflict, never a write. */
	ledger = J("{\"app_kim\":{\"personId\":\"p_known\",\"documentIds\":[\"d_1\"]}}");
	if (plan_compute(hires, NULL, ledger, &f.hs, "2026-04-01", &plan, &e) < 0) {
		ok(0, "no base: plan computed: %s", e.msg);
		return;
	}
	op = op_of(plan, "app_kim");
	ok(json_array_size(json_object_get(op, "steps")) == 0, "no base: nothing written");
	fc = json_array_find(json_object_get(op, "fieldConflicts"), "field", "lastName");
	ok(fc && json_is_null(json_object_get(fc, "base")), "no base: a conflict with base null");
	plan_render_text(plan, false, &txt);
	ok(strstr(txt.data, "! change app_kim") != NULL, "no base: the operation is a ! line");
	ok(strstr(txt.data, "base unknown") != NULL, "no base: plan.txt says the base is unknown");
	buf_release(&txt);
	json_decref(plan);
	json_decref(ledger);
	json_decref(hires);
	hstate_release(&f.hs);
}

static void test_warnings(void)
{
	struct fixture f;
	struct err e = ERR_INIT;
	json_t *hires = json_array(), *plan, *h;
	const json_t *op, *body;

	fixture_init(&f);
	h = hire("app_w", "Olivia Rose van der Berg", "olivia@example.com", "van der Berg");
	json_object_set_new(h, "review", json_string("split of 5 words: check the name"));
	json_object_set_new(json_object_get(h, "reportingTo"), "email",
			    json_string("nobody@company.com"));
	json_object_set_new(h, "location", J("{\"name\":\"Mars Base\",\"city\":\"Olympus\"}"));
	json_object_set_new(json_array_get(json_object_get(h, "documents"), 0), "documentType",
			    json_string("Contract"));
	json_object_set_new(json_array_get(json_object_get(h, "customValues"), 0), "field",
			    json_string("Shoe size"));
	json_array_append_new(hires, h);
	json_decref(f.hs.compensation_types);
	f.hs.compensation_types =
		J("[{\"id\":\"ct_b\",\"name\":\"Bonus\",\"baseType\":\"bonus\"}]");
	plan = compute(&f, hires, NULL, &e);
	op = op_of(plan, "app_w");
	body = json_object_get(step_of(op, "createPerson"), "body");
	ok(json_object_get(json_object_get(body, "jobRole"), "reportingTo") == NULL,
	   "absent manager: created without reportingTo");
	ok(has_warning(op, "created without reportingTo"), "absent manager: warning");
	ok(json_object_get(body, "locationId") == NULL, "unresolved location left out");
	ok(has_warning(op, "Mars Base"), "unresolved location: warning");
	ok(step_of(op, "createCompensation") == NULL, "no salary type: no compensation");
	ok(has_warning(op, "baseType 'salary'"), "no salary type: warning");
	ok(step_of(op, "uploadFile") == NULL && step_of(op, "createDocument") == NULL,
	   "missing document type: no document step");
	ok(has_warning(op, "document type 'Contract'"), "missing document type: warning");
	ok(step_of(op, "createCustomValue") == NULL, "missing custom field: left out");
	ok(has_warning(op, "custom field 'Shoe size'"), "missing custom field: warning");
	ok(has_warning(op, "split of 5 words"), "name-split review flag: warning");
	json_decref(plan);
	json_decref(hires);
	hstate_release(&f.hs);
}

static bool has_line(const char *text, const char *prefix, const char *needle)
{
	const char *p = text;

	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char *line = strndup(p, n);
		bool hit = strncmp(line, prefix, strlen(prefix)) == 0 &&
			   (!needle || strstr(line, needle));

		free(line);
		if (hit)
			return true;
		p = nl ? nl + 1 : NULL;
	}
	return false;
}

static void test_render(void)
{
	struct fixture f;
	struct err e = ERR_INIT;
	json_t *hires = json_array(), *plan, *ledger, *rejects, *h;
	struct buf txt = BUF_INIT, csv = BUF_INIT, col = BUF_INIT;
	struct plan_summary sum;

	fixture_init(&f);
	h = hire("app_a", "=HYPERLINK(\"x\")", "a@example.com", "Able");
	json_object_set_new(h, "review", json_string("split of 3 words: check the name"));
	json_array_append_new(hires, h);
	h = hire("app_k", "Kim Known", "kim@example.com", "Knowles");
	json_array_append_new(hires, h);
	json_array_append_new(hires, hire("app_t", "Tom Taken", "tom@example.com", "Taken"));
	ledger = J("{\"app_k\":{\"personId\":\"p_known\",\"documentIds\":[\"d_1\"]," KIM_BASE "}}");
	rejects = J("[{\"id\":\"app_r\",\"candidate\":\"Rex Single\",\"fields\":\"lastName\","
		    "\"reason\":\"one-word name has no last name\"}]");
	if (plan_compute(hires, rejects, ledger, &f.hs, "2026-01-15", &plan, &e) < 0) {
		ok(0, "render: plan computed: %s", e.msg);
		return;
	}
	plan_render_text(plan, false, &txt);
	plan_render_csv(plan, &csv);
	plan_render_text(plan, true, &col);
	ok(has_line(txt.data, "+ ", "app_a") && has_line(txt.data, "+ ", "a@example.com"),
	   "plan.txt: + line with application id and email");
	ok(has_line(txt.data, "~ ", "app_k") && has_line(txt.data, "~ ", "Kim Known"),
	   "plan.txt: ~ line with application id and name");
	ok(has_line(txt.data, "    lastName: Known -> Knowles", NULL), "plan.txt: before -> after");
	ok(has_line(txt.data, "    lastName: Able", NULL), "plan.txt: create lists fields sent");
	ok(has_line(txt.data, "! ", "app_t") && has_line(txt.data, "    reason: ", "p_taken"),
	   "plan.txt: ! line and reason");
	ok(has_line(txt.data, "    warning: ", "split of 3 words"),
	   "plan.txt: review warning line");
	ok(has_line(txt.data, "x app_r", "one-word name"), "plan.txt: set-aside line");
	ok(has_line(txt.data, "Plan: 1 to create, 1 to change, 1 conflict, 1 set aside", NULL),
	   "plan.txt: counts line");
	ok(!strchr(txt.data, '\033'), "plan.txt has no colour codes");
	ok(strstr(col.data, "\033[32m+ ") != NULL, "coloured: green +");
	ok(strstr(col.data, "\033[33m~ ") != NULL, "coloured: yellow ~");
	ok(strstr(col.data, "\033[31m! ") != NULL, "coloured: red !");
	ok(has_line(csv.data, "application_id,name,action,field,before,after", NULL),
	   "changes.csv header");
	ok(has_line(csv.data, "app_k,Kim Known,change,lastName,Known,Knowles", NULL),
	   "changes.csv: one row per changed field");
	ok(has_line(csv.data, "app_a,\"'=HYPERLINK(\"\"x\"\")\",create,lastName,,Able", NULL) ||
		   has_line(csv.data, "app_a,'=HYPERLINK(\"\"x\"\"),create,lastName,,Able", NULL) ||
		   has_line(csv.data, "app_a,\"'=HYPERLINK(\"\"x\"\")\",create,lastName,\"\",Able",
			    NULL),
	   "changes.csv: formula neutralised");
	ok(has_line(csv.data, "app_r,Rex Single,set-aside", NULL), "changes.csv: set-aside row");
	plan_count(plan, &sum);
	is_int(sum.creates, 1, "count creates");
	is_int(sum.changes, 1, "count changes");
	is_int(sum.conflicts, 1, "count conflicts");
	is_int(sum.rejects, 1, "count rejects");
	if (!ok(has_line(csv.data, "app_a,", "create,lastName"), "changes.csv create rows"))
		diag("%s", csv.data);
	buf_release(&txt);
	buf_release(&csv);
	buf_release(&col);
	json_decref(plan);
	json_decref(ledger);
	json_decref(rejects);
	json_decref(hires);
	hstate_release(&f.hs);
}

static void test_empty(void)
{
	struct hstate hs;
	struct err e = ERR_INIT;
	json_t *hires = json_array(), *plan = NULL;
	struct buf txt = BUF_INIT;

	memset(&hs, 0, sizeof(hs));
	ok(plan_compute(hires, NULL, NULL, &hs, "2026-01-15", &plan, &e) == 0,
	   "no hires, no Humaans state: plan computed");
	plan_render_text(plan, false, &txt);
	ok(strstr(txt.data, "No changes") != NULL, "empty plan says no changes");
	ok(has_line(txt.data, "Plan: 0 to create, 0 to change, 0 conflicts, 0 set aside", NULL),
	   "empty plan counts line");
	buf_release(&txt);
	json_decref(plan);
	json_decref(hires);
}

/* Hires that left Hired: which ledger entries and departures become operations, and how they read. */
static void test_departures(void)
{
	json_t *ledger =
		J("{\"app_a\": {\"personId\": \"p_a\", \"base\": {\"person\":"
		  " {\"firstName\": \"Ada\", \"lastName\": \"Lovelace\"}}},"
		  " \"app_b\": {\"personId\": \"p_b\"},"
		  " \"app_c\": {\"personId\": \"p_c\"}, \"app_d\": {\"personId\": \"p_d\"},"
		  " \"app_e\": {\"personId\": \"p_e\"}, \"app_f\": {\"createUncertain\": true},"
		  " \"app_g\": {\"personId\": \"p_g\"}}");
	json_t *ids = J("{\"app_c\": true}"), *rejects = J("[{\"id\": \"app_d\"}]");
	json_t *tomb = J("{\"app_e\": {\"date\": \"2026-01-01\"}, \"app_y\": {}}");
	json_t *acks = J("{\"app_g\": true}");
	json_t *departed =
		J("[{\"id\": \"app_a\", \"status\": \"Archived\", \"reason\": \"left Hired\"},"
		  " {\"id\": \"app_x\", \"status\": null, \"reason\": \"application_not_found\"},"
		  " {\"id\": \"app_y\", \"status\": \"Archived\"}]");
	struct plan_departures_in in = { ledger, ids, rejects, tomb, acks, departed };
	json_t *ops = plan_departures(&in), *plan, *op;
	struct plan_summary c;
	struct buf txt = BUF_INIT, csv = BUF_INIT;
	char got[256] = "";
	size_t i;

	json_array_foreach (ops, i, op)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s:%s ",
			 json_get_str(op, "id"), json_get_str(op, "action"));
	is_str(got, "app_a:left-hired app_b:left-hired app_g:left-hired app_x:departed ",
	       "departures: the created hires gone from the hires, and one that left before "
	       "creation");
	op = json_array_get(ops, 0);
	is_str(json_get_str(op, "name"), "Ada Lovelace", "the name comes from the ledger's base");
	is_str(json_get_str(op, "command"), "ashby2humaans delete-new-hire app_a",
	       "the exact command");
	is_str(json_get_str(op, "reason"),
	       "no longer Hired in Ashby (status now Archived): left Hired; Humaans still holds "
	       "new "
	       "hire p_a: nothing was deleted",
	       "the reason names the status and the person");
	ok(json_get_str(json_array_get(ops, 1), "name") == NULL, "no base: no name, only the id");
	ok(plan_departure_attention(op) && plan_departure_attention(json_array_get(ops, 1)) &&
		   !plan_departure_attention(json_array_get(ops, 2)) &&
		   !plan_departure_attention(json_array_get(ops, 3)),
	   "the unacknowledged left-hired need attention, the others not");
	plan = json_object();
	json_object_set(plan, "operations", ops);
	plan_count(plan, &c);
	is_int(c.left_hired, 2, "two counted as left Hired");
	plan_render_text(plan, false, &txt);
	ok(has_line(txt.data, "! left-hired app_a Ada Lovelace (Humaans p_a): no longer Hired",
		    NULL),
	   "plan.txt: a '!' line");
	ok(has_line(txt.data, "    to delete it from Humaans: ashby2humaans delete-new-hire app_a",
		    NULL),
	   "plan.txt: the command line");
	ok(has_line(txt.data,
		    "* left-hired app_g (Humaans p_g): ", "acknowledged in overrides.csv"),
	   "plan.txt: an acknowledged one is informational");
	ok(has_line(txt.data,
		    "* departed app_x: left the creates: no longer visible in Ashby: "
		    "application_not_found before",
		    NULL),
	   "plan.txt: a departed line says why");
	ok(has_line(txt.data, "Left Hired: 2 created hires are no longer Hired", NULL),
	   "plan.txt: the closing count");
	plan_render_csv(plan, &csv);
	ok(strstr(csv.data, "app_a,Ada Lovelace,left-hired,command,\"\",ashby2humaans "
			    "delete-new-hire app_a\n") != NULL,
	   "changes.csv: the command row");
	buf_release(&txt);
	buf_release(&csv);
	json_decref(plan);
	json_decref(ops);
	json_decref(ledger);
	json_decref(ids);
	json_decref(rejects);
	json_decref(tomb);
	json_decref(acks);
	json_decref(departed);
}

int main(void)
{
	test_create();
	test_conflict_and_noop();
	test_change();
	test_three_way();
	test_warnings();
	test_render();
	test_empty();
	test_departures();
	return tap_done();
}
