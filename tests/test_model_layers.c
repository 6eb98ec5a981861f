/* Finite-difference checks of every transformer layer's backward, the whole model's gradient
 * (token and patch-level loss), and the K=1 patch path against the token path (bitwise). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/tensor_ops.h"
#include "model/transformer.h"

static uint64_t rng_state;

/* Tiny shapes: one thread avoids OpenMP/OpenBLAS start-up costs dominating every call. */
static void one_thread(void) { eiw_ops_set_threads(1); }
TestSuite(model_layers, .init = one_thread);
TestSuite(model_grad, .init = one_thread);

static void fill(float *x, size_t n, float std)
{
    for (size_t i = 0; i < n; i++)
        x[i] = std * eiw_rng_normal(&rng_state);
}

static double dot(const float *a, const float *b, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += (double)a[i] * (double)b[i];
    return s;
}

/* Relative error of numeric vs analytic gradient vectors: ||num-ana|| / ||ana||. */
static double rel_err(const double *num, const double *ana, int n)
{
    double d = 0.0, a = 0.0;
    for (int i = 0; i < n; i++) {
        d += (num[i] - ana[i]) * (num[i] - ana[i]);
        a += ana[i] * ana[i];
    }
    return sqrt(d) / (sqrt(a) + 1e-12);
}

/* A layer under test: forward writes out from the current inputs; L = <out, r>. */
typedef double (*loss_fn)(void *ctx);

/* Central differences on every element of x (n <= 512), compared with the analytic grad. */
static double check_grad(float *x, const float *grad, int n, float eps, loss_fn f, void *ctx)
{
    double *num = malloc((size_t)n * sizeof *num), *ana = malloc((size_t)n * sizeof *ana);
    cr_assert(num && ana);
    for (int i = 0; i < n; i++) {
        float orig = x[i];
        x[i] = orig + eps;
        double lp = f(ctx);
        x[i] = orig - eps;
        double lm = f(ctx);
        x[i] = orig;
        num[i] = (lp - lm) / (2.0 * (double)eps);
        ana[i] = grad[i];
    }
    double e = rel_err(num, ana, n);
    free(num);
    free(ana);
    return e;
}

/* ---------- rmsnorm ---------- */
typedef struct { float *out, *rstd, *inp, *w, *r; int N, C; } rms_ctx;
static double rms_loss(void *p)
{
    rms_ctx *c = p;
    eiw_rmsnorm_forward(c->out, c->rstd, c->inp, c->w, c->N, c->C);
    return dot(c->out, c->r, (size_t)c->N * c->C);
}

Test(model_layers, rmsnorm_backward_matches_finite_differences)
{
    rng_state = 1;
    enum { N = 6, C = 16 };
    float out[N * C], rstd[N], inp[N * C], w[C], r[N * C], dinp[N * C] = {0}, dw[C] = {0};
    fill(inp, N * C, 1.0f);
    fill(w, C, 1.0f);
    fill(r, N * C, 1.0f);
    rms_ctx c = {out, rstd, inp, w, r, N, C};
    rms_loss(&c);
    eiw_rmsnorm_backward(dinp, dw, r, inp, w, rstd, N, C);
    cr_expect_lt(check_grad(inp, dinp, N * C, 1e-2f, rms_loss, &c), 1e-2);
    cr_expect_lt(check_grad(w, dw, C, 1e-2f, rms_loss, &c), 1e-2);
}

/* ---------- matmul ---------- */
typedef struct { float *out, *inp, *w, *r; int N, IC, OC; } mm_ctx;
static double mm_loss(void *p)
{
    mm_ctx *c = p;
    eiw_mm_forward(c->out, c->inp, c->w, c->N, c->IC, c->OC);
    return dot(c->out, c->r, (size_t)c->N * c->OC);
}

static void mm_check(int blas)
{
    int prev = eiw_ops_use_blas(blas);
    rng_state = 2;
    enum { N = 5, IC = 7, OC = 9 };
    float out[N * OC], inp[N * IC], w[OC * IC], r[N * OC], dinp[N * IC] = {0}, dw[OC * IC] = {0};
    fill(inp, N * IC, 1.0f);
    fill(w, OC * IC, 1.0f);
    fill(r, N * OC, 1.0f);
    mm_ctx c = {out, inp, w, r, N, IC, OC};
    mm_loss(&c);
    eiw_mm_backward_input(dinp, r, w, N, IC, OC);
    eiw_mm_backward_weight(dw, r, inp, N, IC, OC);
    cr_expect_lt(check_grad(inp, dinp, N * IC, 1e-2f, mm_loss, &c), 1e-3);
    cr_expect_lt(check_grad(w, dw, OC * IC, 1e-2f, mm_loss, &c), 1e-3);
    eiw_ops_use_blas(prev);
}

Test(model_layers, matmul_backward_matches_finite_differences_blas) { mm_check(1); }
Test(model_layers, matmul_backward_matches_finite_differences_portable) { mm_check(0); }

Test(model_layers, matmul_portable_path_agrees_with_blas)
{
    rng_state = 3;
    enum { N = 33, IC = 40, OC = 24 };
    static float inp[N * IC], w[OC * IC], a[N * OC], b[N * OC];
    fill(inp, N * IC, 1.0f);
    fill(w, OC * IC, 1.0f);
    int prev = eiw_ops_use_blas(1);
    eiw_mm_forward(a, inp, w, N, IC, OC);
    eiw_ops_use_blas(0);
    eiw_mm_forward(b, inp, w, N, IC, OC);
    eiw_ops_use_blas(prev);
    for (int i = 0; i < N * OC; i++)
        cr_assert_float_eq(a[i], b[i], 1e-4f, "element %d: %g vs %g", i, (double)a[i], (double)b[i]);
}

/* ---------- attention ---------- */
typedef struct { float *out, *att, *qkv, *r, *scratch; int B, T, C, NH; } att_ctx;
static double att_loss(void *p)
{
    att_ctx *c = p;
    eiw_attention_forward(c->out, c->att, c->scratch, c->qkv, c->B, c->T, c->C, c->NH);
    return dot(c->out, c->r, (size_t)c->B * c->T * c->C);
}

static void attention_check(int B, int T, int C, int NH)
{
    rng_state = 4 + (uint64_t)T;
    size_t nq = (size_t)B * T * 3 * C, no = (size_t)B * T * C;
    float *out = malloc(no * sizeof(float)), *r = malloc(no * sizeof(float));
    float *att = malloc((size_t)B * NH * T * T * sizeof(float));
    float *qkv = malloc(nq * sizeof(float)), *dqkv = calloc(nq, sizeof(float));
    float *scratch = malloc(eiw_attention_scratch_size(B, T, C, NH) * sizeof(float));
    fill(qkv, nq, 1.0f);
    fill(r, no, 1.0f);
    att_ctx c = {out, att, qkv, r, scratch, B, T, C, NH};
    att_loss(&c);
    eiw_attention_backward(dqkv, scratch, r, qkv, att, B, T, C, NH);
    double e = check_grad(qkv, dqkv, (int)nq, 1e-2f, att_loss, &c);
    cr_expect_lt(e, 1e-2, "B=%d T=%d C=%d NH=%d: rel err %g", B, T, C, NH, e);
    free(out); free(r); free(att); free(qkv); free(dqkv); free(scratch);
}

Test(model_layers, attention_backward_matches_finite_differences)
{
    attention_check(2, 5, 8, 2);
    attention_check(1, 70, 16, 2);   /* crosses the 4-row blocks and the 64-column blocks */
}

Test(model_layers, attention_forward_matches_naive_reference)
{
    enum { B = 2, T = 67, C = 24, NH = 3 };
    int hs = C / NH;
    rng_state = 99;
    static float qkv[B * T * 3 * C], out[B * T * C], att[B * NH * T * T];
    float *scratch = malloc(eiw_attention_scratch_size(B, T, C, NH) * sizeof(float));
    fill(qkv, B * T * 3 * C, 1.0f);
    eiw_attention_forward(out, att, scratch, qkv, B, T, C, NH);
    double maxerr = 0.0;
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++)
            for (int t = 0; t < T; t++) {
                double s[T], mx = -1e300, sum = 0.0;
                const float *q = qkv + ((size_t)b * T + t) * 3 * C + h * hs;
                for (int u = 0; u <= t; u++) {
                    const float *k = qkv + ((size_t)b * T + u) * 3 * C + C + h * hs;
                    double d = 0.0;
                    for (int i = 0; i < hs; i++)
                        d += (double)q[i] * (double)k[i];
                    s[u] = d / sqrt((double)hs) - pow(2.0, -8.0 * (h + 1) / NH) * (t - u);
                    mx = s[u] > mx ? s[u] : mx;
                }
                for (int u = 0; u <= t; u++)
                    sum += exp(s[u] - mx);
                for (int i = 0; i < hs; i++) {
                    double o = 0.0;
                    for (int u = 0; u <= t; u++)
                        o += exp(s[u] - mx) / sum *
                             (double)qkv[((size_t)b * T + u) * 3 * C + 2 * C + h * hs + i];
                    double err = fabs(o - (double)out[((size_t)b * T + t) * C + h * hs + i]);
                    maxerr = err > maxerr ? err : maxerr;
                }
            }
    cr_expect_lt(maxerr, 1e-5, "max abs error %g", maxerr);
    free(scratch);
}

Test(model_layers, attention_is_causal)
{
    rng_state = 5;
    enum { B = 1, T = 6, C = 8, NH = 2 };
    float out1[T * C], out2[T * C], att[NH * T * T], qkv[T * 3 * C];
    float *scratch = malloc(eiw_attention_scratch_size(B, T, C, NH) * sizeof(float));
    fill(qkv, T * 3 * C, 1.0f);
    eiw_attention_forward(out1, att, scratch, qkv, B, T, C, NH);
    for (int i = 0; i < 3 * C; i++)   /* change only the last position */
        qkv[(T - 1) * 3 * C + i] += 1.0f;
    eiw_attention_forward(out2, att, scratch, qkv, B, T, C, NH);
    cr_expect_eq(memcmp(out1, out2, (T - 1) * C * sizeof(float)), 0);
    cr_expect_neq(memcmp(out1, out2, T * C * sizeof(float)), 0);
    free(scratch);
}

/* ---------- relu ---------- */
Test(model_layers, relu_backward_passes_positive_only)
{
    float x[4] = {-1.0f, 2.0f, 0.5f, -0.1f}, g[4] = {1, 2, 3, 4}, d[4];
    eiw_relu_backward(d, g, x, 4);
    cr_expect(d[0] == 0.0f && d[1] == 2.0f && d[2] == 3.0f && d[3] == 0.0f);
}

/* ---------- cross-entropy (token and patch) ---------- */
typedef struct { float *logits, *probs, *losses; int *tg; int N, V, K; } xe_ctx;
static double xe_loss(void *p)
{
    xe_ctx *c = p;
    memcpy(c->probs, c->logits, (size_t)c->N * c->V * sizeof(float));
    if (c->K == 0)
        eiw_xent_forward(c->probs, c->losses, c->tg, c->N, c->V);
    else
        eiw_patch_xent_forward(c->probs, c->losses, c->tg, c->N, c->V, c->K);
    double s = 0.0;
    for (int i = 0; i < c->N; i++)
        s += (double)c->losses[i];
    return s / c->N;
}

static void xe_check(int K)
{
    rng_state = 6 + (uint64_t)K;
    enum { N = 4, V = 11 };
    float logits[N * V], probs[N * V], losses[N];
    int tg[N * 3];
    fill(logits, N * V, 2.0f);
    for (int i = 0; i < N * 3; i++)
        tg[i] = (int)(eiw_rng_next(&rng_state) % V);
    xe_ctx c = {logits, probs, losses, tg, N, V, K};
    xe_loss(&c);
    if (K == 0)
        eiw_xent_backward(probs, tg, N, V, 1.0f / N);
    else
        eiw_patch_xent_backward(probs, tg, N, V, K, 1.0f / N);
    float grad[N * V];
    memcpy(grad, probs, sizeof grad);
    cr_expect_lt(check_grad(logits, grad, N * V, 1e-2f, xe_loss, &c), 1e-2, "K=%d", K);
}

Test(model_layers, xent_backward_matches_finite_differences) { xe_check(0); }
Test(model_layers, patch_xent_backward_matches_finite_differences) { xe_check(3); }

/* ---------- patch encoder ---------- */
typedef struct { float *out, *wte, *r; int *inp; int B, T, C, K; } enc_ctx;
static double enc_loss(void *p)
{
    enc_ctx *c = p;
    eiw_patch_encoder_forward(c->out, c->inp, c->wte, c->B, c->T, c->C, c->K);
    return dot(c->out, c->r, (size_t)c->B * c->T * c->C);
}

Test(model_layers, patch_encoder_backward_matches_finite_differences)
{
    rng_state = 9;
    enum { B = 2, T = 3, C = 4, K = 3, V = 5 };
    float out[B * T * C], wte[V * C], r[B * T * C], dwte[V * C] = {0};
    int inp[B * T * K];
    for (int i = 0; i < B * T * K; i++)
        inp[i] = (int)(eiw_rng_next(&rng_state) % V);
    fill(wte, V * C, 1.0f);
    fill(r, B * T * C, 1.0f);
    enc_ctx c = {out, wte, r, inp, B, T, C, K};
    enc_loss(&c);
    eiw_patch_encoder_backward(dwte, r, inp, B, T, C, K);
    cr_expect_lt(check_grad(wte, dwte, V * C, 1e-2f, enc_loss, &c), 1e-3);
}

/* ---------- whole model ---------- */
static const eiw_model_config small_cfg = {.vocab = 13, .ctx = 6, .d_model = 8, .n_heads = 2,
                                           .n_layers = 2, .d_ff = 12};

typedef struct { eiw_transformer *m; int *inp, *tg; int B, T, K; } model_ctx;
static double model_loss(void *p)
{
    model_ctx *c = p;
    eiw_transformer_forward(c->m, c->inp, c->tg, c->B, c->T, c->K, 0);
    return c->m->mean_loss;
}

static void model_check(int K)
{
    eiw_transformer m;
    enum { B = 2, T = 5 };
    cr_assert_eq(eiw_transformer_init(&m, &small_cfg, B, 6), 0);
    rng_state = 10 + (uint64_t)K;
    /* larger weights than the real init: bigger gradients, better signal over float noise */
    fill(m.params_mem, m.n_params, 0.4f);
    int inp[B * T * 4], tg[B * T * 4];
    for (int i = 0; i < B * T * K; i++) {
        inp[i] = (int)(eiw_rng_next(&rng_state) % 13);
        tg[i] = (int)(eiw_rng_next(&rng_state) % 13);
    }
    model_ctx c = {&m, inp, tg, B, T, K};
    model_loss(&c);
    eiw_transformer_backward(&m, inp, tg, B, T, K, 0);
    /* every parameter of this small model, tensor by tensor. Float32 noise and ReLU kinks give
     * errors of 0.02-2%; a wrong or missing backward term gives errors of order 1. */
    size_t off = 0;
    for (int i = 0; i < EIW_NUM_PARAM_TENSORS; i++) {
        size_t s = m.param_sizes[i];
        float *g = malloc(s * sizeof(float));
        memcpy(g, m.grads_mem + off, s * sizeof(float));
        double e = check_grad(m.params_mem + off, g, (int)s, 2e-3f, model_loss, &c);
        cr_expect_lt(e, 5e-2, "K=%d tensor %d rel err %g", K, i, e);
        free(g);
        off += s;
    }
    eiw_transformer_free(&m);
}

Test(model_grad, whole_model_token_loss_matches_finite_differences) { model_check(1); }
Test(model_grad, whole_model_patch_loss_matches_finite_differences) { model_check(3); }

Test(model_grad, patch_path_with_k1_equals_token_path_exactly)
{
    eiw_model_config cfg = {.vocab = 256, .ctx = 16, .d_model = 32, .n_heads = 4, .n_layers = 2,
                            .d_ff = 64};
    eiw_transformer a, b;
    enum { B = 3, T = 16 };
    cr_assert_eq(eiw_transformer_init(&a, &cfg, B, T), 0);
    cr_assert_eq(eiw_transformer_init(&b, &cfg, B, T), 0);
    eiw_transformer_init_weights(&a, 42);
    eiw_transformer_init_weights(&b, 42);
    int inp[B * T], tg[B * T];
    rng_state = 77;
    for (int i = 0; i < B * T; i++) {
        inp[i] = (int)(eiw_rng_next(&rng_state) % 256);
        tg[i] = (int)(eiw_rng_next(&rng_state) % 256);
    }
    eiw_transformer_forward(&a, inp, tg, B, T, 1, 0);
    eiw_transformer_backward(&a, inp, tg, B, T, 1, 0);
    eiw_transformer_forward(&b, inp, tg, B, T, 1, 1);
    eiw_transformer_backward(&b, inp, tg, B, T, 1, 1);
    cr_expect(a.mean_loss == b.mean_loss, "loss %.17g vs %.17g", a.mean_loss, b.mean_loss);
    cr_expect_eq(memcmp(a.grads_mem, b.grads_mem, a.n_params * sizeof(float)), 0);
    cr_expect_gt(a.mean_loss, 1.0);
    eiw_transformer_free(&a);
    eiw_transformer_free(&b);
}

Test(model_grad, portable_matmul_path_gives_the_blas_gradients)
{
    eiw_model_config cfg = {.vocab = 64, .ctx = 12, .d_model = 24, .n_heads = 3, .n_layers = 2,
                            .d_ff = 40};
    eiw_transformer a, b;
    enum { B = 2, T = 12 };
    cr_assert_eq(eiw_transformer_init(&a, &cfg, B, T), 0);
    cr_assert_eq(eiw_transformer_init(&b, &cfg, B, T), 0);
    eiw_transformer_init_weights(&a, 5);
    eiw_transformer_init_weights(&b, 5);
    int inp[B * T], tg[B * T];
    rng_state = 78;
    for (int i = 0; i < B * T; i++) {
        inp[i] = (int)(eiw_rng_next(&rng_state) % 64);
        tg[i] = (int)(eiw_rng_next(&rng_state) % 64);
    }
    int prev = eiw_ops_use_blas(1);
    eiw_transformer_forward(&a, inp, tg, B, T, 1, 0);
    eiw_transformer_backward(&a, inp, tg, B, T, 1, 0);
    eiw_ops_use_blas(0);
    eiw_transformer_forward(&b, inp, tg, B, T, 1, 0);
    eiw_transformer_backward(&b, inp, tg, B, T, 1, 0);
    eiw_ops_use_blas(prev);
    cr_expect(fabs(a.mean_loss - b.mean_loss) < 1e-5, "%g vs %g", a.mean_loss, b.mean_loss);
    double d = 0.0, n = 0.0;
    for (size_t i = 0; i < a.n_params; i++) {
        double x = (double)a.grads_mem[i] - (double)b.grads_mem[i];
        d += x * x;
        n += (double)a.grads_mem[i] * (double)a.grads_mem[i];
    }
    cr_expect_gt(n, 0.0);
    cr_expect_lt(sqrt(d / n), 1e-4, "relative gradient difference %g", sqrt(d / n));
    eiw_transformer_free(&a);
    eiw_transformer_free(&b);
}
