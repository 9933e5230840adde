/* SPDX-License-Identifier: BSD-2-Clause */
/* sd_notify(3) that never waits. libsystemd's sd_notify() sends on a blocking socket: when the
 * reader of $NOTIFY_SOCKET does not read (PID 1 busy, a stalled supervisor), its queue
 * (net.unix.max_dgram_qlen) fills and the next call blocks the loop, which then serves no one
 * and takes no signal. Here every send is MSG_DONTWAIT; what cannot go out at once is kept,
 * merged with what comes after it (the newest STATUS= wins; READY=1 cancels an unsent
 * RELOADING=1; STOPPING=1 cancels both), and sent by notify_flush(). */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "defaults.h"
#include "notify.h"

struct notify {
	pthread_mutex_t lock;   /* the main thread and the workers send STATUS= */
	int fd;
	struct sockaddr_un addr;
	socklen_t addr_len;
	unsigned pending;       /* NOTIFY_* not yet sent */
	uint64_t monotonic_usec;
	bool has_status;
	char status[HELLOD_STATUS_LEN];
};

int
notify_open(struct notify **ret)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct notify *n;
	size_t len;

	*ret = NULL;
	if (!path || !*path)
		return 0;
	len = strlen(path);
	/* A path, or an abstract address written with a leading '@'. */
	if ((path[0] != '/' && path[0] != '@') || len >= sizeof(n->addr.sun_path))
		return -EINVAL;
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->addr.sun_family = AF_UNIX;
	memcpy(n->addr.sun_path, path, len);
	if (path[0] == '@')
		n->addr.sun_path[0] = '\0';
	n->addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len +
	    (path[0] == '@' ? 0 : 1));
	n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (n->fd < 0) {
		int r = -errno;

		free(n);
		return r;
	}
	pthread_mutex_init(&n->lock, NULL);
	*ret = n;
	return 1;
}

/* Builds the pending message and sends it; called with the lock held. */
static int
flush_locked(struct notify *n)
{
	char msg[HELLOD_STATUS_LEN + 128];
	size_t o = 0;
	ssize_t k;

	if (!n->pending && !n->has_status)
		return 0;
	/* Each piece is short and msg has room for all of them with the longest status. */
	if (n->pending & NOTIFY_STOPPING)
		o += (size_t)snprintf(msg + o, sizeof(msg) - o, "STOPPING=1\n");
	else if (n->pending & NOTIFY_READY)
		o += (size_t)snprintf(msg + o, sizeof(msg) - o, "READY=1\n");
	else if (n->pending & NOTIFY_RELOADING)
		o += (size_t)snprintf(msg + o, sizeof(msg) - o, "RELOADING=1\nMONOTONIC_USEC=%llu\n",
		    (unsigned long long)n->monotonic_usec);
	if (n->pending & NOTIFY_WATCHDOG)
		o += (size_t)snprintf(msg + o, sizeof(msg) - o, "WATCHDOG=1\n");
	if (n->has_status)
		o += (size_t)snprintf(msg + o, sizeof(msg) - o, "STATUS=%s\n", n->status);
	k = sendto(n->fd, msg, o - 1, MSG_DONTWAIT | MSG_NOSIGNAL,
	    (const struct sockaddr *)&n->addr, n->addr_len);
	if (k < 0 && (errno == EAGAIN || errno == EINTR))
		return -EAGAIN;
	/* Sent, or failed for good (the reader is gone): either way nothing is left to send. */
	n->pending = 0;
	n->has_status = false;
	return 0;
}

int
notify_send(struct notify *n, unsigned flags, uint64_t monotonic_usec, const char *status)
{
	int r;

	if (!n)
		return 0;
	pthread_mutex_lock(&n->lock);
	if (flags & (NOTIFY_READY | NOTIFY_STOPPING))
		n->pending &= ~(unsigned)NOTIFY_RELOADING;
	if (flags & NOTIFY_STOPPING)
		n->pending &= ~(unsigned)NOTIFY_READY;
	if (flags & NOTIFY_RELOADING)
		n->monotonic_usec = monotonic_usec;
	n->pending |= flags;
	if (status) {
		snprintf(n->status, sizeof(n->status), "%s", status);
		n->has_status = true;
	}
	r = flush_locked(n);
	pthread_mutex_unlock(&n->lock);
	return r;
}

int
notify_fd(struct notify *n, const char *msg, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = { .iov_base = (void *)(uintptr_t)msg, .iov_len = strlen(msg) };
	struct msghdr m = { .msg_name = &n->addr, .msg_namelen = n->addr_len, .msg_iov = &iov,
		.msg_iovlen = 1 };
	ssize_t k;

	if (fd >= 0) {
		struct cmsghdr *c;

		memset(&control, 0, sizeof(control));
		m.msg_control = control.buf;
		m.msg_controllen = sizeof(control.buf);
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	pthread_mutex_lock(&n->lock);
	k = sendmsg(n->fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
	pthread_mutex_unlock(&n->lock);
	return k < 0 ? -errno : 0;
}

int
notify_flush(struct notify *n)
{
	return notify_send(n, 0, 0, NULL);
}

struct notify *
notify_free(struct notify *n)
{
	if (!n)
		return NULL;
	close(n->fd);
	pthread_mutex_destroy(&n->lock);
	free(n);
	return NULL;
}
