/* SPDX-License-Identifier: BSD-2-Clause */
/* A worker's counters (greetings, accept pauses, what the limits refused, by the config key
 * that refused it) and gauges (its connections by state), their sum over the workers, their
 * text, and their names as metrics. */
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
	REFUSED_UDP_SIZE,               /* udp_max_ratio */
	REFUSED_UDP_RATE,               /* udp_rate */
	REFUSED_UDP_LOOP,               /* to itself, or HELLOD_UDP_LOOP_USEC (the loop guard) */
	REFUSED_DENIED,                 /* [access] allow and deny, TCP */
	REFUSED_UDP_DENIED,             /* [access] allow and deny, UDP */
	REFUSED_UDP_PORT,               /* a source port below HELLOD_UDP_PORT_MIN */
	REFUSED_N
};

/* The TCP connections a worker holds, by what they wait for: a list of conn.c each. */
enum conn_state {
	CONN_SENDING,                   /* the greeting is being sent */
	CONN_LINGERING,                 /* sent with the FIN: waiting for the client's end */
	CONN_WAITING,                   /* a trusted proxy's: waiting for its PROXY header */
	CONN_STATE_N
};

/* One writer (its worker), read by the others for STATUS=: each counter is 8-byte aligned, so
 * that its atomic loads and stores are atomic on 32-bit targets too (i386 aligns uint64_t to 4
 * in a struct). */
struct stats {
	_Alignas(8) uint64_t tcp_greetings;
	_Alignas(8) uint64_t udp_greetings;
	_Alignas(8) uint64_t accept_pauses;
	_Alignas(8) uint64_t refused[REFUSED_N];
	_Alignas(8) uint64_t conns[CONN_STATE_N];       /* gauges: connections held */
};
/* Without the _Alignas an i386 build stops here, rather than tear counters at run time (armhf's
 * AAPCS aligns uint64_t to 8 by itself). The array's elements follow its start 8 bytes apart. */
_Static_assert(_Alignof(struct stats) % 8 == 0, "struct stats is not 8-byte aligned");
_Static_assert(offsetof(struct stats, tcp_greetings) % 8 == 0, "tcp_greetings: misaligned");
_Static_assert(offsetof(struct stats, udp_greetings) % 8 == 0, "udp_greetings: misaligned");
_Static_assert(offsetof(struct stats, accept_pauses) % 8 == 0, "accept_pauses: misaligned");
_Static_assert(offsetof(struct stats, refused) % 8 == 0, "refused: misaligned");
_Static_assert(offsetof(struct stats, conns) % 8 == 0, "conns: misaligned");

/* Adds n to one of the writer's own counters. */
static inline void
stats_add(uint64_t *counter, uint64_t n)
{
	__atomic_store_n(counter, *counter + n, __ATOMIC_RELAXED);
}

/* Takes one from a gauge of the writer's own. */
static inline void
stats_sub(uint64_t *gauge, uint64_t n)
{
	__atomic_store_n(gauge, *gauge - n, __ATOMIC_RELAXED);
}

/* Adds what one worker counted to *sum, read atomically. */
void stats_sum(struct stats *sum, const struct stats *one);

/* The refusals in all. */
uint64_t stats_refused(const struct stats *st);

/* Appends "; TCP refused: 3 over max_connections_per_source, ..." for the non-zero refusal
 * counts to buf (a string already). */
void stats_describe(const struct stats *st, char *buf, size_t len);

/* A refusal's labels as a metric has them: its protocol ("tcp" or "udp") and its reason, the
 * config key or protection that refused ("max_connections", "access", "loop_guard", ...). */
void stats_refusal_labels(enum refusal why, const char **ret_proto, const char **ret_reason);

/* A connection state's label ("open", "lingering", "waiting_header"). */
const char *stats_conn_state_label(enum conn_state state);

#endif
