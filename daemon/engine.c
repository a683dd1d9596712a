/* SPDX-License-Identifier: ISC */
/*
 * daemon/engine.c - the campaign engine (see engine.h)
 *
 * Everything here runs on the loop thread except the functions named
 * *_work, which run on the store thread (claims, state changes) or on the
 * libuv thread pool (rendering, loading templates, read-only queries),
 * and touch only what their job carries.
 *
 * A send's life: claimed (counted in run->claimed and e->claimed) ->
 * rendered (an emsg, its bytes counted in e->bytes) -> in the pool ->
 * its outcome handed to the store thread -> committed: no longer
 * claimed. Claims stop while e->claimed is at the window or e->bytes
 * (with what claims and renders under way will add) at the memory bound,
 * which is the back-pressure.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "engine.h"
#include "log.h"
#include "pool.h"
#include "render/render.h"
#include "util/alloc.h"
#include "util/json.h"
#include "writer.h"

#define CLAIM_MAX	256	/* sends per claim */
#define RENDER_BATCH	16	/* messages per thread pool job */
#define RATE_SLOTS	60	/* seconds the rate is measured over */

/* A configuration, kept while anything built from it is alive. */
struct cfgref {
	struct config	*cfg;
	unsigned	 refs;
};

struct run {
	TAILQ_ENTRY(run)	 entry;
	struct engine		*e;
	int64_t			 id;
	char			 name[65];
	enum store_run_state	 state;		/* as the loop sees it */
	struct cfgref		*cref;		/* rc's */
	struct render_campaign	*rc;		/* NULL until loaded */
	char			 relay[65];	/* the campaign's, or "" */
	int			 loading;
	int64_t			 cursor;	/* last pending id claimed */
	size_t			 claimed;	/* claimed, not yet recorded */
	size_t			 renders;	/* render jobs out */
	int			 claiming;	/* a claim job out */
	int			 exhausted;	/* nothing to claim for now */
	int			 rescan;	/* claim from the start next */
	int			 finishing;	/* a finish job out */
	int			 clearing;	/* a clear job out */
	int			 dirty;		/* claimed_through may be set */
	int			 busy;		/* a state change out */
	uv_timer_t		 retry;		/* deferred sends due */
	uint64_t		 slots[RATE_SLOTS];	/* sent per second */
	int64_t			 slot_sec[RATE_SLOTS];
	int64_t			 loaded_ms;
};
TAILQ_HEAD(runs, run);

/* A rendered message, from the thread pool to the relays. */
struct emsg {
	struct pool_msg		 pm;		/* first: pool_msg -> emsg */
	struct run		*run;
	int64_t			 send_id;
	int64_t			 contact_id;
	size_t			 size;		/* counted in e->bytes */
	const char		*message_id;
	char			*body;		/* the renderer's buffer */
	char			 data[];	/* rcpt, from, id */
};

/* An outcome on its way to the store. */
struct eresult {
	struct writer_result	 wr;		/* first */
	struct run		*run;
	char			 text[];
};

struct scratch {
	struct render_scratch	 sc;
	struct scratch		*next;
};

struct engine {
	uv_loop_t		*loop;
	struct cfgref		*cref;		/* the configuration in force */
	struct writer		*writer;
	struct pool		*pool;
	struct cfgref		*pool_cref;
	struct runs		 runs;
	size_t			 claimed;
	size_t			 reserved;	/* asked by claims out */
	size_t			 rendering;	/* claimed, not rendered yet */
	uint64_t		 bytes;
	double			 avg_size;	/* of rendered messages */
	int			 store_rc;	/* the store thread's health */
	char			 store_why[256];
	uint64_t		 recovered;	/* at start: possible dups */
	time_t			 started;

	/* Render scratch buffers, shared by the thread pool's threads. */
	uv_mutex_t		 scratch_mu;
	struct scratch		*scratch_free;

	/* A read-only connection for queries, one query at a time. */
	uv_mutex_t		 ro_mu;
	struct store		*ro;
	int			 ro_closed;	/* for good */

	/* Retired pools (after a reload), freed once stopped. */
	struct retired		*retired;
	uv_timer_t		 reaper;

	int			 stopping;
	int			 freeing;	/* engine_free was called */
	unsigned		 works;		/* thread pool jobs out */
	unsigned		 handles;	/* timers not yet closed */
	uv_timer_t		 deadline;
	void			(*stopped)(void *);
	void			*stopped_arg;
	int			 pool_stopped;
	int			 force;		/* stop now, whatever is left */
	int			 deadline_passed;
};

struct retired {
	struct pool	*pool;
	struct cfgref	*cref;
	int		 stopped;
	struct retired	*next;
};

static void	pump(struct engine *);
static void	check_run(struct run *);
static void	stop_progress(struct engine *);

static int64_t
now_sec(void)
{
	return (int64_t)time(NULL);
}

static struct cfgref *
cfg_ref(struct cfgref *c)
{
	c->refs++;
	return c;
}

static void
cfg_unref(struct cfgref *c)
{
	if (c != NULL && --c->refs == 0) {
		config_free(c->cfg);
		clr_free(c);
	}
}

static const struct config *
cfg(const struct engine *e)
{
	return e->cref->cfg;
}

/* The last of engine_free, once nothing out there refers to e. */
static void
engine_release(struct engine *e)
{
	struct scratch	*s;

	if (!e->freeing || e->works > 0 || e->handles > 0)
		return;
	while ((s = e->scratch_free) != NULL) {
		e->scratch_free = s->next;
		render_scratch_free(&s->sc);
		clr_free(s);
	}
	store_close(e->ro);
	uv_mutex_destroy(&e->scratch_mu);
	uv_mutex_destroy(&e->ro_mu);
	clr_free(e);
}

static void
queue_work(struct engine *e, uv_work_t *req, uv_work_cb work,
    uv_after_work_cb done)
{
	e->works++;
	uv_queue_work(e->loop, req, work, done);
}

static void
policy_of(const struct config *c, struct store_policy *p, int64_t *retry)
{
	size_t	 i;

	for (i = 0; i < c->sending.nretry && i < 32; i++)
		retry[i] = c->sending.retry[i];
	p->retry = retry;
	p->nretry = i;
	p->max_age = c->sending.max_age;
	p->soft_limit = c->sending.soft_bounces;
	p->soft_period = c->sending.soft_period;
}

/* ---- runs ---- */

static struct run *
run_find(struct engine *e, const char *name)
{
	struct run	*r;

	TAILQ_FOREACH(r, &e->runs, entry)
		if (strcmp(r->name, name) == 0)
			return r;
	return NULL;
}

static struct run *
run_of(struct engine *e, int64_t id)
{
	struct run	*r;

	TAILQ_FOREACH(r, &e->runs, entry)
		if (r->id == id)
			return r;
	return NULL;
}

static void
retry_cb(uv_timer_t *t)
{
	struct run	*r = t->data;

	r->exhausted = 0;
	pump(r->e);
}

static struct run *
run_new(struct engine *e, const struct store_run *sr)
{
	struct run	*r;

	if ((r = clr_calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->e = e;
	r->id = sr->id;
	snprintf(r->name, sizeof(r->name), "%s", sr->name);
	r->state = sr->state;
	r->dirty = 1;
	r->loaded_ms = (int64_t)uv_now(e->loop);
	uv_timer_init(e->loop, &r->retry);
	r->retry.data = r;
	TAILQ_INSERT_TAIL(&e->runs, r, entry);
	return r;
}

/* run_loaded - its templates are in: the rest of its configuration. */
static void
run_loaded(struct run *r, struct render_campaign *rc, struct cfgref *cref)
{
	const struct config_campaign	*cc;

	r->rc = rc;
	r->cref = cref;
	cc = config_find_campaign(cref->cfg, r->name);
	snprintf(r->relay, sizeof(r->relay), "%s",
	    cc != NULL && cc->relay != NULL ? cc->relay : "");
}

static void
run_closed(uv_handle_t *h)
{
	clr_free(h->data);
}

static void
run_free(struct run *r)
{
	TAILQ_REMOVE(&r->e->runs, r, entry);
	render_campaign_free(r->rc);
	cfg_unref(r->cref);
	uv_close((uv_handle_t *)&r->retry, run_closed);
}

static void
rate_add(struct run *r, int64_t now_ms)
{
	int64_t		 sec = now_ms / 1000;
	size_t		 i = (size_t)(sec % RATE_SLOTS);

	if (r->slot_sec[i] != sec) {
		r->slot_sec[i] = sec;
		r->slots[i] = 0;
	}
	r->slots[i]++;
}

/* Messages sent per second over the last minute (or since loaded). */
static double
rate_of(const struct run *r, int64_t now_ms)
{
	int64_t		 sec = now_ms / 1000, span;
	uint64_t	 n = 0;
	size_t		 i;

	for (i = 0; i < RATE_SLOTS; i++)
		if (r->slot_sec[i] > sec - RATE_SLOTS && r->slot_sec[i] <= sec)
			n += r->slots[i];
	span = (now_ms - r->loaded_ms) / 1000;
	if (span > RATE_SLOTS)
		span = RATE_SLOTS;
	if (span < 1)
		span = 1;
	return (double)n / (double)span;
}

/* ---- outcomes ---- */

static struct eresult *
result_new(struct run *r, int64_t send_id, enum store_outcome outcome,
    int code, const char *status, const char *reply, const char *reason,
    const char *relay, const char *message_id, int ambiguous)
{
	const char	*s[5] = { status, reply, reason, relay, message_id };
	size_t		 len[5], total = 0, i;
	struct eresult	*x;
	char		*p;

	for (i = 0; i < 5; i++) {
		len[i] = s[i] != NULL && s[i][0] != '\0' ? strlen(s[i]) : 0;
		if (i == 1 && len[i] > 2000)	/* keep replies bounded */
			len[i] = 2000;
		total += len[i] + 1;
	}
	if ((x = clr_malloc(sizeof(*x) + total)) == NULL)
		return NULL;
	memset(x, 0, sizeof(*x));
	x->run = r;
	x->wr.r.send_id = send_id;
	x->wr.r.outcome = outcome;
	x->wr.r.code = code;
	x->wr.r.ambiguous = ambiguous;
	p = x->text;
	for (i = 0; i < 5; i++) {
		const char	*v = NULL;

		if (len[i] > 0) {
			memcpy(p, s[i], len[i]);
			p[len[i]] = '\0';
			v = p;
		}
		p += len[i] + 1;
		switch (i) {
		case 0: x->wr.r.status = v; break;
		case 1: x->wr.r.reply = v; break;
		case 2: x->wr.r.reason = v; break;
		case 3: x->wr.r.relay = v; break;
		case 4: x->wr.r.message_id = v; break;
		}
	}
	return x;
}

static void
record(struct engine *e, struct eresult *x)
{
	writer_record(e->writer, &x->wr);
}

/*
 * release - a claimed send goes back without an attempt. If even the
 * memory for saying so is missing, the send stays claimed in the store
 * and the next start counts it as a possible duplicate: nothing is lost.
 */
static void
release(struct run *r, int64_t send_id)
{
	struct eresult	*x;

	if ((x = result_new(r, send_id, STORE_RELEASED, 0, NULL, NULL,
	    "released", NULL, NULL, 0)) == NULL) {
		log_error("%s: out of memory releasing send %" PRId64,
		    r->name, send_id);
		return;
	}
	record(r->e, x);
}

static void
emsg_free(struct engine *e, struct emsg *m)
{
	e->bytes -= m->size;
	clr_free(m->body);
	clr_free(m);
}

static void
on_result(void *arg, struct pool_msg *pm, const struct pool_result *res)
{
	struct engine		*e = arg;
	struct emsg		*m = (struct emsg *)pm;
	struct run		*r = m->run;
	enum store_outcome	 o;
	struct eresult		*x;
	const char		*reason;

	switch (res->verdict.kind) {
	case VERDICT_SENT:
		o = STORE_SENT;
		rate_add(r, (int64_t)uv_now(e->loop));
		break;
	case VERDICT_BOUNCED_HARD:
		o = STORE_BOUNCED_HARD;
		break;
	case VERDICT_BOUNCED_SOFT:
		o = STORE_BOUNCED_SOFT;
		break;
	default:
		o = STORE_DEFERRED;
		break;
	}
	reason = verdict_reason_name(res->verdict.reason);
	/* Not attempted because the pool is stopping: claimable again. */
	if (o == STORE_DEFERRED && res->outcome == SMTP_OUT_NOT_SENT &&
	    (e->stopping || r->state != STORE_RUN_RUNNING)) {
		release(r, m->send_id);
		emsg_free(e, m);
		return;
	}
	log_info("%s run %" PRId64 ": contact %" PRId64 " %s via %s: %d %s "
	    "(%s%s)%s%s", r->name, r->id, m->contact_id,
	    verdict_name(res->verdict.kind), res->relay ? res->relay : "-",
	    res->reply.code, res->reply.status[0] ? res->reply.status : "-",
	    reason, res->verdict.ambiguous ? ", ambiguous" : "",
	    o == STORE_SENT ? "" : ": ",
	    o == STORE_SENT || res->reply.text == NULL ? "" :
	    res->reply.text);
	x = result_new(r, m->send_id, o, res->reply.code,
	    res->reply.status, res->reply.text, reason, res->relay,
	    m->message_id, res->verdict.ambiguous);
	if (x == NULL)
		log_error("%s: out of memory recording send %" PRId64
		    " (it stays claimed)", r->name, m->send_id);
	else
		record(e, x);
	emsg_free(e, m);
}

static void
on_committed(void *arg, struct writer_results *rs)
{
	struct engine		*e = arg;
	struct writer_result	*wr, *next;
	struct run		*r;

	for (wr = TAILQ_FIRST(rs); wr != NULL; wr = next) {
		struct eresult	*x = (struct eresult *)wr;

		next = TAILQ_NEXT(wr, entry);
		x->run->claimed--;
		e->claimed--;
		clr_free(x);
	}
	if (e->freeing)
		return;
	TAILQ_FOREACH(r, &e->runs, entry)
		if (r->claimed == 0)
			check_run(r);
	pump(e);
	stop_progress(e);
}

static void
on_health(void *arg, int rc, const char *why)
{
	struct engine	*e = arg;

	if (e->freeing)
		return;
	e->store_rc = rc;
	snprintf(e->store_why, sizeof(e->store_why), "%s", why);
	if (rc != 0)
		log_error("store: %s; sending paused, nothing is lost, "
		    "retrying every second", why);
	else {
		log_info("store: writing again; sending resumes");
		pump(e);
	}
}

/* ---- withdraw: pause, cancel, stop, reload ---- */

static int
match_run(void *arg, const struct pool_msg *pm)
{
	return ((const struct emsg *)pm)->run == arg;
}

struct withdraw {
	struct engine	*e;
	struct run	*run;		/* NULL: all */
};

static int
match_withdraw(void *arg, const struct pool_msg *pm)
{
	struct withdraw	*w = arg;

	return w->run == NULL || match_run(w->run, pm);
}

static void
withdrawn(void *arg, struct pool_msg *pm)
{
	struct withdraw	*w = arg;
	struct emsg	*m = (struct emsg *)pm;

	release(m->run, m->send_id);
	emsg_free(w->e, m);
}

static size_t
withdraw(struct engine *e, struct run *r)
{
	struct withdraw	 w = { e, r };

	if (e->pool == NULL)
		return 0;
	return pool_withdraw(e->pool, match_withdraw, withdrawn, &w);
}

/* ---- scratch buffers ---- */

static struct scratch *
scratch_get(struct engine *e)
{
	struct scratch	*s;

	uv_mutex_lock(&e->scratch_mu);
	if ((s = e->scratch_free) != NULL)
		e->scratch_free = s->next;
	uv_mutex_unlock(&e->scratch_mu);
	if (s == NULL && (s = clr_calloc(1, sizeof(*s))) != NULL)
		render_scratch_init(&s->sc);
	return s;
}

static void
scratch_put(struct engine *e, struct scratch *s)
{
	uv_mutex_lock(&e->scratch_mu);
	s->next = e->scratch_free;
	e->scratch_free = s;
	uv_mutex_unlock(&e->scratch_mu);
}

/* ---- claims and rendering ---- */

/* A claimed send, its strings at offsets in the job's arena. */
#define NO_STR	SIZE_MAX
struct crow {
	int64_t		 send_id;
	int64_t		 contact_id;
	size_t		 email, first, last, locale, attrs;
};

struct claim_job {
	struct writer_job	 wj;
	struct engine		*e;
	struct run		*run;
	int64_t			 run_id;
	int64_t			 cursor;
	int64_t			 now;
	size_t			 want, got;
	struct crow		*rows;
	struct buf		 arena;
	struct store_run_counts	 counts;
	int			 counted;
	unsigned		 refs;		/* render jobs using it */
};

struct render_item {
	struct emsg	*m;		/* rendered, or */
	char		*why;		/* refused for this reason, or */
	int		 transient;	/* neither: try again later */
};

struct render_job {
	uv_work_t		 req;
	struct claim_job	*cj;
	size_t			 from, to;
	struct render_item	*items;
	const struct render_campaign *rc;
};

static void
claim_job_unref(struct claim_job *cj)
{
	if (--cj->refs == 0) {
		buf_free(&cj->arena);
		clr_free(cj->rows);
		clr_free(cj);
	}
}

static size_t
arena_put(struct buf *b, const char *s)
{
	size_t	 off = b->len;

	if (s == NULL)
		return NO_STR;
	if (buf_append(b, s, strlen(s) + 1) != 0)
		return NO_STR - 1;
	return off;
}

static int
claim_row(void *arg, const struct store_claim *c)
{
	struct claim_job	*cj = arg;
	struct crow		*row = &cj->rows[cj->got];

	row->send_id = c->send_id;
	row->contact_id = c->contact_id;
	row->email = arena_put(&cj->arena, c->email);
	row->first = arena_put(&cj->arena, c->first_name);
	row->last = arena_put(&cj->arena, c->last_name);
	row->locale = arena_put(&cj->arena, c->locale);
	row->attrs = arena_put(&cj->arena, c->attrs);
	if (row->email == NO_STR - 1 || row->first == NO_STR - 1 ||
	    row->last == NO_STR - 1 || row->locale == NO_STR - 1 ||
	    row->attrs == NO_STR - 1)
		return CLR_ENOMEM;
	cj->got++;
	return 0;
}

static int
claim_work(struct store *s, struct writer_job *wj)
{
	struct claim_job	*cj = (struct claim_job *)wj;
	int			 rc;

	cj->got = 0;
	buf_reset(&cj->arena);
	rc = store_claim(s, cj->run_id, &cj->cursor, cj->now, cj->want,
	    claim_row, cj, &cj->got, &wj->err);
	if (rc == 0 && cj->got < cj->want) {
		rc = store_run_counts(s, cj->run_id, &cj->counts, &wj->err);
		cj->counted = rc == 0;
	}
	return rc;
}

static const char *
arena_str(const struct claim_job *cj, size_t off)
{
	return off == NO_STR ? NULL : cj->arena.data + off;
}

static int
has_8bit(const char *p, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if ((unsigned char)p[i] & 0x80)
			return 1;
	return 0;
}

/*
 * emsg_make - the message leaves with the renderer's own buffer (no
 * copy), trimmed to its length; the scratch gets a fresh one of about
 * the same size for the next, so that it does not grow step by step.
 */
static struct emsg *
emsg_make(struct render_scratch *sc, struct run *run,
    const struct crow *row, const char *email)
{
	size_t		 lr = strlen(email) + 1;
	size_t		 lf = strlen(sc->envelope_from) + 1;
	size_t		 li = strlen(sc->message_id) + 1;
	size_t		 len = sc->msg.len;
	struct emsg	*m;
	char		*p, *body, *trim;

	if ((m = clr_malloc(sizeof(*m) + lr + lf + li)) == NULL)
		return NULL;
	if ((body = buf_steal(&sc->msg)) == NULL) {
		clr_free(m);
		return NULL;
	}
	if ((trim = clr_realloc(body, len + 1)) != NULL)
		body = trim;
	(void)buf_reserve(&sc->msg, len + len / 8);
	memset(m, 0, sizeof(*m));
	m->body = body;
	m->run = run;
	m->send_id = row->send_id;
	m->contact_id = row->contact_id;
	m->size = sizeof(*m) + lr + lf + li + len + 1;
	p = m->data;
	memcpy(p, email, lr);
	m->pm.rcpt = p;
	p += lr;
	memcpy(p, sc->envelope_from, lf);
	m->pm.from = p;
	p += lf;
	memcpy(p, sc->message_id, li);
	m->message_id = p;
	m->pm.body = body;
	m->pm.len = len;
	/* Bodies are quoted-printable and headers RFC 2047 (lib/message):
	 * 8-bit can only come from an address, which SMTPUTF8 covers. */
	m->pm.smtputf8 = has_8bit(m->pm.rcpt, lr - 1) ||
	    has_8bit(m->pm.from, lf - 1);
	m->pm.eightbit = 0;
	m->pm.relay = run->relay[0] != '\0' ? run->relay : NULL;
	m->pm.udata = m;
	return m;
}

static void
render_work(uv_work_t *req)
{
	struct render_job	*rj = req->data;
	struct claim_job	*cj = rj->cj;
	struct scratch		*s = scratch_get(cj->e);
	struct clr_err		 err;
	size_t			 i;

	for (i = rj->from; i < rj->to; i++) {
		const struct crow	*row = &cj->rows[i];
		struct render_item	*it = &rj->items[i - rj->from];
		struct render_contact	 c;
		int			 rc;

		if (s == NULL) {
			it->transient = 1;
			continue;
		}
		c.id = row->contact_id;
		c.email = arena_str(cj, row->email);
		c.first_name = arena_str(cj, row->first);
		c.last_name = arena_str(cj, row->last);
		c.locale = arena_str(cj, row->locale);
		c.attrs = arena_str(cj, row->attrs);
		err.code = 0;
		err.msg[0] = '\0';
		rc = render_message(rj->rc, &c, (uint64_t)cj->run_id,
		    cj->now, &s->sc, &err);
		if (rc == 0) {
			if ((it->m = emsg_make(&s->sc, cj->run, row,
			    c.email)) == NULL)
				it->transient = 1;
		} else if (rc == CLR_EINVAL) {
			if ((it->why = clr_strdup(err.msg)) == NULL)
				it->transient = 1;
		} else
			it->transient = 1;
	}
	if (s != NULL)
		scratch_put(cj->e, s);
}

static void
render_done(uv_work_t *req, int status)
{
	struct render_job	*rj = req->data;
	struct claim_job	*cj = rj->cj;
	struct engine		*e = cj->e;
	struct run		*r = cj->run;
	size_t			 i;

	(void)status;
	e->works--;
	e->rendering -= rj->to - rj->from;
	for (i = rj->from; i < rj->to; i++) {
		struct render_item	*it = &rj->items[i - rj->from];
		int64_t			 send_id = cj->rows[i].send_id;
		struct eresult		*x;

		if (e->freeing) {
			clr_free(it->m);
			clr_free(it->why);
			continue;
		}
		if (it->m != NULL) {
			e->bytes += it->m->size;
			e->avg_size = e->avg_size == 0 ? (double)it->m->size :
			    e->avg_size * 0.98 + (double)it->m->size * 0.02;
			if (e->stopping || r->state != STORE_RUN_RUNNING) {
				release(r, send_id);
				emsg_free(e, it->m);
			} else
				pool_submit(e->pool, &it->m->pm);
		} else if (it->why != NULL) {
			log_warn("%s run %" PRId64 ": contact %" PRId64
			    " failed: %s", r->name, r->id,
			    cj->rows[i].contact_id, it->why);
			x = result_new(r, send_id, STORE_FAILED, 0, NULL,
			    it->why, "render", NULL, NULL, 0);
			clr_free(it->why);
			if (x != NULL)
				record(e, x);
		} else {
			log_error("%s run %" PRId64 ": contact %" PRId64
			    " not rendered (out of memory); released",
			    r->name, r->id, cj->rows[i].contact_id);
			release(r, send_id);
		}
	}
	clr_free(rj->items);
	clr_free(rj);
	r->renders--;
	claim_job_unref(cj);
	if (e->freeing) {
		engine_release(e);
		return;
	}
	check_run(r);
	pump(e);
	stop_progress(e);
}

static void
claim_done(struct writer_job *wj)
{
	struct claim_job	*cj = (struct claim_job *)wj;
	struct engine		*e = cj->e;
	struct run		*r = cj->run;
	size_t			 i, n;

	if (e->freeing) {
		claim_job_unref(cj);
		return;
	}
	r->claiming = 0;
	e->reserved -= cj->want;
	if (wj->rc != 0) {
		log_error("%s run %" PRId64 ": claim failed: %s", r->name,
		    r->id, wj->err.msg);
		claim_job_unref(cj);
		stop_progress(e);
		return;		/* on_health's recovery pumps again */
	}
	r->cursor = cj->cursor;
	r->claimed += cj->got;
	e->claimed += cj->got;
	if (cj->got > 0)
		r->dirty = 1;
	if (cj->got < cj->want) {
		r->exhausted = 1;
		if (cj->counted && cj->counts.next_attempt_at > 0) {
			int64_t	 wait = cj->counts.next_attempt_at -
				    now_sec();

			uv_timer_start(&r->retry, retry_cb, wait > 0 ?
			    (uint64_t)wait * 1000 : 0, 0);
		}
	}
	for (i = 0; i < cj->got; i += n) {
		struct render_job	*rj;

		n = cj->got - i < RENDER_BATCH ? cj->got - i : RENDER_BATCH;
		rj = clr_calloc(1, sizeof(*rj));
		if (rj != NULL && (rj->items = clr_calloc(n,
		    sizeof(*rj->items))) == NULL) {
			clr_free(rj);
			rj = NULL;
		}
		if (rj == NULL) {
			size_t	 k;

			for (k = i; k < i + n; k++)
				release(r, cj->rows[k].send_id);
			continue;
		}
		rj->cj = cj;
		rj->from = i;
		rj->to = i + n;
		rj->rc = r->rc;
		rj->req.data = rj;
		cj->refs++;
		r->renders++;
		e->rendering += n;
		queue_work(e, &rj->req, render_work, render_done);
	}
	claim_job_unref(cj);
	check_run(r);
	pump(e);
}

static int
can_claim(const struct run *r)
{
	return r->state == STORE_RUN_RUNNING && r->rc != NULL &&
	    !r->claiming && !r->exhausted && !r->busy &&
	    !(r->rescan && (r->claimed > 0 || r->renders > 0));
}

static void
claim(struct engine *e, struct run *r, size_t n)
{
	struct claim_job	*cj;

	if ((cj = clr_calloc(1, sizeof(*cj))) == NULL ||
	    (cj->rows = clr_calloc(n, sizeof(*cj->rows))) == NULL) {
		clr_free(cj);
		log_error("%s: out of memory claiming sends", r->name);
		return;
	}
	if (r->rescan) {
		r->rescan = 0;
		r->cursor = 0;
	}
	buf_init(&cj->arena, (size_t)64 << 20);
	cj->e = e;
	cj->run = r;
	cj->run_id = r->id;
	cj->cursor = r->cursor;
	cj->now = now_sec();
	cj->want = n;
	cj->refs = 1;
	cj->wj.work = claim_work;
	cj->wj.done = claim_done;
	cj->wj.grouped = 1;
	r->claiming = 1;
	e->reserved += n;
	writer_submit(e->writer, &cj->wj);
}

/*
 * pump - claim what the window and the memory bound allow, for each
 * running run in turn. The memory held counts what is rendered and, at
 * the average size, what claims and renders under way will add; until a
 * size is known, one send at a time. A message larger than the bound
 * still goes, alone.
 */
static void
pump(struct engine *e)
{
	const struct config_sending *cs = &cfg(e)->sending;
	struct run	*r;
	size_t		 room, n;
	double		 avg, held;

	if (e->stopping || e->store_rc != 0 || e->pool == NULL)
		return;
	TAILQ_FOREACH(r, &e->runs, entry) {
		if (!can_claim(r))
			continue;
		avg = e->avg_size > 0 ? e->avg_size : (double)cs->memory;
		held = (double)e->bytes +
		    (double)(e->reserved + e->rendering) * avg;
		if (e->claimed + e->reserved >= cs->window ||
		    held >= (double)cs->memory)
			return;
		room = cs->window - e->claimed - e->reserved;
		n = (size_t)(((double)cs->memory - held) / avg);
		if (n == 0 && held > 0)
			return;
		if (n == 0)
			n = 1;
		if (n > room)
			n = room;
		if (n > CLAIM_MAX)
			n = CLAIM_MAX;
		claim(e, r, n);
	}
}

/* ---- finishing, clearing ---- */

struct run_job {
	struct writer_job	 wj;
	struct engine		*e;
	int64_t			 run_id;
	int			 done;
	struct store_run_counts	 counts;
};

static int
finish_work(struct store *s, struct writer_job *wj)
{
	struct run_job	*j = (struct run_job *)wj;
	int		 rc;

	rc = store_run_finish_if_done(s, j->run_id, now_sec(), &j->done,
	    &wj->err);
	if (rc == 0)
		rc = store_run_counts(s, j->run_id, &j->counts, &wj->err);
	return rc;
}

static void
finish_done(struct writer_job *wj)
{
	struct run_job			*j = (struct run_job *)wj;
	struct engine			*e = j->e;
	struct run			*r = e->freeing ? NULL :
					    run_of(e, j->run_id);
	const struct store_run_counts	*c = &j->counts;

	if (r == NULL) {
		clr_free(j);
		return;
	}
	r->finishing = 0;
	if (wj->rc != 0)
		log_error("%s run %" PRId64 ": %s", r->name, r->id,
		    wj->err.msg);
	else if (j->done) {
		log_info("%s run %" PRId64 " done: %" PRIu64 " sent, %" PRIu64
		    " bounced (%" PRIu64 " hard), %" PRIu64 " failed, %"
		    PRIu64 " skipped, of %" PRIu64, r->name, r->id, c->sent,
		    c->bounced_hard + c->bounced_soft, c->bounced_hard,
		    c->failed, c->skipped, c->total);
		r->state = STORE_RUN_DONE;
		run_free(r);
	} else if (c->pending > 0) {
		/* Released sends below the cursor: look from the start. */
		r->rescan = 1;
		r->exhausted = 0;
	} else if (c->next_attempt_at > 0) {
		int64_t	 wait = c->next_attempt_at - now_sec();

		uv_timer_start(&r->retry, retry_cb, wait > 0 ?
		    (uint64_t)wait * 1000 : 0, 0);
	}
	clr_free(j);
	pump(e);
	stop_progress(e);
}

static int
clear_work(struct store *s, struct writer_job *wj)
{
	struct run_job	*j = (struct run_job *)wj;

	return store_claims_clear(s, j->run_id, &wj->err);
}

static void
clear_done(struct writer_job *wj)
{
	struct run_job	*j = (struct run_job *)wj;
	struct engine	*e = j->e;
	struct run	*r = e->freeing ? NULL : run_of(e, j->run_id);

	if (r != NULL) {
		r->clearing = 0;
		if (wj->rc != 0)
			log_error("%s run %" PRId64 ": %s", r->name, r->id,
			    wj->err.msg);
		else
			r->dirty = 0;
		if (r->state == STORE_RUN_CANCELLED && r->claimed == 0 &&
		    r->renders == 0 && !r->claiming && !r->busy)
			run_free(r);
	}
	clr_free(j);
	stop_progress(e);
}

static void
run_job_submit(struct engine *e, struct run *r, int (*work)(struct store *,
    struct writer_job *), void (*done)(struct writer_job *))
{
	struct run_job	*j;

	if ((j = clr_calloc(1, sizeof(*j))) == NULL) {
		log_error("%s: out of memory", r->name);
		return;
	}
	j->e = e;
	j->run_id = r->id;
	j->wj.work = work;
	j->wj.done = done;
	writer_submit(e->writer, &j->wj);
}

/*
 * check_run - a run with nothing claimed: a paused, cancelled or stopping
 * one has its claims cleared (a crash now duplicates nothing); a running
 * one with nothing left to claim may be done.
 */
static void
check_run(struct run *r)
{
	struct engine	*e = r->e;

	if (r->claimed > 0 || r->renders > 0 || r->claiming || r->busy)
		return;
	if (r->state != STORE_RUN_RUNNING || e->stopping) {
		if (r->dirty && !r->clearing) {
			r->clearing = 1;
			run_job_submit(e, r, clear_work, clear_done);
		} else if (!r->dirty && !r->clearing &&
		    r->state == STORE_RUN_CANCELLED)
			run_free(r);
		return;
	}
	if (r->exhausted && !r->finishing && !r->rescan) {
		r->finishing = 1;
		run_job_submit(e, r, finish_work, finish_done);
	}
}

/* ---- loading a run's templates ---- */

struct load_op {
	uv_work_t		 req;
	struct engine		*e;
	int64_t			 run_id;
	struct cfgref		*cref;
	struct render_campaign	*rc;
	char			 name[65];
	struct clr_err		 err;
	void			(*then)(struct engine *, struct run *,
				    struct load_op *);
	engine_answer_fn	*answer;
	void			*arg;
};

static void
load_work(uv_work_t *req)
{
	struct load_op	*op = req->data;

	op->rc = render_campaign_new(op->cref->cfg, op->name, 0, &op->err);
}

static void
load_done(uv_work_t *req, int status)
{
	struct load_op	*op = req->data;
	struct engine	*e = op->e;
	struct run	*r = e->freeing ? NULL : run_of(e, op->run_id);

	(void)status;
	e->works--;
	if (e->freeing) {
		if (op->answer != NULL)
			op->answer(op->arg, 0, "clariond is stopping");
		render_campaign_free(op->rc);
		cfg_unref(op->cref);
		clr_free(op);
		engine_release(e);
		return;
	}
	if (r != NULL) {
		r->loading = 0;
		if (op->rc != NULL && r->rc == NULL) {
			run_loaded(r, op->rc, op->cref);
			op->rc = NULL;
			op->cref = NULL;
		}
	}
	if (op->then != NULL)
		op->then(e, r, op);
	else if (r != NULL && r->rc == NULL)
		log_error("%s run %" PRId64 ": cannot load its templates: %s; "
		    "it waits for a configuration that loads (fix it, then "
		    "SIGHUP)", r->name, r->id, op->err.msg);
	render_campaign_free(op->rc);
	cfg_unref(op->cref);
	clr_free(op);
	pump(e);
	stop_progress(e);
}

static int
load_run(struct engine *e, struct run *r,
    void (*then)(struct engine *, struct run *, struct load_op *),
    engine_answer_fn *answer, void *arg)
{
	struct load_op	*op;

	if ((op = clr_calloc(1, sizeof(*op))) == NULL)
		return CLR_ENOMEM;
	op->e = e;
	op->run_id = r->id;
	op->cref = cfg_ref(e->cref);
	snprintf(op->name, sizeof(op->name), "%s", r->name);
	op->then = then;
	op->answer = answer;
	op->arg = arg;
	op->req.data = op;
	r->loading = 1;
	queue_work(e, &op->req, load_work, load_done);
	return 0;
}

/* ---- answers ---- */

static int
campaign_json(struct buf *b, const struct store_run *sr,
    const struct store_run_counts *c, const struct run *r, int64_t now_ms)
{
	double		 rate;
	uint64_t	 left = c->pending + c->sending;
	int		 rc;

	/* A run in memory: the last minute's rate; else its average. */
	if (r != NULL)
		rate = rate_of(r, now_ms);
	else if (sr->finished_at > sr->started_at)
		rate = (double)c->sent /
		    (double)(sr->finished_at - sr->started_at);
	else
		rate = (double)c->sent;
	rc = buf_printf(b, "\"campaign\":{\"name\":");
	rc = rc ? rc : json_put_string(b, sr->name, strlen(sr->name));
	rc = rc ? rc : buf_printf(b, ",\"run\":%" PRId64 ",\"state\":\"%s\","
	    "\"segment\":", sr->id, store_run_state_name(sr->state));
	rc = rc ? rc : json_put_string(b, sr->segment, strlen(sr->segment));
	rc = rc ? rc : buf_printf(b, ",\"started_at\":%" PRId64,
	    sr->started_at);
	if (sr->finished_at > 0)
		rc = rc ? rc : buf_printf(b, ",\"finished_at\":%" PRId64,
		    sr->finished_at);
	else
		rc = rc ? rc : buf_printf(b, ",\"finished_at\":null");
	rc = rc ? rc : buf_printf(b, ",\"total\":%" PRIu64 ",\"pending\":%"
	    PRIu64 ",\"sending\":%" PRIu64 ",\"sent\":%" PRIu64
	    ",\"deferred\":%" PRIu64 ",\"bounced_hard\":%" PRIu64
	    ",\"bounced_soft\":%" PRIu64 ",\"failed\":%" PRIu64
	    ",\"skipped\":%" PRIu64 ",\"skipped_capped\":%" PRIu64
	    ",\"possible_duplicates\":%" PRIu64 ",\"rate\":%.1f",
	    c->total, c->pending, c->sending, c->sent, c->deferred,
	    c->bounced_hard, c->bounced_soft, c->failed, c->skipped,
	    c->skipped_capped, sr->possible_duplicates, rate);
	if (rate > 0 && sr->state == STORE_RUN_RUNNING)
		rc = rc ? rc : buf_printf(b, ",\"eta\":%.0f",
		    (double)left / rate);
	else
		rc = rc ? rc : buf_printf(b, ",\"eta\":null");
	if (c->next_attempt_at > 0)
		rc = rc ? rc : buf_printf(b, ",\"next_attempt_at\":%" PRId64,
		    c->next_attempt_at);
	else
		rc = rc ? rc : buf_printf(b, ",\"next_attempt_at\":null");
	return rc ? rc : buf_printf(b, "}");
}

static void
answer_campaign(struct engine *e, engine_answer_fn *answer, void *arg,
    const struct store_run *sr, const struct store_run_counts *c)
{
	struct buf	 b = BUF_INITIALIZER(1 << 20);

	if (campaign_json(&b, sr, c, run_of(e, sr->id),
	    (int64_t)uv_now(e->loop)) != 0)
		answer(arg, 0, "out of memory");
	else
		answer(arg, 1, b.data);
	buf_free(&b);
}

/* ---- read-only queries: show and status ---- */

struct query {
	uv_work_t		 req;
	struct engine		*e;
	engine_answer_fn	*answer;
	void			*arg;
	char			 name[65];	/* show; "": status */
	size_t			 n;
	int64_t			*ids;
	struct store_run	*runs;
	struct store_run_counts	*counts;
	int			 rc;
	struct clr_err		 err;
};

static void
query_work(uv_work_t *req)
{
	struct query			*q = req->data;
	struct engine			*e = q->e;
	static const struct store_options ro = { STORE_READONLY, 0, 0, 2048 };
	size_t				 i;

	uv_mutex_lock(&e->ro_mu);
	if (e->ro_closed) {
		q->rc = clr_err_set(&q->err, CLR_EBUSY, "clariond is "
		    "stopping");
		goto out;
	}
	if (e->ro == NULL && (e->ro = store_open(cfg(e)->database, &ro,
	    &q->err)) == NULL) {
		q->rc = q->err.code ? q->err.code : CLR_EDB;
		goto out;
	}
	if (q->name[0] != '\0') {
		q->rc = store_run_latest(e->ro, q->name, &q->runs[0], &q->err);
		if (q->rc == 0)
			q->rc = store_run_counts(e->ro, q->runs[0].id,
			    &q->counts[0], &q->err);
		goto out;
	}
	for (i = 0; i < q->n && q->rc == 0; i++) {
		q->rc = store_run_get(e->ro, q->ids[i], &q->runs[i], &q->err);
		if (q->rc == 0)
			q->rc = store_run_counts(e->ro, q->ids[i],
			    &q->counts[i], &q->err);
	}
out:
	if (q->rc != 0 && q->rc != CLR_ENOENT && e->ro != NULL) {
		/* A broken connection is not kept for the next query. */
		store_close(e->ro);
		e->ro = NULL;
	}
	uv_mutex_unlock(&e->ro_mu);
}

static void
status_answer(struct query *q)
{
	struct engine	*e = q->e;
	struct buf	 b = BUF_INITIALIZER(4 << 20);
	const struct config_sending *cs = &cfg(e)->sending;
	size_t		 i;
	int		 rc;

	rc = buf_printf(&b, "\"version\":\"%s\",\"pid\":%ld,\"uptime\":%lld,"
	    "\"possible_duplicates\":%" PRIu64 ",\"store\":{\"ok\":%s",
	    CLARION_VERSION, (long)getpid(),
	    (long long)(time(NULL) - e->started), e->recovered,
	    e->store_rc == 0 ? "true" : "false");
	if (e->store_rc != 0) {
		rc = rc ? rc : buf_printf(&b, ",\"error\":");
		rc = rc ? rc : json_put_string(&b, e->store_why,
		    strlen(e->store_why));
	}
	rc = rc ? rc : buf_printf(&b, ",\"backlog\":%zu},\"queue\":{"
	    "\"claimed\":%zu,\"ready\":%zu,\"in_flight\":%zu,"
	    "\"ready_bytes\":%" PRIu64 ",\"window\":%u,\"memory\":%" PRIu64
	    "},\"campaigns\":[", writer_backlog(e->writer), e->claimed,
	    e->pool ? pool_queued(e->pool) : 0,
	    e->pool ? pool_in_flight(e->pool) : 0, e->bytes,
	    cs->window, cs->memory);
	for (i = 0; i < q->n && rc == 0; i++) {
		size_t	 at;

		rc = buf_printf(&b, "%s", i > 0 ? "," : "");
		/* campaign_json writes "campaign":{...}: keep the object. */
		at = b.len;
		rc = rc ? rc : campaign_json(&b, &q->runs[i], &q->counts[i],
		    run_of(e, q->runs[i].id), (int64_t)uv_now(e->loop));
		if (rc == 0) {
			memmove(b.data + at, b.data + at + 11, b.len - at - 11);
			b.len -= 11;
			b.data[b.len] = '\0';
		}
	}
	if (e->pool == NULL)
		rc = rc ? rc : buf_printf(&b, "],\"pool\":null");
	else {
		rc = rc ? rc : buf_printf(&b, "],\"pool\":");
		rc = rc ? rc : pool_status_json(e->pool, &b);
	}
	if (rc != 0)
		q->answer(q->arg, 0, "out of memory");
	else
		q->answer(q->arg, 1, b.data);
	buf_free(&b);
}

static void
query_done(uv_work_t *req, int status)
{
	struct query	*q = req->data;
	struct engine	*e = q->e;

	(void)status;
	e->works--;
	if (e->freeing)
		q->answer(q->arg, 0, "clariond is stopping");
	else if (q->rc == CLR_ENOENT && q->name[0] != '\0') {
		char	 msg[128];

		snprintf(msg, sizeof(msg), "campaign \"%s\" has never run",
		    q->name);
		q->answer(q->arg, 0, msg);
	} else if (q->rc != 0)
		q->answer(q->arg, 0, q->err.msg);
	else if (q->name[0] != '\0')
		answer_campaign(q->e, q->answer, q->arg, &q->runs[0],
		    &q->counts[0]);
	else
		status_answer(q);
	clr_free(q->ids);
	clr_free(q->runs);
	clr_free(q->counts);
	clr_free(q);
	engine_release(e);
}

static void
query(struct engine *e, const char *name, engine_answer_fn *answer,
    void *arg)
{
	struct query	*q;
	struct run	*r;
	size_t		 n = 0;

	TAILQ_FOREACH(r, &e->runs, entry)
		n++;
	if (name != NULL)
		n = 1;
	if ((q = clr_calloc(1, sizeof(*q))) == NULL ||
	    (q->ids = clr_calloc(n + 1, sizeof(*q->ids))) == NULL ||
	    (q->runs = clr_calloc(n + 1, sizeof(*q->runs))) == NULL ||
	    (q->counts = clr_calloc(n + 1, sizeof(*q->counts))) == NULL) {
		if (q != NULL) {
			clr_free(q->ids);
			clr_free(q->runs);
			clr_free(q);
		}
		answer(arg, 0, "out of memory");
		return;
	}
	q->e = e;
	q->answer = answer;
	q->arg = arg;
	if (name != NULL)
		snprintf(q->name, sizeof(q->name), "%s", name);
	else
		TAILQ_FOREACH(r, &e->runs, entry)
			q->ids[q->n++] = r->id;
	q->req.data = q;
	queue_work(e, &q->req, query_work, query_done);
}

void
engine_status(struct engine *e, engine_answer_fn *answer, void *arg)
{
	query(e, NULL, answer, arg);
}

/* ---- start ---- */

struct start_op {
	uv_work_t		 req;
	struct writer_job	 wj;
	struct engine		*e;
	struct cfgref		*cref;
	char			 name[65];
	struct render_campaign	*rc;
	struct store_run	 sr;
	struct store_run_counts	 counts;
	struct clr_err		 err;
	engine_answer_fn	*answer;
	void			*arg;
};

static void
start_free(struct start_op *op)
{
	render_campaign_free(op->rc);
	cfg_unref(op->cref);
	clr_free(op);
}

static int
start_work(struct store *s, struct writer_job *wj)
{
	struct start_op			*op = (struct start_op *)
					    ((char *)wj -
					    offsetof(struct start_op, wj));
	const struct config		*c = op->cref->cfg;
	const struct config_campaign	*cc = config_find_campaign(c,
					    op->name);
	struct store_segment_def	 def;
	struct store_cap		 cap;

	segment_def(config_find_segment(c, cc->segment), &def);
	cap.messages = c->sending.cap_messages;
	cap.period = c->sending.cap_period;
	return store_run_start(s, op->name, cc->segment, &def, &cap,
	    now_sec(), &op->sr, &op->counts, &wj->err);
}

static void
start_done(struct writer_job *wj)
{
	struct start_op	*op = (struct start_op *)((char *)wj -
			    offsetof(struct start_op, wj));
	struct engine	*e = op->e;
	struct run	*r;

	if (e->freeing) {
		op->answer(op->arg, 0, "clariond is stopping");
		start_free(op);
		return;
	}
	if (wj->rc != 0) {
		op->answer(op->arg, 0, wj->err.msg);
		start_free(op);
		return;
	}
	if ((r = run_new(e, &op->sr)) == NULL) {
		/* The run is in the store: the next start resumes it. */
		op->answer(op->arg, 0, "out of memory");
		start_free(op);
		return;
	}
	run_loaded(r, op->rc, op->cref);
	op->rc = NULL;
	op->cref = NULL;
	log_info("%s run %" PRId64 " started: %" PRIu64 " to send, %" PRIu64
	    " held back by the frequency cap", r->name, r->id,
	    op->counts.pending, op->counts.skipped_capped);
	pump(e);
	answer_campaign(e, op->answer, op->arg, &op->sr, &op->counts);
	start_free(op);
}

static void
start_load_work(uv_work_t *req)
{
	struct start_op	*op = req->data;

	op->rc = render_campaign_new(op->cref->cfg, op->name, 0, &op->err);
}

static void
start_load_done(uv_work_t *req, int status)
{
	struct start_op	*op = req->data;
	struct engine	*e = op->e;

	(void)status;
	e->works--;
	if (op->rc == NULL) {
		op->answer(op->arg, 0, op->err.msg);
		start_free(op);
		engine_release(e);
		return;
	}
	if (e->stopping || e->freeing) {
		op->answer(op->arg, 0, "clariond is stopping");
		start_free(op);
		engine_release(e);
		return;
	}
	op->wj.work = start_work;
	op->wj.done = start_done;
	writer_submit(e->writer, &op->wj);
}

static void
start(struct engine *e, const char *name, engine_answer_fn *answer,
    void *arg)
{
	struct start_op	*op;
	struct run	*r;

	if (config_find_campaign(cfg(e), name) == NULL) {
		char	 msg[256];

		snprintf(msg, sizeof(msg), "no campaign \"%s\" in %s", name,
		    cfg(e)->path);
		answer(arg, 0, msg);
		return;
	}
	if (e->pool == NULL) {
		answer(arg, 0, "no relays are configured: nothing can be "
		    "sent (declare one under \"relays\", then reload)");
		return;
	}
	if ((r = run_find(e, name)) != NULL) {
		char	 msg[256];

		snprintf(msg, sizeof(msg), "campaign \"%s\" is %s (run %"
		    PRId64 ")", name, store_run_state_name(r->state), r->id);
		answer(arg, 0, msg);
		return;
	}
	if ((op = clr_calloc(1, sizeof(*op))) == NULL) {
		answer(arg, 0, "out of memory");
		return;
	}
	op->e = e;
	op->cref = cfg_ref(e->cref);
	snprintf(op->name, sizeof(op->name), "%s", name);
	op->answer = answer;
	op->arg = arg;
	op->req.data = op;
	queue_work(e, &op->req, start_load_work,
	    start_load_done);
}

/* ---- pause, resume, cancel ---- */

struct state_job {
	struct writer_job	 wj;
	struct engine		*e;
	int64_t			 run_id;
	enum store_run_state	 from, to;
	struct store_run	 sr;
	struct store_run_counts	 counts;
	engine_answer_fn	*answer;
	void			*arg;
};

static int
state_work(struct store *s, struct writer_job *wj)
{
	struct state_job	*j = (struct state_job *)wj;
	int			 rc;

	rc = store_run_set_state(s, j->run_id, j->to, now_sec(), &wj->err);
	if (rc == 0)
		rc = store_run_get(s, j->run_id, &j->sr, &wj->err);
	if (rc == 0)
		rc = store_run_counts(s, j->run_id, &j->counts, &wj->err);
	return rc;
}

static void
state_done(struct writer_job *wj)
{
	struct state_job	*j = (struct state_job *)wj;
	struct engine		*e = j->e;
	struct run		*r = e->freeing ? NULL : run_of(e, j->run_id);

	if (e->freeing) {
		j->answer(j->arg, 0, "clariond is stopping");
		clr_free(j);
		return;
	}
	if (r != NULL) {
		r->busy = 0;
		r->state = wj->rc == 0 ? j->to : j->from;
		if (wj->rc == 0) {
			log_info("%s run %" PRId64 ": %s -> %s", r->name,
			    r->id, store_run_state_name(j->from),
			    store_run_state_name(j->to));
			r->exhausted = 0;
		}
	}
	if (wj->rc != 0)
		j->answer(j->arg, 0, wj->err.msg);
	else
		answer_campaign(e, j->answer, j->arg, &j->sr, &j->counts);
	if (r != NULL)
		check_run(r);
	clr_free(j);
	pump(e);
	stop_progress(e);
}

static void
change_state(struct engine *e, struct run *r, enum store_run_state to,
    engine_answer_fn *answer, void *arg)
{
	struct state_job	*j;

	if ((j = clr_calloc(1, sizeof(*j))) == NULL) {
		answer(arg, 0, "out of memory");
		return;
	}
	j->e = e;
	j->run_id = r->id;
	j->from = r->state;
	j->to = to;
	j->answer = answer;
	j->arg = arg;
	j->wj.work = state_work;
	j->wj.done = state_done;
	r->busy = 1;
	if (to != STORE_RUN_RUNNING) {
		/* Stop claiming and take back what waits, now. */
		r->state = to;
		r->rescan = 1;
		withdraw(e, r);
	}
	writer_submit(e->writer, &j->wj);
}

static void
resume_loaded(struct engine *e, struct run *r, struct load_op *op)
{
	if (r == NULL) {
		op->answer(op->arg, 0, "the campaign went away meanwhile");
		return;
	}
	r->busy = 0;
	if (r->rc == NULL) {
		op->answer(op->arg, 0, op->err.msg);
		return;
	}
	if (r->state != STORE_RUN_PAUSED) {
		op->answer(op->arg, 0, "the campaign changed meanwhile");
		return;
	}
	change_state(e, r, STORE_RUN_RUNNING, op->answer, op->arg);
}

void
engine_campaign(struct engine *e, const char *action, const char *name,
    engine_answer_fn *answer, void *arg)
{
	struct run	*r;
	char		 msg[256];

	if (strcmp(action, "show") == 0) {
		query(e, name, answer, arg);
		return;
	}
	if (e->stopping) {
		answer(arg, 0, "clariond is stopping");
		return;
	}
	if (strcmp(action, "start") == 0) {
		start(e, name, answer, arg);
		return;
	}
	if (strcmp(action, "pause") != 0 && strcmp(action, "resume") != 0 &&
	    strcmp(action, "cancel") != 0) {
		snprintf(msg, sizeof(msg), "unknown campaign action \"%s\" "
		    "(start, pause, resume, cancel, show)", action);
		answer(arg, 0, msg);
		return;
	}
	if ((r = run_find(e, name)) == NULL) {
		snprintf(msg, sizeof(msg), "campaign \"%s\" is not running "
		    "or paused", name);
		answer(arg, 0, msg);
		return;
	}
	if (r->busy || r->loading) {
		snprintf(msg, sizeof(msg), "campaign \"%s\" is changing "
		    "state; try again", name);
		answer(arg, 0, msg);
		return;
	}
	if (strcmp(action, "pause") == 0) {
		if (r->state != STORE_RUN_RUNNING) {
			snprintf(msg, sizeof(msg), "campaign \"%s\" is %s, "
			    "not running", name,
			    store_run_state_name(r->state));
			answer(arg, 0, msg);
			return;
		}
		change_state(e, r, STORE_RUN_PAUSED, answer, arg);
	} else if (strcmp(action, "resume") == 0) {
		if (r->state != STORE_RUN_PAUSED) {
			snprintf(msg, sizeof(msg), "campaign \"%s\" is %s, "
			    "not paused", name,
			    store_run_state_name(r->state));
			answer(arg, 0, msg);
			return;
		}
		if (r->rc != NULL)
			change_state(e, r, STORE_RUN_RUNNING, answer, arg);
		else if (load_run(e, r, resume_loaded, answer, arg) != 0)
			answer(arg, 0, "out of memory");
		else
			r->busy = 1;
	} else
		change_state(e, r, STORE_RUN_CANCELLED, answer, arg);
}

/* ---- stop ---- */

static void
reap_cb(uv_timer_t *t)
{
	struct engine	*e = t->data;
	struct retired	**pp = &e->retired, *x;

	while ((x = *pp) != NULL) {
		if (x->stopped) {
			*pp = x->next;
			pool_free(x->pool);
			cfg_unref(x->cref);
			clr_free(x);
		} else
			pp = &x->next;
	}
	stop_progress(e);
}

static void
retired_stopped(void *arg)
{
	struct retired	*x = arg;

	x->stopped = 1;
}

static void
pool_stopped(void *arg)
{
	struct engine	*e = arg;

	e->pool_stopped = 1;
	/* Not from inside the pool's own callback. */
	uv_timer_start(&e->reaper, reap_cb, 0, 0);
}

static void
stop_progress(struct engine *e)
{
	struct run	*r;
	int		 busy = 0;

	if (e->stopping != 1)
		return;
	TAILQ_FOREACH(r, &e->runs, entry) {
		if (r->claimed > 0 || r->renders > 0 || r->claiming ||
		    r->clearing || r->finishing || r->busy || r->loading ||
		    r->dirty)
			busy = 1;
		check_run(r);
	}
	if (!e->pool_stopped || e->retired != NULL)
		busy = 1;
	if (busy && !e->force)
		return;
	if (busy)
		log_warn("stopping with %zu sends unrecorded: the next start "
		    "counts them as possible duplicates", e->claimed);
	e->stopping = 2;
	uv_timer_stop(&e->deadline);
	if (e->stopped != NULL)
		e->stopped(e->stopped_arg);
}

static void
deadline_cb(uv_timer_t *t)
{
	struct engine	*e = t->data;

	if (e->deadline_passed++ == 0) {
		log_warn("stop deadline reached: closing the connections "
		    "still waiting for an answer");
		if (e->pool != NULL)
			pool_abort(e->pool, "clarion is stopping");
		/* Their outcomes come through the loop: 3 s to record
		 * them, then stop whatever is left. */
		uv_timer_start(&e->deadline, deadline_cb, 3000, 0);
		return;
	}
	e->force = 1;
	stop_progress(e);
}

void
engine_stop(struct engine *e, unsigned deadline_ms, void (*stopped)(void *),
    void *arg)
{
	struct retired	*x;

	if (e->stopping)
		return;
	e->stopping = 1;
	e->stopped = stopped;
	e->stopped_arg = arg;
	withdraw(e, NULL);
	for (x = e->retired; x != NULL; x = x->next)
		pool_abort(x->pool, "clarion is stopping");
	uv_timer_start(&e->deadline, deadline_cb, deadline_ms, 0);
	if (e->pool != NULL)
		pool_stop(e->pool, pool_stopped, e);
	else
		e->pool_stopped = 1;
	stop_progress(e);
}

/* ---- reload ---- */

struct resubmit {
	struct engine	*e;
	struct pool	*to;
};

static void
resubmit(void *arg, struct pool_msg *pm)
{
	struct resubmit	*rs = arg;

	pool_submit(rs->to, pm);
}

int
engine_reload(struct engine *e, struct config *c, struct clr_err *err)
{
	struct cfgref	*cref;
	struct pool	*p;
	struct retired	*x;
	struct store_policy policy;
	int64_t		 retry[32];
	struct resubmit	 rs;
	struct run	*r;

	if (e->stopping) {
		clr_err_set(err, CLR_EBUSY, "clariond is stopping");
		return CLR_EBUSY;
	}
	if ((cref = clr_calloc(1, sizeof(*cref))) == NULL ||
	    (x = clr_calloc(1, sizeof(*x))) == NULL) {
		clr_free(cref);
		clr_err_set(err, CLR_ENOMEM, "out of memory");
		return CLR_ENOMEM;
	}
	cref->cfg = c;
	cref->refs = 1;
	p = NULL;
	if (c->nrelays == 0 && !TAILQ_EMPTY(&e->runs)) {
		clr_free(x);
		clr_free(cref);
		return clr_err_set(err, CLR_EINVAL, "%s declares no relays, "
		    "and campaigns are running or paused", c->path);
	}
	if (c->nrelays > 0 &&
	    (p = pool_new(e->loop, c, on_result, e, err)) == NULL) {
		clr_free(x);
		clr_free(cref);
		return err->code ? err->code : CLR_EINVAL;
	}
	policy_of(c, &policy, retry);
	if (writer_set_policy(e->writer, &policy) != 0) {
		pool_free(p);
		clr_free(x);
		clr_free(cref);
		clr_err_set(err, CLR_ENOMEM, "out of memory");
		return CLR_ENOMEM;
	}
	/* What waits moves to the new pool; the old one finishes what it
	 * has on its connections and goes. */
	if (e->pool != NULL) {
		rs.e = e;
		rs.to = p;
		if (p != NULL)
			pool_withdraw(e->pool, NULL, resubmit, &rs);
		x->pool = e->pool;
		x->cref = e->pool_cref;
		x->next = e->retired;
		e->retired = x;
		pool_stop(x->pool, retired_stopped, x);
		uv_timer_start(&e->reaper, reap_cb, 0, 0);
	} else
		clr_free(x);
	e->pool = p;
	e->pool_cref = p != NULL ? cfg_ref(cref) : NULL;
	cfg_unref(e->cref);
	e->cref = cref;
	/* A running run whose templates did not load tries again. */
	TAILQ_FOREACH(r, &e->runs, entry)
		if (r->state == STORE_RUN_RUNNING && r->rc == NULL &&
		    !r->loading && load_run(e, r, NULL, NULL, NULL) != 0)
			log_error("%s: out of memory", r->name);
	pump(e);
	return 0;
}

/* ---- life ---- */

static int
collect_run(void *arg, const struct store_run *sr)
{
	struct engine	*e = arg;

	return run_new(e, sr) == NULL ? CLR_ENOMEM : 0;
}

struct engine *
engine_new(uv_loop_t *loop, struct config *c, struct store *store,
    struct clr_err *err)
{
	struct engine	*e;
	struct store_policy policy;
	int64_t		 retry[32];
	struct run	*r;

	if ((e = clr_calloc(1, sizeof(*e))) == NULL ||
	    (e->cref = clr_calloc(1, sizeof(*e->cref))) == NULL) {
		clr_free(e);
		config_free(c);
		store_close(store);
		clr_err_set(err, CLR_ENOMEM, "out of memory");
		return NULL;
	}
	e->loop = loop;
	e->cref->cfg = c;
	e->cref->refs = 1;
	e->started = time(NULL);
	TAILQ_INIT(&e->runs);
	uv_mutex_init(&e->scratch_mu);
	uv_mutex_init(&e->ro_mu);
	uv_timer_init(loop, &e->reaper);
	uv_timer_init(loop, &e->deadline);
	e->reaper.data = e->deadline.data = e;

	/* Before the store thread owns the connection, and before any
	 * claim: what the previous process left claimed. */
	if (store_recover(store, now_sec(), &e->recovered, err) != 0 ||
	    store_runs_active(store, collect_run, e, err) != 0) {
		store_close(store);
		goto fail;
	}
	if (e->recovered > 0)
		log_warn("%" PRIu64 " sends were claimed by the previous "
		    "process and not recorded: they go out again, and may "
		    "reach their recipients twice (counted as possible "
		    "duplicates)", e->recovered);
	policy_of(c, &policy, retry);
	if ((e->writer = writer_new(loop, store, &policy, on_committed,
	    on_health, e, err)) == NULL) {
		store_close(store);
		goto fail;
	}
	if (c->nrelays == 0)
		log_warn("%s declares no relays: campaigns cannot start",
		    c->path);
	else if ((e->pool = pool_new(loop, c, on_result, e, err)) == NULL)
		goto fail;
	else
		e->pool_cref = cfg_ref(e->cref);
	TAILQ_FOREACH(r, &e->runs, entry) {
		log_info("%s run %" PRId64 " is %s", r->name, r->id,
		    store_run_state_name(r->state));
		if (r->state == STORE_RUN_RUNNING &&
		    load_run(e, r, NULL, NULL, NULL) != 0) {
			clr_err_set(err, CLR_ENOMEM, "out of memory");
			goto fail;
		}
	}
	return e;
fail:
	engine_free(e);
	return NULL;
}

static void
timer_closed(uv_handle_t *h)
{
	struct engine	*e = h->data;

	e->handles--;
	engine_release(e);
}

void
engine_free(struct engine *e)
{
	struct retired	*x;

	if (e == NULL)
		return;
	e->freeing = 1;
	/* The writer's connection closes last: only a writer can fold the
	 * WAL back into the database and remove it. */
	uv_mutex_lock(&e->ro_mu);
	store_close(e->ro);
	e->ro = NULL;
	e->ro_closed = 1;
	uv_mutex_unlock(&e->ro_mu);
	writer_free(e->writer);
	while (!TAILQ_EMPTY(&e->runs))
		run_free(TAILQ_FIRST(&e->runs));
	pool_free(e->pool);
	cfg_unref(e->pool_cref);
	while ((x = e->retired) != NULL) {
		e->retired = x->next;
		pool_free(x->pool);
		cfg_unref(x->cref);
		clr_free(x);
	}
	cfg_unref(e->cref);
	/* Freed once the loop has closed the timers and the thread pool's
	 * jobs have come back. */
	e->handles = 2;
	uv_close((uv_handle_t *)&e->reaper, timer_closed);
	uv_close((uv_handle_t *)&e->deadline, timer_closed);
}
