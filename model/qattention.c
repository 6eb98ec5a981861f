/* Attention kernels of the integer M1 with runtime dispatch (see qattention.h). Integer sums are
 * exact in any order, so the blocking below never changes a result; the AVX2 and AVX-512 paths
 * are checked against the scalar loops in tests/test_qm1.c. */
#include <string.h>
#include "model/qattention.h"
#include "model/qkernels.h"

#if defined(__x86_64__) && !defined(EIW_SIMD_NONE)
#define EIW_HAVE_X86 1
#include <immintrin.h>
#endif

#define EIW_QATT_DMAX 1024        /* head width the AVX2 dots keep their query for */

static inline const uint8_t *key_at(const uint8_t *keys, int s, int D)
{
    return keys + (size_t)(s >> 4) * 16 * D + (size_t)(s & 15) * 4;
}

void eiw_qkey_put(uint8_t *keys, int s, const int8_t *k, int D)
{
    uint8_t *b = (uint8_t *)key_at(keys, s, D);
    for (int g = 0; g < D / 4; g++)
        for (int t = 0; t < 4; t++)
            b[64 * g + t] = (uint8_t)((uint8_t)k[4 * g + t] ^ 0x80);
}

void eiw_qval_put(int16_t *vals, int s, const int16_t *v, int D)
{
    int16_t *b = vals + (size_t)(s >> 1) * 2 * D + (s & 1);
    for (int d = 0; d < D; d++)
        b[2 * d] = v[d];
}

/* ---- query-key dots ---- */

static void dots_scalar(const int8_t *q, int nq, const uint8_t *keys, int s0, int s1, int D,
                        int32_t *dots, size_t dstride)
{
    for (int i = 0; i < nq; i++, q += D, dots += dstride)
        for (int s = s0; s < s1; s++) {
            const uint8_t *b = key_at(keys, s, D);
            int32_t sum = 0;
            for (int g = 0; g < D / 4; g++)
                for (int t = 0; t < 4; t++)
                    sum += ((int32_t)b[64 * g + t] - 128) * q[4 * g + t];
            dots[s] = sum;
        }
}

/* -128 * sum of a query's components: the stored keys carry +128 */
static int32_t query_corr(const int8_t *q, int D)
{
    int32_t s = 0;
    for (int d = 0; d < D; d++)
        s += q[d];
    return -128 * s;
}

#ifdef EIW_HAVE_X86
/* Tiles of NB blocks (16 slots each) x NQ queries: every key load serves NQ queries and every
 * broadcast query group NB blocks. */
__attribute__((target("avx512f,avx512bw,avx512vnni"), always_inline))
static inline void dots_tile(const int8_t *q, int D, const uint8_t *kb, const int32_t *corr,
                             int NB, int NQ, int32_t *dots, size_t dstride)
{
    __m512i acc[2][4];
#pragma GCC unroll 2
    for (int b = 0; b < NB; b++)
#pragma GCC unroll 4
        for (int i = 0; i < NQ; i++)
            acc[b][i] = _mm512_set1_epi32(corr[i]);
    for (int g = 0; g < D / 4; g++) {
        __m512i kv[2], qv[4];
#pragma GCC unroll 2
        for (int b = 0; b < NB; b++)
            kv[b] = _mm512_loadu_si512(kb + (size_t)b * 16 * D + 64 * g);
#pragma GCC unroll 4
        for (int i = 0; i < NQ; i++) {
            int32_t w;
            memcpy(&w, q + (size_t)i * D + 4 * g, 4);
            qv[i] = _mm512_set1_epi32(w);
        }
#pragma GCC unroll 2
        for (int b = 0; b < NB; b++)
#pragma GCC unroll 4
            for (int i = 0; i < NQ; i++)
                acc[b][i] = _mm512_dpbusd_epi32(acc[b][i], kv[b], qv[i]);
    }
#pragma GCC unroll 2
    for (int b = 0; b < NB; b++)
#pragma GCC unroll 4
        for (int i = 0; i < NQ; i++)
            _mm512_storeu_si512(dots + (size_t)i * dstride + 16 * b, acc[b][i]);
}

__attribute__((target("avx512f,avx512bw,avx512vnni")))
static void dots_avx512(const int8_t *q, int nq, const uint8_t *keys, int s0, int s1, int D,
                        int32_t *dots, size_t dstride)
{
    const int b0 = s0 >> 4, b1 = (s1 + 15) >> 4;
    for (int i = 0; i < nq; i += 4) {
        int32_t corr[4];
        int n = nq - i < 4 ? nq - i : 4;
        for (int j = 0; j < n; j++)
            corr[j] = query_corr(q + (size_t)(i + j) * D, D);
        const int8_t *qi = q + (size_t)i * D;
        int32_t *di = dots + (size_t)i * dstride;
        for (int b = b0; b < b1; b += 2) {
            const uint8_t *kb = keys + (size_t)b * 16 * D;
            int32_t *d = di + 16 * b;
            int two = b + 1 < b1;
            switch (n * 2 + two) {   /* constant tile shapes after inlining */
            case 9: dots_tile(qi, D, kb, corr, 2, 4, d, dstride); break;
            case 8: dots_tile(qi, D, kb, corr, 1, 4, d, dstride); break;
            case 7: dots_tile(qi, D, kb, corr, 2, 3, d, dstride); break;
            case 6: dots_tile(qi, D, kb, corr, 1, 3, d, dstride); break;
            case 5: dots_tile(qi, D, kb, corr, 2, 2, d, dstride); break;
            case 4: dots_tile(qi, D, kb, corr, 1, 2, d, dstride); break;
            case 3: dots_tile(qi, D, kb, corr, 2, 1, d, dstride); break;
            default: dots_tile(qi, D, kb, corr, 1, 1, d, dstride); break;
            }
        }
    }
}

/* AVX2: u8 keys widened to int16 (k + 128 <= 255, q >= -127: products fit int16 and vpmaddwd
 * sums pairs exactly); 4 slots x 4 bytes per 128-bit quarter of a group. */
__attribute__((target("avx2")))
static void dots_avx2(const int8_t *q, int nq, const uint8_t *keys, int s0, int s1, int D,
                      int32_t *dots, size_t dstride)
{
    const int b0 = s0 >> 4, b1 = (s1 + 15) >> 4;
    __m256i qv[EIW_QATT_DMAX / 4];   /* each group's 4 components as int16, 4 times */
    for (int i = 0; i < nq; i++, q += D, dots += dstride) {
        const __m256i corr = _mm256_set1_epi32(query_corr(q, D));
        for (int g = 0; g < D / 4; g++)
            qv[g] = _mm256_set_epi16(q[4 * g + 3], q[4 * g + 2], q[4 * g + 1], q[4 * g],
                                     q[4 * g + 3], q[4 * g + 2], q[4 * g + 1], q[4 * g],
                                     q[4 * g + 3], q[4 * g + 2], q[4 * g + 1], q[4 * g],
                                     q[4 * g + 3], q[4 * g + 2], q[4 * g + 1], q[4 * g]);
        for (int b = b0; b < b1; b++) {
            const uint8_t *kb = keys + (size_t)b * 16 * D;
            /* acc[j]: slots 4j..4j+3, two partial sums each (dimension pairs) */
            __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
            for (int g = 0; g < D / 4; g++, kb += 64) {
                a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(_mm256_cvtepu8_epi16(
                         _mm_loadu_si128((const __m128i *)kb)), qv[g]));
                a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(_mm256_cvtepu8_epi16(
                         _mm_loadu_si128((const __m128i *)(kb + 16))), qv[g]));
                a2 = _mm256_add_epi32(a2, _mm256_madd_epi16(_mm256_cvtepu8_epi16(
                         _mm_loadu_si128((const __m128i *)(kb + 32))), qv[g]));
                a3 = _mm256_add_epi32(a3, _mm256_madd_epi16(_mm256_cvtepu8_epi16(
                         _mm_loadu_si128((const __m128i *)(kb + 48))), qv[g]));
            }
            /* each slot's two partials are adjacent: add them pairwise, in slot order */
            __m256i s01 = _mm256_hadd_epi32(a0, a1);   /* lanes: 0 1 4 5 | 2 3 6 7 */
            __m256i s23 = _mm256_hadd_epi32(a2, a3);
            s01 = _mm256_permute4x64_epi64(s01, 0xD8);
            s23 = _mm256_permute4x64_epi64(s23, 0xD8);
            _mm256_storeu_si256((__m256i *)(dots + 16 * b), _mm256_add_epi32(s01, corr));
            _mm256_storeu_si256((__m256i *)(dots + 16 * b + 8), _mm256_add_epi32(s23, corr));
        }
    }
}
#endif

void eiw_qkey_dots(const int8_t *q, int nq, const uint8_t *keys, int s0, int s1, int D,
                   int32_t *dots, size_t dstride)
{
    if (s1 <= s0)
        return;
#ifdef EIW_HAVE_X86
    switch (eiw_kernel_active()) {
    case EIW_KERNEL_AVX512VNNI:
        dots_avx512(q, nq, keys, s0, s1, D, dots, dstride);
        return;
    case EIW_KERNEL_AVX2:
        if (D <= EIW_QATT_DMAX) {
            dots_avx2(q, nq, keys, s0, s1, D, dots, dstride);
            return;
        }
        break;
    default:
        break;
    }
#endif
    dots_scalar(q, nq, keys, s0, s1, D, dots, dstride);
}

/* ---- weighted sums of values ---- */

static void sum_scalar(const int32_t *p, const int16_t *vals, int s0, int s1, int D,
                       int32_t *acc)
{
    for (int s = s0 & ~1; s < s1; s += 2) {
        int32_t pa = p[s], pb = p[s + 1];
        if (!pa && !pb)
            continue;
        const int16_t *b = vals + (size_t)(s >> 1) * 2 * D;
        for (int d = 0; d < D; d++)
            acc[d] += pa * b[2 * d] + pb * b[2 * d + 1];
    }
}

#ifdef EIW_HAVE_X86
/* vpdpwssd multiplies a pair's interleaved values by (p_even, p_odd) packed as int16: a weight
 * of 2^15 (all attention on one key) does not fit int16, so such a pair is summed apart. Tiles of
 * NQ queries x 64 dimensions (4 registers each): every value load serves NQ queries. */
__attribute__((target("avx512f,avx512bw,avx512vnni"), always_inline))
static inline void sums64_tile(const int32_t *p, size_t pstride, int NQ, const int16_t *b,
                               size_t pairstep, int s0, int s1, int32_t *acc, size_t astride)
{
    __m512i a[4][4];
    int wide = 0;
#pragma GCC unroll 4
    for (int i = 0; i < NQ; i++)
#pragma GCC unroll 4
        for (int c = 0; c < 4; c++)
            a[i][c] = _mm512_loadu_si512(acc + i * astride + 16 * c);
    const int16_t *b0 = b + (size_t)(s0 >> 1) * pairstep;
    b = b0;
    for (int s = s0 & ~1; s < s1; s += 2, b += pairstep) {
        uint32_t any = 0;
#pragma GCC unroll 4
        for (int i = 0; i < NQ; i++)
            any |= (uint32_t)p[i * pstride + s] | (uint32_t)p[i * pstride + s + 1];
        if (!any)   /* weights of 0 add nothing: the pair's values are not even read */
            continue;
        __m512i v[4];
#pragma GCC unroll 4
        for (int c = 0; c < 4; c++)
            v[c] = _mm512_loadu_si512(b + 32 * c);
#pragma GCC unroll 4
        for (int i = 0; i < NQ; i++) {
            uint32_t pa = (uint32_t)p[i * pstride + s], pb = (uint32_t)p[i * pstride + s + 1];
            int w16 = (pa | pb) > 32767;
            wide |= w16;
            const __m512i w = _mm512_set1_epi32(w16 ? 0 : (int32_t)((pb << 16) | pa));
#pragma GCC unroll 4
            for (int c = 0; c < 4; c++)
                a[i][c] = _mm512_dpwssd_epi32(a[i][c], v[c], w);
        }
    }
#pragma GCC unroll 4
    for (int i = 0; i < NQ; i++)
#pragma GCC unroll 4
        for (int c = 0; c < 4; c++)
            _mm512_storeu_si512(acc + i * astride + 16 * c, a[i][c]);
    if (wide)   /* rare: the pairs left out above */
        for (int i = 0; i < NQ; i++) {
            const int32_t *pi = p + i * pstride;
            b = b0;
            for (int s = s0 & ~1; s < s1; s += 2, b += pairstep)
                if (((uint32_t)pi[s] | (uint32_t)pi[s + 1]) > 32767)
                    for (int d = 0; d < 64; d++)
                        acc[i * astride + d] += pi[s] * b[2 * d] + pi[s + 1] * b[2 * d + 1];
        }
}

__attribute__((target("avx512f,avx512bw,avx512vnni")))
static void sums64_avx512(const int32_t *p, size_t pstride, int nq, const int16_t *b,
                          size_t pairstep, int s0, int s1, int32_t *acc, size_t astride)
{
    for (int i = 0; i < nq; i += 4) {
        const int32_t *pi = p + (size_t)i * pstride;
        int32_t *ai = acc + (size_t)i * astride;
        switch (nq - i) {   /* constant tile shapes after inlining */
        case 1: sums64_tile(pi, pstride, 1, b, pairstep, s0, s1, ai, astride); break;
        case 2: sums64_tile(pi, pstride, 2, b, pairstep, s0, s1, ai, astride); break;
        case 3: sums64_tile(pi, pstride, 3, b, pairstep, s0, s1, ai, astride); break;
        default: sums64_tile(pi, pstride, 4, b, pairstep, s0, s1, ai, astride); break;
        }
    }
}

__attribute__((target("avx512f,avx512bw,avx512vnni")))
static void sum_avx512(const int32_t *p, const int16_t *vals, int s0, int s1, int D,
                       int32_t *acc)
{
    int d0 = 0;
    for (; d0 + 64 <= D; d0 += 64)
        sums64_avx512(p, 0, 1, vals + 2 * d0, (size_t)2 * D, s0, s1, acc + d0, 0);
    for (; d0 < D; d0 += 16) {   /* 16, 32 or 48 dimensions left */
        __m512i a = _mm512_loadu_si512(acc + d0);
        int32_t e[16] = { 0 };
        for (int s = s0 & ~1; s < s1; s += 2) {
            const int16_t *b = vals + (size_t)(s >> 1) * 2 * D + 2 * d0;
            uint32_t pa = (uint32_t)p[s], pb = (uint32_t)p[s + 1];
            if ((pa | pb) > 32767) {
                for (int d = 0; d < 16; d++)
                    e[d] += p[s] * b[2 * d] + p[s + 1] * b[2 * d + 1];
                continue;
            }
            a = _mm512_dpwssd_epi32(a, _mm512_loadu_si512(b),
                                    _mm512_set1_epi32((int32_t)((pb << 16) | pa)));
        }
        _mm512_storeu_si512(acc + d0, _mm512_add_epi32(a, _mm512_loadu_si512(e)));
    }
}

/* 64 dimensions in 8 registers per pass over the pairs (D % 64 == 0), else 8 at a time. */
__attribute__((target("avx2")))
static void sum_avx2(const int32_t *p, const int16_t *vals, int s0, int s1, int D, int32_t *acc)
{
    const int step = D % 64 == 0 ? 64 : 8;
    for (int d0 = 0; d0 < D; d0 += step) {
        __m256i a[8];
        const int nv = step / 8;
        for (int c = 0; c < nv; c++)
            a[c] = _mm256_loadu_si256((const __m256i *)(acc + d0 + 8 * c));
        for (int s = s0 & ~1; s < s1; s += 2) {
            int32_t pa = p[s], pb = p[s + 1];
            if (!pa && !pb)
                continue;
            const int16_t *b = vals + (size_t)(s >> 1) * 2 * D + 2 * d0;
            if (pa > 32767 || pb > 32767) {   /* a weight of 2^15 does not fit int16 */
                for (int c = 0; c < nv; c++) {
                    __m256i v = _mm256_loadu_si256((const __m256i *)(b + 16 * c));
                    __m256i lo = _mm256_srai_epi32(_mm256_slli_epi32(v, 16), 16);
                    __m256i hi = _mm256_srai_epi32(v, 16);
                    a[c] = _mm256_add_epi32(a[c], _mm256_mullo_epi32(lo, _mm256_set1_epi32(pa)));
                    a[c] = _mm256_add_epi32(a[c], _mm256_mullo_epi32(hi, _mm256_set1_epi32(pb)));
                }
                continue;
            }
            const __m256i w = _mm256_set1_epi32((int32_t)(((uint32_t)pb << 16) | (uint32_t)pa));
            if (nv == 8) {
#pragma GCC unroll 8
                for (int c = 0; c < 8; c++)
                    a[c] = _mm256_add_epi32(a[c], _mm256_madd_epi16(
                        _mm256_loadu_si256((const __m256i *)(b + 16 * c)), w));
            } else {
                a[0] = _mm256_add_epi32(a[0], _mm256_madd_epi16(
                    _mm256_loadu_si256((const __m256i *)b), w));
            }
        }
        for (int c = 0; c < nv; c++)
            _mm256_storeu_si256((__m256i *)(acc + d0 + 8 * c), a[c]);
    }
}
#endif

void eiw_qval_sums(const int32_t *p, size_t pstride, int nq, const int16_t *vals, int s0, int s1,
                   int D, int32_t *acc, size_t astride)
{
    if (s1 <= s0)
        return;
#ifdef EIW_HAVE_X86
    if (D % 64 == 0 && eiw_kernel_active() == EIW_KERNEL_AVX512VNNI) {
        for (int d0 = 0; d0 < D; d0 += 64)
            sums64_avx512(p, pstride, nq, vals + 2 * d0, (size_t)2 * D, s0, s1, acc + d0,
                          astride);
        return;
    }
#endif
    for (int i = 0; i < nq; i++)
        eiw_qval_sum(p + (size_t)i * pstride, vals, s0, s1, D, acc + (size_t)i * astride);
}

void eiw_qval_sum(const int32_t *p, const int16_t *vals, int s0, int s1, int D, int32_t *acc)
{
    if (s1 <= s0)
        return;
#ifdef EIW_HAVE_X86
    switch (eiw_kernel_active()) {
    case EIW_KERNEL_AVX512VNNI:
        if (D % 16 == 0) {
            sum_avx512(p, vals, s0, s1, D, acc);
            return;
        }
        break;
    case EIW_KERNEL_AVX2:
        if (D % 8 == 0) {
            sum_avx2(p, vals, s0, s1, D, acc);
            return;
        }
        break;
    default:
        break;
    }
#endif
    sum_scalar(p, vals, s0, s1, D, acc);
}

/* ---- the BOS entry and the output ---- */

static int32_t dot8_scalar(const int8_t *q, const int8_t *k, int D)
{
    int32_t s = 0;
    for (int d = 0; d < D; d++)
        s += (int32_t)q[d] * k[d];
    return s;
}

static void first_scalar(int32_t p, const int16_t *v, int D, int32_t *acc)
{
    for (int d = 0; d < D; d++)
        acc[d] = p * v[d];
}

static void out_scalar(const int32_t *acc, int D, int32_t *out)
{
    for (int d = 0; d < D; d++)
        out[d] = (int32_t)eiw_rshr(acc[d], 9);
}

#ifdef EIW_HAVE_X86
__attribute__((target("avx512f,avx512bw")))
static int32_t dot8_avx512(const int8_t *q, const int8_t *k, int D)
{
    __m512i s = _mm512_setzero_si512();
    for (int d = 0; d < D; d += 32)   /* D % 32 == 0 */
        s = _mm512_add_epi32(s, _mm512_madd_epi16(
            _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)(q + d))),
            _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)(k + d)))));
    return _mm512_reduce_add_epi32(s);
}

__attribute__((target("avx512f,avx512bw")))
static void first_avx512(int32_t p, const int16_t *v, int D, int32_t *acc)
{
    const __m512i pv = _mm512_set1_epi32(p);
    for (int d = 0; d < D; d += 16)   /* D % 16 == 0 */
        _mm512_storeu_si512(acc + d, _mm512_mullo_epi32(pv, _mm512_cvtepi16_epi32(
                                         _mm256_loadu_si256((const __m256i *)(v + d)))));
}

/* the arithmetic shift of vpsrad is a floor division, which is what out_scalar computes */
__attribute__((target("avx512f,avx512bw")))
static void out_avx512(const int32_t *acc, int D, int32_t *out)
{
    const __m512i half = _mm512_set1_epi32(256);
    for (int d = 0; d < D; d += 16)   /* D % 16 == 0; |acc| < 2^30, so + 256 cannot overflow */
        _mm512_storeu_si512(out + d, _mm512_srai_epi32(
                                         _mm512_add_epi32(_mm512_loadu_si512(acc + d), half), 9));
}

__attribute__((target("avx2")))
static void first_avx2(int32_t p, const int16_t *v, int D, int32_t *acc)
{
    const __m256i pv = _mm256_set1_epi32(p);
    for (int d = 0; d < D; d += 8)   /* D % 8 == 0 */
        _mm256_storeu_si256((__m256i *)(acc + d), _mm256_mullo_epi32(pv, _mm256_cvtepi16_epi32(
                                                      _mm_loadu_si128((const __m128i *)(v + d)))));
}

__attribute__((target("avx2")))
static void out_avx2(const int32_t *acc, int D, int32_t *out)
{
    const __m256i half = _mm256_set1_epi32(256);
    for (int d = 0; d < D; d += 8)   /* D % 8 == 0 */
        _mm256_storeu_si256((__m256i *)(out + d), _mm256_srai_epi32(_mm256_add_epi32(
            _mm256_loadu_si256((const __m256i *)(acc + d)), half), 9));
}
#endif

int32_t eiw_qdot8(const int8_t *q, const int8_t *k, int D)
{
#ifdef EIW_HAVE_X86
    if (D % 32 == 0 && eiw_kernel_active() == EIW_KERNEL_AVX512VNNI)
        return dot8_avx512(q, k, D);
#endif
    return dot8_scalar(q, k, D);
}

void eiw_qval_first(int32_t p, const int16_t *v, int D, int32_t *acc)
{
#ifdef EIW_HAVE_X86
    if (D % 16 == 0 && eiw_kernel_active() == EIW_KERNEL_AVX512VNNI) {
        first_avx512(p, v, D, acc);
        return;
    }
    if (D % 8 == 0 && eiw_kernel_active() == EIW_KERNEL_AVX2) {
        first_avx2(p, v, D, acc);
        return;
    }
#endif
    first_scalar(p, v, D, acc);
}

void eiw_qval_out(const int32_t *acc, int D, int32_t *out)
{
#ifdef EIW_HAVE_X86
    if (D % 16 == 0 && eiw_kernel_active() == EIW_KERNEL_AVX512VNNI) {
        out_avx512(acc, D, out);
        return;
    }
    if (D % 8 == 0 && eiw_kernel_active() == EIW_KERNEL_AVX2) {
        out_avx2(acc, D, out);
        return;
    }
#endif
    out_scalar(acc, D, out);
}

/* ---- scores and softmax weights ---- */


static int64_t scores_scalar(const int32_t *dots, const int8_t *ke, int n, int qe, int32_t inv,
                             int32_t slope, int64_t dist0, int64_t *sc)
{
    int64_t mx = INT64_MIN;
    for (int e = 0; e < n; e++) {
        int s = 4 - qe - ke[e];
        int64_t v = (int64_t)dots[e] * inv;
        v = eiw_rshr(v, s);
        v -= eiw_rshr((int64_t)slope * (dist0 - e), 4);
        sc[e] = v;
        if (v > mx)
            mx = v;
    }
    return mx;
}

static uint64_t exp_scalar(const int64_t *sc, int n, int64_t smax, uint32_t *p)
{
    uint64_t sum = 0;
    for (int e = 0; e < n; e++) {
        int64_t d = smax - sc[e];
        if (d > (1 << 30))
            d = 1 << 30;
        int64_t t = eiw_rshr(d * EIW_LOG2E_Q16, 16);   /* Q12, base 2 */
        int64_t ip = t >> 12;
        p[e] = ip >= 24 ? 0 : eiw_exp2_neg_q23[(t >> 4) & 255] >> ip;
        sum += p[e];
    }
    return sum;
}

static void normalize_scalar(const uint32_t *p, int n, uint64_t rcp, int32_t *pn)
{
    for (int e = 0; e < n; e++)
        pn[e] = (int32_t)(((uint64_t)p[e] * rcp) >> 47);
}

#ifdef EIW_HAVE_X86
/* The maximum of m and the scores of entries e..n-1 (the vector loops' remainder). */
static int64_t scores_rest(int64_t m, const int32_t *dots, const int8_t *ke, int e, int n, int qe,
                           int32_t inv, int32_t slope, int64_t dist0, int64_t *sc)
{
    if (e < n) {
        int64_t t = scores_scalar(dots + e, ke + e, n - e, qe, inv, slope, dist0 - e, sc + e);
        if (t > m)
            m = t;
    }
    return m;
}

/* Non-negative operands only reach the shifts below, so arithmetic and logical shifts agree
 * with eiw_rshr; a negative shift count becomes a left shift. */
__attribute__((target("avx512f,avx512dq")))
static int64_t scores_avx512(const int32_t *dots, const int8_t *ke, int n, int qe, int32_t inv,
                             int32_t slope, int64_t dist0, int64_t *sc)
{
    const __m512i one = _mm512_set1_epi64(1), zero = _mm512_setzero_si512();
    const __m512i base = _mm512_set1_epi64(4 - qe), invv = _mm512_set1_epi64(inv);
    const __m512i sl = _mm512_set1_epi64(slope), lane = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0);
    __m512i mx = _mm512_set1_epi64(INT64_MIN);
    int e = 0;
    for (; e + 8 <= n; e += 8) {
        __m512i d = _mm512_cvtepi32_epi64(_mm256_loadu_si256((const __m256i *)(dots + e)));
        __m512i s = _mm512_sub_epi64(base, _mm512_cvtepi8_epi64(_mm_loadl_epi64((const __m128i *)(ke + e))));
        __m512i v = _mm512_mul_epi32(d, invv);
        __m512i sneg = _mm512_max_epi64(_mm512_sub_epi64(zero, s), zero);
        __m512i spos = _mm512_max_epi64(s, zero);
        v = _mm512_sllv_epi64(v, sneg);
        v = _mm512_srav_epi64(_mm512_add_epi64(v, _mm512_sllv_epi64(one, _mm512_sub_epi64(spos, one))), spos);
        __m512i dist = _mm512_sub_epi64(_mm512_set1_epi64(dist0 - e), lane);
        __m512i al = _mm512_srai_epi64(_mm512_add_epi64(_mm512_mullo_epi64(sl, dist), _mm512_set1_epi64(8)), 4);
        v = _mm512_sub_epi64(v, al);
        _mm512_storeu_si512(sc + e, v);
        mx = _mm512_max_epi64(mx, v);
    }
    int64_t m = _mm512_reduce_max_epi64(mx);
    return scores_rest(m, dots, ke, e, n, qe, inv, slope, dist0, sc);
}

/* AVX2 has no 64-bit arithmetic shift. |dots * inv| < 2^47 and the shift 4 - qe - ke is in
 * [-12, 36], so a left shift stays below 2^59 and a right one rounds as
 * ((v + 2^62 + 2^(s-1)) >> s) - 2^(62-s) with logical shifts (2^(s-1) is 0 for s = 0: vpsllvq
 * gives 0 for a count of 2^64 - 1). The ALiBi term is non-negative (slope, distance >= 0). */
__attribute__((target("avx2")))
static int64_t scores_avx2(const int32_t *dots, const int8_t *ke, int n, int qe, int32_t inv,
                           int32_t slope, int64_t dist0, int64_t *sc)
{
    const __m256i one = _mm256_set1_epi64x(1), zero = _mm256_setzero_si256();
    const __m256i off = _mm256_set1_epi64x((int64_t)1 << 62), eight = _mm256_set1_epi64x(8);
    const __m256i base = _mm256_set1_epi64x(4 - qe), invv = _mm256_set1_epi64x(inv);
    const __m256i sl = _mm256_set1_epi64x(slope), lane = _mm256_set_epi64x(3, 2, 1, 0);
    __m256i mx = _mm256_set1_epi64x(INT64_MIN);
    int e = 0;
    if (dist0 < 0 || dist0 > INT32_MAX)
        return scores_scalar(dots, ke, n, qe, inv, slope, dist0, sc);
    for (; e + 4 <= n; e += 4) {
        int32_t k4;
        memcpy(&k4, ke + e, 4);
        __m256i d = _mm256_cvtepi32_epi64(_mm_loadu_si128((const __m128i *)(dots + e)));
        __m256i s = _mm256_sub_epi64(base, _mm256_cvtepi8_epi64(_mm_cvtsi32_si128(k4)));
        __m256i gt = _mm256_cmpgt_epi64(s, zero);
        __m256i spos = _mm256_and_si256(s, gt), sneg = _mm256_andnot_si256(gt, _mm256_sub_epi64(zero, s));
        __m256i v = _mm256_sllv_epi64(_mm256_mul_epi32(d, invv), sneg);
        v = _mm256_add_epi64(_mm256_add_epi64(v, off), _mm256_sllv_epi64(one, _mm256_sub_epi64(spos, one)));
        v = _mm256_sub_epi64(_mm256_srlv_epi64(v, spos), _mm256_srlv_epi64(off, spos));
        __m256i dist = _mm256_sub_epi64(_mm256_set1_epi64x(dist0 - e), lane);
        __m256i al = _mm256_srli_epi64(_mm256_add_epi64(_mm256_mul_epi32(sl, dist), eight), 4);
        v = _mm256_sub_epi64(v, al);
        _mm256_storeu_si256((__m256i *)(sc + e), v);
        mx = _mm256_blendv_epi8(mx, v, _mm256_cmpgt_epi64(v, mx));
    }
    int64_t m4[4], m = INT64_MIN;
    _mm256_storeu_si256((__m256i *)m4, mx);
    for (int i = 0; i < 4; i++)
        m = m4[i] > m ? m4[i] : m;
    return scores_rest(m, dots, ke, e, n, qe, inv, slope, dist0, sc);
}

/* 16 entries per step in 32-bit lanes. From d = smax - sc >= 2^17 on, t >= 189,096 and the
 * weight is 0 (t >> 12 >= 24), so d is capped at 2^17 instead of 2^30 without changing a weight;
 * then t = d + ((d * (EIW_LOG2E_Q16 - 2^16) + 2^15) >> 16) with the product below 2^32. A shift of
 * 24 or more leaves 0 of a table entry (< 2^24), as the scalar rule says. Lane sums stay below
 * 2^32 for n <= 2^12. */
__attribute__((target("avx512f,avx512dq")))
static uint64_t exp_avx512(const int64_t *sc, int n, int64_t smax, uint32_t *p)
{
    const __m512i cap = _mm512_set1_epi64(1 << 17), mx = _mm512_set1_epi64(smax);
    const __m512i frac = _mm512_set1_epi32(EIW_LOG2E_Q16 - 65536), half = _mm512_set1_epi32(1 << 15);
    const __m512i m255 = _mm512_set1_epi32(255);
    __m512i sum = _mm512_setzero_si512();
    int e = 0;
    for (; e + 16 <= n; e += 16) {
        __m512i d0 = _mm512_min_epi64(_mm512_sub_epi64(mx, _mm512_loadu_si512(sc + e)), cap);
        __m512i d1 = _mm512_min_epi64(_mm512_sub_epi64(mx, _mm512_loadu_si512(sc + e + 8)), cap);
        __m512i d = _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtepi64_epi32(d0)),
                                       _mm512_cvtepi64_epi32(d1), 1);
        __m512i t = _mm512_add_epi32(d, _mm512_srli_epi32(
                                            _mm512_add_epi32(_mm512_mullo_epi32(d, frac), half), 16));
        __m512i idx = _mm512_and_si512(_mm512_srli_epi32(t, 4), m255);
        __m512i tab = _mm512_i32gather_epi32(idx, (const void *)eiw_exp2_neg_q23, 4);
        __m512i v = _mm512_srlv_epi32(tab, _mm512_srli_epi32(t, 12));
        _mm512_storeu_si512(p + e, v);
        sum = _mm512_add_epi32(sum, v);
    }
    __m512i s64 = _mm512_add_epi64(_mm512_cvtepu32_epi64(_mm512_castsi512_si256(sum)),
                                   _mm512_cvtepu32_epi64(_mm512_extracti64x4_epi64(sum, 1)));
    uint64_t s = (uint64_t)_mm512_reduce_add_epi64(s64);
    return s + (e < n ? exp_scalar(sc + e, n - e, smax, p + e) : 0);
}

__attribute__((target("avx512f,avx512dq")))
static void normalize_avx512(const uint32_t *p, int n, uint64_t rcp, int32_t *pn)
{
    const __m512i r = _mm512_set1_epi64((int64_t)rcp);
    int e = 0;
    for (; e + 8 <= n; e += 8) {
        __m512i v = _mm512_cvtepu32_epi64(_mm256_loadu_si256((const __m256i *)(p + e)));
        v = _mm512_srli_epi64(_mm512_mullo_epi64(v, r), 47);
        _mm256_storeu_si256((__m256i *)(pn + e), _mm512_cvtepi64_epi32(v));
    }
    normalize_scalar(p + e, n - e, rcp, pn + e);
}
/* As exp_avx512, 8 lanes: the cap at 2^17, the 32-bit product, vpgatherdd; vpsrlvd gives 0 for
 * counts of 32 and more. */
__attribute__((target("avx2")))
static uint64_t exp_avx2(const int64_t *sc, int n, int64_t smax, uint32_t *p)
{
    const __m256i cap = _mm256_set1_epi64x(1 << 17), mx = _mm256_set1_epi64x(smax);
    const __m256i frac = _mm256_set1_epi32(EIW_LOG2E_Q16 - 65536), half = _mm256_set1_epi32(1 << 15);
    const __m256i m255 = _mm256_set1_epi32(255), pick = _mm256_set_epi32(7, 5, 3, 1, 6, 4, 2, 0);
    __m256i sum = _mm256_setzero_si256();
    int e = 0;
    for (; e + 8 <= n; e += 8) {
        __m256i d0 = _mm256_sub_epi64(mx, _mm256_loadu_si256((const __m256i *)(sc + e)));
        __m256i d1 = _mm256_sub_epi64(mx, _mm256_loadu_si256((const __m256i *)(sc + e + 4)));
        d0 = _mm256_blendv_epi8(d0, cap, _mm256_cmpgt_epi64(d0, cap));
        d1 = _mm256_blendv_epi8(d1, cap, _mm256_cmpgt_epi64(d1, cap));
        /* low halves of the 8 lanes, in order */
        __m256i d = _mm256_permute2x128_si256(_mm256_permutevar8x32_epi32(d0, pick),
                                              _mm256_permutevar8x32_epi32(d1, pick), 0x20);
        __m256i t = _mm256_add_epi32(d, _mm256_srli_epi32(
                                            _mm256_add_epi32(_mm256_mullo_epi32(d, frac), half), 16));
        __m256i idx = _mm256_and_si256(_mm256_srli_epi32(t, 4), m255);
        __m256i tab = _mm256_i32gather_epi32((const int *)eiw_exp2_neg_q23, idx, 4);
        __m256i v = _mm256_srlv_epi32(tab, _mm256_srli_epi32(t, 12));
        _mm256_storeu_si256((__m256i *)(p + e), v);
        sum = _mm256_add_epi32(sum, v);
    }
    uint32_t s8[8];
    uint64_t s = 0;
    _mm256_storeu_si256((__m256i *)s8, sum);
    for (int i = 0; i < 8; i++)
        s += s8[i];
    return s + (e < n ? exp_scalar(sc + e, n - e, smax, p + e) : 0);
}

/* p * rcp with rcp = rh * 2^32 + rl: two unsigned 32 x 32 products (p < 2^24, rcp < 2^40). */
__attribute__((target("avx2")))
static void normalize_avx2(const uint32_t *p, int n, uint64_t rcp, int32_t *pn)
{
    const __m256i rl = _mm256_set1_epi64x((int64_t)(rcp & 0xFFFFFFFFu));
    const __m256i rh = _mm256_set1_epi64x((int64_t)(rcp >> 32));
    const __m256i pick = _mm256_set_epi32(6, 4, 2, 0, 6, 4, 2, 0);
    int e = 0;
    for (; e + 4 <= n; e += 4) {
        __m256i v = _mm256_cvtepu32_epi64(_mm_loadu_si128((const __m128i *)(p + e)));
        v = _mm256_add_epi64(_mm256_mul_epu32(v, rl), _mm256_slli_epi64(_mm256_mul_epu32(v, rh), 32));
        v = _mm256_srli_epi64(v, 47);
        _mm_storeu_si128((__m128i *)(pn + e),
                         _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(v, pick)));
    }
    normalize_scalar(p + e, n - e, rcp, pn + e);
}
#endif

int64_t eiw_qscores(const int32_t *dots, const int8_t *ke, int n, int qe, int32_t inv,
                    int32_t slope, int64_t dist0, int64_t *sc)
{
#ifdef EIW_HAVE_X86
    if (eiw_kernel_active() == EIW_KERNEL_AVX512VNNI)
        return scores_avx512(dots, ke, n, qe, inv, slope, dist0, sc);
    if (eiw_kernel_active() == EIW_KERNEL_AVX2)
        return scores_avx2(dots, ke, n, qe, inv, slope, dist0, sc);
#endif
    return scores_scalar(dots, ke, n, qe, inv, slope, dist0, sc);
}

uint64_t eiw_qexp(const int64_t *sc, int n, int64_t smax, uint32_t *p)
{
#ifdef EIW_HAVE_X86
    if (eiw_kernel_active() == EIW_KERNEL_AVX512VNNI)
        return exp_avx512(sc, n, smax, p);
    if (eiw_kernel_active() == EIW_KERNEL_AVX2)
        return exp_avx2(sc, n, smax, p);
#endif
    return exp_scalar(sc, n, smax, p);
}

void eiw_qnormalize(const uint32_t *p, int n, uint64_t rcp, int32_t *pn)
{
#ifdef EIW_HAVE_X86
    if (eiw_kernel_active() == EIW_KERNEL_AVX512VNNI) {
        normalize_avx512(p, n, rcp, pn);
        return;
    }
    if (eiw_kernel_active() == EIW_KERNEL_AVX2) {
        normalize_avx2(p, n, rcp, pn);
        return;
    }
#endif
    normalize_scalar(p, n, rcp, pn);
}
