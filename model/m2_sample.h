/* Float inference of a trained transformer for sampling (eiw generate): the next-token logits
 * for a growing context, one token at a time, with a key/value cache. Same arithmetic as the
 * training forward (model/transformer.c), so the logits match eiw_transformer_forward on the
 * same context up to float rounding. Internal header (the CLI and tests use it). */
#ifndef EIW_M2_SAMPLE_H
#define EIW_M2_SAMPLE_H

#include <stddef.h>
#include <stdint.h>
#include "eiw_train.h"

typedef struct eiw_m2 eiw_m2;

/* A model with the given weights (copied). Its cache holds up to cap tokens (>= 2; the
 * checkpoint's ctx is the natural choice). Returns an eiw_train_status. */
int eiw_m2_create(eiw_m2 **out, const eiw_model_config *cfg, const float *params, int32_t cap);
/* The weights of any checkpoint, cache of its ctx tokens. *bos receives its BOS token (-1: no
 * BOS). Returns an eiw_train_status. */
int eiw_m2_load(eiw_m2 **out, const char *path, int32_t *bos);
void eiw_m2_free(eiw_m2 *m);   /* NULL is a no-op */

const eiw_model_config *eiw_m2_config(const eiw_m2 *m);
/* Tokens in the context now (0..cap). */
size_t eiw_m2_len(const eiw_m2 *m);
/* Drops the context. */
void eiw_m2_reset(eiw_m2 *m);
/* Keeps the first n tokens of the context (n <= eiw_m2_len). Exact: what the cache holds for
 * them depends on no later token. */
void eiw_m2_truncate(eiw_m2 *m, size_t n);
/* Appends token (< vocab) to the context and, if logits is not NULL, writes the vocab logits
 * of the token after it. A full cache first slides: it keeps its last cap/2 tokens and
 * recomputes them from there (the model then sees between cap/2 and cap tokens, the lengths
 * it was trained on). Returns 1 if that happened, else 0. */
int eiw_m2_push(eiw_m2 *m, unsigned token, float *logits);

/* Draws an index from softmax(logits / temperature) restricted to the top_k largest logits
 * (top_k <= 0 or >= n: all; ties at the k-th value break by lower index), with the splitmix64
 * generator *rng. temperature > 0. Deterministic: same inputs, same draw. scratch: n floats. */
unsigned eiw_sample_logits(const float *logits, size_t n, double temperature, size_t top_k,
                           uint64_t *rng, float *scratch);

#endif
