/* SPDX-License-Identifier: BSD-2-Clause */
/* One probe of a greeting server: resolve, connect, read the reply, all under one deadline. */
#ifndef HELLOD_PROBE_H
#define HELLOD_PROBE_H

#include <netdb.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "defaults.h"
#include "proxy-header.h"

enum probe_stage {
	PROBE_RESOLVE,          /* the name did not resolve: nothing was probed */
	PROBE_CONNECT,          /* no address took the connection (TCP) or answered (UDP) */
	PROBE_SEND,             /* connected, then the PROXY header could not be sent */
	PROBE_READ,             /* connected, then the reply failed or never ended */
	PROBE_DONE,             /* a reply arrived whole (it may still be the wrong one) */
};

struct probe_request {
	const char *host;       /* a name or an address literal */
	uint16_t port;
	bool udp;
	enum proxy_version proxy;  /* TCP: the header sent first, or PROXY_NONE */
	/* TCP without proxy: this machine's daemon config. When it reads PROXY headers from the
	 * address the probe connects from (proxy_protocol, trusted_proxies), a v2 LOCAL header
	 * goes first, as that daemon then requires. NULL: never. */
	const struct hellod_config *trust;
	int family;             /* AF_UNSPEC, AF_INET or AF_INET6 */
	uint64_t timeout_usec;  /* for everything: resolve, connect, read */
};

struct probe_result {
	enum probe_stage stage;
	int error;              /* an errno value (ETIMEDOUT for the deadline), 0 when DONE */
	int gai_error;          /* when stage is PROBE_RESOLVE: getaddrinfo()'s error */
	unsigned tried;         /* addresses tried */
	enum proxy_version proxy_sent;  /* the PROXY header sent whole, or PROXY_NONE */
	char address[NI_MAXHOST];  /* the address that answered, or the last one tried */
	uint64_t usec;          /* from the start until the reply ended or the probe gave up */
	char reply[HELLOD_CHECK_REPLY_MAX + 1];  /* the byte over tells a cut reply */
	size_t reply_len;       /* at most HELLOD_CHECK_REPLY_MAX */
	bool truncated;         /* there was more than HELLOD_CHECK_REPLY_MAX bytes */
};

/* Probes req->host at req->port: every address it resolves to, in order, until one answers.
 * TCP sends the PROXY header req->proxy asks for, if any, in one send, then reads the reply
 * to EOF; UDP sends one datagram (again each second) and takes the first reply.
 * Returns 0 with *res filled in (its stage and error say how far it got), or a negative errno
 * when the probe could not run at all (no sockets, no memory). */
int probe_run(const struct probe_request *req, struct probe_result *res);

#endif
