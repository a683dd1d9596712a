/* SPDX-License-Identifier: ISC */
/*
 * tests/unit/import_test.c - import: which rows go in, which are refused
 * and why, and what an import may never change
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "import/import.h"
#include "store/store.h"
#include "testutil.h"
#include "util/buf.h"

struct memsrc {
	const char	*p;
	size_t		 len, pos;
};

static ssize_t
mem_read(void *arg, void *dst, size_t n)
{
	struct memsrc	*m = arg;

	if (n > m->len - m->pos)
		n = m->len - m->pos;
	memcpy(dst, m->p + m->pos, n);
	m->pos += n;
	return (ssize_t)n;
}

/* Refused rows, as "LINE: reason" lines. */
struct reports {
	char	 text[8192];
	size_t	 n;
};

static void
report(void *arg, unsigned long line, const char *reason)
{
	struct reports	*r = arg;
	size_t		 len = strlen(r->text);

	snprintf(r->text + len, sizeof(r->text) - len, "%lu: %s\n", line,
	    reason);
	r->n++;
}

struct run {
	struct import_stats	 stats;
	struct reports		 rep;
	struct clr_err		 err;
	int			 rc;
};

static void
run_import(const char *db, const char *csv, const char *list,
    const char *theme, struct run *r)
{
	const char *const	 themes[] = { theme };
	struct import_options	 opt = { list, themes, theme ? 1 : 0,
				    "unit test", 1700000000, 0 };
	struct store_options	 sopt = { STORE_CREATE, 0, 0, 0 };
	struct memsrc		 src = { csv, strlen(csv), 0 };
	struct store		*st;

	memset(r, 0, sizeof(*r));
	st = store_open(db, &sopt, &r->err);
	assert_non_null(st);
	r->rc = import_csv(st, mem_read, &src, &opt, &r->stats, report,
	    &r->rep, &r->err);
	store_close(st);
}

static void
test_rows(void **state)
{
	static const char csv[] =
	    "\xEF\xBB\xBF" "Email,First_Name,last_name,locale,City\n"
	    "amelie@Example.ORG,Amélie,Dubois,fr_be,Liège\n"
	    "\"jan@example.org\",Jan,\"Peeters, jr\",nl-BE,\"Gent\n(Oost)\"\n"
	    "no-at-sign,X,Y,fr,Z\n"					/* 5 */
	    "short@example.org,A\n"					/* 6 */
	    "long@example.org,A,B,fr,C,D\n"				/* 7 */
	    "\"crlf@example.org\",\"Evil\r\nBcc: x@y.z\",B,fr,C\n"	/* 8 */
	    "badutf@example.org,\xC3\x28,B,fr,C\n"			/* 10 */
	    "badlocale@example.org,A,B,français,C\n"			/* 11 */
	    "\"quote@example.org\"x,A,B,fr,C\n"				/* 12 */
	    "\n"							/* 13 */
	    "  spaced@example.org  , Zoë ,,,\n"				/* 14 */
	    ",A,B,fr,C\n"						/* 15 */
	    "u2028@example.org,A\xE2\x80\xA8" "B,C,fr,D\n";		/* 16 */
	const char	*db = test_path("rows.db");
	struct run	 r;

	(void)state;
	run_import(db, csv, "news", "t", &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.stats.imported, 3);
	assert_int_equal(r.stats.skipped, 9);
	assert_int_equal(r.stats.rows, 12);
	assert_string_equal(r.rep.text,
	    "5: invalid email address: the address has no @\n"
	    "6: the row has 2 fields, the header has 5\n"
	    "7: the row has 6 fields, the header has 5\n"
	    "8: column First_Name contains a line break or control "
	    "character\n"
	    "10: column First_Name is not valid UTF-8 (byte 1)\n"
	    "11: column locale is not a language tag such as fr or nl-BE\n"
	    "12: unexpected text after a closing quote\n"
	    "15: no email address\n"
	    "16: column First_Name contains a line break or control "
	    "character\n");
	/* The good rows, normalised. */
	assert_string_equal(test_sql_text(db, "SELECT first_name || '|' ||"
	    " last_name || '|' || locale || '|' || attrs FROM contacts WHERE"
	    " email = 'amelie@example.org'"), "Amélie|Dubois|fr-BE|"
	    "{\"City\":\"Liège\"}");
	assert_string_equal(test_sql_text(db, "SELECT last_name || '|' ||"
	    " attrs FROM contacts WHERE email = 'jan@example.org'"),
	    "Peeters, jr|{\"City\":\"Gent\\n(Oost)\"}");
	assert_string_equal(test_sql_text(db, "SELECT first_name || '|' ||"
	    " coalesce(last_name, 'NULL') || '|' || attrs FROM contacts WHERE"
	    " email = 'spaced@example.org'"), "Zoë|NULL|{}");
	assert_int_equal(test_sql_int(db, "SELECT count(*) FROM list_members"
	    " JOIN lists ON lists.id = list_id JOIN sources ON sources.id ="
	    " source_id WHERE lists.name = 'news' AND unsubscribed_at IS NULL"
	    " AND sources.text = 'unit test'"), 3);
	assert_int_equal(test_sql_int(db, "SELECT count(*) FROM consents"
	    " JOIN sources ON sources.id = source_id WHERE theme = 't' AND"
	    " text = 'unit test' AND granted_at = 1700000000 AND revoked_at IS"
	    " NULL"), 3);
}

static void
test_nul_byte(void **state)
{
	static const char csv[] = "email,first_name\nnul@example.org,A\0B\n"
	    "ok@example.org,C\n";
	const char *const	 themes[] = { "t" };
	struct import_options	 opt = { "l", themes, 1, "x", 1, 0 };
	struct store_options	 sopt = { STORE_CREATE, 0, 0, 0 };
	struct memsrc		 src = { csv, sizeof(csv) - 1, 0 };
	struct import_stats	 stats;
	struct reports		 rep;
	struct clr_err		 err = { 0, "" };
	struct store		*st;

	(void)state;
	memset(&rep, 0, sizeof(rep));
	st = store_open(":memory:", &sopt, &err);
	assert_non_null(st);
	assert_int_equal(import_csv(st, mem_read, &src, &opt, &stats, report,
	    &rep, &err), 0);
	assert_int_equal(stats.imported, 1);
	assert_string_equal(rep.text, "2: column first_name contains a NUL "
	    "byte\n");
	store_close(st);
}

static void
test_bad_headers(void **state)
{
	static const struct {
		const char	*csv;
		const char	*msg;
	} cases[] = {
		{ "", "the file has no header row" },
		{ "\n\n", "the file has no header row" },
		{ "first_name,last_name\nA,B\n",
		  "line 1: the header has no \"email\" column" },
		{ "email,city,City\n", "line 1: column \"city\" appears twice "
		  "in the header" },
		{ "email,,x\n", "line 1: column 2 of the header has no name" },
		{ "email,\"ci\nty\"\n", "line 1: column 2 of the header has a "
		  "control character" },
		{ "email,caf\xC3\n", "line 1: column 2 of the header is not "
		  "valid UTF-8" },
		{ "email,\"x\"y\n", "line 1: the header row is not valid CSV: "
		  "unexpected text after a closing quote" },
	};
	const char	*db = test_path("hdr.db");
	struct run	 r;
	size_t		 i;

	(void)state;
	/* Something stored first, to see that nothing changes. */
	run_import(db, "email\nkeep@example.org\n", "l", NULL, &r);
	assert_int_equal(r.rc, 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		run_import(db, cases[i].csv, "other", "t", &r);
		assert_int_not_equal(r.rc, 0);
		if (strcmp(r.err.msg, cases[i].msg) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i,
			    r.err.msg, cases[i].msg);
		assert_int_equal(r.stats.imported, 0);
	}
	assert_int_equal(test_sql_int(db, "SELECT count(*) FROM contacts"), 1);
	assert_int_equal(test_sql_int(db, "SELECT count(*) FROM lists"), 1);
}

static void
test_merge_and_never_erase(void **state)
{
	const char	*db = test_path("merge.db");
	struct run	 r;

	(void)state;
	run_import(db, "email,first_name,last_name,locale,city,zip\n"
	    "a@example.org,Anne,Martin,fr,Namur,5000\n"
	    "a@example.org,Anne,Martin,fr,Namur,5000\n"
	    "a@EXAMPLE.Org,,Martin-Dubois,,,5001\n"
	    "A@example.org,Alain,,,,\n", "l", "t", &r);
	assert_int_equal(r.rc, 0);
	/*
	 * The second row repeats the first: nothing new. The third is the
	 * same address (domains compare without case): merged into the
	 * first. The fourth is another mailbox: only the receiving host may
	 * fold the local part's case.
	 */
	assert_int_equal(r.stats.imported, 2);
	assert_int_equal(r.stats.unchanged, 1);
	assert_int_equal(r.stats.updated, 1);
	assert_int_equal(test_sql_int(db, "DELETE FROM contacts WHERE email ="
	    " 'A@example.org' RETURNING 1"), 1);
	assert_string_equal(test_sql_text(db, "SELECT email || '|' ||"
	    " first_name || '|' || last_name || '|' || locale || '|' || attrs"
	    " FROM contacts"),
	    "a@example.org|Anne|Martin-Dubois|fr|{\"city\":\"Namur\","
	    "\"zip\":\"5001\"}");

	/* Empty cells never erase; new columns are added to attrs. */
	run_import(db, "email,first_name,city,phone\n"
	    "a@example.org,,,+32 2 000 00 00\n", "l", "t", &r);
	assert_int_equal(r.stats.updated, 1);
	assert_string_equal(test_sql_text(db, "SELECT first_name || '|' ||"
	    " attrs FROM contacts"), "Anne|{\"city\":\"Namur\","
	    "\"zip\":\"5001\",\"phone\":\"+32 2 000 00 00\"}");
}

static void
test_reimport_changes_nothing(void **state)
{
	static const char csv[] =
	    "email,first_name,last_name,locale,status,city\n"
	    "a@example.org,Anne,Martin,fr-BE,,Namur\n"
	    "b@example.org,Bart,Peeters,nl-BE,,\"Gent, \"\"centrum\"\"\"\n"
	    "c@example.org,Chloé,Lefèvre,fr,unsubscribed,Mons\n"
	    "bad,x,y,fr,,z\n";
	const char	*db = test_path("again.db");
	struct run	 r;
	char		 before[4096];

	(void)state;
	run_import(db, csv, "l", "t", &r);
	assert_int_equal(r.stats.imported, 3);
	assert_int_equal(r.stats.skipped, 1);
	snprintf(before, sizeof(before), "%s", test_sql_text(db,
	    "SELECT group_concat(x, ';') FROM (SELECT id || email ||"
	    " coalesce(first_name, '') || attrs || status || updated_at AS x"
	    " FROM contacts UNION ALL SELECT list_id || contact_id ||"
	    " source_id || subscribed_at FROM list_members UNION ALL SELECT"
	    " contact_id || theme || granted_at || source_id FROM consents)"));

	run_import(db, csv, "l", "t", &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.stats.imported, 0);
	assert_int_equal(r.stats.updated, 0);
	assert_int_equal(r.stats.unchanged, 3);
	assert_int_equal(r.stats.skipped, 1);
	assert_string_equal(before, test_sql_text(db,
	    "SELECT group_concat(x, ';') FROM (SELECT id || email ||"
	    " coalesce(first_name, '') || attrs || status || updated_at AS x"
	    " FROM contacts UNION ALL SELECT list_id || contact_id ||"
	    " source_id || subscribed_at FROM list_members UNION ALL SELECT"
	    " contact_id || theme || granted_at || source_id FROM consents)"));
}

static void
test_never_resubscribes(void **state)
{
	const char	*db = test_path("resub.db");
	struct run	 r;

	(void)state;
	run_import(db, "email,status\nunsub@example.org,unsubscribed\n"
	    "left@example.org,\nbounced@example.org,\n", "l", "t", &r);
	assert_int_equal(r.stats.imported, 3);
	test_sql(db, "UPDATE list_members SET unsubscribed_at = 5"
	    " WHERE contact_id = (SELECT id FROM contacts"
	    " WHERE email = 'left@example.org');"
	    "INSERT INTO suppressions (email, reason, created_at) VALUES"
	    " ('gone@example.org', 'erased', 1),"
	    " ('bounced@example.org', 'hard-bounce', 1)");

	/* Status cannot go back to active, by any spelling. */
	run_import(db, "email,status,first_name\n"
	    "unsub@example.org,active,Ursula\n"
	    "left@example.org,,Léo\n"
	    "gone@example.org,,Gaston\n"
	    "bounced@example.org,,Bob\n", "l", "t", &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.stats.imported, 0);
	assert_int_equal(r.stats.updated, 3);	/* names only */
	assert_int_equal(r.stats.skipped, 1);
	assert_string_equal(r.rep.text, "4: the address is suppressed: not "
	    "imported\n");
	assert_string_equal(test_sql_text(db, "SELECT status FROM contacts"
	    " WHERE email = 'unsub@example.org'"), "unsubscribed");
	assert_int_equal(test_sql_int(db, "SELECT count(*) FROM list_members"
	    " JOIN contacts ON contacts.id = contact_id WHERE email ="
	    " 'unsub@example.org'"), 0);
	assert_int_equal(test_sql_int(db, "SELECT unsubscribed_at FROM"
	    " list_members JOIN contacts ON contacts.id = contact_id WHERE"
	    " email = 'left@example.org'"), 5);
	assert_int_equal(test_sql_int(db, "SELECT count(*) FROM contacts"
	    " WHERE email = 'gone@example.org'"), 0);

	/* A new list does not catch them either. */
	run_import(db, "email\nunsub@example.org\nleft@example.org\n"
	    "bounced@example.org\n", "other", "t2", &r);
	assert_int_equal(test_sql_int(db, "SELECT count(*) FROM list_members"
	    " JOIN lists ON lists.id = list_id WHERE name = 'other'"), 1);
	assert_int_equal(test_sql_int(db, "SELECT count(*) FROM consents"
	    " WHERE theme = 't2'"), 1);	/* left: active, off one list */

	/* Active contacts can be marked as having left. */
	run_import(db, "email,status\nleft@example.org,Complained\n", "l",
	    NULL, &r);
	assert_string_equal(test_sql_text(db, "SELECT status FROM contacts"
	    " WHERE email = 'left@example.org'"), "complained");
	run_import(db, "email,status\nleft@example.org,gone\n", "l", NULL, &r);
	assert_string_equal(r.rep.text, "2: column status must be active, "
	    "unsubscribed, bounced or complained\n");
}

/*
 * A file of many multi-row statements' worth of rows in no particular
 * order: every contact must end up with its list and its consent exactly
 * once, repeated addresses merged, known ones updated and suppressed ones
 * left out. (Files of several batches are imported by the integration
 * tests, 300,000 rows in import_kill.sh.)
 */
static void
test_large_batches(void **state)
{
	const char	*db = test_path("large.db");
	struct buf	 csv = BUF_INITIALIZER(64 * 1024 * 1024);
	struct run	 r;
	unsigned	 i, n = 20000;

	(void)state;
	run_import(db, "email,first_name\nknown1@example.org,K\n"
	    "known2@example.org,L\n", "l", "t", &r);
	assert_int_equal(r.stats.imported, 2);
	test_sql(db, "INSERT INTO suppressions (email, reason, created_at)"
	    " VALUES ('u977@example.org', 'manual', 1)");
	buf_puts(&csv, "email,first_name,n\n");
	for (i = 0; i < n; i++) {
		/* A scrambled order: the batch sorts it. */
		unsigned	 k = (i * 7919u) % n;

		buf_printf(&csv, "u%u@example.org,F%u,%u\n", k, k, i);
		if (k % 1000 == 0)	/* a repeat, later in the file */
			buf_printf(&csv, "u%u@example.org,,again\n", k);
	}
	buf_puts(&csv, "known1@example.org,,new\nknown2@example.org,L,\n");
	run_import(db, csv.data, "l", "t", &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.stats.imported, n - 1);
	assert_int_equal(r.stats.updated, 20 + 1);	/* repeats, known1 */
	assert_int_equal(r.stats.unchanged, 1);		/* known2 */
	assert_int_equal(r.stats.skipped, 1);
	assert_non_null(strstr(r.rep.text, "the address is suppressed"));
	assert_int_equal(test_sql_int(db, "SELECT count(*) FROM contacts"),
	    n - 1 + 2);
	assert_int_equal(test_sql_int(db, "SELECT count(*) FROM list_members"),
	    n - 1 + 2);
	assert_int_equal(test_sql_int(db, "SELECT count(*) FROM consents"),
	    n - 1 + 2);
	/* The repeat's attrs merged in after the first row's. */
	assert_string_equal(test_sql_text(db, "SELECT first_name || attrs FROM"
	    " contacts WHERE email = 'u3000@example.org'"),
	    "F3000{\"n\":\"again\"}");
	assert_int_equal(test_sql_int(db, "SELECT count(*) FROM contacts"
	    " WHERE email = 'u977@example.org'"), 0);
	buf_free(&csv);
}

/* Several consent themes, through the many-rows-at-once statements. */
static void
test_several_themes(void **state)
{
	const char *const	 themes[] = { "actions", "events", "news" };
	struct import_options	 opt = { "l", themes, 3, "petition", 7, 0 };
	struct store_options	 sopt = { STORE_CREATE, 0, 0, 0 };
	struct buf		 csv = BUF_INITIALIZER(1 << 20);
	struct import_stats	 stats;
	struct reports		 rep;
	struct clr_err		 err = { 0, "" };
	struct memsrc		 src;
	struct store		*st;
	const char		*db = test_path("themes.db");
	int			 i;

	(void)state;
	memset(&rep, 0, sizeof(rep));
	buf_puts(&csv, "email\n");
	for (i = 0; i < 300; i++)
		buf_printf(&csv, "t%03d@example.org\n", i);
	src.p = csv.data;
	src.len = csv.len;
	src.pos = 0;
	st = store_open(db, &sopt, &err);
	assert_non_null(st);
	assert_int_equal(import_csv(st, mem_read, &src, &opt, &stats, report,
	    &rep, &err), 0);
	store_close(st);
	assert_int_equal(stats.imported, 300);
	assert_int_equal(test_sql_int(db, "SELECT count(*) FROM consents"
	    " JOIN sources ON sources.id = source_id WHERE granted_at = 7"
	    " AND text = 'petition'"), 900);
	assert_int_equal(test_sql_int(db, "SELECT count(DISTINCT contact_id ||"
	    " theme) FROM consents"), 900);
	assert_int_equal(test_sql_int(db, "SELECT count(*) FROM consents"
	    " WHERE theme = 'events'"), 300);
	buf_free(&csv);
}

static void
test_locales(void **state)
{
	static const struct {
		const char	*in, *out;
	} cases[] = {
		{ "fr", "fr" }, { "FR", "fr" }, { "fr-BE", "fr-BE" },
		{ "fr_be", "fr-BE" }, { "nl-be", "nl-BE" }, { "de-BE", "de-BE" },
		{ "es-419", "es-419" }, { "sr-latn-RS", "sr-Latn-RS" },
		{ "zh-Hant", "zh-Hant" }, { "gsw", "gsw" },
		{ "f", NULL }, { "fren", NULL }, { "fr-", NULL },
		{ "fr-B", NULL }, { "fr-BEL", NULL }, { "fr-BE-x", NULL },
		{ "fr BE", NULL }, { "12", NULL }, { "", NULL },
		{ "fr--BE", NULL }, { "fr-BE-BE", NULL },
	};
	char	 out[16];
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int	 rc = import_locale_normalize(cases[i].in,
		    strlen(cases[i].in), out);

		if (cases[i].out == NULL) {
			if (rc == 0)
				fail_msg("\"%s\" accepted as \"%s\"",
				    cases[i].in, out);
		} else {
			if (rc != 0)
				fail_msg("\"%s\" refused", cases[i].in);
			assert_string_equal(out, cases[i].out);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_rows, test_teardown_tmp),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test_teardown(test_bad_headers, test_teardown_tmp),
		cmocka_unit_test_teardown(test_merge_and_never_erase,
		    test_teardown_tmp),
		cmocka_unit_test_teardown(test_reimport_changes_nothing,
		    test_teardown_tmp),
		cmocka_unit_test_teardown(test_never_resubscribes, test_teardown_tmp),
		cmocka_unit_test_teardown(test_large_batches, test_teardown_tmp),
		cmocka_unit_test_teardown(test_several_themes, test_teardown_tmp),
		cmocka_unit_test(test_locales),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
