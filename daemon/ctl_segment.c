/* SPDX-License-Identifier: ISC */
/*
 * daemon/ctl_segment.c - clarionctl segment: count, preview, sql
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "table.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/str.h"

struct preview_ctx {
	struct ctl_globals	*g;
	struct table	*t;
	struct buf	 line;
	int		 failed;
};

static int
preview_row(void *arg, const struct store_contact_row *row)
{
	struct preview_ctx	*p = arg;
	char			 id[24];
	const char		*cells[6];

	snprintf(id, sizeof(id), "%" PRId64, row->id);
	if (p->g->json) {
		struct buf	*b = &p->line;

		buf_reset(b);
		buf_printf(b, "{\"id\":%s,\"email\":", id);
		json_put_string(b, row->email, strlen(row->email));
		buf_puts(b, ",\"first_name\":");
		if (row->first_name != NULL)
			json_put_string(b, row->first_name,
			    strlen(row->first_name));
		else
			buf_puts(b, "null");
		buf_puts(b, ",\"last_name\":");
		if (row->last_name != NULL)
			json_put_string(b, row->last_name,
			    strlen(row->last_name));
		else
			buf_puts(b, "null");
		buf_puts(b, ",\"locale\":");
		if (row->locale != NULL)
			json_put_string(b, row->locale, strlen(row->locale));
		else
			buf_puts(b, "null");
		/* attrs is JSON already: the store checks json_valid. */
		buf_printf(b, ",\"attrs\":%s}", row->attrs);
		if (b->data == NULL || puts(b->data) == EOF)
			p->failed = 1;
		return p->failed;
	}
	cells[0] = id;
	cells[1] = row->email;
	cells[2] = row->first_name;
	cells[3] = row->last_name;
	cells[4] = row->locale;
	cells[5] = row->attrs;
	if (table_add(p->t, cells) != 0)
		p->failed = 1;
	return p->failed;
}

int
ctl_segment(const struct ctl_command *cmd, struct ctl_globals *g, int argc,
    char **argv)
{
	static const struct option longopts[] = {
		{ "limit",	required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 }
	};
	static const char *const headers[] = {
		"id", "email", "first_name", "last_name", "locale", "attrs"
	};
	const struct config_segment	*seg;
	struct store_segment_def	 def;
	struct store_options		 sopt = { 0, 0, 0, 0 };
	struct preview_ctx		 p;
	struct clr_err			 err = { 0, "" };
	struct config			*cfg = NULL;
	struct store			*st = NULL;
	struct buf			 sql = BUF_INITIALIZER(1 << 20);
	const char			*verb, *name, *errstr;
	int64_t				 limit = 20;
	uint64_t			 count;
	int				 c, status = EXIT_USAGE;

	memset(&p, 0, sizeof(p));
	buf_init(&p.line, 1 << 20);
	CTL_GETOPT_RESET();
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c != 'n') {
			ctl_help(cmd, stderr);
			goto out;
		}
		if (str_tonum(optarg, strlen(optarg), 0, 1000000, &limit,
		    &errstr) != 0) {
			fprintf(stderr, "clarionctl: --limit %s: %s (0 to "
			    "1000000)\n", optarg, errstr);
			goto out;
		}
	}
	if (optind + 2 != argc) {
		ctl_help(cmd, stderr);
		goto out;
	}
	verb = argv[optind];
	name = argv[optind + 1];
	if (strcmp(verb, "count") != 0 && strcmp(verb, "preview") != 0 &&
	    strcmp(verb, "sql") != 0) {
		ctl_help(cmd, stderr);
		goto out;
	}
	if ((cfg = ctl_load(g)) == NULL) {
		status = EXIT_CONFIG;
		goto out;
	}
	if ((seg = config_find_segment(cfg, name)) == NULL) {
		fprintf(stderr, "clarionctl: no segment \"%s\" in %s\n", name,
		    cfg->path);
		goto out;
	}
	segment_def(seg, &def);
	if (strcmp(verb, "sql") == 0) {
		if (store_segment_sql(&def, STORE_SEGMENT_COUNT, 0, &sql) != 0) {
			status = EXIT_SOFTWARE;
			goto out;
		}
		printf("%s;\n", sql.data);
		status = 0;
		goto out;
	}
	if ((st = store_open(cfg->database, &sopt, &err)) == NULL) {
		fprintf(stderr, "clarionctl: %s\n", err.msg);
		status = exit_status(err.code);
		goto out;
	}
	if (strcmp(verb, "count") == 0) {
		if (store_segment_count(st, &def, &count, &err) != 0) {
			fprintf(stderr, "clarionctl: segment \"%s\": %s\n",
			    name, err.msg);
			status = exit_status(err.code);
			goto out;
		}
		if (g->json)
			printf("{\"segment\":\"%s\",\"count\":%" PRIu64 "}\n",
			    name, count);
		else
			printf("%" PRIu64 "\n", count);
		status = 0;
		goto out;
	}
	p.g = g;
	if (!g->json) {
		if ((p.t = table_new(6, headers)) == NULL) {
			status = EXIT_SOFTWARE;
			goto out;
		}
		table_set_max(p.t, 1, 40);
		table_set_max(p.t, 5, 60);
	}
	if (store_segment_preview(st, &def, (uint64_t)limit, preview_row, &p,
	    &err) != 0) {
		fprintf(stderr, "clarionctl: segment \"%s\": %s\n", name,
		    err.msg);
		status = exit_status(err.code);
		goto out;
	}
	if (p.failed) {
		status = EXIT_IOERR;
		goto out;
	}
	if (p.t != NULL)
		table_print(p.t, stdout);
	status = 0;
out:
	table_free(p.t);
	buf_free(&p.line);
	buf_free(&sql);
	store_close(st);
	config_free(cfg);
	return status;
}

