/* SPDX-License-Identifier: BSD-2-Clause */
/* Greeting templates: $variables parsed once per config, rendered into the caller's buffer. */
#ifndef HELLOD_TEMPLATE_H
#define HELLOD_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <time.h>

#include "defaults.h"

enum template_var {
	VAR_HOSTNAME, VAR_REMOTE_ADDR, VAR_REMOTE_PORT, VAR_SERVER_ADDR, VAR_SERVER_PORT,
	VAR_PROTOCOL, VAR_TIME_ISO8601, VAR_DAYTIME, VAR_QUOTE, VAR_N
};

/* The widest each variable renders; a missing value renders as "-", which fits them all. */
#define TEMPLATE_HOSTNAME_MAX 64   /* HOST_NAME_MAX on Linux */
#define TEMPLATE_ADDR_MAX 56       /* an IPv6 address (45 with an IPv4 tail), "%" and a scope id */
#define TEMPLATE_PORT_MAX 5        /* 65535 */
#define TEMPLATE_PROTOCOL_MAX 3    /* TCP or UDP */
#define TEMPLATE_ISO8601_MAX 25    /* 2026-12-01T09:30:00+01:00, a year of four digits */
#define TEMPLATE_ZONE_MAX 10       /* a zone abbreviation, cut (POSIX promises 6; tzdata: 3-6) */
/* "Wednesday, September 30, 2026 17:37:43-" and the zone */
#define TEMPLATE_DAYTIME_MAX (39 + TEMPLATE_ZONE_MAX)
#define TEMPLATE_TIME_MAX 64       /* the buffers of template_format_time() */

#define TEMPLATE_PARTS_MAX 64

struct template_part {
	bool var;
	enum template_var which;
	size_t off, len;        /* literal: text[off..off+len) */
};

struct template {
	char text[HELLOD_GREETING_MAX + 1];   /* the literal bytes, "$$" already made "$" */
	size_t n;                             /* parts */
	struct template_part parts[TEMPLATE_PARTS_MAX];
	unsigned uses;                        /* bit (1 << var) for each variable used */
};

/* Parses greeting (already validated as text by the config): $name or ${name} is a variable,
 * $$ a literal $, a $ followed by anything but a letter, '{' or '$' is literal ("costs $5").
 * Returns 0, or -EINVAL with msg (size bytes) saying what is wrong in the config's style:
 * "unknown variable $foo; allowed: $hostname, $remote_addr, ..." or "unterminated ${". */
int template_parse(const char *greeting, struct template *t, char *msg, size_t size);

/* Makes each $hostname of t the literal text it renders as with hostname (a config's, fixed
 * until the next reload), so that it is not rendered for every greeting; a template left with
 * no variable is then a plain line. Returns 0, or -E2BIG (t unchanged) when that does not fit. */
int template_fold_hostname(struct template *t, const char *hostname);

/* The longest the expansion can be, a quote being at most quote_max bytes. */
size_t template_max_len(const struct template *t, size_t quote_max);

/* What a variable is replaced with, made by the caller. NULL (or a sockaddr of another family
 * than AF_INET or AF_INET6) renders as "-". */
struct template_values {
	const char *hostname;                  /* template_hostname(), at start and reload */
	const struct sockaddr *remote, *local; /* the client (from its PROXY header if any), ours */
	socklen_t remote_len, local_len;
	const char *protocol;                  /* "TCP" or "UDP" */
	const char *time_iso8601, *daytime;    /* formatted by template_format_time() */
	const char *quote;
	size_t quote_len;                      /* at most the quote_max of template_max_len() */
};

/* Renders t into buf (size >= template_max_len() + 1), NUL-terminated; returns the length.
 * Never allocates, never writes past size (a smaller buffer gets a cut rendering). */
size_t template_render(const struct template *t, const struct template_values *v, char *buf,
    size_t size);

/* Formats $time_iso8601 ("2026-12-01T09:30:00+01:00", local time with its offset, as nginx)
 * and $daytime (RFC 867's suggested form "Tuesday, February 22, 1982 17:37:43-PST", local
 * time, the zone's abbreviation) for the second t, into the two buffers of
 * TEMPLATE_TIME_MAX bytes. A time that cannot be shown so (a year past 9999) is "-". */
void template_format_time(time_t t, char *iso8601, char *daytime);

/* Writes this machine's host name into buf (TEMPLATE_HOSTNAME_MAX + 1 bytes), each byte
 * outside [A-Za-z0-9.-] made '-', so that it cannot carry control characters into a
 * greeting; "-" if it has none. Returns buf. */
char *template_hostname(char *buf);

#endif
