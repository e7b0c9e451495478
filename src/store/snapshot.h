/*
 * snapshot: canonical JSON and CSV files for the staging repo.
 *
 * Canonical JSON: keys sorted, 2-space indentation, one final newline,
 * arrays of records sorted by their "id" (or another key) by the caller via
 * snapshot_sort_by_key(). The same value gives the same bytes, so an unchanged
 * night gives no diff. Real numbers are never used for money: callers keep
 * amounts as strings.
 *
 * CSV goes through libcsv (quoting) and neutralises spreadsheet formula
 * injection: a cell starting with '=', '+', '-', '@', tab or CR is written with
 * a leading apostrophe so a spreadsheet shows it as text.
 */
#ifndef SNAPSHOT_H
#define SNAPSHOT_H

#include <jansson.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/err.h"

struct staging;

/* Parse JSON strictly (JSON_REJECT_DUPLICATES). *out is a new reference. `what` names the input in errors. */
int snapshot_parse(const char *data, size_t len, const char *what, json_t **out, struct err *e);
/* Dump `v` canonically, appended to `out`. */
int snapshot_dump(const json_t *v, struct buf *out, struct err *e);
/* Sort an array of objects in place by the string value of `key` (records without it last, stable). */
void snapshot_sort_by_key(json_t *array, const char *key);
/* Dump canonically and write atomically to the staging repo. `v` is borrowed. */
int snapshot_write_json(struct staging *s, const char *relpath, const json_t *v, struct err *e);
/* Read and parse a staged JSON file. *out is a new reference. ERR_NOTFOUND when absent. */
int snapshot_read_json(struct staging *s, const char *relpath, json_t **out, struct err *e);

/* CSV writer: fields are appended to a row; rows end with CRLF-free "\n". */
struct csv_writer {
	struct buf out;
	int nfields; /* fields in the current row */
};
void csv_writer_init(struct csv_writer *w);
void csv_writer_release(struct csv_writer *w);
/*
 * Append one field; NULL is written as an empty field, "" as `""`. Neutralises
 * formulas, then quotes (libcsv) a field holding a comma, quote, line break or
 * a space or tab at either end.
 */
void csv_writer_field(struct csv_writer *w, const char *value);
void csv_writer_end_row(struct csv_writer *w);
/* The neutralised form of a cell (caller frees). Exposed for unit tests. */
char *csv_neutralise(const char *value);

/*
 * Parse CSV text (libcsv, strict quoting) and call `row` for each record with
 * its fields (borrowed, valid during the call) and its 1-based line number.
 * A non-zero return from `row` stops and is returned. Parse errors give
 * ERR_INVALID naming `what` and the line. Fields are never NULL (an empty
 * field is ""); libcsv trims spaces and tabs around unquoted fields; `line`
 * is where the record starts (a quoted field may span lines).
 */
typedef int (*csv_row_fn)(void *ctx, char **fields, size_t nfields, size_t line, struct err *e);
int csv_parse_text(const char *data, size_t len, const char *what, csv_row_fn row, void *ctx,
		   struct err *e);

#endif
