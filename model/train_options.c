/* Training options: the named configurations and the consistency check, used by the trainer
 * (model/trainer.c) and by the checkpoint reader (model/checkpoint.c), which checks the options
 * a file stores. */
#include <string.h>
#include "eiw_train.h"
#include "model/transformer.h"

static void set_common(eiw_train_options *o)
{
    o->min_lr_frac = 0.1f;
    o->weight_decay = 0.1f;
    o->beta1 = 0.9f;
    o->beta2 = 0.95f;
    o->eps = 1e-8f;
    o->grad_clip = 1.0f;
    o->patch_size = 1;
    o->patch_fraction = 0.0f;
    o->seed = 1;
    o->threads = 0;
    o->bos = -1;
}

int eiw_train_config(const char *name, eiw_train_options *o)
{
    memset(o, 0, sizeof *o);
    set_common(o);
    eiw_model_config *c = &o->model;
    c->vocab = 256;
    if (strcmp(name, "tiny") == 0) {
        c->ctx = 32; c->d_model = 32; c->n_heads = 2; c->n_layers = 2; c->d_ff = 64;
        o->batch = 4; o->steps = 200; o->warmup = 10; o->lr = 3e-3f;
    } else if (strcmp(name, "small") == 0) {
        c->ctx = 128; c->d_model = 128; c->n_heads = 4; c->n_layers = 2; c->d_ff = 512;
        o->batch = 16; o->steps = 2000; o->warmup = 100; o->lr = 2e-3f;
    } else if (strcmp(name, "m1") == 0) {
        c->ctx = 256; c->d_model = 256; c->n_heads = 4; c->n_layers = 3; c->d_ff = 1024;
        c->vocab = 257;
        o->bos = 256;
        o->batch = 32; o->steps = 12000; o->warmup = 300; o->lr = 1.5e-3f;
    } else {
        return EIW_TRAIN_ERR_CONFIG;
    }
    return EIW_TRAIN_OK;
}

int eiw_train_options_check(const eiw_train_options *o)
{
    if (!o || eiw_model_config_check(&o->model) != EIW_TRAIN_OK)
        return EIW_TRAIN_ERR_CONFIG;
    if (o->batch < 1 || o->batch > 65536 || o->steps < 1 || o->steps > ((int64_t)1 << 40) ||
        o->warmup < 0 || o->warmup > ((int64_t)1 << 40) ||
        !(o->lr > 0.0f && o->lr < 10.0f) || !(o->min_lr_frac >= 0.0f && o->min_lr_frac <= 1.0f) ||
        !(o->weight_decay >= 0.0f && o->weight_decay < 10.0f) ||
        !(o->beta1 >= 0.0f && o->beta1 < 1.0f) || !(o->beta2 >= 0.0f && o->beta2 < 1.0f) ||
        !(o->eps > 0.0f && o->eps < 1.0f) || !(o->grad_clip >= 0.0f && o->grad_clip < 1e6f) ||
        o->patch_size < 1 || o->patch_size > 64 ||
        !(o->patch_fraction >= 0.0f && o->patch_fraction < 1.0f) || o->threads < 0 ||
        o->bos < -1 || o->bos >= o->model.vocab ||
        (int64_t)o->batch * o->model.ctx * o->patch_size > ((int64_t)1 << 30))
        return EIW_TRAIN_ERR_CONFIG;
    return EIW_TRAIN_OK;
}
