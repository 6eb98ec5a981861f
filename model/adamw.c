/* AdamW (Loshchilov & Hutter) with bias correction, and the gradient norm used for clipping.
 * Elementwise, so any parallel split gives the same bits. */
#include "model/adamw.h"

#include <math.h>

#define NORM_CHUNKS 64

#if (defined(__x86_64__) || defined(__i386__)) && !defined(EIW_SIMD_NONE) && !defined(__clang__)
#define EIW_VEC __attribute__((target_clones("avx2", "default")))
#else
#define EIW_VEC
#endif

double eiw_grad_norm(const float *g, size_t n)
{
    double part[NORM_CHUNKS];
    size_t chunk = (n + NORM_CHUNKS - 1) / NORM_CHUNKS;
    #pragma omp parallel for schedule(static)
    for (int c = 0; c < NORM_CHUNKS; c++) {
        size_t lo = (size_t)c * chunk, hi = lo + chunk < n ? lo + chunk : n;
        double s = 0.0;
        for (size_t i = lo; i < hi; i++)
            s += (double)g[i] * (double)g[i];
        part[c] = s;
    }
    double s = 0.0;
    for (int c = 0; c < NORM_CHUNKS; c++)
        s += part[c];
    return sqrt(s);
}

EIW_VEC
void eiw_adamw_update(float *p, const float *g, float *m, float *v, size_t n, float gscale,
                      float lr, float beta1, float beta2, float eps, float wd, int64_t t)
{
    float bc1 = 1.0f - powf(beta1, (float)t), bc2 = 1.0f - powf(beta2, (float)t);
    #pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; i++) {
        float gi = g[i] * gscale;
        float mi = beta1 * m[i] + (1.0f - beta1) * gi;
        float vi = beta2 * v[i] + (1.0f - beta2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        float mhat = mi / bc1, vhat = vi / bc2;
        p[i] -= lr * (mhat / (sqrtf(vhat) + eps) + wd * p[i]);
    }
}
