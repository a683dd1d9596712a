/* SPDX-License-Identifier: ISC */
/*
 * render/render.c - one campaign's messages, contact by contact
 *
 * A campaign is built once (render_campaign_new): every variant of its
 * template set is read and compiled with the partials it includes, the
 * token key and DKIM keys are loaded and the signers made. Rendering a
 * contact then only fills buffers: it exposes the contact, its attrs (one
 * JSON parse), the campaign's fields, the sender and the contact's own
 * unsubscribe link to the templates, builds the tokens, the MIME message
 * and its signatures. Nothing in a built campaign changes afterwards, so
 * threads render with it at once, each with its own render_scratch.
 *
 * The template data is a small tree of nodes: a few built-in objects
 * (the root, campaign, sender) and strings, plus wrappers around the
 * contact's parsed attrs, taken from a per-scratch arena that is reset
 * for every message, so a warm scratch allocates nothing for them.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr/addr.h"
#include "config/config.h"
#include "dkim/dkim.h"
#include "message/message.h"
#include "render.h"
#include "template/template.h"
#include "token/token.h"
#include "util/alloc.h"
#include "util/json.h"

#define RENDER_FILE_MAX		(1024 * 1024)	/* bytes of a template */
#define RENDER_VARIANTS_MAX	64		/* locales of one part */
#define RENDER_OUT_MAX		(16 * 1024 * 1024)	/* bytes of a part */

enum part {
	PART_SUBJECT,
	PART_TEXT,
	PART_HTML,
	PART_LAST
};

static const struct {
	const char	*file;		/* file name stem */
	enum tpl_escape	 escape;
} parts[PART_LAST] = {
	[PART_SUBJECT] = { "subject", TPL_ESCAPE_NONE },
	[PART_TEXT] = { "text", TPL_ESCAPE_NONE },
	[PART_HTML] = { "html", TPL_ESCAPE_HTML },
};

/* One compiled file of a part: a locale ("" for the default) and it. */
struct variant {
	char		 locale[16];
	struct tpl	*tpl;
};

/* A template source read from disk, kept for lint (render_file). */
struct source {
	char		*path;
	char		*text;
	size_t		 len;
};

/* Node kinds of the template data; see data_*(). */
enum node_kind {
	NODE_ROOT,		/* first_name, attrs, campaign, ... */
	NODE_CAMPAIGN,		/* name and the campaign's fields */
	NODE_SENDER,		/* name, address */
	NODE_STRING,		/* s[0..n) */
	NODE_JSON		/* j: a value of the contact's attrs */
};

struct node {
	enum node_kind			 kind;
	const char			*s;
	size_t				 n;
	const struct json_value		*j;
};

struct render_campaign {
	const struct config_campaign	*camp;	/* borrowed from cfg */
	const struct config_sender	*sender;
	char				*unsub_base;
	char				*mailto_local;	/* "local+u-", or NULL */
	char				*at_mailto;	/* "@domain" of the mailto */
	char				*at_bounce;	/* "@bounce_domain" */
	char				*at_msgid;	/* "@sender's domain" */
	char				*list_id;
	char				*feedback_id;	/* or NULL */
	struct variant			*variants[PART_LAST];
	size_t				 nvariants[PART_LAST];
	struct source			*sources;
	size_t				 nsources;
	struct token_key		*tokens;
	struct dkim_key			**keys;
	struct dkim_signer		**signers;
	size_t				 nsigners;
	/* Nodes that are the same for every contact. */
	struct node			 campaign_node, sender_node;
	struct node			*fields;	/* campaign.NAME strings */
	struct node			 camp_name, sender_name, sender_addr;
};

/*
 * The per-message state of the template data: the contact's strings
 * and the attrs wrappers, allocated from chunks kept in the scratch.
 */
#define NODE_CHUNK	64

struct render__node_chunk {
	struct render__node_chunk	*next;
	size_t			 used;
	struct node		 nodes[NODE_CHUNK];
};

struct data_ctx {
	const struct render_campaign	*rc;
	struct render_scratch		*sc;
	struct node			 root, first, last, name, email, locale;
	struct node			 unsub, attrs;
	struct json_value		*attrs_json;
	struct render__node_chunk	*chunk;	/* the current one */
	int				 oom;	/* a wrapper could not be had */
};

/* read_file - a whole (small) text file; NULL with err set. */
static char *
read_file(const char *path, size_t *len, struct clr_err *err)
{
	struct buf	 b = BUF_INITIALIZER(RENDER_FILE_MAX);
	char		 chunk[8192];
	ssize_t		 n;
	int		 fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		clr_err_set(err, errno == ENOENT ? CLR_ENOENT : CLR_EIO,
		    "%s: %s", path, strerror(errno));
		return NULL;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
		if ((rc = buf_append(&b, chunk, (size_t)n)) != 0) {
			clr_err_set(err, rc, "%s: %s", path, rc == CLR_ETOOBIG ?
			    "larger than 1 MiB" : "out of memory");
			close(fd);
			buf_free(&b);
			return NULL;
		}
	}
	if (n < 0) {
		clr_err_set(err, CLR_EIO, "%s: %s", path, strerror(errno));
		close(fd);
		buf_free(&b);
		return NULL;
	}
	close(fd);
	*len = b.len;
	if (b.data == NULL && buf_reserve(&b, 0) != 0) {
		clr_err_set(err, CLR_ENOMEM, "out of memory");
		return NULL;
	}
	return buf_steal(&b);
}

/*
 * keep_source - the file at path, read once and kept for lint. The entry
 * may move as more are kept; its path and text strings do not.
 */
static const struct source *
keep_source(struct render_campaign *rc, const char *path, struct clr_err *err)
{
	struct source	*v;
	size_t		 i;

	for (i = 0; i < rc->nsources; i++)
		if (strcmp(rc->sources[i].path, path) == 0)
			return &rc->sources[i];
	v = clr_reallocarray(rc->sources, rc->nsources + 1, sizeof(*v));
	if (v == NULL) {
		clr_err_set(err, CLR_ENOMEM, "out of memory");
		return NULL;
	}
	rc->sources = v;
	v = &rc->sources[rc->nsources];
	if ((v->path = clr_strdup(path)) == NULL) {
		clr_err_set(err, CLR_ENOMEM, "out of memory");
		return NULL;
	}
	if ((v->text = read_file(path, &v->len, err)) == NULL) {
		clr_free(v->path);
		return NULL;
	}
	rc->nsources++;
	return v;
}

/* A partial's name: letters, digits, '-' and '_' (no paths). */
static int
partial_name_ok(const char *s, size_t n)
{
	size_t	 i;

	if (n == 0 || n > 64)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
		    s[i] == '_'))
			return 0;
	return 1;
}

/* What the partial loader needs while one file compiles. */
struct loader_ctx {
	struct render_campaign	*rc;
	const char		*dir;		/* the partials folder */
	const char		*locale;	/* of the file compiling */
	char			 missing[80];	/* first partial not found */
	struct clr_err		 err;		/* first read error */
};

/*
 * try_partial - DIR/NAME[.LOCALE].mustache, if it exists. Returns 1 and
 * the text when found, 0 when not, -1 on a read error.
 */
static int
try_partial(struct loader_ctx *lc, const char *name, size_t n,
    const char *locale, size_t llen, const char **src, size_t *len,
    const char **file)
{
	const struct source	*s;
	char			 path[PATH_MAX];
	struct stat		 sb;
	int			 w;

	if (llen > 0)
		w = snprintf(path, sizeof(path), "%s/%.*s.%.*s.mustache",
		    lc->dir, (int)n, name, (int)llen, locale);
	else
		w = snprintf(path, sizeof(path), "%s/%.*s.mustache", lc->dir,
		    (int)n, name);
	if (w < 0 || (size_t)w >= sizeof(path) || stat(path, &sb) != 0)
		return 0;
	if ((s = keep_source(lc->rc, path, &lc->err)) == NULL)
		return -1;
	*src = s->text;
	*len = s->len;
	*file = s->path;
	return 1;
}

/* locale_parent - the length of "nl" in "nl-BE"; 0 if none. */
static size_t
locale_parent(const char *locale, size_t len)
{
	while (len > 0 && locale[len - 1] != '-')
		len--;
	return len > 0 ? len - 1 : 0;
}

static int
load_partial(void *ud, const char *name, size_t n, const char **src,
    size_t *len, const char **file)
{
	struct loader_ctx	*lc = ud;
	size_t			 llen = strlen(lc->locale);
	int			 rc;

	if (!partial_name_ok(name, n)) {
		if (lc->missing[0] == '\0')
			snprintf(lc->missing, sizeof(lc->missing), "%.*s",
			    (int)(n > 64 ? 64 : n), name);
		return -1;
	}
	/* The file's own locale, then its language, then the default. */
	for (;;) {
		rc = try_partial(lc, name, n, lc->locale, llen, src, len,
		    file);
		if (rc != 0)
			return rc == 1 ? 0 : -1;
		if (llen == 0)
			break;
		llen = locale_parent(lc->locale, llen);
	}
	if (lc->missing[0] == '\0')
		snprintf(lc->missing, sizeof(lc->missing), "%.*s", (int)n,
		    name);
	return -1;
}

/*
 * compile_file - compile one template file (part, locale) of the set,
 * with the partials it includes. Returns the template or NULL with err.
 */
static struct tpl *
compile_file(struct render_campaign *rc, const struct config *cfg,
    const char *path, enum part part, const char *locale,
    struct clr_err *err)
{
	struct loader_ctx	 lc;
	struct tpl_loader	 loader = { &lc, load_partial };
	const struct source	*src;
	char			 dir[PATH_MAX];
	struct tpl		*t;

	memset(&lc, 0, sizeof(lc));
	snprintf(dir, sizeof(dir), "%s/partials", cfg->templates);
	lc.rc = rc;
	lc.dir = dir;
	lc.locale = locale;
	if ((src = keep_source(rc, path, err)) == NULL)
		return NULL;
	path = src->path;
	t = tpl_compile(path, src->text, src->len, parts[part].escape, &loader,
	    err);
	if (lc.err.code != 0) {
		*err = lc.err;		/* a partial could not be read */
		tpl_free(t);
		return NULL;
	}
	if (t != NULL && lc.missing[0] != '\0') {
		clr_err_set(err, CLR_ENOENT, "%s: partial \"%s\" not found in "
		    "%s", path, lc.missing, dir);
		tpl_free(t);
		return NULL;
	}
	return t;
}

/*
 * variant_locale - if name is "PART[.LOCALE].mustache" for part, copy
 * LOCALE (or "") to out and return 1.
 */
static int
variant_locale(const char *name, enum part part, char out[16])
{
	size_t		 stem = strlen(parts[part].file), n = strlen(name);
	const char	*ext = ".mustache";
	size_t		 elen = strlen(ext), llen, i;

	if (n < stem + elen || strncmp(name, parts[part].file, stem) != 0 ||
	    strcmp(name + n - elen, ext) != 0)
		return 0;
	if (n == stem + elen) {
		out[0] = '\0';
		return 1;
	}
	if (name[stem] != '.')
		return 0;
	llen = n - stem - 1 - elen;
	if (llen == 0 || llen >= 16)
		return 0;
	for (i = 0; i < llen; i++) {
		char	 c = name[stem + 1 + i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-'))
			return 0;
	}
	memcpy(out, name + stem + 1, llen);
	out[llen] = '\0';
	return 1;
}

static int
add_variant(struct render_campaign *rc, enum part part, const char *locale,
    struct tpl *t, struct clr_err *err)
{
	struct variant	*v;

	if (rc->nvariants[part] == RENDER_VARIANTS_MAX) {
		tpl_free(t);
		return clr_err_set(err, CLR_ETOOBIG, "more than %d locale "
		    "variants of %s", RENDER_VARIANTS_MAX, parts[part].file);
	}
	v = clr_reallocarray(rc->variants[part], rc->nvariants[part] + 1,
	    sizeof(*v));
	if (v == NULL) {
		tpl_free(t);
		return clr_err_set(err, CLR_ENOMEM, "out of memory");
	}
	rc->variants[part] = v;
	v = &v[rc->nvariants[part]++];
	snprintf(v->locale, sizeof(v->locale), "%s", locale);
	v->tpl = t;
	return 0;
}

/* The locales a set speaks: "" and every LOCALE of its files. */
struct locales {
	char	 v[RENDER_VARIANTS_MAX][16];
	size_t	 n;
};

static int
add_locale(struct locales *l, const char *locale, struct clr_err *err)
{
	size_t	 i;

	for (i = 0; i < l->n; i++)
		if (strcasecmp(l->v[i], locale) == 0)
			return 0;
	if (l->n == RENDER_VARIANTS_MAX)
		return clr_err_set(err, CLR_ETOOBIG, "more than %d locales in "
		    "a template set and its partials", RENDER_VARIANTS_MAX);
	snprintf(l->v[l->n++], sizeof(l->v[0]), "%s", locale);
	return 0;
}

/*
 * scan_locales - add the LOCALE of every NAME.LOCALE.mustache in dir
 * (for the set: only the part files). A missing folder adds nothing.
 */
static int
scan_locales(const char *dir, int set, struct locales *l,
    struct clr_err *err)
{
	struct dirent	*e;
	DIR		*d;
	char		 locale[16];
	const char	*dot, *ext;
	size_t		 len;
	int		 p, rc = 0;

	if ((d = opendir(dir)) == NULL)
		return 0;
	while (rc == 0 && (e = readdir(d)) != NULL) {
		if (set) {
			for (p = 0; p < PART_LAST; p++)
				if (variant_locale(e->d_name, (enum part)p,
				    locale) && locale[0] != '\0')
					rc = add_locale(l, locale, err);
			continue;
		}
		/* partials: NAME.LOCALE.mustache */
		len = strlen(e->d_name);
		ext = len > 9 ? e->d_name + len - 9 : NULL;
		if (ext == NULL || strcmp(ext, ".mustache") != 0 ||
		    (dot = memchr(e->d_name, '.', (size_t)(ext - e->d_name))) ==
		    NULL || (size_t)(ext - dot - 1) >= sizeof(locale) ||
		    ext == dot + 1)
			continue;
		snprintf(locale, sizeof(locale), "%.*s", (int)(ext - dot - 1),
		    dot + 1);
		rc = add_locale(l, locale, err);
	}
	closedir(d);
	return rc;
}

/*
 * best_file - the file of a part for a locale: PART.LOCALE, else the
 * language's, else the default. 1 and its path if there is one.
 */
static int
best_file(const char *dir, enum part part, const char *locale,
    char *path, size_t size)
{
	struct stat	 sb;
	size_t		 llen = strlen(locale);
	int		 w;

	for (;;) {
		if (llen > 0)
			w = snprintf(path, size, "%s/%s.%.*s.mustache", dir,
			    parts[part].file, (int)llen, locale);
		else
			w = snprintf(path, size, "%s/%s.mustache", dir,
			    parts[part].file);
		if (w > 0 && (size_t)w < size && stat(path, &sb) == 0)
			return 1;
		if (llen == 0)
			return 0;
		llen = locale_parent(locale, llen);
	}
}

/*
 * load_set - compile the campaign's template set once per locale it or
 * its partials know: for each, the closest file of every part, with the
 * closest partials. A contact then gets the nearest variant of each
 * piece: a Dutch footer under a default body, say.
 */
static int
load_set(struct render_campaign *rc, const struct config *cfg,
    struct clr_err *err)
{
	struct locales	 l;
	char		 dir[PATH_MAX], partials[PATH_MAX];
	char		 path[PATH_MAX + 64];
	struct stat	 sb;
	struct tpl	*t;
	size_t		 i;
	int		 p, rc_;

	snprintf(dir, sizeof(dir), "%s/%s", cfg->templates,
	    rc->camp->template);
	snprintf(partials, sizeof(partials), "%s/partials", cfg->templates);
	if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
		return clr_err_set(err, CLR_ENOENT, "%s:%u:%u: template set "
		    "\"%s\": %s is not a folder", cfg->path,
		    rc->camp->template_mark.line, rc->camp->template_mark.col,
		    rc->camp->template, dir);
	for (p = PART_SUBJECT; p <= PART_TEXT; p++) {
		if (p == PART_SUBJECT && rc->camp->subject != NULL)
			continue;
		if (!best_file(dir, (enum part)p, "", path, sizeof(path)))
			return clr_err_set(err, CLR_ENOENT, "%s/%s.mustache: "
			    "no such file (every template set needs its "
			    "default %s)", dir, parts[p].file, parts[p].file);
	}
	memset(&l, 0, sizeof(l));
	if ((rc_ = add_locale(&l, "", err)) != 0 ||
	    (rc_ = scan_locales(dir, 1, &l, err)) != 0 ||
	    (rc_ = scan_locales(partials, 0, &l, err)) != 0)
		return rc_;
	for (p = 0; p < PART_LAST; p++) {
		/* A campaign's own subject replaces the set's. */
		if (p == PART_SUBJECT && rc->camp->subject != NULL)
			continue;
		for (i = 0; i < l.n; i++) {
			if (!best_file(dir, (enum part)p, l.v[i], path,
			    sizeof(path)))
				continue;	/* no html part at all */
			if ((t = compile_file(rc, cfg, path, (enum part)p,
			    l.v[i], err)) == NULL)
				return err->code != 0 ? err->code : CLR_EINVAL;
			if ((rc_ = add_variant(rc, (enum part)p, l.v[i], t,
			    err)) != 0)
				return rc_;
		}
	}
	return 0;
}

/* load_subject - the campaign's own subject, from the configuration. */
static int
load_subject(struct render_campaign *rc, const struct config *cfg,
    struct clr_err *err)
{
	struct clr_err	 terr = { 0, "" };
	struct tpl	*t;

	t = tpl_compile("subject", rc->camp->subject,
	    strlen(rc->camp->subject), TPL_ESCAPE_NONE, NULL, &terr);
	if (t == NULL)
		return clr_err_set(err, terr.code, "%s:%u:%u: subject of "
		    "campaign \"%s\": %s", cfg->path, rc->camp->subject_mark.line,
		    rc->camp->subject_mark.col, rc->camp->name, terr.msg);
	return add_variant(rc, PART_SUBJECT, "", t, err);
}

/* load_keys - the token key and a signer per DKIM signature. */
static int
load_keys(struct render_campaign *rc, const struct config *cfg,
    unsigned flags, struct clr_err *err)
{
	static const char *const signed_headers[] = {
		"from", "from", "to", "subject", "date", "message-id",
		"mime-version", "content-type", "list-id", "list-unsubscribe",
		"list-unsubscribe-post"
	};
	struct dkim_params	 p;
	struct clr_err		 kerr = { 0, "" };
	size_t			 i;

	if ((rc->tokens = token_key_load(cfg->mail.token_key, &kerr)) ==
	    NULL)
		return clr_err_set(err, kerr.code, "%s:%u:%u: token_key: %s",
		    cfg->path, cfg->mail.token_key_mark.line,
		    cfg->mail.token_key_mark.col, kerr.msg);
	if (flags & RENDER_NO_DKIM)
		return 0;
	rc->keys = clr_calloc(cfg->ndkim + 1, sizeof(*rc->keys));
	rc->signers = clr_calloc(cfg->ndkim + 1, sizeof(*rc->signers));
	if (rc->keys == NULL || rc->signers == NULL)
		return clr_err_set(err, CLR_ENOMEM, "out of memory");
	for (i = 0; i < cfg->ndkim; i++) {
		const struct config_dkim	*d = &cfg->dkim[i];

		rc->keys[i] = dkim_key_load(d->key, (flags &
		    RENDER_ALLOW_SHORT_RSA) ? DKIM_KEY_ALLOW_SHORT_RSA : 0,
		    &kerr);
		if (rc->keys[i] == NULL)
			return clr_err_set(err, kerr.code, "%s:%u:%u: DKIM key: "
			    "%s", cfg->path, d->key_mark.line, d->key_mark.col,
			    kerr.msg);
		if (d->algorithm != NULL && strcmp(d->algorithm,
		    dkim_key_algorithm(rc->keys[i])) != 0)
			return clr_err_set(err, CLR_EINVAL, "%s:%u:%u: DKIM key: "
			    "%s is an %s key, but the signature says %s",
			    cfg->path, d->key_mark.line, d->key_mark.col, d->key,
			    dkim_key_algorithm(rc->keys[i]), d->algorithm);
		p.domain = d->domain;
		p.selector = d->selector;
		p.identity = d->identity;
		p.headers = signed_headers;
		p.nheaders = sizeof(signed_headers) / sizeof(signed_headers[0]);
		rc->signers[i] = dkim_signer_new(rc->keys[i], &p, &kerr);
		if (rc->signers[i] == NULL)
			return clr_err_set(err, kerr.code, "%s:%u:%u: DKIM "
			    "signature %zu: %s", cfg->path, d->mark.line,
			    d->mark.col, i + 1, kerr.msg);
		rc->nsigners++;
	}
	return 0;
}

static struct node
string_node(const char *s)
{
	struct node	 n;

	n.kind = NODE_STRING;
	n.s = s;
	n.n = s != NULL ? strlen(s) : 0;
	n.j = NULL;
	return n;
}

struct render_campaign *
render_campaign_new(const struct config *cfg, const char *name,
    unsigned flags, struct clr_err *err)
{
	struct render_campaign	*rc;
	struct buf		 b = BUF_INITIALIZER(4096);
	const char		*at;
	size_t			 i;

	if ((rc = clr_calloc(1, sizeof(*rc))) == NULL) {
		clr_err_set(err, CLR_ENOMEM, "out of memory");
		return NULL;
	}
	if ((rc->camp = config_find_campaign(cfg, name)) == NULL) {
		clr_err_set(err, CLR_ENOENT, "%s: no campaign \"%s\"",
		    cfg->path, name);
		goto fail;
	}
	if (!cfg->has_mail || cfg->templates == NULL ||
	    (rc->sender = config_find_sender(cfg, rc->camp->sender)) == NULL) {
		clr_err_set(err, CLR_EINVAL, "%s: campaign \"%s\" needs mail, "
		    "templates and a sender", cfg->path, name);
		goto fail;
	}
	if (buf_printf(&b, "@%s", addr_domain(rc->sender->address)) != 0 ||
	    (rc->at_msgid = buf_steal(&b)) == NULL ||
	    buf_printf(&b, "@%s", cfg->mail.bounce_domain) != 0 ||
	    (rc->at_bounce = buf_steal(&b)) == NULL ||
	    (rc->unsub_base = clr_strdup(cfg->mail.unsubscribe_url)) == NULL ||
	    buf_printf(&b, "%s.%s", rc->camp->list,
	    cfg->mail.list_id_domain) != 0 ||
	    (rc->list_id = buf_steal(&b)) == NULL)
		goto nomem;
	if (cfg->mail.feedback_id != NULL) {
		if (buf_printf(&b, "%s:%s:%s:%s", rc->camp->name,
		    rc->camp->theme, rc->camp->list, cfg->mail.feedback_id) != 0 ||
		    (rc->feedback_id = buf_steal(&b)) == NULL)
			goto nomem;
	}
	if (cfg->mail.unsubscribe_mailto != NULL) {
		at = strrchr(cfg->mail.unsubscribe_mailto, '@');
		if (buf_printf(&b, "%.*s+u-", (int)(at -
		    cfg->mail.unsubscribe_mailto),
		    cfg->mail.unsubscribe_mailto) != 0 ||
		    (rc->mailto_local = buf_steal(&b)) == NULL ||
		    (rc->at_mailto = clr_strdup(at)) == NULL)
			goto nomem;
	}
	/* What every contact shares: campaign and sender objects. */
	rc->campaign_node.kind = NODE_CAMPAIGN;
	rc->sender_node.kind = NODE_SENDER;
	rc->camp_name = string_node(rc->camp->name);
	rc->sender_name = string_node(rc->sender->display_name);
	rc->sender_addr = string_node(rc->sender->address);
	if ((rc->fields = clr_calloc(rc->camp->nfields + 1,
	    sizeof(*rc->fields))) == NULL)
		goto nomem;
	for (i = 0; i < rc->camp->nfields; i++)
		rc->fields[i] = string_node(rc->camp->fields[i].value);

	if (rc->camp->subject != NULL && load_subject(rc, cfg, err) != 0)
		goto fail;
	if (load_set(rc, cfg, err) != 0 || load_keys(rc, cfg, flags, err) != 0)
		goto fail;
	buf_free(&b);
	return rc;
nomem:
	clr_err_set(err, CLR_ENOMEM, "out of memory");
fail:
	buf_free(&b);
	render_campaign_free(rc);
	return NULL;
}

void
render_campaign_free(struct render_campaign *rc)
{
	size_t	 i;
	int	 p;

	if (rc == NULL)
		return;
	for (p = 0; p < PART_LAST; p++) {
		for (i = 0; i < rc->nvariants[p]; i++)
			tpl_free(rc->variants[p][i].tpl);
		clr_free(rc->variants[p]);
	}
	for (i = 0; i < rc->nsources; i++) {
		clr_free(rc->sources[i].path);
		clr_free(rc->sources[i].text);
	}
	clr_free(rc->sources);
	for (i = 0; i < rc->nsigners; i++)
		dkim_signer_free(rc->signers[i]);
	for (i = 0; rc->keys != NULL && rc->keys[i] != NULL; i++)
		dkim_key_free(rc->keys[i]);
	clr_free(rc->signers);
	clr_free(rc->keys);
	token_key_free(rc->tokens);
	clr_free(rc->fields);
	clr_free(rc->at_bounce);
	clr_free(rc->at_msgid);
	clr_free(rc->unsub_base);
	clr_free(rc->mailto_local);
	clr_free(rc->at_mailto);
	clr_free(rc->list_id);
	clr_free(rc->feedback_id);
	clr_free(rc);
}

void
render_scratch_init(struct render_scratch *sc)
{
	memset(sc, 0, sizeof(*sc));
	buf_init(&sc->subject, MSG_SUBJECT_MAX * 2);
	buf_init(&sc->text, RENDER_OUT_MAX);
	buf_init(&sc->html, RENDER_OUT_MAX);
	buf_init(&sc->unsigned_msg, RENDER_OUT_MAX * 2);
	buf_init(&sc->msg, RENDER_OUT_MAX * 2 + 64 * 1024);
	buf_init(&sc->name, 2 * 1024);
}

void
render_scratch_free(struct render_scratch *sc)
{
	struct render__node_chunk	*c, *next;

	buf_free(&sc->subject);
	buf_free(&sc->text);
	buf_free(&sc->html);
	buf_free(&sc->unsigned_msg);
	buf_free(&sc->msg);
	buf_free(&sc->name);
	for (c = sc->nodes; c != NULL; c = next) {
		next = c->next;
		clr_free(c);
	}
	sc->nodes = NULL;
}

/*
 * The template data callbacks. A node handle is a struct node; the ones
 * made for attrs values come from the scratch's chunks.
 */
static struct node *
new_node(struct data_ctx *d)
{
	struct render__node_chunk	*c = d->chunk;

	if (c == NULL || c->used == NODE_CHUNK) {
		if (c != NULL && c->next != NULL)
			c = c->next;
		else {
			struct render__node_chunk	*nc = clr_calloc(1, sizeof(*nc));

			if (nc == NULL)
				return NULL;
			if (c == NULL)
				d->sc->nodes = nc;
			else
				c->next = nc;
			c = nc;
		}
		c->used = 0;
		d->chunk = c;
	}
	return &c->nodes[c->used++];
}

static tpl_node
json_node(struct data_ctx *d, const struct json_value *j)
{
	struct node	*n;

	/* An absent value is NULL to the template: empty and falsy. */
	if (j == NULL)
		return NULL;
	if ((n = new_node(d)) == NULL) {
		d->oom = 1;	/* the message fails: see render_message */
		return NULL;
	}
	n->kind = NODE_JSON;
	n->j = j;
	n->s = NULL;
	n->n = 0;
	return n;
}

static enum tpl_kind
data_kind(void *ud, tpl_node h)
{
	const struct node	*n = h;

	(void)ud;
	switch (n->kind) {
	case NODE_ROOT:
	case NODE_CAMPAIGN:
	case NODE_SENDER:
		return TPL_OBJECT;
	case NODE_STRING:
		return n->s == NULL ? TPL_NULL : TPL_STRING;
	case NODE_JSON:
		break;
	}
	switch (n->j->type) {
	case JSON_NULL:
		return TPL_NULL;
	case JSON_FALSE:
		return TPL_FALSE;
	case JSON_TRUE:
		return TPL_TRUE;
	case JSON_NUMBER:
		return TPL_NUMBER;
	case JSON_STRING:
		return TPL_STRING;
	case JSON_ARRAY:
		return TPL_LIST;
	case JSON_OBJECT:
		break;
	}
	return TPL_OBJECT;
}

static int
name_is(const char *name, size_t len, const char *lit)
{
	return strlen(lit) == len && memcmp(name, lit, len) == 0;
}

static tpl_node
data_get(void *ud, tpl_node h, const char *name, size_t len)
{
	struct data_ctx			*d = ud;
	const struct render_campaign	*rc = d->rc;
	const struct node		*n = h;
	size_t				 i;

	switch (n->kind) {
	case NODE_ROOT:
		if (name_is(name, len, "first_name"))
			return &d->first;
		if (name_is(name, len, "last_name"))
			return &d->last;
		if (name_is(name, len, "name"))
			return &d->name;
		if (name_is(name, len, "email"))
			return &d->email;
		if (name_is(name, len, "locale"))
			return &d->locale;
		if (name_is(name, len, "unsubscribe_url"))
			return &d->unsub;
		if (name_is(name, len, "attrs"))
			return &d->attrs;
		if (name_is(name, len, "campaign"))
			return &rc->campaign_node;
		if (name_is(name, len, "sender"))
			return &rc->sender_node;
		return NULL;
	case NODE_CAMPAIGN:
		if (name_is(name, len, "name"))
			return &rc->camp_name;
		for (i = 0; i < rc->camp->nfields; i++)
			if (name_is(name, len, rc->camp->fields[i].name))
				return &rc->fields[i];
		return NULL;
	case NODE_SENDER:
		if (name_is(name, len, "name"))
			return &rc->sender_name;
		if (name_is(name, len, "address"))
			return &rc->sender_addr;
		return NULL;
	case NODE_STRING:
		return NULL;
	case NODE_JSON:
		break;
	}
	return json_node(d, json_getn(n->j, name, len));
}

static size_t
data_count(void *ud, tpl_node h)
{
	const struct node	*n = h;

	(void)ud;
	return n->kind == NODE_JSON ? json_len(n->j) : 0;
}

static tpl_node
data_item(void *ud, tpl_node h, size_t i)
{
	const struct node	*n = h;

	return n->kind == NODE_JSON ? json_node(ud, json_item(n->j, i)) : NULL;
}

static void
data_text(void *ud, tpl_node h, const char **s, size_t *len)
{
	const struct node	*n = h;

	(void)ud;
	*s = "";
	*len = 0;
	if (n->kind == NODE_STRING && n->s != NULL) {
		*s = n->s;
		*len = n->n;
	} else if (n->kind == NODE_JSON) {
		switch (n->j->type) {
		case JSON_NUMBER:
		case JSON_STRING:
			*s = n->j->str;
			*len = n->j->len;
			break;
		case JSON_TRUE:
			*s = "true";
			*len = 4;
			break;
		case JSON_FALSE:
			*s = "false";
			*len = 5;
			break;
		default:
			break;
		}
	}
}

/*
 * join - a, b and c (c may be NULL) into out[size], as snprintf would but
 * without the format machinery: this runs several times per message.
 * Returns 0, or -1 if it does not fit.
 */
static int
join(char *out, size_t size, const char *a, const char *b, const char *c)
{
	size_t	 na = strlen(a), nb = strlen(b), nc = c != NULL ? strlen(c) : 0;

	if (na + nb + nc >= size)
		return -1;
	memcpy(out, a, na);
	memcpy(out + na, b, nb);
	if (nc > 0)
		memcpy(out + na + nb, c, nc);
	out[na + nb + nc] = '\0';
	return 0;
}

/* pick - the variant of a part for a locale: exact, language, default. */
static const struct tpl *
pick(const struct render_campaign *rc, enum part part, const char *locale)
{
	const struct variant	*v = rc->variants[part];
	size_t			 n = rc->nvariants[part], i;
	size_t			 llen = locale != NULL ? strlen(locale) : 0;

	for (;;) {
		for (i = 0; i < n; i++)
			if (strlen(v[i].locale) == llen && (llen == 0 ||
			    strncasecmp(v[i].locale, locale, llen) == 0))
				return v[i].tpl;
		if (llen == 0)
			return NULL;
		llen = locale_parent(locale, llen);
	}
}

/* render_part - one template into out; out emptied first. */
static int
render_part(struct data_ctx *d, const struct tpl *t, struct buf *out)
{
	static const struct tpl_data	 ops_template = {
		NULL, data_kind, data_get, data_count, data_item, data_text
	};
	struct tpl_data			 ops = ops_template;

	ops.ud = d;
	buf_reset(out);
	return tpl_render(t, &ops, &d->root, out);
}

int
render_message(const struct render_campaign *rc,
    const struct render_contact *c, uint64_t run_id, int64_t now,
    struct render_scratch *sc, struct clr_err *err)
{
	struct data_ctx		 d;
	struct msg_params	 mp;
	const struct tpl	*t;
	char			 verp[TOKEN_MAX + 1], unsub[TOKEN_MAX + 1];
	char			 mailto[ADDR_MAX + TOKEN_MAX + 8];
	struct clr_err		 jerr = { 0, "" };
	size_t			 i;
	int			 rc_;

	memset(&d, 0, sizeof(d));
	d.rc = rc;
	d.sc = sc;
	d.chunk = NULL;
	d.root.kind = NODE_ROOT;
	d.first = string_node(c->first_name);
	d.last = string_node(c->last_name);
	d.email = string_node(c->email);
	d.locale = string_node(c->locale);

	/* Tokens first: the unsubscribe link is template data. */
	if ((rc_ = token_make(rc->tokens, TOKEN_VERP, run_id, (uint64_t)c->id,
	    verp)) != 0 || (rc_ = token_make(rc->tokens, TOKEN_UNSUBSCRIBE,
	    run_id, (uint64_t)c->id, unsub)) != 0)
		return clr_err_set(err, rc_, "making tokens: %s",
		    clr_strerror(rc_));
	if (join(sc->unsubscribe_url, sizeof(sc->unsubscribe_url),
	    rc->unsub_base, unsub, NULL) != 0)
		return clr_err_set(err, CLR_ETOOBIG, "unsubscribe URL too long");
	d.unsub = string_node(sc->unsubscribe_url);
	/* rc->at_bounce is "@bounce_domain", rc->at_msgid "@sender_domain". */
	if (join(sc->envelope_from, sizeof(sc->envelope_from), "b-", verp,
	    rc->at_bounce) != 0)
		return clr_err_set(err, CLR_ETOOBIG, "envelope too long");
	/* Unique per run and contact, and the same if a send is retried. */
	if (join(sc->message_id, sizeof(sc->message_id), "m-", verp,
	    rc->at_msgid) != 0)
		return clr_err_set(err, CLR_ETOOBIG, "Message-ID too long");

	/* "First Last", or whichever there is. */
	buf_reset(&sc->name);
	if (c->first_name != NULL)
		buf_puts(&sc->name, c->first_name);
	if (c->first_name != NULL && c->last_name != NULL)
		buf_putc(&sc->name, ' ');
	if (c->last_name != NULL)
		buf_puts(&sc->name, c->last_name);
	d.name = string_node(sc->name.len > 0 ? sc->name.data : NULL);

	d.attrs.kind = NODE_STRING;	/* absent until parsed */
	d.attrs.s = NULL;
	if (c->attrs != NULL && c->attrs[0] != '\0') {
		if (json_parse(c->attrs, strlen(c->attrs), &d.attrs_json,
		    &jerr) != 0)
			return clr_err_set(err, CLR_EINVAL, "attrs are not "
			    "JSON: %s", jerr.msg);
		d.attrs.kind = NODE_JSON;
		d.attrs.j = d.attrs_json;
	}
	d.chunk = sc->nodes;
	if (d.chunk != NULL)
		d.chunk->used = 0;

	sc->has_html = 0;
	rc_ = 0;
	if ((t = pick(rc, PART_SUBJECT, c->locale)) != NULL)
		rc_ = render_part(&d, t, &sc->subject);
	if (rc_ == 0 && (t = pick(rc, PART_TEXT, c->locale)) != NULL)
		rc_ = render_part(&d, t, &sc->text);
	if (rc_ == 0 && (t = pick(rc, PART_HTML, c->locale)) != NULL) {
		rc_ = render_part(&d, t, &sc->html);
		sc->has_html = 1;
	}
	json_free(d.attrs_json);
	if (rc_ == 0 && d.oom)
		rc_ = CLR_ENOMEM;
	if (rc_ != 0)
		return clr_err_set(err, rc_ == CLR_ETOOBIG ? CLR_EINVAL : rc_,
		    "rendering the templates: %s", rc_ == CLR_ETOOBIG ?
		    "a part is too large or nests too deep" :
		    clr_strerror(rc_));
	/* A subject is one line; the template's final newline is not part. */
	while (sc->subject.len > 0 && (sc->subject.data[sc->subject.len - 1] ==
	    '\n' || sc->subject.data[sc->subject.len - 1] == '\r'))
		buf_truncate(&sc->subject, sc->subject.len - 1);

	memset(&mp, 0, sizeof(mp));
	mp.from.name = rc->sender->display_name;
	mp.from.addr = rc->sender->address;
	mp.to.name = sc->name.len > 0 ? sc->name.data : NULL;
	mp.to.addr = c->email;
	mp.reply_to = rc->sender->reply_to;
	mp.subject = sc->subject.data != NULL ? sc->subject.data : "";
	mp.date = now;
	mp.utc_offset = 0;
	mp.message_id = sc->message_id;
	mp.list_id = rc->list_id;
	mp.unsubscribe_url = sc->unsubscribe_url;
	if (rc->mailto_local != NULL) {
		/* local+u-TOKEN@domain: the mailto unsubscribe is signed too. */
		if (join(mailto, ADDR_MAX + 1, rc->mailto_local, unsub,
		    rc->at_mailto) != 0)
			return clr_err_set(err, CLR_EINVAL, "the unsubscribe "
			    "mailto address is too long with its token");
		mp.unsubscribe_mailto = mailto;
	}
	mp.feedback_id = rc->feedback_id;
	mp.text = sc->text.data != NULL ? sc->text.data : "";
	mp.text_len = sc->text.len;
	if (sc->has_html) {
		mp.html = sc->html.data != NULL ? sc->html.data : "";
		mp.html_len = sc->html.len;
	}
	/* Without signatures, the message is built where it is wanted. */
	buf_reset(&sc->msg);
	if (rc->nsigners == 0)
		return msg_build(&mp, &sc->msg, err);
	buf_reset(&sc->unsigned_msg);
	if ((rc_ = msg_build(&mp, &sc->unsigned_msg, err)) != 0)
		return rc_;

	/* Each signature goes on top; each signs the message as built. */
	for (i = 0; i < rc->nsigners; i++)
		if ((rc_ = dkim_sign(rc->signers[i], sc->unsigned_msg.data,
		    sc->unsigned_msg.len, now, &sc->msg, err)) != 0)
			return rc_;
	if ((rc_ = buf_append(&sc->msg, sc->unsigned_msg.data,
	    sc->unsigned_msg.len)) != 0)
		return clr_err_set(err, rc_, "the message is too large");
	return 0;
}

/* The names a template may use without asking the store. */
static int
builtin(const struct render_campaign *rc, const char *name, size_t len)
{
	static const char *const names[] = {
		".", "first_name", "last_name", "name", "email", "locale",
		"unsubscribe_url", "attrs", "campaign", "campaign.name",
		"sender", "sender.name", "sender.address", NULL
	};
	size_t	 i;

	for (i = 0; names[i] != NULL; i++)
		if (name_is(name, len, names[i]))
			return 1;
	if (len > 9 && memcmp(name, "campaign.", 9) == 0)
		for (i = 0; i < rc->camp->nfields; i++)
			if (name_is(name + 9, len - 9,
			    rc->camp->fields[i].name))
				return 1;
	return 0;
}

struct unknown_ctx {
	const struct render_campaign	*rc;
	int				(*has_attr)(void *, const char *);
	void				*has_arg;
	void				(*fn)(void *,
					    const struct render_unknown *);
	void				*arg;
	struct buf			 seen;	/* "file\0name\0" reported */
};

static void
check_name(void *arg, const struct tpl_name *tn)
{
	struct unknown_ctx	*u = arg;
	struct render_unknown	 r;
	char			 name[256], key[256];
	const char		*dot;
	size_t			 off, keylen;

	if (builtin(u->rc, tn->name, tn->len) || tn->len >= sizeof(name))
		return;
	memcpy(name, tn->name, tn->len);
	name[tn->len] = '\0';
	/* attrs.KEY[.more]: known if some contact has KEY. */
	if (strncmp(name, "attrs.", 6) == 0) {
		dot = strchr(name + 6, '.');
		keylen = dot != NULL ? (size_t)(dot - name - 6) :
		    strlen(name + 6);
		snprintf(key, sizeof(key), "%.*s", (int)keylen, name + 6);
		if (u->has_attr(u->has_arg, key))
			return;
	}
	/* One report per name and file. */
	for (off = 0; off < u->seen.len; ) {
		const char	*f = u->seen.data + off;
		const char	*nm = f + strlen(f) + 1;

		if (strcmp(f, tn->file) == 0 && strcmp(nm, name) == 0)
			return;
		off = (size_t)(nm - u->seen.data) + strlen(nm) + 1;
	}
	buf_append(&u->seen, tn->file, strlen(tn->file) + 1);
	buf_append(&u->seen, name, strlen(name) + 1);
	r.name = name;
	r.file = tn->file;
	r.line = tn->line;
	r.col = tn->col;
	u->fn(u->arg, &r);
}

void
render_unknown_names(const struct render_campaign *rc,
    int (*has_attr)(void *, const char *), void *has_arg,
    void (*fn)(void *, const struct render_unknown *), void *arg)
{
	struct unknown_ctx	 u;
	size_t			 i;
	int			 p;

	u.rc = rc;
	u.has_attr = has_attr;
	u.has_arg = has_arg;
	u.fn = fn;
	u.arg = arg;
	buf_init(&u.seen, 1 << 20);
	for (p = 0; p < PART_LAST; p++)
		for (i = 0; i < rc->nvariants[p]; i++)
			tpl_foreach_name(rc->variants[p][i].tpl, check_name,
			    &u);
	buf_free(&u.seen);
}

size_t
render_nfiles(const struct render_campaign *rc)
{
	return rc->nsources;
}

const char *
render_file(const struct render_campaign *rc, size_t i, const char **text,
    size_t *len)
{
	*text = rc->sources[i].text;
	*len = rc->sources[i].len;
	return rc->sources[i].path;
}
