/* Integer M1 inference (see qm1.h and docs/m1_inference.md): conversion from float weights,
 * the serialized model, and the batched forward pass with a per-stream ring of keys/values. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#include "model/qm1.h"
#include "model/qattention.h"
#include "common/byte_order.h"


#define EPS_Q32 42950             /* RMSNorm epsilon 1e-5 in Q32 */
#define RESID_MAX (1 << 24)       /* residual stream clamp: |x| < 256.0 in Q16 */
#define C_MAX 1024
#define W_MAX 4096
#define FILE_MAGIC "EIWM"
#define FILE_VERSION 1
/* Queries of one stream attended together (their key loads shared): at most this many. */
#define QGROUP 8
#define HEADER_BYTES (4 + 4 + EIW_QM1_NAME_MAX + 8 * 4)

/* ---- exact integer helpers ---- */

static uint64_t isqrt64(uint64_t v)
{
    uint64_t r = 0, bit = 1ull << 62;
    while (bit > v)
        bit >>= 2;
    while (bit) {
        if (v >= r + bit) {
            v -= r + bit;
            r = (r >> 1) + bit;
        } else {
            r >>= 1;
        }
        bit >>= 2;
    }
    return r;
}

/* int32 Q16 -> int8 with a power-of-two scale: real value = q * 2^e. Returns e. */
static int quant8(const int32_t *y, int n, int8_t *q)
{
    return eiw_quant8(y, n, q) - 16;
}

/* RMSNorm (gain folded into the next layer) then quant8. */
static int rmsnorm_q8(const int32_t *x, int C, int8_t *q)
{
    int32_t n[C_MAX];
    uint64_t rms = isqrt64(eiw_qsumsq(x, C) / (uint64_t)C + EPS_Q32);   /* Q16 */
    eiw_qscale24(x, C, (int64_t)((1ull << 40) / rms), n);
    return quant8(n, C, q);
}

/* y (P, R) Q16 = requantized int8 products; a (P, K) with exponents ae (P). */
static void linear(const eiw_qlinear *L, const int8_t *a, const int *ae, int P, int32_t *y)
{
    const int R = L->m.R;
    eiw_qgemm(&L->m, a, P, y, 0, R);
    for (int p = 0; p < P; p++)
        eiw_requant(y + (size_t)p * R, L->mult, L->shift, R, ae[p] + 16, y + (size_t)p * R);
}

/* ---- the per-stream state ---- */

typedef struct {
    int64_t n;          /* bytes seen since reset */
    uint32_t w[256];    /* next-byte weights */
} state_head;

typedef struct {        /* byte offsets inside a state */
    size_t k, ke, v, x, y, a8, ae, dots, sc, pr, pn, end;
} state_layout;

static size_t align64(size_t v) { return (v + 63) / 64 * 64; }

static state_layout layout_of(const eiw_qm1 *m)
{
    state_layout s;
    size_t maxr = (size_t)(3 * m->C > m->F ? 3 * m->C : m->F);
    if (maxr < 256)
        maxr = 256;
    s.k = align64(sizeof(state_head));
    s.ke = s.k + align64((size_t)m->L * m->ring * m->C);
    s.v = s.ke + align64((size_t)m->L * m->ring * m->NH);
    s.x = s.v + align64(sizeof(int16_t) * m->L * m->ring * m->C);
    s.y = s.x + align64(sizeof(int32_t) * EIW_QM1_MAXP * m->C);
    s.a8 = s.y + align64(sizeof(int32_t) * EIW_QM1_MAXP * maxr);
    s.ae = s.a8 + align64((size_t)EIW_QM1_MAXP * maxr);
    s.dots = s.ae + align64(sizeof(int) * EIW_QM1_MAXP);
    s.sc = s.dots + align64(sizeof(int32_t) * QGROUP * m->ring);
    s.pr = s.sc + align64(sizeof(int64_t) * m->ring);
    s.pn = s.pr + align64(sizeof(uint32_t) * m->ring);
    s.end = s.pn + align64(sizeof(int32_t) * QGROUP * m->ring);
    return s;
}

void eiw_qm1_reset(const eiw_qm1 *m, void *state)
{
    state_head *h = state;
    h->n = 0;
    memcpy(h->w, m->start_w, sizeof h->w);
}

const uint32_t *eiw_qm1_weights(const eiw_qm1 *m, const void *state)
{
    (void)m;
    return ((const state_head *)state)->w;
}

/* ---- forward ---- */

typedef struct {
    uint8_t *st;        /* the stream's state */
    int64_t j;          /* byte index in the stream (-1: the BOS pass) */
    int tok;
    uint32_t *out;      /* where this position's next-byte weights go too (may be NULL) */
} item;

/* Logits are clamped to +-2^30 (eiw_requant), so with a crafted model two of them can be 2^31
 * apart: the difference is taken in int64, where it is in [0, 2^31] and t in [0, 2^32). */
static void logits_to_weights(const int32_t *lg, uint32_t *w)
{
    int32_t mx = lg[0];
    for (int s = 1; s < 256; s++)
        if (lg[s] > mx)
            mx = lg[s];
    for (int s = 0; s < 256; s++) {
        int64_t t = eiw_rshr(((int64_t)mx - lg[s]) * EIW_LOG2E_Q16, 16);   /* Q16, base 2; >= 0 */
        int64_t ip = t >> 16;
        w[s] = ip >= 24 ? 0 : eiw_exp2_neg_q23[(t >> 8) & 255] >> ip;
    }
}

/* Softmax of one query (head h, layer l, position j) whose dots with the ring's keys are in
 * dots (by slot): weights over BOS (returned) and the bytes lo..j, Q15, into pn by slot (the
 * caller cleared pn: the other slots weigh 0). sc, pr: scratch of m->ring entries. */
static int32_t softmax_head(const eiw_qm1 *m, const uint8_t *st, const state_layout *lay, int l,
                            int h, int64_t j, const int8_t *q, int qe, const int32_t *dots,
                            int64_t *sc, uint32_t *pr, int32_t *pn)
{
    const int C = m->C, NH = m->NH, D = C / NH, W = m->window, ring = m->ring;
    const int8_t *ke = (const int8_t *)(st + lay->ke) + ((size_t)l * NH + h) * ring;
    int64_t lo = j - (W - 2) > 0 ? j - (W - 2) : 0;
    int nbytes = (int)(j - lo + 1);               /* bytes lo..j (none in the BOS pass) */
    int64_t bos_dist = j + 1 < W - 1 ? j + 1 : W - 1;
    /* slots of bytes lo..j: [s0, s0+n1) then [0, n2) after a wrap */
    int s0 = nbytes > 0 ? (int)(lo % ring) : 0;
    int n1 = s0 + nbytes > ring ? ring - s0 : nbytes, n2 = nbytes - n1;
    int32_t bdot = eiw_qdot8(q, m->bos_k + (size_t)l * C + h * D, D);
    int8_t bke = m->bos_ke[l * NH + h];
    int64_t bsc;
    int64_t smax = eiw_qscores(&bdot, &bke, 1, qe, m->inv_sqrt_d_q16, m->slope_q16[h], bos_dist,
                               &bsc);
    if (n1 > 0) {
        int64_t m1 = eiw_qscores(dots + s0, ke + s0, n1, qe, m->inv_sqrt_d_q16, m->slope_q16[h],
                                 j - lo, sc + s0);
        smax = smax > m1 ? smax : m1;
    }
    if (n2 > 0) {
        int64_t m2 = eiw_qscores(dots, ke, n2, qe, m->inv_sqrt_d_q16, m->slope_q16[h],
                                 j - lo - n1, sc);
        smax = smax > m2 ? smax : m2;
    }
    uint32_t bp;
    uint64_t sum = eiw_qexp(&bsc, 1, smax, &bp) + eiw_qexp(sc + s0, n1, smax, pr + s0) +
                   eiw_qexp(sc, n2, smax, pr);
    /* Q15 probabilities summing to at most 2^15: with |v| < 2^15 the sums stay < 2^30 */
    uint64_t rcp = (1ull << 62) / sum;
    int32_t bpn;
    eiw_qnormalize(&bp, 1, rcp, &bpn);
    eiw_qnormalize(pr + s0, n1, rcp, pn + s0);
    eiw_qnormalize(pr, n2, rcp, pn);
    return bpn;
}

/* Attention of layer l for items it[0..P) with queries q8 (P, C) and their exponents qe (P, NH):
 * out (P, C) Q16. Up to QGROUP consecutive positions of one stream share their key and value
 * loads: their dots and weighted sums run over the slots of the whole group (lo of the first to
 * j of the last), each position's weights 0 outside its own bytes. */
static void attend(const eiw_qm1 *m, const state_layout *lay, int l, const item *it, int P,
                   const int8_t *q8, const int *qe, uint8_t *scr, int32_t *out)
{
    const int C = m->C, NH = m->NH, D = C / NH, W = m->window, ring = m->ring;
    int32_t *dots = (int32_t *)(scr + lay->dots);   /* (QGROUP, ring) */
    int64_t *sc = (int64_t *)(scr + lay->sc);
    uint32_t *pr = (uint32_t *)(scr + lay->pr);
    int32_t *pn = (int32_t *)(scr + lay->pn);       /* (QGROUP, ring) */
    int8_t qg[QGROUP * C_MAX];
    int32_t acc[QGROUP * C_MAX];
    for (int g0 = 0, g1; g0 < P; g0 = g1) {
        for (g1 = g0 + 1; g1 < P && g1 - g0 < QGROUP && it[g1].st == it[g0].st &&
                          it[g1].j == it[g1 - 1].j + 1; g1++)
            ;
        const int nq = g1 - g0;
        const uint8_t *st = it[g0].st;
        int64_t lo = it[g0].j - (W - 2) > 0 ? it[g0].j - (W - 2) : 0;
        int64_t span = it[g1 - 1].j - lo + 1;
        int u0 = span > 0 ? (int)(lo % ring) : 0;
        int ua = span > 0 ? (u0 + span > ring ? ring : u0 + (int)span) : u0;
        int ub = span > 0 && u0 + span > ring ? (int)(u0 + span - ring) : 0;
        for (int h = 0; h < NH; h++) {
            const size_t lh = (size_t)l * NH + h;
            const uint8_t *keys = st + lay->k + lh * ring * D;
            const int16_t *vals = (const int16_t *)(st + lay->v) + lh * ring * D;
            const int16_t *bv = m->bos_v + (size_t)l * C + h * D;
            for (int i = 0; i < nq; i++)
                memcpy(qg + (size_t)i * D, q8 + (size_t)(g0 + i) * C + h * D, (size_t)D);
            eiw_qkey_dots(qg, nq, keys, u0, ua, D, dots, (size_t)ring);
            eiw_qkey_dots(qg, nq, keys, 0, ub, D, dots, (size_t)ring);
            /* values are summed by pairs of slots over the group's runs: every slot outside a
             * position's own bytes must weigh 0 */
            memset(pn, 0, sizeof(int32_t) * (size_t)nq * ring);
            for (int i = 0; i < nq; i++) {
                int32_t bpn = softmax_head(m, st, lay, l, h, it[g0 + i].j, qg + (size_t)i * D,
                                           qe[(g0 + i) * NH + h], dots + (size_t)i * ring, sc,
                                           pr, pn + (size_t)i * ring);
                eiw_qval_first(bpn, bv, D, acc + (size_t)i * D);
            }
            eiw_qval_sums(pn, (size_t)ring, nq, vals, u0, ua, D, acc, (size_t)D);
            eiw_qval_sums(pn, (size_t)ring, nq, vals, 0, ub, D, acc, (size_t)D);
            for (int i = 0; i < nq; i++)   /* Q25 -> Q16 */
                eiw_qval_out(acc + (size_t)i * D, D, out + (size_t)(g0 + i) * C + h * D);
        }
    }
}

/* One pass over up to MAXP items; scratch from `scr` (a state). With mm (the BOS pass) it fills
 * the model's BOS keys/values and start weights instead of a stream's. */
static void forward_items(eiw_qm1 *mm, const eiw_qm1 *m, item *it, int P, uint8_t *scr)
{
    const int C = m->C, NH = m->NH, D = C / NH, F = m->F;
    state_layout lay = layout_of(m);
    int32_t *x = (int32_t *)(scr + lay.x);   /* (P, C) */
    int32_t *y = (int32_t *)(scr + lay.y);   /* (P, max(3C, F, 256)) */
    int8_t *a8 = (int8_t *)(scr + lay.a8);   /* (P, max(C, F)) */
    int *ae = (int *)(scr + lay.ae);         /* (P) */
    int qe[EIW_QM1_MAXP * 64];               /* (P, NH) query exponents */

    for (int p = 0; p < P; p++)
        memcpy(x + (size_t)p * C, m->emb + (size_t)it[p].tok * C, sizeof(int32_t) * C);
    for (int l = 0; l < m->L; l++) {
        for (int p = 0; p < P; p++)
            ae[p] = rmsnorm_q8(x + (size_t)p * C, C, a8 + (size_t)p * C);
        linear(&m->qkv[l], a8, ae, P, y);
        for (int p = 0; p < P; p++) {   /* keys and values into the caches */
            const int32_t *k = y + (size_t)p * 3 * C + C, *v = k + C;
            int16_t v16[C_MAX];
            eiw_qto_q10(v, C, v16);   /* values: int16 Q10 */
            if (mm) {
                for (int h = 0; h < NH; h++)
                    mm->bos_ke[l * NH + h] = (int8_t)quant8(k + h * D, D,
                                                            mm->bos_k + (size_t)l * C + h * D);
                memcpy(mm->bos_v + (size_t)l * C, v16, sizeof(int16_t) * C);
                continue;
            }
            int slot = (int)(it[p].j % m->ring);
            for (int h = 0; h < NH; h++) {   /* per head: keys, exponents, values by slot */
                const size_t lh = (size_t)l * NH + h;
                int8_t k8[C_MAX];
                it[p].st[lay.ke + lh * m->ring + slot] = (uint8_t)quant8(k + h * D, D, k8);
                eiw_qkey_put(it[p].st + lay.k + lh * m->ring * D, slot, k8, D);
                eiw_qval_put((int16_t *)(it[p].st + lay.v) + lh * m->ring * D, slot,
                             v16 + h * D, D);
            }
        }
        /* queries to int8 in a8 (its normed input is used up), then attention into y (its
         * queries are used up): (P, C) each */
        for (int p = 0; p < P; p++) {
            const int32_t *q = y + (size_t)p * 3 * C;
            for (int h = 0; h < NH; h++)
                qe[p * NH + h] = quant8(q + h * D, D, a8 + (size_t)p * C + h * D);
        }
        attend(m, &lay, l, it, P, a8, qe, scr, y);
        for (int p = 0; p < P; p++)
            ae[p] = quant8(y + (size_t)p * C, C, a8 + (size_t)p * C);
        linear(&m->wo[l], a8, ae, P, y);
        eiw_qresidual(x, y, (size_t)P * C, RESID_MAX);
        for (int p = 0; p < P; p++)
            ae[p] = rmsnorm_q8(x + (size_t)p * C, C, a8 + (size_t)p * C);
        linear(&m->w1[l], a8, ae, P, y);
        for (int p = 0; p < P; p++) {
            int32_t *h1 = y + (size_t)p * F;
            eiw_qrelu(h1, (size_t)F);
            ae[p] = quant8(h1, F, a8 + (size_t)p * F);
        }
        linear(&m->w2[l], a8, ae, P, y);
        eiw_qresidual(x, y, (size_t)P * C, RESID_MAX);
    }
    for (int p = 0; p < P; p++)
        ae[p] = rmsnorm_q8(x + (size_t)p * C, C, a8 + (size_t)p * C);
    linear(&m->lm, a8, ae, P, y);
    for (int p = 0; p < P; p++) {
        uint32_t *w = mm ? mm->start_w : ((state_head *)it[p].st)->w;
        int last = mm || p + 1 == P || it[p + 1].st != it[p].st;
        if (it[p].out)
            logits_to_weights(y + (size_t)p * 256, it[p].out);
        if (last) {
            if (it[p].out)
                memcpy(w, it[p].out, 256 * sizeof *w);
            else
                logits_to_weights(y + (size_t)p * 256, w);
        }
    }
}

void eiw_qm1_forward(const eiw_qm1 *m, void *const *states, const uint8_t *const *runs,
                     const size_t *lens, size_t n, uint32_t *const *outs, int out_skips_last)
{
    item it[EIW_QM1_MAXP];
    uint8_t *scr = states[0];
    int P = 0;
    for (size_t s = 0; s < n; s++) {
        state_head *h = states[s];
        uint32_t *out = outs ? outs[s] : NULL;
        for (size_t i = 0; i < lens[s]; i++) {
            it[P].st = states[s];
            it[P].j = h->n++;
            it[P].tok = runs[s][i];
            it[P].out = out && !(out_skips_last && i + 1 == lens[s]) ? out : NULL;
            if (it[P].out)
                out += 256;
            if (++P == EIW_QM1_MAXP) {
                forward_items(NULL, m, it, P, scr);
                P = 0;
            }
        }
    }
    if (P)
        forward_items(NULL, m, it, P, scr);
}

/* ---- serialized model ---- */

typedef struct {
    const uint8_t *p, *end;
    int bad;
} reader;

static const uint8_t *take(reader *r, size_t n)
{
    if (r->bad || (size_t)(r->end - r->p) < n) {
        r->bad = 1;
        return NULL;
    }
    const uint8_t *q = r->p;
    r->p += n;
    return q;
}

static int32_t get_i32(reader *r)
{
    const uint8_t *q = take(r, 4);
    return q ? (int32_t)get32(q) : 0;
}

static int read_linear(reader *r, eiw_qlinear *L, int R, int K)
{
    const uint8_t *w = take(r, (size_t)R * K);
    L->mult = malloc(sizeof(int32_t) * (size_t)R);
    L->shift = malloc((size_t)R);
    if (!w || !L->mult || !L->shift)
        return r->bad ? -1 : -2;
    for (int i = 0; i < R; i++) {
        L->mult[i] = get_i32(r);
        if (L->mult[i] < (1 << 30))
            r->bad = 1;
    }
    const uint8_t *sh = take(r, (size_t)R);
    if (!sh)
        return -1;
    for (int i = 0; i < R; i++) {
        L->shift[i] = (int8_t)sh[i];
        if (sh[i] < 32 || sh[i] > 62)
            return -1;
    }
    for (size_t i = 0; i < (size_t)R * K; i++)
        if ((int8_t)w[i] == -128)
            return -1;
    return eiw_qmat_init(&L->m, (const int8_t *)w, R, K) ? -2 : 0;
}

static void free_linear(eiw_qlinear *L)
{
    eiw_qmat_free(&L->m);
    free(L->mult);
    free(L->shift);
}

void eiw_qm1_free(eiw_qm1 *m)
{
    if (!m)
        return;
    for (int l = 0; m->qkv && l < m->L; l++) {
        free_linear(&m->qkv[l]);
        free_linear(&m->wo[l]);
        free_linear(&m->w1[l]);
        free_linear(&m->w2[l]);
    }
    free_linear(&m->lm);
    free(m->qkv);
    free(m->wo);
    free(m->w1);
    free(m->w2);
    free(m->emb);
    free(m->slope_q16);
    free(m->bos_k);
    free(m->bos_ke);
    free(m->bos_v);
    free(m->file);
    free(m);
}

int eiw_qm1_load(eiw_qm1 **out, const uint8_t *buf, size_t len)
{
    *out = NULL;
    if (len < HEADER_BYTES + 8 || memcmp(buf, FILE_MAGIC, 4) != 0)
        return -1;
    uint64_t sum;
    memcpy(&sum, buf + len - 8, 8);   /* little-endian hosts only (x86-64, arm64) */
    if (sum != XXH3_64bits(buf, len - 8))
        return -1;
    reader r = { buf + 4, buf + len - 8, 0 };
    if (get_i32(&r) != FILE_VERSION)
        return -1;
    eiw_qm1 *m = calloc(1, sizeof *m);
    if (!m)
        return -2;
    int ret = -1;
    const uint8_t *name = take(&r, EIW_QM1_NAME_MAX);
    m->vocab = get_i32(&r);
    m->bos = get_i32(&r);
    m->C = get_i32(&r);
    m->NH = get_i32(&r);
    m->L = get_i32(&r);
    m->F = get_i32(&r);
    m->window = get_i32(&r);
    m->inv_sqrt_d_q16 = get_i32(&r);
    if (r.bad || m->vocab != 257 || m->bos != 256 || m->C < 16 || m->C > C_MAX || m->C % 16 ||
        m->NH < 1 || m->NH > 64 || m->C % m->NH || (m->C / m->NH) % 4 || m->L < 1 ||
        m->L > 64 || m->F < 16 || m->F > 8192 || m->F % 16 || m->window < 2 ||
        m->window > W_MAX || m->inv_sqrt_d_q16 < 1 || m->inv_sqrt_d_q16 > (1 << 16))
        goto fail;
    memcpy(m->name, name, EIW_QM1_NAME_MAX);
    m->name[EIW_QM1_NAME_MAX - 1] = 0;
    for (int i = 0; m->name[i]; i++)
        if (m->name[i] < 0x21 || m->name[i] > 0x7E)
            goto fail;
    if (!m->name[0])
        goto fail;
    m->slope_q16 = malloc(sizeof(int32_t) * (size_t)m->NH);
    m->emb = malloc(sizeof(int32_t) * (size_t)m->vocab * m->C);
    m->qkv = calloc((size_t)m->L, sizeof(eiw_qlinear));
    m->wo = calloc((size_t)m->L, sizeof(eiw_qlinear));
    m->w1 = calloc((size_t)m->L, sizeof(eiw_qlinear));
    m->w2 = calloc((size_t)m->L, sizeof(eiw_qlinear));
    if (!m->slope_q16 || !m->emb || !m->qkv || !m->wo || !m->w1 || !m->w2) {
        ret = -2;
        goto fail;
    }
    for (int h = 0; h < m->NH; h++) {
        m->slope_q16[h] = get_i32(&r);
        if (m->slope_q16[h] < 0 || m->slope_q16[h] > (1 << 20))
            goto fail;
    }
    for (size_t i = 0; i < (size_t)m->vocab * m->C; i++) {
        m->emb[i] = get_i32(&r);
        if (m->emb[i] < -RESID_MAX || m->emb[i] > RESID_MAX)
            goto fail;
    }
    for (int l = 0; l < m->L; l++) {
        int e;
        if ((e = read_linear(&r, &m->qkv[l], 3 * m->C, m->C)) ||
            (e = read_linear(&r, &m->wo[l], m->C, m->C)) ||
            (e = read_linear(&r, &m->w1[l], m->F, m->C)) ||
            (e = read_linear(&r, &m->w2[l], m->C, m->F))) {
            ret = e;
            goto fail;
        }
    }
    {
        int e = read_linear(&r, &m->lm, 256, m->C);
        if (e) {
            ret = e;
            goto fail;
        }
    }
    if (r.bad || r.p != r.end)
        goto fail;
    m->ring = (m->window - 1 + EIW_QM1_MAXP + 15) / 16 * 16;   /* whole blocks of keys */
    m->state_size = layout_of(m).end;
    m->file = malloc(len);
    m->bos_k = malloc((size_t)m->L * m->C);
    m->bos_ke = malloc((size_t)m->L * m->NH);
    m->bos_v = malloc(sizeof(int16_t) * (size_t)m->L * m->C);
    uint8_t *scr = malloc(m->state_size);
    if (!m->file || !m->bos_k || !m->bos_ke || !m->bos_v || !scr) {
        free(scr);
        ret = -2;
        goto fail;
    }
    memcpy(m->file, buf, len);
    m->file_len = len;
    /* BOS at position 0 attends only to itself: its keys/values and the first byte's weights
     * are constants of the model. */
    item bos = { scr, -1, m->bos, NULL };
    forward_items(m, m, &bos, 1, scr);
    free(scr);
    *out = m;
    return 0;
fail:
    eiw_qm1_free(m);
    return ret;
}

/* ---- conversion from float weights ---- */

typedef struct {
    uint8_t *buf;
    size_t len, cap;
    int oom;
} writer;

static void put(writer *w, const void *p, size_t n)
{
    if (w->oom)
        return;
    if (w->len + n > w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 1 << 20;
        while (cap < w->len + n)
            cap *= 2;
        uint8_t *b = realloc(w->buf, cap);
        if (!b) {
            w->oom = 1;
            return;
        }
        w->buf = b;
        w->cap = cap;
    }
    memcpy(w->buf + w->len, p, n);
    w->len += n;
}

static void put_i32(writer *w, int32_t v)
{
    uint8_t b[4];
    put32(b, (uint32_t)v);
    put(w, b, 4);
}

/* Per-row int8 quantization of W (R, K) with the input gain g (K) folded in (g may be NULL). */
static int put_linear(writer *w, const float *W, const float *g, int R, int K)
{
    int8_t *q = calloc((size_t)R * K, 1);
    int32_t *mult = malloc(sizeof(int32_t) * (size_t)R);
    int8_t *shift = malloc((size_t)R);
    int ok = q && mult && shift;
    for (int r = 0; ok && r < R; r++) {
        double amax = 0;
        for (int k = 0; k < K; k++) {
            double v = fabs((double)W[(size_t)r * K + k] * (double)(g ? g[k] : 1.0f));
            if (v > amax)
                amax = v;
        }
        double scale = amax > 0 ? amax / 127.0 : 1e-12;
        int e;
        double f = frexp(scale, &e);            /* scale = f * 2^e, f in [0.5, 1) */
        int64_t mlt = (int64_t)llround(f * 2147483648.0);
        if (mlt >= 2147483648LL) {
            mlt /= 2;
            e++;
        }
        int sh = 31 - e;
        if (sh > 62 || sh < 32) {               /* tiny rows: zero them; huge: refuse */
            if (sh < 32) {
                ok = 0;
                break;
            }
            mlt = 1 << 30;
            sh = 62;
            for (int k = 0; k < K; k++)
                q[(size_t)r * K + k] = 0;
        } else {
            for (int k = 0; k < K; k++) {
                double v = (double)W[(size_t)r * K + k] * (double)(g ? g[k] : 1.0f) / scale;
                q[(size_t)r * K + k] = (int8_t)(v > 127 ? 127 : v < -127 ? -127 : llround(v));
            }
        }
        mult[r] = (int32_t)mlt;
        shift[r] = (int8_t)sh;
    }
    if (ok) {
        put(w, q, (size_t)R * K);
        for (int r = 0; r < R; r++)
            put_i32(w, mult[r]);
        put(w, shift, (size_t)R);
    }
    free(q);
    free(mult);
    free(shift);
    return ok ? 0 : -1;
}

int eiw_qm1_from_float(eiw_qm1 **out, const eiw_model_config *cfg, const float *params,
                       const char *name)
{
    *out = NULL;
    const int V = cfg->vocab, C = cfg->d_model, NH = cfg->n_heads, L = cfg->n_layers,
              F = cfg->d_ff;
    if (V != 257)
        return -1;
    const float *wte = params;
    const float *ln1w = wte + (size_t)V * C;
    const float *qkvw = ln1w + (size_t)L * C;
    const float *attprojw = qkvw + (size_t)L * 3 * C * C;
    const float *ln2w = attprojw + (size_t)L * C * C;
    const float *fcw = ln2w + (size_t)L * C;
    const float *fcprojw = fcw + (size_t)L * F * C;
    const float *lnfw = fcprojw + (size_t)L * C * F;
    const float *wlm = lnfw + C;
    writer w = { 0 };
    char nm[EIW_QM1_NAME_MAX] = { 0 };
    strncpy(nm, name, EIW_QM1_NAME_MAX - 1);
    put(&w, FILE_MAGIC, 4);
    put_i32(&w, FILE_VERSION);
    put(&w, nm, EIW_QM1_NAME_MAX);
    int32_t hdr[8] = { V, 256, C, NH, L, F, cfg->ctx,
                       (int32_t)llround(65536.0 / sqrt((double)(C / NH))) };
    for (int i = 0; i < 8; i++)
        put_i32(&w, hdr[i]);
    for (int h = 0; h < NH; h++)
        put_i32(&w, (int32_t)llround(65536.0 * pow(2.0, -8.0 * (h + 1) / NH)));
    for (size_t i = 0; i < (size_t)V * C; i++)
        put_i32(&w, (int32_t)llround(fmax(-255.0, fmin(255.0, (double)wte[i])) * 65536.0));
    int bad = 0;
    for (int l = 0; l < L && !bad; l++) {
        bad |= put_linear(&w, qkvw + (size_t)l * 3 * C * C, ln1w + (size_t)l * C, 3 * C, C);
        bad |= put_linear(&w, attprojw + (size_t)l * C * C, NULL, C, C);
        bad |= put_linear(&w, fcw + (size_t)l * F * C, ln2w + (size_t)l * C, F, C);
        bad |= put_linear(&w, fcprojw + (size_t)l * C * F, NULL, C, F);
    }
    if (!bad)
        bad |= put_linear(&w, wlm, lnfw, 256, C);   /* BOS is never predicted */
    if (!bad && !w.oom) {
        uint64_t sum = XXH3_64bits(w.buf, w.len);
        put(&w, &sum, 8);
    }
    int ret = bad ? -1 : w.oom ? -2 : eiw_qm1_load(out, w.buf, w.len);
    free(w.buf);
    return ret;
}
