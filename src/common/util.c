/* SPDX-License-Identifier: BSD-2-Clause */
/* Small checked parsers and string helpers shared by both programs; none of them logs. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "defaults.h"
#include "util.h"

int
parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *ret)
{
	unsigned long v;
	char *end;

	/* strtoul() would accept leading spaces, a sign and wrap negative numbers. */
	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end != '\0')
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}

int
parse_seconds(const char *s, uint64_t max_usec, uint64_t *ret)
{
	uint64_t sec = 0, usec = 0, scale = 100000;
	const char *p = s;

	if (!(*p >= '0' && *p <= '9') && !(*p == '.' && p[1] >= '0' && p[1] <= '9'))
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		sec = sec * 10 + (uint64_t)(*p - '0');
		if (sec > max_usec / 1000000 + 1)
			return -ERANGE;
	}
	if (*p == '.') {
		if (!(p[1] >= '0' && p[1] <= '9'))
			return -EINVAL;
		for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10) {
			if (scale == 0)
				return -EINVAL;         /* finer than a microsecond */
			usec += (uint64_t)(*p - '0') * scale;
		}
	}
	if (*p != '\0')
		return -EINVAL;
	if (sec * 1000000 + usec > max_usec)
		return -ERANGE;
	*ret = sec * 1000000 + usec;
	return 0;
}

int
parse_boolean(const char *s, bool *ret)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*ret = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*ret = false;
			return 0;
		}
	}
	return -EINVAL;
}

int
parse_log_level(const char *s)
{
	static const char *const names[] = {
		[LOG_ERR] = "err",
		[LOG_WARNING] = "warning",
		[LOG_NOTICE] = "notice",
		[LOG_INFO] = "info",
		[LOG_DEBUG] = "debug",
	};

	for (size_t i = 0; i < ELEMENTSOF(names); i++)
		if (names[i] && strcmp(names[i], s) == 0)
			return (int)i;
	return -EINVAL;
}

size_t
utf8_decode(const char *s, size_t n, uint32_t *ret_cp)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len;
	uint32_t cp;

	if (p[0] < 0x80) {
		*ret_cp = p[0];
		return 1;
	}
	/* 0x80-0xbf only continue a sequence; 0xc0 and 0xc1 only begin overlong ones; from
	 * 0xf5 up, every sequence is past U+10FFFF. */
	if (p[0] < 0xc2 || p[0] > 0xf4)
		return 0;
	len = p[0] < 0xe0 ? 2 : p[0] < 0xf0 ? 3 : 4;
	if (len > n)
		return 0;
	cp = p[0] & (0x7fu >> len);
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3fu);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*ret_cp = cp;
	return len;
}

char *
str_escape(const char *s, size_t n, char *buf, size_t len)
{
	return str_escape_also(s, n, buf, len, "");
}

char *
str_escape_also(const char *s, size_t n, char *buf, size_t len, const char *also)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char tmp[5];

		if (c == '\n')
			memcpy(tmp, "\\n", 3);
		else if (c == '\r')
			memcpy(tmp, "\\r", 3);
		else if (c == '\t')
			memcpy(tmp, "\\t", 3);
		else if (c == '\\')
			memcpy(tmp, "\\\\", 3);
		else if (c < 0x20 || c >= 0x7f || strchr(also, c))
			snprintf(tmp, sizeof(tmp), "\\x%02x", c);
		else {
			tmp[0] = (char)c;
			tmp[1] = '\0';
		}

		size_t t = strlen(tmp);
		/* Keep room for "..." and the NUL: o never exceeds len - 4. */
		if (o + t > len - 4) {
			memcpy(buf + o, "...", 4);
			return buf;
		}
		memcpy(buf + o, tmp, t);
		o += t;
	}
	buf[o] = '\0';
	return buf;
}

char *
format_usec(uint64_t usec, char *buf, size_t len)
{
	if (usec % 1000000 == 0)
		snprintf(buf, len, "%llu s", (unsigned long long)(usec / 1000000));
	else
		snprintf(buf, len, "%.3g s", (double)usec / 1e6);
	return buf;
}

/* What a file that is not a regular one is, for an error message. */
static const char *
file_type(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFDIR:
		return "a directory";
	case S_IFCHR:
		return "a character device";
	case S_IFBLK:
		return "a block device";
	case S_IFIFO:
		return "a FIFO";
	/* GCOVR_EXCL_START: open() of a socket fails (ENXIO) before fstat(), and every other
	 * type a path can have (open() follows symbolic links) has its case above. */
	case S_IFSOCK:
		return "a socket";
	default:
		return "of an unknown type";
	/* GCOVR_EXCL_STOP */
	}
}

/* Whether st is /dev/null, which reads as an empty file: "-c /dev/null", the built-in defaults,
 * is an idiom that neither blocks nor runs for ever. */
static bool
is_dev_null(const struct stat *st)
{
	struct stat null;

	return S_ISCHR(st->st_mode) && stat("/dev/null", &null) == 0 &&
	    S_ISCHR(null.st_mode) && null.st_rdev == st->st_rdev;
}

/* Reads the regular file open at fd to its end, or to one byte past max. */
static ssize_t
read_fd(int fd, const struct stat *st, size_t max, char **ret_data, char *msg, size_t len)
{
	/* Room for what fstat() said, which a file in /proc says is 0; grown when it was more. */
	size_t n = 0, cap = (size_t)st->st_size < max ? (size_t)st->st_size + 1 : max + 1;
	char *data = malloc(cap), *bigger;
	int r;

	if (!data)
		goto oom;
	/* The file may have grown since fstat(): read to its end, or one byte past the cap. */
	while (n <= max) {
		ssize_t k;

		if (n == cap) {
			cap = cap > max / 2 ? max + 1 : cap * 2;
			bigger = realloc(data, cap);
			if (!bigger)
				goto oom;
			data = bigger;
		}
		k = read(fd, data + n, cap - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			r = -errno;
			free(data);
			snprintf(msg, len, "cannot read: %s", strerror(-r));
			return r;
		}
		if (k == 0) {
			*ret_data = data;
			return (ssize_t)n;
		}
		n += (size_t)k;
	}
	free(data);
	snprintf(msg, len, "more than %zu bytes long (it grew while it was read); allowed: at most "
	    "%zu bytes", max, max);
	return -EFBIG;
oom:
	free(data);
	snprintf(msg, len, "%s", strerror(ENOMEM));
	return -ENOMEM;
}

ssize_t
read_regular_file(const char *path, size_t max, char **ret_data, char *msg, size_t len)
{
	struct stat st;
	ssize_t r;
	int fd;

	/* O_NONBLOCK: opening a FIFO does not wait for a writer. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		r = -errno;
		snprintf(msg, len, "%s", strerror((int)-r));
		return r;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		snprintf(msg, len, "cannot fstat: %s", strerror((int)-r));
	} else if (is_dev_null(&st)) {
		*ret_data = NULL;
		r = 0;
	} else if (!S_ISREG(st.st_mode)) {
		/* A FIFO would block the reader, a device such as /dev/zero never end. */
		snprintf(msg, len, "not a regular file (%s); only a regular file is read",
		    file_type(st.st_mode));
		r = S_ISDIR(st.st_mode) ? -EISDIR : -EBADFD;
	} else if ((uintmax_t)st.st_size > max) {
		snprintf(msg, len, "%jd bytes long; allowed: at most %zu bytes",
		    (intmax_t)st.st_size, max);
		r = -EFBIG;
	} else
		r = read_fd(fd, &st, max, ret_data, msg, len);
	close(fd);
	return r;
}

int
fd_discard(int fd, char *scratch, size_t size)
{
	for (size_t total = 0; total < HELLOD_DRAIN_BURST;) {
		ssize_t n = recv(fd, scratch, size, MSG_DONTWAIT);

		if (n > 0)
			total += (size_t)n;
		else if (n < 0 && errno == EINTR)
			continue;
		else if (n < 0 && errno == EAGAIN)
			return 0;
		else
			return -1;
	}
	return 0;
}
