/* int8 GEMM kernels with runtime dispatch. The AVX-512 VNNI path adds 128 to activations to use
 * vpdpbusd (unsigned x signed) and subtracts 128 * rowsum afterwards; AVX2 widens to int16 and
 * uses vpmaddwd. Neither saturates, so all paths give identical int32 sums. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "qkernels.h"

#if defined(__x86_64__) && !defined(EIW_SIMD_NONE)
#define EIW_HAVE_X86 1
#include <immintrin.h>
#endif

static eiw_kernel forced = (eiw_kernel)-1;
static eiw_kernel detected;
static pthread_once_t detect_once = PTHREAD_ONCE_INIT;

static void detect(void)
{
    detected = EIW_KERNEL_SCALAR;
#ifdef EIW_HAVE_X86
    const char *env = getenv("EIW_SIMD");
    if (env && strcmp(env, "none") == 0)
        return;
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw"))
        detected = EIW_KERNEL_AVX512VNNI;
    else if (__builtin_cpu_supports("avx2"))
        detected = EIW_KERNEL_AVX2;
#endif
}

eiw_kernel eiw_kernel_active(void)
{
    if ((int)forced >= 0)
        return forced;
    pthread_once(&detect_once, detect);
    return detected;
}

eiw_kernel eiw_kernel_force(eiw_kernel k)
{
    eiw_kernel old = eiw_kernel_active();
#ifndef EIW_HAVE_X86
    k = EIW_KERNEL_SCALAR;
#endif
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
    m->w4 = calloc((size_t)m->Rpad * K, 1);
    m->rowsum = malloc(sizeof(int32_t) * (size_t)R);
    if (!m->w || !m->w4 || !m->rowsum || K % 4) {
        eiw_qmat_free(m);
        return -1;
    }
    memcpy(m->w, w, (size_t)R * K);
    for (int r = 0; r < R; r++) {
        int32_t s = 0;
        for (int k = 0; k < K; k++) {
            s += w[(size_t)r * K + k];
            m->w4[((size_t)(k / 4) * m->Rpad + r) * 4 + k % 4] = w[(size_t)r * K + k];
        }
        m->rowsum[r] = s;
    }
    return 0;
}

void eiw_qmat_free(eiw_qmat *m)
{
    free(m->w);
    free(m->w4);
    free(m->rowsum);
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

#ifdef EIW_HAVE_X86
__attribute__((target("avx2")))
static void gemm_avx2(const eiw_qmat *m, const int8_t *a, int P, int32_t *out, int r0, int r1)
{
    const int K = m->K, R = m->R;
    for (int p = 0; p < P; p++) {
        const int8_t *x = a + (size_t)p * K;
        for (int r = r0; r < r1; r++) {
            const int8_t *w = m->w + (size_t)r * K;
            __m256i acc = _mm256_setzero_si256();
            int k = 0;
            for (; k + 16 <= K; k += 16) {
                __m256i xv = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(x + k)));
                __m256i wv = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(w + k)));
                acc = _mm256_add_epi32(acc, _mm256_madd_epi16(xv, wv));
            }
            __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
            s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0x4E));
            s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0xB1));
            int32_t s = _mm_cvtsi128_si32(s4);
            for (; k < K; k++)
                s += (int32_t)w[k] * x[k];
            out[(size_t)p * R + r] = s;
        }
    }
}

/* Rows in blocks of 16 (one zmm of int32 sums), up to 4 positions at a time, 4 inputs per
 * vpdpbusd lane. Activations are offset to unsigned (+128) and corrected with the row sums. */
__attribute__((target("avx512f,avx512bw,avx512vnni")))
static void gemm_vnni(const eiw_qmat *m, const int8_t *a, int P, int32_t *out, int r0, int r1)
{
    const int K = m->K, R = m->R, Rpad = m->Rpad;
    const int K4 = K / 4;
    for (int rb = r0 / 16 * 16; rb < r1; rb += 16) {
        __m512i corr = _mm512_setzero_si512();
        int32_t rs[16];
        for (int i = 0; i < 16; i++)
            rs[i] = rb + i < R ? m->rowsum[rb + i] * 128 : 0;
        corr = _mm512_loadu_si512(rs);
        __mmask16 keep = 0;
        for (int i = 0; i < 16; i++)
            if (rb + i >= r0 && rb + i < r1)
                keep |= (__mmask16)(1u << i);
        int p = 0;
        for (; p + 4 <= P; p += 4) {
            __m512i c0 = _mm512_setzero_si512(), c1 = c0, c2 = c0, c3 = c0;
            const uint32_t *x0 = (const uint32_t *)(a + (size_t)p * K);
            const uint32_t *x1 = (const uint32_t *)(a + (size_t)(p + 1) * K);
            const uint32_t *x2 = (const uint32_t *)(a + (size_t)(p + 2) * K);
            const uint32_t *x3 = (const uint32_t *)(a + (size_t)(p + 3) * K);
            for (int k = 0; k < K4; k++) {
                __m512i wv = _mm512_loadu_si512(m->w4 + ((size_t)k * Rpad + rb) * 4);
                uint32_t u0, u1, u2, u3;
                memcpy(&u0, x0 + k, 4);
                memcpy(&u1, x1 + k, 4);
                memcpy(&u2, x2 + k, 4);
                memcpy(&u3, x3 + k, 4);
                c0 = _mm512_dpbusd_epi32(c0, _mm512_set1_epi32((int)(u0 ^ 0x80808080u)), wv);
                c1 = _mm512_dpbusd_epi32(c1, _mm512_set1_epi32((int)(u1 ^ 0x80808080u)), wv);
                c2 = _mm512_dpbusd_epi32(c2, _mm512_set1_epi32((int)(u2 ^ 0x80808080u)), wv);
                c3 = _mm512_dpbusd_epi32(c3, _mm512_set1_epi32((int)(u3 ^ 0x80808080u)), wv);
            }
            _mm512_mask_storeu_epi32(out + (size_t)p * R + rb, keep, _mm512_sub_epi32(c0, corr));
            _mm512_mask_storeu_epi32(out + (size_t)(p + 1) * R + rb, keep, _mm512_sub_epi32(c1, corr));
            _mm512_mask_storeu_epi32(out + (size_t)(p + 2) * R + rb, keep, _mm512_sub_epi32(c2, corr));
            _mm512_mask_storeu_epi32(out + (size_t)(p + 3) * R + rb, keep, _mm512_sub_epi32(c3, corr));
        }
        for (; p < P; p++) {
            __m512i c0 = _mm512_setzero_si512();
            const uint32_t *x0 = (const uint32_t *)(a + (size_t)p * K);
            for (int k = 0; k < K4; k++) {
                uint32_t u0;
                memcpy(&u0, x0 + k, 4);
                __m512i wv = _mm512_loadu_si512(m->w4 + ((size_t)k * Rpad + rb) * 4);
                c0 = _mm512_dpbusd_epi32(c0, _mm512_set1_epi32((int)(u0 ^ 0x80808080u)), wv);
            }
            _mm512_mask_storeu_epi32(out + (size_t)p * R + rb, keep, _mm512_sub_epi32(c0, corr));
        }
    }
}
#endif

void eiw_qgemm(const eiw_qmat *m, const int8_t *a, int P, int32_t *out, int r0, int r1)
{
    switch (eiw_kernel_active()) {
#ifdef EIW_HAVE_X86
    case EIW_KERNEL_AVX512VNNI:
        gemm_vnni(m, a, P, out, r0, r1);
        return;
    case EIW_KERNEL_AVX2:
        gemm_avx2(m, a, P, out, r0, r1);
        return;
#endif
    default:
        gemm_scalar(m, a, P, out, r0, r1);
    }
}

static void dots_scalar(const int8_t *q, const int8_t *k, size_t stride, int n, int D,
                        int32_t *dots)
{
    for (int e = 0; e < n; e++) {
        const int8_t *ke = k + (size_t)e * stride;
        int32_t s = 0;
        for (int d = 0; d < D; d++)
            s += (int32_t)q[d] * ke[d];
        dots[e] = s;
    }
}

static void axpy_scalar(const int32_t *p, const int16_t *v, size_t stride, int n, int D,
                        int32_t *acc)
{
    for (int e = 0; e < n; e++) {
        if (!p[e])
            continue;
        const int16_t *ve = v + (size_t)e * stride;
        for (int d = 0; d < D; d++)
            acc[d] += p[e] * ve[d];
    }
}

#ifdef EIW_HAVE_X86
/* One 64-byte head row per vpdpbusd: (q + 128) . k - 128 * sum(k). */
__attribute__((target("avx512f,avx512bw,avx512vnni")))
static void dots_vnni64(const int8_t *q, const int8_t *k, size_t stride, int n, int32_t *dots)
{
    const __m512i qu = _mm512_xor_si512(_mm512_loadu_si512(q), _mm512_set1_epi8((char)0x80));
    const __m512i off = _mm512_set1_epi8((char)0x80);
    for (int e = 0; e < n; e++) {
        __m512i kv = _mm512_loadu_si512(k + (size_t)e * stride);
        __m512i a = _mm512_dpbusd_epi32(_mm512_setzero_si512(), qu, kv);
        __m512i b = _mm512_dpbusd_epi32(_mm512_setzero_si512(), off, kv);
        dots[e] = _mm512_reduce_add_epi32(_mm512_sub_epi32(a, b));
    }
}

__attribute__((target("avx512f,avx512bw")))
static void axpy_avx512(const int32_t *p, const int16_t *v, size_t stride, int n, int D,
                        int32_t *acc)
{
    for (int d0 = 0; d0 < D; d0 += 16) {
        __m512i a = _mm512_loadu_si512(acc + d0);
        for (int e = 0; e < n; e++) {
            if (!p[e])
                continue;
            __m512i ve = _mm512_cvtepi16_epi32(
                _mm256_loadu_si256((const __m256i *)(v + (size_t)e * stride + d0)));
            a = _mm512_add_epi32(a, _mm512_mullo_epi32(ve, _mm512_set1_epi32(p[e])));
        }
        _mm512_storeu_si512(acc + d0, a);
    }
}
#endif

void eiw_qdots(const int8_t *q, const int8_t *k, size_t stride, int n, int D, int32_t *dots)
{
#ifdef EIW_HAVE_X86
    if (D == 64 && eiw_kernel_active() == EIW_KERNEL_AVX512VNNI) {
        dots_vnni64(q, k, stride, n, dots);
        return;
    }
#endif
    dots_scalar(q, k, stride, n, D, dots);
}

void eiw_qaxpy(const int32_t *p, const int16_t *v, size_t stride, int n, int D, int32_t *acc)
{
#ifdef EIW_HAVE_X86
    if (D % 16 == 0 && eiw_kernel_active() == EIW_KERNEL_AVX512VNNI) {
        axpy_avx512(p, v, stride, n, D, acc);
        return;
    }
#endif
    axpy_scalar(p, v, stride, n, D, acc);
}

/* floor((v + 2^(s-1)) / 2^s) without relying on how >> treats negative numbers */
static inline int64_t round_shift(int64_t v, int s)
{
    int64_t q = v + ((int64_t)1 << (s - 1));
    return q >= 0 ? q >> s : -((-q + ((int64_t)1 << s) - 1) >> s);
}

static void requant_scalar(const int32_t *acc, const int32_t *mult, const int8_t *shift, int R,
                           int e_off, int32_t *out)
{
    for (int r = 0; r < R; r++) {
        int64_t v = round_shift((int64_t)acc[r] * mult[r], shift[r] - e_off);
        out[r] = (int32_t)(v < -(1 << 30) ? -(1 << 30) : v > (1 << 30) ? (1 << 30) : v);
    }
}

static int quant8_scalar(const int32_t *y, int n, int8_t *q)
{
    uint32_t amax = 0;
    for (int i = 0; i < n; i++) {
        uint32_t a = y[i] < 0 ? 0u - (uint32_t)y[i] : (uint32_t)y[i];
        if (a > amax)
            amax = a;
    }
    int k = 0;
    while ((amax >> k) > 127)   /* least k with amax / 2^k < 128 before rounding */
        k++;
    for (int i = 0; i < n; i++) {
        int64_t v = k ? round_shift(y[i], k) : y[i];
        q[i] = (int8_t)(v < -127 ? -127 : v > 127 ? 127 : v);
    }
    return k;
}

#ifdef EIW_HAVE_X86
/* Arithmetic shifts are floor divisions, so (v + half) >> s equals round_shift exactly. */
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
    int k = 0;
    while ((amax >> k) > 127)
        k++;
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

void eiw_requant(const int32_t *acc, const int32_t *mult, const int8_t *shift, int R, int e_off,
                 int32_t *out)
{
#ifdef EIW_HAVE_X86
    if (eiw_kernel_active() == EIW_KERNEL_AVX512VNNI) {
        requant_avx512(acc, mult, shift, R, e_off, out);
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
#endif
    return quant8_scalar(y, n, q);
}
