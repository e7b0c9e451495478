/*
 * http-adapt: the level of requests in flight and the learnt pace of one
 * client, from its answers (see http-adapt.h for the rules and why).
 */
#include "config.h"

#include "apis/http-adapt.h"

#include <string.h>

void http_adapt_init(struct http_adapt *a, int max, bool pinned)
{
	memset(a, 0, sizeof(*a));
	if (max < 1)
		max = 1;
	a->pinned = pinned;
	a->max = max;
	a->level = pinned || max < HTTP_ADAPT_START ? max : HTTP_ADAPT_START;
	a->reached = a->level;
	a->best = -1;
	a->last_cut = -1;
	a->last_429 = -1;
}

int http_adapt_level(const struct http_adapt *a)
{
	return a->level;
}

double http_adapt_interval(const struct http_adapt *a)
{
	return a->rate > 0 ? 1.0 / a->rate : 0;
}

/* Good answers that finished within the second before `now`. */
static int answers_last_second(const struct http_adapt *a, double now)
{
	int i, n = 0;

	for (i = 0; i < a->ring_len; i++)
		if (a->ring[i] > now - 1.0)
			n++;
	return n;
}

/*
 * A 429. Its request started after the last decrease (else it is old news):
 * halve the level; when it was alone in flight, the limit is on the rate, so
 * cut the pace too, and once a pace is learnt every 429 cuts it (a level
 * grown back under the pace must not let it climb past the limit).
 */
static enum http_adapt_move on_429(struct http_adapt *a, const struct http_adapt_answer *ans)
{
	enum http_adapt_move move = HTTP_ADAPT_SAME;

	a->good = 0;
	if (ans->started < a->last_cut)
		return HTTP_ADAPT_SAME;
	if (ans->in_flight <= 1 || a->rate > 0) {
		if (a->rate > 0)
			a->rate *= HTTP_ADAPT_RATE_CUT;
		else
			a->rate = HTTP_ADAPT_RATE_CUT * answers_last_second(a, ans->finished);
		if (a->rate < HTTP_ADAPT_RATE_FLOOR)
			a->rate = HTTP_ADAPT_RATE_FLOOR;
		a->paces++;
		move = HTTP_ADAPT_PACED;
	}
	if (a->level > 1) {
		a->level /= 2;
		if (move == HTTP_ADAPT_SAME)
			move = HTTP_ADAPT_HALVED;
	}
	if (move != HTTP_ADAPT_SAME)
		a->last_cut = a->last_429 = ans->finished;
	return move;
}

/* A good answer: its latency into the average; a surge halves, fast answers at full use grow. */
static enum http_adapt_move on_good(struct http_adapt *a, const struct http_adapt_answer *ans)
{
	double lat = ans->finished - ans->started;
	bool trusted, fast, fresh = ans->started >= a->last_cut;

	if (lat < 0)
		lat = 0;
	a->avg = a->samples ? a->avg + HTTP_ADAPT_ALPHA * (lat - a->avg) : lat;
	a->samples++;
	trusted = a->samples >= HTTP_ADAPT_WARMUP;
	if (trusted && (a->best < 0 || a->avg < a->best))
		a->best = a->avg;
	if (a->rate > 0 && a->ring_len > 0) {
		/* RATE_GROWTH of itself a second while answers arrive (idle time does not count). */
		double prev = a->ring[(a->ring_next + HTTP_ADAPT_RING - 1) % HTTP_ADAPT_RING];
		double dt = ans->finished - prev, cap = 1.0 / a->rate > 1.0 ? 1.0 / a->rate : 1.0;

		if (dt > cap)
			dt = cap;
		if (dt > 0)
			a->rate *= 1.0 + HTTP_ADAPT_RATE_GROWTH * dt;
	}
	a->ring[a->ring_next] = ans->finished;
	a->ring_next = (a->ring_next + 1) % HTTP_ADAPT_RING;
	if (a->ring_len < HTTP_ADAPT_RING)
		a->ring_len++;

	if (trusted && a->avg > HTTP_ADAPT_SURGE * a->best &&
	    a->avg - a->best > HTTP_ADAPT_SURGE_MIN_S) {
		/* A round trip's worth of answers in a row (one slow answer is no surge). */
		a->good = 0;
		if (!fresh || ++a->slow < a->level)
			return HTTP_ADAPT_SAME;
		/* The slower answers are the new normal unless halving brings them down. */
		a->best = a->avg;
		a->slow = 0;
		if (a->level <= 1)
			return HTTP_ADAPT_SAME;
		a->level /= 2;
		a->surges++;
		a->last_cut = ans->finished;
		return HTTP_ADAPT_SURGED;
	}
	a->slow = 0;
	fast = !trusted || a->avg <= HTTP_ADAPT_FAST * a->best + HTTP_ADAPT_FAST_SLACK_S;
	if (!fast) {
		a->good = 0;
		return HTTP_ADAPT_SAME;
	}
	if (!fresh || a->level >= a->max || ans->in_flight < a->level ||
	    (a->last_429 >= 0 && ans->finished - a->last_429 < HTTP_ADAPT_HOLD_S))
		return HTTP_ADAPT_SAME;
	if (++a->good < a->level)
		return HTTP_ADAPT_SAME;
	a->good = 0;
	a->level++;
	if (a->level > a->reached)
		a->reached = a->level;
	return HTTP_ADAPT_GREW;
}

enum http_adapt_move http_adapt_answer(struct http_adapt *a, const struct http_adapt_answer *ans)
{
	long st = ans->status;

	if (a->pinned)
		return HTTP_ADAPT_SAME;
	if (st == 429)
		return on_429(a, ans);
	if (st == 0 || st == 408 || st >= 500) {
		/* Retried with backoff by the client; no reason to push harder meanwhile. */
		a->good = 0;
		return HTTP_ADAPT_SAME;
	}
	return on_good(a, ans);
}
