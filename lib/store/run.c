/* SPDX-License-Identifier: ISC */
/*
 * store/run.c - campaign runs: the snapshot, claims, results, recovery
 *
 * A run's snapshot is one INSERT ... SELECT over the segment's SQL, so
 * its sends have contiguous ids (first_send..last_send in campaigns) and
 * claims walk them by primary key. Claims, results and recovery are the
 * daemon's hot path: their statements are prepared once and kept on the
 * store (store_impl.h), and each call is one transaction, or a savepoint
 * inside the caller's, so a call that fails leaves nothing of itself.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "store_impl.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/utf8.h"

#define RUN_NAME_MAX	64
#define TEXT_MAX	(1024 * 1024)	/* an event's detail, a reply */

/*
 * Why a claim skips a send, as the claim queries compute it (0: it does
 * not). The contact's status comes before suppression: a hard bounce
 * sets both, and "bounced" says more.
 */
static const char *const skip_reasons[] = {
	NULL, "erased", "unsubscribed", "bounced", "complained", "suppressed"
};

#define NSKIP	((int64_t)(sizeof(skip_reasons) / sizeof(skip_reasons[0])))

#define CLAIM_COLUMNS							\
	"SELECT s.id, s.contact_id, s.attempts, c.email, c.first_name,"	\
	"  c.last_name, c.locale, c.attrs,"				\
	"  CASE WHEN c.id IS NULL THEN 1"				\
	"    WHEN c.status = 'unsubscribed' THEN 2"			\
	"    WHEN c.status = 'bounced' THEN 3"				\
	"    WHEN c.status = 'complained' THEN 4"			\
	"    WHEN EXISTS (SELECT 1 FROM suppressions AS x"		\
	"      WHERE x.email = c.email) THEN 5"				\
	"    ELSE 0 END"

static const char *const run_sql[STORE__RUN_NSTMT] = {
	[STORE__BEGIN] = "BEGIN IMMEDIATE",
	[STORE__COMMIT] = "COMMIT",
	[STORE__ROLLBACK] = "ROLLBACK",
	[STORE__SAVEPOINT] = "SAVEPOINT store_op",
	[STORE__RELEASE] = "RELEASE store_op",
	[STORE__ROLLBACK_TO] = "ROLLBACK TO store_op",
	/* ?1 run, ?2 now: sends_queue gives (next_attempt_at, id) order */
	[STORE__CLAIM_DUE] = CLAIM_COLUMNS
	" FROM sends AS s LEFT JOIN contacts AS c ON c.id = s.contact_id"
	" WHERE s.campaign_id = ?1 AND s.state = 'deferred'"
	"  AND s.next_attempt_at <= ?2"
	" ORDER BY s.next_attempt_at, s.id",
	/*
	 * ?1 run, ?2 cursor. NOT INDEXED: the primary key, from the cursor
	 * to the run's last send, not sends_queue, which would read every
	 * pending send of the run to sort them.
	 */
	[STORE__CLAIM_PENDING] = CLAIM_COLUMNS
	" FROM sends AS s NOT INDEXED"
	" LEFT JOIN contacts AS c ON c.id = s.contact_id"
	" WHERE s.id > max(?2, (SELECT first_send - 1 FROM campaigns"
	"   WHERE id = ?1))"
	"  AND s.id <= (SELECT last_send FROM campaigns WHERE id = ?1)"
	"  AND s.campaign_id = ?1 AND s.state = 'pending'"
	" ORDER BY s.id",
	[STORE__CLAIM_SENDING] = "UPDATE sends SET state = 'sending',"
	" updated_at = ?2 WHERE id = ?1",
	[STORE__CLAIM_SKIP] = "UPDATE sends SET state = 'skipped', reason = ?2,"
	" next_attempt_at = NULL, updated_at = ?3 WHERE id = ?1",
	[STORE__CLAIM_THROUGH] = "UPDATE campaigns"
	" SET claimed_through = max(claimed_through, ?2) WHERE id = ?1",
	[STORE__REC_LOOKUP] = "SELECT s.state, s.reason IS 'cancelled',"
	" s.attempts, s.first_attempt_at, s.contact_id, s.campaign_id, c.email"
	" FROM sends AS s LEFT JOIN contacts AS c ON c.id = s.contact_id"
	" WHERE s.id = ?1",
	/* ?1 id, ?2 state, ?3..?7 the reply, ?8 bounce, ?9 next, ?10 now */
	[STORE__REC_UPDATE] = "UPDATE sends SET state = ?2,"
	" attempts = attempts + 1, last_code = ?3, last_status = ?4,"
	" last_reply = ?5, message_id = coalesce(?6, message_id), reason = ?7,"
	" bounce = ?8, next_attempt_at = ?9,"
	" first_attempt_at = coalesce(first_attempt_at, ?10),"
	" sent_at = CASE WHEN ?2 = 'sent' THEN ?10 END, updated_at = ?10"
	" WHERE id = ?1",
	[STORE__REC_RELEASE] = "UPDATE sends SET state = 'deferred',"
	" next_attempt_at = ?2, updated_at = ?2"
	" WHERE id = ?1 AND state = 'sending'",
	[STORE__REC_EVENT] = "INSERT INTO events (at, type, contact_id,"
	" campaign_id, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
	/* events_contact finds the contact's; few are bounces */
	[STORE__REC_SOFT] = "SELECT count(*) FROM events"
	" WHERE contact_id = ?1 AND at > ?2 AND type = 'bounced'"
	"  AND json_extract(detail, '$.class') = 'soft'",
	[STORE__REC_SUPPRESS] = "INSERT INTO suppressions (email, reason,"
	" source, created_at) VALUES (?1, ?2, 'clariond', ?3)"
	" ON CONFLICT (email) DO NOTHING",
	[STORE__REC_BOUNCED] = "UPDATE contacts SET status = 'bounced',"
	" updated_at = ?2 WHERE id = ?1 AND status = 'active'",
};

static const char *const state_names[] = {
	[STORE_RUN_SCHEDULED] = "scheduled",
	[STORE_RUN_RUNNING] = "running",
	[STORE_RUN_PAUSED] = "paused",
	[STORE_RUN_DONE] = "done",
	[STORE_RUN_CANCELLED] = "cancelled",
};

#define NSTATES	(sizeof(state_names) / sizeof(state_names[0]))

const char *
store_run_state_name(enum store_run_state s)
{
	if ((unsigned)s >= NSTATES)
		return NULL;
	return state_names[s];
}

static int
state_parse(const char *text, enum store_run_state *out)
{
	size_t	 i;

	for (i = 0; text != NULL && i < NSTATES; i++)
		if (strcmp(text, state_names[i]) == 0) {
			*out = (enum store_run_state)i;
			return 0;
		}
	return -1;
}

void
store__run_close(struct store *st)
{
	struct store__run	*r = &st->run;
	size_t			 i;

	for (i = 0; i < STORE__RUN_NSTMT; i++) {
		sqlite3_finalize(r->stmt[i]);
		r->stmt[i] = NULL;
	}
	if (r->bufs) {
		buf_free(&r->detail);
		buf_free(&r->email);
		for (i = 0; i < sizeof(r->clean) / sizeof(r->clean[0]); i++)
			buf_free(&r->clean[i]);
		r->bufs = 0;
	}
}

/* get - a cached statement, prepared on first use. */
static int
get(struct store *st, enum store__run_stmt i, sqlite3_stmt **out,
    struct clr_err *err)
{
	int	 rc;

	*out = NULL;
	if (st->run.stmt[i] == NULL) {
		rc = sqlite3_prepare_v3(st->db, run_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &st->run.stmt[i], NULL);
		if (rc != SQLITE_OK) {
			st->run.stmt[i] = NULL;
			return store__fail(st, err, rc,
			    "preparing a statement");
		}
	}
	*out = st->run.stmt[i];
	return 0;
}

/* step_done - run a statement that returns no row; 0 or CLR_E*. */
static int
step_done(struct store *st, sqlite3_stmt *s, const char *what,
    struct clr_err *err)
{
	int	 rc = sqlite3_step(s);

	sqlite3_reset(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return store__fail(st, err, rc, what);
	return 0;
}

/* run_simple - a cached statement without parameters, to its end. */
static int
run_simple(struct store *st, enum store__run_stmt i, const char *what,
    struct clr_err *err)
{
	sqlite3_stmt	*s;
	int		 rc;

	if ((rc = get(st, i, &s, err)) != 0)
		return rc;
	return step_done(st, s, what, err);
}

/*
 * tx_enter - a transaction of one's own, or a savepoint in the caller's:
 * either way, tx_leave undoes everything since if the call failed.
 */
static int
tx_enter(struct store *st, int *nested, struct clr_err *err)
{
	*nested = !sqlite3_get_autocommit(st->db);
	if (*nested)
		return run_simple(st, STORE__SAVEPOINT, "a savepoint", err);
	return run_simple(st, STORE__BEGIN, "starting a transaction", err);
}

static int
tx_leave(struct store *st, int nested, int rc, struct clr_err *err)
{
	struct clr_err	 ignored;

	if (rc == 0) {
		rc = run_simple(st, nested ? STORE__RELEASE : STORE__COMMIT,
		    "committing", err);
		if (rc == 0)
			return 0;
	}
	/* SQLite may have rolled back already (a full disk, no memory). */
	if (sqlite3_get_autocommit(st->db))
		return rc;
	if (nested) {
		run_simple(st, STORE__ROLLBACK_TO, "rolling back", &ignored);
		run_simple(st, STORE__RELEASE, "rolling back", &ignored);
	} else
		run_simple(st, STORE__ROLLBACK, "rolling back", &ignored);
	return rc;
}

int
store_tx_begin(struct store *st, struct clr_err *err)
{
	if (!sqlite3_get_autocommit(st->db))
		return clr_err_set(err, CLR_EINVAL, "a transaction is already "
		    "open");
	return run_simple(st, STORE__BEGIN, "starting a transaction", err);
}

int
store_tx_commit(struct store *st, struct clr_err *err)
{
	int	 rc;

	if (sqlite3_get_autocommit(st->db))
		return clr_err_set(err, CLR_EINVAL, "no transaction is open");
	rc = run_simple(st, STORE__COMMIT, "committing", err);
	if (rc != 0)
		store_tx_rollback(st);
	return rc;
}

void
store_tx_rollback(struct store *st)
{
	struct clr_err	 ignored;

	if (!sqlite3_get_autocommit(st->db))
		run_simple(st, STORE__ROLLBACK, "rolling back", &ignored);
}

/* Runs: reading them. */

#define RUN_COLUMNS							\
	"SELECT id, name, segment, state, created_at,"			\
	"  coalesce(started_at, 0), coalesce(finished_at, 0),"		\
	"  possible_duplicates FROM campaigns"

static void
copy_name(char *dst, size_t size, const unsigned char *src)
{
	snprintf(dst, size, "%s", src != NULL ? (const char *)src : "");
}

static int
read_run(sqlite3_stmt *s, struct store_run *r, struct clr_err *err)
{
	const char	*state = (const char *)sqlite3_column_text(s, 3);

	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(s, 0);
	copy_name(r->name, sizeof(r->name), sqlite3_column_text(s, 1));
	copy_name(r->segment, sizeof(r->segment), sqlite3_column_text(s, 2));
	if (state_parse(state, &r->state) != 0)
		return clr_err_set(err, CLR_EDB, "run %lld has an unknown "
		    "state", (long long)r->id);
	r->created_at = sqlite3_column_int64(s, 4);
	r->started_at = sqlite3_column_int64(s, 5);
	r->finished_at = sqlite3_column_int64(s, 6);
	r->possible_duplicates = (uint64_t)sqlite3_column_int64(s, 7);
	return 0;
}

/* one_run - the run a query with one parameter finds: 0 or CLR_ENOENT. */
static int
one_run(struct store *st, const char *sql, int64_t id, const char *name,
    struct store_run *run, struct clr_err *err)
{
	sqlite3_stmt	*s;
	int		 rc;

	rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
	if (rc != SQLITE_OK)
		return store__fail(st, err, rc, "reading a run");
	if (name != NULL)
		sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		rc = read_run(s, run, err);
	else if (rc == SQLITE_DONE)
		rc = name != NULL ? clr_err_set(err, CLR_ENOENT, "campaign %s "
		    "has no run", name) : clr_err_set(err, CLR_ENOENT, "no run "
		    "%lld", (long long)id);
	else
		rc = store__fail(st, err, rc, "reading a run");
	sqlite3_finalize(s);
	return rc;
}

int
store_run_get(struct store *st, int64_t run_id, struct store_run *run,
    struct clr_err *err)
{
	return one_run(st, RUN_COLUMNS " WHERE id = ?1", run_id, NULL, run,
	    err);
}

int
store_run_latest(struct store *st, const char *name, struct store_run *run,
    struct clr_err *err)
{
	return one_run(st, RUN_COLUMNS " WHERE name = ?1 ORDER BY id DESC"
	    " LIMIT 1", 0, name, run, err);
}

int
store_runs_active(struct store *st, store_run_fn fn, void *arg,
    struct clr_err *err)
{
	struct store_run	 run;
	sqlite3_stmt		*s;
	int			 rc;

	rc = sqlite3_prepare_v2(st->db, RUN_COLUMNS " WHERE state = 'running'"
	    " OR state = 'paused' ORDER BY id", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return store__fail(st, err, rc, "reading runs");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if ((rc = read_run(s, &run, err)) != 0)
			goto out;
		if (fn(arg, &run) != 0)
			break;
	}
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		rc = 0;
	else
		rc = store__fail(st, err, rc, "reading runs");
out:
	sqlite3_finalize(s);
	return rc;
}

int
store_run_counts(struct store *st, int64_t run_id,
    struct store_run_counts *c, struct clr_err *err)
{
	sqlite3_stmt	*s;
	uint64_t	 soft = 0;
	int		 rc, found = 0;

	/*
	 * One statement, so one snapshot. By state from sends_queue alone
	 * (min(next_attempt_at) of the deferred is the earliest); only the
	 * bounced and skipped rows are read for their class and reason.
	 */
	rc = sqlite3_prepare_v2(st->db,
	    "SELECT state, count(*), min(next_attempt_at) FROM sends"
	    " WHERE campaign_id = ?1 GROUP BY state"
	    " UNION ALL SELECT 'soft', count(*), NULL FROM sends"
	    " WHERE campaign_id = ?1 AND state = 'bounced' AND bounce = 'soft'"
	    " UNION ALL SELECT 'capped', count(*), NULL FROM sends"
	    " WHERE campaign_id = ?1 AND state = 'skipped'"
	    "  AND reason = 'frequency-cap'"
	    " UNION ALL SELECT 'run', count(*), NULL FROM campaigns"
	    " WHERE id = ?1", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return store__fail(st, err, rc, "counting sends");
	sqlite3_bind_int64(s, 1, run_id);
	memset(c, 0, sizeof(*c));
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char	*k = (const char *)sqlite3_column_text(s, 0);
		uint64_t	 n = (uint64_t)sqlite3_column_int64(s, 1);

		if (strcmp(k, "run") == 0)
			found = n > 0;
		else if (strcmp(k, "soft") == 0)
			soft = n;
		else if (strcmp(k, "capped") == 0)
			c->skipped_capped = n;
		else {
			c->total += n;
			if (strcmp(k, "pending") == 0)
				c->pending = n;
			else if (strcmp(k, "sending") == 0)
				c->sending = n;
			else if (strcmp(k, "sent") == 0)
				c->sent = n;
			else if (strcmp(k, "deferred") == 0) {
				c->deferred = n;
				c->next_attempt_at = sqlite3_column_int64(s, 2);
			} else if (strcmp(k, "bounced") == 0)
				c->bounced_hard = n;
			else if (strcmp(k, "failed") == 0)
				c->failed = n;
			else if (strcmp(k, "skipped") == 0)
				c->skipped = n;
		}
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return store__fail(st, err, rc, "counting sends");
	if (!found)
		return clr_err_set(err, CLR_ENOENT, "no run %lld",
		    (long long)run_id);
	c->bounced_hard -= soft;
	c->bounced_soft = soft;
	return 0;
}

/* Runs: starting and changing them. */

/*
 * exec_int - prepare sql, bind its parameters as fmt says ('i' an
 * int64_t, 's' a string, 'n' NULL), run it to its end and keep the first
 * column of its first row in *out (0 if it has none; out may be NULL).
 * SQLite's rc; sqlite3_changes() tells what it changed.
 */
static int
exec_int(struct store *st, const char *sql, int64_t *out, const char *fmt,
    ...)
{
	sqlite3_stmt	*s;
	va_list		 ap;
	int		 rc, i;

	if (out != NULL)
		*out = 0;
	rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
	if (rc != SQLITE_OK)
		return rc;
	va_start(ap, fmt);
	for (i = 1; fmt[i - 1] != '\0'; i++) {
		switch (fmt[i - 1]) {
		case 'i':
			sqlite3_bind_int64(s, i, va_arg(ap, int64_t));
			break;
		case 's':
			sqlite3_bind_text(s, i, va_arg(ap, const char *), -1,
			    SQLITE_STATIC);
			break;
		default:
			sqlite3_bind_null(s, i);
		}
	}
	va_end(ap);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if (out != NULL) {
			*out = sqlite3_column_int64(s, 0);
			out = NULL;
		}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int
check_name(const char *what, const char *name, struct clr_err *err)
{
	if (name == NULL || name[0] == '\0' || strlen(name) > RUN_NAME_MAX)
		return clr_err_set(err, CLR_EINVAL, "a run needs a %s name of "
		    "1 to %d bytes", what, RUN_NAME_MAX);
	return 0;
}

/*
 * snapshot_sql - the INSERT that snapshots the segment: ?1 run, ?2 now,
 * ?3 the cap's messages (0: none), ?4 the start of its period. Sends
 * are made in contact order, which claims follow. The cap counts a
 * contact's sends sent within the period in the runs that may have sent
 * then (not finished before it: a handful), one probe of the
 * (campaign_id, contact_id) index each; its reason is set afterwards, on
 * the few rows it skipped, rather than evaluated twice per row. CROSS
 * JOIN keeps the runs outside: the other order scans every send.
 */
static int
snapshot_sql(const struct store_segment_def *def, struct buf *sql)
{
	int	 rc;

	rc = buf_puts(sql, "WITH recent(id) AS MATERIALIZED (SELECT id FROM"
	    " campaigns WHERE ?3 > 0 AND (finished_at IS NULL OR"
	    " finished_at > ?4))\n"
	    "INSERT INTO sends (campaign_id, contact_id, state,"
	    " updated_at)\nSELECT ?1, e.id, CASE WHEN ?3 > 0 AND"
	    " (SELECT count(*) FROM recent AS r CROSS JOIN sends AS p WHERE"
	    " p.campaign_id = r.id AND p.contact_id = e.id AND"
	    " p.sent_at > ?4) >= ?3 THEN 'skipped' ELSE 'pending' END, ?2"
	    "\nFROM (\n");
	if (rc == 0)
		rc = store_segment_sql(def, STORE_SEGMENT_IDS, 0, sql);
	if (rc == 0)
		rc = buf_puts(sql, "\n) AS e ORDER BY e.id");
	return rc;
}

/*
 * snapshot - the run's row and its sends, inside the caller's
 * transaction; *id the run, *total its sends, *capped those skipped.
 */
static int
snapshot(struct store *st, sqlite3_stmt *ins, const char *name,
    const char *segment, const struct store_cap *cap, int64_t now,
    int64_t *id, uint64_t *total, uint64_t *capped, struct clr_err *err)
{
	int64_t	 busy, prev, last = 0;
	int	 rc;

	rc = exec_int(st, "SELECT id FROM campaigns WHERE name = ?1 AND"
	    " (state = 'running' OR state = 'paused') LIMIT 1", &busy, "s",
	    name);
	if (rc != SQLITE_OK)
		return store__fail(st, err, rc, "starting the run");
	if (busy != 0)
		return clr_err_set(err, CLR_EEXIST, "campaign %s is already "
		    "under way (run %lld): it must be done or cancelled before "
		    "it starts again", name, (long long)busy);
	/* New rowids follow the highest: the run's sends come after prev. */
	rc = exec_int(st, "SELECT coalesce(max(id), 0) FROM sends", &prev,
	    "");
	if (rc == SQLITE_OK)
		rc = exec_int(st, "INSERT INTO campaigns (name, segment, state,"
		    " created_at, started_at) VALUES (?1, ?2, 'running', ?3,"
		    " ?3) RETURNING id", id, "ssi", name, segment, now);
	if (rc != SQLITE_OK)
		return store__fail(st, err, rc, "starting the run");

	sqlite3_bind_int64(ins, 1, *id);
	sqlite3_bind_int64(ins, 2, now);
	sqlite3_bind_int64(ins, 3, cap != NULL ? (int64_t)cap->messages : 0);
	sqlite3_bind_int64(ins, 4, cap != NULL ? now - cap->period : now);
	rc = sqlite3_step(ins);
	sqlite3_reset(ins);
	if (rc != SQLITE_DONE)
		return store__fail(st, err, rc, "taking the snapshot");
	*total = (uint64_t)sqlite3_changes(st->db);
	if (*total > 0)
		last = sqlite3_last_insert_rowid(st->db);

	rc = exec_int(st, "UPDATE sends SET reason = 'frequency-cap'"
	    " WHERE campaign_id = ?1 AND state = 'skipped'", NULL, "i", *id);
	if (rc == SQLITE_OK) {
		*capped = (uint64_t)sqlite3_changes(st->db);
		rc = exec_int(st, "UPDATE campaigns SET first_send = ?2,"
		    " last_send = ?3 WHERE id = ?1", NULL, "iii", *id,
		    *total > 0 ? prev + 1 : 0, last);
	}
	if (rc != SQLITE_OK)
		return store__fail(st, err, rc, "starting the run");
	return 0;
}

int
store_run_start(struct store *st, const char *name, const char *segment,
    const struct store_segment_def *def, const struct store_cap *cap,
    int64_t now, struct store_run *run, struct store_run_counts *counts,
    struct clr_err *err)
{
	struct buf	 sql = BUF_INITIALIZER(128 * 1024);
	sqlite3_stmt	*ins = NULL;
	int64_t		 id = 0;
	uint64_t	 total = 0, capped = 0;
	int		 rc, nested, fk;

	if ((rc = check_name("campaign", name, err)) != 0 ||
	    (rc = check_name("segment", segment, err)) != 0)
		return rc;
	if (def == NULL || def->nlists == 0 || def->lists == NULL ||
	    def->theme == NULL)
		return clr_err_set(err, CLR_EINVAL, "segment %s needs lists "
		    "and a theme", segment);
	if (snapshot_sql(def, &sql) != 0) {
		buf_free(&sql);
		return clr_err_set(err, CLR_ETOOBIG, "the segment's SQL is too "
		    "long");
	}
	/*
	 * Foreign keys go unchecked for the snapshot, which compiles without
	 * them: its rows' parents exist by construction (the run it makes,
	 * contacts read in the same transaction), and checking them cost an
	 * eighth of its time. The pragma is a no-op inside the caller's
	 * transaction: there they stay on.
	 */
	if ((fk = sqlite3_get_autocommit(st->db)) &&
	    (rc = store__exec(st, "PRAGMA foreign_keys = OFF", err)) != 0)
		fk = 0;
	/* The where clause's guards, with the INSERT into sends allowed. */
	else if ((rc = store__segment_compile(st, def, sql.data, sql.len,
	    "sends", &ins, err)) == 0 &&
	    (rc = tx_enter(st, &nested, err)) == 0) {
		rc = snapshot(st, ins, name, segment, cap, now, &id, &total,
		    &capped, err);
		rc = tx_leave(st, nested, rc, err);
	}
	buf_free(&sql);
	sqlite3_finalize(ins);
	/* A flag, outside a transaction: setting it cannot fail. */
	if (fk)
		(void)sqlite3_exec(st->db, "PRAGMA foreign_keys = ON", NULL,
		    NULL, NULL);
	if (rc != 0)
		return rc;
	if (run != NULL) {
		memset(run, 0, sizeof(*run));
		run->id = id;
		copy_name(run->name, sizeof(run->name),
		    (const unsigned char *)name);
		copy_name(run->segment, sizeof(run->segment),
		    (const unsigned char *)segment);
		run->state = STORE_RUN_RUNNING;
		run->created_at = run->started_at = now;
	}
	if (counts != NULL) {
		memset(counts, 0, sizeof(*counts));
		counts->total = total;
		counts->pending = total - capped;
		counts->skipped = counts->skipped_capped = capped;
	}
	return 0;
}

/*
 * allowed - the state machine: scheduled -> running <-> paused; running
 * -> done; cancelled from scheduled, running or paused.
 */
static int
allowed(enum store_run_state from, enum store_run_state to)
{
	switch (to) {
	case STORE_RUN_RUNNING:
		return from == STORE_RUN_SCHEDULED || from == STORE_RUN_PAUSED;
	case STORE_RUN_PAUSED:
	case STORE_RUN_DONE:
		return from == STORE_RUN_RUNNING;
	case STORE_RUN_CANCELLED:
		return from == STORE_RUN_SCHEDULED ||
		    from == STORE_RUN_RUNNING || from == STORE_RUN_PAUSED;
	default:
		return 0;
	}
}

/* Sends not resolved yet, of run ?1. */
#define UNRESOLVED							\
	"(state = 'pending' OR state = 'deferred' OR state = 'sending')"

static int
set_state(struct store *st, int64_t run_id, enum store_run_state to,
    int64_t now, struct clr_err *err)
{
	struct store_run	 run;
	const char		*name = state_names[to];
	int64_t			 left;
	int			 rc;

	if ((rc = store_run_get(st, run_id, &run, err)) != 0)
		return rc;
	if (run.state == to)
		return clr_err_set(err, CLR_EINVAL, "run %lld is already %s",
		    (long long)run_id, name);
	if (run.state == STORE_RUN_DONE || run.state == STORE_RUN_CANCELLED)
		return clr_err_set(err, CLR_EINVAL, "run %lld is %s: it is "
		    "over and cannot become %s", (long long)run_id,
		    state_names[run.state], name);
	if (!allowed(run.state, to))
		return clr_err_set(err, CLR_EINVAL, "run %lld is %s: it cannot "
		    "become %s%s", (long long)run_id, state_names[run.state],
		    name, to == STORE_RUN_DONE ? " (only a running run can)" :
		    to == STORE_RUN_PAUSED ? " (only a running run can be "
		    "paused)" : "");
	if (to == STORE_RUN_DONE) {
		/* Done: every send resolved. Cancelling is the other way. */
		rc = exec_int(st, "SELECT count(*) FROM sends WHERE"
		    " campaign_id = ?1 AND " UNRESOLVED, &left, "i", run_id);
		if (rc != SQLITE_OK)
			return store__fail(st, err, rc, "changing a run");
		if (left > 0)
			return clr_err_set(err, CLR_EINVAL, "run %lld cannot "
			    "be done: %lld of its sends are not resolved "
			    "(cancel it instead)", (long long)run_id,
			    (long long)left);
	}
	rc = exec_int(st, "UPDATE campaigns SET state = ?2,"
	    " started_at = CASE WHEN ?2 = 'running'"
	    "   THEN coalesce(started_at, ?3) ELSE started_at END,"
	    " finished_at = CASE WHEN ?2 = 'done' OR ?2 = 'cancelled'"
	    "   THEN ?3 ELSE finished_at END"
	    " WHERE id = ?1", NULL, "isi", run_id, name, now);
	if (rc == SQLITE_OK && to == STORE_RUN_CANCELLED)
		rc = exec_int(st, "UPDATE sends SET state = 'skipped',"
		    " reason = 'cancelled', next_attempt_at = NULL,"
		    " updated_at = ?2 WHERE campaign_id = ?1 AND " UNRESOLVED,
		    NULL, "ii", run_id, now);
	if (rc != SQLITE_OK)
		return store__fail(st, err, rc, "changing a run");
	return 0;
}

int
store_run_set_state(struct store *st, int64_t run_id,
    enum store_run_state to, int64_t now, struct clr_err *err)
{
	int	 rc, nested;

	if ((unsigned)to >= NSTATES)
		return clr_err_set(err, CLR_EINVAL, "no run state %d", (int)to);
	if ((rc = tx_enter(st, &nested, err)) != 0)
		return rc;
	rc = set_state(st, run_id, to, now, err);
	return tx_leave(st, nested, rc, err);
}

/* no_run - CLR_ENOENT if there is no run_id, else 0 or CLR_E*. */
static int
no_run(struct store *st, int64_t run_id, struct clr_err *err)
{
	int64_t	 n;
	int	 rc;

	rc = exec_int(st, "SELECT count(*) FROM campaigns WHERE id = ?1", &n,
	    "i", run_id);
	if (rc != SQLITE_OK)
		return store__fail(st, err, rc, "reading a run");
	if (n == 0)
		return clr_err_set(err, CLR_ENOENT, "no run %lld",
		    (long long)run_id);
	return 0;
}

int
store_run_finish_if_done(struct store *st, int64_t run_id, int64_t now,
    int *done, struct clr_err *err)
{
	int	 rc;

	*done = 0;
	/* One statement: the check and the change see the same sends. */
	rc = exec_int(st, "UPDATE campaigns SET state = 'done',"
	    " finished_at = ?2 WHERE id = ?1 AND state = 'running'"
	    " AND NOT EXISTS (SELECT 1 FROM sends WHERE campaign_id = ?1"
	    "  AND state = 'pending')"
	    " AND NOT EXISTS (SELECT 1 FROM sends WHERE campaign_id = ?1"
	    "  AND state = 'deferred')"
	    " AND NOT EXISTS (SELECT 1 FROM sends WHERE campaign_id = ?1"
	    "  AND state = 'sending')", NULL, "ii", run_id, now);
	if (rc != SQLITE_OK)
		return store__fail(st, err, rc, "finishing a run");
	if (sqlite3_changes(st->db) > 0) {
		*done = 1;
		return 0;
	}
	return no_run(st, run_id, err);
}

int
store_claims_clear(struct store *st, int64_t run_id, struct clr_err *err)
{
	int	 rc;

	rc = exec_int(st, "UPDATE campaigns SET claimed_through = 0"
	    " WHERE id = ?1", NULL, "i", run_id);
	if (rc != SQLITE_OK)
		return store__fail(st, err, rc, "clearing claims");
	if (sqlite3_changes(st->db) == 0)
		return no_run(st, run_id, err);
	return 0;
}

/* Runs under way, and the sends of each that the last process claimed. */
#define ACTIVE_RUN	"(state = 'running' OR state = 'paused')"
#define CLAIMED(c)							\
	"((SELECT count(*) FROM sends AS s WHERE s.campaign_id = " c ".id" \
	"  AND s.state = 'pending' AND s.next_attempt_at IS NULL"	\
	"  AND s.id <= " c ".claimed_through)"				\
	" + (SELECT count(*) FROM sends AS s WHERE s.campaign_id = " c ".id" \
	"  AND s.state = 'sending'))"

static int
recover(struct store *st, int64_t now, uint64_t *recovered,
    struct clr_err *err)
{
	int64_t	 n;
	int	 rc;

	/*
	 * Pending sends have no next_attempt_at: with it, sends_queue
	 * finds those at or below claimed_through by rowid, without the
	 * rest of the run.
	 */
	rc = exec_int(st, "SELECT coalesce(sum(" CLAIMED("c") "), 0)"
	    " FROM campaigns AS c WHERE " ACTIVE_RUN, &n, "");
	if (rc == SQLITE_OK && n > 0)
		rc = exec_int(st, "UPDATE campaigns SET possible_duplicates ="
		    " possible_duplicates + " CLAIMED("campaigns")
		    " WHERE " ACTIVE_RUN, NULL, "");
	if (rc == SQLITE_OK)
		rc = exec_int(st, "UPDATE campaigns SET claimed_through = 0"
		    " WHERE claimed_through <> 0 AND " ACTIVE_RUN, NULL, "");
	if (rc == SQLITE_OK && n > 0)
		rc = exec_int(st, "UPDATE sends SET state = 'deferred',"
		    " next_attempt_at = ?1, updated_at = ?1"
		    " WHERE state = 'sending' AND campaign_id IN"
		    " (SELECT id FROM campaigns WHERE " ACTIVE_RUN ")", NULL,
		    "i", now);
	if (rc != SQLITE_OK)
		return store__fail(st, err, rc, "recovering claims");
	*recovered = (uint64_t)n;
	return 0;
}

int
store_recover(struct store *st, int64_t now, uint64_t *recovered,
    struct clr_err *err)
{
	uint64_t	 n = 0;
	int		 rc, nested;

	if ((rc = tx_enter(st, &nested, err)) != 0)
		return rc;
	rc = recover(st, now, &n, err);
	if ((rc = tx_leave(st, nested, rc, err)) != 0)
		return rc;
	if (recovered != NULL)
		*recovered = n;
	return 0;
}

/* Claims. */

/* claim_apply - the writes a scan left for its end. */
static int
claim_apply(struct store *st, int64_t now, struct clr_err *err)
{
	struct store__run	*r = &st->run;
	sqlite3_stmt		*sending, *skip;
	size_t			 i;
	int			 rc;

	if ((rc = get(st, STORE__CLAIM_SENDING, &sending, err)) != 0 ||
	    (rc = get(st, STORE__CLAIM_SKIP, &skip, err)) != 0)
		return rc;
	for (i = 0; i < r->nclaimed && rc == 0; i++) {
		const struct store__claimed	*c = &r->claimed[i];

		if (c->skip == NULL) {
			sqlite3_bind_int64(sending, 1, c->id);
			sqlite3_bind_int64(sending, 2, now);
			rc = step_done(st, sending, "claiming a send", err);
		} else {
			sqlite3_bind_int64(skip, 1, c->id);
			sqlite3_bind_text(skip, 2, c->skip, -1, SQLITE_STATIC);
			sqlite3_bind_int64(skip, 3, now);
			rc = step_done(st, skip, "skipping a send", err);
		}
	}
	r->nclaimed = 0;
	return rc;
}

/*
 * claim_scan - claim from one query, the deferred sends due or the
 * pending ones after *cursor, until *got reaches want or it has no more.
 * Its writes wait for the end of the scan (SQLite leaves undefined what a
 * scan sees of rows changed under it), so a scan stops when its buffer of
 * writes is full and starts again after them. *stop: fn said stop.
 */
static int
claim_scan(struct store *st, int pending, int64_t run_id, int64_t *cursor,
    int64_t now, size_t want, store_claim_fn fn, void *arg, size_t *got,
    int64_t *through, int *stop, struct clr_err *err)
{
	struct store__run	*r = &st->run;
	struct store_claim	 c;
	sqlite3_stmt		*s;
	int			 rc, step, more = 1;

	rc = get(st, pending ? STORE__CLAIM_PENDING : STORE__CLAIM_DUE, &s,
	    err);
	while (rc == 0 && more && *got < want && !*stop) {
		sqlite3_bind_int64(s, 1, run_id);
		sqlite3_bind_int64(s, 2, pending ? *cursor : now);
		more = 0;
		step = SQLITE_DONE;
		while (*got < want && (step = sqlite3_step(s)) == SQLITE_ROW) {
			int64_t	 reason = sqlite3_column_int64(s, 8);

			c.send_id = sqlite3_column_int64(s, 0);
			if (reason > 0 && reason < NSKIP) {
				r->claimed[r->nclaimed].id = c.send_id;
				r->claimed[r->nclaimed++].skip =
				    skip_reasons[reason];
			} else {
				c.contact_id = sqlite3_column_int64(s, 1);
				c.attempts = (unsigned)sqlite3_column_int64(s,
				    2);
				c.email = (const char *)sqlite3_column_text(s,
				    3);
				c.first_name = (const char *)
				    sqlite3_column_text(s, 4);
				c.last_name = (const char *)
				    sqlite3_column_text(s, 5);
				c.locale = (const char *)sqlite3_column_text(s,
				    6);
				c.attrs = (const char *)sqlite3_column_text(s,
				    7);
				if (fn(arg, &c) != 0) {
					*stop = 1;
					break;
				}
				(*got)++;
				if (pending)
					*through = c.send_id;
				else {
					r->claimed[r->nclaimed].id = c.send_id;
					r->claimed[r->nclaimed++].skip = NULL;
				}
			}
			if (pending)
				*cursor = c.send_id;
			if (r->nclaimed == STORE_CLAIM_BUF) {
				more = 1;
				break;
			}
		}
		if (step != SQLITE_ROW && step != SQLITE_DONE)
			rc = store__fail(st, err, step, "claiming sends");
		sqlite3_reset(s);
		if (rc == 0)
			rc = claim_apply(st, now, err);
	}
	r->nclaimed = 0;
	return rc;
}

int
store_claim(struct store *st, int64_t run_id, int64_t *cursor, int64_t now,
    size_t n, store_claim_fn fn, void *arg, size_t *claimed,
    struct clr_err *err)
{
	sqlite3_stmt	*s;
	int64_t		 at = *cursor, through = 0;
	size_t		 got = 0;
	int		 rc, nested, stop = 0;

	if (claimed != NULL)
		*claimed = 0;
	if (n == 0)
		return 0;
	if ((rc = tx_enter(st, &nested, err)) != 0)
		return rc;
	rc = claim_scan(st, 0, run_id, NULL, now, n, fn, arg, &got, &through,
	    &stop, err);
	if (rc == 0)
		rc = claim_scan(st, 1, run_id, &at, now, n, fn, arg, &got,
		    &through, &stop, err);
	/* In the same transaction: a crash cannot lose what was claimed. */
	if (rc == 0 && through > 0 &&
	    (rc = get(st, STORE__CLAIM_THROUGH, &s, err)) == 0) {
		sqlite3_bind_int64(s, 1, run_id);
		sqlite3_bind_int64(s, 2, through);
		rc = step_done(st, s, "claiming sends", err);
	}
	if ((rc = tx_leave(st, nested, rc, err)) != 0)
		return rc;
	*cursor = at;
	if (claimed != NULL)
		*claimed = got;
	return 0;
}

/* Results. */

/* The texts of a result, made valid UTF-8. */
struct texts {
	const char	*status, *reply, *reason, *relay, *message_id;
};

static void
bufs_init(struct store__run *r)
{
	size_t	 i;

	if (r->bufs)
		return;
	/* An escaped text may take six bytes per byte. */
	buf_init(&r->detail, 8 * TEXT_MAX);
	buf_init(&r->email, 4096);
	for (i = 0; i < sizeof(r->clean) / sizeof(r->clean[0]); i++)
		buf_init(&r->clean[i], TEXT_MAX);
	r->bufs = 1;
}

/*
 * clean - s itself if it is valid UTF-8, else a copy in b with each
 * invalid byte replaced by U+FFFD: replies come from remote servers, and
 * the events' JSON must hold valid text.
 */
static const char *
clean(struct buf *b, const char *s, int *rc)
{
	size_t		 n, i, len;
	uint32_t	 cp;

	if (s == NULL || *rc != 0)
		return s;
	n = strlen(s);
	if (utf8_valid(s, n, NULL))
		return s;
	buf_reset(b);
	for (i = 0; i < n && *rc == 0; i += len) {
		len = utf8_decode((const unsigned char *)s + i, n - i, &cp);
		if (len == 0) {
			*rc = buf_puts(b, "\xEF\xBF\xBD");
			len = 1;
		} else
			*rc = buf_append(b, s + i, len);
	}
	return b->data;
}

static int
put_member(struct buf *b, const char *key, const char *v)
{
	int	 rc;

	if (v == NULL)
		return 0;
	if ((rc = buf_printf(b, ",\"%s\":", key)) != 0)
		return rc;
	return json_put_string(b, v, strlen(v));
}

/* detail - an outcome's event detail, a JSON object, into b. */
static int
detail(struct buf *b, const struct store_result *res, const struct texts *t,
    const char *reason, const char *class, unsigned attempt)
{
	int	 rc;

	buf_reset(b);
	rc = buf_printf(b, "{\"code\":%d", res->code);
	rc = rc ? rc : put_member(b, "status", t->status);
	rc = rc ? rc : put_member(b, "reply", t->reply);
	rc = rc ? rc : put_member(b, "reason", reason);
	rc = rc ? rc : put_member(b, "relay", t->relay);
	rc = rc ? rc : put_member(b, "class", class);
	rc = rc ? rc : buf_printf(b, ",\"attempt\":%u,\"ambiguous\":%s}",
	    attempt, res->ambiguous ? "true" : "false");
	return rc;
}

static void
bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v != NULL)
		sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}

static void
bind_id(sqlite3_stmt *s, int i, int64_t v)
{
	if (v != 0)
		sqlite3_bind_int64(s, i, v);
	else
		sqlite3_bind_null(s, i);
}

/* event - an events row; detail is st->run.detail. */
static int
event(struct store *st, int64_t now, const char *type, int64_t contact,
    int64_t campaign, struct clr_err *err)
{
	sqlite3_stmt	*s;
	int		 rc;

	if ((rc = get(st, STORE__REC_EVENT, &s, err)) != 0)
		return rc;
	sqlite3_bind_int64(s, 1, now);
	sqlite3_bind_text(s, 2, type, -1, SQLITE_STATIC);
	bind_id(s, 3, contact);
	bind_id(s, 4, campaign);
	sqlite3_bind_text(s, 5, st->run.detail.data,
	    (int)st->run.detail.len, SQLITE_STATIC);
	return step_done(st, s, "recording an event", err);
}

/*
 * suppress - suppress the address of the send's contact (st->run.email)
 * and mark the contact bounced; an event if either is new.
 */
static int
suppress(struct store *st, int64_t contact, int64_t campaign,
    int64_t send, const char *why, int64_t now,
    struct store_record_stats *stats, struct clr_err *err)
{
	struct store__run	*r = &st->run;
	sqlite3_stmt		*ins, *upd;
	int			 rc, changed;

	if (contact == 0 || r->email.len == 0)
		return 0;	/* erased: no address left to suppress */
	if ((rc = get(st, STORE__REC_SUPPRESS, &ins, err)) != 0 ||
	    (rc = get(st, STORE__REC_BOUNCED, &upd, err)) != 0)
		return rc;
	sqlite3_bind_text(ins, 1, r->email.data, (int)r->email.len,
	    SQLITE_STATIC);
	sqlite3_bind_text(ins, 2, why, -1, SQLITE_STATIC);
	sqlite3_bind_int64(ins, 3, now);
	if ((rc = step_done(st, ins, "suppressing an address", err)) != 0)
		return rc;
	changed = sqlite3_changes(st->db);
	sqlite3_bind_int64(upd, 1, contact);
	sqlite3_bind_int64(upd, 2, now);
	if ((rc = step_done(st, upd, "suppressing a contact", err)) != 0)
		return rc;
	changed += sqlite3_changes(st->db);
	if (changed == 0)
		return 0;
	buf_reset(&r->detail);
	rc = buf_puts(&r->detail, "{\"reason\":");
	rc = rc ? rc : json_put_string(&r->detail, why, strlen(why));
	rc = rc ? rc : buf_printf(&r->detail, ",\"send\":%lld}",
	    (long long)send);
	if (rc != 0)
		return clr_err_set(err, rc, "recording a suppression: %s",
		    clr_strerror(rc));
	if ((rc = event(st, now, "suppressed", contact, campaign, err)) != 0)
		return rc;
	stats->suppressed++;
	return 0;
}

/* soft_policy - suppress once soft_limit soft bounces fell in the period. */
static int
soft_policy(struct store *st, const struct store_policy *p, int64_t contact,
    int64_t campaign, const struct store_result *res,
    const struct texts *t, int64_t now, struct store_record_stats *stats,
    struct clr_err *err)
{
	sqlite3_stmt	*s;
	int64_t		 n = 0;
	char		 why[160];
	int		 rc;

	if (p->soft_limit == 0 || p->soft_period <= 0 || contact == 0)
		return 0;
	if ((rc = get(st, STORE__REC_SOFT, &s, err)) != 0)
		return rc;
	sqlite3_bind_int64(s, 1, contact);
	sqlite3_bind_int64(s, 2, now - p->soft_period);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW)
		return store__fail(st, err, rc, "counting soft bounces");
	if (n < (int64_t)p->soft_limit)
		return 0;
	snprintf(why, sizeof(why), "soft bounces: %lld within %llds, the "
	    "last %d%s%.32s", (long long)n, (long long)p->soft_period,
	    res->code, t->status != NULL ? " " : "",
	    t->status != NULL ? t->status : "");
	return suppress(st, contact, campaign, res->send_id, why, now, stats,
	    err);
}

/* The state of a send, as store_record reads it. */
struct send {
	int		 resolved;	/* others are ignored */
	int		 sending;	/* a deferred one claimed again */
	int		 cancelled;	/* skipped by a cancel */
	unsigned	 attempts;
	int64_t		 first;	/* first_attempt_at, or now */
	int64_t		 contact;	/* 0: erased */
	int64_t		 campaign;
};

static int
lookup(struct store *st, int64_t id, int64_t now, struct send *sd,
    struct clr_err *err)
{
	struct store__run	*r = &st->run;
	sqlite3_stmt		*s;
	const char		*state, *email;
	int			 rc;

	memset(sd, 0, sizeof(*sd));
	if ((rc = get(st, STORE__REC_LOOKUP, &s, err)) != 0)
		return rc;
	sqlite3_bind_int64(s, 1, id);
	if ((rc = sqlite3_step(s)) != SQLITE_ROW) {
		sqlite3_reset(s);
		if (rc == SQLITE_DONE)
			return clr_err_set(err, CLR_ENOENT, "no send %lld",
			    (long long)id);
		return store__fail(st, err, rc, "reading a send");
	}
	state = (const char *)sqlite3_column_text(s, 0);
	sd->sending = strcmp(state, "sending") == 0;
	sd->cancelled = strcmp(state, "skipped") == 0 &&
	    sqlite3_column_int(s, 1);
	sd->resolved = !sd->cancelled && strcmp(state, "pending") != 0 &&
	    strcmp(state, "deferred") != 0 && !sd->sending;
	sd->attempts = (unsigned)sqlite3_column_int64(s, 2);
	sd->first = sqlite3_column_type(s, 3) == SQLITE_NULL ? now :
	    sqlite3_column_int64(s, 3);
	sd->contact = sqlite3_column_int64(s, 4);
	sd->campaign = sqlite3_column_int64(s, 5);
	email = (const char *)sqlite3_column_text(s, 6);
	buf_reset(&r->email);
	rc = email != NULL ? buf_puts(&r->email, email) : 0;
	sqlite3_reset(s);
	if (rc != 0)
		return clr_err_set(err, rc, "send %lld: %s", (long long)id,
		    clr_strerror(rc));
	return 0;
}

static int
record_one(struct store *st, const struct store_result *res,
    const struct store_policy *p, int64_t now,
    struct store_record_stats *stats, struct clr_err *err)
{
	struct store__run	*r = &st->run;
	struct send		 sd;
	struct texts		 t;
	sqlite3_stmt		*s;
	const char		*state, *type, *reason, *bounce = NULL;
	int64_t			 next = 0;
	unsigned		 attempt;
	size_t			 k;
	int			 rc;

	if ((rc = lookup(st, res->send_id, now, &sd, err)) != 0)
		return rc;
	if (sd.resolved)
		return 0;	/* a duplicate result: the first one holds */
	if (res->outcome == STORE_RELEASED) {
		stats->released++;
		if (!sd.sending)
			return 0;	/* pending stays pending */
		if ((rc = get(st, STORE__REC_RELEASE, &s, err)) != 0)
			return rc;
		sqlite3_bind_int64(s, 1, res->send_id);
		sqlite3_bind_int64(s, 2, now);
		return step_done(st, s, "releasing a send", err);
	}

	rc = 0;
	t.status = clean(&r->clean[0], res->status, &rc);
	t.reply = clean(&r->clean[1], res->reply, &rc);
	t.reason = clean(&r->clean[2], res->reason, &rc);
	t.relay = clean(&r->clean[3], res->relay, &rc);
	t.message_id = clean(&r->clean[4], res->message_id, &rc);
	if (rc != 0)
		return clr_err_set(err, rc, "send %lld: its reply is too long",
		    (long long)res->send_id);
	attempt = sd.attempts + 1;
	type = state = "failed";
	reason = t.reason;
	switch (res->outcome) {
	case STORE_SENT:
		type = state = "sent";
		stats->sent++;
		break;
	case STORE_DEFERRED:
		type = state = "deferred";
		k = attempt < p->nretry ? attempt : p->nretry;
		next = now + p->retry[k - 1];
		if (sd.cancelled) {
			/* Its run is cancelled: no next attempt. */
			state = "skipped";
			reason = "cancelled";
			next = 0;
			stats->deferred++;
		} else if (p->max_age > 0 && next - sd.first > p->max_age) {
			type = state = "failed";
			reason = "expired";
			next = 0;
			stats->failed++;
			stats->expired++;
		} else
			stats->deferred++;
		break;
	case STORE_BOUNCED_HARD:
	case STORE_BOUNCED_SOFT:
		type = state = "bounced";
		bounce = res->outcome == STORE_BOUNCED_HARD ? "hard" : "soft";
		stats->bounced++;
		break;
	default:
		stats->failed++;
	}

	if ((rc = get(st, STORE__REC_UPDATE, &s, err)) != 0)
		return rc;
	sqlite3_bind_int64(s, 1, res->send_id);
	sqlite3_bind_text(s, 2, state, -1, SQLITE_STATIC);
	bind_id(s, 3, res->code);
	bind_text(s, 4, t.status);
	bind_text(s, 5, t.reply);
	bind_text(s, 6, t.message_id);
	bind_text(s, 7, reason);
	bind_text(s, 8, bounce);
	bind_id(s, 9, next);
	sqlite3_bind_int64(s, 10, now);
	if ((rc = step_done(st, s, "recording a result", err)) != 0)
		return rc;
	if ((rc = detail(&r->detail, res, &t, strcmp(type, "deferred") == 0 ?
	    t.reason : reason, bounce, attempt)) != 0)
		return clr_err_set(err, rc, "send %lld: its event is too long",
		    (long long)res->send_id);
	if ((rc = event(st, now, type, sd.contact, sd.campaign, err)) != 0)
		return rc;

	if (res->outcome == STORE_BOUNCED_HARD) {
		char	 why[96];

		snprintf(why, sizeof(why), "hard bounce: %d%s%.32s", res->code,
		    t.status != NULL ? " " : "",
		    t.status != NULL ? t.status : "");
		return suppress(st, sd.contact, sd.campaign, res->send_id, why,
		    now, stats, err);
	}
	if (res->outcome == STORE_BOUNCED_SOFT)
		return soft_policy(st, p, sd.contact, sd.campaign, res, &t, now,
		    stats, err);
	return 0;
}

int
store_record(struct store *st, const struct store_result *res, size_t n,
    const struct store_policy *p, int64_t now,
    struct store_record_stats *out, struct clr_err *err)
{
	struct store_record_stats	 stats;
	size_t				 i;
	int				 rc, nested;

	memset(&stats, 0, sizeof(stats));
	if (p == NULL || p->retry == NULL || p->nretry == 0)
		return clr_err_set(err, CLR_EINVAL, "the retry policy needs "
		    "at least one delay");
	for (i = 0; i < n; i++)
		if ((unsigned)res[i].outcome > STORE_RELEASED)
			return clr_err_set(err, CLR_EINVAL, "send %lld: no "
			    "outcome %d", (long long)res[i].send_id,
			    (int)res[i].outcome);
	if (n > 0) {
		bufs_init(&st->run);
		if ((rc = tx_enter(st, &nested, err)) != 0)
			return rc;
		for (i = 0; i < n && rc == 0; i++)
			rc = record_one(st, &res[i], p, now, &stats, err);
		if ((rc = tx_leave(st, nested, rc, err)) != 0)
			return rc;
	}
	if (out != NULL)
		*out = stats;
	return 0;
}
