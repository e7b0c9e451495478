/* staging-runid: run ids ("YYYYMMDDTHHMMSSZ" with an optional "-N") and their tags. */
#include "config.h"

#include "store/staging-int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/xalloc.h"

/* Run ids: "YYYYMMDDTHHMMSSZ" with an optional "-N". Tag names are built from them. */
bool staging_run_id_valid(const char *id)
{
	const char *p;

	if (!id || !*id || strlen(id) >= 48 || id[0] == '-')
		return false;
	for (p = id; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= 'a' && *p <= 'z') || *p == '-'))
			return false;
	return true;
}

/* Run ids in time order: the base, then the suffix as a number ("-10" after "-9"). */
int staging_run_id_cmp(const char *a, const char *b)
{
	const char *da = strchr(a, '-'), *db = strchr(b, '-');
	size_t la = da ? (size_t)(da - a) : strlen(a), lb = db ? (size_t)(db - b) : strlen(b);
	long na = da ? strtol(da + 1, NULL, 10) : 1, nb = db ? strtol(db + 1, NULL, 10) : 1;
	int c = strncmp(a, b, la < lb ? la : lb);

	if (c)
		return c;
	if (la != lb)
		return la < lb ? -1 : 1;
	if (na != nb)
		return na < nb ? -1 : 1;
	return strcmp(a, b);
}

int staging_tag_exists(struct staging *s, const char *run_id, bool *exists, struct err *e)
{
	char *ref = xasprintf("refs/tags/run/%s", run_id);
	git_oid oid;
	int rc = git_reference_name_to_id(&oid, s->repo, ref);

	*exists = rc == 0;
	if (rc == GIT_ENOTFOUND)
		rc = 0;
	else if (rc < 0)
		rc = staging_git_fail(e, rc, "cannot look up tag run/%s", run_id);
	free(ref);
	return rc;
}

int staging_new_run_id(struct staging *s, char *out, size_t outlen, struct err *e)
{
	return staging_new_run_id_besides(s, NULL, out, outlen, e);
}

int staging_new_run_id_besides(struct staging *s, const char *taken, char *out, size_t outlen,
			       struct err *e)
{
	char base[32], id[48];
	time_t now = time(NULL);
	struct tm tm;
	bool exists = false;
	int n, rc;

	if (!gmtime_r(&now, &tm) || strftime(base, sizeof(base), "%Y%m%dT%H%M%SZ", &tm) == 0)
		return err_set(e, ERR_FAIL, "cannot format the current time as a run id");
	for (n = 1; n < 100000; n++) {
		exists = false;
		if (n == 1)
			snprintf(id, sizeof(id), "%s", base);
		else
			snprintf(id, sizeof(id), "%s-%d", base, n);
		if (taken && strcmp(id, taken) == 0) {
			exists = true;
			continue;
		}
		if (!s)
			break;
		if ((rc = staging_tag_exists(s, id, &exists, e)) < 0)
			return rc;
		if (!exists)
			break;
	}
	if (exists)
		return err_set(e, ERR_FAIL, "no free run id for %s", base);
	if (strlen(id) >= outlen)
		return err_set(e, ERR_FAIL, "run id buffer too small");
	memcpy(out, id, strlen(id) + 1);
	return 0;
}

/* Commits and tags */
