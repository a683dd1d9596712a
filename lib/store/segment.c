/* SPDX-License-Identifier: ISC */
/*
 * store/segment.c - segments: eligibility SQL, counts, previews
 *
 * A segment's SQL is built here from its definition: the eligibility rules
 * (active, subscribed, consenting, not suppressed) are fixed, and the user's
 * where clause is added as one more AND term. That clause is untrusted SQL
 * from a configuration file, so three guards stand between it and the data:
 *
 * 1. A lexical check that it is a single expression: brackets balance and
 *    never close what they did not open, so it cannot escape its own
 *    parentheses and undo the eligibility rules ("1) OR (1"); no ';'; no
 *    statement keyword (INSERT, PRAGMA, ATTACH...) outside strings.
 * 2. An authorizer while it is compiled, allowing SELECT, reads of the
 *    clarion tables and ordinary functions, and denying everything else.
 * 3. sqlite3_stmt_readonly() on the result.
 */
#include <stdio.h>
#include <string.h>

#include "store_impl.h"
#include "util/buf.h"
#include "util/str.h"

#define SEGMENT_SQL_MAX	(64 * 1024)

/*
 * Tables a segment may read. Table-valued functions (json_each, pragma_*)
 * are not among them: compiling one makes SQLite declare a virtual table,
 * which reaches the authorizer as writes to sqlite_master.
 */
static const char *const readable[] = {
	"contacts", "lists", "list_members", "consents", "suppressions",
	"campaigns", "sends", "events", NULL
};

/*
 * Words that start a statement other than SELECT. (END and REPLACE are not
 * here: they end every CASE expression and name a string function.)
 */
static const char *const statement_words[] = {
	"INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "ALTER", "ATTACH",
	"DETACH", "PRAGMA", "VACUUM", "REINDEX", "ANALYZE", "BEGIN", "COMMIT",
	"ROLLBACK", "SAVEPOINT", "RELEASE", NULL
};

/*
 * lex_check - the clause must be one expression. Scans it as SQLite's
 * tokenizer would for strings, quoted names and comments.
 */
static int
lex_check(const char *w, struct clr_err *err)
{
	size_t	 i = 0, n = strlen(w), j, depth = 0;
	char	 close;

	while (i < n) {
		char	 c = w[i];

		switch (c) {
		case '\'': case '"': case '`': case '[':
			close = c == '[' ? ']' : c;
			for (j = i + 1; j < n; j++) {
				if (w[j] == close) {
					/* A doubled quote is an escaped one. */
					if (close != ']' && j + 1 < n &&
					    w[j + 1] == close) {
						j++;
						continue;
					}
					break;
				}
			}
			if (j >= n)
				return clr_err_set(err, CLR_ESYNTAX, "the where "
				    "clause has an unterminated %s",
				    c == '\'' ? "string" : "quoted name");
			i = j + 1;
			continue;
		case '-':
			if (i + 1 < n && w[i + 1] == '-') {
				while (i < n && w[i] != '\n')
					i++;
				continue;
			}
			break;
		case '/':
			if (i + 1 < n && w[i + 1] == '*') {
				const char	*e = strstr(w + i + 2, "*/");

				if (e == NULL)
					return clr_err_set(err, CLR_ESYNTAX,
					    "the where clause has an "
					    "unterminated comment");
				i = (size_t)(e - w) + 2;
				continue;
			}
			break;
		case '(':
			depth++;
			break;
		case ')':
			if (depth == 0)
				return clr_err_set(err, CLR_ESYNTAX, "the where "
				    "clause closes a parenthesis it did not "
				    "open: it must be one expression");
			depth--;
			break;
		case ';':
			return clr_err_set(err, CLR_ESYNTAX, "the where clause "
			    "must be one expression: ';' would start a second "
			    "statement");
		default:
			if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			    c == '_') {
				for (j = i; j < n && ((w[j] >= 'A' &&
				    w[j] <= 'Z') || (w[j] >= 'a' &&
				    w[j] <= 'z') || (w[j] >= '0' &&
				    w[j] <= '9') || w[j] == '_' ||
				    w[j] == '$'); j++)
					;
				for (size_t k = 0; statement_words[k] != NULL;
				    k++)
					if (str_ieq(w + i, j - i,
					    statement_words[k]))
						return clr_err_set(err,
						    CLR_EPERM, "the where "
						    "clause may only read: "
						    "%s is not allowed",
						    statement_words[k]);
				i = j;
				continue;
			}
		}
		i++;
	}
	if (depth != 0)
		return clr_err_set(err, CLR_ESYNTAX, "the where clause leaves "
		    "a parenthesis open");
	return 0;
}

#define TVF_REFUSED	"the where clause may not use table-valued " \
			"functions or virtual tables (json_each, pragma_...)"

/* The state of one authorised compilation. */
struct auth_ctx {
	const char	*writes;	/* the one table it may insert into */
	char		 why[200];
};

static const char *
action_name(int action)
{
	switch (action) {
	case SQLITE_INSERT:		return "INSERT";
	case SQLITE_UPDATE:		return "UPDATE";
	case SQLITE_DELETE:		return "DELETE";
	case SQLITE_ATTACH:		return "ATTACH";
	case SQLITE_DETACH:		return "DETACH";
	case SQLITE_PRAGMA:		return "PRAGMA";
	case SQLITE_TRANSACTION:	return "a transaction";
	case SQLITE_SAVEPOINT:		return "a savepoint";
	case SQLITE_RECURSIVE:		return "a recursive query";
	case SQLITE_ANALYZE:		return "ANALYZE";
	case SQLITE_REINDEX:		return "REINDEX";
	default:			return "a schema change";
	}
}

static int
authorize(void *arg, int action, const char *a, const char *b,
    const char *dbname, const char *trigger)
{
	struct auth_ctx	*ctx = arg;
	size_t		 i;

	(void)trigger;		/* no triggers in clarion's schema */
	switch (action) {
	case SQLITE_SELECT:
		return SQLITE_OK;
	case SQLITE_INSERT:
		/* A snapshot's INSERT, built by the store around the clause. */
		if (ctx->writes != NULL && a != NULL &&
		    strcmp(a, ctx->writes) == 0 &&
		    (dbname == NULL || strcmp(dbname, "main") == 0))
			return SQLITE_OK;
		snprintf(ctx->why, sizeof(ctx->why), "the where clause "
		    "may only read: INSERT is not allowed");
		return SQLITE_DENY;
	case SQLITE_READ:
		if (dbname != NULL && strcmp(dbname, "main") != 0) {
			snprintf(ctx->why, sizeof(ctx->why), "the where clause "
			    "may only read the main database, not \"%s\"",
			    dbname);
			return SQLITE_DENY;
		}
		for (i = 0; readable[i] != NULL; i++)
			if (a != NULL && strcmp(a, readable[i]) == 0)
				return SQLITE_OK;
		if (a != NULL && (strncmp(a, "json_", 5) == 0 ||
		    strncmp(a, "pragma_", 7) == 0))
			snprintf(ctx->why, sizeof(ctx->why), TVF_REFUSED);
		else
			snprintf(ctx->why, sizeof(ctx->why), "the where clause "
			    "may not read \"%s\"", a != NULL ? a : "?");
		return SQLITE_DENY;
	case SQLITE_FUNCTION:
		/* b is the function name; a is unused. */
		if (b != NULL && (strcmp(b, "load_extension") == 0 ||
		    strcmp(b, "fts3_tokenizer") == 0)) {
			snprintf(ctx->why, sizeof(ctx->why), "the where clause "
			    "may not call %s()", b);
			return SQLITE_DENY;
		}
		return SQLITE_OK;
	default:
		if (action == SQLITE_UPDATE && a != NULL &&
		    strcmp(a, "sqlite_master") == 0)
			snprintf(ctx->why, sizeof(ctx->why), TVF_REFUSED);
		else
			snprintf(ctx->why, sizeof(ctx->why), "the where clause "
			    "may only read: %s is not allowed",
			    action_name(action));
		return SQLITE_DENY;
	}
}

/* put_quoted - an SQL string literal, quotes doubled. */
static int
put_quoted(struct buf *b, const char *s)
{
	int	 rc = buf_putc(b, '\'');

	for (; rc == 0 && *s != '\0'; s++)
		rc = *s == '\'' ? buf_puts(b, "''") : buf_putc(b, *s);
	return rc == 0 ? buf_putc(b, '\'') : rc;
}

int
store_segment_sql(const struct store_segment_def *def,
    enum store_segment_shape shape, uint64_t limit, struct buf *out)
{
	size_t	 i;
	int	 rc = 0;

	switch (shape) {
	case STORE_SEGMENT_COUNT:
		rc = buf_puts(out, "SELECT count(*) FROM contacts");
		break;
	case STORE_SEGMENT_PREVIEW:
		rc = buf_puts(out, "SELECT contacts.id, contacts.email, "
		    "contacts.first_name, contacts.last_name, contacts.locale, "
		    "contacts.attrs FROM contacts");
		break;
	case STORE_SEGMENT_IDS:
		rc = buf_puts(out, "SELECT contacts.id FROM contacts");
		break;
	}
	/*
	 * One pass over the contacts, each candidate probed in list_members
	 * (its primary key starts with the contact), consents and
	 * suppressions. The list names become ids once, in the subquery; one
	 * list is compared with '=', which spares every probe a walk of the
	 * IN list's ephemeral table (a fifth of a 600,000-contact scan).
	 */
	rc = rc ? rc : buf_printf(out, "\nWHERE contacts.status = 'active'\n"
	    "  AND EXISTS (SELECT 1 FROM list_members AS m WHERE m.contact_id = "
	    "contacts.id AND m.list_id %s (SELECT id FROM lists WHERE name "
	    "IN (", def->nlists == 1 ? "=" : "IN");
	for (i = 0; rc == 0 && i < def->nlists; i++) {
		if (i > 0)
			rc = buf_puts(out, ", ");
		rc = rc ? rc : put_quoted(out, def->lists[i]);
	}
	rc = rc ? rc : buf_puts(out, ")) AND m.unsubscribed_at IS NULL)\n"
	    "  AND EXISTS (SELECT 1 FROM consents AS k WHERE k.contact_id = "
	    "contacts.id AND k.theme = ");
	rc = rc ? rc : put_quoted(out, def->theme);
	rc = rc ? rc : buf_puts(out, " AND k.revoked_at IS NULL)\n"
	    "  AND NOT EXISTS (SELECT 1 FROM suppressions AS s WHERE s.email = "
	    "contacts.email)");
	if (rc == 0 && def->where != NULL)
		rc = buf_printf(out, "\n  AND (\n%s\n)", def->where);
	if (rc == 0 && shape != STORE_SEGMENT_COUNT)
		rc = buf_puts(out, "\nORDER BY contacts.id");
	if (rc == 0 && shape == STORE_SEGMENT_PREVIEW)
		rc = buf_printf(out, "\nLIMIT %llu", (unsigned long long)limit);
	return rc;
}

int
store__segment_compile(struct store *st, const struct store_segment_def *def,
    const char *sql, size_t len, const char *writes, sqlite3_stmt **out,
    struct clr_err *err)
{
	struct auth_ctx	 ctx;
	const char	*tail = NULL;
	int		 rc;

	*out = NULL;
	if (def->where != NULL && (rc = lex_check(def->where, err)) != 0)
		return rc;
	memset(&ctx, 0, sizeof(ctx));
	ctx.writes = writes;
	sqlite3_set_authorizer(st->db, authorize, &ctx);
	rc = sqlite3_prepare_v2(st->db, sql, (int)len, out, &tail);
	sqlite3_set_authorizer(st->db, NULL, NULL);
	if (rc != SQLITE_OK) {
		if (ctx.why[0] != '\0')
			rc = clr_err_set(err, CLR_EPERM, "%s", ctx.why);
		else
			rc = clr_err_set(err, CLR_ESYNTAX, "the where clause "
			    "does not compile: %s", sqlite3_errmsg(st->db));
		goto fail;
	}
	while (tail != NULL && (*tail == ' ' || *tail == '\n' ||
	    *tail == '\t' || *tail == '\r'))
		tail++;
	if (*out == NULL || (tail != NULL && *tail != '\0')) {
		rc = clr_err_set(err, CLR_ESYNTAX, "the where clause must be "
		    "one expression");
		goto fail;
	}
	if (writes == NULL && !sqlite3_stmt_readonly(*out)) {
		rc = clr_err_set(err, CLR_EPERM, "the where clause may only "
		    "read");
		goto fail;
	}
	return 0;
fail:
	sqlite3_finalize(*out);
	*out = NULL;
	return rc;
}

/* prepare - compile a read-only segment statement of this shape. */
static int
prepare(struct store *st, const struct store_segment_def *def,
    enum store_segment_shape shape, uint64_t limit, sqlite3_stmt **out,
    struct clr_err *err)
{
	struct buf	 sql = BUF_INITIALIZER(SEGMENT_SQL_MAX);
	int		 rc;

	*out = NULL;
	if ((rc = store_segment_sql(def, shape, limit, &sql)) != 0) {
		buf_free(&sql);
		return clr_err_set(err, rc, "the segment's SQL is too long");
	}
	rc = store__segment_compile(st, def, sql.data, sql.len, NULL, out,
	    err);
	buf_free(&sql);
	return rc;
}

int
store_segment_check(struct store *st, const struct store_segment_def *def,
    struct clr_err *err)
{
	sqlite3_stmt	*s;
	int		 rc;

	if ((rc = prepare(st, def, STORE_SEGMENT_COUNT, 0, &s, err)) != 0)
		return rc;
	sqlite3_finalize(s);
	return 0;
}

int
store_segment_count(struct store *st, const struct store_segment_def *def,
    uint64_t *count, struct clr_err *err)
{
	sqlite3_stmt	*s;
	int		 rc;

	if ((rc = prepare(st, def, STORE_SEGMENT_COUNT, 0, &s, err)) != 0)
		return rc;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*count = (uint64_t)sqlite3_column_int64(s, 0);
		rc = 0;
	} else
		rc = store__fail(st, err, rc, "counting the segment");
	sqlite3_finalize(s);
	return rc;
}

int
store_segment_preview(struct store *st, const struct store_segment_def *def,
    uint64_t limit, store_contact_fn fn, void *arg, struct clr_err *err)
{
	struct store_contact_row row;
	sqlite3_stmt		*s;
	int			 rc;

	if ((rc = prepare(st, def, STORE_SEGMENT_PREVIEW, limit, &s, err)) !=
	    0)
		return rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		row.id = sqlite3_column_int64(s, 0);
		row.email = (const char *)sqlite3_column_text(s, 1);
		row.first_name = (const char *)sqlite3_column_text(s, 2);
		row.last_name = (const char *)sqlite3_column_text(s, 3);
		row.locale = (const char *)sqlite3_column_text(s, 4);
		row.attrs = (const char *)sqlite3_column_text(s, 5);
		if (fn(arg, &row) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc != SQLITE_DONE)
		rc = store__fail(st, err, rc, "reading the segment");
	else
		rc = 0;
	sqlite3_finalize(s);
	return rc;
}
