/* SPDX-License-Identifier: ISC */
/*
 * tests/unit/csv_test.c - util/csv: RFC 4180 edge cases, limits, resync
 * after bad records, and independence from how the input is fed
 *
 * Each case is an input and the expected records written as text, one line
 * per record:
 *
 *	LINE-END_LINE [field] q[quoted field]
 *	LINE-END_LINE blank
 *	LINE-END_LINE error: why
 *
 * with bytes outside printable ASCII and '[', ']', '\\' written \xNN. Every
 * case is read from memory (csv_reader_new_mem), through a csv_read_fn that
 * gives everything asked for, one that gives one byte per call, and ones
 * that give chunks of pseudo-random sizes; all must give the same records.
 * The multi-megabyte cases skip the one-byte reader: the reader re-parses a
 * partial record after each read, so one byte per read costs time
 * quadratic in the record's length.
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
#include "util/csv.h"
#include "util/err.h"

#define ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))
#define S(lit)		lit, sizeof(lit) - 1	/* a literal and its length */
#define MiB		(1024 * 1024)

enum feed {
	FEED_MEM,		/* csv_reader_new_mem */
	FEED_WHOLE,		/* a read_fn giving all it is asked for */
	FEED_BYTE,		/* a read_fn giving one byte per call */
	FEED_CHUNKS		/* a read_fn giving 1..maxchunk bytes */
};

static const char *const feed_names[] = {
	"memory", "whole reads", "one byte per read", "random chunks"
};

struct src {
	const char	*data;
	size_t		 len, pos;
	enum feed	 feed;
	uint64_t	 rng;		/* FEED_CHUNKS state */
	size_t		 maxchunk;
	size_t		 fail_at;	/* fail reads past this offset */
};

struct csv_case {
	const char	*name;
	const char	*input;
	size_t		 len;
	char		 delimiter;	/* 0: default */
	size_t		 max_fields;	/* 0: default */
	size_t		 max_record;	/* 0: default */
	const char	*expected;
};

static uint64_t	 rng_next(uint64_t *);
static ssize_t	 src_read(void *, void *, size_t);
static void	 dump_field(struct buf *, const struct csv_field *);
static int	 dump_all(struct csv_reader *, struct buf *);
static void	 read_as(const char *, size_t, const struct csv_options *,
		    enum feed, uint64_t, size_t, struct buf *);
static void	 check_all_feeds(const char *, const char *, size_t,
		    const struct csv_options *, const char *, int);
static char	*repeat(char, size_t);

static void	 test_cases(void **);
static void	 test_window_far_too_long(void **);
static void	 test_window_fits_too_long(void **);
static void	 test_window_at_limit(void **);
static void	 test_window_quoted_too_long(void **);
static void	 test_many_records(void **);
static void	 test_source_error(void **);
static void	 test_options_copied(void **);
static void	 test_eof_repeats(void **);
static void	 test_field_editable(void **);
static void	 test_enomem(void **);

static const struct csv_case	 cases[] = {
	/* Record ends. */
	{ "simple", S("a,b,c\n"), 0, 0, 0, "1-1 [a] [b] [c]\n" },
	{ "one field", S("a\n"), 0, 0, 0, "1-1 [a]\n" },
	{ "LF ends", S("a,b\nc,d\n"), 0, 0, 0, "1-1 [a] [b]\n2-2 [c] [d]\n" },
	{ "CRLF ends", S("a,b\r\nc,d\r\n"), 0, 0, 0,
	    "1-1 [a] [b]\n2-2 [c] [d]\n" },
	{ "mixed ends", S("a\r\nb\nc\r\n"), 0, 0, 0,
	    "1-1 [a]\n2-2 [b]\n3-3 [c]\n" },
	{ "final record without newline", S("a,b\nc,d"), 0, 0, 0,
	    "1-1 [a] [b]\n2-2 [c] [d]\n" },
	{ "final quoted record without newline", S("a\n\"b,c\""), 0, 0, 0,
	    "1-1 [a]\n2-2 q[b,c]\n" },

	/* Quoted fields. */
	{ "quoted comma", S("\"a,b\",c\n"), 0, 0, 0, "1-1 q[a,b] [c]\n" },
	{ "doubled quotes", S("\"a\"\"b\",\"\"\"\"\n"), 0, 0, 0,
	    "1-1 q[a\"b] q[\"]\n" },
	{ "doubled quote before the closing one", S("\"a\"\"\"\n"), 0, 0, 0,
	    "1-1 q[a\"]\n" },
	{ "embedded LF", S("\"a\nb\",c\nd\n"), 0, 0, 0,
	    "1-2 q[a\\x0ab] [c]\n3-3 [d]\n" },
	{ "embedded CRLF", S("\"a\r\nb\"\r\nd\r\n"), 0, 0, 0,
	    "1-2 q[a\\x0d\\x0ab]\n3-3 [d]\n" },
	{ "embedded CR", S("\"a\rb\"\n"), 0, 0, 0, "1-1 q[a\\x0db]\n" },
	{ "several lines in a quote", S("\"\n\n\n\",x\ny\n"), 0, 0, 0,
	    "1-4 q[\\x0a\\x0a\\x0a] [x]\n5-5 [y]\n" },
	{ "multi-line field in the middle", S("a,\"b\nc\",d\ne\n"), 0, 0, 0,
	    "1-2 [a] q[b\\x0ac] [d]\n3-3 [e]\n" },
	{ "multi-line final record without newline", S("x\n\"a\nb\""), 0, 0,
	    0, "1-1 [x]\n2-3 q[a\\x0ab]\n" },
	{ "multi-line final record, CRLF inside", S("\"a\r\nb\r\nc\""), 0,
	    0, 0, "1-3 q[a\\x0d\\x0ab\\x0d\\x0ac]\n" },

	/* Byte-order mark. */
	{ "BOM", S("\xef\xbb\xbf" "a,b\n"), 0, 0, 0, "1-1 [a] [b]\n" },
	{ "BOM before a quote", S("\xef\xbb\xbf\"a\"\n"), 0, 0, 0,
	    "1-1 q[a]\n" },
	{ "BOM on a later line is data", S("a\n\xef\xbb\xbf" "b\n"), 0, 0,
	    0, "1-1 [a]\n2-2 [\\xef\\xbb\\xbfb]\n" },
	{ "second BOM is data", S("\xef\xbb\xbf\xef\xbb\xbf" "a\n"), 0, 0,
	    0, "1-1 [\\xef\\xbb\\xbfa]\n" },
	{ "BOM only", S("\xef\xbb\xbf"), 0, 0, 0, "" },
	{ "BOM and a newline", S("\xef\xbb\xbf\n"), 0, 0, 0, "1-1 blank\n" },
	{ "partial BOM", S("\xef\xbb"), 0, 0, 0, "1-1 [\\xef\\xbb]\n" },
	{ "partial BOM and text", S("\xef\xbb" "a\n"), 0, 0, 0,
	    "1-1 [\\xef\\xbba]\n" },

	/* Blank lines and empty fields. */
	{ "empty input", S(""), 0, 0, 0, "" },
	{ "single newline", S("\n"), 0, 0, 0, "1-1 blank\n" },
	{ "single CRLF", S("\r\n"), 0, 0, 0, "1-1 blank\n" },
	{ "blank lines", S("a\n\nb\n\r\n\n"), 0, 0, 0,
	    "1-1 [a]\n2-2 blank\n3-3 [b]\n4-4 blank\n5-5 blank\n" },
	{ "empty fields", S(",,\n"), 0, 0, 0, "1-1 [] [] []\n" },
	{ "single comma", S(","), 0, 0, 0, "1-1 [] []\n" },
	{ "empty fields between others", S("a,,b,\n"), 0, 0, 0,
	    "1-1 [a] [] [b] []\n" },
	{ "empty quoted field is not blank", S("\"\"\n"), 0, 0, 0,
	    "1-1 q[]\n" },
	{ "empty quoted fields", S("\"\",\"\"\r\n"), 0, 0, 0,
	    "1-1 q[] q[]\n" },
	{ "empty quoted field at EOF", S("\"\""), 0, 0, 0, "1-1 q[]\n" },

	/* Malformed records, and the good ones after them. */
	{ "text after a closing quote", S("\"a\"b,c\nd,e\n"), 0, 0, 0,
	    "1-1 error: unexpected text after a closing quote\n"
	    "2-2 [d] [e]\n" },
	{ "space after a closing quote", S("x\n\"a\" ,b\nc\n"), 0, 0, 0,
	    "1-1 [x]\n2-2 error: unexpected text after a closing quote\n"
	    "3-3 [c]\n" },
	{ "text after a closing quote, later field", S("x,\"a\"b\r\ny\r\n"),
	    0, 0, 0, "1-1 error: unexpected text after a closing quote\n"
	    "2-2 [y]\n" },
	{ "text after a multi-line quote", S("\"a\nb\"x\nd\n"), 0, 0, 0,
	    "1-2 error: unexpected text after a closing quote\n3-3 [d]\n" },
	{ "resync at the end of the physical line",
	    S("\"a\"x,\"y\nz\"\nn\n"), 0, 0, 0,
	    "1-1 error: unexpected text after a closing quote\n"
	    "2-2 [z\"]\n3-3 [n]\n" },
	{ "text after a closing quote at EOF", S("\"a\"b"), 0, 0, 0,
	    "1-1 error: unexpected text after a closing quote\n" },
	{ "CR after a closing quote at EOF", S("\"a\"\r"), 0, 0, 0,
	    "1-1 error: unexpected text after a closing quote\n" },
	{ "unterminated quote at EOF", S("a\n\"bc\nd\n"), 0, 0, 0,
	    "1-1 [a]\n2-3 error: quoted field is never closed\n" },
	{ "unterminated quote without newline", S("\"abc"), 0, 0, 0,
	    "1-1 error: quoted field is never closed\n" },
	{ "unterminated multi-line quote without newline", S("\"a\nb"), 0,
	    0, 0, "1-2 error: quoted field is never closed\n" },
	{ "unterminated after a doubled quote", S("\"a\"\"\n"), 0, 0, 0,
	    "1-1 error: quoted field is never closed\n" },
	{ "lone quote", S("\""), 0, 0, 0,
	    "1-1 error: quoted field is never closed\n" },

	/* Bare quotes and CRs are data outside quotes. */
	{ "bare quote in an unquoted field", S("a\"b,c\"\n"), 0, 0, 0,
	    "1-1 [a\"b] [c\"]\n" },
	{ "bare quotes, several", S("5\" disk,x\"\"y\n"), 0, 0, 0,
	    "1-1 [5\" disk] [x\"\"y]\n" },
	{ "bare CR in an unquoted field", S("a\rb,c\n"), 0, 0, 0,
	    "1-1 [a\\x0db] [c]\n" },
	{ "CR at EOF", S("a\r"), 0, 0, 0, "1-1 [a\\x0d]\n" },
	{ "CR CR LF", S("a\r\r\n"), 0, 0, 0, "1-1 [a\\x0d]\n" },
	{ "lone CR", S("\r"), 0, 0, 0, "1-1 [\\x0d]\n" },
	{ "CR does not end a line", S("a\rb\nc\n"), 0, 0, 0,
	    "1-1 [a\\x0db]\n2-2 [c]\n" },

	/* Options. */
	{ "custom delimiter", S("a;b,c;\"d;e\"\n1;2\n"), ';', 0, 0,
	    "1-1 [a] [b,c] q[d;e]\n2-2 [1] [2]\n" },
	{ "tab delimiter", S("a\tb c\t\n"), '\t', 0, 0, "1-1 [a] [b c] []\n" },
	{ "NUL bytes kept", S("a\0b,\"c\0d\"\n\0\n"), 0, 0, 0,
	    "1-1 [a\\x00b] q[c\\x00d]\n2-2 [\\x00]\n" },
	{ "max_fields reached", S("a,b,c\n"), 0, 3, 0, "1-1 [a] [b] [c]\n" },
	{ "max_fields exceeded", S("a,b,c\na,b,c,d\ne\n"), 0, 3, 0,
	    "1-1 [a] [b] [c]\n2-2 error: too many fields\n3-3 [e]\n" },
	{ "max_fields exceeded by empty fields", S(",\nx\n"), 0, 1, 0,
	    "1-1 error: too many fields\n2-2 [x]\n" },
	{ "max_fields exceeded by a multi-line field", S("a,\"x\ny\"\nz\n"),
	    0, 1, 0, "1-2 error: too many fields\n3-3 [z]\n" },
	{ "max_record reached", S("12345678\nok\n"), 0, 0, 8,
	    "1-1 [12345678]\n2-2 [ok]\n" },
	{ "max_record exceeded", S("123456789\nok\n"), 0, 0, 8,
	    "1-1 error: record is too long\n2-2 [ok]\n" },
	{ "max_record reached by fields", S("123,4567\n"), 0, 0, 8,
	    "1-1 [123] [4567]\n" },
	{ "max_record exceeded by fields", S("1234,5678\nok\n"), 0, 0, 8,
	    "1-1 error: record is too long\n2-2 [ok]\n" },
	{ "max_record counts unescaped bytes", S("\"ab\"\"cd\"\"ef\"\n"), 0,
	    0, 8, "1-1 q[ab\"cd\"ef]\n" },
	{ "max_record exceeded in a multi-line quote",
	    S("\"1234\n56789\"\nok\n"), 0, 0, 8,
	    "1-2 error: record is too long\n3-3 [ok]\n" },
	{ "max_record exceeded with max_fields fields", S("abcd\nok\n"), 0,
	    1, 3, "1-1 error: record is too long\n2-2 [ok]\n" },
	{ "max_record exceeded before a CRLF", S("abcdefghij\r\nok\r\n"), 0,
	    0, 4, "1-1 error: record is too long\n2-2 [ok]\n" },
	{ "max_record exceeded at EOF", S("ok\nabcdefghij"), 0, 0, 4,
	    "1-1 [ok]\n2-2 error: record is too long\n" },
};

/* xorshift64: deterministic chunk sizes. */
static uint64_t
rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static ssize_t
src_read(void *arg, void *dst, size_t n)
{
	struct src	*s = arg;
	size_t		 left = s->len - s->pos, take;

	if (s->pos >= s->fail_at)
		return -1;
	assert_true(n > 0);
	switch (s->feed) {
	case FEED_BYTE:
		take = 1;
		break;
	case FEED_CHUNKS:
		take = 1 + (size_t)(rng_next(&s->rng) % s->maxchunk);
		break;
	default:
		take = n;
		break;
	}
	if (take > n)
		take = n;
	if (take > left)
		take = left;
	if (s->fail_at < s->len && take > s->fail_at - s->pos)
		take = s->fail_at - s->pos;
	memcpy(dst, s->data + s->pos, take);
	s->pos += take;
	return (ssize_t)take;
}

static void
dump_field(struct buf *out, const struct csv_field *f)
{
	size_t	 i;

	/* Each field is a C string as well. */
	assert_int_equal(f->data[f->len], '\0');
	for (i = 0; i < f->len; i++) {
		unsigned char	 c = (unsigned char)f->data[i];

		if (c < 0x20 || c >= 0x7F || c == '[' || c == ']' ||
		    c == '\\')
			assert_int_equal(buf_printf(out, "\\x%02x", c), 0);
		else
			assert_int_equal(buf_putc(out, c), 0);
	}
}

/*
 * dump_all - read every record into out, checking the invariants that hold
 * whatever the input; returns the final csv_read() result (0 at EOF).
 */
static int
dump_all(struct csv_reader *r, struct buf *out)
{
	struct csv_record	 rec;
	unsigned long		 prev_end = 0;
	size_t			 i;
	int			 rc;

	while ((rc = csv_read(r, &rec)) == 1) {
		/* Records follow each other, line after line. */
		assert_int_equal(rec.line, prev_end + 1);
		assert_true(rec.end_line >= rec.line);
		prev_end = rec.end_line;
		assert_int_equal(buf_printf(out, "%lu-%lu", rec.line,
		    rec.end_line), 0);
		if (rec.error != NULL) {
			assert_int_equal(buf_printf(out, " error: %s\n",
			    rec.error), 0);
			continue;
		}
		assert_true(rec.nfields >= 1);
		if (rec.blank) {
			assert_int_equal(rec.nfields, 1);
			assert_int_equal(rec.fields[0].len, 0);
			assert_false(rec.fields[0].quoted);
			assert_int_equal(buf_puts(out, " blank\n"), 0);
			continue;
		}
		for (i = 0; i < rec.nfields; i++) {
			assert_int_equal(buf_puts(out,
			    rec.fields[i].quoted ? " q[" : " ["), 0);
			dump_field(out, &rec.fields[i]);
			assert_int_equal(buf_putc(out, ']'), 0);
		}
		assert_int_equal(buf_putc(out, '\n'), 0);
	}
	return rc;
}

/* read_as - read input fed as feed, dump the records into out. */
static void
read_as(const char *input, size_t len, const struct csv_options *opt,
    enum feed feed, uint64_t seed, size_t maxchunk, struct buf *out)
{
	struct csv_reader	*r;
	struct src		 s;

	memset(&s, 0, sizeof(s));
	s.data = input;
	s.len = len;
	s.feed = feed;
	s.rng = seed;
	s.maxchunk = maxchunk;
	s.fail_at = SIZE_MAX;
	if (feed == FEED_MEM)
		r = csv_reader_new_mem(input, len, opt);
	else
		r = csv_reader_new(src_read, &s, opt);
	assert_non_null(r);
	buf_reset(out);
	assert_int_equal(buf_puts(out, ""), 0);
	assert_int_equal(dump_all(r, out), 0);
	csv_reader_free(r);
}

/*
 * check_all_feeds - the records of input are expected, whichever way it is
 * fed; the one-byte reader only if bytewise is set.
 */
static void
check_all_feeds(const char *name, const char *input, size_t len,
    const struct csv_options *opt, const char *expected, int bytewise)
{
	struct buf	 out = BUF_INITIALIZER(64 * MiB);
	uint64_t	 seed;
	size_t		 maxchunk;

	read_as(input, len, opt, FEED_MEM, 0, 0, &out);
	if (strcmp(out.data, expected) != 0)
		fail_msg("%s (%s):\n got:\n%.2000s\n want:\n%.2000s", name,
		    feed_names[FEED_MEM], out.data, expected);
	read_as(input, len, opt, FEED_WHOLE, 0, 0, &out);
	if (strcmp(out.data, expected) != 0)
		fail_msg("%s (%s):\n got:\n%.2000s", name,
		    feed_names[FEED_WHOLE], out.data);
	if (bytewise) {
		read_as(input, len, opt, FEED_BYTE, 0, 0, &out);
		if (strcmp(out.data, expected) != 0)
			fail_msg("%s (%s):\n got:\n%.2000s", name,
			    feed_names[FEED_BYTE], out.data);
	}
	for (seed = 1; seed <= 8; seed++) {
		maxchunk = bytewise ? (seed <= 4 ? 3 : 64) : 256 * 1024;
		read_as(input, len, opt, FEED_CHUNKS,
		    seed * UINT64_C(0x9E3779B97F4A7C15), maxchunk, &out);
		if (strcmp(out.data, expected) != 0)
			fail_msg("%s (%s, seed %u):\n got:\n%.2000s", name,
			    feed_names[FEED_CHUNKS], (unsigned)seed, out.data);
	}
	buf_free(&out);
}

static char *
repeat(char c, size_t n)
{
	char	*p = malloc(n + 1);

	assert_non_null(p);
	memset(p, c, n);
	p[n] = '\0';
	return p;
}

static void
test_cases(void **state)
{
	struct csv_options	 opt;
	size_t			 i;

	for (i = 0; i < ARRAY_LEN(cases); i++) {
		print_message("csv: %s\n", cases[i].name);
		memset(&opt, 0, sizeof(opt));
		opt.delimiter = cases[i].delimiter;
		opt.max_fields = cases[i].max_fields;
		opt.max_record = cases[i].max_record;
		check_all_feeds(cases[i].name, cases[i].input, cases[i].len,
		    &opt, cases[i].expected, 1);
		/* Default options are the same as an options struct of 0s. */
		if (cases[i].delimiter == 0 && cases[i].max_fields == 0 &&
		    cases[i].max_record == 0)
			check_all_feeds(cases[i].name, cases[i].input,
			    cases[i].len, NULL, cases[i].expected, 0);
	}
}

/*
 * A 5 MiB line with max_record 1 MiB: it never fits the reader's window and
 * is dropped, then the next record is read on the right line.
 */
static void
test_window_far_too_long(void **state)
{
	struct csv_options	 opt = { ',', 0, 1 * MiB };
	struct buf		 in = BUF_INITIALIZER(16 * MiB);
	char			*x = repeat('x', 5 * MiB);

	assert_int_equal(buf_puts(&in, "first\n"), 0);
	assert_int_equal(buf_puts(&in, x), 0);
	assert_int_equal(buf_puts(&in, "\nnext,1\r\n\nlast"), 0);
	check_all_feeds("5 MiB line", in.data, in.len, &opt,
	    "1-1 [first]\n2-2 error: record is too long\n3-3 [next] [1]\n"
	    "4-4 blank\n5-5 [last]\n", 0);

	/* The same at the end of the input, with no newline. */
	buf_reset(&in);
	assert_int_equal(buf_puts(&in, "first\n"), 0);
	assert_int_equal(buf_puts(&in, x), 0);
	check_all_feeds("5 MiB line at EOF", in.data, in.len, &opt,
	    "1-1 [first]\n2-2 error: record is too long\n", 0);

	/*
	 * 5 MiB of empty fields: too many fields too, but a line that does
	 * not fit the window is reported as too long.
	 */
	memset(x, ',', 5 * MiB);
	buf_reset(&in);
	assert_int_equal(buf_puts(&in, x), 0);
	assert_int_equal(buf_puts(&in, "\nok\n"), 0);
	check_all_feeds("5 MiB of commas", in.data, in.len, &opt,
	    "1-1 error: record is too long\n2-2 [ok]\n", 0);
	free(x);
	buf_free(&in);
}

/* A 1.5 MiB line with max_record 1 MiB fits the window: same result. */
static void
test_window_fits_too_long(void **state)
{
	struct csv_options	 opt = { ',', 0, 1 * MiB };
	struct buf		 in = BUF_INITIALIZER(16 * MiB);
	char			*x = repeat('y', 3 * MiB / 2);

	assert_int_equal(buf_puts(&in, "a\n\n"), 0);
	assert_int_equal(buf_puts(&in, x), 0);
	assert_int_equal(buf_puts(&in, "\r\nb\n"), 0);
	check_all_feeds("1.5 MiB line", in.data, in.len, &opt,
	    "1-1 [a]\n2-2 blank\n3-3 error: record is too long\n4-4 [b]\n", 0);
	free(x);
	buf_free(&in);
}

/* A record of exactly max_record bytes is read whole. */
static void
test_window_at_limit(void **state)
{
	struct csv_options	 opt = { ',', 0, 1 * MiB };
	struct buf		 in = BUF_INITIALIZER(16 * MiB);
	struct buf		 want = BUF_INITIALIZER(16 * MiB);
	char			*x = repeat('z', 1 * MiB);

	assert_int_equal(buf_puts(&in, x), 0);
	assert_int_equal(buf_puts(&in, "\n"), 0);
	assert_int_equal(buf_puts(&in, x), 0);
	assert_int_equal(buf_puts(&in, "z\nend\n"), 0);
	assert_int_equal(buf_printf(&want, "1-1 [%s]\n", x), 0);
	assert_int_equal(buf_puts(&want,
	    "2-2 error: record is too long\n3-3 [end]\n"), 0);
	check_all_feeds("1 MiB record", in.data, in.len, &opt, want.data, 0);
	free(x);
	buf_free(&in);
	buf_free(&want);
}

/* A quoted 5 MiB field, then a 3 MiB one with doubled quotes. */
static void
test_window_quoted_too_long(void **state)
{
	struct csv_options	 opt = { ',', 0, 1 * MiB };
	struct buf		 in = BUF_INITIALIZER(16 * MiB);
	char			*x = repeat('q', 5 * MiB);

	assert_int_equal(buf_puts(&in, "\""), 0);
	assert_int_equal(buf_puts(&in, x), 0);
	assert_int_equal(buf_puts(&in, "\"\nnext\n"), 0);
	check_all_feeds("quoted 5 MiB", in.data, in.len, &opt,
	    "1-1 error: record is too long\n2-2 [next]\n", 0);

	/* 1.5 MiB of unescaped quotes in 3 MiB of input. */
	memset(x, '"', 3 * MiB);
	x[3 * MiB] = '\0';
	buf_reset(&in);
	assert_int_equal(buf_puts(&in, "ok\n\""), 0);
	assert_int_equal(buf_puts(&in, x), 0);
	assert_int_equal(buf_puts(&in, "\"\nnext\n"), 0);
	check_all_feeds("3 MiB of doubled quotes", in.data, in.len, &opt,
	    "1-1 [ok]\n2-2 error: record is too long\n3-3 [next]\n", 0);
	free(x);
	buf_free(&in);
}

/* Records across many window slides keep their line numbers. */
static void
test_many_records(void **state)
{
	struct buf	 in = BUF_INITIALIZER(64 * MiB);
	struct buf	 want = BUF_INITIALIZER(64 * MiB);
	unsigned long	 line = 1;
	unsigned	 i;

	for (i = 0; i < 200000; i++) {
		switch (i % 4) {
		case 0:
			assert_int_equal(buf_printf(&in, "%u,a\n", i), 0);
			assert_int_equal(buf_printf(&want,
			    "%lu-%lu [%u] [a]\n", line, line, i), 0);
			line++;
			break;
		case 1:
			assert_int_equal(buf_printf(&in, "\"%u\n%u\",b\r\n",
			    i, i), 0);
			assert_int_equal(buf_printf(&want,
			    "%lu-%lu q[%u\\x0a%u] [b]\n", line, line + 1, i, i),
			    0);
			line += 2;
			break;
		case 2:
			assert_int_equal(buf_puts(&in, "\n"), 0);
			assert_int_equal(buf_printf(&want, "%lu-%lu blank\n",
			    line, line), 0);
			line++;
			break;
		default:
			assert_int_equal(buf_printf(&in, "\"%u\"x\n", i), 0);
			assert_int_equal(buf_printf(&want, "%lu-%lu error: "
			    "unexpected text after a closing quote\n", line,
			    line), 0);
			line++;
			break;
		}
	}
	check_all_feeds("many records", in.data, in.len, NULL, want.data, 0);
	buf_free(&in);
	buf_free(&want);
}

/* A failing source: the records before are read, then CLR_EIO. */
static void
test_source_error(void **state)
{
	static const char	 input[] = "a,b\nc,d\ne,f\n";
	struct csv_reader	*r;
	struct csv_record	 rec;
	struct src		 s;

	memset(&s, 0, sizeof(s));
	s.data = input;
	s.len = sizeof(input) - 1;
	s.feed = FEED_BYTE;
	s.fail_at = 6;		/* in the middle of "c,d" */
	r = csv_reader_new(src_read, &s, NULL);
	assert_non_null(r);
	assert_int_equal(csv_read(r, &rec), 1);
	assert_int_equal(rec.nfields, 2);
	assert_string_equal(rec.fields[0].data, "a");
	assert_int_equal(csv_read(r, &rec), CLR_EIO);
	csv_reader_free(r);
}

/* The options are copied: changing them afterwards has no effect. */
static void
test_options_copied(void **state)
{
	static const char	 input[] = "a;b,c\n";
	struct csv_options	 opt = { ';', 0, 0 };
	struct csv_reader	*r;
	struct csv_record	 rec;

	r = csv_reader_new_mem(input, sizeof(input) - 1, &opt);
	assert_non_null(r);
	opt.delimiter = ',';
	assert_int_equal(csv_read(r, &rec), 1);
	assert_int_equal(rec.nfields, 2);
	assert_string_equal(rec.fields[1].data, "b,c");
	csv_reader_free(r);
	csv_reader_free(NULL);
}

static void
test_eof_repeats(void **state)
{
	struct csv_reader	*r;
	struct csv_record	 rec;

	r = csv_reader_new_mem("x", 1, NULL);
	assert_non_null(r);
	assert_int_equal(csv_read(r, &rec), 1);
	assert_int_equal(csv_read(r, &rec), 0);
	assert_int_equal(csv_read(r, &rec), 0);
	csv_reader_free(r);
}

/* The caller may edit field bytes; the next record is unaffected. */
static void
test_field_editable(void **state)
{
	static const char	 input[] = "abc,def\nghi\n";
	struct csv_reader	*r;
	struct csv_record	 rec;

	r = csv_reader_new_mem(input, sizeof(input) - 1, NULL);
	assert_non_null(r);
	assert_int_equal(csv_read(r, &rec), 1);
	rec.fields[0].data[0] = 'X';
	rec.fields[1].data[2] = '\0';
	assert_string_equal(input, "abc,def\nghi\n");
	assert_int_equal(csv_read(r, &rec), 1);
	assert_string_equal(rec.fields[0].data, "ghi");
	csv_reader_free(r);
}

/*
 * Fail the n-th allocation for each n: the reader is not created, or
 * csv_read() fails with CLR_ENOMEM, or every record comes out right.
 */
static void
test_enomem(void **state)
{
	static const char	 input[] =
	    "name,email\n\"Doe, J\",j@example.org\n\"multi\nline\",x\n";
	static const char	 want[] =
	    "1-1 [name] [email]\n2-2 q[Doe, J] [j@example.org]\n"
	    "3-4 q[multi\\x0aline] [x]\n";
	struct buf		 out;
	long			 n;
	int			 completed = 0, failed = 0;

	for (n = 0; n < 40; n++) {
		struct csv_reader	*r;
		int			 rc;

		/* out is allocated before the failing allocator is on. */
		buf_init(&out, 1 * MiB);
		assert_int_equal(buf_reserve(&out, 4096), 0);
		test_fail_after(n);
		r = csv_reader_new_mem(input, sizeof(input) - 1, NULL);
		if (r == NULL) {
			failed++;
		} else {
			rc = dump_all(r, &out);
			if (rc == 0) {
				assert_string_equal(out.data, want);
				completed++;
			} else {
				assert_int_equal(rc, CLR_ENOMEM);
				failed++;
			}
			csv_reader_free(r);
		}
		test_restore_allocator(NULL);
		buf_free(&out);
	}
	assert_true(completed > 0);
	assert_true(failed > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_window_far_too_long),
		cmocka_unit_test(test_window_fits_too_long),
		cmocka_unit_test(test_window_at_limit),
		cmocka_unit_test(test_window_quoted_too_long),
		cmocka_unit_test(test_many_records),
		cmocka_unit_test(test_source_error),
		cmocka_unit_test(test_options_copied),
		cmocka_unit_test(test_eof_repeats),
		cmocka_unit_test(test_field_editable),
		cmocka_unit_test_teardown(test_enomem, test_restore_allocator),
	};

	return cmocka_run_group_tests_name("csv", tests, NULL, NULL);
}
