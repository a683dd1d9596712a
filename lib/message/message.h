/* SPDX-License-Identifier: ISC */
/*
 * message/message.h - one e-mail, as bytes ready for SMTP DATA
 *
 * msg_build assembles an RFC 5322 message from rendered parts: the
 * headers of a bulk mailing (From, To, Subject, Date, Message-ID,
 * MIME-Version, List-Id, List-Unsubscribe with its RFC 8058 one-click
 * companion, Feedback-ID, and Reply-To when there is one), then a
 * multipart/alternative body of text/plain and text/html (or text/plain
 * alone), each UTF-8 and quoted-printable (RFC 2045). Lines end in CRLF.
 * Header lines are folded to at most 78 octets, except that a URL,
 * address or id that is longer stays whole on a line of its own (folding
 * inside a URL breaks one-click unsubscribe in practice, and RFC 5322
 * folds only at white space); those values are capped well under the
 * 998-octet limit. Non-ASCII in the subject and display names becomes
 * RFC 2047 encoded-words, folded; those lines always stay within 78.
 *
 * Trust boundary: display names and the subject may come from contact
 * data. They can never add a header, a line or a recipient: a value with a
 * CR, LF, NUL, other control character, U+2028/U+2029 or invalid UTF-8 is
 * refused, and so is one over its size limit; anything that could be read
 * as an encoded-word ("=?") or holds characters special in a phrase is
 * encoded, never passed through. The header set of a message depends on
 * the params only, never on their values. Addresses must be normalised
 * (lib/addr) by the caller.
 *
 * Pure: no clock (the date is a parameter), no randomness (the MIME
 * boundary is derived from the Message-ID and cannot occur in a
 * quoted-printable body), no I/O.
 */
#ifndef CLARION_MESSAGE_H
#define CLARION_MESSAGE_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct buf;

#define MSG_NAME_MAX		256	/* octets of a display name */
#define MSG_SUBJECT_MAX		2000	/* octets of a subject */

struct msg_mailbox {
	const char	*name;		/* display name, UTF-8, or NULL */
	const char	*addr;		/* normalised address */
};

struct msg_params {
	struct msg_mailbox	 from;
	struct msg_mailbox	 to;
	const char		*reply_to;	/* address, or NULL */
	const char		*subject;	/* UTF-8, rendered */
	int64_t			 date;		/* seconds since the epoch */
	int			 utc_offset;	/* minutes east of UTC, for Date */
	const char		*message_id;	/* "left@right", no brackets */
	const char		*list_id;	/* "newsletter.liguedh.example" */
	const char		*list_name;	/* List-Id phrase, or NULL */
	const char		*unsubscribe_url;	/* https URL */
	const char		*unsubscribe_mailto;	/* address, or NULL */
	const char		*feedback_id;	/* "a:b:c", or NULL */
	const char		*text;		/* UTF-8 body, any line ends */
	size_t			 text_len;
	const char		*html;		/* UTF-8, or NULL: text only */
	size_t			 html_len;
};

/*
 * Append the message to out. Returns 0, or CLR_EINVAL with err->msg
 * saying which value cannot be sent safely and why ("the subject contains
 * a line break"), or CLR_ETOOBIG / CLR_ENOMEM from out. On error out's
 * length is restored: nothing half-built stays in it.
 */
int	 msg_build(const struct msg_params *, struct buf *out,
	    struct clr_err *err);

/*
 * The building blocks, for tests and for headers the caller writes:
 * append name ": " value as a header whose value is an unstructured text
 * (RFC 2047-encoded when needed, folded), or quoted-printable body text
 * with CRLF line ends. Same error rules as msg_build.
 */
int	 msg_put_unstructured(struct buf *, const char *name,
	    const char *value, struct clr_err *err);
int	 msg_put_qp(struct buf *, const char *text, size_t len);

#endif
