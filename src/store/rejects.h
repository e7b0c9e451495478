/*
 * rejects: the reader of transform/rejects.csv, the hires transform set
 * aside (written by transform_rejects_csv(): application_id, candidate,
 * fields, reason). Plan lists them in plan.txt and changes.csv; apply counts
 * them.
 */
#ifndef REJECTS_H
#define REJECTS_H

#include <jansson.h>

#include "base/err.h"

struct staging;

#define REJECTS_FILE "transform/rejects.csv"

/*
 * transform/rejects.csv as [{id, candidate, fields, reason}] sorted by id
 * (new array, caller frees; empty when the file is absent). The header line
 * and rows with no application id are skipped.
 */
int rejects_read(struct staging *s, json_t **out, struct err *e);

#endif
