/* apply: finding and opening the plan commit (apply-int.h), and run's skip (apply.h). */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <git2.h>

#include "base/buf.h"
#include "base/jsonutil.h"
#include "base/xalloc.h"
#include "stages/apply/apply-int.h"
#include "stages/run.h"
#include "store/records.h"
#include "store/snapshot.h"
#include "store/staging.h"

/* ------------------------------------------------------------ the plan */

/* The value of trailer `key` of a commit into `out` ("" when absent). */
static int commit_trailer(struct staging *s, const char *oid_hex, const char *key, char *out,
			  size_t n, struct err *e)
{
	git_repository *repo = staging_git_repo(s);
	git_commit *c = NULL;
	git_oid oid;
	const char *msg, *p;
	size_t klen = strlen(key);

	if (git_oid_fromstr(&oid, oid_hex) < 0 || git_commit_lookup(&c, repo, &oid) < 0)
		return err_set(e, ERR_NOTFOUND, "commit %s not found", oid_hex);
	msg = git_commit_message(c);
	out[0] = '\0';
	for (p = msg; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		size_t len = strcspn(p, "\n");

		if (len > klen + 1 && strncmp(p, key, klen) == 0 && p[klen] == ':' &&
		    p[klen + 1] == ' ')
			snprintf(out, n, "%.*s", (int)(len - klen - 2), p + klen + 2);
	}
	git_commit_free(c);
	return 0;
}

static int commit_trailers(struct staging *s, const char *oid_hex, char *run_id, size_t n,
			   char *stage, size_t sn, struct err *e)
{
	int rc = commit_trailer(s, oid_hex, "Run-Id", run_id, n, e);

	return rc < 0 ? rc : commit_trailer(s, oid_hex, "Stage", stage, sn, e);
}

/* The commit of the plan to apply (--plan REV, else the latest plan commit); sets r->plan_run_id. */
int apply_plan_commit(struct run *r, const struct apply_opts *o, char oid[41], struct err *e)
{
	char stage[32];
	int rc;

	if (o && o->plan_rev) {
		if ((rc = staging_resolve(r->stg, o->plan_rev, oid, e)) < 0)
			return rc;
		if ((rc = commit_trailers(r->stg, oid, r->plan_run_id, sizeof(r->plan_run_id),
					  stage, sizeof(stage), e)) < 0)
			return rc;
		if (!r->plan_run_id[0])
			return err_set(e, ERR_INVALID,
				       "%s is not a commit of this tool (no Run-Id)", o->plan_rev);
		return 0;
	}
	rc = staging_find_stage(r->stg, "plan", oid, r->plan_run_id, sizeof(r->plan_run_id), e);
	if (rc == ERR_NOTFOUND)
		return err_set(e, ERR_NOTFOUND, "no plan committed yet: run 'plan' first");
	return rc;
}

/*
 * Whether work-tree file `relpath` holds the bytes it has in commit `oid_hex`
 * (the same blob id), so that it can be read from the work tree a record at
 * a time. ERR_NOTFOUND when the commit has no such file.
 */
static int worktree_is_at(struct staging *s, const char *oid_hex, const char *relpath, bool *same,
			  struct err *e)
{
	git_repository *repo = staging_git_repo(s);
	git_commit *c = NULL;
	git_tree *t = NULL;
	git_tree_entry *te = NULL;
	git_oid oid, wt;
	char *path = NULL;
	int rc = 0;

	*same = false;
	if (git_oid_fromstr(&oid, oid_hex) < 0 || git_commit_lookup(&c, repo, &oid) < 0 ||
	    git_commit_tree(&t, c) < 0) {
		rc = err_set(e, ERR_NOTFOUND, "commit %s not found", oid_hex);
		goto out;
	}
	if (git_tree_entry_bypath(&te, t, relpath) < 0) {
		rc = err_set(e, ERR_NOTFOUND, "no %s in commit %s", relpath, oid_hex);
		goto out;
	}
	/* Absent or unreadable in the work tree: not the same, the commit is read instead. */
	path = xasprintf("%s/%s", staging_path(s), relpath);
	if (git_odb_hashfile(&wt, path, GIT_OBJECT_BLOB) == 0)
		*same = git_oid_equal(&wt, git_tree_entry_id(te)) != 0;
out:
	free(path);
	git_tree_entry_free(te);
	git_tree_free(t);
	git_commit_free(c);
	return rc;
}

/*
 * The plan of commit `oid`: *basis (new reference; an empty object when
 * absent) and, when `ops` is not NULL, a reader of its operations (caller
 * closes). The plan is read from the work tree a record at a time when
 * plan/plan.json there is the committed one (the usual case: plan, then
 * apply); otherwise (--plan of an older plan) the committed bytes are read
 * into `text`, which must outlive the reader. `rev` names the commit in messages.
 */
int apply_plan_open(struct staging *s, const char *oid, const char *rev, struct buf *text,
		    json_t **basis, struct rec_reader **ops, struct err *e)
{
	json_t *plan = NULL;
	bool same;
	int rc = worktree_is_at(s, oid, PLAN_FILE, &same, e);

	*basis = NULL;
	if (ops)
		*ops = NULL;
	if (rc == ERR_NOTFOUND)
		return err_set(e, ERR_NOTFOUND, "%s holds no %s", rev, PLAN_FILE);
	if (rc < 0)
		return rc;
	if (same) {
		rc = rec_read_member(s, PLAN_FILE, "basis", basis, e);
		if (rc == ERR_NOTFOUND) {
			err_clear(e);
			*basis = json_object();
			rc = 0;
		}
		if (rc == 0 && ops)
			rc = rec_reader_open(s, PLAN_FILE, "operations", ops, e);
		goto out;
	}
	if ((rc = staging_read_at(s, oid, PLAN_FILE, text, e)) < 0 ||
	    (rc = snapshot_parse(text->data, text->len, PLAN_FILE, &plan, e)) < 0)
		goto out;
	if (!json_is_array(json_get_arr(plan, "operations"))) {
		rc = err_set(e, ERR_INVALID, "%s has no operations", PLAN_FILE);
		goto out;
	}
	*basis = json_get_obj(plan, "basis") ? json_incref(json_object_get(plan, "basis"))
					     : json_object();
	json_decref(plan);
	plan = NULL;
	if (ops)
		rc = rec_reader_open_mem(text->data, text->len, PLAN_FILE, "operations", ops, e);
out:
	json_decref(plan);
	if (rc < 0) {
		json_decref(*basis);
		*basis = NULL;
	}
	return rc;
}

/* ------------------------------------------------------------ run's skip */

int apply_plan_settled(struct run *r, bool *settled, struct err *e)
{
	char poid[41], aoid[41], applied[48], failed[32], left[32], tsha[65], psha[65], osha[65];
	struct buf b = BUF_INIT;
	json_t *basis = NULL;
	int rc;

	*settled = false;
	rc = staging_find_stage(r->stg, "apply", aoid, NULL, 0, e);
	if (rc == ERR_NOTFOUND) {
		err_clear(e);
		return 0;
	}
	if (rc < 0)
		return rc;
	if ((rc = commit_trailer(r->stg, aoid, "Plan-Run-Id", applied, sizeof(applied), e)) < 0 ||
	    (rc = commit_trailer(r->stg, aoid, "Failed", failed, sizeof(failed), e)) < 0)
		return rc;
	if (!applied[0] || strcmp(failed, "0") != 0)
		return 0;
	/* The plan that apply carried out: the plan commit of run `applied`. */
	if ((rc = staging_run_stage_commit(r->stg, applied, "plan", poid, e)) < 0 || !poid[0])
		return rc;
	/*
	 * Fields both sides changed and created hires that left Hired wait on a
	 * person: such a plan is made again every night, to say so.
	 */
	if ((rc = commit_trailer(r->stg, poid, "Field-Conflicts", failed, sizeof(failed), e)) < 0 ||
	    (rc = commit_trailer(r->stg, poid, "Left-Hired", left, sizeof(left), e)) < 0)
		return rc;
	if ((failed[0] && strcmp(failed, "0") != 0) || (left[0] && strcmp(left, "0") != 0))
		return 0;
	/* Only the basis: the operations are not read. */
	if ((rc = apply_plan_open(r->stg, poid, "the applied plan's commit", &b, &basis, NULL, e)) <
	    0)
		goto out;
	rc = staging_sha256(r->stg, "transform/new_hires.json", tsha, NULL, e);
	if (rc == 0)
		rc = staging_sha256(r->stg, "pipeline.json", psha, NULL, e);
	if (rc == ERR_NOTFOUND) {
		err_clear(e);
		rc = 0;
		goto out;
	}
	if (rc < 0)
		goto out;
	/* overrides.csv as the plan saw it ("" absent): its acknowledgement rows are plan's. */
	rc = staging_sha256(r->stg, "overrides.csv", osha, NULL, e);
	if (rc == ERR_NOTFOUND) {
		err_clear(e);
		osha[0] = '\0';
		rc = 0;
	} else if (rc < 0) {
		goto out;
	}
	*settled = json_get_str(basis, "overridesSha256") &&
		   strcmp(json_get_str(basis, "overridesSha256"), osha) == 0 &&
		   json_get_str(basis, "transformSha256") &&
		   strcmp(json_get_str(basis, "transformSha256"), tsha) == 0 &&
		   json_get_str(basis, "pipelineSha256") &&
		   strcmp(json_get_str(basis, "pipelineSha256"), psha) == 0;
out:
	buf_release(&b);
	json_decref(basis);
	return rc;
}
