/* Frozen files of every format but the container (tests/golden/formats/, made by
 * scripts/make_golden_formats.sh; the container's are in tests/golden/): a training checkpoint
 * with and without training state, the model file exported from it, a file compressed with that
 * model, and token shards. Each must still load, decode and reproduce what it was made from:
 * the promise of docs/compatibility.md. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#include "model/checkpoint.h"
#include "eiw.h"
#include "data/shard.h"
#include "tests/test_util.h"

#define DIR "tests/golden/formats/"

static uint8_t *golden(const char *name, size_t *len)
{
    char path[256];
    snprintf(path, sizeof path, DIR "%s", name);
    uint8_t *b = test_read_file(path, len);
    cr_assert_not_null(b, "%s missing (run from the tree root: make test)", path);
    return b;
}

static void check_config(const eiw_ckpt_view *v)
{
    const eiw_model_config *c = &v->opt.model;
    cr_assert(c->vocab == 257 && c->ctx == 16 && c->d_model == 16 && c->n_heads == 4 &&
              c->n_layers == 1 && c->d_ff == 16, "config of the golden checkpoint");
    cr_assert_eq(v->opt.bos, 256);
    cr_assert_eq(v->step, 600);
}

Test(golden_formats, checkpoints_of_version_1_still_load)
{
    eiw_ckpt_view full, weights;
    void *fb, *wb;
    cr_assert_eq(eiw_ckpt_read(DIR "tiny.ckpt", &full, &fb), EIW_TRAIN_OK);
    cr_assert_eq(eiw_ckpt_read(DIR "tiny_weights.ckpt", &weights, &wb), EIW_TRAIN_OK);
    check_config(&full);
    check_config(&weights);
    cr_assert(full.flags & EIW_CKPT_FLAG_TRAIN_STATE);
    cr_assert_eq(weights.flags, 0u);
    cr_assert_eq(full.n_params, weights.n_params);
    cr_assert(memcmp(full.params, weights.params, full.n_params * sizeof(float)) == 0);
    cr_assert_null(weights.m);
    cr_assert_not_null(full.m);
    free(fb);
    free(wb);
}

Test(golden_formats, both_checkpoints_export_to_the_golden_model_file)
{
    size_t len;
    uint8_t *want = golden("tiny.eiwm", &len);
    const char *ckpts[] = { DIR "tiny.ckpt", DIR "tiny_weights.ckpt" };
    for (int i = 0; i < 2; i++) {
        uint8_t *got;
        size_t glen;
        cr_assert_eq(eiw_model_export_checkpoint(ckpts[i], "golden-tiny", &got, &glen), EIW_OK);
        cr_assert(glen == len && memcmp(got, want, len) == 0, "%s exports other bytes", ckpts[i]);
        free(got);
    }
    free(want);
}

Test(golden_formats, model_file_of_version_1_still_loads_and_decodes)
{
    size_t len, clen, olen;
    uint8_t *mb = golden("tiny.eiwm", &len), *c = golden("tiny_model.eiw", &clen);
    uint8_t *orig = test_read_file("tests/data/sample.txt", &olen);
    cr_assert_not_null(orig);
    eiw_model *m;
    cr_assert_eq(eiw_model_from_bytes(mb, len, &m), EIW_OK);
    cr_assert_str_eq(m->name, "golden-tiny");
    cr_assert_eq(m->id, XXH3_64bits(mb, len), "the model id is the xxh3 of the file");
    uint8_t *back = malloc(olen + 1);
    FILE *in = fmemopen(c, clen, "rb"), *out = fmemopen(back, olen + 1, "wb");
    eiw_header h;
    eiw_stats st;
    cr_assert_eq(eiw_header_read(in, &h), EIW_OK);
    cr_assert_eq(h.version, 1u);
    cr_assert_eq(eiw_decompress_body(in, out, &h, m, NULL, &st), EIW_OK);
    fclose(in);
    fclose(out);
    cr_assert_eq(st.out_bytes, olen);
    cr_assert(memcmp(back, orig, olen) == 0);
    cr_assert_gt(st.blocks[EIW_METHOD_MODEL], 0, "the model must code some blocks");
    eiw_model_free(m);
    free(back);
    free(orig);
    free(c);
    free(mb);
}

Test(golden_formats, token_shards_of_version_1_still_parse)
{
    size_t slen, ilen, blen;
    uint8_t *side = golden("ds-00000.eiwd", &slen), *idx = golden("ds-00000.idx", &ilen);
    uint8_t *bin = golden("ds-00000.bin", &blen);
    eiw_sidecar sc;
    cr_assert_eq(eiw_sidecar_parse(side, slen, &sc), EIW_OK);
    cr_assert(sc.window_bits == 16 && sc.token_bits == 16 && sc.ndocs == 5);
    cr_assert_eq(sc.model_id, eiw_model_builtin("order1")->id);
    cr_assert(sc.bin_bytes == blen && sc.bin_xxh3 == XXH3_64bits(bin, blen));
    cr_assert_eq(sc.idx_xxh3, XXH3_64bits(idx, ilen));
    eiw_mmidx ix;
    cr_assert_eq(eiw_mmidx_parse(idx, ilen, blen, &ix), EIW_OK);
    cr_assert(ix.dtype == EIW_MMIDX_UINT16 && ix.sequences == 5 && ix.doc_count == 6);
    /* every document decodes from its windows to the bytes its sidecar entry describes */
    const eiw_model *m = eiw_model_builtin("order1");
    cr_assert_eq(sc.window_end, EIW_WINDOW_END_MARKER, "a version-1 sidecar: eiw 0.2's windows");
    eiw_window_params wp = { 16, 16, sc.window_end };
    for (uint64_t i = 0; i < ix.sequences; i++) {
        size_t wl = (size_t)ix.sizes[i] * 2, n = (size_t)sc.docs[i].bytes;
        uint8_t *w = malloc(wl + 1), *out = malloc(n + 1);
        for (size_t k = 0; k < wl; k += 2) {   /* .bin: little-endian uint16 tokens */
            w[k] = bin[ix.pointers[i] + (int64_t)k + 1];
            w[k + 1] = bin[ix.pointers[i] + (int64_t)k];
        }
        cr_assert_eq(eiw_windows_decode(m, &wp, NULL, w, wl, out, n), EIW_OK, "doc %zu",
                     (size_t)i);
        cr_assert_eq(XXH3_64bits(out, n), sc.docs[i].xxh3, "doc %zu", (size_t)i);
        free(w);
        free(out);
    }
    eiw_mmidx_free(&ix);
    eiw_sidecar_free(&sc);
    free(side);
    free(idx);
    free(bin);
}

/* EIW_BIN (or the test is skipped), and a fresh temporary directory made from tmp's template. */
static const char *program_and_tmpdir(char *tmp)
{
    const char *bin = getenv("EIW_BIN");
    if (!bin || !*bin)
        cr_skip_test("EIW_BIN is not set: run the suite through `make test`");
    cr_assert_not_null(mkdtemp(tmp));
    return bin;
}

Test(golden_formats, detokenize_gives_back_the_jsonl_and_tokenize_the_same_shards)
{
    char tmp[] = "/tmp/eiw-golden-XXXXXX", cmd[1024];
    const char *bin = program_and_tmpdir(tmp);
    snprintf(cmd, sizeof cmd, "\"%s\" detokenize -o %s/back.jsonl " DIR "ds 2>&1 && "
             "cmp -s %s/back.jsonl " DIR "docs.jsonl && "
             "\"%s\" tokenize -q -T 1 --model order1 --window-bits 16 --token-bits 16 "
             "--window-end marker -o %s/ds "
             DIR "docs.jsonl 2>&1 && for e in bin idx eiwd; do "
             "cmp -s %s/ds-00000.$e " DIR "ds-00000.$e || exit 1; done",
             bin, tmp, tmp, bin, tmp, tmp);
    int rc = system(cmd);
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
    cr_assert_eq(system(cmd), 0);
    cr_assert_eq(rc, 0, "detokenize/tokenize of the golden shards differ");
}

/* ---- damage at every section: each format's golden file cut at the start, just after the
 * start and in the middle of every section, and one bit flipped at the start and in the middle
 * of every section. Cut files and (where the format has a checksum) flipped files must be
 * rejected; flipped files with their checksum recomputed must be rejected or accepted, never
 * crash (the sanitizer builds run this too). */

typedef int (*parse_fn)(const uint8_t *b, size_t n);   /* 1 if the bytes are accepted */

static int tried;   /* inputs tried by the last damage_sections */

static void damage_sections(const char *what, const uint8_t *good, size_t n,
                            const size_t *starts, size_t nsec, parse_fn parse, int checksummed,
                            void (*fix)(uint8_t *b, size_t n))
{
    uint8_t *b = malloc(n);
    tried = 0;
    cr_assert(parse(good, n), "%s: the golden file itself", what);
    for (size_t i = 0; i < nsec; i++) {
        size_t s = starts[i], e = i + 1 < nsec ? starts[i + 1] : n;
        cr_assert(s < e && e <= n, "%s: section %zu", what, i);
        const size_t at[3] = { s, s + 1 < e ? s + 1 : s, s + (e - s) / 2 };
        for (int k = 0; k < 3; k++, tried++) {
            memcpy(b, good, n);
            cr_assert(!parse(b, at[k]), "%s: cut at %zu (section %zu) accepted", what, at[k], i);
        }
        for (int k = 0; k < 3; k += 2) {
            memcpy(b, good, n);
            b[at[k]] ^= (uint8_t)(1u << (at[k] % 8));
            tried++;
            if (checksummed)
                cr_assert(!parse(b, n), "%s: flip at %zu (section %zu) accepted", what, at[k], i);
            else
                parse(b, n);
            if (fix) {
                fix(b, n);
                parse(b, n);
                tried++;
            }
        }
    }
    free(b);
    cr_assert_eq(test_leak_check(), 0, "%s: memory leaked (report above)", what);
}

static void fix_tail(uint8_t *b, size_t n)
{
    uint64_t h = XXH3_64bits(b, n - 8);
    memcpy(b + n - 8, &h, 8);   /* little-endian hosts, as the readers */
}

static int parse_model(const uint8_t *b, size_t n)
{
    eiw_model *m;
    if (eiw_model_from_bytes(b, n, &m) != EIW_OK)
        return 0;
    eiw_model_free(m);
    return 1;
}

static int parse_ckpt(const uint8_t *b, size_t n)
{
    uint8_t *a = malloc(n ? n : 1);   /* aligned for the floats */
    memcpy(a, b, n);
    eiw_ckpt_view v;
    int ok = eiw_ckpt_parse(a, n, &v) == EIW_TRAIN_OK;
    free(a);
    return ok;
}

static int parse_sidecar(const uint8_t *b, size_t n)
{
    eiw_sidecar sc;
    if (eiw_sidecar_parse(b, n, &sc) != EIW_OK)
        return 0;
    eiw_sidecar_free(&sc);
    return 1;
}

static int parse_idx(const uint8_t *b, size_t n)
{
    eiw_mmidx ix;
    if (eiw_mmidx_parse(b, n, 182, &ix) != EIW_OK)   /* the golden .bin's size */
        return 0;
    eiw_mmidx_free(&ix);
    return 1;
}

Test(golden_formats, model_file_damaged_in_every_section_is_rejected)
{
    size_t n;
    uint8_t *b = golden("tiny.eiwm", &n);
    /* docs/m1_inference.md: magic, version, name, 8 header ints, ALiBi slopes, embedding, per
     * layer 4 linears (int8 weights, multipliers, shifts), the LM head, the xxh3 */
    const size_t C = 16, NH = 4, F = 16, V = 257;
    size_t s[40], k = 0, at = 0;
    s[k++] = at, at += 4;                       /* magic */
    s[k++] = at, at += 4;                       /* version */
    s[k++] = at, at += 32;                      /* name */
    s[k++] = at, at += 32;                      /* vocab, bos, C, NH, L, F, window, 1/sqrt(d) */
    s[k++] = at, at += 4 * NH;                  /* slopes */
    s[k++] = at, at += 4 * V * C;               /* embedding */
    const size_t rk[5][2] = { { 3 * C, C }, { C, C }, { F, C }, { C, F }, { 256, C } };
    for (int l = 0; l < 5; l++) {
        s[k++] = at, at += rk[l][0] * rk[l][1];   /* weights */
        s[k++] = at, at += 4 * rk[l][0];          /* multipliers */
        s[k++] = at, at += rk[l][0];              /* shifts */
    }
    s[k++] = at, at += 8;                       /* checksum */
    cr_assert_eq(at, n, "section layout of the golden model");
    damage_sections("tiny.eiwm", b, n, s, k, parse_model, 1, fix_tail);
    cr_log_info("model file: %d damaged inputs", tried);
    free(b);
}

Test(golden_formats, checkpoints_damaged_in_every_section_are_rejected)
{
    const char *names[2] = { "tiny.ckpt", "tiny_weights.ckpt" };
    for (int f = 0; f < 2; f++) {
        size_t n;
        uint8_t *b = golden(names[f], &n);
        const size_t np = 9808 * 4;   /* bytes of each float array */
        /* docs/checkpoint.md: magic, version, flags, config, sizes and hyperparameters, run
         * state, BOS, reserved; weights (moments); xxh3 */
        size_t s[12] = { 0, 8, 12, 16, 40, 112, 160, 164, 192, 192 + np }, k = 10;
        if (f == 0) {
            s[k++] = 192 + 2 * np;
            s[k++] = 192 + 3 * np;
        }
        cr_assert_eq(s[k - 1] + 8, n, "section layout of %s", names[f]);
        damage_sections(names[f], b, n, s, k, parse_ckpt, 1, fix_tail);
        cr_log_info("%s: %d damaged inputs", names[f], tried);
        free(b);
    }
}

Test(golden_formats, shard_files_damaged_in_every_section_are_rejected)
{
    size_t n;
    uint8_t *b = golden("ds-00000.eiwd", &n);
    /* docs/tokenize.md: magic, version, window and token bits, model id, shard, documents,
     * input bytes, tokens, bad records, key, .bin size and xxh3, .idx xxh3, reserved; one entry
     * per document; xxh3 */
    size_t s[24] = { 0, 8, 12, 16, 24, 32, 40, 48, 56, 64, 72, 80, 88, 96 }, k = 14;
    for (size_t d = 0; d < 5; d++)
        s[k++] = 104 + 24 * d;
    s[k++] = n - 8;
    damage_sections("ds-00000.eiwd", b, n, s, k, parse_sidecar, 1, fix_tail);
    int side_tried = tried;
    free(b);
    /* the index has no checksum of its own (the sidecar holds its xxh3), but it is checked
     * against the .bin size and its own structure: a flip anywhere must show */
    b = golden("ds-00000.idx", &n);
    /* magic, version, dtype, counts, sizes, pointers, document index */
    const size_t u[7] = { 0, 9, 17, 18, 34, 34 + 4 * 5, 34 + 12 * 5 };
    damage_sections("ds-00000.idx", b, n, u, 7, parse_idx, 1, NULL);
    cr_log_info("sidecar: %d, index: %d damaged inputs", side_tried, tried);
    free(b);
}

Test(golden_formats, a_newer_manifest_version_is_refused)
{
    char tmp[] = "/tmp/eiw-golden-XXXXXX", cmd[1024];
    const char *bin = program_and_tmpdir(tmp);
    snprintf(cmd, sizeof cmd, "cp " DIR "ds-00000.* %s/ && sed 's/\"format_version\": 1,/"
             "\"format_version\": 4,/' " DIR "ds.json > %s/ds.json && "
             "\"%s\" detokenize -o %s/out %s/ds 2> %s/err; echo $? > %s/rc",
             tmp, tmp, bin, tmp, tmp, tmp, tmp);
    cr_assert_eq(system(cmd), 0);
    char path[128];
    snprintf(path, sizeof path, "%s/rc", tmp);
    size_t n;
    char *rc = (char *)test_read_file(path, &n);
    snprintf(path, sizeof path, "%s/err", tmp);
    char *err = (char *)test_read_file(path, &n);
    cr_assert(rc && err);
    err = realloc(err, n + 1);
    err[n] = 0;
    cr_assert_eq(atoi(rc), 1);
    cr_assert(strstr(err, "ds.json: token manifest format version 4 (this eiw reads 3)\n"), "%s",
              err);
    snprintf(path, sizeof path, "%s/out", tmp);
    cr_assert_null(fopen(path, "rb"), "no output");
    free(rc);
    free(err);
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
    cr_assert_eq(system(cmd), 0);
}
