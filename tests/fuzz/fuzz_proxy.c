/* SPDX-License-Identifier: BSD-2-Clause */
/* libFuzzer target: the PROXY header parser, the input being a peer's bytes as they come. The
 * daemon peeks at what has arrived, parses all of it, and peeks again when told more is
 * needed; so besides a bounded result, this checks that the answers over growing prefixes of
 * the input wait (0) and then decide once and for all: a header found stays found at the same
 * length with the same addresses, one refused stays refused for the same reason. A prefix of a
 * valid header thus never reads as bad, and what reads as bad never becomes valid later. */
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/hellod/proxy.h"
#include "addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every prefix this short is checked; beyond it, about this many spread over the input (each
 * parse of a prefix is linear, so all of them would be quadratic). */
#define PREFIX_ALL 160
#define PREFIX_SAMPLES 64

struct result {
	int r;
	const char *why;
	struct proxy_header h;
};

/* Parses data[0..len) from a copy of exactly that size, so that ASan sees a read past len. */
static void
parse(const uint8_t *data, size_t len, struct result *ret)
{
	uint8_t *copy = malloc(len ? len : 1);

	if (!copy)
		abort();
	memcpy(copy, data, len);
	memset(ret, 0, sizeof(*ret));
	ret->r = proxy_parse(copy, len, &ret->h, &ret->why);
	free(copy);
	if (ret->r > 0 && ((size_t)ret->r > len || ret->r > PROXY_HEADER_MAX))
		abort();
	if (ret->r < 0 && (ret->r != -EBADMSG || !ret->why || ret->why[0] == '\0'))
		abort();
}

static void
check_address(const struct sockaddr_storage *ss, socklen_t len)
{
	char buf[ADDR_STR_MAX];

	if (!((ss->ss_family == AF_INET && len == sizeof(struct sockaddr_in)) ||
	    (ss->ss_family == AF_INET6 && len == sizeof(struct sockaddr_in6))))
		abort();
	addr_format((const struct sockaddr *)ss, len, buf, sizeof(buf));
	if (buf[0] == '\0' || strlen(buf) >= sizeof(buf))
		abort();
}

/* A header as the spec shapes it: v1 a line ending in CRLF within 107 bytes, v2 16 + len. */
static void
check_header(const uint8_t *data, const struct result *a)
{
	const struct proxy_header *h = &a->h;

	if (h->version == 1) {
		if (a->r > 107 || a->r < 15 || memcmp(data, "PROXY ", 6) != 0 ||
		    memcmp(data + a->r - 2, "\r\n", 2) != 0)
			abort();
	} else if (h->version != 2 || a->r != 16 + (data[14] << 8 | data[15]))
		abort();
	if (h->local) {
		if (h->source_len != 0 || h->destination_len != 0)
			abort();
		return;
	}
	check_address(&h->source, h->source_len);
	check_address(&h->destination, h->destination_len);
	if (h->source.ss_family != h->destination.ss_family)
		abort();
}

static bool
same(const struct result *a, const struct result *b)
{
	if (a->r != b->r)
		return false;
	if (a->r < 0)
		return strcmp(a->why, b->why) == 0;
	if (a->r == 0)
		return true;
	return a->h.version == b->h.version && a->h.local == b->h.local &&
	    a->h.source_len == b->h.source_len && a->h.destination_len == b->h.destination_len &&
	    memcmp(&a->h.source, &b->h.source, a->h.source_len) == 0 &&
	    memcmp(&a->h.destination, &b->h.destination, a->h.destination_len) == 0;
}

/* The answer for a prefix of k bytes, given the whole input's: 0 before the deciding byte,
 * the whole input's answer from there on. */
static void
check_prefix(const uint8_t *data, size_t k, const struct result *whole, size_t *decided)
{
	struct result p;

	parse(data, k, &p);
	if (p.r == 0) {
		/* Waiting is wrong once a shorter prefix decided. */
		if (k >= *decided)
			abort();
		return;
	}
	if (!same(&p, whole))
		abort();
	if (k < *decided)
		*decided = k;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct result whole, again;
	size_t decided = SIZE_MAX, step;

	parse(data, size, &whole);
	if (whole.r > 0) {
		check_header(data, &whole);
		/* Exactly the header's bytes, without what the client sent after them. */
		parse(data, (size_t)whole.r, &again);
		if (!same(&whole, &again))
			abort();
		if (whole.r > 1) {
			parse(data, (size_t)whole.r - 1, &again);
			if (again.r != 0)
				abort();
		}
	}
	/* In increasing order, so that the first prefix with an answer is known as the others
	 * are checked against it. */
	step = size / PREFIX_SAMPLES + 1;
	for (size_t k = 0; k < size; k += k < PREFIX_ALL ? 1 : step)
		check_prefix(data, k, &whole, &decided);
	return 0;
}
