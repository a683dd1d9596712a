/* SPDX-License-Identifier: ISC */
/*
 * daemon/ctl_daemon.c - clarionctl status, campaign: ask the running daemon
 *
 * One request line, one answer line over clariond's control socket
 * (docs/control-protocol.md), all within ASK_TIMEOUT_MS. With --json the
 * answer is printed as it came; otherwise a view for people of whatever
 * members it has: any may be missing or null, and is then left out.
 * Strings from the daemon never reach the terminal with a control
 * character in them.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "table.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/utf8.h"

#define ASK_TIMEOUT_MS	30000
#define ANSWER_MAX	(16u << 20)	/* bytes; a status is far smaller */
#define LABEL_WIDTH	20

static int64_t
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* put_safe - s with control characters as '?', as table.c shows them. */
static void
put_safe(FILE *fp, const char *s)
{
	for (; *s != '\0'; s++)
		putc((unsigned char)*s < 0x20 || *s == 0x7F ? '?' : *s, fp);
}

/*
 * socket_path - --socket, else the configuration's control_socket (the
 * configuration kept in *cfg for the caller to free). NULL after saying
 * why on stderr, with *status set.
 */
static const char *
socket_path(const struct ctl_globals *g, struct config **cfg, int *status)
{
	struct config_diag	 diag = { NULL, 0, 0 };
	const char		*path;
	size_t			 i;

	if (g->socket != NULL)
		return g->socket;
	/* Only the path is needed: not the full check of ctl_load. */
	path = config_path(g->config);
	*cfg = config_load(path, &diag);
	for (i = 0; i < diag.n; i++)
		fprintf(stderr, "%s\n", diag.msgs[i]);
	config_diag_free(&diag);
	if (*cfg == NULL) {
		fprintf(stderr, "clarionctl: without a configuration, name "
		    "clariond's socket with --socket PATH\n");
		*status = EXIT_CONFIG;
		return NULL;
	}
	if ((*cfg)->control_socket == NULL) {
		fprintf(stderr, "clarionctl: %s names no control socket; name "
		    "it with --socket PATH\n", (*cfg)->path);
		*status = EXIT_CONFIG;
	}
	return (*cfg)->control_socket;
}

/* wait_fd - poll fd for events until the deadline: 1 ready, 0 time up. */
static int
wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd	 pfd;
	int64_t		 left;
	int		 n;

	for (;;) {
		if ((left = deadline - now_ms()) <= 0)
			return 0;
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		n = poll(&pfd, 1, (int)left);
		if (n > 0)
			return 1;
		if (n < 0 && errno != EINTR)
			return -1;
	}
}

/*
 * ask - send req (one line, newline included) to clariond at path and
 * read its answer line into ans, newline dropped. 0 or an exit status,
 * after saying why on stderr.
 */
static int
ask(const char *path, const char *req, struct buf *ans)
{
	struct sockaddr_un	 sun;
	struct timeval		 tv;
	int64_t			 deadline = now_ms() + ASK_TIMEOUT_MS;
	size_t			 len = strlen(req), off = 0, scanned = 0;
	ssize_t			 n;
	char			*nl;
	int			 fd, status = EXIT_UNAVAILABLE, r;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "clarionctl: control socket %s: the path is "
		    "longer than %zu bytes\n", path, sizeof(sun.sun_path) - 1);
		return EXIT_USAGE;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		fprintf(stderr, "clarionctl: socket: %s\n", strerror(errno));
		return EXIT_SOFTWARE;
	}
	/* A daemon whose backlog is full makes connect wait: not forever. */
	tv.tv_sec = ASK_TIMEOUT_MS / 1000;
	tv.tv_usec = 0;
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		if (errno == EAGAIN || errno == EINPROGRESS ||
		    errno == ETIMEDOUT) {
			fprintf(stderr, "clarionctl: clariond at %s does not "
			    "accept connections (too busy?)\n", path);
			status = EXIT_TEMPFAIL;
		} else
			fprintf(stderr, "clarionctl: cannot connect to "
			    "clariond's control socket %s: %s (is clariond "
			    "running?)\n", path, strerror(errno));
		goto out;
	}
	while (off < len) {
		n = send(fd, req + off, len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			fprintf(stderr, "clarionctl: clariond at %s does not "
			    "read its requests (too busy?)\n", path);
			status = EXIT_TEMPFAIL;
			goto out;
		}
		if (n < 0) {
			fprintf(stderr, "clarionctl: sending to clariond at "
			    "%s: %s\n", path, strerror(errno));
			goto out;
		}
		off += (size_t)n;
	}
	for (;;) {
		if ((r = wait_fd(fd, POLLIN, deadline)) <= 0) {
			if (r == 0) {
				fprintf(stderr, "clarionctl: no answer from "
				    "clariond at %s within %d s\n", path,
				    ASK_TIMEOUT_MS / 1000);
				status = EXIT_TEMPFAIL;
			} else
				fprintf(stderr, "clarionctl: poll: %s\n",
				    strerror(errno));
			goto out;
		}
		if (buf_reserve(ans, 4096) != 0) {
			fprintf(stderr, "clarionctl: clariond at %s answered "
			    "more than %u bytes on a line\n", path,
			    ANSWER_MAX);
			status = EXIT_SOFTWARE;
			goto out;
		}
		n = recv(fd, ans->data + ans->len, ans->cap - ans->len - 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "clarionctl: clariond at %s closed the "
			    "connection without answering%s%s\n", path,
			    n < 0 ? ": " : "", n < 0 ? strerror(errno) : "");
			goto out;
		}
		ans->len += (size_t)n;
		ans->data[ans->len] = '\0';
		if ((nl = memchr(ans->data + scanned, '\n', ans->len -
		    scanned)) != NULL) {
			buf_truncate(ans, (size_t)(nl - ans->data));
			status = 0;
			goto out;
		}
		scanned = ans->len;
	}
out:
	close(fd);
	return status;
}

/*
 * request - ask clariond req and check its answer: 0 with the answer in
 * *out (an object, "ok" true) for the caller to show, unless --json,
 * where it is printed as is (and *out NULL); otherwise an exit status
 * after saying why (1: clariond said no).
 */
static int
request(const struct ctl_globals *g, const char *req,
    struct json_value **out)
{
	struct config		*cfg = NULL;
	struct json_value	*v = NULL;
	const struct json_value	*ok, *error;
	struct buf		 ans = BUF_INITIALIZER(ANSWER_MAX);
	struct clr_err		 err = { 0, "" };
	const char		*path;
	int			 status = 0;

	*out = NULL;
	if ((path = socket_path(g, &cfg, &status)) == NULL)
		goto done;
	if ((status = ask(path, req, &ans)) != 0)
		goto done;
	if (json_parse(ans.data, ans.len, &v, &err) != 0 ||
	    v->type != JSON_OBJECT || (ok = json_get(v, "ok")) == NULL ||
	    (ok->type != JSON_TRUE && ok->type != JSON_FALSE)) {
		fprintf(stderr, "clarionctl: clariond at %s answered what the "
		    "protocol does not allow%s%s\n", path,
		    err.msg[0] != '\0' ? ": " : "", err.msg);
		status = EXIT_SOFTWARE;
		goto done;
	}
	if (g->json)
		printf("%s\n", ans.data);
	if (ok->type == JSON_FALSE) {
		error = json_get(v, "error");
		fputs("clarionctl: ", stderr);
		put_safe(stderr, error != NULL && error->type == JSON_STRING ?
		    error->str : "clariond refused the request");
		fputc('\n', stderr);
		status = 1;
		goto done;
	}
	if (!g->json) {
		*out = v;
		v = NULL;
	}
done:
	json_free(v);
	buf_free(&ans);
	config_free(cfg);
	return status;
}

/* text - a scalar member as text (numbers as written), or NULL. */
static const char *
text(const struct json_value *obj, const char *key)
{
	const struct json_value	*v = json_get(obj, key);

	if (v == NULL)
		return NULL;
	switch (v->type) {
	case JSON_NUMBER:
	case JSON_STRING:
		return v->str;
	case JSON_TRUE:
		return "true";
	case JSON_FALSE:
		return "false";
	default:
		return NULL;	/* null, or not a scalar */
	}
}

/* number - a number member in *d: 1, or 0 if there is none. */
static int
number(const struct json_value *obj, const char *key, double *d)
{
	const struct json_value	*v = json_get(obj, key);

	if (v == NULL || v->type != JSON_NUMBER)
		return 0;
	*d = strtod(v->str, NULL);
	return 1;
}

/* fmt_duration - seconds as h:mm:ss; "" if not a number of seconds. */
static void
fmt_duration(const struct json_value *obj, const char *key, char *out,
    size_t size)
{
	double		 d;
	uint64_t	 s;

	out[0] = '\0';
	if (!number(obj, key, &d) || !(d >= 0 && d < 1e15))
		return;
	s = (uint64_t)(d + 0.5);
	snprintf(out, size, "%" PRIu64 ":%02u:%02u", s / 3600,
	    (unsigned)(s / 60 % 60), (unsigned)(s % 60));
}

/* fmt_time - a Unix time as UTC; "" if not one. */
static void
fmt_time(const struct json_value *obj, const char *key, char *out,
    size_t size)
{
	struct tm	 tm;
	time_t		 t;
	double		 d;

	out[0] = '\0';
	if (!number(obj, key, &d) || !(d >= 0 && d < 1e11))
		return;
	t = (time_t)d;
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, size, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		out[0] = '\0';
}

/* fmt_rate - messages a second, one decimal; "" if not a number. */
static void
fmt_rate(const struct json_value *obj, const char *key, char *out,
    size_t size)
{
	double	 d;

	out[0] = '\0';
	if (number(obj, key, &d))
		snprintf(out, size, "%.1f", d);
}

/* fmt_bytes - a byte count in B, KiB, MiB or GiB; "" if not a number. */
static void
fmt_bytes(const struct json_value *obj, const char *key, char *out,
    size_t size)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double		 d;
	size_t		 u = 0;

	out[0] = '\0';
	if (!number(obj, key, &d))
		return;
	while (d >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		d /= 1024;
		u++;
	}
	snprintf(out, size, u == 0 ? "%.0f %s" : "%.1f %s", d, units[u]);
}

/* line - "label   value" if value is there. */
static void
line(const char *label, const char *value, const char *unit)
{
	if (value == NULL || value[0] == '\0')
		return;
	printf("%-*s ", LABEL_WIDTH, label);
	put_safe(stdout, value);
	if (unit != NULL)
		printf(" %s", unit);
	putchar('\n');
}

/* show_campaign - a run: what it is, then its counts, right-aligned. */
static void
show_campaign(const struct json_value *c)
{
	static const struct {
		const char	*key, *label;
	} counts[] = {
		{ "total", "total" },
		{ "pending", "pending" },
		{ "sending", "sending" },
		{ "sent", "sent" },
		{ "deferred", "deferred" },
		{ "bounced_hard", "bounced (hard)" },
		{ "bounced_soft", "bounced (soft)" },
		{ "failed", "failed" },
		{ "skipped", "skipped" },
		{ "skipped_capped", "  frequency cap" },
		{ "possible_duplicates", "possible duplicates" },
	};
	char		 s[64];
	const char	*v;
	size_t		 i, w = 1;
	int		 any = 0;

	line("campaign", text(c, "name"), NULL);
	line("run", text(c, "run"), NULL);
	line("state", text(c, "state"), NULL);
	line("segment", text(c, "segment"), NULL);
	fmt_time(c, "started_at", s, sizeof(s));
	line("started", s, NULL);
	fmt_time(c, "finished_at", s, sizeof(s));
	line("finished", s, NULL);
	fmt_rate(c, "rate", s, sizeof(s));
	line("rate", s, "msgs/s");
	fmt_duration(c, "eta", s, sizeof(s));
	line("ETA", s, NULL);
	fmt_time(c, "next_attempt_at", s, sizeof(s));
	line("next attempt", s, NULL);
	for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
		if ((v = text(c, counts[i].key)) != NULL && strlen(v) > w)
			w = strlen(v);
	for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		if ((v = text(c, counts[i].key)) == NULL)
			continue;
		if (!any++)
			putchar('\n');
		/* Right-aligned: the padding, then the value made safe. */
		printf("%-*s %*s", LABEL_WIDTH, counts[i].label,
		    (int)(w - strlen(v)), "");
		put_safe(stdout, v);
		putchar('\n');
	}
}

int
ctl_campaign(const struct ctl_command *cmd, struct ctl_globals *g, int argc,
    char **argv)
{
	static const char *const verbs[] = {
		"start", "pause", "resume", "cancel", "show"
	};
	struct json_value		*v = NULL;
	const struct json_value		*c;
	struct buf			 req = BUF_INITIALIZER(1 << 16);
	size_t				 i;
	int				 status;

	if (argc != 3)
		return ctl_help(cmd, stderr);
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(argv[1], verbs[i]) == 0)
			break;
	if (i == sizeof(verbs) / sizeof(verbs[0]))
		return ctl_help(cmd, stderr);
	if (argv[2][0] == '\0' || !utf8_valid(argv[2], strlen(argv[2]),
	    NULL)) {
		fprintf(stderr, "clarionctl: a campaign name is UTF-8 text, "
		    "not empty\n");
		return EXIT_USAGE;
	}
	if (buf_printf(&req, "{\"cmd\":\"campaign %s\",\"name\":",
	    verbs[i]) != 0 ||
	    json_put_string(&req, argv[2], strlen(argv[2])) != 0 ||
	    buf_puts(&req, "}\n") != 0) {
		fprintf(stderr, "clarionctl: the campaign name is too long\n");
		buf_free(&req);
		return EXIT_USAGE;
	}
	status = request(g, req.data, &v);
	buf_free(&req);
	if (status != 0 || v == NULL)
		goto out;
	if ((c = json_get(v, "campaign")) != NULL && c->type == JSON_OBJECT)
		show_campaign(c);
	else
		printf("done\n");
out:
	json_free(v);
	if (fflush(stdout) != 0 && status == 0)
		status = EXIT_IOERR;
	return status;
}

/* campaign_row - one active campaign in the status table. */
static int
campaign_row(struct table *t, const struct json_value *c)
{
	char		 rate[32], eta[32];
	const char	*cells[9];

	fmt_rate(c, "rate", rate, sizeof(rate));
	fmt_duration(c, "eta", eta, sizeof(eta));
	cells[0] = text(c, "name");
	cells[1] = text(c, "run");
	cells[2] = text(c, "state");
	cells[3] = text(c, "sent");
	cells[4] = text(c, "total");
	cells[5] = text(c, "pending");
	cells[6] = text(c, "deferred");
	cells[7] = rate;
	cells[8] = eta;
	return table_add(t, cells);
}

/* show_pool - the pool's scalar members on one line, as they come. */
static void
show_pool(const struct json_value *pool)
{
	const struct json_value	*m;
	size_t			 i;
	int			 any = 0;

	for (i = 0; i < json_len(pool); i++) {
		m = pool->members[i].value;
		if (m->type != JSON_NUMBER && m->type != JSON_STRING)
			continue;
		fputs(any++ ? ", " : "pool: ", stdout);
		put_safe(stdout, pool->members[i].key);
		putchar(' ');
		put_safe(stdout, m->str);
	}
	if (any)
		putchar('\n');
}

static void
show_status(const struct json_value *v)
{
	static const char *const headers[] = {
		"campaign", "run", "state", "sent", "total", "pending",
		"deferred", "msgs/s", "ETA"
	};
	const struct json_value	*q, *camps, *pool;
	struct table		*t;
	char			 s[64], b[32];
	const char		*x;
	size_t			 i;

	fputs("clariond", stdout);
	if ((x = text(v, "version")) != NULL) {
		putchar(' ');
		put_safe(stdout, x);
	}
	if ((x = text(v, "pid")) != NULL) {
		fputs(", pid ", stdout);
		put_safe(stdout, x);
	}
	fmt_duration(v, "uptime", s, sizeof(s));
	if (s[0] != '\0')
		printf(", up %s", s);
	putchar('\n');
	if ((q = json_get(v, "queue")) != NULL && q->type == JSON_OBJECT) {
		fputs("queue:", stdout);
		if ((x = text(q, "claimed")) != NULL) {
			fputs(" claimed ", stdout);
			put_safe(stdout, x);
		}
		if ((x = text(q, "ready")) != NULL) {
			fputs(", ready ", stdout);
			put_safe(stdout, x);
			fmt_bytes(q, "ready_bytes", b, sizeof(b));
			if (b[0] != '\0')
				printf(" (%s)", b);
		}
		if ((x = text(q, "window")) != NULL) {
			fputs(", window ", stdout);
			put_safe(stdout, x);
		}
		fmt_bytes(q, "memory", b, sizeof(b));
		if (b[0] != '\0')
			printf(", memory %s", b);
		putchar('\n');
	}
	if ((x = text(v, "possible_duplicates")) != NULL &&
	    strcmp(x, "0") != 0) {
		fputs("possible duplicates (sends a crash left unrecorded): ",
		    stdout);
		put_safe(stdout, x);
		putchar('\n');
	}
	if ((pool = json_get(v, "pool")) != NULL && pool->type == JSON_OBJECT)
		show_pool(pool);
	camps = json_get(v, "campaigns");
	if (camps == NULL || camps->type != JSON_ARRAY)
		return;
	if (json_len(camps) == 0) {
		printf("no active campaign\n");
		return;
	}
	if ((t = table_new(sizeof(headers) / sizeof(headers[0]),
	    headers)) == NULL)
		return;
	for (i = 0; i < json_len(camps); i++)
		if (json_item(camps, i)->type == JSON_OBJECT &&
		    campaign_row(t, json_item(camps, i)) != 0)
			break;
	putchar('\n');
	table_print(t, stdout);
	table_free(t);
}

int
ctl_status(const struct ctl_command *cmd, struct ctl_globals *g, int argc,
    char **argv)
{
	struct json_value	*v = NULL;
	int			 status;

	if (argc != 1)
		return ctl_help(cmd, stderr);
	if ((status = request(g, "{\"cmd\":\"status\"}\n", &v)) == 0 &&
	    v != NULL)
		show_status(v);
	json_free(v);
	if (fflush(stdout) != 0 && status == 0)
		status = EXIT_IOERR;
	return status;
}
