/* SPDX-License-Identifier: BSD-2-Clause */
/* One probe of a greeting server: resolve, connect, read the reply, all under one deadline. */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "probe.h"

static uint64_t
now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static struct timespec
timespec_until(uint64_t until)
{
	uint64_t now = now_usec(), left = until > now ? until - now : 0;

	return (struct timespec){ .tv_sec = (time_t)(left / 1000000),
		.tv_nsec = (long)(left % 1000000) * 1000 };
}

/* Waits for events on fd until the monotonic time until. Returns 1 when ready, 0 at the
 * deadline, or a negative errno. */
static int
wait_fd(int fd, short events, uint64_t until)
{
	/* ppoll() fails only on bad arguments, out of kernel memory, or with EINTR once a signal
	 * handler ran, and hellod-check has none (a stop and continue restarts it): the loop and
	 * the check stay, no test reaches them. */
	for (;;) {                              /* GCOVR_EXCL_LINE: never loops (above) */
		struct pollfd p = { .fd = fd, .events = events };
		struct timespec ts = timespec_until(until);
		int r = ppoll(&p, 1, &ts, NULL);

		if (r >= 0)                     /* GCOVR_EXCL_BR_LINE: never fails (above) */
			return r;
		if (errno != EINTR)             /* GCOVR_EXCL_LINE: never fails (above) */
			return -errno;          /* GCOVR_EXCL_LINE: never fails (above) */
	}
}

/* Errors that are this machine's, not the address's: the probe cannot go on. */
static bool
local_error(int error)
{
	return error == EMFILE || error == ENFILE || error == ENOMEM || error == ENOBUFS;
}

/* Resolves a name with getaddrinfo_a(), so that a slow resolver cannot outlast the deadline.
 * Address literals never get here. */
static int
resolve_name(const char *host, const struct addrinfo *hints, const char *port,
    uint64_t deadline, struct addrinfo **ret)
{
	/* Static: a lookup given up on at the deadline goes on in glibc's thread, which still
	 * reads these until it ends; the process exits before that matters. */
	static char name[NI_MAXHOST], service[8];
	static struct addrinfo ahints;
	static struct gaicb cb;
	struct gaicb *list[] = { &cb };
	int r;

	snprintf(name, sizeof(name), "%s", host);
	snprintf(service, sizeof(service), "%s", port);
	ahints = *hints;
	cb = (struct gaicb){ .ar_name = name, .ar_service = service, .ar_request = &ahints };
	r = getaddrinfo_a(GAI_NOWAIT, list, 1, NULL);
	if (r != 0)
		return r;
	while ((r = gai_error(&cb)) == EAI_INPROGRESS) {
		struct timespec ts = timespec_until(deadline);

		if (ts.tv_sec == 0 && ts.tv_nsec == 0) {
			gai_cancel(&cb);
			return EAI_AGAIN;
		}
		(void)gai_suspend((const struct gaicb *const *)list, 1, &ts);
	}
	if (r == 0)
		*ret = cb.ar_result;
	return r;
}

static int
resolve(const struct probe_request *req, uint64_t deadline, struct probe_result *res,
    struct addrinfo **ret)
{
	struct addrinfo hints = {
		.ai_family = req->family,
		.ai_socktype = req->udp ? SOCK_DGRAM : SOCK_STREAM,
		.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
	};
	char port[8];
	int r;

	snprintf(port, sizeof(port), "%u", (unsigned)req->port);
	/* Address literals, the usual case, need neither a thread nor the resolver. */
	r = getaddrinfo(req->host, port, &hints, ret);
	if (r == EAI_NONAME) {
		hints.ai_flags = AI_NUMERICSERV;
		r = resolve_name(req->host, &hints, port, deadline, ret);
	}
	if (r == 0)
		return 0;
	res->stage = PROBE_RESOLVE;
	res->gai_error = r;
	res->error = r == EAI_AGAIN && now_usec() >= deadline ? ETIMEDOUT : 0;
	if (r == EAI_SYSTEM)
		res->error = errno;
	if (r == EAI_MEMORY)
		return -ENOMEM;
	return 0;
}

/* Starts a connection to ai and waits for it until until. Returns the connected socket, or a
 * negative errno: ETIMEDOUT at the deadline, or what the address answered. */
static int
tcp_connect(const struct addrinfo *ai, uint64_t until)
{
	int fd, r, error = 0;
	socklen_t len = sizeof(error);

	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS)
		error = errno;
	else if ((r = wait_fd(fd, POLLOUT, until)) <= 0)
		error = r == 0 ? ETIMEDOUT : -r;
	else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) < 0)
		error = errno;
	if (error != 0) {
		close(fd);
		return -error;
	}
	return fd;
}

/* Sends the PROXY header v first, whole and without blocking past deadline: in one send()
 * on a fresh connection, whose send buffer holds many times the header's 107 bytes at most.
 * Should the kernel take only part, the rest follows: a receiver must take a header in
 * pieces (HAProxy 2.6 does not, but then it rejects rather than misreads). Returns 0 or a
 * negative errno (-ETIMEDOUT at the deadline). */
static int
tcp_send_header(int fd, enum proxy_version v, uint64_t deadline)
{
	struct sockaddr_storage src = { 0 }, dst = { 0 };
	socklen_t src_len = sizeof(src), dst_len = sizeof(dst);
	char header[HELLOD_CHECK_PROXY_MAX + 1];
	size_t sent = 0;
	int n;

	/* v1 names the connection's own ends, as the spec asks of a balancer's health check. */
	/* Neither fails on a connected TCP socket, and the header of its IPv4 or IPv6 ends
	 * always fits: the checks stay, no test reaches them. */
	if (v == PROXY_V1 && (getsockname(fd, (struct sockaddr *)&src, &src_len) < 0 || /* GCOVR_EXCL_BR_LINE */
	    getpeername(fd, (struct sockaddr *)&dst, &dst_len) < 0))   /* GCOVR_EXCL_BR_LINE */
		return -errno;                  /* GCOVR_EXCL_LINE: connected (above) */
	n = proxy_header_build(v, (const struct sockaddr *)&src, (const struct sockaddr *)&dst,
	    header, sizeof(header));
	if (n < 0)                              /* GCOVR_EXCL_BR_LINE: fits (above) */
		return n;                       /* GCOVR_EXCL_LINE: fits (above) */
	while (sent < (size_t)n) {
		ssize_t k = send(fd, header + sent, (size_t)n - sent, MSG_NOSIGNAL);
		int r;

		if (k >= 0) {
			sent += (size_t)k;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;
		r = wait_fd(fd, POLLOUT, deadline);
		if (r <= 0)
			return r == 0 ? -ETIMEDOUT : r;
	}
	return 0;
}

/* Reads the reply to EOF, keeping what fits and discarding the rest: a reply is whole only
 * once the server closes. Returns 0 or a negative errno (-ETIMEDOUT at the deadline). */
static int
tcp_read(int fd, uint64_t deadline, struct probe_result *res)
{
	int error = 0;

	for (;;) {
		char scratch[HELLOD_CHECK_REPLY_MAX], *buf = scratch;
		size_t size = sizeof(scratch);
		ssize_t n;
		int r;

		if (res->reply_len < sizeof(res->reply)) {
			buf = res->reply + res->reply_len;
			size = sizeof(res->reply) - res->reply_len;
		}
		r = wait_fd(fd, POLLIN, deadline);
		if (r <= 0) {
			error = r == 0 ? -ETIMEDOUT : r;
			break;
		}
		n = recv(fd, buf, size, 0);
		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			error = -errno;
			break;
		}
		if (buf != scratch)
			res->reply_len += (size_t)n;
		else
			res->truncated = true;
	}
	/* The byte over the limit tells a cut reply. */
	if (res->reply_len > HELLOD_CHECK_REPLY_MAX) {
		res->reply_len = HELLOD_CHECK_REPLY_MAX;
		res->truncated = true;
	}
	return error;
}

/* Sends the UDP probe. Returns 0 or a negative errno. */
static int
udp_send(int fd)
{
	static const char text[] = "hellod-check probe\n";
	char probe[HELLOD_CHECK_UDP_PROBE_LEN];

	/* As long as the longest greeting line, so that a daemon that never answers more than it
	 * was sent (hellod.conf(5), udp) still answers in full. */
	memset(probe, ' ', sizeof(probe));
	memcpy(probe, text, sizeof(text) - 1);
	probe[sizeof(probe) - 1] = '\n';
	return send(fd, probe, sizeof(probe), MSG_NOSIGNAL) < 0 ? -errno : 0;
}

/* Probes one address over UDP until until: sends, then again each second of silence.
 * Returns 0 with the reply in res, or a negative errno: -ETIMEDOUT, -ECONNREFUSED (ICMP)... */
static int
udp_exchange(const struct addrinfo *ai, uint64_t until, struct probe_result *res)
{
	uint64_t resend = 0;
	int fd, error = 0;

	fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* Connected, so that only the server's replies come in and an ICMP refusal shows. */
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0)
		error = -errno;
	while (error == 0) {
		uint64_t now = now_usec();
		ssize_t n;
		int r;

		if (now >= until) {
			error = -ETIMEDOUT;
			break;
		}
		if (now >= resend) {
			if ((error = udp_send(fd)) < 0)
				break;
			resend = now + HELLOD_CHECK_UDP_RETRY_USEC;
		}
		r = wait_fd(fd, POLLIN, resend < until ? resend : until);
		if (r < 0) {                    /* GCOVR_EXCL_BR_LINE: wait_fd() never fails */
			error = r;              /* GCOVR_EXCL_LINE: wait_fd() never fails */
			break;                  /* GCOVR_EXCL_LINE: wait_fd() never fails */
		}
		if (r == 0)
			continue;
		n = recv(fd, res->reply, sizeof(res->reply), MSG_TRUNC);
		if (n >= 0) {
			res->truncated = (size_t)n > HELLOD_CHECK_REPLY_MAX;
			res->reply_len = res->truncated ? HELLOD_CHECK_REPLY_MAX : (size_t)n;
			break;
		}
		if (errno != EINTR && errno != EAGAIN)
			error = -errno;
	}
	close(fd);
	return error;
}

static void
note_address(const struct addrinfo *ai, struct probe_result *res)
{
	/* A numeric name of getaddrinfo()'s own address into a buffer of NI_MAXHOST cannot fail. */
	if (getnameinfo(ai->ai_addr, ai->ai_addrlen, res->address, sizeof(res->address), NULL, 0,
	    NI_NUMERICHOST) != 0)               /* GCOVR_EXCL_BR_LINE: cannot fail (above) */
		snprintf(res->address, sizeof(res->address), "?");     /* GCOVR_EXCL_LINE */
	res->tried++;
}

/* TCP, one address. Returns 1 when it took the connection (its verdict is in res), 0 to go
 * on to the next address, or a negative errno when the probe cannot go on. */
/* Whether trust, the daemon's config, reads a PROXY header from fd's local address. */
static bool
trusted_source(int fd, const struct hellod_config *trust)
{
	struct sockaddr_storage me;
	socklen_t len = sizeof(me);
	struct addr_prefix src;

	return getsockname(fd, (struct sockaddr *)&me, &len) == 0 &&
	    addr_source((const struct sockaddr *)&me, len, &src) && config_trusts(trust, &src);
}

static int
tcp_address(const struct addrinfo *ai, enum proxy_version proxy,
    const struct hellod_config *trust, uint64_t until, uint64_t deadline,
    struct probe_result *res)
{
	int fd = tcp_connect(ai, until);

	if (fd < 0 && local_error(-fd))
		return fd;
	/* A reset, not a refusal: the server took the connection, then dropped it before we
	 * saw it complete. It has given its verdict. */
	if (fd == -ECONNRESET) {
		res->stage = PROBE_READ;
		res->error = ECONNRESET;
		return 1;
	}
	if (fd < 0) {
		res->error = -fd;
		return 0;
	}
	if (proxy == PROXY_NONE && trust && trusted_source(fd, trust))
		proxy = PROXY_V2;
	if (proxy != PROXY_NONE) {
		res->stage = PROBE_SEND;
		res->error = -tcp_send_header(fd, proxy, deadline);
		if (res->error != 0) {
			close(fd);
			return local_error(res->error) ? -res->error : 1;
		}
		res->proxy_sent = proxy;
	}
	res->stage = PROBE_READ;
	res->error = -tcp_read(fd, deadline, res);
	if (res->error == 0)
		res->stage = PROBE_DONE;
	close(fd);
	return 1;
}

/* UDP, one address: as tcp_address(); silence and refusals go on to the next address. */
static int
udp_address(const struct addrinfo *ai, uint64_t until, struct probe_result *res)
{
	res->error = -udp_exchange(ai, until, res);
	if (local_error(res->error))
		return -res->error;
	if (res->error != 0)
		return 0;
	res->stage = PROBE_DONE;
	return 1;
}

static int
probe_addresses(const struct probe_request *req, const struct addrinfo *list,
    uint64_t deadline, struct probe_result *res)
{
	unsigned left = 0;

	for (const struct addrinfo *ai = list; ai; ai = ai->ai_next)
		left++;
	for (const struct addrinfo *ai = list; ai; ai = ai->ai_next, left--) {
		/* Each address gets its share of the time left, so that one that drops packets
		 * does not use up the deadline of those after it. */
		uint64_t now = now_usec(), until = now + (deadline > now ? deadline - now : 0) / left;
		int r;

		note_address(ai, res);
		r = req->udp ? udp_address(ai, until, res) :
		    tcp_address(ai, req->proxy, req->trust, until, deadline, res);
		if (r != 0)
			return r < 0 ? r : 0;
	}
	return 0;
}

int
probe_run(const struct probe_request *req, struct probe_result *res)
{
	uint64_t start = now_usec(), deadline = start + req->timeout_usec;
	struct addrinfo *list = NULL;
	int r;

	memset(res, 0, sizeof(*res));
	res->stage = PROBE_CONNECT;
	r = resolve(req, deadline, res, &list);
	if (r == 0 && res->stage != PROBE_RESOLVE)
		r = probe_addresses(req, list, deadline, res);
	res->usec = now_usec() - start;
	if (list)
		freeaddrinfo(list);
	return r;
}
