/* SPDX-License-Identifier: BSD-2-Clause */
/* The PROXY protocol header hellod-check sends first (--proxy): built from addresses, no sockets. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "proxy-header.h"

/* HAProxy's doc/proxy-protocol.txt, 2.2: the v2 signature, then version 2 with the LOCAL
 * command, the UNSPEC family and protocol, and an address block of length 0. */
static const unsigned char v2_local[16] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
	0x20,           /* version 2, LOCAL */
	0x00,           /* AF_UNSPEC, UNSPEC */
	0x00, 0x00,     /* no address block */
};

int
proxy_version_parse(const char *s, enum proxy_version *ret)
{
	if (strcmp(s, "v1") == 0)
		*ret = PROXY_V1;
	else if (strcmp(s, "v2") == 0)
		*ret = PROXY_V2;
	else
		return -EINVAL;
	return 0;
}

/* An IPv6 address as eight groups of hex digits. inet_ntop() writes the addresses of ::/96
 * with a dotted IPv4 tail, which the spec's IPv6 form does not allow. */
static void
v6_groups(const struct in6_addr *a, char *text, size_t size)
{
	const uint8_t *b = a->s6_addr;

	snprintf(text, size, "%x:%x:%x:%x:%x:%x:%x:%x", b[0] << 8 | b[1], b[2] << 8 | b[3],
	    b[4] << 8 | b[5], b[6] << 8 | b[7], b[8] << 8 | b[9], b[10] << 8 | b[11],
	    b[12] << 8 | b[13], b[14] << 8 | b[15]);
}

/* sa's address in the spec's canonical form, and its port. *ret_tcp is '4' or '6': the family
 * of the line. Returns 0 or -EAFNOSUPPORT. */
static int
v1_address(const struct sockaddr *sa, char *text, size_t size, unsigned *ret_port,
    char *ret_tcp)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;

		if (!inet_ntop(AF_INET, &in->sin_addr, text, (socklen_t)size))
			return -EAFNOSUPPORT;
		*ret_port = ntohs(in->sin_port);
		*ret_tcp = '4';
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
		const struct in6_addr *a = &in6->sin6_addr;

		/* A mapped address is an IPv4 connection on a dual-stack socket. */
		if (IN6_IS_ADDR_V4MAPPED(a)) {
			if (!inet_ntop(AF_INET, a->s6_addr + 12, text, (socklen_t)size))
				return -EAFNOSUPPORT;
			*ret_tcp = '4';
		} else {
			if (!inet_ntop(AF_INET6, a, text, (socklen_t)size))
				return -EAFNOSUPPORT;
			if (strchr(text, '.'))
				v6_groups(a, text, size);
			*ret_tcp = '6';
		}
		*ret_port = ntohs(in6->sin6_port);
		return 0;
	}
	return -EAFNOSUPPORT;
}

int
proxy_header_build(enum proxy_version v, const struct sockaddr *src,
    const struct sockaddr *dst, char *buf, size_t size)
{
	char src_text[INET6_ADDRSTRLEN], dst_text[INET6_ADDRSTRLEN], src_tcp, dst_tcp;
	unsigned src_port, dst_port;
	int n;

	if (v == PROXY_V2) {
		if (size < sizeof(v2_local))
			return -ENOBUFS;
		memcpy(buf, v2_local, sizeof(v2_local));
		return (int)sizeof(v2_local);
	}
	if (v != PROXY_V1)
		return -EINVAL;
	if (v1_address(src, src_text, sizeof(src_text), &src_port, &src_tcp) < 0 ||
	    v1_address(dst, dst_text, sizeof(dst_text), &dst_port, &dst_tcp) < 0 ||
	    src_tcp != dst_tcp)
		return -EAFNOSUPPORT;
	n = snprintf(buf, size, "PROXY TCP%c %s %s %u %u\r\n", src_tcp, src_text, dst_text,
	    src_port, dst_port);
	if (n < 0 || (size_t)n >= size || n > HELLOD_CHECK_PROXY_MAX)
		return -ENOBUFS;
	return n;
}
