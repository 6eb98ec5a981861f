/* `eiw train`'s command line (see train_args.h). getopt_long reads the options in one pass, in
 * which --config and --help count wherever they stand; the values are then checked and applied
 * in command-line order on top of the configuration, so the first bad one is the one reported. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/mpi_ranks.h"
#include "cli/train_args.h"

static void usage(FILE *f)
{
    fputs("usage: eiw train --data PATH... --out CKPT [options]\n"
          "Trains an eiw transformer. Text files and directories (recursively) are byte data;\n"
          "--token-bytes 1|2 reads raw uint8/uint16 (little-endian) token files instead. A\n"
          "PATH with a PATH.json manifest is an 'eiw tokenize' dataset (all its shards, checked):\n"
          "its tokens are the data, vocab defaults to 2^token-bits with no BOS, and validation\n"
          "reports bits per original byte from its recorded byte counts.\n"
          "  --config NAME        tiny | small | m1 (default m1)\n"
          "  --data PATH...       training data\n"
          "  --val PATH...        validation data (never the training data)\n"
          "  --steps N            step budget (token-level equivalent: N*batch*context tokens)\n"
          "  --flops X            instead of --steps: a step budget whose training FLOPs (forward\n"
          "                       + backward, patch stage included) come to about X, e.g. 1.5e13\n"
          "  --out CKPT           checkpoint written periodically, on SIGINT/SIGTERM and at the end\n"
          "  --resume CKPT        continue that run exactly (options come from the checkpoint;\n"
          "                       --steps and --threads may be given)\n"
          "  --patch-size K       patch-level stage: K tokens per position (default 1: off)\n"
          "  --patch-fraction L   fraction of the data budget trained at patch level, [0,1)\n"
          "  --threads N          worker threads (default: OpenMP default; per rank under MPI)\n"
          "  --eval CKPT          only evaluate CKPT's weights on --val (token level, windows of\n"
          "                       --context bytes each starting at position 0; prints to stdout)\n"
          "  --seed S             initialisation and data order\n"
          "model:   --vocab V --context T --d-model C --heads H --layers L --d-ff F\n"
          "         --bos ID   token put before every sample (-1: none; m1: 256, vocab 257)\n"
          "optim:   --batch B --lr X --min-lr-frac X --warmup N --weight-decay X --beta1 X\n"
          "         --beta2 X --eps X --grad-clip X\n"
          "run:     --token-bytes 0|1|2 (0: text) --log-every N (10) --eval-every N (500)\n"
          "         --ckpt-every N (500) --val-tokens N (262144, 0: all)\n"
          "         --stop-at N     checkpoint and exit (status 0) once step N is reached,\n"
          "                         leaving the run resumable (the schedule still ends at --steps)\n"
          "         --val-bytes N   original byte count of the --val data, for bits/byte of tokens\n"
          "MPI (make MPI=1): mpirun -np N build-mpi/eiw train ... trains data-parallel: each\n"
          "rank takes a slice of every batch (batch >= N; threads default to the CPUs / ranks\n"
          "per node), gradients are summed, the losses follow one process up to float rounding;\n"
          "rank 0 prints and writes the checkpoints. --resume works with any number of ranks.\n",
          f);
}

enum {
    O_CONFIG = 256, O_DATA, O_VAL, O_OUT, O_RESUME, O_EVAL, O_STEPS, O_FLOPS, O_SEED,
    /* integers (int_ranges) */
    O_THREADS, O_PATCH_SIZE, O_VOCAB, O_BOS, O_CONTEXT, O_D_MODEL, O_HEADS, O_LAYERS, O_D_FF,
    O_BATCH, O_WARMUP, O_TOKEN_BYTES, O_LOG_EVERY, O_EVAL_EVERY, O_CKPT_EVERY, O_VAL_TOKENS,
    O_VAL_BYTES, O_STOP_AT,
    /* floats (float_field) */
    O_PATCH_FRACTION, O_LR, O_MIN_LR_FRAC, O_WEIGHT_DECAY, O_BETA1, O_BETA2, O_EPS, O_GRAD_CLIP,
    /* what the scan found wrong, reported in its place */
    E_UNKNOWN, E_NO_VALUE, E_NO_PATH
};

static const struct option longopts[] = {
    { "config", required_argument, NULL, O_CONFIG },
    { "data", required_argument, NULL, O_DATA },
    { "val", required_argument, NULL, O_VAL },
    { "out", required_argument, NULL, O_OUT },
    { "resume", required_argument, NULL, O_RESUME },
    { "eval", required_argument, NULL, O_EVAL },
    { "steps", required_argument, NULL, O_STEPS },
    { "flops", required_argument, NULL, O_FLOPS },
    { "seed", required_argument, NULL, O_SEED },
    { "threads", required_argument, NULL, O_THREADS },
    { "patch-size", required_argument, NULL, O_PATCH_SIZE },
    { "vocab", required_argument, NULL, O_VOCAB },
    { "bos", required_argument, NULL, O_BOS },
    { "context", required_argument, NULL, O_CONTEXT },
    { "d-model", required_argument, NULL, O_D_MODEL },
    { "heads", required_argument, NULL, O_HEADS },
    { "layers", required_argument, NULL, O_LAYERS },
    { "d-ff", required_argument, NULL, O_D_FF },
    { "batch", required_argument, NULL, O_BATCH },
    { "warmup", required_argument, NULL, O_WARMUP },
    { "token-bytes", required_argument, NULL, O_TOKEN_BYTES },
    { "log-every", required_argument, NULL, O_LOG_EVERY },
    { "eval-every", required_argument, NULL, O_EVAL_EVERY },
    { "ckpt-every", required_argument, NULL, O_CKPT_EVERY },
    { "val-tokens", required_argument, NULL, O_VAL_TOKENS },
    { "val-bytes", required_argument, NULL, O_VAL_BYTES },
    { "stop-at", required_argument, NULL, O_STOP_AT },
    { "patch-fraction", required_argument, NULL, O_PATCH_FRACTION },
    { "lr", required_argument, NULL, O_LR },
    { "min-lr-frac", required_argument, NULL, O_MIN_LR_FRAC },
    { "weight-decay", required_argument, NULL, O_WEIGHT_DECAY },
    { "beta1", required_argument, NULL, O_BETA1 },
    { "beta2", required_argument, NULL, O_BETA2 },
    { "eps", required_argument, NULL, O_EPS },
    { "grad-clip", required_argument, NULL, O_GRAD_CLIP },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

/* The integer options' ranges. */
static const struct {
    int id;
    long long lo, hi;
} int_ranges[] = {
    { O_STEPS, 1, 1LL << 40 },        { O_THREADS, 1, 1024 },
    { O_PATCH_SIZE, 1, 64 },          { O_VOCAB, 2, 1 << 20 },
    { O_BOS, -1, 1 << 20 },           { O_CONTEXT, 1, 1 << 16 },
    { O_D_MODEL, 1, 1 << 14 },        { O_HEADS, 1, 1 << 14 },
    { O_LAYERS, 1, 256 },             { O_D_FF, 1, 1 << 16 },
    { O_BATCH, 1, 65536 },            { O_WARMUP, 0, 1LL << 40 },
    { O_TOKEN_BYTES, 0, 2 },          { O_LOG_EVERY, 1, 1LL << 40 },
    { O_EVAL_EVERY, 0, 1LL << 40 },   { O_CKPT_EVERY, 0, 1LL << 40 },
    { O_VAL_TOKENS, 0, 1LL << 40 },   { O_VAL_BYTES, 1, 1LL << 50 },
    { O_STOP_AT, 1, 1LL << 40 },
};

/* Where an integer option's value goes. */
static void set_int(train_args *a, int id, long long x)
{
    eiw_model_config *m = &a->opt.model;
    switch (id) {
    case O_STEPS: a->steps = x, a->opt.steps = x; break;
    case O_THREADS: a->threads = x; break;
    case O_PATCH_SIZE: a->opt.patch_size = (int32_t)x; break;
    case O_VOCAB: m->vocab = (int32_t)x; break;
    case O_BOS: a->opt.bos = (int32_t)x; break;
    case O_CONTEXT: m->ctx = (int32_t)x; break;
    case O_D_MODEL: m->d_model = (int32_t)x; break;
    case O_HEADS: m->n_heads = (int32_t)x; break;
    case O_LAYERS: m->n_layers = (int32_t)x; break;
    case O_D_FF: m->d_ff = (int32_t)x; break;
    case O_BATCH: a->opt.batch = (int32_t)x; break;
    case O_WARMUP: a->opt.warmup = x; break;
    case O_TOKEN_BYTES: a->token_bytes = (int)x; break;
    case O_LOG_EVERY: a->log_every = x; break;
    case O_EVAL_EVERY: a->eval_every = x; break;
    case O_CKPT_EVERY: a->ckpt_every = x; break;
    case O_VAL_TOKENS: a->val_tokens = x; break;
    case O_VAL_BYTES: a->val_bytes = x; break;
    default: a->stop_at = x; break;
    }
}

/* Where a float option's value goes. */
static float *float_field(train_args *a, int id)
{
    switch (id) {
    case O_PATCH_FRACTION: return &a->opt.patch_fraction;
    case O_LR: return &a->opt.lr;
    case O_MIN_LR_FRAC: return &a->opt.min_lr_frac;
    case O_WEIGHT_DECAY: return &a->opt.weight_decay;
    case O_BETA1: return &a->opt.beta1;
    case O_BETA2: return &a->opt.beta2;
    case O_EPS: return &a->opt.eps;
    default: return &a->opt.grad_clip;
    }
}

static int parse_ll(const char *flag, const char *s, long long lo, long long hi, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) {
        fprintf(stderr, "eiw: train: %s: bad value '%s' (want an integer in [%lld, %lld])\n",
                flag, s, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_f(const char *flag, const char *s, float *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v)) {
        fprintf(stderr, "eiw: train: %s: bad number '%s'\n", flag, s);
        return -1;
    }
    *out = (float)v;
    return 0;
}

/* One option as it stands on the command line: the option (or what was wrong with it), its
 * long name (or, for an error, the argument as written) and its value. */
typedef struct {
    int id;
    const char *name, *value;
} given;

/* Checks one option's value and applies it. 0, or -1 after printing the error. */
static int apply(train_args *a, const given *g)
{
    const char *v = g->value;
    char flag[32], *end;
    snprintf(flag, sizeof flag, "--%s", g->name);
    switch (g->id) {
    case E_UNKNOWN:
        fprintf(stderr, "eiw: train: unknown option: %s (see eiw train --help)\n", g->name);
        return -1;
    case E_NO_VALUE:
        fprintf(stderr, "eiw: train: missing value: %s (see eiw train --help)\n", g->name);
        return -1;
    case E_NO_PATH:
        fprintf(stderr, "eiw: train: %s needs at least one path\n", flag);
        return -1;
    case O_CONFIG: case O_DATA: case O_VAL: return 0;   /* taken while scanning */
    case O_OUT: a->out = v; return 0;
    case O_RESUME: a->resume = v; return 0;
    case O_EVAL: a->eval = v; return 0;
    case O_FLOPS:
        errno = 0;
        a->flops = strtod(v, &end);
        if (errno || end == v || *end || !(a->flops >= 1.0 && a->flops <= 1e30)) {
            fprintf(stderr, "eiw: train: --flops: bad value '%s' (want a number >= 1)\n", v);
            return -1;
        }
        return 0;
    case O_SEED:
        errno = 0;
        a->opt.seed = strtoull(v, &end, 10);
        if (errno || end == v || *end) {
            fprintf(stderr, "eiw: train: --seed: bad value '%s'\n", v);
            return -1;
        }
        return 0;
    default: break;
    }
    a->ctx_given |= g->id == O_CONTEXT;
    a->vocab_given |= g->id == O_VOCAB;
    a->bos_given |= g->id == O_BOS;
    if (g->id >= O_PATCH_FRACTION)
        return parse_f(flag, v, float_field(a, g->id));
    for (size_t i = 0; i < sizeof int_ranges / sizeof int_ranges[0]; i++) {
        long long x;
        if (int_ranges[i].id != g->id)
            continue;
        if (parse_ll(flag, v, int_ranges[i].lo, int_ranges[i].hi, &x))
            return -1;
        set_int(a, g->id, x);
    }
    return 0;
}

/* Reads the options in order into list (n of them, at most argc: past that, only errors of
 * clustered short options could come, and the first error is already there), the paths of
 * --data and --val into a (each takes the arguments up to the next one starting with "--")
 * and the last --config. Returns 1 when --help was asked for. */
static int scan(int argc, char **argv, train_args *a, given *list, int *n)
{
    int c, at = 0;
    given spare;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":h", longopts, &at)) != -1) {
        if (c == 'h')
            return 1;
        given *g = *n < argc ? &list[(*n)++] : &spare;
        g->id = c;
        g->value = optarg;
        if (c == '?' || c == ':') {   /* (optopt: the option without its value) */
            g->name = argv[optind - 1];
            g->id = c == '?' ? E_UNKNOWN : optopt == O_DATA || optopt == O_VAL ? E_NO_PATH
                                                                                : E_NO_VALUE;
            if (g->id == E_NO_PATH)
                g->name = optopt == O_DATA ? "data" : "val";
            continue;
        }
        g->name = longopts[at].name;
        if (c == O_CONFIG)
            a->config = optarg;
        if (c != O_DATA && c != O_VAL)
            continue;
        if (strncmp(optarg, "--", 2) == 0) {   /* no path: an option follows */
            g->id = E_NO_PATH;
            if (optarg == argv[optind - 1])
                optind--;   /* read it as the option it is */
            continue;
        }
        const char **paths = c == O_DATA ? a->data : a->val;
        int *k = c == O_DATA ? &a->n_data : &a->n_val;
        paths[(*k)++] = optarg;
        while (optind < argc && strncmp(argv[optind], "--", 2) != 0)
            paths[(*k)++] = argv[optind++];
    }
    if (optind < argc && *n < argc) {   /* an argument that is no option and no path */
        given *g = &list[(*n)++];
        g->id = E_UNKNOWN;
        g->name = argv[optind];
    }
    return 0;
}

/* What the options together must satisfy before any data is read. */
static int check(const train_args *a)
{
    if (a->eval && par_size() > 1) {
        if (par_rank() == 0)
            fprintf(stderr, "eiw: train: --eval runs in one process, not under mpirun -np N\n");
        return -1;
    }
    if (a->eval && !a->n_val) {
        fprintf(stderr, "eiw: train: --eval needs --val PATH...\n");
        return -1;
    }
    if (!a->eval && (!a->n_data || !a->out)) {
        fprintf(stderr, "eiw: train: --data and --out are required (see eiw train --help)\n");
        return -1;
    }
    return 0;
}

int train_args_parse(int argc, char **argv, train_args *a)
{
    memset(a, 0, sizeof *a);
    a->config = "m1";
    a->log_every = 10;
    a->eval_every = 500;
    a->ckpt_every = 500;
    a->val_tokens = 262144;
    a->data = calloc((size_t)argc, sizeof *a->data);
    a->val = calloc((size_t)argc, sizeof *a->val);
    given *list = calloc((size_t)argc, sizeof *list);
    int n = 0, status = -1;
    if (!a->data || !a->val || !list) {
        fprintf(stderr, "eiw: train: out of memory\n");
        status = EIW_EXIT_ERROR;
    } else if (scan(argc, argv, a, list, &n)) {
        usage(stdout);
        status = EIW_EXIT_OK;
    } else if (eiw_train_config(a->config, &a->opt) != EIW_TRAIN_OK) {
        fprintf(stderr, "eiw: train: unknown --config '%s' (tiny, small, m1)\n", a->config);
        status = EIW_EXIT_USAGE;
    } else {
        for (int i = 0; i < n && status < 0; i++)
            if (apply(a, &list[i]))
                status = EIW_EXIT_USAGE;
        if (status < 0 && check(a))
            status = EIW_EXIT_USAGE;
    }
    free(list);
    return status;
}

void train_args_free(train_args *a)
{
    free(a->data);
    free(a->val);
    a->data = a->val = NULL;
}
