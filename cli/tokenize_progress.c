/* The progress line of `eiw tokenize` (see tokenize_progress.h). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/tokenize_progress.h"

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void tok_progress_init(tok_progress *p, const char *name, uint64_t total, int quiet)
{
    memset(p, 0, sizeof *p);
    p->name = name;
    p->total = total;
    p->enabled = !quiet && isatty(STDERR_FILENO);
    p->start = p->last = now_seconds();
}

static void fmt_eta(char *buf, size_t cap, double s)
{
    if (s < 0 || s > 1e7)
        snprintf(buf, cap, "?");
    else if (s >= 3600)
        snprintf(buf, cap, "%dh%02dm", (int)(s / 3600), (int)(s / 60) % 60);
    else
        snprintf(buf, cap, "%dm%02ds", (int)(s / 60), (int)s % 60);
}

static void draw(tok_progress *p)
{
    double t = now_seconds();
    if (t - p->last < 0.25)
        return;
    p->last = t;
    double el = t - p->start, rate = el > 0 ? (double)p->coded / el : 0.0;
    double mb = (double)p->done / 1e6;
    if (p->total != UINT64_MAX && p->total > 0) {
        char eta[32];
        uint64_t left = p->total > p->done ? p->total - p->done : 0;
        fmt_eta(eta, sizeof eta, rate > 0 ? (double)left / rate : -1.0);
        int prec = p->total < 10000000 ? 2 : 1;
        fprintf(stderr, "\r\033[Keiw: %s: %3.0f%% %.*f/%.*f MB, %.3f MB/s, ETA %s, %" PRIu64
                        " bad records",
                p->name, 100.0 * (double)p->done / (double)p->total, prec, mb, prec,
                (double)p->total / 1e6, rate / 1e6, eta, p->bad);
    } else {
        fprintf(stderr, "\r\033[Keiw: %s: %.1f MB, %.3f MB/s, %" PRIu64 " bad records", p->name,
                mb, rate / 1e6, p->bad);
    }
    fflush(stderr);
    p->drawn = 1;
}

void tok_progress_add(tok_progress *p, uint64_t bytes, int skipped)
{
#pragma omp critical(eiw_tok_progress)
    {
        p->done += bytes;
        if (!skipped)
            p->coded += bytes;
        if (p->enabled)
            draw(p);
    }
}

void tok_progress_show(tok_progress *p)
{
    if (p->enabled)
        tok_progress_add(p, 0, 1);
}

void tok_progress_clear(tok_progress *p)
{
    if (p->drawn) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
    p->drawn = 0;
}

double tok_progress_elapsed(const tok_progress *p)
{
    return now_seconds() - p->start;
}
