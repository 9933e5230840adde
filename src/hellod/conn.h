/* SPDX-License-Identifier: BSD-2-Clause */
/* The connection table of one worker: a pool of slots made once, the sending and lingering
 * lists ordered by deadline, their epoll set, send, drain, linger and evict. */
#ifndef HELLOD_CONN_H
#define HELLOD_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "addr.h"
#include "config.h"
#include "greet.h"
#include "limits.h"
#include "stats.h"

struct conn_table;

/* A TCP connection after accept: the greeting is being sent, or it was sent with the FIN and
 * we wait for the client's FIN, discarding what it sends, so that our close() cannot reset the
 * connection and destroy the greeting before the client read it (DESIGN.md section 1). */
struct conn {
	int fd;
	const char *line;               /* the greeting line being sent: the config's, or the
	                                 * table's copy of one rendered for this client */
	size_t line_len, sent;          /* its length; bytes of it sent */
	uint64_t deadline;              /* CLOCK_MONOTONIC usec: closed then whatever happens */
	struct hellod_config *config;   /* held while a send is incomplete, NULL after */
	struct conn_list *list;         /* sending or lingering; NULL: in neither */
	struct conn *prev, *next;       /* in its list, oldest first; next: free list too */
	struct conn_table *table;
	bool counted;                   /* against its source's max_connections_per_source */
	struct addr_prefix source;      /* if counted */
	char *header;                   /* waiting: the part of its PROXY header read so far, */
	size_t header_len;              /* header_len bytes (allocated at the first) */
};

/* Connections in the order they got their deadline, which is the order of their deadlines
 * while the timeouts stay the same. */
struct conn_list {
	struct conn *oldest, *newest;
};

struct conn_table {
	struct conn *pool;              /* max slots, handed out in order, then reused */
	size_t max, used, n;            /* slots; slots handed out so far; open connections */
	size_t n_workers;               /* max_connections is shared out among them */
	struct conn *free_list;
	struct conn_list sending, lingering;
	struct conn_list waiting;       /* for a trusted proxy's header: nothing sent yet */
	int epoll;                      /* the sending and lingering connections' fds */
	int waiting_epoll;              /* the waiting ones', edge-triggered: watched always */
	sd_event *event;
	sd_event_source *source;        /* watches epoll, unless clients keep coming */
	sd_event_source *waiting_source; /* watches waiting_epoll */
	sd_event_source *sweep_timer;   /* polls epoll while clients keep coming */
	sd_event_source *deadline_timer; /* at or before the first deadline of any list */
	uint64_t deadline_armed;        /* when it goes off; UINT64_MAX: off */
	bool accepted;                  /* a client came since the last sweep */
	size_t unpolled;                /* connections started since epoll was last polled */
	struct hellod_config *const *config;    /* the owner's current config */
	struct limits *limits;          /* counted connections are released there */
	struct stats *stats;            /* the owner's counters */
	void (*changed)(void *userdata); /* a counter changed (STATUS=) */
	void *userdata;
	/* A waiting connection is readable (edge-triggered: something new came, or its end;
	 * closed: the peer's FIN came, so no more will): it must end up greeted (conn_greet) or
	 * closed (conn_refuse), or go on waiting. */
	void (*header_cb)(struct conn *c, bool closed, void *userdata);
	void *header_userdata;
	char (*lines)[GREET_LINE_MAX];  /* slot i's own copy of its rendered line, lines[i], while
	                                 * it is sent: made at the first that needs it */
	char scratch[HELLOD_DRAIN_CHUNK];       /* discarded input lands here; nothing is sent
	                                         * from it */
};

/* Sets up t with max slots in event: *config is read at each use, so that a reload applies.
 * Returns 0 or a negative errno; conn_table_done() undoes what was done either way. */
int conn_table_init(struct conn_table *t, sd_event *event, size_t max, size_t n_workers,
    struct hellod_config *const *config, struct limits *limits, struct stats *stats,
    void (*changed)(void *userdata), void *userdata);
/* Closes every connection and frees the table. */
void conn_table_done(struct conn_table *t);

/* Takes fd, of whose greeting line (len bytes: the config's, or one rendered into a buffer
 * only the caller can reach, an automatic variable of its own) sent bytes are out already, and
 * source, against which it was counted (NULL: not counted): sends the rest, then lingers.
 * Finding a slot may handle other connections' events (conn_poll()) and so run header_cb: the
 * caller's line must not be in any buffer that header_cb can write. A line still to be sent
 * when this returns lives in the connection's own slot, never in the caller's buffer. Returns
 * 0 once fd is the table's (it may already be closed), -ENOSPC when every slot holds a
 * connection still sending: fd and source are then still the caller's. */
int conn_open(struct conn_table *t, int fd, const char *line, size_t len, size_t sent,
    const struct addr_prefix *source);

/* Takes fd, from a trusted proxy whose header is to come within proxy_timeout, of which the
 * first len bytes were read already (kept as c->header): nothing is sent before it has.
 * Returns 0 once fd is the table's, -ENOSPC when there is no room or -ENOMEM (fd still the
 * caller's). */
int conn_open_waiting(struct conn_table *t, int fd, const char *header, size_t len);
/* The buffer (PROXY_HEADER_MAX bytes) that holds the c->header_len bytes of c's header read so
 * far, allocated at the first call; NULL when out of memory. */
char *conn_header(struct conn *c);
/* A waiting connection's header is in: greets it with line as conn_open() would (the line then
 * in c's own slot, if it is still being sent), counted against source (NULL: not counted).
 * Only from header_cb for c itself. */
void conn_greet(struct conn *c, const char *line, size_t len, const struct addr_prefix *source);
/* Resets c without a greeting, counting why. */
void conn_refuse(struct conn *c, enum refusal why);

/* Handles what is ready among the open connections, the waiting ones too. */
void conn_poll(struct conn_table *t);
/* Polls t (conn_poll()); returns whether any connection closed meanwhile. */
bool conn_reap(struct conn_table *t);
/* After a round of accepts: from watching the connections to polling them. */
void conn_busy(struct conn_table *t);
/* Closes the connection that has lingered longest, to make room. Returns false if none. */
bool conn_evict(struct conn_table *t);
/* Closes every connection (a stop's drain_timeout passed). */
void conn_close_all(struct conn_table *t);

#endif
