/* SPDX-License-Identifier: BSD-2-Clause */
/* Parsing and formatting of hosts, ports and socket addresses; nothing here logs. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

#include "addr.h"
#include "defaults.h"
#include "util.h"

/* Parses an IPv6 literal, which may carry a %zone, into *a6. */
static bool
host_parse_ipv6(const char *s, struct in6_addr *a6)
{
	char buf[INET6_ADDRSTRLEN];
	const char *zone = strchr(s, '%');
	size_t n = zone ? (size_t)(zone - s) : strlen(s);

	if (n >= sizeof(buf) || (zone && zone[1] == '\0'))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return inet_pton(AF_INET6, buf, a6) == 1;
}

static bool
host_is_ipv6(const char *s)
{
	struct in6_addr a6;

	return host_parse_ipv6(s, &a6);
}

static bool
host_is_name(const char *s)
{
	size_t label = 0;

	/* RFC 1123 host names: dot-separated labels of letters, digits and inner hyphens. */
	for (const char *p = s; ; p++) {
		if (*p == '.' || *p == '\0') {
			if (label == 0 || label > 63 || p[-1] == '-')
				return *p == '\0' && label == 0 && p > s && p[-1] == '.';
			if (*p == '\0')
				return true;
			label = 0;
		} else if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || (*p == '-' && label > 0) || *p == '_')
			label++;
		else
			return false;
	}
}

int
addr_check_host(const char *s)
{
	struct in_addr a4;

	if (strlen(s) > HELLOD_HOST_MAX)
		return -EINVAL;
	if (inet_pton(AF_INET, s, &a4) == 1 || host_is_ipv6(s) || host_is_name(s))
		return 0;
	return -EINVAL;
}

/* Copies the n bytes at s into buf (len bytes) as a string. Returns 0, or -EINVAL when they
 * are empty or do not fit. */
static int
copy_part(const char *s, size_t n, char *buf, size_t len)
{
	if (n == 0 || n >= len)
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return 0;
}

int
addr_endpoint_split(const char *s, size_t n, char *host, size_t host_len, char *port,
    size_t port_len)
{
	const char *colon, *end = s + n;

	if (n > 0 && s[0] == '[') {
		const char *close = memchr(s, ']', n);

		if (!close || close + 1 == end || close[1] != ':')
			return -EINVAL;
		if (copy_part(s + 1, (size_t)(close - s - 1), host, host_len) < 0)
			return -EINVAL;
		colon = close + 1;
	} else {
		colon = memchr(s, ':', n);
		/* One colon only: an IPv6 address without brackets is ambiguous. */
		if (!colon || memchr(colon + 1, ':', (size_t)(end - colon - 1)) ||
		    copy_part(s, (size_t)(colon - s), host, host_len) < 0)
			return -EINVAL;
	}
	return copy_part(colon + 1, (size_t)(end - colon - 1), port, port_len);
}

bool
addr_host_is_v4mapped(const char *s, char *buf, size_t len)
{
	struct in6_addr a6;

	if (!host_parse_ipv6(s, &a6) || !IN6_IS_ADDR_V4MAPPED(&a6))
		return false;
	if (!inet_ntop(AF_INET, &a6.s6_addr[12], buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return true;
}

int
addr_parse_port(const char *s, uint16_t *ret)
{
	struct servent *se;
	unsigned long v;
	int r;

	r = parse_uint(s, 1, 65535, &v);
	if (r == 0) {
		*ret = (uint16_t)v;
		return 0;
	}
	if (*s >= '0' && *s <= '9')
		return r;

	se = getservbyname(s, "tcp");
	if (!se)
		se = getservbyname(s, "udp");
	endservent();
	if (!se)
		return -EINVAL;
	*ret = ntohs((uint16_t)se->s_port);
	return 0;
}

char *
addr_format(const struct sockaddr *sa, socklen_t salen, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN + IF_NAMESIZE + 1];

	switch (sa->sa_family) {
	case AF_INET: {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, ntohs(in->sin_port));
		break;
	}
	case AF_INET6: {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		if (in6->sin6_scope_id != 0)
			snprintf(host + strlen(host), sizeof(host) - strlen(host), "%%%u",
			    in6->sin6_scope_id);
		snprintf(buf, len, "[%s]:%u", host, ntohs(in6->sin6_port));
		break;
	}
	case AF_UNIX: {
		const struct sockaddr_un *un = (const struct sockaddr_un *)sa;
		size_t n = salen > offsetof(struct sockaddr_un, sun_path) ?
		    salen - offsetof(struct sockaddr_un, sun_path) : 0;

		if (n > sizeof(un->sun_path))
			n = sizeof(un->sun_path);
		if (n == 0)
			snprintf(buf, len, "unix:(unnamed)");
		else if (un->sun_path[0] == '\0')
			snprintf(buf, len, "unix:@%.*s", (int)(n - 1), un->sun_path + 1);
		else
			snprintf(buf, len, "unix:%.*s", (int)strnlen(un->sun_path, n), un->sun_path);
		break;
	}
	default:
		snprintf(buf, len, "(address family %d)", sa->sa_family);
	}
	return buf;
}

static const uint8_t v4_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

bool
addr_prefix_is_ipv4(const struct addr_prefix *a)
{
	return memcmp(a->addr, v4_mapped, sizeof(v4_mapped)) == 0 && a->bits >= 96;
}

static void
prefix_mask(struct addr_prefix *a)
{
	for (unsigned i = 0; i < 16; i++) {
		unsigned keep = a->bits > i * 8 ? a->bits - i * 8 : 0;

		if (keep < 8)
			a->addr[i] &= (uint8_t)(0xff00 >> keep);
	}
}

int
addr_prefix_parse(const char *s, struct addr_prefix *ret)
{
	char buf[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	struct addr_prefix a = { .bits = 128 };
	unsigned long bits;
	unsigned max;

	if (n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET, buf, a.addr + 12) == 1) {
		memcpy(a.addr, v4_mapped, sizeof(v4_mapped));
		max = 32;
	} else if (inet_pton(AF_INET6, buf, a.addr) == 1)
		max = 128;
	else
		return -EINVAL;
	if (slash) {
		int r = parse_uint(slash + 1, 0, max, &bits);

		if (r < 0)
			return r;
		a.bits = (unsigned)bits + 128 - max;
	}
	prefix_mask(&a);
	*ret = a;
	return 0;
}

bool
addr_source(const struct sockaddr *sa, socklen_t salen, struct addr_prefix *ret)
{
	ret->bits = 128;
	if (sa->sa_family == AF_INET && salen >= sizeof(struct sockaddr_in)) {
		memcpy(ret->addr, v4_mapped, sizeof(v4_mapped));
		memcpy(ret->addr + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		return true;
	}
	if (sa->sa_family == AF_INET6 && salen >= sizeof(struct sockaddr_in6)) {
		memcpy(ret->addr, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
		return true;
	}
	return false;
}

void
addr_prefix_cut(struct addr_prefix *a, unsigned bits4, unsigned bits6)
{
	a->bits = addr_prefix_is_ipv4(a) ? 96 + bits4 : bits6;
	prefix_mask(a);
}

char *
addr_prefix_format(const struct addr_prefix *a, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];

	if (addr_prefix_is_ipv4(a)) {
		inet_ntop(AF_INET, a->addr + 12, host, sizeof(host));
		snprintf(buf, len, "%s/%u", host, a->bits - 96);
	} else {
		inet_ntop(AF_INET6, a->addr, host, sizeof(host));
		snprintf(buf, len, "%s/%u", host, a->bits);
	}
	return buf;
}

bool
addr_is_loose_ipv4(const char *s)
{
	struct in_addr a, b;
	char back[INET_ADDRSTRLEN];

	/* All digits and dots is no host name either (RFC 3696: no top-level domain is all
	 * digits), but an address with a typo, such as 127.0.0.08. */
	if (inet_aton(s, &a) == 0 && strspn(s, "0123456789.") != strlen(s))
		return false;
	/* inet_pton() takes only a.b.c.d in decimal; printing it back rules out leading zeros. */
	return !(inet_pton(AF_INET, s, &b) == 1 && inet_ntop(AF_INET, &b, back, sizeof(back)) &&
	    strcmp(back, s) == 0);
}
