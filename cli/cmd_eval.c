/* `eiw eval --m2 CKPT DATA...`: how well a trained model predicts held-out tokens, in bits per
 * token and in bits per ORIGINAL byte = (tokens / bytes) x bits per token, next to the trivial
 * baselines over the same tokens: uniform (every token value of the token width equally
 * likely) and unigram (the tokens' own frequencies, i.e. their empirical entropy, which no
 * context-free model of this data beats). */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "eiw_train.h"
#include "cli/train_inputs.h"

static void usage(FILE *f)
{
    fputs("usage: eiw eval --m2 CKPT [options] DATA...\n"
          "Evaluates a trained checkpoint on held-out tokens: cross-entropy per token and bits per\n"
          "original byte = (tokens / bytes) x bits per token, next to the uniform and unigram\n"
          "baselines over the same tokens. DATA: 'eiw tokenize' datasets (PREFIX with PREFIX.json;\n"
          "their byte counts come from the sidecars), or files with --token-bytes and --bytes.\n"
          "Tokens are scored in consecutive windows of --context tokens, each from no context\n"
          "(the way 'eiw train' validates).\n\n"
          "  --m2 CKPT            checkpoint of 'eiw train' (full or weights only)\n"
          "  --token-bytes 0|1|2  DATA that are not datasets: 0 text (a token per byte),\n"
          "                       1 uint8 tokens, 2 little-endian uint16 tokens (default 0)\n"
          "  --bytes N            original bytes behind such token files (for bits/byte)\n"
          "  --context T          tokens per window (default: the checkpoint's training context)\n"
          "  --max-tokens N       score only the first N tokens (default 0: all)\n"
          "  --threads N          worker threads (default: OpenMP default)\n"
          "  -h, --help           this help\n",
          f);
}

/* A count option through the shared parser (K/M/G suffixes allowed), in [lo, hi]. */
static int parse_count(const char *flag, const char *s, uint64_t lo, uint64_t hi, long long *out)
{
    uint64_t v;
    if (!cli_parse_size(s, hi, &v) || v < lo) {
        fprintf(stderr, "eiw: eval: %s: bad value '%s' (want a number from %llu to %llu) "
                        "(see 'eiw eval --help')\n", flag, s, (unsigned long long)lo,
                (unsigned long long)hi);
        return -1;
    }
    *out = (long long)v;
    return 0;
}

/* Empirical entropy of the tokens, bits per token. */
static double unigram_bits(const uint16_t *tok, size_t n)
{
    size_t *count = calloc(65536, sizeof *count);
    if (!count || !n) {
        free(count);
        return NAN;
    }
    for (size_t i = 0; i < n; i++)
        count[tok[i]]++;
    double h = 0.0;
    for (size_t v = 0; v < 65536; v++)
        if (count[v]) {
            double p = (double)count[v] / (double)n;
            h -= p * log2(p);
        }
    free(count);
    return h;
}

int eiw_cli_eval(int argc, char **argv)
{
    const char *ckpt = NULL;
    const char **data = calloc((size_t)argc, sizeof *data);
    int n_data = 0, token_bytes = 0;
    long long bytes = 0, ctx = 0, max_tokens = 0, threads = 0;
    tokbuf tb = {0};
    int status = EIW_EXIT_USAGE;
    if (!data) {
        fprintf(stderr, "eiw: eval: out of memory\n");
        return EIW_EXIT_ERROR;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            status = EIW_EXIT_OK;
            goto done;
        }
        if (a[0] != '-' || !strcmp(a, "-")) {
            data[n_data++] = a;
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "eiw: eval: unknown option or missing value: %s (see 'eiw eval "
                            "--help')\n", a);
            goto done;
        }
        const char *v = argv[++i];
        long long x;
        if (!strcmp(a, "--m2")) {
            ckpt = v;
        } else if (!strcmp(a, "--token-bytes")) {
            if (parse_count(a, v, 0, 2, &x))
                goto done;
            token_bytes = (int)x;
        } else if (!strcmp(a, "--bytes")) {
            if (parse_count(a, v, 1, 1LL << 60, &bytes))
                goto done;
        } else if (!strcmp(a, "--context")) {
            if (parse_count(a, v, 1, 1 << 16, &ctx))
                goto done;
        } else if (!strcmp(a, "--max-tokens")) {
            if (parse_count(a, v, 0, 1LL << 50, &max_tokens))
                goto done;
        } else if (!strcmp(a, "--threads")) {
            if (parse_count(a, v, 1, 1024, &threads))
                goto done;
        } else {
            fprintf(stderr, "eiw: eval: unknown option: %s (see 'eiw eval --help')\n", a);
            goto done;
        }
    }
    if (!ckpt || !n_data) {
        fprintf(stderr, "eiw: eval: --m2 CKPT and at least one DATA are required (see 'eiw eval "
                        "--help')\n");
        goto done;
    }
    status = EIW_EXIT_ERROR;
    eiw_model_config cfg;
    float *params = NULL;
    size_t n_params;
    int rc = eiw_checkpoint_load_weights(ckpt, &cfg, &params, &n_params);
    free(params);
    if (rc != EIW_TRAIN_OK) {
        fprintf(stderr, "eiw: %s: %s\n", ckpt,
                rc == EIW_TRAIN_ERR_IO ? strerror(errno) : eiw_train_strerror(rc));
        goto done;
    }
    input_kind k = {0};
    if (read_inputs(&tb, data, n_data, &token_bytes, &k))
        goto done;
    if (k.datasets)
        bytes = (long long)k.bytes;
    else if (token_bytes == 0)
        bytes = (long long)tb.n;
    if (tb.n < 2) {
        fprintf(stderr, "eiw: %s: fewer than 2 tokens, nothing to evaluate\n", data[0]);
        goto done;
    }
    double bpt;
    rc = eiw_checkpoint_eval(ckpt, tb.tok, tb.n, (int32_t)ctx, (int32_t)threads,
                             (size_t)max_tokens, &bpt);
    if (rc != EIW_TRAIN_OK) {
        fprintf(stderr, "eiw: %s: %s\n", rc == EIW_TRAIN_ERR_DATA ? data[0] : ckpt,
                eiw_train_strerror(rc));
        goto done;
    }
    size_t scored = max_tokens && (size_t)max_tokens < tb.n - 1 ? (size_t)max_tokens : tb.n - 1;
    unsigned width = token_bytes ? 8u * (unsigned)token_bytes : 8u;
    double uni = unigram_bits(tb.tok, tb.n);
    printf("eiw eval: %s (V=%d T=%d C=%d H=%d L=%d F=%d, %lld parameters)\n", ckpt, cfg.vocab,
           ctx ? (int)ctx : cfg.ctx, cfg.d_model, cfg.n_heads, cfg.n_layers, cfg.d_ff,
           (long long)eiw_model_num_params(&cfg));
    printf("data: %d input%s, %zu tokens of %u bits, %zu scored", n_data, n_data == 1 ? "" : "s",
           tb.n, width, scored);
    if (bytes > 0)
        printf(", %lld original bytes, %.4f tokens/byte\n", bytes, (double)tb.n / (double)bytes);
    else
        printf(" (original bytes unknown: give --bytes for bits/byte)\n");
    printf("%-10s %12s %12s\n", "", "bits/token", "bits/byte");
    const char *names[3] = { "model", "uniform", "unigram" };
    double bits[3] = { bpt, (double)width, uni };
    for (int i = 0; i < 3; i++) {
        if (bytes > 0)   /* bits per original byte = tokens/byte x bits/token */
            printf("%-10s %12.4f %12.4f\n", names[i], bits[i],
                   bits[i] * (double)tb.n / (double)bytes);
        else
            printf("%-10s %12.4f %12s\n", names[i], bits[i], "-");
    }
    status = fflush(stdout) == 0 ? EIW_EXIT_OK : EIW_EXIT_ERROR;
done:
    free(tb.tok);
    free(data);
    return status;
}
