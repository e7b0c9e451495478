/*
 * erase-rewrite: every commit reachable from a ref recreated without what
 * names the hires, parents first, in one pass. A blob is filtered once
 * whatever number of commits hold it (memo: old id -> new id), a tree once
 * per path; a commit whose tree and parents did not change keeps its id.
 * Messages, trailers, author, committer and times stay (lines of a message
 * that name a hire go). Annotated (run) tags are recreated with their message and
 * tagger, pointing at the rewritten commit.
 */
#include "config.h"

#include "store/erase/erase-int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"

void rewrite_init(struct rewrite *rw, git_repository *repo, const struct needles *nd, bool dry)
{
	memset(rw, 0, sizeof(*rw));
	rw->repo = repo;
	rw->nd = nd;
	rw->dry = dry;
	rw->blobs = json_object();
	rw->trees = json_object();
	rw->commits = json_object();
	rw->runs = json_object();
	rw->files = json_object();
	rw->refs = json_object();
}

void rewrite_release(struct rewrite *rw)
{
	json_decref(rw->blobs);
	json_decref(rw->trees);
	json_decref(rw->commits);
	json_decref(rw->runs);
	json_decref(rw->files);
	json_decref(rw->refs);
	memset(rw, 0, sizeof(*rw));
}

static const char *hex_of(const git_oid *oid, char buf[GIT_OID_HEXSZ + 1])
{
	return git_oid_tostr(buf, GIT_OID_HEXSZ + 1, oid);
}

/* The blob `id` at `path` filtered: *out the new id, *gone when nothing is left of it. */
static int rewrite_blob(struct rewrite *rw, const char *path, const git_oid *id, git_oid *out,
			bool *gone, struct err *e)
{
	char hex[GIT_OID_HEXSZ + 1], *key;
	const char *memo;
	git_blob *b = NULL;
	struct buf nb = BUF_INIT;
	bool changed = false;
	int rc = 0;

	*gone = false;
	git_oid_cpy(out, id);
	key = xasprintf("%d:%s", (int)erase_kind_of(path), hex_of(id, hex));
	memo = json_string_value(json_object_get(rw->blobs, key));
	if (memo) {
		rc = git_oid_fromstr(out, memo);
		goto out;
	}
	if ((rc = git_blob_lookup(&b, rw->repo, id)) < 0) {
		rc = erase_git_fail(e, rc, path);
		goto out;
	}
	rc = erase_filter(rw->nd, path, git_blob_rawcontent(b), (size_t)git_blob_rawsize(b), &nb,
			  &changed, e);
	if (rc < 0) {
		err_prefix(e, "cannot rewrite %s", path);
		goto out;
	}
	if (changed) {
		if (rw->dry)
			rc = git_odb_hash(out, nb.data, nb.len, GIT_OBJECT_BLOB);
		else
			rc = git_blob_create_from_buffer(out, rw->repo, nb.data, nb.len);
		if (rc < 0) {
			rc = erase_git_fail(e, rc, path);
			goto out;
		}
	}
	json_object_set_new(rw->blobs, key, json_string(hex_of(out, hex)));
out:
	if (rc == 0 && !git_oid_equal(out, id))
		json_object_set_new(rw->files, path, json_true());
	buf_release(&nb);
	git_blob_free(b);
	free(key);
	return rc;
}

/*
 * The tree `id` at `path` ("" for the root) rewritten: *out its new id,
 * *empty when nothing is left in it. In a dry run nothing is written and
 * *out is the old id when nothing changed, else zeroes.
 */
static int rewrite_tree(struct rewrite *rw, const char *path, const git_oid *id, git_oid *out,
			bool *empty, struct err *e)
{
	char hex[GIT_OID_HEXSZ + 1], *key = NULL, *sub = NULL;
	const char *memo;
	git_tree *t = NULL;
	git_treebuilder *tb = NULL;
	size_t i, n, kept = 0;
	bool changed = false;
	int rc;

	key = xasprintf("%s:%s", path, hex_of(id, hex));
	memo = json_string_value(json_object_get(rw->trees, key));
	if (memo) {
		*empty = !*memo;
		rc = *memo ? git_oid_fromstr(out, memo) : 0;
		goto out;
	}
	if ((rc = git_tree_lookup(&t, rw->repo, id)) < 0 ||
	    (!rw->dry && (rc = git_treebuilder_new(&tb, rw->repo, NULL)) < 0)) {
		rc = erase_git_fail(e, rc, "cannot read a tree of the staging history");
		goto out;
	}
	n = git_tree_entrycount(t);
	for (i = 0; i < n && rc == 0; i++) {
		const git_tree_entry *te = git_tree_entry_byindex(t, i);
		git_oid nid;
		bool gone = false;

		free(sub);
		sub = *path ? xasprintf("%s/%s", path, git_tree_entry_name(te))
			    : xstrdup(git_tree_entry_name(te));
		if (erase_path_drops(rw->nd, sub)) {
			json_object_set_new(rw->files, sub, json_true());
			changed = true;
			continue;
		}
		if (git_tree_entry_type(te) == GIT_OBJECT_TREE)
			rc = rewrite_tree(rw, sub, git_tree_entry_id(te), &nid, &gone, e);
		else if (git_tree_entry_type(te) == GIT_OBJECT_BLOB)
			rc = rewrite_blob(rw, sub, git_tree_entry_id(te), &nid, &gone, e);
		else
			git_oid_cpy(&nid, git_tree_entry_id(te));
		if (rc < 0)
			break;
		if (gone || !git_oid_equal(&nid, git_tree_entry_id(te)))
			changed = true;
		if (gone)
			continue;
		kept++;
		if (tb && (rc = git_treebuilder_insert(NULL, tb, git_tree_entry_name(te), &nid,
						       git_tree_entry_filemode(te))) < 0)
			rc = erase_git_fail(e, rc, "cannot build a rewritten tree");
	}
	if (rc < 0)
		goto out;
	*empty = kept == 0;
	if (!changed)
		git_oid_cpy(out, id);
	else if (rw->dry)
		memset(out, 0, sizeof(*out));
	else if (!*empty && (rc = git_treebuilder_write(out, tb)) < 0) {
		rc = erase_git_fail(e, rc, "cannot write a rewritten tree");
		goto out;
	}
	json_object_set_new(rw->trees, key, json_string(*empty ? "" : hex_of(out, hex)));
out:
	free(sub);
	free(key);
	git_treebuilder_free(tb);
	git_tree_free(t);
	return rc;
}

/* The commit `c` rewritten (its parents are already): *out the new id. */
static int rewrite_commit(struct rewrite *rw, git_commit *c, git_oid *out, struct err *e)
{
	const git_commit *parents[16];
	git_commit *pc[16] = { NULL };
	git_tree *tree = NULL;
	git_oid tid, pid;
	struct buf msg = BUF_INIT;
	unsigned i, np = git_commit_parentcount(c);
	bool empty = false, changed = false;
	char hex[GIT_OID_HEXSZ + 1], run[64];
	int rc;

	if (np > 16)
		return err_set(e, ERR_INVALID, "a commit with more than 16 parents");
	if ((rc = rewrite_tree(rw, "", git_commit_tree_id(c), &tid, &empty, e)) < 0)
		return rc;
	changed = !git_oid_equal(&tid, git_commit_tree_id(c));
	for (i = 0; i < np && rc == 0; i++) {
		const char *m = json_string_value(
			json_object_get(rw->commits, hex_of(git_commit_parent_id(c, i), hex)));

		if (!m || git_oid_fromstr(&pid, m) < 0)
			git_oid_cpy(&pid, git_commit_parent_id(c, i));
		if (!git_oid_equal(&pid, git_commit_parent_id(c, i)))
			changed = true;
		if (!rw->dry && (rc = git_commit_lookup(&pc[i], rw->repo, &pid)) < 0)
			rc = erase_git_fail(e, rc, "cannot read a rewritten commit");
		parents[i] = pc[i];
	}
	if (rc < 0)
		goto out;
	if (erase_filter_message(rw->nd, git_commit_message(c), &msg))
		changed = true;
	if (!changed) {
		git_oid_cpy(out, git_commit_id(c));
		goto out;
	}
	erase_run_id_of(git_commit_message(c), run, sizeof(run));
	if (*run)
		json_object_set_new(rw->runs, run, json_true());
	rw->rewritten++;
	if (rw->dry) {
		memset(out, 0, sizeof(*out));
		out->id[0] = 1;
		out->id[1] = (unsigned char)(rw->rewritten & 0xff);
		out->id[2] = (unsigned char)((rw->rewritten >> 8) & 0xff);
		out->id[3] = (unsigned char)((rw->rewritten >> 16) & 0xff);
		goto out;
	}
	if (empty) {
		git_treebuilder *tb = NULL;

		if ((rc = git_treebuilder_new(&tb, rw->repo, NULL)) == 0)
			rc = git_treebuilder_write(&tid, tb);
		git_treebuilder_free(tb);
	}
	if (rc == 0)
		rc = git_tree_lookup(&tree, rw->repo, &tid);
	if (rc == 0)
		rc = git_commit_create(out, rw->repo, NULL, git_commit_author(c),
				       git_commit_committer(c), git_commit_message_encoding(c),
				       msg.data, tree, np, parents);
	if (rc < 0)
		rc = erase_git_fail(e, rc, "cannot write a rewritten commit");
out:
	for (i = 0; i < np; i++)
		git_commit_free(pc[i]);
	git_tree_free(tree);
	buf_release(&msg);
	return rc;
}

static int rewrite_commits(struct rewrite *rw, struct err *e)
{
	git_revwalk *w = NULL;
	git_commit *c = NULL;
	git_oid oid, nid;
	char a[GIT_OID_HEXSZ + 1], b[GIT_OID_HEXSZ + 1];
	int rc;

	if ((rc = git_revwalk_new(&w, rw->repo)) < 0 ||
	    (rc = git_revwalk_sorting(w, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE)) < 0 ||
	    (rc = git_revwalk_push_glob(w, "refs/*")) < 0) {
		rc = erase_git_fail(e, rc, "cannot walk the staging history");
		goto out;
	}
	while ((rc = git_revwalk_next(&oid, w)) == 0) {
		if ((rc = git_commit_lookup(&c, rw->repo, &oid)) < 0) {
			rc = erase_git_fail(e, rc, "cannot read a commit of the staging history");
			goto out;
		}
		rc = rewrite_commit(rw, c, &nid, e);
		git_commit_free(c);
		c = NULL;
		if (rc < 0)
			goto out;
		json_object_set_new(rw->commits, hex_of(&oid, a), json_string(hex_of(&nid, b)));
	}
	rc = rc == GIT_ITEROVER ? 0 : erase_git_fail(e, rc, "cannot walk the staging history");
out:
	git_commit_free(c);
	git_revwalk_free(w);
	return rc;
}

/* An annotated tag `tag` recreated on the rewritten commit `target`: *out the new tag object. */
static int rewrite_tag(struct rewrite *rw, git_tag *tag, const git_oid *target, git_oid *out,
		       struct err *e)
{
	git_object *obj = NULL;
	struct buf msg = BUF_INIT;
	const char *m = git_tag_message(tag) ? git_tag_message(tag) : "";
	bool changed = erase_filter_message(rw->nd, m, &msg);
	int rc;

	if (!changed && git_oid_equal(target, git_tag_target_id(tag))) {
		git_oid_cpy(out, git_tag_id(tag));
		buf_release(&msg);
		return 0;
	}
	if (rw->dry) {
		memset(out, 0, sizeof(*out));
		buf_release(&msg);
		return 0;
	}
	rc = git_object_lookup(&obj, rw->repo, target, GIT_OBJECT_ANY);
	if (rc == 0)
		rc = git_tag_annotation_create(out, rw->repo, git_tag_name(tag), obj,
					       git_tag_tagger(tag), changed ? msg.data : m);
	if (rc < 0)
		rc = erase_git_fail(e, rc, "cannot recreate tag");
	git_object_free(obj);
	buf_release(&msg);
	return rc;
}

/* The new target of one ref into rw->refs (symbolic refs are left alone). */
static int rewrite_ref(struct rewrite *rw, git_reference *ref, struct err *e)
{
	const git_oid *id = git_reference_target(ref);
	git_tag *tag = NULL;
	git_oid nid;
	const char *m;
	char hex[GIT_OID_HEXSZ + 1];
	int rc = 0;

	if (!id)
		return 0;
	if (git_tag_lookup(&tag, rw->repo, id) == 0) {
		m = json_string_value(
			json_object_get(rw->commits, hex_of(git_tag_target_id(tag), hex)));
		if (!m || git_oid_fromstr(&nid, m) < 0)
			git_oid_cpy(&nid, git_tag_target_id(tag));
		rc = rewrite_tag(rw, tag, &nid, &nid, e);
		git_tag_free(tag);
	} else {
		git_error_clear();
		m = json_string_value(json_object_get(rw->commits, hex_of(id, hex)));
		if (!m || git_oid_fromstr(&nid, m) < 0)
			git_oid_cpy(&nid, id);
	}
	if (rc == 0)
		json_object_set_new(rw->refs, git_reference_name(ref),
				    json_string(hex_of(&nid, hex)));
	return rc;
}

int rewrite_history(struct rewrite *rw, struct err *e)
{
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	int rc;

	if ((rc = rewrite_commits(rw, e)) < 0)
		return rc;
	if ((rc = git_reference_iterator_new(&it, rw->repo)) < 0)
		return erase_git_fail(e, rc, "cannot list the refs of the staging repo");
	while ((rc = git_reference_next(&ref, it)) == 0) {
		rc = rewrite_ref(rw, ref, e);
		git_reference_free(ref);
		if (rc < 0)
			goto out; /* `e` says why */
	}
	rc = rc == GIT_ITEROVER ? 0
				: erase_git_fail(e, rc, "cannot list the refs of the staging repo");
out:
	git_reference_iterator_free(it);
	return rc;
}
