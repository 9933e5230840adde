/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests of the forking mode's pieces: what the waiting parent makes of the readiness
 * pipe's lines (errors passed on, ready, a status, a daemon that dies without a word, an
 * over-long line), a whole fork with its status, a pipe that cannot be made, a PID file that is
 * not a regular file, and the privilege drop's checks. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "../../src/hellod/daemon.c"
#include "test.h"

static char scratch[] = "/tmp/hellod-test-daemon-XXXXXX";

/* What wait_for_daemon() returns for the bytes text, written at once and the pipe then
 * closed; what it printed to stderr into err. */
static int
waited(const char *text, size_t len, char *err, size_t size)
{
	int p[2], saved = dup(STDERR_FILENO), fd, r;
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/stderr", scratch);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	CHECK(fd >= 0 && saved >= 0);
	CHECK(pipe(p) == 0);
	/* The pipe holds 64 KiB: the text goes in whole before the reader starts. */
	CHECK(write(p[1], text, len) == (ssize_t)len);
	close(p[1]);
	dup2(fd, STDERR_FILENO);
	r = wait_for_daemon(p[0]);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(p[0]);
	n = pread(fd, err, size - 1, 0);
	err[n > 0 ? n : 0] = '\0';
	close(fd);
	return r;
}

static void
pipe_lines(void)
{
	char err[8192], *big;

	CHECK(waited("R\n", 2, err, sizeof(err)) == 0);
	CHECK_STR(err, "");
	/* Each error line is passed on, in order; the status ends the wait. */
	CHECK(waited("Efirst\nEsecond\nX78\n", 19, err, sizeof(err)) == 78);
	CHECK_STR(err, "hellod: first\nhellod: second\n");
	/* A status that is not one (the daemon's bug) is still a failure, never 0. */
	CHECK(waited("X0\n", 3, err, sizeof(err)) == 71);
	CHECK(waited("Xnope\n", 6, err, sizeof(err)) == 71);
	/* The daemon died after its errors and before a verdict: said so, and 71. */
	CHECK(waited("Eno room\n", 9, err, sizeof(err)) == 71);
	CHECK_STR(err, "hellod: no room\nhellod: the daemon exited before it was ready\n");
	/* A line longer than the buffer is dropped, not a stall; the next one still counts. */
	big = malloc(10000);
	CHECK(big != NULL);
	if (!big)
		return;
	memset(big, 'E', 10000);
	memcpy(big + 10000 - 3, "\nR\n", 3);
	CHECK(waited(big, 10000, err, sizeof(err)) == 0);
	free(big);
}

/* A whole fork: the daemon's errors and its status reach the parent through the pipe. */
static void
fork_passes_status(void)
{
	char path[64], err[256] = "";
	int ready = -1, status = -1, saved, fd, r;

	snprintf(path, sizeof(path), "%s/fork-stderr", scratch);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	saved = dup(STDERR_FILENO);
	CHECK(fd >= 0 && saved >= 0);
	fflush(stdout);
	dup2(fd, STDERR_FILENO);
	r = daemon_fork(&ready, &status);
	if (r == 0) {
		/* The daemon: its own session, in /, stdio on /dev/null. exit(), not _exit():
		 * its coverage counts are written too. */
		daemon_report_errors(ready);
		log_error("cannot %s", "serve");
		daemon_done(ready, getsid(0) == getpid() ? 70 : 75);
		exit(0);
	}
	dup2(saved, STDERR_FILENO);
	close(saved);
	CHECK(r == 1);
	/* 75: the daemon was not a session leader, as daemon(7) asks. */
	CHECK(status == 75);
	CHECK(pread(fd, err, sizeof(err) - 1, 0) > 0);
	CHECK_STR(err, "hellod: cannot serve\n");
	close(fd);
}

/* Out of fds before the fork: the error is returned, nothing forked. */
static void
fork_without_fds(void)
{
	struct rlimit old, rl;
	int ready = -1, status = -1, lowest = dup(0);

	CHECK(lowest >= 0 && getrlimit(RLIMIT_NOFILE, &old) == 0);
	close(lowest);
	rl = old;
	rl.rlim_cur = (rlim_t)lowest;
	CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0);
	CHECK(daemon_fork(&ready, &status) == -EMFILE);
	CHECK(setrlimit(RLIMIT_NOFILE, &old) == 0);
	CHECK(ready == -1 && status == -1);
}

static void
pidfile_not_regular(void)
{
	char path[64];
	long pid = -1;

	/* A FIFO opens read-write and locks, but cannot be truncated: refused, not written. */
	snprintf(path, sizeof(path), "%s/fifo", scratch);
	CHECK(mkfifo(path, 0600) == 0);
	CHECK(pidfile_take(path, &pid) == -EINVAL);
	CHECK(pid == -1);
	/* A symlink is never followed. */
	snprintf(path, sizeof(path), "%s/link", scratch);
	CHECK(symlink("/etc/passwd", path) == 0);
	CHECK(pidfile_take(path, &pid) == -ELOOP);
	snprintf(path, sizeof(path), "%s/none/pid", scratch);
	CHECK(pidfile_take(path, &pid) == -ENOENT);
	/* Taken, holding our PID; a second take sees the lock and that PID. */
	snprintf(path, sizeof(path), "%s/pid", scratch);
	int fd = pidfile_take(path, &pid);
	CHECK(fd >= 0);
	CHECK(pidfile_take(path, &pid) == -EBUSY);
	CHECK(pid == (long)getpid());
	close(fd);
}

/* In a child: drop to uid and gid, then try to drop again as the given ids. Exits with a code
 * that says what was seen. */
static void
drop_child(uid_t uid, gid_t gid, int *ret_first, int *ret_again, int *ret_root)
{
	int first = privileges_drop(uid, gid);
	/* Dropped already: setgroups() is refused (EPERM), which is fine for the same ids... */
	int again = privileges_drop(uid, gid);
	/* ... and not for root's. */
	int root = privileges_drop(0, 0);

	*ret_first = first;
	*ret_again = again;
	*ret_root = root;
}

static void
privileges(void)
{
	int p[2], got[3] = { 1, 1, 1 }, status;
	pid_t pid;

	if (geteuid() != 0) {
		/* Not root: dropping to our own ids is all there is to do. */
		CHECK(privileges_drop(getuid(), getgid()) == 0);
		CHECK(privileges_drop(0, 0) == -EPERM);
		return;
	}
	CHECK(pipe(p) == 0);
	fflush(stdout);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		int r[3];

		close(p[0]);
		drop_child(65534, 65534, &r[0], &r[1], &r[2]);
		r[0] = r[0] == 0 && getuid() == 65534 && getgid() == 65534 ? 0 : -1;
		if (write(p[1], r, sizeof(r)) != (ssize_t)sizeof(r))
			exit(1);
		exit(0);
	}
	close(p[1]);
	CHECK(read(p[0], got, sizeof(got)) == (ssize_t)sizeof(got));
	close(p[0]);
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(got[0] == 0);
	CHECK(got[1] == 0);
	CHECK(got[2] == -EPERM);
}

int
main(void)
{
	char path[64];

	if (!mkdtemp(scratch)) {
		perror("mkdtemp");
		return 1;
	}
	RUN("unit/daemon", pipe_lines);
	RUN("unit/daemon", fork_passes_status);
	RUN("unit/daemon", fork_without_fds);
	RUN("unit/daemon", pidfile_not_regular);
	RUN("unit/daemon", privileges);
	for (const char *const *f = (const char *const[]){ "stderr", "fork-stderr", "fifo", "link",
	    "pid", NULL }; *f; f++) {
		snprintf(path, sizeof(path), "%s/%s", scratch, *f);
		(void)unlink(path);
	}
	(void)rmdir(scratch);
	return tests_failed ? 1 : 0;
}
