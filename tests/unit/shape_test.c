/* SPDX-License-Identifier: ISC */
/*
 * tests/unit/shape_test.c - shape: token buckets, AIMD, slow-down
 * replies, reconnection backoff, retry schedule
 *
 * All in simulated time. Buckets: exact token counts over an hour (10/s,
 * 3/s, 0.5/s, 1/min) and a day (7/s), each take at the very nanosecond
 * the arithmetic says; a million irregular updates against one; burst;
 * a rate change mid-way; unlimited; the largest rate and the longest
 * idle. AIMD: cut, cool-down, recovery to exactly the configured rate,
 * the floor, and a bucket driven by it against a relay that takes 5/s.
 * Slow-down: a table of replies, custom patterns, refusals. Backoff:
 * the envelope, jitter bounds, never zero, reset. Retry: the schedule to
 * expiry.
 */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "shape/aimd.h"
#include "shape/backoff.h"
#include "shape/bucket.h"
#include "shape/retry.h"
#include "shape/shape.h"
#include "shape/slowdown.h"
#include "testutil.h"
#include "util/err.h"

#define ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))

static uint64_t		 rnd_state = UINT64_C(0x9E3779B97F4A7C15);

static uint64_t
rnd(void)
{
	return test_rnd(&rnd_state);
}

/*
 * take_time - when the k-th token is earned at rate: ceil(k * 1e15 /
 * rate) ns, computed without overflow as k * q + ceil(k * r / rate).
 */
static int64_t
take_time(uint64_t k, uint64_t rate)
{
	const uint64_t	 one = UINT64_C(1000000000) * SHAPE_RATE_ONE;

	return (int64_t)(k * (one / rate) + (k * (one % rate) + rate - 1) /
	    rate);
}

static void
test_rate(void **state)
{
	assert_int_equal(shape_rate(10, SHAPE_SEC), 10 * SHAPE_RATE_ONE);
	assert_int_equal(shape_rate(1, 2 * SHAPE_SEC), 500000);
	assert_int_equal(shape_rate(30, SHAPE_MINUTE), 500000);
	assert_int_equal(shape_rate(1, SHAPE_MINUTE), 16667);
	assert_int_equal(shape_rate(3600, SHAPE_HOUR), SHAPE_RATE_ONE);
	assert_int_equal(shape_rate(1, SHAPE_HOUR), 278);
	assert_int_equal(shape_rate(0, SHAPE_SEC), 0);
	assert_int_equal(shape_rate(1, 0), 0);
	assert_int_equal(shape_rate(1, -SHAPE_SEC), 0);
	assert_int_equal(shape_rate(UINT64_MAX, SHAPE_SEC), SHAPE_RATE_MAX);
	assert_int_equal(shape_rate(1, 100 * SHAPE_DAY), 1);
}

/*
 * 10/s, burst 10, one hour in 1 ms ticks taking all there is: the
 * burst plus exactly 36,000. Then the same hour in irregular ticks.
 */
static void
test_bucket_hour(void **state)
{
	struct shape_bucket	 b;
	int64_t			 now;
	uint64_t		 n = 0;

	assert_int_equal(shape_bucket_init(&b, 10 * SHAPE_RATE_ONE, 10, 0),
	    0);
	for (now = 0; now <= SHAPE_HOUR; now += SHAPE_MSEC)
		while (shape_bucket_take(&b, now))
			n++;
	assert_int_equal(n, 36000 + 10);

	n = 0;
	assert_int_equal(shape_bucket_init(&b, 10 * SHAPE_RATE_ONE, 10, 0),
	    0);
	for (now = 0; now < SHAPE_HOUR; now += 1 + (int64_t)(rnd() %
	    (3 * SHAPE_MSEC)))
		while (shape_bucket_take(&b, now))
			n++;
	while (shape_bucket_take(&b, SHAPE_HOUR))
		n++;
	assert_int_equal(n, 36000 + 10);
}

/*
 * Jump from take to take by shape_bucket_wait: the k-th token after the
 * burst comes at exactly ceil(k / rate), never a nanosecond later or
 * earlier, for an hour (a day at 7/s).
 */
static void
take_at_exact_times(uint64_t rate, int64_t span, uint64_t expect)
{
	struct shape_bucket	 b;
	int64_t			 now = 0, w;
	uint64_t		 k;

	assert_int_equal(shape_bucket_init(&b, rate, 1, 0), 0);
	assert_int_equal(shape_bucket_take(&b, 0), 1);
	assert_int_equal(shape_bucket_take(&b, 0), 0);
	for (k = 1;; k++) {
		w = shape_bucket_wait(&b, now);
		assert_true(w > 0);
		/* One nanosecond early is too early. */
		assert_int_equal(shape_bucket_take(&b, now + w - 1), 0);
		assert_int_equal(shape_bucket_wait(&b, now + w - 1), 1);
		now += w;
		if (now > span)
			break;
		assert_int_equal(now, take_time(k, rate));
		assert_int_equal(shape_bucket_wait(&b, now), 0);
		assert_int_equal(shape_bucket_take(&b, now), 1);
	}
	assert_int_equal(k - 1, expect);
}

static void
test_bucket_exact(void **state)
{
	take_at_exact_times(10 * SHAPE_RATE_ONE, SHAPE_HOUR, 36000);
	take_at_exact_times(3 * SHAPE_RATE_ONE, SHAPE_HOUR, 10800);
	take_at_exact_times(SHAPE_RATE_ONE / 2, SHAPE_HOUR, 1800);
	take_at_exact_times(7 * SHAPE_RATE_ONE, SHAPE_DAY, 604800);
	/* 1/min is 16667 micro-messages a second: 60.0012 an hour. */
	take_at_exact_times(shape_rate(1, SHAPE_MINUTE), SHAPE_HOUR, 60);
	take_at_exact_times(shape_rate(1, SHAPE_MINUTE), 1000 * SHAPE_HOUR,
	    60001);
}

/*
 * A million updates at irregular instants leave the bucket exactly
 * where one update at the end does: no drift.
 */
static void
test_bucket_no_drift(void **state)
{
	struct shape_bucket	 a, b;
	const uint64_t		 rate = 3 * SHAPE_RATE_ONE + 7;
	int64_t			 now = 0;
	uint32_t		 i;

	assert_int_equal(shape_bucket_init(&a, rate, SHAPE_BURST_MAX, 0), 0);
	/* Empty it, so nothing is lost to a full bucket. */
	for (i = 0; i < SHAPE_BURST_MAX; i++)
		assert_int_equal(shape_bucket_take(&a, 0), 1);
	assert_int_equal(shape_bucket_take(&a, 0), 0);
	b = a;
	for (i = 0; i < 1000000; i++) {
		now += 1 + (int64_t)(rnd() % 20011);
		/* Same rate: brings the level up to date, nothing more. */
		assert_int_equal(shape_bucket_set_rate(&a, rate, now), 0);
	}
	assert_int_equal(shape_bucket_set_rate(&b, rate, now), 0);
	assert_int_equal(a.level, b.level);
	assert_int_equal(a.carry, b.carry);
	assert_int_equal(a.level, ((uint64_t)now * rate) / 1000000000);
	assert_int_equal(shape_bucket_tokens(&a, now),
	    shape_bucket_tokens(&b, now));
	print_message("%" PRId64 " ns simulated, %" PRIu64 " micro-tokens "
	    "either way\n", now, a.level);
}

static void
test_bucket_burst(void **state)
{
	struct shape_bucket	 b;
	int			 i;

	assert_int_equal(shape_bucket_init(&b, 2 * SHAPE_RATE_ONE, 5,
	    SHAPE_SEC), 0);
	assert_int_equal(shape_bucket_tokens(&b, SHAPE_SEC), 5);
	for (i = 0; i < 5; i++)
		assert_int_equal(shape_bucket_take(&b, SHAPE_SEC), 1);
	assert_int_equal(shape_bucket_take(&b, SHAPE_SEC), 0);
	assert_int_equal(shape_bucket_wait(&b, SHAPE_SEC), SHAPE_SEC / 2);
	/* A long idle fills it to the burst, no more. */
	assert_int_equal(shape_bucket_tokens(&b, SHAPE_HOUR), 5);
	for (i = 0; i < 5; i++)
		assert_int_equal(shape_bucket_take(&b, SHAPE_HOUR), 1);
	assert_int_equal(shape_bucket_take(&b, SHAPE_HOUR), 0);
	/* Half a token earned is not a token. */
	assert_int_equal(shape_bucket_take(&b, SHAPE_HOUR + SHAPE_SEC / 4),
	    0);
	assert_int_equal(shape_bucket_wait(&b, SHAPE_HOUR + SHAPE_SEC / 4),
	    SHAPE_SEC / 4);

	/* Time that runs backwards earns nothing and breaks nothing. */
	assert_int_equal(shape_bucket_take(&b, SHAPE_SEC), 0);
	assert_int_equal(shape_bucket_tokens(&b, 0), 0);
	assert_int_equal(shape_bucket_take(&b, SHAPE_HOUR + SHAPE_SEC / 2),
	    1);

	assert_int_equal(shape_bucket_init(&b, SHAPE_RATE_ONE, 0, 0),
	    CLR_EINVAL);
	assert_int_equal(shape_bucket_init(&b, SHAPE_RATE_ONE,
	    SHAPE_BURST_MAX + 1, 0), CLR_EINVAL);
	assert_int_equal(shape_bucket_init(&b, SHAPE_RATE_MAX + 1, 1, 0),
	    CLR_EINVAL);
	assert_int_equal(shape_bucket_init(&b, SHAPE_RATE_MAX,
	    SHAPE_BURST_MAX, 0), 0);
	assert_int_equal(shape_bucket_set_rate(&b, SHAPE_RATE_MAX + 1, 0),
	    CLR_EINVAL);
	assert_int_equal(b.rate, SHAPE_RATE_MAX);
}

/* 10/s for half an hour, then 20/s: 10 + 18,000 + 36,000, exactly. */
static void
test_bucket_set_rate(void **state)
{
	struct shape_bucket	 b;
	int64_t			 now;
	uint64_t		 n = 0;

	assert_int_equal(shape_bucket_init(&b, 10 * SHAPE_RATE_ONE, 10, 0),
	    0);
	for (now = 0; now < SHAPE_HOUR / 2; now += 7 * SHAPE_MSEC)
		while (shape_bucket_take(&b, now))
			n++;
	/* Mid-way, with part of a token earned at the old rate. */
	now = SHAPE_HOUR / 2 - 2 * SHAPE_MSEC;
	assert_int_equal(shape_bucket_set_rate(&b, 20 * SHAPE_RATE_ONE, now),
	    0);
	for (; now <= SHAPE_HOUR; now += 7 * SHAPE_MSEC)
		while (shape_bucket_take(&b, now))
			n++;
	while (shape_bucket_take(&b, SHAPE_HOUR))
		n++;
	/*
	 * 1799.998 s at 10/s and 1800.002 s at 20/s: 17,999.98 tokens and
	 * 36,000.04. The 0.98 of a token earned before the change is kept,
	 * so 54,000 whole ones, not 53,999.
	 */
	assert_int_equal(n, 10 + 54000);

	/* The tokens earned stay across a change, up or down. */
	assert_int_equal(shape_bucket_init(&b, SHAPE_RATE_ONE, 10, 0), 0);
	while (shape_bucket_take(&b, 0))
		;
	assert_int_equal(shape_bucket_tokens(&b, 3 * SHAPE_SEC +
	    SHAPE_SEC / 2), 3);
	assert_int_equal(shape_bucket_set_rate(&b, 100 * SHAPE_RATE_ONE,
	    3 * SHAPE_SEC + SHAPE_SEC / 2), 0);
	assert_int_equal(shape_bucket_tokens(&b, 3 * SHAPE_SEC +
	    SHAPE_SEC / 2), 3);
	/* The half token earned at 1/s needs 5 ms more at 100/s. */
	assert_int_equal(b.level, 3 * SHAPE_RATE_ONE + SHAPE_RATE_ONE / 2);
	assert_int_equal(shape_bucket_tokens(&b, 3 * SHAPE_SEC +
	    SHAPE_SEC / 2 + 5 * SHAPE_MSEC), 4);
	assert_int_equal(shape_bucket_set_rate(&b, SHAPE_RATE_ONE / 10,
	    4 * SHAPE_SEC), 0);
	assert_int_equal(shape_bucket_tokens(&b, 4 * SHAPE_SEC), 10);
}

static void
test_bucket_unlimited(void **state)
{
	struct shape_bucket	 b;
	int			 i;

	assert_int_equal(shape_bucket_init(&b, 0, 3, 0), 0);
	for (i = 0; i < 100000; i++)
		assert_int_equal(shape_bucket_take(&b, 0), 1);
	assert_int_equal(shape_bucket_wait(&b, 0), 0);
	assert_int_equal(shape_bucket_tokens(&b, 0), 3);
	/* Limited from now: a full bucket, then the rate. */
	assert_int_equal(shape_bucket_set_rate(&b, SHAPE_RATE_ONE, SHAPE_SEC),
	    0);
	for (i = 0; i < 3; i++)
		assert_int_equal(shape_bucket_take(&b, SHAPE_SEC), 1);
	assert_int_equal(shape_bucket_take(&b, SHAPE_SEC), 0);
	assert_int_equal(shape_bucket_wait(&b, SHAPE_SEC), SHAPE_SEC);
	/* And back to unlimited. */
	assert_int_equal(shape_bucket_set_rate(&b, 0, SHAPE_SEC), 0);
	assert_int_equal(shape_bucket_take(&b, SHAPE_SEC), 1);
}

/* The extremes: the largest rate for a second, a century of idle. */
static void
test_bucket_extremes(void **state)
{
	struct shape_bucket	 b;
	int64_t			 now;
	uint64_t		 n = 0;

	assert_int_equal(shape_bucket_init(&b, SHAPE_RATE_MAX, 1000, 0), 0);
	for (now = 0; now <= SHAPE_SEC; now += SHAPE_USEC)
		while (shape_bucket_take(&b, now))
			n++;
	assert_int_equal(n, 1000000 + 1000);

	now = 100 * 365 * SHAPE_DAY;
	assert_int_equal(shape_bucket_tokens(&b, now), 1000);
	assert_int_equal(shape_bucket_init(&b, 1, SHAPE_BURST_MAX,
	    INT64_MIN + 1), 0);
	assert_int_equal(shape_bucket_tokens(&b, INT64_MAX),
	    SHAPE_BURST_MAX);
	assert_int_equal(shape_bucket_take(&b, INT64_MAX), 1);
	/* One micro-token a second: a token in a million seconds. */
	while (shape_bucket_take(&b, INT64_MAX))
		;
	assert_int_equal(shape_bucket_wait(&b, INT64_MAX - SHAPE_SEC),
	    1000000 * SHAPE_SEC);
}

static void
test_aimd_cut_and_recover(void **state)
{
	struct shape_aimd_params	 p;
	struct shape_aimd		 a;
	struct shape_aimd_status	 st;
	int64_t				 t;
	int				 rises = 0;

	memset(&p, 0, sizeof(p));
	p.rate = 10 * SHAPE_RATE_ONE;
	assert_int_equal(shape_aimd_init(&a, &p, 0), 0);
	shape_aimd_status(&a, &st);
	assert_int_equal(st.state, SHAPE_AIMD_NORMAL);
	assert_string_equal(st.state_name, "normal");
	assert_int_equal(st.has_cut, 0);
	assert_int_equal(st.floor, SHAPE_RATE_ONE / 60);
	/* Success at the configured rate changes nothing. */
	assert_int_equal(shape_aimd_success(&a, 5 * SHAPE_SEC), 0);

	/* The first signal cuts it in half... */
	t = 10 * SHAPE_SEC;
	assert_int_equal(shape_aimd_slow_down(&a, t), 1);
	assert_int_equal(shape_aimd_rate(&a), 5 * SHAPE_RATE_ONE);
	/* ...the rest of the burst's replies do not. */
	assert_int_equal(shape_aimd_slow_down(&a, t), 0);
	assert_int_equal(shape_aimd_slow_down(&a, t + SHAPE_SEC), 0);
	assert_int_equal(shape_aimd_slow_down(&a, t + 2 * SHAPE_SEC - 1), 0);
	assert_int_equal(shape_aimd_rate(&a), 5 * SHAPE_RATE_ONE);
	shape_aimd_status(&a, &st);
	assert_int_equal(st.cuts, 1);
	assert_int_equal(st.ignored, 3);
	assert_int_equal(st.has_cut, 1);
	assert_int_equal(st.last_cut, t);
	assert_int_equal(st.state, SHAPE_AIMD_BACKING_OFF);
	assert_string_equal(st.state_name, "backing-off");

	/* No rise inside the cool-down. */
	assert_int_equal(shape_aimd_success(&a, t + SHAPE_SEC), 0);
	assert_int_equal(shape_aimd_success(&a, t + 2 * SHAPE_SEC - 1), 0);
	/* Then 5% of 10/s per second of success: 10 steps, exactly home. */
	for (t += 2 * SHAPE_SEC; rises < 100; t += SHAPE_SEC / 4) {
		if (shape_aimd_success(&a, t)) {
			rises++;
			shape_aimd_status(&a, &st);
			if (st.rate < st.configured)
				assert_int_equal(st.state,
				    SHAPE_AIMD_RECOVERING);
		}
		if (shape_aimd_rate(&a) == 10 * SHAPE_RATE_ONE)
			break;
	}
	assert_int_equal(rises, 10);
	assert_int_equal(t, 10 * SHAPE_SEC + 11 * SHAPE_SEC);
	shape_aimd_status(&a, &st);
	assert_int_equal(st.rate, 10 * SHAPE_RATE_ONE);
	assert_int_equal(st.state, SHAPE_AIMD_NORMAL);
	assert_int_equal(shape_aimd_success(&a, t + SHAPE_HOUR), 0);
	assert_int_equal(shape_aimd_rate(&a), 10 * SHAPE_RATE_ONE);

	/* One rise per success, however long the pause before it. */
	assert_int_equal(shape_aimd_slow_down(&a, t + SHAPE_HOUR), 1);
	assert_int_equal(shape_aimd_success(&a, t + 2 * SHAPE_HOUR), 1);
	assert_int_equal(shape_aimd_rate(&a), 5500000);
}

static void
test_aimd_floor(void **state)
{
	struct shape_aimd_params	 p;
	struct shape_aimd		 a;
	struct shape_aimd_status	 st;
	int64_t				 t = 0;
	uint64_t			 prev;
	int				 cuts = 0, rises = 0;

	memset(&p, 0, sizeof(p));
	p.rate = 10 * SHAPE_RATE_ONE;
	assert_int_equal(shape_aimd_init(&a, &p, 0), 0);
	/* A signal every cool-down: down to the floor, never below. */
	do {
		prev = shape_aimd_rate(&a);
		if (shape_aimd_slow_down(&a, t))
			cuts++;
		assert_true(shape_aimd_rate(&a) >= SHAPE_AIMD_FLOOR);
		t += SHAPE_AIMD_COOLDOWN;
	} while (shape_aimd_rate(&a) != prev);
	/* 10/s halved 9 times is 19531 micro; the 10th hits 16666. */
	assert_int_equal(cuts, 10);
	assert_int_equal(shape_aimd_rate(&a), SHAPE_AIMD_FLOOR);
	shape_aimd_status(&a, &st);
	assert_int_equal(st.cuts, 11);	/* the last found it at the floor */
	assert_int_equal(shape_aimd_slow_down(&a, t), 0);
	assert_int_equal(shape_aimd_rate(&a), SHAPE_AIMD_FLOOR);

	/* From the floor: 20 steps of 500,000, the last one capped. */
	for (t += SHAPE_AIMD_COOLDOWN; shape_aimd_rate(&a) < p.rate;
	    t += SHAPE_SEC)
		rises += shape_aimd_success(&a, t);
	assert_int_equal(rises, 20);
	assert_int_equal(shape_aimd_rate(&a), p.rate);

	/* Custom: keep 70%, rise 10%, floor 4/s, a 5 s cool-down. */
	p.decrease = 700;
	p.increase = 100;
	p.floor = 4 * SHAPE_RATE_ONE;
	p.cooldown = 5 * SHAPE_SEC;
	assert_int_equal(shape_aimd_init(&a, &p, 0), 0);
	assert_int_equal(shape_aimd_slow_down(&a, 0), 1);
	assert_int_equal(shape_aimd_rate(&a), 7 * SHAPE_RATE_ONE);
	assert_int_equal(shape_aimd_slow_down(&a, 4 * SHAPE_SEC), 0);
	assert_int_equal(shape_aimd_slow_down(&a, 5 * SHAPE_SEC), 1);
	assert_int_equal(shape_aimd_rate(&a), 4900000);
	assert_int_equal(shape_aimd_slow_down(&a, 10 * SHAPE_SEC), 1);
	assert_int_equal(shape_aimd_rate(&a), 4 * SHAPE_RATE_ONE);
	assert_int_equal(shape_aimd_success(&a, 15 * SHAPE_SEC), 1);
	assert_int_equal(shape_aimd_rate(&a), 5 * SHAPE_RATE_ONE);

	/* A floor over the rate is the rate: nothing to cut. */
	p.floor = 20 * SHAPE_RATE_ONE;
	assert_int_equal(shape_aimd_init(&a, &p, 0), 0);
	assert_int_equal(shape_aimd_slow_down(&a, 0), 0);
	assert_int_equal(shape_aimd_rate(&a), 10 * SHAPE_RATE_ONE);

	memset(&p, 0, sizeof(p));
	assert_int_equal(shape_aimd_init(&a, &p, 0), CLR_EINVAL);
	p.rate = SHAPE_RATE_MAX + 1;
	assert_int_equal(shape_aimd_init(&a, &p, 0), CLR_EINVAL);
	p.rate = SHAPE_RATE_ONE;
	p.decrease = 1000;
	assert_int_equal(shape_aimd_init(&a, &p, 0), CLR_EINVAL);
	p.decrease = 0;
	p.increase = 1001;
	assert_int_equal(shape_aimd_init(&a, &p, 0), CLR_EINVAL);
	p.increase = 0;
	p.cooldown = -1;
	assert_int_equal(shape_aimd_init(&a, &p, 0), CLR_EINVAL);
	p.cooldown = 0;
	p.interval = -1;
	assert_int_equal(shape_aimd_init(&a, &p, 0), CLR_EINVAL);

	assert_string_equal(shape_aimd_state_name(SHAPE_AIMD_RECOVERING),
	    "recovering");
	assert_string_equal(shape_aimd_state_name((enum shape_aimd_state)9),
	    "?");
}

/*
 * A bucket driven by AIMD against a relay that takes 5 messages a
 * second and answers 421 to the rest, configured at 20/s, for ten
 * minutes: cuts happen, signals inside a cool-down are ignored, and
 * what gets through stays near the relay's limit.
 */
static void
test_aimd_with_bucket(void **state)
{
	struct shape_aimd_params	 p;
	struct shape_aimd		 a;
	struct shape_aimd_status	 st;
	struct shape_bucket		 b;
	int64_t				 now, window = 0;
	uint64_t			 accepted = 0, refused = 0, in_window = 0;

	memset(&p, 0, sizeof(p));
	p.rate = 20 * SHAPE_RATE_ONE;
	assert_int_equal(shape_aimd_init(&a, &p, 0), 0);
	assert_int_equal(shape_bucket_init(&b, p.rate, 20, 0), 0);
	for (now = 0; now < 10 * SHAPE_MINUTE; now += 10 * SHAPE_MSEC) {
		if (now - window >= SHAPE_SEC) {
			window = now;
			in_window = 0;
		}
		while (shape_bucket_take(&b, now)) {
			if (in_window < 5) {
				in_window++;
				accepted++;
				if (shape_aimd_success(&a, now))
					assert_int_equal(shape_bucket_set_rate(
					    &b, shape_aimd_rate(&a), now), 0);
			} else {
				refused++;
				if (shape_aimd_slow_down(&a, now))
					assert_int_equal(shape_bucket_set_rate(
					    &b, shape_aimd_rate(&a), now), 0);
			}
		}
	}
	shape_aimd_status(&a, &st);
	print_message("accepted %" PRIu64 ", refused %" PRIu64 ", cuts %"
	    PRIu64 ", ignored %" PRIu64 ", rate %" PRIu64 "\n", accepted,
	    refused, st.cuts, st.ignored, st.rate);
	assert_true(st.cuts >= 10);
	assert_true(st.ignored > 0);
	/* The relay's 5/s is the most that can be accepted. */
	assert_true(accepted <= 5 * 600 + 5);
	assert_true(accepted >= 5 * 600 * 8 / 10);
	/* Without AIMD, 15 of every 20 would be refused. */
	assert_true(refused < accepted / 2);
}

static void
test_slowdown_table(void **state)
{
	static const struct {
		int		 code;
		const char	*status;
		const char	*text;
		int		 slow;
	} cases[] = {
		{ 421, "4.7.0", "Try again later, closing connection. (EHLO)",
		    1 },
		{ 421, "", "mx.example.org Service not available, closing "
		    "transmission channel", 1 },
		{ 421, "4.3.2", "System shutting down", 1 },
		{ 421, "4.7.28", "[192.0.2.7] Our system has detected an "
		    "unusual rate of\nunsolicited mail originating from your "
		    "IP address.", 1 },
		{ 421, "4.7.0", "[TSS04] Messages from 192.0.2.7 temporarily "
		    "deferred due to unexpected volume or user complaints", 1 },
		{ 451, "4.7.500", "Server busy. Please try again later from "
		    "[192.0.2.7]. (S77719)", 1 },
		{ 451, "4.7.1", "Service unavailable, please retry", 1 },
		{ 451, "4.7.1", "Greylisted, see "
		    "http://postgrey.schweikert.ch/help/example.org", 0 },
		{ 450, "4.2.0", "Greylisted, please try again later", 0 },
		{ 451, "", "Temporarily GRAYLISTED: too many new senders", 0 },
		{ 452, "4.5.3", "Too many recipients", 1 },
		{ 452, "4.5.3", "", 1 },
		{ 452, "4.5.3", NULL, 1 },
		{ 450, "", "Too many connections from your IP", 1 },
		{ 450, "4.7.1", "Client host rejected: cannot find your "
		    "hostname, [192.0.2.7]", 0 },
		{ 450, "4.2.1", "The user you are trying to contact is "
		    "receiving\nmail too quickly: too many messages", 0 },
		{ 452, "4.2.2", "Mailbox quota exceeded", 0 },
		{ 450, "4.1.1", "<x@example.org>: Recipient address "
		    "rejected: User unknown; try again later", 0 },
		{ 451, "", "Temporary local problem - please try later", 1 },
		{ 451, "4.3.0", "Mail server temporarily rejected message", 0 },
		{ 451, "4.3.2", "Please slow down", 1 },
		{ 452, "4.3.1", "Insufficient system storage", 0 },
		{ 450, "", "Rate limit exceeded", 1 },
		{ 450, "4.7.28", "Unusual rate of mail from your IP", 1 },
		{ 451, "", "Throttling failure: Daily message quota exceeded",
		    1 },
		{ 451, "", "Too\nmany connections", 1 },
		{ 450, "", "Messages TEMPORARILY DEFERRED", 1 },
		{ 450, "", "Too   many\n\tconnections", 1 },
		{ 450, "", "Concurrent connection limit reached", 1 },
		{ 451, "4.4.2", "Timeout waiting for data", 0 },
		{ 451, NULL, NULL, 0 },
		{ 450, "", "Requested mail action not taken: mailbox "
		    "unavailable", 0 },
		{ 550, "5.7.1", "Rate limit exceeded", 0 },
		{ 554, "", "Too many connections", 0 },
		{ 453, "", "Too many", 0 },
		{ 250, "2.0.0", "Ok: queued, too many", 0 },
		{ 0, "", "too many", 0 },
	};
	struct shape_slowdown	*s;
	struct clr_err		 err;
	size_t			 i;

	memset(&err, 0, sizeof(err));
	s = shape_slowdown_new(NULL, 0, &err);
	assert_non_null(s);
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		int	 got = shape_slowdown_match(s, cases[i].code,
			    cases[i].status, cases[i].text);

		if (got != cases[i].slow)
			fail_msg("%d %s %s: got %d, want %d", cases[i].code,
			    cases[i].status ? cases[i].status : "(null)",
			    cases[i].text ? cases[i].text : "(null)", got,
			    cases[i].slow);
	}
	print_message("%zu replies\n", ARRAY_LEN(cases));
	shape_slowdown_free(s);
	shape_slowdown_free(NULL);
}

static void
test_slowdown_patterns(void **state)
{
	char			 mine[] = "Slow Dance";
	const char		*pats[] = { mine, "  foo   bar " };
	const char		*bad[SHAPE_SLOWDOWN_PATTERNS_MAX + 1];
	char			 longp[SHAPE_SLOWDOWN_PATTERN_MAX + 2];
	const char *const	*defs;
	struct shape_slowdown	*s;
	struct clr_err		 err;
	size_t			 n, i;
	int			 seen = 0;

	defs = shape_slowdown_defaults(&n);
	assert_true(n >= 10 && n <= SHAPE_SLOWDOWN_PATTERNS_MAX);
	for (i = 0; i < n; i++)
		seen |= strcmp(defs[i], "try again later") == 0;
	assert_true(seen);

	memset(&err, 0, sizeof(err));
	s = shape_slowdown_new(pats, 2, &err);
	assert_non_null(s);
	/* Copied: the caller's string may change. */
	memcpy(mine, "xxxx xxxxx", sizeof(mine));
	assert_int_equal(shape_slowdown_match(s, 450, "", "a SLOW   dance, "
	    "please"), 1);
	assert_int_equal(shape_slowdown_match(s, 450, "", "foo\nbar"), 1);
	assert_int_equal(shape_slowdown_match(s, 450, "", "foobar"), 0);
	assert_int_equal(shape_slowdown_match(s, 450, "", "xxxx xxxxx"), 0);
	/* The defaults are replaced, the code rules stay. */
	assert_int_equal(shape_slowdown_match(s, 450, "", "too many"), 0);
	assert_int_equal(shape_slowdown_match(s, 421, "", ""), 1);
	assert_int_equal(shape_slowdown_match(s, 452, "4.5.3", ""), 1);
	shape_slowdown_free(s);

	/* None at all: the code rules alone. */
	s = shape_slowdown_new(pats, 0, &err);
	assert_non_null(s);
	assert_int_equal(shape_slowdown_match(s, 450, "", "too many"), 0);
	assert_int_equal(shape_slowdown_match(s, 451, "4.7.1", ""), 1);
	shape_slowdown_free(s);
	/* No matcher: the code rules alone, too. */
	assert_int_equal(shape_slowdown_match(NULL, 450, "", "too many"), 0);
	assert_int_equal(shape_slowdown_match(NULL, 421, NULL, NULL), 1);

	/* Refusals, each with its reason. */
	for (i = 0; i < ARRAY_LEN(bad); i++)
		bad[i] = "x";
	assert_null(shape_slowdown_new(bad, ARRAY_LEN(bad), &err));
	assert_int_equal(err.code, CLR_EINVAL);
	assert_non_null(strstr(err.msg, "at most 64"));
	s = shape_slowdown_new(bad, ARRAY_LEN(bad) - 1, &err);
	assert_non_null(s);
	shape_slowdown_free(s);
	bad[3] = "";
	assert_null(shape_slowdown_new(bad, 5, &err));
	assert_non_null(strstr(err.msg, "pattern 4 is empty"));
	bad[3] = NULL;
	assert_null(shape_slowdown_new(bad, 5, &err));
	assert_non_null(strstr(err.msg, "pattern 4 is empty"));
	bad[3] = "   ";
	assert_null(shape_slowdown_new(bad, 5, &err));
	assert_non_null(strstr(err.msg, "only spaces"));
	bad[3] = "tab\there";
	assert_null(shape_slowdown_new(bad, 5, &err));
	assert_non_null(strstr(err.msg, "control character"));
	memset(longp, 'a', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';
	bad[3] = longp;
	assert_null(shape_slowdown_new(bad, 5, &err));
	assert_non_null(strstr(err.msg, "longer than 128"));
	longp[SHAPE_SLOWDOWN_PATTERN_MAX] = '\0';
	s = shape_slowdown_new(bad, 5, NULL);
	assert_non_null(s);
	assert_int_equal(shape_slowdown_match(s, 451, "", longp), 1);
	longp[SHAPE_SLOWDOWN_PATTERN_MAX - 1] = '\0';
	assert_int_equal(shape_slowdown_match(s, 451, "", longp), 0);
	shape_slowdown_free(s);
	bad[3] = "";
	assert_null(shape_slowdown_new(bad, 5, NULL));

	test_fail_after(0);
	assert_null(shape_slowdown_new(NULL, 0, &err));
	test_restore_allocator(NULL);
	assert_int_equal(err.code, CLR_ENOMEM);
}

static void
test_backoff(void **state)
{
	static const uint32_t	 rs[] = { 0, 1, 0x80000000u, UINT32_MAX };
	struct shape_backoff	 b;
	int64_t			 d, env, prev, lo, hi;
	uint32_t		 n, i;
	int			 k;

	assert_int_equal(shape_backoff_init(&b, 0, 0), 0);
	assert_int_equal(b.base, SHAPE_SEC);
	assert_int_equal(b.cap, 5 * SHAPE_MINUTE);
	/* rnd 0: the envelope itself, doubling to the cap. */
	{
		static const int64_t	 want[] = { 1, 2, 4, 8, 16, 32, 64,
			128, 256, 300, 300, 300 };

		for (n = 1; n <= ARRAY_LEN(want); n++)
			assert_int_equal(shape_backoff_delay(&b, n, 0),
			    want[n - 1] * SHAPE_SEC);
	}
	/* Monotone in the attempt for any one random value. */
	for (k = 0; k < (int)ARRAY_LEN(rs); k++) {
		prev = 0;
		for (n = 1; n < 100; n++) {
			d = shape_backoff_delay(&b, n, rs[k]);
			assert_true(d >= prev);
			prev = d;
		}
	}
	/* Bounds (d/2, d], over the whole range, and spread within them. */
	for (n = 1; n < 40; n++) {
		env = n >= 10 ? 5 * SHAPE_MINUTE :
		    SHAPE_SEC << (n - 1);
		lo = INT64_MAX;
		hi = 0;
		for (i = 0; i < 2000; i++) {
			d = shape_backoff_delay(&b, n, (uint32_t)rnd());
			assert_true(d > env / 2 && d <= env);
			if (d < lo)
				lo = d;
			if (d > hi)
				hi = d;
		}
		assert_true(lo < env / 2 + env / 20);
		assert_true(hi > env - env / 20);
	}
	assert_int_equal(shape_backoff_delay(&b, 1, UINT32_MAX),
	    SHAPE_SEC / 2 + 1);
	assert_int_equal(shape_backoff_delay(&b, 0, 0), SHAPE_SEC);

	/* Failures count, success resets. */
	for (n = 1; n <= 5; n++)
		assert_int_equal(shape_backoff_failure(&b, 0),
		    SHAPE_SEC << (n - 1));
	assert_int_equal(shape_backoff_failures(&b), 5);
	shape_backoff_success(&b);
	assert_int_equal(shape_backoff_failures(&b), 0);
	assert_int_equal(shape_backoff_failure(&b, 0), SHAPE_SEC);
	b.failures = UINT32_MAX - 1;
	assert_int_equal(shape_backoff_failure(&b, 0), 5 * SHAPE_MINUTE);
	assert_int_equal(shape_backoff_failure(&b, 0), 5 * SHAPE_MINUTE);
	assert_int_equal(shape_backoff_failures(&b), UINT32_MAX);

	/* The smallest base: never zero, never a tight loop. */
	assert_int_equal(shape_backoff_init(&b, SHAPE_BACKOFF_BASE_MIN,
	    SHAPE_BACKOFF_BASE_MIN), 0);
	for (i = 0; i < 10000; i++)
		assert_true(shape_backoff_failure(&b, (uint32_t)rnd()) >
		    SHAPE_BACKOFF_BASE_MIN / 2);
	/* The largest: a day's envelope, past 2^32 ns, jitter exact. */
	assert_int_equal(shape_backoff_init(&b, SHAPE_SEC, SHAPE_DAY), 0);
	d = shape_backoff_delay(&b, 64, UINT32_MAX);
	assert_true(d > SHAPE_DAY / 2 && d <= SHAPE_DAY / 2 + SHAPE_DAY / 2 /
	    ((int64_t)1 << 32) + 1);
	d = shape_backoff_delay(&b, 64, 0x80000000u);
	assert_int_equal(d, SHAPE_DAY - SHAPE_DAY / 4);

	assert_int_equal(shape_backoff_init(&b, SHAPE_BACKOFF_BASE_MIN - 1,
	    0), CLR_EINVAL);
	assert_int_equal(shape_backoff_init(&b, 10 * SHAPE_SEC, SHAPE_SEC),
	    CLR_EINVAL);
	assert_int_equal(shape_backoff_init(&b, SHAPE_SEC,
	    SHAPE_BACKOFF_CAP_MAX + 1), CLR_EINVAL);
	/* A base over the default cap makes the cap the base. */
	assert_int_equal(shape_backoff_init(&b, 10 * SHAPE_MINUTE, 0), 0);
	assert_int_equal(shape_backoff_failure(&b, 0), 10 * SHAPE_MINUTE);
}

/* The default schedule from the first attempt to expiry. */
static void
test_retry(void **state)
{
	static const int64_t	 want_min[] = {
		/* minutes after the first attempt */
		5, 20, 50, 110, 230, 470, 950, 1430, 1910, 2390, 2870, 3350,
		3830, 4310, 4320
	};
	struct shape_retry	 r;
	const int64_t		 first = INT64_C(1718000000) * SHAPE_SEC;
	int64_t			 now = first, when;
	uint32_t		 attempt = 0;

	assert_int_equal(shape_retry_init(&r, NULL, 0, 0), 0);
	assert_int_equal(shape_retry_delay(&r, 0), 5 * SHAPE_MINUTE);
	assert_int_equal(shape_retry_delay(&r, 1), 5 * SHAPE_MINUTE);
	assert_int_equal(shape_retry_delay(&r, 4), SHAPE_HOUR);
	assert_int_equal(shape_retry_delay(&r, 7), 8 * SHAPE_HOUR);
	assert_int_equal(shape_retry_delay(&r, 8), 8 * SHAPE_HOUR);
	assert_int_equal(shape_retry_delay(&r, UINT32_MAX), 8 * SHAPE_HOUR);

	while (shape_retry_next(&r, ++attempt, first, now, &when)) {
		assert_true(attempt <= ARRAY_LEN(want_min));
		assert_int_equal(when - first, want_min[attempt - 1] *
		    SHAPE_MINUTE);
		now = when;
	}
	assert_int_equal(attempt - 1, ARRAY_LEN(want_min));
	assert_int_equal(now - first, 3 * SHAPE_DAY);
	/* Expired from the maximum age on, not before. */
	assert_int_equal(shape_retry_next(&r, 1, first, first + 3 * SHAPE_DAY
	    - 1, &when), 1);
	assert_int_equal(when, first + 3 * SHAPE_DAY);
	assert_int_equal(shape_retry_next(&r, 1, first, first + 4 *
	    SHAPE_DAY, &when), 0);
	/* A clock that went back counts from now. */
	assert_int_equal(shape_retry_next(&r, 1, first, first - SHAPE_HOUR,
	    &when), 1);
	assert_int_equal(when, first - SHAPE_HOUR + 5 * SHAPE_MINUTE);

	{
		const int64_t	 mine[] = { SHAPE_MINUTE, 2 * SHAPE_MINUTE };
		const int64_t	 down[] = { 2 * SHAPE_MINUTE, SHAPE_MINUTE };
		const int64_t	 zero[] = { 0 };
		const int64_t	 many[SHAPE_RETRY_STEPS_MAX + 1] = { 1 };

		assert_int_equal(shape_retry_init(&r, mine, 2,
		    10 * SHAPE_MINUTE), 0);
		assert_int_equal(shape_retry_delay(&r, 1), SHAPE_MINUTE);
		assert_int_equal(shape_retry_delay(&r, 9), 2 * SHAPE_MINUTE);
		assert_int_equal(shape_retry_next(&r, 5, 0, 9 * SHAPE_MINUTE,
		    &when), 1);
		assert_int_equal(when, 10 * SHAPE_MINUTE);
		assert_int_equal(shape_retry_next(&r, 6, 0, 10 * SHAPE_MINUTE,
		    &when), 0);
		assert_int_equal(shape_retry_init(&r, down, 2, 0),
		    CLR_EINVAL);
		assert_int_equal(shape_retry_init(&r, zero, 1, 0),
		    CLR_EINVAL);
		assert_int_equal(shape_retry_init(&r, many, ARRAY_LEN(many),
		    0), CLR_EINVAL);
		assert_int_equal(shape_retry_init(&r, mine, 2, -1),
		    CLR_EINVAL);
		assert_int_equal(shape_retry_init(&r, mine, 2,
		    SHAPE_RETRY_AGE_LIMIT + 1), CLR_EINVAL);
		/* A refused init leaves the schedule as it was. */
		assert_int_equal(r.n, 2);
		assert_int_equal(r.max_age, 10 * SHAPE_MINUTE);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rate),
		cmocka_unit_test(test_bucket_hour),
		cmocka_unit_test(test_bucket_exact),
		cmocka_unit_test(test_bucket_no_drift),
		cmocka_unit_test(test_bucket_burst),
		cmocka_unit_test(test_bucket_set_rate),
		cmocka_unit_test(test_bucket_unlimited),
		cmocka_unit_test(test_bucket_extremes),
		cmocka_unit_test(test_aimd_cut_and_recover),
		cmocka_unit_test(test_aimd_floor),
		cmocka_unit_test(test_aimd_with_bucket),
		cmocka_unit_test(test_slowdown_table),
		cmocka_unit_test_teardown(test_slowdown_patterns,
		    test_restore_allocator),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_retry),
	};

	return cmocka_run_group_tests_name("shape", tests, NULL, NULL);
}
