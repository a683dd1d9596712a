/* SPDX-License-Identifier: ISC */
/*
 * bench/render_bench.c - how fast one core renders a campaign
 *
 * Loads the contacts of a campaign's segment into memory (timed apart),
 * then renders and encodes one message per contact on this thread, as
 * the daemon's thread pool does: templates, MIME, quoted-printable,
 * tokens and, unless --no-dkim, the configuration's DKIM signatures. As
 * a reference it then copies the same number of bytes with memcpy.
 * Prints one line of key=value figures.
 *
 * usage: render_bench -c CONFIG CAMPAIGN [--no-dkim] [--repeat N]
 *            [--limit N]   (only the segment's first N contacts)
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config/config.h"
#include "render/render.h"
#include "store/store.h"
#include "util/alloc.h"
#include "util/buf.h"

struct contacts {
	struct render_contact	*v;
	size_t			 n, cap;
	struct buf		 text;		/* their strings */
	size_t			*off;		/* 5 offsets per contact */
};

static double
now_s(int clock)
{
	struct timespec	 ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
collect(void *arg, const struct store_contact_row *row)
{
	struct contacts	*cs = arg;
	const char	*v[5] = { row->email, row->first_name, row->last_name,
			    row->locale, row->attrs };
	size_t		 i;

	if (cs->n == cs->cap) {
		cs->cap = cs->cap ? cs->cap * 2 : 4096;
		cs->v = clr_reallocarray(cs->v, cs->cap, sizeof(*cs->v));
		cs->off = clr_reallocarray(cs->off, cs->cap * 5,
		    sizeof(*cs->off));
		if (cs->v == NULL || cs->off == NULL)
			return 1;
	}
	for (i = 0; i < 5; i++) {
		cs->off[cs->n * 5 + i] = v[i] == NULL ? SIZE_MAX :
		    cs->text.len;
		if (v[i] != NULL && buf_append(&cs->text, v[i],
		    strlen(v[i]) + 1) != 0)
			return 1;
	}
	cs->v[cs->n++].id = row->id;
	return 0;
}

/* The strings moved while the text grew: point at them only now. */
static void
fix_pointers(struct contacts *cs)
{
	size_t	 i;

#define AT(i, k) (cs->off[(i) * 5 + (k)] == SIZE_MAX ? NULL : \
	cs->text.data + cs->off[(i) * 5 + (k)])
	for (i = 0; i < cs->n; i++) {
		cs->v[i].email = AT(i, 0);
		cs->v[i].first_name = AT(i, 1);
		cs->v[i].last_name = AT(i, 2);
		cs->v[i].locale = AT(i, 3);
		cs->v[i].attrs = AT(i, 4);
	}
#undef AT
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "no-dkim",	no_argument, NULL, 'n' },
		{ "repeat",	required_argument, NULL, 'r' },
		{ "limit",	required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 }
	};
	static const struct store_options sopt = { STORE_READONLY, 0, 0, 0 };
	const struct config_campaign	*camp;
	const struct config_segment	*seg;
	struct store_segment_def	 def;
	struct config_diag		 diag = { NULL, 0, 0 };
	struct render_campaign		*rc;
	struct render_scratch		 sc;
	struct contacts			 cs;
	struct clr_err			 err = { 0, "" };
	struct config			*cfg;
	struct store			*st;
	const char			*path = NULL;
	unsigned			 flags = 0;
	double				 t0, t1, c0, c1, load_s;
	uint64_t			 bytes = 0, done = 0;
	char				*dst;
	long				 repeat = 1, r;
	unsigned long long		 limit = UINT64_MAX / 2;
	size_t				 i;
	int				 c;

	store_library_init();
	while ((c = getopt_long(argc, argv, "c:", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'n':
			flags |= RENDER_NO_DKIM;
			break;
		case 'r':
			repeat = strtol(optarg, NULL, 10);
			break;
		case 'l':
			limit = strtoull(optarg, NULL, 10);
			break;
		default:
			return 64;
		}
	}
	if (path == NULL || optind + 1 != argc || repeat < 1) {
		fprintf(stderr, "usage: render_bench -c CONFIG CAMPAIGN "
		    "[--no-dkim] [--repeat N] [--limit N]\n");
		return 64;
	}
	if ((cfg = config_load(path, &diag)) == NULL) {
		for (i = 0; i < diag.n; i++)
			fprintf(stderr, "%s\n", diag.msgs[i]);
		return 78;
	}
	if ((camp = config_find_campaign(cfg, argv[optind])) == NULL ||
	    (seg = config_find_segment(cfg, camp->segment)) == NULL) {
		fprintf(stderr, "render_bench: no campaign %s\n", argv[optind]);
		return 64;
	}
	if ((rc = render_campaign_new(cfg, argv[optind], flags, &err)) ==
	    NULL || (st = store_open(cfg->database, &sopt, &err)) == NULL) {
		fprintf(stderr, "render_bench: %s\n", err.msg);
		return 1;
	}

	memset(&cs, 0, sizeof(cs));
	buf_init(&cs.text, BUF_MAX_LIMIT);
	def.lists = (const char *const *)seg->lists;
	def.nlists = seg->nlists;
	def.theme = seg->theme;
	def.where = seg->where;
	t0 = now_s(CLOCK_MONOTONIC);
	if (store_segment_preview(st, &def, limit, collect, &cs,
	    &err) != 0) {
		fprintf(stderr, "render_bench: %s\n", err.msg);
		return 1;
	}
	load_s = now_s(CLOCK_MONOTONIC) - t0;
	fix_pointers(&cs);

	render_scratch_init(&sc);
	t0 = now_s(CLOCK_MONOTONIC);
	c0 = now_s(CLOCK_THREAD_CPUTIME_ID);
	for (r = 0; r < repeat; r++) {
		for (i = 0; i < cs.n; i++) {
			if (render_message(rc, &cs.v[i], 1, 1764345600, &sc,
			    &err) != 0) {
				fprintf(stderr, "render_bench: contact %s: "
				    "%s\n", cs.v[i].email, err.msg);
				continue;
			}
			bytes += sc.msg.len;
			done++;
		}
	}
	c1 = now_s(CLOCK_THREAD_CPUTIME_ID);
	t1 = now_s(CLOCK_MONOTONIC);

	/* The reference: the same bytes, copied, in messages' sizes. */
	if ((dst = malloc(sc.msg.len + 1)) == NULL)
		return 1;
	{
		double		 m0, m1;
		uint64_t	 copied = 0;

		m0 = now_s(CLOCK_THREAD_CPUTIME_ID);
		while (copied < bytes) {
			memcpy(dst, sc.msg.data, sc.msg.len);
			/* Keep the compiler from dropping the copies. */
			__asm__ __volatile__("" : : "r"(dst) : "memory");
			copied += sc.msg.len;
		}
		m1 = now_s(CLOCK_THREAD_CPUTIME_ID);
		printf("campaign=%s dkim=%s contacts=%zu messages=%" PRIu64
		    " bytes_per_msg=%" PRIu64 " load_s=%.3f wall_s=%.3f "
		    "cpu_s=%.3f msgs_per_s=%.0f memcpy_msgs_per_s=%.0f "
		    "memcpy_ratio=%.4f\n", argv[optind],
		    (flags & RENDER_NO_DKIM) ? "none" : "config", cs.n, done,
		    done ? bytes / done : 0, load_s, t1 - t0, c1 - c0,
		    (double)done / (c1 - c0),
		    (double)done / (m1 - m0 > 0 ? m1 - m0 : 1e-9),
		    (m1 - m0) / (c1 - c0));
	}
	free(dst);
	render_scratch_free(&sc);
	render_campaign_free(rc);
	store_close(st);
	buf_free(&cs.text);
	clr_free(cs.v);
	clr_free(cs.off);
	config_free(cfg);
	return 0;
}
