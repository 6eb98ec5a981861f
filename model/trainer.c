/* The training loop's state machine: stage-1 (patch) / stage-2 (token) schedule, AdamW with
 * warm-up + cosine per stage, clipping, eval, checkpoints (the options and named configs are
 * model/train_options.c's; the file format model/checkpoint.c's).
 * Weight decay goes to the matrices (Wqkv, Wo, W1, W2, LM head) only: RMSNorm gains have a
 * natural value of 1, not 0, and decaying the byte embedding would shrink rows of rare bytes
 * that get almost no gradient; small matrix weights also suit the later int8 quantisation. */
#include "model/adamw.h"
#include "model/checkpoint.h"
#include "model/tensor_ops.h"
#include "model/train_data.h"
#include "model/transformer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

struct eiw_trainer {
    eiw_train_options opt;
    eiw_transformer model;
    float *opt_mem;          /* (2, n_params): AdamW m then v */
    float *m, *v;
    int *inputs, *targets;   /* (B, T*Kmax) each */
    eiw_train_data data;
    const uint16_t *val;
    size_t n_val;
    uint64_t data_hash;
    uint64_t rng;            /* stored for format completeness; all randomness is seed-derived */
    int64_t step, s1, total;
    int rank, nranks;        /* data parallelism: this process's slice of each batch */
    int grads_ready;         /* eiw_trainer_compute_grads done, eiw_trainer_apply not yet */
};

static void plan_stages(eiw_trainer *tr)
{
    const eiw_train_options *o = &tr->opt;
    int64_t K = o->patch_size;
    tr->s1 = K > 1 ? (int64_t)floor((double)o->patch_fraction * (double)o->steps / (double)K) : 0;
    tr->total = tr->s1 + (o->steps - tr->s1 * K);
}

static int max_k(const eiw_trainer *tr)
{
    return tr->s1 > 0 ? tr->opt.patch_size : 1;
}

static int cur_k(const eiw_trainer *tr)
{
    return tr->step < tr->s1 ? tr->opt.patch_size : 1;
}

static double lr_at(const eiw_trainer *tr, int64_t step)
{
    const eiw_train_options *o = &tr->opt;
    int64_t start = step < tr->s1 ? 0 : tr->s1, len = step < tr->s1 ? tr->s1 : tr->total - tr->s1;
    int64_t i = step - start, w = o->warmup < len / 5 ? o->warmup : len / 5;
    if (i < w)
        return (double)o->lr * (double)(i + 1) / (double)w;
    double prog = len - w > 1 ? (double)(i - w) / (double)(len - w - 1) : 1.0;
    if (prog > 1.0)
        prog = 1.0;
    double mn = o->min_lr_frac;
    return (double)o->lr * (mn + (1.0 - mn) * 0.5 * (1.0 + cos(3.141592653589793 * prog)));
}

static int check_tokens(const uint16_t *t, size_t n, int vocab)
{
    for (size_t i = 0; i < n; i++)
        if (t[i] >= vocab)
            return EIW_TRAIN_ERR_DATA;
    return EIW_TRAIN_OK;
}

static int trainer_alloc(eiw_trainer **out, const eiw_train_options *opt,
                         const uint16_t *train, size_t n_train, const uint16_t *val, size_t n_val)
{
    *out = NULL;
    int rc = eiw_train_options_check(opt);
    if (rc != EIW_TRAIN_OK)
        return rc;
    if (!train || check_tokens(train, n_train, opt->model.vocab) != EIW_TRAIN_OK ||
        (n_val && (!val || check_tokens(val, n_val, opt->model.vocab) != EIW_TRAIN_OK)))
        return EIW_TRAIN_ERR_DATA;
    eiw_trainer *tr = calloc(1, sizeof *tr);
    if (!tr)
        return EIW_TRAIN_ERR_NOMEM;
    tr->opt = *opt;
    tr->nranks = 1;
    eiw_ops_set_threads(opt->threads);
    plan_stages(tr);
    int T = opt->model.ctx, B = opt->batch, K = max_k(tr);
    rc = eiw_transformer_init(&tr->model, &opt->model, B, T);
    if (rc != EIW_TRAIN_OK)
        goto fail;
    rc = eiw_train_data_init(&tr->data, train, n_train, opt->seed, (size_t)K * ((size_t)T + 1));
    if (rc != EIW_TRAIN_OK)
        goto fail;
    size_t n = tr->model.n_params;
    tr->opt_mem = calloc(2 * n, sizeof(float));
    tr->inputs = malloc((size_t)B * T * K * sizeof(int));
    tr->targets = malloc((size_t)B * T * K * sizeof(int));
    if (!tr->opt_mem || !tr->inputs || !tr->targets) {
        rc = EIW_TRAIN_ERR_NOMEM;
        goto fail;
    }
    tr->m = tr->opt_mem;
    tr->v = tr->opt_mem + n;
    tr->val = val;
    tr->n_val = n_val;
    tr->data_hash = XXH3_64bits(train, n_train * sizeof *train);
    tr->rng = opt->seed;
    *out = tr;
    return EIW_TRAIN_OK;
fail:
    eiw_trainer_free(tr);
    return rc;
}

int eiw_trainer_create(eiw_trainer **out, const eiw_train_options *opt,
                       const uint16_t *train, size_t n_train,
                       const uint16_t *val, size_t n_val)
{
    int rc = trainer_alloc(out, opt, train, n_train, val, n_val);
    if (rc == EIW_TRAIN_OK)
        eiw_transformer_init_weights(&(*out)->model, opt->seed);
    return rc;
}

int eiw_trainer_resume(eiw_trainer **out, const char *ckpt_path, int32_t threads, int64_t steps,
                       eiw_train_options *opt_out,
                       const uint16_t *train, size_t n_train,
                       const uint16_t *val, size_t n_val)
{
    eiw_ckpt_view v;
    void *buf = NULL;
    *out = NULL;
    int rc = eiw_ckpt_read(ckpt_path, &v, &buf);
    if (rc != EIW_TRAIN_OK)
        return rc;
    eiw_trainer *tr = NULL;
    if (!(v.flags & EIW_CKPT_FLAG_TRAIN_STATE)) {
        rc = EIW_TRAIN_ERR_NOSTATE;
        goto done;
    }
    if (v.data_len != n_train || !train ||
        XXH3_64bits(train, n_train * sizeof *train) != v.data_hash) {
        rc = EIW_TRAIN_ERR_MISMATCH;
        goto done;
    }
    v.opt.threads = threads;
    if (steps > 0)
        v.opt.steps = steps;
    rc = trainer_alloc(&tr, &v.opt, train, n_train, val, n_val);
    if (rc != EIW_TRAIN_OK)
        goto done;
    if (v.step > tr->total || v.cursor > (uint64_t)tr->data.npages * tr->data.page) {
        rc = EIW_TRAIN_ERR_FORMAT;
        goto done;
    }
    size_t nb = v.n_params * sizeof(float);
    memcpy(tr->model.params_mem, v.params, nb);
    memcpy(tr->m, v.m, nb);
    memcpy(tr->v, v.v, nb);
    tr->step = v.step;
    tr->rng = v.rng;
    eiw_train_data_seek(&tr->data, v.epoch, v.cursor);
    if (opt_out)
        *opt_out = tr->opt;
    *out = tr;
    tr = NULL;
done:
    eiw_trainer_free(tr);
    free(buf);
    return rc;
}

void eiw_trainer_free(eiw_trainer *tr)
{
    if (!tr)
        return;
    eiw_transformer_free(&tr->model);
    eiw_train_data_free(&tr->data);
    free(tr->opt_mem);
    free(tr->inputs);
    free(tr->targets);
    free(tr);
}

int eiw_trainer_set_partition(eiw_trainer *tr, int rank, int nranks)
{
    if (nranks < 1 || nranks > tr->opt.batch || rank < 0 || rank >= nranks || tr->grads_ready)
        return EIW_TRAIN_ERR_CONFIG;
    tr->rank = rank;
    tr->nranks = nranks;
    return EIW_TRAIN_OK;
}

int eiw_trainer_compute_grads(eiw_trainer *tr, float **grads, size_t *n_grads, double *loss)
{
    size_t n = tr->model.n_params;
    *grads = tr->model.grads_mem;
    *n_grads = n;
    *loss = 0.0;
    if (tr->grads_ready)
        return EIW_TRAIN_ERR_CONFIG;
    if (tr->step >= tr->total) {   /* done: a zero gradient, and apply will do nothing */
        memset(tr->model.grads_mem, 0, n * sizeof(float));
        return EIW_TRAIN_OK;
    }
    const eiw_train_options *o = &tr->opt;
    int B = o->batch, T = o->model.ctx, K = cur_k(tr);
    /* every process draws the whole batch, so that the data positions stay the same */
    for (int b = 0; b < B; b++)
        eiw_train_data_next(&tr->data, tr->inputs + (size_t)b * T * K,
                            tr->targets + (size_t)b * T * K, T, K, K == 1 ? o->bos : -1);
    int lo = (int)((int64_t)B * tr->rank / tr->nranks);
    int hi = (int)((int64_t)B * (tr->rank + 1) / tr->nranks);
    const int *in = tr->inputs + (size_t)lo * T * K, *tg = tr->targets + (size_t)lo * T * K;
    eiw_transformer_forward(&tr->model, in, tg, hi - lo, T, K, 0);
    /* scaled by the whole batch's positions: the slices' sums are the batch's means */
    eiw_transformer_backward_scaled(&tr->model, in, tg, hi - lo, T, K, 0, 1.0f / (float)(B * T));
    *loss = tr->model.mean_loss * ((double)(hi - lo) / B);   /* the slice's share of the mean */
    tr->grads_ready = 1;
    return EIW_TRAIN_OK;
}

int eiw_trainer_apply(eiw_trainer *tr)
{
    if (tr->step >= tr->total)
        return EIW_TRAIN_OK;
    if (!tr->grads_ready)
        return EIW_TRAIN_ERR_CONFIG;
    tr->grads_ready = 0;
    const eiw_train_options *o = &tr->opt;
    size_t n = tr->model.n_params;
    if (tr->step == tr->s1 && tr->s1 > 0)   /* token stage: fresh optimizer state */
        memset(tr->opt_mem, 0, 2 * n * sizeof(float));
    float gscale = 1.0f;
    if (o->grad_clip > 0.0f) {
        double norm = eiw_grad_norm(tr->model.grads_mem, n);
        if (norm > (double)o->grad_clip)
            gscale = (float)((double)o->grad_clip / norm);
    }
    float lr = (float)lr_at(tr, tr->step);
    int64_t t = tr->step < tr->s1 ? tr->step + 1 : tr->step - tr->s1 + 1;
    static const int decay[EIW_NUM_PARAM_TENSORS] = {0, 0, 1, 1, 0, 1, 1, 0, 1};
    size_t off = 0;
    for (int i = 0; i < EIW_NUM_PARAM_TENSORS; i++) {
        size_t s = tr->model.param_sizes[i];
        eiw_adamw_update(tr->model.params_mem + off, tr->model.grads_mem + off, tr->m + off,
                         tr->v + off, s, gscale, lr, o->beta1, o->beta2, o->eps,
                         decay[i] ? o->weight_decay : 0.0f, t);
        off += s;
    }
    tr->step++;
    return EIW_TRAIN_OK;
}

int eiw_trainer_step(eiw_trainer *tr, float *loss)
{
    float *g;
    size_t n;
    double part = 0.0;
    int rc = tr->nranks == 1 ? eiw_trainer_compute_grads(tr, &g, &n, &part) : EIW_TRAIN_ERR_CONFIG;
    if (rc == EIW_TRAIN_OK)
        rc = eiw_trainer_apply(tr);
    if (loss)
        *loss = (float)part;
    return rc;
}

/* Token-level loss over windows [s, s+T] for s = 0, T, 2T, ...: full windows B at a time, then a
 * shorter last one. inputs/targets hold at least B*T ints. With a BOS token, a window is
 * [BOS, val[s..s+T-2]] predicting val[s..s+T-1], like training samples. */
static int eval_windows(eiw_transformer *m, int *inputs, int *targets, int B, int T, int bos,
                        const uint16_t *val, size_t n_val, size_t max_tokens, double *bpt)
{
    *bpt = 0.0;
    if (!val || n_val < 2)
        return EIW_TRAIN_ERR_DATA;
    for (size_t i = 0; i < n_val; i++)
        if (val[i] >= m->cfg.vocab)
            return EIW_TRAIN_ERR_DATA;
    size_t avail = n_val - 1, want = max_tokens && max_tokens < avail ? max_tokens : avail;
    size_t nfull = want / (size_t)T, rem = want % (size_t)T;
    double total = 0.0;
    size_t w0 = 0;
    while (w0 < nfull || (w0 == nfull && rem > 0)) {
        int nb = w0 < nfull ? (int)(nfull - w0 < (size_t)B ? nfull - w0 : (size_t)B) : 1;
        int Tw = w0 < nfull ? T : (int)rem;
        for (int b = 0; b < nb; b++) {
            size_t s = (w0 + (size_t)b) * (size_t)T;
            for (int t = 0; t < Tw; t++) {
                if (bos >= 0) {
                    inputs[(size_t)b * Tw + t] = t ? val[s + (size_t)t - 1] : bos;
                    targets[(size_t)b * Tw + t] = val[s + (size_t)t];
                } else {
                    inputs[(size_t)b * Tw + t] = val[s + (size_t)t];
                    targets[(size_t)b * Tw + t] = val[s + (size_t)t + 1];
                }
            }
        }
        eiw_transformer_forward(m, inputs, targets, nb, Tw, 1, 0);
        for (int i = 0; i < nb * Tw; i++)
            total += (double)m->acts.losses[i];
        w0 += (size_t)nb;
    }
    *bpt = total / (double)want / log(2.0);
    return EIW_TRAIN_OK;
}

int eiw_trainer_eval(eiw_trainer *tr, size_t max_tokens, double *bits_per_token)
{
    return eval_windows(&tr->model, tr->inputs, tr->targets, tr->opt.batch, tr->opt.model.ctx,
                        tr->opt.bos, tr->val, tr->n_val, max_tokens, bits_per_token);
}

int eiw_checkpoint_eval(const char *path, const uint16_t *tokens, size_t n, int32_t ctx,
                        int32_t threads, size_t max_tokens, double *bits_per_token)
{
    eiw_ckpt_view v;
    void *buf = NULL;
    eiw_transformer m;
    int *io = NULL;
    *bits_per_token = 0.0;
    memset(&m, 0, sizeof m);
    int rc = eiw_ckpt_read(path, &v, &buf);
    if (rc != EIW_TRAIN_OK)
        return rc;
    eiw_model_config cfg = v.opt.model;
    if (ctx > 0)
        cfg.ctx = ctx;   /* ALiBi: any context length works */
    int T = cfg.ctx, B = T >= 1024 ? 1 : 8;
    eiw_ops_set_threads(threads);
    rc = eiw_transformer_init(&m, &cfg, B, T);
    if (rc != EIW_TRAIN_OK)
        goto done;
    io = malloc(2 * (size_t)B * T * sizeof *io);
    if (!io) {
        rc = EIW_TRAIN_ERR_NOMEM;
        goto done;
    }
    memcpy(m.params_mem, v.params, v.n_params * sizeof(float));
    rc = eval_windows(&m, io, io + (size_t)B * T, B, T, v.opt.bos, tokens, n, max_tokens,
                      bits_per_token);
done:
    free(io);
    eiw_transformer_free(&m);
    free(buf);
    return rc;
}

int eiw_trainer_save(const eiw_trainer *tr, const char *path)
{
    eiw_ckpt_view v;
    memset(&v, 0, sizeof v);
    v.opt = tr->opt;
    v.opt.threads = 0;
    v.flags = EIW_CKPT_FLAG_TRAIN_STATE;
    v.step = tr->step;
    v.epoch = tr->data.epoch;
    v.cursor = tr->data.cursor;
    v.rng = tr->rng;
    v.data_len = tr->data.n;
    v.data_hash = tr->data_hash;
    v.n_params = tr->model.n_params;
    v.params = tr->model.params_mem;
    v.m = tr->m;
    v.v = tr->v;
    return eiw_ckpt_write(path, &v);
}

void eiw_trainer_info(const eiw_trainer *tr, eiw_train_info *info)
{
    memset(info, 0, sizeof *info);
    info->step = tr->step;
    info->total_steps = tr->total;
    info->stage1_steps = tr->s1;
    info->stage = tr->step < tr->s1 ? 1 : 2;
    info->patch_size = cur_k(tr);
    info->lr = tr->step < tr->total ? lr_at(tr, tr->step) : 0.0;
    info->flops_per_step = eiw_model_train_flops_per_token(&tr->opt.model, tr->opt.model.ctx) *
                           (double)tr->opt.batch * tr->opt.model.ctx;
    info->tokens_per_step = (int64_t)tr->opt.batch * tr->opt.model.ctx * info->patch_size;
    int64_t s1done = tr->step < tr->s1 ? tr->step : tr->s1;
    info->tokens_seen = ((int64_t)tr->opt.batch * tr->opt.model.ctx) *
                        (s1done * tr->opt.patch_size + (tr->step - s1done));
    info->epoch = tr->data.epoch;
    info->done = tr->step >= tr->total;
}

const float *eiw_trainer_params(const eiw_trainer *tr, size_t *n_params)
{
    if (n_params)
        *n_params = tr->model.n_params;
    return tr->model.params_mem;
}
