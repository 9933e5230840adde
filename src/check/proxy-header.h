/* SPDX-License-Identifier: BSD-2-Clause */
/* The PROXY protocol header hellod-check sends first (--proxy): built from addresses, no sockets. */
#ifndef HELLOD_PROXY_HEADER_H
#define HELLOD_PROXY_HEADER_H

#include <stddef.h>
#include <sys/socket.h>

#include "defaults.h"

enum proxy_version {
	PROXY_NONE,             /* no header: the probe sends nothing */
	PROXY_V1,               /* "PROXY TCP4|TCP6 src dst sport dport\r\n" */
	PROXY_V2,               /* the 16-byte LOCAL header of HAProxy's health checks */
};

/* Parses "v1" or "v2". Returns 0 with *ret set, or -EINVAL. */
int proxy_version_parse(const char *s, enum proxy_version *ret);

/* Writes the header of version v into buf (size bytes, HELLOD_CHECK_PROXY_MAX at least): for
 * v1 the line naming src (the probe's own end, getsockname) and dst (the server's end,
 * getpeername), both AF_INET or AF_INET6; IPv4-mapped IPv6 addresses are the IPv4 connection
 * they are, so TCP4. v2 does not read them. Returns the header's length, or -EAFNOSUPPORT for
 * other families, -ENOBUFS when buf is too small, -EINVAL for PROXY_NONE. */
int proxy_header_build(enum proxy_version v, const struct sockaddr *src,
    const struct sockaddr *dst, char *buf, size_t size);

#endif
