/* eiw_train.h: public API for training eiw's transformer models (M1 bytes, M2 tokens).
 *
 * The library trains a decoder-only pre-norm transformer (RMSNorm, causal attention with ALiBi,
 * ReLU MLP) in float32 with AdamW, optionally starting with a patch-level stage. It never prints,
 * exits or installs signal handlers: the caller drives the loop (step / eval / save), prints
 * progress and decides when to stop. Every fallible function returns EIW_TRAIN_OK (0) or a
 * negative eiw_train_status; eiw_train_strerror() names it.
 *
 * Thread-safety: an eiw_trainer is used by one thread at a time. It sets the process-wide
 * OpenMP and OpenBLAS thread counts to opt->threads when created. Same options, seed, data and
 * thread count give bitwise the same run (and a resumed run continues bitwise identically). */
#ifndef EIW_TRAIN_H
#define EIW_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    EIW_TRAIN_OK = 0,
    /* -100 and below, apart from eiw.h's eiw_status (-1..-99): a value never means two things,
     * and eiw_strerror names these too */
    EIW_TRAIN_ERR_NOMEM = -100,    /* allocation failed */
    EIW_TRAIN_ERR_IO = -101,       /* open/read/write/rename failed (errno is kept) */
    EIW_TRAIN_ERR_FORMAT = -102,   /* not an eiw checkpoint, or a field out of range */
    EIW_TRAIN_ERR_VERSION = -103,  /* checkpoint of an unsupported format version */
    EIW_TRAIN_ERR_TRUNCATED = -104,  /* checkpoint shorter (or longer) than its header says */
    EIW_TRAIN_ERR_CHECKSUM = -105,   /* xxh3 checksum mismatch: the file is corrupted */
    EIW_TRAIN_ERR_CONFIG = -106,   /* invalid model configuration or training option */
    EIW_TRAIN_ERR_DATA = -107,     /* data too short for one sample, or a token >= vocab */
    EIW_TRAIN_ERR_MISMATCH = -108, /* resume with training data other than the checkpoint's */
    EIW_TRAIN_ERR_NOSTATE = -109   /* checkpoint holds weights only, cannot resume training */
} eiw_train_status;

/* Static string, never NULL: the same as eiw_strerror (which covers both headers' codes). */
const char *eiw_train_strerror(int status);

/* Architecture. Parameters (no biases):
 * wte (V,C); per layer: attn RMSNorm gain (C), Wqkv (3C,C), Wo (C,C), MLP RMSNorm gain (C),
 * W1 (F,C), W2 (C,F); final RMSNorm gain (C); LM head (V,C). */
typedef struct {
    int32_t vocab;     /* V: 256 for bytes; up to 65536 (+ specials) for tokens */
    int32_t ctx;       /* T: training sequence length (positions are ALiBi: no length limit) */
    int32_t d_model;   /* C */
    int32_t n_heads;   /* NH, divides C */
    int32_t n_layers;  /* L */
    int32_t d_ff;      /* F: MLP hidden width */
} eiw_model_config;

typedef struct {
    eiw_model_config model;
    int32_t batch;          /* B: sequences per step */
    int64_t steps;          /* N: token-level-equivalent step budget; data = N*B*T tokens */
    int64_t warmup;         /* linear warm-up steps (per stage, capped at a fifth of the stage) */
    float lr;               /* peak learning rate */
    float min_lr_frac;      /* cosine decays to lr*min_lr_frac */
    float weight_decay;     /* decoupled AdamW decay, applied to matrices only (see trainer.c) */
    float beta1, beta2, eps;
    float grad_clip;        /* global L2 norm clip; 0 disables */
    int32_t patch_size;     /* K >= 1; 1 disables the patch stage */
    float patch_fraction;   /* L in [0,1): fraction of the data budget trained at patch level */
    int32_t bos;            /* -1: none; else a token id (< vocab) put before every token-level
                             * sample, so position 0 learns the no-context distribution that
                             * Equal-Info windows start from (M1: vocab 257, bos 256) */
    uint64_t seed;          /* initialisation and data order */
    int32_t threads;        /* OpenMP/OpenBLAS threads; runtime only, not stored */
} eiw_train_options;

/* Fills *opt with a named configuration: "tiny" (tests; trains in seconds), "small" (benchmarks),
 * "m1" (the M1 byte model: d=256, 4 heads, 3 layers, MLP 1024, ctx 256, ~2.4M non-embedding
 * parameters, vocab 257 with BOS 256). Returns EIW_TRAIN_ERR_CONFIG for an unknown name. */
int eiw_train_config(const char *name, eiw_train_options *opt);

/* Checks options for consistency (sizes, ranges, overflow). */
int eiw_train_options_check(const eiw_train_options *opt);

/* Parameter count: all, and without the two V x C matrices (embedding and head). */
int64_t eiw_model_num_params(const eiw_model_config *cfg);
int64_t eiw_model_num_nonembed_params(const eiw_model_config *cfg);

typedef struct eiw_trainer eiw_trainer;

/* Creates a trainer with freshly initialised weights (seeded). The data arrays are borrowed:
 * they must outlive the trainer. Tokens must be < vocab. train must hold at least one sample
 * (K*(T+1) tokens); val may be NULL/0. *out is NULL on error. */
int eiw_trainer_create(eiw_trainer **out, const eiw_train_options *opt,
                       const uint16_t *train, size_t n_train,
                       const uint16_t *val, size_t n_val);

/* Creates a trainer from a checkpoint written by eiw_trainer_save, continuing its run exactly.
 * Model and training options come from the checkpoint; only opt_override->threads is used, and
 * opt_override->steps if > 0 (extends or shortens the run; the schedule follows the new total).
 * The training data must be the checkpoint's (length and xxh3 are checked). On success, the
 * effective options are copied to *opt_out if non-NULL. */
int eiw_trainer_resume(eiw_trainer **out, const char *ckpt_path, int32_t threads, int64_t steps,
                       eiw_train_options *opt_out,
                       const uint16_t *train, size_t n_train,
                       const uint16_t *val, size_t n_val);

void eiw_trainer_free(eiw_trainer *tr);   /* NULL is a no-op */

/* One optimizer step; *loss receives the step's mean training loss in nats (patch-level loss in
 * the patch stage, not comparable to token-level). Returns EIW_TRAIN_OK even when done (no-op).
 * It is eiw_trainer_compute_grads + eiw_trainer_apply of one process (EIW_TRAIN_ERR_CONFIG after
 * eiw_trainer_set_partition with nranks > 1). */
int eiw_trainer_step(eiw_trainer *tr, float *loss);

/* Data-parallel training (e.g. over MPI; the library does no communication itself). nranks
 * processes create the same trainer (same options or checkpoint, seed and data) and each calls
 * eiw_trainer_set_partition with its rank. Then every step is, on every process:
 *     eiw_trainer_compute_grads(tr, &g, &n, &loss);
 *     sum g[0..n) and loss over the processes, in place (an all-reduce);
 *     eiw_trainer_apply(tr);
 * Every process draws the whole batch of B samples (so the data positions stay the same) and
 * runs forward and backward on samples [rank*B/nranks, (rank+1)*B/nranks) only; a batch that
 * nranks does not divide gives slices differing by one sample, exactly accounted for. The
 * slice's gradient and loss are scaled by 1/(B*T) of the whole batch, so their sums are the
 * one-process step's mean gradient and mean loss (nats): the run follows the one-process run up to
 * the order of float summation (as long as the all-reduce gives every process the same sums).
 * Clipping uses the norm of the summed gradient. The partition is not stored in checkpoints: a
 * run may be resumed with another number of processes.
 * set_partition: EIW_TRAIN_ERR_CONFIG unless 0 <= rank < nranks <= batch.
 * compute_grads: *grads is the trainer's gradient buffer (n_params floats, valid until the next
 * call); when the run is done it is zero and apply does nothing. EIW_TRAIN_ERR_CONFIG if called
 * twice without apply in between; apply returns it without a preceding compute_grads. */
int eiw_trainer_set_partition(eiw_trainer *tr, int rank, int nranks);
int eiw_trainer_compute_grads(eiw_trainer *tr, float **grads, size_t *n_grads, double *loss);
int eiw_trainer_apply(eiw_trainer *tr);

/* Validation at token level, on up to max_tokens predicted tokens of val (0: all), in
 * consecutive windows of T+1 tokens with stride T, each starting at position 0.
 * *bits_per_token = mean cross-entropy in bits. Deterministic; does not change training state. */
int eiw_trainer_eval(eiw_trainer *tr, size_t max_tokens, double *bits_per_token);

/* Writes a full checkpoint (weights + optimizer + data position) atomically: path.tmp, fsync,
 * rename. Weights-only files are not written by the trainer. */
int eiw_trainer_save(const eiw_trainer *tr, const char *path);

typedef struct {
    int64_t step;             /* optimizer steps done, over both stages */
    int64_t total_steps;      /* steps of stage 1 + stage 2 */
    int64_t stage1_steps;     /* patch-level steps (0 without patch stage) */
    int32_t stage;            /* 1 = patch level, 2 = token level (current step) */
    int32_t patch_size;       /* K of the current stage */
    double lr;                /* learning rate of the next step */
    double flops_per_step;    /* forward+backward FLOPs of one step (same in both stages) */
    int64_t tokens_per_step;  /* data tokens consumed per step in the current stage: B*T*K */
    int64_t tokens_seen;      /* data tokens consumed so far */
    int64_t epoch;            /* passes over the training data started */
    int done;                 /* step == total_steps */
} eiw_train_info;

void eiw_trainer_info(const eiw_trainer *tr, eiw_train_info *info);

/* Read-only view of the weights (layout in docs/checkpoint.md), valid until the next step. */
const float *eiw_trainer_params(const eiw_trainer *tr, size_t *n_params);

/* Loads weights of any checkpoint (full or weights-only). *params is malloc'd, caller frees. */
int eiw_checkpoint_load_weights(const char *path, eiw_model_config *cfg,
                                float **params, size_t *n_params);

/* Token-level evaluation of any checkpoint's weights on tokens, in the windows of
 * eiw_trainer_eval, with context ctx (<= 0: the checkpoint's; ALiBi allows any length) and
 * threads (<= 0: unchanged). Tokens >= vocab give EIW_TRAIN_ERR_DATA. */
int eiw_checkpoint_eval(const char *path, const uint16_t *tokens, size_t n, int32_t ctx,
                        int32_t threads, size_t max_tokens, double *bits_per_token);

/* Forward FLOPs to train on one position of a length-T sequence, times 3 for fwd+bwd. */
double eiw_model_train_flops_per_token(const eiw_model_config *cfg, int32_t T);

#ifdef __cplusplus
}
#endif
#endif
