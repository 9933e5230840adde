/* SPDX-License-Identifier: BSD-2-Clause */
/* The workers: one sd-event loop per thread, the first in the main thread (signals, sd_notify,
 * the watchdog), the others in threads of their own. What the main thread decides (a new
 * config, stop, exit) is published under the lock and announced by each worker's eventfd (its
 * mailbox); the main thread waits until every worker has taken it. */
#ifndef HELLOD_WORKERS_H
#define HELLOD_WORKERS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "defaults.h"

struct workers;

/* One worker's end of the mailbox, in its owner's state. */
struct worker {
	struct workers *workers;
	unsigned id;                    /* 0: the main thread's */
	sd_event *event;                /* its loop */
	struct hellod_config **config;  /* its owner's: replaced by what is published */
	/* A worker's: a stop was published. The main thread's: a worker's loop failed. */
	void (*stop_cb)(void *userdata);
	void *userdata;
	int fd;                         /* eventfd: something was published; -1: none */
	sd_event_source *mailbox;
	uint64_t generation;            /* the last publication taken */
};

struct workers {
	pthread_mutex_t lock;
	pthread_cond_t taken;
	struct hellod_config *config;   /* the newest config */
	uint64_t generation;            /* bumped at each publication */
	bool stop, exit;
	bool failed;                    /* a worker's loop ended with an error */
	size_t size;                    /* the workers there are to be */
	size_t n, running;              /* workers added; worker threads whose loop still runs */
	size_t started;                 /* worker threads started: threads[1..started] */
	struct worker *w[HELLOD_WORKERS_MAX];
	pthread_t threads[HELLOD_WORKERS_MAX];
};

/* Sets up ws for size workers, with config (a reference is taken). Returns 0 or a negative
 * errno. */
int workers_init(struct workers *ws, struct hellod_config *config, size_t size);
/* Frees what workers_init() made, once every worker has ended. */
void workers_destroy(struct workers *ws);

/* Adds w (its id, event, config, stop_cb and userdata set) to ws, with a mailbox unless it is
 * to be the only worker.
 * Returns 0 or a negative errno; worker_done() undoes what was done either way. */
int worker_add(struct workers *ws, struct worker *w);
/* Frees what worker_add() made. */
void worker_done(struct worker *w);

/* Starts a thread for every worker but the first. Returns 0 or a negative errno. */
int workers_start(struct workers *ws);
/* Publishes config (or NULL: unchanged), stop or exit to the workers and waits until each
 * has taken it. */
void workers_publish(struct workers *ws, struct hellod_config *config, bool stop, bool exit);
/* Tells the worker threads to exit and waits for them; again, it does nothing. */
void workers_end(struct workers *ws);
/* How many worker threads still run their loop. */
size_t workers_running(struct workers *ws);
/* Whether a worker's loop ended with an error. */
bool workers_failed(struct workers *ws);

#endif
