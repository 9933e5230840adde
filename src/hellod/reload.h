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
 * configuration still serves. */
int reload_read(struct reload *rl, struct hellod_config **ret);

#endif
