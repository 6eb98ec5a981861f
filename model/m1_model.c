/* The integer M1 behind the codec's model interface (include/eiw.h). Advancing a stream only
 * queues its bytes; the next predict runs the queued bytes of all the streams it is asked
 * about in one batched forward pass, so lockstep decoding of many windows or blocks shares
 * every matrix product. predict_run evaluates a run of known bytes in one pass. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#include "eiw.h"
#include "model/qm1.h"

#define QUEUE_MAX EIW_QM1_MAXP

typedef struct {
    uint32_t queued;
    uint8_t queue[QUEUE_MAX];
} m1_head;

#define HEAD_BYTES 128   /* m1_head padded; the qm1 state follows, 64-byte aligned */

static void *qstate(void *state) { return (uint8_t *)state + HEAD_BYTES; }

static void m1_flush(const eiw_qm1 *q, void *const *states, size_t n)
{
    void *qs[EIW_QM1_MAXP];
    const uint8_t *runs[EIW_QM1_MAXP];
    size_t lens[EIW_QM1_MAXP];
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        m1_head *h = states[i];
        if (!h->queued)
            continue;
        qs[k] = qstate(states[i]);
        runs[k] = h->queue;
        lens[k] = h->queued;
        k++;
        if (k == EIW_QM1_MAXP || i + 1 == n) {
            eiw_qm1_forward(q, qs, runs, lens, k, NULL, 0);
            for (size_t j = 0; j < k; j++)
                ((m1_head *)((uint8_t *)qs[j] - HEAD_BYTES))->queued = 0;
            k = 0;
        }
    }
    if (k) {
        eiw_qm1_forward(q, qs, runs, lens, k, NULL, 0);
        for (size_t j = 0; j < k; j++)
            ((m1_head *)((uint8_t *)qs[j] - HEAD_BYTES))->queued = 0;
    }
}

static void m1_reset(const eiw_model *m, void *state)
{
    ((m1_head *)state)->queued = 0;
    eiw_qm1_reset(m->impl, qstate(state));
}

static void m1_advance(const eiw_model *m, void *state, const uint8_t *bytes, size_t len)
{
    m1_head *h = state;
    void *one[1] = { state };
    for (size_t i = 0; i < len; i++) {
        if (h->queued == QUEUE_MAX)
            m1_flush(m->impl, one, 1);
        h->queue[h->queued++] = bytes[i];
    }
}

static void m1_predict(const eiw_model *m, void *const *states, size_t n, uint32_t *weights)
{
    m1_flush(m->impl, states, n);
    for (size_t i = 0; i < n; i++)
        memcpy(weights + 256 * i, eiw_qm1_weights(m->impl, qstate(states[i])),
               256 * sizeof(uint32_t));
}

static void m1_predict_run(const eiw_model *m, void *state, const uint8_t *bytes, size_t len,
                           uint32_t *weights)
{
    void *one[1] = { state };
    m1_flush(m->impl, one, 1);
    if (!len)
        return;
    memcpy(weights, eiw_qm1_weights(m->impl, qstate(state)), 256 * sizeof(uint32_t));
    /* rows 1..len-1 come from bytes 0..len-2; the last byte only updates the state */
    void *qs[1] = { qstate(state) };
    uint32_t *outs[1] = { weights + 256 };
    eiw_qm1_forward(m->impl, qs, &bytes, &len, 1, outs, 1);
}

/* Runs of known bytes for n streams in one batched pass: stream i's rows start at
 * weights + 256 * (lens[0] + ... + lens[i-1]). */
static void m1_predict_runs(const eiw_model *m, void *const *states, const uint8_t *const *runs,
                            const size_t *lens, size_t n, uint32_t *weights)
{
    void *qs[EIW_QM1_MAXP];
    uint32_t *outs[EIW_QM1_MAXP];
    m1_flush(m->impl, states, n);
    for (size_t at = 0; at < n; at += EIW_QM1_MAXP) {
        size_t k = n - at < EIW_QM1_MAXP ? n - at : EIW_QM1_MAXP;
        for (size_t i = 0; i < k; i++) {
            qs[i] = qstate(states[at + i]);
            outs[i] = lens[at + i] ? weights : NULL;
            if (lens[at + i]) {
                memcpy(weights, eiw_qm1_weights(m->impl, qs[i]), 256 * sizeof(uint32_t));
                outs[i] = weights + 256;
            }
            weights += 256 * lens[at + i];
        }
        eiw_qm1_forward(m->impl, qs, runs + at, lens + at, k, outs, 1);
    }
}

static void m1_destroy(eiw_model *m)
{
    eiw_qm1_free((eiw_qm1 *)m->impl);
    free(m);
}

static const eiw_model_ops m1_ops = { m1_reset, m1_advance, m1_predict, m1_predict_run,
                                      m1_destroy, m1_predict_runs };

eiw_status eiw_model_from_bytes(const uint8_t *buf, size_t len, eiw_model **out)
{
    *out = NULL;
    eiw_qm1 *q;
    int r = eiw_qm1_load(&q, buf, len);
    if (r)
        return r == -2 ? EIW_ERR_NOMEM : EIW_ERR_MODEL_FILE;
    eiw_model *m = calloc(1, sizeof *m);
    if (!m) {
        eiw_qm1_free(q);
        return EIW_ERR_NOMEM;
    }
    m->ops = &m1_ops;
    snprintf(m->name, sizeof m->name, "%s", q->name);
    m->id = XXH3_64bits(buf, len);
    m->state_size = HEAD_BYTES + q->state_size;
    m->context = (size_t)q->window - 1;
    m->impl = q;
    *out = m;
    return EIW_OK;
}
