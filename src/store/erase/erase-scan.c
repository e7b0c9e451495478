/*
 * erase-scan: what names the hires being erased (every version of their
 * Ashby records and transformed hire, so an email changed along the way is
 * found too), and for retention each hire's last run. Each blob is read once
 * whatever number of commits hold it.
 */
#include "config.h"

#include "store/erase/erase-int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/hash.h"
#include "base/jsonutil.h"
#include "base/xalloc.h"
#include "store/records.h"

int erase_git_fail(struct err *e, int gitrc, const char *what)
{
	const git_error *ge = git_error_last();

	return err_set(e, gitrc == GIT_ENOTFOUND ? ERR_NOTFOUND : ERR_FAIL, "%s: %s", what,
		       ge && ge->message ? ge->message : "git error");
}

void erase_run_id_of(const char *msg, char *out, size_t outlen)
{
	const char *p = msg;

	out[0] = '\0';
	while (p && *p) {
		if (strncmp(p, "Run-Id: ", 8) == 0) {
			size_t n = strcspn(p + 8, "\r\n");

			if (n < outlen) {
				memcpy(out, p + 8, n);
				out[n] = '\0';
			}
			return;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
}

/* What the scan gathers before it knows whether a candidate is shared. */
struct scan {
	struct needles *nd;
	json_t *seen;	    /* blob id -> true */
	json_t *found;	    /* application id -> true: seen in some version */
	json_t *texts;	    /* emails, phones, names of the hires -> true */
	json_t *cands;	    /* their candidate ids -> true */
	json_t *kept_cands; /* candidate ids of hires that stay -> true */
};

static void add_text(struct scan *sc, const json_t *v)
{
	if (json_is_string(v) && json_string_length(v))
		json_object_set_new(sc->texts, json_string_value(v), json_true());
}

/* Emails and phones of a candidate (Ashby's shape), its name and id. */
static void add_candidate(struct scan *sc, const json_t *c)
{
	static const char *const lists[] = { "emailAddresses", "phoneNumbers" };
	const json_t *x;
	size_t i, k;

	add_text(sc, json_object_get(c, "name"));
	add_text(sc, json_get_path(c, "primaryEmailAddress.value"));
	add_text(sc, json_get_path(c, "primaryPhoneNumber.value"));
	for (k = 0; k < 2; k++)
		json_array_foreach (json_get_arr(c, lists[k]), i, x)
			add_text(sc, json_object_get(x, "value"));
	if (json_get_str(c, "id"))
		json_object_set_new(sc->cands, json_get_str(c, "id"), json_true());
}

static void on_record(struct scan *sc, const char *file, const json_t *rec)
{
	const char *id = json_get_str(rec, "id");
	const json_t *x;
	size_t i;

	if (strcmp(file, "applications") == 0) {
		const char *cid = json_get_str(json_object_get(rec, "candidate"), "id");

		if (needles_is_app(sc->nd, id)) {
			json_object_set_new(sc->found, id, json_true());
			add_candidate(sc, json_object_get(rec, "candidate"));
		} else if (cid) {
			json_object_set_new(sc->kept_cands, cid, json_true());
		}
	} else if (strcmp(file, "candidates") == 0) {
		json_array_foreach (json_get_arr(rec, "applicationIds"), i, x)
			if (needles_is_app(sc->nd, json_string_value(x)))
				add_candidate(sc, rec);
	} else if (strcmp(file, "offers") == 0) {
		if (needles_is_app(sc->nd, json_get_str(rec, "applicationId")) && id)
			needles_add(sc->nd, id, true);
	} else if (needles_is_app(sc->nd, id)) { /* new_hires */
		const json_t *p = json_object_get(rec, "person");

		json_object_set_new(sc->found, id, json_true());
		add_text(sc, json_object_get(rec, "name"));
		add_text(sc, json_object_get(p, "personalEmail"));
		add_text(sc, json_object_get(p, "personalPhoneNumber"));
		if (json_get_str(rec, "candidateId"))
			json_object_set_new(sc->cands, json_get_str(rec, "candidateId"),
					    json_true());
	}
}

static int scan_blob(struct scan *sc, git_repository *repo, const git_tree *tree, const char *path,
		     const char *file, struct err *e)
{
	git_tree_entry *te = NULL;
	git_blob *blob = NULL;
	struct rec_reader *r = NULL;
	json_t *rec = NULL;
	char hex[GIT_OID_HEXSZ + 1];
	int rc;

	rc = git_tree_entry_bypath(&te, tree, path);
	if (rc == GIT_ENOTFOUND)
		return 0;
	if (rc < 0)
		return erase_git_fail(e, rc, path);
	git_oid_tostr(hex, sizeof(hex), git_tree_entry_id(te));
	if (json_object_get(sc->seen, hex) || git_tree_entry_type(te) != GIT_OBJECT_BLOB)
		goto out;
	json_object_set_new(sc->seen, hex, json_true());
	if ((rc = git_blob_lookup(&blob, repo, git_tree_entry_id(te))) < 0) {
		rc = erase_git_fail(e, rc, path);
		goto out;
	}
	rc = rec_reader_open_mem(git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob), path,
				 NULL, &r, e);
	if (rc < 0) {
		/* A broken snapshot in history holds nothing we can read: skip it. */
		err_clear(e);
		rc = 0;
		goto out;
	}
	while ((rc = rec_reader_next(r, &rec, NULL, e)) == 1) {
		on_record(sc, file, rec);
		json_decref(rec);
		rec = NULL;
	}
	if (rc < 0) {
		err_clear(e);
		rc = 0;
	}
out:
	rec_reader_close(r);
	git_blob_free(blob);
	git_tree_entry_free(te);
	return rc;
}

static int walk_all(git_repository *repo, git_revwalk **out, unsigned sort, struct err *e)
{
	int rc;

	*out = NULL;
	if ((rc = git_revwalk_new(out, repo)) < 0 || (rc = git_revwalk_sorting(*out, sort)) < 0 ||
	    (rc = git_revwalk_push_glob(*out, "refs/*")) < 0)
		return erase_git_fail(e, rc, "cannot walk the staging history");
	rc = git_revwalk_push_head(*out);
	if (rc < 0 && rc != GIT_ENOTFOUND && rc != GIT_EUNBORNBRANCH)
		return erase_git_fail(e, rc, "cannot walk the staging history");
	return 0;
}

static void scan_finish(struct scan *sc)
{
	const char *k;
	json_t *v;
	bool shared = false;

	json_object_foreach (sc->cands, k, v)
		if (json_object_get(sc->kept_cands, k))
			shared = true;
	/* A candidate another staged hire shares stays: only the application goes. */
	if (shared)
		return;
	json_object_foreach (sc->cands, k, v)
		needles_add(sc->nd, k, true);
	json_object_foreach (sc->texts, k, v)
		needles_add(sc->nd, k, false);
}

int erase_collect(git_repository *repo, struct needles *nd, json_t **seen, struct err *e)
{
	static const char *const files[][2] = {
		{ "extract/applications.json", "applications" },
		{ "extract/candidates.json", "candidates" },
		{ "extract/offers.json", "offers" },
		{ "transform/new_hires.json", "new_hires" },
	};
	struct scan sc = { nd,		 json_object(), json_object(), json_object(), json_object(),
			   json_object() };
	git_revwalk *w = NULL;
	git_commit *c = NULL;
	git_tree *t = NULL;
	git_oid oid;
	size_t i;
	int rc;

	if ((rc = walk_all(repo, &w, GIT_SORT_NONE, e)) < 0)
		goto out;
	while ((rc = git_revwalk_next(&oid, w)) == 0) {
		if ((rc = git_commit_lookup(&c, repo, &oid)) < 0 ||
		    (rc = git_commit_tree(&t, c)) < 0) {
			rc = erase_git_fail(e, rc, "cannot read a commit of the staging history");
			goto out;
		}
		for (i = 0; i < sizeof(files) / sizeof(files[0]) && rc == 0; i++)
			rc = scan_blob(&sc, repo, t, files[i][0], files[i][1], e);
		git_tree_free(t);
		t = NULL;
		git_commit_free(c);
		c = NULL;
		if (rc < 0)
			goto out;
	}
	if (rc != GIT_ITEROVER) {
		rc = erase_git_fail(e, rc, "cannot walk the staging history");
		goto out;
	}
	rc = 0;
	scan_finish(&sc);
	if (seen) {
		*seen = sc.found;
		sc.found = NULL;
	}
out:
	git_tree_free(t);
	git_commit_free(c);
	git_revwalk_free(w);
	json_decref(sc.seen);
	json_decref(sc.found);
	json_decref(sc.texts);
	json_decref(sc.cands);
	json_decref(sc.kept_cands);
	return rc;
}

/* ---- retention ---- */

struct last {
	json_t *hash; /* application id -> sha256 of its record (or "r:" row) last seen */
	json_t *run;  /* application id -> run id of its last change */
	const char *run_id;
};

static void note(struct last *l, const char *app, const char *digest)
{
	const char *prev = json_string_value(json_object_get(l->hash, app));

	if (prev && strcmp(prev, digest) == 0)
		return;
	json_object_set_new(l->hash, app, json_string(digest));
	json_object_set_new(l->run, app, json_string(l->run_id));
}

static int last_hires(struct last *l, const char *data, size_t len, struct err *e)
{
	struct rec_reader *r = NULL;
	json_t *rec = NULL;
	char *text, digest[65];
	int rc;

	if (rec_reader_open_mem(data, len, "transform/new_hires.json", NULL, &r, e) < 0) {
		err_clear(e);
		return 0;
	}
	while ((rc = rec_reader_next(r, &rec, NULL, e)) == 1) {
		text = json_get_str(rec, "id") ? json_dumps(rec, JSON_SORT_KEYS | JSON_COMPACT)
					       : NULL;
		if (text) {
			sha256_hex(text, strlen(text), digest);
			note(l, json_get_str(rec, "id"), digest);
			free(text);
		}
		json_decref(rec);
		rec = NULL;
	}
	if (rc < 0)
		err_clear(e);
	rec_reader_close(r);
	return 0;
}

static void last_rejects(struct last *l, const char *data, size_t len)
{
	const char *p = data, *end = data + len, *q, *comma;
	char digest[66], *app;

	p = memchr(p, '\n', len); /* the header */
	for (p = p ? p + 1 : end; p < end; p = q) {
		q = memchr(p, '\n', (size_t)(end - p));
		q = q ? q + 1 : end;
		comma = memchr(p, ',', (size_t)(q - p));
		if (!comma || comma == p)
			continue;
		digest[0] = 'r';
		sha256_hex(p, (size_t)(q - p), digest + 1);
		app = xstrndup(p, (size_t)(comma - p));
		note(l, app, digest);
		free(app);
	}
}

static int last_blob(git_repository *repo, const git_tree *t, const char *path, git_oid *prev,
		     git_blob **out, struct err *e)
{
	git_tree_entry *te = NULL;
	int rc;

	*out = NULL;
	rc = git_tree_entry_bypath(&te, t, path);
	if (rc == GIT_ENOTFOUND)
		return 0;
	if (rc < 0)
		return erase_git_fail(e, rc, path);
	if (!git_oid_equal(prev, git_tree_entry_id(te))) {
		git_oid_cpy(prev, git_tree_entry_id(te));
		rc = git_blob_lookup(out, repo, prev);
		if (rc < 0)
			rc = erase_git_fail(e, rc, path);
	}
	git_tree_entry_free(te);
	return rc < 0 ? rc : 0;
}

int erase_last_runs(git_repository *repo, json_t **out, struct err *e)
{
	struct last l = { json_object(), json_object(), NULL };
	git_revwalk *w = NULL;
	git_commit *c = NULL;
	git_tree *t = NULL;
	git_blob *b = NULL;
	git_oid oid, ph, pr;
	char run[64];
	int rc;

	*out = NULL;
	memset(&ph, 0, sizeof(ph));
	memset(&pr, 0, sizeof(pr));
	if ((rc = git_revwalk_new(&w, repo)) < 0 ||
	    (rc = git_revwalk_sorting(w, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE)) < 0 ||
	    (rc = git_revwalk_push_head(w)) < 0) {
		rc = erase_git_fail(e, rc, "cannot walk the staging history");
		goto out;
	}
	git_revwalk_simplify_first_parent(w);
	while ((rc = git_revwalk_next(&oid, w)) == 0) {
		if ((rc = git_commit_lookup(&c, repo, &oid)) < 0 ||
		    (rc = git_commit_tree(&t, c)) < 0) {
			rc = erase_git_fail(e, rc, "cannot read a commit of the staging history");
			goto out;
		}
		erase_run_id_of(git_commit_message(c), run, sizeof(run));
		l.run_id = run;
		if ((rc = last_blob(repo, t, "transform/new_hires.json", &ph, &b, e)) < 0)
			goto out;
		if (b)
			last_hires(&l, git_blob_rawcontent(b), (size_t)git_blob_rawsize(b), e);
		git_blob_free(b);
		b = NULL;
		if ((rc = last_blob(repo, t, "transform/rejects.csv", &pr, &b, e)) < 0)
			goto out;
		if (b)
			last_rejects(&l, git_blob_rawcontent(b), (size_t)git_blob_rawsize(b));
		git_blob_free(b);
		b = NULL;
		git_tree_free(t);
		t = NULL;
		git_commit_free(c);
		c = NULL;
	}
	if (rc != GIT_ITEROVER) {
		rc = erase_git_fail(e, rc, "cannot walk the staging history");
		goto out;
	}
	rc = 0;
	*out = l.run;
	l.run = NULL;
out:
	git_blob_free(b);
	git_tree_free(t);
	git_commit_free(c);
	git_revwalk_free(w);
	json_decref(l.hash);
	json_decref(l.run);
	return rc;
}
