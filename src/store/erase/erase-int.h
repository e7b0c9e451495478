/*
 * erase-int: what the erase-*.c files share (forget, store/erase.h).
 *
 * The pieces: erase-filter.c decides what of a file names the hires being
 * erased and rewrites it without them; erase-scan.c finds what names them
 * (the needles) and, for retention, each hire's last run; erase-rewrite.c
 * recreates the commits and tags; erase-pack.c builds the new .git
 * directory holding only reachable objects; erase-forget.c puts it together.
 */
#ifndef ERASE_INT_H
#define ERASE_INT_H

#include <git2.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/err.h"

/*
 * What identifies the hires being erased: their application ids (`apps`,
 * also needles), candidate and offer ids, personal emails, phones and full
 * names. A needle matches anywhere inside a string, ignoring ASCII case.
 */
struct needles {
	json_t *apps; /* application id -> true */
	json_t *set;  /* every needle -> true */
	char **v;     /* the needles, for matching */
	size_t n;
	bool raw_ok; /* no needle needs JSON escaping: a raw search of JSON text finds them */
};

void needles_init(struct needles *nd);
void needles_release(struct needles *nd);
/* Add `s` (ids always; other texts only when at least 5 bytes long). */
void needles_add(struct needles *nd, const char *s, bool is_id);
void needles_add_app(struct needles *nd, const char *app);
bool needles_is_app(const struct needles *nd, const char *s);
/* Whether `len` bytes at `p` contain a needle (ASCII case ignored). */
bool needles_in_text(const struct needles *nd, const char *p, size_t len);
/* Whether a member name or a string anywhere in `v` contains a needle. */
bool needles_in_json(const struct needles *nd, const json_t *v);

/* How a file is rewritten, by its path. */
enum erase_kind {
	EK_BINARY,  /* left as it is (offer letters of other hires) */
	EK_JSON,    /* record arrays and objects keyed by id */
	EK_LEDGER,  /* load/ledger.json: the hire's entry keeps its Humaans ids, loses `base` */
	EK_PENDING, /* load/ledger.pending.jsonl: the same, a line at a time */
	EK_LINES,   /* .jsonl, .txt: lines (an indented line goes with the one above) */
	EK_CSV,	    /* .csv: records, a quoted field may span lines */
};
enum erase_kind erase_kind_of(const char *path);
/* Whether the file at `path` goes entirely (a path naming a hire: extract/files/<id>/...). */
bool erase_path_drops(const struct needles *nd, const char *path);

/*
 * The file `path` (`len` bytes at `data`) without what names the hires:
 * *changed false (and `out` untouched) when nothing does, else `out` gets the
 * new bytes (canonical JSON stays canonical).
 */
int erase_filter(const struct needles *nd, const char *path, const char *data, size_t len,
		 struct buf *out, bool *changed, struct err *e);
/* A commit or tag message without the lines that name the hires; false when unchanged. */
bool erase_filter_message(const struct needles *nd, const char *msg, struct buf *out);

/* ---- erase-scan.c ---- */

/*
 * Gather the needles of the applications of nd->apps from every version of
 * extract/applications.json, candidates.json, offers.json and
 * transform/new_hires.json reachable from any ref. *seen (may be NULL) gets
 * the applications found at all (new object).
 */
int erase_collect(git_repository *repo, struct needles *nd, json_t **seen, struct err *e);
/*
 * Retention: each hire's last run, the newest run whose commit added or
 * changed its record in transform/new_hires.json or its row in
 * transform/rejects.csv (HEAD's first-parent history). *out: a new object
 * application id -> run id.
 */
int erase_last_runs(git_repository *repo, json_t **out, struct err *e);
/* The Run-Id trailer of a message, copied into `out` ("" when none). */
void erase_run_id_of(const char *msg, char *out, size_t outlen);

/* ---- erase-rewrite.c ---- */

struct rewrite {
	git_repository *repo;
	const struct needles *nd;
	bool dry;	  /* only find out what would change: write nothing */
	json_t *blobs;	  /* "<kind>:<blob id>" -> new blob id ("" dropped) */
	json_t *trees;	  /* "<path>:<tree id>" -> new tree id ("" empty) */
	json_t *commits;  /* old commit id -> new commit id */
	json_t *runs;	  /* run id -> true: runs with a rewritten commit */
	json_t *files;	  /* path -> true: files rewritten or dropped */
	json_t *refs;	  /* ref name -> new object id (heads and tags) */
	size_t rewritten; /* commits recreated */
};

void rewrite_init(struct rewrite *rw, git_repository *repo, const struct needles *nd, bool dry);
void rewrite_release(struct rewrite *rw);
/* Recreate every commit reachable from a ref, parents first, then compute every ref's new target. */
int rewrite_history(struct rewrite *rw, struct err *e);

/* ---- erase-pack.c ---- */

/*
 * Build a complete git directory at `newdir` beside the live one: config,
 * HEAD and info copied, one pack holding exactly the objects reachable from
 * `refs` (name -> object id), packed-refs, and an index of `head_tree`.
 */
int erase_build_gitdir(git_repository *repo, const char *newdir, const json_t *refs,
		       const git_oid *head_tree, struct err *e);
/* Remove a directory tree (absent is fine). */
int erase_rmtree(const char *path, struct err *e);

/* libgit2's last error into `e`. */
int erase_git_fail(struct err *e, int gitrc, const char *what);

#endif
