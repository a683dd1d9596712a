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
#include <string.h>

#include "store_impl.h"
#include "util/alloc.h"

static const char *const import_sql[] = {
	/* suppressed */
	"SELECT 1 FROM suppressions WHERE email = ?1",
	/* insert: RETURNING gives the id only when the row is new */
	"INSERT INTO contacts (email, first_name, last_name, locale, attrs,"
	"  status, created_at, updated_at)"
	" VALUES (?1, ?2, ?3, ?4, coalesce(json(?5), '{}'),"
	"  coalesce(?6, 'active'), ?7, ?7)"
	" ON CONFLICT (email) DO NOTHING RETURNING id",
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
	/* subscribe: an existing membership, in or out, is left alone */
	"INSERT INTO list_members (list_id, contact_id, status, source,"
	"  subscribed_at) VALUES (?1, ?2, 'subscribed', ?3, ?4)"
	" ON CONFLICT DO NOTHING",
	/* consent: a live grant is kept with its original proof */
	"INSERT INTO consents (contact_id, theme, granted_at, source)"
	" VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
};

static sqlite3_stmt **
import_stmt(struct store__import *imp, size_t i)
{
	sqlite3_stmt	**v[] = {
		&imp->suppressed, &imp->insert, &imp->lookup, &imp->update,
		&imp->subscribe, &imp->consent
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
	for (i = 0; i < imp->nthemes; i++)
		clr_free(imp->themes[i]);
	clr_free(imp->themes);
	clr_free(imp->source);
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	memset(imp, 0, sizeof(*imp));
}

int
store_import_begin(struct store *st, const struct store_import_params *p,
    struct clr_err *err)
{
	struct store__import	*imp = &st->imp;
	sqlite3_stmt		*s = NULL;
	size_t			 i;
	int			 rc;

	if (imp->active || st->readonly)
		return clr_err_set(err, CLR_EINVAL, "the store is %s",
		    st->readonly ? "read-only" : "already importing");
	/* IMMEDIATE: take the write lock now, not halfway through. */
	if ((rc = store__exec(st, "BEGIN IMMEDIATE", err)) != 0)
		return rc;
	imp->active = 1;
	imp->now = p->now;
	if ((imp->source = clr_strdup(p->source)) == NULL ||
	    (imp->themes = clr_calloc(p->nthemes + 1, sizeof(char *))) ==
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
	/* The list: created on first use, then referred to by id. */
	rc = sqlite3_prepare_v2(st->db, "INSERT INTO lists (name, created_at)"
	    " VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET name = name"
	    " RETURNING id", -1, &s, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(s, 1, p->list, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, p->now);
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW)
			imp->list_id = sqlite3_column_int64(s, 0);
		rc = sqlite3_reset(s);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_OK) {
		rc = store__fail(st, err, rc, "creating the list");
		goto fail;
	}
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

	sqlite3_bind_int64(imp->subscribe, 1, imp->list_id);
	sqlite3_bind_int64(imp->subscribe, 2, id);
	sqlite3_bind_text(imp->subscribe, 3, imp->source, -1, SQLITE_STATIC);
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
		sqlite3_bind_text(imp->consent, 4, imp->source, -1,
		    SQLITE_STATIC);
		if ((rc = step_done(imp->consent)) != SQLITE_OK)
			return rc;
		if (sqlite3_changes(st->db) > 0)
			*changed = 1;
	}
	return SQLITE_OK;
}

int
store_import_row(struct store *st, const struct store_contact *c,
    enum store_import_outcome *out, struct clr_err *err)
{
	struct store__import	*imp = &st->imp;
	int64_t			 id = 0;
	int			 rc, suppressed, active, changed = 0;

	if (!imp->active)
		return clr_err_set(err, CLR_EINVAL, "no import in progress");

	sqlite3_bind_text(imp->suppressed, 1, c->email, -1, SQLITE_STATIC);
	rc = sqlite3_step(imp->suppressed);
	suppressed = rc == SQLITE_ROW;
	sqlite3_reset(imp->suppressed);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store__fail(st, err, rc, "checking suppressions");

	/* New address: one statement does it, the common case. */
	if (!suppressed) {
		sqlite3_stmt	*s = imp->insert;

		sqlite3_bind_text(s, 1, c->email, -1, SQLITE_STATIC);
		bind_opt(s, 2, c->first_name);
		bind_opt(s, 3, c->last_name);
		bind_opt(s, 4, c->locale);
		bind_opt(s, 5, c->attrs);
		bind_opt(s, 6, c->status);
		sqlite3_bind_int64(s, 7, imp->now);
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW)
			id = sqlite3_column_int64(s, 0);
		sqlite3_reset(s);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return store__fail(st, err, rc, "adding a contact");
		if (id != 0) {
			if (c->status == NULL &&
			    (rc = membership(st, id, &changed)) != SQLITE_OK)
				return store__fail(st, err, rc,
				    "subscribing a contact");
			*out = STORE_IMPORT_CREATED;
			return 0;
		}
	}

	/* Known address: update what the row brings, if anything. */
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
	if (active && !suppressed && c->status == NULL &&
	    (rc = membership(st, id, &changed)) != SQLITE_OK)
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
	rc = sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		rc = store__fail(st, err, rc, "committing the import");
		store_import_abort(st);
		return rc;
	}
	store_import_abort(st);	/* finalises; nothing left to roll back */
	return 0;
}
