/* SPDX-License-Identifier: ISC */
/*
 * daemon/writer.h - the store thread: the one write connection
 *
 * One thread owns the store's write connection. The loop hands it
 * outcomes to record and jobs to run; it takes whatever has accumulated,
 * records the outcomes and runs the grouped jobs (claims) in one
 * transaction, commits (one fsync for all of them: group commit), then
 * runs the other jobs, each in its own transaction, and answers on the
 * loop through a uv_async_t. While a commit is on disk the next group
 * accumulates, so the group grows with the load by itself.
 *
 * A transaction that fails (the disk is full, another process holds the
 * database past the busy timeout) is rolled back whole: its outcomes are
 * kept and tried again every second, its jobs answer with the error, and
 * health(arg, rc, why) tells the loop, once when the trouble starts and
 * once (rc 0) when a commit succeeds again. Nothing is lost meanwhile.
 */
#ifndef CLARION_DAEMON_WRITER_H
#define CLARION_DAEMON_WRITER_H

#include <sys/queue.h>

#include <uv.h>

#include "store/store.h"

/* An outcome to record. The caller allocates it with r's strings, and
 * gets it back through committed() once it is on disk. */
struct writer_result {
	struct store_result		 r;
	void				*udata;
	TAILQ_ENTRY(writer_result)	 entry;
};
TAILQ_HEAD(writer_results, writer_result);

/* A job: work() on the store thread, then done() on the loop. */
struct writer_job {
	int			(*work)(struct store *, struct writer_job *);
	void			(*done)(struct writer_job *);
	int			 grouped;	/* in the group's transaction */
	int			 rc;		/* work()'s, or the commit's */
	struct clr_err		 err;
	void			*arg;
	TAILQ_ENTRY(writer_job)	 entry;
};

struct writer;

typedef void	writer_committed_fn(void *arg, struct writer_results *);
typedef void	writer_health_fn(void *arg, int rc, const char *why);

/* Start the thread on store (which it owns from now on and closes). */
struct writer	*writer_new(uv_loop_t *, struct store *,
		    const struct store_policy *, writer_committed_fn *,
		    writer_health_fn *, void *arg, struct clr_err *);

/* Record outcomes in the next group; they come back through committed(). */
void		 writer_record(struct writer *, struct writer_result *);
void		 writer_submit(struct writer *, struct writer_job *);

/* The retry and suppression policy for outcomes recorded from now on. */
int		 writer_set_policy(struct writer *,
		    const struct store_policy *);

/*
 * Stop: what was handed in is still recorded and run (unless the store
 * keeps failing: then it is dropped after give_up_ms), the thread is
 * joined and the store closed. Answers of the last group are delivered
 * from inside this call.
 */
void		 writer_stop(struct writer *, unsigned give_up_ms);
/* Stop (giving up at once on a failing store), then free once the loop
 * has closed the writer's handle. */
void		 writer_free(struct writer *);

/* Outcomes handed in and not yet committed (for status). */
size_t		 writer_backlog(struct writer *);

#endif
