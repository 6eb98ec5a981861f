/* The eiw transformer: decoder-only, pre-norm (RMSNorm), causal multi-head attention with ALiBi
 * position biases, ReLU MLP, untied LM head, no biases. Layer forward/backward pairs over raw
 * buffers (llm.c style) plus the whole-model forward/backward used by the trainer.
 * Internal header (tests use it); the public API is include/eiw_train.h. */
#ifndef EIW_TRANSFORMER_H
#define EIW_TRANSFORMER_H

#include <stddef.h>
#include <stdint.h>
#include "eiw_train.h"

/* ---- layers. "+=" marks outputs that accumulate. ---- */
/* out (B,T,C) = wte[inp] ; inp (B,T) */
void eiw_encoder_forward(float *out, const int *inp, const float *wte, int B, int T, int C);
/* dwte (V,C) += scatter of dout (B,T,C) */
void eiw_encoder_backward(float *dwte, const float *dout, const int *inp, int B, int T, int C);
/* Patch input: out (B,T,C) = mean_k wte[inp[b, t*K+k]] ; inp (B,T*K) */
void eiw_patch_encoder_forward(float *out, const int *inp, const float *wte, int B, int T, int C, int K);
/* dwte (V,C) += dout/K scattered to each of the K tokens */
void eiw_patch_encoder_backward(float *dwte, const float *dout, const int *inp, int B, int T, int C, int K);

/* out (N,C) = inp * rstd * w ; rstd (N) */
void eiw_rmsnorm_forward(float *out, float *rstd, const float *inp, const float *w, int N, int C);
/* dinp (N,C) +=, dw (C) += */
void eiw_rmsnorm_backward(float *dinp, float *dw, const float *dout, const float *inp,
                          const float *w, const float *rstd, int N, int C);

/* Floats of scratch both attention passes need. */
size_t eiw_attention_scratch_size(int B, int T, int C, int NH);
/* out (B,T,C); att (B,NH,T,T) softmax probabilities (upper triangle zero); qkv (B,T,3C);
 * scratch (eiw_attention_scratch_size) */
void eiw_attention_forward(float *out, float *att, float *scratch, const float *qkv,
                           int B, int T, int C, int NH);
/* dqkv (B,T,3C) +=; scratch as above */
void eiw_attention_backward(float *dqkv, float *scratch, const float *dout, const float *qkv,
                            const float *att, int B, int T, int C, int NH);
/* ALiBi slope of head h of NH: 2^(-8(h+1)/NH) */
float eiw_alibi_slope(int h, int NH);

void eiw_relu_forward(float *out, const float *inp, size_t n);
/* dinp = dout * (inp > 0), in place allowed (dinp == dout) */
void eiw_relu_backward(float *dinp, const float *dout, const float *inp, size_t n);
void eiw_residual_forward(float *out, const float *a, const float *b, size_t n);

/* logits (N,V) -> probs (N,V) in place; losses (N) = mean over K of -ln p[targets (N,K)].
 * Token version is K=1 with its own code (tests compare the two). */
void eiw_xent_forward(float *probs, float *losses, const int *targets, int N, int V);
void eiw_patch_xent_forward(float *probs, float *losses, const int *targets, int N, int V, int K);
/* probs (N,V) -> dlogits in place, for loss = mean of losses over N (scale = 1/N). */
void eiw_xent_backward(float *probs, const int *targets, int N, int V, float scale);
void eiw_patch_xent_backward(float *probs, const int *targets, int N, int V, int K, float scale);

/* ---- model ---- */
enum { EIW_NUM_PARAM_TENSORS = 9 };

typedef struct {
    float *wte;      /* (V, C) */
    float *ln1w;     /* (L, C) */
    float *qkvw;     /* (L, 3C, C) */
    float *attprojw; /* (L, C, C) */
    float *ln2w;     /* (L, C) */
    float *fcw;      /* (L, F, C) */
    float *fcprojw;  /* (L, C, F) */
    float *lnfw;     /* (C) */
    float *wlm;      /* (V, C) */
} eiw_param_tensors;

typedef struct {
    float *encoded;   /* (B,T,C) */
    float *ln1;       /* (L,B,T,C) */
    float *ln1_rstd;  /* (L,B,T) */
    float *qkv;       /* (L,B,T,3C) */
    float *atty;      /* (L,B,T,C) */
    float *att;       /* (L,B,NH,T,T) */
    float *residual2; /* (L,B,T,C) */
    float *ln2;       /* (L,B,T,C) */
    float *ln2_rstd;  /* (L,B,T) */
    float *fch;       /* (L,B,T,F) */
    float *fch_relu;  /* (L,B,T,F) */
    float *residual3; /* (L,B,T,C) */
    float *lnf;       /* (B,T,C) */
    float *lnf_rstd;  /* (B,T) */
    float *probs;     /* (B,T,V) logits -> probs -> dlogits */
    float *losses;    /* (B,T) */
    float *dresidual; /* (B,T,C) backward: gradient of the residual stream */
    float *dbtc;      /* (B,T,C) scratch */
    float *dbtf;      /* (B,T,F) scratch */
    float *dqkv;      /* (B,T,3C) scratch */
    float *datt;      /* (eiw_attention_scratch_size) attention scratch */
} eiw_acts;

typedef struct {
    eiw_model_config cfg;
    size_t param_sizes[EIW_NUM_PARAM_TENSORS];
    size_t n_params;
    float *params_mem;       /* n_params */
    float *grads_mem;        /* n_params */
    eiw_param_tensors params, grads;
    int B, T;                /* activation capacity */
    float *acts_mem;
    eiw_acts acts;
    double mean_loss;        /* of the last forward with targets */
} eiw_transformer;

int eiw_model_config_check(const eiw_model_config *cfg);
/* Sizes of the 9 tensors; returns total, 0 on invalid config. */
size_t eiw_model_param_sizes(const eiw_model_config *cfg, size_t sizes[EIW_NUM_PARAM_TENSORS]);
/* Allocates params, grads (zeroed) and activations for up to B sequences of T positions. */
int eiw_transformer_init(eiw_transformer *m, const eiw_model_config *cfg, int B, int T);
void eiw_transformer_free(eiw_transformer *m);
/* Seeded N(0, 0.02) matrices (residual projections scaled by 1/sqrt(2L)), unit RMSNorm gains. */
void eiw_transformer_init_weights(eiw_transformer *m, uint64_t seed);
void eiw_transformer_point(eiw_param_tensors *t, float *mem, const size_t sizes[EIW_NUM_PARAM_TENSORS]);

/* Forward on inputs (B, T*K) (K=1: token level). With targets (B, T*K) computes m->mean_loss.
 * force_patch uses the patch code even for K=1 (tests). Requires B <= m->B, T <= m->T. */
void eiw_transformer_forward(eiw_transformer *m, const int *inputs, const int *targets,
                             int B, int T, int K, int force_patch);
/* Zeroes grads, then backprops mean_loss of the preceding forward (same arguments). */
void eiw_transformer_backward(eiw_transformer *m, const int *inputs, const int *targets,
                              int B, int T, int K, int force_patch);
/* The same for scale * (sum of the B*T losses): scale 1/(B*T) is the above; a slice of a larger
 * batch takes 1/(the whole batch's B*T), so that the slices' gradients add up to the batch's. */
void eiw_transformer_backward_scaled(eiw_transformer *m, const int *inputs, const int *targets,
                                     int B, int T, int K, int force_patch, float scale);

/* Splitmix64-based RNG shared by init and data order. */
uint64_t eiw_rng_next(uint64_t *state);
float eiw_rng_normal(uint64_t *state);

#endif
