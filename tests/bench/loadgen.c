/* SPDX-License-Identifier: BSD-2-Clause */
/* A one-thread epoll load generator for greeting servers: keeps TCP connections or UDP requests
 * in flight, or starts them at a fixed rate, checks every reply against the greeting (or a mask
 * of it) and prints one JSON line of results. */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#define LOADGEN_COUNT_MAX 10000000UL        /* operations per run; a latency is kept for each */
#define LOADGEN_INFLIGHT_MAX 65536UL        /* -c and -w */
#define LOADGEN_PER_SOCKET_MAX 1024UL       /* UDP requests in flight on one socket */
#define LOADGEN_SECONDS_MAX 3600UL          /* -d */
#define LOADGEN_TIMEOUT_MS_MAX 600000UL     /* -t */
#define LOADGEN_RATE_MAX 1000000UL          /* -r: starts per second (times -d stays in 64 bits) */
#define LOADGEN_SEND_MAX (16UL * 1024 * 1024) /* -s: bytes a TCP client sends before reading */
#define LOADGEN_DATAGRAM_MAX 65507UL        /* -l: the largest UDP payload over IPv4 */
#define LOADGEN_GREETING_MAX 4096UL         /* -e, with its newline */
#define LOADGEN_EVENTS 256                  /* epoll events per wait */
#define LOADGEN_TICK_NS (10 * 1000000ULL)   /* timeouts are looked for this often */
#define LOADGEN_HTTP_REQUEST "GET / HTTP/1.0\r\n\r\n" /* -s http */
#define LOADGEN_GREETING_DEFAULT "Thank you for connecting"
#define LOADGEN_MASK_ANY '?'                /* -m: in -e, matches any one byte but a newline */
#define LOADGEN_PROXY_SIG "\r\n\r\n\0\r\nQUIT\n" /* -P v2: the 12 bytes a v2 header starts with */
#define LOADGEN_PROXY_MAX (16 + 36)         /* -P v2: the header for TCP over IPv6 */

#define EX_USAGE 64
#define EX_OSERR 71

enum outcome {
	OUTCOME_OK,             /* the greeting, byte for byte, then EOF (TCP) */
	OUTCOME_ERROR,          /* other bytes, or more of them */
	OUTCOME_RESET,          /* ECONNRESET before the whole greeting */
	OUTCOME_RESET_FULL,     /* ECONNRESET after the whole greeting, instead of EOF */
	OUTCOME_TRUNCATED,      /* EOF before the whole greeting */
	OUTCOME_TIMEOUT,        /* no outcome within -t */
	OUTCOME_CONNECT,        /* socket, connect or send failed, or the port was refused */
};

struct options {
	const char *host;
	const char *port;
	bool udp;
	unsigned long concurrency;      /* -c: TCP connections in flight */
	unsigned long count;            /* -n: connections or requests in all */
	unsigned long seconds;          /* -d: the run stops after this long, done or not */
	unsigned long in_flight;        /* -w: UDP requests in flight */
	unsigned long sockets;          /* -S: UDP sockets they are spread over; 0: one each */
	unsigned long timeout_ms;       /* -t */
	unsigned long request_len;      /* -l: UDP request bytes */
	const char *send_first;         /* -s: "http" or a number of bytes */
	const char *greeting;           /* -e, without its newline */
	bool mask;                      /* -m: each '?' in -e matches any byte but a newline */
	const char *bind;               /* -b: source address[+count] */
	bool idle;                      /* -i: TCP clients that never read */
	bool proxy;                     /* -P v2: a PROXY v2 header first */
	unsigned long rate;             /* -r: starts per second; 0: as many as -c or -w allow */
	const char *verdicts;           /* -o: a file of one line per connection or request */
};

struct stats {
	unsigned long long started, done, ok, errors, resets, reset_full, truncated, timeouts;
	unsigned long long connect_errors, stray;
	unsigned long long partial;     /* TCP: ended with some of the greeting, not all */
	uint32_t *latency_us;           /* of each OUTCOME_OK, in microseconds */
	size_t n_latency;
};

struct conn {
	int fd;                         /* -1 while the slot is free */
	uint64_t start_ns;
	size_t got;                     /* bytes of the greeting read, all as expected */
	size_t sent;                    /* bytes of the PROXY header and request written */
	unsigned char proxy[LOADGEN_PROXY_MAX]; /* -P: this connection's header */
};

struct usock {
	int fd;
	unsigned cap;                   /* requests this socket keeps in flight */
	unsigned head, n;               /* ring of send times, oldest at head */
	uint64_t *sent_ns;
};

struct run {
	const struct options *o;
	struct sockaddr_storage addr;
	socklen_t addr_len;
	int epfd;
	char expected[LOADGEN_GREETING_MAX + 1];
	size_t expected_len;
	char *request;                  /* TCP: bytes sent first, if any; UDP: the datagram */
	size_t request_len;
	unsigned char proxy[LOADGEN_PROXY_MAX]; /* -P: the header but the source address */
	size_t proxy_len;               /* -P: 28 (IPv4) or 52 (IPv6); else 0 */
	size_t send_len;                /* TCP: bytes written first, header and request */
	uint64_t timeout_ns, start_ns, end_ns;
	struct stats st;
	struct conn *conns;
	unsigned *free_slots;           /* stack of free connection slots */
	size_t n_free;
	struct usock *usocks;
	size_t n_usocks;
	struct sockaddr_storage source;         /* -b: the first source address */
	socklen_t source_len;
	unsigned long n_sources, next_source;   /* -b: how many, and the next one's index */
	size_t next_usock;              /* -r, UDP: the socket the next start tries first */
	bool draining;                  /* SIGUSR1: no more starts; ends once none is in flight */
	uint64_t first_start_ns, last_start_ns;
	uint64_t late_max_ns;           /* -r: the latest a start came after its time */
	FILE *verdicts;                 /* -o */
	uint64_t wall_offset_ns;        /* CLOCK_REALTIME less CLOCK_MONOTONIC, for -o's times */
	char buf[LOADGEN_DATAGRAM_MAX + 1];
};

static volatile sig_atomic_t interrupted;       /* SIGINT or SIGTERM: report and exit */
static volatile sig_atomic_t drain;             /* SIGUSR1: start no more, finish the rest */

/* -o's names of the outcomes, in the enum's order. */
static const char *const outcome_names[] = {
	"ok", "error", "reset", "reset_full", "truncated", "timeout", "connect",
};

static void
on_signal(int sig)
{
	if (sig == SIGUSR1)
		drain = 1;
	else
		interrupted = 1;
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* How many starts the run may have made by now: the count; with -r, those the schedule has
 * come to (the k-th at k/RATE s from the run's start, late ones at once: a client that falls
 * behind catches up rather than quietly lowering the rate); none more once draining. */
static unsigned long long
starts_allowed(const struct run *r, uint64_t now)
{
	unsigned long long n;

	if (r->draining)
		return r->st.started;
	if (r->o->rate == 0)
		return r->o->count;
	n = (now - r->start_ns) * r->o->rate / 1000000000ULL + 1;
	return n < r->o->count ? n : r->o->count;
}

/* When the next start is due by the schedule (-r), in CLOCK_MONOTONIC nanoseconds. */
static uint64_t
next_start_ns(const struct run *r)
{
	return r->start_ns + r->st.started * 1000000000ULL / r->o->rate;
}

/* Counts a start made at now, and how late it came after its time (-r). */
static void
note_start(struct run *r, uint64_t now)
{
	if (r->o->rate > 0) {
		uint64_t due = next_start_ns(r);

		if (now > due && now - due > r->late_max_ns)
			r->late_max_ns = now - due;
	}
	if (r->st.started == 0)
		r->first_start_ns = now;
	r->last_start_ns = now;
	r->st.started++;
}

/* -o: one line for the connection or request started at start_ns, the wall-clock time of its
 * start (seconds, to the microsecond) and its verdict. */
static void
verdict(struct run *r, uint64_t start_ns, const char *what)
{
	uint64_t wall_us = (start_ns + r->wall_offset_ns) / 1000;

	if (r->verdicts)
		fprintf(r->verdicts, "%llu.%06llu %s\n", (unsigned long long)(wall_us / 1000000),
		    (unsigned long long)(wall_us % 1000000), what);
}

static void
record(struct run *r, enum outcome out, uint64_t start_ns)
{
	struct stats *st = &r->st;
	uint64_t us;

	verdict(r, start_ns, outcome_names[out]);
	st->done++;
	switch (out) {
	case OUTCOME_OK:
		st->ok++;
		us = (now_ns() - start_ns) / 1000;
		if (st->n_latency < r->o->count)
			st->latency_us[st->n_latency++] = us > UINT32_MAX ? UINT32_MAX :
			    (uint32_t)us;
		break;
	case OUTCOME_ERROR:
		st->errors++;
		break;
	case OUTCOME_RESET_FULL:
		st->reset_full++;
		st->resets++;
		break;
	case OUTCOME_RESET:
		st->resets++;
		break;
	case OUTCOME_TRUNCATED:
		st->truncated++;
		break;
	case OUTCOME_TIMEOUT:
		st->timeouts++;
		break;
	case OUTCOME_CONNECT:
		st->connect_errors++;
		break;
	}
}

static void
tcp_finish(struct run *r, struct conn *c, enum outcome out)
{
	/* An abortive close: no TIME_WAIT on the client side, so runs do not depend on order. */
	if (c->fd >= 0) {
		struct linger l = { .l_onoff = 1, .l_linger = 0 };

		(void)setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
		close(c->fd);
		c->fd = -1;
	}
	if (c->got > 0 && c->got < r->expected_len && out != OUTCOME_ERROR)
		r->st.partial++;
	record(r, out, c->start_ns);
	r->free_slots[r->n_free++] = (unsigned)(c - r->conns);
}

/* Whether got[0..n) is what the greeting holds from off on: with -m each '?' there stands for
 * any byte but a newline (a templated greeting's time), so only the length and the rest are
 * checked. */
static bool
matches(const struct run *r, size_t off, const char *got, size_t n)
{
	if (!r->o->mask)
		return memcmp(r->expected + off, got, n) == 0;
	for (size_t i = 0; i < n; i++) {
		char e = r->expected[off + i];

		if (e == LOADGEN_MASK_ANY ? got[i] == '\n' : e != got[i])
			return false;
	}
	return true;
}

/* Reads what arrived and checks it. Returns the connection's outcome once it has one, else -1. */
static int
tcp_read(struct run *r, struct conn *c)
{
	/* Every read but the last adds at least a byte, and at most expected_len are taken. */
	for (size_t i = 0; i <= r->expected_len + 1; i++) {
		ssize_t n = recv(c->fd, r->buf, r->expected_len + 1, 0);

		if (n > 0) {
			if (c->got + (size_t)n > r->expected_len ||
			    !matches(r, c->got, r->buf, (size_t)n))
				return OUTCOME_ERROR;
			c->got += (size_t)n;
		} else if (n == 0)
			return c->got == r->expected_len ? OUTCOME_OK : OUTCOME_TRUNCATED;
		else if (errno == EAGAIN || errno == EINTR)
			return -1;
		else if (errno == ECONNRESET || errno == EPIPE)
			return c->got == r->expected_len ? OUTCOME_RESET_FULL : OUTCOME_RESET;
		else
			return OUTCOME_CONNECT; /* ECONNREFUSED, ETIMEDOUT: never connected */
	}
	return -1;
}

/* The peer reset the connection while we wrote: what it sent first may still be readable. */
static int
tcp_reset(struct run *r, struct conn *c)
{
	if (tcp_read(r, c) == OUTCOME_ERROR)
		return OUTCOME_ERROR;
	return c->got == r->expected_len ? OUTCOME_RESET_FULL : OUTCOME_RESET;
}

/* Writes what is left of the request. Returns an outcome when the connection failed, else -1. */
static int
tcp_write(struct run *r, struct conn *c)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };

	/* Every pass but the last writes at least a byte. */
	for (size_t i = 0; i <= r->send_len && c->sent < r->send_len; i++) {
		struct iovec iov[2];
		struct msghdr m = { .msg_iov = iov };
		size_t off = c->sent > r->proxy_len ? c->sent - r->proxy_len : 0;
		ssize_t n;

		/* The header's rest, then the request's, in one call. */
		if (c->sent < r->proxy_len)
			iov[m.msg_iovlen++] = (struct iovec){ c->proxy + c->sent,
			    r->proxy_len - c->sent };
		if (off < r->request_len)
			iov[m.msg_iovlen++] = (struct iovec){ r->request + off,
			    r->request_len - off };
		n = sendmsg(c->fd, &m, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return -1;
			if (errno == ECONNRESET || errno == EPIPE)
				return tcp_reset(r, c);
			return OUTCOME_CONNECT;
		}
		c->sent += (size_t)n;
	}
	if (c->sent == r->send_len && epoll_ctl(r->epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0)
		return OUTCOME_CONNECT;
	return -1;
}

/* Binds fd to the next of the -b sources (IPv4 ones counted up from the first), if any. */
static int
bind_source(struct run *r, int fd)
{
	struct sockaddr_storage ss = r->source;
	unsigned long i;

	if (r->n_sources == 0)
		return 0;
	i = r->next_source++ % r->n_sources;
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;

		in->sin_addr.s_addr = htonl(ntohl(in->sin_addr.s_addr) + (uint32_t)i);
	}
	return bind(fd, (struct sockaddr *)&ss, r->source_len);
}

/* -P v2: the run's header with this connection's own address and port as the client's. */
static int
proxy_header(struct run *r, struct conn *c)
{
	/* Zeroed: the analyzer cannot tell that getsockname() sets the family. */
	struct sockaddr_storage ss = { 0 };
	socklen_t len = sizeof(ss);

	/* connect() has bound the socket, finished or in progress. */
	if (getsockname(c->fd, (struct sockaddr *)&ss, &len) < 0 || ss.ss_family !=
	    r->addr.ss_family)
		return -1;
	memcpy(c->proxy, r->proxy, r->proxy_len);
	if (ss.ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)&ss;

		memcpy(c->proxy + 16, &in->sin_addr, 4);
		memcpy(c->proxy + 24, &in->sin_port, 2);
	} else {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&ss;

		memcpy(c->proxy + 16, &in6->sin6_addr, 16);
		memcpy(c->proxy + 48, &in6->sin6_port, 2);
	}
	return 0;
}

static void
tcp_start(struct run *r, struct conn *c)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
	int one = 1;

	/* A client that sends first also waits for the connection to be writable. */
	if (r->send_len > 0)
		ev.events |= EPOLLOUT;
	c->start_ns = now_ns();
	note_start(r, c->start_ns);
	c->got = 0;
	c->sent = 0;
	c->fd = socket(r->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		goto fail;
	/* On a connecting socket TCP_DEFER_ACCEPT holds back the handshake's last ACK until
	 * there is data to carry it: the request is in the server's receive queue before the
	 * server can accept the connection, whatever the scheduler does. */
	if (r->send_len > 0 && setsockopt(c->fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &one,
	    sizeof(one)) < 0)
		goto fail;
	/* An idle client never reads: it hears only of a reset (always reported). */
	if (r->o->idle)
		ev.events = 0;
	if (bind_source(r, c->fd) < 0)
		goto fail;
	if (connect(c->fd, (struct sockaddr *)&r->addr, r->addr_len) < 0 && errno != EINPROGRESS)
		goto fail;
	if (r->proxy_len > 0 && proxy_header(r, c) < 0)
		goto fail;
	if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0)
		goto fail;
	/* Over loopback the handshake is usually over already: send at once. */
	if (r->send_len > 0) {
		int out = tcp_write(r, c);

		if (out >= 0)
			tcp_finish(r, c, (enum outcome)out);
	}
	return;
fail:
	tcp_finish(r, c, OUTCOME_CONNECT);
}

static void
tcp_event(struct run *r, struct conn *c)
{
	int out;

	if (r->o->idle) {
		tcp_finish(r, c, OUTCOME_RESET);        /* turned away */
		return;
	}
	out = tcp_read(r, c);

	if (out < 0 && c->sent < r->send_len)
		out = tcp_write(r, c);
	if (out >= 0)
		tcp_finish(r, c, (enum outcome)out);
}

static void
tcp_timeouts(struct run *r, uint64_t now)
{
	for (unsigned long i = 0; i < r->o->concurrency; i++) {
		struct conn *c = &r->conns[i];

		if (c->fd >= 0 && now - c->start_ns >= r->timeout_ns)
			tcp_finish(r, c, r->o->idle ? OUTCOME_OK : OUTCOME_TIMEOUT);
	}
}

static int
tcp_setup(struct run *r)
{
	unsigned long n = r->o->concurrency;

	r->conns = calloc(n, sizeof(*r->conns));
	r->free_slots = calloc(n, sizeof(*r->free_slots));
	if (!r->conns || !r->free_slots)
		return -ENOMEM;
	/* Popped from the end: slot 0 starts first. */
	for (unsigned long i = 0; i < n; i++) {
		r->conns[i].fd = -1;
		r->free_slots[i] = (unsigned)(n - 1 - i);
	}
	r->n_free = n;
	return 0;
}

static void
tcp_refill(struct run *r)
{
	/* A start that fails at once frees its slot again: bounded by the count. */
	while (r->n_free > 0 && r->st.started < starts_allowed(r, now_ns()))
		tcp_start(r, &r->conns[r->free_slots[--r->n_free]]);
}

static void
tcp_close_all(struct run *r)
{
	for (unsigned long i = 0; i < r->o->concurrency; i++)
		if (r->conns[i].fd >= 0) {
			struct linger l = { .l_onoff = 1, .l_linger = 0 };

			verdict(r, r->conns[i].start_ns, "unfinished");
			(void)setsockopt(r->conns[i].fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
			close(r->conns[i].fd);
			r->conns[i].fd = -1;
		}
}

static void
udp_pop(struct run *r, struct usock *u, enum outcome out)
{
	uint64_t start = u->sent_ns[u->head];

	u->head = (u->head + 1) % u->cap;
	u->n--;
	record(r, out, start);
}

/* Sends requests until the socket has its share in flight, the count is reached or the socket
 * buffer is full (then the next tick tries again). */
static void
udp_fill(struct run *r, struct usock *u)
{
	while (u->n < u->cap && r->st.started < starts_allowed(r, now_ns())) {
		ssize_t n = send(u->fd, r->request, r->request_len, MSG_NOSIGNAL);
		uint64_t now;

		if (n < 0 && (errno == EAGAIN || errno == ENOBUFS || errno == EINTR))
			return;
		now = now_ns();
		note_start(r, now);
		if (n < 0) {
			/* ECONNREFUSED from an earlier ICMP error, or worse: this one is lost. */
			record(r, OUTCOME_CONNECT, now);
			continue;
		}
		u->sent_ns[(u->head + u->n) % u->cap] = now;
		u->n++;
	}
}

/* -r: the starts that are due, on the sockets in turn. */
static void
udp_refill(struct run *r)
{
	for (size_t i = 0; i < r->n_usocks && r->st.started < starts_allowed(r, now_ns()); i++) {
		udp_fill(r, &r->usocks[r->next_usock]);
		r->next_usock = (r->next_usock + 1) % r->n_usocks;
	}
}

/* -o: the requests still unanswered when the run ends. */
static void
udp_close_all(struct run *r)
{
	for (size_t i = 0; i < r->n_usocks; i++) {
		struct usock *u = &r->usocks[i];

		for (unsigned k = 0; k < u->n; k++)
			verdict(r, u->sent_ns[(u->head + k) % u->cap], "unfinished");
	}
}

static void
udp_event(struct run *r, struct usock *u)
{
	/* Bounded per wakeup; epoll is level-triggered and comes back for the rest. */
	for (unsigned i = 0; i < u->cap + 16; i++) {
		ssize_t n = recv(u->fd, r->buf, sizeof(r->buf), MSG_TRUNC);

		if (n < 0 && (errno == EAGAIN || errno == EINTR || u->n == 0))
			break;
		if (u->n == 0) {
			r->st.stray++;          /* a late answer to a request that timed out */
			continue;
		}
		if (n < 0)
			udp_pop(r, u, OUTCOME_CONNECT);
		else if ((size_t)n == r->expected_len &&
		    matches(r, 0, r->buf, (size_t)n))
			udp_pop(r, u, OUTCOME_OK);
		else
			udp_pop(r, u, OUTCOME_ERROR);
	}
	udp_fill(r, u);
}

static void
udp_timeouts(struct run *r, uint64_t now)
{
	for (size_t i = 0; i < r->n_usocks; i++) {
		struct usock *u = &r->usocks[i];

		while (u->n > 0 && now - u->sent_ns[u->head] >= r->timeout_ns)
			udp_pop(r, u, OUTCOME_TIMEOUT);
		udp_fill(r, u);
	}
}

static int
udp_setup(struct run *r)
{
	unsigned long w = r->o->in_flight;
	unsigned long s = r->o->sockets ? r->o->sockets : w;

	r->usocks = calloc(s, sizeof(*r->usocks));
	if (!r->usocks)
		return -ENOMEM;
	r->n_usocks = s;
	for (unsigned long i = 0; i < s; i++) {
		struct usock *u = &r->usocks[i];
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = u };

		u->cap = (unsigned)(w / s + (i < w % s ? 1 : 0));
		u->sent_ns = calloc(u->cap, sizeof(*u->sent_ns));
		if (!u->sent_ns)
			return -ENOMEM;
		u->fd = socket(r->addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (u->fd < 0 || bind_source(r, u->fd) < 0)
			return -errno;
		if (connect(u->fd, (struct sockaddr *)&r->addr, r->addr_len) < 0)
			return -errno;
		if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, u->fd, &ev) < 0)
			return -errno;
	}
	return 0;
}

/* Whether the run is over: every operation done, or draining and none left in flight. */
static bool
finished(const struct run *r)
{
	return r->st.done >= r->o->count || (r->draining && r->st.done >= r->st.started);
}

/* How long the loop may wait now: until the next tick or the run's end, and with -r until the
 * next start is due, when there is room in flight for it. */
static uint64_t
wait_ns(const struct run *r, uint64_t now)
{
	uint64_t left = now < r->end_ns ? r->end_ns - now : 0;
	unsigned long cap = r->o->udp ? r->o->in_flight : r->o->concurrency;

	if (left > LOADGEN_TICK_NS)
		left = LOADGEN_TICK_NS;
	if (r->o->rate > 0 && !r->draining && r->st.started < r->o->count &&
	    r->st.started - r->st.done < cap) {
		uint64_t due = next_start_ns(r);

		if (due <= now)
			return 0;
		if (due - now < left)
			left = due - now;
	}
	return left;
}

static void
run_loop(struct run *r)
{
	struct epoll_event events[LOADGEN_EVENTS];
	struct timespec wall;
	uint64_t next_tick, now;

	r->start_ns = now_ns();
	clock_gettime(CLOCK_REALTIME, &wall);
	r->wall_offset_ns = (uint64_t)wall.tv_sec * 1000000000ULL + (uint64_t)wall.tv_nsec -
	    r->start_ns;
	r->end_ns = r->start_ns + r->o->seconds * 1000000000ULL;
	next_tick = r->start_ns + LOADGEN_TICK_NS;
	if (r->o->udp && r->o->rate == 0)
		for (size_t i = 0; i < r->n_usocks; i++)
			udp_fill(r, &r->usocks[i]);
	/* Bounded in time by end_ns, and in work by the count. */
	for (now = r->start_ns; !finished(r) && now < r->end_ns && !interrupted; now = now_ns()) {
		uint64_t left;
		int n;

		if (drain)
			r->draining = true;
		/* Without -r, UDP sockets refill themselves after each answer and at each tick. */
		if (!r->o->udp)
			tcp_refill(r);
		else if (r->o->rate > 0)
			udp_refill(r);
		if (finished(r))
			break;
		left = wait_ns(r, now_ns());
		n = epoll_wait(r->epfd, events, LOADGEN_EVENTS, (int)((left + 999999) / 1000000));
		for (int i = 0; i < n; i++) {
			if (r->o->udp)
				udp_event(r, events[i].data.ptr);
			else
				tcp_event(r, events[i].data.ptr);
		}
		now = now_ns();
		if (now >= next_tick) {
			next_tick = now + LOADGEN_TICK_NS;
			if (r->o->udp)
				udp_timeouts(r, now);
			else
				tcp_timeouts(r, now);
		}
	}
	r->end_ns = now_ns();
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The nearest-rank percentile q (0-100) of the sorted latencies; 0 when there are none. */
static uint32_t
percentile(const struct stats *st, unsigned q)
{
	size_t rank;

	if (st->n_latency == 0)
		return 0;
	rank = (st->n_latency * q + 99) / 100;
	return st->latency_us[rank > 0 ? rank - 1 : 0];
}

static void
report(struct run *r)
{
	struct stats *st = &r->st;
	double elapsed = (double)(r->end_ns - r->start_ns) / 1e9;

	qsort(st->latency_us, st->n_latency, sizeof(*st->latency_us), cmp_u32);
	printf("{\"mode\":\"%s\",\"count\":%lu,\"in_flight\":%lu,\"started\":%llu,\"done\":%llu,"
	    "\"ok\":%llu,\"errors\":%llu,\"resets\":%llu,\"reset_full\":%llu,\"truncated\":%llu,"
	    "\"timeouts\":%llu,\"connect_errors\":%llu,\"stray\":%llu,\"unfinished\":%llu,"
	    "\"partial\":%llu,"
	    "\"elapsed_s\":%.6f,\"rate\":%.1f,\"p50_us\":%u,\"p99_us\":%u,\"max_us\":%u",
	    r->o->udp ? "udp" : "tcp", r->o->count, r->o->udp ? r->o->in_flight : r->o->concurrency,
	    st->started, st->done, st->ok, st->errors, st->resets, st->reset_full, st->truncated,
	    st->timeouts, st->connect_errors, st->stray, st->started - st->done, st->partial,
	    elapsed,
	    elapsed > 0 ? (double)st->ok / elapsed : 0.0, percentile(st, 50), percentile(st, 99),
	    percentile(st, 100));
}

/* -r: the schedule's rate, the rate the starts held from the first to the last, and how late
 * the latest start came, added to the JSON line (whose other fields stay as without -r). */
static void
report_rate(const struct run *r)
{
	const struct stats *st = &r->st;
	double span = (double)(r->last_start_ns - r->first_start_ns) / 1e9;

	printf(",\"rate_target\":%lu,\"rate_held\":%.1f,\"late_max_us\":%llu", r->o->rate,
	    st->started > 1 && span > 0 ? (double)(st->started - 1) / span : 0.0,
	    (unsigned long long)(r->late_max_ns / 1000));
}

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: loadgen [-u] [-H host] [-p port] [-n count] [-d seconds] [-t ms]\n"
	    "               [-e greeting [-m]] [-c connections] [-s http|bytes] [-P v2] (TCP)\n"
	    "               [-w in-flight] [-S sockets] [-l request-bytes] (UDP, with -u)\n"
	    "               [-r rate] [-o verdicts-file]\n"
	    "  -H host     numeric IPv4 or IPv6 address (127.0.0.1)\n"
	    "  -p port     (12345)\n"
	    "  -n count    connections or requests in all (10000; at most %lu)\n"
	    "  -d seconds  the run stops after this long, done or not (60)\n"
	    "  -t ms       a connection or request unanswered this long is a timeout (2000)\n"
	    "  -e text     the greeting expected, without its newline (%s)\n"
	    "  -m          -e is a mask: each '?' in it matches any one byte but a newline\n"
	    "              (for a templated greeting's time), the other bytes and the length\n"
	    "              as they are\n"
	    "  -c n        TCP connections in flight (16)\n"
	    "  -s what     TCP: send first (the handshake's last ACK waits for it), then read:\n"
	    "              \"http\" (an HTTP/1.0 request) or n bytes\n"
	    "  -u          UDP instead of TCP\n"
	    "  -w n        UDP requests in flight (64)\n"
	    "  -S n        connected UDP sockets they are spread over (one per request)\n"
	    "  -l n        UDP request bytes (64)\n"
	    "  -b addr[+n] bind each socket to this source address; with +n to one of n IPv4\n"
	    "              addresses counted up from it, in turn\n"
	    "  -P v2       TCP: each connection first sends a PROXY v2 header (PROXY, TCP over\n"
	    "              its family) naming the connection's own address and port as the\n"
	    "              client's, before -s's bytes; the handshake's last ACK waits for it\n"
	    "  -i          TCP: idle clients that never read, each holding its connection for\n"
	    "              -t ms (then ok) unless the server resets it first (a reset)\n"
	    "  -r n        start n connections or requests per second on a schedule (the k-th\n"
	    "              at k/n s; a late one at once, catching up), within -n, -d and the\n"
	    "              in-flight cap (-c, -w); without it, as many as the cap allows\n"
	    "  -o file     one line per connection or request: the wall-clock time of its start\n"
	    "              (s.us) and its verdict: ok, error (other bytes), reset (before the\n"
	    "              whole greeting), reset_full (after it, instead of EOF), truncated\n"
	    "              (EOF before the whole greeting), timeout (-t), connect (refused, or\n"
	    "              socket/connect/send failed), unfinished (in flight when the run ended)\n"
	    "Prints one JSON line: done, ok, errors, resets, truncated, timeouts, connect_errors,\n"
	    "partial (TCP connections that ended with part of the greeting), elapsed_s, rate\n"
	    "(greetings/s), p50_us and p99_us (from connect or send to EOF or reply); with -r\n"
	    "also rate_target, rate_held (starts/s from the first to the last start) and\n"
	    "late_max_us (the latest a start came after its time).\n"
	    "SIGINT or SIGTERM ends the run early, the line printed. SIGUSR1 starts no more and\n"
	    "ends the run once those in flight have their verdict (within -t).\n",
	    LOADGEN_COUNT_MAX, LOADGEN_GREETING_DEFAULT);
}

static int
parse_number(const char *arg, int opt, unsigned long min, unsigned long max, unsigned long *ret)
{
	int r = parse_uint(arg, min, max, ret);

	if (r < 0)
		fprintf(stderr, "loadgen: -%c %s: expected a number in %lu-%lu\n", opt, arg, min,
		    max);
	return r;
}

static int
parse_options(int argc, char **argv, struct options *o)
{
	int opt, r = 0;

	while ((opt = getopt(argc, argv, "H:p:c:n:d:uw:S:s:l:e:mt:b:iP:r:o:h")) != -1) {
		switch (opt) {
		case 'H':
			o->host = optarg;
			break;
		case 'p':
			o->port = optarg;
			break;
		case 'u':
			o->udp = true;
			break;
		case 's':
			o->send_first = optarg;
			break;
		case 'e':
			o->greeting = optarg;
			break;
		case 'm':
			o->mask = true;
			break;
		case 'b':
			o->bind = optarg;
			break;
		case 'i':
			o->idle = true;
			break;
		case 'o':
			o->verdicts = optarg;
			break;
		case 'r':
			r = parse_number(optarg, opt, 1, LOADGEN_RATE_MAX, &o->rate);
			break;
		case 'P':
			if (strcmp(optarg, "v2") != 0) {
				fprintf(stderr, "loadgen: -P %s: only v2 is known\n", optarg);
				return -EINVAL;
			}
			o->proxy = true;
			break;
		case 'c':
			r = parse_number(optarg, opt, 1, LOADGEN_INFLIGHT_MAX, &o->concurrency);
			break;
		case 'n':
			r = parse_number(optarg, opt, 1, LOADGEN_COUNT_MAX, &o->count);
			break;
		case 'd':
			r = parse_number(optarg, opt, 1, LOADGEN_SECONDS_MAX, &o->seconds);
			break;
		case 'w':
			r = parse_number(optarg, opt, 1, LOADGEN_INFLIGHT_MAX, &o->in_flight);
			break;
		case 'S':
			r = parse_number(optarg, opt, 1, LOADGEN_INFLIGHT_MAX, &o->sockets);
			break;
		case 'l':
			r = parse_number(optarg, opt, 0, LOADGEN_DATAGRAM_MAX, &o->request_len);
			break;
		case 't':
			r = parse_number(optarg, opt, 1, LOADGEN_TIMEOUT_MS_MAX, &o->timeout_ms);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			return -EINVAL;
		}
		if (r < 0)
			return r;
	}
	if (optind != argc) {
		fprintf(stderr, "loadgen: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (o->udp && (o->send_first || o->proxy)) {
		fprintf(stderr, "loadgen: -s and -P are for TCP; UDP requests are -l bytes long\n");
		return -EINVAL;
	}
	if (o->sockets > o->in_flight || (o->sockets > 0 &&
	    (o->in_flight + o->sockets - 1) / o->sockets > LOADGEN_PER_SOCKET_MAX)) {
		fprintf(stderr, "loadgen: -S: at most -w sockets, at most %lu requests on each\n",
		    LOADGEN_PER_SOCKET_MAX);
		return -EINVAL;
	}
	if (strlen(o->greeting) + 1 > LOADGEN_GREETING_MAX) {
		fprintf(stderr, "loadgen: -e: at most %lu bytes\n", LOADGEN_GREETING_MAX - 1);
		return -EINVAL;
	}
	return 0;
}

/* The request: -s for TCP (none by default), -l bytes for UDP. Returns 0 or -errno. */
static int
make_request(struct run *r)
{
	const struct options *o = r->o;
	unsigned long n = 0;

	if (o->udp)
		n = o->request_len;
	else if (o->send_first && strcmp(o->send_first, "http") == 0) {
		r->request = strdup(LOADGEN_HTTP_REQUEST);
		r->request_len = strlen(LOADGEN_HTTP_REQUEST);
		return r->request ? 0 : -ENOMEM;
	} else if (o->send_first && parse_number(o->send_first, 's', 1, LOADGEN_SEND_MAX, &n) < 0)
		return -EINVAL;
	r->request = malloc(n + 1);
	if (!r->request)
		return -ENOMEM;
	memset(r->request, 'x', n);
	r->request_len = n;
	return 0;
}

/* -P v2: the header every connection sends, PROXY over TCP from its own address (filled in
 * per connection) to the server's. */
static void
make_proxy(struct run *r)
{
	unsigned char *p = r->proxy;

	memcpy(p, LOADGEN_PROXY_SIG, 12);
	p[12] = 0x21;           /* version 2, PROXY */
	if (r->addr.ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)&r->addr;

		p[13] = 0x11;   /* AF_INET, STREAM */
		p[14] = 0;
		p[15] = 12;
		memcpy(p + 20, &in->sin_addr, 4);
		memcpy(p + 26, &in->sin_port, 2);
		r->proxy_len = 16 + 12;
	} else {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&r->addr;

		p[13] = 0x21;   /* AF_INET6, STREAM */
		p[14] = 0;
		p[15] = 36;
		memcpy(p + 32, &in6->sin6_addr, 16);
		memcpy(p + 50, &in6->sin6_port, 2);
		r->proxy_len = 16 + 36;
	}
}

/* -b addr[+n]: n source addresses from addr on, IPv4 only when n > 1. */
static int
resolve_source(struct run *r)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST };
	struct addrinfo *ai;
	char host[64];
	const char *plus = strchr(r->o->bind, '+');
	size_t n = plus ? (size_t)(plus - r->o->bind) : strlen(r->o->bind);

	r->n_sources = 1;
	if (n >= sizeof(host) || (plus && parse_number(plus + 1, 'b', 1, 1UL << 24,
	    &r->n_sources) < 0))
		return -EINVAL;
	memcpy(host, r->o->bind, n);
	host[n] = '\0';
	if (getaddrinfo(host, "0", &hints, &ai) != 0)
		ai = NULL;
	if (!ai || ai->ai_family != r->addr.ss_family ||
	    (r->n_sources > 1 && ai->ai_family != AF_INET)) {
		fprintf(stderr, "loadgen: -b %s: expected an address of the server's family\n",
		    r->o->bind);
		if (ai)
			freeaddrinfo(ai);
		return -EINVAL;
	}
	memcpy(&r->source, ai->ai_addr, ai->ai_addrlen);
	r->source_len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

static int
resolve(struct run *r)
{
	struct addrinfo hints = {
		.ai_socktype = r->o->udp ? SOCK_DGRAM : SOCK_STREAM,
		.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
	};
	struct addrinfo *ai;
	int e;

	e = getaddrinfo(r->o->host, r->o->port, &hints, &ai);
	if (e != 0) {
		fprintf(stderr, "loadgen: %s port %s: %s\n", r->o->host, r->o->port,
		    gai_strerror(e));
		return -EINVAL;
	}
	memcpy(&r->addr, ai->ai_addr, ai->ai_addrlen);
	r->addr_len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return r->o->bind ? resolve_source(r) : 0;
}

/* As many descriptors as the hard limit allows: every connection in flight needs one. */
static void
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int
main(int argc, char **argv)
{
	static struct run run;
	struct options o = {
		.host = "127.0.0.1", .port = "12345", .concurrency = 16, .count = 10000,
		.seconds = 60, .in_flight = 64, .timeout_ms = 2000, .request_len = 64,
		.greeting = LOADGEN_GREETING_DEFAULT,
	};
	struct run *r = &run;
	int e;

	if (parse_options(argc, argv, &o) < 0) {
		usage(stderr);
		return EX_USAGE;
	}
	r->o = &o;
	r->timeout_ns = o.timeout_ms * 1000000ULL;
	r->expected_len = (size_t)snprintf(r->expected, sizeof(r->expected), "%s\n", o.greeting);
	if (resolve(r) < 0 || make_request(r) < 0)
		return EX_USAGE;
	if (o.proxy)
		make_proxy(r);
	r->send_len = o.udp ? 0 : r->proxy_len + r->request_len;
	raise_nofile();
	r->st.latency_us = calloc(o.count, sizeof(*r->st.latency_us));
	r->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (!r->st.latency_us || r->epfd < 0) {
		perror("loadgen: setup");
		return EX_OSERR;
	}
	e = o.udp ? udp_setup(r) : tcp_setup(r);
	if (e < 0) {
		fprintf(stderr, "loadgen: setup: %s\n", strerror(-e));
		return EX_OSERR;
	}
	if (o.verdicts) {
		r->verdicts = fopen(o.verdicts, "we");
		if (!r->verdicts) {
			fprintf(stderr, "loadgen: -o %s: %s\n", o.verdicts, strerror(errno));
			return EX_OSERR;
		}
	}
	sigaction(SIGINT, &(struct sigaction){ .sa_handler = on_signal }, NULL);
	sigaction(SIGTERM, &(struct sigaction){ .sa_handler = on_signal }, NULL);
	sigaction(SIGUSR1, &(struct sigaction){ .sa_handler = on_signal }, NULL);
	run_loop(r);
	if (!o.udp)
		tcp_close_all(r);
	else
		udp_close_all(r);
	report(r);
	if (o.rate > 0)
		report_rate(r);
	printf("}\n");
	if (r->verdicts && fclose(r->verdicts) != 0) {
		fprintf(stderr, "loadgen: -o %s: %s\n", o.verdicts, strerror(errno));
		return EX_OSERR;
	}
	return 0;
}
