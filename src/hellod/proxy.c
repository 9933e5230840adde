/* SPDX-License-Identifier: BSD-2-Clause */
/* The PROXY protocol header reader: v1's text line and v2's binary block, checked strictly and
 * decided as early as the bytes allow, so that a caller peeking at a growing buffer can tell
 * "wait for more" from "abort now" at every byte. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "proxy.h"

#define PROXY_V1_MAX 107        /* "PROXY UNKNOWN ffff:...:ffff ffff:...:ffff 65535 65535\r\n" */
#define PROXY_V2_FIXED 16       /* signature, version and command, family and transport, len */
#define PROXY_V2_LEN_MAX (PROXY_HEADER_MAX - PROXY_V2_FIXED)

#define V2_CMD_LOCAL 0x0
#define V2_CMD_PROXY 0x1
#define V2_FAM_UNSPEC 0x0
#define V2_FAM_INET 0x1
#define V2_FAM_INET6 0x2
#define V2_FAM_UNIX 0x3
#define V2_TRANS_UNSPEC 0x0
#define V2_TRANS_DGRAM 0x2

static const uint8_t v2_signature[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
};

/* The address block each family's len must at least hold: two addresses, and for INET and
 * INET6 two ports. */
static const uint16_t v2_block[] = {
	[V2_FAM_UNSPEC] = 0, [V2_FAM_INET] = 12, [V2_FAM_INET6] = 36, [V2_FAM_UNIX] = 216,
};

/* A step's outcome when it is not -EBADMSG: the bytes so far agree but end too soon, or the
 * step is complete and the cursor past it. */
enum { MORE = 0, DONE = 1 };

static int
bad(const char **why, const char *reason)
{
	*why = reason;
	return -EBADMSG;
}

/* Fills the sockaddr_in or sockaddr_in6 at the start of ss, which is all that *ret_len lets
 * anyone read: zeroing the whole sockaddr_storage, and the header's two, was most of what a
 * parse cost (issue 28). */
static void
set_inet(struct sockaddr_storage *ss, socklen_t *ret_len, int family, const void *addr,
    uint16_t port)
{
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		/* As much as a sockaddr_in6 zeroed, so that a fixed-size copy of that much, which
		 * the compiler inlines, copies nothing unset. */
		memset(ss, 0, sizeof(struct sockaddr_in6));
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		memcpy(&sin->sin_addr, addr, sizeof(sin->sin_addr));
		*ret_len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		*sin6 = (struct sockaddr_in6){ .sin6_family = AF_INET6, .sin6_port = htons(port) };
		memcpy(&sin6->sin6_addr, addr, sizeof(sin6->sin6_addr));
		*ret_len = sizeof(*sin6);
	}
}

/* ---- v1: one line of text ---- */

/* The line read so far: bytes p[i..n), n being at most PROXY_V1_MAX, so that nothing past the
 * spec's longest line is ever taken as part of it. */
struct v1_cursor {
	const char *p;
	size_t i, n;
	const char **why;
};

/* Matches the literal s at the cursor: DONE past it, MORE while the bytes so far agree. */
static int
v1_literal(struct v1_cursor *c, const char *s, const char *reason)
{
	size_t k;

	for (k = 0; s[k] != '\0'; k++) {
		if (c->i + k >= c->n)
			return MORE;
		if (c->p[c->i + k] != s[k])
			return bad(c->why, reason);
	}
	c->i += k;
	return DONE;
}

/* "TCP4 ", "TCP6 " or "UNKNOWN" (whose own space is optional), as AF_INET, AF_INET6 or
 * AF_UNSPEC. None is a prefix of another, so the first that agrees with the bytes so far is
 * the only one that can. */
static int
v1_protocol(struct v1_cursor *c, int *ret_family)
{
	static const struct {
		const char *name;
		int family;
	} protocols[] = {
		{ "TCP4 ", AF_INET }, { "TCP6 ", AF_INET6 }, { "UNKNOWN", AF_UNSPEC },
	};

	for (size_t j = 0; j < sizeof(protocols) / sizeof(protocols[0]); j++) {
		size_t k = strlen(protocols[j].name), avail = c->n - c->i;

		if (memcmp(c->p + c->i, protocols[j].name, avail < k ? avail : k) != 0)
			continue;
		if (avail < k)
			return MORE;
		c->i += k;
		*ret_family = protocols[j].family;
		return DONE;
	}
	return bad(c->why, "v1: protocol neither TCP4, TCP6 nor UNKNOWN");
}

/* After UNKNOWN: CRLF, or a space and anything up to CRLF, which the spec says to ignore; but
 * a CR or LF alone ends no line, there or anywhere. */
static int
v1_unknown(struct v1_cursor *c)
{
	if (c->i >= c->n)
		return MORE;
	if (c->p[c->i] != ' ')
		return v1_literal(c, "\r\n", "v1: UNKNOWN followed by neither a space nor CRLF");
	for (c->i++; c->i < c->n && c->p[c->i] != '\r'; c->i++)
		if (c->p[c->i] == '\n')
			return bad(c->why, "v1: LF without CR");
	return v1_literal(c, "\r\n", "v1: CR without LF");
}

/* Four decimal octets 0-255 without leading zeros (which some readers take as octal), one dot
 * between each, then a space. */
static int
v1_ipv4(struct v1_cursor *c, struct in_addr *ret)
{
	uint8_t a[4];
	unsigned octets = 0, value = 0, digits = 0;

	for (size_t i = c->i; i < c->n; i++) {
		char ch = c->p[i];

		if (ch >= '0' && ch <= '9') {
			if (digits > 0 && value == 0)
				return bad(c->why, "v1: IPv4 octet with a leading zero");
			value = value * 10 + (unsigned)(ch - '0');
			digits++;
			if (value > 255)
				return bad(c->why, "v1: IPv4 octet over 255");
			continue;
		}
		if (digits == 0 || !((ch == '.' && octets < 3) || (ch == ' ' && octets == 3)))
			return bad(c->why, "v1: IPv4 address not four decimal octets and a space");
		a[octets++] = (uint8_t)value;
		value = digits = 0;
		if (octets == 4) {
			memcpy(ret, a, sizeof(a));
			c->i = i + 1;
			return DONE;
		}
	}
	return MORE;
}

static bool
v1_ipv6_char(char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F') ||
	    ch == ':' || ch == '.';
}

/* What inet_pton(AF_INET6) takes (hex groups, "::", an IPv4 tail; no zone, no brackets), then
 * a space. The characters and the length are checked as they come; the address once whole. */
static int
v1_ipv6(struct v1_cursor *c, struct in6_addr *ret)
{
	char s[INET6_ADDRSTRLEN];
	size_t k;

	for (k = 0; c->i + k < c->n && c->p[c->i + k] != ' '; k++) {
		if (!v1_ipv6_char(c->p[c->i + k]))
			return bad(c->why,
			    "v1: IPv6 address with a character other than hex, : or .");
		if (k + 1 >= sizeof(s))
			return bad(c->why, "v1: IPv6 address longer than 45 characters");
	}
	if (c->i + k >= c->n)
		return MORE;
	memcpy(s, c->p + c->i, k);
	s[k] = '\0';
	if (inet_pton(AF_INET6, s, ret) != 1)
		return bad(c->why, "v1: not an IPv6 address");
	c->i += k + 1;
	return DONE;
}

/* A decimal port 0-65535 without leading zeros, then end: the space between the ports, or the
 * CR of the line's CRLF (so that nothing but CRLF follows the ports). */
static int
v1_port(struct v1_cursor *c, char end, uint16_t *ret)
{
	unsigned value = 0, digits = 0;

	for (size_t i = c->i; i < c->n; i++) {
		char ch = c->p[i];

		if (ch >= '0' && ch <= '9') {
			if (digits > 0 && value == 0)
				return bad(c->why, "v1: port with a leading zero");
			value = value * 10 + (unsigned)(ch - '0');
			digits++;
			if (value > 65535)
				return bad(c->why, "v1: port over 65535");
			continue;
		}
		if (ch == '\n')
			return bad(c->why, "v1: LF without CR");
		if (ch != end || digits == 0)
			return bad(c->why, end == ' ' ? "v1: source port not a number and a space" :
			    "v1: destination port not a number and CRLF");
		*ret = (uint16_t)value;
		c->i = i + 1;
		return DONE;
	}
	return MORE;
}

/* The line after "PROXY " up to its CRLF, into h. */
static int
v1_line(struct v1_cursor *c, struct proxy_header *h)
{
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} src, dst;
	uint16_t sport, dport;
	int family, r;

	r = v1_protocol(c, &family);
	if (r != DONE)
		return r;
	if (family == AF_UNSPEC) {
		h->local = true;
		return v1_unknown(c);
	}
	if (family == AF_INET) {
		if ((r = v1_ipv4(c, &src.v4)) != DONE || (r = v1_ipv4(c, &dst.v4)) != DONE)
			return r;
	} else if ((r = v1_ipv6(c, &src.v6)) != DONE || (r = v1_ipv6(c, &dst.v6)) != DONE)
		return r;
	if ((r = v1_port(c, ' ', &sport)) != DONE || (r = v1_port(c, '\r', &dport)) != DONE ||
	    (r = v1_literal(c, "\n", "v1: CR without LF")) != DONE)
		return r;
	set_inet(&h->source, &h->source_len, family, &src, sport);
	set_inet(&h->destination, &h->destination_len, family, &dst, dport);
	return DONE;
}

static int
v1_parse(const char *p, size_t len, struct proxy_header *h, const char **why)
{
	struct v1_cursor c = { .p = p, .n = len < PROXY_V1_MAX ? len : PROXY_V1_MAX, .why = why };
	int r;

	h->version = 1;
	r = v1_literal(&c, "PROXY ", "not a PROXY header");
	if (r == DONE)
		r = v1_line(&c, h);
	/* The spec's longest line is 107 bytes with its CRLF; a line that has not ended there never
	 * will be a valid one. */
	if (r == MORE && len >= PROXY_V1_MAX)
		return bad(why, "v1: no CRLF within 107 bytes");
	return r == DONE ? (int)c.i : r;
}

/* ---- v2: a fixed 16 bytes, then len bytes of addresses and TLVs ---- */

/* Read byte by byte, so that it is right whatever the host's byte order and alignment. */
static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* The TLVs from off to end, the header's end: each a type, a big-endian length and the value,
 * which must fill the rest of the header exactly. Each is checked as soon as its own 3 bytes
 * are in, so that one running past the header is refused before the rest arrives. */
static int
v2_tlvs(const uint8_t *p, size_t len, size_t off, size_t end, const char **why)
{
	while (off < end) {
		if (end - off < 3)
			return bad(why, "v2: TLV's type and length overrun the header");
		if (off + 3 > len)
			return MORE;
		off += 3 + (size_t)be16(p + off + 1);
		if (off > end)
			return bad(why, "v2: TLV's value overruns the header");
	}
	return len < end ? MORE : DONE;
}

/* Checks the fixed 16 bytes as far as they are in: the signature, then the version and the
 * command, the family and the transport, each as soon as its byte arrives. For LOCAL the spec
 * (section 2.2) says the receiver "must accept this connection as valid and must use the real
 * connection endpoints and discard the protocol block including the family": its family,
 * transport and address block are not looked at, only its length, which bounds the skip. */
static int
v2_fixed(const uint8_t *p, size_t len, const char **why)
{
	bool local = len > 12 && (p[12] & 0xf) == V2_CMD_LOCAL;

	/* Whole, as it nearly always is, the signature is compared in a fixed size, inlined. */
	if (len >= sizeof(v2_signature) ? memcmp(p, v2_signature, sizeof(v2_signature)) != 0 :
	    memcmp(p, v2_signature, len) != 0)
		return bad(why, "not a PROXY header");
	if (len > 12 && p[12] >> 4 != 2)
		return bad(why, "v2: version not 2");
	if (len > 12 && (p[12] & 0xf) > V2_CMD_PROXY)
		return bad(why, "v2: command neither LOCAL nor PROXY");
	if (local)
		return len < PROXY_V2_FIXED ? MORE : be16(p + 14) > PROXY_V2_LEN_MAX ?
		    bad(why, "v2: length over 4096") : DONE;
	if (len > 13 && p[13] >> 4 > V2_FAM_UNIX)
		return bad(why, "v2: family not UNSPEC, INET, INET6 or UNIX");
	if (len > 13 && (p[13] & 0xf) > V2_TRANS_DGRAM)
		return bad(why, "v2: transport not UNSPEC, STREAM or DGRAM");
	if (len < PROXY_V2_FIXED)
		return MORE;
	if (be16(p + 14) > PROXY_V2_LEN_MAX)
		return bad(why, "v2: length over 4096");
	if (be16(p + 14) < v2_block[p[13] >> 4])
		return bad(why, "v2: length shorter than its address block");
	return DONE;
}

static int
v2_parse(const uint8_t *p, size_t len, struct proxy_header *h, const char **why)
{
	unsigned command, family, transport;
	size_t end;
	const uint8_t *a;
	int r;

	r = v2_fixed(p, len, why);
	if (r != DONE)
		return r;
	command = p[12] & 0xf;
	family = p[13] >> 4;
	transport = p[13] & 0xf;
	end = PROXY_V2_FIXED + be16(p + 14);
	/* LOCAL is a balancer's own connection (a health check): its block is skipped unread. */
	if (command == V2_CMD_LOCAL)
		r = len < end ? MORE : DONE;
	else
		r = v2_tlvs(p, len, PROXY_V2_FIXED + v2_block[family], end, why);
	if (r != DONE)
		return r;

	h->version = 2;
	/* UNSPEC in either nibble says the addresses are of no known kind, which the spec lets a
	 * receiver accept with the real endpoints; and an AF_UNIX peer has no address that
	 * hellod's limits could count. */
	if (command == V2_CMD_LOCAL || transport == V2_TRANS_UNSPEC ||
	    (family != V2_FAM_INET && family != V2_FAM_INET6)) {
		h->local = true;
		return (int)end;
	}
	a = p + PROXY_V2_FIXED;
	if (family == V2_FAM_INET) {
		set_inet(&h->source, &h->source_len, AF_INET, a, be16(a + 8));
		set_inet(&h->destination, &h->destination_len, AF_INET, a + 4, be16(a + 10));
	} else {
		set_inet(&h->source, &h->source_len, AF_INET6, a, be16(a + 32));
		set_inet(&h->destination, &h->destination_len, AF_INET6, a + 16, be16(a + 34));
	}
	return (int)end;
}

int
proxy_parse(const void *buf, size_t len, struct proxy_header *ret, const char **why)
{
	struct proxy_header h;
	const uint8_t *p = buf;
	int r;

	if (len == 0)
		return MORE;
	/* Not the whole struct: its two sockaddr_storage are written as far as their lengths
	 * say, and only that much is copied out. */
	h.version = 0;
	h.local = false;
	h.source_len = h.destination_len = 0;
	/* The first byte tells the versions apart: v1 starts "PROXY", v2's signature with a CR. */
	if (p[0] == 'P')
		r = v1_parse(buf, len, &h, why);
	else if (p[0] == v2_signature[0])
		r = v2_parse(p, len, &h, why);
	else
		return bad(why, "not a PROXY header");
	if (r <= 0)
		return r;
	ret->version = h.version;
	ret->local = h.local;
	ret->source_len = h.source_len;
	ret->destination_len = h.destination_len;
	if (!h.local) {
		/* A sockaddr_in6's size whatever the family: set_inet() zeroed that much. */
		memcpy(&ret->source, &h.source, sizeof(struct sockaddr_in6));
		memcpy(&ret->destination, &h.destination, sizeof(struct sockaddr_in6));
	}
	return r;
}
