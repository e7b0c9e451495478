/*
 * staging-check: what every entry point of the staging module checks or
 * translates first: libgit2 and file system errors into a struct err, relative
 * paths that might leave the work tree, writes through a read-only handle.
 */
#include "config.h"

#include "store/staging-int.h"

#include <errno.h>
#include <git2.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define RELPATH_MAX 4096

int staging_git_fail(struct err *e, int gitrc, const char *fmt, ...)
{
	const git_error *ge = git_error_last();
	char what[512];
	va_list ap;
	int code = ERR_FAIL;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (gitrc == GIT_ENOTFOUND || gitrc == GIT_EUNBORNBRANCH)
		code = ERR_NOTFOUND;
	else if (gitrc == GIT_EEXISTS || gitrc == GIT_EAMBIGUOUS || gitrc == GIT_EINVALIDSPEC)
		code = ERR_INVALID;
	else if (ge && ge->klass == GIT_ERROR_OS)
		code = ERR_IO;
	return err_set(e, code, "%s: %s", what,
		       ge && ge->message && *ge->message ? ge->message : "libgit2 error");
}

/* File system errors, with the one users most need to recognise spelled out. */
int staging_io_fail(struct err *e, int errnum, const char *doing, const char *relpath)
{
	if (errnum == ENOSPC)
		return err_set(e, ERR_IO, "no space left on device %s %s", doing, relpath);
#ifdef EDQUOT
	if (errnum == EDQUOT)
		return err_set(e, ERR_IO, "disk quota exceeded %s %s", doing, relpath);
#endif
	return err_set(e, ERR_IO, "%s %s: %s", doing, relpath, strerror(errnum));
}

/* A printable copy of a possibly hostile path, for messages. */
static const char *path_shown(const char *p, char *out, size_t outlen)
{
	size_t o = 0;

	for (; *p && o + 5 < outlen; p++) {
		unsigned char c = (unsigned char)*p;

		if (c < 0x20 || c == 0x7f || c == '\\')
			o += (size_t)snprintf(out + o, outlen - o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
	return out;
}

/*
 * A path relative to the work tree that cannot leave it: not absolute, no
 * empty, "." or ".." component, no ".git" component, no backslash, no
 * control character.
 */
int staging_relpath_check(const char *relpath, struct err *e)
{
	char shown[256];
	const char *p, *comp;
	size_t n;

	if (!relpath || !*relpath)
		return err_set(e, ERR_INVALID, "empty path refused in the staging repo");
	path_shown(relpath, shown, sizeof(shown));
	if (strlen(relpath) > RELPATH_MAX)
		return err_set(e, ERR_INVALID, "path too long refused in the staging repo: '%s'",
			       shown);
	if (relpath[0] == '/')
		return err_set(e, ERR_INVALID, "absolute path '%s' refused in the staging repo",
			       shown);
	for (p = relpath; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c < 0x20 || c == 0x7f)
			return err_set(
				e, ERR_INVALID,
				"path '%s' with a control character refused in the staging repo",
				shown);
		if (c == '\\')
			return err_set(e, ERR_INVALID,
				       "path '%s' with a backslash refused in the staging repo",
				       shown);
	}
	for (comp = relpath;; comp = p + 1) {
		p = strchr(comp, '/');
		n = p ? (size_t)(p - comp) : strlen(comp);
		if (n == 0)
			return err_set(
				e, ERR_INVALID,
				"path '%s' with an empty component refused in the staging repo",
				shown);
		if ((n == 1 && comp[0] == '.') || (n == 2 && comp[0] == '.' && comp[1] == '.'))
			return err_set(e, ERR_INVALID,
				       "path '%s' with a '.' or '..' component refused in the "
				       "staging repo",
				       shown);
		if (n == 4 && strncasecmp(comp, ".git", 4) == 0)
			return err_set(e, ERR_INVALID,
				       "path '%s' inside .git refused in the staging repo", shown);
		if (!p)
			break;
	}
	return 0;
}

int staging_need_writable(const struct staging *s, struct err *e)
{
	if (s->lock_fd < 0)
		return err_set(e, ERR_FAIL, "staging repo '%s' was opened read-only", s->name);
	return 0;
}
