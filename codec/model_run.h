/* Internal helpers between the coders and the model interface: one-stream prediction and the
 * "many known positions" call, falling back to predict+advance for models without predict_run. */
#ifndef EIW_MODEL_RUN_H
#define EIW_MODEL_RUN_H
#include "eiw.h"

static inline void model_predict1(const eiw_model *m, void *state, uint32_t *weights)
{
    void *states[1] = { state };
    m->ops->predict(m, states, 1, weights);
}

static inline void model_run(const eiw_model *m, void *state, const uint8_t *bytes, size_t len,
                             uint32_t *weights)
{
    if (m->ops->predict_run) {
        m->ops->predict_run(m, state, bytes, len, weights);
        return;
    }
    for (size_t i = 0; i < len; i++) {
        model_predict1(m, state, weights + 256 * i);
        m->ops->advance(m, state, bytes + i, 1);
    }
}

/* model_run for n streams at once: stream i's rows start after the rows of streams 0..i-1. */
static inline void model_runs(const eiw_model *m, void *const *states,
                              const uint8_t *const *runs, const size_t *lens, size_t n,
                              uint32_t *weights)
{
    if (m->ops->predict_runs) {
        m->ops->predict_runs(m, states, runs, lens, n, weights);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        model_run(m, states[i], runs[i], lens[i], weights);
        weights += 256 * lens[i];
    }
}

/* Positions evaluated per predict_run call in stream mode (weights buffer: 256 uint32 each). */
#define EIW_RUN_CHUNK 256
#endif
