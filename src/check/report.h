/* SPDX-License-Identifier: BSD-2-Clause */
/* hellod-check's verdict on a probe and its one line of output: plugin status line or JSON. */
#ifndef HELLOD_REPORT_H
#define HELLOD_REPORT_H

#include <regex.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "probe.h"

/* The monitoring plugin API's exit codes. */
enum check_state {
	STATE_OK = 0,
	STATE_WARNING = 1,
	STATE_CRITICAL = 2,
	STATE_UNKNOWN = 3,
};

enum expect_mode {
	EXPECT_GREETING,        /* the reply is the greeting and a line end */
	EXPECT_SUBSTRING,       /* -e: the reply contains it */
	EXPECT_REGEX,           /* -r: the reply matches it (POSIX extended, per line) */
	EXPECT_PREFIX,          /* a configured greeting with variables: the reply starts with
	                         * its text before the first variable */
};

/* What was asked. */
struct check {
	const char *host;       /* as asked (-H) or configured; NULL when not known yet */
	uint16_t port;
	bool udp;
	enum proxy_version proxy;  /* --proxy: the header asked for, or PROXY_NONE */
	enum expect_mode mode;
	const char *expect;     /* the greeting, the substring or the regex's source */
	const regex_t *regex;   /* compiled with REG_EXTENDED | REG_NOSUB | REG_NEWLINE */
	uint64_t warning_usec;  /* 0: no threshold */
	uint64_t critical_usec;
	uint64_t timeout_usec;
};

struct verdict {
	enum check_state state;
	const char *error;      /* why it is not OK, in a few words; NULL when OK */
	char text[HELLOD_CHECK_TEXT_MAX];  /* the status line's text after "HELLOD STATE - " */
};

/* "OK", "WARNING", "CRITICAL" or "UNKNOWN". */
const char *check_state_name(enum check_state state);

/* True when a reply of n bytes is what c expects. */
bool reply_matches(const struct check *c, const char *reply, size_t n);

/* Writes reply as one line for the status line: without its final line end, control bytes,
 * bytes >= 0x7f, '\' and '|' (the perfdata separator) escaped, cut with "..." after
 * HELLOD_CHECK_SHOW_MAX characters. buf holds at least HELLOD_CHECK_SHOW_MAX + 1 bytes.
 * Returns buf. */
char *reply_show(const char *reply, size_t n, char *buf, size_t size);

/* Writes s, a string the user gave (a host, a pattern, an argument), as reply_show() writes
 * a reply, cut to size. Returns buf. */
char *text_show(const char *s, char *buf, size_t size);

/* Judges a finished probe. */
void check_judge(const struct check *c, const struct probe_result *r, struct verdict *v);

/* Prints the one line: "HELLOD OK - text|perfdata" or, with json, one JSON object. r is NULL
 * when nothing was probed (bad usage, a broken config); there is no perfdata then. */
void report_print(FILE *out, const struct check *c, const struct probe_result *r,
    const struct verdict *v, bool json);

#endif
