/* Internal entry points of the context-mixing model for benchmarks and tuning tools (not the
 * codec's interface, which is eiw_mix_* in include/eiw.h). */
#ifndef EIW_CM_MODEL_H
#define EIW_CM_MODEL_H
#include <stdint.h>
#include "eiw.h"

/* The byte model's stretched P(1) at each bit of byte c, and its confidence bucket, as
 * eiw_mix_byte_begin derives them from the weights. */
void eiw_mix_path_of(const uint32_t *weights, unsigned c, int16_t st[8], int *conf);
/* byte_begin with those precomputed values: only valid if the byte coded next is c. */
void eiw_mix_byte_begin_path(eiw_mix *x, unsigned lane, const int16_t st[8], int conf);
/* A level's model with only some of its parts, for ablation tables: contexts is a bit set of
 * context kinds (bit order: orders 1..7, word, word pair, sparse 1, sparse 2, column); match = 0
 * silences the match model. */
eiw_status eiw_mix_new_ablation(int level, uint32_t contexts, int match, eiw_mix **out);
#endif
