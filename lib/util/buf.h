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
#include <stdint.h>

struct buf {
	char	*data;		/* NULL until the first append */
	size_t	 len;		/* bytes used, terminator excluded */
	size_t	 cap;		/* bytes allocated, terminator included */
	size_t	 max;		/* hard cap on len */
};

/* max is clamped to SIZE_MAX / 2, as buf_init does. */
#define BUF_MAX_LIMIT		(SIZE_MAX / 2)
#define BUF_INITIALIZER(max_)	\
	{ NULL, 0, 0, (max_) < BUF_MAX_LIMIT ? (max_) : BUF_MAX_LIMIT }

void	 buf_init(struct buf *, size_t max);
void	 buf_free(struct buf *);
void	 buf_reset(struct buf *);		/* len = 0, keeps memory */
char	*buf_steal(struct buf *);		/* never NULL unless ENOMEM */
int	 buf_reserve(struct buf *, size_t more);
int	 buf_puts(struct buf *, const char *);
int	 buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
int	 buf_vprintf(struct buf *, const char *, va_list)
	    __attribute__((format(printf, 2, 0)));
void	 buf_truncate(struct buf *, size_t len);	/* len <= b->len */

int	 buf_append(struct buf *, const void *, size_t);
/* The slow path of buf_putc: growing the buffer. */
int	 buf__append_grow(struct buf *, const void *, size_t);

/* Append one byte; inline, since parsers call it for every field. */
static inline int
buf_putc(struct buf *b, int c)
{
	unsigned char	 ch = (unsigned char)c;

	if (b->cap - b->len > 1) {
		b->data[b->len++] = (char)ch;
		b->data[b->len] = '\0';
		return 0;
	}
	return buf__append_grow(b, &ch, 1);
}
#endif
