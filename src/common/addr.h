/* SPDX-License-Identifier: BSD-2-Clause */
/* Parsing and formatting of hosts, ports and socket addresses; nothing here logs. */
#ifndef HELLOD_ADDR_H
#define HELLOD_ADDR_H

#include <endian.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

/* "[ffff:...:ffff%zone]:65535" and "unix:@" plus a 108-byte path fit. */
#define ADDR_STR_MAX 128

/* Checks that s is an IPv4 or IPv6 literal (an IPv6 one may carry a %zone) or a syntactically
 * valid host name. Returns 0 or -EINVAL. "*" and "" are the caller's business. */
int addr_check_host(const char *s);

/* Whether s is an IPv4-mapped IPv6 literal (::ffff:a.b.c.d, with or without a %zone), which
 * an IPv6 socket cannot bind; when it is, its IPv4 address is written to buf (of len >=
 * INET_ADDRSTRLEN). */
bool addr_host_is_v4mapped(const char *s, char *buf, size_t len);

/* What separates the items of a list in the config: addresses, prefixes, endpoints. */
#define ADDR_LIST_SEPARATORS " \t,"

/* Splits the n bytes at s, "HOST:PORT" or "[IPV6]:PORT", into host (without the brackets) and
 * port, each a string of at most len - 1 bytes. Nothing is checked but the shape: an IPv6
 * address needs its brackets, and neither part may be empty. Returns 0 or -EINVAL. */
int addr_endpoint_split(const char *s, size_t n, char *host, size_t host_len, char *port,
    size_t port_len);

/* Parses a port: a number 1-65535 or a service name known to getservbyname() for TCP or UDP.
 * Returns 0, -EINVAL (neither), -ERANGE (a number out of range). */
int addr_parse_port(const char *s, uint16_t *ret);

/* Formats sa as "127.0.0.1:12345", "[::1]:12345" or "unix:/path" ("unix:@name" for abstract
 * sockets). Returns buf, which always holds a string. */
char *addr_format(const struct sockaddr *sa, socklen_t salen, char *buf, size_t len);

/* A source address as 16 bytes, an IPv4 one mapped (::ffff:a.b.c.d), and how many of its
 * leading bits count: "10.0.0.0/8" is ::ffff:10.0.0.0 with 104 bits. */
struct addr_prefix {
	uint8_t addr[16];
	unsigned bits;
};

/* Parses "192.0.2.0/24", "2001:db8::/32" or an address alone (all bits). The address is
 * masked to its prefix. Returns 0, -EINVAL or -ERANGE (a prefix length too long). */
int addr_prefix_parse(const char *s, struct addr_prefix *ret);

/* The source in sa as a prefix of all its bits; an IPv4-mapped IPv6 address counts as the IPv4
 * one. Returns false for what has no address (AF_UNIX). */
bool addr_source(const struct sockaddr *sa, socklen_t salen, struct addr_prefix *ret);

/* The address as two 64-bit numbers, most significant first, whatever the host's order. */
static inline void
addr_prefix_halves(const struct addr_prefix *a, uint64_t h[2])
{
	memcpy(h, a->addr, 16);
	h[0] = be64toh(h[0]);
	h[1] = be64toh(h[1]);
}

/* Whether addr (all of whose bits count) lies in p, which is masked to its bits. Inline, two
 * masked 64-bit compares: each client is judged against [access], the exempt and the trusted
 * lists, and a call with a byte loop and memcmp() was 65 instructions of a greeting's few
 * hundred (issue 28). */
static inline bool
addr_prefix_contains(const struct addr_prefix *p, const struct addr_prefix *addr)
{
	uint64_t a[2], b[2];
	unsigned hi = p->bits > 64 ? 64 : p->bits, lo = p->bits > 64 ? p->bits - 64 : 0;
	uint64_t mask_hi = hi == 0 ? 0 : ~UINT64_C(0) << (64 - hi);
	uint64_t mask_lo = lo == 0 ? 0 : ~UINT64_C(0) << (64 - lo);

	addr_prefix_halves(p, a);
	addr_prefix_halves(addr, b);
	return ((a[0] ^ b[0]) & mask_hi) == 0 && ((a[1] ^ b[1]) & mask_lo) == 0;
}

/* Cuts a to bits4 leading bits if it is IPv4, else to bits6. */
void addr_prefix_cut(struct addr_prefix *a, unsigned bits4, unsigned bits6);

/* Whether a (from addr_source() or addr_prefix_parse()) is IPv4. */
bool addr_prefix_is_ipv4(const struct addr_prefix *a);

/* Formats a as "192.0.2.0/24" or "2001:db8::/56". Returns buf. */
char *addr_prefix_format(const struct addr_prefix *a, char *buf, size_t len);

/* Whether s looks like an IPv4 address that is not written as four decimal numbers 0-255
 * without leading zeros: what inet_aton() (and so getaddrinfo()) takes, such as 127.1,
 * 2130706433, 0x7f.0.0.1 or 010.0.0.1, and any other string of digits and dots. */
bool addr_is_loose_ipv4(const char *s);

#endif
