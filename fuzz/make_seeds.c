/* Writes the seed corpora of the fuzz targets into tests/fuzz_corpus/<target>/ (run from the
 * tree root by fuzz/make_seeds.sh): small valid inputs of every kind each target reads, so the
 * fuzzer starts from the formats' real structure. Deterministic: rerunning gives the same files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zstd.h>
#include "common/byte_order.h"
#include "model/checkpoint.h"
#include "eiw.h"
#include "eiw_train.h"
#include "fuzz/fuzz.h"
#include "model/qm1.h"
#include "data/shard.h"

static void put_file(const char *target, const char *name, const void *data, size_t n)
{
    char path[256];
    snprintf(path, sizeof path, "tests/fuzz_corpus/%s", target);
    mkdir("tests/fuzz_corpus", 0755);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "tests/fuzz_corpus/%s/seed-%s", target, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, n, f) != n || fclose(f) != 0) {
        fprintf(stderr, "make_seeds: cannot write %s\n", path);
        exit(1);
    }
}

static uint8_t *text_sample(size_t *n)
{
    FILE *f = fopen("tests/data/sample.txt", "rb");
    uint8_t *b = malloc(1 << 16);
    *n = f && b ? fread(b, 1, 1 << 16, f) : 0;
    if (f)
        fclose(f);
    if (!*n) {
        fprintf(stderr, "make_seeds: run from the tree root\n");
        exit(1);
    }
    return b;
}

/* Compresses src with the options o into the container seed `name`. */
static void container_with(const char *name, const eiw_model *m, const eiw_options *o,
                           const uint8_t *src, size_t n)
{
    char *out = NULL;
    size_t len = 0;
    FILE *in = fmemopen((void *)src, n ? n : 1, "rb"), *f = open_memstream(&out, &len);
    if (!n)
        fgetc(in);   /* an empty input */
    if (eiw_compress_stream(in, f, m, o, n, NULL) != EIW_OK) {
        fprintf(stderr, "make_seeds: compress %s failed\n", name);
        exit(1);
    }
    fclose(in);
    fclose(f);
    put_file("container", name, out, len);
    free(out);
}

static void container(const char *name, const eiw_model *m, int mode, unsigned wbits,
                      unsigned tbits, uint32_t block, const uint8_t *src, size_t n)
{
    eiw_options o;
    eiw_options_default(&o);
    o.level = 0;   /* the model alone: format 1 */
    o.mode = mode;
    o.win.window_bits = wbits;
    o.win.token_bits = tbits;
    o.block_size = block;
    container_with(name, m, &o, src, n);
}

/* A level (format 5) container with small blocks and lanes, so the fuzzer decodes it. */
static void container_level(const char *name, const eiw_model *m, int level, uint32_t block,
                            const uint8_t *src, size_t n)
{
    eiw_options o;
    eiw_options_default(&o);
    o.level = level;
    o.block_size = block;
    o.lane_min = 1024;
    container_with(name, m, &o, src, n);
}

static void containers(const uint8_t *text, size_t n)
{
    const eiw_model *o1 = eiw_fuzz_pick_model(2), *tiny = eiw_fuzz_pick_model(3);
    uint8_t zeros[3000] = { 0 }, noise[1500];
    uint64_t x = 88172645463325252ull;
    for (size_t i = 0; i < sizeof noise; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        noise[i] = (uint8_t)x;
    }
    container("order1_stream", o1, EIW_MODE_STREAM, 0, 0, 1024, text, 2500);
    container("order0_stream", eiw_fuzz_pick_model(1), EIW_MODE_STREAM, 0, 0, 2048, text, 1500);
    container("uniform_windows_b16_t8", eiw_fuzz_pick_model(0), EIW_MODE_WINDOWS, 16, 8, 1024,
              text, 600);
    container("order1_windows_b64_t16", o1, EIW_MODE_WINDOWS, 64, 16, 1024, text, 1800);
    container("order1_windows_b4096_t8", o1, EIW_MODE_WINDOWS, 4096, 8, 4096, text, 3000);
    container("tiny_m1_stream", tiny, EIW_MODE_STREAM, 0, 0, 1024, text, 1200);
    container("tiny_m1_windows_b32_t16", tiny, EIW_MODE_WINDOWS, 32, 16, 1024, text, 700);
    container("zstd_blocks", o1, EIW_MODE_STREAM, 0, 0, 1024, zeros, sizeof zeros);
    container("stored_blocks", o1, EIW_MODE_STREAM, 0, 0, 1024, noise, sizeof noise);
    container("empty", o1, EIW_MODE_STREAM, 0, 0, 1024, text, 0);
    container_level("level1", NULL, 1, 4096, text, 3000);
    container_level("level2_blocks", NULL, 2, 1024, text, 2500);
    container_level("level6_order1_lanes", o1, 6, 4096, text, 3000);
    container_level("level6_tiny_m1_lanes", tiny, 6, 1024, text, 1000);
    (void)n;
}

static void windows(const uint8_t *text)
{
    static const struct { const char *name; uint8_t sel, wb; size_t n; } w[] = {
        { "uniform_b16_t8", 0x00, 0, 40 },       { "order0_b64_t8", 0x01, 6, 120 },
        { "order1_b32_t16", 0x06, 1, 200 },      { "order1_last_b128_t8", 0x0a, 14, 300 },
        { "tiny_m1_b64_t16", 0x07, 3, 150 },     { "tiny_m1_last_b16_t8", 0x0b, 0, 60 },
        { "order1_b4096_t8", 0x02, 255, 1000 },
    };
    for (size_t i = 0; i < sizeof w / sizeof w[0]; i++) {
        uint8_t buf[1100];
        buf[0] = w[i].sel;
        buf[1] = w[i].wb;
        buf[2] = (uint8_t)(w[i].n % 7);
        memcpy(buf + 3, text + 100 * i, w[i].n);
        put_file("window", w[i].name, buf, 3 + w[i].n);
    }
}

/* Deterministic small float weights for a config. */
static float *weights(size_t n, uint64_t seed)
{
    float *p = malloc(n * sizeof *p);
    for (size_t i = 0; i < n; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        p[i] = (float)((double)(seed >> 40) / (double)(1u << 24) - 0.5) * 0.2f;
    }
    return p;
}

/* A model whose logits saturate at both ends, +-2^30 (the case of test_qm1.c's
 * opposite_saturated_logits_give_weights_without_overflow, where the construction is
 * explained): their difference once overflowed int32. 272 channels is the least width that
 * reaches the clamp, so this seed is large (about 650 KB, longer than fuzz/run.sh's -max_len:
 * the suite's replay reads it whole). */
static void saturated_logits_model(void)
{
    const eiw_model_config cfg = { 257, 8, 272, 4, 1, 16 };
    const int V = cfg.vocab, C = cfg.d_model, L = cfg.n_layers, F = cfg.d_ff;
    size_t n = (size_t)eiw_model_num_params(&cfg);
    float *p = calloc(n, sizeof *p);
    float *lnfw = p + (size_t)V * C + (size_t)L * C * (2 + 4 * C + 2 * F), *wlm = lnfw + C;
    for (size_t i = 0; i < (size_t)V * C; i++)
        p[i] = 1.0f;
    for (int c = 0; c < C; c++) {
        lnfw[c] = 1.0f;
        wlm[c] = 63.0f;
        wlm[C + c] = -63.0f;
    }
    eiw_qm1 *q;
    if (eiw_qm1_from_float(&q, &cfg, p, "saturated") != 0) {
        fprintf(stderr, "make_seeds: saturated model conversion failed\n");
        exit(1);
    }
    put_file("model", "logits_saturated_c272", q->file, q->file_len);
    eiw_qm1_free(q);
    free(p);
}

static void models_and_checkpoints(void)
{
    eiw_train_options o;
    eiw_train_config("tiny", &o);
    o.model = (eiw_model_config){ 257, 16, 16, 4, 1, 16 };
    o.bos = 256;
    o.steps = 10;
    o.batch = 2;
    size_t n = (size_t)eiw_model_num_params(&o.model);
    float *p = weights(n, 7), *zero = calloc(n, sizeof *zero);
    eiw_qm1 *q;
    if (eiw_qm1_from_float(&q, &o.model, p, "fuzz-seed") != 0) {
        fprintf(stderr, "make_seeds: model conversion failed\n");
        exit(1);
    }
    put_file("model", "c16_l1", q->file, q->file_len);
    eiw_qm1_free(q);
    saturated_logits_model();
    /* checkpoints: weights only, and with training state; byte model without BOS */
    const char *tmp = "/tmp/eiw-make-seeds.ckpt";
    for (int k = 0; k < 3; k++) {
        eiw_ckpt_view v;
        memset(&v, 0, sizeof v);
        v.opt = o;
        if (k == 2) {
            v.opt.model = (eiw_model_config){ 8, 4, 4, 2, 1, 4 };
            v.opt.bos = -1;
        }
        v.n_params = (size_t)eiw_model_num_params(&v.opt.model);
        v.params = p;
        v.flags = k == 1 ? EIW_CKPT_FLAG_TRAIN_STATE : 0;
        v.m = zero;
        v.v = zero;
        v.step = 3;
        v.data_len = 1000;
        v.cursor = 10;
        if (eiw_ckpt_write(tmp, &v) != EIW_TRAIN_OK) {
            fprintf(stderr, "make_seeds: checkpoint write failed\n");
            exit(1);
        }
        size_t len;
        FILE *f = fopen(tmp, "rb");
        uint8_t *b = malloc(1 << 20);
        len = fread(b, 1, 1 << 20, f);
        fclose(f);
        put_file("checkpoint", k == 0 ? "weights_only" : k == 1 ? "train_state" : "vocab8",
                 b, len);
        free(b);
    }
    remove(tmp);
    free(p);
    free(zero);
}

static void shards(void)
{
    static const uint32_t sizes[3] = { 4, 0, 6 };   /* tokens per document */
    for (int k = 0; k < 2; k++) {
        uint8_t *idx, *side;
        size_t ilen, slen;
        eiw_mmidx_build(k ? EIW_MMIDX_UINT8 : EIW_MMIDX_UINT16, sizes, 3, &idx, &ilen);
        eiw_sidecar_doc docs[3] = { { 7, 1, 1 }, { 0, 2, 1 }, { 11, 3, 0 } };
        eiw_sidecar sc = { 0 };
        sc.window_bits = 16;
        sc.token_bits = k ? 8 : 16;
        sc.ndocs = 3;
        sc.input_bytes = 18;
        sc.tokens = 10;
        sc.bin_bytes = 10 * (sc.token_bits / 8);
        sc.docs = docs;
        eiw_sidecar_build(&sc, &side, &slen);
        uint8_t *buf = malloc(13 + slen + ilen);
        buf[0] = 3;
        put32(buf + 1, (uint32_t)slen);
        put64(buf + 5, sc.bin_bytes);
        memcpy(buf + 13, side, slen);
        memcpy(buf + 13 + slen, idx, ilen);
        put_file("shard", k ? "t8" : "t16", buf, 13 + slen + ilen);
        free(buf);
        free(idx);
        free(side);
    }
}

static void jsonl(void)
{
    static const struct { const char *name; uint8_t sel, field; const char *text; } j[] = {
        { "records", 0x60, 0, "{\"text\": \"hello\\nworld \\u00e9\\ud83d\\ude00\", \"id\": 1}\n"
                              "{\"id\": [1, 2.5e3, -0, true, false, null, {\"a\": {}}], "
                              "\"text\": \"x\\\"y\\\\z\\/\\b\\f\\r\\t\"}\n" },
        { "bad_records", 0x60, 0, "{\"text\": 5}\n[1]\n\n{\"text\": \"a\", }\n{\"t\": \"b\"}\n"
                                  "{\"text\": \"\\ud800\"}\n{\"text\": \"\xff\"}\n{\"text\":" },
        { "other_field", 0x40, 1, "{\"t\": \"short\", \"text\": \"not this\"}\n" },
        { "overlong", 0x00, 0, "{\"text\": \"a record longer than sixteen bytes\"}\n{}\n" },
        { "zstd", 0x62, 0, "{\"text\": \"compressed\"}\n{\"text\": \"lines\"}\n" },
        { "text_delimited", 0x5d, 0, "one<|endoftext|>two\xc3\xa9<|endoftext|>three" },
        { "text_paragraphs", 0x31, 0, "para one\n\npara two\n\n\n\nend\xff" },
        { "text_zstd_whole", 0x63, 0, "a whole text file as one document\n" },
    };
    for (size_t i = 0; i < sizeof j / sizeof j[0]; i++) {
        size_t n = strlen(j[i].text);
        uint8_t *buf = malloc(n + 2);
        buf[0] = j[i].sel;
        buf[1] = j[i].field;
        memcpy(buf + 2, j[i].text, n);
        put_file("jsonl", j[i].name, buf, n + 2);
        free(buf);
    }
}

static void manifests(void)
{
    FILE *f = fopen("tests/golden/formats/ds.json", "rb");
    char golden[4096];
    size_t n = f ? fread(golden, 1, sizeof golden, f) : 0;
    if (f)
        fclose(f);
    if (!n) {
        fprintf(stderr, "make_seeds: tests/golden/formats/ds.json is missing\n");
        exit(1);
    }
    put_file("manifest", "golden", golden, n);
    /* as `python3 -m json.tool` lays it out (4 spaces, \u escapes), and compact */
    static const char *const other[][2] = {
        { "json_tool", "{\n    \"format\": \"eiw-tokens\",\n    \"format_version\": 1,\n"
                       "    \"shard_count\": 1,\n    \"window_bits\": 16,\n    \"token_bits\": 16,\n"
                       "    \"model\": {\n        \"name\": \"m\\u00e9\",\n        \"id\": \"00ff\"\n    },\n"
                       "    \"input_format\": \"text\",\n    \"text_field\": \"text\",\n"
                       "    \"delimiter_hex\": \"0a\",\n    \"shards\": []\n}\n" },
        { "compact", "{\"delimiter_hex\":\"\",\"text_field\":\"t\",\"input_format\":\"jsonl\","
                     "\"model\":{\"id\":\"1\",\"name\":\"x\"},\"token_bits\":8,\"window_bits\":8,"
                     "\"shard_count\":0,\"format_version\":1,\"format\":\"eiw-tokens\"}" },
        { "newer", "{\"format\": \"eiw-tokens\", \"format_version\": 2}" },
        { "not_ours", "{\"format\": \"other\", \"format_version\": 1}" },
    };
    for (size_t i = 0; i < sizeof other / sizeof other[0]; i++)
        put_file("manifest", other[i][0], other[i][1], strlen(other[i][1]));
}

int main(void)
{
    size_t n;
    uint8_t *text = text_sample(&n);
    containers(text, n);
    windows(text);
    models_and_checkpoints();
    shards();
    jsonl();
    manifests();
    free(text);
    return 0;
}
