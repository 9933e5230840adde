/* SPDX-License-Identifier: BSD-2-Clause */
/* An LD_PRELOAD shim that makes one chosen call fail with a realistic error, by call count, so
 * that a sweep (tests/fault/sweep.py) can fail each call site in turn:
 *
 *   HELLOD_FAULT=FUNC:N:ERRNO[:COUNT]  calls N to N+COUNT-1 of FUNC (from 1; COUNT 1 by default)
 *                                      fail with ERRNO (a name: ENOMEM, EMFILE, ...)
 *   HELLOD_FAULT_SITES=FILE            records, for each function, every call site seen and the
 *                                      number of its first call there: "FUNC N OBJECT+OFFSET"
 *   HELLOD_FAULT_LOG=FILE              where the failed calls are written, the same way
 *   HELLOD_FAULT_DISARM=FILE           once FILE exists, nothing fails any more: the sweep
 *                                      creates it before the calls that must succeed, so that a
 *                                      fault whose count had not come yet cannot land there
 *
 * A call site is the return address, as its object's file name and offset (dladdr), so that a
 * site is named the same in every run. Allocation fails by returning NULL, the others by -1;
 * errno is set either way. Nothing here allocates: records are formatted by hand and written
 * with write(2), so that malloc's own wrapper can record itself. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#define SITES_MAX 4096          /* distinct (function, return address) pairs remembered */

enum fn {
	FN_MALLOC, FN_CALLOC, FN_REALLOC, FN_ACCEPT4, FN_SEND, FN_SENDTO, FN_SENDMSG,
	FN_SENDMMSG, FN_RECV, FN_RECVFROM, FN_RECVMSG, FN_RECVMMSG, FN_EPOLL_CTL,
	FN_TIMERFD_SETTIME, FN_OPEN, FN_OPENAT, FN_READ, FN_FSTAT, FN_CONNECT, FN_SOCKET, FN_N
};

static const char *const fn_names[FN_N] = {
	"malloc", "calloc", "realloc", "accept4", "send", "sendto", "sendmsg", "sendmmsg", "recv",
	"recvfrom", "recvmsg", "recvmmsg", "epoll_ctl", "timerfd_settime", "open", "openat", "read",
	"fstat", "connect", "socket",
};

static const struct { const char *name; int value; } errnos[] = {
	{ "ENOMEM", ENOMEM }, { "EMFILE", EMFILE }, { "ENFILE", ENFILE }, { "ENOBUFS", ENOBUFS },
	{ "ECONNABORTED", ECONNABORTED }, { "EAGAIN", EAGAIN }, { "EPIPE", EPIPE },
	{ "ECONNRESET", ECONNRESET }, { "EIO", EIO }, { "EACCES", EACCES }, { "EINTR", EINTR },
	{ "ENOSPC", ENOSPC }, { "EINVAL", EINVAL }, { "ECONNREFUSED", ECONNREFUSED },
	{ "ETIMEDOUT", ETIMEDOUT },
};

static struct {
	bool ready;
	enum fn fn;                     /* the function to fail, FN_N for none */
	unsigned long first, last;      /* its calls to fail, counted from 1 */
	int error;
	int sites_fd, log_fd;
	const char *disarm;             /* the file whose existence ends all faults */
} cfg = { .fn = FN_N, .sites_fd = -1, .log_fd = -1 };

static unsigned long calls[FN_N];
static struct { enum fn fn; uintptr_t ret; } seen[SITES_MAX];
static unsigned n_seen;
/* Within the shim: no recording of its own calls. initial-exec: no allocation to reach it. */
static __thread bool busy __attribute__((tls_model("initial-exec")));

/* Appends text to buf at *n, within size. */
static void
put(char *buf, size_t size, size_t *n, const char *text)
{
	while (*text && *n + 1 < size)
		buf[(*n)++] = *text++;
}

static void
put_number(char *buf, size_t size, size_t *n, uintmax_t v, unsigned base)
{
	char digits[32];
	size_t k = 0;

	do {
		digits[k++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v > 0 && k < sizeof(digits));
	while (k > 0 && *n + 1 < size)
		buf[(*n)++] = digits[--k];
}

/* "FUNC N OBJECT+0xOFFSET\n" to fd. */
static void
record(int fd, enum fn fn, unsigned long call, const void *ret)
{
	char line[512];
	size_t n = 0;
	Dl_info info;
	const char *object = "?", *slash;
	uintptr_t offset = (uintptr_t)ret;

	if (dladdr(ret, &info) && info.dli_fname) {
		object = info.dli_fname;
		slash = strrchr(object, '/');
		if (slash)
			object = slash + 1;
		offset = (uintptr_t)ret - (uintptr_t)info.dli_fbase;
	}
	put(line, sizeof(line), &n, fn_names[fn]);
	put(line, sizeof(line), &n, " ");
	put_number(line, sizeof(line), &n, call, 10);
	put(line, sizeof(line), &n, " ");
	put(line, sizeof(line), &n, object);
	put(line, sizeof(line), &n, "+0x");
	put_number(line, sizeof(line), &n, offset, 16);
	line[n++] = '\n';
	(void)!write(fd, line, n);
}

static unsigned long
parse_ulong(const char *s, const char **end)
{
	unsigned long v = 0;

	while (*s >= '0' && *s <= '9')
		v = v * 10 + (unsigned long)(*s++ - '0');
	*end = s;
	return v;
}

/* Reads HELLOD_FAULT and the file names once. getenv() does not allocate. */
static void
setup(void)
{
	const char *spec = getenv("HELLOD_FAULT"), *p, *end;
	const char *sites = getenv("HELLOD_FAULT_SITES"), *log = getenv("HELLOD_FAULT_LOG");

	cfg.ready = true;
	cfg.disarm = getenv("HELLOD_FAULT_DISARM");
	if (sites)
		cfg.sites_fd = open(sites, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (log)
		cfg.log_fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (!spec || !(p = strchr(spec, ':')))
		return;
	for (int i = 0; i < FN_N; i++)
		if (strlen(fn_names[i]) == (size_t)(p - spec) &&
		    strncmp(spec, fn_names[i], (size_t)(p - spec)) == 0)
			cfg.fn = (enum fn)i;
	cfg.first = parse_ulong(p + 1, &end);
	cfg.last = cfg.first;
	if (*end != ':') {
		cfg.fn = FN_N;
		return;
	}
	p = end + 1;
	end = strchr(p, ':');
	for (size_t i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
		if (strncmp(p, errnos[i].name, end ? (size_t)(end - p) : strlen(p)) == 0 &&
		    strlen(errnos[i].name) == (end ? (size_t)(end - p) : strlen(p)))
			cfg.error = errnos[i].value;
	if (end)
		cfg.last = cfg.first + parse_ulong(end + 1, &end) - 1;
	if (cfg.error == 0 || cfg.first == 0)
		cfg.fn = FN_N;
}

/* Counts a call of fn from ret; true when it is to fail (errno then set). */
static bool
fault(enum fn fn, const void *ret)
{
	unsigned long call;
	int saved = errno;
	bool fail;

	if (busy)
		return false;
	busy = true;
	if (!cfg.ready)
		setup();
	call = __atomic_add_fetch(&calls[fn], 1, __ATOMIC_RELAXED);
	if (cfg.sites_fd >= 0) {
		bool known = false;

		for (unsigned i = 0; i < n_seen && !known; i++)
			known = seen[i].fn == fn && seen[i].ret == (uintptr_t)ret;
		if (!known && n_seen < SITES_MAX) {
			seen[n_seen].fn = fn;
			seen[n_seen++].ret = (uintptr_t)ret;
			record(cfg.sites_fd, fn, call, ret);
		}
	}
	fail = fn == cfg.fn && call >= cfg.first && call <= cfg.last &&
	    !(cfg.disarm && access(cfg.disarm, F_OK) == 0);
	if (fail && cfg.log_fd >= 0)
		record(cfg.log_fd, fn, call, ret);
	busy = false;
	errno = fail ? cfg.error : saved;
	return fail;
}

/* ---- allocation: dlsym() may itself call calloc, served from a small static arena ---- */

static char arena[4096] __attribute__((aligned(16)));
static size_t arena_used;

static void *
arena_alloc(size_t n)
{
	void *p;

	n = (n + 15) & ~(size_t)15;
	if (arena_used + n > sizeof(arena))
		return NULL;
	p = arena + arena_used;
	arena_used += n;
	return p;
}

static bool
in_arena(const void *p)
{
	return (const char *)p >= arena && (const char *)p < arena + sizeof(arena);
}

static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static void (*real_free)(void *);
static bool resolving;

static void
resolve_alloc(void)
{
	if (real_malloc || resolving)
		return;
	resolving = true;
	real_calloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "calloc");
	real_realloc = (void *(*)(void *, size_t))dlsym(RTLD_NEXT, "realloc");
	real_free = (void (*)(void *))dlsym(RTLD_NEXT, "free");
	real_malloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc");
	resolving = false;
}

void *
malloc(size_t n)
{
	resolve_alloc();
	if (!real_malloc)
		return arena_alloc(n);
	return fault(FN_MALLOC, __builtin_return_address(0)) ? NULL : real_malloc(n);
}

void *
calloc(size_t n, size_t size)
{
	resolve_alloc();
	if (!real_calloc)
		return n && size > SIZE_MAX / n ? NULL : arena_alloc(n * size); /* zeroed: static */
	return fault(FN_CALLOC, __builtin_return_address(0)) ? NULL : real_calloc(n, size);
}

void *
realloc(void *p, size_t n)
{
	resolve_alloc();
	if (in_arena(p) || !real_realloc) {
		void *q = malloc(n);

		if (q && p) {
			size_t left = (size_t)(arena + sizeof(arena) - (char *)p);

			memcpy(q, p, n < left ? n : left);
		}
		return q;
	}
	return fault(FN_REALLOC, __builtin_return_address(0)) ? NULL : real_realloc(p, n);
}

void
free(void *p)
{
	resolve_alloc();
	if (!p || in_arena(p))
		return;
	if (real_free)
		real_free(p);
}

/* ---- the rest: the next definition, looked up once ---- */

#define NEXT(name) \
	static __typeof__(&name) real_ ## name; \
	if (!real_ ## name) \
		real_ ## name = (__typeof__(&name))dlsym(RTLD_NEXT, #name)

int
accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	NEXT(accept4);
	return fault(FN_ACCEPT4, __builtin_return_address(0)) ? -1 :
	    real_accept4(fd, addr, len, flags);
}

ssize_t
send(int fd, const void *buf, size_t n, int flags)
{
	NEXT(send);
	return fault(FN_SEND, __builtin_return_address(0)) ? -1 : real_send(fd, buf, n, flags);
}

ssize_t
sendto(int fd, const void *buf, size_t n, int flags, const struct sockaddr *to, socklen_t len)
{
	NEXT(sendto);
	return fault(FN_SENDTO, __builtin_return_address(0)) ? -1 :
	    real_sendto(fd, buf, n, flags, to, len);
}

ssize_t
sendmsg(int fd, const struct msghdr *msg, int flags)
{
	NEXT(sendmsg);
	return fault(FN_SENDMSG, __builtin_return_address(0)) ? -1 : real_sendmsg(fd, msg, flags);
}

int
sendmmsg(int fd, struct mmsghdr *v, unsigned int n, int flags)
{
	NEXT(sendmmsg);
	return fault(FN_SENDMMSG, __builtin_return_address(0)) ? -1 : real_sendmmsg(fd, v, n, flags);
}

ssize_t
recv(int fd, void *buf, size_t n, int flags)
{
	NEXT(recv);
	return fault(FN_RECV, __builtin_return_address(0)) ? -1 : real_recv(fd, buf, n, flags);
}

ssize_t
recvfrom(int fd, void *buf, size_t n, int flags, struct sockaddr *from, socklen_t *len)
{
	NEXT(recvfrom);
	return fault(FN_RECVFROM, __builtin_return_address(0)) ? -1 :
	    real_recvfrom(fd, buf, n, flags, from, len);
}

ssize_t
recvmsg(int fd, struct msghdr *msg, int flags)
{
	NEXT(recvmsg);
	return fault(FN_RECVMSG, __builtin_return_address(0)) ? -1 : real_recvmsg(fd, msg, flags);
}

int
recvmmsg(int fd, struct mmsghdr *v, unsigned int n, int flags, struct timespec *timeout)
{
	NEXT(recvmmsg);
	return fault(FN_RECVMMSG, __builtin_return_address(0)) ? -1 :
	    real_recvmmsg(fd, v, n, flags, timeout);
}

int
epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	NEXT(epoll_ctl);
	return fault(FN_EPOLL_CTL, __builtin_return_address(0)) ? -1 :
	    real_epoll_ctl(epfd, op, fd, ev);
}

int
timerfd_settime(int fd, int flags, const struct itimerspec *new, struct itimerspec *old)
{
	NEXT(timerfd_settime);
	return fault(FN_TIMERFD_SETTIME, __builtin_return_address(0)) ? -1 :
	    real_timerfd_settime(fd, flags, new, old);
}

int
open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	NEXT(open);
	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	return fault(FN_OPEN, __builtin_return_address(0)) ? -1 : real_open(path, flags, mode);
}

int
openat(int dir, const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	NEXT(openat);
	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	return fault(FN_OPENAT, __builtin_return_address(0)) ? -1 :
	    real_openat(dir, path, flags, mode);
}

ssize_t
read(int fd, void *buf, size_t n)
{
	NEXT(read);
	return fault(FN_READ, __builtin_return_address(0)) ? -1 : real_read(fd, buf, n);
}

int
fstat(int fd, struct stat *st)
{
	NEXT(fstat);
	return fault(FN_FSTAT, __builtin_return_address(0)) ? -1 : real_fstat(fd, st);
}

int
connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	NEXT(connect);
	return fault(FN_CONNECT, __builtin_return_address(0)) ? -1 : real_connect(fd, addr, len);
}

int
socket(int domain, int type, int protocol)
{
	NEXT(socket);
	return fault(FN_SOCKET, __builtin_return_address(0)) ? -1 :
	    real_socket(domain, type, protocol);
}
