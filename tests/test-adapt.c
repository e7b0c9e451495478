/* Unit tests for http-adapt: the level of requests in flight, driven by made-up answers. */
#include "config.h"

#include "apis/http-adapt.h"
#include "tap.h"

/* A made-up clock: each answer finishes `step` seconds after the previous one. */
struct clock {
	double now;
};

/* One answer of `latency` seconds with `in_flight` out, finishing `step` after the last. */
static enum http_adapt_move answer(struct http_adapt *a, struct clock *t, double step,
				   double latency, long status, int in_flight)
{
	struct http_adapt_answer ans;

	t->now += step;
	ans.started = t->now - latency;
	ans.finished = t->now;
	ans.status = status;
	ans.in_flight = in_flight;
	return http_adapt_answer(a, &ans);
}

/* `n` good answers of `latency` with the level in full use. */
static void fast(struct http_adapt *a, struct clock *t, int n, double latency)
{
	int i;

	for (i = 0; i < n; i++)
		answer(a, t, 0.01, latency, 200, http_adapt_level(a));
}

static void test_grows(void)
{
	struct http_adapt a;
	struct clock t = { 100 };
	int i, moves = 0;

	http_adapt_init(&a, 16, false);
	is_int(http_adapt_level(&a), 4, "auto starts at 4");
	for (i = 0; i < 3; i++)
		answer(&a, &t, 0.01, 0.05, 200, 4);
	is_int(http_adapt_level(&a), 4, "three good answers at 4: not yet");
	is_int(answer(&a, &t, 0.01, 0.05, 200, 4), HTTP_ADAPT_GREW, "the fourth grows");
	is_int(http_adapt_level(&a), 5, "one more in flight after a level's worth of answers");
	for (i = 0; i < 1000; i++)
		if (answer(&a, &t, 0.01, 0.05, 200, http_adapt_level(&a)) == HTTP_ADAPT_GREW)
			moves++;
	is_int(http_adapt_level(&a), 16, "fast answers grow to the ceiling");
	is_int(moves, 11, "by one at a time");
	is_int(a.reached, 16, "the level reached is kept");
	ok(http_adapt_interval(&a) == 0, "no pace without a 429");
}

static void test_idle_does_not_grow(void)
{
	struct http_adapt a;
	struct clock t = { 100 };
	int i;

	http_adapt_init(&a, 16, false);
	for (i = 0; i < 200; i++)
		answer(&a, &t, 0.05, 0.05, 200, 1);
	is_int(http_adapt_level(&a), 4, "one request at a time is no evidence: the level stays");
	http_adapt_init(&a, 16, false);
	for (i = 0; i < 200; i++)
		answer(&a, &t, 0.01, 0.05, i % 3 == 2 ? 503 : 200, 4);
	is_int(http_adapt_level(&a), 4, "a 5xx every third answer stops the growth");
	http_adapt_init(&a, 16, false);
	for (i = 0; i < 200; i++)
		answer(&a, &t, 0.01, 0.05, i % 3 == 2 ? 0 : 200, 4);
	is_int(http_adapt_level(&a), 4, "so do network failures");
}

static void test_halves_on_429(void)
{
	struct http_adapt a;
	struct clock t = { 100 };
	struct http_adapt_answer old;

	http_adapt_init(&a, 16, false);
	fast(&a, &t, 4 + 5 + 6 + 7, 0.05);
	is_int(http_adapt_level(&a), 8, "grown to 8");
	is_int(answer(&a, &t, 0.01, 0.05, 429, 8), HTTP_ADAPT_HALVED, "a 429 halves");
	is_int(http_adapt_level(&a), 4, "8 -> 4");
	is_int(answer(&a, &t, 0.01, 0.05, 429, 7), HTTP_ADAPT_SAME,
	       "a 429 to a request sent before the cut is not held against the new level");
	is_int(http_adapt_level(&a), 4, "still 4");
	old.started = a.last_cut - 0.001;
	old.finished = a.last_cut + 0.049;
	old.status = 200;
	old.in_flight = 8;
	t.now += 0.01;
	http_adapt_answer(&a, &old);
	http_adapt_answer(&a, &old);
	http_adapt_answer(&a, &old);
	http_adapt_answer(&a, &old);
	is_int(http_adapt_level(&a), 4, "nor do older requests' good answers grow it again");
	fast(&a, &t, 20, 0.05);
	is_int(http_adapt_level(&a), 4, "no growth in the 2 s after a 429");
	t.now += 2.0;
	fast(&a, &t, 4, 0.05);
	is_int(http_adapt_level(&a), 5, "then it grows again");
	is_int(answer(&a, &t, 0.2, 0.05, 429, 5), HTTP_ADAPT_HALVED,
	       "a 429 to a request sent after the cut halves again");
	is_int(http_adapt_level(&a), 2, "5 -> 2");
	answer(&a, &t, 0.2, 0.05, 429, 2);
	is_int(http_adapt_level(&a), 1, "2 -> 1");
	ok(http_adapt_interval(&a) == 0, "with two in flight it is not a rate: no pace");
}

static void test_pace(void)
{
	struct http_adapt a;
	struct clock t = { 100 };
	double iv, first;
	int i;

	http_adapt_init(&a, 16, false);
	for (i = 0; i < 5; i++)
		answer(&a, &t, 0.06, 0.05, 200, 1);
	is_int(answer(&a, &t, 0.06, 0.05, 429, 1), HTTP_ADAPT_PACED,
	       "a 429 with one request in flight learns a pace");
	is_int(http_adapt_level(&a), 2, "and halves the level");
	iv = http_adapt_interval(&a);
	ok(iv > 0.249 && iv < 0.251, "80%% of the 5 answers of the last second: 4 a second (%.3f)",
	   iv);
	first = a.rate;
	t.now += 1.0;
	for (i = 0; i < 40; i++)
		answer(&a, &t, 0.25, 0.05, 200, 1);
	ok(a.rate > first * 1.09 && a.rate < first * 1.12,
	   "the pace grows by about 1%% a second of answers (%.3f after 10 s)", a.rate);
	first = a.rate;
	answer(&a, &t, 0.25, 0.05, 429, 1);
	ok(a.rate > first * 0.79 && a.rate < first * 0.81, "a later 429 cuts the pace by 20%%");
	first = a.rate;
	answer(&a, &t, 0.25, 0.05, 429, 3);
	ok(a.rate > first * 0.79 && a.rate < first * 0.81,
	   "once a pace is learnt, a 429 with several in flight cuts it too");
	for (i = 0; i < 40; i++)
		answer(&a, &t, 0.3, 0.05, 429, 1);
	ok(http_adapt_interval(&a) <= 1.0 / HTTP_ADAPT_RATE_FLOOR + 1e-9,
	   "never slower than the floor");
}

static void test_max(void)
{
	struct http_adapt a;
	struct clock t = { 100 };

	http_adapt_init(&a, 6, false);
	fast(&a, &t, 500, 0.05);
	is_int(http_adapt_level(&a), 6, "--jobs-max 6: never above 6");
	http_adapt_init(&a, 2, false);
	is_int(http_adapt_level(&a), 2, "a ceiling under 4 is where it starts");
	fast(&a, &t, 100, 0.05);
	is_int(http_adapt_level(&a), 2, "and stays");
	http_adapt_init(&a, 0, false);
	is_int(http_adapt_level(&a), 1, "a ceiling below 1 is 1");
}

static void test_pinned(void)
{
	struct http_adapt a;
	struct clock t = { 100 };
	int i;

	http_adapt_init(&a, 8, true);
	is_int(http_adapt_level(&a), 8, "--jobs 8: 8 from the start");
	fast(&a, &t, 200, 0.05);
	is_int(http_adapt_level(&a), 8, "fast answers do not grow it");
	for (i = 0; i < 20; i++)
		answer(&a, &t, 0.3, 0.05, 429, 1);
	is_int(http_adapt_level(&a), 8, "429s do not cut it");
	ok(http_adapt_interval(&a) == 0, "nor learn a pace");
	fast(&a, &t, 50, 2.0);
	is_int(http_adapt_level(&a), 8, "nor does a latency surge");
	is_int(a.reached, 8, "the level reached is the pinned one");
}

static void test_surge(void)
{
	struct http_adapt a;
	struct clock t = { 100 };
	int i;

	http_adapt_init(&a, 16, false);
	fast(&a, &t, 4 + 5 + 6 + 7, 0.05);
	is_int(http_adapt_level(&a), 8, "grown to 8 on 50 ms answers");
	for (i = 0; i < 40; i++)
		answer(&a, &t, 0.01, 0.05 + (i % 3) * 0.01, 200, 8);
	ok(http_adapt_level(&a) >= 8, "jitter of a few ms is no surge");
	http_adapt_init(&a, 16, false);
	fast(&a, &t, 4 + 5 + 6 + 7, 0.05);
	for (i = 0; i < 20 && http_adapt_level(&a) == 8; i++)
		answer(&a, &t, 0.01, 0.4, 200, 8);
	is_int(http_adapt_level(&a), 4, "answers slowing from 50 to 400 ms halve the level");
	is_int((long long)a.surges, 1, "counted as a surge");
	for (i = 0; i < 30; i++)
		answer(&a, &t, 0.1, 0.4, 200, http_adapt_level(&a));
	is_int((long long)a.surges, 1, "a server that stays slower is not cut again");
	ok(http_adapt_level(&a) > 4, "the slower pace is the new normal: growth resumes (%d)",
	   http_adapt_level(&a));
	http_adapt_init(&a, 16, false);
	fast(&a, &t, 4 + 5 + 6 + 7, 0.05);
	answer(&a, &t, 0.01, 0.6, 200, 8);
	fast(&a, &t, 20, 0.05);
	is_int((long long)a.surges, 0, "one slow answer is no surge");
	http_adapt_init(&a, 16, false);
	for (i = 0; i < 30; i++)
		answer(&a, &t, 0.01, 0.001 + (i % 4) * 0.004, 200, http_adapt_level(&a));
	ok(a.surges == 0 && http_adapt_level(&a) > 4,
	   "1 ms answers varying fourfold are no surge (absolute floor)");
}

int main(void)
{
	test_grows();
	test_idle_does_not_grow();
	test_halves_on_429();
	test_pace();
	test_max();
	test_pinned();
	test_surge();
	return tap_done();
}
