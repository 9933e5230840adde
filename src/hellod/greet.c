/* SPDX-License-Identifier: BSD-2-Clause */
/* The greeting line for one client, rendered from the config's template when it has one. */
#include <string.h>

#include "greet.h"

/* The time strings of now's second, formatted once a second at most. */
static void
greet_time(struct greeter *g, time_t now)
{
	if (g->second == now)
		return;
	template_format_time(now, g->iso8601, g->daytime);
	g->second = now;
}

/* The quote for this greeting: the day's, the same on every worker, or the next one. */
static size_t
greet_quote(struct greeter *g, const struct hellod_config *c, time_t now)
{
	const struct quotes *q = c->quotes;

	if (c->quote_rotation == 1)
		return g->next++ % q->n;
	/* quotes_daily() takes the local date: worked out once a second. */
	if (g->daily_of != q->generation || g->daily_second != now) {
		g->daily = quotes_daily(q, now);
		g->daily_of = q->generation;
		g->daily_second = now;
	}
	return g->daily;
}

char *
greet_line(struct greeter *g, const struct hellod_config *c, const struct greet_peer *p,
    char *buf, size_t *ret_len)
{
	const unsigned timed = (1u << VAR_TIME_ISO8601) | (1u << VAR_DAYTIME) | (1u << VAR_QUOTE);
	const unsigned local = (1u << VAR_SERVER_ADDR) | (1u << VAR_SERVER_PORT);
	const struct template *t = c->template;
	struct template_values v = { .hostname = c->hostname, .remote = p->remote,
		.remote_len = p->remote_len, .local = p->local, .local_len = p->local_len,
		.protocol = p->protocol };
	struct sockaddr_storage me;
	time_t now = 0;
	size_t n;

	if (!t) {
		*ret_len = c->line_len;
		return c->line;
	}
	if (t->uses & timed)
		now = time(NULL);
	if (t->uses & ((1u << VAR_TIME_ISO8601) | (1u << VAR_DAYTIME))) {
		greet_time(g, now);
		v.time_iso8601 = g->iso8601;
		v.daytime = g->daytime;
	}
	if ((t->uses & (1u << VAR_QUOTE)) && c->quotes && c->quotes->n > 0) {
		size_t i = greet_quote(g, c, now);

		v.quote = c->quotes->text[i];
		v.quote_len = c->quotes->len[i];
	}
	if ((t->uses & local) && !p->local && p->fd >= 0) {
		socklen_t len = sizeof(me);

		if (getsockname(p->fd, (struct sockaddr *)&me, &len) == 0) {
			v.local = (const struct sockaddr *)&me;
			v.local_len = len;
		}
	}
	/* The config made sure that the longest rendering fits. */
	n = template_render(t, &v, buf, GREET_LINE_MAX - 1);
	buf[n] = '\n';
	buf[n + 1] = '\0';
	*ret_len = n + 1;
	return buf;
}
