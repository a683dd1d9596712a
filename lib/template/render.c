/* SPDX-License-Identifier: ISC */
/*
 * template/render.c - running compiled templates
 *
 * tpl_render walks a unit's instructions: text runs are copied with one
 * buf_append each, values are looked up through the caller's struct
 * tpl_data and escaped, sections loop over their range of instructions,
 * and partial calls run another unit. Nothing is parsed and nothing is
 * allocated but the output's growth; the context stack is an array on
 * the C stack, since it never holds more than TPL_MAX_DEPTH + 1 entries.
 *
 * Name resolution follows the spec: "." is the top of the context stack;
 * otherwise the first part is looked up in each object on the stack from
 * the top down, and the first object that has it wins (even when its value
 * is null), then each further part is looked up in the value found so
 * far only. Falsy are an absent value, null, false and the empty list;
 * everything else, the empty string and zero included, is truthy. A list
 * or object interpolates as nothing.
 *
 * Bounds: the depth of nested section bodies and partial calls
 * (TPL_MAX_DEPTH), the output (the buf's cap) and the number of
 * instructions run (TPL__STEPS_MAX, which stops lists nested in
 * recursive partials from running exponentially long without output).
 * Each exceeded bound is CLR_ETOOBIG. tpl_render only reads the struct
 * tpl, so any number of threads may render one template at once.
 */
#include <stdint.h>
#include <string.h>

#include "template.h"
#include "template_impl.h"
#include "util/buf.h"
#include "util/err.h"

struct render {
	const struct tpl	*t;
	const struct tpl_data	*d;
	struct buf		*out;
	uint32_t		 steps;		/* left */
	unsigned		 nctx;
	tpl_node		 ctx[TPL_MAX_DEPTH + 1];
};

static tpl_node	 lookup(const struct render *, const struct tpl__op *);
static int	 truthy(const struct render *, tpl_node, enum tpl_kind *);
static int	 put_escaped(struct buf *, const char *, size_t);
static int	 put_value(struct render *, const struct tpl__op *);
static int	 run(struct render *, const struct tpl__unit *, uint32_t,
		    uint32_t, unsigned);
static int	 section(struct render *, const struct tpl__unit *, uint32_t,
		    unsigned);

/* The bytes TPL_ESCAPE_HTML replaces, and what with. */
static const char *const entity[256] = {
	['&'] = "&amp;",
	['<'] = "&lt;",
	['>'] = "&gt;",
	['"'] = "&quot;",
	['\''] = "&#39;",
};

/* lookup - resolve the name of op against the context stack. */
static tpl_node
lookup(const struct render *r, const struct tpl__op *op)
{
	const struct tpl_data	*d = r->d;
	const struct tpl__part	*part;
	const char		*strs = r->t->strs.data;
	tpl_node		 v = NULL, c;
	unsigned		 k, i;

	if (op->nparts == 0)
		return r->ctx[r->nctx - 1];
	part = &r->t->parts[op->a];
	for (k = r->nctx; k-- > 0; ) {
		c = r->ctx[k];
		if (c == NULL || d->kind(d->ud, c) != TPL_OBJECT)
			continue;
		v = d->get(d->ud, c, strs + part->off, part->len);
		if (v != NULL)
			break;
	}
	for (i = 1; v != NULL && i < op->nparts; i++) {
		if (d->kind(d->ud, v) != TPL_OBJECT)
			return NULL;
		part++;
		v = d->get(d->ud, v, strs + part->off, part->len);
	}
	return v;
}

/* truthy - whether a section over v renders; *kind gets v's kind. */
static int
truthy(const struct render *r, tpl_node v, enum tpl_kind *kind)
{
	if (v == NULL) {
		*kind = TPL_NULL;
		return 0;
	}
	*kind = r->d->kind(r->d->ud, v);
	switch (*kind) {
	case TPL_NULL:
	case TPL_FALSE:
		return 0;
	case TPL_LIST:
		return r->d->count(r->d->ud, v) > 0;
	default:
		return 1;
	}
}

/* put_escaped - append s[0..n) with & < > " ' as entities. */
static int
put_escaped(struct buf *b, const char *s, size_t n)
{
	const char	*e;
	size_t		 i, run = 0;
	int		 rc;

	for (i = 0; i < n; i++) {
		if ((e = entity[(unsigned char)s[i]]) == NULL)
			continue;
		if ((rc = buf_append(b, s + run, i - run)) != 0 ||
		    (rc = buf_append(b, e, strlen(e))) != 0)
			return rc;
		run = i + 1;
	}
	return buf_append(b, s + run, n - run);
}

static int
put_value(struct render *r, const struct tpl__op *op)
{
	tpl_node	 v = lookup(r, op);
	const char	*s = NULL;
	size_t		 n = 0;

	if (v == NULL)
		return 0;
	switch (r->d->kind(r->d->ud, v)) {
	case TPL_NULL:
	case TPL_LIST:
	case TPL_OBJECT:
		return 0;
	default:
		break;
	}
	r->d->text(r->d->ud, v, &s, &n);
	if (s == NULL || n == 0)
		return 0;
	if (op->escape)
		return put_escaped(r->out, s, n);
	return buf_append(r->out, s, n);
}

/*
 * section - the section or inverted section at index i of unit u, at
 * depth (bodies and calls around it). Its body is [i + 1, op->b).
 */
static int
section(struct render *r, const struct tpl__unit *u, uint32_t i,
    unsigned depth)
{
	const struct tpl__op	*op = &u->ops[i];
	tpl_node		 v = lookup(r, op);
	enum tpl_kind		 kind;
	size_t			 k, n;
	int			 yes = truthy(r, v, &kind), rc;

	if (op->code == TPL__OP_INVERTED) {
		if (yes)
			return 0;
		if (depth + 1 > TPL_MAX_DEPTH)
			return CLR_ETOOBIG;
		return run(r, u, i + 1, op->b, depth + 1);
	}
	if (!yes)
		return 0;
	if (depth + 1 > TPL_MAX_DEPTH)
		return CLR_ETOOBIG;
	if (kind != TPL_LIST) {
		r->ctx[r->nctx++] = v;
		rc = run(r, u, i + 1, op->b, depth + 1);
		r->nctx--;
		return rc;
	}
	n = r->d->count(r->d->ud, v);
	for (k = 0; k < n; k++) {
		if (r->steps == 0)
			return CLR_ETOOBIG;
		r->steps--;
		r->ctx[r->nctx++] = r->d->item(r->d->ud, v, k);
		rc = run(r, u, i + 1, op->b, depth + 1);
		r->nctx--;
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* run - the instructions [i, end) of unit u, at depth. */
static int
run(struct render *r, const struct tpl__unit *u, uint32_t i, uint32_t end,
    unsigned depth)
{
	const struct tpl__op	*op;
	int			 rc;

	while (i < end) {
		if (r->steps == 0)
			return CLR_ETOOBIG;
		r->steps--;
		op = &u->ops[i];
		switch (op->code) {
		case TPL__OP_TEXT:
			rc = buf_append(r->out, r->t->text.data + op->a, op->b);
			i++;
			break;
		case TPL__OP_VALUE:
			rc = put_value(r, op);
			i++;
			break;
		case TPL__OP_SECTION:
		case TPL__OP_INVERTED:
			rc = section(r, u, i, depth);
			i = op->b;
			break;
		case TPL__OP_PARTIAL:
			if (op->a == TPL__TOO_DEEP || depth + 1 > TPL_MAX_DEPTH)
				return CLR_ETOOBIG;
			rc = run(r, &r->t->units[op->a], 0,
			    r->t->units[op->a].nops, depth + 1);
			i++;
			break;
		default:
			rc = CLR_EINVAL;
			break;
		}
		if (rc != 0)
			return rc;
	}
	return 0;
}

int
tpl_render(const struct tpl *t, const struct tpl_data *d, tpl_node root,
    struct buf *out)
{
	struct render	 r;

	if (t == NULL || d == NULL || out == NULL || d->kind == NULL ||
	    d->get == NULL || d->count == NULL || d->item == NULL ||
	    d->text == NULL)
		return CLR_EINVAL;
	r.t = t;
	r.d = d;
	r.out = out;
	r.steps = TPL__STEPS_MAX;
	r.nctx = 1;
	r.ctx[0] = root;
	return run(&r, &t->units[0], 0, t->units[0].nops, 0);
}

void
tpl_foreach_name(const struct tpl *t,
    void (*fn)(void *, const struct tpl_name *), void *arg)
{
	const struct tpl__name	*nm;
	struct tpl_name		 n;
	uint32_t		 i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nnames; i++) {
		nm = &t->names[i];
		if (!nm->report)
			continue;
		n.name = t->strs.data + nm->off;
		n.len = nm->len;
		n.file = t->strs.data + nm->file;
		n.line = nm->line;
		n.col = nm->col;
		n.section = nm->section;
		fn(arg, &n);
	}
}
