/* SPDX-License-Identifier: ISC */
/*
 * tests/unit/utf8_test.c - util/utf8: strict validation, decoding, encoding
 *
 * Named cases for the forms RFC 3629 forbids (overlong, surrogates, past
 * U+10FFFF, truncated, stray continuation bytes) and for the offset
 * utf8_valid() reports; then an encode/decode round trip over every code
 * point, and an exhaustive comparison of utf8_decode() with a reference
 * written straight from the RFC 3629 ABNF for all 1-, 2- and 3-byte inputs
 * and a sample of 4-byte ones.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/utf8.h"

#define ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))

static size_t	 rfc3629_len(const unsigned char *, size_t);
static int	 tail(unsigned char);
static void	 check_against_reference(const unsigned char *, size_t);

static void	 test_valid(void **);
static void	 test_decode(void **);
static void	 test_encode(void **);
static void	 test_round_trip(void **);
static void	 test_exhaustive_short(void **);
static void	 test_exhaustive_four(void **);

static int
tail(unsigned char c)
{
	return c >= 0x80 && c <= 0xBF;
}

/*
 * rfc3629_len - the length of the well-formed sequence at s, or 0, from the
 * ABNF in RFC 3629 section 4 (independent of the code under test).
 */
static size_t
rfc3629_len(const unsigned char *s, size_t n)
{
	if (n == 0)
		return 0;
	if (s[0] <= 0x7F)
		return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		return n >= 2 && tail(s[1]) ? 2 : 0;
	if (s[0] >= 0xE0 && s[0] <= 0xEF) {
		if (n < 3 || !tail(s[2]))
			return 0;
		if (s[0] == 0xE0)
			return s[1] >= 0xA0 && s[1] <= 0xBF ? 3 : 0;
		if (s[0] == 0xED)
			return s[1] >= 0x80 && s[1] <= 0x9F ? 3 : 0;
		return tail(s[1]) ? 3 : 0;
	}
	if (s[0] >= 0xF0 && s[0] <= 0xF4) {
		if (n < 4 || !tail(s[2]) || !tail(s[3]))
			return 0;
		if (s[0] == 0xF0)
			return s[1] >= 0x90 && s[1] <= 0xBF ? 4 : 0;
		if (s[0] == 0xF4)
			return s[1] >= 0x80 && s[1] <= 0x8F ? 4 : 0;
		return tail(s[1]) ? 4 : 0;
	}
	return 0;
}

/* check_against_reference - decode s[0..n) and compare with the ABNF. */
static void
check_against_reference(const unsigned char *s, size_t n)
{
	unsigned char	 enc[4];
	uint32_t	 cp = 0xFFFFFFFF;
	size_t		 want, got;

	want = rfc3629_len(s, n);
	got = utf8_decode(s, n, &cp);
	if (got != want)
		fail_msg("decode of %02x %02x %02x %02x (n=%zu): %zu, want %zu",
		    s[0], n > 1 ? s[1] : 0, n > 2 ? s[2] : 0, n > 3 ? s[3] : 0,
		    n, got, want);
	if (got > 0) {
		/* The code point re-encodes to the very same bytes. */
		assert_int_equal(utf8_encode(cp, enc), got);
		assert_memory_equal(enc, s, got);
	}
}

static void
test_valid(void **state)
{
	static const struct {
		const char	*name;
		const char	*input;
		size_t		 len;
		int		 valid;
		size_t		 bad;	/* if not valid */
	} cases[] = {
		{ "empty", "", 0, 1, 0 },
		{ "ascii", "hello, world", 12, 1, 0 },
		{ "NUL is a character", "a\0b", 3, 1, 0 },
		{ "two bytes", "caf\xc3\xa9", 5, 1, 0 },
		{ "three bytes", "\xe2\x82\xac 5", 5, 1, 0 },
		{ "four bytes", "\xf0\x9f\x98\x80", 4, 1, 0 },
		{ "U+0080", "\xc2\x80", 2, 1, 0 },
		{ "U+07FF", "\xdf\xbf", 2, 1, 0 },
		{ "U+0800", "\xe0\xa0\x80", 3, 1, 0 },
		{ "U+D7FF", "\xed\x9f\xbf", 3, 1, 0 },
		{ "U+E000", "\xee\x80\x80", 3, 1, 0 },
		{ "U+FFFF", "\xef\xbf\xbf", 3, 1, 0 },
		{ "U+10000", "\xf0\x90\x80\x80", 4, 1, 0 },
		{ "U+10FFFF", "\xf4\x8f\xbf\xbf", 4, 1, 0 },
		{ "mixed, past the fast path",
		    "abcdefghij\xc3\xa9klmnopqrstu\xe2\x80\xa8vw", 28, 1, 0 },

		{ "overlong NUL C0 80", "\xc0\x80", 2, 0, 0 },
		{ "overlong C1 BF", "\xc1\xbf", 2, 0, 0 },
		{ "overlong E0 80 80", "\xe0\x80\x80", 3, 0, 0 },
		{ "overlong E0 9F BF", "\xe0\x9f\xbf", 3, 0, 0 },
		{ "overlong F0 80 80 80", "\xf0\x80\x80\x80", 4, 0, 0 },
		{ "overlong F0 8F BF BF", "\xf0\x8f\xbf\xbf", 4, 0, 0 },
		{ "overlong slash after text", "ab/\xc0\xaf", 5, 0, 3 },
		{ "surrogate ED A0 80", "\xed\xa0\x80", 3, 0, 0 },
		{ "surrogate ED BF BF", "\xed\xbf\xbf", 3, 0, 0 },
		{ "surrogate pair (CESU-8)", "x\xed\xa0\xbd\xed\xb8\x80", 7, 0,
		    1 },
		{ "U+110000 F4 90 80 80", "\xf4\x90\x80\x80", 4, 0, 0 },
		{ "F5 lead", "\xf5\x80\x80\x80", 4, 0, 0 },
		{ "five-byte form", "\xf8\x88\x80\x80\x80", 5, 0, 0 },
		{ "FE", "a\xfe", 2, 0, 1 },
		{ "FF", "\xff", 1, 0, 0 },
		{ "truncated two", "\xc3", 1, 0, 0 },
		{ "truncated three at the end", "ab\xe2\x82", 4, 0, 2 },
		{ "truncated four", "\xf0\x9f\x98", 3, 0, 0 },
		{ "truncated by ascii", "\xe2\x82" "a", 3, 0, 0 },
		{ "truncated by a new lead", "\xe2\xe2\x82\xac", 4, 0, 0 },
		{ "stray continuation", "\x80", 1, 0, 0 },
		{ "stray continuation inside", "a\x80z", 3, 0, 1 },
		{ "one continuation too many", "\xc3\xa9\xa9", 3, 0, 2 },
		{ "bad byte after 8 ascii", "abcdefgh\x80", 9, 0, 8 },
		{ "bad byte after 10 ascii", "abcdefghij\xff", 11, 0, 10 },
		{ "first of two bad bytes",
		    "abcdefghijklmnop\xc3\xa9qrstuvwx\xc0\xaf\x80", 29, 0, 26 },
		{ "bad byte after a valid tail", "\xf0\x9f\x98\x80\xbf", 5, 0,
		    4 },
	};
	size_t	 i, bad;

	for (i = 0; i < ARRAY_LEN(cases); i++) {
		print_message("valid: %s\n", cases[i].name);
		bad = 12345;
		assert_int_equal(utf8_valid(cases[i].input, cases[i].len, &bad),
		    cases[i].valid);
		if (cases[i].valid)
			assert_int_equal(bad, 12345);	/* untouched */
		else
			assert_int_equal(bad, cases[i].bad);
		/* bad may be NULL. */
		assert_int_equal(utf8_valid(cases[i].input, cases[i].len,
		    NULL), cases[i].valid);
	}
}

static void
test_decode(void **state)
{
	static const struct {
		const char	*name;
		const char	*input;
		size_t		 n;	/* bytes available */
		size_t		 len;	/* expected return */
		uint32_t	 cp;	/* if len > 0 */
	} cases[] = {
		{ "nothing available", "a", 0, 0, 0 },
		{ "ascii", "A", 1, 1, 0x41 },
		{ "NUL", "", 1, 1, 0 },
		{ "DEL", "\x7f", 1, 1, 0x7F },
		{ "e acute", "\xc3\xa9", 2, 2, 0xE9 },
		{ "only the first of several", "\xc3\xa9\xc3\xa9", 4, 2, 0xE9 },
		{ "euro", "\xe2\x82\xac", 3, 3, 0x20AC },
		{ "line separator", "\xe2\x80\xa8", 3, 3, 0x2028 },
		{ "BOM", "\xef\xbb\xbf", 3, 3, 0xFEFF },
		{ "emoji", "\xf0\x9f\x98\x80", 4, 4, 0x1F600 },
		{ "last code point", "\xf4\x8f\xbf\xbf", 4, 4, 0x10FFFF },
		{ "two bytes, one available", "\xc3\xa9", 1, 0, 0 },
		{ "three bytes, two available", "\xe2\x82\xac", 2, 0, 0 },
		{ "four bytes, three available", "\xf0\x9f\x98\x80", 3, 0, 0 },
		{ "overlong", "\xc0\x80", 2, 0, 0 },
		{ "surrogate", "\xed\xa0\x80", 3, 0, 0 },
		{ "past U+10FFFF", "\xf4\x90\x80\x80", 4, 0, 0 },
		{ "continuation", "\xbf", 1, 0, 0 },
	};
	size_t		 i;
	uint32_t	 cp;

	for (i = 0; i < ARRAY_LEN(cases); i++) {
		print_message("decode: %s\n", cases[i].name);
		cp = 0xDEADBEEF;
		assert_int_equal(utf8_decode((const unsigned char *)
		    cases[i].input, cases[i].n, &cp), cases[i].len);
		if (cases[i].len > 0)
			assert_int_equal(cp, cases[i].cp);
	}
}

static void
test_encode(void **state)
{
	static const struct {
		const char	*name;
		uint32_t	 cp;
		size_t		 len;
		const char	*expected;
	} cases[] = {
		{ "NUL", 0, 1, "\0" },
		{ "U+007F", 0x7F, 1, "\x7f" },
		{ "U+0080", 0x80, 2, "\xc2\x80" },
		{ "U+07FF", 0x7FF, 2, "\xdf\xbf" },
		{ "U+0800", 0x800, 3, "\xe0\xa0\x80" },
		{ "U+D7FF", 0xD7FF, 3, "\xed\x9f\xbf" },
		{ "U+D800 surrogate", 0xD800, 0, NULL },
		{ "U+DFFF surrogate", 0xDFFF, 0, NULL },
		{ "U+E000", 0xE000, 3, "\xee\x80\x80" },
		{ "U+FFFF", 0xFFFF, 3, "\xef\xbf\xbf" },
		{ "U+10000", 0x10000, 4, "\xf0\x90\x80\x80" },
		{ "U+10FFFF", 0x10FFFF, 4, "\xf4\x8f\xbf\xbf" },
		{ "U+110000", 0x110000, 0, NULL },
		{ "U+FFFFFFFF", 0xFFFFFFFF, 0, NULL },
	};
	size_t		 i;
	unsigned char	 out[4];

	for (i = 0; i < ARRAY_LEN(cases); i++) {
		print_message("encode: %s\n", cases[i].name);
		assert_int_equal(utf8_encode(cases[i].cp, out), cases[i].len);
		if (cases[i].len > 0)
			assert_memory_equal(out, cases[i].expected,
			    cases[i].len);
	}
}

/* Every code point: encode, decode back, validate; truncations fail. */
static void
test_round_trip(void **state)
{
	unsigned char	 out[4];
	uint32_t	 cp, back;
	size_t		 len, want, bad;
	unsigned long	 count = 0;

	for (cp = 0; cp <= 0x10FFFF; cp++) {
		len = utf8_encode(cp, out);
		if (cp >= 0xD800 && cp <= 0xDFFF) {
			assert_int_equal(len, 0);
			continue;
		}
		want = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
		if (len != want)
			fail_msg("U+%04X encodes to %zu bytes", (unsigned)cp,
			    len);
		back = 0xFFFFFFFF;
		if (utf8_decode(out, len, &back) != len || back != cp)
			fail_msg("U+%04X does not round-trip", (unsigned)cp);
		if (!utf8_valid(out, len, NULL))
			fail_msg("U+%04X is not valid", (unsigned)cp);
		if (len > 1) {
			if (utf8_decode(out, len - 1, &back) != 0)
				fail_msg("U+%04X truncated decodes",
				    (unsigned)cp);
			bad = 99;
			if (utf8_valid(out, len - 1, &bad) || bad != 0)
				fail_msg("U+%04X truncated is valid",
				    (unsigned)cp);
		}
		count++;
	}
	assert_int_equal(count, 0x110000 - 0x800);
}

/* All 1-, 2- and 3-byte inputs (3-byte ones with a 3- or 4-byte lead). */
static void
test_exhaustive_short(void **state)
{
	unsigned char	 s[3];
	unsigned	 a, b, c;

	for (a = 0; a < 256; a++) {
		s[0] = (unsigned char)a;
		check_against_reference(s, 1);
		for (b = 0; b < 256; b++) {
			s[1] = (unsigned char)b;
			check_against_reference(s, 2);
		}
	}
	for (a = 0xE0; a < 256; a++) {
		s[0] = (unsigned char)a;
		for (b = 0; b < 256; b++) {
			s[1] = (unsigned char)b;
			for (c = 0; c < 256; c++) {
				s[2] = (unsigned char)c;
				check_against_reference(s, 3);
			}
		}
	}
}

/* Every 4-byte lead with every second byte and boundary tail bytes. */
static void
test_exhaustive_four(void **state)
{
	static const unsigned char	 tails[] = {
		0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0,
		0xF4, 0xFF
	};
	unsigned char			 s[4];
	unsigned			 a, b;
	size_t				 c, d;

	for (a = 0xF0; a < 256; a++) {
		s[0] = (unsigned char)a;
		for (b = 0; b < 256; b++) {
			s[1] = (unsigned char)b;
			for (c = 0; c < ARRAY_LEN(tails); c++) {
				s[2] = tails[c];
				for (d = 0; d < ARRAY_LEN(tails); d++) {
					s[3] = tails[d];
					check_against_reference(s, 4);
				}
			}
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_encode),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_exhaustive_short),
		cmocka_unit_test(test_exhaustive_four),
	};

	return cmocka_run_group_tests_name("utf8", tests, NULL, NULL);
}
