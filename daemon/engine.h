/* SPDX-License-Identifier: ISC */
/*
 * daemon/engine.h - the campaign engine: segment -> render -> send -> record
 *
 * On the loop thread, the engine runs campaigns as DESIGN.md's data flow
 * says: it claims sends from the store thread (daemon/writer.c) in
 * batches, renders them on the libuv thread pool, hands the messages to
 * the relay pool (daemon/pool.c), and gives every outcome back to the
 * store thread, which commits them in groups. Claimed sends not yet
 * recorded are bounded by sending.window, rendered messages by
 * sending.memory: memory does not grow with the segment, and neither does
 * what a crash can leave unrecorded.
 *
 * Pause, cancel and stop take back what waits in the pool (those sends
 * are released, claimable again); what is on a connection finishes and is
 * recorded. A paused run claims again only from the start of its sends,
 * once everything it had claimed is recorded.
 */
#ifndef CLARION_DAEMON_ENGINE_H
#define CLARION_DAEMON_ENGINE_H

#include <uv.h>

#include "config/config.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"

struct engine;

/*
 * A new engine on store (the write connection, which the engine's store
 * thread owns from now on) and cfg (which it owns too). It recovers what
 * a previous process left claimed, then resumes the runs that were
 * running; paused ones stay paused. NULL with err on failure (the store
 * and cfg are freed then too).
 */
struct engine	*engine_new(uv_loop_t *, struct config *cfg,
		    struct store *store, struct clr_err *);

/*
 * A new configuration for what starts from now on (running campaigns
 * keep the templates they started with; the relays' connections are
 * renewed, and what waits for one moves over). 0, and cfg is the
 * engine's; or an error in err (a relay's password file unreadable...)
 * and nothing changed: cfg is still the caller's.
 */
int		 engine_reload(struct engine *, struct config *cfg,
		    struct clr_err *);

/*
 * Stop: no more claims, waiting messages released, those in flight
 * finish (aborted after deadline_ms), everything recorded; then
 * stopped(arg), from the loop.
 */
void		 engine_stop(struct engine *, unsigned deadline_ms,
		    void (*stopped)(void *), void *arg);
void		 engine_free(struct engine *);

/*
 * Answers to the control socket: answer(arg, 1, members) with the JSON
 * members of the reply (no braces), or answer(arg, 0, message).
 */
typedef void	engine_answer_fn(void *arg, int ok, const char *text);

/* action: start, pause, resume, cancel, show. */
void		 engine_campaign(struct engine *, const char *action,
		    const char *name, engine_answer_fn *, void *arg);
void		 engine_status(struct engine *, engine_answer_fn *, void *arg);

#endif
