/* SPDX-License-Identifier: ISC */
/*
 * tests/unit/segment_test.c - segments: the where clause's guards, and who
 * is eligible
 *
 * The refusals are a table: each where clause must be refused with its
 * reason, whatever trick it uses to write, escape its parentheses or reach
 * another database. The eligibility test builds a small audience through
 * the import API, then checks each exclusion rule by count.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "store/store.h"
#include "testutil.h"
#include "util/buf.h"

static const char *const one_list[] = { "news" };

struct where_case {
	const char	*where;
	const char	*reason;	/* substring; NULL: accepted */
};

static const struct where_case where_cases[] = {
	/* Accepted: reads, functions, strings holding scary words. */
	{ "json_extract(attrs, '$.city') = 'Liège'", NULL },
	{ "locale LIKE 'fr%' AND first_name IS NOT NULL", NULL },
	{ "CASE WHEN locale = 'nl-BE' THEN 1 ELSE 0 END = 1", NULL },
	{ "replace(email, '@', '#') <> ''", NULL },
	{ "first_name <> 'DELETE FROM contacts; DROP TABLE x'", NULL },
	{ "\"first_name\" = 'x' OR [last_name] = 'y' OR `locale` = 'z'", NULL },
	{ "id NOT IN (SELECT contact_id FROM sends)", NULL },
	{ "1 -- a trailing comment", NULL },
	{ "/* a comment */ 1", NULL },
	{ "(((1)))", NULL },
	/* A second statement. */
	{ "1; DELETE FROM contacts", "';' would start a second statement" },
	{ "1;", "';' would start a second statement" },
	/* Escaping the parentheses to undo the eligibility rules. */
	{ "1) OR (1", "closes a parenthesis it did not open" },
	{ "1)) OR ((1", "closes a parenthesis it did not open" },
	{ "(1", "leaves a parenthesis open" },
	{ "1 /* ) OR (1 */", NULL },
	{ "'unterminated", "unterminated string" },
	{ "\"unterminated", "unterminated quoted name" },
	{ "1 /* unterminated", "unterminated comment" },
	/* Writes and other statements, by keyword. */
	{ "id IN (INSERT INTO suppressions VALUES (1))",
	  "INSERT is not allowed" },
	{ "id IN (UPDATE contacts SET status = 'x')", "UPDATE is not allowed" },
	{ "id IN (delete from contacts)", "DELETE is not allowed" },
	{ "ATTACH 'x.db' AS x", "ATTACH is not allowed" },
	{ "PRAGMA foreign_keys = OFF", "PRAGMA is not allowed" },
	{ "1 AND DROP TABLE contacts", "DROP is not allowed" },
	{ "VACUUM", "VACUUM is not allowed" },
	/* What only the authorizer can see. */
	{ "EXISTS (SELECT 1 FROM pragma_table_info('contacts'))",
	  "may not use table-valued functions" },
	{ "EXISTS (SELECT 1 FROM json_each(attrs) WHERE value = 'x')",
	  "may not use table-valued functions" },
	{ "EXISTS (SELECT 1 FROM sqlite_schema)",
	  "may not read \"sqlite_schema\"" },
	{ "EXISTS (SELECT 1 FROM sqlite_master)",
	  "may not read \"sqlite_master\"" },
	{ "EXISTS (SELECT 1 FROM temp.sqlite_temp_master)", "may" },
	{ "load_extension('/tmp/x.so') IS NULL",
	  "may not call load_extension()" },
	{ "id IN (WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 "
	  "FROM n) SELECT x FROM n)", "a recursive query is not allowed" },
	/* Not SQL at all. */
	{ "no_such_column = 1", "does not compile: no such column" },
	{ "= =", "does not compile" },
};

static int
setup(void **state)
{
	struct store_options	 opt = { STORE_CREATE, 0, 0, 0 };
	struct clr_err		 err = { 0, "" };

	*state = store_open(":memory:", &opt, &err);
	return *state == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	store_close(*state);
	test_tmp_clean();
	return 0;
}

static void
test_where_guards(void **state)
{
	struct store		*st = *state;
	struct store_segment_def def = { one_list, 1, "t", NULL };
	struct clr_err		 err;
	size_t			 i, failed = 0;

	for (i = 0; i < sizeof(where_cases) / sizeof(where_cases[0]); i++) {
		const struct where_case	*c = &where_cases[i];
		int			 rc;

		memset(&err, 0, sizeof(err));
		def.where = c->where;
		rc = store_segment_check(st, &def, &err);
		if (c->reason == NULL ? rc != 0 :
		    rc == 0 || strstr(err.msg, c->reason) == NULL) {
			fprintf(stderr, "where \"%s\": expected %s%s, got "
			    "\"%s\"\n", c->where, c->reason ? "refusal: " :
			    "acceptance", c->reason ? c->reason : "",
			    rc == 0 ? "accepted" : err.msg);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

static void
test_sql_shape(void **state)
{
	static const char *const two[] = { "a", "b'c" };
	struct store_segment_def def = { two, 2, "t'x", "locale = 'fr'" };
	struct buf		 b = BUF_INITIALIZER(65536);

	(void)state;
	assert_int_equal(store_segment_sql(&def, STORE_SEGMENT_COUNT, 0, &b),
	    0);
	/* Names are quoted as SQL strings, quotes doubled. */
	assert_non_null(strstr(b.data, "WHERE name IN ('a', 'b''c')"));
	assert_non_null(strstr(b.data, "k.theme = 't''x'"));
	/* The clause sits on its own lines, in its own parentheses. */
	assert_non_null(strstr(b.data, "AND (\nlocale = 'fr'\n)"));
	buf_reset(&b);
	assert_int_equal(store_segment_sql(&def, STORE_SEGMENT_PREVIEW, 7, &b),
	    0);
	assert_non_null(strstr(b.data, "ORDER BY contacts.id\nLIMIT 7"));
	buf_free(&b);
}

/* Import rows given as "email,first_name,status,city" lines. */
static void
add(struct store *st, const char *list, const char *theme, const char *email,
    const char *status, const char *attrs)
{
	const char *const		 themes[] = { theme };
	struct store_import_params	 p = { list, themes, theme ? 1 : 0,
					    "test", 1000 };
	struct store_contact		 c = { email, NULL, NULL, NULL, attrs,
					    status };
	enum store_import_outcome	 out;
	struct clr_err			 err = { 0, "" };

	assert_int_equal(store_import_begin(st, &p, &err), 0);
	assert_int_equal(store_import_row(st, &c, &out, &err), 0);
	assert_int_equal(store_import_commit(st, &err), 0);
}

static uint64_t
count(struct store *st, const char *const *lists, size_t nlists,
    const char *theme, const char *where)
{
	struct store_segment_def def = { lists, nlists, theme, where };
	struct clr_err		 err = { 0, "" };
	uint64_t		 n = 0;

	if (store_segment_count(st, &def, &n, &err) != 0) {
		fprintf(stderr, "count: %s\n", err.msg);
		fail();
	}
	return n;
}

struct collect {
	char	 emails[16][64];
	size_t	 n;
};

static int
collect(void *arg, const struct store_contact_row *row)
{
	struct collect	*c = arg;

	snprintf(c->emails[c->n++], sizeof(c->emails[0]), "%s", row->email);
	return c->n == 16;
}

static void
test_eligibility(void **state)
{
	static const char *const both[] = { "news", "alerts" };
	static const char *const alerts[] = { "alerts" };
	struct store_segment_def def = { both, 2, "t", NULL };
	const char		*db = test_path("elig.db");
	struct store_options	 opt = { STORE_CREATE, 0, 0, 0 };
	struct clr_err		 err = { 0, "" };
	struct collect		 got;
	struct store		*st;

	(void)state;
	st = store_open(db, &opt, &err);
	assert_non_null(st);
	add(st, "news", "t", "ok1@example.org", NULL, "{\"city\":\"Gent\"}");
	add(st, "news", "t", "ok2@example.org", NULL, NULL);
	add(st, "alerts", "t", "ok2@example.org", NULL, NULL);	/* twice */
	add(st, "alerts", "t", "ok3@example.org", NULL, NULL);
	add(st, "news", "other", "noconsent@example.org", NULL, NULL);
	add(st, "news", NULL, "noconsent2@example.org", NULL, NULL);
	add(st, "news", "t", "unsub@example.org", NULL, NULL);
	add(st, "news", "t", "unsub@example.org", "unsubscribed", NULL);
	add(st, "news", "t", "bounced@example.org", NULL, NULL);
	add(st, "news", "t", "bounced@example.org", "bounced", NULL);
	add(st, "news", "t", "complained@example.org", NULL, NULL);
	add(st, "news", "t", "complained@example.org", "complained", NULL);
	add(st, "news", "t", "suppressed@example.org", NULL, NULL);
	add(st, "news", "t", "revoked@example.org", NULL, NULL);
	add(st, "news", "t", "left@example.org", NULL, NULL);
	add(st, "other", "t", "otherlist@example.org", NULL, NULL);
	store_close(st);
	test_sql(db, "INSERT INTO suppressions (email, reason, created_at)"
	    " VALUES ('suppressed@example.org', 'manual', 1);"
	    "UPDATE consents SET revoked_at = 2 WHERE contact_id ="
	    " (SELECT id FROM contacts WHERE email = 'revoked@example.org');"
	    "UPDATE list_members SET unsubscribed_at = 3 WHERE contact_id ="
	    " (SELECT id FROM contacts WHERE email = 'left@example.org')");
	st = store_open(db, NULL, &err);
	assert_non_null(st);

	assert_int_equal(count(st, one_list, 1, "t", NULL), 2);
	assert_int_equal(count(st, alerts, 1, "t", NULL), 2);
	/* ok2 is on both lists and counts once. */
	assert_int_equal(count(st, both, 2, "t", NULL), 3);
	assert_int_equal(count(st, both, 2, "other", NULL), 1);
	assert_int_equal(count(st, both, 2, "t",
	    "json_extract(attrs, '$.city') = 'Gent'"), 1);
	assert_int_equal(count(st, both, 2, "nope", NULL), 0);

	memset(&got, 0, sizeof(got));
	assert_int_equal(store_segment_preview(st, &def, 10, collect, &got,
	    &err), 0);
	assert_int_equal(got.n, 3);
	assert_string_equal(got.emails[0], "ok1@example.org");
	assert_string_equal(got.emails[1], "ok2@example.org");
	assert_string_equal(got.emails[2], "ok3@example.org");
	memset(&got, 0, sizeof(got));
	assert_int_equal(store_segment_preview(st, &def, 1, collect, &got,
	    &err), 0);
	assert_int_equal(got.n, 1);
	store_close(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_where_guards, setup,
		    teardown),
		cmocka_unit_test(test_sql_shape),
		cmocka_unit_test_teardown(test_eligibility, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
