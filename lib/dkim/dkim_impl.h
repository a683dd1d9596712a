/* SPDX-License-Identifier: ISC */
/*
 * dkim/dkim_impl.h - internal: relaxed canonicalisation and the h= list
 *
 * Shared by dkim.c and canon.c, and used by tests/unit/dkim_test.c to check
 * the canonical forms directly. Nothing here touches OpenSSL: canonical
 * text goes to a sink, which dkim.c points at a digest and the tests at a
 * buf.
 */
#ifndef CLARION_DKIM_IMPL_H
#define CLARION_DKIM_IMPL_H

#include <stddef.h>

#include "dkim.h"

#define DKIM__MAX_HEADERS	64	/* names in h= */
#define DKIM__MAX_NAME		64	/* octets in one h= name */
#define DKIM__SINK_SIZE		1024	/* bytes a sink holds before flush */

/*
 * A bounded output buffer in front of a flush function (a digest update).
 * Callers put bytes; the sink hands them on DKIM__SINK_SIZE at a time, and
 * runs longer than that directly. The first flush error sticks: later puts
 * are dropped and dkim__sink_finish returns it.
 */
struct dkim__sink {
	int		(*flush)(void *, const void *, size_t); /* 0, CLR_E* */
	void		*arg;
	int		 err;		/* first flush error, sticky */
	size_t		 len;		/* bytes in buf */
	unsigned char	 buf[DKIM__SINK_SIZE];
};

void	 dkim__sink_init(struct dkim__sink *,
	    int (*)(void *, const void *, size_t), void *);
void	 dkim__sink_put(struct dkim__sink *, const void *, size_t);
int	 dkim__sink_finish(struct dkim__sink *);	/* flush; 0 or err */

/* One entry of h=, in order. */
struct dkim__hname {
	char	 name[DKIM__MAX_NAME + 1];	/* lower case */
	size_t	 len;
	size_t	 distinct;	/* index in dkim__hset.d */
	size_t	 nth;		/* 0: the bottom-most instance, 1: the next
				   one up, ... */
};

/* One distinct name of h=: where its candidate instances are kept. */
struct dkim__hdistinct {
	size_t	 first;		/* first h= entry with this name */
	size_t	 slots;		/* how many times h= lists it */
	size_t	 base;		/* its first slot (slots sum to n) */
};

/* The h= list, checked and indexed once per signer. */
struct dkim__hset {
	size_t			 n;
	size_t			 ndistinct;
	struct dkim__hname	 h[DKIM__MAX_HEADERS];
	struct dkim__hdistinct	 d[DKIM__MAX_HEADERS];
};

/*
 * Check and index an h= list: 1 to DKIM__MAX_HEADERS field names (RFC
 * 5322 ftext, at most DKIM__MAX_NAME octets, any case), one of them
 * "from". 0, or CLR_EINVAL with err set.
 */
int	 dkim__hset_init(struct dkim__hset *, const char *const *names,
	    size_t n, struct clr_err *err);

/*
 * The length of the header section of msg[0..len): the offset of the
 * empty line that ends it, so the header fields are msg[0..n) (each
 * ending in CRLF) and the body starts at n + 2. (size_t)-1 if the
 * message has no empty line.
 */
size_t	 dkim__header_len(const char *msg, size_t len);

/*
 * Relaxed header canonicalisation (RFC 6376 3.4.2) of one raw field,
 * "Name: value" with its continuation lines but not its final CRLF:
 * puts "name:value", lower-case name, unfolded, runs of WSP as one SP,
 * none at either end of the value. No CRLF is added.
 */
void	 dkim__canon_field(struct dkim__sink *, const char *field, size_t len);

/*
 * The signed header fields of the header section hdr[0..len) (as given by
 * dkim__header_len), in h= order, each canonicalised and followed by
 * CRLF. Instances of a name are taken from the bottom up; an h= entry
 * with no instance left is the null string: no name, colon, value or
 * CRLF (RFC 6376 3.5 h=, 5.4.2).
 */
void	 dkim__canon_headers(const struct dkim__hset *, const char *hdr,
	    size_t len, struct dkim__sink *);

/*
 * Relaxed body canonicalisation (RFC 6376 3.4.4) of body[0..len): WSP at
 * the end of a line dropped, other runs of WSP made one SP, empty lines at
 * the end dropped, and a CRLF added after a last line that lacks one; an
 * empty result stays empty. Only CRLF ends a line: a bare CR or LF is an
 * ordinary byte.
 */
void	 dkim__canon_body(struct dkim__sink *, const char *body, size_t len);

#endif
