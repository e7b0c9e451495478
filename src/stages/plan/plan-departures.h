/*
 * plan-departures: the plan's operations for hires that left `Hired`
 * (doc/ARCHITECTURE.md, "plan/"). Two kinds, beside the hires' own:
 *
 *  - "left-hired": an application the ledger maps to a Humaans person this
 *    tool created, that has no hire in transform/new_hires.json, is not set
 *    aside in transform/rejects.csv and is not forgotten (load/tombstones.json).
 *    The operation names the exact command that removes the person
 *    ("command": "ashby2humaans delete-new-hire <application id>"); nothing is
 *    ever deleted by the plan or apply. Until a person runs it, or
 *    acknowledges the departure with the overrides.csv row
 *    "<application id>,acknowledge,left-hired", it needs attention (the run
 *    exits 3 every night); acknowledged ("acknowledged": true) it is a plain
 *    informational line.
 *  - "departed": an application extract/departed.json lists (it left Hired
 *    this extract) that the ledger does not know: it simply left the creates;
 *    informational, with why.
 *
 * An operation: {"id", "action", "name"? (from the ledger entry's
 * base.person: "First Last"; absent otherwise), "personId"? (left-hired),
 * "status"? (Ashby's status now, from departed.json when it says), "reason",
 * "command"? and "acknowledged" (left-hired), "changes": [], "warnings": [],
 * "steps": []}. apply carries out no step of either.
 */
#ifndef PLAN_DEPARTURES_H
#define PLAN_DEPARTURES_H

#include <jansson.h>
#include <stdbool.h>

#include "base/buf.h"
#include "base/err.h"

struct staging;

#define PLAN_ACTION_LEFT_HIRED "left-hired"
#define PLAN_ACTION_DEPARTED "departed"
#define PLAN_DEPARTED_FILE "extract/departed.json"

/* What the departures are computed from; every member is borrowed and may be NULL (none). */
struct plan_departures_in {
	const json_t *ledger;	  /* application -> ledger entry (personId, base) */
	const json_t *hire_ids;	  /* application id -> anything: the hires in new_hires.json */
	const json_t *rejects;	  /* [{id, ...}]: transform/rejects.csv */
	const json_t *tombstones; /* application id -> {...}: load/tombstones.json */
	const json_t *acks;	  /* application id -> anything: acknowledged left-hired */
	const json_t *departed;	  /* [{id, status, reason}]: extract/departed.json */
};

/* The pure core: the operations, sorted by id (new array). */
json_t *plan_departures(const struct plan_departures_in *in);

/*
 * The stage's side: reads load/tombstones.json and extract/departed.json
 * (absent: none) and the acknowledgement rows of overrides.csv, then
 * plan_departures() with the borrowed `ledger` (plan's view of it),
 * `hire_ids` and `rejects`. *out: new array. A file that is not what its
 * format says is ERR_INVALID naming it.
 */
int plan_departures_read(struct staging *s, const json_t *ledger, const json_t *hire_ids,
			 const json_t *rejects, json_t **out, struct err *e);

/*
 * The SHA-256 of overrides.csv ("" when absent), for plan.json's basis
 * ("overridesSha256"): an acknowledgement row changes no transformed hire, so
 * `run` must see the file itself change to plan again rather than skip.
 */
int plan_departures_overrides_sha(struct staging *s, char out[65], struct err *e);

/* Whether `op` needs attention: a left-hired operation not acknowledged. */
bool plan_departure_attention(const json_t *op);

/*
 * The plan.txt lines of a left-hired or departed operation, appended to
 * `out`: a line starting with '!' (needs attention) or '*' (informational).
 * Returns false, appending nothing, for any other operation.
 */
bool plan_departures_render(const json_t *op, bool color, struct buf *out);

/* plan.txt's closing line about the left-hired hires needing attention (none when n is 0). */
void plan_departures_render_tail(long n, struct buf *out);

#endif
