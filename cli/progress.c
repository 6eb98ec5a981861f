/* Progress line on stderr (see progress.h). Only cosmetic: nothing here affects output data.
 * The rate is the average since the start: the library reports after each block (or more
 * often), so an average over the whole run is steadier than one over the last interval. */
#include <inttypes.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "cli/progress.h"

#define REDRAW_SECONDS 0.25   /* keep terminals (and slow ssh links) responsive */
#define RATE_AFTER_SECONDS 1.0   /* earlier, the first block's setup dominates the rate */

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void cli_progress_init(cli_progress *p, const char *name, uint64_t total, int quiet,
                       int decompressing)
{
    p->name = name;
    p->total = total;
    p->base_in = p->base_out = 0;
    p->decompressing = decompressing;
    p->enabled = !quiet && isatty(STDERR_FILENO);
    p->drawn = 0;
    p->start = p->last = now_seconds();
}

void cli_progress_base(cli_progress *p, uint64_t in_bytes, uint64_t out_bytes)
{
    p->base_in = in_bytes;
    p->base_out = out_bytes;
}

/* KiB below a MiB, so that slow work on small inputs still shows its bytes moving. */
static void format_bytes(char *buf, size_t cap, double bytes, const char *per)
{
    if (bytes >= 1048576.0)
        snprintf(buf, cap, "%.1f MiB%s", bytes / 1048576.0, per);
    else
        snprintf(buf, cap, "%.1f KiB%s", bytes / 1024.0, per);
}

static void format_duration(char *buf, size_t cap, double s)
{
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, cap, "%ldh%02ldm", t / 3600, t / 60 % 60);
    else
        snprintf(buf, cap, "%ldm%02lds", t / 60, t % 60);
}

char *cli_progress_format(const cli_progress *p, uint64_t in_bytes, uint64_t out_bytes,
                          double now, char *buf, size_t cap)
{
    char in[32], out[32];
    format_bytes(in, sizeof in, (double)in_bytes, "");
    format_bytes(out, sizeof out, (double)out_bytes, "");
    int n;
    if (p->total != UINT64_MAX && p->total > 0)
        n = snprintf(buf, cap, "eiw: %s: %3.0f%% %s -> %s", p->name,
                     100.0 * (double)in_bytes / (double)p->total, in, out);
    else
        n = snprintf(buf, cap, "eiw: %s: %s -> %s", p->name, in, out);
    double elapsed = now - p->start;
    uint64_t original = p->decompressing ? out_bytes : in_bytes;
    if (n < 0 || (size_t)n >= cap || elapsed < RATE_AFTER_SECONDS || in_bytes == 0)
        return buf;
    char rate[32];
    format_bytes(rate, sizeof rate, (double)original / elapsed, "/s");
    int m = snprintf(buf + n, cap - (size_t)n, ", %s", rate);
    if (m < 0 || (size_t)m >= cap - (size_t)n)
        return buf;
    n += m;
    if (p->total != UINT64_MAX && p->total > 0) {
        /* time left from the input still to read, at the input rate so far */
        uint64_t left = p->total > in_bytes ? p->total - in_bytes : 0;
        double eta = (double)left * elapsed / (double)in_bytes;
        if (eta < 1e7) {
            char t[32];
            format_duration(t, sizeof t, eta);
            snprintf(buf + n, cap - (size_t)n, ", ETA %s", t);
        }
    }
    return buf;
}

void cli_progress_update(void *ctx, uint64_t in_bytes, uint64_t out_bytes)
{
    cli_progress *p = ctx;
    if (!p->enabled)
        return;
#pragma omp critical(eiw_cli_progress)
    {
        double t = now_seconds();
        if (t - p->last >= REDRAW_SECONDS) {
            p->last = t;
            char line[512];
            cli_progress_format(p, p->base_in + in_bytes, p->base_out + out_bytes, t, line,
                                sizeof line);
            fprintf(stderr, "\r\033[K%s", line);
            fflush(stderr);
            p->drawn = 1;
        }
    }
}

void cli_progress_end(cli_progress *p)
{
    if (p->drawn) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
    p->drawn = 0;
}
