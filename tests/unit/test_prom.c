/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests of hellod-check --prom's metrics: the exact text, label escaping, and what is left
 * out when nothing was probed; and the atomic write's refusals. */
#include <errno.h>
#include <signal.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>

/* prom.c's random temporary names, made to fail or to repeat. */
static enum { RANDOM_REAL, RANDOM_FAILS, RANDOM_FIXED } random_mode;
static ssize_t
test_getrandom(void *buf, size_t n, unsigned flags)
{
	if (random_mode == RANDOM_FAILS) {
		errno = EAGAIN;
		return -1;
	}
	if (random_mode == RANDOM_FIXED) {
		memset(buf, 0x42, n);
		return (ssize_t)n;
	}
	return getrandom(buf, n, flags);
}
#define getrandom test_getrandom

#include "test.h"
#include "../../src/check/prom.c"

static char scratch[] = "/tmp/hellod-test-prom-XXXXXX";

/* The names in scratch, sorted, space-separated. scandir64(): on 32-bit builds without large
 * file offsets, scandir() fails with EOVERFLOW on a file system of 64-bit inode numbers. */
static const char *
listing(void)
{
	static char buf[1024];
	struct dirent64 **list = NULL;
	int n = scandir64(scratch, &list, NULL, alphasort64);

	if (n < 0) {
		snprintf(buf, sizeof(buf), "(scandir64: %s)", strerror(errno));
		return buf;
	}
	buf[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (strcmp(list[i]->d_name, ".") != 0 && strcmp(list[i]->d_name, "..") != 0) {
			strncat(buf, buf[0] ? " " : "", sizeof(buf) - strlen(buf) - 1);
			strncat(buf, list[i]->d_name, sizeof(buf) - strlen(buf) - 1);
		}
		free(list[i]);
	}
	free(list);
	return buf;
}

static const char *
contents(const char *path)
{
	static char buf[256];
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

	buf[n] = '\0';
	if (f)
		fclose(f);
	return buf;
}

/* The text prom_format() writes, in a static buffer. */
static const char *
formatted(const struct check *c, const struct probe_result *r, const struct verdict *v)
{
	static char buf[8192];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	prom_format(f, c, r, v);
	fclose(f);
	return buf;
}

static void
ok_metrics_exact(void)
{
	struct check c = { .host = "127.0.0.1", .port = 12345 };
	struct probe_result r = { .stage = PROBE_DONE, .usec = 214, .reply_len = 25 };
	struct verdict v = { .state = STATE_OK };

	CHECK_STR(formatted(&c, &r, &v),
	    "# HELP hellod_check_success Whether the check was OK (1) or not (0).\n"
	    "# TYPE hellod_check_success gauge\n"
	    "hellod_check_success{host=\"127.0.0.1\",port=\"12345\",proto=\"tcp\"} 1\n"
	    "# HELP hellod_check_status The check's exit code: 0 OK, 1 WARNING, 2 CRITICAL, "
	    "3 UNKNOWN.\n"
	    "# TYPE hellod_check_status gauge\n"
	    "hellod_check_status{host=\"127.0.0.1\",port=\"12345\",proto=\"tcp\"} 0\n"
	    "# HELP hellod_check_duration_seconds How long the probe took, until the reply ended "
	    "or it gave up.\n"
	    "# TYPE hellod_check_duration_seconds gauge\n"
	    "hellod_check_duration_seconds{host=\"127.0.0.1\",port=\"12345\",proto=\"tcp\"} "
	    "0.000214\n"
	    "# HELP hellod_check_reply_bytes The bytes of the reply that were read.\n"
	    "# TYPE hellod_check_reply_bytes gauge\n"
	    "hellod_check_reply_bytes{host=\"127.0.0.1\",port=\"12345\",proto=\"tcp\"} 25\n");
}

static void
failure_is_zero_with_status(void)
{
	struct check c = { .host = "::1", .port = 7, .udp = true };
	struct probe_result r = { .stage = PROBE_CONNECT, .usec = 1500000 };
	struct verdict v = { .state = STATE_CRITICAL };
	const char *text = formatted(&c, &r, &v);

	CHECK(strstr(text, "\nhellod_check_success{host=\"::1\",port=\"7\",proto=\"udp\"} 0\n"));
	CHECK(strstr(text, "\nhellod_check_status{host=\"::1\",port=\"7\",proto=\"udp\"} 2\n"));
	CHECK(strstr(text, "\nhellod_check_duration_seconds{host=\"::1\",port=\"7\",proto=\"udp\"} "
	    "1.500000\n"));
	CHECK(strstr(text, "\nhellod_check_reply_bytes{host=\"::1\",port=\"7\",proto=\"udp\"} 0\n"));
	v.state = STATE_WARNING;
	CHECK(strstr(formatted(&c, &r, &v), "\nhellod_check_success{host=\"::1\",port=\"7\","
	    "proto=\"udp\"} 0\n"));
}

/* The exposition format escapes backslash, double quote and line feed in label values, and
 * nothing else. */
static void
label_values_escaped(void)
{
	struct check c = { .host = "a\\b\"c\nd%e\tf", .port = 1 };
	struct verdict v = { .state = STATE_OK };

	CHECK(strstr(formatted(&c, NULL, &v),
	    "hellod_check_success{host=\"a\\\\b\\\"c\\nd%e\tf\",port=\"1\",proto=\"tcp\"} 1\n"));
}

/* A usage or config error: no host or port known, nothing probed, so no duration and no size,
 * and the two samples there are still parse. */
static void
nothing_probed(void)
{
	struct check c = { .host = NULL };
	struct verdict v = { .state = STATE_UNKNOWN };
	const char *text = formatted(&c, NULL, &v);

	CHECK(strstr(text, "\nhellod_check_success{host=\"\",port=\"\",proto=\"tcp\"} 0\n"));
	CHECK(strstr(text, "\nhellod_check_status{host=\"\",port=\"\",proto=\"tcp\"} 3\n"));
	CHECK(!strstr(text, "duration"));
	CHECK(!strstr(text, "reply_bytes"));
}

static void
write_refuses_no_file_name(void)
{
	CHECK(prom_write("", "x\n", 2) == -EISDIR);
	CHECK(prom_write("/tmp/", "x\n", 2) == -EISDIR);
	CHECK(prom_write("/tmp/.", "x\n", 2) == -EISDIR);
	CHECK(prom_write("/tmp/..", "x\n", 2) == -EISDIR);
	CHECK(prom_write("/nonexistent-hellod/x.prom", "x\n", 2) == -ENOENT);
}

/* Written whole, readable by all whatever the umask, and nothing else left in the directory;
 * written again, replaced. */
static void
write_replaces(void)
{
	char path[64];
	struct stat st;
	mode_t old = umask(077);

	snprintf(path, sizeof(path), "%s/hellod.prom", scratch);
	CHECK(prom_write(path, "a 1\n", 4) == 0);
	CHECK_STR(contents(path), "a 1\n");
	CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0644);
	CHECK(prom_write(path, "b 2\n", 4) == 0);
	CHECK_STR(contents(path), "b 2\n");
	CHECK_STR(listing(), "hellod.prom");
	/* No random bytes to be had: a name from the PID and the clocks, all the same. */
	random_mode = RANDOM_FAILS;
	CHECK(prom_write(path, "c 3\n", 4) == 0);
	random_mode = RANDOM_REAL;
	CHECK_STR(contents(path), "c 3\n");
	CHECK_STR(listing(), "hellod.prom");
	umask(old);
	CHECK(unlink(path) == 0);
}

/* A bare name is in the working directory. */
static void
write_relative(void)
{
	int here = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	CHECK(here >= 0 && chdir(scratch) == 0);
	CHECK(prom_write("rel.prom", "r 1\n", 4) == 0);
	CHECK(fchdir(here) == 0);
	close(here);
	CHECK_STR(listing(), "rel.prom");
	{
		char path[64];

		snprintf(path, sizeof(path), "%s/rel.prom", scratch);
		CHECK_STR(contents(path), "r 1\n");
		CHECK(unlink(path) == 0);
	}
}

/* Names too long for the temporary file's suffix, or a directory past PATH_MAX. */
static void
write_names_too_long(void)
{
	char name[NAME_MAX + 8], path[PATH_MAX + 16];

	memset(name, 'n', NAME_MAX - 13);
	name[NAME_MAX - 13] = '\0';
	CHECK(prom_write(name, "x\n", 2) == -ENAMETOOLONG);
	name[NAME_MAX - 14] = '\0';
	snprintf(path, sizeof(path), "%s/%s", scratch, name);
	CHECK(prom_write(path, "x\n", 2) == 0);
	CHECK(unlink(path) == 0);
	path[0] = '/';
	memset(path + 1, 'd', PATH_MAX);
	snprintf(path + 1 + PATH_MAX, sizeof(path) - 1 - PATH_MAX, "/x");
	CHECK(prom_write(path, "x\n", 2) == -ENAMETOOLONG);
}

/* A temporary name taken 16 times over (planted, or a clash each time): given up, the planted
 * file untouched, the target not written. */
static void
write_never_into_a_planted_file(void)
{
	char planted[96], path[64];

	snprintf(path, sizeof(path), "%s/hellod.prom", scratch);
	snprintf(planted, sizeof(planted), "%s/.hellod.prom.424242424242", scratch);
	{
		FILE *f = fopen(planted, "w");

		CHECK(f != NULL);
		if (f) {
			fputs("planted\n", f);
			fclose(f);
		}
	}
	random_mode = RANDOM_FIXED;
	CHECK(prom_write(path, "x 1\n", 4) == -EEXIST);
	random_mode = RANDOM_REAL;
	CHECK_STR(contents(planted), "planted\n");
	CHECK(access(path, F_OK) < 0);
	CHECK(unlink(planted) == 0);
}

/* A write that fails (a file size limit of 0): the error returned, the temporary file gone,
 * the old file kept. A base that is a directory: the rename fails, the same. */
static void
write_fails_cleanly(void)
{
	char path[64], dir[64];
	struct rlimit old, none;

	snprintf(path, sizeof(path), "%s/hellod.prom", scratch);
	CHECK(prom_write(path, "old 1\n", 6) == 0);
	signal(SIGXFSZ, SIG_IGN);
	CHECK(getrlimit(RLIMIT_FSIZE, &old) == 0);
	none = old;
	none.rlim_cur = 0;
	CHECK(setrlimit(RLIMIT_FSIZE, &none) == 0);
	CHECK(prom_write(path, "new 1\n", 6) == -EFBIG);
	CHECK(setrlimit(RLIMIT_FSIZE, &old) == 0);
	signal(SIGXFSZ, SIG_DFL);
	CHECK_STR(contents(path), "old 1\n");
	CHECK_STR(listing(), "hellod.prom");
	CHECK(unlink(path) == 0);
	snprintf(dir, sizeof(dir), "%s/adir", scratch);
	CHECK(mkdir(dir, 0700) == 0);
	CHECK(prom_write(dir, "x 1\n", 4) == -EISDIR);
	CHECK_STR(listing(), "adir");
	CHECK(rmdir(dir) == 0);
}

int
main(void)
{
	RUN("unit/prom", ok_metrics_exact);
	RUN("unit/prom", failure_is_zero_with_status);
	RUN("unit/prom", label_values_escaped);
	RUN("unit/prom", nothing_probed);
	RUN("unit/prom", write_refuses_no_file_name);
	if (!mkdtemp(scratch)) {
		perror("mkdtemp");
		return 1;
	}
	RUN("unit/prom", write_replaces);
	RUN("unit/prom", write_relative);
	RUN("unit/prom", write_names_too_long);
	RUN("unit/prom", write_never_into_a_planted_file);
	RUN("unit/prom", write_fails_cleanly);
	(void)rmdir(scratch);
	return tests_failed ? 1 : 0;
}
