/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests of the PROXY header hellod-check sends: the v1 line's canonical form for each
 * family, the v2 LOCAL bytes, and the versions --proxy takes. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/un.h>

#include "test.h"
#include "../../src/check/proxy-header.c"

static struct sockaddr_in
in4(const char *a, unsigned port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };

	inet_pton(AF_INET, a, &sin.sin_addr);
	return sin;
}

static struct sockaddr_in6
in6(const char *a, unsigned port)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port) };

	inet_pton(AF_INET6, a, &sin6.sin6_addr);
	return sin6;
}

/* The header built from two addresses, as a C string, in a static buffer; "error N" when
 * proxy_header_build() fails. */
static const char *
v1(const void *src, const void *dst)
{
	static char buf[HELLOD_CHECK_PROXY_MAX + 1];
	int n = proxy_header_build(PROXY_V1, src, dst, buf, sizeof(buf));

	if (n < 0)
		snprintf(buf, sizeof(buf), "error %d", n);
	else if ((size_t)n != strlen(buf))
		snprintf(buf, sizeof(buf), "length %d", n);
	return buf;
}

static void
v1_ipv4(void)
{
	struct sockaddr_in a = in4("127.0.0.1", 40000), b = in4("127.0.0.2", 12345);
	struct sockaddr_in max = in4("255.255.255.255", 65535), zero = in4("0.0.0.0", 0);

	CHECK_STR(v1(&a, &b), "PROXY TCP4 127.0.0.1 127.0.0.2 40000 12345\r\n");
	/* The spec's longest IPv4 line, 56 bytes; no leading zeros in addresses or ports. */
	CHECK_STR(v1(&max, &max), "PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n");
	CHECK_STR(v1(&zero, &a), "PROXY TCP4 0.0.0.0 127.0.0.1 0 40000\r\n");
}

static void
v1_ipv6(void)
{
	struct sockaddr_in6 a = in6("::1", 5), b = in6("2001:DB8:0:0:0:0:0:42", 443);
	struct sockaddr_in6 max = in6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535);
	struct sockaddr_in6 compat = in6("::1.2.3.4", 1), nat64 = in6("64:ff9b::1.2.3.4", 2);
	struct sockaddr_in6 ll = in6("fe80::1", 3);
	const char *line;

	CHECK_STR(v1(&a, &b), "PROXY TCP6 ::1 2001:db8::42 5 443\r\n");
	/* The spec's longest IPv6 line: 104 bytes, within the 107 a receiver must take. */
	line = v1(&max, &max);
	CHECK_STR(line, "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n");
	CHECK(strlen(line) == 104);
	/* The spec's IPv6 form has hex groups only: no dotted tail, which inet_ntop() writes
	 * for ::/96. */
	CHECK_STR(v1(&compat, &nat64), "PROXY TCP6 0:0:0:0:0:0:102:304 64:ff9b::102:304 1 2\r\n");
	/* A scope is no part of the address: no %zone. */
	ll.sin6_scope_id = 1;
	CHECK_STR(v1(&ll, &a), "PROXY TCP6 fe80::1 ::1 3 5\r\n");
}

static void
v1_mapped_is_tcp4(void)
{
	struct sockaddr_in6 a = in6("::ffff:127.0.0.1", 40000), b = in6("::ffff:10.0.0.1", 80);

	CHECK_STR(v1(&a, &b), "PROXY TCP4 127.0.0.1 10.0.0.1 40000 80\r\n");
}

static void
v1_refuses(void)
{
	struct sockaddr_in a = in4("127.0.0.1", 1);
	struct sockaddr_in6 b = in6("::1", 2);
	struct sockaddr_un u = { .sun_family = AF_UNIX };
	char small[20], buf[HELLOD_CHECK_PROXY_MAX + 1];

	CHECK(proxy_header_build(PROXY_V1, (struct sockaddr *)&u, (struct sockaddr *)&u, buf,
	    sizeof(buf)) == -EAFNOSUPPORT);
	/* Both ends of one connection are of one family; mixed, the line could not say which. */
	CHECK(proxy_header_build(PROXY_V1, (struct sockaddr *)&a, (struct sockaddr *)&b, buf,
	    sizeof(buf)) == -EAFNOSUPPORT);
	CHECK(proxy_header_build(PROXY_V1, (struct sockaddr *)&a, (struct sockaddr *)&a, small,
	    sizeof(small)) == -ENOBUFS);
	CHECK(proxy_header_build(PROXY_NONE, (struct sockaddr *)&a, (struct sockaddr *)&a, small,
	    sizeof(small)) == -EINVAL);
}

static void
v2_is_local(void)
{
	static const unsigned char expected[16] = { 0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a,
		0x51, 0x55, 0x49, 0x54, 0x0a, 0x20, 0x00, 0x00, 0x00 };
	struct sockaddr_in6 a = in6("2001:db8::1", 1);
	const struct sockaddr *sa = (const struct sockaddr *)&a;
	char buf[HELLOD_CHECK_PROXY_MAX + 1];

	memset(buf, 'x', sizeof(buf));
	/* The addresses are not in it: LOCAL means "use the connection's own". */
	CHECK(proxy_header_build(PROXY_V2, sa, sa, buf, sizeof(buf)) == 16);
	CHECK(memcmp(buf, expected, 16) == 0);
	CHECK(buf[16] == 'x');
	CHECK(proxy_header_build(PROXY_V2, sa, sa, buf, 15) == -ENOBUFS);
}

static void
versions(void)
{
	enum proxy_version v = PROXY_NONE;

	CHECK(proxy_version_parse("v1", &v) == 0 && v == PROXY_V1);
	CHECK(proxy_version_parse("v2", &v) == 0 && v == PROXY_V2);
	v = PROXY_NONE;
	CHECK(proxy_version_parse("v3", &v) == -EINVAL && v == PROXY_NONE);
	CHECK(proxy_version_parse("V1", &v) == -EINVAL);
	CHECK(proxy_version_parse("1", &v) == -EINVAL);
	CHECK(proxy_version_parse("", &v) == -EINVAL);
	CHECK(proxy_version_parse("v1 ", &v) == -EINVAL);
}

int
main(void)
{
	RUN("unit/proxy-header", v1_ipv4);
	RUN("unit/proxy-header", v1_ipv6);
	RUN("unit/proxy-header", v1_mapped_is_tcp4);
	RUN("unit/proxy-header", v1_refuses);
	RUN("unit/proxy-header", v2_is_local);
	RUN("unit/proxy-header", versions);
	return tests_failed ? 1 : 0;
}
