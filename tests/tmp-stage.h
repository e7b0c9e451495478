/*
 * tmp-stage.h: a throw-away staging repo for the C unit tests that need one
 * (records, ledger). tmp_stage_open() makes a directory under $TMPDIR (or
 * /tmp) with no git identity, creates and opens a staging repo in it;
 * tmp_stage_read() reads a file of it; tmp_stage_close() closes it and removes
 * the directory. Header-only, like tap.h.
 */
#ifndef TMP_STAGE_H
#define TMP_STAGE_H

#include <errno.h>
#include <git2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "store/staging.h"
#include "tap.h"
#include "base/xalloc.h"

struct tmp_stage {
	char dir[256];
	struct staging *s;
};

/* 0, or -1 after printing "Bail out!" (the test should return 1). */
__attribute__((unused)) static int tmp_stage_open(struct tmp_stage *t, const char *name)
{
	struct err e = ERR_INIT;
	char repo[300], pipeline[300];
	bool created;
	FILE *f;

	snprintf(t->dir, sizeof(t->dir), "%s/a2h-%s.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", name);
	if (!mkdtemp(t->dir)) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return -1;
	}
	setenv("HOME", t->dir, 1);
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	git_libgit2_init();
	snprintf(pipeline, sizeof(pipeline), "%s/pipeline.json", t->dir);
	f = fopen(pipeline, "w");
	if (!f || fputs("{}\n", f) < 0 || fclose(f) != 0) {
		printf("Bail out! cannot write %s\n", pipeline);
		return -1;
	}
	snprintf(repo, sizeof(repo), "%s/stage", t->dir);
	if (staging_init(repo, pipeline, NULL, &created, &e) < 0 ||
	    staging_open(&t->s, repo, &e) < 0) {
		printf("Bail out! %s\n", e.msg);
		return -1;
	}
	return 0;
}

/* A work-tree file's text (caller frees), NULL when it cannot be read. */
__attribute__((unused)) static char *tmp_stage_read(struct staging *s, const char *relpath)
{
	struct buf b = BUF_INIT;
	struct err e = ERR_INIT;

	if (staging_read(s, relpath, &b, &e) < 0)
		return NULL;
	return buf_detach(&b, NULL);
}

__attribute__((unused)) static void tmp_stage_close(struct tmp_stage *t)
{
	char *cmd = xasprintf("rm -rf '%s'", t->dir);

	staging_close(t->s);
	t->s = NULL;
	git_libgit2_shutdown();
	if (system(cmd) != 0)
		diag("could not remove %s", t->dir);
	free(cmd);
}

#endif
