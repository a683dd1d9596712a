/* SPDX-License-Identifier: ISC */
/*
 * daemon/common.h - what clariond and clarionctl share
 */
#ifndef CLARION_DAEMON_COMMON_H
#define CLARION_DAEMON_COMMON_H

#include "config/config.h"
#include "store/store.h"

/* sysexits(3) values, the statuses both programs document. */
#define EXIT_USAGE	64	/* EX_USAGE: bad command line */
#define EXIT_DATAERR	65	/* EX_DATAERR: bad input data */
#define EXIT_NOINPUT	66	/* EX_NOINPUT: an input file is missing */
#define EXIT_UNAVAILABLE 69	/* EX_UNAVAILABLE: clariond unreachable */
#define EXIT_SOFTWARE	70	/* EX_SOFTWARE: internal error */
#define EXIT_CANTCREAT	73	/* EX_CANTCREAT: cannot create output */
#define EXIT_IOERR	74	/* EX_IOERR: read or write failed */
#define EXIT_TEMPFAIL	75	/* EX_TEMPFAIL: busy, try again */
#define EXIT_CONFIG	78	/* EX_CONFIG: bad configuration */

#define CLARION_DEFAULT_CONFIG	"/etc/clarion/clarion.yaml"

/* The configuration file to use: -c, else $CLARION_CONFIG, else default. */
const char	*config_path(const char *opt);

/*
 * Load and fully validate a configuration, including what config_load
 * cannot check alone: each segment's SQL, compiled against a private
 * in-memory store, and each campaign, built as the daemon would build it
 * (templates, partials, keys). Files are read, none is written. Returns NULL on any error, with
 * the messages (FILE:LINE:COL: text) in diag, for the caller to print or
 * log; the caller frees diag.
 */
struct config	*config_load_checked(const char *path,
		    struct config_diag *diag);

/* The store's view of a configured segment (borrows from seg). */
void		 segment_def(const struct config_segment *seg,
		    struct store_segment_def *def);

/* Map a CLR_E* code to the sysexits status above. */
int		 exit_status(int clr_errno);

#endif
