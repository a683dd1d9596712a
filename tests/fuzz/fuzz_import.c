/* SPDX-License-Identifier: ISC */
/*
 * tests/fuzz/fuzz_import.c - libFuzzer target for a whole contact import
 *
 * The input is a CSV file, read 7 bytes at a time and imported into an
 * in-memory store; after an import that committed, the store is closed, so
 * each run starts empty. Aborts unless a failed import says why, and the
 * counts of a committed one add up: every data row is imported, updated,
 * unchanged or skipped, and each skipped row was reported exactly once,
 * with a line number and a reason.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "import/import.h"
#include "store/store.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct src {
	const uint8_t	*data;
	size_t		 size, pos;
};

static struct store	*st;

static ssize_t
src_read(void *arg, void *dst, size_t n)
{
	struct src	*s = arg;

	/* Short reads, to cross record boundaries everywhere. */
	if (n > 7)
		n = 7;
	if (n > s->size - s->pos)
		n = s->size - s->pos;
	memcpy(dst, s->data + s->pos, n);
	s->pos += n;
	return (ssize_t)n;
}

static void
count_report(void *arg, unsigned long line, const char *why)
{
	uint64_t	*n = arg;

	if (line == 0 || why == NULL || why[0] == '\0')
		abort();
	(*n)++;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const themes[] = { "t" };
	static const struct store_options opt = { STORE_CREATE, 0, 0, 0 };
	struct import_options	 io = { "l", themes, 1, "fuzz", 1, 0 };
	struct import_stats	 stats;
	struct clr_err		 err = { 0, "" };
	struct src		 s = { data, size, 0 };
	uint64_t		 reported = 0;

	if (st == NULL && (st = store_open(":memory:", &opt, &err)) == NULL)
		abort();
	if (import_csv(st, src_read, &s, &io, &stats, count_report,
	    &reported, &err) != 0) {
		if (err.msg[0] == '\0')
			abort();
		return 0;
	}
	if (stats.imported + stats.updated + stats.unchanged + stats.skipped !=
	    stats.rows || reported != stats.skipped)
		abort();
	/* Start the next run from an empty store. */
	store_close(st);
	st = NULL;
	return 0;
}
