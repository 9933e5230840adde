/* SPDX-License-Identifier: BSD-2-Clause */
/* Per-source limits: a count of open TCP connections per source, a rate limit per source
 * prefix and the UDP loop guard per source address and port, in the style of DNS response
 * rate limiting (BIND, NSD, Knot): bounded tables made once, a keyed hash so that sources
 * cannot choose their collisions, and counters instead of a log line per drop. The workers
 * share the tables under one lock, taken for the rate limits only for sources that are not
 * exempt, and for the loop guard only for replies not smaller than their request. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "limits.h"
#include "util.h"

/* Open TCP connections from one source; count 0 marks a free slot. */
struct source_count {
	struct addr_prefix source;
	uint32_t count;
};

/* A rate limit's state for one prefix, as a generic cell rate algorithm: the theoretical
 * arrival time of the next event per protocol. A prefix whose times have passed is as good as
 * new, so that is the entry given up first when the table is full. The loop guard's entries
 * are the same, keyed by an address and a port, with the time of the last reply in tat[0]. */
struct rate_entry {
	struct addr_prefix prefix;      /* bits 0: unused */
	uint16_t port;                  /* the loop guard's: the source port; rates: 0 */
	uint64_t tat[2];                /* 0: TCP, 1: UDP; CLOCK_MONOTONIC usec */
	uint64_t drops;                 /* in the period period */
	uint64_t period;
};

struct limits {
	pthread_mutex_t lock;
	uint64_t seed[2];
	struct source_count *counts;    /* open addressing, linear probing */
	size_t counts_mask, n_counts;
	struct rate_entry *rates;       /* HELLOD_RATE_TABLE / HELLOD_RATE_WAYS sets */
	struct rate_entry *loops;       /* HELLOD_UDP_LOOP_TABLE / HELLOD_RATE_WAYS sets */
	uint64_t period;
	struct limits_summary summary;
};

static uint64_t
mix(uint64_t x)
{
	/* MurmurHash3's finalizer: every input bit moves every output bit. */
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	return x ^ (x >> 33);
}

static uint64_t
hash(const struct limits *l, const struct addr_prefix *p)
{
	uint64_t a, b;

	memcpy(&a, p->addr, 8);
	memcpy(&b, p->addr + 8, 8);
	return mix(mix(a ^ l->seed[0]) ^ b ^ l->seed[1]) ^ p->bits;
}

/* The port mixed in after the secret seed: an attacker who picks ports cannot line them up on
 * one set either. */
static uint64_t
hash_port(const struct limits *l, const struct addr_prefix *p, uint16_t port)
{
	return mix(hash(l, p) ^ port);
}

static bool
same(const struct addr_prefix *a, const struct addr_prefix *b)
{
	return a->bits == b->bits && memcmp(a->addr, b->addr, sizeof(a->addr)) == 0;
}

int
limits_new(size_t max_conns, struct limits **ret)
{
	struct limits *l = calloc(1, sizeof(*l));
	size_t n = 16;

	if (!l)
		return -ENOMEM;
	/* At most half full: probes stay short. */
	while (n < 2 * max_conns)
		n *= 2;
	l->counts = calloc(n, sizeof(*l->counts));
	l->rates = calloc(HELLOD_RATE_TABLE, sizeof(*l->rates));
	l->loops = calloc(HELLOD_UDP_LOOP_TABLE, sizeof(*l->loops));
	if (!l->counts || !l->rates || !l->loops) {
		limits_free(l);
		return -ENOMEM;
	}
	l->counts_mask = n - 1;
	l->period = 1;          /* an entry's 0 means: never over a limit */
	if (getrandom(l->seed, sizeof(l->seed), GRND_NONBLOCK) != sizeof(l->seed)) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		l->seed[0] = mix((uint64_t)ts.tv_nsec ^ (uint64_t)getpid() << 32);
		l->seed[1] = mix((uint64_t)ts.tv_sec ^ (uintptr_t)l);
	}
	pthread_mutex_init(&l->lock, NULL);
	*ret = l;
	return 0;
}

struct limits *
limits_free(struct limits *l)
{
	if (!l)
		return NULL;
	if (l->counts_mask)
		pthread_mutex_destroy(&l->lock);
	free(l->counts);
	free(l->rates);
	free(l->loops);
	free(l);
	return NULL;
}

/* The slot holding key, or the free slot where it would go. */
static size_t
count_slot(struct limits *l, const struct addr_prefix *key)
{
	size_t i = hash(l, key) & l->counts_mask;

	while (l->counts[i].count > 0 && !same(&l->counts[i].source, key))
		i = (i + 1) & l->counts_mask;
	return i;
}

/* Empties slot i, moving back the entries after it that probed past it. */
static void
count_remove(struct limits *l, size_t i)
{
	for (size_t j = (i + 1) & l->counts_mask; l->counts[j].count > 0;
	    j = (j + 1) & l->counts_mask) {
		size_t home = hash(l, &l->counts[j].source) & l->counts_mask;

		/* Moved back when its home is not within (i, j], cyclically. */
		if (((j - home) & l->counts_mask) >= ((j - i) & l->counts_mask)) {
			l->counts[i] = l->counts[j];
			i = j;
		}
	}
	l->counts[i].count = 0;
	l->n_counts--;
}

static uint64_t
last_active(const struct rate_entry *e)
{
	return e->tat[0] > e->tat[1] ? e->tat[0] : e->tat[1];
}

/* The entry for key and port in its set of table (of n_sets sets, h its hash), else the set's
 * stalest, emptied for them. NULL when even the stalest was active at or after busy_from: the
 * loop guard must not forget an entry that recent (rates pass UINT64_MAX, which never is). */
static struct rate_entry *
entry_find(struct rate_entry *table, size_t n_sets, uint64_t h, const struct addr_prefix *key,
    uint16_t port, uint64_t busy_from)
{
	struct rate_entry *set = &table[(h % n_sets) * HELLOD_RATE_WAYS], *stalest = &set[0];

	/* An unused entry's times are 0: it is the stalest of all. */
	for (unsigned i = 0; i < HELLOD_RATE_WAYS; i++) {
		if (set[i].prefix.bits > 0 && set[i].port == port && same(&set[i].prefix, key))
			return &set[i];
		if (last_active(&set[i]) < last_active(stalest))
			stalest = &set[i];
	}
	if (stalest->prefix.bits > 0 && last_active(stalest) >= busy_from)
		return NULL;
	*stalest = (struct rate_entry){ .prefix = *key, .port = port };
	return stalest;
}

/* One event for prefix under a token bucket of rate per second and burst: false when the
 * bucket is empty. */
static bool
rate_take(struct limits *l, const struct addr_prefix *prefix, unsigned proto, unsigned rate,
    unsigned burst, uint64_t now)
{
	struct rate_entry *e = entry_find(l->rates, HELLOD_RATE_TABLE / HELLOD_RATE_WAYS,
	    hash(l, prefix), prefix, 0, UINT64_MAX);
	uint64_t interval = 1000000 / rate, tat;

	if (!e)
		return true;    /* cannot happen: any entry may give way to a rate limit */

	tat = e->tat[proto] > now ? e->tat[proto] : now;
	if (tat + interval - now <= (uint64_t)burst * interval) {
		e->tat[proto] = tat + interval;
		return true;
	}
	if (e->period != l->period) {
		e->period = l->period;
		e->drops = 0;
		l->summary.prefixes++;
	}
	if (++e->drops > l->summary.top_drops) {
		l->summary.top = *prefix;
		l->summary.top_drops = e->drops;
	}
	return false;
}

static void
rate_prefix(const struct hellod_config *c, const struct addr_prefix *source,
    struct addr_prefix *ret)
{
	*ret = *source;
	addr_prefix_cut(ret, c->prefix4, c->prefix6);
}

static void
count_release(struct limits *l, const struct addr_prefix *key)
{
	size_t i = count_slot(l, key);

	if (l->counts[i].count > 0 && --l->counts[i].count == 0)
		count_remove(l, i);
}

enum refusal
limits_tcp_admit(struct limits *l, const struct hellod_config *c,
    const struct addr_prefix *source, uint64_t now_usec, bool *counted)
{
	enum refusal r = REFUSED_N;
	struct addr_prefix key = *source, prefix;

	*counted = false;
	addr_prefix_cut(&key, 32, 64);
	pthread_mutex_lock(&l->lock);
	/* The cap first: a client it turns away takes no token. */
	if (c->max_per_source > 0) {
		size_t i = count_slot(l, &key);

		if (l->counts[i].count >= c->max_per_source)
			r = REFUSED_PER_SOURCE;
		else if (l->counts[i].count == 0 && l->n_counts >= (l->counts_mask + 1) / 2)
			r = REFUSED_MAX_CONNECTIONS;    /* cannot happen: see limits_new()'s caller */
		else {
			if (l->counts[i].count++ == 0) {
				l->counts[i].source = key;
				l->n_counts++;
			}
			*counted = true;
		}
	}
	if (r == REFUSED_N && c->tcp_rate > 0) {
		rate_prefix(c, source, &prefix);
		if (!rate_take(l, &prefix, 0, c->tcp_rate, c->tcp_burst, now_usec)) {
			r = REFUSED_TCP_RATE;
			if (*counted)
				count_release(l, &key);
			*counted = false;
		}
	}
	pthread_mutex_unlock(&l->lock);
	return r;
}

void
limits_tcp_release(struct limits *l, const struct addr_prefix *source)
{
	struct addr_prefix key = *source;

	addr_prefix_cut(&key, 32, 64);
	pthread_mutex_lock(&l->lock);
	count_release(l, &key);
	pthread_mutex_unlock(&l->lock);
}

bool
limits_udp_allow(struct limits *l, const struct hellod_config *c,
    const struct addr_prefix *source, uint64_t now_usec)
{
	struct addr_prefix key;
	bool ok;

	rate_prefix(c, source, &key);
	pthread_mutex_lock(&l->lock);
	ok = rate_take(l, &key, 1, c->udp_rate, c->udp_burst, now_usec);
	pthread_mutex_unlock(&l->lock);
	return ok;
}

bool
limits_udp_loop_allow(struct limits *l, const struct addr_prefix *source, uint16_t port,
    uint64_t now_usec)
{
	uint64_t since = now_usec > HELLOD_UDP_LOOP_USEC ? now_usec - HELLOD_UDP_LOOP_USEC : 0;
	struct rate_entry *e;
	bool ok;

	pthread_mutex_lock(&l->lock);
	/* Entries last used within the window are kept: a full set refuses instead. A new
	 * entry's time is 0, which is never within it. */
	e = entry_find(l->loops, HELLOD_UDP_LOOP_TABLE / HELLOD_RATE_WAYS,
	    hash_port(l, source, port), source, port, since + 1);
	ok = e && e->tat[0] <= since;
	if (ok)
		e->tat[0] = now_usec;
	pthread_mutex_unlock(&l->lock);
	return ok;
}

void
limits_take_summary(struct limits *l, struct limits_summary *ret)
{
	pthread_mutex_lock(&l->lock);
	*ret = l->summary;
	l->summary = (struct limits_summary){ 0 };
	l->period++;
	pthread_mutex_unlock(&l->lock);
}

