/* SPDX-License-Identifier: ISC */
/*
 * tests/fuzz/fuzz_csv.c - libFuzzer target for the streaming CSV reader
 *
 * Reads the input twice with small limits, so that "too many fields" and
 * "record is too long" are reached: once from memory (csv_reader_new_mem)
 * and once through a csv_read_fn that gives one byte per call. Aborts
 * unless both give the same records, byte for byte, and unless:
 *
 *	- no field is longer than MAX_RECORD, no record has more than
 *	  MAX_FIELDS fields, and each field is NUL-terminated;
 *	- each record starts on the line after the previous one ended (so
 *	  line numbers never decrease) and ends on or after its first line;
 *	- the last record ends on the input's last line;
 *	- reading from memory never fails.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "util/buf.h"
#include "util/csv.h"

#define MAX_FIELDS	8
#define MAX_RECORD	64

struct bytewise {
	const uint8_t	*data;
	size_t		 size, pos;
};

int		 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static ssize_t	 read_byte(void *, void *, size_t);
static void	 put(struct buf *, const void *, size_t);
static void	 collect(struct csv_reader *, struct buf *, const uint8_t *,
		    size_t);

/* read_byte - a csv_read_fn giving one byte per call. */
static ssize_t
read_byte(void *arg, void *dst, size_t n)
{
	struct bytewise	*b = arg;

	if (n == 0)
		abort();
	if (b->pos == b->size)
		return 0;
	*(uint8_t *)dst = b->data[b->pos++];
	return 1;
}

static void
put(struct buf *out, const void *p, size_t n)
{
	if (buf_append(out, p, n) != 0)
		abort();
}

/* collect - read every record, check the invariants, serialise to out. */
static void
collect(struct csv_reader *r, struct buf *out, const uint8_t *data,
    size_t size)
{
	struct csv_record	 rec;
	unsigned long		 prev_end = 0, lines = 0;
	size_t			 i, total;
	int			 rc, any = 0;

	if (r == NULL)
		abort();
	while ((rc = csv_read(r, &rec)) == 1) {
		if (rec.line != prev_end + 1 || rec.end_line < rec.line)
			abort();
		prev_end = rec.end_line;
		any = 1;
		if (rec.nfields > MAX_FIELDS)
			abort();
		if (rec.error == NULL && rec.nfields == 0)
			abort();
		if (rec.blank && (rec.nfields != 1 || rec.fields[0].len != 0))
			abort();
		put(out, &rec.line, sizeof(rec.line));
		put(out, &rec.end_line, sizeof(rec.end_line));
		put(out, &rec.blank, sizeof(rec.blank));
		put(out, &rec.nfields, sizeof(rec.nfields));
		if (rec.error != NULL)
			put(out, rec.error, strlen(rec.error) + 1);
		else
			put(out, "", 1);
		total = 0;
		for (i = 0; i < rec.nfields; i++) {
			const struct csv_field	*f = &rec.fields[i];

			if (f->len > MAX_RECORD || f->data[f->len] != '\0')
				abort();
			total += f->len;
			put(out, &f->len, sizeof(f->len));
			put(out, &f->quoted, sizeof(f->quoted));
			put(out, f->data, f->len);
		}
		/* Fields and the delimiters between them fit the limit. */
		if (rec.nfields > 0 && total + rec.nfields - 1 > MAX_RECORD)
			abort();
	}
	if (rc != 0)
		abort();
	if (!any)
		return;
	for (i = 0; i < size; i++)
		if (data[i] == '\n')
			lines++;
	if (data[size - 1] != '\n')
		lines++;
	if (prev_end != lines)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct csv_options	 opt = { ',', MAX_FIELDS, MAX_RECORD };
	struct buf			 a = BUF_INITIALIZER(SIZE_MAX);
	struct buf			 b = BUF_INITIALIZER(SIZE_MAX);
	struct bytewise			 src = { data, size, 0 };
	struct csv_reader		*r;

	r = csv_reader_new_mem(data, size, &opt);
	collect(r, &a, data, size);
	csv_reader_free(r);

	r = csv_reader_new(read_byte, &src, &opt);
	collect(r, &b, data, size);
	csv_reader_free(r);

	if (a.len != b.len || (a.len > 0 && memcmp(a.data, b.data,
	    a.len) != 0))
		abort();
	buf_free(&a);
	buf_free(&b);
	return 0;
}
