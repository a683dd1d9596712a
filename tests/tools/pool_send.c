/* SPDX-License-Identifier: ISC */
/*
 * tests/tools/pool_send.c - send messages through the pool, print verdicts
 *
 * The pool (daemon/pool.c) on its own, for the integration tests and the
 * benchmark: it reads the relays and shaping of a configuration file,
 * submits every message at once, runs the loop until each has its
 * verdict, and prints one line per message on standard output:
 *
 *	INDEX KIND REASON OUTCOME STAGE CODE STATUS RELAY AMBIGUOUS TEXT
 *
 * (CODE 0 and STATUS "-" when there was no reply; TEXT the reply's text
 * on one line). A summary goes to standard error: the counts by kind,
 * the wall-clock and CPU time from the first submit to the last verdict,
 * messages a second and CPU microseconds a message. Exit status 0 when
 * every message had its verdict before the deadline (-T, 600 s by
 * default), 1 otherwise, 2 for a usage error. At the deadline the queue
 * is deferred and the messages in flight have 5 s more; then their
 * connections are aborted.
 *
 * The messages are built before the clock starts: either -n COUNT
 * messages of -s SIZE octets (headers and 76-column lines), or one per
 * file of -d DIR in name order, sent as they are. With -8, a message
 * whose body has an octet over 127 is marked eightbit (BODY=8BITMIME, or
 * refused before sending by a relay without 8BITMIME); without it no
 * message is, whatever its body holds. With -r RING only RING distinct
 * messages are built, and the COUNT messages take their bodies in turn
 * (each keeps its own recipient): the daemon holds a bounded queue of
 * rendered messages, never a whole campaign, and neither does this.
 */
#include <sys/resource.h>
#include <sys/time.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "config/config.h"
#include "log.h"
#include "pool.h"
#include "util/alloc.h"
#include "util/buf.h"

#define GRACE_MS	5000	/* for the messages in flight, at the end */

struct job {
	struct pool_msg	 m;
	size_t		 index;
	char		*rcpt;
	char		*body;
	int		 done;
};

struct run {
	struct pool	*pool;
	struct job	*jobs;
	size_t		 njobs;
	size_t		 ndone;
	size_t		 counts[VERDICT_KIND_LAST];
	size_t		 ambiguous;
	int		 quiet;
	int		 stopping;
	int		 gave_up;
	uv_timer_t	 deadline;
	uv_signal_t	 sigint;
};

static void
usage(void)
{
	fprintf(stderr, "usage: pool_send -c CONFIG [-n COUNT -s SIZE | "
	    "-d DIR]\n"
	    "\t[-8] [-f FROM] [-t RCPT] [-k DOMAINS] [-r RING] [-T SECONDS] "
	    "[-S STATUS] [-q] [-v]\n"
	    "  RCPT may hold %%n (the message's index) and %%d (the index "
	    "modulo DOMAINS)\n");
	exit(2);
}

/* expand - RCPT with %n and %d replaced. */
static char *
expand(const char *fmt, size_t index, size_t domains)
{
	struct buf	 b;
	const char	*p;

	buf_init(&b, 4096);
	for (p = fmt; *p != '\0'; p++) {
		if (p[0] == '%' && p[1] == 'n') {
			buf_printf(&b, "%zu", index);
			p++;
		} else if (p[0] == '%' && p[1] == 'd') {
			buf_printf(&b, "%zu", index % domains);
			p++;
		} else
			buf_append(&b, p, 1);
	}
	if (buf_append(&b, "", 1) != 0) {
		fprintf(stderr, "pool_send: out of memory\n");
		exit(1);
	}
	return buf_steal(&b);
}

/* filler - size octets of 76-column text lines, built once. */
static const char *
filler(size_t size)
{
	static char	*text;
	static size_t	 len;
	static const char line[] = "Lorem ipsum dolor sit amet, consectetur "
	    "adipiscing elit, sed do eiusmod tem.\r\n";
	size_t		 i;

	if (text != NULL && len >= size)
		return text;
	clr_free(text);
	if ((text = clr_malloc(size + sizeof(line))) == NULL) {
		fprintf(stderr, "pool_send: out of memory\n");
		exit(1);
	}
	for (i = 0; i < size; i += sizeof(line) - 1)
		memcpy(text + i, line, sizeof(line) - 1);
	len = size;
	return text;
}

/*
 * synth - a message of size octets (or its headers, if more): headers,
 * then 76-column lines, the last one cut short to fit.
 */
static char *
synth(const char *from, const char *rcpt, size_t index, size_t size,
    size_t *len)
{
	struct buf	 b;
	size_t		 room;

	buf_init(&b, BUF_MAX_LIMIT);
	if (buf_reserve(&b, size + 512) != 0 ||
	    buf_printf(&b, "From: <%s>\r\nTo: <%s>\r\nSubject: message "
	    "%zu\r\nMessage-ID: <%zu.pool-send@clarion.test>\r\n"
	    "MIME-Version: 1.0\r\nContent-Type: text/plain; "
	    "charset=us-ascii\r\n\r\n", from, rcpt, index, index) != 0) {
		fprintf(stderr, "pool_send: out of memory\n");
		exit(1);
	}
	if (size > b.len + 2) {
		room = size - b.len - 2;
		buf_append(&b, filler(room), room);
		if (b.data[b.len - 1] == '\r')	/* no bare CR */
			b.data[b.len - 1] = 'x';
		buf_append(&b, "\r\n", 2);
	}
	buf_append(&b, "", 1);
	*len = b.len - 1;
	return buf_steal(&b);
}

static char *
slurp(const char *path, size_t *len)
{
	struct buf	 b;
	char		 chunk[65536];
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_RDONLY)) == -1) {
		fprintf(stderr, "pool_send: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	buf_init(&b, BUF_MAX_LIMIT);
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		if (buf_append(&b, chunk, (size_t)n) != 0)
			break;
	close(fd);
	if (n != 0 || buf_append(&b, "", 1) != 0) {
		fprintf(stderr, "pool_send: %s: cannot read\n", path);
		exit(1);
	}
	*len = b.len - 1;
	return buf_steal(&b);
}

/* has_8bit - whether the n octets at p hold one over 127. */
static int
has_8bit(const char *p, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if ((unsigned char)p[i] > 127)
			return 1;
	return 0;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* list_dir - the regular files' names of dir, sorted; count in *n. */
static char **
list_dir(const char *dir, size_t *n)
{
	DIR		*d;
	struct dirent	*e;
	char		**names = NULL;
	size_t		 cap = 0;

	*n = 0;
	if ((d = opendir(dir)) == NULL) {
		fprintf(stderr, "pool_send: %s: %s\n", dir, strerror(errno));
		exit(1);
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 1024;
			if ((names = clr_reallocarray(names, cap,
			    sizeof(*names))) == NULL)
				exit(1);
		}
		names[*n] = clr_malloc(strlen(dir) + strlen(e->d_name) + 2);
		if (names[*n] == NULL)
			exit(1);
		sprintf(names[(*n)++], "%s/%s", dir, e->d_name);
	}
	closedir(d);
	qsort(names, *n, sizeof(*names), by_name);
	return names;
}

/* one_line - text with its newlines and controls as spaces. */
static void
print_text(const char *t)
{
	const unsigned char	*p;

	if (t == NULL || *t == '\0') {
		fputs("-", stdout);
		return;
	}
	for (p = (const unsigned char *)t; *p != '\0'; p++)
		putchar(*p < 0x20 || *p == 0x7f ? ' ' : *p);
}

static void	 deadline(uv_timer_t *);
static void	 stop(struct run *);

static void
result(void *arg, struct pool_msg *m, const struct pool_result *res)
{
	struct run	*run = arg;
	struct job	*j = m->udata;

	if (j->done) {
		fprintf(stderr, "pool_send: message %zu has two results\n",
		    j->index);
		abort();
	}
	j->done = 1;
	run->ndone++;
	run->counts[res->verdict.kind]++;
	if (res->verdict.ambiguous)
		run->ambiguous++;
	if (!run->quiet) {
		printf("%zu %s %s %s %s %d %s %s %d ", j->index,
		    verdict_name(res->verdict.kind),
		    verdict_reason_name(res->verdict.reason),
		    smtp_outcome_name(res->outcome),
		    smtp_stage_name(res->stage), res->reply.code,
		    res->reply.status[0] != '\0' ? res->reply.status : "-",
		    res->relay != NULL ? res->relay : "-",
		    res->verdict.ambiguous);
		print_text(res->reply.text);
		putchar('\n');
	}
	if (run->ndone == run->njobs && !run->stopping)
		stop(run);
}

/* stopped - the pool's last connection closed: the loop may end. */
static void
stopped(void *arg)
{
	struct run	*run = arg;

	if (!uv_is_closing((uv_handle_t *)&run->deadline))
		uv_close((uv_handle_t *)&run->deadline, NULL);
	if (!uv_is_closing((uv_handle_t *)&run->sigint))
		uv_close((uv_handle_t *)&run->sigint, NULL);
}

/*
 * stop - let the messages in flight finish and the connections QUIT,
 * for GRACE_MS at most: then the deadline aborts them.
 */
static void
stop(struct run *run)
{
	run->stopping = 1;
	uv_timer_start(&run->deadline, deadline, GRACE_MS, 0);
	pool_stop(run->pool, stopped, run);
}

static void
give_up(struct run *run, const char *why)
{
	if (run->stopping)
		return;
	fprintf(stderr, "pool_send: %s: stopping with %zu of %zu messages "
	    "done\n", why, run->ndone, run->njobs);
	run->gave_up = 1;
	stop(run);
}

static void
deadline(uv_timer_t *t)
{
	struct run	*run = t->data;

	if (!run->stopping) {
		give_up(run, "time is up");
		return;
	}
	fprintf(stderr, "pool_send: the connections did not close in time: "
	    "aborting them\n");
	run->gave_up = 1;
	pool_abort(run->pool, "aborted: pool_send's time is up");
}

static void
interrupted(uv_signal_t *s, int signo)
{
	(void)signo;
	give_up(s->data, "interrupted");
}

static double
cpu_seconds(void)
{
	struct rusage	 ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void
free_jobs(struct run *run)
{
	size_t	 i;

	for (i = 0; i < run->njobs; i++) {
		clr_free(run->jobs[i].rcpt);
		clr_free(run->jobs[i].body);
	}
	clr_free(run->jobs);
}

int
main(int argc, char *argv[])
{
	struct config_diag	 diag = { 0 };
	struct clr_err		 err = { 0, "" };
	struct config		*cfg;
	struct run		 run;
	uv_loop_t		 loop;
	const char		*config = NULL, *dir = NULL, *status = NULL;
	const char		*from = "sender@clarion.test";
	const char		*rcpt = "user%n@example.com";
	char			**files = NULL;
	size_t			 count = 0, size = 12288, domains = 1, i;
	size_t			 ring = 0;
	unsigned long		 seconds = 600;
	uint64_t		 t0, t1;
	double			 c0, c1, wall;
	int			 ch, verbose = 0, eightbit = 0, rc;

	memset(&run, 0, sizeof(run));
	while ((ch = getopt(argc, argv, "8c:d:f:k:n:qr:s:S:t:T:v")) != -1) {
		switch (ch) {
		case '8':
			eightbit = 1;
			break;
		case 'c':
			config = optarg;
			break;
		case 'd':
			dir = optarg;
			break;
		case 'f':
			from = optarg;
			break;
		case 'k':
			domains = strtoul(optarg, NULL, 10);
			break;
		case 'n':
			count = strtoul(optarg, NULL, 10);
			break;
		case 'q':
			run.quiet = 1;
			break;
		case 'r':
			ring = strtoul(optarg, NULL, 10);
			break;
		case 's':
			size = strtoul(optarg, NULL, 10);
			break;
		case 'S':
			status = optarg;
			break;
		case 't':
			rcpt = optarg;
			break;
		case 'T':
			seconds = strtoul(optarg, NULL, 10);
			break;
		case 'v':
			verbose++;
			break;
		default:
			usage();
		}
	}
	if (config == NULL || (dir == NULL && count == 0) || domains == 0 ||
	    seconds == 0 || optind != argc)
		usage();
	log_init("pool_send", verbose > 1 ? LOG_LEVEL_DEBUG : verbose ?
	    LOG_LEVEL_INFO : LOG_LEVEL_WARN);
	signal(SIGPIPE, SIG_IGN);

	if ((cfg = config_load(config, &diag)) == NULL) {
		for (i = 0; i < diag.n; i++)
			fprintf(stderr, "%s\n", diag.msgs[i]);
		config_diag_free(&diag);
		return 1;
	}
	if (dir != NULL) {
		files = list_dir(dir, &count);
		ring = 0;
	}
	if ((run.jobs = clr_calloc(count ? count : 1,
	    sizeof(*run.jobs))) == NULL)
		return 1;
	run.njobs = count;
	for (i = 0; i < count; i++) {
		struct job	*j = &run.jobs[i];

		j->index = i;
		j->rcpt = expand(rcpt, i, domains);
		if (files != NULL) {
			j->body = slurp(files[i], &j->m.len);
			clr_free(files[i]);
		} else if (ring == 0 || i < ring)
			j->body = synth(from, j->rcpt, i, size, &j->m.len);
		j->m.from = from;
		j->m.rcpt = j->rcpt;
		if (ring > 0 && i >= ring) {	/* a body built already */
			j->m.body = run.jobs[i % ring].body;
			j->m.len = run.jobs[i % ring].m.len;
		} else
			j->m.body = j->body;
		j->m.eightbit = eightbit && has_8bit(j->m.body, j->m.len);
		j->m.udata = j;
	}
	clr_free(files);

	uv_loop_init(&loop);
	if ((run.pool = pool_new(&loop, cfg, result, &run, &err)) == NULL) {
		fprintf(stderr, "pool_send: %s\n", err.msg);
		uv_loop_close(&loop);
		free_jobs(&run);
		config_free(cfg);
		return 1;
	}
	uv_timer_init(&loop, &run.deadline);
	run.deadline.data = &run;
	uv_timer_start(&run.deadline, deadline, seconds * 1000, 0);
	uv_signal_init(&loop, &run.sigint);
	run.sigint.data = &run;
	uv_signal_start(&run.sigint, interrupted, SIGINT);

	c0 = cpu_seconds();
	t0 = uv_hrtime();
	for (i = 0; i < count; i++)
		pool_submit(run.pool, &run.jobs[i].m);
	if (count == 0)
		give_up(&run, "nothing to send");
	uv_run(&loop, UV_RUN_DEFAULT);
	t1 = uv_hrtime();
	c1 = cpu_seconds();

	if (status != NULL) {
		struct buf	 b;
		FILE		*f;

		buf_init(&b, BUF_MAX_LIMIT);
		if (pool_status_json(run.pool, &b) != 0 ||
		    (f = fopen(status, "w")) == NULL) {
			fprintf(stderr, "pool_send: %s: cannot write\n",
			    status);
			run.gave_up = 1;
		} else {
			fwrite(b.data, 1, b.len, f);
			fputc('\n', f);
			fclose(f);
		}
		buf_free(&b);
	}
	pool_free(run.pool);
	uv_run(&loop, UV_RUN_DEFAULT);	/* the pool's closing handles */
	rc = uv_loop_close(&loop);

	wall = (double)(t1 - t0) / 1e9;
	fprintf(stderr, "pool_send: %zu messages: sent %zu deferred %zu "
	    "bounced-hard %zu bounced-soft %zu ambiguous %zu\n", count,
	    run.counts[VERDICT_SENT], run.counts[VERDICT_DEFERRED],
	    run.counts[VERDICT_BOUNCED_HARD], run.counts[VERDICT_BOUNCED_SOFT],
	    run.ambiguous);
	fprintf(stderr, "pool_send: %.3f s, %.0f msgs/s, cpu %.3f s, "
	    "%.1f us cpu/msg\n", wall, wall > 0 ? count / wall : 0.0,
	    c1 - c0, count ? (c1 - c0) * 1e6 / count : 0.0);

	free_jobs(&run);
	config_free(cfg);
	if (rc != 0) {
		fprintf(stderr, "pool_send: handles left open on the loop\n");
		return 1;
	}
	return run.ndone == count && !run.gave_up ? 0 : 1;
}
