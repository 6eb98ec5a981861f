/* The built-in models: the embedded default M1 (model/weights/m1.eiwm, linked into the
 * library by model/m1_default_data.S) plus the codec's static models. The M1 is validated
 * and unpacked once, on first use, like any model file; files record its id (the xxh3-64 of
 * the embedded bytes), so `--model m1.eiwm` with the same file is the same model. */
#include <pthread.h>
#include <stddef.h>
#include <string.h>
#include "eiw.h"
#include "codec/model_static.h"

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

const eiw_model *eiw_model_default(void)
{
    return embedded_m1();
}

const eiw_model *eiw_model_builtin(const char *name)
{
    if (strcmp(name, EIW_MODEL_DEFAULT_NAME) == 0 || strcmp(name, "m1") == 0)
        return embedded_m1();
    return eiw_static_model(name);
}

const eiw_model *eiw_model_builtin_by_id(uint64_t id)
{
    const eiw_model *m = eiw_static_model_by_id(id);
    if (m)
        return m;
    m = embedded_m1();
    return m && m->id == id ? m : NULL;
}

const char *eiw_model_builtin_names(void)
{
    return EIW_MODEL_DEFAULT_NAME " (default, alias m1), order1, order0, uniform";
}
