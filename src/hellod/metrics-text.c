/* SPDX-License-Identifier: BSD-2-Clause */
/* What the metrics endpoint says: the process's figures read, and every value written in the
 * Prometheus text format (version 0.0.4), each family with its HELP and TYPE, every labelled
 * series there from the start. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "defaults.h"
#include "metrics-text.h"
#include "util.h"

static const struct {
	unsigned number;
	const char *reason;
} codes[METRICS_CODE_N] = {
	[METRICS_200] = { 200, "OK" },
	[METRICS_400] = { 400, "Bad Request" },
	[METRICS_404] = { 404, "Not Found" },
	[METRICS_405] = { 405, "Method Not Allowed" },
	[METRICS_408] = { 408, "Request Timeout" },
	[METRICS_431] = { 431, "Request Header Fields Too Large" },
	[METRICS_505] = { 505, "HTTP Version Not Supported" },
};

unsigned
metrics_code_number(enum metrics_code code)
{
	return codes[code].number;
}

const char *
metrics_code_reason(enum metrics_code code)
{
	return codes[code].reason;
}

/* Reads a small /proc file whole into buf, a string. Returns its length or -errno. */
static ssize_t
read_proc(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

/* The start time in clock ticks after boot, field 22 of /proc/self/stat: counted after the
 * last ')', since the command name may hold spaces and parentheses. Returns 0 or -EINVAL. */
static int
stat_start_ticks(const char *text, unsigned long long *ret)
{
	const char *p = strrchr(text, ')');
	char *end;

	if (!p)
		return -EINVAL;
	/* After ") " come fields 3 (state) and on: field 22 is the 20th of them. */
	p++;
	for (int field = 3; field < 22; field++) {
		p = strchr(p + 1, ' ');
		if (!p)
			return -EINVAL;
	}
	errno = 0;
	*ret = strtoull(p + 1, &end, 10);
	return errno || end == p + 1 ? -EINVAL : 0;
}

static double
seconds_of(const struct timespec *ts)
{
	return (double)ts->tv_sec + (double)ts->tv_nsec / 1e9;
}

/* When the process started: the boot time (the realtime clock less the time since boot) plus
 * the start's ticks after boot. */
static double
start_time(void)
{
	struct timespec real, boot;
	unsigned long long ticks;
	long hz = sysconf(_SC_CLK_TCK);
	char text[1024];

	if (read_proc("/proc/self/stat", text, sizeof(text)) < 0 ||
	    stat_start_ticks(text, &ticks) < 0 || hz <= 0 ||
	    clock_gettime(CLOCK_REALTIME, &real) < 0 || clock_gettime(CLOCK_BOOTTIME, &boot) < 0)
		return -1;
	return seconds_of(&real) - seconds_of(&boot) + (double)ticks / (double)hz;
}

/* The fds open, less the one that reads the directory. */
static double
open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	double n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;
}

void
metrics_process_read(struct metrics_process *ret)
{
	struct rusage ru;
	struct rlimit rl;
	unsigned long long size, resident;
	long page = sysconf(_SC_PAGESIZE);
	char text[256];

	*ret = (struct metrics_process){ .start_time = start_time(), .cpu_seconds = -1,
		.resident_bytes = -1, .virtual_bytes = -1, .open_fds = open_fds(), .max_fds = -1 };
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		ret->cpu_seconds = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
		    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		ret->max_fds = rl.rlim_cur == RLIM_INFINITY ? -1 : (double)rl.rlim_cur;
	if (page > 0 && read_proc("/proc/self/statm", text, sizeof(text)) > 0 &&
	    sscanf(text, "%llu %llu", &size, &resident) == 2) {
		ret->virtual_bytes = (double)size * (double)page;
		ret->resident_bytes = (double)resident * (double)page;
	}
}

/* The text being written: what fit so far, and whether something did not. */
struct text {
	char *buf;
	size_t len, o;
	bool full;
};

static void __attribute__((format(printf, 2, 3)))
put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (t->full)
		return;
	va_start(ap, fmt);
	k = vsnprintf(t->buf + t->o, t->len - t->o, fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)k >= t->len - t->o)
		t->full = true;
	else
		t->o += (size_t)k;
}

/* A family's HELP and TYPE lines. */
static void
family(struct text *t, const char *name, const char *type, const char *help)
{
	put(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
counter(struct text *t, const char *name, const char *labels, uint64_t v)
{
	put(t, "%s%s %llu\n", name, labels, (unsigned long long)v);
}

/* A family of one series without labels. */
static void
single(struct text *t, const char *name, const char *type, const char *help, uint64_t v)
{
	family(t, name, type, help);
	counter(t, name, "", v);
}

/* A process family, left out when its value could not be read. */
static void
process_value(struct text *t, const char *name, const char *type, const char *help,
    int decimals, double v)
{
	if (v < 0)
		return;
	family(t, name, type, help);
	put(t, "%s %.*f\n", name, decimals, v);
}

static void
render_serving(struct text *t, const struct metrics_values *v)
{
	char labels[96];

	family(t, "hellod_build_info", "gauge", "The version of hellod that serves, as a label; "
	    "always 1.");
	counter(t, "hellod_build_info", "{version=\"" HELLOD_VERSION "\"}", 1);
	family(t, "hellod_greetings_total", "counter", "Greetings sent whole: TCP lines with the "
	    "FIN behind them, UDP replies.");
	counter(t, "hellod_greetings_total", "{proto=\"tcp\"}", v->sum.tcp_greetings);
	counter(t, "hellod_greetings_total", "{proto=\"udp\"}", v->sum.udp_greetings);
	family(t, "hellod_refused_total", "counter", "Clients and datagrams turned away, by "
	    "protocol and by what turned them away (hellod.conf(5)).");
	/* TCP's first, then UDP's, each in the order of enum refusal. */
	for (int udp = 0; udp <= 1; udp++)
		for (unsigned i = 0; i < REFUSED_N; i++) {
			const char *proto, *reason;

			stats_refusal_labels(i, &proto, &reason);
			if ((strcmp(proto, "udp") == 0) != udp)
				continue;
			snprintf(labels, sizeof(labels), "{proto=\"%s\",reason=\"%s\"}", proto,
			    reason);
			counter(t, "hellod_refused_total", labels, v->sum.refused[i]);
		}
	family(t, "hellod_connections", "gauge", "TCP connections held, by what they wait for: "
	    "open (the greeting being sent), lingering (sent, the client's end), waiting_header "
	    "(a trusted proxy's PROXY header).");
	for (unsigned i = 0; i < CONN_STATE_N; i++) {
		snprintf(labels, sizeof(labels), "{state=\"%s\"}", stats_conn_state_label(i));
		counter(t, "hellod_connections", labels, v->sum.conns[i]);
	}
	single(t, "hellod_accept_pauses_total", "counter", "Times accepting paused for want of "
	    "file descriptors or memory.", v->sum.accept_pauses);
	single(t, "hellod_workers", "gauge", "Threads serving, each with its own sockets.",
	    v->workers);
	if (v->has_quotes)
		single(t, "hellod_quotes", "gauge", "Quotes loaded from [server] quotes for $quote.",
		    v->quotes);
}

static void
render_config(struct text *t, const struct metrics_values *v)
{
	single(t, "hellod_config_last_reload_successful", "gauge", "Whether the last reload of "
	    "the configuration worked (1) or failed (0); 1 before any.", v->reload_ok ? 1 : 0);
	family(t, "hellod_config_last_reload_success_timestamp_seconds", "gauge", "When the "
	    "configuration in use was read: at the start, or at the last reload that worked.");
	put(t, "hellod_config_last_reload_success_timestamp_seconds %.3f\n", v->loaded_at);
	family(t, "hellod_config_reloads_total", "counter", "Reloads of the configuration, by "
	    "result.");
	counter(t, "hellod_config_reloads_total", "{result=\"success\"}", v->reloads);
	counter(t, "hellod_config_reloads_total", "{result=\"failure\"}", v->reload_failures);
}

static void
render_endpoint(struct text *t, const struct metrics_values *v)
{
	static const char *const refusals[METRICS_REFUSED_N] = {
		[METRICS_REFUSED_ACCESS] = "access",
		[METRICS_REFUSED_CONNECTIONS] = "connections",
		[METRICS_REFUSED_TIMEOUT] = "timeout",
		[METRICS_REFUSED_TOO_LARGE] = "too_large",
	};
	char labels[64];

	family(t, "hellod_metrics_requests_total", "counter", "Requests to this endpoint "
	    "answered, by status code, this one included.");
	for (unsigned i = 0; i < METRICS_CODE_N; i++) {
		snprintf(labels, sizeof(labels), "{code=\"%u\"}", codes[i].number);
		counter(t, "hellod_metrics_requests_total", labels, v->requests[i]);
	}
	family(t, "hellod_metrics_scrapes_refused_total", "counter", "Scrapers that got no "
	    "metrics: reset by [metrics] allow (access) or for want of a free connection "
	    "(connections), answered 408 (timeout) or 431 (too_large).");
	for (unsigned i = 0; i < METRICS_REFUSED_N; i++) {
		snprintf(labels, sizeof(labels), "{reason=\"%s\"}", refusals[i]);
		counter(t, "hellod_metrics_scrapes_refused_total", labels, v->refused[i]);
	}
}

static void
render_process(struct text *t, const struct metrics_process *p)
{
	process_value(t, "process_cpu_seconds_total", "counter", "CPU time hellod has used, user "
	    "and system, every thread, in seconds.", 2, p->cpu_seconds);
	process_value(t, "process_open_fds", "gauge", "File descriptors hellod holds open.", 0,
	    p->open_fds);
	process_value(t, "process_max_fds", "gauge", "The open files limit (RLIMIT_NOFILE, soft), "
	    "as hellod raised it.", 0, p->max_fds);
	process_value(t, "process_virtual_memory_bytes", "gauge", "hellod's virtual memory, in "
	    "bytes.", 0, p->virtual_bytes);
	process_value(t, "process_resident_memory_bytes", "gauge", "hellod's memory in RAM "
	    "(resident set), in bytes.", 0, p->resident_bytes);
	process_value(t, "process_start_time_seconds", "gauge", "When hellod started, in seconds "
	    "since the epoch.", 2, p->start_time);
}

int
metrics_text_render(const struct metrics_values *v, char *buf, size_t len)
{
	struct text t = { .buf = buf, .len = len };

	render_serving(&t, v);
	render_config(&t, v);
	render_endpoint(&t, v);
	render_process(&t, &v->process);
	return t.full || t.o > INT32_MAX ? -ENOBUFS : (int)t.o;
}
