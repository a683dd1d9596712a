/* SPDX-License-Identifier: ISC */
/*
 * tests/unit/token_test.c - token: signed VERP and unsubscribe tokens
 *
 * Round trips for ids at the varint edges (0, 127, 128, 2^32, 2^63,
 * 2^64 - 1) and random ones; then everything token_check must refuse:
 * every single-character change (upper case aside, which is the same
 * token by design), every truncation, extensions, the other kind, another
 * key, 100,000 random strings, and, built here with a model of the format
 * and the real MAC, tokens that verify but are not canonical (a varint
 * with a redundant zero, a varint past 64 bits, an unknown version, an
 * octet left over, padding bits set). Key files: every refusal with its
 * message. That MACs are compared in constant time cannot be shown by a
 * unit test; token.c uses CRYPTO_memcmp for it.
 */
#include <sys/stat.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "testutil.h"
#include "token/token.h"
#include "util/err.h"

#define ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))

static uint64_t		 rnd(void);
static int		 same_letter(char, char);
static void		 roundtrip_one(const struct token_key *, uint64_t,
			    uint64_t, size_t *, size_t *);
static struct token_key	*test_key(unsigned char);
static size_t		 model_token(const unsigned char *, size_t, int,
			    char *);
static void		 write_key(const char *, size_t, mode_t);
static void		 expect_load_error(const char *, int, const char *);

static void	 test_roundtrip(void **);
static void	 test_single_changes(void **);
static void	 test_truncate_extend(void **);
static void	 test_kinds_and_keys(void **);
static void	 test_canonical(void **);
static void	 test_random_strings(void **);
static void	 test_key_new(void **);
static void	 test_key_load(void **);
static void	 test_enomem(void **);

static const uint64_t	 edge_ids[] = {
	0, 1, 2, 127, 128, 255, 16383, 16384, UINT64_C(2097151),
	UINT64_C(4294967295), UINT64_C(4294967296), UINT64_C(1) << 56,
	(UINT64_C(1) << 63) - 1, UINT64_C(1) << 63, UINT64_MAX - 1,
	UINT64_MAX
};

static uint64_t		 rnd_state = UINT64_C(0x2545F4914F6CDD1D);

static uint64_t
rnd(void)
{
	return test_rnd(&rnd_state);
}

/* same_letter - a and b are the same character, ignoring ASCII case. */
static int
same_letter(char a, char b)
{
	if (a >= 'A' && a <= 'Z')
		a = (char)(a - 'A' + 'a');
	if (b >= 'A' && b <= 'Z')
		b = (char)(b - 'A' + 'a');
	return a == b;
}

/* test_key - a 32-byte key of bytes seed, seed + 1, ... */
static struct token_key *
test_key(unsigned char seed)
{
	unsigned char		 k[32];
	struct token_key	*key;
	size_t			 i;

	for (i = 0; i < sizeof(k); i++)
		k[i] = (unsigned char)(seed + i);
	key = token_key_new(k, sizeof(k));
	assert_non_null(key);
	return key;
}

/*
 * model_token - the format as token.c documents it, written again here:
 * base32 of body[0..n) followed by the truncated HMAC-SHA256, under the
 * key of test_key(1), of "clarion-token" NUL, the tag, and body. So a
 * test can make tokens with a valid MAC over any octets.
 */
static size_t
model_token(const unsigned char *body, size_t n, int tag, char *out)
{
	static const char	 b32[] = "abcdefghijklmnopqrstuvwxyz234567";
	unsigned char		 k[32], in[128], t[128], md[EVP_MAX_MD_SIZE];
	unsigned int		 mdlen;
	uint32_t		 acc = 0;
	size_t			 i, o = 0;
	int			 bits = 0;

	for (i = 0; i < sizeof(k); i++)
		k[i] = (unsigned char)(1 + i);
	memcpy(in, "clarion-token", 14);
	in[14] = (unsigned char)tag;
	memcpy(in + 15, body, n);
	assert_non_null(HMAC(EVP_sha256(), k, (int)sizeof(k), in, 15 + n, md,
	    &mdlen));
	memcpy(t, body, n);
	memcpy(t + n, md, TOKEN_MAC_BYTES);
	n += TOKEN_MAC_BYTES;
	for (i = 0; i < n; i++) {
		acc = (acc << 8) | t[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[o++] = b32[(acc >> bits) & 0x1F];
		}
	}
	if (bits > 0)
		out[o++] = b32[(acc << (5 - bits)) & 0x1F];
	out[o] = '\0';
	return o;
}

/*
 * roundtrip_one - make (a, b) of each kind: the token is lower-case
 * base32 of the right length, verifies with its ids, is the same when
 * made again, verifies in upper case too, and not as the other kind.
 */
static void
roundtrip_one(const struct token_key *key, uint64_t a, uint64_t b,
    size_t *minlen, size_t *maxlen)
{
	static const enum token_kind	 kinds[] = {
		TOKEN_VERP, TOKEN_UNSUBSCRIBE
	};
	char				 tok[TOKEN_MAX + 1];
	char				 again[TOKEN_MAX + 1];
	uint64_t			 ca, co;
	size_t				 j, k, len;

	for (k = 0; k < ARRAY_LEN(kinds); k++) {
		assert_int_equal(token_make(key, kinds[k], a, b, tok), 0);
		len = strlen(tok);
		assert_true(len >= 21 && len <= 50 && len <= TOKEN_MAX);
		assert_int_equal(strspn(tok,
		    "abcdefghijklmnopqrstuvwxyz234567"), len);
		ca = co = 42;
		assert_int_equal(token_check(key, kinds[k], tok, len, &ca,
		    &co), 0);
		assert_true(ca == a && co == b);
		assert_int_equal(token_make(key, kinds[k], a, b, again), 0);
		assert_string_equal(tok, again);
		for (j = 0; j < len; j++)
			again[j] = (char)(tok[j] >= 'a' ? tok[j] - 'a' + 'A' :
			    tok[j]);
		ca = co = 42;
		assert_int_equal(token_check(key, kinds[k], again, len, &ca,
		    &co), 0);
		assert_true(ca == a && co == b);
		assert_int_equal(token_check(key, kinds[1 - k], tok, len,
		    NULL, NULL), CLR_EINVAL);
		if (len < *minlen)
			*minlen = len;
		if (len > *maxlen)
			*maxlen = len;
	}
}

static void
test_roundtrip(void **state)
{
	struct token_key	*key = test_key(1);
	char			 tok[TOKEN_MAX + 1];
	size_t			 i, j, minlen = 99, maxlen = 0;
	int			 n;

	for (i = 0; i < ARRAY_LEN(edge_ids); i++)
		for (j = 0; j < ARRAY_LEN(edge_ids); j++)
			roundtrip_one(key, edge_ids[i], edge_ids[j], &minlen,
			    &maxlen);
	/* The extremes: 13 and 31 octets. */
	assert_int_equal(minlen, 21);
	assert_int_equal(maxlen, 50);
	for (n = 0; n < 10000; n++)
		roundtrip_one(key, rnd() >> (rnd() % 64),
		    rnd() >> (rnd() % 64), &minlen, &maxlen);

	/* Both pointers may be NULL. */
	assert_int_equal(token_make(key, TOKEN_VERP, 5, 6, tok), 0);
	assert_int_equal(token_check(key, TOKEN_VERP, tok, strlen(tok), NULL,
	    NULL), 0);
	token_key_free(key);
}

/*
 * Every position, every other character: refused, and the ids are not
 * written. Changing a letter's case is not a change.
 */
static void
test_single_changes(void **state)
{
	static const char	 chars[] = "abcdefghijklmnopqrstuvwxyz234567"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ018 9=-_.+/@\t\r\n\x7f\x80\xff";
	struct token_key	*key = test_key(1);
	char			 tok[TOKEN_MAX + 1], t[TOKEN_MAX + 1];
	uint64_t		 ca, co;
	size_t			 i, p, c, len, tried = 0;

	for (i = 0; i < ARRAY_LEN(edge_ids); i++) {
		assert_int_equal(token_make(key, TOKEN_UNSUBSCRIBE,
		    edge_ids[i], edge_ids[i] ^ 0x5555, tok), 0);
		len = strlen(tok);
		for (p = 0; p < len; p++) {
			for (c = 0; c < sizeof(chars); c++) {
				memcpy(t, tok, len + 1);
				t[p] = chars[c];	/* the last is NUL */
				if (same_letter(t[p], tok[p]))
					continue;
				ca = co = 7;
				assert_int_equal(token_check(key,
				    TOKEN_UNSUBSCRIBE, t, len, &ca, &co),
				    CLR_EINVAL);
				assert_true(ca == 7 && co == 7);
				tried++;
			}
		}
	}
	print_message("%zu changed tokens refused\n", tried);
	token_key_free(key);
}

static void
test_truncate_extend(void **state)
{
	static const char	 b32[] = "abcdefghijklmnopqrstuvwxyz234567";
	struct token_key	*key = test_key(1);
	char			 tok[TOKEN_MAX + 1], t[TOKEN_MAX + 8];
	size_t			 i, n, len, c, d;

	for (i = 0; i < ARRAY_LEN(edge_ids); i++) {
		assert_int_equal(token_make(key, TOKEN_VERP, edge_ids[i], 3,
		    tok), 0);
		len = strlen(tok);
		/* Every truncation, from the end and from the start. */
		for (n = 0; n < len; n++) {
			assert_int_equal(token_check(key, TOKEN_VERP, tok, n,
			    NULL, NULL), CLR_EINVAL);
			assert_int_equal(token_check(key, TOKEN_VERP,
			    tok + len - n, n, NULL, NULL), CLR_EINVAL);
		}
		/* One or two more characters of the alphabet, or garbage. */
		for (c = 0; c < 32; c++) {
			memcpy(t, tok, len);
			t[len] = b32[c];
			assert_int_equal(token_check(key, TOKEN_VERP, t,
			    len + 1, NULL, NULL), CLR_EINVAL);
			for (d = 0; d < 32; d++) {
				t[len + 1] = b32[d];
				assert_int_equal(token_check(key, TOKEN_VERP,
				    t, len + 2, NULL, NULL), CLR_EINVAL);
			}
		}
		memcpy(t, tok, len);
		memcpy(t + len, "\0", 1);
		assert_int_equal(token_check(key, TOKEN_VERP, t, len + 1, NULL,
		    NULL), CLR_EINVAL);
		memcpy(t + len, "@x", 2);
		assert_int_equal(token_check(key, TOKEN_VERP, t, len + 2, NULL,
		    NULL), CLR_EINVAL);
		/* Only t[0..len) is read. */
		assert_int_equal(token_check(key, TOKEN_VERP, t, len, NULL,
		    NULL), 0);
	}
	assert_int_equal(token_check(key, TOKEN_VERP, "", 0, NULL, NULL),
	    CLR_EINVAL);
	assert_int_equal(token_check(key, TOKEN_VERP, NULL, 0, NULL, NULL),
	    CLR_EINVAL);
	token_key_free(key);
}

/* Kind swaps, other keys, bad kinds, no key. */
static void
test_kinds_and_keys(void **state)
{
	struct token_key	*k1 = test_key(1), *k2 = test_key(2);
	char			 tok[TOKEN_MAX + 1];
	size_t			 i, len;

	for (i = 0; i < ARRAY_LEN(edge_ids); i++) {
		assert_int_equal(token_make(k1, TOKEN_VERP, edge_ids[i], i,
		    tok), 0);
		len = strlen(tok);
		assert_int_equal(token_check(k1, TOKEN_UNSUBSCRIBE, tok, len,
		    NULL, NULL), CLR_EINVAL);
		assert_int_equal(token_check(k2, TOKEN_VERP, tok, len, NULL,
		    NULL), CLR_EINVAL);
		assert_int_equal(token_make(k1, TOKEN_UNSUBSCRIBE,
		    edge_ids[i], i, tok), 0);
		assert_int_equal(token_check(k1, TOKEN_VERP, tok, len, NULL,
		    NULL), CLR_EINVAL);
		assert_int_equal(token_check(k2, TOKEN_UNSUBSCRIBE, tok, len,
		    NULL, NULL), CLR_EINVAL);
	}
	/* Not a kind. */
	tok[0] = 'x';
	assert_int_equal(token_make(k1, (enum token_kind)7, 1, 2, tok),
	    CLR_EINVAL);
	assert_string_equal(tok, "");
	assert_int_equal(token_make(NULL, TOKEN_VERP, 1, 2, tok), CLR_EINVAL);
	assert_int_equal(token_make(k1, TOKEN_VERP, 1, 2, tok), 0);
	assert_int_equal(token_check(k1, (enum token_kind)7, tok, strlen(tok),
	    NULL, NULL), CLR_EINVAL);
	assert_int_equal(token_check(NULL, TOKEN_VERP, tok, strlen(tok), NULL,
	    NULL), CLR_EINVAL);
	token_key_free(k1);
	token_key_free(k2);
}

/*
 * Tokens built by the model with a valid MAC. The first two are what
 * token_make writes and must pass, which shows the model is right; the
 * others are well signed but not canonical and must be refused.
 */
static void
test_canonical(void **state)
{
	static const struct {
		const char		*name;
		unsigned char		 body[24];
		size_t			 len;
		int			 tag;
		int			 ok;
	} cases[] = {
		{ "canonical (0, 0)", { 1, 0x00, 0x00 }, 3, 'V', 1 },
		{ "canonical (300, 2^64 - 1)", { 1, 0xAC, 0x02, 0xFF, 0xFF,
		    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01 }, 13, 'U',
		    1 },
		{ "redundant zero: 0 as 80 00", { 1, 0x80, 0x00, 0x00 }, 4,
		    'V', 0 },
		{ "redundant zero in the contact", { 1, 0x05, 0x85, 0x00 }, 4,
		    'V', 0 },
		{ "past 2^64: tenth octet 02", { 1, 0xFF, 0xFF, 0xFF, 0xFF,
		    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02, 0x00 }, 12, 'V', 0 },
		{ "eleven octets", { 1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
		    0x80, 0x80, 0x80, 0x81, 0x00, 0x00 }, 13, 'V', 0 },
		{ "version 0", { 0, 0x01, 0x02 }, 3, 'V', 0 },
		{ "version 2", { 2, 0x01, 0x02 }, 3, 'V', 0 },
		{ "an octet left over", { 1, 0x01, 0x02, 0x03 }, 4, 'V', 0 },
		{ "no contact", { 1, 0x01 }, 2, 'V', 0 },
		{ "unknown tag", { 1, 0x01, 0x02 }, 3, 'X', 0 },
	};
	struct token_key	*key = test_key(1);
	char			 tok[128];
	size_t			 i, len;
	uint64_t		 ca, co;

	for (i = 0; i < ARRAY_LEN(cases); i++) {
		print_message("canonical: %s\n", cases[i].name);
		len = model_token(cases[i].body, cases[i].len, cases[i].tag,
		    tok);
		assert_int_equal(token_check(key, cases[i].tag == 'U' ?
		    TOKEN_UNSUBSCRIBE : TOKEN_VERP, tok, len, &ca, &co),
		    cases[i].ok ? 0 : CLR_EINVAL);
	}
	/* The second case's ids, and what token_make writes for them. */
	len = model_token(cases[1].body, cases[1].len, 'U', tok);
	assert_int_equal(token_check(key, TOKEN_UNSUBSCRIBE, tok, len, &ca,
	    &co), 0);
	assert_true(ca == 300 && co == UINT64_MAX);
	{
		char	 made[TOKEN_MAX + 1];

		assert_int_equal(token_make(key, TOKEN_UNSUBSCRIBE, 300,
		    UINT64_MAX, made), 0);
		assert_string_equal(made, tok);
	}

	/*
	 * Padding bits: the last character of a 13-octet token carries one
	 * unused bit (21 * 5 = 105). Setting it changes no octet and the
	 * MAC still verifies, but it is a second spelling: refused.
	 */
	len = model_token(cases[0].body, cases[0].len, 'V', tok);
	assert_int_equal(len, 21);
	{
		static const char	 b32[] =
		    "abcdefghijklmnopqrstuvwxyz234567";
		const char		*p = strchr(b32, tok[20]);

		assert_non_null(p);
		assert_int_equal((p - b32) & 1, 0);
		tok[20] = b32[(p - b32) | 1];
		assert_int_equal(token_check(key, TOKEN_VERP, tok, len, NULL,
		    NULL), CLR_EINVAL);
	}
	token_key_free(key);
}

/* 100,000 random strings, mostly of the alphabet and of token lengths. */
static void
test_random_strings(void **state)
{
	static const char	 b32[] = "abcdefghijklmnopqrstuvwxyz234567";
	struct token_key	*key = test_key(1);
	char			 s[80];
	size_t			 len, i;
	int			 n;

	for (n = 0; n < 100000; n++) {
		len = (size_t)(rnd() % 72);
		for (i = 0; i < len; i++)
			s[i] = rnd() % 16 == 0 ? (char)rnd() :
			    b32[rnd() % 32];
		assert_int_equal(token_check(key, n % 2 ? TOKEN_VERP :
		    TOKEN_UNSUBSCRIBE, s, len, NULL, NULL), CLR_EINVAL);
	}
	token_key_free(key);
}

static void
test_key_new(void **state)
{
	unsigned char		 k[TOKEN_KEY_MIN + 1];
	struct token_key	*key;

	memset(k, 7, sizeof(k));
	assert_null(token_key_new(NULL, 32));
	assert_null(token_key_new(k, 0));
	assert_null(token_key_new(k, TOKEN_KEY_MIN - 1));
	key = token_key_new(k, TOKEN_KEY_MIN);
	assert_non_null(key);
	token_key_free(key);
	token_key_free(NULL);
}

/* write_key - n bytes (0, 1, 2, ...) to a file in the temporary folder. */
static void
write_key(const char *name, size_t n, mode_t mode)
{
	const char	*path = test_path(name);
	FILE		*f;
	size_t		 i;

	unlink(path);
	f = fopen(path, "wb");
	assert_non_null(f);
	for (i = 0; i < n; i++)
		assert_int_equal(fputc((int)(i & 0xFF), f), (int)(i & 0xFF));
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
}

static void
expect_load_error(const char *name, int code, const char *why)
{
	struct clr_err	 err;

	memset(&err, 0, sizeof(err));
	assert_null(token_key_load(test_path(name), &err));
	assert_int_equal(err.code, code);
	if (strstr(err.msg, why) == NULL)
		fail_msg("\"%s\" does not say \"%s\"", err.msg, why);
	/* The message names the file. */
	assert_non_null(strstr(err.msg, name));
}

static void
test_key_load(void **state)
{
	struct token_key	*a, *b;
	struct clr_err		 err;
	unsigned char		 bytes[64];
	char			 t1[TOKEN_MAX + 1], t2[TOKEN_MAX + 1];
	char			 target[PATH_MAX + 256];
	size_t			 i;

	/* Good: 0600 and 0400, 32 to 4096 bytes; same tokens as in memory. */
	write_key("good.key", 64, 0600);
	a = token_key_load(test_path("good.key"), &err);
	assert_non_null(a);
	for (i = 0; i < sizeof(bytes); i++)
		bytes[i] = (unsigned char)i;
	b = token_key_new(bytes, sizeof(bytes));
	assert_non_null(b);
	assert_int_equal(token_make(a, TOKEN_VERP, 1, 2, t1), 0);
	assert_int_equal(token_make(b, TOKEN_VERP, 1, 2, t2), 0);
	assert_string_equal(t1, t2);
	token_key_free(a);
	token_key_free(b);
	write_key("ro.key", 32, 0400);
	a = token_key_load(test_path("ro.key"), &err);
	assert_non_null(a);
	token_key_free(a);
	write_key("max.key", 4096, 0600);
	a = token_key_load(test_path("max.key"), &err);
	assert_non_null(a);
	token_key_free(a);

	/* A link is followed; the file it leads to is what is checked. */
	unlink(test_path("link.key"));
	snprintf(target, sizeof(target), "%s", test_path("good.key"));
	assert_int_equal(symlink(target, test_path("link.key")), 0);
	a = token_key_load(test_path("link.key"), &err);
	assert_non_null(a);
	token_key_free(a);

	/* Refused. */
	write_key("group.key", 32, 0640);
	expect_load_error("group.key", CLR_EPERM, "group or others have "
	    "access (mode 0640)");
	write_key("other.key", 32, 0604);
	expect_load_error("other.key", CLR_EPERM, "(mode 0604)");
	write_key("gw.key", 32, 0620);
	expect_load_error("gw.key", CLR_EPERM, "group or others");
	write_key("gx.key", 32, 0610);
	expect_load_error("gx.key", CLR_EPERM, "group or others");
	write_key("all.key", 32, 0666);
	expect_load_error("all.key", CLR_EPERM, "make it 0600 or 0400");
	write_key("empty.key", 0, 0600);
	expect_load_error("empty.key", CLR_EINVAL, "the file is empty");
	write_key("short.key", 31, 0600);
	expect_load_error("short.key", CLR_EINVAL, "too short (31 bytes, at "
	    "least 32)");
	write_key("long.key", 4097, 0600);
	expect_load_error("long.key", CLR_EINVAL, "too long (4097 bytes, at "
	    "most 4096)");
	expect_load_error("missing.key", CLR_ENOENT, "cannot open");
	write_key("group-link-target.key", 32, 0644);
	unlink(test_path("badlink.key"));
	snprintf(target, sizeof(target), "%s",
	    test_path("group-link-target.key"));
	assert_int_equal(symlink(target, test_path("badlink.key")), 0);
	expect_load_error("badlink.key", CLR_EPERM, "group or others");

	/* Not regular files: a folder, a FIFO (must not block). */
	rmdir(test_path("dir.key"));
	assert_int_equal(mkdir(test_path("dir.key"), 0700), 0);
	expect_load_error("dir.key", CLR_EINVAL, "not a regular file");
	rmdir(test_path("dir.key"));
	unlink(test_path("fifo.key"));
	assert_int_equal(mkfifo(test_path("fifo.key"), 0600), 0);
	expect_load_error("fifo.key", CLR_EINVAL, "not a regular file");
}

/* Allocation failures: NULL, never a half-made key. */
static void
test_enomem(void **state)
{
	unsigned char		 k[32];
	struct token_key	*key;
	struct clr_err		 err;
	long			 n;

	memset(k, 3, sizeof(k));
	for (n = 0; n < 2; n++) {
		test_fail_after(n);
		key = token_key_new(k, sizeof(k));
		test_restore_allocator(NULL);
		assert_null(key);
	}
	write_key("nomem.key", 32, 0600);
	for (n = 0; n < 2; n++) {
		test_fail_after(n);
		memset(&err, 0, sizeof(err));
		key = token_key_load(test_path("nomem.key"), &err);
		test_restore_allocator(NULL);
		assert_null(key);
		assert_int_equal(err.code, CLR_ENOMEM);
	}
	test_fail_after(2);
	key = token_key_new(k, sizeof(k));
	test_restore_allocator(NULL);
	assert_non_null(key);
	token_key_free(key);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_single_changes),
		cmocka_unit_test(test_truncate_extend),
		cmocka_unit_test(test_kinds_and_keys),
		cmocka_unit_test(test_canonical),
		cmocka_unit_test(test_random_strings),
		cmocka_unit_test(test_key_new),
		cmocka_unit_test(test_key_load),
		cmocka_unit_test_teardown(test_enomem,
		    test_restore_allocator),
	};
	int	 rc;

	rc = cmocka_run_group_tests_name("token", tests, NULL, NULL);
	test_tmp_clean();
	return rc;
}
