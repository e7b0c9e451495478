/*
 * erase-forget: the erasure as a whole (store/erase.h). Order, so that a
 * kill at any point leaves the old repository or the rewritten one:
 *   1. find what names the hires (history) and rewrite the history: new
 *      objects only, added to the live repository, nothing it holds changes;
 *   2. the tombstone commit and the erasure's run tag on top;
 *   3. a new .git beside the old one (.git-forget.tmp) with only what the
 *      new refs reach;
 *   4. the work tree filtered the same way, load/tombstones.json written;
 *   5. the new .git exchanged for the old one (atomic), the old one removed.
 * Killed before 5: the old repository, and forget can be run again (it
 * removes the half-built directory first). Killed after: the rewritten one;
 * running forget again removes the old directory left behind.
 */
#include "config.h"

#include "store/erase.h"
#include "store/erase/erase-int.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/jsonutil.h"
#include "base/xalloc.h"
#include "store/staging.h"
#include "store/tombstones.h"

#define NEWDIR ".git-forget.tmp"
#define SIG_NAME "ashby2humaans"
#define SIG_EMAIL "ashby2humaans@localhost"

/* HEAD's tombstones (not the work tree's: a half-done erasure may have written those). */
static int head_tombstones(struct staging *s, json_t **out, struct err *e)
{
	return tombstones_load_at(s, "HEAD", out, e);
}

/* Retention: the hires whose last run's date is before o->before. */
static int pick_before(git_repository *repo, const struct erase_opts *o, const json_t *tomb,
		       struct needles *nd, struct err *e)
{
	json_t *last = NULL, *v;
	const char *app;
	char cut[9];
	int rc;

	if (strlen(o->before) != 10)
		return err_set(e, ERR_INVALID, "--before wants a date YYYY-MM-DD, not '%s'",
			       o->before);
	memcpy(cut, o->before, 4);
	memcpy(cut + 4, o->before + 5, 2);
	memcpy(cut + 6, o->before + 8, 2);
	cut[8] = '\0';
	if ((rc = erase_last_runs(repo, &last, e)) < 0)
		return rc;
	json_object_foreach (last, app, v) {
		const char *run = json_string_value(v);

		if (run && strlen(run) >= 8 && strncmp(run, cut, 8) < 0 &&
		    !tombstones_has(tomb, app, NULL))
			needles_add_app(nd, app);
	}
	json_decref(last);
	return 0;
}

/* ---- the work tree ---- */

static bool is_tmp_name(const char *name)
{
	return name[0] == '.' && strstr(name, ".tmp-") != NULL;
}

static int scrub_file(struct staging *s, const struct needles *nd, const char *rel,
		      const char *name, struct err *e)
{
	char *abs = xasprintf("%s/%s", staging_path(s), rel);
	struct buf b = BUF_INIT, nb = BUF_INIT;
	bool changed = false;
	int rc = 0;

	if (erase_path_drops(nd, rel) || is_tmp_name(name)) {
		if (unlink(abs) < 0 && errno != ENOENT)
			rc = err_set(e, ERR_IO, "cannot remove %s: %s", rel, strerror(errno));
		goto out;
	}
	if ((rc = staging_read(s, rel, &b, e)) < 0)
		goto out;
	if ((rc = erase_filter(nd, rel, b.data, b.len, &nb, &changed, e)) == 0 && changed)
		rc = staging_write(s, rel, nb.data, nb.len, e);
out:
	buf_release(&b);
	buf_release(&nb);
	free(abs);
	return rc;
}

/* Every file under `rel` ("" the work tree), .git and the new .git left out. */
static int scrub_dir(struct staging *s, const struct needles *nd, const char *rel, struct err *e)
{
	char *abs = *rel ? xasprintf("%s/%s", staging_path(s), rel) : xstrdup(staging_path(s));
	DIR *d = opendir(abs);
	struct dirent *de;
	int rc = 0;

	if (!d) {
		rc = err_set(e, ERR_IO, "cannot read directory %s: %s", *rel ? rel : ".",
			     strerror(errno));
		free(abs);
		return rc;
	}
	while (rc == 0 && (de = readdir(d))) {
		char *sub, *p;
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    (!*rel && (!strcmp(de->d_name, ".git") || !strcmp(de->d_name, NEWDIR))))
			continue;
		sub = *rel ? xasprintf("%s/%s", rel, de->d_name) : xstrdup(de->d_name);
		p = xasprintf("%s/%s", abs, de->d_name);
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
			rc = scrub_dir(s, nd, sub, e);
			if (rc == 0 && erase_path_drops(nd, sub))
				rmdir(p);
		} else if (lstat(p, &st) == 0 && S_ISREG(st.st_mode)) {
			rc = scrub_file(s, nd, sub, de->d_name, e);
		}
		free(p);
		free(sub);
	}
	closedir(d);
	free(abs);
	return rc;
}

/* ---- the tombstone commit ---- */

static int tree_with_file(git_repository *repo, const git_oid *root, const char *dir,
			  const char *name, const git_oid *blob, git_oid *out, struct err *e)
{
	git_tree *t = NULL, *sub = NULL;
	git_treebuilder *tb = NULL, *sb = NULL;
	const git_tree_entry *te;
	git_oid sid;
	int rc;

	if ((rc = git_tree_lookup(&t, repo, root)) < 0)
		goto out;
	te = git_tree_entry_byname(t, dir);
	if (te && git_tree_entry_type(te) == GIT_OBJECT_TREE &&
	    (rc = git_tree_lookup(&sub, repo, git_tree_entry_id(te))) < 0)
		goto out;
	if ((rc = git_treebuilder_new(&sb, repo, sub)) < 0 ||
	    (rc = git_treebuilder_insert(NULL, sb, name, blob, GIT_FILEMODE_BLOB)) < 0 ||
	    (rc = git_treebuilder_write(&sid, sb)) < 0 ||
	    (rc = git_treebuilder_new(&tb, repo, t)) < 0 ||
	    (rc = git_treebuilder_insert(NULL, tb, dir, &sid, GIT_FILEMODE_TREE)) < 0 ||
	    (rc = git_treebuilder_write(out, tb)) < 0)
		goto out;
out:
	if (rc < 0)
		rc = erase_git_fail(e, rc, "cannot write the tombstone commit");
	git_treebuilder_free(sb);
	git_treebuilder_free(tb);
	git_tree_free(sub);
	git_tree_free(t);
	return rc;
}

static void commit_message(const struct erase_opts *o, const struct needles *nd,
			   const struct rewrite *rw, struct buf *m)
{
	const char *k;
	json_t *v;

	buf_addf(m, "forget: %zu %s erased (%s)\n\n", json_object_size(nd->apps),
		 json_object_size(nd->apps) == 1 ? "hire" : "hires", o->reason);
	buf_addf(m,
		 "The personal data of these applications was erased on %s from every\n"
		 "commit of the staging history; %zu commits of %zu runs were recreated\n"
		 "without it. What remains is their tombstone in " TOMBSTONES_FILE ".\n\n",
		 o->today, rw->rewritten, json_object_size(rw->runs));
	json_object_foreach (nd->apps, k, v)
		buf_addf(m, "Forgotten: %s\n", k);
	json_object_foreach (rw->runs, k, v)
		buf_addf(m, "Rewritten-Run: %s\n", k);
	buf_addf(m,
		 "\nRun-Id: %s\nStage: forget\nTool-Version: %s\nReason: %s\n"
		 "Hires-Forgotten: %zu\nRewritten-Commits: %zu\nRewritten-Runs: %zu\n",
		 o->run_id, PACKAGE_VERSION, o->reason, json_object_size(nd->apps), rw->rewritten,
		 json_object_size(rw->runs));
}

/* The tombstones in HEAD's tree, the commit on HEAD's branch, the run tag on it. */
static int tombstone_commit(struct rewrite *rw, const struct erase_opts *o,
			    const struct needles *nd, json_t *tomb, struct buf *tbytes,
			    git_oid *tree_out, struct err *e)
{
	git_reference *head = NULL;
	git_commit *parent = NULL;
	git_signature *sig = NULL;
	git_tree *tree = NULL;
	git_object *obj = NULL;
	git_oid pid, blob, cid, tid;
	struct buf m = BUF_INIT;
	const git_commit *parents[1];
	char hex[GIT_OID_HEXSZ + 1], *tag = NULL;
	const char *app, *branch, *m0;
	json_t *v, *runs = json_array();
	int rc = 0;

	json_object_foreach (rw->runs, app, v)
		json_array_append_new(runs, json_string(app));
	json_object_foreach (nd->apps, app, v)
		if (rc == 0)
			rc = tombstones_add(tomb, app, o->today, o->reason, runs, e);
	json_decref(runs);
	if (rc < 0 || (rc = tombstones_dump(tomb, tbytes, e)) < 0)
		return rc;
	if ((rc = git_reference_lookup(&head, rw->repo, "HEAD")) < 0)
		goto gitfail;
	branch = git_reference_symbolic_target(head);
	m0 = branch ? json_string_value(json_object_get(rw->refs, branch)) : NULL;
	if (!m0) {
		rc = err_set(e, ERR_INVALID, "HEAD of the staging repo is not on a branch");
		goto out;
	}
	commit_message(o, nd, rw, &m);
	if ((rc = git_oid_fromstr(&pid, m0)) < 0 ||
	    (rc = git_commit_lookup(&parent, rw->repo, &pid)) < 0 ||
	    (rc = git_blob_create_from_buffer(&blob, rw->repo, tbytes->data, tbytes->len)) < 0)
		goto gitfail;
	if ((rc = tree_with_file(rw->repo, git_commit_tree_id(parent), "load", "tombstones.json",
				 &blob, tree_out, e)) < 0)
		goto out;
	parents[0] = parent;
	if ((rc = git_signature_now(&sig, SIG_NAME, SIG_EMAIL)) < 0 ||
	    (rc = git_tree_lookup(&tree, rw->repo, tree_out)) < 0 ||
	    (rc = git_commit_create(&cid, rw->repo, NULL, sig, sig, NULL, m.data, tree, 1,
				    parents)) < 0)
		goto gitfail;
	json_object_set_new(rw->refs, branch, json_string(git_oid_tostr(hex, sizeof(hex), &cid)));
	buf_reset(&m);
	buf_addf(&m,
		 "run %s: ok\n\nCommand: forget\nStarted: %s\nStage-Reached: forget\n"
		 "Outcome: ok\nHires-Forgotten: %zu\nRewritten-Runs: %zu\n",
		 o->run_id, o->started ? o->started : o->today, json_object_size(nd->apps),
		 json_object_size(rw->runs));
	tag = xasprintf("run/%s", o->run_id);
	if ((rc = git_object_lookup(&obj, rw->repo, &cid, GIT_OBJECT_COMMIT)) < 0 ||
	    (rc = git_tag_annotation_create(&tid, rw->repo, tag, obj, sig, m.data)) < 0)
		goto gitfail;
	free(tag);
	tag = xasprintf("refs/tags/run/%s", o->run_id);
	json_object_set_new(rw->refs, tag, json_string(git_oid_tostr(hex, sizeof(hex), &tid)));
	goto out;
gitfail:
	rc = erase_git_fail(e, rc, "cannot write the tombstone commit");
out:
	free(tag);
	buf_release(&m);
	git_object_free(obj);
	git_tree_free(tree);
	git_signature_free(sig);
	git_commit_free(parent);
	git_reference_free(head);
	return rc;
}

/* ---- listing ---- */

static void list_keys(FILE *out, const char *what, const json_t *set)
{
	const char *k;
	json_t *v;

	fprintf(out, "%s (%zu):\n", what, json_object_size(set));
	json_object_foreach ((json_t *)set, k, v)
		fprintf(out, "  %s\n", k);
}

/* ---- the whole ---- */

static int pick(struct staging *s, git_repository *repo, const struct erase_opts *o,
		const json_t *tomb, struct needles *nd, long *already, struct err *e)
{
	json_t *seen = NULL;
	size_t i;
	int rc;

	*already = 0;
	if (o->before)
		rc = pick_before(repo, o, tomb, nd, e);
	else
		for (i = 0, rc = 0; i < o->napps; i++) {
			if (tombstones_has(tomb, o->apps[i], NULL))
				(*already)++;
			else
				needles_add_app(nd, o->apps[i]);
		}
	if (rc < 0 || (rc = erase_collect(repo, nd, &seen, e)) < 0)
		return rc;
	for (i = 0; !o->before && i < o->napps; i++)
		if (!tombstones_has(tomb, o->apps[i], NULL) && !json_object_get(seen, o->apps[i])) {
			rc = err_set(e, ERR_NOTFOUND,
				     "application '%s' is not in staging repo '%s': nothing "
				     "changed",
				     o->apps[i], staging_path(s));
			break;
		}
	json_decref(seen);
	return rc;
}

static int apply_erasure(struct staging *s, struct rewrite *rw, const struct erase_opts *o,
			 const struct needles *nd, json_t *tomb, const char *newdir, struct err *e)
{
	struct buf tb = BUF_INIT;
	git_oid tree;
	int rc;

	if ((rc = tombstone_commit(rw, o, nd, tomb, &tb, &tree, e)) < 0 ||
	    (rc = erase_build_gitdir(rw->repo, newdir, rw->refs, &tree, e)) < 0 ||
	    (rc = scrub_dir(s, nd, "", e)) < 0 ||
	    (rc = staging_write(s, TOMBSTONES_FILE, tb.data, tb.len, e)) < 0 ||
	    (rc = staging_swap_gitdir(s, newdir, e)) < 0)
		goto out;
	/* The old directory, now at newdir: its objects, packs and reflogs go. */
	rc = erase_rmtree(newdir, e);
out:
	buf_release(&tb);
	return rc;
}

int erase_forget(struct staging *s, const struct erase_opts *o, struct erase_result *res,
		 struct err *e)
{
	git_repository *repo = staging_git_repo(s);
	struct needles nd;
	struct rewrite rw;
	json_t *tomb = NULL;
	char *newdir = xasprintf("%s/" NEWDIR, staging_path(s));
	long already = 0;
	int rc;

	memset(res, 0, sizeof(*res));
	needles_init(&nd);
	rewrite_init(&rw, repo, &nd, o->dry_run);
	if (!o->reason || !*o->reason || strpbrk(o->reason, "\r\n")) {
		rc = err_set(e, ERR_INVALID, "forget needs a one-line --reason");
		goto out;
	}
	/* What an interrupted erasure left: a half-built or an old .git. */
	if (!o->dry_run && (rc = erase_rmtree(newdir, e)) < 0)
		goto out;
	if ((rc = head_tombstones(s, &tomb, e)) < 0 ||
	    (rc = pick(s, repo, o, tomb, &nd, &already, e)) < 0)
		goto out;
	res->hires = (long)json_object_size(nd.apps);
	if (res->hires == 0) {
		if (o->out)
			fprintf(o->out, "nothing to erase%s\n",
				already ? ": already forgotten" : "");
		goto out;
	}
	if ((rc = rewrite_history(&rw, e)) < 0)
		goto out;
	res->commits = (long)rw.rewritten;
	res->runs = (long)json_object_size(rw.runs);
	res->files = (long)json_object_size(rw.files);
	if (o->dry_run) {
		if (o->out) {
			list_keys(o->out, "hires", nd.apps);
			fprintf(o->out, "commits rewritten: %zu\n", rw.rewritten);
			list_keys(o->out, "runs rewritten", rw.runs);
			list_keys(o->out, "files", rw.files);
		}
		goto out;
	}
	rc = apply_erasure(s, &rw, o, &nd, tomb, newdir, e);
out:
	json_decref(tomb);
	rewrite_release(&rw);
	needles_release(&nd);
	free(newdir);
	return rc;
}
