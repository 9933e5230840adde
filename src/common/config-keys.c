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
 * The rows without .reload, the five that make the sockets, wait for the next start. */
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

static void *
field(const struct config_key *k, struct hellod_config *c)
{
	return (char *)c + k->offset;
}

static void
store_number(const struct config_key *k, struct hellod_config *c, uint64_t v)
{
	void *p = field(k, c);

	switch (k->storage) {
	case STORE_BOOL:
		*(bool *)p = v != 0;
		break;
	case STORE_INT:
		*(int *)p = (int)v;
		break;
	case STORE_UNSIGNED:
		*(unsigned *)p = (unsigned)v;
		break;
	case STORE_U16:
		*(uint16_t *)p = (uint16_t)v;
		break;
	case STORE_U64:
		*(uint64_t *)p = v;
		break;
	default:
		abort();        /* a row whose type is a number has a number's field */
	}
}

static int
store_string(const struct config_key *k, struct hellod_config *c, const char *value)
{
	char **p = field(k, c);
	char *s = value ? strdup(value) : NULL;

	if (value && !s)
		return -ENOMEM;
	free(*p);
	*p = s;
	return 0;
}

/* Says in msg what is wrong (reason, unless the row is terse or reason NULL) and what k allows.
 * Returns r. */
static int
refuse(const struct config_key *k, int r, const char *reason, char *msg)
{
	if (reason && !k->terse)
		snprintf(msg, MSG_LEN, "%s; allowed: %s", reason, k->allowed);
	else
		snprintf(msg, MSG_LEN, "allowed: %s", k->allowed);
	return r;
}

static int
parse_bool(const struct config_key *k, struct hellod_config *c, const char *value, char *msg)
{
	bool b;

	if (parse_boolean(value, &b) < 0)
		return refuse(k, -EINVAL, "not a boolean", msg);
	store_number(k, c, b);
	return 0;
}

static int
parse_number(const struct config_key *k, struct hellod_config *c, const char *value, char *msg)
{
	unsigned long v;
	int r;

	if (k->auto_word && strcmp(value, k->auto_word) == 0) {
		store_number(k, c, k->auto_value);
		return 0;
	}
	r = parse_uint(value, k->min, k->max, &v);
	if (r < 0)
		return refuse(k, r, r == -ERANGE ? "out of range" : "not a number", msg);
	store_number(k, c, v);
	return 0;
}

static int
parse_secs(const struct config_key *k, struct hellod_config *c, const char *value, char *msg)
{
	uint64_t usec;
	int r;

	if (k->zero_off && strcmp(value, "0") == 0) {
		store_number(k, c, 0);
		return 0;
	}
	r = parse_seconds(value, k->max, &usec);
	if (r == 0 && usec < k->min)
		r = -ERANGE;
	if (r < 0)
		return refuse(k, r, r == -ERANGE ? "out of range" : "not a number of seconds", msg);
	store_number(k, c, usec);
	return 0;
}

static int
parse_enum(const struct config_key *k, struct hellod_config *c, const char *value, char *msg)
{
	for (size_t i = 0; k->words[i]; i++)
		if (strcmp(value, k->words[i]) == 0) {
			store_number(k, c, i);
			return 0;
		}
	return refuse(k, -EINVAL, NULL, msg);
}

static int
parse_host(const struct config_key *k, struct hellod_config *c, const char *value, char *msg)
{
	char ipv4[INET_ADDRSTRLEN];

	if (value[0] == '\0' || strcmp(value, "*") == 0)
		return store_string(k, c, NULL);
	if (addr_check_host(value) < 0)
		return refuse(k, -EINVAL, "not a host name or address", msg);
	/* An IPv6 socket cannot bind ::ffff:a.b.c.d: refused here, so that -t and a start
	 * agree. */
	if (addr_host_is_v4mapped(value, ipv4, sizeof(ipv4))) {
		snprintf(msg, MSG_LEN, "an IPv4-mapped address; write it as %s", ipv4);
		return -EINVAL;
	}
	/* getaddrinfo() takes what inet_aton() does as an address: 127.1, 2130706433,
	 * 127.0.0.010 (octal: .8), 0x7f.1, maybe not the one meant. Only a dotted quad without
	 * leading zeros is taken. */
	if (addr_is_loose_ipv4(value))
		return refuse(k, -EINVAL, "not a dotted-quad IPv4 address (four numbers 0-255 "
		    "without leading zeros, such as 192.0.2.1)", msg);
	return store_string(k, c, value);
}

static int
parse_port(const struct config_key *k, struct hellod_config *c, const char *value, char *msg)
{
	uint16_t port;
	int r = addr_parse_port(value, &port);

	if (r < 0)
		return refuse(k, r, r == -ERANGE ? "out of range" :
		    "not a port number or a known service name", msg);
	store_number(k, c, port);
	return 0;
}

static int
parse_text(const struct config_key *k, struct hellod_config *c, const char *value, char *msg)
{
	size_t n = strlen(value);

	if (n < k->min || n > k->max) {
		snprintf(msg, MSG_LEN, "%zu bytes long; allowed: %s", n, k->allowed);
		return -EINVAL;
	}
	for (size_t i = 0, len; i < n; i += len) {
		uint32_t cp;

		len = utf8_decode(value + i, n - i, &cp);
		if (len == 0) {
			snprintf(msg, MSG_LEN, "not UTF-8 at byte %zu (\\x%02x); allowed: UTF-8 "
			    "text and tabs", i + 1, (unsigned char)value[i]);
			return -EINVAL;
		}
		if ((cp < 0x20 && cp != '\t') || cp == 0x7f) {
			snprintf(msg, MSG_LEN, "control character \\x%02x at byte %zu; allowed: "
			    "text and tabs", (unsigned)cp, i + 1);
			return -EINVAL;
		}
		/* C1 controls: U+009B is the CSI of terminals, as ESC [ is. */
		if (cp >= 0x80 && cp <= 0x9f) {
			snprintf(msg, MSG_LEN, "control character U+%04X at byte %zu; allowed: "
			    "text and tabs", (unsigned)cp, i + 1);
			return -EINVAL;
		}
	}
	return store_string(k, c, value);
}

static int
parse_level(const struct config_key *k, struct hellod_config *c, const char *value, char *msg)
{
	int level = parse_log_level(value);

	if (level < 0)
		return refuse(k, -EINVAL, "not a log level", msg);
	store_number(k, c, (uint64_t)level);
	return 0;
}

/* A list of addresses and prefixes, separated by spaces or commas; empty: none. */
static int
parse_prefixes(const struct config_key *k, struct hellod_config *c, const char *value, char *msg)
{
	static const char sep[] = " \t,";
	struct addr_prefix *a = field(k, c);
	const char *p = value;
	unsigned n = 0;

	for (p += strspn(p, sep); *p; p += strspn(p, sep)) {
		size_t len = strcspn(p, sep);
		char word[64], escaped[64];
		int r = -EINVAL;

		if (n == k->max) {
			snprintf(msg, MSG_LEN, "more than %u prefixes; allowed: at most %u", n, n);
			return -EINVAL;
		}
		if (len < sizeof(word)) {
			memcpy(word, p, len);
			word[len] = '\0';
			r = addr_prefix_parse(word, &a[n]);
		}
		if (r < 0) {
			snprintf(msg, MSG_LEN, "'%s' %s; allowed: %s", str_escape(p, len, escaped,
			    sizeof(escaped)), r == -ERANGE ? "has too long a prefix length" :
			    "is not an address or prefix", k->allowed);
			return -EINVAL;
		}
		n++;
		p += len;
	}
	*(unsigned *)((char *)c + k->count_offset) = n;
	return 0;
}

/* A file's path: taken as written, read when the config is checked as a whole. */
static int
parse_path(const struct config_key *k, struct hellod_config *c, const char *value, char *msg)
{
	size_t n = strlen(value);

	if (n == 0)
		return store_string(k, c, NULL);
	if (n > k->max) {
		snprintf(msg, MSG_LEN, "%zu bytes long; allowed: %s", n, k->allowed);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)value[i] < 0x20 || value[i] == 0x7f) {
			snprintf(msg, MSG_LEN, "control character \\x%02x at byte %zu; allowed: %s",
			    (unsigned char)value[i], i + 1, k->allowed);
			return -EINVAL;
		}
	return store_string(k, c, value);
}

static int (*const parsers[])(const struct config_key *k, struct hellod_config *c,
    const char *value, char *msg) = {
	[CONFIG_BOOL] = parse_bool,
	[CONFIG_UINT] = parse_number,
	[CONFIG_SECONDS] = parse_secs,
	[CONFIG_ENUM] = parse_enum,
	[CONFIG_HOST] = parse_host,
	[CONFIG_PORT] = parse_port,
	[CONFIG_GREETING] = parse_text,
	[CONFIG_LEVEL] = parse_level,
	[CONFIG_PREFIXES] = parse_prefixes,
	[CONFIG_PATH] = parse_path,
};

int
config_key_parse(const struct config_key *k, struct hellod_config *c, const char *value,
    char *msg)
{
	return parsers[k->type](k, c, value, msg);
}

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

int
config_keys_defaults(struct hellod_config *c)
{
	char msg[MSG_LEN];

	for (size_t i = 0; i < ELEMENTSOF(config_keys); i++) {
		const struct config_key *k = &config_keys[i];
		int r;

		if (k->def_text) {
			r = config_key_parse(k, c, k->def_text, msg);
			if (r == -ENOMEM)
				return r;
			if (r < 0)
				abort();        /* the built-in default is valid */
		} else if (k->storage != STORE_STRING && k->storage != STORE_OTHER)
			store_number(k, c, k->def);
	}
	return 0;
}

void
config_keys_free(struct hellod_config *c)
{
	for (size_t i = 0; i < ELEMENTSOF(config_keys); i++)
		if (config_keys[i].storage == STORE_STRING)
			free(*(char **)field(&config_keys[i], c));
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
