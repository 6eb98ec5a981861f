/* The registry of built-in models: one table, by name (and alias) and by id, for the library
 * (eiw_model_builtin and friends, include/eiw.h) and every command that takes --model. The
 * first entry is the default. The trained M1s are model files embedded in the library
 * (model/weights/NAME.eiwm, linked in by model/m1_builtin_data.S): each is validated and
 * unpacked once, on first use, like any model file; files record its id (the xxh3-64 of the
 * embedded bytes), so `--model model/weights/NAME.eiwm` is the same model, and a file made with
 * an earlier default keeps decoding: its id finds it here (unpacking only that one). Then the
 * static models of model/model_static.c. */
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <xxhash.h>
#include "eiw.h"
#include "model/model_static.h"

extern const uint8_t eiw_m1_202612_bytes[], eiw_m1_202612_end[];
extern const uint8_t eiw_m1_202611_bytes[], eiw_m1_202611_end[];

typedef struct {
    const uint8_t *bytes, *end;
    uint64_t id;                     /* under lock: 0 until hashed */
    int failed;                      /* under lock: unpacking failed (out of memory) */
    eiw_model *m;                    /* under lock: NULL until unpacked */
} embedded;

static embedded m1_202612 = { .bytes = eiw_m1_202612_bytes, .end = eiw_m1_202612_end };
static embedded m1_202611 = { .bytes = eiw_m1_202611_bytes, .end = eiw_m1_202611_end };
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* The model's id, from its bytes: no unpacking. */
static uint64_t embedded_id(embedded *e)
{
    pthread_mutex_lock(&lock);
    if (!e->id)
        e->id = XXH3_64bits(e->bytes, (size_t)(e->end - e->bytes));
    uint64_t id = e->id;
    pthread_mutex_unlock(&lock);
    return id;
}

/* The unpacked model (NULL only if unpacking fails: out of memory). */
static const eiw_model *embedded_model(embedded *e)
{
    pthread_mutex_lock(&lock);
    if (!e->m && !e->failed) {
        eiw_model *m = NULL;
        if (eiw_model_from_bytes(e->bytes, (size_t)(e->end - e->bytes), &m) == EIW_OK) {
            m->builtin = 1;
            e->m = m;
        } else {
            e->failed = 1;
        }
    }
    const eiw_model *r = e->m;
    pthread_mutex_unlock(&lock);
    return r;
}

typedef struct {
    const char *name, *alias;
    embedded *emb;                      /* an embedded M1, or */
    const eiw_model *(*get)(void);      /* a static model */
} builtin;

static const builtin builtins[] = {
    { EIW_MODEL_DEFAULT_NAME, "m1", &m1_202612, NULL },
    { "m1-202611", NULL, &m1_202611, NULL },    /* the default of eiw 0.1-0.4 */
    { "order1", NULL, NULL, eiw_static_order1 },
    { "order0", NULL, NULL, eiw_static_order0 },
    { "uniform", NULL, NULL, eiw_static_uniform },
};
#define NBUILTIN (sizeof builtins / sizeof builtins[0])

static const eiw_model *get(const builtin *b)
{
    return b->emb ? embedded_model(b->emb) : b->get();
}

const eiw_model *eiw_model_default(void)
{
    return get(&builtins[0]);
}

const eiw_model *eiw_model_builtin(const char *name)
{
    for (size_t i = 0; i < NBUILTIN; i++)
        if (strcmp(name, builtins[i].name) == 0 ||
            (builtins[i].alias && strcmp(name, builtins[i].alias) == 0))
            return get(&builtins[i]);
    return NULL;
}

const eiw_model *eiw_model_builtin_by_id(uint64_t id)
{
    for (size_t i = 0; i < NBUILTIN; i++) {
        const builtin *b = &builtins[i];
        if (b->emb && embedded_id(b->emb) != id)
            continue;   /* not unpacked for nothing */
        const eiw_model *m = get(b);
        if (m && m->id == id)
            return m;
    }
    return NULL;
}

static char names[128];
static pthread_once_t names_once = PTHREAD_ONCE_INIT;

static void list_names(void)
{
    size_t at = 0;
    for (size_t i = 0; i < NBUILTIN && at < sizeof names; i++) {
        const builtin *b = &builtins[i];
        int k;
        if (i == 0)
            k = snprintf(names, sizeof names, "%s (default, alias %s)", b->name, b->alias);
        else
            k = snprintf(names + at, sizeof names - at, ", %s", b->name);
        at += k > 0 ? (size_t)k : 0;
    }
}

const char *eiw_model_builtin_names(void)
{
    pthread_once(&names_once, list_names);
    return names;
}

void eiw_model_free(const eiw_model *m)
{
    if (m && !m->builtin && m->ops->destroy)
        m->ops->destroy((eiw_model *)m);
}
