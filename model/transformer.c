/* Transformer layers (forward/backward pairs) and the whole-model passes, float32.
 * Positions: ALiBi (a per-head linear penalty on query-key distance) rather than RoPE or learned
 * embeddings: no parameters, identical for an Equal-Info window restarting at position 0 and for
 * a long stream (only distances matter, so it extrapolates past the training length), and in
 * integer inference it is one integer add per score (RoPE needs sin/cos rotations).
 * RMSNorm and ReLU for the same reason: cheap and exact to mirror in fixed point. */
#include "model/transformer.h"
#include "model/tensor_ops.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define RMS_EPS 1e-5f

/* Elementwise layers: an AVX2 clone picked at load time (the build targets baseline x86-64).
 * Only the width of the vectors changes; sums keep their order within a clone. */
#if (defined(__x86_64__) || defined(__i386__)) && !defined(EIW_SIMD_NONE) && !defined(__clang__)
#define EIW_VEC __attribute__((target_clones("avx2", "default")))
#else
#define EIW_VEC
#endif

/* ---------------- RNG ---------------- */
uint64_t eiw_rng_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

float eiw_rng_normal(uint64_t *state)
{
    /* Box-Muller in double; one of the pair is discarded to keep the state a single word. */
    double u1 = ((double)(eiw_rng_next(state) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
    double u2 = (double)(eiw_rng_next(state) >> 11) * (1.0 / 9007199254740992.0);
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

/* ---------------- encoder ---------------- */
void eiw_encoder_forward(float *out, const int *inp, const float *wte, int B, int T, int C)
{
    for (int bt = 0; bt < B * T; bt++)
        memcpy(out + (size_t)bt * C, wte + (size_t)inp[bt] * C, (size_t)C * sizeof(float));
}

void eiw_encoder_backward(float *dwte, const float *dout, const int *inp, int B, int T, int C)
{
    /* serial: rows of dwte collide; this is O(BTC), negligible next to the matmuls */
    for (int bt = 0; bt < B * T; bt++) {
        float *d = dwte + (size_t)inp[bt] * C;
        const float *g = dout + (size_t)bt * C;
        for (int c = 0; c < C; c++)
            d[c] += g[c];
    }
}

void eiw_patch_encoder_forward(float *out, const int *inp, const float *wte, int B, int T, int C, int K)
{
    float invk = 1.0f / (float)K;
    for (int bt = 0; bt < B * T; bt++) {
        float *o = out + (size_t)bt * C;
        const int *tok = inp + (size_t)bt * K;
        /* start from the first row (not 0) so that K=1 reproduces the token path bit for bit */
        memcpy(o, wte + (size_t)tok[0] * C, (size_t)C * sizeof(float));
        for (int k = 1; k < K; k++) {
            const float *e = wte + (size_t)tok[k] * C;
            for (int c = 0; c < C; c++)
                o[c] += e[c];
        }
        for (int c = 0; c < C; c++)
            o[c] *= invk;
    }
}

void eiw_patch_encoder_backward(float *dwte, const float *dout, const int *inp, int B, int T, int C, int K)
{
    float invk = 1.0f / (float)K;
    for (int bt = 0; bt < B * T; bt++) {
        const float *g = dout + (size_t)bt * C;
        for (int k = 0; k < K; k++) {
            float *d = dwte + (size_t)inp[(size_t)bt * K + k] * C;
            for (int c = 0; c < C; c++)
                d[c] += g[c] * invk;
        }
    }
}

/* ---------------- RMSNorm ---------------- */
EIW_VEC
void eiw_rmsnorm_forward(float *out, float *rstd, const float *inp, const float *w, int N, int C)
{
    #pragma omp parallel for schedule(static)
    for (int n = 0; n < N; n++) {
        const float *x = inp + (size_t)n * C;
        float *o = out + (size_t)n * C;
        float ss = 0.0f;
        #pragma omp simd reduction(+:ss)
        for (int c = 0; c < C; c++)
            ss += x[c] * x[c];
        float r = 1.0f / sqrtf(ss / (float)C + RMS_EPS);
        for (int c = 0; c < C; c++)
            o[c] = x[c] * r * w[c];
        rstd[n] = r;
    }
}

EIW_VEC
void eiw_rmsnorm_backward(float *dinp, float *dw, const float *dout, const float *inp,
                          const float *w, const float *rstd, int N, int C)
{
    #pragma omp parallel
    {
        #pragma omp for schedule(static)
        for (int n = 0; n < N; n++) {
            const float *x = inp + (size_t)n * C;
            const float *g = dout + (size_t)n * C;
            float *dx = dinp + (size_t)n * C;
            float r = rstd[n];
            float dot = 0.0f;   /* sum_c dn_c * n_c with dn = g*w, n = x*r */
            #pragma omp simd reduction(+:dot)
            for (int c = 0; c < C; c++)
                dot += g[c] * w[c] * x[c] * r;
            float mean = dot / (float)C;
            for (int c = 0; c < C; c++)
                dx[c] += r * (g[c] * w[c] - x[c] * r * mean);
        }
        /* weight gradient by channel blocks: deterministic for any thread count */
        #pragma omp for schedule(static)
        for (int c0 = 0; c0 < C; c0 += 64) {
            int c1 = c0 + 64 < C ? c0 + 64 : C;
            float acc[64] = {0};
            for (int n = 0; n < N; n++) {
                const float *x = inp + (size_t)n * C;
                const float *g = dout + (size_t)n * C;
                float r = rstd[n];
                for (int c = c0; c < c1; c++)
                    acc[c - c0] += g[c] * x[c] * r;
            }
            for (int c = c0; c < c1; c++)
                dw[c] += acc[c - c0];
        }
    }
}

/* ---------------- attention ---------------- */
float eiw_alibi_slope(int h, int NH)
{
    return (float)exp2(-8.0 * (double)(h + 1) / (double)NH);
}

/* y[0..n) (+)= sum_{r<rows} coef[r*cs] * X[r*ldx + 0..n): the one kernel of attention. Register
 * accumulators over a 32-wide block of y, one load per FMA. An AVX2/FMA version is picked at
 * run time (the build itself targets baseline x86-64); results are deterministic per machine. */
static void mv_generic(float *y, const float *X, size_t ldx, const float *coef, size_t cs,
                       int rows, int n, int acc)
{
    for (int j = 0; j < n; j++)
        y[j] = acc ? y[j] : 0.0f;
    for (int r = 0; r < rows; r++) {
        float c = coef[(size_t)r * cs];
        const float *x = X + (size_t)r * ldx;
        for (int j = 0; j < n; j++)
            y[j] += c * x[j];
    }
}

#if (defined(__x86_64__) || defined(__i386__)) && !defined(EIW_SIMD_NONE)
#include <immintrin.h>
#define EIW_MV_X86 1
__attribute__((target("avx2,fma")))
static void mv_avx2(float *y, const float *X, size_t ldx, const float *coef, size_t cs,
                    int rows, int n, int acc)
{
    /* 8 accumulators: two FMA pipes x 4-cycle latency */
    int j = 0;
    for (; j + 64 <= n; j += 64) {
        __m256 a[8];
        for (int u = 0; u < 8; u++)
            a[u] = acc ? _mm256_loadu_ps(y + j + 8 * u) : _mm256_setzero_ps();
        for (int r = 0; r < rows; r++) {
            __m256 c = _mm256_broadcast_ss(coef + (size_t)r * cs);
            const float *x = X + (size_t)r * ldx + j;
            #pragma GCC unroll 8
            for (int u = 0; u < 8; u++)
                a[u] = _mm256_fmadd_ps(c, _mm256_loadu_ps(x + 8 * u), a[u]);
        }
        for (int u = 0; u < 8; u++)
            _mm256_storeu_ps(y + j + 8 * u, a[u]);
    }
    if (j < n) {
        /* the remaining 1..63 columns: up to 8 vectors, the last one masked */
        int left = n - j, nv = (left + 7) / 8;
        __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(left - 8 * (nv - 1)), lane);
        __m256 a[8];
        for (int u = 0; u < nv; u++) {
            __m256i m = u == nv - 1 ? mask : _mm256_set1_epi32(-1);
            a[u] = acc ? _mm256_maskload_ps(y + j + 8 * u, m) : _mm256_setzero_ps();
        }
        for (int r = 0; r < rows; r++) {
            __m256 c = _mm256_broadcast_ss(coef + (size_t)r * cs);
            const float *x = X + (size_t)r * ldx + j;
            for (int u = 0; u < nv - 1; u++)
                a[u] = _mm256_fmadd_ps(c, _mm256_loadu_ps(x + 8 * u), a[u]);
            a[nv - 1] = _mm256_fmadd_ps(c, _mm256_maskload_ps(x + 8 * (nv - 1), mask), a[nv - 1]);
        }
        for (int u = 0; u < nv - 1; u++)
            _mm256_storeu_ps(y + j + 8 * u, a[u]);
        _mm256_maskstore_ps(y + j + 8 * (nv - 1), mask, a[nv - 1]);
    }
}
#endif

static void mv(float *y, const float *X, size_t ldx, const float *coef, size_t cs,
               int rows, int n, int acc)
{
#ifdef EIW_MV_X86
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        mv_avx2(y, X, ldx, coef, cs, rows, n, acc);
        return;
    }
#endif
    mv_generic(y, X, ldx, coef, cs, rows, n, acc);
}

/* Four rows at once: y[q*ldy + 0..n) (+)= sum_r coef[q*cq + r*cs] * X[r*ldx + 0..n), q < 4.
 * Each loaded X vector feeds four FMAs, so the kernel is no longer bound by loads. AVX-512 with
 * masked tails (16 accumulators); otherwise four mv() calls. */
#ifdef EIW_MV_X86
__attribute__((target("avx512f")))
static void mv4_avx512(float *y, size_t ldy, const float *X, size_t ldx, const float *coef,
                       size_t cq, size_t cs, int rows, int n, int acc)
{
    for (int j = 0; j < n; j += 64) {
        __mmask16 m[4];
        for (int u = 0; u < 4; u++) {
            int left = n - j - 16 * u;
            m[u] = left >= 16 ? (__mmask16)0xFFFF
                              : left <= 0 ? (__mmask16)0 : (__mmask16)((1u << left) - 1u);
        }
        __m512 a[4][4];
        #pragma GCC unroll 4
        for (int q = 0; q < 4; q++)
            #pragma GCC unroll 4
            for (int u = 0; u < 4; u++)
                a[q][u] = acc ? _mm512_maskz_loadu_ps(m[u], y + (size_t)q * ldy + j + 16 * u)
                              : _mm512_setzero_ps();
        for (int r = 0; r < rows; r++) {
            const float *x = X + (size_t)r * ldx + j;
            __m512 xv[4];
            #pragma GCC unroll 4
            for (int u = 0; u < 4; u++)
                xv[u] = _mm512_maskz_loadu_ps(m[u], x + 16 * u);
            #pragma GCC unroll 4
            for (int q = 0; q < 4; q++) {
                __m512 c = _mm512_set1_ps(coef[(size_t)q * cq + (size_t)r * cs]);
                #pragma GCC unroll 4
                for (int u = 0; u < 4; u++)
                    a[q][u] = _mm512_fmadd_ps(c, xv[u], a[q][u]);
            }
        }
        #pragma GCC unroll 4
        for (int q = 0; q < 4; q++)
            #pragma GCC unroll 4
            for (int u = 0; u < 4; u++)
                _mm512_mask_storeu_ps(y + (size_t)q * ldy + j + 16 * u, m[u], a[q][u]);
    }
}
#endif

static void mv4(float *y, size_t ldy, const float *X, size_t ldx, const float *coef, size_t cq,
                size_t cs, int rows, int n, int acc)
{
#ifdef EIW_MV_X86
    if (__builtin_cpu_supports("avx512f")) {
        mv4_avx512(y, ldy, X, ldx, coef, cq, cs, rows, n, acc);
        return;
    }
#endif
    for (int q = 0; q < 4; q++)
        mv(y + (size_t)q * ldy, X, ldx, coef + (size_t)q * cq, cs, rows, n, acc);
}

static void transpose_head(float *dst, const float *src, int T, int C3, int hs)
{
    /* dst (hs, T) <- src rows t at stride C3, columns 0..hs-1 */
    for (int t = 0; t < T; t++)
        for (int i = 0; i < hs; i++)
            dst[(size_t)i * T + t] = src[(size_t)t * C3 + i];
}

size_t eiw_attention_scratch_size(int B, int T, int C, int NH)
{
    size_t hs = (size_t)(C / NH), t = (size_t)T, w = t > hs ? t : hs;
    return (size_t)B * NH * (hs * t + 4 * w + t * t);
}

/* Softmax of one score row in place: ALiBi bias, causal (n = t+1 keys), zeros beyond. */
static void alibi_softmax_row(float *a, int t, int T, float slope)
{
    int n = t + 1;
    float maxv = -INFINITY;
    for (int t2 = 0; t2 < n; t2++) {
        a[t2] -= slope * (float)(t - t2);
        maxv = a[t2] > maxv ? a[t2] : maxv;
    }
    float sum = 0.0f;
    for (int t2 = 0; t2 < n; t2++) {
        float e = expf(a[t2] - maxv);
        a[t2] = e;
        sum += e;
    }
    float inv = 1.0f / sum;
    for (int t2 = 0; t2 < n; t2++)
        a[t2] *= inv;
    for (int t2 = n; t2 < T; t2++)
        a[t2] = 0.0f;
}

/* Per (b,h): S = (Q/sqrt(hs)) K^T - ALiBi, causal softmax, O = P V; queries four at a time. */
void eiw_attention_forward(float *out, float *att, float *scratch, const float *qkv,
                           int B, int T, int C, int NH)
{
    int C3 = 3 * C, hs = C / NH;
    size_t per = eiw_attention_scratch_size(1, T, C, NH) / (size_t)NH;
    float scale = 1.0f / sqrtf((float)hs);
    #pragma omp parallel for collapse(2) schedule(static)
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++) {
            float slope = eiw_alibi_slope(h, NH);
            const float *base = qkv + (size_t)b * T * C3;
            float *kt = scratch + ((size_t)b * NH + h) * per;   /* (hs, T) */
            float *qs = kt + (size_t)hs * T;                    /* (4, hs) */
            float *ob = out + (size_t)b * T * C + h * hs;
            float *ab = att + ((size_t)b * NH + h) * T * T;
            transpose_head(kt, base + C + h * hs, T, C3, hs);
            for (int t0 = 0; t0 < T; t0 += 4) {
                int nq = T - t0 < 4 ? T - t0 : 4;
                for (int q = 0; q < nq; q++)
                    for (int i = 0; i < hs; i++)
                        qs[q * hs + i] = base[(size_t)(t0 + q) * C3 + h * hs + i] * scale;
                float *a0 = ab + (size_t)t0 * T;
                if (nq == 4)
                    mv4(a0, (size_t)T, kt, (size_t)T, qs, (size_t)hs, 1, hs, t0 + 4, 0);
                else
                    for (int q = 0; q < nq; q++)
                        mv(a0 + (size_t)q * T, kt, (size_t)T, qs + q * hs, 1, hs, t0 + q + 1, 0);
                for (int q = 0; q < nq; q++)
                    alibi_softmax_row(a0 + (size_t)q * T, t0 + q, T, slope);
                if (nq == 4)
                    mv4(ob + (size_t)t0 * C, (size_t)C, base + 2 * C + h * hs, (size_t)C3, a0,
                        (size_t)T, 1, t0 + 4, hs, 0);
                else
                    for (int q = 0; q < nq; q++)
                        mv(ob + (size_t)(t0 + q) * C, base + 2 * C + h * hs, (size_t)C3,
                           a0 + (size_t)q * T, 1, t0 + q + 1, hs, 0);
            }
        }
}

/* Per (b,h): dA = dO V^T, dS = P*(dA - rowsum(P*dA))/sqrt(hs), dQ = dS K, dK = dS^T Q,
 * dV = P^T dO, four rows at a time. One task per (b,h): writes stay in its slice of dqkv.
 * P and dS are zero above the diagonal, so blocks may run past a row's last key. */
void eiw_attention_backward(float *dqkv, float *scratch, const float *dout, const float *qkv,
                            const float *att, int B, int T, int C, int NH)
{
    int C3 = 3 * C, hs = C / NH;
    size_t per = eiw_attention_scratch_size(1, T, C, NH) / (size_t)NH;
    float scale = 1.0f / sqrtf((float)hs);
    #pragma omp parallel for collapse(2) schedule(static)
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++) {
            size_t bh = (size_t)b * NH + h;
            float *vt = scratch + bh * per;              /* (hs, T) */
            float *da = vt + (size_t)hs * T;             /* (4, T) */
            float *ds = da + 4 * (size_t)(T > hs ? T : hs);   /* (T, T) */
            const float *base = qkv + (size_t)b * T * C3;
            float *dbase = dqkv + (size_t)b * T * C3;
            const float *p = att + bh * T * T;
            const float *go = dout + (size_t)b * T * C + h * hs;
            transpose_head(vt, base + 2 * C + h * hs, T, C3, hs);
            for (int t0 = 0; t0 < T; t0 += 4) {
                int nq = T - t0 < 4 ? T - t0 : 4;
                if (nq == 4)
                    mv4(da, (size_t)T, vt, (size_t)T, go + (size_t)t0 * C, (size_t)C, 1, hs, t0 + 4, 0);
                else
                    for (int q = 0; q < nq; q++)
                        mv(da + (size_t)q * T, vt, (size_t)T, go + (size_t)(t0 + q) * C, 1, hs,
                           t0 + q + 1, 0);
                for (int q = 0; q < nq; q++) {
                    int t = t0 + q, n = t + 1;
                    const float *a = p + (size_t)t * T;
                    const float *dq_a = da + (size_t)q * T;
                    float *d = ds + (size_t)t * T;
                    float dsum = 0.0f;
                    for (int t2 = 0; t2 < n; t2++)
                        dsum += a[t2] * dq_a[t2];
                    for (int t2 = 0; t2 < n; t2++)
                        d[t2] = a[t2] * (dq_a[t2] - dsum) * scale;
                    for (int t2 = n; t2 < T; t2++)
                        d[t2] = 0.0f;
                }
                float *dq = dbase + (size_t)t0 * C3 + h * hs;
                if (nq == 4)
                    mv4(dq, (size_t)C3, base + C + h * hs, (size_t)C3, ds + (size_t)t0 * T,
                        (size_t)T, 1, t0 + 4, hs, 1);
                else
                    for (int q = 0; q < nq; q++)
                        mv(dq + (size_t)q * C3, base + C + h * hs, (size_t)C3,
                           ds + (size_t)(t0 + q) * T, 1, t0 + q + 1, hs, 1);
            }
            /* key/value rows t2..t2+3 collect from queries t >= t2 (columns of dS and P) */
            for (int t2 = 0; t2 < T; t2 += 4) {
                int nk = T - t2 < 4 ? T - t2 : 4, rows = T - t2;
                float *dk = dbase + (size_t)t2 * C3 + C + h * hs;
                float *dv = dbase + (size_t)t2 * C3 + 2 * C + h * hs;
                const float *qrows = base + (size_t)t2 * C3 + h * hs;
                const float *grows = go + (size_t)t2 * C;
                const float *dcol = ds + (size_t)t2 * T + t2, *pcol = p + (size_t)t2 * T + t2;
                if (nk == 4) {
                    mv4(dk, (size_t)C3, qrows, (size_t)C3, dcol, 1, (size_t)T, rows, hs, 1);
                    mv4(dv, (size_t)C3, grows, (size_t)C, pcol, 1, (size_t)T, rows, hs, 1);
                } else {
                    for (int q = 0; q < nk; q++) {
                        mv(dk + (size_t)q * C3, qrows, (size_t)C3, dcol + q, (size_t)T, rows, hs, 1);
                        mv(dv + (size_t)q * C3, grows, (size_t)C, pcol + q, (size_t)T, rows, hs, 1);
                    }
                }
            }
        }
}

/* ---------------- pointwise ---------------- */
EIW_VEC
void eiw_relu_forward(float *out, const float *inp, size_t n)
{
    #pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; i++)
        out[i] = inp[i] > 0.0f ? inp[i] : 0.0f;
}

EIW_VEC
void eiw_relu_backward(float *dinp, const float *dout, const float *inp, size_t n)
{
    #pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; i++)
        dinp[i] = inp[i] > 0.0f ? dout[i] : 0.0f;
}

EIW_VEC
void eiw_residual_forward(float *out, const float *a, const float *b, size_t n)
{
    #pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; i++)
        out[i] = a[i] + b[i];
}

/* ---------------- softmax + cross-entropy ---------------- */
static void softmax_row(float *p, int V)
{
    float maxv = -INFINITY;
    for (int v = 0; v < V; v++)
        if (p[v] > maxv)
            maxv = p[v];
    float sum = 0.0f;
    for (int v = 0; v < V; v++) {
        p[v] = expf(p[v] - maxv);
        sum += p[v];
    }
    float inv = 1.0f / sum;
    for (int v = 0; v < V; v++)
        p[v] *= inv;
}

static float neg_log(float p)
{
    /* a probability that underflowed to 0 must not give inf: clamp at the float minimum */
    return -logf(p > 1e-30f ? p : 1e-30f);
}

EIW_VEC
void eiw_xent_forward(float *probs, float *losses, const int *targets, int N, int V)
{
    #pragma omp parallel for schedule(static)
    for (int n = 0; n < N; n++) {
        float *p = probs + (size_t)n * V;
        softmax_row(p, V);
        losses[n] = neg_log(p[targets[n]]);
    }
}

EIW_VEC
void eiw_patch_xent_forward(float *probs, float *losses, const int *targets, int N, int V, int K)
{
    float invk = 1.0f / (float)K;
    #pragma omp parallel for schedule(static)
    for (int n = 0; n < N; n++) {
        float *p = probs + (size_t)n * V;
        softmax_row(p, V);
        const int *tg = targets + (size_t)n * K;
        float l = neg_log(p[tg[0]]);
        for (int k = 1; k < K; k++)
            l += neg_log(p[tg[k]]);
        losses[n] = l * invk;
    }
}

EIW_VEC
void eiw_xent_backward(float *probs, const int *targets, int N, int V, float scale)
{
    #pragma omp parallel for schedule(static)
    for (int n = 0; n < N; n++) {
        float *p = probs + (size_t)n * V;
        p[targets[n]] -= 1.0f;
        for (int v = 0; v < V; v++)
            p[v] *= scale;
    }
}

EIW_VEC
void eiw_patch_xent_backward(float *probs, const int *targets, int N, int V, int K, float scale)
{
    float invk = 1.0f / (float)K;
    #pragma omp parallel for schedule(static)
    for (int n = 0; n < N; n++) {
        float *p = probs + (size_t)n * V;
        for (int k = 0; k < K; k++)
            p[targets[(size_t)n * K + k]] -= invk;
        for (int v = 0; v < V; v++)
            p[v] *= scale;
    }
}

/* ---------------- model ---------------- */
int eiw_model_config_check(const eiw_model_config *c)
{
    if (!c || c->vocab < 2 || c->vocab > 1 << 20 || c->ctx < 1 || c->ctx > 1 << 16 ||
        c->d_model < 1 || c->d_model > 1 << 14 || c->n_heads < 1 || c->n_heads > c->d_model ||
        c->d_model % c->n_heads != 0 || c->n_layers < 1 || c->n_layers > 256 ||
        c->d_ff < 1 || c->d_ff > 1 << 16)
        return EIW_TRAIN_ERR_CONFIG;
    return EIW_TRAIN_OK;
}

size_t eiw_model_param_sizes(const eiw_model_config *cfg, size_t s[EIW_NUM_PARAM_TENSORS])
{
    if (eiw_model_config_check(cfg) != EIW_TRAIN_OK)
        return 0;
    /* all factors are bounded by the check above, so none of these overflow 64 bits */
    size_t V = (size_t)cfg->vocab, C = (size_t)cfg->d_model, L = (size_t)cfg->n_layers,
           F = (size_t)cfg->d_ff;
    s[0] = V * C; s[1] = L * C; s[2] = L * 3 * C * C; s[3] = L * C * C; s[4] = L * C;
    s[5] = L * F * C; s[6] = L * C * F; s[7] = C; s[8] = V * C;
    size_t n = 0;
    for (int i = 0; i < EIW_NUM_PARAM_TENSORS; i++)
        n += s[i];
    return n;
}

int64_t eiw_model_num_params(const eiw_model_config *cfg)
{
    size_t s[EIW_NUM_PARAM_TENSORS];
    return (int64_t)eiw_model_param_sizes(cfg, s);
}

int64_t eiw_model_num_nonembed_params(const eiw_model_config *cfg)
{
    size_t s[EIW_NUM_PARAM_TENSORS];
    size_t n = eiw_model_param_sizes(cfg, s);
    return n ? (int64_t)(n - s[0] - s[8]) : 0;
}

double eiw_model_train_flops_per_token(const eiw_model_config *c, int32_t T)
{
    double C = c->d_model, F = c->d_ff, L = c->n_layers, V = c->vocab;
    double dense = L * (4.0 * C * C + 2.0 * C * F) + C * V;
    /* causal attention: QK^T and AV over (T+1)/2 keys on average */
    double attn = L * 2.0 * C * ((double)T + 1.0) / 2.0;
    return 3.0 * 2.0 * (dense + attn);
}

void eiw_transformer_point(eiw_param_tensors *t, float *mem, const size_t s[EIW_NUM_PARAM_TENSORS])
{
    float **ptrs[EIW_NUM_PARAM_TENSORS] = {&t->wte, &t->ln1w, &t->qkvw, &t->attprojw, &t->ln2w,
                                           &t->fcw, &t->fcprojw, &t->lnfw, &t->wlm};
    for (int i = 0; i < EIW_NUM_PARAM_TENSORS; i++) {
        *ptrs[i] = mem;
        mem += s[i];
    }
}

static size_t acts_layout(eiw_acts *a, float *mem, const eiw_model_config *c, size_t B, size_t T)
{
    size_t C = (size_t)c->d_model, L = (size_t)c->n_layers, NH = (size_t)c->n_heads,
           F = (size_t)c->d_ff, V = (size_t)c->vocab, BT = B * T;
    size_t sizes[] = {BT * C, L * BT * C, L * BT, L * BT * 3 * C, L * BT * C, L * B * NH * T * T,
                      L * BT * C, L * BT * C, L * BT, L * BT * F, L * BT * F, L * BT * C,
                      BT * C, BT, BT * V, BT, BT * C, BT * C, BT * F, BT * 3 * C,
                      eiw_attention_scratch_size((int)B, (int)T, c->d_model, c->n_heads)};
    float **ptrs[] = {&a->encoded, &a->ln1, &a->ln1_rstd, &a->qkv, &a->atty, &a->att,
                      &a->residual2, &a->ln2, &a->ln2_rstd, &a->fch, &a->fch_relu, &a->residual3,
                      &a->lnf, &a->lnf_rstd, &a->probs, &a->losses, &a->dresidual, &a->dbtc,
                      &a->dbtf, &a->dqkv, &a->datt};
    size_t n = 0;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        if (mem)
            *ptrs[i] = mem + n;
        n += sizes[i];
    }
    return n;
}

int eiw_transformer_init(eiw_transformer *m, const eiw_model_config *cfg, int B, int T)
{
    memset(m, 0, sizeof *m);
    m->n_params = eiw_model_param_sizes(cfg, m->param_sizes);
    if (!m->n_params || B < 1 || T < 1 || B > 1 << 16 || T > cfg->ctx)
        return EIW_TRAIN_ERR_CONFIG;
    m->cfg = *cfg;
    m->B = B;
    m->T = T;
    eiw_acts tmp;
    /* activation count: guard the product before allocating (B*NH*T*T*L dominates) */
    double est = (double)B * T * ((double)cfg->n_heads * T * cfg->n_layers +
                                  (double)cfg->d_model * 16 * cfg->n_layers +
                                  (double)cfg->d_ff * 3 * cfg->n_layers + cfg->vocab);
    if (est > (double)((size_t)1 << 36))
        return EIW_TRAIN_ERR_CONFIG;
    size_t na = acts_layout(&tmp, NULL, cfg, (size_t)B, (size_t)T);
    m->params_mem = calloc(m->n_params, sizeof(float));
    m->grads_mem = calloc(m->n_params, sizeof(float));
    m->acts_mem = malloc(na * sizeof(float));
    if (!m->params_mem || !m->grads_mem || !m->acts_mem) {
        eiw_transformer_free(m);
        return EIW_TRAIN_ERR_NOMEM;
    }
    eiw_transformer_point(&m->params, m->params_mem, m->param_sizes);
    eiw_transformer_point(&m->grads, m->grads_mem, m->param_sizes);
    acts_layout(&m->acts, m->acts_mem, cfg, (size_t)B, (size_t)T);
    return EIW_TRAIN_OK;
}

void eiw_transformer_free(eiw_transformer *m)
{
    if (!m)
        return;
    free(m->params_mem);
    free(m->grads_mem);
    free(m->acts_mem);
    memset(m, 0, sizeof *m);
}

void eiw_transformer_init_weights(eiw_transformer *m, uint64_t seed)
{
    uint64_t st = seed ^ 0x5EED0F1A17ull;
    size_t *s = m->param_sizes;
    float resid = 0.02f / sqrtf(2.0f * (float)m->cfg.n_layers);
    float std[EIW_NUM_PARAM_TENSORS] = {0.02f, 0, 0.02f, resid, 0, 0.02f, resid, 0, 0.02f};
    float *p = m->params_mem;
    for (int i = 0; i < EIW_NUM_PARAM_TENSORS; i++) {
        for (size_t j = 0; j < s[i]; j++)
            p[j] = std[i] > 0.0f ? std[i] * eiw_rng_normal(&st) : 1.0f;
        p += s[i];
    }
}

void eiw_transformer_forward(eiw_transformer *m, const int *inputs, const int *targets,
                             int B, int T, int K, int force_patch)
{
    const eiw_model_config *c = &m->cfg;
    int C = c->d_model, L = c->n_layers, NH = c->n_heads, F = c->d_ff, V = c->vocab, BT = B * T;
    eiw_param_tensors *p = &m->params;
    eiw_acts *a = &m->acts;
    int patch = K > 1 || force_patch;

    if (patch)
        eiw_patch_encoder_forward(a->encoded, inputs, p->wte, B, T, C, K);
    else
        eiw_encoder_forward(a->encoded, inputs, p->wte, B, T, C);

    float *residual = a->encoded;
    for (int l = 0; l < L; l++) {
        size_t btc = (size_t)l * BT * C;
        float *ln1 = a->ln1 + btc, *ln1r = a->ln1_rstd + (size_t)l * BT;
        float *qkv = a->qkv + 3 * btc, *atty = a->atty + btc;
        float *att = a->att + (size_t)l * B * NH * T * T;
        float *res2 = a->residual2 + btc, *ln2 = a->ln2 + btc, *ln2r = a->ln2_rstd + (size_t)l * BT;
        float *fch = a->fch + (size_t)l * BT * F, *fchr = a->fch_relu + (size_t)l * BT * F;
        float *res3 = a->residual3 + btc;

        eiw_rmsnorm_forward(ln1, ln1r, residual, p->ln1w + (size_t)l * C, BT, C);
        eiw_mm_forward(qkv, ln1, p->qkvw + (size_t)l * 3 * C * C, BT, C, 3 * C);
        eiw_attention_forward(atty, att, a->datt, qkv, B, T, C, NH);
        eiw_mm_forward(a->dbtc, atty, p->attprojw + (size_t)l * C * C, BT, C, C);
        eiw_residual_forward(res2, residual, a->dbtc, (size_t)BT * C);
        eiw_rmsnorm_forward(ln2, ln2r, res2, p->ln2w + (size_t)l * C, BT, C);
        eiw_mm_forward(fch, ln2, p->fcw + (size_t)l * F * C, BT, C, F);
        eiw_relu_forward(fchr, fch, (size_t)BT * F);
        eiw_mm_forward(a->dbtc, fchr, p->fcprojw + (size_t)l * C * F, BT, F, C);
        eiw_residual_forward(res3, res2, a->dbtc, (size_t)BT * C);
        residual = res3;
    }
    eiw_rmsnorm_forward(a->lnf, a->lnf_rstd, residual, p->lnfw, BT, C);
    eiw_mm_forward(a->probs, a->lnf, p->wlm, BT, C, V);
    if (!targets) {
        for (int n = 0; n < BT; n++)
            softmax_row(a->probs + (size_t)n * V, V);
        return;
    }
    if (patch)
        eiw_patch_xent_forward(a->probs, a->losses, targets, BT, V, K);
    else
        eiw_xent_forward(a->probs, a->losses, targets, BT, V);
    double sum = 0.0;
    for (int n = 0; n < BT; n++)
        sum += (double)a->losses[n];
    m->mean_loss = sum / BT;
}

void eiw_transformer_backward(eiw_transformer *m, const int *inputs, const int *targets,
                              int B, int T, int K, int force_patch)
{
    eiw_transformer_backward_scaled(m, inputs, targets, B, T, K, force_patch,
                                    1.0f / (float)(B * T));
}

void eiw_transformer_backward_scaled(eiw_transformer *m, const int *inputs, const int *targets,
                                     int B, int T, int K, int force_patch, float scale)
{
    const eiw_model_config *c = &m->cfg;
    int C = c->d_model, L = c->n_layers, NH = c->n_heads, F = c->d_ff, V = c->vocab, BT = B * T;
    eiw_param_tensors *p = &m->params, *g = &m->grads;
    eiw_acts *a = &m->acts;
    int patch = K > 1 || force_patch;
    size_t nbtc = (size_t)BT * C;

    memset(m->grads_mem, 0, m->n_params * sizeof(float));
    if (patch)
        eiw_patch_xent_backward(a->probs, targets, BT, V, K, scale);
    else
        eiw_xent_backward(a->probs, targets, BT, V, scale);
    float *dlogits = a->probs;

    float *dbtc = a->dbtc, *dres = a->dresidual;
    eiw_mm_backward_input_set(dbtc, dlogits, p->wlm, BT, C, V);
    eiw_mm_backward_weight(g->wlm, dlogits, a->lnf, BT, C, V);
    memset(dres, 0, nbtc * sizeof(float));
    eiw_rmsnorm_backward(dres, g->lnfw, dbtc, a->residual3 + (size_t)(L - 1) * nbtc, p->lnfw,
                         a->lnf_rstd, BT, C);

    for (int l = L - 1; l >= 0; l--) {
        size_t btc = (size_t)l * nbtc;
        float *residual = l == 0 ? a->encoded : a->residual3 + btc - nbtc;
        float *ln1 = a->ln1 + btc, *ln1r = a->ln1_rstd + (size_t)l * BT;
        float *qkv = a->qkv + 3 * btc, *atty = a->atty + btc;
        float *att = a->att + (size_t)l * B * NH * T * T;
        float *res2 = a->residual2 + btc, *ln2 = a->ln2 + btc, *ln2r = a->ln2_rstd + (size_t)l * BT;
        float *fch = a->fch + (size_t)l * BT * F, *fchr = a->fch_relu + (size_t)l * BT * F;

        /* MLP: res3 = res2 + W2 relu(W1 ln2(res2)) */
        eiw_mm_backward_input_set(a->dbtf, dres, p->fcprojw + (size_t)l * C * F, BT, F, C);
        eiw_mm_backward_weight(g->fcprojw + (size_t)l * C * F, dres, fchr, BT, F, C);
        eiw_relu_backward(a->dbtf, a->dbtf, fch, (size_t)BT * F);
        eiw_mm_backward_input_set(dbtc, a->dbtf, p->fcw + (size_t)l * F * C, BT, C, F);
        eiw_mm_backward_weight(g->fcw + (size_t)l * F * C, a->dbtf, ln2, BT, C, F);
        eiw_rmsnorm_backward(dres, g->ln2w + (size_t)l * C, dbtc, res2, p->ln2w + (size_t)l * C,
                             ln2r, BT, C);
        /* attention: res2 = residual + Wo attn(Wqkv ln1(residual)) */
        eiw_mm_backward_input_set(dbtc, dres, p->attprojw + (size_t)l * C * C, BT, C, C);
        eiw_mm_backward_weight(g->attprojw + (size_t)l * C * C, dres, atty, BT, C, C);
        memset(a->dqkv, 0, 3 * nbtc * sizeof(float));
        eiw_attention_backward(a->dqkv, a->datt, dbtc, qkv, att, B, T, C, NH);
        eiw_mm_backward_input_set(dbtc, a->dqkv, p->qkvw + (size_t)l * 3 * C * C, BT, C, 3 * C);
        eiw_mm_backward_weight(g->qkvw + (size_t)l * 3 * C * C, a->dqkv, ln1, BT, C, 3 * C);
        eiw_rmsnorm_backward(dres, g->ln1w + (size_t)l * C, dbtc, residual, p->ln1w + (size_t)l * C,
                             ln1r, BT, C);
    }
    if (patch)
        eiw_patch_encoder_backward(g->wte, dres, inputs, B, T, C, K);
    else
        eiw_encoder_backward(g->wte, dres, inputs, B, T, C);
}
