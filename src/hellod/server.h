/* SPDX-License-Identifier: BSD-2-Clause */
/* The sd-event loop: greets on whatever sockets it is given, reloads, reports, stops. */
#ifndef HELLOD_SERVER_H
#define HELLOD_SERVER_H

#include <stdbool.h>

#include "config.h"
#include "listen.h"

struct server;

struct server_options {
	const char *config_path;        /* re-read on SIGHUP; then it must exist and set something */
	int log_level_override;         /* -v: LOG_DEBUG whatever the file says; -1: none */
	unsigned workers;               /* threads serving, each with a set of sockets */
	struct listen_set *metrics;     /* the metrics endpoint's sockets, which server_new()
	                                 * takes (emptying the set); NULL or empty: none */
};

/* Blocks the signals the loop takes (SIGTERM, SIGINT, SIGHUP, SIGUSR1) and ignores the strays
 * that would otherwise end the process. Before server_new() and before any thread starts. */
void server_signals_setup(void);

/* Sets up options->workers event loops, one over each of sets[] (which the servers then own),
 * with config (a reference is taken); server_signals_setup() must have run. Returns 0 and
 * sets *ret to the main thread's, or a negative errno, having logged why. */
int server_new(struct hellod_config *config, struct listen_set *sets,
    const struct server_options *options, struct server **ret);

/* Starts the other workers, tells systemd READY=1 and serves until SIGTERM or SIGINT.
 * Returns 0 or a negative errno. */
int server_run(struct server *s);

/* Frees everything of every worker, closing the sockets. Accepts NULL, returns NULL. */
struct server *server_free(struct server *s);

#endif
