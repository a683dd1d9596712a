/* SPDX-License-Identifier: ISC */
/*
 * token/token.h - signed tokens for VERP addresses and unsubscribe links
 *
 * A token names a campaign run and a contact and carries a truncated
 * HMAC-SHA256 (TOKEN_MAC_BYTES) over them under a secret key, so that a
 * bounce or an unsubscribe request can be attributed to them, and one
 * that was forged, altered or made for another purpose is refused. Each
 * kind has its own MAC domain: a VERP token is no unsubscribe token.
 *
 * Tokens are lower-case base32 (RFC 4648 alphabet, no padding): safe in a
 * URL path and in an address's local part, which many systems fold to
 * lower case. MACs are compared in constant time.
 */
#ifndef CLARION_TOKEN_H
#define CLARION_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define TOKEN_KEY_MIN		32	/* bytes of key material */
#define TOKEN_MAC_BYTES		10	/* 80 bits */
#define TOKEN_MAX		64	/* characters of a token */

enum token_kind {
	TOKEN_VERP,		/* bounce attribution: the envelope sender */
	TOKEN_UNSUBSCRIBE	/* the List-Unsubscribe link */
};

struct token_key;

/*
 * Load a key file: at least TOKEN_KEY_MIN bytes, used as they are (make
 * one with "head -c 32 /dev/urandom > FILE"). A file that group or others
 * may read or write is refused, as are an empty or short file.
 */
struct token_key	*token_key_load(const char *path, struct clr_err *err);
/*
 * Make a new key file at path: TOKEN_KEY_MIN random bytes from the
 * system's generator, mode 0600, never over an existing file.
 */
int			 token_key_generate(const char *path,
			    struct clr_err *err);
/* A key from memory (copied), for tests. NULL if shorter than the min. */
struct token_key	*token_key_new(const void *key, size_t len);
void			 token_key_free(struct token_key *);

/* The token for (kind, campaign, contact), NUL-terminated, into out. */
int	 token_make(const struct token_key *, enum token_kind,
	    uint64_t campaign, uint64_t contact, char out[TOKEN_MAX + 1]);

/*
 * Check tok[0..len): 0 and the ids if it is a well-formed token of this
 * kind whose MAC verifies, CLR_EINVAL otherwise (never saying which part
 * failed).
 */
int	 token_check(const struct token_key *, enum token_kind,
	    const char *tok, size_t len, uint64_t *campaign,
	    uint64_t *contact);

#endif
