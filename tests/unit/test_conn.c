/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests of the connection table: the lists ordered by deadline, eviction, a connection
 * leaving from the middle, deadlines, slots reused. Real sockets (socketpairs), a real sd-event. */
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../src/hellod/limits.c"
#include "../../src/hellod/conn.c"
#include "../../src/hellod/timer.c"
#include "test.h"

#define SLOTS 4

static struct hellod_config *config;
static struct stats stats;
static unsigned changes;

static void
changed(void *userdata)
{
	changes++;
}

static void
table_new(struct conn_table *t, sd_event **e)
{
	CHECK(sd_event_new(e) >= 0);
	config = config_new_defaults();
	stats = (struct stats){ 0 };
	changes = 0;
	CHECK(conn_table_init(t, *e, SLOTS, 1, &config, NULL, &stats, changed, NULL) == 0);
}

static void
table_free(struct conn_table *t, sd_event *e)
{
	conn_table_done(t);
	sd_event_unref(e);
	config = config_unref(config);
}

/* A connection whose peer end is returned in *peer. */
static int
open_one(struct conn_table *t, int *peer)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	*peer = sv[1];
	return conn_open(t, sv[0], config->line, config->line_len, 0, NULL);
}

/* Whether the list holds exactly the n fds in order, oldest first, linked both ways, with
 * deadlines that never go down. */
static bool
list_is(const struct conn_list *l, const int *fds, size_t n)
{
	const struct conn *c = l->oldest, *prev = NULL;

	for (size_t i = 0; i < n; i++, prev = c, c = c->next)
		if (!c || c->fd != fds[i] || c->prev != prev || (prev && prev->deadline > c->deadline))
			return false;
	return !c && l->newest == prev;
}

/* Whether the connection gauges (struct stats) say so many are sending, lingering and waiting
 * for a header. */
static bool
gauges_are(uint64_t sending, uint64_t lingering, uint64_t waiting)
{
	return stats.conns[CONN_SENDING] == sending && stats.conns[CONN_LINGERING] == lingering &&
	    stats.conns[CONN_WAITING] == waiting;
}

/* Whether the peer sees the greeting and then the end (our FIN, or our close). */
static bool
greeted_and_ended(int peer)
{
	char buf[128];
	ssize_t n = read(peer, buf, sizeof(buf));

	return n == (ssize_t)config->line_len && memcmp(buf, config->line, config->line_len) == 0 &&
	    read(peer, buf, sizeof(buf)) == 0;
}

static void
greeted_then_lingering_in_order(void)
{
	struct conn_table t;
	sd_event *e;
	int peer[SLOTS], fds[SLOTS];

	table_new(&t, &e);
	for (int i = 0; i < SLOTS; i++) {
		CHECK(open_one(&t, &peer[i]) == 0);
		fds[i] = t.lingering.newest ? t.lingering.newest->fd : -1;
	}
	CHECK(t.n == SLOTS);
	CHECK(t.sending.oldest == NULL);
	CHECK(list_is(&t.lingering, fds, SLOTS));
	CHECK(stats.tcp_greetings == SLOTS);
	CHECK(gauges_are(0, SLOTS, 0));
	for (int i = 0; i < SLOTS; i++) {
		CHECK(greeted_and_ended(peer[i]));
		close(peer[i]);
	}
	table_free(&t, e);
}

static void
full_table_evicts_the_oldest(void)
{
	struct conn_table t;
	sd_event *e;
	int peer[SLOTS + 1], fds[SLOTS];
	char c;

	table_new(&t, &e);
	for (int i = 0; i < SLOTS; i++)
		CHECK(open_one(&t, &peer[i]) == 0);
	for (int i = 0; i < SLOTS; i++)
		fds[i] = t.pool[i].fd;
	CHECK(open_one(&t, &peer[SLOTS]) == 0);
	CHECK(t.n == SLOTS);
	CHECK(stats.refused[REFUSED_EVICTED] == 1);
	/* The oldest's slot went to the newest: the list is the other three, then it. */
	CHECK(t.used == SLOTS);
	CHECK(t.lingering.oldest && t.lingering.oldest->fd == fds[1]);
	CHECK(t.lingering.newest == &t.pool[0]);
	/* The evicted one's peer got its greeting, then the end; the others have the FIN only. */
	CHECK(greeted_and_ended(peer[0]));
	CHECK(read(peer[1], &c, 1) > 0 && fcntl(t.pool[1].fd, F_GETFD) >= 0);
	for (int i = 0; i <= SLOTS; i++)
		close(peer[i]);
	table_free(&t, e);
}

static void
client_end_leaves_from_the_middle(void)
{
	struct conn_table t;
	sd_event *e;
	int peer[SLOTS], fds[SLOTS], rest[SLOTS - 1];

	table_new(&t, &e);
	for (int i = 0; i < SLOTS; i++) {
		CHECK(open_one(&t, &peer[i]) == 0);
		fds[i] = t.lingering.newest->fd;
	}
	/* The third client reads and closes: only its connection goes. */
	CHECK(greeted_and_ended(peer[2]));
	close(peer[2]);
	conn_poll(&t);
	CHECK(t.n == SLOTS - 1);
	CHECK(gauges_are(0, SLOTS - 1, 0));
	rest[0] = fds[0], rest[1] = fds[1], rest[2] = fds[3];
	CHECK(list_is(&t.lingering, rest, SLOTS - 1));
	/* Its slot is the first reused. */
	CHECK(open_one(&t, &peer[2]) == 0);
	CHECK(t.used == SLOTS && t.lingering.newest == &t.pool[2]);
	for (int i = 0; i < SLOTS; i++)
		close(peer[i]);
	table_free(&t, e);
}

/* Runs the loop until the table is empty or 2 s passed. */
static void
run_until_empty(struct conn_table *t, sd_event *e)
{
	for (int i = 0; i < 200 && t->n > 0; i++)
		(void)sd_event_run(e, 10000);
}

static void
linger_deadline_closes_everything(void)
{
	struct conn_table t;
	sd_event *e;
	int peer[2];

	table_new(&t, &e);
	config->linger_usec = 20000;
	CHECK(open_one(&t, &peer[0]) == 0);
	CHECK(open_one(&t, &peer[1]) == 0);
	/* The clients never close: the deadline does. */
	run_until_empty(&t, e);
	CHECK(t.n == 0 && !t.lingering.oldest && !t.lingering.newest);
	CHECK(gauges_are(0, 0, 0));
	CHECK(stats.refused[REFUSED_SEND_TIMEOUT] == 0);
	CHECK(greeted_and_ended(peer[0]) && greeted_and_ended(peer[1]));
	close(peer[0]);
	close(peer[1]);
	table_free(&t, e);
}

/* Runs the loop until the table holds fewer than n connections or 2 s passed. Returns
 * whether that happened no earlier than deadline and no later than slack after it (the loop
 * runs in steps of at most 10 ms: it happened between a step's start and its end). */
static bool
runs_out_at(struct conn_table *t, sd_event *e, size_t n, uint64_t deadline, uint64_t slack)
{
	for (int i = 0; i < 200; i++) {
		uint64_t before = timer_now(), after;

		(void)sd_event_run(e, 10000);
		after = timer_now();
		if (t->n < n)
			return after >= deadline && before <= deadline + slack;
	}
	return false;
}

/* A connection that leaves first does not move the deadline timer (issue 28): the timer goes
 * off for it, early, and then at the deadline of the one still there, lingering or sending. */
static void
deadlines_kept_after_the_first_leaves(void)
{
	struct conn_table t;
	sd_event *e;
	int peer[2], sv[2];
	static char junk[4096];
	uint64_t deadline;

	table_new(&t, &e);
	config->linger_usec = 40000;
	config->send_usec = 80000;
	/* Lingering: the first client reads and closes, the second never does. */
	CHECK(open_one(&t, &peer[0]) == 0);
	(void)usleep(10000);
	CHECK(open_one(&t, &peer[1]) == 0);
	deadline = t.lingering.newest->deadline;
	CHECK(greeted_and_ended(peer[0]));
	close(peer[0]);
	conn_poll(&t);
	CHECK(t.n == 1 && t.deadline_armed < deadline);
	CHECK(runs_out_at(&t, e, 1, deadline, 500000));
	CHECK(t.n == 0 && stats.refused[REFUSED_SEND_TIMEOUT] == 0);
	close(peer[1]);

	/* Sending: a lingering client leaves first; one that never reads is still cut off. */
	CHECK(open_one(&t, &peer[0]) == 0);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0);
	while (write(sv[0], junk, sizeof(junk)) > 0)
		;
	CHECK(conn_open(&t, sv[0], config->line, config->line_len, 0, NULL) == 0);
	deadline = t.sending.oldest->deadline;
	CHECK(greeted_and_ended(peer[0]));
	close(peer[0]);
	conn_poll(&t);
	CHECK(t.n == 1 && t.sending.oldest && t.deadline_armed < deadline);
	CHECK(runs_out_at(&t, e, 1, deadline, 500000));
	CHECK(t.n == 0 && stats.refused[REFUSED_SEND_TIMEOUT] == 1);
	/* Nothing is left: the timer is off. */
	CHECK(t.deadline_armed == UINT64_MAX);
	close(sv[1]);
	table_free(&t, e);
}

static void
send_timeout_cuts_a_client_that_never_reads(void)
{
	struct conn_table t;
	sd_event *e;
	int sv[2];
	static char junk[4096];

	table_new(&t, &e);
	config->send_usec = 20000;
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0);
	/* The client's receive queue is full already: the greeting cannot go out. */
	while (write(sv[0], junk, sizeof(junk)) > 0)
		;
	CHECK(conn_open(&t, sv[0], config->line, config->line_len, 0, NULL) == 0);
	CHECK(t.sending.oldest && t.sending.oldest->fd == sv[0] && !t.lingering.oldest &&
	    t.sending.oldest->config == config);
	CHECK(gauges_are(1, 0, 0));
	run_until_empty(&t, e);
	CHECK(gauges_are(0, 0, 0));
	CHECK(t.n == 0);
	CHECK(stats.refused[REFUSED_SEND_TIMEOUT] == 1 && stats.tcp_greetings == 0);
	CHECK(changes >= 1);
	close(sv[1]);
	table_free(&t, e);
}

static void
every_slot_sending_means_no_room(void)
{
	struct conn_table t;
	sd_event *e;
	int sv[SLOTS][2], extra[2];
	static char junk[4096];

	table_new(&t, &e);
	for (int i = 0; i < SLOTS; i++) {
		CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv[i]) == 0);
		while (write(sv[i][0], junk, sizeof(junk)) > 0)
			;
		CHECK(conn_open(&t, sv[i][0], config->line, config->line_len, 0, NULL) == 0);
	}
	/* None has had its greeting: none may be evicted for a newcomer. */
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, extra) == 0);
	CHECK(conn_open(&t, extra[0], config->line, config->line_len, 0, NULL) == -ENOSPC);
	CHECK(t.n == SLOTS && stats.refused[REFUSED_EVICTED] == 0);
	close(extra[0]);
	close(extra[1]);
	for (int i = 0; i < SLOTS; i++)
		close(sv[i][1]);
	table_free(&t, e);
}

/* A line rendered into the caller's buffer (a greeting with variables) that cannot go out at
 * once is kept by the table: the caller's buffer is the next client's. */
static void
a_rendered_line_outlives_its_buffer(void)
{
	struct conn_table t;
	sd_event *e;
	int sv[2];
	static char junk[4096], got[1 << 20];
	char line[GREET_LINE_MAX];
	size_t total = 0;
	ssize_t n;

	table_new(&t, &e);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0);
	while (write(sv[0], junk, sizeof(junk)) > 0)
		;
	snprintf(line, sizeof(line), "Hello from a template\n");
	CHECK(conn_open(&t, sv[0], line, strlen(line), 0, NULL) == 0);
	CHECK(t.sending.oldest && t.sending.oldest->line != line);
	memset(line, 'X', sizeof(line));        /* the next client's rendering */
	/* The client reads: the junk, then the line as it was rendered. */
	for (int i = 0; i < 2000 && t.n > 0; i++) {
		while ((n = read(sv[1], got + total, sizeof(got) - total)) > 0)
			total += (size_t)n;
		conn_poll(&t);
	}
	while ((n = read(sv[1], got + total, sizeof(got) - total)) > 0)
		total += (size_t)n;
	CHECK(total > 22 && memcmp(got + total - 22, "Hello from a template\n", 22) == 0);
	CHECK(stats.tcp_greetings == 1);
	close(sv[1]);
	table_free(&t, e);
}

static void
header_cb(struct conn *c, bool closed, void *userdata)
{
	conn_refuse(c, REFUSED_PROXY);
}

/* A trusted proxy's connection waits for its header, counted as such until proxy_timeout. */
static void
waiting_gauge_until_proxy_timeout(void)
{
	struct conn_table t;
	sd_event *e;
	int sv[2];

	table_new(&t, &e);
	t.header_cb = header_cb;
	config->proxy_usec = 20000;
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0);
	CHECK(conn_open_waiting(&t, sv[0], NULL, 0) == 0);
	CHECK(gauges_are(0, 0, 1));
	run_until_empty(&t, e);
	CHECK(t.n == 0 && gauges_are(0, 0, 0));
	CHECK(stats.refused[REFUSED_PROXY] == 1);
	close(sv[1]);
	table_free(&t, e);
}

int
main(void)
{
	RUN("unit/conn", greeted_then_lingering_in_order);
	RUN("unit/conn", full_table_evicts_the_oldest);
	RUN("unit/conn", client_end_leaves_from_the_middle);
	RUN("unit/conn", linger_deadline_closes_everything);
	RUN("unit/conn", send_timeout_cuts_a_client_that_never_reads);
	RUN("unit/conn", deadlines_kept_after_the_first_leaves);
	RUN("unit/conn", every_slot_sending_means_no_room);
	RUN("unit/conn", a_rendered_line_outlives_its_buffer);
	RUN("unit/conn", waiting_gauge_until_proxy_timeout);
	return tests_failed ? 1 : 0;
}
