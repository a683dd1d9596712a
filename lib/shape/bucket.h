/* SPDX-License-Identifier: ISC */
/*
 * shape/bucket.h - a token bucket: at most `rate` messages a second on
 * average, at most `burst` at once
 *
 * The bucket holds up to burst tokens and gains rate tokens a second;
 * sending a message takes one. It starts full. Rates are micro-messages
 * per second (shape/shape.h), so 0.5/s and 1/min are exact or nearly;
 * a rate of 0 means unlimited: every take succeeds.
 *
 * Integer arithmetic only, with no drift: the level is kept in
 * micro-tokens and the part of a micro-token that elapsed time has
 * earned but not yet made whole is carried to the next update, never
 * rounded away. So 10/s for a simulated hour gives 36,000 tokens plus
 * the burst, and a million updates at odd instants give what one update
 * at the end would.
 *
 * Time is `now` in monotonic nanoseconds, never read here. A `now` older
 * than the last one seen is taken as the last one: time does not run
 * backwards in a bucket.
 *
 * The struct is embedded by its owner; its fields are private.
 */
#ifndef CLARION_SHAPE_BUCKET_H
#define CLARION_SHAPE_BUCKET_H

#include <stdint.h>

#include "shape/shape.h"

#define SHAPE_BURST_MAX	1000000		/* tokens a bucket may hold */

struct shape_bucket {
	uint64_t	 rate;		/* micro-tokens a second; 0: no limit */
	uint64_t	 level;		/* micro-tokens held, <= cap */
	uint64_t	 cap;		/* burst * SHAPE_RATE_ONE */
	uint64_t	 carry;		/* earned part of a micro-token, in
					 * 1e-9 micro-tokens (< SHAPE_SEC) */
	int64_t		 last;		/* when level was brought up to date */
};

/*
 * A full bucket. 0, or CLR_EINVAL (bucket untouched) for a rate over
 * SHAPE_RATE_MAX or a burst of 0 or over SHAPE_BURST_MAX.
 */
int	 shape_bucket_init(struct shape_bucket *, uint64_t rate,
	    uint32_t burst, int64_t now);

/* Take one token: 1 if there was one, 0 if not (nothing changes then). */
int	 shape_bucket_take(struct shape_bucket *, int64_t now);

/*
 * Nanoseconds from now until a take will succeed: 0 if one would now,
 * otherwise at least 1. Does not change the bucket.
 */
int64_t	 shape_bucket_wait(const struct shape_bucket *, int64_t now);

/*
 * Change the rate from now on. The tokens earned until now, at the old
 * rate, stay: the level does not jump. From unlimited, the bucket starts
 * full. 0, or CLR_EINVAL (nothing changed) over SHAPE_RATE_MAX.
 */
int	 shape_bucket_set_rate(struct shape_bucket *, uint64_t rate,
	    int64_t now);

/* Whole tokens held now (the burst when unlimited). */
uint64_t shape_bucket_tokens(const struct shape_bucket *, int64_t now);

#endif
