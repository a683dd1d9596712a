/* SPDX-License-Identifier: ISC */
/*
 * daemon/ctl_import.c - clarionctl import: contacts from a CSV file
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "import/import.h"
#include "util/alloc.h"
#include "util/buf.h"

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

int
ctl_import(const struct ctl_command *cmd, struct ctl_globals *g, int argc,
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
	struct store_options	 sopt = { STORE_CREATE, 0, 0, 0 };
	size_t			 nthemes = 0, i;
	int			 c, fd = -1, status = EXIT_USAGE;

	memset(&opt, 0, sizeof(opt));
	if ((themes = clr_calloc((size_t)argc, sizeof(*themes))) == NULL)
		return EXIT_SOFTWARE;
	CTL_GETOPT_RESET();
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
			ctl_help(cmd, stderr);
			goto out;
		}
	}
	if (optind + 1 != argc || opt.list == NULL) {
		ctl_help(cmd, stderr);
		goto out;
	}
	file = argv[optind];
	if ((cfg = ctl_load(g)) == NULL) {
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

