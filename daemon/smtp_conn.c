/* SPDX-License-Identifier: ISC */
/*
 * daemon/smtp_conn.c - one SMTP client connection on the event loop
 *
 * Life of a connection: resolve (uv_getaddrinfo), connect to each address
 * in turn until one answers, TLS handshake first for implicit TLS, then
 * the session: every read goes through TLS (if up) into the engine, the
 * engine's events are drained, its output written, and the timer re-armed
 * for the phase the engine is in. When the engine says CLOSED, or the
 * connection fails before the engine could, the owner hears closed() and
 * the handles are closed; the struct is freed by the last close callback.
 *
 * Re-entrancy: the owner's callbacks may call back in (hand a message
 * over, quit, abort). Calls made while events are being drained only
 * change the engine; the drain loop picks up what follows and writes once
 * at the end. From anywhere else, smtp_conn_mail writes at once and
 * smtp_conn_quit and smtp_conn_mail leave the events to the next turn of
 * the loop (kick), so that no callback runs inside the owner's own call;
 * only smtp_conn_abort reports at once.
 */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "smtp_conn.h"
#include "tls.h"
#include "util/alloc.h"
#include "util/buf.h"

#define READ_SIZE	65536
#define REASON_MAX	600

enum conn_state {
	CONN_RESOLVING,
	CONN_CONNECTING,
	CONN_HANDSHAKE,		/* implicit TLS, before the greeting */
	CONN_SESSION,
	CONN_CLOSING,		/* closed() said; handles closing */
};

/* One connection attempt: a TCP handle and its connect request. */
struct attempt {
	uv_tcp_t	 tcp;
	uv_connect_t	 req;
};

struct write_req {
	uv_write_t	 req;
	struct smtp_conn *conn;
	size_t		 len;
	char		 data[];
};

struct smtp_conn {
	uv_loop_t		*loop;
	enum conn_state		 state;
	struct smtp_conn_params	 p;		/* strings below are ours */
	char			*host;
	char			*server_name;
	char			*label;
	struct smtp_conn_cbs	 cbs;
	void			*owner;

	uv_getaddrinfo_t	 gai;
	int			 resolving;	/* gai is pending */
	struct addrinfo		*addrs;		/* from the resolver */
	struct addrinfo		*next_addr;	/* to try next */
	uv_tcp_t		*tcp;		/* of the current attempt */
	uv_timer_t		 timer;
	int			 refs;		/* open handles, pending gai */

	struct smtp_client	*engine;
	struct tls_conn		*tls;
	int			 tls_up;
	int			 tls_implicit;
	int			 draining;	/* in drain(): no nesting */
	int			 kicked;	/* drain at the timer */
	int			 armed;		/* the timer is for: */
	enum smtp_phase		 armed_phase;
	uint64_t		 armed_progress;
	int			 closed_said;
	unsigned		 messages;
	unsigned		 in_flight;
	size_t			 writes_pending;	/* octets */

	char			 reason[REASON_MAX];
	struct smtp_reply	 fail_reply;
	char			 fail_text[REASON_MAX];
	char			 rbuf[READ_SIZE];
	struct buf		 out;		/* staged for the network */
};

static void	drain(struct smtp_conn *);
static void	flush(struct smtp_conn *);
static void	finish(struct smtp_conn *, const char *reason);
static void	try_next_address(struct smtp_conn *);
static void	timer_fired(uv_timer_t *);
static void	kick(struct smtp_conn *);

/* release - one handle or request less; the last one frees it all. */
static void
release(struct smtp_conn *c)
{
	if (--c->refs > 0)
		return;
	if (c->addrs != NULL)
		uv_freeaddrinfo(c->addrs);
	smtp_client_free(c->engine);
	tls_conn_free(c->tls);
	buf_free(&c->out);
	clr_free(c->host);
	clr_free(c->server_name);
	clr_free(c->label);
	clr_free(c);
}

static void
handle_closed(uv_handle_t *h)
{
	struct smtp_conn	*c = h->data;

	if (h->type == UV_TCP) {
		if ((uv_handle_t *)c->tcp == h)
			c->tcp = NULL;
		clr_free((struct attempt *)(void *)h);
	}
	release(c);
}

static void
close_tcp(struct smtp_conn *c)
{
	if (c->tcp != NULL && !uv_is_closing((uv_handle_t *)c->tcp))
		uv_close((uv_handle_t *)c->tcp, handle_closed);
}

/* close_all - once closed() was said and the last writes are out. */
static void
close_all(struct smtp_conn *c)
{
	close_tcp(c);
	if (!uv_is_closing((uv_handle_t *)&c->timer))
		uv_close((uv_handle_t *)&c->timer, handle_closed);
}

/*
 * say_closed - tell the owner, once. The handles close after it; the
 * struct goes with the last of them.
 */
static void
say_closed(struct smtp_conn *c, int failed)
{
	struct smtp_conn_end	 end;

	if (c->closed_said)
		return;
	c->closed_said = 1;
	c->state = CONN_CLOSING;
	memset(&end, 0, sizeof(end));
	end.failed = failed;
	end.messages = c->messages;
	end.reason = c->reason[0] != '\0' ? c->reason : NULL;
	end.reply = c->fail_reply;
	end.reply.text = c->fail_text;
	end.transcript = c->engine != NULL ?
	    smtp_client_transcript(c->engine) : "";
	c->cbs.closed(c, c->owner, &end);
	/* Let the last writes (QUIT, close_notify) go, a few seconds. */
	if (c->writes_pending == 0)
		close_all(c);
	else
		uv_timer_start(&c->timer, timer_fired, 5000, 0);
}

/* finish - a failure before the engine can report it: closed() now. */
static void
finish(struct smtp_conn *c, const char *reason)
{
	if (c->closed_said)
		return;
	snprintf(c->reason, sizeof(c->reason), "%s", reason);
	if (c->engine != NULL && c->state == CONN_SESSION) {
		smtp_client_abort(c->engine, reason);
		if (!c->draining)
			drain(c);
		return;
	}
	say_closed(c, 1);
}

static void
write_done(uv_write_t *req, int status)
{
	struct write_req	*w = (struct write_req *)req;
	struct smtp_conn	*c = w->conn;

	c->writes_pending -= w->len;
	clr_free(w);
	if (c->closed_said) {
		if (c->writes_pending == 0)
			close_all(c);
		return;
	}
	if (status < 0) {
		char	 r[160];

		snprintf(r, sizeof(r), "write to %s failed: %s", c->label,
		    uv_strerror(status));
		finish(c, r);
	}
}

/* write_net - bytes for the socket, in order; a copy waits if need be. */
static void
write_net(struct smtp_conn *c, char *p, size_t n)
{
	struct write_req	*w;
	uv_buf_t		 b;
	int			 r;

	if (n == 0 || c->tcp == NULL || uv_is_closing((uv_handle_t *)c->tcp))
		return;
	if (c->writes_pending == 0) {
		b = uv_buf_init(p, (unsigned)n);
		r = uv_try_write((uv_stream_t *)c->tcp, &b, 1);
		if (r > 0) {
			p += r;
			n -= (size_t)r;
		} else if (r != UV_EAGAIN && r != UV_ENOSYS) {
			char	 why[160];

			snprintf(why, sizeof(why), "write to %s failed: %s",
			    c->label, uv_strerror(r));
			finish(c, why);
			return;
		}
		if (n == 0)
			return;
	}
	if ((w = clr_malloc(sizeof(*w) + n)) == NULL) {
		finish(c, "out of memory");
		return;
	}
	w->conn = c;
	w->len = n;
	memcpy(w->data, p, n);
	b = uv_buf_init(w->data, (unsigned)n);
	if ((r = uv_write(&w->req, (uv_stream_t *)c->tcp, &b, 1,
	    write_done)) < 0) {
		char	 why[160];

		clr_free(w);
		snprintf(why, sizeof(why), "write to %s failed: %s", c->label,
		    uv_strerror(r));
		finish(c, why);
		return;
	}
	c->writes_pending += n;
}

/* flush - the engine's output, through TLS when it is up, to the socket. */
static void
flush(struct smtp_conn *c)
{
	const void	*p;
	size_t		 n;
	struct clr_err	 err = { 0, "" };

	buf_reset(&c->out);
	while (c->engine != NULL && (n = smtp_client_output(c->engine,
	    &p)) > 0) {
		if (c->tls_up) {
			if (tls_conn_write(c->tls, p, n, &err) != 0) {
				smtp_client_consume(c->engine, n);
				finish(c, err.msg);
				return;
			}
		} else if (buf_append(&c->out, p, n) != 0) {
			finish(c, "out of memory");
			return;
		}
		smtp_client_consume(c->engine, n);
	}
	if (c->tls != NULL) {
		while ((n = tls_conn_pending(c->tls)) > 0) {
			if (buf_reserve(&c->out, n) != 0) {
				finish(c, "out of memory");
				return;
			}
			c->out.len += tls_conn_take(c->tls, c->out.data +
			    c->out.len, n);
		}
	}
	write_net(c, c->out.data, c->out.len);
}

/* kick - drain on the next turn of the loop (the timer, at 0 ms). */
static void
kick(struct smtp_conn *c)
{
	if (c->closed_said)
		return;
	c->kicked = 1;
	c->armed = 0;		/* the timer is not the phase's now */
	uv_timer_start(&c->timer, timer_fired, 0, 0);
}

static void
timer_fired(uv_timer_t *t)
{
	struct smtp_conn	*c = t->data;
	char			 why[200];

	if (c->kicked && c->state == CONN_SESSION && !c->closed_said) {
		drain(c);	/* re-arms the timer for the phase */
		return;
	}
	switch (c->state) {
	case CONN_RESOLVING:
		if (c->resolving) {
			snprintf(why, sizeof(why), "resolving %s timed out",
			    c->host);
			uv_cancel((uv_req_t *)&c->gai);
			finish(c, why);
		} else		/* uv_getaddrinfo refused to start */
			say_closed(c, 1);
		break;
	case CONN_CONNECTING:
		/* This address does not answer: the next one might. */
		close_tcp(c);
		snprintf(c->reason, sizeof(c->reason), "connecting to %s port "
		    "%u timed out", c->host, c->p.port);
		try_next_address(c);
		break;
	case CONN_HANDSHAKE:
		snprintf(why, sizeof(why), "TLS handshake with %s timed out",
		    c->host);
		finish(c, why);
		break;
	case CONN_SESSION:
		if (smtp_client_phase(c->engine) == SMTP_PHASE_IDLE)
			smtp_client_quit(c->engine);
		else
			smtp_client_timeout(c->engine);
		drain(c);
		break;
	case CONN_CLOSING:
		close_all(c);	/* the last writes never went */
		break;
	}
}

/* arm - the timer for what the session waits for now. */
static void
arm(struct smtp_conn *c)
{
	enum smtp_phase	 phase;
	uint64_t	 progress;
	int		 ms;

	if (c->closed_said)
		return;
	phase = smtp_client_phase(c->engine);
	progress = smtp_client_progress(c->engine);
	/* Bytes that made no whole reply do not buy the server more time. */
	if (c->armed && phase == c->armed_phase &&
	    progress == c->armed_progress &&
	    uv_is_active((uv_handle_t *)&c->timer))
		return;
	c->armed = 1;
	c->armed_phase = phase;
	c->armed_progress = progress;
	if (phase == SMTP_PHASE_IDLE)
		ms = (int)c->p.idle_timeout_ms;
	else
		ms = smtp_client_timeout_ms(c->engine);
	if (ms < 0)
		uv_timer_stop(&c->timer);
	else
		uv_timer_start(&c->timer, timer_fired, (uint64_t)ms, 0);
}

static void
start_tls(struct smtp_conn *c)
{
	struct clr_err	 err = { 0, "" };

	if ((c->tls = tls_conn_new(c->p.tls, c->server_name, &err)) == NULL) {
		smtp_client_abort(c->engine, err.msg);
		return;
	}
	if (tls_conn_handshake(c->tls, &err) < 0)	/* the ClientHello */
		smtp_client_abort(c->engine, err.msg);
}

/* drain - the engine's events, to the owner; then write and re-arm. */
static void
drain(struct smtp_conn *c)
{
	struct smtp_event	 ev;
	int			 closed = 0;

	if (c->draining || c->engine == NULL)
		return;
	c->draining = 1;
	c->kicked = 0;
	while (!closed && smtp_client_next(c->engine, &ev) > 0) {
		switch (ev.type) {
		case SMTP_EV_READY:
			c->cbs.ready(c, c->owner);
			break;
		case SMTP_EV_WANT_TLS:
			start_tls(c);
			break;
		case SMTP_EV_RCPT:
			break;
		case SMTP_EV_MAIL_DONE:
			c->in_flight--;
			c->cbs.done(c, c->owner, &ev);
			break;
		case SMTP_EV_FAILED:
			if (c->reason[0] == '\0')
				snprintf(c->reason, sizeof(c->reason), "%s",
				    ev.reply.text);
			c->fail_reply = ev.reply;
			snprintf(c->fail_text, sizeof(c->fail_text), "%s",
			    ev.reply.text);
			break;
		case SMTP_EV_CLOSED:
			closed = 1;
			break;
		}
	}
	c->draining = 0;
	if (closed && c->tls_up)
		tls_conn_close(c->tls);
	flush(c);
	if (closed)
		say_closed(c, c->reason[0] != '\0');
	else
		arm(c);
}

/*
 * from_network - bytes read from the socket: through TLS if it is up or
 * starting, then into the engine. The engine refuses more than a reply's
 * worth of unread input; a server that sends that much unasked is broken.
 */
static void
from_network(struct smtp_conn *c, const char *p, size_t n)
{
	struct clr_err	 err = { 0, "" };
	char		 plain[16384];
	ssize_t		 got;
	int		 r;

	if (c->tls == NULL) {
		if (smtp_client_feed(c->engine, p, n) != 0)
			smtp_client_abort(c->engine, "the server sent more "
			    "than a reply's worth unasked");
		drain(c);
		return;
	}
	if (tls_conn_feed(c->tls, p, n) != 0) {
		finish(c, "out of memory");
		return;
	}
	if (!c->tls_up) {
		if ((r = tls_conn_handshake(c->tls, &err)) < 0) {
			finish(c, err.msg);
			return;
		}
		if (r == 0) {
			flush(c);
			return;
		}
		c->tls_up = 1;
		log_debug("%s: TLS up: %s", c->label,
		    tls_conn_describe(c->tls));
		if (c->state == CONN_HANDSHAKE) {
			c->state = CONN_SESSION;
			arm(c);		/* now the greeting */
		} else
			smtp_client_tls_ready(c->engine);
	}
	while (!c->closed_said &&
	    (got = tls_conn_read(c->tls, plain, sizeof(plain), &err)) != 0) {
		if (got < 0) {
			/* The replies read before it first: a server's last
			 * reply and its close_notify often share a read. */
			drain(c);
			finish(c, err.msg);
			return;
		}
		if (smtp_client_feed(c->engine, plain, (size_t)got) != 0) {
			smtp_client_abort(c->engine, "the server sent more "
			    "than a reply's worth unasked");
			break;
		}
	}
	drain(c);
}

static void
alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
	struct smtp_conn	*c = h->data;

	(void)suggested;
	*b = uv_buf_init(c->rbuf, sizeof(c->rbuf));
}

static void
read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct smtp_conn	*c = s->data;
	char			 why[200];

	if (c->closed_said)
		return;
	if (n > 0) {
		from_network(c, b->base, (size_t)n);
		return;
	}
	if (n == 0)
		return;
	uv_read_stop(s);
	if (c->state == CONN_SESSION) {
		if (n == UV_EOF)
			smtp_client_eof(c->engine);
		else {
			snprintf(why, sizeof(why), "reading from %s: %s",
			    c->label, uv_strerror((int)n));
			smtp_client_abort(c->engine, why);
		}
		drain(c);
		return;
	}
	snprintf(why, sizeof(why), "%s closed the connection during the TLS "
	    "handshake", c->host);
	finish(c, n == UV_EOF ? why : uv_strerror((int)n));
}

static void
connected(uv_connect_t *req, int status)
{
	struct smtp_conn	*c = req->data;
	struct clr_err		 err = { 0, "" };
	int			 r;

	/* An attempt given up on (timer, abort) reports as cancelled. */
	if (c->closed_said || req->handle != (uv_stream_t *)c->tcp)
		return;
	if (status < 0) {
		snprintf(c->reason, sizeof(c->reason), "cannot connect to %s "
		    "port %u: %s", c->host, c->p.port, uv_strerror(status));
		close_tcp(c);
		try_next_address(c);
		return;
	}
	uv_timer_stop(&c->timer);
	c->reason[0] = '\0';
	if ((r = uv_read_start((uv_stream_t *)c->tcp, alloc_cb,
	    read_cb)) < 0) {
		finish(c, uv_strerror(r));
		return;
	}
	uv_tcp_nodelay(c->tcp, 1);
	c->state = CONN_SESSION;
	if (c->tls_implicit) {
		c->state = CONN_HANDSHAKE;
		if ((c->tls = tls_conn_new(c->p.tls, c->server_name,
		    &err)) == NULL || tls_conn_handshake(c->tls, &err) < 0) {
			finish(c, err.msg);
			return;
		}
		flush(c);
		uv_timer_start(&c->timer, timer_fired,
		    c->p.smtp.timeout_ms[SMTP_PHASE_TLS] != 0 ?
		    c->p.smtp.timeout_ms[SMTP_PHASE_TLS] : 120000, 0);
		return;
	}
	arm(c);		/* the greeting */
}

static void
try_next_address(struct smtp_conn *c)
{
	struct addrinfo	*a;
	struct attempt	*at;
	int		 r;

	while ((a = c->next_addr) != NULL) {
		c->next_addr = a->ai_next;
		if ((at = clr_calloc(1, sizeof(*at))) == NULL) {
			finish(c, "out of memory");
			return;
		}
		uv_tcp_init(c->loop, &at->tcp);
		at->tcp.data = c;
		at->req.data = c;
		c->tcp = &at->tcp;
		c->refs++;
		r = uv_tcp_connect(&at->req, c->tcp, a->ai_addr, connected);
		if (r == 0) {
			c->state = CONN_CONNECTING;
			uv_timer_start(&c->timer, timer_fired,
			    c->p.connect_timeout_ms, 0);
			return;
		}
		snprintf(c->reason, sizeof(c->reason), "cannot connect to %s "
		    "port %u: %s", c->host, c->p.port, uv_strerror(r));
		close_tcp(c);
	}
	if (c->reason[0] == '\0')
		snprintf(c->reason, sizeof(c->reason), "%s has no address",
		    c->host);
	say_closed(c, 1);
}

static void
resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
	struct smtp_conn	*c = req->data;

	c->resolving = 0;
	if (c->closed_said) {
		if (res != NULL)
			uv_freeaddrinfo(res);
		release(c);
		return;
	}
	uv_timer_stop(&c->timer);
	if (status < 0) {
		snprintf(c->reason, sizeof(c->reason), "cannot resolve %s: %s",
		    c->host, uv_strerror(status));
		say_closed(c, 1);
		release(c);
		return;
	}
	c->addrs = res;
	c->next_addr = res;
	try_next_address(c);
	release(c);
}

/* tap - at debug level, the conversation as it goes: commands and
 * replies, the body as its size, AUTH secrets masked (lib/smtp). */
static void
tap(void *arg, const char *line)
{
	struct smtp_conn	*c = arg;

	log_debug("%s: %s", c->label, line);
}

struct smtp_conn *
smtp_conn_open(uv_loop_t *loop, const struct smtp_conn_params *p,
    const struct smtp_conn_cbs *cbs, void *owner, struct clr_err *err)
{
	struct smtp_conn	*c;
	struct addrinfo		 hints;
	char			 port[8];
	int			 r;

	if ((c = clr_calloc(1, sizeof(*c))) == NULL)
		goto nomem;
	c->loop = loop;
	c->p = *p;
	c->cbs = *cbs;
	c->owner = owner;
	buf_init(&c->out, BUF_MAX_LIMIT);
	if ((c->host = clr_strdup(p->host)) == NULL ||
	    (c->server_name = clr_strdup(p->server_name != NULL ?
	    p->server_name : p->host)) == NULL ||
	    (c->label = clr_strdup(p->label != NULL ? p->label :
	    p->host)) == NULL)
		goto nomem_free;
	c->p.host = c->host;
	c->p.server_name = c->server_name;
	c->p.label = c->label;
	c->tls_implicit = p->smtp.tls == SMTP_TLS_IMPLICIT;
	if ((c->engine = smtp_client_new(&p->smtp, err)) != NULL &&
	    log_enabled(LOG_LEVEL_DEBUG))
		smtp_client_set_tap(c->engine, tap, c);
	if (c->engine == NULL)
		goto fail_free;
	uv_timer_init(loop, &c->timer);
	c->timer.data = c;
	c->refs = 1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_ADDRCONFIG;
	snprintf(port, sizeof(port), "%u", p->port);
	c->gai.data = c;
	c->state = CONN_RESOLVING;
	if ((r = uv_getaddrinfo(loop, &c->gai, resolved, c->host, port,
	    &hints)) < 0) {
		snprintf(c->reason, sizeof(c->reason), "cannot resolve %s: %s",
		    c->host, uv_strerror(r));
		/* Report from the loop, never from inside the caller. */
		uv_timer_start(&c->timer, timer_fired, 0, 0);
		return c;
	}
	/* The pending request keeps the struct alive, like a handle. */
	c->resolving = 1;
	c->refs++;
	uv_timer_start(&c->timer, timer_fired, p->connect_timeout_ms, 0);
	return c;
nomem_free:
	clr_err_set(err, CLR_ENOMEM, "out of memory");
fail_free:
	smtp_client_free(c->engine);
	buf_free(&c->out);
	clr_free(c->host);
	clr_free(c->server_name);
	clr_free(c->label);
	clr_free(c);
	return NULL;
nomem:
	clr_err_set(err, CLR_ENOMEM, "out of memory");
	return NULL;
}

int
smtp_conn_mail(struct smtp_conn *c, const struct smtp_mail *m,
    struct clr_err *err)
{
	int	 r;

	if (c->state != CONN_SESSION || c->closed_said)
		return clr_err_set(err, CLR_EBUSY, "the connection cannot "
		    "take a message now");
	if ((r = smtp_client_mail(c->engine, m, err)) != 0)
		return r;
	c->messages++;
	c->in_flight++;
	if (!c->draining) {
		/* Write now, but tell the owner nothing from inside its own
		 * call: a failed write, or an event the engine queued (a
		 * local refusal), is drained on the next turn of the loop. */
		c->draining = 1;
		flush(c);
		c->draining = 0;
		kick(c);
	}
	return 0;
}

int
smtp_conn_can_mail(const struct smtp_conn *c)
{
	return c->state == CONN_SESSION && !c->closed_said &&
	    smtp_client_can_mail(c->engine);
}

unsigned
smtp_conn_in_flight(const struct smtp_conn *c)
{
	return c->in_flight;
}

void
smtp_conn_quit(struct smtp_conn *c)
{
	if (c->closed_said)
		return;
	if (c->state != CONN_SESSION) {
		/* Not a failure of the relay: we changed our mind. */
		if (c->state == CONN_RESOLVING && c->resolving)
			uv_cancel((uv_req_t *)&c->gai);
		snprintf(c->reason, sizeof(c->reason), "closed before the "
		    "session began");
		say_closed(c, 0);
		return;
	}
	smtp_client_quit(c->engine);
	if (!c->draining)
		kick(c);	/* QUIT goes out, closed() follows */
}

void
smtp_conn_abort(struct smtp_conn *c, const char *reason)
{
	if (c->closed_said)
		return;
	if (c->state == CONN_RESOLVING && c->resolving)
		uv_cancel((uv_req_t *)&c->gai);
	finish(c, reason);
}

const char *
smtp_conn_tls(const struct smtp_conn *c)
{
	return c->tls_up ? tls_conn_describe(c->tls) : "";
}
