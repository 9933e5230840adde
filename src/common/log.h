/* SPDX-License-Identifier: BSD-2-Clause */
/* Logging to journald (structured, with MESSAGE_ID), syslog or stderr. */
#ifndef HELLOD_LOG_H
#define HELLOD_LOG_H

#include <stdlib.h>
#include <sys/socket.h>
#include <syslog.h>

enum log_target {
	LOG_TARGET_STDERR,
	LOG_TARGET_JOURNAL,
	LOG_TARGET_SYSLOG,
};

/* Picks the journal when stderr is connected to it ($JOURNAL_STREAM), stderr otherwise. */
void log_open_auto(const char *ident);
/* Switches to target (opening syslog with LOG_NDELAY so it survives a later chroot or drop). */
void log_set_target(enum log_target target);
/* Closes the syslog connection, if any; messages go to stderr afterwards. */
void log_close(void);
/* Messages above level (LOG_ERR..LOG_DEBUG) are not written. */
void log_set_max_level(int level);
/* Also hands every message at LOG_WARNING or worse to hook (the forking mode's readiness pipe). */
void log_set_error_hook(void (*hook)(const char *message, void *userdata), void *userdata);

/* Writes one message; fields is NULL or a NULL-terminated list of extra "KEY=value" journal
 * fields. %m in format is strerror(error). Keeps errno; returns -abs(error). */
int log_internal(int level, int error, const char *message_id, const char *const *fields,
    const char *format, ...) __attribute__((format(printf, 5, 6)));

#define log_full_errno(level, error, ...) log_internal(level, error, NULL, NULL, __VA_ARGS__)
#define log_error_errno(error, ...) log_full_errno(LOG_ERR, error, __VA_ARGS__)
#define log_warning_errno(error, ...) log_full_errno(LOG_WARNING, error, __VA_ARGS__)
#define log_error(...) log_full_errno(LOG_ERR, 0, __VA_ARGS__)
#define log_warning(...) log_full_errno(LOG_WARNING, 0, __VA_ARGS__)
#define log_notice(...) log_full_errno(LOG_NOTICE, 0, __VA_ARGS__)
#define log_info(...) log_full_errno(LOG_INFO, 0, __VA_ARGS__)
#define log_debug(...) log_full_errno(LOG_DEBUG, 0, __VA_ARGS__)
/* A message with a MESSAGE_ID and extra journal fields. */
#define log_struct(level, error, message_id, fields, ...) \
	log_internal(level, error, message_id, fields, __VA_ARGS__)

struct config_errors;
struct hellod_config;
/* Logs each error of a config that failed to load, with MESSAGE_ID and file and line fields. */
void log_config_errors(const struct config_errors *errors);

/* Logs what is worth a warning in a valid config: quotes its file held that were skipped. */
void log_config_notes(const struct hellod_config *c);

/* Logs a greeting with the client's address ([log] connections). */
void log_peer(const struct sockaddr_storage *ss, socklen_t len, const char *proto);


#endif
