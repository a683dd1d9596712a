/* SPDX-License-Identifier: ISC */
/*
 * daemon/clarionctl.c - clarion's command line
 *
 * Offline commands work on the configuration and the store directly:
 * check-config, import, segment, demo-data. Commands that drive a running
 * clariond come with the control socket.
 *
 * Exit statuses (sysexits(3)): 0 success; 1 done, with refused input
 * reported on stderr (import: some rows skipped); 64 usage; 65 bad input
 * data; 66 input file missing; 70 internal error; 73 cannot create
 * output; 74 I/O error; 75 database busy, try again; 78 bad configuration.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "demo_data.h"
#include "import/import.h"
#include "table.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/str.h"

/* Options common to every command, parsed before the command name. */
struct globals {
	const char	*config;	/* -c FILE */
	int		 json;		/* --json */
};

struct command {
	const char	*name;
	int		(*run)(const struct command *, struct globals *, int,
			    char **);
	const char	*usage;
	const char	*help;
};

static int	cmd_check_config(const struct command *, struct globals *, int,
		    char **);
static int	cmd_import(const struct command *, struct globals *, int,
		    char **);
static int	cmd_segment(const struct command *, struct globals *, int,
		    char **);
static int	cmd_demo_data(const struct command *, struct globals *, int,
		    char **);

static const struct command commands[] = {
	{ "check-config", cmd_check_config, "check-config",
	  "Validate the configuration (every key, every segment's SQL)\n"
	  "without touching the database. Exit 0 if valid, 78 if not." },
	{ "import", cmd_import,
	  "import FILE.csv --list NAME [--consent THEME]... [--source TEXT]\n"
	  "       [--delimiter CHAR]",
	  "Import contacts from an RFC 4180 CSV file (\"-\" for standard\n"
	  "input) whose header names its columns: email (required),\n"
	  "first_name, last_name, locale, status; other columns go to attrs.\n"
	  "Rows are subscribed to the list and, with --consent, given a\n"
	  "consent for each theme, recorded with --source as proof. Bad rows\n"
	  "are reported as FILE:LINE: reason and skipped; the rest goes in\n"
	  "as one transaction. The last line of output sums it up.\n"
	  "Exit 0 if every row was accepted, 1 if some were skipped." },
	{ "segment", cmd_segment,
	  "segment count NAME | segment preview NAME [--limit N] |\n"
	  "       segment sql NAME",
	  "count: how many contacts the segment selects now.\n"
	  "preview: the first N (default 20) of them, by id.\n"
	  "sql: the SQL the segment runs, for the sqlite3 shell." },
	{ "demo-data", cmd_demo_data,
	  "demo-data [--out DIR] [--contacts N] [--seed N]",
	  "Write deterministic demo CSV files shaped like the NGO's audience\n"
	  "(contacts.csv, activists.csv, newsletter.csv) into DIR\n"
	  "(default: the current folder). Default: 600000 contacts, seed 1.\n"
	  "The addresses are invented but use real providers' domains:\n"
	  "send demo campaigns only to a local test sink, never a relay." },
};

#define NCOMMANDS	(sizeof(commands) / sizeof(commands[0]))

static void
usage(FILE *fp)
{
	size_t	 i;

	fprintf(fp, "usage: clarionctl [-c FILE] [--json] COMMAND [ARGS]\n\n"
	    "  -c FILE   configuration (default: $CLARION_CONFIG, else %s)\n"
	    "  --json    machine-readable output\n\ncommands:\n",
	    CLARION_DEFAULT_CONFIG);
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(fp, "  %s\n", commands[i].usage);
	fprintf(fp, "\n'clarionctl COMMAND --help' describes a command.\n");
}

static int
command_help(const struct command *c, FILE *fp)
{
	fprintf(fp, "usage: clarionctl [-c FILE] %s\n\n%s\n", c->usage,
	    c->help);
	return fp == stdout ? 0 : EXIT_USAGE;
}

/* wants_help - "--help" or "-h" among the command's arguments. */
static int
wants_help(int argc, char **argv)
{
	int	 i;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0)
			return 1;
	return 0;
}

static const struct command *
find_command(const char *name)
{
	size_t	 i;

	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/* load - the configuration, or NULL after printing why to stderr. */
static struct config *
load(struct globals *g)
{
	struct config_diag	 diag = { NULL, 0, 0 };
	struct config		*cfg;
	const char		*path = config_path(g->config);
	size_t			 i;

	cfg = config_load_checked(path, &diag);
	for (i = 0; i < diag.n; i++)
		fprintf(stderr, "%s\n", diag.msgs[i]);
	if (diag.truncated)
		fprintf(stderr, "%s: too many errors; stopped after %d\n",
		    path, CONFIG_MAX_ERRORS);
	config_diag_free(&diag);
	return cfg;
}

static int
cmd_check_config(const struct command *cmd, struct globals *g, int argc,
    char **argv)
{
	struct config	*cfg;

	if (argc != 1)
		return command_help(cmd, stderr);
	if ((cfg = load(g)) == NULL)
		return EXIT_CONFIG;
	if (g->json)
		printf("{\"ok\":true,\"lists\":%zu,\"themes\":%zu,"
		    "\"senders\":%zu,\"segments\":%zu}\n", cfg->nlists,
		    cfg->nthemes, cfg->nsenders, cfg->nsegments);
	else
		printf("%s: OK (%zu lists, %zu themes, %zu senders, "
		    "%zu segments)\n", cfg->path, cfg->nlists, cfg->nthemes,
		    cfg->nsenders, cfg->nsegments);
	config_free(cfg);
	return 0;
}

/* Source of import bytes: a file descriptor. */
static ssize_t
fd_read(void *arg, void *dst, size_t n)
{
	int	 fd = *(int *)arg;
	ssize_t	 r;

	do
		r = read(fd, dst, n);
	while (r < 0 && errno == EINTR);
	return r;
}

struct report_ctx {
	const char	*file;
	unsigned long	 shown;
};

/* Each refused row, as FILE:LINE: reason. */
static void
report_row(void *arg, unsigned long line, const char *reason)
{
	struct report_ctx	*r = arg;

	fprintf(stderr, "%s:%lu: %s\n", r->file, line, reason);
	r->shown++;
}

/* declared - "a, b, c": the list (or theme) names a configuration declares. */
static void
declared(struct buf *b, const struct config *cfg, int themes)
{
	size_t	 i, n = themes ? cfg->nthemes : cfg->nlists;

	buf_reset(b);
	for (i = 0; i < n; i++)
		buf_printf(b, "%s%s", i ? ", " : "", themes ?
		    cfg->themes[i].name : cfg->lists[i].name);
}

static int
cmd_import(const struct command *cmd, struct globals *g, int argc,
    char **argv)
{
	static const struct option longopts[] = {
		{ "list",	required_argument, NULL, 'l' },
		{ "consent",	required_argument, NULL, 't' },
		{ "source",	required_argument, NULL, 's' },
		{ "delimiter",	required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 }
	};
	struct import_options	 opt;
	struct import_stats	 stats;
	struct report_ctx	 rep;
	struct clr_err		 err = { 0, "" };
	struct config		*cfg = NULL;
	struct store		*st = NULL;
	struct buf		 b = BUF_INITIALIZER(4096);
	const char		**themes = NULL, *file, *slash;
	struct store_options	 sopt = { STORE_CREATE, 0, 0 };
	size_t			 nthemes = 0, i;
	int			 c, fd = -1, status = EXIT_USAGE;

	memset(&opt, 0, sizeof(opt));
	if ((themes = clr_calloc((size_t)argc, sizeof(*themes))) == NULL)
		return EXIT_SOFTWARE;
	optind = 0;	/* glibc: re-initialise, so options may follow FILE */
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'l':
			opt.list = optarg;
			break;
		case 't':
			themes[nthemes++] = optarg;
			break;
		case 's':
			opt.source = optarg;
			break;
		case 'd':
			if (strlen(optarg) != 1 || optarg[0] == '"' ||
			    optarg[0] == '\n' || optarg[0] == '\r') {
				fprintf(stderr, "clarionctl: --delimiter takes "
				    "one character other than a quote or a "
				    "line break\n");
				goto out;
			}
			opt.delimiter = optarg[0];
			break;
		default:
			command_help(cmd, stderr);
			goto out;
		}
	}
	if (optind + 1 != argc || opt.list == NULL) {
		command_help(cmd, stderr);
		goto out;
	}
	file = argv[optind];
	if ((cfg = load(g)) == NULL) {
		status = EXIT_CONFIG;
		goto out;
	}
	if (config_find_list(cfg, opt.list) == NULL) {
		declared(&b, cfg, 0);
		fprintf(stderr, "clarionctl: unknown list \"%s\" (the "
		    "configuration declares: %s)\n", opt.list, b.data);
		goto out;
	}
	for (i = 0; i < nthemes; i++) {
		if (config_find_theme(cfg, themes[i]) == NULL) {
			declared(&b, cfg, 1);
			fprintf(stderr, "clarionctl: unknown theme \"%s\" (the "
			    "configuration declares: %s)\n", themes[i],
			    b.data);
			goto out;
		}
	}
	opt.themes = themes;
	opt.nthemes = nthemes;
	opt.now = (int64_t)time(NULL);
	buf_reset(&b);
	if (opt.source == NULL) {
		slash = strrchr(file, '/');
		buf_printf(&b, "import of %s", slash ? slash + 1 : file);
		opt.source = b.data;
	}
	if (strcmp(file, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(file, O_RDONLY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "clarionctl: %s: %s\n", file, strerror(errno));
		status = EXIT_NOINPUT;
		goto out;
	}
	if ((st = store_open(cfg->database, &sopt, &err)) == NULL) {
		fprintf(stderr, "clarionctl: %s\n", err.msg);
		status = exit_status(err.code);
		goto out;
	}
	rep.file = strcmp(file, "-") == 0 ? "<stdin>" : file;
	rep.shown = 0;
	if (import_csv(st, fd_read, &fd, &opt, &stats, report_row, &rep,
	    &err) != 0) {
		fprintf(stderr, "%s: %s; nothing was imported\n", rep.file,
		    err.msg);
		status = exit_status(err.code);
		goto out;
	}
	if (g->json)
		printf("{\"ok\":true,\"imported\":%" PRIu64 ",\"updated\":%"
		    PRIu64 ",\"skipped\":%" PRIu64 ",\"unchanged\":%" PRIu64
		    "}\n", stats.imported, stats.updated, stats.skipped,
		    stats.unchanged);
	else
		printf("imported %" PRIu64 ", updated %" PRIu64 ", skipped %"
		    PRIu64 ", unchanged %" PRIu64 "\n", stats.imported,
		    stats.updated, stats.skipped, stats.unchanged);
	status = stats.skipped > 0 ? 1 : 0;
out:
	if (fd > STDIN_FILENO)
		close(fd);
	store_close(st);
	config_free(cfg);
	buf_free(&b);
	clr_free(themes);
	return status;
}

struct preview_ctx {
	struct globals	*g;
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

static int
cmd_segment(const struct command *cmd, struct globals *g, int argc,
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
	struct store_options		 sopt = { 0, 0, 0 };
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
	optind = 0;	/* glibc: re-initialise, so options may follow FILE */
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c != 'n') {
			command_help(cmd, stderr);
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
		command_help(cmd, stderr);
		goto out;
	}
	verb = argv[optind];
	name = argv[optind + 1];
	if (strcmp(verb, "count") != 0 && strcmp(verb, "preview") != 0 &&
	    strcmp(verb, "sql") != 0) {
		command_help(cmd, stderr);
		goto out;
	}
	if ((cfg = load(g)) == NULL) {
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

static int
cmd_demo_data(const struct command *cmd, struct globals *g, int argc,
    char **argv)
{
	static const struct option longopts[] = {
		{ "out",	required_argument, NULL, 'o' },
		{ "contacts",	required_argument, NULL, 'n' },
		{ "seed",	required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 }
	};
	struct demo_data_options	 opt = { ".", 1, 600000 };
	struct demo_data_counts		 counts;
	struct clr_err			 err = { 0, "" };
	const char			*errstr;
	int64_t				 v;
	int				 c;

	optind = 0;	/* glibc: re-initialise, so options may follow FILE */
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			opt.dir = optarg;
			break;
		case 'n':
			if (str_tonum(optarg, strlen(optarg), 1, 10000000, &v,
			    &errstr) != 0) {
				fprintf(stderr, "clarionctl: --contacts %s: %s "
				    "(1 to 10000000)\n", optarg, errstr);
				return EXIT_USAGE;
			}
			opt.contacts = (unsigned)v;
			break;
		case 's':
			if (str_tonum(optarg, strlen(optarg), 0, INT64_MAX, &v,
			    &errstr) != 0) {
				fprintf(stderr, "clarionctl: --seed %s: %s\n",
				    optarg, errstr);
				return EXIT_USAGE;
			}
			opt.seed = (uint64_t)v;
			break;
		default:
			return command_help(cmd, stderr);
		}
	}
	if (optind != argc)
		return command_help(cmd, stderr);
	if (demo_data_write(&opt, &counts, &err) != 0) {
		fprintf(stderr, "clarionctl: %s\n", err.msg);
		return EXIT_CANTCREAT;
	}
	if (g->json)
		printf("{\"ok\":true,\"contacts\":%u,\"activists\":%u,"
		    "\"newsletter\":%u,\"both\":%u,\"unsubscribed\":%u,"
		    "\"bounced\":%u,\"complained\":%u}\n", counts.contacts,
		    counts.activists, counts.newsletter, counts.both,
		    counts.unsubscribed, counts.bounced, counts.complained);
	else
		printf("wrote %s/contacts.csv (%u contacts: %u unsubscribed, "
		    "%u bounced, %u complained), %s/activists.csv (%u), "
		    "%s/newsletter.csv (%u; %u on both lists)\n", opt.dir,
		    counts.contacts, counts.unsubscribed, counts.bounced,
		    counts.complained, opt.dir, counts.activists, opt.dir,
		    counts.newsletter, counts.both);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config",	required_argument, NULL, 'c' },
		{ "json",	no_argument, NULL, 'j' },
		{ "help",	no_argument, NULL, 'h' },
		{ "version",	no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const struct command	*cmd;
	struct globals		 g = { NULL, 0 };
	int			 c;

	store_library_init();
	/* '+': stop at the command name; its options are its own. */
	while ((c = getopt_long(argc, argv, "+c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			g.config = optarg;
			break;
		case 'j':
			g.json = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("clarionctl %s\n", CLARION_VERSION);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if ((cmd = find_command(argv[optind])) == NULL) {
		fprintf(stderr, "clarionctl: unknown command \"%s\"\n",
		    argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}
	argc -= optind;
	argv += optind;
	if (wants_help(argc, argv))
		return command_help(cmd, stdout);
	return cmd->run(cmd, &g, argc, argv);
}
