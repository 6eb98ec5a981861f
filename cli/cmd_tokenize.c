/* `eiw tokenize`: documents -> Equal-Info Windows token shards (Megatron .bin/.idx, eiw
 * sidecar .eiwd, JSON manifest; layouts in docs/tokenize.md). One pass over the inputs: a
 * shard's documents are gathered in memory, coded in parallel (data/doc_encode.c: segments
 * of every document at once, on threads and in lanes of batched model calls, stitched into
 * the windows of sequential coding) and written in input order, so the bytes never depend on
 * the thread count. With MPI (make MPI=1) every rank reads all inputs, a shard belongs to the
 * rank with the fewest bytes so far, and rank 0 writes the manifest from the sidecars. A shard
 * whose sidecar matches its input and files is skipped, which makes an interrupted run
 * resumable. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "cli/cli.h"
#include "data/doc_encode.h"
#include "data/docs.h"
#include "eiw.h"
#include "cli/file_io.h"
#include "cli/model_arg.h"
#include "cli/mpi_ranks.h"
#include "data/shard.h"
#include "common/byte_order.h"
#include "cli/tokenize_util.h"

#define THREADS_MAX 256
#define SHARD_SIZE_DEFAULT (64ull << 20)
#define MAX_RECORD_DEFAULT (64ull << 20)

typedef struct {
    const char *prefix;
    char *const *inputs;
    int ninputs;
    eiw_window_params wp;
    const char *model_arg;
    const eiw_model *m;
    int threads, strict, verbosity;
    uint64_t shard_size;
    eiw_docs_options dopt;
    uint8_t delim[256];
} tok_args;

/* A document of the shard being filled. */
typedef struct {
    size_t off, len;           /* in the shard's text buffer */
    uint64_t xxh3;
    uint32_t flags;
    const char *source;
    uint64_t line;
    uint8_t *tokens;           /* window bytes after coding */
    size_t tok_len;
    int status;                /* eiw_status of the coding */
} shard_doc;

typedef struct {
    shard_doc *docs;
    size_t ndocs, cap_docs;
    uint8_t *text;
    size_t text_len, text_cap;
    uint64_t bytes, bad;       /* document bytes, bad records */
} shard_buf;

typedef struct {
    tok_progress pr;
    uint64_t docs, bad, input_bytes, tokens;
} run_state;

static void usage(const char *fmt, ...)
{
    if (par_rank() != 0)
        return;
    va_list ap;
    fputs("eiw: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs(" (see 'eiw tokenize --help')\n", stderr);
}

static void print_help(void)
{
    printf("usage: eiw tokenize [OPTIONS] -o PREFIX INPUT...\n"
           "Codes documents into Equal-Info Windows token shards for LM training: PREFIX-NNNNN.bin\n"
           "and .idx (Megatron-LM / GPT-NeoX indexed dataset), PREFIX-NNNNN.eiwd (sidecar) and\n"
           "PREFIX.json (manifest). INPUT: text files, directories (recursive), JSON Lines\n"
           "(*.jsonl), each optionally .zst; '-' is stdin. A document is a text file or a record.\n\n"
           "  -o, --output PREFIX    output prefix (required)\n"
           "  --window-bits N        window size in bits (16..4096, default 16)\n"
           "  --token-bits 8|16      token size (default 16)\n"
           "  --model NAME|FILE      built-in model (%s) or a model file\n"
           "  -T, --threads N        worker threads (default: online CPUs, at most 8)\n"
           "  --shard-size SIZE      input bytes per shard, K/M/G suffixes (default 64M)\n"
           "  --format auto|text|jsonl  how to read inputs (auto: *.jsonl/*.ndjson are JSON Lines)\n"
           "  --text-field NAME      JSON Lines field with the text (default 'text')\n"
           "  --delimiter STR        split text files into documents at STR (C escapes: \\n \\t \\\\ \\xHH)\n"
           "  --max-record SIZE      longest document or JSON line (default 64M)\n"
           "  --check-utf8           text documents must be valid UTF-8 (JSON text always is)\n"
           "  --strict               a bad record is an error (default: counted, reported, skipped)\n"
           "  -q, --quiet            no progress line, no per-record messages\n"
           "  -v, --verbose          a line per shard\n"
           "  -h, --help             this help\n"
           "Shards already complete (sidecar, .bin and .idx match) are kept: rerun to resume.\n",
           eiw_model_builtin_names());
}

/* C escapes in a delimiter; returns the length or -1. */
static int parse_delimiter(const char *s, uint8_t *out, size_t cap)
{
    size_t n = 0;
    while (*s) {
        if (n == cap)
            return -1;
        if (*s != '\\') {
            out[n++] = (uint8_t)*s++;
            continue;
        }
        s++;
        switch (*s) {
        case 'n': out[n++] = '\n'; s++; break;
        case 't': out[n++] = '\t'; s++; break;
        case 'r': out[n++] = '\r'; s++; break;
        case '0': out[n++] = 0; s++; break;
        case '\\': out[n++] = '\\'; s++; break;
        case 'x': {
            unsigned v = 0;
            for (int i = 1; i <= 2; i++) {
                char c = s[i];
                unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0')
                             : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                             : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10) : 16u;
                if (d == 16)
                    return -1;
                v = v * 16 + d;
            }
            out[n++] = (uint8_t)v;
            s += 3;
            break;
        }
        default:
            return -1;
        }
    }
    return n ? (int)n : -1;
}

static int field_name_ok(const char *s)
{
    if (!*s || strlen(s) > 64)
        return 0;
    for (; *s; s++)
        if (*s < 0x20 || *s > 0x7e || *s == '"' || *s == '\\')
            return 0;
    return 1;
}

enum { OPT_WINDOW_BITS = 256, OPT_TOKEN_BITS, OPT_MODEL, OPT_SHARD_SIZE, OPT_FORMAT,
       OPT_TEXT_FIELD, OPT_DELIMITER, OPT_MAX_RECORD, OPT_CHECK_UTF8, OPT_STRICT };

static int parse_args(int argc, char **argv, tok_args *a)
{
    static const struct option longopts[] = {
        { "output", required_argument, NULL, 'o' },
        { "threads", required_argument, NULL, 'T' },
        { "quiet", no_argument, NULL, 'q' },
        { "verbose", no_argument, NULL, 'v' },
        { "help", no_argument, NULL, 'h' },
        { "window-bits", required_argument, NULL, OPT_WINDOW_BITS },
        { "token-bits", required_argument, NULL, OPT_TOKEN_BITS },
        { "model", required_argument, NULL, OPT_MODEL },
        { "shard-size", required_argument, NULL, OPT_SHARD_SIZE },
        { "format", required_argument, NULL, OPT_FORMAT },
        { "text-field", required_argument, NULL, OPT_TEXT_FIELD },
        { "delimiter", required_argument, NULL, OPT_DELIMITER },
        { "max-record", required_argument, NULL, OPT_MAX_RECORD },
        { "check-utf8", no_argument, NULL, OPT_CHECK_UTF8 },
        { "strict", no_argument, NULL, OPT_STRICT },
        { NULL, 0, NULL, 0 },
    };
    uint64_t v;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":o:T:qvh", longopts, NULL)) != -1) {
        switch (c) {
        case 'o': a->prefix = optarg; break;
        case 'q': a->verbosity = -1; break;
        case 'v': a->verbosity = 1; break;
        case 'h':
            if (par_rank() == 0)
                print_help();
            return EIW_EXIT_OK;
        case 'T':
            if (!cli_parse_size(optarg, THREADS_MAX, &v) || v < 1) {
                usage("--threads: '%s' is not a number from 1 to %d", optarg, THREADS_MAX);
                return EIW_EXIT_USAGE;
            }
            a->threads = (int)v;
            break;
        case OPT_WINDOW_BITS:
            if (!cli_parse_size(optarg, EIW_WINDOW_BITS_MAX, &v) || v < EIW_WINDOW_BITS_MIN) {
                usage("--window-bits: '%s' is not a number from %d to %d", optarg,
                      EIW_WINDOW_BITS_MIN, EIW_WINDOW_BITS_MAX);
                return EIW_EXIT_USAGE;
            }
            a->wp.window_bits = (unsigned)v;
            break;
        case OPT_TOKEN_BITS:
            if (strcmp(optarg, "8") != 0 && strcmp(optarg, "16") != 0) {
                usage("--token-bits: '%s' must be 8 or 16", optarg);
                return EIW_EXIT_USAGE;
            }
            a->wp.token_bits = (unsigned)atoi(optarg);
            break;
        case OPT_MODEL: a->model_arg = optarg; break;
        case OPT_SHARD_SIZE:
            if (!cli_parse_size(optarg, UINT64_MAX >> 1, &v) || v < 1) {
                usage("--shard-size: '%s' is not a size (e.g. 64M)", optarg);
                return EIW_EXIT_USAGE;
            }
            a->shard_size = v;
            break;
        case OPT_FORMAT:
            if (strcmp(optarg, "auto") == 0)
                a->dopt.format = EIW_DOCS_AUTO;
            else if (strcmp(optarg, "text") == 0)
                a->dopt.format = EIW_DOCS_TEXT;
            else if (strcmp(optarg, "jsonl") == 0)
                a->dopt.format = EIW_DOCS_JSONL;
            else {
                usage("--format: '%s' must be auto, text or jsonl", optarg);
                return EIW_EXIT_USAGE;
            }
            break;
        case OPT_TEXT_FIELD:
            if (!field_name_ok(optarg)) {
                usage("--text-field: '%s' must be 1 to 64 printable ASCII characters, no '\"' or '\\'",
                      optarg);
                return EIW_EXIT_USAGE;
            }
            a->dopt.text_field = optarg;
            break;
        case OPT_DELIMITER: {
            int n = parse_delimiter(optarg, a->delim, sizeof a->delim);
            if (n < 0) {
                usage("--delimiter: '%s' is empty, too long or has a bad escape", optarg);
                return EIW_EXIT_USAGE;
            }
            a->dopt.delimiter = a->delim;
            a->dopt.delimiter_len = (size_t)n;
            break;
        }
        case OPT_MAX_RECORD:
            if (!cli_parse_size(optarg, 1ull << 40, &v) || v < 1) {
                usage("--max-record: '%s' is not a size from 1 to 1T", optarg);
                return EIW_EXIT_USAGE;
            }
            a->dopt.max_record = (size_t)v;
            break;
        case OPT_CHECK_UTF8: a->dopt.check_utf8 = 1; break;
        case OPT_STRICT: a->strict = 1; break;
        case ':':
            usage("option '%s' needs a value", argv[optind - 1]);
            return EIW_EXIT_USAGE;
        default:
            if (optopt)
                usage("unknown option '-%c'", optopt);
            else
                usage("unknown option '%s'", argv[optind - 1]);
            return EIW_EXIT_USAGE;
        }
    }
    if (!a->prefix || !*a->prefix) {
        usage("'eiw tokenize' needs -o PREFIX");
        return EIW_EXIT_USAGE;
    }
    if (optind >= argc) {
        usage("'eiw tokenize' needs at least one INPUT ('-' for stdin)");
        return EIW_EXIT_USAGE;
    }
    if (eiw_window_params_check(&a->wp) != EIW_OK) {
        usage("--window-bits %u is not a multiple of the token size (%u bits)", a->wp.window_bits,
              a->wp.token_bits);
        return EIW_EXIT_USAGE;
    }
    a->inputs = argv + optind;
    a->ninputs = argc - optind;
    for (int i = 0; i < a->ninputs; i++)
        if (strcmp(a->inputs[i], "-") == 0 && par_size() > 1) {
            usage("stdin cannot be split across MPI ranks");
            return EIW_EXIT_USAGE;
        }
    return -1;
}

/* ------------------------------------------------------------------------------------------
 * Coding */

static void progress_cb(void *ctx, uint64_t bytes)
{
    tok_progress_add(ctx, bytes, 0);
}

static void encode_shard(const tok_args *a, shard_buf *sb, tok_progress *pr)
{
    size_t n = sb->ndocs;
    eiw_doc_job *jobs = calloc(n ? n : 1, sizeof *jobs);
    eiw_status st = EIW_ERR_NOMEM;
    if (jobs) {
        for (size_t i = 0; i < n; i++) {
            jobs[i].src = sb->docs[i].len ? sb->text + sb->docs[i].off : NULL;
            jobs[i].n = sb->docs[i].len;
        }
        eiw_doc_encode_options o = { a->threads, 0, 0, progress_cb, pr };
        st = eiw_docs_encode(a->m, &a->wp, jobs, n, &o);
    }
    for (size_t i = 0; i < n; i++) {
        sb->docs[i].status = st != EIW_OK ? st : jobs[i].status;
        sb->docs[i].tokens = st != EIW_OK ? NULL : jobs[i].out;
        sb->docs[i].tok_len = st != EIW_OK ? 0 : jobs[i].out_len;
    }
    free(jobs);
}

/* ------------------------------------------------------------------------------------------
 * Shard files */

static uint64_t shard_key(const tok_args *a, const shard_buf *sb, uint64_t shard)
{
    XXH3_state_t *h = XXH3_createState();
    if (!h)
        return 0;
    XXH3_64bits_reset(h);
    uint8_t head[32];
    put64(head, a->m->id);
    put64(head + 8, a->wp.window_bits);
    put64(head + 16, a->wp.token_bits);
    put64(head + 24, shard);
    XXH3_64bits_update(h, head, sizeof head);
    for (size_t i = 0; i < sb->ndocs; i++) {
        uint8_t rec[20];
        put64(rec, sb->docs[i].len);
        put64(rec + 8, sb->docs[i].xxh3);
        put32(rec + 16, sb->docs[i].flags);
        XXH3_64bits_update(h, rec, sizeof rec);
    }
    uint8_t tail[8];
    put64(tail, sb->bad);
    XXH3_64bits_update(h, tail, sizeof tail);
    uint64_t k = XXH3_64bits_digest(h);
    XXH3_freeState(h);
    return k;
}

/* Is the shard already complete with this key? Fills *sc from its sidecar if so. */
static int shard_done(const char *prefix, uint64_t shard, uint64_t key, const tok_args *a,
                      eiw_sidecar *sc)
{
    char path[TOK_PATH_MAX];
    tok_shard_path(path, prefix, shard, ".eiwd");
    size_t len;
    uint8_t *b = tok_read_all(path, &len, NULL);
    if (!b)
        return 0;
    eiw_status st = eiw_sidecar_parse(b, len, sc);
    free(b);
    if (st != EIW_OK)
        return 0;
    uint64_t h, size;
    int ok = sc->key == key && sc->model_id == a->m->id && sc->shard == shard &&
             sc->window_bits == a->wp.window_bits && sc->token_bits == a->wp.token_bits;
    tok_shard_path(path, prefix, shard, ".bin");
    ok = ok && tok_hash_file(path, &h, &size) == 0 && h == sc->bin_xxh3 && size == sc->bin_bytes;
    tok_shard_path(path, prefix, shard, ".idx");
    ok = ok && tok_hash_file(path, &h, &size) == 0 && h == sc->idx_xxh3;
    if (!ok)
        eiw_sidecar_free(sc);
    return ok;
}

/* Writes the three files of a coded shard (each atomically: .bin, .idx, then the sidecar that
 * marks the shard complete). Returns an exit status; prints errors. */
static int write_shard(const tok_args *a, shard_buf *sb, uint64_t shard, uint64_t key,
                       eiw_sidecar *sc)
{
    char path[TOK_PATH_MAX];
    size_t ok_docs = 0;
    uint64_t tokens = 0, ambiguous = 0;
    const unsigned tb = a->wp.token_bits / 8;
    for (size_t i = 0; i < sb->ndocs; i++)
        if (sb->docs[i].status == EIW_OK)
            ok_docs++;
    uint32_t *sizes = malloc((ok_docs ? ok_docs : 1) * sizeof *sizes);
    memset(sc, 0, sizeof *sc);
    sc->docs = malloc((ok_docs ? ok_docs : 1) * sizeof *sc->docs);
    XXH3_state_t *h = XXH3_createState();
    cli_out_file of;
    int rc = EIW_EXIT_ERROR, e;
    if (!sizes || !sc->docs || !h) {
        fprintf(stderr, "eiw: %s: %s\n", a->prefix, strerror(ENOMEM));
        goto done;
    }
    tok_shard_path(path, a->prefix, shard, ".bin");
    if ((e = cli_out_open(&of, path, 1, NULL)) != 0) {
        fprintf(stderr, "eiw: %s: %s\n", path, strerror(e));
        goto done;
    }
    XXH3_64bits_reset(h);
    size_t k = 0;
    for (size_t i = 0; i < sb->ndocs; i++) {
        shard_doc *d = &sb->docs[i];
        if (d->status != EIW_OK)
            continue;
        if (tb == 2)
            tok_swap16(d->tokens, d->tok_len);   /* MSB-first tokens -> little-endian uint16 */
        XXH3_64bits_update(h, d->tokens, d->tok_len);
        if (d->tok_len && fwrite(d->tokens, 1, d->tok_len, of.f) != d->tok_len)
            break;
        sizes[k] = (uint32_t)(d->tok_len / tb);
        sc->docs[k].bytes = d->len;
        sc->docs[k].xxh3 = d->xxh3;
        sc->docs[k].flags = d->flags;
        tokens += d->tok_len / tb;
        k++;
    }
    if (k != ok_docs || (e = cli_out_commit(&of, 1)) != 0) {
        e = k != ok_docs ? errno : e;
        if (k != ok_docs)
            cli_out_abort(&of);
        fprintf(stderr, "eiw: %s: %s\n", path, strerror(e ? e : EIO));
        goto done;
    }
    for (size_t i = 0; i < sb->ndocs; i++)
        ambiguous += sb->docs[i].status != EIW_OK;
    sc->window_bits = a->wp.window_bits;
    sc->token_bits = a->wp.token_bits;
    sc->model_id = a->m->id;
    sc->shard = shard;
    sc->ndocs = ok_docs;
    for (size_t i = 0; i < ok_docs; i++)
        sc->input_bytes += sc->docs[i].bytes;
    sc->tokens = tokens;
    sc->bad_records = sb->bad + ambiguous;
    sc->key = key;
    sc->bin_bytes = tokens * tb;
    sc->bin_xxh3 = XXH3_64bits_digest(h);
    uint8_t *idx = NULL, *side = NULL;
    size_t idx_len = 0, side_len = 0;
    eiw_status st = eiw_mmidx_build(tb == 1 ? EIW_MMIDX_UINT8 : EIW_MMIDX_UINT16, sizes, ok_docs,
                                    &idx, &idx_len);
    if (st == EIW_OK) {
        sc->idx_xxh3 = XXH3_64bits(idx, idx_len);
        st = eiw_sidecar_build(sc, &side, &side_len);
    }
    if (st != EIW_OK) {
        fprintf(stderr, "eiw: %s: %s\n", path, eiw_strerror(st));
    } else {
        tok_shard_path(path, a->prefix, shard, ".idx");
        if (tok_write_atomic(path, idx, idx_len) == 0) {
            tok_shard_path(path, a->prefix, shard, ".eiwd");
            if (tok_write_atomic(path, side, side_len) == 0)
                rc = EIW_EXIT_OK;
        }
    }
    free(idx);
    free(side);
done:
    free(sizes);
    XXH3_freeState(h);
    if (rc != EIW_EXIT_OK)
        eiw_sidecar_free(sc);
    return rc;
}

static void shard_reset(shard_buf *sb)
{
    for (size_t i = 0; i < sb->ndocs; i++)
        free(sb->docs[i].tokens);
    sb->ndocs = 0;
    sb->text_len = 0;
    sb->bytes = 0;
    sb->bad = 0;
}

/* Codes and writes (or skips) one finished shard. */
static int finish_shard(const tok_args *a, shard_buf *sb, uint64_t shard, run_state *rs)
{
    eiw_sidecar sc;
    uint64_t key = shard_key(a, sb, shard);
    int rc = EIW_EXIT_OK;
    if (shard_done(a->prefix, shard, key, a, &sc)) {
        tok_progress_add(&rs->pr, sb->bytes, 1);
        if (a->verbosity > 0) {
            tok_progress_clear(&rs->pr);
            fprintf(stderr, "eiw: %s-%05" PRIu64 ": complete already, kept\n", a->prefix, shard);
        }
    } else {
        encode_shard(a, sb, &rs->pr);
        int strict_fail = 0;
        for (size_t i = 0; i < sb->ndocs; i++) {
            shard_doc *d = &sb->docs[i];
            if (d->status == EIW_OK)
                continue;
            tok_progress_clear(&rs->pr);
            if (d->status == EIW_ERR_AMBIGUOUS) {
                if (a->verbosity >= 0 || a->strict)
                    fprintf(stderr, "eiw: %s:%" PRIu64 ": %s%s\n", d->source, d->line,
                            "no unambiguous window for this text",
                            a->strict ? "" : " (document skipped)");
                strict_fail |= a->strict;
            } else {
                fprintf(stderr, "eiw: %s:%" PRIu64 ": %s\n", d->source, d->line,
                        eiw_strerror(d->status));
                strict_fail = 1;
            }
        }
        if (strict_fail)
            rc = EIW_EXIT_ERROR;
        else
            rc = write_shard(a, sb, shard, key, &sc);
        if (rc == EIW_EXIT_OK && a->verbosity > 0) {
            tok_progress_clear(&rs->pr);
            fprintf(stderr, "eiw: %s-%05" PRIu64 ": %" PRIu64 " documents, %" PRIu64
                            " bytes -> %" PRIu64 " tokens\n",
                    a->prefix, shard, sc.ndocs, sc.input_bytes, sc.tokens);
        }
    }
    if (rc == EIW_EXIT_OK) {
        rs->docs += sc.ndocs;
        rs->tokens += sc.tokens;
        rs->input_bytes += sc.input_bytes;
        eiw_sidecar_free(&sc);
    }
    shard_reset(sb);
    return rc;
}

static int shard_add(shard_buf *sb, const eiw_doc *d, int keep_text)
{
    if (sb->ndocs == sb->cap_docs) {
        size_t nc = sb->cap_docs ? 2 * sb->cap_docs : 256;
        shard_doc *nd = realloc(sb->docs, nc * sizeof *nd);
        if (!nd)
            return -1;
        sb->docs = nd;
        sb->cap_docs = nc;
    }
    shard_doc *x = &sb->docs[sb->ndocs];
    memset(x, 0, sizeof *x);
    x->len = d->len;
    x->source = d->source;
    x->line = d->line;
    x->flags = d->delimited ? EIW_DOC_DELIMITED : 0;
    if (keep_text) {
        if (sb->text_len + d->len > sb->text_cap) {
            size_t nc = sb->text_cap ? sb->text_cap : (1u << 20);
            while (nc < sb->text_len + d->len)
                nc *= 2;
            uint8_t *nt = realloc(sb->text, nc);
            if (!nt)
                return -1;
            sb->text = nt;
            sb->text_cap = nc;
        }
        if (d->len)
            memcpy(sb->text + sb->text_len, d->data, d->len);
        x->off = sb->text_len;
        sb->text_len += d->len;
        x->xxh3 = XXH3_64bits(d->data, d->len);
    }
    sb->ndocs++;
    sb->bytes += d->len;
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Manifest (rank 0, after every shard exists) */

static int write_manifest(const tok_args *a, uint64_t nshards, int input_format)
{
    char path[TOK_PATH_MAX];
    tok_str js;
    tok_str_init(&js);
    uint64_t docs = 0, bad = 0, bytes = 0, tokens = 0;
    const unsigned tb = a->wp.token_bits / 8;
    tok_str shards;
    tok_str_init(&shards);
    int rc = EIW_EXIT_OK;
    for (uint64_t s = 0; s < nshards && rc == EIW_EXIT_OK; s++) {
        tok_shard_path(path, a->prefix, s, ".eiwd");
        size_t len;
        int err = 0;
        uint8_t *b = tok_read_all(path, &len, &err);
        eiw_sidecar sc;
        eiw_status st = b ? eiw_sidecar_parse(b, len, &sc) : EIW_ERR_IO;
        uint64_t side_h = b ? XXH3_64bits(b, len) : 0;
        free(b);
        if (st != EIW_OK) {
            fprintf(stderr, "eiw: %s: %s\n", path, st == EIW_ERR_IO ? strerror(err) : eiw_strerror(st));
            rc = EIW_EXIT_ERROR;
            break;
        }
        const char *base = strrchr(a->prefix, '/');
        base = base ? base + 1 : a->prefix;
        tok_str_printf(&shards,
                       "%s    {\"prefix\": \"%s-%05" PRIu64 "\", \"documents\": %" PRIu64
                       ", \"bad_records\": %" PRIu64 ", \"input_bytes\": %" PRIu64
                       ", \"tokens\": %" PRIu64 ", \"bin_bytes\": %" PRIu64
                       ", \"bin_xxh3\": \"%016" PRIx64 "\", \"idx_xxh3\": \"%016" PRIx64
                       "\", \"eiwd_xxh3\": \"%016" PRIx64 "\"}",
                       s ? ",\n" : "", base, s, sc.ndocs, sc.bad_records, sc.input_bytes,
                       sc.tokens, sc.bin_bytes, sc.bin_xxh3, sc.idx_xxh3, side_h);
        docs += sc.ndocs;
        bad += sc.bad_records;
        bytes += sc.input_bytes;
        tokens += sc.tokens;
        eiw_sidecar_free(&sc);
    }
    if (rc != EIW_EXIT_OK) {
        tok_str_free(&shards);
        return rc;
    }
    tok_str_printf(&js, "{\n  \"format\": \"eiw-tokens\",\n  \"format_version\": 1,\n");
    tok_str_printf(&js, "  \"eiw_version\": \"%s\",\n", EIW_VERSION_STRING);
    tok_str_printf(&js, "  \"shard_count\": %" PRIu64 ",\n", nshards);
    tok_str_printf(&js, "  \"window_bits\": %u,\n  \"token_bits\": %u,\n", a->wp.window_bits,
                   a->wp.token_bits);
    tok_str_printf(&js, "  \"dtype\": \"%s\",\n  \"megatron_dtype_code\": %d,\n",
                   tb == 1 ? "uint8" : "uint16", tb == 1 ? EIW_MMIDX_UINT8 : EIW_MMIDX_UINT16);
    tok_str_printf(&js, "  \"model\": {\"name\": \"");
    tok_str_json(&js, (const uint8_t *)a->m->name, strlen(a->m->name));
    tok_str_printf(&js, "\", \"id\": \"%016" PRIx64 "\"},\n", a->m->id);
    tok_str_printf(&js, "  \"input_format\": \"%s\",\n",
                   input_format == EIW_DOCS_JSONL ? "jsonl"
                   : input_format == EIW_DOCS_TEXT ? "text" : "mixed");
    tok_str_printf(&js, "  \"text_field\": \"%s\",\n",
                   a->dopt.text_field ? a->dopt.text_field : "text");
    tok_str_printf(&js, "  \"delimiter_hex\": \"");
    for (size_t i = 0; a->dopt.delimiter && i < a->dopt.delimiter_len; i++)
        tok_str_printf(&js, "%02x", a->dopt.delimiter[i]);
    tok_str_printf(&js, "\",\n  \"shard_size\": %" PRIu64 ",\n  \"max_record\": %zu,\n",
                   a->shard_size, a->dopt.max_record);
    tok_str_printf(&js, "  \"check_utf8\": %s,\n", a->dopt.check_utf8 ? "true" : "false");
    tok_str_printf(&js, "  \"inputs\": [");
    for (int i = 0; i < a->ninputs; i++) {
        tok_str_printf(&js, "%s\"", i ? ", " : "");
        tok_str_json(&js, (const uint8_t *)a->inputs[i], strlen(a->inputs[i]));
        tok_str_printf(&js, "\"");
    }
    tok_str_printf(&js, "],\n");
    tok_str_printf(&js, "  \"documents\": %" PRIu64 ",\n  \"bad_records\": %" PRIu64 ",\n",
                   docs, bad);
    tok_str_printf(&js, "  \"input_bytes\": %" PRIu64 ",\n  \"tokens\": %" PRIu64 ",\n", bytes,
                   tokens);
    tok_str_printf(&js, "  \"token_bytes\": %" PRIu64 ",\n", tokens * tb);
    double ratio = tokens ? (double)bytes / (double)(tokens * tb) : 0.0;
    tok_str_printf(&js, "  \"compression_ratio\": %.6f,\n", ratio);
    tok_str_printf(&js, "  \"bits_per_byte\": %.6f,\n",
                   bytes ? 8.0 * (double)(tokens * tb) / (double)bytes : 0.0);
    tok_str_printf(&js, "  \"bytes_per_token\": %.6f,\n",
                   tokens ? (double)bytes / (double)tokens : 0.0);
    tok_str_printf(&js, "  \"shards\": [\n%s\n  ]\n}\n", shards.s ? shards.s : "");
    tok_str_free(&shards);
    if (!js.s) {
        fprintf(stderr, "eiw: %s: %s\n", a->prefix, strerror(ENOMEM));
        return EIW_EXIT_ERROR;
    }
    snprintf(path, sizeof path, "%s.json", a->prefix);
    rc = tok_write_atomic(path, (const uint8_t *)js.s, js.len) == 0 ? EIW_EXIT_OK : EIW_EXIT_ERROR;
    tok_str_free(&js);
    return rc;
}

/* ------------------------------------------------------------------------------------------ */

static int tokenize(tok_args *a)
{
    int rc = cli_model_arg(a->model_arg, "--model", "tokenize", &a->m);
    if (rc != EIW_EXIT_OK)
        return rc;
    eiw_docs *r = NULL;
    const char *bad_path = NULL;
    eiw_status st = eiw_docs_open((const char *const *)a->inputs, (size_t)a->ninputs, &a->dopt,
                                  &r, &bad_path);
    if (st != EIW_OK) {
        if (par_rank() == 0)
            fprintf(stderr, "eiw: %s: %s\n", bad_path ? bad_path : a->prefix,
                    st == EIW_ERR_IO ? strerror(errno) : eiw_strerror(st));
        eiw_model_free(a->m);
        return EIW_EXIT_ERROR;
    }
    run_state rs;
    memset(&rs, 0, sizeof rs);
    tok_progress_init(&rs.pr, "tokenize", eiw_docs_total_is_exact(r) ? eiw_docs_total_bytes(r)
                                                                    : UINT64_MAX,
                      a->verbosity < 0 || par_rank() != 0);
    shard_buf sb;
    memset(&sb, 0, sizeof sb);
    uint64_t shard = 0;
    int full = 0;
    /* Shard k goes to the rank with the fewest bytes so far (lowest on ties): every rank sees
     * every shard's size, so all make the same choice, and uneven shards still balance. */
    uint64_t *load = calloc((size_t)par_size(), sizeof *load);
    int owner = 0;
    if (!load) {
        fprintf(stderr, "eiw: %s: %s\n", a->prefix, strerror(ENOMEM));
        rc = EIW_EXIT_ERROR;
    }
    for (; rc == EIW_EXIT_OK;) {
        eiw_doc d;
        int got = eiw_docs_next(r, &d);
        if (got < 0) {
            tok_progress_clear(&rs.pr);
            fprintf(stderr, "eiw: %s: %s\n", eiw_docs_source(r),
                    got == EIW_ERR_IO ? strerror(errno) : eiw_strerror(got));
            rc = EIW_EXIT_ERROR;
            break;
        }
        if (got == 1 && d.bad) {
            sb.bad++;
            rs.bad++;
            rs.pr.bad = rs.bad;
            if (par_rank() == owner && (a->verbosity >= 0 || a->strict)) {
                tok_progress_clear(&rs.pr);
                fprintf(stderr, "eiw: %s:%" PRIu64 ": %s%s\n", d.source, d.line, d.bad,
                        a->strict ? "" : " (skipped)");
            }
            if (a->strict) {
                rc = EIW_EXIT_ERROR;
                break;
            }
            continue;
        }
        /* A shard closes when the next document arrives (or at the end), so bad records
         * after its last document still count in it. */
        if (full && (got == 0 || got == 1)) {
            load[owner] += sb.bytes;
            if (par_rank() == owner)
                rc = finish_shard(a, &sb, shard, &rs);
            else {
                tok_progress_add(&rs.pr, sb.bytes, 1);
                shard_reset(&sb);
            }
            shard++;
            full = 0;
            for (int i = 0; i < par_size(); i++)
                owner = load[i] < load[owner] ? i : owner;
            if (rc != EIW_EXIT_OK)
                break;
        }
        if (got == 0) {
            if (sb.ndocs > 0 || sb.bad > 0 || shard == 0) {
                if (par_rank() == owner)
                    rc = finish_shard(a, &sb, shard, &rs);
                else
                    shard_reset(&sb);
                shard++;
            }
            break;
        }
        if (shard_add(&sb, &d, par_rank() == owner) != 0) {
            fprintf(stderr, "eiw: %s: %s\n", d.source, strerror(ENOMEM));
            rc = EIW_EXIT_ERROR;
            break;
        }
        if (sb.bytes >= a->shard_size)
            full = 1;
        tok_progress_show(&rs.pr);
    }
    free(load);
    tok_progress_clear(&rs.pr);
    int input_format = eiw_docs_format(r);
    eiw_docs_free(r);
    rc = par_max(rc);   /* any rank's failure fails all: no manifest over missing shards */
    if (rc == EIW_EXIT_OK && par_rank() == 0)
        rc = write_manifest(a, shard, input_format);
    if (rc == EIW_EXIT_OK && par_rank() == 0)
        tok_remove_stale_shards(a->prefix, shard);
    if (rc == EIW_EXIT_OK && par_rank() == 0 && a->verbosity > 0) {
        double secs = tok_progress_elapsed(&rs.pr);
        fprintf(stderr,
                "eiw: %s: %" PRIu64 " shards, %" PRIu64 " bad records; this process coded %" PRIu64
                " bytes in %.1f s (%.3f MB/s)\n",
                a->prefix, shard, rs.bad, rs.pr.coded, secs,
                secs > 0 ? (double)rs.pr.coded / secs / 1e6 : 0.0);
    }
    for (size_t i = 0; i < sb.ndocs; i++)
        free(sb.docs[i].tokens);
    free(sb.docs);
    free(sb.text);
    eiw_model_free(a->m);
    return rc;
}

int eiw_cli_tokenize(int argc, char **argv)
{
    par_init(&argc, &argv);
    tok_args a;
    memset(&a, 0, sizeof a);
    a.wp.window_bits = 16;
    a.wp.token_bits = 16;
    a.threads = cli_default_threads();
    a.shard_size = SHARD_SIZE_DEFAULT;
    a.dopt.max_record = MAX_RECORD_DEFAULT;
    a.dopt.text_field = "text";
    int rc = parse_args(argc, argv, &a);
    if (rc < 0) {
        cli_signals_install();
        rc = tokenize(&a);
    }
    par_finalize();
    return rc;
}
