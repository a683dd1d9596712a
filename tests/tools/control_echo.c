/* SPDX-License-Identifier: ISC */
/*
 * tests/tools/control_echo.c - the control socket on its own, for tests
 *
 *	control_echo [-d] SOCKET
 *
 * Runs daemon/control.c on a libuv loop with a handler that knows:
 *
 *	echo	answers {"ok":true,...} with every member of the request
 *	slow	the same, after "ms" milliseconds (default 200): a request
 *		answered after later ones, to check the order of answers
 *	fail	answers {"ok":false,"error":MESSAGE}, MESSAGE the request's
 *		"message" string passed through control_reply_error
 *	quit	answers {"ok":true}, then closes the socket and exits
 *
 * and refuses any other command. Prints READY on standard output once
 * listening and CLOSED when control_close has reported; SIGTERM and
 * SIGINT quit too. Exit status 0 after a clean close (every handle
 * closed), 1 when the socket cannot be made, 2 for a usage error. -d logs
 * at debug level on standard error.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "control.h"
#include "log.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/json.h"

struct echo {
	uv_loop_t	*loop;
	struct control	*ctl;
	uv_signal_t	 sigterm;
	uv_signal_t	 sigint;
	int		 quitting;
	int		 closed;
};

struct slow {
	uv_timer_t		 timer;
	struct control_req	*req;
	char			*members;
};

static void
usage(void)
{
	fprintf(stderr, "usage: control_echo [-d] SOCKET\n");
	exit(2);
}

/* members - the request's members as JSON text; NULL without memory. */
static char *
members(const struct json_value *req)
{
	struct buf	 b = BUF_INITIALIZER(BUF_MAX_LIMIT);
	size_t		 i;
	int		 rc = buf_puts(&b, "");

	for (i = 0; rc == 0 && i < req->len; i++) {
		if (i > 0)
			rc = buf_putc(&b, ',');
		if (rc == 0)
			rc = json_put_string(&b, req->members[i].key,
			    req->members[i].keylen);
		if (rc == 0)
			rc = buf_putc(&b, ':');
		if (rc == 0)
			rc = json_write(&b, req->members[i].value);
	}
	if (rc != 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

static void
closed(void *arg)
{
	struct echo	*e = arg;

	e->closed = 1;
	printf("CLOSED\n");
	fflush(stdout);
}

static void
quit(struct echo *e)
{
	if (e->quitting)
		return;
	e->quitting = 1;
	control_close(e->ctl, closed, e);
	uv_close((uv_handle_t *)&e->sigterm, NULL);
	uv_close((uv_handle_t *)&e->sigint, NULL);
}

static void
on_signal(uv_signal_t *s, int signo)
{
	(void)signo;
	quit(s->data);
}

static void
slow_closed(uv_handle_t *h)
{
	struct slow	*s = h->data;

	clr_free(s->members);
	clr_free(s);
}

static void
slow_fired(uv_timer_t *t)
{
	struct slow	*s = t->data;

	control_reply_ok(s->req, s->members);
	uv_close((uv_handle_t *)&s->timer, slow_closed);
}

static void
handler(void *arg, struct control_req *r, const char *cmd,
    const struct json_value *req)
{
	struct echo		*e = arg;
	const struct json_value	*v;
	struct slow		*s;
	char			*m;
	long			 ms = 200;

	if (strcmp(cmd, "echo") == 0) {
		if ((m = members(req)) == NULL) {
			control_reply_error(r, "out of memory");
			return;
		}
		control_reply_ok(r, m);
		clr_free(m);
	} else if (strcmp(cmd, "slow") == 0) {
		v = json_get(req, "ms");
		if (v != NULL && v->type == JSON_NUMBER)
			ms = strtol(v->str, NULL, 10);
		if (ms < 0 || ms > 60000) {
			control_reply_error(r, "ms: %ld is not 0 to 60000", ms);
			return;
		}
		if ((s = clr_calloc(1, sizeof(*s))) == NULL ||
		    (s->members = members(req)) == NULL) {
			clr_free(s);
			control_reply_error(r, "out of memory");
			return;
		}
		s->req = r;
		uv_timer_init(e->loop, &s->timer);
		s->timer.data = s;
		uv_timer_start(&s->timer, slow_fired, (uint64_t)ms, 0);
	} else if (strcmp(cmd, "fail") == 0) {
		v = json_get(req, "message");
		control_reply_error(r, "%s", v != NULL &&
		    v->type == JSON_STRING ? v->str : "no message");
	} else if (strcmp(cmd, "quit") == 0) {
		control_reply_ok(r, NULL);
		quit(e);
	} else
		control_reply_error(r, "unknown command \"%s\"", cmd);
}

int
main(int argc, char *argv[])
{
	struct clr_err	 err = { 0, "" };
	struct echo	 e;
	uv_loop_t	 loop;
	int		 ch, debug = 0, rc;

	while ((ch = getopt(argc, argv, "d")) != -1) {
		switch (ch) {
		case 'd':
			debug = 1;
			break;
		default:
			usage();
		}
	}
	if (optind + 1 != argc)
		usage();
	log_init("control_echo", debug ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO);
	/* A client may leave before its answer is written. */
	signal(SIGPIPE, SIG_IGN);

	memset(&e, 0, sizeof(e));
	uv_loop_init(&loop);
	e.loop = &loop;
	if ((e.ctl = control_new(&loop, argv[optind], handler, &e,
	    &err)) == NULL) {
		fprintf(stderr, "control_echo: %s\n", err.msg);
		uv_loop_close(&loop);
		return 1;
	}
	uv_signal_init(&loop, &e.sigterm);
	uv_signal_init(&loop, &e.sigint);
	e.sigterm.data = &e;
	e.sigint.data = &e;
	uv_signal_start(&e.sigterm, on_signal, SIGTERM);
	uv_signal_start(&e.sigint, on_signal, SIGINT);
	printf("READY\n");
	fflush(stdout);

	uv_run(&loop, UV_RUN_DEFAULT);
	if ((rc = uv_loop_close(&loop)) != 0) {
		fprintf(stderr, "control_echo: the loop still has handles: "
		    "%s\n", uv_strerror(rc));
		return 1;
	}
	if (!e.closed) {
		fprintf(stderr, "control_echo: closed() was never called\n");
		return 1;
	}
	return 0;
}
