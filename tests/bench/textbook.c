/* SPDX-License-Identifier: BSD-2-Clause */
/* The textbook sd-event greeting server, for the benchmark: one accept, send and close per
 * listener wakeup, one recvfrom and sendto per UDP wakeup. */
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <systemd/sd-event.h>
#include <unistd.h>

#include "util.h"

#define TEXTBOOK_GREETING_MAX 512           /* with its newline */
#define TEXTBOOK_DATAGRAM_MAX 2048          /* bytes of a request kept; the rest is cut */

#define EX_USAGE 64
#define EX_OSERR 71

static char greeting[TEXTBOOK_GREETING_MAX];
static size_t greeting_len;

static int
tcp_cb(sd_event_source *source, int fd, uint32_t revents, void *userdata)
{
	int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (cfd < 0)
		return 0;
	(void)send(cfd, greeting, greeting_len, MSG_NOSIGNAL);
	close(cfd);
	return 0;
}

static int
udp_cb(sd_event_source *source, int fd, uint32_t revents, void *userdata)
{
	char buf[TEXTBOOK_DATAGRAM_MAX];
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&ss, &len) < 0)
		return 0;
	(void)sendto(fd, greeting, greeting_len, MSG_NOSIGNAL | MSG_DONTWAIT,
	    (struct sockaddr *)&ss, len);
	return 0;
}

/* A nonblocking socket of the given type bound to ai's address. Returns it or -errno. */
static int
bind_socket(const struct addrinfo *ai, int type)
{
	int fd, one = 1;

	fd = socket(ai->ai_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 ||
	    (type == SOCK_STREAM && listen(fd, SOMAXCONN) < 0)) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

static int
setup(sd_event *e, const char *host, const char *port)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE };
	struct addrinfo *ai;
	int tcp, udp, r;

	if (getaddrinfo(host, port, &hints, &ai) != 0)
		return -EINVAL;
	tcp = bind_socket(ai, SOCK_STREAM);
	udp = tcp < 0 ? tcp : bind_socket(ai, SOCK_DGRAM);
	freeaddrinfo(ai);
	if (udp < 0) {
		if (tcp >= 0)
			close(tcp);
		return udp;
	}
	r = sd_event_add_io(e, NULL, tcp, EPOLLIN, tcp_cb, NULL);
	if (r >= 0)
		r = sd_event_add_io(e, NULL, udp, EPOLLIN, udp_cb, NULL);
	if (r >= 0)
		r = sd_event_add_signal(e, NULL, SIGTERM, NULL, NULL);
	if (r >= 0)
		r = sd_event_add_signal(e, NULL, SIGINT, NULL, NULL);
	return r;
}

/* textbook host port [greeting]: runs until SIGTERM or SIGINT. */
int
main(int argc, char **argv)
{
	sd_event *e = NULL;
	unsigned long port;
	sigset_t set;
	int r;

	if (argc < 3 || argc > 4 || parse_uint(argv[2], 1, 65535, &port) < 0 ||
	    (argc == 4 && strlen(argv[3]) + 2 > sizeof(greeting))) {
		fprintf(stderr, "usage: textbook host port [greeting]\n");
		return EX_USAGE;
	}
	greeting_len = (size_t)snprintf(greeting, sizeof(greeting), "%s\n",
	    argc == 4 ? argv[3] : "Thank you for connecting");

	/* sd_event_add_signal() wants the signals blocked; a NULL handler exits the loop. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	r = sd_event_default(&e);
	if (r >= 0)
		r = setup(e, argv[1], argv[2]);
	if (r >= 0)
		r = sd_event_loop(e);
	sd_event_unref(e);
	if (r < 0) {
		fprintf(stderr, "textbook: %s port %s: %s\n", argv[1], argv[2], strerror(-r));
		return EX_OSERR;
	}
	return 0;
}
