/* SPDX-License-Identifier: BSD-2-Clause */
/* SIGHUP: a new configuration, read as a whole and handed over only when valid, never the
 * built-in defaults, and never a file caught in the middle of a rewrite. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#include "log.h"
#include "reload.h"
#include "timer.h"

static int
reload_timer_cb(sd_event_source *source, uint64_t usec, void *userdata)
{
	struct reload *rl = userdata;

	rl->cb(rl->userdata);
	return 0;
}

int
reload_setup(struct reload *rl)
{
	/* A reload waiting for a quiet file is due 0.1 s later, not up to sd-event's default
	 * slack of 250 ms more. */
	return timer_add(rl->event, &rl->timer, HELLOD_RELOAD_QUIET_USEC / 10, reload_timer_cb,
	    rl);
}

void
reload_done(struct reload *rl)
{
	rl->timer = sd_event_source_disable_unref(rl->timer);
}

/* Whether the file changed so recently that it may be in the middle of a rewrite (a shell's
 * `printf ... > file` truncates, then writes line by line, and each prefix can parse): then
 * the reload waits until the file has been quiet for HELLOD_RELOAD_QUIET_USEC, on a timer, never
 * blocking the loop. A file that keeps changing for HELLOD_RELOAD_WAIT_USEC is not reloaded. */
int
reload_ready(struct reload *rl)
{
	struct stat st;
	struct timespec now;
	int64_t age;

	if (stat(rl->path, &st) < 0 || clock_gettime(CLOCK_REALTIME, &now) < 0)
		return 1;       /* reload_read() says why */
	age = ((int64_t)now.tv_sec - (int64_t)st.st_mtim.tv_sec) * 1000000 +
	    ((int64_t)now.tv_nsec - (int64_t)st.st_mtim.tv_nsec) / 1000;
	/* A file from a clock far ahead of ours (NFS) would look fresh for ever: not waited for. */
	if (age >= (int64_t)HELLOD_RELOAD_QUIET_USEC || age <= -(int64_t)HELLOD_RELOAD_QUIET_USEC) {
		rl->waiting_since = 0;
		return 1;
	}
	if (rl->waiting_since == 0) {
		rl->waiting_since = timer_now();
		log_debug("%s changed moments ago, reloading once it is quiet", rl->path);
	} else if (timer_now() - rl->waiting_since >= HELLOD_RELOAD_WAIT_USEC) {
		rl->waiting_since = 0;
		log_struct(LOG_ERR, -EBUSY, HELLOD_MESSAGE_RELOAD_FAILED, NULL,
		    "Reloading %s failed: it kept changing, still serving the previous configuration",
		    rl->path);
		return -EBUSY;
	}
	timer_arm(rl->timer, HELLOD_RELOAD_QUIET_USEC);
	return 0;
}

int
reload_read(struct reload *rl, struct hellod_config **ret)
{
	struct config_errors *errors;
	struct hellod_config *c = NULL;
	int r;

	/* Once running, the file is required: a missing one (deleted, or a pipe read once) must
	 * not turn into the built-in defaults. An empty one, caught mid-rewrite, is refused by
	 * config_load() itself, as hellod -t refuses it; one of nothing but comments is the
	 * defaults, written on purpose. */
	errors = malloc(sizeof(*errors));
	r = errors ? config_load(rl->path, true, &c, errors) : -ENOMEM;
	if (r < 0) {
		if (errors)
			log_config_errors(errors);
		log_struct(LOG_ERR, r, HELLOD_MESSAGE_RELOAD_FAILED, NULL,
		    "Reloading %s failed, still serving the previous configuration", rl->path);
	}
	free(errors);
	if (r >= 0) {
		log_config_notes(c);
		*ret = c;
	}
	return r < 0 ? r : 0;
}
