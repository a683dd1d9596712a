/* SPDX-License-Identifier: ISC */
/*
 * util/buf.h - bounded growable byte buffer
 *
 * A buf grows on demand up to a hard cap set at init (curl's dynbuf
 * "toobig"): an append that would pass the cap fails with CLR_ETOOBIG and
 * leaves the buffer as it was. The content is always NUL-terminated when
 * data is not NULL, so a buf of text can be used as a C string; the
 * terminator is not counted in len and does not count against the cap.
 *
 * Ownership: the buf owns data. buf_free() releases it; buf_steal() hands it
 * to the caller (who frees it with clr_free) and leaves the buf empty.
 */
#ifndef CLARION_UTIL_BUF_H
#define CLARION_UTIL_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char	*data;		/* NULL until the first append */
	size_t	 len;		/* bytes used, terminator excluded */
	size_t	 cap;		/* bytes allocated, terminator included */
	size_t	 max;		/* hard cap on len */
};

#define BUF_INITIALIZER(max_)	{ NULL, 0, 0, (max_) }

void	 buf_init(struct buf *, size_t max);
void	 buf_free(struct buf *);
void	 buf_reset(struct buf *);		/* len = 0, keeps memory */
char	*buf_steal(struct buf *);		/* never NULL unless ENOMEM */
int	 buf_reserve(struct buf *, size_t more);
int	 buf_append(struct buf *, const void *, size_t);
int	 buf_puts(struct buf *, const char *);
int	 buf_putc(struct buf *, int);
int	 buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
int	 buf_vprintf(struct buf *, const char *, va_list)
	    __attribute__((format(printf, 2, 0)));
void	 buf_truncate(struct buf *, size_t len);	/* len <= b->len */

#endif
