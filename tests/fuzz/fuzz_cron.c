/* SPDX-License-Identifier: ISC */
/*
 * tests/fuzz/fuzz_cron.c - libFuzzer target for cron expressions and TZif
 * zones (lib/cron)
 *
 * Input: one octet that chooses, then the rest. Even: the rest is an
 * expression; once parsed, its next fire times must each come after
 * "after" and, asked again from there, come later still (in UTC, from
 * tzdata). Odd: the rest is TZif bytes; a zone read from them gives
 * offsets within RFC 8536's bounds. Besides: no crash, no leak,
 * no error without a message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cron/cron.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The zone expressions are tried in, loaded once (tzdata's UTC). */
static struct cron_tz	*utc;

static void
check_next(const struct cron *c, const struct cron_tz *tz, int64_t after)
{
	struct clr_err	 err = { 0, "" };
	int64_t		 next, again;
	int		 rc;

	rc = cron_next(c, tz, after, &next, &err);
	if (rc != 0) {
		if (err.msg[0] == '\0')
			abort();
		return;
	}
	if (next <= after)
		abort();
	if (cron_next(c, tz, next, &again, &err) == 0 && again <= next)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct clr_err	 err = { 0, "" };
	struct cron_tz	*tz = NULL;
	struct cron	 c;
	char		 expr[CRON_EXPR_MAX + 64];
	size_t		 i;

	if (size < 1)
		return 0;
	if (data[0] % 2 == 1) {
		if (cron_tz_from_tzif(data + 1, size - 1, &tz, &err) != 0) {
			if (err.msg[0] == '\0')
				abort();
			return 0;
		}
		for (i = 0; i < 4; i++) {
			int32_t	 off = cron_tz_offset(tz, (int64_t)i *
				    900000000 - 1000000000);

			if (off < -89999 || off > 93599)
				abort();
		}
		cron_tz_free(tz);
		return 0;
	}
	if (size - 1 >= sizeof(expr))
		return 0;
	memcpy(expr, data + 1, size - 1);
	expr[size - 1] = '\0';
	if (cron_parse(expr, &c, &err) != 0) {
		if (err.msg[0] == '\0')
			abort();
		return 0;
	}
	if (utc == NULL && cron_tz_load("UTC", &utc, &err) != 0)
		abort();
	check_next(&c, utc, 1798761600);	/* 2027-01-01 */
	check_next(&c, utc, 0);
	return 0;
}
