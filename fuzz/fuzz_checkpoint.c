/* Fuzz target: a training checkpoint (eiw_ckpt_parse, which eiw_ckpt_read runs on the file's
 * bytes for `eiw train --resume`, `eiw export`), as given and with its checksum recomputed.
 * A checkpoint of a byte model with BOS that parses is also converted to the integer M1, as
 * `eiw export` does, whatever its float weights are (NaN, infinities, huge values). */
#include "fuzz/fuzz.h"
#include "model/checkpoint.h"
#include "model/qm1.h"

#include <stdlib.h>
#include <string.h>

static void parse(const uint8_t *buf, size_t size)
{
    eiw_ckpt_view v;
    if (eiw_ckpt_parse(buf, size, &v) != EIW_TRAIN_OK)
        return;
    eiw_fuzz_check(v.n_params > 0 && v.n_params <= size / 4, "parameter count");
    eiw_qm1 *q = NULL;
    if (v.opt.model.vocab == 257 && eiw_qm1_from_float(&q, &v.opt.model, v.params, "fuzz") == 0)
        eiw_qm1_free(q);
}

int eiw_fuzz_checkpoint(const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size ? size : 1);   /* malloc'd: the floats are 4-byte aligned */
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    parse(copy, size);
    if (size >= 8) {
        eiw_fuzz_fix_xxh3_tail(copy, size);
        parse(copy, size);
    }
    free(copy);
    return 0;
}
