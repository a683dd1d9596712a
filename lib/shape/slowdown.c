/* SPDX-License-Identifier: ISC */
/*
 * shape/slowdown.c - "slow down" replies: codes, statuses, text patterns
 *
 * The rules are in slowdown.h. The text is folded once (lower case,
 * white space made single spaces, as the patterns are), then searched
 * for each pattern: they are few (at most 64), replies are short, and
 * only 450-452 replies are searched at all, a small share of traffic.
 */
#include <stddef.h>
#include <string.h>

#include "slowdown.h"
#include "util/alloc.h"
#include "util/err.h"
#include "util/str.h"

struct shape_slowdown {
	size_t	 n;
	char	 pat[SHAPE_SLOWDOWN_PATTERNS_MAX]
		    [SHAPE_SLOWDOWN_PATTERN_MAX + 1];
};

static const char *const defaults[] = {
	"too many",
	"try again later",
	"try later",
	"rate limit",
	"ratelimit",
	"rate-limit",
	"unusual rate",
	"throttl",
	"slow down",
	"too fast",
	"exceeded",
	"temporarily deferred",
	"unexpected volume",
	"busy",
	"connection limit",
	"concurrent",
};

/* Greylisting is a delay by design: a lower rate does not shorten it. */
static const char *const greylisting[] = {
	"greylist", "graylist", "grey-list", "gray-list",
};

static int	 status_is(const char *, char, char);

/* status_is - status is "4.<subject>.<digits>" (subject one digit). */
static int
status_is(const char *status, char klass, char subject)
{
	return status != NULL && status[0] == klass && status[1] == '.' &&
	    status[2] == subject && status[3] == '.' &&
	    status[4] >= '0' && status[4] <= '9';
}

struct shape_slowdown *
shape_slowdown_new(const char *const *patterns, size_t n,
    struct clr_err *err)
{
	struct shape_slowdown	*s;
	size_t			 i, j, len;

	if (patterns == NULL) {
		patterns = defaults;
		n = sizeof(defaults) / sizeof(defaults[0]);
	}
	if (n > SHAPE_SLOWDOWN_PATTERNS_MAX) {
		clr_err_set(err, CLR_EINVAL, "slow-down patterns: %zu, at "
		    "most %d", n, SHAPE_SLOWDOWN_PATTERNS_MAX);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		if (patterns[i] == NULL || patterns[i][0] == '\0') {
			clr_err_set(err, CLR_EINVAL, "slow-down pattern %zu "
			    "is empty", i + 1);
			return NULL;
		}
		len = strnlen(patterns[i], SHAPE_SLOWDOWN_PATTERN_MAX + 1);
		if (len > SHAPE_SLOWDOWN_PATTERN_MAX) {
			clr_err_set(err, CLR_EINVAL, "slow-down pattern %zu "
			    "is longer than %d octets", i + 1,
			    SHAPE_SLOWDOWN_PATTERN_MAX);
			return NULL;
		}
		for (j = 0; j < len; j++) {
			unsigned char	 c = (unsigned char)patterns[i][j];

			if (c < 0x20 || c == 0x7f) {
				clr_err_set(err, CLR_EINVAL, "slow-down "
				    "pattern %zu has a control character",
				    i + 1);
				return NULL;
			}
		}
	}
	if ((s = clr_calloc(1, sizeof(*s))) == NULL) {
		clr_err_set(err, CLR_ENOMEM, "slow-down patterns: out of "
		    "memory");
		return NULL;
	}
	for (i = 0; i < n; i++) {
		str_fold(patterns[i], s->pat[i], sizeof(s->pat[i]));
		if (s->pat[i][0] == '\0') {
			clr_err_set(err, CLR_EINVAL, "slow-down pattern %zu "
			    "is only spaces", i + 1);
			clr_free(s);
			return NULL;
		}
	}
	s->n = n;
	return s;
}

void
shape_slowdown_free(struct shape_slowdown *s)
{
	clr_free(s);
}

const char *const *
shape_slowdown_defaults(size_t *n)
{
	*n = sizeof(defaults) / sizeof(defaults[0]);
	return defaults;
}

int
shape_slowdown_match(const struct shape_slowdown *s, int code,
    const char *status, const char *text)
{
	char	 low[SHAPE_SLOWDOWN_TEXT_MAX + 1];
	size_t	 i;

	if (code == 421)
		return 1;
	if (code < 450 || code > 452)
		return 0;
	str_fold(text != NULL ? text : "", low, sizeof(low));
	for (i = 0; i < sizeof(greylisting) / sizeof(greylisting[0]); i++)
		if (strstr(low, greylisting[i]) != NULL)
			return 0;
	if (status_is(status, '4', '1') || status_is(status, '4', '2'))
		return 0;
	if (code == 451 && status_is(status, '4', '7'))
		return 1;
	if (code == 452 && status != NULL && strcmp(status, "4.5.3") == 0)
		return 1;
	for (i = 0; s != NULL && i < s->n; i++)
		if (strstr(low, s->pat[i]) != NULL)
			return 1;
	return 0;
}
