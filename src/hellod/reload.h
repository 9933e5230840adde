/* SPDX-License-Identifier: BSD-2-Clause */
/* SIGHUP: the configuration read again as a whole, never the built-in defaults, and never a
 * file caught in the middle of a rewrite. What to do with it is the server's. */
#ifndef HELLOD_RELOAD_H
#define HELLOD_RELOAD_H

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "config.h"

struct reload {
	sd_event *event;
	const char *path;               /* the file, required once running */
	void (*cb)(void *userdata);     /* a reload that waited: the file is quiet now */
	void *userdata;
	sd_event_source *timer;         /* the wait for a quiet file */
	uint64_t waiting_since;         /* when that wait began; 0: none */
	unsigned long long generation;  /* reloads answered so far (reload_record()) */
};

/* Adds the wait's timer, the first four fields set. Returns 0 or a negative errno. */
int reload_setup(struct reload *rl);
/* Frees what reload_setup() made. */
void reload_done(struct reload *rl);

/* Whether to read the file now: 1. Else 0, it changed moments ago: cb is called once it has
 * been quiet for HELLOD_RELOAD_QUIET_USEC; or -EBUSY, it kept changing for
 * HELLOD_RELOAD_WAIT_USEC: the reload is refused (logged). */
int reload_ready(struct reload *rl);

/* Reads rl's file: 0 and *ret, or a negative errno, having logged why and that the previous
 * configuration still serves (and recorded it: reload_record()). */
int reload_read(struct reload *rl, struct hellod_config **ret);

/* The outcome of a reload, for `hellod --reload` (the units' ExecReload=) to wait for: "ok"
 * when why is NULL, else "failed: why", with the next generation number, written atomically to
 * $RUNTIME_DIRECTORY/reload when systemd gave hellod a runtime directory. At start, the
 * generation 0 is written, "started". Failures are logged at debug level only. */
void reload_record(struct reload *rl, const char *why);

/* hellod --reload PID: sends PID SIGHUP and waits for its answer in $RUNTIME_DIRECTORY/reload
 * (HELLOD_RELOAD_WAIT_USEC for a quiet file, and HELLOD_RELOAD_ANSWER_USEC more), so that
 * systemctl reload returns once the new configuration serves, and fails when it was refused.
 * Without a runtime directory it only sends the signal. Returns an exit status: 0, 1 refused
 * or unanswered, 71 when PID cannot be signalled. */
int reload_request(long pid);

#endif
