/*
 * Unit tests: staging (init, atomic writes, path checks, commits with
 * trailers, deletions, reads at a revision, run ids and tags, the lock).
 * Runs with HOME pointing to an empty directory and GIT_CONFIG_NOSYSTEM=1,
 * so it also shows that no git identity is needed.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <git2.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/staging.h"
#include "tap.h"
#include "base/xalloc.h"

static char tmp[256];

static char *path_in(const char *rel)
{
	return xasprintf("%s/%s", tmp, rel);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		diag("cannot write %s: %s", path, strerror(errno));
}

static int mode_of(const char *path)
{
	struct stat st;

	return stat(path, &st) < 0 ? -1 : (int)(st.st_mode & 07777);
}

static void rm_rf(const char *path)
{
	struct stat st;
	struct dirent *de;
	DIR *d;

	if (lstat(path, &st) < 0)
		return;
	if (S_ISDIR(st.st_mode) && (d = opendir(path))) {
		while ((de = readdir(d))) {
			char *child;

			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			child = xasprintf("%s/%s", path, de->d_name);
			rm_rf(child);
			free(child);
		}
		closedir(d);
		rmdir(path);
	} else {
		unlink(path);
	}
}

static int count_commits(struct staging *s)
{
	git_revwalk *w = NULL;
	git_oid oid;
	int n = 0;

	if (git_revwalk_new(&w, staging_git_repo(s)) < 0 || git_revwalk_push_head(w) < 0) {
		git_revwalk_free(w);
		return 0;
	}
	while (git_revwalk_next(&oid, w) == 0)
		n++;
	git_revwalk_free(w);
	return n;
}

static char *head_message(struct staging *s)
{
	git_commit *c = NULL;
	git_oid oid;
	char *msg;

	if (git_reference_name_to_id(&oid, staging_git_repo(s), "HEAD") < 0 ||
	    git_commit_lookup(&c, staging_git_repo(s), &oid) < 0)
		return xstrdup("");
	msg = xstrdup(git_commit_message(c));
	git_commit_free(c);
	return msg;
}

struct collect {
	struct buf text;
};

static int collect_commit(void *ctx, const char *hex, const char *stage, const char *message)
{
	struct collect *c = ctx;

	(void)message;
	buf_addf(&c->text, "%s%s", c->text.len ? "," : "", stage);
	return strlen(hex) == 40 ? 0 : -1;
}

static int collect_run(void *ctx, const char *run_id, const char *message, const char *hex)
{
	struct collect *c = ctx;

	buf_addf(&c->text, "%s%s", c->text.len ? "," : "", run_id);
	(void)message;
	return strlen(hex) == 40 ? 0 : -1;
}

static char pipeline_src[300], repo[300], init_id[48];

static void test_init(void)
{
	struct err e = ERR_INIT;
	struct staging *s = NULL;
	struct buf b = BUF_INIT;
	struct collect c;
	bool created = true;
	char *p, *msg, oid[41], head1[41], head2[41], rid[48];
	int rc;

	snprintf(pipeline_src, sizeof(pipeline_src), "%s/pipeline-src.json", tmp);
	write_file(pipeline_src, "{\n  \"version\": 1\n}\n");
	snprintf(repo, sizeof(repo), "%s/stage", tmp);

	p = path_in("nopipe");
	rc = staging_init(p, "/nonexistent/pipeline.json", NULL, &created, &e);
	ok(rc < 0 && !created, "init with a missing pipeline fails (%s)", e.msg);
	ok(mode_of(p) == -1, "and creates nothing");
	free(p);

	rc = staging_init(repo, pipeline_src, NULL, &created, &e);
	is_int(rc, 0, "init creates a staging repo");
	if (rc)
		diag("%s", e.msg);
	ok(created, "init says it created the repo");
	is_int(mode_of(repo), 0700, "the staging dir is mode 0700");
	p = path_in("stage/pipeline.json");
	is_int(mode_of(p), 0600, "pipeline.json is mode 0600");
	free(p);

	rc = staging_open(&s, repo, &e);
	is_int(rc, 0, "open the new repo");
	if (rc)
		return;
	staging_read(s, "pipeline.json", &b, &e);
	is_str(b.data, "{\n  \"version\": 1\n}\n", "pipeline.json is a copy of the source");
	buf_release(&b);
	is_int(count_commits(s), 1, "init makes one commit");
	msg = head_message(s);
	ok(strstr(msg, "\nStage: init\n") != NULL, "the init commit has the Stage trailer");
	ok(strstr(msg, "\nTool-Version: " PACKAGE_VERSION "\n") != NULL,
	   "the init commit has the Tool-Version trailer");
	ok(strstr(msg, "\nRun-Id: ") != NULL, "the init commit has the Run-Id trailer");
	free(msg);
	rc = staging_find_stage(s, "init", oid, rid, sizeof(rid), &e);
	is_int(rc, 0, "find_stage finds the init commit");
	ok(strlen(rid) == 16 && rid[8] == 'T' && rid[15] == 'Z', "its run id has the UTC form (%s)",
	   rid);
	snprintf(init_id, sizeof(init_id), "%s", rid);
	staging_head(s, head1, &e);
	is_str(oid, head1, "the init commit is HEAD");

	memset(&c, 0, sizeof(c));
	buf_init(&c.text, 0);
	staging_list_runs(s, collect_run, &c, &e);
	is_str(c.text.data, rid, "init tags its run");
	buf_release(&c.text);
	staging_close(s);
	s = NULL;

	created = true;
	rc = staging_init(repo, pipeline_src, NULL, &created, &e);
	ok(rc == 0 && !created, "init on a staging repo changes nothing and says so");
	staging_open_readonly(&s, repo, &e);
	staging_head(s, head2, &e);
	is_str(head2, head1, "HEAD is unchanged after a second init");
	is_int(count_commits(s), 1, "still one commit");
	staging_close(s);

	p = path_in("full");
	mkdir(p, 0755);
	free(p);
	p = path_in("full/somefile");
	write_file(p, "x");
	free(p);
	p = path_in("full");
	rc = staging_init(p, pipeline_src, NULL, &created, &e);
	ok(rc == ERR_INVALID && strstr(e.msg, "not empty"),
	   "init into a non-empty directory fails clearly (%s)", e.msg);
	free(p);
	rc = staging_init(pipeline_src, pipeline_src, NULL, &created, &e);
	ok(rc == ERR_INVALID && strstr(e.msg, "not a directory"), "init onto a file fails (%s)",
	   e.msg);

	p = path_in("empty");
	mkdir(p, 0755);
	rc = staging_init(p, pipeline_src, "20200101T000000Z", &created, &e);
	ok(rc == 0 && created, "init into an existing empty directory works");
	is_int(mode_of(p), 0700, "and restricts it to 0700");
	free(p);

	/* An init interrupted before its commit is finished by the next one. */
	{
		git_repository *r = NULL;
		char *pj;

		p = path_in("half");
		mkdir(p, 0700);
		git_repository_init(&r, p, 0);
		git_repository_free(r);
		pj = path_in("half/pipeline.json");
		write_file(pj, "{\"partial\": true}\n");
		free(pj);
		rc = staging_init(p, pipeline_src, NULL, &created, &e);
		ok(rc == 0 && created, "init finishes an interrupted init (%s)", rc ? e.msg : "ok");
		if (staging_open(&s, p, &e) == 0) {
			struct buf pb = BUF_INIT;

			is_int(count_commits(s), 1, "with one commit");
			staging_read(s, "pipeline.json", &pb, &e);
			is_str(pb.data, "{\n  \"version\": 1\n}\n",
			       "and the pipeline from the source");
			buf_release(&pb);
			staging_close(s);
			s = NULL;
		}
		free(p);

		p = path_in("otherrepo");
		mkdir(p, 0700);
		git_repository_init(&r, p, 0);
		git_repository_free(r);
		pj = path_in("otherrepo/README");
		write_file(pj, "mine\n");
		free(pj);
		rc = staging_init(p, pipeline_src, NULL, &created, &e);
		ok(rc == ERR_INVALID && strstr(e.msg, "not a staging repo"),
		   "init refuses another git repository (%s)", e.msg);
		free(p);
	}

	p = path_in("notthere");
	rc = staging_open(&s, p, &e);
	ok(rc == ERR_NOTFOUND && strstr(e.msg, "ashby2humaans init"),
	   "open of a missing repo says to run init (%s)", e.msg);
	free(p);
}

static void test_write_commit(void)
{
	static const char *const extract[] = { "extract/", NULL };
	static const char *const transform[] = { "transform", NULL };
	const struct trailer extra[] = { { "Hires", "12" }, { "Files-Changed", "3" } };
	struct err e = ERR_INIT;
	struct staging *s = NULL;
	struct buf b = BUF_INIT;
	bool committed;
	char c1[41], c2[41], c3[41], head[41], *p, *msg, *want;
	int rc;

	if (staging_open(&s, repo, &e) < 0) {
		ok(0, "open: %s", e.msg);
		return;
	}
	rc = staging_write(s, "extract/applications.json", "[1]\n", 4, &e);
	is_int(rc, 0, "write a new file in a new directory");
	p = path_in("stage/extract");
	is_int(mode_of(p), 0700, "new directories are mode 0700");
	free(p);
	p = path_in("stage/extract/applications.json");
	is_int(mode_of(p), 0600, "new files are mode 0600");
	free(p);
	staging_write(s, "extract/files/app-1/offer.pdf", "%PDF", 4, &e);

	rc = staging_commit(s, extract, "extract", "20261127T020000Z", "extract: 1 application",
			    "body line\n", extra, 2, c1, &committed, &e);
	ok(rc == 0 && committed, "commit of the new files");
	staging_head(s, head, &e);
	is_str(c1, head, "the commit id is the new HEAD");
	msg = head_message(s);
	want = xasprintf("extract: 1 application\n\nbody line\n\nRun-Id: 20261127T020000Z\n"
			 "Stage: extract\nTool-Version: %s\nHires: 12\nFiles-Changed: 3\n",
			 PACKAGE_VERSION);
	is_str(msg, want, "the commit message has subject, body and trailers in order");
	free(msg);
	free(want);

	rc = staging_commit(s, extract, "extract", "20261127T020000Z", "extract: again", NULL, NULL,
			    0, c2, &committed, &e);
	ok(rc == 0 && !committed, "nothing changed: no commit");
	is_str(c2, c1, "and the HEAD is given back");

	staging_write(s, "transform/new_hires.json", "[]\n", 3, &e);
	rc = staging_commit(s, extract, "extract", "20261127T020000Z", "extract: only", NULL, NULL,
			    0, c2, &committed, &e);
	ok(rc == 0 && !committed, "a change outside the given paths is not committed");
	rc = staging_commit(s, transform, "transform", "20261127T020000Z", "transform: 0 hires",
			    NULL, NULL, 0, c2, &committed, &e);
	ok(rc == 0 && committed, "it is committed with its own path");

	staging_write(s, "extract/applications.json", "[2]\n", 4, &e);
	rc = staging_remove(s, "extract/files", &e);
	is_int(rc, 0, "remove a directory tree");
	is_int(staging_remove(s, "extract/nothing-here", &e), 0, "removing an absent file is fine");
	rc = staging_commit(s, extract, "extract", "20261128T020000Z", "extract: changed", NULL,
			    NULL, 0, c3, &committed, &e);
	ok(rc == 0 && committed, "a change and a deletion are committed");

	rc = staging_read_at(s, "HEAD", "extract/files/app-1/offer.pdf", &b, &e);
	is_int(rc, ERR_NOTFOUND, "the deleted file is gone at HEAD");
	buf_reset(&b);
	/* A leftover temporary file is ignored; a new file in a new directory is not. */
	p = path_in("stage/extract/.applications.json.tmp-abc123");
	write_file(p, "partial");
	free(p);
	staging_write(s, "extract/files/app-2/offer.pdf", "%PDF-2", 6, &e);
	rc = staging_commit(s, extract, "extract", "20261128T020000Z", "extract: new file", NULL,
			    NULL, 0, c2, &committed, &e);
	ok(rc == 0 && committed, "a new file in a new directory is committed");
	rc = staging_read_at(s, "HEAD", "extract/files/app-2/offer.pdf", &b, &e);
	ok(rc == 0 && strcmp(b.data, "%PDF-2") == 0, "and is at HEAD");
	buf_reset(&b);
	rc = staging_read_at(s, "HEAD", "extract/.applications.json.tmp-abc123", &b, &e);
	is_int(rc, ERR_NOTFOUND, "an ignored temporary file is not committed");
	buf_reset(&b);
	p = path_in("stage/extract/.applications.json.tmp-abc123");
	unlink(p);
	free(p);
	staging_remove(s, "extract/files", &e);
	rc = staging_commit(s, extract, "extract", "20261128T020000Z", "extract: gone", NULL, NULL,
			    0, c2, &committed, &e);
	ok(rc == 0 && committed, "and its deletion is committed");
	rc = staging_read_at(s, c1, "extract/files/app-1/offer.pdf", &b, &e);
	ok(rc == 0 && strcmp(b.data, "%PDF") == 0, "and still there at the older commit");
	buf_reset(&b);
	c1[10] = '\0';
	rc = staging_read_at(s, c1, "extract/applications.json", &b, &e);
	ok(rc == 0 && strcmp(b.data, "[1]\n") == 0,
	   "read_at an abbreviated commit id: old content");
	buf_reset(&b);
	rc = staging_read_at(s, "HEAD", "extract/applications.json", &b, &e);
	ok(rc == 0 && strcmp(b.data, "[2]\n") == 0, "read_at HEAD: new content");
	buf_reset(&b);
	rc = staging_read_at(s, "HEAD", "extract", &b, &e);
	is_int(rc, ERR_INVALID, "read_at of a directory is refused");
	rc = staging_read_at(s, "no-such-rev", "extract/applications.json", &b, &e);
	is_int(rc, ERR_NOTFOUND, "read_at an unknown revision");
	buf_release(&b);

	rc = staging_append_line(s, "load/journal.jsonl", "{\"a\":1}", &e);
	rc |= staging_append_line(s, "load/journal.jsonl", "{\"a\":2}\n", &e);
	staging_read(s, "load/journal.jsonl", &b, &e);
	ok(rc == 0 && strcmp(b.data, "{\"a\":1}\n{\"a\":2}\n") == 0, "append_line appends lines");
	buf_release(&b);
	is_int(staging_append_line(s, "load/journal.jsonl", "a\nb", &e), ERR_INVALID,
	       "append_line refuses a line break inside the line");
	is_int(staging_read(s, "load/none.json", &b, &e), ERR_NOTFOUND, "read of an absent file");
	buf_release(&b);
	staging_close(s);
}

static void test_hostile_paths(void)
{
	static const char *const bad[] = { "../x",
					   "/etc/x",
					   "a/../../b",
					   "a\x01"
					   "b",
					   "a\\b",
					   "",
					   "a//b",
					   "x/",
					   "./x",
					   ".git/config",
					   "sub/.GIT/x",
					   "a/..",
					   "tab\there",
					   "del\x7f" };
	struct err e = ERR_INIT;
	struct staging *s = NULL;
	struct buf b = BUF_INIT;
	char *p;
	size_t i;

	if (staging_open(&s, repo, &e) < 0) {
		ok(0, "open: %s", e.msg);
		return;
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char shown[64];
		size_t j, o = 0;

		for (j = 0; bad[i][j] && o < sizeof(shown) - 5; j++)
			o += (size_t)snprintf(shown + o, sizeof(shown) - o,
					      (unsigned char)bad[i][j] < 0x20 || bad[i][j] == 0x7f
						      ? "\\x%02x"
						      : "%c",
					      (unsigned char)bad[i][j]);
		shown[o] = '\0';
		ok(staging_write(s, bad[i], "x", 1, &e) == ERR_INVALID, "write refuses '%s': %s",
		   shown, e.msg);
		ok(strchr(e.msg, '\x01') == NULL, "the message shows no raw control character");
		ok(staging_read(s, bad[i], &b, &e) == ERR_INVALID, "read refuses '%s'", shown);
		ok(staging_remove(s, bad[i], &e) == ERR_INVALID, "remove refuses '%s'", shown);
		ok(staging_append_line(s, bad[i], "x", &e) == ERR_INVALID, "append refuses '%s'",
		   shown);
		ok(staging_read_at(s, "HEAD", bad[i], &b, &e) == ERR_INVALID,
		   "read_at refuses '%s'", shown);
	}
	buf_release(&b);

	/* A symlink in the work tree must not lead a write outside it. */
	p = path_in("stage/link");
	if (symlink(tmp, p) == 0) {
		ok(staging_write(s, "link/x", "x", 1, &e) == ERR_INVALID &&
			   strstr(e.msg, "not a directory"),
		   "a write through a symlinked directory is refused (%s)", e.msg);
		unlink(p);
	} else {
		ok(0, "symlink: %s", strerror(errno));
	}
	free(p);
	p = path_in("stage/afile");
	write_file(p, "x");
	ok(staging_write(s, "afile/x", "x", 1, &e) == ERR_INVALID,
	   "a write below a file is refused (%s)", e.msg);
	unlink(p);
	free(p);

	p = path_in("x");
	is_int(mode_of(p), -1, "nothing was written outside the work tree");
	free(p);
	p = path_in("b");
	is_int(mode_of(p), -1, "nothing was written two levels up");
	free(p);
	staging_close(s);
}

static void test_write_failure(void)
{
	struct err e = ERR_INIT;
	struct staging *s = NULL;
	struct buf b = BUF_INIT;
	struct rlimit old, small;
	struct dirent *de;
	char *big, *dir;
	DIR *d;
	int rc, leftovers = 0;

	if (staging_open(&s, repo, &e) < 0) {
		ok(0, "open: %s", e.msg);
		return;
	}
	staging_write(s, "extract/big.json", "old\n", 4, &e);
	/* A file size limit makes write(2) fail (EFBIG) like a full disk would. */
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &old);
	small = old;
	small.rlim_cur = 4096;
	setrlimit(RLIMIT_FSIZE, &small);
	big = xmalloc(65536);
	memset(big, 'x', 65536);
	rc = staging_write(s, "extract/big.json", big, 65536, &e);
	setrlimit(RLIMIT_FSIZE, &old);
	free(big);
	is_int(rc, ERR_IO, "a failed write is an i/o error");
	ok(strstr(e.msg, "writing extract/big.json") != NULL, "the message names the file (%s)",
	   e.msg);
	staging_read(s, "extract/big.json", &b, &e);
	is_str(b.data, "old\n", "the old file is intact");
	buf_release(&b);
	dir = path_in("stage/extract");
	if ((d = opendir(dir))) {
		while ((de = readdir(d)))
			if (strstr(de->d_name, ".tmp-"))
				leftovers++;
		closedir(d);
	}
	free(dir);
	is_int(leftovers, 0, "no temporary file is left behind");
	staging_remove(s, "extract/big.json", &e);
	staging_close(s);
}

static void test_runs(void)
{
	struct err e = ERR_INIT;
	struct staging *s = NULL, *ro = NULL;
	struct collect c;
	bool committed;
	char id1[48], id2[48], want[64], oid[41], head[41], rid[48];
	char prefix[9];
	int rc, tries;

	if (staging_open(&s, repo, &e) < 0) {
		ok(0, "open: %s", e.msg);
		return;
	}
	rc = staging_new_run_id(s, id1, sizeof(id1), &e);
	ok(rc == 0 && strlen(id1) >= 16 && id1[8] == 'T' && id1[15] == 'Z' &&
		   (id1[16] == '\0' || id1[16] == '-'),
	   "a new run id (%s)", id1);
	for (tries = 0; tries < 5; tries++) {
		staging_new_run_id(s, id1, sizeof(id1), &e);
		staging_tag_run(s, id1, "run x: ok\n\nCommand: test\nOutcome: ok\n", &e);
		staging_new_run_id(s, id2, sizeof(id2), &e);
		if (strncmp(id1, id2, 16) == 0)
			break; /* both in the same second */
	}
	/* The next free suffix: "-2" after a bare id, "-(n+1)" after "-n". */
	snprintf(want, sizeof(want), "%.16s-%ld", id1,
		 id1[16] == '-' ? strtol(id1 + 17, NULL, 10) + 1 : 2);
	is_str(id2, want, "a second run id in the same second gets the next suffix");
	diag("run ids %s then %s", id1, id2);
	{
		char id3[48];

		rc = staging_new_run_id_besides(s, id2, id3, sizeof(id3), &e);
		ok(rc == 0 && strcmp(id3, id2) != 0,
		   "a run id besides one handed out but not tagged yet (%s, not %s)", id3, id2);
	}
	rc = staging_tag_run(s, id1, "again", &e);
	ok(rc < 0 && strstr(e.msg, id1), "a run tag cannot be made twice (%s)", e.msg);
	is_int(staging_tag_run(s, "bad/id", "x", &e), ERR_INVALID,
	       "a run id with a slash is refused");

	/* Run ids whose string order is not their time order. */
	staging_tag_run(s, "20200101T000000Z", "m", &e);
	staging_tag_run(s, "20200101T000000Z-2", "m", &e);
	staging_tag_run(s, "20200101T000000Z-10", "m", &e);
	staging_tag_run(s, "20191231T235959Z", "m", &e);
	memset(&c, 0, sizeof(c));
	buf_init(&c.text, 0);
	rc = staging_list_runs(s, collect_run, &c, &e);
	is_int(rc, 0, "list_runs");
	ok(strstr(c.text.data, "20200101T000000Z-10,20200101T000000Z-2,20200101T000000Z,"
			       "20191231T235959Z") != NULL,
	   "list_runs: newest first, suffixes in numeric order (%s)", c.text.data);
	ok(strncmp(c.text.data, id1, 16) == 0, "list_runs: the newest run comes first");
	buf_release(&c.text);

	/* Commits of two runs, interleaved with the earlier ones. */
	staging_write(s, "extract/applications.json", "[3]\n", 4, &e);
	staging_commit(s, (const char *const[]){ "extract", NULL }, "extract", "20300101T000000Z",
		       "extract: r1", NULL, NULL, 0, oid, &committed, &e);
	staging_write(s, "transform/new_hires.json", "[3]\n", 4, &e);
	staging_commit(s, (const char *const[]){ "transform", NULL }, "transform",
		       "20300101T000000Z", "transform: r1", NULL, NULL, 0, oid, &committed, &e);
	staging_write(s, "extract/applications.json", "[4]\n", 4, &e);
	staging_commit(s, (const char *const[]){ "extract", NULL }, "extract", "20300102T000000Z",
		       "extract: r2", NULL, NULL, 0, head, &committed, &e);
	memset(&c, 0, sizeof(c));
	buf_init(&c.text, 0);
	rc = staging_run_commits(s, "20300101T000000Z", collect_commit, &c, &e);
	ok(rc == 0, "run_commits");
	is_str(c.text.data, "extract,transform", "run_commits: the run's commits, oldest first");
	buf_reset(&c.text);
	staging_run_commits(s, "20261127T020000Z", collect_commit, &c, &e);
	is_str(c.text.data, "extract,transform", "run_commits: an earlier run's commits");
	buf_reset(&c.text);
	staging_run_commits(s, "19990101T000000Z", collect_commit, &c, &e);
	is_str(c.text.data, "", "run_commits: an unknown run has none");
	buf_release(&c.text);

	rc = staging_find_stage(s, "extract", oid, rid, sizeof(rid), &e);
	ok(rc == 0 && strcmp(oid, head) == 0, "find_stage: the newest extract commit");
	is_str(rid, "20300102T000000Z", "find_stage: its run id");
	is_int(staging_find_stage(s, "apply", oid, NULL, 0, &e), ERR_NOTFOUND,
	       "find_stage: no apply commit");

	/* Resolve. */
	staging_tag_run(s, "20300102T000000Z", "run 20300102T000000Z: ok\n", &e);
	rc = staging_resolve(s, "HEAD", oid, &e);
	ok(rc == 0 && strcmp(oid, head) == 0, "resolve HEAD");
	memcpy(prefix, head, 8);
	prefix[8] = '\0';
	rc = staging_resolve(s, prefix, oid, &e);
	ok(rc == 0 && strcmp(oid, head) == 0, "resolve a commit id prefix");
	rc = staging_resolve(s, "run/20300102T000000Z", oid, &e);
	ok(rc == 0 && strcmp(oid, head) == 0, "resolve a run tag");
	rc = staging_resolve(s, "20300102T000000Z", oid, &e);
	ok(rc == 0 && strcmp(oid, head) == 0, "resolve a bare run id");
	staging_find_stage(s, "init", head, NULL, 0, &e);
	rc = staging_resolve(s, init_id, oid, &e);
	ok(rc == 0 && strcmp(oid, head) == 0, "resolve the init run id to the init commit");
	rc = staging_resolve(s, "29990101T000000Z", oid, &e);
	ok(rc == ERR_NOTFOUND && strstr(e.msg, "29990101T000000Z"), "resolve an unknown run (%s)",
	   e.msg);

	/* Read-only handles. */
	rc = staging_open_readonly(&ro, repo, &e);
	is_int(rc, 0, "a read-only open works while the lock is held");
	if (ro) {
		is_int(staging_write(ro, "x.json", "x", 1, &e), ERR_FAIL,
		       "a read-only handle refuses writes");
		staging_close(ro);
	}
	{
		git_commit *cm = NULL;
		git_oid o;

		git_reference_name_to_id(&o, staging_git_repo(s), "HEAD");
		git_commit_lookup(&cm, staging_git_repo(s), &o);
		is_str(cm ? git_commit_author(cm)->name : NULL, "ashby2humaans",
		       "commits are made by the tool (no git identity needed)");
		is_str(cm ? git_commit_author(cm)->email : NULL, "ashby2humaans@localhost",
		       "with the tool's address");
		git_commit_free(cm);
	}
	staging_close(s);
}

static void test_lock(void)
{
	struct err e = ERR_INIT;
	struct staging *s = NULL;
	int ready[2], release[2], status = 0;
	char byte = 0, want[64];
	pid_t pid;
	int rc;

	if (pipe(ready) < 0 || pipe(release) < 0) {
		ok(0, "pipe: %s", strerror(errno));
		return;
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct staging *cs = NULL;

		close(ready[0]);
		close(release[1]);
		byte = staging_open(&cs, repo, &e) == 0 ? 'y' : 'n';
		if (write(ready[1], &byte, 1) != 1)
			_exit(2);
		if (read(release[0], &byte, 1) < 0)
			_exit(2);
		staging_close(cs);
		_exit(0);
	}
	close(ready[1]);
	close(release[0]);
	if (read(ready[0], &byte, 1) != 1)
		byte = 0;
	is_int(byte, 'y', "a child process takes the lock");
	rc = staging_open(&s, repo, &e);
	is_int(rc, ERR_LOCKED, "a second open fails with ERR_LOCKED");
	snprintf(want, sizeof(want), "is locked by pid %ld (another ashby2humaans run)", (long)pid);
	ok(strstr(e.msg, want) != NULL, "the message names the holder's pid (%s)", e.msg);
	ok(strstr(e.msg, repo) != NULL, "and the staging repo");
	if (write(release[1], "x", 1) != 1)
		diag("cannot release the child");
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child exits cleanly");
	close(ready[0]);
	close(release[1]);
	rc = staging_open(&s, repo, &e);
	is_int(rc, 0, "after the holder ends, the lock can be taken");
	staging_close(s);
}

int main(void)
{
	char *home;

	snprintf(tmp, sizeof(tmp), "%s/a2h-staging.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmp)) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	/* No git identity and no user or system config at all. */
	home = path_in("home");
	mkdir(home, 0700);
	setenv("HOME", home, 1);
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("GIT_AUTHOR_NAME");
	unsetenv("GIT_AUTHOR_EMAIL");
	unsetenv("GIT_COMMITTER_NAME");
	unsetenv("GIT_COMMITTER_EMAIL");
	unsetenv("EMAIL");
	free(home);
	git_libgit2_init();

	test_init();
	test_write_commit();
	test_hostile_paths();
	test_write_failure();
	test_runs();
	test_lock();

	git_libgit2_shutdown();
	rm_rf(tmp);
	return tap_done();
}
