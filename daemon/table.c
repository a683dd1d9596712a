/* SPDX-License-Identifier: ISC */
/*
 * daemon/table.c - aligned text tables for clarionctl's human output
 */
#include <string.h>

#include "table.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/utf8.h"

struct table {
	size_t	  ncols;
	size_t	  nrows;		/* header row included */
	char	**cells;		/* nrows * ncols, sanitised */
	size_t	 *width;		/* characters per column */
	size_t	 *max;
};

/*
 * sanitize - copy s, replacing control characters (and invalid UTF-8) by
 * '?' and cutting it to max characters with an ellipsis. *chars gets the
 * width.
 */
static char *
sanitize(const char *s, size_t max, size_t *chars)
{
	struct buf		 b = BUF_INITIALIZER(64 * 1024);
	const unsigned char	*p = (const unsigned char *)(s ? s : "");
	size_t			 n = strlen((const char *)p), i, len;
	size_t			 total = 0, keep, w = 0;
	uint32_t		 cp;

	/* An invalid byte counts as one character, shown as '?'. */
	for (i = 0; i < n; i += len ? len : 1, total++)
		len = utf8_decode(p + i, n - i, &cp);
	keep = max > 0 && total > max ? max - 1 : total;
	for (i = 0; w < keep; i += len ? len : 1, w++) {
		len = utf8_decode(p + i, n - i, &cp);
		if (len == 0 || cp < 0x20 || cp == 0x7F ||
		    (cp >= 0x80 && cp < 0xA0) || cp == 0x2028 || cp == 0x2029)
			buf_putc(&b, '?');
		else
			buf_append(&b, p + i, len);
	}
	if (keep < total) {
		buf_puts(&b, "\xE2\x80\xA6");	/* an ellipsis */
		w++;
	}
	*chars = w;
	return buf_steal(&b);
}

struct table *
table_new(size_t ncols, const char *const *headers)
{
	struct table	*t;

	if ((t = clr_calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->ncols = ncols;
	t->width = clr_calloc(ncols, sizeof(*t->width));
	t->max = clr_calloc(ncols, sizeof(*t->max));
	if (t->width == NULL || t->max == NULL || table_add(t, headers) != 0) {
		table_free(t);
		return NULL;
	}
	return t;
}

void
table_set_max(struct table *t, size_t col, size_t width)
{
	if (col < t->ncols)
		t->max[col] = width;
}

int
table_add(struct table *t, const char *const *cells)
{
	char	**c;
	size_t	 i, w;

	c = clr_reallocarray(t->cells, (t->nrows + 1) * t->ncols,
	    sizeof(*c));
	if (c == NULL)
		return CLR_ENOMEM;
	t->cells = c;
	for (i = 0; i < t->ncols; i++) {
		c[t->nrows * t->ncols + i] = sanitize(cells[i], t->max[i], &w);
		if (c[t->nrows * t->ncols + i] == NULL) {
			while (i-- > 0)
				clr_free(c[t->nrows * t->ncols + i]);
			return CLR_ENOMEM;
		}
		if (w > t->width[i])
			t->width[i] = w;
	}
	t->nrows++;
	return 0;
}

static size_t
chars(const char *s)
{
	size_t	 n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

void
table_print(const struct table *t, FILE *fp)
{
	size_t	 r, i, pad;

	for (r = 0; r < t->nrows; r++) {
		for (i = 0; i < t->ncols; i++) {
			const char	*cell = t->cells[r * t->ncols + i];
			int		 last = i + 1 == t->ncols;

			fputs(cell, fp);
			if (!last)
				for (pad = chars(cell); pad < t->width[i] + 2;
				    pad++)
					fputc(' ', fp);
		}
		fputc('\n', fp);
		if (r == 0) {
			for (i = 0; i < t->ncols; i++) {
				for (pad = 0; pad < t->width[i]; pad++)
					fputc('-', fp);
				if (i + 1 < t->ncols)
					fputs("  ", fp);
			}
			fputc('\n', fp);
		}
	}
}

void
table_free(struct table *t)
{
	size_t	 i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nrows * t->ncols; i++)
		clr_free(t->cells[i]);
	clr_free(t->cells);
	clr_free(t->width);
	clr_free(t->max);
	clr_free(t);
}
