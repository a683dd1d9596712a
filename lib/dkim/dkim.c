/* SPDX-License-Identifier: ISC */
/*
 * dkim/dkim.c - DKIM keys, signers and signatures (OpenSSL EVP)
 *
 * Loads a private key, checks a signer's tags once, and signs messages:
 * the body hash (bh=) over the relaxed body, then one signature over the
 * relaxed signed header fields and the DKIM-Signature header itself with
 * an empty b=, written with its tags in RFC 8463's order and folded at
 * the spaces between tags (and inside b=), so that folding leaves the
 * canonical form as it would be unfolded. Canonicalisation is in canon.c.
 *
 * RFCs: RFC 6376 (DKIM: 3.4.2 and 3.4.4 relaxed canonicalisation, 3.5
 * the tags, 3.7 the hashes, 5.4 signed header fields); RFC 8463
 * (ed25519-sha256: PureEdDSA over the SHA-256 hash of the header data,
 * not over the data itself); RFC 8301 (rsa-sha256 only, no rsa-sha1);
 * RFC 5322 2.2.3 (folding). Not done: simple canonicalisation, the l=,
 * x= and z= tags, verification, and key generation.
 *
 * Keys are read through a stdio FILE whose buffer is ours and is wiped
 * after use; OpenSSL keeps the key from then on. A key file that group or
 * others may read or write is refused, as OpenSSH and OpenDKIM refuse
 * theirs. Signing allocates its digest contexts per call and only reads
 * the key and signer, so threads may share them.
 *
 * Trust boundary: the key file and the params come from the operator's
 * configuration; the message comes from templates filled with recipient
 * data and is treated as untrusted (see canon.c).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "util/alloc.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/str.h"
#include "dkim.h"
#include "dkim_impl.h"

#define DKIM_LINE_MAX	78	/* folded line, CRLF excluded */
#define DKIM_SIG_MAX	2048	/* signature octets: RSA up to 16384 bits */
#define DKIM_RSA_MIN	2048	/* bits, unless DKIM_KEY_ALLOW_SHORT_RSA */
#define DKIM_RSA_FLOOR	1024	/* bits, always: RFC 8301 3.2 */
#define DKIM_T_MAX	INT64_C(999999999999)	/* t= is 1*12DIGIT */
#define DKIM_LOCAL_MAX	64	/* octets in the local-part of i= */

enum dkim_alg {
	DKIM_ALG_RSA,		/* rsa-sha256, RSASSA-PKCS1-v1_5 */
	DKIM_ALG_ED25519	/* ed25519-sha256, RFC 8463 */
};

static const char *const alg_names[] = {
	[DKIM_ALG_RSA] = "rsa-sha256",
	[DKIM_ALG_ED25519] = "ed25519-sha256",
};

struct dkim_key {
	EVP_PKEY	*pkey;
	enum dkim_alg	 alg;
};

struct dkim_signer {
	const struct dkim_key	*key;		/* borrowed */
	EVP_MD			*sha256;	/* fetched once, shared */
	char			*domain;	/* d= */
	char			*selector;	/* s= */
	char			*identity;	/* i=, QP-encoded, or NULL */
	struct dkim__hset	 hset;		/* h= */
};

/* The DKIM-Signature being written, and where its current line is. */
struct fold {
	struct buf	*out;
	size_t		 col;		/* octets on the current line */
	int		 err;		/* first append error, sticky */
};

static int	 no_passphrase(char *, int, int, void *);
static const char *ssl_reason(void);
static int	 check_dns_name(const char *, size_t, int, const char *,
		    struct clr_err *);
static int	 encode_identity(const char *, const char *, char **,
		    struct clr_err *);
static int	 md_update(void *, const void *, size_t);
static void	 fold_put(struct fold *, const char *, size_t);
static void	 fold_space(struct fold *, size_t);
static void	 fold_tag(struct fold *, const char *, const char *, size_t,
		    const char *);
static void	 write_tags(const struct dkim_signer *, int64_t, const char *,
		    struct fold *);
static void	 write_b(struct fold *, const char *, size_t);
static int	 sign_hash(const struct dkim_signer *, EVP_MD_CTX *,
		    const unsigned char *, size_t, unsigned char *, size_t *,
		    struct clr_err *);

/* no_passphrase - refuse to prompt for one: note that the key wants it. */
static int
no_passphrase(char *buf, int size, int rwflag, void *arg)
{
	*(int *)arg = 1;
	return 0;
}

/* ssl_reason - the reason of OpenSSL's latest error, for messages. */
static const char *
ssl_reason(void)
{
	unsigned long	 e;
	const char	*r = NULL;

	e = ERR_peek_last_error();
	if (e != 0)
		r = ERR_reason_error_string(e);
	return r != NULL ? r : "no reason given";
}

struct dkim_key *
dkim_key_load(const char *path, unsigned flags, struct clr_err *err)
{
	struct dkim_key	*key = NULL;
	EVP_PKEY	*pkey = NULL;
	FILE		*fp = NULL;
	struct stat	 st;
	char		 iobuf[4096];	/* stdio's buffer: wiped on return */
	int		 fd = -1, wanted_pass = 0, bits, e;

	if (path == NULL || (flags & ~(unsigned)DKIM_KEY_ALLOW_SHORT_RSA)) {
		clr_err_set(err, CLR_EINVAL, "dkim_key_load: bad arguments");
		return NULL;
	}
	ERR_set_mark();
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd == -1) {
		e = errno;
		clr_err_set(err, e == ENOENT ? CLR_ENOENT :
		    e == EACCES || e == EPERM ? CLR_EPERM : CLR_EIO,
		    "%s: cannot open the DKIM key: %s", path, strerror(e));
		goto out;
	}
	if (fstat(fd, &st) == -1) {
		clr_err_set(err, CLR_EIO, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		clr_err_set(err, CLR_EINVAL, "%s: not a regular file", path);
		goto out;
	}
	if (st.st_mode & (S_IRGRP | S_IWGRP | S_IROTH | S_IWOTH)) {
		clr_err_set(err, CLR_EPERM, "%s: the DKIM private key is "
		    "readable or writable by group or others (mode %04o); "
		    "chmod 600 it", path, (unsigned)(st.st_mode & 07777));
		goto out;
	}
	if ((fp = fdopen(fd, "r")) == NULL) {
		clr_err_set(err, CLR_EIO, "%s: %s", path, strerror(errno));
		goto out;
	}
	fd = -1;
	if (setvbuf(fp, iobuf, _IOFBF, sizeof(iobuf)) != 0) {
		clr_err_set(err, CLR_EIO, "%s: setvbuf failed", path);
		goto out;
	}
	pkey = PEM_read_PrivateKey(fp, NULL, no_passphrase, &wanted_pass);
	if (pkey == NULL) {
		if (wanted_pass)
			clr_err_set(err, CLR_EINVAL, "%s: the DKIM private key "
			    "is encrypted; clarion needs it unencrypted "
			    "(and mode 600)", path);
		else
			clr_err_set(err, CLR_ESYNTAX, "%s: not a PEM private "
			    "key, PKCS#8 or PKCS#1 (OpenSSL: %s)", path,
			    ssl_reason());
		goto out;
	}
	if (EVP_PKEY_is_a(pkey, "ED25519")) {
		if ((key = clr_calloc(1, sizeof(*key))) == NULL)
			goto nomem;
		key->alg = DKIM_ALG_ED25519;
	} else if (EVP_PKEY_is_a(pkey, "RSA")) {
		bits = EVP_PKEY_get_bits(pkey);
		if (bits < DKIM_RSA_FLOOR || (bits < DKIM_RSA_MIN &&
		    !(flags & DKIM_KEY_ALLOW_SHORT_RSA))) {
			clr_err_set(err, CLR_EINVAL, "%s: the RSA key has %d "
			    "bits; DKIM keys need %d or more", path, bits,
			    bits < DKIM_RSA_FLOOR ? DKIM_RSA_FLOOR :
			    DKIM_RSA_MIN);
			goto out;
		}
		if (EVP_PKEY_get_size(pkey) > DKIM_SIG_MAX) {
			clr_err_set(err, CLR_EINVAL, "%s: the RSA key has %d "
			    "bits, more than %d", path, bits, DKIM_SIG_MAX * 8);
			goto out;
		}
		if ((key = clr_calloc(1, sizeof(*key))) == NULL)
			goto nomem;
		key->alg = DKIM_ALG_RSA;
	} else {
		clr_err_set(err, CLR_EINVAL, "%s: %s keys cannot sign DKIM "
		    "(RSA or Ed25519 only)", path,
		    EVP_PKEY_get0_type_name(pkey) != NULL ?
		    EVP_PKEY_get0_type_name(pkey) : "unknown");
		goto out;
	}
	key->pkey = pkey;
	pkey = NULL;
	goto out;
nomem:
	clr_err_set(err, CLR_ENOMEM, "%s: out of memory", path);
out:
	if (fp != NULL)
		fclose(fp);
	if (fd != -1)
		close(fd);
	OPENSSL_cleanse(iobuf, sizeof(iobuf));
	EVP_PKEY_free(pkey);
	ERR_pop_to_mark();
	return key;
}

void
dkim_key_free(struct dkim_key *key)
{
	if (key == NULL)
		return;
	EVP_PKEY_free(key->pkey);
	clr_free(key);
}

const char *
dkim_key_algorithm(const struct dkim_key *key)
{
	return alg_names[key->alg];
}

/*
 * check_dns_name - 0 if s is a DNS name of at least minlabels labels, each
 * a letter or digit, then letters, digits and hyphens, not ending in one
 * (RFC 6376 3.5 sub-domain; IDNs as A-labels). Else CLR_EINVAL, err
 * naming the tag.
 */
static int
check_dns_name(const char *s, size_t maxlen, int minlabels, const char *tag,
    struct clr_err *err)
{
	const char	*why = NULL;
	size_t		 len, i, label = 0;
	int		 labels = 1, c;

	if (s == NULL || s[0] == '\0')
		return clr_err_set(err, CLR_EINVAL, "%s is missing", tag);
	len = strlen(s);
	if (len > maxlen)
		return clr_err_set(err, CLR_EINVAL,
		    "%s%.40s... is longer than %zu octets", tag, s, maxlen);
	for (i = 0; i <= len && why == NULL; i++) {
		c = (unsigned char)s[i];
		if (c == '.' || c == '\0') {
			if (label == 0)
				why = "has an empty label";
			else if (s[i - 1] == '-')
				why = "has a label ending in '-'";
			if (c == '.')
				labels++;
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9')) {
			label++;
		} else if (c == '-') {
			if (label == 0)
				why = "has a label starting with '-'";
			label++;
		} else
			why = "holds an octet other than a letter, a digit, "
			    "'-' or '.' (give IDNs as A-labels)";
		if (label > 63)
			why = "has a label longer than 63 octets";
	}
	if (why == NULL && labels < minlabels)
		why = "needs two labels or more";
	if (why != NULL)
		return clr_err_set(err, CLR_EINVAL,
		    "%s%.80s is not a DNS name: it %s", tag, s, why);
	return 0;
}

/*
 * encode_identity - check i= ([local-part] "@" domain, the domain d= or
 * below it: RFC 6376 3.5) and write it as DKIM-Quoted-Printable into *out
 * (caller frees). The local-part must be a dot-atom of ASCII: '=' is the
 * only atext octet that needs encoding.
 */
static int
encode_identity(const char *id, const char *domain, char **out,
    struct clr_err *err)
{
	static const char	 atext[] = "!#$%&'*+-/=?^_`{|}~";
	const char		*at, *dom;
	size_t			 llen, dlen, n, i, j;
	char			*p;
	int			 c, rc;

	at = strrchr(id, '@');
	if (at == NULL)
		return clr_err_set(err, CLR_EINVAL,
		    "i=%.80s has no '@' (write \"@%s\" for the domain only)",
		    id, domain);
	llen = (size_t)(at - id);
	if (llen > DKIM_LOCAL_MAX)
		return clr_err_set(err, CLR_EINVAL,
		    "i=: the local-part is longer than %d octets",
		    DKIM_LOCAL_MAX);
	for (i = 0; i < llen; i++) {
		c = (unsigned char)id[i];
		if (c == '.') {
			if (i == 0 || i + 1 == llen || id[i + 1] == '.')
				break;
		} else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || (c != '\0' && strchr(atext, c))))
			break;
	}
	if (i < llen)
		return clr_err_set(err, CLR_EINVAL,
		    "i=%.80s: the local-part is not an ASCII dot-atom", id);
	dom = at + 1;
	if ((rc = check_dns_name(dom, 253, 1, "i=@", err)) != 0)
		return rc;
	n = strlen(domain);
	dlen = strlen(dom);
	if (!(dlen == n && str_ieq(dom, dlen, domain) == 1) &&
	    !(dlen > n && dom[dlen - n - 1] == '.' &&
	    str_ieq(dom + dlen - n, n, domain) == 1))
		return clr_err_set(err, CLR_EINVAL,
		    "i=%.80s: its domain must be %s or a subdomain of it "
		    "(RFC 6376 3.5)", id, domain);
	if ((p = clr_malloc(llen * 3 + 1 + dlen + 1)) == NULL)
		return clr_err_set(err, CLR_ENOMEM, "out of memory");
	for (i = j = 0; i < llen; i++) {
		if (id[i] == '=') {
			memcpy(p + j, "=3D", 3);
			j += 3;
		} else
			p[j++] = id[i];
	}
	memcpy(p + j, at, dlen + 2);
	*out = p;
	return 0;
}

struct dkim_signer *
dkim_signer_new(const struct dkim_key *key, const struct dkim_params *params,
    struct clr_err *err)
{
	struct dkim_signer	*s;

	if (key == NULL || params == NULL) {
		clr_err_set(err, CLR_EINVAL, "dkim_signer_new: no key or "
		    "no params");
		return NULL;
	}
	if (check_dns_name(params->domain, 253, 2, "d=", err) != 0 ||
	    check_dns_name(params->selector, 253, 1, "s=", err) != 0)
		return NULL;
	if ((s = clr_calloc(1, sizeof(*s))) == NULL) {
		clr_err_set(err, CLR_ENOMEM, "out of memory");
		return NULL;
	}
	s->key = key;
	if (dkim__hset_init(&s->hset, params->headers, params->nheaders,
	    err) != 0)
		goto fail;
	if (params->identity != NULL && encode_identity(params->identity,
	    params->domain, &s->identity, err) != 0)
		goto fail;
	s->domain = clr_strdup(params->domain);
	s->selector = clr_strdup(params->selector);
	if (s->domain == NULL || s->selector == NULL) {
		clr_err_set(err, CLR_ENOMEM, "out of memory");
		goto fail;
	}
	ERR_set_mark();
	s->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (s->sha256 == NULL)
		clr_err_set(err, CLR_EIO, "OpenSSL has no SHA-256 (%s)",
		    ssl_reason());
	ERR_pop_to_mark();
	if (s->sha256 == NULL)
		goto fail;
	return s;
fail:
	dkim_signer_free(s);
	return NULL;
}

void
dkim_signer_free(struct dkim_signer *s)
{
	if (s == NULL)
		return;
	EVP_MD_free(s->sha256);
	clr_free(s->domain);
	clr_free(s->selector);
	clr_free(s->identity);
	clr_free(s);
}

/* md_update - a sink's flush: feed the digest. */
static int
md_update(void *md, const void *p, size_t n)
{
	return EVP_DigestUpdate(md, p, n) == 1 ? 0 : CLR_EIO;
}

static void
fold_put(struct fold *f, const char *p, size_t n)
{
	int	 rc;

	if (f->err == 0 && (rc = buf_append(f->out, p, n)) != 0)
		f->err = rc;
	f->col += n;
}

/*
 * fold_space - the space before a token of n octets: SP, or CRLF SP when
 * the token would pass DKIM_LINE_MAX. Only a SP is ever folded, so the
 * relaxed form is the same as unfolded. A token too long for any line
 * (a 250-octet d=) goes on a line of its own.
 */
static void
fold_space(struct fold *f, size_t n)
{
	if (f->col + 1 + n > DKIM_LINE_MAX && f->col > 1) {
		fold_put(f, "\r\n", 2);
		f->col = 0;
	}
	fold_put(f, " ", 1);
}

/* fold_tag - " tag=value;" as one token; end is ";" or " :" or "". */
static void
fold_tag(struct fold *f, const char *tag, const char *val, size_t vlen,
    const char *end)
{
	size_t	 tlen = strlen(tag), elen = strlen(end);

	fold_space(f, tlen + vlen + elen);
	fold_put(f, tag, tlen);
	fold_put(f, val, vlen);
	fold_put(f, end, elen);
}

/*
 * write_tags - "DKIM-Signature: v=1; ... bh=...; b=": every tag of the
 * header in RFC 8463's order, up to an empty b=.
 */
static void
write_tags(const struct dkim_signer *s, int64_t now, const char *bh,
    struct fold *f)
{
	const struct dkim__hname	*h;
	const char			*alg = alg_names[s->key->alg];
	char				 t[24];
	int				 tlen;
	size_t				 i;

	tlen = snprintf(t, sizeof(t), "%" PRId64, now);
	fold_put(f, "DKIM-Signature:", 15);
	fold_tag(f, "v=", "1", 1, ";");
	fold_tag(f, "a=", alg, strlen(alg), ";");
	fold_tag(f, "c=", "relaxed/relaxed", 15, ";");
	fold_tag(f, "d=", s->domain, strlen(s->domain), ";");
	if (s->identity != NULL)
		fold_tag(f, "i=", s->identity, strlen(s->identity), ";");
	fold_tag(f, "q=", "dns/txt", 7, ";");
	fold_tag(f, "s=", s->selector, strlen(s->selector), ";");
	fold_tag(f, "t=", t, (size_t)tlen, ";");
	for (i = 0; i < s->hset.n; i++) {
		h = &s->hset.h[i];
		fold_tag(f, i == 0 ? "h=" : "", h->name, h->len,
		    i + 1 < s->hset.n ? " :" : ";");
	}
	fold_tag(f, "bh=", bh, strlen(bh), ";");
	/* Keep some of the signature on the line of "b=". */
	fold_space(f, 2 + 16);
	fold_put(f, "b=", 2);
}

/* write_b - the b= value, folded anywhere: verifiers drop its FWS. */
static void
write_b(struct fold *f, const char *b64, size_t n)
{
	size_t	 room;

	while (n > 0) {
		room = f->col < DKIM_LINE_MAX ? DKIM_LINE_MAX - f->col : 0;
		if (room == 0) {
			fold_put(f, "\r\n ", 3);
			f->col = 1;
			continue;
		}
		if (room > n)
			room = n;
		fold_put(f, b64, room);
		b64 += room;
		n -= room;
	}
	fold_put(f, "\r\n", 2);
}

/*
 * sign_hash - sign the SHA-256 hash h of the header data. rsa-sha256 is
 * RSASSA-PKCS1-v1_5 of that hash (the DigestInfo is OpenSSL's to add);
 * ed25519-sha256 is PureEdDSA with the 32-octet hash as its message (RFC
 * 8463 3), so Ed25519 hashes it again internally with SHA-512.
 */
static int
sign_hash(const struct dkim_signer *s, EVP_MD_CTX *md, const unsigned char *h,
    size_t hlen, unsigned char *sig, size_t *siglen, struct clr_err *err)
{
	EVP_PKEY_CTX	*pctx = NULL;
	int		 ok = 0;

	*siglen = DKIM_SIG_MAX;
	switch (s->key->alg) {
	case DKIM_ALG_RSA:
		pctx = EVP_PKEY_CTX_new_from_pkey(NULL, s->key->pkey, NULL);
		ok = pctx != NULL && EVP_PKEY_sign_init(pctx) == 1 &&
		    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) > 0 &&
		    EVP_PKEY_CTX_set_signature_md(pctx, s->sha256) > 0 &&
		    EVP_PKEY_sign(pctx, sig, siglen, h, hlen) == 1;
		EVP_PKEY_CTX_free(pctx);
		break;
	case DKIM_ALG_ED25519:
		ok = EVP_MD_CTX_reset(md) == 1 &&
		    EVP_DigestSignInit_ex(md, NULL, NULL, NULL, NULL,
		    s->key->pkey, NULL) == 1 &&
		    EVP_DigestSign(md, sig, siglen, h, hlen) == 1;
		break;
	}
	if (!ok)
		return clr_err_set(err, CLR_EIO, "OpenSSL: %s signing failed "
		    "(%s)", alg_names[s->key->alg], ssl_reason());
	return 0;
}

/*
 * Signing. The body is hashed first, canonicalised on the fly; then the
 * header is written into out up to an empty b=, and the header hash runs
 * over the signed fields and over that very text, canonicalised, so what
 * is hashed is what is sent, whatever the folding. The signature then
 * completes the header in place. On failure out is cut back to where it
 * was.
 */
int
dkim_sign(const struct dkim_signer *s, const char *msg, size_t len,
    int64_t now, struct buf *out, struct clr_err *err)
{
	EVP_MD_CTX		*md = NULL;
	struct dkim__sink	 sink;
	struct fold		 f;
	unsigned char		 bh[EVP_MAX_MD_SIZE], hh[EVP_MAX_MD_SIZE];
	unsigned char		 sig[DKIM_SIG_MAX];
	char			 bh64[EVP_MAX_MD_SIZE * 2];
	char			 b64[DKIM_SIG_MAX / 3 * 4 + 8];
	size_t			 hdrlen, start, siglen;
	unsigned int		 mdlen;
	int			 rc = 0, n;

	if (s == NULL || out == NULL || (msg == NULL && len > 0))
		return clr_err_set(err, CLR_EINVAL, "dkim_sign: bad arguments");
	if (now < 0 || now > DKIM_T_MAX)
		return clr_err_set(err, CLR_EINVAL,
		    "dkim_sign: t=%" PRId64 " is not a time DKIM can carry",
		    now);
	hdrlen = msg != NULL ? dkim__header_len(msg, len) : (size_t)-1;
	if (hdrlen == (size_t)-1)
		return clr_err_set(err, CLR_ESYNTAX, "dkim_sign: the message "
		    "has no empty line between its header and body");
	start = out->len;
	ERR_set_mark();
	if ((md = EVP_MD_CTX_new()) == NULL) {
		rc = clr_err_set(err, CLR_ENOMEM, "out of memory");
		goto out;
	}

	/* bh=: the body, canonicalised straight into the digest. */
	if (EVP_DigestInit_ex(md, s->sha256, NULL) != 1)
		goto ssl;
	dkim__sink_init(&sink, md_update, md);
	dkim__canon_body(&sink, msg + hdrlen + 2, len - hdrlen - 2);
	if (dkim__sink_finish(&sink) != 0 ||
	    EVP_DigestFinal_ex(md, bh, &mdlen) != 1)
		goto ssl;
	EVP_EncodeBlock((unsigned char *)bh64, bh, (int)mdlen);

	f.out = out;
	f.col = 0;
	f.err = 0;
	write_tags(s, now, bh64, &f);
	if (f.err != 0) {
		rc = clr_err_set(err, f.err, "dkim_sign: no room for the "
		    "DKIM-Signature header (%s)", clr_strerror(f.err));
		goto out;
	}

	/* b=: the signed fields, then this header with b= empty. */
	if (EVP_DigestInit_ex(md, s->sha256, NULL) != 1)
		goto ssl;
	dkim__sink_init(&sink, md_update, md);
	dkim__canon_headers(&s->hset, msg, hdrlen, &sink);
	dkim__canon_field(&sink, out->data + start, out->len - start);
	if (dkim__sink_finish(&sink) != 0 ||
	    EVP_DigestFinal_ex(md, hh, &mdlen) != 1)
		goto ssl;
	if ((rc = sign_hash(s, md, hh, mdlen, sig, &siglen, err)) != 0)
		goto out;
	n = EVP_EncodeBlock((unsigned char *)b64, sig, (int)siglen);
	write_b(&f, b64, (size_t)n);
	if (f.err != 0)
		rc = clr_err_set(err, f.err, "dkim_sign: no room for the "
		    "DKIM-Signature header (%s)", clr_strerror(f.err));
	goto out;
ssl:
	rc = clr_err_set(err, CLR_EIO, "OpenSSL: SHA-256 failed (%s)",
	    ssl_reason());
out:
	if (rc != 0)
		buf_truncate(out, start);
	EVP_MD_CTX_free(md);
	ERR_pop_to_mark();
	return rc;
}

int
dkim_key_generate(const char *path, const char *algorithm, unsigned bits,
    struct clr_err *err)
{
	EVP_PKEY	*k;
	FILE		*fp = NULL;
	int		 fd, ok;

	if (strcmp(algorithm, alg_names[DKIM_ALG_RSA]) == 0) {
		if (bits < 2048 || bits > 16384)
			return clr_err_set(err, CLR_EINVAL, "%s: RSA keys have "
			    "2048 to 16384 bits, not %u", path, bits);
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
	} else if (strcmp(algorithm, alg_names[DKIM_ALG_ED25519]) == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	else
		return clr_err_set(err, CLR_EINVAL, "%s: unknown algorithm "
		    "\"%s\" (rsa-sha256 or ed25519-sha256)", path, algorithm);
	if (k == NULL)
		return clr_err_set(err, CLR_EIO, "%s: OpenSSL could not make "
		    "the key", path);
	/* O_EXCL: a key is never overwritten, so a signed world stays so. */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || (fp = fdopen(fd, "w")) == NULL) {
		clr_err_set(err, errno == EEXIST ? CLR_EEXIST : CLR_EIO,
		    "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		EVP_PKEY_free(k);
		return err->code;
	}
	ok = PEM_write_PrivateKey(fp, k, NULL, NULL, 0, NULL, NULL) == 1 &&
	    fflush(fp) == 0 && fsync(fileno(fp)) == 0;
	EVP_PKEY_free(k);
	if (fclose(fp) != 0)
		ok = 0;
	if (!ok) {
		unlink(path);
		return clr_err_set(err, CLR_EIO, "%s: cannot write the key",
		    path);
	}
	return 0;
}

int
dkim_key_dns_record(const struct dkim_key *key, struct buf *out,
    struct clr_err *err)
{
	unsigned char	*der = NULL, raw[32];
	unsigned char	*pub = raw;
	size_t		 publen = sizeof(raw);
	char		*b64;
	int		 n, rc = 0, len;

	if (key->alg == DKIM_ALG_ED25519) {
		if (EVP_PKEY_get_raw_public_key(key->pkey, raw, &publen) != 1)
			return clr_err_set(err, CLR_EIO, "cannot read the "
			    "public key");
	} else {
		if ((len = i2d_PUBKEY(key->pkey, &der)) <= 0)
			return clr_err_set(err, CLR_EIO, "cannot encode the "
			    "public key");
		pub = der;
		publen = (size_t)len;
	}
	if ((b64 = clr_malloc(publen / 3 * 4 + 8)) == NULL) {
		OPENSSL_free(der);
		return clr_err_set(err, CLR_ENOMEM, "out of memory");
	}
	n = EVP_EncodeBlock((unsigned char *)b64, pub, (int)publen);
	if (n < 0 || buf_printf(out, "v=DKIM1; k=%s; p=%.*s",
	    key->alg == DKIM_ALG_ED25519 ? "ed25519" : "rsa", n, b64) != 0)
		rc = clr_err_set(err, CLR_ENOMEM, "out of memory");
	clr_free(b64);
	OPENSSL_free(der);
	return rc;
}
