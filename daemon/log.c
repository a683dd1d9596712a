/* SPDX-License-Identifier: ISC */
/*
 * daemon/log.c - one line per event on stderr, for people and journald
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

static const struct {
	const char	*name;
	int		 syslog;	/* priority for journald's "<N>" */
} levels[] = {
	[LOG_LEVEL_ERROR] = { "error", 3 },
	[LOG_LEVEL_WARN] = { "warn", 4 },
	[LOG_LEVEL_INFO] = { "info", 6 },
	[LOG_LEVEL_DEBUG] = { "debug", 7 },
};

static const char	*prog = "clarion";
static enum log_level	 threshold = LOG_LEVEL_INFO;
static int		 journal;

void
log_init(const char *progname, enum log_level level)
{
	prog = progname;
	threshold = level;
	journal = getenv("JOURNAL_STREAM") != NULL;
}

int
log_enabled(enum log_level level)
{
	return level <= threshold;
}

void
log_set_level(enum log_level level)
{
	threshold = level;
}

int
log_level_parse(const char *s)
{
	size_t	 i;

	for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		if (strcmp(s, levels[i].name) == 0)
			return (int)i;
	return -1;
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	char		 text[2048], line[4200], stamp[32];
	size_t		 i, o = 0;
	va_list		 ap;
	time_t		 now;
	struct tm	 tm;

	if (level > threshold)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	/* Escape control characters so one event stays one line. */
	for (i = 0; text[i] != '\0' && o + 5 < sizeof(line); i++) {
		unsigned char	 c = (unsigned char)text[i];

		if (c < 0x20 || c == 0x7F) {
			o += (size_t)snprintf(line + o, sizeof(line) - o,
			    "\\x%02X", c);
			continue;
		}
		line[o++] = (char)c;
	}
	line[o] = '\0';
	if (journal) {
		fprintf(stderr, "<%d>%s: %s\n", levels[level].syslog,
		    levels[level].name, line);
		return;
	}
	now = time(NULL);
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(stderr, "%s %s[%s]: %s\n", stamp, prog, levels[level].name,
	    line);
}
