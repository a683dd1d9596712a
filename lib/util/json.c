/* SPDX-License-Identifier: ISC */
/*
 * util/json.c - JSON text output, validation and parsing (RFC 8259)
 *
 * Three independent parts: json_put_string and json_write produce JSON;
 * json_valid_object checks a text without allocating; json_parse builds a
 * tree. The parser repeats the validator's grammar rather than sharing it,
 * so that the validator stays allocation-free and small; the fuzz target
 * fuzz_jsonparse checks that the two accept the same texts.
 *
 * Neither reads numbers: a number is kept as the text it was written as,
 * which is what a template prints and what a round trip must preserve.
 * Trust boundary: input is untrusted (contact attributes arrive in CSV
 * files). Depth is bounded (JSON_MAX_DEPTH) so recursion is too, and
 * json_parse refuses texts longer than JSON_PARSE_MAX.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "buf.h"
#include "err.h"
#include "json.h"
#include "utf8.h"

struct jcheck;
struct jparse;

static const unsigned char *skip_ws(const struct jcheck *,
		    const unsigned char *);
static int	 hex4(const unsigned char *, const unsigned char *,
		    uint32_t *);
static const unsigned char *check_string(const struct jcheck *,
		    const unsigned char *);
static const unsigned char *check_number(const struct jcheck *,
		    const unsigned char *);
static const unsigned char *check_literal(const struct jcheck *,
		    const unsigned char *, const char *);
static const unsigned char *check_container(struct jcheck *,
		    const unsigned char *);
static const unsigned char *check_value(struct jcheck *,
		    const unsigned char *);

static int	 parse_fail(struct jparse *, const unsigned char *, int,
		    const char *, ...) __attribute__((format(printf, 4, 5)));
static void	 parse_nomem(struct jparse *);
static const char *parse_what(const struct jparse *, const unsigned char *,
		    char *, size_t);
static void	 parse_ws(struct jparse *);
static struct json_value *parse_node(struct jparse *, enum json_type);
static int	 parse_string(struct jparse *, char **, size_t *);
static struct json_value *parse_number(struct jparse *);
static struct json_value *parse_literal(struct jparse *);
static struct json_value *parse_array(struct jparse *);
static struct json_value *parse_object(struct jparse *);
static struct json_value *parse_value(struct jparse *);

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

/*
 * The parser: recursive descent over the same grammar, building the tree
 * bottom up. Each parse_* function reads from j->p and leaves j->p after
 * what it read, or returns NULL (or -1) with j->rc and err set; a partly
 * built value is freed by the function that built it. Strings are decoded
 * into one scratch buf and copied out at their exact length.
 */
struct jparse {
	const unsigned char	*s, *p, *end;
	int			 depth;
	int			 rc;		/* first error, 0 if none */
	struct buf		 scratch;	/* decoded string bytes */
	struct clr_err		*err;
};

/* parse_fail - record an error at position at: "line L, column C: ...". */
static int
parse_fail(struct jparse *j, const unsigned char *at, int code,
    const char *fmt, ...)
{
	const unsigned char	*q;
	unsigned long		 line = 1, col = 1;
	char			 what[200];
	va_list			 ap;

	if (j->rc != 0)
		return j->rc;
	j->rc = code;
	/* Columns count characters: every byte but UTF-8 continuations. */
	for (q = j->s; q < at && q < j->end; q++) {
		if (*q == '\n') {
			line++;
			col = 1;
		} else if ((*q & 0xC0) != 0x80)
			col++;
	}
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	clr_err_set(j->err, code, "line %lu, column %lu: %s", line, col, what);
	return code;
}

static void
parse_nomem(struct jparse *j)
{
	if (j->rc == 0) {
		j->rc = CLR_ENOMEM;
		clr_err_set(j->err, CLR_ENOMEM, "out of memory");
	}
}

/* parse_what - the character at p, for a message: 'x', byte 0xNN, or end. */
static const char *
parse_what(const struct jparse *j, const unsigned char *p, char *out,
    size_t outlen)
{
	if (p >= j->end)
		snprintf(out, outlen, "end of input");
	else if (*p > 0x20 && *p < 0x7F)
		snprintf(out, outlen, "'%c'", *p);
	else
		snprintf(out, outlen, "byte 0x%02X", *p);
	return out;
}

static void
parse_ws(struct jparse *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' ||
	    *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static struct json_value *
parse_node(struct jparse *j, enum json_type type)
{
	struct json_value	*v;

	if ((v = clr_calloc(1, sizeof(*v))) == NULL) {
		parse_nomem(j);
		return NULL;
	}
	v->type = type;
	return v;
}

/*
 * parse_string - decode the string at j->p into a new NUL-terminated copy
 * (*out, *outlen bytes). Returns 0 or -1.
 */
static int
parse_string(struct jparse *j, char **out, size_t *outlen)
{
	const unsigned char	*start = j->p, *p;
	unsigned char		 enc[4];
	uint32_t		 cp, lo;
	size_t			 len;
	char			 what[32];

	buf_reset(&j->scratch);
	if (j->p >= j->end || *j->p != '"') {
		parse_fail(j, j->p, CLR_ESYNTAX, "expected a string, got %s",
		    parse_what(j, j->p, what, sizeof(what)));
		return -1;
	}
	p = j->p + 1;
	for (;;) {
		const unsigned char	*run = p;

		/* Copy plain runs in one append. */
		while (p < j->end && *p != '"' && *p != '\\' && *p >= 0x20 &&
		    *p < 0x80)
			p++;
		if (p > run && buf_append(&j->scratch, run,
		    (size_t)(p - run)) != 0)
			goto nomem;
		if (p >= j->end) {
			parse_fail(j, start, CLR_ESYNTAX,
			    "unterminated string");
			return -1;
		}
		if (*p == '"')
			break;
		if (*p < 0x20) {
			parse_fail(j, p, CLR_ESYNTAX, "control character "
			    "0x%02X in a string (escape it)", *p);
			return -1;
		}
		if (*p >= 0x80) {
			if ((len = utf8_decode(p, (size_t)(j->end - p),
			    &cp)) == 0) {
				parse_fail(j, p, CLR_ESYNTAX,
				    "invalid UTF-8 in a string");
				return -1;
			}
			if (buf_append(&j->scratch, p, len) != 0)
				goto nomem;
			p += len;
			continue;
		}
		/* A backslash escape. */
		if (p + 1 >= j->end) {
			parse_fail(j, start, CLR_ESYNTAX,
			    "unterminated string");
			return -1;
		}
		switch (p[1]) {
		case '"':  cp = '"'; break;
		case '\\': cp = '\\'; break;
		case '/':  cp = '/'; break;
		case 'b':  cp = '\b'; break;
		case 'f':  cp = '\f'; break;
		case 'n':  cp = '\n'; break;
		case 'r':  cp = '\r'; break;
		case 't':  cp = '\t'; break;
		case 'u':
			if (!hex4(p + 2, j->end, &cp)) {
				parse_fail(j, p, CLR_ESYNTAX, "\\u must be "
				    "followed by four hex digits");
				return -1;
			}
			if (cp >= 0xDC00 && cp <= 0xDFFF) {
				parse_fail(j, p, CLR_ESYNTAX, "lone low "
				    "surrogate \\u%04X", (unsigned)cp);
				return -1;
			}
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				if (j->end - p < 12 || p[6] != '\\' ||
				    p[7] != 'u' || !hex4(p + 8, j->end, &lo) ||
				    lo < 0xDC00 || lo > 0xDFFF) {
					parse_fail(j, p, CLR_ESYNTAX, "high "
					    "surrogate \\u%04X is not followed "
					    "by a low one", (unsigned)cp);
					return -1;
				}
				cp = 0x10000 + ((cp - 0xD800) << 10) +
				    (lo - 0xDC00);
				p += 6;
			}
			p += 4;
			break;
		default:
			if (p[1] > 0x20 && p[1] < 0x7F)
				parse_fail(j, p, CLR_ESYNTAX, "invalid escape "
				    "\\%c", p[1]);
			else
				parse_fail(j, p, CLR_ESYNTAX, "invalid escape: "
				    "'\\' followed by %s", parse_what(j, p + 1,
				    what, sizeof(what)));
			return -1;
		}
		p += 2;
		len = utf8_encode(cp, enc);
		if (buf_append(&j->scratch, enc, len) != 0)
			goto nomem;
	}
	j->p = p + 1;
	*outlen = j->scratch.len;
	if ((*out = clr_malloc(j->scratch.len + 1)) == NULL)
		goto nomem;
	if (j->scratch.len > 0)
		memcpy(*out, j->scratch.data, j->scratch.len);
	(*out)[j->scratch.len] = '\0';
	return 0;
nomem:
	parse_nomem(j);
	return -1;
}

static struct json_value *
parse_number(struct jparse *j)
{
	const unsigned char	*start = j->p, *p = j->p, *digits;
	struct json_value	*v;
	char			 what[32];

	if (p < j->end && *p == '-')
		p++;
	if (p < j->end && *p == '0') {
		p++;
		if (p < j->end && *p >= '0' && *p <= '9') {
			parse_fail(j, start, CLR_ESYNTAX, "number with a "
			    "leading zero");
			return NULL;
		}
	} else if (p < j->end && *p >= '1' && *p <= '9') {
		while (p < j->end && *p >= '0' && *p <= '9')
			p++;
	} else {
		if (p == start)
			parse_fail(j, p, CLR_ESYNTAX, "expected a value, got "
			    "%s", parse_what(j, p, what, sizeof(what)));
		else
			parse_fail(j, p, CLR_ESYNTAX, "expected a digit after "
			    "'-', got %s", parse_what(j, p, what,
			    sizeof(what)));
		return NULL;
	}
	if (p < j->end && *p == '.') {
		digits = ++p;
		while (p < j->end && *p >= '0' && *p <= '9')
			p++;
		if (p == digits) {
			parse_fail(j, p, CLR_ESYNTAX, "expected a digit after "
			    "'.', got %s", parse_what(j, p, what,
			    sizeof(what)));
			return NULL;
		}
	}
	if (p < j->end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < j->end && (*p == '+' || *p == '-'))
			p++;
		digits = p;
		while (p < j->end && *p >= '0' && *p <= '9')
			p++;
		if (p == digits) {
			parse_fail(j, p, CLR_ESYNTAX, "expected a digit in the "
			    "exponent, got %s", parse_what(j, p, what,
			    sizeof(what)));
			return NULL;
		}
	}
	if ((v = parse_node(j, JSON_NUMBER)) == NULL)
		return NULL;
	v->len = (size_t)(p - start);
	if ((v->str = clr_strndup((const char *)start, v->len)) == NULL) {
		clr_free(v);
		parse_nomem(j);
		return NULL;
	}
	j->p = p;
	return v;
}

/* parse_literal - true, false or null. */
static struct json_value *
parse_literal(struct jparse *j)
{
	static const struct {
		const char	*text;
		size_t		 len;
		enum json_type	 type;
	} lits[] = {
		{ "true", 4, JSON_TRUE },
		{ "false", 5, JSON_FALSE },
		{ "null", 4, JSON_NULL },
	};
	struct json_value	*v;
	size_t			 i, k;

	for (i = 0; i < sizeof(lits) / sizeof(lits[0]); i++) {
		if (*j->p != (unsigned char)lits[i].text[0])
			continue;
		for (k = 1; k < lits[i].len; k++) {
			if (j->p + k >= j->end ||
			    j->p[k] != (unsigned char)lits[i].text[k]) {
				parse_fail(j, j->p, CLR_ESYNTAX, "invalid "
				    "literal (expected %s)", lits[i].text);
				return NULL;
			}
		}
		if ((v = parse_node(j, lits[i].type)) == NULL)
			return NULL;
		j->p += lits[i].len;
		return v;
	}
	parse_fail(j, j->p, CLR_ESYNTAX, "invalid literal");
	return NULL;
}

static struct json_value *
parse_array(struct jparse *j)
{
	struct json_value	*v, *item, **items;
	size_t			 cap = 0;
	char			 what[32];

	if ((v = parse_node(j, JSON_ARRAY)) == NULL)
		return NULL;
	j->p++;
	parse_ws(j);
	if (j->p < j->end && *j->p == ']') {
		j->p++;
		return v;
	}
	for (;;) {
		if ((item = parse_value(j)) == NULL)
			goto fail;
		if (v->len == cap) {
			cap = cap ? cap * 2 : 4;
			items = clr_reallocarray(v->items, cap,
			    sizeof(*items));
			if (items == NULL) {
				json_free(item);
				parse_nomem(j);
				goto fail;
			}
			v->items = items;
		}
		v->items[v->len++] = item;
		parse_ws(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			parse_ws(j);
			if (j->p < j->end && *j->p == ']') {
				parse_fail(j, j->p, CLR_ESYNTAX, "trailing "
				    "comma in an array");
				goto fail;
			}
			continue;
		}
		if (j->p < j->end && *j->p == ']') {
			j->p++;
			return v;
		}
		parse_fail(j, j->p, CLR_ESYNTAX, "expected ',' or ']' in an "
		    "array, got %s", parse_what(j, j->p, what, sizeof(what)));
		goto fail;
	}
fail:
	json_free(v);
	return NULL;
}

static struct json_value *
parse_object(struct jparse *j)
{
	struct json_value	*v;
	struct json_member	*m, *members;
	size_t			 cap = 0;
	char			 what[32];

	if ((v = parse_node(j, JSON_OBJECT)) == NULL)
		return NULL;
	j->p++;
	parse_ws(j);
	if (j->p < j->end && *j->p == '}') {
		j->p++;
		return v;
	}
	for (;;) {
		if (j->p >= j->end || *j->p != '"') {
			parse_fail(j, j->p, CLR_ESYNTAX, "expected a member "
			    "name in double quotes, got %s",
			    parse_what(j, j->p, what, sizeof(what)));
			goto fail;
		}
		if (v->len == cap) {
			cap = cap ? cap * 2 : 4;
			members = clr_reallocarray(v->members, cap,
			    sizeof(*members));
			if (members == NULL) {
				parse_nomem(j);
				goto fail;
			}
			v->members = members;
		}
		m = &v->members[v->len];
		if (parse_string(j, &m->key, &m->keylen) != 0)
			goto fail;
		m->value = NULL;
		v->len++;
		parse_ws(j);
		if (j->p >= j->end || *j->p != ':') {
			parse_fail(j, j->p, CLR_ESYNTAX, "expected ':' after a "
			    "member name, got %s", parse_what(j, j->p, what,
			    sizeof(what)));
			goto fail;
		}
		j->p++;
		parse_ws(j);
		if ((m->value = parse_value(j)) == NULL)
			goto fail;
		parse_ws(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			parse_ws(j);
			if (j->p < j->end && *j->p == '}') {
				parse_fail(j, j->p, CLR_ESYNTAX, "trailing "
				    "comma in an object");
				goto fail;
			}
			continue;
		}
		if (j->p < j->end && *j->p == '}') {
			j->p++;
			return v;
		}
		parse_fail(j, j->p, CLR_ESYNTAX, "expected ',' or '}' in an "
		    "object, got %s", parse_what(j, j->p, what, sizeof(what)));
		goto fail;
	}
fail:
	json_free(v);
	return NULL;
}

static struct json_value *
parse_value(struct jparse *j)
{
	struct json_value	*v;
	char			*str;
	size_t			 len;
	char			 what[32];

	if (j->p >= j->end) {
		parse_fail(j, j->p, CLR_ESYNTAX, "expected a value, got end "
		    "of input");
		return NULL;
	}
	switch (*j->p) {
	case '{':
	case '[':
		if (j->depth >= JSON_MAX_DEPTH) {
			parse_fail(j, j->p, CLR_ETOOBIG, "nested deeper than "
			    "%d levels", JSON_MAX_DEPTH);
			return NULL;
		}
		j->depth++;
		v = *j->p == '{' ? parse_object(j) : parse_array(j);
		j->depth--;
		return v;
	case '"':
		if (parse_string(j, &str, &len) != 0)
			return NULL;
		if ((v = parse_node(j, JSON_STRING)) == NULL) {
			clr_free(str);
			return NULL;
		}
		v->str = str;
		v->len = len;
		return v;
	case 't':
	case 'f':
	case 'n':
		return parse_literal(j);
	case '-':
	case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		return parse_number(j);
	default:
		parse_fail(j, j->p, CLR_ESYNTAX, "expected a value, got %s",
		    parse_what(j, j->p, what, sizeof(what)));
		return NULL;
	}
}

int
json_parse(const char *s, size_t n, struct json_value **out,
    struct clr_err *err)
{
	struct jparse		 j;
	struct json_value	*v;
	char			 what[32];

	*out = NULL;
	if (n > JSON_PARSE_MAX)
		return clr_err_set(err, CLR_ETOOBIG, "JSON text is longer "
		    "than %u bytes", JSON_PARSE_MAX);
	memset(&j, 0, sizeof(j));
	j.s = (const unsigned char *)s;
	j.p = j.s;
	j.end = j.s + n;
	j.err = err;
	/* A string is at most as long as the text. */
	buf_init(&j.scratch, n);
	parse_ws(&j);
	v = parse_value(&j);
	if (v != NULL) {
		parse_ws(&j);
		if (j.p < j.end) {
			parse_fail(&j, j.p, CLR_ESYNTAX, "unexpected %s after "
			    "the JSON text", parse_what(&j, j.p, what,
			    sizeof(what)));
			json_free(v);
			v = NULL;
		}
	}
	buf_free(&j.scratch);
	if (v == NULL)
		return j.rc;
	*out = v;
	return 0;
}

void
json_free(struct json_value *v)
{
	size_t	 i;

	if (v == NULL)
		return;
	switch (v->type) {
	case JSON_ARRAY:
		for (i = 0; i < v->len; i++)
			json_free(v->items[i]);
		clr_free(v->items);
		break;
	case JSON_OBJECT:
		for (i = 0; i < v->len; i++) {
			clr_free(v->members[i].key);
			json_free(v->members[i].value);
		}
		clr_free(v->members);
		break;
	default:
		clr_free(v->str);
		break;
	}
	clr_free(v);
}

const struct json_value *
json_getn(const struct json_value *obj, const char *key, size_t keylen)
{
	size_t	 i;

	if (obj == NULL || obj->type != JSON_OBJECT)
		return NULL;
	for (i = 0; i < obj->len; i++) {
		const struct json_member	*m = &obj->members[i];

		if (m->keylen == keylen && memcmp(m->key, key, keylen) == 0)
			return m->value;
	}
	return NULL;
}

const struct json_value *
json_get(const struct json_value *obj, const char *key)
{
	return json_getn(obj, key, strlen(key));
}

size_t
json_len(const struct json_value *v)
{
	if (v == NULL || (v->type != JSON_ARRAY && v->type != JSON_OBJECT))
		return 0;
	return v->len;
}

const struct json_value *
json_item(const struct json_value *arr, size_t i)
{
	if (arr == NULL || arr->type != JSON_ARRAY || i >= arr->len)
		return NULL;
	return arr->items[i];
}

int
json_write(struct buf *b, const struct json_value *v)
{
	size_t	 i;
	int	 rc;

	switch (v->type) {
	case JSON_NULL:
		return buf_append(b, "null", 4);
	case JSON_FALSE:
		return buf_append(b, "false", 5);
	case JSON_TRUE:
		return buf_append(b, "true", 4);
	case JSON_NUMBER:
		return buf_append(b, v->str, v->len);
	case JSON_STRING:
		return json_put_string(b, v->str, v->len);
	case JSON_ARRAY:
		if ((rc = buf_putc(b, '[')) != 0)
			return rc;
		for (i = 0; i < v->len; i++) {
			if (i > 0 && (rc = buf_putc(b, ',')) != 0)
				return rc;
			if ((rc = json_write(b, v->items[i])) != 0)
				return rc;
		}
		return buf_putc(b, ']');
	case JSON_OBJECT:
		if ((rc = buf_putc(b, '{')) != 0)
			return rc;
		for (i = 0; i < v->len; i++) {
			if (i > 0 && (rc = buf_putc(b, ',')) != 0)
				return rc;
			if ((rc = json_put_string(b, v->members[i].key,
			    v->members[i].keylen)) != 0 ||
			    (rc = buf_putc(b, ':')) != 0 ||
			    (rc = json_write(b, v->members[i].value)) != 0)
				return rc;
		}
		return buf_putc(b, '}');
	}
	return CLR_EINVAL;
}
