/* M2 over compressed tokens, as a user runs it: `eiw train` on `eiw tokenize` datasets (token
 * level and patch level, 8- and 16-bit tokens), `eiw eval --m2` and its bits-per-byte
 * arithmetic against a hand-computed case, and the errors for bad inputs. Tokenizing uses the
 * fast order1 model; the M2 is the tiny configuration. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/test_files.h"
#include "tests/test_util.h"

static char dir[64];

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/eiw_m2_XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    sample a = sample_make("text", 40000, 11), b = sample_make("text", 12000, 12);
    test_write_in(dir, "a.txt", a.data, a.len);
    test_write_in(dir, "b.txt", b.data, b.len);
    sample_free(&a);
    sample_free(&b);
}

static void teardown(void)
{
    test_remove_tree(dir);
}

TestSuite(m2, .init = setup, .fini = teardown, .timeout = 120);

#define RUN(out, err, ...) test_run_in(dir, (const char *const[]){ "eiw", __VA_ARGS__, NULL }, out, err)

/* The two numbers after `label` on its line of eval's table. */
static void row(const char *out, const char *label, double *bpt, double *bpb)
{
    char key[32];
    snprintf(key, sizeof key, "\n%s ", label);
    const char *p = strstr(out, key);
    cr_assert_not_null(p, "no '%s' row in:\n%s", label, out);
    cr_assert_eq(sscanf(p + strlen(key), "%lf %lf", bpt, bpb), 2, "%s", p);
}

static void tokenize(const char *prefix, const char *input, const char *bits)
{
    cr_assert_eq(RUN(NULL, NULL, "tokenize", "-q", "--model", "order1", "--token-bits", bits,
                     "-o", prefix, input), 0);
}

/* Tokens 0,1,0,1,... (1000 of them) standing for 500 bytes: uniform over 8-bit tokens is
 * 8 bits/token = 16 bits/byte, the unigram entropy is exactly 1 bit/token = 2 bits/byte, and
 * the model's bits/byte is its bits/token times 1000/500. */
Test(m2, eval_bits_per_byte_matches_a_hand_computed_case)
{
    uint8_t t[1000];
    for (int i = 0; i < 1000; i++)
        t[i] = (uint8_t)(i & 1);
    test_write_in(dir, "t.bin", t, sizeof t);
    cr_assert_eq(RUN(NULL, NULL, "train", "--config", "tiny", "--token-bytes", "1", "--data",
                     "t.bin", "--out", "m.ckpt", "--steps", "3", "--eval-every", "0",
                     "--ckpt-every", "0", "--threads", "1"), 0);
    char *out, *err;
    int rc = RUN(&out, &err, "eval", "--m2", "m.ckpt", "--token-bytes", "1", "--bytes", "500",
                 "--threads", "1", "t.bin");
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_not_null(strstr(out, "1000 tokens of 8 bits, 999 scored, 500 original bytes, "
                                   "2.0000 tokens/byte"), "%s", out);
    double bpt, bpb;
    row(out, "uniform", &bpt, &bpb);
    cr_assert_float_eq(bpt, 8.0, 1e-9);
    cr_assert_float_eq(bpb, 16.0, 1e-9);
    row(out, "unigram", &bpt, &bpb);
    cr_assert_float_eq(bpt, 1.0, 1e-9);
    cr_assert_float_eq(bpb, 2.0, 1e-9);
    row(out, "model", &bpt, &bpb);
    cr_assert(bpt > 0.0 && bpt < 20.0);
    cr_assert_float_eq(bpb, 2.0 * bpt, 2.5e-4, "%s", out);
    free(out);
    free(err);
}

/* Training on a dataset validates in bits per original byte, and eval of the checkpoint on
 * the same dataset gives the same figures and the dataset's own byte count. */
Test(m2, train_and_eval_on_a_tokenized_dataset)
{
    tokenize("tr", "a.txt", "8");
    tokenize("dv", "b.txt", "8");
    char *out, *err;
    int rc = RUN(NULL, &err, "train", "--config", "tiny", "--data", "tr", "--val", "dv", "--out",
                 "m.ckpt", "--steps", "30", "--eval-every", "0", "--val-tokens", "0",
                 "--threads", "1");
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_not_null(strstr(err, "tiny V=256 "), "%s", err);   /* 2^8, no BOS */
    const char *v = strstr(err, "val step 30: ");
    cr_assert_not_null(v, "%s", err);
    double tbpt, tbpb;
    cr_assert_eq(sscanf(v, "val step 30: %lf bits/token, %lf bits/byte", &tbpt, &tbpb), 2, "%s", v);
    free(err);
    rc = RUN(&out, &err, "eval", "--m2", "m.ckpt", "--threads", "1", "dv");
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_not_null(strstr(out, ", 12000 original bytes, "), "%s", out);
    double bpt, bpb;
    row(out, "model", &bpt, &bpb);
    cr_assert_float_eq(bpt, tbpt, 1e-4);
    cr_assert_float_eq(bpb, tbpb, 2e-4);
    row(out, "uniform", &bpt, &bpb);
    cr_assert_float_eq(bpt, 8.0, 1e-9);
    cr_assert(bpb > 2.0 && bpb < 8.0, "order1 codes English-like text to 2-8 bits/byte: %s", out);
    free(out);
    free(err);
}

/* The patch-level stage (K=4 over the first half of the data) runs on shards, and 16-bit token
 * datasets give a 65536-token vocabulary. */
Test(m2, patch_level_and_16_bit_tokens_on_datasets)
{
    tokenize("tr8", "a.txt", "8");
    char *err;
    int rc = RUN(NULL, &err, "train", "--config", "tiny", "--data", "tr8", "--out", "p.ckpt",
                 "--steps", "20", "--patch-size", "4", "--patch-fraction", "0.5", "--eval-every",
                 "0", "--threads", "1");
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_not_null(strstr(err, "stage 1 (patch K=4): 2 steps"), "%s", err);   /* 20*0.5/4, then 20-2*4 */
    cr_assert_not_null(strstr(err, "step 14/14 s2 "), "%s", err);
    free(err);
    tokenize("tr16", "a.txt", "16");
    rc = RUN(NULL, &err, "train", "--config", "tiny", "--data", "tr16", "--out", "w.ckpt",
             "--steps", "2", "--eval-every", "0", "--threads", "1");
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_not_null(strstr(err, "tiny V=65536 "), "%s", err);
    free(err);
}

Test(m2, bad_inputs_are_one_line_errors)
{
    tokenize("tr", "a.txt", "8");
    tokenize("tr16", "b.txt", "16");
    char *err;
    /* a dataset mixed with a text file */
    cr_assert_eq(RUN(NULL, &err, "train", "--config", "tiny", "--data", "tr", "a.txt", "--out",
                     "m.ckpt", "--steps", "2"), 1);
    cr_assert_not_null(strstr(err, "cannot be mixed"), "%s", err);
    cr_assert_eq(strchr(err, '\n'), err + strlen(err) - 1, "one line: %s", err);
    free(err);
    cr_assert(!test_exists_in(dir, "m.ckpt"));
    /* an 8-bit model evaluated on 16-bit tokens */
    cr_assert_eq(RUN(NULL, NULL, "train", "--config", "tiny", "--data", "tr", "--out", "m.ckpt",
                     "--steps", "2", "--eval-every", "0", "--threads", "1"), 0);
    cr_assert_eq(RUN(NULL, &err, "eval", "--m2", "m.ckpt", "tr16"), 1);
    cr_assert_not_null(strstr(err, "tr16"), "%s", err);
    free(err);
    /* a missing checkpoint, a missing dataset, a damaged shard */
    cr_assert_eq(RUN(NULL, &err, "eval", "--m2", "nope.ckpt", "tr"), 1);
    cr_assert_not_null(strstr(err, "nope.ckpt: No such file"), "%s", err);
    free(err);
    cr_assert_eq(RUN(NULL, &err, "eval", "--m2", "m.ckpt", "missing"), 1);
    cr_assert_not_null(strstr(err, "missing"), "%s", err);
    free(err);
    FILE *f = fopen(test_at(dir, "tr-00000.bin"), "r+b");
    cr_assert_not_null(f);
    fputc('X', f);
    fclose(f);
    cr_assert_eq(RUN(NULL, &err, "eval", "--m2", "m.ckpt", "tr"), 1);
    cr_assert_not_null(strstr(err, "tr-00000.bin"), "%s", err);
    free(err);
    cr_assert_eq(RUN(NULL, &err, "eval", "tr"), 2);
    free(err);
}
