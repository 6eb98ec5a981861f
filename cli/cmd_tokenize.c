/* `eiw tokenize`: documents -> Equal-Info Windows token shards (Megatron .bin/.idx, eiw
 * sidecar .eiwd, JSON manifest; layouts in docs/tokenize.md). This file holds the command:
 * its options, which rank codes which shard, and every message; data/ reads the documents
 * (docs.c), fills, codes and writes the shards (shard_buffer.c, dataset_writer.c) and the
 * manifest. One pass over the inputs: a shard's documents are gathered in memory, coded in
 * parallel and written in input order, so the bytes never depend on the thread count. With
 * MPI (make MPI=1) every rank reads all inputs, a shard belongs to the rank with the fewest
 * bytes so far, and rank 0 writes the manifest from the sidecars. A shard whose sidecar
 * matches its input and files is kept, which makes an interrupted run resumable. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/file_io.h"
#include "cli/model_arg.h"
#include "cli/mpi_ranks.h"
#include "cli/tokenize_progress.h"
#include "data/dataset_writer.h"
#include "data/docs.h"
#include "data/shard_buffer.h"
#include "eiw.h"

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

typedef struct {
    tok_progress pr;
    uint64_t docs, bad, input_bytes, tokens;
} run_state;

static void usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void usage(const char *fmt, ...)
{
    if (par_rank() != 0)
        return;   /* one message, not one per MPI rank */
    va_list ap;
    va_start(ap, fmt);
    cli_usagev("tokenize", fmt, ap);
    va_end(ap);
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
           "  --window-end RULE      tight (default), implicit (the windows of eiw 0.3) or\n"
           "                         marker (of eiw 0.2)\n"
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
       OPT_TEXT_FIELD, OPT_DELIMITER, OPT_MAX_RECORD, OPT_CHECK_UTF8, OPT_STRICT, OPT_WINDOW_END };

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
        { "window-end", required_argument, NULL, OPT_WINDOW_END },
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
            if (!cli_parse_threads(optarg, &a->threads)) {
                usage("--threads: '%s' is not a number from 1 to %d", optarg, CLI_THREADS_MAX);
                return EIW_EXIT_USAGE;
            }
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
        case OPT_WINDOW_END:
            if (!cli_parse_window_end(optarg, &a->wp.end_rule)) {
                usage("--window-end: '%s' must be tight, implicit or marker", optarg);
                return EIW_EXIT_USAGE;
            }
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
 * Shards: coded and written by data/, reported here */

static void progress_cb(void *ctx, uint64_t bytes)
{
    tok_progress_add(ctx, bytes, 0);
}

static int print_error(const eiw_dataset_error *e)
{
    fprintf(stderr, "eiw: %s: %s\n", e->path, e->what);
    return EIW_EXIT_ERROR;
}

/* Reports the documents that did not code; returns nonzero when that fails the run. */
static int report_failed_docs(const tok_args *a, const eiw_shard_buffer *sb, run_state *rs)
{
    int fail = 0;
    for (size_t i = 0; i < sb->ndocs; i++) {
        const eiw_shard_doc *d = &sb->docs[i];
        if (d->status == EIW_OK)
            continue;
        tok_progress_clear(&rs->pr);
        if (d->status == EIW_ERR_AMBIGUOUS) {
            if (a->verbosity >= 0 || a->strict)
                fprintf(stderr, "eiw: %s:%" PRIu64 ": %s%s\n", d->source, d->line,
                        "no unambiguous window for this text",
                        a->strict ? "" : " (document skipped)");
            fail |= a->strict;
        } else {
            fprintf(stderr, "eiw: %s:%" PRIu64 ": %s\n", d->source, d->line,
                    eiw_strerror(d->status));
            fail = 1;
        }
    }
    return fail;
}

/* Codes and writes (or keeps, when complete already) one finished shard. */
static int finish_shard(const tok_args *a, eiw_shard_buffer *sb, uint64_t shard, run_state *rs)
{
    const eiw_shard_settings set = { a->prefix, a->m, a->wp };
    eiw_sidecar sc;
    uint64_t key = eiw_shard_key(&set, sb, shard);
    int rc = EIW_EXIT_OK;
    if (eiw_shard_complete(&set, shard, key, &sc)) {
        tok_progress_add(&rs->pr, sb->bytes, 1);
        if (a->verbosity > 0) {
            tok_progress_clear(&rs->pr);
            fprintf(stderr, "eiw: %s-%05" PRIu64 ": complete already, kept\n", a->prefix, shard);
        }
    } else {
        eiw_shard_encode(&set, sb, a->threads, progress_cb, &rs->pr);
        eiw_dataset_error err;
        if (report_failed_docs(a, sb, rs))
            rc = EIW_EXIT_ERROR;
        else if (eiw_shard_write(&set, sb, shard, key, cli_write_file, NULL, &sc, &err) != EIW_OK)
            rc = print_error(&err);
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
    eiw_shard_buffer_reset(sb);
    return rc;
}

/* The manifest (rank 0, after every shard exists). */
static int write_manifest(const tok_args *a, uint64_t nshards, int input_format)
{
    eiw_manifest mf;
    memset(&mf, 0, sizeof mf);
    mf.shard_count = nshards;
    mf.window_bits = a->wp.window_bits;
    mf.token_bits = a->wp.token_bits;
    mf.window_end = a->wp.end_rule;
    snprintf(mf.model_name, sizeof mf.model_name, "%s", a->m->name);
    mf.model_id = a->m->id;
    snprintf(mf.input_format, sizeof mf.input_format, "%s",
             input_format == EIW_DOCS_JSONL ? "jsonl"
             : input_format == EIW_DOCS_TEXT ? "text" : "mixed");
    snprintf(mf.text_field, sizeof mf.text_field, "%s", a->dopt.text_field);
    if (a->dopt.delimiter)
        memcpy(mf.delimiter, a->dopt.delimiter, a->dopt.delimiter_len);
    mf.delimiter_len = a->dopt.delimiter ? a->dopt.delimiter_len : 0;
    mf.shard_size = a->shard_size;
    mf.max_record = a->dopt.max_record;
    mf.check_utf8 = a->dopt.check_utf8;
    mf.inputs = (const char *const *)a->inputs;
    mf.ninputs = (size_t)a->ninputs;
    eiw_dataset_error err;
    if (eiw_dataset_manifest_write(a->prefix, &mf, cli_write_file, NULL, &err) != EIW_OK)
        return print_error(&err);
    return EIW_EXIT_OK;
}

/* ------------------------------------------------------------------------------------------ */

/* Under MPI, shard k goes to the rank with the fewest bytes so far (lowest on ties): every rank
 * sees every shard's size, so all make the same choice, and uneven shards still balance. */
typedef struct {
    uint64_t *load;            /* bytes per rank */
    int owner;                 /* of the shard being filled */
} shard_owners;

/* Closes the shard being filled: its owner codes and writes it, the other ranks pass it by. */
static int close_shard(const tok_args *a, eiw_shard_buffer *sb, uint64_t shard, run_state *rs,
                       shard_owners *o)
{
    int rc = EIW_EXIT_OK;
    o->load[o->owner] += sb->bytes;
    if (par_rank() == o->owner) {
        rc = finish_shard(a, sb, shard, rs);
    } else {
        tok_progress_add(&rs->pr, sb->bytes, 1);
        eiw_shard_buffer_reset(sb);
    }
    for (int i = 0; i < par_size(); i++)
        o->owner = o->load[i] < o->load[o->owner] ? i : o->owner;
    return rc;
}

/* A bad record counts in the shard being filled; that shard's owner reports it. */
static int bad_record(const tok_args *a, const eiw_doc *d, eiw_shard_buffer *sb, run_state *rs,
                      int owner)
{
    sb->bad++;
    rs->bad++;
    rs->pr.bad = rs->bad;
    if (par_rank() == owner && (a->verbosity >= 0 || a->strict)) {
        tok_progress_clear(&rs->pr);
        fprintf(stderr, "eiw: %s:%" PRIu64 ": %s%s\n", d->source, d->line, d->bad,
                a->strict ? "" : " (skipped)");
    }
    return a->strict ? EIW_EXIT_ERROR : EIW_EXIT_OK;
}

/* Every document of the inputs into shards; *shards receives their count. */
static int shard_documents(const tok_args *a, eiw_docs *r, run_state *rs, uint64_t *shards)
{
    eiw_shard_buffer sb;
    memset(&sb, 0, sizeof sb);
    shard_owners o = { calloc((size_t)par_size(), sizeof *o.load), 0 };
    int rc = o.load ? EIW_EXIT_OK : EIW_EXIT_ERROR, full = 0;
    if (!o.load)
        fprintf(stderr, "eiw: %s: %s\n", a->prefix, strerror(ENOMEM));
    while (rc == EIW_EXIT_OK) {
        eiw_doc d;
        int got = eiw_docs_next(r, &d);
        if (got < 0) {
            tok_progress_clear(&rs->pr);
            fprintf(stderr, "eiw: %s: %s\n", eiw_docs_source(r),
                    got == EIW_ERR_IO ? strerror(errno) : eiw_strerror(got));
            rc = EIW_EXIT_ERROR;
            break;
        }
        if (got == 1 && d.bad) {
            rc = bad_record(a, &d, &sb, rs, o.owner);
            continue;
        }
        /* A shard closes when the next document arrives (or at the end), so bad records
         * after its last document still count in it. The last one may be empty when it is
         * the only one. */
        if (full || (got == 0 && (sb.ndocs > 0 || sb.bad > 0 || *shards == 0))) {
            rc = close_shard(a, &sb, (*shards)++, rs, &o);
            full = 0;
        }
        if (got == 0 || rc != EIW_EXIT_OK)
            break;
        if (eiw_shard_buffer_add(&sb, &d, par_rank() == o.owner) != EIW_OK) {
            fprintf(stderr, "eiw: %s: %s\n", d.source, strerror(ENOMEM));
            rc = EIW_EXIT_ERROR;
            break;
        }
        full = sb.bytes >= a->shard_size;
        tok_progress_show(&rs->pr);
    }
    free(o.load);
    eiw_shard_buffer_free(&sb);
    return rc;
}

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
    uint64_t shards = 0;
    rc = shard_documents(a, r, &rs, &shards);
    tok_progress_clear(&rs.pr);
    int input_format = eiw_docs_format(r);
    eiw_docs_free(r);
    rc = par_max(rc);   /* any rank's failure fails all: no manifest over missing shards */
    if (rc == EIW_EXIT_OK && par_rank() == 0)
        rc = write_manifest(a, shards, input_format);
    if (rc == EIW_EXIT_OK && par_rank() == 0)
        eiw_dataset_remove_shards_from(a->prefix, shards);
    if (rc == EIW_EXIT_OK && par_rank() == 0 && a->verbosity > 0) {
        double secs = tok_progress_elapsed(&rs.pr);
        fprintf(stderr,
                "eiw: %s: %" PRIu64 " shards, %" PRIu64 " bad records; this process coded %" PRIu64
                " bytes in %.1f s (%.3f MB/s)\n",
                a->prefix, shards, rs.bad, rs.pr.coded, secs,
                secs > 0 ? (double)rs.pr.coded / secs / 1e6 : 0.0);
    }
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
    a.wp.end_rule = EIW_WINDOW_END_TIGHT;
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
