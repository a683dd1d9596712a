/* SPDX-License-Identifier: ISC */
/*
 * util/str.h - small string helpers (ASCII only, locale independent)
 */
#ifndef CLARION_UTIL_STR_H
#define CLARION_UTIL_STR_H

#include <stddef.h>
#include <stdint.h>

/*
 * Parse a base-10 integer in [min, max] from s[0..n) (no sign other than a
 * leading '-', no spaces, no trailing garbage), as OpenBSD's strtonum. On
 * failure returns a negative CLR_E* code and, if errstr is not NULL, a static
 * text ("is not a number", "is too small", "is too large").
 */
int	 str_tonum(const char *s, size_t n, int64_t min, int64_t max,
	    int64_t *out, const char **errstr);

static inline int
str_ascii_lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

/* Case-insensitive (ASCII) comparison of s[0..n) with the C string lit. */
int	 str_ieq(const char *s, size_t n, const char *lit);

/* Narrow [*s, *s + *n) past leading and trailing spaces and tabs. */
void	 str_trim(const char **s, size_t *n);

/*
 * text (NULL: none) into out, ASCII lower-cased, each run of white space
 * (space, tab, CR, LF) one space, none leading or trailing; truncated to
 * fit size (>= 1). For matching patterns across the lines of a reply.
 */
void	 str_fold(const char *text, char *out, size_t size);

/* Edit distance, for "did you mean" hints; capped at 255. */
unsigned str_distance(const char *a, const char *b);

#endif
