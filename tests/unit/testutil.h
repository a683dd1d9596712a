/* SPDX-License-Identifier: ISC */
/*
 * tests/unit/testutil.h - helpers shared by the unit tests (header only)
 *
 * A deterministic random sequence, a private temporary folder per test
 * process, an allocator that fails on demand, and direct SQLite access to a store's file for fixtures and for
 * checking what the store wrote.
 */
#ifndef CLARION_TESTS_TESTUTIL_H
#define CLARION_TESTS_TESTUTIL_H

#include <dirent.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "util/alloc.h"

/* xorshift64*: a deterministic sequence, so that failures repeat. */
static inline uint64_t
test_rnd(uint64_t *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * UINT64_C(2685821657736338717);
}

static char test_dir[PATH_MAX];

/* A fresh temporary folder for this process; removed by test_tmp_clean. */
static inline const char *
test_tmp(void)
{
	if (test_dir[0] == '\0') {
		const char	*base = getenv("TMPDIR");

		snprintf(test_dir, sizeof(test_dir), "%s/clarion-test-XXXXXX",
		    base != NULL ? base : "/tmp");
		if (mkdtemp(test_dir) == NULL) {
			perror("mkdtemp");
			abort();
		}
	}
	return test_dir;
}

/* A path inside the temporary folder (static buffer, one at a time). */
static inline const char *
test_path(const char *name)
{
	static char	 p[PATH_MAX + 256];

	snprintf(p, sizeof(p), "%s/%s", test_tmp(), name);
	return p;
}

static inline void
test_tmp_clean(void)
{
	DIR		*d;
	struct dirent	*e;
	char		 p[PATH_MAX + 256];

	if (test_dir[0] == '\0' || (d = opendir(test_dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", test_dir, e->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(test_dir);
	test_dir[0] = '\0';
}

/*
 * A failing allocator: test_fail_after(n) lets n malloc/realloc calls
 * through and fails every one after (n < 0: none fails, calls are only
 * counted); test_alloc_calls() is the count so far. Tests that use it
 * restore libc's allocator with test_restore_allocator, as a cmocka
 * teardown or directly.
 */
static inline long *
test__alloc_state(void)
{
	static long	 state[2] = { -1, 0 };	/* budget, calls */

	return state;
}

static inline void *
test__failing_malloc(size_t n)
{
	long	*s = test__alloc_state();

	s[1]++;
	return s[0] >= 0 && s[1] > s[0] ? NULL : malloc(n);
}

static inline void *
test__failing_realloc(void *p, size_t n)
{
	long	*s = test__alloc_state();

	s[1]++;
	return s[0] >= 0 && s[1] > s[0] ? NULL : realloc(p, n);
}

static inline void
test_fail_after(long n)
{
	static const struct clr_allocator a = {
		test__failing_malloc, test__failing_realloc, free
	};

	test__alloc_state()[0] = n;
	test__alloc_state()[1] = 0;
	clr_set_allocator(&a);
}

static inline long
test_alloc_calls(void)
{
	return test__alloc_state()[1];
}

static inline int
test_restore_allocator(void **state)
{
	(void)state;
	clr_set_allocator(NULL);
	test__alloc_state()[0] = -1;
	return 0;
}

/* A cmocka teardown that removes the temporary folder. */
static inline int
test_teardown_tmp(void **state)
{
	(void)state;
	test_tmp_clean();
	return 0;
}

/* Run SQL on a database file; aborts the test on error. */
static inline void
test_sql(const char *path, const char *sql)
{
	sqlite3	*db;
	char	*msg = NULL;

	if (sqlite3_open(path, &db) != SQLITE_OK ||
	    sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "test_sql(%s): %s\n", sql,
		    msg ? msg : sqlite3_errmsg(db));
		abort();
	}
	sqlite3_close(db);
}

/* The first column of the first row of a query, as an integer. */
static inline long long
test_sql_int(const char *path, const char *sql)
{
	sqlite3		*db;
	sqlite3_stmt	*s;
	long long	 v = -1;

	if (sqlite3_open(path, &db) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
		fprintf(stderr, "test_sql_int(%s): %s\n", sql,
		    sqlite3_errmsg(db));
		abort();
	}
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

/* The first column of the first row, as text into out (or ""). */
static inline const char *
test_sql_text(const char *path, const char *sql)
{
	static char	 out[4096];
	sqlite3		*db;
	sqlite3_stmt	*s;

	out[0] = '\0';
	if (sqlite3_open(path, &db) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
		fprintf(stderr, "test_sql_text(%s): %s\n", sql,
		    sqlite3_errmsg(db));
		abort();
	}
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
		snprintf(out, sizeof(out), "%s", sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	sqlite3_close(db);
	return out;
}

#endif
