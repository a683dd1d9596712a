/* SPDX-License-Identifier: ISC */
/*
 * tests/fuzz/fuzz_addr.c - libFuzzer target for address normalisation
 *
 * Normalises the input. A refusal must be CLR_EINVAL with a reason (or
 * CLR_ENOMEM). An accepted address must be at most ADDR_MAX bytes, valid
 * UTF-8, hold exactly one '@' and no control byte (< 0x20 or DEL), have a
 * domain with a dot, and normalise to itself: normalisation is idempotent.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr/addr.h"
#include "util/err.h"
#include "util/utf8.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		 out[ADDR_MAX + 1], again[ADDR_MAX + 1];
	const char	*why = NULL, *dom;
	size_t		 len, i, ats = 0;
	int		 rc;

	rc = addr_normalize((const char *)data, size, out, &why);
	if (rc != 0) {
		if ((rc != CLR_EINVAL && rc != CLR_ENOMEM) || why == NULL ||
		    why[0] == '\0')
			abort();
		return 0;
	}
	len = strnlen(out, sizeof(out));
	if (len == 0 || len > ADDR_MAX)
		abort();
	for (i = 0; i < len; i++) {
		unsigned char	 c = (unsigned char)out[i];

		if (c < 0x20 || c == 0x7F)
			abort();
		if (c == '@')
			ats++;
	}
	if (ats != 1 || !utf8_valid(out, len, NULL))
		abort();
	dom = addr_domain(out);
	if (dom[0] == '\0' || strchr(dom, '.') == NULL)
		abort();

	why = NULL;
	if (addr_normalize(out, len, again, &why) != 0)
		abort();
	if (strcmp(out, again) != 0)
		abort();
	return 0;
}
