/* SPDX-License-Identifier: ISC */
/*
 * daemon/tls.h - client TLS on memory buffers, for SMTP connections
 *
 * OpenSSL never sees a socket: ciphertext from the network is fed in,
 * ciphertext for the network is taken out, and plaintext goes through
 * tls_conn_read/tls_conn_write. So a connection's TLS rides on the same
 * libuv stream as its plain-text start (STARTTLS), and nothing blocks.
 *
 * Verification is on unless the relay says "verify: false": the chain
 * must lead to a trusted CA (the system's, or ca_file) and the
 * certificate must name the server (DNS name, or IP address for a
 * literal). TLS 1.2 is the oldest version offered.
 */
#ifndef CLARION_DAEMON_TLS_H
#define CLARION_DAEMON_TLS_H

#include <stddef.h>
#include <sys/types.h>

#include "util/err.h"

struct tls_ctx;
struct tls_conn;

/* Settings shared by a relay's connections. ca_file NULL: the system's
 * trust store. */
struct tls_ctx	*tls_ctx_new(int verify, const char *ca_file,
		    struct clr_err *);
void		 tls_ctx_free(struct tls_ctx *);

/* A client session for server_name (a host name or an IP literal). */
struct tls_conn	*tls_conn_new(struct tls_ctx *, const char *server_name,
		    struct clr_err *);
void		 tls_conn_free(struct tls_conn *);

/* Ciphertext from the network. 0, or CLR_ENOMEM. */
int	tls_conn_feed(struct tls_conn *, const void *, size_t);

/*
 * Advance the handshake: 1 done, 0 more input is needed (take the output
 * first), CLR_EIO failed, with why in err (a certificate that does not
 * verify says which check failed).
 */
int	tls_conn_handshake(struct tls_conn *, struct clr_err *);

/* Plaintext out: the number of octets, 0 for none until more input, or
 * CLR_EIO (the peer closed the session or broke it: err says which). */
ssize_t	tls_conn_read(struct tls_conn *, void *, size_t, struct clr_err *);

/* Plaintext in: all of it is taken. 0, or CLR_EIO with err. */
int	tls_conn_write(struct tls_conn *, const void *, size_t,
	    struct clr_err *);

/* Say goodbye (close_notify); its bytes come out of tls_conn_take. */
void	tls_conn_close(struct tls_conn *);

/* Ciphertext for the network: octets copied into buf, 0 when none. */
size_t	tls_conn_take(struct tls_conn *, void *buf, size_t size);
size_t	tls_conn_pending(const struct tls_conn *);

/* For logs: "TLSv1.3 TLS_AES_256_GCM_SHA384", once the handshake is done. */
const char	*tls_conn_describe(const struct tls_conn *);

#endif
