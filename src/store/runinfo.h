/*
 * runinfo: the runs recorded in the staging repo, as read back by log, show
 * and export: find a run by id, "run/<id>" or "latest", and parse its tag
 * message ("Key: value" lines, doc/ARCHITECTURE.md "Run tags").
 */
#ifndef RUNINFO_H
#define RUNINFO_H

#include <jansson.h>

#include "base/err.h"

struct staging;

struct runinfo {
	char id[64];	 /* the Run-Id */
	char commit[41]; /* the commit its tag points at */
	char *message;	 /* the tag message; owned */
};

/*
 * Find the run named `arg`: a run id, "run/<id>" or "latest" (the newest).
 * ERR_NOTFOUND (message naming `arg`) when there is no such run. Release
 * with runinfo_release().
 */
int runinfo_find(struct staging *s, const char *arg, struct runinfo *out, struct err *e);
void runinfo_release(struct runinfo *ri);

/*
 * The fields of a tag message as a new JSON object: each "Key: value" line
 * after the subject becomes a camelCase key ("Hires-Extracted" ->
 * "hiresExtracted"); whole numbers become integers and Duration a real; the
 * subject line is "subject". Returns a new reference, or NULL on exhaustion.
 */
json_t *runinfo_fields(const char *message);

#endif
