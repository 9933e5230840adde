/* SPDX-License-Identifier: BSD-2-Clause */
/* An LD_PRELOAD shim that stalls hellod inside accept4() once, as a SIGSTOP, a debugger or a
 * long accept burst would: when the file $HELLOD_STALL_FILE exists, the next accept4() that
 * returns a connection removes it and sleeps $HELLOD_STALL_MS milliseconds before returning.
 * Only the test that sets the variables is affected. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags);

int
accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	static int (*real)(int, struct sockaddr *, socklen_t *, int);
	const char *file = getenv("HELLOD_STALL_FILE");
	const char *ms = getenv("HELLOD_STALL_MS");
	int r, saved;

	if (!real)
		real = (int (*)(int, struct sockaddr *, socklen_t *, int))dlsym(RTLD_NEXT,
		    "accept4");
	if (!real) {
		errno = ENOSYS;
		return -1;
	}
	r = real(fd, addr, len, flags);
	saved = errno;
	if (r >= 0 && file && ms && unlink(file) == 0) {
		long n = strtol(ms, NULL, 10);
		struct timespec ts = { .tv_sec = n / 1000, .tv_nsec = n % 1000 * 1000000L };

		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
	errno = saved;
	return r;
}
