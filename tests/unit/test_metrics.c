/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests of the metrics text: every family and labelled series there from the start, the
 * largest values within the endpoint's buffer, a buffer too small refused whole, and the
 * process's figures (/proc/self/stat's start time past a command name with parentheses). */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "../../src/hellod/metrics-text.c"
#include "../../src/hellod/stats.c"
#include "test.h"

static char text[HELLOD_METRICS_RESPONSE_MAX];

/* Whether text has exactly this line. */
static bool
has_line(const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)); p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
	printf("# no line '%s'\n", line);
	return false;
}

static size_t
count_lines(const char *prefix)
{
	size_t n = 0;

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		n += strncmp(p, prefix, strlen(prefix)) == 0;
	return n;
}

static void
every_series_from_the_start(void)
{
	struct metrics_values v = { .workers = 1, .reload_ok = true, .loaded_at = 1700000000.5,
		.process = { -1, -1, -1, -1, -1, -1 } };
	int n = metrics_text_render(&v, text, sizeof(text));

	CHECK(n > 0 && (size_t)n == strlen(text));
	CHECK(has_line("hellod_build_info{version=\"" HELLOD_VERSION "\"} 1"));
	CHECK(has_line("hellod_greetings_total{proto=\"tcp\"} 0"));
	CHECK(has_line("hellod_greetings_total{proto=\"udp\"} 0"));
	/* One series per kind of refusal, TCP's and UDP's, each at 0. */
	CHECK(count_lines("hellod_refused_total{") == REFUSED_N);
	CHECK(has_line("hellod_refused_total{proto=\"tcp\",reason=\"access\"} 0"));
	CHECK(has_line("hellod_refused_total{proto=\"tcp\",reason=\"max_connections\"} 0"));
	CHECK(has_line("hellod_refused_total{proto=\"tcp\",reason=\"max_connections_per_source\"} 0"));
	CHECK(has_line("hellod_refused_total{proto=\"tcp\",reason=\"tcp_rate\"} 0"));
	CHECK(has_line("hellod_refused_total{proto=\"tcp\",reason=\"proxy_header\"} 0"));
	CHECK(has_line("hellod_refused_total{proto=\"tcp\",reason=\"send_timeout\"} 0"));
	CHECK(has_line("hellod_refused_total{proto=\"tcp\",reason=\"evicted\"} 0"));
	CHECK(has_line("hellod_refused_total{proto=\"udp\",reason=\"access\"} 0"));
	CHECK(has_line("hellod_refused_total{proto=\"udp\",reason=\"service_port\"} 0"));
	CHECK(has_line("hellod_refused_total{proto=\"udp\",reason=\"udp_max_ratio\"} 0"));
	CHECK(has_line("hellod_refused_total{proto=\"udp\",reason=\"udp_rate\"} 0"));
	CHECK(has_line("hellod_refused_total{proto=\"udp\",reason=\"loop_guard\"} 0"));
	CHECK(has_line("hellod_connections{state=\"open\"} 0"));
	CHECK(has_line("hellod_connections{state=\"lingering\"} 0"));
	CHECK(has_line("hellod_connections{state=\"waiting_header\"} 0"));
	CHECK(has_line("hellod_config_last_reload_successful 1"));
	CHECK(has_line("hellod_config_last_reload_success_timestamp_seconds 1700000000.500"));
	CHECK(count_lines("hellod_metrics_requests_total{") == METRICS_CODE_N);
	CHECK(count_lines("hellod_metrics_scrapes_refused_total{") == METRICS_REFUSED_N);
	/* No quotes configured: no hellod_quotes; a process figure not read: left out. */
	CHECK(count_lines("hellod_quotes") == 0 && count_lines("# HELP hellod_quotes") == 0);
	CHECK(count_lines("process_") == 0);
	/* Every series has its family's HELP and TYPE before it. */
	CHECK(count_lines("# HELP ") == count_lines("# TYPE "));
}

static void
largest_values_fit(void)
{
	struct metrics_values v = { .workers = HELLOD_WORKERS_MAX, .loaded_at = 4102444800.999,
		.has_quotes = true, .quotes = SIZE_MAX, .reloads = UINT64_MAX,
		.reload_failures = UINT64_MAX,
		.process = { 4102444800.99, 1e12, 1e15, 1e15, 1048576, 1048576 } };
	char line[64];
	int n;

	memset(&v.sum, 0xff, sizeof(v.sum));
	memset(v.requests, 0xff, sizeof(v.requests));
	memset(v.refused, 0xff, sizeof(v.refused));
	n = metrics_text_render(&v, text, sizeof(text));
	printf("# the largest text: %d bytes of %zu\n", n, sizeof(text));
	/* With room for a few more families. */
	CHECK(n > 0 && (size_t)n < sizeof(text) / 2);
	CHECK(has_line("hellod_greetings_total{proto=\"tcp\"} 18446744073709551615"));
	/* SIZE_MAX, which is 4294967295 where size_t is 32-bit (armhf). */
	snprintf(line, sizeof(line), "hellod_quotes %zu", (size_t)SIZE_MAX);
	CHECK(has_line(line));
	CHECK(has_line("hellod_config_last_reload_successful 0"));
	CHECK(has_line("process_open_fds 1048576"));
	CHECK(has_line("process_start_time_seconds 4102444800.99"));
	/* One byte short: refused whole, never cut. */
	CHECK(metrics_text_render(&v, text, (size_t)n) == -ENOBUFS);
	CHECK(metrics_text_render(&v, text, (size_t)n + 1) == n);
}

static void
start_ticks(void)
{
	unsigned long long t = 0;

	CHECK(stat_start_ticks("42 (hellod) S 1 42 42 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 3 0 "
	    "12345 9822208 815 18446744073709551615", &t) == 0 && t == 12345);
	/* A command name with spaces and parentheses: counted from the last ')'. */
	CHECK(stat_start_ticks("42 (a) b) c) S 1 42 42 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 3 0 "
	    "777 9822208 815", &t) == 0 && t == 777);
	CHECK(stat_start_ticks("42 (hellod) S 1 42", &t) == -EINVAL);
	CHECK(stat_start_ticks("no parenthesis", &t) == -EINVAL);
	CHECK(stat_start_ticks("42 (x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 x", &t) ==
	    -EINVAL);
}

static void
process_figures(void)
{
	struct metrics_process p;
	double now = (double)time(NULL);

	metrics_process_read(&p);
	CHECK(p.start_time > now - 3600 && p.start_time <= now + 1);
	CHECK(p.cpu_seconds >= 0 && p.resident_bytes > 0 && p.virtual_bytes >= p.resident_bytes);
	CHECK(p.open_fds >= 3 && p.max_fds >= p.open_fds);
}

int
main(void)
{
	RUN("unit/metrics", every_series_from_the_start);
	RUN("unit/metrics", largest_values_fit);
	RUN("unit/metrics", start_ticks);
	RUN("unit/metrics", process_figures);
	return tests_failed ? 1 : 0;
}
