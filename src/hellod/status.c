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

/* "5 s" or "0.25 s". Returns buf. */
char *
format_usec(uint64_t usec, char *buf, size_t len)
{
	if (usec % 1000000 == 0)
		snprintf(buf, len, "%llu s", (unsigned long long)(usec / 1000000));
	else
		snprintf(buf, len, "%.3g s", (double)usec / 1e6);
	return buf;
}

void
summary_timer_arm(struct server *s)
{
	if (s->id != 0 || s->config->summary_usec == 0) {
		sd_event_source_set_enabled(s->summary_timer, SD_EVENT_OFF);
		return;
	}
	sd_event_source_set_time(s->summary_timer, now_usec(s) + s->config->summary_usec);
	sd_event_source_set_enabled(s->summary_timer, SD_EVENT_ONESHOT);
}

static void
refused_sum(struct server_group *g, uint64_t counts[REFUSED_N])
{
	for (unsigned i = 0; i < REFUSED_N; i++)
		counts[i] = workers_sum(g, offsetof(struct server, refused) + i * sizeof(uint64_t));
}

char *
status_format(struct server *s, char *buf, size_t len)
{
	uint64_t counts[REFUSED_N];
	char more[HELLOD_STATUS_LEN / 2] = "";

	refused_sum(s->group, counts);
	limits_describe(counts, more, sizeof(more));
	snprintf(buf, len, "Serving %s; greetings: %llu TCP, %llu UDP%s", s->summary,
	    (unsigned long long)workers_sum(s->group, offsetof(struct server, tcp_greetings)),
	    (unsigned long long)workers_sum(s->group, offsetof(struct server, udp_greetings)), more);
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

int
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
	uint64_t counts[REFUSED_N], total = 0;
	char text[HELLOD_STATUS_LEN] = "", top[ADDR_STR_MAX], field[64], period[32];
	const char *const fields[] = { field, NULL };

	refused_sum(s->group, counts);
	limits_take_summary(s->group->limits, &sum);
	for (unsigned i = 0; i < REFUSED_N; i++) {
		uint64_t n = counts[i] - s->summarized[i];

		s->summarized[i] = counts[i];
		counts[i] = n;
		total += n;
	}
	if (total > 0) {
		limits_describe(counts, text, sizeof(text));
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
	sd_event_source_set_time(s->status_timer, now_usec(s) + HELLOD_STATUS_USEC);
	sd_event_source_set_enabled(s->status_timer, SD_EVENT_ONESHOT);
}
