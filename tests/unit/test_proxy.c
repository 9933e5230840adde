/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests of the PROXY header parser: valid v1 and v2 headers with their addresses, every
 * prefix of one wanting more, client bytes after one left alone; hostile ones refused at the
 * very byte that makes them so, and not one byte sooner. Each prefix is parsed from a buffer of
 * its own exact size, so that ASan sees any read beyond len. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "../../src/hellod/proxy.c"
#include "addr.h"
#include "test.h"

#define SIG "\x0d\x0a\x0d\x0a\x00\x0d\x0a\x51\x55\x49\x54\x0a"
#define TRAILER "GET / HTTP/1.0\r\n\r\n"

/* Parses the first len bytes of buf from a copy of exactly that size. A header is written
 * only on success: anything else must leave *h as it was. */
static int
parse_copy(const void *buf, size_t len, struct proxy_header *h, const char **why)
{
	struct proxy_header before;
	uint8_t *copy = malloc(len ? len : 1);
	int r;

	if (!copy)
		abort();
	memcpy(copy, buf, len);
	memset(h, 0xa5, sizeof(*h));
	before = *h;
	r = proxy_parse(copy, len, h, why);
	free(copy);
	if (r <= 0 && memcmp(&before, h, sizeof(*h)) != 0) {
		printf("# a result of %d wrote the header\n", r);
		return -EIO;
	}
	return r;
}

static const char *
format(const struct sockaddr_storage *ss, socklen_t len, char *buf, size_t size)
{
	return addr_format((const struct sockaddr *)ss, len, buf, size);
}

/* Whether the n bytes of hdr are a valid header of that version: every prefix wants more; the
 * whole, and the whole with client bytes after it, give exactly n; source and destination as
 * addr_format() shows them, NULL for a local header. */
static bool
valid(const void *hdr, size_t n, unsigned version, const char *source, const char *destination)
{
	struct proxy_header h;
	const char *why = NULL;
	char buf[PROXY_HEADER_MAX + sizeof(TRAILER)], a[ADDR_STR_MAX], b[ADDR_STR_MAX];
	int r;

	for (size_t k = 0; k < n; k++) {
		r = parse_copy(hdr, k, &h, &why);
		if (r != 0) {
			printf("# prefix of %zu of %zu bytes: %d (%s)\n", k, n, r,
			    r < 0 ? why : "");
			return false;
		}
	}
	memcpy(buf, hdr, n);
	memcpy(buf + n, TRAILER, sizeof(TRAILER) - 1);
	for (size_t extra = 0; extra < sizeof(TRAILER); extra += sizeof(TRAILER) - 1) {
		r = parse_copy(buf, n + extra, &h, &why);
		if (r < 0 || (size_t)r != n) {
			printf("# %zu bytes and %zu more: %d (%s)\n", n, extra, r,
			    r < 0 ? why : "");
			return false;
		}
	}
	if (h.version != version || h.local != !source)
		return false;
	if (!source)
		return h.source_len == 0 && h.destination_len == 0;
	format(&h.source, h.source_len, a, sizeof(a));
	format(&h.destination, h.destination_len, b, sizeof(b));
	if (strcmp(a, source) != 0 || strcmp(b, destination) != 0) {
		printf("# parsed %s %s\n", a, b);
		return false;
	}
	return true;
}

static bool
valid_v1(const char *line, const char *source, const char *destination)
{
	return valid(line, strlen(line), 1, source, destination);
}

/* Whether the n bytes of hdr are refused as soon as at bytes are in, for reason: each shorter
 * prefix wants more (it may still become a header), and each longer one is refused alike. */
static bool
refused(const void *hdr, size_t n, size_t at, const char *reason)
{
	struct proxy_header h;
	const char *why;

	for (size_t k = 0; k <= n; k++) {
		int r;

		why = NULL;
		r = parse_copy(hdr, k, &h, &why);
		if (k < at ? r != 0 : r != -EBADMSG || !why || strcmp(why, reason) != 0) {
			printf("# prefix of %zu of %zu bytes (refused at %zu): %d (%s)\n", k, n,
			    at, r, r < 0 && why ? why : "");
			return false;
		}
	}
	return true;
}

/* A v1 line that is fine up to its bad part: refused once the first byte of bad is in. */
static bool
refused_v1(const char *good, const char *bad_part, const char *reason)
{
	char line[512];

	snprintf(line, sizeof(line), "%s%s", good, bad_part);
	return refused(line, strlen(line), strlen(good) + 1, reason);
}

/* ---- v1 ---- */

static void
v1_tcp4(void)
{
	CHECK(valid_v1("PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\r\n",
	    "192.0.2.1:56324", "198.51.100.2:443"));
	/* The ends of every range: 0 is an octet and a port of its own, not a leading zero. */
	CHECK(valid_v1("PROXY TCP4 255.255.255.255 0.0.0.0 65535 0\r\n",
	    "255.255.255.255:65535", "0.0.0.0:0"));
	CHECK(valid_v1("PROXY TCP4 10.0.100.9 10.20.0.1 1 10\r\n", "10.0.100.9:1", "10.20.0.1:10"));
}

static void
v1_tcp6(void)
{
	CHECK(valid_v1("PROXY TCP6 2001:db8::1 2001:db8::2 56324 443\r\n",
	    "[2001:db8::1]:56324", "[2001:db8::2]:443"));
	/* The spec's longest TCP6 line, 104 bytes, in upper case. */
	CHECK(valid_v1("PROXY TCP6 FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF "
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe 65535 65535\r\n",
	    "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535",
	    "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe]:65535"));
	/* An IPv4 tail is what inet_pton() takes; the lead's addr_source() maps it to IPv4. */
	CHECK(valid_v1("PROXY TCP6 ::ffff:192.0.2.1 :: 1 2\r\n", "[::ffff:192.0.2.1]:1", "[::]:2"));
}

static void
v1_unknown_line(void)
{
	char line[PROXY_V1_MAX + 1];

	CHECK(valid_v1("PROXY UNKNOWN\r\n", NULL, NULL));
	CHECK(valid_v1("PROXY UNKNOWN \r\n", NULL, NULL));
	CHECK(valid_v1("PROXY UNKNOWN ffff:f::f ffff:f::f 65535 65535\r\n", NULL, NULL));
	/* Anything before the CRLF is ignored, even what no address is. */
	CHECK(valid_v1("PROXY UNKNOWN 300.1.1.1  \x01\xff TCP4 0x7f.1 x\r\n", NULL, NULL));
	/* The spec's worst case: exactly 107 bytes with the CRLF. */
	snprintf(line, sizeof(line), "PROXY UNKNOWN %091d\r\n", 0);
	CHECK(strlen(line) == PROXY_V1_MAX);
	CHECK(valid_v1(line, NULL, NULL));
}

static void
v1_garbage(void)
{
	CHECK(refused_v1("", "GET / HTTP/1.0\r\n", "not a PROXY header"));
	CHECK(refused_v1("", "\x16\x03\x01", "not a PROXY header"));
	CHECK(refused_v1("PROX", "I TCP4", "not a PROXY header"));
	CHECK(refused_v1("PROXY", "\tTCP4", "not a PROXY header"));
	CHECK(refused_v1("PROXY ", "tcp4 ", "v1: protocol neither TCP4, TCP6 nor UNKNOWN"));
	CHECK(refused_v1("PROXY TCP", "5 ", "v1: protocol neither TCP4, TCP6 nor UNKNOWN"));
	CHECK(refused_v1("PROXY UNKNOWN", "X\r\n",
	    "v1: UNKNOWN followed by neither a space nor CRLF"));
}

static void
v1_no_crlf(void)
{
	char line[256];

	/* 107 bytes without CRLF: refused at the 107th, not later. */
	snprintf(line, sizeof(line), "PROXY UNKNOWN %0100d\r\n", 0);
	CHECK(refused(line, strlen(line), PROXY_V1_MAX, "v1: no CRLF within 107 bytes"));
	/* 108 bytes: the CR is the 107th, its LF would be the 108th. */
	snprintf(line, sizeof(line), "PROXY UNKNOWN %092d\r\n", 0);
	CHECK(strlen(line) == PROXY_V1_MAX + 1);
	CHECK(refused(line, strlen(line), PROXY_V1_MAX, "v1: no CRLF within 107 bytes"));
	/* A TCP6 line can be longer than 107 with IPv4 tails, each address valid. */
	snprintf(line, sizeof(line), "PROXY TCP6 %s %s 65535 65535\r\n",
	    "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255",
	    "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255");
	CHECK(refused(line, strlen(line), PROXY_V1_MAX, "v1: no CRLF within 107 bytes"));
}

static void
v1_addresses(void)
{
	const char *not4 = "v1: IPv4 address not four decimal octets and a space";

	CHECK(refused_v1("PROXY TCP4 192.0.0", "2.1 198.51.100.2 1 2\r\n",
	    "v1: IPv4 octet with a leading zero"));
	CHECK(refused_v1("PROXY TCP4 192.0.2.1 0", "198.51.100.2 1 2\r\n",
	    "v1: IPv4 octet with a leading zero"));
	CHECK(refused_v1("PROXY TCP4 192.0.2.25", "6 198.51.100.2 1 2\r\n",
	    "v1: IPv4 octet over 255"));
	CHECK(refused_v1("PROXY TCP4 192.0.2", " 198.51.100.2 1 2\r\n", not4));
	CHECK(refused_v1("PROXY TCP4 192.0.2.1", ".5 198.51.100.2 1 2\r\n", not4));
	CHECK(refused_v1("PROXY TCP4 192.0.", ".1 198.51.100.2 1 2\r\n", not4));
	CHECK(refused_v1("PROXY TCP4 0", "x7f.0.0.1 1.2.3.4 1 2\r\n", not4));
	/* TCP4 must carry IPv4 and TCP6 IPv6. */
	CHECK(refused_v1("PROXY TCP4 ", "::1 ::1 1 2\r\n", not4));
	CHECK(refused_v1("PROXY TCP4 192.0.2.1 ", "::ffff:1.2.3.4 1 2\r\n", not4));
	CHECK(refused_v1("PROXY TCP6 192.0.2.1", " 198.51.100.2 1 2\r\n",
	    "v1: not an IPv6 address"));
	CHECK(refused_v1("PROXY TCP6 ::1", "%lo ::1 1 2\r\n",
	    "v1: IPv6 address with a character other than hex, : or ."));
	CHECK(refused_v1("PROXY TCP6 ", "[::1] ::1 1 2\r\n",
	    "v1: IPv6 address with a character other than hex, : or ."));
	CHECK(refused_v1("PROXY TCP6 1:::2", " ::1 1 2\r\n", "v1: not an IPv6 address"));
	CHECK(refused_v1("PROXY TCP6 ::1 ::ffff:01.2.3.4", " 1 2\r\n", "v1: not an IPv6 address"));
	CHECK(refused_v1("PROXY TCP6 0000:0000:0000:0000:0000:0000:000.000.000.000",
	    "0 ::1 1 2\r\n",
	    "v1: IPv6 address longer than 45 characters"));
}

static void
v1_ports(void)
{
	const char *p = "PROXY TCP4 192.0.2.1 198.51.100.2 ";

	CHECK(refused_v1("PROXY TCP4 192.0.2.1 198.51.100.2 0", "56324 443\r\n",
	    "v1: port with a leading zero"));
	CHECK(refused_v1("PROXY TCP4 192.0.2.1 198.51.100.2 56324 0", "443\r\n",
	    "v1: port with a leading zero"));
	CHECK(refused_v1("PROXY TCP4 192.0.2.1 198.51.100.2 6553", "6 443\r\n",
	    "v1: port over 65535"));
	CHECK(refused_v1("PROXY TCP4 192.0.2.1 198.51.100.2 1 6553", "6\r\n",
	    "v1: port over 65535"));
	CHECK(refused_v1(p, "+1 2\r\n", "v1: source port not a number and a space"));
	CHECK(refused_v1("PROXY TCP4 192.0.2.1 198.51.100.2 1", "\r\n",
	    "v1: source port not a number and a space"));
	CHECK(refused_v1("PROXY TCP4 192.0.2.1 198.51.100.2 1 2", " 3\r\n",
	    "v1: destination port not a number and CRLF"));
}

static void
v1_spaces_and_line_ends(void)
{
	CHECK(refused_v1("PROXY ", " TCP4 192.0.2.1 198.51.100.2 1 2\r\n",
	    "v1: protocol neither TCP4, TCP6 nor UNKNOWN"));
	CHECK(refused_v1("PROXY TCP4 ", " 192.0.2.1 198.51.100.2 1 2\r\n",
	    "v1: IPv4 address not four decimal octets and a space"));
	CHECK(refused_v1("PROXY TCP6 ::1 ", " ::1 1 2\r\n", "v1: not an IPv6 address"));
	CHECK(refused_v1("PROXY TCP4 192.0.2.1 198.51.100.2 1 ", " 2\r\n",
	    "v1: destination port not a number and CRLF"));
	CHECK(refused_v1("PROXY TCP4 192.0.2.1 198.51.100.2 1 2", " \r\n",
	    "v1: destination port not a number and CRLF"));
	CHECK(refused_v1("PROXY TCP4 192.0.2.1 198.51.100.2 1 2", "\n",
	    "v1: LF without CR"));
	CHECK(refused_v1("PROXY TCP4 192.0.2.1 198.51.100.2 1 2\r", "\r\n", "v1: CR without LF"));
	CHECK(refused_v1("PROXY UNKNOWN 1.2.3.4", "\n", "v1: LF without CR"));
	CHECK(refused_v1("PROXY UNKNOWN\r", " \n",
	    "v1: UNKNOWN followed by neither a space nor CRLF"));
	CHECK(refused_v1("PROXY UNKNOWN 1.2.3.4\r", "x\r\n", "v1: CR without LF"));
}

/* ---- v2 ---- */

#define V2_INET_BLOCK "\xc0\x00\x02\x01" "\xc6\x33\x64\x02" "\xdc\x04" "\x01\xbb"
#define V2_INET6_BLOCK "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01" \
	"\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x02" "\xdc\x04" "\x01\xbb"

/* A literal's bytes less its terminating NUL: the literals hold NULs of their own. */
#define V2(s) (s), (sizeof(s) - 1)

static void
v2_proxy_inet(void)
{
	CHECK(valid(V2(SIG "\x21\x11\x00\x0c" V2_INET_BLOCK), 2,
	    "192.0.2.1:56324", "198.51.100.2:443"));
	/* DGRAM: a UDP flow, but its source is as real a client's. */
	CHECK(valid(V2(SIG "\x21\x12\x00\x0c" V2_INET_BLOCK), 2,
	    "192.0.2.1:56324", "198.51.100.2:443"));
	/* Ports whose bytes differ, so that a swapped byte order shows. */
	CHECK(valid(V2(SIG "\x21\x11\x00\x0c" "\x0a\0\0\x01" "\x0a\0\0\x02" "\x12\x34"
	    "\xff\x01"), 2,
	    "10.0.0.1:4660", "10.0.0.2:65281"));
}

static void
v2_proxy_inet6(void)
{
	CHECK(valid(V2(SIG "\x21\x21\x00\x24" V2_INET6_BLOCK), 2,
	    "[2001:db8::1]:56324", "[2001:db8::2]:443"));
	CHECK(valid(V2(SIG "\x21\x22\x00\x24" V2_INET6_BLOCK), 2,
	    "[2001:db8::1]:56324", "[2001:db8::2]:443"));
}

static void
v2_local_unspec_unix(void)
{
	uint8_t h[16 + 216];

	/* HAProxy's health check. */
	CHECK(valid(V2(SIG "\x20\x00\x00\x00"), 2, NULL, NULL));
	/* LOCAL with addresses: skipped, not used. */
	CHECK(valid(V2(SIG "\x20\x11\x00\x0c" V2_INET_BLOCK), 2, NULL, NULL));
	CHECK(valid(V2(SIG "\x20\x21\x00\x24" V2_INET6_BLOCK), 2, NULL, NULL));
	/* PROXY with UNSPEC in either nibble: no known kind of address, the connection's stand. */
	CHECK(valid(V2(SIG "\x21\x00\x00\x00"), 2, NULL, NULL));
	CHECK(valid(V2(SIG "\x21\x10\x00\x0c" V2_INET_BLOCK), 2, NULL, NULL));
	CHECK(valid(V2(SIG "\x21\x01\x00\x00"), 2, NULL, NULL));
	/* AF_UNIX: two 108-byte paths. */
	memcpy(h, SIG "\x21\x31\x00\xd8", 16);
	memset(h + 16, 'a', 216);
	CHECK(valid(h, sizeof(h), 2, NULL, NULL));
	h[13] = 0x32;
	CHECK(valid(h, sizeof(h), 2, NULL, NULL));
}

/* Issue 23, item 6: for LOCAL "the receiver must accept this connection as valid and must use
 * the real connection endpoints and discard the protocol block including the family"
 * (proxy-protocol.txt, 2.2): whatever its family, transport and block, within the length cap. */
static void
v2_local_any(void)
{
	static uint8_t h[PROXY_HEADER_MAX];

	/* A family and a length too short for its addresses (the defect's header). */
	CHECK(valid(V2(SIG "\x20\x11\x00\x00"), 2, NULL, NULL));
	CHECK(valid(V2(SIG "\x20\x21\x00\x0c" V2_INET_BLOCK), 2, NULL, NULL));
	CHECK(valid(V2(SIG "\x20\x31\x00\x04" "abcd"), 2, NULL, NULL));
	/* Family and transport nibbles of no known kind: ignored. */
	CHECK(valid(V2(SIG "\x20\xff\x00\x00"), 2, NULL, NULL));
	CHECK(valid(V2(SIG "\x20\x13\x00\x0c" V2_INET_BLOCK), 2, NULL, NULL));
	/* A block that is no TLV: discarded unread. */
	CHECK(valid(V2(SIG "\x20\x00\x00\x01" "\x00"), 2, NULL, NULL));
	CHECK(valid(V2(SIG "\x20\x11\x00\x05" "\x04\xff\xffxy"), 2, NULL, NULL));
	/* The longest LOCAL: 4096 bytes of block. */
	memcpy(h, SIG "\x20\x11\x10\x00", 16);
	memset(h + 16, 0xee, sizeof(h) - 16);
	CHECK(valid(h, sizeof(h), 2, NULL, NULL));
	/* Still refused: over the cap, another version or command, and the same blocks when the
	 * command is PROXY. */
	CHECK(refused(V2(SIG "\x20\x11\x10\x01"), 16, "v2: length over 4096"));
	CHECK(refused(V2(SIG "\x10\x11\x00\x00"), 13, "v2: version not 2"));
	CHECK(refused(V2(SIG "\x21\x11\x00\x00"), 16, "v2: length shorter than its address block"));
	CHECK(refused(V2(SIG "\x21\xff\x00\x00"), 14,
	    "v2: family not UNSPEC, INET, INET6 or UNIX"));
}

static void
v2_tlvs_skipped(void)
{
	static uint8_t h[PROXY_HEADER_MAX];
	size_t n = PROXY_HEADER_MAX - 16 - 12 - 3;

	/* NOOP of 3, ALPN "h2", an empty one last. */
	CHECK(valid(V2(SIG "\x21\x11\x00\x1a" V2_INET_BLOCK "\x04\x00\x03xyz" "\x01\x00\x02h2"
	    "\xee\x00\x00"), 2, "192.0.2.1:56324", "198.51.100.2:443"));
	CHECK(valid(V2(SIG "\x20\x00\x00\x05" "\x02\x00\x02lb"), 2, NULL, NULL));
	/* The largest header: len 4096, an address block and one TLV filling the rest. */
	memcpy(h, SIG "\x21\x11\x10\x00" V2_INET_BLOCK, 28);
	h[28] = 0x04;
	h[29] = (uint8_t)(n >> 8);
	h[30] = (uint8_t)n;
	CHECK(valid(h, sizeof(h), 2, "192.0.2.1:56324", "198.51.100.2:443"));
}

static void
v2_fixed_part(void)
{
	/* The signature differs at its 8th byte. */
	CHECK(refused(V2("\x0d\x0a\x0d\x0a\x00\x0d\x0a\x52\x55\x49\x54\x0a\x21\x11\x00\x0c"), 8,
	    "not a PROXY header"));
	CHECK(refused(V2("\x0d\x0a\x0d\x0a\x01"), 5, "not a PROXY header"));
	CHECK(refused(V2(SIG "\x11\x11\x00\x0c" V2_INET_BLOCK), 13, "v2: version not 2"));
	CHECK(refused(V2(SIG "\x31\x11\x00\x0c" V2_INET_BLOCK), 13, "v2: version not 2"));
	CHECK(refused(V2(SIG "\x22\x11\x00\x0c" V2_INET_BLOCK), 13,
	    "v2: command neither LOCAL nor PROXY"));
	CHECK(refused(V2(SIG "\x2f\x11\x00\x0c" V2_INET_BLOCK), 13,
	    "v2: command neither LOCAL nor PROXY"));
	CHECK(refused(V2(SIG "\x21\x41\x00\x0c" V2_INET_BLOCK), 14,
	    "v2: family not UNSPEC, INET, INET6 or UNIX"));
	CHECK(refused(V2(SIG "\x21\xf1\x00\x0c" V2_INET_BLOCK), 14,
	    "v2: family not UNSPEC, INET, INET6 or UNIX"));
	CHECK(refused(V2(SIG "\x21\x13\x00\x0c" V2_INET_BLOCK), 14,
	    "v2: transport not UNSPEC, STREAM or DGRAM"));
}

static void
v2_lengths(void)
{
	const char *shorter = "v2: length shorter than its address block";

	/* The crash vector: PROXY, INET over DGRAM, len 0. */
	CHECK(refused(V2(SIG "\x21\x12\x00\x00" V2_INET_BLOCK), 16, shorter));
	CHECK(refused(V2(SIG "\x21\x22\x00\x00" V2_INET6_BLOCK), 16, shorter));
	CHECK(refused(V2(SIG "\x21\x11\x00\x0b" V2_INET_BLOCK), 16, shorter));
	CHECK(refused(V2(SIG "\x21\x21\x00\x0c" V2_INET_BLOCK), 16, shorter));
	CHECK(refused(V2(SIG "\x21\x31\x00\xd7"), 16, shorter));
	/* LOCAL's only length rule is the cap: its block is skipped, not read (v2_local_any). */
	CHECK(refused(V2(SIG "\x21\x11\x10\x01" V2_INET_BLOCK), 16, "v2: length over 4096"));
	CHECK(refused(V2(SIG "\x20\x00\xff\xff"), 16, "v2: length over 4096"));
}

static void
v2_tlv_overruns(void)
{
	/* A value 3 long where 2 are left: refused as soon as its length is in. */
	CHECK(refused(V2(SIG "\x21\x11\x00\x11" V2_INET_BLOCK "\x04\x00\x03xy"), 16 + 12 + 3,
	    "v2: TLV's value overruns the header"));
	CHECK(refused(V2(SIG "\x21\x11\x00\x15" V2_INET_BLOCK "\x04\x00\x00" "\x04\xff\xffxyz"),
	    16 + 12 + 6, "v2: TLV's value overruns the header"));
	/* One or two bytes left after the block: no room for a TLV's type and length, which len
	 * alone tells. */
	CHECK(refused(V2(SIG "\x21\x11\x00\x0e" V2_INET_BLOCK "\x04\x00"), 16,
	    "v2: TLV's type and length overrun the header"));
	CHECK(refused(V2(SIG "\x21\x00\x00\x01" "\x00"), 16,
	    "v2: TLV's type and length overrun the header"));
	CHECK(refused(V2(SIG "\x21\x11\x00\x10" V2_INET_BLOCK "\x04\x00\x00\x00"), 16 + 12 + 3,
	    "v2: TLV's type and length overrun the header"));
}

int
main(void)
{
	RUN("unit/proxy", v1_tcp4);
	RUN("unit/proxy", v1_tcp6);
	RUN("unit/proxy", v1_unknown_line);
	RUN("unit/proxy", v1_garbage);
	RUN("unit/proxy", v1_no_crlf);
	RUN("unit/proxy", v1_addresses);
	RUN("unit/proxy", v1_ports);
	RUN("unit/proxy", v1_spaces_and_line_ends);
	RUN("unit/proxy", v2_proxy_inet);
	RUN("unit/proxy", v2_proxy_inet6);
	RUN("unit/proxy", v2_local_unspec_unix);
	RUN("unit/proxy", v2_local_any);
	RUN("unit/proxy", v2_tlvs_skipped);
	RUN("unit/proxy", v2_fixed_part);
	RUN("unit/proxy", v2_lengths);
	RUN("unit/proxy", v2_tlv_overruns);
	return tests_failed ? 1 : 0;
}
