/* SPDX-License-Identifier: BSD-2-Clause */
/* SIGHUP: a new configuration, read as a whole and swapped in only when valid, never the
 * built-in defaults, and never a file caught in the middle of a rewrite. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#include "log.h"
#include "server-internal.h"

void
server_apply_log_level(struct server *s)
{
	log_set_max_level(s->options.log_level_override >= 0 ? s->options.log_level_override :
	    s->config->log_level);
}

/* Whether the file changed so recently that it may be in the middle of a rewrite (a shell's
 * `printf ... > file` truncates, then writes line by line, and each prefix can parse): then
 * the reload waits until the file has been quiet for HELLOD_RELOAD_QUIET_USEC, on a timer, never
 * blocking the loop. A file that keeps changing for HELLOD_RELOAD_WAIT_USEC is not reloaded. */
static bool
reload_later(struct server *s)
{
	struct stat st;
	struct timespec now;
	int64_t age;

	if (stat(s->options.config_path, &st) < 0 || clock_gettime(CLOCK_REALTIME, &now) < 0)
		return false;   /* config_load() says why */
	age = ((int64_t)now.tv_sec - (int64_t)st.st_mtim.tv_sec) * 1000000 +
	    ((int64_t)now.tv_nsec - (int64_t)st.st_mtim.tv_nsec) / 1000;
	/* A file from a clock far ahead of ours (NFS) would look fresh for ever: not waited for. */
	if (age >= (int64_t)HELLOD_RELOAD_QUIET_USEC || age <= -(int64_t)HELLOD_RELOAD_QUIET_USEC) {
		s->reload_waiting_since = 0;
		return false;
	}
	if (s->reload_waiting_since == 0) {
		s->reload_waiting_since = now_usec(s);
		log_debug("%s changed moments ago, reloading once it is quiet", s->options.config_path);
	} else if (now_usec(s) - s->reload_waiting_since >= HELLOD_RELOAD_WAIT_USEC) {
		s->reload_waiting_since = 0;
		log_struct(LOG_ERR, -EBUSY, HELLOD_MESSAGE_RELOAD_FAILED, NULL,
		    "Reloading %s failed: it kept changing, still serving the previous configuration",
		    s->options.config_path);
		return true;
	}
	sd_event_source_set_time_relative(s->reload_timer, HELLOD_RELOAD_QUIET_USEC);
	sd_event_source_set_enabled(s->reload_timer, SD_EVENT_ONESHOT);
	return true;
}

int
reload_timer_cb(sd_event_source *source, uint64_t usec, void *userdata)
{
	server_reload(userdata);
	return 0;
}

void
server_reload(struct server *s)
{
	struct config_errors *errors;
	struct hellod_config *c = NULL;
	struct timespec ts;
	char status[HELLOD_STATUS_LEN];
	int r;

	if (s->stopping) {
		log_info("Stopping, not reloading");
		return;
	}
	if (reload_later(s))
		return;
	/* MONOTONIC_USEC is the time of this message, not of the loop's iteration. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(status, sizeof(status), "Reloading %s", s->options.config_path);
	notify_state(s, NOTIFY_RELOADING,
	    (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000, status);

	/* Once running, the file is required: a missing one (deleted, or a pipe read once) must
	 * not turn into the built-in defaults, and neither must an empty one (caught mid-rewrite
	 * by a truncate-then-write) or one with nothing but comments. */
	errors = malloc(sizeof(*errors));
	r = errors ? config_load(s->options.config_path, true, &c, errors) : -ENOMEM;
	if (r == 0 && c->n_settings == 0) {
		log_error("%s sets nothing (empty, or caught while being rewritten?): a reload never "
		    "falls back to the built-in defaults; replace the file by rename(2) to change it "
		    "atomically", s->options.config_path);
		c = config_unref(c);
		r = -ENODATA;
		errors->n = 0;
	}
	if (r < 0) {
		if (errors)
			log_config_errors(errors);
		log_struct(LOG_ERR, r, HELLOD_MESSAGE_RELOAD_FAILED, NULL,
		    "Reloading %s failed, still serving the previous configuration",
		    s->options.config_path);
	} else {
		if (!s->listen->activated && !config_same_listen(s->bound, c))
			log_warning("host, port, backlog, udp and workers take effect at the next "
			    "start, ignoring their changes");
		/* Said before the new log level applies: a quieter one must not hide it. */
		log_struct(LOG_INFO, 0, HELLOD_MESSAGE_RELOAD, NULL, "Reloaded %s", c->path);
		if (c->max_connections > s->conns.max * s->conns.n_workers)
			log_warning("max_connections = %u: only %zu connections were made room for at "
			    "start, more take a restart", c->max_connections,
			    s->conns.max * s->conns.n_workers);
		workers_publish(s->group, c, false, false);
		config_unref(s->config);
		s->config = c;
		server_apply_log_level(s);
		summary_timer_arm(s);
	}
	free(errors);
	notify_status(s, NOTIFY_READY);
}
