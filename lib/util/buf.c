/* SPDX-License-Identifier: ISC */
/*
 * util/buf.c - bounded growable byte buffer
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "buf.h"
#include "err.h"

void
buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	/* Keep max + 1 (the terminator) and the doubling free of overflow. */
	b->max = max < BUF_MAX_LIMIT ? max : BUF_MAX_LIMIT;
}

void
buf_free(struct buf *b)
{
	clr_free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

void
buf_truncate(struct buf *b, size_t len)
{
	if (len < b->len) {
		b->len = len;
		b->data[len] = '\0';
	}
}

char *
buf_steal(struct buf *b)
{
	char	*p;

	if (b->data == NULL && buf_reserve(b, 0) != 0)
		return NULL;
	p = b->data;
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	return p;
}

int
buf_reserve(struct buf *b, size_t more)
{
	size_t	 need, ncap, limit;
	char	*p;

	/* A struct filled by hand may hold any max: clamp it here too. */
	if (b->max > BUF_MAX_LIMIT)
		b->max = BUF_MAX_LIMIT;
	if (more > b->max || b->len > b->max - more)
		return CLR_ETOOBIG;
	need = b->len + more + 1;
	if (need <= b->cap)
		return 0;
	/*
	 * Double, so appends are amortised O(1), but never past the cap:
	 * buf_append's fast path relies on cap <= max + 1.
	 */
	limit = b->max + 1;
	ncap = b->cap ? b->cap : 64;
	while (ncap < need)
		ncap = ncap > limit / 2 ? limit : ncap * 2;
	if (ncap > limit)
		ncap = limit;
	p = clr_realloc(b->data, ncap);
	if (p == NULL)
		return CLR_ENOMEM;
	if (b->data == NULL)
		p[0] = '\0';
	b->data = p;
	b->cap = ncap;
	return 0;
}

int
buf_append(struct buf *b, const void *p, size_t n)
{
	if (b->cap - b->len > n) {	/* room for n bytes and the NUL */
		memcpy(b->data + b->len, p, n);
		b->len += n;
		b->data[b->len] = '\0';
		return 0;
	}
	return buf__append_grow(b, p, n);
}

int
buf__append_grow(struct buf *b, const void *p, size_t n)
{
	int	 rc;

	if ((rc = buf_reserve(b, n)) != 0)
		return rc;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int
buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

int
buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list	 ap2;
	int	 n, rc;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return CLR_EINVAL;
	if ((rc = buf_reserve(b, (size_t)n)) != 0)
		return rc;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list	 ap;
	int	 rc;

	va_start(ap, fmt);
	rc = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}
