/* Equal-Info Windows and stream mode: round trips for every input class and window setting,
 * exact window size, independent decoding of any window, the window-start floor at its edge. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include "eiw.h"
#include "range_coder.h"
#include "test_util.h"

/* Bits one symbol of frequency f at cumulative position c takes in an empty coder. */
static uint64_t single_symbol_bits(uint32_t c, uint32_t f)
{
    uint8_t buf[16];
    rc_encoder e;
    rc_enc_init(&e, buf, sizeof buf);
    rc_enc_put(&e, c, f);
    return rc_enc_code_bits(&e);
}

Test(windows, window_start_floor_fits_any_byte_at_edge)
{
    /* Every position a symbol with the floor frequency can take must code to at most the
     * smallest window; a slightly smaller floor must fail somewhere (the edge is real). */
    uint64_t worst = 0;
    for (uint32_t c = 0; c + EIW_FLOOR_WINDOW_START <= EIW_FREQ_TOTAL; c++) {
        uint64_t b = single_symbol_bits(c, EIW_FLOOR_WINDOW_START);
        if (b > worst)
            worst = b;
    }
    cr_assert_leq(worst, 15);   /* p >= 2^-13: an aligned 2^-15 block always fits */
    cr_assert_leq(worst, EIW_WINDOW_BITS_MIN);
    int failed = 0;
    for (uint32_t c = 0; c + 500 <= EIW_FREQ_TOTAL && !failed; c++)
        failed = single_symbol_bits(c, 500) > EIW_WINDOW_BITS_MIN;
    cr_assert(failed, "floor 500 should not always fit: the test would not catch a bad floor");
}

static const unsigned wbits[] = { 16, 32, 64, 128 };
static const char *classes[] = { "empty", "one", "ascii", "utf8", "binary", "zeros", "text" };

/* Returns 0 when the encoder reports that no unambiguous window exists (a known limit at
 * b = 16 for rare bytes followed by a byte that does not fit; the container then falls back
 * to zstd for the block), 1 after a full round trip. */
static int check_windows(const eiw_model *m, const sample *s, unsigned b, unsigned t)
{
    eiw_window_params p = { b, t };
    size_t wb = b / 8, cap = s->len * wb + wb;
    uint8_t *enc = malloc(cap), *dec = malloc(s->len + 1), *one = malloc(s->len + 1);
    uint32_t *counts = malloc(sizeof(uint32_t) * (s->len + 1));
    void *state = calloc(1, m->state_size);
    ptrdiff_t n = eiw_windows_encode(m, &p, state, s->data, s->len, enc, cap, counts);
    if (n == EIW_ERR_AMBIGUOUS && b == 16) {
        free(enc);
        free(dec);
        free(one);
        free(counts);
        free(state);
        return 0;
    }
    cr_assert_geq(n, 0, "%s b=%u t=%u: %s", s->name, b, t, eiw_strerror((int)n));
    cr_assert_eq((size_t)n % wb, 0, "every window is exactly b bits");
    cr_assert_eq(eiw_windows_decode(m, &p, state, enc, (size_t)n, dec, s->len), EIW_OK,
                 "%s b=%u t=%u", s->name, b, t);
    cr_assert(s->len == 0 || memcmp(dec, s->data, s->len) == 0, "%s b=%u", s->name, b);
    /* Each window decodes on its own, with a fresh state, no side info except for the last. */
    size_t nwin = (size_t)n / wb, at = 0;
    for (size_t i = 0; i < nwin; i++) {
        void *fresh = calloc(1, m->state_size);
        ptrdiff_t got = eiw_window_decode(m, &p, fresh, enc + i * wb,
                                          i + 1 == nwin ? (ptrdiff_t)counts[i] : -1, one,
                                          s->len - at);
        cr_assert_eq(got, (ptrdiff_t)counts[i], "%s b=%u window %zu/%zu", s->name, b, i, nwin);
        cr_assert(memcmp(one, s->data + at, counts[i]) == 0);
        at += counts[i];
        free(fresh);
    }
    cr_assert_eq(at, s->len);
    /* Compressing twice gives identical bytes. */
    uint8_t *again = malloc(cap);
    cr_assert_eq(eiw_windows_encode(m, &p, state, s->data, s->len, again, cap, NULL), n);
    cr_assert(n == 0 || memcmp(enc, again, (size_t)n) == 0);
    free(again);
    free(enc);
    free(dec);
    free(one);
    free(counts);
    free(state);
    return 1;
}

Test(windows, all_classes_all_sizes_roundtrip)
{
    const char *models[] = { "order1", "order0", "uniform" };
    int ambiguous = 0, done = 0;
    for (size_t mi = 0; mi < 3; mi++)
        for (size_t c = 0; c < sizeof classes / sizeof classes[0]; c++) {
            sample s = sample_make(classes[c], 3000, 42 + c);
            for (size_t w = 0; w < 4; w++)
                for (unsigned t = 8; t <= 16; t += 8) {
                    int ok = check_windows(eiw_model_builtin(models[mi]), &s, wbits[w], t);
                    ambiguous += !ok;
                    done++;
                    /* English-like text must always work, at every window size. */
                    cr_assert(ok || (strcmp(classes[c], "text") && strcmp(classes[c], "ascii")),
                              "%s b=%u: ambiguous", classes[c], wbits[w]);
                }
            sample_free(&s);
        }
    cr_log_info("windows: %d of %d settings hit an ambiguous window (b=16 only)", ambiguous, done);
}

Test(windows, large_windows_roundtrip)
{
    sample s = sample_make("text", 20000, 5);
    cr_assert(check_windows(eiw_model_default(), &s, 4096, 16));
    cr_assert(check_windows(eiw_model_default(), &s, 1024, 8));
    sample_free(&s);
}

Test(windows, invalid_params_rejected)
{
    eiw_window_params bad[] = { { 8, 8 }, { 24, 16 }, { 4104, 8 }, { 16, 12 }, { 0, 8 } };
    for (size_t i = 0; i < 5; i++)
        cr_assert_eq(eiw_window_params_check(&bad[i]), EIW_ERR_PARAM);
    eiw_window_params good = { 4096, 16 };
    cr_assert_eq(eiw_window_params_check(&good), EIW_OK);
}

Test(windows, window_of_bits_no_encoder_makes_is_rejected)
{
    /* An all-zero window has no code at all (every code ends in a 1 bit), unless it is the
     * last window of a document (its byte count is known, e.g. one 0x00 byte). */
    eiw_window_params p = { 16, 8 };
    uint8_t w[2] = { 0, 0 }, out[64];
    void *state = calloc(1, 8);
    ptrdiff_t r = eiw_window_decode(eiw_model_builtin("uniform"), &p, state, w, -1, out, 64);
    cr_assert_eq(r, EIW_ERR_CORRUPT);
    cr_assert_eq(eiw_window_decode(eiw_model_builtin("uniform"), &p, state, w, 1, out, 64), 1);
    cr_assert_eq(out[0], 0);
    free(state);
}

Test(stream, all_classes_roundtrip)
{
    const eiw_model *m = eiw_model_default();
    for (size_t c = 0; c < sizeof classes / sizeof classes[0]; c++) {
        sample s = sample_make(classes[c], 50000, 7 + c);
        size_t cap = s.len * 2 + 64;
        uint8_t *enc = malloc(cap), *dec = malloc(s.len + 1);
        void *state = calloc(1, m->state_size);
        ptrdiff_t n = eiw_stream_encode(m, state, s.data, s.len, enc, cap);
        cr_assert_geq(n, 0);
        cr_assert_eq(eiw_stream_decode(m, state, enc, (size_t)n, dec, s.len), EIW_OK);
        cr_assert(s.len == 0 || memcmp(dec, s.data, s.len) == 0, "%s", s.name);
        free(enc);
        free(dec);
        free(state);
        sample_free(&s);
    }
}

Test(stream, output_over_capacity_reports_too_small)
{
    sample s = sample_make("binary", 4000, 1);
    uint8_t enc[4000];
    void *state = calloc(1, 8);
    cr_assert_eq(eiw_stream_encode(eiw_model_default(), state, s.data, s.len, enc, 3999),
                 EIW_ERR_DST_TOO_SMALL);
    free(state);
    sample_free(&s);
}
