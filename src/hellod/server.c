/* SPDX-License-Identifier: BSD-2-Clause */
/* The sd-event loop over whatever sockets it is given: UDP, status, reload, stop. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "server-internal.h"
#include "util.h"

/* The signals the loop takes: stop, reload, and SIGUSR1, which logs the counters. */
static const int handled_signals[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1 };
/* Signals whose default is to end the process, sent by strays (a logrotate snippet written for
 * another daemon, a terminal's Ctrl-\, a UPS daemon): ignored, so that none of them ends the
 * service, drops its clients and leaves its PID file behind. */
static const int ignored_signals[] = { SIGUSR2, SIGALRM, SIGQUIT, SIGPWR, SIGVTALRM, SIGPROF,
	SIGPOLL, SIGSTKFLT };

void
server_signals_setup(void)
{
	struct sigaction sa = { .sa_handler = SIG_IGN };
	sigset_t mask;

	/* sd-event takes these as signalfd events: they must not be delivered otherwise. */
	sigemptyset(&mask);
	for (size_t i = 0; i < ELEMENTSOF(handled_signals); i++)
		sigaddset(&mask, handled_signals[i]);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	for (size_t i = 0; i < ELEMENTSOF(ignored_signals); i++)
		(void)sigaction(ignored_signals[i], &sa, NULL);
	/* The real-time signals too: each would end the process just the same. */
	for (int sig = SIGRTMIN; sig <= SIGRTMAX; sig++)
		(void)sigaction(sig, &sa, NULL);
}

/* Stopping: ends the loop once no connection is left (the main thread's: and every worker's
 * loop has ended). Run at the stop, then as a post source after every event. */
static void
server_maybe_exit(struct server *s)
{
	size_t running;

	if (!s->stopping || s->conns.n > 0)
		return;
	pthread_mutex_lock(&s->group->lock);
	running = s->group->running;
	pthread_mutex_unlock(&s->group->lock);
	if (s->id > 0 || running == 0)
		sd_event_exit(s->event, 0);
}

static int
exit_post_cb(sd_event_source *source, void *userdata)
{
	server_maybe_exit(userdata);
	return 0;
}

/* A stop's drain_timeout passed: the clients still there are let go. */
static int
drain_timer_cb(sd_event_source *source, uint64_t usec, void *userdata)
{
	struct server *s = userdata;

	if (s->conns.n > 0)
		log_notice("drain_timeout passed, closing %zu connections", s->conns.n);
	conn_close_all(&s->conns);
	return 0;       /* the exit post source ends the loop */
}

static void
server_stop(struct server *s)
{
	char period[32];

	if (s->stopping) {
		/* A second signal: do not wait. */
		workers_publish(s->group, NULL, true, true);
		sd_event_exit(s->event, 0);
		return;
	}
	/* Atomic: the workers' STATUS= updates look at the main thread's. */
	__atomic_store_n(&s->stopping, true, __ATOMIC_RELAXED);
	if (s->id == 0)
		notify_state(s, NOTIFY_STOPPING, 0, "Stopping");
	for (size_t i = 0; i < s->listen->n; i++)
		s->listen_sources[i] = sd_event_source_disable_unref(s->listen_sources[i]);
	/* Sockets the workers share are closed once none of them listens any more. */
	if (s->id == 0)
		workers_publish(s->group, NULL, true, false);
	listen_close(s->listen);
	if (s->id == 0 && s->group->n == 1 && s->conns.n > 0)
		log_info("Stopping: waiting up to %s for %zu clients to close",
		    format_usec(s->config->drain_usec, period, sizeof(period)), s->conns.n);
	else if (s->id == 0 && s->group->n > 1)
		log_info("Stopping: waiting up to %s for clients to close",
		    format_usec(s->config->drain_usec, period, sizeof(period)));
	if (s->conns.n > 0) {
		sd_event_source_set_time_relative(s->drain_timer, s->config->drain_usec);
		sd_event_source_set_enabled(s->drain_timer, SD_EVENT_ONESHOT);
	}
	/* From now on every event (a connection's end, a worker's) is followed by the check. */
	sd_event_source_set_enabled(s->exit_source, SD_EVENT_ON);
	server_maybe_exit(s);
}

static int
signal_cb(sd_event_source *source, const struct signalfd_siginfo *si, void *userdata)
{
	struct server *s = userdata;
	char status[HELLOD_STATUS_LEN];

	if (si->ssi_signo == SIGHUP)
		server_reload(s);
	else if (si->ssi_signo == SIGUSR1)
		log_info("%s", status_format(s, status, sizeof(status)));
	else
		server_stop(s);
	return 0;
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

/* Room for connections: what RLIMIT_NOFILE leaves once the listeners, stdio and a reserve
 * (for logging, reloads) are counted, after raising the soft limit. Never more than that: with
 * EMFILE first, the pool would never fill and evict. */
static size_t
connections_budget(size_t n_listen, size_t n_workers)
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
	/* Each worker also holds its loop's epoll, its connections' epoll, a timerfd and an
	 * eventfd. */
	used = 3 + n_listen + reserve + 4 * n_workers;
	n = rl.rlim_cur > used ? rl.rlim_cur - used : 0;
	return n > HELLOD_CONNECTIONS_MAX ? HELLOD_CONNECTIONS_MAX : (size_t)n;
}

static bool
serves_tcp(const struct listen_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		if (set->sockets[i].type == SOCK_STREAM)
			return true;
	return false;
}

static void
counters_changed(void *userdata)
{
	status_changed(userdata);
}

static int
server_new_one(struct server_group *g, unsigned id, struct hellod_config *config,
    struct listen_set *set, const struct server_options *options, size_t max_conns,
    size_t n_workers)
{
	struct server *s;
	int r;

	s = calloc(1, sizeof(*s));
	if (!s) {
		listen_close(set);
		return log_error_errno(ENOMEM, "Out of memory");
	}
	g->servers[g->n++] = s;
	s->group = g;
	s->id = id;
	s->mailbox_fd = -1;
	s->conns.epoll = -1;
	s->config = config_ref(config);
	s->bound = config_ref(config);
	s->options = *options;
	s->listen = set;
	build_summary(s);

	/* The main thread's loop is its default one; a worker's is its own. */
	r = id == 0 ? sd_event_default(&s->event) : sd_event_new(&s->event);
	if (r < 0)
		return log_error_errno(r, "Failed to create the event loop: %m");
	for (size_t i = 0; r >= 0 && id == 0 && i < ELEMENTSOF(handled_signals); i++)
		r = sd_event_add_signal(s->event, NULL, handled_signals[i], signal_cb, s);
	for (size_t i = 0; r >= 0 && i < set->n; i++)
		r = sd_event_add_io(s->event, &s->listen_sources[i], set->sockets[i].fd, EPOLLIN,
		    set->sockets[i].type == SOCK_STREAM ? tcp_accept_cb : udp_cb,
		    set->sockets[i].type == SOCK_STREAM ? (void *)&s->tcp : (void *)&s->udp);
	s->udp = (struct udp){ .event = s->event, .config = &s->config, .listen = set,
		.limits = g->limits, .stats = &s->stats, .changed = counters_changed, .userdata = s };
	if (r >= 0)
		r = udp_setup(&s->udp);
	if (r >= 0)
		r = conn_table_init(&s->conns, s->event, max_conns, n_workers, &s->config,
		    g->limits, &s->stats, counters_changed, s);
	if (r >= 0)
		r = sd_event_add_post(s->event, &s->exit_source, exit_post_cb, s);
	if (r >= 0)
		r = sd_event_source_set_enabled(s->exit_source, SD_EVENT_OFF);
	s->tcp = (struct tcp){ .event = s->event, .config = &s->config, .conns = &s->conns,
		.limits = g->limits, .stats = &s->stats, .listen = set,
		.listen_sources = s->listen_sources, .stopping = &s->stopping,
		.changed = counters_changed, .userdata = s };
	if (r >= 0)
		r = tcp_setup(&s->tcp);
	if (r >= 0)
		r = add_timer(s, &s->status_timer, status_timer_cb);
	if (r >= 0)
		r = add_timer(s, &s->drain_timer, drain_timer_cb);
	if (r >= 0 && id == 0)
		r = add_timer(s, &s->summary_timer, summary_timer_cb);
	if (r >= 0 && id == 0)
		r = add_timer(s, &s->reload_timer, reload_timer_cb);
	/* A reload waiting for a quiet file is due 0.1 s later, not up to sd-event's default
	 * slack of 250 ms more. */
	if (r >= 0 && id == 0)
		r = sd_event_source_set_time_accuracy(s->reload_timer, HELLOD_RELOAD_QUIET_USEC / 10);
	if (r >= 0 && options->workers > 1)
		r = workers_mailbox_add(s);
	if (r >= 0 && id == 0)
		r = status_watchdog_add(s);
	if (r < 0)
		return log_error_errno(r, "Failed to set up the event loop: %m");
	return 0;
}

/* The group the workers share: its lock, the published config, the notifier. */
static struct server_group *
group_new(struct hellod_config *config)
{
	struct server_group *g = calloc(1, sizeof(*g));
	pthread_condattr_t attr;
	int r;

	if (!g)
		return NULL;
	pthread_mutex_init(&g->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&g->taken, &attr);
	pthread_condattr_destroy(&attr);
	g->config = config_ref(config);
	g->stop_cb = server_stop;
	r = notify_open(&g->notify);
	if (r == -EINVAL)
		log_warning("NOTIFY_SOCKET=%s is not an AF_UNIX path or @abstract address, ignoring",
		    getenv("NOTIFY_SOCKET"));
	else if (r < 0)
		log_warning_errno(r, "Cannot talk to $NOTIFY_SOCKET: %m, ignoring");
	return g;
}

/* Frees the group, once its servers are gone (or none was made). */
static void
group_free(struct server_group *g)
{
	limits_free(g->limits);
	notify_free(g->notify);
	config_unref(g->config);
	pthread_cond_destroy(&g->taken);
	pthread_mutex_destroy(&g->lock);
	free(g);
}

/* Each of the n workers' share of max_connections, within the fds left, into *ret_max.
 * Returns 0, or -EMFILE (logged) when that leaves no room for a handful of clients. */
static int
connections_plan(const struct hellod_config *config, const struct listen_set *sets,
    unsigned n, size_t *ret_max)
{
	size_t n_listen = 0, budget, total;

	for (unsigned i = 0; i < n; i++)
		n_listen += sets[i].shared ? 0 : sets[i].n;
	budget = connections_budget(n_listen, n);
	if (serves_tcp(&sets[0]) && (budget < HELLOD_CONNECTIONS_MIN || budget < n)) {
		struct rlimit rl = { 0 };

		(void)getrlimit(RLIMIT_NOFILE, &rl);
		log_error("The open files limit (RLIMIT_NOFILE %llu) leaves room for %zu connections; "
		    "hellod needs %u or more: raise it (LimitNOFILE=, ulimit -n)",
		    (unsigned long long)rl.rlim_cur, budget,
		    n > HELLOD_CONNECTIONS_MIN ? n : HELLOD_CONNECTIONS_MIN);
		return -EMFILE;
	}
	total = config->max_connections ? config->max_connections : HELLOD_CONNECTIONS_AUTO;
	if (total > budget) {
		if (config->max_connections > 0)
			log_warning("max_connections = %u: the open files limit leaves room for %zu",
			    config->max_connections, budget);
		total = budget;
	}
	*ret_max = total / n > 0 ? total / n : 1;
	return 0;
}

int
server_new(struct hellod_config *config, struct listen_set *sets,
    const struct server_options *options, struct server **ret)
{
	struct server_group *g = group_new(config);
	unsigned n = options->workers > 0 ? options->workers : 1; /* main.c resolved auto */
	size_t max_conns = 1;
	int r;

	if (!g) {
		for (unsigned i = 0; i < n; i++)
			listen_close(&sets[i]);
		return log_error_errno(ENOMEM, "Out of memory");
	}
	r = connections_plan(config, sets, n, &max_conns);
	if (r == 0 && (r = limits_new(max_conns * n, &g->limits)) < 0)
		log_error_errno(r, "Out of memory");
	for (unsigned i = 0; i < n; i++) {
		if (r >= 0)
			r = server_new_one(g, i, config, &sets[i], options, max_conns, n);
		else
			listen_close(&sets[i]);
	}
	if (g->n == 0) {
		group_free(g);
		return r;
	}
	server_apply_log_level(g->servers[0]);
	if (r < 0) {
		server_free(g->servers[0]);
		return r;
	}
	log_debug("Up to %zu connections at once in each of %u workers", max_conns, n);
	*ret = g->servers[0];
	return 0;
}

int
server_run(struct server *s)
{
	struct server_group *g = s->group;
	char fields[2][64];
	const char *const f[] = { fields[0], fields[1], NULL };
	struct stats st;
	uint64_t tcp, udp;
	int r;

	r = workers_start(g);
	if (r < 0)
		return r;       /* server_free() ends the workers that started */
	log_struct(LOG_INFO, 0, HELLOD_MESSAGE_START, NULL, "Started hellod %s, serving %s%s",
	    HELLOD_VERSION, s->summary, g->n > 1 ? " with SO_REUSEPORT workers" : "");
	if (g->n > 1)
		log_info("%zu workers", g->n);
	notify_status(s, NOTIFY_READY);
	summary_timer_arm(s);
	r = sd_event_loop(s->event);
	/* Ended by a second signal or an error: the workers end too. */
	workers_end(g);
	if (r >= 0 && g->failed)
		r = -EIO;
	workers_stats(g, &st);
	tcp = st.tcp_greetings;
	udp = st.udp_greetings;
	snprintf(fields[0], sizeof(fields[0]), "HELLOD_TCP_GREETINGS=%llu", (unsigned long long)tcp);
	snprintf(fields[1], sizeof(fields[1]), "HELLOD_UDP_GREETINGS=%llu", (unsigned long long)udp);
	log_struct(LOG_INFO, 0, HELLOD_MESSAGE_STOP, f, "Stopped after %llu TCP and %llu "
	    "UDP greetings", (unsigned long long)tcp, (unsigned long long)udp);
	return r;
}

static void
server_free_one(struct server *s)
{
	conn_table_done(&s->conns);
	for (size_t i = 0; i < s->listen->n; i++)
		sd_event_source_disable_unref(s->listen_sources[i]);
	sd_event_source_disable_unref(s->exit_source);
	tcp_done(&s->tcp);
	sd_event_source_disable_unref(s->status_timer);
	sd_event_source_disable_unref(s->drain_timer);
	sd_event_source_disable_unref(s->summary_timer);
	sd_event_source_disable_unref(s->watchdog_timer);
	sd_event_source_disable_unref(s->reload_timer);
	sd_event_source_disable_unref(s->mailbox);
	if (s->mailbox_fd >= 0)
		close(s->mailbox_fd);
	sd_event_unref(s->event);
	config_unref(s->config);
	config_unref(s->bound);
	free(s);
}

struct server *
server_free(struct server *s)
{
	struct server_group *g;

	if (!s)
		return NULL;
	g = s->group;
	workers_end(g);
	/* Shared sockets belong to the main thread's set: the workers' go first. */
	for (size_t i = g->n; i-- > 0;) {
		struct listen_set *set = g->servers[i]->listen;

		server_free_one(g->servers[i]);
		listen_close(set);
	}
	group_free(g);
	return NULL;
}
