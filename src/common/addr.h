/* SPDX-License-Identifier: BSD-2-Clause */
/* Parsing and formatting of hosts, ports and socket addresses; nothing here logs. */
#ifndef HELLOD_ADDR_H
#define HELLOD_ADDR_H

#include <stdint.h>
#include <sys/socket.h>

/* "[ffff:...:ffff%zone]:65535" and "unix:@" plus a 108-byte path fit. */
#define ADDR_STR_MAX 128

/* Checks that s is an IPv4 or IPv6 literal (an IPv6 one may carry a %zone) or a syntactically
 * valid host name. Returns 0 or -EINVAL. "*" and "" are the caller's business. */
int addr_check_host(const char *s);

/* Parses a port: a number 1-65535 or a service name known to getservbyname() for TCP or UDP.
 * Returns 0, -EINVAL (neither), -ERANGE (a number out of range). */
int addr_parse_port(const char *s, uint16_t *ret);

/* Formats sa as "127.0.0.1:12345", "[::1]:12345" or "unix:/path" ("unix:@name" for abstract
 * sockets). Returns buf, which always holds a string. */
char *addr_format(const struct sockaddr *sa, socklen_t salen, char *buf, size_t len);

#endif
