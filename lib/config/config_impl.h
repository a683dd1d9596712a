/* SPDX-License-Identifier: ISC */
/*
 * config/config_impl.h - internal: what the section parsers share
 *
 * The validation of each section (config.c: lists to campaigns; relay.c:
 * relays and shaping; sending.c: sending and the control socket) walks
 * the YAML tree with these helpers. Each takes a struct config__vctx
 * (where errors go, and the configuration being filled), reports what is
 * wrong with its position, and returns -1.
 */
#ifndef CLARION_CONFIG_IMPL_H
#define CLARION_CONFIG_IMPL_H

#include <stddef.h>

#include "config.h"
#include "ytree.h"

#define CONFIG__NAME_MAX	64	/* lists, themes, relays... */

struct config__vctx {
	struct config__ctx	*c;
	struct config		*cfg;
};

/* The value for key in a mapping, or NULL; *keyn (if not NULL): the key. */
const struct ynode *config__map_get(const struct ynode *map, const char *key,
	    const struct ynode **keyn);

/* Report each key of map that is not in allowed (NULL-terminated). */
void	config__check_keys(struct config__vctx *, const struct ynode *map,
	    const char *const allowed[], const char *where);

/* n is of kind, and not null; else report "WHAT must be ..." and -1. */
int	config__want_kind(struct config__vctx *, const struct ynode *n,
	    enum ynode_kind kind, const char *what);

/*
 * The scalar at key: 0 with *n NULL when absent or null, 0 with *n set, or
 * -1 (reported) when it is a mapping or a sequence.
 */
int	config__scalar_at(struct config__vctx *, const struct ynode *map,
	    const char *key, const char *where, const struct ynode **n);

/* A whole number in [min, max]; *out keeps its default when absent. */
int	config__get_uint(struct config__vctx *, const struct ynode *map,
	    const char *key, unsigned min, unsigned max, const char *where,
	    unsigned *out);

/*
 * The string at key in map, copied into *out (NULL if absent and not
 * required; at marks the mapping for "missing" errors), at most max octets,
 * no control characters; *mark (if not NULL) gets its position.
 */
int	config__get_str(struct config__vctx *, const struct ynode *map,
	    const struct config_mark *at, const char *key, int required,
	    size_t max, const char *where, char **out,
	    struct config_mark *mark);
int	config__get_text(struct config__vctx *, const struct ynode *map,
	    const struct config_mark *at, const char *key, int required,
	    size_t max, int multiline, const char *where, char **out,
	    struct config_mark *mark);

/* A name of a list, theme...: 1 to 64 of [a-z0-9_-], not starting with
 * '-' or '_'. */
int	config__check_name(struct config__vctx *, const struct ynode *n,
	    const char *what);

/* An e-mail address, normalised by lib/addr. */
int	config__get_addr(struct config__vctx *, const struct ynode *map,
	    const struct config_mark *at, const char *key, int required,
	    const char *where, char **out);

/* A path, resolved against the configuration's folder. */
int	config__get_path(struct config__vctx *, const struct ynode *map,
	    const struct config_mark *at, const char *key, int required,
	    const char *where, char **out, struct config_mark *mark);
char	*config__resolve_path(const char *dir, const char *value);

/* A domain name, normalised as lib/addr does (A-labels, lower case). */
int	config__get_domain(struct config__vctx *, const struct ynode *map,
	    const struct config_mark *at, const char *key, int required,
	    const char *where, char **out);

/* A sequence of DNS labels ("s2026.a"). */
int	config__is_label(const char *);

/*
 * A section that maps names to mappings of settings: fn is called for
 * each entry with a zeroed element of elsize octets of *arr (allocated
 * here, counted in *count even when fn fails, so it can be freed).
 */
typedef int (*config__entry_fn)(struct config__vctx *,
	    const struct ynode *key, const struct ynode *val, void *elem);

int	config__for_each_entry(struct config__vctx *, const struct ynode *top,
	    const char *section, const char *what, int required,
	    size_t elsize, void **arr, size_t *count, config__entry_fn fn);

/* What each entry does first: its name, position and keys; where gets
 * "KIND \"NAME\"" for messages, *val its settings (never null). */
int	config__entry_start(struct config__vctx *, const char *kind,
	    const struct ynode *key, const struct ynode **val,
	    const char *const allowed[], char *where, size_t wsize,
	    char **name, struct config_mark *mark);

/* relay.c: the sections "relays" and "shaping", and what they own. */
void	config__parse_relays(struct config__vctx *, const struct ynode *root);
void	config__parse_shaping(struct config__vctx *, const struct ynode *root);
void	config__free_relays(struct config *);

/* sending.c: the section "sending" and the key "control_socket" (after
 * "database": its default derives from it). */
void	config__parse_sending(struct config__vctx *, const struct ynode *root);
void	config__parse_control_socket(struct config__vctx *,
	    const struct ynode *root);
void	config__free_sending(struct config *);

/* A unit a number may be written in, and what one of it is worth. */
struct config__unit {
	const char	*name;		/* the suffix: "s", "MiB", "" */
	uint64_t	 factor;
};

/*
 * s as a whole number (decimal digits) followed at once by the name of
 * one of units, times its factor, into *out. 0; -1 if s is not written
 * so; -2 if the value is over max (or overflows). The caller reports
 * either, and checks any lower bound.
 */
int	config__number_unit(const char *s, const struct config__unit *units,
	    size_t nunits, uint64_t max, uint64_t *out);

#endif
