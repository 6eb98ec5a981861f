/* Compression levels (online context mixing, format 2) through the public API: round trips per
 * input class, level, block size and lane count; identical bytes for every thread count and
 * twice in a row; damaged files rejected; the header; and the frozen golden files of
 * tests/golden/levels, decoded and re-encoded bit for bit on every kernel the CPU has. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "eiw.h"
#include "codec/code_mixed.h"
#include "model/qkernels.h"
#include "tests/test_util.h"

typedef struct {
    uint8_t *data;
    size_t len;
} mbuf;

static mbuf drain(FILE *f)
{
    mbuf b = { NULL, 0 };
    cr_assert_eq(fflush(f), 0);
    long n = ftell(f);
    cr_assert_geq(n, 0);
    b.len = (size_t)n;
    b.data = malloc(b.len ? b.len : 1);
    rewind(f);
    cr_assert_eq(fread(b.data, 1, b.len, f), b.len);
    return b;
}

static FILE *mem_in(const uint8_t *p, size_t n)
{
    FILE *f = n ? fmemopen((void *)p, n, "rb") : tmpfile();
    cr_assert_not_null(f);
    return f;
}

static eiw_status pack(const uint8_t *src, size_t n, const eiw_model *m, const eiw_options *o,
                       mbuf *out)
{
    FILE *in = mem_in(src, n), *of = tmpfile();
    eiw_status st = eiw_compress_stream(in, of, m, o, n, NULL);
    *out = drain(of);
    fclose(in);
    fclose(of);
    return st;
}

static eiw_status unpack(const mbuf *c, const eiw_model *m, int threads, mbuf *out,
                         eiw_header *h)
{
    FILE *in = mem_in(c->data, c->len), *of = tmpfile();
    eiw_options o;
    eiw_options_default(&o);
    o.threads = threads;
    eiw_status st = eiw_header_read(in, h);
    if (st == EIW_OK)
        st = eiw_decompress_body(in, of, h, m, &o, NULL);
    *out = drain(of);
    fclose(in);
    fclose(of);
    return st;
}

static eiw_model *tiny_m1(void)
{
    size_t len;
    uint8_t *b = test_read_file("tests/golden/tiny_m1.eiwm", &len);
    cr_assert_not_null(b, "run from the tree root (make test)");
    eiw_model *m;
    cr_assert_eq(eiw_model_from_bytes(b, len, &m), EIW_OK);
    free(b);
    return m;
}

static void roundtrip(const uint8_t *src, size_t n, const eiw_model *m, int level,
                      uint32_t block, unsigned lanes, uint32_t lane_min, int threads)
{
    eiw_options o;
    eiw_options_default(&o);
    o.level = level;
    o.block_size = block;
    o.lanes = lanes;
    o.lane_min = lane_min;
    o.threads = threads;
    /* both revisions of the mixing: the newest (format 5) and eiw 0.2-0.5's (format 2) */
    for (int rev = EIW_MIX_REVISION; rev >= 1; rev--) {
        o.mix_revision = rev;
        mbuf c, d;
        eiw_header h;
        cr_assert_eq(pack(src, n, m, &o, &c), EIW_OK, "level %d n %zu", level, n);
        cr_assert_eq(unpack(&c, m, threads, &d, &h), EIW_OK, "level %d n %zu", level, n);
        cr_assert_eq(h.version, rev == 1 ? 2u : 5u);
        cr_assert_eq(h.mix_revision, rev);
        cr_assert_eq(h.level, level);
        cr_assert_eq(d.len, n);
        cr_assert(n == 0 || memcmp(d.data, src, n) == 0, "level %d n %zu rev %d", level, n, rev);
        free(c.data);
        free(d.data);
    }
}

Test(levels, every_input_class_round_trips_at_the_adaptive_levels)
{
    static const char *cls[] = { "empty", "one", "ascii", "utf8", "binary", "zeros", "text" };
    for (size_t i = 0; i < sizeof cls / sizeof *cls; i++) {
        sample s = sample_make(cls[i], 30000, 7 + i);
        roundtrip(s.data, s.len, NULL, 1, 1u << 20, 8, 16u << 10, 1);
        roundtrip(s.data, s.len, NULL, 2, 8u << 10, 8, 16u << 10, 2);   /* several blocks */
        sample_free(&s);
    }
}

Test(levels, every_input_class_round_trips_with_a_byte_model_and_lanes)
{
    eiw_model *m = tiny_m1();
    static const char *cls[] = { "empty", "one", "utf8", "binary", "text" };
    for (size_t i = 0; i < sizeof cls / sizeof *cls; i++) {
        sample s = sample_make(cls[i], 9000, 11 + i);
        /* 1 KiB lanes: up to 8 lanes per block, the last one short */
        roundtrip(s.data, s.len, m, 6, 1u << 20, 8, 1u << 10, 2);
        roundtrip(s.data, s.len, m, 9, 4u << 10, 3, 1u << 10, 1);
        sample_free(&s);
    }
    /* a static byte model works the same way */
    sample s = sample_make("text", 5000, 3);
    roundtrip(s.data, s.len, eiw_model_builtin("order1"), 6, 1u << 20, 4, 1u << 10, 2);
    sample_free(&s);
    eiw_model_free(m);
}

/* A block that is not text skips the neural model (method 3) and still round-trips; text
 * blocks of the same file keep it. */
Test(levels, binary_blocks_skip_the_model)
{
    eiw_model *m = tiny_m1();
    sample bin = sample_make("binary", 4096, 21), txt = sample_make("text", 4096, 22);
    uint8_t *both = malloc(8192);
    memcpy(both, bin.data, 4096);
    memcpy(both + 4096, txt.data, 4096);
    eiw_options o;
    eiw_options_default(&o);
    o.level = 6;
    o.block_size = 4096;
    o.threads = 2;
    FILE *in = mem_in(both, 8192), *of = tmpfile();
    eiw_stats st;
    cr_assert_eq(eiw_compress_stream(in, of, m, &o, 8192, &st), EIW_OK);
    mbuf c = drain(of), d;
    fclose(in);
    fclose(of);
    cr_assert_eq(st.blocks[EIW_METHOD_ADAPTIVE] + st.blocks[EIW_METHOD_STORED], 1,
                 "the binary block: adaptive %llu stored %llu",
                 (unsigned long long)st.blocks[EIW_METHOD_ADAPTIVE],
                 (unsigned long long)st.blocks[EIW_METHOD_STORED]);
    cr_assert_eq(st.blocks[EIW_METHOD_MODEL], 1, "the text block keeps the model");
    eiw_header h;
    cr_assert_eq(unpack(&c, m, 2, &d, &h), EIW_OK);
    cr_assert(d.len == 8192 && memcmp(d.data, both, 8192) == 0);
    free(c.data);
    free(d.data);
    /* repetitive binary data compresses, so it is coded with method 3, not stored */
    uint8_t *rep = malloc(4096);
    for (int i = 0; i < 4096; i++)
        rep[i] = (uint8_t)(i % 7 == 0 ? 0 : i % 13);
    in = mem_in(rep, 4096);
    of = tmpfile();
    cr_assert_eq(eiw_compress_stream(in, of, m, &o, 4096, &st), EIW_OK);
    c = drain(of);
    fclose(in);
    fclose(of);
    cr_assert_eq(st.blocks[EIW_METHOD_ADAPTIVE] + st.blocks[EIW_METHOD_ZSTD], 1);
    cr_assert_eq(unpack(&c, m, 1, &d, &h), EIW_OK);
    cr_assert(d.len == 4096 && memcmp(d.data, rep, 4096) == 0);
    free(c.data);
    free(d.data);
    free(rep);
    free(both);
    sample_free(&bin);
    sample_free(&txt);
    eiw_model_free(m);
}

/* The bits depend on the data and the options only: not on threads, not on the run. */
Test(levels, output_is_identical_for_every_thread_count_and_decodes_with_any)
{
    eiw_model *m = tiny_m1();
    sample s = sample_make("text", 12000, 5);
    mbuf first = { NULL, 0 };
    for (int threads = 1; threads <= 3; threads++)
        for (int rep = 0; rep < 2; rep++) {
            eiw_options o;
            eiw_options_default(&o);
            o.level = 6;
            o.lane_min = 1u << 10;
            o.threads = threads;
            mbuf c;
            cr_assert_eq(pack(s.data, s.len, m, &o, &c), EIW_OK);
            if (!first.data) {
                first = c;
                continue;
            }
            cr_assert(c.len == first.len && memcmp(c.data, first.data, c.len) == 0,
                      "threads %d run %d differ", threads, rep);
            free(c.data);
        }
    for (int threads = 1; threads <= 3; threads++) {
        mbuf d;
        eiw_header h;
        cr_assert_eq(unpack(&first, m, threads, &d, &h), EIW_OK);
        cr_assert(d.len == s.len && memcmp(d.data, s.data, s.len) == 0);
        cr_assert_eq(h.lanes, 8);
        free(d.data);
    }
    free(first.data);
    sample_free(&s);
    eiw_model_free(m);
}

Test(levels, a_level_without_a_model_records_none_and_needs_none)
{
    sample s = sample_make("text", 4000, 1);
    eiw_options o;
    eiw_options_default(&o);
    o.level = 1;
    mbuf c, d;
    eiw_header h;
    cr_assert_eq(pack(s.data, s.len, NULL, &o, &c), EIW_OK);
    cr_assert_eq(unpack(&c, NULL, 1, &d, &h), EIW_OK);
    cr_assert_str_eq(h.model_name, "none");
    cr_assert_eq(h.model_id, 0);
    cr_assert_eq(h.lane_min, EIW_LANE_MIN_DEFAULT);
    free(c.data);
    free(d.data);
    /* a level that mixes a model refuses to run without one, and to decode with another */
    o.level = 6;
    cr_assert_eq(pack(s.data, s.len, NULL, &o, &c), EIW_ERR_PARAM);
    free(c.data);
    cr_assert_eq(pack(s.data, s.len, eiw_model_builtin("order1"), &o, &c), EIW_OK);
    cr_assert_eq(unpack(&c, eiw_model_builtin("order0"), 1, &d, &h), EIW_ERR_MODEL);
    free(c.data);
    free(d.data);
    o.level = EIW_LEVEL_MAX + 1;
    cr_assert_eq(pack(s.data, s.len, eiw_model_builtin("order1"), &o, &c), EIW_ERR_PARAM);
    free(c.data);
    sample_free(&s);
}

/* Flipped bits (a spread of positions over header, block record and payload) and every
 * truncation are rejected; nothing decodes to different bytes. */
Test(levels, damaged_files_are_rejected)
{
    sample s = sample_make("text", 1500, 9);
    eiw_options o;
    eiw_options_default(&o);
    o.level = 1;
    mbuf c;
    cr_assert_eq(pack(s.data, s.len, NULL, &o, &c), EIW_OK);
    for (size_t bitpos = 0; bitpos < c.len * 8; bitpos += 5) {
        c.data[bitpos / 8] ^= (uint8_t)(1u << (bitpos % 8));
        mbuf d;
        eiw_header h;
        eiw_status st = unpack(&c, NULL, 1, &d, &h);
        cr_assert_neq(st, EIW_OK, "bit %zu flipped still decodes", bitpos);
        free(d.data);
        c.data[bitpos / 8] ^= (uint8_t)(1u << (bitpos % 8));
    }
    size_t full = c.len;
    for (size_t cut = 0; cut < full; cut += 3) {
        c.len = cut;
        mbuf d;
        eiw_header h;
        cr_assert_neq(unpack(&c, NULL, 1, &d, &h), EIW_OK, "cut at %zu decodes", cut);
        free(d.data);
    }
    free(c.data);
    sample_free(&s);
}

/* The coder's threads share one coder: the encoder's jobs and the decoder's mixing turn hand it
 * on. Any number of threads against the lanes' must give the same bytes, and a damaged stream
 * must stop every decoding thread (no hang, no success). The container never asks for more
 * threads than online CPUs; this asks the coder directly, so 3 to 9 threads run anywhere. */
Test(levels, the_lanes_code_alike_with_any_threads_and_damage_stops_them_all)
{
    eiw_model *m = tiny_m1();
    sample s = sample_make("text", 9000, 12);
    enum { LANES = 8 };
    void *states[LANES];
    for (int k = 0; k < LANES; k++)
        cr_assert_not_null(states[k] = calloc(1, m->state_size));
    eiw_mix *x;
    cr_assert_eq(eiw_mix_new(6, &x), EIW_OK);
    size_t cap = s.len + 4096;
    uint8_t *enc = malloc(cap), *out = malloc(s.len);
    ptrdiff_t len = eiw_mixed_encode(m, states, x, 2, s.data, s.len, LANES, enc, cap, NULL);
    cr_assert_gt(len, 16);
    const int counts[] = { 1, 2, 3, 5, 9 };
    uint8_t *again = malloc(cap);
    for (size_t i = 0; i < sizeof counts / sizeof *counts; i++) {
        int threads = counts[i];
        /* the encoder's jobs (byte model ahead of the coder) give the same bytes too, and a
         * destination too small stops them all */
        ptrdiff_t len2 = eiw_mixed_encode(m, states, x, threads, s.data, s.len, LANES, again,
                                          cap, NULL);
        cr_assert(len2 == len && memcmp(again, enc, (size_t)len) == 0, "%d threads", threads);
        cr_assert_eq(eiw_mixed_encode(m, states, x, threads, s.data, s.len, LANES, again,
                                      (size_t)len / 2, NULL), EIW_ERR_DST_TOO_SMALL);
        cr_assert_eq(eiw_mixed_decode(m, states, x, threads, enc, (size_t)len, out, s.len,
                                      LANES, NULL), EIW_OK, "%d threads", threads);
        cr_assert(memcmp(out, s.data, s.len) == 0, "%d threads", threads);
        for (ptrdiff_t at = len / 5; at < len; at += len / 3) {
            enc[at] ^= 0x10;
            eiw_status st = eiw_mixed_decode(m, states, x, threads, enc, (size_t)len, out, s.len,
                                             LANES, NULL);
            cr_assert_eq(st, EIW_ERR_CORRUPT, "byte %td changed: %d (%d threads)", at, (int)st,
                         threads);
            enc[at] ^= 0x10;
        }
    }
    eiw_mix_free(x);
    for (int k = 0; k < LANES; k++)
        free(states[k]);
    free(again);
    free(enc);
    free(out);
    sample_free(&s);
    eiw_model_free(m);
}

/* Frozen files (scripts/make_golden_levels.sh): tests/golden/original.txt at level 1, at
 * level 6 with the tiny M1 in 1 KiB lanes, and at the default level with the default M1 and
 * with m1-202611 (the default of eiw 0.2 to 0.4: files made with it keep decoding), in the
 * mixing of eiw 0.2-0.5 (revision 1, format 2; the default-level file with m1-202612, the
 * default of eiw 0.5); and with the newest mixing (*_r2.eiw, format 5), also at level 4. */
static void check_golden(const char *path, const eiw_model *m, int level, uint32_t lane_min,
                         int revision)
{
    size_t n, len;
    uint8_t *orig = test_read_file("tests/golden/original.txt", &n);
    uint8_t *gold = test_read_file(path, &len);
    cr_assert(orig && gold, "%s missing (run from the tree root)", path);
    mbuf g = { gold, len }, d, c;
    eiw_header h;
    cr_assert_eq(unpack(&g, m, 2, &d, &h), EIW_OK, "%s", path);
    cr_assert(d.len == n && memcmp(d.data, orig, n) == 0, "%s", path);
    cr_assert_eq(h.level, level);
    cr_assert_eq(h.mix_revision, revision, "%s", path);
    eiw_options o;
    eiw_options_default(&o);
    o.level = level;
    o.mix_revision = revision;
    o.block_size = h.block_size;
    o.lane_min = lane_min;
    o.threads = 2;
    cr_assert_eq(pack(orig, n, m, &o, &c), EIW_OK);
    cr_assert(c.len == len && memcmp(c.data, gold, len) == 0, "%s: re-encoding differs (%s)",
              path, eiw_kernel_name(eiw_kernel_active()));
    free(c.data);
    free(d.data);
    free(orig);
    free(gold);
}

Test(levels, frozen_files_decode_and_reencode_on_every_kernel)
{
    eiw_model *tiny = tiny_m1();
    eiw_kernel was = eiw_kernel_active();
    for (int k = 0; k <= 2; k++) {
        if (!eiw_kernel_supported((eiw_kernel)k)) {
            fprintf(stderr, "levels golden: kernel %s not supported by this CPU: not run\n",
                    eiw_kernel_name((eiw_kernel)k));
            continue;
        }
        eiw_kernel_force((eiw_kernel)k);
        check_golden("tests/golden/levels/level1.eiw", NULL, 1, EIW_LANE_MIN_DEFAULT, 1);
        check_golden("tests/golden/levels/level6_tiny_m1_lanes.eiw", tiny, 6, 1u << 10, 1);
        check_golden("tests/golden/levels/default.eiw", eiw_model_default(), EIW_LEVEL_DEFAULT,
                     EIW_LANE_MIN_DEFAULT, 1);
        check_golden("tests/golden/levels/m1-202611.eiw", eiw_model_builtin("m1-202611"),
                     EIW_LEVEL_DEFAULT, EIW_LANE_MIN_DEFAULT, 1);
        check_golden("tests/golden/levels/level1_r2.eiw", NULL, 1, EIW_LANE_MIN_DEFAULT, 2);
        check_golden("tests/golden/levels/level4_r2.eiw", NULL, 4, EIW_LANE_MIN_DEFAULT, 2);
        check_golden("tests/golden/levels/level6_tiny_m1_lanes_r2.eiw", tiny, 6, 1u << 10, 2);
        check_golden("tests/golden/levels/default_r2.eiw", eiw_model_default(),
                     EIW_LEVEL_DEFAULT, EIW_LANE_MIN_DEFAULT, 2);
    }
    eiw_kernel_force(was);
    eiw_model_free(tiny);
}
