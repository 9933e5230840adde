/* SPDX-License-Identifier: BSD-2-Clause */
/* The config schema: one table of keys, and one pure parser per type of value. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "config-keys.h"
#include "config.h"
#include "util.h"

#define PREFIXES_ALLOWED "IPv4 or IPv6 addresses or prefixes such as 192.0.2.0/24 or " \
	"2001:db8::/32, separated by spaces"
#define BOOL_ALLOWED "yes/no, true/false, on/off, 1/0"
#define SECONDS_ALLOWED "seconds from 0.001 to 3600, such as 5 or 0.5"
#define RATE_ALLOWED "0 (no limit) or 1-" STRINGIFY(HELLOD_RATE_MAX) " per second"
#define BURST_ALLOWED "1-" STRINGIFY(HELLOD_RATE_MAX)
#define TIMEOUT(f, def_usec) CONFIG_SECONDS, CONFIG_FIELD(f), .min = 1000, \
	.max = HELLOD_TIMEOUT_MAX_USEC, .allowed = SECONDS_ALLOWED, .def = (def_usec), \
	.reload = true

static const char *const close_words[] = { "linger", "fast", NULL };
static const char *const rotation_words[] = { "daily", "connection", NULL };

/* Every key, by section in the order the messages list them. Adding a key is adding a row here,
 * a field to struct hellod_config, and its documentation (hellod.conf(5), etc/hellod.conf).
 * The rows without .reload, the six that make the sockets, wait for the next start. */
const struct config_key config_keys[] = {
	{ "server", "host", CONFIG_HOST, CONFIG_FIELD(host),
	  .allowed = "* (every address), a host name, an IPv4 or an IPv6 address" },
	{ "server", "port", CONFIG_PORT, CONFIG_FIELD(port),
	  .allowed = "1-65535 or a service name from /etc/services", .def = HELLOD_PORT_DEFAULT },
	{ "server", "backlog", CONFIG_UINT, CONFIG_FIELD(backlog), .min = 1,
	  .max = HELLOD_BACKLOG_MAX, .allowed = "1-" STRINGIFY(HELLOD_BACKLOG_MAX),
	  .def = HELLOD_BACKLOG_DEFAULT },
	{ "server", "greeting", CONFIG_GREETING, CONFIG_FIELD(greeting), .min = 1,
	  .max = HELLOD_GREETING_MAX,
	  .allowed = "1-" STRINGIFY(HELLOD_GREETING_MAX) " bytes (RFC 865)",
	  .def_text = HELLOD_GREETING_DEFAULT, .reload = true },
	{ "server", "udp", CONFIG_BOOL, CONFIG_FIELD(udp), .allowed = BOOL_ALLOWED },
	{ "server", "workers", CONFIG_UINT, CONFIG_FIELD(workers), .min = 1,
	  .max = HELLOD_WORKERS_MAX, .auto_word = "auto", .auto_value = 0, .terse = true,
	  .allowed = "auto (one per CPU) or 1-" STRINGIFY(HELLOD_WORKERS_MAX), .def = 1 },
	{ "server", "close", CONFIG_ENUM, CONFIG_FIELD(close_fast), .words = close_words,
	  .terse = true, .allowed = "linger (wait for the client's end) or fast (close at once "
	  "unless the client sent something)", .reload = true },
	{ "server", "quotes", CONFIG_PATH, CONFIG_FIELD(quotes_path), .min = 0,
	  .max = HELLOD_PATH_MAX, .allowed = "a fortune(6) file, such as "
	  "/usr/share/games/fortunes/fortunes, or empty (no quotes)", .reload = true },
	{ "server", "quote_rotation", CONFIG_ENUM, CONFIG_FIELD(quote_rotation),
	  .words = rotation_words, .terse = true, .allowed = "daily (one quote a day) or "
	  "connection (the next quote for each client)", .reload = true },
	{ "server", "proxy_protocol", CONFIG_BOOL, CONFIG_FIELD(proxy_protocol),
	  .allowed = BOOL_ALLOWED, .reload = true },
	{ "server", "trusted_proxies", CONFIG_PREFIXES, CONFIG_FIELD(trusted),
	  .count_offset = offsetof(struct hellod_config, n_trusted), .max = HELLOD_PROXIES_MAX,
	  .allowed = PREFIXES_ALLOWED, .reload = true },

	{ "limits", "max_connections", CONFIG_UINT, CONFIG_FIELD(max_connections), .min = 1,
	  .max = HELLOD_CONNECTIONS_MAX, .auto_word = "auto", .auto_value = 0,
	  .allowed = "auto (from the open files limit, at most " STRINGIFY(HELLOD_CONNECTIONS_AUTO)
	  ") or 1-" STRINGIFY(HELLOD_CONNECTIONS_MAX), .reload = true },
	{ "limits", "max_connections_per_source", CONFIG_UINT, CONFIG_FIELD(max_per_source),
	  .min = 0, .max = HELLOD_CONNECTIONS_MAX,
	  .allowed = "0 (no cap) or 1-" STRINGIFY(HELLOD_CONNECTIONS_MAX),
	  .def = HELLOD_PER_SOURCE_DEFAULT, .reload = true },
	{ "limits", "send_timeout", TIMEOUT(send_usec, HELLOD_SEND_USEC) },
	{ "limits", "linger_timeout", TIMEOUT(linger_usec, HELLOD_LINGER_USEC) },
	{ "limits", "drain_timeout", TIMEOUT(drain_usec, HELLOD_DRAIN_USEC) },
	{ "limits", "udp_rate", CONFIG_UINT, CONFIG_FIELD(udp_rate), .min = 0,
	  .max = HELLOD_RATE_MAX, .allowed = RATE_ALLOWED, .def = HELLOD_UDP_RATE_DEFAULT,
	  .reload = true },
	{ "limits", "udp_burst", CONFIG_UINT, CONFIG_FIELD(udp_burst), .min = 1,
	  .max = HELLOD_RATE_MAX, .allowed = BURST_ALLOWED, .def = HELLOD_RATE_BURST_DEFAULT,
	  .reload = true },
	{ "limits", "tcp_rate", CONFIG_UINT, CONFIG_FIELD(tcp_rate), .min = 0,
	  .max = HELLOD_RATE_MAX, .allowed = RATE_ALLOWED, .def = 0, .reload = true },
	{ "limits", "tcp_burst", CONFIG_UINT, CONFIG_FIELD(tcp_burst), .min = 1,
	  .max = HELLOD_RATE_MAX, .allowed = BURST_ALLOWED, .def = HELLOD_RATE_BURST_DEFAULT,
	  .reload = true },
	{ "limits", "rate_prefix_ipv4", CONFIG_UINT, CONFIG_FIELD(prefix4), .min = 1, .max = 32,
	  .allowed = "1-32 (bits)", .def = HELLOD_PREFIX4_DEFAULT, .reload = true },
	{ "limits", "rate_prefix_ipv6", CONFIG_UINT, CONFIG_FIELD(prefix6), .min = 1, .max = 128,
	  .allowed = "1-128 (bits)", .def = HELLOD_PREFIX6_DEFAULT, .reload = true },
	{ "limits", "exempt", CONFIG_PREFIXES, CONFIG_FIELD(exempt),
	  .count_offset = offsetof(struct hellod_config, n_exempt), .max = HELLOD_EXEMPT_MAX,
	  .allowed = PREFIXES_ALLOWED, .def_text = HELLOD_EXEMPT_DEFAULT, .reload = true },
	{ "limits", "udp_max_ratio", CONFIG_UINT, CONFIG_FIELD(udp_max_ratio), .min = 1,
	  .max = HELLOD_UDP_MAX_RATIO_MAX,
	  .allowed = "1-" STRINGIFY(HELLOD_UDP_MAX_RATIO_MAX) " (times the request's size)",
	  .def = HELLOD_UDP_MAX_RATIO_DEFAULT, .reload = true },
	{ "limits", "proxy_timeout", TIMEOUT(proxy_usec, HELLOD_PROXY_USEC) },

	{ "access", "allow", CONFIG_PREFIXES, CONFIG_FIELD(allow),
	  .count_offset = offsetof(struct hellod_config, n_allow), .max = HELLOD_ACCESS_MAX,
	  .allowed = PREFIXES_ALLOWED, .reload = true },
	{ "access", "deny", CONFIG_PREFIXES, CONFIG_FIELD(deny),
	  .count_offset = offsetof(struct hellod_config, n_deny), .max = HELLOD_ACCESS_MAX,
	  .allowed = PREFIXES_ALLOWED, .reload = true },

	{ "log", "level", CONFIG_LEVEL, CONFIG_FIELD(log_level),
	  .allowed = "err, warning, notice, info, debug", .def = LOG_INFO, .reload = true },
	{ "log", "connections", CONFIG_BOOL, CONFIG_FIELD(log_connections),
	  .allowed = BOOL_ALLOWED, .reload = true },
	{ "log", "summary_interval", TIMEOUT(summary_usec, HELLOD_SUMMARY_USEC), .zero_off = true },

	{ "metrics", "listen", CONFIG_ENDPOINTS, CONFIG_FIELD(metrics_listen),
	  .max = HELLOD_METRICS_LISTEN_MAX, .allowed = "ADDRESS:PORT items such as "
	  "127.0.0.1:12346 or [::1]:12346 (*:PORT: every address), or empty (off)" },
	{ "metrics", "allow", CONFIG_PREFIXES, CONFIG_FIELD(metrics_allow),
	  .count_offset = offsetof(struct hellod_config, n_metrics_allow),
	  .max = HELLOD_METRICS_ALLOW_MAX, .allowed = PREFIXES_ALLOWED,
	  .def_text = HELLOD_METRICS_ALLOW_DEFAULT, .reload = true },
};

const size_t config_n_keys = ELEMENTSOF(config_keys);

_Static_assert(ELEMENTSOF(config_keys) <= CONFIG_KEYS_MAX, "CONFIG_KEYS_MAX too small");
_Static_assert(ELEMENTSOF(((struct hellod_config *)NULL)->exempt) == HELLOD_EXEMPT_MAX,
    "exempt[] holds what its row allows");
_Static_assert(ELEMENTSOF(((struct hellod_config *)NULL)->trusted) == HELLOD_PROXIES_MAX,
    "trusted[] holds what its row allows");
_Static_assert(ELEMENTSOF(((struct hellod_config *)NULL)->allow) == HELLOD_ACCESS_MAX &&
    ELEMENTSOF(((struct hellod_config *)NULL)->deny) == HELLOD_ACCESS_MAX,
    "allow[] and deny[] hold what their rows allow");
_Static_assert(ELEMENTSOF(((struct hellod_config *)NULL)->metrics_allow) ==
    HELLOD_METRICS_ALLOW_MAX, "metrics_allow[] holds what its row allows");

const struct config_key *
config_key_find(const char *section, const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(config_keys); i++)
		if (strcmp(config_keys[i].section, section) == 0 &&
		    strcmp(config_keys[i].name, name) == 0)
			return &config_keys[i];
	return NULL;
}

bool
config_section_known(const char *name, size_t n)
{
	for (size_t i = 0; i < ELEMENTSOF(config_keys); i++)
		if (strlen(config_keys[i].section) == n &&
		    strncmp(config_keys[i].section, name, n) == 0)
			return true;
	return false;
}

char *
config_keys_format(const char *section, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ELEMENTSOF(config_keys) && o < len; i++) {
		const struct config_key *k = &config_keys[i];

		if (section && strcmp(k->section, section) == 0)
			o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? ", " : "", k->name);
		/* The rows of a section stand together: one begins where the row above differs. */
		else if (!section && (i == 0 || strcmp(k->section, k[-1].section) != 0))
			o += (size_t)snprintf(buf + o, len - o, "%s[%s]", o ? ", " : "",
			    k->section);
	}
	return buf;
}

/* Whether k holds the same value in a and b. */
static bool
key_same(const struct config_key *k, const struct hellod_config *a,
    const struct hellod_config *b)
{
	const char *pa = (const char *)a + k->offset, *pb = (const char *)b + k->offset;
	const char *sa, *sb;

	if (k->storage == STORE_OTHER)
		return false;   /* cannot tell: a reload keeps what is bound */
	if (k->storage != STORE_STRING)
		return memcmp(pa, pb, k->size) == 0;
	sa = *(char *const *)pa;
	sb = *(char *const *)pb;
	return (!sa && !sb) || (sa && sb && strcmp(sa, sb) == 0);
}

bool
config_same_listen(const struct hellod_config *a, const struct hellod_config *b)
{
	for (size_t i = 0; i < ELEMENTSOF(config_keys); i++)
		if (!config_keys[i].reload && !key_same(&config_keys[i], a, b))
			return false;
	return true;
}
