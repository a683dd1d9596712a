/* SPDX-License-Identifier: ISC */
/*
 * util/json.h - JSON text output, validation and parsing (RFC 8259)
 *
 * Writes JSON into a struct buf, checks JSON texts without building
 * them, and parses them into a tree. Strings written must be valid UTF-8
 * (the caller validates); control characters, '"' and '\\' are escaped,
 * and so are U+2028/U+2029 so the output is also safe inside JavaScript.
 * Writers return 0 or a negative CLR_E* code from the buf.
 *
 * The parser is as strict as the validator and accepts exactly the texts
 * it accepts (plus top-level values that are not objects). It is meant
 * for small documents (contact attributes, test data), not for streams:
 * the whole text is in memory, and so is the tree.
 */
#ifndef CLARION_UTIL_JSON_H
#define CLARION_UTIL_JSON_H

#include <stddef.h>

#include "err.h"

struct buf;

int	 json_put_string(struct buf *, const char *, size_t);

/*
 * Whether s[0..n) is one JSON text (RFC 8259) whose top level is an object:
 * strict (no comments, no trailing commas, no leading zeros, no control
 * characters or invalid UTF-8 in strings, no lone surrogate escapes) and
 * nested at most JSON_MAX_DEPTH deep. Allocates nothing.
 */
#define JSON_MAX_DEPTH	64
int	 json_valid_object(const char *s, size_t n);

/*
 * A parsed JSON value. The tree owns everything it points to; it is
 * read-only once built, so threads may share it.
 */
enum json_type {
	JSON_NULL,
	JSON_FALSE,
	JSON_TRUE,
	JSON_NUMBER,		/* str: its source text, as written */
	JSON_STRING,		/* str: decoded UTF-8 (may hold NUL bytes) */
	JSON_ARRAY,
	JSON_OBJECT
};

struct json_member {
	char			*key;	/* decoded, NUL-terminated */
	size_t			 keylen;	/* bytes, terminator excluded */
	struct json_value	*value;
};

struct json_value {
	enum json_type		 type;
	char			*str;	/* NUMBER, STRING (NUL-terminated) */
	size_t			 len;	/* bytes of str, items, members */
	struct json_value	**items;	/* ARRAY */
	struct json_member	*members;	/* OBJECT, in source order */
};

#define JSON_PARSE_MAX	(8u << 20)	/* longest text json_parse takes */

/*
 * Parse s[0..n), one JSON text with any value at the top level, into a
 * tree the caller frees with json_free. Strict as json_valid_object: no
 * comments, trailing commas, leading zeros, control characters, invalid
 * UTF-8 or lone surrogates; escapes are decoded and surrogate pairs
 * joined. Duplicate member names are kept (json_get finds the first).
 *
 * Returns 0 and sets *out, or sets *out to NULL and returns CLR_ESYNTAX
 * (err->msg "line L, column C: what is wrong", 1-based, columns counted
 * in characters), CLR_ETOOBIG (nested deeper than JSON_MAX_DEPTH, with a
 * position, or n > JSON_PARSE_MAX) or CLR_ENOMEM. err may be NULL.
 */
int	 json_parse(const char *s, size_t n, struct json_value **out,
	    struct clr_err *err);
void	 json_free(struct json_value *);		/* NULL: no-op */

/*
 * Accessors; each takes NULL or a value of the wrong type and returns
 * NULL or 0 then, so lookups chain: json_get(json_get(v, "a"), "b").
 */
const struct json_value *json_get(const struct json_value *obj,
	    const char *key);			/* the first member key */
const struct json_value *json_getn(const struct json_value *obj,
	    const char *key, size_t keylen);
size_t	 json_len(const struct json_value *);	/* items or members */
const struct json_value *json_item(const struct json_value *arr, size_t i);

/*
 * Write v as compact JSON (no spaces; numbers as their source text,
 * strings escaped as json_put_string). Parsing the output gives an equal
 * tree. Recursive: meant for parsed trees, which are at most
 * JSON_MAX_DEPTH deep.
 */
int	 json_write(struct buf *, const struct json_value *v);

#endif
