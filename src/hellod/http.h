/* SPDX-License-Identifier: BSD-2-Clause */
/* The metrics endpoint's request reader: an HTTP/1.x request line and its header fields, read
 * from the bytes that have arrived; pure parsing, no sockets. */
#ifndef HELLOD_HTTP_H
#define HELLOD_HTTP_H

#include <stdbool.h>
#include <stddef.h>

enum http_method {
	HTTP_GET,
	HTTP_HEAD,
	HTTP_OTHER,             /* any other token: answered 405 */
};

/* What a whole request head says. */
struct http_request {
	enum http_method method;
	bool metrics;           /* the path is /metrics (a query string aside) */
	unsigned minor;         /* HTTP/1.minor */
};

/* Reads the request head (request line, header fields, blank line; RFC 9112) at the start of
 * buf[0..len), what has arrived so far; the bytes after it (a body) are never looked at.
 * Returns the head's length once it is whole and valid, with *ret set; 0 when more is needed;
 * -EBADMSG when a complete line is malformed (an HTTP/1.1 request without exactly one Host
 * field too), -EPROTONOSUPPORT for a version other than HTTP/1.x, -EMSGSIZE when max bytes
 * came without the head's end. Lines end in CRLF or LF; empty lines before the request line
 * are skipped. The answer for a prefix of the input is 0 until the deciding byte, then the
 * same as for the whole input. */
int http_parse(const char *buf, size_t len, size_t max, struct http_request *ret);

#endif
