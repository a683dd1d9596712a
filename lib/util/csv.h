/* SPDX-License-Identifier: ISC */
/*
 * util/csv.h - streaming RFC 4180 CSV reader
 *
 * Reads records from a byte source in bounded memory: a record may span any
 * number of reads, and no record may be longer than max_record bytes. It
 * understands quoted fields with doubled quotes, commas and line breaks
 * inside them, LF or CRLF record ends and a UTF-8 byte-order mark at the
 * start. It does not validate encodings or field counts: that is the
 * caller's business, row by row.
 *
 * A malformed record (text after a closing quote, a quote never closed, a
 * record over the limits) is returned with error set, and reading resumes at
 * the next line, so one bad row never hides the good ones after it.
 * A bare '"' inside an unquoted field is taken literally, as most CSV
 * writers produce it and it is never ambiguous.
 */
#ifndef CLARION_UTIL_CSV_H
#define CLARION_UTIL_CSV_H

#include <stddef.h>
#include <sys/types.h>

/* Read up to n bytes into dst: returns the count, 0 at EOF, < 0 on error. */
typedef ssize_t	(*csv_read_fn)(void *arg, void *dst, size_t n);

struct csv_options {
	char	 delimiter;	/* ',' unless set */
	size_t	 max_fields;	/* per record; 0: 1024 */
	size_t	 max_record;	/* bytes per record; 0: 1 MiB */
};

struct csv_field {
	char		*data;	/* unescaped bytes, NUL-terminated; the
				   caller may edit them until the next read */
	size_t		 len;
	int		 quoted;	/* the field was written in quotes */
};

struct csv_record {
	unsigned long		 line;	/* physical line the record starts on */
	unsigned long		 end_line; /* line it ends on */
	size_t			 nfields;
	const struct csv_field	*fields;
	int			 blank;	/* an empty line: one empty field */
	const char		*error;	/* NULL, or why the record is bad */
};

struct csv_reader;

/*
 * Create a reader pulling from fn(arg). The options are copied; NULL means
 * defaults. Returns NULL on allocation failure.
 */
struct csv_reader *csv_reader_new(csv_read_fn fn, void *arg,
		    const struct csv_options *);
/* A reader over a memory block, borrowed until csv_reader_free. */
struct csv_reader *csv_reader_new_mem(const void *data, size_t len,
		    const struct csv_options *);
void		 csv_reader_free(struct csv_reader *);

/*
 * Read the next record. Returns 1 and fills rec (valid until the next call),
 * 0 at the end of input, or a negative CLR_E* code if the source failed
 * (CLR_EIO) or memory ran out; after an error the reader is unusable.
 */
int		 csv_read(struct csv_reader *, struct csv_record *rec);

#endif
