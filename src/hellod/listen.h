/* SPDX-License-Identifier: BSD-2-Clause */
/* The listening sockets: adopted from systemd, or bound from the config. Never serves. */
#ifndef HELLOD_LISTEN_H
#define HELLOD_LISTEN_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"
#include "config.h"

#define LISTEN_SOCKETS_MAX 64

struct listen_socket {
	int fd;
	int type;               /* SOCK_STREAM or SOCK_DGRAM */
	int family;
	char address[ADDR_STR_MAX];
	char name[ADDR_STR_MAX + 32];   /* FileDescriptorName=, the fd store's name, or "" */
};

/* The names hellod gives the sockets it keeps in systemd's file descriptor store (FDNAME=):
 * this, the worker ("w0-"), "tcp-" or "udp-", and the address with its colons made dashes
 * (FDNAME= allows none). */
#define LISTEN_STORE_PREFIX "hellod-store-"

struct listen_set {
	size_t n;
	struct listen_socket sockets[LISTEN_SOCKETS_MAX];
	bool activated;         /* passed by systemd */
	bool stored;            /* from systemd's fd store, or to be kept there */
	bool shared;            /* the fds belong to another set: listen_close() leaves them */
};

/* Adopts the sockets systemd passed ($LISTEN_FDS): those named "metrics"
 * (FileDescriptorName=metrics, hellod-metrics.socket) into metrics, the others into set.
 * set->stored says whether those are all from hellod's own fd store (a restart of
 * hellod-standalone.service), not from .socket units. Returns the number adopted into set (0:
 * none were passed) or a negative errno, having logged why. */
int listen_adopt(struct listen_set *set, struct listen_set *metrics);

/* Binds and listens on every address of config's [metrics] listen. Returns the number of
 * sockets (0: none configured) or a negative errno, having logged why. */
int listen_bind_metrics(const struct hellod_config *config, struct listen_set *set);

/* Binds and listens on every address config's host and port resolve to (TCP, and UDP when
 * enabled), with SO_REUSEPORT when asked (for more workers). With store, the sockets are named
 * for systemd's fd store, and a socket of stored (what listen_adopt() took from the store) of
 * the same type and address is taken instead of binding a new one, its backlog set again:
 * those left in stored are no longer configured, for the caller to remove from the store.
 * Returns the number of sockets or a negative errno, having logged why. */
int listen_bind(const struct hellod_config *config, bool reuseport, bool store,
    struct listen_set *stored, struct listen_set *set);

/* For worker number worker: new sockets bound to the addresses of set's (with SO_REUSEPORT,
 * which listen_bind() was asked for), or taken from stored as listen_bind() does, so that the
 * kernel spreads clients over the workers. Sockets systemd passed cannot be bound again and
 * are shared instead. Returns 0 or a negative errno, having logged why. */
int listen_again(const struct listen_set *set, int backlog, unsigned worker,
    struct listen_set *stored, struct listen_set *ret);

/* Closes every socket of the set, unless the set is shared. */
void listen_close(struct listen_set *set);

/* "TCP", "UDP", "unix stream" or "unix datagram". */
const char *listen_kind(const struct listen_socket *ls);

#endif
