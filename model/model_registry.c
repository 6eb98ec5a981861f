/* The registry of built-in models: one table, by name (and alias) and by id, for the library
 * (eiw_model_builtin and friends, include/eiw.h) and every command that takes --model. The
 * first entry is the default: the embedded M1 (model/weights/m1.eiwm, linked into the library
 * by model/m1_default_data.S), validated and unpacked once, on first use, like any model file;
 * files record its id (the xxh3-64 of the embedded bytes), so `--model m1.eiwm` with the same
 * file is the same model. Then the static models of model/model_static.c. */
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "eiw.h"
#include "model/model_static.h"

extern const uint8_t eiw_m1_default_bytes[];
extern const uint8_t eiw_m1_default_end[];

static eiw_model *m1_default;
static pthread_once_t m1_once = PTHREAD_ONCE_INIT;

static void load_m1(void)
{
    size_t len = (size_t)(eiw_m1_default_end - eiw_m1_default_bytes);
    eiw_model *m = NULL;
    if (eiw_model_from_bytes(eiw_m1_default_bytes, len, &m) == EIW_OK) {
        m->builtin = 1;
        m1_default = m;
    }
}

static const eiw_model *embedded_m1(void)
{
    pthread_once(&m1_once, load_m1);
    return m1_default;
}

typedef struct {
    const char *name, *alias;
    const eiw_model *(*get)(void);   /* NULL only when unpacking fails (out of memory) */
} builtin;

static const builtin builtins[] = {
    { EIW_MODEL_DEFAULT_NAME, "m1", embedded_m1 },
    { "order1", NULL, eiw_static_order1 },
    { "order0", NULL, eiw_static_order0 },
    { "uniform", NULL, eiw_static_uniform },
};
#define NBUILTIN (sizeof builtins / sizeof builtins[0])

const eiw_model *eiw_model_default(void)
{
    return builtins[0].get();
}

const eiw_model *eiw_model_builtin(const char *name)
{
    for (size_t i = 0; i < NBUILTIN; i++)
        if (strcmp(name, builtins[i].name) == 0 ||
            (builtins[i].alias && strcmp(name, builtins[i].alias) == 0))
            return builtins[i].get();
    return NULL;
}

const eiw_model *eiw_model_builtin_by_id(uint64_t id)
{
    /* last entry first: the static models answer without unpacking the M1 */
    for (size_t i = NBUILTIN; i-- > 0;) {
        const eiw_model *m = builtins[i].get();
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
