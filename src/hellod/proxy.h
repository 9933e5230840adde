/* SPDX-License-Identifier: BSD-2-Clause */
/* The PROXY protocol header (HAProxy's doc/proxy-protocol.txt, versions 1 and 2): pure parsing
 * of the bytes a trusted balancer sends before its client's; no sockets, no logging. */
#ifndef HELLOD_PROXY_H
#define HELLOD_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#define PROXY_HEADER_MAX (16 + 4096)   /* v2's cap, like nginx 1.23.3+; v1 is at most 107 */

struct proxy_header {
	unsigned version;               /* 1 or 2 */
	bool local;                     /* LOCAL, UNKNOWN, UNSPEC or AF_UNIX: the connection's
	                                 * own addresses stand */
	struct sockaddr_storage source, destination;    /* AF_INET or AF_INET6 unless local, the
	                                                 * first sizeof(struct sockaddr_in6) bytes
	                                                 * of each set */
	socklen_t source_len, destination_len;
};

/* Parses what a trusted peer has sent so far, buf[0..len), never reading beyond len.
 * Returns the header's length in bytes (> 0) when buf starts with a whole valid header, *ret
 * then filled in; 0 when buf is a valid beginning of one and more bytes are needed; -EBADMSG
 * when it is not a PROXY header or breaks the spec, *why then pointing to a static reason for the
 * log ("v1: no CRLF within 107 bytes", "v2: length shorter than its address block", ...). */
int proxy_parse(const void *buf, size_t len, struct proxy_header *ret, const char **why);

#endif
