/* SPDX-License-Identifier: ISC */
/*
 * tests/fuzz/fuzz_dkim.c - libFuzzer target for the DKIM signer
 *
 * Signs the input as a message with a fixed Ed25519 key (RFC 8032 7.1
 * TEST 1, the key of RFC 8463's examples; a public test key), through
 * two signers: one with i= and an over-signing h= list, one minimal. An
 * input with no empty line (no CRLF CRLF, and not starting with CRLF)
 * must be refused with CLR_ESYNTAX, the output left as it was. Any other
 * input must be signed, and the output must be exactly one header field:
 * "DKIM-Signature:" first, CRLF last, every other CRLF followed by a
 * space, no bare CR or LF, no line over 998 octets. Signing again must
 * give the same bytes: Ed25519 is deterministic.
 *
 * The input is also canonicalised as a body by dkim__canon_body (whose
 * inner loop reads eight octets at a time) and by a slow reference
 * written from RFC 6376 3.4.4; the two must agree.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dkim/dkim.h"
#include "dkim/dkim_impl.h"
#include "util/buf.h"
#include "util/err.h"

int	 LLVMFuzzerInitialize(int *, char ***);
int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int	 has_separator(const uint8_t *, size_t);
static void	 check_header(const char *, size_t);
static void	 sign_and_check(const struct dkim_signer *, const uint8_t *,
		    size_t);
static int	 buf_flush(void *, const void *, size_t);
static void	 ref_body(const uint8_t *, size_t, struct buf *);
static void	 check_body(const uint8_t *, size_t);

static const char	 key_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n"
    "-----END PRIVATE KEY-----\n";

static const char *const h_full[] = {
	"from", "to", "subject", "date", "message-id", "reply-to", "cc",
	"from", "to", "subject", "reply-to", "cc", "From", "list-id"
};
static const char *const h_min[] = { "From" };

static struct dkim_key		*key;
static struct dkim_signer	*signers[2];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const struct dkim_params	 p[2] = {
		{ "football.example.com", "brisbane",
		  "news=x@football.example.com", h_full,
		  sizeof(h_full) / sizeof(h_full[0]) },
		{ "example.org", "s", NULL, h_min, 1 },
	};
	struct clr_err			 err;
	const char			*tmp = getenv("TMPDIR");
	char				 path[4096];
	FILE				*f;
	int				 fd, i;

	snprintf(path, sizeof(path), "%s/fuzz_dkim-XXXXXX",
	    tmp != NULL ? tmp : "/tmp");
	if ((fd = mkstemp(path)) == -1 || (f = fdopen(fd, "w")) == NULL ||
	    fputs(key_pem, f) == EOF || fclose(f) != 0)
		abort();
	key = dkim_key_load(path, 0, &err);
	unlink(path);
	if (key == NULL) {
		fprintf(stderr, "fuzz_dkim: %s\n", err.msg);
		abort();
	}
	for (i = 0; i < 2; i++) {
		if ((signers[i] = dkim_signer_new(key, &p[i], &err)) == NULL) {
			fprintf(stderr, "fuzz_dkim: %s\n", err.msg);
			abort();
		}
	}
	return 0;
}

/* has_separator - the message has an empty line, found independently. */
static int
has_separator(const uint8_t *d, size_t n)
{
	size_t	 i;

	if (n >= 2 && d[0] == '\r' && d[1] == '\n')
		return 1;
	for (i = 0; i + 3 < n; i++) {
		if (d[i] == '\r' && d[i + 1] == '\n' && d[i + 2] == '\r' &&
		    d[i + 3] == '\n')
			return 1;
	}
	return 0;
}

static void
check_header(const char *h, size_t n)
{
	size_t	 i, start = 0;

	if (n < 17 || memcmp(h, "DKIM-Signature: ", 16) != 0 ||
	    h[n - 2] != '\r' || h[n - 1] != '\n')
		abort();
	for (i = 0; i < n; i++) {
		if (h[i] == '\n')
			abort();		/* bare LF */
		if (h[i] != '\r')
			continue;
		if (i + 1 >= n || h[i + 1] != '\n')
			abort();		/* bare CR */
		if (i - start > 998)
			abort();
		i++;
		if (i + 1 < n && h[i + 1] != ' ')
			abort();		/* a second field */
		start = i + 1;
	}
}

static void
sign_and_check(const struct dkim_signer *s, const uint8_t *data, size_t size)
{
	struct buf	 out = BUF_INITIALIZER(1 << 16);
	struct buf	 again = BUF_INITIALIZER(1 << 16);
	struct clr_err	 err;
	int		 rc;

	rc = dkim_sign(s, (const char *)data, size, 1528637909, &out, &err);
	if (!has_separator(data, size)) {
		if (rc != CLR_ESYNTAX || out.len != 0)
			abort();
		return;
	}
	if (rc != 0) {
		fprintf(stderr, "fuzz_dkim: %s\n", err.msg);
		abort();
	}
	check_header(out.data, out.len);
	if (dkim_sign(s, (const char *)data, size, 1528637909, &again,
	    &err) != 0 || again.len != out.len ||
	    memcmp(again.data, out.data, out.len) != 0)
		abort();
	buf_free(&out);
	buf_free(&again);
}

static int
buf_flush(void *b, const void *p, size_t n)
{
	return buf_append(b, p, n);
}

/*
 * ref_body - RFC 6376 3.4.4, slowly: split at CRLF, make each WSP run one
 * SP and drop it at the line's end, drop empty lines at the end, end
 * every line with CRLF.
 */
static void
ref_body(const uint8_t *in, size_t n, struct buf *out)
{
	size_t	 i = 0, j, k, start, keep = 0;
	int	 wsp;

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
			if ((wsp && buf_putc(out, ' ') != 0) ||
			    buf_putc(out, in[k]) != 0)
				abort();
			wsp = 0;
		}
		if (buf_append(out, "\r\n", 2) != 0)
			abort();
		if (out->len > start + 2)
			keep = out->len;
		i = j + 2;
	}
	buf_truncate(out, keep);
}

static void
check_body(const uint8_t *data, size_t size)
{
	struct buf		 got = BUF_INITIALIZER(1 << 22);
	struct buf		 want = BUF_INITIALIZER(1 << 22);
	struct dkim__sink	 s;

	dkim__sink_init(&s, buf_flush, &got);
	dkim__canon_body(&s, (const char *)data, size);
	if (dkim__sink_finish(&s) != 0)
		abort();
	ref_body(data, size, &want);
	if (got.len != want.len ||
	    (got.len > 0 && memcmp(got.data, want.data, got.len) != 0))
		abort();
	buf_free(&got);
	buf_free(&want);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sign_and_check(signers[0], data, size);
	sign_and_check(signers[1], data, size);
	check_body(data, size);
	return 0;
}
