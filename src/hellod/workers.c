/* SPDX-License-Identifier: BSD-2-Clause */
/* Workers: one sd-event loop per thread, each on its own SO_REUSEPORT sockets; what the main
 * thread decides (reload, stop) reaches them through an eventfd each. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "server-internal.h"

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
	struct server *s = userdata;
	struct server_group *g = s->group;
	struct hellod_config *old = NULL;
	eventfd_t v;
	bool stop, exit;

	(void)eventfd_read(fd, &v);
	if (s->id == 0) {
		bool failed;

		pthread_mutex_lock(&g->lock);
		failed = g->failed;
		pthread_mutex_unlock(&g->lock);
		if (failed && !s->stopping) {
			/* Its sockets would take a share of the clients and never answer. */
			log_error("A worker failed, stopping");
			g->stop_cb(s);
		}
		return 0;       /* server.c's exit post source sees whether this was the last */
	}
	pthread_mutex_lock(&g->lock);
	stop = g->stop;
	exit = g->exit;
	if (s->generation != g->generation) {
		if (s->config != g->config) {
			old = s->config;
			s->config = config_ref(g->config);
		}
		s->generation = g->generation;
		pthread_cond_broadcast(&g->taken);
	}
	pthread_mutex_unlock(&g->lock);
	config_unref(old);
	if (exit)
		sd_event_exit(s->event, 0);
	else if (stop)
		g->stop_cb(s);
	return 0;
}

int
workers_mailbox_add(struct server *s)
{
	s->mailbox_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->mailbox_fd < 0)
		return -errno;
	return sd_event_add_io(s->event, &s->mailbox, s->mailbox_fd, EPOLLIN, mailbox_cb, s);
}

static void *
worker_main(void *userdata)
{
	struct server *s = userdata;
	struct server_group *g = s->group;
	int r;

	r = sd_event_loop(s->event);
	if (r < 0)
		log_error_errno(r, "Worker %u failed: %m", s->id);
	pthread_mutex_lock(&g->lock);
	g->failed = g->failed || r < 0;
	g->running--;
	pthread_mutex_unlock(&g->lock);
	poke(g->servers[0]->mailbox_fd);
	return NULL;
}

int
workers_start(struct server_group *g)
{
	sigset_t all, old;
	int r = 0;

	/* The threads take no signal: the main thread's signalfd has them all. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (size_t i = 1; i < g->n; i++) {
		pthread_mutex_lock(&g->lock);
		g->running++;
		pthread_mutex_unlock(&g->lock);
		r = -pthread_create(&g->threads[i], NULL, worker_main, g->servers[i]);
		if (r < 0) {
			pthread_mutex_lock(&g->lock);
			g->running--;
			pthread_mutex_unlock(&g->lock);
			log_error_errno(r, "Failed to start worker %zu: %m", i);
			break;
		}
		g->started = i;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return r;
}

void
workers_publish(struct server_group *g, struct hellod_config *config, bool stop, bool exit)
{
	struct hellod_config *old = NULL;
	struct timespec deadline;
	uint64_t generation;

	if (g->n <= 1)
		return;
	pthread_mutex_lock(&g->lock);
	if (config && config != g->config) {
		old = g->config;
		g->config = config_ref(config);
	}
	g->stop = g->stop || stop;
	g->exit = g->exit || exit;
	generation = ++g->generation;
	pthread_mutex_unlock(&g->lock);
	config_unref(old);
	for (size_t i = 1; i < g->n; i++)
		poke(g->servers[i]->mailbox_fd);
	if (exit)
		return;

	/* A worker's loop turns within microseconds; a second is a generous bound, after
	 * which the main thread goes on rather than hang. */
	clock_gettime(CLOCK_MONOTONIC, &deadline);      /* the condition variable's clock */
	deadline.tv_sec += 1;
	pthread_mutex_lock(&g->lock);
	for (size_t i = 1; i <= g->started; i++)
		while (g->servers[i]->generation != generation &&
		    pthread_cond_timedwait(&g->taken, &g->lock, &deadline) == 0)
			;
	pthread_mutex_unlock(&g->lock);
}

void
workers_end(struct server_group *g)
{
	workers_publish(g, NULL, true, true);
	for (size_t i = 1; i <= g->started; i++)
		pthread_join(g->threads[i], NULL);
	g->started = 0;
}

void
workers_stats(struct server_group *g, struct stats *ret)
{
	*ret = (struct stats){ 0 };
	for (size_t i = 0; i < g->n; i++)
		stats_sum(ret, &g->servers[i]->stats);
}
