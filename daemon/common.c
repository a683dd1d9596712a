/* SPDX-License-Identifier: ISC */
/*
 * daemon/common.c - what clariond and clarionctl share
 */
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "render/render.h"
#include "util/err.h"

const char *
config_path(const char *opt)
{
	const char	*env;

	if (opt != NULL)
		return opt;
	if ((env = getenv("CLARION_CONFIG")) != NULL && env[0] != '\0')
		return env;
	return CLARION_DEFAULT_CONFIG;
}

void
segment_def(const struct config_segment *seg, struct store_segment_def *def)
{
	def->lists = (const char *const *)seg->lists;
	def->nlists = seg->nlists;
	def->theme = seg->theme;
	def->where = seg->where;
}

/* check_segments - compile every segment against an empty store. */
static int
check_segments(const struct config *cfg, struct config_diag *diag)
{
	static const struct store_options memopt = { STORE_CREATE, 0, 0, 0 };
	struct store		*st;
	struct clr_err		 err = { 0, "" };
	struct store_segment_def def;
	size_t			 i;
	int			 bad = 0;

	if ((st = store_open(":memory:", &memopt, &err)) == NULL) {
		config_diag_add(diag, cfg->path, NULL, "cannot check segments: "
		    "%s", err.msg);
		return -1;
	}
	for (i = 0; i < cfg->nsegments; i++) {
		const struct config_segment	*seg = &cfg->segments[i];

		segment_def(seg, &def);
		if (store_segment_check(st, &def, &err) != 0) {
			config_diag_add(diag, cfg->path, seg->where != NULL ?
			    &seg->where_mark : &seg->mark, "segment \"%s\": %s",
			    seg->name, err.msg);
			bad = -1;
		}
	}
	store_close(st);
	return bad;
}

/*
 * check_campaigns - build every campaign as the daemon would: its
 * templates compile, its partials exist, its keys load. Nothing is
 * written; the errors name their files.
 */
static int
check_campaigns(const struct config *cfg, struct config_diag *diag)
{
	struct render_campaign	*rc;
	struct clr_err		 err;
	size_t			 i;
	int			 bad = 0;

	for (i = 0; i < cfg->ncampaigns; i++) {
		memset(&err, 0, sizeof(err));
		rc = render_campaign_new(cfg, cfg->campaigns[i].name, 0, &err);
		if (rc == NULL) {
			config_diag_add(diag, NULL, NULL, "%s", err.msg);
			bad = -1;
		}
		render_campaign_free(rc);
	}
	return bad;
}

struct config *
config_load_checked(const char *path, struct config_diag *diag)
{
	struct config	*cfg;

	cfg = config_load(path, diag);
	if (cfg != NULL && (check_segments(cfg, diag) != 0 ||
	    check_campaigns(cfg, diag) != 0)) {
		config_free(cfg);
		cfg = NULL;
	}
	return cfg;
}

int
exit_status(int code)
{
	switch (code) {
	case 0:
		return 0;
	case CLR_ENOENT:
		return EXIT_NOINPUT;
	case CLR_ESYNTAX:
	case CLR_EINVAL:
		return EXIT_DATAERR;
	case CLR_EBUSY:
	case CLR_EAGAIN:
		return EXIT_TEMPFAIL;
	case CLR_EIO:
	case CLR_EFULL:
		return EXIT_IOERR;
	case CLR_EPERM:
		return EXIT_CANTCREAT;
	case CLR_ESCHEMA:
		return EXIT_DATAERR;
	default:
		return EXIT_SOFTWARE;
	}
}
