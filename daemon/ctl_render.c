/* SPDX-License-Identifier: ISC */
/*
 * daemon/ctl_render.c - clarionctl render and lint
 *
 * render writes the exact message a contact would get (signed) on
 * standard output and its envelope on standard error. lint renders the
 * campaign for a sample of its segment and reports what a mail admin must
 * fix before sending: a message Gmail would clip (over 102 KB), a part
 * without the unsubscribe link, a subject over 150 characters, names the
 * templates use that no contact, field or built-in provides, http: links.
 * Both work offline, on the configuration and the store.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "addr/addr.h"
#include "ctl.h"
#include "render/render.h"
#include "store/store.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/str.h"

#define LINT_MAX_BYTES		(102 * 1024)	/* Gmail clips beyond */
#define LINT_MAX_SUBJECT	150		/* characters */
#define LINT_SAMPLE		100		/* contacts rendered */

/* What both commands set up: configuration, campaign, store. */
struct session {
	struct config			*cfg;
	const struct config_campaign	*camp;
	struct render_campaign		*rc;
	struct store			*st;
};

static void
session_close(struct session *s)
{
	render_campaign_free(s->rc);
	store_close(s->st);
	config_free(s->cfg);
}

/* session_open - load all of it; an exit status, 0 when ready. */
static int
session_open(struct session *s, const struct ctl_globals *g,
    const char *campaign)
{
	static const struct store_options sopt = { STORE_READONLY, 0, 0, 0 };
	struct clr_err	 err = { 0, "" };

	memset(s, 0, sizeof(*s));
	if ((s->cfg = ctl_load(g)) == NULL)
		return EXIT_CONFIG;
	if ((s->camp = config_find_campaign(s->cfg, campaign)) == NULL) {
		fprintf(stderr, "clarionctl: no campaign \"%s\" in %s\n",
		    campaign, s->cfg->path);
		return EXIT_USAGE;
	}
	if ((s->rc = render_campaign_new(s->cfg, campaign, 0, &err)) == NULL) {
		fprintf(stderr, "%s\n", err.msg);
		return EXIT_CONFIG;
	}
	if ((s->st = store_open(s->cfg->database, &sopt, &err)) == NULL) {
		fprintf(stderr, "clarionctl: %s\n", err.msg);
		return exit_status(err.code);
	}
	return 0;
}

/* Copy a store row's strings, which are borrowed for the callback. */
struct held_contact {
	struct render_contact	 c;
	struct buf		 text;
};

static int
hold_contact(void *arg, const struct store_contact_row *row)
{
	struct held_contact	*h = arg;
	const char		*v[5] = { row->email, row->first_name,
				    row->last_name, row->locale, row->attrs };
	size_t			 off[5], i;

	buf_reset(&h->text);
	for (i = 0; i < 5; i++) {
		off[i] = v[i] == NULL ? SIZE_MAX : h->text.len;
		if (v[i] != NULL && buf_append(&h->text, v[i],
		    strlen(v[i]) + 1) != 0)
			return 1;
	}
#define HELD(i)	(off[i] == SIZE_MAX ? NULL : h->text.data + off[i])
	h->c.id = row->id;
	h->c.email = HELD(0);
	h->c.first_name = HELD(1);
	h->c.last_name = HELD(2);
	h->c.locale = HELD(3);
	h->c.attrs = HELD(4);
#undef HELD
	return 0;
}

int
ctl_render(const struct ctl_command *cmd, struct ctl_globals *g, int argc,
    char **argv)
{
	static const struct option longopts[] = {
		{ "contact",	required_argument, NULL, 'c' },
		{ "run",	required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 }
	};
	struct held_contact	 h;
	struct render_scratch	 sc;
	struct session		 s;
	struct clr_err		 err = { 0, "" };
	char			 email[ADDR_MAX + 1];
	const char		*contact = NULL, *why, *errstr;
	int64_t			 run = 0;
	int			 c, status;

	CTL_GETOPT_RESET();
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			contact = optarg;
			break;
		case 'r':
			if (str_tonum(optarg, strlen(optarg), 0, INT64_MAX,
			    &run, &errstr) != 0) {
				fprintf(stderr, "clarionctl: --run %s: %s\n",
				    optarg, errstr);
				return EXIT_USAGE;
			}
			break;
		default:
			return ctl_help(cmd, stderr);
		}
	}
	if (optind + 1 != argc || contact == NULL)
		return ctl_help(cmd, stderr);
	if (addr_normalize(contact, strlen(contact), email, &why) != 0) {
		fprintf(stderr, "clarionctl: --contact %s: %s\n", contact, why);
		return EXIT_USAGE;
	}
	if ((status = session_open(&s, g, argv[optind])) != 0) {
		session_close(&s);
		return status;
	}
	memset(&h, 0, sizeof(h));
	buf_init(&h.text, 1 << 20);
	render_scratch_init(&sc);
	if (store_contact_find(s.st, email, hold_contact, &h, &err) != 0) {
		fprintf(stderr, "clarionctl: %s\n", err.msg);
		status = exit_status(err.code);
		goto out;
	}
	if (render_message(s.rc, &h.c, (uint64_t)run, (int64_t)time(NULL),
	    &sc, &err) != 0) {
		fprintf(stderr, "clarionctl: %s: %s\n", email, err.msg);
		status = err.code == CLR_EINVAL ? EXIT_DATAERR : EXIT_SOFTWARE;
		goto out;
	}
	fprintf(stderr, "MAIL FROM:<%s>\nRCPT TO:<%s>\n", sc.envelope_from,
	    h.c.email);
	if (fwrite(sc.msg.data, 1, sc.msg.len, stdout) != sc.msg.len ||
	    fflush(stdout) != 0)
		status = EXIT_IOERR;
out:
	render_scratch_free(&sc);
	buf_free(&h.text);
	session_close(&s);
	return status;
}

/* The lint's findings, printed as they come and counted. */
struct lint {
	const char	*campaign;
	unsigned	 problems;
	struct buf	 keys;		/* attrs keys in the store, NUL-separated */
	uint64_t	 max_bytes;		/* of a rendered message */
	uint64_t	 max_subject;		/* characters */
	unsigned	 no_unsub_text;		/* contacts whose part lacks */
	unsigned	 no_unsub_html;		/* their unsubscribe link */
	unsigned	 rendered, refused;
};

static void
problem(struct lint *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
problem(struct lint *l, const char *fmt, ...)
{
	va_list	 ap;

	printf("%s: ", l->campaign);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	l->problems++;
}

static int
add_key(void *arg, const char *key, uint64_t count)
{
	struct lint	*l = arg;

	(void)count;
	return buf_append(&l->keys, key, strlen(key) + 1) != 0;
}

static int
has_attr(void *arg, const char *key)
{
	const struct lint	*l = arg;
	size_t			 off;

	for (off = 0; off < l->keys.len; off += strlen(l->keys.data + off) + 1)
		if (strcmp(l->keys.data + off, key) == 0)
			return 1;
	return 0;
}

static void
unknown_name(void *arg, const struct render_unknown *u)
{
	problem(arg, "%s:%u:%u: no contact, field or built-in provides "
	    "\"%s\"", u->file, u->line, u->col, u->name);
}

/* http_links - report each http: (not https:) link in the sources. */
static void
http_links(struct lint *l, const struct render_campaign *rc)
{
	const char	*file, *text, *p;
	size_t		 i, len;
	unsigned	 line;

	for (i = 0; i < render_nfiles(rc); i++) {
		file = render_file(rc, i, &text, &len);
		line = 1;
		for (p = text; p < text + len; p++) {
			if (*p == '\n')
				line++;
			if ((size_t)(text + len - p) >= 7 &&
			    strncasecmp(p, "http://", 7) == 0)
				problem(l, "%s:%u: an http: link (use https: "
				    "so it cannot be altered on the way)", file,
				    line);
		}
	}
}

struct sample {
	struct lint		*l;
	struct session		*s;
	struct render_scratch	*sc;
};

static size_t
chars(const char *s, size_t n)
{
	size_t	 i, c = 0;

	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			c++;
	return c;
}

/* render_one - render a sample contact and measure what lint checks. */
static int
render_one(void *arg, const struct store_contact_row *row)
{
	struct sample		*sm = arg;
	struct lint		*l = sm->l;
	struct render_scratch	*sc = sm->sc;
	struct render_contact	 c = { row->id, row->email, row->first_name,
				    row->last_name, row->locale, row->attrs };
	struct clr_err		 err = { 0, "" };
	size_t			 n;

	if (render_message(sm->s->rc, &c, 0, (int64_t)time(NULL), sc,
	    &err) != 0) {
		l->refused++;
		problem(l, "contact %s cannot be rendered: %s", row->email,
		    err.msg);
		return 0;
	}
	l->rendered++;
	if (sc->msg.len > l->max_bytes)
		l->max_bytes = sc->msg.len;
	n = chars(sc->subject.data, sc->subject.len);
	if (n > l->max_subject)
		l->max_subject = n;
	/* The link is the contact's own; each part must show it. */
	if (strstr(sc->text.data != NULL ? sc->text.data : "",
	    sc->unsubscribe_url) == NULL)
		l->no_unsub_text++;
	if (sc->has_html && strstr(sc->html.data != NULL ? sc->html.data : "",
	    sc->unsubscribe_url) == NULL)
		l->no_unsub_html++;
	return 0;
}

int
ctl_lint(const struct ctl_command *cmd, struct ctl_globals *g, int argc,
    char **argv)
{
	static const struct option longopts[] = {
		{ "sample",	required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 }
	};
	const struct config_segment	*seg;
	struct store_segment_def	 def;
	struct render_scratch		 sc;
	struct session			 s;
	struct sample			 sm;
	struct lint			 l;
	struct clr_err			 err = { 0, "" };
	const char			*errstr;
	int64_t				 sample = LINT_SAMPLE;
	int				 c, status;

	CTL_GETOPT_RESET();
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c != 's')
			return ctl_help(cmd, stderr);
		if (str_tonum(optarg, strlen(optarg), 1, 100000, &sample,
		    &errstr) != 0) {
			fprintf(stderr, "clarionctl: --sample %s: %s (1 to "
			    "100000)\n", optarg, errstr);
			return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc)
		return ctl_help(cmd, stderr);
	memset(&l, 0, sizeof(l));
	l.campaign = argv[optind];
	if ((status = session_open(&s, g, argv[optind])) != 0) {
		/* What cannot be loaded is the first thing to fix. */
		session_close(&s);
		return status == EXIT_CONFIG ? 1 : status;
	}
	buf_init(&l.keys, 1 << 20);
	render_scratch_init(&sc);
	if (store_attr_keys(s.st, add_key, &l, &err) != 0) {
		fprintf(stderr, "clarionctl: %s\n", err.msg);
		status = exit_status(err.code);
		goto out;
	}
	render_unknown_names(s.rc, has_attr, &l, unknown_name, &l);
	http_links(&l, s.rc);

	seg = config_find_segment(s.cfg, s.camp->segment);
	segment_def(seg, &def);
	sm.l = &l;
	sm.s = &s;
	sm.sc = &sc;
	if (store_segment_preview(s.st, &def, (uint64_t)sample, render_one,
	    &sm, &err) != 0) {
		fprintf(stderr, "clarionctl: %s\n", err.msg);
		status = exit_status(err.code);
		goto out;
	}
	if (l.rendered == 0 && l.refused == 0)
		problem(&l, "segment \"%s\" selects no contact: nothing could "
		    "be rendered and measured", seg->name);
	if (l.max_bytes > LINT_MAX_BYTES)
		problem(&l, "a message is %" PRIu64 " bytes: Gmail clips "
		    "messages over %d KB", l.max_bytes, LINT_MAX_BYTES / 1024);
	if (l.max_subject > LINT_MAX_SUBJECT)
		problem(&l, "a subject is %" PRIu64 " characters: keep it "
		    "under %d", l.max_subject, LINT_MAX_SUBJECT);
	if (l.no_unsub_text > 0)
		problem(&l, "the text part has no unsubscribe link "
		    "({{unsubscribe_url}}) for %u of %u contacts",
		    l.no_unsub_text, l.rendered);
	if (l.no_unsub_html > 0)
		problem(&l, "the html part has no unsubscribe link "
		    "({{unsubscribe_url}}) for %u of %u contacts",
		    l.no_unsub_html, l.rendered);
	printf("%s: %u problem%s (%u contacts rendered, largest message %"
	    PRIu64 " bytes, longest subject %" PRIu64 " characters)\n",
	    l.campaign, l.problems, l.problems == 1 ? "" : "s", l.rendered,
	    l.max_bytes, l.max_subject);
	status = l.problems > 0 ? 1 : 0;
out:
	render_scratch_free(&sc);
	buf_free(&l.keys);
	session_close(&s);
	return status;
}
