/* SPDX-License-Identifier: ISC */
/*
 * smtp/smtp.h - an ESMTP client session as a state machine: bytes in,
 * events and bytes out
 *
 * One struct smtp_client is one connection to one server, from its
 * greeting to its QUIT. It never touches a socket, a clock, TLS or the
 * event loop: the caller (daemon/smtp_conn.c) feeds it what the server
 * sent, writes out what it produced, and tells it about TLS and time. So
 * every path through it can be driven by a test or a fuzzer with plain
 * function calls.
 *
 * The loop of a caller:
 *
 *	smtp_client_feed(c, bytes, n);		   what the server sent
 *	while ((r = smtp_client_next(c, &ev)) > 0)
 *		handle(&ev);			   may call smtp_client_mail()
 *	while ((n = smtp_client_output(c, &p)) > 0) {
 *		write(p, n);
 *		smtp_client_consume(c, n);
 *	}
 *	arm a timer for smtp_client_timeout_ms(c);
 *
 * Protocol: EHLO, falling back to HELO when EHLO is refused with 500-502
 * or 504 (RFC 5321 4.1.1.1); the EHLO keywords into a bitmask; STARTTLS
 * (RFC 3207) with the EHLO issued again afterwards and anything the server
 * sent after its 220 to STARTTLS thrown away unread (a plain-text
 * injection must never be taken for a reply of the TLS session); AUTH
 * PLAIN or LOGIN (RFC 4954) only inside TLS unless the params allow plain
 * text; then any number of transactions, and QUIT.
 *
 * Transactions are pipelined (RFC 2920) when the server offers PIPELINING:
 * MAIL, every RCPT and DATA go out in one write, and the body goes out
 * only after the 354. The end of one body and the next message's MAIL,
 * RCPT and DATA go out together, so a connection costs one round trip per
 * message. Without PIPELINING each command waits for its reply. A
 * transaction that fails before its body is sent is followed by RSET;
 * one that got its final reply needs none.
 *
 * The body is copied out dot-stuffed and with every line ending made CRLF
 * (smtp_dotstuff below): "CRLF.CRLF" leaves the client only as the end of
 * the data, and neither a bare CR nor a bare LF ever leaves it, whatever
 * the body holds (no SMTP smuggling). A body with a NUL or a line over 998
 * octets is refused when it is handed in, before any of it is sent.
 *
 * Replies are parsed strictly (smtp_reply_*): three digits [2-5][0-5][0-9],
 * the same code on every line of a multi-line reply, '-' or ' ' (or
 * nothing) after it, printable text, CRLF line ends, bounded line and
 * reply length. A reply that breaks these rules, a reply nothing was
 * waiting for, or one the state cannot take is a protocol error: the
 * session fails and every message in flight gets its outcome.
 *
 * Every message handed in gets exactly one SMTP_EV_MAIL_DONE, whatever
 * happens to the connection; the session ends with one SMTP_EV_CLOSED.
 */
#ifndef CLARION_SMTP_H
#define CLARION_SMTP_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* Limits of a reply from the server. */
#define SMTP_LINE_MAX		2048	/* octets of a reply line, CRLF in */
#define SMTP_REPLY_LINES_MAX	128	/* lines of one reply */
#define SMTP_TEXT_MAX		8192	/* octets of a reply's joined text */
/* Octets buffered unparsed before smtp_client_feed refuses more. */
#define SMTP_PENDING_MAX	(SMTP_LINE_MAX * SMTP_REPLY_LINES_MAX)

/* Limits of what the client sends. */
#define SMTP_BODY_LINE_MAX	998	/* octets of a body line, CRLF out */
/* Octets of an address (RFC 5321 4.5.3.1.3, with room for SMTPUTF8). */
#define SMTP_PATH_MAX		512
/* Recipients of one message (RFC 5321 4.5.3.1.8). */
#define SMTP_RCPTS_MAX		100

/* EHLO keywords, as a bitmask. */
enum smtp_ext {
	SMTP_EXT_PIPELINING		= 1 << 0,
	SMTP_EXT_SIZE			= 1 << 1,
	SMTP_EXT_8BITMIME		= 1 << 2,
	SMTP_EXT_SMTPUTF8		= 1 << 3,
	SMTP_EXT_ENHANCEDSTATUSCODES	= 1 << 4,
	SMTP_EXT_STARTTLS		= 1 << 5,
	SMTP_EXT_AUTH			= 1 << 6,
	SMTP_EXT_CHUNKING		= 1 << 7,
};

/* AUTH mechanisms, as a bitmask: what the server offers, what may be used. */
enum smtp_auth_mech {
	SMTP_AUTH_PLAIN		= 1 << 0,
	SMTP_AUTH_LOGIN		= 1 << 1,
};

enum smtp_tls {
	SMTP_TLS_NONE,		/* never STARTTLS, even when offered */
	SMTP_TLS_OPPORTUNISTIC,	/* STARTTLS when offered, else plain text */
	SMTP_TLS_REQUIRED,	/* STARTTLS or nothing is sent */
	SMTP_TLS_IMPLICIT,	/* TLS was up before the greeting (port 465) */
};

/*
 * The phases a reply is awaited in, each with its own timeout (RFC 5321
 * 4.5.3.2: greeting 5 min, MAIL 5, RCPT 5, DATA 2, data block 3, end of
 * data 10). SMTP_PHASE_IDLE is the wait for the next message: the engine
 * awaits nothing then, and the caller decides how long a session may idle.
 */
enum smtp_phase {
	SMTP_PHASE_GREETING,
	SMTP_PHASE_EHLO,	/* EHLO, HELO, STARTTLS, AUTH, RSET */
	SMTP_PHASE_TLS,		/* the TLS handshake, done by the caller */
	SMTP_PHASE_MAIL,
	SMTP_PHASE_RCPT,
	SMTP_PHASE_DATA,	/* the 354 */
	SMTP_PHASE_BODY,	/* sending the body: the data block timeout */
	SMTP_PHASE_DOT,		/* the reply to the end of data */
	SMTP_PHASE_QUIT,
	SMTP_PHASE_IDLE,
	SMTP_PHASE_LAST
};

struct smtp_params {
	const char	*helo;		/* EHLO name: domain or [literal] */
	enum smtp_tls	 tls;
	const char	*auth_user;	/* NULL: no AUTH */
	const char	*auth_password;
	unsigned	 auth_mechs;	/* smtp_auth_mech bits; 0: both */
	int		 auth_plaintext;	/* allow AUTH without TLS */
	int		 no_pipelining;	/* lock-step even when offered */
	unsigned	 timeout_ms[SMTP_PHASE_LAST];	/* 0: RFC 5321's */
};

/* A reply from the server, or one the client made up for a local outcome. */
struct smtp_reply {
	int		 code;		/* 200-559; 0 for a local outcome */
	char		 status[16];	/* enhanced status "5.1.1", or "" */
	const char	*text;		/* lines joined with "\n", no codes */
};

/* A message to send: everything is borrowed until its SMTP_EV_MAIL_DONE. */
struct smtp_mail {
	const char	*from;		/* envelope sender; "": null path */
	const char *const *rcpts;	/* 1 to SMTP_RCPTS_MAX addresses */
	size_t		 nrcpts;
	const void	*body;		/* the message, headers and all */
	size_t		 body_len;
	int		 smtputf8;	/* a UTF-8 address: needs SMTPUTF8 */
	int		 eightbit;	/* 8-bit octets in body: 8BITMIME */
	void		*udata;		/* the caller's, given back in events */
};

/* Where a message's transaction ended. */
enum smtp_outcome {
	SMTP_OUT_SENT,		/* 2xx to the end of data */
	SMTP_OUT_REFUSED,	/* the server refused it: see reply and stage
				 * (a 421 answering the end of data too) */
	SMTP_OUT_LOCAL,		/* refused here before sending (SIZE, SMTPUTF8,
				 * 8BITMIME the server lacks): reply.code 0 */
	SMTP_OUT_NOT_SENT,	/* the session ended (a 421 too) before its
				 * end of data went out: nothing of it was
				 * delivered */
	SMTP_OUT_AMBIGUOUS,	/* the end of data went out but its reply never
				 * came: it may have been delivered */
};

/* The command a refusal answered. */
enum smtp_stage {
	SMTP_STAGE_MAIL,
	SMTP_STAGE_RCPT,	/* every recipient was refused */
	SMTP_STAGE_DATA,
	SMTP_STAGE_DOT,
	SMTP_STAGE_SESSION,	/* greeting, EHLO, TLS, AUTH or the link */
};

enum smtp_event_type {
	SMTP_EV_READY,		/* smtp_client_mail() may be called */
	SMTP_EV_WANT_TLS,	/* start the TLS handshake, then call
				 * smtp_client_tls_ready() */
	SMTP_EV_RCPT,		/* one recipient's reply (none after a
				 * refused MAIL) */
	SMTP_EV_MAIL_DONE,	/* one message's outcome */
	SMTP_EV_FAILED,		/* the session failed: reply says why */
	SMTP_EV_CLOSED,		/* the end: close the connection */
};

struct smtp_event {
	enum smtp_event_type	 type;
	void			*udata;		/* RCPT, MAIL_DONE */
	size_t			 rcpt;		/* RCPT: index in rcpts */
	int			 accepted;	/* RCPT: 2xx */
	enum smtp_outcome	 outcome;	/* MAIL_DONE */
	enum smtp_stage		 stage;		/* MAIL_DONE refused, FAILED */
	size_t			 rcpts_accepted;	/* MAIL_DONE */
	struct smtp_reply	 reply;		/* text: until the next call */
};

struct smtp_client;

/* A session waiting for the greeting; params are copied. NULL: ENOMEM or
 * bad params (err says which). */
struct smtp_client	*smtp_client_new(const struct smtp_params *,
			    struct clr_err *);
void			 smtp_client_free(struct smtp_client *);

/* Bytes from the server (decrypted). 0, or CLR_ETOOBIG when more than a
 * reply's worth is buffered unread: call smtp_client_next() first. */
int	smtp_client_feed(struct smtp_client *, const void *, size_t);

/* The next event: 1 and *ev filled, or 0 when there is none until more
 * input (or a call below). Never fails: errors are events. */
int	smtp_client_next(struct smtp_client *, struct smtp_event *ev);

/* What to send (valid until the next call into the engine), and how much
 * of it was sent. */
size_t	smtp_client_output(struct smtp_client *, const void **);
void	smtp_client_consume(struct smtp_client *, size_t);

/*
 * Queue a message; allowed after SMTP_EV_READY until the next call to
 * smtp_client_next(), or whenever smtp_client_can_mail() says so. 0, or
 * CLR_EINVAL with err filled when the message can never be sent (no
 * recipient, an address with CR/LF/NUL/<>, a body with NUL or a long
 * line), CLR_EBUSY when smtp_client_can_mail() says no, CLR_ENOMEM: the
 * message is then not queued and gets no event. A message the server
 * cannot take (SIZE, SMTPUTF8, 8BITMIME) is taken and gets a MAIL_DONE
 * with SMTP_OUT_LOCAL at once; nothing of it is sent.
 */
int	smtp_client_mail(struct smtp_client *, const struct smtp_mail *,
	    struct clr_err *err);
int	smtp_client_can_mail(const struct smtp_client *);

/* The TLS handshake asked for by SMTP_EV_WANT_TLS is done. */
void	smtp_client_tls_ready(struct smtp_client *);

/* Say goodbye once the messages in flight are done: QUIT, then CLOSED. */
void	smtp_client_quit(struct smtp_client *);

/* The link failed: the server closed it (eof), the timer from
 * smtp_client_timeout_ms() fired, or TLS or a write failed (reason). */
void	smtp_client_eof(struct smtp_client *);
void	smtp_client_timeout(struct smtp_client *);
void	smtp_client_abort(struct smtp_client *, const char *reason);

/* How long to wait for the server now, in ms; -1 when nothing is awaited. */
int	smtp_client_timeout_ms(const struct smtp_client *);
/*
 * A count that moves with every whole reply taken and every octet
 * consumed: while it stands still, so does the session, and a timer
 * already running must not be restarted (a server trickling a byte at a
 * time would otherwise hold a phase open for ever).
 */
uint64_t smtp_client_progress(const struct smtp_client *);
enum smtp_phase	smtp_client_phase(const struct smtp_client *);

/* What the server offered (after EHLO): enum smtp_ext bits, SIZE (0: no
 * limit), AUTH mechanisms; and whether the session is inside TLS. */
unsigned	smtp_client_extensions(const struct smtp_client *);
uint64_t	smtp_client_size_limit(const struct smtp_client *);
unsigned	smtp_client_auth_offered(const struct smtp_client *);
int		smtp_client_tls_active(const struct smtp_client *);

/* The last lines of the conversation, for a report: "C: MAIL FROM:<..>"
 * and "S: 250 2.1.0 Ok" lines, newest last; AUTH secrets are masked, a
 * body shows as "C: <body, N octets>". Lines starting "-- " are the
 * engine's: state changes ("-- EHLO -> STARTTLS") and why it failed. The
 * text is valid until the next call. */
const char	*smtp_client_transcript(const struct smtp_client *);

/* Each transcript line as it is made (masked as above), for a debug
 * log; NULL turns it off. */
typedef void	smtp_tap_fn(void *arg, const char *line);
void		smtp_client_set_tap(struct smtp_client *, smtp_tap_fn *,
		    void *arg);

const char	*smtp_phase_name(enum smtp_phase);
const char	*smtp_outcome_name(enum smtp_outcome);
const char	*smtp_stage_name(enum smtp_stage);

/*
 * The reply parser on its own: push bytes, pull whole replies. The text
 * is borrowed until the next call. smtp_reply_next returns 1 with a
 * reply, 0 for more input, or CLR_ESYNTAX / CLR_ETOOBIG with a reason in
 * err (the parser is then stuck: a session cannot recover from it).
 * smtp_reply_push returns 0, CLR_ENOMEM, or CLR_ETOOBIG when more than
 * SMTP_PENDING_MAX octets would be left unparsed (nothing is taken then).
 */
struct smtp_reply_parser;

struct smtp_reply_parser *smtp_reply_parser_new(void);
void	smtp_reply_parser_free(struct smtp_reply_parser *);
int	smtp_reply_push(struct smtp_reply_parser *, const void *, size_t);
int	smtp_reply_next(struct smtp_reply_parser *, struct smtp_reply *,
	    struct clr_err *);
size_t	smtp_reply_pending(const struct smtp_reply_parser *);	/* octets */
void	smtp_reply_discard(struct smtp_reply_parser *);	/* drop pending */

/*
 * Dot-stuffing as a streaming transform: octets of a body in, in chunks
 * of any size, the DATA payload out: every line end (CRLF, bare LF, bare
 * CR) becomes CRLF, a '.' starting a line is doubled, and smtp_dotstuff_end
 * closes the last line if it is open and adds ".\r\n". The state carries
 * over chunk boundaries (a CR at the end of one chunk, a '.' at the start
 * of the next).
 */
struct smtp_dotstuff {
	int	 bol;		/* at the beginning of a line */
	int	 cr;		/* the last octet was a CR */
};

struct buf;

void	smtp_dotstuff_init(struct smtp_dotstuff *);
int	smtp_dotstuff_put(struct smtp_dotstuff *, struct buf *out,
	    const void *, size_t);
int	smtp_dotstuff_end(struct smtp_dotstuff *, struct buf *out);

/* The checks smtp_client_mail applies to a body: no NUL, no line over
 * SMTP_BODY_LINE_MAX octets as sent (a leading '.' counts twice, since it
 * is doubled). 0, or CLR_EINVAL with where in err. */
int	smtp_body_check(const void *, size_t, struct clr_err *);

#endif
