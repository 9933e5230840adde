/* SPDX-License-Identifier: BSD-2-Clause */
/* libFuzzer target: the metrics endpoint's request reader, the input being a scraper's bytes as
 * they come. The endpoint reads what has arrived and parses all of it each time, so besides a
 * bounded result this checks that the answers over growing prefixes wait (0) and then decide
 * once and for all: a head found stays found at the same length with the same meaning, a
 * refusal stays the same refusal. The bound is small here, so that it is reached often. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/hellod/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX 512                 /* the head's bound, HELLOD_METRICS_REQUEST_MAX's stand-in */
#define PREFIX_ALL 160          /* every prefix this short is checked ... */
#define PREFIX_SAMPLES 64       /* ... beyond it, about this many spread over the input */

struct result {
	int r;
	struct http_request req;
};

/* Parses data[0..len) from a copy of exactly that size, so that ASan sees a read past len. */
static void
parse(const uint8_t *data, size_t len, struct result *ret)
{
	char *copy = malloc(len ? len : 1);

	if (!copy)
		abort();
	memcpy(copy, data, len);
	memset(ret, 0, sizeof(*ret));
	ret->r = http_parse(copy, len, MAX, &ret->req);
	free(copy);
	if (ret->r > 0 && ((size_t)ret->r > len || ret->r > MAX))
		abort();
	if (ret->r < 0 && ret->r != -EBADMSG && ret->r != -EPROTONOSUPPORT &&
	    ret->r != -EMSGSIZE)
		abort();
	if (ret->r == -EMSGSIZE && len < MAX)
		abort();
	if (ret->r > 0 && (ret->req.method > HTTP_OTHER || ret->req.minor > 9))
		abort();
}

static bool
same(const struct result *a, const struct result *b)
{
	return a->r == b->r && (a->r <= 0 || (a->req.method == b->req.method &&
	    a->req.metrics == b->req.metrics && a->req.minor == b->req.minor));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct result whole, p;
	size_t decided = SIZE_MAX, step = size / PREFIX_SAMPLES + 1;

	parse(data, size, &whole);
	if (whole.r > 0) {
		/* A head ends with its empty line, and is whole without what follows it. */
		if (data[whole.r - 1] != '\n')
			abort();
		parse(data, (size_t)whole.r, &p);
		if (!same(&whole, &p))
			abort();
		parse(data, (size_t)whole.r - 1, &p);
		if (p.r != 0)
			abort();
	}
	/* In increasing order: the first prefix with an answer is known as the others come. */
	for (size_t k = 0; k < size; k += k < PREFIX_ALL ? 1 : step) {
		parse(data, k, &p);
		if (p.r == 0) {
			if (k >= decided)
				abort();        /* waiting again, after an answer */
			continue;
		}
		if (!same(&p, &whole))
			abort();
		if (k < decided)
			decided = k;
	}
	return 0;
}
