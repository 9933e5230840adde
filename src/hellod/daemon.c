/* SPDX-License-Identifier: BSD-2-Clause */
/* The classic forking daemon (daemon(7)): double fork, readiness pipe, PID file, privilege drop. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "util.h"

/* The pipe carries lines: "E<message>" for each error or warning, then "R" (ready) or
 * "X<status>". */
#define DAEMON_STATUS_LOST 71  /* EX_OSERR: the daemon died without a word */

static int
wait_for_daemon(int fd)
{
	char buf[4096], *line, *nl;
	unsigned long status;
	size_t have = 0;
	ssize_t n;

	for (;;) {
		n = read(fd, buf + have, sizeof(buf) - 1 - have);
		/* daemon_fork() set every handler to the default, so no handler interrupts
		 * this read: EINTR is checked for all the same. */
		if (n < 0 && errno == EINTR)    /* GCOVR_EXCL_BR_LINE: no handler (above) */
			continue;               /* GCOVR_EXCL_LINE: no handler (above) */
		if (n <= 0)
			break;
		have += (size_t)n;
		buf[have] = '\0';
		for (line = buf; (nl = strchr(line, '\n')); line = nl + 1) {
			*nl = '\0';
			if (line[0] == 'R')
				return 0;
			if (line[0] == 'X')
				return parse_uint(line + 1, 1, 255, &status) == 0 ? (int)status :
				    DAEMON_STATUS_LOST;
			if (line[0] == 'E')
				dprintf(STDERR_FILENO, "hellod: %s\n", line + 1);
		}
		have -= (size_t)(line - buf);
		memmove(buf, line, have);
		if (have == sizeof(buf) - 1)
			have = 0;       /* an over-long line: drop it rather than stall */
	}
	dprintf(STDERR_FILENO, "hellod: the daemon exited before it was ready\n");
	return DAEMON_STATUS_LOST;
}

int
daemon_fork(int *ret_ready_fd, int *ret_status)
{
	struct sigaction sa = { .sa_handler = SIG_DFL };
	sigset_t none;
	int p[2], status;
	pid_t pid;

	/* daemon(7) steps 2 and 3: default signal handlers and an empty signal mask. */
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP && sig != SIGPIPE)
			(void)sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		int r = -errno;

		close(p[0]);
		close(p[1]);
		return r;
	}
	if (pid > 0) {
		close(p[1]);
		(void)waitpid(pid, &status, 0);
		*ret_status = wait_for_daemon(p[0]);
		close(p[0]);
		return 1;
	}

	/* A new session without a controlling terminal, then a second fork so that the daemon
	 * is not a session leader and can never acquire one again. */
	/* GCOVR_EXCL_START: the middle child ends in _exit(), so its counts are never written. */
	close(p[0]);
	if (setsid() < 0)
		_exit(DAEMON_STATUS_LOST);
	pid = fork();
	if (pid < 0)
		_exit(DAEMON_STATUS_LOST);
	if (pid > 0) {
		close(p[1]);
		_exit(0);
	}
	/* GCOVR_EXCL_STOP */

	umask(022);
	/* "/" and /dev/null are always there for anyone: these fail only on a broken system,
	 * and _exit() would not write the counts. */
	if (chdir("/") < 0)                     /* GCOVR_EXCL_BR_LINE: see above */
		_exit(DAEMON_STATUS_LOST);      /* GCOVR_EXCL_LINE: see above */
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0 || dup2(null, STDIN_FILENO) < 0 ||         /* GCOVR_EXCL_BR_LINE: see above */
	    dup2(null, STDOUT_FILENO) < 0 || dup2(null, STDERR_FILENO) < 0)  /* GCOVR_EXCL_BR_LINE */
		_exit(DAEMON_STATUS_LOST);      /* GCOVR_EXCL_LINE: see above */
	if (null > STDERR_FILENO)
		close(null);
	*ret_ready_fd = p[1];
	return 0;
}

static void
report_error(const char *message, void *userdata)
{
	int fd = *(int *)userdata;

	dprintf(fd, "E%s\n", message);
}

void
daemon_report_errors(int ready_fd)
{
	static int fd;

	fd = ready_fd;
	log_set_error_hook(report_error, &fd);
}

void
daemon_done(int ready_fd, int status)
{
	log_set_error_hook(NULL, NULL);
	if (status == 0)
		dprintf(ready_fd, "R\n");
	else
		dprintf(ready_fd, "X%d\n", status);
	close(ready_fd);
}

int
pidfile_take(const char *path, long *ret_pid)
{
	char buf[32];
	unsigned long pid;
	ssize_t n;
	int fd, r = 0;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0644);
	if (fd < 0)
		return -errno;
	/* As BSD's pidfile(3): the lock, not the file's existence, says a daemon runs. A file
	 * left by one that crashed is not locked and is taken over. */
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		r = errno == EWOULDBLOCK ? -EBUSY : -errno;
		n = pread(fd, buf, sizeof(buf) - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		*ret_pid = parse_uint(buf, 1, LONG_MAX, &pid) == 0 ? (long)pid : 0;
		close(fd);
		return r;
	}
	/* Readers may see the file empty for a moment; never another daemon's PID. */
	if (ftruncate(fd, 0) < 0 || dprintf(fd, "%ld\n", (long)getpid()) < 0 || fchmod(fd, 0644) < 0)
		r = -errno;
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

int
privileges_drop(uid_t uid, gid_t gid)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (setgroups(1, &gid) < 0 && !(errno == EPERM && getgid() == gid && getuid() == uid))
		return -errno;
	/* As root both succeed; without CAP_SETGID, setgroups() has failed above. */
	if (setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)  /* GCOVR_EXCL_BR_LINE */
		return -errno;                  /* GCOVR_EXCL_LINE: see above */

	/* Trust, but verify: every id switched, and root is out of reach. A kernel that said yes
	 * above has done it, so no test reaches these returns. */
	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0)  /* GCOVR_EXCL_BR_LINE */
		return -errno;                  /* GCOVR_EXCL_LINE: trust, but verify */
	/* GCOVR_EXCL_BR_START: trust, but verify */
	if (ru != uid || eu != uid || su != uid || rg != gid || eg != gid || sg != gid)
		return -EPERM;                  /* GCOVR_EXCL_LINE: trust, but verify */
	if (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0))
		return -EPERM;                  /* GCOVR_EXCL_LINE: trust, but verify */
	/* GCOVR_EXCL_BR_STOP */
	return 0;
}
