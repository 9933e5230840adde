/* SPDX-License-Identifier: BSD-2-Clause */
/* The metrics endpoint: accept (allow, then a slot of HELLOD_METRICS_CONNECTIONS), read the
 * request to its bound and deadline, answer from the connection's own buffer with the FIN
 * behind it, then discard what the scraper still sends until its end or the deadline. The
 * connections live in an epoll set of their own, in the main thread's loop; every step is
 * bounded, so that greetings on that loop wait for none. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "log.h"
#include "metrics-text.h"
#include "metrics.h"
#include "timer.h"
#include "util.h"

/* Room before the body for the status line and headers, which are written last. */
#define HEAD_ROOM 256

enum mconn_state {
	MCONN_FREE,
	MCONN_READING,          /* the request, by HELLOD_METRICS_REQUEST_USEC */
	MCONN_SENDING,          /* the answer, by HELLOD_METRICS_ANSWER_USEC ... */
	MCONN_LINGERING,        /* ... sent with the FIN: what comes is discarded until the end */
};

/* A scraper's connection: its request and its answer are its own. */
struct mconn {
	int fd;
	enum mconn_state state;
	uint64_t deadline;              /* CLOCK_MONOTONIC usec */
	uint64_t seq;                   /* accept order: the oldest gives way first */
	size_t got;                     /* bytes of request[] read */
	size_t start, end, sent;        /* the answer: answer[start..end), sent bytes of it out */
	char request[HELLOD_METRICS_REQUEST_MAX];
	char answer[HEAD_ROOM + HELLOD_METRICS_RESPONSE_MAX];
};

struct metrics {
	sd_event *event;
	struct hellod_config *const *config;
	const struct status_board *board;
	struct listen_set listen;
	sd_event_source *listen_sources[LISTEN_SOCKETS_MAX];
	int epoll;                      /* the connections' fds */
	sd_event_source *epoll_source;
	sd_event_source *deadline_timer; /* the first deadline of any connection */
	sd_event_source *pause_timer;   /* accepting again after EMFILE and the like */
	uint64_t seq;
	struct metrics_values values;   /* the endpoint's own counts and the reloads' */
	struct mconn conns[HELLOD_METRICS_CONNECTIONS];
	char scratch[HELLOD_DRAIN_CHUNK]; /* discarded input lands here; nothing is sent from it */
};

static double
realtime_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

size_t
metrics_fds(size_t n_listen)
{
	return n_listen + HELLOD_METRICS_CONNECTIONS + 1;
}

static void
deadline_timer_arm(struct metrics *m)
{
	uint64_t first = UINT64_MAX;

	for (size_t i = 0; i < HELLOD_METRICS_CONNECTIONS; i++)
		if (m->conns[i].state != MCONN_FREE && m->conns[i].deadline < first)
			first = m->conns[i].deadline;
	timer_arm_at(m->deadline_timer, first);
}

static void
mconn_close(struct metrics *m, struct mconn *c)
{
	/* Closing the fd takes it out of the epoll set as well: it has no duplicate. */
	close(c->fd);
	c->fd = -1;
	c->state = MCONN_FREE;
}

/* A reset: nothing of the connection stays behind, in TIME_WAIT or elsewhere. */
static void
reset(int fd)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };

	(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(fd);
}

static void
mconn_watch(struct metrics *m, struct mconn *c, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = c };

	if (epoll_ctl(m->epoll, EPOLL_CTL_MOD, c->fd, &ev) < 0)
		mconn_close(m, c);
}

/* Sends what is left of the answer; once it is all out, our FIN follows it and whatever the
 * scraper still sends is discarded until its end, so that our close cannot reset the answer
 * away before it was read. */
static void
mconn_send(struct metrics *m, struct mconn *c)
{
	ssize_t n = send(c->fd, c->answer + c->start + c->sent, c->end - c->start - c->sent,
	    MSG_NOSIGNAL | MSG_DONTWAIT);

	if (n < 0 && errno != EAGAIN && errno != EINTR) {
		mconn_close(m, c);
		return;
	}
	c->sent += n > 0 ? (size_t)n : 0;
	if (c->sent < c->end - c->start) {
		mconn_watch(m, c, EPOLLOUT);
		return;
	}
	(void)shutdown(c->fd, SHUT_WR);
	c->state = MCONN_LINGERING;
	mconn_watch(m, c, EPOLLIN);
}

/* The metrics for the body: the workers' counters summed, as STATUS= sums them. */
static int
render_metrics(struct metrics *m, char *buf, size_t len)
{
	const struct hellod_config *config = *m->config;
	struct metrics_values *v = &m->values;

	status_sum(m->board, &v->sum);
	v->workers = m->board->n;
	v->has_quotes = config->quotes_path != NULL;
	v->quotes = config->quotes ? config->quotes->n : 0;
	metrics_process_read(&v->process);
	return metrics_text_render(v, buf, len);
}

/* Answers with code (the metrics for METRICS_200), the body left out for HEAD: rendered into
 * the connection's own buffer, then sent. */
static void
mconn_answer(struct metrics *m, struct mconn *c, enum metrics_code code, bool head)
{
	char *body = c->answer + HEAD_ROOM, status[HEAD_ROOM];
	int n, k;

	m->values.requests[code]++;
	if (code == METRICS_200)
		n = render_metrics(m, body, HELLOD_METRICS_RESPONSE_MAX);
	else
		n = snprintf(body, HELLOD_METRICS_RESPONSE_MAX, "%u %s\n", metrics_code_number(code),
		    metrics_code_reason(code));
	if (n < 0) {
		/* Cannot happen: HELLOD_METRICS_RESPONSE_MAX holds the text with room to spare
		 * (test_metrics). Nothing is better than a cut text. */
		log_error("The metrics did not fit in %d bytes, ignoring the scrape",
		    HELLOD_METRICS_RESPONSE_MAX);
		mconn_close(m, c);
		return;
	}
	k = snprintf(status, sizeof(status), "HTTP/1.1 %u %s\r\nContent-Type: %s\r\n"
	    "Content-Length: %d\r\n%sConnection: close\r\n\r\n", metrics_code_number(code),
	    metrics_code_reason(code), code == METRICS_200 ?
	    "text/plain; version=0.0.4; charset=utf-8" : "text/plain; charset=utf-8", n,
	    code == METRICS_405 ? "Allow: GET, HEAD\r\n" : "");
	if (k < 0 || (size_t)k >= sizeof(status)) {
		mconn_close(m, c);      /* cannot happen: the longest head is ~150 bytes */
		return;
	}
	c->start = HEAD_ROOM - (size_t)k;
	memcpy(c->answer + c->start, status, (size_t)k);
	c->end = HEAD_ROOM + (head ? 0 : (size_t)n);
	c->sent = 0;
	c->state = MCONN_SENDING;
	c->deadline = timer_now() + HELLOD_METRICS_ANSWER_USEC;
	deadline_timer_arm(m);
	mconn_send(m, c);
}

/* A whole request, or a bad one: what to answer. */
static void
mconn_route(struct metrics *m, struct mconn *c, int r, const struct http_request *req)
{
	if (r == -EMSGSIZE) {
		m->values.refused[METRICS_REFUSED_TOO_LARGE]++;
		mconn_answer(m, c, METRICS_431, false);
	} else if (r == -EPROTONOSUPPORT)
		mconn_answer(m, c, METRICS_505, false);
	else if (r < 0)
		mconn_answer(m, c, METRICS_400, false);
	else if (!req->metrics)
		mconn_answer(m, c, METRICS_404, req->method == HTTP_HEAD);
	else if (req->method == HTTP_OTHER)
		mconn_answer(m, c, METRICS_405, false);
	else
		mconn_answer(m, c, METRICS_200, req->method == HTTP_HEAD);
}

/* Reads what came of the request; answers once it is whole or bad. */
static void
mconn_read(struct metrics *m, struct mconn *c)
{
	struct http_request req;
	ssize_t n;
	int r;

	n = recv(c->fd, c->request + c->got, sizeof(c->request) - c->got, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		/* The scraper went away, or reset, before its request was whole. */
		mconn_close(m, c);
		return;
	}
	c->got += (size_t)n;
	r = http_parse(c->request, c->got, sizeof(c->request), &req);
	if (r != 0)
		mconn_route(m, c, r, &req);
}

static void
mconn_event(struct metrics *m, struct mconn *c, uint32_t events)
{
	if (c->state == MCONN_READING)
		mconn_read(m, c);
	else if (c->state == MCONN_SENDING && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
		mconn_send(m, c);
	else if (c->state == MCONN_LINGERING &&
	    fd_discard(c->fd, m->scratch, sizeof(m->scratch)) < 0)
		mconn_close(m, c);      /* its end, or a reset */
}

static int
epoll_cb(sd_event_source *source, int fd, uint32_t revents, void *userdata)
{
	struct metrics *m = userdata;
	struct epoll_event ev[HELLOD_METRICS_CONNECTIONS];
	int n = epoll_wait(m->epoll, ev, HELLOD_METRICS_CONNECTIONS, 0);

	/* Each event closes or moves its own connection only: the rest of the batch stays
	 * valid. */
	for (int i = 0; i < n; i++)
		mconn_event(m, ev[i].data.ptr, ev[i].events);
	return 0;
}

/* The deadlines: a request not whole in time is answered 408, an answer not taken in time, or
 * a scraper that keeps its end open, is let go. */
static int
deadline_cb(sd_event_source *source, uint64_t usec, void *userdata)
{
	struct metrics *m = userdata;

	for (size_t i = 0; i < HELLOD_METRICS_CONNECTIONS; i++) {
		struct mconn *c = &m->conns[i];

		if (c->state == MCONN_FREE || c->deadline > usec)
			continue;
		if (c->state == MCONN_READING) {
			m->values.refused[METRICS_REFUSED_TIMEOUT]++;
			mconn_answer(m, c, METRICS_408, false);
		} else
			mconn_close(m, c);
	}
	deadline_timer_arm(m);
	return 0;
}

/* A free slot, or the one that gives way: the oldest that has had its answer, else the oldest
 * still to send its request (a silent scraper, counted as refused). Those still being
 * answered are never taken. NULL: none. */
static struct mconn *
mconn_get(struct metrics *m)
{
	struct mconn *lingering = NULL, *reading = NULL;

	for (size_t i = 0; i < HELLOD_METRICS_CONNECTIONS; i++) {
		struct mconn *c = &m->conns[i];

		if (c->state == MCONN_FREE)
			return c;
		if (c->state == MCONN_LINGERING && (!lingering || c->seq < lingering->seq))
			lingering = c;
		if (c->state == MCONN_READING && (!reading || c->seq < reading->seq))
			reading = c;
	}
	if (lingering) {
		mconn_close(m, lingering);
		return lingering;
	}
	if (reading) {
		m->values.refused[METRICS_REFUSED_CONNECTIONS]++;
		reset(reading->fd);
		reading->fd = -1;
		reading->state = MCONN_FREE;
		return reading;
	}
	return NULL;
}

/* A new scraper on fd, from ss: allowed, given a slot, and read at once, since its request
 * usually came with the handshake. */
static void
mconn_open(struct metrics *m, int fd, const struct sockaddr_storage *ss, socklen_t len)
{
	struct addr_prefix source;
	struct mconn *c;
	struct epoll_event ev = { .events = EPOLLIN };

	/* An AF_UNIX scraper has no address: whoever may connect to the socket may scrape. */
	if (addr_source((const struct sockaddr *)ss, len, &source) &&
	    !config_may_scrape(*m->config, &source)) {
		m->values.refused[METRICS_REFUSED_ACCESS]++;
		reset(fd);
		return;
	}
	c = mconn_get(m);
	if (!c) {
		m->values.refused[METRICS_REFUSED_CONNECTIONS]++;
		reset(fd);
		return;
	}
	c->fd = fd;
	c->state = MCONN_READING;
	c->seq = ++m->seq;
	c->got = 0;
	c->deadline = timer_now() + HELLOD_METRICS_REQUEST_USEC;
	ev.data.ptr = c;
	if (epoll_ctl(m->epoll, EPOLL_CTL_ADD, fd, &ev) < 0) {
		mconn_close(m, c);
		return;
	}
	deadline_timer_arm(m);
	mconn_read(m, c);
}

static void
listeners_enable(struct metrics *m, int enabled)
{
	for (size_t i = 0; i < m->listen.n; i++)
		if (m->listen_sources[i])
			sd_event_source_set_enabled(m->listen_sources[i], enabled);
}

static int
pause_cb(sd_event_source *source, uint64_t usec, void *userdata)
{
	listeners_enable(userdata, SD_EVENT_ON);
	return 0;
}

static int
accept_cb(sd_event_source *source, int fd, uint32_t revents, void *userdata)
{
	struct metrics *m = userdata;

	for (int i = 0; i < HELLOD_METRICS_ACCEPT_BURST; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int cfd = accept4(fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (cfd < 0 && errno == EAGAIN)
			break;
		if (cfd < 0 && (errno == EINTR || errno == ECONNABORTED || errno == EPROTO))
			continue;
		if (cfd < 0) {
			/* Out of fds or memory: accepting again at once would spin. */
			log_warning_errno(errno, "Failed to accept a scraper: %m; pausing the metrics "
			    "for %llu ms", HELLOD_ACCEPT_PAUSE_USEC / 1000);
			listeners_enable(m, SD_EVENT_OFF);
			timer_arm(m->pause_timer, HELLOD_ACCEPT_PAUSE_USEC);
			break;
		}
		mconn_open(m, cfd, &ss, len);
	}
	return 0;
}

void
metrics_reloaded(struct metrics *m, bool ok)
{
	if (!m)
		return;
	m->values.reload_ok = ok;
	if (ok) {
		m->values.reloads++;
		m->values.loaded_at = realtime_now();
	} else
		m->values.reload_failures++;
}

void
metrics_stop(struct metrics *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->listen.n; i++)
		m->listen_sources[i] = sd_event_source_disable_unref(m->listen_sources[i]);
	listen_close(&m->listen);
	for (size_t i = 0; i < HELLOD_METRICS_CONNECTIONS; i++)
		if (m->conns[i].state != MCONN_FREE)
			mconn_close(m, &m->conns[i]);
	timer_arm_at(m->deadline_timer, UINT64_MAX);
}

struct metrics *
metrics_free(struct metrics *m)
{
	if (!m)
		return NULL;
	metrics_stop(m);
	m->epoll_source = sd_event_source_disable_unref(m->epoll_source);
	m->deadline_timer = sd_event_source_disable_unref(m->deadline_timer);
	m->pause_timer = sd_event_source_disable_unref(m->pause_timer);
	if (m->epoll >= 0)
		close(m->epoll);
	sd_event_unref(m->event);
	free(m);
	return NULL;
}

/* The endpoint's sources: its listeners, its connections' epoll set, its timers. */
static int
metrics_setup(struct metrics *m)
{
	int r = 0;

	m->epoll = epoll_create1(EPOLL_CLOEXEC);
	if (m->epoll < 0)
		return -errno;
	for (size_t i = 0; r >= 0 && i < m->listen.n; i++)
		r = sd_event_add_io(m->event, &m->listen_sources[i], m->listen.sockets[i].fd,
		    EPOLLIN, accept_cb, m);
	if (r >= 0)
		r = sd_event_add_io(m->event, &m->epoll_source, m->epoll, EPOLLIN, epoll_cb, m);
	/* A tenth of the deadlines: sd-event's default accuracy, 250 ms, would be a twelfth
	 * of the request's 3 s. */
	if (r >= 0)
		r = timer_add(m->event, &m->deadline_timer, HELLOD_METRICS_REQUEST_USEC / 10,
		    deadline_cb, m);
	if (r >= 0)
		r = timer_add(m->event, &m->pause_timer, 0, pause_cb, m);
	return r;
}

int
metrics_new(sd_event *event, struct hellod_config *const *config,
    const struct status_board *board, struct listen_set *listen, struct metrics **ret)
{
	struct metrics *m;
	int r;

	*ret = NULL;
	if (listen->n == 0)
		return 0;
	m = calloc(1, sizeof(*m));
	if (!m) {
		listen_close(listen);
		return log_error_errno(ENOMEM, "Out of memory");
	}
	m->event = sd_event_ref(event);
	m->config = config;
	m->board = board;
	m->listen = *listen;
	listen->n = 0;
	m->epoll = -1;
	for (size_t i = 0; i < HELLOD_METRICS_CONNECTIONS; i++)
		m->conns[i].fd = -1;
	m->values.reload_ok = true;
	m->values.loaded_at = realtime_now();
	r = metrics_setup(m);
	if (r < 0) {
		metrics_free(m);
		return log_error_errno(r, "Failed to set up the metrics endpoint: %m");
	}
	*ret = m;
	return 0;
}
