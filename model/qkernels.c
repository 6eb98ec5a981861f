/* int8 GEMM kernels with runtime dispatch. The AVX-512 VNNI path adds 128 to activations to use
 * vpdpbusd (unsigned x signed) and subtracts 128 * rowsum afterwards; AVX2 widens to int16 and
 * uses vpmaddwd. Neither saturates, so all paths give identical int32 sums. */
#include <stdlib.h>
#include <string.h>
#include "qkernels.h"

#if defined(__x86_64__) && !defined(EIW_SIMD_NONE)
#define EIW_HAVE_X86 1
#include <immintrin.h>
#endif

static eiw_kernel forced = (eiw_kernel)-1;

eiw_kernel eiw_kernel_active(void)
{
    if ((int)forced >= 0)
        return forced;
#ifdef EIW_HAVE_X86
    const char *env = getenv("EIW_SIMD");
    if (env && strcmp(env, "none") == 0)
        return EIW_KERNEL_SCALAR;
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw"))
        return EIW_KERNEL_AVX512VNNI;
    if (__builtin_cpu_supports("avx2"))
        return EIW_KERNEL_AVX2;
#endif
    return EIW_KERNEL_SCALAR;
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
