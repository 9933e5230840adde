/* SPDX-License-Identifier: BSD-2-Clause */
/* The metrics endpoint: hellod's counters for Prometheus over HTTP/1.x, served in the main
 * thread's loop from a few preallocated connections, read from the workers' counters as
 * STATUS= reads them (nothing is counted per greeting for it). */
#ifndef HELLOD_METRICS_H
#define HELLOD_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "listen.h"
#include "status.h"

struct metrics;

/* Serves GET /metrics on listen's sockets (the endpoint then owns them, and listen is left
 * empty) in event, from *config (the owner's current one) and the board's counters. Without
 * sockets there is no endpoint: 0 and *ret NULL. Returns 0 or a negative errno, having logged
 * why; the sockets are closed either way. */
int metrics_new(sd_event *event, struct hellod_config *const *config,
    const struct status_board *board, struct listen_set *listen, struct metrics **ret);

/* Closes every socket and connection and frees m. Accepts NULL, returns NULL. */
struct metrics *metrics_free(struct metrics *m);

/* A reload of the configuration worked (ok) or failed, now. Accepts NULL. */
void metrics_reloaded(struct metrics *m, bool ok);

/* Stopping: the listeners and the connections are closed. Accepts NULL. */
void metrics_stop(struct metrics *m);

/* The file descriptors an endpoint on n_listen sockets may hold besides them: for
 * budget.c's count. */
size_t metrics_fds(size_t n_listen);

#endif
