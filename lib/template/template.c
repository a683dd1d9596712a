/* SPDX-License-Identifier: ISC */
/*
 * template/template.c - the Mustache compiler
 *
 * Turns a template and its partials into the instruction lists of
 * template_impl.h, in one pass over each source. Implements the core
 * modules of the Mustache spec v1.4 (interpolation, sections, inverted
 * sections, comments, set delimiters, partials) with its standalone-line
 * rules: a section, inverted, close, comment, partial or delimiter tag
 * alone on its line, but for spaces and tabs, removes the whole line,
 * "\n" or "\r\n" included; a standalone partial is indented by the
 * whitespace that was before its tag. Lambdas, dynamic names and
 * inheritance are not implemented, and their tags are refused rather
 * than misread.
 *
 * Partials are compiled breadth first: a partial tag names a unit (a
 * partial at one indentation), created the first time it is seen and
 * compiled after the units before it. So a unit's depth is the shortest
 * chain of partial calls that reaches it, and a unit that would be deeper
 * than TPL_MAX_DEPTH is never built: its call always fails at render time
 * (with CLR_ETOOBIG), as any path to it makes too many nested calls. That
 * is what bounds recursive partials whose indentation grows with depth.
 *
 * Trust boundary: sources are untrusted (campaign authors write them).
 * Every size is bounded (template_impl.h): source length, total source
 * compiled, text, instructions, partial instances, section nesting, name
 * parts, delimiter length. Errors name the file, line and column of the
 * offending tag; the compiler does not read files itself.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "template.h"
#include "template_impl.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/err.h"

#define NPOS		((size_t)-1)
#define UNIT_SLOTS	(2 * TPL__UNITS_MAX)	/* power of two */
#define SHOW_MAX	60	/* bytes of a name quoted in a message */

/* One tpl_compile call. */
struct cc {
	struct tpl		*t;
	const struct tpl_loader	*loader;
	enum tpl_escape		 escape;
	struct clr_err		*err;
	size_t			 srcbytes;	/* compiled, all units */
	size_t			 nops;		/* emitted, all units */
	uint32_t		 partscap, namescap, unitscap;
	struct buf		 scratch;	/* an indentation being built */
	uint32_t		 slots[UNIT_SLOTS]; /* unit index + 1, or 0 */
};

struct open_section {
	uint32_t	 op;		/* its TPL__OP_SECTION or _INVERTED */
	size_t		 name, namelen;	/* in the source */
	unsigned	 line, col;
};

/* The compilation of one unit. */
struct uc {
	struct cc	*cc;
	uint32_t	 unit;
	const char	*src;		/* borrowed */
	size_t		 len;
	uint32_t	 depth;
	size_t		 indentlen;	/* its indent is in strs */
	struct tpl__op	*ops;
	uint32_t	 nops, cap;
	int64_t		 last_text;	/* a TEXT op to extend, or -1 */
	char		 otag[TPL__DELIM_MAX], ctag[TPL__DELIM_MAX];
	size_t		 olen, clen;
	size_t		 lcpos;		/* line and column of lcpos */
	unsigned	 line, col;
	struct open_section open[TPL_MAX_DEPTH];
	unsigned	 nopen;
};

/* A tag: [ts, te) in the source, content [cs, ce) trimmed. */
struct tag {
	int		 type;		/* 0: a value, else # ^ / ! > & { = */
	size_t		 ts, te, cs, ce;
	int		 standalone;
	size_t		 ls;		/* start of its line, if standalone */
};

static int	 fail(struct uc *, unsigned, unsigned, int, const char *, ...)
		    __attribute__((format(printf, 5, 6)));
static int	 fail_here(struct uc *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static int	 fail_buf(struct uc *, int, const char *);
static size_t	 find(const char *, size_t, size_t, const char *, size_t);
static int	 is_space(int);
static void	 advance(struct uc *, size_t);
static int	 put_str(struct cc *, const char *, size_t, uint32_t *);
static int	 emit(struct uc *, int, uint32_t, uint32_t, uint16_t, int);
static int	 emit_bytes(struct uc *, const char *, size_t);
static int	 emit_text(struct uc *, size_t, size_t);
static int	 emit_indent_at(struct uc *, size_t);
static int	 add_name(struct uc *, const struct tag *, int, uint32_t *,
		    uint16_t *);
static int	 set_delimiters(struct uc *, const struct tag *);
static int	 open_section(struct uc *, const struct tag *);
static int	 close_section(struct uc *, const struct tag *);
static uint32_t	 slot_hash(const char *, size_t, const char *, size_t);
static int	 partial(struct uc *, const struct tag *);
static int	 new_unit(struct uc *, const char *, size_t, const char *,
		    size_t, const char *, uint32_t *);
static int	 parse_tag(struct uc *, size_t, size_t *);
static int	 compile_unit(struct cc *, uint32_t);

/*
 * fail - set err to "FILE:LINE:COL: what", naming the including tag when
 * the unit is a partial. Returns code.
 */
static int
fail(struct uc *u, unsigned line, unsigned col, int code, const char *fmt,
    ...)
{
	const struct tpl	*t = u->cc->t;
	const struct tpl__unit	*un = &t->units[u->unit];
	const char		*file = t->strs.data + un->file;
	char			 what[320];
	va_list			 ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (u->unit == 0)
		return clr_err_set(u->cc->err, code, "%s:%u:%u: %s", file,
		    line, col, what);
	return clr_err_set(u->cc->err, code, "%s:%u:%u: %s (in partial "
	    "\"%.*s\" included at %s:%u:%u)", file, line, col, what,
	    (int)(un->namelen < SHOW_MAX ? un->namelen : SHOW_MAX),
	    t->strs.data + un->name, t->strs.data + un->from_file,
	    un->from_line, un->from_col);
}

/* fail_here - fail at the tag being compiled. */
static int
fail_here(struct uc *u, int code, const char *fmt, ...)
{
	char	 what[320];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return fail(u, u->line, u->col, code, "%s", what);
}

/* fail_buf - a buf append failed: out of memory, or what is too big. */
static int
fail_buf(struct uc *u, int rc, const char *what)
{
	if (rc == CLR_ETOOBIG)
		return fail_here(u, rc, "%s", what);
	return fail_here(u, CLR_ENOMEM, "out of memory");
}

/* find - the offset of needle in s[from..len), or NPOS. */
static size_t
find(const char *s, size_t from, size_t len, const char *needle,
    size_t nlen)
{
	const char	*p = s + from, *end = s + len, *q;

	while ((size_t)(end - p) >= nlen) {
		q = memchr(p, needle[0], (size_t)(end - p) - nlen + 1);
		if (q == NULL)
			return NPOS;
		if (memcmp(q, needle, nlen) == 0)
			return (size_t)(q - s);
		p = q + 1;
	}
	return NPOS;
}

static int
is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
	    c == '\v' || c == '\f';
}

/*
 * advance - move the line/column cursor to pos (never backwards). Columns
 * count characters: every byte but UTF-8 continuation bytes.
 */
static void
advance(struct uc *u, size_t pos)
{
	for (; u->lcpos < pos; u->lcpos++) {
		unsigned char	 c = (unsigned char)u->src[u->lcpos];

		if (c == '\n') {
			u->line++;
			u->col = 1;
		} else if ((c & 0xC0) != 0x80)
			u->col++;
	}
}

/* put_str - copy s[0..n) and a NUL into strs; *off gets its offset. */
static int
put_str(struct cc *cc, const char *s, size_t n, uint32_t *off)
{
	struct buf	*b = &cc->t->strs;
	int		 rc;

	*off = (uint32_t)b->len;
	if ((rc = buf_append(b, s, n)) != 0 || (rc = buf_putc(b, '\0')) != 0)
		return rc;
	return 0;
}

static int
emit(struct uc *u, int code, uint32_t a, uint32_t b, uint16_t nparts,
    int escape)
{
	struct tpl__op	*ops, *op;
	uint32_t	 cap;

	if (u->cc->nops >= TPL__OPS_MAX)
		return fail_here(u, CLR_ETOOBIG, "more than %u instructions",
		    TPL__OPS_MAX);
	if (u->nops == u->cap) {
		cap = u->cap ? u->cap * 2 : 16;
		if ((ops = clr_reallocarray(u->ops, cap, sizeof(*ops))) == NULL)
			return fail_here(u, CLR_ENOMEM, "out of memory");
		u->ops = ops;
		u->cap = cap;
	}
	op = &u->ops[u->nops++];
	op->code = (uint8_t)code;
	op->escape = (uint8_t)escape;
	op->nparts = nparts;
	op->a = a;
	op->b = b;
	u->cc->nops++;
	u->last_text = -1;
	return 0;
}

/* emit_bytes - append text, extending the previous text run if it can. */
static int
emit_bytes(struct uc *u, const char *p, size_t n)
{
	struct buf	*text = &u->cc->t->text;
	struct tpl__op	*last;
	uint32_t	 off = (uint32_t)text->len;
	int		 rc;

	if (n == 0)
		return 0;
	if ((rc = buf_append(text, p, n)) != 0)
		return fail_buf(u, rc, "template text is too long");
	if (u->last_text >= 0) {
		last = &u->ops[u->last_text];
		if (last->a + last->b == off) {
			last->b += (uint32_t)n;
			return 0;
		}
	}
	if ((rc = emit(u, TPL__OP_TEXT, off, (uint32_t)n, 0, 0)) != 0)
		return rc;
	u->last_text = u->nops - 1;
	return 0;
}

/*
 * emit_text - the source text [a, b), with the unit's indentation before
 * each line that starts in it (the spec indents a standalone partial's
 * lines, not the values it interpolates).
 */
static int
emit_text(struct uc *u, size_t a, size_t b)
{
	const char	*nl;
	size_t		 q;
	int		 rc;

	if (u->indentlen == 0)
		return emit_bytes(u, u->src + a, b - a);
	while (a < b) {
		if ((rc = emit_indent_at(u, a)) != 0)
			return rc;
		nl = memchr(u->src + a, '\n', b - a);
		q = nl != NULL ? (size_t)(nl - u->src) + 1 : b;
		if ((rc = emit_bytes(u, u->src + a, q - a)) != 0)
			return rc;
		a = q;
	}
	return 0;
}

/* emit_indent_at - the indentation, if a line of the source starts at p. */
static int
emit_indent_at(struct uc *u, size_t p)
{
	const struct tpl	*t = u->cc->t;
	const struct tpl__unit	*un = &t->units[u->unit];

	if (u->indentlen == 0 || p >= u->len ||
	    (p > 0 && u->src[p - 1] != '\n'))
		return 0;
	return emit_bytes(u, t->strs.data + un->indent, u->indentlen);
}

/*
 * add_name - check the name of tag g, split it into parts and record it
 * for tpl_foreach_name. Names are "." or non-empty parts joined by dots.
 */
static int
add_name(struct uc *u, const struct tag *g, int section, uint32_t *part0,
    uint16_t *nparts)
{
	struct cc		*cc = u->cc;
	struct tpl		*t = cc->t;
	const char		*s = u->src + g->cs;
	size_t			 len = g->ce - g->cs, i, start;
	struct tpl__name	*nm;
	struct tpl__part	*pt;
	uint32_t		 off, n = 0, cap;
	int			 rc, shown;

	shown = (int)(len < SHOW_MAX ? len : SHOW_MAX);
	if (len == 0)
		return fail_here(u, CLR_ESYNTAX, "empty tag name");
	for (i = 0; i < len; i++)
		if (is_space((unsigned char)s[i]))
			return fail_here(u, CLR_ESYNTAX, "tag name \"%.*s\" "
			    "contains whitespace", shown, s);
	if (!(len == 1 && s[0] == '.')) {
		if (s[0] == '.' || s[len - 1] == '.' ||
		    find(s, 0, len, "..", 2) != NPOS)
			return fail_here(u, CLR_ESYNTAX, "bad name \"%.*s\": "
			    "a dotted name has an empty part", shown, s);
		for (i = 0, n = 1; i < len; i++)
			if (s[i] == '.')
				n++;
		if (n > TPL__PARTS_MAX)
			return fail_here(u, CLR_ETOOBIG, "name \"%.*s\" has "
			    "more than %d parts", shown, s, TPL__PARTS_MAX);
	}
	if ((rc = put_str(cc, s, len, &off)) != 0)
		return fail_buf(u, rc, "too many names");
	if (t->nnames == cc->namescap) {
		cap = cc->namescap ? cc->namescap * 2 : 16;
		if ((nm = clr_reallocarray(t->names, cap, sizeof(*nm))) == NULL)
			return fail_here(u, CLR_ENOMEM, "out of memory");
		t->names = nm;
		cc->namescap = cap;
	}
	if (t->nparts + n > cc->partscap) {
		cap = cc->partscap ? cc->partscap : 16;
		while (cap < t->nparts + n)
			cap *= 2;
		if ((pt = clr_reallocarray(t->parts, cap, sizeof(*pt))) == NULL)
			return fail_here(u, CLR_ENOMEM, "out of memory");
		t->parts = pt;
		cc->partscap = cap;
	}
	nm = &t->names[t->nnames++];
	nm->off = off;
	nm->len = (uint32_t)len;
	nm->file = t->units[u->unit].file;
	nm->line = u->line;
	nm->col = u->col;
	nm->section = (uint8_t)section;
	nm->report = t->units[u->unit].report;
	*part0 = t->nparts;
	*nparts = (uint16_t)n;
	for (i = 0, start = 0; n > 0 && i <= len; i++) {
		if (i < len && s[i] != '.')
			continue;
		pt = &t->parts[t->nparts++];
		pt->off = off + (uint32_t)start;
		pt->len = (uint32_t)(i - start);
		start = i + 1;
	}
	return 0;
}

/* set_delimiters - {{=<% %>=}}: two non-empty words, nothing else. */
static int
set_delimiters(struct uc *u, const struct tag *g)
{
	const char	*s = u->src;
	size_t		 o = g->cs, oe, c, ce = g->ce, i;

	for (oe = o; oe < ce && !is_space((unsigned char)s[oe]); oe++)
		;
	for (c = oe; c < ce && is_space((unsigned char)s[c]); c++)
		;
	for (i = c; i < ce; i++)
		if (is_space((unsigned char)s[i]))
			break;
	if (oe == o || c == ce || i < ce)
		return fail_here(u, CLR_ESYNTAX, "bad delimiter change: "
		    "expected two delimiters separated by whitespace, as "
		    "in {{=<%% %%>=}}");
	if (oe - o > TPL__DELIM_MAX || ce - c > TPL__DELIM_MAX)
		return fail_here(u, CLR_ESYNTAX, "bad delimiter change: "
		    "a delimiter is longer than %d bytes", TPL__DELIM_MAX);
	u->olen = oe - o;
	memcpy(u->otag, s + o, u->olen);
	u->clen = ce - c;
	memcpy(u->ctag, s + c, u->clen);
	return 0;
}

static int
open_section(struct uc *u, const struct tag *g)
{
	struct open_section	*os;
	uint32_t		 part0;
	uint16_t		 nparts;
	int			 rc;

	if ((rc = add_name(u, g, 1, &part0, &nparts)) != 0)
		return rc;
	if (u->nopen == TPL_MAX_DEPTH)
		return fail_here(u, CLR_ETOOBIG, "sections nested deeper than "
		    "%d", TPL_MAX_DEPTH);
	if ((rc = emit(u, g->type == '#' ? TPL__OP_SECTION : TPL__OP_INVERTED,
	    part0, 0, nparts, 0)) != 0)
		return rc;
	os = &u->open[u->nopen++];
	os->op = u->nops - 1;
	os->name = g->cs;
	os->namelen = g->ce - g->cs;
	os->line = u->line;
	os->col = u->col;
	return 0;
}

static int
close_section(struct uc *u, const struct tag *g)
{
	const struct open_section	*os;
	const char			*s = u->src + g->cs;
	size_t				 len = g->ce - g->cs;
	int				 shown;

	shown = (int)(len < SHOW_MAX ? len : SHOW_MAX);
	if (len == 0)
		return fail_here(u, CLR_ESYNTAX, "empty tag name");
	if (u->nopen == 0)
		return fail_here(u, CLR_ESYNTAX, "closing tag \"%.*s\" "
		    "without an open section", shown, s);
	os = &u->open[u->nopen - 1];
	if (os->namelen != len || memcmp(u->src + os->name, s, len) != 0)
		return fail_here(u, CLR_ESYNTAX, "closing tag \"%.*s\" does "
		    "not match section \"%.*s\" opened at %u:%u", shown, s,
		    (int)(os->namelen < SHOW_MAX ? os->namelen : SHOW_MAX),
		    u->src + os->name, os->line, os->col);
	u->ops[os->op].b = u->nops;
	u->nopen--;
	u->last_text = -1;	/* text after the section is not in it */
	return 0;
}

/* slot_hash - FNV-1a over a partial name and an indentation. */
static uint32_t
slot_hash(const char *name, size_t namelen, const char *indent,
    size_t indentlen)
{
	uint32_t	 h = 2166136261u;
	size_t		 i;

	for (i = 0; i < namelen; i++)
		h = (h ^ (unsigned char)name[i]) * 16777619u;
	h = (h ^ 0xFFu) * 16777619u;	/* no byte of a name: a separator */
	for (i = 0; i < indentlen; i++)
		h = (h ^ (unsigned char)indent[i]) * 16777619u;
	return h;
}

/*
 * partial - {{>name}}: call the unit for (name, indentation), creating it
 * on first use. The indentation of a standalone partial is its
 * includer's plus the whitespace before the tag; an inline partial has
 * none. A partial the loader does not know renders as nothing (spec).
 */
static int
partial(struct uc *u, const struct tag *g)
{
	struct cc		*cc = u->cc;
	struct tpl		*t = cc->t;
	const struct tpl__unit	*un = &t->units[u->unit], *o;
	const char		*name = u->src + g->cs, *psrc = NULL;
	const char		*pfile = NULL;
	size_t			 namelen = g->ce - g->cs, plen = 0, i;
	uint32_t		 h, slot, idx = 0;
	int			 rc, shown;

	shown = (int)(namelen < SHOW_MAX ? namelen : SHOW_MAX);
	if (namelen == 0)
		return fail_here(u, CLR_ESYNTAX, "empty partial name");
	for (i = 0; i < namelen; i++)
		if (is_space((unsigned char)name[i]))
			return fail_here(u, CLR_ESYNTAX, "partial name "
			    "\"%.*s\" contains whitespace", shown, name);
	if (name[0] == '*')
		return fail_here(u, CLR_ESYNTAX, "dynamic partial names "
		    "(\"%.*s\") are not supported", shown, name);
	buf_reset(&cc->scratch);
	if (g->standalone &&
	    ((rc = buf_append(&cc->scratch, t->strs.data + un->indent,
	    un->indentlen)) != 0 ||
	    (rc = buf_append(&cc->scratch, u->src + g->ls,
	    g->ts - g->ls)) != 0))
		return fail_buf(u, rc, "partial indentation is too long");
	h = slot_hash(name, namelen, cc->scratch.data, cc->scratch.len);
	for (slot = h & (UNIT_SLOTS - 1); cc->slots[slot] != 0;
	    slot = (slot + 1) & (UNIT_SLOTS - 1)) {
		o = &t->units[cc->slots[slot] - 1];
		if (o->namelen == namelen && o->indentlen == cc->scratch.len &&
		    memcmp(t->strs.data + o->name, name, namelen) == 0 &&
		    (o->indentlen == 0 || memcmp(t->strs.data + o->indent,
		    cc->scratch.data, o->indentlen) == 0))
			return emit(u, TPL__OP_PARTIAL, cc->slots[slot] - 1,
			    0, 0, 0);
	}
	/* A unit deeper than the bound could never render: no need of it. */
	if (u->depth + 1 > TPL_MAX_DEPTH)
		return emit(u, TPL__OP_PARTIAL, TPL__TOO_DEEP, 0, 0, 0);
	if (cc->loader == NULL || cc->loader->load == NULL ||
	    cc->loader->load(cc->loader->ud, name, namelen, &psrc, &plen,
	    &pfile) != 0)
		return 0;
	if (psrc == NULL && plen > 0)
		return fail_here(u, CLR_EINVAL, "the loader returned no source "
		    "for partial \"%.*s\"", shown, name);
	if (plen > TPL__SRC_MAX)
		return fail_here(u, CLR_ETOOBIG, "partial \"%.*s\" is longer "
		    "than %u bytes", shown, name, TPL__SRC_MAX);
	if (plen > TPL__SRC_TOTAL - cc->srcbytes)
		return fail_here(u, CLR_ETOOBIG, "partials add up to more "
		    "than %u bytes", TPL__SRC_TOTAL);
	if (t->nunits == TPL__UNITS_MAX)
		return fail_here(u, CLR_ETOOBIG, "more than %d partial "
		    "instances (a partial at each indentation counts)",
		    TPL__UNITS_MAX);
	if ((rc = new_unit(u, name, namelen, psrc != NULL ? psrc : "",
	    plen, pfile, &idx)) != 0)
		return rc;
	cc->srcbytes += plen;
	cc->slots[slot] = idx + 1;
	return emit(u, TPL__OP_PARTIAL, idx, 0, 0, 0);
}

/* new_unit - add the unit for a partial; its indentation is in scratch. */
static int
new_unit(struct uc *u, const char *name, size_t namelen, const char *psrc,
    size_t plen, const char *pfile, uint32_t *idx)
{
	struct cc		*cc = u->cc;
	struct tpl		*t = cc->t;
	struct tpl__unit	*units, *nu;
	uint32_t		 i, cap, noff, ioff, foff;
	int			 rc;

	if (t->nunits == cc->unitscap) {
		cap = cc->unitscap * 2;
		if ((units = clr_reallocarray(t->units, cap,
		    sizeof(*units))) == NULL)
			return fail_here(u, CLR_ENOMEM, "out of memory");
		t->units = units;
		cc->unitscap = cap;
	}
	if (pfile == NULL)
		pfile = "";
	if ((rc = put_str(cc, name, namelen, &noff)) != 0 ||
	    (rc = put_str(cc, cc->scratch.len > 0 ? cc->scratch.data : "",
	    cc->scratch.len, &ioff)) != 0 ||
	    (rc = put_str(cc, *pfile != '\0' ? pfile : name,
	    *pfile != '\0' ? strlen(pfile) : namelen, &foff)) != 0)
		return fail_buf(u, rc, "partial names and indentations are "
		    "too long");
	nu = &t->units[t->nunits];
	memset(nu, 0, sizeof(*nu));
	nu->name = noff;
	nu->namelen = (uint32_t)namelen;
	nu->indent = ioff;
	nu->indentlen = (uint32_t)cc->scratch.len;
	nu->file = foff;
	nu->from_file = t->units[u->unit].file;
	nu->from_line = u->line;
	nu->from_col = u->col;
	nu->depth = u->depth + 1;
	nu->src = psrc;
	nu->srclen = plen;
	/* tpl_foreach_name reports a partial's names once, not per indent. */
	nu->report = 1;
	for (i = 1; i < t->nunits; i++)
		if (t->units[i].namelen == namelen && memcmp(t->strs.data +
		    t->units[i].name, name, namelen) == 0)
			nu->report = 0;
	*idx = t->nunits++;
	return 0;
}

/*
 * parse_tag - compile the tag whose open delimiter is at ts; *pos is where
 * the text not yet emitted starts, and gets where the next one does.
 */
static int
parse_tag(struct uc *u, size_t ts, size_t *pos)
{
	const char	*s = u->src;
	struct tag	 g;
	char		 close[TPL__DELIM_MAX + 1];
	size_t		 closelen = 0, p = ts + u->olen, end = 0;
	uint32_t	 part0;
	uint16_t	 nparts;
	int		 rc;

	memset(&g, 0, sizeof(g));
	g.ts = ts;
	if (p < u->len && s[p] != '\0' && strchr("#^/!>&{=<$", s[p]) != NULL)
		g.type = (unsigned char)s[p++];
	if (g.type == '{')
		close[closelen++] = '}';
	else if (g.type == '=')
		close[closelen++] = '=';
	memcpy(close + closelen, u->ctag, u->clen);
	closelen += u->clen;
	if ((g.ce = find(s, p, u->len, close, closelen)) == NPOS)
		return fail_here(u, CLR_ESYNTAX, "unclosed tag: no \"%.*s\" "
		    "after \"%.*s%.*s\"", (int)closelen, close, (int)u->olen,
		    u->otag, g.type != 0 ? 1 : 0, s + ts + u->olen);
	g.te = g.ce + closelen;
	if (g.type == '<' || g.type == '$')
		return fail_here(u, CLR_ESYNTAX, "template inheritance "
		    "(\"%.*s%c\" tags) is not supported", (int)u->olen,
		    u->otag, g.type);
	for (g.cs = p; g.cs < g.ce && is_space((unsigned char)s[g.cs]); g.cs++)
		;
	while (g.ce > g.cs && is_space((unsigned char)s[g.ce - 1]))
		g.ce--;

	/*
	 * Standalone: only spaces and tabs between the start of the line
	 * and the tag, and between the tag and the end of the line (or of
	 * the source). Delimiters hold no whitespace, so another tag on the
	 * line stops the scan on either side.
	 */
	if (g.type != 0 && strchr("#^/!>=", g.type) != NULL) {
		for (g.ls = ts; g.ls > *pos && (s[g.ls - 1] == ' ' ||
		    s[g.ls - 1] == '\t'); g.ls--)
			;
		end = g.te;
		while (end < u->len && (s[end] == ' ' || s[end] == '\t'))
			end++;
		if (g.ls == 0 || s[g.ls - 1] == '\n') {
			if (end == u->len)
				g.standalone = 1;
			else if (s[end] == '\n') {
				g.standalone = 1;
				end++;
			} else if (s[end] == '\r' && end + 1 < u->len &&
			    s[end + 1] == '\n') {
				g.standalone = 1;
				end += 2;
			}
		}
	}
	if (g.standalone) {
		if ((rc = emit_text(u, *pos, g.ls)) != 0)
			return rc;
		*pos = end;
	} else {
		if ((rc = emit_text(u, *pos, ts)) != 0 ||
		    (rc = emit_indent_at(u, ts)) != 0)
			return rc;
		*pos = g.te;
	}

	switch (g.type) {
	case '!':
		return 0;
	case '=':
		return set_delimiters(u, &g);
	case '#':
	case '^':
		return open_section(u, &g);
	case '/':
		return close_section(u, &g);
	case '>':
		return partial(u, &g);
	default:	/* a value: {{x}}, {{&x}}, {{{x}}} */
		if ((rc = add_name(u, &g, 0, &part0, &nparts)) != 0)
			return rc;
		return emit(u, TPL__OP_VALUE, part0, 0, nparts,
		    g.type == 0 && u->cc->escape == TPL_ESCAPE_HTML);
	}
}

/* compile_unit - compile the source of unit idx into its instructions. */
static int
compile_unit(struct cc *cc, uint32_t idx)
{
	struct tpl__unit	*un = &cc->t->units[idx];
	struct uc		 u;
	const struct open_section *os;
	size_t			 pos = 0, ts;
	int			 rc = 0;

	memset(&u, 0, sizeof(u));
	u.cc = cc;
	u.unit = idx;
	u.src = un->src;
	u.len = un->srclen;
	u.depth = un->depth;
	u.indentlen = un->indentlen;
	u.last_text = -1;
	memcpy(u.otag, "{{", 2);
	memcpy(u.ctag, "}}", 2);
	u.olen = u.clen = 2;
	u.line = u.col = 1;
	while (pos < u.len) {
		if ((ts = find(u.src, pos, u.len, u.otag, u.olen)) == NPOS) {
			rc = emit_text(&u, pos, u.len);
			break;
		}
		advance(&u, ts);
		if ((rc = parse_tag(&u, ts, &pos)) != 0)
			break;
	}
	if (rc == 0 && u.nopen > 0) {
		os = &u.open[u.nopen - 1];
		rc = fail(&u, os->line, os->col, CLR_ESYNTAX, "section "
		    "\"%.*s\" is not closed", (int)(os->namelen < SHOW_MAX ?
		    os->namelen : SHOW_MAX), u.src + os->name);
	}
	un = &cc->t->units[idx];
	if (rc != 0) {
		clr_free(u.ops);
		return rc;
	}
	un->ops = u.ops;
	un->nops = u.nops;
	un->src = NULL;
	un->srclen = 0;
	return 0;
}

struct tpl *
tpl_compile(const char *file, const char *src, size_t len,
    enum tpl_escape escape, const struct tpl_loader *loader,
    struct clr_err *err)
{
	struct cc	*cc;
	struct tpl	*t = NULL;
	uint32_t	 i, foff;
	int		 rc;

	if (file == NULL)
		file = "template";
	if ((src == NULL && len > 0) ||
	    (escape != TPL_ESCAPE_NONE && escape != TPL_ESCAPE_HTML)) {
		clr_err_set(err, CLR_EINVAL, "%s: invalid arguments", file);
		return NULL;
	}
	if (len > TPL__SRC_MAX) {
		clr_err_set(err, CLR_ETOOBIG, "%s: template is longer than %u "
		    "bytes", file, TPL__SRC_MAX);
		return NULL;
	}
	if ((cc = clr_calloc(1, sizeof(*cc))) == NULL ||
	    (t = clr_calloc(1, sizeof(*t))) == NULL ||
	    (t->units = clr_calloc(4, sizeof(*t->units))) == NULL)
		goto nomem;
	cc->t = t;
	cc->loader = loader;
	cc->escape = escape;
	cc->err = err;
	cc->unitscap = 4;
	cc->srcbytes = len;
	buf_init(&t->text, TPL__TEXT_MAX);
	buf_init(&t->strs, TPL__STRS_MAX);
	buf_init(&cc->scratch, TPL__STRS_MAX);
	if (put_str(cc, "", 0, &foff) != 0 ||
	    put_str(cc, file, strlen(file), &foff) != 0)
		goto nomem;
	t->units[0].file = foff;
	t->units[0].from_file = foff;
	t->units[0].report = 1;
	t->units[0].src = src != NULL ? src : "";
	t->units[0].srclen = len;
	t->nunits = 1;
	/* Breadth first: compiling a unit may add units after it. */
	for (i = 0; i < t->nunits; i++) {
		if ((rc = compile_unit(cc, i)) != 0)
			goto fail;
	}
	buf_free(&cc->scratch);
	clr_free(cc);
	return t;
nomem:
	clr_err_set(err, CLR_ENOMEM, "%s: out of memory", file);
fail:
	if (cc != NULL)
		buf_free(&cc->scratch);
	clr_free(cc);
	tpl_free(t);
	return NULL;
}

void
tpl_free(struct tpl *t)
{
	uint32_t	 i;

	if (t == NULL)
		return;
	if (t->units != NULL)
		for (i = 0; i < t->nunits; i++)
			clr_free(t->units[i].ops);
	clr_free(t->units);
	clr_free(t->parts);
	clr_free(t->names);
	buf_free(&t->text);
	buf_free(&t->strs);
	clr_free(t);
}
