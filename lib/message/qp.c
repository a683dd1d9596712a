/* SPDX-License-Identifier: ISC */
/*
 * message/qp.c - quoted-printable body encoding (RFC 2045 6.7)
 *
 * Encodes any octets as quoted-printable lines of at most 76 characters,
 * with every line end in the input (CRLF, bare LF, bare CR) written as
 * CRLF: a text body's line breaks are hard breaks (rule 4). Encoded: '=',
 * octets >= 0x80, controls other than TAB, DEL, and a space or TAB at the
 * end of a line (rule 3). Long lines get soft breaks ("=" CRLF, rule 5),
 * never inside an =XX.
 *
 * Two more are encoded although RFC 2045 allows them, so the body comes
 * through any transport intact: a '.' at the start of an encoded line
 * (=2E: a lone "." would end SMTP DATA if a relay got dot-stuffing wrong)
 * and the 'F' of a "From " that starts one (=46rom: mbox writers mangle
 * it to ">From "). The output holds '=' only as the start of =XX or of
 * a soft break, so "=_" never occurs in it: message.c puts "=_" in its
 * MIME boundaries. It does not validate anything; msg_build checks that
 * bodies are UTF-8 before they get here.
 */
#include <stdint.h>
#include <string.h>

#include "message.h"
#include "message_impl.h"
#include "util/buf.h"
#include "util/err.h"

#define QP_LINE_MAX	76	/* characters, CRLF excluded (rule 5) */
#define QP_CHUNK	4096	/* output staged on the stack */

/*
 * Octets that cannot stand for themselves anywhere in a line: 1. Space
 * and TAB are 0 here and encoded only at a line end, by the caller.
 */
static const unsigned char qp_escape[256] = {
	/* 0x00-0x1F: controls, all but TAB */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	/* 0x20-0x7F: '=' (0x3D) and DEL (0x7F) */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
	/* 0x80-0xFF */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

static const char	 hexdigits[] = "0123456789ABCDEF";

#define ONES	UINT64_C(0x0101010101010101)
#define HIGHS	UINT64_C(0x8080808080808080)

/* A byte of w is zero (the classic bit trick: no false negatives). */
static inline uint64_t
has_zero(uint64_t w)
{
	return (w - ONES) & ~w & HIGHS;
}

/*
 * plain_run - the end of the run from i (before lim) of octets that stand
 * for themselves mid-line: printable ASCII and space, but not '='. Eight
 * octets at a time while it can, then one by one.
 */
static size_t
plain_run(const unsigned char *s, size_t i, size_t lim)
{
	uint64_t	 w;

	while (i + 8 <= lim) {
		memcpy(&w, s + i, 8);
		/* >= 0x80, < 0x20, '=' (0x3D) or DEL (0x7F) stops it. */
		if ((w & HIGHS) || ((w - ONES * 0x20) & ~w & HIGHS) ||
		    has_zero(w ^ (ONES * 0x3D)) || has_zero(w ^ (ONES * 0x7F)))
			break;
		i += 8;
	}
	while (i < lim && s[i] >= ' ' && s[i] < 0x7F && s[i] != '=')
		i++;
	return i;
}

/*
 * The loop looks at one input octet at a time and knows the column of the
 * output line. An octet that is the last of its line (followed by a line
 * end or the end of the input) may take the line to 76 characters; any
 * other must leave room for the '=' of a soft break. When an octet does
 * not fit, the soft break comes first and the octet is looked at again,
 * since its encoding depends on being at the start of a line.
 *
 * Output is staged in a stack block and appended to the buf a block at a
 * time, so the buf never grows past what is written (its cap stays exact).
 *
 * Most of a body is octets that stand for themselves in the middle of a
 * line, so those runs are found eight octets at a time (plain_run) and
 * copied whole: past column 0 (where '.' and "From " are looked at), up
 * to column 75, spaces only when no line end follows them. The
 * octet-at-a-time loop writes exactly the same for them; it is there for
 * everything else, and is what decides.
 */
int
msg__put_qp(struct buf *b, const char *text, size_t len, int soft_end)
{
	const unsigned char	*s = (const unsigned char *)text;
	char			 out[QP_CHUNK];
	size_t			 len0 = b->len, i = 0, o = 0, col = 0, unit;
	int			 rc, esc, eol, last;
	unsigned char		 c;

	while (i < len) {
		if (o > QP_CHUNK - 8) {
			if ((rc = buf_append(b, out, o)) != 0)
				goto fail;
			o = 0;
		}
		c = s[i];
		if (c == '\r' || c == '\n') {
			out[o++] = '\r';
			out[o++] = '\n';
			col = 0;
			i += c == '\r' && i + 1 < len && s[i + 1] == '\n' ?
			    2 : 1;
			continue;
		}
		eol = i + 1 == len || s[i + 1] == '\r' || s[i + 1] == '\n';
		/* The final soft break needs room for its '=' too. */
		last = eol && !(soft_end && i + 1 == len);
		if (col > 0 && col < QP_LINE_MAX - 1 && !qp_escape[c]) {
			size_t	 k = i, lim = QP_LINE_MAX - 1 - col;

			if (lim > QP_CHUNK - 8 - o)
				lim = QP_CHUNK - 8 - o;
			if (lim > len - i)
				lim = len - i;
			lim += i;
			k = plain_run(s, k, lim);
			/*
			 * Spaces were taken as plain; one that ends up before
			 * a line end (or the end) must be encoded: leave such
			 * a tail to the loop below.
			 */
			if (k == len || s[k] == '\r' || s[k] == '\n')
				while (k > i && (s[k - 1] == ' ' ||
				    s[k - 1] == '\t'))
					k--;
			if (k > i) {
				memcpy(out + o, s + i, k - i);
				o += k - i;
				col += k - i;
				i = k;
				continue;
			}
		}
		esc = qp_escape[c];
		if (!esc) {
			if (c == ' ' || c == '\t')
				esc = eol;
			else if (col == 0 && c == '.')
				esc = 1;
			else if (col == 0 && c == 'F' && len - i >= 5 &&
			    memcmp(s + i, "From ", 5) == 0)
				esc = 1;
		}
		unit = esc ? 3 : 1;
		if (col + unit > (last ? QP_LINE_MAX : QP_LINE_MAX - 1)) {
			out[o++] = '=';
			out[o++] = '\r';
			out[o++] = '\n';
			col = 0;
			continue;
		}
		if (esc) {
			out[o++] = '=';
			out[o++] = hexdigits[c >> 4];
			out[o++] = hexdigits[c & 0x0F];
		} else
			out[o++] = (char)c;
		col += unit;
		i++;
	}
	if (soft_end && col > 0) {
		out[o++] = '=';
		out[o++] = '\r';
		out[o++] = '\n';
	}
	if ((rc = buf_append(b, out, o)) != 0)
		goto fail;
	return 0;
fail:
	buf_truncate(b, len0);
	return rc;
}

int
msg_put_qp(struct buf *b, const char *text, size_t len)
{
	return msg__put_qp(b, text, len, 0);
}
