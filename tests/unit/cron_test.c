/* SPDX-License-Identifier: ISC */
/*
 * tests/unit/cron_test.c - cron: parsing, refusals, next fire times in
 * Europe/Brussels across DST, zone loading
 *
 * Expected instants were worked out with `TZ=Europe/Brussels date -d`,
 * not with this code. The zone's offsets are also checked against
 * glibc's localtime_r, hour by hour from 1970 to 2060 (past the TZif
 * table, so the footer rule is exercised).
 */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "cron/cron.h"
#include "util/err.h"

#define ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))

/* "2026-03-06T08:00:00Z" as UTC seconds; fails the test if malformed. */
static int64_t
iso(const char *s)
{
	int	 y, mo, d, h, mi, se;
	int64_t	 yy, era, yoe, doy, doe;

	assert_int_equal(sscanf(s, "%d-%d-%dT%d:%d:%dZ", &y, &mo, &d, &h,
	    &mi, &se), 6);
	yy = y - (mo <= 2);
	era = yy / 400;
	yoe = yy - era * 400;
	doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (era * 146097 + doe - 719468) * 86400 + h * 3600 + mi * 60 +
	    se;
}

static struct cron_tz	*bru;

static int
setup(void **state)
{
	struct clr_err	 err = { 0 };

	(void)state;
	return cron_tz_load("Europe/Brussels", &bru, &err);
}

static int
teardown(void **state)
{
	(void)state;
	cron_tz_free(bru);
	return 0;
}

static void
test_iso(void **state)
{
	(void)state;
	/* Checked against `date -u -d @N`. */
	assert_int_equal(iso("1970-01-01T00:00:00Z"), 0);
	assert_int_equal(iso("2026-03-06T08:00:00Z"), 1772784000);
	assert_int_equal(iso("2028-02-28T23:00:00Z"), 1835391600);
}

static const struct {
	const char	*expr, *after, *next;
} nexts[] = {
	/* The action mail, Tuesdays and Fridays at 09:00, across a week. */
	{ "0 9 * * TUE,FRI", "2026-03-03T11:00:00Z", "2026-03-06T08:00:00Z" },
	{ "0 9 * * TUE,FRI", "2026-03-06T07:59:59Z", "2026-03-06T08:00:00Z" },
	{ "0 9 * * TUE,FRI", "2026-03-06T08:00:00Z", "2026-03-10T08:00:00Z" },
	{ "0 9 * * TUE,FRI", "2026-03-10T08:00:00Z", "2026-03-13T08:00:00Z" },
	{ "0 9 * * tue,fri", "2026-03-27T08:00:00Z", "2026-03-31T07:00:00Z" },
	{ "*/15 * * * *", "2026-03-03T11:07:30Z", "2026-03-03T11:15:00Z" },
	{ "*/15 * * * *", "2026-03-03T11:15:00Z", "2026-03-03T11:30:00Z" },
	{ "*/15 * * * *", "2026-03-03T11:59:00Z", "2026-03-03T12:00:00Z" },
	{ "0 0 1 * *", "2026-11-28T23:00:00Z", "2026-11-30T23:00:00Z" },
	{ "0 0 1 * *", "2026-11-30T23:00:00Z", "2026-12-31T23:00:00Z" },
	{ "0 12 * * 1-5", "2026-03-03T11:00:00Z", "2026-03-04T11:00:00Z" },
	{ "0 12 * * 1-5", "2026-03-06T11:00:00Z", "2026-03-09T11:00:00Z" },
	/* 02:30 skipped on 03-29: once, at 03:00 local. */
	{ "30 2 * * *", "2026-03-28T02:00:00Z", "2026-03-29T01:00:00Z" },
	{ "30 2 * * *", "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z" },
	/* 02:30 twice on 10-25: the first only. */
	{ "30 2 * * *", "2026-10-24T01:00:00Z", "2026-10-25T00:30:00Z" },
	{ "30 2 * * *", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z" },
	{ "30 2 * * *", "2026-10-25T01:00:00Z", "2026-10-26T01:30:00Z" },
	{ "0 2 * * *", "2026-03-28T02:00:00Z", "2026-03-29T01:00:00Z" },
	{ "0 2 * * *", "2026-03-29T01:00:00Z", "2026-03-30T00:00:00Z" },
	{ "0 2 * * *", "2026-10-24T01:00:00Z", "2026-10-25T00:00:00Z" },
	{ "0 2 * * *", "2026-10-25T00:00:00Z", "2026-10-26T01:00:00Z" },
	/* Every gap minute fires at 03:00, once; the repeat hour not. */
	{ "*/15 2 * * *", "2026-03-29T00:59:00Z", "2026-03-29T01:00:00Z" },
	{ "*/15 2 * * *", "2026-03-29T01:00:00Z", "2026-03-30T00:00:00Z" },
	{ "@hourly", "2026-03-29T00:30:00Z", "2026-03-29T01:00:00Z" },
	{ "@hourly", "2026-03-29T01:00:00Z", "2026-03-29T02:00:00Z" },
	{ "@hourly", "2026-10-25T00:00:00Z", "2026-10-25T02:00:00Z" },
	{ "@hourly", "2026-03-03T11:00:00Z", "2026-03-03T12:00:00Z" },
	/* Both day fields restricted: the 13th or a Friday. */
	{ "0 0 13 * FRI", "2026-11-12T11:00:00Z", "2026-11-12T23:00:00Z" },
	{ "0 0 13 * FRI", "2026-11-12T23:00:00Z", "2026-11-19T23:00:00Z" },
	{ "0 0 13 * FRI", "2026-11-26T23:00:00Z", "2026-12-03T23:00:00Z" },
	{ "0 0 13 * FRI", "2026-12-10T23:00:00Z", "2026-12-12T23:00:00Z" },
	/* One restricted by a step starting with `*`: both must match. */
	{ "0 0 */2 * FRI", "2026-11-12T11:00:00Z", "2026-11-12T23:00:00Z" },
	{ "0 0 */2 * FRI", "2026-11-12T23:00:00Z", "2026-11-26T23:00:00Z" },
	{ "@weekly", "2026-03-04T09:00:00Z", "2026-03-07T23:00:00Z" },
	{ "0 0 * * 7", "2026-03-04T09:00:00Z", "2026-03-07T23:00:00Z" },
	{ "@yearly", "2026-03-04T09:00:00Z", "2026-12-31T23:00:00Z" },
	{ "0 0 29 2 *", "2025-12-31T23:00:00Z", "2028-02-28T23:00:00Z" },
	/* Past the TZif table (2037): the footer rule. */
	{ "0 2 * * *", "2040-03-24T11:00:00Z", "2040-03-25T01:00:00Z" },
	{ "0 2 * * *", "2040-03-25T01:00:00Z", "2040-03-26T00:00:00Z" },
	{ "0 2 * * *", "2040-10-27T10:00:00Z", "2040-10-28T00:00:00Z" },
	{ "0 2 * * *", "2040-10-28T00:00:00Z", "2040-10-29T01:00:00Z" },
};

static void
test_next(void **state)
{
	struct clr_err	 err = { 0 };
	struct cron	 c;
	int64_t		 next;
	size_t		 i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(nexts); i++) {
		if (cron_parse(nexts[i].expr, &c, &err) != 0)
			fail_msg("%s: %s", nexts[i].expr, err.msg);
		next = -1;
		if (cron_next(&c, bru, iso(nexts[i].after), &next, &err) != 0)
			fail_msg("%s: %s", nexts[i].expr, err.msg);
		if (next != iso(nexts[i].next))
			fail_msg("%s after %s: got %" PRId64 ", want %s",
			    nexts[i].expr, nexts[i].after, next,
			    nexts[i].next);
	}
}

/* The instance's local time identifies it: the 03:00 fire is 02:30's. */
static void
test_next_local(void **state)
{
	struct clr_err	 err = { 0 };
	struct cron	 c;
	int64_t		 next, local;

	(void)state;
	assert_int_equal(cron_parse("30 2 * * *", &c, &err), 0);
	assert_int_equal(cron_next_local(&c, bru,
	    iso("2026-03-28T02:00:00Z"), &next, &local, &err), 0);
	assert_int_equal(next, iso("2026-03-29T01:00:00Z"));
	assert_int_equal(local, iso("2026-03-29T02:30:00Z"));
	assert_int_equal(cron_next_local(&c, bru,
	    iso("2026-10-24T01:00:00Z"), &next, &local, &err), 0);
	assert_int_equal(next, iso("2026-10-25T00:30:00Z"));
	assert_int_equal(local, iso("2026-10-25T02:30:00Z"));
}

static void
test_never(void **state)
{
	struct clr_err	 err = { 0 };
	struct cron	 c;
	int64_t		 next = 42;

	(void)state;
	assert_int_equal(cron_parse("0 0 30 2 *", &c, &err), 0);
	assert_int_equal(cron_next(&c, bru, 0, &next, &err), CLR_ENOENT);
	assert_int_equal(err.code, CLR_ENOENT);
	assert_int_equal(next, 42);
}

static void
same(const char *a, const char *b)
{
	struct clr_err	 err = { 0 };
	struct cron	 x, y;

	if (cron_parse(a, &x, &err) != 0 || cron_parse(b, &y, &err) != 0)
		fail_msg("%s / %s: %s", a, b, err.msg);
	if (memcmp(&x, &y, sizeof(x)) != 0)
		fail_msg("%s differs from %s", a, b);
}

static void
test_parse(void **state)
{
	struct clr_err	 err = { 0 };
	struct cron	 c;

	(void)state;
	assert_int_equal(cron_parse("*/20 1-10/3 * * *", &c, &err), 0);
	assert_true(c.minute == (UINT64_C(1) | UINT64_C(1) << 20 |
	    UINT64_C(1) << 40));
	assert_int_equal(c.hour, 1 << 1 | 1 << 4 | 1 << 7 | 1 << 10);
	assert_int_equal(c.mday, 0xfffffffe);
	assert_int_equal(c.month, 0x1ffe);
	assert_int_equal(c.wday, 0x7f);
	assert_true(c.mday_star && c.wday_star);
	assert_int_equal(cron_parse("5,7 0 1,15 * 5-7", &c, &err), 0);
	assert_true(c.minute == (UINT64_C(1) << 5 | UINT64_C(1) << 7));
	assert_int_equal(c.mday, 1 << 1 | 1 << 15);
	assert_int_equal(c.wday, 1 << 5 | 1 << 6 | 1 << 0);
	assert_false(c.mday_star || c.wday_star);
	assert_int_equal(cron_parse("0 0 * * 1/2", &c, &err), 0);
	assert_int_equal(c.wday, 1 << 1 | 1 << 3 | 1 << 5);
	same("0 9 * * tue,FRI", "0 9 * * 2,5");
	same("0 0 * * 7", "0 0 * * 0");
	same("0 0 1 jan-Mar,DEC *", "0 0 1 1-3,12 *");
	same("  0\t0  * *   *  ", "0 0 * * *");
	same("@annually", "0 0 1 1 *");
	same("@YEARLY", "0 0 1 1 *");
	same("@monthly", "0 0 1 * *");
	same("@weekly", "0 0 * * 0");
	same("@daily", "0 0 * * *");
	same("@midnight", "0 0 * * *");
	same("@hourly ", "0 * * * *");
}

static const struct {
	const char	*expr;
	int		 code;
	const char	*msg;
} bads[] = {
	{ "0 0 * * * *", CLR_ESYNTAX,
	    "more than 5 fields: extra at column 11" },
	{ "0 0 * *", CLR_ESYNTAX,
	    "4 fields, expected 5 (minute hour day-of-month month "
	    "day-of-week)" },
	{ "", CLR_ESYNTAX,
	    "0 fields, expected 5 (minute hour day-of-month month "
	    "day-of-week)" },
	{ "60 * * * *", CLR_ESYNTAX,
	    "field 1 (minute) at column 1: 60 is out of range 0-59" },
	{ "0 25 * * *", CLR_ESYNTAX,
	    "field 2 (hour) at column 3: 25 is out of range 0-23" },
	{ "0 0 0 * *", CLR_ESYNTAX,
	    "field 3 (day-of-month) at column 5: 0 is out of range 1-31" },
	{ "0 0 1 13 *", CLR_ESYNTAX,
	    "field 4 (month) at column 7: 13 is out of range 1-12" },
	{ "0 0 * * 8", CLR_ESYNTAX,
	    "field 5 (day-of-week) at column 9: 8 is out of range 0-7" },
	{ "0 0 * FOO *", CLR_ESYNTAX,
	    "field 4 (month) at column 7: bad value \"FOO\"" },
	{ "0 0 * JAN-JUNE *", CLR_ESYNTAX,
	    "field 4 (month) at column 11: bad value \"JUNE\"" },
	{ "0 0 * * MON,,FRI", CLR_ESYNTAX,
	    "field 5 (day-of-week) at column 13: empty list element" },
	{ "0 0 * * MON,", CLR_ESYNTAX,
	    "field 5 (day-of-week) at column 13: empty list element" },
	{ "*/0 * * * *", CLR_ESYNTAX,
	    "field 1 (minute) at column 3: step 0 is out of range 1-60" },
	{ "0 */ * * *", CLR_ESYNTAX,
	    "field 2 (hour) at column 5: expected a step" },
	{ "0 0 * * 5-1", CLR_ESYNTAX,
	    "field 5 (day-of-week) at column 9: range 5-1 is reversed" },
	{ "0 0 * * MON-", CLR_ESYNTAX,
	    "field 5 (day-of-week) at column 13: expected a value" },
	{ "0 0 1x * *", CLR_ESYNTAX,
	    "field 3 (day-of-month) at column 6: unexpected \"x\"" },
	{ "0 0 * * 1-5/2/2", CLR_ESYNTAX,
	    "field 5 (day-of-week) at column 14: unexpected \"/\"" },
	{ "MON 0 * * *", CLR_ESYNTAX,
	    "field 1 (minute) at column 1: bad value \"MON\"" },
	{ "@fortnightly", CLR_ESYNTAX,
	    "unknown macro \"@fortnightly\" at column 1" },
	{ "@daily 0", CLR_ESYNTAX, "unknown macro \"@daily\" at column 1" },
};

static void
test_bad(void **state)
{
	struct clr_err	 err;
	struct cron	 c;
	char		 big[CRON_EXPR_MAX + 2];
	size_t		 i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(bads); i++) {
		memset(&err, 0, sizeof(err));
		if (cron_parse(bads[i].expr, &c, &err) != bads[i].code)
			fail_msg("\"%s\" not refused", bads[i].expr);
		assert_int_equal(err.code, bads[i].code);
		if (strcmp(err.msg, bads[i].msg) != 0)
			fail_msg("\"%s\": got \"%s\"", bads[i].expr, err.msg);
	}
	memset(big, ' ', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "0 0 * * *", 9);
	assert_int_equal(cron_parse(big, &c, &err), CLR_ETOOBIG);
	big[CRON_EXPR_MAX] = '\0';	/* at the limit: fine */
	assert_int_equal(cron_parse(big, &c, &err), 0);
}

static void
test_tz_names(void **state)
{
	struct clr_err	 err;
	struct cron_tz	*z = (struct cron_tz *)&z;
	struct cron	 c;
	int64_t		 next;

	(void)state;
	assert_int_equal(cron_tz_load("../../etc/passwd", &z, &err),
	    CLR_EINVAL);
	assert_null(z);
	assert_int_equal(cron_tz_load("/etc/localtime", &z, &err),
	    CLR_EINVAL);
	assert_int_equal(cron_tz_load("Europe/..", &z, &err), CLR_EINVAL);
	assert_int_equal(cron_tz_load("", &z, &err), CLR_EINVAL);
	assert_int_equal(cron_tz_load("Europe/Nowhere", &z, &err),
	    CLR_ENOENT);
	assert_int_equal(cron_tz_load("Europe", &z, &err), CLR_EIO);
	assert_int_equal(cron_tz_load("UTC", &z, &err), 0);
	assert_int_equal(cron_parse("0 9 * * TUE,FRI", &c, &err), 0);
	assert_int_equal(cron_next(&c, z, iso("2026-03-03T11:00:00Z"), &next,
	    &err), 0);
	assert_int_equal(next, iso("2026-03-06T09:00:00Z"));
	cron_tz_free(z);
	assert_int_equal(cron_tz_from_tzif((const uint8_t *)"TZif", 4, &z,
	    &err), CLR_ESYNTAX);
}

/* Offsets against glibc, every hour, 1970-2060, in a few zones. */
static void
test_tz_offsets(void **state)
{
	static const char *const names[] = { "Europe/Brussels",
	    "America/New_York", "Australia/Sydney", "Asia/Kolkata",
	    "America/Sao_Paulo" };
	struct clr_err	 err;
	struct cron_tz	*z;
	struct tm	 tm;
	time_t		 t;
	size_t		 i;
	long		 n = 0;

	(void)state;
	for (i = 0; i < ARRAY_LEN(names); i++) {
		assert_int_equal(cron_tz_load(names[i], &z, &err), 0);
		setenv("TZ", names[i], 1);	/* test is single-threaded */
		tzset();
		for (t = 0; t < (time_t)iso("2060-01-01T00:00:00Z");
		    t += 3600, n++) {
			assert_non_null(localtime_r(&t, &tm));
			if (cron_tz_offset(z, t) != tm.tm_gmtoff)
				fail_msg("%s at %lld: %d, glibc %ld", names[i],
				    (long long)t, cron_tz_offset(z, t),
				    tm.tm_gmtoff);
		}
		cron_tz_free(z);
	}
	assert_true(n > 700000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_iso),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_next),
		cmocka_unit_test(test_next_local),
		cmocka_unit_test(test_never),
		cmocka_unit_test(test_tz_names),
		cmocka_unit_test(test_tz_offsets),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
