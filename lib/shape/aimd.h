/* SPDX-License-Identifier: ISC */
/*
 * shape/aimd.h - an adaptive sending rate for one relay or one domain
 *
 * Additive increase, multiplicative decrease, as TCP's congestion
 * control. The rate starts at the configured rate. A "slow down" reply
 * (shape/slowdown.h) cuts it by a factor (half by default), never below
 * a floor. Steady success raises it again, a fixed step at a time,
 * exactly back to the configured rate and never past it.
 *
 * One burst of messages sent at the old rate brings back several "slow
 * down" replies, all about the same excess. So after a cut, further
 * signals are ignored for a cool-down (2 s by default: the replies to
 * pipelined messages in flight are back well within that), and the
 * rate does not rise before the cool-down is over either. After it,
 * one step (5% of the configured rate by default) is added per
 * interval (1 s) in which a message succeeded: from half the rate back
 * to all of it in 10 s of success, from the floor in 20 s. An idle
 * relay proves nothing: intervals without a success add nothing, and a
 * success after a long pause adds one step, not many.
 *
 * The caller owns the struct and feeds the rate to its token bucket
 * whenever a call says it changed:
 *
 *	if (shape_aimd_slow_down(&a, now))
 *		shape_bucket_set_rate(&b, shape_aimd_rate(&a), now);
 *
 * Rates are micro-messages per second, times monotonic nanoseconds
 * (shape/shape.h). Fields are private; read them through
 * shape_aimd_status.
 */
#ifndef CLARION_SHAPE_AIMD_H
#define CLARION_SHAPE_AIMD_H

#include <stdint.h>

#include "shape/shape.h"

#define SHAPE_AIMD_FLOOR	(SHAPE_RATE_ONE / 60)	/* 1 a minute */
#define SHAPE_AIMD_DECREASE	500	/* per mille kept by a cut: half */
#define SHAPE_AIMD_INCREASE	50	/* per mille of the configured rate */
#define SHAPE_AIMD_COOLDOWN	(2 * SHAPE_SEC)
#define SHAPE_AIMD_INTERVAL	SHAPE_SEC

/* Zero fields take the defaults above. */
struct shape_aimd_params {
	uint64_t	 rate;		/* configured, 1 to SHAPE_RATE_MAX */
	uint64_t	 floor;		/* lowest rate; above rate: rate */
	uint32_t	 decrease;	/* per mille kept by a cut, 1-999 */
	uint32_t	 increase;	/* per mille of rate per step, 1-1000 */
	int64_t		 cooldown;	/* ns after a cut: no cut, no rise */
	int64_t		 interval;	/* ns of success per step */
};

enum shape_aimd_state {
	SHAPE_AIMD_NORMAL,	/* at the configured rate */
	SHAPE_AIMD_BACKING_OFF,	/* cut, not risen since */
	SHAPE_AIMD_RECOVERING,	/* risen since the last cut, not all back */
};

struct shape_aimd {
	struct shape_aimd_params p;	/* defaults filled in */
	uint64_t	 rate;		/* current */
	uint64_t	 step;		/* added per interval of success */
	uint64_t	 cuts;		/* signals that cut (or hit the floor) */
	uint64_t	 ignored;	/* signals inside a cool-down */
	int64_t		 last_cut;	/* valid once cuts > 0 */
	int64_t		 last_change;	/* last cut or rise */
	int		 risen;		/* risen since the last cut */
};

/* For the daemon's status. */
struct shape_aimd_status {
	uint64_t		 rate;		/* current */
	uint64_t		 configured;
	uint64_t		 floor;
	uint64_t		 cuts;
	uint64_t		 ignored;
	int			 has_cut;	/* last_cut is meaningful */
	int64_t			 last_cut;
	enum shape_aimd_state	 state;
	const char		*state_name;	/* "normal", "backing-off",
						 * "recovering" */
};

/* 0, or CLR_EINVAL (nothing set) for a parameter out of range. */
int	 shape_aimd_init(struct shape_aimd *, const struct shape_aimd_params *,
	    int64_t now);

/* A "slow down" reply: 1 if the rate changed, 0 if not. */
int	 shape_aimd_slow_down(struct shape_aimd *, int64_t now);

/* A message accepted: 1 if the rate changed, 0 if not. */
int	 shape_aimd_success(struct shape_aimd *, int64_t now);

uint64_t shape_aimd_rate(const struct shape_aimd *);
void	 shape_aimd_status(const struct shape_aimd *,
	    struct shape_aimd_status *);
const char *shape_aimd_state_name(enum shape_aimd_state);

#endif
