/* SPDX-License-Identifier: ISC */
/*
 * shape/backoff.c - exponential reconnection backoff with equal jitter
 *
 * The jitter is j = floor(h * rnd / 2^32) with h = d/2, so j < h and the
 * delay d - j is in (d/2, d]; for d = 1 it is 1. h * rnd would overflow
 * once h passes 2^32 ns (4.3 s), so h is split into its high and low 32
 * bits: floor(h * r / 2^32) = hi * r + floor(lo * r / 2^32), exactly.
 */
#include <stdint.h>

#include "backoff.h"
#include "util/err.h"

int
shape_backoff_init(struct shape_backoff *b, int64_t base, int64_t cap)
{
	if (base == 0)
		base = SHAPE_BACKOFF_BASE;
	if (cap == 0)
		cap = base > SHAPE_BACKOFF_CAP ? base : SHAPE_BACKOFF_CAP;
	if (base < SHAPE_BACKOFF_BASE_MIN || cap < base ||
	    cap > SHAPE_BACKOFF_CAP_MAX)
		return CLR_EINVAL;
	b->base = base;
	b->cap = cap;
	b->failures = 0;
	return 0;
}

int64_t
shape_backoff_delay(const struct shape_backoff *b, uint32_t failures,
    uint32_t rnd)
{
	uint64_t	 d = (uint64_t)b->base, h, j;
	uint32_t	 i;

	/* Doubling stops at the cap, so this runs at most ~40 times. */
	for (i = 1; i < failures && d < (uint64_t)b->cap; i++)
		d *= 2;
	if (d > (uint64_t)b->cap)
		d = (uint64_t)b->cap;
	h = d / 2;
	j = (h >> 32) * rnd + (((h & UINT32_MAX) * rnd) >> 32);
	return (int64_t)(d - j);
}

int64_t
shape_backoff_failure(struct shape_backoff *b, uint32_t rnd)
{
	if (b->failures < UINT32_MAX)
		b->failures++;
	return shape_backoff_delay(b, b->failures, rnd);
}

void
shape_backoff_success(struct shape_backoff *b)
{
	b->failures = 0;
}

uint32_t
shape_backoff_failures(const struct shape_backoff *b)
{
	return b->failures;
}
