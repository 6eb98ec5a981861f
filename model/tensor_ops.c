/* Matrix products for the linear layers: cblas_sgemm when available, else blocked OpenMP loops.
 * The portable path is deterministic for any thread count (each output element is summed by one
 * thread in a fixed order); the BLAS path is deterministic for a fixed thread count. */
#include "model/tensor_ops.h"

#include <omp.h>
#include <string.h>

#ifndef EIW_NO_BLAS
#include <cblas.h>
static int use_blas = 1;
#else
static int use_blas = 0;
#endif

int eiw_ops_use_blas(int on)
{
    int prev = use_blas;
#ifndef EIW_NO_BLAS
    use_blas = on ? 1 : 0;
#else
    (void)on;
#endif
    return prev;
}

void eiw_ops_set_threads(int n)
{
    if (n <= 0)
        return;
    omp_set_num_threads(n);
#ifndef EIW_NO_BLAS
    openblas_set_num_threads(n);
#endif
}

static void mm_forward_portable(float *out, const float *inp, const float *w, int N, int IC, int OC)
{
    #pragma omp parallel for schedule(static)
    for (int n = 0; n < N; n++) {
        const float *x = inp + (size_t)n * IC;
        float *o = out + (size_t)n * OC;
        for (int oc = 0; oc < OC; oc++) {
            const float *wr = w + (size_t)oc * IC;
            float s = 0.0f;
            #pragma omp simd reduction(+:s)
            for (int i = 0; i < IC; i++)
                s += x[i] * wr[i];
            o[oc] = s;
        }
    }
}

static void mm_backward_input_portable(float *dinp, const float *dout, const float *w,
                                       int N, int IC, int OC, int set)
{
    #pragma omp parallel for schedule(static)
    for (int n = 0; n < N; n++) {
        float *dx = dinp + (size_t)n * IC;
        const float *d = dout + (size_t)n * OC;
        if (set)
            memset(dx, 0, (size_t)IC * sizeof(float));
        for (int oc = 0; oc < OC; oc++) {
            const float *wr = w + (size_t)oc * IC;
            float g = d[oc];
            #pragma omp simd
            for (int i = 0; i < IC; i++)
                dx[i] += g * wr[i];
        }
    }
}

static void mm_backward_weight_portable(float *dw, const float *dout, const float *inp,
                                        int N, int IC, int OC)
{
    #pragma omp parallel for schedule(static)
    for (int oc = 0; oc < OC; oc++) {
        float *dwr = dw + (size_t)oc * IC;
        for (int n = 0; n < N; n++) {
            float g = dout[(size_t)n * OC + oc];
            const float *x = inp + (size_t)n * IC;
            #pragma omp simd
            for (int i = 0; i < IC; i++)
                dwr[i] += g * x[i];
        }
    }
}

void eiw_mm_forward(float *out, const float *inp, const float *w, int N, int IC, int OC)
{
#ifndef EIW_NO_BLAS
    if (use_blas) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, OC, IC,
                    1.0f, inp, IC, w, IC, 0.0f, out, OC);
        return;
    }
#endif
    mm_forward_portable(out, inp, w, N, IC, OC);
}

static void mm_backward_input(float *dinp, const float *dout, const float *w, int N, int IC,
                              int OC, int set)
{
#ifndef EIW_NO_BLAS
    if (use_blas) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, IC, OC,
                    1.0f, dout, OC, w, IC, set ? 0.0f : 1.0f, dinp, IC);
        return;
    }
#endif
    mm_backward_input_portable(dinp, dout, w, N, IC, OC, set);
}

void eiw_mm_backward_input(float *dinp, const float *dout, const float *w, int N, int IC, int OC)
{
    mm_backward_input(dinp, dout, w, N, IC, OC, 0);
}

void eiw_mm_backward_input_set(float *dinp, const float *dout, const float *w, int N, int IC, int OC)
{
    mm_backward_input(dinp, dout, w, N, IC, OC, 1);
}

void eiw_mm_backward_weight(float *dw, const float *dout, const float *inp, int N, int IC, int OC)
{
#ifndef EIW_NO_BLAS
    if (use_blas) {
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, OC, IC, N,
                    1.0f, dout, OC, inp, IC, 1.0f, dw, IC);
        return;
    }
#endif
    mm_backward_weight_portable(dw, dout, inp, N, IC, OC);
}
