/*
 * staging-commit: committing the work tree's changes with the run's trailers,
 * and the annotated tag that ends a run.
 */
#include "config.h"

#include "store/staging-int.h"

#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"

#define SIG_NAME "ashby2humaans"
#define SIG_EMAIL "ashby2humaans@localhost"

static bool has_newline(const char *s)
{
	return s && strpbrk(s, "\r\n");
}

static int trailer_check(const char *key, const char *value, struct err *e)
{
	const char *p;

	if (!key || !*key || !value)
		return err_set(e, ERR_INVALID, "commit trailer without a key or value");
	for (p = key; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= 'a' && *p <= 'z') || *p == '-'))
			return err_set(e, ERR_INVALID, "commit trailer key '%s' is not a word",
				       key);
	if (has_newline(value))
		return err_set(e, ERR_INVALID, "commit trailer %s has a line break", key);
	return 0;
}

/*
 * Bring the index in line with the work tree under `ps` (all of it when NULL):
 * new and changed files added, deleted ones removed, ignored files left out;
 * what git_index_add_all() and git_index_update_all() do together. Those walk
 * their diff with git_diff_foreach(), which loads every changed file and its
 * old blob whole to tell whether it is binary: a 36 MB plan.json cost over
 * 150 MB. Here the diff skips that check and each file is added by path,
 * which streams it into the object database.
 */
static int index_sync(git_repository *repo, git_index *idx, const git_strarray *ps)
{
	git_diff_options o;
	git_diff *diff = NULL;
	size_t i, n;
	int rc;

	if ((rc = git_diff_options_init(&o, GIT_DIFF_OPTIONS_VERSION)) < 0)
		return rc;
	o.flags = GIT_DIFF_INCLUDE_UNTRACKED | GIT_DIFF_RECURSE_UNTRACKED_DIRS |
		  GIT_DIFF_INCLUDE_TYPECHANGE | GIT_DIFF_SKIP_BINARY_CHECK;
	if (ps)
		o.pathspec = *ps;
	if ((rc = git_diff_index_to_workdir(&diff, repo, idx, &o)) < 0)
		return rc;
	n = git_diff_num_deltas(diff);
	for (i = 0; i < n && rc == 0; i++) {
		const git_diff_delta *d = git_diff_get_delta(diff, i);

		switch (d->status) {
		case GIT_DELTA_DELETED:
			rc = git_index_remove_bypath(idx, d->old_file.path);
			break;
		case GIT_DELTA_ADDED:
		case GIT_DELTA_UNTRACKED:
		case GIT_DELTA_MODIFIED:
		case GIT_DELTA_TYPECHANGE:
			rc = git_index_add_bypath(idx, d->new_file.path);
			break;
		default:
			break;
		}
	}
	git_diff_free(diff);
	return rc;
}

int staging_commit(struct staging *s, const char *const *paths, const char *stage,
		   const char *run_id, const char *subject, const char *body,
		   const struct trailer *extra, size_t nextra, char oid_out[41], bool *committed,
		   struct err *e)
{
	git_index *idx = NULL;
	git_tree *tree = NULL;
	git_commit *parent = NULL;
	const git_commit *parents[1];
	git_signature *sig = NULL;
	git_strarray ps = { NULL, 0 };
	git_oid tree_oid, head_oid, commit_oid;
	struct buf msg = BUF_INIT;
	size_t i, n;
	int rc;

	*committed = false;
	oid_out[0] = '\0';
	if ((rc = staging_need_writable(s, e)) < 0)
		return rc;
	if (!stage || !*stage || has_newline(stage) || !staging_run_id_valid(run_id) || !subject ||
	    !*subject || has_newline(subject))
		return err_set(e, ERR_INVALID,
			       "a commit needs a stage, a valid run id and a one-line subject");
	for (i = 0; i < nextra; i++)
		if ((rc = trailer_check(extra[i].key, extra[i].value, e)) < 0)
			return rc;

	/* Pathspecs without a trailing slash: libgit2 matches a directory by prefix. */
	for (n = 0; paths && paths[n]; n++)
		;
	if (n) {
		ps.strings = xcalloc(n, sizeof(char *));
		ps.count = n;
		for (i = 0; i < n; i++) {
			size_t l = strlen(paths[i]);

			while (l > 1 && paths[i][l - 1] == '/')
				l--;
			ps.strings[i] = xstrndup(paths[i], l);
		}
	}

	if ((rc = git_repository_index(&idx, s->repo)) < 0 || (rc = git_index_read(idx, 0)) < 0) {
		rc = staging_git_fail(e, rc, "cannot read the index of staging repo '%s'", s->name);
		goto out;
	}
	if ((rc = index_sync(s->repo, idx, n ? &ps : NULL)) < 0) {
		rc = staging_git_fail(e, rc, "cannot stage the %s snapshot", stage);
		goto out;
	}
	if ((rc = git_index_write_tree(&tree_oid, idx)) < 0 || (rc = git_index_write(idx)) < 0) {
		rc = staging_git_fail(e, rc, "cannot write the %s snapshot", stage);
		goto out;
	}
	rc = git_reference_name_to_id(&head_oid, s->repo, "HEAD");
	if (rc == 0) {
		if ((rc = git_commit_lookup(&parent, s->repo, &head_oid)) < 0) {
			rc = staging_git_fail(e, rc, "cannot read HEAD of staging repo '%s'",
					      s->name);
			goto out;
		}
		if (git_oid_equal(git_commit_tree_id(parent), &tree_oid)) {
			git_oid_tostr(oid_out, 41, &head_oid);
			goto out; /* nothing changed: no commit */
		}
	} else if (rc != GIT_ENOTFOUND && rc != GIT_EUNBORNBRANCH) {
		rc = staging_git_fail(e, rc, "cannot read HEAD of staging repo '%s'", s->name);
		goto out;
	}
	rc = 0;

	buf_addf(&msg, "%s\n\n", subject);
	if (body && *body) {
		size_t bl = strlen(body);

		while (bl && body[bl - 1] == '\n')
			bl--;
		if (bl) {
			buf_add(&msg, body, bl);
			buf_adds(&msg, "\n\n");
		}
	}
	buf_addf(&msg, "Run-Id: %s\nStage: %s\nTool-Version: %s\n", run_id, stage, PACKAGE_VERSION);
	for (i = 0; i < nextra; i++)
		buf_addf(&msg, "%s: %s\n", extra[i].key, extra[i].value);

	if ((rc = git_signature_now(&sig, SIG_NAME, SIG_EMAIL)) < 0 ||
	    (rc = git_tree_lookup(&tree, s->repo, &tree_oid)) < 0) {
		rc = staging_git_fail(e, rc, "cannot prepare the %s commit", stage);
		goto out;
	}
	parents[0] = parent;
	rc = git_commit_create(&commit_oid, s->repo, "HEAD", sig, sig, NULL, msg.data, tree,
			       parent ? 1 : 0, parents);
	if (rc < 0) {
		rc = staging_git_fail(e, rc, "cannot commit the %s snapshot", stage);
		goto out;
	}
	git_oid_tostr(oid_out, 41, &commit_oid);
	*committed = true;
out:
	buf_release(&msg);
	git_signature_free(sig);
	git_tree_free(tree);
	git_commit_free(parent);
	git_index_free(idx);
	for (i = 0; i < ps.count; i++)
		free(ps.strings[i]);
	free(ps.strings);
	return rc;
}

int staging_tag_run(struct staging *s, const char *run_id, const char *message, struct err *e)
{
	git_object *target = NULL;
	git_signature *sig = NULL;
	struct buf msg = BUF_INIT;
	git_oid head, tag_oid;
	char *name = NULL;
	int rc;

	if ((rc = staging_need_writable(s, e)) < 0)
		return rc;
	if (!staging_run_id_valid(run_id))
		return err_set(e, ERR_INVALID, "invalid run id '%s'", run_id ? run_id : "");
	rc = git_reference_name_to_id(&head, s->repo, "HEAD");
	if (rc < 0) {
		rc = staging_git_fail(e, rc, "cannot tag run %s: staging repo '%s' has no commit",
				      run_id, s->name);
		goto out;
	}
	name = xasprintf("run/%s", run_id);
	buf_adds(&msg, message ? message : "");
	if (msg.len == 0 || msg.data[msg.len - 1] != '\n')
		buf_addc(&msg, '\n');
	if ((rc = git_object_lookup(&target, s->repo, &head, GIT_OBJECT_COMMIT)) < 0 ||
	    (rc = git_signature_now(&sig, SIG_NAME, SIG_EMAIL)) < 0 ||
	    (rc = git_tag_create(&tag_oid, s->repo, name, target, sig, msg.data, 0)) < 0) {
		rc = staging_git_fail(e, rc, "cannot tag run %s", run_id);
		goto out;
	}
out:
	buf_release(&msg);
	free(name);
	git_signature_free(sig);
	git_object_free(target);
	return rc;
}
