#include "config.h"

#include "stages/transform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/jsonutil.h"
#include "base/syntax.h"
#include "base/namesplit.h"
#include "base/xalloc.h"
#include "stages/transform/transform-int.h"

static json_t *arr_of(const json_t *x, const char *key)
{
	json_t *a = json_get_arr(x, key);

	return a ? a : NULL;
}

/* An object indexing the records of `arr` by their string `key` (first wins). */
static json_t *index_by(const json_t *arr, const char *key)
{
	json_t *idx = json_object(), *el;
	size_t i;

	json_array_foreach (arr, i, el) {
		const char *id = json_get_str(el, key);

		if (id && !json_object_get(idx, id))
			json_object_set(idx, id, el);
	}
	return idx;
}

static json_t *group_by(const json_t *arr, const char *key)
{
	json_t *idx = json_object(), *el;
	size_t i;

	json_array_foreach (arr, i, el) {
		const char *id = json_get_str(el, key);
		json_t *g;

		if (!id)
			continue;
		g = json_object_get(idx, id);
		if (!g) {
			g = json_array();
			json_object_set_new(idx, id, g);
		}
		json_array_append(g, el);
	}
	return idx;
}

static int resolve_def(const json_t *defs, enum pipeline_object obj, const char *id,
		       const char *title, const char *path, const char *what, const json_t **out,
		       struct err *e)
{
	const char *objname = pipeline_object_name(obj);
	const json_t *found = NULL;
	json_t *el;
	size_t i, n = 0;

	*out = NULL;
	json_array_foreach (defs, i, el) {
		const char *t = json_get_str(el, "objectType");

		if (id ? !json_get_str(el, "id") || strcmp(json_get_str(el, "id"), id) != 0
		       : !json_get_str(el, "title") ||
				    strcmp(json_get_str(el, "title"), title) != 0)
			continue;
		if (id && t && strcmp(t, objname) != 0)
			return err_set(e, ERR_INVALID,
				       "%s: %s: Ashby custom field '%s' belongs to %s, not %s",
				       what, path, id, t, objname);
		if (!id && t && strcmp(t, objname) != 0)
			continue;
		if (!found)
			found = el;
		n++;
	}
	if (!found)
		return err_set(e, ERR_INVALID,
			       "%s: %s: no %s custom field %s '%s' in extract/custom_fields.json",
			       what, path, objname, id ? "with id" : "titled", id ? id : title);
	if (n > 1)
		return err_set(e, ERR_INVALID,
			       "%s: %s: %zu %s custom fields are titled '%s': name it by 'id'",
			       what, path, n, objname, title);
	*out = found;
	return 0;
}

void transform_ctx_free(struct transform_ctx *c)
{
	if (!c)
		return;
	json_decref(c->dept_idx);
	json_decref(c->loc_idx);
	json_decref(c->user_idx);
	free(c->defs);
	free(c);
}

int transform_ctx_new(struct transform_ctx **out, const struct pipeline *p, const json_t *refs,
		      const struct overrides *ov, struct err *e)
{
	const json_t *defs = arr_of(refs, "custom_fields");
	struct transform_ctx *c = xcalloc(1, sizeof(*c));
	size_t i;
	int rc = 0;

	*out = NULL;
	c->p = p;
	c->ov = ov;
	c->dept_idx = index_by(arr_of(refs, "departments"), "id");
	c->loc_idx = index_by(arr_of(refs, "locations"), "id");
	c->user_idx = index_by(arr_of(refs, "users"), "id");
	c->defs = xcalloc(p->ncustom ? p->ncustom : 1, sizeof(*c->defs));
	for (i = 0; i < p->ncustom; i++) {
		const struct pipeline_custom *pc = &p->custom[i];
		const char *ftype;
		char path[64];

		snprintf(path, sizeof(path), "customFields[%zu].from", i);
		if ((rc = resolve_def(defs, pc->object, pc->source_id, pc->source_title, path,
				      "pipeline.json", &c->defs[i], e)) < 0)
			goto out;
		ftype = json_get_str(c->defs[i], "fieldType");
		if (!transform_type_applies(pc->type, ftype)) {
			rc = err_set(e, ERR_INVALID,
				     "pipeline.json: customFields[%zu].type: type '%s' cannot "
				     "apply to Ashby field '%s' of type %s",
				     i, pipeline_type_name(pc->type),
				     json_get_str(c->defs[i], "title")
					     ? json_get_str(c->defs[i], "title")
					     : "?",
				     ftype);
			goto out;
		}
	}
	if (p->legal_name_id || p->legal_name_title)
		rc = resolve_def(defs, PO_CANDIDATE, p->legal_name_id, p->legal_name_title,
				 "legalNameField", "pipeline.json", &c->legal_def, e);
out:
	if (rc < 0)
		transform_ctx_free(c);
	else
		*out = c;
	return rc;
}

/* The accepted offer with the latest decidedAt (ties: the greater id). */
static const json_t *pick_offer(const json_t *offers)
{
	const json_t *best = NULL;
	json_t *el;
	size_t i;

	json_array_foreach (offers, i, el) {
		const char *st = json_get_str(el, "acceptanceStatus");
		const char *d, *bd;
		int cmp;

		if (!st || strcmp(st, "Accepted") != 0)
			continue;
		if (!best) {
			best = el;
			continue;
		}
		d = json_get_str(el, "decidedAt");
		bd = json_get_str(best, "decidedAt");
		cmp = strcmp(d ? d : "", bd ? bd : "");
		if (cmp == 0)
			cmp = strcmp(json_get_str(el, "id") ? json_get_str(el, "id") : "",
				     json_get_str(best, "id") ? json_get_str(best, "id") : "");
		if (cmp > 0)
			best = el;
	}
	return best;
}

/* The value entry of a custom field on a record: by the definition's id, else its title. */
static const json_t *custom_entry(const json_t *holder, const json_t *def)
{
	json_t *arr = json_get_arr(holder, "customFields");
	const json_t *v = json_array_find(arr, "id", json_get_str(def, "id"));

	return v ? v : json_array_find(arr, "title", json_get_str(def, "title"));
}

static void map_names(const struct transform_ctx *c, struct hire *h)
{
	struct name_split ns = NAME_SPLIT_INIT;
	const char *src = h->name;
	bool legal = false;

	if (c->legal_def) {
		const json_t *entry = custom_entry(h->cand, c->legal_def);
		const char *v = json_get_str(entry, "value");

		if (v && *v) {
			src = v;
			legal = true;
			h->name_nul = transform_has_nul(json_object_get(entry, "value"));
		}
	}
	h->name_src = src;
	name_split(&ns, src);
	h->words = ns.words;
	h->review = ns.review;
	hire_set(h, S_FIRST, ns.first);
	hire_set(h, S_MIDDLE, ns.middle);
	hire_set(h, S_LAST, ns.last);
	if (ns.words == 0) {
		hire_note(h, S_FIRST, "candidate has no name");
		hire_note(h, S_LAST, "candidate has no name");
	} else if (ns.words == 1) {
		hire_note(h, S_LAST,
			  "single-word %s '%s' has no last name: add a lastName override to "
			  "overrides.csv",
			  legal ? "legal name" : "name", ns.first);
	}
	name_split_release(&ns);
}

/* The string at `key` as a jansson value (borrowed), or NULL. */
static const json_t *str_at(const json_t *obj, const char *key)
{
	const json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;

	return json_is_string(v) ? v : NULL;
}

/* Set a slot from a JSON string, noting a NUL byte that the C string would hide. */
static void hire_set_json(struct hire *h, int slot, const json_t *v)
{
	hire_set_clean(h, slot, v ? json_string_value(v) : NULL);
	if (transform_has_nul(v))
		h->nul |= 1u << slot;
}

static void map_contact(struct hire *h)
{
	const json_t *pe = json_get_obj(h->cand, "primaryEmailAddress");
	const json_t *email = str_at(pe, "value");
	const char *type = json_get_str(pe, "type");
	const json_t *ph;

	if (!email || (type && strcmp(type, "Work") == 0)) {
		const json_t *personal = json_array_find(json_get_arr(h->cand, "emailAddresses"),
							 "type", "Personal");

		if (str_at(personal, "value"))
			email = str_at(personal, "value");
	}
	if (!email)
		email = str_at(json_array_get(json_get_arr(h->cand, "emailAddresses"), 0), "value");
	hire_set_json(h, S_EMAIL, email);
	if (!h->v[S_EMAIL])
		hire_note(h, S_EMAIL, "candidate has no email address");
	else if (!syntax_email_valid(h->v[S_EMAIL]))
		hire_note(h, S_EMAIL, "personal email '%s' is not a valid address", h->v[S_EMAIL]);

	ph = json_get_obj(h->cand, "primaryPhoneNumber");
	if (!json_get_str(ph, "value"))
		ph = json_array_get(json_get_arr(h->cand, "phoneNumbers"), 0);
	hire_set_json(h, S_PHONE, str_at(ph, "value"));
	if (!h->v[S_PHONE])
		hire_note(h, S_PHONE, "candidate has no phone number");
}

static void map_offer(const struct transform_ctx *c, struct hire *h)
{
	const json_t *ver = json_get_obj(h->offer, "latestVersion");
	const json_t *sal = json_get_obj(ver, "salary");
	const char *oid = json_get_str(h->offer, "id") ? json_get_str(h->offer, "id") : "?";
	const char *sd = json_get_str(ver, "startDate");
	const char *cur;
	char date[11], money[64];

	if (!h->offer) {
		hire_note(h, S_START, "no accepted offer: no start date");
		hire_note(h, S_SAL_AMOUNT, "no accepted offer: no salary");
		return;
	}
	if (!sd) {
		hire_note(h, S_START, "accepted offer '%s' has no start date", oid);
	} else if (syntax_date(sd, date) < 0) {
		hire_set(h, S_START, sd);
		hire_note(h, S_START, "accepted offer '%s' start date '%s' is not a date", oid, sd);
	} else {
		hire_set(h, S_START, date);
	}

	if (!c->p->fields[PF_SALARY].enabled)
		return;
	if (!sal) {
		hire_note(h, S_SAL_AMOUNT, "accepted offer '%s' has no salary", oid);
		return;
	}
	if (!json_object_get(sal, "value") || json_is_null(json_object_get(sal, "value"))) {
		hire_note(h, S_SAL_AMOUNT, "accepted offer '%s' salary has no value", oid);
	} else if (transform_money(json_object_get(sal, "value"), money, sizeof(money)) < 0) {
		char *r = transform_value_repr(json_object_get(sal, "value"));

		hire_set(h, S_SAL_AMOUNT, r);
		hire_note(h, S_SAL_AMOUNT, "accepted offer '%s' salary value %s is not a number",
			  oid, r);
		free(r);
	} else {
		hire_set(h, S_SAL_AMOUNT, money);
		if (money[0] == '-')
			hire_note(h, S_SAL_AMOUNT, "accepted offer '%s' salary %s is negative", oid,
				  money);
	}
	cur = json_get_str(sal, "currencyCode");
	if (!cur) {
		hire_note(h, S_SAL_CURRENCY, "accepted offer '%s' salary has no currency", oid);
	} else {
		hire_set(h, S_SAL_CURRENCY, cur);
		if (!syntax_currency_valid(cur))
			hire_note(
				h, S_SAL_CURRENCY,
				"accepted offer '%s' salary currency '%s' is not an ISO 4217 code",
				oid, cur);
	}
}

/* A hiring team entry whose role matches, from the application, else the job. */
static const json_t *find_manager(const struct transform_ctx *c, const struct hire *h)
{
	const json_t *teams[2] = { json_get_arr(h->app, "hiringTeam"),
				   json_get_arr(h->job, "hiringTeam") };
	size_t t, i;
	json_t *el;

	for (t = 0; t < 2; t++)
		json_array_foreach (teams[t], i, el) {
			const char *role = json_get_str(el, "role");

			if (role && strcasecmp(role, c->p->hiring_manager_role) == 0)
				return el;
		}
	return NULL;
}

static void map_job(const struct transform_ctx *c, struct hire *h)
{
	const char *jid = json_get_str(h->job, "id") ? json_get_str(h->job, "id") : "?";
	const char *dept_id = json_get_str(h->job, "departmentId");
	const char *loc_id = json_get_str(h->job, "locationId");
	const json_t *dept, *loc, *mgr;

	if (!h->job) {
		hire_note(h, S_TITLE, "application has no job");
		return;
	}
	hire_set_clean(h, S_TITLE, json_get_str(h->job, "title"));
	if (!h->v[S_TITLE])
		hire_note(h, S_TITLE, "job '%s' has no title", jid);

	dept = dept_id ? json_object_get(c->dept_idx, dept_id) : NULL;
	hire_set_clean(h, S_DEPT, json_get_str(dept, "name"));
	if (!h->v[S_DEPT])
		hire_note(h, S_DEPT,
			  dept_id ? "department '%s' of job '%s' is not in extract/departments.json"
				  : "job '%s' has no department%s",
			  dept_id ? dept_id : jid, dept_id ? jid : "");

	loc = loc_id ? json_object_get(c->loc_idx, loc_id) : NULL;
	hire_set_clean(h, S_LOCATION, json_get_str(loc, "name"));
	hire_set_clean(
		h, S_LOCATION_CITY,
		json_string_value(json_get_path(loc, "address.postalAddress.addressLocality")));
	if (!h->v[S_LOCATION])
		hire_note(h, S_LOCATION,
			  loc_id ? "location '%s' of job '%s' is not in extract/locations.json"
				 : "job '%s' has no location%s",
			  loc_id ? loc_id : jid, loc_id ? jid : "");

	mgr = find_manager(c, h);
	if (!mgr) {
		hire_note(h, S_REPORTING,
			  "no '%s' in the hiring team of the application or job '%s'",
			  c->p->hiring_manager_role, jid);
	} else {
		const char *uid = json_get_str(mgr, "userId");
		const json_t *user = uid ? json_object_get(c->user_idx, uid) : NULL;
		const char *email = json_get_str(mgr, "email") ? json_get_str(mgr, "email")
							       : json_get_str(user, "email");
		const char *fn = json_get_str(mgr, "firstName") ? json_get_str(mgr, "firstName")
								: json_get_str(user, "firstName");
		const char *ln = json_get_str(mgr, "lastName") ? json_get_str(mgr, "lastName")
							       : json_get_str(user, "lastName");
		char *full = xasprintf("%s%s%s", fn ? fn : "", fn && ln ? " " : "", ln ? ln : "");

		hire_set_clean(h, S_REPORTING, email);
		hire_set_clean(h, S_REPORTING_NAME, full);
		if (!h->v[S_REPORTING]) {
			hire_note(h, S_REPORTING, "the hiring manager (user '%s') has no email",
				  uid ? uid : "?");
		} else if (!syntax_email_valid(h->v[S_REPORTING])) {
			hire_note(h, S_REPORTING,
				  "the hiring manager's email '%s' is not a valid address",
				  h->v[S_REPORTING]);
		}
		free(full);
	}
}

static const json_t *custom_holder(const struct hire *h, enum pipeline_object o)
{
	switch (o) {
	case PO_CANDIDATE:
		return h->cand;
	case PO_APPLICATION:
		return h->app;
	case PO_JOB:
		return h->job;
	case PO_OFFER:
		return json_get_obj(h->offer, "latestVersion");
	}
	return NULL;
}

static void map_custom(const struct transform_ctx *c, struct hire *h)
{
	size_t i;

	for (i = 0; i < c->p->ncustom; i++) {
		const struct pipeline_custom *pc = &c->p->custom[i];
		const json_t *entry = custom_entry(custom_holder(h, pc->object), c->defs[i]);
		const char *title = json_get_str(c->defs[i], "title")
					    ? json_get_str(c->defs[i], "title")
					    : pc->target;
		const char *objname = pipeline_object_name(pc->object);
		char why[256];
		json_t *val = NULL;
		int rc;

		rc = transform_custom_value(pc->type, c->defs[i], json_object_get(entry, "value"),
					    json_object_get(entry, "valueLabel"), &val, why,
					    sizeof(why));
		if (rc == ERR_NOTFOUND) {
			if (pc->required)
				hire_reject(h, pc->target, "%s custom field '%s' has no value",
					    objname, title);
			continue;
		}
		if (rc < 0) {
			if (pc->required)
				hire_reject(h, pc->target, "%s custom field '%s': %s", objname,
					    title, why);
			else
				hire_warn(h, "%s custom field '%s' left out: %s", objname, title,
					  why);
			continue;
		}
		if (pc->to_person) {
			if (!h->person_extra)
				h->person_extra = json_object();
			json_object_set_new(h->person_extra, pc->target, val);
		} else {
			json_t *cv = json_object();

			json_object_set_new(cv, "field", json_string(pc->target));
			if (pc->section) /* as the pipeline names it: Humaans' definition rules */
				json_object_set_new(cv, "section", json_string(pc->section));
			json_object_set_new(cv, "type", json_string(pipeline_type_name(pc->type)));
			json_object_set_new(cv, "value", val);
			if (!h->custom_values)
				h->custom_values = json_array();
			json_array_append_new(h->custom_values, cv);
		}
	}
}

static void apply_overrides(const struct transform_ctx *c, struct hire *h)
{
	const struct override *o;
	size_t i;

	for (i = 0; (o = overrides_at(c->ov, i)) != NULL; i++) {
		int slot = (int)o->field; /* the slots begin with the overridable fields */

		if (strcmp(o->app_id, h->id) != 0)
			continue;
		if (!c->p->fields[transform_slot_field[slot]].enabled) {
			hire_warn(h, "override of %s ignored: %s is switched off in pipeline.json",
				  override_field_name(o->field),
				  pipeline_field_name(transform_slot_field[slot]));
			continue;
		}
		hire_set(h, slot, o->value);
		free(h->note[slot]);
		h->note[slot] = NULL;
		if (slot == S_REPORTING)
			hire_set(h, S_REPORTING_NAME, NULL);
		if (slot == S_LOCATION)
			hire_set(h, S_LOCATION_CITY, NULL);
		if (slot == S_FIRST || slot == S_MIDDLE || slot == S_LAST) {
			h->review = false; /* a person has looked at the name */
			h->name_overridden = true;
		}
	}
}

static bool on(const struct transform_ctx *c, enum pipeline_field f)
{
	return c->p->fields[f].enabled;
}

static void put(json_t *obj, const char *key, const char *value)
{
	if (value)
		json_object_set_new(obj, key, json_string(value));
}

static json_t *hire_record(const struct transform_ctx *c, struct hire *h)
{
	json_t *rec = json_object(), *person = json_object(), *role = json_object();
	const json_t *file;
	char date[11];

	put(rec, "id", h->id);
	put(rec, "candidateId", h->candidate_id);
	put(rec, "name", h->name ? h->name : "");
	if (h->review) {
		char *r = xasprintf("split of %zu words: check the name", h->words);

		put(rec, "review", r);
		free(r);
	}
	if (h->warnings)
		json_object_set(rec, "warnings", h->warnings);

	put(person, "status", "newHire");
	put(person, "firstName", h->v[S_FIRST]);
	if (on(c, PF_MIDDLE_NAME))
		put(person, "middleName", h->v[S_MIDDLE]);
	put(person, "lastName", h->v[S_LAST]);
	put(person, "personalEmail", h->v[S_EMAIL]);
	if (on(c, PF_PERSONAL_PHONE))
		put(person, "personalPhoneNumber", h->v[S_PHONE]);
	put(person, "employmentStartDate", h->v[S_START]);
	if (h->person_extra)
		json_object_update(person, h->person_extra);
	json_object_set_new(rec, "person", person);

	put(role, "jobTitle", h->v[S_TITLE]);
	if (on(c, PF_DEPARTMENT))
		put(role, "department", h->v[S_DEPT]);
	json_object_set_new(rec, "jobRole", role);

	if (on(c, PF_REPORTING_TO) && h->v[S_REPORTING]) {
		json_t *m = json_object();

		put(m, "email", h->v[S_REPORTING]);
		put(m, "name", h->v[S_REPORTING_NAME]);
		json_object_set_new(rec, "reportingTo", m);
	}
	if (on(c, PF_LOCATION) && h->v[S_LOCATION]) {
		json_t *l = json_object();

		put(l, "name", h->v[S_LOCATION]);
		put(l, "city", h->v[S_LOCATION_CITY]);
		json_object_set_new(rec, "location", l);
	}
	if (on(c, PF_SALARY) && h->v[S_SAL_AMOUNT]) {
		json_t *s = json_object();

		put(s, "amount", h->v[S_SAL_AMOUNT]);
		put(s, "currency", h->v[S_SAL_CURRENCY]);
		put(s, "period", c->p->salary_period);
		put(s, "effectiveDate", h->v[S_START]);
		json_object_set_new(rec, "salary", s);
	}
	if (h->custom_values)
		json_object_set(rec, "customValues", h->custom_values);

	file = json_is_object(h->file) ? h->file : NULL;
	if (c->p->offer_letter && json_get_str(file, "path")) {
		json_t *docs = json_array(), *d = json_object();
		const char *issued = json_get_str(h->offer, "decidedAt");

		if (!issued || syntax_date(issued, date) < 0)
			issued = json_get_str(json_get_obj(h->offer, "latestVersion"), "createdAt");
		put(d, "documentType", c->p->offer_letter_type);
		put(d, "name",
		    json_get_str(file, "name") ? json_get_str(file, "name")
					       : json_get_str(file, "path"));
		put(d, "path", json_get_str(file, "path"));
		put(d, "sha256", json_get_str(file, "sha256"));
		if (issued && syntax_date(issued, date) == 0)
			put(d, "issueDate", date);
		json_array_append_new(docs, d);
		json_object_set_new(rec, "documents", docs);
	}
	return rec;
}

bool transform_app_hired(const json_t *app)
{
	const char *st = json_get_str(app, "status");

	return !st || strcmp(st, "Hired") == 0;
}

const char *transform_app_candidate_id(const json_t *app)
{
	const char *id = json_get_str(json_get_obj(app, "candidate"), "id");

	return id ? id : json_get_str(app, "candidateId");
}

const char *transform_app_job_id(const json_t *app)
{
	const char *id = json_get_str(json_get_obj(app, "job"), "id");

	return id ? id : json_get_str(app, "jobId");
}

int transform_application(const struct transform_ctx *c, const struct transform_input *in,
			  json_t **out)
{
	const json_t *ac = json_get_obj(in->app, "candidate");
	struct hire h;
	int hired;

	memset(&h, 0, sizeof(h));
	buf_init(&h.fields, 0);
	buf_init(&h.reasons, 0);
	h.app = in->app;
	h.id = json_get_str(h.app, "id");
	h.cand = in->candidate ? in->candidate : ac;
	h.candidate_id = json_get_str(h.cand, "id") ? json_get_str(h.cand, "id")
						    : transform_app_candidate_id(h.app);
	h.name = json_get_str(h.cand, "name") ? json_get_str(h.cand, "name")
					      : json_get_str(ac, "name");
	h.name_nul = transform_has_nul(str_at(h.cand, "name") ? str_at(h.cand, "name")
							      : str_at(ac, "name"));
	h.job = in->job ? in->job : json_get_obj(h.app, "job");
	h.offer = pick_offer(in->offers);
	h.file = in->file;

	map_names(c, &h);
	map_contact(&h);
	map_offer(c, &h);
	map_job(c, &h);
	map_custom(c, &h);
	apply_overrides(c, &h);
	hire_validate(c, &h);

	hired = h.reasons.len == 0;
	if (!hired) {
		json_t *r = json_object();

		put(r, "id", h.id);
		put(r, "candidate", h.name ? h.name : "");
		put(r, "fields", h.fields.data);
		put(r, "reason", h.reasons.data);
		*out = r;
	} else {
		*out = hire_record(c, &h);
	}
	hire_release(&h);
	return hired;
}

int transform_cmp_app_ref(const void *a, const void *b)
{
	const struct app_ref *x = a, *y = b;
	int c = strcmp(x->id, y->id);

	if (c)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int transform_records(const struct pipeline *p, const json_t *extract, const struct overrides *ov,
		      json_t **new_hires, json_t **rejects, struct err *e)
{
	const json_t *apps = arr_of(extract, "applications");
	const json_t *files = json_get_obj(json_get_obj(extract, "state"), "files");
	struct app_ref *sorted = NULL;
	json_t *hires = NULL, *rej = NULL, *el;
	json_t *cand_idx = NULL, *job_idx = NULL, *offer_idx = NULL;
	struct transform_ctx *c = NULL;
	size_t i, n = 0;
	int rc;

	*new_hires = *rejects = NULL;
	if ((rc = transform_ctx_new(&c, p, extract, ov, e)) < 0)
		goto out;
	cand_idx = index_by(arr_of(extract, "candidates"), "id");
	job_idx = index_by(arr_of(extract, "jobs"), "id");
	offer_idx = group_by(arr_of(extract, "offers"), "applicationId");
	sorted = xcalloc(json_array_size(apps) + 1, sizeof(*sorted));
	json_array_foreach (apps, i, el) {
		if (json_get_str(el, "id") && transform_app_hired(el))
			sorted[n++] = (struct app_ref){ json_get_str(el, "id"), el, 0, i };
	}
	qsort(sorted, n, sizeof(*sorted), transform_cmp_app_ref);

	hires = json_array();
	rej = json_array();
	for (i = 0; i < n; i++) {
		struct transform_input in = { sorted[i].app, NULL, NULL, NULL, NULL };
		const char *id = sorted[i].id;
		json_t *rec;

		if (i > 0 && strcmp(id, sorted[i - 1].id) == 0)
			continue; /* the same application twice: the first one stands */
		if (transform_app_candidate_id(in.app))
			in.candidate =
				json_object_get(cand_idx, transform_app_candidate_id(in.app));
		if (transform_app_job_id(in.app))
			in.job = json_object_get(job_idx, transform_app_job_id(in.app));
		in.offers = json_object_get(offer_idx, id);
		in.file = json_object_get(files, id);
		if (transform_application(c, &in, &rec))
			json_array_append_new(hires, rec);
		else
			json_array_append_new(rej, rec);
	}
	*new_hires = hires;
	*rejects = rej;
	hires = rej = NULL;
out:
	json_decref(hires);
	json_decref(rej);
	json_decref(cand_idx);
	json_decref(job_idx);
	json_decref(offer_idx);
	free(sorted);
	transform_ctx_free(c);
	return rc;
}
