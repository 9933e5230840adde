/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests of the fortune file reader: the "%" lines, line endings, what is skipped and
 * counted, the files refused, the quote of the day, and a file of 10,000 quotes. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* quotes.c's allocations, made to fail from the nth on (0: none fails). */
static unsigned alloc_fail_at, alloc_calls;

static bool
alloc_fails(void)
{
	return alloc_fail_at > 0 && ++alloc_calls >= alloc_fail_at;
}

static void *
test_calloc(size_t n, size_t size)
{
	return alloc_fails() ? NULL : calloc(n, size);
}

static void *
test_malloc(size_t n)
{
	return alloc_fails() ? NULL : malloc(n);
}
#define calloc test_calloc
#define malloc test_malloc

#include "test.h"
#include "../../src/common/quotes.c"

#undef calloc
#undef malloc

static char dir[] = "/tmp/hellod-test-XXXXXX", path[64], msg[256];
static struct quotes *q;

/* Writes text (n bytes) to the test file and loads it into q. Returns quotes_load()'s result. */
static int
load(const char *text, size_t n)
{
	FILE *f = fopen(path, "w");

	q = quotes_free(q);
	if (!f || fwrite(text, 1, n, f) != n || fclose(f) != 0)
		return -EIO;
	msg[0] = '\0';
	return quotes_load(path, &q, msg, sizeof(msg));
}

#define LOAD(s) load(s, sizeof(s) - 1)

/* Whether quote i of q is text. */
static bool
quote_is(size_t i, const char *text)
{
	if (!q || i >= q->n)
		return false;
	if (q->len[i] != strlen(text) || memcmp(q->text[i], text, q->len[i]) != 0) {
		printf("# quote %zu: '%.*s'\n", i, (int)q->len[i], q->text[i]);
		return false;
	}
	return true;
}

static void
small_files(void)
{
	CHECK(LOAD("Hello\n") == 0 && q->n == 1 && quote_is(0, "Hello") && q->max_len == 5);
	CHECK(LOAD("Hello") == 0 && q->n == 1 && quote_is(0, "Hello"));
	CHECK(LOAD("one\ntwo\n%\nthree\n") == 0 && q->n == 2 && quote_is(0, "one\ntwo") &&
	    quote_is(1, "three") && q->max_len == 7 && q->skipped == 0);
	/* A CRLF file keeps its CRLFs inside a quote; the final one is left off as an LF is. */
	CHECK(LOAD("a\r\nb\r\n%\r\nc\r\n") == 0 && q->n == 2 && quote_is(0, "a\r\nb") &&
	    quote_is(1, "c"));
	/* The last separator with or without its newline, and text after it. */
	CHECK(LOAD("a\n%\n") == 0 && q->n == 1 && quote_is(0, "a"));
	CHECK(LOAD("a\n%") == 0 && q->n == 1 && quote_is(0, "a"));
	CHECK(LOAD("a\n%\nb") == 0 && q->n == 2 && quote_is(1, "b"));
	CHECK(LOAD("%\na\n%\n") == 0 && q->n == 1 && quote_is(0, "a"));
	/* Only a line of exactly "%" separates. */
	CHECK(LOAD("a\n%%\n %\n% \n50%\n") == 0 && q->n == 1 && quote_is(0, "a\n%%\n %\n% \n50%"));
	/* Blank lines at the end of a quote go with its final newline (a fuzzer's find). */
	CHECK(LOAD("a\n\n\n%\nre\n\r\n%\nb\r\n\r\n") == 0 && q->n == 3 && quote_is(0, "a") &&
	    quote_is(1, "re") && quote_is(2, "b"));
	/* Inner blank lines stay; tabs and UTF-8 are text. */
	CHECK(LOAD("x\n\n\ty\n%\ncaf\xc3\xa9 \xe2\x82\xac\n") == 0 && q->n == 2 &&
	    quote_is(0, "x\n\n\ty") && quote_is(1, "caf\xc3\xa9 \xe2\x82\xac"));
}

static void
empty_quotes(void)
{
	/* Empty and blank quotes are skipped and not counted: "%" twice is a habit, no loss. */
	CHECK(LOAD("a\n%\n%\nb\n%\n\n%\n \t\n%\n") == 0 && q->n == 2 && quote_is(0, "a") &&
	    quote_is(1, "b") && q->skipped == 0);
	CHECK(LOAD("%\n") == -EINVAL);
	CHECK_STR(msg, "no quote in the file; allowed: quotes of text and tabs, separated by "
	    "lines holding only %");
	CHECK(LOAD("%\n%\n%\n") == -EINVAL && !q);
	CHECK(LOAD("") == -EINVAL && !q);
	CHECK(LOAD("\n\n") == -EINVAL && !q);
}

static void
skipped_and_counted(void)
{
	char big[HELLOD_GREETING_MAX + 16];

	/* 511 bytes is a quote; 512 is too long, counted. */
	memset(big, 'x', sizeof(big));
	memcpy(big + HELLOD_GREETING_MAX, "\n%\n", 3);
	CHECK(load(big, HELLOD_GREETING_MAX + 3) == 0 && q->n == 1 &&
	    q->max_len == HELLOD_GREETING_MAX);
	memset(big, 'x', sizeof(big));
	memcpy(big + HELLOD_GREETING_MAX + 1, "\n%\nok\n", 6);
	CHECK(load(big, HELLOD_GREETING_MAX + 7) == 0 && q->n == 1 && quote_is(0, "ok") &&
	    q->skipped == 1);
	/* Control characters: ESC, a lone CR, DEL, NUL, a C1 CSI; a tab is fine. */
	CHECK(LOAD("e\x1b[2J\n%\ncr\rhere\n%\ndel\x7f\n%\nok\tok\n%\nc1\xc2\x9b\n") == 0 &&
	    q->n == 1 && quote_is(0, "ok\tok") && q->skipped == 4);
	CHECK(load("nul\0\n%\nok\n", 10) == 0 && q->n == 1 && quote_is(0, "ok") &&
	    q->skipped == 1);
	/* A CR at the very end is no CRLF. */
	CHECK(LOAD("ok\n%\nend\r") == 0 && q->n == 1 && q->skipped == 1);
	/* Not UTF-8: a stray byte, a truncated sequence, an overlong form, a surrogate. */
	CHECK(LOAD("\xff\n%\n\xc3\n%\n\xc0\xaf\n%\n\xed\xa0\x80\n%\nfine\n") == 0 &&
	    q->n == 1 && quote_is(0, "fine") && q->skipped == 4);
	/* Nothing usable: said with the count. */
	CHECK(LOAD("\x01\n%\n\xff\n") == -EINVAL && !q);
	CHECK_STR(msg, "no usable quote: 2 skipped (longer than 511 bytes, not UTF-8, or with "
	    "control characters); allowed: quotes of text and tabs, separated by lines holding "
	    "only %");
}

static void
load_timed_out(int sig)
{
	static const char text[] = "FAIL unit/quotes/files_refused: quotes_load() blocked\n";

	(void)!write(STDOUT_FILENO, text, sizeof(text) - 1);
	_exit(1);
}

static void
files_refused(void)
{
	char fifo[80], sub[80];
	int fd;

	q = quotes_free(q);
	CHECK(quotes_load("/nonexistent/fortunes", &q, msg, sizeof(msg)) == -ENOENT && !q);
	CHECK_STR(msg, "No such file or directory");
	snprintf(sub, sizeof(sub), "%s/dir", dir);
	CHECK(mkdir(sub, 0700) == 0);
	CHECK(quotes_load(sub, &q, msg, sizeof(msg)) == -EISDIR && !q);
	CHECK_STR(msg, "not a regular file (a directory); only a regular file is read");
	/* Neither a FIFO without a writer nor /dev/zero may hold the reader: a hang fails. */
	fflush(stdout);
	signal(SIGALRM, load_timed_out);
	alarm(10);
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	CHECK(mkfifo(fifo, 0600) == 0);
	CHECK(quotes_load(fifo, &q, msg, sizeof(msg)) == -EBADFD && !q);
	CHECK_STR(msg, "not a regular file (a FIFO); only a regular file is read");
	CHECK(quotes_load("/dev/zero", &q, msg, sizeof(msg)) == -EBADFD && !q);
	CHECK_STR(msg, "not a regular file (a character device); only a regular file is read");
	alarm(0);
	/* /dev/null reads as an empty file, which holds no quote. */
	CHECK(quotes_load("/dev/null", &q, msg, sizeof(msg)) == -EINVAL && !q);
	/* Larger than the cap: refused from its size, without reading it. */
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	CHECK(fd >= 0 && ftruncate(fd, (off_t)HELLOD_QUOTES_SIZE_MAX + 1) == 0 && close(fd) == 0);
	CHECK(quotes_load(path, &q, msg, sizeof(msg)) == -EFBIG && !q);
	CHECK_STR(msg, "16777217 bytes long; allowed: at most 16777216 bytes");
	unlink(fifo);
	rmdir(sub);
}

static void
parse_in_memory(void)
{
	char *data = strdup("a\n%\nb\n");

	/* quotes_parse() owns the bytes it is given, kept or freed (LeakSanitizer checks). */
	CHECK(quotes_parse(data, 6, &q, msg, sizeof(msg)) == 0 && q->data == data && q->n == 2);
	q = quotes_free(q);
	data = strdup("%\n");
	CHECK(quotes_parse(data, 2, &q, msg, sizeof(msg)) == -EINVAL && !q);
	CHECK(quotes_parse(NULL, 0, &q, msg, sizeof(msg)) == -EINVAL && !q);
	CHECK(quotes_free(NULL) == NULL);
}

/* Each of quotes_parse()'s three allocations failing: -ENOMEM said as such, nothing kept, and
 * the bytes it was given freed all the same (LeakSanitizer and valgrind check). */
static void
parse_out_of_memory(void)
{
	for (unsigned at = 1; at <= 3; at++) {
		char *data = strdup("a\n%\nb\n");

		alloc_fail_at = at;
		alloc_calls = 0;
		msg[0] = '\0';
		q = NULL;
		CHECK(data && quotes_parse(data, 6, &q, msg, sizeof(msg)) == -ENOMEM && !q);
		CHECK_STR(msg, strerror(ENOMEM));
	}
	alloc_fail_at = 0;
	CHECK(LOAD("a\n%\nb\n") == 0 && q->n == 2);
}

static void
daily(void)
{
	struct quotes seven = { .n = 7 }, one = { .n = 1 };
	/* 2026-12-01 00:00:00 in Los Angeles (PST, 08:00 UTC). */
	const time_t midnight = 1796112000;
	bool seen[7] = { false };
	size_t i;

	setenv("TZ", "America/Los_Angeles", 1);
	tzset();
	i = quotes_daily(&seven, midnight);
	CHECK(i < 7);
	CHECK(quotes_daily(&seven, midnight + 1) == i);
	CHECK(quotes_daily(&seven, midnight + 12 * 3600) == i);
	CHECK(quotes_daily(&seven, midnight + 86399) == i);
	CHECK(quotes_daily(&seven, midnight + 86400) != i);
	CHECK(quotes_daily(&seven, midnight - 1) != i);
	/* Seven consecutive days show seven different quotes, and day 8 the first again. */
	for (int d = 0; d < 7; d++) {
		size_t k = quotes_daily(&seven, midnight + d * 86400 + 3600);

		CHECK(k < 7);
		if (k < 7) {
			CHECK(!seen[k]);
			seen[k] = true;
		}
	}
	CHECK(quotes_daily(&seven, midnight + 7 * 86400) == i);
	/* Before 1970 too (a negative day). */
	CHECK(quotes_daily(&seven, -86400 * 3) < 7);
	CHECK(quotes_daily(&seven, -86400 * 3) == quotes_daily(&seven, -86400 * 3 + 3600));
	/* The day is local: in UTC, 08:00 is no boundary, midnight UTC is. */
	setenv("TZ", "UTC", 1);
	tzset();
	CHECK(quotes_daily(&seven, midnight - 1) == quotes_daily(&seven, midnight));
	CHECK(quotes_daily(&seven, midnight - 8 * 3600) != quotes_daily(&seven,
	    midnight - 8 * 3600 - 1));
	CHECK(quotes_daily(&one, midnight) == 0);
	unsetenv("TZ");
	tzset();
}

/* 10,000 quotes of one to three lines, up to about 200 bytes each (~1 MB): all of them load.
 * The time is printed, not asserted. */
static void
ten_thousand(void)
{
	FILE *f = fopen(path, "w");
	static const char fox[] = "The quick brown fox jumps over the lazy dog, and then it "
	    "does so again, and again, for ever; the dog does not mind at all, being lazy, as the "
	    "sentence says it is, always.";
	struct timespec a, b;
	char expect[256];

	CHECK(f != NULL);
	if (!f)
		return;
	for (int i = 0; i < 10000; i++) {
		fprintf(f, "Quote number %d: %.*s\n", i, i % 150, fox);
		if (i % 3 == 0)
			fprintf(f, "\t-- a second line\n");
		fputs("%\n", f);
	}
	CHECK(fclose(f) == 0);
	q = quotes_free(q);
	clock_gettime(CLOCK_MONOTONIC, &a);
	CHECK(quotes_load(path, &q, msg, sizeof(msg)) == 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	CHECK(q && q->n == 10000 && q->skipped == 0);
	CHECK(quote_is(0, "Quote number 0: \n\t-- a second line"));
	snprintf(expect, sizeof(expect), "Quote number 9999: %.*s\n\t-- a second line",
	    9999 % 150, fox);
	CHECK(quote_is(9999, expect));
	printf("# 10000 quotes loaded in %.3f ms\n", (double)(b.tv_sec - a.tv_sec) * 1e3 +
	    (double)(b.tv_nsec - a.tv_nsec) / 1e6);
}

int
main(void)
{
	if (!mkdtemp(dir)) {
		printf("FAIL unit/quotes: mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	snprintf(path, sizeof(path), "%s/fortunes", dir);
	RUN("unit/quotes", small_files);
	RUN("unit/quotes", empty_quotes);
	RUN("unit/quotes", skipped_and_counted);
	RUN("unit/quotes", files_refused);
	RUN("unit/quotes", parse_in_memory);
	RUN("unit/quotes", parse_out_of_memory);
	RUN("unit/quotes", daily);
	RUN("unit/quotes", ten_thousand);
	quotes_free(q);
	unlink(path);
	rmdir(dir);
	return tests_failed ? 1 : 0;
}
