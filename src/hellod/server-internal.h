/* SPDX-License-Identifier: BSD-2-Clause */
/* The server's state, shared by server.c (loop, UDP, reload, stop) and tcp.c (connections). */
#ifndef HELLOD_SERVER_INTERNAL_H
#define HELLOD_SERVER_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "conn.h"
#include "limits.h"
#include "listen.h"
#include "notify.h"
#include "stats.h"
#include "tcp.h"
#include "udp.h"
#include "server.h"

/* The workers: one server each, the first in the main thread (signals, sd_notify, the
 * watchdog), the others in threads of their own. What the main thread hands over (a new
 * config, stop, exit) is published here under the lock and announced by each worker's
 * eventfd; the main thread waits until every worker has taken it. */
struct server_group {
	pthread_mutex_t lock;
	pthread_cond_t taken;
	struct hellod_config *config;   /* the newest config */
	uint64_t generation;            /* bumped at each publication */
	bool stop, exit;
	bool failed;                    /* a worker's loop ended with an error */
	struct limits *limits;          /* per-source limits, one table for every worker */
	struct notify *notify;          /* $NOTIFY_SOCKET; NULL: none */
	void (*stop_cb)(struct server *s); /* server.c: stops a server, for the mailbox */
	bool notify_warned;             /* a notification had to wait (said once) */
	size_t n, running;              /* servers; worker threads whose loop still runs */
	size_t started;                 /* worker threads started: threads[1..started] */
	struct server *servers[HELLOD_WORKERS_MAX];
	pthread_t threads[HELLOD_WORKERS_MAX];
};

struct server {
	struct server_group *group;
	unsigned id;                    /* 0: the main thread's */
	int mailbox_fd;                 /* eventfd: the main thread published something */
	sd_event_source *mailbox;
	uint64_t generation;            /* the last publication taken */
	sd_event *event;
	struct hellod_config *config;
	struct hellod_config *bound;    /* the config the sockets were bound with */
	struct server_options options;
	struct listen_set *listen;
	sd_event_source *listen_sources[LISTEN_SOCKETS_MAX];
	struct tcp tcp;                 /* this worker's accepting */
	struct udp udp;                 /* this worker's UDP */
	sd_event_source *status_timer, *drain_timer;
	sd_event_source *watchdog_timer; /* the main thread's: WATCHDOG=1 at half WatchdogSec= */
	uint64_t watchdog_usec;
	sd_event_source *reload_timer;  /* the main thread's: a reload waits for a quiet file */
	uint64_t reload_waiting_since;  /* when that wait began; 0: none */
	sd_event_source *summary_timer; /* the main thread's: the limits' summary log line */
	struct stats summarized;        /* the sums as of the last summary */
	char summary[HELLOD_STATUS_LEN / 2];    /* what is served, for STATUS= */

	struct conn_table conns;        /* this worker's TCP connections */
	sd_event_source *exit_source;   /* stopping: exits once idle (a post source) */

	struct stats stats;             /* this worker's counters */
	bool status_armed, stopping;
};

static inline uint64_t
now_usec(struct server *s)
{
	uint64_t t = 0;

	sd_event_now(s->event, CLOCK_MONOTONIC, &t);
	return t;
}


/* reload.c: reads the configuration again (SIGHUP), now or once the file is quiet. */
void server_reload(struct server *s);
/* reload.c: the timer a reload waits on for a quiet file. */
int reload_timer_cb(sd_event_source *source, uint64_t usec, void *userdata);
/* reload.c: the log level of the config, unless -v overrides it. */
void server_apply_log_level(struct server *s);
/* status.c: schedules a STATUS= update (at most one per HELLOD_STATUS_USEC). */
void status_changed(struct server *s);
/* status.c: what STATUS= says: what is served and the counters. Returns buf. */
char *status_format(struct server *s, char *buf, size_t len);
/* status.c: sends STATUS= now, with flags (NOTIFY_READY, say); never waits (notify.h). */
void notify_status(struct server *s, unsigned flags);
/* status.c: sends flags (and status, if not NULL) now; never waits. */
void notify_state(struct server *s, unsigned flags, uint64_t monotonic_usec, const char *status);
/* status.c: WATCHDOG=1 at half of WatchdogSec=, if set. Returns 0 or a negative errno. */
int status_watchdog_add(struct server *s);
/* status.c: the STATUS= timer's callback. */
int status_timer_cb(sd_event_source *source, uint64_t usec, void *userdata);
/* status.c: arms the main thread's summary timer for summary_interval from now, or not. */
void summary_timer_arm(struct server *s);
/* status.c: the summary timer's callback: logs what the limits refused, if anything. */
int summary_timer_cb(sd_event_source *source, uint64_t usec, void *userdata);

/* workers.c: sets up each server's mailbox; main's too (workers say when they are done). */
int workers_mailbox_add(struct server *s);
/* workers.c: starts a thread for every server but the first. Returns 0 or a negative errno. */
int workers_start(struct server_group *g);
/* workers.c: publishes config (or NULL: unchanged), stop or exit to the workers and waits
 * until each has taken it. */
void workers_publish(struct server_group *g, struct hellod_config *config, bool stop,
    bool exit);
/* workers.c: tells the worker threads to exit and waits for them; again, it does nothing. */
void workers_end(struct server_group *g);
/* workers.c: the counters summed over every worker. */
void workers_stats(struct server_group *g, struct stats *ret);

#endif
