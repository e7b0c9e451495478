/* Unit tests: the pure helpers of http (backoff, Retry-After, retryable statuses, escaping). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "apis/http.h"
#include "tap.h"

static void test_backoff(void)
{
	long prev = -1, d;
	int i, grows = 1, bounded = 1;

	/* With the same draw, the delay doubles each attempt until the ceiling. */
	is_int(http_backoff_ms(1, 100, 10000, 0.5), 50, "attempt 1: half of the base");
	is_int(http_backoff_ms(2, 100, 10000, 0.5), 100, "attempt 2: half of twice the base");
	is_int(http_backoff_ms(3, 100, 10000, 0.5), 200, "attempt 3: half of four times the base");
	for (i = 1; i <= 7; i++) {
		d = http_backoff_ms(i, 100, 10000, 0.99);
		if (d <= prev)
			grows = 0;
		prev = d;
	}
	ok(grows, "the delay grows with the attempt until the ceiling");
	is_int(http_backoff_ms(20, 100, 10000, 0.999), 9990, "the delay is capped by the maximum");
	is_int(http_backoff_ms(1000, 100, 10000, 0.5), 5000,
	       "a huge attempt number does not overflow");
	is_int(http_backoff_ms(3, 100, 10000, 0.0), 0, "full jitter reaches down to zero");
	ok(http_backoff_ms(3, 100, 10000, 1.0) < 400, "a draw of 1 stays below the cap");
	is_int(http_backoff_ms(0, 100, 10000, 0.5), 0, "attempt 0 waits nothing");
	/* Full jitter: every draw in [0,1) lands in [0, cap). */
	for (i = 0; i < 1000; i++) {
		double r = (double)i / 1000.0;

		d = http_backoff_ms(4, 50, 300, r);
		if (d < 0 || d >= 300)
			bounded = 0;
	}
	ok(bounded, "jittered delays stay within [0, min(max, base*2^(n-1)))");
}

static void test_retry_after(void)
{
	long long now = 784111777LL; /* Sun, 06 Nov 1994 08:49:37 GMT */

	is_int(http_parse_retry_after("1", now), 1000, "delta seconds: 1");
	is_int(http_parse_retry_after(" 120 ", now), 120000, "delta seconds with spaces");
	is_int(http_parse_retry_after("0", now), 0, "delta seconds: 0");
	is_int(http_parse_retry_after("Sun, 06 Nov 1994 08:49:47 GMT", now), 10000,
	       "IMF-fixdate ten seconds ahead");
	is_int(http_parse_retry_after("Sunday, 06-Nov-94 08:50:37 GMT", now), 60000,
	       "RFC 850 date a minute ahead");
	is_int(http_parse_retry_after("Sun Nov  6 08:49:39 1994", now), 2000, "asctime date");
	is_int(http_parse_retry_after("Sun, 06 Nov 1994 08:40:00 GMT", now), 0,
	       "a date in the past means now");
	is_int(http_parse_retry_after("soon", now), -1, "garbage is rejected");
	is_int(http_parse_retry_after("", now), -1, "empty is rejected");
	is_int(http_parse_retry_after("-5", now), -1, "a negative delta is rejected");
	is_int(http_parse_retry_after("1.5", now), -1, "a fractional delta is rejected");
	is_int(http_parse_retry_after("12abc", now), -1, "trailing junk is rejected");
	is_int(http_parse_retry_after(NULL, now), -1, "NULL is rejected");
	ok(http_parse_retry_after("99999999999999999999999", now) > 0,
	   "a huge delta saturates instead of overflowing");
}

static void test_retryable(void)
{
	static const struct {
		long status;
		bool retry;
	} cases[] = {
		{ 200, false }, { 201, false }, { 204, false }, { 301, false }, { 400, false },
		{ 401, false }, { 403, false }, { 404, false }, { 409, false }, { 422, false },
		{ 408, true },	{ 429, true },	{ 500, true },	{ 501, false }, { 502, true },
		{ 503, true },	{ 504, true },	{ 505, false }, { 599, true },	{ 0, false },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ok(http_status_retryable(cases[i].status) == cases[i].retry, "status %ld is %s",
		   cases[i].status, cases[i].retry ? "retried" : "not retried");
}

static void test_escape(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "", "" },
		{ "abcXYZ019-._~", "abcXYZ019-._~" },
		{ "a b", "a%20b" },
		{ "a&b=c?d/e", "a%26b%3Dc%3Fd%2Fe" },
		{ "2024-01-01T00:00:00Z", "2024-01-01T00%3A00%3A00Z" },
		{ "x+y%z", "x%2By%25z" },
		{ "\xc3\xa9", "%C3%A9" },
		{ "$limit", "%24limit" },
	};
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_reset(&b);
		ok(http_url_escape(&b, cases[i].in) == 0 && strcmp(b.data, cases[i].out) == 0,
		   "escape gives '%s'", cases[i].out);
	}
	buf_release(&b);
	buf_init(&b, 4);
	ok(http_url_escape(&b, "a b c") < 0, "escape past the buffer's cap fails");
	buf_release(&b);
}

int main(void)
{
	test_backoff();
	test_retry_after();
	test_retryable();
	test_escape();
	return tap_done();
}
