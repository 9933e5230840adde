/* SPDX-License-Identifier: BSD-2-Clause */
/* Per-source limits, shared by the workers: TCP connections per source (IPv4 address, IPv6
 * /64), token-bucket rate limits per source prefix (IPv4 /24, IPv6 /56 by default) and the UDP
 * loop guard per source address and port, in tables sized once at start. */
#ifndef HELLOD_LIMITS_H
#define HELLOD_LIMITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "config.h"
#include "stats.h"

struct limits;

/* The busiest prefix over a rate limit since the last limits_take_summary(). */
struct limits_summary {
	unsigned prefixes;              /* prefixes that were over a rate limit */
	struct addr_prefix top;
	uint64_t top_drops;
};

/* Makes the tables: room for max_conns counted connections. Returns 0 or -ENOMEM. */
int limits_new(size_t max_conns, struct limits **ret);
struct limits *limits_free(struct limits *l);

/* A new TCP connection from source, not exempt: REFUSED_N when admitted (then counted against
 * its source if *counted), else what refused it. */
enum refusal limits_tcp_admit(struct limits *l, const struct hellod_config *c,
    const struct addr_prefix *source, uint64_t now_usec, bool *counted);
/* A connection counted by limits_tcp_admit() closed. */
void limits_tcp_release(struct limits *l, const struct addr_prefix *source);

/* Whether a UDP reply to source, not exempt, is within udp_rate. */
bool limits_udp_allow(struct limits *l, const struct hellod_config *c,
    const struct addr_prefix *source, uint64_t now_usec);

/* Whether a UDP reply not smaller than its request may go to source and port (host order),
 * exempt or not: not when one went there less than HELLOD_UDP_LOOP_USEC ago, since it could
 * be the next hop of a loop, nor when the guard's table is full of such recent ones (it fails
 * closed rather than forget one). Records the reply when it may go. */
bool limits_udp_loop_allow(struct limits *l, const struct addr_prefix *source, uint16_t port,
    uint64_t now_usec);

/* What the rate limits dropped since the last call, which starts a new period. */
void limits_take_summary(struct limits *l, struct limits_summary *ret);

#endif
