/* apply: the stale check (apply-int.h), the plan's Humaans basis read again and compared. */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/jsonutil.h"
#include "base/xalloc.h"
#include "stages/apply/apply-int.h"
#include "stages/hstate.h"
#include "store/ledger.h"
#include "store/records.h"

/* ---------------------------------------------------------- stale check */

/*
 * The first operation whose string `key` equals `value` (new reference), or
 * NULL; reads the operations again from the start (messages only: on a read
 * error there is simply none).
 */
static json_t *op_with(struct rec_reader *ops, const char *key, const char *value, bool icase)
{
	struct err e = ERR_INIT;
	json_t *op = NULL;

	if (!value || rec_reader_rewind(ops, &e) < 0)
		return NULL;
	while (rec_reader_next(ops, &op, NULL, &e) == 1) {
		const char *v = json_get_str(op, key);

		if (v && (icase ? strcasecmp(v, value) : strcmp(v, value)) == 0)
			return op;
		json_decref(op);
		op = NULL;
	}
	return NULL;
}

/* The person id a basis key concerns ("people/<id>", "<res>?personId=<id>"), or NULL. */
static const char *key_person(const char *key, char *buf, size_t n)
{
	const char *q = strstr(key, "?personId=");

	if (q)
		return snprintf(buf, n, "%s", q + strlen("?personId=")), buf;
	if (strncmp(key, "people/", 7) == 0)
		return snprintf(buf, n, "%s", key + 7), buf;
	return NULL;
}

static int stale(struct rec_reader *ops, const char *key, const char *pid, bool gone, struct err *e)
{
	json_t *op = pid ? op_with(ops, "personId", pid, false) : NULL;
	const char *what = gone ? "no longer exists" : "changed since the plan was made";
	int rc;

	if (op)
		rc = err_set(e, ERR_STALE,
			     "plan is stale: Humaans %s of application %s <%s> (person %s) %s; run "
			     "'plan' again, review it, then apply",
			     key, json_get_str(op, "id"),
			     json_get_str(op, "personalEmail") ? json_get_str(op, "personalEmail")
							       : "",
			     pid, what);
	else if (pid && strncmp(key, "people/", 7) == 0)
		rc = err_set(e, ERR_STALE,
			     "plan is stale: Humaans person %s %s; run 'plan' again, review it, "
			     "then apply",
			     pid, what);
	else
		rc = err_set(
			e, ERR_STALE,
			"plan is stale: Humaans %s %s; run 'plan' again, review it, then apply",
			key, what);
	json_decref(op);
	return rc;
}

/* `s` with ASCII letters lowered (strcasecmp's notion of case), into a new string. */
static char *email_key(const char *s)
{
	char *k = xstrdup(s), *p;

	for (p = k; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return k;
}

/*
 * The people of /people whose personal email a planned create has, seen as
 * the pages arrive (hstate_keep: nothing of them is kept): `wanted` holds the
 * lowered emails, `person_of` gets lowered email -> the id of the last person
 * with it, as a scan of people in order finds it.
 */
struct absent_scan {
	json_t *wanted, *person_of;
};

static json_t *absent_person(void *ctx, const json_t *person)
{
	struct absent_scan *as = ctx;
	const char *pe = json_get_str(person, "personalEmail"), *id = json_get_str(person, "id");
	char *k;

	if (!pe || !json_object_size(as->wanted))
		return NULL;
	k = email_key(pe);
	if (json_object_get(as->wanted, k))
		json_object_set_new(as->person_of, k, id ? json_string(id) : json_null());
	free(k);
	return NULL;
}

static void absent_scan_init(struct absent_scan *as, const json_t *absent)
{
	const json_t *v;
	size_t i;

	as->wanted = json_object();
	as->person_of = json_object();
	json_array_foreach (absent, i, v) {
		char *k;

		if (!json_is_string(v))
			continue;
		k = email_key(json_string_value(v));
		json_object_set_new(as->wanted, k, json_true());
		free(k);
	}
}

static void absent_scan_release(struct absent_scan *as)
{
	json_decref(as->wanted);
	json_decref(as->person_of);
}

/*
 * The planned creates whose personal email a Humaans person now has
 * (`person_of`, from absent_person): each must be explained by this plan (the
 * person it created for that hire, or a create the journal says was
 * interrupted), else the plan is stale. People and operations are matched
 * through maps of lowered emails, one pass over each: a scan of the
 * operations per email would be quadratic.
 */
static int check_absent_emails(struct applier *ax, const json_t *absent, const json_t *person_of,
			       struct err *e)
{
	json_t *app_of = json_object();
	json_t *op = NULL, *en = NULL;
	const json_t *v;
	size_t i;
	int rc = 0;

	if (json_object_size(person_of) == 0)
		goto out;
	/* The first operation with the email. */
	if ((rc = rec_reader_rewind(ax->ops, e)) < 0)
		goto out;
	while ((rc = rec_reader_next(ax->ops, &op, NULL, e)) == 1) {
		const char *pe = json_get_str(op, "personalEmail"), *app = json_get_str(op, "id");
		char *k = pe ? email_key(pe) : NULL;

		if (k && json_object_get(person_of, k) && !json_object_get(app_of, k))
			json_object_set_new(app_of, k, app ? json_string(app) : json_null());
		free(k);
		json_decref(op);
		op = NULL;
	}
	if (rc < 0)
		goto out;
	json_array_foreach (absent, i, v) {
		const char *email = json_string_value(v), *app, *person;
		bool found;
		char key[512], *k;

		if (!email)
			continue;
		k = email_key(email);
		found = json_object_get(person_of, k) != NULL;
		person = json_string_value(json_object_get(person_of, k));
		app = json_string_value(json_object_get(app_of, k));
		free(k);
		if (!found)
			continue;
		if (app && person) {
			if ((rc = ledger_get(ax->ledger, app, &en, e)) < 0)
				goto out;
			snprintf(key, sizeof(key), "%s#0", app);
			if (en && apply_entry_of_plan(en, ax->prid) &&
			    json_get_str(en, "personId") &&
			    strcmp(json_get_str(en, "personId"), person) == 0)
				goto ours;
			if (!json_get_str(en, "personId") && json_object_get(ax->pending, key))
				goto ours;
			/* Created and journalled, killed before the ledger heard of it. */
			if (!json_get_str(en, "personId") &&
			    json_is_string(json_object_get(ax->done, key)) &&
			    strcmp(json_string_value(json_object_get(ax->done, key)), person) == 0)
				goto ours;
		}
		rc = err_set(e, ERR_STALE,
			     "plan is stale: application %s <%s> was planned as a new hire, but "
			     "Humaans person %s now has that personal email; run 'plan' again",
			     app ? app : "?", email, person ? person : "(null)");
		goto out;
	ours:
		json_decref(en);
		en = NULL;
	}
out:
	json_decref(op);
	json_decref(en);
	json_decref(app_of);
	return rc;
}

/*
 * Re-read what the plan relied on and compare. Hires this plan already
 * touched (ledger or journal) are exempt: their records changed because of
 * this very plan.
 */
int apply_check_basis(struct applier *ax, struct http_client *hc, const json_t *basis,
		      const json_t *touched, struct err *e)
{
	const json_t *keys = json_get_obj(basis, "humaans"), *v;
	json_t *exempt_pid = json_object(), *empty = json_object(), *op = NULL, *en = NULL;
	struct hstate_keep keep = { absent_person, NULL, NULL };
	struct absent_scan as;
	struct hstate hs;
	const char *k;
	int rc;

	memset(&hs, 0, sizeof(hs));
	absent_scan_init(&as, json_get_arr(basis, "absentEmails"));
	keep.ctx = &as;
	if ((rc = rec_reader_rewind(ax->ops, e)) < 0)
		goto out;
	while ((rc = rec_reader_next(ax->ops, &op, NULL, e)) == 1) {
		const char *app = json_get_str(op, "id");

		if (app && (rc = ledger_get(ax->ledger, app, &en, e)) < 0)
			goto out;
		if (app && (json_object_get(touched, app) || apply_entry_of_plan(en, ax->prid))) {
			if (json_get_str(en, "personId"))
				json_object_set_new(exempt_pid, json_get_str(en, "personId"),
						    json_true());
			if (json_get_str(op, "personId"))
				json_object_set_new(exempt_pid, json_get_str(op, "personId"),
						    json_true());
		}
		json_decref(en);
		en = NULL;
		json_decref(op);
		op = NULL;
	}
	if (rc < 0)
		goto out;
	/* Fingerprints made as the pages arrive: no person is held (hstate.h). */
	rc = hstate_read_basis(hc, keys ? keys : empty, &keep, &hs, e);
	if (rc < 0)
		goto out;
	json_object_foreach ((json_t *)(keys ? keys : empty), k, v) {
		char pidbuf[256], sha[65];
		const char *pid = key_person(k, pidbuf, sizeof(pidbuf));

		if (pid && json_object_get(exempt_pid, pid))
			continue;
		rc = hstate_fingerprint(&hs, k, sha, e);
		if (rc == ERR_NOTFOUND) {
			rc = stale(ax->ops, k, pid, true, e);
			goto out;
		}
		if (rc < 0)
			goto out;
		if (!json_is_string(v) || strcmp(json_string_value(v), sha) != 0) {
			rc = stale(ax->ops, k, pid, false, e);
			goto out;
		}
	}
	rc = check_absent_emails(ax, json_get_arr(basis, "absentEmails"), as.person_of, e);
out:
	json_decref(op);
	json_decref(en);
	hstate_release(&hs);
	absent_scan_release(&as);
	json_decref(exempt_pid);
	json_decref(empty);
	return rc;
}
