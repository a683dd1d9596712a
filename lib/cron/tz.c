/* SPDX-License-Identifier: ISC */
/*
 * cron/tz.c - time zones from TZif files (RFC 8536), without tzset()
 *
 * The only file in cron/ doing I/O: cron_tz_load reads the file, the rest
 * is pure. The version 2+ 64-bit block is used when present (version 1
 * otherwise), and the footer's POSIX TZ rule for instants past the table
 * (only the Mm.w.d rule form, which every zone in tzdata uses).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cron/cron.h"
#include "util/alloc.h"
#include "util/err.h"

#define TZ_DIR		"/usr/share/zoneinfo/"
#define TZ_NAME_MAX	128
#define TZ_FILE_MAX	(1 << 20)
#define DAY		86400

struct tz_date {			/* Mm.w.d/time */
	int		 mon, week, wday;
	int32_t		 time;		/* after local midnight */
};

struct cron_tz {
	size_t		 ntrans;
	int64_t		*trans;		/* UTC, ascending */
	int32_t		*off;		/* offset from each on */
	int32_t		 off0;		/* before the first */
	int		 has_rule;	/* footer rule, past them */
	int32_t		 std, dst;	/* its offsets, east > 0 */
	int		 has_dst;
	struct tz_date	 start, end;
};

/* RFC 8536 3.2: an offset is within -89999 and 93599 seconds. */
static int
utoff_ok(int32_t off)
{
	return off >= -89999 && off <= 93599;
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static int64_t
be64(const uint8_t *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t	 era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int64_t
year_of(int64_t t)
{
	int64_t	 z, era, doe, yoe, doy, mp;

	z = (t >= 0 ? t : t - (DAY - 1)) / DAY + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	return yoe + era * 400 + (mp >= 10);
}

/* The UTC instant of a rule date in year y, the local offset being off. */
static int64_t
rule_instant(const struct tz_date *r, int64_t y, int32_t off)
{
	int64_t	 first, day;
	int	 wd, mdays;
	static const int ml[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	first = days_from_civil(y, r->mon, 1);
	wd = (int)(((first + 4) % 7 + 7) % 7);
	day = first + (r->wday - wd + 7) % 7 + 7 * (r->week - 1);
	mdays = ml[r->mon - 1] + (r->mon == 2 && ((y % 4 == 0 &&
	    y % 100 != 0) || y % 400 == 0));
	while (day >= first + mdays)	/* week 5: the last one */
		day -= 7;
	return day * DAY + r->time - off;
}

static int32_t
rule_offset(const struct cron_tz *z, int64_t t)
{
	int64_t	 y, s, e;

	if (!z->has_dst)
		return z->std;
	y = year_of(t + z->std);
	s = rule_instant(&z->start, y, z->std);
	e = rule_instant(&z->end, y, z->dst);
	if (s < e)
		return t >= s && t < e ? z->dst : z->std;
	return t >= e && t < s ? z->std : z->dst;
}

int32_t
cron_tz_offset(const struct cron_tz *z, int64_t t)
{
	size_t	 lo, hi, mid;

	if (z->ntrans == 0)
		return z->has_rule ? rule_offset(z, t) : z->off0;
	if (t < z->trans[0])
		return z->off0;
	if (t >= z->trans[z->ntrans - 1] && z->has_rule)
		return rule_offset(z, t);
	lo = 0;
	hi = z->ntrans;			/* trans[lo] <= t < trans[hi] */
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (z->trans[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return z->off[lo];
}

/* [+-]hh[:mm[:ss]] into seconds; NULL if malformed. */
static const char *
parse_hms(const char *p, int32_t *out)
{
	int	 sign = 1, part = 0, n;
	int32_t	 v = 0, mul = 3600;

	if (*p == '+' || *p == '-')
		sign = *p++ == '-' ? -1 : 1;
	for (;;) {
		if (*p < '0' || *p > '9')
			return NULL;
		for (n = 0; *p >= '0' && *p <= '9' && n < 200; p++)
			n = n * 10 + (*p - '0');
		v += n * mul;
		mul /= 60;
		if (*p != ':' || ++part > 2)
			break;
		p++;
	}
	*out = sign * v;
	return p;
}

static const char *
parse_name(const char *p)
{
	if (*p == '<') {
		while (*p != '\0' && *p != '>')
			p++;
		return *p == '>' ? p + 1 : NULL;
	}
	if (!(*p >= 'A' && *p <= 'Z') && !(*p >= 'a' && *p <= 'z'))
		return NULL;
	while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'))
		p++;
	return p;
}

static const char *
parse_date(const char *p, struct tz_date *d)
{
	int	*f[3] = { &d->mon, &d->week, &d->wday };
	int	 i;

	if (*p++ != 'M')
		return NULL;
	for (i = 0; i < 3; i++) {
		if (i > 0 && *p++ != '.')
			return NULL;
		if (*p < '0' || *p > '9')
			return NULL;
		for (*f[i] = 0; *p >= '0' && *p <= '9' && *f[i] < 100; p++)
			*f[i] = *f[i] * 10 + (*p - '0');
	}
	if (d->mon < 1 || d->mon > 12 || d->week < 1 || d->week > 5 ||
	    d->wday > 6)
		return NULL;
	d->time = 7200;
	if (*p == '/')
		p = parse_hms(p + 1, &d->time);
	return p;
}

/* "CET-1CEST,M3.5.0,M10.5.0/3"; POSIX offsets are west positive. */
static int
parse_rule(struct cron_tz *z, const char *p)
{
	int32_t	 v;

	if ((p = parse_name(p)) == NULL || (p = parse_hms(p, &v)) == NULL)
		return -1;
	z->std = z->dst = -v;
	if (*p == '\0')
		return 0;
	if ((p = parse_name(p)) == NULL)
		return -1;
	z->dst = z->std + 3600;
	if (*p != ',') {
		if ((p = parse_hms(p, &v)) == NULL)
			return -1;
		z->dst = -v;
	}
	if (*p++ != ',' || (p = parse_date(p, &z->start)) == NULL ||
	    *p++ != ',' || (p = parse_date(p, &z->end)) == NULL ||
	    *p != '\0')
		return -1;
	z->has_dst = 1;
	return 0;
}

void
cron_tz_free(struct cron_tz *z)
{
	if (z == NULL)
		return;
	clr_free(z->trans);
	clr_free(z->off);
	clr_free(z);
}

static int
bad(struct clr_err *err, const char *why)
{
	return clr_err_set(err, CLR_ESYNTAX, "not a usable TZif file: %s",
	    why);
}

int
cron_tz_from_tzif(const uint8_t *b, size_t len, struct cron_tz **out,
    struct clr_err *err)
{
	struct cron_tz	*z;
	const uint8_t	*h = b, *p, *types, *idx;
	uint32_t	 isut, isstd, leap, cnt, ntype, nchar, i;
	size_t		 tsz = 4, skip, need;
	char		 foot[128];
	const uint8_t	*nl;

	*out = NULL;
	if (len < 44 || memcmp(b, "TZif", 4) != 0)
		return bad(err, "no TZif header");
	if (b[4] >= '2') {		/* skip the 32-bit block */
		skip = 44 + (size_t)be32(b + 32) * 5 + be32(b + 36) * 6 +
		    be32(b + 40) + (size_t)be32(b + 28) * 8 + be32(b + 24) +
		    be32(b + 20);
		if (skip + 44 > len || memcmp(b + skip, "TZif", 4) != 0)
			return bad(err, "truncated");
		h = b + skip;
		tsz = 8;
	}
	isut = be32(h + 20);
	isstd = be32(h + 24);
	leap = be32(h + 28);
	cnt = be32(h + 32);
	ntype = be32(h + 36);
	nchar = be32(h + 40);
	if (ntype == 0 || ntype > 256 || cnt > 100000 || leap > 100000)
		return bad(err, "bad counts");
	need = (size_t)cnt * (tsz + 1) + (size_t)ntype * 6 + nchar +
	    (size_t)leap * (tsz + 4) + isstd + isut;
	if ((size_t)(h + 44 - b) + need > len)
		return bad(err, "truncated");
	p = h + 44;
	idx = p + (size_t)cnt * tsz;
	types = idx + cnt;
	for (i = 0; i < ntype; i++)
		if (!utoff_ok((int32_t)be32(types + 6 * i)))
			return bad(err, "UTC offset out of range");
	if ((z = clr_calloc(1, sizeof(*z))) == NULL)
		return clr_err_set(err, CLR_ENOMEM, "out of memory");
	if (cnt > 0 && ((z->trans = clr_calloc(cnt, sizeof(int64_t))) ==
	    NULL || (z->off = clr_calloc(cnt, sizeof(int32_t))) == NULL)) {
		cron_tz_free(z);
		return clr_err_set(err, CLR_ENOMEM, "out of memory");
	}
	z->ntrans = cnt;
	for (i = 0; i < cnt; i++) {
		if (idx[i] >= ntype) {
			cron_tz_free(z);
			return bad(err, "bad type index");
		}
		z->trans[i] = tsz == 8 ? be64(p + 8 * i) :
		    (int32_t)be32(p + 4 * i);
		z->off[i] = (int32_t)be32(types + 6 * idx[i]);
		if (i > 0 && z->trans[i] <= z->trans[i - 1]) {
			cron_tz_free(z);
			return bad(err, "transitions out of order");
		}
	}
	z->off0 = (int32_t)be32(types);		/* RFC 8536: type 0 */
	p = h + 44 + need;
	if (tsz == 8 && p < b + len && *p == '\n' &&
	    (nl = memchr(p + 1, '\n', (size_t)(b + len - p - 1))) != NULL &&
	    nl > p + 1) {
		if ((size_t)(nl - p - 1) >= sizeof(foot) ||
		    (memcpy(foot, p + 1, (size_t)(nl - p - 1)),
		    foot[nl - p - 1] = '\0', parse_rule(z, foot) != 0) ||
		    !utoff_ok(z->std) || !utoff_ok(z->dst)) {
			cron_tz_free(z);
			return bad(err, "unsupported footer rule");
		}
		z->has_rule = 1;
	}
	*out = z;
	return 0;
}

static int
name_ok(const char *s)
{
	size_t	 n = strlen(s);

	if (n == 0 || n >= TZ_NAME_MAX || s[0] == '/' ||
	    strstr(s, "..") != NULL)
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		    (*s >= '0' && *s <= '9') || strchr("/_+-", *s) != NULL))
			return 0;
	return 1;
}

int
cron_tz_load(const char *name, struct cron_tz **out, struct clr_err *err)
{
	char		 path[sizeof(TZ_DIR) + TZ_NAME_MAX];
	struct stat	 st;
	uint8_t		*buf;
	size_t		 got = 0;
	ssize_t		 r;
	int		 fd, rc;

	*out = NULL;
	if (name == NULL || !name_ok(name))
		return clr_err_set(err, CLR_EINVAL, "bad time zone name");
	snprintf(path, sizeof(path), "%s%s", TZ_DIR, name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return clr_err_set(err, errno == ENOENT ? CLR_ENOENT : CLR_EIO,
		    "time zone %s: %s", name, strerror(errno));
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > TZ_FILE_MAX) {
		close(fd);
		return clr_err_set(err, CLR_EIO, "time zone %s: not a file",
		    name);
	}
	if ((buf = clr_malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		return clr_err_set(err, CLR_ENOMEM, "out of memory");
	}
	while (got < (size_t)st.st_size) {
		r = read(fd, buf + got, (size_t)st.st_size - got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	rc = cron_tz_from_tzif(buf, got, out, err);
	clr_free(buf);
	return rc;
}
