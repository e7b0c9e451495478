/* staging-history: the run tags, and walks over HEAD's commits by their trailers. */
#include "config.h"

#include "store/staging-int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"

static int run_id_desc(const void *a, const void *b)
{
	return staging_run_id_cmp(*(const char *const *)b, *(const char *const *)a);
}

int staging_list_runs(struct staging *s, staging_run_fn fn, void *ctx, struct err *e)
{
	git_strarray names = { NULL, 0 };
	const char **ids = NULL;
	size_t i, n = 0;
	int rc;

	if ((rc = git_tag_list_match(&names, "run/*", s->repo)) < 0)
		return staging_git_fail(e, rc, "cannot list the runs of staging repo '%s'",
					s->name);
	ids = xcalloc(names.count + 1, sizeof(*ids));
	for (i = 0; i < names.count; i++)
		if (strncmp(names.strings[i], "run/", 4) == 0 &&
		    staging_run_id_valid(names.strings[i] + 4))
			ids[n++] = names.strings[i] + 4;
	qsort(ids, n, sizeof(*ids), run_id_desc);

	for (i = 0; i < n && rc == 0; i++) {
		git_reference *ref = NULL;
		git_object *obj = NULL, *commit = NULL;
		char *refname = xasprintf("refs/tags/run/%s", ids[i]);
		const char *message = "";
		char hex[41];

		if ((rc = git_reference_lookup(&ref, s->repo, refname)) < 0 ||
		    (rc = git_object_lookup(&obj, s->repo, git_reference_target(ref),
					    GIT_OBJECT_ANY)) < 0 ||
		    (rc = git_object_peel(&commit, obj, GIT_OBJECT_COMMIT)) < 0) {
			rc = staging_git_fail(e, rc, "cannot read tag run/%s", ids[i]);
		} else {
			if (git_object_type(obj) == GIT_OBJECT_TAG &&
			    git_tag_message((git_tag *)obj))
				message = git_tag_message((git_tag *)obj);
			git_oid_tostr(hex, sizeof(hex), git_object_id(commit));
			rc = fn(ctx, ids[i], message, hex);
		}
		git_object_free(commit);
		git_object_free(obj);
		git_reference_free(ref);
		free(refname);
	}
	free(ids);
	git_strarray_dispose(&names);
	return rc < 0 ? rc : 0;
}

/* The Run-Id and Stage trailers of a commit message (empty when absent). */
static void message_run_stage(const char *message, char *run_id, size_t run_id_len, char *stage,
			      size_t stage_len)
{
	git_message_trailer_array arr;
	size_t i;

	run_id[0] = stage[0] = '\0';
	if (git_message_trailers(&arr, message) < 0)
		return;
	for (i = 0; i < arr.count; i++) {
		if (strcmp(arr.trailers[i].key, "Run-Id") == 0)
			snprintf(run_id, run_id_len, "%s", arr.trailers[i].value);
		else if (strcmp(arr.trailers[i].key, "Stage") == 0)
			snprintf(stage, stage_len, "%s", arr.trailers[i].value);
	}
	git_message_trailer_array_free(&arr);
}

/* Walk HEAD's history; `visit` returns non-zero to stop (negative: an error). */
typedef int (*walk_fn)(void *arg, git_commit *c, const char *run_id, const char *stage);

static int walk_head(struct staging *s, bool oldest_first, walk_fn visit, void *arg, struct err *e)
{
	git_revwalk *walk = NULL;
	git_oid oid;
	int rc;

	if ((rc = git_revwalk_new(&walk, s->repo)) < 0) {
		rc = staging_git_fail(e, rc, "cannot walk staging repo '%s'", s->name);
		goto out;
	}
	git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME |
					  (oldest_first ? GIT_SORT_REVERSE : 0));
	rc = git_revwalk_push_head(walk);
	if (rc == GIT_ENOTFOUND || rc == GIT_EUNBORNBRANCH) {
		rc = 0; /* no commit yet: nothing to visit */
		goto out;
	}
	if (rc < 0) {
		rc = staging_git_fail(e, rc, "cannot walk staging repo '%s'", s->name);
		goto out;
	}
	while ((rc = git_revwalk_next(&oid, walk)) == 0) {
		git_commit *c = NULL;
		char run_id[64], stage[32];

		if ((rc = git_commit_lookup(&c, s->repo, &oid)) < 0) {
			rc = staging_git_fail(e, rc, "cannot read a commit of staging repo '%s'",
					      s->name);
			goto out;
		}
		message_run_stage(git_commit_message(c), run_id, sizeof(run_id), stage,
				  sizeof(stage));
		rc = visit(arg, c, run_id, stage);
		git_commit_free(c);
		if (rc)
			goto out;
	}
	if (rc == GIT_ITEROVER)
		rc = 0;
	else
		rc = staging_git_fail(e, rc, "cannot walk staging repo '%s'", s->name);
out:
	git_revwalk_free(walk);
	return rc;
}

struct run_commits_arg {
	const char *run_id;
	staging_commit_fn fn;
	void *ctx;
};

static int run_commits_visit(void *arg, git_commit *c, const char *run_id, const char *stage)
{
	struct run_commits_arg *a = arg;
	char hex[41];

	if (strcmp(run_id, a->run_id) != 0)
		return 0;
	git_oid_tostr(hex, sizeof(hex), git_commit_id(c));
	return a->fn(a->ctx, hex, stage, git_commit_message(c));
}

int staging_run_commits(struct staging *s, const char *run_id, staging_commit_fn fn, void *ctx,
			struct err *e)
{
	struct run_commits_arg a = { run_id, fn, ctx };
	int rc;

	if (!run_id || !*run_id)
		return err_set(e, ERR_INVALID, "empty run id");
	rc = walk_head(s, true, run_commits_visit, &a, e);
	return rc < 0 ? rc : 0;
}

struct stage_commit_arg {
	const char *stage;
	char *oid_out;
};

static int stage_commit_visit(void *ctx, const char *commit_hex, const char *stage,
			      const char *message)
{
	struct stage_commit_arg *a = ctx;

	(void)message;
	if (stage && strcmp(stage, a->stage) == 0)
		snprintf(a->oid_out, 41, "%s", commit_hex);
	return 0;
}

int staging_run_stage_commit(struct staging *s, const char *run_id, const char *stage,
			     char oid_out[41], struct err *e)
{
	struct stage_commit_arg a = { stage, oid_out };
	int rc;

	oid_out[0] = '\0';
	rc = staging_run_commits(s, run_id, stage_commit_visit, &a, e);
	if (rc == ERR_NOTFOUND) {
		err_clear(e);
		rc = 0;
	}
	return rc;
}

struct find_stage_arg {
	const char *stage;
	char *oid_out;
	char *run_id_out;
	size_t run_id_len;
};

static int find_stage_visit(void *arg, git_commit *c, const char *run_id, const char *stage)
{
	struct find_stage_arg *a = arg;

	if (strcmp(stage, a->stage) != 0)
		return 0;
	git_oid_tostr(a->oid_out, 41, git_commit_id(c));
	if (a->run_id_out && a->run_id_len)
		snprintf(a->run_id_out, a->run_id_len, "%s", run_id);
	return 1;
}

int staging_find_stage(struct staging *s, const char *stage, char oid_out[41], char *run_id_out,
		       size_t run_id_len, struct err *e)
{
	struct find_stage_arg a = { stage, oid_out, run_id_out, run_id_len };
	int rc;

	oid_out[0] = '\0';
	if (run_id_out && run_id_len)
		run_id_out[0] = '\0';
	rc = walk_head(s, false, find_stage_visit, &a, e);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return err_set(e, ERR_NOTFOUND, "no %s commit in staging repo '%s'", stage,
			       s->name);
	return 0;
}

/* init */
