/* SPDX-License-Identifier: ISC */
/*
 * util/json.h - JSON text output (RFC 8259)
 *
 * Writes JSON into a struct buf. Strings must be valid UTF-8 (the caller
 * validates); control characters, '"' and '\\' are escaped, and so are
 * U+2028/U+2029 so the output is also safe inside JavaScript. Returns 0 or
 * a negative CLR_E* code from the buf.
 */
#ifndef CLARION_UTIL_JSON_H
#define CLARION_UTIL_JSON_H

#include <stddef.h>

struct buf;

int	 json_put_string(struct buf *, const char *, size_t);

#endif
