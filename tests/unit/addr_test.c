/* SPDX-License-Identifier: ISC */
/*
 * tests/unit/addr_test.c - addr: validation and normalisation of addresses
 *
 * One table of valid addresses with their normalised form and invalid ones
 * with a substring of the reason given; then the size limits of RFC 5321
 * (local part 64, label 63, domain 253, address 254 octets) on both sides
 * of each, and the limits applied to the A-label form of an IDN domain.
 * Every valid address is normalised a second time: the result must not
 * change (idempotence).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "addr/addr.h"
#include "util/err.h"

#define ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))
#define SAME		same		/* expected output is the input */

struct addr_case {
	const char	*name;
	const char	*input;
	size_t		 len;		/* 0: strlen(input) */
	const char	*expected;	/* output, SAME, or NULL if refused */
	const char	*reason;	/* substring of why, if refused */
};

static void	 check_case(const struct addr_case *);
static char	*fill(char *, char, size_t);
static char	*put(char *, const char *);
static void	 long_address(char *, size_t);
static void	 long_idn_address(char *, size_t, const char *);

static void	 test_table(void **);
static void	 test_lengths(void **);
static void	 test_not_terminated(void **);
static void	 test_domain(void **);

static const char		 same[] = "";

static const struct addr_case	 table[] = {
	/* Valid. */
	{ "plain", "user@example.com", 0, SAME, NULL },
	{ "upper-case domain lower-cased, local part kept",
	    "John.Doe@EXAMPLE.COM", 0, "John.Doe@example.com", NULL },
	{ "mixed-case domain", "a@ExAmPle.Org", 0, "a@example.org", NULL },
	{ "subaddress", "a+tag@example.com", 0, SAME, NULL },
	{ "every atext special", "!#$%&'*+-/=?^_`{|}~@example.com", 0, SAME,
	    NULL },
	{ "dots inside the local part", "first.middle.last@example.com", 0,
	    SAME, NULL },
	{ "digits only local part", "123@example.com", 0, SAME, NULL },
	{ "numeric label below the top", "a@123.example", 0, SAME, NULL },
	{ "hyphens inside labels", "a@ex-am--ple.co.uk", 0, SAME, NULL },
	{ "one-letter labels", "a@b.cd", 0, SAME, NULL },
	{ "IDN domain, upper case", "jos\xc3\xa9@B\xc3\xbc" "cher.DE", 0,
	    "jos\xc3\xa9@xn--bcher-kva.de", NULL },
	{ "IDN domain with a hyphen", "info@caf\xc3\xa9-li\xc3\xa8ge.be", 0,
	    "info@xn--caf-lige-60ag.be", NULL },
	{ "already punycode", "a@xn--bcher-kva.de", 0, SAME, NULL },
	{ "upper-case punycode", "a@XN--BCHER-KVA.DE", 0,
	    "a@xn--bcher-kva.de", NULL },
	{ "sharp s is kept (non-transitional)", "a@stra\xc3\x9f" "e.de", 0,
	    "a@xn--strae-oqa.de", NULL },
	{ "upper-case accented letter folded", "a@\xc3\x89" "COLE.fr", 0,
	    "a@xn--cole-9oa.fr", NULL },
	{ "fullwidth letters folded",
	    "a@\xef\xbd\x85\xef\xbd\x98\xef\xbd\x81\xef\xbd\x8d\xef\xbd\x90"
	    "\xef\xbd\x8c\xef\xbd\x85.com", 0, "a@example.com", NULL },
	{ "ideographic full stop", "a@example\xe3\x80\x82" "com", 0,
	    "a@example.com", NULL },
	{ "UTF-8 everywhere",
	    "\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.\xe5\xb9\xbf"
	    "\xe5\x91\x8a", 0,
	    "\xe7\x94\xa8\xe6\x88\xb7@xn--fsqu00a.xn--4rr70v", NULL },
	{ "UTF-8 local part keeps its case", "JOS\xc3\x89@example.com", 0,
	    SAME, NULL },

	/* The @. */
	{ "two @", "a@b@example.com", 0, NULL, "more than one @" },
	{ "no @", "example.com", 0, NULL, "no @" },
	{ "empty", "", 0, NULL, "no @" },
	{ "empty local part", "@example.com", 0, NULL,
	    "local part (before @) is empty" },
	{ "empty domain", "a@", 0, NULL, "domain (after @) is empty" },
	{ "only @", "@", 0, NULL, "is empty" },

	/* Dots. */
	{ "leading dot in the local part", ".a@example.com", 0, NULL,
	    "starts or ends with a dot" },
	{ "trailing dot in the local part", "a.@example.com", 0, NULL,
	    "starts or ends with a dot" },
	{ "two dots in the local part", "a..b@example.com", 0, NULL,
	    "two dots in a row" },
	{ "leading dot in the domain", "a@.example.com", 0, NULL,
	    "empty label" },
	{ "trailing dot in the domain", "a@example.com.", 0, NULL,
	    "empty label" },
	{ "two dots in the domain", "a@example..com", 0, NULL,
	    "empty label" },

	/* Forms refused on purpose. */
	{ "quoted local part", "\"john doe\"@example.com", 0, NULL,
	    "quoted local parts" },
	{ "quoted local part with an @", "\"a@b\"@example.com", 0, NULL,
	    "quoted local parts" },
	{ "IPv4 address literal", "a@[192.0.2.1]", 0, NULL,
	    "address literals" },
	{ "IPv6 address literal", "a@[IPv6:2001:db8::1]", 0, NULL,
	    "address literals" },
	{ "dotless domain", "a@localhost", 0, NULL, "no dot" },
	{ "numeric top-level label", "a@example.123", 0, NULL,
	    "top-level domain is numeric" },
	{ "IPv4 address as a domain", "a@192.0.2.1", 0, NULL,
	    "top-level domain is numeric" },
	{ "display name", "John <j@example.com>", 0, NULL,
	    "not allowed in an address" },
	{ "angle brackets", "<j@example.com>", 0, NULL,
	    "not allowed in an address" },
	{ "comment", "j(work)@example.com", 0, NULL,
	    "not allowed in an address" },
	{ "comma", "a,b@example.com", 0, NULL, "not allowed in an address" },
	{ "backslash", "a\\b@example.com", 0, NULL,
	    "not allowed in an address" },

	/* Control characters and spaces. */
	{ "U+0001 in the local part", "a\x01" "b@example.com", 0, NULL,
	    "control character" },
	{ "U+0001 in the domain", "a@exa\x01mple.com", 0, NULL,
	    "control character" },
	{ "CR", "a\r@example.com", 0, NULL, "control character" },
	{ "LF at the end", "a@example.com\n", 0, NULL, "control character" },
	{ "CRLF and a command", "a@example.com\r\nDATA", 0, NULL,
	    "control character" },
	{ "tab", "a\t@example.com", 0, NULL, "control character" },
	{ "NUL in the local part", "a\0b@example.com", 15, NULL,
	    "control character" },
	{ "NUL in the domain", "a@example.com\0.evil.org", 23, NULL,
	    "control character" },
	{ "DEL", "a\x7f@example.com", 0, NULL, "control character" },
	{ "U+0085 (C1) in the local part", "a\xc2\x85@example.com", 0, NULL,
	    "control character" },
	{ "U+2028 in the local part", "a\xe2\x80\xa8" "b@example.com", 0,
	    NULL, "control character" },
	{ "U+2029 in the local part", "a\xe2\x80\xa9" "b@example.com", 0,
	    NULL, "control character" },
	{ "U+2028 in the domain", "a@exa\xe2\x80\xa8mple.com", 0, NULL,
	    "not a valid internationalised domain name" },
	{ "BOM in the local part", "\xef\xbb\xbf" "a@example.com", 0, NULL,
	    "control character" },
	{ "space in the local part", "a b@example.com", 0, NULL,
	    "not allowed in an address" },
	{ "leading space", " a@example.com", 0, NULL,
	    "not allowed in an address" },
	{ "space in the domain", "a@exa mple.com", 0, NULL,
	    "not allowed in a host name" },
	{ "trailing space", "a@example.com ", 0, NULL,
	    "not allowed in a host name" },

	/* Domain labels. */
	{ "hyphen at a label start", "a@-example.com", 0, NULL,
	    "starts or ends with '-'" },
	{ "hyphen at a label end", "a@example-.com", 0, NULL,
	    "starts or ends with '-'" },
	{ "hyphen at the end of the top label", "a@example.com-", 0, NULL,
	    "starts or ends with '-'" },
	{ "hyphen-only label", "a@-.com", 0, NULL,
	    "starts or ends with '-'" },
	{ "underscore in the domain", "a@ex_ample.com", 0, NULL,
	    "not allowed in a host name" },
	{ "underscore label (SRV style)", "a@_dmarc.example.com", 0, NULL,
	    "not allowed in a host name" },
	{ "slash in the domain", "a@exa/mple.com", 0, NULL,
	    "not allowed in a host name" },

	/* IDNA. */
	{ "punycode that does not decode", "a@xn--zz.de", 0, NULL,
	    "not a valid internationalised domain name" },
	{ "truncated punycode", "a@xn--bcher-kv.de", 0, NULL,
	    "not a valid internationalised domain name" },
	{ "punycode of a disallowed label", "a@xn--a.de", 0, NULL,
	    "not a valid internationalised domain name" },
	{ "punycode label with hyphens at both ends", "a@xn--xn--a.com", 0,
	    NULL, "not a valid internationalised domain name" },
	{ "disallowed character (hyphen U+2010)", "a@a\xe2\x80\x90" "b.com",
	    0, NULL, "not a valid internationalised domain name" },
	{ "invalid UTF-8 in the local part", "a\xff@example.com", 0, NULL,
	    "not valid UTF-8" },
	{ "invalid UTF-8 in the domain", "a@ex\xff" "ample.com", 0, NULL,
	    "not valid UTF-8" },
	{ "overlong UTF-8 in the local part", "\xc0\xaf@example.com", 0,
	    NULL, "not valid UTF-8" },
	{ "truncated UTF-8 before the @", "a\xc3@example.com", 0, NULL,
	    "not valid UTF-8" },
	{ "surrogate in the domain", "a@ex\xed\xa0\x80.com", 0, NULL,
	    "not valid UTF-8" },
};

/* Filled by test_lengths. */
static char	 local64[128], local65[128], label63[128], label64[128];
static char	 total254[320], total255[320], domain253[320];
static char	 domain254[320], huge[2100], idn_label64[320];
static char	 idn254_in[320], idn254_out[320], idn255_in[320];

static void
check_case(const struct addr_case *c)
{
	char		 out[ADDR_MAX + 1], again[ADDR_MAX + 1];
	const char	*why = NULL, *want;
	size_t		 n;
	int		 rc;

	n = c->len != 0 ? c->len : strlen(c->input);
	memset(out, 'X', sizeof(out));
	rc = addr_normalize(c->input, n, out, &why);
	if (c->expected == NULL) {
		if (rc != CLR_EINVAL)
			fail_msg("%s: accepted as \"%s\"", c->name,
			    rc == 0 ? out : "?");
		assert_non_null(why);
		if (strstr(why, c->reason) == NULL)
			fail_msg("%s: reason \"%s\", want \"%s\"", c->name, why,
			    c->reason);
		return;
	}
	if (rc != 0)
		fail_msg("%s: refused: %s", c->name, why ? why : "(null)");
	want = c->expected == SAME ? c->input : c->expected;
	assert_string_equal(out, want);
	assert_true(strlen(out) <= ADDR_MAX);
	/* Normalising the output again changes nothing. */
	memset(again, 'Y', sizeof(again));
	assert_int_equal(addr_normalize(out, strlen(out), again, &why), 0);
	assert_string_equal(again, out);
}

static char *
fill(char *p, char c, size_t n)
{
	memset(p, c, n);
	return p + n;
}

/* put - copy s with its NUL to p; returns the end of the copy. */
static char *
put(char *p, const char *s)
{
	size_t	 n = strlen(s);

	memcpy(p, s, n + 1);
	return p + n;
}

/* long_address - 64 a's, '@', labels of 63, 63 and last_label, ".com". */
static void
long_address(char *dst, size_t last_label)
{
	char	*p;

	p = fill(dst, 'a', 64);
	p = put(p, "@");
	p = fill(p, 'c', 63);
	p = put(p, ".");
	p = fill(p, 'd', 63);
	p = put(p, ".");
	p = fill(p, 'e', last_label);
	put(p, ".com");
}

/* long_idn_address - local a's, '@', first, labels of 63, 63, 44, ".de". */
static void
long_idn_address(char *dst, size_t local, const char *first)
{
	char	*p;

	p = fill(dst, 'a', local);
	p = put(p, "@");
	p = put(p, first);
	p = put(p, ".");
	p = fill(p, 'c', 63);
	p = put(p, ".");
	p = fill(p, 'd', 63);
	p = put(p, ".");
	p = fill(p, 'e', 44);
	put(p, ".de");
}

static void
test_table(void **state)
{
	size_t	 i, valid = 0, invalid = 0;

	for (i = 0; i < ARRAY_LEN(table); i++) {
		print_message("addr: %s\n", table[i].name);
		check_case(&table[i]);
		if (table[i].expected != NULL)
			valid++;
		else
			invalid++;
	}
	assert_true(valid >= 15);
	assert_true(invalid >= 40);
}

static void
test_lengths(void **state)
{
	const struct addr_case	 cases[] = {
		{ "64-octet local part", local64, 0, SAME, NULL },
		{ "65-octet local part", local65, 0, NULL,
		    "local part is longer than 64 octets" },
		{ "63-octet label", label63, 0, SAME, NULL },
		{ "64-octet label", label64, 0, NULL,
		    "label is longer than 63 octets" },
		{ "254-octet address", total254, 0, SAME, NULL },
		{ "255-octet address", total255, 0, NULL,
		    "address is longer than 254 octets" },
		{ "253-octet domain, too long an address", domain253, 0, NULL,
		    "address is longer than 254 octets" },
		{ "254-octet domain", domain254, 0, NULL,
		    "domain is longer than 253 octets" },
		{ "2000-octet input", huge, 0, NULL, "longer than 254 octets" },
		{ "IDN label over 63 octets as an A-label", idn_label64, 0,
		    NULL, "not a valid internationalised domain name" },
		{ "IDN address of 254 octets as A-labels", idn254_in, 0,
		    idn254_out, NULL },
		{ "IDN address of 255 octets as A-labels", idn255_in, 0, NULL,
		    "address is longer than 254 octets" },
	};
	char	*p;
	size_t	 i;

	p = fill(local64, 'a', 64);
	put(p, "@example.com");
	p = fill(local65, 'a', 65);
	put(p, "@example.com");

	p = put(label63, "x@");
	p = fill(p, 'b', 63);
	put(p, ".com");
	p = put(label64, "x@");
	p = fill(p, 'b', 64);
	put(p, ".com");

	/* 64 + 1 + 63 + 1 + 63 + 1 + 57 + 4 = 254, then 255 */
	long_address(total254, 57);
	assert_int_equal(strlen(total254), 254);
	long_address(total255, 58);
	assert_int_equal(strlen(total255), 255);

	/* 63 + 1 + 63 + 1 + 63 + 1 + 61 = 253, then 254 */
	p = put(domain253, "a@");
	p = fill(p, 'f', 63);
	p = put(p, ".");
	p = fill(p, 'g', 63);
	p = put(p, ".");
	p = fill(p, 'h', 63);
	p = put(p, ".");
	p = fill(p, 'i', 61);
	put(p, "");
	assert_int_equal(strlen(domain253), 2 + 253);
	p = put(domain254, domain253);
	put(p, "j");

	p = fill(huge, 'a', 2000);
	put(p, "@example.com");

	/* 61 e-acute: far past 63 octets once encoded. */
	p = put(idn_label64, "a@");
	for (i = 0; i < 61; i++)
		p = put(p, "\xc3\xa9");
	put(p, ".com");

	/*
	 * 64 + 1 + len("b\xc3\xbc" "cher") 7 + 1 + 63 + 1 + 63 + 1 + 44 + 3 =
	 * 248 octets in; "xn--bcher-kva" is 6 octets longer: 254 out.
	 */
	long_idn_address(idn254_in, 64, "b\xc3\xbc" "cher");
	assert_int_equal(strlen(idn254_in), 248);
	long_idn_address(idn254_out, 64, "xn--bcher-kva");
	assert_int_equal(strlen(idn254_out), 254);
	long_idn_address(idn255_in, 64, "bb\xc3\xbc" "cher");
	assert_int_equal(strlen(idn255_in), 249);

	for (i = 0; i < ARRAY_LEN(cases); i++) {
		print_message("length: %s\n", cases[i].name);
		check_case(&cases[i]);
	}
}

/* Only s[0..n) is read. */
static void
test_not_terminated(void **state)
{
	static const char	 input[] = "a@example.comXYZ";
	char			 out[ADDR_MAX + 1];
	const char		*why = NULL;

	assert_int_equal(addr_normalize(input, 13, out, &why), 0);
	assert_string_equal(out, "a@example.com");
	assert_int_equal(addr_normalize(input, 2, out, &why), CLR_EINVAL);
	assert_non_null(why);
	assert_int_equal(addr_normalize(input, 0, out, &why), CLR_EINVAL);
}

static void
test_domain(void **state)
{
	static const struct {
		const char	*name;
		const char	*addr;
		const char	*expected;
	} cases[] = {
		{ "normalised address", "a@example.com", "example.com" },
		{ "IDN", "jos\xc3\xa9@xn--bcher-kva.de", "xn--bcher-kva.de" },
		{ "no @", "example", "" },
		{ "empty domain", "a@", "" },
	};
	size_t	 i;

	for (i = 0; i < ARRAY_LEN(cases); i++) {
		print_message("domain: %s\n", cases[i].name);
		assert_string_equal(addr_domain(cases[i].addr),
		    cases[i].expected);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_not_terminated),
		cmocka_unit_test(test_domain),
	};

	return cmocka_run_group_tests_name("addr", tests, NULL, NULL);
}
