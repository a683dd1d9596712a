/* SPDX-License-Identifier: ISC */
/*
 * cron/cron.c - parsing cron expressions and finding the next fire time
 *
 * Pure: the zone comes loaded (tz.c) and `after` is passed in.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cron/cron.h"
#include "util/err.h"

#define DAY	86400

struct field {
	const char	*name;
	int		 lo, hi;
	const char	*names;		/* 3-letter names from lo */
};

static const struct field fields[5] = {
	{ "minute", 0, 59, NULL },
	{ "hour", 0, 23, NULL },
	{ "day-of-month", 1, 31, NULL },
	{ "month", 1, 12, "JANFEBMARAPRMAYJUNJULAUGSEPOCTNOVDEC" },
	{ "day-of-week", 0, 7, "SUNMONTUEWEDTHUFRISAT" },
};

static const struct {
	const char	*name, *expr;
} macros[] = {
	{ "@yearly", "0 0 1 1 *" },
	{ "@annually", "0 0 1 1 *" },
	{ "@monthly", "0 0 1 * *" },
	{ "@weekly", "0 0 * * 0" },
	{ "@daily", "0 0 * * *" },
	{ "@midnight", "0 0 * * *" },
	{ "@hourly", "0 * * * *" },
};

struct pctx {
	const char	*expr;		/* for columns */
	int		 fi;		/* field index */
	struct clr_err	*err;
};

static int
perr(const struct pctx *c, const char *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
perr(const struct pctx *c, const char *at, const char *fmt, ...)
{
	char	 what[160];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return clr_err_set(c->err, CLR_ESYNTAX, "field %d (%s) at column %d: "
	    "%s", c->fi + 1, fields[c->fi].name, (int)(at - c->expr) + 1, what);
}

static int
upper(int ch)
{
	return ch >= 'a' && ch <= 'z' ? ch - 'a' + 'A' : ch;
}

static int
is_alpha(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

/* A number or a name at *pp, ending before end; an error if not. */
static int
value(const struct pctx *c, const char **pp, const char *end, int *out)
{
	const struct field	*f = &fields[c->fi];
	const char		*p = *pp;
	char			 tok[8];
	int			 n = 0, i;

	if (p < end && *p >= '0' && *p <= '9') {
		for (; p < end && *p >= '0' && *p <= '9'; p++)
			if ((n = n * 10 + (*p - '0')) > 1000)
				n = 1000;	/* only for the message */
		if (n < f->lo || n > f->hi)
			return perr(c, *pp, "%d is out of range %d-%d", n,
			    f->lo, f->hi);
		*pp = p;
		*out = n;
		return 0;
	}
	for (i = 0; p + i < end && i < 7 && is_alpha(p[i]); i++)
		tok[i] = (char)upper(p[i]);
	tok[i] = '\0';
	if (f->names != NULL && i == 3) {
		for (n = 0; f->names[n * 3] != '\0'; n++)
			if (memcmp(f->names + n * 3, tok, 3) == 0) {
				*pp = p + 3;
				*out = f->lo + n;
				return 0;
			}
	}
	for (i = 0; p + i < end && p[i] != '-' && p[i] != '/' && i < 7; i++)
		tok[i] = p[i];
	tok[i] = '\0';
	if (i == 0)
		return perr(c, p, "expected a value");
	return perr(c, p, "bad value \"%s\"", tok);
}

/* One list element, [p, end): *, *\/n, a, a-b, a-b/n, a/n. */
static int
element(const struct pctx *c, const char *p, const char *end,
    uint64_t *bits)
{
	const struct field	*f = &fields[c->fi];
	const char		*s = p;
	int			 a, b, step = 1, v, rc;

	if (p == end)
		return perr(c, p, "empty list element");
	if (*p == '*') {
		a = f->lo;
		b = f->hi == 7 ? 6 : f->hi;
		p++;
	} else {
		if ((rc = value(c, &p, end, &a)) != 0)
			return rc;
		b = a;
		if (p < end && *p == '-') {
			p++;
			if ((rc = value(c, &p, end, &b)) != 0)
				return rc;
			if (b < a)
				return perr(c, s, "range %d-%d is reversed",
				    a, b);
		} else if (p < end && *p == '/')
			b = f->hi == 7 ? 6 : f->hi;
	}
	if (p < end && *p == '/') {
		s = ++p;
		for (step = 0; p < end && *p >= '0' && *p <= '9'; p++)
			if ((step = step * 10 + (*p - '0')) > 1000)
				step = 1000;
		if (p == s)
			return perr(c, s, "expected a step");
		if (step == 0 || step > f->hi - f->lo + 1)
			return perr(c, s, "step %d is out of range 1-%d", step,
			    f->hi - f->lo + 1);
	}
	if (p != end)
		return perr(c, p, "unexpected \"%c\"", *p);
	for (v = a; v <= b; v += step)
		*bits |= UINT64_C(1) << (f->hi == 7 && v == 7 ? 0 : v);
	return 0;
}

static int
field(const struct pctx *c, const char *p, const char *end, uint64_t *bits)
{
	const char	*e;
	int		 rc;

	*bits = 0;
	for (;;) {
		for (e = p; e < end && *e != ','; e++)
			;
		if ((rc = element(c, p, e, bits)) != 0)
			return rc;
		if (e == end)
			return 0;
		p = e + 1;
	}
}

static int
is_space(int ch)
{
	return ch == ' ' || ch == '\t';
}

int
cron_parse(const char *expr, struct cron *out, struct clr_err *err)
{
	struct pctx	 c = { expr, 0, err };
	const char	*p, *s[6], *e[6];
	uint64_t	 bits[5];
	size_t		 len, i, n;
	int		 rc;

	if ((len = strnlen(expr, CRON_EXPR_MAX + 1)) > CRON_EXPR_MAX)
		return clr_err_set(err, CLR_ETOOBIG, "cron expression longer "
		    "than %d bytes", CRON_EXPR_MAX);
	for (p = expr; is_space(*p); p++)
		;
	if (*p == '@') {
		for (n = 0; p[n] != '\0' && !is_space(p[n]); n++)
			;
		for (i = 0; i < sizeof(macros) / sizeof(macros[0]); i++)
			if (strlen(macros[i].name) == n &&
			    strncasecmp(p, macros[i].name, n) == 0)
				break;
		for (c.fi = (int)n; is_space(p[c.fi]); c.fi++)
			;
		if (i == sizeof(macros) / sizeof(macros[0]) ||
		    p[c.fi] != '\0')
			return clr_err_set(err, CLR_ESYNTAX, "unknown macro "
			    "\"%.*s\" at column %d", (int)n, p,
			    (int)(p - expr) + 1);
		return cron_parse(macros[i].expr, out, err);
	}
	for (n = 0; *p != '\0'; n++) {
		if (n == 5)
			return clr_err_set(err, CLR_ESYNTAX, "more than 5 "
			    "fields: extra at column %d", (int)(p - expr) + 1);
		s[n] = p;
		while (*p != '\0' && !is_space(*p))
			p++;
		e[n] = p;
		while (is_space(*p))
			p++;
	}
	if (n != 5)
		return clr_err_set(err, CLR_ESYNTAX, "%zu fields, expected 5 "
		    "(minute hour day-of-month month day-of-week)", n);
	for (i = 0; i < 5; i++) {
		c.fi = (int)i;
		if ((rc = field(&c, s[i], e[i], &bits[i])) != 0)
			return rc;
	}
	memset(out, 0, sizeof(*out));
	out->minute = bits[0];
	out->hour = (uint32_t)bits[1];
	out->mday = (uint32_t)bits[2];
	out->month = (uint16_t)bits[3];
	out->wday = (uint8_t)bits[4];
	out->mday_star = *s[2] == '*';
	out->wday_star = *s[4] == '*';
	return 0;
}

/* Civil date of a day number (days since 1970-01-01; H. Hinnant). */
static void
civil(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t	 era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int64_t
floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static int
day_matches(const struct cron *cr, int64_t day, int m, int d)
{
	/* 1970-01-01 was a Thursday. */
	int	 wd = (int)(((day + 4) % 7 + 7) % 7);
	int	 dm, wm;

	if (!(cr->month & (1U << m)))
		return 0;
	dm = (cr->mday >> d) & 1;
	wm = (cr->wday >> wd) & 1;
	if (!cr->mday_star && !cr->wday_star)
		return dm || wm;
	return dm && wm;
}

/*
 * The instant a local wall time fires at: its first occurrence, or when
 * it falls in a gap, the end of the gap. Assumes offsets change at most
 * once within a day either side, as in every real zone.
 */
static int64_t
instance(const struct cron_tz *z, int64_t local)
{
	int32_t	 o1, o2, t;
	int64_t	 a, b, mid;

	o1 = cron_tz_offset(z, local - DAY);
	o2 = cron_tz_offset(z, local + DAY);
	a = local - o1;
	b = local - o2;
	if (b < a && cron_tz_offset(z, b) == o2)
		return b;		/* also before a: the first of two */
	if (cron_tz_offset(z, a) == o1)
		return a;
	if (cron_tz_offset(z, b) == o2)
		return b;
	/* A gap: o2 > o1, the transition lies in (b, a]. */
	while (a - b > 1) {
		mid = b + (a - b) / 2;
		t = cron_tz_offset(z, mid);
		if (t == o1)
			b = mid;
		else
			a = mid;
	}
	return a;
}

int
cron_next_local(const struct cron *cr, const struct cron_tz *z,
    int64_t after, int64_t *next, int64_t *localp, struct clr_err *err)
{
	int64_t	 l0, day, last, y, local, t;
	int	 m, d, h, mi, h0, m0;

	l0 = floor_div(after + cron_tz_offset(z, after), 60) * 60;
	day = floor_div(l0, DAY);
	h0 = (int)((l0 - day * DAY) / 3600);
	m0 = (int)((l0 - day * DAY) % 3600 / 60);
	last = day + CRON_YEARS_MAX * 366;
	for (; day <= last; day++, h0 = m0 = 0) {
		civil(day, &y, &m, &d);
		if (!day_matches(cr, day, m, d))
			continue;
		for (h = h0; h < 24; h++, m0 = 0) {
			if (!(cr->hour & (1U << h)))
				continue;
			for (mi = m0; mi < 60; mi++) {
				if (!(cr->minute & (UINT64_C(1) << mi)))
					continue;
				local = day * DAY + h * 3600 + mi * 60;
				if ((t = instance(z, local)) > after) {
					*next = t;
					if (localp != NULL)
						*localp = local;
					return 0;
				}
			}
		}
	}
	return clr_err_set(err, CLR_ENOENT, "no fire time in the next %d "
	    "years", CRON_YEARS_MAX);
}

int
cron_next(const struct cron *cr, const struct cron_tz *z, int64_t after,
    int64_t *next, struct clr_err *err)
{
	return cron_next_local(cr, z, after, next, NULL, err);
}
