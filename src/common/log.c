/* SPDX-License-Identifier: BSD-2-Clause */
/* Logging to journald (structured, with MESSAGE_ID), syslog or stderr. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include "addr.h"
#include "config.h"
#include "log.h"
#include "util.h"

#define LOG_LINE_MAX 2048
#define LOG_FIELDS_MAX 16
#define JOURNAL_SOCKET "/run/systemd/journal/socket"   /* sd_journal_sendv()'s, fixed */

static enum log_target log_target = LOG_TARGET_STDERR;
static int log_max_level = LOG_INFO;
static const char *log_ident = "hellod";
static void (*log_error_hook)(const char *, void *);
static void *log_error_hook_userdata;

static bool
stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	/* systemd sets $JOURNAL_STREAM to "dev:ino" of the stream it connected to stderr. */
	if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) < 0)
		return false;
	return st.st_dev == (dev_t)dev && st.st_ino == (ino_t)ino;
}

void
log_open_auto(const char *ident)
{
	log_ident = ident;
	log_set_target(stderr_is_journal() ? LOG_TARGET_JOURNAL : LOG_TARGET_STDERR);
}

void
log_set_target(enum log_target target)
{
	if (target == LOG_TARGET_SYSLOG && log_target != LOG_TARGET_SYSLOG)
		openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	else if (target != LOG_TARGET_SYSLOG && log_target == LOG_TARGET_SYSLOG)
		closelog();
	log_target = target;
}

void
log_close(void)
{
	log_set_target(LOG_TARGET_STDERR);
}

void
log_set_max_level(int level)
{
	log_max_level = level;
}

void
log_set_error_hook(void (*hook)(const char *, void *), void *userdata)
{
	log_error_hook = hook;
	log_error_hook_userdata = userdata;
}

static void
write_journal(int level, int error, const char *message_id, const char *const *fields,
    const char *message)
{
	struct iovec iov[LOG_FIELDS_MAX + 5];
	char msg[LOG_LINE_MAX + 8], prio[16], id[48], ident[64], err[24];
	size_t n = 0;

	snprintf(msg, sizeof(msg), "MESSAGE=%s", message);
	snprintf(prio, sizeof(prio), "PRIORITY=%d", level);
	snprintf(ident, sizeof(ident), "SYSLOG_IDENTIFIER=%s", log_ident);
	iov[n++] = (struct iovec){ msg, strlen(msg) };
	iov[n++] = (struct iovec){ prio, strlen(prio) };
	iov[n++] = (struct iovec){ ident, strlen(ident) };
	if (message_id) {
		snprintf(id, sizeof(id), "MESSAGE_ID=%s", message_id);
		iov[n++] = (struct iovec){ id, strlen(id) };
	}
	if (error) {
		snprintf(err, sizeof(err), "ERRNO=%d", error);
		iov[n++] = (struct iovec){ err, strlen(err) };
	}
	for (size_t i = 0; fields && fields[i] && i < LOG_FIELDS_MAX; i++)
		iov[n++] = (struct iovec){ (void *)(uintptr_t)fields[i], strlen(fields[i]) };

	/* Should journald be gone, the message is not lost: stderr still reaches someone. A
	 * missing socket (a container, a chroot, journald stopped) is one sd_journal_sendv()
	 * does not report: it returns success for ENOENT, so the socket is looked for first. */
	if (access(JOURNAL_SOCKET, F_OK) < 0 || sd_journal_sendv(iov, (int)n) < 0)
		dprintf(STDERR_FILENO, "%s: %s\n", log_ident, message);
}

int
log_internal(int level, int error, const char *message_id, const char *const *fields,
    const char *format, ...)
{
	char message[LOG_LINE_MAX];
	int saved_errno = errno;
	va_list ap;

	error = abs(error);
	if (level > log_max_level && level > LOG_ERR)
		goto out;

	/* %m prints strerror(errno): make it the error this message is about. */
	errno = error;
	va_start(ap, format);
	vsnprintf(message, sizeof(message), format, ap);
	va_end(ap);

	switch (log_target) {
	case LOG_TARGET_JOURNAL:
		write_journal(level, error, message_id, fields, message);
		break;
	case LOG_TARGET_SYSLOG:
		syslog(level, "%s", message);
		break;
	case LOG_TARGET_STDERR:
		/* One write per line, so concurrent writers do not interleave. */
		dprintf(STDERR_FILENO, "%s: %s\n", log_ident, message);
		break;
	}
	if (level <= LOG_WARNING && log_error_hook)
		log_error_hook(message, log_error_hook_userdata);
out:
	errno = saved_errno;
	return -error;
}

void
log_config_notes(const struct hellod_config *c)
{
	if (c->quotes && c->quotes->skipped > 0)
		log_warning("%s: %u quote%s skipped: longer than %u bytes, or holding control "
		    "characters or bytes that are not UTF-8", c->quotes_path, c->quotes->skipped,
		    c->quotes->skipped == 1 ? "" : "s", HELLOD_GREETING_MAX);
}

void
log_config_errors(const struct config_errors *errors)
{
	for (unsigned i = 0; i < errors->n && i < HELLOD_CONFIG_ERRORS_MAX; i++) {
		char file[PATH_MAX + 32], line[32];
		const char *const fields[] = { file, errors->line[i] > 0 ? line : NULL, NULL };

		snprintf(file, sizeof(file), "HELLOD_CONFIG_FILE=%s", errors->file);
		snprintf(line, sizeof(line), "HELLOD_CONFIG_LINE=%u", errors->line[i]);
		if (errors->line[i] > 0)
			log_struct(LOG_ERR, 0, HELLOD_MESSAGE_CONFIG_ERROR, fields, "%s:%u: %s",
			    errors->file, errors->line[i], errors->text[i]);
		else
			log_struct(LOG_ERR, 0, HELLOD_MESSAGE_CONFIG_ERROR, fields, "%s: %s",
			    errors->file, errors->text[i]);
	}
	if (errors->n > HELLOD_CONFIG_ERRORS_MAX)
		log_error("%s: %u more errors not shown", errors->file,
		    errors->n - HELLOD_CONFIG_ERRORS_MAX);
}

void
log_peer(const struct sockaddr_storage *ss, socklen_t len, const char *proto)
{
	char peer[ADDR_STR_MAX];

	log_info("Greeting %s over %s", addr_format((const struct sockaddr *)ss, len, peer,
	    sizeof(peer)), proto);
}
