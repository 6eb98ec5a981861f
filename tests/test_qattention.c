/* The attention kernels (model/qattention.c) against plain loops over the same numbers, on
 * every kernel path this CPU has: the blocked key cache, the paired value cache, several queries
 * at once, runs that start and end inside blocks and pairs, weights up to 2^15, and the softmax
 * weights of docs/m1_inference.md. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include "model/qattention.h"
#include "model/qkernels.h"
#include "tests/test_util.h"

enum { RING = 48, NQ = 5, DMAX = 96 };

static int8_t rnd8(uint64_t *r) { return (int8_t)((int)(test_rng(r) % 255) - 127); }

Test(qattention, key_dots_match_plain_loops)
{
    static const int dims[] = { 4, 32, 64, 96 };
    uint64_t r = 17;
    int ks[EIW_KERNEL_COUNT], nk = test_kernels(ks);
    eiw_kernel was = eiw_kernel_active();
    for (size_t di = 0; di < sizeof dims / sizeof *dims; di++) {
        const int D = dims[di];
        int8_t k[RING][DMAX], q[NQ * DMAX];
        uint8_t *keys = calloc((size_t)RING * D, 1);
        for (int s = 0; s < RING; s++) {
            for (int d = 0; d < D; d++)
                k[s][d] = rnd8(&r);
            eiw_qkey_put(keys, s, k[s], D);
        }
        for (int i = 0; i < NQ * D; i++)
            q[i] = rnd8(&r);
        q[0] = -127;   /* the extremes */
        k[0][0] = 127;
        eiw_qkey_put(keys, 0, k[0], D);
        static const int runs[][2] = { { 0, 48 }, { 3, 17 }, { 16, 32 }, { 31, 33 }, { 47, 48 } };
        for (size_t ri = 0; ri < sizeof runs / sizeof *runs; ri++)
            for (int nq = 1; nq <= NQ; nq++) {
                const int s0 = runs[ri][0], s1 = runs[ri][1];
                for (int c = 0; c < nk; c++) {
                    eiw_kernel_force((eiw_kernel)ks[c]);
                    int32_t got[NQ][RING];
                    eiw_qkey_dots(q, nq, keys, s0, s1, D, &got[0][0], RING);
                    for (int i = 0; i < nq; i++)
                        for (int s = s0; s < s1; s++) {
                            int32_t want = 0;
                            for (int d = 0; d < D; d++)
                                want += q[i * D + d] * k[s][d];
                            cr_assert_eq(got[i][s], want, "dots %s D %d query %d slot %d",
                                         eiw_kernel_name(eiw_kernel_active()), D, i, s);
                        }
                }
            }
        free(keys);
    }
    eiw_kernel_force(was);
}

Test(qattention, value_sums_match_plain_loops)
{
    static const int dims[] = { 4, 16, 48, 64, 96, 128 };
    enum { DM = 128 };
    uint64_t r = 29;
    int ks[EIW_KERNEL_COUNT], nk = test_kernels(ks);
    eiw_kernel was = eiw_kernel_active();
    for (size_t di = 0; di < sizeof dims / sizeof *dims; di++) {
        const int D = dims[di];
        static int16_t v[RING][DM];
        int16_t *vals = calloc((size_t)RING * D, sizeof *vals);
        for (int s = 0; s < RING; s++) {
            for (int d = 0; d < D; d++)
                v[s][d] = (int16_t)((int)(test_rng(&r) % 65535) - 32767);
            eiw_qval_put(vals, s, v[s], D);
        }
        static const int runs[][2] = { { 0, 48 }, { 3, 17 }, { 5, 6 }, { 10, 11 }, { 47, 48 } };
        for (int c = 0; c < 4; c++)
            for (size_t ri = 0; ri < sizeof runs / sizeof *runs; ri++)
                for (int nq = 1; nq <= NQ; nq += 2) {
                    const int s0 = runs[ri][0], s1 = runs[ri][1];
                    /* per query: 0 one-hot 2^15 (on a different slot each), 1 sparse, 2-3 dense */
                    int32_t p[NQ][RING + 1];
                    memset(p, 0, sizeof p);
                    for (int i = 0; i < nq; i++)
                        for (int s = s0; s < s1; s++)
                            p[i][s] = c == 0 ? (s == s0 + i % (s1 - s0) ? 32768 : 0)
                                    : c == 1 ? (s % 3 ? 0 : (int32_t)(test_rng(&r) % 2000))
                                             : (int32_t)(test_rng(&r) % 1300);
                    static int32_t want[NQ][DM];
                    for (int i = 0; i < nq; i++)
                        for (int d = 0; d < D; d++) {
                            want[i][d] = d * 7 - 100 + i;   /* sums add to what is there */
                            for (int s = s0; s < s1; s++)
                                want[i][d] += p[i][s] * v[s][d];
                        }
                    for (int k = 0; k < nk; k++) {
                        eiw_kernel_force((eiw_kernel)ks[k]);
                        static int32_t got[NQ][DM];
                        for (int i = 0; i < nq; i++)
                            for (int d = 0; d < D; d++)
                                got[i][d] = d * 7 - 100 + i;
                        if (nq == 1)
                            eiw_qval_sum(p[0], vals, s0, s1, D, got[0]);
                        else
                            eiw_qval_sums(&p[0][0], RING + 1, nq, vals, s0, s1, D, &got[0][0],
                                          DM);
                        for (int i = 0; i < nq; i++)
                            cr_assert(memcmp(got[i], want[i], sizeof(int32_t) * (size_t)D) == 0,
                                      "sums %s D %d case %d run %d-%d query %d of %d",
                                      eiw_kernel_name(eiw_kernel_active()), D, c, s0, s1, i, nq);
                    }
                }
        free(vals);
    }
    eiw_kernel_force(was);
}

/* The rule of docs/m1_inference.md, written out with 64-bit division. */
static uint32_t plain_weight(int64_t d)
{
    if (d > (1 << 30))
        d = 1 << 30;
    int64_t x = d * 94548 + (1 << 15);   /* >= 0 */
    int64_t t = x / 65536, ip = t / 4096;
    return ip >= 24 ? 0 : eiw_exp2_neg_q23[(t / 16) % 256] >> ip;
}

Test(qattention, softmax_weights_follow_the_rule_on_every_path)
{
    enum { N = 300 };
    uint64_t r = 5;
    int64_t sc[N];
    int ks[EIW_KERNEL_COUNT], nk = test_kernels(ks);
    eiw_kernel was = eiw_kernel_active();
    for (int c = 0; c < 3; c++) {
        /* 0: near the maximum; 1: around the 2^17 cap and the 24-bit cut; 2: far apart */
        const int64_t spread = c == 0 ? 70000 : c == 1 ? 300000 : (int64_t)1 << 40;
        int64_t smax = 0;
        for (int e = 0; e < N; e++)
            sc[e] = -(int64_t)(test_rng(&r) % (uint64_t)spread);
        sc[7] = 0;
        sc[8] = -(1 << 17);
        sc[9] = -(1 << 17) + 1;
        sc[10] = -(1 << 30) - 5;
        for (int n = 1; n <= N; n += 37) {
            uint32_t want[N];
            uint64_t wsum = 0;
            for (int e = 0; e < n; e++)
                wsum += want[e] = plain_weight(smax - sc[e]);
            for (int k = 0; k < nk; k++) {
                eiw_kernel_force((eiw_kernel)ks[k]);
                uint32_t got[N];
                int32_t pn[N];
                uint64_t sum = eiw_qexp(sc, n, smax, got);
                cr_assert_eq(sum, wsum, "sum %s case %d n %d",
                             eiw_kernel_name(eiw_kernel_active()), c, n);
                cr_assert(memcmp(got, want, sizeof(uint32_t) * (size_t)n) == 0,
                          "weights %s case %d n %d", eiw_kernel_name(eiw_kernel_active()), c, n);
                uint64_t rcp = (1ull << 62) / (sum ? sum : 1);
                eiw_qnormalize(got, n, rcp, pn);
                for (int e = 0; e < n; e++)
                    cr_assert_eq(pn[e], (int32_t)(((uint64_t)want[e] * rcp) >> 47));
            }
        }
    }
    eiw_kernel_force(was);
}

Test(qattention, bos_entry_and_output_match_plain_loops)
{
    uint64_t r = 3;
    int ks[EIW_KERNEL_COUNT], nk = test_kernels(ks);
    eiw_kernel was = eiw_kernel_active();
    for (int D = 4; D <= 96; D += 4) {
        int8_t q[DMAX], k[DMAX];
        int16_t v[DMAX];
        int32_t acc[DMAX];
        int32_t wdot = 0;
        for (int d = 0; d < D; d++) {
            q[d] = rnd8(&r);
            k[d] = rnd8(&r);
            v[d] = (int16_t)((int)(test_rng(&r) % 65535) - 32767);
            acc[d] = (int32_t)(test_rng(&r) % (1u << 31)) - (1 << 30);
            wdot += q[d] * k[d];
        }
        acc[0] = -257;   /* rounding half up below zero: -257/512 -> -1, -256/512 -> 0 */
        if (D > 4)
            acc[1] = -256;
        for (int c = 0; c < nk; c++) {
            eiw_kernel_force((eiw_kernel)ks[c]);
            int32_t first[DMAX], out[DMAX];
            cr_assert_eq(eiw_qdot8(q, k, D), wdot, "dot %s D %d",
                         eiw_kernel_name(eiw_kernel_active()), D);
            eiw_qval_first(32768, v, D, first);
            eiw_qval_out(acc, D, out);
            for (int d = 0; d < D; d++) {
                cr_assert_eq(first[d], 32768 * v[d]);
                int64_t x = (int64_t)acc[d] + 256;
                int64_t want = x >= 0 ? x / 512 : -((-x + 511) / 512);
                cr_assert_eq(out[d], want, "out %s D %d d %d: %d", eiw_kernel_name(eiw_kernel_active()),
                             D, d, acc[d]);
            }
        }
    }
    eiw_kernel_force(was);
}

/* floor((v + 2^(s-1)) / 2^s), or v * 2^-s for s <= 0, in 64-bit division */
static int64_t plain_rshr(int64_t v, int s)
{
    if (s <= 0)
        return v * ((int64_t)1 << -s);
    int64_t x = v + ((int64_t)1 << (s - 1)), d = (int64_t)1 << s;
    return x >= 0 ? x / d : -((-x + d - 1) / d);
}

Test(qattention, scores_follow_the_rule_on_every_path)
{
    enum { N = 70 };
    uint64_t r = 11;
    int ks[EIW_KERNEL_COUNT], nk = test_kernels(ks);
    eiw_kernel was = eiw_kernel_active();
    for (int c = 0; c < 40; c++) {
        int32_t dots[N];
        int8_t ke[N];
        int64_t want[N];
        /* exponents span what quant8 gives (-16..8): shifts from -12 to 36 */
        int qe = (int)(test_rng(&r) % 25) - 16;
        int32_t inv = c == 0 ? 1 << 16 : (int32_t)(test_rng(&r) % (1 << 16)) + 1;
        int32_t slope = c == 1 ? 1 << 20 : (int32_t)(test_rng(&r) % (1 << 20));
        int64_t dist0 = c == 2 ? 4095 : (int64_t)(N + test_rng(&r) % 4000);
        for (int e = 0; e < N; e++) {
            dots[e] = c < 3 && e < 2 ? (e ? INT32_MAX : INT32_MIN + 1)
                                      : (int32_t)(uint32_t)test_rng(&r);
            ke[e] = (int8_t)((int)(test_rng(&r) % 25) - 16);
            want[e] = plain_rshr((int64_t)dots[e] * inv, 4 - qe - ke[e]) -
                      plain_rshr((int64_t)slope * (dist0 - e), 4);
        }
        for (int k = 0; k < nk; k++) {
            eiw_kernel_force((eiw_kernel)ks[k]);
            for (int n = 1; n <= N; n += 23) {
                int64_t got[N], m = INT64_MIN;
                int64_t gmax = eiw_qscores(dots, ke, n, qe, inv, slope, dist0, got);
                for (int e = 0; e < n; e++)
                    m = want[e] > m ? want[e] : m;
                cr_assert_eq(gmax, m, "max %s case %d n %d",
                             eiw_kernel_name(eiw_kernel_active()), c, n);
                cr_assert(memcmp(got, want, sizeof(int64_t) * (size_t)n) == 0,
                          "scores %s case %d n %d", eiw_kernel_name(eiw_kernel_active()), c, n);
            }
        }
    }
    eiw_kernel_force(was);
}
