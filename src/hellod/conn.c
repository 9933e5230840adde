/* SPDX-License-Identifier: BSD-2-Clause */
/* The connection table: send the greeting with the FIN, drain, linger or close at the deadline,
 * evict; the connections live in an epoll set of their own. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"
#include "proxy.h"
#include "timer.h"
#include "util.h"

static const struct hellod_config *
config_of(struct conn_table *t)
{
	return *t->config;
}

static uint64_t
first_deadline(struct conn_table *t)
{
	uint64_t a = t->sending.oldest ? t->sending.oldest->deadline : UINT64_MAX;
	uint64_t b = t->lingering.oldest ? t->lingering.oldest->deadline : UINT64_MAX;
	uint64_t w = t->waiting.oldest ? t->waiting.oldest->deadline : UINT64_MAX;

	return a < b ? (a < w ? a : w) : (b < w ? b : w);
}

/* The deadline timer goes off at or before the first deadline of any list, never after it. A
 * connection that leaves does not move it (that was a re-arm per close, half of what a greeting
 * cost: issue 28): at worst it goes off once early, for a connection that is gone, and is
 * armed for the first deadline then. */
static void
deadline_timer_arm(struct conn_table *t, uint64_t usec)
{
	t->deadline_armed = usec;
	timer_arm_at(t->deadline_timer, usec);
}

/* The gauge of the connections in l, one of t's lists. */
static uint64_t *
gauge_of(struct conn_table *t, const struct conn_list *l)
{
	return &t->stats->conns[l == &t->sending ? CONN_SENDING :
	    l == &t->lingering ? CONN_LINGERING : CONN_WAITING];
}

static void
list_remove(struct conn *c)
{
	struct conn_list *l = c->list;

	if (!l)
		return;
	stats_sub(gauge_of(c->table, l), 1);
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

/* Puts c last in l with its deadline usec from now, the clock read now (not the loop's time,
 * which may be from before a pause), and arms the timer for it if it is set later or off. */
static void
list_append(struct conn *c, struct conn_list *l, uint64_t usec)
{
	struct conn_table *t = c->table;

	list_remove(c);
	stats_add(gauge_of(t, l), 1);
	c->deadline = timer_now() + usec;
	c->list = l;
	c->prev = l->newest;
	if (l->newest)
		l->newest->next = c;
	else
		l->oldest = c;
	l->newest = c;
	if (c->deadline < t->deadline_armed)
		deadline_timer_arm(t, c->deadline);
}

/* Frees the buffer of c's PROXY header, read whole or never to be. */
static void
header_drop(struct conn *c)
{
	free(c->header);
	c->header = NULL;
	c->header_len = 0;
}

/* Gives c's slot back, its fd not closed. */
static void
slot_free(struct conn *c)
{
	struct conn_table *t = c->table;

	c->next = t->free_list;
	t->free_list = c;
	t->n--;
}

static void
conn_close(struct conn *c)
{
	struct conn_table *t = c->table;

	/* Closing the fd takes it out of its epoll set as well: it has no duplicate. */
	close(c->fd);
	header_drop(c);
	c->config = config_unref(c->config);
	if (c->counted)
		limits_tcp_release(t->limits, &c->source);
	list_remove(c);
	slot_free(c);
}

static void
count(struct conn_table *t, uint64_t *counter)
{
	stats_add(counter, 1);
	t->changed(t->userdata);
}

/* This worker's share of max_connections, within its pool. */
static size_t
conn_limit(struct conn_table *t)
{
	const struct hellod_config *config = config_of(t);
	size_t n = config->max_connections / t->n_workers;

	return config->max_connections == 0 || n > t->max ? t->max : n > 0 ? n : 1;
}

void
conn_refuse(struct conn *c, enum refusal why)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };
	struct conn_table *t = c->table;

	(void)setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	conn_close(c);
	count(t, &t->stats->refused[why]);
}

bool
conn_evict(struct conn_table *t)
{
	if (t->lingering.oldest) {
		stats_add(&t->stats->refused[REFUSED_EVICTED], 1);
		conn_close(t->lingering.oldest);
		return true;
	}
	/* Then a proxy's connection that has waited longest for its header: silent ones from a
	 * trusted address cannot take every slot from the clients. */
	if (t->waiting.oldest) {
		conn_refuse(t->waiting.oldest, REFUSED_PROXY);
		return true;
	}
	return false;
}

/* Takes a free slot. At the limit the oldest lingering connection, which has had its
 * greeting and FIN for the longest, is closed to make room; when every connection is still
 * sending, there is no room: NULL. */
static struct conn *
conn_get(struct conn_table *t)
{
	struct conn *c;

	if (t->n >= conn_limit(t))
		conn_poll(t);   /* some may have closed since the last look */
	while (t->n >= conn_limit(t))
		if (!conn_evict(t))
			return NULL;
	if (t->free_list) {
		c = t->free_list;
		t->free_list = c->next;
	} else
		c = &t->pool[t->used++];
	*c = (struct conn){ .table = t };
	t->n++;
	return c;
}

/* Sends what is left of the greeting; once it is all out, shuts down our side so the FIN rides
 * on the last segment (MSG_MORE holds the data back for it). Returns < 0 to close. */
static int
conn_send(struct conn *c)
{
	ssize_t n;

	n = send(c->fd, c->line + c->sent, c->line_len - c->sent, MSG_NOSIGNAL | MSG_MORE);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	c->sent += (size_t)n;
	if (c->sent < c->line_len)
		return 0;
	(void)shutdown(c->fd, SHUT_WR);
	count(c->table, &c->table->stats->tcp_greetings);
	return 1;
}

/* One connection's readiness: the rest of the greeting can go, or the client sent something
 * or closed. A reset (EPOLLERR) needs no read: the client is gone. */
static void
conn_event(struct conn *c, uint32_t events)
{
	struct conn_table *t = c->table;
	int r;

	if (events & EPOLLERR)
		r = -1;
	else if (c->config) {
		r = conn_send(c);
		if (r > 0) {
			struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };

			c->config = config_unref(c->config);
			list_append(c, &t->lingering, config_of(t)->linger_usec);
			r = epoll_ctl(t->epoll, EPOLL_CTL_MOD, c->fd, &ev) < 0 ? -errno : 0;
		}
	} else
		r = fd_discard(c->fd, t->scratch, sizeof(t->scratch));
	if (r < 0)
		conn_close(c);
}

/* A waiting connection's event: its header came, whole or in part, or its end. A FIN
 * (EPOLLRDHUP) means no more of the header will come; a reset needs no read at all. */
static void
conn_waiting_event(struct conn *c, uint32_t events)
{
	struct conn_table *t = c->table;

	if (events & EPOLLERR)
		conn_refuse(c, REFUSED_PROXY);
	else
		t->header_cb(c, (events & (EPOLLRDHUP | EPOLLHUP)) != 0, t->header_userdata);
}

/* Handles what epoll_fd has ready. Handling an event closes, greets or moves at most its own
 * connection, and never takes a slot, so the rest of a batch stays valid. */
static void
poll_set(int epoll_fd, void (*handle)(struct conn *c, uint32_t events))
{
	struct epoll_event ev[HELLOD_CONN_EVENTS];

	for (int b = 0; b < HELLOD_CONN_BATCHES; b++) {
		int n = epoll_wait(epoll_fd, ev, HELLOD_CONN_EVENTS, 0);

		for (int i = 0; i < n; i++)
			handle(ev[i].data.ptr, ev[i].events);
		if (n < HELLOD_CONN_EVENTS)
			break;
	}
}

void
conn_poll(struct conn_table *t)
{
	t->unpolled = 0;
	if (t->waiting.oldest)
		poll_set(t->waiting_epoll, conn_waiting_event);
	poll_set(t->epoll, conn_event);
}

bool
conn_reap(struct conn_table *t)
{
	size_t n = t->n;

	conn_poll(t);
	return t->n < n;
}

/* The waiting connections are watched at all times, whatever conn_busy() did to the others:
 * a header is read when it arrives, not at the next sweep. */
static int
conn_waiting_cb(sd_event_source *source, int fd, uint32_t revents, void *userdata)
{
	struct conn_table *t = userdata;

	poll_set(t->waiting_epoll, conn_waiting_event);
	return 0;
}

/* The connections live in an epoll set of their own: no allocation, registration or removal
 * in sd-event per connection, and close() alone takes a connection out. While clients keep
 * coming, that set is polled after each round of accepts and by a short timer, not watched:
 * a client's FIN or reset then costs no wakeup of its own (measured in tests/bench/README.md).
 * Once a timer period passed without a new client, it is watched again. */
static int
conn_events_cb(sd_event_source *source, int fd, uint32_t revents, void *userdata)
{
	conn_poll(userdata);
	return 0;
}

static int
conn_sweep_cb(sd_event_source *source, uint64_t usec, void *userdata)
{
	struct conn_table *t = userdata;

	conn_poll(t);
	if (t->accepted) {
		t->accepted = false;
		timer_arm_at(source, usec + HELLOD_SWEEP_USEC);
	} else
		sd_event_source_set_enabled(t->source, SD_EVENT_ON);
	return 0;
}

void
conn_busy(struct conn_table *t)
{
	int enabled = SD_EVENT_OFF;

	t->accepted = true;
	if (t->n == 0)
		return;         /* close = fast: nothing lingers, nothing to poll */
	/* Polling after accepts pays once many connections came since the last look, or the
	 * table is getting full: an epoll_wait() then takes a batch. Otherwise the sweep timer
	 * polls within HELLOD_SWEEP_USEC, an epoll_wait() per period rather than per wakeup
	 * (issue 28); a full table is polled before anyone is evicted (conn_get()). */
	if (t->unpolled >= HELLOD_POLL_AFTER || t->n >= conn_limit(t) / 2)
		conn_poll(t);
	sd_event_source_get_enabled(t->source, &enabled);
	if (enabled == SD_EVENT_OFF)
		return;
	sd_event_source_set_enabled(t->source, SD_EVENT_OFF);
	timer_arm(t->sweep_timer, HELLOD_SWEEP_USEC);
}

/* The first deadline passed: a client too slow to take its greeting is cut off (counted), a
 * lingering one let go. What has arrived is handled first: after a pause of the whole process
 * (SIGSTOP), the timer and the data that came meanwhile are due at once, and a header that
 * did come in time must not lose to its own deadline. */
static int
conn_deadline_cb(sd_event_source *source, uint64_t usec, void *userdata)
{
	struct conn_table *t = userdata;

	/* A one-shot timer: off now, whatever the handling below appends arms it afresh. */
	t->deadline_armed = UINT64_MAX;
	conn_poll(t);
	while (t->sending.oldest && t->sending.oldest->deadline <= usec) {
		stats_add(&t->stats->refused[REFUSED_SEND_TIMEOUT], 1);
		conn_close(t->sending.oldest);
		t->changed(t->userdata);
	}
	while (t->lingering.oldest && t->lingering.oldest->deadline <= usec)
		conn_close(t->lingering.oldest);
	while (t->waiting.oldest && t->waiting.oldest->deadline <= usec)
		conn_refuse(t->waiting.oldest, REFUSED_PROXY);
	if (first_deadline(t) < t->deadline_armed)
		deadline_timer_arm(t, first_deadline(t));
	return 0;
}

/* While a rendered line is being sent it lives in c's own slot, lines[i], which nothing but c
 * ever writes: the caller's buffer is its own and gone once it returns. The config's own line
 * is held by c->config. */
static int
conn_keep_line(struct conn *c)
{
	struct conn_table *t = c->table;
	size_t i = (size_t)(c - t->pool);

	if (c->line == c->config->line)
		return 0;
	if (!t->lines)
		t->lines = calloc(t->max, sizeof(*t->lines));
	if (!t->lines)
		return -ENOMEM;
	memcpy(t->lines[i], c->line, c->line_len);
	c->line = t->lines[i];
	return 0;
}

/* Sends the greeting line on c, sent bytes of it out already, then lingers; op adds c's fd to
 * the epoll set (a new connection) or changes its events (one that waited for its header). */
static void
conn_start(struct conn *c, const char *line, size_t len, size_t sent,
    const struct addr_prefix *source, int op)
{
	struct conn_table *t = c->table;
	const struct hellod_config *config = config_of(t);
	struct epoll_event ev;
	int r;

	c->line = line;
	c->line_len = len;
	c->sent = sent;
	t->unpolled++;
	if (source) {
		c->counted = true;
		c->source = *source;
	}
	r = conn_send(c);
	if (r == 0) {
		c->config = config_ref(*t->config);
		list_append(c, &t->sending, config->send_usec);
		r = conn_keep_line(c);
	} else if (r > 0)
		list_append(c, &t->lingering, config->linger_usec);
	if (r >= 0) {
		ev = (struct epoll_event){ .events = r > 0 ? EPOLLIN : EPOLLOUT, .data.ptr = c };
		r = epoll_ctl(t->epoll, op, c->fd, &ev) < 0 ? -errno : 0;
	}
	if (r < 0)
		conn_close(c);
}

int
conn_open(struct conn_table *t, int fd, const char *line, size_t len, size_t sent,
    const struct addr_prefix *source)
{
	struct conn *c = conn_get(t);

	if (!c)
		return -ENOSPC;
	c->fd = fd;
	conn_start(c, line, len, sent, source, EPOLL_CTL_ADD);
	return 0;
}

void
conn_greet(struct conn *c, const char *line, size_t len, const struct addr_prefix *source)
{
	/* From the waiting set to the table's own; the header's buffer is done with. */
	header_drop(c);
	if (epoll_ctl(c->table->waiting_epoll, EPOLL_CTL_DEL, c->fd, NULL) < 0) {
		conn_close(c);
		return;
	}
	conn_start(c, line, len, 0, source, EPOLL_CTL_ADD);
}

char *
conn_header(struct conn *c)
{
	if (!c->header)
		c->header = malloc(PROXY_HEADER_MAX);
	return c->header;
}

int
conn_open_waiting(struct conn_table *t, int fd, const char *header, size_t len)
{
	struct conn *c = conn_get(t);
	/* Edge-triggered: each new segment (or the end) wakes it once, and is read at once, to
	 * the end of what came or of the header's room. What came before it was added, a FIN
	 * included, wakes it at once. */
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data.ptr = c };

	if (!c)
		return -ENOSPC;
	if (len > 0) {
		if (!conn_header(c)) {
			slot_free(c);  /* not conn_close(): fd stays the caller's */
			return -ENOMEM;
		}
		memcpy(c->header, header, len);
		c->header_len = len;
	}
	c->fd = fd;
	list_append(c, &t->waiting, config_of(t)->proxy_usec);
	if (epoll_ctl(t->waiting_epoll, EPOLL_CTL_ADD, fd, &ev) < 0)
		conn_close(c);
	return 0;
}

int
conn_table_init(struct conn_table *t, sd_event *event, size_t max, size_t n_workers,
    struct hellod_config *const *config, struct limits *limits, struct stats *stats,
    void (*changed)(void *userdata), void *userdata)
{
	int r;

	*t = (struct conn_table){ .max = max, .n_workers = n_workers, .epoll = -1,
		.waiting_epoll = -1, .deadline_armed = UINT64_MAX,
		.event = sd_event_ref(event), .config = config, .limits = limits, .stats = stats,
		.changed = changed, .userdata = userdata };
	t->pool = calloc(max, sizeof(*t->pool));
	if (!t->pool)
		return -ENOMEM;
	t->epoll = epoll_create1(EPOLL_CLOEXEC);
	if (t->epoll < 0)
		return -errno;
	t->waiting_epoll = epoll_create1(EPOLL_CLOEXEC);
	if (t->waiting_epoll < 0)
		return -errno;
	r = sd_event_add_io(event, &t->source, t->epoll, EPOLLIN, conn_events_cb, t);
	if (r >= 0)
		r = sd_event_add_io(event, &t->waiting_source, t->waiting_epoll, EPOLLIN,
		    conn_waiting_cb, t);
	if (r >= 0)
		r = timer_add(event, &t->sweep_timer, HELLOD_SWEEP_USEC / 10, conn_sweep_cb, t);
	if (r >= 0)
		r = timer_add(event, &t->deadline_timer, 0, conn_deadline_cb, t);
	return r < 0 ? r : 0;
}

void
conn_close_all(struct conn_table *t)
{
	while (t->waiting.oldest)
		conn_close(t->waiting.oldest);
	while (t->sending.oldest)
		conn_close(t->sending.oldest);
	while (t->lingering.oldest)
		conn_close(t->lingering.oldest);
}

void
conn_table_done(struct conn_table *t)
{
	conn_close_all(t);
	t->source = sd_event_source_disable_unref(t->source);
	t->waiting_source = sd_event_source_disable_unref(t->waiting_source);
	t->sweep_timer = sd_event_source_disable_unref(t->sweep_timer);
	t->deadline_timer = sd_event_source_disable_unref(t->deadline_timer);
	if (t->epoll >= 0)
		close(t->epoll);
	if (t->waiting_epoll >= 0)
		close(t->waiting_epoll);
	t->epoll = t->waiting_epoll = -1;
	t->event = sd_event_unref(t->event);
	free(t->pool);
	t->pool = NULL;
	free(t->lines);
	t->lines = NULL;
}
