/* SPDX-License-Identifier: BSD-2-Clause */
/* What hellod tells of itself while it runs: STATUS= with live counters (at most once a
 * second, never blocking), the watchdog pings, and the limits' summary line. */
#ifndef HELLOD_STATUS_H
#define HELLOD_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "defaults.h"
#include "limits.h"
#include "listen.h"
#include "notify.h"
#include "stats.h"

/* What the workers' STATUS= share: made by the server before the workers start. */
struct status_board {
	struct notify *notify;          /* $NOTIFY_SOCKET; NULL: none */
	struct limits *limits;          /* what they refused goes into the summary line */
	size_t n;
	const struct stats *stats[HELLOD_WORKERS_MAX];  /* each worker's counters */
	bool stopping;                  /* the main thread said STOPPING=1 (atomic) */
	bool warned;                    /* a message had to wait: said once (atomic) */
};

/* One worker's STATUS=; the main thread's also pings the watchdog and logs the summary. */
struct status {
	struct status_board *board;
	sd_event *event;
	struct hellod_config *const *config;    /* the owner's current config */
	bool main;                      /* the main thread's */
	char summary[HELLOD_STATUS_LEN / 2];    /* what is served */
	sd_event_source *timer;         /* a STATUS= update is due */
	sd_event_source *summary_timer; /* main: the summary line is due */
	sd_event_source *watchdog_timer; /* main: WATCHDOG=1 at half WatchdogSec=, if set */
	uint64_t watchdog_usec;
	struct stats summarized;        /* the sums as of the last summary line */
	bool armed, stopping;
};

/* Adds st's timers and says what listen serves, the first four fields set. Returns 0 or a
 * negative errno; status_done() undoes what was done either way. */
int status_setup(struct status *st, const struct listen_set *listen);
/* Frees what status_setup() made. */
void status_done(struct status *st);

/* The counters summed over every worker of the board. */
void status_sum(const struct status_board *b, struct stats *ret);
/* What STATUS= says: what is served and the counters. Returns buf. */
char *status_format(const struct status *st, char *buf, size_t len);

/* A counter changed: schedules a STATUS= update, at most one per HELLOD_STATUS_USEC. Takes a
 * struct status, as the callback of tcp.h, udp.h and conn.h. */
void status_changed(void *status);
/* Sends STATUS= now, with flags (NOTIFY_READY, say); never waits (notify.h). */
void status_send(struct status *st, unsigned flags);
/* Sends flags (and text, if not NULL) now; never waits. */
void status_notify(struct status *st, unsigned flags, uint64_t monotonic_usec, const char *text);
/* Stopping: the main thread's says STOPPING=1; no worker says "Serving" again. */
void status_stop(struct status *st);
/* The config changed (or serving began): the summary line follows its summary_interval. */
void status_config_changed(struct status *st);

#endif
