/* SPDX-License-Identifier: BSD-2-Clause */
/* What hellod tells of itself while it runs: STATUS= with live counters, the watchdog pings,
 * and the limits' summary line. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "log.h"
#include "status.h"
#include "timer.h"
#include "util.h"

void
status_sum(const struct status_board *b, struct stats *ret)
{
	*ret = (struct stats){ 0 };
	for (size_t i = 0; i < b->n; i++)
		stats_sum(ret, b->stats[i]);
}

char *
status_format(const struct status *st, char *buf, size_t len)
{
	struct stats sum;
	char more[HELLOD_STATUS_LEN / 2] = "";

	status_sum(st->board, &sum);
	stats_describe(&sum, more, sizeof(more));
	snprintf(buf, len, "Serving %s; greetings: %llu TCP, %llu UDP%s", st->summary,
	    (unsigned long long)sum.tcp_greetings, (unsigned long long)sum.udp_greetings, more);
	return buf;
}

/* A message waits in the notifier: send it again soon, from this thread's loop. The first time,
 * say why: the service manager is not reading, and hellod goes on without waiting. */
static void
notify_later(struct status *st)
{
	if (!__atomic_exchange_n(&st->board->warned, true, __ATOMIC_RELAXED))
		log_warning("The service manager is not reading $NOTIFY_SOCKET (its queue is full): "
		    "status updates wait, serving goes on");
	if (st->armed)
		return;
	st->armed = true;
	timer_arm(st->timer, HELLOD_NOTIFY_RETRY_USEC);
}

void
status_send(struct status *st, unsigned flags)
{
	struct notify *n = st->board->notify;
	char text[HELLOD_STATUS_LEN];
	int r;

	if (!n)
		return;
	/* Once stopping, "Serving" would be a lie: STOPPING=1 said the last word. What is still
	 * pending (STOPPING=1 itself) goes out. */
	if (st->stopping || __atomic_load_n(&st->board->stopping, __ATOMIC_RELAXED))
		r = notify_flush(n);
	else
		r = notify_send(n, flags, 0, status_format(st, text, sizeof(text)));
	if (r == -EAGAIN)
		notify_later(st);
}

void
status_notify(struct status *st, unsigned flags, uint64_t monotonic_usec, const char *text)
{
	if (notify_send(st->board->notify, flags, monotonic_usec, text) == -EAGAIN)
		notify_later(st);
}

void
status_stop(struct status *st)
{
	st->stopping = true;
	if (!st->main)
		return;
	/* Atomic: the workers' STATUS= updates look at it. */
	__atomic_store_n(&st->board->stopping, true, __ATOMIC_RELAXED);
	status_notify(st, NOTIFY_STOPPING, 0, "Stopping");
}

static int
status_timer_cb(sd_event_source *source, uint64_t usec, void *userdata)
{
	struct status *st = userdata;

	st->armed = false;
	status_send(st, 0);
	return 0;
}

void
status_changed(void *status)
{
	struct status *st = status;

	if (!st->board->notify || st->armed)
		return;
	st->armed = true;
	timer_arm(st->timer, HELLOD_STATUS_USEC);
}

static int
watchdog_timer_cb(sd_event_source *source, uint64_t usec, void *userdata)
{
	struct status *st = userdata;

	status_notify(st, NOTIFY_WATCHDOG, 0, NULL);
	timer_arm(source, st->watchdog_usec);
	return 0;
}

/* Pings systemd at half of WatchdogSec= while the main loop turns. Not sd_event_set_watchdog():
 * it sends with the blocking sd_notify(), and a reader that does not read would freeze us. */
static int
watchdog_add(struct status *st)
{
	uint64_t usec;
	int r;

	if (!st->board->notify || sd_watchdog_enabled(0, &usec) <= 0)
		return 0;
	st->watchdog_usec = usec / 2 > 0 ? usec / 2 : 1;
	/* Accuracy a tenth of the period: sd-event's default, 250 ms, would stretch a ping
	 * every 100 ms (WatchdogSec=200ms) past the timeout. */
	r = timer_add(st->event, &st->watchdog_timer,
	    st->watchdog_usec / 10 > 0 ? st->watchdog_usec / 10 : 1, watchdog_timer_cb, st);
	if (r >= 0)
		timer_arm(st->watchdog_timer, st->watchdog_usec);
	return r;
}

/* Every summary_interval: one line for what the limits refused since the last one, if
 * anything; never a line per refusal. */
static int
summary_timer_cb(sd_event_source *source, uint64_t usec, void *userdata)
{
	struct status *st = userdata;
	struct limits_summary sum;
	struct stats now, period_stats = { 0 };
	uint64_t total;
	char text[HELLOD_STATUS_LEN] = "", top[ADDR_STR_MAX], field[64], period[32];
	const char *const fields[] = { field, NULL };

	status_sum(st->board, &now);
	limits_take_summary(st->board->limits, &sum);
	for (unsigned i = 0; i < REFUSED_N; i++)
		period_stats.refused[i] = now.refused[i] - st->summarized.refused[i];
	st->summarized = now;
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
		    format_usec((*st->config)->summary_usec, period, sizeof(period)), text + 2);
	}
	status_config_changed(st);
	return 0;
}

void
status_config_changed(struct status *st)
{
	if (!st->main || (*st->config)->summary_usec == 0) {
		(void)sd_event_source_set_enabled(st->summary_timer, SD_EVENT_OFF);
		return;
	}
	timer_arm(st->summary_timer, (*st->config)->summary_usec);
}

int
status_setup(struct status *st, const struct listen_set *listen)
{
	size_t o = 0;
	int r;

	st->summary[0] = '\0';
	for (size_t i = 0; i < listen->n && o + 1 < sizeof(st->summary); i++) {
		int k = snprintf(st->summary + o, sizeof(st->summary) - o, "%s%s %s", i ? ", " : "",
		    listen_kind(&listen->sockets[i]), listen->sockets[i].address);

		o += k > 0 ? (size_t)k : 0;
	}
	r = timer_add(st->event, &st->timer, 0, status_timer_cb, st);
	if (r >= 0 && st->main)
		r = timer_add(st->event, &st->summary_timer, 0, summary_timer_cb, st);
	if (r >= 0 && st->main)
		r = watchdog_add(st);
	return r;
}

void
status_done(struct status *st)
{
	st->timer = sd_event_source_disable_unref(st->timer);
	st->summary_timer = sd_event_source_disable_unref(st->summary_timer);
	st->watchdog_timer = sd_event_source_disable_unref(st->watchdog_timer);
}
