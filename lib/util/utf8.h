/* SPDX-License-Identifier: ISC */
/*
 * util/utf8.h - strict UTF-8 validation and decoding
 *
 * Strict means RFC 3629: no overlong forms, no surrogates (U+D800..DFFF), no
 * code point above U+10FFFF, no truncated sequence.
 */
#ifndef CLARION_UTIL_UTF8_H
#define CLARION_UTIL_UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * Decode the code point at s (n > 0 bytes available). Returns the length of
 * the sequence (1..4) and stores the code point in *cp, or returns 0 when
 * the bytes at s do not start a valid sequence.
 */
size_t	 utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

/*
 * Returns 1 if s[0..n) is valid UTF-8. Otherwise returns 0 and, if bad is
 * not NULL, stores the offset of the first byte that is not part of a valid
 * sequence.
 */
int	 utf8_valid(const void *s, size_t n, size_t *bad);

/* Encode cp (<= U+10FFFF, not a surrogate) into out[4]; returns 1..4 or 0. */
size_t	 utf8_encode(uint32_t cp, unsigned char out[4]);

#endif
