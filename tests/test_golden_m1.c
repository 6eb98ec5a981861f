/* Frozen neural-model files: a tiny integer M1 (tests/golden/tiny_m1.eiwm) and files compressed
 * with it must decode, and re-encode bit for bit, on every build and SIMD path (CI also runs this
 * suite in the SIMD=none build). Regenerate only deliberately: scripts/make_golden_m1.sh. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "eiw.h"
#include "model/qkernels.h"
#include "tests/test_util.h"

static void check_golden(const eiw_model *m, const char *path, const uint8_t *orig, size_t n,
                         int mode, unsigned wbits, unsigned end_rule)
{
    size_t len;
    uint8_t *gold = test_read_file(path, &len);
    cr_assert_not_null(gold, "%s missing", path);
    /* decode */
    uint8_t *back = malloc(n + 1);
    FILE *in = fmemopen(gold, len, "rb"), *out = fmemopen(back, n + 1, "wb");
    eiw_header h;
    eiw_stats st;
    eiw_options o;
    eiw_options_default(&o);
    o.level = 0;   /* the model alone: format 1 */
    cr_assert_eq(eiw_header_read(in, &h), EIW_OK);
    cr_assert(mode != EIW_MODE_WINDOWS || h.win.end_rule == end_rule, "%s: end rule", path);
    cr_assert_eq(eiw_decompress_body(in, out, &h, m, &o, &st), EIW_OK, "%s", path);
    fclose(in);
    fclose(out);
    cr_assert(memcmp(back, orig, n) == 0, "%s", path);
    cr_assert_gt(st.blocks[EIW_METHOD_MODEL], 0, "%s must exercise the model", path);
    /* re-encode with the same settings */
    o.block_size = h.block_size;
    o.mode = mode;
    o.win.window_bits = wbits;
    o.win.token_bits = 16;
    o.win.end_rule = end_rule;
    char *again = NULL;
    size_t alen = 0;
    in = fmemopen((void *)orig, n, "rb");
    out = open_memstream(&again, &alen);
    cr_assert_eq(eiw_compress_stream(in, out, m, &o, n, NULL), EIW_OK);
    fclose(in);
    fclose(out);
    cr_assert(alen == len && memcmp(again, gold, len) == 0, "%s: re-encoding differs (%s)", path,
              eiw_kernel_name(eiw_kernel_active()));
    free(again);
    free(back);
    free(gold);
}

/* The stream and 16-bit-window golden files PREFIX_stream.eiw, PREFIX_windows_b16.eiw (marker
 * end, as eiw 0.2 wrote windows), PREFIX_windows_b16_implicit.eiw (eiw 0.3's) and
 * PREFIX_windows_b16_tight.eiw of tests/golden/original.txt, checked under every kernel. */
static void check_golden_every_kernel(const eiw_model *m, const char *prefix)
{
    size_t n;
    uint8_t *orig = test_read_file("tests/golden/original.txt", &n);
    cr_assert_not_null(orig, "run from the tree root (make test)");
    char stream[256], windows[256], implicit[256], tight[256];
    snprintf(stream, sizeof stream, "%s_stream.eiw", prefix);
    snprintf(windows, sizeof windows, "%s_windows_b16.eiw", prefix);
    snprintf(implicit, sizeof implicit, "%s_windows_b16_implicit.eiw", prefix);
    snprintf(tight, sizeof tight, "%s_windows_b16_tight.eiw", prefix);
    eiw_kernel was = eiw_kernel_active();
    int ks[EIW_KERNEL_COUNT], nk = test_kernels(ks);
    for (int i = 0; i < nk; i++) {
        eiw_kernel_force((eiw_kernel)ks[i]);
        check_golden(m, stream, orig, n, EIW_MODE_STREAM, 16, 0);
        check_golden(m, windows, orig, n, EIW_MODE_WINDOWS, 16, EIW_WINDOW_END_MARKER);
        check_golden(m, implicit, orig, n, EIW_MODE_WINDOWS, 16, EIW_WINDOW_END_IMPLICIT);
        check_golden(m, tight, orig, n, EIW_MODE_WINDOWS, 16, EIW_WINDOW_END_TIGHT);
    }
    eiw_kernel_force(was);
    free(orig);
}

Test(golden_m1, frozen_files_decode_and_reencode_on_every_path)
{
    size_t mlen;
    uint8_t *mb = test_read_file("tests/golden/tiny_m1.eiwm", &mlen);
    cr_assert(mb, "run from the tree root (make test)");
    eiw_model *m;
    cr_assert_eq(eiw_model_from_bytes(mb, mlen, &m), EIW_OK);
    check_golden_every_kernel(m, "tests/golden/m1");
    eiw_model_free(m);
    free(mb);
}

/* A built-in M1 is the file model/weights/NAME.eiwm embedded: the same bytes (so `--model
 * model/weights/NAME.eiwm` is the same model), reachable by name and id, and never freed. */
static const eiw_model *check_embedded(const char *name)
{
    const eiw_model *m = eiw_model_builtin(name);
    cr_assert_not_null(m, "%s must be built in", name);
    cr_assert_str_eq(m->name, name);
    cr_assert_eq(eiw_model_builtin_by_id(m->id), m);
    cr_assert_gt(m->context, 0, "%s must be a neural model", name);
    char path[64];
    snprintf(path, sizeof path, "model/weights/%s.eiwm", name);
    size_t len;
    uint8_t *file = test_read_file(path, &len);
    cr_assert_not_null(file, "%s: run from the tree root (make test)", path);
    eiw_model *loaded;
    cr_assert_eq(eiw_model_from_bytes(file, len, &loaded), EIW_OK);
    cr_assert_eq(loaded->id, m->id, "embedded model differs from %s", path);
    eiw_model_free(loaded);
    eiw_model_free(m);                       /* no-op for a built-in */
    cr_assert_eq(eiw_model_builtin(name), m);
    cr_assert_str_eq(eiw_model_builtin(name)->name, name);
    free(file);
    return m;
}

Test(golden_m1, default_model_is_the_committed_m1)
{
    const eiw_model *m = check_embedded(EIW_MODEL_DEFAULT_NAME);
    cr_assert_eq(eiw_model_default(), m);
    cr_assert_eq(eiw_model_builtin("m1"), m);
}

/* The default of eiw 0.1 to 0.4 stays built in, apart from the new default, so that every file
 * made with it keeps decoding. */
Test(golden_m1, previous_default_is_still_built_in)
{
    const eiw_model *old = check_embedded("m1-202611");
    cr_assert_neq(old, eiw_model_default());
    cr_assert_neq(old->id, eiw_model_default()->id);
}

/* Files frozen with the default model (scripts/make_golden_default.sh, regenerated only when the
 * default model changes, which also changes its name): decode and re-encode bit for bit on
 * every kernel; CI runs this in the SIMD=none build as well. */
Test(golden_m1, default_model_frozen_files_on_every_path)
{
    check_golden_every_kernel(eiw_model_default(), "tests/golden/default");
}

/* Files made by eiw 0.4 with its default, m1-202611 (tests/golden/m1-202611_*.eiw, the former
 * default_*.eiw, unchanged): they decode and re-encode on every kernel with that model, and
 * the library finds it by the id the file records, without being told (as `eiw -d` does). */
Test(golden_m1, previous_default_frozen_files_on_every_path)
{
    check_golden_every_kernel(eiw_model_builtin("m1-202611"), "tests/golden/m1-202611");
    size_t n, len;
    uint8_t *orig = test_read_file("tests/golden/original.txt", &n);
    uint8_t *gold = test_read_file("tests/golden/m1-202611_stream.eiw", &len);
    cr_assert(orig && gold);
    uint8_t *back = malloc(n + 1);
    ptrdiff_t got = eiw_decompress(back, n + 1, gold, len, NULL, NULL);
    cr_assert_eq(got, (ptrdiff_t)n, "decoded %td of %zu bytes", got, n);
    cr_assert(memcmp(back, orig, n) == 0);
    free(back);
    free(gold);
    free(orig);
}
