/* Building blocks of the online context-mixing model (model/cm_model.c): the logistic
 * squash/stretch pair on 12-bit probabilities, adaptive probability counters, a gated linear
 * mixer in the logistic domain and an adaptive probability map (APM/SSE). Integer arithmetic
 * only: coding probabilities built from these are bit-identical on every machine, compiler
 * and thread count. Right shifts of negative values are arithmetic (as GCC and Clang define
 * them); no left shift ever sees a negative value. */
#ifndef EIW_CM_PRIMITIVES_H
#define EIW_CM_PRIMITIVES_H
#include <stddef.h>
#include <stdint.h>

/* stretch(p) = ln(p / (1 - p)) in units of 1/256, for 12-bit p; squash is its inverse,
 * defined on -2047..2047 and returning 1..4095. Tables filled by cm_tables_init. */
extern int16_t cm_stretch_tab[4096];
extern int16_t cm_squash_tab[4096];
void cm_tables_init(void);   /* idempotent, thread-safe */

static inline int cm_squash(int d)
{
    if (d > 2047)
        d = 2047;
    if (d < -2047)
        d = -2047;
    return cm_squash_tab[d + 2048];
}

static inline int cm_stretch(int p) { return cm_stretch_tab[p]; }

/* Adaptive counter: probability of a 1 in the top 22 bits, observation count in the low 10.
 * Each update moves the probability by 1/(n + 1.5) of the error, so a new context learns fast
 * and an old one averages; the count stops at `limit` (<= 1023), which sets how fast a
 * context can still change its mind. */
#define CM_CTR_INIT (1u << 31)
extern uint16_t cm_ctr_rate[1024];   /* 65536 / (n + 1.5), by cm_tables_init */

static inline int cm_ctr_p12(uint32_t c) { return (int)(c >> 20); }

static inline void cm_ctr_update(uint32_t *c, int bit, int limit)
{
    uint32_t v = *c;
    int n = (int)(v & 1023);
    int64_t p = (int64_t)(v >> 10);
    int64_t target = bit ? (1 << 22) - 1 : 0;
    p += ((target - p) * cm_ctr_rate[n]) >> 16;
    if (n < limit)
        n++;
    *c = (uint32_t)p << 10 | (uint32_t)n;
}

/* Mixer: ninputs stretched probabilities -> one, with a weight vector per selector value.
 * Weights are 16.16 fixed point. */
#define CM_MIX_MAX_INPUTS 32
typedef struct {
    int32_t *w;          /* (nsel, ninputs) */
    int32_t w0[CM_MIX_MAX_INPUTS];   /* initial weights */
    int ninputs, nsel;
    int lr;              /* error multiplier */
    int sel;             /* weight set of the current prediction */
    int st;              /* output, stretched */
    int p;               /* output, 12-bit */
} cm_mixer;

static inline int cm_mixer_predict(cm_mixer *m, const int *x, int sel)
{
    const int32_t *w = m->w + (size_t)sel * (size_t)m->ninputs;
    int64_t dot = 0;
    for (int i = 0; i < m->ninputs; i++)
        dot += (int64_t)w[i] * x[i];
    int st = (int)(dot >> 16);
    m->st = st > 2047 ? 2047 : st < -2047 ? -2047 : st;
    m->sel = sel;
    m->p = cm_squash(m->st);
    return m->p;
}

static inline void cm_mixer_update(cm_mixer *m, const int *x, int bit)
{
    int32_t *w = m->w + (size_t)m->sel * (size_t)m->ninputs;
    int64_t err = (int64_t)((bit << 12) - m->p) * m->lr;
    for (int i = 0; i < m->ninputs; i++) {
        int64_t v = w[i] + ((x[i] * err + 8192) >> 14);
        w[i] = (int32_t)(v > INT32_MAX / 2 ? INT32_MAX / 2 : v < -(INT32_MAX / 2) ? -(INT32_MAX / 2) : v);
    }
}

/* APM: refines a probability given a context, by interpolating between 33 learned values
 * placed along the stretch axis; the nearer of the two learns. 16-bit entries. */
typedef struct {
    uint16_t *t;         /* (nctx, 33) */
    int nctx;
    int rate;            /* update shift */
    int idx;             /* entry that learns from the current bit */
} cm_apm;

static inline int cm_apm_predict(cm_apm *a, int p12, int ctx)
{
    int s = cm_stretch(p12) + 2048;   /* 1..4095 */
    int lo = s >> 7, wt = s & 127;
    const uint16_t *e = a->t + (size_t)ctx * 33;
    a->idx = ctx * 33 + lo + (wt >> 6);
    int p = (int)(((int32_t)e[lo] * (128 - wt) + (int32_t)e[lo + 1] * wt) >> 11);
    return p < 1 ? 1 : p > 4095 ? 4095 : p;
}

static inline void cm_apm_update(cm_apm *a, int bit)
{
    int32_t v = a->t[a->idx];
    int32_t target = bit ? 65535 : 0;
    v += (target - v) >> a->rate;
    a->t[a->idx] = (uint16_t)v;
}

/* Memory for large randomly accessed tables: on huge pages where the system offers them (the
 * TLB misses of random access over tens of MB cost more than the cache misses). free() it. */
void *cm_alloc_tables(size_t bytes);
/* _init allocates and resets; _reset returns to the initial state; _free(NULL-w) is a no-op */
int cm_mixer_init(cm_mixer *m, int ninputs, int nsel, int lr, const int32_t *w0);
void cm_mixer_reset(cm_mixer *m);
void cm_mixer_free(cm_mixer *m);
int cm_apm_init(cm_apm *a, int nctx, int rate);
void cm_apm_reset(cm_apm *a);
void cm_apm_free(cm_apm *a);
#endif
