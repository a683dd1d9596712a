/* SPDX-License-Identifier: ISC */
/*
 * tests/unit/str_test.c - util/str: str_tonum bounds and syntax, str_ieq,
 * str_trim, str_distance
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/err.h"
#include "util/str.h"

#define ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))
#define LEN_STRLEN	SIZE_MAX	/* use strlen(input) */

#define NOTNUM		"is not a number"
#define SMALL		"is too small"
#define LARGE		"is too large"

static void	 test_tonum(void **);
static void	 test_tonum_not_terminated(void **);
static void	 test_ascii_lower(void **);
static void	 test_ieq(void **);
static void	 test_trim(void **);
static void	 test_distance(void **);
static void	 test_fold(void **);


static void
test_tonum(void **state)
{
	static const struct {
		const char	*name;
		const char	*input;
		int64_t		 min, max;
		int64_t		 expected;	/* if errstr is NULL */
		const char	*errstr;	/* NULL: success */
	} cases[] = {
		{ "zero", "0", 0, 10, 0, NULL },
		{ "negative zero", "-0", 0, 10, 0, NULL },
		{ "leading zeros", "007", 0, 10, 7, NULL },
		{ "at max", "10", 0, 10, 10, NULL },
		{ "at min", "-10", -10, 10, -10, NULL },
		{ "one past max", "11", 0, 10, 0, LARGE },
		{ "one past min", "-11", -10, 10, 0, SMALL },
		{ "below a positive min", "4", 5, 10, 0, SMALL },
		{ "negative below a positive min", "-1", 0, 10, 0, SMALL },
		{ "negative range, inside", "-50", -100, -10, -50, NULL },
		{ "negative range, at max", "-10", -100, -10, -10, NULL },
		{ "negative range, one above max", "-9", -100, -10, 0,
		    LARGE },
		{ "negative range, zero", "0", -100, -10, 0, LARGE },
		{ "negative range, minus zero", "-0", -100, -10, 0, LARGE },
		{ "INT64_MAX", "9223372036854775807", INT64_MIN, INT64_MAX,
		    INT64_MAX, NULL },
		{ "INT64_MIN", "-9223372036854775808", INT64_MIN, INT64_MAX,
		    INT64_MIN, NULL },
		{ "INT64_MAX + 1", "9223372036854775808", INT64_MIN, INT64_MAX,
		    0, LARGE },
		{ "INT64_MIN - 1", "-9223372036854775809", INT64_MIN, INT64_MAX,
		    0, SMALL },
		{ "INT64_MAX + 10", "9223372036854775817", INT64_MIN, INT64_MAX,
		    0, LARGE },
		{ "UINT64_MAX", "18446744073709551615", INT64_MIN, INT64_MAX, 0,
		    LARGE },
		{ "UINT64_MAX + 1", "18446744073709551616", INT64_MIN,
		    INT64_MAX, 0, LARGE },
		{ "far too large", "99999999999999999999999999999999",
		    INT64_MIN, INT64_MAX, 0, LARGE },
		{ "far too small", "-99999999999999999999999999999999",
		    INT64_MIN, INT64_MAX, 0, SMALL },
		{ "INT64_MIN with a smaller max", "-9223372036854775808",
		    INT64_MIN, 0, INT64_MIN, NULL },
		{ "INT64_MAX refused by max", "9223372036854775807", 0,
		    INT64_MAX - 1, 0, LARGE },
		{ "INT64_MIN refused by min", "-9223372036854775808",
		    INT64_MIN + 1, 0, 0, SMALL },
		{ "minus alone", "-", INT64_MIN, INT64_MAX, 0, NOTNUM },
		{ "empty", "", INT64_MIN, INT64_MAX, 0, NOTNUM },
		{ "trailing garbage", "12a", INT64_MIN, INT64_MAX, 0, NOTNUM },
		{ "leading space", " 1", INT64_MIN, INT64_MAX, 0, NOTNUM },
		{ "trailing space", "1 ", INT64_MIN, INT64_MAX, 0, NOTNUM },
		{ "plus sign", "+1", INT64_MIN, INT64_MAX, 0, NOTNUM },
		{ "double minus", "--1", INT64_MIN, INT64_MAX, 0, NOTNUM },
		{ "minus after digits", "1-", INT64_MIN, INT64_MAX, 0,
		    NOTNUM },
		{ "hex", "0x10", INT64_MIN, INT64_MAX, 0, NOTNUM },
		{ "decimal point", "1.5", INT64_MIN, INT64_MAX, 0, NOTNUM },
		{ "exponent", "1e3", INT64_MIN, INT64_MAX, 0, NOTNUM },
		{ "digit past '9'", "1:", INT64_MIN, INT64_MAX, 0, NOTNUM },
		{ "digit before '0'", "1/", INT64_MIN, INT64_MAX, 0, NOTNUM },
		{ "non-ASCII digit", "\xd9\xa1", INT64_MIN, INT64_MAX, 0,
		    NOTNUM },
	};
	size_t		 i;
	int64_t		 out;
	const char	*errstr;
	int		 rc;

	for (i = 0; i < ARRAY_LEN(cases); i++) {
		print_message("tonum: %s\n", cases[i].name);
		out = 12345;
		errstr = NULL;
		rc = str_tonum(cases[i].input, strlen(cases[i].input),
		    cases[i].min, cases[i].max, &out, &errstr);
		if (cases[i].errstr == NULL) {
			assert_int_equal(rc, 0);
			assert_true(out == cases[i].expected);
			assert_null(errstr);
		} else {
			assert_int_equal(rc, CLR_EINVAL);
			assert_non_null(errstr);
			assert_string_equal(errstr, cases[i].errstr);
			/* errstr may be NULL. */
			assert_int_equal(str_tonum(cases[i].input,
			    strlen(cases[i].input), cases[i].min, cases[i].max,
			    &out, NULL), CLR_EINVAL);
		}
	}
}

/* Only s[0..n) is read: the input need not be NUL-terminated. */
static void
test_tonum_not_terminated(void **state)
{
	static const struct {
		const char	*name;
		const char	*input;
		size_t		 n;
		int		 rc;
		int64_t		 expected;
	} cases[] = {
		{ "prefix of digits", "12345", 3, 0, 123 },
		{ "stops before garbage", "42abc", 2, 0, 42 },
		{ "minus only", "-5", 1, CLR_EINVAL, 0 },
		{ "zero length", "7", 0, CLR_EINVAL, 0 },
		{ "embedded NUL", "1\0002", 3, CLR_EINVAL, 0 },
	};
	size_t		 i;
	int64_t		 out;
	char		 copy[16];

	for (i = 0; i < ARRAY_LEN(cases); i++) {
		print_message("tonum n: %s\n", cases[i].name);
		/* No terminator after the n bytes (ASan sees an overread). */
		memcpy(copy, cases[i].input, cases[i].n);
		out = 0;
		assert_int_equal(str_tonum(copy, cases[i].n, INT64_MIN,
		    INT64_MAX, &out, NULL), cases[i].rc);
		if (cases[i].rc == 0)
			assert_true(out == cases[i].expected);
	}
}

static void
test_ascii_lower(void **state)
{
	int	 c;

	for (c = 0; c < 256; c++) {
		if (c >= 'A' && c <= 'Z')
			assert_int_equal(str_ascii_lower(c), c + 32);
		else
			assert_int_equal(str_ascii_lower(c), c);
	}
}

static void
test_ieq(void **state)
{
	static const struct {
		const char	*name;
		const char	*s;
		size_t		 n;	/* LEN_STRLEN: strlen(s) */
		const char	*lit;
		int		 expected;
	} cases[] = {
		{ "same", "yes", LEN_STRLEN, "yes", 1 },
		{ "different case", "YeS", LEN_STRLEN, "yes", 1 },
		{ "both upper", "TRUE", LEN_STRLEN, "TRUE", 1 },
		{ "empty and empty", "", 0, "", 1 },
		{ "empty and word", "", 0, "no", 0 },
		{ "word and empty", "no", LEN_STRLEN, "", 0 },
		{ "s is a prefix of lit", "ye", LEN_STRLEN, "yes", 0 },
		{ "lit is a prefix of s", "yess", LEN_STRLEN, "yes", 0 },
		{ "only n bytes compared", "yesterday", 3, "YES", 1 },
		{ "n shorter than lit", "yesterday", 2, "YES", 0 },
		{ "different letter", "yet", LEN_STRLEN, "yes", 0 },
		{ "non-letters are exact", "[", LEN_STRLEN, "{", 0 },
		{ "at and backquote", "@", LEN_STRLEN, "`", 0 },
		{ "no folding past ASCII", "\xc3\x89", LEN_STRLEN, "\xc3\xa9",
		    0 },
		{ "NUL in s", "a\0b", 3, "a", 0 },
	};
	size_t	 i, n;

	for (i = 0; i < ARRAY_LEN(cases); i++) {
		print_message("ieq: %s\n", cases[i].name);
		n = cases[i].n == LEN_STRLEN ? strlen(cases[i].s) : cases[i].n;
		assert_int_equal(str_ieq(cases[i].s, n, cases[i].lit),
		    cases[i].expected);
	}
}

static void
test_trim(void **state)
{
	static const struct {
		const char	*name;
		const char	*input;
		size_t		 skip;	/* bytes dropped at the front */
		size_t		 len;	/* bytes kept */
	} cases[] = {
		{ "nothing to trim", "abc", 0, 3 },
		{ "empty", "", 0, 0 },
		{ "only spaces", "    ", 4, 0 },
		{ "only tabs and spaces", " \t \t", 4, 0 },
		{ "leading", "  abc", 2, 3 },
		{ "trailing", "abc\t ", 0, 3 },
		{ "both", "\t a b \t", 2, 3 },
		{ "inner spaces kept", "a   b", 0, 5 },
		{ "newline is not trimmed", "\nabc\n", 0, 5 },
		{ "CR is not trimmed", "abc\r", 0, 4 },
		{ "NBSP is not trimmed", "\xc2\xa0x", 0, 3 },
	};
	size_t		 i, n;
	const char	*s;

	for (i = 0; i < ARRAY_LEN(cases); i++) {
		print_message("trim: %s\n", cases[i].name);
		s = cases[i].input;
		n = strlen(s);
		str_trim(&s, &n);
		assert_ptr_equal(s, cases[i].input + cases[i].skip);
		assert_int_equal(n, cases[i].len);
	}

	/* Only [s, s + n) is looked at. */
	s = "  ab  cd";
	n = 6;
	str_trim(&s, &n);
	assert_int_equal(n, 2);
	assert_memory_equal(s, "ab", 2);
}

static void
test_distance(void **state)
{
	static const char	 a63[] =
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	static const char	 b63[] =
	    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
	static const char	 a62b[] =
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab";
	static const struct {
		const char	*name;
		const char	*a, *b;
		unsigned	 expected;
	} cases[] = {
		{ "equal", "database", "database", 0 },
		{ "both empty", "", "", 0 },
		{ "empty and word", "", "abc", 3 },
		{ "word and empty", "abcd", "", 4 },
		{ "one substitution", "databaze", "database", 1 },
		{ "one deletion", "databse", "database", 1 },
		{ "one insertion", "dattabase", "database", 1 },
		{ "transposition is two edits", "ab", "ba", 2 },
		{ "kitten", "kitten", "sitting", 3 },
		{ "flaw", "flaw", "lawn", 2 },
		{ "case matters", "Sender", "sender", 1 },
		{ "completely different", "abc", "xyz", 3 },
		{ "63 octets, equal", a63, a63, 0 },
		{ "63 octets, one change", a63, a62b, 1 },
		{ "63 octets, all different", a63, b63, 63 },
	};
	size_t	 i;

	assert_int_equal(strlen(a63), 63);
	assert_int_equal(strlen(a62b), 63);
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		print_message("distance: %s\n", cases[i].name);
		assert_int_equal(str_distance(cases[i].a, cases[i].b),
		    cases[i].expected);
		/* The distance is symmetric. */
		assert_int_equal(str_distance(cases[i].b, cases[i].a),
		    cases[i].expected);
	}
}

/* Folding: lower case, white space runs as one space, cut to fit. */
static void
test_fold(void **state)
{
	char	 out[16];

	(void)state;
	str_fold("  Too MANY\r\n  connections\t ", out, sizeof(out));
	assert_string_equal(out, "too many connec");
	str_fold("A\nB", out, sizeof(out));
	assert_string_equal(out, "a b");
	str_fold(NULL, out, sizeof(out));
	assert_string_equal(out, "");
	str_fold("abc", out, 1);
	assert_string_equal(out, "");
	/* No space is written where nothing can follow it. */
	str_fold("abcd efgh", out, 6);
	assert_string_equal(out, "abcd");
	str_fold("\xc3\x89T\xc3\x89", out, sizeof(out));
	assert_string_equal(out, "\xc3\x89t\xc3\x89");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fold),
		cmocka_unit_test(test_tonum),
		cmocka_unit_test(test_tonum_not_terminated),
		cmocka_unit_test(test_ascii_lower),
		cmocka_unit_test(test_ieq),
		cmocka_unit_test(test_trim),
		cmocka_unit_test(test_distance),
	};

	return cmocka_run_group_tests_name("str", tests, NULL, NULL);
}
