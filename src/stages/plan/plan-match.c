#include "config.h"

#include "stages/plan/plan-int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/jsonutil.h"
#include "base/xalloc.h"
#include "store/ledger.h"
#include "store/snapshot.h"

/* ---------------------------------------------------------------- basis */

/* Record a basis key for the record (or set) the plan relied on. */
int plan_note(struct planner *p, const char *prefix, const char *id)
{
	char key[512], sha[65];
	int rc;

	snprintf(key, sizeof(key), "%s%s", prefix, id ? id : "");
	if (json_object_get(p->humaans, key))
		return 0;
	rc = hstate_fingerprint(p->hs, key, sha, p->e);
	if (rc < 0)
		return rc;
	if (json_object_set_new(p->humaans, key, json_string(sha)) < 0)
		return err_set(p->e, ERR_FAIL, "out of memory recording the plan basis");
	return 0;
}

/* ---------------------------------------------------------- references */

const json_t *plan_resolve_manager(struct planner *p, const json_t *hire, json_t *warnings,
				   const char *unresolved_what)
{
	const json_t *rt = json_get_obj(hire, "reportingTo");
	const char *email = json_get_str(rt, "email"), *mname = json_get_str(rt, "name");
	char *le;
	json_t *m;

	if (!rt)
		return NULL;
	if (!email || !*email) {
		plan_add_warning(warnings, "hiring manager %s has no email: %s",
				 mname ? mname : "(unnamed)", unresolved_what);
		return NULL;
	}
	le = plan_lower_dup(email);
	m = json_object_get(p->by_work, le);
	free(le);
	if (!m) {
		plan_add_warning(warnings, "hiring manager %s%s%s%s is not in Humaans: %s",
				 mname ? mname : "", mname ? " <" : "", email, mname ? ">" : "",
				 unresolved_what);
		return NULL;
	}
	if (plan_note(p, "people/", json_get_str(m, "id")) < 0)
		return NULL;
	return m;
}

const json_t *plan_resolve_location(struct planner *p, const json_t *hire, json_t *warnings)
{
	const json_t *loc = json_get_obj(hire, "location");
	const char *name = json_get_str(loc, "name"), *city = json_get_str(loc, "city");
	const json_t *found = NULL, *el;
	size_t i;

	if (!loc)
		return NULL;
	json_array_foreach (p->hs->locations, i, el)
		if (name && plan_str_ieq(json_get_str(el, "label"), name)) {
			found = el;
			break;
		}
	if (!found)
		json_array_foreach (p->hs->locations, i, el)
			if (city && plan_str_ieq(json_get_str(el, "city"), city)) {
				found = el;
				break;
			}
	if (!found) {
		plan_add_warning(
			warnings,
			"location '%s'%s%s%s matches no Humaans location label or city: left out",
			name ? name : "", city ? " (city " : "", city ? city : "", city ? ")" : "");
		return NULL;
	}
	if (plan_note(p, "locations/", json_get_str(found, "id")) < 0)
		return NULL;
	return found;
}

const json_t *plan_salary_type(const json_t *types)
{
	const json_t *found = NULL, *el;
	size_t i;

	json_array_foreach (types, i, el) {
		if (!plan_str_ieq(json_get_str(el, "baseType"), HUM_SALARY_BASE_TYPE))
			continue;
		if (!found || (plan_str_ieq(json_get_str(el, "name"), HUM_SALARY_TYPE_NAME) &&
			       !plan_str_ieq(json_get_str(found, "name"), HUM_SALARY_TYPE_NAME)))
			found = el;
	}
	return found;
}

const json_t *plan_resolve_salary_type(struct planner *p, json_t *warnings)
{
	const json_t *found = plan_salary_type(p->hs->compensation_types);

	if (!found) {
		plan_add_warning(warnings,
				 "Humaans has no compensation type with baseType '%s': "
				 "salary left out",
				 HUM_SALARY_BASE_TYPE);
		return NULL;
	}
	if (plan_note(p, "compensation-types/", json_get_str(found, "id")) < 0)
		return NULL;
	return found;
}

static const json_t *resolve_named(struct planner *p, const json_t *arr, const char *res,
				   const char *name)
{
	const json_t *el;
	size_t i;

	json_array_foreach (arr, i, el)
		if (plan_str_ieq(json_get_str(el, "name"), name)) {
			char prefix[64];

			snprintf(prefix, sizeof(prefix), "%s/", res);
			if (plan_note(p, prefix, json_get_str(el, "id")) < 0)
				return NULL;
			return el;
		}
	return NULL;
}

const json_t *plan_resolve_doc_type(struct planner *p, const json_t *doc, json_t *warnings)
{
	const char *tname = json_get_str(doc, "documentType");
	const json_t *t =
		tname ? resolve_named(p, p->hs->document_types, "document-types", tname) : NULL;

	if (!t)
		plan_add_warning(warnings, "document type '%s' is not in Humaans: %s not uploaded",
				 tname ? tname : "",
				 json_get_str(doc, "name") ? json_get_str(doc, "name")
							   : "the document");
	return t;
}

const json_t *plan_resolve_custom_field(struct planner *p, const json_t *cv, json_t *warnings)
{
	const char *fname = json_get_str(cv, "field");
	const json_t *f =
		fname ? resolve_named(p, p->hs->custom_fields, "custom-fields", fname) : NULL;

	if (!f)
		plan_add_warning(warnings, "custom field '%s' is not in Humaans: left out",
				 fname ? fname : "");
	return f;
}

/*
 * A person with the hire's email whom this tool created itself: an earlier
 * apply's createPerson got no answer (the journal says so) and was never
 * settled. Not a conflict: a create whose person step is looked up (and so
 * adopted) instead of sent, the remaining steps as for any create. The person
 * is fingerprinted, not required to be absent.
 */
static int plan_adopt(struct planner *p, const json_t *hire, const char *oid, json_t **out)
{
	json_t *op = plan_op_new(hire, "create"), *first;
	size_t n;
	int rc;

	if ((rc = plan_note(p, "people/", oid)) < 0)
		goto out;
	json_object_set_new(op, "personId", json_string(oid));
	plan_review_warning(hire, json_object_get(op, "warnings"));
	if ((rc = plan_create(p, hire, op)) < 0)
		goto out;
	/* plan_create listed the email as one that must stay absent: it exists, and is ours. */
	n = json_array_size(p->absent);
	if (n)
		json_array_remove(p->absent, n - 1);
	first = json_array_get(json_object_get(op, "steps"), 0);
	json_object_set_new(first, "adopt", json_true());
	json_array_append_new(
		json_object_get(op, "warnings"),
		json_sprintf(
			"warning: Humaans person %s has this personal email and an earlier apply's "
			"create for this hire got no answer: adopting it, not creating it again",
			oid));
	*out = op;
	op = NULL;
out:
	json_decref(op);
	return rc;
}

/*
 * Plan one hire whose ledger entry is `entry` (borrowed, may be NULL): *out
 * is its operation (new reference), or NULL when Humaans already holds it as
 * it is. The basis keys the operation relies on are added to p->humaans, a
 * planned create's email to p->absent.
 */
static int plan_hire_entry(struct planner *p, const json_t *hire, const json_t *entry, json_t **out)
{
	const char *id = json_get_str(hire, "id");
	const json_t *person = json_get_obj(hire, "person");
	const char *email = json_get_str(person, "personalEmail");
	const char *lpid = json_get_str(entry, "personId");
	json_t *op;
	int rc = 0;

	*out = NULL;
	if (!id || !email)
		return err_set(p->e, ERR_INVALID, "transformed hire '%s' has no %s", id ? id : "?",
			       id ? "personal email" : "id");
	if (lpid) {
		const json_t *cur = json_object_get(p->by_id, lpid);

		if (!cur) {
			op = plan_op_new(hire, "conflict");
			json_object_set_new(op, "personId", json_string(lpid));
			json_object_set_new(op, "reason",
					    json_string("the ledger maps this hire to a Humaans "
							"person that no longer exists: "
							"nothing done; run 'delete-new-hire' with "
							"the application id to forget it"));
			plan_review_warning(hire, json_object_get(op, "warnings"));
			*out = op;
			return 0;
		}
		if ((rc = plan_note(p, "people/", lpid)) < 0)
			return rc;
		op = plan_op_new(hire, "change");
		rc = plan_change(p, hire, cur, entry, op);
		if (rc == 0 && (json_array_size(json_object_get(op, "steps")) ||
				json_array_size(json_object_get(op, "fieldConflicts")))) {
			plan_review_warning(hire, json_object_get(op, "warnings"));
			*out = op;
			op = NULL;
		}
		json_decref(op);
		return rc;
	}
	{
		char *le = plan_lower_dup(email);
		const json_t *other = json_object_get(p->by_email, le);

		free(le);
		if (other) {
			const char *oid = json_get_str(other, "id"),
				   *st = json_get_str(other, "status");
			const char *k, *owner = NULL;
			json_t *v;

			if ((rc = plan_note(p, "people/", oid)) < 0)
				return rc;
			json_object_foreach ((json_t *)p->ledger, k, v)
				if (plan_str_ieq(json_get_str(v, "personId"), oid))
					owner = k;
			if (!owner && json_is_true(json_object_get(entry, "createUncertain")))
				return plan_adopt(p, hire, oid, out);
			op = plan_op_new(hire, "conflict");
			json_object_set_new(op, "personId", json_string(oid));
			{
				char *reason = owner ? xasprintf("Humaans person %s (status %s) "
								 "has this personal email "
								 "and was created by this tool for "
								 "application %s: "
								 "nothing done",
								 oid, st ? st : "?", owner)
						     : xasprintf("Humaans person %s (status %s) "
								 "has this personal email "
								 "and was not created by this "
								 "tool: nothing done; "
								 "link or remove it in Humaans",
								 oid, st ? st : "?");

				json_object_set_new(op, "reason", json_string(reason));
				free(reason);
			}
			plan_review_warning(hire, json_object_get(op, "warnings"));
			*out = op;
			return 0;
		}
	}
	op = plan_op_new(hire, "create");
	plan_review_warning(hire, json_object_get(op, "warnings"));
	rc = plan_create(p, hire, op);
	if (rc == 0)
		*out = op;
	else
		json_decref(op);
	return rc;
}

/*
 * The ledger entry of `id` as the planner reads it: the view's (borrowed), or,
 * when the view left its base in the ledger ("baseStored"), *owned: the
 * view's entry with the base read again (caller decrefs).
 */
static int plan_entry(struct planner *p, const char *id, const json_t **entry, json_t **owned)
{
	const json_t *en = id ? json_object_get(p->ledger, id) : NULL;
	json_t *full = NULL, *copy;
	int rc;

	*entry = en;
	*owned = NULL;
	if (!p->lg || !json_is_true(json_object_get(en, "baseStored")))
		return 0;
	if ((rc = ledger_get(p->lg, id, &full, p->e)) < 0)
		return rc;
	copy = json_copy((json_t *)en);
	json_object_del(copy, "baseStored");
	json_object_del(copy, "baseName");
	if (json_get_obj(full, "base"))
		json_object_set(copy, "base", json_object_get(full, "base"));
	json_decref(full);
	*entry = *owned = copy;
	return 0;
}

/*
 * Plan one hire: *out is its operation (new reference), or NULL when Humaans
 * already holds it as it is.
 */
int plan_hire(struct planner *p, const json_t *hire, json_t **out)
{
	const json_t *entry;
	json_t *owned;
	int rc;

	*out = NULL;
	if ((rc = plan_entry(p, json_get_str(hire, "id"), &entry, &owned)) < 0)
		return rc;
	rc = plan_hire_entry(p, hire, entry, out);
	json_decref(owned);
	return rc;
}

/* `ledger` and `hs` are borrowed and must outlive the planner; release with planner_release(). */
void planner_init(struct planner *p, const json_t *ledger, const struct hstate *hs,
		  const char *today, struct err *e)
{
	json_t *empty = json_array();

	memset(p, 0, sizeof(*p));
	p->hs = hs;
	p->ledger = json_is_object(ledger) ? json_incref((json_t *)ledger) : json_object();
	p->today = today;
	p->e = e;
	p->by_id = plan_index_by(hs->people ? hs->people : empty, "id", false);
	p->by_email = plan_index_by(hs->people ? hs->people : empty, "personalEmail", true);
	p->by_work = plan_index_by(hs->people ? hs->people : empty, "email", true);
	p->humaans = json_object();
	p->absent = json_array();
	json_decref(empty);
}

void planner_release(struct planner *p)
{
	json_decref((json_t *)p->ledger);
	json_decref(p->by_id);
	json_decref(p->by_email);
	json_decref(p->by_work);
	json_decref(p->humaans);
	json_decref(p->absent);
	memset(p, 0, sizeof(*p));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The planned-create emails in sorted order, for canonical output (new array). */
static json_t *sorted_strings(const json_t *arr)
{
	size_t n = json_array_size(arr), k;
	const char **v = xcalloc(n ? n : 1, sizeof(*v));
	json_t *sorted = json_array();

	for (k = 0; k < n; k++)
		v[k] = json_string_value(json_array_get(arr, k));
	qsort(v, n, sizeof(*v), cmp_str);
	for (k = 0; k < n; k++)
		json_array_append_new(sorted, json_string(v[k]));
	free(v);
	return sorted;
}

/* The basis the planner gathered: {"humaans", "absentEmails"} (new object). */
json_t *planner_basis(const struct planner *p)
{
	json_t *basis = json_object();

	json_object_set(basis, "humaans", p->humaans);
	json_object_set_new(basis, "absentEmails", sorted_strings(p->absent));
	return basis;
}

int plan_compute(const json_t *hires, const json_t *rejects, const json_t *ledger,
		 const struct hstate *hs, const char *today, json_t **out, struct err *e)
{
	struct planner p;
	json_t *plan = NULL, *ops = json_array(), *op;
	const json_t *h;
	size_t i;
	int rc = 0;

	planner_init(&p, ledger, hs, today, e);
	err_clear(e);
	json_array_foreach (hires, i, h) {
		if (!json_is_object(h)) {
			rc = err_set(e, ERR_INVALID,
				     "transform/new_hires.json: record %zu is not an object", i);
			goto out;
		}
		if ((rc = plan_hire(&p, h, &op)) < 0)
			goto out;
		if (op && json_array_append_new(ops, op) < 0) {
			rc = err_set(e, ERR_FAIL, "out of memory planning");
			goto out;
		}
	}
	snapshot_sort_by_key(ops, "id");
	plan = json_object();
	json_object_set_new(plan, "basis", planner_basis(&p));
	json_object_set(plan, "operations", ops);
	json_object_set_new(plan, "rejects", rejects ? json_deep_copy(rejects) : json_array());
	*out = plan;
	plan = NULL;
out:
	json_decref(plan);
	json_decref(ops);
	planner_release(&p);
	return rc;
}

json_t *plan_detail_ids(const json_t *hires, const json_t *ledger, const json_t *people)
{
	json_t *ids = json_array();
	const json_t *h;
	size_t i;

	json_array_foreach (hires, i, h) {
		const char *id = json_get_str(h, "id");
		const char *pid = id ? json_get_str(json_object_get(ledger, id), "personId") : NULL;

		if (pid && json_array_find(people, "id", pid))
			json_array_append_new(ids, json_string(pid));
	}
	return ids;
}

/* Add what one hire needs read to `out`. */
void plan_needs_add(const json_t *h, struct plan_needs *out)
{
	if (json_get_obj(h, "location"))
		out->locations = true;
	if (json_get_obj(h, "salary"))
		out->compensations = true;
	if (json_array_size(json_get_arr(h, "documents")))
		out->documents = true;
	if (json_array_size(json_get_arr(h, "customValues")))
		out->custom_fields = true;
}

void plan_needs_of(const json_t *hires, struct plan_needs *out)
{
	const json_t *h;
	size_t i;

	memset(out, 0, sizeof(*out));
	json_array_foreach (hires, i, h)
		plan_needs_add(h, out);
}
