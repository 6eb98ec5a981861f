/* int8 GEMM kernels with runtime dispatch. The AVX-512 VNNI path adds 128 to activations to use
 * vpdpbusd (weights + 128 unsigned, activations signed) and subtracts 128 * the activations' sum; AVX2 widens to int16 and
 * uses vpmaddwd. Neither saturates, so all paths give identical int32 sums. */
#include <assert.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "model/qkernels.h"

#include "model/exp2_table.inc"   /* eiw_exp2_neg_q23[f] = round(2^23 * 2^(-f/256)) */

#if defined(__x86_64__) && !defined(EIW_SIMD_NONE)
#define EIW_HAVE_X86 1
#include <immintrin.h>
#endif

static eiw_kernel forced = (eiw_kernel)-1;
static eiw_kernel detected;
static const char *env_problem;   /* why EIW_SIMD was not honoured; NULL when it was */
static pthread_once_t detect_once = PTHREAD_ONCE_INIT;

/* What the CPU offers, asked once: the same checks decide the default kernel and what tests
 * may force, so no path ever runs instructions the CPU lacks. The AVX-512 kernels use F, BW,
 * DQ and VNNI; the AVX2 kernels nothing beyond AVX2. */
static int cpu_has[EIW_KERNEL_COUNT];
static pthread_once_t cpu_once = PTHREAD_ONCE_INIT;

static void probe_cpu(void)
{
    cpu_has[EIW_KERNEL_SCALAR] = 1;
#ifdef EIW_HAVE_X86
    __builtin_cpu_init();
    cpu_has[EIW_KERNEL_AVX2] = __builtin_cpu_supports("avx2");
    cpu_has[EIW_KERNEL_AVX512VNNI] =
        __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vnni");
#endif
}

int eiw_kernel_supported(eiw_kernel k)
{
    if ((int)k < 0 || (int)k >= EIW_KERNEL_COUNT)
        return 0;
    pthread_once(&cpu_once, probe_cpu);
    return cpu_has[k];
}

int eiw_kernel_parse(const char *name, eiw_kernel *k)
{
    static const struct {
        const char *name;
        eiw_kernel k;
    } names[] = { { "none", EIW_KERNEL_SCALAR }, { "scalar", EIW_KERNEL_SCALAR },
                  { "avx2", EIW_KERNEL_AVX2 },   { "avx512", EIW_KERNEL_AVX512VNNI },
                  { "avx512-vnni", EIW_KERNEL_AVX512VNNI } };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i].name) == 0) {
            *k = names[i].k;
            return 0;
        }
    return -1;
}

/* Why kernel k cannot run here. */
static const char *missing(eiw_kernel k)
{
#ifdef EIW_HAVE_X86
    return k == EIW_KERNEL_AVX2 ? "this CPU lacks AVX2"
                                : "this CPU lacks AVX-512 (F, BW, DQ, VNNI)";
#else
    (void)k;
    return "this build lacks the SIMD kernels (scalar only)";
#endif
}

static void detect(void)
{
    detected = EIW_KERNEL_SCALAR;
    for (int k = EIW_KERNEL_COUNT - 1; k > 0; k--)
        if (eiw_kernel_supported((eiw_kernel)k)) {
            detected = (eiw_kernel)k;
            break;
        }
    const char *env = getenv("EIW_SIMD");
    eiw_kernel want;
    if (!env || !*env)
        return;
    if (eiw_kernel_parse(env, &want) != 0)
        env_problem = "unknown kernel (none, scalar, avx2 or avx512)";
    else if (!eiw_kernel_supported(want))
        env_problem = missing(want);
    else
        detected = want;
}

eiw_kernel eiw_kernel_active(void)
{
    if ((int)forced >= 0)
        return forced;
    pthread_once(&detect_once, detect);
    return detected;
}

const char *eiw_kernel_env_problem(void)
{
    pthread_once(&detect_once, detect);
    return env_problem;
}

eiw_kernel eiw_kernel_force(eiw_kernel k)
{
    /* running a kernel the CPU lacks would die of SIGILL somewhere far from here */
    assert(eiw_kernel_supported(k));
    eiw_kernel old = eiw_kernel_active();
    forced = k;
    return old;
}

const char *eiw_kernel_name(eiw_kernel k)
{
    switch (k) {
    case EIW_KERNEL_AVX2: return "avx2";
    case EIW_KERNEL_AVX512VNNI: return "avx512-vnni";
    default: return "scalar";
    }
}

int eiw_qmat_init(eiw_qmat *m, const int8_t *w, int R, int K)
{
    memset(m, 0, sizeof *m);
    m->R = R;
    m->K = K;
    m->Rpad = (R + 15) / 16 * 16;
    m->w = malloc((size_t)R * K);
    m->Rpad8 = (R + 15) / 16 * 16;
    m->w4 = calloc((size_t)m->Rpad * K, 1);
    m->w2 = calloc((size_t)m->Rpad8 * K, 1);
    if (!m->w || !m->w4 || !m->w2 || K % 4 || K > EIW_QMAT_KMAX) {
        eiw_qmat_free(m);
        return -1;
    }
    memcpy(m->w, w, (size_t)R * K);
    for (int r = 0; r < R; r++)
        for (int k = 0; k < K; k++) {
            m->w4[((size_t)(k / 4) * m->Rpad + r) * 4 + k % 4] =
                (uint8_t)((uint8_t)w[(size_t)r * K + k] ^ 0x80);
            m->w2[((size_t)(k / 2) * m->Rpad8 + r) * 2 + k % 2] = w[(size_t)r * K + k];
        }
    return 0;
}

void eiw_qmat_free(eiw_qmat *m)
{
    free(m->w);
    free(m->w4);
    free(m->w2);
    memset(m, 0, sizeof *m);
}

static void gemm_scalar(const eiw_qmat *m, const int8_t *a, int P, int32_t *out, int r0, int r1)
{
    const int K = m->K, R = m->R;
    for (int p = 0; p < P; p++)
        for (int r = r0; r < r1; r++) {
            const int8_t *w = m->w + (size_t)r * K, *x = a + (size_t)p * K;
            int32_t s = 0;
            for (int k = 0; k < K; k++)
                s += (int32_t)w[k] * x[k];
            out[(size_t)p * R + r] = s;
        }
}

#define EIW_QGEMM_MAXP 64   /* positions per pass of the VNNI kernel */

#ifdef EIW_HAVE_X86
/* AVX2 (no VNNI): weights in pairs of inputs for blocks of 8 rows (eiw_qmat.w2), widened to int16
 * as they are loaded; activations widened to int16 once per 4 positions and broadcast as pairs;
 * vpmaddwd multiplies and adds each pair exactly (|w|, |a| <= 127). Tiles of 2 blocks x 4
 * positions: 8 accumulators. */
__attribute__((target("avx2"), always_inline))
static inline void avx2_tile(const int8_t *wb, size_t wstep, const int16_t *x16, int K, int K2,
                             int NB, int NQ, __m256i acc[2][4])
{
    for (int k = 0; k < K2; k++) {
        const int8_t *wk = wb + (size_t)k * wstep;
        __m256i wv[2];
#pragma GCC unroll 2
        for (int b = 0; b < NB; b++)
            wv[b] = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(wk + 16 * b)));
#pragma GCC unroll 4
        for (int q = 0; q < NQ; q++) {
            int32_t pair;
            memcpy(&pair, x16 + (size_t)q * K + 2 * k, 4);
            const __m256i xv = _mm256_set1_epi32(pair);
#pragma GCC unroll 2
            for (int b = 0; b < NB; b++)
                acc[b][q] = _mm256_add_epi32(acc[b][q], _mm256_madd_epi16(wv[b], xv));
        }
    }
}

__attribute__((target("avx2"), always_inline))
static inline void avx2_panel(const int8_t *wb, size_t wstep, const int16_t *x16, int K, int NB,
                              int NQ, const int *lo, const int *hi, int32_t *o, int R)
{
    __m256i acc[2][4];
#pragma GCC unroll 2
    for (int b = 0; b < 2; b++)
#pragma GCC unroll 4
        for (int q = 0; q < 4; q++)
            acc[b][q] = _mm256_setzero_si256();
    avx2_tile(wb, wstep, x16, K, K / 2, NB, NQ, acc);
    for (int b = 0; b < NB; b++)
        for (int q = 0; q < NQ; q++) {
            int32_t v[8];
            _mm256_storeu_si256((__m256i *)v, acc[b][q]);
            for (int i = lo[b]; i < hi[b]; i++)   /* rows of [r0, r1) in this block */
                o[(size_t)q * R + 8 * b + i] = v[i];
        }
}

__attribute__((target("avx2")))
static void gemm_avx2(const eiw_qmat *m, const int8_t *a, int P, int32_t *out, int r0, int r1)
{
    const int K = m->K, R = m->R;
    const size_t wstep = (size_t)m->Rpad8 * 2;
    int16_t x16[4 * EIW_QMAT_KMAX];
    for (int p = 0; p < P; p += 4) {
        const int nq = P - p < 4 ? P - p : 4;
        for (int i = 0; i < nq * K; i++)
            x16[i] = a[(size_t)p * K + i];
        for (int rb = r0 / 8 * 8; rb < r1; rb += 16) {
            int lo[2], hi[2], nb = rb + 8 < r1 ? 2 : 1;
            for (int b = 0; b < 2; b++) {
                int s = rb + 8 * b;
                lo[b] = r0 > s ? r0 - s : 0;
                hi[b] = r1 - s < 8 ? r1 - s : 8;
            }
            const int8_t *wb = m->w2 + (size_t)rb * 2;
            int32_t *o = out + (size_t)p * R + rb;
            switch (nq * 2 + nb) {   /* constant tile shapes after inlining */
            case 10: avx2_panel(wb, wstep, x16, K, 2, 4, lo, hi, o, R); break;
            case 9: avx2_panel(wb, wstep, x16, K, 1, 4, lo, hi, o, R); break;
            case 8: avx2_panel(wb, wstep, x16, K, 2, 3, lo, hi, o, R); break;
            case 7: avx2_panel(wb, wstep, x16, K, 1, 3, lo, hi, o, R); break;
            case 6: avx2_panel(wb, wstep, x16, K, 2, 2, lo, hi, o, R); break;
            case 5: avx2_panel(wb, wstep, x16, K, 1, 2, lo, hi, o, R); break;
            case 4: avx2_panel(wb, wstep, x16, K, 2, 1, lo, hi, o, R); break;
            default: avx2_panel(wb, wstep, x16, K, 1, 1, lo, hi, o, R); break;
            }
        }
    }
}

/* Rows in blocks of 16 (one zmm of int32 sums), panels of up to 4 blocks (64 rows); each panel's
 * weights (64 rows x K) stay in L1/L2 while every position passes over them. Tiles of 4 blocks x
 * 4 positions keep 16 independent accumulators in flight; a remainder of 1 or 2 positions also
 * splits k into even and odd steps, so single-position (decoding) calls are not latency bound.
 * The weights are the unsigned operand of vpdpbusd (stored + 128, see eiw_qmat_init) and the
 * activations are broadcast from memory as they are; each position's sum is corrected by
 * 128 * (sum of its activations). Integer sums are exact in any order, so the tiling never
 * changes a result. */
__attribute__((target("avx512f,avx512bw,avx512vnni")))
static inline __m512i bcast4(const int8_t *x)
{
    int32_t v;
    memcpy(&v, x, 4);
    return _mm512_set1_epi32(v);
}

/* The common tile, written out: 16 named accumulators stay in registers. */
__attribute__((target("avx512f,avx512bw,avx512vnni")))
static void vnni_tile44(const uint8_t *w0, size_t wstep, const int8_t *x, int K, int K4,
                        const int32_t *corr, const __mmask16 *keep, int32_t *o, int R)
{
    __m512i c00 = _mm512_setzero_si512(), c01 = c00, c02 = c00, c03 = c00;
    __m512i c10 = c00, c11 = c00, c12 = c00, c13 = c00, c20 = c00, c21 = c00, c22 = c00;
    __m512i c23 = c00, c30 = c00, c31 = c00, c32 = c00, c33 = c00;
    const int8_t *x0 = x, *x1 = x + K, *x2 = x + 2 * (size_t)K, *x3 = x + 3 * (size_t)K;
    for (int k = 0; k < K4; k++) {
        const uint8_t *wk = w0 + (size_t)k * wstep;
        const __m512i w0v = _mm512_loadu_si512(wk), w1v = _mm512_loadu_si512(wk + 64);
        const __m512i w2v = _mm512_loadu_si512(wk + 128), w3v = _mm512_loadu_si512(wk + 192);
        __m512i b = bcast4(x0 + 4 * k);
        c00 = _mm512_dpbusd_epi32(c00, w0v, b);
        c10 = _mm512_dpbusd_epi32(c10, w1v, b);
        c20 = _mm512_dpbusd_epi32(c20, w2v, b);
        c30 = _mm512_dpbusd_epi32(c30, w3v, b);
        b = bcast4(x1 + 4 * k);
        c01 = _mm512_dpbusd_epi32(c01, w0v, b);
        c11 = _mm512_dpbusd_epi32(c11, w1v, b);
        c21 = _mm512_dpbusd_epi32(c21, w2v, b);
        c31 = _mm512_dpbusd_epi32(c31, w3v, b);
        b = bcast4(x2 + 4 * k);
        c02 = _mm512_dpbusd_epi32(c02, w0v, b);
        c12 = _mm512_dpbusd_epi32(c12, w1v, b);
        c22 = _mm512_dpbusd_epi32(c22, w2v, b);
        c32 = _mm512_dpbusd_epi32(c32, w3v, b);
        b = bcast4(x3 + 4 * k);
        c03 = _mm512_dpbusd_epi32(c03, w0v, b);
        c13 = _mm512_dpbusd_epi32(c13, w1v, b);
        c23 = _mm512_dpbusd_epi32(c23, w2v, b);
        c33 = _mm512_dpbusd_epi32(c33, w3v, b);
    }
    const __m512i cr[4] = { _mm512_set1_epi32(corr[0]), _mm512_set1_epi32(corr[1]),
                            _mm512_set1_epi32(corr[2]), _mm512_set1_epi32(corr[3]) };
    const __m512i acc[4][4] = { { c00, c01, c02, c03 }, { c10, c11, c12, c13 },
                                { c20, c21, c22, c23 }, { c30, c31, c32, c33 } };
    for (int bl = 0; bl < 4; bl++)
        for (int q = 0; q < 4; q++)
            _mm512_mask_storeu_epi32(o + (size_t)q * R + 16 * bl, keep[bl],
                                     _mm512_sub_epi32(acc[bl][q], cr[q]));
}

/* acc[b][q] += W[block b] . x[position q] over k = k0, k0 + kstep, ... < K4 (NB, NQ constants
 * after inlining): the remainders. */
__attribute__((target("avx512f,avx512bw,avx512vnni"), always_inline))
static inline void vnni_tile(const uint8_t *w0, size_t wstep, const int8_t *x, int K, int k0,
                             int kstep, int K4, int NB, int NQ, __m512i acc[4][4])
{
    for (int k = k0; k < K4; k += kstep) {
        const uint8_t *wk = w0 + (size_t)k * wstep;
        __m512i wv[4], xv[4];
#pragma GCC unroll 4
        for (int b = 0; b < NB; b++)
            wv[b] = _mm512_loadu_si512(wk + 64 * b);
#pragma GCC unroll 4
        for (int q = 0; q < NQ; q++)
            xv[q] = bcast4(x + (size_t)q * K + 4 * k);
#pragma GCC unroll 4
        for (int b = 0; b < NB; b++)
#pragma GCC unroll 4
            for (int q = 0; q < NQ; q++)
                acc[b][q] = _mm512_dpbusd_epi32(acc[b][q], wv[b], xv[q]);
    }
}

__attribute__((target("avx512f,avx512bw,avx512vnni"), always_inline))
static inline void vnni_panel(const uint8_t *w0, size_t wstep, const int8_t *x, int K, int K4,
                              int NB, int NQ, int split, const int32_t *corr,
                              const __mmask16 *keep, int32_t *o, int R)
{
    __m512i acc[4][4], acc2[4][4];
#pragma GCC unroll 4
    for (int b = 0; b < 4; b++)
#pragma GCC unroll 4
        for (int q = 0; q < 4; q++)
            acc[b][q] = acc2[b][q] = _mm512_setzero_si512();
    if (split) {
        vnni_tile(w0, wstep, x, K, 0, 2, K4, NB, NQ, acc);
        vnni_tile(w0, wstep, x, K, 1, 2, K4, NB, NQ, acc2);
    } else {
        vnni_tile(w0, wstep, x, K, 0, 1, K4, NB, NQ, acc);
    }
#pragma GCC unroll 4
    for (int b = 0; b < NB; b++)
#pragma GCC unroll 4
        for (int q = 0; q < NQ; q++) {
            __m512i v = _mm512_sub_epi32(_mm512_add_epi32(acc[b][q], acc2[b][q]),
                                         _mm512_set1_epi32(corr[q]));
            _mm512_mask_storeu_epi32(o + (size_t)q * R + 16 * b, keep[b], v);
        }
}

__attribute__((target("avx512f,avx512bw,avx512vnni")))
static void gemm_vnni(const eiw_qmat *m, const int8_t *a, int P, int32_t *out, int r0, int r1)
{
    const int K = m->K, R = m->R, Rpad = m->Rpad;
    const int K4 = K / 4;
    const size_t wstep = (size_t)Rpad * 4;
    int32_t corr[EIW_QGEMM_MAXP];   /* 128 * sum of each position's activations */
    for (int p = 0; p < P; p++) {
        int32_t s = 0;
        for (int k = 0; k < K; k++)
            s += a[(size_t)p * K + k];
        corr[p] = 128 * s;
    }
    for (int rb = r0 / 16 * 16; rb < r1; rb += 64) {
        int nb = (r1 - rb + 15) / 16;
        nb = nb > 4 ? 4 : nb;
        __mmask16 keep[4];
        for (int b = 0; b < 4; b++) {
            keep[b] = 0;
            for (int i = 0; i < 16; i++) {
                int r = rb + 16 * b + i;
                if (b < nb && r >= r0 && r < r1)
                    keep[b] |= (__mmask16)(1u << i);
            }
        }
        const uint8_t *w0 = m->w4 + (size_t)rb * 4;
        int p = 0;
        if (nb == 4) {
            for (; p + 4 <= P; p += 4)
                vnni_tile44(w0, wstep, a + (size_t)p * K, K, K4, corr + p, keep,
                            out + (size_t)p * R + rb, R);
            switch (P - p) {
            case 3:
                vnni_panel(w0, wstep, a + (size_t)p * K, K, K4, 4, 3, 0, corr + p, keep,
                           out + (size_t)p * R + rb, R);
                break;
            case 2:
                vnni_panel(w0, wstep, a + (size_t)p * K, K, K4, 4, 2, 1, corr + p, keep,
                           out + (size_t)p * R + rb, R);
                break;
            case 1:
                vnni_panel(w0, wstep, a + (size_t)p * K, K, K4, 4, 1, 1, corr + p, keep,
                           out + (size_t)p * R + rb, R);
                break;
            default:
                break;
            }
        } else {   /* the last 1-3 blocks of rows: one position at a time */
            for (; p < P; p++)
                vnni_panel(w0, wstep, a + (size_t)p * K, K, K4, nb, 1, 1, corr + p, keep,
                           out + (size_t)p * R + rb, R);
        }
    }
}
#endif

void eiw_qgemm(const eiw_qmat *m, const int8_t *a, int P, int32_t *out, int r0, int r1)
{
    switch (eiw_kernel_active()) {
#ifdef EIW_HAVE_X86
    case EIW_KERNEL_AVX512VNNI:
        for (int p = 0; p < P; p += EIW_QGEMM_MAXP)
            gemm_vnni(m, a + (size_t)p * m->K, P - p < EIW_QGEMM_MAXP ? P - p : EIW_QGEMM_MAXP,
                      out + (size_t)p * m->R, r0, r1);
        return;
    case EIW_KERNEL_AVX2:
        gemm_avx2(m, a, P, out, r0, r1);
        return;
#endif
    default:
        gemm_scalar(m, a, P, out, r0, r1);
    }
}


static void requant_scalar(const int32_t *acc, const int32_t *mult, const int8_t *shift, int R,
                           int e_off, int32_t *out)
{
    for (int r = 0; r < R; r++) {
        int64_t v = eiw_rshr((int64_t)acc[r] * mult[r], shift[r] - e_off);
        out[r] = (int32_t)(v < -(1 << 30) ? -(1 << 30) : v > (1 << 30) ? (1 << 30) : v);
    }
}

/* The least k with amax / 2^k < 128 before rounding. */
static int quant8_shift(uint32_t amax)
{
    int k = 0;
    while ((amax >> k) > 127)
        k++;
    return k;
}

static int quant8_scalar(const int32_t *y, int n, int8_t *q)
{
    uint32_t amax = 0;
    for (int i = 0; i < n; i++) {
        uint32_t a = y[i] < 0 ? 0u - (uint32_t)y[i] : (uint32_t)y[i];
        if (a > amax)
            amax = a;
    }
    int k = quant8_shift(amax);
    for (int i = 0; i < n; i++) {
        int64_t v = eiw_rshr(y[i], k);
        q[i] = (int8_t)(v < -127 ? -127 : v > 127 ? 127 : v);
    }
    return k;
}

#ifdef EIW_HAVE_X86
/* Arithmetic shifts are floor divisions, so (v + half) >> s equals eiw_rshr exactly. */
__attribute__((target("avx512f")))
static void requant_avx512(const int32_t *acc, const int32_t *mult, const int8_t *shift, int R,
                           int e_off, int32_t *out)
{
    const __m512i lo = _mm512_set1_epi64(-(1 << 30)), hi = _mm512_set1_epi64(1 << 30);
    const __m512i one = _mm512_set1_epi64(1), eo = _mm512_set1_epi64(e_off);
    int r = 0;
    for (; r + 8 <= R; r += 8) {
        __m512i a = _mm512_cvtepi32_epi64(_mm256_loadu_si256((const __m256i *)(acc + r)));
        __m512i m = _mm512_cvtepi32_epi64(_mm256_loadu_si256((const __m256i *)(mult + r)));
        __m512i s = _mm512_sub_epi64(
            _mm512_cvtepi8_epi64(_mm_loadl_epi64((const __m128i *)(shift + r))), eo);
        __m512i v = _mm512_mul_epi32(a, m);
        v = _mm512_add_epi64(v, _mm512_sllv_epi64(one, _mm512_sub_epi64(s, one)));
        v = _mm512_srav_epi64(v, s);
        v = _mm512_min_epi64(_mm512_max_epi64(v, lo), hi);
        _mm256_storeu_si256((__m256i *)(out + r), _mm512_cvtepi64_epi32(v));
    }
    requant_scalar(acc + r, mult + r, shift + r, R - r, e_off, out + r);
}

__attribute__((target("avx512f,avx512bw")))
static int quant8_avx512(const int32_t *y, int n, int8_t *q)
{
    if (n % 16)
        return quant8_scalar(y, n, q);
    __m512i mx = _mm512_setzero_si512();
    for (int i = 0; i < n; i += 16)
        mx = _mm512_max_epu32(mx, _mm512_abs_epi32(_mm512_loadu_si512(y + i)));
    uint32_t amax = (uint32_t)_mm512_reduce_max_epu32(mx);
    int k = quant8_shift(amax);
    const __m512i lo = _mm512_set1_epi32(-127), hi = _mm512_set1_epi32(127);
    const __m512i half = _mm512_set1_epi32(k ? 1 << (k - 1) : 0);
    const __m128i sh = _mm_cvtsi32_si128(k);
    for (int i = 0; i < n; i += 16) {
        /* y + half cannot overflow: |y| <= 2^31 - 1 only when k = 24, half = 2^23 */
        __m512i v = _mm512_sra_epi32(_mm512_add_epi32(_mm512_loadu_si512(y + i), half), sh);
        v = _mm512_min_epi32(_mm512_max_epi32(v, lo), hi);
        _mm_storeu_si128((__m128i *)(q + i), _mm512_cvtepi32_epi8(v));
    }
    return k;
}
#endif

#ifdef EIW_HAVE_X86
/* AVX2 has no 64-bit arithmetic shift: |acc * mult| < 2^62, so v + 2^62 is non-negative and
 * floor((v + 2^(s-1)) / 2^s) = ((v + 2^62 + 2^(s-1)) >> s) - 2^(62-s) with logical shifts
 * (s in [1, 62]; the sum stays below 2^64). */
__attribute__((target("avx2")))
static void requant_avx2(const int32_t *acc, const int32_t *mult, const int8_t *shift, int R,
                         int e_off, int32_t *out)
{
    const __m256i off = _mm256_set1_epi64x((int64_t)1 << 62), one = _mm256_set1_epi64x(1);
    const __m256i lo = _mm256_set1_epi64x(-(1 << 30)), hi = _mm256_set1_epi64x(1 << 30);
    const __m256i eo = _mm256_set1_epi64x(e_off), pick = _mm256_set_epi32(6, 4, 2, 0, 6, 4, 2, 0);
    int r = 0;
    for (; r + 4 <= R; r += 4) {
        int32_t sh4;
        memcpy(&sh4, shift + r, 4);
        __m256i a = _mm256_cvtepi32_epi64(_mm_loadu_si128((const __m128i *)(acc + r)));
        __m256i m = _mm256_cvtepi32_epi64(_mm_loadu_si128((const __m128i *)(mult + r)));
        __m256i s = _mm256_sub_epi64(_mm256_cvtepi8_epi64(_mm_cvtsi32_si128(sh4)), eo);
        __m256i v = _mm256_add_epi64(_mm256_add_epi64(_mm256_mul_epi32(a, m), off),
                                     _mm256_sllv_epi64(one, _mm256_sub_epi64(s, one)));
        v = _mm256_sub_epi64(_mm256_srlv_epi64(v, s), _mm256_srlv_epi64(off, s));
        v = _mm256_blendv_epi8(v, hi, _mm256_cmpgt_epi64(v, hi));
        v = _mm256_blendv_epi8(v, lo, _mm256_cmpgt_epi64(lo, v));
        _mm_storeu_si128((__m128i *)(out + r),
                         _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(v, pick)));
    }
    requant_scalar(acc + r, mult + r, shift + r, R - r, e_off, out + r);
}

/* As quant8_avx512 (the same arithmetic, 8 lanes). */
__attribute__((target("avx2")))
static int quant8_avx2(const int32_t *y, int n, int8_t *q)
{
    if (n % 8)
        return quant8_scalar(y, n, q);
    __m256i mx = _mm256_setzero_si256();
    for (int i = 0; i < n; i += 8)
        mx = _mm256_max_epu32(mx, _mm256_abs_epi32(_mm256_loadu_si256((const __m256i *)(y + i))));
    uint32_t m8[8], amax = 0;
    _mm256_storeu_si256((__m256i *)m8, mx);
    for (int i = 0; i < 8; i++)
        amax = m8[i] > amax ? m8[i] : amax;
    int k = quant8_shift(amax);
    const __m256i lo = _mm256_set1_epi32(-127), hi = _mm256_set1_epi32(127);
    const __m256i half = _mm256_set1_epi32(k ? 1 << (k - 1) : 0);
    const __m128i sh = _mm_cvtsi32_si128(k);
    for (int i = 0; i < n; i += 8) {
        __m256i v = _mm256_sra_epi32(_mm256_add_epi32(_mm256_loadu_si256((const __m256i *)(y + i)),
                                                      half), sh);
        v = _mm256_min_epi32(_mm256_max_epi32(v, lo), hi);
        __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
        _mm_storel_epi64((__m128i *)(q + i), _mm_packs_epi16(w, w));
    }
    return k;
}
#endif

void eiw_requant(const int32_t *acc, const int32_t *mult, const int8_t *shift, int R, int e_off,
                 int32_t *out)
{
#ifdef EIW_HAVE_X86
    if (eiw_kernel_active() == EIW_KERNEL_AVX512VNNI) {
        requant_avx512(acc, mult, shift, R, e_off, out);
        return;
    }
    if (eiw_kernel_active() == EIW_KERNEL_AVX2) {
        requant_avx2(acc, mult, shift, R, e_off, out);
        return;
    }
#endif
    requant_scalar(acc, mult, shift, R, e_off, out);
}

int eiw_quant8(const int32_t *y, int n, int8_t *q)
{
#ifdef EIW_HAVE_X86
    if (eiw_kernel_active() == EIW_KERNEL_AVX512VNNI)
        return quant8_avx512(y, n, q);
    if (eiw_kernel_active() == EIW_KERNEL_AVX2)
        return quant8_avx2(y, n, q);
#endif
    return quant8_scalar(y, n, q);
}

static void residual_scalar(int32_t *x, const int32_t *y, size_t n, int32_t lim)
{
    for (size_t i = 0; i < n; i++) {
        int32_t v = x[i] + y[i];
        x[i] = v < -lim ? -lim : v > lim ? lim : v;
    }
}

static void relu_scalar(int32_t *y, size_t n)
{
    for (size_t i = 0; i < n; i++)
        y[i] = y[i] < 0 ? 0 : y[i];
}

static void to_q10_scalar(const int32_t *v, int n, int16_t *out)
{
    for (int i = 0; i < n; i++) {
        int64_t r = eiw_rshr(v[i], 6);
        out[i] = (int16_t)(r < -32767 ? -32767 : r > 32767 ? 32767 : r);
    }
}

static uint64_t sumsq_scalar(const int32_t *x, int n)
{
    uint64_t ss = 0;
    for (int i = 0; i < n; i++)
        ss += (uint64_t)((int64_t)x[i] * x[i]);
    return ss;
}

static void scale24_scalar(const int32_t *x, int n, int64_t inv, int32_t *out)
{
    for (int i = 0; i < n; i++)
        out[i] = (int32_t)eiw_rshr((int64_t)x[i] * inv, 24);
}

#ifdef EIW_HAVE_X86
__attribute__((target("avx512f")))
static void residual_avx512(int32_t *x, const int32_t *y, size_t n, int32_t lim)
{
    const __m512i lo = _mm512_set1_epi32(-lim), hi = _mm512_set1_epi32(lim);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512i v = _mm512_add_epi32(_mm512_loadu_si512(x + i), _mm512_loadu_si512(y + i));
        _mm512_storeu_si512(x + i, _mm512_min_epi32(_mm512_max_epi32(v, lo), hi));
    }
    residual_scalar(x + i, y + i, n - i, lim);
}

__attribute__((target("avx512f")))
static void relu_avx512(int32_t *y, size_t n)
{
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_si512(y + i, _mm512_max_epi32(_mm512_loadu_si512(y + i), _mm512_setzero_si512()));
    relu_scalar(y + i, n - i);
}

__attribute__((target("avx512f,avx512bw")))
static void to_q10_avx512(const int32_t *v, int n, int16_t *out)
{
    const __m512i lo = _mm512_set1_epi32(-32767), hi = _mm512_set1_epi32(32767);
    const __m512i half = _mm512_set1_epi32(32);
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512i r = _mm512_srai_epi32(_mm512_add_epi32(_mm512_loadu_si512(v + i), half), 6);
        r = _mm512_min_epi32(_mm512_max_epi32(r, lo), hi);
        _mm256_storeu_si256((__m256i *)(out + i), _mm512_cvtepi32_epi16(r));
    }
    to_q10_scalar(v + i, n - i, out + i);
}

__attribute__((target("avx512f")))
static uint64_t sumsq_avx512(const int32_t *x, int n)
{
    __m512i acc = _mm512_setzero_si512();
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        __m512i v = _mm512_cvtepi32_epi64(_mm256_loadu_si256((const __m256i *)(x + i)));
        acc = _mm512_add_epi64(acc, _mm512_mul_epi32(v, v));
    }
    return (uint64_t)_mm512_reduce_add_epi64(acc) + sumsq_scalar(x + i, n - i);
}

__attribute__((target("avx512f,avx512dq")))
static void scale24_avx512(const int32_t *x, int n, int64_t inv, int32_t *out)
{
    const __m512i iv = _mm512_set1_epi64(inv), half = _mm512_set1_epi64(1 << 23);
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        __m512i v = _mm512_cvtepi32_epi64(_mm256_loadu_si256((const __m256i *)(x + i)));
        v = _mm512_srai_epi64(_mm512_add_epi64(_mm512_mullo_epi64(v, iv), half), 24);
        _mm256_storeu_si256((__m256i *)(out + i), _mm512_cvtepi64_epi32(v));
    }
    scale24_scalar(x + i, n - i, inv, out + i);
}
#endif

#ifdef EIW_HAVE_X86
/* AVX2: |v| <= 2^30, so v + 32 cannot overflow and vpsrad floors like eiw_rshr. */
__attribute__((target("avx2")))
static void to_q10_avx2(const int32_t *v, int n, int16_t *out)
{
    const __m256i lo = _mm256_set1_epi32(-32767), hi = _mm256_set1_epi32(32767);
    const __m256i half = _mm256_set1_epi32(32);
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256i r = _mm256_srai_epi32(_mm256_add_epi32(_mm256_loadu_si256((const __m256i *)(v + i)),
                                                       half), 6);
        r = _mm256_min_epi32(_mm256_max_epi32(r, lo), hi);
        _mm_storeu_si128((__m128i *)(out + i), _mm_packs_epi32(_mm256_castsi256_si128(r),
                                                               _mm256_extracti128_si256(r, 1)));
    }
    to_q10_scalar(v + i, n - i, out + i);
}

/* x * inv with inv = ih * 2^31 + il (both below 2^31: signed 32-bit products), then the
 * rounding shift by 24 through a 2^62 offset (|x| <= 2^24, |x * inv| <= 2^46 for RMSNorm). */
__attribute__((target("avx2")))
static void scale24_avx2(const int32_t *x, int n, int64_t inv, int32_t *out)
{
    if (inv < 0 || inv >= (int64_t)1 << 40) {
        scale24_scalar(x, n, inv, out);
        return;
    }
    const __m256i il = _mm256_set1_epi64x(inv & 0x7FFFFFFF), ih = _mm256_set1_epi64x(inv >> 31);
    const __m256i off = _mm256_set1_epi64x(((int64_t)1 << 62) + ((int64_t)1 << 23));
    const __m256i back = _mm256_set1_epi64x((int64_t)1 << 38);
    const __m256i lim = _mm256_set1_epi32(1 << 24), nlim = _mm256_set1_epi32(-(1 << 24));
    const __m256i pick = _mm256_set_epi32(6, 4, 2, 0, 6, 4, 2, 0);
    int i = 0;
    for (; i + 4 <= n; i += 4) {
        __m128i x4 = _mm_loadu_si128((const __m128i *)(x + i));
        /* the bound the offset needs: fall back for values outside the residual clamp */
        __m256i x8 = _mm256_castsi128_si256(x4);
        if (_mm256_movemask_epi8(_mm256_or_si256(_mm256_cmpgt_epi32(x8, lim),
                                                 _mm256_cmpgt_epi32(nlim, x8))))
            break;
        __m256i xv = _mm256_cvtepi32_epi64(x4);
        __m256i v = _mm256_add_epi64(_mm256_mul_epi32(xv, il),
                                     _mm256_slli_epi64(_mm256_mul_epi32(xv, ih), 31));
        v = _mm256_sub_epi64(_mm256_srli_epi64(_mm256_add_epi64(v, off), 24), back);
        _mm_storeu_si128((__m128i *)(out + i),
                         _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(v, pick)));
    }
    scale24_scalar(x + i, n - i, inv, out + i);
}
#define AVX512_AVX2_OR(call_avx512, call_avx2, call_scalar) \
    do { \
        if (eiw_kernel_active() == EIW_KERNEL_AVX512VNNI) \
            call_avx512; \
        else if (eiw_kernel_active() == EIW_KERNEL_AVX2) \
            call_avx2; \
        else \
            call_scalar; \
    } while (0)
#define AVX512_OR(call_avx512, call_scalar) \
    do { \
        if (eiw_kernel_active() == EIW_KERNEL_AVX512VNNI) \
            call_avx512; \
        else \
            call_scalar; \
    } while (0)
#else
#define AVX512_OR(call_avx512, call_scalar) call_scalar
#define AVX512_AVX2_OR(call_avx512, call_avx2, call_scalar) call_scalar
#endif

void eiw_qresidual(int32_t *x, const int32_t *y, size_t n, int32_t lim)
{
    AVX512_OR(residual_avx512(x, y, n, lim), residual_scalar(x, y, n, lim));
}

void eiw_qrelu(int32_t *y, size_t n)
{
    AVX512_OR(relu_avx512(y, n), relu_scalar(y, n));
}

void eiw_qto_q10(const int32_t *v, int n, int16_t *out)
{
    AVX512_AVX2_OR(to_q10_avx512(v, n, out), to_q10_avx2(v, n, out), to_q10_scalar(v, n, out));
}

uint64_t eiw_qsumsq(const int32_t *x, int n)
{
    uint64_t r;
    AVX512_OR(r = sumsq_avx512(x, n), r = sumsq_scalar(x, n));
    return r;
}

void eiw_qscale24(const int32_t *x, int n, int64_t inv, int32_t *out)
{
    AVX512_AVX2_OR(scale24_avx512(x, n, inv, out), scale24_avx2(x, n, inv, out),
                   scale24_scalar(x, n, inv, out));
}
