/* SPDX-License-Identifier: ISC */
/*
 * config/config.c - validate the YAML tree into struct config
 *
 * Each section has its own parse_* function that knows its keys; shared
 * helpers report "FILE:LINE:COL: what is wrong" for unknown keys (with a
 * hint), wrong types, missing values and bad names. Validation goes on after
 * an error so that one run shows every mistake, but any error means no
 * configuration is returned.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr/addr.h"
#include "config.h"
#include "config_impl.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/str.h"
#include "ytree.h"

#define NAME_MAX_LEN		CONFIG__NAME_MAX
#define DESCRIPTION_MAX		1000
#define DISPLAY_NAME_MAX	200
#define WHERE_MAX		8000
#define URL_MAX			1000
#define SUBJECT_MAX		1000
#define FIELD_MAX		4096

static const char *const top_keys[] = {
	"database", "lists", "themes", "senders", "segments", "templates",
	"mail", "dkim", "campaigns", "relays", "shaping", "sending",
	"control_socket", NULL
};
static const char *const list_keys[] = { "description", NULL };
static const char *const theme_keys[] = { "description", NULL };
static const char *const sender_keys[] = {
	"name", "address", "reply_to", NULL
};
static const char *const segment_keys[] = {
	"description", "lists", "theme", "where", NULL
};
static const char *const mail_keys[] = {
	"bounce_domain", "unsubscribe_url", "unsubscribe_mailto", "token_key",
	"list_id_domain", "feedback_id", NULL
};
static const char *const dkim_keys[] = {
	"domain", "selector", "key", "identity", "algorithm", NULL
};
static const char *const campaign_keys[] = {
	"description", "segment", "template", "sender", "subject", "theme",
	"list", "relay", "fields", NULL
};


static int
parse_list(struct config__vctx *v, const struct ynode *key,
    const struct ynode *val, void *elem)
{
	struct config_list	*l = elem;
	char			 where[NAME_MAX_LEN + 16];

	if (config__entry_start(v, "list", key, &val, list_keys, where,
	    sizeof(where), &l->name, &l->mark) != 0)
		return -1;
	return config__get_str(v, val, &key->mark, "description", 0,
	    DESCRIPTION_MAX, where, &l->description, NULL);
}

static int
parse_theme(struct config__vctx *v, const struct ynode *key,
    const struct ynode *val, void *elem)
{
	struct config_theme	*t = elem;
	char			 where[NAME_MAX_LEN + 16];

	if (config__entry_start(v, "theme", key, &val, theme_keys, where,
	    sizeof(where), &t->name, &t->mark) != 0)
		return -1;
	return config__get_str(v, val, &key->mark, "description", 0,
	    DESCRIPTION_MAX, where, &t->description, NULL);
}

static int
parse_sender(struct config__vctx *v, const struct ynode *key,
    const struct ynode *val, void *elem)
{
	struct config_sender	*s = elem;
	char			 where[NAME_MAX_LEN + 16];
	int			 rc = 0;

	if (config__entry_start(v, "sender", key, &val, sender_keys, where,
	    sizeof(where), &s->name, &s->mark) != 0)
		return -1;
	if (config__get_str(v, val, &key->mark, "name", 0, DISPLAY_NAME_MAX,
	    where, &s->display_name, NULL) != 0)
		rc = -1;
	if (config__get_addr(v, val, &key->mark, "address", 1, where,
	    &s->address) != 0)
		rc = -1;
	if (config__get_addr(v, val, &key->mark, "reply_to", 0, where,
	    &s->reply_to) != 0)
		rc = -1;
	return rc;
}

static int
parse_segment(struct config__vctx *v, const struct ynode *key,
    const struct ynode *val, void *elem)
{
	struct config_segment	*g = elem;
	const struct ynode	*lists, *lk;
	char			 where[NAME_MAX_LEN + 16];
	size_t			 i, j;
	int			 rc = 0;

	if (config__entry_start(v, "segment", key, &val, segment_keys, where,
	    sizeof(where), &g->name, &g->mark) != 0)
		return -1;
	if (config__get_str(v, val, &key->mark, "description", 0,
	    DESCRIPTION_MAX, where, &g->description, NULL) != 0)
		rc = -1;
	if (config__get_str(v, val, &key->mark, "theme", 1, NAME_MAX_LEN, where,
	    &g->theme, NULL) != 0)
		rc = -1;
	else if (config_find_theme(v->cfg, g->theme) == NULL) {
		config__error(v->c, &config__map_get(val, "theme", NULL)->mark,
		    "%s: unknown theme \"%s\" (not declared under themes)",
		    where, g->theme);
		rc = -1;
	}
	if (config__get_text(v, val, &key->mark, "where", 0, WHERE_MAX, 1,
	    where, &g->where, &g->where_mark) != 0)
		rc = -1;

	lists = config__map_get(val, "lists", &lk);
	if (lists == NULL || config__ynode_is_null(lists)) {
		config__error(v->c, lists != NULL ? &lists->mark : &key->mark,
		    "%s: missing required key \"lists\"", where);
		return -1;
	}
	if (lists->kind != YNODE_SEQ || lists->nkids == 0) {
		config__error(v->c, &lists->mark, "\"lists\" in %s must be a "
		    "non-empty sequence of list names, got %s", where,
		    lists->kind == YNODE_SEQ ? "an empty sequence" :
		    config__ynode_type(lists));
		return -1;
	}
	if ((g->lists = clr_calloc(lists->nkids, sizeof(char *))) == NULL)
		return -1;
	for (i = 0; i < lists->nkids; i++) {
		const struct ynode	*item = lists->kids[i];

		if (item->kind != YNODE_SCALAR ||
		    config__ynode_is_null(item)) {
			config__error(v->c, &item->mark, "items of \"lists\" "
			    "in %s must be list names, got %s", where,
			    config__ynode_type(item));
			rc = -1;
			continue;
		}
		if (config_find_list(v->cfg, item->str) == NULL) {
			config__error(v->c, &item->mark, "%s: unknown list "
			    "\"%s\" (not declared under lists)", where,
			    item->str);
			rc = -1;
			continue;
		}
		for (j = 0; j < g->nlists; j++)
			if (strcmp(g->lists[j], item->str) == 0)
				break;
		if (j < g->nlists) {
			config__error(v->c, &item->mark, "%s: list \"%s\" is "
			    "named twice", where, item->str);
			rc = -1;
			continue;
		}
		if ((g->lists[g->nlists] = clr_strdup(item->str)) == NULL)
			return -1;
		g->nlists++;
	}
	return rc;
}


static void
parse_mail(struct config__vctx *v, const struct ynode *root)
{
	struct config_mail	*m = &v->cfg->mail;
	const struct ynode	*sec, *k;
	const char		*where = "section \"mail\"";
	size_t			 i;

	sec = config__map_get(root, "mail", &k);
	if (sec == NULL || config__ynode_is_null(sec)) {
		if (v->cfg->ncampaigns > 0)
			config__error(v->c, sec != NULL ? &sec->mark :
			    &root->mark, "campaigns need the section \"mail\"");
		return;
	}
	if (config__want_kind(v, sec, YNODE_MAP, where) != 0)
		return;
	v->cfg->has_mail = 1;
	m->mark = k->mark;
	config__check_keys(v, sec, mail_keys, where);
	config__get_domain(v, sec, &k->mark, "bounce_domain", 1, where,
	    &m->bounce_domain);
	config__get_domain(v, sec, &k->mark, "list_id_domain", 1, where,
	    &m->list_id_domain);
	config__get_addr(v, sec, &k->mark, "unsubscribe_mailto", 0, where,
	    &m->unsubscribe_mailto);
	config__get_path(v, sec, &k->mark, "token_key", 1, where, &m->token_key,
	    &m->token_key_mark);
	if (config__get_str(v, sec, &k->mark, "unsubscribe_url", 1, URL_MAX,
	    where, &m->unsubscribe_url, NULL) == 0 && m->unsubscribe_url !=
	    NULL) {
		const char	*u = m->unsubscribe_url;

		/* RFC 8058 one-click needs https; the token goes at the end. */
		if (strncmp(u, "https://", 8) != 0 || u[8] == '\0' ||
		    strpbrk(u, " \t<>\"\\") != NULL)
			config__error(v->c, &config__map_get(sec,
			    "unsubscribe_url", NULL)->mark,
			    "\"unsubscribe_url\" in %s must be an "
			    "https:// URL without spaces, quotes or angle "
			    "brackets", where);
	}
	if (config__get_str(v, sec, &k->mark, "feedback_id", 0, 64, where,
	    &m->feedback_id, NULL) == 0 && m->feedback_id != NULL) {
		for (i = 0; m->feedback_id[i] != '\0'; i++) {
			char	 c = m->feedback_id[i];

			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
			    || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
			    c == '_'))
				break;
		}
		if (m->feedback_id[i] != '\0' || i == 0)
			config__error(v->c, &config__map_get(sec, "feedback_id",
			    NULL)->mark, "\"feedback_id\" in %s may only hold "
			    "letters, digits, '.', '-' and '_'", where);
	}
}

static void
parse_dkim(struct config__vctx *v, const struct ynode *root)
{
	const struct ynode	*sec, *k;
	struct config		*cfg = v->cfg;
	size_t			 i;

	sec = config__map_get(root, "dkim", &k);
	if (sec == NULL || config__ynode_is_null(sec))
		return;
	if (sec->kind != YNODE_SEQ) {
		config__error(v->c, &sec->mark, "section \"dkim\" must be a "
		    "sequence of signatures, got %s", config__ynode_type(sec));
		return;
	}
	if ((cfg->dkim = clr_calloc(sec->nkids + 1, sizeof(*cfg->dkim))) ==
	    NULL) {
		config__error(v->c, &sec->mark, "out of memory");
		return;
	}
	for (i = 0; i < sec->nkids; i++) {
		const struct ynode	*e = sec->kids[i];
		struct config_dkim	*d = &cfg->dkim[cfg->ndkim++];
		char			 where[48];

		snprintf(where, sizeof(where), "DKIM signature %zu", i + 1);
		d->mark = e->mark;
		if (config__want_kind(v, e, YNODE_MAP, where) != 0)
			continue;
		config__check_keys(v, e, dkim_keys, where);
		config__get_domain(v, e, &e->mark, "domain", 1, where,
		    &d->domain);
		config__get_path(v, e, &e->mark, "key", 1, where, &d->key,
		    &d->key_mark);
		config__get_str(v, e, &e->mark, "identity", 0, ADDR_MAX, where,
		    &d->identity, NULL);
		if (config__get_str(v, e, &e->mark, "algorithm", 0, 32, where,
		    &d->algorithm, NULL) == 0 && d->algorithm != NULL &&
		    strcmp(d->algorithm, "rsa-sha256") != 0 &&
		    strcmp(d->algorithm, "ed25519-sha256") != 0)
			config__error(v->c, &config__map_get(e, "algorithm",
			    NULL)->mark, "\"algorithm\" in %s must be "
			    "rsa-sha256 or ed25519-sha256", where);
		if (config__get_str(v, e, &e->mark, "selector", 1, 253, where,
		    &d->selector, NULL) == 0 && d->selector != NULL &&
		    !config__is_label(d->selector))
			config__error(v->c, &config__map_get(e, "selector",
			    NULL)->mark, "\"selector\" in %s is not a DNS "
			    "label", where);
	}
}

static int
parse_campaign(struct config__vctx *v, const struct ynode *key,
    const struct ynode *val, void *elem)
{
	struct config_campaign		*c = elem;
	const struct config_segment	*seg = NULL;
	const struct ynode		*n, *fields;
	char				 where[NAME_MAX_LEN + 16];
	size_t				 i;
	int				 rc = 0;

	if (config__entry_start(v, "campaign", key, &val, campaign_keys, where,
	    sizeof(where), &c->name, &c->mark) != 0)
		return -1;
	if (config__get_str(v, val, &key->mark, "description", 0,
	    DESCRIPTION_MAX, where, &c->description, NULL) != 0)
		rc = -1;
	if (config__get_str(v, val, &key->mark, "segment", 1, NAME_MAX_LEN,
	    where, &c->segment, NULL) != 0)
		rc = -1;
	else if ((seg = config_find_segment(v->cfg, c->segment)) == NULL) {
		config__error(v->c, &config__map_get(val, "segment",
		    NULL)->mark,
		    "%s: unknown segment \"%s\" (not declared under "
		    "segments)", where, c->segment);
		rc = -1;
	}
	if (config__get_str(v, val, &key->mark, "sender", 1, NAME_MAX_LEN,
	    where, &c->sender, NULL) != 0)
		rc = -1;
	else if (config_find_sender(v->cfg, c->sender) == NULL) {
		config__error(v->c, &config__map_get(val, "sender", NULL)->mark,
		    "%s: unknown sender \"%s\" (not declared under senders)",
		    where, c->sender);
		rc = -1;
	}
	if (config__get_str(v, val, &key->mark, "template", 1, NAME_MAX_LEN,
	    where, &c->template, &c->template_mark) != 0)
		rc = -1;
	else if ((n = config__map_get(val, "template", NULL)) != NULL &&
	    config__check_name(v, n, "template set") != 0)
		rc = -1;
	if (config__get_str(v, val, &key->mark, "subject", 0, SUBJECT_MAX,
	    where, &c->subject, &c->subject_mark) != 0)
		rc = -1;
	/* The theme is the segment's: a campaign can only restate it. */
	if (config__get_str(v, val, &key->mark, "theme", 0, NAME_MAX_LEN, where,
	    &c->theme, NULL) != 0)
		rc = -1;
	else if (seg != NULL && c->theme != NULL &&
	    strcmp(c->theme, seg->theme) != 0) {
		config__error(v->c, &config__map_get(val, "theme", NULL)->mark,
		    "%s: theme \"%s\" is not the theme of its segment \"%s\" "
		    "(\"%s\"), whose contacts consented to that one", where,
		    c->theme, seg->name, seg->theme);
		rc = -1;
	} else if (seg != NULL && c->theme == NULL &&
	    (c->theme = clr_strdup(seg->theme)) == NULL)
		rc = -1;
	/* The list of List-Id and of unsubscribing: one of the segment's. */
	if (config__get_str(v, val, &key->mark, "list", 0, NAME_MAX_LEN, where,
	    &c->list, NULL) != 0)
		rc = -1;
	else if (seg != NULL && c->list != NULL) {
		for (i = 0; i < seg->nlists; i++)
			if (strcmp(seg->lists[i], c->list) == 0)
				break;
		if (i == seg->nlists) {
			config__error(v->c, &config__map_get(val, "list",
			    NULL)->mark,
			    "%s: list \"%s\" is not one of segment \"%s\"'s",
			    where, c->list, seg->name);
			rc = -1;
		}
	} else if (seg != NULL && c->list == NULL &&
	    (c->list = clr_strdup(seg->lists[0])) == NULL)
		rc = -1;
	/* The relay its messages go through; NULL: the relays' turn. */
	if (config__get_str(v, val, &key->mark, "relay", 0, NAME_MAX_LEN,
	    where, &c->relay, NULL) != 0)
		rc = -1;
	else if (c->relay != NULL &&
	    config_find_relay(v->cfg, c->relay) == NULL) {
		config__error(v->c, &config__map_get(val, "relay",
		    NULL)->mark, "%s: no relay \"%s\" is declared", where,
		    c->relay);
		rc = -1;
	}

	fields = config__map_get(val, "fields", NULL);
	if (fields != NULL && !config__ynode_is_null(fields)) {
		if (config__want_kind(v, fields, YNODE_MAP, "\"fields\"") != 0)
			return -1;
		c->fields = clr_calloc(fields->nkids / 2 + 1,
		    sizeof(*c->fields));
		if (c->fields == NULL)
			return -1;
		for (i = 0; i + 1 < fields->nkids; i += 2) {
			const struct ynode	*fk = fields->kids[i];
			struct config_field	*f = &c->fields[c->nfields];

			if (config__check_name(v, fk, "field") != 0) {
				rc = -1;
				continue;
			}
			if ((f->name = clr_strdup(fk->str)) == NULL)
				return -1;
			c->nfields++;
			if (config__get_str(v, fields, &fk->mark, fk->str, 1,
			    FIELD_MAX, where, &f->value, NULL) != 0)
				rc = -1;
		}
	}
	return rc;
}


static void
validate(struct config__vctx *v, const struct ynode *root)
{
	struct config		*cfg = v->cfg;
	char			*db = NULL;
	static const struct config_mark origin = { 1, 1 };

	if (root == NULL || config__ynode_is_null(root)) {
		config__error(v->c, &origin, "the configuration is empty");
		return;
	}
	if (root->kind != YNODE_MAP) {
		config__error(v->c, &root->mark, "the configuration must be a "
		    "mapping of keys to values, got %s",
		    config__ynode_type(root));
		return;
	}
	config__check_keys(v, root, top_keys, "the top level");
	if (config__get_str(v, root, &origin, "database", 1, PATH_MAX,
	    "the top level", &db, &cfg->database_mark) == 0) {
		cfg->database = config__resolve_path(cfg->dir, db);
		clr_free(db);
		if (cfg->database == NULL)
			config__error(v->c, &cfg->database_mark, "database "
			    "path is too long");
	}
	config__parse_control_socket(v, root);
	/* Lists and themes first: segments refer to them. */
	config__for_each_entry(v, root, "lists", "list", 1, sizeof(*cfg->lists),
	    (void **)&cfg->lists, &cfg->nlists, parse_list);
	config__for_each_entry(v, root, "themes", "theme", 1,
	    sizeof(*cfg->themes), (void **)&cfg->themes, &cfg->nthemes,
	    parse_theme);
	config__for_each_entry(v, root, "senders", "sender", 1,
	    sizeof(*cfg->senders), (void **)&cfg->senders, &cfg->nsenders,
	    parse_sender);
	config__for_each_entry(v, root, "segments", "segment", 0,
	    sizeof(*cfg->segments), (void **)&cfg->segments, &cfg->nsegments,
	    parse_segment);
	/* Relays before campaigns, which may name one. */
	config__parse_relays(v, root);
	config__for_each_entry(v, root, "campaigns", "campaign", 0,
	    sizeof(*cfg->campaigns), (void **)&cfg->campaigns,
	    &cfg->ncampaigns, parse_campaign);
	config__get_path(v, root, &origin, "templates", cfg->ncampaigns > 0,
	    "the top level", &cfg->templates, &cfg->templates_mark);
	parse_mail(v, root);
	parse_dkim(v, root);
	config__parse_shaping(v, root);
	config__parse_sending(v, root);
}

struct config *
config_parse(const char *name, const char *dir, const void *data, size_t len,
    struct config_diag *diag)
{
	struct config__ctx	 c = { name, diag, 0 };
	struct config__vctx		 v;
	struct config		*cfg;
	struct ynode		*root;

	if ((cfg = clr_calloc(1, sizeof(*cfg))) == NULL ||
	    (cfg->path = clr_strdup(name)) == NULL ||
	    (cfg->dir = clr_strdup(dir)) == NULL) {
		config__error(&c, NULL, "out of memory");
		config_free(cfg);
		return NULL;
	}
	if (len > CONFIG_MAX_FILE) {
		config__error(&c, NULL, "the file is larger than %d bytes",
		    CONFIG_MAX_FILE);
		config_free(cfg);
		return NULL;
	}
	root = config__ytree_parse(&c, data, len);
	if (c.errors == 0) {
		v.c = &c;
		v.cfg = cfg;
		validate(&v, root);
	}
	config__ytree_free(root);
	if (c.errors > 0) {
		config_free(cfg);
		return NULL;
	}
	return cfg;
}

struct config *
config_load(const char *path, struct config_diag *diag)
{
	struct config__ctx	 c = { path, diag, 0 };
	struct buf		 b = BUF_INITIALIZER(CONFIG_MAX_FILE);
	struct config		*cfg = NULL;
	char			 tmp[PATH_MAX], *slash, *dir = NULL;
	FILE			*fp;
	size_t			 n;
	char			 chunk[8192];

	if ((fp = fopen(path, "r")) == NULL) {
		config__error(&c, NULL, "cannot open: %s", strerror(errno));
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
		if (buf_append(&b, chunk, n) != 0) {
			config__error(&c, NULL, "the file is larger than %d "
			    "bytes", CONFIG_MAX_FILE);
			goto out;
		}
	}
	if (ferror(fp)) {
		config__error(&c, NULL, "cannot read: %s", strerror(errno));
		goto out;
	}
	/* Relative paths in the file resolve against its folder. */
	if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp)) {
		config__error(&c, NULL, "path is too long");
		goto out;
	}
	slash = strrchr(tmp, '/');
	if (slash == tmp)
		tmp[1] = '\0';
	else if (slash != NULL)
		*slash = '\0';
	else
		snprintf(tmp, sizeof(tmp), ".");
	if ((dir = realpath(tmp, NULL)) == NULL) {
		config__error(&c, NULL, "cannot resolve its folder: %s",
		    strerror(errno));
		goto out;
	}
	cfg = config_parse(path, dir, b.data != NULL ? b.data : "", b.len,
	    diag);
out:
	free(dir);	/* from realpath(3): libc's allocator */
	buf_free(&b);
	fclose(fp);
	return cfg;
}

void
config_free(struct config *cfg)
{
	size_t	 i, j;

	if (cfg == NULL)
		return;
	for (i = 0; i < cfg->nlists; i++) {
		clr_free(cfg->lists[i].name);
		clr_free(cfg->lists[i].description);
	}
	for (i = 0; i < cfg->nthemes; i++) {
		clr_free(cfg->themes[i].name);
		clr_free(cfg->themes[i].description);
	}
	for (i = 0; i < cfg->nsenders; i++) {
		clr_free(cfg->senders[i].name);
		clr_free(cfg->senders[i].display_name);
		clr_free(cfg->senders[i].address);
		clr_free(cfg->senders[i].reply_to);
	}
	for (i = 0; i < cfg->nsegments; i++) {
		struct config_segment	*g = &cfg->segments[i];

		clr_free(g->name);
		clr_free(g->description);
		for (j = 0; j < g->nlists; j++)
			clr_free(g->lists[j]);
		clr_free(g->lists);
		clr_free(g->theme);
		clr_free(g->where);
	}
	for (i = 0; i < cfg->ncampaigns; i++) {
		struct config_campaign	*c = &cfg->campaigns[i];

		clr_free(c->name);
		clr_free(c->description);
		clr_free(c->segment);
		clr_free(c->template);
		clr_free(c->sender);
		clr_free(c->subject);
		clr_free(c->theme);
		clr_free(c->list);
		clr_free(c->relay);
		for (j = 0; j < c->nfields; j++) {
			clr_free(c->fields[j].name);
			clr_free(c->fields[j].value);
		}
		clr_free(c->fields);
	}
	for (i = 0; i < cfg->ndkim; i++) {
		clr_free(cfg->dkim[i].domain);
		clr_free(cfg->dkim[i].selector);
		clr_free(cfg->dkim[i].key);
		clr_free(cfg->dkim[i].identity);
		clr_free(cfg->dkim[i].algorithm);
	}
	clr_free(cfg->dkim);
	clr_free(cfg->campaigns);
	config__free_relays(cfg);
	config__free_sending(cfg);
	clr_free(cfg->templates);
	clr_free(cfg->mail.bounce_domain);
	clr_free(cfg->mail.unsubscribe_url);
	clr_free(cfg->mail.unsubscribe_mailto);
	clr_free(cfg->mail.token_key);
	clr_free(cfg->mail.list_id_domain);
	clr_free(cfg->mail.feedback_id);
	clr_free(cfg->lists);
	clr_free(cfg->themes);
	clr_free(cfg->senders);
	clr_free(cfg->segments);
	clr_free(cfg->database);
	clr_free(cfg->path);
	clr_free(cfg->dir);
	clr_free(cfg);
}

void
config_diag_add(struct config_diag *d, const char *file,
    const struct config_mark *m, const char *fmt, ...)
{
	struct buf	 b = BUF_INITIALIZER(8192);
	va_list		 ap;
	char		**p;

	if (d == NULL)
		return;
	if (d->n >= CONFIG_MAX_ERRORS) {
		d->truncated = 1;
		return;
	}
	if (file != NULL && m != NULL && m->line > 0)
		buf_printf(&b, "%s:%u:%u: ", file, m->line, m->col);
	else if (file != NULL)
		buf_printf(&b, "%s: ", file);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	if (b.data == NULL)
		return;
	p = clr_reallocarray(d->msgs, d->n + 1, sizeof(*p));
	if (p == NULL) {
		buf_free(&b);
		d->truncated = 1;
		return;
	}
	d->msgs = p;
	d->msgs[d->n++] = buf_steal(&b);
}

void
config_diag_free(struct config_diag *d)
{
	size_t	 i;

	for (i = 0; i < d->n; i++)
		clr_free(d->msgs[i]);
	clr_free(d->msgs);
	d->msgs = NULL;
	d->n = 0;
	d->truncated = 0;
}

const struct config_list *
config_find_list(const struct config *cfg, const char *name)
{
	size_t	 i;

	for (i = 0; i < cfg->nlists; i++)
		if (cfg->lists[i].name != NULL &&
		    strcmp(cfg->lists[i].name, name) == 0)
			return &cfg->lists[i];
	return NULL;
}

const struct config_theme *
config_find_theme(const struct config *cfg, const char *name)
{
	size_t	 i;

	for (i = 0; i < cfg->nthemes; i++)
		if (cfg->themes[i].name != NULL &&
		    strcmp(cfg->themes[i].name, name) == 0)
			return &cfg->themes[i];
	return NULL;
}

const struct config_segment *
config_find_segment(const struct config *cfg, const char *name)
{
	size_t	 i;

	for (i = 0; i < cfg->nsegments; i++)
		if (cfg->segments[i].name != NULL &&
		    strcmp(cfg->segments[i].name, name) == 0)
			return &cfg->segments[i];
	return NULL;
}

const struct config_sender *
config_find_sender(const struct config *cfg, const char *name)
{
	size_t	 i;

	for (i = 0; i < cfg->nsenders; i++)
		if (cfg->senders[i].name != NULL &&
		    strcmp(cfg->senders[i].name, name) == 0)
			return &cfg->senders[i];
	return NULL;
}

const struct config_campaign *
config_find_campaign(const struct config *cfg, const char *name)
{
	size_t	 i;

	for (i = 0; i < cfg->ncampaigns; i++)
		if (cfg->campaigns[i].name != NULL &&
		    strcmp(cfg->campaigns[i].name, name) == 0)
			return &cfg->campaigns[i];
	return NULL;
}
