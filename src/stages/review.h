/*
 * review: the morning review without a terminal. plan/plan.html, the plan as a
 * self-contained web page (inline CSS, no scripts, fonts, images or requests; a
 * strict Content-Security-Policy), and the notification sent when a run ends
 * needing a person.
 *
 * The page is rendered from plan/plan.json alone (its operations, its rejects
 * and its basis; doc/ARCHITECTURE.md and the drift design's plan.json section):
 * no second diff engine. Sections in order of urgency: conflicts and failures,
 * hires that left Hired, set aside (with the overrides.csv row that fixes them),
 * creates, changes (field, old, new, and the base of a three-way change),
 * forgotten, warnings. Every value passes text_escape() (text.h: control
 * characters made visible) and then review_html_escape().
 */
#ifndef REVIEW_H
#define REVIEW_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/err.h"

struct staging;
struct run;
struct config;

/* What the page's header says besides the plan (all borrowed; NULL shows as "(unknown)"). */
struct review_meta {
	const char *run_id;	 /* the run that computed the plan */
	const char *time;	 /* when, "YYYY-MM-DDTHH:MM:SSZ" */
	const char *version;	 /* the tool's version */
	const char *plan_sha256; /* SHA-256 of plan/plan.json */
};

/* The file the page is written to, beside plan.txt and changes.csv. */
#define REVIEW_PAGE "plan/plan.html"

/*
 * Append s[0..len) to `out` with the five characters that mean something in HTML
 * text or a quoted attribute (& < > " ') as character references. Nothing else
 * is changed (the caller runs text_escape() first). NULL s appends nothing.
 */
void review_html_escape(struct buf *out, const char *s, size_t len);

/* The whole page for a plan document in memory ({"basis", "operations", "rejects"}), appended to out. */
int review_render(const json_t *plan, const struct review_meta *m, struct buf *out, struct err *e);

/*
 * Write plan/plan.html from plan/plan.json in the work tree, reading the
 * operations one at a time (records.h). When the page on disk was rendered from
 * the same plan.json (same SHA-256) by the same version it is left untouched, so
 * an unchanged plan makes no commit. m->plan_sha256 is filled in here.
 * *changed (may be NULL) says whether the file changed.
 */
int review_write(struct staging *s, const struct review_meta *m, bool *changed, struct err *e);

/* The stage hook: review_write for the run's plan (run id, start time, this version). */
int review_stage(struct run *r, struct err *e);

/*
 * At the end of `run` and `apply` (run_end, before the repository is closed):
 * with ASHBY2HUMAANS_NOTIFY_URL set and the run needing a person (exit status 1
 * or 3, conflicts, or hires that left Hired in the plan), post one short message
 * (run id, counts, what needs doing, the command that shows the page). Failures
 * are logged; the exit status is never changed.
 */
void review_notify_run(struct run *r, int status);

/* `check --notify-test`: post a test message now. 0 or a negative code (e set). */
int review_notify_test(const struct config *cfg, struct err *e);

#endif
