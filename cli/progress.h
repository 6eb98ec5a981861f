/* A one-line progress display on stderr for long runs: shown only when stderr is a terminal
 * and the user did not ask for -q; redrawn at most a few times per second however often it is
 * called. The line gives the percentage (input of known size), the bytes so far (KiB or MiB),
 * the rate (original bytes per second, from the wall time since the start) and the time left,
 * e.g. "eiw: a.txt:  42% 3.1 MiB -> 812.4 KiB, 41.7 KiB/s, ETA 1m58s". */
#ifndef EIW_CLI_PROGRESS_H
#define EIW_CLI_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *name;      /* file being processed, as the user named it */
    uint64_t total;        /* bytes of the input to read, or UINT64_MAX if unknown */
    uint64_t base_in, base_out;   /* bytes of the containers already decoded (concatenations) */
    int decompressing;     /* the original bytes are the output (rate of out_bytes) */
    int enabled;
    int drawn;             /* a line is on screen and must be cleared */
    double start;          /* seconds (CLOCK_MONOTONIC) when the work began */
    double last;           /* time of the last redraw, seconds */
} cli_progress;

void cli_progress_init(cli_progress *p, const char *name, uint64_t total, int quiet,
                       int decompressing);
/* Matches eiw_options.progress; ctx is a cli_progress. Safe to call from several threads. */
void cli_progress_update(void *ctx, uint64_t in_bytes, uint64_t out_bytes);
/* The next bytes reported start after in/out bytes already done (the next container). */
void cli_progress_base(cli_progress *p, uint64_t in_bytes, uint64_t out_bytes);
/* Clears the line so that the next message starts on a clean line. */
void cli_progress_end(cli_progress *p);
/* The text of the line (without the terminal controls) for in/out bytes (base included) at
 * time `now` (seconds on p->start's clock), into buf; returns buf. For the tests. */
char *cli_progress_format(const cli_progress *p, uint64_t in_bytes, uint64_t out_bytes,
                          double now, char *buf, size_t cap);

#endif
