/* SPDX-License-Identifier: BSD-2-Clause */
/* The greeting line for one client: the config's own when its greeting has no variables, else
 * rendered into the caller's buffer, the time strings formatted at most once a second per
 * worker and the quotes rotated. No allocation per greeting. */
#ifndef HELLOD_GREET_H
#define HELLOD_GREET_H

#include <stddef.h>
#include <sys/socket.h>
#include <time.h>

#include "config.h"
#include "defaults.h"
#include "template.h"

#define GREET_LINE_MAX (HELLOD_GREETING_MAX + 2)        /* a line, its newline and a NUL */

/* One worker's: what it rendered last. Zeroed is ready. */
struct greeter {
	time_t second;                          /* the strings below are of it; 0: none yet */
	char iso8601[TEMPLATE_TIME_MAX], daytime[TEMPLATE_TIME_MAX];
	time_t daily_second;                    /* the daily quote below is of this second */
	unsigned long long daily_of;            /* ... and of the quotes of this generation (never
	                                         * their address, which a new list may reuse) */
	size_t daily;
	size_t next;                            /* quote_rotation = connection: the next one */
};

/* Who is greeted and where: remote is the client (its PROXY header's, when it came through a
 * trusted proxy), local our end (NULL: asked of fd with getsockname(), and only when the
 * greeting shows it). */
struct greet_peer {
	const struct sockaddr *remote, *local;
	socklen_t remote_len, local_len;
	int fd;
	const char *protocol;                   /* "TCP" or "UDP" */
};

/* The line for p: c->line when the greeting has no variables (buf unused), else the greeting
 * rendered into buf (GREET_LINE_MAX bytes) with its newline. Sets *ret_len. */
char *greet_line(struct greeter *g, const struct hellod_config *c,
    const struct greet_peer *p, char *buf, size_t *ret_len);

#endif
