#include "config.h"

#include "store/staging-tree.h"

#include <stdio.h>
#include <string.h>

#include <git2.h>

#include "base/buf.h"
#include "store/staging.h"

static const char *git_msg(void)
{
	const git_error *ge = git_error_last();

	return ge && ge->message ? ge->message : "unknown libgit2 error";
}

/* Resolve `rev` to a commit (caller frees with git_commit_free). */
static int commit_resolve(git_repository *repo, const char *rev, git_commit **out, struct err *e)
{
	git_object *obj = NULL, *peeled = NULL;
	int rc;

	rc = git_revparse_single(&obj, repo, rev);
	if (rc == GIT_ENOTFOUND || rc == GIT_EAMBIGUOUS || rc == GIT_EINVALIDSPEC)
		return err_set(e, ERR_NOTFOUND, "no revision '%s' in the staging repo", rev);
	if (rc < 0)
		return err_set(e, ERR_FAIL, "cannot resolve '%s': %s", rev, git_msg());
	rc = git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT);
	git_object_free(obj);
	if (rc < 0)
		return err_set(e, ERR_NOTFOUND, "'%s' is not a commit in the staging repo", rev);
	*out = (git_commit *)peeled;
	return 0;
}

struct walk {
	git_repository *repo;
	const char *prefix;
	size_t prefix_len;
	staging_blob_fn fn;
	void *ctx;
	struct err *e;
	struct buf path;
	int rc;
};

static int walk_entry(const char *root, const git_tree_entry *entry, void *payload)
{
	struct walk *w = payload;
	git_blob *blob = NULL;
	git_filemode_t mode = git_tree_entry_filemode(entry);
	char hex[GIT_OID_HEXSZ + 1];
	int rc;

	if (git_tree_entry_type(entry) != GIT_OBJECT_BLOB || mode == GIT_FILEMODE_LINK)
		return 0;
	buf_reset(&w->path);
	buf_adds(&w->path, root);
	buf_adds(&w->path, git_tree_entry_name(entry));
	if (w->prefix_len && strncmp(w->path.data, w->prefix, w->prefix_len) != 0)
		return 0;
	if (git_blob_lookup(&blob, w->repo, git_tree_entry_id(entry)) < 0) {
		w->rc = err_set(w->e, ERR_FAIL, "cannot read '%s' from the staging repo: %s",
				w->path.data, git_msg());
		return -1;
	}
	git_oid_tostr(hex, sizeof(hex), git_tree_entry_id(entry));
	rc = w->fn(w->ctx, w->path.data, hex, git_blob_rawcontent(blob),
		   (size_t)git_blob_rawsize(blob), w->e);
	git_blob_free(blob);
	if (rc) {
		w->rc = rc;
		return -1;
	}
	return 0;
}

int staging_tree_walk(struct staging *s, const char *rev, const char *prefix, staging_blob_fn fn,
		      void *ctx, struct err *e)
{
	git_repository *repo = staging_git_repo(s);
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	struct walk w;
	int rc;

	memset(&w, 0, sizeof(w));
	if ((rc = commit_resolve(repo, rev, &commit, e)))
		return rc;
	if (git_commit_tree(&tree, commit) < 0) {
		rc = err_set(e, ERR_FAIL, "cannot read the tree of '%s': %s", rev, git_msg());
		goto out;
	}
	w.repo = repo;
	w.prefix = prefix ? prefix : "";
	w.prefix_len = strlen(w.prefix);
	w.fn = fn;
	w.ctx = ctx;
	w.e = e;
	buf_init(&w.path, 0);
	rc = git_tree_walk(tree, GIT_TREEWALK_PRE, walk_entry, &w);
	if (w.rc)
		rc = w.rc;
	else if (rc < 0)
		rc = err_set(e, ERR_FAIL, "cannot walk the tree of '%s': %s", rev, git_msg());
	buf_release(&w.path);
out:
	git_tree_free(tree);
	git_commit_free(commit);
	return rc;
}

int staging_find_stage_at(struct staging *s, const char *rev, const char *stage, char oid_out[41],
			  char *run_id_out, size_t run_id_len, struct err *e)
{
	git_repository *repo = staging_git_repo(s);
	git_commit *start = NULL, *c = NULL;
	git_revwalk *walk = NULL;
	git_oid oid;
	int rc, found = 0;

	if ((rc = commit_resolve(repo, rev, &start, e)))
		return rc;
	if (git_revwalk_new(&walk, repo) < 0 ||
	    git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME) < 0 ||
	    git_revwalk_push(walk, git_commit_id(start)) < 0) {
		rc = err_set(e, ERR_FAIL, "cannot walk the history of '%s': %s", rev, git_msg());
		goto out;
	}
	while (!found && git_revwalk_next(&oid, walk) == 0) {
		git_message_trailer_array tr = { 0 };
		const char *run_id = "";
		size_t i;

		if (git_commit_lookup(&c, repo, &oid) < 0) {
			rc = err_set(e, ERR_FAIL, "cannot read a commit of '%s': %s", rev,
				     git_msg());
			goto out;
		}
		if (git_message_trailers(&tr, git_commit_message(c)) == 0) {
			for (i = 0; i < tr.count; i++)
				if (strcmp(tr.trailers[i].key, "Stage") == 0 &&
				    strcmp(tr.trailers[i].value, stage) == 0)
					found = 1;
			for (i = 0; found && i < tr.count; i++)
				if (strcmp(tr.trailers[i].key, "Run-Id") == 0)
					run_id = tr.trailers[i].value;
			if (found) {
				git_oid_tostr(oid_out, 41, &oid);
				if (run_id_out)
					snprintf(run_id_out, run_id_len, "%s", run_id);
			}
			git_message_trailer_array_free(&tr);
		}
		git_commit_free(c);
		c = NULL;
	}
	rc = found ? 0
		   : err_set(e, ERR_NOTFOUND, "no %s commit in the history of '%s'", stage, rev);
out:
	git_revwalk_free(walk);
	git_commit_free(start);
	return rc;
}

int staging_blob_use(struct staging *s, const char *blob_hex, staging_bytes_fn fn, void *ctx,
		     struct err *e)
{
	git_blob *blob = NULL;
	git_oid oid;
	int rc;

	if (git_oid_fromstr(&oid, blob_hex) < 0 ||
	    git_blob_lookup(&blob, staging_git_repo(s), &oid) < 0)
		return err_set(e, ERR_NOTFOUND, "blob %s not found in the staging repo: %s",
			       blob_hex, git_msg());
	rc = fn(ctx, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob), e);
	git_blob_free(blob);
	return rc;
}
