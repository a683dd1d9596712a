/* SPDX-License-Identifier: ISC */
/*
 * tests/fuzz/fuzz_config.c - libFuzzer target for the configuration parser
 *
 * Parses the input as "fuzz.yaml" in /tmp with config_parse() (no file is
 * read or written), then frees the result and the messages. Aborts when a
 * refused file comes without any message, or when a message does not start
 * with the file name ("fuzz.yaml:"), the form every caller prints. Leaks
 * are reported by LeakSanitizer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"

#define NAME	"fuzz.yaml"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config_diag	 diag;
	struct config		*cfg;
	size_t			 i;

	memset(&diag, 0, sizeof(diag));
	cfg = config_parse(NAME, "/tmp", data, size, &diag);
	if (cfg == NULL && diag.n == 0)
		abort();
	if (diag.n > CONFIG_MAX_ERRORS)
		abort();
	for (i = 0; i < diag.n; i++) {
		if (diag.msgs[i] == NULL ||
		    strncmp(diag.msgs[i], NAME ":", strlen(NAME ":")) != 0)
			abort();
	}
	config_free(cfg);
	config_diag_free(&diag);
	return 0;
}
