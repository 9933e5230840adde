/* SPDX-License-Identifier: BSD-2-Clause */
/* A process per connection, as inetd, xinetd and systemd's Accept=yes serve, for the benchmark:
 * accept, fork, and the child writes the greeting (with -x it execs a program that does) and
 * exits, TCP only. */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#define FORK_BACKLOG 4096                   /* net.core.somaxconn's default */
#define FORK_GREETING_MAX 512               /* with its newline */
#define FORK_ACCEPT_BURST 64                /* connections taken per wakeup */
#define FORK_PAUSE_NS (10 * 1000000L)       /* after EMFILE, EAGAIN from fork and friends */

#define EX_USAGE 64
#define EX_OSERR 71

static volatile sig_atomic_t stop;
static char greeting[FORK_GREETING_MAX];
static size_t greeting_len;

static void
on_stop(int sig)
{
	stop = 1;
}

static void
on_child(int sig)
{
	/* Nothing: its delivery interrupts ppoll(), and the loop reaps. */
}

static void
pause_briefly(void)
{
	struct timespec ts = { .tv_nsec = FORK_PAUSE_NS };

	nanosleep(&ts, NULL);
}

static void
reap(void)
{
	/* Each call takes one exited child; bounded by the number of children. */
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

static void
serve(int cfd, bool exec_child, const sigset_t *orig)
{
	pid_t pid = fork();

	if (pid < 0) {
		pause_briefly();
		return;
	}
	if (pid > 0)
		return;
	if (exec_child) {
		/* inetd: the connection becomes stdin and stdout of the program it runs. */
		static char arg0[] = "forkserver", arg1[] = "-i";
		char *const args[] = { arg0, arg1, greeting, NULL };

		sigprocmask(SIG_SETMASK, orig, NULL);
		if (dup2(cfd, STDIN_FILENO) < 0 || dup2(cfd, STDOUT_FILENO) < 0)
			_exit(EX_OSERR);
		greeting[greeting_len - 1] = '\0';      /* -i adds the newline again */
		execv("/proc/self/exe", args);
		_exit(EX_OSERR);
	}
	(void)send(cfd, greeting, greeting_len, MSG_NOSIGNAL);
	_exit(0);
}

static int
listen_on(const char *host, const char *port)
{
	struct addrinfo hints = {
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
	};
	struct addrinfo *ai;
	int fd, one = 1;

	if (getaddrinfo(host, port, &hints, &ai) != 0)
		return -EINVAL;
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, FORK_BACKLOG) < 0) {
		int r = -errno;

		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return r;
	}
	freeaddrinfo(ai);
	return fd;
}

static void
loop(int lfd, bool exec_child, const sigset_t *orig)
{
	struct pollfd p = { .fd = lfd, .events = POLLIN };

	/* Signals arrive only inside ppoll(): no child exits unseen between reap() and the wait. */
	while (!stop) {
		reap();
		if (ppoll(&p, 1, NULL, orig) <= 0)
			continue;
		for (int i = 0; i < FORK_ACCEPT_BURST && !stop; i++) {
			int cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

			if (cfd < 0) {
				if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS)
					pause_briefly();
				break;
			}
			serve(cfd, exec_child, orig);
			close(cfd);
		}
	}
}

/* -i: the program an inetd runs, the connection on stdout. */
static int
inetd_child(int argc, char **argv)
{
	const char *text = argc > 2 ? argv[2] : "Thank you for connecting";
	size_t n = (size_t)snprintf(greeting, sizeof(greeting), "%s\n", text);

	return send(STDOUT_FILENO, greeting, n, MSG_NOSIGNAL) < 0 ? EX_OSERR : 0;
}

/* forkserver [-x] host port [greeting]: runs until SIGTERM or SIGINT. The parent reaps every
 * child with waitpid(), so that the children's CPU time shows in its own (cutime, cstime). */
int
main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_stop };
	sigset_t block, orig;
	unsigned long port;
	bool exec_child = false;
	int lfd;

	if (argc >= 2 && strcmp(argv[1], "-i") == 0)
		return inetd_child(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "-x") == 0) {
		exec_child = true;
		argv++;
		argc--;
	}
	if (argc < 3 || argc > 4 || parse_uint(argv[2], 1, 65535, &port) < 0 ||
	    (argc == 4 && strlen(argv[3]) + 2 > sizeof(greeting))) {
		fprintf(stderr, "usage: forkserver [-x] host port [greeting]\n");
		return EX_USAGE;
	}
	greeting_len = (size_t)snprintf(greeting, sizeof(greeting), "%s\n",
	    argc == 4 ? argv[3] : "Thank you for connecting");

	/* No SA_RESTART: a signal ends ppoll() with EINTR. */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_child;
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &orig);

	lfd = listen_on(argv[1], argv[2]);
	if (lfd < 0) {
		fprintf(stderr, "forkserver: %s port %s: %s\n", argv[1], argv[2], strerror(-lfd));
		return EX_OSERR;
	}
	loop(lfd, exec_child, &orig);
	close(lfd);
	/* The children write one line and exit: waiting for them is short. */
	while (wait(NULL) > 0)
		;
	return 0;
}
