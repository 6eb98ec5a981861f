/* Mixed stream mode (codec/code_mixed.c): the coder side of the compression levels. Internal to
 * the codec; the container calls it per block. */
#ifndef EIW_CODE_MIXED_H
#define EIW_CODE_MIXED_H
#include "eiw.h"

/* Lanes of a block of n bytes: one per lane_min bytes, at least 1, at most lanes_max. */
unsigned eiw_mixed_lanes(size_t n, unsigned lanes_max, size_t lane_min);
/* Progress inside a long block (may be NULL): called from one thread with the totals so far,
 * as the container's progress callback takes them (base + what this block has done). */
typedef struct {
    void (*fn)(void *ctx, uint64_t in_bytes, uint64_t out_bytes);
    void *ctx;
    uint64_t base_in, base_out;
} eiw_mixed_progress;

/* m: the byte model (NULL for the adaptive models alone), states: one per lane. Returns the
 * payload size or a negative status (EIW_ERR_DST_TOO_SMALL past dst_cap). */
ptrdiff_t eiw_mixed_encode(const eiw_model *m, void *const *states, eiw_mix *x, int threads,
                           const uint8_t *src, size_t n, unsigned lanes, uint8_t *dst,
                           size_t dst_cap, const eiw_mixed_progress *pr);
/* Decodes exactly n bytes; EIW_ERR_CORRUPT unless src is exactly what the encoder writes. */
eiw_status eiw_mixed_decode(const eiw_model *m, void *const *states, eiw_mix *x, int threads,
                            const uint8_t *src, size_t src_len, uint8_t *dst, size_t n,
                            unsigned lanes, const eiw_mixed_progress *pr);
#endif
