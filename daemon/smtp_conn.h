/* SPDX-License-Identifier: ISC */
/*
 * daemon/smtp_conn.h - one SMTP client connection on the event loop
 *
 * The adapter between lib/smtp (the protocol, which never sees a socket)
 * and libuv: it resolves the host, connects (each address in turn, IPv6
 * and IPv4), runs TLS on memory buffers (implicit, or when the engine
 * asks for STARTTLS), feeds the engine what the server sends, writes what
 * the engine produces, and keeps one timer: the engine's timeout for the
 * current phase, or the idle timeout between messages.
 *
 * Its owner (the pool) hears three things: the connection can take a
 * message (ready), a message is done (done, with the engine's event), and
 * the connection is gone (closed, once, last). After closed the
 * connection frees itself: the owner must forget it.
 */
#ifndef CLARION_DAEMON_SMTP_CONN_H
#define CLARION_DAEMON_SMTP_CONN_H

#include <stdint.h>

#include <uv.h>

#include "smtp/smtp.h"

struct tls_ctx;
struct smtp_conn;

struct smtp_conn_params {
	const char		*host;		/* name or IP literal */
	unsigned		 port;
	const char		*server_name;	/* TLS: the name to verify */
	struct tls_ctx		*tls;		/* NULL with SMTP_TLS_NONE */
	struct smtp_params	 smtp;		/* tls mode, AUTH, timeouts */
	uint32_t		 connect_timeout_ms;
	uint32_t		 idle_timeout_ms;	/* then QUIT */
	const char		*label;		/* for logs: "relay main #3" */
};

/* How a connection ended. */
struct smtp_conn_end {
	int		 failed;	/* not a QUIT of ours */
	unsigned	 messages;	/* handed to it */
	const char	*reason;	/* failed: why, for logs and verdicts */
	struct smtp_reply reply;	/* the server's, if it gave one */
	const char	*transcript;	/* the last lines exchanged */
};

struct smtp_conn_cbs {
	void	(*ready)(struct smtp_conn *, void *owner);
	void	(*done)(struct smtp_conn *, void *owner,
		    const struct smtp_event *);
	void	(*closed)(struct smtp_conn *, void *owner,
		    const struct smtp_conn_end *);
};

/* Start connecting; params are copied. NULL with err (memory only). */
struct smtp_conn *smtp_conn_open(uv_loop_t *, const struct smtp_conn_params *,
		    const struct smtp_conn_cbs *, void *owner,
		    struct clr_err *err);

/* Hand over a message: see smtp_client_mail (borrowed until done). */
int	smtp_conn_mail(struct smtp_conn *, const struct smtp_mail *,
	    struct clr_err *err);
int	smtp_conn_can_mail(const struct smtp_conn *);
/* Messages handed over and not yet done. */
unsigned smtp_conn_in_flight(const struct smtp_conn *);

/* QUIT once the messages in flight are done. */
void	smtp_conn_quit(struct smtp_conn *);
/* Drop the connection now; messages in flight get their outcome. */
void	smtp_conn_abort(struct smtp_conn *, const char *reason);

/* "TLSv1.3 TLS_AES_256_GCM_SHA384", or "" without TLS. */
const char	*smtp_conn_tls(const struct smtp_conn *);

#endif
