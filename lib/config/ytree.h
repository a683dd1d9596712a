/* SPDX-License-Identifier: ISC */
/*
 * config/ytree.h - internal: a YAML document as a tree of marked nodes
 *
 * The loader turns libyaml's event stream into this tree, refusing what
 * clarion's configuration never needs (anchors, aliases, tags, several
 * documents, non-scalar or duplicate keys), so that the validation in
 * config.c walks plain data and every node knows its line and column.
 */
#ifndef CLARION_CONFIG_YTREE_H
#define CLARION_CONFIG_YTREE_H

#include <stddef.h>

#include "config.h"

enum ynode_kind {
	YNODE_SCALAR,
	YNODE_MAP,
	YNODE_SEQ
};

struct ynode {
	enum ynode_kind		 kind;
	struct config_mark	 mark;
	char			*str;	/* scalar text, NUL-terminated */
	size_t			 len;
	int			 plain;	/* unquoted scalar: may be null/bool */
	struct ynode		**kids;	/* map: key, value, key, value...; seq: items */
	size_t			 nkids;
};

/* Where errors go: the file name for messages and the diagnostics list. */
struct config__ctx {
	const char		*file;
	struct config_diag	*diag;
	int			 errors;
};

void	 config__error(struct config__ctx *, const struct config_mark *,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Parse data into a tree; NULL after reporting the errors to ctx. */
struct ynode	*config__ytree_parse(struct config__ctx *, const char *data,
		    size_t len);
void		 config__ytree_free(struct ynode *);

/* A plain null ("", "~", "null", "Null", "NULL"). */
int		 config__ynode_is_null(const struct ynode *);

/* Human name of a node's type, for "expected a string, got a sequence". */
const char	*config__ynode_type(const struct ynode *);

#endif
