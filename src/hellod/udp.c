/* SPDX-License-Identifier: BSD-2-Clause */
/* UDP: every datagram gets the greeting back, in batches, from the address it was sent to,
 * unless that would make hellod a weapon (amplification, loops, floods). */
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "log.h"
#include "timer.h"
#include "udp.h"

/* A request's control data: its destination (IP_PKTINFO or IPV6_PKTINFO), and room for what
 * else a socket systemd passed may have been told to add (SO_TIMESTAMP, say). */
union udp_control {
	char buf[HELLOD_UDP_CONTROL_LEN];
	struct cmsghdr align;
};

/* A reply's control data: its source address, the request's destination. */
union udp_source {
	char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	struct cmsghdr align;
};

/* What one batch needs, made once per worker (udp_setup): no allocation per datagram, and
 * the requests' headers set up once, then only what the kernel wrote to reset (issue 28). */
struct udp_batch {
	int with_control;       /* the headers are set up with control data (1), without (0),
	                         * or not at all (-1) */
	unsigned written;       /* headers the last recvmmsg() may have written to */
	struct sockaddr_storage peers[HELLOD_UDP_BATCH];
	union udp_control control[HELLOD_UDP_BATCH];
	union udp_source sources[HELLOD_UDP_BATCH];
	struct mmsghdr in[HELLOD_UDP_BATCH], out[HELLOD_UDP_BATCH];
	struct iovec empty;     /* the requests' one buffer, of no bytes */
	struct iovec lines[HELLOD_UDP_BATCH];   /* each reply's line: the config's ... */
	char rendered[HELLOD_UDP_BATCH][GREET_LINE_MAX];        /* ... or rendered for it */
};

int
udp_setup(struct udp *u)
{
	static const int one = 1;
	bool any = false;

	for (size_t i = 0; i < u->listen->n; i++) {
		const struct listen_socket *ls = &u->listen->sockets[i];
		struct sockaddr_in6 sa = { 0 };   /* room for either family */
		socklen_t len = sizeof(sa);

		u->port[i] = 0;
		if (ls->type == SOCK_DGRAM)
			any = true;
		if (ls->type != SOCK_DGRAM || (ls->family != AF_INET && ls->family != AF_INET6))
			continue;
		/* An AF_INET6 socket systemd passed may serve IPv4 too: its requests then come
		 * with an IPV6_PKTINFO holding a v4-mapped address, which Linux takes back. */
		if (getsockname(ls->fd, (struct sockaddr *)&sa, &len) < 0 ||
		    (ls->family == AF_INET ?
		    setsockopt(ls->fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) :
		    setsockopt(ls->fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one))) < 0)
			return -errno;  /* GCOVR_EXCL_LINE: an open UDP socket of that family */
		/* sin_port and sin6_port lie at the same offset. */
		u->port[i] = sa.sin6_port;
	}
	if (!any)
		return 0;
	u->batch = malloc(sizeof(*u->batch));
	if (!u->batch)
		return -ENOMEM;
	u->batch->with_control = -1;
	return 0;
}

void
udp_done(struct udp *u)
{
	free(u->batch);
	u->batch = NULL;
}

/* The local port (network order) of the UDP socket fd, 0 when it has no destination
 * addresses to report (AF_UNIX). */
static uint16_t
udp_local_port(const struct udp *u, int fd)
{
	for (size_t i = 0; i < u->listen->n; i++)
		if (u->listen->sockets[i].fd == fd)
			return u->port[i];
	return 0;
}

/* Whether a datagram's sender can be answered: an unbound AF_UNIX sender has no address
 * (its length may even be 0). */
static bool
udp_answerable(const struct msghdr *h)
{
	const struct sockaddr_storage *ss = h->msg_name;

	return h->msg_namelen > offsetof(struct sockaddr_un, sun_path) ||
	    (h->msg_namelen >= sizeof(sa_family_t) && ss->ss_family != AF_UNIX);
}

/* The reply's source from the request's destination into ret: IP_PKTINFO's ipi_spec_dst,
 * the local address the request reached (the interface left to the routing table), or
 * IPV6_PKTINFO as it came (the interface is the address's scope). Returns the length of the
 * control data, 0 when the request brought none or went to an IPv6 group (the kernel then
 * picks the source). */
static size_t
udp_source_of(struct msghdr *h, union udp_source *ret)
{
	/* CMSG_SPACE() pads past the data: the padding goes to the kernel too. */
	memset(ret, 0, sizeof(*ret));
	for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c)) {
		struct cmsghdr *out = &ret->align;

		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct in_pktinfo))) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			pi.ipi_ifindex = 0;
			pi.ipi_addr.s_addr = 0;
			*out = (struct cmsghdr){ .cmsg_level = IPPROTO_IP, .cmsg_type = IP_PKTINFO,
				.cmsg_len = CMSG_LEN(sizeof(pi)) };
			memcpy(CMSG_DATA(out), &pi, sizeof(pi));
			return CMSG_SPACE(sizeof(pi));
		}
		if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			/* A request to a group (ff02::1 reaches a socket on [::]) cannot be
			 * answered from it: the kernel picks a source, as before. */
			if (IN6_IS_ADDR_MULTICAST(&pi.ipi6_addr))
				return 0;
			*out = (struct cmsghdr){ .cmsg_level = IPPROTO_IPV6,
				.cmsg_type = IPV6_PKTINFO, .cmsg_len = CMSG_LEN(sizeof(pi)) };
			memcpy(CMSG_DATA(out), &pi, sizeof(pi));
			return CMSG_SPACE(sizeof(pi));
		}
	}
	return 0;
}

/* The request's destination, the reply's source, as a socket address for $server_addr: from
 * the control data udp_source_of() made, else unknown (NULL: greet_line() asks the socket). */
static socklen_t
udp_local_of(const union udp_source *source, size_t control, uint16_t port,
    struct sockaddr_storage *ss)
{
	const struct cmsghdr *c = &source->align;

	if (control == 0)
		return 0;
	if (c->cmsg_level == IPPROTO_IP) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;
		struct in_pktinfo pi;

		memcpy(&pi, CMSG_DATA(c), sizeof(pi));
		*sin = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = port,
			.sin_addr = pi.ipi_spec_dst };
		return sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
		struct in6_pktinfo pi;

		memcpy(&pi, CMSG_DATA(c), sizeof(pi));
		*sin6 = (struct sockaddr_in6){ .sin6_family = AF_INET6, .sin6_port = port,
			.sin6_addr = pi.ipi6_addr };
		return sizeof(*sin6);
	}
}

/* The line for request i, replying as n: the config's, or one rendered for its sender. */
static struct iovec *
udp_line(struct udp *u, struct udp_batch *b, int i, unsigned n, size_t control, int fd,
    uint16_t port)
{
	const struct hellod_config *config = *u->config;
	struct sockaddr_storage local;
	socklen_t local_len = 0;
	struct greet_peer p = { .remote = (const struct sockaddr *)&b->peers[i],
		.remote_len = b->in[i].msg_hdr.msg_namelen, .fd = fd, .protocol = "UDP" };
	char *line;
	size_t len;

	if (config->template) {
		local_len = udp_local_of(&b->sources[n], control, port, &local);
		if (local_len > 0) {
			p.local = (const struct sockaddr *)&local;
			p.local_len = local_len;
		}
	}
	line = greet_line(&u->greeter, config, &p, b->rendered[n], &len);
	b->lines[n] = (struct iovec){ .iov_base = line, .iov_len = len };
	return &b->lines[n];
}

/* Whether the reply would go to the very address and port it would come from: a request
 * forged with hellod's own address as its source, which would loop forever. */
static bool
udp_to_itself(const struct sockaddr_storage *peer, const union udp_source *source,
    uint16_t port)
{
	const struct cmsghdr *c = &source->align;

	if (peer->ss_family == AF_INET && c->cmsg_level == IPPROTO_IP) {
		const struct sockaddr_in *p = (const struct sockaddr_in *)peer;
		struct in_pktinfo pi;

		memcpy(&pi, CMSG_DATA(c), sizeof(pi));
		return p->sin_port == port && p->sin_addr.s_addr == pi.ipi_spec_dst.s_addr;
	}
	if (peer->ss_family == AF_INET6 && c->cmsg_level == IPPROTO_IPV6) {
		const struct sockaddr_in6 *p = (const struct sockaddr_in6 *)peer;
		struct in6_pktinfo pi;

		memcpy(&pi, CMSG_DATA(c), sizeof(pi));
		return p->sin6_port == port &&
		    memcmp(&p->sin6_addr, &pi.ipi6_addr, sizeof(pi.ipi6_addr)) == 0;
	}
	return false;
}

/* Whether answering would make hellod a weapon: a source port below 1024 is a service's (a
 * reply would start a loop between two such services, CVE-2024-2169), a reply larger than
 * udp_max_ratio times its request would amplify a forged one, a prefix over udp_rate is being
 * flooded or used to flood, and a reply to hellod's own address and port, or one not smaller
 * than its request to an address and port answered moments ago, would be a loop's next hop.
 * Each is refused, counted. Returns REFUSED_N to answer. */
static enum refusal
udp_refused(struct udp *u, const struct mmsghdr *m, bool to_itself, size_t reply_len)
{
	const struct hellod_config *config = *u->config;
	const struct sockaddr_storage *ss = m->msg_hdr.msg_name;
	struct addr_prefix source;
	unsigned port = 0;
	bool has_source;

	if (to_itself)
		return REFUSED_UDP_LOOP;
	has_source = addr_source((const struct sockaddr *)ss, m->msg_hdr.msg_namelen, &source);
	if (has_source && !config_allows(config, &source))
		return REFUSED_UDP_DENIED;
	if (ss->ss_family == AF_INET)
		port = ntohs(((const struct sockaddr_in *)ss)->sin_port);
	else if (ss->ss_family == AF_INET6)
		port = ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	if (ss->ss_family != AF_UNIX && port < HELLOD_UDP_PORT_MIN)
		return REFUSED_UDP_PORT;
	if ((uint64_t)m->msg_len * config->udp_max_ratio < reply_len)
		return REFUSED_UDP_SIZE;
	if (config->udp_rate > 0 && has_source && !config_exempts(config, &source) &&
	    !limits_udp_allow(u->limits, config, &source, timer_now()))
		return REFUSED_UDP_RATE;
	/* Around any loop of hellods some reply is not smaller than the request that caused it
	 * (sizes cannot shrink all the way round), so guarding those ends every loop at its
	 * next turn, exempt sources included. An AF_UNIX sender cannot be forged: no loop. */
	if (has_source && reply_len >= m->msg_len &&
	    !limits_udp_loop_allow(u->limits, &source, (uint16_t)port, timer_now()))
		return REFUSED_UDP_LOOP;
	return REFUSED_N;
}

/* Sends the replies prepared in out[0..n); sendmmsg() stops at the first failing datagram
 * (ENOBUFS, a queued ICMP error), which then goes unanswered and the rest are sent. */
static void
udp_reply(struct udp *u, int fd, struct mmsghdr *out, unsigned n)
{
	for (unsigned i = 0; i < n;) {
		int k = sendmmsg(fd, out + i, n - i, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (k < 0) {
			if (errno == EAGAIN)
				return; /* the send buffer is full: the rest go unanswered */
			i++;
			continue;
		}
		i += (unsigned)k;
		stats_add(&u->stats->udp_greetings, (uint64_t)k);
	}
}

/* Receives up to HELLOD_UDP_BATCH datagrams into b; with the control data of each when the
 * socket reports destinations (never on AF_UNIX, where a sender could pass descriptors).
 * Returns how many, or -1. */
static int
udp_receive(int fd, bool control, struct udp_batch *b)
{
	unsigned n = b->written;
	int k;

	if (b->with_control != (int)control) {
		/* Each message gets one iovec of no bytes rather than none: Linux takes
		 * msg_iovlen = 0, but qemu-user 7.2 then returns success without dequeuing the
		 * datagram, and the loop spins on the same one for ever. */
		b->empty = (struct iovec){ .iov_base = NULL, .iov_len = 0 };
		for (unsigned i = 0; i < HELLOD_UDP_BATCH; i++)
			b->in[i] = (struct mmsghdr){ .msg_hdr = {
				.msg_name = &b->peers[i], .msg_iov = &b->empty, .msg_iovlen = 1,
				.msg_control = control ? b->control[i].buf : NULL } };
		b->with_control = control;
		n = HELLOD_UDP_BATCH;
	}
	/* The kernel writes back the lengths (and flags) of the messages it received: only
	 * those are set again. */
	for (unsigned i = 0; i < n; i++) {
		b->in[i].msg_hdr.msg_namelen = sizeof(b->peers[i]);
		b->in[i].msg_hdr.msg_controllen = control ? sizeof(b->control[i].buf) : 0;
	}
	k = recvmmsg(fd, b->in, HELLOD_UDP_BATCH, MSG_DONTWAIT | MSG_TRUNC, NULL);
	if (k < 0 && errno != EAGAIN && errno != EINTR)
		k = recvmmsg(fd, b->in, HELLOD_UDP_BATCH, MSG_DONTWAIT | MSG_TRUNC, NULL);
	/* Those received, and the one whose receiving failed, to be safe. */
	b->written = k >= HELLOD_UDP_BATCH ? HELLOD_UDP_BATCH : k > 0 ? (unsigned)k + 1 : 1;
	return k;
}

/* Answers datagrams in batches: one recvmmsg() and one sendmmsg() for up to
 * HELLOD_UDP_BATCH of them, each reply from its request's destination. The requests' contents
 * are not looked at: MSG_TRUNC gives their length with no buffer. */
int
udp_cb(sd_event_source *source, int fd, uint32_t revents, void *userdata)
{
	struct udp *u = userdata;
	struct udp_batch *b = u->batch;
	uint16_t port = udp_local_port(u, fd);

	for (int burst = 0; burst < HELLOD_UDP_BURST / HELLOD_UDP_BATCH; burst++) {
		unsigned n = 0;
		int k = udp_receive(fd, port != 0, b);

		if (k <= 0)
			break;  /* drained, or a second error in a row: wait for the next event */
		for (int i = 0; i < k; i++) {
			size_t control = 0;
			struct iovec *iov;
			enum refusal why;

			if (!udp_answerable(&b->in[i].msg_hdr))
				continue;
			if (port != 0)
				control = udp_source_of(&b->in[i].msg_hdr, &b->sources[n]);
			/* Rendered first: its own length is what the request is weighed against. */
			iov = udp_line(u, b, i, n, control, fd, port);
			why = udp_refused(u, &b->in[i],
			    control > 0 && udp_to_itself(&b->peers[i], &b->sources[n], port),
			    iov->iov_len);
			if (why != REFUSED_N) {
				stats_add(&u->stats->refused[why], 1);
				continue;
			}
			b->out[n] = (struct mmsghdr){ .msg_hdr = {
				.msg_name = &b->peers[i], .msg_namelen = b->in[i].msg_hdr.msg_namelen,
				.msg_iov = iov, .msg_iovlen = 1,
				.msg_control = control > 0 ? b->sources[n].buf : NULL,
				.msg_controllen = control } };
			n++;
			if ((*u->config)->log_connections)
				log_peer(&b->peers[i], b->in[i].msg_hdr.msg_namelen, "UDP");
		}
		udp_reply(u, fd, b->out, n);
		if (k < HELLOD_UDP_BATCH)
			break;
	}
	u->changed(u->userdata);
	return 0;
}
