/* SPDX-License-Identifier: BSD-2-Clause */
/* A worker's counters (greetings, accept pauses, what the limits refused, by the config key
 * that refused it), their sum over the workers, and their text. */
#ifndef HELLOD_STATS_H
#define HELLOD_STATS_H

#include <stddef.h>
#include <stdint.h>

/* What was refused, counted per worker; the names are the config keys that refused it. */
enum refusal {
	REFUSED_MAX_CONNECTIONS,        /* max_connections reached, no connection to evict */
	REFUSED_PER_SOURCE,             /* max_connections_per_source */
	REFUSED_TCP_RATE,               /* tcp_rate */
	REFUSED_PROXY,                  /* proxy_protocol: a bad header, none by proxy_timeout, evicted */
	REFUSED_SEND_TIMEOUT,           /* send_timeout passed before the greeting was out */
	REFUSED_EVICTED,                /* a lingering connection closed early to make room */
	REFUSED_UDP_SIZE,               /* udp_max_ratio, or a source port below 1024 */
	REFUSED_UDP_RATE,               /* udp_rate */
	REFUSED_UDP_LOOP,               /* to itself, or HELLOD_UDP_LOOP_USEC (the loop guard) */
	REFUSED_DENIED,                 /* [access] allow and deny, TCP and UDP */
	REFUSED_N
};

/* One writer (its worker), read by the others for STATUS=: each counter is 8-byte aligned, so
 * that its atomic loads and stores are atomic on 32-bit targets too (i386 aligns uint64_t to 4
 * in a struct). */
struct stats {
	_Alignas(8) uint64_t tcp_greetings;
	_Alignas(8) uint64_t udp_greetings;
	_Alignas(8) uint64_t accept_pauses;
	_Alignas(8) uint64_t refused[REFUSED_N];
};
/* Without the _Alignas an i386 build stops here, rather than tear counters at run time (armhf's
 * AAPCS aligns uint64_t to 8 by itself). The array's elements follow its start 8 bytes apart. */
_Static_assert(_Alignof(struct stats) % 8 == 0, "struct stats is not 8-byte aligned");
_Static_assert(offsetof(struct stats, tcp_greetings) % 8 == 0, "tcp_greetings: misaligned");
_Static_assert(offsetof(struct stats, udp_greetings) % 8 == 0, "udp_greetings: misaligned");
_Static_assert(offsetof(struct stats, accept_pauses) % 8 == 0, "accept_pauses: misaligned");
_Static_assert(offsetof(struct stats, refused) % 8 == 0, "refused: misaligned");

/* Adds n to one of the writer's own counters. */
static inline void
stats_add(uint64_t *counter, uint64_t n)
{
	__atomic_store_n(counter, *counter + n, __ATOMIC_RELAXED);
}

/* Adds what one worker counted to *sum, read atomically. */
void stats_sum(struct stats *sum, const struct stats *one);

/* The refusals in all. */
uint64_t stats_refused(const struct stats *st);

/* Appends "; TCP refused: 3 over max_connections_per_source, ..." for the non-zero refusal
 * counts to buf (a string already). */
void stats_describe(const struct stats *st, char *buf, size_t len);

#endif
