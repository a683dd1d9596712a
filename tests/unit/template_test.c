/* SPDX-License-Identifier: ISC */
/*
 * tests/unit/template_test.c - template: the Mustache spec's six core
 * modules, compile errors, escaping, bounds, tpl_foreach_name, reuse and
 * concurrent rendering
 *
 * The spec tests come from the JSON files in tests/data/mustache-spec/,
 * loaded with json_parse and driven from the files: each test's "data"
 * becomes the root through a struct tpl_data over the json_value tree,
 * its "partials" the loader, and the output must equal "expected" byte
 * for byte. Every
 * file prints "mustache spec: N run, N passed", and so does the total;
 * all 136 tests must pass.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "template/template.h"
#include "testutil.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"

#define ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))
#define SPEC_DIR	CLARION_TEST_DATA "/mustache-spec/"
#define OUT_MAX		(1024 * 1024)

/* A partial for the tests' own loader: name, file name, source. */
struct part {
	const char	*name, *file, *src;
};

static enum tpl_kind jd_kind(void *, tpl_node);
static tpl_node	 jd_get(void *, tpl_node, const char *, size_t);
static size_t	 jd_count(void *, tpl_node);
static tpl_node	 jd_item(void *, tpl_node, size_t);
static void	 jd_text(void *, tpl_node, const char **, size_t *);
static int	 spec_load(void *, const char *, size_t, const char **,
		    size_t *, const char **);
static int	 parts_load(void *, const char *, size_t, const char **,
		    size_t *, const char **);
static struct json_value *parse(const char *);
static void	 show(const char *, const char *, size_t);
static char	*render(const char *, const char *, enum tpl_escape,
		    const struct part *, int *);
static void	 spec_file(const char *, unsigned);
static void	 test_spec_comments(void **);
static void	 test_spec_delimiters(void **);
static void	 test_spec_interpolation(void **);
static void	 test_spec_inverted(void **);
static void	 test_spec_partials(void **);
static void	 test_spec_sections(void **);
static void	 test_spec_total(void **);
static void	 test_compile_errors(void **);
static void	 test_limits(void **);
static void	 test_escape(void **);
static void	 test_render_cases(void **);
static void	 test_recursion(void **);
static void	 test_output_cap(void **);
static void	 name_cb(void *, const struct tpl_name *);
static void	 test_foreach_name(void **);
static void	 test_reuse(void **);
static void	*thread_main(void *);
static void	 test_threads(void **);
static void	 test_enomem(void **);

/* The struct tpl_data over a json_value tree, as a contact provider. */
static const struct tpl_data json_data = {
	NULL, jd_kind, jd_get, jd_count, jd_item, jd_text
};

static unsigned	 spec_run, spec_passed;

static enum tpl_kind
jd_kind(void *ud, tpl_node n)
{
	const struct json_value	*v = n;

	switch (v->type) {
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
		return TPL_OBJECT;
	default:
		return TPL_NULL;
	}
}

static tpl_node
jd_get(void *ud, tpl_node obj, const char *name, size_t len)
{
	return json_getn(obj, name, len);
}

static size_t
jd_count(void *ud, tpl_node list)
{
	return json_len(list);
}

static tpl_node
jd_item(void *ud, tpl_node list, size_t i)
{
	return json_item(list, i);
}

static void
jd_text(void *ud, tpl_node n, const char **s, size_t *len)
{
	const struct json_value	*v = n;

	switch (v->type) {
	case JSON_TRUE:
		*s = "true";
		*len = 4;
		break;
	case JSON_FALSE:
		*s = "false";
		*len = 5;
		break;
	case JSON_NUMBER:
	case JSON_STRING:
		*s = v->str;
		*len = v->len;
		break;
	default:
		*s = NULL;
		*len = 0;
	}
}

/* spec_load - a partial from a spec test's "partials" object. */
static int
spec_load(void *ud, const char *name, size_t len, const char **src,
    size_t *srclen, const char **file)
{
	const struct json_value	*partials = ud;
	size_t			 i;

	for (i = 0; i < json_len(partials); i++) {
		const struct json_member	*m = &partials->members[i];

		if (m->keylen == len && memcmp(m->key, name, len) == 0 &&
		    m->value->type == JSON_STRING) {
			*src = m->value->str;
			*srclen = m->value->len;
			*file = m->key;
			return 0;
		}
	}
	return -1;
}

/* parts_load - a partial from a NULL-terminated struct part array. */
static int
parts_load(void *ud, const char *name, size_t len, const char **src,
    size_t *srclen, const char **file)
{
	const struct part	*p;

	for (p = ud; p != NULL && p->name != NULL; p++) {
		if (strlen(p->name) == len && memcmp(p->name, name, len) == 0) {
			*src = p->src;
			*srclen = strlen(p->src);
			*file = p->file;
			return 0;
		}
	}
	return -1;
}

static struct json_value *
parse(const char *text)
{
	struct json_value	*v;
	struct clr_err		 err = { 0, "" };

	if (json_parse(text, strlen(text), &v, &err) != 0)
		fail_msg("test data: %s: %s", text, err.msg);
	return v;
}

/* show - print s[0..n) as a C string literal, for failure reports. */
static void
show(const char *label, const char *s, size_t n)
{
	size_t	 i;

	printf("    %s \"", label);
	for (i = 0; s != NULL && i < n; i++) {
		unsigned char	 c = (unsigned char)s[i];

		if (c == '\n')
			printf("\\n");
		else if (c == '\r')
			printf("\\r");
		else if (c == '\t')
			printf("\\t");
		else if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20 || c == 0x7F)
			printf("\\x%02x", c);
		else
			putchar(c);
	}
	printf("\"\n");
}

/*
 * render - compile src (file "t.mustache") and render it with the JSON
 * text data; returns the output (caller frees) with *rc 0, or NULL with
 * *rc the error (compile errors are reported with fail_msg).
 */
static char *
render(const char *src, const char *data, enum tpl_escape esc,
    const struct part *parts, int *rc)
{
	struct tpl_loader	 loader = { (void *)(uintptr_t)parts,
				    parts_load };
	struct clr_err		 err = { 0, "" };
	struct buf		 out = BUF_INITIALIZER(OUT_MAX);
	struct json_value	*root = parse(data);
	struct tpl		*t;
	char			*s = NULL;

	t = tpl_compile("t.mustache", src, strlen(src), esc, &loader, &err);
	if (t == NULL)
		fail_msg("compile \"%s\": %s", src, err.msg);
	*rc = tpl_render(t, &json_data, root, &out);
	if (*rc == 0)
		s = buf_steal(&out);
	buf_free(&out);
	tpl_free(t);
	json_free(root);
	return s;
}

/* spec_file - run every test of one spec file; expect `want` tests. */
static void
spec_file(const char *name, unsigned want)
{
	struct buf		 text = BUF_INITIALIZER(JSON_PARSE_MAX);
	struct buf		 out = BUF_INITIALIZER(OUT_MAX);
	struct clr_err		 err = { 0, "" };
	struct json_value	*doc;
	const struct json_value	*tests, *tc, *tmpl, *exp, *data;
	struct tpl_loader	 loader;
	struct tpl		*t;
	char			 path[1024], chunk[4096];
	FILE			*f;
	size_t			 i, n, run = 0, passed = 0;
	int			 rc;

	snprintf(path, sizeof(path), "%s%s", SPEC_DIR, name);
	if ((f = fopen(path, "rb")) == NULL)
		fail_msg("%s: cannot open", path);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		assert_int_equal(buf_append(&text, chunk, n), 0);
	fclose(f);
	if (json_parse(text.data, text.len, &doc, &err) != 0)
		fail_msg("%s: %s", path, err.msg);
	tests = json_get(doc, "tests");
	assert_non_null(tests);
	for (i = 0; i < json_len(tests); i++) {
		tc = json_item(tests, i);
		tmpl = json_get(tc, "template");
		exp = json_get(tc, "expected");
		data = json_get(tc, "data");
		assert_true(tmpl != NULL && tmpl->type == JSON_STRING);
		assert_true(exp != NULL && exp->type == JSON_STRING);
		loader.ud = (void *)(uintptr_t)json_get(tc, "partials");
		loader.load = spec_load;
		run++;
		buf_reset(&out);
		t = tpl_compile(json_get(tc, "name")->str, tmpl->str,
		    tmpl->len, TPL_ESCAPE_HTML, &loader, &err);
		rc = t == NULL ? err.code : tpl_render(t, &json_data, data,
		    &out);
		if (rc == 0 && out.len == exp->len &&
		    memcmp(out.data != NULL ? out.data : "", exp->str,
		    exp->len) == 0)
			passed++;
		else {
			printf("  FAIL %s: %s\n", name,
			    json_get(tc, "name")->str);
			show("template", tmpl->str, tmpl->len);
			show("expected", exp->str, exp->len);
			if (t == NULL)
				printf("    compile error: %s\n", err.msg);
			else if (rc != 0)
				printf("    render error: %s\n",
				    clr_strerror(rc));
			else
				show("got     ", out.data, out.len);
		}
		tpl_free(t);
	}
	printf("mustache spec: %zu run, %zu passed (%s)\n", run, passed, name);
	fflush(stdout);
	spec_run += (unsigned)run;
	spec_passed += (unsigned)passed;
	json_free(doc);
	buf_free(&text);
	buf_free(&out);
	assert_int_equal(run, want);
	assert_int_equal(passed, run);
}

static void
test_spec_comments(void **state)
{
	spec_file("comments.json", 12);
}

static void
test_spec_delimiters(void **state)
{
	spec_file("delimiters.json", 14);
}

static void
test_spec_interpolation(void **state)
{
	spec_file("interpolation.json", 42);
}

static void
test_spec_inverted(void **state)
{
	spec_file("inverted.json", 22);
}

static void
test_spec_partials(void **state)
{
	spec_file("partials.json", 12);
}

static void
test_spec_sections(void **state)
{
	spec_file("sections.json", 34);
}

/* Runs after the six files (cmocka keeps the order). */
static void
test_spec_total(void **state)
{
	printf("mustache spec: %u run, %u passed (total)\n", spec_run,
	    spec_passed);
	assert_int_equal(spec_run, 136);
	assert_int_equal(spec_passed, 136);
}

/* Compile errors: the exact message and code, main file "t.mustache". */
static void
test_compile_errors(void **state)
{
	static const struct part parts[] = {
		{ "card", "card.mustache", "<b>{{name}}</b>\n{{#a}}\n" },
		{ "deep", "deep.mustache", "ok\n{{>card}}" },
		{ "bad", "bad.mustache", "x {{=<% %>=}} <%/y%>" },
		{ NULL, NULL, NULL }
	};
	static const struct {
		const char	*name;
		const char	*src;
		int		 code;
		const char	*msg;
	} cases[] = {
		{ "unclosed tag", "Hello {{name",
		    CLR_ESYNTAX, "t.mustache:1:7: unclosed tag: no \"}}\" "
		    "after \"{{\"" },
		{ "unclosed triple mustache", "{{{name}}",
		    CLR_ESYNTAX, "t.mustache:1:1: unclosed tag: no \"}}}\" "
		    "after \"{{{\"" },
		{ "unclosed section tag", "a\n\n{{#list",
		    CLR_ESYNTAX, "t.mustache:3:1: unclosed tag: no \"}}\" "
		    "after \"{{#\"" },
		{ "column counts characters", "caf\xc3\xa9 {{",
		    CLR_ESYNTAX, "t.mustache:1:6: unclosed tag: no \"}}\" "
		    "after \"{{\"" },
		{ "unclosed comment", "x\n  {{! note }\n",
		    CLR_ESYNTAX, "t.mustache:2:3: unclosed tag: no \"}}\" "
		    "after \"{{!\"" },
		{ "unclosed section", "a\n{{#list}}\n  x\n",
		    CLR_ESYNTAX, "t.mustache:2:1: section \"list\" is not "
		    "closed" },
		{ "innermost unclosed section", "{{#a}}{{#b}}{{/b}}{{^c}}",
		    CLR_ESYNTAX, "t.mustache:1:19: section \"c\" is not "
		    "closed" },
		{ "mismatched close", "{{#a}}\n  {{/b}}",
		    CLR_ESYNTAX, "t.mustache:2:3: closing tag \"b\" does not "
		    "match section \"a\" opened at 1:1" },
		{ "close of the outer section first", "{{#a}}{{^b}}{{/a}}",
		    CLR_ESYNTAX, "t.mustache:1:13: closing tag \"a\" does not "
		    "match section \"b\" opened at 1:7" },
		{ "close without open", "x{{/a}}",
		    CLR_ESYNTAX, "t.mustache:1:2: closing tag \"a\" without an "
		    "open section" },
		{ "CRLF lines", "a\r\n{{#b}}\r\n{{/c}}\r\n",
		    CLR_ESYNTAX, "t.mustache:3:1: closing tag \"c\" does not "
		    "match section \"b\" opened at 2:1" },
		{ "one delimiter", "{{=<%=}}",
		    CLR_ESYNTAX, "t.mustache:1:1: bad delimiter change: "
		    "expected two delimiters separated by whitespace, as in "
		    "{{=<% %>=}}" },
		{ "three delimiters", "x\n {{=< % >=}}",
		    CLR_ESYNTAX, "t.mustache:2:2: bad delimiter change: "
		    "expected two delimiters separated by whitespace, as in "
		    "{{=<% %>=}}" },
		{ "empty delimiter change", "{{= =}}",
		    CLR_ESYNTAX, "t.mustache:1:1: bad delimiter change: "
		    "expected two delimiters separated by whitespace, as in "
		    "{{=<% %>=}}" },
		{ "delimiter too long", "{{=<<<<<<<<<<<<<<<<< >=}}",
		    CLR_ESYNTAX, "t.mustache:1:1: bad delimiter change: a "
		    "delimiter is longer than 16 bytes" },
		{ "delimiter change not closed", "{{=<% %>}}",
		    CLR_ESYNTAX, "t.mustache:1:1: unclosed tag: no \"=}}\" "
		    "after \"{{=\"" },
		{ "unclosed with new delimiters", "{{=<% %>=}}\n<%name }}",
		    CLR_ESYNTAX, "t.mustache:2:1: unclosed tag: no \"%>\" "
		    "after \"<%\"" },
		{ "empty name", "{{}}",
		    CLR_ESYNTAX, "t.mustache:1:1: empty tag name" },
		{ "blank name", "ab{{  }}",
		    CLR_ESYNTAX, "t.mustache:1:3: empty tag name" },
		{ "empty section name", "{{#}}{{/}}",
		    CLR_ESYNTAX, "t.mustache:1:1: empty tag name" },
		{ "empty inverted name", "{{^ }}",
		    CLR_ESYNTAX, "t.mustache:1:1: empty tag name" },
		{ "empty ampersand name", "{{&}}",
		    CLR_ESYNTAX, "t.mustache:1:1: empty tag name" },
		{ "empty triple name", "{{{ }}}",
		    CLR_ESYNTAX, "t.mustache:1:1: empty tag name" },
		{ "empty close name", "{{#a}}{{/}}",
		    CLR_ESYNTAX, "t.mustache:1:7: empty tag name" },
		{ "empty partial name", "{{> }}",
		    CLR_ESYNTAX, "t.mustache:1:1: empty partial name" },
		{ "whitespace in a name", "{{first name}}",
		    CLR_ESYNTAX, "t.mustache:1:1: tag name \"first name\" "
		    "contains whitespace" },
		{ "whitespace in a partial name", "{{>a b}}",
		    CLR_ESYNTAX, "t.mustache:1:1: partial name \"a b\" "
		    "contains whitespace" },
		{ "empty dotted part", "{{a..b}}",
		    CLR_ESYNTAX, "t.mustache:1:1: bad name \"a..b\": a dotted "
		    "name has an empty part" },
		{ "leading dot", "{{#.a}}{{/.a}}",
		    CLR_ESYNTAX, "t.mustache:1:1: bad name \".a\": a dotted "
		    "name has an empty part" },
		{ "trailing dot", "{{{a.}}}",
		    CLR_ESYNTAX, "t.mustache:1:1: bad name \"a.\": a dotted "
		    "name has an empty part" },
		{ "inheritance", "{{<base}}{{/base}}",
		    CLR_ESYNTAX, "t.mustache:1:1: template inheritance "
		    "(\"{{<\" tags) is not supported" },
		{ "block", "{{$title}}x{{/title}}",
		    CLR_ESYNTAX, "t.mustache:1:1: template inheritance "
		    "(\"{{$\" tags) is not supported" },
		{ "dynamic partial", "{{>*name}}",
		    CLR_ESYNTAX, "t.mustache:1:1: dynamic partial names "
		    "(\"*name\") are not supported" },
		{ "error in a partial", "Dear\n  {{>card}}\n",
		    CLR_ESYNTAX, "card.mustache:2:1: section \"a\" is not "
		    "closed (in partial \"card\" included at t.mustache:2:3)" },
		{ "error in a nested partial", "{{#x}}{{>deep}}{{/x}}",
		    CLR_ESYNTAX, "card.mustache:2:1: section \"a\" is not "
		    "closed (in partial \"card\" included at "
		    "deep.mustache:2:1)" },
		{ "delimiters in a partial", "{{>bad}}",
		    CLR_ESYNTAX, "bad.mustache:1:15: closing tag \"y\" "
		    "without an open section (in partial \"bad\" included at "
		    "t.mustache:1:1)" },
		{ "missing partial is no error", "{{>nothing}}", 0, NULL },
	};
	struct tpl_loader	 loader = { (void *)(uintptr_t)parts,
				    parts_load };
	struct clr_err		 err;
	struct tpl		*t;
	size_t			 i;

	for (i = 0; i < ARRAY_LEN(cases); i++) {
		print_message("compile error: %s\n", cases[i].name);
		memset(&err, 0, sizeof(err));
		t = tpl_compile("t.mustache", cases[i].src,
		    strlen(cases[i].src), TPL_ESCAPE_HTML, &loader, &err);
		if (cases[i].code == 0) {
			assert_non_null(t);
			tpl_free(t);
			continue;
		}
		assert_null(t);
		assert_int_equal(err.code, cases[i].code);
		assert_string_equal(err.msg, cases[i].msg);
	}
}

/* The compile-time bounds: source size, section nesting. */
static void
test_limits(void **state)
{
	struct clr_err	 err;
	struct buf	 b = BUF_INITIALIZER(4 * OUT_MAX);
	struct tpl	*t;
	char		 want[128];
	int		 depth, i;

	/* TPL_MAX_DEPTH nested sections compile; one more does not. */
	for (depth = TPL_MAX_DEPTH; depth <= TPL_MAX_DEPTH + 1; depth++) {
		buf_reset(&b);
		for (i = 0; i < depth; i++)
			assert_int_equal(buf_puts(&b, "{{#a}}"), 0);
		for (i = 0; i < depth; i++)
			assert_int_equal(buf_puts(&b, "{{/a}}"), 0);
		memset(&err, 0, sizeof(err));
		t = tpl_compile("n.mustache", b.data, b.len, TPL_ESCAPE_HTML,
		    NULL, &err);
		if (depth == TPL_MAX_DEPTH) {
			assert_non_null(t);
			tpl_free(t);
			continue;
		}
		assert_null(t);
		assert_int_equal(err.code, CLR_ETOOBIG);
		snprintf(want, sizeof(want), "n.mustache:1:%d: sections nested "
		    "deeper than %d", TPL_MAX_DEPTH * 6 + 1, TPL_MAX_DEPTH);
		assert_string_equal(err.msg, want);
	}
	/* 1 MiB of source compiles; a byte more does not. */
	buf_reset(&b);
	for (i = 0; i < 1024 * 1024; i++)
		assert_int_equal(buf_putc(&b, i % 64 == 63 ? '\n' : 'x'), 0);
	t = tpl_compile("big.mustache", b.data, b.len, TPL_ESCAPE_NONE, NULL,
	    &err);
	assert_non_null(t);
	tpl_free(t);
	assert_int_equal(buf_putc(&b, 'x'), 0);
	memset(&err, 0, sizeof(err));
	assert_null(tpl_compile("big.mustache", b.data, b.len,
	    TPL_ESCAPE_NONE, NULL, &err));
	assert_int_equal(err.code, CLR_ETOOBIG);
	assert_string_equal(err.msg, "big.mustache: template is longer than "
	    "1048576 bytes");
	buf_free(&b);
}

/* TPL_ESCAPE_HTML escapes & < > " ' in {{x}} only; NONE escapes nothing. */
static void
test_escape(void **state)
{
	static const struct {
		const char	*src;
		const char	*html, *none;
	} cases[] = {
		{ "{{v}}", "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s"
		    "&lt;/a&gt;", "<a href=\"x\">Tom & Jerry's</a>" },
		{ "{{{v}}}", "<a href=\"x\">Tom & Jerry's</a>",
		    "<a href=\"x\">Tom & Jerry's</a>" },
		{ "{{& v }}", "<a href=\"x\">Tom & Jerry's</a>",
		    "<a href=\"x\">Tom & Jerry's</a>" },
		{ "{{plain}}", "caf\xc3\xa9 \xe2\x82\xac 1", "caf\xc3\xa9 "
		    "\xe2\x82\xac 1" },
		{ "{{only}}", "&amp;&amp;&lt;&gt;", "&&<>" },
		{ "<p>{{n}}</p>", "<p>3.50</p>", "<p>3.50</p>" },
		{ "{{t}}/{{f}}/{{z}}", "true/false/", "true/false/" },
	};
	const char	*data =
	    "{\"v\":\"<a href=\\\"x\\\">Tom & Jerry's</a>\","
	    "\"plain\":\"caf\xc3\xa9 \xe2\x82\xac 1\",\"only\":\"&&<>\","
	    "\"n\":3.50,\"t\":true,\"f\":false,\"z\":null}";
	char		*s;
	size_t		 i;
	int		 rc;

	for (i = 0; i < ARRAY_LEN(cases); i++) {
		s = render(cases[i].src, data, TPL_ESCAPE_HTML, NULL, &rc);
		assert_int_equal(rc, 0);
		assert_string_equal(s, cases[i].html);
		clr_free(s);
		s = render(cases[i].src, data, TPL_ESCAPE_NONE, NULL, &rc);
		assert_int_equal(rc, 0);
		assert_string_equal(s, cases[i].none);
		clr_free(s);
	}
}

/* Cases beyond the spec files: truthiness, lookup, whitespace rules. */
static void
test_render_cases(void **state)
{
	static const struct part parts[] = {
		{ "li", "li.mustache", "<li>{{name}}</li>\n" },
		{ "box", "box.mustache", "[\n{{#items}}\n  {{>li}}\n"
		    "{{/items}}\n]\n" },
		{ "crlf", "crlf.mustache", "a\r\n{{#t}}\r\nb\r\n{{/t}}\r\n" },
		{ NULL, NULL, NULL }
	};
	static const struct {
		const char	*name, *src, *data, *expected;
	} cases[] = {
		{ "empty string is truthy", "{{#s}}[{{s}}]{{/s}}{{^s}}no{{/s}}",
		    "{\"s\":\"\"}", "[]" },
		{ "zero is truthy", "{{#z}}<{{.}}>{{/z}}", "{\"z\":0}", "<0>" },
		{ "empty object is truthy", "{{#o}}yes{{/o}}", "{\"o\":{}}",
		    "yes" },
		{ "null hides outer", "{{#in}}[{{x}}]{{/in}}",
		    "{\"x\":\"outer\",\"in\":{\"x\":null}}", "[]" },
		{ "list and object interpolate as nothing", "[{{l}}{{o}}]",
		    "{\"l\":[1],\"o\":{\"a\":1}}", "[]" },
		{ "missing root", "a{{x}}b{{#x}}c{{/x}}{{^x}}d{{/x}}", "null",
		    "abd" },
		{ "dotted name through lists fails", "[{{l.0}}]",
		    "{\"l\":[\"a\"]}", "[]" },
		{ "dotted section", "{{#a.b}}{{c}}{{/a.b}}",
		    "{\"a\":{\"b\":{\"c\":\"x\"}}}", "x" },
		{ "nested lists", "{{#l}}({{#.}}{{.}}{{/.}}){{/l}}",
		    "{\"l\":[[1,2],[],[3]]}", "(12)()(3)" },
		{ "unicode names", "{{caf\xc3\xa9}}", "{\"caf\xc3\xa9\":1}",
		    "1" },
		{ "decoded escapes", "{{{s}}}", "{\"s\":\"\\u00e9\\ud83d\\ude00"
		    "\\n\"}", "\xc3\xa9\xf0\x9f\x98\x80\n" },
		{ "CRLF standalone sections", "{{#t}}\r\nx\r\n{{/t}}\r\ny",
		    "{\"t\":true}", "x\r\ny" },
		{ "CRLF partial lines", "{{>crlf}}", "{\"t\":1}",
		    "a\r\nb\r\n" },
		{ "lone CR is not a line end", "{{#t}}\rx{{/t}}",
		    "{\"t\":true}", "\rx" },
		{ "two tags on a line are not standalone",
		    "{{#t}}{{/t}}\nx", "{\"t\":true}", "\nx" },
		{ "indented partial in a section",
		    "<ul>\n  {{>box}}\n</ul>\n",
		    "{\"items\":[{\"name\":\"a\"},{\"name\":\"<b>\"}]}",
		    "<ul>\n  [\n    <li>a</li>\n    <li>&lt;b&gt;</li>\n  ]\n"
		    "</ul>\n" },
		{ "same partial at two indentations",
		    "{{>li}}\n {{>li}}\n  {{>li}}", "{\"name\":\"n\"}",
		    "<li>n</li>\n <li>n</li>\n  <li>n</li>\n" },
		{ "inline partial is not indented", "  x{{>box}}",
		    "{\"items\":[{\"name\":\"a\"}]}",
		    "  x[\n  <li>a</li>\n]\n" },
		{ "delimiters with triple", "{{=<% %>=}}<%{v}%> <%&v%> <%v%>",
		    "{\"v\":\"<\"}", "< < &lt;" },
		{ "delimiters containing braces", "{{=[[ ]]=}}[[{v}]]",
		    "{\"v\":\"&\"}", "&" },
		{ "comment with the open delimiter", "a{{! {{x }}b", "{}",
		    "ab" },
		{ "text after a section is not in it",
		    "{{#l}}<{{.}}>{{/l}} end", "{\"l\":[1,2]}", "<1><2> end" },
	};
	char	*s;
	size_t	 i;
	int	 rc;

	for (i = 0; i < ARRAY_LEN(cases); i++) {
		print_message("render: %s\n", cases[i].name);
		s = render(cases[i].src, cases[i].data, TPL_ESCAPE_HTML, parts,
		    &rc);
		assert_int_equal(rc, 0);
		assert_string_equal(s, cases[i].expected);
		clr_free(s);
	}
}

/*
 * Recursive partials: depth is bounded by TPL_MAX_DEPTH (sections and
 * partial calls both count), the same at any indentation, and a list in
 * a recursive partial cannot run exponentially long.
 */
static void
test_recursion(void **state)
{
	static const struct part parts[] = {
		/* A tree, standalone and so indented one more step a level. */
		{ "node", "node.mustache", "<li>{{name}}\n  {{#kids}}\n"
		    "  {{>node}}\n  {{/kids}}\n</li>\n" },
		{ "inline", "inline.mustache", "({{name}}{{#kids}}{{>inline}}"
		    "{{/kids}})" },
		{ "self", "self.mustache", "{{>self}}" },
		{ "fork", "fork.mustache",
		    "{{#n}}{{#l}}{{>fork}}{{/l}}{{/n}}" },
		{ NULL, NULL, NULL }
	};
	struct buf	 data = BUF_INITIALIZER(OUT_MAX);
	char		*s;
	int		 levels, i, rc;

	/*
	 * Each level of the tree is a section and a partial call: 2 levels
	 * of depth. The outer partial call is 1 more, so 16 levels fit in
	 * 32 (1 + 15 * 2 + 1 for the innermost, empty, kids section).
	 */
	for (levels = 15; levels <= 17; levels++) {
		buf_reset(&data);
		for (i = 0; i < levels; i++)
			assert_int_equal(buf_printf(&data, "{\"name\":\"n%d\","
			    "\"kids\":[", i), 0);
		for (i = 0; i < levels; i++)
			assert_int_equal(buf_puts(&data, "]}"), 0);
		s = render("{{>inline}}", data.data, TPL_ESCAPE_HTML, parts,
		    &rc);
		if (levels <= 16) {
			assert_int_equal(rc, 0);
			assert_int_equal(strncmp(s, "(n0(n1(n2", 9), 0);
		} else
			assert_int_equal(rc, CLR_ETOOBIG);
		clr_free(s);
		s = render("{{>node}}", data.data, TPL_ESCAPE_HTML, parts,
		    &rc);
		if (levels <= 16) {
			assert_int_equal(rc, 0);
			assert_non_null(strstr(s, "<li>n0\n  <li>n1\n    "
			    "<li>n2\n"));
			assert_true(levels < 16 || strstr(s, "\n"
			    "                              <li>n15\n") != NULL);
		} else
			assert_int_equal(rc, CLR_ETOOBIG);
		clr_free(s);
	}
	/* Infinite recursion is refused at render time, not compile time. */
	s = render("a{{>self}}", "{}", TPL_ESCAPE_HTML, parts, &rc);
	assert_int_equal(rc, CLR_ETOOBIG);
	assert_null(s);
	s = render("{{#no}}{{>self}}{{/no}}ok", "{}", TPL_ESCAPE_HTML, parts,
	    &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(s, "ok");
	clr_free(s);
	/*
	 * Eight calls a level, each level 3 deep: 5 levels run (8^5 calls),
	 * 9 levels (8^9 calls, 28 deep) would run for minutes with no
	 * output and are stopped by the instruction budget.
	 */
	for (levels = 5; levels <= 9; levels += 4) {
		buf_reset(&data);
		assert_int_equal(buf_puts(&data, "{\"l\":[1,2,3,4,5,6,7,8]"),
		    0);
		for (i = 0; i < levels; i++)
			assert_int_equal(buf_puts(&data, ",\"n\":{\"x\":1"), 0);
		assert_int_equal(buf_puts(&data, ",\"n\":false"), 0);
		for (i = 0; i <= levels; i++)
			assert_int_equal(buf_putc(&data, '}'), 0);
		s = render("{{>fork}}", data.data, TPL_ESCAPE_HTML, parts,
		    &rc);
		assert_int_equal(rc, levels == 5 ? 0 : CLR_ETOOBIG);
		clr_free(s);
	}
	buf_free(&data);
}

/* The output cap is the buf's: CLR_ETOOBIG, output never past it. */
static void
test_output_cap(void **state)
{
	struct json_value	*root = parse("{\"l\":[1,2,3,4,5,6,7,8,9,10],"
				    "\"v\":\"<&>\"}");
	struct clr_err		 err = { 0, "" };
	struct tpl		*t;
	const char		*src = "{{#l}}[{{.}}:{{v}}]{{/l}}";
	const char		*full = "[1:&lt;&amp;&gt;][2:&lt;&amp;&gt;]";
	struct buf		 out;
	size_t			 max;
	int			 rc;

	t = tpl_compile("cap.mustache", src, strlen(src), TPL_ESCAPE_HTML,
	    NULL, &err);
	assert_non_null(t);
	buf_init(&out, OUT_MAX);
	assert_int_equal(tpl_render(t, &json_data, root, &out), 0);
	/* Nine items of 17 bytes, then "[10:&lt;&amp;&gt;]". */
	assert_int_equal(out.len, 9 * 17 + 18);
	assert_int_equal(memcmp(out.data, full, strlen(full)), 0);
	buf_free(&out);
	for (max = 0; max <= 9 * 17 + 18; max++) {
		buf_init(&out, max);
		rc = tpl_render(t, &json_data, root, &out);
		assert_int_equal(rc, max < 9 * 17 + 18 ? CLR_ETOOBIG : 0);
		assert_true(out.len <= max);
		buf_free(&out);
	}
	tpl_free(t);
	json_free(root);
}

struct names {
	struct buf	 b;
};

static void
name_cb(void *arg, const struct tpl_name *n)
{
	struct names	*ns = arg;

	assert_int_equal(buf_printf(&ns->b, "%s:%u:%u %s%.*s\n", n->file,
	    n->line, n->col, n->section ? "#" : "", (int)n->len, n->name), 0);
}

/* tpl_foreach_name: each name, where it is, once per partial. */
static void
test_foreach_name(void **state)
{
	static const struct part parts[] = {
		{ "addr", "addr.mustache", "{{attrs.street}}\n"
		    "{{ attrs.city }}" },
		{ "sig", "sig.mustache", "-- \n{{>addr}}\n{{org}}" },
		{ NULL, NULL, NULL }
	};
	const char	*src = "Dear {{first_name}},\n"
	    "{{#items}}\n"
	    "  * {{.}} {{{raw}}} {{&amp}}\n"
	    "{{/items}}{{^items}}none{{/items}}\n"
	    "{{! not_a_name }}{{=<% %>=}}<%last%>\n"
	    "  <%>addr%>\n"
	    "<%>sig%>\n"
	    "    <%>addr%>\n";
	const char	*want =
	    "t.mustache:1:6 first_name\n"
	    "t.mustache:2:1 #items\n"
	    "t.mustache:3:5 .\n"
	    "t.mustache:3:11 raw\n"
	    "t.mustache:3:21 amp\n"
	    "t.mustache:4:11 #items\n"
	    "t.mustache:5:29 last\n"
	    "addr.mustache:1:1 attrs.street\n"
	    "addr.mustache:2:1 attrs.city\n"
	    "sig.mustache:3:1 org\n";
	struct tpl_loader loader = { (void *)(uintptr_t)parts, parts_load };
	struct clr_err	 err = { 0, "" };
	struct names	 ns;
	struct tpl	*t;

	buf_init(&ns.b, OUT_MAX);
	t = tpl_compile("t.mustache", src, strlen(src), TPL_ESCAPE_HTML,
	    &loader, &err);
	if (t == NULL)
		fail_msg("%s", err.msg);
	tpl_foreach_name(t, name_cb, &ns);
	assert_string_equal(ns.b.data, want);
	tpl_free(t);
	buf_free(&ns.b);
}

/* One compiled template, many renders with different data. */
static void
test_reuse(void **state)
{
	static const struct part parts[] = {
		{ "greet", "greet.mustache", "Hello {{name}}" },
		{ NULL, NULL, NULL }
	};
	const char		*src = "{{>greet}}{{#city}} from {{city}}"
	    "{{/city}}!";
	struct tpl_loader	 loader = { (void *)(uintptr_t)parts,
				    parts_load };
	struct clr_err		 err = { 0, "" };
	struct buf		 out = BUF_INITIALIZER(1024), data;
	struct json_value	*root;
	struct tpl		*t;
	char			 want[128];
	int			 i;

	t = tpl_compile("t.mustache", src, strlen(src), TPL_ESCAPE_HTML,
	    &loader, &err);
	assert_non_null(t);
	buf_init(&data, 1024);
	for (i = 0; i < 1000; i++) {
		buf_reset(&data);
		buf_reset(&out);
		if (i % 3 == 0)
			assert_int_equal(buf_printf(&data, "{\"name\":\"c%d\"}",
			    i), 0);
		else
			assert_int_equal(buf_printf(&data, "{\"name\":\"c%d\","
			    "\"city\":\"<%d>\"}", i, i), 0);
		root = parse(data.data);
		assert_int_equal(tpl_render(t, &json_data, root, &out), 0);
		if (i % 3 == 0)
			snprintf(want, sizeof(want), "Hello c%d!", i);
		else
			snprintf(want, sizeof(want), "Hello c%d from "
			    "&lt;%d&gt;!", i, i);
		assert_string_equal(out.data, want);
		json_free(root);
	}
	buf_free(&data);
	buf_free(&out);
	tpl_free(t);
}

struct thread_arg {
	const struct tpl	*t;
	int			 id;
	int			 failures;
};

static void *
thread_main(void *p)
{
	struct thread_arg	*a = p;
	struct buf		 out = BUF_INITIALIZER(1 << 16), data;
	struct clr_err		 err;
	struct json_value	*root;
	char			 want[256];
	int			 i;

	buf_init(&data, 1024);
	for (i = 0; i < 2000; i++) {
		buf_reset(&data);
		buf_reset(&out);
		if (buf_printf(&data, "{\"who\":\"t%d-%d\",\"l\":[%d,%d]}",
		    a->id, i, i, a->id) != 0 ||
		    json_parse(data.data, data.len, &root, &err) != 0) {
			a->failures++;
			continue;
		}
		snprintf(want, sizeof(want), "<p>t%d-%d</p>\n  <i>%d</i>\n"
		    "  <i>%d</i>\n", a->id, i, i, a->id);
		if (tpl_render(a->t, &json_data, root, &out) != 0 ||
		    strcmp(out.data, want) != 0)
			a->failures++;
		json_free(root);
	}
	buf_free(&data);
	buf_free(&out);
	return NULL;
}

/* Two threads render one template at once, each with its own data. */
static void
test_threads(void **state)
{
	static const struct part parts[] = {
		{ "item", "item.mustache", "<i>{{.}}</i>\n" },
		{ NULL, NULL, NULL }
	};
	const char		*src = "<p>{{who}}</p>\n{{#l}}\n  {{>item}}\n"
	    "{{/l}}\n";
	struct tpl_loader	 loader = { (void *)(uintptr_t)parts,
				    parts_load };
	struct clr_err		 err = { 0, "" };
	struct thread_arg	 args[2];
	pthread_t		 th[2];
	struct tpl		*t;
	int			 i;

	t = tpl_compile("t.mustache", src, strlen(src), TPL_ESCAPE_HTML,
	    &loader, &err);
	assert_non_null(t);
	for (i = 0; i < 2; i++) {
		args[i].t = t;
		args[i].id = i;
		args[i].failures = 0;
		assert_int_equal(pthread_create(&th[i], NULL, thread_main,
		    &args[i]), 0);
	}
	for (i = 0; i < 2; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(args[i].failures, 0);
	}
	tpl_free(t);
}

/* Every allocation of a compile may fail: NULL, CLR_ENOMEM, no leak. */
static void
test_enomem(void **state)
{
	static const struct part parts[] = {
		{ "a", "a.mustache", "{{#x}}\n  {{>b}}\n{{/x}}{{y.z}}" },
		{ "b", "b.mustache", "{{w}}\n{{>a}}\n" },
		{ NULL, NULL, NULL }
	};
	const char		*src = "x {{v}}\n  {{>a}}\n{{#s}}{{t}}{{/s}}";
	struct tpl_loader	 loader = { (void *)(uintptr_t)parts,
				    parts_load };
	struct clr_err		 err;
	struct tpl		*t;
	long			 n, calls;

	test_fail_after(-1);
	t = tpl_compile("t.mustache", src, strlen(src), TPL_ESCAPE_HTML,
	    &loader, &err);
	assert_non_null(t);
	tpl_free(t);
	calls = test_alloc_calls();
	assert_true(calls > 5);
	for (n = 0; n < calls; n++) {
		test_fail_after(n);
		memset(&err, 0, sizeof(err));
		t = tpl_compile("t.mustache", src, strlen(src),
		    TPL_ESCAPE_HTML, &loader, &err);
		assert_null(t);
		assert_int_equal(err.code, CLR_ENOMEM);
		assert_true(strncmp(err.msg, "t.mustache", 10) == 0 ||
		    strncmp(err.msg, "a.mustache", 10) == 0 ||
		    strncmp(err.msg, "b.mustache", 10) == 0);
	}
	test_restore_allocator(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_comments),
		cmocka_unit_test(test_spec_delimiters),
		cmocka_unit_test(test_spec_interpolation),
		cmocka_unit_test(test_spec_inverted),
		cmocka_unit_test(test_spec_partials),
		cmocka_unit_test(test_spec_sections),
		cmocka_unit_test(test_spec_total),
		cmocka_unit_test(test_compile_errors),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_render_cases),
		cmocka_unit_test(test_recursion),
		cmocka_unit_test(test_output_cap),
		cmocka_unit_test(test_foreach_name),
		cmocka_unit_test(test_reuse),
		cmocka_unit_test(test_threads),
		cmocka_unit_test_teardown(test_enomem, test_restore_allocator),
	};

	return cmocka_run_group_tests_name("template", tests, NULL, NULL);
}
