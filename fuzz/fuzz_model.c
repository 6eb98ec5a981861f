/* Fuzz target: an .eiwm model file (eiw_model_from_bytes, as `eiw --model FILE` loads it). The
 * bytes are tried as given, then with their checksum recomputed, so that mutations reach the
 * structure behind it. A model that loads must give weights within the interface's bounds
 * for the window start and a run of bytes, and code a short text both ways. */
#include "fuzz/fuzz.h"

#include <stdlib.h>
#include <string.h>

#define RUN 48

static void check_row(const uint32_t *w)
{
    uint64_t sum = 0;
    for (int i = 0; i < 256; i++)
        sum += w[i];
    eiw_fuzz_check(sum <= UINT32_MAX, "weights sum beyond 2^32 - 1");
}

static void exercise(const eiw_model *m, const uint8_t *text, size_t n)
{
    void *state = calloc(1, m->state_size), *other = calloc(1, m->state_size);
    uint32_t *w = malloc(sizeof(uint32_t) * 256 * (RUN > 2 ? RUN : 2));
    uint8_t *coded = malloc(4 * RUN + 64), *back = malloc(RUN);
    if (state && other && w && coded && back) {
        n = n < RUN ? n : RUN;
        m->ops->reset(m, state);
        m->ops->reset(m, other);
        void *const both[2] = { state, other };
        m->ops->predict(m, both, 2, w);
        check_row(w);
        eiw_fuzz_check(memcmp(w, w + 256, 256 * sizeof *w) == 0, "two fresh states differ");
        if (m->ops->predict_run) {
            m->ops->predict_run(m, state, text, n, w);
            for (size_t i = 0; i < n; i++)
                check_row(w + 256 * i);
        }
        ptrdiff_t c = eiw_stream_encode(m, state, text, n, coded, 4 * RUN + 64);
        eiw_fuzz_check(c >= 0, "stream encoding failed");
        eiw_fuzz_check(eiw_stream_decode(m, state, coded, (size_t)c, back, n) == EIW_OK &&
                       memcmp(back, text, n) == 0, "stream coding does not round-trip");
    }
    free(state);
    free(other);
    free(w);
    free(coded);
    free(back);
}

int eiw_fuzz_model(const uint8_t *data, size_t size)
{
    eiw_model *m = NULL;
    if (eiw_model_from_bytes(data, size, &m) == EIW_OK) {
        exercise(m, data, size);
        eiw_model_free(m);
    }
    if (size < 8)
        return 0;
    uint8_t *copy = malloc(size);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    eiw_fuzz_fix_xxh3_tail(copy, size);
    if (eiw_model_from_bytes(copy, size, &m) == EIW_OK) {
        exercise(m, copy + size / 2, size - size / 2);
        eiw_model_free(m);
    }
    free(copy);
    return 0;
}
