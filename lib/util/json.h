/* SPDX-License-Identifier: ISC */
/*
 * util/json.h - JSON text output and validation (RFC 8259)
 *
 * Writes JSON into a struct buf, and checks JSON texts without building
 * them. Strings must be valid UTF-8 (the caller
 * validates); control characters, '"' and '\\' are escaped, and so are
 * U+2028/U+2029 so the output is also safe inside JavaScript. Returns 0 or
 * a negative CLR_E* code from the buf.
 */
#ifndef CLARION_UTIL_JSON_H
#define CLARION_UTIL_JSON_H

#include <stddef.h>

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

#endif
