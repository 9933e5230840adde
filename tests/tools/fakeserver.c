/* SPDX-License-Identifier: BSD-2-Clause */
/* Misbehaving servers for hellod-check's tests: each binds loopback, prints its port, serves
 * clients one after another in one way, and exits after its lifetime (-l, 60 s by default). */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char usage[] =
    "usage: fakeserver [-a ADDR] [-p PORT] [-l SECONDS] MODE [ARGS]\n"
    "  reply TEXT        send TEXT (C escapes: \\n \\r \\t \\\\ \\xHH) and close\n"
    "  slow MS TEXT      wait MS milliseconds, then as reply\n"
    "  partial TEXT      send TEXT and never close\n"
    "  silent            accept and never send\n"
    "  close             accept and close at once\n"
    "  rst               accept and reset the connection\n"
    "  udp-reply TEXT    answer each datagram with TEXT\n"
    "  udp-slow MS TEXT  as udp-reply, MS milliseconds late\n"
    "  udp-silent        read datagrams, never answer\n"
    "  udp-lossy TEXT    answer every second datagram only, the first one lost\n"
    "  udp-size          answer each datagram with its size, \"512 bytes\\n\"\n";

static void
die(const char *what)
{
	fprintf(stderr, "fakeserver: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Decodes C escapes in place. Returns the length. */
static size_t
unescape(char *s)
{
	char *o = s;

	for (char *p = s; *p; p++) {
		if (*p != '\\' || !p[1]) {
			*o++ = *p;
			continue;
		}
		p++;
		if (*p == 'n')
			*o++ = '\n';
		else if (*p == 'r')
			*o++ = '\r';
		else if (*p == 't')
			*o++ = '\t';
		else if (*p == 'x' && p[1] && p[2]) {
			char hex[3] = { p[1], p[2], '\0' };

			*o++ = (char)strtoul(hex, NULL, 16);
			p += 2;
		} else
			*o++ = *p;
	}
	return (size_t)(o - s);
}

static int
bind_to(const char *addr, const char *port, int type)
{
	struct addrinfo hints = { .ai_socktype = type, .ai_flags = AI_NUMERICHOST | AI_PASSIVE };
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct addrinfo *ai;
	char service[NI_MAXSERV];
	int fd, one = 1;

	if (getaddrinfo(addr, port, &hints, &ai) != 0)
		die("getaddrinfo");
	fd = socket(ai->ai_family, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0)
		die("bind");
	freeaddrinfo(ai);
	if (type == SOCK_STREAM && listen(fd, 64) < 0)
		die("listen");
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0 ||
	    getnameinfo((struct sockaddr *)&ss, len, NULL, 0, service, sizeof(service),
	    NI_NUMERICSERV) != 0)
		die("getsockname");
	printf("%s\n", service);
	fflush(stdout);
	return fd;
}

static void
serve_stream(int lfd, const char *mode, const char *text, size_t len, unsigned ms)
{
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			die("accept");
		}
		if (strcmp(mode, "silent") == 0)
			continue;       /* held open until the lifetime ends */
		if (strcmp(mode, "rst") == 0) {
			struct linger l = { .l_onoff = 1, .l_linger = 0 };

			setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
		}
		if (ms)
			usleep(ms * 1000);
		if (len && send(fd, text, len, MSG_NOSIGNAL) < 0)
			perror("fakeserver: send");
		if (strcmp(mode, "partial") != 0)
			close(fd);
	}
}

static void
serve_dgram(int fd, const char *mode, const char *text, size_t len, unsigned ms)
{
	for (unsigned long n = 1;; n++) {
		struct sockaddr_storage ss;
		socklen_t sslen = sizeof(ss);
		char buf[2048], size[32];
		ssize_t got;

		got = recvfrom(fd, buf, sizeof(buf), MSG_TRUNC, (struct sockaddr *)&ss, &sslen);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			die("recvfrom");
		}
		if (strcmp(mode, "udp-silent") == 0 || (strcmp(mode, "udp-lossy") == 0 && n % 2))
			continue;
		if (strcmp(mode, "udp-size") == 0) {
			len = (size_t)snprintf(size, sizeof(size), "%zd bytes\n", got);
			text = size;
		}
		if (ms)
			usleep(ms * 1000);
		if (sendto(fd, text, len, 0, (struct sockaddr *)&ss, sslen) < 0)
			perror("fakeserver: sendto");
	}
}

int
main(int argc, char **argv)
{
	const char *addr = "127.0.0.1", *port = "0", *mode;
	char *text = NULL;
	unsigned lifetime = 60, ms = 0;
	size_t len = 0;
	int opt, fd;

	while ((opt = getopt(argc, argv, "a:p:l:")) != -1) {
		if (opt == 'a')
			addr = optarg;
		else if (opt == 'p')
			port = optarg;
		else if (opt == 'l')
			lifetime = (unsigned)strtoul(optarg, NULL, 10);
		else {
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		fputs(usage, stderr);
		return 2;
	}
	mode = argv[optind++];
	if ((strcmp(mode, "slow") == 0 || strcmp(mode, "udp-slow") == 0) && optind < argc)
		ms = (unsigned)strtoul(argv[optind++], NULL, 10);
	if (optind < argc) {
		text = argv[optind];
		len = unescape(text);
	}
	/* Whatever happens, the process ends: SIGALRM's default action. */
	alarm(lifetime);
	if (strncmp(mode, "udp-", 4) == 0) {
		fd = bind_to(addr, port, SOCK_DGRAM);
		serve_dgram(fd, mode, text, len, ms);
	} else {
		fd = bind_to(addr, port, SOCK_STREAM);
		serve_stream(fd, mode, text, len, ms);
	}
	return 0;
}
