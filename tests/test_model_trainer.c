/* Trainer-level tests: a tiny model overfits a tiny text, runs are reproducible, checkpoints
 * round-trip, resume is bitwise exact (across the patch->token stage switch), and damaged
 * checkpoints are rejected with the right error. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eiw_train.h"

static const char text[] =
    "It was the best of times, it was the worst of times, it was the age of wisdom, it was the "
    "age of foolishness, it was the epoch of belief, it was the epoch of incredulity.";

static uint16_t *tokens_of(const char *s, size_t *n)
{
    *n = strlen(s);
    uint16_t *t = malloc(*n * sizeof *t);
    cr_assert(t);
    for (size_t i = 0; i < *n; i++)
        t[i] = (unsigned char)s[i];
    return t;
}

static uint16_t *random_tokens(size_t n, uint64_t seed)
{
    uint16_t *t = malloc(n * sizeof *t);
    cr_assert(t);
    for (size_t i = 0; i < n; i++) {   /* mildly structured: a repeating phrase with noise */
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        t[i] = (seed >> 60) < 3 ? (uint16_t)(seed >> 40 & 255) : (uint16_t)text[i % 60];
    }
    return t;
}

static void tiny_opts(eiw_train_options *o, int64_t steps)
{
    cr_assert_eq(eiw_train_config("tiny", o), EIW_TRAIN_OK);
    o->steps = steps;
    o->threads = 1;
}

static char *tmp_path(const char *tag)
{
    static char buf[4][256];
    static int k;
    char *p = buf[k++ & 3];
    snprintf(p, 256, "/tmp/eiw_test_%s_%ld.ckpt", tag, (long)getpid());
    return p;
}

Test(model_trainer, tiny_model_overfits_tiny_text)
{
    size_t n;
    uint16_t *t = tokens_of(text, &n);
    eiw_train_options o;
    tiny_opts(&o, 300);
    eiw_trainer *tr;
    cr_assert_eq(eiw_trainer_create(&tr, &o, t, n, t, n), EIW_TRAIN_OK);
    float first = 0.0f, loss = 0.0f;
    for (int i = 0; i < 300; i++) {
        eiw_trainer_step(tr, &loss);
        if (i == 0)
            first = loss;
    }
    double bpt;
    cr_assert_eq(eiw_trainer_eval(tr, 0, &bpt), EIW_TRAIN_OK);
    /* starts at ln(256) = 5.5 nats; memorising 170 bytes must get far below 1 bit/byte */
    cr_expect_gt(first, 5.0f);
    cr_expect_lt(loss, 0.5f, "final training loss %g nats", (double)loss);
    cr_expect_lt(bpt, 1.0, "eval on the training text: %g bits/byte", bpt);
    eiw_trainer_free(tr);
    free(t);
}

static void run_steps(eiw_trainer *tr, int n)
{
    for (int i = 0; i < n; i++)
        cr_assert_eq(eiw_trainer_step(tr, NULL), EIW_TRAIN_OK);
}

static void patch_opts(eiw_train_options *o)
{
    tiny_opts(o, 16);
    o->patch_size = 2;
    o->patch_fraction = 0.5f;   /* stage 1: 4 steps at K=2, stage 2: 8 steps */
    o->warmup = 2;
}

Test(model_trainer, same_seed_gives_same_run)
{
    size_t n = 5000;
    uint16_t *t = random_tokens(n, 3);
    eiw_train_options o;
    patch_opts(&o);
    eiw_trainer *a, *b;
    cr_assert_eq(eiw_trainer_create(&a, &o, t, n, NULL, 0), EIW_TRAIN_OK);
    cr_assert_eq(eiw_trainer_create(&b, &o, t, n, NULL, 0), EIW_TRAIN_OK);
    run_steps(a, 6);
    run_steps(b, 6);
    size_t na, nb;
    const float *pa = eiw_trainer_params(a, &na), *pb = eiw_trainer_params(b, &nb);
    cr_assert_eq(na, nb);
    cr_expect_eq(memcmp(pa, pb, na * sizeof(float)), 0);
    eiw_trainer_free(a);
    eiw_trainer_free(b);
    free(t);
}

/* nranks trainers, each on its slice of the batch, with their gradients and losses summed by hand
 * (what an MPI all-reduce does) follow the one-process run: same losses and weights up to float
 * summation order, across the patch->token stage switch and with batches nranks does not divide. */
static void check_partitioned_run(int nranks)
{
    size_t n = 5000;
    uint16_t *t = random_tokens(n, 5);
    eiw_train_options o;
    patch_opts(&o);
    o.batch = 5;
    eiw_trainer *ref, *p[3];
    cr_assert_eq(eiw_trainer_create(&ref, &o, t, n, NULL, 0), EIW_TRAIN_OK);
    for (int r = 0; r < nranks; r++) {
        cr_assert_eq(eiw_trainer_create(&p[r], &o, t, n, NULL, 0), EIW_TRAIN_OK);
        cr_assert_eq(eiw_trainer_set_partition(p[r], r, nranks), EIW_TRAIN_OK);
    }
    size_t np;
    eiw_trainer_params(ref, &np);
    float *sum = malloc(np * sizeof *sum);
    cr_assert(sum);
    eiw_train_info info;
    eiw_trainer_info(ref, &info);
    for (int64_t s = 0; s < info.total_steps; s++) {
        float want;
        cr_assert_eq(eiw_trainer_step(ref, &want), EIW_TRAIN_OK);
        float *g[3];
        double part, loss = 0.0;
        memset(sum, 0, np * sizeof *sum);
        for (int r = 0; r < nranks; r++) {
            size_t ng;
            cr_assert_eq(eiw_trainer_compute_grads(p[r], &g[r], &ng, &part), EIW_TRAIN_OK);
            cr_assert_eq(ng, np);
            loss += part;
            for (size_t i = 0; i < np; i++)
                sum[i] += g[r][i];
        }
        for (int r = 0; r < nranks; r++) {
            memcpy(g[r], sum, np * sizeof *sum);
            cr_assert_eq(eiw_trainer_apply(p[r]), EIW_TRAIN_OK);
        }
        cr_expect(fabs(loss - (double)want) <= 1e-5 * (double)want,
                  "%d ranks, step %lld: loss %.7f, one process %.7f", nranks, (long long)s, loss,
                  (double)want);
    }
    const float *w = eiw_trainer_params(ref, NULL);
    double maxd = 0.0;
    for (int r = 0; r < nranks; r++) {
        const float *q = eiw_trainer_params(p[r], NULL);
        if (r > 0)   /* the same sums give every rank the same bits */
            cr_expect_eq(memcmp(q, eiw_trainer_params(p[0], NULL), np * sizeof *q), 0);
        for (size_t i = 0; i < np; i++)
            maxd = fmax(maxd, fabs((double)q[i] - (double)w[i]));
    }
    for (int r = 0; r < nranks; r++)
        eiw_trainer_free(p[r]);
    cr_expect_lt(maxd, 1e-4, "%d ranks: weights differ by up to %g", nranks, maxd);
    cr_expect_gt(maxd, 0.0);   /* really a different summation (else the slices were not used) */
    eiw_trainer_free(ref);
    free(sum);
    free(t);
}

Test(model_trainer, partitioned_steps_follow_one_process)
{
    check_partitioned_run(2);
    check_partitioned_run(3);
}

Test(model_trainer, partition_misuse_is_rejected)
{
    size_t n = 5000;
    uint16_t *t = random_tokens(n, 7);
    eiw_train_options o;
    tiny_opts(&o, 10);   /* batch 4 */
    eiw_trainer *tr;
    cr_assert_eq(eiw_trainer_create(&tr, &o, t, n, NULL, 0), EIW_TRAIN_OK);
    cr_expect_eq(eiw_trainer_set_partition(tr, 0, 5), EIW_TRAIN_ERR_CONFIG);   /* > batch */
    cr_expect_eq(eiw_trainer_set_partition(tr, 2, 2), EIW_TRAIN_ERR_CONFIG);
    cr_expect_eq(eiw_trainer_set_partition(tr, -1, 2), EIW_TRAIN_ERR_CONFIG);
    cr_expect_eq(eiw_trainer_apply(tr), EIW_TRAIN_ERR_CONFIG);   /* no gradient yet */
    cr_assert_eq(eiw_trainer_set_partition(tr, 1, 4), EIW_TRAIN_OK);
    cr_expect_eq(eiw_trainer_step(tr, NULL), EIW_TRAIN_ERR_CONFIG);   /* needs a reduction */
    float *g;
    size_t ng;
    double loss;
    cr_assert_eq(eiw_trainer_compute_grads(tr, &g, &ng, &loss), EIW_TRAIN_OK);
    cr_expect_eq(eiw_trainer_compute_grads(tr, &g, &ng, &loss), EIW_TRAIN_ERR_CONFIG);
    cr_expect_eq(eiw_trainer_set_partition(tr, 0, 1), EIW_TRAIN_ERR_CONFIG);   /* mid-step */
    cr_expect_eq(eiw_trainer_apply(tr), EIW_TRAIN_OK);
    cr_expect_eq(eiw_trainer_apply(tr), EIW_TRAIN_ERR_CONFIG);
    eiw_train_info info;
    eiw_trainer_info(tr, &info);
    cr_expect_eq(info.step, 1);
    eiw_trainer_free(tr);
    free(t);
}

Test(model_trainer, patch_stage_plan_matches_fraction)
{
    size_t n = 5000;
    uint16_t *t = random_tokens(n, 4);
    eiw_train_options o;
    patch_opts(&o);
    eiw_trainer *tr;
    cr_assert_eq(eiw_trainer_create(&tr, &o, t, n, NULL, 0), EIW_TRAIN_OK);
    eiw_train_info info;
    eiw_trainer_info(tr, &info);
    cr_expect_eq(info.stage1_steps, 4);
    cr_expect_eq(info.total_steps, 12);
    cr_expect_eq(info.stage, 1);
    cr_expect_eq(info.tokens_per_step, 4 * 32 * 2);
    run_steps(tr, 4);
    eiw_trainer_info(tr, &info);
    cr_expect_eq(info.stage, 2);
    cr_expect_eq(info.tokens_seen, 4 * 4 * 32 * 2);
    eiw_trainer_free(tr);
    free(t);
}

Test(model_trainer, checkpoint_round_trip_keeps_weights)
{
    size_t n = 5000;
    uint16_t *t = random_tokens(n, 5);
    eiw_train_options o;
    tiny_opts(&o, 10);
    eiw_trainer *tr;
    cr_assert_eq(eiw_trainer_create(&tr, &o, t, n, NULL, 0), EIW_TRAIN_OK);
    run_steps(tr, 3);
    const char *path = tmp_path("rt");
    cr_assert_eq(eiw_trainer_save(tr, path), EIW_TRAIN_OK);
    eiw_model_config cfg;
    float *w;
    size_t nw, np;
    cr_assert_eq(eiw_checkpoint_load_weights(path, &cfg, &w, &nw), EIW_TRAIN_OK);
    const float *p = eiw_trainer_params(tr, &np);
    cr_expect_eq(nw, np);
    cr_expect_eq(memcmp(&cfg, &o.model, sizeof cfg), 0);
    cr_expect_eq(memcmp(w, p, np * sizeof(float)), 0);
    free(w);
    eiw_trainer_free(tr);
    unlink(path);
    free(t);
}

Test(model_trainer, resume_is_bitwise_exact_across_stage_switch)
{
    size_t n = 5000;
    uint16_t *t = random_tokens(n, 6), *v = random_tokens(700, 7);
    eiw_train_options o;
    patch_opts(&o);
    eiw_trainer *a, *b, *c;
    cr_assert_eq(eiw_trainer_create(&a, &o, t, n, v, 700), EIW_TRAIN_OK);
    run_steps(a, 12);
    cr_assert_eq(eiw_trainer_create(&b, &o, t, n, v, 700), EIW_TRAIN_OK);
    run_steps(b, 3);   /* stop inside the patch stage */
    const char *path = tmp_path("resume");
    cr_assert_eq(eiw_trainer_save(b, path), EIW_TRAIN_OK);
    eiw_trainer_free(b);
    eiw_train_options got;
    cr_assert_eq(eiw_trainer_resume(&c, path, 1, 0, &got, t, n, v, 700), EIW_TRAIN_OK);
    cr_expect_eq(got.patch_size, 2);
    run_steps(c, 9);
    eiw_train_info ia, ic;
    eiw_trainer_info(a, &ia);
    eiw_trainer_info(c, &ic);
    cr_expect_eq(ia.step, ic.step);
    cr_expect(ia.done && ic.done);
    size_t na, nc;
    const float *pa = eiw_trainer_params(a, &na), *pc = eiw_trainer_params(c, &nc);
    cr_assert_eq(na, nc);
    cr_expect_eq(memcmp(pa, pc, na * sizeof(float)), 0, "resumed run diverged");
    double ba, bc;
    cr_assert_eq(eiw_trainer_eval(a, 0, &ba), EIW_TRAIN_OK);
    cr_assert_eq(eiw_trainer_eval(c, 0, &bc), EIW_TRAIN_OK);
    cr_expect(ba == bc);
    eiw_trainer_free(a);
    eiw_trainer_free(c);
    unlink(path);
    free(t);
    free(v);
}

Test(model_trainer, resume_with_other_data_is_rejected)
{
    size_t n = 5000;
    uint16_t *t = random_tokens(n, 8), *u = random_tokens(n, 9);
    eiw_train_options o;
    tiny_opts(&o, 10);
    eiw_trainer *a, *b = NULL;
    cr_assert_eq(eiw_trainer_create(&a, &o, t, n, NULL, 0), EIW_TRAIN_OK);
    const char *path = tmp_path("other");
    cr_assert_eq(eiw_trainer_save(a, path), EIW_TRAIN_OK);
    cr_expect_eq(eiw_trainer_resume(&b, path, 1, 0, NULL, u, n, NULL, 0), EIW_TRAIN_ERR_MISMATCH);
    cr_expect_null(b);
    eiw_trainer_free(a);
    unlink(path);
    free(t);
    free(u);
}

Test(model_trainer, bad_tokens_and_short_data_are_rejected)
{
    uint16_t t[100];
    for (int i = 0; i < 100; i++)
        t[i] = (uint16_t)i;
    eiw_train_options o;
    tiny_opts(&o, 10);
    eiw_trainer *tr = NULL;
    cr_expect_eq(eiw_trainer_create(&tr, &o, t, 20, NULL, 0), EIW_TRAIN_ERR_DATA);
    t[50] = 256;
    cr_expect_eq(eiw_trainer_create(&tr, &o, t, 100, NULL, 0), EIW_TRAIN_ERR_DATA);
    cr_expect_null(tr);
    o.model.n_heads = 3;   /* does not divide d_model */
    cr_expect_eq(eiw_train_options_check(&o), EIW_TRAIN_ERR_CONFIG);
}

/* ---------- damaged checkpoints ---------- */
static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    cr_assert(f);
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    rewind(f);
    unsigned char *b = malloc(*n);
    cr_assert_eq(fread(b, 1, *n, f), *n);
    fclose(f);
    return b;
}

static void spit(const char *path, const unsigned char *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    cr_assert(f);
    cr_assert_eq(fwrite(b, 1, n, f), n);
    fclose(f);
}

static int load(const char *path)
{
    eiw_model_config cfg;
    float *w = NULL;
    size_t nw;
    int rc = eiw_checkpoint_load_weights(path, &cfg, &w, &nw);
    free(w);
    return rc;
}

Test(model_checkpoint, damaged_files_are_rejected)
{
    size_t n = 5000;
    uint16_t *t = random_tokens(n, 10);
    eiw_train_options o;
    tiny_opts(&o, 10);
    eiw_trainer *tr;
    cr_assert_eq(eiw_trainer_create(&tr, &o, t, n, NULL, 0), EIW_TRAIN_OK);
    const char *good = tmp_path("good"), *bad = tmp_path("bad");
    cr_assert_eq(eiw_trainer_save(tr, good), EIW_TRAIN_OK);
    size_t len;
    unsigned char *b = slurp(good, &len);
    cr_assert_eq(load(good), EIW_TRAIN_OK);

    size_t cuts[] = {0, 7, 8, 100, 191, 192, 193, len / 2, len - 9, len - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        spit(bad, b, cuts[i]);
        int rc = load(bad);
        cr_expect(rc == EIW_TRAIN_ERR_TRUNCATED || rc == EIW_TRAIN_ERR_FORMAT,
                  "cut at %zu: %s", cuts[i], eiw_train_strerror(rc));
    }
    unsigned char *c = malloc(len + 4);
    memcpy(c, b, len);
    memset(c + len, 0, 4);
    spit(bad, c, len + 4);
    cr_expect_eq(load(bad), EIW_TRAIN_ERR_TRUNCATED, "trailing garbage");

    /* one flipped bit anywhere in the payload or footer: checksum */
    size_t flips[] = {200, len / 2, len - 20, len - 1};
    for (size_t i = 0; i < sizeof flips / sizeof flips[0]; i++) {
        memcpy(c, b, len);
        c[flips[i]] ^= 0x10;
        spit(bad, c, len);
        cr_expect_eq(load(bad), EIW_TRAIN_ERR_CHECKSUM, "flip at %zu", flips[i]);
    }
    memcpy(c, b, len);
    c[0] = 'X';
    spit(bad, c, len);
    cr_expect_eq(load(bad), EIW_TRAIN_ERR_FORMAT, "magic");
    memcpy(c, b, len);
    c[8] = 99;
    spit(bad, c, len);
    cr_expect_eq(load(bad), EIW_TRAIN_ERR_VERSION, "version");
    /* a header claiming a huge model must fail on size, without allocating it */
    memcpy(c, b, len);
    uint32_t big = 1 << 14, layers = 256;
    memcpy(c + 24, &big, 4);
    memcpy(c + 32, &layers, 4);
    uint64_t np = (uint64_t)eiw_model_num_params(&(eiw_model_config){256, 32, 1 << 14, 2, 256, 64});
    memcpy(c + 40, &np, 8);
    spit(bad, c, len);
    cr_expect_eq(load(bad), EIW_TRAIN_ERR_TRUNCATED, "huge header");
    /* inconsistent fields */
    memcpy(c, b, len);
    uint32_t heads = 3;
    memcpy(c + 28, &heads, 4);
    spit(bad, c, len);
    cr_expect_eq(load(bad), EIW_TRAIN_ERR_FORMAT, "heads not dividing d_model");
    cr_expect_eq(load("/nonexistent/eiw.ckpt"), EIW_TRAIN_ERR_IO);
    eiw_trainer *r = NULL;
    cr_expect_eq(eiw_trainer_resume(&r, bad, 1, 0, NULL, t, n, NULL, 0), EIW_TRAIN_ERR_FORMAT);
    cr_expect_null(r);

    free(c);
    free(b);
    eiw_trainer_free(tr);
    unlink(good);
    unlink(bad);
    free(t);
}

Test(model_checkpoint, eval_of_a_checkpoint_matches_the_trainer)
{
    size_t n = 5000;
    uint16_t *t = random_tokens(n, 11), *v = random_tokens(1000, 12);
    eiw_train_options o;
    tiny_opts(&o, 10);
    eiw_trainer *tr;
    cr_assert_eq(eiw_trainer_create(&tr, &o, t, n, v, 1000), EIW_TRAIN_OK);
    run_steps(tr, 5);
    const char *path = tmp_path("eval");
    cr_assert_eq(eiw_trainer_save(tr, path), EIW_TRAIN_OK);
    double a, b, c;
    cr_assert_eq(eiw_trainer_eval(tr, 0, &a), EIW_TRAIN_OK);
    cr_assert_eq(eiw_checkpoint_eval(path, v, 1000, 0, 1, 0, &b), EIW_TRAIN_OK);
    cr_expect(fabs(a - b) < 1e-6, "trainer %.9f vs checkpoint %.9f", a, b);
    /* a longer context than trained (ALiBi) still gives a sane figure */
    cr_assert_eq(eiw_checkpoint_eval(path, v, 1000, 100, 1, 0, &c), EIW_TRAIN_OK);
    cr_expect(c > 1.0 && c < 9.0, "%g", c);
    v[10] = 300;
    cr_expect_eq(eiw_checkpoint_eval(path, v, 1000, 0, 1, 0, &c), EIW_TRAIN_ERR_DATA);
    eiw_trainer_free(tr);
    unlink(path);
    free(t);
    free(v);
}
