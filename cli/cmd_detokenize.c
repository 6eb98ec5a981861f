/* `eiw detokenize` and `eiw inspect`: read token shards written by `eiw tokenize` back.
 * data/token_dataset.c checks every shard before use (sidecar checksum, xxh3 of .bin and
 * .idx, the index against the .bin) and every decoded document against its recorded xxh3, so
 * a damaged or mismatched dataset is an error, never wrong text. Documents of a shard are
 * decoded in parallel and written in order. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "cli/cli.h"
#include "data/docs.h"
#include "eiw.h"
#include "cli/file_io.h"
#include "cli/model_arg.h"
#include "data/jsonl.h"
#include "data/token_dataset.h"


static int print_error(const eiw_dataset_error *e)
{
    fprintf(stderr, "eiw: %s: %s\n", e->path, e->what);
    return EIW_EXIT_ERROR;
}

/* A getopt error ('?' or ':') of either command. */
static int bad_option(const char *cmd, int c, char **argv)
{
    if (c == ':')
        cli_usage(cmd, "option '%s' needs a value", argv[optind - 1]);
    else
        cli_usage(cmd, "unknown option '%s'", argv[optind - 1]);
    return EIW_EXIT_USAGE;
}

/* After the options: the one PREFIX and its manifest. */
static int dataset_arg(const char *cmd, int argc, char **argv, const char **prefix,
                       eiw_manifest *mf)
{
    if (optind != argc - 1) {
        cli_usage(cmd, "'eiw %s' needs exactly one PREFIX", cmd);
        return EIW_EXIT_USAGE;
    }
    *prefix = argv[optind];
    eiw_dataset_error err;
    if (eiw_dataset_manifest_load(*prefix, mf, &err) != EIW_OK)
        return print_error(&err);
    return EIW_EXIT_OK;
}

/* The model of the dataset: --model (must have the recorded id) or the built-in one. */
static int dataset_model(const char *cmd, const char *arg, const eiw_manifest *mf,
                         const char *prefix, const eiw_model **m)
{
    const eiw_model *given = NULL;
    int rc = arg ? cli_model_arg(arg, "--model", cmd, &given) : EIW_EXIT_OK;
    char where[EIW_DATASET_PATH_MAX];
    snprintf(where, sizeof where, "%s.json", prefix);
    if (rc == EIW_EXIT_OK)
        rc = cli_model_recorded(where, "tokenized", mf->model_name, mf->model_id, given, arg, m);
    if (rc != EIW_EXIT_OK)
        eiw_model_free(given);
    return rc;
}

/* ------------------------------------------------------------------------------------------ */

static int write_doc(FILE *f, int jsonl, const eiw_manifest *mf, const uint8_t *text, size_t n,
                     uint32_t flags)
{
    if (!jsonl) {
        if (n && fwrite(text, 1, n, f) != n)
            return -1;
        if ((flags & EIW_DOC_DELIMITED) && mf->delimiter_len &&
            fwrite(mf->delimiter, 1, mf->delimiter_len, f) != mf->delimiter_len)
            return -1;
        return 0;
    }
    char *line;
    size_t len;
    if (eiw_jsonl_record(mf->text_field, text, n, &line, &len) != EIW_OK) {
        errno = ENOMEM;   /* the text is UTF-8: checked before */
        return -1;
    }
    int rc = fwrite(line, 1, len, f) == len ? 0 : -1;
    free(line);
    return rc;
}

typedef struct {
    const char *prefix;
    const eiw_manifest *mf;
    const eiw_model *m;
    int threads, jsonl;
    FILE *out;
    const char *out_name;
    uint64_t docs, bytes;      /* written so far */
} detok_run;

/* Decodes shard s (its documents in parallel) and writes the documents in order. */
static int detokenize_shard(detok_run *r, uint64_t s)
{
    eiw_shard_data d;
    eiw_dataset_error err;
    if (eiw_shard_load(r->prefix, r->mf, s, 1, &d, &err) != EIW_OK)
        return print_error(&err);
    size_t n = (size_t)d.sc.ndocs;
    uint8_t **texts = calloc(n ? n : 1, sizeof *texts);
    eiw_status *sts = calloc(n ? n : 1, sizeof *sts);
    int rc = EIW_EXIT_OK;
    if (!texts || !sts) {
        fprintf(stderr, "eiw: %s: %s\n", r->prefix, strerror(ENOMEM));
        rc = EIW_EXIT_ERROR;
        n = 0;
    }
#pragma omp parallel for num_threads(r->threads) schedule(dynamic, 1)
    for (size_t i = 0; i < n; i++)
        texts[i] = eiw_shard_doc_decode(&d, r->mf, r->m, i, &sts[i]);
    for (size_t i = 0; i < n && rc == EIW_EXIT_OK; i++) {
        const eiw_sidecar_doc *doc = &d.sc.docs[i];
        if (sts[i] != EIW_OK) {
            char path[EIW_DATASET_PATH_MAX];
            eiw_shard_path(path, r->prefix, s, ".bin");
            fprintf(stderr, "eiw: %s: document %zu: %s\n", path, i, eiw_strerror(sts[i]));
            rc = EIW_EXIT_ERROR;
        } else if (r->jsonl && eiw_utf8_check(texts[i], doc->bytes) >= 0) {
            fprintf(stderr, "eiw: %s: document %" PRIu64 " is not UTF-8 text; use --format text\n",
                    r->prefix, r->docs + i);
            rc = EIW_EXIT_ERROR;
        } else if (write_doc(r->out, r->jsonl, r->mf, texts[i], doc->bytes, doc->flags) != 0) {
            fprintf(stderr, "eiw: %s: write error: %s\n", r->out_name, strerror(errno));
            rc = EIW_EXIT_ERROR;
        }
        r->bytes += doc->bytes;
    }
    for (size_t i = 0; i < n; i++)
        free(texts[i]);
    r->docs += n;
    free(texts);
    free(sts);
    eiw_shard_data_free(&d);
    return rc;
}

int eiw_cli_detokenize(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "output", required_argument, NULL, 'o' }, { "force", no_argument, NULL, 'f' },
        { "threads", required_argument, NULL, 'T' }, { "quiet", no_argument, NULL, 'q' },
        { "verbose", no_argument, NULL, 'v' },       { "help", no_argument, NULL, 'h' },
        { "format", required_argument, NULL, 'F' },  { "model", required_argument, NULL, 'M' },
        { NULL, 0, NULL, 0 },
    };
    const char *output = NULL, *model_arg = NULL, *format = NULL;
    int force = 0, threads = cli_default_threads(), verbosity = 0, c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":o:fT:qvh", longopts, NULL)) != -1) {
        switch (c) {
        case 'o': output = optarg; break;
        case 'f': force = 1; break;
        case 'q': verbosity = -1; break;
        case 'v': verbosity = 1; break;
        case 'M': model_arg = optarg; break;
        case 'F':
            if (strcmp(optarg, "text") != 0 && strcmp(optarg, "jsonl") != 0) {
                cli_usage("detokenize", "--format: '%s' must be text or jsonl", optarg);
                return EIW_EXIT_USAGE;
            }
            format = optarg;
            break;
        case 'T':
            if (!cli_parse_threads(optarg, &threads)) {
                cli_usage("detokenize", "--threads: '%s' is not a number from 1 to %d", optarg,
                          CLI_THREADS_MAX);
                return EIW_EXIT_USAGE;
            }
            break;
        case 'h':
            printf("usage: eiw detokenize [OPTIONS] PREFIX\n"
                   "Decodes the token shards of PREFIX (from 'eiw tokenize') back to the documents\n"
                   "and checks each against its recorded xxh3.\n\n"
                   "  -o, --output FILE  write to FILE (default: standard output)\n"
                   "  -f, --force        overwrite FILE\n"
                   "  --format text|jsonl  text: the documents as they were read (with their\n"
                   "                     delimiters: text inputs come back byte for byte);\n"
                   "                     jsonl: one {\"FIELD\": text} per line (default: the\n"
                   "                     manifest's input format)\n"
                   "  --model NAME|FILE  model file, when the dataset's model is not built in\n"
                   "  -T, --threads N    worker threads (default: online CPUs, at most 8)\n"
                   "  -q, --quiet        no messages except errors\n"
                   "  -v, --verbose      a summary line\n"
                   "  -h, --help         this help\n");
            return EIW_EXIT_OK;
        default:
            return bad_option("detokenize", c, argv);
        }
    }
    const char *prefix;
    eiw_manifest mf;
    int arg_rc = dataset_arg("detokenize", argc, argv, &prefix, &mf);
    if (arg_rc != EIW_EXIT_OK)
        return arg_rc;
    const eiw_model *m;
    int rc = dataset_model("detokenize", model_arg, &mf, prefix, &m);
    if (rc != EIW_EXIT_OK)
        return rc;
    int jsonl = format ? strcmp(format, "jsonl") == 0 : strcmp(mf.input_format, "jsonl") == 0;
    cli_signals_install();
    cli_out_file of;
    FILE *out = stdout;
    const char *out_name = "stdout";
    memset(&of, 0, sizeof of);
    if (output && strcmp(output, "-") != 0) {
        int e = cli_out_open(&of, output, force, NULL);
        if (e) {
            fprintf(stderr, "eiw: %s: %s\n", output,
                    e == EEXIST ? "already exists (use -f to overwrite)" : strerror(e));
            eiw_model_free(m);
            return EIW_EXIT_ERROR;
        }
        out = of.f;
        out_name = output;
    }
    detok_run run = { prefix, &mf, m, threads, jsonl, out, out_name, 0, 0 };
    for (uint64_t s = 0; s < mf.shard_count && rc == EIW_EXIT_OK; s++)
        rc = detokenize_shard(&run, s);
    if (of.f) {
        if (rc != EIW_EXIT_OK) {
            cli_out_abort(&of);
        } else {
            int e = cli_out_commit(&of, force);
            if (e) {
                fprintf(stderr, "eiw: %s: %s\n", output,
                        e == EEXIST ? "already exists (use -f to overwrite)" : strerror(e));
                rc = EIW_EXIT_ERROR;
            }
        }
    } else if (rc == EIW_EXIT_OK && (fflush(stdout) != 0 || ferror(stdout))) {
        fprintf(stderr, "eiw: stdout: %s\n", strerror(errno));
        rc = EIW_EXIT_ERROR;
    }
    if (rc == EIW_EXIT_OK && verbosity > 0)
        fprintf(stderr, "eiw: %s: %" PRIu64 " documents, %" PRIu64 " bytes, all checksums match\n",
                prefix, run.docs, run.bytes);
    eiw_model_free(m);
    return rc;
}

/* ------------------------------------------------------------------------------------------ */

/* Window j of document i, decoded on its own, to stdout. */
static int print_window(const eiw_shard_data *d, const eiw_manifest *mf, const eiw_model *m,
                        uint64_t i, uint64_t j, const char *what)
{
    const size_t cap = 1u << 16 | 1u;   /* a window decodes to at most 65536 bytes */
    uint8_t *out = malloc(cap);
    uint64_t nw = 0;
    ptrdiff_t r = out ? eiw_shard_window_decode(d, mf, m, i, j, out, cap, &nw) : EIW_ERR_NOMEM;
    int rc = EIW_EXIT_ERROR;
    if (r < 0 && j >= nw && r != EIW_ERR_NOMEM)
        fprintf(stderr, "eiw: %s: document has %" PRIu64 " windows\n", what, nw);
    else if (r < 0)
        fprintf(stderr, "eiw: %s: %s\n", what, eiw_strerror((int)r));
    else if ((r && fwrite(out, 1, (size_t)r, stdout) != (size_t)r) || fflush(stdout) != 0)
        fprintf(stderr, "eiw: stdout: %s\n", strerror(errno));
    else
        rc = EIW_EXIT_OK;
    free(out);
    return rc;
}

/* Document i of a loaded shard, decoded and checked, to stdout. */
static int print_doc(const char *prefix, const eiw_shard_data *d, const eiw_manifest *mf,
                     const eiw_model *m, uint64_t i, const char *what)
{
    eiw_status st;
    uint8_t *t = eiw_shard_doc_decode(d, mf, m, i, &st);
    if (!t) {
        fprintf(stderr, "eiw: %s: %s: %s\n", prefix, what, eiw_strerror(st));
        return EIW_EXIT_ERROR;
    }
    size_t n = (size_t)d->sc.docs[i].bytes;
    int rc = EIW_EXIT_OK;
    if ((n && fwrite(t, 1, n, stdout) != n) || fflush(stdout) != 0) {
        fprintf(stderr, "eiw: stdout: %s\n", strerror(errno));
        rc = EIW_EXIT_ERROR;
    }
    free(t);
    return rc;
}

/* `inspect --doc I [--window J]` and `inspect --window J`: document I (counted over all
 * shards), window J of it, or window J of the whole dataset, to stdout. */
static int inspect_piece(const char *prefix, const eiw_manifest *mf, const eiw_model *m,
                         uint64_t doc, uint64_t window)
{
    const unsigned wtok = mf->window_bits / mf->token_bits;
    uint64_t base_doc = 0, base_win = 0;
    int found = 0, rc = EIW_EXIT_OK;
    for (uint64_t s = 0; s < mf->shard_count && !found && rc == EIW_EXIT_OK; s++) {
        eiw_shard_data d;
        eiw_dataset_error err;
        if (eiw_shard_load(prefix, mf, s, 1, &d, &err) != EIW_OK)
            return print_error(&err);
        for (uint64_t i = 0; i < d.sc.ndocs && !found; i++) {
            uint64_t nw = (uint64_t)d.ix.sizes[i] / wtok;
            char what[64];
            if (doc != UINT64_MAX && base_doc + i == doc) {
                found = 1;
                snprintf(what, sizeof what, "document %" PRIu64, doc);
                rc = window != UINT64_MAX ? print_window(&d, mf, m, i, window, what)
                                          : print_doc(prefix, &d, mf, m, i, what);
            } else if (doc == UINT64_MAX && window >= base_win && window < base_win + nw) {
                found = 1;
                snprintf(what, sizeof what, "window %" PRIu64, window);
                rc = print_window(&d, mf, m, i, window - base_win, what);
            }
            base_win += nw;
        }
        base_doc += d.sc.ndocs;
        eiw_shard_data_free(&d);
    }
    if (found || rc != EIW_EXIT_OK)
        return rc;
    if (doc != UINT64_MAX)
        fprintf(stderr, "eiw: %s: no document %" PRIu64 " (%" PRIu64 " documents)\n", prefix, doc,
                base_doc);
    else
        fprintf(stderr, "eiw: %s: no window %" PRIu64 " (%" PRIu64 " windows)\n", prefix, window,
                base_win);
    return EIW_EXIT_ERROR;
}

/* `inspect PREFIX`: the dataset's statistics. */
static int inspect_stats(const char *prefix, const eiw_manifest *mf)
{
    eiw_dataset_stats st;
    eiw_dataset_error err;
    if (eiw_dataset_stats_read(prefix, mf, &st, &err) != EIW_OK)
        return print_error(&err);
    const unsigned tb = mf->token_bits / 8, wtok = mf->window_bits / mf->token_bits;
    uint64_t tbytes = st.tokens * tb, windows = st.tokens / wtok;
    printf("%s:\n", prefix);
    printf("  model               %s (id %016" PRIx64 ")\n", mf->model_name, mf->model_id);
    printf("  windows             %u bits, tokens %u bits (%s)\n", mf->window_bits, mf->token_bits,
           tb == 1 ? "uint8" : "uint16");
    printf("  shards              %" PRIu64 "\n", mf->shard_count);
    printf("  documents           %" PRIu64 "\n", st.documents);
    printf("  bad records         %" PRIu64 " (skipped)\n", st.bad_records);
    printf("  bytes               %" PRIu64 "\n", st.input_bytes);
    printf("  tokens              %" PRIu64 " (%" PRIu64 " bytes)\n", st.tokens, tbytes);
    if (st.input_bytes && st.tokens) {
        double bytes = (double)st.input_bytes;
        printf("  bytes/token         %.4f\n", bytes / (double)st.tokens);
        printf("  tokens/byte         %.4f\n", (double)st.tokens / bytes);
        printf("  bits/byte           %.4f (ratio %.3f)\n", 8.0 * (double)tbytes / bytes,
               bytes / (double)tbytes);
    }
    printf("  windows             %" PRIu64 "\n", windows);
    if (st.documents)
        printf("  windows/document    min %" PRIu64 ", mean %.1f, max %" PRIu64 "\n",
               st.windows_min, (double)windows / (double)st.documents, st.windows_max);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "eiw: stdout: %s\n", strerror(errno));
        return EIW_EXIT_ERROR;
    }
    return EIW_EXIT_OK;
}

int eiw_cli_inspect(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "doc", required_argument, NULL, 'd' },    { "window", required_argument, NULL, 'w' },
        { "model", required_argument, NULL, 'M' },  { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *model_arg = NULL;
    uint64_t doc = UINT64_MAX, window = UINT64_MAX;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 'd':
        case 'w': {
            char *end;
            errno = 0;
            unsigned long long v = strtoull(optarg, &end, 10);
            if (errno || *end || optarg[0] < '0' || optarg[0] > '9') {
                cli_usage("inspect", "--%s: '%s' is not an index", c == 'd' ? "doc" : "window",
                          optarg);
                return EIW_EXIT_USAGE;
            }
            if (c == 'd')
                doc = v;
            else
                window = v;
            break;
        }
        case 'M': model_arg = optarg; break;
        case 'h':
            printf("usage: eiw inspect PREFIX [--doc I] [--window J]\n"
                   "Statistics of the token shards of PREFIX (documents, tokens, bytes,\n"
                   "bytes/token, bits/byte, windows per document), or one decoded piece:\n\n"
                   "  --doc I            write document I (from 0, over all shards) to stdout\n"
                   "  --window J         with --doc: window J of that document; alone: window J\n"
                   "                     of the whole dataset; decoded on its own, to stdout\n"
                   "  --model NAME|FILE  model file, when the dataset's model is not built in\n"
                   "  -h, --help         this help\n");
            return EIW_EXIT_OK;
        default:
            return bad_option("inspect", c, argv);
        }
    }
    const char *prefix;
    eiw_manifest mf;
    int arg_rc = dataset_arg("inspect", argc, argv, &prefix, &mf);
    if (arg_rc != EIW_EXIT_OK)
        return arg_rc;
    if (doc == UINT64_MAX && window == UINT64_MAX)
        return inspect_stats(prefix, &mf);
    const eiw_model *m;
    int rc = dataset_model("inspect", model_arg, &mf, prefix, &m);
    if (rc != EIW_EXIT_OK)
        return rc;
    rc = inspect_piece(prefix, &mf, m, doc, window);
    eiw_model_free(m);
    return rc;
}
