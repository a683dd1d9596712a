/* SPDX-License-Identifier: ISC */
/*
 * store/store_impl.h - internal: the connection and its prepared statements
 */
#ifndef CLARION_STORE_IMPL_H
#define CLARION_STORE_IMPL_H

#include <sqlite3.h>

#include "store.h"

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

struct store {
	sqlite3			*db;
	int			 readonly;
	struct store__import	 imp;
};

/*
 * Record a SQLite failure in err as "what: sqlite's message" and return the
 * matching CLR_E* code (CLR_EFULL for a full disk, CLR_EBUSY for a lock).
 */
int	 store__fail(struct store *, struct clr_err *, int sqlite_rc,
	    const char *what);

/* Run SQL with no result rows; 0 or CLR_E* with err filled. */
int	 store__exec(struct store *, const char *sql, struct clr_err *);

/* The migrations: numbered from 1, each one SQL script. */
struct store__migration {
	int		 version;
	const char	*sql;
};
extern const struct store__migration	store__migrations[];
extern const size_t			store__nmigrations;

#endif
