/* SPDX-License-Identifier: ISC */
/*
 * smtp/client.c - the ESMTP client session engine
 *
 * One struct smtp_client is one SMTP session, from the greeting to QUIT,
 * as a state machine that takes the server's bytes and the caller's
 * calls, and gives back events and the bytes to send. It implements
 * RFC 5321 (the session, transactions, timeouts of 4.5.3.2), RFC 1869 and
 * 1870 (EHLO, SIZE), RFC 6152 (8BITMIME), RFC 6531 (SMTPUTF8), RFC 2920
 * (PIPELINING), RFC 3207 (STARTTLS), RFC 4954 (AUTH PLAIN and LOGIN) and
 * RFC 2034/3463 (enhanced status codes, via reply.c). It does no I/O, has
 * no clock and no TLS: see smtp.h for the caller's side.
 *
 * Trust boundary: the server is not trusted. Its replies go through the
 * strict parser (reply.c), a reply that the state cannot take ends the
 * session, and what it sends after the 220 to STARTTLS is thrown away.
 * The caller is trusted for its params, but every message is checked
 * before anything of it is sent (smtp_client_mail).
 *
 * Structure:
 *
 * - The session state (enum state) changes only in set_state(), which
 *   writes the transition into the transcript ("-- EHLO -> STARTTLS").
 *   enter() enters a state: it sends the state's command. The *_reply()
 *   functions handle a reply to one command and decide what is next.
 *
 * - Every command sent is remembered in a FIFO of awaited replies (aw[]),
 *   with the message and the recipient it belongs to. The output is the
 *   send cursor, the FIFO's head the receive cursor: with PIPELINING the
 *   sender runs ahead by a whole MAIL, RCPT..., DATA group, plus the end
 *   of the previous message's data (Postfix's smtp_loop, SENDER_IS_AHEAD).
 *   Without it, a command goes out only when the FIFO is empty.
 *
 * - Messages (struct msg) live in two slots: one whose end of data awaits
 *   its reply, and one whose MAIL, RCPT and DATA await theirs. That is
 *   all one round trip per message needs, so smtp_client_can_mail() says
 *   no past it. A message's outcome is decided by the reply that settles
 *   it and announced (SMTP_EV_MAIL_DONE) once the last reply to its
 *   commands is in, so that the caller's borrowed pointers stay valid as
 *   long as the engine may look at them.
 *
 * - Events queue up (evq[]) and are pulled by smtp_client_next(), which
 *   parses and handles replies only while none is queued. Nothing calls
 *   back into the caller, so nothing re-enters the engine.
 *
 * Decisions, where the RFCs leave room:
 *
 * - DATA answered 354 although MAIL or every RCPT was refused (a server
 *   breaking RFC 5321 3.3): the data is ended at once with a lone ".",
 *   as RFC 2920 3.1 says ("if the DATA command was accepted the client
 *   SMTP should send a single dot"). The message, which can reach no one,
 *   is reported refused (at MAIL, or at RCPT with the last refusal); the
 *   reply to that dot is read and ignored.
 *
 * - A 421 (RFC 5321 3.8) ends the session wherever it comes: it answers
 *   the oldest command awaiting a reply. If that is an end of data, the
 *   421 is that message's reply: REFUSED at DOT, a definite no, since the
 *   server must answer the end of data and this was its answer. Every
 *   other message in flight is NOT_SENT with the 421. No QUIT follows:
 *   the server is closing the channel.
 *
 * - After a refusal that leaves the server in step (a greeting other than
 *   220, EHLO and HELO refused, STARTTLS required and missing or refused,
 *   AUTH impossible or refused) QUIT is sent, politely (RFC 5321 3.1 asks
 *   it after a 554 greeting), and CLOSED follows its reply. After a
 *   protocol error, a 421, an RSET refused (the pipelined commands after
 *   it are already out), eof, a timeout or an abort, nothing more is
 *   sent: the server cannot be trusted to read a QUIT in step, and CLOSED
 *   follows at once. Output produced before the failure stays in the
 *   output; the caller may write it or drop it with the connection.
 *
 * - RSET follows a transaction that failed before its data went out
 *   (MAIL, every RCPT, or DATA refused); it is sent together with the next
 *   MAIL, so it costs no round trip with PIPELINING. QUIT needs none.
 *
 * - A message is AMBIGUOUS only if its end of data was handed to the
 *   caller (smtp_client_consume) and no reply came; an end of data still
 *   in the output when the session ends was never sent: NOT_SENT.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "smtp.h"
#include "smtp_impl.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/str.h"

#define AWAIT_MAX	128	/* replies awaited: RSET or a dot, MAIL, 100
				 * RCPT, DATA fit; a power of 2 */
#define MSGS_MAX	2	/* messages in flight */
#define EVQ_MAX		16	/* events queued; see ev_push */
#define TR_LINES	32	/* lines the transcript keeps */
#define TR_WIDTH	200	/* octets of a transcript line kept */
#define OUT_MAX		((size_t)1 << 30)	/* output not yet consumed */
#define HELO_MAX	255
#define SECRET_MAX	512	/* octets of the AUTH user, of the password */
#define B64_MAX		(4 * ((2 * SECRET_MAX + 2 + 2) / 3) + 1)
#define CMD_MAX		(B64_MAX + 64)	/* a command line, CRLF excluded */
#define REASON_MAX	600

/* Session states; the name table below is indexed by them. */
enum state {
	ST_GREETING,
	ST_EHLO,
	ST_HELO,
	ST_STARTTLS,
	ST_TLS,			/* the caller's TLS handshake */
	ST_AUTH,		/* AUTH PLAIN <response>, or AUTH LOGIN */
	ST_AUTH_USER,		/* AUTH LOGIN: the user name sent */
	ST_AUTH_PASS,		/* AUTH LOGIN: the password sent */
	ST_READY,		/* transactions */
	ST_QUIT,
	ST_CLOSED,
	ST_LAST
};

static const char *const state_names[ST_LAST] = {
	"GREETING", "EHLO", "HELO", "STARTTLS", "TLS", "AUTH", "AUTH_USER",
	"AUTH_PASS", "READY", "QUIT", "CLOSED"
};

/* What a reply awaited answers; the table below is indexed by it. */
enum cmd {
	CMD_GREETING,
	CMD_EHLO,
	CMD_HELO,
	CMD_STARTTLS,
	CMD_AUTH,
	CMD_AUTH_USER,
	CMD_AUTH_PASS,
	CMD_RSET,
	CMD_MAIL,
	CMD_RCPT,
	CMD_DATA,
	CMD_DOT,
	CMD_EMPTY_DOT,		/* the lone "." after a 354 nobody can use */
	CMD_QUIT,
	CMD_LAST
};

static const struct {
	const char		*name;
	enum smtp_phase		 phase;
} cmd_info[CMD_LAST] = {
	{ "greeting",	SMTP_PHASE_GREETING },
	{ "EHLO",	SMTP_PHASE_EHLO },
	{ "HELO",	SMTP_PHASE_EHLO },
	{ "STARTTLS",	SMTP_PHASE_EHLO },
	{ "AUTH",	SMTP_PHASE_EHLO },
	{ "AUTH",	SMTP_PHASE_EHLO },
	{ "AUTH",	SMTP_PHASE_EHLO },
	{ "RSET",	SMTP_PHASE_EHLO },
	{ "MAIL",	SMTP_PHASE_MAIL },
	{ "RCPT",	SMTP_PHASE_RCPT },
	{ "DATA",	SMTP_PHASE_DATA },
	{ "end of data", SMTP_PHASE_DOT },
	{ "end of data", SMTP_PHASE_DOT },
	{ "QUIT",	SMTP_PHASE_QUIT },
};

static const char *const phase_names[SMTP_PHASE_LAST] = {
	"greeting", "EHLO", "TLS", "MAIL", "RCPT", "DATA", "body",
	"end of data", "QUIT", "idle"
};

/* RFC 5321 4.5.3.2, in ms; TLS and EHLO as the greeting's peers. */
static const unsigned phase_timeouts[SMTP_PHASE_LAST] = {
	300000, 300000, 120000, 300000, 300000, 120000, 180000, 600000,
	300000, 0
};

static const char *const outcome_names[] = {
	"SENT", "REFUSED", "LOCAL", "NOT_SENT", "AMBIGUOUS"
};

static const char *const stage_names[] = {
	"MAIL", "RCPT", "DATA", "DOT", "SESSION"
};

/* A reply kept past the parser's next call. */
struct saved_reply {
	int		 code;
	char		 status[16];
	struct buf	 text;
};

enum mslot {
	M_FREE,
	M_CMDS,			/* MAIL, RCPT, DATA: to send or awaited */
	M_DOT,			/* its data went out: the reply awaited */
};

enum mnext {
	N_MAIL,
	N_RCPT,
	N_DATA,
	N_NONE,			/* every command sent, or no more to send */
};

struct msg {
	enum mslot		 slot;
	uint64_t		 seq;		/* order of arrival */
	struct smtp_mail	 mail;		/* borrowed until MAIL_DONE */
	uint64_t		 wire;		/* SIZE= */
	int			 verbatim;	/* body goes out as it is */
	enum mnext		 next;		/* the next command to send */
	size_t			 next_rcpt;
	size_t			 nawait;	/* its replies awaited */
	size_t			 rcpts_replied;
	size_t			 rcpts_accepted;
	int			 mail_refused;
	uint64_t		 dot_end;	/* output offset past its dot */
	int			 decided;	/* outcome, stage and why set */
	enum smtp_outcome	 outcome;
	enum smtp_stage		 stage;
	struct saved_reply	 why;		/* the reply behind the outcome,
						 * or the last RCPT refusal */
};

struct await {
	enum cmd	 cmd;
	struct msg	*m;		/* MAIL, RCPT, DATA, DOT */
	size_t		 rcpt;		/* RCPT */
	uint64_t	 out_end;	/* output position past the command */
};

struct ev_slot {
	struct smtp_event	 ev;
	struct buf		 text;
};

/* A ring of lines; joined on demand, hence its own allocation. */
struct transcript {
	char		 lines[TR_LINES][TR_WIDTH + 4];
	size_t		 head;
	size_t		 len;
	struct buf	 joined;
};

struct smtp_client {
	struct smtp_params	 p;
	char			*helo;
	char			*user;
	char			*password;
	enum state		 state;
	struct smtp_reply_parser *rp;

	unsigned		 ext;		/* what EHLO offered */
	unsigned		 auth_offered;
	uint64_t		 size_limit;
	unsigned		 mech;		/* the one AUTH uses */
	int			 tls_active;
	int			 starttls_done;	/* tried, or not to try again */
	int			 auth_done;
	int			 pipelining;	/* decided on entering READY */

	int			 quitting;	/* smtp_client_quit called */
	int			 failed;	/* FAILED was queued */
	int			 ready_sent;	/* READY queued since can_mail
						 * last turned true */
	int			 need_rset;
	size_t			 local_pending;	/* LOCAL MAIL_DONE queued */

	struct await		 aw[AWAIT_MAX];
	size_t			 aw_head;
	size_t			 aw_len;
	struct msg		 msgs[MSGS_MAX];
	uint64_t		 seq;

	struct ev_slot		 evq[EVQ_MAX];
	size_t			 ev_head;
	size_t			 ev_len;
	struct buf		 ev_text;	/* the last event's text */

	struct buf		 out;		/* sent up to out_off */
	size_t			 out_off;
	uint64_t		 out_sent;	/* octets ever consumed */
	uint64_t		 replies;	/* whole replies taken */

	struct transcript	*tr;
	smtp_tap_fn		*tap;
	void			*tap_arg;
};

static void	 set_state(struct smtp_client *, enum state);
static void	 enter(struct smtp_client *, enum state);
static void	 setup_next(struct smtp_client *);
static void	 update(struct smtp_client *);
static void	 pump(struct smtp_client *);
static int	 send_cmd(struct smtp_client *, enum cmd, struct msg *,
		    size_t, const char *, const char *, ...)
		    __attribute__((format(printf, 6, 7)));
static void	 on_reply(struct smtp_client *, const struct smtp_reply *);
static void	 greeting_reply(struct smtp_client *,
		    const struct smtp_reply *);
static void	 ehlo_reply(struct smtp_client *, const struct smtp_reply *);
static void	 helo_reply(struct smtp_client *, const struct smtp_reply *);
static void	 starttls_reply(struct smtp_client *,
		    const struct smtp_reply *);
static void	 auth_reply(struct smtp_client *, enum cmd,
		    const struct smtp_reply *);
static void	 rset_reply(struct smtp_client *, const struct smtp_reply *);
static void	 mail_reply(struct smtp_client *, struct msg *,
		    const struct smtp_reply *);
static void	 rcpt_reply(struct smtp_client *, struct msg *, size_t,
		    const struct smtp_reply *);
static void	 data_reply(struct smtp_client *, struct msg *,
		    const struct smtp_reply *);
static void	 dot_reply(struct smtp_client *, struct msg *,
		    const struct smtp_reply *);
static void	 fail(struct smtp_client *, const struct smtp_reply *, int,
		    const char *, ...) __attribute__((format(printf, 4, 5)));
static void	 protocol_error(struct smtp_client *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static void	 decide(struct msg *, enum smtp_outcome, enum smtp_stage,
		    const struct smtp_reply *);
static void	 msg_done(struct smtp_client *, struct msg *);
static struct ev_slot *ev_new(struct smtp_client *, enum smtp_event_type);
static struct smtp_event *ev_push(struct smtp_client *, enum smtp_event_type,
		    int, const char *, const char *, ...)
		    __attribute__((format(printf, 5, 6)));
static void	 tr_add(struct smtp_client *, const char *, const char *,
		    size_t);
static void	 tr_reply(struct smtp_client *, const struct smtp_reply *);
static void	 ehlo_parse(struct smtp_client *, const char *);
static size_t	 base64(char *, const unsigned char *, size_t);
static int	 check_path(const char *, int, const char *,
		    struct clr_err *);
static void	 save_reply(struct saved_reply *, const struct smtp_reply *);

/* set_state - the only place the session state changes. */
static void
set_state(struct smtp_client *c, enum state st)
{
	char	 line[64];
	int	 n;

	if (c->state == st)
		return;
	n = snprintf(line, sizeof(line), "%s -> %s", state_names[c->state],
	    state_names[st]);
	tr_add(c, "-- ", line, (size_t)n);
	c->state = st;
}

/*
 * enter - enter a state: send its command. The replies are handled by
 * the *_reply functions, which decide the next state.
 */
static void
enter(struct smtp_client *c, enum state st)
{
	char			 b64[B64_MAX];
	unsigned char		 ir[2 * SECRET_MAX + 2];
	size_t			 ul, pl;

	set_state(c, st);
	switch (st) {
	case ST_GREETING:
		break;
	case ST_EHLO:
		send_cmd(c, CMD_EHLO, NULL, 0, NULL, "EHLO %s", c->helo);
		break;
	case ST_HELO:
		/* RFC 5321 4.1.1.1: no extensions then. */
		c->ext = 0;
		c->auth_offered = 0;
		c->size_limit = 0;
		send_cmd(c, CMD_HELO, NULL, 0, NULL, "HELO %s", c->helo);
		break;
	case ST_STARTTLS:
		c->starttls_done = 1;
		send_cmd(c, CMD_STARTTLS, NULL, 0, NULL, "STARTTLS");
		break;
	case ST_TLS:
		/* Whatever came after the 220 was sent in plain text. */
		smtp_reply_discard(c->rp);
		ev_new(c, SMTP_EV_WANT_TLS);
		break;
	case ST_AUTH:
		if (c->mech == SMTP_AUTH_PLAIN) {
			/* RFC 4616: authzid NUL authcid NUL passwd. */
			ul = strlen(c->user);
			pl = strlen(c->password);
			ir[0] = '\0';
			memcpy(ir + 1, c->user, ul);
			ir[1 + ul] = '\0';
			memcpy(ir + 2 + ul, c->password, pl);
			base64(b64, ir, ul + pl + 2);
			explicit_bzero(ir, sizeof(ir));
			send_cmd(c, CMD_AUTH, NULL, 0, "AUTH PLAIN ****",
			    "AUTH PLAIN %s", b64);
		} else
			send_cmd(c, CMD_AUTH, NULL, 0, NULL, "AUTH LOGIN");
		break;
	case ST_AUTH_USER:
		base64(b64, (const unsigned char *)c->user, strlen(c->user));
		send_cmd(c, CMD_AUTH_USER, NULL, 0, "****", "%s", b64);
		break;
	case ST_AUTH_PASS:
		base64(b64, (const unsigned char *)c->password,
		    strlen(c->password));
		send_cmd(c, CMD_AUTH_PASS, NULL, 0, "****", "%s", b64);
		break;
	case ST_READY:
		c->pipelining = (c->ext & SMTP_EXT_PIPELINING) &&
		    !c->p.no_pipelining;
		break;
	case ST_QUIT:
		send_cmd(c, CMD_QUIT, NULL, 0, NULL, "QUIT");
		break;
	case ST_CLOSED:
		ev_new(c, SMTP_EV_CLOSED);
		break;
	case ST_LAST:
		break;
	}
	explicit_bzero(b64, sizeof(b64));
}

/*
 * setup_next - after EHLO or HELO, STARTTLS refused or AUTH done: the
 * next step of the setup, or READY.
 */
static void
setup_next(struct smtp_client *c)
{
	unsigned	 usable;

	if (c->quitting) {
		enter(c, ST_QUIT);
		return;
	}
	if (!c->tls_active && !c->starttls_done &&
	    (c->p.tls == SMTP_TLS_OPPORTUNISTIC ||
	    c->p.tls == SMTP_TLS_REQUIRED)) {
		if (c->ext & SMTP_EXT_STARTTLS) {
			enter(c, ST_STARTTLS);
			return;
		}
		if (c->p.tls == SMTP_TLS_REQUIRED) {
			fail(c, NULL, 1, "TLS is required but the server does "
			    "not offer STARTTLS");
			return;
		}
	}
	if (c->user != NULL && !c->auth_done) {
		if (!c->tls_active && !c->p.auth_plaintext) {
			fail(c, NULL, 1, "AUTH refused over plain text: the "
			    "session is not inside TLS");
			return;
		}
		if (!(c->ext & SMTP_EXT_AUTH)) {
			fail(c, NULL, 1, "AUTH is configured but the server "
			    "does not offer it");
			return;
		}
		usable = c->auth_offered & (c->p.auth_mechs != 0 ?
		    c->p.auth_mechs : SMTP_AUTH_PLAIN | SMTP_AUTH_LOGIN);
		if (usable == 0) {
			fail(c, NULL, 1, "no AUTH mechanism both offered by "
			    "the server and allowed (PLAIN, LOGIN)");
			return;
		}
		c->mech = usable & SMTP_AUTH_PLAIN ? SMTP_AUTH_PLAIN :
		    SMTP_AUTH_LOGIN;
		enter(c, ST_AUTH);
		return;
	}
	enter(c, ST_READY);
}

/* cmds_msg - the message whose MAIL, RCPT, DATA are out or to go, or NULL. */
static struct msg *
cmds_msg(struct smtp_client *c)
{
	size_t	 i;

	for (i = 0; i < MSGS_MAX; i++)
		if (c->msgs[i].slot == M_CMDS)
			return &c->msgs[i];
	return NULL;
}

/* in_flight - messages in the slots. */
static size_t
in_flight(const struct smtp_client *c)
{
	size_t	 i, n = 0;

	for (i = 0; i < MSGS_MAX; i++)
		n += c->msgs[i].slot != M_FREE;
	return n;
}

/*
 * pump - send what the message in M_CMDS has left to send: all of it
 * with PIPELINING (RFC 2920: RSET, MAIL and RCPT may go anywhere in a
 * group, DATA ends it), else one command when nothing is awaited.
 */
static void
pump(struct smtp_client *c)
{
	struct msg	*m = cmds_msg(c);
	const char	*size, *body, *utf8;
	char		 num[32];

	while (m != NULL && m->next != N_NONE) {
		if (!c->pipelining && c->aw_len > 0)
			return;
		if (c->need_rset) {
			if (send_cmd(c, CMD_RSET, NULL, 0, NULL, "RSET") != 0)
				return;
			c->need_rset = 0;
			continue;
		}
		switch (m->next) {
		case N_MAIL:
			num[0] = '\0';
			if (c->ext & SMTP_EXT_SIZE)
				snprintf(num, sizeof(num), "%llu",
				    (unsigned long long)m->wire);
			size = c->ext & SMTP_EXT_SIZE ? " SIZE=" : "";
			body = m->mail.eightbit &&
			    (c->ext & SMTP_EXT_8BITMIME) ?
			    " BODY=8BITMIME" : "";
			utf8 = m->mail.smtputf8 ? " SMTPUTF8" : "";
			if (send_cmd(c, CMD_MAIL, m, 0, NULL,
			    "MAIL FROM:<%s>%s%s%s%s", m->mail.from, size, num,
			    body, utf8) != 0)
				return;
			m->next = N_RCPT;
			m->next_rcpt = 0;
			break;
		case N_RCPT:
			if (send_cmd(c, CMD_RCPT, m, m->next_rcpt, NULL,
			    "RCPT TO:<%s>", m->mail.rcpts[m->next_rcpt]) != 0)
				return;
			if (++m->next_rcpt == m->mail.nrcpts)
				m->next = N_DATA;
			break;
		case N_DATA:
			if (send_cmd(c, CMD_DATA, m, 0, NULL, "DATA") != 0)
				return;
			m->next = N_NONE;
			break;
		case N_NONE:
			break;
		}
	}
}

/*
 * update - after anything that changed the session: send what can go,
 * QUIT when asked and nothing is left, or announce READY.
 */
static void
update(struct smtp_client *c)
{
	if (c->state != ST_READY)
		return;
	pump(c);
	if (c->state != ST_READY)
		return;
	if (c->quitting) {
		if (c->aw_len == 0 && in_flight(c) == 0)
			enter(c, ST_QUIT);
		return;
	}
	if (!c->ready_sent && smtp_client_can_mail(c)) {
		ev_new(c, SMTP_EV_READY);
		c->ready_sent = 1;
	}
}

/*
 * send_cmd - a command line into the output, CRLF added, and into the
 * transcript (shown instead of it when not NULL: AUTH secrets); its
 * reply is awaited. 0, or -1 when the session failed instead.
 */
static int
send_cmd(struct smtp_client *c, enum cmd cmd, struct msg *m, size_t rcpt,
    const char *shown, const char *fmt, ...)
{
	char		 line[CMD_MAX + 16];
	struct await	*a;
	va_list		 ap;
	int		 n;

	if (c->aw_len == AWAIT_MAX) {
		fail(c, NULL, 0, "internal error: %d replies awaited",
		    AWAIT_MAX);
		return -1;
	}
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 2, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line) - 2) {
		fail(c, NULL, 0, "internal error: %s command too long",
		    cmd_info[cmd].name);
		return -1;
	}
	tr_add(c, "C: ", shown != NULL ? shown : line,
	    shown != NULL ? strlen(shown) : (size_t)n);
	line[n++] = '\r';
	line[n++] = '\n';
	if (buf_append(&c->out, line, (size_t)n) != 0) {
		explicit_bzero(line, sizeof(line));
		fail(c, NULL, 0, "out of memory for the output");
		return -1;
	}
	explicit_bzero(line, sizeof(line));
	a = &c->aw[(c->aw_head + c->aw_len++) % AWAIT_MAX];
	a->cmd = cmd;
	a->m = m;
	a->rcpt = rcpt;
	a->out_end = c->out_sent + (c->out.len - c->out_off);
	if (m != NULL)
		m->nawait++;
	return 0;
}

/*
 * write_body - the message's data after its 354: the body dot-stuffed
 * and the end of data. 0, or -1 when the session failed instead.
 */
static int
write_body(struct smtp_client *c, struct msg *m)
{
	struct smtp_dotstuff	 ds;
	struct await		*a;
	char			 note[64];
	size_t			 len0 = c->out.len;
	int			 n, rc;

	if (c->aw_len == AWAIT_MAX) {
		fail(c, NULL, 0, "internal error: %d replies awaited",
		    AWAIT_MAX);
		return -1;
	}
	smtp_dotstuff_init(&ds);
	if (m->verbatim) {
		/* Nothing to stuff or mend (smtp_client_mail looked). */
		rc = buf_append(&c->out, m->mail.body, m->mail.body_len);
		if (rc == 0)
			rc = buf_append(&c->out, ".\r\n", 3);
	} else if ((rc = smtp_dotstuff_put(&ds, &c->out, m->mail.body,
	    m->mail.body_len)) == 0)
		rc = smtp_dotstuff_end(&ds, &c->out);
	if (rc != 0) {
		buf_truncate(&c->out, len0);
		fail(c, NULL, 0, "out of memory for the output");
		return -1;
	}
	n = snprintf(note, sizeof(note), "<body, %zu octets>",
	    c->out.len - len0 - 3);
	tr_add(c, "C: ", note, (size_t)n);
	tr_add(c, "C: ", ".", 1);
	a = &c->aw[(c->aw_head + c->aw_len++) % AWAIT_MAX];
	a->cmd = CMD_DOT;
	a->m = m;
	a->rcpt = 0;
	a->out_end = c->out_sent + (c->out.len - c->out_off);
	m->dot_end = a->out_end;
	m->nawait++;
	m->slot = M_DOT;
	return 0;
}

/*
 * on_reply - a whole reply: it answers the oldest command awaiting one.
 * A 421 answers it too, and ends the session.
 */
static void
on_reply(struct smtp_client *c, const struct smtp_reply *r)
{
	struct await	 a;

	c->replies++;
	tr_reply(c, r);
	if (c->state == ST_QUIT) {
		/* Any reply to QUIT ends the session; nothing else can come. */
		c->aw_len = 0;
		enter(c, ST_CLOSED);
		return;
	}
	if (c->aw_len == 0) {
		if (r->code == 421)
			fail(c, r, 0, "server closing the session");
		else
			protocol_error(c, "reply %d while no command awaits "
			    "one", r->code);
		return;
	}
	a = c->aw[c->aw_head];
	/*
	 * The end of data is still in the output: the server sent this
	 * before it could read it, so it is no answer to it (no SENT for a
	 * 250 that came with the 354).
	 */
	if (a.cmd == CMD_DOT && c->out_sent < a.out_end) {
		protocol_error(c, "reply %d before the end of data was sent",
		    r->code);
		return;
	}
	c->aw_head = (c->aw_head + 1) % AWAIT_MAX;
	c->aw_len--;
	if (a.m != NULL)
		a.m->nawait--;
	if (r->code == 421) {
		if (a.cmd == CMD_DOT && !a.m->decided)
			decide(a.m, SMTP_OUT_REFUSED, SMTP_STAGE_DOT, r);
		fail(c, r, 0, "server closing the session");
		return;
	}
	switch (a.cmd) {
	case CMD_GREETING:
		greeting_reply(c, r);
		break;
	case CMD_EHLO:
		ehlo_reply(c, r);
		break;
	case CMD_HELO:
		helo_reply(c, r);
		break;
	case CMD_STARTTLS:
		starttls_reply(c, r);
		break;
	case CMD_AUTH:
	case CMD_AUTH_USER:
	case CMD_AUTH_PASS:
		auth_reply(c, a.cmd, r);
		break;
	case CMD_RSET:
		rset_reply(c, r);
		break;
	case CMD_MAIL:
		mail_reply(c, a.m, r);
		break;
	case CMD_RCPT:
		rcpt_reply(c, a.m, a.rcpt, r);
		break;
	case CMD_DATA:
		data_reply(c, a.m, r);
		break;
	case CMD_DOT:
		dot_reply(c, a.m, r);
		break;
	case CMD_EMPTY_DOT:
		if (r->code / 100 == 3)
			protocol_error(c, "%d in reply to the end of data",
			    r->code);
		break;
	case CMD_QUIT:
	case CMD_LAST:
		break;
	}
}

static void
greeting_reply(struct smtp_client *c, const struct smtp_reply *r)
{
	if (r->code == 220) {
		if (c->quitting)
			enter(c, ST_QUIT);
		else
			enter(c, ST_EHLO);
	} else if (r->code >= 400)
		fail(c, r, 1, "greeting refused");
	else
		protocol_error(c, "greeting %d (want 220)", r->code);
}

static void
ehlo_reply(struct smtp_client *c, const struct smtp_reply *r)
{
	if (r->code == 250) {
		ehlo_parse(c, r->text);
		setup_next(c);
	} else if (r->code == 500 || r->code == 501 || r->code == 502 ||
	    r->code == 504)
		enter(c, ST_HELO);
	else if (r->code >= 400)
		fail(c, r, 1, "EHLO refused");
	else
		protocol_error(c, "%d in reply to EHLO", r->code);
}

static void
helo_reply(struct smtp_client *c, const struct smtp_reply *r)
{
	if (r->code == 250)
		setup_next(c);
	else if (r->code >= 400)
		fail(c, r, 1, "HELO refused");
	else
		protocol_error(c, "%d in reply to HELO", r->code);
}

static void
starttls_reply(struct smtp_client *c, const struct smtp_reply *r)
{
	if (r->code == 220)
		enter(c, ST_TLS);
	else if (r->code >= 400 && c->p.tls == SMTP_TLS_REQUIRED)
		fail(c, r, 1, "STARTTLS refused");
	else if (r->code >= 400)
		setup_next(c);		/* opportunistic: go on in plain text */
	else
		protocol_error(c, "%d in reply to STARTTLS", r->code);
}

static void
auth_reply(struct smtp_client *c, enum cmd cmd, const struct smtp_reply *r)
{
	if (r->code == 235 && (c->mech == SMTP_AUTH_PLAIN ||
	    cmd == CMD_AUTH_PASS)) {
		c->auth_done = 1;
		setup_next(c);
	} else if (r->code == 334 && c->mech == SMTP_AUTH_LOGIN &&
	    cmd != CMD_AUTH_PASS)
		enter(c, cmd == CMD_AUTH ? ST_AUTH_USER : ST_AUTH_PASS);
	else if (r->code >= 400)
		fail(c, r, 1, "AUTH %s refused",
		    c->mech == SMTP_AUTH_PLAIN ? "PLAIN" : "LOGIN");
	else
		protocol_error(c, "%d in reply to AUTH %s", r->code,
		    c->mech == SMTP_AUTH_PLAIN ? "PLAIN" : "LOGIN");
}

static void
rset_reply(struct smtp_client *c, const struct smtp_reply *r)
{
	if (r->code / 100 == 2)
		return;
	if (r->code >= 400)
		fail(c, r, 0, "RSET refused");
	else
		protocol_error(c, "%d in reply to RSET", r->code);
}

static void
mail_reply(struct smtp_client *c, struct msg *m, const struct smtp_reply *r)
{
	if (r->code / 100 == 3) {
		protocol_error(c, "%d in reply to MAIL", r->code);
		return;
	}
	if (r->code >= 400) {
		m->mail_refused = 1;
		decide(m, SMTP_OUT_REFUSED, SMTP_STAGE_MAIL, r);
		m->next = N_NONE;
		c->need_rset = 1;
	}
	msg_done(c, m);
}

/*
 * rcpt_reply - one recipient's reply. Without PIPELINING, the last one
 * decides whether DATA goes out; with it, DATA's own reply decides.
 * After a refused MAIL the replies are the server's "need MAIL first"
 * and say nothing about the recipients: no RCPT event then.
 */
static void
rcpt_reply(struct smtp_client *c, struct msg *m, size_t rcpt,
    const struct smtp_reply *r)
{
	struct smtp_event	*ev;
	int			 ok = r->code / 100 == 2;

	if (r->code / 100 == 3) {
		protocol_error(c, "%d in reply to RCPT", r->code);
		return;
	}
	m->rcpts_replied++;
	if (!m->mail_refused) {
		ev = ev_push(c, SMTP_EV_RCPT, r->code, r->status, "%s",
		    r->text);
		ev->udata = m->mail.udata;
		ev->rcpt = rcpt;
		ev->accepted = ok;
		if (ok)
			m->rcpts_accepted++;
		else
			save_reply(&m->why, r);
	}
	if (!c->pipelining && !m->mail_refused &&
	    m->rcpts_replied == m->mail.nrcpts && m->rcpts_accepted == 0) {
		decide(m, SMTP_OUT_REFUSED, SMTP_STAGE_RCPT, NULL);
		m->next = N_NONE;
		c->need_rset = 1;
	}
	msg_done(c, m);
}

static void
data_reply(struct smtp_client *c, struct msg *m, const struct smtp_reply *r)
{
	if (r->code == 354) {
		if (!m->mail_refused && m->rcpts_accepted > 0) {
			write_body(c, m);
			return;
		}
		/* RFC 2920 3.1: end the transaction with a lone dot. */
		if (!m->decided)
			decide(m, SMTP_OUT_REFUSED, SMTP_STAGE_RCPT, NULL);
		c->need_rset = 0;
		if (send_cmd(c, CMD_EMPTY_DOT, NULL, 0, NULL, ".") == 0)
			msg_done(c, m);
		return;
	}
	if (r->code < 400) {
		protocol_error(c, "%d in reply to DATA (want 354)", r->code);
		return;
	}
	if (!m->decided) {
		if (m->rcpts_accepted == 0)
			decide(m, SMTP_OUT_REFUSED, SMTP_STAGE_RCPT, NULL);
		else
			decide(m, SMTP_OUT_REFUSED, SMTP_STAGE_DATA, r);
	}
	c->need_rset = 1;
	msg_done(c, m);
}

static void
dot_reply(struct smtp_client *c, struct msg *m, const struct smtp_reply *r)
{
	if (r->code / 100 == 2)
		decide(m, SMTP_OUT_SENT, SMTP_STAGE_DOT, r);
	else if (r->code >= 400)
		decide(m, SMTP_OUT_REFUSED, SMTP_STAGE_DOT, r);
	else {
		protocol_error(c, "%d in reply to the end of data", r->code);
		return;
	}
	msg_done(c, m);
}

/*
 * decide - a message's outcome; r NULL keeps the reply saved (the last
 * RCPT refusal). The first decision stands.
 */
static void
decide(struct msg *m, enum smtp_outcome outcome, enum smtp_stage stage,
    const struct smtp_reply *r)
{
	if (m->decided)
		return;
	m->decided = 1;
	m->outcome = outcome;
	m->stage = stage;
	if (r != NULL)
		save_reply(&m->why, r);
}

/* msg_done - MAIL_DONE once the outcome is known and no reply awaited. */
static void
msg_done(struct smtp_client *c, struct msg *m)
{
	struct smtp_event	*ev;

	if (!m->decided || m->nawait > 0 || m->next != N_NONE)
		return;
	ev = ev_push(c, SMTP_EV_MAIL_DONE, m->why.code, m->why.status, "%s",
	    m->why.text.data != NULL ? m->why.text.data : "");
	ev->udata = m->mail.udata;
	ev->outcome = m->outcome;
	ev->stage = m->stage;
	ev->rcpts_accepted = m->rcpts_accepted;
	m->slot = M_FREE;
}

/*
 * fail - the session ends: every message in flight gets its outcome (as
 * decided, AMBIGUOUS if its end of data went out, else NOT_SENT), then
 * FAILED, then QUIT (polite) or CLOSED. FAILED carries r, with the reason
 * before its text. A message gets r only if it is a 421, which speaks of
 * the whole session; else code 0 and the reason, so that a reply to
 * another command (a refused RSET) is never taken for the message's.
 */
static void
fail(struct smtp_client *c, const struct smtp_reply *r, int polite,
    const char *fmt, ...)
{
	struct smtp_event	*ev;
	struct smtp_reply	 why;
	struct msg		*m, *order[MSGS_MAX];
	char			 reason[REASON_MAX];
	char			 full[REASON_MAX + SMTP_TEXT_MAX];
	va_list			 ap;
	size_t			 i, j, n = 0;

	if (c->state == ST_CLOSED)
		return;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	tr_add(c, "-- failed: ", reason, strlen(reason));
	if (c->state == ST_QUIT) {
		c->aw_len = 0;
		enter(c, ST_CLOSED);
		return;
	}
	if (r != NULL)
		snprintf(full, sizeof(full), "%s: %s", reason, r->text);
	else
		snprintf(full, sizeof(full), "%s", reason);
	if (r != NULL && r->code == 421)
		why = *r;
	else {
		why.code = 0;
		why.status[0] = '\0';
		why.text = full;
	}
	for (i = 0; i < MSGS_MAX; i++)
		if (c->msgs[i].slot != M_FREE)
			order[n++] = &c->msgs[i];
	if (n == 2 && order[1]->seq < order[0]->seq) {
		m = order[0];
		order[0] = order[1];
		order[1] = m;
	}
	for (j = 0; j < n; j++) {
		m = order[j];
		if (!m->decided)
			decide(m, m->slot == M_DOT &&
			    c->out_sent >= m->dot_end ? SMTP_OUT_AMBIGUOUS :
			    SMTP_OUT_NOT_SENT, SMTP_STAGE_SESSION, &why);
		m->nawait = 0;
		m->next = N_NONE;
		msg_done(c, m);
	}
	c->aw_len = 0;
	c->failed = 1;
	ev = ev_push(c, SMTP_EV_FAILED, r != NULL ? r->code : 0,
	    r != NULL ? r->status : NULL, "%s", full);
	ev->stage = SMTP_STAGE_SESSION;
	enter(c, polite && c->state != ST_TLS ? ST_QUIT : ST_CLOSED);
}

static void
protocol_error(struct smtp_client *c, const char *fmt, ...)
{
	char	 reason[REASON_MAX];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	fail(c, NULL, 0, "protocol error: %s", reason);
}

static void
save_reply(struct saved_reply *s, const struct smtp_reply *r)
{
	s->code = r->code;
	memcpy(s->status, r->status, sizeof(s->status));
	s->status[sizeof(s->status) - 1] = '\0';
	buf_reset(&s->text);
	/* Best effort: a text lost to ENOMEM leaves the code. */
	(void)buf_puts(&s->text, r->text);
}

/*
 * ev_new - queue an event, without a reply. The queue cannot overflow: a
 * reply is handled only when it is empty and makes at most an RCPT, a
 * MAIL_DONE and READY, or a MAIL_DONE per message in flight, FAILED and
 * CLOSED; smtp_client_mail adds one LOCAL at a time (local_pending).
 */
static struct ev_slot *
ev_new(struct smtp_client *c, enum smtp_event_type type)
{
	struct ev_slot	*s;

	s = &c->evq[(c->ev_head + c->ev_len) % EVQ_MAX];
	if (c->ev_len < EVQ_MAX)
		c->ev_len++;
	buf_reset(&s->text);
	memset(&s->ev, 0, sizeof(s->ev));
	s->ev.type = type;
	return s;
}

/* ev_push - queue an event with its reply: code, status, text. */
static struct smtp_event *
ev_push(struct smtp_client *c, enum smtp_event_type type, int code,
    const char *status, const char *fmt, ...)
{
	struct ev_slot	*s = ev_new(c, type);
	va_list		 ap;

	s->ev.reply.code = code;
	if (status != NULL)
		snprintf(s->ev.reply.status, sizeof(s->ev.reply.status), "%s",
		    status);
	va_start(ap, fmt);
	if (buf_vprintf(&s->text, fmt, ap) != 0)
		buf_reset(&s->text);
	va_end(ap);
	return &s->ev;
}

/* tr_add - a transcript line: prefix and s[0..n), made printable ASCII. */
static void
tr_add(struct smtp_client *c, const char *prefix, const char *s, size_t n)
{
	struct transcript	*t = c->tr;
	char			*l;
	size_t			 i, o;

	if (t->len == TR_LINES) {
		t->head = (t->head + 1) % TR_LINES;
		t->len--;
	}
	l = t->lines[(t->head + t->len++) % TR_LINES];
	o = strlen(prefix);
	memcpy(l, prefix, o);
	for (i = 0; i < n && o < TR_WIDTH; i++) {
		unsigned char	 ch = (unsigned char)s[i];

		l[o++] = ch >= 0x20 && ch < 0x7F ? (char)ch : '?';
	}
	if (i < n) {
		memcpy(l + o, "...", 3);
		o += 3;
	}
	l[o] = '\0';
	if (c->tap != NULL)
		c->tap(c->tap_arg, l);
}

/* tr_reply - a reply into the transcript, a line for each of its lines. */
static void
tr_reply(struct smtp_client *c, const struct smtp_reply *r)
{
	const char	*t = r->text, *nl;
	char		 line[TR_WIDTH + 32];
	size_t		 len;
	int		 n, first = 1;

	do {
		nl = strchr(t, '\n');
		len = nl != NULL ? (size_t)(nl - t) : strlen(t);
		if (len > TR_WIDTH)
			len = TR_WIDTH + 1;	/* tr_add marks the cut */
		n = snprintf(line, sizeof(line), "%d%c%s%s%.*s", r->code,
		    nl != NULL ? '-' : ' ', first ? r->status : "",
		    first && r->status[0] != '\0' ? " " : "", (int)len, t);
		tr_add(c, "S: ", line, n < (int)sizeof(line) ? (size_t)n :
		    sizeof(line) - 1);
		first = 0;
		t = nl != NULL ? nl + 1 : NULL;
	} while (t != NULL);
}

/*
 * ehlo_parse - the EHLO reply's lines after the first: keywords, case
 * insensitive (RFC 5321 4.1.1.1), SIZE's limit, AUTH's mechanisms. The
 * old "AUTH=PLAIN LOGIN" form counts as AUTH.
 */
static void
ehlo_parse(struct smtp_client *c, const char *text)
{
	const char	*l, *nl, *kw, *p, *end;
	size_t		 kn, pn;
	int64_t		 v;

	c->ext = 0;
	c->auth_offered = 0;
	c->size_limit = 0;
	nl = strchr(text, '\n');
	for (l = nl != NULL ? nl + 1 : NULL; l != NULL; l = nl != NULL ?
	    nl + 1 : NULL) {
		nl = strchr(l, '\n');
		end = nl != NULL ? nl : l + strlen(l);
		kw = l;
		for (p = l; p < end && *p != ' ' && *p != '='; p++)
			;
		kn = (size_t)(p - kw);
		if (p < end)
			p++;
		if (str_ieq(kw, kn, "PIPELINING"))
			c->ext |= SMTP_EXT_PIPELINING;
		else if (str_ieq(kw, kn, "8BITMIME"))
			c->ext |= SMTP_EXT_8BITMIME;
		else if (str_ieq(kw, kn, "SMTPUTF8"))
			c->ext |= SMTP_EXT_SMTPUTF8;
		else if (str_ieq(kw, kn, "ENHANCEDSTATUSCODES"))
			c->ext |= SMTP_EXT_ENHANCEDSTATUSCODES;
		else if (str_ieq(kw, kn, "STARTTLS"))
			c->ext |= SMTP_EXT_STARTTLS;
		else if (str_ieq(kw, kn, "CHUNKING"))
			c->ext |= SMTP_EXT_CHUNKING;
		else if (str_ieq(kw, kn, "SIZE")) {
			c->ext |= SMTP_EXT_SIZE;
			pn = (size_t)(end - p);
			str_trim(&p, &pn);
			if (pn > 0 && str_tonum(p, pn, 0, INT64_MAX, &v,
			    NULL) == 0)
				c->size_limit = (uint64_t)v;
		} else if (str_ieq(kw, kn, "AUTH")) {
			c->ext |= SMTP_EXT_AUTH;
			while (p < end) {
				const char	*m = p;

				while (p < end && *p != ' ')
					p++;
				if (str_ieq(m, (size_t)(p - m), "PLAIN"))
					c->auth_offered |= SMTP_AUTH_PLAIN;
				else if (str_ieq(m, (size_t)(p - m), "LOGIN"))
					c->auth_offered |= SMTP_AUTH_LOGIN;
				while (p < end && *p == ' ')
					p++;
			}
		}
	}
}

/* base64 - RFC 4648 4, padded, NUL-terminated; returns its length. */
static size_t
base64(char *dst, const unsigned char *src, size_t n)
{
	static const char	 tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t			 i, o = 0;
	uint32_t		 v;

	for (i = 0; i + 2 < n; i += 3) {
		v = (uint32_t)src[i] << 16 | (uint32_t)src[i + 1] << 8 |
		    src[i + 2];
		dst[o++] = tab[v >> 18];
		dst[o++] = tab[(v >> 12) & 63];
		dst[o++] = tab[(v >> 6) & 63];
		dst[o++] = tab[v & 63];
	}
	if (i < n) {
		v = (uint32_t)src[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)src[i + 1] << 8;
		dst[o++] = tab[v >> 18];
		dst[o++] = tab[(v >> 12) & 63];
		dst[o++] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		dst[o++] = '=';
	}
	dst[o] = '\0';
	return o;
}

/*
 * check_path - an address for MAIL FROM or RCPT TO, which the engine puts
 * between <>: no octet that could end or split the command or the path
 * (controls, space, '<', '>', DEL), 8-bit octets only with SMTPUTF8.
 */
static int
check_path(const char *a, int utf8, const char *what, struct clr_err *err)
{
	size_t		 i, n;
	unsigned char	 ch;

	if (a == NULL)
		return clr_err_set(err, CLR_EINVAL, "%s: NULL", what);
	n = strlen(a);
	if (n > SMTP_PATH_MAX)
		return clr_err_set(err, CLR_EINVAL, "%s: %zu octets long "
		    "(at most %d)", what, n, SMTP_PATH_MAX);
	for (i = 0; i < n; i++) {
		ch = (unsigned char)a[i];
		if (ch <= 0x20 || ch == 0x7F || ch == '<' || ch == '>')
			return clr_err_set(err, CLR_EINVAL, "%s: octet "
			    "0x%02X at offset %zu is not allowed in a path",
			    what, ch, i);
		if (ch >= 0x80 && !utf8)
			return clr_err_set(err, CLR_EINVAL, "%s: 8-bit "
			    "octet at offset %zu but smtputf8 is not set",
			    what, i);
	}
	return 0;
}

struct smtp_client *
smtp_client_new(const struct smtp_params *params, struct clr_err *err)
{
	struct smtp_client	*c;
	size_t			 i, n;

	if (params == NULL) {
		clr_err_set(err, CLR_EINVAL, "smtp params: NULL");
		return NULL;
	}
	n = params->helo != NULL ? strlen(params->helo) : 0;
	if (n == 0 || n > HELO_MAX) {
		clr_err_set(err, CLR_EINVAL, "smtp params: helo must be 1 to "
		    "%d octets", HELO_MAX);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		unsigned char	 ch = (unsigned char)params->helo[i];

		if (ch <= 0x20 || ch >= 0x7F) {
			clr_err_set(err, CLR_EINVAL, "smtp params: helo: octet "
			    "0x%02X at offset %zu", ch, i);
			return NULL;
		}
	}
	if (params->tls < SMTP_TLS_NONE || params->tls > SMTP_TLS_IMPLICIT) {
		clr_err_set(err, CLR_EINVAL, "smtp params: tls: no such mode "
		    "%d", (int)params->tls);
		return NULL;
	}
	if (params->auth_mechs & ~(unsigned)(SMTP_AUTH_PLAIN |
	    SMTP_AUTH_LOGIN)) {
		clr_err_set(err, CLR_EINVAL, "smtp params: auth_mechs: unknown "
		    "bits 0x%X", params->auth_mechs);
		return NULL;
	}
	if (params->auth_user != NULL && (params->auth_password == NULL ||
	    params->auth_user[0] == '\0' ||
	    strlen(params->auth_user) > SECRET_MAX ||
	    strlen(params->auth_password) > SECRET_MAX)) {
		clr_err_set(err, CLR_EINVAL, "smtp params: auth_user and "
		    "auth_password must be 1 to %d octets", SECRET_MAX);
		return NULL;
	}

	if ((c = clr_calloc(1, sizeof(*c))) == NULL)
		goto nomem;
	c->p = *params;
	buf_init(&c->out, OUT_MAX);
	buf_init(&c->ev_text, SMTP_TEXT_MAX + REASON_MAX);
	for (i = 0; i < EVQ_MAX; i++)
		buf_init(&c->evq[i].text, SMTP_TEXT_MAX + REASON_MAX);
	for (i = 0; i < MSGS_MAX; i++)
		buf_init(&c->msgs[i].why.text, SMTP_TEXT_MAX);
	if ((c->helo = clr_strdup(params->helo)) == NULL ||
	    (c->rp = smtp_reply_parser_new()) == NULL ||
	    (c->tr = clr_calloc(1, sizeof(*c->tr))) == NULL)
		goto nomem;
	buf_init(&c->tr->joined, TR_LINES * (TR_WIDTH + 5));
	if (params->auth_user != NULL &&
	    ((c->user = clr_strdup(params->auth_user)) == NULL ||
	    (c->password = clr_strdup(params->auth_password)) == NULL))
		goto nomem;
	c->p.helo = c->helo;
	c->p.auth_user = c->user;
	c->p.auth_password = c->password;
	c->tls_active = params->tls == SMTP_TLS_IMPLICIT;
	c->state = ST_GREETING;
	c->aw[0].cmd = CMD_GREETING;
	c->aw_len = 1;
	return c;
nomem:
	smtp_client_free(c);
	clr_err_set(err, CLR_ENOMEM, "out of memory");
	return NULL;
}

void
smtp_client_free(struct smtp_client *c)
{
	size_t	 i;

	if (c == NULL)
		return;
	if (c->password != NULL) {
		explicit_bzero(c->password, strlen(c->password));
		clr_free(c->password);
	}
	clr_free(c->user);
	clr_free(c->helo);
	/* The output held the AUTH exchange. */
	if (c->out.data != NULL)
		explicit_bzero(c->out.data, c->out.cap);
	buf_free(&c->out);
	buf_free(&c->ev_text);
	for (i = 0; i < EVQ_MAX; i++)
		buf_free(&c->evq[i].text);
	for (i = 0; i < MSGS_MAX; i++)
		buf_free(&c->msgs[i].why.text);
	if (c->tr != NULL)
		buf_free(&c->tr->joined);
	clr_free(c->tr);
	smtp_reply_parser_free(c->rp);
	clr_free(c);
}

int
smtp_client_feed(struct smtp_client *c, const void *data, size_t n)
{
	/* In TLS, plain-text bytes are the injection RFC 3207 6 warns
	 * of. */
	if (c->state == ST_CLOSED || c->state == ST_TLS)
		return 0;
	return smtp_reply_push(c->rp, data, n);
}

int
smtp_client_next(struct smtp_client *c, struct smtp_event *ev)
{
	struct smtp_reply	 r;
	struct clr_err		 err;
	struct ev_slot		*s;
	struct buf		 tmp;
	int			 rc;

	for (;;) {
		if (c->ev_len > 0) {
			s = &c->evq[c->ev_head];
			c->ev_head = (c->ev_head + 1) % EVQ_MAX;
			c->ev_len--;
			/* The text lives in ev_text until the next call. */
			tmp = c->ev_text;
			c->ev_text = s->text;
			s->text = tmp;
			*ev = s->ev;
			ev->reply.text = c->ev_text.data != NULL ?
			    c->ev_text.data : "";
			if (ev->type == SMTP_EV_MAIL_DONE &&
			    ev->outcome == SMTP_OUT_LOCAL)
				c->local_pending--;
			update(c);
			return 1;
		}
		if (c->state == ST_CLOSED || c->state == ST_TLS)
			return 0;
		rc = smtp_reply_next(c->rp, &r, &err);
		if (rc == 0)
			return 0;
		if (rc < 0)
			protocol_error(c, "%s", err.msg);
		else
			on_reply(c, &r);
		update(c);
	}
}

size_t
smtp_client_output(struct smtp_client *c, const void **p)
{
	*p = c->out.data != NULL ? c->out.data + c->out_off : "";
	return c->out.len - c->out_off;
}

void
smtp_client_consume(struct smtp_client *c, size_t n)
{
	size_t	 left = c->out.len - c->out_off;

	if (n > left)
		n = left;
	c->out_off += n;
	c->out_sent += n;
	if (c->out_off == c->out.len) {
		buf_reset(&c->out);
		c->out_off = 0;
	} else if (c->out_off >= 65536 && c->out_off >= left - n) {
		/* Move the rest down once it is smaller than the gap. */
		memmove(c->out.data, c->out.data + c->out_off, left - n);
		buf_truncate(&c->out, left - n);
		c->out_off = 0;
	}
}

int
smtp_client_can_mail(const struct smtp_client *c)
{
	size_t	 i;

	if (c->state != ST_READY || c->quitting || c->failed ||
	    c->local_pending > 0)
		return 0;
	for (i = 0; i < MSGS_MAX; i++) {
		if (c->msgs[i].slot == M_CMDS)
			return 0;
		/* Lock-step: one message at a time, and its RSET first. */
		if (c->msgs[i].slot != M_FREE && !c->pipelining)
			return 0;
	}
	return c->pipelining || c->aw_len == 0;
}

int
smtp_client_mail(struct smtp_client *c, const struct smtp_mail *mail,
    struct clr_err *err)
{
	struct smtp_event	*ev;
	struct msg		*m = NULL;
	uint64_t		 wire;
	int			 verbatim;
	char			 what[32];
	size_t			 i, need;
	int			 rc;

	if (!smtp_client_can_mail(c))
		return clr_err_set(err, CLR_EBUSY, "the session cannot take a "
		    "message now (%s)", state_names[c->state]);
	if (mail == NULL)
		return clr_err_set(err, CLR_EINVAL, "message: NULL");
	if (mail->nrcpts == 0 || mail->nrcpts > SMTP_RCPTS_MAX ||
	    mail->rcpts == NULL)
		return clr_err_set(err, CLR_EINVAL, "message: %zu recipients "
		    "(1 to %d)", mail->rcpts == NULL ? 0 : mail->nrcpts,
		    SMTP_RCPTS_MAX);
	if ((rc = check_path(mail->from, mail->smtputf8, "sender", err)) != 0)
		return rc;
	need = 0;
	for (i = 0; i < mail->nrcpts; i++) {
		snprintf(what, sizeof(what), "recipient %zu", i);
		if ((rc = check_path(mail->rcpts[i], mail->smtputf8, what,
		    err)) != 0)
			return rc;
		if (mail->rcpts[i][0] == '\0')
			return clr_err_set(err, CLR_EINVAL, "recipient %zu: "
			    "empty", i);
		need += strlen(mail->rcpts[i]) + 13;
	}
	if ((rc = smtp__body_scan(mail->body, mail->body_len, &wire,
	    &verbatim, err)) != 0)
		return rc;

	if ((mail->smtputf8 && !(c->ext & SMTP_EXT_SMTPUTF8)) ||
	    (mail->eightbit && !(c->ext & SMTP_EXT_8BITMIME)) ||
	    (c->size_limit > 0 && wire > c->size_limit)) {
		if (mail->smtputf8 && !(c->ext & SMTP_EXT_SMTPUTF8))
			ev = ev_push(c, SMTP_EV_MAIL_DONE, 0, NULL, "the "
			    "message needs SMTPUTF8 and the server does not "
			    "offer it");
		else if (mail->eightbit && !(c->ext & SMTP_EXT_8BITMIME))
			ev = ev_push(c, SMTP_EV_MAIL_DONE, 0, NULL, "the "
			    "message has 8-bit data and the server does not "
			    "offer 8BITMIME");
		else
			ev = ev_push(c, SMTP_EV_MAIL_DONE, 0, NULL, "the "
			    "message is %llu octets and the server takes at "
			    "most %llu (SIZE)", (unsigned long long)wire,
			    (unsigned long long)c->size_limit);
		ev->udata = mail->udata;
		ev->outcome = SMTP_OUT_LOCAL;
		ev->stage = SMTP_STAGE_MAIL;
		c->local_pending++;
		c->ready_sent = 0;
		return 0;
	}

	/* The commands at once, so that sending them cannot run short. */
	need += strlen(mail->from) + 80 + 8;
	if ((rc = buf_reserve(&c->out, need)) != 0)
		return clr_err_set(err, rc, "no room for the commands in the "
		    "output");
	for (i = 0; i < MSGS_MAX && m == NULL; i++)
		if (c->msgs[i].slot == M_FREE)
			m = &c->msgs[i];
	if (m == NULL)	/* can_mail said yes: cannot happen */
		return clr_err_set(err, CLR_EBUSY, "no message slot");
	m->slot = M_CMDS;
	m->seq = c->seq++;
	m->mail = *mail;
	m->wire = wire;
	m->verbatim = verbatim;
	m->next = N_MAIL;
	m->next_rcpt = 0;
	m->nawait = 0;
	m->rcpts_replied = 0;
	m->rcpts_accepted = 0;
	m->mail_refused = 0;
	m->dot_end = 0;
	m->decided = 0;
	m->why.code = 0;
	m->why.status[0] = '\0';
	buf_reset(&m->why.text);
	c->ready_sent = 0;
	update(c);
	return 0;
}

void
smtp_client_tls_ready(struct smtp_client *c)
{
	if (c->state != ST_TLS)
		return;
	c->tls_active = 1;
	/* RFC 3207 4.2: forget what was learnt before TLS. */
	c->ext = 0;
	c->auth_offered = 0;
	c->size_limit = 0;
	enter(c, c->quitting ? ST_QUIT : ST_EHLO);
}

void
smtp_client_quit(struct smtp_client *c)
{
	if (c->quitting || c->state == ST_QUIT || c->state == ST_CLOSED)
		return;
	c->quitting = 1;
	update(c);
}

void
smtp_client_eof(struct smtp_client *c)
{
	enum smtp_phase	 ph = smtp_client_phase(c);

	if (c->state == ST_CLOSED)
		return;
	if (ph == SMTP_PHASE_IDLE)
		fail(c, NULL, 0, "connection closed by the server while idle");
	else
		fail(c, NULL, 0, "connection closed by the server (phase %s)",
		    phase_names[ph]);
}

void
smtp_client_timeout(struct smtp_client *c)
{
	enum smtp_phase	 ph = smtp_client_phase(c);

	if (c->state == ST_CLOSED)
		return;
	if (ph == SMTP_PHASE_IDLE)
		fail(c, NULL, 0, "timeout while idle");
	else
		fail(c, NULL, 0, "timeout in phase %s after %d ms",
		    phase_names[ph], smtp_client_timeout_ms(c));
}

void
smtp_client_abort(struct smtp_client *c, const char *reason)
{
	fail(c, NULL, 0, "%s", reason != NULL ? reason : "aborted");
}

enum smtp_phase
smtp_client_phase(const struct smtp_client *c)
{
	const struct await	*a;
	enum smtp_phase		 ph;

	if (c->state == ST_TLS)
		return SMTP_PHASE_TLS;
	if (c->state == ST_CLOSED || c->aw_len == 0)
		return SMTP_PHASE_IDLE;
	a = &c->aw[c->aw_head];
	ph = cmd_info[a->cmd].phase;
	if (ph == SMTP_PHASE_DOT && c->out_sent < a->out_end)
		ph = SMTP_PHASE_BODY;
	return ph;
}

int
smtp_client_timeout_ms(const struct smtp_client *c)
{
	enum smtp_phase	 ph = smtp_client_phase(c);
	unsigned	 ms;

	if (ph == SMTP_PHASE_IDLE)
		return -1;
	ms = c->p.timeout_ms[ph] != 0 ? c->p.timeout_ms[ph] :
	    phase_timeouts[ph];
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

uint64_t
smtp_client_progress(const struct smtp_client *c)
{
	return c->replies + c->out_sent;
}

unsigned
smtp_client_extensions(const struct smtp_client *c)
{
	return c->ext;
}

uint64_t
smtp_client_size_limit(const struct smtp_client *c)
{
	return c->size_limit;
}

unsigned
smtp_client_auth_offered(const struct smtp_client *c)
{
	return c->auth_offered;
}

int
smtp_client_tls_active(const struct smtp_client *c)
{
	return c->tls_active;
}

void
smtp_client_set_tap(struct smtp_client *c, smtp_tap_fn *fn, void *arg)
{
	c->tap = fn;
	c->tap_arg = arg;
}

const char *
smtp_client_transcript(const struct smtp_client *c)
{
	struct transcript	*t = c->tr;
	size_t			 i;

	buf_reset(&t->joined);
	for (i = 0; i < t->len; i++) {
		if (buf_puts(&t->joined, t->lines[(t->head + i) %
		    TR_LINES]) != 0 || buf_putc(&t->joined, '\n') != 0)
			break;
	}
	return t->joined.data != NULL ? t->joined.data : "";
}

const char *
smtp_phase_name(enum smtp_phase ph)
{
	if ((unsigned)ph >= SMTP_PHASE_LAST)
		return "?";
	return phase_names[ph];
}

const char *
smtp_outcome_name(enum smtp_outcome o)
{
	if ((unsigned)o >= sizeof(outcome_names) / sizeof(outcome_names[0]))
		return "?";
	return outcome_names[o];
}

const char *
smtp_stage_name(enum smtp_stage s)
{
	if ((unsigned)s >= sizeof(stage_names) / sizeof(stage_names[0]))
		return "?";
	return stage_names[s];
}
