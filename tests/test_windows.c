/* Equal-Info Windows and stream mode: round trips for every input class, window setting and
 * end rule, exact window size, independent decoding of any window, the window-start floor at
 * its edge, and no two windows decoding to the same bytes. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include "eiw.h"
#include "codec/range_coder.h"
#include "codec/windows_feed.h"
#include "tests/test_util.h"

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
    /* Window-start frequencies are multiples of 2^11 (p >= 2^-13) ... */
    uint64_t r = 9;
    for (int t = 0; t < 100; t++) {
        uint32_t w[256], freq[256], cum[257];
        for (int s = 0; s < 256; s++)
            w[s] = t == 0 ? (s == 'e') * 1000000u : (uint32_t)(test_rng(&r) >> (40 + t % 24));
        eiw_quantize_window_start(w, freq, cum);
        cr_assert_eq(cum[256], EIW_FREQ_TOTAL);
        for (int s = 0; s < 256; s++) {
            cr_assert_eq(freq[s] % EIW_FLOOR_WINDOW_START, 0);
            cr_assert_geq(freq[s], EIW_FLOOR_WINDOW_START);
        }
    }
    /* ... so any byte, at any aligned position with the least frequency, codes to exactly 13
     * bits in an empty window; 3 bits remain in the smallest window for the window end. */
    for (uint32_t c = 0; c + EIW_FLOOR_WINDOW_START <= EIW_FREQ_TOTAL; c += EIW_FLOOR_WINDOW_START)
        cr_assert_eq(single_symbol_bits(c, EIW_FLOOR_WINDOW_START), 13);
    /* The edge is real: the same probability at unaligned positions needs up to 15 bits, and a
     * floor of 2^-15 does not fit 16 bits everywhere. */
    uint64_t worst = 0;
    for (uint32_t c = 0; c + EIW_FLOOR_WINDOW_START <= EIW_FREQ_TOTAL; c += 7)
        if (single_symbol_bits(c, EIW_FLOOR_WINDOW_START) > worst)
            worst = single_symbol_bits(c, EIW_FLOOR_WINDOW_START);
    cr_assert_gt(worst, 13);
    int failed = 0;
    for (uint32_t c = 0; c + 500 <= EIW_FREQ_TOTAL && !failed; c++)
        failed = single_symbol_bits(c, 500) > EIW_WINDOW_BITS_MIN;
    cr_assert(failed, "floor 500 should not always fit: the test would not catch a bad floor");
}

/* A model that is certain of one next byte (the worst case for ending a window early). */
static void certain_predict(const eiw_model *m, void *const *states, size_t n, uint32_t *w)
{
    (void)m;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *st = states[i];
        for (int s = 0; s < 256; s++)
            w[256 * i + s] = s == (uint8_t)(st[0] * 7 + 1) ? 0xFFFF0000u : 0;
    }
}
static void certain_advance(const eiw_model *m, void *state, const uint8_t *b, size_t len)
{
    (void)m;
    if (len)
        *(uint8_t *)state = b[len - 1];
}
static void certain_reset(const eiw_model *m, void *state)
{
    (void)m;
    *(uint8_t *)state = 0;
}
static const eiw_model_ops certain_ops = { certain_reset, certain_advance, certain_predict, NULL, NULL, NULL };

Test(windows, one_byte_window_always_possible)
{
    /* Every byte value at a window start, followed by a byte that is too unlikely to fit in
     * the same 16-bit window, under a model that is certain of some other next byte. */
    eiw_model m = { &certain_ops, "certain", 1, 1, 1, NULL, 0 };
    uint8_t state[1], enc[64], dec[4];
    uint32_t counts[4];
    for (int x = 0; x < 768; x++) {
        eiw_window_params p = { 16, 16, x < 256 ? EIW_WINDOW_END_IMPLICIT
                                        : x < 512 ? EIW_WINDOW_END_MARKER : EIW_WINDOW_END_TIGHT };
        uint8_t c = (uint8_t)x, doc[3] = { c, (uint8_t)(c * 7 + 2), (uint8_t)(c * 7 + 3) };
        ptrdiff_t n = eiw_windows_encode(&m, &p, state, doc, 3, enc, sizeof enc, counts);
        cr_assert_geq(n, 0, "byte %d rule %u: %s", c, p.end_rule, eiw_strerror((int)n));
        cr_assert_eq(counts[0], 1);
        cr_assert_eq(eiw_window_decode(&m, &p, state, enc, -1, dec, 4), 1);
        cr_assert_eq(dec[0], c);
    }
}

static const unsigned wbits[] = { 16, 32, 64, 128 };
static const char *classes[] = { "empty", "one", "ascii", "utf8", "binary", "zeros", "text" };

static const unsigned rules[] = { EIW_WINDOW_END_IMPLICIT, EIW_WINDOW_END_MARKER,
                                  EIW_WINDOW_END_TIGHT };
#define NRULES (sizeof rules / sizeof rules[0])

static int check_windows(const eiw_model *m, const sample *s, unsigned b, unsigned t,
                         unsigned rule)
{
    eiw_window_params p = { b, t, rule };
    size_t wb = b / 8, cap = s->len * wb + wb;
    uint8_t *enc = malloc(cap), *dec = malloc(s->len + 1), *one = malloc(s->len + 1);
    uint32_t *counts = malloc(sizeof(uint32_t) * (s->len + 1));
    void *state = calloc(1, m->state_size);
    ptrdiff_t n = eiw_windows_encode(m, &p, state, s->data, s->len, enc, cap, counts);
    cr_assert_geq(n, 0, "%s b=%u t=%u rule %u: %s", s->name, b, t, rule, eiw_strerror((int)n));
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
    for (size_t mi = 0; mi < 3; mi++)
        for (size_t c = 0; c < sizeof classes / sizeof classes[0]; c++) {
            sample s = sample_make(classes[c], 3000, 42 + c);
            for (size_t w = 0; w < 4; w++)
                for (unsigned t = 8; t <= 16; t += 8)
                    for (size_t r = 0; r < NRULES; r++)
                        check_windows(eiw_model_builtin(models[mi]), &s, wbits[w], t, rules[r]);
            sample_free(&s);
        }
}

/* Pieces handed to eiw_windows_encode_feed one at a time, with what came back. */
#define FED 14
typedef struct {
    sample s[FED];
    uint8_t *dst[FED];
    uint32_t *counts[FED];
    ptrdiff_t result[FED];
    int done[FED];
    size_t next, after_dry;
} fed_pieces;

static int fed_next(void *ctx, eiw_window_job *job)
{
    fed_pieces *f = ctx;
    if (f->next >= FED) {
        f->after_dry += f->next++ > FED;   /* asked again after saying none */
        return 0;
    }
    size_t i = f->next++;
    job->src = f->s[i].data;
    job->n = f->s[i].len;
    job->cap = f->s[i].len * 8 + 64;
    job->dst = f->dst[i];
    job->counts = f->counts[i];
    job->id = i;
    return 1;
}

static void fed_done(void *ctx, const eiw_window_job *job, ptrdiff_t result)
{
    fed_pieces *f = ctx;
    f->result[job->id] = result;
    f->done[job->id]++;
}

/* Lanes refilled as they finish, few lanes asking for rows ahead and many asking for one
 * (M1: predict_runs and advance + predict) give every piece the windows of coding it alone. */
Test(windows, fed_lanes_give_the_windows_of_coding_alone)
{
    const eiw_model *m = eiw_model_default();
    fed_pieces f;
    for (int i = 0; i < FED; i++) {
        f.s[i] = sample_make(i % 4 == 3 ? "utf8" : i == 5 ? "empty" : "text",
                             (size_t)(i * 53 % 400 + (i == 2) * 1500), 70 + (uint64_t)i);
        f.dst[i] = malloc(f.s[i].len * 8 + 64);
        f.counts[i] = malloc(sizeof(uint32_t) * (f.s[i].len * 4 + 32));
    }
    void *states[20];
    for (int i = 0; i < 20; i++)
        states[i] = calloc(1, m->state_size);
    static const size_t lanes[] = { 1, 3, 20 };
    static const eiw_window_params ps[] = { { 16, 8, EIW_WINDOW_END_IMPLICIT },
                                            { 48, 16, EIW_WINDOW_END_MARKER } };
    for (int c = 0; c < 4; c++) {
        const eiw_window_params *p = &ps[c == 3];
        f.next = f.after_dry = 0;
        memset(f.done, 0, sizeof f.done);
        eiw_window_feed feed = { fed_next, fed_done, &f };
        cr_assert_eq(eiw_windows_encode_feed(m, p, lanes[c % 3], states, &feed), EIW_OK);
        cr_assert_eq(f.after_dry, 0, "next() is not called again once it said none");
        for (int i = 0; i < FED; i++) {
            size_t cap = f.s[i].len * 8 + 64;
            uint8_t *alone = malloc(cap);
            uint32_t *c1 = malloc(sizeof(uint32_t) * (f.s[i].len * 4 + 32));
            ptrdiff_t r = eiw_windows_encode(m, p, states[0], f.s[i].data, f.s[i].len, alone,
                                             cap, c1);
            cr_assert_eq(f.done[i], 1, "piece %d done once", i);
            cr_assert_eq(f.result[i], r, "piece %d, %zu lanes, b=%u", i, lanes[c % 3],
                         p->window_bits);
            cr_assert(r >= 0 && memcmp(alone, f.dst[i], (size_t)r) == 0, "piece %d", i);
            cr_assert(memcmp(c1, f.counts[i], sizeof(uint32_t) * ((size_t)r * 8 / p->window_bits)) == 0);
            free(alone);
            free(c1);
        }
    }
    eiw_window_feed none = { fed_next, fed_done, &f };
    cr_assert_eq(eiw_windows_encode_feed(m, &ps[0], 0, states, &none), EIW_ERR_PARAM);
    cr_assert_eq(eiw_windows_encode_feed(m, &ps[0], EIW_WINDOW_LANES_MAX + 1, states, &none),
                 EIW_ERR_PARAM);
    for (int i = 0; i < 20; i++)
        free(states[i]);
    for (int i = 0; i < FED; i++) {
        sample_free(&f.s[i]);
        free(f.dst[i]);
        free(f.counts[i]);
    }
}

/* The tight end keeps every window end of the implicit end: from any start, its first window
 * holds at least as many bytes, and more on the whole. */
Test(windows, tight_windows_never_end_before_implicit_ones)
{
    const char *models[] = { "order1", "order0" };
    const char *kinds[] = { "text", "utf8", "binary" };
    for (size_t mi = 0; mi < 2; mi++)
        for (size_t c = 0; c < 3; c++) {
            const eiw_model *m = eiw_model_builtin(models[mi]);
            sample s = sample_make(kinds[c], 4000, 7 + c);
            void *state = calloc(1, m->state_size);
            for (unsigned b = 16; b <= 64; b *= 2) {
                size_t more = 0, total_imp = 0, total_tight = 0;
                for (size_t at = 0; at + 200 <= s.len; at += 13) {
                    uint32_t cnt[2][400];
                    uint8_t enc[400 * 8];
                    for (int r = 0; r < 2; r++) {
                        eiw_window_params p = { b, 16, r ? EIW_WINDOW_END_TIGHT
                                                         : EIW_WINDOW_END_IMPLICIT };
                        ptrdiff_t n = eiw_windows_encode(m, &p, state, s.data + at, 200, enc,
                                                         sizeof enc, cnt[r]);
                        cr_assert_gt(n, 0, "%s %s b=%u at %zu", models[mi], kinds[c], b, at);
                    }
                    cr_assert_geq(cnt[1][0], cnt[0][0], "%s %s b=%u at %zu: tight %u, implicit %u",
                                  models[mi], kinds[c], b, at, cnt[1][0], cnt[0][0]);
                    more += cnt[1][0] > cnt[0][0];
                    total_imp += cnt[0][0];
                    total_tight += cnt[1][0];
                }
                cr_assert_gt(more, 0, "%s %s b=%u: never longer", models[mi], kinds[c], b);
                cr_assert_gt(total_tight, total_imp);
            }
            free(state);
            sample_free(&s);
        }
}

Test(windows, large_windows_roundtrip)
{
    sample s = sample_make("text", 20000, 5);
    for (size_t r = 0; r < NRULES; r++) {
        cr_assert(check_windows(eiw_model_builtin("order1"), &s, 4096, 16, rules[r]));
        cr_assert(check_windows(eiw_model_builtin("order1"), &s, 1024, 8, rules[r]));
    }
    sample_free(&s);
}

Test(windows, invalid_params_rejected)
{
    eiw_window_params bad[] = { { 8, 8, 0 },  { 24, 16, 0 }, { 4104, 8, 0 },
                                { 16, 12, 0 }, { 0, 8, 0 },   { 16, 16, 3 } };
    for (size_t i = 0; i < 6; i++)
        cr_assert_eq(eiw_window_params_check(&bad[i]), EIW_ERR_PARAM);
    eiw_window_params good = { 4096, 16, EIW_WINDOW_END_MARKER };
    cr_assert_eq(eiw_window_params_check(&good), EIW_OK);
}

Test(windows, window_of_bits_no_encoder_makes_is_rejected)
{
    /* With the marker end an all-zero window has no code at all (every code ends in a 1 bit),
     * unless it is the last window of a document (its byte count is known, e.g. one 0x00). */
    eiw_window_params p = { 16, 8, EIW_WINDOW_END_MARKER };
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
    const eiw_model *m = eiw_model_builtin("order1");
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
    cr_assert_eq(eiw_stream_encode(eiw_model_builtin("order1"), state, s.data, s.len, enc, 3999),
                 EIW_ERR_DST_TOO_SMALL);
    free(state);
    sample_free(&s);
}

/* Every 16-bit window, decoded on its own: no two valid windows give the same bytes (each
 * content has one encoding), for both end rules. A window accepted without being the encoder's
 * canonical choice would show up as a duplicate. */
typedef struct {
    uint8_t len, bytes[15];
} decoded;

static int cmp_decoded(const void *a, const void *b)
{
    return memcmp(a, b, sizeof(decoded));
}

Test(windows, no_two_windows_decode_to_the_same_bytes)
{
    const eiw_model *m = eiw_model_builtin("order1");
    void *state = calloc(1, m->state_size);
    decoded *all = calloc(1u << 16, sizeof *all);
    size_t valid_of[NRULES];
    for (size_t r = 0; r < NRULES; r++) {
        eiw_window_params p = { 16, 16, rules[r] };
        size_t valid = 0;
        uint8_t out[64];
        for (uint32_t w = 0; w < 1u << 16; w++) {
            uint8_t win[2] = { (uint8_t)(w >> 8), (uint8_t)w };
            ptrdiff_t k = eiw_window_decode(m, &p, state, win, -1, out, sizeof out);
            if (k < 0)
                continue;
            cr_assert(k >= 1 && k <= 15, "window %04x: %td bytes", w, k);
            memset(&all[valid], 0, sizeof all[valid]);
            all[valid].len = (uint8_t)k;
            memcpy(all[valid].bytes, out, (size_t)k);
            valid++;
        }
        cr_assert_gt(valid, 1000, "rule %u: only %zu valid windows", rules[r], valid);
        valid_of[r] = valid;
        qsort(all, valid, sizeof *all, cmp_decoded);
        for (size_t i = 1; i < valid; i++)
            cr_assert(cmp_decoded(&all[i - 1], &all[i]) != 0, "rule %u: two windows hold the "
                      "same %u bytes", rules[r], all[i].len);
    }
    /* the tight end gives meaning to windows the implicit end rejects */
    cr_assert_gt(valid_of[2], valid_of[0] + valid_of[0] / 8, "tight %zu, implicit %zu valid windows",
                 valid_of[2], valid_of[0]);
    free(all);
    free(state);
}
