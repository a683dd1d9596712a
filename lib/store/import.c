/* SPDX-License-Identifier: ISC */
/*
 * store/import.c - contact import: one transaction, upserts that never erase
 *
 * Per row: a new address becomes a contact (unless it is suppressed); an
 * existing contact gets the non-empty fields of the row, its attrs merged
 * with json_patch; an active contact is subscribed to the list and gets a
 * live consent for each theme unless it has one. Nothing here ever brings
 * a contact back: an unsubscribed, bounced, complained or suppressed
 * address is updated at most, never subscribed, and a list member who left
 * the list stays out of it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_impl.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/json.h"

/*
 * The statements of an import, in the order of import_stmt(). Each one's
 * parameters are documented where it is bound.
 */
static const char *const import_sql[] = {
	/* insert: changes() says whether the address was new */
	"INSERT INTO contacts (email, first_name, last_name, locale, attrs,"
	"  status, created_at, updated_at)"
	" VALUES (?1, ?2, ?3, ?4, coalesce(?5, '{}'),"
	"  coalesce(?6, 'active'), ?7, ?7)"
	" ON CONFLICT (email) DO NOTHING",
	/* lookup */
	"SELECT id, status FROM contacts WHERE email = ?1",
	/* update: only when something would change, so updated_at is true */
	"UPDATE contacts SET"
	"  first_name = coalesce(?2, first_name),"
	"  last_name = coalesce(?3, last_name),"
	"  locale = coalesce(?4, locale),"
	"  attrs = CASE WHEN ?5 IS NULL THEN attrs ELSE json_patch(attrs, ?5) END,"
	"  status = CASE WHEN status = 'active' THEN coalesce(?6, status)"
	"           ELSE status END,"
	"  updated_at = ?7"
	" WHERE id = ?1 AND ("
	"  first_name IS NOT coalesce(?2, first_name) OR"
	"  last_name IS NOT coalesce(?3, last_name) OR"
	"  locale IS NOT coalesce(?4, locale) OR"
	"  (?5 IS NOT NULL AND attrs IS NOT json_patch(attrs, ?5)) OR"
	"  (status = 'active' AND ?6 IS NOT NULL AND ?6 <> 'active'))",
	/* subscribe: an existing membership, current or ended, stays as is */
	"INSERT INTO list_members (contact_id, list_id, source_id,"
	"  subscribed_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
	/* consent: a live grant is kept with its original proof */
	"INSERT INTO consents (contact_id, theme, granted_at, source_id)"
	" VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
};

static int	created(struct store *, const struct store_contact *, int64_t,
		    enum store_import_outcome *, struct clr_err *);
static int	known(struct store *, const struct store_contact *, int,
		    enum store_import_outcome *, struct clr_err *);

static sqlite3_stmt **
import_stmt(struct store__import *imp, size_t i)
{
	sqlite3_stmt	**v[] = {
		&imp->insert, &imp->lookup, &imp->update, &imp->subscribe,
		&imp->consent
	};

	return v[i];
}

#define NSTMT	(sizeof(import_sql) / sizeof(import_sql[0]))

void
store_import_abort(struct store *st)
{
	struct store__import	*imp = &st->imp;
	size_t			 i;

	if (!imp->active)
		return;
	for (i = 0; i < NSTMT; i++) {
		sqlite3_finalize(*import_stmt(imp, i));
		*import_stmt(imp, i) = NULL;
	}
	sqlite3_finalize(imp->subscribe_many);
	sqlite3_finalize(imp->consent_many);

	for (i = 0; i < imp->nthemes; i++)
		clr_free(imp->themes[i]);
	clr_free(imp->themes);
	for (i = 0; i < imp->nsuppressed; i++)
		clr_free(imp->suppressed[i]);
	clr_free(imp->suppressed);
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_exec(st->db, "PRAGMA ignore_check_constraints = OFF", NULL,
	    NULL, NULL);
	memset(imp, 0, sizeof(*imp));
}

static int
email_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* is_suppressed - whether the address is on the suppression list. */
static int
is_suppressed(const struct store__import *imp, const char *email)
{
	return imp->nsuppressed > 0 && bsearch(&email, imp->suppressed,
	    imp->nsuppressed, sizeof(char *), email_cmp) != NULL;
}

/*
 * load_suppressions - a sorted copy of the suppression list, looked up
 * for every row: far cheaper than a statement per row, and the list is
 * small next to the contacts. The import's transaction keeps it current.
 */
static int
load_suppressions(struct store *st, struct clr_err *err)
{
	struct store__import	*imp = &st->imp;
	sqlite3_stmt		*s = NULL;
	size_t			 cap = 0;
	char			**v;
	int			 rc;

	rc = sqlite3_prepare_v2(st->db, "SELECT email FROM suppressions"
	    " ORDER BY email", -1, &s, NULL);
	while (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (imp->nsuppressed == cap) {
			cap = cap ? cap * 2 : 256;
			v = clr_reallocarray(imp->suppressed, cap, sizeof(*v));
			if (v == NULL)
				goto nomem;
			imp->suppressed = v;
		}
		imp->suppressed[imp->nsuppressed] = clr_strdup((const char *)
		    sqlite3_column_text(s, 0));
		if (imp->suppressed[imp->nsuppressed] == NULL)
			goto nomem;
		imp->nsuppressed++;
		rc = SQLITE_OK;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return store__fail(st, err, rc, "reading suppressions");
	return 0;
nomem:
	sqlite3_finalize(s);
	return clr_err_set(err, CLR_ENOMEM, "out of memory");
}

/*
 * prepare_many - the multi-row statements of flush_created: ?1..?N are
 * contact ids, then list (or theme), source and time.
 */
static int
prepare_many(struct store *st, struct clr_err *err)
{
	struct store__import	*imp = &st->imp;
	struct buf		 a = BUF_INITIALIZER(1 << 20);
	struct buf		 b = BUF_INITIALIZER(1 << 20);
	const int		 n = STORE_IMPORT_ROWS;
	int			 i, rc = 0;

	/*
	 * ON CONFLICT DO NOTHING: a later row of the same address may have
	 * subscribed its contact already, through the row-by-row path.
	 */
	buf_puts(&a, "INSERT INTO list_members (contact_id, list_id, "
	    "source_id, subscribed_at) VALUES ");
	buf_puts(&b, "INSERT INTO consents (contact_id, theme, granted_at, "
	    "source_id) VALUES ");
	for (i = 1; i <= n; i++) {
		buf_printf(&a, "%s(?%d, ?%d, ?%d, ?%d)", i > 1 ? ", " : "",
		    i, n + 1, n + 2, n + 3);
		buf_printf(&b, "%s(?%d, ?%d, ?%d, ?%d)", i > 1 ? ", " : "",
		    i, n + 3, n + 4, n + 2);
	}
	buf_puts(&a, " ON CONFLICT DO NOTHING");
	buf_puts(&b, " ON CONFLICT DO NOTHING");

	if (a.data == NULL || b.data == NULL) {
		rc = clr_err_set(err, CLR_ENOMEM, "out of memory");
		goto out;
	}
	rc = sqlite3_prepare_v3(st->db, a.data, (int)a.len,
	    SQLITE_PREPARE_PERSISTENT, &imp->subscribe_many, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v3(st->db, b.data, (int)b.len,
		    SQLITE_PREPARE_PERSISTENT, &imp->consent_many, NULL);

	if (rc != SQLITE_OK) {
		rc = store__fail(st, err, rc, "preparing the import");
		goto out;
	}
	rc = 0;
out:
	buf_free(&a);
	buf_free(&b);
	return rc;
}

/*
 * name_id - the id of the row of table whose column is value, inserted
 * if missing. table and column are constants of this file.
 */
static int
name_id(struct store *st, const char *table, const char *column,
    const char *value, int64_t *id, struct clr_err *err)
{
	sqlite3_stmt	*s = NULL;
	char		 sql[200];
	int		 rc;

	snprintf(sql, sizeof(sql), "INSERT INTO %s (%s, created_at)"
	    " VALUES (?1, ?2) ON CONFLICT (%s) DO UPDATE SET %s = %s"
	    " RETURNING id", table, column, column, column, column);
	rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(s, 1, value, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, st->imp.now);
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW)
			*id = sqlite3_column_int64(s, 0);
		rc = sqlite3_reset(s);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_OK)
		return store__fail(st, err, rc, table);
	return 0;
}

int
store_import_begin(struct store *st, const struct store_import_params *p,
    struct clr_err *err)
{
	struct store__import	*imp = &st->imp;
	size_t			 i;
	int			 rc;

	if (imp->active || st->readonly)
		return clr_err_set(err, CLR_EINVAL, "the store is %s",
		    st->readonly ? "read-only" : "already importing");
	/*
	 * store_import_row checks what the schema's CHECKs would (attrs is
	 * a JSON object, status a known value) before it writes, so SQLite
	 * need not check again: parsing every attrs twice was an eighth of
	 * an import's work. Every other write keeps SQLite's checks.
	 * IMMEDIATE: take the write lock now, not halfway through.
	 */
	if ((rc = store__exec(st, "PRAGMA ignore_check_constraints = ON;"
	    "BEGIN IMMEDIATE", err)) != 0) {
		sqlite3_exec(st->db, "PRAGMA ignore_check_constraints = OFF",
		    NULL, NULL, NULL);
		return rc;
	}
	imp->active = 1;
	imp->now = p->now;
	if ((imp->themes = clr_calloc(p->nthemes + 1, sizeof(char *))) ==
	    NULL) {
		rc = clr_err_set(err, CLR_ENOMEM, "out of memory");
		goto fail;
	}
	for (i = 0; i < p->nthemes; i++) {
		if ((imp->themes[i] = clr_strdup(p->themes[i])) == NULL) {
			rc = clr_err_set(err, CLR_ENOMEM, "out of memory");
			goto fail;
		}
		imp->nthemes++;
	}
	for (i = 0; i < NSTMT; i++) {
		rc = sqlite3_prepare_v3(st->db, import_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, import_stmt(imp, i), NULL);
		if (rc != SQLITE_OK) {
			rc = store__fail(st, err, rc, "preparing the import");
			goto fail;
		}
	}
	if ((rc = prepare_many(st, err)) != 0 ||
	    (rc = load_suppressions(st, err)) != 0)
		goto fail;
	/* The list and the source: created on first use, then ids. */
	if ((rc = name_id(st, "lists", "name", p->list, &imp->list_id,
	    err)) != 0 || (rc = name_id(st, "sources", "text", p->source,
	    &imp->source_id, err)) != 0)
		goto fail;
	sqlite3_bind_int64(imp->subscribe_many, STORE_IMPORT_ROWS + 1,
	    imp->list_id);
	sqlite3_bind_int64(imp->subscribe_many, STORE_IMPORT_ROWS + 2,
	    imp->source_id);
	sqlite3_bind_int64(imp->subscribe_many, STORE_IMPORT_ROWS + 3, p->now);
	sqlite3_bind_int64(imp->consent_many, STORE_IMPORT_ROWS + 2,
	    imp->source_id);
	sqlite3_bind_int64(imp->consent_many, STORE_IMPORT_ROWS + 4, p->now);
	return 0;
fail:
	store_import_abort(st);
	return rc;
}

static void
bind_opt(sqlite3_stmt *s, int i, const char *v)
{
	if (v != NULL)
		sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}

/* step_done - run a statement that returns no row; SQLite rc. */
static int
step_done(sqlite3_stmt *s)
{
	int	 rc = sqlite3_step(s);

	sqlite3_reset(s);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* membership - subscribe and record consents; *changed if anything new. */
static int
membership(struct store *st, int64_t id, int *changed)
{
	struct store__import	*imp = &st->imp;
	size_t			 i;
	int			 rc;

	sqlite3_bind_int64(imp->subscribe, 1, id);
	sqlite3_bind_int64(imp->subscribe, 2, imp->list_id);
	sqlite3_bind_int64(imp->subscribe, 3, imp->source_id);
	sqlite3_bind_int64(imp->subscribe, 4, imp->now);
	if ((rc = step_done(imp->subscribe)) != SQLITE_OK)
		return rc;
	if (sqlite3_changes(st->db) > 0)
		*changed = 1;
	for (i = 0; i < imp->nthemes; i++) {
		sqlite3_bind_int64(imp->consent, 1, id);
		sqlite3_bind_text(imp->consent, 2, imp->themes[i], -1,
		    SQLITE_STATIC);
		sqlite3_bind_int64(imp->consent, 3, imp->now);
		sqlite3_bind_int64(imp->consent, 4, imp->source_id);
		if ((rc = step_done(imp->consent)) != SQLITE_OK)
			return rc;
		if (sqlite3_changes(st->db) > 0)
			*changed = 1;
	}
	return SQLITE_OK;
}

/*
 * check_row - what the schema's CHECK constraints say of a contact, for
 * the import, which runs without them: attrs is a JSON object, status one
 * of the states an import may set. (The address is the caller's to
 * normalise; UNIQUE and NOT NULL still hold.)
 */
static int
check_row(const struct store_contact *c, struct clr_err *err)
{
	if (c->email == NULL)
		return clr_err_set(err, CLR_EINVAL, "a contact needs an address");
	if (c->attrs != NULL && !json_valid_object(c->attrs, strlen(c->attrs)))
		return clr_err_set(err, CLR_EINVAL, "%s: attrs is not a JSON "
		    "object", c->email);
	if (c->status != NULL && strcmp(c->status, "unsubscribed") != 0 &&
	    strcmp(c->status, "bounced") != 0 &&
	    strcmp(c->status, "complained") != 0)
		return clr_err_set(err, CLR_EINVAL, "%s: an import cannot set "
		    "status \"%s\"", c->email, c->status);
	return 0;
}

/*
 * flush_created - subscribe the contacts created since the last flush and
 * record their consents, STORE_IMPORT_ROWS at a time: new contacts have no
 * membership or consent that could conflict, and one statement per batch
 * costs far less than one per row.
 */
static int
flush_created(struct store *st)
{
	struct store__import	*imp = &st->imp;
	size_t			 i, t;
	int			 rc;

	if (imp->ncreated == STORE_IMPORT_ROWS) {
		for (i = 0; i < STORE_IMPORT_ROWS; i++)
			sqlite3_bind_int64(imp->subscribe_many, (int)i + 1,
			    imp->created[i]);
		if ((rc = step_done(imp->subscribe_many)) != SQLITE_OK)
			return rc;
		for (t = 0; t < imp->nthemes; t++) {
			for (i = 0; i < STORE_IMPORT_ROWS; i++)
				sqlite3_bind_int64(imp->consent_many,
				    (int)i + 1, imp->created[i]);
			sqlite3_bind_text(imp->consent_many,
			    STORE_IMPORT_ROWS + 3, imp->themes[t], -1,
			    SQLITE_STATIC);
			if ((rc = step_done(imp->consent_many)) != SQLITE_OK)
				return rc;
		}
	} else {
		/* The remainder, at the end: row by row. */
		for (i = 0; i < imp->ncreated; i++) {
			int	 changed;

			if ((rc = membership(st, imp->created[i], &changed)) !=
			    SQLITE_OK)
				return rc;
		}
	}
	imp->ncreated = 0;
	return SQLITE_OK;
}

int
store_import_row(struct store *st, const struct store_contact *c,
    enum store_import_outcome *out, struct clr_err *err)
{
	struct store__import	*imp = &st->imp;
	sqlite3_stmt		*s = imp->insert;
	int64_t			 id = 0;
	int			 rc, suppressed;

	if (!imp->active)
		return clr_err_set(err, CLR_EINVAL, "no import in progress");
	if ((rc = check_row(c, err)) != 0)
		return rc;

	if ((suppressed = is_suppressed(imp, c->email)))
		return known(st, c, suppressed, out, err);

	/* A new address: one statement does it, the common case. */
	sqlite3_bind_text(s, 1, c->email, -1, SQLITE_STATIC);
	bind_opt(s, 2, c->first_name);
	bind_opt(s, 3, c->last_name);
	bind_opt(s, 4, c->locale);
	bind_opt(s, 5, c->attrs);
	bind_opt(s, 6, c->status);
	sqlite3_bind_int64(s, 7, imp->now);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE && sqlite3_changes(st->db) > 0)
		id = sqlite3_last_insert_rowid(st->db);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return store__fail(st, err, rc, "adding a contact");
	if (id != 0)
		return created(st, c, id, out, err);
	return known(st, c, suppressed, out, err);
}

/* created - a row made a new contact: queue its subscription. */
static int
created(struct store *st, const struct store_contact *c, int64_t id,
    enum store_import_outcome *out, struct clr_err *err)
{
	struct store__import	*imp = &st->imp;
	int			 rc;

	if (c->status == NULL) {
		imp->created[imp->ncreated++] = id;
		if (imp->ncreated == STORE_IMPORT_ROWS &&
		    (rc = flush_created(st)) != SQLITE_OK)
			return store__fail(st, err, rc, "subscribing contacts");
	}
	*out = STORE_IMPORT_CREATED;
	return 0;
}

/* known - a row whose address is a contact already, or suppressed. */
static int
known(struct store *st, const struct store_contact *c, int suppressed,
    enum store_import_outcome *out, struct clr_err *err)
{
	struct store__import	*imp = &st->imp;
	int64_t			 id = 0;
	int			 rc, active = 0, changed = 0;

	/* A known or a suppressed address. */
	sqlite3_bind_text(imp->lookup, 1, c->email, -1, SQLITE_STATIC);
	rc = sqlite3_step(imp->lookup);
	if (rc == SQLITE_ROW) {
		id = sqlite3_column_int64(imp->lookup, 0);
		active = strcmp((const char *)sqlite3_column_text(imp->lookup,
		    1), "active") == 0;
	}
	sqlite3_reset(imp->lookup);
	if (rc == SQLITE_DONE) {
		/* Suppressed and not a contact: it stays out. */
		*out = STORE_IMPORT_SUPPRESSED;
		return 0;
	}
	if (rc != SQLITE_ROW)
		return store__fail(st, err, rc, "looking up a contact");

	sqlite3_bind_int64(imp->update, 1, id);
	bind_opt(imp->update, 2, c->first_name);
	bind_opt(imp->update, 3, c->last_name);
	bind_opt(imp->update, 4, c->locale);
	bind_opt(imp->update, 5, c->attrs);
	bind_opt(imp->update, 6, c->status);
	sqlite3_bind_int64(imp->update, 7, imp->now);
	if ((rc = step_done(imp->update)) != SQLITE_OK)
		return store__fail(st, err, rc, "updating a contact");
	if (sqlite3_changes(st->db) > 0)
		changed = 1;
	/*
	 * The contact may have been created by an earlier row of this import
	 * whose subscription is still queued: subscribe the queue first, so
	 * a repeated row is not counted as a change.
	 */
	if (active && !suppressed && c->status == NULL &&
	    ((imp->ncreated > 0 && (rc = flush_created(st)) != SQLITE_OK) ||
	    (rc = membership(st, id, &changed)) != SQLITE_OK))
		return store__fail(st, err, rc, "subscribing a contact");
	*out = changed ? STORE_IMPORT_UPDATED : STORE_IMPORT_UNCHANGED;
	return 0;
}

int
store_import_commit(struct store *st, struct clr_err *err)
{
	int	 rc;

	if (!st->imp.active)
		return clr_err_set(err, CLR_EINVAL, "no import in progress");
	if ((rc = flush_created(st)) != SQLITE_OK) {
		rc = store__fail(st, err, rc, "subscribing contacts");
		store_import_abort(st);
		return rc;
	}
	rc = sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		rc = store__fail(st, err, rc, "committing the import");
		store_import_abort(st);
		return rc;
	}
	store_import_abort(st);	/* finalises; nothing left to roll back */
	return 0;
}
