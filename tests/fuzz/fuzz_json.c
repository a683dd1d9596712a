/* SPDX-License-Identifier: ISC */
/*
 * tests/fuzz/fuzz_json.c - libFuzzer target for json_valid_object
 *
 * Differential: whatever json_valid_object accepts, SQLite's json_valid()
 * must accept as an object too (ours is stricter: it also checks UTF-8,
 * surrogate pairs and depth). And whatever json_put_string writes, inside
 * an object, json_valid_object must accept.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "util/buf.h"
#include "util/json.h"
#include "util/utf8.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static sqlite3		*db;
static sqlite3_stmt	*check;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf	 b = BUF_INITIALIZER(1 << 20);
	int		 ours, theirs;

	if (db == NULL) {
		if (sqlite3_open(":memory:", &db) != SQLITE_OK ||
		    sqlite3_prepare_v2(db, "SELECT json_valid(?1) AND"
		    " json_type(?1) = 'object'", -1, &check, NULL) != SQLITE_OK)
			abort();
	}
	ours = json_valid_object((const char *)data, size);
	if (ours) {
		sqlite3_bind_text(check, 1, (const char *)data, (int)size,
		    SQLITE_STATIC);
		if (sqlite3_step(check) != SQLITE_ROW)
			abort();
		theirs = sqlite3_column_int(check, 0);
		sqlite3_reset(check);
		if (!theirs)
			abort();
	}
	/* Any valid UTF-8, written as a string value, makes a valid object. */
	if (utf8_valid(data, size, NULL)) {
		if (buf_puts(&b, "{\"k\":") != 0 ||
		    json_put_string(&b, (const char *)data, size) != 0 ||
		    buf_putc(&b, '}') != 0)
			abort();
		if (!json_valid_object(b.data, b.len))
			abort();
	}
	buf_free(&b);
	return 0;
}
