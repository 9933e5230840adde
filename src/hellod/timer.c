/* SPDX-License-Identifier: BSD-2-Clause */
/* The loop's clock and its one-shot timers. */
#include <errno.h>
#include <time.h>

#include "defaults.h"
#include "log.h"
#include "timer.h"

uint64_t
timer_now(void)
{
	struct timespec ts;

	/* CLOCK_MONOTONIC cannot fail on Linux. */
	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

int
timer_add(sd_event *event, sd_event_source **ret, uint64_t accuracy_usec,
    sd_event_time_handler_t cb, void *userdata)
{
	int r = sd_event_add_time(event, ret, CLOCK_MONOTONIC, UINT64_MAX, accuracy_usec, cb,
	    userdata);

	if (r >= 0)
		r = sd_event_source_set_enabled(*ret, SD_EVENT_OFF);
	return r < 0 ? r : 0;
}

void
timer_arm(sd_event_source *timer, uint64_t usec)
{
	timer_arm_at(timer, timer_now() + usec);
}

void
timer_arm_at(sd_event_source *timer, uint64_t usec)
{
	if (usec == UINT64_MAX) {
		(void)sd_event_source_set_enabled(timer, SD_EVENT_OFF);
		return;
	}
	/* Fails only on a source that is not a timer, or on a loop that has ended. */
	(void)sd_event_source_set_time(timer, usec);
	(void)sd_event_source_set_enabled(timer, SD_EVENT_ONESHOT);
}

int
timer_run_loop(sd_event *event, const char *who)
{
	const struct timespec pause = { .tv_nsec = (long)HELLOD_LOOP_PAUSE_USEC * 1000L };
	uint64_t last_warning = 0;
	unsigned failures = 0;
	int r, code = 0;

	while (sd_event_get_state(event) != SD_EVENT_FINISHED) {
		r = sd_event_run(event, UINT64_MAX);
		if (r >= 0) {
			failures = 0;
			continue;
		}
		/* The loop misused, or failing for good: as sd_event_loop() would, return. */
		if (r == -ESTALE || r == -EBUSY || r == -ECHILD ||
		    ++failures >= HELLOD_LOOP_FAILURES_MAX)
			return log_error_errno(r, "%s: the event loop failed %u times in a row: %m",
			    who, failures);
		if (last_warning == 0 || timer_now() - last_warning >= HELLOD_WARN_INTERVAL_USEC) {
			last_warning = timer_now();
			log_warning_errno(r, "%s: an event loop iteration failed: %m; going on", who);
		}
		(void)nanosleep(&pause, NULL);
	}
	(void)sd_event_get_exit_code(event, &code);
	return code;
}
