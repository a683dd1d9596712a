/* SPDX-License-Identifier: ISC */
/*
 * util/json.c - JSON text output
 */
#include <stdio.h>

#include "buf.h"
#include "json.h"

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
