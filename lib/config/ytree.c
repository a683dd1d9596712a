/* SPDX-License-Identifier: ISC */
/*
 * config/ytree.c - libyaml events -> tree of marked nodes
 *
 * libyaml reports invalid UTF-8 with a byte offset only, so the input is
 * checked here first to give the line and column. The tree is built with an
 * explicit stack (bounded depth), never by recursion on untrusted input.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <yaml.h>

#include "util/alloc.h"
#include "util/buf.h"
#include "util/utf8.h"
#include "ytree.h"

#define YTREE_MAX_DEPTH	32
#define YTREE_MAX_NODES	100000

void
config__error(struct config__ctx *ctx, const struct config_mark *m,
    const char *fmt, ...)
{
	struct buf	 b = BUF_INITIALIZER(4096);
	va_list		 ap;

	ctx->errors++;
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	config_diag_add(ctx->diag, ctx->file, m, "%s",
	    b.data != NULL ? b.data : "out of memory");
	buf_free(&b);
}

static struct config_mark
ymark(yaml_mark_t m)
{
	struct config_mark	 r;

	r.line = (unsigned)m.line + 1;
	r.col = (unsigned)m.column + 1;
	return r;
}

/* check_utf8 - report the first invalid byte with its line and column. */
static int
check_utf8(struct config__ctx *ctx, const char *data, size_t len)
{
	struct config_mark	 m = { 1, 1 };
	size_t			 bad, i;

	if (utf8_valid(data, len, &bad))
		return 0;
	for (i = 0; i < bad; i++) {
		unsigned char	 c = (unsigned char)data[i];

		if (c == '\n') {
			m.line++;
			m.col = 1;
		} else if ((c & 0xC0) != 0x80)
			m.col++;	/* count characters, as libyaml does */
	}
	config__error(ctx, &m, "invalid UTF-8 (byte 0x%02X)",
	    (unsigned char)data[bad]);
	return -1;
}

static void
report_parser_error(struct config__ctx *ctx, const yaml_parser_t *p)
{
	struct config_mark	 m = ymark(p->problem_mark);
	const char		*problem = p->problem ? p->problem :
	    "YAML syntax error";

	if (p->context != NULL)
		config__error(ctx, &m, "%s (%s at line %u)", problem,
		    p->context, (unsigned)p->context_mark.line + 1);
	else
		config__error(ctx, &m, "%s", problem);
}

static struct ynode *
node_new(enum ynode_kind kind, yaml_mark_t m)
{
	struct ynode	*n;

	if ((n = clr_calloc(1, sizeof(*n))) == NULL)
		return NULL;
	n->kind = kind;
	n->mark = ymark(m);
	return n;
}

static int
node_add(struct ynode *parent, struct ynode *kid)
{
	struct ynode	**k;

	k = clr_reallocarray(parent->kids, parent->nkids + 1, sizeof(*k));
	if (k == NULL)
		return -1;
	parent->kids = k;
	parent->kids[parent->nkids++] = kid;
	return 0;
}

void
config__ytree_free(struct ynode *n)
{
	size_t	 i;

	if (n == NULL)
		return;
	for (i = 0; i < n->nkids; i++)
		config__ytree_free(n->kids[i]);
	clr_free(n->kids);
	clr_free(n->str);
	clr_free(n);
}

int
config__ynode_is_null(const struct ynode *n)
{
	if (n->kind != YNODE_SCALAR || !n->plain)
		return 0;
	return n->len == 0 || strcmp(n->str, "~") == 0 ||
	    strcmp(n->str, "null") == 0 || strcmp(n->str, "Null") == 0 ||
	    strcmp(n->str, "NULL") == 0;
}

const char *
config__ynode_type(const struct ynode *n)
{
	switch (n->kind) {
	case YNODE_MAP:
		return "a mapping";
	case YNODE_SEQ:
		return "a sequence";
	case YNODE_SCALAR:
		break;
	}
	return config__ynode_is_null(n) ? "an empty value" : "a scalar";
}

/* A tag we accept: none, or the standard string tag on a scalar. */
static int
tag_ok(const yaml_char_t *tag, int scalar)
{
	return tag == NULL ||
	    (scalar && strcmp((const char *)tag, YAML_STR_TAG) == 0);
}

/* The state of the tree under construction. */
struct builder {
	struct ynode	*root;		/* owns every node made so far */
	struct ynode	*stack[YTREE_MAX_DEPTH];
	size_t		 depth;
	size_t		 nodes;
	int		 docs;
};

/*
 * attach - give a new node to the collection on top of the stack (or make it
 * the root), checking that mapping keys are unique scalars. On failure the
 * node is freed.
 */
static int
attach(struct config__ctx *ctx, struct builder *b, struct ynode *n)
{
	struct ynode	*top;
	size_t		 i;

	if (b->depth == 0) {
		b->root = n;
		return 0;
	}
	top = b->stack[b->depth - 1];
	if (top->kind == YNODE_MAP && top->nkids % 2 == 0) {
		if (n->kind != YNODE_SCALAR) {
			config__error(ctx, &n->mark,
			    "mapping keys must be plain strings, not %s",
			    config__ynode_type(n));
			goto fail;
		}
		for (i = 0; i < top->nkids; i += 2) {
			if (strcmp(top->kids[i]->str, n->str) == 0) {
				config__error(ctx, &n->mark,
				    "duplicate key \"%s\" (first at line %u, "
				    "column %u)", n->str,
				    top->kids[i]->mark.line,
				    top->kids[i]->mark.col);
				goto fail;
			}
		}
	}
	if (node_add(top, n) != 0) {
		config__error(ctx, &n->mark, "out of memory");
		goto fail;
	}
	return 0;
fail:
	config__ytree_free(n);
	return -1;
}

/* refuse_extras - anchors and tags are not part of clarion's YAML. */
static int
refuse_extras(struct config__ctx *ctx, const struct config_mark *m,
    const yaml_char_t *anchor, const yaml_char_t *tag, int scalar)
{
	if (anchor != NULL) {
		config__error(ctx, m, "anchors (&%s) are not allowed",
		    (const char *)anchor);
		return -1;
	}
	if (!tag_ok(tag, scalar)) {
		config__error(ctx, m, "tags (%s) are not allowed",
		    (const char *)tag);
		return -1;
	}
	return 0;
}

/* new_node - make a node, counted against YTREE_MAX_NODES. */
static struct ynode *
new_node(struct config__ctx *ctx, struct builder *b, enum ynode_kind kind,
    const yaml_event_t *ev)
{
	struct config_mark	 m = ymark(ev->start_mark);
	struct ynode		*n;

	if (++b->nodes > YTREE_MAX_NODES) {
		config__error(ctx, &m, "more than %d YAML nodes",
		    YTREE_MAX_NODES);
		return NULL;
	}
	if ((n = node_new(kind, ev->start_mark)) == NULL)
		config__error(ctx, &m, "out of memory");
	return n;
}

/* on_event - add one event to the tree: 1 at the end, 0 to go on, -1. */
static int
on_event(struct config__ctx *ctx, struct builder *b, const yaml_event_t *ev)
{
	struct config_mark	 m = ymark(ev->start_mark);
	struct ynode		*n;
	int			 seq;

	switch (ev->type) {
	case YAML_STREAM_END_EVENT:
		return 1;
	case YAML_DOCUMENT_START_EVENT:
		if (++b->docs > 1) {
			config__error(ctx, &m, "only one YAML document is "
			    "allowed in a configuration file");
			return -1;
		}
		return 0;
	case YAML_ALIAS_EVENT:
		config__error(ctx, &m, "aliases (*%s) are not allowed",
		    (const char *)ev->data.alias.anchor);
		return -1;
	case YAML_SCALAR_EVENT:
		if (refuse_extras(ctx, &m, ev->data.scalar.anchor,
		    ev->data.scalar.tag, 1) != 0)
			return -1;
		if (memchr(ev->data.scalar.value, '\0',
		    ev->data.scalar.length) != NULL) {
			/* A "\0" escape in a double-quoted scalar. */
			config__error(ctx, &m, "NUL characters are not allowed");
			return -1;
		}
		if ((n = new_node(ctx, b, YNODE_SCALAR, ev)) == NULL)
			return -1;
		n->len = ev->data.scalar.length;
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
		    ev->data.scalar.tag == NULL;
		if ((n->str = clr_strndup((const char *)ev->data.scalar.value,
		    n->len)) == NULL) {
			config__error(ctx, &m, "out of memory");
			config__ytree_free(n);
			return -1;
		}
		return attach(ctx, b, n);
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		seq = ev->type == YAML_SEQUENCE_START_EVENT;
		if (refuse_extras(ctx, &m, seq ?
		    ev->data.sequence_start.anchor :
		    ev->data.mapping_start.anchor, seq ?
		    ev->data.sequence_start.tag :
		    ev->data.mapping_start.tag, 0) != 0)
			return -1;
		if (b->depth == YTREE_MAX_DEPTH) {
			config__error(ctx, &m, "nested deeper than %d levels",
			    YTREE_MAX_DEPTH);
			return -1;
		}
		n = new_node(ctx, b, seq ? YNODE_SEQ : YNODE_MAP, ev);
		if (n == NULL || attach(ctx, b, n) != 0)
			return -1;
		b->stack[b->depth++] = n;
		return 0;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		b->depth--;
		return 0;
	default:
		return 0;
	}
}

struct ynode *
config__ytree_parse(struct config__ctx *ctx, const char *data, size_t len)
{
	yaml_parser_t	 p;
	yaml_event_t	 ev;
	struct builder	 b;
	int		 rc;

	memset(&b, 0, sizeof(b));
	if (check_utf8(ctx, data, len) != 0)
		return NULL;
	if (!yaml_parser_initialize(&p)) {
		config__error(ctx, NULL, "out of memory");
		return NULL;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)data, len);
	yaml_parser_set_encoding(&p, YAML_UTF8_ENCODING);
	do {
		if (!yaml_parser_parse(&p, &ev)) {
			report_parser_error(ctx, &p);
			rc = -1;
			break;
		}
		rc = on_event(ctx, &b, &ev);
		yaml_event_delete(&ev);
	} while (rc == 0);
	yaml_parser_delete(&p);
	if (rc < 0) {
		config__ytree_free(b.root);
		return NULL;
	}
	return b.root;
}
