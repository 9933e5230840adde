/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests of the connection budget: the soft open files limit raised to the hard one, each
 * worker's share, a max_connections over the limit warned about and cut, and a limit too low to
 * start refused with the limit named (a UDP-only set needs no connections). Lowers this
 * process's RLIMIT_NOFILE step by step, so the cases run in order. */
#include <errno.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "../../src/hellod/budget.c"
#include "test.h"

static char logged[512];

static void
remember(const char *message, void *userdata)
{
	snprintf(logged, sizeof(logged), "%s", message);
}

static int
set_nofile(rlim_t soft, rlim_t hard)
{
	struct rlimit rl = { .rlim_cur = soft, .rlim_max = hard };

	return setrlimit(RLIMIT_NOFILE, &rl);
}

static rlim_t
soft_nofile(void)
{
	struct rlimit rl = { 0 };

	(void)getrlimit(RLIMIT_NOFILE, &rl);
	return rl.rlim_cur;
}

/* One worker's set of one TCP socket, unless udp. */
static struct listen_set
one_socket(bool udp)
{
	struct listen_set set = { .n = 1 };

	set.sockets[0].fd = -1;
	set.sockets[0].type = udp ? SOCK_DGRAM : SOCK_STREAM;
	return set;
}

static void
no_worker_is_invalid(void)
{
	struct hellod_config *c = config_new_defaults();
	struct listen_set set = one_socket(false);
	size_t max = 99;

	CHECK(budget_connections(c, &set, 0, 0, &max) == -EINVAL);
	CHECK(max == 99);
	config_unref(c);
}

/* A soft limit under 65536 is raised as far as the hard limit lets it; the room is what the
 * limit leaves once stdio, the listeners, the reserve and 4 fds a worker are counted (never
 * more than max_connections = auto's 16384), shared out between the workers. */
static void
soft_limit_raised_and_shared(void)
{
	struct hellod_config *c = config_new_defaults();
	struct listen_set sets[2] = { one_socket(false), one_socket(false) };
	struct rlimit rl = { 0 };
	rlim_t want;
	size_t max = 0;

	CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
	want = rl.rlim_max < 65536 ? rl.rlim_max : 65536;
	CHECK(want > 1024 + 48);
	CHECK(set_nofile(1024, rl.rlim_max) == 0);
	CHECK(budget_connections(c, sets, 1, 0, &max) == 0);
	CHECK(soft_nofile() == want);
	CHECK(max == (want - (3 + 1 + 32 + 4) < 16384 ? want - (3 + 1 + 32 + 4) : 16384));
	/* A limit of 1072 is not raised past the hard one. A second worker: its own listener,
	 * 4 fds more and half the room each; other_fds (the metrics endpoint's) count too. */
	if (set_nofile(1072, 1072) < 0) {
		config_unref(c);        /* valgrind allows no hard limit but its own */
		return;
	}
	CHECK(budget_connections(c, sets, 2, 2, &max) == 0);
	CHECK(max == (1072 - (3 + 2 + 2 + 32 + 8)) / 2);
	/* A set shared with the first (sockets passed by systemd) adds no listener. */
	sets[1].shared = true;
	CHECK(budget_connections(c, sets, 2, 0, &max) == 0);
	CHECK(max == (1072 - (3 + 1 + 32 + 8)) / 2);
	config_unref(c);
}

/* max_connections over the room: cut to it, with a warning naming both. */
static void
max_connections_cut_to_the_limit(void)
{
	struct hellod_config *c = config_new_defaults();
	struct listen_set set = one_socket(false);
	size_t max = 0;

	CHECK(set_nofile(200, 200) == 0);
	c->max_connections = 1000;
	logged[0] = '\0';
	log_set_error_hook(remember, NULL);
	CHECK(budget_connections(c, &set, 1, 0, &max) == 0);
	log_set_error_hook(NULL, NULL);
	/* A quarter of 200 is more than the reserve of 32. */
	CHECK(max == 200 - (3 + 1 + 32 + 4));
	CHECK_STR(logged, "max_connections = 1000: the open files limit leaves room for 160");
	/* Within the room: as configured, no warning, and 1 at least for each worker. */
	c->max_connections = 3;
	logged[0] = '\0';
	log_set_error_hook(remember, NULL);
	CHECK(budget_connections(c, &set, 1, 0, &max) == 0);
	CHECK(max == 3);
	CHECK(budget_connections(c, (struct listen_set[4]){ set, set, set, set }, 4, 0, &max) == 0);
	CHECK(max == 1);
	log_set_error_hook(NULL, NULL);
	CHECK_STR(logged, "");
	config_unref(c);
}

/* Room for fewer than 8 connections: a TCP server refuses to start, naming the limit and what
 * to raise; a UDP-only one serves with what there is. */
static void
too_few_fds_refused(void)
{
	struct hellod_config *c = config_new_defaults();
	struct listen_set tcp = one_socket(false), udp = one_socket(true);
	size_t max = 0;

	/* 20: a reserve of 5, and 20 - (3 + 1 + 5 + 4) = 7 connections. */
	CHECK(set_nofile(20, 20) == 0);
	logged[0] = '\0';
	log_set_error_hook(remember, NULL);
	CHECK(budget_connections(c, &tcp, 1, 0, &max) == -EMFILE);
	log_set_error_hook(NULL, NULL);
	CHECK_STR(logged, "The open files limit (RLIMIT_NOFILE 20) leaves room for 7 connections; "
	    "hellod needs 8 or more: raise it (LimitNOFILE=, ulimit -n)");
	CHECK(max == 0);
	CHECK(budget_connections(c, &udp, 1, 0, &max) == 0);
	CHECK(max == 7);
	config_unref(c);
}

int
main(void)
{
	RUN("unit/budget", no_worker_is_invalid);
	RUN("unit/budget", soft_limit_raised_and_shared);
	/* Valgrind allows no hard limit but its own: the lower ones cannot be set. */
	if (set_nofile(1072, 1072) < 0) {
		printf("SKIP unit/budget/max_connections_cut_to_the_limit: cannot set RLIMIT_NOFILE "
		    "1072/1072 here (valgrind?)\n");
		printf("SKIP unit/budget/too_few_fds_refused: the same\n");
		return tests_failed ? 1 : 0;
	}
	RUN("unit/budget", max_connections_cut_to_the_limit);
	RUN("unit/budget", too_few_fds_refused);
	return tests_failed ? 1 : 0;
}
