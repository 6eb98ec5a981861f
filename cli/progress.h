/* A one-line progress display on stderr for long runs: shown only when stderr is a terminal
 * and the user did not ask for -q; redrawn at most a few times per second. */
#ifndef EIW_CLI_PROGRESS_H
#define EIW_CLI_PROGRESS_H

#include <stdint.h>

typedef struct {
    const char *name;      /* file being processed, as the user named it */
    uint64_t total;        /* bytes of the input to read, or UINT64_MAX if unknown */
    int enabled;
    int drawn;             /* a line is on screen and must be cleared */
    double last;           /* time of the last redraw, seconds */
} cli_progress;

void cli_progress_init(cli_progress *p, const char *name, uint64_t total, int quiet);
/* Matches eiw_options.progress; ctx is a cli_progress. */
void cli_progress_update(void *ctx, uint64_t in_bytes, uint64_t out_bytes);
/* Clears the line so that the next message starts on a clean line. */
void cli_progress_end(cli_progress *p);

#endif
