/* The static built-in models: uniform, order-0 and order-1 byte statistics (model/order_tables.c).
 * They are fast fallbacks and test models for the coder; the neural M1 plugs into the same
 * interface. They never learn while coding (static tables), so every window decodes on its own.
 * The registry of built-in models (model/model_registry.c) names them. */
#include <pthread.h>
#include <string.h>
#include <xxhash.h>
#include "eiw.h"
#include "model/model_static.h"
#include "model/order_tables.h"

typedef struct {
    uint8_t prev;       /* previous byte, valid when has_prev */
    uint8_t has_prev;
} order1_state;

static void noop_reset(const eiw_model *m, void *state)
{
    (void)m;
    memset(state, 0, m->state_size);
}

static void noop_advance(const eiw_model *m, void *state, const uint8_t *bytes, size_t len)
{
    (void)m, (void)state, (void)bytes, (void)len;
}

static void uniform_predict(const eiw_model *m, void *const *states, size_t n, uint32_t *w)
{
    (void)m, (void)states;
    for (size_t i = 0; i < n * 256; i++)
        w[i] = 1;
}

static void decode_row(const uint8_t *codes, uint32_t *w)
{
    for (int s = 0; s < 256; s++)
        w[s] = eiw_order_weight[codes[s]];
}

static void order0_predict(const eiw_model *m, void *const *states, size_t n, uint32_t *w)
{
    (void)m, (void)states;
    for (size_t i = 0; i < n; i++)
        decode_row(eiw_order0_codes, w + 256 * i);
}

static void order1_advance(const eiw_model *m, void *state, const uint8_t *bytes, size_t len)
{
    (void)m;
    order1_state *st = state;
    if (len) {
        st->prev = bytes[len - 1];
        st->has_prev = 1;
    }
}

static void order1_predict(const eiw_model *m, void *const *states, size_t n, uint32_t *w)
{
    (void)m;
    for (size_t i = 0; i < n; i++) {
        const order1_state *st = states[i];
        decode_row(st->has_prev ? eiw_order1_codes + 256 * st->prev : eiw_order0_codes,
                   w + 256 * i);
    }
}

static const eiw_model_ops uniform_ops = { noop_reset, noop_advance, uniform_predict, NULL, NULL, NULL };
static const eiw_model_ops order0_ops = { noop_reset, noop_advance, order0_predict, NULL, NULL, NULL };
static const eiw_model_ops order1_ops = { noop_reset, order1_advance, order1_predict, NULL, NULL, NULL };

/* Ids are the xxh3-64 of the defining bytes (name + tables), computed once. */
static eiw_model order1 = { &order1_ops, "order1", 0, sizeof(order1_state), 1, NULL, 1 };
static eiw_model order0 = { &order0_ops, "order0", 0, 1, 0, NULL, 1 };
static eiw_model uniform = { &uniform_ops, "uniform", 0, 1, 0, NULL, 1 };

static uint64_t table_id(const char *name, const void *a, size_t alen, const void *b, size_t blen)
{
    /* Chained one-shot hashes: no allocation, so this cannot fail. */
    uint64_t h = XXH3_64bits_withSeed(name, strlen(name), 0);
    h = XXH3_64bits_withSeed(eiw_order_weight, sizeof eiw_order_weight, h);
    if (a)
        h = XXH3_64bits_withSeed(a, alen, h);
    if (b)
        h = XXH3_64bits_withSeed(b, blen, h);
    return h;
}

/* Ids are pure functions of constant data, so concurrent first calls compute the same values;
 * the race is benign but we still initialise under a once-guard to keep sanitizers quiet. */
static pthread_once_t ids_once = PTHREAD_ONCE_INIT;
static void init_ids(void)
{
    order1.id = table_id("order1", eiw_order0_codes, sizeof eiw_order0_codes, eiw_order1_codes,
                         sizeof eiw_order1_codes);
    order0.id = table_id("order0", eiw_order0_codes, sizeof eiw_order0_codes, NULL, 0);
    uniform.id = table_id("uniform", NULL, 0, NULL, 0);
}

static const eiw_model *with_ids(const eiw_model *m)
{
    pthread_once(&ids_once, init_ids);
    return m;
}

const eiw_model *eiw_static_order1(void)
{
    return with_ids(&order1);
}

const eiw_model *eiw_static_order0(void)
{
    return with_ids(&order0);
}

const eiw_model *eiw_static_uniform(void)
{
    return with_ids(&uniform);
}
