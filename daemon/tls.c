/* SPDX-License-Identifier: ISC */
/*
 * daemon/tls.c - client TLS on memory BIOs
 *
 * Each session has two memory BIOs: rbio holds what the network sent and
 * OpenSSL has not read yet, wbio what OpenSSL wrote for the network. The
 * caller moves bytes between them and the socket. Errors are read off
 * OpenSSL's error queue at once, so one connection's failure never shows
 * up in another's message.
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "tls.h"
#include "util/alloc.h"

struct tls_ctx {
	SSL_CTX		*ctx;
	int		 verify;
};

struct tls_conn {
	SSL		*ssl;
	BIO		*rbio;		/* network -> OpenSSL */
	BIO		*wbio;		/* OpenSSL -> network */
	int		 verify;
	char		 desc[96];
};

/* ssl_reason - the newest error on OpenSSL's queue, which is emptied. */
static const char *
ssl_reason(char *buf, size_t size)
{
	unsigned long	 e, last = 0;

	while ((e = ERR_get_error()) != 0)
		last = e;
	if (last == 0)
		snprintf(buf, size, "no detail from OpenSSL");
	else
		ERR_error_string_n(last, buf, size);
	return buf;
}

struct tls_ctx *
tls_ctx_new(int verify, const char *ca_file, struct clr_err *err)
{
	struct tls_ctx	*t;
	char		 why[256];

	if ((t = clr_calloc(1, sizeof(*t))) == NULL) {
		clr_err_set(err, CLR_ENOMEM, "out of memory");
		return NULL;
	}
	ERR_clear_error();
	t->verify = verify;
	if ((t->ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		goto ssl;
	if (SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION) != 1)
		goto ssl;
	/* Renegotiation and compression: nothing SMTP needs. */
	SSL_CTX_set_options(t->ctx, SSL_OP_NO_COMPRESSION |
	    SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_mode(t->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (verify) {
		SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, NULL);
		if (ca_file != NULL) {
			if (SSL_CTX_load_verify_locations(t->ctx, ca_file,
			    NULL) != 1) {
				clr_err_set(err, CLR_EIO, "%s: cannot load CA "
				    "certificates: %s", ca_file,
				    ssl_reason(why, sizeof(why)));
				goto fail;
			}
		} else if (SSL_CTX_set_default_verify_paths(t->ctx) != 1)
			goto ssl;
	} else
		SSL_CTX_set_verify(t->ctx, SSL_VERIFY_NONE, NULL);
	return t;
ssl:
	clr_err_set(err, CLR_EIO, "OpenSSL: %s", ssl_reason(why, sizeof(why)));
fail:
	tls_ctx_free(t);
	return NULL;
}

void
tls_ctx_free(struct tls_ctx *t)
{
	if (t == NULL)
		return;
	SSL_CTX_free(t->ctx);
	clr_free(t);
}

/* is_ip_literal - an IPv4 or IPv6 address, which gets no SNI (RFC 6066). */
static int
is_ip_literal(const char *s)
{
	unsigned char	 a[16];

	return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
}

struct tls_conn *
tls_conn_new(struct tls_ctx *ctx, const char *server_name,
    struct clr_err *err)
{
	struct tls_conn	*c;
	char		 why[256];

	if ((c = clr_calloc(1, sizeof(*c))) == NULL) {
		clr_err_set(err, CLR_ENOMEM, "out of memory");
		return NULL;
	}
	ERR_clear_error();
	c->verify = ctx->verify;
	if ((c->rbio = BIO_new(BIO_s_mem())) == NULL ||
	    (c->wbio = BIO_new(BIO_s_mem())) == NULL ||
	    (c->ssl = SSL_new(ctx->ctx)) == NULL)
		goto ssl;
	/* An empty rbio means "no more yet", not end of file. */
	BIO_set_mem_eof_return(c->rbio, -1);
	SSL_set_bio(c->ssl, c->rbio, c->wbio);	/* SSL owns them now */
	SSL_set_connect_state(c->ssl);
	if (is_ip_literal(server_name)) {
		if (ctx->verify && X509_VERIFY_PARAM_set1_ip_asc(
		    SSL_get0_param(c->ssl), server_name) != 1)
			goto ssl;
	} else {
		/* The macro casts the name to void *: give it a char *. */
		union { const char *in; char *out; } sni = { server_name };

		if (SSL_set_tlsext_host_name(c->ssl, sni.out) != 1)
			goto ssl;
		/* The name must match exactly or by a leftmost wildcard. */
		SSL_set_hostflags(c->ssl,
		    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
		if (ctx->verify && SSL_set1_host(c->ssl, server_name) != 1)
			goto ssl;
	}
	return c;
ssl:
	clr_err_set(err, CLR_EIO, "OpenSSL: %s", ssl_reason(why, sizeof(why)));
	if (c->ssl != NULL && SSL_get_rbio(c->ssl) == c->rbio)
		SSL_free(c->ssl);	/* and the BIOs it owns */
	else {
		SSL_free(c->ssl);
		BIO_free(c->rbio);
		BIO_free(c->wbio);
	}
	clr_free(c);
	return NULL;
}

void
tls_conn_free(struct tls_conn *c)
{
	if (c == NULL)
		return;
	SSL_free(c->ssl);	/* and the BIOs */
	clr_free(c);
}

int
tls_conn_feed(struct tls_conn *c, const void *p, size_t n)
{
	while (n > 0) {
		int	 chunk = n > 65536 ? 65536 : (int)n;
		int	 w = BIO_write(c->rbio, p, chunk);

		if (w <= 0)
			return CLR_ENOMEM;
		p = (const char *)p + w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * failure - why an SSL call failed: the certificate check that did not
 * pass, OpenSSL's reason, or the peer's going away.
 */
static int
failure(struct tls_conn *c, int ret, const char *during, struct clr_err *err)
{
	char	 why[256];
	long	 v;
	int	 e = SSL_get_error(c->ssl, ret);

	if (c->verify && (v = SSL_get_verify_result(c->ssl)) != X509_V_OK) {
		ERR_clear_error();
		return clr_err_set(err, CLR_EIO, "TLS %s: the server's "
		    "certificate does not verify: %s", during,
		    X509_verify_cert_error_string(v));
	}
	if (e == SSL_ERROR_ZERO_RETURN)
		return clr_err_set(err, CLR_EIO, "TLS %s: the server closed "
		    "the TLS session", during);
	if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)
		return clr_err_set(err, CLR_EIO, "TLS %s: the connection "
		    "broke", during);
	return clr_err_set(err, CLR_EIO, "TLS %s: %s", during,
	    ssl_reason(why, sizeof(why)));
}

int
tls_conn_handshake(struct tls_conn *c, struct clr_err *err)
{
	int	 r, e;

	ERR_clear_error();
	r = SSL_do_handshake(c->ssl);
	if (r == 1) {
		snprintf(c->desc, sizeof(c->desc), "%s %s",
		    SSL_get_version(c->ssl), SSL_get_cipher_name(c->ssl));
		return 1;
	}
	e = SSL_get_error(c->ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
		return 0;
	return failure(c, r, "handshake", err);
}

ssize_t
tls_conn_read(struct tls_conn *c, void *buf, size_t size,
    struct clr_err *err)
{
	size_t	 got = 0;
	int	 r, e;

	ERR_clear_error();
	r = SSL_read_ex(c->ssl, buf, size, &got);
	if (r == 1)
		return (ssize_t)got;
	e = SSL_get_error(c->ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
		return 0;
	return failure(c, r, "read", err);
}

int
tls_conn_write(struct tls_conn *c, const void *p, size_t n,
    struct clr_err *err)
{
	size_t	 done;
	int	 r;

	/* A memory wbio takes everything: one call writes it all. */
	while (n > 0) {
		ERR_clear_error();
		r = SSL_write_ex(c->ssl, p, n, &done);
		if (r != 1)
			return failure(c, r, "write", err);
		p = (const char *)p + done;
		n -= done;
	}
	return 0;
}

void
tls_conn_close(struct tls_conn *c)
{
	ERR_clear_error();
	(void)SSL_shutdown(c->ssl);
	ERR_clear_error();
}

size_t
tls_conn_take(struct tls_conn *c, void *buf, size_t size)
{
	int	 r;

	if (size > 1 << 30)
		size = 1 << 30;
	r = BIO_read(c->wbio, buf, (int)size);
	return r > 0 ? (size_t)r : 0;
}

size_t
tls_conn_pending(const struct tls_conn *c)
{
	return BIO_ctrl_pending(c->wbio);
}

const char *
tls_conn_describe(const struct tls_conn *c)
{
	return c->desc;
}
