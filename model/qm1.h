/* Integer M1: the byte transformer of include/eiw_train.h evaluated with integer arithmetic
 * only (int8 weights, int32 fixed-point activations, table-based exp), so the next-byte
 * distribution is bit-identical on every machine, compiler, SIMD path and thread count.
 * Conversion from float weights uses floats once, offline; nothing on the coding path does.
 * The arithmetic is specified in docs/m1_inference.md. */
#ifndef EIW_QM1_H
#define EIW_QM1_H
#include <stddef.h>
#include <stdint.h>
#include "eiw_train.h"
#include "model/qkernels.h"

#define EIW_QM1_MAXP 64          /* positions per forward pass (scratch in each state) */
#define EIW_QM1_NAME_MAX 32

typedef struct {
    eiw_qmat m;
    int32_t *mult;               /* (R) in [2^30, 2^31) */
    int8_t *shift;               /* (R) in [32, 62]: weight = q * mult * 2^-shift */
} eiw_qlinear;

typedef struct {
    char name[EIW_QM1_NAME_MAX];
    int32_t vocab;               /* input rows: 256 bytes + BOS */
    int32_t bos;                 /* BOS id (= 256) */
    int32_t C, NH, L, F;
    int32_t window;              /* positions attended: BOS + window-1 latest bytes */
    int32_t *emb;                /* (vocab, C) Q16 */
    eiw_qlinear *qkv, *wo, *w1, *w2;   /* (L) each */
    eiw_qlinear lm;              /* (256, C): logits of the 256 byte values */
    int32_t *slope_q16;          /* (NH) ALiBi slopes */
    int32_t inv_sqrt_d_q16;      /* 1/sqrt(C/NH) */
    /* derived at load: BOS's keys/values per layer and the first byte's weights */
    int8_t *bos_k;               /* (L, C) */
    int8_t *bos_ke;              /* (L, NH) exponents */
    int16_t *bos_v;              /* (L, C) Q10 */
    uint32_t start_w[256];
    int ring;                    /* cache slots per layer and head: window - 1 + MAXP, to 16 */
    size_t state_size;
    uint8_t *file;               /* the serialized model (its xxh3 is the model id) */
    size_t file_len;
} eiw_qm1;

/* Converts float weights (layout of docs/checkpoint.md; vocab must be 257 with BOS = 256). */
int eiw_qm1_from_float(eiw_qm1 **out, const eiw_model_config *cfg, const float *params,
                       const char *name);
/* Parses a serialized model (copied); validates everything. 0 ok, -1 invalid, -2 nomem. */
int eiw_qm1_load(eiw_qm1 **out, const uint8_t *buf, size_t len);
void eiw_qm1_free(eiw_qm1 *m);

/* Per-stream state (state_size bytes, caller-allocated, 16-byte aligned). */
void eiw_qm1_reset(const eiw_qm1 *m, void *state);
/* Appends bytes to n streams (stream i gets lens[i] bytes of runs[i]) and runs the model on
 * them; afterwards each state holds the distribution of its next byte. If outs and outs[i] are
 * not NULL, outs[i] receives rows of 256 weights, one per byte of run i in order (row of byte
 * t = distribution of the byte after it), except, with out_skips_last, for the run's last byte
 * (that one is only in the state). Scratch of states[0] is used; states must be distinct. */
void eiw_qm1_forward(const eiw_qm1 *m, void *const *states, const uint8_t *const *runs,
                     const size_t *lens, size_t n, uint32_t *const *outs, int out_skips_last);
/* Next-byte weights of a stream (after reset: the window-start distribution). */
const uint32_t *eiw_qm1_weights(const eiw_qm1 *m, const void *state);
#endif
