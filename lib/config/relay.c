/* SPDX-License-Identifier: ISC */
/*
 * config/relay.c - the sections "relays" and "shaping"
 *
 * Where messages go and how fast. A relay is a smarthost with its TLS and
 * AUTH settings, its connection pool and its rate; "shaping" holds the
 * rates shared by all relays (global, per group of recipient domains) and
 * how clarion slows down when a receiver asks it to.
 *
 * Security settings default to the safe side: TLS is required and
 * certificates are verified unless the file says otherwise in so many
 * words ("tls: none", "verify: false", "plaintext: true"), and a setting
 * that could have no effect (a CA file without TLS) is an error rather
 * than silently ignored.
 */
#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr/addr.h"
#include "config.h"
#include "config_impl.h"
#include "util/alloc.h"

#define RATE_MAX	1000000.0	/* messages per second */
#define BURST_MAX	1000000
#define CONNECTIONS_MAX	1000
#define PATTERNS_MAX	64
#define PATTERN_MAX	128	/* as lib/shape takes them */
#define DOMAINS_MAX	1000

static const char *const relay_keys[] = {
	"host", "port", "tls", "verify", "ca_file", "server_name", "helo",
	"auth", "pipelining", "connections", "messages_per_connection",
	"idle_timeout", "reconnect_min", "reconnect_max", "timeouts", "rate",
	"burst", "weight", "backup", NULL
};
static const char *const auth_keys[] = {
	"user", "password_file", "mechanisms", "plaintext", NULL
};
static const char *const timeout_keys[] = {
	"connect", "greeting", "ehlo", "tls", "mail", "rcpt", "data", "body",
	"dot", NULL
};
static const char *const shaping_keys[] = {
	"rate", "burst", "domains", "other_domains", "slow_down", NULL
};
static const char *const group_keys[] = {
	"match", "rate", "burst", "connections", NULL
};
static const char *const other_keys[] = {
	"rate", "burst", "connections", NULL
};
static const char *const slow_down_keys[] = {
	"patterns", "decrease", "floor", "recover_step", "recover_every", NULL
};

/* get_bool - true or false, nothing else (no yes/no/on/off guessing). */
static int
get_bool(struct config__vctx *v, const struct ynode *map, const char *key,
    const char *where, int *out, struct config_mark *mark)
{
	const struct ynode	*n;

	if (config__scalar_at(v, map, key, where, &n) != 0)
		return -1;
	if (n == NULL)
		return 0;
	if (mark != NULL)
		*mark = n->mark;
	if (n->plain && strcmp(n->str, "true") == 0)
		*out = 1;
	else if (n->plain && strcmp(n->str, "false") == 0)
		*out = 0;
	else {
		config__error(v->c, &n->mark, "\"%s\" in %s must be true or "
		    "false, got \"%s\"", key, where, n->str);
		return -1;
	}
	return 0;
}

/*
 * get_duration - "250ms", "30s", "5m", "1h": a whole number and its unit,
 * from min to max ms. *out keeps its default when absent.
 */
static int
get_duration(struct config__vctx *v, const struct ynode *map, const char *key,
    uint32_t min, uint32_t max, const char *where, uint32_t *out)
{
	static const struct config__unit units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
	};
	const struct ynode	*n;
	uint64_t		 ms;
	int			 rc;

	if (config__scalar_at(v, map, key, where, &n) != 0)
		return -1;
	if (n == NULL)
		return 0;
	rc = config__number_unit(n->str, units, sizeof(units) /
	    sizeof(units[0]), UINT64_MAX, &ms);
	if (rc != 0)
		goto bad;
	if (ms < min || ms > max) {
		config__error(v->c, &n->mark, "\"%s\" in %s must be from "
		    "%ums to %ums, got %s", key, where, min, max, n->str);
		return -1;
	}
	*out = (uint32_t)ms;
	return 0;
bad:
	config__error(v->c, &n->mark, "\"%s\" in %s must be a duration such "
	    "as 500ms, 30s, 5m or 1h, got \"%s\"", key, where, n->str);
	return -1;
}

/*
 * get_rate - "100/s", "6000/m", "1.5/s", "20/h": messages per second, more
 * than 0. *out keeps its default (0: no limit) when absent.
 */
static int
get_rate(struct config__vctx *v, const struct ynode *map, const char *key,
    const char *where, double *out)
{
	const struct ynode	*n;
	double			 num, per;
	char			*end;

	if (config__scalar_at(v, map, key, where, &n) != 0)
		return -1;
	if (n == NULL)
		return 0;
	if (n->str[0] < '0' || n->str[0] > '9')
		goto bad;
	num = strtod(n->str, &end);
	if (strcmp(end, "/s") == 0)
		per = 1;
	else if (strcmp(end, "/m") == 0)
		per = 60;
	else if (strcmp(end, "/h") == 0)
		per = 3600;
	else
		goto bad;
	if (!isfinite(num) || num <= 0 || num / per > RATE_MAX) {
		config__error(v->c, &n->mark, "\"%s\" in %s must be more than "
		    "0 and at most %.0f/s, got %s", key, where, RATE_MAX,
		    n->str);
		return -1;
	}
	*out = num / per;
	return 0;
bad:
	config__error(v->c, &n->mark, "\"%s\" in %s must be a rate such as "
	    "100/s, 3000/m or 500/h, got \"%s\"", key, where, n->str);
	return -1;
}

/* get_fraction - a number in (0, 1], as "0.5" or "50%". */
static int
get_fraction(struct config__vctx *v, const struct ynode *map, const char *key,
    const char *where, double *out)
{
	const struct ynode	*n;
	double			 d;
	char			*end;

	if (config__scalar_at(v, map, key, where, &n) != 0)
		return -1;
	if (n == NULL)
		return 0;
	d = strtod(n->str, &end);
	if (end != n->str && strcmp(end, "%") == 0)
		d /= 100;
	else if (end == n->str || *end != '\0')
		d = NAN;
	if (n->str[0] < '0' || n->str[0] > '9' || !isfinite(d) || d <= 0 ||
	    d > 1) {
		config__error(v->c, &n->mark, "\"%s\" in %s must be a fraction "
		    "more than 0 and at most 1, as 0.5 or 50%%, got \"%s\"",
		    key, where, n->str);
		return -1;
	}
	*out = d;
	return 0;
}

/* is_host - a host name (letters, digits, '-', '.') or an IP address. */
static int
is_host(const char *s)
{
	unsigned char	 a[16];

	if (inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1)
		return 1;
	return config__is_label(s) && strlen(s) <= 253;
}

/* get_host - "host" or "server_name": a host name or address literal. */
static int
get_host(struct config__vctx *v, const struct ynode *map,
    const struct config_mark *at, const char *key, int required,
    const char *where, char **out)
{
	struct config_mark	 m;

	if (config__get_str(v, map, at, key, required, 253, where, out,
	    &m) != 0)
		return -1;
	if (*out != NULL && !is_host(*out)) {
		config__error(v->c, &m, "\"%s\" in %s must be a host name or "
		    "an IP address, got \"%s\"", key, where, *out);
		return -1;
	}
	return 0;
}

static int
parse_auth(struct config__vctx *v, const struct ynode *key,
    const struct ynode *auth, struct config_relay *r, const char *relay_where)
{
	const struct ynode	*mechs;
	char			 where[160];
	size_t			 i;
	int			 rc = 0;

	snprintf(where, sizeof(where), "\"auth\" of %s", relay_where);
	if (config__want_kind(v, auth, YNODE_MAP, where) != 0)
		return -1;
	config__check_keys(v, auth, auth_keys, where);
	if (config__get_str(v, auth, &key->mark, "user", 1, 255, where,
	    &r->auth_user, NULL) != 0)
		rc = -1;
	if (config__get_path(v, auth, &key->mark, "password_file", 1, where,
	    &r->auth_password_file, &r->password_mark) != 0)
		rc = -1;
	if (get_bool(v, auth, "plaintext", where, &r->auth_plaintext,
	    NULL) != 0)
		rc = -1;
	mechs = config__map_get(auth, "mechanisms", NULL);
	if (mechs == NULL || config__ynode_is_null(mechs))
		return rc;
	if (mechs->kind != YNODE_SEQ || mechs->nkids == 0) {
		config__error(v->c, &mechs->mark, "\"mechanisms\" in %s must be "
		    "a non-empty sequence of plain and login", where);
		return -1;
	}
	for (i = 0; i < mechs->nkids; i++) {
		const struct ynode	*m = mechs->kids[i];

		if (m->kind == YNODE_SCALAR && strcmp(m->str, "plain") == 0)
			r->auth_mechs |= 1;
		else if (m->kind == YNODE_SCALAR &&
		    strcmp(m->str, "login") == 0)
			r->auth_mechs |= 2;
		else {
			config__error(v->c, &m->mark, "\"mechanisms\" in %s: "
			    "\"%s\" is not one of plain, login", where,
			    m->kind == YNODE_SCALAR ? m->str : "?");
			rc = -1;
		}
	}
	return rc;
}

static int
parse_timeouts(struct config__vctx *v, const struct ynode *t,
    struct config_smtp_timeouts *to, const char *relay_where)
{
	char	 where[160];
	int	 rc = 0;

	snprintf(where, sizeof(where), "\"timeouts\" of %s", relay_where);
	if (config__want_kind(v, t, YNODE_MAP, where) != 0)
		return -1;
	config__check_keys(v, t, timeout_keys, where);
	/* From 1 s (a test) to a day: longer waits only hide a dead peer. */
#define TIMEOUT(key)							\
	if (get_duration(v, t, #key, 1000, 86400000, where, &to->key) != 0) \
		rc = -1
	TIMEOUT(connect);
	TIMEOUT(greeting);
	TIMEOUT(ehlo);
	TIMEOUT(tls);
	TIMEOUT(mail);
	TIMEOUT(rcpt);
	TIMEOUT(data);
	TIMEOUT(body);
	TIMEOUT(dot);
#undef TIMEOUT
	return rc;
}

static int
parse_relay(struct config__vctx *v, const struct ynode *key,
    const struct ynode *val, void *elem)
{
	struct config_relay	*r = elem;
	const struct ynode	*n, *k;
	struct config_mark	 verify_mark = key->mark;
	char			 where[CONFIG__NAME_MAX + 16];
	char			*tls = NULL;
	unsigned		 port = 0;
	int			 rc = 0, verify_set = 0;

	if (config__entry_start(v, "relay", key, &val, relay_keys, where,
	    sizeof(where), &r->name, &r->mark) != 0)
		return -1;
	/* RFC 5321 4.5.3.2 and a day's worth of caution for the others. */
	r->timeouts = (struct config_smtp_timeouts){
		.connect = 30000, .greeting = 300000, .ehlo = 300000,
		.tls = 120000, .mail = 300000, .rcpt = 300000, .data = 120000,
		.body = 180000, .dot = 600000,
	};
	r->verify = 1;
	r->pipelining = 1;
	r->connections = 8;
	r->messages_per_connection = 1000;
	r->idle_timeout = 10000;
	r->reconnect_min = 1000;
	r->reconnect_max = 300000;
	r->weight = 1;

	if (get_host(v, val, &key->mark, "host", 1, where, &r->host) != 0)
		rc = -1;
	if (config__get_str(v, val, &key->mark, "tls", 0, 32, where, &tls,
	    NULL) != 0)
		rc = -1;
	else if (tls == NULL || strcmp(tls, "starttls") == 0)
		r->tls = CONFIG_TLS_STARTTLS;
	else if (strcmp(tls, "implicit") == 0)
		r->tls = CONFIG_TLS_IMPLICIT;
	else if (strcmp(tls, "opportunistic") == 0)
		r->tls = CONFIG_TLS_OPPORTUNISTIC;
	else if (strcmp(tls, "none") == 0)
		r->tls = CONFIG_TLS_NONE;
	else {
		config__error(v->c, &config__map_get(val, "tls", NULL)->mark,
		    "\"tls\" in %s must be starttls, implicit, opportunistic "
		    "or none, got \"%s\"", where, tls);
		rc = -1;
	}
	clr_free(tls);
	if (get_bool(v, val, "verify", where, &r->verify, &verify_mark) != 0)
		rc = -1;
	verify_set = config__map_get(val, "verify", NULL) != NULL;
	if (config__get_path(v, val, &key->mark, "ca_file", 0, where,
	    &r->ca_file, &r->ca_file_mark) != 0)
		rc = -1;
	if (get_host(v, val, &key->mark, "server_name", 0, where,
	    &r->server_name) != 0)
		rc = -1;
	if (get_host(v, val, &key->mark, "helo", 0, where, &r->helo) != 0)
		rc = -1;
	if ((n = config__map_get(val, "auth", &k)) != NULL &&
	    !config__ynode_is_null(n) && parse_auth(v, k, n, r, where) != 0)
		rc = -1;
	if (config__get_uint(v, val, "port", 1, 65535, where, &port) != 0)
		rc = -1;
	if (port == 0)		/* the usual port of each way of relaying */
		port = r->tls == CONFIG_TLS_IMPLICIT ? 465 :
		    r->auth_user != NULL ? 587 : 25;
	r->port = port;
	if (get_bool(v, val, "pipelining", where, &r->pipelining, NULL) != 0)
		rc = -1;
	if (config__get_uint(v, val, "connections", 1, CONNECTIONS_MAX,
	    where, &r->connections) != 0)
		rc = -1;
	if (config__get_uint(v, val, "messages_per_connection", 0, 1000000,
	    where, &r->messages_per_connection) != 0)
		rc = -1;
	if (get_duration(v, val, "idle_timeout", 100, 3600000, where,
	    &r->idle_timeout) != 0)
		rc = -1;
	if (get_duration(v, val, "reconnect_min", 100, 3600000, where,
	    &r->reconnect_min) != 0)
		rc = -1;
	if (get_duration(v, val, "reconnect_max", 100, 86400000, where,
	    &r->reconnect_max) != 0)
		rc = -1;
	if (r->reconnect_max < r->reconnect_min) {
		config__error(v->c, &key->mark, "%s: reconnect_max is shorter "
		    "than reconnect_min", where);
		rc = -1;
	}
	if ((n = config__map_get(val, "timeouts", NULL)) != NULL &&
	    !config__ynode_is_null(n) &&
	    parse_timeouts(v, n, &r->timeouts, where) != 0)
		rc = -1;
	if (get_rate(v, val, "rate", where, &r->rate) != 0)
		rc = -1;
	if (config__get_uint(v, val, "burst", 1, BURST_MAX, where,
	    &r->burst) != 0)
		rc = -1;
	if (config__get_uint(v, val, "weight", 1, 1000, where,
	    &r->weight) != 0)
		rc = -1;
	if (get_bool(v, val, "backup", where, &r->backup, NULL) != 0)
		rc = -1;

	/* Settings that would have no effect are mistakes, not defaults. */
	if (r->tls == CONFIG_TLS_NONE && (verify_set || r->ca_file != NULL ||
	    r->server_name != NULL)) {
		config__error(v->c, &verify_mark, "%s: verify, ca_file and "
		    "server_name need TLS, and tls is none", where);
		rc = -1;
	}
	if (!r->verify && (r->ca_file != NULL || r->server_name != NULL)) {
		config__error(v->c, &verify_mark, "%s: ca_file and "
		    "server_name are only used to verify, and verify is "
		    "false", where);
		rc = -1;
	}
	if (r->tls == CONFIG_TLS_NONE && r->auth_user != NULL &&
	    !r->auth_plaintext) {
		config__error(v->c, &key->mark, "%s: AUTH would go over plain "
		    "text (tls is none); set plaintext: true under auth to "
		    "allow it", where);
		rc = -1;
	}
	if (r->burst != 0 && r->rate == 0) {
		config__error(v->c, &config__map_get(val, "burst",
		    NULL)->mark, "%s: burst needs a rate", where);
		rc = -1;
	}
	if (r->burst == 0 && r->rate > 0)	/* one second's worth */
		r->burst = r->rate < 1 ? 1 : (unsigned)ceil(r->rate);
	return rc;
}

/* parse_limits - rate, burst and connections of a group of domains. */
static int
parse_limits(struct config__vctx *v, const struct ynode *val,
    struct config_domain_group *g, const char *where)
{
	int	 rc = 0;

	if (get_rate(v, val, "rate", where, &g->rate) != 0)
		rc = -1;
	if (config__get_uint(v, val, "burst", 1, BURST_MAX, where,
	    &g->burst) != 0)
		rc = -1;
	if (config__get_uint(v, val, "connections", 1, CONNECTIONS_MAX,
	    where, &g->connections) != 0)
		rc = -1;
	if (g->burst != 0 && g->rate == 0) {
		config__error(v->c, &config__map_get(val, "burst",
		    NULL)->mark, "%s: burst needs a rate", where);
		rc = -1;
	}
	if (g->burst == 0 && g->rate > 0)
		g->burst = g->rate < 1 ? 1 : (unsigned)ceil(g->rate);
	return rc;
}

static int
parse_group(struct config__vctx *v, const struct ynode *key,
    const struct ynode *val, void *elem)
{
	struct config_domain_group	*g = elem;
	const struct ynode		*match;
	char				 where[CONFIG__NAME_MAX + 24];
	char				 probe[ADDR_MAX + 1], norm[ADDR_MAX + 1];
	const char			*why;
	size_t				 i, j;
	int				 n, rc = 0;

	if (config__entry_start(v, "domain group", key, &val, group_keys,
	    where, sizeof(where), &g->name, &g->mark) != 0)
		return -1;
	if (parse_limits(v, val, g, where) != 0)
		rc = -1;
	match = config__map_get(val, "match", NULL);
	if (match == NULL || config__ynode_is_null(match) ||
	    match->kind != YNODE_SEQ || match->nkids == 0 ||
	    match->nkids > DOMAINS_MAX) {
		config__error(v->c, match != NULL ? &match->mark : &key->mark,
		    "%s: \"match\" must be a sequence of 1 to %d domains",
		    where, DOMAINS_MAX);
		return -1;
	}
	if ((g->domains = clr_calloc(match->nkids, sizeof(char *))) == NULL)
		return -1;
	for (i = 0; i < match->nkids; i++) {
		const struct ynode	*d = match->kids[i];

		n = -1;
		if (d->kind == YNODE_SCALAR && !config__ynode_is_null(d))
			n = snprintf(probe, sizeof(probe), "postmaster@%s",
			    d->str);
		if (n < 0 || (size_t)n >= sizeof(probe) ||
		    addr_normalize(probe, (size_t)n, norm, &why) != 0) {
			config__error(v->c, &d->mark, "%s: \"%s\" is not a "
			    "domain name", where, d->kind == YNODE_SCALAR ?
			    d->str : "?");
			rc = -1;
			continue;
		}
		if (config_find_domain_group(v->cfg, addr_domain(norm)) !=
		    &v->cfg->shaping.other) {
			config__error(v->c, &d->mark, "%s: domain %s is already "
			    "in another group", where, addr_domain(norm));
			rc = -1;
			continue;
		}
		for (j = 0; j < g->ndomains; j++)
			if (strcmp(g->domains[j], addr_domain(norm)) == 0)
				break;
		if (j < g->ndomains) {
			config__error(v->c, &d->mark, "%s: domain %s is named "
			    "twice", where, addr_domain(norm));
			rc = -1;
			continue;
		}
		if ((g->domains[g->ndomains] = clr_strdup(addr_domain(norm))) ==
		    NULL)
			return -1;
		g->ndomains++;
	}
	return rc;
}

static int
parse_slow_down(struct config__vctx *v, const struct ynode *sd,
    struct config_shaping *s)
{
	const char		*where = "\"slow_down\" of section \"shaping\"";
	const struct ynode	*pats;
	size_t			 i;
	int			 rc = 0;

	if (config__want_kind(v, sd, YNODE_MAP, where) != 0)
		return -1;
	config__check_keys(v, sd, slow_down_keys, where);
	if (get_fraction(v, sd, "decrease", where, &s->decrease) != 0)
		rc = -1;
	else if (s->decrease >= 1) {
		config__error(v->c, &config__map_get(sd, "decrease",
		    NULL)->mark, "\"decrease\" in %s must be under 1, or "
		    "slowing down would not slow anything", where);
		rc = -1;
	}
	if (get_rate(v, sd, "floor", where, &s->floor) != 0)
		rc = -1;
	if (get_fraction(v, sd, "recover_step", where, &s->recover_step) != 0)
		rc = -1;
	if (get_duration(v, sd, "recover_every", 100, 3600000, where,
	    &s->recover_every) != 0)
		rc = -1;
	pats = config__map_get(sd, "patterns", NULL);
	if (pats == NULL || config__ynode_is_null(pats))
		return rc;
	if (pats->kind != YNODE_SEQ || pats->nkids > PATTERNS_MAX) {
		config__error(v->c, &pats->mark, "\"patterns\" in %s must be a "
		    "sequence of at most %d texts", where, PATTERNS_MAX);
		return -1;
	}
	/* Replaces the built-in list: the file says exactly what it wants. */
	s->slow_down_set = 1;
	if ((s->slow_down = clr_calloc(pats->nkids + 1, sizeof(char *))) ==
	    NULL)
		return -1;
	for (i = 0; i < pats->nkids; i++) {
		const struct ynode	*p = pats->kids[i];

		if (p->kind != YNODE_SCALAR || config__ynode_is_null(p) ||
		    p->len == 0 || p->len > PATTERN_MAX ||
		    strpbrk(p->str, "\r\n") != NULL) {
			config__error(v->c, &p->mark, "items of \"patterns\" in "
			    "%s must be texts of 1 to %d characters on one "
			    "line", where, PATTERN_MAX);
			rc = -1;
			continue;
		}
		if ((s->slow_down[s->nslow_down] = clr_strdup(p->str)) == NULL)
			return -1;
		s->nslow_down++;
	}
	return rc;
}

void
config__parse_shaping(struct config__vctx *v, const struct ynode *root)
{
	struct config_shaping	*s = &v->cfg->shaping;
	const struct ynode	*sec, *n, *f;
	const char		*where = "section \"shaping\"";

	s->decrease = 0.5;
	s->recover_step = 0.1;
	s->recover_every = 10000;
	s->floor = 1.0 / 60;
	if ((s->other.name = clr_strdup("other_domains")) == NULL) {
		config__error(v->c, &root->mark, "out of memory");
		return;
	}

	sec = config__map_get(root, "shaping", NULL);
	if (sec == NULL || config__ynode_is_null(sec))
		return;
	if (config__want_kind(v, sec, YNODE_MAP, where) != 0)
		return;
	config__check_keys(v, sec, shaping_keys, where);
	get_rate(v, sec, "rate", where, &s->rate);
	config__get_uint(v, sec, "burst", 1, BURST_MAX, where, &s->burst);
	if (s->burst != 0 && s->rate == 0)
		config__error(v->c, &config__map_get(sec, "burst",
		    NULL)->mark, "%s: burst needs a rate", where);
	if (s->burst == 0 && s->rate > 0)
		s->burst = s->rate < 1 ? 1 : (unsigned)ceil(s->rate);
	config__for_each_entry(v, sec, "domains", "domain group", 0,
	    sizeof(*s->groups), (void **)&s->groups, &s->ngroups,
	    parse_group);
	if ((n = config__map_get(sec, "other_domains", NULL)) != NULL &&
	    !config__ynode_is_null(n)) {
		const char	*ow = "\"other_domains\" of section \"shaping\"";

		if (config__want_kind(v, n, YNODE_MAP, ow) == 0) {
			config__check_keys(v, n, other_keys, ow);
			s->other.mark = n->mark;
			parse_limits(v, n, &s->other, ow);
		}
	}
	if ((n = config__map_get(sec, "slow_down", NULL)) != NULL &&
	    !config__ynode_is_null(n) && parse_slow_down(v, n, s) == 0 &&
	    (f = config__map_get(n, "floor", NULL)) != NULL &&
	    s->rate > 0 && s->floor > s->rate)
		config__error(v->c, &f->mark, "%s: the slow-down floor is "
		    "above the rate", where);
	/* The default floor never lifts a rate set lower than it. */
	if (s->rate > 0 && s->floor > s->rate)
		s->floor = s->rate;
}

void
config__parse_relays(struct config__vctx *v, const struct ynode *root)
{
	struct config	*cfg = v->cfg;
	size_t		 i;

	if (config__for_each_entry(v, root, "relays", "relay", 0,
	    sizeof(*cfg->relays), (void **)&cfg->relays, &cfg->nrelays,
	    parse_relay) != 0 || cfg->nrelays == 0)
		return;
	for (i = 0; i < cfg->nrelays; i++)
		if (!cfg->relays[i].backup)
			return;
	config__error(v->c, &cfg->relays[0].mark, "every relay is a backup: "
	    "at least one must not be");
}

void
config__free_relays(struct config *cfg)
{
	struct config_shaping	*s = &cfg->shaping;
	size_t			 i, j;

	for (i = 0; i < cfg->nrelays; i++) {
		struct config_relay	*r = &cfg->relays[i];

		clr_free(r->name);
		clr_free(r->host);
		clr_free(r->ca_file);
		clr_free(r->server_name);
		clr_free(r->helo);
		clr_free(r->auth_user);
		clr_free(r->auth_password_file);
	}
	clr_free(cfg->relays);
	for (i = 0; i < s->ngroups; i++) {
		clr_free(s->groups[i].name);
		for (j = 0; j < s->groups[i].ndomains; j++)
			clr_free(s->groups[i].domains[j]);
		clr_free(s->groups[i].domains);
	}
	clr_free(s->groups);
	clr_free(s->other.name);
	for (i = 0; i < s->nslow_down; i++)
		clr_free(s->slow_down[i]);
	clr_free(s->slow_down);
}

const struct config_relay *
config_find_relay(const struct config *cfg, const char *name)
{
	size_t	 i;

	for (i = 0; i < cfg->nrelays; i++)
		if (strcmp(cfg->relays[i].name, name) == 0)
			return &cfg->relays[i];
	return NULL;
}

const struct config_domain_group *
config_find_domain_group(const struct config *cfg, const char *domain)
{
	size_t	 i, j;

	for (i = 0; i < cfg->shaping.ngroups; i++)
		for (j = 0; j < cfg->shaping.groups[i].ndomains; j++)
			if (strcmp(cfg->shaping.groups[i].domains[j],
			    domain) == 0)
				return &cfg->shaping.groups[i];
	return &cfg->shaping.other;
}
