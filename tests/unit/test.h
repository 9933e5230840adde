/* SPDX-License-Identifier: BSD-2-Clause */
/* A minimal unit test harness: one PASS or FAIL line per test, for tests/run.sh to count. */
#ifndef HELLOD_TEST_H
#define HELLOD_TEST_H

#include <stdio.h>
#include <string.h>

static const char *test_name;
static int test_failed, tests_failed;

#define CHECK(cond) do { \
	if (!(cond)) { \
		if (!test_failed) \
			printf("FAIL %s: %s:%d: %s\n", test_name, __FILE__, __LINE__, #cond); \
		test_failed = 1; \
	} \
} while (0)

#define CHECK_STR(a, b) do { \
	const char *a_ = (a), *b_ = (b); \
	if (!a_ || !b_ || strcmp(a_, b_) != 0) { \
		if (!test_failed) \
			printf("FAIL %s: %s:%d: \"%s\" != \"%s\"\n", test_name, __FILE__, __LINE__, \
			    a_ ? a_ : "(null)", b_ ? b_ : "(null)"); \
		test_failed = 1; \
	} \
} while (0)

#define RUN(prefix, fn) do { \
	test_name = prefix "/" #fn; \
	test_failed = 0; \
	fn(); \
	if (!test_failed) \
		printf("PASS %s\n", test_name); \
	tests_failed += test_failed; \
} while (0)

#endif
