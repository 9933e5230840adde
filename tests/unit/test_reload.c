/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests of the reload's waits and records: a file changed moments ago is waited for, one
 * that kept changing for HELLOD_RELOAD_WAIT_USEC is refused and the refusal recorded; old,
 * future and missing files are read at once; the record file read back, and records that
 * cannot be written or read. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "../../src/hellod/reload.c"
#include "../../src/hellod/timer.c"
#include "test.h"

static char scratch[] = "/tmp/hellod-test-reload-XXXXXX";

static void
path_in(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", scratch, name);
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	CHECK(f != NULL);
	if (!f)
		return;
	fputs(text, f);
	fclose(f);
}

/* Sets path's modification time to now + offset seconds. */
static void
set_age(const char *path, long offset)
{
	struct timespec t[2];

	clock_gettime(CLOCK_REALTIME, &t[0]);
	t[0].tv_sec += offset;
	t[1] = t[0];
	CHECK(utimensat(AT_FDCWD, path, t, 0) == 0);
}

static void
nothing(void *userdata)
{
}

static void
fresh_file_waited_for_then_refused(void)
{
	char conf[64], record[64], outcome[128] = "";
	struct reload rl = { .path = conf, .cb = nothing };

	path_in(conf, sizeof(conf), "hellod.conf");
	path_in(record, sizeof(record), "reload");
	CHECK(setenv("RUNTIME_DIRECTORY", scratch, 1) == 0);
	CHECK(sd_event_new(&rl.event) >= 0);
	CHECK(reload_setup(&rl) == 0);
	write_file(conf, "[server]\n");
	/* Written this instant: waited for, on the timer. */
	CHECK(reload_ready(&rl) == 0);
	CHECK(rl.waiting_since > 0);
	CHECK(sd_event_source_get_enabled(rl.timer, NULL) > 0);
	/* Still changing once the wait began HELLOD_RELOAD_WAIT_USEC ago: refused, and the
	 * refusal recorded for hellod --reload, as the next generation. */
	rl.waiting_since = timer_now() - HELLOD_RELOAD_WAIT_USEC;
	CHECK(reload_ready(&rl) == -EBUSY);
	CHECK(rl.waiting_since == 0);
	CHECK(record_read(record, outcome, sizeof(outcome)) == 1);
	CHECK_STR(outcome, "failed: it kept changing");
	/* Quiet for long enough: read now. */
	set_age(conf, -1);
	CHECK(reload_ready(&rl) == 1);
	/* A clock far ahead of ours (NFS): not waited for, or it would be for ever. */
	set_age(conf, 3600);
	CHECK(reload_ready(&rl) == 1);
	/* Gone: read now, and reload_read() says why. */
	CHECK(unlink(conf) == 0);
	CHECK(reload_ready(&rl) == 1);
	reload_done(&rl);
	CHECK(rl.timer == NULL);
	sd_event_unref(rl.event);
	(void)unlink(record);
	unsetenv("RUNTIME_DIRECTORY");
}

/* The record: generation and outcome; nothing from a missing, empty or unnumbered file. */
static void
records(void)
{
	char record[64], outcome[128];
	struct reload rl = { .path = "/nonexistent" };

	path_in(record, sizeof(record), "reload");
	CHECK(record_read(record, outcome, sizeof(outcome)) == -1);
	write_file(record, "");
	CHECK(record_read(record, outcome, sizeof(outcome)) == -1);
	write_file(record, "ok\n");
	CHECK(record_read(record, outcome, sizeof(outcome)) == -1);
	/* systemd may list several runtime directories: the first is hellod's. */
	CHECK(setenv("RUNTIME_DIRECTORY", scratch, 1) == 0);
	reload_record(&rl, "started");
	CHECK(record_read(record, outcome, sizeof(outcome)) == 0);
	CHECK_STR(outcome, "started");
	{
		char list[128];

		snprintf(list, sizeof(list), "%s:/nonexistent", scratch);
		CHECK(setenv("RUNTIME_DIRECTORY", list, 1) == 0);
	}
	reload_record(&rl, NULL);
	CHECK(record_read(record, outcome, sizeof(outcome)) == 1);
	CHECK_STR(outcome, "ok");
	/* A directory that is not there: nothing recorded, nothing else happens. */
	CHECK(setenv("RUNTIME_DIRECTORY", "/nonexistent-hellod-dir", 1) == 0);
	reload_record(&rl, "line 2: bad");
	CHECK(access("/nonexistent-hellod-dir", F_OK) < 0);
	/* Not absolute: no record. */
	CHECK(setenv("RUNTIME_DIRECTORY", "run", 1) == 0);
	reload_record(&rl, NULL);
	CHECK(record_read(record, outcome, sizeof(outcome)) == 1);
	unsetenv("RUNTIME_DIRECTORY");
	(void)unlink(record);
}

static int
open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		return -1;
	while (readdir64(d))    /* 64: whatever the inode numbers, on 32-bit builds too */
		n++;
	closedir(d);
	return n;
}

/* A record that cannot be written whole (a full runtime directory; here a file size limit of
 * 0) costs no fd: reloads that fail to record, one after the other, must not use hellod's fds
 * up. The old record stays, and no half-written one is left. */
static void
record_write_fails(void)
{
	char record[64], outcome[128];
	struct reload rl = { .path = "/nonexistent" };
	struct rlimit fsize, none;
	int before;

	path_in(record, sizeof(record), "reload");
	CHECK(setenv("RUNTIME_DIRECTORY", scratch, 1) == 0);
	reload_record(&rl, NULL);
	CHECK(record_read(record, outcome, sizeof(outcome)) == 1);
	CHECK(getrlimit(RLIMIT_FSIZE, &fsize) == 0);
	none = (struct rlimit){ .rlim_cur = 0, .rlim_max = fsize.rlim_max };
	signal(SIGXFSZ, SIG_IGN);
	before = open_fds();
	CHECK(setrlimit(RLIMIT_FSIZE, &none) == 0);
	for (int i = 0; i < 10; i++)
		reload_record(&rl, "line 1: bad");
	CHECK(setrlimit(RLIMIT_FSIZE, &fsize) == 0);
	signal(SIGXFSZ, SIG_DFL);
	if (open_fds() != before)
		printf("# open fds: %d before 10 failed records, %d after\n", before, open_fds());
	CHECK(open_fds() == before);
	CHECK(record_read(record, outcome, sizeof(outcome)) == 1);
	unsetenv("RUNTIME_DIRECTORY");
	(void)unlink(record);
	path_in(record, sizeof(record), "reload.new");
	CHECK(access(record, F_OK) < 0);        /* no half-written record left behind */
	(void)unlink(record);
}

/* No PID to ask: 71 at once, nothing signalled. */
static void
request_without_pid(void)
{
	CHECK(reload_request(0) == 71);
	CHECK(reload_request(-1) == 71);
}

int
main(void)
{
	if (!mkdtemp(scratch)) {
		perror("mkdtemp");
		return 1;
	}
	RUN("unit/reload", fresh_file_waited_for_then_refused);
	RUN("unit/reload", records);
	RUN("unit/reload", record_write_fails);
	RUN("unit/reload", request_without_pid);
	(void)rmdir(scratch);
	return tests_failed ? 1 : 0;
}
