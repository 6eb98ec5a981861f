/* eiw: neural text compression with Equal-Info Windows -- public C API.
 *
 * Conventions (zstd style): fallible functions return an eiw_status (0 = EIW_OK, negative =
 * error) or a size_t/ptrdiff_t whose negative values are errors. The library never prints,
 * exits or aborts on bad input; every byte read from outside (containers, model files) is
 * untrusted and validated. Whoever creates an object frees it; every *_free(NULL) is a no-op.
 * Thread-safety: models are immutable after creation and may be shared by any number of
 * threads; each thread uses its own model state, coder and container contexts. */
#ifndef EIW_H
#define EIW_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EIW_VERSION_STRING "0.6.0"   /* 0.2: compression levels; 0.3: the implicit window end;
                                     * 0.4: the tight window end; 0.5: the default M1 is
                                     * m1-202612 (M1 v2, broad text); m1-202611 stays built in;
                                     * 0.6: mixing revision 2 (container format 5) */

typedef enum {
    EIW_OK = 0,
    EIW_ERR_PARAM = -1,          /* invalid argument (programmer or command-line error) */
    EIW_ERR_NOMEM = -2,          /* allocation failed */
    EIW_ERR_DST_TOO_SMALL = -3,  /* output does not fit the given capacity */
    EIW_ERR_IO = -4,             /* read or write failed (see errno) */
    EIW_ERR_MAGIC = -5,          /* not an eiw container */
    EIW_ERR_VERSION = -6,        /* container from a newer, unsupported format version */
    EIW_ERR_TRUNCATED = -7,      /* data ends before the format says it should */
    EIW_ERR_CORRUPT = -8,        /* inconsistent structure (bad sizes, bad window, ...) */
    EIW_ERR_CHECKSUM = -9,       /* content checksum mismatch */
    EIW_ERR_MODEL = -10,         /* the data needs a model that is not the one given */
    EIW_ERR_MODEL_FILE = -11,    /* a model file is unreadable or invalid */
    EIW_ERR_AMBIGUOUS = -12,     /* no window of these bytes decodes unambiguously */
    EIW_ERR_TRAILING = -13       /* bytes after a container that do not start another one */
} eiw_status;
/* The trainer's statuses (eiw_train.h) are -100 and below: no value means two things. */

/* A static, human-readable description of a status code (of this header or of eiw_train.h).
 * Never NULL. */
const char *eiw_strerror(int status);

/* ---------------------------------------------------------------------------------------
 * Probability model interface: "next-byte distribution given the bytes since the last reset".
 *
 * A model is immutable and shareable. Per stream it uses a caller-owned state buffer of
 * `state_size` bytes (allocate once per stream, never per byte). The coder calls
 *   reset(state)                   -- start of a window / block: no context
 *   predict(states, n, weights)    -- next-byte weights for n independent streams at once
 *   advance(state, bytes, len)     -- append known bytes to one stream's context
 *   predict_run(state, bytes, len, weights) -- weights for each of len known bytes in turn
 *                                   (row i = distribution of bytes[i] given the context and
 *                                   bytes[0..i)), then advance over them. This is the
 *                                   "many positions in one call" entry point; NULL means the
 *                                   codec loops predict+advance.
 * Weights are 256 uint32 per stream, any scale, with 0 < sum <= 2^32 - 1 (an all-zero row is
 * treated as uniform). The codec quantizes them (eiw_quantize) so models never worry about
 * floors. Every function must be deterministic: the same calls give bit-identical weights on
 * every machine, build and thread count, or compressed files stop decoding. */
typedef struct eiw_model eiw_model;
typedef struct eiw_model_ops {
    void (*reset)(const eiw_model *m, void *state);
    void (*advance)(const eiw_model *m, void *state, const uint8_t *bytes, size_t len);
    void (*predict)(const eiw_model *m, void *const *states, size_t n, uint32_t *weights);
    void (*predict_run)(const eiw_model *m, void *state, const uint8_t *bytes, size_t len,
                        uint32_t *weights);
    void (*destroy)(eiw_model *m);  /* NULL for static built-in models */
    /* optional: predict_run for n streams at once (runs[i] of lens[i] bytes for states[i]);
     * stream i's rows start at weights + 256 * (lens[0] + ... + lens[i-1]) */
    void (*predict_runs)(const eiw_model *m, void *const *states, const uint8_t *const *runs,
                         const size_t *lens, size_t n, uint32_t *weights);
} eiw_model_ops;

#define EIW_MODEL_NAME_MAX 64
struct eiw_model {
    const eiw_model_ops *ops;
    char name[EIW_MODEL_NAME_MAX];   /* NUL-terminated, printable ASCII */
    uint64_t id;                     /* xxh3-64 of the model's defining bytes */
    size_t state_size;               /* bytes of per-stream state, >= 1 */
    size_t context;                  /* bytes of history it can use (0 = unbounded) */
    const void *impl;                /* model-private data */
    int builtin;                     /* nonzero: shared built-in, eiw_model_free is a no-op */
};

/* Built-in models (shared objects that live as long as the process; eiw_model_free on them
 * is a no-op). EIW_MODEL_DEFAULT_NAME: the trained neural M1 embedded in the library (the
 * default; M1 v2, trained on broad text). "m1-202611": the default of eiw 0.1 to 0.4 (M1 v1,
 * mostly novels), embedded too so that files made with it keep decoding. "order1": static
 * counts of (previous byte, byte) from English text. "order0": a static byte-frequency table.
 * "uniform": every byte equally likely. An embedded M1 is unpacked on first use; these return
 * NULL if that fails (out of memory). */
#define EIW_MODEL_DEFAULT_NAME "m1-202612"
const eiw_model *eiw_model_builtin(const char *name);   /* NULL if unknown */
const eiw_model *eiw_model_default(void);
const eiw_model *eiw_model_builtin_by_id(uint64_t id);  /* NULL if no built-in has this id */
/* Comma-separated list of built-in model names, for help texts. */
const char *eiw_model_builtin_names(void);
void eiw_model_free(const eiw_model *m);
/* A neural model from its serialized bytes (an .eiwm file: the integer M1 of
 * docs/m1_inference.md), validated as untrusted input. Its id is the xxh3-64 of the bytes.
 * Free with eiw_model_free. EIW_ERR_MODEL_FILE for invalid bytes. */
eiw_status eiw_model_from_bytes(const uint8_t *buf, size_t len, eiw_model **out);
/* Serializes the integer M1 made from a training checkpoint's float weights (a byte model with
 * vocab 257 and BOS 256, see eiw train): *out (malloc'd, caller frees) holds *len bytes of an
 * .eiwm file that eiw_model_from_bytes accepts. name: 1..31 printable characters.
 * EIW_ERR_MODEL_FILE for an unreadable/invalid checkpoint or an unsuitable model. Defined in
 * libeiw_train.a (eiw-train.pc), with the float checkpoints it reads: the codec library
 * libeiw.a needs no BLAS. */
eiw_status eiw_model_export_checkpoint(const char *ckpt_path, const char *name, uint8_t **out,
                                       size_t *len);

/* ---------------------------------------------------------------------------------------
 * Online context mixing (model/cm_model.c): adaptive models that learn from the block being
 * coded (hashed order-n, word, sparse and column contexts, a match model), optionally mixed
 * with a byte model's distribution (M1), predicting the 8 binary decisions of each byte.
 * A compression level (EIW_LEVEL_MIN..MAX) fixes the configuration; the level table is part of
 * the format. Integer arithmetic only: bit-identical on every machine, build and thread count.
 *
 * A block of n bytes is cut into `lanes` contiguous lanes of EIW_LANE_LEN(n, lanes) bytes (the
 * last may be shorter or empty); bytes are coded in the interleaved order byte t of lane 0, of
 * lane 1, ..., then t + 1. For every byte the caller calls byte_begin (with the byte model's
 * 256 weights for it, or NULL), then for each of the 8 bits, most significant first, p1 (the
 * probability of a 1 in 1..4095 out of 4096) and update with the bit. When update is given a
 * byte's last bit, buf[position of that byte] must already hold the byte. One object per
 * coding thread; it owns its tables (up to ~160 MB at levels 2-9, ~40 MB at level 1). */
#define EIW_LEVEL_MIN 1
#define EIW_LEVEL_MAX 9
#define EIW_LEVEL_DEFAULT 6
#define EIW_LANES_MAX 64
#define EIW_LANE_LEN(n, lanes) (((n) + (lanes) - 1) / (lanes))
typedef struct eiw_mix eiw_mix;
/* Nonzero if the level mixes a byte model (M1), zero for the adaptive models alone. */
int eiw_level_uses_model(int level);
/* The block size a level uses by default (each block is coded on its own; levels without a
 * model code several blocks at once, one per thread). */
uint32_t eiw_level_block_size(int level);
/* The mixing has revisions, each part of the format: 1 (format 2, eiw 0.2-0.5) and 2 (format
 * 5, eiw 0.6 on: more mixers). eiw_mix_new makes the newest; a decoder asks for the file's. */
#define EIW_MIX_REVISION 2
eiw_status eiw_mix_new(int level, eiw_mix **out);
eiw_status eiw_mix_new_revision(int level, int revision, eiw_mix **out);
/* Starts a block: forgets everything learned; buf holds (or, when decoding, will hold) the
 * block's n bytes. lanes: 1..EIW_LANES_MAX. */
eiw_status eiw_mix_start(eiw_mix *x, const uint8_t *buf, size_t n, unsigned lanes);
void eiw_mix_byte_begin(eiw_mix *x, unsigned lane, const uint32_t *weights);
unsigned eiw_mix_p1(eiw_mix *x);
void eiw_mix_update(eiw_mix *x, unsigned bit);
void eiw_mix_free(eiw_mix *x);

/* ---------------------------------------------------------------------------------------
 * Quantization: model weights -> coder frequencies summing to EIW_FREQ_TOTAL, every symbol
 * at least `floor_freq` (>= 1). Deterministic integer arithmetic. cum receives 257 entries
 * (cum[0] = 0, cum[256] = EIW_FREQ_TOTAL). */
#define EIW_FREQ_BITS 24
#define EIW_FREQ_TOTAL (1u << EIW_FREQ_BITS)
/* The first byte of a window is quantized to 13 bits (frequencies are multiples of
 * EIW_FLOOR_WINDOW_START, so p >= 2^-13): coded first, its interval is a whole number of aligned
 * 2^-13 blocks, so any single byte codes to at most 13 bits and always leaves room in the
 * smallest window (16 bits) for an unambiguous window end (proof in codec/code_windows.c). */
#define EIW_FLOOR_WINDOW_START 2048u
void eiw_quantize_window_start(const uint32_t weights[256], uint32_t freq[256],
                               uint32_t cum[257]);
/* Floor everywhere else (stream mode, later bytes of a window). */
#define EIW_FLOOR_DEFAULT 1u
void eiw_quantize(const uint32_t weights[256], uint32_t floor_freq, uint32_t freq[256],
                  uint32_t cum[257]);

/* ---------------------------------------------------------------------------------------
 * Equal-Info Windows. Each window codes to exactly window_bits bits (zero padded), the coder
 * and the model reset at every window, tokens are token_bits wide, MSB first. Windows are
 * byte aligned (window_bits is a multiple of token_bits, hence of 8). */
#define EIW_WINDOW_BITS_MIN 16
#define EIW_WINDOW_BITS_MAX 4096
/* How a window's end is found (codec/code_windows.c). The window is read as the interval
 * D = [W, W + 2^-b) of all codes that start with its b bits W, decoded from both ends until
 * they disagree. The implicit end (eiw 0.3): the window stops there. The tight end (the default
 * since eiw 0.4): it stops there if W is the block the implicit end would have chosen, and
 * otherwise takes one byte more, the one D's low end decodes to (more bytes per window, the
 * same guarantee that a window can always end). The marker end (eiw 0.1 to 0.2's windows): the
 * code, a 1 bit, then zeros. */
#define EIW_WINDOW_END_IMPLICIT 0u
#define EIW_WINDOW_END_MARKER 1u
#define EIW_WINDOW_END_TIGHT 2u
typedef struct {
    unsigned window_bits;   /* 16..4096, multiple of token_bits */
    unsigned token_bits;    /* 8 or 16 */
    unsigned end_rule;      /* EIW_WINDOW_END_TIGHT (the programs' default), _IMPLICIT (0) or
                             * _MARKER */
} eiw_window_params;
eiw_status eiw_window_params_check(const eiw_window_params *p);
/* An end rule's name ("implicit", "marker", "tight"; NULL for another value), and the rule of
 * a name (0: not one). */
const char *eiw_window_end_name(unsigned end_rule);
int eiw_window_end_parse(const char *name, unsigned *end_rule);

/* Encodes src[0..n) greedily into windows written to dst (window_bits/8 bytes each). A
 * window holds the longest prefix whose code can end so that the decoder stops exactly there
 * (p->end_rule; see codec/code_windows.c); a document's last window uses its byte count
 * instead (its shortest code, zero padded). Returns the number of bytes written (a multiple of window_bits/8), or a
 * negative eiw_status: EIW_ERR_DST_TOO_SMALL when the windows would exceed dst_cap,
 * EIW_ERR_AMBIGUOUS if a window cannot be ended at all (rare). If window_counts is not
 * NULL, it receives, per window, the number of source bytes it holds (capacity:
 * dst_cap / (window_bits/8) entries). state: model state buffer (state_size). */
ptrdiff_t eiw_windows_encode(const eiw_model *m, const eiw_window_params *p, void *state,
                             const uint8_t *src, size_t n, uint8_t *dst, size_t dst_cap,
                             uint32_t *window_counts);
/* eiw_windows_encode of count independent documents at once (states, srcs, ns, dsts, caps,
 * window_counts (may be NULL) per document; results[i] as eiw_windows_encode returns). The
 * documents advance in lockstep, so each model call covers many windows; the output of each
 * equals what eiw_windows_encode gives it alone. */
void eiw_windows_encode_many(const eiw_model *m, const eiw_window_params *p, size_t count,
                             void *const *states, const uint8_t *const *srcs, const size_t *ns,
                             uint8_t *const *dsts, const size_t *caps,
                             uint32_t *const *window_counts, ptrdiff_t *results);

/* Decodes ONE window (window_bits/8 bytes) on its own, with no side information: the bytes
 * whose window-ending code the window holds (see codec/code_windows.c), at most dst_cap. The
 * window must be exactly what the encoder writes for them (padding included), else
 * EIW_ERR_CORRUPT. If known_len >= 0, the window is the last
 * of its document and holds exactly known_len bytes (verified). Writes at most dst_cap bytes.
 * Returns the number of bytes, or a negative eiw_status (EIW_ERR_CORRUPT for bits that no
 * greedy encoder produces, EIW_ERR_DST_TOO_SMALL). */
ptrdiff_t eiw_window_decode(const eiw_model *m, const eiw_window_params *p, void *state,
                            const uint8_t *window, ptrdiff_t known_len, uint8_t *dst,
                            size_t dst_cap);

/* Decodes a sequence of windows that together hold exactly n bytes (a document or block).
 * Windows are decoded in lockstep groups with one state per window (allocated here), so each
 * model call covers many windows; `state` is not used and may be NULL. */
eiw_status eiw_windows_decode(const eiw_model *m, const eiw_window_params *p, void *state,
                              const uint8_t *src, size_t src_len, uint8_t *dst, size_t n);

/* ---------------------------------------------------------------------------------------
 * Stream mode: one coder stream, no windows, the model sees all preceding bytes it supports.
 * Encode returns bytes written or a negative status (EIW_ERR_DST_TOO_SMALL if over dst_cap).
 * Decode needs the exact byte count n; src may be shorter than the encoder's padding. */
ptrdiff_t eiw_stream_encode(const eiw_model *m, void *state, const uint8_t *src, size_t n,
                            uint8_t *dst, size_t dst_cap);
eiw_status eiw_stream_decode(const eiw_model *m, void *state, const uint8_t *src,
                             size_t src_len, uint8_t *dst, size_t n);
/* Decodes `count` independent streams (blocks) in lockstep, so every model call covers many of
 * them; each has its own state. status[i] receives each stream's result. */
void eiw_stream_decode_many(const eiw_model *m, size_t count, void *const *states,
                            const uint8_t *const *src, const size_t *src_len,
                            uint8_t *const *dst, const size_t *n, eiw_status *status);

/* ---------------------------------------------------------------------------------------
 * The .eiw container (byte layout: docs/format.md). A header, then independent blocks (each
 * the smallest of model coding, zstd or stored, with the xxh3-64 of its original bytes), then
 * an end record with the total size and the xxh3-64 of all original bytes. */
#define EIW_FORMAT_VERSION 5         /* the newest version written (2: compression levels,
                                      * 3: Equal-Info windows with the implicit end, 4: with
                                      * the tight end, 5: levels with mixing revision 2) */
#define EIW_BLOCK_SIZE_DEFAULT (1u << 20)        /* level 0 with a static model */
#define EIW_NEURAL_BLOCK_SIZE_DEFAULT (16u << 10)   /* level 0 with a neural model such as M1 */
#define EIW_THREADS_DEFAULT_MAX 8    /* eiw_options_default: online CPUs, at most this many */
#define EIW_LANES_DEFAULT 8
#define EIW_LANE_MIN_DEFAULT (16u << 10)
#define EIW_BLOCK_SIZE_MIN (1u << 10)
#define EIW_BLOCK_SIZE_MAX (1u << 26)
#define EIW_HEADER_SIZE_MAX (40 + EIW_MODEL_NAME_MAX)
#define EIW_BLOCK_HEADER_SIZE 17
#define EIW_END_RECORD_SIZE 17
/* Worst-case container size for n input bytes and a model name of name_len bytes (4, "none",
 * for a level that uses no model): never more than this, whatever the input (incompressible
 * blocks are stored). The header is 36 + name_len bytes in format 1, 40 + name_len in format 2;
 * the bound takes the larger. eiw_compress_bound computes it from options. */
#define EIW_COMPRESS_BOUND(n, block_size, name_len) \
    ((n) + 40 + (name_len) + EIW_END_RECORD_SIZE + \
     EIW_BLOCK_HEADER_SIZE * (((n) + (block_size) - 1) / (block_size)))

enum { EIW_MODE_STREAM = 0, EIW_MODE_WINDOWS = 1 };
/* EIW_METHOD_ADAPTIVE (format 2, a level with a model): a block that is not text, coded by the
 * level's adaptive models without the model (one lane), so it skips the slow neural model. */
enum { EIW_METHOD_STORED = 0, EIW_METHOD_ZSTD = 1, EIW_METHOD_MODEL = 2, EIW_METHOD_ADAPTIVE = 3,
       EIW_METHOD_END = 0xFF };

/* Options of compression (all fields) and decompression (threads and progress only; the rest
 * comes from the header). eiw_options_default gives what `eiw FILE` uses, so that the same
 * input, model and defaults give the same bytes through the library and the program: level
 * EIW_LEVEL_DEFAULT, stream mode, automatic block size, EIW_LANES_DEFAULT lanes of at least
 * EIW_LANE_MIN_DEFAULT bytes, zstd level 9, threads = online CPUs (at most
 * EIW_THREADS_DEFAULT_MAX). Set level = 0 for the model alone (format 1, as eiw 0.1). */
typedef struct {
    int mode;                    /* EIW_MODE_STREAM (default) or EIW_MODE_WINDOWS */
    eiw_window_params win;       /* windows mode only */
    uint32_t block_size;         /* EIW_BLOCK_SIZE_MIN..MAX, or 0 (the default): automatic,
                                  * see eiw_block_size_for */
    int threads;                 /* >= 1; output does not depend on it */
    int zstd_level;              /* level of the zstd fallback */
    /* Called after each block (may be NULL): bytes read and written so far. */
    void (*progress)(void *ctx, uint64_t in_bytes, uint64_t out_bytes);
    void *progress_ctx;
    int model_only;              /* keep model coding even where zstd is smaller (benchmarks
                                  * of the model itself); stored still replaces expansion */
    int level;                   /* 0: the model alone (format 1, stream or windows mode);
                                  * EIW_LEVEL_MIN..MAX: online context mixing (stream mode,
                                  * format 2), with the model where the level uses one */
    unsigned lanes;              /* levels: at most this many lanes per block (1..64) */
    uint32_t lane_min;           /* levels: a lane gets at least this many bytes (1K..64M,
                                  * a power of two) */
    int mix_revision;            /* levels: 0 (default) the newest (format 5); 1 the mixing of
                                  * eiw 0.2-0.5 (format 2, for readers of that age) */
} eiw_options;
void eiw_options_default(eiw_options *o);
/* The block size compression uses: o->block_size if not 0, else eiw_level_block_size at a
 * level > 0, EIW_NEURAL_BLOCK_SIZE_DEFAULT at level 0 with a neural model (m->context 64 to
 * 16K bytes), EIW_BLOCK_SIZE_DEFAULT otherwise (m may be NULL). */
uint32_t eiw_block_size_for(const eiw_model *m, const eiw_options *o);

typedef struct {
    unsigned version;
    int mode;
    eiw_window_params win;       /* zero in stream mode */
    uint32_t block_size;
    int size_known;
    uint64_t original_size;      /* valid when size_known */
    char model_name[EIW_MODEL_NAME_MAX];
    uint64_t model_id;           /* 0 with name "none": a level that uses no model */
    size_t header_bytes;
    int level;                   /* formats 2 and 5: the compression level; 0 otherwise */
    unsigned lanes;              /* formats 2 and 5: most lanes per block */
    uint32_t lane_min;           /* formats 2 and 5: least bytes per lane */
    int mix_revision;            /* with a level: 1 (format 2) or 2 (format 5) */
} eiw_header;

typedef struct {
    uint64_t in_bytes, out_bytes;
    uint64_t blocks[4];          /* per method: stored, zstd, model, adaptive (no model) */
    uint64_t windows;            /* windows written/read in model-coded blocks */
} eiw_stats;

/* A block record's 17-byte header (docs/format.md), checked against its container's header:
 * a method the container's version and level allow, sizes within the block size, a payload
 * that is the raw size exactly when stored and a whole number of windows in windows mode.
 * Returns EIW_OK or EIW_ERR_CORRUPT. The one parser of block records: decoding and
 * eiw_container_walk (`eiw list`, eiw_decompressed_size) use it. */
typedef struct {
    int method;                  /* EIW_METHOD_STORED .. EIW_METHOD_ADAPTIVE */
    uint32_t raw_size;           /* original bytes, 1..block size */
    uint32_t payload_size;       /* 1..raw_size */
    uint64_t hash;               /* xxh3-64 of the original bytes */
} eiw_block_record;
eiw_status eiw_block_record_parse(const eiw_header *h, const uint8_t rec[EIW_BLOCK_HEADER_SIZE],
                                  eiw_block_record *r);
/* What a container's records say, without decoding (as `eiw list` and `xz -l` show it): after
 * eiw_header_read (or eiw_header_read_next) read the header h from `in`, reads the block
 * records up to and including the end record; payloads are skipped (seeked over where `in` can
 * seek), not checked (`eiw test` decodes them). *stats receives what eiw_decompress_body would
 * count: in_bytes the container's length (header and end record included), out_bytes the
 * total that the end record declares (checked against the blocks and the header's size),
 * blocks per method, and windows. Errors: EIW_ERR_IO, EIW_ERR_TRUNCATED, EIW_ERR_CORRUPT.
 * Then eiw_header_read_next tells what follows. */
eiw_status eiw_container_walk(FILE *in, const eiw_header *h, eiw_stats *stats);

/* Compresses `in` to `out` (both already open; nothing is closed): one container. size_hint:
 * the input size if known (recorded in the header), or UINT64_MAX. o: NULL for
 * eiw_options_default. stats may be NULL. m may be NULL only for a level that uses no model. */
eiw_status eiw_compress_stream(FILE *in, FILE *out, const eiw_model *m, const eiw_options *o,
                               uint64_t size_hint, eiw_stats *stats);
/* Reads and validates the container header. */
eiw_status eiw_header_read(FILE *in, eiw_header *h);
/* Decodes the blocks after the header; out may be NULL (verify only). m must be the model the
 * header names (EIW_ERR_MODEL otherwise); it is not used (may be NULL) when the header's level
 * uses no model. o may be NULL (one thread, no progress). Every block and the whole content are
 * checksummed; on error, bytes already written to out must be discarded by the caller.
 * It reads exactly to the end of the container's end record and no further: what follows in
 * `in` is either nothing, another container (files concatenated, as `cat a.eiw b.eiw` makes,
 * which decode to the concatenation of their contents, like gzip, zstd and xz) or garbage; ask
 * eiw_header_read_next. stats->in_bytes counts the container's bytes, header included. */
eiw_status eiw_decompress_body(FILE *in, FILE *out, const eiw_header *h, const eiw_model *m,
                               const eiw_options *o, eiw_stats *stats);
/* After eiw_decompress_body succeeded: what follows. Returns 0 at the end of the input (nothing
 * follows; nothing is consumed), 1 when another container follows (its header is read into *h:
 * decode its body next), or a negative status: EIW_ERR_TRAILING when the bytes that follow do
 * not start with the container magic (trailing garbage, zero padding included), otherwise
 * eiw_header_read's errors for a damaged or truncated next header, EIW_ERR_IO. */
int eiw_header_read_next(FILE *in, eiw_header *h);

/* ---------------------------------------------------------------------------------------
 * Buffer to buffer (codec/buffer_api.c), as zstd's ZSTD_compress / ZSTD_decompress: the same
 * containers as the FILE* functions above, byte for byte. Both return the number of bytes
 * written to dst, or a negative eiw_status; they never write past dst + cap (bytes of dst
 * beyond the returned size may have been written when an error is returned). Thread-safe as
 * long as the buffers are not shared.
 *
 * eiw_compress: src[0..n) into one container. m: the byte model; NULL for the default model
 * (eiw_model_default) where the level uses one, as `eiw` does. o: NULL for eiw_options_default,
 * which gives exactly the bytes of `eiw -c FILE` (no option, EIW_MODEL unset) for a file of
 * these n bytes. EIW_ERR_DST_TOO_SMALL when cap < the container's size (eiw_compress_bound is
 * always enough). */
ptrdiff_t eiw_compress(void *dst, size_t cap, const void *src, size_t n, const eiw_model *m,
                       const eiw_options *o);
/* The most bytes eiw_compress writes for n input bytes with these model and options (the same
 * NULLs mean the same defaults; NULL m at a level that uses a model unpacks the default M1 to
 * learn its name). 0 for invalid options or a bound beyond SIZE_MAX. */
size_t eiw_compress_bound(size_t n, const eiw_model *m, const eiw_options *o);
/* eiw_decompress: the containers of src[0..n) (one, or several concatenated: their contents
 * are concatenated, as `eiw -d` does) into dst. m: NULL to take each container's model among
 * the built-in ones by the id its header records (eiw_model_builtin_by_id; EIW_ERR_MODEL if
 * none has it); otherwise the model every container that uses a model must name (a model
 * file's, say). o: only threads and progress are used (NULL: eiw_options_default). Errors as
 * eiw_decompress_body's, EIW_ERR_TRAILING for bytes after the last container that do not start
 * another, EIW_ERR_DST_TOO_SMALL when the content exceeds cap. */
ptrdiff_t eiw_decompress(void *dst, size_t cap, const void *src, size_t n, const eiw_model *m,
                         const eiw_options *o);
/* The size eiw_decompress would produce from src[0..n): the sum of the totals that the end
 * records of its containers declare, found by walking the headers and block records (as
 * `eiw list`; nothing is decoded, payloads are not checked, and the data is untrusted: bound
 * what you allocate). Every container's total is recorded, whether or not the compressor knew
 * the input size. Errors: eiw_header_read's, EIW_ERR_TRUNCATED, EIW_ERR_CORRUPT (records that
 * contradict each other), EIW_ERR_TRAILING. */
eiw_status eiw_decompressed_size(const void *src, size_t n, uint64_t *size);

#ifdef __cplusplus
}
#endif
#endif
