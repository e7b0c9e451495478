/*
 * http-adapt: how many requests one API client keeps in flight (`--jobs
 * auto`), and a pace it has learnt, adapted to the API's answers. Pure: no
 * clock and no I/O; the times of each answer are passed in, so unit tests
 * drive it with made-up times (tests/test-adapt.c).
 *
 * The level starts at HTTP_ADAPT_START (or the ceiling when that is lower)
 * and moves by additive increase, multiplicative decrease:
 *   - grow by one after `level` good answers in a row (about one step per
 *     round trip) while the level is in use (as many in flight as the level
 *     allows) and the moving average of latency stays near the best seen;
 *   - halve on a 429 (the Retry-After pause itself is the client's) or on a
 *     latency surge: the moving average well above the best seen (twice it,
 *     and HTTP_ADAPT_SURGE_MIN_S more) for `level` answers in a row, the
 *     server slowing under the load (one slow answer is no surge); the
 *     slower average is then the baseline, so a server that stays slower
 *     is not cut again and again;
 *   - no growth for HTTP_ADAPT_HOLD_S after a 429: a round trip is far
 *     shorter than the Retry-After pause a 429 costs, so growing straight
 *     back would buy one 429 a second; holding also lets a rate limit show
 *     itself at the lower level (below);
 *   - one decrease per round trip: an answer to a request started before
 *     the last decrease says nothing about the new level and is not held
 *     against it;
 *   - a 429 when only one request was in flight cannot be concurrency: the
 *     API limits the rate. The client then paces its starts at 80% of the
 *     answers it got in the last second (80% of the pace it had, on later
 *     429s, whatever is then in flight), and the pace grows back by 1% a
 *     second as answers arrive, so a rate limit costs a 429 about every 20
 *     seconds, not one a second.
 *   - 5xx, 408 and network failures stop the growth (they are retried with
 *     backoff by the client) but decrease nothing.
 * Never below 1 nor above the ceiling. Pinned (`--jobs N`): the level is N
 * and nothing moves.
 */
#ifndef HTTP_ADAPT_H
#define HTTP_ADAPT_H

#include <stdbool.h>

#define HTTP_ADAPT_START 4   /* requests in flight at first */
#define HTTP_ADAPT_MAX 16    /* the default ceiling of --jobs auto */
#define HTTP_ADAPT_WARMUP 8  /* answers before the latency average is trusted */
#define HTTP_ADAPT_ALPHA 0.2 /* weight of the newest latency in the moving average */
#define HTTP_ADAPT_FAST 1.5  /* "fast": the average at most this times the best (+ slack) */
#define HTTP_ADAPT_FAST_SLACK_S 0.010
#define HTTP_ADAPT_SURGE 2.0	     /* a surge: the average above this times the best ... */
#define HTTP_ADAPT_SURGE_MIN_S 0.050 /* ... and above the best by this much */
#define HTTP_ADAPT_RATE_CUT 0.8	     /* the pace after a 429 at one in flight */
#define HTTP_ADAPT_RATE_GROWTH 0.01  /* the pace grows by this share a second */
#define HTTP_ADAPT_RATE_FLOOR 0.2    /* requests per second, the slowest pace */
#define HTTP_ADAPT_RING 64	     /* good answers remembered for the last second's count */
#define HTTP_ADAPT_HOLD_S 2.0	     /* no growth this long after a 429 */

/* What one finished attempt says. */
struct http_adapt_answer {
	double started;	 /* monotonic seconds when the attempt started */
	double finished; /* and when it finished */
	long status;	 /* HTTP status; 0: no answer (network failure) */
	int in_flight;	 /* attempts in flight on the client when it finished, itself included */
};

enum http_adapt_move {
	HTTP_ADAPT_SAME = 0,
	HTTP_ADAPT_GREW,   /* one more in flight */
	HTTP_ADAPT_HALVED, /* a 429 */
	HTTP_ADAPT_SURGED, /* a latency surge */
	HTTP_ADAPT_PACED,  /* a 429 at one in flight: the pace was cut (the level may also halve) */
};

struct http_adapt {
	bool pinned;
	int level;	 /* requests allowed in flight now */
	int max;	 /* the ceiling */
	int reached;	 /* the highest level so far */
	int good;	 /* good answers in a row at full use since the last move */
	int slow;	 /* answers in a row with the average in a surge */
	int samples;	 /* latencies averaged */
	double avg;	 /* moving average of good answers' latency, seconds */
	double best;	 /* the lowest average seen after the warm-up */
	double last_cut; /* finish time of the last decrease (-1: none) */
	double last_429; /* finish time of the last 429 that moved something (-1: none) */
	double rate;	 /* the learnt pace in requests per second; 0: none */
	double ring[HTTP_ADAPT_RING]; /* finish times of the last good answers */
	int ring_next, ring_len;
	unsigned long surges; /* decreases for a latency surge */
	unsigned long paces;  /* pace cuts */
};

/* Start: pinned at `max` (--jobs N), or adaptive up to `max` (--jobs auto). max < 1 means 1. */
void http_adapt_init(struct http_adapt *a, int max, bool pinned);
/* Take one finished attempt into account; returns what moved. */
enum http_adapt_move http_adapt_answer(struct http_adapt *a, const struct http_adapt_answer *ans);
/* Requests allowed in flight now. */
int http_adapt_level(const struct http_adapt *a);
/* The learnt spacing between starts in seconds (1 / pace); 0 when no pace was learnt. */
double http_adapt_interval(const struct http_adapt *a);

#endif
