/* SPDX-License-Identifier: ISC */
/*
 * shape/backoff.h - how long to wait before reconnecting to a relay
 *
 * Exponential backoff with "equal jitter": after the n-th failure in a
 * row the envelope is d = min(cap, base * 2^(n-1)) and the delay lies in
 * (d/2, d], placed by a random number the caller draws. Chosen over
 *
 *  - full jitter, [0, d]: it can return next to nothing after many
 *    failures, so a dead relay would be probed at any moment;
 *  - decorrelated jitter, min(cap, random in [base, 3 * previous]): its
 *    delays are not monotone in the attempt and depend on the last one.
 *
 * Equal jitter keeps a floor that doubles with the envelope (a relay
 * that stays dead is probed less and less often, never more than twice
 * as often as the envelope says) and still spreads the reconnects of a
 * pool's sessions over a factor of two, so they do not arrive together
 * when the relay comes back. The delay is never 0: at least
 * SHAPE_BACKOFF_BASE_MIN / 2 after any failure, so a relay that refuses
 * at once can never make a tight loop. Success resets it.
 *
 * Durations in nanoseconds (shape/shape.h). The struct is embedded by
 * its owner; fields are private.
 */
#ifndef CLARION_SHAPE_BACKOFF_H
#define CLARION_SHAPE_BACKOFF_H

#include <stdint.h>

#include "shape/shape.h"

#define SHAPE_BACKOFF_BASE	SHAPE_SEC		/* default base */
#define SHAPE_BACKOFF_CAP	(5 * SHAPE_MINUTE)	/* default cap */
#define SHAPE_BACKOFF_BASE_MIN	SHAPE_MSEC		/* least base */
#define SHAPE_BACKOFF_CAP_MAX	SHAPE_DAY		/* most cap */

struct shape_backoff {
	int64_t		 base;
	int64_t		 cap;
	uint32_t	 failures;	/* in a row, since the last success */
};

/*
 * base and cap in ns; 0 takes the default. 0, or CLR_EINVAL (nothing
 * set) unless SHAPE_BACKOFF_BASE_MIN <= base <= cap <=
 * SHAPE_BACKOFF_CAP_MAX.
 */
int	 shape_backoff_init(struct shape_backoff *, int64_t base,
	    int64_t cap);

/*
 * A connection failed: count it and return how long to wait before the
 * next attempt, in (d/2, d] as above. rnd is a uniform random number
 * from the caller (0 gives d, UINT32_MAX nearly d/2).
 */
int64_t	 shape_backoff_failure(struct shape_backoff *, uint32_t rnd);

/* A connection succeeded: the next failure starts from base again. */
void	 shape_backoff_success(struct shape_backoff *);

/* Failures in a row so far. */
uint32_t shape_backoff_failures(const struct shape_backoff *);

/*
 * The delay after the failures-th failure in a row (1 or more; 0 is
 * taken as 1), without changing anything: what shape_backoff_failure
 * returns.
 */
int64_t	 shape_backoff_delay(const struct shape_backoff *, uint32_t failures,
	    uint32_t rnd);

#endif
