/* SPDX-License-Identifier: ISC */
/*
 * daemon/ctl_keygen.c - clarionctl keygen: the keys a configuration names
 *
 * Makes every key file the configuration names that does not exist yet:
 * the token key (mail.token_key) and each DKIM signature's key, in the
 * algorithm the signature states (RSA when it states none). Existing
 * files are never touched. Then prints, for every DKIM signature, the DNS
 * TXT record to publish, in zone-file form (strings of at most 255
 * characters, as TXT records require).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "ctl.h"
#include "dkim/dkim.h"
#include "token/token.h"
#include "util/buf.h"
#include "util/str.h"

/* make_folder - the key's folder, owner-only, if it is missing. */
static int
make_folder(const char *path)
{
	char		 dir[PATH_MAX];
	char		*slash;
	struct stat	 sb;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return -1;
	if ((slash = strrchr(dir, '/')) == NULL || slash == dir)
		return 0;
	*slash = '\0';
	if (stat(dir, &sb) == 0)
		return 0;
	if (make_folder(dir) != 0)
		return -1;
	return mkdir(dir, 0700) == 0 || errno == EEXIST ? 0 : -1;
}

/* print_txt - NAME. IN TXT ( "..." "..." ), split at 255 characters. */
static void
print_txt(const char *selector, const char *domain, const char *value)
{
	size_t	 n = strlen(value), i;

	printf("%s._domainkey.%s. IN TXT (", selector, domain);
	for (i = 0; i < n; i += 255)
		printf(" \"%.*s\"", (int)(n - i < 255 ? n - i : 255),
		    value + i);
	printf(" )\n");
}

int
ctl_keygen(const struct ctl_command *cmd, struct ctl_globals *g, int argc,
    char **argv)
{
	static const struct option longopts[] = {
		{ "rsa-bits",	required_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 }
	};
	struct config_diag	 diag = { NULL, 0, 0 };
	struct clr_err		 err = { 0, "" };
	struct buf		 txt = BUF_INITIALIZER(16384);
	struct dkim_key		*key;
	struct config		*cfg;
	struct stat		 sb;
	const char		*path, *errstr, *alg;
	int64_t			 bits = 2048;
	size_t			 i;
	int			 c, status = 0;

	CTL_GETOPT_RESET();
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c != 'b')
			return ctl_help(cmd, stderr);
		if (str_tonum(optarg, strlen(optarg), 2048, 16384, &bits,
		    &errstr) != 0) {
			fprintf(stderr, "clarionctl: --rsa-bits %s: %s (2048 "
			    "to 16384)\n", optarg, errstr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc)
		return ctl_help(cmd, stderr);
	/* The file alone: the campaigns cannot load before their keys. */
	path = config_path(g->config);
	if ((cfg = config_load(path, &diag)) == NULL) {
		for (i = 0; i < diag.n; i++)
			fprintf(stderr, "%s\n", diag.msgs[i]);
		config_diag_free(&diag);
		return EXIT_CONFIG;
	}
	if (cfg->has_mail) {
		if (stat(cfg->mail.token_key, &sb) == 0)
			printf("kept %s (token key)\n", cfg->mail.token_key);
		else if (make_folder(cfg->mail.token_key) != 0 ||
		    token_key_generate(cfg->mail.token_key, &err) != 0) {
			fprintf(stderr, "clarionctl: %s\n", err.msg[0] ? err.msg :
			    strerror(errno));
			status = EXIT_CANTCREAT;
			goto out;
		} else
			printf("made %s (token key)\n", cfg->mail.token_key);
	}
	for (i = 0; i < cfg->ndkim; i++) {
		const struct config_dkim	*d = &cfg->dkim[i];

		alg = d->algorithm != NULL ? d->algorithm : "rsa-sha256";
		if (stat(d->key, &sb) == 0)
			printf("kept %s (DKIM key of %s._domainkey.%s)\n",
			    d->key, d->selector, d->domain);
		else if (make_folder(d->key) != 0 ||
		    dkim_key_generate(d->key, alg, (unsigned)bits, &err) != 0) {
			fprintf(stderr, "clarionctl: %s\n", err.msg[0] ? err.msg :
			    strerror(errno));
			status = EXIT_CANTCREAT;
			goto out;
		} else
			printf("made %s (%s DKIM key of %s._domainkey.%s)\n",
			    d->key, alg, d->selector, d->domain);
	}
	for (i = 0; i < cfg->ndkim; i++) {
		const struct config_dkim	*d = &cfg->dkim[i];

		if ((key = dkim_key_load(d->key, 0, &err)) == NULL) {
			fprintf(stderr, "clarionctl: %s\n", err.msg);
			status = exit_status(err.code);
			goto out;
		}
		buf_reset(&txt);
		if (dkim_key_dns_record(key, &txt, &err) != 0) {
			dkim_key_free(key);
			fprintf(stderr, "clarionctl: %s\n", err.msg);
			status = EXIT_SOFTWARE;
			goto out;
		}
		if (i == 0)
			printf("\nPublish in DNS:\n");
		print_txt(d->selector, d->domain, txt.data);
		dkim_key_free(key);
	}
out:
	buf_free(&txt);
	config_free(cfg);
	return status;
}
