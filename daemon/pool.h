/* SPDX-License-Identifier: ISC */
/*
 * daemon/pool.h - the relays' connections, and what goes over them when
 *
 * The pool takes rendered messages and delivers each over one of the
 * configured relays, through SMTP connections it opens, reuses and closes
 * itself (daemon/smtp_conn.c). Every message submitted gets exactly one
 * result: its verdict (sent, deferred, bounced-hard, bounced-soft, from
 * lib/bounce/verdict.c) with the reply it rests on.
 *
 * What goes next, and where, is decided on the loop thread each time
 * something changes (a message arrives, a connection can take one, tokens
 * accrue): the oldest message whose recipient domain is under its
 * connection cap and has a token, when the global bucket has one too,
 * goes to the relay next in weighted turn among those that have a token
 * and an open connection, and waits for that relay's connection to be
 * free, so that each relay carries its weight's share (a relay whose
 * every connection has waited 5 s for an answer is passed over). Relays
 * open more connections while messages wait, up to their limit; a relay
 * whose session ends before any transaction had its answer rests for an
 * exponentially growing, jittered pause (connections opened together
 * count as one failure); backup relays are used only while no other
 * relay is up, and when every relay has failed three times in a row the
 * queue is deferred. A reply that says "slow
 * down" (lib/shape) cuts the rate of the recipient's domain (a refused
 * RCPT) or of the relay (anything else), which then recovers step by
 * step.
 */
#ifndef CLARION_DAEMON_POOL_H
#define CLARION_DAEMON_POOL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include <uv.h>

#include "bounce/verdict.h"
#include "config/config.h"
#include "smtp/smtp.h"
#include "util/buf.h"

struct pool;
struct pool_domain;
struct pool_conn;

/* A message for the pool. The caller fills the first part and keeps the
 * whole struct (and what it points to) alive until its result. */
struct pool_msg {
	const char		*from;		/* envelope sender */
	const char		*rcpt;		/* the one recipient */
	const void		*body;
	size_t			 len;
	int			 smtputf8;	/* see struct smtp_mail */
	int			 eightbit;
	const char		*relay;		/* only this relay, or NULL */
	void			*udata;

	/* The pool's. */
	TAILQ_ENTRY(pool_msg)	 entry;
	struct pool_domain	*dom;
	struct pool_conn	*conn;
	struct pool_relay	*bound;		/* relay's, resolved */
};

struct pool_result {
	struct verdict		 verdict;
	enum smtp_outcome	 outcome;
	enum smtp_stage		 stage;
	struct smtp_reply	 reply;		/* text borrowed for the call */
	const char		*relay;		/* its name, or NULL */
};

typedef void	pool_result_fn(void *arg, struct pool_msg *,
		    const struct pool_result *);

/*
 * A pool for the relays and shaping of cfg (which must outlive it). Reads
 * the relays' password files and CA files now: a missing or unreadable
 * one, or a password file readable by others, is an error naming it.
 */
struct pool	*pool_new(uv_loop_t *, const struct config *cfg,
		    pool_result_fn *, void *arg, struct clr_err *);
void		 pool_free(struct pool *);

/* Queue a message; its result comes later, from the loop, never from
 * inside this call. */
void		 pool_submit(struct pool *, struct pool_msg *);

/*
 * Take back the waiting messages (not those on a connection) for which
 * match(arg, m) is true, or all of them when match is NULL: each is
 * handed to back(arg, m) now, and gets no result. For a pause, a cancel,
 * a stop. Returns how many.
 */
size_t		 pool_withdraw(struct pool *,
		    int (*match)(void *, const struct pool_msg *),
		    void (*back)(void *, struct pool_msg *), void *arg);

/* Messages waiting for a connection, and on one. */
size_t		 pool_queued(const struct pool *);
size_t		 pool_in_flight(const struct pool *);

/*
 * Stop: queued messages get a deferred result ("not sent: shutting
 * down"), those in flight finish, connections QUIT; stopped(arg) once the
 * last one is closed. No submit after this.
 */
void		 pool_stop(struct pool *, void (*stopped)(void *), void *arg);

/*
 * Abort: like pool_stop, but the connections are closed now, without
 * waiting for replies; their messages get their outcomes at once (not
 * sent, or ambiguous when the end of data went out). For a stop that
 * cannot wait on a slow server any longer.
 */
void		 pool_abort(struct pool *, const char *reason);

/* The state of relays, connections and rates, as a JSON object. */
int		 pool_status_json(const struct pool *, struct buf *);

#endif
