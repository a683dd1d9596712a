/* SPDX-License-Identifier: ISC */
/*
 * shape/shape.h - the units every shaping module uses
 *
 * lib/shape paces sending: token buckets (bucket.h), an adaptive rate
 * (aimd.h), what counts as "slow down" (slowdown.h), reconnection
 * backoff (backoff.h) and the retry schedule of deferred sends
 * (retry.h). None of it reads a clock or draws a random number: times
 * and random values are parameters.
 *
 * Times and durations are int64_t nanoseconds. Within a process they
 * are read from one monotonic clock (uv_hrtime()): an NTP step must not
 * empty or fill a bucket. retry.h is the exception the caller chooses:
 * a deferred send outlives the process, so its times come from the
 * wall clock the store keeps, in the same unit.
 *
 * Rates are uint64_t micro-messages per second: SHAPE_RATE_ONE is one
 * message a second, 500000 one every two seconds, 16667 one a minute
 * (to within 2e-5). 0 means unlimited where a function says so.
 */
#ifndef CLARION_SHAPE_H
#define CLARION_SHAPE_H

#include <stdint.h>

#define SHAPE_NSEC	INT64_C(1)
#define SHAPE_USEC	INT64_C(1000)
#define SHAPE_MSEC	INT64_C(1000000)
#define SHAPE_SEC	INT64_C(1000000000)
#define SHAPE_MINUTE	(60 * SHAPE_SEC)
#define SHAPE_HOUR	(60 * SHAPE_MINUTE)
#define SHAPE_DAY	(24 * SHAPE_HOUR)

#define SHAPE_RATE_ONE	UINT64_C(1000000)	/* 1 message per second */
#define SHAPE_RATE_MAX	(UINT64_C(1000000) * SHAPE_RATE_ONE)	/* 1e6/s */

/*
 * count messages per `per` nanoseconds as a rate, rounded to the
 * nearest micro-message per second and clamped to [1, SHAPE_RATE_MAX]
 * (never 0, which would mean unlimited). 0 when count is 0 or per <= 0.
 * For configuration: "30/min" is shape_rate(30, SHAPE_MINUTE).
 */
uint64_t	 shape_rate(uint64_t count, int64_t per);

#endif
