/* SPDX-License-Identifier: ISC */
/*
 * store/store.h - clarion's SQLite store: the only SQL in the tree
 *
 * One struct store is one SQLite connection, used by one thread at a time.
 * Opening a store sets WAL mode, foreign keys, a busy timeout and full
 * synchronous commits, then brings the schema up to date: numbered
 * migrations are applied in one transaction and recorded in
 * PRAGMA user_version. A database written by a newer clarion (a higher
 * user_version) or by another program (a foreign application_id) is refused
 * with a message that says so, and nothing in it is changed.
 *
 * Everything that reads a clock takes the time as an argument ("now",
 * seconds since the epoch), so callers and tests decide what time it is.
 *
 * Errors: functions return 0 or a negative CLR_E* code and, where they take
 * a struct clr_err, a message naming what failed.
 */
#ifndef CLARION_STORE_H
#define CLARION_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct store;
struct buf;

#define STORE_CREATE	0x01	/* create the database file if missing */
#define STORE_READONLY	0x02	/* no writes, no migrations */

struct store_options {
	unsigned	 flags;
	int		 busy_timeout_ms;	/* 0: 5000 */
	int		 target_version;	/* tests: migrate only this far */
	int		 cache_kib;	/* page cache; 0: 32768 (imports
					   and segments on 600k contacts) */
};

/*
 * Configure the SQLite library for clarion's use, once, at the start of a
 * program and before any thread uses the store: it turns off SQLite's
 * memory statistics, whose mutex every allocation would take. Calling it
 * is optional (the store works without it) and it may be called again.
 */
void		 store_library_init(void);

/* The schema version this build writes (the last migration's number). */
int		 store_schema_latest(void);

/*
 * Open the database at path (":memory:" for a private in-memory store).
 * Returns NULL and fills err on failure: missing file without
 * STORE_CREATE, a newer or foreign schema, SQLite errors.
 */
struct store	*store_open(const char *path, const struct store_options *,
		    struct clr_err *err);
void		 store_close(struct store *);

/* PRAGMA user_version of the open database. */
int		 store_schema_version(struct store *);

/* The last SQLite error message on this connection, for logs. */
const char	*store_errmsg(struct store *);

/*
 * Contact import. One import is one transaction: store_import_begin opens
 * it, store_import_row adds rows, store_import_commit makes them visible
 * all at once; store_import_abort (or a crash) leaves the database as it
 * was. Fields set to NULL in a row are "not given": they never erase what
 * is stored.
 */
struct store_import_params {
	const char	 *list;		/* list to subscribe to (created if new) */
	const char *const *themes;	/* consents to record */
	size_t		  nthemes;
	const char	 *source;	/* proof: where the data came from */
	int64_t		  now;
};

struct store_contact {
	const char	*email;		/* normalised (addr_normalize) */
	const char	*first_name;	/* NULL: keep what is stored */
	const char	*last_name;
	const char	*locale;
	const char	*attrs;		/* JSON object to merge in, or NULL */
	const char	*status;	/* NULL, or unsubscribed|bounced|
					   complained: a contact can leave
					   "active" but never go back to it */
};

enum store_import_outcome {
	STORE_IMPORT_CREATED,		/* a new contact */
	STORE_IMPORT_UPDATED,		/* data, list or consent changed */
	STORE_IMPORT_UNCHANGED,		/* nothing new */
	STORE_IMPORT_SUPPRESSED		/* suppressed address: not added */
};

int		 store_import_begin(struct store *,
		    const struct store_import_params *, struct clr_err *);
int		 store_import_row(struct store *, const struct store_contact *,
		    enum store_import_outcome *, struct clr_err *);
int		 store_import_commit(struct store *, struct clr_err *);
void		 store_import_abort(struct store *);

/*
 * Segments: who may receive a campaign. Eligible contacts are active,
 * subscribed to at least one of the lists, hold a live consent for the
 * theme, are not suppressed, and match the optional where clause. Each
 * contact counts once.
 *
 * The where clause is an SQL expression over the contacts table. It runs
 * under an authorizer that allows reads only: store_segment_check refuses
 * writes, schema changes, ATTACH, PRAGMA, recursive queries, other
 * databases and more than one statement, with the reason in err.
 */
struct store_segment_def {
	const char *const *lists;
	size_t		  nlists;
	const char	 *theme;
	const char	 *where;	/* or NULL */
};

enum store_segment_shape {
	STORE_SEGMENT_COUNT,		/* SELECT count(*) */
	STORE_SEGMENT_PREVIEW,		/* contact columns, by id */
	STORE_SEGMENT_IDS		/* contact ids, by id */
};

/* One row of a segment preview; strings borrowed for the callback. */
struct store_contact_row {
	int64_t		 id;
	const char	*email;
	const char	*first_name;	/* may be NULL */
	const char	*last_name;
	const char	*locale;
	const char	*attrs;
};

typedef int	(*store_contact_fn)(void *arg,
		    const struct store_contact_row *);

/*
 * The contact with this (normalised) address: fn is called once with its
 * row. Returns 0, CLR_ENOENT if there is none, or another CLR_E* code.
 */
int		 store_contact_find(struct store *, const char *email,
		    store_contact_fn fn, void *arg, struct clr_err *);

/*
 * Call fn for each distinct top-level key of the contacts' attrs, in
 * byte order, with how many contacts have it. For lint: which values a
 * template may expect.
 */
typedef int	(*store_attr_fn)(void *arg, const char *key, uint64_t count);
int		 store_attr_keys(struct store *, store_attr_fn fn, void *arg,
		    struct clr_err *);

int		 store_segment_check(struct store *,
		    const struct store_segment_def *, struct clr_err *);
/* The SQL a segment runs, literals inlined (for the shell, for EXPLAIN). */
int		 store_segment_sql(const struct store_segment_def *,
		    enum store_segment_shape, uint64_t limit, struct buf *out);
int		 store_segment_count(struct store *,
		    const struct store_segment_def *, uint64_t *count,
		    struct clr_err *);
/* Calls fn for up to limit eligible contacts; fn returning non-zero stops. */
int		 store_segment_preview(struct store *,
		    const struct store_segment_def *, uint64_t limit,
		    store_contact_fn fn, void *arg, struct clr_err *);

/*
 * Campaign runs. Each start of a campaign is a run (a campaigns row, whose
 * id is the run id in tokens and Message-IDs) with one sends row per
 * recipient, made by the snapshot that starts it. States:
 * scheduled -> running <-> paused -> done, or cancelled from any but done.
 */
enum store_run_state {
	STORE_RUN_SCHEDULED,
	STORE_RUN_RUNNING,
	STORE_RUN_PAUSED,
	STORE_RUN_DONE,
	STORE_RUN_CANCELLED
};

/* "scheduled", "running"...; NULL for a value out of range. */
const char	*store_run_state_name(enum store_run_state);

struct store_run {
	int64_t			 id;
	char			 name[65];	/* the campaign's */
	char			 segment[65];
	enum store_run_state	 state;
	int64_t			 created_at;
	int64_t			 started_at;	/* 0: not yet */
	int64_t			 finished_at;	/* 0: not yet */
	uint64_t		 possible_duplicates;	/* see store_recover */
};

/* Sends of a run by state; skipped and failed also by reason. */
struct store_run_counts {
	uint64_t	 total;		/* every sends row of the run */
	uint64_t	 pending;	/* not tried yet (or claimed) */
	uint64_t	 sending;	/* deferred ones claimed for a retry */
	uint64_t	 sent;
	uint64_t	 deferred;	/* waiting for their next attempt */
	uint64_t	 bounced_hard;
	uint64_t	 bounced_soft;
	uint64_t	 failed;	/* expired, or refused by rendering */
	uint64_t	 skipped;	/* capped, cancelled, left meanwhile */
	uint64_t	 skipped_capped;	/* of skipped: frequency cap */
	int64_t		 next_attempt_at;	/* earliest deferred; 0: none */
};

/* The frequency cap: at most messages sent per contact in period. */
struct store_cap {
	unsigned	 messages;	/* 0: no cap */
	int64_t		 period;	/* seconds */
};

/*
 * Start a run of campaign name over def, the segment named segment (the
 * run records the name): in one transaction, create the run (state
 * running, started now) and snapshot the segment into sends: each
 * eligible contact once, pending, except those the
 * frequency cap holds back (already sent cap->messages messages, of any
 * campaign, within cap->period before now), which are skipped with
 * reason "frequency-cap". CLR_EEXIST if a run of name is running or
 * paused. Fills *run with the new run and counts (may be NULL).
 */
int		 store_run_start(struct store *, const char *name,
		    const char *segment, const struct store_segment_def *def,
		    const struct store_cap *cap, int64_t now,
		    struct store_run *run, struct store_run_counts *counts,
		    struct clr_err *);

/*
 * Change a run's state: running <-> paused, or cancelled (from scheduled,
 * running or paused), or done. Cancelling also skips every send of the
 * run still pending, deferred or sending, with reason "cancelled"; sends
 * claimed before and recorded after keep their own outcome. CLR_EINVAL
 * (err says why) for a change the state machine does not allow,
 * CLR_ENOENT for no such run.
 */
int		 store_run_set_state(struct store *, int64_t run_id,
		    enum store_run_state, int64_t now, struct clr_err *);

/* A run by id, or the last run of a campaign name: 0 or CLR_ENOENT. */
int		 store_run_get(struct store *, int64_t run_id,
		    struct store_run *, struct clr_err *);
int		 store_run_latest(struct store *, const char *name,
		    struct store_run *, struct clr_err *);

/* Call fn for each running or paused run, oldest first. */
typedef int	(*store_run_fn)(void *arg, const struct store_run *);
int		 store_runs_active(struct store *, store_run_fn fn, void *arg,
		    struct clr_err *);

int		 store_run_counts(struct store *, int64_t run_id,
		    struct store_run_counts *, struct clr_err *);

/*
 * Mark the run done, finished now, if none of its sends is pending,
 * deferred or sending: *done says whether it was. A run that is not
 * running is left alone (*done 0).
 */
int		 store_run_finish_if_done(struct store *, int64_t run_id,
		    int64_t now, int *done, struct clr_err *);

/*
 * Claims: a send is claimed when the daemon takes it to render and send,
 * and resolved when its outcome is recorded. Pending sends are claimed in
 * id order after a cursor the daemon keeps, and the run's
 * claimed_through (persisted in the same transaction) remembers how far:
 * a pending send at or below it has been claimed. Deferred sends due for
 * a retry are marked sending. So after a crash, store_recover knows
 * exactly which sends may have gone out without their outcome being
 * recorded (RFC 1047's window): it counts them into the run's
 * possible_duplicates and makes them claimable again.
 *
 * The daemon keeps the number of claimed, unresolved sends bounded (its
 * window), which bounds the duplicates a crash can cause.
 */
struct store_claim {
	int64_t		 send_id;
	int64_t		 contact_id;
	unsigned	 attempts;	/* made before this one */
	const char	*email;		/* contact columns, borrowed */
	const char	*first_name;	/* may be NULL */
	const char	*last_name;
	const char	*locale;
	const char	*attrs;
};
typedef int	(*store_claim_fn)(void *arg, const struct store_claim *);

/*
 * Claim up to n sends of run_id: first deferred ones due by now (oldest
 * due first), then pending ones with id > *cursor, in id order; *cursor
 * moves past what was claimed. A send whose contact has meanwhile left
 * (no longer active, suppressed, erased) is not claimed but skipped, with
 * reason "unsubscribed", "bounced", "complained", "suppressed" or
 * "erased". fn is called per claimed send (returning non-zero, it stops
 * the claim before that send); *claimed says how many. Meant to run
 * inside a transaction (store_tx_begin) with the results it is grouped
 * with.
 */
int		 store_claim(struct store *, int64_t run_id, int64_t *cursor,
		    int64_t now, size_t n, store_claim_fn fn, void *arg,
		    size_t *claimed, struct clr_err *);

/*
 * Nothing of run_id is claimed any more (the daemon had every claim
 * resolved, e.g. a paused run drained): reset claimed_through to 0, so a
 * crash now counts no duplicates for it.
 */
int		 store_claims_clear(struct store *, int64_t run_id,
		    struct clr_err *);

/*
 * After a restart, before any claim: for each running or paused run,
 * sends claimed and not resolved by the previous process (pending at or
 * below claimed_through, and sending) are counted into possible_duplicates
 * and made claimable again (sending -> deferred, due now). *recovered is
 * their total.
 */
int		 store_recover(struct store *, int64_t now,
		    uint64_t *recovered, struct clr_err *);

/* What happened to one claimed send. */
enum store_outcome {
	STORE_SENT,		/* 2xx to the end of data */
	STORE_DEFERRED,		/* 4xx, or no answer: try again later */
	STORE_BOUNCED_HARD,	/* 5xx, the address is bad */
	STORE_BOUNCED_SOFT,	/* 5xx, but the address may work later */
	STORE_FAILED,		/* cannot be sent: rendering refused it */
	STORE_RELEASED		/* not attempted (paused, cancelled,
				   stopping): claimable again */
};

struct store_result {
	int64_t			 send_id;
	enum store_outcome	 outcome;
	int			 code;		/* SMTP reply code, or 0 */
	const char		*status;	/* enhanced "5.1.1", or NULL */
	const char		*reply;		/* reply text, or NULL */
	const char		*reason;	/* verdict or refusal reason */
	const char		*relay;		/* relay name, or NULL */
	const char		*message_id;	/* without <>, or NULL */
	int			 ambiguous;	/* the end of data went out
						   and no answer came back */
};

/* Retries and suppressions. */
struct store_policy {
	const int64_t	*retry;		/* delays after attempt 1, 2...; */
	size_t		 nretry;	/* the last one repeats */
	int64_t		 max_age;	/* fail a send deferred this long
					   after its first attempt */
	unsigned	 soft_limit;	/* soft bounces within soft_period */
	int64_t		 soft_period;	/* that suppress; 0: never */
};

/* What store_record did, for logs and counters. */
struct store_record_stats {
	size_t		 sent, deferred, bounced, failed, released;
	size_t		 expired;	/* deferred too long: failed */
	size_t		 suppressed;	/* contacts suppressed now */
};

/*
 * Record the outcomes of n claimed sends, each in sends (state, attempts,
 * the reply) and in events (type sent, deferred, bounced, failed, with
 * the reply as detail). Deferred: the next attempt comes after
 * policy->retry's delay for this attempt, unless that is past max_age
 * since the first attempt: then failed, reason "expired". Hard bounce:
 * the contact becomes "bounced" and its address is suppressed; soft
 * bounce: the same once soft_limit soft bounces fell within soft_period
 * (each suppression is a "suppressed" event). A result for a send that
 * is already resolved (sent, bounced, failed, skipped other than by
 * "cancelled") is ignored. Meant to run inside a transaction.
 */
int		 store_record(struct store *, const struct store_result *,
		    size_t n, const struct store_policy *, int64_t now,
		    struct store_record_stats *, struct clr_err *);

/*
 * Explicit transactions, for grouping claims and results in one commit.
 * BEGIN IMMEDIATE: a writer elsewhere makes it wait up to the busy
 * timeout, then CLR_EBUSY. Commit failing (CLR_EFULL: the disk is full)
 * rolls back: nothing of the transaction is stored.
 */
int		 store_tx_begin(struct store *, struct clr_err *);
int		 store_tx_commit(struct store *, struct clr_err *);
void		 store_tx_rollback(struct store *);

#endif
