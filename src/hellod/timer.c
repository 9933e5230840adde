/* SPDX-License-Identifier: BSD-2-Clause */
/* The loop's clock and its one-shot timers. */
#include <time.h>

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
