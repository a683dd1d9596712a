/* SPDX-License-Identifier: ISC */
/*
 * util/csv.c - streaming RFC 4180 CSV reader
 *
 * The reader keeps a window of input [start, end) and parses one record from
 * its start. If the window ends inside the record, it reads more and parses
 * the record again from the start: records are short next to the window, so
 * the rare re-parse costs less than keeping parser state across reads.
 * Field bytes are unescaped into one scratch buffer per record.
 */
#include <stdint.h>
#include <string.h>

#include "alloc.h"
#include "buf.h"
#include "csv.h"
#include "err.h"

#define CSV_CHUNK	(256 * 1024)

struct csv_span {
	size_t	 off, len;
	int	 quoted;
};

struct csv_reader {
	csv_read_fn	 read;
	void		*arg;
	struct csv_options opt;

	const char	*mem;		/* memory source, or NULL */
	size_t		 memlen, mempos;

	char		*win;		/* input window */
	size_t		 cap, start, end;
	int		 eof;
	int		 started;	/* BOM check done */
	unsigned long	 line;		/* line at start */

	struct buf	 scratch;	/* unescaped field bytes */
	struct csv_span	*spans;
	struct csv_field *fields;
	size_t		 nspans;
};

enum parse_result {
	PARSE_DONE,		/* a record is complete */
	PARSE_MORE,		/* the window ended inside the record */
	PARSE_EOF,		/* nothing left */
	PARSE_ERROR,		/* the record is malformed: resynchronise */
	PARSE_NOMEM		/* the scratch buffer could not grow */
};

static struct csv_reader *
reader_alloc(const struct csv_options *opt)
{
	struct csv_reader	*r;

	if ((r = clr_calloc(1, sizeof(*r))) == NULL)
		return NULL;
	if (opt != NULL)
		r->opt = *opt;
	if (r->opt.delimiter == '\0')
		r->opt.delimiter = ',';
	if (r->opt.max_fields == 0)
		r->opt.max_fields = 1024;
	if (r->opt.max_record == 0)
		r->opt.max_record = 1024 * 1024;
	/* Keep the window size (twice this) and the + 1 below from wrapping. */
	if (r->opt.max_record > SIZE_MAX / 4)
		r->opt.max_record = SIZE_MAX / 4;
	r->line = 1;
	/*
	 * The scratch holds the fields with a NUL after each: one byte more
	 * than the record's fields and the delimiters between them.
	 */
	buf_init(&r->scratch, r->opt.max_record + 1);
	r->spans = clr_calloc(r->opt.max_fields, sizeof(*r->spans));
	r->fields = clr_calloc(r->opt.max_fields, sizeof(*r->fields));
	if (r->spans == NULL || r->fields == NULL) {
		csv_reader_free(r);
		return NULL;
	}
	return r;
}

struct csv_reader *
csv_reader_new(csv_read_fn fn, void *arg, const struct csv_options *opt)
{
	struct csv_reader	*r;

	if ((r = reader_alloc(opt)) == NULL)
		return NULL;
	r->read = fn;
	r->arg = arg;
	return r;
}

static ssize_t
mem_read(void *arg, void *dst, size_t n)
{
	struct csv_reader	*r = arg;
	size_t			 left = r->memlen - r->mempos;

	if (n > left)
		n = left;
	memcpy(dst, r->mem + r->mempos, n);
	r->mempos += n;
	return (ssize_t)n;
}

struct csv_reader *
csv_reader_new_mem(const void *data, size_t len, const struct csv_options *opt)
{
	struct csv_reader	*r;

	if ((r = reader_alloc(opt)) == NULL)
		return NULL;
	r->mem = data;
	r->memlen = len;
	r->read = mem_read;
	r->arg = r;
	return r;
}

void
csv_reader_free(struct csv_reader *r)
{
	if (r == NULL)
		return;
	buf_free(&r->scratch);
	clr_free(r->spans);
	clr_free(r->fields);
	clr_free(r->win);
	clr_free(r);
}

/* fill - slide the window to its start and read more; 0 or CLR_E*. */
static int
fill(struct csv_reader *r)
{
	ssize_t	 n;
	size_t	 want;
	char	*p;

	if (r->start > 0) {
		memmove(r->win, r->win + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
	}
	if (r->cap - r->end < CSV_CHUNK / 2) {
		/* Room for the longest record plus one read, no more. */
		want = r->cap ? r->cap * 2 : CSV_CHUNK;
		if (want > r->opt.max_record * 2 + CSV_CHUNK)
			want = r->opt.max_record * 2 + CSV_CHUNK;
		if (want > r->cap) {
			if ((p = clr_realloc(r->win, want)) == NULL)
				return CLR_ENOMEM;
			r->win = p;
			r->cap = want;
		}
	}
	if (r->cap == r->end)
		return CLR_ETOOBIG;
	n = r->read(r->arg, r->win + r->end, r->cap - r->end);
	if (n < 0)
		return CLR_EIO;
	if (n == 0)
		r->eof = 1;
	r->end += (size_t)n;
	return 0;
}

/*
 * field_end - close the current field; 0, 1 when there are too many, or the
 * CLR_E* code of the scratch buffer.
 */
static int
field_end(struct csv_reader *r, size_t off, int quoted)
{
	int	 rc;

	if (r->nspans == r->opt.max_fields)
		return 1;
	/* Separate fields with a NUL so each one is a C string. */
	if ((rc = buf_putc(&r->scratch, '\0')) != 0)
		return rc;
	r->spans[r->nspans].off = off;
	r->spans[r->nspans].len = r->scratch.len - 1 - off;
	r->spans[r->nspans].quoted = quoted;
	r->nspans++;
	return 0;
}

/*
 * parse - parse one record from r->start. On PARSE_DONE and PARSE_ERROR,
 * *next is where the following record starts and *lines the number of line
 * breaks consumed; on PARSE_ERROR, *why says what is wrong. PARSE_NOMEM
 * means the scratch buffer could not be allocated.
 */
static enum parse_result
parse(struct csv_reader *r, size_t *next, unsigned long *lines,
    const char **why)
{
	const char	*w = r->win, dl = r->opt.delimiter;
	size_t		 pos = r->start, end = r->end, fstart, run;
	unsigned long	 nl = 0;
	int		 quoted, rc = 0;

	buf_reset(&r->scratch);
	r->nspans = 0;
	if (pos == end)
		return r->eof ? PARSE_EOF : PARSE_MORE;

	for (;;) {			/* one field per turn */
		fstart = r->scratch.len;
		quoted = 0;
		if (pos < end && w[pos] == '"') {
			quoted = 1;
			pos++;
			for (;;) {
				run = pos;
				while (pos < end && w[pos] != '"') {
					if (w[pos] == '\n')
						nl++;
					pos++;
				}
				if ((rc = buf_append(&r->scratch, w + run,
				    pos - run)) != 0)
					goto toolong;
				if (pos + 1 >= end && !r->eof)
					return PARSE_MORE;
				if (pos >= end) {
					*why = "quoted field is never closed";
					goto error;
				}
				if (pos + 1 < end && w[pos + 1] == '"') {
					if ((rc = buf_putc(&r->scratch,
					    '"')) != 0)
						goto toolong;
					pos += 2;
					continue;
				}
				pos++;		/* closing quote */
				break;
			}
		} else {
			run = pos;
			while (pos < end && w[pos] != dl && w[pos] != '\n' &&
			    !(w[pos] == '\r' && pos + 1 < end &&
			    w[pos + 1] == '\n'))
				pos++;
			/* A CR at the window's end may start a CRLF. */
			if (pos == end && !r->eof)
				return PARSE_MORE;
			if ((rc = buf_append(&r->scratch, w + run,
			    pos - run)) != 0)
				goto toolong;
		}
		if ((rc = field_end(r, fstart, quoted)) != 0) {
			if (rc > 0) {
				*why = "too many fields";
				goto error;
			}
			goto toolong;
		}
		if (pos == end) {
			if (!r->eof)
				return PARSE_MORE;
			*next = pos;
			*lines = nl;
			return PARSE_DONE;
		}
		if (w[pos] == dl) {
			pos++;
			continue;
		}
		if (w[pos] == '\r' && pos + 1 == end && !r->eof)
			return PARSE_MORE;
		if (w[pos] == '\n' || (w[pos] == '\r' && pos + 1 < end &&
		    w[pos + 1] == '\n')) {
			pos += w[pos] == '\r' ? 2 : 1;
			nl++;
			*next = pos;
			*lines = nl;
			return PARSE_DONE;
		}
		*why = "unexpected text after a closing quote";
		goto error;
	}

toolong:
	if (rc == CLR_ENOMEM)
		return PARSE_NOMEM;
	*why = r->nspans == r->opt.max_fields ? "too many fields" :
	    "record is too long";
error:
	/*
	 * Resynchronise at the end of the physical line the error was found
	 * on. The window may not hold that line break yet.
	 */
	while (pos < end && w[pos] != '\n')
		pos++;
	if (pos == end && !r->eof)
		return PARSE_MORE;
	if (pos < end) {
		pos++;
		nl++;
	}
	*next = pos;
	*lines = nl;
	return PARSE_ERROR;
}

/*
 * skip_line - drop input up to and including the next line break. Used when
 * a record outgrows the window: its bytes cannot be kept.
 */
static int
skip_line(struct csv_reader *r, unsigned long *lines)
{
	int	 rc;

	for (;;) {
		char	*nlp = memchr(r->win + r->start, '\n',
		    r->end - r->start);

		if (nlp != NULL) {
			r->start = (size_t)(nlp - r->win) + 1;
			(*lines)++;
			return 0;
		}
		/* Count the line breaks we throw away with the window. */
		r->start = r->end;
		if (r->eof)
			return 0;
		if ((rc = fill(r)) != 0)
			return rc;
	}
}

int
csv_read(struct csv_reader *r, struct csv_record *rec)
{
	enum parse_result	 res;
	size_t			 next = 0, i;
	unsigned long		 lines = 0;
	const char		*why = NULL;
	int			 rc, ended;

	if (!r->started) {
		while (r->end - r->start < 3 && !r->eof)
			if ((rc = fill(r)) != 0)
				return rc;
		if (r->end - r->start >= 3 &&
		    memcmp(r->win + r->start, "\xEF\xBB\xBF", 3) == 0)
			r->start += 3;
		r->started = 1;
	}
	memset(rec, 0, sizeof(*rec));
	for (;;) {
		res = parse(r, &next, &lines, &why);
		if (res != PARSE_MORE)
			break;
		rc = fill(r);
		if (rc == CLR_ETOOBIG) {
			/* The record does not fit the window: drop its line. */
			rec->line = r->line;
			lines = 0;
			if ((rc = skip_line(r, &lines)) != 0)
				return rc;
			rec->end_line = r->line + (lines ? lines - 1 : 0);
			r->line += lines;
			rec->error = "record is too long";
			return 1;
		}
		if (rc != 0)
			return rc;
	}
	if (res == PARSE_EOF)
		return 0;
	if (res == PARSE_NOMEM)
		return CLR_ENOMEM;

	/* The last line break ends the record, unless it ended at EOF. */
	ended = next > r->start && r->win[next - 1] == '\n';
	rec->line = r->line;
	rec->end_line = r->line + lines - (ended ? 1 : 0);
	r->line += lines;
	r->start = next;
	if (res == PARSE_ERROR) {
		rec->error = why;
		return 1;
	}
	for (i = 0; i < r->nspans; i++) {
		r->fields[i].data = r->scratch.data + r->spans[i].off;
		r->fields[i].len = r->spans[i].len;
		r->fields[i].quoted = r->spans[i].quoted;
	}
	rec->nfields = r->nspans;
	rec->fields = r->fields;
	rec->blank = r->nspans == 1 && r->spans[0].len == 0 &&
	    !r->spans[0].quoted;
	return 1;
}
