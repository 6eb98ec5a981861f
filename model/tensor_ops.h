/* Dense kernels shared by the transformer layers: the three matrix products of a linear layer.
 * BLAS (OpenBLAS cblas_sgemm) by default; a portable OpenMP path for builds or runs without it.
 * Row-major throughout; weights are stored (OC, IC) like torch.nn.Linear. */
#ifndef EIW_TENSOR_OPS_H
#define EIW_TENSOR_OPS_H

#include <stddef.h>

/* out (N,OC) = inp (N,IC) @ w(OC,IC)^T, overwriting out. */
void eiw_mm_forward(float *out, const float *inp, const float *w, int N, int IC, int OC);
/* dinp (N,IC) += dout (N,OC) @ w (OC,IC). */
void eiw_mm_backward_input(float *dinp, const float *dout, const float *w, int N, int IC, int OC);
/* dinp (N,IC) = dout (N,OC) @ w (OC,IC), overwriting dinp. */
void eiw_mm_backward_input_set(float *dinp, const float *dout, const float *w, int N, int IC, int OC);
/* dw (OC,IC) += dout(N,OC)^T @ inp (N,IC). */
void eiw_mm_backward_weight(float *dw, const float *dout, const float *inp, int N, int IC, int OC);

/* 1: use BLAS (default when built with it), 0: portable path. Returns the previous setting.
 * Process-wide; meant for tests and benchmarks. */
int eiw_ops_use_blas(int on);
/* Sets OpenMP (and OpenBLAS) thread counts; n <= 0 leaves them unchanged. */
void eiw_ops_set_threads(int n);

#endif
