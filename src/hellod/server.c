/* SPDX-License-Identifier: BSD-2-Clause */
/* The sd-event loop: greets on whatever sockets it is given, reloads, reports, stops. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "server.h"
#include "util.h"

/* A TCP connection after accept: the greeting is being sent, or it was sent with the FIN and
 * we wait for the client's FIN, discarding what it sends, so that our close() cannot reset the
 * connection and destroy the greeting before the client read it (DESIGN.md section 1). */
struct conn {
	int fd;
	size_t sent;                    /* bytes of the greeting line sent */
	uint64_t deadline;              /* CLOCK_MONOTONIC usec: closed then whatever happens */
	struct hellod_config *config;   /* held while a send is incomplete, NULL after */
	sd_event_source *source;
	struct conn *prev, *next;       /* open connections oldest first; next: free list too */
	struct server *server;
};

struct server {
	sd_event *event;
	struct hellod_config *config;
	struct hellod_config *bound;    /* the config the sockets were bound with */
	struct server_options options;
	struct listen_set *listen;
	sd_event_source *listen_sources[LISTEN_SOCKETS_MAX];
	sd_event_source *linger_timer, *pause_timer, *status_timer;
	char summary[HELLOD_STATUS_LEN / 2];    /* what is served, for STATUS= */

	struct conn *pool;              /* max_conns slots, handed out in order, then reused */
	size_t max_conns, pool_used, n_conns;
	struct conn *free_list, *oldest, *newest;

	uint64_t tcp_greetings, udp_greetings, evicted, udp_unanswered, accept_pauses;
	uint64_t last_warning;
	bool notify, status_armed, stopping;
	char scratch[HELLOD_DRAIN_CHUNK];       /* discarded input lands here */
};

static uint64_t
now_usec(struct server *s)
{
	uint64_t t = 0;

	sd_event_now(s->event, CLOCK_MONOTONIC, &t);
	return t;
}

static void
notify_status(struct server *s, const char *extra)
{
	/* Once stopping, "Serving" would be a lie: STOPPING=1 said the last word. */
	if (!s->notify || s->stopping)
		return;
	sd_notifyf(0, "%sSTATUS=Serving %s; greetings: %llu TCP, %llu UDP", extra, s->summary,
	    (unsigned long long)s->tcp_greetings, (unsigned long long)s->udp_greetings);
}

static int
status_timer_cb(sd_event_source *source, uint64_t usec, void *userdata)
{
	struct server *s = userdata;

	s->status_armed = false;
	notify_status(s, "");
	return 0;
}

/* Schedules a STATUS= update: at most one per HELLOD_STATUS_USEC, none while idle. */
static void
status_changed(struct server *s)
{
	if (!s->notify || s->status_armed)
		return;
	s->status_armed = true;
	sd_event_source_set_time(s->status_timer, now_usec(s) + HELLOD_STATUS_USEC);
	sd_event_source_set_enabled(s->status_timer, SD_EVENT_ONESHOT);
}

static void
log_peer(struct server *s, const struct sockaddr_storage *ss, socklen_t len, const char *proto)
{
	char peer[ADDR_STR_MAX];

	if (s->config->log_connections)
		log_info("Greeting %s over %s", addr_format((const struct sockaddr *)ss, len, peer,
		    sizeof(peer)), proto);
}

static void
linger_timer_arm(struct server *s)
{
	if (!s->oldest) {
		sd_event_source_set_enabled(s->linger_timer, SD_EVENT_OFF);
		return;
	}
	sd_event_source_set_time(s->linger_timer, s->oldest->deadline);
	sd_event_source_set_enabled(s->linger_timer, SD_EVENT_ONESHOT);
}

static void
conn_close(struct conn *c)
{
	struct server *s = c->server;
	bool was_oldest = c == s->oldest;

	c->source = sd_event_source_disable_unref(c->source);
	close(c->fd);
	c->config = config_unref(c->config);
	if (c->prev)
		c->prev->next = c->next;
	else
		s->oldest = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		s->newest = c->prev;
	c->prev = NULL;
	c->next = s->free_list;
	s->free_list = c;
	s->n_conns--;

	if (was_oldest)
		linger_timer_arm(s);
	if (s->stopping && s->n_conns == 0)
		sd_event_exit(s->event, 0);
}

/* Takes a free slot; when every slot is in use the oldest connection, which has had its
 * greeting and FIN for the longest, is closed to make room. */
static struct conn *
conn_get(struct server *s)
{
	struct conn *c;

	if (!s->free_list && s->pool_used == s->max_conns) {
		s->evicted++;
		conn_close(s->oldest);
	}
	if (s->free_list) {
		c = s->free_list;
		s->free_list = c->next;
	} else
		c = &s->pool[s->pool_used++];
	*c = (struct conn){ .server = s, .prev = s->newest };
	if (s->newest)
		s->newest->next = c;
	else
		s->oldest = c;
	s->newest = c;
	s->n_conns++;
	return c;
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
	c->server->tcp_greetings++;
	status_changed(c->server);
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

static int
conn_io_cb(sd_event_source *source, int fd, uint32_t revents, void *userdata)
{
	struct conn *c = userdata;
	int r;

	if (c->config) {
		r = conn_send(c, c->config);
		if (r > 0) {
			c->config = config_unref(c->config);
			r = sd_event_source_set_io_events(source, EPOLLIN);
		}
	} else
		r = conn_drain(c);
	if (r < 0)
		conn_close(c);
	return 0;
}

static void
conn_start(struct server *s, int fd)
{
	struct conn *c = conn_get(s);
	int r;

	c->fd = fd;
	c->deadline = now_usec(s) + HELLOD_LINGER_USEC;
	r = conn_send(c, s->config);
	if (r == 0)
		c->config = config_ref(s->config);
	if (r >= 0)
		r = sd_event_add_io(s->event, &c->source, fd, r > 0 ? EPOLLIN : EPOLLOUT,
		    conn_io_cb, c);
	if (r < 0) {
		conn_close(c);
		return;
	}
	if (c == s->oldest)
		linger_timer_arm(s);
}

static int
linger_timer_cb(sd_event_source *source, uint64_t usec, void *userdata)
{
	struct server *s = userdata;

	while (s->oldest && s->oldest->deadline <= usec)
		conn_close(s->oldest);
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

static int
pause_timer_cb(sd_event_source *source, uint64_t usec, void *userdata)
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

	s->accept_pauses++;
	if (now - s->last_warning >= HELLOD_WARN_INTERVAL_USEC || s->last_warning == 0) {
		s->last_warning = now;
		log_warning_errno(error, "Failed to accept a connection: %m; pausing for %llu ms "
		    "(%llu pauses so far)", HELLOD_ACCEPT_PAUSE_USEC / 1000,
		    (unsigned long long)s->accept_pauses);
	}
	listeners_enable(s, SD_EVENT_OFF);
	sd_event_source_set_time(s->pause_timer, now + HELLOD_ACCEPT_PAUSE_USEC);
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

static int
tcp_accept_cb(sd_event_source *source, int fd, uint32_t revents, void *userdata)
{
	struct server *s = userdata;

	for (int i = 0; i < HELLOD_ACCEPT_BURST; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		bool want_peer = s->config->log_connections;
		int cfd;

		cfd = accept4(fd, want_peer ? (struct sockaddr *)&ss : NULL, want_peer ? &len : NULL,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno == EAGAIN)
				return 0;
			if (accept_error_transient(errno))
				continue;
			if ((errno == EMFILE || errno == ENFILE) && s->oldest) {
				/* Out of fds: the oldest connection has had its greeting longest. */
				s->evicted++;
				conn_close(s->oldest);
				continue;
			}
			accept_pause(s, errno);
			return 0;
		}
		if (want_peer)
			log_peer(s, &ss, len, "TCP");
		conn_start(s, cfd);
	}
	return 0;
}

static int
udp_cb(sd_event_source *source, int fd, uint32_t revents, void *userdata)
{
	struct server *s = userdata;

	for (int i = 0; i < HELLOD_UDP_BURST; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		ssize_t n;

		n = recvfrom(fd, s->scratch, sizeof(s->scratch), MSG_TRUNC, (struct sockaddr *)&ss,
		    &len);
		if (n < 0) {
			if (errno == EAGAIN)
				break;
			continue;       /* a queued ICMP error or EINTR: the next datagram */
		}
		/* An unbound AF_UNIX sender has no address to answer (len may even be 0). */
		if (len <= offsetof(struct sockaddr_un, sun_path) && (len < sizeof(sa_family_t) ||
		    ss.ss_family == AF_UNIX)) {
			s->udp_unanswered++;
			continue;
		}
		if (sendto(fd, s->config->line, s->config->line_len, MSG_NOSIGNAL | MSG_DONTWAIT,
		    (struct sockaddr *)&ss, len) < 0) {
			s->udp_unanswered++;
			continue;
		}
		s->udp_greetings++;
		log_peer(s, &ss, len, "UDP");
	}
	status_changed(s);
	return 0;
}

static void
apply_log_level(struct server *s)
{
	log_set_max_level(s->options.log_level_override >= 0 ? s->options.log_level_override :
	    s->config->log_level);
}

void
server_log_config_errors(const struct config_errors *errors)
{
	for (unsigned i = 0; i < errors->n && i < HELLOD_CONFIG_ERRORS_MAX; i++) {
		char file[PATH_MAX + 32], line[32];
		const char *const fields[] = { file, line, NULL };

		snprintf(file, sizeof(file), "HELLOD_CONFIG_FILE=%s", errors->file);
		snprintf(line, sizeof(line), "HELLOD_CONFIG_LINE=%u", errors->line[i]);
		if (errors->line[i] > 0)
			log_struct(LOG_ERR, 0, HELLOD_MESSAGE_CONFIG_ERROR, fields, "%s:%u: %s",
			    errors->file, errors->line[i], errors->text[i]);
		else
			log_struct(LOG_ERR, 0, HELLOD_MESSAGE_CONFIG_ERROR, fields, "%s: %s",
			    errors->file, errors->text[i]);
	}
	if (errors->n > HELLOD_CONFIG_ERRORS_MAX)
		log_error("%s: %u more errors not shown", errors->file,
		    errors->n - HELLOD_CONFIG_ERRORS_MAX);
}

static void
server_reload(struct server *s)
{
	struct config_errors *errors;
	struct hellod_config *c = NULL;
	struct timespec ts;
	int r;

	if (s->stopping) {
		log_info("Stopping, not reloading");
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (s->notify)
		sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=Reloading %s",
		    (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000,
		    s->options.config_path);

	errors = malloc(sizeof(*errors));
	r = errors ? config_load(s->options.config_path, s->options.config_required, &c, errors) :
	    -ENOMEM;
	if (r < 0) {
		if (errors)
			server_log_config_errors(errors);
		log_struct(LOG_ERR, r, HELLOD_MESSAGE_RELOAD_FAILED, NULL,
		    "Reloading %s failed, still serving the previous configuration",
		    s->options.config_path);
	} else {
		if (!s->listen->activated && !config_same_listen(s->bound, c))
			log_warning("host, port, backlog, udp and workers take effect at the next "
			    "start, ignoring their changes");
		/* Said before the new log level applies: a quieter one must not hide it. */
		log_struct(LOG_INFO, 0, HELLOD_MESSAGE_RELOAD, NULL, "Reloaded %s",
		    c->path ? c->path : "the built-in defaults (no configuration file)");
		config_unref(s->config);
		s->config = c;
		apply_log_level(s);
	}
	free(errors);
	notify_status(s, "READY=1\n");
}

static void
server_stop(struct server *s)
{
	if (s->stopping) {
		sd_event_exit(s->event, 0);     /* a second signal: do not wait */
		return;
	}
	s->stopping = true;
	if (s->notify)
		sd_notify(0, "STOPPING=1\nSTATUS=Stopping");
	for (size_t i = 0; i < s->listen->n; i++)
		s->listen_sources[i] = sd_event_source_disable_unref(s->listen_sources[i]);
	listen_close(s->listen);
	if (s->n_conns == 0)
		sd_event_exit(s->event, 0);
	else
		log_info("Stopping: waiting up to %llu s for %zu clients to close",
		    HELLOD_LINGER_USEC / 1000000, s->n_conns);
}

static int
signal_cb(sd_event_source *source, const struct signalfd_siginfo *si, void *userdata)
{
	if (si->ssi_signo == SIGHUP)
		server_reload(userdata);
	else
		server_stop(userdata);
	return 0;
}

/* Room for lingering connections: what RLIMIT_NOFILE leaves once the listeners, stdio and a
 * reserve (for logging, reloads) are counted, after raising the soft limit. Never more than
 * that: with EMFILE first, the pool would never fill and evict. */
static size_t
connections_max(size_t n_listen)
{
	struct rlimit rl;
	rlim_t reserve, used, n;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 1;
	if (rl.rlim_cur < HELLOD_NOFILE_WANT && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max < HELLOD_NOFILE_WANT ? rl.rlim_max : HELLOD_NOFILE_WANT;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	reserve = rl.rlim_cur / 4 < HELLOD_FD_RESERVE ? rl.rlim_cur / 4 : HELLOD_FD_RESERVE;
	used = 3 + n_listen + reserve;
	n = rl.rlim_cur > used ? rl.rlim_cur - used : 1;
	return n > HELLOD_CONNECTIONS_MAX ? HELLOD_CONNECTIONS_MAX : (size_t)n;
}

static void
build_summary(struct server *s)
{
	size_t o = 0;

	s->summary[0] = '\0';
	for (size_t i = 0; i < s->listen->n && o + 1 < sizeof(s->summary); i++) {
		int k = snprintf(s->summary + o, sizeof(s->summary) - o, "%s%s %s", i ? ", " : "",
		    listen_kind(&s->listen->sockets[i]), s->listen->sockets[i].address);

		o += k > 0 ? (size_t)k : 0;
	}
}

static int
add_timer(struct server *s, sd_event_source **ret, sd_event_time_handler_t cb)
{
	int r = sd_event_add_time(s->event, ret, CLOCK_MONOTONIC, UINT64_MAX, 0, cb, s);

	if (r >= 0)
		r = sd_event_source_set_enabled(*ret, SD_EVENT_OFF);
	return r;
}

int
server_new(struct hellod_config *config, struct listen_set *set,
    const struct server_options *options, struct server **ret)
{
	struct server *s;
	int r;

	s = calloc(1, sizeof(*s));
	if (!s) {
		listen_close(set);
		return log_error_errno(ENOMEM, "Out of memory");
	}
	s->config = config_ref(config);
	s->bound = config_ref(config);
	s->options = *options;
	s->listen = set;
	s->notify = getenv("NOTIFY_SOCKET") != NULL;
	s->max_conns = connections_max(set->n);
	s->pool = calloc(s->max_conns, sizeof(*s->pool));
	build_summary(s);
	apply_log_level(s);
	if (!s->pool) {
		r = log_error_errno(ENOMEM, "Out of memory");
		goto fail;
	}

	r = sd_event_default(&s->event);
	if (r < 0) {
		log_error_errno(r, "Failed to create the event loop: %m");
		goto fail;
	}
	for (int sig = 0; r >= 0 && sig < 3; sig++)
		r = sd_event_add_signal(s->event, NULL, (int[]){ SIGTERM, SIGINT, SIGHUP }[sig],
		    signal_cb, s);
	for (size_t i = 0; r >= 0 && i < set->n; i++)
		r = sd_event_add_io(s->event, &s->listen_sources[i], set->sockets[i].fd, EPOLLIN,
		    set->sockets[i].type == SOCK_STREAM ? tcp_accept_cb : udp_cb, s);
	if (r >= 0)
		r = add_timer(s, &s->linger_timer, linger_timer_cb);
	if (r >= 0)
		r = add_timer(s, &s->pause_timer, pause_timer_cb);
	if (r >= 0)
		r = add_timer(s, &s->status_timer, status_timer_cb);
	/* Pings systemd at half of WatchdogSec= while the loop turns; a no-op without it. */
	if (r >= 0)
		r = sd_event_set_watchdog(s->event, 1);
	if (r < 0) {
		log_error_errno(r, "Failed to set up the event loop: %m");
		goto fail;
	}
	log_debug("Up to %zu connections at once", s->max_conns);
	*ret = s;
	return 0;
fail:
	server_free(s);
	return r;
}

int
server_run(struct server *s)
{
	char fields[2][64];
	const char *const f[] = { fields[0], fields[1], NULL };
	int r;

	log_struct(LOG_INFO, 0, HELLOD_MESSAGE_START, NULL, "Started hellod %s, serving %s",
	    HELLOD_VERSION, s->summary);
	notify_status(s, "READY=1\n");
	r = sd_event_loop(s->event);
	snprintf(fields[0], sizeof(fields[0]), "HELLOD_TCP_GREETINGS=%llu",
	    (unsigned long long)s->tcp_greetings);
	snprintf(fields[1], sizeof(fields[1]), "HELLOD_UDP_GREETINGS=%llu",
	    (unsigned long long)s->udp_greetings);
	log_struct(LOG_INFO, 0, HELLOD_MESSAGE_STOP, f, "Stopped after %llu TCP and %llu "
	    "UDP greetings", (unsigned long long)s->tcp_greetings,
	    (unsigned long long)s->udp_greetings);
	return r;
}

struct server *
server_free(struct server *s)
{
	if (!s)
		return NULL;
	while (s->oldest)
		conn_close(s->oldest);
	for (size_t i = 0; i < s->listen->n; i++)
		sd_event_source_disable_unref(s->listen_sources[i]);
	listen_close(s->listen);
	sd_event_source_disable_unref(s->linger_timer);
	sd_event_source_disable_unref(s->pause_timer);
	sd_event_source_disable_unref(s->status_timer);
	sd_event_unref(s->event);
	config_unref(s->config);
	config_unref(s->bound);
	free(s->pool);
	free(s);
	return NULL;
}
