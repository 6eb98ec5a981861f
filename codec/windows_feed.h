/* Equal-Info window encoding fed piece by piece (codec/code_windows.c): each lane takes the
 * next piece as soon as it has finished one, so the batched model calls stay full until the
 * pieces run out. Internal to the library (tokenize's document encoder in data/ drives it);
 * eiw_windows_encode_many in eiw.h is the public face. */
#ifndef EIW_WINDOWS_FEED_H
#define EIW_WINDOWS_FEED_H
#include <stddef.h>
#include <stdint.h>
#include "eiw.h"

typedef struct {
    const uint8_t *src;     /* the piece, src[0..n), coded as eiw_windows_encode codes it */
    size_t n;
    uint8_t *dst;           /* its windows: at most cap bytes */
    size_t cap;
    uint32_t *counts;       /* bytes per window (cap / (window_bits / 8) entries), or NULL */
    size_t id;              /* the caller's; not used here */
} eiw_window_job;

typedef struct {
    /* Fills *job with the next piece; returns 0 when there is none (then it is not called
     * again). The buffers must stay valid until done() is called for the piece. */
    int (*next)(void *ctx, eiw_window_job *job);
    /* The piece is coded: result as eiw_windows_encode returns it (bytes written, or a
     * negative eiw_status). */
    void (*done)(void *ctx, const eiw_window_job *job, ptrdiff_t result);
    void *ctx;
} eiw_window_feed;

#define EIW_WINDOW_LANES_MAX 64

/* Codes every piece that feed gives, on `lanes` lanes (1..EIW_WINDOW_LANES_MAX; states[i]:
 * lane i's model state, state_size bytes, the caller's) in lockstep, until next() returns 0;
 * next() and done() are called on the calling thread. Every piece gets exactly the windows
 * that eiw_windows_encode gives it alone, whatever the lanes and the order. Allocates once
 * per call, nothing per piece or window. Returns EIW_OK; EIW_ERR_PARAM or EIW_ERR_NOMEM
 * before any piece is taken. Thread-safe with distinct states. */
eiw_status eiw_windows_encode_feed(const eiw_model *m, const eiw_window_params *p, size_t lanes,
                                   void *const *states, const eiw_window_feed *feed);

#endif
