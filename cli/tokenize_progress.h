/* The progress line of `eiw tokenize`: bytes done of the total (when known), the coding rate
 * of this process, the time left and the bad records so far; drawn on stderr when it is a
 * terminal and -q is not given, at most four times a second. */
#ifndef EIW_CLI_TOKENIZE_PROGRESS_H
#define EIW_CLI_TOKENIZE_PROGRESS_H

#include <stdint.h>

typedef struct {
    const char *name;
    uint64_t total;            /* bytes, UINT64_MAX if unknown */
    uint64_t done;             /* bytes coded or passed over */
    uint64_t coded;            /* bytes this process coded */
    uint64_t bad;
    int enabled, drawn;
    double start, last;
} tok_progress;
void tok_progress_init(tok_progress *p, const char *name, uint64_t total, int quiet);
/* Thread-safe; skipped: bytes passed over (another rank's or a complete shard). */
void tok_progress_add(tok_progress *p, uint64_t bytes, int skipped);
void tok_progress_show(tok_progress *p);
void tok_progress_clear(tok_progress *p);
double tok_progress_elapsed(const tok_progress *p);

#endif
