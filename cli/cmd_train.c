/* `eiw train`: reads training/validation data (text files, directories, or raw uint8/uint16
 * token files), drives the library trainer, prints progress on stderr, writes periodic and final
 * checkpoints atomically, and on SIGINT/SIGTERM checkpoints and exits 130. Under MPI
 * (train_parallel.h) the ranks share every batch, and rank 0 prints, evaluates and checkpoints. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "eiw_train.h"
#include "cli/train_inputs.h"
#include "cli/train_parallel.h"

static volatile sig_atomic_t stop_requested = 0;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

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

typedef struct {
    const char *config, *out, *resume, *eval;
    const char **data, **val;
    int n_data, n_val;
    int token_bytes;
    long long log_every, eval_every, ckpt_every, val_tokens, val_bytes, stop_at;
} cli_opts;

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

static void fmt_eta(char *buf, size_t n, double s)
{
    if (!(s >= 0.0) || s > 1e8)
        s = 0.0;
    long t = (long)s;
    snprintf(buf, n, "%ldh%02ldm%02lds", t / 3600, t / 60 % 60, t % 60);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int eval_and_print(eiw_trainer *tr, const cli_opts *c, size_t n_val)
{
    double bpt;
    eiw_train_info info;
    eiw_trainer_info(tr, &info);
    int rc = eiw_trainer_eval(tr, (size_t)c->val_tokens, &bpt);
    if (rc != EIW_TRAIN_OK)
        return rc;
    size_t counted = c->val_tokens && (size_t)c->val_tokens < n_val - 1 ? (size_t)c->val_tokens
                                                                          : n_val - 1;
    if (c->token_bytes == 0)
        fprintf(stderr, "val step %lld: %.4f bits/token, %.4f bits/byte (%zu tokens)\n",
                (long long)info.step, bpt, bpt, counted);
    else if (c->val_bytes > 0 && counted == n_val - 1)
        fprintf(stderr, "val step %lld: %.4f bits/token, %.4f bits/byte (%zu tokens)\n",
                (long long)info.step, bpt, bpt * (double)n_val / (double)c->val_bytes, counted);
    else
        fprintf(stderr, "val step %lld: %.4f bits/token (%zu tokens)\n",
                (long long)info.step, bpt, counted);
    return EIW_TRAIN_OK;
}

/* Rank 0 writes the checkpoint, after checking that every rank holds the same weights. */
static int save_checkpoint(const eiw_trainer *tr, const char *path)
{
    if (!par_same_weights(tr)) {
        if (par_rank() == 0)
            fprintf(stderr, "eiw: %s: not written: the MPI ranks' weights differ\n", path);
        return EIW_TRAIN_ERR_MISMATCH;
    }
    int rc = EIW_TRAIN_OK, err = 0;
    if (par_rank() == 0) {
        rc = eiw_trainer_save(tr, path);
        err = errno;   /* before MPI calls can change it */
    }
    rc = par_from_root(rc);
    if (rc != EIW_TRAIN_OK && par_rank() == 0)
        fprintf(stderr, "eiw: %s: %s: %s\n", path, eiw_train_strerror(rc), strerror(err));
    return rc;
}

/* OpenBLAS's pthread pool and libgomp both spin between calls and steal the two cores from each
 * other (measured: 1.21 -> 1.04 s per M1 step). Both read their settings only when the process
 * starts, so set them and re-execute once. argv is main's argv + 1, so argv[-1] is argv[0]. */
static void tune_thread_env(char **argv)
{
    if (getenv("EIW_TRAIN_ENV_SET"))
        return;
    setenv("EIW_TRAIN_ENV_SET", "1", 1);
    setenv("OMP_WAIT_POLICY", "PASSIVE", 0);
    setenv("OPENBLAS_THREAD_TIMEOUT", "4", 0);
    execv("/proc/self/exe", argv - 1);   /* returns only on failure: then run untuned */
}

int eiw_cli_train(int argc, char **argv)
{
    tune_thread_env(argv);
    par_init(&argc, &argv);
    cli_opts c = {.config = "m1", .log_every = 10, .eval_every = 500, .ckpt_every = 500,
                  .val_tokens = 262144};
    eiw_train_options opt;
    tokbuf train = {0}, val = {0};
    eiw_trainer *tr = NULL;
    int status = EIW_EXIT_USAGE;
    long long steps = 0, threads = 0;
    double flops = 0.0;
    c.data = calloc((size_t)argc, sizeof *c.data);
    c.val = calloc((size_t)argc, sizeof *c.val);
    if (!c.data || !c.val) {
        fprintf(stderr, "eiw: train: out of memory\n");
        status = EIW_EXIT_ERROR;
        goto done;
    }
    /* first pass: --config (defaults must be set before overrides) and --help */
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            status = EIW_EXIT_OK;
            goto done;
        }
        if (!strcmp(argv[i], "--config") && i + 1 < argc)
            c.config = argv[i + 1];
    }
    if (eiw_train_config(c.config, &opt) != EIW_TRAIN_OK) {
        fprintf(stderr, "eiw: train: unknown --config '%s' (tiny, small, m1)\n", c.config);
        goto done;
    }
    int seen_steps = 0, ctx_given = 0, vocab_given = 0, bos_given = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--data") || !strcmp(a, "--val")) {
            int is_data = a[2] == 'd', k = 0;
            while (i + 1 < argc && strncmp(argv[i + 1], "--", 2) != 0) {
                if (is_data)
                    c.data[c.n_data++] = argv[++i];
                else
                    c.val[c.n_val++] = argv[++i];
                k++;
            }
            if (!k) {
                fprintf(stderr, "eiw: train: %s needs at least one path\n", a);
                goto done;
            }
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "eiw: train: unknown option or missing value: %s\n", a);
            goto done;
        }
        const char *v = argv[++i];
        long long x = 0;
        int bad = 0;
        eiw_model_config *m = &opt.model;
#define LL(flag, lo, hi, dst) else if (!strcmp(a, flag)) { bad = parse_ll(flag, v, lo, hi, &x); if (!bad) dst = x; }
#define FL(flag, dst) else if (!strcmp(a, flag)) { bad = parse_f(flag, v, &dst); }
        if (!strcmp(a, "--context"))
            ctx_given = 1;
        vocab_given |= !strcmp(a, "--vocab");
        bos_given |= !strcmp(a, "--bos");
        if (!strcmp(a, "--config")) {
        } else if (!strcmp(a, "--eval")) {
            c.eval = v;
        } else if (!strcmp(a, "--out")) {
            c.out = v;
        } else if (!strcmp(a, "--resume")) {
            c.resume = v;
        } else if (!strcmp(a, "--steps")) {
            bad = parse_ll(a, v, 1, 1LL << 40, &steps);
            seen_steps = 1;
            if (!bad)
                opt.steps = steps;
        } else if (!strcmp(a, "--flops")) {
            char *end;
            errno = 0;
            flops = strtod(v, &end);
            bad = errno || end == v || *end || !(flops >= 1.0 && flops <= 1e30);
            if (bad)
                fprintf(stderr, "eiw: train: --flops: bad value '%s' (want a number >= 1)\n", v);
        } else if (!strcmp(a, "--seed")) {
            char *end;
            errno = 0;
            unsigned long long s = strtoull(v, &end, 10);
            bad = errno || end == v || *end;
            if (bad)
                fprintf(stderr, "eiw: train: --seed: bad value '%s'\n", v);
            opt.seed = s;
        }
        LL("--threads", 1, 1024, threads)
        LL("--patch-size", 1, 64, opt.patch_size)
        LL("--vocab", 2, 1 << 20, m->vocab)
        LL("--bos", -1, 1 << 20, opt.bos)
        LL("--context", 1, 1 << 16, m->ctx)
        LL("--d-model", 1, 1 << 14, m->d_model)
        LL("--heads", 1, 1 << 14, m->n_heads)
        LL("--layers", 1, 256, m->n_layers)
        LL("--d-ff", 1, 1 << 16, m->d_ff)
        LL("--batch", 1, 65536, opt.batch)
        LL("--warmup", 0, 1LL << 40, opt.warmup)
        LL("--token-bytes", 0, 2, c.token_bytes)
        LL("--log-every", 1, 1LL << 40, c.log_every)
        LL("--eval-every", 0, 1LL << 40, c.eval_every)
        LL("--ckpt-every", 0, 1LL << 40, c.ckpt_every)
        LL("--val-tokens", 0, 1LL << 40, c.val_tokens)
        LL("--val-bytes", 1, 1LL << 50, c.val_bytes)
        LL("--stop-at", 1, 1LL << 40, c.stop_at)
        FL("--patch-fraction", opt.patch_fraction)
        FL("--lr", opt.lr)
        FL("--min-lr-frac", opt.min_lr_frac)
        FL("--weight-decay", opt.weight_decay)
        FL("--beta1", opt.beta1)
        FL("--beta2", opt.beta2)
        FL("--eps", opt.eps)
        FL("--grad-clip", opt.grad_clip)
        else {
            fprintf(stderr, "eiw: train: unknown option: %s (see eiw train --help)\n", a);
            goto done;
        }
#undef LL
#undef FL
        if (bad)
            goto done;
    }
    threads = par_threads((int)threads);
    opt.threads = (int32_t)threads;
    if (c.eval && par_size() > 1) {
        if (par_rank() == 0)
            fprintf(stderr, "eiw: train: --eval runs in one process, not under mpirun -np N\n");
        goto done;
    }
    if (c.eval) {
        if (!c.n_val) {
            fprintf(stderr, "eiw: train: --eval needs --val PATH...\n");
            goto done;
        }
        status = EIW_EXIT_ERROR;
        input_kind vk = {0};
        if (read_inputs(&val, c.val, c.n_val, &c.token_bytes, &vk))
            goto done;
        if (vk.datasets && !c.val_bytes)
            c.val_bytes = (long long)vk.bytes;
        double bpt;
        int erc = eiw_checkpoint_eval(c.eval, val.tok, val.n, ctx_given ? opt.model.ctx : 0,
                                      (int32_t)threads, (size_t)c.val_tokens, &bpt);
        if (erc != EIW_TRAIN_OK) {
            fprintf(stderr, "eiw: %s: %s\n", erc == EIW_TRAIN_ERR_DATA ? c.val[0] : c.eval,
                    eiw_train_strerror(erc));
            goto done;
        }
        size_t counted = c.val_tokens && (size_t)c.val_tokens < val.n - 1 ? (size_t)c.val_tokens
                                                                           : val.n - 1;
        double bpb = c.token_bytes == 0 ? bpt
                     : c.val_bytes > 0 && counted == val.n - 1
                         ? bpt * (double)val.n / (double)c.val_bytes : -1.0;
        if (bpb >= 0.0)
            printf("%s: %.4f bits/token, %.4f bits/byte (%zu tokens)\n", c.eval, bpt, bpb, counted);
        else
            printf("%s: %.4f bits/token (%zu tokens)\n", c.eval, bpt, counted);
        status = EIW_EXIT_OK;
        goto done;
    }
    if (!c.n_data || !c.out) {
        fprintf(stderr, "eiw: train: --data and --out are required (see eiw train --help)\n");
        goto done;
    }
    status = EIW_EXIT_ERROR;
    input_kind tk = {0}, vk = {0};
    if (read_inputs(&train, c.data, c.n_data, &c.token_bytes, &tk) ||
        read_inputs(&val, c.val, c.n_val, &c.token_bytes, &vk))
        goto done;
    if (tk.datasets && vk.datasets && tk.token_bits != vk.token_bits) {
        fprintf(stderr, "eiw: %s: %u-bit tokens, but the training data has %u-bit ones\n",
                c.val[0], vk.token_bits, tk.token_bits);
        goto done;
    }
    if (vk.datasets && !c.val_bytes)
        c.val_bytes = (long long)vk.bytes;
    if (tk.datasets && !vocab_given)   /* M2 over tokens: every token value, nothing else */
        opt.model.vocab = 1 << tk.token_bits;
    if (tk.datasets && !bos_given)
        opt.bos = -1;
    if (flops > 0.0 && !c.resume) {
        if (seen_steps) {
            fprintf(stderr, "eiw: train: give --steps or --flops, not both\n");
            status = EIW_EXIT_USAGE;
            goto done;
        }
        /* cost of N token-level-equivalent steps: N * (L/K + 1 - L) steps of equal FLOPs */
        double fstep = eiw_model_train_flops_per_token(&opt.model, opt.model.ctx) *
                       (double)opt.batch * (double)opt.model.ctx;
        double frac = opt.patch_size > 1 ? (double)opt.patch_fraction / opt.patch_size +
                                               1.0 - (double)opt.patch_fraction : 1.0;
        opt.steps = (int64_t)(flops / (fstep * frac));
        if (opt.steps < 1) {
            fprintf(stderr, "eiw: train: --flops %g is less than one step (%.3g FLOPs)\n", flops,
                    fstep * frac);
            status = EIW_EXIT_USAGE;
            goto done;
        }
    }
    if (!c.resume && eiw_train_options_check(&opt) != EIW_TRAIN_OK) {
        fprintf(stderr, "eiw: train: invalid options (check sizes: heads must divide d-model, "
                        "patch-fraction in [0,1), ...)\n");
        status = EIW_EXIT_USAGE;
        goto done;
    }

    int rc;
    const char *rc_file = c.data[0];
    if (c.resume) {
        rc = eiw_trainer_resume(&tr, c.resume, (int32_t)threads, seen_steps ? steps : 0, &opt,
                                train.tok, train.n, val.tok, val.n);
        if (rc != EIW_TRAIN_ERR_DATA)
            rc_file = c.resume;
    } else {
        rc = eiw_trainer_create(&tr, &opt, train.tok, train.n, val.tok, val.n);
    }
    if (rc != EIW_TRAIN_OK) {
        fprintf(stderr, "eiw: %s: %s\n", rc_file, eiw_train_strerror(rc));
        goto done;
    }
    if (par_partition(tr) != EIW_TRAIN_OK) {
        if (par_rank() == 0)
            fprintf(stderr, "eiw: train: batch %d is smaller than the %d MPI ranks\n", opt.batch,
                    par_size());
        status = EIW_EXIT_USAGE;
        goto done;
    }
    int quiet = par_rank() != 0;

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    eiw_train_info info;
    eiw_trainer_info(tr, &info);
    const eiw_model_config *mc = &opt.model;
    double fstep = info.flops_per_step;
    int64_t s2 = info.total_steps - info.stage1_steps;
    if (!quiet)
        fprintf(stderr,
                "eiw train: %s V=%d T=%d C=%d H=%d L=%d F=%d | %lld params (%lld non-embedding)\n"
                "  data %zu tokens, val %zu tokens | batch %d | %.3g GFLOP/step\n"
                "  stage 1 (patch K=%d): %lld steps, %.4g PFLOP; stage 2 (token): %lld steps, "
                "%.4g PFLOP; cost %.3f x token-only (%lld steps)\n",
                c.resume ? "resume" : c.config, mc->vocab, mc->ctx, mc->d_model, mc->n_heads,
                mc->n_layers, mc->d_ff, (long long)eiw_model_num_params(mc),
                (long long)eiw_model_num_nonembed_params(mc), train.n, val.n, opt.batch,
                fstep * 1e-9, opt.patch_size, (long long)info.stage1_steps,
                (double)info.stage1_steps * fstep * 1e-15,
                (long long)s2, (double)s2 * fstep * 1e-15,
                (double)info.total_steps / (double)opt.steps, (long long)opt.steps);
    if (!quiet && par_size() > 1) {
        int lo = opt.batch / par_size(), hi = (opt.batch + par_size() - 1) / par_size();
        char slice[32];
        snprintf(slice, sizeof slice, hi > lo ? "%d-%d" : "%d", lo, hi);
        fprintf(stderr, "  data parallel: %d MPI ranks x %lld thread%s, %s samples of each batch "
                "per rank\n", par_size(), threads, threads > 1 ? "s" : "", slice);
    }

    double t0 = now_s(), tlog = t0, t_eval = 0.0;
    int64_t step0 = info.step, steplog = info.step, toklog = info.tokens_seen;
    while (!info.done) {
        if (par_any(stop_requested)) {   /* every rank stops at the same step */
            if (save_checkpoint(tr, c.out) != EIW_TRAIN_OK)
                goto done;
            if (!quiet)
                fprintf(stderr, "eiw: interrupted at step %lld; checkpoint written to %s\n",
                        (long long)info.step, c.out);
            status = EIW_EXIT_INTERRUPTED;
            goto done;
        }
        if (c.stop_at && info.step >= c.stop_at) {   /* a planned pause: same as a signal */
            if (save_checkpoint(tr, c.out) != EIW_TRAIN_OK)
                goto done;
            if (!quiet)
                fprintf(stderr, "eiw train: stopped at step %lld (--stop-at); checkpoint %s\n",
                        (long long)info.step, c.out);
            status = EIW_EXIT_OK;
            goto done;
        }
        float loss;
        rc = par_step(tr, &loss);
        if (rc != EIW_TRAIN_OK) {
            fprintf(stderr, "eiw: train: %s\n", eiw_train_strerror(rc));
            goto done;
        }
        eiw_trainer_info(tr, &info);
        if (!quiet && (info.step % c.log_every == 0 || info.done)) {
            double t = now_s(), dt = t - tlog;
            /* ETA from the latest interval: pauses (SIGSTOP, a busy machine) age out quickly */
            double per_step = dt / (double)(info.step - steplog);
            char eta[32];
            fmt_eta(eta, sizeof eta, per_step * (double)(info.total_steps - info.step));
            fprintf(stderr, "step %lld/%lld s%d loss %.4f bits lr %.2e | %.0f tok/s | %.1f GFLOP/s | "
                    "ETA %s\n", (long long)info.step, (long long)info.total_steps,
                    info.step <= info.stage1_steps ? 1 : 2, (double)loss / log(2.0), info.lr,
                    (double)(info.tokens_seen - toklog) / dt,
                    (double)(info.step - steplog) * fstep / dt * 1e-9, eta);
            tlog = t;
            steplog = info.step;
            toklog = info.tokens_seen;
        }
        if (c.eval_every && val.n > 1 && info.step % c.eval_every == 0 && !info.done) {
            double te = now_s();
            rc = par_from_root(quiet ? EIW_TRAIN_OK : eval_and_print(tr, &c, val.n));
            if (rc != EIW_TRAIN_OK)
                goto train_err;
            tlog = now_s();   /* keep eval time out of the throughput figures */
            t_eval += tlog - te;
        }
        if (c.ckpt_every && info.step % c.ckpt_every == 0 && !info.done &&
            save_checkpoint(tr, c.out) != EIW_TRAIN_OK)
            goto done;
    }
    double t_train = now_s() - t0 - t_eval;
    if (val.n > 1 &&
        (rc = par_from_root(quiet ? EIW_TRAIN_OK : eval_and_print(tr, &c, val.n))) != EIW_TRAIN_OK)
        goto train_err;
    if (save_checkpoint(tr, c.out) != EIW_TRAIN_OK)
        goto done;
    if (!quiet)
        fprintf(stderr, "eiw train: done, %lld steps in %.1f s (%.1f s training, excluding "
                "evaluation); checkpoint %s\n", (long long)(info.step - step0), now_s() - t0,
                t_train, c.out);
    status = EIW_EXIT_OK;
    goto done;
train_err:
    if (par_rank() == 0)
        fprintf(stderr, "eiw: %s: %s\n", c.val[0] ? c.val[0] : c.data[0], eiw_train_strerror(rc));
done:
    eiw_trainer_free(tr);
    free(train.tok);
    free(val.tok);
    free(c.data);
    free(c.val);
    par_finalize();
    return status;
}
