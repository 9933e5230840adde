/* SPDX-License-Identifier: BSD-2-Clause */
/* sd_notify(3) that never waits: what cannot be sent at once is coalesced and sent later. */
#ifndef HELLOD_NOTIFY_H
#define HELLOD_NOTIFY_H

#include <stdint.h>

/* The state changes a message can carry; a later one may cancel an earlier unsent one. */
enum {
	NOTIFY_READY = 1 << 0,          /* READY=1 */
	NOTIFY_RELOADING = 1 << 1,      /* RELOADING=1 and MONOTONIC_USEC= */
	NOTIFY_STOPPING = 1 << 2,       /* STOPPING=1 */
	NOTIFY_WATCHDOG = 1 << 3,       /* WATCHDOG=1 */
};

struct notify;

/* Opens a non-blocking socket for $NOTIFY_SOCKET. Returns 1 and sets *ret, 0 when there is
 * no NOTIFY_SOCKET (*ret NULL), or a negative errno (-EINVAL for an address it cannot use). */
int notify_open(struct notify **ret);

/* Merges flags and status (NULL: unchanged) into what is still to be sent, then tries to send
 * it all in one datagram without blocking; monotonic_usec goes with NOTIFY_RELOADING. Safe
 * from any thread. Returns 0 when nothing is left to send, -EAGAIN when the reader's queue is
 * full and the message waits for notify_flush(). Other failures drop the message. */
int notify_send(struct notify *n, unsigned flags, uint64_t monotonic_usec, const char *status);

/* Tries again to send what is pending. Returns as notify_send(). */
int notify_flush(struct notify *n);

/* Sends msg (such as "FDSTORE=1\nFDNAME=x") at once with fd (-1: none) attached, without
 * blocking. Returns 0, or a negative errno (-EAGAIN: the reader's queue is full; the message
 * is not kept). */
int notify_fd(struct notify *n, const char *msg, int fd);

/* Closes the socket. Accepts NULL, returns NULL. */
struct notify *notify_free(struct notify *n);

#endif
