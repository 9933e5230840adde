/* SPDX-License-Identifier: BSD-2-Clause */
/* Who a config lets in, leaves alone and believes: [access], exempt, trusted_proxies and
 * [metrics] allow, matched against a client's address. */
#include <stdbool.h>

#include "addr.h"
#include "config.h"

bool
config_exempts(const struct hellod_config *c, const struct addr_prefix *source)
{
	for (unsigned i = 0; i < c->n_exempt; i++)
		if (addr_prefix_contains(&c->exempt[i], source))
			return true;
	return false;
}

/* The longest prefix of list[0..n) of source's family that holds source: its length, or -1. */
static int
longest_match(const struct addr_prefix *list, unsigned n, const struct addr_prefix *source)
{
	bool v4 = addr_prefix_is_ipv4(source);
	int best = -1;

	for (unsigned i = 0; i < n; i++)
		if (addr_prefix_is_ipv4(&list[i]) == v4 && (int)list[i].bits > best &&
		    addr_prefix_contains(&list[i], source))
			best = (int)list[i].bits;
	return best;
}

bool
config_allows(const struct hellod_config *c, const struct addr_prefix *source)
{
	int allow, deny;

	if (c->n_allow == 0 && c->n_deny == 0)
		return true;
	allow = longest_match(c->allow, c->n_allow, source);
	deny = longest_match(c->deny, c->n_deny, source);
	if (allow < 0 && deny < 0)
		return c->n_allow == 0;
	return allow > deny;
}

bool
config_may_scrape(const struct hellod_config *c, const struct addr_prefix *source)
{
	return longest_match(c->metrics_allow, c->n_metrics_allow, source) >= 0;
}

bool
config_trusts(const struct hellod_config *c, const struct addr_prefix *source)
{
	if (!c->proxy_protocol)
		return false;
	for (unsigned i = 0; i < c->n_trusted; i++)
		if (addr_prefix_contains(&c->trusted[i], source))
			return true;
	return false;
}
