/* SPDX-License-Identifier: BSD-2-Clause */
/* What the metrics endpoint says: the values gathered (the workers' counters, the reloads, the
 * endpoint's own counts, the process) and their Prometheus text format (version 0.0.4). */
#ifndef HELLOD_METRICS_TEXT_H
#define HELLOD_METRICS_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stats.h"

/* The status codes the endpoint answers with, each a series from the start. */
enum metrics_code {
	METRICS_200,
	METRICS_400,            /* a malformed request */
	METRICS_404,            /* a path other than /metrics */
	METRICS_405,            /* a method other than GET and HEAD */
	METRICS_408,            /* no whole request by HELLOD_METRICS_REQUEST_USEC */
	METRICS_431,            /* no end of the request within HELLOD_METRICS_REQUEST_MAX */
	METRICS_505,            /* a version other than HTTP/1.x */
	METRICS_CODE_N
};

/* Why a scraper got no metrics: the reason label of hellod_metrics_scrapes_refused_total. */
enum metrics_refusal {
	METRICS_REFUSED_ACCESS,         /* [metrics] allow: reset */
	METRICS_REFUSED_CONNECTIONS,    /* HELLOD_METRICS_CONNECTIONS busy: reset, or made room */
	METRICS_REFUSED_TIMEOUT,        /* answered 408 */
	METRICS_REFUSED_TOO_LARGE,      /* answered 431 */
	METRICS_REFUSED_N
};

/* The process, as the Prometheus client libraries describe theirs; a value that could not be
 * read is negative, and its series left out. */
struct metrics_process {
	double start_time;              /* seconds since the epoch */
	double cpu_seconds;             /* user and system, every thread */
	double resident_bytes, virtual_bytes;
	double open_fds, max_fds;
};

struct metrics_values {
	struct stats sum;               /* every worker's counters and gauges */
	size_t workers;
	bool reload_ok;                 /* the last reload worked, or none was tried */
	double loaded_at;               /* when the config in use was read, seconds since the epoch */
	uint64_t reloads, reload_failures;
	bool has_quotes;                /* [server] quotes is set */
	size_t quotes;                  /* ... with this many usable quotes */
	uint64_t requests[METRICS_CODE_N];
	uint64_t refused[METRICS_REFUSED_N];
	struct metrics_process process;
};

/* The number of a code: 200, 400, ... */
unsigned metrics_code_number(enum metrics_code code);
/* Its reason phrase: "OK", "Bad Request", ... */
const char *metrics_code_reason(enum metrics_code code);

/* Reads the process's figures from getrusage(), getrlimit() and /proc/self (stat, statm, fd).
 * Never fails: what cannot be read is left negative. */
void metrics_process_read(struct metrics_process *ret);

/* Writes v as the Prometheus text format into buf. Returns the length, or -ENOBUFS when len is
 * too small. */
int metrics_text_render(const struct metrics_values *v, char *buf, size_t len);

#endif
