/* bundle_collect: gather a run's files and history from the staging repo into a bundle. */
#include "config.h"

#include "stages/bundle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/hash.h"
#include "store/runinfo.h"
#include "store/staging-tree.h"
#include "store/staging.h"
#include "base/xalloc.h"

/* What a bundle takes from the tree: the mapping and every stage's snapshots. */
static const char *const bundle_prefixes[] = {
	"pipeline.json", "overrides.csv", "extract/", "transform/", "plan/", "load/", NULL
};

static const char *const bundle_stages[] = { "extract", "transform", "plan", "apply", NULL };

static int take_file(void *ctx, const char *path, const char *blob_hex, const void *data,
		     size_t len, struct err *e)
{
	const char *const *p;

	for (p = bundle_prefixes; *p; p++) {
		size_t n = strlen(*p);

		if ((*p)[n - 1] == '/' ? strncmp(path, *p, n) == 0 : strcmp(path, *p) == 0) {
			/* Only the hash is kept: bundle_write reads the bytes again, one file at a time. */
			char sha[65];

			sha256_hex(data, len, sha);
			return bundle_add_file_ref(ctx, path, blob_hex, sha, len, e);
		}
	}
	return 0;
}

static int take_commit(void *ctx, const char *commit_hex, const char *stage, const char *message)
{
	const char *nl = message ? strchr(message, '\n') : NULL;
	char *subject =
		nl ? xstrndup(message, (size_t)(nl - message)) : xstrdup(message ? message : "");

	bundle_add_commit(ctx, stage, commit_hex, subject);
	free(subject);
	return 0;
}

int bundle_collect(struct bundle *b, struct staging *s, struct err *e)
{
	struct runinfo ri;
	const char *const *st;
	char oid[41], run_id[64];
	int rc;

	if ((rc = runinfo_find(s, b->run_id, &ri, e)))
		return rc;
	free(b->run_id);
	b->run_id = xstrdup(ri.id);
	snprintf(b->commit, sizeof(b->commit), "%s", ri.commit);
	b->src = s;
	bundle_set_summary(b, ri.message);
	/* Read from the tagged commit, never from the work tree. */
	if ((rc = staging_tree_walk(s, ri.commit, NULL, take_file, b, e)))
		goto out;
	if ((rc = staging_run_commits(s, ri.id, take_commit, b, e)))
		goto out;
	for (st = bundle_stages; *st; st++) {
		rc = staging_find_stage_at(s, ri.commit, *st, oid, run_id, sizeof(run_id), e);
		if (rc == ERR_NOTFOUND) {
			err_clear(e);
			continue;
		}
		if (rc)
			goto out;
		bundle_add_stage(b, *st, oid, run_id);
	}
	rc = 0;
out:
	runinfo_release(&ri);
	return rc;
}
