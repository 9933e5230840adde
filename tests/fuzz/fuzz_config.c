/* SPDX-License-Identifier: BSD-2-Clause */
/* libFuzzer target: the config parser (inih and every key's validation) on arbitrary bytes.
 * Whatever the input, config_parse() returns a config or errors, never crashes or leaks. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config_errors errors;
	struct hellod_config *c = NULL;
	FILE *f;

	/* fmemopen() of 0 bytes fails with EINVAL; an empty file is /dev/null. */
	f = size > 0 ? fmemopen((void *)(uintptr_t)data, size, "r") : fopen("/dev/null", "r");
	if (!f)
		return 0;
	if (config_parse(f, "fuzz.conf", &c, &errors) == 0) {
		if (!c->line || c->line_len == 0 || c->line[c->line_len - 1] != '\n')
			abort();        /* a valid config always has a greeting line */
		config_unref(c);
	} else if (errors.n == 0 && !ferror(f))
		abort();                /* refused without saying why */
	fclose(f);
	return 0;
}
