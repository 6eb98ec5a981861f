/* The library's conveniences through the public API: one error namespace for eiw.h and
 * eiw_train.h, the default options, and the buffer-to-buffer functions (eiw_compress,
 * eiw_decompress, eiw_compress_bound, eiw_decompressed_size): round trips per input class,
 * the same bytes as the FILE* API, capacities, damaged inputs. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "eiw.h"
#include "eiw_train.h"
#include "tests/test_util.h"

Test(api, every_status_has_its_own_value_and_message)
{
    static const int codes[] = {
        EIW_ERR_PARAM, EIW_ERR_NOMEM, EIW_ERR_DST_TOO_SMALL, EIW_ERR_IO, EIW_ERR_MAGIC,
        EIW_ERR_VERSION, EIW_ERR_TRUNCATED, EIW_ERR_CORRUPT, EIW_ERR_CHECKSUM, EIW_ERR_MODEL,
        EIW_ERR_MODEL_FILE, EIW_ERR_AMBIGUOUS, EIW_ERR_TRAILING,
        EIW_TRAIN_ERR_NOMEM, EIW_TRAIN_ERR_IO, EIW_TRAIN_ERR_FORMAT, EIW_TRAIN_ERR_VERSION,
        EIW_TRAIN_ERR_TRUNCATED, EIW_TRAIN_ERR_CHECKSUM, EIW_TRAIN_ERR_CONFIG,
        EIW_TRAIN_ERR_DATA, EIW_TRAIN_ERR_MISMATCH, EIW_TRAIN_ERR_NOSTATE,
    };
    const size_t n = sizeof codes / sizeof codes[0];
    const char *unknown = eiw_strerror(-99999);
    cr_assert_eq(EIW_OK, EIW_TRAIN_OK);
    for (size_t i = 0; i < n; i++) {
        cr_assert_lt(codes[i], 0);
        for (size_t j = 0; j < i; j++)
            cr_assert_neq(codes[i], codes[j], "codes %zu and %zu are both %d", j, i, codes[i]);
        const char *msg = eiw_strerror(codes[i]);
        cr_assert(msg && *msg && strcmp(msg, unknown) != 0, "%d has no message", codes[i]);
        cr_assert_str_eq(eiw_train_strerror(codes[i]), msg);
    }
    cr_assert_str_eq(eiw_strerror(EIW_TRAIN_ERR_CONFIG),
                     "invalid model configuration or training option");
    cr_assert_str_eq(eiw_strerror(EIW_ERR_PARAM), "invalid parameter");
}

Test(api, default_options_are_the_programs)
{
    eiw_options o;
    eiw_options_default(&o);
    cr_assert_eq(o.level, EIW_LEVEL_DEFAULT);
    cr_assert_eq(o.mode, EIW_MODE_STREAM);
    cr_assert_eq(o.lanes, EIW_LANES_DEFAULT);
    cr_assert_eq(o.lane_min, EIW_LANE_MIN_DEFAULT);
    cr_assert_eq(o.zstd_level, 9);
    cr_assert(o.threads >= 1 && o.threads <= EIW_THREADS_DEFAULT_MAX);
    /* automatic block size: long blocks at levels, short ones for a neural model alone */
    cr_assert_eq(o.block_size, 0);
    cr_assert_eq(eiw_block_size_for(eiw_model_builtin("order1"), &o),
                 eiw_level_block_size(EIW_LEVEL_DEFAULT));
    o.level = 0;
    cr_assert_eq(eiw_block_size_for(eiw_model_builtin("order1"), &o), EIW_BLOCK_SIZE_DEFAULT);
    cr_assert_eq(eiw_block_size_for(eiw_model_default(), &o), EIW_NEURAL_BLOCK_SIZE_DEFAULT);
    o.block_size = 4096;
    cr_assert_eq(eiw_block_size_for(eiw_model_default(), &o), 4096);
}

/* Compresses with the FILE* API, for comparison. */
static uint8_t *compress_stream(const uint8_t *src, size_t n, const eiw_model *m,
                                const eiw_options *o, size_t *len)
{
    FILE *in = n ? fmemopen((void *)src, n, "rb") : tmpfile(), *out = tmpfile();
    cr_assert(in && out);
    cr_assert_eq(eiw_compress_stream(in, out, m, o, n, NULL), EIW_OK);
    long end = ftell(out);
    cr_assert_geq(end, 0);
    *len = (size_t)end;
    uint8_t *b = malloc(*len + 1);
    rewind(out);
    cr_assert_eq(fread(b, 1, *len, out), *len);
    fclose(in);
    fclose(out);
    return b;
}

static void buffer_roundtrip(const sample *s, const eiw_model *m, const eiw_options *o)
{
    size_t bound = eiw_compress_bound(s->len, m, o);
    cr_assert_gt(bound, s->len);
    /* a canary after the capacity: never written */
    uint8_t *c = malloc(bound + 16);
    memset(c, 0xA5, bound + 16);
    ptrdiff_t clen = eiw_compress(c, bound, s->data, s->len, m, o);
    cr_assert_gt(clen, 0, "%s: %s", s->name, eiw_strerror((int)clen));
    cr_assert_leq((size_t)clen, bound);
    for (size_t i = bound; i < bound + 16; i++)
        cr_assert_eq(c[i], 0xA5, "%s: written past the capacity", s->name);
    /* byte for byte what the FILE* API writes */
    size_t flen;
    uint8_t *f = compress_stream(s->data, s->len, m, o, &flen);
    cr_assert(flen == (size_t)clen && memcmp(f, c, flen) == 0, "%s: differs from the stream API",
              s->name);
    free(f);
    /* one byte short: refused, nothing past the capacity touched */
    memset(c + clen - 1, 0xA5, 17);
    cr_assert_eq(eiw_compress(c, (size_t)clen - 1, s->data, s->len, m, o),
                 EIW_ERR_DST_TOO_SMALL, "%s", s->name);
    for (size_t i = (size_t)clen - 1; i < (size_t)clen + 16; i++)
        cr_assert_eq(c[i], 0xA5, "%s: written past the capacity", s->name);
    /* restore and decode: the model from the header (NULL) or given */
    cr_assert_eq(eiw_compress(c, bound, s->data, s->len, m, o), clen);
    uint64_t size;
    cr_assert_eq(eiw_decompressed_size(c, (size_t)clen, &size), EIW_OK);
    cr_assert_eq(size, s->len);
    uint8_t *d = malloc(s->len + 17);
    memset(d, 0x5A, s->len + 17);
    cr_assert_eq(eiw_decompress(d, s->len, c, (size_t)clen, NULL, NULL), (ptrdiff_t)s->len,
                 "%s", s->name);
    cr_assert(s->len == 0 || memcmp(d, s->data, s->len) == 0, "%s", s->name);
    for (size_t i = s->len; i < s->len + 17; i++)
        cr_assert_eq(d[i], 0x5A, "%s: written past the capacity", s->name);
    cr_assert_eq(eiw_decompress(d, s->len, c, (size_t)clen, m, o), (ptrdiff_t)s->len);
    if (s->len > 0)
        cr_assert_eq(eiw_decompress(d, s->len - 1, c, (size_t)clen, NULL, NULL),
                     EIW_ERR_DST_TOO_SMALL, "%s", s->name);
    free(d);
    free(c);
}

Test(api, buffers_round_trip_every_input_class_as_the_stream_api_codes_them)
{
    static const char *cls[] = { "empty", "one", "ascii", "utf8", "binary", "zeros", "text" };
    eiw_options lv, m0;
    eiw_options_default(&lv);
    lv.level = 1;
    lv.threads = 2;
    eiw_options_default(&m0);
    m0.level = 0;
    m0.block_size = 4096;   /* several blocks */
    eiw_options win = m0;
    win.mode = EIW_MODE_WINDOWS;
    win.win.window_bits = 64;
    win.win.token_bits = 8;
    for (size_t i = 0; i < sizeof cls / sizeof *cls; i++) {
        sample s = sample_make(cls[i], 20000, 40 + i);
        buffer_roundtrip(&s, NULL, &lv);
        buffer_roundtrip(&s, eiw_model_builtin("order1"), &m0);
        buffer_roundtrip(&s, eiw_model_builtin("order0"), &win);
        sample_free(&s);
    }
}

Test(api, decompress_checks_the_model_and_rejects_damage)
{
    sample s = sample_make("text", 6000, 9);
    eiw_options o;
    eiw_options_default(&o);
    o.level = 0;
    const eiw_model *m = eiw_model_builtin("order1");
    size_t bound = eiw_compress_bound(s.len, m, &o);
    uint8_t *c = malloc(bound), *d = malloc(s.len);
    ptrdiff_t clen = eiw_compress(c, bound, s.data, s.len, m, &o);
    cr_assert_gt(clen, 0);
    cr_assert_eq(eiw_decompress(d, s.len, c, (size_t)clen, eiw_model_builtin("order0"), NULL),
                 EIW_ERR_MODEL);
    cr_assert_eq(eiw_decompress(d, s.len, c, 0, NULL, NULL), EIW_ERR_MAGIC);
    cr_assert_eq(eiw_decompress(NULL, 5, c, (size_t)clen, NULL, NULL), EIW_ERR_PARAM);
    uint64_t size;
    for (size_t cut = 1; cut < (size_t)clen; cut += 7) {
        cr_assert_eq(eiw_decompress(d, s.len, c, cut, NULL, NULL), EIW_ERR_TRUNCATED, "%zu", cut);
        cr_assert_eq(eiw_decompressed_size(c, cut, &size), EIW_ERR_TRUNCATED, "%zu", cut);
    }
    uint8_t *more = malloc((size_t)clen + 3);
    memcpy(more, c, (size_t)clen);
    memcpy(more + clen, "xyz", 3);
    cr_assert_eq(eiw_decompress(d, s.len, more, (size_t)clen + 3, NULL, NULL), EIW_ERR_TRAILING);
    cr_assert_eq(eiw_decompressed_size(more, (size_t)clen + 3, &size), EIW_ERR_TRAILING);
    more[clen - 10] ^= 1;   /* the end record's total */
    cr_assert_eq(eiw_decompressed_size(more, (size_t)clen, &size), EIW_ERR_CORRUPT);
    free(more);
    free(c);
    free(d);
    sample_free(&s);
}
