/* Token-by-token float inference with a key/value cache, and seeded sampling (see
 * m2_sample.h). One new position per call: every layer's query attends over the cached keys
 * and values of the context (ALiBi: biases depend only on distances, so cache index = position),
 * then the MLP; the LM head runs only when logits are wanted. The layers reuse the training
 * kernels (RMSNorm, the linear layers' matrix product, the ALiBi slopes). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "model/checkpoint.h"
#include "model/m2_sample.h"
#include "model/tensor_ops.h"
#include "model/transformer.h"

struct eiw_m2 {
    eiw_model_config cfg;
    size_t sizes[EIW_NUM_PARAM_TENSORS];
    float *params_mem;
    eiw_param_tensors p;
    size_t cap, n;           /* cache capacity and tokens in it */
    unsigned *tokens;        /* (cap) the context, for sliding */
    float *kcache, *vcache;  /* (L, cap, C) each */
    float *x, *ln, *qkv, *att, *proj, *ff, *scores;   /* one position's activations */
};

void eiw_m2_free(eiw_m2 *m)
{
    if (!m)
        return;
    free(m->params_mem);
    free(m->tokens);
    free(m->kcache);
    free(m->vcache);
    free(m->x);   /* the activations share one allocation */
    free(m);
}

int eiw_m2_create(eiw_m2 **out, const eiw_model_config *cfg, const float *params, int32_t cap)
{
    *out = NULL;
    if (eiw_model_config_check(cfg) != EIW_TRAIN_OK || cap < 2 || cap > (1 << 20))
        return EIW_TRAIN_ERR_CONFIG;
    eiw_m2 *m = calloc(1, sizeof *m);
    if (!m)
        return EIW_TRAIN_ERR_NOMEM;
    m->cfg = *cfg;
    m->cap = (size_t)cap;
    size_t np = eiw_model_param_sizes(cfg, m->sizes);
    size_t C = (size_t)cfg->d_model, L = (size_t)cfg->n_layers, F = (size_t)cfg->d_ff,
           V = (size_t)cfg->vocab;
    size_t acts = C + C + 3 * C + C + C + F + (m->cap > V ? m->cap : V);
    m->params_mem = malloc(np * sizeof(float));
    m->tokens = malloc(m->cap * sizeof *m->tokens);
    m->kcache = malloc(L * m->cap * C * sizeof(float));
    m->vcache = malloc(L * m->cap * C * sizeof(float));
    m->x = malloc(acts * sizeof(float));
    if (!m->params_mem || !m->tokens || !m->kcache || !m->vcache || !m->x) {
        eiw_m2_free(m);
        return EIW_TRAIN_ERR_NOMEM;
    }
    memcpy(m->params_mem, params, np * sizeof(float));
    eiw_transformer_point(&m->p, m->params_mem, m->sizes);
    m->ln = m->x + C;
    m->qkv = m->ln + C;
    m->att = m->qkv + 3 * C;
    m->proj = m->att + C;
    m->ff = m->proj + C;
    m->scores = m->ff + F;
    *out = m;
    return EIW_TRAIN_OK;
}

int eiw_m2_load(eiw_m2 **out, const char *path, int32_t *bos)
{
    eiw_ckpt_view v;
    void *buf;
    *out = NULL;
    int rc = eiw_ckpt_read(path, &v, &buf);
    if (rc != EIW_TRAIN_OK)
        return rc;
    *bos = v.opt.bos;
    rc = eiw_m2_create(out, &v.opt.model, v.params, v.opt.model.ctx);
    free(buf);
    return rc;
}

const eiw_model_config *eiw_m2_config(const eiw_m2 *m) { return &m->cfg; }
size_t eiw_m2_len(const eiw_m2 *m) { return m->n; }
void eiw_m2_reset(eiw_m2 *m) { m->n = 0; }

void eiw_m2_truncate(eiw_m2 *m, size_t n)
{
    if (n < m->n)
        m->n = n;
}

/* Attention of the newest position t over positions 0..t of layer l's cache, all heads. */
static void attend(eiw_m2 *m, size_t l, size_t t)
{
    int C = m->cfg.d_model, NH = m->cfg.n_heads, hs = C / NH;
    float scale = 1.0f / sqrtf((float)hs);
    const float *kc = m->kcache + l * m->cap * (size_t)C, *vc = m->vcache + l * m->cap * (size_t)C;
    for (int h = 0; h < NH; h++) {
        const float *q = m->qkv + h * hs;
        float slope = eiw_alibi_slope(h, NH), maxv = -INFINITY;
        for (size_t j = 0; j <= t; j++) {
            const float *k = kc + j * (size_t)C + h * hs;
            float s = 0.0f;
            for (int i = 0; i < hs; i++)
                s += q[i] * scale * k[i];
            s -= slope * (float)(t - j);
            m->scores[j] = s;
            maxv = s > maxv ? s : maxv;
        }
        float sum = 0.0f;
        for (size_t j = 0; j <= t; j++) {
            m->scores[j] = expf(m->scores[j] - maxv);
            sum += m->scores[j];
        }
        float inv = 1.0f / sum, *o = m->att + h * hs;
        for (int i = 0; i < hs; i++)
            o[i] = 0.0f;
        for (size_t j = 0; j <= t; j++) {
            const float *v = vc + j * (size_t)C + h * hs;
            float w = m->scores[j] * inv;
            for (int i = 0; i < hs; i++)
                o[i] += w * v[i];
        }
    }
}

/* One position through the model: token at cache index n (< cap). */
static void step(eiw_m2 *m, unsigned token, float *logits)
{
    const eiw_model_config *c = &m->cfg;
    int C = c->d_model, F = c->d_ff, V = c->vocab;
    size_t t = m->n, Cz = (size_t)C;
    float rstd;
    memcpy(m->x, m->p.wte + (size_t)token * Cz, Cz * sizeof(float));
    for (size_t l = 0; l < (size_t)c->n_layers; l++) {
        eiw_rmsnorm_forward(m->ln, &rstd, m->x, m->p.ln1w + l * Cz, 1, C);
        eiw_mm_forward(m->qkv, m->ln, m->p.qkvw + l * 3 * Cz * Cz, 1, C, 3 * C);
        memcpy(m->kcache + (l * m->cap + t) * Cz, m->qkv + Cz, Cz * sizeof(float));
        memcpy(m->vcache + (l * m->cap + t) * Cz, m->qkv + 2 * Cz, Cz * sizeof(float));
        attend(m, l, t);
        eiw_mm_forward(m->proj, m->att, m->p.attprojw + l * Cz * Cz, 1, C, C);
        for (size_t i = 0; i < Cz; i++)
            m->x[i] += m->proj[i];
        eiw_rmsnorm_forward(m->ln, &rstd, m->x, m->p.ln2w + l * Cz, 1, C);
        eiw_mm_forward(m->ff, m->ln, m->p.fcw + l * (size_t)F * Cz, 1, C, F);
        eiw_relu_forward(m->ff, m->ff, (size_t)F);
        eiw_mm_forward(m->proj, m->ff, m->p.fcprojw + l * Cz * (size_t)F, 1, F, C);
        for (size_t i = 0; i < Cz; i++)
            m->x[i] += m->proj[i];
    }
    m->tokens[t] = token;
    m->n = t + 1;
    if (logits) {
        eiw_rmsnorm_forward(m->ln, &rstd, m->x, m->p.lnfw, 1, C);
        eiw_mm_forward(logits, m->ln, m->p.wlm, 1, C, V);
    }
}

int eiw_m2_push(eiw_m2 *m, unsigned token, float *logits)
{
    int slid = 0;
    if (m->n == m->cap) {
        size_t keep = m->cap / 2;
        memmove(m->tokens, m->tokens + (m->cap - keep), keep * sizeof *m->tokens);
        m->n = 0;
        for (size_t i = 0; i < keep; i++)
            step(m, m->tokens[i], NULL);
        slid = 1;
    }
    step(m, token, logits);
    return slid;
}

/* ------------------------------------------------------------------------------------------ */

/* The value of rank k (0 = largest) among a[0..n), reordering a: quickselect with a three-way
 * partition (ties are common among logits), middle pivot. */
static float kth_largest(float *a, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    for (;;) {
        if (lo == hi)
            return a[lo];
        float pivot = a[lo + (hi - lo) / 2], tmp;
        size_t lt = lo, i = lo, gt = hi;   /* [lo,lt) > pivot, [lt,i) == pivot, (gt,hi] < pivot */
        while (i <= gt) {
            if (a[i] > pivot) {
                tmp = a[lt], a[lt] = a[i], a[i] = tmp;
                lt++, i++;
            } else if (a[i] < pivot) {
                tmp = a[gt], a[gt] = a[i], a[i] = tmp;
                gt--;   /* never below lt: the pivot's value stays in [lt, gt] */
            } else {
                i++;
            }
        }
        if (k < lt)
            hi = lt - 1;
        else if (k > gt)
            lo = gt + 1;
        else
            return pivot;
    }
}

unsigned eiw_sample_logits(const float *logits, size_t n, double temperature, size_t top_k,
                           uint64_t *rng, float *scratch)
{
    /* NaN counts as -inf; the candidates: every index, or those above the k-th value plus
     * enough of the ties at it, lowest index first */
    float thr = -INFINITY;
    size_t ties = n;
    if (top_k > 0 && top_k < n) {
        size_t above = 0;
        for (size_t i = 0; i < n; i++)
            scratch[i] = logits[i] == logits[i] ? logits[i] : -INFINITY;
        thr = kth_largest(scratch, n, top_k - 1);
        for (size_t i = 0; i < n; i++)
            above += logits[i] > thr;
        ties = top_k - above;
    }
    float maxf = -INFINITY;
    for (size_t i = 0; i < n; i++)
        if (logits[i] > maxf)
            maxf = logits[i];
    double maxv = (double)maxf;
    if (!(maxf > -INFINITY))
        return 0;   /* no usable logit at all */
    double sum = 0.0;
    size_t tie_left = ties;
    for (size_t i = 0; i < n; i++) {
        int in = logits[i] > thr || (logits[i] == thr && tie_left > 0 && tie_left--);
        double w = in ? exp(((double)logits[i] - maxv) / temperature) : 0.0;
        scratch[i] = (float)w;
        sum += (double)scratch[i];
    }
    double u = (double)(eiw_rng_next(rng) >> 11) * 0x1p-53 * sum, acc = 0.0;
    size_t last = 0;
    for (size_t i = 0; i < n; i++) {
        if (scratch[i] > 0.0f) {
            acc += (double)scratch[i];
            last = i;
            if (u < acc)
                return (unsigned)i;
        }
    }
    return (unsigned)last;   /* rounding at the very top */
}
