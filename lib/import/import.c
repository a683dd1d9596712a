/* SPDX-License-Identifier: ISC */
/*
 * import/import.c - CSV rows -> validated contacts -> store
 *
 * Two threads share an import. The reader (a thread of its own) reads the
 * CSV, validates each row and collects the good ones in a batch of
 * IMPORT_BATCH_BYTES, which it sorts by address; the writer (the caller's
 * thread, the only one to touch the store) applies each batch and reports
 * its refused rows in line order. There are two batches, so the reader
 * fills one while the writer applies the other: on two cores, reading and
 * checking cost almost nothing on top of storing.
 *
 * Either side can fail. The reader's failure (a bad header, a read error,
 * no memory) travels with the batch it was filling; the writer's stops the
 * reader at its next row. The store transaction is the writer's, so a
 * failure anywhere rolls everything back.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr/addr.h"
#include "import.h"
#include "store/store.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/str.h"
#include "util/utf8.h"

enum column_role {
	COL_EMAIL,
	COL_FIRST_NAME,
	COL_LAST_NAME,
	COL_LOCALE,
	COL_STATUS,
	COL_ATTR
};

static const char *const role_names[] = {
	[COL_EMAIL] = "email",
	[COL_FIRST_NAME] = "first_name",
	[COL_LAST_NAME] = "last_name",
	[COL_LOCALE] = "locale",
	[COL_STATUS] = "status",
	[COL_ATTR] = NULL
};

struct column {
	enum column_role	 role;
	char			*name;		/* as written, trimmed */
};

/* A validated row waiting in its batch: offsets into the arena. */
struct pending {
	unsigned long		 line;
	size_t			 email, first_name, last_name, locale, attrs;
	const char		*status;	/* static, or NULL */
};

/* A refused row, reported once its batch is applied, in line order. */
struct report {
	unsigned long		 line;
	size_t			 why;		/* offset in reasons */
};

/*
 * The order rows are applied in: by address, then by line. The first 8
 * bytes of the address, big-endian, settle most comparisons without
 * touching the strings.
 */
struct order {
	uint64_t		 prefix;
	const char		*email;
	const struct pending	*row;
};

/*
 * A batch: filled and sorted by the reader, applied by the writer. Once
 * sorted, rows and their strings are laid out again in that order (in
 * the spare arena and rows, which then swap with the first), so that the
 * writer reads memory front to back instead of all over the batch.
 */
struct batch {
	struct buf		 arena;		/* strings of the rows */
	struct pending		*rows;
	size_t			 nrows, caprows;
	struct buf		 spare;		/* for the sorted layout */
	struct pending		*spare_rows;
	size_t			 capspare;
	struct buf		 reasons;	/* texts of the reports */
	struct report		*reports;
	size_t			 nreports, capreports;
	uint64_t		 read;		/* data rows read */
	uint64_t		 refused;	/* of which refused */
	int			 last;		/* no batch follows */
	int			 error;		/* the reader failed: CLR_E* */
};

/* The reader's state: the CSV and what its header says. */
struct reader {
	struct csv_reader	*csv;
	int			 header;	/* read already */
	struct column		*cols;
	size_t			 ncols;
	int			 role_col[COL_ATTR];	/* index, or -1 */
	struct buf		 attrs;		/* the row being checked */
	struct buf		 why;
};

/* What the two threads share; every field under mu. */
struct pipe {
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	struct batch		 b[2];
	int			 full[2];	/* handed to the writer */
	int			 stop;		/* the writer failed */
	struct reader		 rd;
	struct clr_err		 rerr;		/* the reader's failure */
};

#define NOFIELD			SIZE_MAX	/* a NULL field */

static int
is_line_breaking(const unsigned char *s, size_t n, size_t i)
{
	/* U+2028 and U+2029 end a line in some mail and web software. */
	return s[i] == 0xE2 && i + 2 < n && s[i + 1] == 0x80 &&
	    (s[i + 2] & 0xFE) == 0xA8;
}

/* has_control - any C0/C1 control, DEL or Unicode line separator. */
static int
has_control(const char *p, size_t n)
{
	const unsigned char	*s = (const unsigned char *)p;
	size_t			 i;

	for (i = 0; i < n; i++) {
		if (s[i] < 0x20 || s[i] == 0x7F || is_line_breaking(s, n, i))
			return 1;
		/* C1 controls are U+0080..U+009F: C2 80..C2 9F. */
		if (s[i] == 0xC2 && i + 1 < n && s[i + 1] >= 0x80 &&
		    s[i + 1] <= 0x9F)
			return 1;
	}
	return 0;
}

int
import_locale_normalize(const char *s, size_t n, char out[16])
{
	size_t	 i = 0, o = 0, start, len, k;
	int	 part = 0;	/* 0 language, 1 script, 2 region, 3 done */

	if (n == 0)
		return CLR_EINVAL;
	while (i <= n) {
		int	 alpha = 1, digit = 1;

		start = i;
		while (i < n && s[i] != '-' && s[i] != '_')
			i++;
		len = i - start;
		for (k = start; k < i; k++) {
			alpha &= (s[k] >= 'a' && s[k] <= 'z') ||
			    (s[k] >= 'A' && s[k] <= 'Z');
			digit &= s[k] >= '0' && s[k] <= '9';
		}
		if (len == 0 || part == 3)
			return CLR_EINVAL;
		if (part == 0) {
			if (!alpha || len < 2 || len > 3)
				return CLR_EINVAL;
			for (k = start; k < i; k++)
				out[o++] = (char)str_ascii_lower(s[k]);
			part = 1;
		} else if (part == 1 && alpha && len == 4) {
			out[o++] = '-';		/* script: Latn */
			out[o++] = (char)(s[start] & ~0x20);
			for (k = start + 1; k < i; k++)
				out[o++] = (char)str_ascii_lower(s[k]);
			part = 2;
		} else if ((alpha && len == 2) || (digit && len == 3)) {
			out[o++] = '-';		/* region: BE, 419 */
			for (k = start; k < i; k++)
				out[o++] = (char)(alpha ? s[k] & ~0x20 : s[k]);
			part = 3;
		} else
			return CLR_EINVAL;
		i++;			/* past the separator, or the end */
	}
	out[o] = '\0';
	return 0;
}

/* grow - make room for one more element in an array; 0 or CLR_ENOMEM. */
static int
grow(void **arr, size_t *cap, size_t n, size_t size)
{
	void	*p;
	size_t	 ncap;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 1024;
	if ((p = clr_reallocarray(*arr, ncap, size)) == NULL)
		return CLR_ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

static void
batch_init(struct batch *b)
{
	memset(b, 0, sizeof(*b));
	/* Each byte of the cap also holds rows: a little headroom. */
	buf_init(&b->arena, IMPORT_BATCH_BYTES + 4 * 1024 * 1024);
	buf_init(&b->spare, IMPORT_BATCH_BYTES + 4 * 1024 * 1024);
	buf_init(&b->reasons, BUF_MAX_LIMIT);
}

static void
batch_reset(struct batch *b)
{
	buf_reset(&b->arena);
	buf_reset(&b->reasons);
	b->nrows = 0;
	b->nreports = 0;
	b->read = 0;
	b->refused = 0;
}

static void
batch_free(struct batch *b)
{
	buf_free(&b->arena);
	buf_free(&b->spare);
	buf_free(&b->reasons);
	clr_free(b->rows);
	clr_free(b->spare_rows);
	clr_free(b->reports);
}

/* add_report - keep a refused row's reason until its batch is applied. */
static int
add_report(struct batch *b, unsigned long line, const char *why)
{
	size_t	 off = b->reasons.len;
	int	 rc;

	if ((rc = grow((void **)&b->reports, &b->capreports, b->nreports,
	    sizeof(*b->reports))) != 0 ||
	    (rc = buf_append(&b->reasons, why, strlen(why) + 1)) != 0)
		return rc;
	b->reports[b->nreports].line = line;
	b->reports[b->nreports].why = off;
	b->nreports++;
	return 0;
}

/* put - copy an optional string into an arena; its offset or NOFIELD. */
static int
put(struct buf *arena, const char *s, size_t *off)
{
	*off = NOFIELD;
	if (s == NULL)
		return 0;
	*off = arena->len;
	return buf_append(arena, s, strlen(s) + 1);
}

/* add_row - queue a validated row in the batch. */
static int
add_row(struct batch *b, unsigned long line, const struct store_contact *c)
{
	struct pending	*p;
	int		 rc;

	if ((rc = grow((void **)&b->rows, &b->caprows, b->nrows,
	    sizeof(*b->rows))) != 0)
		return rc;
	p = &b->rows[b->nrows];
	p->line = line;
	p->status = c->status;
	if ((rc = put(&b->arena, c->email, &p->email)) != 0 ||
	    (rc = put(&b->arena, c->first_name, &p->first_name)) != 0 ||
	    (rc = put(&b->arena, c->last_name, &p->last_name)) != 0 ||
	    (rc = put(&b->arena, c->locale, &p->locale)) != 0 ||
	    (rc = put(&b->arena, c->attrs, &p->attrs)) != 0)
		return rc;
	b->nrows++;
	return 0;
}

/* prefix - the first 8 bytes of s as a big-endian number (NUL-padded). */
static uint64_t
prefix(const char *s)
{
	uint64_t	 v = 0;
	int		 i;

	for (i = 0; i < 8; i++) {
		v = (v << 8) | (unsigned char)*s;
		if (*s != '\0')
			s++;
	}
	return v;
}

static int
order_cmp(const void *a, const void *b)
{
	const struct order	*x = a, *y = b;
	int			 c;

	if (x->prefix != y->prefix)
		return x->prefix < y->prefix ? -1 : 1;
	if ((c = strcmp(x->email, y->email)) != 0)
		return c;
	return x->row->line < y->row->line ? -1 : x->row->line > y->row->line;
}

static int
report_cmp(const void *a, const void *b)
{
	const struct report	*x = a, *y = b;

	return x->line < y->line ? -1 : x->line > y->line;
}

static const char *
field(const struct buf *arena, size_t off)
{
	return off == NOFIELD ? NULL : arena->data + off;
}

/*
 * sort - order a filled batch by address, and lay its rows and strings
 * out again in that order. 0 or CLR_ENOMEM.
 */
static int
sort(struct batch *b)
{
	struct order	*order;
	struct pending	*q, *tmp;
	struct buf	 swap;
	size_t		 i;
	int		 rc = 0;

	if (b->nrows == 0)
		return 0;
	if (b->capspare < b->caprows) {
		tmp = clr_reallocarray(b->spare_rows, b->caprows, sizeof(*tmp));
		if (tmp == NULL)
			return CLR_ENOMEM;
		b->spare_rows = tmp;
		b->capspare = b->caprows;
	}
	if ((order = clr_calloc(b->nrows, sizeof(*order))) == NULL)
		return CLR_ENOMEM;
	for (i = 0; i < b->nrows; i++) {
		order[i].email = b->arena.data + b->rows[i].email;
		order[i].prefix = prefix(order[i].email);
		order[i].row = &b->rows[i];
	}
	qsort(order, b->nrows, sizeof(*order), order_cmp);
	buf_reset(&b->spare);
	for (i = 0; i < b->nrows && rc == 0; i++) {
		const struct pending	*p = order[i].row;

		q = &b->spare_rows[i];
		q->line = p->line;
		q->status = p->status;
		if ((rc = put(&b->spare, order[i].email, &q->email)) != 0 ||
		    (rc = put(&b->spare, field(&b->arena, p->first_name),
		    &q->first_name)) != 0 ||
		    (rc = put(&b->spare, field(&b->arena, p->last_name),
		    &q->last_name)) != 0 ||
		    (rc = put(&b->spare, field(&b->arena, p->locale),
		    &q->locale)) != 0)
			break;
		rc = put(&b->spare, field(&b->arena, p->attrs), &q->attrs);
	}
	clr_free(order);
	if (rc != 0)
		return rc;
	swap = b->arena;
	b->arena = b->spare;
	b->spare = swap;
	tmp = b->rows;
	b->rows = b->spare_rows;
	b->spare_rows = tmp;
	i = b->caprows;
	b->caprows = b->capspare;
	b->capspare = i;
	return 0;
}

static void
reader_free(struct reader *rd)
{
	size_t	 i;

	for (i = 0; i < rd->ncols; i++)
		clr_free(rd->cols[i].name);
	clr_free(rd->cols);
	buf_free(&rd->attrs);
	buf_free(&rd->why);
	csv_reader_free(rd->csv);
}

/* read_header - map header names to roles; 0 or CLR_E* with err set. */
static int
read_header(struct reader *im, const struct csv_record *rec,
    struct clr_err *err)
{
	size_t	 i, j;
	int	 r;

	if (rec->error != NULL)
		return clr_err_set(err, CLR_ESYNTAX, "line %lu: the header "
		    "row is not valid CSV: %s", rec->line, rec->error);
	if ((im->cols = clr_calloc(rec->nfields, sizeof(*im->cols))) == NULL)
		return clr_err_set(err, CLR_ENOMEM, "out of memory");
	for (r = 0; r < COL_ATTR; r++)
		im->role_col[r] = -1;
	for (i = 0; i < rec->nfields; i++) {
		const char	*name = rec->fields[i].data;
		size_t		 len = rec->fields[i].len;

		str_trim(&name, &len);
		if (!utf8_valid(name, len, NULL))
			return clr_err_set(err, CLR_ESYNTAX, "line %lu: column "
			    "%zu of the header is not valid UTF-8",
			    rec->line, i + 1);
		if (len == 0 || has_control(name, len))
			return clr_err_set(err, CLR_ESYNTAX, "line %lu: column "
			    "%zu of the header has %s", rec->line, i + 1,
			    len == 0 ? "no name" : "a control character");
		for (j = 0; j < i; j++)
			if (str_ieq(name, len, im->cols[j].name))
				return clr_err_set(err, CLR_ESYNTAX, "line %lu: "
				    "column \"%s\" appears twice in the header",
				    rec->line, im->cols[j].name);
		if ((im->cols[i].name = clr_strndup(name, len)) == NULL)
			return clr_err_set(err, CLR_ENOMEM, "out of memory");
		im->ncols++;
		im->cols[i].role = COL_ATTR;
		for (r = 0; r < COL_ATTR; r++) {
			if (str_ieq(name, len, role_names[r])) {
				im->cols[i].role = (enum column_role)r;
				im->role_col[r] = (int)i;
			}
		}
	}
	if (im->role_col[COL_EMAIL] < 0)
		return clr_err_set(err, CLR_ESYNTAX, "line %lu: the header has "
		    "no \"email\" column", rec->line);
	return 0;
}

/* refuse - format the reason for a refused row into im->why. */
static const char *
refuse(struct reader *im, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static const char *
refuse(struct reader *im, const char *fmt, ...)
{
	va_list	 ap;

	buf_reset(&im->why);
	va_start(ap, fmt);
	buf_vprintf(&im->why, fmt, ap);
	va_end(ap);
	return im->why.data != NULL ? im->why.data : "refused";
}

/*
 * build_row - validate one record into c (pointing into rec and im's
 * buffers). Returns NULL if the row is good, else why it is refused.
 */
static const char *
build_row(struct reader *im, const struct csv_record *rec,
    struct store_contact *c, char email[ADDR_MAX + 1], char locale[16])
{
	const char	*why;
	size_t		 i, nattrs = 0;

	if (rec->nfields != im->ncols)
		return refuse(im, "the row has %zu field%s, the header has %zu",
		    rec->nfields, rec->nfields == 1 ? "" : "s", im->ncols);
	memset(c, 0, sizeof(*c));
	buf_reset(&im->attrs);
	for (i = 0; i < rec->nfields; i++) {
		const struct column	*col = &im->cols[i];
		const char		*t = rec->fields[i].data;
		char			*v;
		size_t			 n = rec->fields[i].len;
		size_t			 bad;

		if (!utf8_valid(t, n, &bad))
			return refuse(im, "column %s is not valid UTF-8 (byte "
			    "%zu)", col->name, bad + 1);
		if (memchr(t, '\0', n) != NULL)
			return refuse(im, "column %s contains a NUL byte",
			    col->name);
		str_trim(&t, &n);
		/* Terminate the trimmed value in place, for the store. */
		v = rec->fields[i].data + (t - rec->fields[i].data);
		v[n] = '\0';
		switch (col->role) {
		case COL_EMAIL:
			if (n == 0)
				return refuse(im, "no email address");
			if (addr_normalize(v, n, email, &why) != 0)
				return refuse(im, "invalid email address: %s",
				    why);
			c->email = email;
			break;
		case COL_FIRST_NAME:
		case COL_LAST_NAME:
			if (n == 0)
				break;
			if (has_control(v, n))
				return refuse(im, "column %s contains a line "
				    "break or control character", col->name);
			if (n > IMPORT_NAME_MAX)
				return refuse(im, "column %s is longer than %d "
				    "bytes", col->name, IMPORT_NAME_MAX);
			if (col->role == COL_FIRST_NAME)
				c->first_name = v;
			else
				c->last_name = v;
			break;
		case COL_LOCALE:
			if (n == 0)
				break;
			if (import_locale_normalize(v, n, locale) != 0)
				return refuse(im, "column locale is not a "
				    "language tag such as fr or nl-BE");
			c->locale = locale;
			break;
		case COL_STATUS:
			if (n == 0 || str_ieq(v, n, "active"))
				break;
			if (str_ieq(v, n, "unsubscribed"))
				c->status = "unsubscribed";
			else if (str_ieq(v, n, "bounced"))
				c->status = "bounced";
			else if (str_ieq(v, n, "complained"))
				c->status = "complained";
			else
				return refuse(im, "column status must be "
				    "active, unsubscribed, bounced or "
				    "complained");
			break;
		case COL_ATTR:
			if (n == 0)
				break;
			if (n > IMPORT_ATTR_MAX)
				return refuse(im, "column %s is longer than %d "
				    "bytes", col->name, IMPORT_ATTR_MAX);
			if (buf_putc(&im->attrs, nattrs ? ',' : '{') != 0 ||
			    json_put_string(&im->attrs, col->name,
			    strlen(col->name)) != 0 ||
			    buf_putc(&im->attrs, ':') != 0 ||
			    json_put_string(&im->attrs, v, n) != 0)
				return refuse(im, "the row is too large");
			nattrs++;
			break;
		}
	}
	if (nattrs > 0) {
		if (buf_putc(&im->attrs, '}') != 0)
			return refuse(im, "the row is too large");
		c->attrs = im->attrs.data;
	}
	return NULL;
}

/*
 * fill - read rows into b until it holds IMPORT_BATCH_BYTES or the file
 * ends (then b->last is set), or the writer asks to stop. Returns 0 or a
 * CLR_E* code with err filled.
 */
static int
fill(struct pipe *p, struct batch *b, struct clr_err *err)
{
	struct reader		*rd = &p->rd;
	struct csv_record	 rec;
	struct store_contact	 c;
	char			 email[ADDR_MAX + 1], locale[16];
	const char		*why;
	int			 rc, stop;

	/* Refused rows count too: a file of bad rows is bounded as well. */
	while (b->arena.len + b->reasons.len < IMPORT_BATCH_BYTES) {
		/* A failed writer stops the reader, checked once a record. */
		pthread_mutex_lock(&p->mu);
		stop = p->stop;
		pthread_mutex_unlock(&p->mu);
		if (stop)
			return CLR_EINTR;
		if ((rc = csv_read(rd->csv, &rec)) < 0)
			return clr_err_set(err, rc, "reading the file: %s",
			    clr_strerror(rc));
		if (rc == 0) {
			if (!rd->header)
				return clr_err_set(err, CLR_ESYNTAX, "the file "
				    "has no header row");
			b->last = 1;
			return 0;
		}
		if (!rd->header) {
			if (rec.blank)
				continue;
			if ((rc = read_header(rd, &rec, err)) != 0)
				return rc;
			rd->header = 1;
			continue;
		}
		if (rec.blank && rec.error == NULL)
			continue;
		b->read++;
		why = rec.error != NULL ? rec.error :
		    build_row(rd, &rec, &c, email, locale);
		if (why != NULL) {
			b->refused++;
			rc = add_report(b, rec.line, why);
		} else
			rc = add_row(b, rec.line, &c);
		if (rc != 0)
			return clr_err_set(err, rc, "out of memory");
	}
	return 0;
}

/* reader_main - the reader thread: fill the batches in turn. */
static void *
reader_main(void *arg)
{
	struct pipe	*p = arg;
	struct batch	*b;
	int		 i = 0, rc;

	for (;;) {
		pthread_mutex_lock(&p->mu);
		while (p->full[i] && !p->stop)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->stop) {
			pthread_mutex_unlock(&p->mu);
			return NULL;
		}
		pthread_mutex_unlock(&p->mu);

		b = &p->b[i];
		rc = fill(p, b, &p->rerr);
		if (rc == 0 && sort(b) != 0)
			rc = clr_err_set(&p->rerr, CLR_ENOMEM, "out of memory");
		pthread_mutex_lock(&p->mu);
		b->error = rc;
		p->full[i] = 1;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
		if (rc != 0 || b->last)
			return NULL;
		i ^= 1;
	}
}

/*
 * apply - store a sorted batch, then report its refused rows in line
 * order. Sorted, the rows walk the contacts' address index in order
 * instead of at random, the largest cost of a big import; rows of one
 * address keep their file order, so a later row still wins a merge.
 */
static int
apply(struct batch *b, struct store *st, struct import_stats *stats,
    import_report_fn report, void *report_arg, struct clr_err *err)
{
	struct store_contact		 c;
	enum store_import_outcome	 outcome;
	size_t				 i;
	int				 rc;

	stats->rows += b->read;
	stats->skipped += b->refused;
	for (i = 0; i < b->nrows; i++) {
		const struct pending	*r = &b->rows[i];

		c.email = b->arena.data + r->email;
		c.first_name = field(&b->arena, r->first_name);
		c.last_name = field(&b->arena, r->last_name);
		c.locale = field(&b->arena, r->locale);
		c.attrs = field(&b->arena, r->attrs);
		c.status = r->status;
		if ((rc = store_import_row(st, &c, &outcome, err)) != 0)
			return rc;
		switch (outcome) {
		case STORE_IMPORT_CREATED:
			stats->imported++;
			break;
		case STORE_IMPORT_UPDATED:
			stats->updated++;
			break;
		case STORE_IMPORT_UNCHANGED:
			stats->unchanged++;
			break;
		case STORE_IMPORT_SUPPRESSED:
			stats->skipped++;
			if ((rc = add_report(b, r->line, "the address is "
			    "suppressed: not imported")) != 0)
				return clr_err_set(err, rc, "out of memory");
			break;
		}
	}
	if (b->nreports > 1)
		qsort(b->reports, b->nreports, sizeof(*b->reports),
		    report_cmp);
	for (i = 0; report != NULL && i < b->nreports; i++)
		report(report_arg, b->reports[i].line,
		    b->reasons.data + b->reports[i].why);
	return 0;
}

/* write_all - the writer: apply the batches as the reader fills them. */
static int
write_all(struct pipe *p, struct store *st, struct import_stats *stats,
    import_report_fn report, void *report_arg, struct clr_err *err)
{
	struct batch	*b;
	int		 i = 0, rc, last;

	for (;;) {
		pthread_mutex_lock(&p->mu);
		while (!p->full[i])
			pthread_cond_wait(&p->cv, &p->mu);
		pthread_mutex_unlock(&p->mu);

		b = &p->b[i];
		if (b->error != 0) {
			*err = p->rerr;
			return b->error;
		}
		if ((rc = apply(b, st, stats, report, report_arg, err)) != 0)
			return rc;
		last = b->last;
		batch_reset(b);
		pthread_mutex_lock(&p->mu);
		p->full[i] = 0;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
		if (last)
			return 0;
		i ^= 1;
	}
}

int
import_csv(struct store *st, csv_read_fn fn, void *rarg,
    const struct import_options *opt, struct import_stats *stats,
    import_report_fn report, void *report_arg, struct clr_err *err)
{
	struct csv_options		 copt = { opt->delimiter, 0, 0 };
	struct store_import_params	 params;
	struct pipe			*p;
	pthread_t			 thread;
	int				 rc;

	memset(stats, 0, sizeof(*stats));
	if ((p = clr_calloc(1, sizeof(*p))) == NULL)
		return clr_err_set(err, CLR_ENOMEM, "out of memory");
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	batch_init(&p->b[0]);
	batch_init(&p->b[1]);
	buf_init(&p->rd.attrs, 1024 * 1024);
	buf_init(&p->rd.why, 1024);
	if ((p->rd.csv = csv_reader_new(fn, rarg, &copt)) == NULL) {
		rc = clr_err_set(err, CLR_ENOMEM, "out of memory");
		goto out;
	}
	params.list = opt->list;
	params.themes = opt->themes;
	params.nthemes = opt->nthemes;
	params.source = opt->source;
	params.now = opt->now;
	if ((rc = store_import_begin(st, &params, err)) != 0)
		goto out;
	if ((rc = pthread_create(&thread, NULL, reader_main, p)) != 0) {
		store_import_abort(st);
		rc = clr_err_set(err, CLR_ENOMEM, "cannot start a thread: %s",
		    strerror(rc));
		goto out;
	}
	rc = write_all(p, st, stats, report, report_arg, err);
	if (rc != 0) {
		pthread_mutex_lock(&p->mu);
		p->stop = 1;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
	}
	pthread_join(thread, NULL);
	if (rc == 0)
		rc = store_import_commit(st, err);
	else
		store_import_abort(st);
	if (rc != 0)
		memset(stats, 0, sizeof(*stats));
out:
	reader_free(&p->rd);
	batch_free(&p->b[0]);
	batch_free(&p->b[1]);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	clr_free(p);
	return rc;
}
