/* SPDX-License-Identifier: ISC */
/*
 * daemon/clariond.c - the clarion daemon
 *
 * Starts only fully configured: the configuration is validated (segments'
 * SQL included) and the store opened and migrated before the event loop
 * runs, and any failure exits with the sysexits(3) status that says why
 * (78 for a bad configuration). One daemon per database: a second one finds
 * the lock taken and refuses to start.
 *
 * Signals: SIGTERM and SIGINT stop the daemon cleanly; SIGHUP reloads the
 * configuration, and a file that does not validate is refused with its
 * errors while the configuration in force stays.
 *
 * The event loop owns every socket, timer and signal. This file holds the
 * lifecycle and the control socket's commands; the campaign engine
 * (engine.c) does the sending. SIGTERM stops claiming, lets transactions
 * in flight finish (25 s at most, then their connections are closed),
 * records every outcome and exits.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <uv.h>

#include "common.h"
#include "control.h"
#include "engine.h"
#include "log.h"
#include "util/buf.h"

#define STOP_DEADLINE_MS	25000	/* then connections are aborted */

struct daemon {
	uv_loop_t	 loop;
	uv_signal_t	 sigterm;
	uv_signal_t	 sigint;
	uv_signal_t	 sighup;
	const char	*config_path;
	struct config	*cfg;		/* the engine's once it runs */
	struct store	*store;		/* until the engine takes it */
	struct engine	*engine;
	struct control	*control;
	int		 lock_fd;
	int		 stopping;
};

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: clariond [-c FILE] [-l LEVEL]\n\n"
	    "  -c FILE     configuration (default: $CLARION_CONFIG, else %s)\n"
	    "  -l LEVEL    log level: error, warn, info (default), debug\n\n"
	    "To validate a configuration: clarionctl -c FILE check-config\n",
	    CLARION_DEFAULT_CONFIG);
}

/*
 * take_lock - one daemon per database. The lock is an flock(2) on a file
 * beside the database, held for the daemon's life and released by the
 * kernel however the process ends. It records the holder's pid for the
 * message the next one prints.
 */
static int
take_lock(struct daemon *d)
{
	struct buf	 path = BUF_INITIALIZER(4096);
	char		 pid[32];
	ssize_t		 n;
	int		 fd, rc = EXIT_CANTCREAT;

	if (buf_printf(&path, "%s.lock", d->cfg->database) != 0)
		goto out;
	fd = open(path.data, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0) {
		log_error("%s: %s", path.data, strerror(errno));
		goto out;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		n = pread(fd, pid, sizeof(pid) - 1, 0);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		log_error("another clariond (pid %s) is running on %s; "
		    "refusing to start", pid[0] ? pid : "?", d->cfg->database);
		close(fd);
		rc = EXIT_TEMPFAIL;
		goto out;
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n)
		log_warn("%s: cannot record the pid: %s", path.data,
		    strerror(errno));
	d->lock_fd = fd;
	rc = 0;
out:
	buf_free(&path);
	return rc;
}

/*
 * load - the configuration, or NULL after logging why: one error line per
 * problem, so journald keeps each with its level.
 */
static struct config *
load(const char *path)
{
	struct config_diag	 diag = { NULL, 0, 0 };
	struct config		*cfg;
	size_t			 i;

	cfg = config_load_checked(path, &diag);
	for (i = 0; i < diag.n; i++)
		log_error("%s", diag.msgs[i]);
	if (diag.truncated)
		log_error("%s: too many errors; stopped after %d", path,
		    CONFIG_MAX_ERRORS);
	config_diag_free(&diag);
	return cfg;
}

static void
control_closed(void *arg)
{
	struct daemon	*d = arg;

	uv_stop(&d->loop);
}

static void
engine_stopped(void *arg)
{
	struct daemon	*d = arg;

	if (d->control != NULL)
		control_close(d->control, control_closed, d);
	else
		uv_stop(&d->loop);
	d->control = NULL;
}

static void
on_stop(uv_signal_t *h, int signum)
{
	struct daemon	*d = h->data;

	if (d->stopping) {
		log_info("already stopping");
		return;
	}
	d->stopping = 1;
	log_info("%s received; stopping", signum == SIGINT ? "SIGINT" :
	    "SIGTERM");
	engine_stop(d->engine, STOP_DEADLINE_MS, engine_stopped, d);
}

static void
answer(void *arg, int ok, const char *text)
{
	struct control_req	*req = arg;

	if (ok)
		control_reply_ok(req, text);
	else
		control_reply_error(req, "%s", text);
}

/*
 * on_command - one request from the control socket (see
 * docs/control-protocol.md).
 */
static void
on_command(void *arg, struct control_req *req, const char *cmd,
    const struct json_value *v)
{
	struct daemon		*d = arg;
	const struct json_value	*name = json_get(v, "name");

	if (strcmp(cmd, "status") == 0) {
		engine_status(d->engine, answer, req);
		return;
	}
	if (strncmp(cmd, "campaign ", 9) == 0) {
		if (name == NULL || name->type != JSON_STRING ||
		    name->len == 0 || name->len > 64 ||
		    strlen(name->str) != name->len) {
			control_reply_error(req, "%s: \"name\" must be a "
			    "campaign's name", cmd);
			return;
		}
		engine_campaign(d->engine, cmd + 9, name->str, answer, req);
		return;
	}
	control_reply_error(req, "unknown command \"%.64s\" (status, "
	    "campaign start|pause|resume|cancel|show)", cmd);
}

static void
on_reload(uv_signal_t *h, int signum)
{
	struct daemon	*d = h->data;
	struct config	*cfg;
	struct clr_err	 err = { 0, "" };

	(void)signum;
	log_info("SIGHUP received; reloading %s", d->config_path);
	if ((cfg = load(d->config_path)) == NULL) {
		log_error("reload refused: %s does not validate (errors "
		    "above); the previous configuration stays in force",
		    d->config_path);
		return;
	}
	if (strcmp(cfg->database, d->cfg->database) != 0) {
		log_error("reload refused: the database cannot change while "
		    "running (%s -> %s); restart clariond instead",
		    d->cfg->database, cfg->database);
		config_free(cfg);
		return;
	}
	if (strcmp(cfg->control_socket, d->cfg->control_socket) != 0) {
		log_error("reload refused: the control socket cannot change "
		    "while running (%s -> %s); restart clariond instead",
		    d->cfg->control_socket, cfg->control_socket);
		config_free(cfg);
		return;
	}
	if (d->stopping) {
		log_error("reload refused: clariond is stopping");
		config_free(cfg);
		return;
	}
	if (engine_reload(d->engine, cfg, &err) != 0) {
		log_error("reload refused: %s; the previous configuration "
		    "stays in force", err.msg);
		config_free(cfg);
		return;
	}
	d->cfg = cfg;
	log_info("configuration reloaded (%zu lists, %zu themes, %zu "
	    "segments)", cfg->nlists, cfg->nthemes, cfg->nsegments);
}

static void
close_walk(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

static int
run(struct daemon *d)
{
	struct clr_err	 err = { 0, "" };
	struct store	*store;
	struct config	*cfg;
	int		 rc, version, status;

	if ((rc = uv_loop_init(&d->loop)) != 0) {
		log_error("event loop: %s", uv_strerror(rc));
		return EXIT_SOFTWARE;
	}
	uv_signal_init(&d->loop, &d->sigterm);
	uv_signal_init(&d->loop, &d->sigint);
	uv_signal_init(&d->loop, &d->sighup);
	d->sigterm.data = d->sigint.data = d->sighup.data = d;
	uv_signal_start(&d->sigterm, on_stop, SIGTERM);
	uv_signal_start(&d->sigint, on_stop, SIGINT);
	uv_signal_start(&d->sighup, on_reload, SIGHUP);

	version = store_schema_version(d->store);
	store = d->store;
	cfg = d->cfg;
	d->store = NULL;
	if ((d->engine = engine_new(&d->loop, cfg, store, &err)) == NULL) {
		d->cfg = NULL;
		log_error("%s", err.msg);
		status = exit_status(err.code);
		goto out;
	}
	if ((d->control = control_new(&d->loop, cfg->control_socket,
	    on_command, d, &err)) == NULL) {
		log_error("%s", err.msg);
		status = exit_status(err.code);
		goto out;
	}
	log_info("clariond %s ready: database %s (schema %d), control "
	    "socket %s", CLARION_VERSION, cfg->database, version,
	    cfg->control_socket);
	uv_run(&d->loop, UV_RUN_DEFAULT);
	status = 0;
out:
	if (d->control != NULL) {
		control_close(d->control, NULL, NULL);
		d->control = NULL;
	}
	engine_free(d->engine);
	d->engine = NULL;
	d->cfg = NULL;

	/* Close every handle, let their callbacks run, then the loop. */
	uv_walk(&d->loop, close_walk, NULL);
	uv_run(&d->loop, UV_RUN_DEFAULT);
	if ((rc = uv_loop_close(&d->loop)) != 0) {
		log_error("event loop did not close: %s", uv_strerror(rc));
		return EXIT_SOFTWARE;
	}
	if (status == 0)
		log_info("stopped");
	return status;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config",	required_argument, NULL, 'c' },
		{ "log-level",	required_argument, NULL, 'l' },
		{ "help",	no_argument, NULL, 'h' },
		{ "version",	no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	/* The store thread's connection: a modest cache, counted in the
	 * daemon's memory; the snapshot's scan relies on the OS's cache. */
	static const struct store_options sopt = { STORE_CREATE, 0, 0, 2048 };
	struct daemon	 d;
	struct clr_err	 err = { 0, "" };
	const char	*config_opt = NULL;
	int		 c, level, status;

	store_library_init();
	/* A peer that leaves is an EPIPE on its socket, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	/*
	 * One rendering thread per core (libuv's default is 4): more
	 * threads than cores only take turns with the loop, the store
	 * thread and, on a small box, the relay itself.
	 */
	if (getenv("UV_THREADPOOL_SIZE") == NULL) {
		char	 n[24];
		long	 cores = sysconf(_SC_NPROCESSORS_ONLN);

		snprintf(n, sizeof(n), "%ld", cores > 1 ? cores : 1);
		setenv("UV_THREADPOOL_SIZE", n, 1);
	}
	memset(&d, 0, sizeof(d));
	d.lock_fd = -1;
	log_init("clariond", LOG_LEVEL_INFO);
	while ((c = getopt_long(argc, argv, "c:l:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config_opt = optarg;
			break;
		case 'l':
			if ((level = log_level_parse(optarg)) < 0) {
				fprintf(stderr, "clariond: unknown log level "
				    "\"%s\"\n", optarg);
				return EXIT_USAGE;
			}
			log_set_level((enum log_level)level);
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("clariond %s\n", CLARION_VERSION);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	d.config_path = config_path(config_opt);
	if ((d.cfg = load(d.config_path)) == NULL)
		return EXIT_CONFIG;
	if ((status = take_lock(&d)) != 0)
		goto out;
	if ((d.store = store_open(d.cfg->database, &sopt, &err)) == NULL) {
		log_error("%s", err.msg);
		status = exit_status(err.code);
		goto out;
	}
	status = run(&d);
out:
	store_close(d.store);
	config_free(d.cfg);
	if (d.lock_fd >= 0)
		close(d.lock_fd);
	return status;
}
