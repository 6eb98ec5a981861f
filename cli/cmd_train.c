/* `eiw train`: after the arguments (train_args.c), reads training/validation data (text files,
 * directories, raw uint8/uint16 token files or datasets: train_inputs.c), sets up the library
 * trainer and runs its loop: progress on stderr, periodic and final checkpoints written
 * atomically, and on SIGINT/SIGTERM a checkpoint and exit 130. Under MPI (train_parallel.h) the
 * ranks share every batch, and rank 0 prints, evaluates and checkpoints. */
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
#include "cli/train_args.h"
#include "cli/train_inputs.h"
#include "cli/train_parallel.h"


static volatile sig_atomic_t stop_requested = 0;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
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

/* Bits per original byte of a validation result over n_val tokens (text: a token is a byte;
 * tokens: from --val-bytes or the datasets' byte counts, when every token was counted), or -1
 * when unknown; *counted: the tokens predicted. */
static double bits_per_byte(const train_args *a, double bpt, size_t n_val, size_t *counted)
{
    *counted = a->val_tokens && (size_t)a->val_tokens < n_val - 1 ? (size_t)a->val_tokens
                                                                   : n_val - 1;
    if (a->token_bytes == 0)
        return bpt;
    if (a->val_bytes > 0 && *counted == n_val - 1)
        return bpt * (double)n_val / (double)a->val_bytes;
    return -1.0;
}

static int eval_and_print(eiw_trainer *tr, const train_args *a, size_t n_val)
{
    double bpt;
    eiw_train_info info;
    eiw_trainer_info(tr, &info);
    int rc = eiw_trainer_eval(tr, (size_t)a->val_tokens, &bpt);
    if (rc != EIW_TRAIN_OK)
        return rc;
    size_t counted;
    double bpb = bits_per_byte(a, bpt, n_val, &counted);
    if (bpb >= 0.0)
        fprintf(stderr, "val step %lld: %.4f bits/token, %.4f bits/byte (%zu tokens)\n",
                (long long)info.step, bpt, bpb, counted);
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

/* --eval CKPT: that checkpoint's weights on --val, printed to stdout. */
static int eval_only(train_args *a)
{
    tokbuf val = {0};
    input_kind vk = {0};
    int status = EIW_EXIT_ERROR;
    if (read_inputs(&val, a->val, a->n_val, &a->token_bytes, &vk))
        goto done;
    if (vk.datasets && !a->val_bytes)
        a->val_bytes = (long long)vk.bytes;
    double bpt;
    int erc = eiw_checkpoint_eval(a->eval, val.tok, val.n, a->ctx_given ? a->opt.model.ctx : 0,
                                  a->opt.threads, (size_t)a->val_tokens, &bpt);
    if (erc != EIW_TRAIN_OK) {
        fprintf(stderr, "eiw: %s: %s\n", erc == EIW_TRAIN_ERR_DATA ? a->val[0] : a->eval,
                eiw_train_strerror(erc));
        goto done;
    }
    size_t counted;
    double bpb = bits_per_byte(a, bpt, val.n, &counted);
    if (bpb >= 0.0)
        printf("%s: %.4f bits/token, %.4f bits/byte (%zu tokens)\n", a->eval, bpt, bpb, counted);
    else
        printf("%s: %.4f bits/token (%zu tokens)\n", a->eval, bpt, counted);
    status = EIW_EXIT_OK;
done:
    free(val.tok);
    return status;
}

/* Reads --data and --val. Datasets (eiw tokenize) give the defaults of the model they train:
 * a vocabulary of every token value and no BOS, and the byte count of --val. */
static int load_data(train_args *a, tokbuf *train, tokbuf *val)
{
    input_kind tk = {0}, vk = {0};
    if (read_inputs(train, a->data, a->n_data, &a->token_bytes, &tk) ||
        read_inputs(val, a->val, a->n_val, &a->token_bytes, &vk))
        return EIW_EXIT_ERROR;
    if (tk.datasets && vk.datasets && tk.token_bits != vk.token_bits) {
        fprintf(stderr, "eiw: %s: %u-bit tokens, but the training data has %u-bit ones\n",
                a->val[0], vk.token_bits, tk.token_bits);
        return EIW_EXIT_ERROR;
    }
    if (vk.datasets && !a->val_bytes)
        a->val_bytes = (long long)vk.bytes;
    if (tk.datasets && !a->vocab_given)   /* M2 over tokens: every token value, nothing else */
        a->opt.model.vocab = 1 << tk.token_bits;
    if (tk.datasets && !a->bos_given)
        a->opt.bos = -1;
    return EIW_EXIT_OK;
}

/* A new run's step budget (--flops becomes steps) and the check of its options; a resumed run
 * takes them from its checkpoint. */
static int plan_run(train_args *a)
{
    eiw_train_options *o = &a->opt;
    if (a->resume)
        return EIW_EXIT_OK;
    if (a->flops > 0.0) {
        if (a->steps) {
            fprintf(stderr, "eiw: train: give --steps or --flops, not both\n");
            return EIW_EXIT_USAGE;
        }
        /* cost of N token-level-equivalent steps: N * (L/K + 1 - L) steps of equal FLOPs */
        double fstep = eiw_model_train_flops_per_token(&o->model, o->model.ctx) *
                       (double)o->batch * (double)o->model.ctx;
        double frac = o->patch_size > 1 ? (double)o->patch_fraction / o->patch_size + 1.0 -
                                              (double)o->patch_fraction : 1.0;
        o->steps = (int64_t)(a->flops / (fstep * frac));
        if (o->steps < 1) {
            fprintf(stderr, "eiw: train: --flops %g is less than one step (%.3g FLOPs)\n",
                    a->flops, fstep * frac);
            return EIW_EXIT_USAGE;
        }
    }
    if (eiw_train_options_check(o) != EIW_TRAIN_OK) {
        fprintf(stderr, "eiw: train: invalid options (check sizes: heads must divide d-model, "
                        "patch-fraction in [0,1), ...)\n");
        return EIW_EXIT_USAGE;
    }
    return EIW_EXIT_OK;
}

/* The trainer, new or resumed (then a->opt becomes the checkpoint's options), with this
 * rank's part of every batch. */
static int setup(train_args *a, const tokbuf *train, const tokbuf *val, eiw_trainer **tr)
{
    int rc;
    const char *rc_file = a->data[0];
    if (a->resume) {
        rc = eiw_trainer_resume(tr, a->resume, a->opt.threads, a->steps, &a->opt, train->tok,
                                train->n, val->tok, val->n);
        if (rc != EIW_TRAIN_ERR_DATA)
            rc_file = a->resume;
    } else {
        rc = eiw_trainer_create(tr, &a->opt, train->tok, train->n, val->tok, val->n);
    }
    if (rc != EIW_TRAIN_OK) {
        fprintf(stderr, "eiw: %s: %s\n", rc_file, eiw_train_strerror(rc));
        return EIW_EXIT_ERROR;
    }
    if (par_partition(*tr) != EIW_TRAIN_OK) {
        if (par_rank() == 0)
            fprintf(stderr, "eiw: train: batch %d is smaller than the %d MPI ranks\n",
                    a->opt.batch, par_size());
        return EIW_EXIT_USAGE;
    }
    return EIW_EXIT_OK;
}

/* The run's plan: model, data, stages, costs, and the ranks' shares under MPI. */
static void print_plan(const train_args *a, const eiw_train_info *info, size_t n_train,
                       size_t n_val)
{
    const eiw_train_options *o = &a->opt;
    const eiw_model_config *mc = &o->model;
    double fstep = info->flops_per_step;
    int64_t s2 = info->total_steps - info->stage1_steps;
    fprintf(stderr,
            "eiw train: %s V=%d T=%d C=%d H=%d L=%d F=%d | %lld params (%lld non-embedding)\n"
            "  data %zu tokens, val %zu tokens | batch %d | %.3g GFLOP/step\n"
            "  stage 1 (patch K=%d): %lld steps, %.4g PFLOP; stage 2 (token): %lld steps, "
            "%.4g PFLOP; cost %.3f x token-only (%lld steps)\n",
            a->resume ? "resume" : a->config, mc->vocab, mc->ctx, mc->d_model, mc->n_heads,
            mc->n_layers, mc->d_ff, (long long)eiw_model_num_params(mc),
            (long long)eiw_model_num_nonembed_params(mc), n_train, n_val, o->batch,
            fstep * 1e-9, o->patch_size, (long long)info->stage1_steps,
            (double)info->stage1_steps * fstep * 1e-15,
            (long long)s2, (double)s2 * fstep * 1e-15,
            (double)info->total_steps / (double)o->steps, (long long)o->steps);
    if (par_size() > 1) {
        int lo = o->batch / par_size(), hi = (o->batch + par_size() - 1) / par_size();
        char slice[32];
        snprintf(slice, sizeof slice, hi > lo ? "%d-%d" : "%d", lo, hi);
        fprintf(stderr, "  data parallel: %d MPI ranks x %d thread%s, %s samples of each batch "
                "per rank\n", par_size(), o->threads, o->threads > 1 ? "s" : "", slice);
    }
}

/* The progress line's clock: throughput and ETA over the latest interval. */
typedef struct {
    double t0, tlog, t_eval;      /* start, last line, time spent evaluating */
    int64_t step0, steplog, toklog;
} run_clock;

static void print_progress(run_clock *k, const eiw_train_info *info, float loss)
{
    double t = now_s(), dt = t - k->tlog;
    /* ETA from the latest interval: pauses (SIGSTOP, a busy machine) age out quickly */
    double per_step = dt / (double)(info->step - k->steplog);
    char eta[32];
    fmt_eta(eta, sizeof eta, per_step * (double)(info->total_steps - info->step));
    fprintf(stderr, "step %lld/%lld s%d loss %.4f bits lr %.2e | %.0f tok/s | %.1f GFLOP/s | "
            "ETA %s\n", (long long)info->step, (long long)info->total_steps,
            info->step <= info->stage1_steps ? 1 : 2, (double)loss / log(2.0), info->lr,
            (double)(info->tokens_seen - k->toklog) / dt,
            (double)(info->step - k->steplog) * info->flops_per_step / dt * 1e-9, eta);
    k->tlog = t;
    k->steplog = info->step;
    k->toklog = info->tokens_seen;
}

/* Steps until the run is done, --stop-at is reached or a signal asks to stop (then a
 * checkpoint), with progress, evaluation and checkpoints on the way; the exit status. */
static int train_loop(const train_args *a, eiw_trainer *tr, size_t n_val)
{
    const int quiet = par_rank() != 0;
    eiw_train_info info;
    eiw_trainer_info(tr, &info);
    run_clock k = { now_s(), 0.0, 0.0, info.step, info.step, info.tokens_seen };
    k.tlog = k.t0;
    int rc;
    while (!info.done) {
        /* a signal (every rank stops at the same step), or --stop-at: a planned pause */
        int signalled = par_any(stop_requested);
        if (signalled || (a->stop_at && info.step >= a->stop_at)) {
            if (save_checkpoint(tr, a->out) != EIW_TRAIN_OK)
                return EIW_EXIT_ERROR;
            if (!quiet && signalled)
                fprintf(stderr, "eiw: interrupted at step %lld; checkpoint written to %s\n",
                        (long long)info.step, a->out);
            else if (!quiet)
                fprintf(stderr, "eiw train: stopped at step %lld (--stop-at); checkpoint %s\n",
                        (long long)info.step, a->out);
            return signalled ? EIW_EXIT_INTERRUPTED : EIW_EXIT_OK;
        }
        float loss;
        rc = par_step(tr, &loss);
        if (rc != EIW_TRAIN_OK) {
            fprintf(stderr, "eiw: train: %s\n", eiw_train_strerror(rc));
            return EIW_EXIT_ERROR;
        }
        eiw_trainer_info(tr, &info);
        if (!quiet && (info.step % a->log_every == 0 || info.done))
            print_progress(&k, &info, loss);
        if (a->eval_every && n_val > 1 && info.step % a->eval_every == 0 && !info.done) {
            double te = now_s();
            rc = par_from_root(quiet ? EIW_TRAIN_OK : eval_and_print(tr, a, n_val));
            if (rc != EIW_TRAIN_OK)
                goto eval_err;
            k.tlog = now_s();   /* keep eval time out of the throughput figures */
            k.t_eval += k.tlog - te;
        }
        if (a->ckpt_every && info.step % a->ckpt_every == 0 && !info.done &&
            save_checkpoint(tr, a->out) != EIW_TRAIN_OK)
            return EIW_EXIT_ERROR;
    }
    double t_train = now_s() - k.t0 - k.t_eval;
    if (n_val > 1 &&
        (rc = par_from_root(quiet ? EIW_TRAIN_OK : eval_and_print(tr, a, n_val))) != EIW_TRAIN_OK)
        goto eval_err;
    if (save_checkpoint(tr, a->out) != EIW_TRAIN_OK)
        return EIW_EXIT_ERROR;
    if (!quiet)
        fprintf(stderr, "eiw train: done, %lld steps in %.1f s (%.1f s training, excluding "
                "evaluation); checkpoint %s\n", (long long)(info.step - k.step0), now_s() - k.t0,
                t_train, a->out);
    return EIW_EXIT_OK;
eval_err:
    if (par_rank() == 0)
        fprintf(stderr, "eiw: %s: %s\n", a->val[0] ? a->val[0] : a->data[0],
                eiw_train_strerror(rc));
    return EIW_EXIT_ERROR;
}

/* A training run: data, plan, trainer, loop. */
static int train(train_args *a)
{
    tokbuf train = {0}, val = {0};
    eiw_trainer *tr = NULL;
    int status = load_data(a, &train, &val);
    if (status == EIW_EXIT_OK)
        status = plan_run(a);
    if (status == EIW_EXIT_OK)
        status = setup(a, &train, &val, &tr);
    if (status == EIW_EXIT_OK) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        eiw_train_info info;
        eiw_trainer_info(tr, &info);
        if (par_rank() == 0)
            print_plan(a, &info, train.n, val.n);
        status = train_loop(a, tr, val.n);
    }
    eiw_trainer_free(tr);
    free(train.tok);
    free(val.tok);
    return status;
}

int eiw_cli_train(int argc, char **argv)
{
    tune_thread_env(argv);
    par_init(&argc, &argv);
    train_args a;
    int status = train_args_parse(argc, argv, &a);
    if (status < 0) {
        a.opt.threads = (int32_t)par_threads((int)a.threads);
        status = a.eval ? eval_only(&a) : train(&a);
    }
    train_args_free(&a);
    par_finalize();
    return status;
}
