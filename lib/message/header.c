/* SPDX-License-Identifier: ISC */
/*
 * message/header.c - header fields: folding, phrases, RFC 2047 encoding
 *
 * Writes the values of header fields that may carry text from contact
 * data (display names, the List-Id phrase, the subject) so that a reader
 * gets back exactly the text given, and nothing else: no extra header, no
 * extra address, no encoded-word that was not put there by this file.
 *
 * RFC 5322 2.1.1 (78-octet lines), 2.2.3 (folding), 3.2.3 (atoms),
 * 3.2.4 (quoted strings), 3.2.5 (phrase, unstructured); RFC 2047 (encoded
 * words: at most 75 characters each, whole UTF-8 characters only, and in
 * Q encoding only the characters 5(3) allows in a phrase, which are safe
 * everywhere); RFC 6532 is not used: headers stay ASCII, except for
 * addresses, which the caller gives as they are.
 *
 * Trust boundary: the text arrives untrusted. msg__check_text refuses any
 * value with a byte that could end a line or confuse a reader (controls,
 * U+2028/U+2029, invalid UTF-8); what it accepts is written either as
 * printable ASCII words that cannot be read as encoded-words, or encoded.
 * What it does not do: it does not validate addresses, ids or URLs
 * (message.c does), and it never folds inside a word.
 */
#include <stdint.h>
#include <string.h>

#include "message_impl.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/utf8.h"

#define EW_MAX		75	/* octets of an encoded-word, RFC 2047 2 */
#define EW_FIXED	12	/* "=?UTF-8?Q?" and "?=" */
#define EW_MIN		(EW_FIXED + 12)	/* room for one 4-octet character */
#define PLAIN_WORD_MAX	60	/* longer words of a phrase are encoded */

enum phrase_form {
	PHRASE_ATOMS,		/* Jean Dupont */
	PHRASE_QUOTED,		/* "Dupont, Jean" */
	PHRASE_ENCODED		/* =?UTF-8?Q?Jos=C3=A9?= */
};

static void	 put(struct msg__hdr *, const char *, size_t);
static void	 sep(struct msg__hdr *, size_t);
static void	 fold(struct msg__hdr *);
static int	 q_literal(unsigned char);
static size_t	 q_cost(unsigned char);
static size_t	 char_len(unsigned char);
static size_t	 encode_q(char *, const unsigned char *, size_t);
static size_t	 encode_b(char *, const unsigned char *, size_t);
static enum phrase_form phrase_form(const char *, size_t);
static void	 put_quoted(struct msg__hdr *, const char *, size_t);
static int	 word_needs_encoding(const char *, size_t, size_t);

static const char	 hexdigits[] = "0123456789ABCDEF";
static const char	 b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* put - append to the field unless an earlier append failed. */
static void
put(struct msg__hdr *h, const char *s, size_t n)
{
	if (h->rc == 0 && n > 0)
		h->rc = buf_append(h->b, s, n);
}

/* fold - end the line and start a continuation line with one space. */
static void
fold(struct msg__hdr *h)
{
	put(h, "\r\n ", 3);
	h->col = 1;
	h->words = 0;
}

/*
 * sep - write the white space before a word of len octets: a space, or a
 * fold when the word would pass the line limit. Right after the field
 * name, fold only if that makes the word fit: a word too long for any
 * line stays on the first one rather than leave it empty.
 */
static void
sep(struct msg__hdr *h, size_t len)
{
	if (h->col + 1 + len > MSG__LINE_MAX &&
	    (h->words > 0 || 1 + len <= MSG__LINE_MAX)) {
		fold(h);
		return;
	}
	put(h, " ", 1);
	h->col++;
}

void
msg__hdr_begin(struct msg__hdr *h, struct buf *b, const char *name)
{
	size_t	 n = strlen(name);

	h->b = b;
	h->rc = 0;
	h->words = 0;
	put(h, name, n);
	put(h, ":", 1);
	h->col = n + 1;
}

void
msg__hdr_word(struct msg__hdr *h, const char *pre, const char *s, size_t n,
    const char *post)
{
	size_t	 plen = pre != NULL ? strlen(pre) : 0;
	size_t	 qlen = post != NULL ? strlen(post) : 0;

	sep(h, plen + n + qlen);
	put(h, pre, plen);
	put(h, s, n);
	put(h, post, qlen);
	h->col += plen + n + qlen;
	h->words++;
}

int
msg__hdr_end(struct msg__hdr *h)
{
	put(h, "\r\n", 2);
	return h->rc;
}

int
msg__is_atext(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/* q_literal - whether c may stand for itself in a Q word in a phrase. */
static int
q_literal(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '!' || c == '*' || c == '+' ||
	    c == '-' || c == '/';
}

/* q_cost - octets that c takes in a Q word: itself, '_' or =XX. */
static size_t
q_cost(unsigned char c)
{
	return q_literal(c) || c == ' ' ? 1 : 3;
}

/* char_len - length of the UTF-8 sequence whose lead octet is c. */
static size_t
char_len(unsigned char c)
{
	if (c < 0x80)
		return 1;
	if (c < 0xE0)
		return 2;
	if (c < 0xF0)
		return 3;
	return 4;
}

static size_t
encode_q(char *out, const unsigned char *s, size_t n)
{
	size_t	 i, o = 0;

	for (i = 0; i < n; i++) {
		if (q_literal(s[i]))
			out[o++] = (char)s[i];
		else if (s[i] == ' ')
			out[o++] = '_';
		else {
			out[o++] = '=';
			out[o++] = hexdigits[s[i] >> 4];
			out[o++] = hexdigits[s[i] & 0x0F];
		}
	}
	return o;
}

static size_t
encode_b(char *out, const unsigned char *s, size_t n)
{
	size_t		 i, o = 0;
	uint32_t	 v;

	for (i = 0; i + 3 <= n; i += 3) {
		v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
		out[o++] = b64[v >> 18];
		out[o++] = b64[(v >> 12) & 0x3F];
		out[o++] = b64[(v >> 6) & 0x3F];
		out[o++] = b64[v & 0x3F];
	}
	if (n - i == 1) {
		v = (uint32_t)s[i] << 16;
		out[o++] = b64[v >> 18];
		out[o++] = b64[(v >> 12) & 0x3F];
		out[o++] = '=';
		out[o++] = '=';
	} else if (n - i == 2) {
		v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8;
		out[o++] = b64[v >> 18];
		out[o++] = b64[(v >> 12) & 0x3F];
		out[o++] = b64[(v >> 6) & 0x3F];
		out[o++] = '=';
	}
	return o;
}

/*
 * Encoded-words. The whole of s[0..n) is encoded, as many words as it
 * takes, each filled to the end of its line (at most EW_MAX octets) and
 * ending on a character boundary. White space between two encoded-words
 * is not part of the text (RFC 2047 6.2), so spaces that belong to the
 * text are inside the words ('_' in Q, or in the base64).
 *
 * A word that cannot take the rest of s ends after a space of s if there
 * is one in its second half: RFC 2047 readers join the words anyway, and
 * readers that wrongly keep the white space between them (Python 3.11's
 * address parser, CPython gh-128110) then show a double space rather
 * than a space inside a word.
 *
 * Q or B, for s as a whole: Q unless B is shorter by more than a third.
 * Latin text is mostly ASCII and stays readable in Q; Cyrillic, Greek or
 * CJK take more than twice as much room in Q as in B.
 */
void
msg__hdr_encode(struct msg__hdr *h, const char *s, size_t n)
{
	const unsigned char	*u = (const unsigned char *)s;
	char			 word[EW_MAX];
	size_t			 i, start, qcost = 0, used, cost, len, room;
	size_t			 after_space;
	int			 base64;

	for (i = 0; i < n; i++)
		qcost += q_cost(u[i]);
	base64 = 2 * qcost > 3 * (4 * ((n + 2) / 3));

	i = 0;
	while (i < n) {
		if (h->col + 1 + EW_MIN > MSG__LINE_MAX)
			fold(h);
		else {
			put(h, " ", 1);
			h->col++;
		}
		room = MSG__LINE_MAX - h->col;
		if (room > EW_MAX)
			room = EW_MAX;
		room -= EW_FIXED;

		start = i;
		used = 0;
		after_space = 0;
		while (i < n) {
			len = char_len(u[i]);
			if (base64)
				cost = 4 * ((i + len - start + 2) / 3);
			else {
				size_t	 k;

				cost = used;
				for (k = 0; k < len; k++)
					cost += q_cost(u[i + k]);
			}
			if (cost > room)
				break;
			used = cost;
			i += len;
			if (u[i - 1] == ' ' && 2 * used >= room)
				after_space = i;
		}
		if (i < n && after_space > start)
			i = after_space;
		if (base64) {
			put(h, "=?UTF-8?B?", 10);
			len = encode_b(word, u + start, i - start);
		} else {
			put(h, "=?UTF-8?Q?", 10);
			len = encode_q(word, u + start, i - start);
		}
		put(h, word, len);
		put(h, "?=", 2);
		h->col += EW_FIXED + len;
		h->words++;
	}
}

/*
 * phrase_form - how to write a phrase. Plain (atoms, or a quoted-string
 * when it holds specials such as , < > " \ . or @) only if it is
 * printable ASCII, has no "=?" that a lenient reader could take for an
 * encoded-word, single spaces between words and none at the ends (which
 * a reader would not keep), and words short enough to fold between.
 * Anything else is encoded whole, so it decodes to exactly s.
 */
static enum phrase_form
phrase_form(const char *s, size_t n)
{
	size_t	 i, word = 0;
	int	 atoms = 1;

	if (n == 0 || s[0] == ' ' || s[n - 1] == ' ')
		return PHRASE_ENCODED;
	for (i = 0; i < n; i++) {
		unsigned char	 c = (unsigned char)s[i];

		if (c < 0x20 || c > 0x7E)
			return PHRASE_ENCODED;
		if (c == ' ') {
			if (s[i + 1] == ' ')
				return PHRASE_ENCODED;
			word = 0;
			continue;
		}
		if (c == '=' && i + 1 < n && s[i + 1] == '?')
			return PHRASE_ENCODED;
		word += c == '"' || c == '\\' ? 2 : 1;
		if (word > PLAIN_WORD_MAX)
			return PHRASE_ENCODED;
		if (!msg__is_atext(c))
			atoms = 0;
	}
	return atoms ? PHRASE_ATOMS : PHRASE_QUOTED;
}

/*
 * put_quoted - s as a quoted-string, '"' and '\\' escaped, one word per
 * unit so that folds fall on its spaces (RFC 5322 3.2.4: the CRLF of a
 * fold inside a quoted-string is not part of it, the space is).
 */
static void
put_quoted(struct msg__hdr *h, const char *s, size_t n)
{
	char	 piece[2 * PLAIN_WORD_MAX];
	size_t	 i = 0, start, o;

	while (i < n) {
		start = i;
		o = 0;
		while (i < n && s[i] != ' ') {
			if (s[i] == '"' || s[i] == '\\')
				piece[o++] = '\\';
			piece[o++] = s[i++];
		}
		msg__hdr_word(h, start == 0 ? "\"" : NULL, piece, o,
		    i == n ? "\"" : NULL);
		i++;			/* the single space */
	}
}

void
msg__hdr_phrase(struct msg__hdr *h, const char *s, size_t n)
{
	size_t	 i = 0, start;

	switch (phrase_form(s, n)) {
	case PHRASE_ATOMS:
		while (i < n) {
			start = i;
			while (i < n && s[i] != ' ')
				i++;
			msg__hdr_word(h, NULL, s + start, i - start, NULL);
			i++;
		}
		break;
	case PHRASE_QUOTED:
		put_quoted(h, s, n);
		break;
	case PHRASE_ENCODED:
		msg__hdr_encode(h, s, n);
		break;
	}
}

/* word_needs_encoding - non-ASCII, an "=?", or too long to fold. */
static int
word_needs_encoding(const char *s, size_t n, size_t maxplain)
{
	size_t	 i;

	if (n > maxplain)
		return 1;
	for (i = 0; i < n; i++) {
		if ((unsigned char)s[i] >= 0x80)
			return 1;
		if (s[i] == '=' && i + 1 < n && s[i + 1] == '?')
			return 1;
	}
	return 0;
}

/*
 * Unstructured text: words (runs of non-spaces) that need it are encoded,
 * the others written as they are, folding at the single spaces between
 * words. Readers keep the white space between a plain word and an
 * encoded-word but drop it between two encoded-words, and drop it at the
 * start and end of the field; so a span of encoded words takes in the
 * spaces between them, and a word next to spaces a reader would lose or
 * could squeeze (leading, trailing, or more than one) is encoded together
 * with them. Then every space that is left outside the encoded spans is
 * a single one between two words, and the text decodes to exactly s.
 *
 * Plain words must fit on the first line after the field name:
 * maxplain is 69 for Subject. Longer ones are encoded, which splits them.
 */
void
msg__hdr_unstructured(struct msg__hdr *h, const char *s, size_t n,
    size_t name_len)
{
	size_t	 maxplain, a, b, na, nb, span_a = 0, span_b = 0;
	size_t	 gap_before;
	int	 have_next, enc, in_span = 0, first = 1;

	maxplain = name_len + 2 < MSG__LINE_MAX ?
	    MSG__LINE_MAX - name_len - 2 : 0;

	/* The first word, [a, b). */
	for (a = 0; a < n && s[a] == ' '; a++)
		;
	if (a == n) {
		if (n > 0)
			msg__hdr_encode(h, s, n);	/* spaces only */
		return;
	}
	for (b = a; b < n && s[b] != ' '; b++)
		;
	gap_before = a;

	for (;;) {
		/* The next word, [na, nb), if any. */
		for (na = b; na < n && s[na] == ' '; na++)
			;
		have_next = na < n;
		for (nb = na; nb < n && s[nb] != ' '; nb++)
			;

		enc = word_needs_encoding(s + a, b - a, maxplain) ||
		    gap_before > 1 || (first && gap_before > 0) ||
		    (have_next ? na - b > 1 : na > b);
		if (enc) {
			if (!in_span) {
				span_a = first ? 0 : a;
				in_span = 1;
			}
			span_b = have_next ? b : n;
		} else {
			if (in_span) {
				msg__hdr_encode(h, s + span_a, span_b - span_a);
				in_span = 0;
			}
			msg__hdr_word(h, NULL, s + a, b - a, NULL);
		}
		if (!have_next)
			break;
		gap_before = na - b;
		a = na;
		b = nb;
		first = 0;
	}
	if (in_span)
		msg__hdr_encode(h, s + span_a, span_b - span_a);
}

int
msg__check_text(const char *s, size_t max, const char *what,
    struct clr_err *err)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 n, i, len;
	uint32_t		 cp;

	n = strnlen(s, max + 1);
	if (n > max)
		return clr_err_set(err, CLR_EINVAL,
		    "%s is longer than %zu octets", what, max);
	for (i = 0; i < n; i += len) {
		if (u[i] < 0x80) {
			len = 1;
			if (u[i] == '\r' || u[i] == '\n')
				return clr_err_set(err, CLR_EINVAL,
				    "%s contains a line break", what);
			if (u[i] < 0x20 || u[i] == 0x7F)
				return clr_err_set(err, CLR_EINVAL,
				    "%s contains a control character "
				    "(U+%04X)", what, u[i]);
			continue;
		}
		len = utf8_decode(u + i, n - i, &cp);
		if (len == 0)
			return clr_err_set(err, CLR_EINVAL,
			    "%s is not valid UTF-8 (at octet %zu)", what, i);
		if (cp < 0xA0)
			return clr_err_set(err, CLR_EINVAL,
			    "%s contains a control character (U+%04X)", what,
			    (unsigned)cp);
		if (cp == 0x2028 || cp == 0x2029)
			return clr_err_set(err, CLR_EINVAL,
			    "%s contains a line or paragraph separator "
			    "(U+%04X)", what, (unsigned)cp);
	}
	return 0;
}
