/* SPDX-License-Identifier: ISC */
/*
 * daemon/ctl.h - what clarionctl's commands share
 *
 * Each command is a function taking its own argv (argv[0] is the command
 * name), returning the process's exit status (see clarionctl.c). They
 * live one group per file: ctl_import.c, ctl_segment.c, ctl_render.c;
 * ctl_daemon.c holds those that ask the running daemon.
 */
#ifndef CLARION_DAEMON_CTL_H
#define CLARION_DAEMON_CTL_H

#include <stdio.h>

#include "common.h"

/* Options common to every command, parsed before the command name. */
struct ctl_globals {
	const char	*config;	/* -c FILE */
	int		 json;		/* --json */
	const char	*socket;	/* --socket PATH */
};

struct ctl_command {
	const char	*name;
	int		(*run)(const struct ctl_command *, struct ctl_globals *,
			    int, char **);
	const char	*usage;
	const char	*help;
};

/* Print a command's usage and help to fp: 0 for stdout, 64 for stderr. */
int		 ctl_help(const struct ctl_command *, FILE *fp);

/* The configuration, or NULL after printing why to stderr. */
struct config	*ctl_load(const struct ctl_globals *);

/*
 * Reset getopt for a command's own options. glibc needs optind = 0 to
 * re-initialise fully, so that options may follow operands.
 */
#define CTL_GETOPT_RESET()	(optind = 0)

int	ctl_import(const struct ctl_command *, struct ctl_globals *, int,
	    char **);
int	ctl_segment(const struct ctl_command *, struct ctl_globals *, int,
	    char **);
int	ctl_render(const struct ctl_command *, struct ctl_globals *, int,
	    char **);
int	ctl_lint(const struct ctl_command *, struct ctl_globals *, int,
	    char **);
int	ctl_keygen(const struct ctl_command *, struct ctl_globals *, int,
	    char **);
int	ctl_status(const struct ctl_command *, struct ctl_globals *, int,
	    char **);
int	ctl_campaign(const struct ctl_command *, struct ctl_globals *, int,
	    char **);

#endif
