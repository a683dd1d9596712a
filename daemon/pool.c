/* SPDX-License-Identifier: ISC */
/*
 * daemon/pool.c - relays, their connections, and the order of sending
 *
 * All of it runs on the loop thread. dispatch() is the one place that
 * decides: it is called whenever something may have changed (a message
 * queued, a connection ready, a result in, a timer), never recursively,
 * and it either hands messages over, opens connections, or arms the timer
 * for the earliest moment something will change by itself (a token, the
 * end of a relay's rest).
 *
 * Rates are token buckets (lib/shape) at three levels: all messages, each
 * relay, each group of recipient domains (or each other domain). A level
 * without a configured rate has no bucket until a receiver asks clarion to
 * slow down: then it gets one at a cut of the rate it was seeing, and
 * loses it again once recovered.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr/addr.h"
#include "log.h"
#include "pool.h"
#include "shape/aimd.h"
#include "shape/backoff.h"
#include "shape/bucket.h"
#include "shape/slowdown.h"
#include "smtp_conn.h"
#include "tls.h"
#include "util/alloc.h"
#include "util/json.h"
#include "util/utf8.h"

#define SCAN_MAX		256	/* queued messages looked at per pass */
/* Failed connections in a row to every relay: the queue is deferred. */
#define FAILS_GIVE_UP		3
#define SECRET_MAX		1024
/* A relay whose every connection waited this long for an answer is left
 * out of the weighted turns until one comes. */
#define STALL_NS		(5 * SHAPE_SEC)
#define INFLIGHT_MAX		4	/* per connection: the engine keeps 2 */
#define HOSTNAME_MAX		255

/* The two weighted turns among relays: who sends next, who opens next. */
enum { TURN_SEND, TURN_OPEN };

/*
 * A rate that may adapt: a bucket at the configured rate (or none), and
 * AIMD once a receiver complained. Rates are in lib/shape's micro-tokens
 * per second.
 */
struct rate {
	uint64_t		 configured;	/* 0: no limit */
	uint32_t		 burst;
	int			 limited;	/* the bucket applies */
	struct shape_bucket	 bucket;
	int			 adaptive;	/* aimd is running */
	struct shape_aimd	 aimd;
	int64_t			 window_start;	/* observed rate, per second */
	uint64_t		 window_count;
	uint64_t		 observed;
};

struct pool_domain {
	char				*name;	/* the group's, or the domain */
	const struct config_domain_group *cfg;
	struct rate			 rate;
	unsigned			 busy;	/* connections with one of its
						 * messages in flight */
	unsigned			 busy_peak;
	struct pool_domain		*hnext;	/* hash chain */
	struct pool_domain		*group;	/* the group's entry, if any */
};

struct pool_relay {
	struct pool			*pool;
	const struct config_relay	*cfg;
	struct tls_ctx			*tls;
	char				*password;
	struct smtp_params		 smtp;
	struct rate			 rate;
	TAILQ_HEAD(, pool_conn)		 conns;
	unsigned			 nconns;	/* opening included */
	unsigned			 nopening;
	unsigned			 serial;
	struct shape_backoff		 backoff;	/* reconnecting */
	unsigned			 round;		/* of attempts */
	int64_t				 retry_at;	/* after a failure */
	int64_t				 wrr[2];	/* TURN_SEND, _OPEN */
	int				 skip;		/* stalled: this pass */
	size_t				 nbound;	/* queued for it */
	uint64_t			 results[VERDICT_KIND_LAST];
	char				 last_error[256];
};

struct pool_conn {
	TAILQ_ENTRY(pool_conn)	 entry;
	struct pool_relay	*relay;
	struct smtp_conn	*sc;
	struct pool_msg		*inflight[INFLIGHT_MAX];
	unsigned		 ninflight;
	unsigned		 handed;
	int			 ready;		/* can take a message */
	int			 opened;	/* got as far as ready once */
	int			 quitting;
	unsigned		 answered;	/* transactions answered */
	int64_t			 waiting_since;	/* for an answer, since */
	unsigned		 round;		/* the relay's, when opened */
};

TAILQ_HEAD(msg_queue, pool_msg);

struct pool {
	uv_loop_t		*loop;
	const struct config	*cfg;
	pool_result_fn		*result_fn;
	void			*result_arg;
	char			 helo[HOSTNAME_MAX + 1];

	struct pool_relay	*relays;
	size_t			 nrelays;
	struct rate		 rate;		/* all messages */
	struct shape_aimd_params aimd;		/* from shaping.slow_down */
	struct shape_slowdown	*slow;

	struct pool_domain	**htab;		/* domains by name */
	size_t			 hsize;
	size_t			 ndomains;

	struct msg_queue	 queue;
	size_t			 nqueued;
	struct msg_queue	 refused;	/* results due from the loop */
	size_t			 ninflight;
	uv_timer_t		 timer;
	uv_idle_t		 kick;		/* dispatch from the loop */
	int			 dispatching;
	int			 again;
	int			 stopping;
	void			(*stopped)(void *);
	void			*stopped_arg;
	struct smtp_reply	 fail_reply;	/* the last relay failure */
	char			 fail_text[400];
	int			 closing;	/* handles closing */
};

static void	dispatch(struct pool *);

/* unqueue - m leaves the queue (for a connection, or back). */
static void
unqueue(struct pool *p, struct pool_msg *m)
{
	TAILQ_REMOVE(&p->queue, m, entry);
	p->nqueued--;
	if (m->bound != NULL)
		m->bound->nbound--;
}
static void	defer_queue(struct pool *, const struct smtp_reply *);
static void	defer_bound(struct pool *);

/* Connection failures in a row: the relay is down while there are. */
static uint32_t
relay_failures(const struct pool_relay *r)
{
	return shape_backoff_failures(&r->backoff);
}

static int64_t
now_ns(const struct pool *p)
{
	(void)p;
	return (int64_t)uv_hrtime();
}

/* micro_rate - messages per second as lib/shape's fixed point. */
static uint64_t
micro_rate(double per_second)
{
	double	 r = per_second * (double)SHAPE_RATE_ONE;

	if (per_second <= 0)
		return 0;
	if (r < 1)
		return 1;
	if (r > (double)SHAPE_RATE_MAX)
		return SHAPE_RATE_MAX;
	return (uint64_t)r;
}

/* ---- rates ---- */

static void
rate_init(struct rate *r, double per_second, unsigned burst, int64_t now)
{
	memset(r, 0, sizeof(*r));
	r->configured = micro_rate(per_second);
	r->burst = burst > 0 ? burst : 1;
	r->window_start = now;
	if (r->configured > 0) {
		r->limited = 1;
		shape_bucket_init(&r->bucket, r->configured, r->burst, now);
	}
}

/* rate_wait - 0 if a message may go now, else ns until it may. */
static int64_t
rate_wait(const struct rate *r, int64_t now)
{
	return r->limited ? shape_bucket_wait(&r->bucket, now) : 0;
}

static void
rate_take(struct rate *r, int64_t now)
{
	if (r->limited)
		(void)shape_bucket_take(&r->bucket, now);
	/* What an unlimited level really carries, for a first cut. */
	r->window_count++;
	if (now - r->window_start >= SHAPE_SEC) {
		r->observed = r->window_count * (uint64_t)SHAPE_RATE_ONE *
		    (uint64_t)SHAPE_SEC / (uint64_t)(now - r->window_start);
		r->window_count = 0;
		r->window_start = now;
	}
}

/* rate_slow_down - a receiver asked for less. 1 if the rate was cut. */
/*
 * observed_rate - what an unlimited level carried: over the last whole
 * second, or else over the part of one so far, counted as a second (a
 * few messages into a session are a few a second, not thousands).
 */
static uint64_t
observed_rate(const struct rate *r)
{
	if (r->observed > 0)
		return r->observed;
	return r->window_count * (uint64_t)SHAPE_RATE_ONE;
}

static int
rate_slow_down(struct rate *r, const struct shape_aimd_params *defaults,
    int64_t now)
{
	struct shape_aimd_params	 ap = *defaults;

	if (!r->adaptive) {
		/*
		 * Unlimited: start from what it was actually getting, or
		 * one a second when it has sent nothing yet (a 421 to the
		 * first greeting), never from the floor itself: a rate
		 * there could not be cut and would never recover.
		 */
		ap.rate = r->configured > 0 ? r->configured :
		    observed_rate(r);
		if (ap.rate == 0)
			ap.rate = SHAPE_RATE_ONE;
		if (ap.rate <= ap.floor)
			return 0;
		if (shape_aimd_init(&r->aimd, &ap, now) != 0)
			return 0;
		r->adaptive = 1;
		if (!r->limited) {
			/* Paced from now on: no burst right after the
			 * receiver asked for less. */
			r->limited = 1;
			shape_bucket_init(&r->bucket, ap.rate, 1, now);
			(void)shape_bucket_take(&r->bucket, now);
		}
	}
	if (!shape_aimd_slow_down(&r->aimd, now))
		return 0;
	shape_bucket_set_rate(&r->bucket, shape_aimd_rate(&r->aimd), now);
	return 1;
}

static void
rate_success(struct rate *r, int64_t now)
{
	struct shape_aimd_status	 st;

	if (!r->adaptive)
		return;
	if (shape_aimd_success(&r->aimd, now))
		shape_bucket_set_rate(&r->bucket, shape_aimd_rate(&r->aimd),
		    now);
	/* Back to normal, whether this success raised it or not. */
	shape_aimd_status(&r->aimd, &st);
	if (st.state == SHAPE_AIMD_NORMAL) {
		r->adaptive = 0;
		r->limited = r->configured > 0;	/* back to no limit */
	}
}

/* ---- domains ---- */

static uint64_t
hash_name(const char *s)
{
	uint64_t	 h = UINT64_C(1469598103934665603);	/* FNV-1a */

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= UINT64_C(1099511628211);
	}
	return h;
}

static int
htab_grow(struct pool *p)
{
	struct pool_domain	**t, *d, *next;
	size_t			 n = p->hsize != 0 ? p->hsize * 2 : 256, i, h;

	if ((t = clr_calloc(n, sizeof(*t))) == NULL)
		return -1;
	for (i = 0; i < p->hsize; i++)
		for (d = p->htab[i]; d != NULL; d = next) {
			next = d->hnext;
			h = hash_name(d->name) & (n - 1);
			d->hnext = t[h];
			t[h] = d;
		}
	clr_free(p->htab);
	p->htab = t;
	p->hsize = n;
	return 0;
}

static struct pool_domain *
domain_add(struct pool *p, const char *name,
    const struct config_domain_group *g, int64_t now)
{
	struct pool_domain	*d;
	size_t			 h;

	if (p->ndomains + 1 > p->hsize / 2 && htab_grow(p) != 0)
		return NULL;
	if ((d = clr_calloc(1, sizeof(*d))) == NULL ||
	    (d->name = clr_strdup(name)) == NULL) {
		clr_free(d);
		return NULL;
	}
	d->cfg = g;
	rate_init(&d->rate, g->rate, g->burst, now);
	h = hash_name(name) & (p->hsize - 1);
	d->hnext = p->htab[h];
	p->htab[h] = d;
	p->ndomains++;
	return d;
}

static struct pool_domain *
domain_find(const struct pool *p, const char *name)
{
	struct pool_domain	*d;

	if (p->hsize == 0)
		return NULL;
	for (d = p->htab[hash_name(name) & (p->hsize - 1)]; d != NULL;
	    d = d->hnext)
		if (strcmp(d->name, name) == 0)
			return d;
	return NULL;
}

/*
 * domain_of - the rate and cap a recipient counts against: its group's
 * (shared by the group's domains), or its own as one of the others.
 */
static struct pool_domain *
domain_of(struct pool *p, const char *rcpt)
{
	const struct config_domain_group	*g;
	struct pool_domain			*d, *gd;
	char					 lower[ADDR_MAX + 1];
	const char				*dom = strrchr(rcpt, '@');
	size_t					 i;

	dom = dom != NULL ? dom + 1 : rcpt;
	for (i = 0; dom[i] != '\0' && i < ADDR_MAX; i++)
		lower[i] = (char)(dom[i] >= 'A' && dom[i] <= 'Z' ?
		    dom[i] - 'A' + 'a' : dom[i]);
	lower[i] = '\0';
	if ((d = domain_find(p, lower)) != NULL)
		return d->group != NULL ? d->group : d;
	g = config_find_domain_group(p->cfg, lower);
	if (g == &p->cfg->shaping.other)
		return domain_add(p, lower, g, now_ns(p));
	/* A group member seen for the first time: point it at the group. */
	if ((gd = domain_find(p, g->name)) == NULL &&
	    (gd = domain_add(p, g->name, g, now_ns(p))) == NULL)
		return NULL;
	if ((d = domain_add(p, lower, g, now_ns(p))) == NULL)
		return NULL;
	d->group = gd;
	return gd;
}

/* ---- results ---- */

static void
report(struct pool *p, struct pool_msg *m, struct pool_relay *r,
    enum smtp_outcome outcome, enum smtp_stage stage,
    const struct smtp_reply *reply)
{
	struct pool_result	 res;

	memset(&res, 0, sizeof(res));
	res.outcome = outcome;
	res.stage = stage;
	res.reply = *reply;
	if (res.reply.text == NULL)
		res.reply.text = "";
	res.relay = r != NULL ? r->cfg->name : NULL;
	verdict_classify(outcome, stage, &res.reply, &res.verdict);
	if (r != NULL)
		r->results[res.verdict.kind]++;
	p->result_fn(p->result_arg, m, &res);
}

/* report_local - a result clarion decided alone (code 0). */
static void
report_local(struct pool *p, struct pool_msg *m, struct pool_relay *r,
    enum smtp_outcome outcome, const char *why)
{
	struct smtp_reply	 reply = { 0, "", why };

	report(p, m, r, outcome, SMTP_STAGE_SESSION, &reply);
}

/* ---- connections ---- */

static void	conn_ready(struct smtp_conn *, void *);
static void	conn_done(struct smtp_conn *, void *,
		    const struct smtp_event *);
static void	conn_closed(struct smtp_conn *, void *,
		    const struct smtp_conn_end *);

static const struct smtp_conn_cbs conn_cbs = {
	conn_ready, conn_done, conn_closed
};

static int
conn_open(struct pool_relay *r)
{
	struct pool		*p = r->pool;
	struct pool_conn	*c;
	struct smtp_conn_params	 cp;
	struct clr_err		 err = { 0, "" };
	char			 label[128];

	if ((c = clr_calloc(1, sizeof(*c))) == NULL)
		return -1;
	c->relay = r;
	snprintf(label, sizeof(label), "relay %s #%u", r->cfg->name,
	    ++r->serial);
	memset(&cp, 0, sizeof(cp));
	cp.host = r->cfg->host;
	cp.port = r->cfg->port;
	cp.server_name = r->cfg->server_name != NULL ? r->cfg->server_name :
	    r->cfg->host;
	cp.tls = r->tls;
	cp.smtp = r->smtp;
	cp.connect_timeout_ms = r->cfg->timeouts.connect;
	cp.idle_timeout_ms = r->cfg->idle_timeout;
	cp.label = label;
	if ((c->sc = smtp_conn_open(p->loop, &cp, &conn_cbs, c, &err)) ==
	    NULL) {
		log_error("%s: %s", label, err.msg);
		clr_free(c);
		return -1;
	}
	c->round = r->round;
	TAILQ_INSERT_TAIL(&r->conns, c, entry);
	r->nconns++;
	r->nopening++;
	return 0;
}

static int
conn_has_domain(const struct pool_conn *c, const struct pool_domain *d)
{
	unsigned	 i;

	for (i = 0; i < c->ninflight; i++)
		if (c->inflight[i]->dom == d)
			return 1;
	return 0;
}

static void
conn_forget(struct pool_conn *c, struct pool_msg *m)
{
	unsigned	 i;

	for (i = 0; i < c->ninflight; i++)
		if (c->inflight[i] == m)
			break;
	if (i == c->ninflight)
		return;
	c->inflight[i] = c->inflight[--c->ninflight];
	if (!conn_has_domain(c, m->dom))
		m->dom->busy--;
	m->conn = NULL;
}

static void
conn_ready(struct smtp_conn *sc, void *arg)
{
	struct pool_conn	*c = arg;
	struct pool_relay	*r = c->relay;

	(void)sc;
	if (!c->opened) {
		c->opened = 1;
		r->nopening--;
	}
	c->ready = 1;
	dispatch(r->pool);
}

/*
 * relay_answers - a transaction on c had its answer: the relay works (a
 * relay that lets us in and then drops every message does not, so the
 * session alone does not count).
 */
static void
relay_answers(struct pool_conn *c)
{
	struct pool_relay	*r = c->relay;

	c->answered++;
	if (relay_failures(r) == 0)
		return;
	log_info("relay %s is back (%s)", r->cfg->name,
	    smtp_conn_tls(c->sc)[0] != '\0' ? smtp_conn_tls(c->sc) :
	    "plain text");
	shape_backoff_success(&r->backoff);
	r->retry_at = 0;
}

static void
conn_done(struct smtp_conn *sc, void *arg, const struct smtp_event *ev)
{
	struct pool_conn	*c = arg;
	struct pool_relay	*r = c->relay;
	struct pool		*p = r->pool;
	struct pool_msg		*m = ev->udata;
	int64_t			 now = now_ns(p);

	(void)sc;
	conn_forget(c, m);
	p->ninflight--;
	c->waiting_since = now;
	if (ev->outcome == SMTP_OUT_SENT || ev->outcome == SMTP_OUT_REFUSED)
		relay_answers(c);
	if (ev->outcome == SMTP_OUT_SENT) {
		rate_success(&m->dom->rate, now);
		rate_success(&r->rate, now);
		rate_success(&p->rate, now);
	} else if (ev->reply.code != 0 && shape_slowdown_match(p->slow,
	    ev->reply.code, ev->reply.status, ev->reply.text)) {
		/* A refused recipient is about its domain; the rest about
		 * this relay taking mail from clarion. */
		if (ev->stage == SMTP_STAGE_RCPT) {
			if (rate_slow_down(&m->dom->rate, &p->aimd, now))
				log_info("slowing down for %s: %d %s",
				    m->dom->name, ev->reply.code,
				    ev->reply.text);
		} else if (rate_slow_down(&r->rate, &p->aimd, now))
			log_info("slowing down on relay %s: %d %s",
			    r->cfg->name, ev->reply.code, ev->reply.text);
	}
	report(p, m, r, ev->outcome, ev->stage, &ev->reply);
	if (c->quitting && c->ninflight == 0)
		smtp_conn_quit(c->sc);
	dispatch(p);
}

/* log_transcript - a failed session's last lines, one log line each. */
static void
log_transcript(const struct pool_relay *r, const char *t)
{
	const char	*nl;

	for (; *t != '\0'; t = nl + 1) {
		if ((nl = strchr(t, '\n')) == NULL)
			nl = t + strlen(t);
		log_debug("relay %s: | %.*s", r->cfg->name, (int)(nl - t), t);
		if (*nl == '\0')
			break;
	}
}

static void
conn_closed(struct smtp_conn *sc, void *arg, const struct smtp_conn_end *end)
{
	struct pool_conn	*c = arg;
	struct pool_relay	*r = c->relay;
	struct pool		*p = r->pool;
	int64_t			 now = now_ns(p), pause;

	(void)sc;
	if (end->failed)
		log_transcript(r, end->transcript);
	/* The engine gave each message its outcome; none may be left. */
	while (c->ninflight > 0) {
		struct pool_msg	*m = c->inflight[0];

		conn_forget(c, m);
		p->ninflight--;
		report_local(p, m, r, SMTP_OUT_NOT_SENT, end->reason != NULL ?
		    end->reason : "the connection closed");
	}
	TAILQ_REMOVE(&r->conns, c, entry);
	r->nconns--;
	if (!c->opened)
		r->nopening--;
	/* A session that failed before any transaction had its answer is a
	 * failure of the relay; connections opened together that fail
	 * together count once. */
	if (end->failed && c->answered == 0) {
		if (c->round == r->round) {
			r->round++;
			pause = shape_backoff_failure(&r->backoff,
			    arc4random());
			r->retry_at = now + pause;
			snprintf(r->last_error, sizeof(r->last_error), "%s",
			    end->reason != NULL ? end->reason : "failed");
			/* What the queue is deferred with, if it comes to
			 * that: the reply keeps the verdict's reason. */
			p->fail_reply = end->reply;
			p->fail_reply.text = NULL;
			snprintf(p->fail_text, sizeof(p->fail_text),
			    "relay %s: %s", r->cfg->name, r->last_error);
			log_warn("relay %s: %s; next try in %.1f s",
			    r->cfg->name, r->last_error,
			    (double)pause / (double)SHAPE_SEC);
			/* A relay that says 421 at once wants less. */
			if (end->reply.code == 421)
				rate_slow_down(&r->rate, &p->aimd, now);
		}
	} else if (end->failed) {
		snprintf(r->last_error, sizeof(r->last_error), "%s",
		    end->reason != NULL ? end->reason : "failed");
		log_warn("relay %s: connection lost after %u messages: %s",
		    r->cfg->name, end->messages, r->last_error);
		if (end->reply.code == 421)
			rate_slow_down(&r->rate, &p->aimd, now);
	}
	clr_free(c);
	if (p->stopping) {
		size_t	 i;

		for (i = 0; i < p->nrelays; i++)
			if (p->relays[i].nconns > 0)
				return;
		if (p->stopped != NULL)
			p->stopped(p->stopped_arg);
		return;
	}
	dispatch(p);
}

/* ---- choosing ---- */

/* relay_up - connected, or not resting after a failure. */
static int
relay_up(const struct pool_relay *r, int64_t now)
{
	return relay_failures(r) == 0 || r->retry_at <= now ||
	    (r->nconns > r->nopening);
}

/* idle_conn - a connection of r that can take a message now. */
static struct pool_conn *
idle_conn(struct pool_relay *r)
{
	struct pool_conn	*c;

	TAILQ_FOREACH(c, &r->conns, entry)
		if (c->ready && !c->quitting && smtp_conn_can_mail(c->sc))
			return c;
	return NULL;
}

/*
 * in_turn - whether r takes part in a turn: backups only while no primary
 * is up; primaries in every turn but sending while none is up (they may
 * still be probed).
 */
static int
in_turn(const struct pool_relay *r, int primary_up, int turn)
{
	if (r->cfg->backup)
		return !primary_up;
	return primary_up || turn == TURN_OPEN;
}

/*
 * pick_relay - smooth weighted round robin (as nginx) over the relays
 * in the turn (in_turn) for which ok() holds. Sending and opening keep
 * their own turns. With commit 0 it only says which relay is next; the
 * same call with commit 1 then takes that turn.
 */
static struct pool_relay *
pick_relay(struct pool *p, int64_t now,
    int (*ok)(struct pool_relay *, int64_t), int turn, int commit)
{
	struct pool_relay	*best = NULL, *r;
	int64_t			 total = 0;
	size_t			 i;
	int			 primary_up = 0;

	/* A primary being probed after failures is not up yet: the
	 * backups carry on until it answers, while it may be probed. */
	for (i = 0; i < p->nrelays; i++)
		if (!p->relays[i].cfg->backup &&
		    (relay_failures(&p->relays[i]) == 0 ||
		    p->relays[i].nconns > p->relays[i].nopening))
			primary_up = 1;
	for (i = 0; i < p->nrelays; i++) {
		r = &p->relays[i];
		if (!in_turn(r, primary_up, turn) || !ok(r, now))
			continue;
		total += r->cfg->weight;
		if (best == NULL || r->wrr[turn] + r->cfg->weight >
		    best->wrr[turn] + best->cfg->weight)
			best = r;
	}
	if (best == NULL || !commit)
		return best;
	for (i = 0; i < p->nrelays; i++) {
		r = &p->relays[i];
		if (in_turn(r, primary_up, turn) && ok(r, now))
			r->wrr[turn] += r->cfg->weight;
	}
	best->wrr[turn] -= total;
	return best;
}

/*
 * can_take - r has a token and an open connection, idle or soon to be
 * (busy ones free up). A relay still opening its first connection is
 * left out, so that nothing waits on a relay that may never answer.
 */
static int
can_take(struct pool_relay *r, int64_t now)
{
	return !r->skip && rate_wait(&r->rate, now) == 0 &&
	    r->nconns > r->nopening;
}

/*
 * stall_in - in how many ns every open connection of r will have waited
 * STALL_NS for an answer: 0 if they have (r is stalled: a tarpit, a
 * server in trouble), -1 if one is free or opening, so r is not.
 */
static int64_t
stall_in(const struct pool_relay *r, int64_t now)
{
	const struct pool_conn	*c;
	int64_t			 latest = -1;

	if (r->nopening > 0)
		return -1;
	TAILQ_FOREACH(c, &r->conns, entry) {
		if (c->ninflight == 0)
			return -1;
		if (latest < c->waiting_since)
			latest = c->waiting_since;
	}
	if (latest < 0)
		return -1;
	return latest + STALL_NS <= now ? 0 : latest + STALL_NS - now;
}

static int
can_open(struct pool_relay *r, int64_t now)
{
	if (!relay_up(r, now) || r->nconns >= r->cfg->connections)
		return 0;
	/* After a failure, one probe at a time, and none while a session
	 * is open: one that got in proves nothing until a transaction has
	 * its answer (relay_answers), and a relay that drops every message
	 * must wait out its pause, not be probed again at once. */
	return relay_failures(r) == 0 || r->nconns == 0;
}

/* hand - give m to c. */
static void
hand(struct pool *p, struct pool_conn *c, struct pool_msg *m, int64_t now)
{
	struct pool_relay	*r = c->relay;
	struct smtp_mail	 mail;
	struct clr_err		 err = { 0, "" };
	int			 rc;

	unqueue(p, m);
	memset(&mail, 0, sizeof(mail));
	mail.from = m->from;
	mail.rcpts = &m->rcpt;
	mail.nrcpts = 1;
	mail.body = m->body;
	mail.body_len = m->len;
	mail.smtputf8 = m->smtputf8;
	mail.eightbit = m->eightbit;
	mail.udata = m;
	if (!conn_has_domain(c, m->dom) &&
	    ++m->dom->busy > m->dom->busy_peak)
		m->dom->busy_peak = m->dom->busy;
	if (c->ninflight == 0)
		c->waiting_since = now;
	c->inflight[c->ninflight++] = m;
	m->conn = c;
	p->ninflight++;
	c->ready = 0;
	if ((rc = smtp_conn_mail(c->sc, &mail, &err)) != 0) {
		/* EINVAL: the message itself can never go (a NUL, a line
		 * too long, a bad address), a local refusal; anything else
		 * is this moment's trouble, and the message waits. */
		conn_forget(c, m);
		p->ninflight--;
		c->ready = smtp_conn_can_mail(c->sc);
		report_local(p, m, r, rc == CLR_EINVAL ? SMTP_OUT_LOCAL :
		    SMTP_OUT_NOT_SENT, err.msg);
		return;
	}
	/* Only a message that went spends the tokens. */
	rate_take(&p->rate, now);
	rate_take(&m->dom->rate, now);
	rate_take(&r->rate, now);
	c->handed++;
	if (r->cfg->messages_per_connection != 0 &&
	    c->handed >= r->cfg->messages_per_connection) {
		c->quitting = 1;
		if (c->ninflight == 0)
			smtp_conn_quit(c->sc);
	}
}

static void
timer_cb(uv_timer_t *t)
{
	dispatch(t->data);
}

/* report_refused - the results of messages refused at submit. */
static void
report_refused(struct pool *p)
{
	struct pool_msg	*m;

	while ((m = TAILQ_FIRST(&p->refused)) != NULL) {
		TAILQ_REMOVE(&p->refused, m, entry);
		report_local(p, m, NULL, SMTP_OUT_NOT_SENT, p->stopping ?
		    "not sent: clarion is stopping" : m->relay != NULL &&
		    m->bound == NULL ? "not sent: no such relay" :
		    "not sent: out of memory");
	}
}

static void
kick_cb(uv_idle_t *h)
{
	struct pool	*p = h->data;

	uv_idle_stop(h);
	report_refused(p);
	dispatch(p);
}

/* open_more - connections for the messages that wait for one. */
static void
open_more(struct pool *p, int64_t now)
{
	struct pool_relay	*r;
	size_t			 opening = 0, bound = 0, i, want;

	/* Messages bound to a relay: that relay opens for them. */
	for (i = 0; i < p->nrelays; i++) {
		r = &p->relays[i];
		bound += r->nbound;
		while (r->nbound > r->nopening && can_open(r, now))
			if (conn_open(r) != 0)
				break;
	}
	for (i = 0; i < p->nrelays; i++)
		opening += p->relays[i].nopening;
	want = p->nqueued - bound > opening ? p->nqueued - bound - opening :
	    0;
	while (want-- > 0 &&
	    (r = pick_relay(p, now, can_open, TURN_OPEN, 1)) != NULL)
		if (conn_open(r) != 0)
			break;
}

/*
 * all_down - every relay failed FAILS_GIVE_UP times in a row and none
 * has a connection open or opening: the messages waiting would only wait.
 */
static int
all_down(const struct pool *p)
{
	size_t	 i;

	for (i = 0; i < p->nrelays; i++)
		if (relay_failures(&p->relays[i]) < FAILS_GIVE_UP ||
		    p->relays[i].nconns > 0)
			return 0;
	return 1;
}

static void
dispatch(struct pool *p)
{
	struct pool_msg		*m, *next;
	struct pool_relay	*r;
	struct pool_conn	*c;
	int64_t			 now, wait, earliest = -1;
	size_t			 scanned, i;

	if (p->dispatching) {
		p->again = 1;
		return;
	}
	if (p->closing)
		return;
	p->dispatching = 1;
	do {
		p->again = 0;
		now = now_ns(p);
		scanned = 0;
		for (i = 0; i < p->nrelays; i++)
			p->relays[i].skip = 0;
		for (m = TAILQ_FIRST(&p->queue); m != NULL &&
		    scanned < SCAN_MAX; m = next, scanned++) {
			next = TAILQ_NEXT(m, entry);
			if (m->dom->cfg->connections != 0 &&
			    m->dom->busy >= m->dom->cfg->connections)
				continue;
			if ((wait = rate_wait(&p->rate, now)) > 0) {
				earliest = wait;
				break;	/* nothing may go */
			}
			if ((wait = rate_wait(&m->dom->rate, now)) > 0) {
				if (earliest < 0 || wait < earliest)
					earliest = wait;
				continue;
			}
			/* A campaign bound to one relay: that relay's
			 * connection, or a later message goes first. */
			if (m->bound != NULL) {
				r = m->bound;
				if ((wait = rate_wait(&r->rate, now)) > 0 &&
				    (earliest < 0 || wait < earliest))
					earliest = wait;
				if (wait == 0 && r->nconns > r->nopening &&
				    (c = idle_conn(r)) != NULL)
					hand(p, c, m, now);
				continue;
			}
			/* Its turn: wait for its connection, so that each
			 * relay carries its weight's share, unless its
			 * answers are long overdue: then the others go on. */
			c = NULL;
			while ((r = pick_relay(p, now, can_take, TURN_SEND,
			    0)) != NULL && (c = idle_conn(r)) == NULL &&
			    (wait = stall_in(r, now)) == 0)
				r->skip = 1;
			if (r == NULL) {
				/* No room now; a relay's token may come. */
				for (i = 0; i < p->nrelays; i++) {
					wait = rate_wait(&p->relays[i].rate,
					    now);
					if (wait > 0 && relay_up(
					    &p->relays[i], now) &&
					    (earliest < 0 || wait < earliest))
						earliest = wait;
				}
				break;
			}
			if (c == NULL) {
				if (wait > 0 && (earliest < 0 ||
				    wait < earliest))
					earliest = wait;
				break;
			}
			(void)pick_relay(p, now, can_take, TURN_SEND, 1);
			hand(p, c, m, now);
		}
		if (p->nqueued > 0 && !p->stopping) {
			open_more(p, now);
			defer_bound(p);
			if (all_down(p)) {
				struct smtp_reply	 why = p->fail_reply;
				char			 text[440];

				snprintf(text, sizeof(text), "no relay could "
				    "be reached (%s)", p->fail_text);
				why.text = text;
				defer_queue(p, &why);
			}
			/* Wake up for the end of a relay's rest. */
			for (i = 0; i < p->nrelays; i++) {
				r = &p->relays[i];
				if (relay_failures(r) > 0 && r->nconns == 0 &&
				    r->retry_at > now && (earliest < 0 ||
				    r->retry_at - now < earliest))
					earliest = r->retry_at - now;
			}
		}
	} while (p->again);
	p->dispatching = 0;
	if (earliest >= 0 && p->nqueued > 0)
		uv_timer_start(&p->timer, timer_cb,
		    (uint64_t)(earliest / SHAPE_MSEC) + 1, 0);
	else
		uv_timer_stop(&p->timer);
}

/*
 * defer_queue - every waiting message gets "not sent" now, with why: the
 * last relay's failing reply, which says what the verdict's reason is.
 */
static void
defer_queue(struct pool *p, const struct smtp_reply *why)
{
	struct pool_msg	*m;

	while ((m = TAILQ_FIRST(&p->queue)) != NULL) {
		unqueue(p, m);
		report(p, m, NULL, SMTP_OUT_NOT_SENT, SMTP_STAGE_SESSION, why);
	}
}

/*
 * defer_bound - messages bound to a relay that failed FAILS_GIVE_UP times
 * in a row and has no connection get "not sent", with its last error:
 * no other relay may take them.
 */
static void
defer_bound(struct pool *p)
{
	struct pool_msg		*m, *next;
	struct smtp_reply	 why = { 0, "", NULL };
	char			 text[440];
	size_t			 i;

	for (i = 0; i < p->nrelays; i++)
		if (p->relays[i].nbound > 0 && p->relays[i].nconns == 0 &&
		    relay_failures(&p->relays[i]) >= FAILS_GIVE_UP)
			break;
	if (i == p->nrelays)
		return;		/* the usual case: no scan */
	for (m = TAILQ_FIRST(&p->queue); m != NULL; m = next) {
		next = TAILQ_NEXT(m, entry);
		if (m->bound == NULL ||
		    relay_failures(m->bound) < FAILS_GIVE_UP ||
		    m->bound->nconns > 0)
			continue;
		snprintf(text, sizeof(text), "relay %s could not be "
		    "reached (%s)", m->bound->cfg->name,
		    m->bound->last_error);
		why.text = text;
		unqueue(p, m);
		report(p, m, m->bound, SMTP_OUT_NOT_SENT, SMTP_STAGE_SESSION,
		    &why);
	}
}

/* ---- setup ---- */

/*
 * read_secret - a password file: readable by its owner only, one line,
 * the line end not part of the password.
 */
static char *
read_secret(const char *path, struct clr_err *err)
{
	struct stat	 st;
	char		 buf[SECRET_MAX + 2];
	ssize_t		 n;
	size_t		 len;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		clr_err_set(err, CLR_ENOENT, "%s: cannot open: %s", path,
		    strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		clr_err_set(err, CLR_EINVAL, "%s: not a regular file", path);
		goto fail;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		clr_err_set(err, CLR_EPERM, "%s: a password file must be "
		    "readable by its owner only (mode %03o; chmod 600 it)",
		    path, (unsigned)(st.st_mode & 0777));
		goto fail;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0) {
		clr_err_set(err, CLR_EIO, "%s: cannot read: %s", path,
		    strerror(errno));
		goto fail;
	}
	close(fd);
	len = (size_t)n;
	if (len > SECRET_MAX) {
		clr_err_set(err, CLR_ETOOBIG, "%s: longer than %d octets",
		    path, SECRET_MAX);
		return NULL;
	}
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	buf[len] = '\0';
	if (len == 0 || memchr(buf, '\0', len) != NULL ||
	    strpbrk(buf, "\r\n") != NULL) {
		clr_err_set(err, CLR_EINVAL, "%s: the password must be one "
		    "non-empty line", path);
		return NULL;
	}
	return clr_strdup(buf);
fail:
	close(fd);
	return NULL;
}

static enum smtp_tls
smtp_tls_mode(enum config_tls t)
{
	switch (t) {
	case CONFIG_TLS_STARTTLS:
		return SMTP_TLS_REQUIRED;
	case CONFIG_TLS_IMPLICIT:
		return SMTP_TLS_IMPLICIT;
	case CONFIG_TLS_OPPORTUNISTIC:
		return SMTP_TLS_OPPORTUNISTIC;
	case CONFIG_TLS_NONE:
		break;
	}
	return SMTP_TLS_NONE;
}

static int
relay_init(struct pool *p, struct pool_relay *r,
    const struct config_relay *cfg, int64_t now, struct clr_err *err)
{
	const struct config_smtp_timeouts	*t = &cfg->timeouts;

	r->pool = p;
	r->cfg = cfg;
	TAILQ_INIT(&r->conns);
	rate_init(&r->rate, cfg->rate, cfg->burst, now);
	if (shape_backoff_init(&r->backoff,
	    (int64_t)cfg->reconnect_min * SHAPE_MSEC,
	    (int64_t)cfg->reconnect_max * SHAPE_MSEC) != 0)
		return clr_err_set(err, CLR_EINVAL, "relay %s: reconnect_min "
		    "and reconnect_max out of range", cfg->name);
	if (cfg->tls != CONFIG_TLS_NONE &&
	    (r->tls = tls_ctx_new(cfg->verify, cfg->ca_file, err)) == NULL)
		return -1;
	if (cfg->tls != CONFIG_TLS_NONE && !cfg->verify)
		log_warn("relay %s: its certificate will not be verified "
		    "(verify: false)", cfg->name);
	if (cfg->auth_user != NULL &&
	    (r->password = read_secret(cfg->auth_password_file, err)) == NULL)
		return -1;
	r->smtp.helo = cfg->helo != NULL ? cfg->helo : p->helo;
	r->smtp.tls = smtp_tls_mode(cfg->tls);
	r->smtp.auth_user = cfg->auth_user;
	r->smtp.auth_password = r->password;
	r->smtp.auth_mechs = cfg->auth_mechs;
	r->smtp.auth_plaintext = cfg->auth_plaintext;
	r->smtp.no_pipelining = !cfg->pipelining;
	r->smtp.timeout_ms[SMTP_PHASE_GREETING] = t->greeting;
	r->smtp.timeout_ms[SMTP_PHASE_EHLO] = t->ehlo;
	r->smtp.timeout_ms[SMTP_PHASE_TLS] = t->tls;
	r->smtp.timeout_ms[SMTP_PHASE_MAIL] = t->mail;
	r->smtp.timeout_ms[SMTP_PHASE_RCPT] = t->rcpt;
	r->smtp.timeout_ms[SMTP_PHASE_DATA] = t->data;
	r->smtp.timeout_ms[SMTP_PHASE_BODY] = t->body;
	r->smtp.timeout_ms[SMTP_PHASE_DOT] = t->dot;
	r->smtp.timeout_ms[SMTP_PHASE_QUIT] = t->ehlo;
	return 0;
}

struct pool *
pool_new(uv_loop_t *loop, const struct config *cfg, pool_result_fn *fn,
    void *arg, struct clr_err *err)
{
	const struct config_shaping	*s = &cfg->shaping;
	const char *const		*pats;
	struct pool			*p;
	size_t				 npats, i;
	int64_t				 now = (int64_t)uv_hrtime();

	if (cfg->nrelays == 0) {
		clr_err_set(err, CLR_EINVAL, "%s: no relays: declare at least "
		    "one under \"relays\" to send", cfg->path);
		return NULL;
	}
	if ((p = clr_calloc(1, sizeof(*p))) == NULL ||
	    (p->relays = clr_calloc(cfg->nrelays, sizeof(*p->relays))) ==
	    NULL) {
		clr_free(p);
		clr_err_set(err, CLR_ENOMEM, "out of memory");
		return NULL;
	}
	p->loop = loop;
	p->cfg = cfg;
	p->result_fn = fn;
	p->result_arg = arg;
	TAILQ_INIT(&p->queue);
	TAILQ_INIT(&p->refused);
	if (gethostname(p->helo, sizeof(p->helo) - 1) != 0 ||
	    p->helo[0] == '\0')
		snprintf(p->helo, sizeof(p->helo), "localhost");
	rate_init(&p->rate, s->rate, s->burst, now);

	memset(&p->aimd, 0, sizeof(p->aimd));
	p->aimd.floor = micro_rate(s->floor);
	p->aimd.decrease = (uint32_t)(s->decrease * 1000 + 0.5);
	p->aimd.increase = (uint32_t)(s->recover_step * 1000 + 0.5);
	p->aimd.interval = (int64_t)s->recover_every * SHAPE_MSEC;
	if (p->aimd.decrease < 1)
		p->aimd.decrease = 1;
	if (p->aimd.increase < 1)
		p->aimd.increase = 1;

	if (s->slow_down_set) {
		pats = (const char *const *)s->slow_down;
		npats = s->nslow_down;
	} else
		pats = shape_slowdown_defaults(&npats);
	if ((p->slow = shape_slowdown_new(pats, npats, err)) == NULL)
		goto fail;
	for (i = 0; i < cfg->nrelays; i++) {
		p->nrelays++;
		if (relay_init(p, &p->relays[i], &cfg->relays[i], now,
		    err) != 0)
			goto fail;
	}
	if (htab_grow(p) != 0) {
		clr_err_set(err, CLR_ENOMEM, "out of memory");
		goto fail;
	}
	uv_timer_init(loop, &p->timer);
	p->timer.data = p;
	uv_idle_init(loop, &p->kick);
	p->kick.data = p;
	return p;
fail:
	pool_free(p);
	return NULL;
}

static void
pool_handle_closed(uv_handle_t *h)
{
	struct pool	*p = h->data;
	size_t		 i;
	struct pool_domain *d, *next;

	if (--p->closing > 0)
		return;
	for (i = 0; i < p->hsize; i++)
		for (d = p->htab[i]; d != NULL; d = next) {
			next = d->hnext;
			clr_free(d->name);
			clr_free(d);
		}
	clr_free(p->htab);
	for (i = 0; i < p->nrelays; i++) {
		tls_ctx_free(p->relays[i].tls);
		if (p->relays[i].password != NULL) {
			explicit_bzero(p->relays[i].password,
			    strlen(p->relays[i].password));
			clr_free(p->relays[i].password);
		}
	}
	clr_free(p->relays);
	shape_slowdown_free(p->slow);
	clr_free(p);
}

void
pool_free(struct pool *p)
{
	size_t	 i;

	if (p == NULL)
		return;
	/* Connections must be gone: pool_stop first. */
	for (i = 0; i < p->nrelays; i++)
		if (p->relays[i].nconns > 0)
			log_error("pool_free with connections open");
	if (p->timer.data == NULL) {	/* pool_new failed before the loop */
		p->closing = 1;
		p->timer.data = p;	/* what pool_handle_closed reads */
		pool_handle_closed((uv_handle_t *)&p->timer);
		return;
	}
	p->closing = 2;
	uv_close((uv_handle_t *)&p->timer, pool_handle_closed);
	uv_close((uv_handle_t *)&p->kick, pool_handle_closed);
}

static struct pool_relay *
relay_named(struct pool *p, const char *name)
{
	size_t	 i;

	for (i = 0; i < p->nrelays; i++)
		if (strcmp(p->relays[i].cfg->name, name) == 0)
			return &p->relays[i];
	return NULL;
}

void
pool_submit(struct pool *p, struct pool_msg *m)
{
	m->conn = NULL;
	m->bound = m->relay != NULL ? relay_named(p, m->relay) : NULL;
	/* Results come from the loop, even this early one. */
	if (p->stopping || (m->relay != NULL && m->bound == NULL) ||
	    (m->dom = domain_of(p, m->rcpt)) == NULL)
		TAILQ_INSERT_TAIL(&p->refused, m, entry);
	else {
		TAILQ_INSERT_TAIL(&p->queue, m, entry);
		p->nqueued++;
		if (m->bound != NULL)
			m->bound->nbound++;
	}
	uv_idle_start(&p->kick, kick_cb);
}

size_t
pool_withdraw(struct pool *p, int (*match)(void *, const struct pool_msg *),
    void (*back)(void *, struct pool_msg *), void *arg)
{
	struct pool_msg	*m, *next;
	size_t		 n = 0;

	for (m = TAILQ_FIRST(&p->queue); m != NULL; m = next) {
		next = TAILQ_NEXT(m, entry);
		if (match != NULL && !match(arg, m))
			continue;
		unqueue(p, m);
		n++;
		back(arg, m);
	}
	return n;
}

size_t
pool_queued(const struct pool *p)
{
	return p->nqueued;
}

size_t
pool_in_flight(const struct pool *p)
{
	return p->ninflight;
}

void
pool_stop(struct pool *p, void (*stopped)(void *), void *arg)
{
	struct pool_conn	*c, *next;
	struct smtp_reply	 stop_reply = { 0, "", NULL };
	size_t			 i, open = 0;

	p->stopping = 1;
	stop_reply.text = "not sent: clarion is stopping";
	report_refused(p);
	defer_queue(p, &stop_reply);
	uv_timer_stop(&p->timer);
	for (i = 0; i < p->nrelays; i++) {
		/* A connection not yet in session closes (and is freed by
		 * conn_closed) inside smtp_conn_quit. */
		for (c = TAILQ_FIRST(&p->relays[i].conns); c != NULL;
		    c = next) {
			next = TAILQ_NEXT(c, entry);
			c->quitting = 1;
			if (c->ninflight == 0)
				smtp_conn_quit(c->sc);
		}
		open += p->relays[i].nconns;
	}
	/* Only now: conn_closed must not call it from the loop above. */
	p->stopped = stopped;
	p->stopped_arg = arg;
	if (open == 0 && stopped != NULL)
		stopped(arg);
}

void
pool_abort(struct pool *p, const char *reason)
{
	struct pool_conn	*c, *next;
	size_t			 i;

	if (!p->stopping)
		pool_stop(p, NULL, NULL);
	for (i = 0; i < p->nrelays; i++)
		for (c = TAILQ_FIRST(&p->relays[i].conns); c != NULL;
		    c = next) {
			next = TAILQ_NEXT(c, entry);
			smtp_conn_abort(c->sc, reason);
		}
}

static int
json_rate(struct buf *b, const char *key, const struct rate *r)
{
	struct shape_aimd_status	 st;
	int				 rc;

	rc = buf_printf(b, "\"%s\":{\"configured\":%.3f", key,
	    (double)r->configured / SHAPE_RATE_ONE);
	if (r->adaptive) {
		shape_aimd_status(&r->aimd, &st);
		rc |= buf_printf(b, ",\"current\":%.3f,\"state\":\"%s\","
		    "\"cuts\":%llu", (double)st.rate / SHAPE_RATE_ONE,
		    st.state_name, (unsigned long long)st.cuts);
	} else
		rc |= buf_puts(b, ",\"state\":\"normal\"");
	return rc | buf_puts(b, "}");
}

/*
 * json_str - s as a JSON string. Names are UTF-8; an error may quote a
 * server's text, which is not always: its invalid octets become '?'.
 */
static int
json_str(struct buf *b, const char *s)
{
	char	*copy, *q;
	size_t	 n = strlen(s), bad;
	int	 rc;

	if (utf8_valid(s, n, &bad))
		return json_put_string(b, s, n);
	if ((copy = clr_strdup(s)) == NULL)
		return CLR_ENOMEM;
	for (q = copy; *q != '\0'; q++)
		if ((unsigned char)*q >= 0x80)
			*q = '?';
	rc = json_put_string(b, copy, n);
	clr_free(copy);
	return rc;
}

int
pool_status_json(const struct pool *p, struct buf *b)
{
	const struct pool_domain	*d;
	int64_t				 now = now_ns(p);
	size_t				 i, k;
	int				 first = 1, rc;

	rc = buf_printf(b, "{\"queued\":%zu,\"in_flight\":%zu,",
	    p->nqueued, p->ninflight);
	rc |= json_rate(b, "rate", &p->rate);
	rc |= buf_puts(b, ",\"relays\":[");
	for (i = 0; i < p->nrelays; i++) {
		const struct pool_relay	*r = &p->relays[i];

		rc |= buf_puts(b, i > 0 ? ",{\"name\":" : "{\"name\":");
		rc |= json_str(b, r->cfg->name);
		rc |= buf_printf(b, ",\"up\":%s,\"connections\":%u,"
		    "\"opening\":%u,\"failures\":%u,",
		    relay_up(r, now) ? "true" : "false",
		    r->nconns - r->nopening, r->nopening, relay_failures(r));
		for (k = 0; k < VERDICT_KIND_LAST; k++)
			rc |= buf_printf(b, "\"%s\":%llu,", verdict_name(k),
			    (unsigned long long)r->results[k]);
		rc |= json_rate(b, "rate", &r->rate);
		if (r->last_error[0] != '\0') {
			rc |= buf_puts(b, ",\"last_error\":");
			rc |= json_str(b, r->last_error);
		}
		rc |= buf_puts(b, "}");
	}
	/* The named groups, and the other domains that are busy now or
	 * whose rate a receiver made adapt: not every domain ever seen. */
	rc |= buf_puts(b, "],\"domains\":[");
	for (i = 0; i < p->hsize; i++)
		for (d = p->htab[i]; d != NULL; d = d->hnext) {
			int	 named = d->cfg != &p->cfg->shaping.other;

			if (d->group != NULL || (!named && !d->rate.adaptive &&
			    d->busy == 0))
				continue;
			rc |= buf_puts(b, first ? "{\"name\":" :
			    ",{\"name\":");
			first = 0;
			rc |= json_str(b, d->name);
			rc |= buf_printf(b, ",\"group\":%s,\"busy\":%u,"
			    "\"busy_peak\":%u,\"connections\":%u,",
			    named ? "true" : "false",
			    d->busy, d->busy_peak, d->cfg->connections);
			rc |= json_rate(b, "rate", &d->rate);
			rc |= buf_putc(b, '}');
		}
	rc |= buf_puts(b, "]}");
	return rc != 0 ? CLR_ENOMEM : 0;
}
