/* Exact int8 matrix products for integer inference: out (P, R) int32 = A (P, K) int8 times
 * W (R, K) int8 transposed. Every path (portable scalar, AVX2, AVX-512 VNNI) computes the same
 * exact integer sums, so results never depend on the machine, the build or the thread count. */
#ifndef EIW_QKERNELS_H
#define EIW_QKERNELS_H
#include <stddef.h>
#include <stdint.h>

/* Weights in the layout the kernels read, made once at model load. */
typedef struct {
    int R, K;            /* rows (outputs), columns (inputs); K a multiple of 4 */
    int8_t *w;           /* (R, K) row-major, for the scalar and AVX2 paths */
    int8_t *w4;          /* (K/4, Rpad, 4): 4 consecutive inputs of 16 rows, for VNNI */
    int32_t *rowsum;     /* (R) sum of each row, to undo the +128 activation offset */
    int Rpad;            /* R rounded up to 16 */
} eiw_qmat;

typedef enum { EIW_KERNEL_SCALAR = 0, EIW_KERNEL_AVX2 = 1, EIW_KERNEL_AVX512VNNI = 2 } eiw_kernel;

/* The kernel this process uses: the best the CPU supports, or scalar when built with
 * EIW_SIMD_NONE or when the environment variable EIW_SIMD=none is set. */
eiw_kernel eiw_kernel_active(void);
const char *eiw_kernel_name(eiw_kernel k);
/* Forces a kernel (tests compare all paths); returns the previous one. Not thread-safe. */
eiw_kernel eiw_kernel_force(eiw_kernel k);

int eiw_qmat_init(eiw_qmat *m, const int8_t *w, int R, int K);   /* copies w; 0 ok, -1 nomem */
void eiw_qmat_free(eiw_qmat *m);

/* out[p*R + r] = sum_k a[p*K + k] * w[r*K + k], rows r in [r0, r1). a values in [-127, 127]. */
void eiw_qgemm(const eiw_qmat *m, const int8_t *a, int P, int32_t *out, int r0, int r1);
#endif
