/* SPDX-License-Identifier: ISC */
/*
 * template/template.h - Mustache templates: compiled once, rendered often
 *
 * The language is Mustache (spec v1.4), its six core modules: escaped and
 * unescaped interpolation ({{x}}, {{{x}}}, {{&x}}), dotted names
 * ({{attrs.city}}), the implicit iterator ({{.}}), sections and inverted
 * sections over lists, objects and truthy values, comments, set-delimiter
 * tags and partials, with the spec's standalone-line and indentation
 * rules. Lambdas, dynamic names and inheritance are not supported.
 *
 * tpl_compile parses a source once into an instruction list (text runs,
 * lookups, section jumps, partial calls); tpl_render walks that list with
 * one set of data and appends to a struct buf, never parsing again, so a
 * campaign compiles its templates once and renders them per contact.
 *
 * Trust boundary: a template reaches exactly the data its caller exposes
 * through struct tpl_data, and the partials its loader returns. It cannot
 * name a file, read the environment or loop forever: partial recursion is
 * bounded (TPL_MAX_DEPTH) and output is bounded by the buf's cap.
 */
#ifndef CLARION_TEMPLATE_H
#define CLARION_TEMPLATE_H

#include <stddef.h>

#include "util/err.h"

struct buf;
struct tpl;

#define TPL_MAX_DEPTH	32	/* nested sections + partial calls */

/* How interpolated values are escaped ({{x}}; {{{x}}} never is). */
enum tpl_escape {
	TPL_ESCAPE_NONE,	/* text/plain bodies, subjects */
	TPL_ESCAPE_HTML		/* & < > " ' become entities */
};

/*
 * The data a template renders, reached through callbacks: the template
 * module knows nothing of contacts or JSON. A tpl_node is the provider's
 * handle for one value; NULL means "absent" (renders as nothing, falsy).
 * Every callback gets ud; none may fail. Strings returned are borrowed
 * until tpl_render returns.
 *
 * The spec's falsy values are null, false and the empty list (it leaves
 * other values to the host language's truth, and its Ruby reference
 * takes "" and 0 as true); so here every other value is truthy. Lists
 * and objects interpolate as nothing.
 */
typedef const void	*tpl_node;

enum tpl_kind {
	TPL_NULL,		/* falsy, renders empty */
	TPL_FALSE,
	TPL_TRUE,		/* truthy; rendered with text() */
	TPL_NUMBER,		/* truthy; rendered with text() */
	TPL_STRING,		/* truthy, even when empty (see above) */
	TPL_LIST,		/* a section repeats once per item */
	TPL_OBJECT		/* a section pushes it on the context stack */
};

struct tpl_data {
	void		*ud;
	enum tpl_kind	(*kind)(void *ud, tpl_node);
	/* The member name[0..len) of an object node, or NULL. */
	tpl_node	(*get)(void *ud, tpl_node obj, const char *name,
			    size_t len);
	size_t		(*count)(void *ud, tpl_node list);
	tpl_node	(*item)(void *ud, tpl_node list, size_t i);
	/* The text of a scalar (string, number, true/false). */
	void		(*text)(void *ud, tpl_node, const char **s, size_t *n);
};

/*
 * Where partials come from. load() returns the source of partial
 * name[0..len) (borrowed until tpl_compile returns) and the name to use
 * for it in messages, or returns -1 if there is no such partial (which
 * the spec renders as nothing). NULL loader: no partials.
 */
struct tpl_loader {
	void	*ud;
	int	(*load)(void *ud, const char *name, size_t len,
		    const char **src, size_t *srclen, const char **file);
};

/*
 * Compile src[0..len). file names the source in messages. Returns NULL
 * on error with err->msg "FILE:LINE:COL: what is wrong" (an unclosed tag
 * or section, a close that does not match, a bad delimiter change, an
 * empty name, a partial that does not compile) and err->code CLR_ESYNTAX,
 * or CLR_ETOOBIG when a bound is passed (a source over 1 MiB, sections
 * nested deeper than TPL_MAX_DEPTH, too many instructions or partial
 * instances), CLR_EINVAL (src NULL with len > 0, an unknown escape) or
 * CLR_ENOMEM; every message starts with a file name.
 * LINE and COL are 1-based, COL counted in characters; an error in a
 * partial names the partial's file and says where it was included.
 */
struct tpl	*tpl_compile(const char *file, const char *src, size_t len,
		    enum tpl_escape, const struct tpl_loader *,
		    struct clr_err *err);
void		 tpl_free(struct tpl *);

/*
 * Render with root as the bottom of the context stack, appending to out.
 * Returns 0, CLR_ETOOBIG (out's cap, TPL_MAX_DEPTH, or a render that runs
 * more than 1 Mi instructions, list items included: lists inside
 * recursive partials could otherwise run exponentially long) or
 * CLR_ENOMEM; on error out holds a partial result the caller must discard.
 * A compiled template is read-only: several threads may render it at
 * once with their own data and buffers.
 */
int		 tpl_render(const struct tpl *, const struct tpl_data *,
		    tpl_node root, struct buf *out);

/*
 * Call fn for each name the template (and its partials) looks up, in
 * source order (the template's names, then each partial's, once per
 * partial, breadth first in the order they are included): its dotted text
 * ("attrs.city", "." for the implicit iterator), where it is, and whether
 * it opens a section. For lint. The strings are the template's: they
 * live until tpl_free.
 */
struct tpl_name {
	const char	*name;
	size_t		 len;
	const char	*file;
	unsigned	 line, col;
	int		 section;	/* # or ^, rather than a value */
};
void		 tpl_foreach_name(const struct tpl *,
		    void (*fn)(void *, const struct tpl_name *), void *arg);

#endif
