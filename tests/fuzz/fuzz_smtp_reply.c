/* SPDX-License-Identifier: ISC */
/*
 * tests/fuzz/fuzz_smtp_reply.c - libFuzzer target for the SMTP reply
 * parser (smtp_reply_parser_*)
 *
 * Input: one octet of flags, then up to 7 octets of chunk sizes, then the
 * server's bytes. Flags: bits 0-2 the number of chunk size octets (none:
 * a byte at a time), bit 3 repeat the bytes 8 to 128 times (bits 4-7) so
 * that small inputs reach the bounds of a reply.
 *
 * The bytes go through three parsers: a reference written here from the
 * rules in smtp.h and reply.c, the parser with everything in one push,
 * and the parser in chunks of the sizes given (0: the rest), replies
 * pulled after every push. All three must give the same replies (code,
 * status, text) and the same verdict at the end (more input wanted, or
 * an error), and then the same octets pending. Besides, aborts unless:
 *
 *	- asking a parser that was given nothing gives 0;
 *	- a code is [2-5][0-5][0-9], a status is "" or class.subject.detail
 *	  with the class the code's first digit, a text is printable but for
 *	  HT and the "\n" between lines, and within SMTP_TEXT_MAX;
 *	- after an error, every smtp_reply_next gives that error again,
 *	  more input or smtp_reply_discard notwithstanding;
 *	- smtp_reply_discard leaves nothing pending, and a parser that had
 *	  no error then reads a fresh reply.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/smtp.h"
#include "util/buf.h"
#include "util/err.h"

#define F_NSPLIT	0x07
#define F_REPEAT	0x08

int		 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void	 put(struct buf *, const void *, size_t);
static void	 put_reply(struct buf *, int, const char *, const char *);
static size_t	 ref_status(const uint8_t *, size_t, int);
static int	 ref_parse(const uint8_t *, size_t, struct buf *, size_t *);
static void	 check_reply(const struct smtp_reply *);
static int	 pull(struct smtp_reply_parser *, struct buf *, int *);

static void
put(struct buf *b, const void *p, size_t n)
{
	if (buf_append(b, p, n) != 0)
		abort();
}

/* put_reply - a reply, serialised the same way for every parser. */
static void
put_reply(struct buf *b, int code, const char *status, const char *text)
{
	size_t	 n = strlen(text);

	put(b, &code, sizeof(code));
	put(b, status, strlen(status) + 1);
	put(b, &n, sizeof(n));
	put(b, text, n);
}

/* ref_status - the enhanced status code at t[0..n), or 0 (RFC 3463). */
static size_t
ref_status(const uint8_t *t, size_t n, int cls)
{
	size_t	 i, d;
	int	 part;

	if (cls == '3' || n == 0 || t[0] != cls)
		return 0;
	i = 1;
	for (part = 0; part < 2; part++) {
		if (i == n || t[i] != '.')
			return 0;
		i++;
		for (d = 0; i < n && t[i] >= '0' && t[i] <= '9'; d++)
			i++;
		if (d < 1 || d > 3)
			return 0;
	}
	return i == n || t[i] == ' ' ? i : 0;
}

/*
 * ref_parse - the replies in s[0..n) into out, and where the last one
 * ended; 0 if the rest only wants more input, -1 at the first error.
 */
static int
ref_parse(const uint8_t *s, size_t n, struct buf *out, size_t *end)
{
	struct buf	 text = BUF_INITIALIZER(SIZE_MAX);
	const uint8_t	*lf, *t;
	char		 status[16] = "";
	size_t		 off = 0, len, lines = 0, tn, sl, i;
	int		 code = 0, c, rc = 0;

	*end = 0;
	while (off < n) {
		len = n - off;
		lf = memchr(s + off, '\n', len < SMTP_LINE_MAX ? len :
		    SMTP_LINE_MAX);
		if (lf == NULL) {
			rc = len < SMTP_LINE_MAX ? 0 : -1;
			break;
		}
		len = (size_t)(lf - (s + off)) + 1;
		if (lines == SMTP_REPLY_LINES_MAX || len < 5 ||
		    s[off + len - 2] != '\r') {
			rc = -1;
			break;
		}
		len -= 2;
		t = s + off;
		if (t[0] < '2' || t[0] > '5' || t[1] < '0' || t[1] > '5' ||
		    t[2] < '0' || t[2] > '9') {
			rc = -1;
			break;
		}
		c = (t[0] - '0') * 100 + (t[1] - '0') * 10 + t[2] - '0';
		if ((lines > 0 && c != code) ||
		    (len > 3 && t[3] != ' ' && t[3] != '-')) {
			rc = -1;
			break;
		}
		tn = len > 4 ? len - 4 : 0;
		for (i = 0; i < tn; i++)
			if ((t[4 + i] < 0x20 && t[4 + i] != '\t') ||
			    t[4 + i] == 0x7F)
				break;
		if (i < tn) {
			rc = -1;
			break;
		}
		if (lines == 0) {
			code = c;
			sl = ref_status(t + 4, tn, t[0]);
			memcpy(status, t + 4, sl);
			status[sl] = '\0';
		} else {
			sl = strlen(status);
			if (sl == 0 || tn < sl || memcmp(t + 4, status,
			    sl) != 0 || (tn > sl && t[4 + sl] != ' '))
				sl = 0;
		}
		if (sl > 0 && sl < tn)
			sl++;
		if (lines > 0)
			put(&text, "\n", 1);
		put(&text, t + 4 + sl, tn - sl);
		if (text.len > SMTP_TEXT_MAX) {
			rc = -1;
			break;
		}
		lines++;
		off += len + 2;
		if (len == 3 || t[3] == ' ') {
			put_reply(out, code, status, text.data != NULL ?
			    text.data : "");
			*end = off;
			buf_reset(&text);
			lines = 0;
			status[0] = '\0';
		}
	}
	buf_free(&text);
	return rc;
}

/* check_reply - what a reply from the parser must look like. */
static void
check_reply(const struct smtp_reply *r)
{
	const unsigned char	*t = (const unsigned char *)r->text;
	const char		*st = r->status;
	size_t			 i, n, d;
	int			 part;

	if (r->code < 200 || r->code > 559 || (r->code / 10) % 10 > 5)
		abort();
	if (memchr(st, '\0', sizeof(r->status)) == NULL)
		abort();
	if (st[0] != '\0') {
		if (st[0] != '0' + r->code / 100 || st[0] == '3')
			abort();
		for (i = 1, part = 0; part < 2; part++) {
			if (st[i++] != '.')
				abort();
			for (d = 0; st[i] >= '0' && st[i] <= '9'; d++)
				i++;
			if (d < 1 || d > 3)
				abort();
		}
		if (st[i] != '\0')
			abort();
	}
	if (r->text == NULL || (n = strlen(r->text)) > SMTP_TEXT_MAX)
		abort();
	for (i = 0; i < n; i++)
		if ((t[i] < 0x20 && t[i] != '\t' && t[i] != '\n') ||
		    t[i] == 0x7F)
			abort();
}

/*
 * pull - every reply the parser has, into out. Returns 0 for more input
 * or the error; *err_seen keeps the first error, which must stay.
 */
static int
pull(struct smtp_reply_parser *p, struct buf *out, int *err_seen)
{
	struct smtp_reply	 r;
	struct clr_err		 err;
	int			 rc;

	while ((rc = smtp_reply_next(p, &r, &err)) == 1) {
		if (*err_seen != 0)
			abort();
		check_reply(&r);
		put_reply(out, r.code, r.status, r.text);
	}
	if (rc < 0) {
		if ((rc != CLR_ESYNTAX && rc != CLR_ETOOBIG &&
		    rc != CLR_ENOMEM) || err.code != rc || err.msg[0] == '\0')
			abort();
		if (*err_seen != 0 && rc != *err_seen)
			abort();
		*err_seen = rc;
	} else if (rc != 0 || *err_seen != 0)
		abort();
	/* Asking again changes nothing. */
	if (smtp_reply_next(p, &r, &err) != rc)
		abort();
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char	 fresh[] = "250 2.0.0 fresh\r\n";
	struct buf		 in = BUF_INITIALIZER(SIZE_MAX);
	struct buf		 ref = BUF_INITIALIZER(SIZE_MAX);
	struct buf		 one = BUF_INITIALIZER(SIZE_MAX);
	struct buf		 chunked = BUF_INITIALIZER(SIZE_MAX);
	struct smtp_reply_parser *p;
	struct smtp_reply	 r;
	struct clr_err		 err;
	const uint8_t		*split;
	size_t			 nsplit, i, off, step, times, end;
	int			 ref_rc, e1 = 0, e2 = 0, rc1, rc2;

	if (size == 0)
		return 0;
	nsplit = data[0] & F_NSPLIT;
	if (size < 1 + nsplit)
		return 0;
	split = data + 1;
	times = data[0] & F_REPEAT ? ((size_t)(data[0] >> 4) + 1) * 8 : 1;
	for (i = 0; i < times; i++)
		put(&in, data + 1 + nsplit, size - 1 - nsplit);
	if (in.len == 0 || in.len > SMTP_PENDING_MAX)
		goto out;

	ref_rc = ref_parse((const uint8_t *)in.data, in.len, &ref, &end);

	/* Everything in one push, after asking a parser with nothing. */
	if ((p = smtp_reply_parser_new()) == NULL)
		abort();
	if (smtp_reply_next(p, &r, &err) != 0 || smtp_reply_pending(p) != 0)
		abort();
	if (smtp_reply_push(p, in.data, in.len) != 0)
		abort();
	rc1 = pull(p, &one, &e1);
	/* Pending: what follows the last whole reply. */
	if (rc1 == 0 && ref_rc == 0 && smtp_reply_pending(p) != in.len - end)
		abort();
	smtp_reply_parser_free(p);

	/* In chunks, pulling after each, on past an error. */
	if ((p = smtp_reply_parser_new()) == NULL)
		abort();
	rc2 = 0;
	for (off = 0, i = 0; off < in.len; off += step, i++) {
		step = nsplit == 0 ? 1 : split[i % nsplit];
		if (step == 0 || step > in.len - off)
			step = in.len - off;
		if (smtp_reply_push(p, in.data + off, step) != 0)
			abort();
		rc2 = pull(p, &chunked, &e2);
	}
	if (rc2 == 0 && ref_rc == 0 && smtp_reply_pending(p) != in.len - end)
		abort();

	if ((ref_rc < 0) != (rc1 < 0) || rc1 != rc2)
		abort();
	if (ref.len != one.len || ref.len != chunked.len || (ref.len > 0 &&
	    (memcmp(ref.data, one.data, ref.len) != 0 ||
	    memcmp(ref.data, chunked.data, ref.len) != 0)))
		abort();

	/* Discarding drops the input, never the error. */
	smtp_reply_discard(p);
	if (rc2 == 0 && smtp_reply_pending(p) != 0)
		abort();
	if (smtp_reply_push(p, fresh, sizeof(fresh) - 1) != 0)
		abort();
	rc1 = smtp_reply_next(p, &r, &err);
	if (rc2 < 0 ? rc1 != rc2 : (rc1 != 1 || r.code != 250 ||
	    strcmp(r.status, "2.0.0") != 0 || strcmp(r.text, "fresh") != 0))
		abort();
	smtp_reply_parser_free(p);
out:
	buf_free(&in);
	buf_free(&ref);
	buf_free(&one);
	buf_free(&chunked);
	return 0;
}
