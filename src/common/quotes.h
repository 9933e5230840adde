/* SPDX-License-Identifier: BSD-2-Clause */
/* The fortune(6) source file of $quote: read whole, split on "%" lines, each quote checked. */
#ifndef HELLOD_QUOTES_H
#define HELLOD_QUOTES_H

#include <stddef.h>
#include <time.h>

struct quotes {
	unsigned long long generation;  /* this list's own number, never another's in this
	                                 * process: what a cache of it is keyed by, as its address
	                                 * may be reused once it is freed */
	char *data;             /* the file's bytes, owned */
	size_t n;               /* usable quotes */
	const char **text;      /* each quote, without its final newline (nor blank lines before
	                         * it); inner line breaks as the file has them (LF or CRLF) */
	size_t *len;
	size_t max_len;
	unsigned skipped;       /* too long (> HELLOD_GREETING_MAX) or with control characters
	                         * other than tab and newline (and CR of a CRLF), or not UTF-8 */
};

/* Reads a fortune(6) source file: quotes separated by lines holding only "%" (as Debian's
 * fortunes-min /usr/share/games/fortunes/fortunes). Returns 0 and *ret, or a negative errno
 * with msg (size bytes): missing, unreadable, not a regular file, larger than
 * HELLOD_QUOTES_SIZE_MAX, or no usable quote (-EINVAL). Never blocks on a FIFO, never reads
 * a device. */
int quotes_load(const char *path, struct quotes **ret, char *msg, size_t size);

/* Parses the len bytes at data, a malloc()ed buffer (or NULL when len is 0) that it takes
 * whatever the outcome: *ret owns it, or it is freed. Returns 0, -EINVAL (no usable quote)
 * or -ENOMEM, with msg filled in. */
int quotes_parse(char *data, size_t len, struct quotes **ret, char *msg, size_t size);

/* Frees q (NULL is fine). Returns NULL. */
struct quotes *quotes_free(struct quotes *q);

/* The quote (an index below q->n) of the local day containing t: the same on every worker and
 * after a restart, a pure function of the local date and n, consecutive days far apart in the
 * file and every quote once in n days. */
size_t quotes_daily(const struct quotes *q, time_t t);

#endif
