/* SPDX-License-Identifier: ISC */
/*
 * daemon/writer.c - the store thread (see writer.h)
 */
#include <string.h>

#include "log.h"
#include "util/alloc.h"
#include "writer.h"

#define RETRY_NS	1000000000ULL	/* a failed group is tried again */
#define WRITER_MAX_RETRY 64		/* retry delays (config allows 32) */
/*
 * A group smaller than GROUP_FULL outcomes waits GROUP_WAIT_NS for more
 * before it is written: one commit (one fsync, each page written once)
 * for many outcomes. Claims wait as long; the window covers far more.
 */
#define GROUP_FULL	512
#define GROUP_WAIT_NS	4000000ULL

TAILQ_HEAD(writer_jobs, writer_job);

struct writer {
	struct store		*store;
	uv_thread_t		 thread;
	uv_mutex_t		 mu;
	uv_cond_t		 cond;
	uv_async_t		 async;

	/* Under mu: handed in, and answered. */
	struct writer_results	 in;
	struct writer_jobs	 jobs;
	struct writer_results	 out;
	struct writer_jobs	 done;
	size_t			 backlog;	/* results in "in" or being
						   written */
	int			 stopping;
	uint64_t		 give_up_ns;	/* 0: never */
	int			 health_rc;	/* last told the loop */
	int			 health_new;	/* a change to tell */
	char			 health_why[512];
	int64_t			*retry;		/* policy->retry's copy */
	struct store_policy	 policy;

	/* The thread's own. */
	int64_t			 tretry[WRITER_MAX_RETRY];
	struct store_result	*batch;
	size_t			 batch_cap;

	writer_committed_fn	*committed;
	writer_health_fn	*health;
	void			*arg;
};

static void
health_set(struct writer *w, int rc, const char *why)
{
	uv_mutex_lock(&w->mu);
	if (rc != w->health_rc) {
		w->health_rc = rc;
		w->health_new = 1;
		snprintf(w->health_why, sizeof(w->health_why), "%s",
		    why != NULL ? why : "");
	}
	uv_mutex_unlock(&w->mu);
}

/*
 * write_group - the outcomes and grouped jobs in one transaction. On
 * failure nothing of it stays: the caller puts the outcomes back.
 */
static int
write_group(struct writer *w, struct writer_results *rs,
    struct writer_jobs *grouped, struct clr_err *err)
{
	struct writer_result	*r;
	struct writer_job	*j;
	struct store_record_stats st;
	struct store_policy	 policy;
	size_t			 n = 0, n_retry;
	int			 rc;

	TAILQ_FOREACH(r, rs, entry) {
		if (n == w->batch_cap) {
			size_t	 cap = w->batch_cap ? w->batch_cap * 2 : 256;
			void	*p;

			p = clr_reallocarray(w->batch, cap, sizeof(*w->batch));
			if (p == NULL)
				return clr_err_set(err, CLR_ENOMEM,
				    "store thread: out of memory");
			w->batch = p;
			w->batch_cap = cap;
		}
		w->batch[n++] = r->r;
	}
	if ((rc = store_tx_begin(w->store, err)) != 0)
		return rc;
	/* The loop may set a new policy meanwhile: this group uses a copy,
	 * retry delays included. */
	uv_mutex_lock(&w->mu);
	policy = w->policy;
	n_retry = policy.nretry < WRITER_MAX_RETRY ? policy.nretry :
	    WRITER_MAX_RETRY;
	memcpy(w->tretry, policy.retry, n_retry * sizeof(*w->tretry));
	policy.retry = w->tretry;
	policy.nretry = n_retry;
	uv_mutex_unlock(&w->mu);
	if (n > 0 && (rc = store_record(w->store, w->batch, n, &policy,
	    (int64_t)time(NULL), &st, err)) != 0)
		goto fail;
	TAILQ_FOREACH(j, grouped, entry) {
		j->err.code = 0;
		j->err.msg[0] = '\0';
		j->rc = j->work(w->store, j);
		/* A job that fails leaves the transaction as it found it
		 * (its own statements only read, or are rolled back by
		 * SQLite); only the store failing underneath is fatal. */
		if (j->rc == CLR_EFULL || j->rc == CLR_EBUSY ||
		    j->rc == CLR_EIO) {
			rc = clr_err_set(err, j->rc, "%s", j->err.msg);
			goto fail;
		}
	}
	if ((rc = store_tx_commit(w->store, err)) != 0)
		return rc;
	return 0;
fail:
	store_tx_rollback(w->store);
	return rc;
}

static void
writer_main(void *arg)
{
	struct writer		*w = arg;
	struct writer_results	 rs;
	struct writer_jobs	 grouped, single;
	struct writer_job	*j, *next;
	struct clr_err		 err;
	uint64_t		 failing_since = 0, next_try = 0, now;
	size_t			 n;
	int			 rc;

	uv_mutex_lock(&w->mu);
	for (;;) {
		while (!w->stopping && TAILQ_EMPTY(&w->in) &&
		    TAILQ_EMPTY(&w->jobs))
			uv_cond_wait(&w->cond, &w->mu);
		/* After a failure, a second's pause whatever comes in. */
		if (failing_since != 0 && !w->stopping &&
		    (now = uv_hrtime()) < next_try) {
			uv_cond_timedwait(&w->cond, &w->mu, next_try - now);
			continue;
		}
		if (w->stopping && TAILQ_EMPTY(&w->in) &&
		    TAILQ_EMPTY(&w->jobs))
			break;
		if (!w->stopping && w->backlog < GROUP_FULL) {
			/* Not woken by each outcome meanwhile: sleep. */
			uv_mutex_unlock(&w->mu);
			uv_sleep(GROUP_WAIT_NS / 1000000ULL);
			uv_mutex_lock(&w->mu);
		}
		TAILQ_INIT(&rs);
		TAILQ_CONCAT(&rs, &w->in, entry);
		TAILQ_INIT(&grouped);
		TAILQ_INIT(&single);
		for (j = TAILQ_FIRST(&w->jobs); j != NULL; j = next) {
			next = TAILQ_NEXT(j, entry);
			TAILQ_REMOVE(&w->jobs, j, entry);
			if (j->grouped)
				TAILQ_INSERT_TAIL(&grouped, j, entry);
			else
				TAILQ_INSERT_TAIL(&single, j, entry);
		}
		uv_mutex_unlock(&w->mu);

		err.code = 0;
		err.msg[0] = '\0';
		rc = 0;
		if (!TAILQ_EMPTY(&rs) || !TAILQ_EMPTY(&grouped))
			rc = write_group(w, &rs, &grouped, &err);
		if (rc != 0) {
			TAILQ_FOREACH(j, &grouped, entry) {
				j->rc = rc;
				j->err = err;
			}
			health_set(w, rc, err.msg);
			if (failing_since == 0)
				failing_since = uv_hrtime();
			next_try = uv_hrtime() + RETRY_NS;
		} else if (failing_since != 0) {
			failing_since = 0;
			health_set(w, 0, NULL);
		}
		TAILQ_FOREACH(j, &single, entry) {
			j->err.code = 0;
			j->err.msg[0] = '\0';
			j->rc = j->work(w->store, j);
		}

		uv_mutex_lock(&w->mu);
		if (rc != 0 && !(w->stopping &&
		    uv_hrtime() - failing_since >= w->give_up_ns)) {
			/* Keep the outcomes, first in line, and wait a
			 * little before trying again. */
			TAILQ_CONCAT(&rs, &w->in, entry);
			TAILQ_CONCAT(&w->in, &rs, entry);
		} else {
			n = 0;
			struct writer_result	*r;

			TAILQ_FOREACH(r, &rs, entry)
				n++;
			w->backlog -= n;
			if (rc != 0)
				log_error("store: %zu outcomes dropped at "
				    "exit: %s", n, err.msg);
			TAILQ_CONCAT(&w->out, &rs, entry);
		}
		TAILQ_CONCAT(&w->done, &grouped, entry);
		TAILQ_CONCAT(&w->done, &single, entry);
		uv_async_send(&w->async);
		if (rc != 0 && w->stopping)
			uv_cond_timedwait(&w->cond, &w->mu, RETRY_NS);
	}
	uv_mutex_unlock(&w->mu);
}

/* deliver - on the loop: what the thread has finished. */
static void
deliver(struct writer *w)
{
	struct writer_results	 rs;
	struct writer_jobs	 js;
	struct writer_job	*j, *next;
	char			 why[512];
	int			 told = 0, rc = 0;

	TAILQ_INIT(&rs);
	TAILQ_INIT(&js);
	uv_mutex_lock(&w->mu);
	TAILQ_CONCAT(&rs, &w->out, entry);
	TAILQ_CONCAT(&js, &w->done, entry);
	if (w->health_new) {
		w->health_new = 0;
		told = 1;
		rc = w->health_rc;
		memcpy(why, w->health_why, sizeof(why));
	}
	uv_mutex_unlock(&w->mu);
	if (told)
		w->health(w->arg, rc, why);
	if (!TAILQ_EMPTY(&rs))
		w->committed(w->arg, &rs);
	for (j = TAILQ_FIRST(&js); j != NULL; j = next) {
		next = TAILQ_NEXT(j, entry);
		j->done(j);
	}
}

static void
async_cb(uv_async_t *a)
{
	deliver(a->data);
}

static int
policy_copy(struct writer *w, const struct store_policy *p)
{
	int64_t		*retry;

	if (p->nretry == 0)
		return CLR_EINVAL;
	if ((retry = clr_reallocarray(NULL, p->nretry, sizeof(*retry))) ==
	    NULL)
		return CLR_ENOMEM;
	memcpy(retry, p->retry, p->nretry * sizeof(*retry));
	uv_mutex_lock(&w->mu);
	clr_free(w->retry);
	w->retry = retry;
	w->policy = *p;
	w->policy.retry = retry;
	uv_mutex_unlock(&w->mu);
	return 0;
}

struct writer *
writer_new(uv_loop_t *loop, struct store *store,
    const struct store_policy *policy, writer_committed_fn *committed,
    writer_health_fn *health, void *arg, struct clr_err *err)
{
	struct writer	*w;
	int		 rc;

	if ((w = clr_calloc(1, sizeof(*w))) == NULL) {
		clr_err_set(err, CLR_ENOMEM, "store thread: out of memory");
		return NULL;
	}
	w->committed = committed;
	w->health = health;
	w->arg = arg;
	TAILQ_INIT(&w->in);
	TAILQ_INIT(&w->jobs);
	TAILQ_INIT(&w->out);
	TAILQ_INIT(&w->done);
	uv_mutex_init(&w->mu);
	uv_cond_init(&w->cond);
	if (policy_copy(w, policy) != 0) {
		clr_err_set(err, CLR_EINVAL, "store thread: bad policy");
		goto fail;
	}
	uv_async_init(loop, &w->async, async_cb);
	w->async.data = w;
	w->store = store;
	if ((rc = uv_thread_create(&w->thread, writer_main, w)) != 0) {
		clr_err_set(err, CLR_ENOMEM, "store thread: %s",
		    uv_strerror(rc));
		w->store = NULL;
		uv_close((uv_handle_t *)&w->async, NULL);
		goto fail;
	}
	return w;
fail:
	uv_cond_destroy(&w->cond);
	uv_mutex_destroy(&w->mu);
	clr_free(w->retry);
	clr_free(w);
	return NULL;
}

void
writer_record(struct writer *w, struct writer_result *r)
{
	uv_mutex_lock(&w->mu);
	TAILQ_INSERT_TAIL(&w->in, r, entry);
	w->backlog++;
	uv_cond_signal(&w->cond);
	uv_mutex_unlock(&w->mu);
}

void
writer_submit(struct writer *w, struct writer_job *j)
{
	uv_mutex_lock(&w->mu);
	TAILQ_INSERT_TAIL(&w->jobs, j, entry);
	uv_cond_signal(&w->cond);
	uv_mutex_unlock(&w->mu);
}

int
writer_set_policy(struct writer *w, const struct store_policy *p)
{
	return policy_copy(w, p);
}

size_t
writer_backlog(struct writer *w)
{
	size_t	 n;

	uv_mutex_lock(&w->mu);
	n = w->backlog;
	uv_mutex_unlock(&w->mu);
	return n;
}

void
writer_stop(struct writer *w, unsigned give_up_ms)
{
	if (w->store == NULL)
		return;
	uv_mutex_lock(&w->mu);
	w->stopping = 1;
	w->give_up_ns = (uint64_t)give_up_ms * 1000000ULL;
	uv_cond_signal(&w->cond);
	uv_mutex_unlock(&w->mu);
	uv_thread_join(&w->thread);
	deliver(w);
	store_close(w->store);
	w->store = NULL;
}

static void
writer_closed(uv_handle_t *h)
{
	struct writer	*w = h->data;

	uv_cond_destroy(&w->cond);
	uv_mutex_destroy(&w->mu);
	clr_free(w->batch);
	clr_free(w->retry);
	clr_free(w);
}

void
writer_free(struct writer *w)
{
	if (w == NULL)
		return;
	writer_stop(w, 0);
	/* Freed once the loop has closed the async handle. */
	uv_close((uv_handle_t *)&w->async, writer_closed);
}
