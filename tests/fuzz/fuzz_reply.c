/* SPDX-License-Identifier: BSD-2-Clause */
/* libFuzzer target: hellod-check's handling of a server's reply: matching it against the
 * greeting, a substring or a regex, showing it escaped in the status line, and the JSON form.
 * The input is one byte of mode, a pattern up to a NUL, then the reply. A regex (-r) is one of
 * a fixed few: it is the operator's, not the server's, and glibc's regcomp() itself takes
 * gigabytes for some patterns (nested repetitions such as "a++++..."), which is no finding about
 * hellod-check. */
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const regexes[] = {
	"^Thank you", "connecting$", "[[:cntrl:]]", "^(Th|Ha)[a-z]* .*g$", "x*", "\\|",
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct probe_result r;
	struct check c = { .host = "127.0.0.1", .port = 12345, .timeout_usec = 10000000,
	    .warning_usec = 1000000, .critical_usec = 2000000 };
	struct verdict v;
	char pattern[65], line[2 * HELLOD_CHECK_TEXT_MAX + 512];
	const uint8_t *nul;
	const char *regex;
	regex_t re;
	size_t n;
	FILE *out;

	if (size < 1)
		return 0;
	c.mode = (enum expect_mode)(data[0] % 3);
	c.udp = data[0] & 0x10;
	regex = regexes[(data[0] >> 5) % (sizeof(regexes) / sizeof(regexes[0]))];
	data++;
	size--;
	nul = memchr(data, '\0', size < sizeof(pattern) - 1 ? size : sizeof(pattern) - 1);
	n = nul ? (size_t)(nul - data) : 0;
	memcpy(pattern, data, n);
	pattern[n] = '\0';
	data += nul ? n + 1 : 0;
	size -= nul ? n + 1 : 0;
	c.expect = c.mode == EXPECT_GREETING && n == 0 ? "Thank you for connecting" : pattern;
	if (c.mode == EXPECT_REGEX) {
		c.expect = regex;
		if (regcomp(&re, c.expect, REG_EXTENDED | REG_NOSUB | REG_NEWLINE) != 0)
			abort();        /* they are all valid */
		c.regex = &re;
	}

	memset(&r, 0, sizeof(r));
	r.stage = PROBE_DONE;
	r.usec = 1500000;
	snprintf(r.address, sizeof(r.address), "127.0.0.1");
	r.reply_len = size < HELLOD_CHECK_REPLY_MAX ? size : HELLOD_CHECK_REPLY_MAX;
	r.truncated = size > HELLOD_CHECK_REPLY_MAX;
	memcpy(r.reply, data, r.reply_len);

	check_judge(&c, &r, &v);
	if (v.state > STATE_UNKNOWN || strlen(v.text) >= sizeof(v.text))
		abort();
	for (int json = 0; json <= 1; json++) {
		out = fmemopen(line, sizeof(line), "w");
		if (!out)
			break;
		report_print(out, &c, &r, &v, json);
		fclose(out);
		/* One line: whatever the reply holds, it cannot add a line to the output. */
		if (strchr(line, '\n') != strrchr(line, '\n'))
			abort();
	}
	if (c.mode == EXPECT_REGEX)
		regfree(&re);
	return 0;
}
