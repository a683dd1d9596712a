/* SPDX-License-Identifier: ISC */
/*
 * config/sending.c - the section "sending" and the key "control_socket"
 *
 * How the daemon sends: the window of claimed but unrecorded sends (what
 * a crash can repeat), the memory rendered messages may take, the
 * frequency cap across campaigns, the retry schedule of deferred sends
 * and when soft bounces suppress a contact. Its durations are whole
 * seconds, written with a unit up to days ("7d"): the relays' parser
 * counts milliseconds in 32 bits, which ends at 49 days.
 *
 * The control socket is a path like the others, but bind(2) takes only
 * what fits in sun_path, so a longer one is refused here, with its
 * position, rather than when the daemon starts.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_impl.h"
#include "util/alloc.h"
#include "util/buf.h"

#define MINUTE		60u
#define HOUR		(60u * MINUTE)
#define DAY		(24u * HOUR)
#define YEAR		(365u * DAY)
#define KIB		1024ull
#define MIB		(1024ull * KIB)
#define GIB		(1024ull * MIB)

#define WINDOW_MAX	1000000
#define CAP_MAX		1000
#define SOFT_MAX	1000
#define RETRY_MAX	32
#define MEMORY_MIN	MIB
#define MEMORY_MAX	(4 * GIB)

/* What bind(2) takes, with the terminating NUL. */
#define SUN_PATH_SIZE	sizeof(((struct sockaddr_un *)0)->sun_path)

static const char *const sending_keys[] = {
	"window", "memory", "frequency_cap", "retry", "max_age",
	"soft_bounces", NULL
};
static const char *const cap_keys[] = { "messages", "period", NULL };
static const char *const soft_keys[] = { "count", "period", NULL };

static const uint32_t default_retry[] = {
	5 * MINUTE, 15 * MINUTE, HOUR, 4 * HOUR, 8 * HOUR
};

/* fmt_seconds - s in the largest unit that holds it whole: "7d", "90s". */
static const char *
fmt_seconds(char *buf, size_t size, uint32_t s)
{
	if (s > 0 && s % DAY == 0)
		snprintf(buf, size, "%ud", (unsigned)(s / DAY));
	else if (s > 0 && s % HOUR == 0)
		snprintf(buf, size, "%uh", (unsigned)(s / HOUR));
	else if (s > 0 && s % MINUTE == 0)
		snprintf(buf, size, "%um", (unsigned)(s / MINUTE));
	else
		snprintf(buf, size, "%us", (unsigned)s);
	return buf;
}

/*
 * parse_seconds - n as "30s", "5m", "1h" or "7d": a whole number and its
 * unit, from min to max seconds. what names n in messages.
 */
static int
parse_seconds(struct config__vctx *v, const struct ynode *n,
    const char *what, uint32_t min, uint32_t max, uint32_t *out)
{
	static const struct config__unit units[] = {
		{ "s", 1 }, { "m", MINUTE }, { "h", HOUR }, { "d", DAY },
	};
	uint64_t	 secs;
	char		 lo[16], hi[16];
	int		 rc;

	if (n->kind != YNODE_SCALAR || config__ynode_is_null(n)) {
		config__error(v->c, &n->mark, "%s must be a duration such as "
		    "30s, 5m, 1h or 7d, got %s", what, config__ynode_type(n));
		return -1;
	}
	rc = config__number_unit(n->str, units, sizeof(units) /
	    sizeof(units[0]), max, &secs);
	if (rc == -1)
		goto bad;
	if (rc != 0 || secs < min) {
		config__error(v->c, &n->mark, "%s must be from %s to %s, "
		    "got %s", what, fmt_seconds(lo, sizeof(lo), min),
		    fmt_seconds(hi, sizeof(hi), max), n->str);
		return -1;
	}
	*out = (uint32_t)secs;
	return 0;
bad:
	config__error(v->c, &n->mark, "%s must be a duration such as 30s, 5m, "
	    "1h or 7d, got \"%s\"", what, n->str);
	return -1;
}

/* get_seconds - the duration at key; *out keeps its default if absent. */
static int
get_seconds(struct config__vctx *v, const struct ynode *map, const char *key,
    uint32_t min, uint32_t max, const char *where, uint32_t *out)
{
	const struct ynode	*n;
	char			 what[160];

	if (config__scalar_at(v, map, key, where, &n) != 0)
		return -1;
	if (n == NULL)
		return 0;
	snprintf(what, sizeof(what), "\"%s\" in %s", key, where);
	return parse_seconds(v, n, what, min, max, out);
}

/*
 * get_size - "33554432", "512KiB", "32MiB", "1GiB": bytes, from min to
 * max. Only binary units: "MB" could mean either, so it is refused.
 */
static int
get_size(struct config__vctx *v, const struct ynode *map, const char *key,
    uint64_t min, uint64_t max, const char *where, uint64_t *out)
{
	static const struct config__unit units[] = {
		{ "", 1 }, { "B", 1 }, { "KiB", KIB }, { "MiB", MIB },
		{ "GiB", GIB },
	};
	const struct ynode	*n;
	uint64_t		 bytes;
	int			 rc;

	if (config__scalar_at(v, map, key, where, &n) != 0)
		return -1;
	if (n == NULL)
		return 0;
	rc = config__number_unit(n->str, units, sizeof(units) /
	    sizeof(units[0]), max, &bytes);
	if (rc == -1)
		goto bad;
	if (rc != 0 || bytes < min) {
		config__error(v->c, &n->mark, "\"%s\" in %s must be from "
		    "%lluMiB to %lluGiB, got %s", key, where,
		    (unsigned long long)(min / MIB),
		    (unsigned long long)(max / GIB), n->str);
		return -1;
	}
	*out = bytes;
	return 0;
bad:
	config__error(v->c, &n->mark, "\"%s\" in %s must be a size such as "
	    "512KiB, 32MiB or 1GiB (in B, KiB, MiB or GiB), got \"%s\"", key,
	    where, n->str);
	return -1;
}

/* require - report key as missing from map (at: the map's key). */
static int
require(struct config__vctx *v, const struct ynode *map,
    const struct config_mark *at, const char *key, const char *where)
{
	const struct ynode	*n;

	n = config__map_get(map, key, NULL);
	if (n != NULL && !config__ynode_is_null(n))
		return 0;
	config__error(v->c, n != NULL ? &n->mark : at, "%s: missing required "
	    "key \"%s\"", where, key);
	return -1;
}

/* parse_retry - the delays before attempt 2, 3...: the last repeats. */
static int
parse_retry(struct config__vctx *v, const struct ynode *seq,
    struct config_sending *s, const char *where)
{
	char	 what[160], got[48];
	size_t	 i;
	int	 rc = 0;

	if (seq->kind != YNODE_SEQ || seq->nkids == 0 ||
	    seq->nkids > RETRY_MAX) {
		if (seq->kind != YNODE_SEQ)
			snprintf(got, sizeof(got), "%s",
			    config__ynode_type(seq));
		else if (seq->nkids == 0)
			snprintf(got, sizeof(got), "an empty sequence");
		else
			snprintf(got, sizeof(got), "%zu of them", seq->nkids);
		config__error(v->c, &seq->mark, "\"retry\" in %s must be a "
		    "sequence of 1 to %d durations, got %s", where, RETRY_MAX,
		    got);
		return -1;
	}
	/* Replaces the default list: the file says exactly what it wants. */
	clr_free(s->retry);
	s->nretry = 0;
	if ((s->retry = clr_calloc(seq->nkids, sizeof(*s->retry))) == NULL) {
		config__error(v->c, &seq->mark, "out of memory");
		return -1;
	}
	for (i = 0; i < seq->nkids; i++) {
		snprintf(what, sizeof(what), "item %zu of \"retry\" in %s",
		    i + 1, where);
		/* Under a second is a loop; over 30 days, a forgotten send. */
		if (parse_seconds(v, seq->kids[i], what, 1, 30 * DAY,
		    &s->retry[s->nretry]) != 0) {
			rc = -1;
			continue;
		}
		s->nretry++;
	}
	return rc;
}

/* parse_cap - at most messages per contact in a rolling period. */
static void
parse_cap(struct config__vctx *v, const struct ynode *k,
    const struct ynode *cap, struct config_sending *s)
{
	const char	*where = "\"frequency_cap\" of section \"sending\"";

	if (config__want_kind(v, cap, YNODE_MAP, where) != 0)
		return;
	config__check_keys(v, cap, cap_keys, where);
	if (require(v, cap, &k->mark, "messages", where) == 0)
		config__get_uint(v, cap, "messages", 1, CAP_MAX, where,
		    &s->cap_messages);
	if (require(v, cap, &k->mark, "period", where) == 0)
		get_seconds(v, cap, "period", MINUTE, YEAR, where,
		    &s->cap_period);
}

/* parse_soft - suppress after count soft bounces within period. */
static void
parse_soft(struct config__vctx *v, const struct ynode *soft,
    struct config_sending *s)
{
	const char		*where;
	const struct ynode	*p;
	int			 rc;

	where = "\"soft_bounces\" of section \"sending\"";
	if (config__want_kind(v, soft, YNODE_MAP, where) != 0)
		return;
	config__check_keys(v, soft, soft_keys, where);
	rc = config__get_uint(v, soft, "count", 0, SOFT_MAX, where,
	    &s->soft_bounces);
	get_seconds(v, soft, "period", MINUTE, YEAR, where, &s->soft_period);
	/* A setting that could have no effect is a mistake, not a default. */
	p = config__map_get(soft, "period", NULL);
	if (rc == 0 && s->soft_bounces == 0 && p != NULL &&
	    !config__ynode_is_null(p))
		config__error(v->c, &p->mark, "%s: period has no effect when "
		    "count is 0 (soft bounces never suppress)", where);
}

static void
parse_section(struct config__vctx *v, const struct ynode *sec,
    struct config_sending *s)
{
	const char		*where = "section \"sending\"";
	const struct ynode	*n, *k, *age, *retry;
	char			 a[16], r[16];
	int			 ok = 1;

	config__check_keys(v, sec, sending_keys, where);
	config__get_uint(v, sec, "window", 1, WINDOW_MAX, where, &s->window);
	get_size(v, sec, "memory", MEMORY_MIN, MEMORY_MAX, where, &s->memory);
	if ((n = config__map_get(sec, "frequency_cap", &k)) != NULL &&
	    !config__ynode_is_null(n))
		parse_cap(v, k, n, s);
	if ((retry = config__map_get(sec, "retry", NULL)) != NULL &&
	    !config__ynode_is_null(retry) &&
	    parse_retry(v, retry, s, where) != 0)
		ok = 0;
	if (get_seconds(v, sec, "max_age", MINUTE, YEAR, where,
	    &s->max_age) != 0)
		ok = 0;
	if ((n = config__map_get(sec, "soft_bounces", NULL)) != NULL &&
	    !config__ynode_is_null(n))
		parse_soft(v, n, s);

	/* "max_age: 3m" for 3d would silently turn every retry off. */
	if (!ok || s->nretry == 0 || s->max_age >= s->retry[0])
		return;
	if ((age = config__map_get(sec, "max_age", NULL)) != NULL &&
	    config__ynode_is_null(age))
		age = NULL;
	config__error(v->c, age != NULL ? &age->mark : retry != NULL ?
	    &retry->mark : &sec->mark,
	    "%s: max_age (%s) is shorter than the first retry delay (%s), "
	    "so no deferred send would ever be retried", where,
	    fmt_seconds(a, sizeof(a), s->max_age),
	    fmt_seconds(r, sizeof(r), s->retry[0]));
}

void
config__parse_sending(struct config__vctx *v, const struct ynode *root)
{
	struct config_sending	*s = &v->cfg->sending;
	const struct ynode	*sec, *k;
	size_t			 i;

	s->window = 1000;
	s->memory = 16 * MIB;
	s->max_age = 3 * DAY;
	s->soft_bounces = 3;
	s->soft_period = 30 * DAY;
	s->retry = clr_calloc(sizeof(default_retry) /
	    sizeof(default_retry[0]), sizeof(*s->retry));
	if (s->retry == NULL) {
		config__error(v->c, &root->mark, "out of memory");
		return;
	}
	for (i = 0; i < sizeof(default_retry) / sizeof(default_retry[0]); i++)
		s->retry[s->nretry++] = default_retry[i];

	sec = config__map_get(root, "sending", &k);
	if (sec == NULL || config__ynode_is_null(sec) ||
	    config__want_kind(v, sec, YNODE_MAP, "section \"sending\"") != 0)
		return;
	s->mark = k->mark;
	parse_section(v, sec, s);
}

/*
 * config__parse_control_socket - "control_socket", or the database's path
 * + ".sock": one socket per database, found without being told. Its mark
 * is the database's when it is the default.
 */
void
config__parse_control_socket(struct config__vctx *v, const struct ynode *root)
{
	static const char *const db_files[] = {
		"", "-wal", "-shm", "-journal"
	};
	struct config	*cfg = v->cfg;
	struct buf	 b = BUF_INITIALIZER(SUN_PATH_SIZE * 2);
	const char	*where = "the top level";
	size_t		 i, len;

	if (config__get_path(v, root, &root->mark, "control_socket", 0, where,
	    &cfg->control_socket, &cfg->control_socket_mark) != 0)
		return;
	if (cfg->control_socket == NULL) {
		if (cfg->database == NULL)
			return;		/* reported */
		cfg->control_socket_mark = cfg->database_mark;
		if (buf_printf(&b, "%s.sock", cfg->database) != 0) {
			buf_free(&b);
			config__error(v->c, &cfg->database_mark, "the control "
			    "socket's path (the database's + \".sock\") is "
			    "too long; set control_socket to a shorter one");
			return;
		}
		if ((cfg->control_socket = buf_steal(&b)) == NULL) {
			config__error(v->c, &root->mark, "out of memory");
			return;
		}
		len = strlen(cfg->control_socket);
		if (len >= SUN_PATH_SIZE)
			config__error(v->c, &cfg->database_mark, "the control "
			    "socket's path %s (the database's + \".sock\") is "
			    "%zu bytes long, but a socket's path holds at most "
			    "%zu; set control_socket to a shorter one",
			    cfg->control_socket, len, SUN_PATH_SIZE - 1);
		return;
	}

	len = strlen(cfg->control_socket);
	if (len == 0 || cfg->control_socket[len - 1] == '/') {
		config__error(v->c, &cfg->control_socket_mark,
		    "\"control_socket\" in %s must name a file, not a folder",
		    where);
		return;
	}
	if (len >= SUN_PATH_SIZE) {
		config__error(v->c, &cfg->control_socket_mark,
		    "\"control_socket\" in %s: the path %s is %zu bytes long, "
		    "but a socket's path holds at most %zu; use a shorter one",
		    where, cfg->control_socket, len, SUN_PATH_SIZE - 1);
		return;
	}
	/* The daemon replaces a stale socket there: never a database file. */
	for (i = 0; cfg->database != NULL &&
	    i < sizeof(db_files) / sizeof(db_files[0]); i++) {
		len = strlen(cfg->database);
		if (strncmp(cfg->control_socket, cfg->database, len) == 0 &&
		    strcmp(cfg->control_socket + len, db_files[i]) == 0) {
			config__error(v->c, &cfg->control_socket_mark,
			    "\"control_socket\" in %s is a file of the "
			    "database (%s)", where, cfg->control_socket);
			return;
		}
	}
}

void
config__free_sending(struct config *cfg)
{
	clr_free(cfg->sending.retry);
	clr_free(cfg->control_socket);
}
