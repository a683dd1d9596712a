/* SPDX-License-Identifier: ISC */
/*
 * template/template_impl.h - the compiled form, shared by the compiler
 * (template.c) and the renderer (render.c); not part of the module's API
 *
 * A struct tpl is a set of units: unit 0 is the template itself, and each
 * other unit is one partial compiled for one indentation (the spec indents
 * every line of a standalone partial by the whitespace before its tag, so
 * the same partial included at two indentations has two different texts).
 * A unit is a flat instruction list. Sections are ranges of it: the
 * section instruction holds the index just past its body, so rendering a
 * section is a loop over that range and skipping one is a jump. Partial
 * calls name a unit by index, which is how recursive partials work: the
 * unit is compiled once and called as often as the data asks.
 *
 * Text runs live in one buffer (text) and are copied with one append each;
 * names are split at compile time into parts, which point into strs along
 * with file names, partial names and indentations. Everything is read-only
 * once tpl_compile returns.
 */
#ifndef CLARION_TEMPLATE_IMPL_H
#define CLARION_TEMPLATE_IMPL_H

#include <stdint.h>

#include "template.h"
#include "util/buf.h"

/* Bounds on what one tpl_compile accepts. */
#define TPL__SRC_MAX	(1u << 20)	/* bytes in one source */
#define TPL__SRC_TOTAL	(8u << 20)	/* bytes compiled, all units */
#define TPL__TEXT_MAX	(16u << 20)	/* bytes of text runs kept */
#define TPL__STRS_MAX	(16u << 20)	/* bytes of names, files, indents */
#define TPL__OPS_MAX	(1u << 20)	/* instructions, all units */
#define TPL__UNITS_MAX	1024		/* partial instances */
#define TPL__PARTS_MAX	64		/* parts of one dotted name */
#define TPL__DELIM_MAX	16		/* bytes of a set delimiter */

/* Instructions one tpl_render may run (list items count too). */
#define TPL__STEPS_MAX	(1u << 20)

/* A partial call that would nest deeper than TPL_MAX_DEPTH. */
#define TPL__TOO_DEEP	UINT32_MAX

enum tpl__opcode {
	TPL__OP_TEXT,		/* a: offset in text, b: length */
	TPL__OP_VALUE,		/* a: first part, nparts; escape */
	TPL__OP_SECTION,	/* a, nparts: name; b: index past the body */
	TPL__OP_INVERTED,	/* as TPL__OP_SECTION */
	TPL__OP_PARTIAL		/* a: unit, or TPL__TOO_DEEP */
};

struct tpl__op {
	uint8_t		 code;		/* enum tpl__opcode */
	uint8_t		 escape;	/* TPL__OP_VALUE: HTML-escape it */
	uint16_t	 nparts;	/* 0: the implicit iterator "." */
	uint32_t	 a, b;
};

/* One part of a dotted name: strs[off..off + len). */
struct tpl__part {
	uint32_t	 off, len;
};

/* A name as written, for tpl_foreach_name. */
struct tpl__name {
	uint32_t	 off, len;	/* the dotted text, in strs */
	uint32_t	 file;		/* NUL-terminated, in strs */
	uint32_t	 line, col;
	uint8_t		 section;	/* # or ^ */
	uint8_t		 report;	/* first unit of its partial */
};

struct tpl__unit {
	struct tpl__op	*ops;
	uint32_t	 nops;
	uint32_t	 name, namelen;	/* partial name in strs ("" for 0) */
	uint32_t	 indent, indentlen;	/* in strs */
	uint32_t	 file;		/* NUL-terminated, in strs */
	uint32_t	 from_file, from_line, from_col; /* first include */
	uint32_t	 depth;		/* partial calls from unit 0 */
	uint8_t		 report;	/* first unit with this name */
	const char	*src;		/* borrowed while compiling */
	size_t		 srclen;
};

struct tpl {
	struct tpl__unit *units;
	uint32_t	 nunits;
	struct tpl__part *parts;
	uint32_t	 nparts;
	struct tpl__name *names;
	uint32_t	 nnames;
	struct buf	 text;		/* text runs */
	struct buf	 strs;		/* names, files, partials, indents */
};

#endif
