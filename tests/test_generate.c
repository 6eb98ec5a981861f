/* `eiw generate` and what it is made of: the cached token-by-token inference against the
 * training forward, the seeded sampler, and the program as a user runs it (EIW_BIN) with a tiny
 * M2 trained in the test on order1 tokens (b=16, t=8): the text starts with the prompt, every
 * window it wrote decodes on its own to exactly the text that follows, the statistics add up,
 * seeds behave, bad input is refused. */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "eiw.h"
#include "eiw_train.h"
#include "model/m2_sample.h"
#include "tests/test_files.h"
#include "tests/test_util.h"
#include "model/transformer.h"

/* ---- inference and sampling (library) ---- */

static const eiw_model_config small_cfg = { .vocab = 256, .ctx = 16, .d_model = 32,
                                            .n_heads = 4, .n_layers = 2, .d_ff = 64 };

/* softmax(logits) against the training forward's probabilities at the last of T positions */
static void check_last_position(eiw_transformer *ref, const int *toks, int T, const float *logits)
{
    eiw_transformer_forward(ref, toks, NULL, 1, T, 1, 0);
    const float *probs = ref->acts.probs + (size_t)(T - 1) * 256;
    float maxv = -INFINITY, sum = 0.0f;
    for (int v = 0; v < 256; v++)
        maxv = logits[v] > maxv ? logits[v] : maxv;
    for (int v = 0; v < 256; v++)
        sum += expf(logits[v] - maxv);
    for (int v = 0; v < 256; v++) {
        float p = expf(logits[v] - maxv) / sum;
        cr_assert_float_eq(p, probs[v], 1e-5f, "T=%d v=%d: %g vs %g", T, v, (double)p,
                           (double)probs[v]);
    }
}

Test(generate, cached_inference_matches_the_training_forward)
{
    eiw_transformer ref;
    cr_assert_eq(eiw_transformer_init(&ref, &small_cfg, 1, small_cfg.ctx), EIW_TRAIN_OK);
    eiw_transformer_init_weights(&ref, 7);
    for (size_t i = 0; i < ref.n_params; i++)   /* larger weights: attention far from uniform */
        ref.params_mem[i] *= 8.0f;
    eiw_m2 *m;
    cr_assert_eq(eiw_m2_create(&m, &small_cfg, ref.params_mem, small_cfg.ctx), EIW_TRAIN_OK);
    int toks[64];
    uint64_t r = 3;
    for (int i = 0; i < 64; i++)
        toks[i] = (int)(test_rng(&r) % 256);
    float logits[256];
    for (int t = 0; t < 16; t++) {
        cr_assert_eq(eiw_m2_push(m, (unsigned)toks[t], logits), 0);
        check_last_position(&ref, toks, t + 1, logits);
    }
    /* a full cache slides to its last 8 tokens, then takes the new one */
    cr_assert_eq(eiw_m2_push(m, (unsigned)toks[16], logits), 1);
    cr_assert_eq(eiw_m2_len(m), 9);
    check_last_position(&ref, toks + 8, 9, logits);
    /* truncating keeps an exact prefix */
    eiw_m2_truncate(m, 3);
    cr_assert_eq(eiw_m2_push(m, (unsigned)toks[40], logits), 0);
    int ctx[4] = { toks[8], toks[9], toks[10], toks[40] };
    check_last_position(&ref, ctx, 4, logits);
    eiw_m2_reset(m);
    cr_assert_eq(eiw_m2_len(m), 0);
    eiw_m2_push(m, (unsigned)toks[5], logits);
    check_last_position(&ref, toks + 5, 1, logits);
    eiw_m2_free(m);
    eiw_transformer_free(&ref);
}

Test(generate, sampler_is_seeded_and_respects_top_k_and_temperature)
{
    float logits[300], scratch[300];
    uint64_t r = 11;
    for (int i = 0; i < 300; i++)
        logits[i] = (float)(test_rng(&r) % 1000) / 200.0f;
    logits[17] = NAN;
    logits[3] = 9.0f;   /* the largest */
    logits[250] = 8.5f;
    logits[100] = 8.5f;   /* a tie with 250 at rank 2: top-2 takes index 100 */
    uint64_t a = 5, b = 5;
    unsigned seen[300] = { 0 };
    for (int i = 0; i < 4000; i++) {
        unsigned x = eiw_sample_logits(logits, 300, 1.0, 0, &a, scratch);
        cr_assert_eq(x, eiw_sample_logits(logits, 300, 1.0, 0, &b, scratch));
        cr_assert_lt(x, 300u);
        seen[x]++;
    }
    cr_assert_eq(seen[17], 0, "a NaN logit is never drawn");
    /* frequency of the largest: p = e^9 / sum; 4000 draws within a loose bound */
    double sum = 0.0;
    for (int i = 0; i < 300; i++)
        sum += i == 17 ? 0.0 : exp((double)logits[i]);
    double p3 = exp(9.0) / sum;
    cr_assert(fabs((double)seen[3] / 4000.0 - p3) < 0.05, "%u draws of 3, p=%f", seen[3], p3);
    for (int i = 0; i < 500; i++) {
        unsigned x = eiw_sample_logits(logits, 300, 1.0, 2, &a, scratch);
        cr_assert(x == 3 || x == 100, "top-2 drew %u", x);
        cr_assert_eq(eiw_sample_logits(logits, 300, 1.0, 1, &a, scratch), 3u);
        cr_assert_eq(eiw_sample_logits(logits, 300, 1e-3, 0, &a, scratch), 3u);
    }
    /* other seeds, other draws */
    uint64_t c = 6;
    int differ = 0;
    a = 5;
    for (int i = 0; i < 50; i++)
        differ += eiw_sample_logits(logits, 300, 1.0, 0, &a, scratch) !=
                  eiw_sample_logits(logits, 300, 1.0, 0, &c, scratch);
    cr_assert_gt(differ, 10);
}

/* ---- the program ---- */

static char dir[64], cap[64], root[1024];
static char *out_text, *err_text;
static size_t out_len, err_len;

static void setup(void)
{
    test_cli_setup("gen", root, sizeof root, dir, cap);
}

static void teardown(void)
{
    test_cli_teardown(dir, cap, &out_text, &err_text);
}

TestSuite(generate_cli, .init = setup, .fini = teardown, .timeout = 60);

/* eiw ARGS... (NULL-terminated) in dir; returns the exit status. */
static int run(const char *first, ...)
{
    const char *args[48];
    int n = 0;
    args[n++] = "eiw";
    args[n++] = first;
    va_list ap;
    va_start(ap, first);
    while (n < 47 && (args[n] = va_arg(ap, const char *)) != NULL)
        n++;
    va_end(ap);
    args[n] = NULL;
    int st = test_spawn(dir, args, NULL, test_at(cap, "stdout"), test_at(cap, "stderr"));
    free(out_text);
    free(err_text);
    out_text = test_read_in(cap, "stdout", &out_len);
    err_text = test_read_in(cap, "stderr", &err_len);
    cr_assert(out_text && err_text);
    return st;
}

/* A tiny M2 on the 8-bit tokens (b=16) of the sample text under model m1 (NULL: order1). */
static void train_m2(const char *m1, const char *name)
{
    char sample_path[1200];
    snprintf(sample_path, sizeof sample_path, "%s/tests/data/sample.txt", root);
    cr_assert_eq(run("tokenize", "-q", "-T", "1", "-o", "tok", "--model", m1 ? m1 : "order1",
                     "--token-bits", "8", "--window-bits", "16", sample_path, NULL), 0,
                 "%s", err_text);
    cr_assert_eq(run("train", "--config", "tiny", "--token-bytes", "1", "--data", "tok-00000.bin",
                     "--steps", "150", "--threads", "1", "--out", name, NULL), 0, "%s", err_text);
}

typedef struct {
    uint64_t windows, invalid, bytes, steps;
    double bytes_per_step;
} gen_stats;

static gen_stats parse_stats(void)
{
    gen_stats s;
    const char *p = strstr(err_text, "eiw: generate: windows ");
    cr_assert_not_null(p, "no statistics: %s", err_text);
    cr_assert_eq(sscanf(p, "eiw: generate: windows %" SCNu64 ", invalid %" SCNu64 ", bytes %"
                        SCNu64 ", M2 steps %" SCNu64 ", bytes/step %lf", &s.windows, &s.invalid,
                        &s.bytes, &s.steps, &s.bytes_per_step), 5, "%s", p);
    return s;
}

/* Every window of FILE decodes on its own (order1, b=16, t=8); their bytes, in order, are
 * exactly `text`. Returns the number of windows. */
static size_t check_windows(const char *file, const char *text, size_t len)
{
    size_t n;
    uint8_t *w = (uint8_t *)test_read_in(dir, file, &n);
    cr_assert_not_null(w, "%s missing", file);
    cr_assert_eq(n % 2, 0);
    const eiw_model *m = eiw_model_builtin("order1");
    eiw_window_params wp = { 16, 8, EIW_WINDOW_END_TIGHT };   /* generate's default */
    void *st = calloc(1, m->state_size);
    uint8_t buf[1 << 16];
    size_t at = 0;
    for (size_t i = 0; i < n; i += 2) {
        ptrdiff_t k = eiw_window_decode(m, &wp, st, w + i, -1, buf, sizeof buf);
        cr_assert_gt(k, 0, "window %zu: %s", i / 2, eiw_strerror((int)k));
        cr_assert_leq(at + (size_t)k, len);
        cr_assert_eq(memcmp(buf, text + at, (size_t)k), 0, "window %zu", i / 2);
        at += (size_t)k;
    }
    cr_assert_eq(at, len, "windows hold %zu bytes, the text has %zu", at, len);
    free(st);
    free(w);
    return n / 2;
}

Test(generate_cli, prompt_then_only_valid_windows_and_consistent_statistics)
{
    train_m2(NULL, "m2.ckpt");
    static const char prompt[] = "The wind turned";
    cr_assert_eq(run("generate", "--m2", "m2.ckpt", "--model", "order1", "--prompt", prompt,
                     "--bytes", "400", "--seed", "7", "--windows-out", "w.bin", NULL), 0,
                 "%s", err_text);
    size_t plen = strlen(prompt);
    cr_assert_geq(out_len, plen + 400);
    cr_assert_eq(memcmp(out_text, prompt, plen), 0, "the text starts with the prompt");
    size_t nwin = check_windows("w.bin", out_text + plen, out_len - plen);
    gen_stats s = parse_stats();
    cr_assert_eq(s.windows, nwin);
    cr_assert_eq(s.bytes, out_len - plen);
    cr_assert_eq(s.steps, 2 * (s.windows + s.invalid), "2 tokens per window, rejected included");
    cr_assert_float_eq(s.bytes_per_step, (double)s.bytes / (double)s.steps, 1e-3);
    /* the last window is printed whole, and only one past the limit */
    cr_assert_lt(out_len - plen - 400, 1u << 16);
}

Test(generate_cli, seeds_repeat_and_differ)
{
    train_m2(NULL, "m2.ckpt");
    cr_assert_eq(run("generate", "--m2", "m2.ckpt", "--model", "order1", "--prompt", "Monday.",
                     "--bytes", "200", "--seed", "3", "-q", NULL), 0, "%s", err_text);
    cr_assert_eq(err_len, 0, "-q: %s", err_text);
    char *first = strdup(out_text);
    size_t first_len = out_len;
    cr_assert_eq(run("generate", "--m2", "m2.ckpt", "--model", "order1", "--prompt", "Monday.",
                     "--bytes", "200", "--seed", "3", "-q", NULL), 0);
    cr_assert(out_len == first_len && memcmp(out_text, first, out_len) == 0, "same seed");
    cr_assert_eq(run("generate", "--m2", "m2.ckpt", "--model", "order1", "--prompt", "Monday.",
                     "--bytes", "200", "--seed", "4", "-q", NULL), 0);
    cr_assert(out_len != first_len || memcmp(out_text, first, out_len) != 0, "another seed");
    /* top-k and temperature change the text too, and keep it valid */
    cr_assert_eq(run("generate", "--m2", "m2.ckpt", "--model", "order1", "--prompt", "Monday.",
                     "--bytes", "200", "--seed", "3", "--top-k", "5", "--temperature", "0.7",
                     "--windows-out", "w.bin", NULL), 0, "%s", err_text);
    cr_assert(out_len != first_len || memcmp(out_text, first, out_len) != 0, "top-k");
    check_windows("w.bin", out_text + 7, out_len - 7);
    free(first);
}

Test(generate_cli, empty_prompt_starts_with_a_window_from_m1)
{
    train_m2(NULL, "m2.ckpt");
    cr_assert_eq(run("generate", "--m2", "m2.ckpt", "--model", "order1", "--bytes", "100",
                     "--windows-out", "w.bin", NULL), 0, "%s", err_text);
    cr_assert_not_null(strstr(err_text, "was sampled from M1"), "%s", err_text);
    size_t nwin = check_windows("w.bin", out_text, out_len);
    gen_stats s = parse_stats();
    cr_assert_eq(nwin, s.windows + 1);
    cr_assert_lt(s.bytes, out_len);
    cr_assert_eq(run("generate", "--m2", "m2.ckpt", "--model", "order1", "--bytes", "0", NULL), 0);
    cr_assert_eq(out_len, 0);
}

Test(generate_cli, running_out_of_retries_is_an_error)
{
    train_m2(NULL, "m2.ckpt");
    /* this M2 writes many invalid windows: without retries one soon stops the run */
    cr_assert_eq(run("generate", "--m2", "m2.ckpt", "--model", "order1", "--prompt", "The",
                     "--bytes", "2000", "--max-retries", "0", "--windows-out", "w.bin", NULL), 1);
    cr_assert_not_null(strstr(err_text, "still invalid after 0 resamples"), "%s", err_text);
    cr_assert(!test_exists_in(dir, "w.bin"), "no partial --windows-out");
    gen_stats s = parse_stats();
    cr_assert_eq(s.invalid, 1);
    cr_assert_eq(out_len, 3 + s.bytes, "the text up to the failure was printed");
}

Test(generate_cli, default_m1)
{
    train_m2("m1", "m2.ckpt");
    cr_assert_eq(run("generate", "--m2", "m2.ckpt", "--prompt", "The", "--bytes", "60", NULL), 0,
                 "%s", err_text);
    cr_assert_eq(memcmp(out_text, "The", 3), 0);
    gen_stats s = parse_stats();
    cr_assert_eq(s.bytes, out_len - 3);
    cr_assert_geq(s.bytes, 60);
}

Test(generate_cli, bad_input_is_refused)
{
    train_m2(NULL, "m2.ckpt");
    static const char *const usage_cases[][6] = {
        { "generate", NULL },
        { "generate", "--m2", "m2.ckpt", "--temperature", "0", NULL },
        { "generate", "--m2", "m2.ckpt", "--temperature", "hot", NULL },
        { "generate", "--m2", "m2.ckpt", "--top-k", "-1", NULL },
        { "generate", "--m2", "m2.ckpt", "--bytes", "lots", NULL },
        { "generate", "--m2", "m2.ckpt", "--seed", "-5", NULL },
        { "generate", "--m2", "m2.ckpt", "--window-bits", "8", NULL },
        { "generate", "--m2", "m2.ckpt", "--model", "no-such-model", NULL },
        { "generate", "--m2", "m2.ckpt", "extra", NULL },
        { "generate", "--m2", "m2.ckpt", "--frobnicate", NULL },
    };
    for (size_t i = 0; i < sizeof usage_cases / sizeof usage_cases[0]; i++) {
        const char *args[8] = { "eiw" };
        for (int j = 0; usage_cases[i][j]; j++)
            args[j + 1] = usage_cases[i][j];
        cr_assert_eq(test_run_in(dir, args, NULL, NULL), 2, "case %zu", i);
    }
    cr_assert_eq(run("generate", "--m2", "missing.ckpt", NULL), 1);
    cr_assert_not_null(strstr(err_text, "missing.ckpt"), "%s", err_text);
    test_write_in(dir, "junk.ckpt", "not a checkpoint at all", 23);
    cr_assert_eq(run("generate", "--m2", "junk.ckpt", NULL), 1);
    cr_assert_not_null(strstr(err_text, "junk.ckpt"), "%s", err_text);
    /* a byte model with BOS (like M1) and a vocabulary that is no token width's */
    cr_assert_eq(run("train", "--config", "tiny", "--token-bytes", "1", "--data", "tok-00000.bin",
                     "--vocab", "257", "--bos", "256", "--steps", "2", "--out", "bos.ckpt", NULL),
                 0, "%s", err_text);
    cr_assert_eq(run("generate", "--m2", "bos.ckpt", "--model", "order1", NULL), 1);
    cr_assert_not_null(strstr(err_text, "not an M2"), "%s", err_text);
    cr_assert_eq(run("train", "--config", "tiny", "--token-bytes", "1", "--data", "tok-00000.bin",
                     "--vocab", "300", "--steps", "2", "--out", "v300.ckpt", NULL), 0, "%s",
                 err_text);
    cr_assert_eq(run("generate", "--m2", "v300.ckpt", "--model", "order1", NULL), 1);
    cr_assert_not_null(strstr(err_text, "vocab 300 is not an M2's"), "%s", err_text);
    cr_assert_eq(out_len, 0, "nothing printed");
}
