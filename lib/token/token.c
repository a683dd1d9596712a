/* SPDX-License-Identifier: ISC */
/*
 * token/token.c - signed tokens for VERP addresses and unsubscribe links
 *
 * A token is, in lower-case base32 (RFC 4648 6, no padding):
 *
 *	version (1 octet, TOKEN_V1)
 *	campaign id (unsigned LEB128 varint, 1 to 10 octets)
 *	contact id (the same)
 *	MAC (TOKEN_MAC_BYTES): HMAC-SHA256 (RFC 2104, FIPS 180-4), truncated
 *	(RFC 2104 5), over "clarion-token" NUL, the kind's tag octet, then
 *	the version and the two varints as they appear in the token
 *
 * 13 to 31 octets, 21 to 50 characters. The kind is not in the token but
 * in the MAC: each kind has its own tag, so a token made for one kind
 * never verifies as another. The tags are fixed octets ('V', 'U'), not
 * the enum's values, so reordering enum token_kind cannot change tokens.
 * The version octet lets a later format live beside this one.
 *
 * token_check is strict: one spelling per token, up to letter case. It
 * refuses lengths no unpadded base32 has, non-zero bits after the last
 * octet, varints with a redundant zero or past 64 bits, an unknown
 * version, and anything left over after the contact id. Upper case is
 * accepted, as the same token: tokens travel in the local part of a VERP
 * address, and although most systems keep or lower its case, some
 * upper-case it, and a bounce lost to that is a bounce unattributed. The
 * MAC covers the decoded octets, so this adds no forgery: the 80 bits
 * are the same. token_make always writes lower case.
 *
 * MACs are compared with CRYPTO_memcmp, in constant time. A unit test
 * cannot show that; it is why CRYPTO_memcmp is used and memcmp is not.
 * The parsing before it runs in time that depends on the token's format,
 * which is public. Nothing is compared in a way that depends on the key.
 *
 * Trust boundary: tokens come back from the Internet (bounce addresses,
 * URLs); the key file is trusted only once it passes token_key_load's
 * checks. A key is read-only once made, so token_make and token_check
 * may run on one key in several threads.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "token.h"
#include "util/alloc.h"
#include "util/err.h"

#define TOKEN_V1	0x01	/* the version octet */
#define TOKEN_KEY_MAX	4096	/* bytes of a key file */
#define VARINT_MAX	10	/* octets of a 64-bit LEB128 varint */
#define TOKEN_OCTETS_MIN (1 + 1 + 1 + TOKEN_MAC_BYTES)
#define TOKEN_OCTETS_MAX (1 + 2 * VARINT_MAX + TOKEN_MAC_BYTES)

static const char	 label[] = "clarion-token";	/* NUL included */

struct token_key {
	unsigned char	*bytes;		/* the key, cleansed when freed */
	size_t		 len;
	EVP_MD		*md;		/* SHA-256, fetched once */
};

static struct token_key *key_adopt(unsigned char *, size_t);
static int	 kind_tag(enum token_kind);
static size_t	 varint_put(unsigned char *, uint64_t);
static size_t	 varint_get(const unsigned char *, size_t, uint64_t *);
static int	 mac(const struct token_key *, int, const unsigned char *,
		    size_t, unsigned char *);
static size_t	 base32_encode(char *, const unsigned char *, size_t);
static int	 base32_decode(unsigned char *, const char *, size_t);

static const char	 b32[] = "abcdefghijklmnopqrstuvwxyz234567";

/* kind_tag - the MAC domain octet of a kind, or -1 for no such kind. */
static int
kind_tag(enum token_kind kind)
{
	switch (kind) {
	case TOKEN_VERP:
		return 'V';
	case TOKEN_UNSUBSCRIBE:
		return 'U';
	}
	return -1;
}

/* key_adopt - a key owning bytes (freed, cleansed, on failure). */
static struct token_key *
key_adopt(unsigned char *bytes, size_t len)
{
	struct token_key	*k;

	if ((k = clr_calloc(1, sizeof(*k))) == NULL ||
	    (k->md = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL) {
		OPENSSL_cleanse(bytes, len);
		clr_free(bytes);
		clr_free(k);
		return NULL;
	}
	k->bytes = bytes;
	k->len = len;
	return k;
}

struct token_key *
token_key_new(const void *key, size_t len)
{
	unsigned char	*bytes;

	if (key == NULL || len < TOKEN_KEY_MIN || len > INT_MAX)
		return NULL;
	if ((bytes = clr_malloc(len)) == NULL)
		return NULL;
	memcpy(bytes, key, len);
	return key_adopt(bytes, len);
}

/*
 * The file is opened first and checked through its descriptor (fstat),
 * so what is checked is what is read, even if the path is replaced
 * meanwhile. O_NONBLOCK keeps a FIFO put in its place from blocking the
 * open; it is then refused as not a regular file. A symbolic link is
 * followed: key files are often links (to a secrets mount, say), and the
 * checks apply to the file it leads to.
 */
struct token_key *
token_key_load(const char *path, struct clr_err *err)
{
	struct stat		 st;
	struct token_key	*k;
	unsigned char		*bytes = NULL, extra;
	size_t			 size = 0, got = 0;
	ssize_t			 n;
	int			 fd, code;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd == -1) {
		code = errno == ENOENT ? CLR_ENOENT :
		    errno == EACCES ? CLR_EPERM : CLR_EIO;
		clr_err_set(err, code, "token key %s: cannot open: %s", path,
		    strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1) {
		clr_err_set(err, CLR_EIO, "token key %s: %s", path,
		    strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		clr_err_set(err, CLR_EINVAL, "token key %s: not a regular "
		    "file", path);
		goto fail;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		clr_err_set(err, CLR_EPERM, "token key %s: group or others "
		    "have access (mode %04o): make it 0600 or 0400", path,
		    (unsigned)(st.st_mode & 07777));
		goto fail;
	}
	if (st.st_size == 0) {
		clr_err_set(err, CLR_EINVAL, "token key %s: the file is empty "
		    "(make one with: head -c 32 /dev/urandom > FILE)", path);
		goto fail;
	}
	if (st.st_size < TOKEN_KEY_MIN) {
		clr_err_set(err, CLR_EINVAL, "token key %s: too short (%lld "
		    "bytes, at least %d)", path, (long long)st.st_size,
		    TOKEN_KEY_MIN);
		goto fail;
	}
	if (st.st_size > TOKEN_KEY_MAX) {
		clr_err_set(err, CLR_EINVAL, "token key %s: too long (%lld "
		    "bytes, at most %d)", path, (long long)st.st_size,
		    TOKEN_KEY_MAX);
		goto fail;
	}
	size = (size_t)st.st_size;
	if ((bytes = clr_malloc(size)) == NULL) {
		clr_err_set(err, CLR_ENOMEM, "token key %s: out of memory",
		    path);
		goto fail;
	}
	while (got < size) {
		n = read(fd, bytes + got, size - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			clr_err_set(err, CLR_EIO, "token key %s: cannot read: "
			    "%s", path, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	do {
		n = read(fd, &extra, 1);
	} while (n == -1 && errno == EINTR);
	if (got != size || n != 0) {
		clr_err_set(err, CLR_EIO, "token key %s: the file changed "
		    "while being read", path);
		goto fail;
	}
	close(fd);
	if ((k = key_adopt(bytes, size)) == NULL)
		clr_err_set(err, CLR_ENOMEM, "token key %s: out of memory",
		    path);
	return k;
fail:
	if (bytes != NULL) {
		OPENSSL_cleanse(bytes, size);
		clr_free(bytes);
	}
	close(fd);
	return NULL;
}

void
token_key_free(struct token_key *k)
{
	if (k == NULL)
		return;
	OPENSSL_cleanse(k->bytes, k->len);
	clr_free(k->bytes);
	EVP_MD_free(k->md);
	OPENSSL_cleanse(k, sizeof(*k));
	clr_free(k);
}

/* varint_put - v as unsigned LEB128 into p; returns 1 to 10. */
static size_t
varint_put(unsigned char *p, uint64_t v)
{
	size_t	 n = 0;

	while (v >= 0x80) {
		p[n++] = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (unsigned char)v;
	return n;
}

/*
 * varint_get - the canonical LEB128 varint at p[0..n): its length, or 0
 * if it is cut short, longer than 10 octets, past 2^64 - 1, or ends in
 * a redundant zero octet (a second spelling of a shorter one).
 */
static size_t
varint_get(const unsigned char *p, size_t n, uint64_t *v)
{
	uint64_t	 x = 0;
	size_t		 i;

	for (i = 0; i < n && i < VARINT_MAX; i++) {
		if (i == VARINT_MAX - 1 && p[i] > 0x01)
			return 0;	/* bit 64 and up, or an 11th octet */
		x |= (uint64_t)(p[i] & 0x7F) << (7 * i);
		if ((p[i] & 0x80) == 0) {
			if (p[i] == 0 && i > 0)
				return 0;
			*v = x;
			return i + 1;
		}
	}
	return 0;
}

/* mac - the truncated HMAC of (label, tag, p[0..n)) into out. */
static int
mac(const struct token_key *k, int tag, const unsigned char *p, size_t n,
    unsigned char *out)
{
	unsigned char	 in[sizeof(label) + 1 + TOKEN_OCTETS_MAX];
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;

	memcpy(in, label, sizeof(label));
	in[sizeof(label)] = (unsigned char)tag;
	memcpy(in + sizeof(label) + 1, p, n);
	if (HMAC(k->md, k->bytes, (int)k->len, in, sizeof(label) + 1 + n, md,
	    &mdlen) == NULL || mdlen < TOKEN_MAC_BYTES)
		return CLR_ENOMEM;	/* what makes OpenSSL fail here */
	memcpy(out, md, TOKEN_MAC_BYTES);
	OPENSSL_cleanse(md, sizeof(md));
	return 0;
}

static size_t
base32_encode(char *out, const unsigned char *p, size_t n)
{
	uint32_t	 acc = 0;
	size_t		 i, o = 0;
	int		 bits = 0;

	for (i = 0; i < n; i++) {
		acc = (acc << 8) | p[i];
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
 * base32_decode - s[0..n) into out (n * 5 / 8 octets): 0, or -1 for a
 * character outside the alphabet (either case) or non-zero bits after
 * the last whole octet. The caller has checked that n is a length that
 * unpadded base32 can have.
 */
static int
base32_decode(unsigned char *out, const char *s, size_t n)
{
	uint32_t	 acc = 0;
	size_t		 i, o = 0;
	int		 bits = 0, v;

	for (i = 0; i < n; i++) {
		unsigned char	 c = (unsigned char)s[i];

		if (c >= 'a' && c <= 'z')
			v = c - 'a';
		else if (c >= 'A' && c <= 'Z')
			v = c - 'A';
		else if (c >= '2' && c <= '7')
			v = c - '2' + 26;
		else
			return -1;
		acc = (acc << 5) | (uint32_t)v;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
		acc &= (1u << bits) - 1;
	}
	return acc != 0 ? -1 : 0;
}

int
token_make(const struct token_key *k, enum token_kind kind,
    uint64_t campaign, uint64_t contact, char out[TOKEN_MAX + 1])
{
	unsigned char	 t[TOKEN_OCTETS_MAX];
	size_t		 n = 0;
	int		 tag = kind_tag(kind), rc;

	out[0] = '\0';
	if (k == NULL || tag < 0)
		return CLR_EINVAL;
	t[n++] = TOKEN_V1;
	n += varint_put(t + n, campaign);
	n += varint_put(t + n, contact);
	if ((rc = mac(k, tag, t, n, t + n)) != 0)
		return rc;
	base32_encode(out, t, n + TOKEN_MAC_BYTES);
	return 0;
}

int
token_check(const struct token_key *k, enum token_kind kind, const char *tok,
    size_t len, uint64_t *campaign, uint64_t *contact)
{
	unsigned char	 t[TOKEN_OCTETS_MAX], want[TOKEN_MAC_BYTES];
	uint64_t	 ca, co;
	size_t		 n, pos, used;
	int		 tag = kind_tag(kind);

	if (k == NULL || tag < 0 || tok == NULL)
		return CLR_EINVAL;
	/* Unpadded base32 lengths: 8 characters per 5 octets, 2/4/5/7. */
	if (len < (TOKEN_OCTETS_MIN * 8 + 4) / 5 ||
	    len > (TOKEN_OCTETS_MAX * 8 + 4) / 5 ||
	    len % 8 == 1 || len % 8 == 3 || len % 8 == 6)
		return CLR_EINVAL;
	n = len * 5 / 8;
	if (base32_decode(t, tok, len) != 0 || t[0] != TOKEN_V1)
		return CLR_EINVAL;
	pos = 1;
	if ((used = varint_get(t + pos, n - pos, &ca)) == 0)
		return CLR_EINVAL;
	pos += used;
	if ((used = varint_get(t + pos, n - pos, &co)) == 0)
		return CLR_EINVAL;
	pos += used;
	if (n - pos != TOKEN_MAC_BYTES)
		return CLR_EINVAL;
	if (mac(k, tag, t, pos, want) != 0 ||
	    CRYPTO_memcmp(want, t + pos, TOKEN_MAC_BYTES) != 0)
		return CLR_EINVAL;
	if (campaign != NULL)
		*campaign = ca;
	if (contact != NULL)
		*contact = co;
	return 0;
}

int
token_key_generate(const char *path, struct clr_err *err)
{
	unsigned char	 key[TOKEN_KEY_MIN];
	ssize_t		 n;
	int		 fd, ok;

	if (RAND_bytes(key, sizeof(key)) != 1)
		return clr_err_set(err, CLR_EIO, "%s: no random bytes", path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		OPENSSL_cleanse(key, sizeof(key));
		return clr_err_set(err, errno == EEXIST ? CLR_EEXIST : CLR_EIO,
		    "%s: %s", path, strerror(errno));
	}
	n = write(fd, key, sizeof(key));
	ok = n == (ssize_t)sizeof(key) && fsync(fd) == 0;
	OPENSSL_cleanse(key, sizeof(key));
	if (close(fd) != 0)
		ok = 0;
	if (!ok) {
		unlink(path);
		return clr_err_set(err, CLR_EIO, "%s: cannot write the key",
		    path);
	}
	return 0;
}
