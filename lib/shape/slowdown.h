/* SPDX-License-Identifier: ISC */
/*
 * shape/slowdown.h - does a reply mean "slow down"?
 *
 * A receiver that wants less mail from us says so with a 4xx, in ways
 * that vary by vendor. A reply means slow down (and feeds
 * shape_aimd_slow_down) when it is:
 *
 *	421, any text (the server is closing the channel on us);
 *	451 with an enhanced status 4.7.X (Microsoft's "4.7.500 Server
 *	busy", Gmail's and Yahoo's rate refusals);
 *	452 with 4.5.3 (too many recipients);
 *	450, 451 or 452 whose text holds one of the patterns, matched
 *	as substrings, ignoring ASCII case, with any run of white space
 *	(the line breaks of a multi-line reply too) taken as one space.
 *
 * Except, for 450-452: greylisting ("greylist", "graylist", ...), which
 * is a delay by design that a lower rate does not shorten, and a status
 * about one address or mailbox (4.1.X, 4.2.X: a full mailbox, a user
 * receiving "too quickly"), which says nothing of the relay or domain
 * whose rate would be cut. A 5xx is never a slow down: it is that
 * message's final answer.
 *
 * The patterns come from the configuration; shape_slowdown_defaults()
 * lists the built-in ones. The matcher copies them, so the caller's
 * strings may go away. It is read-only once made: several threads may
 * match with one.
 */
#ifndef CLARION_SHAPE_SLOWDOWN_H
#define CLARION_SHAPE_SLOWDOWN_H

#include <stddef.h>

#include "util/err.h"

#define SHAPE_SLOWDOWN_PATTERNS_MAX	64	/* patterns of one matcher */
#define SHAPE_SLOWDOWN_PATTERN_MAX	128	/* octets of one pattern */
#define SHAPE_SLOWDOWN_TEXT_MAX		8192	/* octets of text searched */

struct shape_slowdown;

/*
 * A matcher for patterns[0..n) (copied, folded as the text is: lower
 * case, runs of spaces made one, leading and trailing ones dropped), or for
 * the defaults when patterns is NULL. n may be 0: the code rules alone.
 * NULL with err filled (err may be NULL): CLR_EINVAL for more than
 * SHAPE_SLOWDOWN_PATTERNS_MAX patterns, or one that is NULL, empty or
 * only spaces (it would match everything), longer than
 * SHAPE_SLOWDOWN_PATTERN_MAX or holds a control character; CLR_ENOMEM.
 */
struct shape_slowdown	*shape_slowdown_new(const char *const *patterns,
			    size_t n, struct clr_err *err);
void			 shape_slowdown_free(struct shape_slowdown *);

/* The built-in patterns (static), *n set to their count. */
const char *const	*shape_slowdown_defaults(size_t *n);

/*
 * 1 if the reply means slow down, 0 if not. code is the reply code,
 * status its enhanced status ("4.7.1"; "" or NULL for none), text its
 * text (NULL for none; only the first SHAPE_SLOWDOWN_TEXT_MAX octets
 * are searched).
 */
int	 shape_slowdown_match(const struct shape_slowdown *, int code,
	    const char *status, const char *text);

#endif
