/* SPDX-License-Identifier: ISC */
/*
 * addr/addr.c - e-mail address validation and normalisation
 *
 * RFC 5321 4.5.3.1 (size limits), RFC 5322 3.2.3 and 3.4.1 (dot-atom),
 * RFC 6531/6532 (UTF-8 local parts), RFC 5890-5893 and UTS #46 (IDNA2008,
 * through libidn2).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <idn2.h>

#include "addr.h"
#include "util/err.h"
#include "util/str.h"
#include "util/utf8.h"

#define LOCAL_MAX	64
#define DOMAIN_MAX	253	/* 255 on the wire, less length octets */
#define LABEL_MAX	63

/* RFC 5322 atext, less ALPHA and DIGIT. */
static int
is_atext_special(int c)
{
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

static int
check_local(const char *s, size_t n, const char **why)
{
	size_t		 i, len;
	uint32_t	 cp;

	if (n == 0) {
		*why = "the local part (before @) is empty";
		return CLR_EINVAL;
	}
	if (n > LOCAL_MAX) {
		*why = "the local part is longer than 64 octets";
		return CLR_EINVAL;
	}
	if (s[0] == '"') {
		*why = "quoted local parts are not accepted";
		return CLR_EINVAL;
	}
	if (s[0] == '.' || s[n - 1] == '.') {
		*why = "the local part starts or ends with a dot";
		return CLR_EINVAL;
	}
	for (i = 0; i < n; i += len) {
		unsigned char	 c = (unsigned char)s[i];

		len = 1;
		if (c == '.') {
			if (s[i + 1] == '.') {
				*why = "the local part has two dots in a row";
				return CLR_EINVAL;
			}
			continue;
		}
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || is_atext_special(c))
			continue;
		if (c < 0x80) {
			*why = c < 0x20 || c == 0x7F ?
			    "the address contains a control character" :
			    "the local part contains a character not allowed "
			    "in an address";
			return CLR_EINVAL;
		}
		len = utf8_decode((const unsigned char *)s + i, n - i, &cp);
		if (len == 0) {
			*why = "the address is not valid UTF-8";
			return CLR_EINVAL;
		}
		/* C1 controls and the Unicode line/paragraph separators. */
		if (cp < 0xA0 || cp == 0x2028 || cp == 0x2029 ||
		    cp == 0xFEFF) {
			*why = "the address contains a control character";
			return CLR_EINVAL;
		}
	}
	return 0;
}

/* check_ldh - validate a lower-case ASCII domain; 0 or CLR_EINVAL. */
static int
check_ldh(const char *d, size_t n, const char **why)
{
	size_t	 i, label = 0, labels = 1, start = 0;
	int	 numeric = 1;

	if (n == 0) {
		*why = "the domain (after @) is empty";
		return CLR_EINVAL;
	}
	if (n > DOMAIN_MAX) {
		*why = "the domain is longer than 253 octets";
		return CLR_EINVAL;
	}
	for (i = 0; i <= n; i++) {
		char	 c = i < n ? d[i] : '.';

		if (c == '.') {
			if (label == 0) {
				*why = "the domain has an empty label";
				return CLR_EINVAL;
			}
			if (label > LABEL_MAX) {
				*why = "a domain label is longer than 63 octets";
				return CLR_EINVAL;
			}
			if (d[start] == '-' || d[i - 1] == '-') {
				*why = "a domain label starts or ends with '-'";
				return CLR_EINVAL;
			}
			if (i < n) {
				labels++;
				numeric = 1;
				label = 0;
				start = i + 1;
			}
			continue;
		}
		if (c >= '0' && c <= '9') {
			label++;
			continue;
		}
		if ((c >= 'a' && c <= 'z') || c == '-') {
			numeric = 0;
			label++;
			continue;
		}
		*why = "the domain contains a character not allowed in a "
		    "host name";
		return CLR_EINVAL;
	}
	if (labels < 2) {
		*why = "the domain has no dot";
		return CLR_EINVAL;
	}
	if (numeric) {
		*why = "the top-level domain is numeric";
		return CLR_EINVAL;
	}
	return 0;
}

int
addr_normalize(const char *s, size_t n, char out[ADDR_MAX + 1],
    const char **why)
{
	const char	*at, *dom;
	char		 dbuf[DOMAIN_MAX * 4 + 8];
	char		*alabel = NULL;
	size_t		 llen, dlen, i;
	int		 ascii = 1, needs_idna = 0, rc;

	if (n > ADDR_MAX * 4) {
		*why = "the address is longer than 254 octets";
		return CLR_EINVAL;
	}
	if (memchr(s, '\0', n) != NULL) {
		*why = "the address contains a control character";
		return CLR_EINVAL;
	}
	if ((at = memchr(s, '@', n)) == NULL) {
		*why = "the address has no @";
		return CLR_EINVAL;
	}
	if (memchr(at + 1, '@', n - (size_t)(at - s) - 1) != NULL) {
		*why = s[0] == '"' ? "quoted local parts are not accepted" :
		    "the address has more than one @";
		return CLR_EINVAL;
	}
	llen = (size_t)(at - s);
	dom = at + 1;
	dlen = n - llen - 1;
	if ((rc = check_local(s, llen, why)) != 0)
		return rc;
	if (dlen > 0 && dom[0] == '[') {
		*why = "address literals are not accepted";
		return CLR_EINVAL;
	}
	if (dlen == 0) {
		*why = "the domain (after @) is empty";
		return CLR_EINVAL;
	}
	if (dlen >= sizeof(dbuf)) {
		*why = "the domain is longer than 253 octets";
		return CLR_EINVAL;
	}
	for (i = 0; i < dlen; i++) {
		unsigned char	 c = (unsigned char)dom[i];

		if (c >= 0x80)
			ascii = 0;
		if (c < 0x20 || c == 0x7F) {
			*why = "the address contains a control character";
			return CLR_EINVAL;
		}
		dbuf[i] = (char)str_ascii_lower(c);
		if (i >= 3 && dbuf[i] == '-' && dbuf[i - 1] == '-' &&
		    dbuf[i - 2] == 'n' && dbuf[i - 3] == 'x')
			needs_idna = 1;	/* an A-label: check its punycode */
	}
	dbuf[dlen] = '\0';
	if (!ascii || needs_idna) {
		if (!utf8_valid(dom, dlen, NULL)) {
			*why = "the address is not valid UTF-8";
			return CLR_EINVAL;
		}
		rc = idn2_lookup_u8((const uint8_t *)dbuf, (uint8_t **)&alabel,
		    IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
		if (rc == IDN2_MALLOC) {
			*why = "out of memory";
			return CLR_ENOMEM;
		}
		if (rc != IDN2_OK) {
			*why = "the domain is not a valid internationalised "
			    "domain name";
			return CLR_EINVAL;
		}
		dlen = strlen(alabel);
		if (dlen >= sizeof(dbuf)) {
			idn2_free(alabel);
			*why = "the domain is longer than 253 octets";
			return CLR_EINVAL;
		}
		memcpy(dbuf, alabel, dlen + 1);
		idn2_free(alabel);
		for (i = 0; i < dlen; i++)
			dbuf[i] = (char)str_ascii_lower((unsigned char)dbuf[i]);
	}
	if ((rc = check_ldh(dbuf, dlen, why)) != 0)
		return rc;
	if (llen + 1 + dlen > ADDR_MAX) {
		*why = "the address is longer than 254 octets";
		return CLR_EINVAL;
	}
	memcpy(out, s, llen);
	out[llen] = '@';
	memcpy(out + llen + 1, dbuf, dlen + 1);
	return 0;
}

const char *
addr_domain(const char *addr)
{
	const char	*at = strrchr(addr, '@');

	return at != NULL ? at + 1 : addr + strlen(addr);
}
