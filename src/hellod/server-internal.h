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
#include "limits.h"
#include "listen.h"
#include "notify.h"
#include "stats.h"
#include "server.h"

/* A TCP connection after accept: the greeting is being sent, or it was sent with the FIN and
 * we wait for the client's FIN, discarding what it sends, so that our close() cannot reset the
 * connection and destroy the greeting before the client read it (DESIGN.md section 1). */
struct conn {
	int fd;
	size_t sent;                    /* bytes of the greeting line sent */
	uint64_t deadline;              /* CLOCK_MONOTONIC usec: closed then whatever happens */
	struct hellod_config *config;   /* held while a send is incomplete, NULL after */
	struct conn_list *list;         /* sending or lingering; NULL: in neither */
	struct conn *prev, *next;       /* in its list, oldest first; next: free list too */
	struct server *server;
	bool counted;                   /* against its source's max_connections_per_source */
	struct addr_prefix source;      /* if counted */
};

/* Connections in the order they got their deadline, which is the order of their deadlines
 * while the timeouts stay the same. */
struct conn_list {
	struct conn *oldest, *newest;
};

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
	uint16_t udp_port[LISTEN_SOCKETS_MAX]; /* udp.c: a UDP socket's port (network order), 0:
	                                        * none, and no destinations reported (AF_UNIX) */
	sd_event_source *linger_timer, *pause_timer, *status_timer, *drain_timer;
	sd_event_source *watchdog_timer; /* the main thread's: WATCHDOG=1 at half WatchdogSec= */
	uint64_t watchdog_usec;
	sd_event_source *reload_timer;  /* the main thread's: a reload waits for a quiet file */
	uint64_t reload_waiting_since;  /* when that wait began; 0: none */
	sd_event_source *summary_timer; /* the main thread's: the limits' summary log line */
	struct stats summarized;        /* the sums as of the last summary */
	char summary[HELLOD_STATUS_LEN / 2];    /* what is served, for STATUS= */

	struct conn *pool;              /* max_conns slots, handed out in order, then reused */
	size_t max_conns, pool_used, n_conns;
	size_t n_workers;               /* max_connections is shared out among them */
	struct conn *free_list;
	struct conn_list sending, lingering;
	int conn_epoll;                 /* the open connections' fds */
	sd_event_source *conn_source;   /* watches conn_epoll, unless clients keep coming */
	sd_event_source *sweep_timer;   /* polls conn_epoll while clients keep coming */
	bool accepted;                  /* a client came since the last sweep */

	struct stats stats;             /* this worker's counters */
	uint64_t last_warning;
	bool status_armed, stopping;
	char scratch[HELLOD_DRAIN_CHUNK];       /* discarded input lands here */
};

static inline uint64_t
now_usec(struct server *s)
{
	uint64_t t = 0;

	sd_event_now(s->event, CLOCK_MONOTONIC, &t);
	return t;
}


/* server.c: ends the loop once stopping and idle (the main thread's: and every worker). */
void server_maybe_exit(struct server *s);
/* server.c: stops accepting; the loop ends when the last connection closed. */
void server_stop(struct server *s);
/* status.c: schedules a STATUS= update (at most one per HELLOD_STATUS_USEC). */
void status_changed(struct server *s);
/* status.c: what STATUS= says: what is served and the counters. Returns buf. */
char *status_format(struct server *s, char *buf, size_t len);
/* status.c: sends STATUS= now, with flags (NOTIFY_READY, say); never waits (notify.h). */
void notify_status(struct server *s, unsigned flags);
/* status.c: sends flags (and status, if not NULL) now; never waits. */
void notify_state(struct server *s, unsigned flags, uint64_t monotonic_usec, const char *status);
/* status.c: the watchdog timer's callback: WATCHDOG=1. */
int watchdog_timer_cb(sd_event_source *source, uint64_t usec, void *userdata);
/* status.c: the STATUS= timer's callback. */
int status_timer_cb(sd_event_source *source, uint64_t usec, void *userdata);
/* status.c: arms the main thread's summary timer for summary_interval from now, or not. */
void summary_timer_arm(struct server *s);
/* status.c: the summary timer's callback: logs what the limits refused, if anything. */
int summary_timer_cb(sd_event_source *source, uint64_t usec, void *userdata);
/* udp.c: asks each UDP socket for its requests' destinations (IP_PKTINFO, IPV6_RECVPKTINFO),
 * which become the replies' sources. Returns 0 or a negative errno. */
int udp_setup(struct server *s);
/* udp.c: a UDP socket's callback: answers datagrams in batches. */
int udp_cb(sd_event_source *source, int fd, uint32_t revents, void *userdata);
/* tcp.c: the listening socket's callback: accepts and greets. */
int tcp_accept_cb(sd_event_source *source, int fd, uint32_t revents, void *userdata);
/* tcp.c: closes the connections whose deadline has passed. */
int tcp_linger_cb(sd_event_source *source, uint64_t usec, void *userdata);
/* tcp.c: listens again after an accept pause. */
int tcp_pause_cb(sd_event_source *source, uint64_t usec, void *userdata);
/* tcp.c: sets up the connections' epoll set. Returns 0 or a negative errno. */
int tcp_setup(struct server *s);
/* tcp.c: closes every connection, and the epoll set. */
void tcp_close_all(struct server *s);
/* tcp.c: closes every connection (a stop's drain_timeout passed). */
void tcp_close_conns(struct server *s);

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
