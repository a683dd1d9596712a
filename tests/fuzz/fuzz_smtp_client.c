/* SPDX-License-Identifier: ISC */
/*
 * tests/fuzz/fuzz_smtp_client.c - libFuzzer target for the SMTP client
 * engine (smtp_client_*), a whole session at a time
 *
 * Input: five octets of header, then the server's bytes.
 *
 *	0: bits 0-1 the TLS mode (enum smtp_tls), bit 2 no_pipelining,
 *	   bit 3 AUTH configured, bit 4 auth_plaintext, bits 5-6
 *	   auth_mechs, bit 7 a slow writer (output taken 7 octets a turn);
 *	1: bits 0-2 the messages to queue (0 to 4), bits 3-5 a call to
 *	   make once (1 timeout, 2 eof, 3 quit, 4 abort, 5 quit then
 *	   timeout, else none), bit 6 the TLS handshake ends a chunk after
 *	   WANT_TLS, not at once, bit 7 no QUIT once the messages are done;
 *	2: the chunk after which that call is made;
 *	3: the largest chunk (sizes drawn from it), or 0: a line a chunk;
 *	4: bits 0-5 the recipients of the messages, less one, two bits
 *	   each (the fourth as the third); bit 6 the first message is
 *	   8-bit, bit 7 the last needs SMTPUTF8.
 *
 * The bodies hold lines starting with '.', a lone ".", bare CR and bare
 * LF, a last line left open or ended by a CR, and a line of dots that is
 * 998 octets once its first dot is doubled.
 *
 * The seeds are the server's lines of sessions in tests/proto, with a
 * header to match. After every call into the engine, every event is
 * pulled (messages are queued when they can be, WANT_TLS is answered,
 * QUIT said once they are done and READY was seen) and the output is
 * taken. When the input is spent the client is told the server closed
 * the link. Aborts unless:
 *
 *	- the output has CRLF line ends only (no bare CR, no bare LF), no
 *	  line over 1000 octets with its CRLF, and ends at a line end;
 *	- AUTH goes out in plain text only when auth_plaintext allows it;
 *	- a message is SENT only with a 2xx, and no more messages are SENT
 *	  than ends of data had been written before the server's last bytes
 *	  came (a reply to an end of data cannot come before it); none is
 *	  AMBIGUOUS unless its end of data was written either;
 *	- every message taken gets exactly one MAIL_DONE, after its RCPT
 *	  events; RCPT and MAIL_DONE name a message taken and a recipient
 *	  of it; REFUSED comes with a 4xx or 5xx, LOCAL with no code,
 *	  NOT_SENT and AMBIGUOUS at the SESSION stage;
 *	- WANT_TLS comes only in the STARTTLS modes; READY only when a
 *	  message can be queued; after FAILED only CLOSED; CLOSED once, and
 *	  after it no event, whatever is fed or called;
 *	- smtp_client_mail says CLR_EBUSY when smtp_client_can_mail says no;
 *	- smtp_client_timeout_ms is -1 exactly when nothing is awaited.
 *
 * Leaks are LeakSanitizer's.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/smtp.h"
#include "util/err.h"

#define HDR		5
#define NMSGS_MAX	4
#define WIRE_LINE_MAX	1000	/* RFC 5321 4.5.3.1.6, CRLF included */
#define SLOW_TAKE	7

/* byte 0 */
#define P_TLS		0x03
#define P_NO_PIPE	0x04
#define P_AUTH		0x08
#define P_PLAINTEXT	0x10
#define P_MECHS_SHIFT	5
#define P_SLOW		0x80
/* byte 1 */
#define D_NMSGS		0x07
#define D_CALL_SHIFT	3
#define D_CALL		0x07
#define D_TLS_LATE	0x40
#define D_NO_QUIT	0x80
/* byte 4 */
#define M_RCPTS		0x03
#define M_8BIT		0x40
#define M_UTF8		0x80

enum call {
	CALL_NONE,
	CALL_TIMEOUT,
	CALL_EOF,
	CALL_QUIT,
	CALL_ABORT,
	CALL_QUIT_TIMEOUT,
};

/* What the client wrote, checked as it is taken. */
struct wire {
	int		 cr;		/* the last octet was a CR */
	size_t		 len;		/* octets of the line so far */
	char		 head[8];	/* its first octets */
	int		 after_data;	/* the last line was DATA */
	size_t		 dots;		/* ends of data written */
};

struct session {
	struct smtp_client	*c;
	struct smtp_params	 p;
	struct smtp_mail	 mails[NMSGS_MAX];
	size_t			 nmsgs;
	size_t			 queued;
	int			 done[NMSGS_MAX];
	int			 slow;
	int			 tls_late;
	int			 no_quit;
	int			 ready;		/* READY seen */
	int			 tls_wanted;	/* WANT_TLS unanswered */
	int			 told;		/* timeout, eof, abort, quit */
	int			 quit;		/* smtp_client_quit called */
	int			 failed;
	int			 closed;
	size_t			 sent;		/* SENT outcomes */
	size_t			 ambiguous;	/* AMBIGUOUS outcomes */
	size_t			 dots_fed;	/* wire.dots at the last feed */
	struct wire		 w;
};

int		 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void	 take(struct session *);
static void	 wire_put(struct session *, const char *, size_t);
static void	 on_event(struct session *, const struct smtp_event *);
static void	 drain(struct session *);
static void	 feed(struct session *, const uint8_t *, size_t);
static void	 call(struct session *, enum call);
static size_t	 msg_index(const struct session *, void *);

static const char *const rcpts[] = {
	"b@y.example", "c@y.example", "d@z.example", "e@z.example"
};
static const char *const rcpts_utf8[] = { "j\xc3\xb6rg@y.example" };

/* Lines starting with '.', a lone ".", bare CR, bare LF, no last EOL. */
static const char body0[] =
    "Subject: dots\r\n\r\n.hidden\r\n..two\r\n.\r\nbare\rCR and bare\n"
    "LF\n.\n\r.\r\r\n\rend";
/* CRLF.CRLF inside, a body ending on a CR. */
static const char body1[] = ".\r\n\r\n.\r\nQUIT\r\n.\r";
static char body2[1200];	/* a '.' line at the limit, once doubled */
static size_t body2_len;

static void
wire_put(struct session *s, const char *p, size_t n)
{
	struct wire	*w = &s->w;
	size_t		 i;
	char		 ch;

	for (i = 0; i < n; i++) {
		ch = p[i];
		if (w->cr && ch != '\n')
			abort();	/* a bare CR */
		if (++w->len > WIRE_LINE_MAX)
			abort();
		if (ch != '\n') {
			if (w->len <= sizeof(w->head))
				w->head[w->len - 1] = ch;
			w->cr = ch == '\r';
			continue;
		}
		if (!w->cr)
			abort();	/* a bare LF */
		/* "." right after DATA is the empty dot, not a body's. */
		if (w->len == 3 && w->head[0] == '.' && !w->after_data)
			w->dots++;
		w->after_data = w->len == 6 && memcmp(w->head, "DATA", 4) == 0;
		if (w->len >= 7 && memcmp(w->head, "AUTH ", 5) == 0 &&
		    !s->p.auth_plaintext && !smtp_client_tls_active(s->c))
			abort();
		w->len = 0;
		w->cr = 0;
	}
}

/* take - the output, all of it or a few octets (the slow writer). */
static void
take(struct session *s)
{
	const void	*p;
	size_t		 n;

	while ((n = smtp_client_output(s->c, &p)) > 0) {
		if (s->slow && n > SLOW_TAKE)
			n = SLOW_TAKE;
		wire_put(s, p, n);
		smtp_client_consume(s->c, n);
		if (s->slow)
			break;
	}
}

static size_t
msg_index(const struct session *s, void *udata)
{
	size_t	 i = (size_t)(uintptr_t)udata;

	if (i == 0 || i > s->queued)
		abort();
	return i - 1;
}

static void
on_event(struct session *s, const struct smtp_event *ev)
{
	size_t	 i;

	if (s->closed || (s->failed && ev->type != SMTP_EV_CLOSED))
		abort();
	if (ev->reply.text == NULL)
		abort();
	switch (ev->type) {
	case SMTP_EV_READY:
		if (!s->told && !smtp_client_can_mail(s->c))
			abort();
		s->ready = 1;
		break;
	case SMTP_EV_WANT_TLS:
		if ((s->p.tls != SMTP_TLS_OPPORTUNISTIC &&
		    s->p.tls != SMTP_TLS_REQUIRED) || s->tls_wanted)
			abort();
		if (s->tls_late)
			s->tls_wanted = 1;
		else
			smtp_client_tls_ready(s->c);
		break;
	case SMTP_EV_RCPT:
		i = msg_index(s, ev->udata);
		if (s->done[i] || ev->rcpt >= s->mails[i].nrcpts ||
		    ev->accepted != (ev->reply.code / 100 == 2) ||
		    ev->reply.code < 200)
			abort();
		break;
	case SMTP_EV_MAIL_DONE:
		i = msg_index(s, ev->udata);
		if (s->done[i]++ || ev->rcpts_accepted > s->mails[i].nrcpts)
			abort();
		switch (ev->outcome) {
		case SMTP_OUT_SENT:
			if (ev->reply.code / 100 != 2 || ++s->sent >
			    s->dots_fed || s->sent + s->ambiguous > s->w.dots)
				abort();
			break;
		case SMTP_OUT_REFUSED:
			if (ev->stage == SMTP_STAGE_SESSION ||
			    ev->reply.code < 400)
				abort();
			break;
		case SMTP_OUT_LOCAL:
			if (ev->reply.code != 0)
				abort();
			break;
		case SMTP_OUT_AMBIGUOUS:
			if (++s->ambiguous + s->sent > s->w.dots)
				abort();
			/* FALLTHROUGH */
		case SMTP_OUT_NOT_SENT:
			if (ev->stage != SMTP_STAGE_SESSION)
				abort();
			break;
		default:
			abort();
		}
		break;
	case SMTP_EV_FAILED:
		s->failed = 1;
		break;
	case SMTP_EV_CLOSED:
		s->closed = 1;
		break;
	default:
		abort();
	}
}

/*
 * drain - every event, queueing messages when they can be and saying QUIT
 * once all are done; then the output.
 */
static void
drain(struct session *s)
{
	struct smtp_event	 ev;
	struct clr_err		 err;
	size_t			 i;
	int			 phase, ms, can;

	for (;;) {
		while (smtp_client_next(s->c, &ev) == 1)
			on_event(s, &ev);
		if (s->queued == s->nmsgs) {
			for (i = 0; i < s->nmsgs && s->done[i]; i++)
				;
			if (i < s->nmsgs || s->quit || s->no_quit || !s->ready)
				break;
			s->quit = 1;
			smtp_client_quit(s->c);
			continue;
		}
		can = smtp_client_can_mail(s->c);
		if (smtp_client_mail(s->c, &s->mails[s->queued], &err) !=
		    (can ? 0 : CLR_EBUSY))
			abort();
		if (!can)
			break;
		s->queued++;
	}
	if (s->closed && smtp_client_can_mail(s->c))
		abort();
	phase = (int)smtp_client_phase(s->c);
	ms = smtp_client_timeout_ms(s->c);
	if (phase < 0 || phase >= SMTP_PHASE_LAST ||
	    (phase == SMTP_PHASE_IDLE) != (ms == -1) || ms == 0 || ms < -1)
		abort();
	take(s);
}

/* feed - server bytes; a late handshake ends after them (dropped). */
static void
feed(struct session *s, const uint8_t *p, size_t n)
{
	int	 late = s->tls_wanted;

	s->dots_fed = s->w.dots;
	if (smtp_client_feed(s->c, p, n) != 0) {
		drain(s);
		if (smtp_client_feed(s->c, p, n) != 0)
			abort();
	}
	drain(s);
	if (late) {
		s->tls_wanted = 0;
		smtp_client_tls_ready(s->c);
		drain(s);
	}
}

static void
call(struct session *s, enum call what)
{
	switch (what) {
	case CALL_TIMEOUT:
		smtp_client_timeout(s->c);
		break;
	case CALL_EOF:
		smtp_client_eof(s->c);
		break;
	case CALL_QUIT:
		s->quit = 1;
		smtp_client_quit(s->c);
		break;
	case CALL_ABORT:
		smtp_client_abort(s->c, "write failed");
		break;
	case CALL_QUIT_TIMEOUT:
		s->quit = 1;
		smtp_client_quit(s->c);
		drain(s);
		smtp_client_timeout(s->c);
		break;
	default:
		return;
	}
	s->told = 1;
	drain(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct session	 s;
	struct clr_err	 err;
	const uint8_t	*in, *lf;
	size_t		 n, off, step, chunk, i;
	uint32_t	 rnd;
	enum call	 what;

	if (size < HDR)
		return 0;
	if (body2_len == 0) {
		memcpy(body2, "Subject: long\r\n\r\n", 17);
		body2_len = 17;
		memset(body2 + body2_len, '.', 997);
		body2_len += 997;
		memcpy(body2 + body2_len, "\nx", 2);
		body2_len += 2;
	}
	memset(&s, 0, sizeof(s));
	s.p.helo = "client.example";
	s.p.tls = (enum smtp_tls)(data[0] & P_TLS);
	s.p.no_pipelining = (data[0] & P_NO_PIPE) != 0;
	if (data[0] & P_AUTH) {
		s.p.auth_user = "user";
		s.p.auth_password = "secret";
	}
	s.p.auth_plaintext = (data[0] & P_PLAINTEXT) != 0;
	s.p.auth_mechs = (data[0] >> P_MECHS_SHIFT) & 3;
	s.slow = (data[0] & P_SLOW) != 0;
	s.nmsgs = data[1] & D_NMSGS;
	if (s.nmsgs > NMSGS_MAX)
		s.nmsgs = NMSGS_MAX;
	s.tls_late = (data[1] & D_TLS_LATE) != 0;
	s.no_quit = (data[1] & D_NO_QUIT) != 0;
	what = (enum call)((data[1] >> D_CALL_SHIFT) & D_CALL);

	for (i = 0; i < s.nmsgs; i++) {
		struct smtp_mail	*m = &s.mails[i];

		m->from = i == 0 ? "" : "a@x.example";
		m->rcpts = rcpts;
		m->nrcpts = ((data[4] >> 2 * (i < 3 ? i : 2)) & M_RCPTS) + 1;
		m->body = i % 3 == 0 ? body0 : i % 3 == 1 ? body1 : body2;
		m->body_len = i % 3 == 0 ? sizeof(body0) - 1 : i % 3 == 1 ?
		    sizeof(body1) - 1 : body2_len;
		m->udata = (void *)(uintptr_t)(i + 1);
	}
	s.mails[0].eightbit = (data[4] & M_8BIT) != 0;
	if (s.nmsgs > 0 && (data[4] & M_UTF8)) {
		s.mails[s.nmsgs - 1].rcpts = rcpts_utf8;
		s.mails[s.nmsgs - 1].nrcpts = 1;
		s.mails[s.nmsgs - 1].smtputf8 = 1;
	}

	if ((s.c = smtp_client_new(&s.p, &err)) == NULL)
		abort();
	drain(&s);
	in = data + HDR;
	n = size - HDR;
	rnd = 0x9e3779b9u ^ data[3];
	for (off = 0, chunk = 0; off < n; off += step, chunk++) {
		if (data[3] == 0) {
			lf = memchr(in + off, '\n', n - off);
			step = lf != NULL ? (size_t)(lf - (in + off)) + 1 :
			    n - off;
		} else {
			rnd ^= rnd << 13;
			rnd ^= rnd >> 17;
			rnd ^= rnd << 5;
			step = 1 + rnd % data[3];
			if (step > n - off)
				step = n - off;
		}
		feed(&s, in + off, step);
		if (chunk == data[2])
			call(&s, what);
	}
	if (chunk <= data[2])
		call(&s, what);

	/* The server is gone: everything must be settled now. */
	smtp_client_eof(s.c);
	drain(&s);
	s.slow = 0;
	take(&s);
	if (!s.closed || s.w.len != 0)
		abort();
	for (i = 0; i < s.queued; i++)
		if (s.done[i] != 1)
			abort();
	/* A closed session stays closed. */
	feed(&s, (const uint8_t *)"220 again\r\n", 11);
	smtp_client_timeout(s.c);
	smtp_client_eof(s.c);
	smtp_client_quit(s.c);
	smtp_client_tls_ready(s.c);
	drain(&s);
	smtp_client_free(s.c);
	return 0;
}
