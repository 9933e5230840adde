/* SPDX-License-Identifier: BSD-2-Clause */
/* SIGHUP: a new configuration, read as a whole and handed over only when valid, never the
 * built-in defaults, and never a file caught in the middle of a rewrite. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "reload.h"
#include "timer.h"

static int
reload_timer_cb(sd_event_source *source, uint64_t usec, void *userdata)
{
	struct reload *rl = userdata;

	rl->cb(rl->userdata);
	return 0;
}

int
reload_setup(struct reload *rl)
{
	/* A reload waiting for a quiet file is due 0.1 s later, not up to sd-event's default
	 * slack of 250 ms more. */
	return timer_add(rl->event, &rl->timer, HELLOD_RELOAD_QUIET_USEC / 10, reload_timer_cb,
	    rl);
}

void
reload_done(struct reload *rl)
{
	rl->timer = sd_event_source_disable_unref(rl->timer);
}

/* Whether the file changed so recently that it may be in the middle of a rewrite (a shell's
 * `printf ... > file` truncates, then writes line by line, and each prefix can parse): then
 * the reload waits until the file has been quiet for HELLOD_RELOAD_QUIET_USEC, on a timer, never
 * blocking the loop. A file that keeps changing for HELLOD_RELOAD_WAIT_USEC is not reloaded. */
int
reload_ready(struct reload *rl)
{
	struct stat st;
	struct timespec now;
	int64_t age;

	if (stat(rl->path, &st) < 0 || clock_gettime(CLOCK_REALTIME, &now) < 0)
		return 1;       /* reload_read() says why */
	age = ((int64_t)now.tv_sec - (int64_t)st.st_mtim.tv_sec) * 1000000 +
	    ((int64_t)now.tv_nsec - (int64_t)st.st_mtim.tv_nsec) / 1000;
	/* A file from a clock far ahead of ours (NFS) would look fresh for ever: not waited for. */
	if (age >= (int64_t)HELLOD_RELOAD_QUIET_USEC || age <= -(int64_t)HELLOD_RELOAD_QUIET_USEC) {
		rl->waiting_since = 0;
		return 1;
	}
	if (rl->waiting_since == 0) {
		rl->waiting_since = timer_now();
		log_debug("%s changed moments ago, reloading once it is quiet", rl->path);
	} else if (timer_now() - rl->waiting_since >= HELLOD_RELOAD_WAIT_USEC) {
		rl->waiting_since = 0;
		log_struct(LOG_ERR, -EBUSY, HELLOD_MESSAGE_RELOAD_FAILED, NULL,
		    "Reloading %s failed: it kept changing, still serving the previous configuration",
		    rl->path);
		reload_record(rl, "it kept changing");
		return -EBUSY;
	}
	timer_arm(rl->timer, HELLOD_RELOAD_QUIET_USEC);
	return 0;
}

int
reload_read(struct reload *rl, struct hellod_config **ret)
{
	struct config_errors *errors;
	struct hellod_config *c = NULL;
	int r;

	/* Once running, the file is required: a missing one (deleted, or a pipe read once) must
	 * not turn into the built-in defaults. An empty one, caught mid-rewrite, is refused by
	 * config_load() itself, as hellod -t refuses it; one of nothing but comments is the
	 * defaults, written on purpose. */
	errors = malloc(sizeof(*errors));
	r = errors ? config_load(rl->path, true, &c, errors) : -ENOMEM;
	if (r >= 0 && (r = config_fold_hostname(c)) < 0)
		c = config_unref(c);
	if (r < 0) {
		char why[HELLOD_CONFIG_ERROR_LEN + 32];

		if (errors && errors->n > 0) {
			log_config_errors(errors);
			if (errors->line[0] > 0)
				snprintf(why, sizeof(why), "line %u: %s", errors->line[0],
				    errors->text[0]);
			else
				snprintf(why, sizeof(why), "%s", errors->text[0]);
		} else {
			log_error_errno(r, "Failed to read %s: %m", rl->path);
			snprintf(why, sizeof(why), "%s", strerror(-r));
		}
		log_struct(LOG_ERR, r, HELLOD_MESSAGE_RELOAD_FAILED, NULL,
		    "Reloading %s failed, still serving the previous configuration", rl->path);
		reload_record(rl, why);
	}
	free(errors);
	if (r >= 0) {
		log_config_notes(c);
		*ret = c;
	}
	return r < 0 ? r : 0;
}

/* $RUNTIME_DIRECTORY/reload into buf; false without a runtime directory. systemd may list
 * several, colon-separated: the first is hellod's. */
static bool
record_path(char *buf, size_t size, const char *file)
{
	const char *dir = getenv("RUNTIME_DIRECTORY");
	size_t n;

	if (!dir || dir[0] != '/')
		return false;
	n = strcspn(dir, ":");
	return snprintf(buf, size, "%.*s/%s", (int)n, dir, file) < (int)size;
}

/* Writes len bytes of text to tmp, then renames it to path. The fd is closed whatever the
 * write did (a full runtime directory must not cost an fd per reload), and a record not
 * written whole is removed, not renamed into place. Returns 0 or a negative errno. */
static int
record_replace(const char *tmp, const char *path, const char *text, size_t len)
{
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	ssize_t k;
	int r = 0;

	if (fd < 0)
		return -errno;
	k = write(fd, text, len);
	if (k != (ssize_t)len)
		r = k < 0 ? -errno : -ENOSPC;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		(void)unlink(tmp);
	return r;
}

void
reload_record(struct reload *rl, const char *why)
{
	char path[PATH_MAX], tmp[PATH_MAX], text[HELLOD_CONFIG_ERROR_LEN + 96];
	unsigned long long gen = why && strcmp(why, "started") == 0 ? 0 : ++rl->generation;
	int n, r;

	if (!record_path(path, sizeof(path), "reload") ||
	    !record_path(tmp, sizeof(tmp), "reload.new"))
		return;
	n = snprintf(text, sizeof(text), "%llu %s%s\n", gen, !why ? "ok" : gen == 0 ? "" :
	    "failed: ", why ? why : "");
	(void)unlink(tmp);
	r = record_replace(tmp, path, text, (size_t)n);
	if (r < 0)
		log_debug("Failed to record the reload in %s: %s", path, strerror(-r));
}

/* The generation number and the outcome recorded in path: -1 when there is none yet. */
static long long
record_read(const char *path, char *outcome, size_t size)
{
	char text[HELLOD_CONFIG_ERROR_LEN + 96];
	unsigned long long gen;
	int n, fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t k;

	if (fd < 0)
		return -1;
	k = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (k <= 0)
		return -1;
	text[k] = '\0';
	text[strcspn(text, "\n")] = '\0';
	if (sscanf(text, "%llu %n", &gen, &n) != 1)
		return -1;
	snprintf(outcome, size, "%s", text + n);
	return (long long)gen;
}

int
reload_request(long pid)
{
	const struct timespec tick = { .tv_nsec = 10L * 1000 * 1000 };
	char path[PATH_MAX], outcome[HELLOD_CONFIG_ERROR_LEN + 96];
	uint64_t deadline = timer_now() + HELLOD_RELOAD_WAIT_USEC + HELLOD_RELOAD_ANSWER_USEC;
	bool wait = record_path(path, sizeof(path), "reload");
	long long before = wait ? record_read(path, outcome, sizeof(outcome)) : -1, now;

	if (pid <= 0 || kill((pid_t)pid, SIGHUP) < 0) {
		log_error_errno(pid <= 0 ? ESRCH : errno, "Failed to ask hellod (PID %ld) to "
		    "reload: %m", pid);
		return EX_OSERR;
	}
	if (!wait)
		return 0;
	while (timer_now() < deadline) {
		(void)nanosleep(&tick, NULL);
		now = record_read(path, outcome, sizeof(outcome));
		if (now > before && now > 0) {
			if (strcmp(outcome, "ok") == 0) {
				log_info("hellod (PID %ld) reloaded its configuration", pid);
				return 0;
			}
			log_error("hellod (PID %ld) refused the reload, still serving the previous "
			    "configuration: %s", pid, strncmp(outcome, "failed: ", 8) == 0 ?
			    outcome + 8 : outcome);
			return 1;
		}
	}
	log_error("hellod (PID %ld) did not answer the reload within %llu s", pid,
	    (HELLOD_RELOAD_WAIT_USEC + HELLOD_RELOAD_ANSWER_USEC) / 1000000);
	return 1;
}
