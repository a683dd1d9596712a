/* SPDX-License-Identifier: ISC */
/*
 * shape/retry.h - when a deferred send is tried again, and when it
 * gives up
 *
 * A schedule is a list of delays, one per failed attempt (by default
 * 5m, 15m, 30m, 1h, 2h, 4h, 8h; past its end the last one repeats),
 * and a maximum age counted from the first attempt (3 days by default,
 * Postfix's maximal_queue_lifetime is 5): a send still deferred then is
 * expired. Near the end the next attempt is moved up to the maximum age
 * itself, so a send gets one last try rather than giving up with time
 * left.
 *
 * Pure and unit-free beyond "nanoseconds": first and now come from
 * whatever clock the caller stores (the store keeps wall-clock times,
 * since a deferred send outlives the process), the same for both.
 * Spreading the retries of a campaign's deferrals is left to the token
 * buckets they pass through when they are due.
 */
#ifndef CLARION_SHAPE_RETRY_H
#define CLARION_SHAPE_RETRY_H

#include <stddef.h>
#include <stdint.h>

#include "shape/shape.h"

#define SHAPE_RETRY_STEPS_MAX	32
#define SHAPE_RETRY_MAX_AGE	(3 * SHAPE_DAY)		/* default */
#define SHAPE_RETRY_AGE_LIMIT	(365 * SHAPE_DAY)	/* most max_age */

struct shape_retry {
	int64_t		 delays[SHAPE_RETRY_STEPS_MAX];
	size_t		 n;
	int64_t		 max_age;
};

/*
 * delays[0..n) (copied) and max_age, in ns; delays NULL (or n 0) takes
 * the default list, max_age 0 the default age. 0, or CLR_EINVAL
 * (nothing set) when n > SHAPE_RETRY_STEPS_MAX, a delay is not positive,
 * is shorter than the one before it or over SHAPE_RETRY_AGE_LIMIT, or
 * max_age is negative or over SHAPE_RETRY_AGE_LIMIT.
 */
int	 shape_retry_init(struct shape_retry *, const int64_t *delays,
	    size_t n, int64_t max_age);

/* The delay after the attempt-th failed attempt (1 or more; 0 is 1). */
int64_t	 shape_retry_delay(const struct shape_retry *, uint32_t attempt);

/*
 * After the attempt-th failed attempt, at now, of a send first tried at
 * first: 1 and *when, the time of the next attempt (never after
 * first + max_age); or 0 when the send has expired (now is max_age or
 * more after first).
 */
int	 shape_retry_next(const struct shape_retry *, uint32_t attempt,
	    int64_t first, int64_t now, int64_t *when);

#endif
