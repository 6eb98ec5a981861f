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
    uint8_t *w4;         /* (K/4, Rpad, 4): 4 consecutive inputs of 16 rows, + 128, for VNNI
                          * (unsigned operand of vpdpbusd; 128 for the padding rows) */
    int8_t *w2;          /* (K/2, Rpad8, 2): 2 consecutive inputs of 8 rows, for AVX2 */
    int Rpad;            /* R rounded up to 16 */
    int Rpad8;           /* R rounded up to 16 too: the AVX2 tiles read 2 blocks of 8 */
} eiw_qmat;

typedef enum { EIW_KERNEL_SCALAR = 0, EIW_KERNEL_AVX2 = 1, EIW_KERNEL_AVX512VNNI = 2 } eiw_kernel;
#define EIW_KERNEL_COUNT 3

/* Nonzero when this build and this CPU can run kernel k: scalar always; AVX2 and AVX-512 VNNI
 * only in x86-64 builds without EIW_SIMD_NONE, on a CPU that reports the instructions
 * (__builtin_cpu_supports, the same check that picks the default kernel). Thread-safe. */
int eiw_kernel_supported(eiw_kernel k);
/* The kernel this process uses: the one the environment variable EIW_SIMD names (none or
 * scalar, avx2, avx512) when this CPU and build support it, else the best they support.
 * Thread-safe. */
eiw_kernel eiw_kernel_active(void);
/* NULL when EIW_SIMD is unset, empty or honoured; else why it was not (an unknown name, or a
 * kernel the CPU or the build lacks), for the program to report. Thread-safe. */
const char *eiw_kernel_env_problem(void);
/* "none"/"scalar", "avx2", "avx512"/"avx512-vnni" -> *k: 0, or -1 for any other name. */
int eiw_kernel_parse(const char *name, eiw_kernel *k);
const char *eiw_kernel_name(eiw_kernel k);
/* Forces a kernel (tests compare all paths); returns the previous one. k must be supported
 * (eiw_kernel_supported): forcing one the CPU lacks is a programmer error. Not thread-safe. */
eiw_kernel eiw_kernel_force(eiw_kernel k);

#define EIW_QMAT_KMAX 8192   /* inputs per row at most */
/* Copies w; 0 ok, -1 nomem (or K not a multiple of 4, or over EIW_QMAT_KMAX). */
int eiw_qmat_init(eiw_qmat *m, const int8_t *w, int R, int K);
void eiw_qmat_free(eiw_qmat *m);

/* out[p*R + r] = sum_k a[p*K + k] * w[r*K + k], rows r in [r0, r1). a values in [-127, 127]. */
void eiw_qgemm(const eiw_qmat *m, const int8_t *a, int P, int32_t *out, int r0, int r1);
/* out[r] = clamp(round(acc[r] * mult[r] * 2^-(shift[r] - e_off)), +-2^30), rounding half up
 * (floor of v + half); shift[r] - e_off in [1, 62]. out may equal acc. */
void eiw_requant(const int32_t *acc, const int32_t *mult, const int8_t *shift, int R, int e_off,
                 int32_t *out);
/* int32 -> int8 with one power-of-two scale: q = clamp(round(y / 2^k), +-127), k >= 0 the least
 * shift that brings max |y| under 128. Returns k. */
int eiw_quant8(const int32_t *y, int n, int8_t *q);
/* 2^23 * 2^(-f/256) for f = 0..255, rounded: the only table exp() of the integer model uses. */
extern const uint32_t eiw_exp2_neg_q23[256];
#define EIW_LOG2E_Q16 94548   /* log2(e) * 2^16, the base change before that table */

/* v * 2^-s rounded half up: floor((v + 2^(s-1)) / 2^s) for s > 0, without relying on how >>
 * treats negative numbers; s <= 0 multiplies by 2^-s. The rounding of every path. */
static inline int64_t eiw_rshr(int64_t v, int s)
{
    if (s <= 0)
        return v * ((int64_t)1 << -s);
    int64_t q = v + ((int64_t)1 << (s - 1));
    return q >= 0 ? q >> s : -((-q + ((int64_t)1 << s) - 1) >> s);
}

/* Elementwise steps of the forward pass (exact on every path):
 * x = clamp(x + y, +-lim) (|x| <= lim <= 2^24, |y| <= 2^30); y = max(y, 0);
 * out = clamp(rshr(v, 6), +-32767) (|v| <= 2^30); sum of squares (|x| <= 2^24);
 * out = rshr(x * inv, 24) (|x| <= 2^24, 0 < inv < 2^40). */
void eiw_qresidual(int32_t *x, const int32_t *y, size_t n, int32_t lim);
void eiw_qrelu(int32_t *y, size_t n);
void eiw_qto_q10(const int32_t *v, int n, int16_t *out);
uint64_t eiw_qsumsq(const int32_t *x, int n);
void eiw_qscale24(const int32_t *x, int n, int64_t inv, int32_t *out);
#endif
