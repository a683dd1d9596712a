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

#endif
