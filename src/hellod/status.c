/* SPDX-License-Identifier: BSD-2-Clause */
/* What hellod tells of itself while it runs: STATUS= with live counters, and the limits'
 * summary line. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "log.h"
#include "server-internal.h"
#include "util.h"

void
summary_timer_arm(struct server *s)
{
	if (s->id != 0 || s->config->summary_usec == 0) {
		sd_event_source_set_enabled(s->summary_timer, SD_EVENT_OFF);
		return;
	}
	sd_event_source_set_time_relative(s->summary_timer, s->config->summary_usec);
	sd_event_source_set_enabled(s->summary_timer, SD_EVENT_ONESHOT);
}

char *
status_format(struct server *s, char *buf, size_t len)
{
	struct stats st;
	char more[HELLOD_STATUS_LEN / 2] = "";

	workers_stats(s->group, &st);
	stats_describe(&st, more, sizeof(more));
	snprintf(buf, len, "Serving %s; greetings: %llu TCP, %llu UDP%s", s->summary,
	    (unsigned long long)st.tcp_greetings, (unsigned long long)st.udp_greetings, more);
	return buf;
}

/* A message waits in the notifier: send it again soon, from this thread's loop. The first time,
 * say why: the service manager is not reading, and hellod goes on without waiting. */
static void
notify_later(struct server *s)
{
	if (!__atomic_exchange_n(&s->group->notify_warned, true, __ATOMIC_RELAXED))
		log_warning("The service manager is not reading $NOTIFY_SOCKET (its queue is full): "
		    "status updates wait, serving goes on");
	if (s->status_armed)
		return;
	s->status_armed = true;
	sd_event_source_set_time_relative(s->status_timer, HELLOD_NOTIFY_RETRY_USEC);
	sd_event_source_set_enabled(s->status_timer, SD_EVENT_ONESHOT);
}

void
notify_status(struct server *s, unsigned flags)
{
	struct notify *n = s->group->notify;
	char status[HELLOD_STATUS_LEN];
	int r;

	if (!n)
		return;
	/* Once stopping, "Serving" would be a lie: STOPPING=1 said the last word. What is still
	 * pending (STOPPING=1 itself) goes out. */
	if (s->stopping || __atomic_load_n(&s->group->servers[0]->stopping, __ATOMIC_RELAXED))
		r = notify_flush(n);
	else
		r = notify_send(n, flags, 0, status_format(s, status, sizeof(status)));
	if (r == -EAGAIN)
		notify_later(s);
}

void
notify_state(struct server *s, unsigned flags, uint64_t monotonic_usec, const char *status)
{
	if (notify_send(s->group->notify, flags, monotonic_usec, status) == -EAGAIN)
		notify_later(s);
}

static int
watchdog_timer_cb(sd_event_source *source, uint64_t usec, void *userdata)
{
	struct server *s = userdata;

	notify_state(s, NOTIFY_WATCHDOG, 0, NULL);
	return sd_event_source_set_time_relative(source, s->watchdog_usec);
}

/* Every summary_interval: one line for what the limits refused since the last one, if
 * anything; never a line per refusal. */
int
summary_timer_cb(sd_event_source *source, uint64_t usec, void *userdata)
{
	struct server *s = userdata;
	struct limits_summary sum;
	struct stats now, period_stats = { 0 };
	uint64_t total;
	char text[HELLOD_STATUS_LEN] = "", top[ADDR_STR_MAX], field[64], period[32];
	const char *const fields[] = { field, NULL };

	workers_stats(s->group, &now);
	limits_take_summary(s->group->limits, &sum);
	for (unsigned i = 0; i < REFUSED_N; i++)
		period_stats.refused[i] = now.refused[i] - s->summarized.refused[i];
	s->summarized = now;
	total = stats_refused(&period_stats);
	if (total > 0) {
		stats_describe(&period_stats, text, sizeof(text));
		if (sum.prefixes > 0) {
			size_t o = strlen(text);

			snprintf(text + o, sizeof(text) - o, "; over a rate limit: %u prefix%s, the "
			    "busiest %s (%llu refused)", sum.prefixes, sum.prefixes == 1 ? "" : "es",
			    addr_prefix_format(&sum.top, top, sizeof(top)),
			    (unsigned long long)sum.top_drops);
		}
		snprintf(field, sizeof(field), "HELLOD_REFUSED=%llu", (unsigned long long)total);
		log_struct(LOG_NOTICE, 0, HELLOD_MESSAGE_LIMITS, fields, "Limits in the last %s: %s",
		    format_usec(s->config->summary_usec, period, sizeof(period)), text + 2);
	}
	summary_timer_arm(s);
	return 0;
}

int
status_timer_cb(sd_event_source *source, uint64_t usec, void *userdata)
{
	struct server *s = userdata;

	s->status_armed = false;
	notify_status(s, 0);
	return 0;
}

/* Schedules a STATUS= update: at most one per HELLOD_STATUS_USEC, none while idle. */
void
status_changed(struct server *s)
{
	if (!s->group->notify || s->status_armed)
		return;
	s->status_armed = true;
	sd_event_source_set_time_relative(s->status_timer, HELLOD_STATUS_USEC);
	sd_event_source_set_enabled(s->status_timer, SD_EVENT_ONESHOT);
}

/* Pings systemd at half of WatchdogSec= while the main loop turns. Not sd_event_set_watchdog():
 * it sends with the blocking sd_notify(), and a reader that does not read would freeze us. */
int
status_watchdog_add(struct server *s)
{
	uint64_t usec;
	int r;

	if (!s->group->notify || sd_watchdog_enabled(0, &usec) <= 0)
		return 0;
	s->watchdog_usec = usec / 2 > 0 ? usec / 2 : 1;
	/* Accuracy a tenth of the period: sd-event's default, 250 ms, would stretch a ping
	 * every 100 ms (WatchdogSec=200ms) past the timeout. */
	r = sd_event_add_time_relative(s->event, &s->watchdog_timer, CLOCK_MONOTONIC,
	    s->watchdog_usec, s->watchdog_usec / 10 > 0 ? s->watchdog_usec / 10 : 1,
	    watchdog_timer_cb, s);
	if (r >= 0)
		r = sd_event_source_set_enabled(s->watchdog_timer, SD_EVENT_ON);
	return r;
}
