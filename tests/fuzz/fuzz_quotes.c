/* SPDX-License-Identifier: BSD-2-Clause */
/* libFuzzer target: the fortune file reader on arbitrary bytes. quotes_parse() reads nothing
 * past its input, returns quotes or says why not, and every quote it keeps lies within the
 * input, is at most HELLOD_GREETING_MAX bytes and may be sent: UTF-8 with no control
 * characters but tab, LF and the CR of a CRLF. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "defaults.h"
#include "quotes.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_quote(const char *s, size_t n)
{
	for (size_t i = 0, k; i < n; i += k) {
		uint32_t cp;

		k = utf8_decode(s + i, n - i, &cp);
		if (k == 0)
			abort();
		if (cp == '\r' && !(i + 1 < n && s[i + 1] == '\n'))
			abort();
		if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || cp == 0x7f ||
		    (cp >= 0x80 && cp <= 0x9f))
			abort();
	}
	if (n == 0 || s[n - 1] == '\n')
		abort();                /* the final newline is left off */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Exactly the input, as quotes_parse() wants it: ASan sees a read past it. */
	char *copy = size ? malloc(size) : NULL, msg[256] = "";
	struct quotes *q = NULL;
	size_t max = 0;

	if (size && !copy)
		abort();
	if (size)
		memcpy(copy, data, size);
	if (quotes_parse(copy, size, &q, msg, sizeof(msg)) < 0) {
		if (q || msg[0] == '\0')
			abort();
		return 0;
	}
	if (!q || q->n == 0 || q->data != copy)
		abort();
	for (size_t i = 0; i < q->n; i++) {
		if (q->text[i] < q->data || q->text[i] + q->len[i] > q->data + size ||
		    q->len[i] > HELLOD_GREETING_MAX)
			abort();
		check_quote(q->text[i], q->len[i]);
		if (q->len[i] > max)
			max = q->len[i];
	}
	if (max != q->max_len)
		abort();
	for (time_t t = -86400; t < 40 * 86400; t += 86400 / 2)
		if (quotes_daily(q, t) >= q->n)
			abort();
	quotes_free(q);
	return 0;
}
