/* SPDX-License-Identifier: ISC */
/*
 * store/contacts.c - reading contacts one at a time
 */
#include "store_impl.h"

int
store_contact_find(struct store *st, const char *email, store_contact_fn fn,
    void *arg, struct clr_err *err)
{
	struct store_contact_row row;
	sqlite3_stmt		*s;
	int			 rc;

	rc = sqlite3_prepare_v2(st->db, "SELECT id, email, first_name,"
	    " last_name, locale, attrs FROM contacts WHERE email = ?1", -1, &s,
	    NULL);
	if (rc != SQLITE_OK)
		return store__fail(st, err, rc, "finding a contact");
	sqlite3_bind_text(s, 1, email, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		row.id = sqlite3_column_int64(s, 0);
		row.email = (const char *)sqlite3_column_text(s, 1);
		row.first_name = (const char *)sqlite3_column_text(s, 2);
		row.last_name = (const char *)sqlite3_column_text(s, 3);
		row.locale = (const char *)sqlite3_column_text(s, 4);
		row.attrs = (const char *)sqlite3_column_text(s, 5);
		fn(arg, &row);
		rc = 0;
	} else if (rc == SQLITE_DONE)
		rc = clr_err_set(err, CLR_ENOENT, "no contact %s", email);
	else
		rc = store__fail(st, err, rc, "finding a contact");
	sqlite3_finalize(s);
	return rc;
}

int
store_attr_keys(struct store *st, store_attr_fn fn, void *arg,
    struct clr_err *err)
{
	sqlite3_stmt	*s;
	int		 rc;

	/* A scan of every contact: lint runs it once, not per message. */
	rc = sqlite3_prepare_v2(st->db, "SELECT j.key, count(*) FROM contacts,"
	    " json_each(contacts.attrs) AS j GROUP BY j.key ORDER BY j.key",
	    -1, &s, NULL);
	if (rc != SQLITE_OK)
		return store__fail(st, err, rc, "reading attrs");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if (fn(arg, (const char *)sqlite3_column_text(s, 0),
		    (uint64_t)sqlite3_column_int64(s, 1)) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	if (rc != SQLITE_DONE)
		rc = store__fail(st, err, rc, "reading attrs");
	else
		rc = 0;
	sqlite3_finalize(s);
	return rc;
}
