/* SPDX-License-Identifier: ISC */
/*
 * util/json.c - JSON text output and validation
 */
#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "json.h"
#include "utf8.h"

int
json_put_string(struct buf *b, const char *s, size_t n)
{
	static const char	 hex[] = "0123456789abcdef";
	size_t			 i, run = 0;
	int			 rc;

	if ((rc = buf_putc(b, '"')) != 0)
		return rc;
	for (i = 0; i < n; i++) {
		unsigned char	 c = (unsigned char)s[i];
		char		 esc[7];
		size_t		 elen = 2;

		if (c >= 0x20 && c != '"' && c != '\\' &&
		    !(c == 0xE2 && i + 2 < n && (unsigned char)s[i + 1] == 0x80 &&
		    ((unsigned char)s[i + 2] & 0xFE) == 0xA8))
			continue;
		/* Flush the plain run before the byte that needs escaping. */
		if ((rc = buf_append(b, s + run, i - run)) != 0)
			return rc;
		esc[0] = '\\';
		switch (c) {
		case '"':  esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		case 0xE2:	/* U+2028 LINE / U+2029 PARAGRAPH SEPARATOR */
			snprintf(esc, sizeof(esc), "\\u%04X",
			    0x2000u | ((unsigned char)s[i + 2] & 0x3Fu));
			elen = 6;
			i += 2;
			break;
		default:
			esc[1] = 'u';
			esc[2] = '0';
			esc[3] = '0';
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 0xF];
			elen = 6;
		}
		if ((rc = buf_append(b, esc, elen)) != 0)
			return rc;
		run = i + 1;
	}
	if ((rc = buf_append(b, s + run, n - run)) != 0)
		return rc;
	return buf_putc(b, '"');
}

/*
 * The validator: a recursive-descent check with an explicit depth bound.
 * Each function takes the position and returns the position after what it
 * read, or NULL.
 */
struct jcheck {
	const unsigned char	*s, *end;
	int			 depth;
};

static const unsigned char *
skip_ws(const struct jcheck *j, const unsigned char *p)
{
	while (p < j->end && (*p == ' ' || *p == '\t' || *p == '\n' ||
	    *p == '\r'))
		p++;
	return p;
}

static int
hex4(const unsigned char *p, const unsigned char *end, uint32_t *v)
{
	int	 i;

	if (end - p < 4)
		return 0;
	*v = 0;
	for (i = 0; i < 4; i++) {
		unsigned char	 c = p[i];

		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*v |= (uint32_t)(c - 'A' + 10);
		else
			return 0;
	}
	return 1;
}

static const unsigned char *
check_string(const struct jcheck *j, const unsigned char *p)
{
	uint32_t	 cp, lo;
	size_t		 len;

	if (p >= j->end || *p != '"')
		return NULL;
	for (p++; p < j->end; ) {
		if (*p == '"')
			return p + 1;
		if (*p < 0x20)
			return NULL;
		if (*p == '\\') {
			if (++p >= j->end)
				return NULL;
			switch (*p) {
			case '"': case '\\': case '/': case 'b': case 'f':
			case 'n': case 'r': case 't':
				p++;
				continue;
			case 'u':
				if (!hex4(p + 1, j->end, &cp))
					return NULL;
				p += 5;
				if (cp >= 0xDC00 && cp <= 0xDFFF)
					return NULL;	/* a lone low half */
				if (cp >= 0xD800 && cp <= 0xDBFF) {
					if (j->end - p < 6 || p[0] != '\\' ||
					    p[1] != 'u' ||
					    !hex4(p + 2, j->end, &lo) ||
					    lo < 0xDC00 || lo > 0xDFFF)
						return NULL;
					p += 6;
				}
				continue;
			default:
				return NULL;
			}
		}
		if (*p < 0x80) {
			p++;
			continue;
		}
		if ((len = utf8_decode(p, (size_t)(j->end - p), &cp)) == 0)
			return NULL;
		p += len;
	}
	return NULL;
}

static const unsigned char *
check_number(const struct jcheck *j, const unsigned char *p)
{
	const unsigned char	*start;

	if (p < j->end && *p == '-')
		p++;
	if (p >= j->end)
		return NULL;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (p < j->end && *p >= '0' && *p <= '9')
			p++;
	else
		return NULL;
	if (p < j->end && *p == '.') {
		start = ++p;
		while (p < j->end && *p >= '0' && *p <= '9')
			p++;
		if (p == start)
			return NULL;
	}
	if (p < j->end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < j->end && (*p == '+' || *p == '-'))
			p++;
		start = p;
		while (p < j->end && *p >= '0' && *p <= '9')
			p++;
		if (p == start)
			return NULL;
	}
	return p;
}

static const unsigned char *
check_literal(const struct jcheck *j, const unsigned char *p, const char *lit)
{
	for (; *lit != '\0'; lit++, p++)
		if (p >= j->end || *p != (unsigned char)*lit)
			return NULL;
	return p;
}

static const unsigned char	*check_value(struct jcheck *,
				    const unsigned char *);

/* check_container - an object or an array, p at its opening bracket. */
static const unsigned char *
check_container(struct jcheck *j, const unsigned char *p)
{
	int	 object = *p == '{';
	char	 close = object ? '}' : ']';

	if (++j->depth > JSON_MAX_DEPTH)
		return NULL;
	p = skip_ws(j, p + 1);
	if (p < j->end && *p == close) {
		j->depth--;
		return p + 1;
	}
	for (;;) {
		if (object) {
			if ((p = check_string(j, p)) == NULL)
				return NULL;
			p = skip_ws(j, p);
			if (p >= j->end || *p != ':')
				return NULL;
			p = skip_ws(j, p + 1);
		}
		if ((p = check_value(j, p)) == NULL)
			return NULL;
		p = skip_ws(j, p);
		if (p >= j->end)
			return NULL;
		if (*p == close) {
			j->depth--;
			return p + 1;
		}
		if (*p != ',')
			return NULL;
		p = skip_ws(j, p + 1);
	}
}

static const unsigned char *
check_value(struct jcheck *j, const unsigned char *p)
{
	if (p >= j->end)
		return NULL;
	switch (*p) {
	case '{':
	case '[':
		return check_container(j, p);
	case '"':
		return check_string(j, p);
	case 't':
		return check_literal(j, p, "true");
	case 'f':
		return check_literal(j, p, "false");
	case 'n':
		return check_literal(j, p, "null");
	default:
		return check_number(j, p);
	}
}

int
json_valid_object(const char *s, size_t n)
{
	struct jcheck		 j;
	const unsigned char	*p;

	j.s = (const unsigned char *)s;
	j.end = j.s + n;
	j.depth = 0;
	p = skip_ws(&j, j.s);
	if (p >= j.end || *p != '{')
		return 0;
	if ((p = check_container(&j, p)) == NULL)
		return 0;
	return skip_ws(&j, p) == j.end;
}
