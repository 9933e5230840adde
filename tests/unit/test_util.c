/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests of the checked number and boolean parsers and of str_escape(). */
#include <errno.h>

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

int
main(void)
{
	RUN("unit/util", parse_uint_accepts_range);
	RUN("unit/util", parse_uint_rejects);
	RUN("unit/util", parse_boolean_words);
	RUN("unit/util", str_escape_controls);
	RUN("unit/util", str_escape_cuts_long_input);
	return tests_failed ? 1 : 0;
}
