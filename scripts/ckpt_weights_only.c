/* Rewrites a training checkpoint without its AdamW moments (a weights-only checkpoint, as
 * scripts/train_m1_gpu.py writes for a finished run). Used by scripts/make_golden_formats.sh and
 * scripts/train_m1v2.sh.
 * usage: ckpt_weights_only IN.ckpt OUT.ckpt */
#include <stdio.h>
#include <stdlib.h>
#include "model/checkpoint.h"

int main(int argc, char **argv)
{
    eiw_ckpt_view v;
    void *buf;
    if (argc != 3 || eiw_ckpt_read(argv[1], &v, &buf) != EIW_TRAIN_OK) {
        fprintf(stderr, "usage: ckpt_weights_only IN.ckpt OUT.ckpt (IN a valid checkpoint)\n");
        return 1;
    }
    v.flags = 0;
    v.m = v.v = NULL;
    int rc = eiw_ckpt_write(argv[2], &v);
    free(buf);
    return rc == EIW_TRAIN_OK ? 0 : 1;
}
