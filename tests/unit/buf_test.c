/* SPDX-License-Identifier: ISC */
/*
 * tests/unit/buf_test.c - util/buf: growth, hard cap, printf, steal, reset,
 * truncate and allocation failure
 *
 * Allocation failure goes through clr_set_allocator() with an allocator that
 * fails after a set number of calls; every test that installs it restores
 * libc's allocator in its teardown, so a failed assertion cannot leak the
 * failing allocator into the next test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/err.h"

#define ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))

static void	 assert_buf_sane(const struct buf *);

static void	 test_initializer(void **);
static void	 test_growth(void **);
static void	 test_growth_amortised(void **);
static void	 test_cap(void **);
static void	 test_cap_huge(void **);
static void	 test_printf(void **);
static void	 test_printf_cap(void **);
static void	 test_steal(void **);
static void	 test_reset(void **);
static void	 test_truncate(void **);
static void	 test_putc(void **);
static void	 test_enomem_first(void **);
static void	 test_enomem_growth(void **);
static void	 test_enomem_steal(void **);
static void	 test_enomem_every_step(void **);

/* The failing allocator: succeeds budget times, then returns NULL. */
/* assert_buf_sane - the invariants of buf.h hold for b. */
static void
assert_buf_sane(const struct buf *b)
{
	assert_true(b->len <= b->max);
	if (b->data == NULL) {
		assert_int_equal(b->len, 0);
		assert_int_equal(b->cap, 0);
		return;
	}
	assert_true(b->cap >= b->len + 1);
	assert_int_equal(b->data[b->len], '\0');
}

static void
test_initializer(void **state)
{
	struct buf	 a = BUF_INITIALIZER(100), b;

	buf_init(&b, 100);
	assert_null(a.data);
	assert_null(b.data);
	assert_int_equal(a.len, 0);
	assert_int_equal(b.len, 0);
	assert_int_equal(a.max, 100);
	assert_int_equal(b.max, 100);
	/* Freeing an unused buf and freeing twice are both fine. */
	buf_free(&a);
	buf_free(&a);
	assert_null(a.data);
}

/*
 * Appends of the sizes listed, one after another, into a buf of the given
 * cap: after each, the content is the pattern so far.
 */
static void
test_growth(void **state)
{
	static const struct {
		const char	*name;
		size_t		 max;
		size_t		 sizes[6];	/* 0-terminated */
	} cases[] = {
		{ "one byte", 1000, { 1 } },
		{ "exactly the first block", 1000, { 63 } },
		{ "one past the first block", 1000, { 64 } },
		{ "several doublings", 100000, { 10, 100, 1000, 10000 } },
		{ "growth stops at the cap", 1000, { 500, 400, 100 } },
		{ "odd cap", 129, { 64, 64, 1 } },
		{ "single large append", 1 << 20, { 1 << 20 } },
	};
	size_t	 i, j, k, total;
	char	*pattern;

	pattern = malloc(1 << 21);
	assert_non_null(pattern);
	for (k = 0; k < (1 << 21); k++)
		pattern[k] = (char)('a' + k % 26);
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		struct buf	 b;

		print_message("growth: %s\n", cases[i].name);
		buf_init(&b, cases[i].max);
		total = 0;
		for (j = 0; j < 6 && cases[i].sizes[j] != 0; j++) {
			assert_int_equal(buf_append(&b, pattern + total,
			    cases[i].sizes[j]), 0);
			total += cases[i].sizes[j];
			assert_int_equal(b.len, total);
			assert_memory_equal(b.data, pattern, total);
			assert_buf_sane(&b);
			/* Never allocated past the cap once past 64. */
			assert_true(b.cap <= 64 || b.cap <= b.max + 1);
		}
		buf_free(&b);
		assert_null(b.data);
		assert_int_equal(b.len, 0);
	}
	free(pattern);
}

/* One byte at a time: reallocations stay logarithmic (doubling). */
static void
test_growth_amortised(void **state)
{
	struct buf	 b;
	size_t		 i;

	test_fail_after(-1);
	buf_init(&b, 1 << 20);
	for (i = 0; i < 1 << 20; i++)
		assert_int_equal(buf_putc(&b, 'x'), 0);
	assert_int_equal(b.len, 1 << 20);
	assert_int_equal(b.cap, (1 << 20) + 1);
	assert_true(test_alloc_calls() <= 20);
	assert_buf_sane(&b);
	assert_int_equal(buf_putc(&b, 'x'), CLR_ETOOBIG);
	assert_int_equal(b.len, 1 << 20);
	buf_free(&b);
}

/*
 * The hard cap: start from prefix in a buf capped at max, try one more
 * operation; it returns rc, and on failure the content is unchanged.
 */
static void
test_cap(void **state)
{
	enum op { APPEND, PUTS, PUTC, RESERVE };
	static const struct {
		const char	*name;
		size_t		 max;
		const char	*prefix;
		enum op		 op;
		const char	*arg;	/* for APPEND and PUTS */
		size_t		 n;	/* APPEND length, RESERVE size */
		int		 rc;
		const char	*expected;
	} cases[] = {
		{ "append up to the cap", 10, "12345", APPEND, "67890", 5, 0,
		    "1234567890" },
		{ "append one past the cap", 10, "12345", APPEND, "678901", 6,
		    CLR_ETOOBIG, "12345" },
		{ "append to a full buf", 10, "1234567890", APPEND, "x", 1,
		    CLR_ETOOBIG, "1234567890" },
		{ "empty append to a full buf", 10, "1234567890", APPEND, "", 0,
		    0, "1234567890" },
		{ "puts past the cap", 4, "ab", PUTS, "cde", 0, CLR_ETOOBIG,
		    "ab" },
		{ "puts up to the cap", 4, "ab", PUTS, "cd", 0, 0, "abcd" },
		{ "putc past the cap", 2, "ab", PUTC, "c", 0, CLR_ETOOBIG,
		    "ab" },
		{ "putc up to the cap", 3, "ab", PUTC, "c", 0, 0, "abc" },
		{ "reserve past the cap", 8, "abc", RESERVE, NULL, 6,
		    CLR_ETOOBIG, "abc" },
		{ "reserve up to the cap", 8, "abc", RESERVE, NULL, 5, 0,
		    "abc" },
		{ "cap of zero", 0, "", PUTC, "a", 0, CLR_ETOOBIG, "" },
		{ "reserve SIZE_MAX", 10, "abc", RESERVE, NULL, SIZE_MAX,
		    CLR_ETOOBIG, "abc" },
	};
	size_t	 i;
	int	 rc = 0;

	for (i = 0; i < ARRAY_LEN(cases); i++) {
		struct buf	 b;

		print_message("cap: %s\n", cases[i].name);
		buf_init(&b, cases[i].max);
		assert_int_equal(buf_puts(&b, cases[i].prefix), 0);
		switch (cases[i].op) {
		case APPEND:
			rc = buf_append(&b, cases[i].arg, cases[i].n);
			break;
		case PUTS:
			rc = buf_puts(&b, cases[i].arg);
			break;
		case PUTC:
			rc = buf_putc(&b, cases[i].arg[0]);
			break;
		case RESERVE:
			rc = buf_reserve(&b, cases[i].n);
			if (rc == 0)
				assert_true(b.cap >= b.len + cases[i].n + 1);
			break;
		}
		assert_int_equal(rc, cases[i].rc);
		assert_int_equal(b.len, strlen(cases[i].expected));
		assert_string_equal(b.data, cases[i].expected);
		assert_buf_sane(&b);
		buf_free(&b);
	}
}

/* A cap near SIZE_MAX is clamped so that len + more + 1 cannot wrap. */
/* An initializer with no practical cap grows like buf_init's. */
static void
test_initializer_huge(void **state)
{
	struct buf	 b = BUF_INITIALIZER(SIZE_MAX);
	char		 big[1000];
	int		 i;

	(void)state;
	memset(big, 'x', sizeof(big));
	assert_true(b.max < SIZE_MAX);
	for (i = 0; i < 100; i++)
		assert_int_equal(buf_append(&b, big, sizeof(big)), 0);
	assert_int_equal(buf_putc(&b, 'y'), 0);
	assert_int_equal(b.len, 100001);
	assert_true(b.cap > b.len);
	assert_int_equal(b.data[100000], 'y');
	buf_free(&b);
}

static void
test_cap_huge(void **state)
{
	struct buf	 b;

	buf_init(&b, SIZE_MAX);
	assert_true(b.max < SIZE_MAX);
	assert_int_equal(buf_puts(&b, "abc"), 0);
	assert_int_equal(buf_append(&b, "x", SIZE_MAX), CLR_ETOOBIG);
	assert_int_equal(buf_append(&b, "x", SIZE_MAX - 3), CLR_ETOOBIG);
	assert_int_equal(buf_reserve(&b, SIZE_MAX - 1), CLR_ETOOBIG);
	assert_string_equal(b.data, "abc");
	assert_int_equal(b.len, 3);
	buf_free(&b);
}

static void
test_printf(void **state)
{
	static const struct {
		const char	*name;
		const char	*prefix;
		int		 num;
		const char	*str;
		const char	*expected;
	} cases[] = {
		{ "into an empty buf", "", 42, "x", "42 x" },
		{ "appends", "pre:", -7, "abc", "pre:-7 abc" },
		{ "empty string argument", "", 0, "", "0 " },
		{ "long output", "", 123456789,
		    "0123456789012345678901234567890123456789012345678901234567"
		    "890123456789",
		    "123456789 01234567890123456789012345678901234567890123456"
		    "78901234567890123456789" },
	};
	size_t	 i;

	for (i = 0; i < ARRAY_LEN(cases); i++) {
		struct buf	 b = BUF_INITIALIZER(1000);

		print_message("printf: %s\n", cases[i].name);
		assert_int_equal(buf_puts(&b, cases[i].prefix), 0);
		assert_int_equal(buf_printf(&b, "%d %s", cases[i].num,
		    cases[i].str), 0);
		assert_string_equal(b.data, cases[i].expected);
		assert_int_equal(b.len, strlen(cases[i].expected));
		assert_buf_sane(&b);
		buf_free(&b);
	}
}

/* An empty format still allocates: data is "" afterwards, not NULL. */
static void
test_printf_cap(void **state)
{
	struct buf	 b = BUF_INITIALIZER(8);
	const char	*empty = "";

	assert_int_equal(buf_printf(&b, "%s", empty), 0);
	assert_non_null(b.data);
	assert_string_equal(b.data, "");
	assert_int_equal(buf_printf(&b, "%s", "1234"), 0);
	assert_int_equal(buf_printf(&b, "%d", 12345), CLR_ETOOBIG);
	assert_string_equal(b.data, "1234");
	assert_int_equal(b.len, 4);
	assert_int_equal(buf_printf(&b, "%d", 5678), 0);
	assert_string_equal(b.data, "12345678");
	assert_int_equal(buf_printf(&b, "%s", "x"), CLR_ETOOBIG);
	assert_string_equal(b.data, "12345678");
	buf_free(&b);
}

static void
test_steal(void **state)
{
	struct buf	 b = BUF_INITIALIZER(100);
	char		*p;

	/* An empty, never used buf hands out "", not NULL. */
	p = buf_steal(&b);
	assert_non_null(p);
	assert_string_equal(p, "");
	clr_free(p);

	assert_int_equal(buf_puts(&b, "hello"), 0);
	p = buf_steal(&b);
	assert_non_null(p);
	assert_string_equal(p, "hello");
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	assert_int_equal(b.max, 100);

	/* The buf is reusable and independent of what was stolen. */
	assert_int_equal(buf_puts(&b, "world"), 0);
	assert_string_equal(b.data, "world");
	assert_string_equal(p, "hello");
	assert_ptr_not_equal(p, b.data);
	clr_free(p);
	buf_free(&b);
}

static void
test_reset(void **state)
{
	struct buf	 b = BUF_INITIALIZER(100);
	char		*data;
	size_t		 cap;

	buf_reset(&b);		/* never used: nothing to do */
	assert_null(b.data);
	assert_int_equal(b.len, 0);

	assert_int_equal(buf_puts(&b, "some text"), 0);
	data = b.data;
	cap = b.cap;
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_ptr_equal(b.data, data);	/* keeps memory */
	assert_int_equal(b.cap, cap);
	assert_string_equal(b.data, "");
	assert_int_equal(buf_puts(&b, "new"), 0);
	assert_string_equal(b.data, "new");

	/* After a reset, the whole cap is available again. */
	buf_reset(&b);
	assert_int_equal(buf_append(&b, data, 0), 0);
	buf_free(&b);
	buf_init(&b, 4);
	assert_int_equal(buf_puts(&b, "abcd"), 0);
	assert_int_equal(buf_putc(&b, 'e'), CLR_ETOOBIG);
	buf_reset(&b);
	assert_int_equal(buf_puts(&b, "wxyz"), 0);
	assert_string_equal(b.data, "wxyz");
	buf_free(&b);
}

static void
test_truncate(void **state)
{
	static const struct {
		const char	*name;
		const char	*input;
		size_t		 len;
		const char	*expected;
	} cases[] = {
		{ "to zero", "abcdef", 0, "" },
		{ "to the middle", "abcdef", 3, "abc" },
		{ "one off the end", "abcdef", 5, "abcde" },
		{ "to its own length", "abcdef", 6, "abcdef" },
	};
	size_t	 i;

	for (i = 0; i < ARRAY_LEN(cases); i++) {
		struct buf	 b = BUF_INITIALIZER(100);

		print_message("truncate: %s\n", cases[i].name);
		assert_int_equal(buf_puts(&b, cases[i].input), 0);
		buf_truncate(&b, cases[i].len);
		assert_int_equal(b.len, cases[i].len);
		assert_string_equal(b.data, cases[i].expected);
		assert_buf_sane(&b);
		/* Appending continues from the new end. */
		assert_int_equal(buf_putc(&b, '!'), 0);
		assert_int_equal(b.len, cases[i].len + 1);
		assert_int_equal(b.data[cases[i].len], '!');
		buf_free(&b);
	}
}

static void
test_putc(void **state)
{
	struct buf	 b = BUF_INITIALIZER(10);

	/* putc takes an int and stores its low byte, including 0 and 0xFF. */
	assert_int_equal(buf_putc(&b, 0), 0);
	assert_int_equal(buf_putc(&b, 0xFF), 0);
	assert_int_equal(buf_putc(&b, -1), 0);
	assert_int_equal(b.len, 3);
	assert_int_equal((unsigned char)b.data[0], 0);
	assert_int_equal((unsigned char)b.data[1], 0xFF);
	assert_int_equal((unsigned char)b.data[2], 0xFF);
	assert_int_equal(b.data[3], '\0');
	buf_free(&b);
}

/* The very first allocation fails: the buf stays empty and unallocated. */
static void
test_enomem_first(void **state)
{
	struct buf	 b = BUF_INITIALIZER(100);

	test_fail_after(0);
	assert_int_equal(buf_puts(&b, "abc"), CLR_ENOMEM);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(buf_printf(&b, "%d", 1), CLR_ENOMEM);
	assert_int_equal(buf_putc(&b, 'a'), CLR_ENOMEM);
	assert_int_equal(buf_reserve(&b, 1), CLR_ENOMEM);
	assert_null(b.data);
	/* Errors are reported before the cap is ever reached. */
	assert_int_equal(buf_append(&b, "x", 101), CLR_ETOOBIG);
	buf_free(&b);
}

/* Growth fails: the old content and capacity survive. */
static void
test_enomem_growth(void **state)
{
	struct buf	 b = BUF_INITIALIZER(1000);
	char		 big[200];

	memset(big, 'z', sizeof(big));
	test_fail_after(1);
	assert_int_equal(buf_puts(&b, "first"), 0);
	assert_int_equal(test_alloc_calls(), 1);
	assert_int_equal(buf_append(&b, big, sizeof(big)), CLR_ENOMEM);
	assert_int_equal(b.len, 5);
	assert_string_equal(b.data, "first");
	assert_int_equal(buf_printf(&b, "%200s", "x"), CLR_ENOMEM);
	assert_string_equal(b.data, "first");
	/* What fits in the current block needs no allocation. */
	assert_int_equal(buf_puts(&b, " second"), 0);
	assert_string_equal(b.data, "first second");
	assert_buf_sane(&b);
	buf_free(&b);
}

static void
test_enomem_steal(void **state)
{
	struct buf	 b = BUF_INITIALIZER(100);

	test_fail_after(0);
	assert_null(buf_steal(&b));
	assert_null(b.data);
	test_restore_allocator(NULL);
	/* With data already there, stealing allocates nothing. */
	assert_int_equal(buf_puts(&b, "kept"), 0);
	test_fail_after(0);
	{
		char	*p = buf_steal(&b);

		assert_non_null(p);
		assert_string_equal(p, "kept");
		clr_free(p);
	}
	assert_int_equal(test_alloc_calls(), 0);
}

/*
 * Fail the n-th allocation for every n along a fixed sequence of operations.
 * Each operation either succeeds or fails with CLR_ENOMEM leaving the
 * content as it was; nothing leaks (the sanitizers check that).
 */
static void
test_enomem_every_step(void **state)
{
	static const char	 xs[] =	/* 78 x, the longest chunk */
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxx";
	long			 n;
	int			 failed_any = 0;

	for (n = 0; n < 16; n++) {
		struct buf	 b = BUF_INITIALIZER(1 << 16);
		char		 expect[1 << 12];
		size_t		 elen = 0, i;
		int		 rc, hit = 0;

		test_fail_after(n);
		for (i = 0; i < 40; i++) {
			char	 chunk[100];
			size_t	 clen;

			clen = (size_t)snprintf(chunk, sizeof(chunk),
			    "%zu:%.*s;", i, (int)(i * 2), xs);
			if (i % 2 == 0)
				rc = buf_append(&b, chunk, clen);
			else
				rc = buf_printf(&b, "%s", chunk);
			if (rc == 0) {
				memcpy(expect + elen, chunk, clen);
				elen += clen;
			} else {
				assert_int_equal(rc, CLR_ENOMEM);
				hit = 1;
			}
			assert_int_equal(b.len, elen);
			if (b.data != NULL)
				assert_memory_equal(b.data, expect, elen);
			assert_buf_sane(&b);
		}
		failed_any |= hit;
		buf_free(&b);
		test_restore_allocator(NULL);
	}
	assert_true(failed_any);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_initializer),
		cmocka_unit_test(test_growth),
		cmocka_unit_test_teardown(test_growth_amortised,
		    test_restore_allocator),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_cap_huge),
		cmocka_unit_test(test_initializer_huge),
		cmocka_unit_test(test_printf),
		cmocka_unit_test(test_printf_cap),
		cmocka_unit_test_teardown(test_steal, test_restore_allocator),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_truncate),
		cmocka_unit_test(test_putc),
		cmocka_unit_test_teardown(test_enomem_first,
		    test_restore_allocator),
		cmocka_unit_test_teardown(test_enomem_growth,
		    test_restore_allocator),
		cmocka_unit_test_teardown(test_enomem_steal,
		    test_restore_allocator),
		cmocka_unit_test_teardown(test_enomem_every_step,
		    test_restore_allocator),
	};

	return cmocka_run_group_tests_name("buf", tests, NULL, NULL);
}
