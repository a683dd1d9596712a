/* SPDX-License-Identifier: ISC */
/*
 * smtp/reply.c - the strict parser of SMTP replies (RFC 5321 4.2)
 *
 * Bytes are pushed in as they come; whole replies are pulled out. A reply
 * is one or more lines, each "DDD-text" but the last, "DDD text" or
 * "DDD", each ended by CRLF. The parser checks:
 *
 *	the code: [2-5][0-5][0-9], the same on every line of the reply;
 *	the separator after it: '-' (more lines follow), ' ', or nothing;
 *	the text: HT, SP, 0x21-0x7E and octets >= 0x80 (some servers write
 *	    UTF-8: kept as they are); no other control octet, no NUL, no
 *	    bare CR, no bare LF;
 *	the bounds: SMTP_LINE_MAX octets a line (CRLF included),
 *	    SMTP_REPLY_LINES_MAX lines a reply, SMTP_TEXT_MAX octets of
 *	    joined text, SMTP_PENDING_MAX octets buffered unparsed.
 *
 * An enhanced status code (RFC 3463: class "." subject "." detail, the
 * class 2, 4 or 5 and the reply's own first digit, subject and detail of
 * 1 to 3 digits) at the start of the first line's text, followed by a
 * space or the end of the line, goes into reply.status. It is stripped
 * from that line and from every later line that starts with the same
 * code (RFC 2034 puts it on each line); a line with another code keeps it.
 *
 * A line is looked at only once its LF has come (or SMTP_LINE_MAX octets
 * without one), so the verdict does not depend on how the bytes were
 * split into pushes. Lines are taken out of the input as they are parsed:
 * what stays buffered is at most the unparsed rest.
 *
 * An error is final: the parser keeps returning it, with its reason. A
 * session cannot trust anything after a malformed reply, so there is no
 * resynchronising. This file does no I/O and keeps no state but its own.
 *
 * Trust boundary: everything pushed comes from the server, hostile or not.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "smtp.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/err.h"

#define REASON_MAX	200

struct smtp_reply_parser {
	struct buf	 in;		/* pushed octets; parsed up to off */
	size_t		 off;
	struct buf	 text;		/* the reply's joined text so far */
	size_t		 lines;		/* lines of it parsed */
	size_t		 taken;		/* octets of those lines */
	int		 code;		/* of its first line */
	char		 status[16];	/* enhanced status code, or "" */
	int		 done;		/* text holds a reply returned */
	int		 error;		/* CLR_E*: the parser is stuck */
	char		 reason[REASON_MAX];
};

/* Text octets: 1 allowed, 0 refused (controls but HT, DEL). */
static const unsigned char text_ok[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

static int	 stuck(struct smtp_reply_parser *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static const char *show(char *, size_t, const char *, size_t);
static size_t	 status_len(const char *, size_t, int);
static int	 parse_line(struct smtp_reply_parser *, const char *, size_t,
		    int *);
static void	 reply_reset(struct smtp_reply_parser *);

/* stuck - make the error final, with its reason; returns code. */
static int
stuck(struct smtp_reply_parser *p, int code, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(p->reason, sizeof(p->reason), fmt, ap);
	va_end(ap);
	p->error = code;
	return code;
}

/* show - s[0..n) fit for a reason: printable ASCII, else \xNN. */
static const char *
show(char *dst, size_t size, const char *s, size_t n)
{
	size_t		 i, o = 0;
	unsigned char	 c;

	for (i = 0; i < n && o + 5 < size; i++) {
		c = (unsigned char)s[i];
		if (c > 0x20 && c < 0x7F && c != '\\')
			dst[o++] = (char)c;
		else
			o += (size_t)snprintf(dst + o, size - o, "\\x%02X", c);
	}
	dst[o] = '\0';
	return dst;
}

/*
 * status_len - the length of the enhanced status code starting t[0..n)
 * for a reply of the class cls ('2', '4', '5'), or 0 if there is none.
 * It must end at the end of the text or before a space.
 */
static size_t
status_len(const char *t, size_t n, int cls)
{
	size_t	 i = 0, k, part;

	if (n < 5 || (cls != '2' && cls != '4' && cls != '5') || t[0] != cls ||
	    t[1] != '.')
		return 0;
	i = 2;
	for (part = 0; part < 2; part++) {
		for (k = 0; k < 3 && i < n && t[i] >= '0' && t[i] <= '9'; k++)
			i++;
		if (k == 0)
			return 0;
		if (part == 0) {
			if (i == n || t[i] != '.')
				return 0;
			i++;
		}
	}
	if (i < n && t[i] != ' ')
		return 0;
	return i;
}

/*
 * parse_line - check one line, s[0..n) with its CRLF, and add its text to
 * the reply. *last is set when it ends the reply. 0, or an error made
 * final.
 */
static int
parse_line(struct smtp_reply_parser *p, const char *s, size_t n, int *last)
{
	char		 tmp[32];
	const char	*t;
	size_t		 no = p->lines + 1, tn, i, sl;
	int		 code, rc;

	if (p->lines == SMTP_REPLY_LINES_MAX)
		return stuck(p, CLR_ETOOBIG, "reply of over %d lines",
		    SMTP_REPLY_LINES_MAX);
	if (n < 2 || s[n - 2] != '\r')
		return stuck(p, CLR_ESYNTAX, "reply line %zu: bare LF (line "
		    "ends must be CRLF)", no);
	n -= 2;
	if (n < 3)
		return stuck(p, CLR_ESYNTAX, "reply line %zu: too short for a "
		    "reply code (\"%s\")", no, show(tmp, sizeof(tmp), s, n));
	if (s[0] < '2' || s[0] > '5' || s[1] < '0' || s[1] > '5' ||
	    s[2] < '0' || s[2] > '9')
		return stuck(p, CLR_ESYNTAX, "reply line %zu: bad reply code "
		    "\"%s\"", no, show(tmp, sizeof(tmp), s, 3));
	code = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
	if (p->lines > 0 && code != p->code)
		return stuck(p, CLR_ESYNTAX, "reply line %zu: code %d differs "
		    "from %d", no, code, p->code);
	if (n == 3 || s[3] == ' ')
		*last = 1;
	else if (s[3] == '-')
		*last = 0;
	else
		return stuck(p, CLR_ESYNTAX, "reply line %zu: \"%s\" after "
		    "the code (want ' ' or '-')", no,
		    show(tmp, sizeof(tmp), s + 3, 1));
	t = n > 4 ? s + 4 : s + n;
	tn = n > 4 ? n - 4 : 0;
	for (i = 0; i < tn; i++) {
		unsigned char	 c = (unsigned char)t[i];

		if (text_ok[c])
			continue;
		if (c == '\r')
			return stuck(p, CLR_ESYNTAX, "reply line %zu, column "
			    "%zu: bare CR", no, i + 5);
		if (c == '\0')
			return stuck(p, CLR_ESYNTAX, "reply line %zu, column "
			    "%zu: NUL octet", no, i + 5);
		return stuck(p, CLR_ESYNTAX, "reply line %zu, column %zu: "
		    "control octet 0x%02X", no, i + 5, c);
	}

	if (p->lines == 0) {
		p->code = code;
		sl = status_len(t, tn, s[0]);
		if (sl > 0) {
			memcpy(p->status, t, sl);
			p->status[sl] = '\0';
		}
	} else {
		sl = strlen(p->status);
		if (sl == 0 || tn < sl || memcmp(t, p->status, sl) != 0 ||
		    (tn > sl && t[sl] != ' '))
			sl = 0;
	}
	if (sl > 0) {
		/* The code, and the space after it. */
		sl += sl < tn;
		t += sl;
		tn -= sl;
	}
	if (p->lines > 0 && (rc = buf_putc(&p->text, '\n')) != 0)
		goto toobig;
	if ((rc = buf_append(&p->text, t, tn)) != 0)
		goto toobig;
	p->lines++;
	return 0;
toobig:
	if (rc == CLR_ENOMEM)
		return stuck(p, rc, "out of memory");
	return stuck(p, rc, "reply text over %d octets", SMTP_TEXT_MAX);
}

static void
reply_reset(struct smtp_reply_parser *p)
{
	buf_reset(&p->text);
	p->lines = 0;
	p->taken = 0;
	p->code = 0;
	p->status[0] = '\0';
	p->done = 0;
}

struct smtp_reply_parser *
smtp_reply_parser_new(void)
{
	struct smtp_reply_parser	*p;

	if ((p = clr_calloc(1, sizeof(*p))) == NULL)
		return NULL;
	/* Room to keep a full line while a push of a full batch comes. */
	buf_init(&p->in, SMTP_PENDING_MAX + SMTP_LINE_MAX);
	buf_init(&p->text, SMTP_TEXT_MAX);
	return p;
}

void
smtp_reply_parser_free(struct smtp_reply_parser *p)
{
	if (p == NULL)
		return;
	buf_free(&p->in);
	buf_free(&p->text);
	clr_free(p);
}

int
smtp_reply_push(struct smtp_reply_parser *p, const void *data, size_t n)
{
	size_t	 avail = p->in.len - p->off;

	if (p->error != 0 || n == 0)
		return 0;
	if (n > SMTP_PENDING_MAX || avail > SMTP_PENDING_MAX - n)
		return CLR_ETOOBIG;
	/* Move the unparsed rest down: at most a line, in steady state. */
	if (p->off > 0) {
		if (avail > 0)
			memmove(p->in.data, p->in.data + p->off, avail);
		buf_truncate(&p->in, avail);
		p->off = 0;
	}
	return buf_append(&p->in, data, n);
}

int
smtp_reply_next(struct smtp_reply_parser *p, struct smtp_reply *r,
    struct clr_err *err)
{
	const char	*s, *lf;
	size_t		 avail, len;
	int		 last = 0;

	if (p->error != 0)
		return clr_err_set(err, p->error, "%s", p->reason);
	if (p->done)
		reply_reset(p);
	for (;;) {
		avail = p->in.len - p->off;
		/* Before the first push in.data is NULL: no offset from it. */
		if (avail == 0)
			return 0;
		s = p->in.data + p->off;
		lf = memchr(s, '\n', avail < SMTP_LINE_MAX ? avail :
		    SMTP_LINE_MAX);
		if (lf == NULL) {
			if (avail < SMTP_LINE_MAX)
				return 0;
			stuck(p, CLR_ETOOBIG, "reply line %zu: over %d octets",
			    p->lines + 1, SMTP_LINE_MAX);
			return clr_err_set(err, p->error, "%s", p->reason);
		}
		len = (size_t)(lf - s) + 1;
		if (parse_line(p, s, len, &last) != 0)
			return clr_err_set(err, p->error, "%s", p->reason);
		p->off += len;
		p->taken += len;
		if (last)
			break;
	}
	p->done = 1;
	r->code = p->code;
	memcpy(r->status, p->status, sizeof(r->status));
	r->text = p->text.data != NULL ? p->text.data : "";
	return 1;
}

size_t
smtp_reply_pending(const struct smtp_reply_parser *p)
{
	return p->in.len - p->off + (p->done ? 0 : p->taken);
}

void
smtp_reply_discard(struct smtp_reply_parser *p)
{
	p->off = 0;
	buf_truncate(&p->in, 0);
	if (!p->done)
		reply_reset(p);
}
