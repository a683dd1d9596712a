/* SPDX-License-Identifier: ISC */
/*
 * store/store_impl.h - internal: the connection and its prepared statements
 */
#ifndef CLARION_STORE_IMPL_H
#define CLARION_STORE_IMPL_H

#include <sqlite3.h>

#include "store.h"
#include "util/buf.h"

/* Contacts created by an import are subscribed this many at a time. */
#define STORE_IMPORT_ROWS	128

/* Statements of an import in progress, prepared once per import. */
struct store__import {
	int		 active;
	int64_t		 list_id;
	int64_t		 source_id;	/* sources row of params.source */
	char		**themes;
	size_t		 nthemes;
	int64_t		 now;
	char		**suppressed;	/* sorted copy of the list */
	size_t		 nsuppressed;
	sqlite3_stmt	*insert;
	sqlite3_stmt	*lookup;
	sqlite3_stmt	*update;
	sqlite3_stmt	*subscribe;
	sqlite3_stmt	*consent;
	sqlite3_stmt	*subscribe_many;	/* STORE_IMPORT_ROWS at once */
	sqlite3_stmt	*consent_many;
	int64_t		 created[STORE_IMPORT_ROWS];	/* to subscribe */
	size_t		 ncreated;
};

/*
 * The statements of runs, claims and results, prepared on first use and
 * kept until store_close: the daemon claims and records thousands of
 * times a second. Indexes into store__run.stmt; the SQL is in run.c.
 */
enum store__run_stmt {
	STORE__BEGIN,
	STORE__COMMIT,
	STORE__ROLLBACK,
	STORE__SAVEPOINT,
	STORE__RELEASE,
	STORE__ROLLBACK_TO,
	STORE__CLAIM_DUE,
	STORE__CLAIM_PENDING,
	STORE__CLAIM_SENDING,
	STORE__CLAIM_SKIP,
	STORE__CLAIM_THROUGH,
	STORE__REC_LOOKUP,
	STORE__REC_UPDATE,
	STORE__REC_RELEASE,
	STORE__REC_EVENT,
	STORE__REC_SOFT,
	STORE__REC_SUPPRESS,
	STORE__REC_BOUNCED,
	STORE__RUN_NSTMT
};

/* A claim's writes wait for the end of its scan, this many at most. */
#define STORE_CLAIM_BUF	256

struct store__claimed {
	int64_t		 id;
	const char	*skip;	/* why it is skipped; NULL: sending */
};

struct store__run {
	sqlite3_stmt		*stmt[STORE__RUN_NSTMT];
	struct store__claimed	 claimed[STORE_CLAIM_BUF];
	size_t			 nclaimed;
	int			 bufs;		/* buf_init'ed */
	struct buf		 detail;	/* an event's JSON */
	struct buf		 email;		/* a contact's */
	struct buf		 clean[5];	/* texts made valid UTF-8 */
};

struct store {
	sqlite3			*db;
	int			 readonly;
	struct store__import	 imp;
	struct store__run	 run;
};

/*
 * Record a SQLite failure in err as "what: sqlite's message" and return the
 * matching CLR_E* code (CLR_EFULL for a full disk, CLR_EBUSY for a lock).
 */
int	 store__fail(struct store *, struct clr_err *, int sqlite_rc,
	    const char *what);

/* Run SQL with no result rows; 0 or CLR_E* with err filled. */
int	 store__exec(struct store *, const char *sql, struct clr_err *);

/* Finalise the statements of store__run and free its buffers. */
void	 store__run_close(struct store *);

/*
 * Compile sql, a statement built around def's segment (store_segment_sql),
 * under the where clause's guards: its lexical check and an authorizer
 * that allows reads of clarion's tables and, if writes is not NULL,
 * inserts into that one table. Without writes, the statement must be
 * read-only.
 */
int	 store__segment_compile(struct store *,
	    const struct store_segment_def *, const char *sql, size_t len,
	    const char *writes, sqlite3_stmt **, struct clr_err *);

/* The migrations: numbered from 1, each one SQL script. */
struct store__migration {
	int		 version;
	const char	*sql;
};
extern const struct store__migration	store__migrations[];
extern const size_t			store__nmigrations;

#endif
