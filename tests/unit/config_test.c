/* SPDX-License-Identifier: ISC */
/*
 * tests/unit/config_test.c - config: every class of mistake, with its
 * exact FILE:LINE:COL message, and what a valid file yields
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "config/config.h"

/* A valid base, so each case differs from it by one mistake. */
#define BASE_LISTS	"lists:\n  a:\n"
#define BASE_THEMES	"themes:\n  t:\n"
#define BASE_SENDERS	"senders:\n  s:\n    address: s@example.org\n"
#define BASE		"database: x.db\n" BASE_LISTS BASE_THEMES BASE_SENDERS

struct bad_case {
	const char	*name;
	const char	*yaml;
	const char	*expect;	/* one message must equal this */
};

static const struct bad_case bad_cases[] = {
	{ "unknown top-level key with a hint",
	  BASE "databse: y.db\n",
	  "t.yaml:9:1: unknown key \"databse\" in the top level "
	  "(did you mean \"database\"?)" },
	{ "unknown key without a hint",
	  BASE "relays: {}\n",
	  "t.yaml:9:1: unknown key \"relays\" in the top level" },
	{ "unknown key in a nested mapping",
	  "database: x.db\nlists:\n  a:\n    descripton: x\n"
	  BASE_THEMES BASE_SENDERS,
	  "t.yaml:4:5: unknown key \"descripton\" in list \"a\" "
	  "(did you mean \"description\"?)" },
	{ "duplicate top-level key",
	  BASE "database: y.db\n",
	  "t.yaml:9:1: duplicate key \"database\" (first at line 1, "
	  "column 1)" },
	{ "duplicate nested key",
	  "database: x.db\nlists:\n  a:\n  b:\n  a:\n"
	  BASE_THEMES BASE_SENDERS,
	  "t.yaml:5:3: duplicate key \"a\" (first at line 3, column 3)" },
	{ "missing database",
	  BASE_LISTS BASE_THEMES BASE_SENDERS,
	  "t.yaml:1:1: the top level: missing required key \"database\"" },
	{ "database given as null",
	  "database:\n" BASE_LISTS BASE_THEMES BASE_SENDERS,
	  "t.yaml:1:10: the top level: missing required key \"database\"" },
	{ "missing section",
	  "database: x.db\n" BASE_LISTS BASE_THEMES,
	  "t.yaml:1:1: missing required section \"senders\"" },
	{ "empty section",
	  "database: x.db\nlists: {}\n" BASE_THEMES BASE_SENDERS,
	  "t.yaml:2:8: section \"lists\" must declare at least one list" },
	{ "section of the wrong type",
	  "database: x.db\nlists: [a, b]\n" BASE_THEMES BASE_SENDERS,
	  "t.yaml:2:8: section \"lists\" must be a mapping, got a sequence" },
	{ "scalar where a string is wanted but a mapping is given",
	  "database: {path: x.db}\n" BASE_LISTS BASE_THEMES BASE_SENDERS,
	  "t.yaml:1:11: \"database\" in the top level must be a string, "
	  "got a mapping" },
	{ "entry that is not a mapping",
	  "database: x.db\nlists:\n  a: yes\n" BASE_THEMES BASE_SENDERS,
	  "t.yaml:3:6: list \"a\" must be a mapping of settings, "
	  "got a scalar" },
	{ "missing required nested key",
	  BASE_LISTS BASE_THEMES "database: x.db\nsenders:\n  s:\n"
	  "    name: S\n",
	  "t.yaml:7:3: sender \"s\": missing required key \"address\"" },
	{ "invalid sender address",
	  "database: x.db\n" BASE_LISTS BASE_THEMES
	  "senders:\n  s:\n    address: nobody\n",
	  "t.yaml:8:14: \"address\" in sender \"s\" is not a valid address: "
	  "the address has no @" },
	{ "line break in a display name",
	  "database: x.db\n" BASE_LISTS BASE_THEMES
	  "senders:\n  s:\n    name: \"A\\r\\nBcc: x@y.z\"\n"
	  "    address: s@example.org\n",
	  "t.yaml:8:11: \"name\" in sender \"s\" contains a control "
	  "character or line break" },
	{ "invalid name",
	  "database: x.db\nlists:\n  Bad Name:\n" BASE_THEMES BASE_SENDERS,
	  "t.yaml:3:3: list name \"Bad Name\" is not valid: use 1 to 64 "
	  "lower-case letters, digits, '-' and '_', starting with a letter "
	  "or digit" },
	{ "anchor",
	  "database: x.db\nlists: &l\n  a:\n" BASE_THEMES BASE_SENDERS,
	  "t.yaml:2:8: anchors (&l) are not allowed" },
	{ "alias",
	  "database: &d x.db\nfoo: *d\n",
	  "t.yaml:1:11: anchors (&d) are not allowed" },
	{ "alias alone",
	  BASE "segments: *x\n",
	  "t.yaml:9:11: aliases (*x) are not allowed" },
	{ "tag",
	  "database: !path x.db\n" BASE_LISTS BASE_THEMES BASE_SENDERS,
	  "t.yaml:1:11: tags (!path) are not allowed" },
	{ "invalid UTF-8",
	  "database: x.db\nlists:\n  a:\n    description: caf\xC3\x28\n"
	  BASE_THEMES BASE_SENDERS,
	  "t.yaml:4:21: invalid UTF-8 (byte 0xC3)" },
	{ "invalid UTF-8 after multibyte characters",
	  "database: \xC3\xA9\xC3\xA9\xFF.db\n",
	  "t.yaml:1:13: invalid UTF-8 (byte 0xFF)" },
	{ "NUL escape",
	  "database: \"x\\0.db\"\n" BASE_LISTS BASE_THEMES BASE_SENDERS,
	  "t.yaml:1:11: NUL characters are not allowed" },
	{ "YAML syntax error",
	  "database: x.db\nlists: [a\n",
	  "t.yaml:3:1: did not find expected ',' or ']' (while parsing a "
	  "flow sequence at line 2)" },
	{ "two documents",
	  "---\n" BASE "---\ndatabase: y.db\n",
	  "t.yaml:10:1: only one YAML document is allowed in a "
	  "configuration file" },
	{ "empty file",
	  "",
	  "t.yaml:1:1: the configuration is empty" },
	{ "root is a sequence",
	  "- a\n- b\n",
	  "t.yaml:1:1: the configuration must be a mapping of keys to "
	  "values, got a sequence" },
	{ "mapping used as a key",
	  "? {a: b}\n: c\n",
	  "t.yaml:1:3: mapping keys must be plain strings, not a mapping" },
	{ "segment with an unknown list",
	  BASE "segments:\n  g:\n    lists: [a, nope]\n    theme: t\n",
	  "t.yaml:11:16: segment \"g\": unknown list \"nope\" (not declared "
	  "under lists)" },
	{ "segment with an unknown theme",
	  BASE "segments:\n  g:\n    lists: [a]\n    theme: tt\n",
	  "t.yaml:12:12: segment \"g\": unknown theme \"tt\" (not declared "
	  "under themes)" },
	{ "segment without lists",
	  BASE "segments:\n  g:\n    theme: t\n",
	  "t.yaml:10:3: segment \"g\": missing required key \"lists\"" },
	{ "segment with an empty list of lists",
	  BASE "segments:\n  g:\n    lists: []\n    theme: t\n",
	  "t.yaml:11:12: \"lists\" in segment \"g\" must be a non-empty "
	  "sequence of list names, got an empty sequence" },
	{ "segment lists given as a string",
	  BASE "segments:\n  g:\n    lists: a\n    theme: t\n",
	  "t.yaml:11:12: \"lists\" in segment \"g\" must be a non-empty "
	  "sequence of list names, got a scalar" },
	{ "segment naming a list twice",
	  BASE "segments:\n  g:\n    lists: [a, a]\n    theme: t\n",
	  "t.yaml:11:16: segment \"g\": list \"a\" is named twice" },
	{ "segment where of the wrong type",
	  BASE "segments:\n  g:\n    lists: [a]\n    theme: t\n"
	  "    where: [1]\n",
	  "t.yaml:13:12: \"where\" in segment \"g\" must be a string, "
	  "got a sequence" },
	{ "campaign with an unknown segment",
	  BASE "templates: tpl\nmail:\n  bounce_domain: b.example.org\n"
	  "  list_id_domain: l.example.org\n"
	  "  unsubscribe_url: https://example.org/u/\n  token_key: t.key\n"
	  "campaigns:\n  c:\n    segment: nope\n    template: news\n"
	  "    sender: s\n",
	  "t.yaml:17:14: campaign \"c\": unknown segment \"nope\" (not "
	  "declared under segments)" },
	{ "campaign with an unknown sender",
	  BASE "segments:\n  g:\n    lists: [a]\n    theme: t\n"
	  "templates: tpl\nmail:\n  bounce_domain: b.example.org\n"
	  "  list_id_domain: l.example.org\n"
	  "  unsubscribe_url: https://example.org/u/\n  token_key: t.key\n"
	  "campaigns:\n  c:\n    segment: g\n    template: news\n"
	  "    sender: nobody\n",
	  "t.yaml:23:13: campaign \"c\": unknown sender \"nobody\" (not "
	  "declared under senders)" },
	{ "campaign whose theme is not its segment's",
	  BASE "segments:\n  g:\n    lists: [a]\n    theme: t\n"
	  "templates: tpl\nmail:\n  bounce_domain: b.example.org\n"
	  "  list_id_domain: l.example.org\n"
	  "  unsubscribe_url: https://example.org/u/\n  token_key: t.key\n"
	  "campaigns:\n  c:\n    segment: g\n    template: news\n"
	  "    sender: s\n    theme: other\n",
	  "t.yaml:24:12: campaign \"c\": theme \"other\" is not the theme "
	  "of its segment \"g\" (\"t\"), whose contacts consented to that "
	  "one" },
	{ "campaigns without mail",
	  BASE "segments:\n  g:\n    lists: [a]\n    theme: t\n"
	  "templates: tpl\n"
	  "campaigns:\n  c:\n    segment: g\n    template: news\n"
	  "    sender: s\n",
	  "t.yaml:1:1: campaigns need the section \"mail\"" },
	{ "campaigns without templates",
	  BASE "segments:\n  g:\n    lists: [a]\n    theme: t\n"
	  "mail:\n  bounce_domain: b.example.org\n"
	  "  list_id_domain: l.example.org\n"
	  "  unsubscribe_url: https://example.org/u/\n  token_key: t.key\n"
	  "campaigns:\n  c:\n    segment: g\n    template: news\n"
	  "    sender: s\n",
	  "t.yaml:1:1: the top level: missing required key \"templates\"" },
	{ "an http unsubscribe URL",
	  BASE "mail:\n  bounce_domain: b.example.org\n"
	  "  list_id_domain: l.example.org\n"
	  "  unsubscribe_url: http://example.org/u/\n  token_key: t.key\n",
	  "t.yaml:12:20: \"unsubscribe_url\" in section \"mail\" must be an "
	  "https:// URL without spaces, quotes or angle brackets" },
	{ "a bad bounce domain",
	  BASE "mail:\n  bounce_domain: not a domain\n"
	  "  list_id_domain: l.example.org\n"
	  "  unsubscribe_url: https://example.org/u/\n  token_key: t.key\n",
	  "t.yaml:10:18: \"bounce_domain\" in section \"mail\" is not a "
	  "valid domain name" },
	{ "dkim not a sequence",
	  BASE "dkim:\n  domain: example.org\n",
	  "t.yaml:10:3: section \"dkim\" must be a sequence of signatures, "
	  "got a mapping" },
	{ "dkim selector not a label",
	  BASE "dkim:\n  - domain: example.org\n    selector: \"a b\"\n"
	  "    key: k.pem\n",
	  "t.yaml:11:15: \"selector\" in DKIM signature 1 is not a DNS "
	  "label" },
	{ "dkim without key",
	  BASE "dkim:\n  - domain: example.org\n    selector: s1\n",
	  "t.yaml:10:5: DKIM signature 1: missing required key \"key\"" },
	{ "too deep",
	  "a: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]"
	  "]]]]]]]]]]]]]]\n",
	  "t.yaml:1:35: nested deeper than 32 levels" },
};

static int
has_message(const struct config_diag *d, const char *expect)
{
	size_t	 i;

	for (i = 0; i < d->n; i++)
		if (strcmp(d->msgs[i], expect) == 0)
			return 1;
	return 0;
}

static void
test_bad_configs(void **state)
{
	size_t	 i, j, failed = 0;

	(void)state;
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case	*c = &bad_cases[i];
		struct config_diag	 d = { NULL, 0, 0 };
		struct config		*cfg;

		cfg = config_parse("t.yaml", "/tmp", c->yaml, strlen(c->yaml),
		    &d);
		if (cfg != NULL || !has_message(&d, c->expect)) {
			fprintf(stderr, "case \"%s\": %s\n  expected: %s\n",
			    c->name, cfg ? "accepted" : "wrong message",
			    c->expect);
			for (j = 0; j < d.n; j++)
				fprintf(stderr, "  got:      %s\n", d.msgs[j]);
			failed++;
		}
		/* Every message names the file and a position. */
		for (j = 0; j < d.n; j++)
			assert_true(strncmp(d.msgs[j], "t.yaml:", 7) == 0);
		config_free(cfg);
		config_diag_free(&d);
	}
	assert_int_equal(failed, 0);
}

static void
test_all_errors_reported(void **state)
{
	static const char yaml[] =
	    "databse: x.db\n"
	    "lists:\n  a:\n    descripton: x\n"
	    "themes:\n  t:\n"
	    "senders:\n  s:\n    address: bad\n";
	struct config_diag	 d = { NULL, 0, 0 };

	(void)state;
	assert_null(config_parse("t.yaml", "/tmp", yaml, strlen(yaml), &d));
	/* The typo, the missing database, the list key, the address. */
	assert_int_equal(d.n, 4);
	config_diag_free(&d);
}

static void
test_valid_config(void **state)
{
	static const char yaml[] =
	    "# comment\n"
	    "database: data/clarion.db\n"
	    "lists:\n"
	    "  activists:\n    description: Signers\n"
	    "  newsletter:\n"
	    "themes:\n  actions: {description: \"Actions\"}\n  news: ~\n"
	    "senders:\n"
	    "  main:\n    name: Ligue des droits humains — Actions\n"
	    "    address: Actions@LigueDH.Example\n"
	    "    reply_to: contact@liguedh.example\n"
	    "segments:\n"
	    "  g:\n    lists: [activists, newsletter]\n    theme: actions\n"
	    "    where: |\n      locale = 'fr-BE'\n      AND 1\n";
	struct config_diag		 d = { NULL, 0, 0 };
	struct config			*cfg;
	const struct config_segment	*g;

	(void)state;
	cfg = config_parse("t.yaml", "/srv/clarion", yaml, sizeof(yaml) - 1,
	    &d);
	assert_non_null(cfg);
	assert_int_equal(d.n, 0);
	assert_string_equal(cfg->database, "/srv/clarion/data/clarion.db");
	assert_int_equal(cfg->nlists, 2);
	assert_string_equal(cfg->lists[0].description, "Signers");
	assert_null(cfg->lists[1].description);
	assert_int_equal(cfg->nthemes, 2);
	assert_non_null(config_find_theme(cfg, "news"));
	assert_null(config_find_theme(cfg, "nope"));
	assert_int_equal(cfg->nsenders, 1);
	assert_string_equal(cfg->senders[0].display_name,
	    "Ligue des droits humains — Actions");
	/* Addresses are normalised: the domain lower-cased only. */
	assert_string_equal(cfg->senders[0].address,
	    "Actions@liguedh.example");
	g = config_find_segment(cfg, "g");
	assert_non_null(g);
	assert_int_equal(g->nlists, 2);
	assert_string_equal(g->lists[1], "newsletter");
	assert_string_equal(g->where, "locale = 'fr-BE'\nAND 1\n");
	assert_int_equal(g->where_mark.line, 19);
	assert_int_equal(g->where_mark.col, 12);
	config_free(cfg);
}

static void
test_campaigns(void **state)
{
	static const char yaml[] = BASE
	    "segments:\n  g:\n    lists: [a]\n    theme: t\n"
	    "templates: tpl\n"
	    "mail:\n  bounce_domain: Bounces.Example.ORG\n"
	    "  list_id_domain: lists.example.org\n"
	    "  unsubscribe_url: https://example.org/u/\n"
	    "  unsubscribe_mailto: unsub@example.org\n"
	    "  token_key: secret/t.key\n  feedback_id: ngo\n"
	    "dkim:\n  - domain: example.org\n    selector: rsa2026\n"
	    "    key: /etc/clarion/rsa.pem\n"
	    "  - domain: example.org\n    selector: ed2026\n"
	    "    key: keys/ed.pem\n    identity: \"@example.org\"\n"
	    "campaigns:\n  c:\n    segment: g\n    template: news\n"
	    "    sender: s\n    subject: \"{{first_name}}, news\"\n"
	    "    fields:\n      petition_url: https://example.org/p\n"
	    "      deadline: 1 December\n";
	struct config_diag		 d = { NULL, 0, 0 };
	struct config			*cfg;
	const struct config_campaign	*c;

	(void)state;
	cfg = config_parse("t.yaml", "/srv/c", yaml, sizeof(yaml) - 1, &d);
	for (size_t i = 0; i < d.n; i++)
		fprintf(stderr, "%s\n", d.msgs[i]);
	assert_non_null(cfg);
	assert_string_equal(cfg->templates, "/srv/c/tpl");
	assert_true(cfg->has_mail);
	assert_string_equal(cfg->mail.bounce_domain, "bounces.example.org");
	assert_string_equal(cfg->mail.token_key, "/srv/c/secret/t.key");
	assert_string_equal(cfg->mail.unsubscribe_mailto, "unsub@example.org");
	assert_int_equal(cfg->ndkim, 2);
	assert_string_equal(cfg->dkim[0].key, "/etc/clarion/rsa.pem");
	assert_null(cfg->dkim[0].identity);
	assert_string_equal(cfg->dkim[1].key, "/srv/c/keys/ed.pem");
	assert_string_equal(cfg->dkim[1].identity, "@example.org");
	c = config_find_campaign(cfg, "c");
	assert_non_null(c);
	/* Theme and list default to the segment's. */
	assert_string_equal(c->theme, "t");
	assert_string_equal(c->list, "a");
	assert_string_equal(c->subject, "{{first_name}}, news");
	assert_int_equal(c->nfields, 2);
	assert_string_equal(c->fields[1].name, "deadline");
	assert_string_equal(c->fields[1].value, "1 December");
	assert_null(config_find_campaign(cfg, "nope"));
	config_free(cfg);
}

static void
test_absolute_database(void **state)
{
	static const char yaml[] = "database: /var/lib/clarion/c.db\n"
	    BASE_LISTS BASE_THEMES BASE_SENDERS;
	struct config_diag	 d = { NULL, 0, 0 };
	struct config		*cfg;

	(void)state;
	cfg = config_parse("t.yaml", "/etc/clarion", yaml, sizeof(yaml) - 1,
	    &d);
	assert_non_null(cfg);
	assert_string_equal(cfg->database, "/var/lib/clarion/c.db");
	config_free(cfg);
}

static void
test_load_file(void **state)
{
	struct config_diag	 d = { NULL, 0, 0 };
	struct config		*cfg;

	(void)state;
	cfg = config_load(CLARION_TEST_DATA "/../../conf/clarion.yaml", &d);
	for (size_t i = 0; i < d.n; i++)
		fprintf(stderr, "%s\n", d.msgs[i]);
	assert_non_null(cfg);
	assert_non_null(config_find_segment(cfg, "newsletter"));
	assert_non_null(config_find_segment(cfg, "action-alert"));
	/* Relative to the file's folder, made absolute. */
	assert_true(cfg->database[0] == '/');
	assert_non_null(strstr(cfg->database, "/conf/clarion.db"));
	config_free(cfg);

	assert_null(config_load(CLARION_TEST_DATA "/no-such-file.yaml", &d));
	assert_int_equal(d.n, 1);
	assert_non_null(strstr(d.msgs[0], "no-such-file.yaml: cannot open: "));
	config_diag_free(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_configs),
		cmocka_unit_test(test_all_errors_reported),
		cmocka_unit_test(test_valid_config),
		cmocka_unit_test(test_campaigns),
		cmocka_unit_test(test_absolute_database),
		cmocka_unit_test(test_load_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
