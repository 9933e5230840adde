/* SPDX-License-Identifier: BSD-2-Clause */
/* How many connections each worker makes room for: max_connections, within what the open
 * files limit leaves. */
#include <errno.h>
#include <stdbool.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "budget.h"
#include "log.h"

/* Room for connections: what RLIMIT_NOFILE leaves once the listeners, stdio and a reserve
 * (for logging, reloads) are counted, after raising the soft limit. Never more than that: with
 * EMFILE first, the pool would never fill and evict. */
static size_t
nofile_budget(size_t n_listen, size_t n_workers)
{
	struct rlimit rl;
	rlim_t reserve, used, n;

	/* getrlimit() of a valid resource into valid memory cannot fail. */
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)  /* GCOVR_EXCL_BR_LINE: cannot fail (above) */
		return 1;                       /* GCOVR_EXCL_LINE: cannot fail (above) */
	if (rl.rlim_cur < HELLOD_NOFILE_WANT && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max < HELLOD_NOFILE_WANT ? rl.rlim_max : HELLOD_NOFILE_WANT;
		/* A soft limit at most the hard one is always allowed (only an LSM or seccomp
		 * filter could refuse it). */
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)  /* GCOVR_EXCL_BR_LINE: see above */
			(void)getrlimit(RLIMIT_NOFILE, &rl);    /* GCOVR_EXCL_LINE: see above */
	}
	reserve = rl.rlim_cur / 4 < HELLOD_FD_RESERVE ? rl.rlim_cur / 4 : HELLOD_FD_RESERVE;
	/* Each worker also holds its loop's epoll, its connections' epoll, a timerfd and an
	 * eventfd. */
	used = 3 + n_listen + reserve + 4 * n_workers;
	n = rl.rlim_cur > used ? rl.rlim_cur - used : 0;
	return n > HELLOD_CONNECTIONS_MAX ? HELLOD_CONNECTIONS_MAX : (size_t)n;
}

static bool
serves_tcp(const struct listen_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		if (set->sockets[i].type == SOCK_STREAM)
			return true;
	return false;
}

int
budget_connections(const struct hellod_config *config, const struct listen_set *sets,
    unsigned n, size_t other_fds, size_t *ret_max)
{
	size_t n_listen = 0, budget, total;

	if (n == 0)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++)
		n_listen += sets[i].shared ? 0 : sets[i].n;
	budget = nofile_budget(n_listen + other_fds, n);
	if (serves_tcp(&sets[0]) && (budget < HELLOD_CONNECTIONS_MIN || budget < n)) {
		struct rlimit rl = { 0 };

		(void)getrlimit(RLIMIT_NOFILE, &rl);
		log_error("The open files limit (RLIMIT_NOFILE %llu) leaves room for %zu connections; "
		    "hellod needs %u or more: raise it (LimitNOFILE=, ulimit -n)",
		    (unsigned long long)rl.rlim_cur, budget,
		    n > HELLOD_CONNECTIONS_MIN ? n : HELLOD_CONNECTIONS_MIN);
		return -EMFILE;
	}
	total = config->max_connections ? config->max_connections : HELLOD_CONNECTIONS_AUTO;
	if (total > budget) {
		if (config->max_connections > 0)
			log_warning("max_connections = %u: the open files limit leaves room for %zu",
			    config->max_connections, budget);
		total = budget;
	}
	*ret_max = total / n > 0 ? total / n : 1;
	return 0;
}
