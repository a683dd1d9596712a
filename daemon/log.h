/* SPDX-License-Identifier: ISC */
/*
 * daemon/log.h - one line per event on stderr, for people and journald
 *
 * Under systemd (JOURNAL_STREAM set) each line starts with its syslog
 * priority as "<N>", which journald turns into the entry's level; on a
 * terminal or in a file, lines start with a UTC timestamp and the level
 * name instead. Lines never contain a raw control character: values are
 * escaped, so a hostile reply or address cannot forge a log line.
 */
#ifndef CLARION_DAEMON_LOG_H
#define CLARION_DAEMON_LOG_H

enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG
};

/* Program name and threshold; reads JOURNAL_STREAM once. */
void	log_init(const char *progname, enum log_level);
void	log_set_level(enum log_level);
/* Whether a message of this level would be written. */
int	log_enabled(enum log_level);
/* Parse "error", "warn", "info", "debug"; -1 if unknown. */
int	log_level_parse(const char *);

void	log_msg(enum log_level, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#define log_error(...)	log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif
