/* SPDX-License-Identifier: BSD-2-Clause */
/* The configuration: one immutable struct, read from an INI file with inih and validated. */
#ifndef HELLOD_CONFIG_H
#define HELLOD_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "addr.h"
#include "defaults.h"
#include "quotes.h"
#include "template.h"

struct hellod_config {
	unsigned refs;
	char *path;             /* the file it came from; NULL for the built-in defaults */
	unsigned n_settings;    /* key = value lines read; 0: the built-in defaults all through */
	char *host;             /* NULL: every address, IPv4 and IPv6 */
	uint16_t port;
	int backlog;
	bool udp;
	unsigned workers;       /* 0: one per CPU ("auto") */
	bool close_fast;        /* close at once after the greeting unless the client sent */
	char *greeting;         /* as configured, without the newline */
	char *line;             /* greeting and "\n": the bytes sent, when it has no variables */
	size_t line_len;
	struct template *template;      /* the greeting's variables; NULL: none, line is sent */
	char hostname[TEMPLATE_HOSTNAME_MAX + 1];       /* $hostname, read with the file */
	char *quotes_path;      /* $quote's fortune file; NULL: none */
	struct quotes *quotes;  /* read with the file: a reload reads it again */
	int quote_rotation;     /* 0: daily, 1: connection */
	int log_level;          /* LOG_ERR..LOG_DEBUG */
	bool log_connections;
	uint64_t summary_usec;  /* what the limits refused is logged this often; 0: never */
	bool proxy_protocol;    /* trusted_proxies' connections start with a PROXY header */
	unsigned n_trusted;     /* the proxies whose headers are read */
	struct addr_prefix trusted[HELLOD_PROXIES_MAX];

	/* [limits] */
	unsigned max_connections;       /* TCP, all told; 0: from RLIMIT_NOFILE ("auto") */
	unsigned max_per_source;        /* TCP per IPv4 address or IPv6 /64; 0: no cap */
	uint64_t send_usec, linger_usec, drain_usec;    /* send, linger and drain_timeout */
	unsigned udp_rate, udp_burst;   /* UDP replies per second per prefix; 0: no limit */
	unsigned tcp_rate, tcp_burst;   /* TCP connections per second per prefix; 0: no limit */
	unsigned prefix4, prefix6;      /* bits of a source address that make its prefix */
	unsigned udp_max_ratio;         /* a UDP reply is at most this many times its request */
	unsigned n_exempt;              /* sources the per-source limits leave alone */
	struct addr_prefix exempt[HELLOD_EXEMPT_MAX];
	uint64_t proxy_usec;            /* proxy_timeout */

	/* [access] */
	unsigned n_allow, n_deny;       /* the longest match of either decides; a tie denies */
	struct addr_prefix allow[HELLOD_ACCESS_MAX], deny[HELLOD_ACCESS_MAX];

	/* [metrics] */
	char *metrics_listen;           /* ADDRESS:PORT items as written; NULL: none (off) */
	unsigned n_metrics_allow;       /* who may scrape */
	struct addr_prefix metrics_allow[HELLOD_METRICS_ALLOW_MAX];
};

/* What was wrong with a file, in line order: shown as "file:line: text". */
struct config_errors {
	const char *file;       /* the name given to config_load() or config_parse() */
	unsigned n;             /* errors found; those beyond HELLOD_CONFIG_ERRORS_MAX are only counted */
	unsigned line[HELLOD_CONFIG_ERRORS_MAX];        /* 0: about the whole file */
	char text[HELLOD_CONFIG_ERRORS_MAX][HELLOD_CONFIG_ERROR_LEN];
};

/* Returns a new config holding the built-in defaults, or NULL when out of memory. */
struct hellod_config *config_new_defaults(void);

/* Reads the file at path, which must be a regular file of at most HELLOD_CONFIG_SIZE_MAX
 * bytes, or /dev/null (read as empty): it is opened without blocking (a FIFO) and read whole
 * before it is parsed (a device such as /dev/zero is refused, not read). When it does not exist and required is false, the
 * built-in defaults are returned instead (with path NULL). Returns 0 and sets *ret, or a
 * negative errno with errors filled in: -EINVAL for a bad file, -EISDIR for a directory,
 * -EBADFD for another kind of file that is not a regular one, -EFBIG for one too long, others
 * for failing to open or read it. */
int config_load(const char *path, bool required, struct hellod_config **ret,
    struct config_errors *errors);

/* Parses an open stream; name is used in error messages. Returns as config_load(). */
int config_parse(FILE *f, const char *name, struct hellod_config **ret,
    struct config_errors *errors);

struct hellod_config *config_ref(struct hellod_config *c);
/* Drops a reference; frees at the last one. Accepts NULL, returns NULL. */
struct hellod_config *config_unref(struct hellod_config *c);

/* Whether source (from addr_source()) is in exempt: the per-source limits leave it alone. */
bool config_exempts(const struct hellod_config *c, const struct addr_prefix *source);

/* Whether [access] lets source (from addr_source(), a client's own or its PROXY header's) in:
 * the longest prefix of allow and deny that holds it decides, a tie denying; when none holds
 * it, it is let in if allow is empty. An IPv6 prefix never holds an IPv4 address, nor an IPv4
 * prefix an IPv6 one, so that ::/0 means every IPv6 client and 0.0.0.0/0 every IPv4 one. */
bool config_allows(const struct hellod_config *c, const struct addr_prefix *source);

/* Whether [metrics] allow lets source (from addr_source()) scrape: a prefix of its family holds
 * it. */
bool config_may_scrape(const struct hellod_config *c, const struct addr_prefix *source);

/* Whether the PROXY header of a connection from source is to be read: proxy_protocol is on and
 * source is in trusted_proxies. */
bool config_trusts(const struct hellod_config *c, const struct addr_prefix *source);

/* For serving only, before c is shared: each $hostname of the greeting made the literal text
 * it renders as, the same for every greeting of c (issue 28); a greeting left without variables
 * becomes a plain line. Not for hellod-check, which takes the greeting's fixed start as written
 * and may run on another host. Returns 0 or -ENOMEM. */
int config_fold_hostname(struct hellod_config *c);

/* True when the two configs agree on every key a reload does not apply, the keys that make the
 * sockets (host, port, backlog, udp, workers, [metrics] listen): the rows of config-keys.c
 * without .reload. */
bool config_same_listen(const struct hellod_config *a, const struct hellod_config *b);

#endif
