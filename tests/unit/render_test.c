/* SPDX-License-Identifier: ISC */
/*
 * tests/unit/render_test.c - render: a campaign's messages, end to end
 *
 * Each test writes a configuration, a template set with locale variants
 * and partials, a token key and DKIM keys (made here with OpenSSL) into a
 * temporary folder, builds the campaign and renders contacts. Checked:
 * the variant a locale picks, the tokens (they verify, and name the run
 * and contact), the contact's own unsubscribe link in both parts, errors
 * that name the file and position, contacts refused with a reason, and a
 * header set that no contact data can change. The DKIM signatures of
 * 1,000 rendered messages, hostile contacts among them, are verified by
 * Debian's python3-dkim.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "config/config.h"
#include "render/render.h"
#include "testutil.h"
#include "token/token.h"
#include "util/buf.h"

#define CHECK(x)	do { if (!(x)) { fprintf(stderr, "%s:%d: %s\n", \
			    __FILE__, __LINE__, #x); abort(); } } while (0)

static void
write_file(const char *name, const char *text, mode_t mode)
{
	FILE	*fp;

	CHECK((fp = fopen(test_path(name), "w")) != NULL);
	CHECK(fputs(text, fp) >= 0);
	CHECK(fclose(fp) == 0);
	CHECK(chmod(test_path(name), mode) == 0);
}

/* write_key - a new private key (EVP_PKEY_ED25519 or _RSA) in PEM. */
static void
write_key(const char *name, int type)
{
	EVP_PKEY	*k;
	FILE		*fp;

	k = type == EVP_PKEY_RSA ? EVP_PKEY_Q_keygen(NULL, NULL, "RSA",
	    (size_t)2048) : EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	CHECK(k != NULL);
	CHECK((fp = fopen(test_path(name), "w")) != NULL);
	CHECK(PEM_write_PrivateKey(fp, k, NULL, NULL, 0, NULL, NULL) == 1);
	CHECK(fclose(fp) == 0);
	CHECK(chmod(test_path(name), 0600) == 0);
	EVP_PKEY_free(k);
}

/* write_dns - the TXT record of a key, as NAME VALUE, for the verifier. */
static void
write_dns(FILE *out, const char *selector, const char *keyfile)
{
	unsigned char	*der = NULL;
	unsigned char	 raw[32];
	size_t		 rawlen = sizeof(raw);
	char		 b64[1024];
	EVP_PKEY	*k;
	FILE		*fp;
	int		 n, ed;

	CHECK((fp = fopen(test_path(keyfile), "r")) != NULL);
	CHECK((k = PEM_read_PrivateKey(fp, NULL, NULL, NULL)) != NULL);
	fclose(fp);
	ed = EVP_PKEY_get_id(k) == EVP_PKEY_ED25519;
	if (ed) {
		CHECK(EVP_PKEY_get_raw_public_key(k, raw, &rawlen) == 1);
		n = EVP_EncodeBlock((unsigned char *)b64, raw, (int)rawlen);
	} else {
		int	 len = i2d_PUBKEY(k, &der);

		CHECK(len > 0);
		n = EVP_EncodeBlock((unsigned char *)b64, der, len);
		OPENSSL_free(der);
	}
	CHECK(n > 0);
	fprintf(out, "%s._domainkey.liguedh.example v=DKIM1; k=%s; p=%s\n",
	    selector, ed ? "ed25519" : "rsa", b64);
	EVP_PKEY_free(k);
}

/* The configuration of every test; tests vary the files around it. */
static const char config_yaml[] =
    "database: clarion.db\n"
    "lists:\n  news:\n"
    "themes:\n  t:\n"
    "senders:\n  s:\n    name: Ligue des droits humains\n"
    "    address: nouvelles@liguedh.example\n"
    "segments:\n  g:\n    lists: [news]\n    theme: t\n"
    "templates: tpl\n"
    "mail:\n  bounce_domain: bounces.liguedh.example\n"
    "  unsubscribe_url: https://liguedh.example/u/\n"
    "  unsubscribe_mailto: desinscription@liguedh.example\n"
    "  token_key: token.key\n  list_id_domain: lists.liguedh.example\n"
    "  feedback_id: liguedh\n"
    "dkim:\n"
    "  - domain: liguedh.example\n    selector: rsa\n    key: rsa.pem\n"
    "  - domain: liguedh.example\n    selector: ed\n    key: ed.pem\n"
    "campaigns:\n  c:\n    segment: g\n    template: news\n"
    "    sender: s\n    fields:\n      edition: Décembre\n";

/* setup - the temporary folder with everything a campaign needs. */
static int
setup(void **state)
{
	(void)state;
	CHECK(mkdir(test_path("tpl"), 0755) == 0);
	CHECK(mkdir(test_path("tpl/news"), 0755) == 0);
	CHECK(mkdir(test_path("tpl/partials"), 0755) == 0);
	write_file("clarion.yaml", config_yaml, 0644);
	write_file("token.key", "0123456789abcdef0123456789abcdef", 0600);
	write_key("rsa.pem", EVP_PKEY_RSA);
	write_key("ed.pem", EVP_PKEY_ED25519);
	write_file("tpl/news/subject.mustache",
	    "{{#first_name}}{{first_name}}, {{/first_name}}les nouvelles "
	    "({{campaign.edition}})\n", 0644);
	write_file("tpl/news/subject.nl.mustache",
	    "Het nieuws, {{first_name}}\n", 0644);
	write_file("tpl/news/text.mustache",
	    "Bonjour {{name}},\n{{#attrs.city}}À {{attrs.city}}.\n"
	    "{{/attrs.city}}{{> footer}}\n", 0644);
	write_file("tpl/news/text.nl-BE.mustache",
	    "Dag {{name}},\n{{> footer}}\n", 0644);
	write_file("tpl/news/html.mustache",
	    "<p>Bonjour {{name}}</p>\n<p><a href=\"{{unsubscribe_url}}\">"
	    "désinscription</a></p>\n", 0644);
	write_file("tpl/partials/footer.mustache",
	    "Se désinscrire : {{unsubscribe_url}}", 0644);
	write_file("tpl/partials/footer.nl.mustache",
	    "Uitschrijven: {{unsubscribe_url}}", 0644);
	return 0;
}

static struct config *
load_config(void)
{
	struct config_diag	 d = { NULL, 0, 0 };
	struct config		*cfg;
	size_t			 i;

	cfg = config_load(test_path("clarion.yaml"), &d);
	for (i = 0; i < d.n; i++)
		fprintf(stderr, "%s\n", d.msgs[i]);
	config_diag_free(&d);
	CHECK(cfg != NULL);
	return cfg;
}

/* header - the value of the first header named name, or NULL. */
static const char *
header(const struct buf *msg, const char *name, char *out, size_t outsz)
{
	const char	*p = msg->data, *end = msg->data + msg->len, *eol;
	size_t		 n = strlen(name), o = 0;

	while (p < end && !(p[0] == '\r' && p[1] == '\n')) {
		eol = strstr(p, "\r\n");
		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			p += n + 1;
			while (*p == ' ')
				p++;
			/* Unfold: continuation lines start with a space. */
			for (;;) {
				while (p < eol && o + 1 < outsz)
					out[o++] = *p++;
				if (eol[2] != ' ' && eol[2] != '\t')
					break;
				p = eol + 2;
				eol = strstr(p, "\r\n");
			}
			out[o] = '\0';
			return out;
		}
		p = eol + 2;
	}
	return NULL;
}

/* header_names - "From,To,..." of msg's header block, in order. */
static void
header_names(const struct buf *msg, struct buf *out)
{
	const char	*p = msg->data;

	buf_reset(out);
	while (!(p[0] == '\r' && p[1] == '\n')) {
		if (p[0] != ' ' && p[0] != '\t') {
			buf_append(out, p, strcspn(p, ":"));
			buf_putc(out, ',');
		}
		p = strstr(p, "\r\n") + 2;
	}
}

static void
test_render_contact(void **state)
{
	struct render_contact	 c = { 42, "amelie@example.org", "Amélie",
				    "Dubois", "fr-BE",
				    "{\"city\":\"Liège\"}" };
	struct render_campaign	*rc;
	struct render_scratch	 sc;
	struct token_key	*tk;
	struct clr_err		 err = { 0, "" };
	struct config		*cfg;
	char			 v[1024], tok[sizeof(((struct render_scratch *)0)->unsubscribe_url)];
	uint64_t		 run, id;
	const char		*at;

	(void)state;
	cfg = load_config();
	rc = render_campaign_new(cfg, "c", 0, &err);
	if (rc == NULL)
		fail_msg("%s", err.msg);
	render_scratch_init(&sc);
	assert_int_equal(render_message(rc, &c, 7, 1764345600, &sc, &err), 0);

	/* The default variant for fr-BE, with the contact's data. */
	assert_string_equal(sc.subject.data, "Amélie, les nouvelles "
	    "(Décembre)");
	assert_non_null(strstr(sc.text.data, "Bonjour Amélie Dubois,\nÀ "
	    "Liège.\nSe désinscrire : https://liguedh.example/u/"));
	assert_true(sc.has_html);
	assert_non_null(strstr(sc.html.data, sc.unsubscribe_url));
	assert_non_null(strstr(sc.text.data, sc.unsubscribe_url));

	/* The tokens verify and name run and contact. */
	tk = token_key_new("0123456789abcdef0123456789abcdef", 32);
	assert_non_null(tk);
	assert_int_equal(strncmp(sc.envelope_from, "b-", 2), 0);
	at = strchr(sc.envelope_from, '@');
	assert_string_equal(at, "@bounces.liguedh.example");
	assert_int_equal(token_check(tk, TOKEN_VERP, sc.envelope_from + 2,
	    (size_t)(at - sc.envelope_from - 2), &run, &id), 0);
	assert_int_equal(run, 7);
	assert_int_equal(id, 42);
	snprintf(tok, sizeof(tok), "%s", sc.unsubscribe_url +
	    strlen("https://liguedh.example/u/"));
	assert_int_equal(token_check(tk, TOKEN_UNSUBSCRIBE, tok, strlen(tok),
	    &run, &id), 0);
	assert_int_equal(id, 42);
	/* A VERP token is no unsubscribe token. */
	assert_int_not_equal(token_check(tk, TOKEN_UNSUBSCRIBE,
	    sc.envelope_from + 2, (size_t)(at - sc.envelope_from - 2), &run,
	    &id), 0);
	token_key_free(tk);

	/* The headers a bulk sender needs, signed twice. */
	assert_int_equal(strncmp(sc.msg.data, "DKIM-Signature:", 15), 0);
	assert_non_null(header(&sc.msg, "Message-ID", v, sizeof(v)));
	assert_int_equal(v[0], '<');
	assert_non_null(strstr(v, "@liguedh.example>"));
	assert_non_null(header(&sc.msg, "List-Id", v, sizeof(v)));
	assert_non_null(strstr(v, "<news.lists.liguedh.example>"));
	assert_non_null(header(&sc.msg, "List-Unsubscribe", v, sizeof(v)));
	assert_non_null(strstr(v, sc.unsubscribe_url));
	assert_non_null(strstr(v, "mailto:desinscription+u-"));
	assert_non_null(header(&sc.msg, "List-Unsubscribe-Post", v,
	    sizeof(v)));
	assert_string_equal(v, "List-Unsubscribe=One-Click");
	assert_non_null(header(&sc.msg, "Feedback-ID", v, sizeof(v)));
	assert_string_equal(v, "c:t:news:liguedh");

	render_scratch_free(&sc);
	render_campaign_free(rc);
	config_free(cfg);
}

static void
test_locale_variants(void **state)
{
	static const struct {
		const char	*locale;
		const char	*subject;
		const char	*text_start;
		const char	*footer;
	} cases[] = {
		{ "nl-BE", "Het nieuws, Jan", "Dag Jan Peeters,", "Uitschrijven" },
		{ "nl", "Het nieuws, Jan", "Bonjour Jan Peeters,",
		  "Uitschrijven" },
		{ "NL-be", "Het nieuws, Jan", "Dag Jan Peeters,",
		  "Uitschrijven" },
		{ "fr", "Jan, les nouvelles (Décembre)", "Bonjour Jan",
		  "Se désinscrire" },
		{ "de-BE", "Jan, les nouvelles (Décembre)", "Bonjour Jan",
		  "Se désinscrire" },
		{ NULL, "Jan, les nouvelles (Décembre)", "Bonjour Jan",
		  "Se désinscrire" },
	};
	struct render_contact	 c = { 1, "jan@example.be", "Jan", "Peeters",
				    NULL, "{}" };
	struct render_campaign	*rc;
	struct render_scratch	 sc;
	struct clr_err		 err = { 0, "" };
	struct config		*cfg;
	size_t			 i;

	(void)state;
	cfg = load_config();
	rc = render_campaign_new(cfg, "c", 0, &err);
	assert_non_null(rc);
	render_scratch_init(&sc);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		c.locale = cases[i].locale;
		assert_int_equal(render_message(rc, &c, 1, 0, &sc, &err), 0);
		assert_string_equal(sc.subject.data, cases[i].subject);
		assert_int_equal(strncmp(sc.text.data, cases[i].text_start,
		    strlen(cases[i].text_start)), 0);
		assert_non_null(strstr(sc.text.data, cases[i].footer));
	}
	render_scratch_free(&sc);
	render_campaign_free(rc);
	config_free(cfg);
}

/*
 * expect_load_error - render_campaign_new fails with a message starting
 * with want, in which each @TMP@ stands for the temporary folder.
 */
static void
expect_load_error(const char *want)
{
	struct clr_err		 err = { 0, "" };
	struct render_campaign	*rc;
	struct config		*cfg;
	struct buf		 b = BUF_INITIALIZER(8192);
	const char		*p, *q;
	char			 full[8192];

	for (p = want; (q = strstr(p, "@TMP@")) != NULL; p = q + 5) {
		buf_append(&b, p, (size_t)(q - p));
		buf_puts(&b, test_tmp());
	}
	buf_puts(&b, p);
	snprintf(full, sizeof(full), "%s", b.data);
	buf_free(&b);
	cfg = load_config();
	rc = render_campaign_new(cfg, "c", 0, &err);
	if (rc != NULL || strncmp(err.msg, full, strlen(full)) != 0)
		fail_msg("want \"%s\"\n     got \"%s\"", full, rc ? "success" :
		    err.msg);
	config_free(cfg);
}

static void
test_load_errors(void **state)
{
	(void)state;
	/* A template that does not compile: file, line and column. */
	write_file("tpl/news/html.mustache", "<p>\n  {{#name}} open\n", 0644);
	expect_load_error("@TMP@/tpl/news/html.mustache:2:3: ");
	/* ...the message's own wording is the template module's. */
	write_file("tpl/news/html.mustache", "<p>{{name}}</p>\n", 0644);

	write_file("tpl/news/text.mustache", "{{> fotter}}\n", 0644);
	expect_load_error("@TMP@/tpl/news/text.mustache: partial \"fotter\" not "
	    "found in @TMP@/tpl/partials");
	write_file("tpl/news/text.mustache", "{{> ../../token}}\n", 0644);
	expect_load_error("@TMP@/tpl/news/text.mustache: partial \"../../token\" "
	    "not found in @TMP@/tpl/partials");
	CHECK(unlink(test_path("tpl/news/text.mustache")) == 0);
	expect_load_error("@TMP@/tpl/news/text.mustache: no such file (every "
	    "template set needs its default text)");
	write_file("tpl/news/text.mustache", "x\n", 0644);

	CHECK(chmod(test_path("token.key"), 0640) == 0);
	expect_load_error("@TMP@/clarion.yaml:19:14: token_key: ");
	CHECK(chmod(test_path("token.key"), 0600) == 0);
	CHECK(chmod(test_path("ed.pem"), 0644) == 0);
	expect_load_error("@TMP@/clarion.yaml:28:10: DKIM key: ");
	CHECK(chmod(test_path("ed.pem"), 0600) == 0);
}

/*
 * A hostile contact: refused with a reason, or rendered with exactly the
 * same header names as every other message.
 */
static void
test_hostile_contacts(void **state)
{
	static const char *const names[] = {
		"Evil\r\nBcc: victim@example.org", "Evil\nX-Injected: 1",
		"Evil\rX: 1", "nul\x01" "byte", "sep\xe2\x80\xa8" "arator",
		"=?utf-8?q?Bcc=3A_x=40y=2Ez?=", "\"quoted\" <x@y.z>, other@z.z",
		"back\\slash", "Zoë Ærø", "a", NULL
	};
	struct render_contact	 c = { 5, "target@example.org", NULL, "X",
				    "fr", "{\"city\":\"x\\r\\nBcc: y@z.z\"}" };
	struct render_campaign	*rc;
	struct render_scratch	 sc;
	struct clr_err		 err = { 0, "" };
	struct config		*cfg;
	struct buf		 want = BUF_INITIALIZER(4096);
	struct buf		 got = BUF_INITIALIZER(4096);
	char			 big[10 * 1024 + 1];
	size_t			 i, refused = 0, sent = 0;

	(void)state;
	cfg = load_config();
	rc = render_campaign_new(cfg, "c", 0, &err);
	assert_non_null(rc);
	render_scratch_init(&sc);
	c.first_name = "Ordinary";
	assert_int_equal(render_message(rc, &c, 1, 0, &sc, &err), 0);
	header_names(&sc.msg, &want);
	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	for (i = 0; i <= sizeof(names) / sizeof(names[0]); i++) {
		c.first_name = i < sizeof(names) / sizeof(names[0]) - 1 ?
		    names[i] : big;
		if (i == sizeof(names) / sizeof(names[0]))
			c.first_name = NULL;
		memset(&err, 0, sizeof(err));
		if (render_message(rc, &c, 1, 0, &sc, &err) != 0) {
			assert_int_equal(err.code, CLR_EINVAL);
			assert_true(err.msg[0] != '\0');
			refused++;
			continue;
		}
		sent++;
		header_names(&sc.msg, &got);
		assert_string_equal(got.data, want.data);
		/*
		 * No header line but the ones msg_build wrote (the body
		 * may say "Bcc:": the contact's city is just text there).
		 */
		*strstr(sc.msg.data, "\r\n\r\n") = '\0';
		assert_null(strstr(sc.msg.data, "\r\nBcc:"));
		assert_null(strstr(sc.msg.data, "\r\nX-Injected:"));
		assert_null(strstr(sc.msg.data, "\r\nX:"));
	}
	/* Line breaks and controls in a name are refused, others encoded. */
	assert_true(refused >= 5);
	assert_true(sent >= 5);
	buf_free(&want);
	buf_free(&got);
	render_scratch_free(&sc);
	render_campaign_free(rc);
	config_free(cfg);
}

/*
 * 1,000 rendered messages, varied and hostile contacts among them, each
 * with an RSA-2048 and an Ed25519 signature, verified by python3-dkim.
 */
static void
test_dkim_verified(void **state)
{
	static const char *const firsts[] = {
		"Amélie", "Jan", NULL, "Zoë", "Loïc", "D'Hondt", "Ærø",
		"=?utf-8?b?QQ==?=", "Ünïcødé 名前", "O'Brien, Jr."
	};
	struct render_contact	 c = { 0, NULL, NULL, "Dubois", "fr", NULL };
	struct render_campaign	*rc;
	struct render_scratch	 sc;
	struct clr_err		 err = { 0, "" };
	struct config		*cfg;
	char			 name[64], email[64], attrs[256], cmd[8192];
	FILE			*fp;
	int			 i, status, made = 0;

	(void)state;
	cfg = load_config();
	rc = render_campaign_new(cfg, "c", 0, &err);
	assert_non_null(rc);
	render_scratch_init(&sc);
	CHECK(mkdir(test_path("signed"), 0755) == 0);
	for (i = 0; i < 1000; i++) {
		c.id = i;
		snprintf(email, sizeof(email), "c%d@example.%s", i,
		    i % 3 ? "org" : "be");
		c.email = email;
		c.first_name = firsts[i % 10];
		c.locale = i % 4 == 0 ? "nl-BE" : "fr-BE";
		snprintf(attrs, sizeof(attrs), "{\"city\":\"%s\"}",
		    i % 5 == 0 ? "Li\\u00e8ge\\r\\n." : i % 5 == 1 ?
		    "<b>&amp;</b>" : "Gent");
		c.attrs = attrs;
		if (render_message(rc, &c, (uint64_t)i, 1764345600 + i, &sc,
		    &err) != 0)
			fail_msg("contact %d: %s", i, err.msg);
		snprintf(name, sizeof(name), "signed/%04d.eml", i);
		CHECK((fp = fopen(test_path(name), "wb")) != NULL);
		CHECK(fwrite(sc.msg.data, 1, sc.msg.len, fp) == sc.msg.len);
		CHECK(fclose(fp) == 0);
		made++;
	}
	CHECK((fp = fopen(test_path("signed/dns.txt"), "w")) != NULL);
	write_dns(fp, "rsa", "rsa.pem");
	write_dns(fp, "ed", "ed.pem");
	CHECK(fclose(fp) == 0);
	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 %s/render_dkim_check.py "
	    "%s", CLARION_TEST_DATA, test_path("signed"));
	status = system(cmd);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(made, 1000);
	render_scratch_free(&sc);
	render_campaign_free(rc);
	config_free(cfg);
}

static int
teardown(void **state)
{
	(void)state;
	test_tmp_clean();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_render_contact, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_locale_variants, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_load_errors, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_hostile_contacts, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_dkim_verified, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
