/* SPDX-License-Identifier: BSD-2-Clause */
/* The practical limit of a greeting server, for the benchmark: per CPU one thread blocking in
 * accept4() and one answering UDP in recvmmsg()/sendmmsg() batches, each on its own
 * SO_REUSEPORT socket. */
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#define LIMIT_THREADS_MAX 256               /* per protocol, whatever the CPU count */
#define LIMIT_BACKLOG 4096                  /* net.core.somaxconn's default */
#define LIMIT_BATCH 64                      /* datagrams per recvmmsg()/sendmmsg() */
#define LIMIT_DATAGRAM_MAX 2048             /* bytes of a request kept; the rest is cut */
#define LIMIT_GREETING_MAX 512              /* with its newline */
#define LIMIT_PAUSE_NS (10 * 1000000L)      /* after EMFILE and friends, so as not to spin */

#define EX_USAGE 64
#define EX_OSERR 71

static char greeting[LIMIT_GREETING_MAX];
static size_t greeting_len;

static void
pause_briefly(void)
{
	struct timespec ts = { .tv_nsec = LIMIT_PAUSE_NS };

	nanosleep(&ts, NULL);
}

static void *
tcp_thread(void *arg)
{
	int fd = (int)(intptr_t)arg;

	for (;;) {
		int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC);

		if (cfd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM)
				pause_briefly();
			continue;
		}
		/* MSG_MORE holds the bytes back so that close() sends them with the FIN. */
		(void)send(cfd, greeting, greeting_len, MSG_MORE | MSG_NOSIGNAL);
		close(cfd);
	}
	return NULL;
}

struct udp_batch {
	struct mmsghdr in[LIMIT_BATCH], out[LIMIT_BATCH];
	struct iovec in_iov[LIMIT_BATCH], out_iov;
	struct sockaddr_storage peer[LIMIT_BATCH];
	char buf[LIMIT_BATCH][LIMIT_DATAGRAM_MAX];
};

static void *
udp_thread(void *arg)
{
	int fd = (int)(intptr_t)arg;
	struct udp_batch *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->out_iov = (struct iovec){ .iov_base = greeting, .iov_len = greeting_len };
	for (;;) {
		int n;

		for (int i = 0; i < LIMIT_BATCH; i++) {
			b->in_iov[i] = (struct iovec){
				.iov_base = b->buf[i], .iov_len = LIMIT_DATAGRAM_MAX,
			};
			b->in[i].msg_hdr = (struct msghdr){
				.msg_name = &b->peer[i], .msg_namelen = sizeof(b->peer[i]),
				.msg_iov = &b->in_iov[i], .msg_iovlen = 1,
			};
		}
		/* Blocks for the first datagram, then takes what else is queued. */
		n = recvmmsg(fd, b->in, LIMIT_BATCH, MSG_WAITFORONE, NULL);
		if (n <= 0)
			continue;
		for (int i = 0; i < n; i++)
			b->out[i].msg_hdr = (struct msghdr){
				.msg_name = &b->peer[i],
				.msg_namelen = b->in[i].msg_hdr.msg_namelen,
				.msg_iov = &b->out_iov, .msg_iovlen = 1,
			};
		(void)sendmmsg(fd, b->out, (unsigned)n, MSG_NOSIGNAL);
	}
	return NULL;
}

/* A socket of the given type bound to ai's address with SO_REUSEPORT. Returns it or -errno. */
static int
bind_reuseport(const struct addrinfo *ai, int type)
{
	int fd, one = 1;

	fd = socket(ai->ai_family, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 ||
	    (type == SOCK_STREAM && listen(fd, LIMIT_BACKLOG) < 0)) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

static int
start_threads(const struct addrinfo *ai, int type, long n)
{
	/* Every socket is bound before any thread serves: the port answers fully or not at all. */
	int fds[LIMIT_THREADS_MAX];

	for (long i = 0; i < n; i++) {
		fds[i] = bind_reuseport(ai, type);
		if (fds[i] < 0)
			return fds[i];
	}
	for (long i = 0; i < n; i++) {
		pthread_t t;
		int r = pthread_create(&t, NULL, type == SOCK_STREAM ? tcp_thread : udp_thread,
		    (void *)(intptr_t)fds[i]);

		if (r != 0)
			return -r;
	}
	return 0;
}

/* limit host port [greeting [threads]]: threads per protocol, by default one per CPU online.
 * Runs until SIGTERM or SIGINT. */
int
main(int argc, char **argv)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE };
	struct addrinfo *ai;
	unsigned long port, threads = 0;
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	sigset_t set;
	int r, sig;

	if (argc < 3 || argc > 5 || parse_uint(argv[2], 1, 65535, &port) < 0 ||
	    (argc >= 4 && strlen(argv[3]) + 2 > sizeof(greeting)) ||
	    (argc == 5 && parse_uint(argv[4], 1, LIMIT_THREADS_MAX, &threads) < 0)) {
		fprintf(stderr, "usage: limit host port [greeting [threads]]\n");
		return EX_USAGE;
	}
	greeting_len = (size_t)snprintf(greeting, sizeof(greeting), "%s\n",
	    argc >= 4 ? argv[3] : "Thank you for connecting");
	if (threads > 0)
		n = (long)threads;
	n = n < 1 ? 1 : n > LIMIT_THREADS_MAX ? LIMIT_THREADS_MAX : n;

	/* Threads inherit the mask: only sigwait() below sees these. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	r = getaddrinfo(argv[1], argv[2], &hints, &ai);
	if (r != 0) {
		fprintf(stderr, "limit: %s: %s\n", argv[1], gai_strerror(r));
		return EX_USAGE;
	}
	r = start_threads(ai, SOCK_STREAM, n);
	if (r >= 0)
		r = start_threads(ai, SOCK_DGRAM, n);
	freeaddrinfo(ai);
	if (r < 0) {
		fprintf(stderr, "limit: %s port %s: %s\n", argv[1], argv[2], strerror(-r));
		return EX_OSERR;
	}
	/* Bounded by the signal that ends the benchmark. */
	while (sigwait(&set, &sig) != 0)
		;
	return 0;
}
