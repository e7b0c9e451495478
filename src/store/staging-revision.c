/* staging-revision: resolving revisions and reading files as they were at one. */
#include "config.h"

#include "store/staging-int.h"

#include <stdlib.h>

#include "base/xalloc.h"

int staging_head(struct staging *s, char oid_out[41], struct err *e)
{
	git_oid oid;
	int rc = git_reference_name_to_id(&oid, s->repo, "HEAD");

	oid_out[0] = '\0';
	if (rc == GIT_ENOTFOUND || rc == GIT_EUNBORNBRANCH)
		return err_set(e, ERR_NOTFOUND, "staging repo '%s' has no commit yet", s->name);
	if (rc < 0)
		return staging_git_fail(e, rc, "cannot read HEAD of staging repo '%s'", s->name);
	git_oid_tostr(oid_out, 41, &oid);
	return 0;
}

static int resolve_commit(struct staging *s, const char *rev, git_commit **out, struct err *e)
{
	git_object *obj = NULL, *peeled = NULL;
	bool exists = false;
	char *spec = NULL;
	int rc;

	*out = NULL;
	if (!rev || !*rev)
		return err_set(e, ERR_INVALID, "empty revision");
	/* A bare run id means its tag. */
	if (rev[0] >= '0' && rev[0] <= '9' && staging_run_id_valid(rev)) {
		if ((rc = staging_tag_exists(s, rev, &exists, e)) < 0)
			return rc;
		if (exists)
			spec = xasprintf("refs/tags/run/%s", rev);
	}
	rc = git_revparse_single(&obj, s->repo, spec ? spec : rev);
	if (rc == GIT_ENOTFOUND || rc == GIT_EINVALIDSPEC || rc == GIT_EUNBORNBRANCH) {
		rc = err_set(e, ERR_NOTFOUND,
			     "no revision '%s' in staging repo '%s' (see 'ashby2humaans log')", rev,
			     s->name);
		goto out;
	}
	if (rc == GIT_EAMBIGUOUS) {
		rc = err_set(e, ERR_INVALID,
			     "revision '%s' is ambiguous: give more of the commit id", rev);
		goto out;
	}
	if (rc < 0) {
		rc = staging_git_fail(e, rc, "cannot resolve revision '%s'", rev);
		goto out;
	}
	if (git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT) < 0) {
		rc = err_set(e, ERR_INVALID, "revision '%s' does not name a commit", rev);
		goto out;
	}
	*out = (git_commit *)peeled;
	peeled = NULL;
out:
	git_object_free(peeled);
	git_object_free(obj);
	free(spec);
	return rc;
}

int staging_resolve(struct staging *s, const char *rev, char oid_out[41], struct err *e)
{
	git_commit *c;
	int rc;

	oid_out[0] = '\0';
	if ((rc = resolve_commit(s, rev, &c, e)) < 0)
		return rc;
	git_oid_tostr(oid_out, 41, git_commit_id(c));
	git_commit_free(c);
	return 0;
}

int staging_read_at(struct staging *s, const char *rev, const char *relpath, struct buf *out,
		    struct err *e)
{
	git_commit *c = NULL;
	git_tree *tree = NULL;
	git_tree_entry *entry = NULL;
	git_blob *blob = NULL;
	int rc;

	if ((rc = staging_relpath_check(relpath, e)) < 0 ||
	    (rc = resolve_commit(s, rev, &c, e)) < 0)
		return rc;
	if ((rc = git_commit_tree(&tree, c)) < 0) {
		rc = staging_git_fail(e, rc, "cannot read the tree of %s", rev);
		goto out;
	}
	rc = git_tree_entry_bypath(&entry, tree, relpath);
	if (rc == GIT_ENOTFOUND) {
		rc = err_set(e, ERR_NOTFOUND, "%s not found at %s", relpath, rev);
		goto out;
	}
	if (rc < 0) {
		rc = staging_git_fail(e, rc, "cannot read %s at %s", relpath, rev);
		goto out;
	}
	if (git_tree_entry_type(entry) != GIT_OBJECT_BLOB) {
		rc = err_set(e, ERR_INVALID, "%s is a directory at %s, not a file", relpath, rev);
		goto out;
	}
	if ((rc = git_blob_lookup(&blob, s->repo, git_tree_entry_id(entry))) < 0) {
		rc = staging_git_fail(e, rc, "cannot read %s at %s", relpath, rev);
		goto out;
	}
	if (buf_add(out, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob)) < 0)
		rc = err_set(e, ERR_FAIL, "cannot read %s at %s: file too large", relpath, rev);
out:
	git_blob_free(blob);
	git_tree_entry_free(entry);
	git_tree_free(tree);
	git_commit_free(c);
	return rc;
}
