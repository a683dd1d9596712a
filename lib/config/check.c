/* SPDX-License-Identifier: ISC */
/*
 * config/check.c - the checks every section of the configuration shares
 *
 * Each reports "FILE:LINE:COL: what is wrong" through config__error and
 * returns -1, so a section's parser can go on and show every mistake.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr/addr.h"
#include "config_impl.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/str.h"

#define NAME_MAX_LEN	CONFIG__NAME_MAX

/* config__map_get - the value for key in a mapping, or NULL; *keyn: key. */
const struct ynode *
config__map_get(const struct ynode *map, const char *key,
    const struct ynode **keyn)
{
	size_t	 i;

	for (i = 0; i + 1 < map->nkids; i += 2) {
		if (strcmp(map->kids[i]->str, key) == 0) {
			if (keyn != NULL)
				*keyn = map->kids[i];
			return map->kids[i + 1];
		}
	}
	return NULL;
}

/* config__check_keys - report every key of map that is not in allowed. */
void
config__check_keys(struct config__vctx *v, const struct ynode *map,
    const char *const allowed[], const char *where)
{
	size_t		 i, j;
	const char	*hint;
	unsigned	 d, best;

	for (i = 0; i < map->nkids; i += 2) {
		const struct ynode	*k = map->kids[i];

		for (j = 0; allowed[j] != NULL; j++)
			if (strcmp(k->str, allowed[j]) == 0)
				break;
		if (allowed[j] != NULL)
			continue;
		hint = NULL;
		best = 3;	/* suggest only close misspellings */
		for (j = 0; allowed[j] != NULL; j++) {
			d = str_distance(k->str, allowed[j]);
			if (d < best) {
				best = d;
				hint = allowed[j];
			}
		}
		if (hint != NULL)
			config__error(v->c, &k->mark,
			    "unknown key \"%s\" in " "%s (did you mean \"%s\"?)",
			    k->str, where, hint);
		else
			config__error(v->c, &k->mark,
			    "unknown key \"%s\" in " "%s", k->str, where);
	}
}

int
config__want_kind(struct config__vctx *v, const struct ynode *n,
    enum ynode_kind kind, const char *what)
{
	static const char *const kinds[] = {
		[YNODE_SCALAR] = "a string",
		[YNODE_MAP] = "a mapping",
		[YNODE_SEQ] = "a sequence"
	};

	if (n->kind == kind && !config__ynode_is_null(n))
		return 0;
	config__error(v->c, &n->mark, "%s must be %s, got %s", what,
	    kinds[kind], config__ynode_type(n));
	return -1;
}

/*
 * config__scalar_at - the scalar at key: 0 with *n NULL when absent or
 * null, 0 with *n set, or -1 (reported) when it is a mapping or a sequence.
 */
int
config__scalar_at(struct config__vctx *v, const struct ynode *map,
    const char *key, const char *where, const struct ynode **n)
{
	char	 what[160];

	*n = config__map_get(map, key, NULL);
	if (*n == NULL || config__ynode_is_null(*n)) {
		*n = NULL;
		return 0;
	}
	snprintf(what, sizeof(what), "\"%s\" in %s", key, where);
	if (config__want_kind(v, *n, YNODE_SCALAR, what) != 0) {
		*n = NULL;
		return -1;
	}
	return 0;
}

/* config__get_uint - a whole number in [min, max]; *out keeps its default
 * if absent. */
int
config__get_uint(struct config__vctx *v, const struct ynode *map,
    const char *key, unsigned min, unsigned max, const char *where,
    unsigned *out)
{
	const struct ynode	*n;
	unsigned long		 u;
	char			*end;

	if (config__scalar_at(v, map, key, where, &n) != 0)
		return -1;
	if (n == NULL)
		return 0;
	u = strtoul(n->str, &end, 10);
	if (n->str[0] < '0' || n->str[0] > '9' || *end != '\0' || u < min ||
	    u > max) {
		config__error(v->c, &n->mark, "\"%s\" in %s must be a whole "
		    "number from %u to %u, got \"%s\"", key, where, min, max,
		    n->str);
		return -1;
	}
	*out = (unsigned)u;
	return 0;
}

/*
 * config__get_text - copy the string at key, checking its length and
 * refusing control characters (every string here may end up in a header
 * or a log). Absent or null: NULL, and an error if required. Line breaks
 * are allowed only where multiline (an SQL clause). Returns -1 on error.
 */
int
config__get_text(struct config__vctx *v, const struct ynode *map,
    const struct config_mark *at, const char *key, int required, size_t max,
    int multiline, const char *where, char **out, struct config_mark *mark)
{
	const struct ynode	*n, *k;
	char			 what[160];
	size_t			 i;

	*out = NULL;
	n = config__map_get(map, key, &k);
	if (n == NULL || config__ynode_is_null(n)) {
		if (!required)
			return 0;
		config__error(v->c, n != NULL ? &n->mark : at,
		    "%s: missing " "required key \"%s\"", where, key);
		return -1;
	}
	snprintf(what, sizeof(what), "\"%s\" in %s", key, where);
	if (config__want_kind(v, n, YNODE_SCALAR, what) != 0)
		return -1;
	if (n->len > max) {
		config__error(v->c, &n->mark, "%s is longer than %zu bytes",
		    what, max);
		return -1;
	}
	for (i = 0; i < n->len; i++) {
		unsigned char	 c = (unsigned char)n->str[i];

		if ((c < 0x20 && c != '\t') || c == 0x7F ||
		    (c == 0xE2 && i + 2 < n->len &&
		    (unsigned char)n->str[i + 1] == 0x80 &&
		    ((unsigned char)n->str[i + 2] & 0xFE) == 0xA8)) {
			if (c == '\n' && multiline)
				continue;
			config__error(v->c, &n->mark,
			    "%s contains a control " "character or line break",
			    what);
			return -1;
		}
	}
	if ((*out = clr_strdup(n->str)) == NULL) {
		config__error(v->c, &n->mark, "out of memory");
		return -1;
	}
	if (mark != NULL)
		*mark = n->mark;
	return 0;
}

/* config__check_name - names of lists, themes...: [a-z0-9][a-z0-9_-]*. */
int
config__check_name(struct config__vctx *v, const struct ynode *n,
    const char *what)
{
	size_t	 i;

	if (n->len == 0 || n->len > NAME_MAX_LEN)
		goto bad;
	for (i = 0; i < n->len; i++) {
		char	 c = n->str[i];

		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			continue;
		if (i > 0 && (c == '-' || c == '_'))
			continue;
		goto bad;
	}
	return 0;
bad:
	config__error(v->c, &n->mark, "%s name \"%s\" is not valid: use 1 to "
	    "%d lower-case letters, digits, '-' and '_', starting with a "
	    "letter or digit", what, n->str, NAME_MAX_LEN);
	return -1;
}

/* config__get_addr - a required or optional e-mail address, normalised. */
int
config__get_addr(struct config__vctx *v, const struct ynode *map,
    const struct config_mark *at, const char *key, int required,
    const char *where, char **out)
{
	const struct ynode	*n;
	char			 norm[ADDR_MAX + 1];
	const char		*why;
	int			 rc;

	if (config__get_str(v, map, at, key, required, ADDR_MAX * 4, where, out,
	    NULL) != 0)
		return -1;
	if (*out == NULL)
		return 0;	/* optional and absent */
	n = config__map_get(map, key, NULL);
	rc = addr_normalize(*out, strlen(*out), norm, &why);
	if (rc != 0) {
		config__error(v->c, &n->mark, "\"%s\" in %s is not a valid "
		    "address: %s", key, where, why);
		clr_free(*out);
		*out = NULL;
		return -1;
	}
	clr_free(*out);
	if ((*out = clr_strdup(norm)) == NULL) {
		config__error(v->c, &n->mark, "out of memory");
		return -1;
	}
	return 0;
}

/*
 * config__for_each_entry - the common shape of lists, themes, senders,
 * segments: a mapping from a name to a mapping of settings (or null, for
 * no settings).
 * Calls fn for each entry with a zeroed element of size elsize in *arr.
 */
int
config__for_each_entry(struct config__vctx *v, const struct ynode *top,
    const char *section, const char *what, int required, size_t elsize,
    void **arr, size_t *count, config__entry_fn fn)
{
	const struct ynode	*sec, *k;
	size_t			 i;
	char			*base;
	int			 rc = 0;

	*arr = NULL;
	*count = 0;
	sec = config__map_get(top, section, &k);
	if (sec == NULL || config__ynode_is_null(sec)) {
		if (!required)
			return 0;
		config__error(v->c, sec != NULL ? &sec->mark : &top->mark,
		    "missing required section \"%s\"", section);
		return -1;
	}
	{
		char	 w[64];

		snprintf(w, sizeof(w), "section \"%s\"", section);
		if (config__want_kind(v, sec, YNODE_MAP, w) != 0)
			return -1;
	}
	if (sec->nkids == 0 && required) {
		config__error(v->c, &sec->mark, "section \"%s\" must declare "
		    "at least one %s", section, what);
		return -1;
	}
	base = clr_calloc(sec->nkids / 2 + 1, elsize);
	if (base == NULL) {
		config__error(v->c, &sec->mark, "out of memory");
		return -1;
	}
	*arr = base;
	for (i = 0; i + 1 < sec->nkids; i += 2) {
		const struct ynode	*key = sec->kids[i],
		    *val = sec->kids[i + 1];

		if (config__check_name(v, key, what) != 0) {
			rc = -1;
			continue;
		}
		if (!config__ynode_is_null(val) && val->kind != YNODE_MAP) {
			config__error(v->c, &val->mark,
			    "%s \"%s\" must be a mapping of settings, got %s",
			    what, key->str, config__ynode_type(val));
			rc = -1;
			continue;
		}
		if (fn(v, key, val, base + *count * elsize) != 0)
			rc = -1;
		(*count)++;	/* counted even on error: freed with the rest */
	}
	return rc;
}

/* An empty mapping to stand for "name: null" (no settings). */
static const struct ynode empty_map = { YNODE_MAP, { 0, 0 }, NULL, 0, 0,
    NULL, 0 };

static const struct ynode *
settings(const struct ynode *val)
{
	return config__ynode_is_null(val) ? &empty_map : val;
}

/*
 * config__entry_start - what every entry of a section does first: take its
 * name and position, check its keys against allowed, and name it for
 * messages ("list \"news\"") in where. *val becomes its settings.
 */
int
config__entry_start(struct config__vctx *v, const char *kind,
    const struct ynode *key, const struct ynode **val,
    const char *const allowed[], char *where, size_t wsize, char **name,
    struct config_mark *mark)
{
	*val = settings(*val);
	*mark = key->mark;
	if ((*name = clr_strdup(key->str)) == NULL)
		return -1;
	snprintf(where, wsize, "%s \"%s\"", kind, key->str);
	config__check_keys(v, *val, allowed, where);
	return 0;
}

/*
 * config__get_path - a file or folder path, resolved against the
 * configuration's folder. Whether it exists is checked by whoever opens it.
 */
int
config__get_path(struct config__vctx *v, const struct ynode *map,
    const struct config_mark *at, const char *key, int required,
    const char *where, char **out, struct config_mark *mark)
{
	char	*raw = NULL;

	*out = NULL;
	if (config__get_str(v, map, at, key, required, PATH_MAX, where, &raw,
	    mark) != 0)
		return -1;
	if (raw == NULL)
		return 0;
	*out = config__resolve_path(v->cfg->dir, raw);
	clr_free(raw);
	if (*out == NULL) {
		config__error(v->c, mark, "\"%s\" in %s: path is too long", key,
		    where);
		return -1;
	}
	return 0;
}

/*
 * config__get_domain - a domain name, checked and normalised as lib/addr
 * does for the domain of an address (IDNA2008 A-labels, lower case).
 */
int
config__get_domain(struct config__vctx *v, const struct ynode *map,
    const struct config_mark *at, const char *key, int required,
    const char *where, char **out)
{
	struct config_mark	 m;
	char			 probe[ADDR_MAX + 1], norm[ADDR_MAX + 1];
	const char		*why;
	int			 n;

	if (config__get_str(v, map, at, key, required, 255, where, out,
	    &m) != 0)
		return -1;
	if (*out == NULL)
		return 0;
	n = snprintf(probe, sizeof(probe), "postmaster@%s", *out);
	if (n < 0 || (size_t)n >= sizeof(probe) || addr_normalize(probe,
	    (size_t)n, norm, &why) != 0) {
		config__error(v->c, &m, "\"%s\" in %s is not a valid domain "
		    "name", key, where);
		clr_free(*out);
		*out = NULL;
		return -1;
	}
	clr_free(*out);
	if ((*out = clr_strdup(addr_domain(norm))) == NULL)
		return -1;
	return 0;
}

/* config__is_label - a DNS label sequence, as a DKIM selector ("s2026.a"). */
int
config__is_label(const char *s)
{
	size_t	 len = 0;

	for (; *s != '\0'; s++) {
		if (*s == '.') {
			if (len == 0 || s[-1] == '-')
				return 0;
			len = 0;
			continue;
		}
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || (*s == '-' && len > 0)))
			return 0;
		if (++len > 63)
			return 0;
	}
	return len > 0 && s[-1] != '-';
}

/* config__resolve_path - value relative to the configuration's folder. */
char *
config__resolve_path(const char *dir, const char *value)
{
	struct buf	 b = BUF_INITIALIZER(PATH_MAX);

	if (value[0] == '/')
		return clr_strdup(value);
	if (buf_printf(&b, "%s/%s", dir, value) != 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

int
config__get_str(struct config__vctx *v, const struct ynode *map,
    const struct config_mark *at, const char *key, int required, size_t max,
    const char *where, char **out, struct config_mark *mark)
{
	return config__get_text(v, map, at, key, required, max, 0, where, out,
	    mark);
}

int
config__number_unit(const char *s, const struct config__unit *units,
    size_t nunits, uint64_t max, uint64_t *out)
{
	unsigned long long	 num;
	char			*end;
	size_t			 i;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	num = strtoull(s, &end, 10);
	for (i = 0; i < nunits; i++)
		if (strcmp(end, units[i].name) == 0)
			break;
	if (i == nunits)
		return -1;
	if (errno == ERANGE || num > max / units[i].factor)
		return -2;
	*out = num * units[i].factor;
	return 0;
}
