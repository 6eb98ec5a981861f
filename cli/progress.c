/* Progress line on stderr (see progress.h). Only cosmetic: nothing here affects output data. */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "progress.h"

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void cli_progress_init(cli_progress *p, const char *name, uint64_t total, int quiet)
{
    p->name = name;
    p->total = total;
    p->enabled = !quiet && isatty(STDERR_FILENO);
    p->drawn = 0;
    p->last = p->enabled ? now_seconds() : 0.0;
}

void cli_progress_update(void *ctx, uint64_t in_bytes, uint64_t out_bytes)
{
    cli_progress *p = ctx;
    if (!p->enabled)
        return;
    double t = now_seconds();
    if (t - p->last < 0.25)   /* keep terminals (and slow ssh links) responsive */
        return;
    p->last = t;
    double in_mib = (double)in_bytes / 1048576.0, out_mib = (double)out_bytes / 1048576.0;
    if (p->total != UINT64_MAX && p->total > 0)
        fprintf(stderr, "\r\033[Keiw: %s: %3.0f%% %.1f MiB -> %.1f MiB", p->name,
                100.0 * (double)in_bytes / (double)p->total, in_mib, out_mib);
    else
        fprintf(stderr, "\r\033[Keiw: %s: %.1f MiB -> %.1f MiB", p->name, in_mib, out_mib);
    fflush(stderr);
    p->drawn = 1;
}

void cli_progress_end(cli_progress *p)
{
    if (p->drawn) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
    p->drawn = 0;
}
