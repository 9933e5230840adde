/* SPDX-License-Identifier: BSD-2-Clause */
/* The fortune(6) source file of $quote: read whole, split on "%" lines, each quote checked. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "defaults.h"
#include "quotes.h"
#include "util.h"

/* Whether the line s[0..n), its newline left out, is a separator: "%", or "%\r" in a CRLF file. */
static bool
is_separator(const char *s, size_t n)
{
	return (n == 1 && s[0] == '%') || (n == 2 && s[0] == '%' && s[1] == '\r');
}

/* Whether s[0..n) holds nothing to read: only blank lines ("%\n\n%" is an empty quote). */
static bool
is_blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
			return false;
	return true;
}

/* Whether s[0..n) may be sent: UTF-8, and no control characters but tab, newline and the CR
 * of a CRLF; C1 controls are refused too, as in a greeting (U+009B is a terminal's CSI). */
static bool
is_sendable(const char *s, size_t n)
{
	for (size_t i = 0, k; i < n; i += k) {
		unsigned char c = (unsigned char)s[i];
		uint32_t cp;

		/* Printable ASCII is most of any file: no decoding for it. */
		k = 1;
		if (c >= 0x20 && c < 0x7f)
			continue;
		if (c == '\t' || c == '\n' || (c == '\r' && i + 1 < n && s[i + 1] == '\n'))
			continue;
		k = utf8_decode(s + i, n - i, &cp);
		if (k == 0 || cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f))
			return false;
	}
	return true;
}

/* Takes the quote s[0..n), its final newline still on, into q if it is usable. */
static void
add_quote(struct quotes *q, const char *s, size_t n)
{
	/* The final newline is the sender's to add, and blank lines before the "%" would only
	 * end the greeting with empty lines; a CR belongs to a newline only before an LF. */
	while (n > 0 && s[n - 1] == '\n') {
		n--;
		if (n > 0 && s[n - 1] == '\r')
			n--;
	}
	if (is_blank(s, n))
		return;         /* "%" twice, or a file of only "%": not counted */
	if (n > HELLOD_GREETING_MAX || !is_sendable(s, n)) {
		q->skipped++;
		return;
	}
	q->text[q->n] = s;
	q->len[q->n] = n;
	if (n > q->max_len)
		q->max_len = n;
	q->n++;
}

/* Calls add_quote() on each quote of data[0..len), or only counts them (q NULL): the result. */
static size_t
split(struct quotes *q, const char *data, size_t len)
{
	size_t count = 0, start = 0;

	for (size_t pos = 0; pos < len; ) {
		const char *nl = memchr(data + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - data) : len;

		if (is_separator(data + pos, end - pos)) {
			if (q)
				add_quote(q, data + start, pos - start);
			count++;
			start = end + 1;
		}
		pos = end + 1;
	}
	if (start < len && q)
		add_quote(q, data + start, len - start);
	return count + 1;
}

/* The last generation given out: 0 is none. */
static unsigned long long quotes_generations;

int
quotes_parse(char *data, size_t len, struct quotes **ret, char *msg, size_t size)
{
	struct quotes *q = calloc(1, sizeof(*q));
	size_t most = split(NULL, data, len);

	if (!q)
		goto oom;
	q->data = data;
	q->text = malloc(most * sizeof(*q->text));
	q->len = malloc(most * sizeof(*q->len));
	if (!q->text || !q->len)
		goto oom;
	split(q, data, len);
	/* Atomic: several hellod threads may load configs at once (hellod-check is one). */
	q->generation = __atomic_add_fetch(&quotes_generations, 1, __ATOMIC_RELAXED);
	if (q->n == 0) {
		if (q->skipped > 0)
			snprintf(msg, size, "no usable quote: %u skipped (longer than %d bytes, "
			    "not UTF-8, or with control characters); allowed: quotes of text and "
			    "tabs, separated by lines holding only %%", q->skipped,
			    HELLOD_GREETING_MAX);
		else
			snprintf(msg, size, "no quote in the file; allowed: quotes of text and "
			    "tabs, separated by lines holding only %%");
		quotes_free(q);
		return -EINVAL;
	}
	*ret = q;
	return 0;
oom:
	if (q)
		quotes_free(q);
	else
		free(data);
	snprintf(msg, size, "%s", strerror(ENOMEM));
	return -ENOMEM;
}

int
quotes_load(const char *path, struct quotes **ret, char *msg, size_t size)
{
	char *data = NULL;
	ssize_t n;

	n = read_regular_file(path, HELLOD_QUOTES_SIZE_MAX, &data, msg, size);
	if (n < 0)
		return (int)n;
	return quotes_parse(data, (size_t)n, ret, msg, size);
}

struct quotes *
quotes_free(struct quotes *q)
{
	if (!q)
		return NULL;
	free(q->data);
	free(q->text);
	free(q->len);
	free(q);
	return NULL;
}

static uint64_t
gcd(uint64_t a, uint64_t b)
{
	while (b != 0) {
		uint64_t r = a % b;

		a = b;
		b = r;
	}
	return a;
}

size_t
quotes_daily(const struct quotes *q, time_t t)
{
	uint64_t n = q->n, stride, d;
	long long day;
	struct tm tm;
	long off = 0;

	if (n <= 1)
		return 0;
	/* The local date, as the day number of the local wall clock: midnight is local. */
	if (localtime_r(&t, &tm))
		off = tm.tm_gmtoff;
	day = ((long long)t + off) / 86400;
	if (((long long)t + off) % 86400 < 0)
		day--;
	/* Day d shows quote d * stride mod n: with stride coprime to n, every quote once in n
	 * days; near n / phi, consecutive days far apart in the file, neighbours not alike. */
	stride = n * 618034 / 1000000;         /* at least 1: n >= 2 here */
	while (gcd(stride, n) != 1)
		stride++;
	d = (uint64_t)((day % (long long)n + (long long)n) % (long long)n);
	return (size_t)(d * stride % n);
}
