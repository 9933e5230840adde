/* SPDX-License-Identifier: BSD-2-Clause */
/* hellod-check --prom: the check's result as Prometheus metrics, in a file replaced atomically. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "prom.h"

/* A label value as the exposition format escapes it: backslash, double quote and line feed;
 * every other byte as it is. */
static void
label_value(FILE *out, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '\\')
			fputs("\\\\", out);
		else if (*s == '"')
			fputs("\\\"", out);
		else if (*s == '\n')
			fputs("\\n", out);
		else
			fputc(*s, out);
	}
}

/* One sample of a gauge, with its HELP and TYPE lines. value is printed as given. */
static void
gauge(FILE *out, const char *name, const char *help, const struct check *c, const char *value)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s gauge\n%s{host=\"", name, help, name, name);
	label_value(out, c->host);
	fputs("\",port=\"", out);
	if (c->port)
		fprintf(out, "%u", (unsigned)c->port);
	fprintf(out, "\",proto=\"%s\"} %s\n", c->udp ? "udp" : "tcp", value);
}

void
prom_format(FILE *out, const struct check *c, const struct probe_result *r,
    const struct verdict *v)
{
	char value[32];

	gauge(out, "hellod_check_success", "Whether the check was OK (1) or not (0).", c,
	    v->state == STATE_OK ? "1" : "0");
	snprintf(value, sizeof(value), "%d", (int)v->state);
	gauge(out, "hellod_check_status", "The check's exit code: 0 OK, 1 WARNING, 2 CRITICAL, "
	    "3 UNKNOWN.", c, value);
	if (!r)
		return;
	snprintf(value, sizeof(value), "%.6f", (double)r->usec / 1e6);
	gauge(out, "hellod_check_duration_seconds", "How long the probe took, until the reply "
	    "ended or it gave up.", c, value);
	snprintf(value, sizeof(value), "%zu", r->reply_len);
	gauge(out, "hellod_check_reply_bytes", "The bytes of the reply that were read.", c, value);
}

/* A name for the new file that no one else uses: "." (not listed by ls, and not ending in
 * ".prom", so that node_exporter never reads it), base, "." and 48 random bits. */
static void
temp_name(const char *base, char *buf, size_t size)
{
	uint64_t rnd;

	if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t)sizeof(rnd))
		rnd = (uint64_t)getpid() << 32 ^ (uint64_t)time(NULL) ^ (uint64_t)clock();
	snprintf(buf, size, ".%s.%012" PRIx64, base, rnd & (uint64_t)0xffffffffffff);
}

static int
write_all(int fd, const char *text, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, text, len);

		/* A regular file's write is not interrupted (hellod-check has no handler
		 * either); checked all the same. */
		if (n < 0 && errno == EINTR)    /* GCOVR_EXCL_BR_LINE: not interrupted (above) */
			continue;               /* GCOVR_EXCL_LINE: not interrupted (above) */
		if (n < 0)
			return -errno;
		text += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Writes text to a new file in dfd, syncs it and renames it to base. */
static int
replace_in(int dfd, const char *base, const char *text, size_t len)
{
	char tmp[NAME_MAX + 1];
	int fd = -1, r;

	/* O_EXCL: a new file or none, never one planted (nor a symlink's target). */
	for (unsigned i = 0; i < 16 && fd < 0; i++) {
		temp_name(base, tmp, sizeof(tmp));
		fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd < 0 && errno != EEXIST)
			return -errno;
	}
	if (fd < 0)
		return -EEXIST;
	/* The exporter runs as another user: readable by all whatever the umask (0077 in
	 * hellod-check.service). Metrics of a greeting are no secret. */
	r = fchmod(fd, 0644) < 0 ? -errno : 0;
	if (r == 0)
		r = write_all(fd, text, len);
	/* Synced before the rename: after a crash the file is the old one or the new one whole,
	 * not empty. The directory is not synced: losing the rename loses one minute's result. */
	/* Both fail only on an I/O error of the disk (or a network file system), which no test
	 * can make: write() has already failed where a test can (a size limit). */
	if (r == 0 && fsync(fd) < 0)            /* GCOVR_EXCL_BR_LINE: disk errors only */
		r = -errno;                     /* GCOVR_EXCL_LINE: disk errors only */
	if (close(fd) < 0 && r == 0)            /* GCOVR_EXCL_BR_LINE: disk errors only */
		r = -errno;                     /* GCOVR_EXCL_LINE: disk errors only */
	if (r == 0 && renameat(dfd, tmp, dfd, base) < 0)
		r = -errno;
	if (r < 0)
		(void)unlinkat(dfd, tmp, 0);
	return r;
}

int
prom_write(const char *path, const char *text, size_t len)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	int dfd, r;

	if (*base == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
		return -EISDIR;
	/* Room for the temporary name's "." and ".xxxxxxxxxxxx". */
	if (strlen(base) > NAME_MAX - 14)
		return -ENAMETOOLONG;
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else if ((size_t)(slash - path) >= sizeof(dir))
		return -ENAMETOOLONG;
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	r = replace_in(dfd, base, text, len);
	close(dfd);
	return r;
}
