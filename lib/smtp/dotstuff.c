/* SPDX-License-Identifier: ISC */
/*
 * smtp/dotstuff.c - a body made into the payload of DATA (RFC 5321 4.5.2)
 *
 * smtp_dotstuff_put copies a body out with every line end (CRLF, bare LF,
 * bare CR) written as CRLF and a '.' that starts a line doubled, in
 * chunks of any size: whether the last chunk ended at the start of a
 * line, or on a CR whose LF may open the next chunk, is kept in struct
 * smtp_dotstuff. A CR is written as CRLF as soon as it is seen, and an LF
 * right after it (in the same chunk or the next) is then skipped. So
 * "CRLF.CRLF" can only leave as the end of the data smtp_dotstuff_end
 * writes, and no bare CR or LF leaves at all (SMTP smuggling needs one of
 * them to reach a server that reads line ends loosely).
 *
 * The work is copying runs: line ends are found with memchr (each octet
 * is looked at once for CR and once for LF), a body that already has
 * CRLF line ends and no line starting with '.' goes out in one append,
 * and anything else in one append per change.
 *
 * smtp_body_check and smtp__body_scan walk the lines the same way to
 * refuse a body with a NUL or an over-long line before any of it is sent.
 */
#include <stdint.h>
#include <string.h>

#include "smtp.h"
#include "smtp_impl.h"
#include "util/buf.h"
#include "util/err.h"

/* The line ends of a body, found with memchr, each kind once. */
struct eol_scan {
	const unsigned char	*s;
	size_t			 n;
	size_t			 cr;	/* the next CR at or after the last i */
	size_t			 lf;	/* the same for LF; n: none left */
};

static void	 eol_init(struct eol_scan *, const unsigned char *, size_t);
static size_t	 eol_next(struct eol_scan *, size_t);

static void
eol_init(struct eol_scan *e, const unsigned char *s, size_t n)
{
	const unsigned char	*p;

	e->s = s;
	e->n = n;
	p = n > 0 ? memchr(s, '\r', n) : NULL;
	e->cr = p != NULL ? (size_t)(p - s) : n;
	p = n > 0 ? memchr(s, '\n', n) : NULL;
	e->lf = p != NULL ? (size_t)(p - s) : n;
}

/* eol_next - the offset of the first CR or LF at or after i, or n. */
static size_t
eol_next(struct eol_scan *e, size_t i)
{
	const unsigned char	*p;

	if (e->cr < i) {
		p = i < e->n ? memchr(e->s + i, '\r', e->n - i) : NULL;
		e->cr = p != NULL ? (size_t)(p - e->s) : e->n;
	}
	if (e->lf < i) {
		p = i < e->n ? memchr(e->s + i, '\n', e->n - i) : NULL;
		e->lf = p != NULL ? (size_t)(p - e->s) : e->n;
	}
	return e->cr < e->lf ? e->cr : e->lf;
}

void
smtp_dotstuff_init(struct smtp_dotstuff *ds)
{
	ds->bol = 1;
	ds->cr = 0;
}

/*
 * The loop keeps a run [start, i) of input that goes out as it is and
 * appends it only when something must change: a '.' to double, a line
 * end to rewrite. On failure the buf and the state are as they were.
 */
int
smtp_dotstuff_put(struct smtp_dotstuff *ds, struct buf *out,
    const void *data, size_t n)
{
	const unsigned char	*s = data;
	struct smtp_dotstuff	 saved = *ds;
	struct eol_scan		 e;
	size_t			 len0 = out->len, start = 0, i = 0, j;
	int			 rc;

	if (n == 0)
		return 0;
	if (ds->cr) {
		/* The CR that ended the last chunk was written as CRLF. */
		ds->cr = 0;
		if (s[0] == '\n')
			start = i = 1;
	}
	eol_init(&e, s, n);
	while (i < n) {
		if (ds->bol) {
			ds->bol = 0;
			if (s[i] == '.') {
				if ((rc = buf_append(out, s + start,
				    i - start)) != 0 ||
				    (rc = buf_putc(out, '.')) != 0)
					goto fail;
				start = i;
			}
		}
		j = eol_next(&e, i);
		if (j == n)
			break;
		ds->bol = 1;
		if (s[j] == '\r' && j + 1 < n && s[j + 1] == '\n') {
			i = j + 2;	/* CRLF: stays in the run */
			continue;
		}
		if ((rc = buf_append(out, s + start, j - start)) != 0 ||
		    (rc = buf_append(out, "\r\n", 2)) != 0)
			goto fail;
		if (s[j] == '\r' && j + 1 == n)
			ds->cr = 1;
		start = i = j + 1;
	}
	if ((rc = buf_append(out, s + start, n - start)) != 0)
		goto fail;
	return 0;
fail:
	buf_truncate(out, len0);
	*ds = saved;
	return rc;
}

int
smtp_dotstuff_end(struct smtp_dotstuff *ds, struct buf *out)
{
	size_t	 len0 = out->len;
	int	 rc;

	if (!ds->bol && (rc = buf_append(out, "\r\n", 2)) != 0)
		return rc;
	if ((rc = buf_append(out, ".\r\n", 3)) != 0) {
		buf_truncate(out, len0);
		return rc;
	}
	smtp_dotstuff_init(ds);
	return 0;
}

/* line_at - the number of the line holding offset off (1 for the first). */
static size_t
line_at(const unsigned char *s, size_t off)
{
	struct eol_scan	 e;
	size_t		 i = 0, j, line = 1;

	eol_init(&e, s, off);
	while ((j = eol_next(&e, i)) < off) {
		i = j + 1;
		if (s[j] == '\r' && i < off && s[i] == '\n')
			i++;
		line++;
	}
	return line;
}

/*
 * A line is measured as it is sent: a leading '.' counts twice, since the
 * server reads the doubled one before it removes it.
 */
int
smtp__body_scan(const void *data, size_t n, uint64_t *wire, int *verbatim,
    struct clr_err *err)
{
	const unsigned char	*s = data, *nul;
	struct eol_scan		 e;
	uint64_t		 size = 0;
	size_t			 i = 0, j, line = 1, len;
	int			 same = 1;

	if (n > 0 && data == NULL)
		return clr_err_set(err, CLR_EINVAL, "body: NULL with a length");
	if (n > 0 && (nul = memchr(s, '\0', n)) != NULL)
		return clr_err_set(err, CLR_EINVAL, "body: NUL octet at "
		    "offset %zu (line %zu)", (size_t)(nul - s),
		    line_at(s, (size_t)(nul - s)));
	eol_init(&e, s, n);
	while (i < n) {
		j = eol_next(&e, i);
		len = j - i + (s[i] == '.');
		if (len > SMTP_BODY_LINE_MAX)
			return clr_err_set(err, CLR_EINVAL, "body: line %zu is "
			    "%zu octets long%s (at most %d)", line, len,
			    s[i] == '.' ? " with its doubled dot" : "",
			    SMTP_BODY_LINE_MAX);
		if (s[i] == '.')
			same = 0;
		size += (uint64_t)(j - i) + 2;
		if (j == n) {
			same = 0;	/* the last line needs its CRLF */
			break;
		}
		i = j + 1;
		if (s[j] == '\r' && i < n && s[i] == '\n')
			i++;
		else
			same = 0;
		line++;
	}
	if (wire != NULL)
		*wire = size;
	if (verbatim != NULL)
		*verbatim = same;
	return 0;
}

int
smtp_body_check(const void *data, size_t n, struct clr_err *err)
{
	return smtp__body_scan(data, n, NULL, NULL, err);
}
