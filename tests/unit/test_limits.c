/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests of the per-source limits: the connection count table (linear probing and its
 * backward-shift deletion), the token buckets (burst, refill, the stalest entry of a full set
 * given up) and the UDP loop guard (one reply per address:port per window, closed when a set
 * is full of recent ones, the port in the hash). The seed is fixed, so that collisions can be
 * picked ahead and every run is the same. */
#include <stdlib.h>

/* Included to reach the tables, the seed and the hashes that place entries. */
#include "../../src/hellod/limits.c"
#include "test.h"

/* A start well away from 0, which stands for "never" in the tables. */
#define T0 (1000 * 1000000ULL)

static struct limits *lim;
static struct hellod_config conf;

static void
setup(size_t max_conns)
{
	if (limits_new(max_conns, &lim) < 0)
		abort();
	lim->seed[0] = 0x0123456789abcdefULL;
	lim->seed[1] = 0xfedcba9876543210ULL;
	conf = (struct hellod_config){ .prefix4 = 24, .prefix6 = 56 };
}

static void
teardown(void)
{
	lim = limits_free(lim);
}

static struct addr_prefix
ip(const char *s)
{
	struct addr_prefix p;

	if (addr_prefix_parse(s, &p) < 0)
		abort();
	return p;
}

/* The i-th of 10.0.0.0/8's addresses. */
static struct addr_prefix
v4(unsigned i)
{
	char s[32];

	snprintf(s, sizeof(s), "10.%u.%u.%u", (i >> 16) & 255, (i >> 8) & 255, i & 255);
	return ip(s);
}

/* ---- the connection count table ---- */

static struct addr_prefix
count_key(const struct addr_prefix *source)
{
	struct addr_prefix key = *source;

	addr_prefix_cut(&key, 32, 64);
	return key;
}

static size_t
home_of(const struct addr_prefix *source)
{
	struct addr_prefix key = count_key(source);

	return hash(lim, &key) & lim->counts_mask;
}

/* The slot holding source, or SIZE_MAX when it is not in the table. */
static size_t
slot_of(const struct addr_prefix *source)
{
	struct addr_prefix key = count_key(source);
	size_t i = count_slot(lim, &key);

	return lim->counts[i].count > 0 ? i : SIZE_MAX;
}

static uint32_t
count_of(const struct addr_prefix *source)
{
	size_t i = slot_of(source);

	return i == SIZE_MAX ? 0 : lim->counts[i].count;
}

/* The next address from *next on whose home slot is home. */
static struct addr_prefix
with_home(size_t home, unsigned *next)
{
	for (;; (*next)++) {
		struct addr_prefix a = v4(*next);

		if (home_of(&a) == home) {
			(*next)++;
			return a;
		}
	}
}

static enum refusal
admit(const struct addr_prefix *source, uint64_t now, bool *counted)
{
	return limits_tcp_admit(lim, &conf, source, now, counted);
}

/* Admitted and counted. */
static bool
admitted(const struct addr_prefix *source)
{
	bool counted;

	return admit(source, T0, &counted) == REFUSED_N && counted;
}

/* What linear probing needs: n_counts is the number of slots in use, no source is in two, and
 * no free slot lies between a source's home and its slot (or lookups would stop there). */
static bool
table_sound(void)
{
	size_t n = lim->counts_mask + 1, used = 0;

	for (size_t j = 0; j < n; j++) {
		const struct source_count *e = &lim->counts[j];

		if (e->count == 0)
			continue;
		used++;
		for (size_t i = hash(lim, &e->source) & lim->counts_mask; i != j;
		    i = (i + 1) & lim->counts_mask)
			if (lim->counts[i].count == 0) {
				printf("# slot %zu: a free slot %zu before it on its probe\n", j, i);
				return false;
			}
		for (size_t k = j + 1; k < n; k++)
			if (lim->counts[k].count > 0 && same(&lim->counts[k].source, &e->source)) {
				printf("# slots %zu and %zu hold the same source\n", j, k);
				return false;
			}
	}
	if (used != lim->n_counts)
		printf("# %zu slots in use, n_counts %zu\n", used, lim->n_counts);
	return used == lim->n_counts;
}

static void
counts_up_and_down(void)
{
	struct addr_prefix a = ip("192.0.2.1"), b = ip("192.0.2.2"), c6 = ip("2001:db8::1"),
	    c6_same64 = ip("2001:db8::ffff:2"), d6 = ip("2001:db8:0:1::1"), never = ip("192.0.2.9");
	bool counted = true;

	setup(16);
	conf.max_per_source = 3;
	CHECK(admitted(&a) && admitted(&a) && admitted(&a));
	CHECK(count_of(&a) == 3);
	/* Over the cap: refused, not counted, and the count stays. */
	CHECK(admit(&a, T0, &counted) == REFUSED_PER_SOURCE && !counted);
	CHECK(count_of(&a) == 3);
	/* An IPv4 source is its address: the /24 neighbour counts apart. */
	CHECK(admitted(&b) && count_of(&b) == 1);
	/* An IPv6 source is its /64. */
	CHECK(admitted(&c6) && admitted(&c6_same64) && count_of(&c6) == 2);
	CHECK(admitted(&d6) && count_of(&d6) == 1);
	CHECK(lim->n_counts == 4);

	limits_tcp_release(lim, &a);
	CHECK(count_of(&a) == 2);
	CHECK(admitted(&a) && count_of(&a) == 3);
	for (int i = 0; i < 3; i++)
		limits_tcp_release(lim, &a);
	CHECK(count_of(&a) == 0 && slot_of(&a) == SIZE_MAX);
	CHECK(lim->n_counts == 3);
	/* A release of what is not counted changes nothing. */
	limits_tcp_release(lim, &never);
	limits_tcp_release(lim, &a);
	CHECK(lim->n_counts == 3 && count_of(&b) == 1 && count_of(&c6) == 2 && count_of(&d6) == 1);
	limits_tcp_release(lim, &c6_same64);
	CHECK(count_of(&c6) == 1);
	CHECK(table_sound());
	teardown();
}

static void
counts_table_full(void)
{
	struct addr_prefix a[9];
	bool counted = true;

	setup(4);
	CHECK(lim->counts_mask == 15);  /* 16 slots, at most half of them in use */
	conf.max_per_source = 2;
	for (unsigned i = 0; i < 9; i++)
		a[i] = v4(i);
	for (unsigned i = 0; i < 8; i++)
		CHECK(admitted(&a[i]));
	CHECK(admit(&a[8], T0, &counted) == REFUSED_MAX_CONNECTIONS && !counted);
	CHECK(slot_of(&a[8]) == SIZE_MAX);
	/* A source already counted still has its slot. */
	CHECK(admitted(&a[0]) && count_of(&a[0]) == 2);
	limits_tcp_release(lim, &a[3]);
	CHECK(admitted(&a[8]) && count_of(&a[8]) == 1);
	CHECK(table_sound());
	teardown();
}

/* Sources counted i + 1 times each, so that each count shows where its entry went. */
static void
fill(const struct addr_prefix *s, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		for (unsigned k = 0; k <= i; k++)
			CHECK(admitted(&s[i]));
}

static void
release_all(const struct addr_prefix *source)
{
	for (uint32_t k = count_of(source); k > 0; k--)
		limits_tcp_release(lim, source);
}

static bool
all_found(const struct addr_prefix *s, const bool *gone, unsigned n)
{
	bool ok = true;

	for (unsigned i = 0; i < n; i++)
		if (count_of(&s[i]) != (gone[i] ? 0 : i + 1)) {
			printf("# source %u: count %u\n", i, (unsigned)count_of(&s[i]));
			ok = false;
		}
	return ok;
}

static void
counts_backward_shift(void)
{
	/* One cluster over the end of the table, slots 14..3, with these homes: */
	static const size_t homes[] = { 14, 14, 15, 0, 14, 3 };
	enum { A, B, C, D, E, F, N };
	struct addr_prefix s[N];
	bool gone[N] = { false };
	unsigned next = 0;

	setup(4);
	conf.max_per_source = 100;
	for (unsigned i = 0; i < N; i++)
		s[i] = with_home(homes[i], &next);
	fill(s, N);
	CHECK(slot_of(&s[A]) == 14 && slot_of(&s[B]) == 15 && slot_of(&s[C]) == 0 &&
	    slot_of(&s[D]) == 1 && slot_of(&s[E]) == 2 && slot_of(&s[F]) == 3);
	CHECK(all_found(s, gone, N) && table_sound());

	/* B out of the middle: C, D and E each move back one, C over the end; F is at home. */
	release_all(&s[B]);
	gone[B] = true;
	CHECK(all_found(s, gone, N) && table_sound());
	CHECK(slot_of(&s[C]) == 15 && slot_of(&s[D]) == 0 && slot_of(&s[E]) == 1 &&
	    slot_of(&s[F]) == 3);
	CHECK(lim->counts[2].count == 0 && lim->n_counts == 5);

	/* A, the head: C and D are at home and stay; E (home 14) jumps over them. */
	release_all(&s[A]);
	gone[A] = true;
	CHECK(all_found(s, gone, N) && table_sound());
	CHECK(slot_of(&s[E]) == 14 && slot_of(&s[C]) == 15 && slot_of(&s[D]) == 0);
	CHECK(lim->counts[1].count == 0 && lim->n_counts == 4);

	/* Back in: B finds the first free slot on its probe. */
	for (unsigned k = 0; k <= B; k++)
		CHECK(admitted(&s[B]));
	gone[B] = false;
	CHECK(slot_of(&s[B]) == 1 && all_found(s, gone, N) && table_sound());
	teardown();
}

/* Random admissions and releases from 12 sources whose homes are 4 neighbouring slots over
 * the end of the table, against a plain array of counts. */
static void
counts_against_model(void)
{
	enum { N = 12, CAP = 3 };
	struct addr_prefix s[N];
	uint32_t model[N] = { 0 }, rnd = 12345;
	unsigned next = 0, distinct = 0;
	bool sound = true, agree = true;

	setup(4);
	conf.max_per_source = CAP;
	for (unsigned i = 0; i < N; i++)
		s[i] = with_home((14 + i % 4) & 15, &next);
	for (unsigned step = 0; step < 20000 && sound && agree; step++) {
		unsigned k;
		bool counted;

		rnd = rnd * 1103515245 + 12345;
		k = (rnd >> 16) % N;
		if (model[k] > 0 && (rnd >> 8) & 1) {
			limits_tcp_release(lim, &s[k]);
			distinct -= --model[k] == 0;
		} else {
			enum refusal want = model[k] >= CAP ? REFUSED_PER_SOURCE :
			    model[k] == 0 && distinct >= 8 ? REFUSED_MAX_CONNECTIONS : REFUSED_N;

			agree = admit(&s[k], T0, &counted) == want && counted == (want == REFUSED_N);
			if (want == REFUSED_N)
				distinct += model[k]++ == 0;
		}
		for (unsigned i = 0; i < N; i++)
			agree = agree && count_of(&s[i]) == model[i];
		sound = table_sound();
		if (!agree)
			printf("# step %u: the table and the model disagree\n", step);
	}
	CHECK(sound);
	CHECK(agree);
	teardown();
}

/* ---- the token buckets ---- */

/* How many of n UDP replies to source at now the rate lets through. */
static unsigned
udp_np(const struct addr_prefix *source, uint64_t now, unsigned n)
{
	unsigned ok = 0;

	for (unsigned i = 0; i < n; i++)
		ok += limits_udp_allow(lim, &conf, source, now);
	return ok;
}

static unsigned
udp_n(const char *source, uint64_t now, unsigned n)
{
	struct addr_prefix a = ip(source);

	return udp_np(&a, now, n);
}

static bool
udp(const char *source, uint64_t now)
{
	return udp_n(source, now, 1) == 1;
}

static void
rate_burst(void)
{
	setup(16);
	conf.udp_rate = 10;     /* one per 100 ms */
	conf.udp_burst = 3;
	CHECK(udp_n("192.0.2.1", T0, 10) == 3);
	/* The prefix (/24) shares the bucket, the next one has its own. */
	CHECK(!udp("192.0.2.200", T0));
	CHECK(udp_n("192.0.3.1", T0, 10) == 3);
	/* An IPv6 prefix is a /56. */
	CHECK(udp_n("2001:db8:0:1::1", T0, 2) == 2);
	CHECK(udp_n("2001:db8:0:ff::1", T0, 10) == 1);
	CHECK(udp_n("2001:db8:0:100::1", T0, 10) == 3);
	teardown();
}

static void
rate_refill(void)
{
	setup(16);
	conf.udp_rate = 10;
	conf.udp_burst = 3;
	CHECK(udp_n("192.0.2.1", T0, 3) == 3);
	/* One token back per 100 ms, not sooner; a refused reply takes none. */
	CHECK(!udp("192.0.2.1", T0 + 99999));
	CHECK(udp_n("192.0.2.1", T0 + 100000, 10) == 1);
	CHECK(udp_n("192.0.2.1", T0 + 350000, 10) == 2);
	CHECK(!udp("192.0.2.1", T0 + 399999));
	CHECK(udp_n("192.0.2.1", T0 + 400000, 10) == 1);
	/* A long quiet time fills the bucket up to the burst and no further. */
	CHECK(udp_n("192.0.2.1", T0 + 60 * 1000000ULL, 10) == 3);
	CHECK(udp_n("192.0.2.1", T0 + 3600 * 1000000ULL, 10) == 3);
	/* burst 1: strictly one per interval. */
	conf.udp_burst = 1;
	CHECK(udp_n("192.0.3.1", T0, 5) == 1);
	CHECK(udp_n("192.0.3.1", T0 + 50000, 5) == 0);
	CHECK(udp_n("192.0.3.1", T0 + 100000, 5) == 1);
	teardown();
}

/* TCP and UDP have a bucket each in one entry; the per-source cap is asked first. */
static void
rate_tcp(void)
{
	struct addr_prefix a = ip("192.0.2.1"), b = ip("192.0.2.2");
	bool counted = true;

	setup(16);
	conf.tcp_rate = 1;
	conf.tcp_burst = 2;
	conf.max_per_source = 1;
	CHECK(admit(&a, T0, &counted) == REFUSED_N && counted);
	/* Turned away by the cap: no token taken... */
	CHECK(admit(&a, T0, &counted) == REFUSED_PER_SOURCE && !counted);
	CHECK(admit(&a, T0, &counted) == REFUSED_PER_SOURCE && !counted);
	/* ...so the prefix still has one, which b (same /24) takes. */
	CHECK(admit(&b, T0, &counted) == REFUSED_N && counted);
	limits_tcp_release(lim, &a);
	/* Refused by the rate: not counted, and the count it took is given back. */
	CHECK(admit(&a, T0, &counted) == REFUSED_TCP_RATE && !counted);
	CHECK(count_of(&a) == 0 && count_of(&b) == 1 && lim->n_counts == 1);
	/* The UDP bucket of the same prefix is untouched. */
	conf.udp_rate = 1;
	conf.udp_burst = 2;
	CHECK(udp_n("192.0.2.3", T0, 5) == 2);
	CHECK(admit(&a, T0 + 1000000, &counted) == REFUSED_N && counted);
	CHECK(table_sound());
	teardown();
}

/* Exemption is the caller's (tcp.c and udp.c ask config_exempts()): limits.c limits whatever
 * it is given. */
static void
rate_exempt_is_callers(void)
{
	struct addr_prefix a = ip("192.0.2.1");
	bool counted;

	setup(16);
	conf.n_exempt = 1;
	conf.exempt[0] = ip("192.0.2.0/24");
	conf.max_per_source = 1;
	conf.udp_rate = 1;
	conf.udp_burst = 1;
	CHECK(admitted(&a));
	CHECK(admit(&a, T0, &counted) == REFUSED_PER_SOURCE);
	CHECK(udp_n("192.0.2.1", T0, 3) == 1);
	teardown();
}

static size_t
rate_set(const struct addr_prefix *source)
{
	struct addr_prefix p;

	rate_prefix(&conf, source, &p);
	return hash(lim, &p) % (HELLOD_RATE_TABLE / HELLOD_RATE_WAYS);
}

/* Whether source's prefix has an entry in the rate table. */
static bool
rate_known(const struct addr_prefix *source)
{
	struct addr_prefix p;
	const struct rate_entry *set;

	rate_prefix(&conf, source, &p);
	set = &lim->rates[rate_set(source) * HELLOD_RATE_WAYS];
	for (unsigned i = 0; i < HELLOD_RATE_WAYS; i++)
		if (set[i].prefix.bits > 0 && same(&set[i].prefix, &p))
			return true;
	return false;
}

/* A full set gives up its stalest entry, the one whose time passed first (not the oldest),
 * even when every entry is still in use: a rate limit fails open rather than refuse a
 * prefix it has no room for. */
static void
rate_stalest_replaced(void)
{
	enum { N = HELLOD_RATE_WAYS + 1 };
	struct addr_prefix s[N];
	unsigned next = 0;
	size_t set;

	setup(16);
	conf.udp_rate = 1;      /* one per second */
	conf.udp_burst = 4;
	s[0] = v4(0);
	set = rate_set(&s[0]);
	for (unsigned i = 1; i < N; i++) {
		do
			s[i] = v4(++next << 8);
		while (rate_set(&s[i]) != set);
	}
	/* All drained, one a millisecond apart, but s[3] takes only one of its tokens, so its
	 * time passes first although s[0] came first. */
	for (unsigned i = 0; i < HELLOD_RATE_WAYS; i++)
		CHECK(udp_np(&s[i], T0 + i * 1000, i == 3 ? 1 : 10) == (i == 3 ? 1 : 4));
	for (unsigned i = 0; i < HELLOD_RATE_WAYS; i++)
		CHECK(rate_known(&s[i]));
	/* The set is full and every bucket still in use: the ninth takes s[3]'s place. */
	CHECK(udp_np(&s[8], T0 + 10000, 10) == 4);
	CHECK(rate_known(&s[8]) && !rate_known(&s[3]));
	for (unsigned i = 0; i < HELLOD_RATE_WAYS; i++)
		if (i != 3)
			CHECK(rate_known(&s[i]) && udp_np(&s[i], T0 + 20000, 1) == 0);
	/* Forgotten, s[3] starts again from a full bucket (it had 3 left: a fourth shows it). */
	CHECK(udp_np(&s[3], T0 + 30000, 10) == 4);
	teardown();
}

/* Once the times of all passed, the set's entries are as good as new: the next one replaces
 * the stalest of them. */
static void
rate_expired_replaced(void)
{
	enum { N = HELLOD_RATE_WAYS + 1 };
	struct addr_prefix s[N];
	unsigned next = 0;
	size_t set;

	setup(16);
	conf.udp_rate = 1;
	conf.udp_burst = 2;
	s[0] = v4(0);
	set = rate_set(&s[0]);
	for (unsigned i = 1; i < N; i++) {
		do
			s[i] = v4(++next << 8);
		while (rate_set(&s[i]) != set);
	}
	for (unsigned i = 0; i < HELLOD_RATE_WAYS; i++)
		CHECK(udp_np(&s[i], T0 + (HELLOD_RATE_WAYS - i) * 1000, 10) == 2);
	CHECK(udp_np(&s[8], T0 + 3600 * 1000000ULL, 10) == 2);
	CHECK(!rate_known(&s[HELLOD_RATE_WAYS - 1]) && rate_known(&s[8]));
	for (unsigned i = 0; i < HELLOD_RATE_WAYS - 1; i++)
		CHECK(rate_known(&s[i]));
	teardown();
}

/* What limits_take_summary() says: the prefixes over a limit in the period and the busiest. */
static void
rate_summary(void)
{
	struct limits_summary sum;
	char buf[64];

	setup(16);
	conf.udp_rate = 1;
	conf.udp_burst = 1;
	CHECK(udp_n("192.0.2.1", T0, 3) == 1);          /* 2 drops */
	CHECK(udp_n("198.51.100.7", T0, 6) == 1);       /* 5 drops */
	CHECK(udp_n("203.0.113.1", T0, 1) == 1);        /* none */
	limits_take_summary(lim, &sum);
	CHECK(sum.prefixes == 2 && sum.top_drops == 5);
	CHECK_STR(addr_prefix_format(&sum.top, buf, sizeof(buf)), "198.51.100.0/24");
	/* A new period: only what is dropped from now on. */
	CHECK(udp_n("192.0.2.1", T0, 2) == 0);
	limits_take_summary(lim, &sum);
	CHECK(sum.prefixes == 1 && sum.top_drops == 2);
	CHECK_STR(addr_prefix_format(&sum.top, buf, sizeof(buf)), "192.0.2.0/24");
	limits_take_summary(lim, &sum);
	CHECK(sum.prefixes == 0 && sum.top_drops == 0);
	teardown();
}

/* ---- the UDP loop guard ---- */

static bool
loop(const char *source, uint16_t port, uint64_t now)
{
	struct addr_prefix a = ip(source);

	return limits_udp_loop_allow(lim, &a, port, now);
}

static void
loop_one_per_window(void)
{
	const uint64_t w = HELLOD_UDP_LOOP_USEC;

	setup(16);
	CHECK(loop("192.0.2.1", 5000, T0));
	CHECK(!loop("192.0.2.1", 5000, T0));
	CHECK(!loop("192.0.2.1", 5000, T0 + w / 2));
	/* A refused reply does not move the window. */
	CHECK(!loop("192.0.2.1", 5000, T0 + w - 1));
	CHECK(loop("192.0.2.1", 5000, T0 + w));
	CHECK(!loop("192.0.2.1", 5000, T0 + w + 1));
	CHECK(loop("192.0.2.1", 5000, T0 + 5 * w));
	/* Keyed by address and port, all of the address (no prefix). */
	CHECK(loop("192.0.2.1", 5001, T0 + 5 * w));
	CHECK(loop("192.0.2.2", 5000, T0 + 5 * w));
	CHECK(loop("2001:db8::1", 5000, T0 + 5 * w));
	CHECK(loop("2001:db8::2", 5000, T0 + 5 * w));
	CHECK(!loop("2001:db8::1", 5000, T0 + 5 * w));
	/* Soon after the clock's start, the first reply goes too. */
	teardown();
	setup(16);
	CHECK(loop("192.0.2.1", 5000, 1));
	CHECK(!loop("192.0.2.1", 5000, 2));
	CHECK(loop("192.0.2.1", 5000, 1 + w));
	teardown();
}

static size_t
loop_set(const struct addr_prefix *source, uint16_t port)
{
	return hash_port(lim, source, port) % (HELLOD_UDP_LOOP_TABLE / HELLOD_RATE_WAYS);
}

/* A set full of entries from within the window refuses a newcomer rather than forget one
 * that could be the next hop of a loop; entries whose window passed give way. */
static void
loop_full_set_fails_closed(void)
{
	const uint64_t w = HELLOD_UDP_LOOP_USEC;
	struct addr_prefix a = ip("192.0.2.1");
	uint16_t port[HELLOD_RATE_WAYS + 1], p = 1024;
	size_t set;

	setup(16);
	set = loop_set(&a, p);
	for (unsigned i = 0; i < HELLOD_RATE_WAYS + 1; i++, p++) {
		while (loop_set(&a, p) != set)
			p++;
		port[i] = p;
	}
	for (unsigned i = 0; i < HELLOD_RATE_WAYS; i++)
		CHECK(limits_udp_loop_allow(lim, &a, port[i], T0 + i));
	CHECK(!limits_udp_loop_allow(lim, &a, port[8], T0 + 100));
	CHECK(!limits_udp_loop_allow(lim, &a, port[8], T0 + w - 1));
	/* Nothing forgotten. */
	for (unsigned i = 0; i < HELLOD_RATE_WAYS; i++)
		CHECK(!limits_udp_loop_allow(lim, &a, port[i], T0 + w - 1));
	/* The windows of the first four have passed: the ninth takes the stalest place. */
	CHECK(limits_udp_loop_allow(lim, &a, port[8], T0 + w + 3));
	for (unsigned i = 4; i < HELLOD_RATE_WAYS; i++)
		CHECK(!limits_udp_loop_allow(lim, &a, port[i], T0 + w + 3));
	CHECK(!limits_udp_loop_allow(lim, &a, port[8], T0 + w + 3));
	teardown();
}

/* The port is hashed in with the seed: the ports of one address spread over the sets, so
 * that many of them at once are all answered. */
static void
loop_ports_spread(void)
{
	struct addr_prefix a = ip("192.0.2.1");
	static bool seen[HELLOD_UDP_LOOP_TABLE / HELLOD_RATE_WAYS];
	unsigned sets = 0, allowed = 0;

	setup(16);
	for (unsigned p = 40000; p < 40256; p++) {
		size_t s = loop_set(&a, (uint16_t)p);

		sets += !seen[s];
		seen[s] = true;
		allowed += limits_udp_loop_allow(lim, &a, (uint16_t)p, T0);
	}
	CHECK(sets > 128);
	CHECK(allowed == 256);
	/* Mixed, not just added in: ports alike in their low bits spread as well. */
	memset(seen, 0, sizeof(seen));
	sets = allowed = 0;
	for (unsigned p = 1024 + 7; p < 65536; p += 1024) {
		size_t s = loop_set(&a, (uint16_t)p);

		sets += !seen[s];
		seen[s] = true;
		allowed += limits_udp_loop_allow(lim, &a, (uint16_t)p, T0);
	}
	CHECK(sets > 32);
	CHECK(allowed == 63);
	teardown();
}

int
main(void)
{
	RUN("unit/limits", counts_up_and_down);
	RUN("unit/limits", counts_table_full);
	RUN("unit/limits", counts_backward_shift);
	RUN("unit/limits", counts_against_model);
	RUN("unit/limits", rate_burst);
	RUN("unit/limits", rate_refill);
	RUN("unit/limits", rate_tcp);
	RUN("unit/limits", rate_exempt_is_callers);
	RUN("unit/limits", rate_stalest_replaced);
	RUN("unit/limits", rate_expired_replaced);
	RUN("unit/limits", rate_summary);
	RUN("unit/limits", loop_one_per_window);
	RUN("unit/limits", loop_full_set_fails_closed);
	RUN("unit/limits", loop_ports_spread);
	return tests_failed ? 1 : 0;
}
