/* SPDX-License-Identifier: BSD-2-Clause */
/* hellod-check --prom: the check's result as Prometheus metrics, in a file replaced atomically. */
#ifndef HELLOD_PROM_H
#define HELLOD_PROM_H

#include <stddef.h>
#include <stdio.h>

#include "report.h"

/* Writes the metrics of one check to out in the Prometheus text exposition format 0.0.4, with
 * HELP and TYPE lines and no timestamps (node_exporter's textfile collector refuses them).
 * r is NULL when nothing was probed: there is no duration and no reply size then. */
void prom_format(FILE *out, const struct check *c, const struct probe_result *r,
    const struct verdict *v);

/* Replaces the file at path with the len bytes of text, atomically: a new file, mode 0644
 * whatever the umask, under a unique name in path's directory, written and synced, then
 * renamed over path. A reader sees the old file or the new one, never part of one. Nothing
 * is left behind on failure. Returns 0, or a negative errno. */
int prom_write(const char *path, const char *text, size_t len);

#endif
