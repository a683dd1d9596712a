/* SPDX-License-Identifier: ISC */
/*
 * tests/unit/smtp_proto_test.c - replays the transcripts in tests/proto/
 * against the SMTP client engine
 *
 * Each .smtp file in tests/proto is a conversation: what the server sends,
 * the exact bytes the client must send, the events it must give, and the
 * caller's calls in between (the format is in tests/proto/README). Every
 * file runs twice: the server's lines of each block fed in one call, then
 * again one byte at a time with the events drained after every byte. Both
 * runs must match the file exactly: no client byte or event left over.
 *
 * Besides what a file asks, every run checks what must always hold: one
 * MAIL_DONE per message taken, CLOSED at most once and last, no AUTH
 * secret in the transcript, CRLF-only output.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "smtp/smtp.h"
#include "util/buf.h"
#include "util/err.h"

#define MAX_FILES	256
#define MAX_MAILS	64
#define MAX_RCPTS	(SMTP_RCPTS_MAX + 8)	/* room to try too many */
#define MAX_EVENTS	1024
#define DEFAULT_BODY	"Subject: hello\r\n\r\nHello.\r\n"

struct mail_rec {
	int		 id;
	char		*from;
	char		*rcpts[MAX_RCPTS];
	size_t		 nrcpts;
	char		*body;
	size_t		 body_len;
	int		 done;		/* MAIL_DONE events seen */
	int		 taken;		/* smtp_client_mail said 0 */
};

struct run {
	const char		*file;
	int			 bytewise;
	struct smtp_params	 p;
	char			*helo, *user, *password;
	struct smtp_client	*c;
	struct buf		 out;		/* client bytes not yet checked */
	size_t			 out_pos;
	char			*events[MAX_EVENTS];	/* not yet checked */
	size_t			 ev_first, ev_len;
	struct mail_rec		 mails[MAX_MAILS];
	size_t			 nmails;
	int			 closed;	/* CLOSED seen */
	int			 after_closed;	/* events after it */
	int			 hold;		/* do not consume output */
	struct buf		 chunk;		/* server bytes to feed */
	int			 lineno;
	char			 why[1024];	/* the first failure */
};

static int	 fail_at(struct run *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

static int
fail_at(struct run *r, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	if (r->why[0] != '\0')
		return -1;
	n = snprintf(r->why, sizeof(r->why), "%s:%d: ", r->file, r->lineno);
	va_start(ap, fmt);
	vsnprintf(r->why + n, sizeof(r->why) - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* unescape - \r \n \t \\ \xNN in s, in place; returns the length. */
static size_t
unescape(char *s)
{
	size_t	 i = 0, o = 0;

	while (s[i] != '\0') {
		if (s[i] != '\\' || s[i + 1] == '\0') {
			s[o++] = s[i++];
			continue;
		}
		i++;
		switch (s[i]) {
		case 'r':
			s[o++] = '\r';
			i++;
			break;
		case 'n':
			s[o++] = '\n';
			i++;
			break;
		case 't':
			s[o++] = '\t';
			i++;
			break;
		case 'x': {
			char	 hex[3] = { s[i + 1], s[i + 1] ? s[i + 2] : 0,
				    0 };

			s[o++] = (char)strtoul(hex, NULL, 16);
			i += 3;
			break;
		}
		default:
			s[o++] = s[i++];
			break;
		}
	}
	s[o] = '\0';
	return o;
}

/* show - s[0..n) printable: \r \n \\ and \xNN, for events and failures. */
static void
show(struct buf *b, const char *s, size_t n)
{
	size_t		 i;
	unsigned char	 c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c == '\n')
			buf_puts(b, "\\n");
		else if (c == '\r')
			buf_puts(b, "\\r");
		else if (c == '\\')
			buf_puts(b, "\\\\");
		else if (c < 0x20 || c >= 0x7F)
			buf_printf(b, "\\x%02X", c);
		else
			buf_putc(b, c);
	}
}

static void
show_reply(struct buf *b, const struct smtp_reply *rp)
{
	buf_printf(b, "%d", rp->code);
	if (rp->status[0] != '\0')
		buf_printf(b, " %s", rp->status);
	if (rp->text[0] != '\0') {
		buf_putc(b, ' ');
		show(b, rp->text, strlen(rp->text));
	}
}

static struct mail_rec *
mail_by_id(struct run *r, int id)
{
	size_t	 i;

	for (i = 0; i < r->nmails; i++)
		if (r->mails[i].id == id)
			return &r->mails[i];
	return NULL;
}

/* event_string - an event as the files write it after "E: ". */
static char *
event_string(struct run *r, const struct smtp_event *ev)
{
	struct buf		 b = BUF_INITIALIZER(1 << 16);
	struct mail_rec		*m;
	int			 id = (int)(intptr_t)ev->udata;

	switch (ev->type) {
	case SMTP_EV_READY:
		buf_puts(&b, "READY");
		break;
	case SMTP_EV_WANT_TLS:
		buf_puts(&b, "WANT_TLS");
		break;
	case SMTP_EV_RCPT:
		buf_printf(&b, "RCPT %d #%zu %s ", id, ev->rcpt,
		    ev->accepted ? "ok" : "refused");
		show_reply(&b, &ev->reply);
		break;
	case SMTP_EV_MAIL_DONE:
		buf_printf(&b, "MAIL_DONE %d %s ", id,
		    smtp_outcome_name(ev->outcome));
		if (ev->outcome == SMTP_OUT_REFUSED)
			buf_printf(&b, "%s ", smtp_stage_name(ev->stage));
		buf_printf(&b, "rcpts=%zu ", ev->rcpts_accepted);
		show_reply(&b, &ev->reply);
		if ((m = mail_by_id(r, id)) == NULL)
			fail_at(r, "MAIL_DONE for unknown message %d", id);
		else
			m->done++;
		break;
	case SMTP_EV_FAILED:
		buf_printf(&b, "FAILED %s ", smtp_stage_name(ev->stage));
		show_reply(&b, &ev->reply);
		break;
	case SMTP_EV_CLOSED:
		buf_puts(&b, "CLOSED");
		break;
	}
	return buf_steal(&b);
}

/*
 * drain - pull every event into the list of events to check, and the
 * output into the bytes to check (consumed, unless held).
 */
static void
drain(struct run *r)
{
	struct smtp_event	 ev;
	const void		*p;
	size_t			 n;

	while (smtp_client_next(r->c, &ev) == 1) {
		if (r->closed)
			r->after_closed++;
		if (ev.type == SMTP_EV_CLOSED)
			r->closed++;
		if (r->ev_first + r->ev_len == MAX_EVENTS) {
			fail_at(r, "too many events");
			return;
		}
		r->events[r->ev_first + r->ev_len++] = event_string(r, &ev);
	}
	if (r->hold)
		return;
	n = smtp_client_output(r->c, &p);
	buf_append(&r->out, p, n);
	smtp_client_consume(r->c, n);
}

static int
ensure_client(struct run *r)
{
	struct clr_err	 err;

	if (r->c != NULL)
		return 0;
	r->c = smtp_client_new(&r->p, &err);
	if (r->c == NULL)
		return fail_at(r, "smtp_client_new: %s", err.msg);
	return 0;
}

/* flush - feed the server bytes gathered, whole or one at a time. */
static int
flush(struct run *r)
{
	size_t	 i, step;
	int	 rc;

	if (r->chunk.len == 0)
		return 0;
	if (ensure_client(r) != 0)
		return -1;
	for (i = 0; i < r->chunk.len; i += step) {
		step = r->bytewise ? 1 : r->chunk.len - i;
		rc = smtp_client_feed(r->c, r->chunk.data + i, step);
		if (rc == CLR_ETOOBIG) {
			drain(r);
			rc = smtp_client_feed(r->c, r->chunk.data + i, step);
		}
		if (rc != 0)
			return fail_at(r, "smtp_client_feed: %s",
			    clr_strerror(rc));
		if (r->bytewise)
			drain(r);
	}
	drain(r);
	buf_reset(&r->chunk);
	return 0;
}

/* next_word - the next space-separated word of *s; "..." may quote. */
static char *
next_word(char **s)
{
	char	*p = *s, *w, *o;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0')
		return NULL;
	w = o = p;
	while (*p != '\0' && *p != ' ' && *p != '\t') {
		if (*p == '"') {
			p++;
			while (*p != '\0' && *p != '"') {
				if (*p == '\\' && p[1] != '\0')
					*o++ = *p++;
				*o++ = *p++;
			}
			if (*p == '"')
				p++;
			continue;
		}
		*o++ = *p++;
	}
	if (*p != '\0')
		p++;
	*o = '\0';
	*s = p;
	return w;
}

static int
do_params(struct run *r, char *args)
{
	char		*w, *v, *colon;
	const char	*names[SMTP_PHASE_LAST];
	int		 i;

	for (i = 0; i < SMTP_PHASE_LAST; i++)
		names[i] = smtp_phase_name((enum smtp_phase)i);
	while ((w = next_word(&args)) != NULL) {
		if ((v = strchr(w, '=')) == NULL)
			return fail_at(r, "@params: %s: no value", w);
		*v++ = '\0';
		if (strcmp(w, "helo") == 0) {
			free(r->helo);
			r->helo = strdup(v);
			r->p.helo = r->helo;
		} else if (strcmp(w, "tls") == 0) {
			if (strcmp(v, "none") == 0)
				r->p.tls = SMTP_TLS_NONE;
			else if (strcmp(v, "opportunistic") == 0)
				r->p.tls = SMTP_TLS_OPPORTUNISTIC;
			else if (strcmp(v, "required") == 0)
				r->p.tls = SMTP_TLS_REQUIRED;
			else if (strcmp(v, "implicit") == 0)
				r->p.tls = SMTP_TLS_IMPLICIT;
			else
				return fail_at(r, "@params: tls=%s", v);
		} else if (strcmp(w, "auth") == 0) {
			if ((colon = strchr(v, ':')) == NULL)
				return fail_at(r, "@params: auth=user:pass");
			*colon = '\0';
			free(r->user);
			free(r->password);
			r->user = strdup(v);
			r->password = strdup(colon + 1);
			unescape(r->password);
			r->p.auth_user = r->user;
			r->p.auth_password = r->password;
		} else if (strcmp(w, "mechs") == 0) {
			r->p.auth_mechs = 0;
			if (strstr(v, "plain") != NULL)
				r->p.auth_mechs |= SMTP_AUTH_PLAIN;
			if (strstr(v, "login") != NULL)
				r->p.auth_mechs |= SMTP_AUTH_LOGIN;
		} else if (strcmp(w, "plaintext") == 0)
			r->p.auth_plaintext = atoi(v);
		else if (strcmp(w, "pipelining") == 0)
			r->p.no_pipelining = !atoi(v);
		else if (strncmp(w, "timeout.", 8) == 0) {
			for (i = 0; i < SMTP_PHASE_LAST; i++)
				if (strcmp(w + 8, names[i]) == 0)
					break;
			if (i == SMTP_PHASE_LAST)
				return fail_at(r, "@params: no phase %s", w + 8);
			r->p.timeout_ms[i] = (unsigned)strtoul(v, NULL, 10);
		} else
			return fail_at(r, "@params: unknown %s", w);
	}
	return 0;
}

/*
 * do_mail - @mail id=N from=A rcpt=B... [body="..."] [smtputf8] [8bit]
 * [expect=EINVAL|EBUSY] [error="substring"].
 */
static int
do_mail(struct run *r, char *args)
{
	struct mail_rec		*m;
	struct smtp_mail	 mail;
	struct clr_err		 err;
	const char		*expect = NULL, *error = NULL;
	char			*w, *v;
	int			 rc, want = 0;

	if (r->nmails == MAX_MAILS)
		return fail_at(r, "too many @mail");
	m = &r->mails[r->nmails++];
	memset(&mail, 0, sizeof(mail));
	while ((w = next_word(&args)) != NULL) {
		if ((v = strchr(w, '=')) != NULL)
			*v++ = '\0';
		if (strcmp(w, "id") == 0 && v != NULL)
			m->id = atoi(v);
		else if (strcmp(w, "from") == 0 && v != NULL) {
			m->from = strdup(v);
			unescape(m->from);
		} else if (strcmp(w, "rcpt") == 0 && v != NULL &&
		    m->nrcpts < MAX_RCPTS) {
			m->rcpts[m->nrcpts] = strdup(v);
			unescape(m->rcpts[m->nrcpts++]);
		} else if (strcmp(w, "rcpts") == 0 && v != NULL) {
			/* rcpts=N: N recipients r1@y ... rN@y */
			int	 k, n = atoi(v);

			for (k = 0; k < n && m->nrcpts < MAX_RCPTS; k++) {
				char	 a[32];

				snprintf(a, sizeof(a), "r%d@y.example", k + 1);
				m->rcpts[m->nrcpts++] = strdup(a);
			}
		} else if (strcmp(w, "body") == 0 && v != NULL) {
			m->body = strdup(v);
			m->body_len = unescape(m->body);
		} else if (strcmp(w, "bodysize") == 0 && v != NULL) {
			/* bodysize=N: N octets of 'x' lines of 70 + CRLF */
			size_t	 k, n = strtoul(v, NULL, 10);

			m->body = malloc(n + 1);
			for (k = 0; k < n; k++)
				m->body[k] = k % 72 == 70 ? '\r' :
				    k % 72 == 71 ? '\n' : 'x';
			m->body[n] = '\0';
			m->body_len = n;
		} else if (strcmp(w, "smtputf8") == 0)
			mail.smtputf8 = 1;
		else if (strcmp(w, "8bit") == 0)
			mail.eightbit = 1;
		else if (strcmp(w, "expect") == 0 && v != NULL)
			expect = v;
		else if (strcmp(w, "error") == 0 && v != NULL) {
			unescape(v);
			error = v;
		} else
			return fail_at(r, "@mail: unknown %s", w);
	}
	if (m->from == NULL)
		m->from = strdup("");
	if (m->body == NULL) {
		m->body = strdup(DEFAULT_BODY);
		m->body_len = strlen(DEFAULT_BODY);
	}
	mail.from = m->from;
	mail.rcpts = (const char *const *)m->rcpts;
	mail.nrcpts = m->nrcpts;
	mail.body = m->body;
	mail.body_len = m->body_len;
	mail.udata = (void *)(intptr_t)m->id;
	if (expect != NULL && strcmp(expect, "EINVAL") == 0)
		want = CLR_EINVAL;
	else if (expect != NULL && strcmp(expect, "EBUSY") == 0)
		want = CLR_EBUSY;
	else if (expect != NULL)
		return fail_at(r, "@mail: expect=%s", expect);
	if (ensure_client(r) != 0)
		return -1;
	memset(&err, 0, sizeof(err));
	rc = smtp_client_mail(r->c, &mail, &err);
	if (rc != want)
		return fail_at(r, "smtp_client_mail: %d (%s), want %d", rc,
		    err.msg, want);
	if (rc != 0 && err.code != rc)
		return fail_at(r, "smtp_client_mail: err.code %d", err.code);
	if (error != NULL && strstr(err.msg, error) == NULL)
		return fail_at(r, "smtp_client_mail: \"%s\" lacks \"%s\"",
		    err.msg, error);
	m->taken = rc == 0;
	drain(r);
	return 0;
}

static unsigned
bits_of(const char *v, const char *const *names, size_t n)
{
	unsigned	 bits = 0;
	size_t		 i, len;
	const char	*p = v;

	while (*p != '\0') {
		len = strcspn(p, ",");
		for (i = 0; i < n; i++)
			if (strlen(names[i]) == len &&
			    strncmp(p, names[i], len) == 0)
				bits |= 1u << i;
		p += len + (p[len] == ',');
	}
	return bits;
}

/* do_check - @check key=value...: the engine's state now. */
static int
do_check(struct run *r, char *args)
{
	static const char *const exts[] = { "PIPELINING", "SIZE", "8BITMIME",
	    "SMTPUTF8", "ENHANCEDSTATUSCODES", "STARTTLS", "AUTH",
	    "CHUNKING" };
	static const char *const mechs[] = { "PLAIN", "LOGIN" };
	char		*w, *v;
	long long	 got, want;

	if (ensure_client(r) != 0)
		return -1;
	while ((w = next_word(&args)) != NULL) {
		if ((v = strchr(w, '=')) == NULL)
			return fail_at(r, "@check: %s: no value", w);
		*v++ = '\0';
		if (strcmp(w, "phase") == 0) {
			const char	*ph = smtp_phase_name(
			    smtp_client_phase(r->c));

			if (strcmp(ph, v) != 0)
				return fail_at(r, "phase %s, want %s", ph, v);
			continue;
		}
		want = strtoll(v, NULL, 10);
		if (strcmp(w, "timeout") == 0)
			got = smtp_client_timeout_ms(r->c);
		else if (strcmp(w, "ext") == 0) {
			got = smtp_client_extensions(r->c);
			want = bits_of(v, exts, 8);
		} else if (strcmp(w, "auth") == 0) {
			got = smtp_client_auth_offered(r->c);
			want = bits_of(v, mechs, 2);
		} else if (strcmp(w, "size") == 0)
			got = (long long)smtp_client_size_limit(r->c);
		else if (strcmp(w, "tls") == 0)
			got = smtp_client_tls_active(r->c);
		else if (strcmp(w, "can-mail") == 0)
			got = smtp_client_can_mail(r->c);
		else
			return fail_at(r, "@check: unknown %s", w);
		if (got != want)
			return fail_at(r, "@check %s: %lld, want %lld", w, got,
			    want);
	}
	return 0;
}

static int
check_client_bytes(struct run *r, const char *want, size_t n)
{
	struct buf	 a = BUF_INITIALIZER(1 << 16), e = BUF_INITIALIZER(1 << 16);
	size_t		 left = r->out.len - r->out_pos;
	int		 rc = 0;

	if (left < n || memcmp(r->out.data + r->out_pos, want, n) != 0) {
		show(&e, want, n);
		show(&a, r->out.data + r->out_pos, left < n + 40 ? left :
		    n + 40);
		rc = fail_at(r, "client sent \"%s\", want \"%s\"",
		    a.data != NULL ? a.data : "", e.data);
	} else
		r->out_pos += n;
	buf_free(&a);
	buf_free(&e);
	return rc;
}

static int
check_event(struct run *r, const char *want)
{
	char	*got;
	int	 rc = 0;

	if (r->ev_len == 0)
		return fail_at(r, "no event, want \"%s\"", want);
	got = r->events[r->ev_first];
	if (strcmp(got, want) != 0)
		rc = fail_at(r, "event \"%s\", want \"%s\"", got, want);
	free(got);
	r->ev_first++;
	r->ev_len--;
	return rc;
}

/* b64 - for the secrets that must not show in a transcript. */
static void
b64(char *dst, const unsigned char *s, size_t n)
{
	static const char t[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t	 i, o = 0;

	for (i = 0; i < n; i += 3) {
		unsigned v = (unsigned)s[i] << 16 |
		    (i + 1 < n ? (unsigned)s[i + 1] << 8 : 0) |
		    (i + 2 < n ? s[i + 2] : 0);

		dst[o++] = t[v >> 18];
		dst[o++] = t[(v >> 12) & 63];
		dst[o++] = i + 1 < n ? t[(v >> 6) & 63] : '=';
		dst[o++] = i + 2 < n ? t[v & 63] : '=';
	}
	dst[o] = '\0';
}

/* finish - what every run must end with. */
static int
finish(struct run *r)
{
	struct buf	 a = BUF_INITIALIZER(1 << 16);
	const char	*tr;
	char		 enc[2048];
	unsigned char	 ir[1024];
	size_t		 i, ul, pl;

	if (r->why[0] != '\0')
		return -1;
	if (r->out.len > r->out_pos) {
		show(&a, r->out.data + r->out_pos, r->out.len - r->out_pos);
		fail_at(r, "end: client bytes left unchecked: \"%s\"", a.data);
		buf_free(&a);
		return -1;
	}
	if (r->ev_len > 0)
		return fail_at(r, "end: event left unchecked: \"%s\"",
		    r->events[r->ev_first]);
	if (r->after_closed > 0 || r->closed > 1)
		return fail_at(r, "end: %d events after CLOSED, %d CLOSED",
		    r->after_closed, r->closed);
	for (i = 0; i < r->nmails; i++) {
		if (r->mails[i].done != (r->mails[i].taken ? 1 : 0))
			return fail_at(r, "end: message %d has %d MAIL_DONE",
			    r->mails[i].id, r->mails[i].done);
	}
	if (r->c != NULL && r->password != NULL && r->password[0] != '\0') {
		tr = smtp_client_transcript(r->c);
		ul = strlen(r->user);
		pl = strlen(r->password);
		ir[0] = '\0';
		memcpy(ir + 1, r->user, ul);
		ir[1 + ul] = '\0';
		memcpy(ir + 2 + ul, r->password, pl);
		b64(enc, ir, ul + pl + 2);
		if (strstr(tr, r->password) != NULL || strstr(tr, enc) != NULL)
			return fail_at(r, "end: the password is in the "
			    "transcript");
		b64(enc, (const unsigned char *)r->password, pl);
		if (strstr(tr, enc) != NULL)
			return fail_at(r, "end: the password is in the "
			    "transcript (base64)");
	}
	/* The whole output: CRLF line ends only. */
	for (i = 0; i < r->out.len; i++) {
		if (r->out.data[i] == '\n' && (i == 0 ||
		    r->out.data[i - 1] != '\r'))
			return fail_at(r, "end: bare LF in the output");
		if (r->out.data[i] == '\r' && (i + 1 == r->out.len ||
		    r->out.data[i + 1] != '\n'))
			return fail_at(r, "end: bare CR in the output");
	}
	return 0;
}

static void
run_free(struct run *r)
{
	size_t	 i, k;

	smtp_client_free(r->c);
	buf_free(&r->out);
	buf_free(&r->chunk);
	for (i = 0; i < r->ev_len; i++)
		free(r->events[r->ev_first + i]);
	for (i = 0; i < r->nmails; i++) {
		free(r->mails[i].from);
		free(r->mails[i].body);
		for (k = 0; k < r->mails[i].nrcpts; k++)
			free(r->mails[i].rcpts[k]);
	}
	free(r->helo);
	free(r->user);
	free(r->password);
}

/* run_file - one run of one transcript; 0 if it passed, else why says. */
static int
run_file(const char *path, const char *name, int bytewise, char *why,
    size_t whylen)
{
	struct run	 r;
	FILE		*f;
	char		*line = NULL, *rest;
	size_t		 cap = 0, n;
	ssize_t		 len;
	int		 rc = 0;

	memset(&r, 0, sizeof(r));
	r.file = name;
	r.bytewise = bytewise;
	r.helo = strdup("client.example");
	r.p.helo = r.helo;
	buf_init(&r.out, 1 << 26);
	buf_init(&r.chunk, 1 << 26);
	if ((f = fopen(path, "r")) == NULL) {
		/* The name alone: a long path would only be cut. */
		snprintf(why, whylen, "%.200s: cannot open", name);
		run_free(&r);
		return -1;
	}
	while (rc == 0 && (len = getline(&line, &cap, f)) != -1) {
		r.lineno++;
		while (len > 0 && (line[len - 1] == '\n' ||
		    line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0 || line[0] == '#')
			continue;
		rest = line + 2;
		if (*rest == ' ')
			rest++;
		if (strncmp(line, "S:", 2) == 0 || strncmp(line, "S<", 2) == 0) {
			n = unescape(rest);
			buf_append(&r.chunk, rest, n);
			if (line[1] == ':')
				buf_append(&r.chunk, "\r\n", 2);
			continue;
		}
		if ((rc = flush(&r)) != 0)
			break;
		if (strncmp(line, "C:", 2) == 0 || strncmp(line, "C<", 2) == 0) {
			struct buf	 want = BUF_INITIALIZER(1 << 16);

			n = unescape(rest);
			buf_append(&want, rest, n);
			if (line[1] == ':')
				buf_append(&want, "\r\n", 2);
			rc = check_client_bytes(&r, want.data, want.len);
			buf_free(&want);
		} else if (strncmp(line, "E:", 2) == 0)
			rc = check_event(&r, rest);
		else if (strncmp(line, "@params", 7) == 0) {
			if (r.c != NULL)
				rc = fail_at(&r, "@params after the start");
			else
				rc = do_params(&r, line + 7);
		} else if (strncmp(line, "@mail", 5) == 0)
			rc = do_mail(&r, line + 5);
		else if (strncmp(line, "@check", 6) == 0)
			rc = do_check(&r, line + 6);
		else if (strcmp(line, "@tls-ready") == 0) {
			if ((rc = ensure_client(&r)) == 0) {
				smtp_client_tls_ready(r.c);
				drain(&r);
			}
		} else if (strcmp(line, "@eof") == 0) {
			if ((rc = ensure_client(&r)) == 0) {
				smtp_client_eof(r.c);
				drain(&r);
			}
		} else if (strcmp(line, "@timeout") == 0) {
			if ((rc = ensure_client(&r)) == 0) {
				smtp_client_timeout(r.c);
				drain(&r);
			}
		} else if (strcmp(line, "@quit") == 0) {
			if ((rc = ensure_client(&r)) == 0) {
				smtp_client_quit(r.c);
				drain(&r);
			}
		} else if (strncmp(line, "@abort", 6) == 0) {
			if ((rc = ensure_client(&r)) == 0) {
				rest = line + 6;
				while (*rest == ' ')
					rest++;
				smtp_client_abort(r.c, rest);
				drain(&r);
			}
		} else if (strcmp(line, "@start") == 0) {
			if ((rc = ensure_client(&r)) == 0)
				drain(&r);
		} else if (strcmp(line, "@hold") == 0)
			r.hold = 1;
		else if (strcmp(line, "@release") == 0) {
			r.hold = 0;
			if ((rc = ensure_client(&r)) == 0)
				drain(&r);
		} else if (strncmp(line, "@transcript-has ", 16) == 0) {
			unescape(line + 16);
			if ((rc = ensure_client(&r)) == 0 &&
			    strstr(smtp_client_transcript(r.c), line + 16) ==
			    NULL)
				rc = fail_at(&r, "transcript lacks \"%s\":\n%s",
				    line + 16, smtp_client_transcript(r.c));
		} else if (strncmp(line, "@transcript-lacks ", 18) == 0) {
			unescape(line + 18);
			if ((rc = ensure_client(&r)) == 0 &&
			    strstr(smtp_client_transcript(r.c), line + 18) !=
			    NULL)
				rc = fail_at(&r, "transcript has \"%s\"",
				    line + 18);
		} else
			rc = fail_at(&r, "unknown line \"%s\"", line);
	}
	if (rc == 0)
		rc = flush(&r);
	r.lineno++;
	if (rc == 0)
		rc = finish(&r);
	fclose(f);
	free(line);
	if (rc != 0)
		snprintf(why, whylen, "%s", r.why);
	run_free(&r);
	return rc;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
test_transcripts(void **state)
{
	DIR		*d;
	struct dirent	*e;
	char		*names[MAX_FILES], path[4096], why[1024];
	size_t		 n = 0, i, len, whole = 0, bytes = 0;
	int		 mode, failed = 0;

	(void)state;
	d = opendir(CLARION_PROTO_DIR);
	assert_non_null(d);
	while ((e = readdir(d)) != NULL && n < MAX_FILES) {
		len = strlen(e->d_name);
		if (len > 5 && strcmp(e->d_name + len - 5, ".smtp") == 0)
			names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_names);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", CLARION_PROTO_DIR,
		    names[i]);
		for (mode = 0; mode < 2; mode++) {
			if (run_file(path, names[i], mode, why,
			    sizeof(why)) == 0) {
				if (mode == 0)
					whole++;
				else
					bytes++;
			} else {
				failed++;
				print_error("%s (%s)\n", why,
				    mode ? "byte at a time" : "whole");
			}
		}
		free(names[i]);
	}
	print_message("smtp_proto: %zu transcripts; passed: %zu fed whole, "
	    "%zu fed a byte at a time\n", n, whole, bytes);
	assert_int_equal(failed, 0);
	assert_true(n >= 30);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_transcripts),
	};

	return cmocka_run_group_tests_name("smtp_proto", tests, NULL, NULL);
}
