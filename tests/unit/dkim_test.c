/* SPDX-License-Identifier: ISC */
/*
 * tests/unit/dkim_test.c - dkim: RFC 8463 reproduced byte for byte, key and
 * parameter refusals, relaxed canonicalisation, header selection, threads,
 * and a thousand signed messages checked by an independent verifier
 *
 * The RFC 8463 vectors (tests/data/dkim/, stored with LF endings, turned
 * into CRLF here) must give exactly the bh= and b= of RFC 8463's signed
 * message, and a header whose relaxed form equals RFC 8463's.
 *
 * Canonicalisation is checked through dkim_impl.h: tables of fields,
 * bodies, header sections and h= lists with their canonical bytes, then
 * random bodies and fields against a slow reference written from RFC 6376
 * 3.4.2 and 3.4.4 (split into lines, fix each line, join).
 *
 * Last, 1,200 varied messages (UTF-8 and encoded-word headers, long and
 * folded headers, empty bodies, trailing blank lines, "From " lines, dots
 * at line start, long lines) are signed with an RSA-2048 and an Ed25519
 * key made here, some with both, and written with the keys' DNS records
 * to a folder, where tests/integration/dkim_verify.py (python3-dkim)
 * verifies every signature; copies with one byte of the body or of a
 * signed header changed must fail.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "testutil.h"
#include "dkim/dkim.h"
#include "dkim/dkim_impl.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/err.h"

#define ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))
#define S(lit)		lit, sizeof(lit) - 1	/* a literal and its length */
#define DATA(rel)	CLARION_TEST_DATA "/dkim/" rel
#define VERIFY_PY	CLARION_TEST_DATA "/../integration/dkim_verify.py"
#define PYTHON		"/usr/bin/python3"

#define RFC_T		INT64_C(1528637909)
#define RFC_DOMAIN	"football.example.com"
#define RFC_BH		"2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8="
#define EMPTY_BH	"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="

#define GEN_DOMAIN	"clarion.example"
#define GEN_MESSAGES	1200		/* signed messages for python3-dkim */
#define GEN_TAMPER	10		/* every 10th also gets bad copies */

#define MAX_TAGS	16

/* The tags of a DKIM-Signature, whitespace removed from the values. */
struct tags {
	size_t	 n;
	char	 name[MAX_TAGS][8];
	char	 value[MAX_TAGS][8192];
};

/* Key files: copied from tests/data/dkim, made here, or none at all. */
enum key_src {
	K_DATA,			/* file under tests/data/dkim/ */
	K_MISSING,		/* no file */
	K_DIR,			/* a folder */
	K_EMPTY,		/* an empty file */
	K_EC,			/* EC P-256, PKCS#8 */
	K_ED448,		/* Ed448, PKCS#8 */
	K_ENCRYPTED,		/* Ed25519, encrypted PKCS#8 */
	K_PUBLIC,		/* an Ed25519 public key */
	K_RSA_PKCS1,		/* RSA-2048, "RSA PRIVATE KEY" */
	K_RSA_PKCS8,		/* RSA-2048, "PRIVATE KEY" */
	K_ED25519,		/* Ed25519, PKCS#8 */
	K_RSA512		/* RSA-512, PKCS#8 */
};

enum pem_form { PEM_PKCS8, PEM_TRADITIONAL, PEM_ENCRYPTED, PEM_PUBLIC };

struct key_case {
	const char	*name;
	enum key_src	 src;
	const char	*file;		/* K_DATA */
	mode_t		 mode;
	unsigned	 flags;
	int		 code;		/* 0: it loads */
	const char	*expect;	/* in err.msg, or the algorithm */
};

struct param_case {
	const char	*name;
	const char	*domain;
	const char	*selector;
	const char	*identity;
	const char	*hlist;		/* names split at '|'; NULL: none */
	size_t		 repeat;	/* > 0: h= is "from" this many times */
	int		 code;		/* 0: accepted */
	const char	*expect;	/* in err.msg, or the i= written */
	const char	*h;		/* the h= written, spaces removed */
};

struct canon_case {
	const char	*name;
	const char	*in;
	size_t		 len;
	const char	*out;
	size_t		 outlen;
};

struct hdrlen_case {
	const char	*name;
	const char	*msg;
	size_t		 len;
	size_t		 want;
};

struct select_case {
	const char	*name;
	const char	*hdr;		/* a header section, CRLF after each */
	const char	*hlist;		/* names split at '|' */
	const char	*out;
};

/* One signing thread of test_threads. */
struct thread_arg {
	const struct dkim_signer	*signer;
	const char *const		*msgs;
	const size_t			*lens;
	const struct buf		*want;
	size_t				 nmsgs;
	int				 rounds;
	int				 bad;
};

static EVP_PKEY		*gen_rsa;	/* RSA-2048, made once */
static EVP_PKEY		*gen_ed;	/* Ed25519, made once */

static uint64_t	 rng_next(uint64_t *);
static size_t	 rnd(uint64_t *, size_t);
static char	*slurp(const char *, size_t *);
static char	*lf_to_crlf(const char *, size_t, size_t *);
static void	 write_file(const char *, const void *, size_t, mode_t);
static void	 copy_key(const char *, const char *, mode_t);
static void	 write_pem(const char *, EVP_PKEY *, enum pem_form, mode_t);
static EVP_PKEY	*shared_key(int);
static char	*b64(const unsigned char *, size_t);
static int	 buf_flush(void *, const void *, size_t);
static size_t	 split_names(const char *, const char **, size_t, char *,
		    size_t);
static const char *find_field(const char *, size_t, const char *, int,
		    size_t *);
static void	 parse_tags(const char *, size_t, struct tags *);
static const char *tag(const struct tags *, const char *);
static void	 check_folded(const char *, size_t);
static void	 canon_field(const char *, size_t, struct buf *);
static void	 empty_b(struct buf *);
static void	 ref_body(const char *, size_t, struct buf *);
static void	 ref_field(const char *, size_t, struct buf *);
static void	 sign_one(const struct dkim_signer *, const char *, size_t,
		    int64_t, struct buf *);
static struct dkim_signer *signer_for(const struct dkim_key *, const char *,
		    const char *, const char *, const char *const *, size_t);
static void	 rm_folder(const char *);
static void	*thread_main(void *);
static void	 gen_words(uint64_t *, struct buf *, size_t, int);
static void	 gen_subject(uint64_t *, struct buf *);
static void	 gen_header(uint64_t *, size_t, struct buf *);
static void	 gen_body(uint64_t *, struct buf *);
static int	 tamper_body(char *, size_t);
static int	 tamper_field(char *, size_t, const char *);
static int	 failing_flush(void *, const void *, size_t);
static int	 teardown(void **);

static void	 test_rfc8463(void **);
static void	 test_rfc8463_seed(void **);
static void	 test_key_load(void **);
static void	 test_params(void **);
static void	 test_canon_field(void **);
static void	 test_canon_body(void **);
static void	 test_canon_random(void **);
static void	 test_header_len(void **);
static void	 test_select(void **);
static void	 test_sink(void **);
static void	 test_sign_errors(void **);
static void	 test_sign_body_hash(void **);
static void	 test_sign_long_tags(void **);
static void	 test_enomem(void **);
static void	 test_threads(void **);
static void	 test_python_dkim(void **);

/*
 * RFC 8463's message, as the two signatures of its A.3 sign it.
 */
static const char *const rfc_h[] = {
	"from", "to", "subject", "date", "message-id", "from", "subject",
	"date"
};

static const struct {
	const char	*name;
	const char	*key;
	unsigned	 flags;
	const char	*selector;
	int		 index;		/* which DKIM-Signature of signed.eml */
	const char	*alg;
} rfc_cases[] = {
	{ "ed25519-sha256", "rfc8463/ed25519-brisbane.pkcs8.pem", 0,
	  "brisbane", 0, "ed25519-sha256" },
	{ "rsa-sha256", "rfc8463/rsa-test.private.pem",
	  DKIM_KEY_ALLOW_SHORT_RSA, "test", 1, "rsa-sha256" },
};

static const struct key_case key_cases[] = {
	{ "Ed25519 PKCS#8, mode 0600", K_DATA,
	  "rfc8463/ed25519-brisbane.pkcs8.pem", 0600, 0, 0,
	  "ed25519-sha256" },
	{ "Ed25519 PKCS#8, mode 0400", K_DATA,
	  "rfc8463/ed25519-brisbane.pkcs8.pem", 0400, 0, 0,
	  "ed25519-sha256" },
	{ "Ed25519 made here", K_ED25519, NULL, 0600, 0, 0,
	  "ed25519-sha256" },
	{ "RSA-2048 PKCS#1 (traditional PEM)", K_RSA_PKCS1, NULL, 0600, 0, 0,
	  "rsa-sha256" },
	{ "RSA-2048 PKCS#8", K_RSA_PKCS8, NULL, 0600, 0, 0, "rsa-sha256" },
	{ "RSA-1024 with DKIM_KEY_ALLOW_SHORT_RSA", K_DATA,
	  "rfc8463/rsa-test.private.pem", 0600, DKIM_KEY_ALLOW_SHORT_RSA, 0,
	  "rsa-sha256" },

	{ "group-readable", K_DATA, "rfc8463/ed25519-brisbane.pkcs8.pem",
	  0640, 0, CLR_EPERM, "the DKIM private key is readable or writable "
	  "by group or others (mode 0640); chmod 600 it" },
	{ "world-readable", K_DATA, "rfc8463/ed25519-brisbane.pkcs8.pem",
	  0644, 0, CLR_EPERM, "by group or others (mode 0644)" },
	{ "group-writable only", K_DATA, "rfc8463/ed25519-brisbane.pkcs8.pem",
	  0620, 0, CLR_EPERM, "by group or others (mode 0620)" },
	{ "others-writable only", K_DATA, "rfc8463/rsa-test.private.pem",
	  0602, DKIM_KEY_ALLOW_SHORT_RSA, CLR_EPERM,
	  "by group or others (mode 0602)" },
	{ "RSA-1024 without the flag", K_DATA, "rfc8463/rsa-test.private.pem",
	  0600, 0, CLR_EINVAL,
	  "the RSA key has 1024 bits; DKIM keys need 2048 or more" },
	{ "RSA-512 even with DKIM_KEY_ALLOW_SHORT_RSA", K_RSA512, NULL, 0600,
	  DKIM_KEY_ALLOW_SHORT_RSA, CLR_EINVAL,
	  "the RSA key has 512 bits; DKIM keys need 1024 or more" },
	{ "not a key: a message", K_DATA, "rfc8463/unsigned.eml", 0600, 0,
	  CLR_ESYNTAX, "not a PEM private key, PKCS#8 or PKCS#1 (OpenSSL: " },
	{ "not a key: DNS records", K_DATA, "rfc8463/dns.txt", 0600, 0,
	  CLR_ESYNTAX, "not a PEM private key" },
	{ "empty file", K_EMPTY, NULL, 0600, 0, CLR_ESYNTAX,
	  "not a PEM private key" },
	{ "public key only", K_PUBLIC, NULL, 0600, 0, CLR_ESYNTAX,
	  "not a PEM private key" },
	{ "missing file", K_MISSING, NULL, 0600, 0, CLR_ENOENT,
	  "cannot open the DKIM key: No such file or directory" },
	{ "a folder", K_DIR, NULL, 0700, 0, CLR_EINVAL,
	  "not a regular file" },
	{ "EC P-256", K_EC, NULL, 0600, 0, CLR_EINVAL,
	  "EC keys cannot sign DKIM (RSA or Ed25519 only)" },
	{ "Ed448", K_ED448, NULL, 0600, 0, CLR_EINVAL,
	  "ED448 keys cannot sign DKIM (RSA or Ed25519 only)" },
	{ "encrypted", K_ENCRYPTED, NULL, 0600, 0, CLR_EINVAL,
	  "the DKIM private key is encrypted" },
	{ "unknown flag", K_DATA, "rfc8463/ed25519-brisbane.pkcs8.pem",
	  0600, 0x80, CLR_EINVAL, "bad arguments" },
};

static const struct param_case param_cases[] = {
	{ "RFC 8463's", RFC_DOMAIN, "brisbane", "@" RFC_DOMAIN,
	  "from|to|subject|date|message-id|from|subject|date", 0, 0,
	  "@" RFC_DOMAIN, "from:to:subject:date:message-id:from:subject:date" },
	{ "no identity, names lower-cased", "example.org", "s2024", NULL,
	  "From|TO|Subject|List-Unsubscribe", 0, 0, NULL,
	  "from:to:subject:list-unsubscribe" },
	{ "identity in a subdomain, '=' encoded", "example.org", "a.b",
	  "news=x+y@mail.EXAMPLE.org", "from", 0, 0,
	  "news=3Dx+y@mail.EXAMPLE.org", "from" },
	{ "dot-atom identity", "example.org", "s", "first.last@example.org",
	  "from|from", 0, 0, "first.last@example.org", "from:from" },
	{ "IDN as A-labels", "xn--bcher-kva.example", "xn--sel-1na", NULL,
	  "from", 0, 0, NULL, "from" },
	{ "h= of 64 names", "example.org", "s", NULL, NULL, 64, 0, NULL,
	  NULL },

	{ "no domain", NULL, "s", NULL, "from", 0, CLR_EINVAL,
	  "d= is missing", NULL },
	{ "empty domain", "", "s", NULL, "from", 0, CLR_EINVAL,
	  "d= is missing", NULL },
	{ "one-label domain", "example", "s", NULL, "from", 0, CLR_EINVAL,
	  "d=example is not a DNS name: it needs two labels or more", NULL },
	{ "space in domain", "exa mple.org", "s", NULL, "from", 0,
	  CLR_EINVAL, "holds an octet other than a letter", NULL },
	{ "trailing dot", "example.org.", "s", NULL, "from", 0, CLR_EINVAL,
	  "has an empty label", NULL },
	{ "empty label", "a..example.org", "s", NULL, "from", 0, CLR_EINVAL,
	  "has an empty label", NULL },
	{ "leading hyphen", "-a.example.org", "s", NULL, "from", 0,
	  CLR_EINVAL, "has a label starting with '-'", NULL },
	{ "trailing hyphen", "a-.example.org", "s", NULL, "from", 0,
	  CLR_EINVAL, "has a label ending in '-'", NULL },
	{ "label of 64", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaa.org", "s", NULL, "from", 0, CLR_EINVAL,
	  "has a label longer than 63 octets", NULL },
	{ "U-label", "b\303\274cher.example", "s", NULL, "from", 0,
	  CLR_EINVAL, "give IDNs as A-labels", NULL },
	{ "underscore", "_dmarc.example.org", "s", NULL, "from", 0,
	  CLR_EINVAL, "not a DNS name", NULL },
	{ "no selector", "example.org", NULL, NULL, "from", 0, CLR_EINVAL,
	  "s= is missing", NULL },
	{ "selector with '_'", "example.org", "s_1", NULL, "from", 0,
	  CLR_EINVAL, "s=s_1 is not a DNS name", NULL },
	{ "identity without '@'", "example.org", "s", "example.org", "from",
	  0, CLR_EINVAL, "i=example.org has no '@'", NULL },
	{ "identity in another domain", "example.org", "s", "@example.net",
	  "from", 0, CLR_EINVAL,
	  "its domain must be example.org or a subdomain of it", NULL },
	{ "identity in a look-alike domain", "example.org", "s",
	  "@badexample.org", "from", 0, CLR_EINVAL,
	  "its domain must be example.org", NULL },
	{ "identity with a space", "example.org", "s", "a b@example.org",
	  "from", 0, CLR_EINVAL, "the local-part is not an ASCII dot-atom",
	  NULL },
	{ "identity with ';'", "example.org", "s", "a;b=c@example.org",
	  "from", 0, CLR_EINVAL, "not an ASCII dot-atom", NULL },
	{ "identity with '..'", "example.org", "s", "a..b@example.org",
	  "from", 0, CLR_EINVAL, "not an ASCII dot-atom", NULL },
	{ "identity with UTF-8", "example.org", "s",
	  "j\xc3\xb6rg@example.org", "from", 0, CLR_EINVAL,
	  "not an ASCII dot-atom", NULL },
	{ "no h=", "example.org", "s", NULL, NULL, 0, CLR_EINVAL,
	  "h= is empty", NULL },
	{ "h= without from", "example.org", "s", NULL, "to|subject", 0,
	  CLR_EINVAL, "h= does not list \"from\"", NULL },
	{ "h= name with a colon", "example.org", "s", NULL, "from|x:y", 0,
	  CLR_EINVAL, "h= name 2 is not a header field name", NULL },
	{ "h= name with a space", "example.org", "s", NULL, "from|re ply", 0,
	  CLR_EINVAL, "h= name 2 is not a header field name", NULL },
	{ "empty h= name", "example.org", "s", NULL, "from||to", 0,
	  CLR_EINVAL, "h= name 2 has 0 octets", NULL },
	{ "h= of 65 names", "example.org", "s", NULL, NULL, 65, CLR_EINVAL,
	  "h= lists 65 names, more than 64", NULL },
};

static const struct canon_case field_cases[] = {
	{ "lower-case name", S("SUBJECT: Hi"), S("subject:Hi") },
	{ "value keeps its case", S("To: Suzie Q <SUZIE@Example.NET>"),
	  S("to:Suzie Q <SUZIE@Example.NET>") },
	{ "WSP runs", S("Subject:  Hello \t World"), S("subject:Hello World") },
	{ "WSP at the end", S("Subject: x \t "), S("subject:x") },
	{ "no WSP after the colon", S("Subject:x"), S("subject:x") },
	{ "WSP before the colon", S("Subject \t: x"), S("subject:x") },
	{ "folded", S("Subject: a\r\n b"), S("subject:a b") },
	{ "folded with a tab", S("Subject: a\r\n\tb"), S("subject:a b") },
	{ "WSP on both sides of a fold", S("Subject: a \t\r\n \t b"),
	  S("subject:a b") },
	{ "folded right after the colon", S("Subject:\r\n b"),
	  S("subject:b") },
	{ "several folds", S("To: a,\r\n b,\r\n\t c"), S("to:a, b, c") },
	{ "empty value", S("X-Empty:"), S("x-empty:") },
	{ "WSP-only value", S("X-Empty: \t \r\n "), S("x-empty:") },
	{ "colon in the value", S("Subject: a: b"), S("subject:a: b") },
	{ "UTF-8 value", S("Subject: Caf\xc3\xa9  \xe2\x82\xac\t!"),
	  S("subject:Caf\xc3\xa9 \xe2\x82\xac !") },
	{ "encoded word", S("Subject: =?UTF-8?B?w6k=?=  x"),
	  S("subject:=?UTF-8?B?w6k=?= x") },
	{ "DKIM-Signature with an empty b=",
	  S("DKIM-Signature: v=1; a=rsa-sha256;\r\n bh=xyz=;\r\n b="),
	  S("dkim-signature:v=1; a=rsa-sha256; bh=xyz=; b=") },
};

static const struct canon_case body_cases[] = {
	{ "empty", S(""), S("") },
	{ "one CRLF", S("\r\n"), S("") },
	{ "only empty lines", S("\r\n\r\n\r\n"), S("") },
	{ "only WSP lines", S(" \t \r\n \r\n\t\r\n"), S("") },
	{ "only WSP, no CRLF", S("   "), S("") },
	{ "one line", S("a\r\n"), S("a\r\n") },
	{ "no final CRLF", S("a"), S("a\r\n") },
	{ "no final CRLF, WSP at the end", S("a \t "), S("a\r\n") },
	{ "trailing empty lines", S("a\r\n\r\n\r\n"), S("a\r\n") },
	{ "trailing WSP-only lines", S("a\r\n \r\n\t\r\n  "), S("a\r\n") },
	{ "inner empty lines kept", S("a\r\n\r\n\r\nb\r\n"),
	  S("a\r\n\r\n\r\nb\r\n") },
	{ "inner WSP-only line emptied", S("a\r\n \t\r\nb\r\n"),
	  S("a\r\n\r\nb\r\n") },
	{ "leading empty lines kept", S("\r\n\r\na\r\n"), S("\r\n\r\na\r\n") },
	{ "WSP runs", S("a  b\t\tc \t d\r\n"), S("a b c d\r\n") },
	{ "single SP kept", S("a b c\r\n"), S("a b c\r\n") },
	{ "tab alone becomes SP", S("a\tb\r\n"), S("a b\r\n") },
	{ "leading WSP becomes one SP", S("  \ta\r\n"), S(" a\r\n") },
	{ "WSP at line ends", S("a \r\nb\t\r\nc \t \r\n"),
	  S("a\r\nb\r\nc\r\n") },
	{ "text after WSP-only lines", S("a\r\n\r\n \r\nb"),
	  S("a\r\n\r\n\r\nb\r\n") },
	{ "bare LF is data", S("a\nb \n\r\n"), S("a\nb \n\r\n") },
	{ "bare CR is data", S("a\rb \r\r\n"), S("a\rb \r\r\n") },
	{ "CR WSP LF", S("a\r \nb\r\n"), S("a\r \nb\r\n") },
	{ "From line and dots", S("From here\r\n.\r\n..x\r\n. y\r\n"),
	  S("From here\r\n.\r\n..x\r\n. y\r\n") },
	{ "UTF-8 and NUL", S("\xc3\xa9\0 \xe2\x80\x83x\r\n"),
	  S("\xc3\xa9\0 \xe2\x80\x83x\r\n") },
	{ "RFC 8463 body", S("Hi.\r\n\r\nWe lost the game.  Are you hungry "
	  "yet?\r\n\r\nJoe.\r\n\r\n"), S("Hi.\r\n\r\nWe lost the game. Are "
	  "you hungry yet?\r\n\r\nJoe.\r\n") },
};

static const struct hdrlen_case hdrlen_cases[] = {
	{ "empty message", S(""), (size_t)-1 },
	{ "no empty line", S("From: a\r\nSubject: b\r\nbody"), (size_t)-1 },
	{ "LF endings", S("From: a\n\nbody\n"), (size_t)-1 },
	{ "CR CR LF", S("From: a\r\r\n\r\n"), 10 },
	{ "body only", S("\r\nbody\r\n"), 0 },
	{ "only the empty line", S("\r\n"), 0 },
	{ "usual", S("From: a\r\n\r\nbody\r\n"), 9 },
	{ "no body", S("From: a\r\n\r\n"), 9 },
	{ "WSP line is a continuation", S("A: b\r\n \r\n\r\nx"), 9 },
	{ "later empty lines are body", S("A: b\r\n\r\n\r\n\r\n"), 6 },
};

static const struct select_case select_cases[] = {
	{ "RFC 8463, over-signed",
	  "From: Joe SixPack <joe@football.example.com>\r\n"
	  "To: Suzie Q <suzie@shopping.example.net>\r\n"
	  "Subject: Is dinner ready?\r\n"
	  "Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
	  "Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n",
	  "from|to|subject|date|message-id|from|subject|date",
	  "from:Joe SixPack <joe@football.example.com>\r\n"
	  "to:Suzie Q <suzie@shopping.example.net>\r\n"
	  "subject:Is dinner ready?\r\n"
	  "date:Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
	  "message-id:<20030712040037.46341.5F8J@football.example.com>\r\n" },
	{ "bottom-most instance first", "From: a\r\nFrom: b\r\n", "from",
	  "from:b\r\n" },
	{ "then upwards", "From: a\r\nFrom: b\r\n", "from|from",
	  "from:b\r\nfrom:a\r\n" },
	{ "one more than there are", "From: a\r\nFrom: b\r\n",
	  "from|from|from", "from:b\r\nfrom:a\r\n" },
	{ "missing names sign nothing", "From: a\r\n",
	  "from|reply-to|cc|from", "from:a\r\n" },
	{ "h= order, not message order",
	  "Subject: s\r\nFrom: f\r\nTo: t\r\n", "to|from|subject",
	  "to:t\r\nfrom:f\r\nsubject:s\r\n" },
	{ "names match in any case", "fROM: x\r\nSUBJECT: y\r\n",
	  "FROM|Subject", "from:x\r\nsubject:y\r\n" },
	{ "names that only start alike",
	  "From-X: no\r\nX-From: no\r\nFro: no\r\nFrom: yes\r\n", "from",
	  "from:yes\r\n" },
	{ "a folded field is one field",
	  "Subject: a\r\n b\r\nFrom: f\r\n \r\n c\r\n", "subject|from",
	  "subject:a b\r\nfrom:f c\r\n" },
	{ "a line without a colon names nothing",
	  "garbage\r\nFrom: f\r\n", "from", "from:f\r\n" },
	{ "WSP before the colon", "From : f\r\n", "from", "from:f\r\n" },
	{ "two names interleaved",
	  "To: 1\r\nFrom: a\r\nTo: 2\r\nTo: 3\r\n", "to|from|to",
	  "to:3\r\nfrom:a\r\nto:2\r\n" },
	{ "the bottom instances of many",
	  "Received: 1\r\nReceived: 2\r\nReceived: 3\r\nFrom: f\r\n"
	  "Received: 4\r\n", "from|received|received",
	  "from:f\r\nreceived:4\r\nreceived:3\r\n" },
	{ "empty values are not missing", "From:\r\nSubject: \r\n",
	  "from|subject|from", "from:\r\nsubject:\r\n" },
	{ "no header fields", "", "from|to", "" },
	{ "DKIM-Signature fields can be signed",
	  "DKIM-Signature: v=1;\r\n b=x\r\nFrom: f\r\n",
	  "from|dkim-signature", "from:f\r\ndkim-signature:v=1; b=x\r\n" },
};

static uint64_t
rng_next(uint64_t *s)
{
	uint64_t	 z;

	z = (*s += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static size_t
rnd(uint64_t *s, size_t n)
{
	return (size_t)(rng_next(s) % n);
}

/* slurp - a whole file, NUL-terminated (caller frees). */
static char *
slurp(const char *path, size_t *len)
{
	FILE	*f;
	char	*p;
	long	 n;

	if ((f = fopen(path, "rb")) == NULL)
		fail_msg("%s: %s", path, strerror(errno));
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	p = malloc((size_t)n + 1);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
	p[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return p;
}

/* lf_to_crlf - a copy with every LF made CRLF, as the data README says. */
static char *
lf_to_crlf(const char *s, size_t n, size_t *outn)
{
	char	*p;
	size_t	 i, j = 0;

	p = malloc(n * 2 + 1);
	assert_non_null(p);
	for (i = 0; i < n; i++) {
		if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
			p[j++] = '\r';
		p[j++] = s[i];
	}
	p[j] = '\0';
	*outn = j;
	return p;
}

static void
write_file(const char *path, const void *p, size_t n, mode_t mode)
{
	int	 fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd == -1)
		fail_msg("%s: %s", path, strerror(errno));
	assert_int_equal(write(fd, p, n), (ssize_t)n);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

/* copy_key - tests/data/dkim/rel into the temporary folder, with mode. */
static void
copy_key(const char *rel, const char *to, mode_t mode)
{
	char	 from[PATH_MAX];
	char	*p;
	size_t	 n;

	snprintf(from, sizeof(from), "%s/dkim/%s", CLARION_TEST_DATA, rel);
	p = slurp(from, &n);
	write_file(to, p, n, mode);
	free(p);
}

static void
write_pem(const char *path, EVP_PKEY *pk, enum pem_form form, mode_t mode)
{
	FILE	*f;
	BIO	*bio;
	int	 ok = 0;

	unlink(path);
	f = fopen(path, "w");
	assert_non_null(f);
	switch (form) {
	case PEM_PKCS8:
		ok = PEM_write_PrivateKey(f, pk, NULL, NULL, 0, NULL, NULL);
		break;
	case PEM_TRADITIONAL:
		bio = BIO_new_fp(f, BIO_NOCLOSE);
		assert_non_null(bio);
		ok = PEM_write_bio_PrivateKey_traditional(bio, pk, NULL, NULL,
		    0, NULL, NULL);
		BIO_free(bio);
		break;
	case PEM_ENCRYPTED:
		ok = PEM_write_PrivateKey(f, pk, EVP_aes_256_cbc(),
		    (const unsigned char *)"secret", 6, NULL, NULL);
		break;
	case PEM_PUBLIC:
		ok = PEM_write_PUBKEY(f, pk);
		break;
	}
	assert_int_equal(ok, 1);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
}

/* shared_key - the test's RSA-2048 (rsa != 0) or Ed25519 key. */
static EVP_PKEY *
shared_key(int rsa)
{
	if (rsa && gen_rsa == NULL)
		gen_rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	if (!rsa && gen_ed == NULL)
		gen_ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	assert_non_null(rsa ? gen_rsa : gen_ed);
	return rsa ? gen_rsa : gen_ed;
}

static char *
b64(const unsigned char *p, size_t n)
{
	char	*s;

	s = malloc(n / 3 * 4 + 8);
	assert_non_null(s);
	EVP_EncodeBlock((unsigned char *)s, p, (int)n);
	return s;
}

/* buf_flush - a sink's flush that collects the canonical bytes. */
static int
buf_flush(void *b, const void *p, size_t n)
{
	return buf_append(b, p, n);
}

/*
 * split_names - split s at '|' into names (pointing into store). Returns
 * the count; an empty piece is an empty name.
 */
static size_t
split_names(const char *s, const char **names, size_t max, char *store,
    size_t storesz)
{
	size_t	 n = 0;
	char	*p;

	snprintf(store, storesz, "%s", s);
	names[n++] = store;
	for (p = store; *p != '\0'; p++) {
		if (*p == '|') {
			*p = '\0';
			assert_true(n < max);
			names[n++] = p + 1;
		}
	}
	return n;
}

/*
 * find_field - the nth (0-based) header field called name in msg (CRLF
 * lines), with its continuation lines but not its final CRLF.
 */
static const char *
find_field(const char *msg, size_t len, const char *name, int nth,
    size_t *flen)
{
	size_t	 pos = 0, end, nlen = strlen(name);

	while (pos + 2 <= len && !(msg[pos] == '\r' && msg[pos + 1] == '\n')) {
		end = pos;
		for (;;) {
			while (end + 1 < len &&
			    !(msg[end] == '\r' && msg[end + 1] == '\n'))
				end++;
			if (end + 2 < len &&
			    (msg[end + 2] == ' ' || msg[end + 2] == '\t')) {
				end += 2;
				continue;
			}
			break;
		}
		if (end - pos > nlen && msg[pos + nlen] == ':' &&
		    strncasecmp(msg + pos, name, nlen) == 0 && nth-- == 0) {
			*flen = end - pos;
			return msg + pos;
		}
		pos = end + 2;
	}
	fail_msg("no field %s", name);
	return NULL;
}

static void
parse_tags(const char *f, size_t len, struct tags *t)
{
	const char	*p, *end = f + len;
	size_t		 k;

	p = memchr(f, ':', len);
	assert_non_null(p);
	p++;
	t->n = 0;
	while (p < end) {
		while (p < end && strchr(" \t\r\n", *p) != NULL)
			p++;
		if (p == end)
			break;
		assert_true(t->n < MAX_TAGS);
		k = 0;
		while (p < end && *p != '=' && strchr(" \t\r\n", *p) == NULL) {
			assert_true(k + 1 < sizeof(t->name[0]));
			t->name[t->n][k++] = *p++;
		}
		t->name[t->n][k] = '\0';
		while (p < end && *p != '=')
			p++;
		assert_true(p < end);
		p++;
		k = 0;
		while (p < end && *p != ';') {
			if (strchr(" \t\r\n", *p) == NULL) {
				assert_true(k + 1 < sizeof(t->value[0]));
				t->value[t->n][k++] = *p;
			}
			p++;
		}
		t->value[t->n][k] = '\0';
		t->n++;
		if (p < end)
			p++;
	}
}

/* tag - the value of a tag, or NULL. */
static const char *
tag(const struct tags *t, const char *name)
{
	size_t	 i;

	for (i = 0; i < t->n; i++) {
		if (strcmp(t->name[i], name) == 0)
			return t->value[i];
	}
	return NULL;
}

/*
 * check_folded - one DKIM-Signature field: "DKIM-Signature: " first, CRLF
 * last, every other CRLF followed by SP, no bare CR or LF, and no line
 * over 78 octets unless it holds a single token (a 253-octet d=).
 */
static void
check_folded(const char *h, size_t n)
{
	size_t	 i, line = 0, start = 0;

	assert_true(n > 18);
	assert_memory_equal(h, "DKIM-Signature: ", 16);
	assert_memory_equal(h + n - 2, "\r\n", 2);
	for (i = 0; i < n; i++) {
		if (h[i] == '\r') {
			assert_true(i + 1 < n && h[i + 1] == '\n');
			line = i - start;
			if (line > 78)
				assert_null(memchr(h + start + 1, ' ',
				    line - 1));
			assert_true(line <= 998);
			i++;
			if (i + 1 < n)
				assert_int_equal(h[i + 1], ' ');
			start = i + 1;
		} else
			assert_int_not_equal(h[i], '\n');
	}
}

/* canon_field - dkim__canon_field into b (appended). */
static void
canon_field(const char *f, size_t n, struct buf *b)
{
	struct dkim__sink	 s;

	dkim__sink_init(&s, buf_flush, b);
	dkim__canon_field(&s, f, n);
	assert_int_equal(dkim__sink_finish(&s), 0);
}

/* empty_b - cut a relaxed DKIM-Signature after its last tag, "b=". */
static void
empty_b(struct buf *b)
{
	char	*p;

	p = strstr(b->data, "; b=");
	assert_non_null(p);
	assert_null(strstr(p + 1, "; b="));
	buf_truncate(b, (size_t)(p - b->data) + 4);
}

/*
 * ref_body - RFC 6376 3.4.4, slowly: split at CRLF, make each WSP run one
 * SP and drop it at the line's end, drop empty lines at the end, end
 * every line with CRLF.
 */
static void
ref_body(const char *in, size_t n, struct buf *out)
{
	size_t	 i = 0, j, k, start, keep = 0;
	int	 wsp;

	buf_reset(out);
	while (i < n) {
		for (j = i; j < n && !(in[j] == '\r' && j + 1 < n &&
		    in[j + 1] == '\n'); j++)
			;
		start = out->len;
		wsp = 0;
		for (k = i; k < j; k++) {
			if (in[k] == ' ' || in[k] == '\t') {
				wsp = 1;
				continue;
			}
			if (wsp)
				assert_int_equal(buf_putc(out, ' '), 0);
			wsp = 0;
			assert_int_equal(buf_putc(out, in[k]), 0);
		}
		assert_int_equal(buf_append(out, "\r\n", 2), 0);
		if (out->len > start + 2)
			keep = out->len;	/* the last line not empty */
		i = j + 2;
	}
	buf_truncate(out, keep);
}

/*
 * ref_field - RFC 6376 3.4.2, slowly: lower-case the name, unfold, make
 * WSP runs one SP, strip the value and the name.
 */
static void
ref_field(const char *in, size_t n, struct buf *out)
{
	const char	*colon = memchr(in, ':', n);
	struct buf	 v = BUF_INITIALIZER(1 << 20);
	size_t		 nlen, i, a, z;
	int		 wsp = 0;

	assert_non_null(colon);
	buf_reset(out);
	nlen = (size_t)(colon - in);
	while (nlen > 0 && (in[nlen - 1] == ' ' || in[nlen - 1] == '\t'))
		nlen--;
	for (i = 0; i < nlen; i++)
		assert_int_equal(buf_putc(out, tolower((unsigned char)in[i])),
		    0);
	assert_int_equal(buf_putc(out, ':'), 0);
	for (i = (size_t)(colon - in) + 1; i < n; i++) {
		if (in[i] == '\r' && i + 1 < n && in[i + 1] == '\n') {
			i++;
			continue;
		}
		if (in[i] == ' ' || in[i] == '\t') {
			wsp = 1;
			continue;
		}
		if (wsp)
			assert_int_equal(buf_putc(&v, ' '), 0);
		wsp = 0;
		assert_int_equal(buf_putc(&v, in[i]), 0);
	}
	a = 0;
	z = v.len;
	if (z > 0 && v.data[0] == ' ')
		a = 1;
	if (z > a)
		assert_int_equal(buf_append(out, v.data + a, z - a), 0);
	buf_free(&v);
}

static void
sign_one(const struct dkim_signer *s, const char *msg, size_t len,
    int64_t now, struct buf *out)
{
	struct clr_err	 err = { 0, "" };

	if (dkim_sign(s, msg, len, now, out, &err) != 0)
		fail_msg("dkim_sign: %s", err.msg);
}

static struct dkim_signer *
signer_for(const struct dkim_key *key, const char *domain,
    const char *selector, const char *identity, const char *const *h,
    size_t nh)
{
	struct dkim_params	 p;
	struct dkim_signer	*s;
	struct clr_err		 err = { 0, "" };

	p.domain = domain;
	p.selector = selector;
	p.identity = identity;
	p.headers = h;
	p.nheaders = nh;
	if ((s = dkim_signer_new(key, &p, &err)) == NULL)
		fail_msg("dkim_signer_new: %s", err.msg);
	return s;
}

/* rm_folder - remove a folder of plain files. */
static void
rm_folder(const char *dir)
{
	DIR		*d;
	struct dirent	*e;
	char		 p[PATH_MAX + 256];

	if ((d = opendir(dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

static void
test_rfc8463(void **state)
{
	struct buf	 out = BUF_INITIALIZER(1 << 16);
	struct buf	 c1 = BUF_INITIALIZER(1 << 16);
	struct buf	 c2 = BUF_INITIALIZER(1 << 16);
	struct clr_err	 err = { 0, "" };
	struct tags	 got, want;
	struct dkim_key	*key;
	struct dkim_signer *s;
	char		*raw, *msg, *sraw, *signed_msg, path[PATH_MAX + 256];
	const char	*w;
	size_t		 rawlen, len, slen, wlen = 0, i, k;

	raw = slurp(DATA("rfc8463/unsigned.eml"), &rawlen);
	msg = lf_to_crlf(raw, rawlen, &len);
	sraw = slurp(DATA("rfc8463/signed.eml"), &rawlen);
	signed_msg = lf_to_crlf(sraw, rawlen, &slen);

	for (i = 0; i < ARRAY_LEN(rfc_cases); i++) {
		snprintf(path, sizeof(path), "%s", test_path("rfc.pem"));
		copy_key(rfc_cases[i].key, path, 0600);
		key = dkim_key_load(path, rfc_cases[i].flags, &err);
		if (key == NULL)
			fail_msg("%s: %s", rfc_cases[i].name, err.msg);
		assert_string_equal(dkim_key_algorithm(key),
		    rfc_cases[i].alg);
		s = signer_for(key, RFC_DOMAIN, rfc_cases[i].selector,
		    "@" RFC_DOMAIN, rfc_h, ARRAY_LEN(rfc_h));
		buf_reset(&out);
		sign_one(s, msg, len, RFC_T, &out);
		print_message("%s: %s", rfc_cases[i].name, out.data);
		check_folded(out.data, out.len);

		w = find_field(signed_msg, slen, "DKIM-Signature",
		    rfc_cases[i].index, &wlen);
		parse_tags(out.data, out.len - 2, &got);
		parse_tags(w, wlen, &want);
		/* The two values RFC 8463 prints, byte for byte. */
		assert_non_null(tag(&got, "bh"));
		assert_non_null(tag(&got, "b"));
		assert_string_equal(tag(&got, "bh"), RFC_BH);
		assert_string_equal(tag(&got, "bh"), tag(&want, "bh"));
		assert_string_equal(tag(&got, "b"), tag(&want, "b"));
		/* The same tags in the same order... */
		assert_int_equal(got.n, want.n);
		for (k = 0; k < got.n; k++) {
			assert_string_equal(got.name[k], want.name[k]);
			assert_string_equal(got.value[k], want.value[k]);
		}
		/*
		 * ... and the same relaxed form, whatever the folding, once
		 * b= is emptied as verifiers do: the bytes that were signed.
		 */
		buf_reset(&c1);
		buf_reset(&c2);
		canon_field(out.data, out.len - 2, &c1);
		canon_field(w, wlen, &c2);
		empty_b(&c1);
		empty_b(&c2);
		assert_string_equal(c1.data, c2.data);

		dkim_signer_free(s);
		dkim_key_free(key);
		unlink(path);
	}
	buf_free(&out);
	buf_free(&c1);
	buf_free(&c2);
	free(raw);
	free(msg);
	free(sraw);
	free(signed_msg);
}

/* The PKCS#8 file holds RFC 8032's seed, as the data README says. */
static void
test_rfc8463_seed(void **state)
{
	unsigned char	 priv[64];
	size_t		 plen = sizeof(priv), n;
	EVP_PKEY	*pk;
	FILE		*f;
	char		*seed, *enc;

	f = fopen(DATA("rfc8463/ed25519-brisbane.pkcs8.pem"), "r");
	assert_non_null(f);
	pk = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(pk);
	assert_int_equal(EVP_PKEY_get_raw_private_key(pk, priv, &plen), 1);
	assert_int_equal(plen, 32);
	enc = b64(priv, plen);
	seed = slurp(DATA("rfc8463/ed25519-brisbane.seed.b64"), &n);
	while (n > 0 && (seed[n - 1] == '\n' || seed[n - 1] == '\r'))
		seed[--n] = '\0';
	assert_string_equal(enc, seed);
	free(enc);
	free(seed);
	EVP_PKEY_free(pk);
}

static void
test_key_load(void **state)
{
	const struct key_case	*c;
	struct clr_err		 err;
	struct dkim_key		*key;
	EVP_PKEY		*pk;
	char			 path[PATH_MAX + 256];
	size_t			 i;

	for (i = 0; i < ARRAY_LEN(key_cases); i++) {
		c = &key_cases[i];
		snprintf(path, sizeof(path), "%s", test_path("key.pem"));
		unlink(path);
		rmdir(path);
		switch (c->src) {
		case K_DATA:
			copy_key(c->file, path, c->mode);
			break;
		case K_MISSING:
			break;
		case K_DIR:
			assert_int_equal(mkdir(path, c->mode), 0);
			break;
		case K_EMPTY:
			write_file(path, "", 0, c->mode);
			break;
		case K_EC:
			pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
			assert_non_null(pk);
			write_pem(path, pk, PEM_PKCS8, c->mode);
			EVP_PKEY_free(pk);
			break;
		case K_RSA512:
			pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)512);
			assert_non_null(pk);
			write_pem(path, pk, PEM_PKCS8, c->mode);
			EVP_PKEY_free(pk);
			break;
		case K_ED448:
			pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED448");
			assert_non_null(pk);
			write_pem(path, pk, PEM_PKCS8, c->mode);
			EVP_PKEY_free(pk);
			break;
		case K_ENCRYPTED:
			write_pem(path, shared_key(0), PEM_ENCRYPTED, c->mode);
			break;
		case K_PUBLIC:
			write_pem(path, shared_key(0), PEM_PUBLIC, c->mode);
			break;
		case K_RSA_PKCS1:
			write_pem(path, shared_key(1), PEM_TRADITIONAL,
			    c->mode);
			break;
		case K_RSA_PKCS8:
			write_pem(path, shared_key(1), PEM_PKCS8, c->mode);
			break;
		case K_ED25519:
			write_pem(path, shared_key(0), PEM_PKCS8, c->mode);
			break;
		}
		memset(&err, 0, sizeof(err));
		key = dkim_key_load(path, c->flags, &err);
		print_message("%-40s %s\n", c->name,
		    key != NULL ? dkim_key_algorithm(key) : err.msg);
		if (c->code == 0) {
			if (key == NULL)
				fail_msg("%s: %s", c->name, err.msg);
			assert_string_equal(dkim_key_algorithm(key),
			    c->expect);
			dkim_key_free(key);
		} else {
			assert_null(key);
			assert_int_equal(err.code, c->code);
			if (strstr(err.msg, c->expect) == NULL)
				fail_msg("%s: \"%s\" lacks \"%s\"", c->name,
				    err.msg, c->expect);
			/* The message names the file. */
			if (c->flags != 0x80 && strstr(err.msg, path) == NULL)
				fail_msg("%s: \"%s\" does not name the file",
				    c->name, err.msg);
		}
		unlink(path);
		rmdir(path);
	}
}

static void
test_params(void **state)
{
	static const char	 msg[] = "From: a@example.org\r\n"
	    "Subject: s\r\n\r\nbody\r\n";
	const struct param_case	*c;
	const char		*names[DKIM__MAX_HEADERS + 8];
	char			 store[1024], path[PATH_MAX + 256];
	struct dkim_params	 p;
	struct dkim_signer	*s;
	struct dkim_key		*key;
	struct clr_err		 err;
	struct buf		 out = BUF_INITIALIZER(1 << 16);
	struct tags		 t;
	size_t			 i, k;

	snprintf(path, sizeof(path), "%s", test_path("params.pem"));
	copy_key("rfc8463/ed25519-brisbane.pkcs8.pem", path, 0600);
	key = dkim_key_load(path, 0, &err);
	assert_non_null(key);
	for (i = 0; i < ARRAY_LEN(param_cases); i++) {
		c = &param_cases[i];
		memset(&p, 0, sizeof(p));
		p.domain = c->domain;
		p.selector = c->selector;
		p.identity = c->identity;
		if (c->repeat > 0) {
			for (k = 0; k < c->repeat; k++)
				names[k] = "from";
			p.headers = names;
			p.nheaders = c->repeat;
		} else if (c->hlist != NULL) {
			p.headers = names;
			p.nheaders = split_names(c->hlist, names,
			    ARRAY_LEN(names), store, sizeof(store));
		}
		memset(&err, 0, sizeof(err));
		s = dkim_signer_new(key, &p, &err);
		print_message("%-36s %s\n", c->name, s != NULL ? "ok" :
		    err.msg);
		if (c->code != 0) {
			assert_null(s);
			assert_int_equal(err.code, c->code);
			if (strstr(err.msg, c->expect) == NULL)
				fail_msg("%s: \"%s\" lacks \"%s\"", c->name,
				    err.msg, c->expect);
			continue;
		}
		if (s == NULL)
			fail_msg("%s: %s", c->name, err.msg);
		buf_reset(&out);
		sign_one(s, msg, sizeof(msg) - 1, 1, &out);
		check_folded(out.data, out.len);
		parse_tags(out.data, out.len - 2, &t);
		assert_string_equal(tag(&t, "d"), c->domain);
		assert_string_equal(tag(&t, "s"), c->selector);
		assert_string_equal(tag(&t, "t"), "1");
		if (c->expect == NULL)
			assert_null(tag(&t, "i"));
		else
			assert_string_equal(tag(&t, "i"), c->expect);
		if (c->h != NULL)
			assert_string_equal(tag(&t, "h"), c->h);
		dkim_signer_free(s);
	}
	buf_free(&out);
	dkim_key_free(key);
	unlink(path);
}

static void
test_canon_field(void **state)
{
	struct buf	 b = BUF_INITIALIZER(1 << 16);
	size_t		 i;

	for (i = 0; i < ARRAY_LEN(field_cases); i++) {
		buf_reset(&b);
		canon_field(field_cases[i].in, field_cases[i].len, &b);
		if (b.len != field_cases[i].outlen ||
		    memcmp(b.data, field_cases[i].out, b.len) != 0)
			fail_msg("%s: got \"%s\"", field_cases[i].name,
			    b.data);
	}
	buf_free(&b);
}

static void
test_canon_body(void **state)
{
	struct buf		 b = BUF_INITIALIZER(1 << 16);
	struct buf		 r = BUF_INITIALIZER(1 << 16);
	struct dkim__sink	 s;
	size_t			 i;

	for (i = 0; i < ARRAY_LEN(body_cases); i++) {
		buf_reset(&b);
		dkim__sink_init(&s, buf_flush, &b);
		dkim__canon_body(&s, body_cases[i].in, body_cases[i].len);
		assert_int_equal(dkim__sink_finish(&s), 0);
		if (b.len != body_cases[i].outlen ||
		    (b.len > 0 && memcmp(b.data, body_cases[i].out,
		    b.len) != 0))
			fail_msg("%s: got \"%s\"", body_cases[i].name,
			    b.data != NULL ? b.data : "");
		/* The reference agrees with the table too. */
		ref_body(body_cases[i].in, body_cases[i].len, &r);
		if (r.len != body_cases[i].outlen ||
		    (r.len > 0 && memcmp(r.data, body_cases[i].out,
		    r.len) != 0))
			fail_msg("%s: reference got \"%s\"",
			    body_cases[i].name, r.data != NULL ? r.data : "");
	}
	buf_free(&b);
	buf_free(&r);
}

/*
 * Bodies and fields canonicalised by dkim__canon_* and by the reference:
 * awkward octets at every offset of the body loop's 8-octet words, then
 * random ones drawn mostly from WSP, CR, LF and CRLF, and lines far
 * longer than the sink's buffer.
 */
static void
test_canon_random(void **state)
{
	static const char *const bits[] = {
		"a", "b", " ", "  ", "\t", "\r\n", "\r\n", "\r\n\r\n", "\r",
		"\n", "\xc3\xa9", ".", "From ", " \t ", ":"
	};
	static const char *const patterns[] = {
		" ", "  ", " \t", "\t", " \r\n", "\r\n", "\r\n\r\n", " \r\n ",
		"\r", " \r", " \n", "\n", " \x01", "\x01", " \xe9", "\xe9 ",
		"\x7f  ", " \x1f ", "\t\t\t\t\t\t\t\t\t", "        x",
	};
	struct buf		 in = BUF_INITIALIZER(1 << 20);
	struct buf		 got = BUF_INITIALIZER(1 << 20);
	struct buf		 want = BUF_INITIALIZER(1 << 20);
	struct dkim__sink	 s;
	uint64_t		 rng = 8463;
	size_t			 iter, n, k, len;

	/*
	 * Each pattern at each offset from the start of the loop's 8-octet
	 * words, with ordinary octets around it.
	 */
	for (iter = 0; iter < ARRAY_LEN(patterns) * 24; iter++) {
		buf_reset(&in);
		for (n = 0; n < iter % 24; n++)
			assert_int_equal(buf_putc(&in, 'x'), 0);
		assert_int_equal(buf_puts(&in, patterns[iter / 24]), 0);
		assert_int_equal(buf_puts(&in, "yyyyyyyyyyyyyyyyy"), 0);
		assert_int_equal(buf_puts(&in, patterns[iter / 24]), 0);
		buf_reset(&got);
		dkim__sink_init(&s, buf_flush, &got);
		dkim__canon_body(&s, in.data, in.len);
		assert_int_equal(dkim__sink_finish(&s), 0);
		ref_body(in.data, in.len, &want);
		if (got.len != want.len ||
		    memcmp(got.data, want.data, got.len) != 0)
			fail_msg("pattern %zu at %zu: \"%s\" != \"%s\"",
			    iter / 24, iter % 24, got.data, want.data);
	}

	for (iter = 0; iter < 20000; iter++) {
		buf_reset(&in);
		len = rnd(&rng, iter % 100 == 0 ? 200 : 60);
		for (n = 0; n < len; n++) {
			if (iter % 100 == 0 && rnd(&rng, 4) == 0) {
				/* A run longer than DKIM__SINK_SIZE. */
				k = 1 + rnd(&rng, 3 * DKIM__SINK_SIZE);
				while (k-- > 0)
					assert_int_equal(buf_putc(&in,
					    rnd(&rng, 2) ? 'x' : ' '), 0);
				continue;
			}
			assert_int_equal(buf_puts(&in,
			    bits[rnd(&rng, ARRAY_LEN(bits))]), 0);
		}
		buf_reset(&got);
		dkim__sink_init(&s, buf_flush, &got);
		dkim__canon_body(&s, in.data != NULL ? in.data : "", in.len);
		assert_int_equal(dkim__sink_finish(&s), 0);
		ref_body(in.data != NULL ? in.data : "", in.len, &want);
		if (got.len != want.len || (got.len > 0 &&
		    memcmp(got.data, want.data, got.len) != 0))
			fail_msg("body %zu differs from the reference", iter);

		/* As a field: a name, then the same octets, folds only. */
		buf_reset(&in);
		assert_int_equal(buf_puts(&in, rnd(&rng, 2) ? "X-Test" :
		    "Subject \t"), 0);
		assert_int_equal(buf_putc(&in, ':'), 0);
		len = rnd(&rng, 40);
		for (n = 0; n < len; n++) {
			k = rnd(&rng, 6);
			assert_int_equal(buf_puts(&in, k == 0 ? "\r\n " :
			    k == 1 ? "\r\n\t" : bits[rnd(&rng, 5)]), 0);
		}
		buf_reset(&got);
		canon_field(in.data, in.len, &got);
		ref_field(in.data, in.len, &want);
		if (got.len != want.len ||
		    memcmp(got.data, want.data, got.len) != 0)
			fail_msg("field %zu: \"%s\" != \"%s\"", iter, got.data,
			    want.data);
	}
	buf_free(&in);
	buf_free(&got);
	buf_free(&want);
}

static void
test_header_len(void **state)
{
	size_t	 i, n;

	for (i = 0; i < ARRAY_LEN(hdrlen_cases); i++) {
		n = dkim__header_len(hdrlen_cases[i].msg, hdrlen_cases[i].len);
		if (n != hdrlen_cases[i].want)
			fail_msg("%s: %zd, not %zd", hdrlen_cases[i].name,
			    (ssize_t)n, (ssize_t)hdrlen_cases[i].want);
	}
}

static void
test_select(void **state)
{
	const struct select_case	*c;
	struct dkim__hset		 hs;
	struct dkim__sink		 s;
	struct buf			 b = BUF_INITIALIZER(1 << 16);
	struct clr_err			 err;
	const char			*names[DKIM__MAX_HEADERS];
	char				 store[1024];
	size_t				 i, n;

	for (i = 0; i < ARRAY_LEN(select_cases); i++) {
		c = &select_cases[i];
		n = split_names(c->hlist, names, ARRAY_LEN(names), store,
		    sizeof(store));
		if (dkim__hset_init(&hs, names, n, &err) != 0)
			fail_msg("%s: %s", c->name, err.msg);
		buf_reset(&b);
		dkim__sink_init(&s, buf_flush, &b);
		dkim__canon_headers(&hs, c->hdr, strlen(c->hdr), &s);
		assert_int_equal(dkim__sink_finish(&s), 0);
		if (strcmp(b.data != NULL ? b.data : "", c->out) != 0)
			fail_msg("%s: got \"%s\"", c->name,
			    b.data != NULL ? b.data : "");
	}
	buf_free(&b);
}

static int
failing_flush(void *arg, const void *p, size_t n)
{
	(*(int *)arg)++;
	return CLR_EIO;
}

/* A flush error sticks, and runs longer than the buffer go straight on. */
static void
test_sink(void **state)
{
	struct dkim__sink	 s;
	struct buf		 b = BUF_INITIALIZER(1 << 20);
	char			 big[3 * DKIM__SINK_SIZE];
	int			 calls = 0;

	dkim__sink_init(&s, failing_flush, &calls);
	dkim__sink_put(&s, "abc", 3);
	assert_int_equal(calls, 0);
	dkim__sink_put(&s, big, sizeof(big));
	assert_int_equal(calls, 1);
	dkim__sink_put(&s, big, sizeof(big));
	assert_int_equal(dkim__sink_finish(&s), CLR_EIO);
	assert_int_equal(calls, 1);

	memset(big, 'x', sizeof(big));
	dkim__sink_init(&s, buf_flush, &b);
	dkim__sink_put(&s, "ab", 2);
	dkim__sink_put(&s, big, sizeof(big));
	dkim__sink_put(&s, big, DKIM__SINK_SIZE - 1);
	dkim__sink_put(&s, "", 0);
	dkim__sink_put(&s, "c", 1);
	assert_int_equal(dkim__sink_finish(&s), 0);
	assert_int_equal(b.len, 2 + sizeof(big) + DKIM__SINK_SIZE);
	assert_memory_equal(b.data, "ab", 2);
	assert_int_equal(b.data[b.len - 1], 'c');
	buf_free(&b);
}

/* Refusals leave out as it was; output is appended. */
static void
test_sign_errors(void **state)
{
	static const char *const h[] = { "from" };
	static const char	 good[] = "From: a@example.org\r\n\r\nx\r\n";
	struct dkim_signer	*s;
	struct dkim_key		*key;
	struct clr_err		 err;
	struct buf		 out = BUF_INITIALIZER(1 << 16);
	struct buf		 small = BUF_INITIALIZER(100);
	char			 path[PATH_MAX + 256];

	snprintf(path, sizeof(path), "%s", test_path("errors.pem"));
	copy_key("rfc8463/ed25519-brisbane.pkcs8.pem", path, 0600);
	key = dkim_key_load(path, 0, &err);
	assert_non_null(key);
	s = signer_for(key, "example.org", "s", NULL, h, 1);

	assert_int_equal(buf_puts(&out, "kept"), 0);
	assert_int_equal(dkim_sign(s, S("From: a\r\nSubject: b\r\nbody"), 1,
	    &out, &err), CLR_ESYNTAX);
	assert_non_null(strstr(err.msg, "no empty line between its header "
	    "and body"));
	assert_int_equal(dkim_sign(s, S("From: a\n\nbody\n"), 1, &out, &err),
	    CLR_ESYNTAX);
	assert_int_equal(dkim_sign(s, NULL, 0, 1, &out, &err), CLR_ESYNTAX);
	assert_int_equal(dkim_sign(s, S(good), -1, &out, &err), CLR_EINVAL);
	assert_int_equal(dkim_sign(s, S(good), INT64_C(1000000000000), &out,
	    &err), CLR_EINVAL);
	assert_non_null(strstr(err.msg, "t=1000000000000"));
	assert_int_equal(dkim_sign(s, S(good), 1, &small, &err), CLR_ETOOBIG);
	assert_int_equal(small.len, 0);
	assert_non_null(strstr(err.msg, "no room for the DKIM-Signature"));
	assert_string_equal(out.data, "kept");

	assert_int_equal(dkim_sign(s, S(good), INT64_C(999999999999), &out,
	    &err), 0);
	assert_memory_equal(out.data, "keptDKIM-Signature: ", 20);
	check_folded(out.data + 4, out.len - 4);
	assert_non_null(strstr(out.data, " t=999999999999;"));
	/* A header section with no fields, and a body only. */
	buf_reset(&out);
	sign_one(s, S("\r\nbody\r\n"), 0, &out);
	check_folded(out.data, out.len);

	buf_free(&out);
	buf_free(&small);
	dkim_signer_free(s);
	dkim_key_free(key);
	unlink(path);
}

/*
 * bh= is the SHA-256 of the reference canonical body, for the table's
 * bodies and random ones: the signer canonicalises as it hashes.
 */
static void
test_sign_body_hash(void **state)
{
	static const char *const h[] = { "from", "subject" };
	struct dkim_signer	*s;
	struct dkim_key		*key;
	struct clr_err		 err;
	struct buf		 msg = BUF_INITIALIZER(1 << 20);
	struct buf		 out = BUF_INITIALIZER(1 << 16);
	struct buf		 ref = BUF_INITIALIZER(1 << 20);
	struct tags		 t;
	unsigned char		 md[32];
	unsigned int		 mdlen;
	uint64_t		 rng = 6376;
	char			 path[PATH_MAX + 256], *want;
	size_t			 i, k, n;

	snprintf(path, sizeof(path), "%s", test_path("bh.pem"));
	copy_key("rfc8463/ed25519-brisbane.pkcs8.pem", path, 0600);
	key = dkim_key_load(path, 0, &err);
	assert_non_null(key);
	s = signer_for(key, "example.org", "s", NULL, h, 2);
	for (i = 0; i < ARRAY_LEN(body_cases) + 200; i++) {
		buf_reset(&msg);
		assert_int_equal(buf_puts(&msg, "From: a@example.org\r\n"
		    "Subject: x\r\n\r\n"), 0);
		if (i < ARRAY_LEN(body_cases)) {
			assert_int_equal(buf_append(&msg, body_cases[i].in,
			    body_cases[i].len), 0);
		} else {
			n = rnd(&rng, 30000);
			for (k = 0; k < n; k++)
				assert_int_equal(buf_putc(&msg,
				    " \t\r\nab"[rnd(&rng, 6)]), 0);
		}
		buf_reset(&out);
		sign_one(s, msg.data, msg.len, 1, &out);
		parse_tags(out.data, out.len - 2, &t);
		k = dkim__header_len(msg.data, msg.len) + 2;
		ref_body(msg.data + k, msg.len - k, &ref);
		assert_int_equal(EVP_Digest(ref.data != NULL ? ref.data : "",
		    ref.len, md, &mdlen, EVP_sha256(), NULL), 1);
		want = b64(md, mdlen);
		assert_string_equal(tag(&t, "bh"), want);
		if (ref.len == 0)
			assert_string_equal(tag(&t, "bh"), EMPTY_BH);
		free(want);
	}
	buf_free(&msg);
	buf_free(&out);
	buf_free(&ref);
	dkim_signer_free(s);
	dkim_key_free(key);
	unlink(path);
}

/* The longest d=, s=, i= and h= still fold into valid lines. */
static void
test_sign_long_tags(void **state)
{
	static const char	 l63[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	static const char	 name64[] = "X-Very-Long-Header-Name-For-"
	    "Folding-Tests-Of-Sixty-Four-Octets--";
	struct dkim_signer	*s;
	struct dkim_key		*key;
	struct clr_err		 err;
	struct buf		 out = BUF_INITIALIZER(1 << 16);
	struct tags		 t;
	const char		*names[DKIM__MAX_HEADERS];
	char			 dom[300], id[600], path[PATH_MAX + 256];
	size_t			 i;

	assert_int_equal(strlen(l63), 63);
	assert_int_equal(strlen(name64), 64);
	snprintf(dom, sizeof(dom), "%s.%s.%s.%.61s", l63, l63, l63, l63);
	assert_int_equal(strlen(dom), 253);
	snprintf(id, sizeof(id), "%.32s%.32s@%s", l63, "===============-"
	    "================", dom);
	names[0] = "from";
	for (i = 1; i < DKIM__MAX_HEADERS; i++)
		names[i] = name64;

	snprintf(path, sizeof(path), "%s", test_path("long.pem"));
	write_pem(path, shared_key(1), PEM_PKCS8, 0600);
	key = dkim_key_load(path, 0, &err);
	assert_non_null(key);
	s = signer_for(key, dom, dom, id, names, DKIM__MAX_HEADERS);
	sign_one(s, S("From: a\r\n\r\n"), 1, &out);
	check_folded(out.data, out.len);
	parse_tags(out.data, out.len - 2, &t);
	assert_string_equal(tag(&t, "d"), dom);
	assert_non_null(strstr(tag(&t, "i"), "=3D=3D=3D"));
	assert_int_equal(strlen(tag(&t, "b")), 344);	/* RSA-2048 */
	buf_free(&out);
	dkim_signer_free(s);
	dkim_key_free(key);
	unlink(path);
}

/* Every allocation failure is reported as CLR_ENOMEM, and leaks nothing. */
static void
test_enomem(void **state)
{
	static const char *const h[] = { "from", "to", "from" };
	struct dkim_params	 p = { "example.org", "s", "x=y@example.org",
	    h, 3 };
	struct dkim_signer	*s = NULL;
	struct dkim_key		*key = NULL;
	struct clr_err		 err;
	struct buf		 out;
	char			 path[PATH_MAX + 256];
	long			 n;

	snprintf(path, sizeof(path), "%s", test_path("enomem.pem"));
	copy_key("rfc8463/ed25519-brisbane.pkcs8.pem", path, 0600);
	for (n = 0; key == NULL; n++) {
		test_fail_after(n);
		key = dkim_key_load(path, 0, &err);
		test_restore_allocator(NULL);
		if (key == NULL)
			assert_int_equal(err.code, CLR_ENOMEM);
	}
	for (n = 0; s == NULL; n++) {
		test_fail_after(n);
		s = dkim_signer_new(key, &p, &err);
		test_restore_allocator(NULL);
		if (s == NULL)
			assert_int_equal(err.code, CLR_ENOMEM);
	}
	assert_true(n > 3);
	buf_init(&out, 1 << 16);
	test_fail_after(0);
	assert_int_equal(dkim_sign(s, S("From: a\r\n\r\n"), 1, &out, &err),
	    CLR_ENOMEM);
	test_restore_allocator(NULL);
	assert_int_equal(out.len, 0);
	buf_free(&out);
	dkim_signer_free(s);
	dkim_key_free(key);
	unlink(path);
}

static void *
thread_main(void *arg)
{
	struct thread_arg	*a = arg;
	struct buf		 out = BUF_INITIALIZER(1 << 16);
	struct clr_err		 err;
	int			 r;
	size_t			 i;

	for (r = 0; r < a->rounds; r++) {
		for (i = 0; i < a->nmsgs; i++) {
			buf_reset(&out);
			if (dkim_sign(a->signer, a->msgs[i], a->lens[i], 7,
			    &out, &err) != 0 || out.len != a->want[i].len ||
			    memcmp(out.data, a->want[i].data, out.len) != 0)
				a->bad++;
		}
	}
	buf_free(&out);
	return NULL;
}

/* Several threads on one signer give what one thread gives. */
static void
test_threads(void **state)
{
	static const char *const h[] = { "from", "to", "subject", "from" };
	static const char *const msgs[] = {
		"From: a@example.org\r\nTo: b@example.net\r\n\r\nHi.\r\n",
		"From: a@example.org\r\nSubject: x  y\r\n\r\n\r\n",
		"To: c\r\nFrom: a\r\nFrom: b\r\n\r\n a \t b \r\n\r\n",
		"\r\n",
	};
	size_t			 lens[ARRAY_LEN(msgs)];
	struct buf		 want[ARRAY_LEN(msgs)];
	struct thread_arg	 args[4];
	pthread_t		 tid[4];
	struct dkim_signer	*s;
	struct dkim_key		*key;
	struct clr_err		 err;
	char			 path[PATH_MAX + 256];
	size_t			 i, k;
	int			 rsa;

	for (rsa = 0; rsa < 2; rsa++) {
		snprintf(path, sizeof(path), "%s", test_path("threads.pem"));
		write_pem(path, shared_key(rsa), PEM_PKCS8, 0600);
		key = dkim_key_load(path, 0, &err);
		assert_non_null(key);
		s = signer_for(key, "example.org", "s", "@example.org", h,
		    ARRAY_LEN(h));
		for (i = 0; i < ARRAY_LEN(msgs); i++) {
			lens[i] = strlen(msgs[i]);
			buf_init(&want[i], 1 << 16);
			sign_one(s, msgs[i], lens[i], 7, &want[i]);
		}
		for (k = 0; k < ARRAY_LEN(tid); k++) {
			args[k].signer = s;
			args[k].msgs = msgs;
			args[k].lens = lens;
			args[k].want = want;
			args[k].nmsgs = ARRAY_LEN(msgs);
			args[k].rounds = rsa ? 10 : 100;
			args[k].bad = 0;
			assert_int_equal(pthread_create(&tid[k], NULL,
			    thread_main, &args[k]), 0);
		}
		for (k = 0; k < ARRAY_LEN(tid); k++) {
			assert_int_equal(pthread_join(tid[k], NULL), 0);
			assert_int_equal(args[k].bad, 0);
		}
		for (i = 0; i < ARRAY_LEN(msgs); i++)
			buf_free(&want[i]);
		dkim_signer_free(s);
		dkim_key_free(key);
		unlink(path);
	}
}

/*
 * Message generator for test_python_dkim. Words mix ASCII, UTF-8 (Latin,
 * Cyrillic, CJK, Arabic, an emoji) and text that looks like DKIM tags.
 */
static const char *const gen_word_list[] = {
	"rights", "petition", "urgent", "action", "Droits", "humains",
	"\xc3\xa9galit\xc3\xa9", "libert\xc3\xa9", "\xd0\xbc\xd0\xb8\xd1\x80",
	"\xe5\xb9\xb3\xe5\x92\x8c", "\xd8\xad\xd9\x82\xd9\x88\xd9\x82",
	"\xf0\x9f\x95\x8a\xef\xb8\x8f", "sign", "today", "Stra\303\237e",
	"na\xc3\xafve", "--", "b=", "h=from;", "=?", "\"quoted\"", "(x)",
};

static const char *const gen_names[] = {
	"Amina Diallo", "Jos\xc3\xa9 Garc\303\255a", "Zo\xc3\xab Martin",
	"\xd0\x90\xd0\xbd\xd0\xbd\xd0\xb0", "\xe6\x9d\x8e\xe5\xa8\x9c",
	"Nguy\xe1\xbb\x85n V\xc4\x83n", "O'Brien", "M\xc3\xbcller, Hans",
};

/* Over-signed h= lists; each has from and subject. */
static const char *const gen_hlists[][16] = {
	{ "from", "to", "subject", "date", "message-id", "from", "subject",
	  "date" },
	{ "From", "To", "Subject", "Date", "Message-ID", "MIME-Version",
	  "Content-Type", "List-Unsubscribe", "From", "To", "Subject" },
	{ "from", "reply-to", "subject", "date", "to", "cc", "message-id",
	  "list-unsubscribe", "list-unsubscribe-post", "from", "reply-to",
	  "cc", "subject" },
	{ "from", "subject", "x-spaces", "received", "received", "received",
	  "received" },
	{ "subject", "from" },
};

static const char *const gen_ids[] = {
	NULL, "@" GEN_DOMAIN, "news@" GEN_DOMAIN,
	"bounce+a=b@mail." GEN_DOMAIN,
};

/* gen_words - n words; wsp: separate them with random runs of WSP. */
static void
gen_words(uint64_t *r, struct buf *b, size_t n, int wsp)
{
	static const char *const runs[] = { " ", "  ", "\t", " \t ", "   " };
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (i > 0)
			assert_int_equal(buf_puts(b, wsp ?
			    runs[rnd(r, ARRAY_LEN(runs))] : " "), 0);
		assert_int_equal(buf_puts(b,
		    gen_word_list[rnd(r, ARRAY_LEN(gen_word_list))]), 0);
	}
}

/* gen_subject - one Subject field of several kinds, CRLF included. */
static void
gen_subject(uint64_t *r, struct buf *b)
{
	struct buf	 w = BUF_INITIALIZER(1 << 16);
	char		*enc;
	size_t		 start, col, i;

	assert_int_equal(buf_puts(b, "Subject:"), 0);
	switch (rnd(r, 8)) {
	case 0:			/* plain */
		assert_int_equal(buf_putc(b, ' '), 0);
		gen_words(r, b, 2 + rnd(r, 6), 0);
		break;
	case 1:			/* encoded word, base64 */
	case 2:			/* encoded word, upper-case Q */
		gen_words(r, &w, 2 + rnd(r, 5), 0);
		if (rnd(r, 2)) {
			enc = b64((const unsigned char *)w.data, w.len);
			assert_int_equal(buf_printf(b, " =?UTF-8?B?%s?=",
			    enc), 0);
			free(enc);
		} else {
			assert_int_equal(buf_puts(b, " =?utf-8?Q?"), 0);
			for (i = 0; i < w.len; i++) {
				unsigned char	 c = (unsigned char)w.data[i];

				if (c == ' ')
					assert_int_equal(buf_putc(b, '_'), 0);
				else if (c < 0x80 && c != '=' && c != '?' &&
				    c != '_' && c > ' ')
					assert_int_equal(buf_putc(b, c), 0);
				else
					assert_int_equal(buf_printf(b, "=%02X",
					    c), 0);
			}
			assert_int_equal(buf_puts(b, "?="), 0);
		}
		break;
	case 3:			/* long, folded at 70 */
		start = b->len;
		for (i = 0; i < 30 + rnd(r, 30); i++) {
			col = b->len - start;
			if (col > 70) {
				assert_int_equal(buf_puts(b, "\r\n"), 0);
				start = b->len;
			}
			assert_int_equal(buf_putc(b, ' '), 0);
			gen_words(r, b, 1, 0);
		}
		break;
	case 4:			/* long, not folded, up to 990 octets */
		start = b->len;
		while (b->len - start < 900) {
			assert_int_equal(buf_putc(b, ' '), 0);
			gen_words(r, b, 1, 0);
		}
		break;
	case 5:			/* WSP runs, at the ends too */
		assert_int_equal(buf_puts(b, " \t "), 0);
		gen_words(r, b, 3 + rnd(r, 5), 1);
		assert_int_equal(buf_puts(b, " \t"), 0);
		break;
	case 6:			/* folded with tabs, WSP around the folds */
		assert_int_equal(buf_putc(b, ' '), 0);
		gen_words(r, b, 2, 0);
		assert_int_equal(buf_puts(b, " \r\n\t"), 0);
		gen_words(r, b, 2, 0);
		assert_int_equal(buf_puts(b, "\r\n\t  "), 0);
		gen_words(r, b, 2, 1);
		break;
	default:		/* empty */
		break;
	}
	assert_int_equal(buf_puts(b, "\r\n"), 0);
	buf_free(&w);
}

/*
 * gen_header - the header section of message i: Received fields first,
 * then the others in a random order, then the empty line.
 */
static void
gen_header(uint64_t *r, size_t i, struct buf *b)
{
	struct buf	 f[12];	/* at most 11 fields */
	struct buf	 tmp;
	size_t		 n = 0, k, j, nto;
	char		*enc;

	for (k = rnd(r, 4); k > 0; k--)
		assert_int_equal(buf_printf(b, "Received: from relay%zu."
		    "example.net (relay%zu.example.net [192.0.2.%zu])\r\n\tby "
		    "mx.%s; Mon, 1 Jan 2024 12:00:%02zu +0000\r\n", k, k, k,
		    GEN_DOMAIN, k), 0);
	for (k = 0; k < ARRAY_LEN(f); k++)
		buf_init(&f[k], 1 << 16);

	switch (rnd(r, 4)) {
	case 0:
		assert_int_equal(buf_printf(&f[n++], "From: \"%s\" <news@%s>"
		    "\r\n", gen_names[rnd(r, ARRAY_LEN(gen_names))],
		    GEN_DOMAIN), 0);
		break;
	case 1:
		tmp = (struct buf)BUF_INITIALIZER(1 << 10);
		assert_int_equal(buf_puts(&tmp,
		    gen_names[rnd(r, ARRAY_LEN(gen_names))]), 0);
		enc = b64((const unsigned char *)tmp.data, tmp.len);
		assert_int_equal(buf_printf(&f[n++], "From: =?UTF-8?B?%s?= "
		    "<actions@%s>\r\n", enc, GEN_DOMAIN), 0);
		free(enc);
		buf_free(&tmp);
		break;
	case 2:
		assert_int_equal(buf_printf(&f[n++], "From: actions@%s\r\n",
		    GEN_DOMAIN), 0);
		break;
	default:
		assert_int_equal(buf_printf(&f[n++], "From:   %s\t <a@%s> "
		    "\r\n", gen_names[rnd(r, ARRAY_LEN(gen_names))],
		    GEN_DOMAIN), 0);
		break;
	}
	nto = 1 + rnd(r, 3);
	assert_int_equal(buf_puts(&f[n], "To:"), 0);
	for (k = 0; k < nto; k++)
		assert_int_equal(buf_printf(&f[n], "%s %s <rcpt%zu.%zu@"
		    "example.net>", k > 0 ? ",\r\n" : "",
		    gen_names[rnd(r, ARRAY_LEN(gen_names))], i, k), 0);
	assert_int_equal(buf_puts(&f[n++], "\r\n"), 0);
	gen_subject(r, &f[n++]);
	assert_int_equal(buf_printf(&f[n++], "Date: Mon, %zu Jan 2024 "
	    "12:%02zu:%02zu +0100\r\n", 1 + i % 28, i % 60, (i / 60) % 60),
	    0);
	assert_int_equal(buf_printf(&f[n++], "Message-ID: <%zu.%016" PRIx64
	    "@%s>\r\n", i, rng_next(r), GEN_DOMAIN), 0);
	if (rnd(r, 2)) {
		assert_int_equal(buf_puts(&f[n++], "MIME-Version: 1.0\r\n"),
		    0);
		assert_int_equal(buf_puts(&f[n++], "Content-Type: text/plain;"
		    "\r\n charset=utf-8; format=flowed\r\n"), 0);
	}
	if (rnd(r, 2)) {
		assert_int_equal(buf_printf(&f[n], "List-Unsubscribe: <https:"
		    "//%s/u/", GEN_DOMAIN), 0);
		for (k = 0; k < 120; k++)
			assert_int_equal(buf_putc(&f[n],
			    "abcdefghijklmnopqrstuvwxyz0123456789"[rnd(r, 36)]),
			    0);
		assert_int_equal(buf_printf(&f[n++], ">,\r\n <mailto:unsub-"
		    "%zu@%s?subject=unsubscribe>\r\n", i, GEN_DOMAIN), 0);
		if (rnd(r, 2))
			assert_int_equal(buf_puts(&f[n++],
			    "List-Unsubscribe-Post: List-Unsubscribe=One-Click"
			    "\r\n"), 0);
	}
	if (rnd(r, 3) == 0)
		assert_int_equal(buf_printf(&f[n++], "Reply-To: <help@%s>\r\n",
		    GEN_DOMAIN), 0);
	if (rnd(r, 3) == 0)
		assert_int_equal(buf_puts(&f[n++], "X-Spaces:   a  \t b   "
		    "\r\n \t c\t\r\n"), 0);

	/* Shuffle the fields: signing must not depend on their order. */
	for (k = n; k > 1; k--) {
		j = rnd(r, k);
		tmp = f[k - 1];
		f[k - 1] = f[j];
		f[j] = tmp;
	}
	for (k = 0; k < n; k++)
		assert_int_equal(buf_append(b, f[k].data, f[k].len), 0);
	for (k = 0; k < ARRAY_LEN(f); k++)
		buf_free(&f[k]);
	assert_int_equal(buf_puts(b, "\r\n"), 0);
}

/* gen_body - a body of one of several shapes, its lines CRLF-ended. */
static void
gen_body(uint64_t *r, struct buf *b)
{
	size_t	 n, k, start;

	switch (rnd(r, 10)) {
	case 0:
		return;				/* empty */
	case 1:
		assert_int_equal(buf_puts(b, "\r\n"), 0);
		return;
	case 2:
		assert_int_equal(buf_puts(b, "\r\n \r\n\t\r\n\r\n"), 0);
		return;
	}
	for (n = 1 + rnd(r, 40); n > 0; n--) {
		start = b->len;
		switch (rnd(r, 11)) {
		case 0:			/* long line, up to 998 octets */
			k = 200 + rnd(r, 790);
			while (b->len - start < k) {
				gen_words(r, b, 1, 0);
				assert_int_equal(buf_putc(b, ' '), 0);
			}
			buf_truncate(b, start + (b->len - start > 998 ?
			    998 : b->len - start));
			break;
		case 1:
			assert_int_equal(buf_puts(b, "From the field: "), 0);
			gen_words(r, b, 4, 0);
			break;
		case 2:
			assert_int_equal(buf_puts(b, rnd(r, 2) ? "." : ".."),
			    0);
			if (rnd(r, 2))
				gen_words(r, b, 3, 0);
			break;
		case 3:
			break;		/* empty line */
		case 4:
			assert_int_equal(buf_puts(b, " \t  "), 0);
			break;
		case 5:
			gen_words(r, b, 5, 0);
			assert_int_equal(buf_puts(b, "  \t"), 0);
			break;
		case 6:
			gen_words(r, b, 6, 1);
			break;
		case 7:
			assert_int_equal(buf_puts(b, "    "), 0);
			gen_words(r, b, 3, 0);
			break;
		case 8:
			for (k = 0; k < 76; k++)
				assert_int_equal(buf_putc(b, "ABCDEFGHIJKLMN"
				    "OPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123"
				    "456789+/"[rnd(r, 64)]), 0);
			break;
		default:
			gen_words(r, b, 1 + rnd(r, 12), 0);
			break;
		}
		assert_int_equal(buf_puts(b, "\r\n"), 0);
	}
	for (n = rnd(r, 4); n > 0; n--)
		assert_int_equal(buf_puts(b, rnd(r, 3) ? "\r\n" : " \r\n"), 0);
}

/* tamper_body - change one letter or digit of the body; 0 if none. */
static int
tamper_body(char *m, size_t len)
{
	size_t	 i;

	i = dkim__header_len(m, len) + 2;
	for (; i < len; i++) {
		if (isalnum((unsigned char)m[i])) {
			m[i] = m[i] == 'a' ? 'b' : 'a';
			return 1;
		}
	}
	return 0;
}

/* tamper_field - change one letter or digit of a field's value. */
static int
tamper_field(char *m, size_t len, const char *name)
{
	char	 pat[64];
	char	*p, *end;
	size_t	 hl;

	hl = dkim__header_len(m, len);
	snprintf(pat, sizeof(pat), "\r\n%s:", name);
	m[hl] = '\0';
	p = strstr(m, pat);
	m[hl] = '\r';
	if (p == NULL)
		return 0;
	p += strlen(pat);
	end = m + hl;
	for (; p < end && !(p[0] == '\r' && p[1] == '\n' && p[2] != ' ' &&
	    p[2] != '\t'); p++) {
		if (isalnum((unsigned char)*p)) {
			*p = *p == 'a' ? 'b' : 'a';
			return 1;
		}
	}
	return 0;
}

static void
test_python_dkim(void **state)
{
	struct dkim_signer	*signers[2][ARRAY_LEN(gen_ids)]
				    [ARRAY_LEN(gen_hlists)];
	struct dkim_key		*keys[2];
	struct clr_err		 err;
	struct buf		 msg = BUF_INITIALIZER(1 << 20);
	struct buf		 out = BUF_INITIALIZER(1 << 20);
	struct buf		 dns = BUF_INITIALIZER(1 << 16);
	struct buf		 res = BUF_INITIALIZER(1 << 20);
	const char		*sel[2] = { "ed", "rsa" };
	unsigned char		 raw[64], *der = NULL;
	size_t			 rawlen, i, k, n, npass = 0, nfail = 0, nsig;
	size_t			 nbody = 0, nheader = 0;
	size_t			 sigs = 0, before;
	uint64_t		 rng = 20240101;
	char			 dir[PATH_MAX + 256], path[PATH_MAX + 320];
	char			 line[256], cmd[2 * PATH_MAX + 1024];
	char			*enc, *copy;
	int			 rsa, kind, derlen, status;
	FILE			*p;

	snprintf(dir, sizeof(dir), "%s", test_path("verify"));
	rm_folder(dir);
	assert_int_equal(mkdir(dir, 0700), 0);

	/* Keys made here, loaded back from PEM, published in dns.txt. */
	for (rsa = 0; rsa < 2; rsa++) {
		snprintf(path, sizeof(path), "%s/%s.key", dir, sel[rsa]);
		write_pem(path, shared_key(rsa), PEM_PKCS8, 0600);
		keys[rsa] = dkim_key_load(path, 0, &err);
		if (keys[rsa] == NULL)
			fail_msg("%s", err.msg);
		if (rsa) {
			derlen = i2d_PUBKEY(shared_key(1), &der);
			assert_true(derlen > 0);
			enc = b64(der, (size_t)derlen);
			OPENSSL_free(der);
		} else {
			rawlen = sizeof(raw);
			assert_int_equal(EVP_PKEY_get_raw_public_key(
			    shared_key(0), raw, &rawlen), 1);
			enc = b64(raw, rawlen);
		}
		assert_int_equal(buf_printf(&dns, "%s._domainkey.%s v=DKIM1; "
		    "k=%s; p=%s\n", sel[rsa], GEN_DOMAIN,
		    rsa ? "rsa" : "ed25519", enc), 0);
		free(enc);
		for (i = 0; i < ARRAY_LEN(gen_ids); i++) {
			for (k = 0; k < ARRAY_LEN(gen_hlists); k++) {
				for (n = 0; n < 16 &&
				    gen_hlists[k][n] != NULL; n++)
					;
				signers[rsa][i][k] = signer_for(keys[rsa],
				    GEN_DOMAIN, sel[rsa], gen_ids[i],
				    gen_hlists[k], n);
			}
		}
	}
	snprintf(path, sizeof(path), "%s/dns.txt", dir);
	write_file(path, dns.data, dns.len, 0600);

	for (i = 0; i < GEN_MESSAGES; i++) {
		buf_reset(&msg);
		gen_header(&rng, i, &msg);
		gen_body(&rng, &msg);
		buf_reset(&out);
		kind = (int)(i % 3);	/* Ed25519, RSA, both */
		nsig = kind == 2 ? 2 : 1;
		for (rsa = 0; rsa < 2; rsa++) {
			if (kind != 2 && kind != rsa)
				continue;
			before = out.len;
			sign_one(signers[rsa][rnd(&rng, ARRAY_LEN(gen_ids))]
			    [rnd(&rng, ARRAY_LEN(gen_hlists))], msg.data,
			    msg.len, INT64_C(1700000000) + (int64_t)i, &out);
			check_folded(out.data + before, out.len - before);
		}
		assert_int_equal(buf_append(&out, msg.data, msg.len), 0);
		snprintf(path, sizeof(path), "%s/%04zu.pass.eml", dir, i);
		write_file(path, out.data, out.len, 0600);
		npass++;
		sigs += nsig;
		if (i % GEN_TAMPER != 0)
			continue;
		copy = malloc(out.len + 1);
		assert_non_null(copy);
		memcpy(copy, out.data, out.len);
		if (tamper_body(copy, out.len)) {
			snprintf(path, sizeof(path), "%s/%04zu-body.fail.eml",
			    dir, i);
			write_file(path, copy, out.len, 0600);
			nbody++;
			sigs += nsig;
		}
		memcpy(copy, out.data, out.len);
		if (((i / GEN_TAMPER) % 2 == 0 &&
		    tamper_field(copy, out.len, "Subject")) ||
		    tamper_field(copy, out.len, "From")) {
			snprintf(path, sizeof(path), "%s/%04zu-header.fail.eml",
			    dir, i);
			write_file(path, copy, out.len, 0600);
			nheader++;
			sigs += nsig;
		}
		free(copy);
	}

	nfail = nbody + nheader;
	if (access(PYTHON, X_OK) != 0)
		fail_msg("%s is missing: install python3 and python3-dkim",
		    PYTHON);
	snprintf(cmd, sizeof(cmd), "%s '%s' '%s' 2>&1", PYTHON, VERIFY_PY,
	    dir);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p) != NULL)
		assert_int_equal(buf_puts(&res, line), 0);
	status = pclose(p);
	print_message("python3-dkim: %s", res.data != NULL ? res.data : "");
	snprintf(line, sizeof(line), "messages=%zu signatures=%zu pass=%zu "
	    "fail=%zu mismatches=0\n", npass + nfail, sigs, npass,
	    nfail);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
	    res.data == NULL || strstr(res.data, line) == NULL)
		fail_msg("dkim_verify.py (status %d) did not report: %s",
		    status, line);
	assert_true(npass >= 1000);
	/* Every tampered message has a changed header; most a body too. */
	assert_int_equal(nheader, GEN_MESSAGES / GEN_TAMPER);
	assert_true(nbody >= GEN_MESSAGES / GEN_TAMPER / 2);

	for (rsa = 0; rsa < 2; rsa++) {
		for (i = 0; i < ARRAY_LEN(gen_ids); i++)
			for (k = 0; k < ARRAY_LEN(gen_hlists); k++)
				dkim_signer_free(signers[rsa][i][k]);
		dkim_key_free(keys[rsa]);
	}
	buf_free(&msg);
	buf_free(&out);
	buf_free(&dns);
	buf_free(&res);
	rm_folder(dir);
}

static int
teardown(void **state)
{
	EVP_PKEY_free(gen_rsa);
	EVP_PKEY_free(gen_ed);
	gen_rsa = gen_ed = NULL;
	return test_teardown_tmp(state);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc8463),
		cmocka_unit_test(test_rfc8463_seed),
		cmocka_unit_test(test_key_load),
		cmocka_unit_test(test_params),
		cmocka_unit_test(test_canon_field),
		cmocka_unit_test(test_canon_body),
		cmocka_unit_test(test_canon_random),
		cmocka_unit_test(test_header_len),
		cmocka_unit_test(test_select),
		cmocka_unit_test(test_sink),
		cmocka_unit_test(test_sign_errors),
		cmocka_unit_test(test_sign_body_hash),
		cmocka_unit_test(test_sign_long_tags),
		cmocka_unit_test_teardown(test_enomem,
		    test_restore_allocator),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_python_dkim),
	};

	return cmocka_run_group_tests_name("dkim", tests, NULL, teardown);
}
