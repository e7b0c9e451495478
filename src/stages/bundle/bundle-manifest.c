/* bundle-manifest: what a bundle says about itself: MANIFEST lines, MANIFEST.json and README. */
#include "config.h"

#include "stages/bundle/bundle-int.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

void bundle_manifest_line(struct buf *out, const char *sha_hex, const char *path)
{
	const char *p;

	if (!strpbrk(path, "\\\n\r")) {
		buf_addf(out, "%s  %s\n", sha_hex, path);
		return;
	}
	/* GNU sha256sum's escaping: a leading backslash, then \\, \n and \r. */
	buf_addf(out, "\\%s  ", sha_hex);
	for (p = path; *p; p++) {
		if (*p == '\\')
			buf_adds(out, "\\\\");
		else if (*p == '\n')
			buf_adds(out, "\\n");
		else if (*p == '\r')
			buf_adds(out, "\\r");
		else
			buf_addc(out, *p);
	}
	buf_addc(out, '\n');
}

void bundle_readme_build(const struct bundle *b, struct buf *out)
{
	const char *p, *nl;

	buf_addf(out,
		 "ashby2humaans audit bundle: run %s\n"
		 "\n"
		 "This bundle holds what run %s of ashby2humaans had staged when it\n"
		 "ended, read from the staging repository's commit %s\n"
		 "(tag run/%s), not from a working copy that may have changed since.\n"
		 "\n"
		 "  pipeline.json   the mapping in force\n"
		 "  extract/        what Ashby returned (extract/files/: the offer letters)\n"
		 "  transform/      the new hires as they were to be sent to Humaans\n"
		 "  plan/           the operations and the basis they were computed from\n"
		 "  load/           the journal of every Humaans call and the ledger of ids\n"
		 "  MANIFEST        the SHA-256 of every file of the bundle but itself\n"
		 "  MANIFEST.json   run id, commit ids, each file's size and SHA-256\n"
		 "\n"
		 "To verify the bundle after extracting it:\n"
		 "\n"
		 "  cd " BUNDLE_TOP_PREFIX "%s && sha256sum -c MANIFEST\n"
		 "\n"
		 "or, without extracting: ashby2humaans export --verify BUNDLE\n",
		 b->run_id, b->run_id, b->commit[0] ? b->commit : "(unknown)", b->run_id,
		 b->run_id);
	if (b->ncommits) {
		size_t i;

		buf_adds(out, "\nThe run's commits, oldest first:\n\n");
		for (i = 0; i < b->ncommits; i++)
			buf_addf(out, "  %-10s %s %s\n", b->commits[i].stage, b->commits[i].oid,
				 b->commits[i].subject);
	}
	if (b->summary && *b->summary) {
		buf_adds(out, "\nThe run's summary (its tag message):\n\n");
		for (p = b->summary; *p; p = nl + 1) {
			nl = strchr(p, '\n');
			if (!nl)
				nl = p + strlen(p);
			if (nl > p)
				buf_addf(out, "  %.*s\n", (int)(nl - p), p);
			else
				buf_addc(out, '\n');
			if (!*nl)
				break;
		}
	}
}

static int json_add(json_t *obj, const char *key, json_t *v, struct err *e)
{
	if (!v || json_object_set_new(obj, key, v) != 0)
		return err_set(e, ERR_FAIL, "cannot build MANIFEST.json (key '%s')", key);
	return 0;
}

int bundle_manifest_json_build(const struct bundle *b, struct bundle_file *const *files,
			       size_t nfiles, struct buf *out, struct err *e)
{
	json_t *root = json_object(), *arr, *obj;
	char *text = NULL;
	size_t i;
	int rc;

	if (!root)
		return err_set(e, ERR_FAIL, "cannot build MANIFEST.json");
	if ((rc = json_add(root, "format", json_string("ashby2humaans-bundle/1"), e)) ||
	    (rc = json_add(root, "runId", json_string(b->run_id), e)) ||
	    (rc = json_add(root, "tag", json_sprintf("run/%s", b->run_id), e)) ||
	    (rc = json_add(root, "commit", json_string(b->commit), e)) ||
	    (rc = json_add(root, "toolVersion", json_string(PACKAGE_VERSION), e)))
		goto out;

	if ((rc = json_add(root, "commits", arr = json_array(), e)))
		goto out;
	for (i = 0; i < b->ncommits; i++) {
		obj = json_object();
		if (!obj || json_array_append_new(arr, obj)) {
			rc = err_set(e, ERR_FAIL, "cannot build MANIFEST.json");
			goto out;
		}
		if ((rc = json_add(obj, "stage", json_string(b->commits[i].stage), e)) ||
		    (rc = json_add(obj, "commit", json_string(b->commits[i].oid), e)) ||
		    (rc = json_add(obj, "subject", json_string(b->commits[i].subject), e)))
			goto out;
	}

	if ((rc = json_add(root, "stages", obj = json_object(), e)))
		goto out;
	for (i = 0; i < b->nstages; i++) {
		json_t *st = json_object();

		if ((rc = json_add(obj, b->stages[i].stage, st, e)) ||
		    (rc = json_add(st, "commit", json_string(b->stages[i].oid), e)) ||
		    (rc = json_add(st, "runId", json_string(b->stages[i].run_id), e)))
			goto out;
	}

	if ((rc = json_add(root, "files", arr = json_array(), e)))
		goto out;
	for (i = 0; i < nfiles; i++) {
		obj = json_object();
		if (!obj || json_array_append_new(arr, obj)) {
			rc = err_set(e, ERR_FAIL, "cannot build MANIFEST.json");
			goto out;
		}
		/* The path must survive as bytes: non-UTF-8 names were refused earlier. */
		if ((rc = json_add(obj, "path", json_string(files[i]->path), e)) ||
		    (rc = json_add(obj, "sha256", json_string(files[i]->sha), e)) ||
		    (rc = json_add(obj, "size", json_integer((json_int_t)files[i]->len), e)))
			goto out;
	}

	text = json_dumps(root, JSON_SORT_KEYS | JSON_INDENT(2));
	if (!text) {
		rc = err_set(e, ERR_FAIL, "cannot serialise MANIFEST.json");
		goto out;
	}
	buf_adds(out, text);
	buf_addc(out, '\n');
	rc = 0;
out:
	free(text);
	json_decref(root);
	return rc;
}
