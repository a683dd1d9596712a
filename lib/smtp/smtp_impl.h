/* SPDX-License-Identifier: ISC */
/*
 * smtp/smtp_impl.h - what the files of the smtp module share, and only they
 */
#ifndef CLARION_SMTP_IMPL_H
#define CLARION_SMTP_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/*
 * smtp__body_scan - smtp_body_check, and the size of the body as it goes
 * out before dot-stuffing (every line end made CRLF, the last line
 * closed): what MAIL FROM's SIZE= declares (RFC 1870 5). wire may be NULL.
 * *verbatim (if not NULL) says whether the body would go out unchanged:
 * CRLF line ends only, none missing at the end, no line starting with a
 * dot. A rendered message usually does, and is then copied in one piece.
 */
int	smtp__body_scan(const void *, size_t, uint64_t *wire, int *verbatim,
	    struct clr_err *);

#endif
