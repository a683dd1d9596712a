/* SPDX-License-Identifier: ISC */
/*
 * tests/unit/json_test.c - util/json: string escaping (RFC 8259), including
 * U+2028/U+2029 for JavaScript, and errors passed up from the buf; the
 * validator; the parser (values, decoding, error messages with their
 * positions, depth and size bounds, accessors, json_write round trips,
 * agreement with the validator, allocation failures)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"

#define ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))
#define S(lit)		lit, sizeof(lit) - 1	/* a literal and its length */


static void	 test_escape(void **);
static void	 test_all_bytes(void **);
static void	 test_appends(void **);
static void	 test_cap(void **);
static void	 test_enomem(void **);
static void	 test_valid_object(void **);
static void	 test_parse_values(void **);
static void	 test_parse_strings(void **);
static void	 test_parse_errors(void **);
static void	 test_parse_depth(void **);
static void	 test_parse_agrees(void **);
static void	 test_accessors(void **);
static void	 test_parse_enomem(void **);

static void
test_escape(void **state)
{
	static const struct {
		const char	*name;
		const char	*input;
		size_t		 len;
		const char	*expected;
	} cases[] = {
		{ "empty", S(""), "\"\"" },
		{ "plain", S("hello"), "\"hello\"" },
		{ "quote", S("say \"hi\""), "\"say \\\"hi\\\"\"" },
		{ "backslash", S("C:\\dir"), "\"C:\\\\dir\"" },
		{ "only a quote", S("\""), "\"\\\"\"" },
		{ "only a backslash", S("\\"), "\"\\\\\"" },
		{ "newline", S("a\nb"), "\"a\\nb\"" },
		{ "carriage return", S("a\rb"), "\"a\\rb\"" },
		{ "tab", S("a\tb"), "\"a\\tb\"" },
		{ "backspace", S("a\bb"), "\"a\\bb\"" },
		{ "form feed", S("a\fb"), "\"a\\fb\"" },
		{ "U+0001", S("\x01"), "\"\\u0001\"" },
		{ "NUL", S("a\0b"), "\"a\\u0000b\"" },
		{ "U+001F", S("\x1f"), "\"\\u001f\"" },
		{ "vertical tab", S("\v"), "\"\\u000b\"" },
		{ "escape", S("\x1b[0m"), "\"\\u001b[0m\"" },
		{ "space is plain", S(" "), "\" \"" },
		{ "DEL is plain", S("\x7f"), "\"\x7f\"" },
		{ "slash is plain", S("</script>"), "\"</script>\"" },
		{ "every escape in a row", S("\"\\\b\f\n\r\t\x01"),
		    "\"\\\"\\\\\\b\\f\\n\\r\\t\\u0001\"" },
		{ "U+2028", S("a\xe2\x80\xa8z"), "\"a\\u2028z\"" },
		{ "U+2029", S("a\xe2\x80\xa9z"), "\"a\\u2029z\"" },
		{ "U+2028 alone", S("\xe2\x80\xa8"), "\"\\u2028\"" },
		{ "U+2028 U+2029 in a row", S("\xe2\x80\xa8\xe2\x80\xa9"),
		    "\"\\u2028\\u2029\"" },
		{ "U+2027 is plain", S("\xe2\x80\xa7"), "\"\xe2\x80\xa7\"" },
		{ "U+202A is plain", S("\xe2\x80\xaa"), "\"\xe2\x80\xaa\"" },
		{ "U+20AC is plain", S("\xe2\x82\xac"), "\"\xe2\x82\xac\"" },
		{ "latin-1 plain", S("caf\xc3\xa9"), "\"caf\xc3\xa9\"" },
		{ "CJK plain", S("\xe4\xbe\x8b\xe5\xad\x90"),
		    "\"\xe4\xbe\x8b\xe5\xad\x90\"" },
		{ "emoji plain", S("\xf0\x9f\x98\x80!"),
		    "\"\xf0\x9f\x98\x80!\"" },
		{ "U+0085 (C1) passes as UTF-8", S("\xc2\x85"),
		    "\"\xc2\x85\"" },
		{ "mixed", S("\xc3\xa9\n\xe2\x80\xa8\"x"),
		    "\"\xc3\xa9\\n\\u2028\\\"x\"" },
	};
	size_t	 i;

	for (i = 0; i < ARRAY_LEN(cases); i++) {
		struct buf	 b = BUF_INITIALIZER(1024);

		print_message("escape: %s\n", cases[i].name);
		assert_int_equal(json_put_string(&b, cases[i].input,
		    cases[i].len), 0);
		assert_string_equal(b.data, cases[i].expected);
		assert_int_equal(b.len, strlen(cases[i].expected));
		buf_free(&b);
	}
}

/*
 * Every single byte: the output never holds a raw control character, '"'
 * only as the delimiters and '\\' only as an escape.
 */
static void
test_all_bytes(void **state)
{
	unsigned	 c;
	size_t		 k;

	for (c = 0; c < 256; c++) {
		struct buf	 b = BUF_INITIALIZER(64);
		char		 in = (char)c;

		assert_int_equal(json_put_string(&b, &in, 1), 0);
		assert_true(b.len >= 3);
		assert_int_equal(b.data[0], '"');
		assert_int_equal(b.data[b.len - 1], '"');
		for (k = 1; k + 1 < b.len; k++)
			assert_true((unsigned char)b.data[k] >= 0x20);
		if (c < 0x20 || c == '"' || c == '\\')
			assert_int_equal(b.data[1], '\\');
		else
			assert_int_equal(b.len, 3);
		buf_free(&b);
	}
}

/* The string is appended after what the buf holds; only n bytes read. */
static void
test_appends(void **state)
{
	struct buf	 b = BUF_INITIALIZER(1024);

	assert_int_equal(buf_puts(&b, "{\"k\":"), 0);
	assert_int_equal(json_put_string(&b, "v\"alue", 2), 0);
	assert_int_equal(buf_putc(&b, '}'), 0);
	assert_string_equal(b.data, "{\"k\":\"v\\\"\"}");
	buf_reset(&b);
	/* A U+2028 cut short by n is not taken for one. */
	assert_int_equal(json_put_string(&b, "\xe2\x80\xa8", 2), 0);
	assert_string_equal(b.data, "\"\xe2\x80\"");
	buf_free(&b);
}

/* The buf's cap is respected and its error passed up. */
static void
test_cap(void **state)
{
	static const struct {
		const char	*name;
		const char	*input;
		size_t		 max;
		int		 rc;
	} cases[] = {
		{ "fits exactly", "abc", 5, 0 },
		{ "closing quote does not fit", "abc", 4, CLR_ETOOBIG },
		{ "escape fits exactly", "\n", 4, 0 },
		{ "escape does not fit", "\n", 3, CLR_ETOOBIG },
		{ "\\u escape fits exactly", "\x01", 8, 0 },
		{ "\\u escape does not fit", "\x01", 7, CLR_ETOOBIG },
		{ "U+2028 fits exactly", "\xe2\x80\xa8", 8, 0 },
		{ "U+2028 does not fit", "\xe2\x80\xa8", 7, CLR_ETOOBIG },
		{ "opening quote does not fit", "", 0, CLR_ETOOBIG },
	};
	size_t	 i;

	for (i = 0; i < ARRAY_LEN(cases); i++) {
		struct buf	 b = BUF_INITIALIZER(cases[i].max);

		print_message("cap: %s\n", cases[i].name);
		assert_int_equal(json_put_string(&b, cases[i].input,
		    strlen(cases[i].input)), cases[i].rc);
		assert_true(b.len <= cases[i].max);
		buf_free(&b);
	}
}

static void
test_enomem(void **state)
{
	struct buf	 b = BUF_INITIALIZER(1024);

	test_fail_after(0);
	assert_int_equal(json_put_string(&b, "x", 1), CLR_ENOMEM);
	assert_null(b.data);
}

static void
test_valid_object(void **state)
{
	static const struct {
		const char	*text;
		int		 valid;
	} cases[] = {
		{ "{}", 1 },
		{ " { } ", 1 },
		{ "{\"a\":\"b\"}", 1 },
		{ "{\"city\":\"Li\xc3\xa8ge\",\"n\":\"1348\"}", 1 },
		{ "{\"a\":[1,-2.5e+3,0,0.1,true,false,null,{},[]]}", 1 },
		{ "{\"e\":\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t\"}", 1 },
		{ "{\"u\":\"\\u00e9 \\uD83D\\uDE00\"}", 1 },
		{ "\t{\r\n\"a\" : 1 }\n", 1 },
		{ "", 0 },
		{ "[]", 0 },			/* not an object */
		{ "\"s\"", 0 },
		{ "{", 0 },
		{ "{}}", 0 },
		{ "{} {}", 0 },
		{ "{\"a\"}", 0 },
		{ "{\"a\":}", 0 },
		{ "{\"a\":1,}", 0 },		/* trailing comma */
		{ "{,}", 0 },
		{ "{a:1}", 0 },			/* unquoted key */
		{ "{'a':1}", 0 },
		{ "{\"a\":01}", 0 },		/* leading zero */
		{ "{\"a\":1.}", 0 },
		{ "{\"a\":.5}", 0 },
		{ "{\"a\":1e}", 0 },
		{ "{\"a\":+1}", 0 },
		{ "{\"a\":tru}", 0 },
		{ "{\"a\":nul}", 0 },
		{ "{\"a\":\"x\ny\"}", 0 },	/* raw control character */
		{ "{\"a\":\"\\x\"}", 0 },	/* unknown escape */
		{ "{\"a\":\"\\u12\"}", 0 },
		{ "{\"a\":\"\\uD83D\"}", 0 },	/* lone high surrogate */
		{ "{\"a\":\"\\uDE00\"}", 0 },	/* lone low surrogate */
		{ "{\"a\":\"\xc3\x28\"}", 0 },	/* invalid UTF-8 */
		{ "{\"a\":\"unterminated}", 0 },
		{ "{\"a\":1 /* c */}", 0 },
		{ "{\"a\":NaN}", 0 },
	};
	char	 deep[2 * JSON_MAX_DEPTH + 16];
	size_t	 i, n;

	(void)state;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		if (json_valid_object(cases[i].text, strlen(cases[i].text)) !=
		    cases[i].valid)
			fail_msg("\"%s\": expected %s", cases[i].text,
			    cases[i].valid ? "valid" : "invalid");
	}
	/* A NUL inside is not JSON; n bounds the text, not a NUL. */
	assert_false(json_valid_object("{\"a\":\"\0\"}", 8));
	assert_true(json_valid_object("{}xyz", 2));
	/* Nesting: JSON_MAX_DEPTH levels pass, one more does not. */
	for (n = 0; n < 2; n++) {
		size_t	 depth = JSON_MAX_DEPTH + n, k = 0, d;

		deep[k++] = '{';
		memcpy(deep + k, "\"a\":", 4);
		k += 4;
		for (d = 1; d < depth; d++)
			deep[k++] = '[';
		for (d = 1; d < depth; d++)
			deep[k++] = ']';
		deep[k++] = '}';
		assert_int_equal(json_valid_object(deep, k), n == 0);
	}
}

/*
 * Parsing then writing: numbers keep their text, escapes are decoded (and
 * written back the way json_put_string writes them), order and duplicate
 * members are kept, whitespace goes.
 */
static void
test_parse_values(void **state)
{
	static const struct {
		const char	*text;
		const char	*written;
	} cases[] = {
		{ "{}", "{}" },
		{ "[]", "[]" },
		{ "null", "null" },
		{ " true ", "true" },
		{ "false", "false" },
		{ "0", "0" },
		{ "-0", "-0" },
		{ "1.210", "1.210" },
		{ "-12.5E+03", "-12.5E+03" },
		{ "1e-7", "1e-7" },
		{ "123456789012345678901234567890",
		    "123456789012345678901234567890" },
		{ "\"\"", "\"\"" },
		{ "\"a\\/b\"", "\"a/b\"" },
		{ "\"\\u00e9\\u00E9\"", "\"\xc3\xa9\xc3\xa9\"" },
		{ "\"\\ud83d\\ude00\"", "\"\xf0\x9f\x98\x80\"" },
		{ "\"\\u2028\"", "\"\\u2028\"" },
		{ "\"\\b\\f\\n\\r\\t\\\"\\\\\"",
		    "\"\\b\\f\\n\\r\\t\\\"\\\\\"" },
		{ "\"\\u0001\\u001F\"", "\"\\u0001\\u001f\"" },
		{ "\" \\u0000 \"", "\" \\u0000 \"" },
		{ " [ 1 , [ ] , { } , \"x\" ] ", "[1,[],{},\"x\"]" },
		{ "{\"b\":1,\"a\":2,\"b\":3}", "{\"b\":1,\"a\":2,\"b\":3}" },
		{ "{\"\\u0041\":{\"\":[null]}}", "{\"A\":{\"\":[null]}}" },
		{ "\t\r\n{\"k\" : \"v\"}\n", "{\"k\":\"v\"}" },
		{ "\"caf\xc3\xa9 \xe4\xbe\x8b \xf0\x9f\x98\x80\"",
		    "\"caf\xc3\xa9 \xe4\xbe\x8b \xf0\x9f\x98\x80\"" },
	};
	struct json_value	*v, *v2;
	struct clr_err		 err;
	struct buf		 b = BUF_INITIALIZER(4096);
	struct buf		 b2 = BUF_INITIALIZER(4096);
	size_t			 i;

	for (i = 0; i < ARRAY_LEN(cases); i++) {
		print_message("parse: %s\n", cases[i].text);
		memset(&err, 0, sizeof(err));
		if (json_parse(cases[i].text, strlen(cases[i].text), &v,
		    &err) != 0)
			fail_msg("%s: %s", cases[i].text, err.msg);
		buf_reset(&b);
		assert_int_equal(json_write(&b, v), 0);
		assert_string_equal(b.data, cases[i].written);
		/* What json_write writes parses to the same text again. */
		assert_int_equal(json_parse(b.data, b.len, &v2, &err), 0);
		buf_reset(&b2);
		assert_int_equal(json_write(&b2, v2), 0);
		assert_int_equal(b2.len, b.len);
		assert_memory_equal(b2.data, b.data, b.len);
		json_free(v);
		json_free(v2);
	}
	buf_free(&b);
	buf_free(&b2);
}

/* Decoded strings: exact bytes and length, NUL included. */
static void
test_parse_strings(void **state)
{
	static const struct {
		const char	*text;
		const char	*bytes;
		size_t		 len;
	} cases[] = {
		{ "\"abc\"", S("abc") },
		{ "\"a\\u0000b\"", S("a\0b") },
		{ "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", S("\"\\/\b\f\n\r\t") },
		{ "\"\\u007f\\u0080\\u07FF\\u0800\\uFFFF\"",
		    S("\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf") },
		{ "\"\\uD800\\uDC00\\uDBFF\\uDFFF\"",
		    S("\xf0\x90\x80\x80\xf4\x8f\xbf\xbf") },
		{ "\"\xed\x9f\xbf\xee\x80\x80\"",
		    S("\xed\x9f\xbf\xee\x80\x80") },
	};
	struct json_value	*v;
	struct clr_err		 err;
	size_t			 i;

	for (i = 0; i < ARRAY_LEN(cases); i++) {
		memset(&err, 0, sizeof(err));
		if (json_parse(cases[i].text, strlen(cases[i].text), &v,
		    &err) != 0)
			fail_msg("%s: %s", cases[i].text, err.msg);
		assert_int_equal(v->type, JSON_STRING);
		assert_int_equal(v->len, cases[i].len);
		assert_memory_equal(v->str, cases[i].bytes, cases[i].len);
		assert_int_equal(v->str[v->len], '\0');
		json_free(v);
	}
}

/* Errors: the code and "line L, column C: what", columns in characters. */
static void
test_parse_errors(void **state)
{
	static const struct {
		const char	*text;
		size_t		 len;
		const char	*msg;
	} cases[] = {
		{ S(""), "line 1, column 1: expected a value, got end of "
		    "input" },
		{ S("   "), "line 1, column 4: expected a value, got end of "
		    "input" },
		{ S("{"), "line 1, column 2: expected a member name in double "
		    "quotes, got end of input" },
		{ S("{\"a\":1,}"), "line 1, column 8: trailing comma in an "
		    "object" },
		{ S("[1,]"), "line 1, column 4: trailing comma in an array" },
		{ S("{\"a\" 1}"), "line 1, column 6: expected ':' after a "
		    "member name, got '1'" },
		{ S("[1 2]"), "line 1, column 4: expected ',' or ']' in an "
		    "array, got '2'" },
		{ S("[1,2"), "line 1, column 5: expected ',' or ']' in an "
		    "array, got end of input" },
		{ S("{\"a\":1 \"b\":2}"), "line 1, column 8: expected ',' or "
		    "'}' in an object, got '\"'" },
		{ S("{\"a\":1 /* c */}"), "line 1, column 8: expected ',' or "
		    "'}' in an object, got '/'" },
		{ S("{a:1}"), "line 1, column 2: expected a member name in "
		    "double quotes, got 'a'" },
		{ S("{1:1}"), "line 1, column 2: expected a member name in "
		    "double quotes, got '1'" },
		{ S("01"), "line 1, column 1: number with a leading zero" },
		{ S("[-01]"), "line 1, column 2: number with a leading zero" },
		{ S("-"), "line 1, column 2: expected a digit after '-', got "
		    "end of input" },
		{ S("-x"), "line 1, column 2: expected a digit after '-', got "
		    "'x'" },
		{ S("1."), "line 1, column 3: expected a digit after '.', got "
		    "end of input" },
		{ S(".5"), "line 1, column 1: expected a value, got '.'" },
		{ S("+1"), "line 1, column 1: expected a value, got '+'" },
		{ S("1e+"), "line 1, column 4: expected a digit in the "
		    "exponent, got end of input" },
		{ S("tru"), "line 1, column 1: invalid literal (expected "
		    "true)" },
		{ S("[nulL]"), "line 1, column 2: invalid literal (expected "
		    "null)" },
		{ S("NaN"), "line 1, column 1: expected a value, got 'N'" },
		{ S("\"abc"), "line 1, column 1: unterminated string" },
		{ S("\"abc\\"), "line 1, column 1: unterminated string" },
		{ S("\"a\nb\""), "line 1, column 3: control character 0x0A in "
		    "a string (escape it)" },
		{ S("\"a\0b\""), "line 1, column 3: control character 0x00 in "
		    "a string (escape it)" },
		{ S("\"\\x\""), "line 1, column 2: invalid escape \\x" },
		{ S("\"\\\x01\""), "line 1, column 2: invalid escape: '\\' "
		    "followed by byte 0x01" },
		{ S("\"\\u12\""), "line 1, column 2: \\u must be followed by "
		    "four hex digits" },
		{ S("\"\\u12g4\""), "line 1, column 2: \\u must be followed by "
		    "four hex digits" },
		{ S("\"\\uD83D\""), "line 1, column 2: high surrogate \\uD83D "
		    "is not followed by a low one" },
		{ S("\"\\uD83D\\u0041\""), "line 1, column 2: high surrogate "
		    "\\uD83D is not followed by a low one" },
		{ S("\"\\uD83D\\uD83D\""), "line 1, column 2: high surrogate "
		    "\\uD83D is not followed by a low one" },
		{ S("\"\\uDE00\""), "line 1, column 2: lone low surrogate "
		    "\\uDE00" },
		{ S("\"\xc3\x28\""), "line 1, column 2: invalid UTF-8 in a "
		    "string" },
		{ S("\"\xed\xa0\x80\""), "line 1, column 2: invalid UTF-8 in "
		    "a string" },
		{ S("\"\xc0\xaf\""), "line 1, column 2: invalid UTF-8 in a "
		    "string" },
		{ S("\"\xf4\x90\x80\x80\""), "line 1, column 2: invalid UTF-8 "
		    "in a string" },
		{ S("{} x"), "line 1, column 4: unexpected 'x' after the JSON "
		    "text" },
		{ S("{}{}"), "line 1, column 3: unexpected '{' after the JSON "
		    "text" },
		{ S("\n\r\n  @"), "line 3, column 3: expected a value, got "
		    "'@'" },
		{ S("[\"\xc3\xa9\xe4\xbe\x8b\", @]"), "line 1, column 8: "
		    "expected a value, got '@'" },
		{ S("\xef\xbb\xbf{}"), "line 1, column 1: expected a value, "
		    "got byte 0xEF" },
		{ S("\0"), "line 1, column 1: expected a value, got byte "
		    "0x00" },
	};
	struct json_value	*v;
	struct clr_err		 err;
	size_t			 i;

	for (i = 0; i < ARRAY_LEN(cases); i++) {
		print_message("parse error: %s\n", cases[i].msg);
		memset(&err, 0, sizeof(err));
		v = (struct json_value *)&err;	/* must be set to NULL */
		assert_int_equal(json_parse(cases[i].text, cases[i].len, &v,
		    &err), CLR_ESYNTAX);
		assert_null(v);
		assert_int_equal(err.code, CLR_ESYNTAX);
		assert_string_equal(err.msg, cases[i].msg);
		/* err may be NULL. */
		assert_int_equal(json_parse(cases[i].text, cases[i].len, &v,
		    NULL), CLR_ESYNTAX);
	}
}

/* JSON_MAX_DEPTH nested containers parse; one more is CLR_ETOOBIG. */
static void
test_parse_depth(void **state)
{
	char			 text[2 * JSON_MAX_DEPTH + 8], want[80];
	struct json_value	*v;
	struct clr_err		 err;
	size_t			 depth, k, d;
	const struct json_value	*p;

	for (depth = JSON_MAX_DEPTH; depth <= JSON_MAX_DEPTH + 1; depth++) {
		memset(text, '[', depth);
		memset(text + depth, ']', depth);
		k = 2 * depth;
		memset(&err, 0, sizeof(err));
		if (depth == JSON_MAX_DEPTH) {
			assert_int_equal(json_parse(text, k, &v, &err), 0);
			for (p = v, d = 1; json_len(p) > 0; d++)
				p = json_item(p, 0);
			assert_int_equal(d, depth);
			json_free(v);
			continue;
		}
		assert_int_equal(json_parse(text, k, &v, &err), CLR_ETOOBIG);
		assert_null(v);
		snprintf(want, sizeof(want), "line 1, column %zu: nested "
		    "deeper than %d levels", depth, JSON_MAX_DEPTH);
		assert_string_equal(err.msg, want);
	}
	/* Size: refused before a byte is read. */
	assert_int_equal(json_parse("{}", (size_t)JSON_PARSE_MAX + 1, &v,
	    &err), CLR_ETOOBIG);
	assert_null(v);
	assert_string_equal(err.msg, "JSON text is longer than 8388608 bytes");
}

/*
 * json_parse accepts an object exactly when json_valid_object does; the
 * texts are the validator's cases and some more.
 */
static void
test_parse_agrees(void **state)
{
	static const char *const texts[] = {
		"{}", " { } ", "{\"a\":\"b\"}",
		"{\"a\":[1,-2.5e+3,0,0.1,true,false,null,{},[]]}",
		"{\"u\":\"\\u00e9 \\uD83D\\uDE00\"}",
		"\t{\r\n\"a\" : 1 }\n", "", "{", "{}}", "{} {}", "{\"a\"}",
		"{\"a\":}", "{\"a\":1,}", "{,}", "{a:1}", "{'a':1}",
		"{\"a\":01}", "{\"a\":1.}", "{\"a\":.5}", "{\"a\":1e}",
		"{\"a\":+1}", "{\"a\":tru}", "{\"a\":nul}", "{\"a\":\"x\ny\"}",
		"{\"a\":\"\\x\"}", "{\"a\":\"\\u12\"}", "{\"a\":\"\\uD83D\"}",
		"{\"a\":\"\\uDE00\"}", "{\"a\":\"\xc3\x28\"}",
		"{\"a\":\"unterminated}", "{\"a\":1 /* c */}", "{\"a\":NaN}",
		"{\"a\":-}", "{\"a\":-0.0e-0}", "{\"a\":[[[]]],\"a\":{}}",
		"{\"\":\"\"}", "{\"a\":\"\\uD83D\\uDE00\\uDE00\"}",
		"{\"a\":truefalse}", "{\"a\":[1,2,]}", "{\"a\" : [ ] , }",
	};
	struct json_value	*v;
	size_t			 i;
	int			 ok;

	for (i = 0; i < ARRAY_LEN(texts); i++) {
		ok = json_parse(texts[i], strlen(texts[i]), &v, NULL) == 0;
		if (ok != json_valid_object(texts[i], strlen(texts[i])))
			fail_msg("\"%s\": parse %s, validator does not",
			    texts[i], ok ? "accepts" : "refuses");
		json_free(v);
	}
}

static void
test_accessors(void **state)
{
	struct json_value	*v;
	const struct json_value	*a;
	const char		*text = "{\"a\":{\"b\":[10,\"x\",null]},"
	    "\"k\\u0000\":1,\"d\":1,\"d\":2,\"\":true}";

	assert_int_equal(json_parse(text, strlen(text), &v, NULL), 0);
	assert_int_equal(v->type, JSON_OBJECT);
	assert_int_equal(json_len(v), 5);
	assert_string_equal(v->members[0].key, "a");
	a = json_get(json_get(v, "a"), "b");
	assert_non_null(a);
	assert_int_equal(json_len(a), 3);
	assert_string_equal(json_item(a, 0)->str, "10");
	assert_int_equal(json_item(a, 0)->type, JSON_NUMBER);
	assert_string_equal(json_item(a, 1)->str, "x");
	assert_int_equal(json_item(a, 2)->type, JSON_NULL);
	assert_null(json_item(a, 3));
	assert_null(json_item(v, 0));		/* not an array */
	assert_null(json_get(a, "b"));		/* not an object */
	assert_null(json_get(NULL, "b"));
	assert_null(json_get(json_get(v, "nope"), "b"));
	assert_int_equal(json_len(NULL), 0);
	assert_int_equal(json_len(json_item(a, 1)), 0);
	/* Keys are compared with their length: NUL inside, or empty. */
	assert_null(json_get(v, "k"));
	assert_non_null(json_getn(v, "k\0", 2));
	assert_int_equal(json_get(v, "")->type, JSON_TRUE);
	/* Duplicates: the first. */
	assert_string_equal(json_get(v, "d")->str, "1");
	json_free(v);
	json_free(NULL);
}

/* Any allocation may fail: CLR_ENOMEM, *out NULL, nothing leaked. */
static void
test_parse_enomem(void **state)
{
	const char		*text =
	    "{\"a\":[1,{\"b\":\"\\u00e9x\"},[true]],"
	    "\"c\":\"d\",\"e\":[1,2,3,4,5,6,7,8,9]}";
	struct json_value	*v;
	struct clr_err		 err;
	long			 n, calls;

	test_fail_after(-1);
	assert_int_equal(json_parse(text, strlen(text), &v, &err), 0);
	json_free(v);
	calls = test_alloc_calls();
	assert_true(calls > 10);
	for (n = 0; n < calls; n++) {
		test_fail_after(n);
		memset(&err, 0, sizeof(err));
		assert_int_equal(json_parse(text, strlen(text), &v, &err),
		    CLR_ENOMEM);
		assert_null(v);
		assert_string_equal(err.msg, "out of memory");
	}
	test_restore_allocator(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_all_bytes),
		cmocka_unit_test(test_appends),
		cmocka_unit_test(test_cap),
		cmocka_unit_test_teardown(test_enomem, test_restore_allocator),
		cmocka_unit_test(test_valid_object),
		cmocka_unit_test(test_parse_values),
		cmocka_unit_test(test_parse_strings),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_depth),
		cmocka_unit_test(test_parse_agrees),
		cmocka_unit_test(test_accessors),
		cmocka_unit_test_teardown(test_parse_enomem,
		    test_restore_allocator),
	};

	return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
