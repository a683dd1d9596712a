/* SPDX-License-Identifier: ISC */
/*
 * dkim/dkim.h - DKIM signatures (RFC 6376, RFC 8463)
 *
 * Signs a message with rsa-sha256 or ed25519-sha256 (the key decides),
 * relaxed/relaxed canonicalisation, no l= tag. The DKIM-Signature header
 * is written with its tags in the order of RFC 8463's examples (v, a, c,
 * d, i, q, s, t, h, bh, b), folded, so that signing RFC 8463's message
 * with its keys reproduces its b= values exactly.
 *
 * The header names to sign are given in order; a name given more times
 * than the message has that header signs the missing instances as the
 * null string: nothing is hashed for them (RFC 6376 3.5, 5.4.2). That is
 * how From is over-signed: no one can add a From header later without
 * breaking the signature.
 *
 * Keys: RSA of 2048 bits or more, or Ed25519, in PEM (PKCS#8 or PKCS#1).
 * A key file that group or others may read or write is refused. Signing is
 * read-only on the key and signer: several threads may sign at once.
 */
#ifndef CLARION_DKIM_H
#define CLARION_DKIM_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct buf;
struct dkim_key;
struct dkim_signer;

#define DKIM_KEY_ALLOW_SHORT_RSA	0x01	/* tests only: RFC 8463's
						   example key is RSA-1024 */

struct dkim_key	*dkim_key_load(const char *path, unsigned flags,
		    struct clr_err *err);
void		 dkim_key_free(struct dkim_key *);
/* "rsa-sha256" or "ed25519-sha256". */
const char	*dkim_key_algorithm(const struct dkim_key *);

/*
 * Make a new private key at path, created with mode 0600 and never over
 * an existing file: algorithm "rsa-sha256" (bits from 2048 to 16384) or
 * "ed25519-sha256" (bits ignored). PEM, PKCS#8. 0 or CLR_E* with err.
 */
int		 dkim_key_generate(const char *path, const char *algorithm,
		    unsigned bits, struct clr_err *err);

/*
 * Append the DNS TXT record value that publishes the key's public half:
 * "v=DKIM1; k=rsa; p=..." (SubjectPublicKeyInfo, RFC 6376 3.6.1) or
 * "v=DKIM1; k=ed25519; p=..." (the raw 32-byte key, RFC 8463 4).
 */
int		 dkim_key_dns_record(const struct dkim_key *, struct buf *out,
		    struct clr_err *err);

struct dkim_params {
	const char		*domain;	/* d= */
	const char		*selector;	/* s= */
	const char		*identity;	/* i=, or NULL for none */
	const char *const	*headers;	/* h=, lower or any case */
	size_t			 nheaders;
};

/*
 * A signer for one key and set of tags (all copied; the key is borrowed
 * and must outlive the signer). NULL with err filled on bad params (a
 * domain or selector that is not a DNS name, an empty or missing h=
 * list, or one without "from").
 */
struct dkim_signer	*dkim_signer_new(const struct dkim_key *,
			    const struct dkim_params *, struct clr_err *err);
void			 dkim_signer_free(struct dkim_signer *);

/*
 * Sign msg[0..len) (headers, CRLF, body; lines ending in CRLF) as of time
 * now (the t= tag), appending "DKIM-Signature: ...\r\n" to out, to be put
 * before the message's first header. 0, or a CLR_E* code with err set
 * (a message with no header/body separator, an OpenSSL failure).
 */
int	 dkim_sign(const struct dkim_signer *, const char *msg, size_t len,
	    int64_t now, struct buf *out, struct clr_err *err);

#endif
