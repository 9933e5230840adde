/* SPDX-License-Identifier: BSD-2-Clause */
/* TCP: accept, read a trusted proxy's PROXY header, admit ([access], the per-source limits),
 * greet at once (close = fast) or hand the
 * connection to the table (conn.h), pause the listeners when out of fds. */
#ifndef HELLOD_TCP_H
#define HELLOD_TCP_H

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "conn.h"
#include "greet.h"
#include "limits.h"
#include "listen.h"
#include "proxy.h"
#include "stats.h"

/* One worker's accepting: what it greets with, where connections go, what it counts. */
struct tcp {
	sd_event *event;
	struct hellod_config *const *config;    /* the owner's current config */
	struct conn_table *conns;
	struct limits *limits;
	struct stats *stats;
	const struct listen_set *listen;
	sd_event_source **listen_sources;       /* the owner's, every one paused together */
	const bool *stopping;                   /* the owner's: a pause then does not end */
	sd_event_source *pause_timer;           /* ends an accept pause */
	uint64_t last_warning;                  /* when an accept failure was last logged */
	void (*changed)(void *userdata);        /* a counter changed (STATUS=) */
	void *userdata;
	/* Renders a greeting with variables: never into a buffer of its own, but into the caller's
	 * automatic one, which no callback can reach; a line that outlives the call is copied into
	 * its connection's slot (conn.h), so that no client's line is ever in a buffer that another
	 * client's handling writes (DESIGN.md, "Ownership"). */
	struct greeter greeter;
};

/* Adds the pause timer and takes the connection table's waiting connections (PROXY headers),
 * the other fields set. Returns 0 or a negative errno. */
int tcp_setup(struct tcp *t);
/* Frees what tcp_setup() made. */
void tcp_done(struct tcp *t);

/* A listening socket's callback, with a struct tcp as userdata: accepts and greets. */
int tcp_accept_cb(sd_event_source *source, int fd, uint32_t revents, void *userdata);

#endif
