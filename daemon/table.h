/* SPDX-License-Identifier: ISC */
/*
 * daemon/table.h - aligned text tables for clarionctl's human output
 *
 * Widths are counted in characters (UTF-8 code points), so "Amélie" lines
 * up with "Amelie". Cells longer than the column's limit are cut with an
 * ellipsis, and control characters are shown as '?' so that data can never
 * move the cursor or inject escape sequences into a terminal.
 */
#ifndef CLARION_DAEMON_TABLE_H
#define CLARION_DAEMON_TABLE_H

#include <stddef.h>
#include <stdio.h>

struct table;

/* A table with ncols columns titled by headers (copied). */
struct table	*table_new(size_t ncols, const char *const *headers);
/* Cap a column's width (characters); 0 means no cap. */
void		 table_set_max(struct table *, size_t col, size_t width);
/* Add a row of ncols cells (copied; NULL prints as empty). 0 or CLR_E*. */
int		 table_add(struct table *, const char *const *cells);
/* Print header, rule and rows. */
void		 table_print(const struct table *, FILE *);
void		 table_free(struct table *);

#endif
