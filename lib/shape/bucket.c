/* SPDX-License-Identifier: ISC */
/*
 * shape/bucket.c - token bucket in integer arithmetic, without drift
 *
 * The level is in micro-tokens (SHAPE_RATE_ONE to a token) and the rate
 * in micro-tokens per second, so dt nanoseconds earn
 *
 *	(dt * rate + carry) / 1e9	micro-tokens,
 *
 * the remainder becoming the next carry. Nothing is rounded away, so
 * the tokens earned over any sequence of updates are exactly those of
 * one update over their sum (until the bucket is full: a whole
 * micro-token that overflows it is lost by design, with the carry).
 *
 * dt * rate does not fit in 64 bits (an hour at 1e6/s is 3.6e27), so it
 * is split: whole seconds earn rate each, once we know they do not fill
 * the bucket; the nanoseconds left (ns < 1e9) are multiplied by the rate
 * split into whole and micro parts (rate = hi * 1e6 + lo), every product
 * staying under 1e16. A double would do for an hour and drift over a
 * month; unsigned __int128 is not C11.
 */
#include <stdint.h>

#include "bucket.h"
#include "util/err.h"

static void	 refill(const struct shape_bucket *, int64_t, uint64_t *,
		    uint64_t *);

uint64_t
shape_rate(uint64_t count, int64_t per)
{
	double	 r;

	if (count == 0 || per <= 0)
		return 0;
	/* Configuration time only: a double is exact for the counts and
	 * periods people write, and near enough for any other. */
	r = (double)count * 1e15 / (double)per + 0.5;
	if (r >= (double)SHAPE_RATE_MAX)
		return SHAPE_RATE_MAX;
	if (r < 1.0)
		return 1;
	return (uint64_t)r;
}

/* refill - the level and carry the bucket has at now (no change to b). */
static void
refill(const struct shape_bucket *b, int64_t now, uint64_t *level,
    uint64_t *carry)
{
	const uint64_t	 sec = (uint64_t)SHAPE_SEC;
	uint64_t	 dt, s, ns, room, add, hi, lo, x, inner;

	*level = b->level;
	*carry = b->carry;
	if (b->rate == 0 || now <= b->last)
		return;
	if (b->level >= b->cap) {
		*carry = 0;
		return;
	}
	/* now > last, so the difference fits in 64 bits unsigned. */
	dt = (uint64_t)now - (uint64_t)b->last;
	room = b->cap - b->level;
	s = dt / sec;
	ns = dt % sec;
	if (s > room / b->rate)
		goto full;
	add = s * b->rate;		/* <= room */
	hi = b->rate / SHAPE_RATE_ONE;
	lo = b->rate % SHAPE_RATE_ONE;
	x = ns * hi;			/* < 1e9 * 1e6 */
	inner = (x % 1000) * SHAPE_RATE_ONE + ns * lo + b->carry;
	add += x / 1000 + inner / sec;
	if (add > room)
		goto full;
	/* Full to the micro-token: the fraction earned beyond is not
	 * overflow yet, and keeping it keeps take times exact. */
	*level = b->level + add;
	*carry = inner % sec;
	return;
full:
	*level = b->cap;
	*carry = 0;
}

int
shape_bucket_init(struct shape_bucket *b, uint64_t rate, uint32_t burst,
    int64_t now)
{
	if (rate > SHAPE_RATE_MAX || burst == 0 || burst > SHAPE_BURST_MAX)
		return CLR_EINVAL;
	b->rate = rate;
	b->cap = (uint64_t)burst * SHAPE_RATE_ONE;
	b->level = b->cap;
	b->carry = 0;
	b->last = now;
	return 0;
}

int
shape_bucket_take(struct shape_bucket *b, int64_t now)
{
	if (b->rate == 0)
		return 1;
	refill(b, now, &b->level, &b->carry);
	if (now > b->last)
		b->last = now;
	if (b->level < SHAPE_RATE_ONE)
		return 0;
	b->level -= SHAPE_RATE_ONE;
	return 1;
}

int64_t
shape_bucket_wait(const struct shape_bucket *b, int64_t now)
{
	uint64_t	 level, carry, need;

	if (b->rate == 0)
		return 0;
	refill(b, now, &level, &carry);
	if (level >= SHAPE_RATE_ONE)
		return 0;
	/* The least t with t * rate + carry >= need * 1e9: at least 1. */
	need = (SHAPE_RATE_ONE - level) * (uint64_t)SHAPE_SEC - carry;
	return (int64_t)((need + b->rate - 1) / b->rate);
}

int
shape_bucket_set_rate(struct shape_bucket *b, uint64_t rate, int64_t now)
{
	if (rate > SHAPE_RATE_MAX)
		return CLR_EINVAL;
	if (b->rate == 0) {
		b->level = b->cap;
		b->carry = 0;
	} else
		refill(b, now, &b->level, &b->carry);
	if (now > b->last)
		b->last = now;
	b->rate = rate;
	return 0;
}

uint64_t
shape_bucket_tokens(const struct shape_bucket *b, int64_t now)
{
	uint64_t	 level, carry;

	if (b->rate == 0)
		return b->cap / SHAPE_RATE_ONE;
	refill(b, now, &level, &carry);
	return level / SHAPE_RATE_ONE;
}
