/* The .eiw container through the public API: round trips per input class and mode, a >50 MB
 * input, determinism (twice, thread counts), damaged inputs (truncated at every position,
 * every bit flipped, wrong magic), walking the records, the block method choice, the expansion
 * bound, and the frozen golden files in tests/golden. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#include "eiw.h"
#include "tests/test_util.h"

typedef struct {
    uint8_t *data;
    size_t len;
} buf;

static void buf_free(buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
}

/* A readable stream over memory; fmemopen cannot take an empty buffer everywhere. */
static FILE *open_mem(const uint8_t *p, size_t n)
{
    FILE *f;
    if (n == 0) {
        f = tmpfile();
    } else {
        f = fmemopen((void *)p, n, "rb");
    }
    cr_assert_not_null(f);
    return f;
}

/* Drains a tmpfile into memory (open_memstream cannot be read back portably mid-way). */
static buf slurp(FILE *f)
{
    buf b = { NULL, 0 };
    cr_assert_eq(fflush(f), 0);
    long n = ftell(f);
    cr_assert_geq(n, 0);
    b.len = (size_t)n;
    b.data = malloc(b.len ? b.len : 1);
    cr_assert_not_null(b.data);
    rewind(f);
    cr_assert_eq(fread(b.data, 1, b.len, f), b.len);
    return b;
}

static eiw_status compress_buf(const uint8_t *src, size_t n, const eiw_model *m,
                               const eiw_options *o, buf *out, eiw_stats *stats)
{
    FILE *in = open_mem(src, n), *of = tmpfile();
    cr_assert_not_null(of);
    eiw_status st = eiw_compress_stream(in, of, m, o, n, stats);
    *out = slurp(of);
    fclose(in);
    fclose(of);
    return st;
}

/* Decodes the containers of src (several when concatenated), picking each one's model from
 * its header like the CLI does; stats: the first container's. */
static eiw_status decompress_buf(const uint8_t *src, size_t n, int threads, buf *out,
                                 eiw_stats *stats)
{
    FILE *in = open_mem(src, n), *of = tmpfile();
    cr_assert_not_null(of);
    eiw_header h;
    eiw_options o;
    eiw_options_default(&o);
    o.threads = threads;
    eiw_status st = eiw_header_read(in, &h);
    for (int part = 0; st == EIW_OK; part++) {
        const eiw_model *m = eiw_model_builtin_by_id(h.model_id);
        eiw_stats local;
        st = m || (h.level > 0 && !eiw_level_uses_model(h.level))
                 ? eiw_decompress_body(in, of, &h, m, &o, part == 0 && stats ? stats : &local)
                 : EIW_ERR_MODEL;
        int next = st == EIW_OK ? eiw_header_read_next(in, &h) : 0;
        if (next <= 0) {
            st = st == EIW_OK ? (eiw_status)next : st;
            break;
        }
    }
    *out = slurp(of);
    fclose(in);
    fclose(of);
    return st;
}

static void check_roundtrip(const sample *s, const eiw_model *m, const eiw_options *o,
                            eiw_stats *cstats)
{
    buf c, d;
    eiw_stats local;
    eiw_status st = compress_buf(s->data, s->len, m, o, &c, cstats ? cstats : &local);
    cr_assert_eq(st, EIW_OK, "%s (%zu bytes) mode %d b=%u t=%u: %s", s->name, s->len, o->mode,
                 o->win.window_bits, o->win.token_bits, eiw_strerror(st));
    cr_assert_leq(c.len, EIW_COMPRESS_BOUND(s->len, eiw_block_size_for(m, o), strlen(m->name)));
    cr_assert_leq(c.len, eiw_compress_bound(s->len, m, o));
    st = decompress_buf(c.data, c.len, o->threads, &d, NULL);
    cr_assert_eq(st, EIW_OK, "%s mode %d b=%u t=%u: decode: %s", s->name, o->mode,
                 o->win.window_bits, o->win.token_bits, eiw_strerror(st));
    cr_assert_eq(d.len, s->len, "%s mode %d b=%u t=%u", s->name, o->mode, o->win.window_bits,
                 o->win.token_bits);
    cr_assert(s->len == 0 || memcmp(d.data, s->data, s->len) == 0, "%s: content differs",
              s->name);
    buf_free(&c);
    buf_free(&d);
}

static const char *classes[] = { "empty", "one", "ascii", "utf8", "binary", "zeros", "text",
                                 "prose" };
#define NCLASSES (sizeof classes / sizeof classes[0])

/* Real English prose (the golden original): the generated "text" class repeats a small
 * vocabulary, so zstd beats the order-1 model on it and the model coder would go untested. */
static sample make_sample(const char *cls, size_t len, uint64_t seed)
{
    if (strcmp(cls, "prose") != 0)
        return sample_make(cls, len, seed);
    sample s = { "prose", NULL, 0 };
    s.data = test_read_file("tests/golden/original.txt", &s.len);
    cr_assert_not_null(s.data, "tests/golden/original.txt missing (run from the tree root)");
    if (s.len > len)
        s.len = len;
    return s;
}

Test(container, every_class_roundtrips_in_stream_mode)
{
    eiw_options o;
    eiw_options_default(&o);
    o.level = 0;   /* the model alone: format 1 */
    o.block_size = EIW_BLOCK_SIZE_MIN;   /* several blocks, short last block */
    for (size_t c = 0; c < NCLASSES; c++) {
        sample s = make_sample(classes[c], 5000, 100 + c);
        check_roundtrip(&s, eiw_model_builtin("order1"), &o, NULL);
        sample_free(&s);
    }
}

Test(container, every_class_roundtrips_in_windows_mode)
{
    static const unsigned wbits[] = { 16, 32, 64, 128 };
    eiw_options o;
    eiw_options_default(&o);
    o.level = 0;   /* the model alone: format 1 */
    o.mode = EIW_MODE_WINDOWS;
    o.block_size = EIW_BLOCK_SIZE_MIN;
    uint64_t model_blocks = 0;
    for (size_t c = 0; c < NCLASSES; c++) {
        sample s = make_sample(classes[c], 3000, 200 + c);
        for (size_t w = 0; w < 4; w++)
            for (unsigned t = 8; t <= 16; t += 8) {
                eiw_stats st;
                o.win.window_bits = wbits[w];
                o.win.token_bits = t;
                check_roundtrip(&s, eiw_model_builtin("order1"), &o, &st);
                model_blocks += st.blocks[EIW_METHOD_MODEL];
                cr_assert(st.blocks[EIW_METHOD_MODEL] > 0 || st.windows == 0);
            }
        sample_free(&s);
    }
    /* Otherwise the windows coder would never have run inside a container. */
    cr_assert_gt(model_blocks, 0);
}

/* Mixed text, random bytes and long runs, so that all three methods occur. */
static sample mixed_sample(size_t len, uint64_t seed)
{
    static const char *kinds[] = { "text", "binary", "zeros", "utf8" };
    sample s = { "mixed", malloc(len ? len : 1), len };
    cr_assert_not_null(s.data);
    uint64_t r = seed;
    for (size_t at = 0; at < len;) {
        size_t n = 200000 + test_rng(&r) % 1800000;
        if (n > len - at)
            n = len - at;
        sample part = sample_make(kinds[test_rng(&r) % 4], n, test_rng(&r));
        memcpy(s.data + at, part.data, n);
        sample_free(&part);
        at += n;
    }
    return s;
}

Test(container, large_input_roundtrips_with_two_threads, .timeout = 600)
{
#if defined(__SANITIZE_ADDRESS__)
    const size_t len = 6u << 20;    /* sanitizers make the coder ~10x slower */
#else
    const size_t len = 52u << 20;   /* > 50 MB, several blocks per method */
#endif
    sample s = mixed_sample(len, 7);
    eiw_options o;
    eiw_options_default(&o);
    o.level = 0;   /* the model alone: format 1 */
    o.block_size = 1u << 20;
    o.threads = 2;
    eiw_stats st;
    check_roundtrip(&s, eiw_model_builtin("order0"), &o, &st);
    cr_assert_eq(st.in_bytes, len);
    cr_assert_eq(st.blocks[0] + st.blocks[1] + st.blocks[2], (len + o.block_size - 1) >> 20);
    sample_free(&s);
}

Test(container, compressing_twice_gives_identical_bytes)
{
    sample s = mixed_sample(300000, 11);
    eiw_options o;
    eiw_options_default(&o);
    o.level = 0;   /* the model alone: format 1 */
    o.block_size = 64u << 10;
    for (int mode = 0; mode < 2; mode++) {
        o.mode = mode ? EIW_MODE_WINDOWS : EIW_MODE_STREAM;
        o.win.window_bits = 64;
        o.win.token_bits = 8;
        buf a, b;
        cr_assert_eq(compress_buf(s.data, s.len, eiw_model_builtin("order1"), &o, &a, NULL), EIW_OK);
        cr_assert_eq(compress_buf(s.data, s.len, eiw_model_builtin("order1"), &o, &b, NULL), EIW_OK);
        cr_assert_eq(a.len, b.len);
        cr_assert(memcmp(a.data, b.data, a.len) == 0, "mode %d", mode);
        buf_free(&a);
        buf_free(&b);
    }
    sample_free(&s);
}

Test(container, thread_count_does_not_change_output)
{
    sample s = mixed_sample(400000, 13);
    eiw_options o;
    eiw_options_default(&o);
    o.level = 0;   /* the model alone: format 1 */
    o.block_size = 32u << 10;
    buf ref;
    o.threads = 1;
    cr_assert_eq(compress_buf(s.data, s.len, eiw_model_builtin("order1"), &o, &ref, NULL), EIW_OK);
    for (int t = 2; t <= 3; t++) {
        buf b;
        o.threads = t;
        cr_assert_eq(compress_buf(s.data, s.len, eiw_model_builtin("order1"), &o, &b, NULL), EIW_OK);
        cr_assert_eq(b.len, ref.len, "threads %d", t);
        cr_assert(memcmp(b.data, ref.data, ref.len) == 0, "threads %d", t);
        buf_free(&b);
    }
    buf_free(&ref);
    sample_free(&s);
}

/* A small container with a model block, for the damage tests. */
static buf small_container(int mode)
{
    sample s = make_sample("prose", 400, 5);
    eiw_options o;
    eiw_options_default(&o);
    o.level = 0;   /* the model alone: format 1 */
    o.mode = mode;
    o.win.window_bits = 64;
    o.win.token_bits = 8;
    buf c;
    eiw_stats st;
    cr_assert_eq(compress_buf(s.data, s.len, eiw_model_builtin("order1"), &o, &c, &st), EIW_OK);
    cr_assert_eq(st.blocks[EIW_METHOD_MODEL], 1, "the damage tests need a model-coded block");
    sample_free(&s);
    return c;
}

Test(container, truncated_at_every_position_is_rejected)
{
    for (int mode = 0; mode < 2; mode++) {
        buf c = small_container(mode);
        for (size_t cut = 0; cut < c.len; cut++) {
            buf d;
            eiw_status st = decompress_buf(c.data, cut, 1, &d, NULL);
            /* Nothing at all is not an eiw file; any non-empty prefix is a truncated one. */
            cr_assert_eq(st, cut == 0 ? EIW_ERR_MAGIC : EIW_ERR_TRUNCATED,
                         "mode %d cut at %zu of %zu: %s", mode, cut, c.len, eiw_strerror(st));
            buf_free(&d);
        }
        buf_free(&c);
    }
}

/* Flips every bit of a small container in turn; each must be rejected (status < 0). A flip
 * that is accepted must at least decode to the original (the checksums guarantee that). */
static void check_every_flip(int mode)
{
    buf c = small_container(mode);
    sample s = make_sample("prose", 400, 5);
    size_t accepted = 0, first_byte = 0;
    int first_bit = 0;
    for (size_t i = 0; i < c.len; i++)
        for (int bit = 0; bit < 8; bit++) {
            c.data[i] ^= (uint8_t)(1u << bit);
            buf d;
            eiw_status st = decompress_buf(c.data, c.len, 1, &d, NULL);
            if (st == EIW_OK) {
                cr_assert(d.len == s.len && memcmp(d.data, s.data, s.len) == 0,
                          "flip accepted with wrong content");
                if (accepted++ == 0) {
                    first_byte = i;
                    first_bit = bit;
                }
            } else {
                cr_assert_lt(st, 0);
            }
            buf_free(&d);
            c.data[i] ^= (uint8_t)(1u << bit);
        }
    cr_expect_eq(accepted, 0, "mode %d: %zu of %zu single-bit flips accepted; first: bit %d of "
                 "byte %zu (container of %zu bytes, payload from byte %zu)", mode, accepted,
                 8 * c.len, first_bit, first_byte, c.len,
                 36 + strlen(eiw_model_builtin("order1")->name) + EIW_BLOCK_HEADER_SIZE);
    sample_free(&s);
    buf_free(&c);
}

Test(container, every_flipped_bit_is_rejected_in_stream_mode)
{
    check_every_flip(EIW_MODE_STREAM);
}

Test(container, every_flipped_bit_is_rejected_in_windows_mode)
{
    check_every_flip(EIW_MODE_WINDOWS);
}

Test(container, wrong_magic_is_rejected)
{
    buf c = small_container(EIW_MODE_STREAM);
    for (int i = 0; i < 4; i++) {
        buf d;
        c.data[i] ^= 0x20;
        cr_assert_eq(decompress_buf(c.data, c.len, 1, &d, NULL), EIW_ERR_MAGIC, "byte %d", i);
        c.data[i] ^= 0x20;
        buf_free(&d);
    }
    static const uint8_t gzip[] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 'x', 'y', 'z' };
    buf d;
    cr_assert_eq(decompress_buf(gzip, sizeof gzip, 1, &d, NULL), EIW_ERR_MAGIC);
    buf_free(&d);
    buf_free(&c);
}

/* eiw_decompress_body stops at the end record, leaving what follows unread; what follows is
 * either nothing, another container, or trailing garbage (zero padding included), which
 * eiw_header_read_next names. */
Test(container, decoding_stops_after_the_end_record_and_names_trailing_garbage)
{
    buf c = small_container(EIW_MODE_STREAM);
    static const uint8_t tails[][4] = { { 0, 0, 0, 0 }, { 'j', 'u', 'n', 'k' },
                                        { 0x89, 'E', 'I', 'W' } };
    static const eiw_status want[] = { EIW_ERR_TRAILING, EIW_ERR_TRAILING, EIW_ERR_TRUNCATED };
    uint8_t *more = malloc(c.len + 4);
    memcpy(more, c.data, c.len);
    for (int t = 0; t < 3; t++)
        for (size_t k = 1; k <= 4; k++) {
            memcpy(more + c.len, tails[t], k);
            FILE *in = open_mem(more, c.len + k);
            eiw_header h;
            eiw_stats st;
            cr_assert_eq(eiw_header_read(in, &h), EIW_OK);
            cr_assert_eq(eiw_decompress_body(in, NULL, &h, eiw_model_builtin("order1"), NULL,
                                             &st), EIW_OK, "tail %d of %zu bytes", t, k);
            cr_assert_eq(st.in_bytes, c.len, "the container's bytes, no more");
            cr_assert_eq(fgetc(in), tails[t][0], "the tail is left unread");
            ungetc(tails[t][0], in);
            eiw_status expect = t < 2 ? want[t] : k < 4 ? EIW_ERR_TRUNCATED : want[t];
            cr_assert_eq(eiw_header_read_next(in, &h), expect, "tail %d of %zu bytes", t, k);
            fclose(in);
            buf d;
            cr_assert_eq(decompress_buf(more, c.len + k, 1, &d, NULL), expect);
            buf_free(&d);
        }
    /* nothing after it: the end */
    FILE *in = open_mem(c.data, c.len);
    eiw_header h;
    cr_assert_eq(eiw_header_read(in, &h), EIW_OK);
    cr_assert_eq(eiw_decompress_body(in, NULL, &h, eiw_model_builtin("order1"), NULL, NULL),
                 EIW_OK);
    cr_assert_eq(eiw_header_read_next(in, &h), 0);
    fclose(in);
    free(more);
    buf_free(&c);
}

/* Containers one after another (`cat a.eiw b.eiw`), each with its own format version, level,
 * mode and model, decode to the concatenation of their contents. */
Test(container, concatenated_containers_decode_to_the_concatenation)
{
    sample a = make_sample("prose", 3000, 1), b = sample_make("utf8", 2000, 2),
           e = sample_make("empty", 0, 3);
    eiw_options o[3];
    for (int i = 0; i < 3; i++)
        eiw_options_default(&o[i]);
    o[0].level = 1;                      /* format 2, no model */
    o[1].level = 0;                      /* format 1, windows */
    o[1].mode = EIW_MODE_WINDOWS;
    o[1].win.window_bits = 64;
    o[1].win.token_bits = 8;
    o[2].level = 6;                      /* format 2 with a model */
    o[2].block_size = EIW_BLOCK_SIZE_MIN;
    const sample *in[3] = { &a, &b, &e };
    const eiw_model *m[3] = { NULL, eiw_model_builtin("order0"), eiw_model_builtin("order1") };
    buf c[3];
    size_t total = 0, want_len = 0;
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(compress_buf(in[i]->data, in[i]->len, m[i], &o[i], &c[i], NULL), EIW_OK);
        total += c[i].len;
        want_len += in[i]->len;
    }
    /* every order of the three, and one container twice */
    static const int orders[][4] = { { 0, 1, 2, -1 }, { 2, 1, 0, -1 }, { 1, 1, -1, -1 },
                                     { 2, 0, 2, 1 } };
    for (size_t k = 0; k < sizeof orders / sizeof orders[0]; k++) {
        uint8_t *cat = malloc(2 * total), *want = malloc(2 * want_len + 1);
        size_t clen = 0, wlen = 0;
        for (int j = 0; j < 4 && orders[k][j] >= 0; j++) {
            int i = orders[k][j];
            memcpy(cat + clen, c[i].data, c[i].len);
            clen += c[i].len;
            if (in[i]->len)
                memcpy(want + wlen, in[i]->data, in[i]->len);
            wlen += in[i]->len;
        }
        buf d;
        cr_assert_eq(decompress_buf(cat, clen, 2, &d, NULL), EIW_OK, "order %zu", k);
        cr_assert(d.len == wlen && memcmp(d.data, want, wlen) == 0, "order %zu", k);
        buf_free(&d);
        /* the buffer API does the same, and knows the size beforehand */
        uint64_t size;
        cr_assert_eq(eiw_decompressed_size(cat, clen, &size), EIW_OK, "order %zu", k);
        cr_assert_eq(size, wlen);
        uint8_t *back = malloc(wlen + 1);
        cr_assert_eq(eiw_decompress(back, wlen, cat, clen, NULL, NULL), (ptrdiff_t)wlen);
        cr_assert(memcmp(back, want, wlen) == 0, "order %zu", k);
        free(back);
        free(cat);
        free(want);
    }
    for (int i = 0; i < 3; i++)
        buf_free(&c[i]);
    sample_free(&a);
    sample_free(&b);
    sample_free(&e);
}

/* eiw_container_walk (`eiw list`) counts what decoding counts, reading only the records: every
 * format version and mode, several blocks; a cut container is truncated. */
Test(container, walking_the_records_counts_what_decoding_counts)
{
    sample s = mixed_sample(40000, 5);
    eiw_options o[3];
    for (int i = 0; i < 3; i++) {
        eiw_options_default(&o[i]);
        o[i].block_size = 4096;
    }
    o[0].level = 1;
    o[1].level = 0;
    o[1].mode = EIW_MODE_WINDOWS;
    o[1].win.window_bits = 64;
    o[1].win.token_bits = 8;
    const eiw_model *m[3] = { NULL, eiw_model_builtin("order0"), eiw_model_builtin("order1") };
    for (int i = 0; i < 3; i++) {
        buf c, d;
        eiw_stats dec, walk;
        cr_assert_eq(compress_buf(s.data, s.len, m[i], &o[i], &c, NULL), EIW_OK);
        cr_assert_eq(decompress_buf(c.data, c.len, 1, &d, &dec), EIW_OK);
        FILE *in = open_mem(c.data, c.len);
        eiw_header h;
        cr_assert_eq(eiw_header_read(in, &h), EIW_OK);
        cr_assert_eq(eiw_container_walk(in, &h, &walk), EIW_OK);
        cr_assert_eq(eiw_header_read_next(in, &h), 0);
        fclose(in);
        cr_assert(memcmp(&walk, &dec, sizeof walk) == 0, "options %d", i);
        cr_assert_eq(walk.in_bytes, c.len);
        cr_assert_eq(walk.out_bytes, s.len);
        in = open_mem(c.data, c.len - 1);
        cr_assert_eq(eiw_header_read(in, &h), EIW_OK);
        cr_assert_eq(eiw_container_walk(in, &h, &walk), EIW_ERR_TRUNCATED);
        fclose(in);
        buf_free(&c);
        buf_free(&d);
    }
    sample_free(&s);
}

Test(container, other_model_than_header_is_refused)
{
    buf c = small_container(EIW_MODE_STREAM);
    FILE *in = open_mem(c.data, c.len);
    eiw_header h;
    cr_assert_eq(eiw_header_read(in, &h), EIW_OK);
    cr_assert_str_eq(h.model_name, eiw_model_builtin("order1")->name);
    cr_assert_eq(h.model_id, eiw_model_builtin("order1")->id);
    cr_assert_eq(eiw_decompress_body(in, NULL, &h, eiw_model_builtin("uniform"), NULL, NULL),
                 EIW_ERR_MODEL);
    fclose(in);
    buf_free(&c);
}

Test(container, each_method_is_chosen_where_it_wins)
{
    eiw_options o;
    eiw_options_default(&o);
    o.level = 0;   /* the model alone: format 1 */
    struct {
        const char *what;
        sample s;
        int method;
    } cases[3];
    cases[0].what = "random bytes";
    cases[0].s = sample_make("binary", 100000, 3);
    cases[0].method = EIW_METHOD_STORED;
    cases[1].what = "repeated binary pattern";
    cases[1].s = sample_make("binary", 200000, 4);
    for (size_t i = 64; i < cases[1].s.len; i++)
        cases[1].s.data[i] = cases[1].s.data[i % 64];
    cases[1].method = EIW_METHOD_ZSTD;
    cases[2].what = "prose";
    cases[2].s = make_sample("prose", 3000, 5);
    cases[2].method = EIW_METHOD_MODEL;
    for (int i = 0; i < 3; i++) {
        eiw_stats st;
        check_roundtrip(&cases[i].s, eiw_model_builtin("order1"), &o, &st);
        cr_assert_eq(st.blocks[cases[i].method], 1, "%s: method %d expected (stored %llu, "
                     "zstd %llu, model %llu)", cases[i].what, cases[i].method,
                     (unsigned long long)st.blocks[0], (unsigned long long)st.blocks[1],
                     (unsigned long long)st.blocks[2]);
        sample_free(&cases[i].s);
    }
}

/* Random data is stored: the container reaches the bound exactly, so the bound is tight. The
 * format-2 header (levels) is 4 bytes longer than format 1's. */
Test(container, expansion_bound_holds_for_random_data)
{
    static const size_t sizes[] = { 0, 1, 2, 100, 1023, 1024, 1025, 4096, 70001 };
    static const uint32_t blocks[] = { EIW_BLOCK_SIZE_MIN, 4096, EIW_BLOCK_SIZE_DEFAULT };
    const char *models[] = { "order1", "order0", "uniform", NULL };
    for (size_t m = 0; m < 4; m++)
        for (size_t b = 0; b < 3; b++)
            for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
                const eiw_model *mod = models[m] ? eiw_model_builtin(models[m]) : NULL;
                sample s = sample_make("binary", sizes[i], 17 + i);
                eiw_options o;
                eiw_options_default(&o);
                o.level = mod ? 0 : 1;   /* the model alone (format 1), or level 1 (format 2) */
                o.block_size = blocks[b];
                buf c;
                cr_assert_eq(compress_buf(s.data, s.len, mod, &o, &c, NULL), EIW_OK);
                const char *name = mod ? mod->name : "none";
                size_t bound = EIW_COMPRESS_BOUND(s.len, (size_t)blocks[b], strlen(name));
                cr_assert_leq(c.len, bound, "%zu bytes, block %u, %s: %zu > bound %zu", s.len,
                              blocks[b], name, c.len, bound);
                cr_assert_eq(c.len, eiw_compress_bound(s.len, mod, &o), "%zu bytes, block %u, %s",
                             s.len, blocks[b], name);
                buf_free(&c);
                sample_free(&s);
            }
}

/* ---- golden files: frozen outputs of format version 1 (scripts/make_golden.sh) ---- */

static const char *golden_files[] = { "stream.eiw", "windows_b16_t16.eiw", "windows_b64_t8.eiw" };

static buf read_golden(const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "tests/golden/%s", name);
    buf b;
    b.data = test_read_file(path, &b.len);
    cr_assert_not_null(b.data, "%s missing (run the tests from the tree root)", path);
    return b;
}

/* Each golden file holds a prefix of original.txt; its header records how long. */
static size_t golden_length(const buf *c, const buf *orig, eiw_header *h)
{
    FILE *in = open_mem(c->data, c->len);
    cr_assert_eq(eiw_header_read(in, h), EIW_OK);
    fclose(in);
    cr_assert(h->size_known, "golden files are made from files of known size");
    cr_assert_geq(h->original_size, 256);
    cr_assert_leq(h->original_size, orig->len);
    return (size_t)h->original_size;
}

Test(golden, files_still_decode_to_the_original)
{
    buf orig = read_golden("original.txt");
    for (size_t i = 0; i < sizeof golden_files / sizeof golden_files[0]; i++) {
        buf c = read_golden(golden_files[i]), d;
        eiw_header h;
        size_t n = golden_length(&c, &orig, &h);
        eiw_stats st;
        eiw_status s = decompress_buf(c.data, c.len, 1, &d, &st);
        cr_assert_eq(s, EIW_OK, "%s: %s", golden_files[i], eiw_strerror(s));
        cr_assert_eq(d.len, n, "%s", golden_files[i]);
        cr_assert(memcmp(d.data, orig.data, n) == 0, "%s", golden_files[i]);
        cr_assert_gt(st.blocks[EIW_METHOD_MODEL], 0, "%s exercises the model coder",
                     golden_files[i]);
        buf_free(&c);
        buf_free(&d);
    }
    buf_free(&orig);
}

Test(golden, compressing_the_original_again_gives_the_same_bytes)
{
    buf orig = read_golden("original.txt");
    for (size_t i = 0; i < sizeof golden_files / sizeof golden_files[0]; i++) {
        buf c = read_golden(golden_files[i]), again;
        /* Settings come from the golden header itself, so only the coding is compared. */
        eiw_header h;
        size_t n = golden_length(&c, &orig, &h);
        const eiw_model *m = eiw_model_builtin_by_id(h.model_id);
        cr_assert_not_null(m, "%s: model %s no longer built in", golden_files[i], h.model_name);
        eiw_options o;
        eiw_options_default(&o);
        o.level = 0;   /* the model alone: format 1 */
        o.mode = h.mode;
        o.win = h.win;
        o.block_size = h.block_size;
        cr_assert_eq(compress_buf(orig.data, n, m, &o, &again, NULL), EIW_OK);
        cr_assert_eq(again.len, c.len, "%s: %zu bytes now, %zu frozen", golden_files[i],
                     again.len, c.len);
        cr_assert(memcmp(again.data, c.data, c.len) == 0, "%s: bytes differ", golden_files[i]);
        buf_free(&c);
        buf_free(&again);
    }
    buf_free(&orig);
}

Test(golden, header_checksum_covers_the_model_id)
{
    /* The CLI tests rely on this to build a file for an unknown model; keep it honest. */
    buf c = read_golden("stream.eiw");
    FILE *in = open_mem(c.data, c.len);
    eiw_header h;
    cr_assert_eq(eiw_header_read(in, &h), EIW_OK);
    fclose(in);
    c.data[24] ^= 1;
    in = open_mem(c.data, c.len);
    cr_assert_eq(eiw_header_read(in, &h), EIW_ERR_CHECKSUM);
    fclose(in);
    size_t name_len = c.data[10];
    uint32_t sum = (uint32_t)XXH3_64bits(c.data, 32 + name_len);
    for (int k = 0; k < 4; k++)
        c.data[32 + name_len + (size_t)k] = (uint8_t)(sum >> (8 * k));
    in = open_mem(c.data, c.len);
    cr_assert_eq(eiw_header_read(in, &h), EIW_OK);
    cr_assert_null(eiw_model_builtin_by_id(h.model_id));
    fclose(in);
    buf_free(&c);
}

/* Version 3 is version 1 with the implicit window end (mode byte 2), and only that: the
 * version and the mode byte must agree (checksum made good, so the check itself is tested),
 * and a version above the newest is refused as newer, not as damaged. */
static eiw_status header_with(const char *golden, uint8_t version, uint8_t mode)
{
    buf c = read_golden(golden);
    c.data[4] = version;
    c.data[5] = mode;
    size_t name_len = c.data[10];
    uint32_t sum = (uint32_t)XXH3_64bits(c.data, 32 + name_len);
    for (int k = 0; k < 4; k++)
        c.data[32 + name_len + (size_t)k] = (uint8_t)(sum >> (8 * k));
    FILE *in = open_mem(c.data, c.len);
    eiw_header h;
    eiw_status st = eiw_header_read(in, &h);
    fclose(in);
    buf_free(&c);
    return st;
}

Test(golden, version_3_is_the_implicit_window_end_only)
{
    cr_assert_eq(header_with("windows_b16_t16.eiw", 1, 1), EIW_OK);   /* as written */
    cr_assert_eq(header_with("windows_b16_t16.eiw", 3, 2), EIW_OK);
    cr_assert_eq(header_with("windows_b16_t16.eiw", 1, 2), EIW_ERR_CORRUPT);
    cr_assert_eq(header_with("windows_b16_t16.eiw", 3, 1), EIW_ERR_CORRUPT);
    cr_assert_eq(header_with("stream.eiw", 3, 0), EIW_ERR_CORRUPT);
    cr_assert_eq(header_with("windows_b16_t16.eiw", EIW_FORMAT_VERSION + 1, 2), EIW_ERR_VERSION);
}
