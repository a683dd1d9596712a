/* SPDX-License-Identifier: ISC */
/*
 * message/message_impl.h - internals shared by the message module's files
 *
 * A header field is written through a struct msg__hdr, which knows the
 * column on the current line and folds (CRLF and one space, RFC 5322
 * 2.2.3) before a word that would pass MSG__LINE_MAX. Words are never
 * split: a single word longer than a line (an address, a URL) gets a
 * line of its own and passes the limit, which only such a word can do.
 * Errors from the buf are sticky: the first one is kept in rc and every
 * later write is skipped, so callers check once, at msg__hdr_end.
 */
#ifndef CLARION_MESSAGE_IMPL_H
#define CLARION_MESSAGE_IMPL_H

#include <stddef.h>

#include "util/err.h"

struct buf;

#define MSG__LINE_MAX		78	/* octets of a line, CRLF excluded */
#define MSG__FIELD_NAME_MAX	64	/* octets of a field name */

struct msg__hdr {
	struct buf	*b;
	size_t		 col;	/* octets on the current line */
	size_t		 words;	/* words on it, the field name aside */
	int		 rc;	/* first error from the buf, or 0 */
};

/* Start a field: "Name:". */
void	 msg__hdr_begin(struct msg__hdr *, struct buf *, const char *name);
/*
 * Append one word, preceded by a space or by a fold: pre, s[0..n), post
 * as one unbreakable unit (pre and post are short literals, or NULL).
 */
void	 msg__hdr_word(struct msg__hdr *, const char *pre, const char *s,
	    size_t n, const char *post);
/* Append s[0..n) (valid UTF-8, n > 0) as RFC 2047 encoded-words. */
void	 msg__hdr_encode(struct msg__hdr *, const char *s, size_t n);
/* A display name or a List-Id phrase: atoms, quoted-string or encoded. */
void	 msg__hdr_phrase(struct msg__hdr *, const char *s, size_t n);
/* Unstructured text (RFC 5322 3.2.5), encoded only where needed. */
void	 msg__hdr_unstructured(struct msg__hdr *, const char *s, size_t n,
	    size_t name_len);
/* End the field with CRLF; returns the first error from the buf, or 0. */
int	 msg__hdr_end(struct msg__hdr *);

/* RFC 5322 3.2.3 atext. */
int	 msg__is_atext(unsigned char);

/*
 * Quoted-printable as msg_put_qp. With soft_end, a body that does not
 * end in a line end gets a final soft break ("=" CRLF): the message then
 * ends in CRLF, as SMTP needs, and the body still decodes to the text.
 */
int	 msg__put_qp(struct buf *, const char *, size_t, int soft_end);

/*
 * Check a display name, list name or subject: at most max octets, valid
 * UTF-8, no control character (C0 including TAB, DEL, C1), no U+2028 or
 * U+2029. On failure sets err with "<what> contains a line break" and so
 * on, and returns CLR_EINVAL.
 */
int	 msg__check_text(const char *s, size_t max, const char *what,
	    struct clr_err *err);

#endif
