/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests of the checked parsers (numbers, seconds, booleans, log levels), the UTF-8
 * decoder and str_escape(). */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <syslog.h>
#include <sys/stat.h>

#include "test.h"
#include "util.h"

static void
parse_uint_accepts_range(void)
{
	unsigned long v = 0;

	CHECK(parse_uint("0", 0, 10, &v) == 0 && v == 0);
	CHECK(parse_uint("65535", 1, 65535, &v) == 0 && v == 65535);
	CHECK(parse_uint("007", 1, 10, &v) == 0 && v == 7);
}

static void
parse_uint_rejects(void)
{
	unsigned long v = 42;

	CHECK(parse_uint("", 0, 10, &v) == -EINVAL);
	CHECK(parse_uint("-1", 0, 10, &v) == -EINVAL);
	CHECK(parse_uint("+1", 0, 10, &v) == -EINVAL);
	CHECK(parse_uint(" 1", 0, 10, &v) == -EINVAL);
	CHECK(parse_uint("1 ", 0, 10, &v) == -EINVAL);
	CHECK(parse_uint("1x", 0, 10, &v) == -EINVAL);
	CHECK(parse_uint("0x10", 0, 100, &v) == -EINVAL);
	CHECK(parse_uint("11", 0, 10, &v) == -ERANGE);
	CHECK(parse_uint("0", 1, 10, &v) == -ERANGE);
	CHECK(parse_uint("99999999999999999999999", 0, 10, &v) == -ERANGE);
	CHECK(v == 42);
}

static void
parse_seconds_decimals(void)
{
	uint64_t us = 0;

	CHECK(parse_seconds("10", 3600000000ULL, &us) == 0 && us == 10000000);
	CHECK(parse_seconds("0.5", 3600000000ULL, &us) == 0 && us == 500000);
	CHECK(parse_seconds(".25", 3600000000ULL, &us) == 0 && us == 250000);
	CHECK(parse_seconds("0.000001", 3600000000ULL, &us) == 0 && us == 1);
	CHECK(parse_seconds("3600", 3600000000ULL, &us) == 0 && us == 3600000000ULL);
	CHECK(parse_seconds("0", 3600000000ULL, &us) == 0 && us == 0);
}

static void
parse_seconds_rejects(void)
{
	uint64_t us = 42;

	CHECK(parse_seconds("", 3600000000ULL, &us) == -EINVAL);
	CHECK(parse_seconds(".", 3600000000ULL, &us) == -EINVAL);
	CHECK(parse_seconds("-1", 3600000000ULL, &us) == -EINVAL);
	CHECK(parse_seconds("+1", 3600000000ULL, &us) == -EINVAL);
	CHECK(parse_seconds("1e3", 3600000000ULL, &us) == -EINVAL);
	CHECK(parse_seconds("1s", 3600000000ULL, &us) == -EINVAL);
	CHECK(parse_seconds(" 1", 3600000000ULL, &us) == -EINVAL);
	CHECK(parse_seconds("nan", 3600000000ULL, &us) == -EINVAL);
	CHECK(parse_seconds("1.2.3", 3600000000ULL, &us) == -EINVAL);
	CHECK(parse_seconds("1.", 3600000000ULL, &us) == -EINVAL);
	CHECK(parse_seconds("1.0000001", 3600000000ULL, &us) == -EINVAL);
	CHECK(parse_seconds("3600.0000001", 3600000000ULL, &us) == -EINVAL);
	CHECK(parse_seconds("3600.000001", 3600000000ULL, &us) == -ERANGE);
	CHECK(parse_seconds("99999999999999999999999", 3600000000ULL, &us) == -ERANGE);
	CHECK(us == 42);
}

static void
parse_log_level_names(void)
{
	CHECK(parse_log_level("err") == LOG_ERR);
	CHECK(parse_log_level("warning") == LOG_WARNING);
	CHECK(parse_log_level("debug") == LOG_DEBUG);
	CHECK(parse_log_level("emerg") == -EINVAL);
	CHECK(parse_log_level("INFO") == -EINVAL);
	CHECK(parse_log_level("") == -EINVAL);
}

static void
parse_boolean_words(void)
{
	bool b = false;

	CHECK(parse_boolean("yes", &b) == 0 && b);
	CHECK(parse_boolean("Off", &b) == 0 && !b);
	CHECK(parse_boolean("TRUE", &b) == 0 && b);
	CHECK(parse_boolean("0", &b) == 0 && !b);
	CHECK(parse_boolean("on", &b) == 0 && b);
	CHECK(parse_boolean("maybe", &b) == -EINVAL && b);
	CHECK(parse_boolean("", &b) == -EINVAL);
}

static void
str_escape_controls(void)
{
	char buf[64];

	CHECK_STR(str_escape("a\tb\n\\\x01\x7f\xc3", 8, buf, sizeof(buf)),
	    "a\\tb\\n\\\\\\x01\\x7f\\xc3");
	CHECK_STR(str_escape("plain", 5, buf, sizeof(buf)), "plain");
	CHECK_STR(str_escape("", 0, buf, sizeof(buf)), "");
}

static void
str_escape_cuts_long_input(void)
{
	char buf[8];

	CHECK_STR(str_escape("abcdefghij", 10, buf, sizeof(buf)), "abcd...");
	CHECK_STR(str_escape("abcd", 4, buf, sizeof(buf)), "abcd");
	CHECK_STR(str_escape("abc\x01zzzz", 8, buf, sizeof(buf)), "abc...");
}

static void
str_escape_also_more(void)
{
	char buf[32];

	CHECK_STR(str_escape_also("a|b", 3, buf, sizeof(buf), "|"), "a\\x7cb");
	CHECK_STR(str_escape_also("a|b", 3, buf, sizeof(buf), ""), "a|b");
	CHECK_STR(str_escape_also("a\0b", 3, buf, sizeof(buf), "|"), "a\\x00b");
}

/* The length utf8_decode() gives s (a C string), and its code point in *cp. */
static size_t
decoded(const char *s, uint32_t *cp)
{
	*cp = 0xdeadbeef;
	return utf8_decode(s, strlen(s), cp);
}

static void
utf8_decode_valid(void)
{
	uint32_t cp;

	CHECK(utf8_decode("\0", 1, &cp) == 1 && cp == 0);
	CHECK(decoded("A", &cp) == 1 && cp == 'A');
	CHECK(decoded("\x7f", &cp) == 1 && cp == 0x7f);
	CHECK(decoded("\xc2\x80", &cp) == 2 && cp == 0x80);
	CHECK(decoded("\xc2\x9b", &cp) == 2 && cp == 0x9b);      /* valid, though a C1 control */
	CHECK(decoded("\xc3\xa9!", &cp) == 2 && cp == 0xe9);
	CHECK(decoded("\xdf\xbf", &cp) == 2 && cp == 0x7ff);
	CHECK(decoded("\xe0\xa0\x80", &cp) == 3 && cp == 0x800);
	CHECK(decoded("\xe2\x80\xae", &cp) == 3 && cp == 0x202e);
	CHECK(decoded("\xed\x9f\xbf", &cp) == 3 && cp == 0xd7ff);
	CHECK(decoded("\xee\x80\x80", &cp) == 3 && cp == 0xe000);
	CHECK(decoded("\xef\xbf\xbf", &cp) == 3 && cp == 0xffff);
	CHECK(decoded("\xf0\x90\x80\x80", &cp) == 4 && cp == 0x10000);
	CHECK(decoded("\xf0\x9f\x98\x80", &cp) == 4 && cp == 0x1f600);
	CHECK(decoded("\xf4\x8f\xbf\xbf", &cp) == 4 && cp == 0x10ffff);
}

static void
utf8_decode_invalid(void)
{
	uint32_t cp = 7;

	CHECK(decoded("\x80", &cp) == 0);                     /* a stray continuation byte */
	CHECK(decoded("\x9b", &cp) == 0);
	CHECK(decoded("\xbf", &cp) == 0);
	CHECK(decoded("\xc0\x80", &cp) == 0);                 /* overlong NUL */
	CHECK(decoded("\xc1\xbf", &cp) == 0);                 /* overlong DEL */
	CHECK(decoded("\xe0\x9f\xbf", &cp) == 0);             /* overlong U+07FF */
	CHECK(decoded("\xf0\x8f\xbf\xbf", &cp) == 0);         /* overlong U+FFFF */
	CHECK(decoded("\xed\xa0\x80", &cp) == 0);             /* U+D800, a surrogate */
	CHECK(decoded("\xed\xbf\xbf", &cp) == 0);             /* U+DFFF */
	CHECK(decoded("\xf4\x90\x80\x80", &cp) == 0);         /* U+110000 */
	CHECK(decoded("\xf5\x80\x80\x80", &cp) == 0);
	CHECK(decoded("\xff", &cp) == 0);
	CHECK(decoded("\xc3", &cp) == 0);                      /* truncated by the end */
	CHECK(utf8_decode("\xe2\x82\xac", 2, &cp) == 0);      /* ... of n, not of the string */
	CHECK(decoded("\xe2\x82x", &cp) == 0);                 /* truncated by another byte */
	CHECK(decoded("\xf0\x9f\x98", &cp) == 0);
	CHECK(decoded("\xc3\xc3\xa9", &cp) == 0);
	CHECK(cp == 0xdeadbeef);                               /* not written on failure */
}

/* The reader config_load() and quotes_load() share; its refusals are tested through them. */
static void
read_regular_file_grows(void)
{
	char msg[256], *data = NULL;
	ssize_t n;

	/* A file in /proc says it has 0 bytes: the buffer grows to what is there. */
	n = read_regular_file("/proc/self/status", 65536, &data, msg, sizeof(msg));
	CHECK(n > 100 && data && memcmp(data, "Name:", 5) == 0);
	free(data);
	data = NULL;
	/* More than it said and more than max: cut one byte past max, and refused. */
	CHECK(read_regular_file("/proc/self/status", 100, &data, msg, sizeof(msg)) == -EFBIG);
	CHECK_STR(msg, "more than 100 bytes long (it grew while it was read); allowed: at most "
	    "100 bytes");
	CHECK(!data);
	CHECK(read_regular_file("/nonexistent", 100, &data, msg, sizeof(msg)) == -ENOENT);
	CHECK_STR(msg, "No such file or directory");
	CHECK(read_regular_file("/dev/null", 100, &data, msg, sizeof(msg)) == 0 && !data);
}

/* A block device in /dev that can be opened (as root) is refused, its type named. */
static void
read_regular_file_block_device(void)
{
	char msg[256], path[300], *data = NULL;
	DIR *d = opendir("/dev");
	struct dirent *e;
	bool found = false;

	CHECK(d != NULL);
	while (d && !found && (e = readdir(d))) {
		struct stat st;
		ssize_t n;

		snprintf(path, sizeof(path), "/dev/%s", e->d_name);
		if (stat(path, &st) < 0 || !S_ISBLK(st.st_mode))
			continue;
		n = read_regular_file(path, 100, &data, msg, sizeof(msg));
		if (n == -EACCES || n == -EPERM || n == -ENXIO || n == -ENOMEDIUM || n == -EBUSY)
			continue;       /* not opened: not one to check */
		found = true;
		CHECK(n == -EBADFD && !data);
		CHECK_STR(msg, "not a regular file (a block device); only a regular file is read");
	}
	if (d)
		closedir(d);
	if (!found)
		printf("# no block device in /dev could be opened: not checked\n");
}

int
main(void)
{
	RUN("unit/util", parse_uint_accepts_range);
	RUN("unit/util", parse_uint_rejects);
	RUN("unit/util", parse_seconds_decimals);
	RUN("unit/util", parse_seconds_rejects);
	RUN("unit/util", parse_log_level_names);
	RUN("unit/util", parse_boolean_words);
	RUN("unit/util", utf8_decode_valid);
	RUN("unit/util", utf8_decode_invalid);
	RUN("unit/util", str_escape_controls);
	RUN("unit/util", str_escape_cuts_long_input);
	RUN("unit/util", str_escape_also_more);
	RUN("unit/util", read_regular_file_grows);
	RUN("unit/util", read_regular_file_block_device);
	return tests_failed ? 1 : 0;
}
