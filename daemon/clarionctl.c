/* SPDX-License-Identifier: ISC */
/*
 * daemon/clarionctl.c - clarion's command line
 *
 * Offline commands work on the configuration and the store directly:
 * check-config, import, segment, render, lint, keygen, demo-data. Commands
 * that drive a running clariond (status, campaign) ask it through its
 * control socket (docs/control-protocol.md): --socket PATH, else the
 * configuration's control_socket.
 *
 * Exit statuses (sysexits(3)): 0 success; 1 done, with refused input
 * reported on stderr (import: some rows skipped), or clariond refused the
 * request (its error on stderr); 64 usage; 65 bad input data; 66 input
 * file missing; 69 clariond unreachable (no control socket, nobody
 * listening, connection lost); 70 internal error, or an answer clariond
 * should not have sent; 73 cannot create output; 74 I/O error; 75
 * database busy, or clariond did not answer in time: try again; 78 bad
 * configuration.
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

#include "ctl.h"
#include "demo_data.h"
#include "util/str.h"

static int	cmd_check_config(const struct ctl_command *, struct ctl_globals *, int,
		    char **);
static int	cmd_demo_data(const struct ctl_command *, struct ctl_globals *, int,
		    char **);

static const struct ctl_command commands[] = {
	{ "check-config", cmd_check_config, "check-config",
	  "Validate the configuration (every key, every segment's SQL)\n"
	  "without touching the database. Exit 0 if valid, 78 if not." },
	{ "import", ctl_import,
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
	{ "segment", ctl_segment,
	  "segment count NAME | segment preview NAME [--limit N] |\n"
	  "       segment sql NAME",
	  "count: how many contacts the segment selects now.\n"
	  "preview: the first N (default 20) of them, by id.\n"
	  "sql: the SQL the segment runs, for the sqlite3 shell." },
	{ "render", ctl_render,
	  "render CAMPAIGN --contact EMAIL [--run N]",
	  "Write the exact message CAMPAIGN would send to the contact (DKIM\n"
	  "signatures included) on standard output, and its envelope (MAIL\n"
	  "FROM, RCPT TO) on standard error. --run N renders it as for run N\n"
	  "(default 0, a preview): it sets the VERP and unsubscribe tokens." },
	{ "lint", ctl_lint,
	  "lint CAMPAIGN [--sample N]",
	  "Render CAMPAIGN for the first N contacts of its segment (default\n"
	  "100) and report what to fix before sending: templates that do not\n"
	  "load, a message over 102 KB (Gmail clips it), a part without the\n"
	  "unsubscribe link, a subject over 150 characters, names no contact,\n"
	  "field or built-in provides, http: links, contacts that cannot be\n"
	  "rendered. Exit 0 if nothing is wrong, 1 otherwise." },
	{ "keygen", ctl_keygen,
	  "keygen [--rsa-bits N]",
	  "Make every key file the configuration names that does not exist\n"
	  "yet (the token key, each DKIM signature's key in the algorithm it\n"
	  "states, RSA of N bits (default 2048) when it states none), mode\n"
	  "0600, never overwriting one; then print the DNS TXT records that\n"
	  "publish the DKIM keys." },
	{ "status", ctl_status, "status",
	  "Ask the running clariond how it is: its version, pid and uptime,\n"
	  "its queue, and each active campaign's progress." },
	{ "campaign", ctl_campaign,
	  "campaign start|pause|resume|cancel|show NAME",
	  "Have the running clariond start a run of the campaign NAME, pause\n"
	  "or resume it, or cancel it (what is not sent yet is skipped), or\n"
	  "just show it; then print the run: its state and counts, its rate\n"
	  "(messages a second) and the estimated time to finish. Exit 1 if\n"
	  "clariond refused (its reason on stderr), 69 if it is not running." },
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

	fprintf(fp, "usage: clarionctl [-c FILE] [--socket PATH] [--json] "
	    "COMMAND [ARGS]\n\n"
	    "  -c FILE         configuration (default: $CLARION_CONFIG, "
	    "else\n"
	    "                  %s)\n"
	    "  --socket PATH   clariond's control socket (default: the\n"
	    "                  configuration's control_socket)\n"
	    "  --json          machine-readable output\n\ncommands:\n",
	    CLARION_DEFAULT_CONFIG);
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(fp, "  %s\n", commands[i].usage);
	fprintf(fp, "\n'clarionctl COMMAND --help' describes a command.\n");
}

int
ctl_help(const struct ctl_command *c, FILE *fp)
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

static const struct ctl_command *
find_command(const char *name)
{
	size_t	 i;

	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/* load - the configuration, or NULL after printing why to stderr. */
struct config *
ctl_load(const struct ctl_globals *g)
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
cmd_check_config(const struct ctl_command *cmd, struct ctl_globals *g, int argc,
    char **argv)
{
	struct config	*cfg;

	if (argc != 1)
		return ctl_help(cmd, stderr);
	if ((cfg = ctl_load(g)) == NULL)
		return EXIT_CONFIG;
	if (g->json)
		printf("{\"ok\":true,\"lists\":%zu,\"themes\":%zu,"
		    "\"senders\":%zu,\"segments\":%zu,\"campaigns\":%zu}\n",
		    cfg->nlists, cfg->nthemes, cfg->nsenders, cfg->nsegments,
		    cfg->ncampaigns);
	else
		printf("%s: OK (%zu lists, %zu themes, %zu senders, "
		    "%zu segments, %zu campaigns)\n", cfg->path, cfg->nlists,
		    cfg->nthemes, cfg->nsenders, cfg->nsegments,
		    cfg->ncampaigns);
	config_free(cfg);
	return 0;
}

static int
cmd_demo_data(const struct ctl_command *cmd, struct ctl_globals *g, int argc,
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

	CTL_GETOPT_RESET();
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
			return ctl_help(cmd, stderr);
		}
	}
	if (optind != argc)
		return ctl_help(cmd, stderr);
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
		{ "socket",	required_argument, NULL, 's' },
		{ "help",	no_argument, NULL, 'h' },
		{ "version",	no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const struct ctl_command	*cmd;
	struct ctl_globals		 g = { NULL, 0, NULL };
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
		case 's':
			g.socket = optarg;
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
		return ctl_help(cmd, stdout);
	return cmd->run(cmd, &g, argc, argv);
}
