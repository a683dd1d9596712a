/* SPDX-License-Identifier: ISC */
/*
 * store/store.c - opening a store: pragmas, identity checks, migrations
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "store_impl.h"
#include "util/alloc.h"

/* PRAGMA application_id of a clarion database: "CLRN". */
#define STORE_APPLICATION_ID	0x434C524E

int
store__fail(struct store *st, struct clr_err *err, int rc, const char *what)
{
	int	 code;

	switch (rc & 0xFF) {
	case SQLITE_FULL:
		code = CLR_EFULL;
		break;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		code = CLR_EBUSY;
		break;
	case SQLITE_NOMEM:
		code = CLR_ENOMEM;
		break;
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
		code = CLR_EIO;
		break;
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		code = CLR_EPERM;
		break;
	default:
		code = CLR_EDB;
	}
	return clr_err_set(err, code, "%s: %s", what,
	    st != NULL && st->db != NULL ? sqlite3_errmsg(st->db) :
	    sqlite3_errstr(rc));
}

int
store__exec(struct store *st, const char *sql, struct clr_err *err)
{
	int	 rc;

	rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return store__fail(st, err, rc, "database");
	return 0;
}

void
store_library_init(void)
{
	/* SQLITE_MISUSE once the library is initialised: nothing to do. */
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int
store_schema_latest(void)
{
	return store__migrations[store__nmigrations - 1].version;
}

/* pragma_int - read an integer PRAGMA; -1 on error. */
static int64_t
pragma_int(struct store *st, const char *sql)
{
	sqlite3_stmt	*s;
	int64_t		 v = -1;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

int
store_schema_version(struct store *st)
{
	return (int)pragma_int(st, "PRAGMA user_version");
}

const char *
store_errmsg(struct store *st)
{
	return sqlite3_errmsg(st->db);
}

/*
 * check_identity - refuse databases that are not clarion's or are newer
 * than this build. Runs before anything is written.
 */
static int
check_identity(struct store *st, const char *path, struct clr_err *err)
{
	int64_t	 app, version, objects;

	app = pragma_int(st, "PRAGMA application_id");
	version = pragma_int(st, "PRAGMA user_version");
	objects = pragma_int(st, "SELECT count(*) FROM sqlite_schema");
	if (app < 0 || version < 0 || objects < 0)
		return store__fail(st, err, sqlite3_errcode(st->db), path);
	if (app != STORE_APPLICATION_ID && (app != 0 || objects > 0))
		return clr_err_set(err, CLR_ESCHEMA, "%s is not a clarion "
		    "database (application id 0x%08llx, %lld schema objects)",
		    path, (unsigned long long)app, (long long)objects);
	if (version > store_schema_latest())
		return clr_err_set(err, CLR_ESCHEMA, "%s was written by a newer "
		    "clarion (schema version %lld; this clarion knows up to %d): "
		    "upgrade clarion, or restore a backup", path,
		    (long long)version, store_schema_latest());
	return 0;
}

/*
 * migrate - apply every migration above the current version, up to target,
 * in one transaction. The version is read again inside the transaction: a
 * second process may have upgraded the file meanwhile.
 */
static int
migrate(struct store *st, const char *path, int target, struct clr_err *err)
{
	char		 sql[96];
	int64_t		 version;
	size_t		 i;
	int		 rc;

	if ((rc = store__exec(st, "BEGIN IMMEDIATE", err)) != 0)
		return rc;
	version = pragma_int(st, "PRAGMA user_version");
	if (version < 0) {
		rc = store__fail(st, err, sqlite3_errcode(st->db), path);
		goto fail;
	}
	for (i = 0; i < store__nmigrations; i++) {
		const struct store__migration	*m = &store__migrations[i];

		if (m->version <= version || m->version > target)
			continue;
		rc = sqlite3_exec(st->db, m->sql, NULL, NULL, NULL);
		if (rc != SQLITE_OK) {
			char	 what[64];

			snprintf(what, sizeof(what), "migration %d", m->version);
			rc = store__fail(st, err, rc, what);
			goto fail;
		}
		version = m->version;
	}
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %lld; "
	    "PRAGMA application_id = %d", (long long)version,
	    STORE_APPLICATION_ID);
	if ((rc = store__exec(st, sql, err)) != 0)
		goto fail;
	if ((rc = store__exec(st, "COMMIT", err)) != 0)
		goto fail;
	return 0;
fail:
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

struct store *
store_open(const char *path, const struct store_options *opt,
    struct clr_err *err)
{
	static const struct store_options defaults = { 0, 0, 0, 0 };
	struct store	*st;
	struct stat	 sb;
	char		 pragmas[160];
	int		 flags, rc, memory, target, version;

	if (opt == NULL)
		opt = &defaults;
	memory = strcmp(path, ":memory:") == 0;
	if (!memory && !(opt->flags & STORE_CREATE) && stat(path, &sb) != 0) {
		clr_err_set(err, CLR_ENOENT, "%s: %s", path, errno == ENOENT ?
		    "no such database (an import creates it)" :
		    strerror(errno));
		return NULL;
	}
	if ((st = clr_calloc(1, sizeof(*st))) == NULL) {
		clr_err_set(err, CLR_ENOMEM, "out of memory");
		return NULL;
	}
	st->readonly = (opt->flags & STORE_READONLY) != 0;
	flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
	if (st->readonly)
		flags |= SQLITE_OPEN_READONLY;
	else
		flags |= SQLITE_OPEN_READWRITE |
		    ((opt->flags & STORE_CREATE) ? SQLITE_OPEN_CREATE : 0);
	rc = sqlite3_open_v2(path, &st->db, flags, NULL);
	if (rc != SQLITE_OK) {
		store__fail(st, err, rc, path);
		goto fail;
	}
	sqlite3_busy_timeout(st->db, opt->busy_timeout_ms > 0 ?
	    opt->busy_timeout_ms : 5000);
	if ((rc = check_identity(st, path, err)) != 0)
		goto fail;
	/*
	 * A new file gets 16 KiB pages (before WAL fixes the size): fewer
	 * splits and shallower trees when an import adds 100,000s of rows.
	 */
	if (!st->readonly && pragma_int(st, "PRAGMA user_version") == 0 &&
	    pragma_int(st, "SELECT count(*) FROM sqlite_schema") == 0 &&
	    store__exec(st, "PRAGMA page_size = 16384", err) != 0)
		goto fail;
	/*
	 * WAL lets readers run beside the one writer; FULL makes every
	 * commit survive power loss, which the durability promise needs.
	 * Pragmas first: foreign_keys is a no-op inside a transaction.
	 */
	snprintf(pragmas, sizeof(pragmas), "PRAGMA foreign_keys = ON;"
	    "PRAGMA synchronous = FULL;"
	    "PRAGMA temp_store = MEMORY;"
	    "PRAGMA cache_size = -%d", opt->cache_kib > 0 ? opt->cache_kib :
	    32768);
	if (store__exec(st, pragmas, err) != 0)
		goto fail;
	if (!st->readonly && !memory &&
	    store__exec(st, "PRAGMA journal_mode = WAL", err) != 0)
		goto fail;

	target = opt->target_version > 0 ? opt->target_version :
	    store_schema_latest();
	version = store_schema_version(st);
	if (version < target) {
		if (st->readonly) {
			clr_err_set(err, CLR_ESCHEMA, "%s has schema version %d, "
			    "older than this clarion's %d: open it once "
			    "read-write to upgrade it", path, version, target);
			goto fail;
		}
		if (migrate(st, path, target, err) != 0)
			goto fail;
	}
	return st;
fail:
	store_close(st);
	return NULL;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	store_import_abort(st);
	store__run_close(st);
	sqlite3_close(st->db);	/* every statement is finalised by now */
	clr_free(st);
}
