/* SPDX-License-Identifier: ISC */
/*
 * tests/unit/message_test.c - message: RFC 5322/MIME composition
 *
 * A golden message (exact bytes), then the rules every message must keep,
 * checked by scanning the output: CRLF line ends only, header lines of at
 * most 78 octets and quoted-printable lines of at most 76, the header
 * names in their fixed order and nothing more, the MIME parts where they
 * belong. The test has its own decoders (RFC 2047 encoded-words, phrases
 * and unstructured text, quoted-printable) and decodes what was written
 * back to what went in: for a table of hostile values, for values at the
 * size limits, and for 10,000 random contacts whose names and subjects
 * mix UTF-8, specials and bytes that must be refused. A sample of the
 * messages is also read by Python's email package (tests/data/message/
 * check_email.py), an independent parser. Then: dates, field checks, the
 * boundary, and errors (out restored, CLR_ETOOBIG, CLR_ENOMEM).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"
#include "message/message.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/utf8.h"

#define ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))
#define MAX_FIELDS	16
#define PYTHON		"/usr/bin/python3"
/* 72 octets: more than a line can hold after "Subject: ". */
#define LONG_WORD	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" \
			"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
#define CHECKER		CLARION_TEST_DATA "/message/check_email.py"

/* A message taken apart by parse_message, which asserts its shape. */
struct parsed {
	char	*names[MAX_FIELDS];	/* header names, in order */
	size_t	 nnames;
	char	*text;			/* decoded text/plain, CRLF ends */
	size_t	 text_len;
	char	*html;			/* decoded text/html, or NULL */
	size_t	 html_len;
};

/* What a field's value in the hostile table is for. */
enum field {
	F_FROM_NAME,
	F_TO_NAME,
	F_SUBJECT,
	F_LIST_NAME
};

/* What rnd_text makes. */
enum rnd_mode {
	RND_CLEAN,		/* valid for a name or subject */
	RND_HOSTILE,		/* sometimes with bytes that must be refused */
	RND_BODY		/* valid UTF-8 with line ends and controls */
};

struct hostile_case {
	const char	*name;
	enum field	 field;
	const char	*value;
	const char	*refused;	/* substring of err.msg, or NULL: ok */
	const char	*not_raw;	/* must not appear in the output */
};

static void	 base_params(struct msg_params *);
static char	*xstrndup(const char *, size_t);
static const char *norm_phrase(const char *, char *);
static char	*get_field(const char *, size_t, const char *);
static int	 ew_decode(const char *, size_t, struct buf *);
static void	 decode_unstructured(const char *, struct buf *);
static void	 decode_mailbox(const char *, struct buf *, struct buf *);
static void	 qp_decode(const char *, size_t, struct buf *);
static void	 crlf_normalise(const char *, size_t, struct buf *);
static void	 expected_names(const struct msg_params *, const char **,
		    size_t *);
static void	 check_lines(const char *, size_t, int);
static void	 parse_message(const char *, size_t, const struct msg_params *,
		    struct parsed *);
static void	 parsed_free(struct parsed *);
static void	 check_roundtrip(const char *, size_t,
		    const struct msg_params *);
static void	 build_ok(const struct msg_params *, struct buf *);
static uint64_t	 rnd(void);
static size_t	 rnd_text(char *, size_t, enum rnd_mode);
static void	 save_sample(const char *, const struct msg_params *,
		    const char *, size_t);
static void	 json_field(struct buf *, const char *, const char *, size_t,
		    int);

static void	 test_golden(void **);
static void	 test_golden_text_only(void **);
static void	 test_hostile(void **);
static void	 test_limits(void **);
static void	 test_encoded_words(void **);
static void	 test_unstructured(void **);
static void	 test_property(void **);
static void	 test_qp_table(void **);
static void	 test_qp_roundtrip(void **);
static void	 test_dates(void **);
static void	 test_fields(void **);
static void	 test_long_tokens(void **);
static void	 test_boundary(void **);
static void	 test_errors(void **);
static void	 test_enomem(void **);
static void	 test_python(void **);

static uint64_t		 rnd_state = UINT64_C(0x9E3779B97F4A7C15);
static unsigned		 samples;	/* messages saved for Python */
static int		 allow_long;	/* test_long_tokens: see check_lines */

static const char	 text_body[] =
    "Bonjour Jos\xc3\xa9,\n"
    "\n"
    "Notre lettre de novembre : 3 d\xc3\xa9" "fenseurs lib\xc3\xa9r\xc3\xa9s.\n"
    ".\n"
    "From Brussels, with thanks. \n"
    "1 + 1 = 2\n";
static const char	 html_body[] =
    "<p>Bonjour Jos\xc3\xa9,</p>\r\n<p style=\"color:red\">Merci</p>";

/* The params of the golden message; tests change copies of them. */
static void
base_params(struct msg_params *p)
{
	memset(p, 0, sizeof(*p));
	p->from.name = "Ligue des droits humains";
	p->from.addr = "lettre@liguedh.example";
	p->to.name = "Jos\xc3\xa9 Mar\xc3\xadn";
	p->to.addr = "jose@example.org";
	p->subject = "Novembre : trois d\xc3\xa9" "fenseurs "
	    "lib\xc3\xa9r\xc3\xa9s";
	p->date = INT64_C(1795880400);
	p->utc_offset = 60;
	p->message_id = "20261128.7.42@liguedh.example";
	p->list_id = "lettre.liguedh.example";
	p->list_name = "Lettre de la Ligue";
	p->unsubscribe_url = "https://liguedh.example/u/mfrggzdfmztwq2lknnwg23";
	p->unsubscribe_mailto = "u-mfrggzdf@liguedh.example";
	p->feedback_id = "7:lettre:liguedh";
	p->text = text_body;
	p->text_len = sizeof(text_body) - 1;
	p->html = html_body;
	p->html_len = sizeof(html_body) - 1;
}

static char *
xstrndup(const char *s, size_t n)
{
	char	*p = malloc(n + 1);

	assert_non_null(p);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/*
 * norm_phrase - what a display name is written as: spaces at the ends
 * dropped, runs of spaces made one (see message.c). out holds
 * MSG_NAME_MAX + 1. NULL stays NULL.
 */
static const char *
norm_phrase(const char *in, char *out)
{
	size_t	 o = 0;

	if (in == NULL)
		return NULL;
	for (; *in != '\0'; in++)
		if (*in != ' ' || (o > 0 && out[o - 1] != ' '))
			out[o++] = *in;
	if (o > 0 && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
	return out;
}

static uint64_t
rnd(void)
{
	return test_rnd(&rnd_state);
}

/*
 * get_field - the unfolded value of the first header field called name
 * (the text after the colon, CRLF + WSP folds removed), or NULL.
 */
static char *
get_field(const char *m, size_t n, const char *name)
{
	size_t	 nl = strlen(name), i = 0, j, o = 0;
	char	*v;

	while (i < n && !(m[i] == '\r' && i + 1 < n && m[i + 1] == '\n' &&
	    (i == 0 || m[i - 1] == '\n'))) {
		if ((i == 0 || m[i - 1] == '\n') && i + nl < n &&
		    memcmp(m + i, name, nl) == 0 && m[i + nl] == ':') {
			v = malloc(n);
			assert_non_null(v);
			for (j = i + nl + 1; j < n; j++) {
				if (m[j] == '\r' && m[j + 1] == '\n') {
					if (m[j + 2] != ' ' && m[j + 2] != '\t')
						break;
					j++;
					continue;
				}
				v[o++] = m[j];
			}
			v[o] = '\0';
			return v;
		}
		i++;
	}
	return NULL;
}

/*
 * ew_decode - if s[0..n) is an encoded-word, append what it decodes to
 * and return 1; else 0. It also asserts what RFC 2047 asks of one: at
 * most 75 characters, Q text made of the characters allowed in a phrase
 * (5(3)) and =XX, and whole UTF-8 characters in each word.
 */
static int
ew_decode(const char *s, size_t n, struct buf *out)
{
	static const char	 b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	struct buf		 w = BUF_INITIALIZER(256);
	const char		*t, *p;
	size_t			 i, tn;
	uint32_t		 acc = 0;
	int			 bits = 0, q;

	if (n < 12 || memcmp(s, "=?", 2) != 0 || memcmp(s + n - 2, "?=", 2))
		return 0;
	if (strncasecmp(s, "=?UTF-8?Q?", 10) == 0)
		q = 1;
	else if (strncasecmp(s, "=?UTF-8?B?", 10) == 0)
		q = 0;
	else
		return 0;
	assert_true(n <= 75);
	t = s + 10;
	tn = n - 12;
	assert_null(memchr(t, '?', tn));
	for (i = 0; i < tn; i++) {
		if (q) {
			if (t[i] == '_')
				assert_int_equal(buf_putc(&w, ' '), 0);
			else if (t[i] == '=') {
				unsigned int	 v;
				char		 hex[3] = { 0, 0, 0 };

				assert_true(i + 2 < tn + 1);
				memcpy(hex, t + i + 1, 2);
				assert_true(strspn(hex, "0123456789ABCDEF") ==
				    2);
				v = (unsigned int)strtoul(hex, NULL, 16);
				assert_int_equal(buf_putc(&w, (int)v), 0);
				i += 2;
			} else {
				assert_non_null(strchr("abcdefghijklmnopqrstu"
				    "vwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
				    "!*+-/", t[i]));
				assert_int_equal(buf_putc(&w, t[i]), 0);
			}
		} else {
			if (t[i] == '=')
				break;
			p = strchr(b64, t[i]);
			assert_non_null(p);
			acc = (acc << 6) | (uint32_t)(p - b64);
			bits += 6;
			if (bits >= 8) {
				bits -= 8;
				assert_int_equal(buf_putc(&w,
				    (int)((acc >> bits) & 0xFF)), 0);
			}
		}
	}
	if (!q)
		assert_int_equal(tn % 4, 0);
	assert_true(w.len > 0);
	assert_true(utf8_valid(w.data, w.len, NULL));
	assert_int_equal(buf_append(out, w.data, w.len), 0);
	buf_free(&w);
	return 1;
}

/*
 * decode_unstructured - RFC 2047 6.2 on an unstructured value: leading
 * white space is not part of it, white space between two encoded-words
 * is dropped, any other is kept.
 */
static void
decode_unstructured(const char *v, struct buf *out)
{
	const char	*ws, *tok;
	int		 prev_ew = 0, ew;

	while (*v == ' ' || *v == '\t')
		v++;
	while (*v != '\0') {
		ws = v;
		while (*v == ' ' || *v == '\t')
			v++;
		tok = v;
		while (*v != '\0' && *v != ' ' && *v != '\t')
			v++;
		if (tok == v) {
			/* Trailing white space: a reader would drop it. */
			fail_msg("trailing white space in a header");
		}
		{
			struct buf	 t = BUF_INITIALIZER(4096);

			ew = ew_decode(tok, (size_t)(v - tok), &t);
			if (!(ew && prev_ew))
				assert_int_equal(buf_append(out, ws,
				    (size_t)(tok - ws)), 0);
			if (ew)
				assert_int_equal(buf_append(out, t.data,
				    t.len), 0);
			else
				assert_int_equal(buf_append(out, tok,
				    (size_t)(v - tok)), 0);
			buf_free(&t);
		}
		prev_ew = ew;
	}
}

/*
 * decode_mailbox - "phrase <addr>" or "addr": the phrase's words are
 * atoms, quoted-strings or encoded-words; a space separates words except
 * two encoded-words in a row. Asserts nothing follows the address.
 */
static void
decode_mailbox(const char *v, struct buf *name, struct buf *addr)
{
	const char	*tok;
	int		 prev_ew = 0, ew, words = 0;

	for (;;) {
		while (*v == ' ' || *v == '\t')
			v++;
		if (*v == '\0')
			break;
		if (*v == '<') {
			tok = ++v;
			while (*v != '>') {
				assert_true(*v != '\0');
				v++;
			}
			assert_int_equal(buf_append(addr, tok,
			    (size_t)(v - tok)), 0);
			v++;
			while (*v == ' ')
				v++;
			assert_int_equal(*v, '\0');
			return;
		}
		if (words > 0 && !(prev_ew && v[0] == '=' && v[1] == '?'))
			assert_int_equal(buf_putc(name, ' '), 0);
		if (*v == '"') {
			v++;
			while (*v != '"') {
				assert_true(*v != '\0');
				if (*v == '\\')
					v++;
				assert_int_equal(buf_putc(name, *v), 0);
				v++;
			}
			v++;
			ew = 0;
		} else {
			struct buf	 t = BUF_INITIALIZER(4096);

			tok = v;
			while (*v != '\0' && *v != ' ' && *v != '"' &&
			    *v != '<')
				v++;
			ew = ew_decode(tok, (size_t)(v - tok), &t);
			if (ew)
				assert_int_equal(buf_append(name, t.data,
				    t.len), 0);
			else
				assert_int_equal(buf_append(name, tok,
				    (size_t)(v - tok)), 0);
			buf_free(&t);
		}
		prev_ew = ew;
		words++;
	}
	/* No angle brackets: the one word was the address. */
	assert_int_equal(words, 1);
	assert_int_equal(buf_append(addr, name->data, name->len), 0);
	buf_reset(name);
}

/*
 * qp_decode - RFC 2045 6.7: "=" at a line end is a soft break, =XX an
 * octet (upper-case hex only: that is what the encoder writes), anything
 * else itself; hard line ends are CRLF.
 */
static void
qp_decode(const char *s, size_t n, struct buf *out)
{
	size_t	 i = 0;

	while (i < n) {
		if (s[i] == '=') {
			assert_true(i + 2 < n);
			if (s[i + 1] == '\r' && s[i + 2] == '\n') {
				i += 3;
				continue;
			}
			assert_true(s[i + 1] != '\0' && s[i + 2] != '\0' &&
			    strchr("0123456789ABCDEF", s[i + 1]) != NULL &&
			    strchr("0123456789ABCDEF", s[i + 2]) != NULL);
			{
				char	 hex[3] = { s[i + 1], s[i + 2], 0 };

				assert_int_equal(buf_putc(out,
				    (int)strtoul(hex, NULL, 16)), 0);
			}
			i += 3;
			continue;
		}
		assert_int_equal(buf_putc(out, s[i]), 0);
		i++;
	}
}

/* crlf_normalise - every CRLF, bare CR and bare LF as CRLF. */
static void
crlf_normalise(const char *s, size_t n, struct buf *out)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (s[i] == '\r' || s[i] == '\n') {
			assert_int_equal(buf_append(out, "\r\n", 2), 0);
			if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n')
				i++;
		} else
			assert_int_equal(buf_putc(out, s[i]), 0);
	}
}

/* expected_names - the header names a message with p must have. */
static void
expected_names(const struct msg_params *p, const char **names, size_t *n)
{
	*n = 0;
	names[(*n)++] = "From";
	names[(*n)++] = "To";
	names[(*n)++] = "Subject";
	names[(*n)++] = "Date";
	names[(*n)++] = "Message-ID";
	names[(*n)++] = "MIME-Version";
	names[(*n)++] = "List-Id";
	names[(*n)++] = "List-Unsubscribe";
	names[(*n)++] = "List-Unsubscribe-Post";
	if (p->feedback_id != NULL)
		names[(*n)++] = "Feedback-ID";
	if (p->reply_to != NULL)
		names[(*n)++] = "Reply-To";
	names[(*n)++] = "Content-Type";
	if (p->html == NULL)
		names[(*n)++] = "Content-Transfer-Encoding";
}

/*
 * check_lines - CRLF only (no bare CR or LF, no NUL), and line lengths:
 * header lines at most 78 octets (with lone_ok, a longer one may hold a
 * single unbreakable word, up to 998), body lines at most 76.
 */
static void
check_lines(const char *m, size_t n, int lone_ok)
{
	size_t	 i, start = 0, len;
	int	 in_header = 1;

	assert_true(n >= 2);
	assert_memory_equal(m + n - 2, "\r\n", 2);
	for (i = 0; i < n; i++) {
		assert_true(m[i] != '\0');
		if (m[i] == '\r')
			assert_true(i + 1 < n && m[i + 1] == '\n');
		if (m[i] != '\n')
			continue;
		assert_true(i > 0 && m[i - 1] == '\r');
		len = i - 1 - start;
		if (in_header && len == 0)
			in_header = 0;
		else if (in_header) {
			if (len > 78) {
				const char	*sp;

				assert_true(lone_ok);
				assert_true(len <= 998);
				/* "Name: word" or " word": one space. */
				sp = memchr(m + start, ' ', len);
				assert_non_null(sp);
				assert_null(memchr(sp + 1, ' ',
				    (size_t)(m + i - 1 - sp - 1)));
				assert_true(m + i - 1 - sp - 1 > 76);
			}
		} else
			assert_true(len <= 76);
		start = i + 1;
	}
	assert_int_equal(in_header, 0);
}

/*
 * parse_message - take m apart and assert its shape: the header names
 * are exactly the expected ones in order; then one text/plain body, or
 * a multipart/alternative of exactly two parts (text/plain, text/html)
 * with their two header fields each and nothing before the first
 * delimiter or after the last; no part holds a line starting with the
 * boundary. Fills pr with the names and the decoded bodies.
 */
static void
parse_message(const char *m, size_t n, const struct msg_params *p,
    struct parsed *pr)
{
	const char	*want[MAX_FIELDS], *body, *ct, *e;
	char		 delim[128], close[128];
	size_t		 nwant, i, start, dl;
	struct buf	 b = BUF_INITIALIZER(SIZE_MAX);
	char		*bnd, *ctv;

	memset(pr, 0, sizeof(*pr));
	for (i = 0, start = 0; i + 1 < n; i++) {
		if (m[i] != '\r')
			continue;
		if (i == start)
			break;		/* the blank line */
		if (m[start] != ' ' && m[start] != '\t') {
			const char	*c = memchr(m + start, ':', i - start);

			assert_non_null(c);
			assert_true(pr->nnames < MAX_FIELDS);
			pr->names[pr->nnames++] = xstrndup(m + start,
			    (size_t)(c - (m + start)));
		} else
			assert_true(start > 0);
		start = i + 2;
		i++;
	}
	body = m + start + 2;
	expected_names(p, want, &nwant);
	assert_int_equal(pr->nnames, nwant);
	for (i = 0; i < nwant; i++)
		assert_string_equal(pr->names[i], want[i]);

	ctv = get_field(m, n, "Content-Type");
	assert_non_null(ctv);
	if (p->html == NULL) {
		assert_string_equal(ctv, " text/plain; charset=UTF-8");
		free(ctv);
		qp_decode(body, (size_t)(m + n - body), &b);
		pr->text = b.data != NULL ? b.data : xstrndup("", 0);
		pr->text_len = b.len;
		return;
	}
	ct = " multipart/alternative; boundary=\"";
	assert_memory_equal(ctv, ct, strlen(ct));
	bnd = xstrndup(ctv + strlen(ct), strlen(ctv) - strlen(ct) - 1);
	assert_int_equal(ctv[strlen(ctv) - 1], '"');
	assert_non_null(strstr(bnd, "=_"));
	assert_true(strlen(bnd) >= 1 && strlen(bnd) <= 70);
	assert_true(strspn(bnd, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP"
	    "QRSTUVWXYZ0123456789'()+_,-./:=?") == strlen(bnd));
	free(ctv);

	snprintf(delim, sizeof(delim), "--%s\r\nContent-Type: text/plain; "
	    "charset=UTF-8\r\nContent-Transfer-Encoding: "
	    "quoted-printable\r\n\r\n", bnd);
	dl = strlen(delim);
	assert_memory_equal(body, delim, dl);
	body += dl;
	snprintf(delim, sizeof(delim), "\r\n--%s\r\nContent-Type: text/html; "
	    "charset=UTF-8\r\nContent-Transfer-Encoding: "
	    "quoted-printable\r\n\r\n", bnd);
	snprintf(close, sizeof(close), "\r\n--%s--\r\n", bnd);
	e = strstr(body, delim);
	assert_non_null(e);
	qp_decode(body, (size_t)(e - body), &b);
	pr->text = b.data != NULL ? b.data : xstrndup("", 0);
	pr->text_len = b.len;
	body = e + strlen(delim);
	e = strstr(body, close);
	assert_non_null(e);
	assert_true(e + strlen(close) == m + n);
	buf_init(&b, SIZE_MAX);
	qp_decode(body, (size_t)(e - body), &b);
	pr->html = b.data != NULL ? b.data : xstrndup("", 0);
	pr->html_len = b.len;
	/* The boundary only where it was put: three delimiters. */
	{
		const char	*s = m;
		int		 count = 0;

		while ((s = strstr(s, bnd)) != NULL) {
			count++;
			s++;
		}
		assert_int_equal(count, 4);	/* with Content-Type */
	}
	free(bnd);
}

static void
parsed_free(struct parsed *pr)
{
	size_t	 i;

	for (i = 0; i < pr->nnames; i++)
		free(pr->names[i]);
	free(pr->text);
	free(pr->html);
}

/*
 * check_roundtrip - everything check_lines and parse_message assert, and
 * the names, the subject and the bodies decode to the params' values.
 */
static void
check_roundtrip(const char *m, size_t n, const struct msg_params *p)
{
	struct parsed	 pr;
	struct buf	 name = BUF_INITIALIZER(SIZE_MAX);
	struct buf	 addr = BUF_INITIALIZER(SIZE_MAX);
	struct buf	 want = BUF_INITIALIZER(SIZE_MAX);
	char		*v, norm[MSG_NAME_MAX + 1];

	check_lines(m, n, allow_long);
	parse_message(m, n, p, &pr);

	v = get_field(m, n, "From");
	decode_mailbox(v, &name, &addr);
	assert_string_equal(name.len ? name.data : "",
	    p->from.name ? norm_phrase(p->from.name, norm) : "");
	assert_string_equal(addr.data, p->from.addr);
	free(v);
	buf_reset(&name);
	buf_reset(&addr);
	v = get_field(m, n, "To");
	decode_mailbox(v, &name, &addr);
	assert_string_equal(name.len ? name.data : "",
	    p->to.name ? norm_phrase(p->to.name, norm) : "");
	assert_string_equal(addr.data, p->to.addr);
	free(v);
	buf_reset(&name);
	buf_reset(&addr);
	v = get_field(m, n, "List-Id");
	decode_mailbox(v, &name, &addr);
	assert_string_equal(name.len ? name.data : "",
	    p->list_name ? norm_phrase(p->list_name, norm) : "");
	assert_string_equal(addr.data, p->list_id);
	free(v);
	buf_reset(&name);
	v = get_field(m, n, "Subject");
	decode_unstructured(v, &name);
	assert_string_equal(name.len ? name.data : "", p->subject);
	free(v);

	crlf_normalise(p->text, p->text_len, &want);
	assert_int_equal(pr.text_len, want.len);
	assert_memory_equal(pr.text, want.data ? want.data : "", want.len);
	if (p->html != NULL) {
		buf_reset(&want);
		crlf_normalise(p->html, p->html_len, &want);
		assert_int_equal(pr.html_len, want.len);
		assert_memory_equal(pr.html, want.data ? want.data : "",
		    want.len);
	}
	parsed_free(&pr);
	buf_free(&name);
	buf_free(&addr);
	buf_free(&want);
}

static void
build_ok(const struct msg_params *p, struct buf *out)
{
	struct clr_err	 err = { 0, "" };
	int		 rc;

	rc = msg_build(p, out, &err);
	if (rc != 0)
		fail_msg("msg_build: %d %s", rc, err.msg);
}

/* json_field - "key": "value", into a JSON object being written. */
static void
json_field(struct buf *j, const char *key, const char *v, size_t n,
    int last)
{
	assert_int_equal(buf_printf(j, "\"%s\": ", key), 0);
	if (v == NULL)
		assert_int_equal(buf_puts(j, "null"), 0);
	else
		assert_int_equal(json_put_string(j, v, n), 0);
	assert_int_equal(buf_puts(j, last ? "}\n" : ", "), 0);
}

/*
 * save_sample - NAME.eml and NAME.json in the temporary folder, for
 * check_email.py (see test_python).
 */
static void
save_sample(const char *tag, const struct msg_params *p, const char *m,
    size_t n)
{
	struct buf	 j = BUF_INITIALIZER(SIZE_MAX);
	const char	*names[MAX_FIELDS], *v;
	char		 file[64], norm[MSG_NAME_MAX + 1];
	size_t		 nn, i;
	FILE		*f;

	snprintf(file, sizeof(file), "%s-%04u.eml", tag, samples);
	f = fopen(test_path(file), "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(m, 1, n, f), n);
	assert_int_equal(fclose(f), 0);

	expected_names(p, names, &nn);
	assert_int_equal(buf_puts(&j, "{\"headers\": ["), 0);
	for (i = 0; i < nn; i++)
		assert_int_equal(buf_printf(&j, "%s\"%s\"", i ? ", " : "",
		    names[i]), 0);
	assert_int_equal(buf_puts(&j, "], "), 0);
	v = norm_phrase(p->from.name, norm);
	json_field(&j, "from_name", v, v ? strlen(v) : 0, 0);
	json_field(&j, "from_addr", p->from.addr, strlen(p->from.addr), 0);
	v = norm_phrase(p->to.name, norm);
	json_field(&j, "to_name", v, v ? strlen(v) : 0, 0);
	json_field(&j, "to_addr", p->to.addr, strlen(p->to.addr), 0);
	json_field(&j, "subject", p->subject, strlen(p->subject), 0);
	json_field(&j, "text", p->text ? p->text : "", p->text_len, 0);
	json_field(&j, "html", p->html, p->html_len, 1);

	snprintf(file, sizeof(file), "%s-%04u.json", tag, samples);
	f = fopen(test_path(file), "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(j.data, 1, j.len, f), j.len);
	assert_int_equal(fclose(f), 0);
	buf_free(&j);
	samples++;
}

static const char	 golden[] =
    "From: Ligue des droits humains <lettre@liguedh.example>\r\n"
    "To: =?UTF-8?Q?Jos=C3=A9_Mar=C3=ADn?= <jose@example.org>\r\n"
    "Subject: Novembre : trois "
    "=?UTF-8?Q?d=C3=A9fenseurs_lib=C3=A9r=C3=A9s?=\r\n"
    "Date: Sat, 28 Nov 2026 16:40:00 +0100\r\n"
    "Message-ID: <20261128.7.42@liguedh.example>\r\n"
    "MIME-Version: 1.0\r\n"
    "List-Id: Lettre de la Ligue <lettre.liguedh.example>\r\n"
    "List-Unsubscribe: <https://liguedh.example/u/mfrggzdfmztwq2lknnwg23>,\r\n"
    " <mailto:u-mfrggzdf@liguedh.example>\r\n"
    "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
    "Feedback-ID: 7:lettre:liguedh\r\n"
    "Reply-To: contact@liguedh.example\r\n"
    "Content-Type: multipart/alternative; "
    "boundary=\"=_clarion_c4dcad8349bbe7be\"\r\n"
    "\r\n"
    "--=_clarion_c4dcad8349bbe7be\r\n"
    "Content-Type: text/plain; charset=UTF-8\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "Bonjour Jos=C3=A9,\r\n"
    "\r\n"
    "Notre lettre de novembre : 3 d=C3=A9fenseurs lib=C3=A9r=C3=A9s.\r\n"
    "=2E\r\n"
    "=46rom Brussels, with thanks.=20\r\n"
    "1 + 1 =3D 2\r\n"
    "\r\n"
    "--=_clarion_c4dcad8349bbe7be\r\n"
    "Content-Type: text/html; charset=UTF-8\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "<p>Bonjour Jos=C3=A9,</p>\r\n"
    "<p style=3D\"color:red\">Merci</p>\r\n"
    "--=_clarion_c4dcad8349bbe7be--\r\n";

/*
 * The golden message, byte for byte; its boundary is the hash of its
 * Message-ID, so it is part of the bytes too.
 */
static void
test_golden(void **state)
{
	struct msg_params	 p;
	struct buf		 out = BUF_INITIALIZER(1 << 20);

	base_params(&p);
	p.reply_to = "contact@liguedh.example";
	build_ok(&p, &out);
	if (strcmp(out.data, golden) != 0)
		print_message("got:\n%s\n", out.data);
	assert_string_equal(out.data, golden);
	check_roundtrip(out.data, out.len, &p);
	save_sample("golden", &p, out.data, out.len);
	buf_free(&out);
}

static const char	 golden_text_only[] =
    "From: lettre@liguedh.example\r\n"
    "To: jose@example.org\r\n"
    "Subject: Hello\r\n"
    "Date: Thu, 1 Jan 1970 00:00:00 +0000\r\n"
    "Message-ID: <1@liguedh.example>\r\n"
    "MIME-Version: 1.0\r\n"
    "List-Id: <lettre.liguedh.example>\r\n"
    "List-Unsubscribe: <https://liguedh.example/u/x>\r\n"
    "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
    "Content-Type: text/plain; charset=UTF-8\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "No final line break=\r\n";

/* No names, no list name, no mailto, text only, no final line break. */
static void
test_golden_text_only(void **state)
{
	struct msg_params	 p;
	struct buf		 out = BUF_INITIALIZER(1 << 20);

	memset(&p, 0, sizeof(p));
	p.from.addr = "lettre@liguedh.example";
	p.to.addr = "jose@example.org";
	p.to.name = "";			/* the same as NULL */
	p.subject = "Hello";
	p.message_id = "1@liguedh.example";
	p.list_id = "lettre.liguedh.example";
	p.unsubscribe_url = "https://liguedh.example/u/x";
	p.text = "No final line break";
	p.text_len = strlen(p.text);
	build_ok(&p, &out);
	assert_string_equal(out.data, golden_text_only);
	check_roundtrip(out.data, out.len, &p);
	save_sample("textonly", &p, out.data, out.len);

	/* A final line break stays one, with no soft break after it. */
	buf_reset(&out);
	p.text = "Line\n";
	p.text_len = 5;
	build_ok(&p, &out);
	assert_true(out.len > 8);
	assert_memory_equal(out.data + out.len - 8, "\r\nLine\r\n", 8);
	check_roundtrip(out.data, out.len, &p);

	/* An empty body: the message ends with the blank line. */
	buf_reset(&out);
	p.text = NULL;
	p.text_len = 0;
	build_ok(&p, &out);
	assert_memory_equal(out.data + out.len - 4, "\r\n\r\n", 4);
	check_roundtrip(out.data, out.len, &p);
	buf_free(&out);
}

static const struct hostile_case	 hostile[] = {
	/* Refused: line breaks and controls. */
	{ "CR in a name", F_TO_NAME, "Jean\rDupont", "line break", NULL },
	{ "LF in a name", F_TO_NAME, "Jean\nDupont", "line break", NULL },
	{ "CRLF and a Bcc", F_TO_NAME, "Jean\r\nBcc: victim@example.org",
	    "the To name contains a line break", NULL },
	{ "CRLF and a Bcc in the subject", F_SUBJECT,
	    "Hi\r\nBcc: victim@example.org", "the subject contains a line "
	    "break", NULL },
	{ "LF and a Bcc in the From name", F_FROM_NAME,
	    "x\nBcc: victim@example.org", "the From name contains a line "
	    "break", NULL },
	{ "CRLF in the list name", F_LIST_NAME, "List\r\nX: y",
	    "the list name contains a line break", NULL },
	{ "LF at the end", F_SUBJECT, "Hi\n", "line break", NULL },
	{ "tab", F_SUBJECT, "a\tb", "control character (U+0009)", NULL },
	{ "U+0001", F_TO_NAME, "a\x01", "control character (U+0001)", NULL },
	{ "escape", F_SUBJECT, "\x1b[31mred", "control character (U+001B)",
	    NULL },
	{ "DEL", F_TO_NAME, "a\x7f", "control character (U+007F)", NULL },
	{ "U+0085 (NEL)", F_SUBJECT, "a\xc2\x85" "Bcc: x",
	    "control character (U+0085)", NULL },
	{ "U+009F", F_TO_NAME, "a\xc2\x9f", "control character (U+009F)",
	    NULL },
	{ "U+2028", F_SUBJECT, "a\xe2\x80\xa8" "b", "separator (U+2028)",
	    NULL },
	{ "U+2029", F_TO_NAME, "a\xe2\x80\xa9" "b", "separator (U+2029)",
	    NULL },
	{ "invalid UTF-8: 0xFF", F_SUBJECT, "a\xff", "not valid UTF-8 (at "
	    "octet 1)", NULL },
	{ "invalid UTF-8: lone continuation", F_TO_NAME, "\x80", "not valid "
	    "UTF-8", NULL },
	{ "invalid UTF-8: overlong slash", F_SUBJECT, "\xc0\xaf",
	    "not valid UTF-8", NULL },
	{ "invalid UTF-8: truncated", F_FROM_NAME, "ab\xe2\x82",
	    "not valid UTF-8", NULL },
	{ "invalid UTF-8: surrogate", F_SUBJECT, "\xed\xa0\x80",
	    "not valid UTF-8", NULL },
	{ "invalid UTF-8: past U+10FFFF", F_TO_NAME, "\xf4\x90\x80\x80",
	    "not valid UTF-8", NULL },
	{ "invalid UTF-8 hiding a CR", F_SUBJECT, "\xc2\x0d\x0a" "Bcc: x",
	    "not valid UTF-8", NULL },

	/* Accepted, and written so they stay what they are. */
	{ "NUL ends a C string: the rest is not there", F_TO_NAME,
	    "Jean\0\r\nBcc: victim@example.org", NULL, "Bcc" },
	{ "encoded-word look-alike in a name", F_TO_NAME,
	    "=?utf-8?q?X?=", NULL, "=?utf-8?q?X?=" },
	{ "encoded-word look-alike in the subject", F_SUBJECT,
	    "Hello =?utf-8?q?X?= there", NULL, "=?utf-8?q?X?=" },
	{ "look-alike inside a word", F_SUBJECT, "a=?utf-8?b?QmNj?=b", NULL,
	    "=?utf-8?b?QmNj?=" },
	{ "look-alike in the list name", F_LIST_NAME, "=?UTF-8?Q?Fake?=",
	    NULL, "=?UTF-8?Q?Fake?=" },
	{ "look-alike with a Bcc inside", F_SUBJECT,
	    "=?utf-8?q?a=0D=0ABcc:_x?=", NULL, "=?utf-8?q?a=0D" },
	{ "quotes", F_TO_NAME, "Jean \"Le Grand\" Dupont", NULL, NULL },
	{ "backslashes", F_TO_NAME, "C:\\Users\\Jean", NULL, NULL },
	{ "quote and backslash at the end", F_FROM_NAME, "x\\\"", NULL,
	    NULL },
	{ "comma: would be two addresses", F_TO_NAME,
	    "Dupont, Jean", NULL, "To: Dupont, Jean" },
	{ "angle brackets and an address", F_TO_NAME,
	    "Jean <victim@example.org>", NULL, "To: Jean <victim" },
	{ "an address as the name", F_TO_NAME, "victim@example.org", NULL,
	    "To: victim@example.org" },
	{ "semicolon and colon: a group", F_TO_NAME, "group: a@b.c;", NULL,
	    "To: group:" },
	{ "parentheses: a comment", F_FROM_NAME, "Ligue (officiel)", NULL,
	    "From: Ligue (officiel)" },
	{ "dots", F_TO_NAME, "J. R. R. Tolkien", NULL, NULL },
	{ "only specials", F_TO_NAME, "\"<>,;:\\@()[].", NULL, NULL },
	{ "leading and trailing spaces", F_TO_NAME, "  Jean  ", NULL, NULL },
	{ "spaces only", F_SUBJECT, "   ", NULL, NULL },
	{ "two spaces inside", F_SUBJECT, "a  b", NULL, NULL },
	{ "empty subject", F_SUBJECT, "", NULL, NULL },
	{ "Bcc: in a name without a line break", F_TO_NAME,
	    "Bcc: victim@example.org", NULL, "To: Bcc:" },
	{ "Bcc: as the subject", F_SUBJECT, "Bcc: victim@example.org", NULL,
	    NULL },
	{ "right-to-left override", F_TO_NAME, "abc\xe2\x80\xae" "fdp.exe",
	    NULL, NULL },
	{ "emoji", F_SUBJECT, "\xf0\x9f\x93\xa2 Appel urgent \xf0\x9f\x93\xa2",
	    NULL, NULL },
	{ "NBSP", F_TO_NAME, "Jean\xc2\xa0" "Dupont", NULL, NULL },
	{ "one long word", F_SUBJECT,
	    "Anticonstitutionnellement-anticonstitutionnellement-"
	    "anticonstitutionnellement-anticonstitutionnellement", NULL,
	    NULL },
	{ "a long word in a name", F_FROM_NAME,
	    "Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaa Bbbb", NULL, NULL },
	{ "Cyrillic", F_TO_NAME, "\xd0\x94\xd0\xbc\xd0\xb8\xd1\x82\xd1\x80"
	    "\xd0\xb8\xd0\xb9 \xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd\xd0\xbe\xd0\xb2",
	    NULL, NULL },
	{ "CJK", F_SUBJECT, "\xe4\xba\xba\xe6\x9d\x83\xe9\x80\x9a\xe8\xae\xaf",
	    NULL, NULL },
	{ "?= and _ and =", F_SUBJECT, "a?=b _c_ =d= ?", NULL, NULL },
};

/*
 * The hostile table: each value goes into one field of the base params.
 * Refused ones must say why, naming the field, and leave out unchanged;
 * the others must decode back to the value, with the header names
 * unchanged, and not_raw nowhere in the message.
 */
static void
test_hostile(void **state)
{
	struct msg_params	 p;
	struct buf		 out = BUF_INITIALIZER(1 << 20);
	struct clr_err		 err;
	size_t			 i;
	int			 rc;

	for (i = 0; i < ARRAY_LEN(hostile); i++) {
		const struct hostile_case	*c = &hostile[i];

		print_message("hostile: %s\n", c->name);
		base_params(&p);
		switch (c->field) {
		case F_FROM_NAME:
			p.from.name = c->value;
			break;
		case F_TO_NAME:
			p.to.name = c->value;
			break;
		case F_SUBJECT:
			p.subject = c->value;
			break;
		case F_LIST_NAME:
			p.list_name = c->value;
			break;
		}
		memset(&err, 0, sizeof(err));
		assert_int_equal(buf_puts(&out, "kept"), 0);
		rc = msg_build(&p, &out, &err);
		if (c->refused != NULL) {
			assert_int_equal(rc, CLR_EINVAL);
			assert_int_equal(err.code, CLR_EINVAL);
			if (strstr(err.msg, c->refused) == NULL)
				fail_msg("\"%s\" does not say \"%s\"",
				    err.msg, c->refused);
			assert_int_equal(out.len, 4);
			assert_string_equal(out.data, "kept");
		} else {
			if (rc != 0)
				fail_msg("refused: %s", err.msg);
			assert_memory_equal(out.data, "kept", 4);
			check_roundtrip(out.data + 4, out.len - 4, &p);
			if (c->not_raw != NULL &&
			    strstr(out.data, c->not_raw) != NULL)
				fail_msg("\"%s\" is in the message",
				    c->not_raw);
			save_sample("hostile", &p, out.data + 4,
			    out.len - 4);
		}
		buf_reset(&out);
	}
	buf_free(&out);
}

/* The size limits, on both sides, in ASCII and in 2-, 3-, 4-octet UTF-8. */
static void
test_limits(void **state)
{
	static const char	*units[] = { "a", "\xc3\xa9", "\xe4\xba\xba",
	    "\xf0\x9f\x93\xa2", "a b", "\"" };
	struct msg_params	 p;
	struct buf		 out = BUF_INITIALIZER(1 << 20);
	struct clr_err		 err;
	char			*big;
	size_t			 u, n, ul;

	big = malloc(10241);
	assert_non_null(big);
	for (u = 0; u < ARRAY_LEN(units); u++) {
		ul = strlen(units[u]);
		/* Names: up to MSG_NAME_MAX octets of whole characters. */
		for (n = 0; n + ul <= MSG_NAME_MAX; n += ul)
			memcpy(big + n, units[u], ul);
		big[n] = '\0';
		base_params(&p);
		p.to.name = big;
		p.from.name = big;
		p.list_name = big;
		buf_reset(&out);
		build_ok(&p, &out);
		check_roundtrip(out.data, out.len, &p);
		save_sample("limits", &p, out.data, out.len);
		memcpy(big + n, units[u], ul);
		big[n + ul] = '\0';
		assert_true(n + ul > MSG_NAME_MAX);
		memset(&err, 0, sizeof(err));
		assert_int_equal(msg_build(&p, &out, &err), CLR_EINVAL);
		assert_string_equal(err.msg, "the From name is longer than "
		    "256 octets");

		/* The subject: MSG_SUBJECT_MAX. */
		for (n = 0; n + ul <= MSG_SUBJECT_MAX; n += ul)
			memcpy(big + n, units[u], ul);
		big[n] = '\0';
		base_params(&p);
		p.subject = big;
		buf_reset(&out);
		build_ok(&p, &out);
		check_roundtrip(out.data, out.len, &p);
		memcpy(big + n, units[u], ul);
		big[n + ul] = '\0';
		assert_int_equal(msg_build(&p, &out, &err), CLR_EINVAL);
		assert_string_equal(err.msg, "the subject is longer than "
		    "2000 octets");
	}

	/* 10 KB names and subjects: refused, whatever they hold. */
	memset(big, 'a', 10240);
	big[10240] = '\0';
	base_params(&p);
	p.to.name = big;
	buf_reset(&out);
	assert_int_equal(msg_build(&p, &out, &err), CLR_EINVAL);
	assert_string_equal(err.msg, "the To name is longer than 256 octets");
	assert_int_equal(out.len, 0);
	base_params(&p);
	p.list_name = big;
	assert_int_equal(msg_build(&p, &out, &err), CLR_EINVAL);
	assert_string_equal(err.msg,
	    "the list name is longer than 256 octets");
	base_params(&p);
	p.subject = big;
	big[5000] = '\n';
	assert_int_equal(msg_build(&p, &out, &err), CLR_EINVAL);
	assert_string_equal(err.msg,
	    "the subject is longer than 2000 octets");
	assert_int_equal(out.len, 0);
	free(big);
	buf_free(&out);
}

/*
 * Encoded-words in detail, on msg_put_unstructured and on display names:
 * where they appear, Q for Latin text, B for Cyrillic, the 75-octet
 * limit (ew_decode asserts it, and whole characters per word).
 */
static void
test_encoded_words(void **state)
{
	static const struct {
		const char	*name;
		const char	*value;
		const char	*expected;	/* the whole field */
	} cases[] = {
		{ "ASCII stays plain", "Hello world",
		    "Subject: Hello world\r\n" },
		{ "one accented word", "Caf\xc3\xa9 au lait",
		    "Subject: =?UTF-8?Q?Caf=C3=A9?= au lait\r\n" },
		{ "two accented words in a row keep their space",
		    "Caf\xc3\xa9 cr\xc3\xa8me",
		    "Subject: =?UTF-8?Q?Caf=C3=A9_cr=C3=A8me?=\r\n" },
		{ "mostly accents is B",
		    "\xc3\xa9t\xc3\xa9 \xc3\xa0 Li\xc3\xa8ge",
		    "Subject: =?UTF-8?B?w6l0w6kgw6AgTGnDqGdl?=\r\n" },
		{ "Cyrillic is B",
		    "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82",
		    "Subject: =?UTF-8?B?0J/RgNC40LLQtdGC?=\r\n" },
		{ "a look-alike is encoded", "=?utf-8?q?X?=",
		    "Subject: =?UTF-8?Q?=3D=3Futf-8=3Fq=3FX=3F=3D?=\r\n" },
		{ "specials need no encoding in unstructured text",
		    "a \"b\" (c) <d> e, f; g: h\\",
		    "Subject: a \"b\" (c) <d> e, f; g: h\\\r\n" },
		{ "leading space", " x", "Subject: =?UTF-8?Q?_x?=\r\n" },
		{ "empty", "", "Subject:\r\n" },
		{ "folded at a space",
		    "Lorem ipsum dolor sit amet, consectetur "
		    "adipiscing elit, sed do eiusmod tempor",
		    "Subject: Lorem ipsum dolor sit amet, consectetur "
		    "adipiscing elit, sed do\r\n eiusmod tempor\r\n" },
	};
	struct buf	 out = BUF_INITIALIZER(1 << 16);
	struct buf	 dec = BUF_INITIALIZER(1 << 16);
	struct clr_err	 err;
	char		*v;
	size_t		 i;

	for (i = 0; i < ARRAY_LEN(cases); i++) {
		print_message("encoded-words: %s\n", cases[i].name);
		buf_reset(&out);
		buf_reset(&dec);
		assert_int_equal(msg_put_unstructured(&out, "Subject",
		    cases[i].value, &err), 0);
		assert_string_equal(out.data, cases[i].expected);
		v = get_field(out.data, out.len, "Subject");
		assert_non_null(v);
		decode_unstructured(v, &dec);
		assert_string_equal(dec.len ? dec.data : "", cases[i].value);
		free(v);
	}

	/* A long non-ASCII subject: several words, each at most 75. */
	{
		char	 s[1200];
		size_t	 n;

		for (n = 0; n + 3 < 1200; n += 3)
			memcpy(s + n, "\xe2\x82\xac", 3);	/* euro */
		s[n] = '\0';
		buf_reset(&out);
		buf_reset(&dec);
		assert_int_equal(msg_put_unstructured(&out, "Subject", s,
		    &err), 0);
		assert_true(out.len > 1000);
		assert_int_equal(buf_puts(&out, "\r\n"), 0);
		check_lines(out.data, out.len, 0);
		v = get_field(out.data, out.len, "Subject");
		decode_unstructured(v, &dec);
		assert_string_equal(dec.data, s);
		free(v);
	}

	/* Field names: checked. */
	assert_int_equal(msg_put_unstructured(&out, "X Bad", "v", &err),
	    CLR_EINVAL);
	assert_non_null(strstr(err.msg, "field name"));
	assert_int_equal(msg_put_unstructured(&out, "X:", "v", &err),
	    CLR_EINVAL);
	assert_int_equal(msg_put_unstructured(&out, "", "v", &err),
	    CLR_EINVAL);
	assert_int_equal(msg_put_unstructured(&out, "X-Bad\r\nBcc", "v",
	    &err), CLR_EINVAL);
	assert_int_equal(msg_put_unstructured(&out, "X-Note", "a\nb", &err),
	    CLR_EINVAL);
	assert_string_equal(err.msg, "the X-Note header contains a line "
	    "break");
	assert_int_equal(msg_put_unstructured(&out, "X-Note", NULL, &err),
	    CLR_EINVAL);

	/* A long field name: the value still keeps to 78 octets. */
	buf_reset(&out);
	buf_reset(&dec);
	assert_int_equal(msg_put_unstructured(&out, "X-A-Rather-Long-Name-"
	    "For-A-Header-Field-Really-Quite-Long-Indeed", "Caf\xc3\xa9 "
	    "au lait and a longer text that needs a fold", &err), 0);
	assert_int_equal(buf_puts(&out, "\r\n"), 0);
	check_lines(out.data, out.len, 0);
	v = get_field(out.data, out.len, "X-A-Rather-Long-Name-For-A-Header-"
	    "Field-Really-Quite-Long-Indeed");
	decode_unstructured(v, &dec);
	assert_string_equal(dec.data, "Caf\xc3\xa9 au lait and a longer text "
	    "that needs a fold");
	free(v);
	buf_free(&out);
	buf_free(&dec);
}

/*
 * Unstructured text: random words and spaces decode back exactly, with
 * every line within 78 octets, whatever the spacing.
 */
static void
test_unstructured(void **state)
{
	static const char	*words[] = { "a", "bb", " ", "  ", "\xc3\xa9",
	    "=?", "?=", "_", "=", "\"", LONG_WORD, "\xf0\x9f\x98\x80",
	    "\xe4\xba\xba", "Re:", "(x)" };
	struct buf		 out = BUF_INITIALIZER(1 << 16);
	struct buf		 dec = BUF_INITIALIZER(1 << 16);
	struct clr_err		 err;
	char			 s[MSG_SUBJECT_MAX + 1], *v;
	size_t			 n, w, k;
	int			 round;

	for (round = 0; round < 2000; round++) {
		n = 0;
		k = rnd() % 40;
		while (k-- > 0) {
			w = rnd() % ARRAY_LEN(words);
			if (n + strlen(words[w]) > MSG_SUBJECT_MAX)
				break;
			memcpy(s + n, words[w], strlen(words[w]));
			n += strlen(words[w]);
		}
		s[n] = '\0';
		buf_reset(&out);
		buf_reset(&dec);
		assert_int_equal(msg_put_unstructured(&out, "Subject", s,
		    &err), 0);
		assert_int_equal(buf_puts(&out, "\r\n"), 0);
		check_lines(out.data, out.len, 0);
		v = get_field(out.data, out.len, "Subject");
		decode_unstructured(v, &dec);
		assert_string_equal(dec.len ? dec.data : "", s);
		free(v);
	}
	buf_free(&out);
	buf_free(&dec);
}

/*
 * rnd_text - up to max octets of random text: printable ASCII, UTF-8,
 * specials and "=?" look-alikes. RND_HOSTILE texts get, one time in
 * eight, a few bytes that must be refused (CR, LF, TAB, DEL, C1, U+2028,
 * invalid sequences); RND_BODY texts get line ends of every kind,
 * controls and NUL, which a body may hold.
 */
static size_t
rnd_text(char *s, size_t max, enum rnd_mode mode)
{
	static const char	*pieces[] = {
		"\xc3\xa9", "\xd0\x96", "\xe4\xba\xba", "\xf0\x9f\x93\xa2",
		"=?", "?=", "=?utf-8?q?a?=", "\"", "\\", ",", "<", ">", "@",
		"(", ")", ";", ":", ".", "  ", "_", "=", "\xc2\xa0",
		"\xe2\x80\xae",
	};
	static const char	*bad[] = {
		"\r", "\n", "\r\n", "\t", "\x7f", "\x01", "\xc2\x85",
		"\xe2\x80\xa8", "\xe2\x80\xa9", "\xff", "\x80", "\xc0\xaf",
		"\xed\xa0\x80", "\xe2\x82",
	};
	static const char	*body[] = {
		"\r", "\n", "\r\n", "\n\r", "\t", " \n", "\t\r\n", "\x7f",
		"\x01", "\xc2\x85", "\xe2\x80\xa8", ".", "\n.", "\nFrom ",
		"=", "=\r\n", "--",
	};
	const char	*p;
	char		 c[2];
	size_t		 n = 0, len, k, nbad = 0;
	uint64_t	 r;

	len = (size_t)(rnd() % (max + 1));
	if (mode == RND_HOSTILE && rnd() % 8 == 0)
		nbad = 1 + rnd() % 3;
	while (n < len) {
		r = rnd() % 100;
		if (nbad > 0 && r < 3) {
			p = bad[rnd() % ARRAY_LEN(bad)];
			nbad--;
		} else if (mode == RND_BODY && r < 15)
			p = body[rnd() % ARRAY_LEN(body)];
		else if (r < 25)
			p = pieces[rnd() % ARRAY_LEN(pieces)];
		else if (r < 40)
			p = " ";
		else {
			c[0] = (char)(0x21 + rnd() % 94);
			c[1] = '\0';
			p = c;
		}
		k = strlen(p);
		if (n + k > len)
			break;
		memcpy(s + n, p, k);
		n += k;
	}
	s[n] = '\0';
	if (mode == RND_BODY && n > 0 && rnd() % 16 == 0)
		s[rnd() % n] = '\0';	/* a NUL inside a body */
	return n;
}

/*
 * 10,000 random contacts: each message is either refused with a reason
 * or has exactly the expected header names, CRLF only, short lines, and
 * decodes back to its names, subject and bodies. One in fifty goes to
 * the Python check too.
 */
static void
test_property(void **state)
{
	struct msg_params	 p;
	struct buf		 out = BUF_INITIALIZER(1 << 22);
	struct clr_err		 err;
	char			 from[MSG_NAME_MAX + 40], to[MSG_NAME_MAX + 40];
	char			 list[MSG_NAME_MAX + 40];
	char			 subj[MSG_SUBJECT_MAX + 60];
	char			 text[3000], html[3000];
	int			 i, rc, refused = 0, built = 0;

	for (i = 0; i < 10000; i++) {
		base_params(&p);
		rnd_text(from, MSG_NAME_MAX + 20, RND_HOSTILE);
		rnd_text(to, MSG_NAME_MAX + 20, RND_HOSTILE);
		rnd_text(list, 60, RND_HOSTILE);
		rnd_text(subj, rnd() % 8 == 0 ? MSG_SUBJECT_MAX + 50 : 200,
		    RND_HOSTILE);
		p.from.name = rnd() % 10 == 0 ? NULL : from;
		p.to.name = rnd() % 10 == 0 ? NULL : to;
		p.list_name = rnd() % 3 == 0 ? NULL : list;
		p.subject = subj;
		p.text_len = rnd_text(text, sizeof(text) - 1, RND_BODY);
		p.text = text;
		if (rnd() % 3 == 0)
			p.html = NULL;
		else {
			p.html_len = rnd_text(html, sizeof(html) - 1,
			    rnd() % 16 == 0 ? RND_HOSTILE : RND_BODY);
			p.html = html;
		}
		if (rnd() % 2)
			p.reply_to = "contact@liguedh.example";
		if (rnd() % 4 == 0)
			p.feedback_id = NULL;
		if (rnd() % 4 == 0)
			p.unsubscribe_mailto = NULL;
		memset(&err, 0, sizeof(err));
		buf_reset(&out);
		rc = msg_build(&p, &out, &err);
		if (rc != 0) {
			assert_int_equal(rc, CLR_EINVAL);
			assert_true(err.msg[0] != '\0');
			assert_int_equal(out.len, 0);
			refused++;
			continue;
		}
		built++;
		check_roundtrip(out.data, out.len, &p);
		if (built % 50 == 0)
			save_sample("random", &p, out.data, out.len);
	}
	print_message("property: %d built, %d refused\n", built, refused);
	assert_true(built > 2000 && refused > 2000);
	buf_free(&out);
}

/* msg_put_qp, exact output. */
static void
test_qp_table(void **state)
{
	static const struct {
		const char	*name;
		const char	*in;
		size_t		 len;
		const char	*expected;
	} cases[] = {
#define S(lit)	lit, sizeof(lit) - 1
		{ "empty", S(""), "" },
		{ "plain", S("abc"), "abc" },
		{ "equals", S("a=b"), "a=3Db" },
		{ "trailing space", S("trailing \n"), "trailing=20\r\n" },
		{ "trailing tab at CRLF", S("tab\t\r\n"), "tab=09\r\n" },
		{ "trailing space at the end", S("end "), "end=20" },
		{ "inner space and tab", S("a \tb"), "a \tb" },
		{ "line ends", S("a\rb\nc\r\nd"), "a\r\nb\r\nc\r\nd" },
		{ "CR, CRLF, LF", S("\r\r\n\n"), "\r\n\r\n\r\n" },
		{ "LF CR is two", S("\n\r"), "\r\n\r\n" },
		{ "dot line", S(".\n"), "=2E\r\n" },
		{ "dot starts a line", S("a\n.b"), "a\r\n=2Eb" },
		{ "dot inside", S("a.b"), "a.b" },
		{ "From line", S("From me\n"), "=46rom me\r\n" },
		{ "From after a line end", S("x\r\nFrom y"), "x\r\n=46rom y" },
		{ "Fromage", S("Fromage"), "Fromage" },
		{ "From inside", S(" From x"), " From x" },
		{ "UTF-8", S("\xc3\xa9"), "=C3=A9" },
		{ "NUL, DEL, ESC", S("\0\x7f\x1b"), "=00=7F=1B" },
		{ "boundary look-alike", S("--=_clarion_x"),
		    "--=3D_clarion_x" },
		{ "soft break look-alike", S("a=\r\nb"), "a=3D\r\nb" },
	};
	struct buf	 out = BUF_INITIALIZER(1 << 16);
	size_t		 i;

	for (i = 0; i < ARRAY_LEN(cases); i++) {
		print_message("qp: %s\n", cases[i].name);
		buf_reset(&out);
		assert_int_equal(msg_put_qp(&out, cases[i].in, cases[i].len),
		    0);
		assert_string_equal(out.len ? out.data : "",
		    cases[i].expected);
	}

	/* Soft breaks: 76 fits at the end of a line, 75 elsewhere. */
	{
		char	 in[200], want[200];

		memset(in, 'a', 76);
		buf_reset(&out);
		assert_int_equal(msg_put_qp(&out, in, 76), 0);
		assert_int_equal(out.len, 76);

		memset(in, 'a', 77);
		buf_reset(&out);
		assert_int_equal(msg_put_qp(&out, in, 77), 0);
		memset(want, 'a', 75);
		memcpy(want + 75, "=\r\naa", 6);
		assert_string_equal(out.data, want);

		memset(in, 'a', 76);
		in[76] = '\n';
		buf_reset(&out);
		assert_int_equal(msg_put_qp(&out, in, 77), 0);
		memset(want, 'a', 76);
		memcpy(want + 76, "\r\n", 3);
		assert_string_equal(out.data, want);

		/* Never inside an =XX. */
		memset(in, 'a', 74);
		memcpy(in + 74, "\xc3\xa9", 2);
		buf_reset(&out);
		assert_int_equal(msg_put_qp(&out, in, 76), 0);
		memset(want, 'a', 74);
		memcpy(want + 74, "=\r\n=C3=A9", 10);
		assert_string_equal(out.data, want);

		/* A dot pushed to the start of a line is encoded. */
		memset(in, 'a', 75);
		memcpy(in + 75, ".b", 2);
		buf_reset(&out);
		assert_int_equal(msg_put_qp(&out, in, 77), 0);
		memset(want, 'a', 75);
		memcpy(want + 75, "=\r\n=2Eb", 8);
		assert_string_equal(out.data, want);

		/* A final space that no longer fits. */
		memset(in, 'a', 75);
		memcpy(in + 75, " \n", 2);
		buf_reset(&out);
		assert_int_equal(msg_put_qp(&out, in, 77), 0);
		memset(want, 'a', 75);
		memcpy(want + 75, "=\r\n=20\r\n", 9);
		assert_string_equal(out.data, want);
	}
	buf_free(&out);
}

/* Random bodies: decode back (line ends as CRLF), lines within 76. */
static void
test_qp_roundtrip(void **state)
{
	struct buf	 out = BUF_INITIALIZER(1 << 20);
	struct buf	 dec = BUF_INITIALIZER(1 << 20);
	struct buf	 want = BUF_INITIALIZER(1 << 20);
	char		 in[4096];
	size_t		 n, i, j, col;
	int		 round;

	for (round = 0; round < 3000; round++) {
		n = rnd() % sizeof(in);
		for (i = 0; i < n; i++) {
			uint64_t	 r = rnd() % 16;

			/* Bias toward what is hard: ends, spaces, dots. */
			in[i] = r < 4 ? (char)rnd() : r < 6 ? ' ' : r < 7 ?
			    '\t' : r < 8 ? '\r' : r < 9 ? '\n' : r < 10 ? '.' :
			    r < 11 ? '=' : (char)('a' + rnd() % 26);
		}
		if (n > 5 && rnd() % 4 == 0)
			memcpy(in + rnd() % (n - 4), "From ", 5);
		buf_reset(&out);
		buf_reset(&dec);
		buf_reset(&want);
		assert_int_equal(msg_put_qp(&out, in, n), 0);
		for (j = 0, col = 0; j < out.len; j++) {
			char	 c = out.data[j];

			if (c == '\r') {
				assert_int_equal(out.data[j + 1], '\n');
				/* No white space before a line end. */
				assert_true(col == 0 || (out.data[j - 1] !=
				    ' ' && out.data[j - 1] != '\t'));
				j++;
				col = 0;
				continue;
			}
			assert_true(c != '\n' && c != '\0');
			assert_true((unsigned char)c < 0x80);
			if (col == 0)
				assert_true(c != '.' &&
				    (out.len - j < 5 ||
				    memcmp(out.data + j, "From ", 5) != 0));
			col++;
			assert_true(col <= 76);
		}
		assert_null(out.len ? strstr(out.data, "=_") : NULL);
		qp_decode(out.data ? out.data : "", out.len, &dec);
		crlf_normalise(in, n, &want);
		assert_int_equal(dec.len, want.len);
		if (want.len > 0)
			assert_memory_equal(dec.data, want.data, want.len);
	}
	buf_free(&out);
	buf_free(&dec);
	buf_free(&want);
}

static void
test_dates(void **state)
{
	static const struct {
		int64_t		 t;
		int		 off;
		const char	*expected;	/* NULL: refused */
	} cases[] = {
		{ INT64_C(1795880400), 60, "Sat, 28 Nov 2026 16:40:00 +0100" },
		{ 0, 0, "Thu, 1 Jan 1970 00:00:00 +0000" },
		{ -1, 0, "Wed, 31 Dec 1969 23:59:59 +0000" },
		{ INT64_C(951782400), 0, "Tue, 29 Feb 2000 00:00:00 +0000" },
		{ INT64_C(951782400), -1, "Mon, 28 Feb 2000 23:59:00 -0001" },
		{ INT64_C(68169600), 0, "Tue, 29 Feb 1972 00:00:00 +0000" },
		{ INT64_C(1709164800), 0, "Thu, 29 Feb 2024 00:00:00 +0000" },
		{ INT64_C(4107456000), 0, "Sun, 28 Feb 2100 00:00:00 +0000" },
		{ INT64_C(4107542400), 0, "Mon, 1 Mar 2100 00:00:00 +0000" },
		{ INT64_C(1795880400), 1439,
		    "Sun, 29 Nov 2026 15:39:00 +2359" },
		{ INT64_C(1795880400), -1439,
		    "Fri, 27 Nov 2026 15:41:00 -2359" },
		{ INT64_C(1795880400), 330, "Sat, 28 Nov 2026 21:10:00 +0530" },
		{ INT64_C(1795880400), -570,
		    "Sat, 28 Nov 2026 06:10:00 -0930" },
		{ INT64_C(-2208988800), 0, "Mon, 1 Jan 1900 00:00:00 +0000" },
		{ INT64_C(-2208988740), -1, "Mon, 1 Jan 1900 00:00:00 -0001" },
		{ INT64_C(253402300799), 0, "Fri, 31 Dec 9999 23:59:59 +0000" },
		{ INT64_C(-2208988800), -1, NULL },
		{ INT64_C(253402300799), 1, NULL },
		{ INT64_MAX, 0, NULL },
		{ INT64_MIN, 0, NULL },
		{ INT64_MAX, -1439, NULL },
		{ 0, 1440, NULL },
		{ 0, -1440, NULL },
	};
	struct msg_params	 p;
	struct buf		 out = BUF_INITIALIZER(1 << 20);
	struct clr_err		 err;
	char			*v;
	size_t			 i;

	for (i = 0; i < ARRAY_LEN(cases); i++) {
		print_message("date: %lld %d\n", (long long)cases[i].t,
		    cases[i].off);
		base_params(&p);
		p.date = cases[i].t;
		p.utc_offset = cases[i].off;
		buf_reset(&out);
		if (cases[i].expected == NULL) {
			assert_int_equal(msg_build(&p, &out, &err),
			    CLR_EINVAL);
			assert_true(strstr(err.msg, "date") != NULL ||
			    strstr(err.msg, "UTC offset") != NULL);
			continue;
		}
		build_ok(&p, &out);
		v = get_field(out.data, out.len, "Date");
		assert_non_null(v);
		assert_string_equal(v + 1, cases[i].expected);
		free(v);
	}
	buf_free(&out);
}

/* The addresses, ids and URLs: refused with a reason naming them. */
static void
test_fields(void **state)
{
	static const struct {
		const char	*name;
		int		 which;
		const char	*value;
		const char	*why;
	} cases[] = {
		{ "To with CRLF", 0, "a@b.example\r\nBcc: x@y.example",
		    "the To address is not a normalised" },
		{ "To with a space", 0, "a b@example.org",
		    "the To address is not a normalised" },
		{ "To with angle brackets", 0, "a>@example.org",
		    "the To address is not a normalised" },
		{ "To with two @", 0, "a@b@example.org", "more than one @" },
		{ "To without @", 0, "example.org", "not an address" },
		{ "To empty local part", 0, "@example.org", "not an address" },
		{ "To empty", 0, "", "the To address is missing" },
		{ "To non-ASCII domain", 0, "a@b\xc3\xbc" "cher.de",
		    "not ASCII" },
		{ "To with U+2028", 0, "a\xe2\x80\xa8@example.org",
		    "control character" },
		{ "To too long", 0,
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@example.org",
		    "longer than 254" },
		{ "From with a comma", 1, "a,b@example.org",
		    "the From address is not a normalised" },
		{ "Reply-To with a quote", 2, "\"a\"@example.org",
		    "the Reply-To address" },
		{ "mailto with a space", 3, "a @example.org",
		    "the unsubscribe mailto address" },
		{ "http URL", 4, "http://liguedh.example/u/x", "not an https" },
		{ "URL with '>'", 4, "https://liguedh.example/u/x>, <https://"
		    "evil.example", "'<' or '>'" },
		{ "URL with a space", 4, "https://liguedh.example/u/ x",
		    "white space" },
		{ "URL with CRLF", 4, "https://liguedh.example/u/\r\nBcc: x",
		    "white space or a control" },
		{ "URL with non-ASCII", 4, "https://liguedh.example/\xc3\xa9",
		    "non-ASCII" },
		{ "URL without host", 4, "https:///x", "no host" },
		{ "URL only a scheme", 4, "https://", "no host" },
		{ "URL empty", 4, "", "missing" },
		{ "Message-ID without @", 5, "abc", "Message-ID is not" },
		{ "Message-ID with brackets", 5, "<a@b>", "Message-ID is not" },
		{ "Message-ID with a space", 5, "a b@c", "Message-ID is not" },
		{ "Message-ID with two dots", 5, "a..b@c",
		    "Message-ID is not" },
		{ "List-Id without a dot", 6, "lettre", "List-Id is not" },
		{ "List-Id with '>'", 6, "a>.b", "List-Id is not" },
		{ "Feedback-ID with a space", 7, "a: b", "Feedback-ID" },
		{ "Feedback-ID with LF", 7, "a\nb", "Feedback-ID" },
		{ "Feedback-ID empty", 7, "", "Feedback-ID is empty" },
		{ "text not UTF-8", 8, "abc\xff", "text body is not valid "
		    "UTF-8 (at octet 3)" },
		{ "HTML not UTF-8", 9, "<p>\xc3</p>", "HTML body is not valid "
		    "UTF-8" },
	};
	struct msg_params	 p;
	struct buf		 out = BUF_INITIALIZER(1 << 20);
	struct clr_err		 err;
	size_t			 i;

	for (i = 0; i < ARRAY_LEN(cases); i++) {
		print_message("field: %s\n", cases[i].name);
		base_params(&p);
		switch (cases[i].which) {
		case 0:
			p.to.addr = cases[i].value;
			break;
		case 1:
			p.from.addr = cases[i].value;
			break;
		case 2:
			p.reply_to = cases[i].value;
			break;
		case 3:
			p.unsubscribe_mailto = cases[i].value;
			break;
		case 4:
			p.unsubscribe_url = cases[i].value;
			break;
		case 5:
			p.message_id = cases[i].value;
			break;
		case 6:
			p.list_id = cases[i].value;
			break;
		case 7:
			p.feedback_id = cases[i].value;
			break;
		case 8:
			p.text = cases[i].value;
			p.text_len = strlen(cases[i].value);
			break;
		case 9:
			p.html = cases[i].value;
			p.html_len = strlen(cases[i].value);
			break;
		}
		memset(&err, 0, sizeof(err));
		assert_int_equal(msg_build(&p, &out, &err), CLR_EINVAL);
		if (strstr(err.msg, cases[i].why) == NULL)
			fail_msg("\"%s\" does not say \"%s\"", err.msg,
			    cases[i].why);
		assert_int_equal(out.len, 0);
	}

	/* Missing params. */
	base_params(&p);
	p.subject = NULL;
	assert_int_equal(msg_build(&p, &out, &err), CLR_EINVAL);
	assert_string_equal(err.msg, "the subject is missing");
	base_params(&p);
	p.text = NULL;
	assert_int_equal(msg_build(&p, &out, &err), CLR_EINVAL);
	assert_int_equal(msg_build(NULL, &out, &err), CLR_EINVAL);

	/* mailto: percent-encoded (RFC 6068); a UTF-8 local part as octets. */
	base_params(&p);
	p.unsubscribe_mailto = "u+a/b=c?d#e%f&g@liguedh.example";
	build_ok(&p, &out);
	assert_non_null(strstr(out.data, "<mailto:u+a%2Fb%3Dc%3Fd%23e%25f%26"
	    "g@liguedh.example>"));
	buf_reset(&out);
	p.unsubscribe_mailto = "d\xc3\xa9sinscription@liguedh.example";
	build_ok(&p, &out);
	assert_non_null(strstr(out.data,
	    "<mailto:d%C3%A9sinscription@liguedh.example>"));

	/* A UTF-8 local part is written as it is (SMTPUTF8). */
	buf_reset(&out);
	base_params(&p);
	p.to.addr = "jos\xc3\xa9@example.org";
	build_ok(&p, &out);
	assert_non_null(strstr(out.data,
	    "\r\nTo: =?UTF-8?Q?Jos=C3=A9_Mar=C3=ADn?= "
	    "<jos\xc3\xa9@example.org>\r\n"));
	check_roundtrip(out.data, out.len, &p);
	buf_free(&out);
}

/*
 * Words that no line can hold (a long unsubscribe URL, a 254-octet
 * address) stay whole, on a line of their own; every other line keeps
 * to 78 octets.
 */
static void
test_long_tokens(void **state)
{
	struct msg_params	 p;
	struct buf		 out = BUF_INITIALIZER(1 << 20);
	char			 url[200], addr[300], *v;

	base_params(&p);
	memcpy(url, "https://liguedh.example/unsubscribe/", 36);
	memset(url + 36, 'q', 120);
	url[156] = '\0';
	p.unsubscribe_url = url;
	memset(addr, 'a', 64);
	addr[64] = '@';
	memset(addr + 65, 'b', 189);
	memcpy(addr + 65 + 180, ".example", 9);
	assert_int_equal(strlen(addr), 253);
	p.to.addr = addr;
	build_ok(&p, &out);
	check_lines(out.data, out.len, 1);
	assert_non_null(strstr(out.data, "\r\nList-Unsubscribe: <"));
	v = get_field(out.data, out.len, "List-Unsubscribe");
	assert_non_null(strstr(v, url));
	free(v);
	{
		char	 line[320];

		snprintf(line, sizeof(line), "\r\n <%s>\r\n", addr);
		assert_non_null(strstr(out.data, line));
	}
	allow_long = 1;
	check_roundtrip(out.data, out.len, &p);
	allow_long = 0;
	save_sample("long", &p, out.data, out.len);

	/* Where folding helps, it is done, even right after the colon. */
	buf_reset(&out);
	base_params(&p);
	p.unsubscribe_url = "https://liguedh.example/u/aaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaa";
	p.unsubscribe_mailto = NULL;
	build_ok(&p, &out);
	assert_non_null(strstr(out.data, "\r\nList-Unsubscribe:\r\n <https:"));
	check_lines(out.data, out.len, 0);
	buf_free(&out);
}

/* The boundary: from the Message-ID, stable, never in the bodies. */
static void
test_boundary(void **state)
{
	struct msg_params	 p;
	struct buf		 a = BUF_INITIALIZER(1 << 20);
	struct buf		 b = BUF_INITIALIZER(1 << 20);
	char			*va, *vb, *bnd, body[200];

	base_params(&p);
	build_ok(&p, &a);
	build_ok(&p, &b);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.data, b.data, a.len);	/* deterministic */
	va = get_field(a.data, a.len, "Content-Type");
	buf_reset(&b);
	p.message_id = "20261128.7.43@liguedh.example";
	build_ok(&p, &b);
	vb = get_field(b.data, b.len, "Content-Type");
	assert_string_not_equal(va, vb);

	/* A body that holds the boundary itself. */
	bnd = xstrndup(strchr(va, '"') + 1, strlen(strchr(va, '"') + 1) - 1);
	snprintf(body, sizeof(body), "x\r\n--%s\r\n--%s--\r\n", bnd, bnd);
	buf_reset(&b);
	p.message_id = "20261128.7.42@liguedh.example";
	p.text = body;
	p.text_len = strlen(body);
	p.html = body;
	p.html_len = strlen(body);
	build_ok(&p, &b);
	check_roundtrip(b.data, b.len, &p);	/* 4 occurrences, no more */
	free(bnd);
	free(va);
	free(vb);
	buf_free(&a);
	buf_free(&b);
}

/* On error out keeps what it had; a buf cap gives CLR_ETOOBIG. */
static void
test_errors(void **state)
{
	struct msg_params	 p;
	struct buf		 out = BUF_INITIALIZER(1 << 20);
	struct buf		 full = BUF_INITIALIZER(1 << 20);
	struct clr_err		 err;
	size_t			 cap;
	int			 rc;

	base_params(&p);
	build_ok(&p, &full);

	/* Every cap short of the size: refused, prefix intact. */
	for (cap = 4; cap < 4 + full.len; cap += 7) {
		buf_init(&out, cap);
		assert_int_equal(buf_puts(&out, "abcd"), 0);
		rc = msg_build(&p, &out, &err);
		assert_int_equal(rc, CLR_ETOOBIG);
		assert_int_equal(err.code, CLR_ETOOBIG);
		assert_non_null(strstr(err.msg, "size limit"));
		assert_int_equal(out.len, 4);
		assert_string_equal(out.data, "abcd");
		buf_free(&out);
	}
	/* Exactly the size: fits, since QP is staged, not reserved. */
	buf_init(&out, 4 + full.len);
	assert_int_equal(buf_puts(&out, "abcd"), 0);
	build_ok(&p, &out);
	assert_memory_equal(out.data + 4, full.data, full.len);
	buf_free(&out);

	/* msg_put_qp and msg_put_unstructured restore too. */
	buf_init(&out, 10);
	assert_int_equal(buf_puts(&out, "ab"), 0);
	assert_int_equal(msg_put_qp(&out, "\xc3\xa9\xc3\xa9\xc3\xa9", 6),
	    CLR_ETOOBIG);
	assert_int_equal(out.len, 2);
	assert_int_equal(msg_put_unstructured(&out, "Subject", "x", &err),
	    CLR_ETOOBIG);
	assert_int_equal(out.len, 2);
	buf_free(&out);
	buf_free(&full);
}

/* Every allocation failing in turn: CLR_ENOMEM and out restored. */
static void
test_enomem(void **state)
{
	struct msg_params	 p;
	struct buf		 out;
	struct clr_err		 err;
	long			 n;
	int			 rc;

	base_params(&p);
	for (n = 0;; n++) {
		buf_init(&out, 1 << 20);
		assert_int_equal(buf_puts(&out, "ab"), 0);
		test_fail_after(n);
		rc = msg_build(&p, &out, &err);
		test_restore_allocator(NULL);
		if (rc == 0) {
			buf_free(&out);
			break;
		}
		assert_int_equal(rc, CLR_ENOMEM);
		assert_int_equal(out.len, 2);
		assert_string_equal(out.data, "ab");
		buf_free(&out);
	}
	assert_true(n > 0);
}

/*
 * Python's email package reads every sample the tests before saved
 * (golden, hostile, limits, random, long) and must decode each to its
 * inputs; see tests/data/message/check_email.py.
 */
static void
test_python(void **state)
{
	struct buf	 cmd = BUF_INITIALIZER(1 << 16);
	int		 rc;

	if (access(PYTHON, X_OK) != 0) {
		print_message("no %s: skipped\n", PYTHON);
		skip();
	}
	assert_true(samples > 100);
	assert_int_equal(buf_printf(&cmd, "%s %s %s", PYTHON, CHECKER,
	    test_tmp()), 0);
	rc = system(cmd.data);
	buf_free(&cmd);
	assert_int_equal(rc, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_golden_text_only),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_encoded_words),
		cmocka_unit_test(test_unstructured),
		cmocka_unit_test(test_property),
		cmocka_unit_test(test_qp_table),
		cmocka_unit_test(test_qp_roundtrip),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_long_tokens),
		cmocka_unit_test(test_boundary),
		cmocka_unit_test(test_errors),
		cmocka_unit_test_teardown(test_enomem,
		    test_restore_allocator),
		cmocka_unit_test(test_python),
	};
	int	 rc;

	rc = cmocka_run_group_tests_name("message", tests, NULL, NULL);
	test_tmp_clean();
	return rc;
}
