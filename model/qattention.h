/* Attention of the integer M1 over a stream's cache of keys and values (docs/m1_inference.md):
 * the cache layouts, the query-key dots, the scores, the softmax weights and the weighted sums of
 * values. Every path (portable scalar, AVX2, AVX-512) computes the same exact integers, so the
 * results never depend on the machine, the build or the thread count.
 *
 * The cache of one head holds a ring of slots (a multiple of 16), each slot one byte position:
 * - keys in blocks of 16 slots; a block is D/4 groups of (16 slots x 4 bytes), each byte stored
 *   as k + 128 (unsigned), so one 64-byte load gives 4 dimensions of 16 keys (vpdpbusd);
 * - values in pairs of slots; a pair is D x (2 int16), the even slot's value first, so one
 *   64-byte load gives 16 dimensions of two values (vpdpwssd). */
#ifndef EIW_QATTENTION_H
#define EIW_QATTENTION_H
#include <stddef.h>
#include <stdint.h>

/* Stores key k (D int8 in [-127, 127], D a multiple of 4) and value v (D int16) into slot s. */
void eiw_qkey_put(uint8_t *keys, int s, const int8_t *k, int D);
void eiw_qval_put(int16_t *vals, int s, const int16_t *v, int D);
/* dots[s] = sum_d q[d] * k_s[d] for the slots s in [s0, s1) of nq queries at once: query i is
 * q + i * D, its dots go to dots + i * dstride. The other slots of the 16-slot blocks that
 * [s0, s1) touches may be written too (the arrays must hold them). */
void eiw_qkey_dots(const int8_t *q, int nq, const uint8_t *keys, int s0, int s1, int D,
                   int32_t *dots, size_t dstride);
/* acc[d] += sum_s p[s] * v_s[d] over the whole pairs of slots that [s0, s1) touches (slot
 * s0 - 1 when s0 is odd, slot s1 when s1 is odd: the caller sets their p to 0 or includes them on
 * purpose). 0 <= p[s] <= 2^15, and the caller guarantees sum_s p[s] * |v_s[d]| < 2^31. */
void eiw_qval_sum(const int32_t *p, const int16_t *vals, int s0, int s1, int D, int32_t *acc);
/* The same for nq queries: weights p + i * pstride, sums acc + i * astride. */
void eiw_qval_sums(const int32_t *p, size_t pstride, int nq, const int16_t *vals, int s0, int s1,
                   int D, int32_t *acc, size_t astride);
/* The BOS entry, kept apart from the ring: its dot sum_d q[d] * k[d] (k int8), and the start of
 * the weighted sum, acc[d] = p * v[d]. */
int32_t eiw_qdot8(const int8_t *q, const int8_t *k, int D);
void eiw_qval_first(int32_t p, const int16_t *v, int D, int32_t *acc);
/* out[d] = rshr(acc[d], 9) (Q25 -> Q16, rounding half up). */
void eiw_qval_out(const int32_t *acc, int D, int32_t *out);

/* Attention scores of n consecutive entries (Q12): sc[e] = rshr(dots[e] * inv, 4 - qe - ke[e])
 * - rshr(slope * (dist0 - e), 4), with rshr rounding half up (a negative shift multiplies).
 * Returns the maximum. */
int64_t eiw_qscores(const int32_t *dots, const int8_t *ke, int n, int qe, int32_t inv,
                    int32_t slope, int64_t dist0, int64_t *sc);
/* Softmax weights: p[e] = 2^23 * 2^(-t/4096) (table and shift, 0 from 2^-24 on) with
 * t = rshr(min(smax - sc[e], 2^30) * log2(e) in Q16, 16); returns the sum of p. n <= 2^12. */
uint64_t eiw_qexp(const int64_t *sc, int n, int64_t smax, uint32_t *p);
/* pn[e] = (p[e] * rcp) >> 47 (p < 2^24, rcp < 2^40). */
void eiw_qnormalize(const uint32_t *p, int n, uint64_t rcp, int32_t *pn);
#endif
