/* SPDX-License-Identifier: BSD-2-Clause */
/* How many connections each worker makes room for: max_connections, within what the open
 * files limit leaves. */
#ifndef HELLOD_BUDGET_H
#define HELLOD_BUDGET_H

#include <stddef.h>

#include "config.h"
#include "listen.h"

/* Each of the n workers' share of max_connections, within the fds that RLIMIT_NOFILE (raised
 * as far as it may go) leaves once the listeners of sets[0..n-1], other_fds (the metrics
 * endpoint's) and a reserve are counted, into *ret_max. Returns 0, -EMFILE (logged) when that
 * leaves no room for a handful of clients, or -EINVAL for no worker. */
int budget_connections(const struct hellod_config *config, const struct listen_set *sets,
    unsigned n, size_t other_fds, size_t *ret_max);

#endif
