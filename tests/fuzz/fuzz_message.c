/* SPDX-License-Identifier: ISC */
/*
 * tests/fuzz/fuzz_message.c - libFuzzer target for msg_build
 *
 * Input: 8 octets of date (little-endian), 2 of UTC offset, 1 of flags,
 * then the values, each ended by a NUL: From name, To name, subject,
 * list name, text body, From address, To address, Reply-To, Message-ID,
 * List-Id, unsubscribe URL, mailto address, Feedback-ID; what is left is
 * the HTML body (NULs and all). A value the input does not reach takes a
 * valid default. Flag bits choose which optional values are set, and
 * whether the date is used as it is or brought into the years msg_build
 * accepts, so that most inputs get built.
 *
 * A refusal must be CLR_EINVAL with a message and leave the buf as it
 * was. A message must end in CRLF, hold no bare CR or LF and no NUL,
 * have exactly the header names the flags call for, in order (values
 * can never add one), header lines of at most 78 octets unless one holds
 * a single word too long for any line (at most 998 then), body lines of
 * at most 76, and "=_" in the body only in the MIME delimiters.
 * msg_put_unstructured gets the subject too, under the same line rules.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "message/message.h"
#include "util/buf.h"
#include "util/err.h"

#define NFIELDS		13
#define F_HTML		0x01
#define F_REPLY_TO	0x02
#define F_FEEDBACK	0x04
#define F_MAILTO	0x08
#define F_NO_FROM_NAME	0x10
#define F_NO_TO_NAME	0x20
#define F_NO_LIST_NAME	0x40
#define F_RAW_DATE	0x80

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void	 check_message(const char *, size_t,
		    const struct msg_params *);
static void	 check_header_line(const char *, size_t);
static size_t	 count(const char *, size_t, const char *);

static const char	*const defaults[NFIELDS] = {
	"Ligue des droits humains", "Jos\xc3\xa9 Mar\xc3\xadn", "Bonjour",
	"Lettre", "Texte\n", "lettre@liguedh.example", "jose@example.org",
	"contact@liguedh.example", "1.2@liguedh.example",
	"lettre.liguedh.example", "https://liguedh.example/u/abc",
	"u-abc@liguedh.example", "1:lettre:liguedh"
};

/* count - occurrences of the C string pat in s[0..n). */
static size_t
count(const char *s, size_t n, const char *pat)
{
	size_t	 k = strlen(pat), i, c = 0;

	for (i = 0; i + k <= n; i++)
		if (memcmp(s + i, pat, k) == 0)
			c++;
	return c;
}

/*
 * check_header_line - at most 78 octets, or a single word (after the
 * field name, or after the fold's space) too long for any line, which
 * is never a quoted-string or an encoded-word.
 */
static void
check_header_line(const char *l, size_t len)
{
	const char	*sp;

	if (len <= 78)
		return;
	if (len > 998)
		abort();
	sp = memchr(l, ' ', len);
	if (sp == NULL || memchr(sp + 1, ' ', (size_t)(l + len - sp - 1)))
		abort();
	if ((size_t)(l + len - sp - 1) <= 76)
		abort();
	/* Never text from a name or the subject: those are folded. */
	if (sp[1] == '"' || (sp[1] == '=' && sp[2] == '?'))
		abort();
}

static void
check_message(const char *m, size_t n, const struct msg_params *p)
{
	const char	*want[16], *body;
	size_t		 nwant = 0, nnames = 0, i, start = 0, len;
	int		 in_header = 1;

	want[nwant++] = "From";
	want[nwant++] = "To";
	want[nwant++] = "Subject";
	want[nwant++] = "Date";
	want[nwant++] = "Message-ID";
	want[nwant++] = "MIME-Version";
	want[nwant++] = "List-Id";
	want[nwant++] = "List-Unsubscribe";
	want[nwant++] = "List-Unsubscribe-Post";
	if (p->feedback_id != NULL)
		want[nwant++] = "Feedback-ID";
	if (p->reply_to != NULL)
		want[nwant++] = "Reply-To";
	want[nwant++] = "Content-Type";
	if (p->html == NULL)
		want[nwant++] = "Content-Transfer-Encoding";

	if (n < 2 || m[n - 2] != '\r' || m[n - 1] != '\n')
		abort();
	for (i = 0; i < n; i++) {
		if (m[i] == '\0')
			abort();
		if (m[i] == '\r' && (i + 1 == n || m[i + 1] != '\n'))
			abort();
		if (m[i] != '\n')
			continue;
		if (i == 0 || m[i - 1] != '\r')
			abort();
		len = i - 1 - start;
		if (in_header && len == 0)
			in_header = 0;
		else if (in_header) {
			check_header_line(m + start, len);
			if (m[start] != ' ') {
				size_t	 k;

				if (nnames == nwant)
					abort();
				k = strlen(want[nnames]);
				if (len <= k || memcmp(m + start, want[nnames],
				    k) != 0 || m[start + k] != ':')
					abort();
				nnames++;
			} else if (start == 0)
				abort();
		} else if (len > 76)
			abort();
		start = i + 1;
	}
	if (in_header || nnames != nwant)
		abort();
	/* The body: "=_" only in the two delimiters and the close. */
	body = strstr(m, "\r\n\r\n") + 4;
	n -= (size_t)(body - m);
	if (p->html != NULL) {
		if (n < 12 || memcmp(body, "--=_clarion_", 12) != 0 ||
		    count(body, n, "=_") != 3 ||
		    count(body, n, "\r\n--=_clarion_") != 2)
			abort();
	} else if (count(body, n, "=_") != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char		*v[NFIELDS];
	char			*copy, *s, *end;
	struct msg_params	 p;
	struct buf		 out = BUF_INITIALIZER(1 << 22);
	struct clr_err		 err;
	int64_t			 date = 0;
	int16_t			 off = 0;
	uint8_t			 flags = 0;
	size_t			 i, n;
	int			 rc;

	if (size >= 11) {
		memcpy(&date, data, 8);
		memcpy(&off, data + 8, 2);
		flags = data[10];
		data += 11;
		size -= 11;
	} else
		size = 0;
	/* A copy with a NUL after it, so every value is a C string. */
	if ((copy = malloc(size + 1)) == NULL)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	s = copy;
	end = copy + size;
	for (i = 0; i < NFIELDS; i++) {
		if (s < end) {
			v[i] = s;
			s += strlen(s) + 1;
		} else
			v[i] = defaults[i];
	}

	memset(&p, 0, sizeof(p));
	p.from.name = flags & F_NO_FROM_NAME ? NULL : v[0];
	p.to.name = flags & F_NO_TO_NAME ? NULL : v[1];
	p.subject = v[2];
	p.list_name = flags & F_NO_LIST_NAME ? NULL : v[3];
	p.text = v[4];
	p.text_len = strlen(v[4]);
	p.from.addr = v[5];
	p.to.addr = v[6];
	p.reply_to = flags & F_REPLY_TO ? v[7] : NULL;
	p.message_id = v[8];
	p.list_id = v[9];
	p.unsubscribe_url = v[10];
	p.unsubscribe_mailto = flags & F_MAILTO ? v[11] : NULL;
	p.feedback_id = flags & F_FEEDBACK ? v[12] : NULL;
	if (flags & F_HTML) {
		p.html = s < end ? s : "<p>x</p>";
		p.html_len = s < end ? (size_t)(end - s) : 8;
	}
	/* 1900 to 2200 unless the raw value is asked for. */
	p.date = flags & F_RAW_DATE ? date :
	    (int64_t)((uint64_t)date % UINT64_C(9467107200)) -
	    INT64_C(2208902400);
	p.utc_offset = off;

	memset(&err, 0, sizeof(err));
	if (buf_puts(&out, "pre") != 0)
		abort();
	rc = msg_build(&p, &out, &err);
	if (rc != 0) {
		if ((rc != CLR_EINVAL && rc != CLR_ENOMEM &&
		    rc != CLR_ETOOBIG) || err.code != rc ||
		    err.msg[0] == '\0' || out.len != 3 ||
		    memcmp(out.data, "pre", 3) != 0)
			abort();
	} else
		check_message(out.data + 3, out.len - 3, &p);

	buf_reset(&out);
	rc = msg_put_unstructured(&out, "Subject", p.subject, &err);
	if (rc == 0) {
		n = out.len;
		if (buf_puts(&out, "\r\n") != 0)
			abort();
		for (i = 0, s = out.data; i < n; i++) {
			if (out.data[i] == '\n') {
				if (out.data + i - 1 - s > 78)
					abort();
				s = out.data + i + 1;
			}
		}
	} else if (rc != CLR_EINVAL || out.len != 0)
		abort();

	buf_free(&out);
	free(copy);
	return 0;
}
