/* SPDX-License-Identifier: ISC */
/*
 * util/str.c - small string helpers
 */
#include <string.h>

#include "err.h"
#include "str.h"

int
str_tonum(const char *s, size_t n, int64_t min, int64_t max, int64_t *out,
    const char **errstr)
{
	uint64_t	 v = 0, limit;
	size_t		 i = 0;
	int		 neg = 0;
	const char	*e = "is not a number";

	if (n > 0 && s[0] == '-') {
		neg = 1;
		i = 1;
	}
	if (i == n)
		goto fail;
	/* Magnitude limit for the sign we saw: |INT64_MIN| = INT64_MAX + 1. */
	limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < n; i++) {
		unsigned	 d;

		if (s[i] < '0' || s[i] > '9')
			goto fail;
		d = (unsigned)(s[i] - '0');
		if (v > (limit - d) / 10) {
			e = neg ? "is too small" : "is too large";
			goto fail;
		}
		v = v * 10 + d;
	}
	if (neg) {
		int64_t	 r = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN :
		    -(int64_t)v;

		if (r < min) {
			e = "is too small";
			goto fail;
		}
		if (r > max) {
			e = "is too large";
			goto fail;
		}
		*out = r;
	} else {
		if ((int64_t)v > max) {
			e = "is too large";
			goto fail;
		}
		if ((int64_t)v < min) {
			e = "is too small";
			goto fail;
		}
		*out = (int64_t)v;
	}
	return 0;
fail:
	if (errstr != NULL)
		*errstr = e;
	return CLR_EINVAL;
}

int
str_ieq(const char *s, size_t n, const char *lit)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (lit[i] == '\0' ||
		    str_ascii_lower((unsigned char)s[i]) !=
		    str_ascii_lower((unsigned char)lit[i]))
			return 0;
	}
	return lit[n] == '\0';
}

void
str_trim(const char **s, size_t *n)
{
	while (*n > 0 && ((*s)[0] == ' ' || (*s)[0] == '\t')) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
		(*n)--;
}

void
str_fold(const char *text, char *out, size_t size)
{
	size_t	 o = 0;
	int	 space = 0;

	for (; text != NULL && *text != '\0' && o + 1 < size; text++) {
		unsigned char	 c = (unsigned char)*text;

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			space = 1;
			continue;
		}
		if (space && o > 0) {
			if (o + 2 >= size)
				break;	/* no room for a word after it */
			out[o++] = ' ';
		}
		space = 0;
		out[o++] = (char)str_ascii_lower(c);
	}
	out[o] = '\0';
}

unsigned
str_distance(const char *a, const char *b)
{
	unsigned	 row[64], prev, tmp, best;
	size_t		 la = strlen(a), lb = strlen(b), i, j;

	/* Long names are never typos worth suggesting. */
	if (la >= 64 || lb >= 64)
		return 255;
	for (j = 0; j <= lb; j++)
		row[j] = (unsigned)j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = (unsigned)i;
		for (j = 1; j <= lb; j++) {
			tmp = row[j];
			best = prev + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = tmp;
		}
	}
	return row[lb] > 255 ? 255 : row[lb];
}
