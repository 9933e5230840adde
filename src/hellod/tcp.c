/* SPDX-License-Identifier: BSD-2-Clause */
/* TCP: accept, read a trusted proxy's PROXY header, admit ([access], the per-source limits),
 * greet at once (close = fast) or hand the connection to the table (conn.c), pause the
 * listeners when out of fds. */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "tcp.h"
#include "timer.h"

/* close = fast: the greeting and the FIN leave in one segment and the socket is closed at
 * once, as the fastest servers do, unless the client has already sent something, which
 * close() would answer with a reset. Returns > 0 when done (fd closed), 0 to go on lingering
 * with *ret_sent bytes sent, < 0 to close. */
static int
greet_fast(struct tcp *t, int fd, const char *line, size_t len, size_t *ret_sent)
{
	ssize_t n;

	n = send(fd, line, len, MSG_NOSIGNAL | MSG_MORE);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	*ret_sent = (size_t)n;
	if ((size_t)n < len)
		return 0;
	n = recv(fd, t->conns->scratch, sizeof(t->conns->scratch), MSG_DONTWAIT);
	if (n > 0)
		return 0;       /* the client talks: linger as by default */
	if (n < 0 && errno != EAGAIN)
		return -errno;  /* reset already: the greeting is lost either way */
	close(fd);
	stats_add(&t->stats->tcp_greetings, 1);
	t->changed(t->userdata);
	return 1;
}

/* Turns a client away at once: a reset, so that nothing of it stays behind. */
static void
refuse(struct tcp *t, int fd, enum refusal why)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };

	(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(fd);
	stats_add(&t->stats->refused[why], 1);
	t->changed(t->userdata);
}

/* The greeting line for the client at ss (its PROXY header's, if it came through a proxy):
 * the config's, or rendered into buf, the caller's own. */
static const char *
tcp_line(struct tcp *t, int fd, const struct sockaddr_storage *ss, socklen_t len,
    char buf[static GREET_LINE_MAX], size_t *ret_len)
{
	const struct greet_peer p = { .remote = (const struct sockaddr *)ss, .remote_len = len,
		.fd = fd, .protocol = "TCP" };

	return greet_line(&t->greeter, *t->config, &p, buf, ret_len);
}

/* Greets a new client at ss; source is what it was counted against, if it was; talked: it
 * sent something already (after a proxy's header), so it lingers whatever close says. The
 * line is rendered into this call's own buffer: conn_open() may handle other connections
 * first (a full table is polled), and their lines go into buffers of their own. */
static void
tcp_greet(struct tcp *t, int fd, const struct sockaddr_storage *ss, socklen_t ss_len,
    const struct addr_prefix *source, bool talked)
{
	char buf[GREET_LINE_MAX];
	size_t sent = 0, len;
	const char *line = tcp_line(t, fd, ss, ss_len, buf, &len);
	int r = 0;

	if ((*t->config)->close_fast && !talked)
		r = greet_fast(t, fd, line, len, &sent);
	if (r == 0 && conn_open(t->conns, fd, line, len, sent, source) == 0)
		return;
	if (r == 0)
		refuse(t, fd, REFUSED_MAX_CONNECTIONS);
	else if (r < 0)
		close(fd);
	if (source)
		limits_tcp_release(t->limits, source);
}

static void
listeners_enable(struct tcp *t, int enabled)
{
	for (size_t i = 0; i < t->listen->n; i++)
		if (t->listen_sources[i])
			sd_event_source_set_enabled(t->listen_sources[i], enabled);
}

static int
tcp_pause_cb(sd_event_source *source, uint64_t usec, void *userdata)
{
	struct tcp *t = userdata;

	if (!*t->stopping)
		listeners_enable(t, SD_EVENT_ON);
	return 0;
}

/* Out of fds or memory: accepting again at once would spin, so stop listening briefly. */
static void
accept_pause(struct tcp *t, int error)
{
	uint64_t now = timer_now();

	stats_add(&t->stats->accept_pauses, 1);
	if (now - t->last_warning >= HELLOD_WARN_INTERVAL_USEC || t->last_warning == 0) {
		t->last_warning = now;
		log_warning_errno(error, "Failed to accept a connection: %m; pausing for %llu ms "
		    "(%llu pauses so far)", HELLOD_ACCEPT_PAUSE_USEC / 1000,
		    (unsigned long long)t->stats->accept_pauses);
	}
	listeners_enable(t, SD_EVENT_OFF);
	timer_arm(t->pause_timer, HELLOD_ACCEPT_PAUSE_USEC);
}

static bool
accept_error_transient(int error)
{
	/* accept(2): pending network errors are reported by accept and are the client's. */
	switch (error) {
	case EINTR: case ECONNABORTED: case EPROTO: case EPERM: case ENETDOWN: case ENOPROTOOPT:
	case EHOSTDOWN: case ENONET: case EHOSTUNREACH: case EOPNOTSUPP: case ENETUNREACH:
	case ETIMEDOUT:
		return true;
	default:
		return false;
	}
}

/* What [access] and the per-source limits say to a client from source (NULL: no address, as
 * over AF_UNIX): REFUSED_N admits it. *counted says whether it now counts against source.
 * may_poll: outside conn_poll(), so that the connection table may be looked at again. */
static enum refusal
tcp_admit(struct tcp *t, const struct addr_prefix *source, bool *counted, bool may_poll)
{
	const struct hellod_config *c = *t->config;
	enum refusal why;

	*counted = false;
	if (!source)
		return REFUSED_N;
	if (!config_allows(c, source))
		return REFUSED_DENIED;
	if ((c->tcp_rate == 0 && c->max_per_source == 0) || config_exempts(c, source))
		return REFUSED_N;
	why = limits_tcp_admit(t->limits, c, source, timer_now(), counted);
	if (why == REFUSED_PER_SOURCE && may_poll) {
		/* Its earlier connections may have closed since the last look. */
		conn_poll(t->conns);
		why = limits_tcp_admit(t->limits, c, source, timer_now(), counted);
	}
	return why;
}

/* Reads what a trusted proxy sent on fd after the have bytes of its header in buf (PROXY_HEADER_MAX
 * bytes): one recv() of all that came, header and whatever the client sent after it, which is
 * drained as any client's would be (issue 28: peeking first, then reading the header to its
 * last byte, cost a second call per greeting). closed: the proxy's FIN came, so what is there
 * is all there will be. On entry *ss and *len are the peer, or *len is 0 when not known yet.
 * Returns > 0 when the header was whole, *ss and *len then the client (the peer itself for
 * LOCAL, UNKNOWN and the like, *local then set) and *talked whether bytes came after it; 0
 * when more is to come, *have then the bytes of it in buf; < 0 when it is bad, or the proxy
 * went away first. */
static int
header_read(int fd, char buf[static PROXY_HEADER_MAX], size_t *have, bool closed,
    struct sockaddr_storage *ss, socklen_t *len, bool *local, bool *talked)
{
	struct proxy_header h;
	const char *why = "it closed or reset first";
	ssize_t n;
	int r = -EBADMSG;

	n = recv(fd, buf + *have, PROXY_HEADER_MAX - *have, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR) && !closed)
		return 0;
	if (n > 0)
		*have += (size_t)n;
	if (n >= 0 || errno == EAGAIN || errno == EINTR)
		r = proxy_parse(buf, *have, &h, &why);
	if (r == 0 && (closed || n == 0)) {
		/* Half a header, then the FIN: the rest will never come. */
		r = -EBADMSG;
		why = "it closed before its header was whole";
	}
	if (r == 0)
		return 0;       /* more to come, by proxy_timeout */
	if (*len == 0 && (r < 0 || h.local)) {
		*len = sizeof(*ss);
		if (getpeername(fd, (struct sockaddr *)ss, len) < 0)
			*len = 0;
	}
	if (r < 0) {
		char peer[ADDR_STR_MAX] = "?";

		/* Debug only: the summary line counts them, and a flood must not flood the log. */
		if (*len > 0)
			addr_format((const struct sockaddr *)ss, *len, peer, sizeof(peer));
		log_debug("Refusing %s: %s", peer, why);
		return r;
	}
	*local = h.local;
	*talked = *have > (size_t)r;
	if (!h.local) {
		memcpy(ss, &h.source, sizeof(struct sockaddr_in6));     /* see proxy.h */
		*len = h.source_len;
	}
	return r;
}

static const char *
proto_text(bool proxied, bool local)
{
	return !proxied ? "TCP" : local ? "TCP (PROXY LOCAL: the proxy itself)" :
	    "TCP (from a PROXY header)";
}

/* A trusted proxy's connection waiting in the table has something new: its header, whole or
 * in part, or its end (closed). */
static void
tcp_header_cb(struct conn *c, bool closed, void *userdata)
{
	struct tcp *t = userdata;
	char buf[GREET_LINE_MAX];
	struct sockaddr_storage ss;
	socklen_t len = 0;
	struct addr_prefix src;
	enum refusal refused;
	bool local = false, has_source, counted, talked;
	const char *line;
	size_t line_len;
	int r = -ENOMEM;

	/* Read on into the connection's own buffer, where the header's start already is. */
	if (conn_header(c))
		r = header_read(c->fd, c->header, &c->header_len, closed, &ss, &len, &local,
		    &talked);
	if (r == 0)
		return;
	if (r < 0) {
		conn_refuse(c, REFUSED_PROXY);
		return;
	}
	has_source = len > 0 && addr_source((const struct sockaddr *)&ss, len, &src);
	refused = tcp_admit(t, has_source ? &src : NULL, &counted, false);
	if (refused != REFUSED_N) {
		conn_refuse(c, refused);
		return;
	}
	if ((*t->config)->log_connections && len > 0)
		log_peer(&ss, len, proto_text(true, local));
	line = tcp_line(t, c->fd, &ss, len, buf, &line_len);
	conn_greet(c, line, line_len, counted ? &src : NULL);
}

int
tcp_accept_cb(sd_event_source *source, int fd, uint32_t revents, void *userdata)
{
	struct tcp *t = userdata;
	int i;

	for (i = 0; i < HELLOD_ACCEPT_BURST; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		struct addr_prefix src;
		enum refusal why;
		bool has_source, counted, proxied = false, local = false, talked = false;
		char header[PROXY_HEADER_MAX];
		size_t have = 0;
		int cfd, r;

		cfd = accept4(fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno == EAGAIN)
				break;
			if (accept_error_transient(errno))
				continue;
			/* Out of fds: some may have closed since the last look (conn_busy() does
			 * not look after every round); else the oldest connection has had its
			 * greeting longest. */
			if ((errno == EMFILE || errno == ENFILE) && (conn_reap(t->conns) ||
			    conn_evict(t->conns)))
				continue;
			accept_pause(t, errno);
			break;
		}
		has_source = addr_source((const struct sockaddr *)&ss, len, &src);
		/* A trusted proxy speaks first: who the client is, and only then is it judged. Its
		 * header is usually there already, having come with the handshake's last ACK;
		 * otherwise the connection waits for it in the table. */
		if (has_source && config_trusts(*t->config, &src)) {
			r = header_read(cfd, header, &have, false, &ss, &len, &local, &talked);
			if (r == 0 && conn_open_waiting(t->conns, cfd, header, have) < 0)
				refuse(t, cfd, REFUSED_MAX_CONNECTIONS);
			if (r < 0)
				refuse(t, cfd, REFUSED_PROXY);
			if (r <= 0)
				continue;
			proxied = true;
			has_source = addr_source((const struct sockaddr *)&ss, len, &src);
		}
		why = tcp_admit(t, has_source ? &src : NULL, &counted, true);
		if (why != REFUSED_N) {
			refuse(t, cfd, why);
			continue;
		}
		if ((*t->config)->log_connections)
			log_peer(&ss, len, proto_text(proxied, local));
		tcp_greet(t, cfd, &ss, len, counted ? &src : NULL, talked);
	}
	if (i > 0)
		conn_busy(t->conns);
	return 0;
}

int
tcp_setup(struct tcp *t)
{
	t->conns->header_cb = tcp_header_cb;
	t->conns->header_userdata = t;
	return timer_add(t->event, &t->pause_timer, 0, tcp_pause_cb, t);
}

void
tcp_done(struct tcp *t)
{
	t->pause_timer = sd_event_source_disable_unref(t->pause_timer);
}
