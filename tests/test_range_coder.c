/* Range coder and quantizer: round trips, exact running length, shortest termination,
 * overhead against the ideal code length. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "eiw.h"
#include "codec/range_coder.h"
#include "tests/test_util.h"

/* A skewed random distribution (geometric-like), different per seed. */
static void random_dist(uint64_t *r, uint32_t floor_freq, uint32_t freq[256], uint32_t cum[257])
{
    uint32_t w[256];
    unsigned sharp = (unsigned)(test_rng(r) % 12);
    for (int s = 0; s < 256; s++)
        w[s] = (uint32_t)(test_rng(r) % 1000 + 1) << (test_rng(r) % (sharp + 1));
    eiw_quantize(w, floor_freq, freq, cum);
}

Test(quantize, frequencies_sum_to_total_with_floor)
{
    uint64_t r = 1;
    for (int t = 0; t < 200; t++) {
        uint32_t w[256], freq[256], cum[257];
        for (int s = 0; s < 256; s++)
            w[s] = (t % 3 == 0) ? (uint32_t)(test_rng(&r) % 3) : (uint32_t)test_rng(&r) >> (t % 32);
        if (t == 5)
            memset(w, 0, sizeof w);
        if (t == 6)
            for (int s = 0; s < 256; s++)
                w[s] = 0xFFFFFFFFu;   /* sum far above the contract: still handled */
        uint32_t fl = t % 2 ? 520 : EIW_FLOOR_DEFAULT;
        eiw_quantize(w, fl, freq, cum);
        cr_assert_eq(cum[256], EIW_FREQ_TOTAL);
        for (int s = 0; s < 256; s++) {
            cr_assert_geq(freq[s], fl);
            cr_assert_eq(cum[s + 1] - cum[s], freq[s]);
        }
    }
}

Test(quantize, proportional_to_weights)
{
    uint32_t w[256] = { 0 }, freq[256], cum[257];
    w['a'] = 3000000;
    w['b'] = 1000000;
    eiw_quantize(w, 1, freq, cum);
    cr_assert_lt(fabs((double)freq['a'] / freq['b'] - 3.0), 1e-4);
}

static void roundtrip_symbols(size_t n, uint64_t seed)
{
    uint64_t r = seed;
    uint8_t *sym = malloc(n);
    uint32_t (*fr)[256] = malloc(n * sizeof *fr);
    uint32_t (*cu)[257] = malloc(n * sizeof *cu);
    uint8_t *buf = malloc(n * 4 + 64);
    rc_encoder e;
    rc_enc_init(&e, buf, n * 4 + 64);
    for (size_t i = 0; i < n; i++) {
        random_dist(&r, 1 + (uint32_t)(test_rng(&r) % 3), fr[i], cu[i]);
        /* sample a symbol from the distribution so the test covers typical coding */
        uint32_t x = (uint32_t)(test_rng(&r) % EIW_FREQ_TOTAL);
        unsigned s = 0;
        while (cu[i][s + 1] <= x)
            s++;
        sym[i] = (uint8_t)s;
        rc_enc_put(&e, cu[i][s], fr[i][s]);
    }
    uint64_t predicted = rc_enc_code_bits(&e);
    uint64_t bits = rc_enc_finish(&e);
    cr_assert_eq(bits, predicted);
    cr_assert_eq(e.pos, (bits + 7) / 8);
    cr_assert(!e.overflow);
    if (bits % 8)
        cr_assert_eq(buf[e.pos - 1] & ((1u << (8 - bits % 8)) - 1), 0, "padding bits are zero");
    rc_decoder d;
    rc_dec_init(&d, buf, e.pos);
    for (size_t i = 0; i < n; i++) {
        unsigned s = rc_dec_symbol(&d, cu[i]);
        cr_assert_eq(s, sym[i], "symbol %zu", i);
        rc_dec_take(&d, cu[i][s], fr[i][s]);
    }
    free(sym);
    free(fr);
    free(cu);
    free(buf);
}

Test(range_coder, random_symbols_roundtrip)
{
    for (uint64_t seed = 1; seed <= 40; seed++)
        roundtrip_symbols(1 + (size_t)(seed * 37 % 500), seed);
    roundtrip_symbols(100000, 99);
}

Test(range_coder, extreme_symbols_carry_roundtrip)
{
    /* Long runs of the last symbol with a near-1 frequency push low towards 0xFF.. and force
     * carries through long pending runs; the first/last symbols at the floor test the edges. */
    uint32_t freq[256], cum[257], w[256];
    for (int s = 0; s < 256; s++)
        w[s] = 0;
    w[255] = 1000000;
    eiw_quantize(w, 1, freq, cum);
    size_t n = 200000;
    uint8_t *buf = malloc(n), *sym = malloc(n);
    uint64_t r = 7;
    rc_encoder e;
    rc_enc_init(&e, buf, n);
    for (size_t i = 0; i < n; i++) {
        uint64_t x = test_rng(&r) % 1000;
        sym[i] = x < 990 ? 255 : x < 995 ? 0 : (uint8_t)x;
        rc_enc_put(&e, cum[sym[i]], freq[sym[i]]);
    }
    rc_enc_finish(&e);
    rc_decoder d;
    rc_dec_init(&d, buf, e.pos);
    for (size_t i = 0; i < n; i++) {
        unsigned s = rc_dec_symbol(&d, cum);
        cr_assert_eq(s, sym[i]);
        rc_dec_take(&d, cum[s], freq[s]);
    }
    free(buf);
    free(sym);
}

/* Decodes nsym symbols of one distribution from the bit string (bits, len) followed by an
 * endless run of `fill` bits. */
static int decodes_to(const uint8_t *bits, unsigned len, int fill, const uint32_t cum[257],
                      const uint32_t freq[256], const uint8_t *sym, int nsym)
{
    uint8_t buf[16];
    memset(buf, fill ? 0xFF : 0, sizeof buf);
    for (unsigned i = 0; i < len; i++) {
        unsigned bit = (bits[i / 8] >> (7 - i % 8)) & 1;
        buf[i / 8] = (uint8_t)((buf[i / 8] & ~(1u << (7 - i % 8))) | (bit << (7 - i % 8)));
    }
    rc_decoder d;
    rc_dec_init(&d, buf, sizeof buf);
    for (int i = 0; i < nsym; i++) {
        unsigned s = rc_dec_symbol(&d, cum);
        if (s != sym[i])
            return 0;
        rc_dec_take(&d, cum[s], freq[s]);
    }
    return 1;
}

Test(range_coder, termination_is_shortest)
{
    /* Exhaustive: no shorter bit string has its whole dyadic interval (both ends: zeros and
     * ones after it) inside the coded interval, while the produced one does. */
    uint64_t r = 3;
    for (int t = 0; t < 60; t++) {
        uint32_t freq[256], cum[257];
        random_dist(&r, 1 + (uint32_t)(t % 600), freq, cum);
        int nsym = 1 + t % 2;
        uint8_t sym[2] = { (uint8_t)test_rng(&r), (uint8_t)test_rng(&r) };
        uint8_t buf[16] = { 0 };
        rc_encoder e;
        rc_enc_init(&e, buf, sizeof buf);
        for (int i = 0; i < nsym; i++)
            rc_enc_put(&e, cum[sym[i]], freq[sym[i]]);
        unsigned bits = (unsigned)rc_enc_finish(&e);
        cr_assert(decodes_to(buf, bits, 0, cum, freq, sym, nsym));
        cr_assert(decodes_to(buf, bits, 1, cum, freq, sym, nsym));
        if (bits > 18)
            continue;   /* keep the search small */
        for (unsigned m = 0; m < bits; m++)
            for (uint32_t v = 0; v < (1u << m); v++) {
                uint8_t c[4] = { 0 };
                for (unsigned i = 0; i < m; i++)
                    if ((v >> (m - 1 - i)) & 1)
                        c[i / 8] |= (uint8_t)(1u << (7 - i % 8));
                cr_assert(!(decodes_to(c, m, 0, cum, freq, sym, nsym) &&
                            decodes_to(c, m, 1, cum, freq, sym, nsym)),
                          "a %u-bit code exists, coder used %u", m, bits);
            }
    }
}

Test(range_coder, overhead_within_a_tenth_of_a_percent)
{
    /* Text-like skewed distributions; ideal = sum of -log2 p of the coded symbols. */
    size_t n = 400000;
    uint64_t r = 11;
    uint8_t *buf = malloc(n);
    rc_encoder e;
    rc_enc_init(&e, buf, n);
    double ideal = 0;
    uint32_t freq[256], cum[257];
    for (size_t i = 0; i < n; i++) {
        if (i % 64 == 0)
            random_dist(&r, 1, freq, cum);
        uint32_t x = (uint32_t)(test_rng(&r) % EIW_FREQ_TOTAL);
        unsigned s = 0;
        while (cum[s + 1] <= x)
            s++;
        ideal -= log2((double)freq[s] / EIW_FREQ_TOTAL);
        rc_enc_put(&e, cum[s], freq[s]);
    }
    double bits = (double)rc_enc_finish(&e);
    cr_log_info("coder overhead: %.0f bits vs ideal %.0f (%.5f%%)", bits, ideal,
                100.0 * (bits - ideal) / ideal);
    cr_assert_leq(bits, ideal * 1.001 + 32);
    free(buf);
}
