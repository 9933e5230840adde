/* SPDX-License-Identifier: BSD-2-Clause */
/* The sd-event loop over whatever sockets it is given: UDP, status, reload, stop. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <systemd/sd-event.h>
#include <time.h>

#include "budget.h"
#include "conn.h"
#include "limits.h"
#include "listen.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "reload.h"
#include "server.h"
#include "stats.h"
#include "status.h"
#include "tcp.h"
#include "timer.h"
#include "udp.h"
#include "util.h"
#include "workers.h"

/* What the workers share: the mailbox, the STATUS= board and the per-source limits. */
struct server_group {
	struct workers workers;
	struct status_board board;
	struct limits *limits;          /* one table for every worker */
	size_t n;
	struct server *servers[HELLOD_WORKERS_MAX];
};

/* One worker's server: its loop, its sockets and what serves on them. */
struct server {
	struct server_group *group;
	unsigned id;                    /* 0: the main thread's */
	sd_event *event;
	struct hellod_config *config;
	struct hellod_config *bound;    /* the config the sockets were bound with */
	struct server_options options;
	struct listen_set *listen;
	sd_event_source *listen_sources[LISTEN_SOCKETS_MAX];
	struct worker worker;           /* its mailbox */
	struct status status;           /* its STATUS= */
	struct reload reload;           /* the main thread's: SIGHUP */
	struct tcp tcp;                 /* its accepting */
	struct udp udp;                 /* its UDP */
	struct conn_table conns;        /* its TCP connections */
	struct stats stats;             /* its counters */
	struct metrics *metrics;        /* the main thread's: the metrics endpoint; NULL: none */
	sd_event_source *drain_timer;   /* stopping: the clients still there are let go */
	sd_event_source *exit_source;   /* stopping: exits once idle (a post source) */
	bool stopping;
};

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
static int
exit_post_cb(sd_event_source *source, void *userdata)
{
	struct server *s = userdata;

	if (s->stopping && s->conns.n == 0 &&
	    (s->id > 0 || workers_running(&s->group->workers) == 0))
		sd_event_exit(s->event, 0);
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
	struct workers *ws = &s->group->workers;
	char period[32];

	if (s->stopping) {
		/* A second signal: do not wait. */
		workers_publish(ws, NULL, true, true);
		sd_event_exit(s->event, 0);
		return;
	}
	s->stopping = true;
	status_stop(&s->status);
	metrics_stop(s->metrics);
	for (size_t i = 0; i < s->listen->n; i++)
		s->listen_sources[i] = sd_event_source_disable_unref(s->listen_sources[i]);
	/* Sockets the workers share are closed once none of them listens any more. */
	if (s->id == 0)
		workers_publish(ws, NULL, true, false);
	listen_close(s->listen);
	if (s->id == 0 && s->group->n == 1 && s->conns.n > 0)
		log_info("Stopping: waiting up to %s for %zu clients to close",
		    format_usec(s->config->drain_usec, period, sizeof(period)), s->conns.n);
	else if (s->id == 0 && s->group->n > 1)
		log_info("Stopping: waiting up to %s for clients to close",
		    format_usec(s->config->drain_usec, period, sizeof(period)));
	if (s->conns.n > 0)
		timer_arm(s->drain_timer, s->config->drain_usec);
	/* From now on every event (a connection's end, a worker's) is followed by the check. */
	sd_event_source_set_enabled(s->exit_source, SD_EVENT_ON);
	exit_post_cb(s->exit_source, s);
}

/* The mailbox's word: a worker is to stop; for the main thread, a worker failed. */
static void
worker_stop_cb(void *userdata)
{
	struct server *s = userdata;

	if (s->id == 0) {
		if (s->stopping)
			return;
		log_error("A worker failed, stopping");
	}
	server_stop(s);
}

static void
server_apply_log_level(struct server *s)
{
	log_set_max_level(s->options.log_level_override >= 0 ? s->options.log_level_override :
	    s->config->log_level);
}

/* A valid new config: what can change while running changes, in every worker. */
static void
server_apply(struct server *s, struct hellod_config *c)
{
	size_t room = s->conns.max * s->conns.n_workers;

	if (!s->listen->activated && !config_same_listen(s->bound, c))
		log_warning("host, port, backlog, udp, workers and [metrics] listen take effect at "
		    "the next start, ignoring their changes");
	/* Said before the new log level applies: a quieter one must not hide it. */
	log_struct(LOG_INFO, 0, HELLOD_MESSAGE_RELOAD, NULL, "Reloaded %s", c->path);
	if (c->max_connections > room)
		log_warning("max_connections = %u: only %zu connections were made room for at start, "
		    "more take a restart", c->max_connections, room);
	workers_publish(&s->group->workers, c, false, false);
	config_unref(s->config);
	s->config = c;
	server_apply_log_level(s);
	status_config_changed(&s->status);
}

/* SIGHUP, or the file it found changing is quiet now. */
static void
server_reload(void *userdata)
{
	struct server *s = userdata;
	struct hellod_config *c;
	struct timespec ts;
	char text[HELLOD_STATUS_LEN];
	int r;

	if (s->stopping) {
		log_info("Stopping, not reloading");
		reload_record(&s->reload, "stopping");
		return;
	}
	r = reload_ready(&s->reload);
	if (r <= 0) {
		if (r < 0)
			metrics_reloaded(s->metrics, false);
		return;
	}
	/* MONOTONIC_USEC is the time of this message, not of the loop's iteration. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(text, sizeof(text), "Reloading %s", s->options.config_path);
	status_notify(&s->status, NOTIFY_RELOADING,
	    (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000, text);
	r = reload_read(&s->reload, &c);
	metrics_reloaded(s->metrics, r == 0);
	if (r == 0) {
		server_apply(s, c);
		/* The workers took it (workers_publish() waits): the new config serves. */
		reload_record(&s->reload, NULL);
	}
	status_send(&s->status, NOTIFY_READY);
}

static int
signal_cb(sd_event_source *source, const struct signalfd_siginfo *si, void *userdata)
{
	struct server *s = userdata;
	char text[HELLOD_STATUS_LEN];

	if (si->ssi_signo == SIGHUP)
		server_reload(s);
	else if (si->ssi_signo == SIGUSR1)
		log_info("%s", status_format(&s->status, text, sizeof(text)));
	else
		server_stop(s);
	return 0;
}

/* Sets up what serves on s's sockets: its modules, each with its own state, wired to s's. */
static int
server_setup(struct server *s, size_t max_conns, size_t n_workers)
{
	struct server_group *g = s->group;
	struct listen_set *set = s->listen;
	int r = 0;

	for (size_t i = 0; r >= 0 && s->id == 0 && i < ELEMENTSOF(handled_signals); i++)
		r = sd_event_add_signal(s->event, NULL, handled_signals[i], signal_cb, s);
	for (size_t i = 0; r >= 0 && i < set->n; i++)
		r = sd_event_add_io(s->event, &s->listen_sources[i], set->sockets[i].fd, EPOLLIN,
		    set->sockets[i].type == SOCK_STREAM ? tcp_accept_cb : udp_cb,
		    set->sockets[i].type == SOCK_STREAM ? (void *)&s->tcp : (void *)&s->udp);
	s->status = (struct status){ .board = &g->board, .event = s->event, .config = &s->config,
		.main = s->id == 0 };
	if (r >= 0)
		r = status_setup(&s->status, set);
	s->udp = (struct udp){ .event = s->event, .config = &s->config, .listen = set,
		.limits = g->limits, .stats = &s->stats, .changed = status_changed,
		.userdata = &s->status };
	if (r >= 0)
		r = udp_setup(&s->udp);
	if (r >= 0)
		r = conn_table_init(&s->conns, s->event, max_conns, n_workers, &s->config,
		    g->limits, &s->stats, status_changed, &s->status);
	s->tcp = (struct tcp){ .event = s->event, .config = &s->config, .conns = &s->conns,
		.limits = g->limits, .stats = &s->stats, .listen = set,
		.listen_sources = s->listen_sources, .stopping = &s->stopping,
		.changed = status_changed, .userdata = &s->status };
	if (r >= 0)
		r = tcp_setup(&s->tcp);
	s->worker = (struct worker){ .id = s->id, .event = s->event, .config = &s->config,
		.stop_cb = worker_stop_cb, .userdata = s, .fd = -1 };
	if (r >= 0)
		r = worker_add(&g->workers, &s->worker);
	s->reload = (struct reload){ .event = s->event, .path = s->options.config_path,
		.cb = server_reload, .userdata = s };
	if (r >= 0 && s->id == 0)
		r = reload_setup(&s->reload);
	if (r >= 0 && s->id == 0 && s->options.metrics)
		r = metrics_new(s->event, &s->config, &g->board, s->options.metrics, &s->metrics);
	if (r >= 0)
		r = timer_add(s->event, &s->drain_timer, 0, drain_timer_cb, s);
	if (r >= 0)
		r = sd_event_add_post(s->event, &s->exit_source, exit_post_cb, s);
	if (r >= 0)
		r = sd_event_source_set_enabled(s->exit_source, SD_EVENT_OFF);
	return r;
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
	g->board.stats[g->board.n++] = &s->stats;
	s->group = g;
	s->id = id;
	s->worker.fd = -1;
	s->conns.epoll = -1;
	s->config = config_ref(config);
	s->bound = config_ref(config);
	s->options = *options;
	s->listen = set;
	/* Every loop is its own, the main thread's too: sd_event_default() would check the
	 * thread (gettid) at each iteration, a system call per wakeup (issue 28). */
	r = sd_event_new(&s->event);
	if (r >= 0)
		r = server_setup(s, max_conns, n_workers);
	if (r < 0)
		return log_error_errno(r, "Failed to set up the event loop: %m");
	return 0;
}

/* The group the workers share: its mailbox, the notifier, the limits. */
static struct server_group *
group_new(struct hellod_config *config, unsigned n)
{
	struct server_group *g = calloc(1, sizeof(*g));
	int r;

	if (!g)
		return NULL;
	/* workers_init() fails only where glibc's pthread_mutex_init() and pthread_cond_init()
	 * do, which is never. */
	if (workers_init(&g->workers, config, n) < 0) {        /* GCOVR_EXCL_BR_LINE */
		free(g);                /* GCOVR_EXCL_LINE: cannot fail (above) */
		return NULL;            /* GCOVR_EXCL_LINE: cannot fail (above) */
	}
	r = notify_open(&g->board.notify);
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
	notify_free(g->board.notify);
	workers_destroy(&g->workers);
	free(g);
}

int
server_new(struct hellod_config *config, struct listen_set *sets,
    const struct server_options *options, struct server **ret)
{
	unsigned n = options->workers > 0 ? options->workers : 1; /* main.c resolved auto */
	struct server_group *g = group_new(config, n);
	size_t max_conns = 1;
	int r;

	if (!g) {
		for (unsigned i = 0; i < n; i++)
			listen_close(&sets[i]);
		if (options->metrics)
			listen_close(options->metrics);
		return log_error_errno(ENOMEM, "Out of memory");
	}
	r = budget_connections(config, sets, n, options->metrics && options->metrics->n > 0 ?
	    metrics_fds(options->metrics->n) : 0, &max_conns);
	/* Every slot, and each worker's next client, counted before a lingering one makes room. */
	if (r == 0 && (r = limits_new(max_conns * n + n, &g->limits)) < 0)
		log_error_errno(r, "Out of memory");
	g->board.limits = g->limits;
	for (unsigned i = 0; i < n; i++) {
		if (r >= 0)
			r = server_new_one(g, i, config, &sets[i], options, max_conns, n);
		else
			listen_close(&sets[i]);
	}
	/* The metrics sockets are the main thread's endpoint's, unless it was never set up. */
	if (options->metrics)
		listen_close(options->metrics);
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
	int r;

	r = workers_start(&g->workers);
	if (r < 0)
		return r;       /* server_free() ends the workers that started */
	log_struct(LOG_INFO, 0, HELLOD_MESSAGE_START, NULL, "Started hellod %s, serving %s%s",
	    HELLOD_VERSION, s->status.summary, g->n <= 1 ? "" :
	    s->listen->activated || s->listen->stored ? " with workers sharing the sockets" :
	    " with SO_REUSEPORT workers");
	if (g->n > 1)
		log_info("%zu workers", g->n);
	status_send(&s->status, NOTIFY_READY);
	status_config_changed(&s->status);
	reload_record(&s->reload, "started");
	r = timer_run_loop(s->event, "main");
	/* Ended by a second signal or an error: the workers end too. */
	workers_end(&g->workers);
	if (r >= 0 && workers_failed(&g->workers))
		r = -EIO;
	status_sum(&g->board, &st);
	snprintf(fields[0], sizeof(fields[0]), "HELLOD_TCP_GREETINGS=%llu",
	    (unsigned long long)st.tcp_greetings);
	snprintf(fields[1], sizeof(fields[1]), "HELLOD_UDP_GREETINGS=%llu",
	    (unsigned long long)st.udp_greetings);
	log_struct(LOG_INFO, 0, HELLOD_MESSAGE_STOP, f, "Stopped after %llu TCP and %llu "
	    "UDP greetings", (unsigned long long)st.tcp_greetings,
	    (unsigned long long)st.udp_greetings);
	return r;
}

static void
server_free_one(struct server *s)
{
	s->metrics = metrics_free(s->metrics);
	conn_table_done(&s->conns);
	for (size_t i = 0; i < s->listen->n; i++)
		sd_event_source_disable_unref(s->listen_sources[i]);
	sd_event_source_disable_unref(s->exit_source);
	sd_event_source_disable_unref(s->drain_timer);
	tcp_done(&s->tcp);
	udp_done(&s->udp);
	status_done(&s->status);
	reload_done(&s->reload);
	worker_done(&s->worker);
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
	workers_end(&g->workers);
	/* Shared sockets belong to the main thread's set: the workers' go first. */
	for (size_t i = g->n; i-- > 0;) {
		struct listen_set *set = g->servers[i]->listen;

		server_free_one(g->servers[i]);
		listen_close(set);
	}
	group_free(g);
	return NULL;
}
