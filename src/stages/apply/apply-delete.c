/* apply: delete-new-hire (apply.h). */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apis/humaans.h"
#include "base/jsonutil.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "stages/apply/apply-int.h"
#include "stages/run.h"
#include "store/journal.h"
#include "store/ledger.h"
#include "store/staging.h"

/* ------------------------------------------------------- delete-new-hire */

/*
 * One journaled DELETE (a begin and an end line); 404 counts as already gone
 * (outcome "gone", not an error).
 */
static int delete_one(struct run *r, struct http_client *hc, const char *app, const char *op,
		      const char *resource, const char *id, struct err *e)
{
	struct humaans_result res;
	struct journal_line l;
	char *path = humaans_path_id(resource, id);
	int rc, wrc;

	memset(&l, 0, sizeof(l));
	l.app = app;
	l.step = -1;
	l.op = op;
	l.method = "DELETE";
	l.path = path;
	l.phase = "begin";
	l.status = -1;
	if ((rc = journal_write(r->stg, r->id, "", &l, e)) < 0)
		goto out;
	humaans_result_init(&res);
	rc = humaans_call(hc, "DELETE", path, NULL, &res, e);
	l.phase = "end";
	l.status = res.status;
	l.request_id = res.request_id;
	l.ids = apply_ids_of("id", id);
	if (rc == 0 || rc == ERR_NOTFOUND) {
		l.outcome = rc == 0 ? "ok" : "gone";
	} else {
		l.outcome = "failed";
		l.error = e->msg;
		l.body = res.body;
	}
	{
		struct err je = ERR_INIT;

		wrc = journal_write(r->stg, r->id, "", &l, &je);
		if (wrc < 0 && rc >= 0) {
			rc = wrc;
			*e = je;
		}
	}
	humaans_result_release(&res);
	if (rc == ERR_NOTFOUND) {
		err_clear(e);
		rc = 0;
	} else if (rc < 0) {
		err_prefix(e, "application %s: delete %s %s", app, resource + 1, id);
	}
out:
	free(path);
	return rc;
}

int apply_delete_new_hire(struct run *r, const char *id, struct err *e)
{
	static const struct {
		const char *list, *resource, *op;
	} subs[] = {
		{ "documentIds", "/documents", "deleteDocument" },
		{ "fileIds", "/files", "deleteFile" },
		{ "compensationIds", "/compensations", "deleteCompensation" },
		{ "customValueIds", "/custom-values", "deleteCustomValue" },
	};
	struct ledger *ledger = NULL;
	json_t *person = NULL, *en = NULL, *v;
	struct http_client *hc;
	const char *status;
	char *app = NULL, *pid = NULL, *prid = NULL, *path = NULL, *subject = NULL;
	struct trailer tr[2];
	struct journal_line l;
	size_t s, i;
	bool gone = false;
	int rc;

	if ((rc = ledger_open(r->stg, &ledger, e)) < 0 || (rc = ledger_get(ledger, id, &en, e)) < 0)
		goto out;
	if (rc == 1)
		app = xstrdup(id);
	else if ((rc = ledger_find_person(ledger, id, &app, e)) < 0 ||
		 (app && (rc = ledger_get(ledger, app, &en, e)) < 0))
		goto out;
	rc = 0;
	if (!app) {
		rc = err_set(e, ERR_INVALID,
			     "refusing to delete %s: it is not in the ledger, so this tool did not "
			     "create it (delete people by hand in Humaans)",
			     id);
		goto out;
	}
	if (!json_get_str(en, "personId")) {
		rc = err_set(e, ERR_INVALID, "application %s has no Humaans person in the ledger",
			     app);
		goto out;
	}
	pid = xstrdup(json_get_str(en, "personId"));
	prid = xstrdup(json_get_str(en, "planRunId") ? json_get_str(en, "planRunId") : "");
	if ((rc = run_humaans(r, &hc, e)) < 0)
		goto out;
	path = humaans_path_id("/people", pid);
	rc = humaans_get(hc, path, &person, e);
	if (rc == ERR_NOTFOUND) {
		err_clear(e);
		rc = 0;
		gone = true;
		log_warn("application %s: Humaans person %s no longer exists: removing it from the "
			 "ledger",
			 app, pid);
	} else if (rc < 0) {
		goto out;
	} else {
		status = json_get_str(person, "status");
		if (!status || strcmp(status, "newHire") != 0) {
			rc = err_set(
				e, ERR_INVALID,
				"refusing to delete Humaans person %s (application %s): status is "
				"%s, not newHire",
				pid, app, status ? status : "unknown");
			goto out;
		}
	}
	if (!gone) {
		for (s = 0; s < sizeof(subs) / sizeof(subs[0]); s++)
			json_array_foreach (json_get_arr(en, subs[s].list), i, v) {
				if (!json_is_string(v))
					continue;
				if ((rc = delete_one(r, hc, app, subs[s].op, subs[s].resource,
						     json_string_value(v), e)) < 0)
					goto fail;
			}
		if ((rc = delete_one(r, hc, app, "deletePerson", "/people", pid, e)) < 0)
			goto fail;
	}
	/* Tell later applies of the same plan that the hire's earlier steps are gone. */
	memset(&l, 0, sizeof(l));
	l.app = app;
	l.step = -1;
	l.phase = "forget";
	l.status = -1;
	l.ids = apply_ids_of("personId", pid);
	if ((rc = journal_write(r->stg, r->id, prid, &l, e)) < 0)
		goto fail;
	ledger_del(ledger, app);
	if ((rc = ledger_write(ledger, e)) < 0)
		goto fail;
	r->counts.deleted = 1;
	tr[0] = (struct trailer){ "Application", app };
	tr[1] = (struct trailer){ "Person-Id", pid };
	subject = xasprintf("delete: new hire %s (application %s)", pid, app);
	rc = apply_commit_load(r, "delete", subject, tr, 2, e);
	if (rc == 0) {
		run_stage_done(r, "delete");
		printf("deleted new hire %s (application %s)\n", pid, app);
	}
	goto out;
fail : {
	/* Keep the journal of what was deleted before the failure. */
	struct err ce = ERR_INIT;

	subject = xasprintf("delete: new hire %s (application %s) failed", pid, app);
	tr[0] = (struct trailer){ "Application", app };
	tr[1] = (struct trailer){ "Person-Id", pid };
	if (apply_commit_load(r, "delete", subject, tr, 2, &ce) < 0)
		log_error("%s", ce.msg);
}
out:
	free(subject);
	free(path);
	free(app);
	free(pid);
	free(prid);
	json_decref(person);
	json_decref(en);
	ledger_free(ledger);
	return rc;
}
