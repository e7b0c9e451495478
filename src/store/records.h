/*
 * records: staged arrays of JSON records read and written one record at a
 * time, so a stage's memory does not grow with the number of hires.
 *
 * A staged snapshot such as extract/applications.json is one canonical JSON
 * array (snapshot.h). At 10,000 hires such a file is tens of megabytes and
 * its jansson tree several times that; the readers and writers here hold one
 * record at a time, and the writer's output is byte for byte what
 * snapshot_dump() gives for the whole array (keys sorted, 2-space indent,
 * final newline), so staged files and their diffs do not change.
 *
 * Three tools:
 *   - rec_reader: the elements of an array, in file order, each parsed on its
 *     own (jansson, JSON_REJECT_DUPLICATES, integers kept exact). The array is
 *     either the whole file or one member of a top-level object (the
 *     "operations" of plan/plan.json). Records can be re-read by the byte
 *     offset at which they start, so an index of id -> offset (a few dozen
 *     bytes a record) stands in for the records themselves.
 *   - rec_writer: a canonical file written record by record to a temporary
 *     file beside its target, then put in place atomically (staging.h); when
 *     the bytes equal what is there already the target is left untouched.
 *   - rec_spool: records that arrive in any order (Ashby list pages) kept in
 *     an unlinked temporary file inside the staging repo's .git directory
 *     (owner-only, never in /tmp: they hold personal data), with an in-memory
 *     index of key -> offset, read back by key or in key order.
 */
#ifndef RECORDS_H
#define RECORDS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "base/buf.h"
#include "base/err.h"

struct staging;

/* ---- reading ---- */

struct rec_reader;

/*
 * Open the array of work-tree file `relpath`: the whole file when `member` is
 * NULL, else the array value of that member of the top-level object (a member
 * that is absent reads as an empty array). ERR_NOTFOUND when the file is
 * absent; ERR_INVALID when it is not an array (or not an object with that
 * member as an array). Caller closes with rec_reader_close().
 */
int rec_reader_open(struct staging *s, const char *relpath, const char *member,
		    struct rec_reader **out, struct err *e);
/* The same over bytes in memory (a file read at a revision, a test); `data` is borrowed until close. */
int rec_reader_open_mem(const char *data, size_t len, const char *what, const char *member,
			struct rec_reader **out, struct err *e);
void rec_reader_close(struct rec_reader *r);

/*
 * The next record: returns 1 and sets *out (a new reference), 0 at the end of
 * the array (*out NULL), or a negative code (ERR_INVALID naming the file and
 * the byte offset of the bad record). When `offset` is not NULL it receives
 * the byte offset at which the record starts, for rec_reader_at().
 */
int rec_reader_next(struct rec_reader *r, json_t **out, long *offset, struct err *e);
/* Start again at the first record. */
int rec_reader_rewind(struct rec_reader *r, struct err *e);
/* The record that starts at `offset` (from rec_reader_next); the position of next() is kept. */
int rec_reader_at(struct rec_reader *r, long offset, json_t **out, struct err *e);

/*
 * Read every record from the start and index it by the string member `key`:
 * *out is a new object mapping each key to the record's offset (a JSON
 * integer), or, when `multi`, to an array of offsets in file order. Records
 * without the key (or not objects) are skipped. With !multi a key seen twice
 * is ERR_INVALID. The reader is left at the start.
 */
int rec_reader_index(struct rec_reader *r, const char *key, bool multi, json_t **out,
		     struct err *e);
/* The record whose offset `index` maps `key` to (!multi index): 1 and *out, 0 when absent. */
int rec_reader_find(struct rec_reader *r, const json_t *index, const char *key, json_t **out,
		    struct err *e);

/*
 * One member of the top-level object of work-tree file `relpath` (e.g. the
 * "basis" of plan/plan.json), parsed alone: the other members are skipped a
 * record at a time. *out is a new reference; ERR_NOTFOUND when the file or the
 * member is absent.
 */
int rec_read_member(struct staging *s, const char *relpath, const char *member, json_t **out,
		    struct err *e);

/*
 * The members of a JSON object, one at a time, without building their values
 * (the one reader of staged objects keyed by id: ledger.json, state.json and
 * its "files", the top level of plan.json). rec_members_next() gives each
 * member's name (decoded) and the byte offset of its value in the stream,
 * where it leaves the stream: the caller may read that value (json_loadf with
 * JSON_DISABLE_EOF_CHECK, or a nested walk when it is an object), keep the
 * offset to read it later, or leave it; the next call goes on after the
 * value whatever the caller read in between. A name seen twice is refused
 * (ERR_INVALID, as JSON_REJECT_DUPLICATES), so the walk keeps the names seen
 * so far; values are never held. Values are skipped, not validated: one that
 * is used is parsed for real when it is read.
 *
 * rec_members_begin() starts on `f` (borrowed, seekable) just after the
 * object's '{' (the caller read it, and says what a file without one means);
 * `what` names the file in messages. Free with rec_members_end(); the stream
 * stays the caller's.
 */
struct rec_members;
struct rec_members *rec_members_begin(FILE *f, const char *what);
/*
 * 1 with *name (borrowed until the next call) and *at (the value's offset);
 * 0 once the closing '}' is read (the stream is left just after it); or
 * ERR_INVALID naming the file and the byte ("',' or '}' expected at byte 41").
 */
int rec_members_next(struct rec_members *m, const char **name, long *at, struct err *e);
void rec_members_end(struct rec_members *m); /* NULL is fine */

/*
 * Scanning: the next character of `f` that is not JSON whitespace (EOF at the
 * end), and skipping one JSON value without building it (not a validator),
 * which returns -1 at a premature end of input.
 */
int rec_skip_ws(FILE *f);
int rec_skip_value(FILE *f);

/* ---- writing ---- */

struct rec_writer;

/*
 * Begin writing `relpath` as a top-level array of records (rec_writer_add,
 * then rec_writer_finish). Caller finishes or aborts.
 */
int rec_writer_begin(struct staging *s, const char *relpath, struct rec_writer **out,
		     struct err *e);
/*
 * Begin writing `relpath` as a top-level object whose members are written in
 * order with rec_writer_member() (a whole value) or rec_writer_member_array()
 * (an array whose records follow with rec_writer_add). Member names must come
 * in strictly increasing strcmp order (canonical: sorted keys), else ERR_INVALID.
 */
int rec_writer_begin_object(struct staging *s, const char *relpath, struct rec_writer **out,
			    struct err *e);
int rec_writer_member(struct rec_writer *w, const char *key, const json_t *value, struct err *e);
int rec_writer_member_array(struct rec_writer *w, const char *key, struct err *e);
/*
 * Begin writing `relpath` as free text (plan.txt, a CSV file), appended with
 * rec_writer_text(); finished and aborted like the others.
 */
int rec_writer_begin_text(struct staging *s, const char *relpath, struct rec_writer **out,
			  struct err *e);
int rec_writer_text(struct rec_writer *w, const char *data, size_t len, struct err *e);
/*
 * The same canonical writer into memory: the bytes are appended to `dst`
 * (borrowed; it must outlive the writer) instead of a file, as a top-level
 * array (`object` false) or object. Finish (changed is always false) or abort.
 */
int rec_writer_begin_buf(struct buf *dst, bool object, struct rec_writer **out);
/* Append one record (borrowed) to the open array. */
int rec_writer_add(struct rec_writer *w, const json_t *rec, struct err *e);
/* Records added so far to the open array. */
size_t rec_writer_count(const struct rec_writer *w);
/*
 * Close what is open, then put the file in place atomically; *changed (may be
 * NULL) tells whether the bytes differ from the file that was there. Frees
 * `w` whatever the outcome (on failure the old file is left as it was).
 */
int rec_writer_finish(struct rec_writer *w, bool *changed, struct err *e);
/* Drop the temporary file; the target is untouched. Frees `w`; NULL is fine. */
void rec_writer_abort(struct rec_writer *w);

/* ---- spooling ---- */

struct rec_spool;

/* A new, empty spool in `s`'s .git directory. Caller frees with rec_spool_free(). */
int rec_spool_new(struct staging *s, struct rec_spool **out, struct err *e);
void rec_spool_free(struct rec_spool *sp);
/* Keep `rec` (borrowed) under `key`, replacing any record kept under it before. */
int rec_spool_put(struct rec_spool *sp, const char *key, const json_t *rec, struct err *e);
/* Forget the record under `key` (absent is fine). */
void rec_spool_del(struct rec_spool *sp, const char *key);
bool rec_spool_has(const struct rec_spool *sp, const char *key);
/* The record under `key`: 1 and *out (new reference), 0 when absent. */
int rec_spool_get(struct rec_spool *sp, const char *key, json_t **out, struct err *e);
/* How many keys are kept. */
size_t rec_spool_count(const struct rec_spool *sp);
/*
 * The kept keys in strcmp order: a new array of strings (new reference).
 * Iterate it and rec_spool_get() each, to write a sorted snapshot.
 */
json_t *rec_spool_keys(const struct rec_spool *sp);

#endif
