/*
 * review-int.h: shared by the files of src/stages/review/ only.
 *
 * review-html.c   escaping, values, the page's head (CSS, CSP) and its end
 * review-card.c   one hire's card per kind of operation, and one set-aside hire
 * review-page.c   the sections in order, from an index of the operations;
 *                 review_render (in memory) and review_write (plan/plan.html)
 * review-notify.c the notification at the end of run and apply
 */
#ifndef REVIEW_INT_H
#define REVIEW_INT_H

#include <jansson.h>
#include <stdbool.h>

#include "base/buf.h"
#include "base/err.h"
#include "stages/review.h"

/* Bytes of one value shown before it is cut (text_escape's "... (N bytes)"). */
#define RV_SHOW_MAX 2048

/* The page's sections, in order of urgency. */
enum rv_section {
	RV_CONFLICTS,
	RV_LEFT,
	RV_SETASIDE, /* plan.json's rejects, not operations */
	RV_CREATES,
	RV_CHANGES,
	RV_FORGOTTEN,
	RV_WARNINGS, /* the operations that carry warnings */
	RV__COUNT
};

/* Where each operation goes, by a reference the caller resolves (array index or file offset). */
struct rv_refs {
	long *v;
	size_t n, cap;
};

struct rv_counts {
	long creates, changes, conflicts, field_conflicts, left_hired, acknowledged, departed,
		forgotten, set_aside, warnings, other;
};

struct rv_index {
	struct rv_refs sec[RV__COUNT];
	struct rv_counts c;
};

/* Operation `op` (borrowed) filed under `ref`. */
void rv_index_add(struct rv_index *ix, const json_t *op, long ref);
void rv_index_release(struct rv_index *ix);
/* The section of an operation (not RV_SETASIDE nor RV_WARNINGS). */
enum rv_section rv_section_of(const json_t *op);

/* Reads an operation back by reference (new reference in *out). */
typedef int (*rv_get_fn)(void *ctx, long ref, json_t **out, struct err *e);
/* Takes what is in `b` (and empties it). */
typedef int (*rv_emit_fn)(void *ctx, struct buf *b, struct err *e);

/* ------------------------------------------------------------ review-html.c */

/* A value as shown: text_escape (cut at RV_SHOW_MAX), then HTML-escaped. NULL appends nothing. */
void rv_text(struct buf *out, const char *s, size_t len);
void rv_str(struct buf *out, const char *s);
/* A JSON value: a string as rv_text, null or missing as `dflt` (plain text, escaped too),
 * anything else as its compact JSON. */
void rv_json(struct buf *out, const json_t *v, const char *dflt);
/* A string member of an object, or `dflt`. */
void rv_member(struct buf *out, const json_t *o, const char *key, const char *dflt);
/* The id of an operation or reject ("id", or "application"), or NULL. */
const char *rv_op_id(const json_t *op);
/* Its personal email ("personalEmail", or "email"), or NULL. */
const char *rv_op_email(const json_t *op);

/* <!DOCTYPE> to the end of the header: meta, CSP, CSS, the run, the counts, the contents. */
void rv_head(struct buf *out, const struct review_meta *m, const json_t *basis,
	     const struct rv_counts *c);
/* <section id=...><h2>TITLE (N)</h2> and its end; an empty section says so. */
void rv_section_begin(struct buf *out, enum rv_section s, long n);
void rv_section_end(struct buf *out);
/* The footer and </html>. */
void rv_tail(struct buf *out, const struct review_meta *m);

/* ------------------------------------------------------------ review-card.c */

/* One operation's card (an <article>), in the section it belongs to. */
void rv_card(struct buf *out, const json_t *op);
/* One set-aside hire (a reject of plan.json) with the overrides.csv rows to add. */
void rv_reject_card(struct buf *out, const json_t *rej);
/* The rows of the warnings table for one operation. */
void rv_warning_rows(struct buf *out, const json_t *op);

/* ------------------------------------------------------------ review-page.c */

/* The page from an index: `get` reads operations back, `emit` takes the text as it grows. */
int rv_page(const struct rv_index *ix, const json_t *basis, const json_t *rejects,
	    const struct review_meta *m, rv_get_fn get, rv_emit_fn emit, void *ctx, struct err *e);

#endif
