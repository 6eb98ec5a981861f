/* Mixed stream mode (compression levels): one binary range-coder stream per block, each bit's
 * probability from the context-mixing model (eiw_mix_*), which may take a byte model's
 * distribution (M1) as one of its inputs. The block is cut into lanes (include/eiw.h) so the
 * byte model of every lane advances in lockstep: one batched call per step when decoding,
 * whose lanes are spread over the threads. The bits never depend on the thread count: the
 * byte model gives the same weights however it is batched, and the mixing runs in one fixed
 * order on one thread. */
#include <stdlib.h>
#include <string.h>
#include "code_mixed.h"
#include "eiw.h"
#include "model_run.h"
#include "range_coder.h"

/* P(1) in 1..4095 out of 4096 as the coder's two-symbol partition of 2^24. */
static inline uint32_t freq0_of(unsigned p1) { return (4096u - p1) << 12; }

static inline void put_bit(rc_encoder *e, unsigned p1, unsigned bit)
{
    uint32_t f0 = freq0_of(p1);
    if (bit)
        rc_enc_put(e, f0, EIW_FREQ_TOTAL - f0);
    else
        rc_enc_put(e, 0, f0);
}

static inline unsigned get_bit(rc_decoder *d, unsigned p1)
{
    uint32_t f0 = freq0_of(p1);
    unsigned bit = d->code >= (uint32_t)((d->range * f0) >> EIW_FREQ_BITS);
    if (bit)
        rc_dec_take(d, f0, EIW_FREQ_TOTAL - f0);
    else
        rc_dec_take(d, 0, f0);
    return bit;
}

static void code_byte(eiw_mix *x, rc_encoder *e, unsigned lane, const uint32_t *w, unsigned c)
{
    eiw_mix_byte_begin(x, lane, w);
    for (int j = 7; j >= 0; j--) {
        unsigned bit = c >> j & 1;
        put_bit(e, eiw_mix_p1(x), bit);
        eiw_mix_update(x, bit);
    }
}

/* Decodes one byte into *out; 0 when the stream is not a valid one. */
static int decode_byte(eiw_mix *x, rc_decoder *d, rc_encoder *e, unsigned lane,
                       const uint32_t *w, uint8_t *out, size_t src_len)
{
    eiw_mix_byte_begin(x, lane, w);
    unsigned c = 0;
    for (int j = 0; j < 8; j++) {
        unsigned p1 = eiw_mix_p1(x);
        unsigned bit = get_bit(d, p1);
        put_bit(e, p1, bit);
        c = c << 1 | bit;
        if (j == 7)
            *out = (uint8_t)c;   /* the model reads the byte back at its last update */
        eiw_mix_update(x, bit);
    }
    /* a valid stream never reads more than a few bytes past its end */
    return d->pos <= src_len + 8 && !e->overflow;
}

unsigned eiw_mixed_lanes(size_t n, unsigned lanes_max, size_t lane_min)
{
    size_t k = lane_min ? n / lane_min : lanes_max;
    if (k < 1)
        k = 1;
    return k < lanes_max ? (unsigned)k : lanes_max;
}

ptrdiff_t eiw_mixed_encode(const eiw_model *m, void *const *states, eiw_mix *x, int threads,
                           const uint8_t *src, size_t n, unsigned lanes, uint8_t *dst,
                           size_t dst_cap)
{
    eiw_status st = eiw_mix_start(x, src, n, lanes);
    if (st != EIW_OK)
        return st;
    const size_t lane_len = EIW_LANE_LEN(n, lanes);
    uint32_t *w = NULL;
    if (m) {
        w = malloc(sizeof(uint32_t) * 256 * EIW_RUN_CHUNK * lanes);
        if (!w)
            return EIW_ERR_NOMEM;
        for (unsigned k = 0; k < lanes; k++)
            m->ops->reset(m, states[k]);
    }
    rc_encoder e;
    rc_enc_init(&e, dst, dst_cap);
    for (size_t t0 = 0; t0 < lane_len && !e.overflow; t0 += EIW_RUN_CHUNK) {
        if (m) {
            /* the byte model over this chunk of every lane: lanes are independent streams */
            #pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
            for (unsigned k = 0; k < lanes; k++) {
                size_t s = (size_t)k * lane_len + t0;
                size_t end = (size_t)(k + 1) * lane_len < n ? (size_t)(k + 1) * lane_len : n;
                if (s < end) {
                    size_t len = end - s < EIW_RUN_CHUNK ? end - s : EIW_RUN_CHUNK;
                    model_run(m, states[k], src + s, len, w + (size_t)256 * EIW_RUN_CHUNK * k);
                }
            }
        }
        size_t t1 = t0 + EIW_RUN_CHUNK < lane_len ? t0 + EIW_RUN_CHUNK : lane_len;
        for (size_t t = t0; t < t1 && !e.overflow; t++)
            for (unsigned k = 0; k < lanes; k++) {
                size_t p = (size_t)k * lane_len + t;
                if (p >= n || t >= lane_len)
                    break;
                const uint32_t *row =
                    w ? w + (size_t)256 * (EIW_RUN_CHUNK * k + (t - t0)) : NULL;
                code_byte(x, &e, k, row, src[p]);
            }
    }
    free(w);
    if (!e.overflow)
        rc_enc_finish(&e);
    return e.overflow ? EIW_ERR_DST_TOO_SMALL : (ptrdiff_t)e.pos;
}

eiw_status eiw_mixed_decode(const eiw_model *m, void *const *states, eiw_mix *x, int threads,
                            const uint8_t *src, size_t src_len, uint8_t *dst, size_t n,
                            unsigned lanes)
{
    eiw_status st = eiw_mix_start(x, dst, n, lanes);
    if (st != EIW_OK)
        return st;
    const size_t lane_len = EIW_LANE_LEN(n, lanes);
    uint8_t *canon = malloc(src_len + 16);
    uint32_t *w = m ? malloc(sizeof(uint32_t) * 256 * lanes) : NULL;
    if (!canon || (m && !w)) {
        free(canon);
        free(w);
        return EIW_ERR_NOMEM;
    }
    if (m)
        for (unsigned k = 0; k < lanes; k++)
            m->ops->reset(m, states[k]);
    rc_decoder d;
    rc_encoder e;   /* re-codes the decoded bits: the stream must be exactly its output */
    rc_dec_init(&d, src, src_len);
    rc_enc_init(&e, canon, src_len + 16);
    int stop = n == 0;
    int nthreads = m && threads > 1 && lanes > 1 ? threads : 1;
    if (nthreads == 1) {
        for (size_t t = 0; t < lane_len && !stop; t++)
            for (unsigned k = 0; k < lanes && !stop; k++) {
                size_t p = (size_t)k * lane_len + t;
                if (p >= n)
                    break;
                if (m)
                    m->ops->predict(m, states + k, 1, w + (size_t)256 * k);
                if (!decode_byte(x, &d, &e, k, m ? w + (size_t)256 * k : NULL, dst + p,
                                 src_len))
                    stop = 1;
                else if (m)
                    m->ops->advance(m, states[k], dst + p, 1);
            }
        if (stop && n)
            st = EIW_ERR_CORRUPT;
    } else {
        /* every thread walks the steps; at each, the byte model of the active lanes runs in
         * one batched call per thread, then one thread does the mixing and coding */
        #pragma omp parallel num_threads(nthreads)
        for (size_t t = 0; t < lane_len; t++) {
            #pragma omp barrier
            if (stop)
                break;
            /* lanes still holding a byte at step t: a prefix (only the last lanes run short) */
            unsigned active = 0;
            while (active < lanes && (size_t)active * lane_len + t < n)
                active++;
            #pragma omp for schedule(static)
            for (int g = 0; g < nthreads; g++) {
                unsigned per = (active + (unsigned)nthreads - 1) / (unsigned)nthreads;
                unsigned a = (unsigned)g * per, b = a + per < active ? a + per : active;
                if (a < b)
                    m->ops->predict(m, states + a, b - a, w + (size_t)256 * a);
            }
            #pragma omp single
            {
                for (unsigned k = 0; k < active && !stop; k++) {
                    size_t p = (size_t)k * lane_len + t;
                    if (!decode_byte(x, &d, &e, k, w + (size_t)256 * k, dst + p, src_len)) {
                        st = EIW_ERR_CORRUPT;
                        stop = 1;
                    } else {
                        m->ops->advance(m, states[k], dst + p, 1);
                    }
                }
                if (t + 1 == lane_len)
                    stop = 1;
            }
        }
    }
    if (st == EIW_OK) {
        rc_enc_finish(&e);
        if (e.overflow || e.pos != src_len || memcmp(canon, src, src_len) != 0)
            st = EIW_ERR_CORRUPT;
    }
    free(canon);
    free(w);
    return st;
}
