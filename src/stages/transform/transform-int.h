/*
 * transform's private header: included only from src/stages/transform/.
 *
 * transform-values.c   conversions: money, custom value typing (dates, e-mail: base/syntax.h)
 * transform-fields.c   a hire's value slots: setting, notes, rejects, the field checks
 * transform-hire.c     one application to one hire (transform_application), the
 *                      whole-object form (transform_records)
 * transform-read.c     reading extract/ a record at a time and state.json's files index
 * transform-stage.c    the CSV views, transform_write() and the stage
 */
#ifndef TRANSFORM_INT_H
#define TRANSFORM_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "base/buf.h"
#include "base/err.h"
#include "store/overrides.h"
#include "store/pipeline.h"
#include "stages/transform.h"

struct rec_reader;
struct rec_writer;
struct staging;

/* Free text keeps tab and newline (text.h). */
#define TEXT_FREE (TEXT_ALLOW_TAB | TEXT_ALLOW_NEWLINE)

/* A JSON string holding a NUL byte, which json_string_value() would silently cut. */
bool transform_has_nul(const json_t *v);
/* A JSON value for a message, cut to 60 bytes (caller frees). */
char *transform_value_repr(const json_t *v);

/* Slots of a hire's values; the first OV__COUNT are the fields overrides.csv corrects, in its order. */
enum slot {
	S_FIRST = OF_FIRST_NAME,
	S_MIDDLE = OF_MIDDLE_NAME,
	S_LAST = OF_LAST_NAME,
	S_EMAIL = OF_PERSONAL_EMAIL,
	S_PHONE = OF_PERSONAL_PHONE,
	S_START = OF_START_DATE,
	S_TITLE = OF_JOB_TITLE,
	S_DEPT = OF_DEPARTMENT,
	S_REPORTING = OF_REPORTING_TO,
	S_LOCATION = OF_LOCATION,
	S_SAL_AMOUNT = OF_SALARY_AMOUNT,
	S_SAL_CURRENCY = OF_SALARY_CURRENCY,
	OV__COUNT = OF__COUNT,
	S_REPORTING_NAME = OV__COUNT,
	S_LOCATION_CITY,
	S__COUNT
};

struct transform_ctx {
	const struct pipeline *p;	       /* borrowed */
	const struct overrides *ov;	       /* borrowed, may be NULL */
	json_t *dept_idx, *loc_idx, *user_idx; /* id -> record (owned) */
	const json_t **defs; /* per pipeline custom entry, borrowed from the refs (owned array) */
	const json_t *legal_def; /* borrowed from the refs */
};

struct hire {
	const char *id;
	const char *name;
	const char *name_src; /* what the split was given: the legal name or `name` (borrowed) */
	const char *candidate_id;
	const json_t *app, *cand, *job, *offer, *file; /* borrowed */
	char *v[S__COUNT];
	char *note[S__COUNT]; /* why the value is missing (v NULL) or invalid (v set) */
	bool review;
	bool name_nul;	      /* the candidate's (legal) name holds a NUL byte */
	bool name_overridden; /* overrides.csv gives a name field: the source name is not used */
	unsigned nul;	      /* slots (1 << S_...) whose source string holds a NUL byte */
	size_t words;
	json_t *person_extra; /* person fields mapped from custom fields */
	json_t *custom_values;
	json_t *warnings;
	struct buf fields, reasons;
};

/* An application in the order of the outputs: by id, then by position in the file. */
struct app_ref {
	const char *id;	   /* borrowed from app, or owned (the stage's index) */
	const json_t *app; /* borrowed (transform_records), NULL in the stage */
	long off;	   /* the stage: where the application starts in its file */
	size_t seq;
};

/* The pipeline field each slot belongs to. */
extern const enum pipeline_field transform_slot_field[S__COUNT];

/* ---- a hire's slots (transform-fields.c) ---- */

void hire_set(struct hire *h, int slot, const char *value);
void hire_set_clean(struct hire *h, int slot, const char *value);
__attribute__((format(printf, 3, 4))) void hire_note(struct hire *h, int slot, const char *fmt,
						     ...);
__attribute__((format(printf, 3, 4))) void hire_reject(struct hire *h, const char *field,
						       const char *fmt, ...);
__attribute__((format(printf, 2, 3))) void hire_warn(struct hire *h, const char *fmt, ...);
void hire_release(struct hire *h);
/* Check every mapped field; the reasons go into h->reasons. */
void hire_validate(const struct transform_ctx *c, struct hire *h);

/* By id, then by file position: stable, so the first of two equal ids stands. */
int transform_cmp_app_ref(const void *a, const void *b);

/* ---- reading extract/ (transform-read.c) ---- */

/*
 * The Hired applications of extract/applications.json in id order, one at a
 * time. When the file is in id order (extract writes it so) it is read
 * straight through; else an index of (id, offset) sorted by id is read by
 * offset. Of two applications with the same id the first in the file stands.
 */
struct app_stream {
	struct rec_reader *r;  /* owned */
	struct app_ref *order; /* NULL: read straight through (owned, ids owned) */
	size_t n, next;
	char *last; /* the id of the application returned last (owned) */
};

/*
 * A first pass over the applications: whether the Hired ones are in id order,
 * how many applications are Hired (or have no status: sum->hired), and which
 * of them overrides.csv names (appended to `named` as {"id": ...}, what
 * overrides_describe() needs). Then the index, if the order needs one.
 */
int app_stream_scan(struct app_stream *as, const struct overrides *ov,
		    struct transform_summary *sum, json_t *named, struct err *e);
/* The next Hired application (new reference): 1 and *out, 0 at the end. */
int app_stream_next(struct app_stream *as, json_t **out, struct err *e);
void app_stream_release(struct app_stream *as);

/*
 * extract/state.json's "files" (application id -> its offer letter), an
 * object of one entry per hire: indexed by offset rather than loaded.
 */
struct files_index {
	FILE *f;     /* extract/state.json; NULL when absent */
	json_t *idx; /* application id -> offset of its entry (owned) */
};

/* The sources of one application, looked up and released by the stage. */
struct app_sources {
	struct rec_reader *cands, *offers, *jobs; /* NULL when the file is absent (owned) */
	json_t *cand_idx, *offer_idx, *job_idx;	  /* owned */
	struct files_index files;
};

/* Open and index candidates, offers, jobs and state.json's files; release with app_sources_release(). */
int app_sources_init(struct app_sources *src, struct staging *s, struct err *e);
void app_sources_release(struct app_sources *src);
/* Map `app` with what it points to: 1 and *out a hire, 0 and *out a reject. */
int transform_map_sourced(const struct transform_ctx *c, struct app_sources *src, const json_t *app,
			  json_t **out, struct err *e);
/* The reference lists, loaded whole (a few records each): a new object. */
int transform_load_refs(struct staging *s, json_t **out, struct err *e);

#endif
