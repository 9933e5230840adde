/* SPDX-License-Identifier: BSD-2-Clause */
/* The classic forking daemon (daemon(7)): double fork, readiness pipe, PID file, privilege drop. */
#ifndef HELLOD_DAEMON_H
#define HELLOD_DAEMON_H

#include <sys/types.h>

/* Forks into the background. In the daemon returns 0 and sets *ret_ready_fd, the pipe to the
 * original process, which waits on it; there returns 1 with *ret_status set to the status it
 * must exit with: 0 once the daemon reported ready, else the daemon's, its errors printed.
 * Returns a negative errno when it could not fork. */
int daemon_fork(int *ret_ready_fd, int *ret_status);

/* Forwards every error and warning logged from now on to the waiting original process. */
void daemon_report_errors(int ready_fd);

/* Tells the waiting process the daemon serves (status 0) or failed with status; closes fd. */
void daemon_done(int ready_fd, int status);

/* Opens path, locks it (flock) and writes our PID into it; the lock lasts as long as the
 * returned fd stays open, so that a second daemon cannot take the file over. Returns the fd,
 * -EBUSY when a live process holds the lock (its PID into *ret_pid, 0 if unreadable), or
 * another negative errno. */
int pidfile_take(const char *path, long *ret_pid);

/* Switches to uid and gid for good, gid the only supplementary group, and checks that root cannot
 * be regained. Returns 0 or a negative errno. */
int privileges_drop(uid_t uid, gid_t gid);

#endif
