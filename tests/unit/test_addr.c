/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests of host checking, port parsing and socket address formatting. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <sys/un.h>

#include "addr.h"
#include "test.h"

static void
hosts_accepted(void)
{
	CHECK(addr_check_host("127.0.0.1") == 0);
	CHECK(addr_check_host("::1") == 0);
	CHECK(addr_check_host("fe80::1%lo") == 0);
	CHECK(addr_check_host("2001:db8::42") == 0);
	CHECK(addr_check_host("localhost") == 0);
	CHECK(addr_check_host("greeter-1.example.com") == 0);
	CHECK(addr_check_host("example.com.") == 0);
}

static void
hosts_rejected(void)
{
	char long_name[300];

	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	CHECK(addr_check_host("bad host") == -EINVAL);
	CHECK(addr_check_host("-leading.example") == -EINVAL);
	CHECK(addr_check_host("trailing-.example") == -EINVAL);
	CHECK(addr_check_host("a..b") == -EINVAL);
	CHECK(addr_check_host(".") == -EINVAL);
	CHECK(addr_check_host("[::1]") == -EINVAL);
	CHECK(addr_check_host("::1%") == -EINVAL);
	CHECK(addr_check_host("1.2.3.4:80") == -EINVAL);
	CHECK(addr_check_host(long_name) == -EINVAL);
}

static void
ports(void)
{
	uint16_t p = 0;

	CHECK(addr_parse_port("1", &p) == 0 && p == 1);
	CHECK(addr_parse_port("65535", &p) == 0 && p == 65535);
	CHECK(addr_parse_port("0", &p) == -ERANGE);
	CHECK(addr_parse_port("65536", &p) == -ERANGE);
	CHECK(addr_parse_port("-1", &p) == -EINVAL);
	CHECK(addr_parse_port("12ab", &p) == -EINVAL);
	CHECK(addr_parse_port("no-such-service-here", &p) == -EINVAL);
	CHECK(p == 65535);
}

static void
ports_by_service_name(void)
{
	uint16_t p = 0;

	/* /etc/services comes with Debian's netbase, which make check installs. */
	CHECK(addr_parse_port("http", &p) == 0 && p == 80);
	CHECK(addr_parse_port("qotd", &p) == 0 && p == 17);
}

static void
format_inet(void)
{
	struct sockaddr_in in = { .sin_family = AF_INET, .sin_port = htons(12345) };
	struct sockaddr_in6 in6 = { .sin6_family = AF_INET6, .sin6_port = htons(7),
		.sin6_addr = IN6ADDR_LOOPBACK_INIT };
	char buf[ADDR_STR_MAX];

	inet_pton(AF_INET, "127.0.0.1", &in.sin_addr);
	CHECK_STR(addr_format((struct sockaddr *)&in, sizeof(in), buf, sizeof(buf)),
	    "127.0.0.1:12345");
	CHECK_STR(addr_format((struct sockaddr *)&in6, sizeof(in6), buf, sizeof(buf)), "[::1]:7");
	inet_pton(AF_INET6, "fe80::1", &in6.sin6_addr);
	in6.sin6_scope_id = 2;
	CHECK_STR(addr_format((struct sockaddr *)&in6, sizeof(in6), buf, sizeof(buf)),
	    "[fe80::1%2]:7");
}

static void
format_unix(void)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX, .sun_path = "/run/hellod.sock" };
	struct sockaddr_un ab = { .sun_family = AF_UNIX, .sun_path = "\0hellod" };
	char buf[ADDR_STR_MAX];

	CHECK_STR(addr_format((struct sockaddr *)&un, sizeof(un), buf, sizeof(buf)),
	    "unix:/run/hellod.sock");
	CHECK_STR(addr_format((struct sockaddr *)&ab, offsetof(struct sockaddr_un, sun_path) + 7,
	    buf, sizeof(buf)), "unix:@hellod");
	CHECK_STR(addr_format((struct sockaddr *)&un, sizeof(sa_family_t), buf, sizeof(buf)),
	    "unix:(unnamed)");
}

/* Bit i (0 the most significant) of a's address. */
static unsigned
bit_of(const struct addr_prefix *a, unsigned i)
{
	return (a->addr[i / 8] >> (7 - i % 8)) & 1;
}

/* addr_prefix_contains() against its definition, bit by bit: for every length 0-128, an address
 * that differs from the prefix's in one bit is held when that bit is past the length, and not
 * when it is within (the word boundaries, 63-65 and 95-97 for IPv4-mapped, included). */
static void
prefix_lengths(void)
{
	struct addr_prefix p, a;

	CHECK(addr_prefix_parse("2001:db8:a5a5:5a5a:ffff:1:8000:7fff", &a) == 0);
	for (unsigned bits = 0; bits <= 128; bits++) {
		p = a;
		addr_prefix_cut(&p, 0, bits);
		CHECK(p.bits == bits && addr_prefix_contains(&p, &a));
		for (unsigned i = 0; i < 128; i++) {
			struct addr_prefix b = a;
			bool held;

			b.addr[i / 8] ^= (uint8_t)(0x80 >> (i % 8));
			held = addr_prefix_contains(&p, &b);
			if (held != (i >= bits))
				printf("# /%u, bit %u (was %u): %s\n", bits, i, bit_of(&a, i),
				    held ? "held" : "not held");
			CHECK(held == (i >= bits));
		}
	}
}

static void
prefixes(void)
{
	struct addr_prefix p, a;
	struct sockaddr_in in = { .sin_family = AF_INET };
	struct sockaddr_in6 in6 = { .sin6_family = AF_INET6 };
	char buf[64];

	CHECK(addr_prefix_parse("192.0.2.77/24", &p) == 0);
	CHECK_STR(addr_prefix_format(&p, buf, sizeof(buf)), "192.0.2.0/24");
	CHECK(addr_prefix_is_ipv4(&p));
	CHECK(addr_prefix_parse("192.0.2.255", &a) == 0 && addr_prefix_contains(&p, &a));
	CHECK(addr_prefix_parse("192.0.3.0", &a) == 0 && !addr_prefix_contains(&p, &a));
	CHECK(addr_prefix_parse("10.0.0.0/0", &p) == 0 && addr_prefix_contains(&p, &a));
	/* An IPv4 prefix holds no IPv6 address, and /0 of IPv6 holds every address. */
	CHECK(addr_prefix_parse("2001:db8::1", &a) == 0 && !addr_prefix_contains(&p, &a));
	CHECK(addr_prefix_parse("::/0", &p) == 0 && addr_prefix_contains(&p, &a));
	CHECK(addr_prefix_parse("2001:db8:0:1ff::/57", &p) == 0);
	CHECK_STR(addr_prefix_format(&p, buf, sizeof(buf)), "2001:db8:0:180::/57");
	CHECK(!addr_prefix_is_ipv4(&p));
	CHECK(addr_prefix_parse("10.0.0.0/33", &p) == -ERANGE);
	CHECK(addr_prefix_parse("::/129", &p) == -ERANGE);
	CHECK(addr_prefix_parse("10.0.0.0/", &p) == -EINVAL);
	CHECK(addr_prefix_parse("10.0.0/8", &p) == -EINVAL);
	CHECK(addr_prefix_parse("example.org", &p) == -EINVAL);

	/* Sources: IPv4, IPv4-mapped IPv6 (a dual-stack socket) alike, cut to a prefix. */
	in.sin_addr.s_addr = htonl(0xc0000281);         /* 192.0.2.129 */
	CHECK(addr_source((struct sockaddr *)&in, sizeof(in), &a));
	CHECK_STR(addr_prefix_format(&a, buf, sizeof(buf)), "192.0.2.129/32");
	CHECK(inet_pton(AF_INET6, "::ffff:192.0.2.129", &in6.sin6_addr) == 1);
	CHECK(addr_source((struct sockaddr *)&in6, sizeof(in6), &p));
	CHECK(memcmp(&a, &p, sizeof(a)) == 0);
	addr_prefix_cut(&a, 25, 64);
	CHECK_STR(addr_prefix_format(&a, buf, sizeof(buf)), "192.0.2.128/25");
	CHECK(inet_pton(AF_INET6, "2001:db8:1:2:3::4", &in6.sin6_addr) == 1);
	CHECK(addr_source((struct sockaddr *)&in6, sizeof(in6), &a));
	addr_prefix_cut(&a, 24, 56);
	CHECK_STR(addr_prefix_format(&a, buf, sizeof(buf)), "2001:db8:1::/56");
	CHECK(!addr_source((struct sockaddr *)&in, 4, &a));
}

/* Splits s whole; true when it gives host and port. */
static bool
splits(const char *s, const char *host, const char *port)
{
	char h[64], p[16];

	return addr_endpoint_split(s, strlen(s), h, sizeof(h), p, sizeof(p)) == 0 &&
	    strcmp(h, host) == 0 && strcmp(p, port) == 0;
}

static bool
split_fails(const char *s)
{
	char h[64], p[16];

	return addr_endpoint_split(s, strlen(s), h, sizeof(h), p, sizeof(p)) == -EINVAL;
}

static void
endpoints(void)
{
	char h[64], p[16];

	CHECK(splits("127.0.0.1:12346", "127.0.0.1", "12346"));
	CHECK(splits("[::1]:12346", "::1", "12346"));
	CHECK(splits("[fe80::1%eth0]:1", "fe80::1%eth0", "1"));
	CHECK(splits("*:9", "*", "9"));
	CHECK(splits("localhost:http", "localhost", "http"));
	CHECK(split_fails("127.0.0.1") && split_fails("::1:80") && split_fails(":80"));
	CHECK(split_fails("host:") && split_fails("[::1]") && split_fails("[::1]80"));
	CHECK(split_fails("[]:80") && split_fails("[::1:80") && split_fails(""));
	CHECK(split_fails("a:b:c"));
	/* Only the n bytes given: the rest of a list is not looked at. */
	CHECK(addr_endpoint_split("1.2.3.4:5 6.7.8.9:10", 9, h, sizeof(h), p, sizeof(p)) == 0 &&
	    strcmp(h, "1.2.3.4") == 0 && strcmp(p, "5") == 0);
	/* Parts that do not fit their buffers. */
	CHECK(addr_endpoint_split("1.2.3.4:5", 9, h, 7, p, sizeof(p)) == -EINVAL);
	CHECK(addr_endpoint_split("1.2.3.4:56", 10, h, sizeof(h), p, 2) == -EINVAL);
}

int
main(void)
{
	RUN("unit/addr", prefixes);
	RUN("unit/addr", prefix_lengths);
	RUN("unit/addr", hosts_accepted);
	RUN("unit/addr", hosts_rejected);
	RUN("unit/addr", ports);
	RUN("unit/addr", ports_by_service_name);
	RUN("unit/addr", format_inet);
	RUN("unit/addr", format_unix);
	RUN("unit/addr", endpoints);
	return tests_failed ? 1 : 0;
}
