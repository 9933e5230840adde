/* SPDX-License-Identifier: BSD-2-Clause */
/* Workers: one sd-event loop per thread, each on its own SO_REUSEPORT sockets; what the main
 * thread decides (reload, stop) reaches them through an eventfd each. */
#include <errno.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "timer.h"
#include "workers.h"

static void
poke(int fd)
{
	/* Only fails when the counter would overflow, which means it is pending anyway. */
	(void)eventfd_write(fd, 1);
}

/* A worker takes what the main thread published; the main thread hears that a worker's loop
 * has ended. */
static int
mailbox_cb(sd_event_source *source, int fd, uint32_t revents, void *userdata)
{
	struct worker *w = userdata;
	struct workers *ws = w->workers;
	struct hellod_config *old = NULL;
	eventfd_t v;
	bool stop, exit, failed;

	(void)eventfd_read(fd, &v);
	pthread_mutex_lock(&ws->lock);
	stop = ws->stop;
	exit = ws->exit;
	failed = ws->failed;
	if (w->id > 0 && w->generation != ws->generation) {
		if (*w->config != ws->config) {
			old = *w->config;
			*w->config = config_ref(ws->config);
		}
		w->generation = ws->generation;
		pthread_cond_broadcast(&ws->taken);
	}
	pthread_mutex_unlock(&ws->lock);
	config_unref(old);
	if (w->id == 0) {
		/* A failed worker's sockets would take a share of the clients and never answer.
		 * Otherwise its owner's exit post source sees whether this was the last. */
		if (failed)
			w->stop_cb(w->userdata);
	} else if (exit)
		sd_event_exit(w->event, 0);
	else if (stop)
		w->stop_cb(w->userdata);
	return 0;
}

int
worker_add(struct workers *ws, struct worker *w)
{
	w->workers = ws;
	w->fd = -1;
	ws->w[ws->n++] = w;
	if (ws->size <= 1)
		return 0;       /* no one to talk to */
	w->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->fd < 0)
		return -errno;
	return sd_event_add_io(w->event, &w->mailbox, w->fd, EPOLLIN, mailbox_cb, w);
}

void
worker_done(struct worker *w)
{
	w->mailbox = sd_event_source_disable_unref(w->mailbox);
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
}

static void *
worker_main(void *userdata)
{
	struct worker *w = userdata;
	struct workers *ws = w->workers;
	int r;

	r = timer_run_loop(w->event, "worker");
	if (r < 0)
		log_error_errno(r, "Worker %u failed: %m", w->id);
	pthread_mutex_lock(&ws->lock);
	ws->failed = ws->failed || r < 0;
	ws->running--;
	pthread_mutex_unlock(&ws->lock);
	poke(ws->w[0]->fd);
	return NULL;
}

int
workers_start(struct workers *ws)
{
	sigset_t all, old;
	int r = 0;

	/* The threads take no signal: the main thread's signalfd has them all. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (size_t i = 1; i < ws->n; i++) {
		pthread_mutex_lock(&ws->lock);
		ws->running++;
		pthread_mutex_unlock(&ws->lock);
		r = -pthread_create(&ws->threads[i], NULL, worker_main, ws->w[i]);
		if (r < 0) {
			pthread_mutex_lock(&ws->lock);
			ws->running--;
			pthread_mutex_unlock(&ws->lock);
			log_error_errno(r, "Failed to start worker %zu: %m", i);
			break;
		}
		ws->started = i;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return r;
}

void
workers_publish(struct workers *ws, struct hellod_config *config, bool stop, bool exit)
{
	struct hellod_config *old = NULL;
	struct timespec deadline;
	uint64_t generation;

	if (ws->n <= 1)
		return;
	pthread_mutex_lock(&ws->lock);
	if (config && config != ws->config) {
		old = ws->config;
		ws->config = config_ref(config);
	}
	ws->stop = ws->stop || stop;
	ws->exit = ws->exit || exit;
	generation = ++ws->generation;
	pthread_mutex_unlock(&ws->lock);
	config_unref(old);
	for (size_t i = 1; i < ws->n; i++)
		poke(ws->w[i]->fd);
	if (exit)
		return;

	/* A worker's loop turns within microseconds; a second is a generous bound, after
	 * which the main thread goes on rather than hang. */
	clock_gettime(CLOCK_MONOTONIC, &deadline);      /* the condition variable's clock */
	deadline.tv_sec += 1;
	pthread_mutex_lock(&ws->lock);
	for (size_t i = 1; i <= ws->started; i++)
		while (ws->w[i]->generation != generation &&
		    pthread_cond_timedwait(&ws->taken, &ws->lock, &deadline) == 0)
			;
	pthread_mutex_unlock(&ws->lock);
}

void
workers_end(struct workers *ws)
{
	workers_publish(ws, NULL, true, true);
	for (size_t i = 1; i <= ws->started; i++)
		pthread_join(ws->threads[i], NULL);
	ws->started = 0;
}

size_t
workers_running(struct workers *ws)
{
	size_t n;

	pthread_mutex_lock(&ws->lock);
	n = ws->running;
	pthread_mutex_unlock(&ws->lock);
	return n;
}

bool
workers_failed(struct workers *ws)
{
	bool failed;

	pthread_mutex_lock(&ws->lock);
	failed = ws->failed;
	pthread_mutex_unlock(&ws->lock);
	return failed;
}

int
workers_init(struct workers *ws, struct hellod_config *config, size_t size)
{
	pthread_condattr_t attr;
	int r;

	*ws = (struct workers){ 0 };
	/* POSIX lets both fail (EAGAIN, ENOMEM); glibc's never do, whatever the attributes. */
	r = -pthread_mutex_init(&ws->lock, NULL);
	if (r < 0)                              /* GCOVR_EXCL_BR_LINE: glibc returns 0 */
		return r;                       /* GCOVR_EXCL_LINE: glibc returns 0 */
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	r = -pthread_cond_init(&ws->taken, &attr);
	pthread_condattr_destroy(&attr);
	if (r < 0) {                            /* GCOVR_EXCL_BR_LINE: glibc returns 0 */
		pthread_mutex_destroy(&ws->lock);       /* GCOVR_EXCL_LINE: glibc returns 0 */
		return r;                               /* GCOVR_EXCL_LINE: glibc returns 0 */
	}
	ws->config = config_ref(config);
	ws->size = size;
	return 0;
}

void
workers_destroy(struct workers *ws)
{
	config_unref(ws->config);
	ws->config = NULL;
	pthread_cond_destroy(&ws->taken);
	pthread_mutex_destroy(&ws->lock);
}
