/* Integer M1: exact kernels on every SIMD path, batching and sliding-window invariance,
 * model-file validation, and the codec round trip with a neural model. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include "eiw.h"
#include "eiw_train.h"
#include "model/qkernels.h"
#include "model/qm1.h"
#include "tests/test_util.h"
#include "model/transformer.h"

static const eiw_model_config tiny_cfg = { 257, 24, 64, 4, 2, 128 };

/* A small model with seeded random weights (scaled up so its predictions are not flat). */
static eiw_qm1 *random_qm1(uint64_t seed)
{
    eiw_transformer t;
    cr_assert_eq(eiw_transformer_init(&t, &tiny_cfg, 1, tiny_cfg.ctx), 0);
    eiw_transformer_init_weights(&t, seed);
    for (size_t i = 0; i < t.n_params; i++)
        t.params_mem[i] *= 4.0f;
    eiw_qm1 *q = NULL;
    cr_assert_eq(eiw_qm1_from_float(&q, &tiny_cfg, t.params_mem, "tiny-test"), 0);
    eiw_transformer_free(&t);
    return q;
}

static void *new_state(const eiw_qm1 *q)
{
    return aligned_alloc(64, (q->state_size + 63) / 64 * 64);
}

Test(qm1, kernels_match_reference_on_every_path)
{
    uint64_t r = 3;
    /* rows: partial blocks, partial and full 64-row panels; positions: every tile remainder */
    const int Rs[] = { 1, 17, 48, 64, 144 }, Ks[] = { 16, 68, 256 }, Ps[] = { 1, 2, 3, 4, 5, 9 };
    for (int ri = 0; ri < 5; ri++)
        for (int ki = 0; ki < 3; ki++)
            for (int pi = 0; pi < 6; pi++) {
                int R = Rs[ri], K = Ks[ki], P = Ps[pi];
                int8_t *w = malloc((size_t)R * K), *a = malloc((size_t)P * K);
                for (int i = 0; i < R * K; i++)
                    w[i] = (int8_t)((int)(test_rng(&r) % 255) - 127);
                for (int i = 0; i < P * K; i++)
                    a[i] = (int8_t)((int)(test_rng(&r) % 255) - 127);
                eiw_qmat m;
                cr_assert_eq(eiw_qmat_init(&m, w, R, K), 0);
                int32_t *want = malloc(sizeof(int32_t) * (size_t)P * R);
                int32_t *got = malloc(sizeof(int32_t) * (size_t)P * R);
                for (int p = 0; p < P; p++)
                    for (int o = 0; o < R; o++) {
                        int32_t s = 0;
                        for (int k = 0; k < K; k++)
                            s += (int32_t)a[p * K + k] * w[o * K + k];
                        want[p * R + o] = s;
                    }
                eiw_kernel was = eiw_kernel_active();
                int ks[EIW_KERNEL_COUNT], nk = test_kernels(ks);
                for (int i = 0; i < nk; i++) {
                    eiw_kernel_force((eiw_kernel)ks[i]);
                    memset(got, 0x5A, sizeof(int32_t) * (size_t)P * R);
                    eiw_qgemm(&m, a, P, got, 0, R);
                    cr_assert(memcmp(got, want, sizeof(int32_t) * (size_t)P * R) == 0,
                              "%s R=%d K=%d P=%d", eiw_kernel_name(eiw_kernel_active()), R, K, P);
                }
                eiw_kernel_force(was);
                eiw_qmat_free(&m);
                free(w);
                free(a);
                free(want);
                free(got);
            }
}

/* The default kernel is one the CPU runs (the best, unless EIW_SIMD names another), names
 * parse back, and what the tests force comes from the same check. */
Test(qm1, active_kernel_is_a_supported_one)
{
    cr_assert(eiw_kernel_supported(EIW_KERNEL_SCALAR));
    cr_assert(!eiw_kernel_supported((eiw_kernel)EIW_KERNEL_COUNT));
    cr_assert(!eiw_kernel_supported((eiw_kernel)-1));
    eiw_kernel active = eiw_kernel_active(), want = EIW_KERNEL_SCALAR;
    cr_assert(eiw_kernel_supported(active), "%s", eiw_kernel_name(active));
    const char *env = getenv("EIW_SIMD");
    if (env && *env && !eiw_kernel_env_problem())
        cr_assert_eq(eiw_kernel_parse(env, &want), 0);
    else
        for (int k = 0; k < EIW_KERNEL_COUNT; k++)
            if (eiw_kernel_supported((eiw_kernel)k))
                want = (eiw_kernel)k;
    cr_assert_eq(active, want, "active %s, expected %s", eiw_kernel_name(active),
                 eiw_kernel_name(want));
#if defined(EIW_SIMD_NONE) || !defined(__x86_64__)
    cr_assert(!eiw_kernel_supported(EIW_KERNEL_AVX2) &&
              !eiw_kernel_supported(EIW_KERNEL_AVX512VNNI));
#endif
    int ks[EIW_KERNEL_COUNT], nk = test_kernels(ks);
    cr_assert(nk >= 1 && ks[0] == EIW_KERNEL_SCALAR);
    for (int i = 0; i < nk; i++) {
        eiw_kernel k;
        cr_assert(eiw_kernel_supported((eiw_kernel)ks[i]));
        cr_assert_eq(eiw_kernel_parse(eiw_kernel_name((eiw_kernel)ks[i]), &k), 0);
        cr_assert_eq(k, (eiw_kernel)ks[i]);
    }
    eiw_kernel k;
    cr_assert_neq(eiw_kernel_parse("sse9", &k), 0);
    cr_assert_neq(eiw_kernel_parse("", &k), 0);
}

/* Weights after every byte of txt, one byte per call, for a fresh stream. */
static uint32_t *weights_one_by_one(const eiw_qm1 *q, const uint8_t *txt, size_t n)
{
    uint32_t *out = malloc(sizeof(uint32_t) * 256 * (n + 1));
    void *st = new_state(q);
    eiw_qm1_reset(q, st);
    memcpy(out, eiw_qm1_weights(q, st), 1024);
    for (size_t i = 0; i < n; i++) {
        void *sts[1] = { st };
        const uint8_t *run = txt + i;
        size_t one = 1;
        eiw_qm1_forward(q, sts, &run, &one, 1, NULL, 0);
        memcpy(out + 256 * (i + 1), eiw_qm1_weights(q, st), 1024);
    }
    free(st);
    return out;
}

Test(qm1, batched_runs_equal_single_steps_beyond_the_window)
{
    eiw_qm1 *q = random_qm1(11);
    sample s = sample_make("text", 200, 4);   /* 200 bytes: far beyond the 24-byte window */
    uint32_t *ref = weights_one_by_one(q, s.data, s.len);
    /* one stream in runs of 1..70 bytes, rows of every byte requested */
    void *st = new_state(q);
    eiw_qm1_reset(q, st);
    uint32_t *rows = malloc(sizeof(uint32_t) * 256 * s.len);
    size_t at = 0, len = 1;
    while (at < s.len) {
        size_t n = len < s.len - at ? len : s.len - at;
        void *sts[1] = { st };
        const uint8_t *run = s.data + at;
        uint32_t *outs[1] = { rows + 256 * at };
        eiw_qm1_forward(q, sts, &run, &n, 1, outs, 0);
        at += n;
        len = len * 3 % 71 + 1;
    }
    cr_assert(memcmp(rows, ref + 256, sizeof(uint32_t) * 256 * s.len) == 0);
    /* three streams at once, different lengths, each equal to running it alone */
    void *sa = new_state(q), *sb = new_state(q), *sc = new_state(q);
    eiw_qm1_reset(q, sa);
    eiw_qm1_reset(q, sb);
    eiw_qm1_reset(q, sc);
    void *sts[3] = { sa, sb, sc };
    const uint8_t *runs[3] = { s.data, s.data + 5, s.data };
    size_t lens[3] = { 30, 12, 41 };
    eiw_qm1_forward(q, sts, runs, lens, 3, NULL, 0);
    cr_assert(memcmp(eiw_qm1_weights(q, sa), ref + 256 * 30, 1024) == 0);
    cr_assert(memcmp(eiw_qm1_weights(q, sc), ref + 256 * 41, 1024) == 0);
    uint32_t *refb = weights_one_by_one(q, s.data + 5, 12);
    cr_assert(memcmp(eiw_qm1_weights(q, sb), refb + 256 * 12, 1024) == 0);
    free(refb);
    free(sa);
    free(sb);
    free(sc);
    free(rows);
    free(st);
    free(ref);
    sample_free(&s);
    eiw_qm1_free(q);
}

Test(qm1, every_kernel_gives_identical_weights)
{
    eiw_qm1 *q = random_qm1(12);
    sample s = sample_make("utf8", 80, 9);
    eiw_kernel was = eiw_kernel_active();
    eiw_kernel_force(EIW_KERNEL_SCALAR);
    uint32_t *ref = weights_one_by_one(q, s.data, s.len);
    int ks[EIW_KERNEL_COUNT], nk = test_kernels(ks);
    for (int i = 1; i < nk; i++) {   /* ks[0] is the scalar reference */
        eiw_kernel_force((eiw_kernel)ks[i]);
        uint32_t *got = weights_one_by_one(q, s.data, s.len);
        cr_assert(memcmp(got, ref, sizeof(uint32_t) * 256 * (s.len + 1)) == 0, "%s",
                  eiw_kernel_name((eiw_kernel)ks[i]));
        free(got);
    }
    eiw_kernel_force(was);
    free(ref);
    sample_free(&s);
    eiw_qm1_free(q);
}

/* A model whose logits saturate at both ends (+-2^30 in Q16): one layer that adds nothing, every
 * embedding 1.0 (so the normalized activations are all 1.0) and a head whose row 0 is +63 and
 * row 1 -63 on every input: 272 * 63 = 17136 > 2^14, the logit clamp. The two logits are 2^31
 * apart, one more than an int32 holds. */
Test(qm1, opposite_saturated_logits_give_weights_without_overflow)
{
    const eiw_model_config cfg = { 257, 8, 272, 4, 1, 16 };
    const int V = cfg.vocab, C = cfg.d_model, L = cfg.n_layers, F = cfg.d_ff;
    size_t n = (size_t)eiw_model_num_params(&cfg);
    float *p = calloc(n, sizeof *p);
    cr_assert_not_null(p);
    float *lnfw = p + (size_t)V * C + (size_t)L * C * (2 + 4 * C + 2 * F), *wlm = lnfw + C;
    cr_assert_eq((size_t)(wlm + (size_t)V * C - p), n, "parameter layout");
    for (size_t i = 0; i < (size_t)V * C; i++)
        p[i] = 1.0f;   /* wte; the layers' matrices stay zero */
    for (int c = 0; c < C; c++) {
        lnfw[c] = 1.0f;
        wlm[c] = 63.0f;
        wlm[C + c] = -63.0f;
    }
    eiw_qm1 *q = NULL;
    cr_assert_eq(eiw_qm1_from_float(&q, &cfg, p, "saturated"), 0);
    free(p);
    void *st = new_state(q);
    eiw_qm1_reset(q, st);
    const uint8_t text[] = "any bytes";
    size_t len = sizeof text - 1;
    const uint8_t *run = text;
    for (int pass = 0; pass < 2; pass++) {   /* BOS (from the model), then after a run */
        const uint32_t *w = eiw_qm1_weights(q, st);
        cr_assert_eq(w[0], 1u << 23, "pass %d: the top logit has weight 2^23", pass);
        for (int s = 1; s < 256; s++)
            cr_assert_eq(w[s], 0, "pass %d: byte %d, 2^30 or 2^31 below the top: %u", pass, s,
                         w[s]);
        void *sts[1] = { st };
        eiw_qm1_forward(q, sts, &run, &len, 1, NULL, 0);
    }
    free(st);
    eiw_qm1_free(q);
}

Test(qm1, damaged_model_files_are_rejected)
{
    eiw_qm1 *q = random_qm1(13);
    size_t len = q->file_len;
    uint8_t *buf = malloc(len);
    memcpy(buf, q->file, len);
    eiw_qm1 *back = NULL;
    cr_assert_eq(eiw_qm1_load(&back, buf, len), 0);
    eiw_qm1_free(back);
    const size_t cuts[] = { 0, 3, 4, 40, len / 2, len - 9, len - 1 };
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        cr_assert_neq(eiw_qm1_load(&back, buf, cuts[i]), 0, "truncated to %zu", cuts[i]);
        cr_assert_null(back);
    }
    uint64_t r = 5;
    for (int t = 0; t < 200; t++) {
        size_t at = (size_t)(test_rng(&r) % len);
        buf[at] ^= (uint8_t)(1u << (t % 8));
        cr_assert_neq(eiw_qm1_load(&back, buf, len), 0, "flip at %zu", at);
        buf[at] ^= (uint8_t)(1u << (t % 8));
    }
    free(buf);
    eiw_qm1_free(q);
}

Test(qm1, codec_roundtrip_with_neural_model)
{
    eiw_qm1 *q = random_qm1(14);
    eiw_model *m = NULL;
    cr_assert_eq(eiw_model_from_bytes(q->file, q->file_len, &m), EIW_OK);
    sample s = sample_make("ascii", 1500, 21);
    void *state = calloc(1, m->state_size);
    size_t cap = s.len * 16 + 64;
    uint8_t *enc = malloc(cap), *dec = malloc(s.len);
    ptrdiff_t n = eiw_stream_encode(m, state, s.data, s.len, enc, cap);
    cr_assert_gt(n, 0);
    cr_assert_eq(eiw_stream_decode(m, state, enc, (size_t)n, dec, s.len), EIW_OK);
    cr_assert(memcmp(dec, s.data, s.len) == 0);
    const unsigned bs[] = { 16, 64 };
    for (int i = 0; i < 2; i++) {
        eiw_window_params p = { bs[i], 16, (unsigned)i & 1 };   /* both end rules */
        n = eiw_windows_encode(m, &p, state, s.data, s.len, enc, cap, NULL);
        cr_assert_gt(n, 0, "b=%u: %s", bs[i], eiw_strerror((int)n));
        memset(dec, 0, s.len);
        cr_assert_eq(eiw_windows_decode(m, &p, NULL, enc, (size_t)n, dec, s.len), EIW_OK);
        cr_assert(memcmp(dec, s.data, s.len) == 0, "b=%u", bs[i]);
    }
    free(enc);
    free(dec);
    free(state);
    sample_free(&s);
    eiw_model_free(m);
    eiw_qm1_free(q);
}

Test(qm1, requant_and_quant8_are_exact_on_every_path)
{
    uint64_t r = 77;
    enum { N = 1040 };
    int32_t acc[N], mult[N], ref[N], got[N];
    int8_t shift[N], qref[N], qgot[N];
    for (int i = 0; i < N; i++) {
        uint64_t x = test_rng(&r);
        /* ties and signs: small accumulators with exact halves, plus extremes */
        acc[i] = i < 16 ? (i % 2 ? -(1 << (i % 8)) : (1 << (i % 8))) : (int32_t)(x >> 39) - (1 << 24);
        if (i == 20)
            acc[i] = INT32_MIN + 1;
        mult[i] = (int32_t)((1u << 30) + (uint32_t)(x & 0x3FFFFFFF));
        shift[i] = (int8_t)(32 + (int)((x >> 32) % 31));
    }
    eiw_kernel was = eiw_kernel_active();
    int ks[EIW_KERNEL_COUNT], nk = test_kernels(ks);
    for (int e = 0; e <= 24; e += 8) {
        eiw_kernel_force(EIW_KERNEL_SCALAR);
        eiw_requant(acc, mult, shift, N, e, ref);
        int kref = eiw_quant8(ref, N - 16, qref);
        for (int i = 1; i < nk; i++) {   /* ks[0] is the scalar reference */
            eiw_kernel_force((eiw_kernel)ks[i]);
            eiw_requant(acc, mult, shift, N, e, got);
            cr_assert(memcmp(got, ref, sizeof ref) == 0, "requant %s e=%d",
                      eiw_kernel_name((eiw_kernel)ks[i]), e);
            cr_assert_eq(eiw_quant8(ref, N - 16, qgot), kref);
            cr_assert(memcmp(qgot, qref, N - 16) == 0, "quant8 %s",
                      eiw_kernel_name((eiw_kernel)ks[i]));
        }
    }
    /* quant8 rounds half up and saturates at +-127 */
    int32_t y[16] = { 254, -254, 253, -253, 3, -3, 1, -1, 0, 0, 0, 0, 0, 0, 0, 0 };
    int8_t q[16];
    for (int i = 0; i < nk; i++) {
        eiw_kernel_force((eiw_kernel)ks[i]);
        cr_assert_eq(eiw_quant8(y, 16, q), 1);
        cr_assert_eq(q[0], 127);
        cr_assert_eq(q[1], -127);
        cr_assert_eq(q[2], 127);   /* 126.5 rounds up */
        cr_assert_eq(q[3], -126);  /* -126.5 rounds up too */
        cr_assert_eq(q[4], 2);
        cr_assert_eq(q[5], -1);
    }
    eiw_kernel_force(was);
}

/* Compresses with the container into memory; returns the bytes (malloc'd) and their count. */
static char *container_compress(const eiw_model *m, const eiw_options *o, const uint8_t *d,
                                size_t n, size_t *len)
{
    char *buf = NULL;
    FILE *in = fmemopen((void *)d, n, "rb"), *out = open_memstream(&buf, len);
    cr_assert(in && out);
    cr_assert_eq(eiw_compress_stream(in, out, m, o, n, NULL), EIW_OK);
    fclose(in);
    fclose(out);
    return buf;
}

/* A tiny model trained on i.i.d. letters a..d (p = .7 .1 .1 .1): it beats zstd on small blocks. */
static eiw_qm1 *trained_letters_qm1(sample *s)
{
    uint64_t r = 8;
    s->len = 9000;   /* 9 blocks of 1 KiB */
    s->data = malloc(s->len);
    for (size_t i = 0; i < s->len; i++) {
        unsigned x = (unsigned)(test_rng(&r) % 10);
        s->data[i] = (uint8_t)(x < 7 ? 'a' : 'a' + (int)x - 6);
    }
    uint16_t *tok = malloc(s->len * sizeof *tok);
    for (size_t i = 0; i < s->len; i++)
        tok[i] = s->data[i];
    eiw_train_options o;
    cr_assert_eq(eiw_train_config("tiny", &o), EIW_TRAIN_OK);
    o.model.vocab = 257;
    o.bos = 256;
    o.steps = 300;
    o.threads = 1;
    eiw_trainer *tr;
    cr_assert_eq(eiw_trainer_create(&tr, &o, tok, s->len, NULL, 0), EIW_TRAIN_OK);
    for (int i = 0; i < 300; i++)
        cr_assert_eq(eiw_trainer_step(tr, NULL), EIW_TRAIN_OK);
    size_t np;
    eiw_qm1 *q = NULL;
    cr_assert_eq(eiw_qm1_from_float(&q, &o.model, eiw_trainer_params(tr, &np), "letters"), 0);
    eiw_trainer_free(tr);
    free(tok);
    return q;
}

Test(qm1, many_blocks_decode_in_lockstep_for_any_thread_count)
{
    sample s = { "letters", NULL, 0 };
    eiw_qm1 *q = trained_letters_qm1(&s);
    eiw_model *m = NULL;
    cr_assert_eq(eiw_model_from_bytes(q->file, q->file_len, &m), EIW_OK);
    for (int mode = 0; mode < 2; mode++) {   /* stream blocks, then windows in lockstep */
        eiw_options o;
        eiw_options_default(&o);
        o.level = 0;   /* the model alone: format 1 */
        o.block_size = EIW_BLOCK_SIZE_MIN;
        o.zstd_level = 1;
        if (mode) {
            o.mode = EIW_MODE_WINDOWS;
            o.win.window_bits = 64;
            o.win.token_bits = 16;
        }
        size_t l1, l2, l3;
        o.threads = 1;
        char *c1 = container_compress(m, &o, s.data, s.len, &l1);
        o.threads = 2;
        char *c2 = container_compress(m, &o, s.data, s.len, &l2);
        o.threads = 3;
        char *c3 = container_compress(m, &o, s.data, s.len, &l3);
        cr_assert(l1 == l2 && memcmp(c1, c2, l1) == 0, "output must not depend on threads");
        cr_assert(l1 == l3 && memcmp(c1, c3, l1) == 0, "output must not depend on threads");
        for (int threads = 1; threads <= 3; threads++) {
            uint8_t *back = malloc(s.len + 1);
            FILE *in = fmemopen(c1, l1, "rb"), *out = fmemopen(back, s.len + 1, "wb");
            eiw_header h;
            eiw_stats st;
            cr_assert_eq(eiw_header_read(in, &h), EIW_OK);
            o.threads = threads;
            cr_assert_eq(eiw_decompress_body(in, out, &h, m, &o, &st), EIW_OK);
            fclose(in);
            fclose(out);
            cr_assert_gt(st.blocks[EIW_METHOD_MODEL], 1, "several model-coded blocks expected");
            cr_assert(memcmp(back, s.data, s.len) == 0, "threads %d", threads);
            free(back);
        }
        free(c1);
        free(c2);
        free(c3);
    }
    sample_free(&s);
    eiw_model_free(m);
    eiw_qm1_free(q);
}

/* Windows of many documents in lockstep (one batched model call for all lanes) give exactly
 * what each document gives alone, window counts included; 20 documents span two lane groups. */
Test(qm1, windows_encode_many_equals_one_at_a_time)
{
    eiw_qm1 *q = random_qm1(15);
    eiw_model *m = NULL;
    cr_assert_eq(eiw_model_from_bytes(q->file, q->file_len, &m), EIW_OK);
    enum { DOCS = 20 };
    sample s[DOCS];
    void *states[DOCS];
    const uint8_t *srcs[DOCS];
    uint8_t *dsts[DOCS];
    size_t ns[DOCS], caps[DOCS];
    uint32_t *counts[DOCS];
    ptrdiff_t res[DOCS];
    for (int i = 0; i < DOCS; i++) {
        s[i] = sample_make(i % 3 ? "ascii" : "utf8", (size_t)(i * 37 % 300), 40 + (uint64_t)i);
        states[i] = calloc(1, m->state_size);
        srcs[i] = s[i].data;
        ns[i] = s[i].len;
        caps[i] = s[i].len * 16 + 64;
        dsts[i] = malloc(caps[i]);
        counts[i] = malloc(sizeof(uint32_t) * (caps[i] / 2 + 1));
    }
    const unsigned bs[] = { 16, 48 };
    for (int b = 0; b < 2; b++) {
        eiw_window_params p = { bs[b], 16, (unsigned)b & 1 };   /* both end rules */
        eiw_windows_encode_many(m, &p, DOCS, states, srcs, ns, dsts, caps, counts, res);
        void *one = calloc(1, m->state_size);
        for (int i = 0; i < DOCS; i++) {
            uint8_t *alone = malloc(caps[i]);
            uint32_t *c1 = malloc(sizeof(uint32_t) * (caps[i] / 2 + 1));
            ptrdiff_t r = eiw_windows_encode(m, &p, one, srcs[i], ns[i], alone, caps[i], c1);
            cr_assert_eq(res[i], r, "doc %d b=%u", i, bs[b]);
            cr_assert(r <= 0 || memcmp(alone, dsts[i], (size_t)r) == 0, "doc %d b=%u", i, bs[b]);
            cr_assert(r <= 0 || memcmp(c1, counts[i], sizeof(uint32_t) * ((size_t)r * 8 / bs[b])) == 0);
            free(alone);
            free(c1);
        }
        free(one);
    }
    for (int i = 0; i < DOCS; i++) {
        sample_free(&s[i]);
        free(states[i]);
        free(dsts[i]);
        free(counts[i]);
    }
    eiw_model_free(m);
    eiw_qm1_free(q);
}

/* The elementwise steps give the scalar path's numbers on every path, extremes included:
 * residual clamp, ReLU, Q10 values, sums of squares, the RMSNorm scale. */
Test(qm1, elementwise_kernels_agree_on_every_path)
{
    enum { N = 1037 };
    uint64_t r = 123;
    static int32_t x[N], y[N], v[N];
    for (int i = 0; i < N; i++) {
        x[i] = (int32_t)(test_rng(&r) % (2u << 24)) - (1 << 24);          /* |x| <= 2^24 */
        y[i] = (int32_t)(test_rng(&r) % (2u << 30)) - (1 << 30);          /* |y| <= 2^30 */
        v[i] = i < 8 ? (i % 2 ? -(1 << 30) : (1 << 30)) : i < 16 ? (i % 2 ? -32 : 32) - 64 * i : y[i];
    }
    x[0] = 1 << 24;
    x[1] = -(1 << 24);
    const int64_t invs[] = { 1, 12345, (int64_t)1 << 31, ((int64_t)1 << 40) - 1 };
    int ks[EIW_KERNEL_COUNT], nk = test_kernels(ks);
    eiw_kernel was = eiw_kernel_active();
    static int32_t ref_res[N], ref_relu[N], ref_sc[4][N];
    static int16_t ref_q10[N];
    uint64_t ref_ss = 0;
    for (int k = 0; k < nk; k++) {   /* ks[0] is the scalar reference */
        eiw_kernel_force((eiw_kernel)ks[k]);
        static int32_t res[N], relu[N], sc[N];
        static int16_t q10[N];
        memcpy(res, x, sizeof res);
        eiw_qresidual(res, y, N, 1 << 24);
        memcpy(relu, y, sizeof relu);
        eiw_qrelu(relu, N);
        eiw_qto_q10(v, N, q10);
        uint64_t ss = eiw_qsumsq(x, N);
        if (k == 0) {
            memcpy(ref_res, res, sizeof res);
            memcpy(ref_relu, relu, sizeof relu);
            memcpy(ref_q10, q10, sizeof q10);
            ref_ss = ss;
        }
        const char *kn = eiw_kernel_name(eiw_kernel_active());
        cr_assert(memcmp(res, ref_res, sizeof res) == 0, "residual %s", kn);
        cr_assert(memcmp(relu, ref_relu, sizeof relu) == 0, "relu %s", kn);
        cr_assert(memcmp(q10, ref_q10, sizeof q10) == 0, "q10 %s", kn);
        cr_assert_eq(ss, ref_ss, "sumsq %s", kn);
        for (int j = 0; j < 4; j++) {
            /* the RMSNorm bound: |x * inv| stays far below 2^62 */
            int n = invs[j] >= (int64_t)1 << 31 ? 64 : N;
            int32_t xs[N];
            for (int i = 0; i < n; i++)
                xs[i] = invs[j] >= (int64_t)1 << 31 ? x[i] >> 10 : x[i];
            eiw_qscale24(xs, n, invs[j], sc);
            if (k == 0)
                memcpy(ref_sc[j], sc, sizeof(int32_t) * (size_t)n);
            cr_assert(memcmp(sc, ref_sc[j], sizeof(int32_t) * (size_t)n) == 0, "scale24 %s inv %lld",
                      kn, (long long)invs[j]);
        }
    }
    /* the reference itself, on a few values: round half up, clamps */
    cr_assert_eq(ref_q10[0], 32767);
    cr_assert_eq(ref_q10[1], -32767);
    eiw_kernel_force(was);
}
