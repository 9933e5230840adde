/* SPDX-License-Identifier: BSD-2-Clause */
/* The loop's clock and its one-shot timers, as every module of hellod uses them: CLOCK_MONOTONIC,
 * made disabled, armed when needed. */
#ifndef HELLOD_TIMER_H
#define HELLOD_TIMER_H

#include <stdint.h>
#include <systemd/sd-event.h>

/* The time now (CLOCK_MONOTONIC, usec), read from the clock at each call (the vDSO: no system
 * call), never the loop's cached time: that was taken before the iteration's callbacks ran, and
 * before any pause of the whole process (SIGSTOP, a debugger) in one of them, so a deadline
 * counted from it could be over before the event it is for was even handled (DESIGN.md,
 * "Deadlines count from a clock read at the event"). */
uint64_t timer_now(void);

/* Adds a disabled one-shot timer. accuracy_usec is how late it may fire, so that wakeups can
 * be coalesced; 0 means sd-event's default of 250 ms. Returns 0 or a negative errno. */
int timer_add(sd_event *event, sd_event_source **ret, uint64_t accuracy_usec,
    sd_event_time_handler_t cb, void *userdata);

/* Arms timer to fire once, usec from now (timer_now()). */
void timer_arm(sd_event_source *timer, uint64_t usec);

/* Arms timer to fire once at usec (CLOCK_MONOTONIC), or disables it for UINT64_MAX. */
void timer_arm_at(sd_event_source *timer, uint64_t usec);

/* Runs event until it exits, as sd_event_loop() would, but survives an iteration that fails
 * inside sd-event (out of memory, a failed read of its own signalfd or timerfd): logged at
 * most once per HELLOD_WARN_INTERVAL_USEC, then the loop goes on after a short pause, so that
 * a failure that persists neither spins nor ends the service. Gives up after
 * HELLOD_LOOP_FAILURES_MAX failures in a row. Returns the exit code, or a negative errno. */
int timer_run_loop(sd_event *event, const char *who);

#endif
