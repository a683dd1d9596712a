/* SPDX-License-Identifier: ISC */
/*
 * daemon/control.h - the control socket: one JSON object per line each way
 *
 * A Unix stream socket on the loop. Each line a client sends is one
 * request, a JSON object with at least "cmd" (a string, the command's
 * words as clarionctl spells them: "status", "campaign start"...); each
 * gets exactly one line back, {"ok":true,...} or
 * {"ok":false,"error":"..."}, in the order the requests came. This module
 * is the transport: it reads and bounds lines, parses them, and hands each
 * request to the daemon's handler, which answers now or later (after a
 * store query) through control_reply_*. Nothing a client sends (a line
 * too long, bad JSON, a command the handler refuses, leaving before its
 * answer, never reading its answers) can crash the daemon or hold it up:
 * such a client gets an error line, or is disconnected.
 */
#ifndef CLARION_DAEMON_CONTROL_H
#define CLARION_DAEMON_CONTROL_H

#include <uv.h>

#include "util/err.h"
#include "util/json.h"

#define CONTROL_MAX_LINE	(64 * 1024)	/* a request, newline incl. */
#define CONTROL_MAX_CLIENTS	64
#define CONTROL_MAX_PENDING	(1024 * 1024)	/* unread answers, bytes */

struct control;
struct control_req;

/*
 * A request for the handler: req is the parsed object (its "cmd" member a
 * string), valid until the handler returns. The handler must answer each
 * request exactly once, now or later, with control_reply_ok or
 * control_reply_error; a request stays valid until answered, even if its
 * client has gone (the answer is then dropped).
 */
typedef void	control_handler_fn(void *arg, struct control_req *,
		    const char *cmd, const struct json_value *req);

/*
 * Listen on path (a stale socket left by a dead daemon is replaced; one
 * a live daemon answers on is not), mode 0660. NULL with err on failure.
 */
struct control	*control_new(uv_loop_t *, const char *path,
		    control_handler_fn *, void *arg, struct clr_err *);

/* Stop listening, remove the socket file, close every client; requests
 * not answered yet stay valid until answered. closed(arg) when done. */
void		 control_close(struct control *, void (*closed)(void *),
		    void *arg);

/*
 * Answer {"ok":true} followed by members, the text of zero or more JSON
 * members without braces ("\"state\":\"running\",\"sent\":12"), or
 * NULL/"" for none.
 */
void		 control_reply_ok(struct control_req *, const char *members);
void		 control_reply_error(struct control_req *, const char *fmt,
		    ...) __attribute__((format(printf, 2, 3)));

#endif
