/* SPDX-License-Identifier: ISC */
/*
 * shape/aimd.c - additive increase, multiplicative decrease of a rate
 *
 * The whole state is a handful of integers; see aimd.h for the policy.
 * A cut is rate * decrease / 1000, floored; a rise adds the step
 * (configured * increase / 1000, at least one micro-message a second)
 * and stops exactly at the configured rate, so recovery always ends
 * there, never a rounding error short or past it. When messages are
 * rare (at the floor, one a minute), successes are the clock: a step
 * needs a success at least an interval after the last change, so the
 * rate rises no faster than the evidence that it may.
 */
#include <stdint.h>
#include <string.h>

#include "aimd.h"
#include "util/err.h"

static const char *const state_names[] = {
	[SHAPE_AIMD_NORMAL] = "normal",
	[SHAPE_AIMD_BACKING_OFF] = "backing-off",
	[SHAPE_AIMD_RECOVERING] = "recovering",
};

static int	 cooling(const struct shape_aimd *, int64_t);

/* cooling - inside the cool-down of the last cut. */
static int
cooling(const struct shape_aimd *a, int64_t now)
{
	return a->cuts > 0 && now - a->last_cut < a->p.cooldown;
}

int
shape_aimd_init(struct shape_aimd *a, const struct shape_aimd_params *in,
    int64_t now)
{
	struct shape_aimd_params	 p = *in;

	if (p.rate == 0 || p.rate > SHAPE_RATE_MAX ||
	    p.decrease >= 1000 || p.increase > 1000 ||
	    p.cooldown < 0 || p.interval < 0)
		return CLR_EINVAL;
	if (p.floor == 0)
		p.floor = SHAPE_AIMD_FLOOR;
	if (p.floor > p.rate)
		p.floor = p.rate;
	if (p.decrease == 0)
		p.decrease = SHAPE_AIMD_DECREASE;
	if (p.increase == 0)
		p.increase = SHAPE_AIMD_INCREASE;
	if (p.cooldown == 0)
		p.cooldown = SHAPE_AIMD_COOLDOWN;
	if (p.interval == 0)
		p.interval = SHAPE_AIMD_INTERVAL;

	memset(a, 0, sizeof(*a));
	a->p = p;
	a->rate = p.rate;
	a->step = p.rate * p.increase / 1000;
	if (a->step == 0)
		a->step = 1;
	a->last_change = now;
	return 0;
}

int
shape_aimd_slow_down(struct shape_aimd *a, int64_t now)
{
	uint64_t	 old = a->rate;

	if (cooling(a, now)) {
		a->ignored++;
		return 0;
	}
	a->rate = a->rate * a->p.decrease / 1000;
	if (a->rate < a->p.floor)
		a->rate = a->p.floor;
	a->cuts++;
	a->last_cut = now;
	a->last_change = now;
	a->risen = 0;
	return a->rate != old;
}

int
shape_aimd_success(struct shape_aimd *a, int64_t now)
{
	if (a->rate >= a->p.rate || cooling(a, now) ||
	    now - a->last_change < a->p.interval)
		return 0;
	a->rate = a->p.rate - a->rate > a->step ? a->rate + a->step :
	    a->p.rate;
	a->last_change = now;
	a->risen = 1;
	return 1;
}

uint64_t
shape_aimd_rate(const struct shape_aimd *a)
{
	return a->rate;
}

void
shape_aimd_status(const struct shape_aimd *a, struct shape_aimd_status *st)
{
	memset(st, 0, sizeof(*st));
	st->rate = a->rate;
	st->configured = a->p.rate;
	st->floor = a->p.floor;
	st->cuts = a->cuts;
	st->ignored = a->ignored;
	st->has_cut = a->cuts > 0;
	st->last_cut = a->last_cut;
	if (a->rate >= a->p.rate)
		st->state = SHAPE_AIMD_NORMAL;
	else if (a->risen)
		st->state = SHAPE_AIMD_RECOVERING;
	else
		st->state = SHAPE_AIMD_BACKING_OFF;
	st->state_name = state_names[st->state];
}

const char *
shape_aimd_state_name(enum shape_aimd_state s)
{
	if ((unsigned)s > SHAPE_AIMD_RECOVERING)
		return "?";
	return state_names[s];
}
