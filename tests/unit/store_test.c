/* SPDX-License-Identifier: ISC */
/*
 * tests/unit/store_test.c - store: opening, pragmas and migrations
 *
 * Real database files in a temporary folder: a new database gets the whole
 * schema; an older one is upgraded with its data kept; a newer one, a
 * foreign one and a missing one are refused without being changed; a
 * migration that fails leaves the old schema in place.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "store/store.h"
#include "testutil.h"

static void
test_new_database(void **state)
{
	struct store_options	 opt = { STORE_CREATE, 0, 0, 0 };
	struct clr_err		 err = { 0, "" };
	struct store		*st;
	const char		*db = test_path("new.db");

	(void)state;
	st = store_open(db, &opt, &err);
	assert_non_null(st);
	assert_int_equal(store_schema_version(st), store_schema_latest());
	assert_true(store_schema_latest() >= 2);
	store_close(st);
	assert_int_equal(test_sql_int(db, "PRAGMA application_id"),
	    0x434C524E);
	assert_string_equal(test_sql_text(db, "PRAGMA journal_mode"), "wal");
	/* Every table the design names is there. */
	assert_int_equal(test_sql_int(db, "SELECT count(*) FROM sqlite_schema"
	    " WHERE type = 'table' AND name IN ('contacts', 'lists',"
	    " 'list_members', 'consents', 'suppressions', 'campaigns',"
	    " 'sends', 'events')"), 8);
}

static void
test_missing_database(void **state)
{
	struct clr_err	 err = { 0, "" };

	(void)state;
	assert_null(store_open(test_path("missing.db"), NULL, &err));
	assert_int_equal(err.code, CLR_ENOENT);
	assert_non_null(strstr(err.msg, "missing.db: no such database"));
	/* And it was not created. */
	assert_int_equal(access(test_path("missing.db"), F_OK), -1);
}

static void
test_older_database_upgraded(void **state)
{
	struct store_options	 old = { STORE_CREATE, 0, 1, 0 };
	struct clr_err		 err = { 0, "" };
	struct store		*st;
	const char		*db = test_path("old.db");

	(void)state;
	st = store_open(db, &old, &err);
	assert_non_null(st);
	assert_int_equal(store_schema_version(st), 1);
	store_close(st);
	assert_int_equal(test_sql_int(db, "SELECT count(*) FROM sqlite_schema"
	    " WHERE name = 'sends'"), 0);
	test_sql(db, "INSERT INTO contacts (email, created_at, updated_at)"
	    " VALUES ('old@example.org', 1, 1)");

	st = store_open(db, NULL, &err);
	assert_non_null(st);
	assert_int_equal(store_schema_version(st), store_schema_latest());
	store_close(st);
	assert_int_equal(test_sql_int(db, "SELECT count(*) FROM sqlite_schema"
	    " WHERE name = 'sends'"), 1);
	assert_int_equal(test_sql_int(db, "SELECT count(*) FROM contacts"
	    " WHERE email = 'old@example.org'"), 1);
}

static void
test_readonly_older_refused(void **state)
{
	struct store_options	 old = { STORE_CREATE, 0, 1, 0 };
	struct store_options	 ro = { STORE_READONLY, 0, 0, 0 };
	struct clr_err		 err = { 0, "" };
	struct store		*st;
	const char		*db = test_path("old-ro.db");

	(void)state;
	st = store_open(db, &old, &err);
	assert_non_null(st);
	store_close(st);
	assert_null(store_open(db, &ro, &err));
	assert_int_equal(err.code, CLR_ESCHEMA);
	assert_non_null(strstr(err.msg, "open it once read-write"));
	assert_int_equal(test_sql_int(db, "PRAGMA user_version"), 1);
}

static void
test_newer_database_refused(void **state)
{
	struct store_options	 opt = { STORE_CREATE, 0, 0, 0 };
	struct clr_err		 err = { 0, "" };
	struct store		*st;
	const char		*db = test_path("newer.db");
	char			 expect[200];

	(void)state;
	st = store_open(db, &opt, &err);
	assert_non_null(st);
	store_close(st);
	test_sql(db, "PRAGMA user_version = 999");
	assert_null(store_open(db, &opt, &err));
	assert_int_equal(err.code, CLR_ESCHEMA);
	snprintf(expect, sizeof(expect), "was written by a newer clarion "
	    "(schema version 999; this clarion knows up to %d)",
	    store_schema_latest());
	assert_non_null(strstr(err.msg, expect));
	assert_int_equal(test_sql_int(db, "PRAGMA user_version"), 999);
}

static void
test_foreign_database_refused(void **state)
{
	struct store_options	 opt = { STORE_CREATE, 0, 0, 0 };
	struct clr_err		 err = { 0, "" };
	const char		*db = test_path("foreign.db");

	(void)state;
	test_sql(db, "CREATE TABLE accounts (id INTEGER PRIMARY KEY)");
	assert_null(store_open(db, &opt, &err));
	assert_int_equal(err.code, CLR_ESCHEMA);
	assert_non_null(strstr(err.msg, "is not a clarion database"));
	assert_int_equal(test_sql_int(db, "SELECT count(*) FROM sqlite_schema"),
	    1);
	assert_int_equal(test_sql_int(db, "PRAGMA user_version"), 0);
}

static void
test_failed_migration_rolls_back(void **state)
{
	struct store_options	 old = { STORE_CREATE, 0, 1, 0 };
	struct clr_err		 err = { 0, "" };
	struct store		*st;
	const char		*db = test_path("conflict.db");

	(void)state;
	st = store_open(db, &old, &err);
	assert_non_null(st);
	store_close(st);
	/* A table in the way of migration 2 makes it fail halfway. */
	test_sql(db, "CREATE TABLE events (x)");
	assert_null(store_open(db, NULL, &err));
	assert_int_equal(err.code, CLR_EDB);
	assert_non_null(strstr(err.msg, "migration 2"));
	/* Nothing of migration 2 stayed: campaigns came before events. */
	assert_int_equal(test_sql_int(db, "PRAGMA user_version"), 1);
	assert_int_equal(test_sql_int(db, "SELECT count(*) FROM sqlite_schema"
	    " WHERE name = 'campaigns'"), 0);
}

static void
test_attrs_must_be_json(void **state)
{
	struct store_options		 opt = { STORE_CREATE, 0, 0, 0 };
	struct store_import_params	 p = { "l", NULL, 0, "test", 1 };
	struct store_contact		 c = { "a@example.org", NULL, NULL,
					    NULL, "not json", NULL };
	enum store_import_outcome	 out;
	struct clr_err			 err = { 0, "" };
	struct store			*st;

	(void)state;
	st = store_open(":memory:", &opt, &err);
	assert_non_null(st);
	assert_int_equal(store_import_begin(st, &p, &err), 0);
	/* attrs must be a JSON object: the store refuses the row. */
	assert_int_equal(store_import_row(st, &c, &out, &err), CLR_EINVAL);
	assert_string_equal(err.msg, "a@example.org: attrs is not a JSON "
	    "object");
	c.attrs = "[1, 2]";
	assert_int_equal(store_import_row(st, &c, &out, &err), CLR_EINVAL);
	c.attrs = "{\"k\": \"v\"}";
	c.status = "active";	/* an import may not set it, only leave it */
	assert_int_equal(store_import_row(st, &c, &out, &err), CLR_EINVAL);
	assert_string_equal(err.msg, "a@example.org: an import cannot set "
	    "status \"active\"");
	c.status = NULL;
	assert_int_equal(store_import_row(st, &c, &out, &err), 0);
	assert_int_equal(out, STORE_IMPORT_CREATED);
	assert_int_equal(store_import_commit(st, &err), 0);
	store_close(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_new_database, test_teardown_tmp),
		cmocka_unit_test_teardown(test_missing_database, test_teardown_tmp),
		cmocka_unit_test_teardown(test_older_database_upgraded,
		    test_teardown_tmp),
		cmocka_unit_test_teardown(test_readonly_older_refused,
		    test_teardown_tmp),
		cmocka_unit_test_teardown(test_newer_database_refused,
		    test_teardown_tmp),
		cmocka_unit_test_teardown(test_foreign_database_refused,
		    test_teardown_tmp),
		cmocka_unit_test_teardown(test_failed_migration_rolls_back,
		    test_teardown_tmp),
		cmocka_unit_test(test_attrs_must_be_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
