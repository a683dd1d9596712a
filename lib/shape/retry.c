/* SPDX-License-Identifier: ISC */
/*
 * shape/retry.c - the retry schedule of deferred sends
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "retry.h"
#include "util/err.h"

static const int64_t	 default_delays[] = {
	5 * SHAPE_MINUTE, 15 * SHAPE_MINUTE, 30 * SHAPE_MINUTE, SHAPE_HOUR,
	2 * SHAPE_HOUR, 4 * SHAPE_HOUR, 8 * SHAPE_HOUR,
};

int
shape_retry_init(struct shape_retry *r, const int64_t *delays, size_t n,
    int64_t max_age)
{
	size_t	 i;

	if (delays == NULL || n == 0) {
		delays = default_delays;
		n = sizeof(default_delays) / sizeof(default_delays[0]);
	}
	if (n > SHAPE_RETRY_STEPS_MAX || max_age < 0 ||
	    max_age > SHAPE_RETRY_AGE_LIMIT)
		return CLR_EINVAL;
	for (i = 0; i < n; i++)
		if (delays[i] <= 0 || delays[i] > SHAPE_RETRY_AGE_LIMIT ||
		    (i > 0 && delays[i] < delays[i - 1]))
			return CLR_EINVAL;
	memcpy(r->delays, delays, n * sizeof(delays[0]));
	r->n = n;
	r->max_age = max_age == 0 ? SHAPE_RETRY_MAX_AGE : max_age;
	return 0;
}

int64_t
shape_retry_delay(const struct shape_retry *r, uint32_t attempt)
{
	if (attempt == 0)
		attempt = 1;
	if (attempt > r->n)
		return r->delays[r->n - 1];
	return r->delays[attempt - 1];
}

int
shape_retry_next(const struct shape_retry *r, uint32_t attempt,
    int64_t first, int64_t now, int64_t *when)
{
	int64_t	 end, delay;

	if (now < first)	/* a clock step: count from now */
		first = now;
	if (now - first >= r->max_age)
		return 0;
	end = first + r->max_age;
	delay = shape_retry_delay(r, attempt);
	*when = delay >= end - now ? end : now + delay;
	return 1;
}
