/* SPDX-License-Identifier: ISC */
/*
 * tests/unit/run_test.c - campaign runs: the snapshot and its frequency
 * cap, the state machine, claims, results, recovery
 *
 * Each test builds a small audience in a database file through the import
 * API, then drives the run API with explicit times and checks what it
 * wrote through a second connection (testutil.h's test_sql_*).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <time.h>

#include <cmocka.h>

#include "store/store.h"
#include "testutil.h"

static const char *const news[] = { "news" };
static const struct store_segment_def seg = { news, 1, "t", NULL };
static const int64_t retry[] = { 60, 300, 900 };
static const struct store_policy policy = { retry, 3, 3000, 2, 1000 };

static char	 db[PATH_MAX + 256];

static long long q(const char *, ...) __attribute__((format(printf, 1, 2)));
static const char *qs(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
static const char *cols(const char *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static void	 x(const char *, ...) __attribute__((format(printf, 1, 2)));

/* q - an integer from the database, the SQL formatted. */
static long long
q(const char *fmt, ...)
{
	char	 sql[1024];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	return test_sql_int(db, sql);
}

static const char *
qs(const char *fmt, ...)
{
	char	 sql[1024];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	return test_sql_text(db, sql);
}

/*
 * cols - the columns list (top-level commas apart) of the first row of
 * "FROM" fmt, joined by '/', NULL as "".
 */
static const char *
cols(const char *list, const char *fmt, ...)
{
	char		 sql[2048], from[1024], pf[256] = "";
	const char	*p;
	va_list		 ap;
	int		 depth = 0;

	strcat(pf, "%s");
	for (p = list; *p != '\0'; p++) {
		depth += *p == '(' ? 1 : *p == ')' ? -1 : 0;
		if (*p == ',' && depth == 0)
			strcat(pf, "/%s");
	}
	va_start(ap, fmt);
	vsnprintf(from, sizeof(from), fmt, ap);
	va_end(ap);
	snprintf(sql, sizeof(sql), "SELECT printf('%s', %s) FROM %s", pf, list,
	    from);
	return test_sql_text(db, sql);
}

static void
x(const char *fmt, ...)
{
	char	 sql[2048];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	test_sql(db, sql);
}

/*
 * populate - contacts c0001@example.org... (ids from 1, in order), on
 * list news with consent t.
 */
static void
populate(struct store *st, int n)
{
	const char *const		 themes[] = { "t" };
	struct store_import_params	 p = { "news", themes, 1, "test", 1 };
	struct store_contact		 c;
	enum store_import_outcome	 out;
	struct clr_err			 err = { 0, "" };
	char				 email[64];
	int				 i;

	assert_int_equal(store_import_begin(st, &p, &err), 0);
	for (i = 1; i <= n; i++) {
		memset(&c, 0, sizeof(c));
		snprintf(email, sizeof(email), "c%04d@example.org", i);
		c.email = email;
		c.first_name = "Ada";
		assert_int_equal(store_import_row(st, &c, &out, &err), 0);
	}
	assert_int_equal(store_import_commit(st, &err), 0);
}

static struct store *
open_db(const char *name, int contacts)
{
	struct store_options	 opt = { STORE_CREATE, 0, 0, 0 };
	struct clr_err		 err = { 0, "" };
	struct store		*st;

	snprintf(db, sizeof(db), "%s", test_path(name));
	st = store_open(db, &opt, &err);
	assert_non_null(st);
	if (contacts > 0)
		populate(st, contacts);
	return st;
}

static int64_t
start(struct store *st, const char *name, const struct store_cap *cap,
    int64_t now, struct store_run_counts *counts)
{
	struct store_run	 run;
	struct clr_err		 err = { 0, "" };
	int			 rc;

	rc = store_run_start(st, name, "seg", &seg, cap, now, &run, counts,
	    &err);
	if (rc != 0)
		fprintf(stderr, "store_run_start: %s\n", err.msg);
	assert_int_equal(rc, 0);
	assert_true(run.id > 0);
	return run.id;
}

/* The sends a claim hands out. */
struct got {
	int64_t		 ids[64];
	int64_t		 contacts[64];
	unsigned	 attempts[64];
	char		 emails[64][32];
	size_t		 n;
	size_t		 stop_after;	/* 0: never stop */
};

static int
collect(void *arg, const struct store_claim *c)
{
	struct got	*g = arg;

	if (g->stop_after > 0 && g->n == g->stop_after)
		return 1;
	assert_true(g->n < 64);
	g->ids[g->n] = c->send_id;
	g->contacts[g->n] = c->contact_id;
	g->attempts[g->n] = c->attempts;
	snprintf(g->emails[g->n], sizeof(g->emails[0]), "%s", c->email);
	assert_string_equal(c->first_name, "Ada");
	assert_null(c->last_name);
	assert_string_equal(c->attrs, "{}");
	g->n++;
	return 0;
}

/* claim - claim up to n in a transaction of the store's own. */
static size_t
claim(struct store *st, int64_t run, int64_t *cursor, int64_t now, size_t n,
    struct got *g)
{
	struct clr_err	 err = { 0, "" };
	size_t		 claimed = 99;

	memset(g, 0, sizeof(*g));
	assert_int_equal(store_claim(st, run, cursor, now, n, collect, g,
	    &claimed, &err), 0);
	assert_int_equal(claimed, g->n);
	return claimed;
}

static struct store_result
result(int64_t id, enum store_outcome o, int code, const char *status,
    const char *reply, const char *reason)
{
	struct store_result	 r;

	memset(&r, 0, sizeof(r));
	r.send_id = id;
	r.outcome = o;
	r.code = code;
	r.status = status;
	r.reply = reply;
	r.reason = reason;
	return r;
}

static void
record(struct store *st, const struct store_result *r, size_t n,
    int64_t now, struct store_record_stats *stats)
{
	struct clr_err	 err = { 0, "" };
	int		 rc;

	rc = store_record(st, r, n, &policy, now, stats, &err);
	if (rc != 0)
		fprintf(stderr, "store_record: %s\n", err.msg);
	assert_int_equal(rc, 0);
}

static void
test_schema(void **state)
{
	struct store_options	 old = { STORE_CREATE, 0, 2, 0 };
	struct clr_err		 err = { 0, "" };
	struct store		*st;

	(void)state;
	snprintf(db, sizeof(db), "%s", test_path("schema.db"));
	st = store_open(db, &old, &err);
	assert_non_null(st);
	store_close(st);
	x("INSERT INTO campaigns (name, segment, state, created_at)"
	    " VALUES ('old', 's', 'done', 1)");
	st = store_open(db, NULL, &err);
	assert_non_null(st);
	assert_int_equal(store_schema_version(st), 3);
	store_close(st);
	/* The run of version 2 has the new columns, at their defaults. */
	assert_int_equal(q("SELECT claimed_through + possible_duplicates +"
	    " first_send + last_send FROM campaigns WHERE name = 'old'"), 0);
	/* No index by contact: every send would insert at random in it. */
	assert_int_equal(q("SELECT count(*) FROM sqlite_schema WHERE"
	    " type = 'index' AND tbl_name = 'sends' AND"
	    " instr(sql, '(contact_id') > 0"), 0);
	assert_int_equal(q("SELECT count(*) FROM pragma_table_info('sends')"
	    " WHERE name IN ('reason', 'bounce', 'first_attempt_at',"
	    " 'sent_at')"), 4);
	/* A bounce class is hard or soft. */
	x("INSERT INTO sends (campaign_id, state, updated_at, bounce)"
	    " VALUES (1, 'bounced', 1, 'hard')");
	assert_int_equal(q("SELECT count(*) FROM sends"), 1);
	{
		sqlite3	*h;

		assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
		assert_int_equal(sqlite3_exec(h, "INSERT INTO sends"
		    " (campaign_id, state, updated_at, bounce) VALUES"
		    " (1, 'bounced', 1, 'medium')", NULL, NULL, NULL),
		    SQLITE_CONSTRAINT);
		sqlite3_close(h);
	}
}

static void
test_state_names(void **state)
{
	(void)state;
	assert_string_equal(store_run_state_name(STORE_RUN_SCHEDULED),
	    "scheduled");
	assert_string_equal(store_run_state_name(STORE_RUN_RUNNING),
	    "running");
	assert_string_equal(store_run_state_name(STORE_RUN_PAUSED), "paused");
	assert_string_equal(store_run_state_name(STORE_RUN_DONE), "done");
	assert_string_equal(store_run_state_name(STORE_RUN_CANCELLED),
	    "cancelled");
	assert_null(store_run_state_name((enum store_run_state)5));
	assert_null(store_run_state_name((enum store_run_state)-1));
}

static void
test_snapshot_and_cap(void **state)
{
	struct store_cap	 cap = { 2, 100 };
	struct store_run_counts	 c, c2;
	struct store_run	 run;
	struct store_segment_def def = seg;
	struct clr_err		 err = { 0, "" };
	struct store		*st;
	int64_t			 id, first;

	(void)state;
	st = open_db("snap.db", 10);
	/* Contact 10 leaves: not eligible. */
	x("UPDATE contacts SET status = 'unsubscribed' WHERE id = 10");
	/*
	 * Earlier sends: contact 3 had two within the period (sent_at >
	 * now - 100), contact 4 one within and one at its very start,
	 * contact 5 one, contact 6 none sent.
	 */
	x("INSERT INTO campaigns (id, name, segment, state, created_at)"
	    " VALUES (100, 'a', 's', 'done', 1), (101, 'b', 's', 'done', 1);"
	    "INSERT INTO sends (campaign_id, contact_id, state, updated_at,"
	    " sent_at) VALUES (100, 3, 'sent', 1, 950),"
	    " (101, 3, 'sent', 1, 960),"
	    " (100, 4, 'sent', 1, 950), (101, 4, 'sent', 1, 900),"
	    " (100, 5, 'sent', 1, 990), (101, 6, 'deferred', 1, NULL)");

	id = start(st, "weekly", &cap, 1000, &c);
	assert_int_equal(c.total, 9);
	assert_int_equal(c.pending, 8);
	assert_int_equal(c.skipped, 1);
	assert_int_equal(c.skipped_capped, 1);
	assert_int_equal(c.sent + c.deferred + c.failed + c.sending, 0);
	assert_string_equal(qs("SELECT state || '/' || reason FROM sends"
	    " WHERE campaign_id = %lld AND contact_id = 3", (long long)id),
	    "skipped/frequency-cap");
	assert_int_equal(q("SELECT count(*) FROM sends WHERE campaign_id ="
	    " %lld AND state = 'pending' AND reason IS NULL AND contact_id IN"
	    " (4, 5, 6)", (long long)id), 3);
	assert_int_equal(q("SELECT count(*) FROM sends WHERE campaign_id ="
	    " %lld AND contact_id = 10", (long long)id), 0);
	/* The counts read back agree. */
	assert_int_equal(store_run_counts(st, id, &c2, &err), 0);
	assert_int_equal(c2.total, 9);
	assert_int_equal(c2.pending, 8);
	assert_int_equal(c2.skipped, 1);
	assert_int_equal(c2.skipped_capped, 1);
	assert_int_equal(c2.next_attempt_at, 0);
	/* Ids are contiguous, in contact order, and the run knows them. */
	first = q("SELECT min(id) FROM sends WHERE campaign_id = %lld",
	    (long long)id);
	assert_int_equal(q("SELECT max(id) - min(id) + 1 FROM sends WHERE"
	    " campaign_id = %lld", (long long)id), 9);
	assert_int_equal(q("SELECT count(*) FROM sends WHERE campaign_id ="
	    " %lld AND id - %lld + 1 <> contact_id", (long long)id,
	    (long long)first), 0);
	assert_int_equal(q("SELECT first_send FROM campaigns WHERE id = %lld",
	    (long long)id), first);
	assert_int_equal(q("SELECT last_send FROM campaigns WHERE id = %lld",
	    (long long)id), first + 8);

	assert_int_equal(store_run_get(st, id, &run, &err), 0);
	assert_int_equal(run.id, id);
	assert_string_equal(run.name, "weekly");
	assert_string_equal(run.segment, "seg");
	assert_int_equal(run.state, STORE_RUN_RUNNING);
	assert_int_equal(run.created_at, 1000);
	assert_int_equal(run.started_at, 1000);
	assert_int_equal(run.finished_at, 0);
	assert_int_equal(run.possible_duplicates, 0);

	/* No cap: everyone eligible is pending. */
	id = start(st, "nocap", NULL, 1000, &c);
	assert_int_equal(c.total, 9);
	assert_int_equal(c.pending, 9);
	assert_int_equal(c.skipped, 0);
	cap.messages = 0;
	id = start(st, "cap0", &cap, 1000, &c);
	assert_int_equal(c.pending, 9);
	/* A cap of 3 holds no one back. */
	cap.messages = 3;
	id = start(st, "cap3", &cap, 1000, &c);
	assert_int_equal(c.skipped, 0);

	/* The where clause narrows the snapshot. */
	def.where = "email <> 'c0002@example.org' AND id < 9";
	assert_int_equal(store_run_start(st, "narrow", "seg", &def, NULL,
	    1000, &run, &c, &err), 0);
	assert_int_equal(c.total, 7);
	assert_int_equal(q("SELECT count(*) FROM sends WHERE campaign_id ="
	    " %lld AND contact_id = 2", (long long)run.id), 0);
	/* Its guards still hold: nothing is written, no run is made. */
	def.where = "id IN (DELETE FROM contacts)";
	assert_int_equal(store_run_start(st, "evil", "seg", &def, NULL, 1000,
	    &run, &c, &err), CLR_EPERM);
	def.where = "0) OR (1";
	assert_int_equal(store_run_start(st, "evil", "seg", &def, NULL, 1000,
	    &run, &c, &err), CLR_ESYNTAX);
	def.where = "no_such_column";
	assert_int_equal(store_run_start(st, "evil", "seg", &def, NULL, 1000,
	    &run, &c, &err), CLR_ESYNTAX);
	assert_int_equal(q("SELECT count(*) FROM campaigns WHERE name ="
	    " 'evil'"), 0);
	/* Names are checked. */
	assert_int_equal(store_run_start(st, "", "seg", &seg, NULL, 1000,
	    &run, &c, &err), CLR_EINVAL);
	assert_int_equal(store_run_start(st, "x", NULL, &seg, NULL, 1000,
	    &run, &c, &err), CLR_EINVAL);
	(void)id;
	store_close(st);
}

static void
test_one_active_run(void **state)
{
	struct store_run_counts	 c;
	struct store_run	 run;
	struct clr_err		 err = { 0, "" };
	struct store		*st;
	int64_t			 a, b, a2;

	(void)state;
	st = open_db("active.db", 3);
	a = start(st, "a", NULL, 10, &c);
	assert_int_equal(store_run_start(st, "a", "seg", &seg, NULL, 11, &run,
	    &c, &err), CLR_EEXIST);
	assert_non_null(strstr(err.msg, "campaign a is already under way "
	    "(run"));
	assert_int_equal(q("SELECT count(*) FROM campaigns"), 1);
	assert_int_equal(q("SELECT count(*) FROM sends"), 3);
	/* Another campaign may run beside it. */
	b = start(st, "b", NULL, 12, &c);
	assert_true(b > a);
	/* Paused is still under way. */
	assert_int_equal(store_run_set_state(st, a, STORE_RUN_PAUSED, 13,
	    &err), 0);
	assert_int_equal(store_run_start(st, "a", "seg", &seg, NULL, 14, &run,
	    &c, &err), CLR_EEXIST);
	/* Once cancelled, it may start again: a new run. */
	assert_int_equal(store_run_set_state(st, a, STORE_RUN_CANCELLED, 15,
	    &err), 0);
	a2 = start(st, "a", NULL, 16, &c);
	assert_true(a2 > b);
	assert_int_equal(c.pending, 3);
	assert_int_equal(store_run_latest(st, "a", &run, &err), 0);
	assert_int_equal(run.id, a2);
	assert_int_equal(store_run_latest(st, "zzz", &run, &err), CLR_ENOENT);
	assert_int_equal(store_run_get(st, 9999, &run, &err), CLR_ENOENT);
	store_close(st);
}

struct seen {
	int64_t	 ids[8];
	size_t	 n;
};

static int
see_run(void *arg, const struct store_run *r)
{
	struct seen	*s = arg;

	s->ids[s->n++] = r->id;
	return s->n == 8;
}

static void
test_runs_active(void **state)
{
	struct store_run_counts	 c;
	struct clr_err		 err = { 0, "" };
	struct seen		 seen;
	struct store		*st;
	int64_t			 a, b, d;

	(void)state;
	st = open_db("list.db", 2);
	a = start(st, "a", NULL, 10, &c);
	b = start(st, "b", NULL, 10, &c);
	d = start(st, "d", NULL, 10, &c);
	assert_int_equal(store_run_set_state(st, b, STORE_RUN_PAUSED, 11,
	    &err), 0);
	assert_int_equal(store_run_set_state(st, d, STORE_RUN_CANCELLED, 11,
	    &err), 0);
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(store_runs_active(st, see_run, &seen, &err), 0);
	assert_int_equal(seen.n, 2);
	assert_int_equal(seen.ids[0], a);
	assert_int_equal(seen.ids[1], b);
	store_close(st);
}

/* change - store_run_set_state's code, and err.msg into msg. */
static int
change(struct store *st, int64_t id, enum store_run_state to, int64_t now,
    char *msg)
{
	struct clr_err	 err = { 0, "" };
	int		 rc;

	rc = store_run_set_state(st, id, to, now, &err);
	snprintf(msg, sizeof(err.msg), "%s", rc != 0 ? err.msg : "");
	return rc;
}

static void
test_state_machine(void **state)
{
	static const struct {
		enum store_run_state	 from, to;
		int			 ok;
	} cases[] = {
		{ STORE_RUN_SCHEDULED, STORE_RUN_RUNNING, 1 },
		{ STORE_RUN_SCHEDULED, STORE_RUN_CANCELLED, 1 },
		{ STORE_RUN_SCHEDULED, STORE_RUN_PAUSED, 0 },
		{ STORE_RUN_SCHEDULED, STORE_RUN_DONE, 0 },
		{ STORE_RUN_SCHEDULED, STORE_RUN_SCHEDULED, 0 },
		{ STORE_RUN_RUNNING, STORE_RUN_PAUSED, 1 },
		{ STORE_RUN_RUNNING, STORE_RUN_CANCELLED, 1 },
		{ STORE_RUN_RUNNING, STORE_RUN_DONE, 1 },
		{ STORE_RUN_RUNNING, STORE_RUN_RUNNING, 0 },
		{ STORE_RUN_RUNNING, STORE_RUN_SCHEDULED, 0 },
		{ STORE_RUN_PAUSED, STORE_RUN_RUNNING, 1 },
		{ STORE_RUN_PAUSED, STORE_RUN_CANCELLED, 1 },
		{ STORE_RUN_PAUSED, STORE_RUN_DONE, 0 },
		{ STORE_RUN_PAUSED, STORE_RUN_PAUSED, 0 },
		{ STORE_RUN_PAUSED, STORE_RUN_SCHEDULED, 0 },
		{ STORE_RUN_DONE, STORE_RUN_RUNNING, 0 },
		{ STORE_RUN_DONE, STORE_RUN_CANCELLED, 0 },
		{ STORE_RUN_DONE, STORE_RUN_PAUSED, 0 },
		{ STORE_RUN_CANCELLED, STORE_RUN_RUNNING, 0 },
		{ STORE_RUN_CANCELLED, STORE_RUN_DONE, 0 },
		{ STORE_RUN_CANCELLED, STORE_RUN_CANCELLED, 0 },
	};
	struct store_run_counts	 c;
	struct store_run	 run;
	struct clr_err		 err = { 0, "" };
	struct store		*st;
	char			 msg[512], name[16];
	size_t			 i;
	int64_t			 id;

	(void)state;
	st = open_db("machine.db", 0);	/* no sends: done is allowed */
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(name, sizeof(name), "m%zu", i);
		id = start(st, name, NULL, 100, &c);
		x("UPDATE campaigns SET state = '%s', started_at = NULL"
		    " WHERE id = %lld", store_run_state_name(cases[i].from),
		    (long long)id);
		if (change(st, id, cases[i].to, 200, msg) != (cases[i].ok ? 0 :
		    CLR_EINVAL)) {
			fprintf(stderr, "%s -> %s: %s\n",
			    store_run_state_name(cases[i].from),
			    store_run_state_name(cases[i].to), msg);
			fail();
		}
		assert_int_equal(store_run_get(st, id, &run, &err), 0);
		assert_int_equal(run.state, cases[i].ok ? cases[i].to :
		    cases[i].from);
		if (!cases[i].ok) {
			assert_non_null(strstr(msg, "run "));
			assert_non_null(strstr(msg, store_run_state_name(
			    cases[i].to)));
			continue;
		}
		/* Started when it first runs; finished when it is over. */
		assert_int_equal(run.started_at,
		    cases[i].to == STORE_RUN_RUNNING ? 200 : 0);
		assert_int_equal(run.finished_at,
		    cases[i].to == STORE_RUN_DONE ||
		    cases[i].to == STORE_RUN_CANCELLED ? 200 : 0);
	}
	assert_int_equal(change(st, id, STORE_RUN_RUNNING, 1, msg),
	    CLR_EINVAL);
	assert_string_equal(msg, "run 21 is cancelled: it is over and cannot "
	    "become running");
	assert_int_equal(change(st, 8, STORE_RUN_DONE, 1, msg), CLR_EINVAL);
	assert_string_equal(msg, "run 8 is already done");
	assert_int_equal(change(st, 3, STORE_RUN_PAUSED, 1, msg), CLR_EINVAL);
	assert_string_equal(msg, "run 3 is scheduled: it cannot become paused "
	    "(only a running run can be paused)");
	assert_int_equal(change(st, 999, STORE_RUN_PAUSED, 1, msg),
	    CLR_ENOENT);
	assert_int_equal(change(st, 1, (enum store_run_state)7, 1, msg),
	    CLR_EINVAL);
	store_close(st);
}

static void
test_cancel_and_done(void **state)
{
	struct store_run_counts	 c;
	struct store_record_stats stats;
	struct store_result	 r[3];
	struct store_run	 run;
	struct clr_err		 err = { 0, "" };
	struct store		*st;
	struct got		 g, g2;
	char			 msg[512];
	int64_t			 id, cursor = 0;

	(void)state;
	st = open_db("cancel.db", 6);
	id = start(st, "c", NULL, 100, &c);
	assert_int_equal(claim(st, id, &cursor, 100, 4, &g), 4);
	r[0] = result(g.ids[0], STORE_SENT, 250, NULL, NULL, NULL);
	r[1] = result(g.ids[1], STORE_DEFERRED, 451, NULL, NULL, NULL);
	record(st, r, 2, 110, &stats);
	/* The deferred one is claimed again: sending. */
	assert_int_equal(claim(st, id, &cursor, 170, 1, &g2), 1);
	assert_int_equal(g2.ids[0], g.ids[1]);
	assert_string_equal(qs("SELECT state FROM sends WHERE id = %lld",
	    (long long)g.ids[1]), "sending");
	/* Done is refused while sends are left. */
	assert_int_equal(change(st, id, STORE_RUN_DONE, 120, msg), CLR_EINVAL);
	assert_non_null(strstr(msg, "5 of its sends are not resolved"));
	assert_int_equal(change(st, id, STORE_RUN_CANCELLED, 120, msg), 0);
	/* Pending (claimed or not) and sending are skipped; sent stays. */
	assert_int_equal(q("SELECT count(*) FROM sends WHERE campaign_id ="
	    " %lld AND state = 'skipped' AND reason = 'cancelled' AND"
	    " next_attempt_at IS NULL AND updated_at = 120", (long long)id), 5);
	assert_string_equal(qs("SELECT state FROM sends WHERE id = %lld",
	    (long long)g.ids[0]), "sent");
	/* Claimed before, recorded after: each keeps its own outcome. */
	r[0] = result(g.ids[2], STORE_SENT, 250, NULL, NULL, NULL);
	r[1] = result(g.ids[3], STORE_DEFERRED, 421, NULL, NULL, NULL);
	r[2] = result(g.ids[1], STORE_RELEASED, 0, NULL, NULL, NULL);
	record(st, r, 3, 130, &stats);
	assert_int_equal(stats.sent, 1);
	assert_int_equal(stats.deferred, 1);
	assert_int_equal(stats.released, 1);
	assert_string_equal(qs("SELECT state FROM sends WHERE id = %lld",
	    (long long)g.ids[2]), "sent");
	/* A deferral cannot retry in a cancelled run. */
	assert_string_equal(qs("SELECT state || '/' || reason || '/' ||"
	    " attempts || '/' || last_code FROM sends WHERE id = %lld",
	    (long long)g.ids[3]), "skipped/cancelled/1/421");
	assert_int_equal(q("SELECT count(*) FROM events WHERE type ="
	    " 'deferred' AND json_extract(detail, '$.code') = 421"), 1);
	assert_string_equal(qs("SELECT state || '/' || reason || '/' ||"
	    " attempts FROM sends WHERE id = %lld", (long long)g.ids[1]),
	    "skipped/cancelled/1");
	assert_int_equal(store_run_counts(st, id, &c, &err), 0);
	assert_int_equal(c.sent, 2);
	assert_int_equal(c.skipped, 4);
	assert_int_equal(c.skipped_capped, 0);
	assert_int_equal(c.pending + c.deferred + c.sending, 0);

	/* Done once every send is resolved. */
	id = start(st, "d", NULL, 200, &c);
	cursor = 0;
	assert_int_equal(claim(st, id, &cursor, 200, 10, &g), 6);
	memset(r, 0, sizeof(r));
	r[0] = result(g.ids[0], STORE_SENT, 250, NULL, NULL, NULL);
	record(st, r, 1, 210, &stats);
	x("UPDATE sends SET state = 'sent' WHERE campaign_id = %lld",
	    (long long)id);
	assert_int_equal(change(st, id, STORE_RUN_DONE, 220, msg), 0);
	assert_int_equal(store_run_get(st, id, &run, &err), 0);
	assert_int_equal(run.state, STORE_RUN_DONE);
	assert_int_equal(run.finished_at, 220);
	store_close(st);
}

static void
test_claim_order(void **state)
{
	struct store_run_counts	 c;
	struct store_record_stats stats;
	struct store_result	 r[2];
	struct clr_err		 err = { 0, "" };
	struct store		*st;
	struct got		 g;
	int64_t			 id, other, cursor = 0, first, saved;
	size_t			 n;

	(void)state;
	st = open_db("claim.db", 10);
	other = start(st, "other", NULL, 100, &c);
	id = start(st, "c", NULL, 100, &c);
	first = q("SELECT first_send FROM campaigns WHERE id = %lld",
	    (long long)id);
	assert_true(first > q("SELECT max(id) FROM sends WHERE campaign_id ="
	    " %lld", (long long)other));

	/* Pending in id order, from the run's first send. */
	assert_int_equal(claim(st, id, &cursor, 100, 3, &g), 3);
	assert_int_equal(g.ids[0], first);
	assert_int_equal(g.ids[1], first + 1);
	assert_int_equal(g.ids[2], first + 2);
	assert_int_equal(g.contacts[0], 1);
	assert_string_equal(g.emails[2], "c0003@example.org");
	assert_int_equal(g.attempts[0], 0);
	assert_int_equal(cursor, first + 2);
	assert_int_equal(q("SELECT claimed_through FROM campaigns WHERE id ="
	    " %lld", (long long)id), first + 2);
	/* Claimed pending sends stay pending; the other run is untouched. */
	assert_int_equal(q("SELECT count(*) FROM sends WHERE campaign_id ="
	    " %lld AND state = 'pending'", (long long)id), 10);
	assert_int_equal(q("SELECT claimed_through FROM campaigns WHERE id ="
	    " %lld", (long long)other), 0);

	assert_int_equal(claim(st, id, &cursor, 100, 3, &g), 3);
	assert_int_equal(g.ids[0], first + 3);
	assert_int_equal(cursor, first + 5);

	/* Two deferred, due at 150 and 140; a third due later. */
	r[0] = result(first, STORE_DEFERRED, 451, NULL, NULL, NULL);
	r[1] = result(first + 1, STORE_DEFERRED, 451, NULL, NULL, NULL);
	record(st, r, 2, 90, &stats);	/* next: 150 */
	r[0] = result(first + 2, STORE_DEFERRED, 451, NULL, NULL, NULL);
	record(st, r, 1, 80, &stats);	/* next: 140 */
	x("UPDATE sends SET next_attempt_at = 500 WHERE id = %lld",
	    (long long)(first + 1));
	assert_int_equal(store_run_counts(st, id, &c, &err), 0);
	assert_int_equal(c.deferred, 3);
	assert_int_equal(c.next_attempt_at, 140);
	/* Not due yet at 139: only pending ones. */
	saved = cursor;
	assert_int_equal(claim(st, id, &cursor, 139, 1, &g), 1);
	assert_int_equal(g.ids[0], first + 6);
	/* At 150: the due ones first, oldest due first, then pending. */
	assert_int_equal(claim(st, id, &cursor, 150, 3, &g), 3);
	assert_int_equal(g.ids[0], first + 2);
	assert_int_equal(g.ids[1], first);
	assert_int_equal(g.ids[2], first + 7);
	assert_int_equal(g.attempts[0], 1);
	assert_int_equal(g.attempts[2], 0);
	assert_int_equal(q("SELECT count(*) FROM sends WHERE id IN (%lld,"
	    " %lld) AND state = 'sending' AND updated_at = 150",
	    (long long)first, (long long)(first + 2)), 2);
	assert_string_equal(qs("SELECT state FROM sends WHERE id = %lld",
	    (long long)(first + 1)), "deferred");
	assert_int_equal(q("SELECT claimed_through FROM campaigns WHERE id ="
	    " %lld", (long long)id), first + 7);
	assert_true(saved < cursor);

	/* fn may stop a claim: the send it refused is not claimed. */
	memset(&g, 0, sizeof(g));
	g.stop_after = 1;
	assert_int_equal(store_claim(st, id, &cursor, 150, 5, collect, &g, &n,
	    &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(g.ids[0], first + 8);
	assert_int_equal(cursor, first + 8);
	assert_int_equal(q("SELECT claimed_through FROM campaigns WHERE id ="
	    " %lld", (long long)id), first + 8);
	/* The end of the run: one left, then none. */
	assert_int_equal(claim(st, id, &cursor, 150, 5, &g), 1);
	assert_int_equal(g.ids[0], first + 9);
	assert_int_equal(claim(st, id, &cursor, 150, 5, &g), 0);
	assert_int_equal(cursor, first + 9);
	/* n = 0 claims nothing. */
	assert_int_equal(claim(st, id, &cursor, 1000, 0, &g), 0);
	store_close(st);
}

static void
test_claim_skips_leavers(void **state)
{
	struct store_run_counts	 c;
	struct store_record_stats stats;
	struct store_result	 r;
	struct clr_err		 err = { 0, "" };
	struct store		*st;
	struct got		 g;
	int64_t			 id, cursor = 0, first;

	(void)state;
	st = open_db("leave.db", 10);
	id = start(st, "c", NULL, 100, &c);
	first = q("SELECT first_send FROM campaigns WHERE id = %lld",
	    (long long)id);
	/* Send 10 is deferred, then its contact leaves too. */
	assert_int_equal(claim(st, id, &cursor, 100, 10, &g), 10);
	r = result(first + 9, STORE_DEFERRED, 451, NULL, NULL, NULL);
	record(st, &r, 1, 100, &stats);
	x("UPDATE campaigns SET claimed_through = 0");
	cursor = 0;
	/* After the snapshot: the first five leave, each its own way. */
	x("PRAGMA foreign_keys = ON;"
	    "UPDATE contacts SET status = 'unsubscribed' WHERE id = 1;"
	    "UPDATE contacts SET status = 'bounced' WHERE id = 2;"
	    "UPDATE contacts SET status = 'complained' WHERE id = 3;"
	    "INSERT INTO suppressions (email, reason, created_at)"
	    " VALUES ('c0004@example.org', 'manual', 1),"
	    " ('c0010@example.org', 'manual', 1);"
	    "DELETE FROM contacts WHERE id = 5");
	assert_int_equal(q("SELECT count(*) FROM sends WHERE contact_id IS"
	    " NULL"), 1);
	/* Three claimed, past the five skipped ones. */
	assert_int_equal(claim(st, id, &cursor, 1000, 3, &g), 3);
	assert_int_equal(g.contacts[0], 6);
	assert_int_equal(g.contacts[1], 7);
	assert_int_equal(g.contacts[2], 8);
	assert_int_equal(cursor, first + 7);
	assert_string_equal(qs("SELECT group_concat(reason, ',') FROM (SELECT"
	    " reason FROM sends WHERE campaign_id = %lld AND state = 'skipped'"
	    " ORDER BY id)", (long long)id),
	    "unsubscribed,bounced,complained,suppressed,erased,suppressed");
	assert_int_equal(q("SELECT count(*) FROM sends WHERE campaign_id ="
	    " %lld AND state = 'skipped' AND updated_at = 1000",
	    (long long)id), 6);
	/* The claimed ones stay pending; claimed_through is the last. */
	assert_int_equal(q("SELECT count(*) FROM sends WHERE campaign_id ="
	    " %lld AND state = 'pending'", (long long)id), 4);
	assert_int_equal(q("SELECT claimed_through FROM campaigns WHERE id ="
	    " %lld", (long long)id), first + 7);
	assert_int_equal(store_run_counts(st, id, &c, &err), 0);
	assert_int_equal(c.skipped, 6);
	assert_int_equal(c.skipped_capped, 0);
	assert_int_equal(c.deferred, 0);
	assert_int_equal(c.pending, 4);
	store_close(st);
}

/* More skipped sends than a claim buffers its writes for. */
static void
test_claim_many_skipped(void **state)
{
	struct store_run_counts	 c;
	struct store_record_stats stats;
	struct store_result	*r;
	struct store		*st;
	struct got		 g;
	int64_t			 p, d, cursor = 0, first;
	int			 i;

	(void)state;
	st = open_db("many.db", 610);
	/* Run p: its first 300 contacts leave; a claim goes past them. */
	p = start(st, "p", NULL, 100, &c);
	x("UPDATE contacts SET status = 'unsubscribed' WHERE id <= 300");
	assert_int_equal(claim(st, p, &cursor, 100, 5, &g), 5);
	assert_int_equal(g.contacts[0], 301);
	assert_int_equal(g.contacts[4], 305);
	assert_int_equal(q("SELECT count(*) FROM sends WHERE campaign_id ="
	    " %lld AND state = 'skipped' AND reason = 'unsubscribed'",
	    (long long)p), 300);
	/* Run d: 300 deferred, 280 of whom leave; a claim at their due. */
	d = start(st, "d", NULL, 100, &c);
	assert_int_equal(c.total, 310);
	first = q("SELECT first_send FROM campaigns WHERE id = %lld",
	    (long long)d);
	r = calloc(300, sizeof(*r));
	assert_non_null(r);
	for (i = 0; i < 300; i++)
		r[i] = result(first + i, STORE_DEFERRED, 451, NULL, NULL, NULL);
	record(st, r, 300, 100, &stats);
	free(r);
	assert_int_equal(stats.deferred, 300);
	x("UPDATE contacts SET status = 'complained' WHERE id > 300 AND"
	    " id <= 580");
	cursor = first + 309;	/* the pending ones are claimed */
	assert_int_equal(claim(st, d, &cursor, 160, 30, &g), 20);
	assert_int_equal(g.contacts[0], 581);
	assert_int_equal(g.contacts[19], 600);
	assert_int_equal(q("SELECT count(*) FROM sends WHERE campaign_id ="
	    " %lld AND state = 'skipped' AND reason = 'complained'",
	    (long long)d), 280);
	assert_int_equal(q("SELECT count(*) FROM sends WHERE campaign_id ="
	    " %lld AND state = 'sending'", (long long)d), 20);
	store_close(st);
}

/* The JSON member key of the event of send id and type. */
static const char *
ev(int64_t id, const char *type, const char *key)
{
	return qs("SELECT json_extract(e.detail, '$.%s') FROM events AS e,"
	    " sends AS s WHERE s.id = %lld AND e.campaign_id = s.campaign_id"
	    " AND e.contact_id IS s.contact_id AND e.type = '%s'"
	    " ORDER BY e.id DESC LIMIT 1", key, (long long)id, type);
}

static void
test_record_outcomes(void **state)
{
	struct store_run_counts	 c;
	struct store_record_stats s;
	struct store_result	 r[8];
	struct clr_err		 err = { 0, "" };
	struct store		*st;
	struct got		 g;
	int64_t			 id, cursor = 0, t, sd[8];
	int			 i;

	(void)state;
	st = open_db("record.db", 8);
	id = start(st, "r", NULL, 10000, &c);
	assert_int_equal(claim(st, id, &cursor, 10000, 8, &g), 8);
	memcpy(sd, g.ids, sizeof(sd));
	r[0] = result(sd[0], STORE_SENT, 250, "2.0.0", "OK queued as X",
	    NULL);
	r[0].message_id = "abc@example.org";
	r[0].relay = "mx1";
	r[1] = result(sd[1], STORE_DEFERRED, 451, "4.7.1",
	    "try \"later\"\\ \n please", "greylisted");
	r[1].ambiguous = 1;
	r[2] = result(sd[2], STORE_BOUNCED_HARD, 550, "5.1.1", "no such user",
	    "mailbox-unknown");
	r[3] = result(sd[3], STORE_BOUNCED_SOFT, 552, "5.2.2", "mailbox full",
	    "mailbox-full");
	r[4] = result(sd[4], STORE_FAILED, 0, NULL, NULL, "template refused");
	r[5] = result(sd[5], STORE_RELEASED, 0, NULL, NULL, NULL);
	r[6] = result(sd[6], STORE_SENT, 250, NULL, "caf\xe9 ok \xff", NULL);
	memset(&s, 0xff, sizeof(s));
	record(st, r, 7, 10010, &s);
	assert_int_equal(s.sent, 2);
	assert_int_equal(s.deferred, 1);
	assert_int_equal(s.bounced, 2);
	assert_int_equal(s.failed, 1);
	assert_int_equal(s.released, 1);
	assert_int_equal(s.expired, 0);
	assert_int_equal(s.suppressed, 1);

	/* Sent. */
	assert_string_equal(cols("state, attempts,"
	    " last_code, last_status, last_reply, message_id, sent_at,"
	    " first_attempt_at, updated_at, next_attempt_at IS NULL,"
	    " reason IS NULL", "sends WHERE id = %lld", (long long)sd[0]),
	    "sent/1/250/2.0.0/OK queued as X/abc@example.org/10010/10010/10010"
	    "/1/1");
	assert_string_equal(ev(sd[0], "sent", "code"), "250");
	assert_string_equal(ev(sd[0], "sent", "status"), "2.0.0");
	assert_string_equal(ev(sd[0], "sent", "reply"), "OK queued as X");
	assert_string_equal(ev(sd[0], "sent", "relay"), "mx1");
	assert_string_equal(ev(sd[0], "sent", "attempt"), "1");
	assert_string_equal(ev(sd[0], "sent", "ambiguous"), "0");
	assert_string_equal(ev(sd[0], "sent", "class"), "");
	assert_int_equal(q("SELECT count(*) FROM events WHERE at = 10010 AND"
	    " campaign_id = %lld AND contact_id = 1", (long long)id), 1);
	/* Deferred: the first delay; the reply escaped in the JSON. */
	assert_string_equal(cols("state, attempts,"
	    " next_attempt_at, reason, sent_at IS NULL", "sends WHERE"
	    " id = %lld", (long long)sd[1]), "deferred/1/10070/greylisted/1");
	assert_string_equal(ev(sd[1], "deferred", "reply"),
	    "try \"later\"\\ \n please");
	assert_string_equal(ev(sd[1], "deferred", "reason"), "greylisted");
	assert_string_equal(ev(sd[1], "deferred", "ambiguous"), "1");
	assert_int_equal(q("SELECT count(*) FROM events WHERE NOT"
	    " json_valid(detail)"), 0);
	/* Hard bounce: bounced, suppressed, the contact too. */
	assert_string_equal(cols("state, bounce, reason,"
	    " attempts", "sends WHERE id = %lld", (long long)sd[2]),
	    "bounced/hard/mailbox-unknown/1");
	assert_string_equal(ev(sd[2], "bounced", "class"), "hard");
	assert_string_equal(cols("reason, source,"
	    " created_at", "suppressions WHERE email ="
	    " 'c0003@example.org'"), "hard bounce: 550 5.1.1/clariond/10010");
	assert_string_equal(qs("SELECT status FROM contacts WHERE id = 3"),
	    "bounced");
	assert_string_equal(ev(sd[2], "suppressed", "reason"),
	    "hard bounce: 550 5.1.1");
	assert_int_equal(q("SELECT count(*) FROM events WHERE type ="
	    " 'suppressed'"), 1);
	/* Soft bounce: one is not enough. */
	assert_string_equal(cols("state, bounce", "sends WHERE id = %lld",
	    (long long)sd[3]), "bounced/soft");
	assert_string_equal(ev(sd[3], "bounced", "class"), "soft");
	assert_int_equal(q("SELECT count(*) FROM suppressions WHERE email ="
	    " 'c0004@example.org'"), 0);
	assert_string_equal(qs("SELECT status FROM contacts WHERE id = 4"),
	    "active");
	/* Failed: its reason. */
	assert_string_equal(cols("state, reason, attempts,"
	    " last_code IS NULL", "sends WHERE id = %lld",
	    (long long)sd[4]), "failed/template refused/1/1");
	assert_string_equal(ev(sd[4], "failed", "reason"), "template refused");
	assert_string_equal(ev(sd[4], "failed", "code"), "0");
	/* Released while pending: nothing changes, no event. */
	assert_string_equal(cols("state, attempts,"
	    " updated_at", "sends WHERE id = %lld", (long long)sd[5]),
	    "pending/0/10000");
	assert_int_equal(q("SELECT count(*) FROM events WHERE contact_id = 6"),
	    0);
	/* Invalid UTF-8 in a reply becomes U+FFFD. */
	assert_string_equal(ev(sd[6], "sent", "reply"),
	    "caf\xef\xbf\xbd ok \xef\xbf\xbd");
	assert_string_equal(qs("SELECT last_reply FROM sends WHERE id = %lld",
	    (long long)sd[6]), "caf\xef\xbf\xbd ok \xef\xbf\xbd");
	assert_int_equal(store_run_counts(st, id, &c, &err), 0);
	assert_int_equal(c.total, 8);
	assert_int_equal(c.sent, 2);
	assert_int_equal(c.deferred, 1);
	assert_int_equal(c.bounced_hard, 1);
	assert_int_equal(c.bounced_soft, 1);
	assert_int_equal(c.failed, 1);
	assert_int_equal(c.pending, 2);
	assert_int_equal(c.next_attempt_at, 10070);

	/* A second result for a resolved send is ignored. */
	r[0] = result(sd[0], STORE_BOUNCED_HARD, 550, "5.1.1", NULL, NULL);
	r[1] = result(sd[4], STORE_SENT, 250, NULL, NULL, NULL);
	r[2] = result(sd[2], STORE_DEFERRED, 451, NULL, NULL, NULL);
	r[3] = result(sd[0], STORE_RELEASED, 0, NULL, NULL, NULL);
	record(st, r, 4, 10020, &s);
	assert_int_equal(s.sent + s.deferred + s.bounced + s.failed +
	    s.released + s.suppressed, 0);
	assert_string_equal(cols("state, last_code,"
	    " attempts, updated_at", "sends WHERE id = %lld",
	    (long long)sd[0]), "sent/250/1/10010");
	assert_string_equal(qs("SELECT state FROM sends WHERE id = %lld",
	    (long long)sd[4]), "failed");
	assert_int_equal(q("SELECT count(*) FROM events"), 7);
	assert_int_equal(q("SELECT count(*) FROM suppressions WHERE email ="
	    " 'c0001@example.org'"), 0);

	/*
	 * The retries of send 2 (first attempt 10010): released while
	 * sending (deferred, due now, the attempt not counted), then 300,
	 * 900, 900 again (the last delay repeats), then expired: 3000
	 * after the first attempt is passed.
	 */
	assert_int_equal(claim(st, id, &cursor, 10069, 8, &g), 0);
	assert_int_equal(claim(st, id, &cursor, 10070, 8, &g), 1);
	assert_int_equal(g.ids[0], sd[1]);
	assert_int_equal(g.attempts[0], 1);
	r[0] = result(sd[1], STORE_RELEASED, 0, NULL, NULL, NULL);
	record(st, r, 1, 10075, &s);
	assert_int_equal(s.released, 1);
	assert_string_equal(cols("state, attempts,"
	    " next_attempt_at", "sends WHERE id = %lld", (long long)sd[1]),
	    "deferred/1/10075");
	assert_int_equal(q("SELECT count(*) FROM events WHERE contact_id = 2"),
	    1);
	t = 10075;
	for (i = 0; i < 3; i++) {
		static const int64_t	 delay[] = { 300, 900, 900 };

		assert_int_equal(claim(st, id, &cursor, t, 8, &g), 1);
		assert_int_equal(g.attempts[0], (unsigned)i + 1);
		r[0] = result(sd[1], STORE_DEFERRED, 421, NULL, NULL, NULL);
		record(st, r, 1, t, &s);
		assert_int_equal(s.deferred, 1);
		assert_int_equal(q("SELECT next_attempt_at FROM sends WHERE"
		    " id = %lld", (long long)sd[1]), t + delay[i]);
		assert_int_equal(q("SELECT attempts FROM sends WHERE id ="
		    " %lld", (long long)sd[1]), i + 2);
		t += delay[i];
	}
	assert_int_equal(t, 12175);	/* 12175 + 900 - 10010 > 3000 */
	assert_int_equal(claim(st, id, &cursor, t, 8, &g), 1);
	record(st, r, 1, t, &s);
	assert_int_equal(s.deferred, 0);
	assert_int_equal(s.failed, 1);
	assert_int_equal(s.expired, 1);
	assert_string_equal(cols("state, reason, attempts,"
	    " first_attempt_at, next_attempt_at IS NULL", "sends WHERE"
	    " id = %lld", (long long)sd[1]), "failed/expired/5/10010/1");
	assert_string_equal(ev(sd[1], "failed", "reason"), "expired");
	assert_string_equal(ev(sd[1], "failed", "attempt"), "5");
	assert_int_equal(q("SELECT count(*) FROM events WHERE contact_id = 2"),
	    5);

	/* An unknown send fails the whole batch, which leaves nothing. */
	r[0] = result(sd[7], STORE_SENT, 250, NULL, NULL, NULL);
	r[1] = result(999999, STORE_SENT, 250, NULL, NULL, NULL);
	assert_int_equal(store_record(st, r, 2, &policy, 13000, &s, &err),
	    CLR_ENOENT);
	assert_string_equal(err.msg, "no send 999999");
	assert_string_equal(qs("SELECT state FROM sends WHERE id = %lld",
	    (long long)sd[7]), "pending");
	/* So does an outcome out of range, or a policy without retries. */
	r[1] = result(sd[6], (enum store_outcome)9, 250, NULL, NULL, NULL);
	assert_int_equal(store_record(st, r, 2, &policy, 13000, &s, &err),
	    CLR_EINVAL);
	{
		struct store_policy	 none = { retry, 0, 1, 0, 0 };

		assert_int_equal(store_record(st, r, 1, &none, 13000, &s,
		    &err), CLR_EINVAL);
	}
	assert_string_equal(qs("SELECT state FROM sends WHERE id = %lld",
	    (long long)sd[7]), "pending");
	store_close(st);
}

/* soft - a run of its own for contact, soft-bounced at now. */
static void
soft(struct store *st, const char *name, int64_t contact, int64_t now,
    struct store_record_stats *s)
{
	struct store_run_counts	 c;
	struct store_result	 r;
	struct got		 g;
	int64_t			 id, cursor = 0;
	size_t			 i;

	id = start(st, name, NULL, now, &c);
	claim(st, id, &cursor, now, 64, &g);
	for (i = 0; i < g.n && g.contacts[i] != contact; i++)
		;
	assert_true(i < g.n);
	r = result(g.ids[i], STORE_BOUNCED_SOFT, 452, "4.2.2", "full", NULL);
	record(st, &r, 1, now, s);
	assert_int_equal(s->bounced, 1);
}

static void
test_soft_bounces(void **state)
{
	struct store_record_stats s;
	struct store		*st;

	(void)state;
	st = open_db("soft.db", 3);
	/* Two within 1000 s suppress; the first alone does not. */
	soft(st, "a", 1, 10000, &s);
	assert_int_equal(s.suppressed, 0);
	assert_int_equal(q("SELECT count(*) FROM suppressions"), 0);
	soft(st, "b", 1, 10999, &s);
	assert_int_equal(s.suppressed, 1);
	assert_string_equal(cols("reason, source",
	    "suppressions WHERE email = 'c0001@example.org'"),
	    "soft bounces: 2 within 1000s, the last 452 4.2.2/clariond");
	assert_string_equal(qs("SELECT status FROM contacts WHERE id = 1"),
	    "bounced");
	assert_int_equal(q("SELECT count(*) FROM events WHERE type ="
	    " 'suppressed' AND contact_id = 1"), 1);
	/* Two, but 1000 s apart: the first has left the window. */
	soft(st, "c", 2, 20000, &s);
	soft(st, "d", 2, 21000, &s);
	assert_int_equal(s.suppressed, 0);
	assert_string_equal(qs("SELECT status FROM contacts WHERE id = 2"),
	    "active");
	/* A third, within the window of the second. */
	soft(st, "e", 2, 21500, &s);
	assert_int_equal(s.suppressed, 1);
	assert_int_equal(q("SELECT count(*) FROM suppressions"), 2);
	assert_int_equal(q("SELECT count(*) FROM contacts WHERE status ="
	    " 'active'"), 1);
	store_close(st);
}

static void
test_recover(void **state)
{
	struct store_run_counts	 c;
	struct store_record_stats stats;
	struct store_result	 r[2];
	struct store_run	 run;
	struct clr_err		 err = { 0, "" };
	struct store		*st;
	struct got		 g;
	uint64_t		 n = 99;
	int64_t			 id, done, paused, cursor = 0, first;

	(void)state;
	st = open_db("recover.db", 10);
	id = start(st, "a", NULL, 100, &c);
	first = q("SELECT first_send FROM campaigns WHERE id = %lld",
	    (long long)id);
	assert_int_equal(claim(st, id, &cursor, 100, 5, &g), 5);
	/* Two resolved, one deferred and claimed again: sending. */
	r[0] = result(first, STORE_SENT, 250, NULL, NULL, NULL);
	r[1] = result(first + 1, STORE_DEFERRED, 451, NULL, NULL, NULL);
	record(st, r, 2, 100, &stats);
	assert_int_equal(claim(st, id, &cursor, 160, 1, &g), 1);
	assert_int_equal(g.ids[0], first + 1);
	/* A paused run with claims, and a finished one that has some. */
	paused = start(st, "p", NULL, 100, &c);
	cursor = 0;
	assert_int_equal(claim(st, paused, &cursor, 100, 2, &g), 2);
	assert_int_equal(store_run_set_state(st, paused, STORE_RUN_PAUSED,
	    170, &err), 0);
	done = start(st, "d", NULL, 100, &c);
	x("UPDATE campaigns SET state = 'done', claimed_through = last_send"
	    " WHERE id = %lld", (long long)done);
	/* The process stops with its claims unresolved. */
	store_close(st);

	st = open_db("recover.db", 0);
	assert_int_equal(store_recover(st, 200, &n, &err), 0);
	/* Run a: 3 pending at or below claimed_through, 1 sending. */
	assert_int_equal(n, 4 + 2);
	assert_int_equal(store_run_get(st, id, &run, &err), 0);
	assert_int_equal(run.possible_duplicates, 4);
	assert_int_equal(store_run_get(st, paused, &run, &err), 0);
	assert_int_equal(run.possible_duplicates, 2);
	assert_int_equal(store_run_get(st, done, &run, &err), 0);
	assert_int_equal(run.possible_duplicates, 0);
	assert_int_equal(q("SELECT claimed_through FROM campaigns WHERE id ="
	    " %lld", (long long)done), first + 29);
	assert_int_equal(q("SELECT sum(claimed_through) FROM campaigns WHERE"
	    " id <> %lld", (long long)done), 0);
	assert_string_equal(cols("state, next_attempt_at,"
	    " attempts", "sends WHERE id = %lld", (long long)(first + 1)),
	    "deferred/200/1");
	/* A second recovery finds nothing new. */
	assert_int_equal(store_recover(st, 300, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_run_get(st, id, &run, &err), 0);
	assert_int_equal(run.possible_duplicates, 4);
	assert_int_equal(q("SELECT next_attempt_at FROM sends WHERE id = %lld",
	    (long long)(first + 1)), 200);
	/* They are claimable again: the deferred one, then from the start. */
	cursor = 0;
	assert_int_equal(claim(st, id, &cursor, 200, 4, &g), 4);
	assert_int_equal(g.ids[0], first + 1);
	assert_int_equal(g.ids[1], first + 2);
	assert_int_equal(g.ids[2], first + 3);
	assert_int_equal(g.ids[3], first + 4);
	/* Claimed again, they would count again after another crash. */
	assert_int_equal(store_recover(st, 300, &n, &err), 0);
	assert_int_equal(n, 4);
	store_close(st);
}

static void
test_claims_clear(void **state)
{
	struct store_run_counts	 c;
	struct clr_err		 err = { 0, "" };
	struct store		*st;
	struct got		 g;
	uint64_t		 n = 99;
	int64_t			 id, cursor = 0;

	(void)state;
	st = open_db("clear.db", 4);
	id = start(st, "a", NULL, 100, &c);
	assert_int_equal(claim(st, id, &cursor, 100, 3, &g), 3);
	assert_true(q("SELECT claimed_through FROM campaigns") > 0);
	assert_int_equal(store_claims_clear(st, id, &err), 0);
	assert_int_equal(q("SELECT claimed_through FROM campaigns"), 0);
	assert_int_equal(store_recover(st, 200, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_claims_clear(st, 999, &err), CLR_ENOENT);
	store_close(st);
}

static void
test_finish_if_done(void **state)
{
	struct store_run_counts	 c;
	struct store_record_stats stats;
	struct store_result	 r[2];
	struct store_run	 run;
	struct clr_err		 err = { 0, "" };
	struct store		*st;
	struct got		 g;
	int64_t			 id, cursor = 0;
	int			 done = 7;

	(void)state;
	st = open_db("finish.db", 2);
	id = start(st, "a", NULL, 100, &c);
	assert_int_equal(store_run_finish_if_done(st, id, 110, &done, &err),
	    0);
	assert_int_equal(done, 0);
	assert_int_equal(claim(st, id, &cursor, 100, 2, &g), 2);
	r[0] = result(g.ids[0], STORE_SENT, 250, NULL, NULL, NULL);
	r[1] = result(g.ids[1], STORE_DEFERRED, 451, NULL, NULL, NULL);
	record(st, r, 2, 120, &stats);
	/* Deferred is not done. */
	assert_int_equal(store_run_finish_if_done(st, id, 130, &done, &err),
	    0);
	assert_int_equal(done, 0);
	assert_int_equal(claim(st, id, &cursor, 180, 2, &g), 1);
	/* Nor is sending. */
	assert_int_equal(store_run_finish_if_done(st, id, 185, &done, &err),
	    0);
	assert_int_equal(done, 0);
	r[0] = result(g.ids[0], STORE_SENT, 250, NULL, NULL, NULL);
	record(st, r, 1, 190, &stats);
	/* Paused: left alone, even with nothing left to send. */
	assert_int_equal(store_run_set_state(st, id, STORE_RUN_PAUSED, 195,
	    &err), 0);
	assert_int_equal(store_run_finish_if_done(st, id, 200, &done, &err),
	    0);
	assert_int_equal(done, 0);
	assert_int_equal(store_run_set_state(st, id, STORE_RUN_RUNNING, 205,
	    &err), 0);
	assert_int_equal(store_run_finish_if_done(st, id, 210, &done, &err),
	    0);
	assert_int_equal(done, 1);
	assert_int_equal(store_run_get(st, id, &run, &err), 0);
	assert_int_equal(run.state, STORE_RUN_DONE);
	assert_int_equal(run.finished_at, 210);
	assert_int_equal(run.started_at, 100);
	/* Done is done: once. */
	assert_int_equal(store_run_finish_if_done(st, id, 220, &done, &err),
	    0);
	assert_int_equal(done, 0);
	assert_int_equal(store_run_get(st, id, &run, &err), 0);
	assert_int_equal(run.finished_at, 210);
	assert_int_equal(store_run_finish_if_done(st, 999, 220, &done, &err),
	    CLR_ENOENT);
	store_close(st);
}

/*
 * A statement that fails inside store_record (a trigger refuses the
 * second result's event) leaves nothing of the call, in a transaction of
 * its own or in the caller's; the caller's rollback undoes the claim too.
 */
static void
test_record_failure(void **state)
{
	struct store_run_counts	 c;
	struct store_record_stats s;
	struct store_result	 r[2];
	struct clr_err		 err = { 0, "" };
	struct store		*st;
	struct got		 g;
	int64_t			 id, cursor = 0, first;
	size_t			 n;

	(void)state;
	st = open_db("fail.db", 6);
	id = start(st, "a", NULL, 100, &c);
	first = q("SELECT first_send FROM campaigns WHERE id = %lld",
	    (long long)id);
	x("CREATE TRIGGER boom BEFORE INSERT ON events"
	    " WHEN json_extract(NEW.detail, '$.reason') = 'boom'"
	    " BEGIN SELECT RAISE(ABORT, 'boom refused'); END");
	assert_int_equal(claim(st, id, &cursor, 100, 2, &g), 2);
	r[0] = result(first, STORE_BOUNCED_HARD, 550, "5.1.1", NULL, NULL);
	r[1] = result(first + 1, STORE_FAILED, 0, NULL, NULL, "boom");
	memset(&s, 0, sizeof(s));
	s.sent = 42;
	assert_int_equal(store_record(st, r, 2, &policy, 110, &s, &err),
	    CLR_EDB);
	assert_non_null(strstr(err.msg, "boom refused"));
	assert_int_equal(s.sent, 42);	/* not filled on failure */
	assert_int_equal(q("SELECT count(*) FROM sends WHERE state <>"
	    " 'pending'"), 0);
	assert_int_equal(q("SELECT count(*) FROM events"), 0);
	assert_int_equal(q("SELECT count(*) FROM suppressions"), 0);
	assert_string_equal(qs("SELECT status FROM contacts WHERE id = 1"),
	    "active");

	/* In the caller's transaction: the claim stays, the results go. */
	assert_int_equal(store_tx_begin(st, &err), 0);
	memset(&g, 0, sizeof(g));
	assert_int_equal(store_claim(st, id, &cursor, 100, 2, collect, &g, &n,
	    &err), 0);
	assert_int_equal(n, 2);
	r[0] = result(first + 2, STORE_SENT, 250, NULL, NULL, NULL);
	r[1] = result(first + 3, STORE_FAILED, 0, NULL, NULL, "boom");
	assert_int_equal(store_record(st, r, 2, &policy, 120, &s, &err),
	    CLR_EDB);
	assert_int_equal(store_tx_commit(st, &err), 0);
	assert_int_equal(q("SELECT claimed_through FROM campaigns"),
	    first + 3);
	assert_int_equal(q("SELECT count(*) FROM sends WHERE state <>"
	    " 'pending'"), 0);
	assert_int_equal(q("SELECT count(*) FROM events"), 0);

	/* Rolled back by the caller: the claim goes too. */
	assert_int_equal(store_tx_begin(st, &err), 0);
	assert_int_equal(store_claim(st, id, &cursor, 100, 2, collect, &g, &n,
	    &err), 0);
	r[0] = result(first + 4, STORE_SENT, 250, NULL, NULL, NULL);
	assert_int_equal(store_record(st, r, 1, &policy, 130, &s, &err), 0);
	store_tx_rollback(st);
	assert_int_equal(q("SELECT claimed_through FROM campaigns"),
	    first + 3);
	assert_int_equal(q("SELECT count(*) FROM sends WHERE state <>"
	    " 'pending'"), 0);
	/* And a good batch still goes through. */
	r[0] = result(first + 4, STORE_SENT, 250, NULL, NULL, NULL);
	record(st, r, 1, 140, &s);
	assert_int_equal(q("SELECT count(*) FROM sends WHERE state ="
	    " 'sent'"), 1);
	store_close(st);
}

static void
test_transactions(void **state)
{
	struct store_options	 opt = { 0, 50, 0, 0 };
	struct clr_err		 err = { 0, "" };
	struct store		*st;
	sqlite3			*h;

	(void)state;
	st = open_db("tx.db", 1);
	assert_int_equal(store_tx_commit(st, &err), CLR_EINVAL);
	assert_int_equal(store_tx_begin(st, &err), 0);
	assert_int_equal(store_tx_begin(st, &err), CLR_EINVAL);
	assert_int_equal(store_tx_commit(st, &err), 0);
	store_tx_rollback(st);	/* none open: nothing to do */
	store_close(st);

	/* Another writer holds the lock: CLR_EBUSY after the timeout. */
	st = store_open(db, &opt, &err);
	assert_non_null(st);
	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "BEGIN IMMEDIATE", NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(store_tx_begin(st, &err), CLR_EBUSY);
	assert_int_equal(store_recover(st, 1, NULL, &err), CLR_EBUSY);
	sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(h);
	assert_int_equal(store_tx_begin(st, &err), 0);
	store_tx_rollback(st);
	store_close(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_schema, test_teardown_tmp),
		cmocka_unit_test(test_state_names),
		cmocka_unit_test_teardown(test_snapshot_and_cap,
		    test_teardown_tmp),
		cmocka_unit_test_teardown(test_one_active_run,
		    test_teardown_tmp),
		cmocka_unit_test_teardown(test_runs_active, test_teardown_tmp),
		cmocka_unit_test_teardown(test_state_machine,
		    test_teardown_tmp),
		cmocka_unit_test_teardown(test_cancel_and_done,
		    test_teardown_tmp),
		cmocka_unit_test_teardown(test_claim_order, test_teardown_tmp),
		cmocka_unit_test_teardown(test_claim_skips_leavers,
		    test_teardown_tmp),
		cmocka_unit_test_teardown(test_claim_many_skipped,
		    test_teardown_tmp),
		cmocka_unit_test_teardown(test_record_outcomes,
		    test_teardown_tmp),
		cmocka_unit_test_teardown(test_soft_bounces,
		    test_teardown_tmp),
		cmocka_unit_test_teardown(test_recover, test_teardown_tmp),
		cmocka_unit_test_teardown(test_claims_clear,
		    test_teardown_tmp),
		cmocka_unit_test_teardown(test_finish_if_done,
		    test_teardown_tmp),
		cmocka_unit_test_teardown(test_record_failure,
		    test_teardown_tmp),
		cmocka_unit_test_teardown(test_transactions,
		    test_teardown_tmp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
