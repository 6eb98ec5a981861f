/* Mixed stream mode (compression levels): one binary range-coder stream per block, each bit's
 * probability from the context-mixing model (eiw_mix_*), which may take a byte model's
 * distribution (M1) as one of its inputs. The block is cut into lanes (include/eiw.h) so the
 * byte model of every lane advances in lockstep: one batched call per step when decoding,
 * whose lanes are spread over the threads. The bits never depend on the thread count: the
 * byte model gives the same weights however it is batched, and the mixing runs in one fixed
 * order on one thread. */
#include <omp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include "codec/code_mixed.h"
#include "eiw.h"
#include "codec/model_run.h"
#include "codec/range_coder.h"

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

/* A barrier for the decoder's steps (two per byte step): it spins for a few microseconds, which
 * is all a step's wait takes on an idle machine, then sleeps on a condition variable, so that a
 * thread whose partner is not running does not burn the core that partner needs. */
typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    atomic_uint count, gen;
    unsigned n;
} step_barrier;

#define SB_SPIN 20000

static int sb_init(step_barrier *b, unsigned n)
{
    atomic_init(&b->count, 0);
    atomic_init(&b->gen, 0);
    b->n = n;
    if (pthread_mutex_init(&b->mu, NULL) != 0)
        return -1;
    if (pthread_cond_init(&b->cv, NULL) != 0) {
        pthread_mutex_destroy(&b->mu);
        return -1;
    }
    return 0;
}

static void sb_destroy(step_barrier *b)
{
    pthread_cond_destroy(&b->cv);
    pthread_mutex_destroy(&b->mu);
}

static void sb_wait(step_barrier *b)
{
    unsigned g = atomic_load_explicit(&b->gen, memory_order_acquire);
    if (atomic_fetch_add_explicit(&b->count, 1, memory_order_acq_rel) + 1 == b->n) {
        /* the last one in: nobody can arrive again before gen moves on */
        atomic_store_explicit(&b->count, 0, memory_order_relaxed);
        pthread_mutex_lock(&b->mu);
        atomic_store_explicit(&b->gen, g + 1, memory_order_release);
        pthread_cond_broadcast(&b->cv);
        pthread_mutex_unlock(&b->mu);
        return;
    }
    for (int i = 0; i < SB_SPIN; i++) {
        if (atomic_load_explicit(&b->gen, memory_order_acquire) != g)
            return;
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
    }
    pthread_mutex_lock(&b->mu);
    while (atomic_load_explicit(&b->gen, memory_order_acquire) == g)
        pthread_cond_wait(&b->cv, &b->mu);
    pthread_mutex_unlock(&b->mu);
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

/* Reports progress about every PROGRESS_STEP steps: t steps of every lane done. */
#define PROGRESS_STEP 4096
static void report(const eiw_mixed_progress *pr, size_t t, unsigned lanes, size_t n,
                   size_t coded, int decoding)
{
    if (!pr || !pr->fn || t % PROGRESS_STEP)
        return;
    size_t done = t * lanes < n ? t * lanes : n;
    if (decoding)   /* in: compressed bytes read; out: bytes restored */
        pr->fn(pr->ctx, pr->base_in + coded, pr->base_out + done);
    else
        pr->fn(pr->ctx, pr->base_in + done, pr->base_out + coded);
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
                           size_t dst_cap, const eiw_mixed_progress *pr)
{
    eiw_status st = eiw_mix_start(x, src, n, lanes);
    if (st != EIW_OK)
        return st;
    const size_t lane_len = EIW_LANE_LEN(n, lanes);
    const size_t rows = (size_t)256 * EIW_RUN_CHUNK * lanes;
    uint32_t *w = NULL;   /* two chunks of rows: the one being coded, the one being predicted */
    if (m) {
        w = malloc(sizeof(uint32_t) * 2 * rows);
        if (!w)
            return EIW_ERR_NOMEM;
        for (unsigned k = 0; k < lanes; k++)
            m->ops->reset(m, states[k]);
    }
    rc_encoder e;
    rc_enc_init(&e, dst, dst_cap);
    const size_t nchunks = (lane_len + EIW_RUN_CHUNK - 1) / EIW_RUN_CHUNK;
    /* Step c predicts chunk c with the byte model (a job per lane) while one thread codes
     * chunk c - 1 (the mixing job), all jobs spread dynamically over the threads; the coding
     * order and every probability stay the same whatever thread runs what. */
    for (size_t c = 0; c <= nchunks && !e.overflow; c++) {
        const int jobs = (int)lanes + 1;
        #pragma omp parallel for num_threads(threads) schedule(dynamic, 1) if (threads > 1 && m)
        for (int job = 0; job < jobs; job++) {
            if (job == 0) {
                if (c == 0)
                    continue;
                size_t t0 = (c - 1) * EIW_RUN_CHUNK;
                size_t t1 = t0 + EIW_RUN_CHUNK < lane_len ? t0 + EIW_RUN_CHUNK : lane_len;
                const uint32_t *wc = w ? w + rows * ((c - 1) & 1) : NULL;
                report(pr, t0, lanes, n, e.pos, 0);
                for (size_t t = t0; t < t1 && !e.overflow; t++)
                    for (unsigned k = 0; k < lanes; k++) {
                        size_t p = (size_t)k * lane_len + t;
                        if (p >= n)
                            break;
                        const uint32_t *row =
                            wc ? wc + (size_t)256 * (EIW_RUN_CHUNK * k + (t - t0)) : NULL;
                        code_byte(x, &e, k, row, src[p]);
                    }
                continue;
            }
            unsigned k = (unsigned)job - 1;
            size_t t0 = c * EIW_RUN_CHUNK;
            size_t s = (size_t)k * lane_len + t0;
            size_t end = (size_t)(k + 1) * lane_len < n ? (size_t)(k + 1) * lane_len : n;
            if (m && c < nchunks && s < end) {
                size_t len = end - s < EIW_RUN_CHUNK ? end - s : EIW_RUN_CHUNK;
                model_run(m, states[k], src + s, len,
                          w + rows * (c & 1) + (size_t)256 * EIW_RUN_CHUNK * k);
            }
        }
    }
    free(w);
    if (!e.overflow)
        rc_enc_finish(&e);
    return e.overflow ? EIW_ERR_DST_TOO_SMALL : (ptrdiff_t)e.pos;
}

eiw_status eiw_mixed_decode(const eiw_model *m, void *const *states, eiw_mix *x, int threads,
                            const uint8_t *src, size_t src_len, uint8_t *dst, size_t n,
                            unsigned lanes, const eiw_mixed_progress *pr)
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
    step_barrier sb;
    if (nthreads > 1 && sb_init(&sb, (unsigned)nthreads) != 0)
        nthreads = 1;
    /* Every thread walks the steps. At each, the byte model of the active lanes runs in one
     * batched call per thread (each thread its share of the lanes), then thread 0 does the
     * mixing and coding of the step's bytes while the others wait. The waits spin briefly,
     * then sleep: a busy machine must not turn every step into a scheduler round trip. */
    #pragma omp parallel num_threads(nthreads) if (nthreads > 1)
    {
        const int g = nthreads > 1 ? omp_get_thread_num() : 0;
        for (size_t t = 0; t < lane_len; t++) {
            if (nthreads > 1)
                sb_wait(&sb);
            if (stop)
                break;
            /* lanes still holding a byte at step t: a prefix (only the last lanes run short) */
            unsigned active = 0;
            while (active < lanes && (size_t)active * lane_len + t < n)
                active++;
            if (m) {
                unsigned per = (active + (unsigned)nthreads - 1) / (unsigned)nthreads;
                unsigned a = (unsigned)g * per, b = a + per < active ? a + per : active;
                if (a < b)
                    m->ops->predict(m, states + a, b - a, w + (size_t)256 * a);
            }
            if (nthreads > 1)
                sb_wait(&sb);
            if (g != 0)
                continue;
            report(pr, t, lanes, n, d.pos, 1);
            for (unsigned k = 0; k < active && !stop; k++) {
                size_t p = (size_t)k * lane_len + t;
                if (!decode_byte(x, &d, &e, k, m ? w + (size_t)256 * k : NULL, dst + p,
                                 src_len)) {
                    st = EIW_ERR_CORRUPT;
                    stop = 1;
                } else if (m) {
                    m->ops->advance(m, states[k], dst + p, 1);
                }
            }
        }
    }
    if (nthreads > 1)
        sb_destroy(&sb);
    if (st == EIW_OK) {
        rc_enc_finish(&e);
        if (e.overflow || e.pos != src_len || memcmp(canon, src, src_len) != 0)
            st = EIW_ERR_CORRUPT;
    }
    free(canon);
    free(w);
    return st;
}
