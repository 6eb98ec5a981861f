/* The static built-in models of the codec (order1, order0, uniform). The public lookup
 * (eiw_model_builtin and friends, include/eiw.h) lives in model/model_registry.c, which adds
 * the embedded neural M1 on top of these. */
#ifndef EIW_MODEL_STATIC_H
#define EIW_MODEL_STATIC_H
#include "eiw.h"

const eiw_model *eiw_static_model(const char *name);        /* NULL if unknown */
const eiw_model *eiw_static_model_by_id(uint64_t id);       /* NULL if none has this id */
#endif
