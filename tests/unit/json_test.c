/* SPDX-License-Identifier: ISC */
/*
 * tests/unit/json_test.c - util/json: string escaping (RFC 8259), including
 * U+2028/U+2029 for JavaScript, and errors passed up from the buf
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
	};

	return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
