/* SPDX-License-Identifier: ISC */
/*
 * tests/fuzz/fuzz_token.c - libFuzzer target for token_check
 *
 * The first octet picks the kind (bit 0); the rest is checked as a
 * token under a fixed key. token_check may accept it only if it is the
 * token token_make writes for the ids it returns, letter case aside
 * (token.c accepts upper case on purpose): that is asserted by making
 * the token again. An accepted token must also fail as the other kind.
 * Then the first 16 octets, as two ids, must round trip through
 * token_make and token_check.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "token/token.h"
#include "util/err.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct token_key	*key;

static const unsigned char	 key_bytes[32] = {
	0x63, 0x6c, 0x61, 0x72, 0x69, 0x6f, 0x6e, 0x2d,
	0x66, 0x75, 0x7a, 0x7a, 0x2d, 0x6b, 0x65, 0x79,
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
	0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		 made[TOKEN_MAX + 1];
	const char	*tok;
	enum token_kind	 kind, other;
	uint64_t	 ca = 0, co = 0, a, b;
	size_t		 len, i;

	if (key == NULL && (key = token_key_new(key_bytes,
	    sizeof(key_bytes))) == NULL)
		abort();
	if (size == 0)
		return 0;
	kind = data[0] & 1 ? TOKEN_UNSUBSCRIBE : TOKEN_VERP;
	other = kind == TOKEN_VERP ? TOKEN_UNSUBSCRIBE : TOKEN_VERP;
	tok = (const char *)data + 1;
	len = size - 1;

	if (token_check(key, kind, tok, len, &ca, &co) == 0) {
		if (token_make(key, kind, ca, co, made) != 0 ||
		    strlen(made) != len)
			abort();
		for (i = 0; i < len; i++) {
			char	 c = tok[i];

			if (c >= 'A' && c <= 'Z')
				c = (char)(c - 'A' + 'a');
			if (c != made[i])
				abort();
		}
		if (token_check(key, other, tok, len, NULL, NULL) !=
		    CLR_EINVAL)
			abort();
	}

	if (len >= 16) {
		memcpy(&a, tok, 8);
		memcpy(&b, tok + 8, 8);
		if (token_make(key, kind, a, b, made) != 0 ||
		    token_check(key, kind, made, strlen(made), &ca, &co) != 0 ||
		    ca != a || co != b ||
		    token_check(key, other, made, strlen(made), NULL, NULL) !=
		    CLR_EINVAL)
			abort();
	}
	return 0;
}
