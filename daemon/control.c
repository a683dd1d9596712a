/* SPDX-License-Identifier: ISC */
/*
 * daemon/control.c - the control socket: one JSON object per line each way
 *
 * A listener (a socket we bind and listen on ourselves, so that every
 * failure comes before a handle exists) and one uv_pipe_t per client.
 * Each client has a queue of its requests in the order they came; an
 * answer waits in its request until every earlier one is answered, then
 * goes to the socket. What a client may make the daemon hold is bounded:
 * its unparsed input (CONTROL_MAX_LINE and one read), its requests not
 * yet answered or not yet handed to the socket (REQS_MAX: there, reading
 * stops until answers go out) and its unsent answer bytes
 * (CONTROL_MAX_PENDING: past it, the client is dropped).
 *
 * Lifetimes: a client struct lives while its handle is open or any of its
 * requests exists (refs). A request the handler has not answered when its
 * client goes is taken out of the queue and kept; its answer is dropped.
 * The control struct lives until its last handle (listener, kick, each
 * client's) is closed; a client whose handle is closed no longer points
 * to it.
 *
 * Writes go through write(2): the program must ignore SIGPIPE, as a
 * client may leave before its answer is written.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "control.h"
#include "log.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/utf8.h"

#define READ_CHUNK	16384
#define REQS_MAX	64	/* per client: unanswered or unsent */
#define BACKLOG		128

struct control_req {
	TAILQ_ENTRY(control_req) entry;
	uv_write_t		 wreq;
	struct control_client	*client;
	char			*text;	/* the answer line; NULL: none yet */
	size_t			 len;	/* of text, then of what uv writes */
};

TAILQ_HEAD(control_req_queue, control_req);

struct control_client {
	TAILQ_ENTRY(control_client) entry;
	struct control		*ctl;	/* NULL once the handle is closed */
	uv_pipe_t		 pipe;
	unsigned		 id;	/* for the log */
	int			 refs;	/* the handle, each request */
	struct control_req_queue reqs;	/* not handed to the socket yet */
	unsigned		 nreqs;
	size_t			 unsent;	/* bytes in uv_write requests */
	struct buf		 in;	/* read, not processed yet */
	int			 reading;
	int			 paused;	/* nreqs at REQS_MAX */
	int			 resume;	/* process at the next kick */
	int			 eof;
	int			 finishing;	/* close once answers are out */
	int			 closing;	/* uv_close called */
	int			 refused;	/* not counted in nclients */
};

struct control {
	uv_loop_t		*loop;
	uv_pipe_t		 listener;
	uv_idle_t		 kick;
	char			*path;
	dev_t			 dev;	/* of the socket file we made */
	ino_t			 ino;
	control_handler_fn	*handler;
	void			*arg;
	TAILQ_HEAD(, control_client) clients;
	unsigned		 nclients;
	unsigned		 serial;
	int			 handles;
	int			 closing;
	void			(*closed)(void *);
	void			*closed_arg;
};

static void	client_process(struct control_client *);
static void	alloc_cb(uv_handle_t *, size_t, uv_buf_t *);
static void	read_cb(uv_stream_t *, ssize_t, const uv_buf_t *);
static void	kick_cb(uv_idle_t *);

static void
control_free(struct control *ctl)
{
	clr_free(ctl->path);
	clr_free(ctl);
}

/* handle_closed - one handle of ctl less; the last one ends it. */
static void
handle_closed(struct control *ctl)
{
	void	(*closed)(void *) = ctl->closed;
	void	*arg = ctl->closed_arg;

	if (--ctl->handles > 0)
		return;
	control_free(ctl);
	if (closed != NULL)
		closed(arg);
}

static void
own_handle_closed(uv_handle_t *h)
{
	handle_closed(h->data);
}

static void
client_unref(struct control_client *c)
{
	if (--c->refs > 0)
		return;
	buf_free(&c->in);
	clr_free(c);
}

static void
req_free(struct control_req *r)
{
	struct control_client	*c = r->client;

	clr_free(r->text);
	clr_free(r);
	client_unref(c);
}

static void
client_closed(uv_handle_t *h)
{
	struct control_client	*c = h->data;
	struct control		*ctl = c->ctl;

	TAILQ_REMOVE(&ctl->clients, c, entry);
	c->ctl = NULL;
	log_debug("control: client %u disconnected", c->id);
	client_unref(c);
	handle_closed(ctl);
}

/*
 * client_close - drop the connection now. Answers not written are
 * dropped; requests the handler has not answered are detached (out of
 * the queue, alive until answered).
 */
static void
client_close(struct control_client *c)
{
	struct control_req	*r, *next;

	if (c->closing)
		return;
	c->closing = 1;
	c->resume = 0;
	for (r = TAILQ_FIRST(&c->reqs); r != NULL; r = next) {
		next = TAILQ_NEXT(r, entry);
		TAILQ_REMOVE(&c->reqs, r, entry);
		if (r->text != NULL)
			req_free(r);
	}
	c->nreqs = 0;
	if (!c->refused)
		c->ctl->nclients--;
	/* Pending writes are cancelled: their callbacks come first. */
	uv_close((uv_handle_t *)&c->pipe, client_closed);
}

/* client_done - a finishing client whose answers are all out goes. */
static void
client_done(struct control_client *c)
{
	if (c->finishing && !c->closing && c->nreqs == 0 && c->unsent == 0)
		client_close(c);
}

static void
write_done(uv_write_t *w, int status)
{
	struct control_req	*r = w->data;
	struct control_client	*c = r->client;

	c->unsent -= r->len;
	/* c outlives r: the handle's close callback comes after this. */
	req_free(r);
	if (c->closing)
		return;
	if (status < 0) {
		log_debug("control: client %u: write: %s", c->id,
		    uv_strerror(status));
		client_close(c);
		return;
	}
	client_done(c);
}

/* client_send - r's answer to the socket; 0, or -1 if c was closed. */
static int
client_send(struct control_client *c, struct control_req *r)
{
	uv_buf_t	 b;
	size_t		 off = 0;
	int		 n;

	if (c->unsent == 0) {
		b = uv_buf_init(r->text, (unsigned)r->len);
		n = uv_try_write((uv_stream_t *)&c->pipe, &b, 1);
		if (n >= 0 && (size_t)n == r->len) {
			req_free(r);
			return 0;
		}
		if (n > 0)
			off = (size_t)n;
		else if (n != UV_EAGAIN && n != UV_ENOSYS) {
			log_debug("control: client %u: write: %s", c->id,
			    uv_strerror(n));
			req_free(r);
			client_close(c);
			return -1;
		}
	}
	b = uv_buf_init(r->text + off, (unsigned)(r->len - off));
	r->wreq.data = r;
	if ((n = uv_write(&r->wreq, (uv_stream_t *)&c->pipe, &b, 1,
	    write_done)) < 0) {
		log_debug("control: client %u: write: %s", c->id,
		    uv_strerror(n));
		req_free(r);
		client_close(c);
		return -1;
	}
	r->len -= off;
	c->unsent += r->len;
	return 0;
}

/* client_flush - the answers at the head of the queue, in order. */
static void
client_flush(struct control_client *c)
{
	struct control_req	*r;

	while (!c->closing && (r = TAILQ_FIRST(&c->reqs)) != NULL &&
	    r->text != NULL) {
		TAILQ_REMOVE(&c->reqs, r, entry);
		c->nreqs--;
		if (client_send(c, r) != 0)
			return;
	}
	if (c->closing)
		return;
	if (c->unsent > CONTROL_MAX_PENDING) {
		log_warn("control: client %u does not read its answers "
		    "(%zu bytes unsent); disconnecting it", c->id, c->unsent);
		client_close(c);
		return;
	}
	if (c->paused && c->nreqs < REQS_MAX && !c->resume) {
		/* Not from here: the handler may be the one calling. */
		c->resume = 1;
		uv_idle_start(&c->ctl->kick, kick_cb);
	}
	client_done(c);
}

/* req_answer - r's answer is b's text (rc: how building it went). */
static void
req_answer(struct control_req *r, struct buf *b, int rc)
{
	struct control_client	*c = r->client;
	size_t			 len = b->len;

	if (c->closing) {	/* the client left: drop it */
		buf_free(b);
		req_free(r);
		return;
	}
	if (rc != 0 || (r->text = buf_steal(b)) == NULL) {
		log_error("control: client %u: no memory for an answer; "
		    "disconnecting it", c->id);
		buf_free(b);
		client_close(c);	/* detaches r */
		req_free(r);
		return;
	}
	r->len = len;
	client_flush(c);
}

void
control_reply_ok(struct control_req *r, const char *members)
{
	struct buf	 b = BUF_INITIALIZER(BUF_MAX_LIMIT);
	int		 rc;

	rc = buf_puts(&b, "{\"ok\":true");
	if (rc == 0 && members != NULL && members[0] != '\0')
		rc = buf_printf(&b, ",%s", members);
	if (rc == 0)
		rc = buf_puts(&b, "}\n");
	req_answer(r, &b, rc);
}

/* put_text - s as a JSON string, any byte that is not UTF-8 as '?'. */
static int
put_text(struct buf *b, const char *s, size_t n)
{
	struct buf	 t = BUF_INITIALIZER(BUF_MAX_LIMIT);
	size_t		 i = 0, k, bad;
	int		 rc = 0;

	if (utf8_valid(s, n, NULL))
		return json_put_string(b, s, n);
	while (rc == 0 && i < n) {
		if (utf8_valid(s + i, n - i, &bad))
			bad = n - i;
		k = bad;
		if ((rc = buf_append(&t, s + i, k)) == 0 && i + k < n)
			rc = buf_putc(&t, '?');
		i += k + 1;
	}
	if (rc == 0)
		rc = json_put_string(b, t.data, t.len);
	buf_free(&t);
	return rc;
}

void
control_reply_error(struct control_req *r, const char *fmt, ...)
{
	struct buf	 b = BUF_INITIALIZER(BUF_MAX_LIMIT);
	struct buf	 msg = BUF_INITIALIZER(BUF_MAX_LIMIT);
	va_list		 ap;
	int		 rc;

	va_start(ap, fmt);
	rc = buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	if (rc == 0)
		rc = buf_puts(&b, "{\"ok\":false,\"error\":");
	if (rc == 0)
		rc = put_text(&b, msg.data != NULL ? msg.data : "", msg.len);
	if (rc == 0)
		rc = buf_puts(&b, "}\n");
	buf_free(&msg);
	req_answer(r, &b, rc);
}

/* req_new - a request of c, queued; NULL (c closed) without memory. */
static struct control_req *
req_new(struct control_client *c)
{
	struct control_req	*r;

	if ((r = clr_calloc(1, sizeof(*r))) == NULL) {
		log_error("control: client %u: out of memory; disconnecting "
		    "it", c->id);
		client_close(c);
		return NULL;
	}
	r->client = c;
	c->refs++;
	TAILQ_INSERT_TAIL(&c->reqs, r, entry);
	c->nreqs++;
	return r;
}

/* is_blank - a line of nothing but JSON whitespace. */
static int
is_blank(const char *p, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			return 0;
	return 1;
}

/* client_line - one request line (newline excluded). */
static void
client_line(struct control_client *c, const char *p, size_t n)
{
	struct control_req	*r;
	struct json_value	*v;
	const struct json_value	*cmd;
	struct clr_err		 err = { 0, "" };
	int			 rc;

	if (is_blank(p, n))
		return;
	if ((r = req_new(c)) == NULL)
		return;
	if ((rc = json_parse(p, n, &v, &err)) != 0) {
		control_reply_error(r, "request is not valid JSON: %s",
		    err.msg[0] != '\0' ? err.msg : clr_strerror(rc));
		return;
	}
	cmd = json_get(v, "cmd");
	if (v->type != JSON_OBJECT)
		control_reply_error(r, "request is not a JSON object");
	else if (cmd == NULL || cmd->type != JSON_STRING)
		control_reply_error(r, "request has no \"cmd\" string member");
	else if (strlen(cmd->str) != cmd->len)
		control_reply_error(r, "\"cmd\" holds a NUL character");
	else
		c->ctl->handler(c->ctl->arg, r, cmd->str, v);
	json_free(v);
}

/* client_too_long - a line past CONTROL_MAX_LINE: say so and leave. */
static void
client_too_long(struct control_client *c)
{
	struct control_req	*r;

	log_warn("control: client %u sent a request line longer than %d "
	    "bytes; disconnecting it", c->id, CONTROL_MAX_LINE);
	c->finishing = 1;
	buf_free(&c->in);
	if (c->reading) {
		uv_read_stop((uv_stream_t *)&c->pipe);
		c->reading = 0;
	}
	if ((r = req_new(c)) != NULL)
		control_reply_error(r, "request line longer than %d bytes",
		    CONTROL_MAX_LINE);
}

/*
 * client_process - the whole lines read, while the client may queue
 * requests; then read on, or stop until answers go out.
 */
static void
client_process(struct control_client *c)
{
	struct buf	*in = &c->in;
	size_t		 off = 0, n;
	const char	*p, *nl;

	c->paused = 0;
	while (!c->closing && !c->finishing && c->nreqs < REQS_MAX &&
	    off < in->len) {
		p = in->data + off;
		if ((nl = memchr(p, '\n', in->len - off)) == NULL)
			break;
		n = (size_t)(nl - p);
		if (n + 1 > CONTROL_MAX_LINE) {
			client_too_long(c);
			return;
		}
		off += n + 1;
		client_line(c, p, n);
	}
	if (c->closing || c->finishing)
		return;
	if (off > 0) {
		memmove(in->data, in->data + off, in->len - off);
		buf_truncate(in, in->len - off);
	}
	if (c->nreqs >= REQS_MAX) {
		c->paused = 1;
		if (c->reading) {
			uv_read_stop((uv_stream_t *)&c->pipe);
			c->reading = 0;
		}
		return;
	}
	if (in->len >= CONTROL_MAX_LINE) {
		client_too_long(c);
		return;
	}
	if (c->eof) {
		/* A last line without its newline is a request too. */
		if (in->len > 0) {
			client_line(c, in->data, in->len);
			buf_truncate(in, 0);
		}
		c->finishing = 1;
		client_done(c);
		return;
	}
	if (!c->reading) {
		if (uv_read_start((uv_stream_t *)&c->pipe, alloc_cb,
		    read_cb) < 0) {
			client_close(c);
			return;
		}
		c->reading = 1;
	}
}

/* kick_cb - resume the clients that answers made room for. */
static void
kick_cb(uv_idle_t *h)
{
	struct control		*ctl = h->data;
	struct control_client	*c;

	uv_idle_stop(h);
	TAILQ_FOREACH(c, &ctl->clients, entry) {
		if (!c->resume)
			continue;
		c->resume = 0;
		if (!c->closing && !c->finishing)
			client_process(c);
	}
}

static void
alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
	struct control_client	*c = h->data;
	struct buf		*in = &c->in;

	(void)suggested;
	if (buf_reserve(in, READ_CHUNK) != 0) {
		*b = uv_buf_init(NULL, 0);	/* read_cb hears UV_ENOBUFS */
		return;
	}
	*b = uv_buf_init(in->data + in->len, (unsigned)(in->cap - in->len -
	    1));
}

static void
read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct control_client	*c = s->data;

	(void)b;
	if (c->closing)
		return;
	if (n > 0) {
		c->in.len += (size_t)n;
		c->in.data[c->in.len] = '\0';
		client_process(c);
		return;
	}
	if (n == 0)
		return;
	uv_read_stop(s);
	c->reading = 0;
	if (n == UV_EOF) {
		c->eof = 1;
		client_process(c);
		return;
	}
	if (n == UV_ENOBUFS)
		log_error("control: client %u: out of memory; disconnecting "
		    "it", c->id);
	else
		log_debug("control: client %u: read: %s", c->id,
		    uv_strerror((int)n));
	client_close(c);
}

static void
on_connection(uv_stream_t *server, int status)
{
	struct control		*ctl = server->data;
	struct control_client	*c;
	struct control_req	*r;
	int			 rc;

	if (status < 0) {
		log_warn("control: accepting a client: %s",
		    uv_strerror(status));
		return;
	}
	if (ctl->closing)
		return;
	if ((c = clr_calloc(1, sizeof(*c))) == NULL) {
		log_error("control: out of memory for a client");
		return;
	}
	c->ctl = ctl;
	c->id = ++ctl->serial;
	c->refs = 1;
	TAILQ_INIT(&c->reqs);
	buf_init(&c->in, CONTROL_MAX_LINE + READ_CHUNK);
	uv_pipe_init(ctl->loop, &c->pipe, 0);
	c->pipe.data = c;
	ctl->handles++;
	TAILQ_INSERT_TAIL(&ctl->clients, c, entry);
	if (ctl->nclients >= CONTROL_MAX_CLIENTS)
		c->refused = 1;
	else
		ctl->nclients++;
	if ((rc = uv_accept(server, (uv_stream_t *)&c->pipe)) < 0) {
		log_warn("control: accepting a client: %s", uv_strerror(rc));
		client_close(c);
		return;
	}
	if (c->refused) {
		log_warn("control: %d clients already; refusing client %u",
		    CONTROL_MAX_CLIENTS, c->id);
		c->finishing = 1;
		if ((r = req_new(c)) != NULL)
			control_reply_error(r, "too many clients");
		return;
	}
	log_debug("control: client %u connected", c->id);
	client_process(c);
}

/*
 * check_path - path free for our socket: nothing there, or a socket
 * nobody answers on (a daemon died), which goes. A server answering, or
 * a file that is not a socket, is an error.
 */
static int
check_path(const char *path, struct clr_err *err)
{
	struct sockaddr_un	 sun;
	struct stat		 st;
	int			 fd, rc, e;

	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		return clr_err_set(err, CLR_EIO, "control socket %s: %s",
		    path, strerror(errno));
	}
	if (!S_ISSOCK(st.st_mode))
		return clr_err_set(err, CLR_EEXIST, "control socket %s: the "
		    "file exists and is not a socket; not replacing it", path);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0)) == -1)
		return clr_err_set(err, CLR_EIO, "control socket: %s",
		    strerror(errno));
	rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	e = errno;
	close(fd);
	/* EAGAIN: its backlog is full, so it is alive. */
	if (rc == 0 || e == EAGAIN || e == EINPROGRESS)
		return clr_err_set(err, CLR_EBUSY, "control socket %s: a "
		    "server is listening on it (another clariond?); "
		    "refusing to start", path);
	if (e != ECONNREFUSED)
		return clr_err_set(err, CLR_EIO, "control socket %s: %s",
		    path, strerror(e));
	if (unlink(path) != 0 && errno != ENOENT)
		return clr_err_set(err, CLR_EIO, "control socket %s: "
		    "removing the stale socket: %s", path, strerror(errno));
	log_info("control: removed the stale socket %s", path);
	return 0;
}

/* listen_on - a listening socket at path, mode 0660; fd or -1. */
static int
listen_on(struct control *ctl, struct clr_err *err)
{
	struct sockaddr_un	 sun;
	struct stat		 st;
	mode_t			 mask;
	int			 fd, rc;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, ctl->path, strlen(ctl->path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0)) == -1) {
		clr_err_set(err, CLR_EIO, "control socket: %s",
		    strerror(errno));
		return -1;
	}
	/* Never there with more than 0660, not even until the chmod. */
	mask = umask(0117);
	rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(mask);
	if (rc != 0) {
		clr_err_set(err, errno == EACCES ? CLR_EPERM : CLR_EIO,
		    "control socket %s: bind: %s", ctl->path,
		    strerror(errno));
		close(fd);
		return -1;
	}
	if (chmod(ctl->path, 0660) != 0 || lstat(ctl->path, &st) != 0 ||
	    listen(fd, BACKLOG) != 0) {
		clr_err_set(err, CLR_EIO, "control socket %s: %s", ctl->path,
		    strerror(errno));
		unlink(ctl->path);
		close(fd);
		return -1;
	}
	ctl->dev = st.st_dev;
	ctl->ino = st.st_ino;
	return fd;
}

struct control *
control_new(uv_loop_t *loop, const char *path, control_handler_fn *fn,
    void *arg, struct clr_err *err)
{
	struct sockaddr_un	 sun;
	struct control		*ctl;
	int			 fd, rc;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		clr_err_set(err, CLR_EINVAL, "control socket %s: the path is "
		    "longer than %zu bytes", path, sizeof(sun.sun_path) - 1);
		return NULL;
	}
	if (check_path(path, err) != 0)
		return NULL;
	if ((ctl = clr_calloc(1, sizeof(*ctl))) == NULL ||
	    (ctl->path = clr_strdup(path)) == NULL) {
		clr_free(ctl);
		clr_err_set(err, CLR_ENOMEM, "out of memory");
		return NULL;
	}
	ctl->loop = loop;
	ctl->handler = fn;
	ctl->arg = arg;
	TAILQ_INIT(&ctl->clients);
	if ((fd = listen_on(ctl, err)) == -1) {
		control_free(ctl);
		return NULL;
	}
	uv_pipe_init(loop, &ctl->listener, 0);
	ctl->listener.data = ctl;
	uv_idle_init(loop, &ctl->kick);
	ctl->kick.data = ctl;
	ctl->handles = 2;
	if ((rc = uv_pipe_open(&ctl->listener, fd)) < 0)
		close(fd);
	else
		rc = uv_listen((uv_stream_t *)&ctl->listener, BACKLOG,
		    on_connection);
	if (rc < 0) {
		clr_err_set(err, CLR_EIO, "control socket %s: %s", path,
		    uv_strerror(rc));
		/* The struct goes with the handles, from the loop. */
		control_close(ctl, NULL, NULL);
		return NULL;
	}
	log_debug("control: listening on %s", path);
	return ctl;
}

void
control_close(struct control *ctl, void (*closed)(void *), void *arg)
{
	struct control_client	*c;
	struct stat		 st;

	if (ctl == NULL || ctl->closing)
		return;
	ctl->closing = 1;
	ctl->closed = closed;
	ctl->closed_arg = arg;
	uv_close((uv_handle_t *)&ctl->listener, own_handle_closed);
	uv_close((uv_handle_t *)&ctl->kick, own_handle_closed);
	/* Only our own socket: another daemon may have replaced it. */
	if (lstat(ctl->path, &st) == 0 && st.st_dev == ctl->dev &&
	    st.st_ino == ctl->ino)
		unlink(ctl->path);
	TAILQ_FOREACH(c, &ctl->clients, entry)
		client_close(c);
}
