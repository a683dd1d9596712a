/* SPDX-License-Identifier: ISC */
/*
 * import/import.h - contacts from CSV into the store
 *
 * Reads an RFC 4180 CSV whose header row names the columns: email (the only
 * required one), first_name, last_name, locale, status; every other column
 * becomes a key of the contact's attrs. Header names are matched without
 * regard to case. Each row is validated on its own: a bad row is reported
 * (line and reason) and skipped, the good ones go in, all in one store
 * transaction that either commits whole or leaves nothing behind.
 *
 * Per row, refused: invalid UTF-8, the wrong number of fields, a CSV syntax
 * error, a missing or invalid address, a line break or control character
 * in a name or locale, an unknown status, a field over its size limit.
 * Empty cells mean "not given" and never erase stored data. A repeated
 * address merges into the first. Refused rows are reported in line order.
 */
#ifndef CLARION_IMPORT_H
#define CLARION_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "util/csv.h"
#include "util/err.h"

struct store;

#define IMPORT_NAME_MAX		256	/* bytes, first and last name */
#define IMPORT_ATTR_MAX		4096	/* bytes, each attrs value */
/*
 * Rows are applied in batches sorted by address, so that the store's
 * address index is walked in order rather than at random. A batch holds
 * up to this many bytes of row data, which bounds an import's memory
 * whatever the file's size; on the 600,000-row demo file, 4 to 8 MiB
 * batches ran fastest (larger ones cost more in cache misses than their
 * longer sorted runs save).
 */
#define IMPORT_BATCH_BYTES	(8 * 1024 * 1024)

struct import_options {
	const char		*list;		/* subscribe rows to this list */
	const char *const	*themes;	/* and record these consents */
	size_t			 nthemes;
	const char		*source;	/* proof of consent/origin */
	int64_t			 now;
	char			 delimiter;	/* ',' unless set */
};

struct import_stats {
	uint64_t	 rows;		/* data rows read (blank lines aside) */
	uint64_t	 imported;	/* new contacts */
	uint64_t	 updated;	/* existing contacts changed */
	uint64_t	 unchanged;	/* rows that brought nothing new */
	uint64_t	 skipped;	/* refused rows, each one reported */
};

/* Called for each refused row: line is the row's first physical line. */
typedef void	(*import_report_fn)(void *arg, unsigned long line,
		    const char *reason);

/*
 * Import the CSV read through fn(rarg). Returns 0 when the import
 * committed (stats filled, refused rows reported), or a CLR_E* code with
 * err set when the whole import failed and nothing was stored: a bad
 * header, a read error, a database error.
 *
 * Threads: fn is called from a reader thread that import_csv starts and
 * joins; the store and report are used from the calling thread only.
 */
int	 import_csv(struct store *, csv_read_fn fn, void *rarg,
	    const struct import_options *, struct import_stats *,
	    import_report_fn report, void *report_arg, struct clr_err *err);

/*
 * Normalise a locale tag ("fr", "nl_BE", "FR-be" -> "fr", "nl-BE",
 * "fr-BE"): language, optional script, optional region. Returns 0 or
 * CLR_EINVAL. out needs 16 bytes.
 */
int	 import_locale_normalize(const char *s, size_t n, char out[16]);

#endif
