/* The static built-in models (model/model_static.c): shared objects with their ids set. The
 * public lookup by name or id (eiw_model_builtin and friends, include/eiw.h) is the registry,
 * model/model_registry.c, which lists them with the embedded neural M1. */
#ifndef EIW_MODEL_STATIC_H
#define EIW_MODEL_STATIC_H
#include "eiw.h"

const eiw_model *eiw_static_order1(void);    /* previous byte -> byte statistics */
const eiw_model *eiw_static_order0(void);    /* byte frequencies */
const eiw_model *eiw_static_uniform(void);   /* every byte equally likely */
#endif
