/*
 * erase-pack: a fresh git directory holding only what the rewritten refs
 * reach (libgit2 has no gc). One pack from a packbuilder over every ref,
 * packed-refs naming them, no reflog, HEAD and config copied, an index of
 * the new HEAD's tree. Built beside the live .git and swapped in whole
 * (staging_swap_gitdir), so the old objects, packs and reflogs go with the
 * old directory.
 */
#define _DEFAULT_SOURCE /* nftw flags */
#define _XOPEN_SOURCE 700
#include "config.h"

#include "store/erase/erase-int.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/xalloc.h"

static int io_fail(struct err *e, const char *doing, const char *path)
{
	return err_set(e, ERR_IO, "cannot %s '%s': %s", doing, path, strerror(errno));
}

static int fsync_path(const char *path, bool dir)
{
	int fd = open(path, (dir ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC), rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

static int write_file(const char *path, const char *data, size_t len, struct err *e)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	size_t off = 0;

	if (fd < 0)
		return io_fail(e, "create", path);
	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			return io_fail(e, "write", path);
		}
		off += (size_t)n;
	}
	if (fsync(fd) < 0) {
		close(fd);
		return io_fail(e, "sync", path);
	}
	return close(fd) < 0 ? io_fail(e, "close", path) : 0;
}

/* Copy `from/name` to `to/name` when it exists. */
static int copy_file(const char *from, const char *to, const char *name, struct err *e)
{
	char *src = xasprintf("%s/%s", from, name), *dst = xasprintf("%s/%s", to, name);
	struct buf b = BUF_INIT;
	char chunk[8192];
	FILE *f = fopen(src, "rb");
	size_t n;
	int rc = 0;

	if (!f) {
		rc = errno == ENOENT ? 0 : io_fail(e, "read", src);
		goto out;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, n);
	if (ferror(f))
		rc = io_fail(e, "read", src);
	fclose(f);
	if (rc == 0)
		rc = write_file(dst, b.data, b.len, e);
out:
	buf_release(&b);
	free(src);
	free(dst);
	return rc;
}

static int make_dirs(const char *newdir, struct err *e)
{
	static const char *const dirs[] = {
		"",	 "/objects",	"/objects/pack", "/objects/info",
		"/refs", "/refs/heads", "/refs/tags",	 "/info"
	};
	size_t i;
	int rc = 0;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]) && rc == 0; i++) {
		char *d = xasprintf("%s%s", newdir, dirs[i]);

		if (mkdir(d, 0700) < 0)
			rc = io_fail(e, "create directory", d);
		free(d);
	}
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The objects `refs` reach, in one pack under newdir/objects/pack; packed-refs beside it. */
static int pack_refs(git_repository *repo, const char *newdir, const json_t *refs, struct err *e)
{
	git_packbuilder *pb = NULL;
	git_revwalk *w = NULL;
	struct buf pr = BUF_INIT;
	const char **names = NULL, *name;
	char *packdir = xasprintf("%s/objects/pack", newdir), *path = NULL;
	size_t n = json_object_size(refs), i = 0;
	json_t *v;
	int rc;

	if ((rc = git_packbuilder_new(&pb, repo)) < 0 || (rc = git_revwalk_new(&w, repo)) < 0) {
		rc = erase_git_fail(e, rc, "cannot start the new pack");
		goto out;
	}
	git_packbuilder_set_threads(pb, 1);
	names = xcalloc(n ? n : 1, sizeof(*names));
	json_object_foreach ((json_t *)refs, name, v)
		names[i++] = name;
	qsort(names, n, sizeof(*names), cmp_str);
	buf_adds(&pr, "# pack-refs with: peeled fully-peeled sorted \n");
	for (i = 0; i < n; i++) {
		git_oid id, peeled;
		git_tag *tag = NULL;

		if ((rc = git_oid_fromstr(&id,
					  json_string_value(json_object_get(refs, names[i])))) < 0)
			break;
		buf_addf(&pr, "%s %s\n", json_string_value(json_object_get(refs, names[i])),
			 names[i]);
		git_oid_cpy(&peeled, &id);
		if (git_tag_lookup(&tag, repo, &id) == 0) {
			char hex[GIT_OID_HEXSZ + 1];

			git_oid_cpy(&peeled, git_tag_target_id(tag));
			buf_addf(&pr, "^%s\n", git_oid_tostr(hex, sizeof(hex), &peeled));
			rc = git_packbuilder_insert(pb, &id, names[i]);
			git_tag_free(tag);
		} else {
			git_error_clear();
		}
		if (rc == 0)
			rc = git_revwalk_push(w, &peeled);
		if (rc < 0)
			break;
	}
	if (rc == 0)
		rc = git_packbuilder_insert_walk(pb, w);
	if (rc == 0)
		rc = git_packbuilder_write(pb, packdir, 0600, NULL, NULL);
	if (rc < 0) {
		rc = erase_git_fail(e, rc, "cannot write the new pack");
		goto out;
	}
	path = xasprintf("%s/packed-refs", newdir);
	if ((rc = write_file(path, pr.data, pr.len, e)) < 0)
		goto out;
	fsync_path(packdir, true);
out:
	free(path);
	free(packdir);
	free(names);
	buf_release(&pr);
	git_revwalk_free(w);
	git_packbuilder_free(pb);
	return rc;
}

static int write_index(git_repository *repo, const char *newdir, const git_oid *head_tree,
		       struct err *e)
{
	git_index *idx = NULL;
	git_tree *t = NULL;
	char *path = xasprintf("%s/index", newdir);
	int rc;

	if ((rc = git_index_open(&idx, path)) < 0 ||
	    (rc = git_tree_lookup(&t, repo, head_tree)) < 0 ||
	    (rc = git_index_read_tree(idx, t)) < 0 || (rc = git_index_write(idx)) < 0)
		rc = erase_git_fail(e, rc, "cannot write the index of the rewritten repository");
	git_tree_free(t);
	git_index_free(idx);
	free(path);
	return rc;
}

int erase_build_gitdir(git_repository *repo, const char *newdir, const json_t *refs,
		       const git_oid *head_tree, struct err *e)
{
	const char *old = git_repository_path(repo);
	char *info = NULL, *oldinfo = NULL;
	int rc;

	if ((rc = make_dirs(newdir, e)) < 0)
		return rc;
	if ((rc = copy_file(old, newdir, "config", e)) < 0 ||
	    (rc = copy_file(old, newdir, "HEAD", e)) < 0 ||
	    (rc = copy_file(old, newdir, "description", e)) < 0)
		return rc;
	oldinfo = xasprintf("%sinfo", old);
	info = xasprintf("%s/info", newdir);
	rc = copy_file(oldinfo, info, "exclude", e);
	if (rc == 0)
		rc = pack_refs(repo, newdir, refs, e);
	if (rc == 0)
		rc = write_index(repo, newdir, head_tree, e);
	if (rc == 0 && fsync_path(newdir, true) < 0)
		rc = io_fail(e, "sync", newdir);
	free(info);
	free(oldinfo);
	return rc;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return (flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 && errno != ENOENT ? -1 : 0;
}

int erase_rmtree(const char *path, struct err *e)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : io_fail(e, "remove", path);
	if (nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) < 0)
		return io_fail(e, "remove", path);
	return 0;
}
