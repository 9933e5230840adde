/* SPDX-License-Identifier: BSD-2-Clause */
/* TCP connections: accept, send the greeting with the FIN, drain, linger or close fast, evict,
 * pause. */
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "server-internal.h"

static uint64_t
first_deadline(struct server *s)
{
	uint64_t a = s->sending.oldest ? s->sending.oldest->deadline : UINT64_MAX;
	uint64_t b = s->lingering.oldest ? s->lingering.oldest->deadline : UINT64_MAX;

	return a < b ? a : b;
}

static void
linger_timer_arm(struct server *s)
{
	uint64_t t = first_deadline(s);

	if (t == UINT64_MAX) {
		sd_event_source_set_enabled(s->linger_timer, SD_EVENT_OFF);
		return;
	}
	sd_event_source_set_time(s->linger_timer, t);
	sd_event_source_set_enabled(s->linger_timer, SD_EVENT_ONESHOT);
}

static void
list_remove(struct conn *c)
{
	struct conn_list *l = c->list;

	if (!l)
		return;
	if (c->prev)
		c->prev->next = c->next;
	else
		l->oldest = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		l->newest = c->prev;
	c->prev = c->next = NULL;
	c->list = NULL;
}

/* Puts c last in l with its deadline usec from now, and rearms the timer if it is first. */
static void
list_append(struct conn *c, struct conn_list *l, uint64_t usec)
{
	struct server *s = c->server;
	uint64_t first = first_deadline(s);

	list_remove(c);
	c->deadline = now_usec(s) + usec;
	c->list = l;
	c->prev = l->newest;
	if (l->newest)
		l->newest->next = c;
	else
		l->oldest = c;
	l->newest = c;
	if (c->deadline < first)
		linger_timer_arm(s);
}

static void
conn_close(struct conn *c)
{
	struct server *s = c->server;
	bool was_first = c->list && c == c->list->oldest;

	/* Closing the fd takes it out of conn_epoll as well: it has no duplicate. */
	close(c->fd);
	c->config = config_unref(c->config);
	if (c->counted)
		limits_tcp_release(s->group->limits, &c->source);
	list_remove(c);
	c->next = s->free_list;
	s->free_list = c;
	s->n_conns--;

	if (was_first)
		linger_timer_arm(s);
	if (s->stopping && s->n_conns == 0)
		server_maybe_exit(s);
}

static void conn_poll(struct server *s);

/* This worker's share of max_connections, within its pool. */
static size_t
conn_limit(struct server *s)
{
	size_t n = s->config->max_connections / s->n_workers;

	return s->config->max_connections == 0 || n > s->max_conns ? s->max_conns :
	    n > 0 ? n : 1;
}

/* Takes a free slot. At the limit the oldest lingering connection, which has had its
 * greeting and FIN for the longest, is closed to make room; when every connection is still
 * sending, there is no room: NULL. */
static struct conn *
conn_get(struct server *s)
{
	struct conn *c;

	if (s->n_conns >= conn_limit(s))
		conn_poll(s);   /* some may have closed since the last look */
	while (s->n_conns >= conn_limit(s)) {
		if (!s->lingering.oldest)
			return NULL;
		stats_add(&s->stats.refused[REFUSED_EVICTED], 1);
		conn_close(s->lingering.oldest);
	}
	if (s->free_list) {
		c = s->free_list;
		s->free_list = c->next;
	} else
		c = &s->pool[s->pool_used++];
	*c = (struct conn){ .server = s };
	s->n_conns++;
	return c;
}

static void
greeting_sent(struct server *s)
{
	stats_add(&s->stats.tcp_greetings, 1);
	status_changed(s);
}

/* Sends what is left of the greeting; once it is all out, shuts down our side so the FIN rides
 * on the last segment (MSG_MORE holds the data back for it). Returns < 0 to close. */
static int
conn_send(struct conn *c, const struct hellod_config *config)
{
	ssize_t n;

	n = send(c->fd, config->line + c->sent, config->line_len - c->sent,
	    MSG_NOSIGNAL | MSG_MORE);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	c->sent += (size_t)n;
	if (c->sent < config->line_len)
		return 0;
	(void)shutdown(c->fd, SHUT_WR);
	greeting_sent(c->server);
	return 1;
}

/* Discards what the client sends until its EOF; bounded per wakeup so one chatty client
 * cannot hold the loop. Returns < 0 to close. */
static int
conn_drain(struct conn *c)
{
	for (size_t total = 0; total < HELLOD_DRAIN_BURST;) {
		ssize_t n = recv(c->fd, c->server->scratch, sizeof(c->server->scratch), 0);

		if (n > 0)
			total += (size_t)n;
		else if (n < 0 && errno == EINTR)
			continue;
		else if (n < 0 && errno == EAGAIN)
			return 0;
		else
			return -1;      /* EOF, or the client reset: either way we are done */
	}
	return 0;
}

/* One connection's readiness: the rest of the greeting can go, or the client sent something
 * or closed. A reset (EPOLLERR) needs no read: the client is gone. */
static void
conn_event(struct conn *c, uint32_t events)
{
	int r;

	if (events & EPOLLERR)
		r = -1;
	else if (c->config) {
		r = conn_send(c, c->config);
		if (r > 0) {
			struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };

			c->config = config_unref(c->config);
			list_append(c, &c->server->lingering, c->server->config->linger_usec);
			r = epoll_ctl(c->server->conn_epoll, EPOLL_CTL_MOD, c->fd, &ev) < 0 ? -errno : 0;
		}
	} else
		r = conn_drain(c);
	if (r < 0)
		conn_close(c);
}

/* Handles what is ready among the open connections. Handling an event closes at most its own
 * connection, so the rest of a batch stays valid. */
static void
conn_poll(struct server *s)
{
	struct epoll_event ev[HELLOD_CONN_EVENTS];

	for (int b = 0; b < HELLOD_CONN_BATCHES; b++) {
		int n = epoll_wait(s->conn_epoll, ev, HELLOD_CONN_EVENTS, 0);

		for (int i = 0; i < n; i++)
			conn_event(ev[i].data.ptr, ev[i].events);
		if (n < HELLOD_CONN_EVENTS)
			break;
	}
}

/* The connections live in an epoll set of their own: no allocation, registration or removal
 * in sd-event per connection, and close() alone takes a connection out. While clients keep
 * coming, that set is polled after each round of accepts and by a short timer, not watched:
 * a client's FIN or reset then costs no wakeup of its own (measured in the README's
 * "Performance"). Once a timer period passed without a new client, it is watched again. */
static int
conn_events_cb(sd_event_source *source, int fd, uint32_t revents, void *userdata)
{
	conn_poll(userdata);
	return 0;
}

static int
conn_sweep_cb(sd_event_source *source, uint64_t usec, void *userdata)
{
	struct server *s = userdata;

	conn_poll(s);
	if (s->accepted) {
		s->accepted = false;
		sd_event_source_set_time(source, usec + HELLOD_SWEEP_USEC);
		sd_event_source_set_enabled(source, SD_EVENT_ONESHOT);
	} else
		sd_event_source_set_enabled(s->conn_source, SD_EVENT_ON);
	return 0;
}

/* Called after a round of accepts: from watching the connections to polling them. */
static void
conn_busy(struct server *s)
{
	int enabled = SD_EVENT_OFF;

	s->accepted = true;
	if (s->n_conns == 0)
		return;         /* close = fast: nothing lingers, nothing to poll */
	conn_poll(s);
	sd_event_source_get_enabled(s->conn_source, &enabled);
	if (enabled == SD_EVENT_OFF)
		return;
	sd_event_source_set_enabled(s->conn_source, SD_EVENT_OFF);
	sd_event_source_set_time_relative(s->sweep_timer, HELLOD_SWEEP_USEC);
	sd_event_source_set_enabled(s->sweep_timer, SD_EVENT_ONESHOT);
}

int
tcp_setup(struct server *s)
{
	int r;

	s->conn_epoll = epoll_create1(EPOLL_CLOEXEC);
	if (s->conn_epoll < 0)
		return -errno;
	r = sd_event_add_io(s->event, &s->conn_source, s->conn_epoll, EPOLLIN, conn_events_cb, s);
	if (r < 0)
		return r;
	r = sd_event_add_time(s->event, &s->sweep_timer, CLOCK_MONOTONIC, UINT64_MAX,
	    HELLOD_SWEEP_USEC / 10, conn_sweep_cb, s);
	if (r < 0)
		return r;
	return sd_event_source_set_enabled(s->sweep_timer, SD_EVENT_OFF);
}

/* close = fast: the greeting and the FIN leave in one segment and the socket is closed at
 * once, as the fastest servers do, unless the client has already sent something, which
 * close() would answer with a reset. Returns > 0 when done (fd closed), 0 to go on lingering
 * with *ret_sent bytes sent, < 0 to close. */
static int
greet_fast(struct server *s, int fd, size_t *ret_sent)
{
	const struct hellod_config *config = s->config;
	ssize_t n;

	n = send(fd, config->line, config->line_len, MSG_NOSIGNAL | MSG_MORE);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	*ret_sent = (size_t)n;
	if ((size_t)n < config->line_len)
		return 0;
	n = recv(fd, s->scratch, sizeof(s->scratch), MSG_DONTWAIT);
	if (n > 0)
		return 0;       /* the client talks: linger as by default */
	if (n < 0 && errno != EAGAIN)
		return -errno;  /* reset already: the greeting is lost either way */
	close(fd);
	greeting_sent(s);
	return 1;
}

/* Turns a client away at once: a reset, so that nothing of it stays behind. */
static void
refuse(struct server *s, int fd, enum refusal why)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };

	(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(fd);
	stats_add(&s->stats.refused[why], 1);
	status_changed(s);
}

/* Greets a new client; source is what it was counted against, if it was. */
static void
conn_start(struct server *s, int fd, const struct addr_prefix *source)
{
	struct conn *c = NULL;
	size_t sent = 0;
	int r = 0;

	if (s->config->close_fast)
		r = greet_fast(s, fd, &sent);
	if (r == 0) {
		c = conn_get(s);
		if (!c)
			refuse(s, fd, REFUSED_MAX_CONNECTIONS);
	} else if (r < 0)
		close(fd);
	if (!c) {
		if (source)
			limits_tcp_release(s->group->limits, source);
		return;
	}
	c->fd = fd;
	c->sent = sent;
	if (source) {
		c->counted = true;
		c->source = *source;
	}
	r = conn_send(c, s->config);
	if (r == 0) {
		c->config = config_ref(s->config);
		list_append(c, &s->sending, s->config->send_usec);
	} else if (r > 0)
		list_append(c, &s->lingering, s->config->linger_usec);
	if (r >= 0) {
		struct epoll_event ev = { .events = r > 0 ? EPOLLIN : EPOLLOUT, .data.ptr = c };

		r = epoll_ctl(s->conn_epoll, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
	}
	if (r < 0)
		conn_close(c);
}

int
tcp_linger_cb(sd_event_source *source, uint64_t usec, void *userdata)
{
	struct server *s = userdata;

	while (s->sending.oldest && s->sending.oldest->deadline <= usec) {
		stats_add(&s->stats.refused[REFUSED_SEND_TIMEOUT], 1);
		conn_close(s->sending.oldest);
		status_changed(s);
	}
	while (s->lingering.oldest && s->lingering.oldest->deadline <= usec)
		conn_close(s->lingering.oldest);
	linger_timer_arm(s);
	return 0;
}

static void
listeners_enable(struct server *s, int enabled)
{
	for (size_t i = 0; i < s->listen->n; i++)
		if (s->listen_sources[i])
			sd_event_source_set_enabled(s->listen_sources[i], enabled);
}

int
tcp_pause_cb(sd_event_source *source, uint64_t usec, void *userdata)
{
	struct server *s = userdata;

	if (!s->stopping)
		listeners_enable(s, SD_EVENT_ON);
	return 0;
}

/* Out of fds or memory: accepting again at once would spin, so stop listening briefly. */
static void
accept_pause(struct server *s, int error)
{
	uint64_t now = now_usec(s);

	stats_add(&s->stats.accept_pauses, 1);
	if (now - s->last_warning >= HELLOD_WARN_INTERVAL_USEC || s->last_warning == 0) {
		s->last_warning = now;
		log_warning_errno(error, "Failed to accept a connection: %m; pausing for %llu ms "
		    "(%llu pauses so far)", HELLOD_ACCEPT_PAUSE_USEC / 1000,
		    (unsigned long long)s->stats.accept_pauses);
	}
	listeners_enable(s, SD_EVENT_OFF);
	sd_event_source_set_time_relative(s->pause_timer, HELLOD_ACCEPT_PAUSE_USEC);
	sd_event_source_set_enabled(s->pause_timer, SD_EVENT_ONESHOT);
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

/* What the per-source limits say to a client: REFUSED_N admits it. *counted says whether it
 * now counts against its source, source then holding it. */
static enum refusal
tcp_admit(struct server *s, const struct sockaddr_storage *ss, socklen_t len,
    struct addr_prefix *source, bool *counted)
{
	const struct hellod_config *c = s->config;

	*counted = false;
	if ((c->tcp_rate == 0 && c->max_per_source == 0) ||
	    !addr_source((const struct sockaddr *)ss, len, source) || config_exempts(c, source))
		return REFUSED_N;
	return limits_tcp_admit(s->group->limits, c, source, now_usec(s), counted);
}

int
tcp_accept_cb(sd_event_source *source, int fd, uint32_t revents, void *userdata)
{
	struct server *s = userdata;
	int i;

	for (i = 0; i < HELLOD_ACCEPT_BURST; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		struct addr_prefix src;
		enum refusal why;
		bool counted;
		int cfd;

		cfd = accept4(fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno == EAGAIN)
				break;
			if (accept_error_transient(errno))
				continue;
			if ((errno == EMFILE || errno == ENFILE) && s->lingering.oldest) {
				/* Out of fds: the oldest connection has had its greeting longest. */
				stats_add(&s->stats.refused[REFUSED_EVICTED], 1);
				conn_close(s->lingering.oldest);
				continue;
			}
			accept_pause(s, errno);
			break;
		}
		why = tcp_admit(s, &ss, len, &src, &counted);
		if (why == REFUSED_PER_SOURCE) {
			/* Its earlier connections may have closed since the last look. */
			conn_poll(s);
			why = tcp_admit(s, &ss, len, &src, &counted);
		}
		if (why != REFUSED_N) {
			refuse(s, cfd, why);
			continue;
		}
		if (s->config->log_connections)
			log_peer(&ss, len, "TCP");
		conn_start(s, cfd, counted ? &src : NULL);
	}
	if (i > 0)
		conn_busy(s);
	return 0;
}

void
tcp_close_conns(struct server *s)
{
	while (s->sending.oldest)
		conn_close(s->sending.oldest);
	while (s->lingering.oldest)
		conn_close(s->lingering.oldest);
}

void
tcp_close_all(struct server *s)
{
	tcp_close_conns(s);
	s->conn_source = sd_event_source_disable_unref(s->conn_source);
	s->sweep_timer = sd_event_source_disable_unref(s->sweep_timer);
	if (s->conn_epoll >= 0)
		close(s->conn_epoll);
	s->conn_epoll = -1;
}
