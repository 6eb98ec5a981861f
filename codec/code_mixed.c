/* Mixed stream mode (compression levels): one binary range-coder stream per block, each bit's
 * probability from the context-mixing model (eiw_mix_*), which may take a byte model's
 * distribution (M1) as one of its inputs. The block is cut into lanes (include/eiw.h) so the
 * byte model of every lane advances in lockstep: when decoding, each thread owns a group of
 * lanes and makes one batched call per step for them. The bits never depend on the thread
 * count: the byte model gives the same weights however it is batched, and the mixing runs in
 * one fixed order (step by step, lane by lane), one thread at a time. */
#include <omp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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

/* The decoder's mixing turn. Every step's lanes are mixed in one order (lane 0, 1, ... of step
 * t, then of step t + 1); the lanes are cut into one contiguous group per thread, and the thread
 * that owns a group both runs its byte model and mixes its bytes, so `turn` (the groups mixed so
 * far) is all the threads share. A thread waits for its turn spinning for a few microseconds,
 * which is all the wait takes on an idle machine, then sleeps on a condition variable, so that a
 * thread whose partner is not running does not burn the core that partner needs. */
typedef struct {
    atomic_size_t turn;
    atomic_int sleepers;
    pthread_mutex_t mu;
    pthread_cond_t cv;
} mix_turn;

#define TURN_SPIN 2000

static int turn_init(mix_turn *q)
{
    atomic_init(&q->turn, 0);
    atomic_init(&q->sleepers, 0);
    if (pthread_mutex_init(&q->mu, NULL) != 0)
        return -1;
    if (pthread_cond_init(&q->cv, NULL) != 0) {
        pthread_mutex_destroy(&q->mu);
        return -1;
    }
    return 0;
}

static void turn_destroy(mix_turn *q)
{
    pthread_cond_destroy(&q->cv);
    pthread_mutex_destroy(&q->mu);
}

static void turn_wait(mix_turn *q, size_t mine)
{
    for (int i = 0; i < TURN_SPIN; i++) {
        if (atomic_load_explicit(&q->turn, memory_order_acquire) == mine)
            return;
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
    }
    /* sequentially consistent: either turn_pass sees this sleeper, or this sees its turn */
    pthread_mutex_lock(&q->mu);
    atomic_fetch_add(&q->sleepers, 1);
    while (atomic_load(&q->turn) != mine)
        pthread_cond_wait(&q->cv, &q->mu);
    atomic_fetch_sub(&q->sleepers, 1);
    pthread_mutex_unlock(&q->mu);
}

static void turn_pass(mix_turn *q)
{
    atomic_fetch_add(&q->turn, 1);
    if (atomic_load(&q->sleepers)) {
        pthread_mutex_lock(&q->mu);
        pthread_cond_broadcast(&q->cv);
        pthread_mutex_unlock(&q->mu);
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

/* The encoder's jobs, taken in one order by whichever thread is free: chunk c's byte model of
 * every lane (a job per lane), then the mixing and coding of chunk c - 1. A job first waits for
 * what it needs, all of it earlier in the order (so the earliest unfinished job can always run):
 * a lane's chunk c needs its chunk c - 1 (the model's state) and the mixing of chunk c - NBUF
 * (whose rows it overwrites); the mixing of chunk c needs its rows and the mixing of chunk c - 1.
 * With NBUF buffers the byte model may run ahead of the coder, so no thread idles at a chunk's
 * end waiting for the slowest job of the chunk. */
#define NBUF 3
typedef struct {
    size_t chunks;      /* chunks per lane */
    unsigned lanes;
    atomic_int *done;   /* per job: finished */
} enc_jobs;

static size_t job_count(const enc_jobs *q) { return (q->chunks + 1) * (q->lanes + 1); }
/* job j: chunk c = j / (lanes + 1); slot i = j % (lanes + 1): i < lanes the byte model of lane i
 * at chunk c, i == lanes the mixing of chunk c - 1 */
static size_t model_job(const enc_jobs *q, size_t c, unsigned k) { return c * (q->lanes + 1) + k; }
static size_t mix_job(const enc_jobs *q, size_t c) { return (c + 1) * (q->lanes + 1) + q->lanes; }

static void job_wait(const enc_jobs *q, size_t j)
{
    for (unsigned i = 0; !atomic_load_explicit(&q->done[j], memory_order_acquire); i++) {
        if (i < TURN_SPIN) {
#if defined(__x86_64__) || defined(__i386__)
            __builtin_ia32_pause();
#endif
        } else {
            struct timespec ts = { 0, 20000 };   /* jobs take milliseconds: poll every 20 us */
            nanosleep(&ts, NULL);
        }
    }
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
    enc_jobs q = { (lane_len + EIW_RUN_CHUNK - 1) / EIW_RUN_CHUNK, lanes, NULL };
    uint32_t *w = NULL;   /* NBUF chunks of rows, chunk c in buffer c % NBUF */
    if (m) {
        w = malloc(sizeof(uint32_t) * NBUF * rows);
        q.done = malloc(sizeof *q.done * job_count(&q));
        if (!w || !q.done) {
            free(w);
            free(q.done);
            return EIW_ERR_NOMEM;
        }
        for (size_t j = 0; j < job_count(&q); j++)
            atomic_init(&q.done[j], 0);
        for (unsigned k = 0; k < lanes; k++)
            m->ops->reset(m, states[k]);
    }
    rc_encoder e;
    rc_enc_init(&e, dst, dst_cap);
    atomic_int overflow;
    atomic_init(&overflow, 0);
    atomic_size_t next;
    atomic_init(&next, 0);
    const size_t njobs = job_count(&q);
    #pragma omp parallel num_threads(threads) if (threads > 1 && m)
    for (;;) {
        size_t j = atomic_fetch_add(&next, 1);
        if (j >= njobs)
            break;
        const size_t c = j / (lanes + 1);
        const unsigned k = (unsigned)(j % (lanes + 1));
        if (k == lanes) {   /* mix and code chunk c - 1 */
            if (c == 0)
                continue;
            if (m) {
                for (unsigned i = 0; i < lanes; i++)
                    job_wait(&q, model_job(&q, c - 1, i));
                if (c >= 2)
                    job_wait(&q, mix_job(&q, c - 2));
            }
            size_t t0 = (c - 1) * EIW_RUN_CHUNK;
            size_t t1 = t0 + EIW_RUN_CHUNK < lane_len ? t0 + EIW_RUN_CHUNK : lane_len;
            const uint32_t *wc = w ? w + rows * ((c - 1) % NBUF) : NULL;
            report(pr, t0, lanes, n, e.pos, 0);
            for (size_t t = t0; t < t1 && !e.overflow; t++)
                for (unsigned i = 0; i < lanes; i++) {
                    size_t p = (size_t)i * lane_len + t;
                    if (p >= n)
                        break;
                    const uint32_t *row =
                        wc ? wc + (size_t)256 * (EIW_RUN_CHUNK * i + (t - t0)) : NULL;
                    code_byte(x, &e, i, row, src[p]);
                }
            if (e.overflow)
                atomic_store(&overflow, 1);
            if (m)
                atomic_store_explicit(&q.done[j], 1, memory_order_release);
            continue;
        }
        /* the byte model of lane k over chunk c */
        size_t t0 = c * EIW_RUN_CHUNK;
        size_t s = (size_t)k * lane_len + t0;
        size_t end = (size_t)(k + 1) * lane_len < n ? (size_t)(k + 1) * lane_len : n;
        if (m && c < q.chunks && s < end && !atomic_load(&overflow)) {
            if (c >= 1)
                job_wait(&q, model_job(&q, c - 1, k));
            if (c >= NBUF)
                job_wait(&q, mix_job(&q, c - NBUF));
            size_t len = end - s < EIW_RUN_CHUNK ? end - s : EIW_RUN_CHUNK;
            model_run(m, states[k], src + s, len,
                      w + rows * (c % NBUF) + (size_t)256 * EIW_RUN_CHUNK * k);
        }
        if (m)
            atomic_store_explicit(&q.done[j], 1, memory_order_release);
    }
    free(w);
    free(q.done);
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
    unsigned nthreads = m && threads > 1 && lanes > 1 ? (unsigned)threads : 1;
    if (nthreads > lanes)
        nthreads = lanes;
    mix_turn q;
    if (nthreads > 1 && turn_init(&q) != 0)
        nthreads = 1;
    const unsigned per = (lanes + nthreads - 1) / nthreads;   /* lanes of a group */
    /* Thread g owns lanes [g * per, (g + 1) * per): at each step it runs their byte model (one
     * batched call), waits for its turn, mixes and codes their bytes, and passes the turn on. So
     * the byte model of one group runs while another group is mixed, and no thread waits for
     * the whole step's mixing. The coder's state moves from thread to thread with the turn. */
    #pragma omp parallel num_threads(nthreads) if (nthreads > 1)
    {
        const unsigned g = nthreads > 1 ? (unsigned)omp_get_thread_num() : 0;
        const unsigned k0 = g * per < lanes ? g * per : lanes;
        const unsigned k1 = k0 + per < lanes ? k0 + per : lanes;
        for (size_t t = 0; t < lane_len; t++) {
            /* this group's lanes still holding a byte at step t (only the last lanes run
             * short, so they are a prefix of the group) */
            unsigned k1t = k0;
            while (k1t < k1 && (size_t)k1t * lane_len + t < n)
                k1t++;
            if (m && k0 < k1t)
                m->ops->predict(m, states + k0, k1t - k0, w + (size_t)256 * k0);
            if (nthreads > 1)
                turn_wait(&q, t * nthreads + g);
            /* a thread leaves only at its turn, passing it on: so every thread still waiting
             * for a turn gets it, and all are gone within one round of turns */
            if (st != EIW_OK) {   /* st moves with the turn, as the coder does */
                if (nthreads > 1)
                    turn_pass(&q);
                break;
            }
            if (g == 0)
                report(pr, t, lanes, n, d.pos, 1);
            for (unsigned k = k0; k < k1t && st == EIW_OK; k++) {
                size_t p = (size_t)k * lane_len + t;
                if (!decode_byte(x, &d, &e, k, m ? w + (size_t)256 * k : NULL, dst + p,
                                 src_len)) {
                    st = EIW_ERR_CORRUPT;
                } else if (m) {
                    m->ops->advance(m, states[k], dst + p, 1);
                }
            }
            if (nthreads > 1)
                turn_pass(&q);
        }
    }
    if (nthreads > 1)
        turn_destroy(&q);
    if (st == EIW_OK) {
        rc_enc_finish(&e);
        if (e.overflow || e.pos != src_len || memcmp(canon, src, src_len) != 0)
            st = EIW_ERR_CORRUPT;
    }
    free(canon);
    free(w);
    return st;
}
