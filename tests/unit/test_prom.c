/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests of hellod-check --prom's metrics: the exact text, label escaping, and what is left
 * out when nothing was probed; and the atomic write's refusals. */
#include <errno.h>
#include <stdlib.h>

#include "test.h"
#include "../../src/check/prom.c"

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

int
main(void)
{
	RUN("unit/prom", ok_metrics_exact);
	RUN("unit/prom", failure_is_zero_with_status);
	RUN("unit/prom", label_values_escaped);
	RUN("unit/prom", nothing_probed);
	RUN("unit/prom", write_refuses_no_file_name);
	return tests_failed ? 1 : 0;
}
