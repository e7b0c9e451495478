/*
 * staging-init: creating a staging repo (or finishing an interrupted init),
 * with its first commit and run tag.
 */
#include "config.h"

#include "store/staging-int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/xalloc.h"

static bool dir_is_empty(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	bool empty = true;

	if (!d)
		return false;
	while (empty && (de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			empty = false;
	closedir(d);
	return empty;
}

/* What init finds in an existing directory. */
enum dir_kind {
	DIR_PLAIN,     /* not a git repository */
	DIR_GIT_OTHER, /* a git repository that is not a staging repo */
	DIR_STAGING,   /* a staging repo: a work tree with pipeline.json and a commit */
	DIR_UNFINISHED /* an init that was interrupted before its commit */
};

/* Only what an interrupted init leaves: .git, pipeline.json, .gitignore, temp files. */
static bool only_init_leftovers(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	bool only = true;

	if (!d)
		return false;
	while (only && (de = readdir(d))) {
		const char *n = de->d_name;

		if (strcmp(n, ".") && strcmp(n, "..") && strcmp(n, ".git") &&
		    strcmp(n, "pipeline.json") && strcmp(n, ".gitignore") &&
		    !(n[0] == '.' && strstr(n, ".tmp-")))
			only = false;
	}
	closedir(d);
	return only;
}

static enum dir_kind dir_classify(const char *dir)
{
	git_repository *repo = NULL;
	enum dir_kind kind = DIR_GIT_OTHER;
	struct stat st;
	git_oid head;
	char *p;

	if (git_repository_open_ext(&repo, dir, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0)
		return DIR_PLAIN;
	if (git_repository_workdir(repo)) {
		p = xasprintf("%s/pipeline.json", dir);
		if (git_reference_name_to_id(&head, repo, "HEAD") < 0) {
			if (only_init_leftovers(dir))
				kind = DIR_UNFINISHED;
		} else if (stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
			kind = DIR_STAGING;
		}
		free(p);
	}
	git_repository_free(repo);
	return kind;
}

static int read_file(const char *path, struct buf *out, struct err *e)
{
	char chunk[65536];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return err_set(e, ERR_IO, "cannot read the pipeline '%s': %s", path,
			       strerror(errno));
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = err_set(e, ERR_IO, "cannot read the pipeline '%s': %s", path,
				     strerror(errno));
			break;
		}
		if (n == 0)
			break;
		if (out->len + (size_t)n > READ_MAX || buf_add(out, chunk, (size_t)n) < 0) {
			rc = err_set(e, ERR_FAIL, "cannot read the pipeline '%s': too large", path);
			break;
		}
	}
	close(fd);
	return rc;
}

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char gitignore[] = "# ashby2humaans: temporary files of interrupted atomic writes.\n"
				".*.tmp-*\n";

int staging_init(const char *dir, const char *pipeline_src, const char *run_id, bool *created,
		 struct err *e)
{
	static const char *const paths[] = { ".gitignore", "pipeline.json", NULL };
	git_repository_init_options opts;
	git_repository *repo = NULL;
	struct staging *s = NULL;
	struct buf pipeline = BUF_INIT, tagmsg = BUF_INIT;
	char id[48], oid[41], started[32];
	double t0 = mono_now();
	time_t now = time(NULL);
	struct stat st;
	struct tm tm;
	bool resume = false, committed;
	int rc;

	*created = false;
	if (stat(dir, &st) == 0) {
		if (!S_ISDIR(st.st_mode))
			return err_set(e, ERR_INVALID, "'%s' exists and is not a directory", dir);
		switch (dir_classify(dir)) {
		case DIR_STAGING:
			return 0;
		case DIR_UNFINISHED:
			resume = true; /* finish what an interrupted init began */
			break;
		case DIR_GIT_OTHER:
			return err_set(e, ERR_INVALID,
				       "'%s' is a git repository but not a staging repo", dir);
		case DIR_PLAIN:
			break;
		}
		if (!resume && !dir_is_empty(dir))
			return err_set(
				e, ERR_INVALID,
				"'%s' exists and is not empty: choose a new or empty directory",
				dir);
	} else if (errno != ENOENT) {
		return err_set(e, ERR_IO, "cannot use '%s': %s", dir, strerror(errno));
	}
	/* Read the pipeline before creating anything, so a bad source leaves no half repo. */
	if ((rc = read_file(pipeline_src, &pipeline, e)) < 0)
		goto out;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		rc = err_set(e, ERR_IO, "cannot create '%s': %s", dir, strerror(errno));
		goto out;
	}
	if (chmod(dir, 0700) < 0) {
		rc = err_set(e, ERR_IO, "cannot restrict '%s' to its owner: %s", dir,
			     strerror(errno));
		goto out;
	}
	if ((rc = git_repository_init_options_init(&opts, GIT_REPOSITORY_INIT_OPTIONS_VERSION)) <
	    0) {
		rc = staging_git_fail(e, rc, "cannot create a git repository in '%s'", dir);
		goto out;
	}
	opts.flags = GIT_REPOSITORY_INIT_NO_REINIT;
	opts.initial_head = "main";
	if (!resume && (rc = git_repository_init_ext(&repo, dir, &opts)) < 0) {
		rc = staging_git_fail(e, rc, "cannot create a git repository in '%s'", dir);
		goto out;
	}
	git_repository_free(repo);
	if ((rc = staging_open(&s, dir, e)) < 0)
		goto out;
	if (run_id) {
		if (!staging_run_id_valid(run_id)) {
			rc = err_set(e, ERR_INVALID, "invalid run id '%s'", run_id);
			goto out;
		}
		snprintf(id, sizeof(id), "%s", run_id);
	} else if ((rc = staging_new_run_id(s, id, sizeof(id), e)) < 0) {
		goto out;
	}
	if ((rc = staging_write(s, "pipeline.json", pipeline.data, pipeline.len, e)) < 0 ||
	    (rc = staging_write(s, ".gitignore", gitignore, sizeof(gitignore) - 1, e)) < 0)
		goto out;
	if ((rc = staging_commit(s, paths, "init", id, "init: staging repo created", NULL, NULL, 0,
				 oid, &committed, e)) < 0)
		goto out;

	gmtime_r(&now, &tm);
	strftime(started, sizeof(started), "%Y-%m-%dT%H:%M:%SZ", &tm);
	buf_addf(&tagmsg,
		 "run %s: ok\n\nCommand: init\nStarted: %s\nDuration: %.3f\n"
		 "Stage-Reached: init\nOutcome: ok\n",
		 id, started, mono_now() - t0);
	if ((rc = staging_tag_run(s, id, tagmsg.data, e)) < 0)
		goto out;
	*created = true;
out:
	staging_close(s);
	buf_release(&tagmsg);
	buf_release(&pipeline);
	return rc;
}
