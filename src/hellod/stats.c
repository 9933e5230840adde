/* SPDX-License-Identifier: BSD-2-Clause */
/* A worker's counters, their sum over the workers, their text for STATUS= and the logs, and
 * their labels for the metrics endpoint. */
#include <stdio.h>
#include <string.h>

#include "defaults.h"
#include "stats.h"

static uint64_t
load(const uint64_t *counter)
{
	return __atomic_load_n(counter, __ATOMIC_RELAXED);
}

void
stats_sum(struct stats *sum, const struct stats *one)
{
	sum->tcp_greetings += load(&one->tcp_greetings);
	sum->udp_greetings += load(&one->udp_greetings);
	sum->accept_pauses += load(&one->accept_pauses);
	for (unsigned i = 0; i < REFUSED_N; i++)
		sum->refused[i] += load(&one->refused[i]);
	for (unsigned i = 0; i < CONN_STATE_N; i++)
		sum->conns[i] += load(&one->conns[i]);
}

uint64_t
stats_refused(const struct stats *st)
{
	uint64_t total = 0;

	for (unsigned i = 0; i < REFUSED_N; i++)
		total += st->refused[i];
	return total;
}

void
stats_describe(const struct stats *st, char *buf, size_t len)
{
	static const struct {
		const char *group, *what;
	} names[REFUSED_N] = {
		[REFUSED_MAX_CONNECTIONS] = { "TCP refused", "over max_connections" },
		[REFUSED_PER_SOURCE] = { "TCP refused", "over max_connections_per_source" },
		[REFUSED_TCP_RATE] = { "TCP refused", "over tcp_rate" },
		[REFUSED_PROXY] = { "TCP refused", "without a valid PROXY header" },
		[REFUSED_SEND_TIMEOUT] = { "TCP cut off", "at send_timeout" },
		[REFUSED_EVICTED] = { "TCP evicted", "to make room" },
		[REFUSED_UDP_SIZE] = { "UDP refused", "too small or from a service port" },
		[REFUSED_UDP_RATE] = { "UDP refused", "over udp_rate" },
		[REFUSED_UDP_LOOP] = { "UDP refused", "looping (to itself, or to a port answered "
		    "less than 1 s ago)" },
		[REFUSED_DENIED] = { "denied", "by [access]" },
	};
	uint64_t n[REFUSED_N];
	const char *group = NULL;
	size_t o = strlen(buf);

	_Static_assert(HELLOD_UDP_LOOP_USEC == 1000000ULL, "the names say 1 s");
	/* The text counts some together that the metrics tell apart: denied over TCP and UDP,
	 * and a UDP request too small or from a service port. */
	memcpy(n, st->refused, sizeof(n));
	n[REFUSED_DENIED] += n[REFUSED_UDP_DENIED];
	n[REFUSED_UDP_SIZE] += n[REFUSED_UDP_PORT];
	n[REFUSED_UDP_DENIED] = n[REFUSED_UDP_PORT] = 0;
	for (unsigned i = 0; i < REFUSED_N && o < len; i++) {
		int k;

		if (n[i] == 0)
			continue;
		if (group && strcmp(group, names[i].group) == 0)
			k = snprintf(buf + o, len - o, ", %llu %s", (unsigned long long)n[i],
			    names[i].what);
		else
			k = snprintf(buf + o, len - o, "; %s: %llu %s", names[i].group,
			    (unsigned long long)n[i], names[i].what);
		group = names[i].group;
		o += k > 0 ? (size_t)k : 0;
	}
}

void
stats_refusal_labels(enum refusal why, const char **ret_proto, const char **ret_reason)
{
	static const struct {
		const char *proto, *reason;
	} labels[REFUSED_N] = {
		[REFUSED_DENIED] = { "tcp", "access" },
		[REFUSED_MAX_CONNECTIONS] = { "tcp", "max_connections" },
		[REFUSED_PER_SOURCE] = { "tcp", "max_connections_per_source" },
		[REFUSED_TCP_RATE] = { "tcp", "tcp_rate" },
		[REFUSED_PROXY] = { "tcp", "proxy_header" },
		[REFUSED_SEND_TIMEOUT] = { "tcp", "send_timeout" },
		[REFUSED_EVICTED] = { "tcp", "evicted" },
		[REFUSED_UDP_DENIED] = { "udp", "access" },
		[REFUSED_UDP_PORT] = { "udp", "service_port" },
		[REFUSED_UDP_SIZE] = { "udp", "udp_max_ratio" },
		[REFUSED_UDP_RATE] = { "udp", "udp_rate" },
		[REFUSED_UDP_LOOP] = { "udp", "loop_guard" },
	};

	*ret_proto = labels[why].proto;
	*ret_reason = labels[why].reason;
}

const char *
stats_conn_state_label(enum conn_state state)
{
	static const char *const labels[CONN_STATE_N] = {
		[CONN_SENDING] = "open",
		[CONN_LINGERING] = "lingering",
		[CONN_WAITING] = "waiting_header",
	};

	return labels[state];
}
