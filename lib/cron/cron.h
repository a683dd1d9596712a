/* SPDX-License-Identifier: ISC */
/*
 * cron/cron.h - cron expressions and their next fire time in a time zone
 *
 * Five fields: minute hour day-of-month month day-of-week. Each is `*`,
 * a number, a range a-b, a list a,b,c, or a step `*`/n, a-b/n or a/n (a to
 * the field's end). Months JAN-DEC and weekdays SUN-SAT may be named, in
 * any case; weekday 0 and 7 are both Sunday. Macros: @yearly (@annually),
 * @monthly, @weekly, @daily (@midnight), @hourly.
 *
 * As in Vixie cron, when both day fields are restricted (neither starts
 * with `*`), a day matches if either does; otherwise both must.
 *
 * Parsing and cron_next are pure: no I/O, no globals, no clock; `after`
 * is passed in. Only cron_tz_load (tz.c) reads a file: the zone's TZif
 * from /usr/share/zoneinfo, never TZ or tzset(), so threads may share a
 * loaded zone freely.
 *
 * Daylight saving time. An instance is a local wall-clock minute the
 * expression matches; it fires at most once:
 *  - a local time skipped in spring (02:30 on 2026-03-29 in Brussels)
 *    fires at the first valid instant after the gap (03:00 local); all
 *    the gap's instances fire there, once;
 *  - a local time that occurs twice in autumn (02:30 on 2026-10-25)
 *    fires at its first occurrence only.
 * cron_next_local gives the instance's local time, for callers recording
 * "fired" per instance.
 */
#ifndef CLARION_CRON_CRON_H
#define CLARION_CRON_CRON_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define CRON_EXPR_MAX	256		/* bytes in an expression */
#define CRON_YEARS_MAX	9		/* cron_next's horizon */

struct cron {
	uint64_t	 minute;	/* bit n: minute n, 0-59 */
	uint32_t	 hour;		/* 0-23 */
	uint32_t	 mday;		/* 1-31 */
	uint16_t	 month;		/* 1-12 */
	uint8_t		 wday;		/* 0-6, Sunday 0 */
	uint8_t		 mday_star;	/* field began with `*` */
	uint8_t		 wday_star;
};

struct cron_tz;				/* a loaded zone, opaque */

/*
 * Parse expr into out. 0, or CLR_ESYNTAX (CLR_ETOOBIG past
 * CRON_EXPR_MAX) with a message naming the field and the column:
 * "field 2 (hour) at column 3: 25 is out of range 0-23".
 */
int	 cron_parse(const char *expr, struct cron *out, struct clr_err *);

/*
 * The first fire time strictly after `after` (UTC seconds) in zone tz,
 * into *next. 0, or CLR_ENOENT when none falls in the next
 * CRON_YEARS_MAX years (30 February).
 */
int	 cron_next(const struct cron *, const struct cron_tz *,
	    int64_t after, int64_t *next, struct clr_err *);

/*
 * As cron_next, and also the instance's local time, as seconds since
 * 1970-01-01 00:00 local (so "wall clock as if UTC"); may be NULL.
 */
int	 cron_next_local(const struct cron *, const struct cron_tz *,
	    int64_t after, int64_t *next, int64_t *local, struct clr_err *);

/*
 * Load zone name ("Europe/Brussels", "UTC") from /usr/share/zoneinfo.
 * Does file I/O (tz.c). Names starting with "/" or holding ".." are
 * refused (CLR_EINVAL); CLR_ENOENT, CLR_EIO, CLR_ESYNTAX (not TZif or
 * an unsupported rule), CLR_ENOMEM. Free with cron_tz_free.
 */
int	 cron_tz_load(const char *name, struct cron_tz **out,
	    struct clr_err *);

/* A zone from TZif bytes, as cron_tz_load; does no I/O. */
int	 cron_tz_from_tzif(const uint8_t *, size_t, struct cron_tz **out,
	    struct clr_err *);

void	 cron_tz_free(struct cron_tz *);

/* UTC offset in seconds at UTC instant t (3600 for CET). */
int32_t	 cron_tz_offset(const struct cron_tz *, int64_t t);

#endif
