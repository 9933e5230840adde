/* SPDX-License-Identifier: BSD-2-Clause */
/* The config schema's value types: one pure parser per type, storing into the field a row of
 * config-keys.c names, and the built-in defaults stored the same way. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "config-keys.h"
#include "config.h"
#include "util.h"

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
	/* GCOVR_EXCL_START: a row whose type is a number has a number's field */
	default:
		abort();
	/* GCOVR_EXCL_STOP */
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
	static const char sep[] = ADDR_LIST_SEPARATORS;
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

/* Whether host (from addr_endpoint_split()) is one that [server] host would take, or "*".
 * Returns NULL, or why not. */
static const char *
endpoint_host_problem(const char *host)
{
	char ipv4[INET_ADDRSTRLEN];

	if (strcmp(host, "*") == 0)
		return NULL;
	if (addr_check_host(host) < 0)
		return "has no host name or address";
	if (addr_host_is_v4mapped(host, ipv4, sizeof(ipv4)))
		return "has an IPv4-mapped address";
	if (addr_is_loose_ipv4(host))
		return "has an IPv4 address that is not a dotted quad";
	return NULL;
}

/* ADDRESS:PORT items, separated as prefixes are; empty: none. Kept as written once each is
 * known to be one that listen.c can bind: it splits them again with the same helper. */
static int
parse_endpoints(const struct config_key *k, struct hellod_config *c, const char *value,
    char *msg)
{
	const char *p = value;
	unsigned n = 0;

	for (p += strspn(p, ADDR_LIST_SEPARATORS); *p; p += strspn(p, ADDR_LIST_SEPARATORS)) {
		size_t len = strcspn(p, ADDR_LIST_SEPARATORS);
		char host[HELLOD_HOST_MAX + 1], port[64], escaped[96];
		const char *why = NULL;
		uint16_t number;

		if (n == k->max) {
			snprintf(msg, MSG_LEN, "more than %u addresses; allowed: at most %u", n, n);
			return -EINVAL;
		}
		if (addr_endpoint_split(p, len, host, sizeof(host), port, sizeof(port)) < 0)
			why = "is not ADDRESS:PORT";
		else
			why = endpoint_host_problem(host);
		if (!why && addr_parse_port(port, &number) < 0)
			why = "has no port 1-65535 or service name";
		if (why) {
			snprintf(msg, MSG_LEN, "'%s' %s; allowed: %s", str_escape(p, len, escaped,
			    sizeof(escaped)), why, k->allowed);
			return -EINVAL;
		}
		n++;
		p += len;
	}
	return store_string(k, c, n > 0 ? value : NULL);
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
	[CONFIG_ENDPOINTS] = parse_endpoints,
};

int
config_key_parse(const struct config_key *k, struct hellod_config *c, const char *value,
    char *msg)
{
	return parsers[k->type](k, c, value, msg);
}

int
config_keys_defaults(struct hellod_config *c)
{
	char msg[MSG_LEN];

	for (size_t i = 0; i < config_n_keys; i++) {
		const struct config_key *k = &config_keys[i];
		int r;

		if (k->def_text) {
			r = config_key_parse(k, c, k->def_text, msg);
			if (r == -ENOMEM)
				return r;
			if (r < 0)      /* GCOVR_EXCL_BR_LINE: as below */
				abort();        /* GCOVR_EXCL_LINE: the built-in default is valid */
		} else if (k->storage != STORE_STRING && k->storage != STORE_OTHER)
			store_number(k, c, k->def);
	}
	return 0;
}

void
config_keys_free(struct hellod_config *c)
{
	for (size_t i = 0; i < config_n_keys; i++)
		if (config_keys[i].storage == STORE_STRING)
			free(*(char **)field(&config_keys[i], c));
}
