/* The .eiw container: header, independent blocks, end record (layout in docs/format.md).
 * Each block is coded with the model, with zstd and stored, and the smallest wins, so no input
 * grows by more than EIW_COMPRESS_BOUND. Blocks are coded in parallel batches and written in
 * order, so the output never depends on the thread count. Everything read is validated. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>
#include <zstd.h>
#include "common/byte_order.h"
#include "codec/block_records.h"
#include "codec/code_mixed.h"
#include "eiw.h"

static const uint8_t magic[4] = { 0x89, 'E', 'I', 'W' };


/* The CLI's defaults (`eiw FILE`), so that the library and the program give the same bytes. */
void eiw_options_default(eiw_options *o)
{
    memset(o, 0, sizeof *o);
    o->mode = EIW_MODE_STREAM;
    o->win.window_bits = 16;
    o->win.token_bits = 16;
    o->win.end_rule = EIW_WINDOW_END_TIGHT;
    o->block_size = 0;   /* automatic: see eiw_block_size_for */
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    o->threads = cpus < 1 ? 1
                 : cpus > EIW_THREADS_DEFAULT_MAX ? EIW_THREADS_DEFAULT_MAX : (int)cpus;
    o->zstd_level = 9;
    o->level = EIW_LEVEL_DEFAULT;
    o->lanes = EIW_LANES_DEFAULT;
    o->lane_min = EIW_LANE_MIN_DEFAULT;
}

uint32_t eiw_block_size_for(const eiw_model *m, const eiw_options *o)
{
    if (o->block_size)
        return o->block_size;
    if (o->level > 0)
        return eiw_level_block_size(o->level);
    /* a neural model's context is a few hundred bytes: small blocks cost little ratio (about
     * 0.4% with M1) and let many blocks be coded in lockstep */
    if (m && m->context >= 64 && m->context < EIW_NEURAL_BLOCK_SIZE_DEFAULT)
        return EIW_NEURAL_BLOCK_SIZE_DEFAULT;
    return EIW_BLOCK_SIZE_DEFAULT;
}

/* The name and id a header records: the model's, or "none" for a level without one. */
static const char *model_name_of(const eiw_model *m, int level)
{
    return level > 0 && !eiw_level_uses_model(level) ? "none" : m->name;
}

static uint64_t model_id_of(const eiw_model *m, int level)
{
    return level > 0 && !eiw_level_uses_model(level) ? 0 : m->id;
}

/* The formats of the levels: version 2 holds mixing revision 1, version 5 revision 2. */
static int mix_revision_of(const eiw_options *o)
{
    return o->mix_revision ? o->mix_revision : EIW_MIX_REVISION;
}

static unsigned level_format_of(int revision) { return revision == 1 ? 2 : 5; }

static int level_format_revision(unsigned version)   /* 0: not a level format */
{
    return version == 2 ? 1 : version == 5 ? 2 : 0;
}

static int log2_exact(uint32_t v)
{
    for (int i = 0; i < 32; i++)
        if (v == 1u << i)
            return i;
    return -1;
}

/* Reads exactly n bytes unless EOF comes first; returns the count (short only at EOF/error). */
static size_t read_full(FILE *f, uint8_t *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        size_t r = fread(buf + got, 1, n - got, f);
        if (r == 0)
            break;
        got += r;
    }
    return got;
}

static eiw_status write_all(FILE *f, const void *buf, size_t n)
{
    if (f && n && fwrite(buf, 1, n, f) != n)
        return EIW_ERR_IO;
    return EIW_OK;
}

/* One block slot of a parallel batch: its input, its coded output and the model state. */
typedef struct {
    uint8_t *raw;        /* (block_size) */
    uint8_t *coded;      /* (EIW_BLOCK_HEADER_SIZE + block_size) */
    void *state;         /* (model->state_size) */
    size_t raw_len, coded_len;
    uint64_t windows;
    int method;
    eiw_status status;
} slot;

static void slots_free(slot *s, int n)
{
    for (int i = 0; s && i < n; i++) {
        free(s[i].raw);
        free(s[i].coded);
        free(s[i].state);
    }
    free(s);
}

static slot *slots_new(int n, uint32_t block_size, size_t state_size)
{
    slot *s = calloc((size_t)n, sizeof *s);
    if (!s)
        return NULL;
    for (int i = 0; i < n; i++) {
        s[i].raw = malloc(block_size);
        s[i].coded = malloc(EIW_BLOCK_HEADER_SIZE + (size_t)block_size);
        s[i].state = calloc(1, state_size ? state_size : 1);
        if (!s[i].raw || !s[i].coded || !s[i].state) {
            slots_free(s, n);
            return NULL;
        }
    }
    return s;
}

/* Blocks decoded together by one thread: a neural model advances them all with one batched
 * call per byte, so more blocks share each pass over the weights. But every block's key/value
 * caches (~0.75 MB for M1) are read at every step: with M1 on this project's Zen 5, 300 KB of
 * lcet10.txt decoded in 34.3 s of CPU one block at a time, 23.1 s with 2, 17.2-18.3 s with 4,
 * 20.7 s with 8 and 25.8 s with 32 blocks per group. Also bounded so that the buffers and
 * model states of all threads stay within about 128 MiB. */
#define GROUP_MAX 4
#define GROUP_MEMORY (128u << 20)

/* Finishes a block whose model coding gave r (bytes in the payload, or an error): keeps the
 * smallest of model / zstd / stored and writes the block header. */
static void compress_block_finish_as(const eiw_options *o, slot *s, ptrdiff_t r, int coded_as)
{
    const size_t n = s->raw_len;
    uint8_t *payload = s->coded + EIW_BLOCK_HEADER_SIZE;
    size_t best = n;           /* stored */
    int method = EIW_METHOD_STORED;
    if (r >= 0) {
        best = (size_t)r;
        method = coded_as;
        s->windows = o->mode == EIW_MODE_WINDOWS ? best / (o->win.window_bits / 8) : 0;
    } else if (r != EIW_ERR_DST_TOO_SMALL && r != EIW_ERR_AMBIGUOUS) {
        /* too big or not windowable: zstd or stored below; anything else is an error */
        s->status = (eiw_status)r;
        return;
    }
    /* zstd into the tail of the buffer only if it can still win. */
    if (best > 1 && !(o->model_only && method == EIW_METHOD_MODEL)) {
        uint8_t *tmp = malloc(best - 1);
        if (!tmp) {
            s->status = EIW_ERR_NOMEM;
            return;
        }
        size_t z = ZSTD_compress(tmp, best - 1, s->raw, n, o->zstd_level);
        if (!ZSTD_isError(z) && z < best) {
            memcpy(payload, tmp, z);
            best = z;
            method = EIW_METHOD_ZSTD;
            s->windows = 0;
        }
        free(tmp);
    }
    if (method == EIW_METHOD_STORED) {
        memcpy(payload, s->raw, n);
        s->windows = 0;
    }
    s->coded[0] = (uint8_t)method;
    put32(s->coded + 1, (uint32_t)n);
    put32(s->coded + 5, (uint32_t)best);
    put64(s->coded + 9, XXH3_64bits(s->raw, n));
    s->coded_len = EIW_BLOCK_HEADER_SIZE + best;
    s->method = method;
    s->status = EIW_OK;
}

static void compress_block_finish(const eiw_options *o, slot *s, ptrdiff_t r)
{
    compress_block_finish_as(o, s, r, EIW_METHOD_MODEL);
}

/* A block that is clearly not text: more than 1 in 64 of its bytes are control characters
 * other than tab, line and page breaks and escape. UTF-8 text passes; executables, images and
 * UTF-16 do not. */
static int looks_binary(const uint8_t *b, size_t n)
{
    size_t ctl = 0;
    for (size_t i = 0; i < n; i++)
        ctl += (b[i] < 0x20 && (b[i] < 0x09 || b[i] > 0x0D) && b[i] != 0x1B) || b[i] == 0x7F;
    return ctl > n / 64;
}

/* Compresses k consecutive blocks (one thread's share): windows of all of them in lockstep,
 * so a neural model evaluates many windows per pass; stream blocks one after another (each
 * stream is already evaluated many positions per pass). The result of every block is what
 * coding it alone gives. */
#define ENC_GROUP_MAX 16
static void compress_group(const eiw_model *m, const eiw_options *o, slot *s, int k)
{
    if (o->mode != EIW_MODE_WINDOWS) {
        for (int i = 0; i < k; i++)
            compress_block_finish(o, &s[i], eiw_stream_encode(m, s[i].state, s[i].raw, s[i].raw_len,
                                                              s[i].coded + EIW_BLOCK_HEADER_SIZE,
                                                              s[i].raw_len - 1));
        return;
    }
    void *states[ENC_GROUP_MAX] = { 0 };
    const uint8_t *srcs[ENC_GROUP_MAX] = { 0 };
    uint8_t *dsts[ENC_GROUP_MAX] = { 0 };
    size_t ns[ENC_GROUP_MAX] = { 0 }, caps[ENC_GROUP_MAX] = { 0 };
    ptrdiff_t res[ENC_GROUP_MAX];
    for (int i = 0; i < k; i++) {
        states[i] = s[i].state;
        srcs[i] = s[i].raw;
        ns[i] = s[i].raw_len;
        dsts[i] = s[i].coded + EIW_BLOCK_HEADER_SIZE;
        caps[i] = s[i].raw_len - 1;
    }
    eiw_windows_encode_many(m, &o->win, (size_t)k, states, srcs, ns, dsts, caps, NULL, res);
    for (int i = 0; i < k; i++)
        compress_block_finish(o, &s[i], res[i]);
}

static size_t header_encode(uint8_t *h, const eiw_model *m, const eiw_options *o, uint64_t size)
{
    const char *name = model_name_of(m, o->level);
    size_t name_len = strlen(name);
    memcpy(h, magic, 4);
    /* files without levels or newer window ends stay readable by format-1 readers */
    int win = o->mode == EIW_MODE_WINDOWS;
    h[4] = o->level > 0 ? (uint8_t)level_format_of(mix_revision_of(o))
           : win && o->win.end_rule == EIW_WINDOW_END_IMPLICIT ? 3
           : win && o->win.end_rule == EIW_WINDOW_END_TIGHT    ? 4
                                                               : 1;
    /* windows: 1 = marker end (as eiw 0.1-0.2 wrote them), 2 = implicit end, 3 = tight end */
    h[5] = (uint8_t)(!win ? o->mode
                     : o->win.end_rule == EIW_WINDOW_END_MARKER   ? 1
                     : o->win.end_rule == EIW_WINDOW_END_IMPLICIT ? 2
                                                                  : 3);
    put16(h + 6, o->mode == EIW_MODE_WINDOWS ? o->win.window_bits : 0);
    h[8] = (uint8_t)(o->mode == EIW_MODE_WINDOWS ? o->win.token_bits : 0);
    h[9] = size != UINT64_MAX ? 1 : 0;
    h[10] = (uint8_t)name_len;
    h[11] = 0;
    put32(h + 12, o->block_size);
    put64(h + 16, size != UINT64_MAX ? size : 0);
    put64(h + 24, model_id_of(m, o->level));
    memcpy(h + 32, name, name_len);
    size_t at = 32 + name_len;
    if (o->level > 0) {
        h[at] = (uint8_t)o->level;
        h[at + 1] = (uint8_t)(eiw_level_uses_model(o->level) ? o->lanes : 1);
        h[at + 2] = (uint8_t)log2_exact(o->lane_min);
        h[at + 3] = 0;
        at += 4;
    }
    put32(h + at, (uint32_t)XXH3_64bits(h, at));
    return at + 4;
}

static eiw_status options_check(const eiw_model *m, const eiw_options *o)
{
    if (o->level < 0 || o->level > EIW_LEVEL_MAX || o->threads < 1 ||
        o->block_size < EIW_BLOCK_SIZE_MIN || o->block_size > EIW_BLOCK_SIZE_MAX ||
        (o->mode != EIW_MODE_STREAM && o->mode != EIW_MODE_WINDOWS))
        return EIW_ERR_PARAM;
    if (o->level > 0) {
        int lm = log2_exact(o->lane_min);
        if (o->mode != EIW_MODE_STREAM || o->lanes < 1 || o->lanes > EIW_LANES_MAX ||
            lm < 10 || lm > 26 || o->mix_revision < 0 || o->mix_revision > EIW_MIX_REVISION)
            return EIW_ERR_PARAM;
        if (!eiw_level_uses_model(o->level))
            return EIW_OK;
    }
    if (!m)
        return EIW_ERR_PARAM;
    size_t name_len = strnlen(m->name, EIW_MODEL_NAME_MAX);
    if (name_len == 0 || name_len >= EIW_MODEL_NAME_MAX)
        return EIW_ERR_PARAM;
    if (o->mode == EIW_MODE_WINDOWS)
        return eiw_window_params_check(&o->win);
    return EIW_OK;
}

/* What the levels need beside the slots: context-mixing models and, for a level with a byte
 * model, one byte-model state per lane. With a byte model, blocks are coded one after another,
 * each with all the threads (the byte model's lanes are spread over them); without one, each
 * thread codes a block of its own with its own context-mixing model. */
#define MIX_THREADS_MAX 64
typedef struct {
    eiw_mix *mix[MIX_THREADS_MAX];   /* one per parallel block, made on first use */
    int level;
    int revision;                /* of the mixing (EIW_MIX_REVISION) */
    const eiw_model *m;          /* NULL when the level uses no model */
    void **states;               /* (lanes) */
    unsigned lanes_max;
    uint32_t lane_min;
    int threads;                 /* threads inside a block (byte model) */
    int parallel_blocks;         /* blocks coded at once (no byte model) */
} mixed_ctx;

static void mixed_free(mixed_ctx *c)
{
    if (c->states)
        for (unsigned k = 0; k < c->lanes_max; k++)
            free(c->states[k]);
    free(c->states);
    for (int i = 0; i < MIX_THREADS_MAX; i++)
        eiw_mix_free(c->mix[i]);
    memset(c, 0, sizeof *c);
}

static eiw_status mixed_new(mixed_ctx *c, const eiw_model *m, int level, int revision,
                            unsigned lanes, uint32_t lane_min, int threads)
{
    memset(c, 0, sizeof *c);
    c->level = level;
    c->revision = revision;
    c->m = eiw_level_uses_model(level) ? m : NULL;
    c->lanes_max = c->m ? lanes : 1;
    c->lane_min = lane_min;
    /* threads inside a block: the lanes move in lockstep, handing work from thread to thread
     * at every step, so a thread without a core of its own only delays the others */
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    c->threads = !c->m ? 1 : cpus >= 1 && threads > cpus ? (int)cpus : threads;
    c->parallel_blocks = c->m ? 1 : threads < MIX_THREADS_MAX ? threads : MIX_THREADS_MAX;
    if (c->m) {
        c->states = calloc(c->lanes_max, sizeof *c->states);
        if (!c->states) {
            mixed_free(c);
            return EIW_ERR_NOMEM;
        }
        for (unsigned k = 0; k < c->lanes_max; k++)
            if (!(c->states[k] = calloc(1, c->m->state_size))) {
                mixed_free(c);
                return EIW_ERR_NOMEM;
            }
    }
    return EIW_OK;
}

/* The context-mixing models for `count` blocks coded at once. */
static eiw_status mixed_models(mixed_ctx *c, int count)
{
    for (int i = 0; i < count && i < MIX_THREADS_MAX; i++)
        if (!c->mix[i]) {
            eiw_status st = eiw_mix_new_revision(c->level, c->revision, &c->mix[i]);
            if (st != EIW_OK)
                return st;
        }
    return EIW_OK;
}

static unsigned mixed_lanes_of(const mixed_ctx *c, size_t n)
{
    return c->m ? eiw_mixed_lanes(n, c->lanes_max, c->lane_min) : 1;
}

eiw_status eiw_compress_stream(FILE *in, FILE *out, const eiw_model *m, const eiw_options *opt,
                               uint64_t size_hint, eiw_stats *stats)
{
    eiw_options resolved;
    if (opt)
        resolved = *opt;
    else
        eiw_options_default(&resolved);
    resolved.block_size = eiw_block_size_for(m, &resolved);
    const eiw_options *o = &resolved;
    eiw_status st = options_check(m, o);
    if (st != EIW_OK)
        return st;
    eiw_stats local;
    eiw_stats *sx = stats ? stats : &local;
    memset(sx, 0, sizeof *sx);
    uint8_t hdr[EIW_HEADER_SIZE_MAX];
    size_t hlen = header_encode(hdr, m, o, size_hint);
    if ((st = write_all(out, hdr, hlen)) != EIW_OK)
        return st;
    sx->out_bytes = hlen;
    mixed_ctx mc;
    int mixed = o->level > 0;
    if (mixed && (st = mixed_new(&mc, m, o->level, mix_revision_of(o), o->lanes, o->lane_min,
                                 o->threads)) != EIW_OK)
        return st;

    /* windows with a neural model: each thread codes a group of blocks in lockstep */
    int group = 1;
    if (o->mode == EIW_MODE_WINDOWS && m->context > 0) {
        size_t per_block = 2u * (size_t)o->block_size + m->state_size;
        group = (int)(GROUP_MEMORY / ((size_t)o->threads * per_block));
        group = group < 1 ? 1 : group > ENC_GROUP_MAX ? ENC_GROUP_MAX : group;
    }
    const int threads = mixed ? mc.parallel_blocks : o->threads, nslot = threads * group;
    slot *s = slots_new(nslot, o->block_size, mixed ? 1 : m->state_size);
    XXH3_state_t *whole = s ? XXH3_createState() : NULL;
    if (!whole) {
        slots_free(s, nslot);
        if (mixed)
            mixed_free(&mc);
        return EIW_ERR_NOMEM;
    }
    XXH3_64bits_reset(whole);
    int eof = 0;
    while (!eof && st == EIW_OK) {
        int filled = 0;
        for (; filled < nslot && !eof; filled++) {
            s[filled].raw_len = read_full(in, s[filled].raw, o->block_size);
            if (ferror(in)) {
                st = EIW_ERR_IO;
                break;
            }
            if (s[filled].raw_len < o->block_size)
                eof = 1;
            if (s[filled].raw_len == 0)
                break;
        }
        if (st != EIW_OK)
            break;
        /* one contiguous share per thread; blocks are independent, so neither the shares
         * nor the scheduling can change the output */
        int per = (filled + threads - 1) / threads;
        if (mixed && (st = mixed_models(&mc, filled)) != EIW_OK)
            break;
        if (mixed) {
            /* one block per thread (several only without a byte model) */
            #pragma omp parallel for num_threads(filled) schedule(static, 1) if (filled > 1)
            for (int i = 0; i < filled; i++) {
                if (mc.m && looks_binary(s[i].raw, s[i].raw_len)) {
                    /* not text: the adaptive models alone, no model */
                    compress_block_finish_as(
                        o, &s[i],
                        eiw_mixed_encode(NULL, NULL, mc.mix[i], 1, s[i].raw, s[i].raw_len, 1,
                                         s[i].coded + EIW_BLOCK_HEADER_SIZE, s[i].raw_len - 1,
                                         NULL),
                        EIW_METHOD_ADAPTIVE);
                    continue;
                }
                unsigned lanes = mixed_lanes_of(&mc, s[i].raw_len);
                /* progress inside the block when it is the only one being coded */
                eiw_mixed_progress pr = { filled == 1 ? o->progress : NULL, o->progress_ctx,
                                          sx->in_bytes, sx->out_bytes };
                compress_block_finish(o, &s[i],
                                      eiw_mixed_encode(mc.m, mc.states, mc.mix[i], mc.threads,
                                                       s[i].raw, s[i].raw_len, lanes,
                                                       s[i].coded + EIW_BLOCK_HEADER_SIZE,
                                                       s[i].raw_len - 1, &pr));
            }
        } else {
            #pragma omp parallel for num_threads(threads) schedule(static, 1) if (filled > 1)
            for (int t = 0; t < threads; t++)
                if (t * per < filled)
                    compress_group(m, o, s + t * per,
                                   filled - t * per < per ? filled - t * per : per);
        }
        for (int i = 0; i < filled && st == EIW_OK; i++) {
            if ((st = s[i].status) != EIW_OK)
                break;
            XXH3_64bits_update(whole, s[i].raw, s[i].raw_len);
            st = write_all(out, s[i].coded, s[i].coded_len);
            sx->in_bytes += s[i].raw_len;
            sx->out_bytes += s[i].coded_len;
            sx->blocks[s[i].method]++;
            sx->windows += s[i].windows;
        }
        if (o->progress && st == EIW_OK)
            o->progress(o->progress_ctx, sx->in_bytes, sx->out_bytes);
    }
    if (st == EIW_OK && size_hint != UINT64_MAX && sx->in_bytes != size_hint)
        st = EIW_ERR_IO;   /* the file changed size while we read it */
    if (st == EIW_OK) {
        uint8_t end[EIW_END_RECORD_SIZE];
        end[0] = EIW_METHOD_END;
        put64(end + 1, sx->in_bytes);
        put64(end + 9, XXH3_64bits_digest(whole));
        st = write_all(out, end, sizeof end);
        sx->out_bytes += sizeof end;
    }
    XXH3_freeState(whole);
    slots_free(s, nslot);
    if (mixed)
        mixed_free(&mc);
    return st;
}

eiw_status eiw_header_read(FILE *in, eiw_header *h)
{
    uint8_t b[EIW_HEADER_SIZE_MAX];
    memset(h, 0, sizeof *h);
    size_t got = read_full(in, b, 32);
    if (ferror(in))
        return EIW_ERR_IO;
    if (got < 4 || memcmp(b, magic, 4) != 0)
        return got < 4 && memcmp(b, magic, got) == 0 && got > 0 ? EIW_ERR_TRUNCATED
                                                                  : EIW_ERR_MAGIC;
    if (b[4] == 0 || b[4] > EIW_FORMAT_VERSION)
        return got < 5 ? EIW_ERR_TRUNCATED : EIW_ERR_VERSION;
    if (got < 32)
        return EIW_ERR_TRUNCATED;
    size_t name_len = b[10];
    if (name_len == 0 || name_len >= EIW_MODEL_NAME_MAX)
        return EIW_ERR_CORRUPT;
    /* the level formats: level, lanes, log2 lane_min, reserved */
    size_t extra = level_format_revision(b[4]) ? 4 : 0;
    size_t at = 32 + name_len + extra;
    if (read_full(in, b + 32, name_len + extra + 4) != name_len + extra + 4)
        return ferror(in) ? EIW_ERR_IO : EIW_ERR_TRUNCATED;
    if (get32(b + at) != (uint32_t)XXH3_64bits(b, at))
        return EIW_ERR_CHECKSUM;
    h->version = b[4];
    h->mode = b[5] == 2 || b[5] == 3 ? EIW_MODE_WINDOWS : b[5];
    h->win.end_rule = b[5] == 1   ? EIW_WINDOW_END_MARKER
                      : b[5] == 3 ? EIW_WINDOW_END_TIGHT
                                  : EIW_WINDOW_END_IMPLICIT;
    h->win.window_bits = get16(b + 6);
    h->win.token_bits = b[8];
    h->size_known = b[9] & 1;
    h->block_size = get32(b + 12);
    h->original_size = get64(b + 16);
    h->model_id = get64(b + 24);
    memcpy(h->model_name, b + 32, name_len);
    h->model_name[name_len] = 0;
    h->header_bytes = at + 4;
    for (size_t i = 0; i < name_len; i++)
        if (b[32 + i] < 0x20 || b[32 + i] > 0x7E)
            return EIW_ERR_CORRUPT;
    if ((b[9] & ~1u) || b[11] || h->block_size < EIW_BLOCK_SIZE_MIN ||
        h->block_size > EIW_BLOCK_SIZE_MAX)
        return EIW_ERR_CORRUPT;
    if (extra) {
        const uint8_t *x = b + 32 + name_len;
        h->level = x[0];
        h->lanes = x[1];
        if (h->level < EIW_LEVEL_MIN || h->level > EIW_LEVEL_MAX || h->lanes < 1 ||
            h->lanes > EIW_LANES_MAX || x[2] < 10 || x[2] > 26 || x[3] || h->mode != EIW_MODE_STREAM)
            return EIW_ERR_CORRUPT;
        h->lane_min = 1u << x[2];
        h->mix_revision = level_format_revision(h->version);
        if (!eiw_level_uses_model(h->level) && (h->model_id != 0 || strcmp(h->model_name, "none")))
            return EIW_ERR_CORRUPT;
    }
    /* formats 3 and 4 are format 1 with the implicit (mode byte 2) and the tight (3) window
     * end, and only that */
    if ((b[5] == 2) != (h->version == 3) || (b[5] == 3) != (h->version == 4))
        return EIW_ERR_CORRUPT;
    if (h->mode == EIW_MODE_WINDOWS) {
        if (eiw_window_params_check(&h->win) != EIW_OK)
            return EIW_ERR_CORRUPT;
    } else if (h->mode != EIW_MODE_STREAM || h->win.window_bits || h->win.token_bits) {
        return EIW_ERR_CORRUPT;
    }
    return EIW_OK;
}


static void block_done(slot *s, eiw_status st)
{
    if (st == EIW_OK && XXH3_64bits(s->raw, s->raw_len) != get64(s->coded + 9))
        st = EIW_ERR_CHECKSUM;
    s->status = st;
}

static void decompress_block(const eiw_model *m, const eiw_header *h, slot *s)
{
    const uint8_t *payload = s->coded + EIW_BLOCK_HEADER_SIZE;
    size_t plen = get32(s->coded + 5);
    eiw_status st = EIW_OK;
    switch (s->method) {
    case EIW_METHOD_STORED:
        memcpy(s->raw, payload, s->raw_len);
        break;
    case EIW_METHOD_ZSTD: {
        size_t z = ZSTD_decompress(s->raw, s->raw_len, payload, plen);
        if (ZSTD_isError(z) || z != s->raw_len)
            st = EIW_ERR_CORRUPT;
        break;
    }
    default:
        st = h->mode == EIW_MODE_WINDOWS
            ? eiw_windows_decode(m, &h->win, s->state, payload, plen, s->raw, s->raw_len)
            : eiw_stream_decode(m, s->state, payload, plen, s->raw, s->raw_len);
        if (h->mode == EIW_MODE_WINDOWS)
            s->windows = plen / (h->win.window_bits / 8);
    }
    block_done(s, st);
}

/* Decodes a group of blocks: model-coded stream blocks together in lockstep (one model call
 * per step for all of them), the others one by one. */
static void decompress_group(const eiw_model *m, const eiw_header *h, slot *s, int k)
{
    void *states[GROUP_MAX];
    const uint8_t *src[GROUP_MAX];
    uint8_t *dst[GROUP_MAX];
    size_t src_len[GROUP_MAX], n[GROUP_MAX];
    eiw_status st[GROUP_MAX];
    int idx[GROUP_MAX], nb = 0;
    for (int i = 0; i < k; i++) {
        if (s[i].method != EIW_METHOD_MODEL || h->mode != EIW_MODE_STREAM) {
            decompress_block(m, h, &s[i]);
            continue;
        }
        idx[nb] = i;
        states[nb] = s[i].state;
        src[nb] = s[i].coded + EIW_BLOCK_HEADER_SIZE;
        src_len[nb] = get32(s[i].coded + 5);
        dst[nb] = s[i].raw;
        n[nb] = s[i].raw_len;
        nb++;
    }
    if (nb)
        eiw_stream_decode_many(m, (size_t)nb, states, src, src_len, dst, n, st);
    for (int b = 0; b < nb; b++)
        block_done(&s[idx[b]], st[b]);
}

/* Reads one block record into a slot. Returns 1 for a block, 0 for the end record (its bytes
 * into end), or a status. */
static int read_block(FILE *in, const eiw_header *h, slot *s, uint8_t end[EIW_END_RECORD_SIZE])
{
    eiw_block_record r;
    int k = eiw_record_read(in, h, s->coded, &r, s->coded + EIW_BLOCK_HEADER_SIZE);
    if (k == 0)
        memcpy(end, s->coded, EIW_END_RECORD_SIZE);
    if (k != 1)
        return k;
    s->method = r.method;
    s->raw_len = r.raw_size;
    s->coded_len = EIW_BLOCK_HEADER_SIZE + r.payload_size;
    return 1;
}

eiw_status eiw_decompress_body(FILE *in, FILE *out, const eiw_header *h, const eiw_model *m,
                               const eiw_options *o, eiw_stats *stats)
{
    const int mixed = h->level > 0, uses_model = !mixed || eiw_level_uses_model(h->level);
    if (uses_model && (!m || m->id != h->model_id))
        return EIW_ERR_MODEL;
    eiw_stats local;
    eiw_stats *sx = stats ? stats : &local;
    memset(sx, 0, sizeof *sx);
    sx->in_bytes = h->header_bytes;
    const int want_threads = o && o->threads > 0 ? o->threads : 1;
    mixed_ctx mc;
    memset(&mc, 0, sizeof mc);
    eiw_status st = EIW_OK;
    if (mixed)
        st = mixed_new(&mc, m, h->level, h->mix_revision, h->lanes, h->lane_min,
                       want_threads);
    const int threads = mixed ? (mc.parallel_blocks ? mc.parallel_blocks : 1) : want_threads;
    const size_t state_size = mixed || !m ? 1 : m->state_size;
    /* per thread a group of up to GROUP_MAX blocks, all within about GROUP_MEMORY */
    size_t per_block = 2u * (size_t)h->block_size + state_size;
    int group = (int)(GROUP_MEMORY / ((size_t)threads * per_block));
    group = group < 1 || mixed ? 1 : group > GROUP_MAX ? GROUP_MAX : group;
    const int nslot = threads * group;
    slot *s = slots_new(nslot, h->block_size, state_size);
    XXH3_state_t *whole = XXH3_createState();
    if (st == EIW_OK && (!s || !whole))
        st = EIW_ERR_NOMEM;
    uint8_t end[EIW_END_RECORD_SIZE];
    int at_end = 0, short_block_seen = 0;
    if (whole)
        XXH3_64bits_reset(whole);
    while (st == EIW_OK && !at_end) {
        int filled = 0;
        while (filled < nslot) {
            int r = read_block(in, h, &s[filled], end);
            if (r < 0) {
                st = (eiw_status)r;
                break;
            }
            if (r == 0) {
                at_end = 1;
                break;
            }
            /* Only the last block may be shorter than block_size. */
            if (short_block_seen) {
                st = EIW_ERR_CORRUPT;
                break;
            }
            if (s[filled].raw_len < h->block_size)
                short_block_seen = 1;
            filled++;
        }
        /* the filled slots split into one contiguous group per thread (fixed, so output never
         * depends on scheduling; it never depends on grouping either: blocks are independent) */
        int per = (filled + threads - 1) / threads;
        if (mixed) {
            /* (also when a read failed above: the blocks read so far are still decoded) */
            eiw_status ms = mixed_models(&mc, filled);
            if (ms != EIW_OK) {
                st = ms;
                break;
            }
        }
        if (mixed) {
            #pragma omp parallel for num_threads(filled) schedule(static, 1) if (filled > 1)
            for (int i = 0; i < filled; i++) {
                if (s[i].method == EIW_METHOD_ADAPTIVE) {
                    block_done(&s[i], eiw_mixed_decode(NULL, NULL, mc.mix[i], 1,
                                                       s[i].coded + EIW_BLOCK_HEADER_SIZE,
                                                       get32(s[i].coded + 5), s[i].raw,
                                                       s[i].raw_len, 1, NULL));
                    continue;
                }
                if (s[i].method != EIW_METHOD_MODEL) {
                    decompress_block(m, h, &s[i]);
                    continue;
                }
                eiw_mixed_progress pr = { filled == 1 && o ? o->progress : NULL,
                                          o ? o->progress_ctx : NULL, sx->in_bytes,
                                          sx->out_bytes };
                block_done(&s[i], eiw_mixed_decode(mc.m, mc.states, mc.mix[i], mc.threads,
                                                   s[i].coded + EIW_BLOCK_HEADER_SIZE,
                                                   get32(s[i].coded + 5), s[i].raw, s[i].raw_len,
                                                   mixed_lanes_of(&mc, s[i].raw_len), &pr));
            }
        } else {
            #pragma omp parallel for num_threads(threads) schedule(static, 1) if (filled > 1)
            for (int t = 0; t < threads; t++)
                if (t * per < filled)
                    decompress_group(m, h, s + t * per,
                                     filled - t * per < per ? filled - t * per : per);
        }
        for (int i = 0; i < filled && st == EIW_OK; i++) {
            if ((st = s[i].status) != EIW_OK)
                break;
            XXH3_64bits_update(whole, s[i].raw, s[i].raw_len);
            st = write_all(out, s[i].raw, s[i].raw_len);
            sx->in_bytes += s[i].coded_len;
            sx->out_bytes += s[i].raw_len;
            sx->blocks[s[i].method]++;
            sx->windows += s[i].windows;
        }
        if (o && o->progress && st == EIW_OK)
            o->progress(o->progress_ctx, sx->in_bytes, sx->out_bytes);
    }
    if (st == EIW_OK) {
        sx->in_bytes += EIW_END_RECORD_SIZE;
        st = eiw_end_record_check(h, end, sx->out_bytes);
        if (st == EIW_OK && get64(end + 9) != XXH3_64bits_digest(whole))
            st = EIW_ERR_CHECKSUM;
        /* what follows (another container, or garbage) is left unread: eiw_header_read_next */
    }
    if (whole)
        XXH3_freeState(whole);
    slots_free(s, nslot);
    mixed_free(&mc);
    return st;
}

int eiw_header_read_next(FILE *in, eiw_header *h)
{
    memset(h, 0, sizeof *h);
    int c = fgetc(in);
    if (c == EOF)
        return ferror(in) ? EIW_ERR_IO : 0;
    if (ungetc(c, in) == EOF)
        return EIW_ERR_IO;
    eiw_status st = eiw_header_read(in, h);
    if (st == EIW_ERR_MAGIC)
        return EIW_ERR_TRAILING;
    return st == EIW_OK ? 1 : st;
}
