/* SPDX-License-Identifier: ISC */
/*
 * message/message.c - one bulk e-mail: header fields and MIME body
 *
 * msg_build checks every parameter first and writes nothing until all
 * pass; then it writes the header fields in a fixed order, each present
 * or absent according to which params are set (never to what they hold),
 * and a body of one text/plain part or a multipart/alternative of
 * text/plain and text/html, quoted-printable. header.c writes the
 * values, qp.c the bodies. Display names and the list name are phrases,
 * where a run of spaces means one space (RFC 5322 3.2.2): they are
 * written with runs made single and the ends trimmed. The subject keeps
 * its spaces exactly, as unstructured text does.
 *
 * RFC 5322 (message format; 3.3 date-time; 3.6.4 msg-id), RFC 2045 and
 * RFC 2046 (MIME-Version, Content-Type, multipart/alternative, boundary
 * syntax), RFC 2047 (in header.c), RFC 2369 (List-Unsubscribe), RFC 2919
 * (List-Id), RFC 8058 (List-Unsubscribe-Post: one-click), RFC 6068 (the
 * mailto URL, percent-encoded), and Gmail's Feedback-ID, written as given.
 *
 * Trust boundary: display names, the subject and the bodies may come from
 * contact data (see message.h). Addresses, ids and URLs come from the
 * configuration and lib/addr; they are checked here too (ASCII where the
 * syntax asks for it, no white space, no control, no angle bracket), so a
 * bad one is refused rather than written. An address whose local part is
 * not ASCII is written as it is (RFC 6532): such a message needs SMTPUTF8,
 * which is the SMTP client's business, not this module's.
 *
 * No line is longer than 78 octets, except one that holds a single
 * address, id or URL too long for any line: those are never split (a URL
 * broken by a fold no longer works, and RFC 5322 folds only at white
 * space), and they are bounded so that no line passes the hard limit of
 * 998. Values from contact data are always folded within 78.
 *
 * What it does not do: no clock (Date is from the params), no randomness
 * (the boundary is a hash of the Message-ID), no DKIM, no dot-stuffing
 * (SMTP's), no check that the To domain exists.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "message.h"
#include "message_impl.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/utf8.h"

#define ADDR_MAX	254	/* octets of an address, RFC 5321 4.5.3.1 */
#define ID_MAX		250	/* octets of Message-ID, List-Id, Feedback-ID */
#define URL_MAX		900	/* octets of the unsubscribe URL */
#define DATE_MAX	40	/* "Sat, 28 Nov 2026 16:40:00 +0100" */
#define OFFSET_MAX	(24 * 60 - 1)	/* minutes: "+2359" */
#define BOUNDARY_LEN	26	/* "=_clarion_" and 16 hex digits */

/* 1900-01-01T00:00:00Z and 9999-12-31T23:59:59Z: four-digit years. */
#define DATE_MIN_SECS	INT64_C(-2208988800)
#define DATE_MAX_SECS	INT64_C(253402300799)

static int	 check_params(const struct msg_params *, struct clr_err *);
static int	 check_addr(const char *, const char *, struct clr_err *);
static int	 is_dot_atom(const char *, size_t);
static int	 check_msgid(const char *, struct clr_err *);
static int	 check_list_id(const char *, struct clr_err *);
static int	 check_url(const char *, struct clr_err *);
static int	 check_feedback_id(const char *, struct clr_err *);
static int	 check_body(const char *, size_t, const char *,
		    struct clr_err *);
static int	 format_date(int64_t, int, char *, size_t);
static void	 make_boundary(const char *, char *);
static size_t	 mailto_encode(const char *, char *);
static size_t	 phrase_normalise(const char *, char *);
static void	 put_mailbox(struct msg__hdr *, const char *, const char *);
static int	 put_simple(struct buf *, const char *, const char *);
static int	 put_headers(const struct msg_params *, const char *,
		    const char *, struct buf *);
static int	 put_body(const struct msg_params *, const char *,
		    struct buf *);
static int	 check_field_name(const char *);

static const char	*const wdays[7] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
};
static const char	*const months[12] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

/*
 * check_addr - a normalised address: a local part of atext, dots and
 * non-ASCII characters (not controls, not U+2028/U+2029), one '@', an
 * ASCII domain of letters, digits, '-' and '.'. Not a full check (that is
 * lib/addr's job): enough that the address cannot leave its angle
 * brackets or its line. what is "the To address" and so on.
 */
static int
check_addr(const char *a, const char *what, struct clr_err *err)
{
	const unsigned char	*u = (const unsigned char *)a;
	size_t			 n, i, len, at = SIZE_MAX;
	uint32_t		 cp;

	if (a == NULL || a[0] == '\0')
		return clr_err_set(err, CLR_EINVAL, "%s is missing", what);
	n = strnlen(a, ADDR_MAX + 1);
	if (n > ADDR_MAX)
		return clr_err_set(err, CLR_EINVAL,
		    "%s is longer than %d octets", what, ADDR_MAX);
	for (i = 0; i < n; i += len) {
		len = 1;
		if (u[i] == '@') {
			if (at != SIZE_MAX)
				return clr_err_set(err, CLR_EINVAL,
				    "%s has more than one @", what);
			at = i;
			continue;
		}
		if (u[i] < 0x80) {
			int	 ok;

			if (at == SIZE_MAX)
				ok = msg__is_atext(u[i]) || u[i] == '.';
			else
				ok = (u[i] >= 'a' && u[i] <= 'z') ||
				    (u[i] >= 'A' && u[i] <= 'Z') ||
				    (u[i] >= '0' && u[i] <= '9') ||
				    u[i] == '-' || u[i] == '.';
			if (!ok)
				return clr_err_set(err, CLR_EINVAL,
				    "%s is not a normalised address (octet "
				    "0x%02X at %zu)", what, u[i], i);
			continue;
		}
		if (at != SIZE_MAX)
			return clr_err_set(err, CLR_EINVAL,
			    "%s has a domain that is not ASCII (not "
			    "normalised)", what);
		len = utf8_decode(u + i, n - i, &cp);
		if (len == 0)
			return clr_err_set(err, CLR_EINVAL,
			    "%s is not valid UTF-8", what);
		if (cp < 0xA0 || cp == 0x2028 || cp == 0x2029)
			return clr_err_set(err, CLR_EINVAL,
			    "%s contains a control character", what);
	}
	if (at == SIZE_MAX || at == 0 || at == n - 1)
		return clr_err_set(err, CLR_EINVAL,
		    "%s is not an address (local@domain)", what);
	return 0;
}

/* is_dot_atom - RFC 5322 dot-atom-text, ASCII. */
static int
is_dot_atom(const char *s, size_t n)
{
	size_t	 i;

	if (n == 0 || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (s[i + 1] == '.')
				return 0;
		} else if (!msg__is_atext((unsigned char)s[i]))
			return 0;
	}
	return 1;
}

/* check_msgid - RFC 5322 3.6.4 id-left "@" id-right, both dot-atoms. */
static int
check_msgid(const char *id, struct clr_err *err)
{
	const char	*at;
	size_t		 n;

	if (id == NULL || id[0] == '\0')
		return clr_err_set(err, CLR_EINVAL,
		    "the Message-ID is missing");
	n = strnlen(id, ID_MAX + 1);
	if (n > ID_MAX)
		return clr_err_set(err, CLR_EINVAL,
		    "the Message-ID is longer than %d octets", ID_MAX);
	at = memchr(id, '@', n);
	if (at == NULL || !is_dot_atom(id, (size_t)(at - id)) ||
	    !is_dot_atom(at + 1, n - (size_t)(at - id) - 1))
		return clr_err_set(err, CLR_EINVAL, "the Message-ID is not "
		    "left@right with ASCII dot-atoms on each side");
	return 0;
}

/* check_list_id - RFC 2919: label "." namespace, a dot-atom. */
static int
check_list_id(const char *id, struct clr_err *err)
{
	size_t	 n;

	if (id == NULL || id[0] == '\0')
		return clr_err_set(err, CLR_EINVAL, "the List-Id is missing");
	n = strnlen(id, ID_MAX + 1);
	if (n > ID_MAX)
		return clr_err_set(err, CLR_EINVAL,
		    "the List-Id is longer than %d octets", ID_MAX);
	if (!is_dot_atom(id, n) || memchr(id, '.', n) == NULL)
		return clr_err_set(err, CLR_EINVAL, "the List-Id is not an "
		    "ASCII dot-atom with at least one dot (label.domain)");
	return 0;
}

/*
 * check_url - an https URL that can sit in angle brackets: printable
 * ASCII (a URL is; anything else must be percent-encoded), no white
 * space, no '<' or '>', and a host.
 */
static int
check_url(const char *url, struct clr_err *err)
{
	size_t	 n, i;

	if (url == NULL || url[0] == '\0')
		return clr_err_set(err, CLR_EINVAL,
		    "the unsubscribe URL is missing");
	n = strnlen(url, URL_MAX + 1);
	if (n > URL_MAX)
		return clr_err_set(err, CLR_EINVAL,
		    "the unsubscribe URL is longer than %d octets", URL_MAX);
	if (n < 8 || strncasecmp(url, "https://", 8) != 0)
		return clr_err_set(err, CLR_EINVAL,
		    "the unsubscribe URL is not an https URL (RFC 8058)");
	for (i = 0; i < n; i++) {
		unsigned char	 c = (unsigned char)url[i];

		if (c <= 0x20 || c == 0x7F)
			return clr_err_set(err, CLR_EINVAL, "the unsubscribe "
			    "URL contains white space or a control character");
		if (c >= 0x80)
			return clr_err_set(err, CLR_EINVAL, "the unsubscribe "
			    "URL contains a non-ASCII octet (percent-encode "
			    "it)");
		if (c == '<' || c == '>')
			return clr_err_set(err, CLR_EINVAL,
			    "the unsubscribe URL contains '<' or '>'");
	}
	if (n == 8 || strchr("/?#@:", url[8]) != NULL)
		return clr_err_set(err, CLR_EINVAL,
		    "the unsubscribe URL has no host");
	return 0;
}

/* check_feedback_id - printable ASCII, no space: "a:b:c". */
static int
check_feedback_id(const char *id, struct clr_err *err)
{
	size_t	 n, i;

	n = strnlen(id, ID_MAX + 1);
	if (n == 0)
		return clr_err_set(err, CLR_EINVAL,
		    "the Feedback-ID is empty");
	if (n > ID_MAX)
		return clr_err_set(err, CLR_EINVAL,
		    "the Feedback-ID is longer than %d octets", ID_MAX);
	for (i = 0; i < n; i++)
		if ((unsigned char)id[i] <= 0x20 ||
		    (unsigned char)id[i] >= 0x7F)
			return clr_err_set(err, CLR_EINVAL, "the Feedback-ID "
			    "may only hold printable ASCII, no space");
	return 0;
}

/* check_body - UTF-8, as its Content-Type says. */
static int
check_body(const char *s, size_t n, const char *what, struct clr_err *err)
{
	size_t	 bad;

	if (s == NULL && n > 0)
		return clr_err_set(err, CLR_EINVAL, "the %s is missing",
		    what);
	if (n > 0 && !utf8_valid(s, n, &bad))
		return clr_err_set(err, CLR_EINVAL,
		    "the %s is not valid UTF-8 (at octet %zu)", what, bad);
	return 0;
}

/*
 * check_params - every value, in the order the fields are written; the
 * first bad one is reported. NULL optional values are not checked.
 */
static int
check_params(const struct msg_params *p, struct clr_err *err)
{
	int	 rc = 0;

	if (p == NULL)
		return clr_err_set(err, CLR_EINVAL, "no message parameters");
	if (p->subject == NULL)
		return clr_err_set(err, CLR_EINVAL, "the subject is missing");
	if (p->utc_offset < -OFFSET_MAX || p->utc_offset > OFFSET_MAX)
		return clr_err_set(err, CLR_EINVAL, "the UTC offset (%d "
		    "minutes) is not between -23:59 and +23:59",
		    p->utc_offset);
	if (format_date(p->date, p->utc_offset, NULL, 0) != 0)
		return clr_err_set(err, CLR_EINVAL,
		    "the date is not in the years 1900 to 9999");

	rc = check_addr(p->from.addr, "the From address", err);
	if (rc == 0 && p->from.name != NULL)
		rc = msg__check_text(p->from.name, MSG_NAME_MAX,
		    "the From name", err);
	if (rc == 0)
		rc = check_addr(p->to.addr, "the To address", err);
	if (rc == 0 && p->to.name != NULL)
		rc = msg__check_text(p->to.name, MSG_NAME_MAX, "the To name",
		    err);
	if (rc == 0)
		rc = msg__check_text(p->subject, MSG_SUBJECT_MAX,
		    "the subject", err);
	if (rc == 0)
		rc = check_msgid(p->message_id, err);
	if (rc == 0)
		rc = check_list_id(p->list_id, err);
	if (rc == 0 && p->list_name != NULL)
		rc = msg__check_text(p->list_name, MSG_NAME_MAX,
		    "the list name", err);
	if (rc == 0)
		rc = check_url(p->unsubscribe_url, err);
	if (rc == 0 && p->unsubscribe_mailto != NULL)
		rc = check_addr(p->unsubscribe_mailto,
		    "the unsubscribe mailto address", err);
	if (rc == 0 && p->feedback_id != NULL)
		rc = check_feedback_id(p->feedback_id, err);
	if (rc == 0 && p->reply_to != NULL)
		rc = check_addr(p->reply_to, "the Reply-To address", err);
	if (rc == 0)
		rc = check_body(p->text, p->text_len, "text body", err);
	if (rc == 0 && p->html != NULL)
		rc = check_body(p->html, p->html_len, "HTML body", err);
	return rc;
}

/*
 * format_date - RFC 5322 3.3 date-time for t seconds since the epoch
 * shown at off minutes east of UTC, into out (NULL: only check the
 * range). Pure arithmetic, no time zone state: the civil date from a day
 * number is Howard Hinnant's civil_from_days (proleptic Gregorian).
 * Returns 0, or -1 if the local date falls outside the years 1900-9999
 * (RFC 5322 wants four digits and no year before 1900).
 */
static int
format_date(int64_t t, int off, char *out, size_t size)
{
	int64_t		 local, days, secs, era, y;
	unsigned	 doe, yoe, doy, mp, d, m, aoff;

	/* Bound t first, so adding the offset cannot overflow. */
	if (t < DATE_MIN_SECS - 86400 || t > DATE_MAX_SECS + 86400)
		return -1;
	local = t + (int64_t)off * 60;
	if (local < DATE_MIN_SECS || local > DATE_MAX_SECS)
		return -1;
	if (out == NULL)
		return 0;

	days = local / 86400;
	secs = local % 86400;
	if (secs < 0) {
		secs += 86400;
		days--;
	}
	/* civil_from_days: eras of 400 years from 0000-03-01. */
	days += 719468;
	era = (days >= 0 ? days : days - 146096) / 146097;
	doe = (unsigned)(days - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = (int64_t)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	if (m <= 2)
		y++;

	aoff = (unsigned)(off < 0 ? -off : off);
	/* days - 719468 is the day number: day 0, 1970-01-01, a Thursday. */
	snprintf(out, size, "%s, %u %s %04lld %02u:%02u:%02u %c%02u%02u",
	    wdays[(((days - 719468 + 4) % 7) + 7) % 7], d, months[m - 1],
	    (long long)y, (unsigned)(secs / 3600),
	    (unsigned)(secs / 60 % 60), (unsigned)(secs % 60),
	    off < 0 ? '-' : '+', aoff / 60, aoff % 60);
	return 0;
}

/*
 * make_boundary - "=_clarion_" and the 64-bit FNV-1a hash of the
 * Message-ID in hex: the same message always gets the same boundary,
 * two messages rarely do, and since "=_" never occurs in quoted-printable
 * it cannot occur in a body either, whatever the bodies hold. Valid per
 * RFC 2046 5.1.1 (bchars, at most 70), quoted in Content-Type since '='
 * is a tspecial.
 */
static void
make_boundary(const char *message_id, char *out)
{
	uint64_t		 h = UINT64_C(0xcbf29ce484222325);
	const unsigned char	*s = (const unsigned char *)message_id;

	for (; *s != '\0'; s++) {
		h ^= *s;
		h *= UINT64_C(0x100000001b3);
	}
	snprintf(out, BOUNDARY_LEN + 1, "=_clarion_%016llx",
	    (unsigned long long)h);
}

/*
 * mailto_encode - an address as the "to" of a mailto URL (RFC 6068 2):
 * unreserved characters and the "some-delims" that an address can hold
 * stay, everything else is percent-encoded (non-ASCII as UTF-8 octets).
 * out holds 3 * ADDR_MAX + 1. Returns the length.
 */
static size_t
mailto_encode(const char *a, char *out)
{
	static const char	 hex[] = "0123456789ABCDEF";
	size_t			 o = 0;

	for (; *a != '\0'; a++) {
		unsigned char	 c = (unsigned char)*a;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~!$'*+@", c) != NULL)
			out[o++] = (char)c;
		else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 0x0F];
		}
	}
	out[o] = '\0';
	return o;
}

/*
 * phrase_normalise - a display name or list name without spaces at its
 * ends and with each run of spaces inside made one, into out (at least
 * MSG_NAME_MAX + 1 octets; the name is at most that long, checked).
 * In a phrase, a run of white space between words means one space (RFC
 * 5322 3.2.2) and readers show it so, or drop it at the ends; keeping
 * the runs would only force encoded-words where atoms would do. Only
 * ASCII spaces are touched: a no-break space is a character of the name.
 */
static size_t
phrase_normalise(const char *in, char *out)
{
	size_t	 o = 0;

	for (; *in != '\0'; in++) {
		if (*in == ' ' && (o == 0 || out[o - 1] == ' '))
			continue;
		out[o++] = *in;
	}
	if (o > 0 && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
	return o;
}

/* put_mailbox - "phrase <addr>", or the bare addr without a name. */
static void
put_mailbox(struct msg__hdr *h, const char *name, const char *addr)
{
	char	 norm[MSG_NAME_MAX + 1];
	size_t	 n = 0;

	if (name != NULL)
		n = phrase_normalise(name, norm);
	if (n > 0) {
		msg__hdr_phrase(h, norm, n);
		msg__hdr_word(h, "<", addr, strlen(addr), ">");
	} else
		msg__hdr_word(h, NULL, addr, strlen(addr), NULL);
}

/* put_simple - "name: value" CRLF, value one word. */
static int
put_simple(struct buf *b, const char *name, const char *value)
{
	struct msg__hdr	 h;

	msg__hdr_begin(&h, b, name);
	msg__hdr_word(&h, NULL, value, strlen(value), NULL);
	return msg__hdr_end(&h);
}

static int
put_headers(const struct msg_params *p, const char *date,
    const char *boundary, struct buf *b)
{
	struct msg__hdr	 h;
	char		 mailto[3 * ADDR_MAX + 1], norm[MSG_NAME_MAX + 1];
	size_t		 n;
	int		 rc;

	msg__hdr_begin(&h, b, "From");
	put_mailbox(&h, p->from.name, p->from.addr);
	if ((rc = msg__hdr_end(&h)) != 0)
		return rc;

	msg__hdr_begin(&h, b, "To");
	put_mailbox(&h, p->to.name, p->to.addr);
	if ((rc = msg__hdr_end(&h)) != 0)
		return rc;

	msg__hdr_begin(&h, b, "Subject");
	msg__hdr_unstructured(&h, p->subject, strlen(p->subject),
	    strlen("Subject"));
	if ((rc = msg__hdr_end(&h)) != 0)
		return rc;

	if ((rc = put_simple(b, "Date", date)) != 0)
		return rc;

	msg__hdr_begin(&h, b, "Message-ID");
	msg__hdr_word(&h, "<", p->message_id, strlen(p->message_id), ">");
	if ((rc = msg__hdr_end(&h)) != 0 ||
	    (rc = put_simple(b, "MIME-Version", "1.0")) != 0)
		return rc;

	msg__hdr_begin(&h, b, "List-Id");
	if (p->list_name != NULL &&
	    (n = phrase_normalise(p->list_name, norm)) > 0)
		msg__hdr_phrase(&h, norm, n);
	msg__hdr_word(&h, "<", p->list_id, strlen(p->list_id), ">");
	if ((rc = msg__hdr_end(&h)) != 0)
		return rc;

	msg__hdr_begin(&h, b, "List-Unsubscribe");
	msg__hdr_word(&h, "<", p->unsubscribe_url, strlen(p->unsubscribe_url),
	    p->unsubscribe_mailto != NULL ? ">," : ">");
	if (p->unsubscribe_mailto != NULL) {
		n = mailto_encode(p->unsubscribe_mailto, mailto);
		msg__hdr_word(&h, "<mailto:", mailto, n, ">");
	}
	if ((rc = msg__hdr_end(&h)) != 0 ||
	    (rc = put_simple(b, "List-Unsubscribe-Post",
	    "List-Unsubscribe=One-Click")) != 0)
		return rc;

	if (p->feedback_id != NULL &&
	    (rc = put_simple(b, "Feedback-ID", p->feedback_id)) != 0)
		return rc;
	if (p->reply_to != NULL &&
	    (rc = put_simple(b, "Reply-To", p->reply_to)) != 0)
		return rc;

	msg__hdr_begin(&h, b, "Content-Type");
	if (p->html != NULL) {
		msg__hdr_word(&h, NULL, "multipart/alternative;", 22, NULL);
		msg__hdr_word(&h, "boundary=\"", boundary, strlen(boundary),
		    "\"");
		return msg__hdr_end(&h);
	}
	msg__hdr_word(&h, NULL, "text/plain;", 11, NULL);
	msg__hdr_word(&h, NULL, "charset=UTF-8", 13, NULL);
	if ((rc = msg__hdr_end(&h)) != 0)
		return rc;
	return put_simple(b, "Content-Transfer-Encoding", "quoted-printable");
}

/*
 * put_body - the blank line and the body. In a multipart, the CRLF
 * before each delimiter belongs to the delimiter (RFC 2046 5.1.1), so a
 * part decodes to exactly its text, final line break or not. A text-only
 * body that does not end in a line break ends in a soft break instead.
 */
static int
put_body(const struct msg_params *p, const char *boundary, struct buf *b)
{
	static const char	 part_hdr[] =
	    "; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n";
	int			 rc;

	if ((rc = buf_append(b, "\r\n", 2)) != 0)
		return rc;
	if (p->html == NULL)
		return msg__put_qp(b, p->text, p->text_len, 1);
	if ((rc = buf_printf(b, "--%s\r\nContent-Type: text/plain%s",
	    boundary, part_hdr)) != 0 ||
	    (rc = msg__put_qp(b, p->text, p->text_len, 0)) != 0 ||
	    (rc = buf_printf(b, "\r\n--%s\r\nContent-Type: text/html%s",
	    boundary, part_hdr)) != 0 ||
	    (rc = msg__put_qp(b, p->html, p->html_len, 0)) != 0 ||
	    (rc = buf_printf(b, "\r\n--%s--\r\n", boundary)) != 0)
		return rc;
	return 0;
}

int
msg_build(const struct msg_params *p, struct buf *out, struct clr_err *err)
{
	char	 date[DATE_MAX], boundary[BOUNDARY_LEN + 1];
	size_t	 len0 = out->len;
	int	 rc;

	if ((rc = check_params(p, err)) != 0)
		return rc;
	format_date(p->date, p->utc_offset, date, sizeof(date));
	make_boundary(p->message_id, boundary);
	if ((rc = put_headers(p, date, boundary, out)) != 0 ||
	    (rc = put_body(p, boundary, out)) != 0)
		goto fail;
	return 0;
fail:
	buf_truncate(out, len0);
	if (rc == CLR_ETOOBIG)
		return clr_err_set(err, rc, "the message would pass the "
		    "output buffer's size limit");
	return clr_err_set(err, rc, "%s building the message",
	    clr_strerror(rc));
}

/* check_field_name - 1 to MSG__FIELD_NAME_MAX printable, no ':'. */
static int
check_field_name(const char *name)
{
	size_t	 n, i;

	if (name == NULL)
		return 0;
	n = strnlen(name, MSG__FIELD_NAME_MAX + 1);
	if (n == 0 || n > MSG__FIELD_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char	 c = (unsigned char)name[i];

		if (c <= 0x20 || c >= 0x7F || c == ':')
			return 0;
	}
	return 1;
}

int
msg_put_unstructured(struct buf *b, const char *name, const char *value,
    struct clr_err *err)
{
	struct msg__hdr	 h;
	char		 what[MSG__FIELD_NAME_MAX + 16];
	size_t		 len0 = b->len;
	int		 rc;

	if (!check_field_name(name))
		return clr_err_set(err, CLR_EINVAL, "the header field name is "
		    "not 1 to %d printable ASCII characters without ':'",
		    MSG__FIELD_NAME_MAX);
	snprintf(what, sizeof(what), "the %s header", name);
	if (value == NULL)
		return clr_err_set(err, CLR_EINVAL, "%s has no value", what);
	if ((rc = msg__check_text(value, MSG_SUBJECT_MAX, what, err)) != 0)
		return rc;
	msg__hdr_begin(&h, b, name);
	msg__hdr_unstructured(&h, value, strlen(value), strlen(name));
	if ((rc = msg__hdr_end(&h)) != 0) {
		buf_truncate(b, len0);
		return clr_err_set(err, rc, "%s building the %s header",
		    clr_strerror(rc), name);
	}
	return 0;
}
