/* SPDX-License-Identifier: BSD-2-Clause */
/* Small checked parsers and string helpers shared by both programs; none of them logs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

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
