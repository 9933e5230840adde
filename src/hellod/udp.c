/* SPDX-License-Identifier: BSD-2-Clause */
/* UDP: every datagram gets the greeting back, in batches, unless that would make hellod a
 * weapon (amplification, loops, floods). */
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "server-internal.h"

/* Whether a datagram's sender can be answered: an unbound AF_UNIX sender has no address
 * (its length may even be 0). */
static bool
udp_answerable(const struct msghdr *h)
{
	const struct sockaddr_storage *ss = h->msg_name;

	return h->msg_namelen > offsetof(struct sockaddr_un, sun_path) ||
	    (h->msg_namelen >= sizeof(sa_family_t) && ss->ss_family != AF_UNIX);
}

/* Whether answering would make hellod a weapon: a source port below 1024 is a service's (a
 * reply would start a loop between two such services, CVE-2024-2169), a reply larger than
 * udp_max_ratio times its request would amplify a forged one, and a prefix over udp_rate is
 * being flooded or used to flood. Each is refused, counted. Returns REFUSED_N to answer. */
static enum refusal
udp_refused(struct server *s, const struct mmsghdr *m)
{
	const struct hellod_config *config = s->config;
	const struct sockaddr_storage *ss = m->msg_hdr.msg_name;
	struct addr_prefix source;
	unsigned port = 0;

	if (ss->ss_family == AF_INET)
		port = ntohs(((const struct sockaddr_in *)ss)->sin_port);
	else if (ss->ss_family == AF_INET6)
		port = ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	if (ss->ss_family != AF_UNIX && port < HELLOD_UDP_PORT_MIN)
		return REFUSED_UDP_SIZE;
	if ((uint64_t)m->msg_len * config->udp_max_ratio < config->line_len)
		return REFUSED_UDP_SIZE;
	if (config->udp_rate > 0 &&
	    addr_source((const struct sockaddr *)ss, m->msg_hdr.msg_namelen, &source) &&
	    !config_exempts(config, &source) &&
	    !limits_udp_allow(s->group->limits, config, &source, now_usec(s)))
		return REFUSED_UDP_RATE;
	return REFUSED_N;
}

/* Sends the replies prepared in out[0..n); sendmmsg() stops at the first failing datagram
 * (ENOBUFS, a queued ICMP error), which then goes unanswered and the rest are sent. */
static void
udp_reply(struct server *s, int fd, struct mmsghdr *out, unsigned n)
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
		counter_add(&s->udp_greetings, (uint64_t)k);
	}
}

/* Answers datagrams in batches: one recvmmsg() and one sendmmsg() for up to
 * HELLOD_UDP_BATCH of them. The requests' contents are not looked at: MSG_TRUNC gives their
 * length with no buffer. */
int
udp_cb(sd_event_source *source, int fd, uint32_t revents, void *userdata)
{
	struct server *s = userdata;
	struct sockaddr_storage peers[HELLOD_UDP_BATCH];
	struct mmsghdr in[HELLOD_UDP_BATCH], out[HELLOD_UDP_BATCH];
	struct iovec iov = { .iov_base = s->config->line, .iov_len = s->config->line_len };

	for (int b = 0; b < HELLOD_UDP_BURST / HELLOD_UDP_BATCH; b++) {
		unsigned n = 0;
		int k;

		for (unsigned i = 0; i < HELLOD_UDP_BATCH; i++)
			in[i] = (struct mmsghdr){ .msg_hdr = {
				.msg_name = &peers[i], .msg_namelen = sizeof(peers[i]) } };
		k = recvmmsg(fd, in, HELLOD_UDP_BATCH, MSG_DONTWAIT | MSG_TRUNC, NULL);
		if (k < 0 && errno != EAGAIN && errno != EINTR)
			k = recvmmsg(fd, in, HELLOD_UDP_BATCH, MSG_DONTWAIT | MSG_TRUNC, NULL);
		if (k <= 0)
			break;  /* drained, or a second error in a row: wait for the next event */
		for (int i = 0; i < k; i++) {
			enum refusal why;

			if (!udp_answerable(&in[i].msg_hdr))
				continue;
			why = udp_refused(s, &in[i]);
			if (why != REFUSED_N) {
				counter_add(&s->refused[why], 1);
				continue;
			}
			out[n++] = (struct mmsghdr){ .msg_hdr = {
				.msg_name = &peers[i], .msg_namelen = in[i].msg_hdr.msg_namelen,
				.msg_iov = &iov, .msg_iovlen = 1 } };
			log_peer(s, &peers[i], in[i].msg_hdr.msg_namelen, "UDP");
		}
		udp_reply(s, fd, out, n);
		if (k < HELLOD_UDP_BATCH)
			break;
	}
	status_changed(s);
	return 0;
}
