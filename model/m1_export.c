/* eiw_model_export_checkpoint: a float training checkpoint (eiw train) to the integer M1
 * file the codec embeds or loads. It lives in libeiw_train, apart from the integer model in
 * m1_model.c: reading float checkpoints belongs to the trainer, so a program that only
 * compresses and decompresses links neither it nor OpenBLAS. */
#include <stdlib.h>
#include <string.h>
#include "eiw.h"
#include "eiw_train.h"
#include "model/qm1.h"

eiw_status eiw_model_export_checkpoint(const char *ckpt_path, const char *name, uint8_t **out,
                                       size_t *len)
{
    *out = NULL;
    *len = 0;
    size_t nl = strlen(name);
    if (nl == 0 || nl >= EIW_QM1_NAME_MAX)
        return EIW_ERR_PARAM;
    for (size_t i = 0; i < nl; i++)
        if (name[i] < 0x21 || name[i] > 0x7E)
            return EIW_ERR_PARAM;
    eiw_model_config cfg;
    float *params = NULL;
    size_t np;
    if (eiw_checkpoint_load_weights(ckpt_path, &cfg, &params, &np) != EIW_TRAIN_OK)
        return EIW_ERR_MODEL_FILE;
    eiw_qm1 *q = NULL;
    int r = eiw_qm1_from_float(&q, &cfg, params, name);
    free(params);
    if (r)
        return r == -2 ? EIW_ERR_NOMEM : EIW_ERR_MODEL_FILE;
    *out = malloc(q->file_len);
    if (*out) {
        memcpy(*out, q->file, q->file_len);
        *len = q->file_len;
    }
    eiw_qm1_free(q);
    return *out ? EIW_OK : EIW_ERR_NOMEM;
}
