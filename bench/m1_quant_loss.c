/* Cross-entropy of the integer M1 in the same windows as `eiw train --eval` (T bytes each,
 * starting from BOS), so the two figures differ only by the integer arithmetic.
 * Usage: m1_quant_loss MODEL.eiwm T FILE... (files concatenated, like --val). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "eiw.h"

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: m1_quant_loss MODEL.eiwm T FILE...\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f)
        return 1;
    static uint8_t mb[64 << 20];
    size_t ml = fread(mb, 1, sizeof mb, f);
    fclose(f);
    eiw_model *m;
    if (eiw_model_from_bytes(mb, ml, &m) != EIW_OK) {
        fprintf(stderr, "m1_quant_loss: %s: invalid model\n", argv[1]);
        return 1;
    }
    size_t T = (size_t)atol(argv[2]), cap = 0, n = 0;
    uint8_t *d = NULL;
    for (int i = 3; i < argc; i++) {
        f = fopen(argv[i], "rb");
        if (!f)
            return 1;
        for (;;) {
            if (n == cap) {
                cap = cap ? 2 * cap : 1 << 20;
                d = realloc(d, cap);
            }
            size_t got = fread(d + n, 1, cap - n, f);
            if (!got)
                break;
            n += got;
        }
        fclose(f);
    }
    void *st = calloc(1, m->state_size);
    uint32_t *w = malloc(sizeof(uint32_t) * 256 * T);
    double bits = 0;
    size_t want = n - 1;   /* as eiw train --eval: n - 1 predicted bytes */
    for (size_t s = 0; s < want; s += T) {
        size_t len = want - s < T ? want - s : T;
        m->ops->reset(m, st);
        m->ops->predict_run(m, st, d + s, len, w);
        for (size_t i = 0; i < len; i++) {
            double sum = 0;
            for (int b = 0; b < 256; b++)
                sum += w[256 * i + b];
            uint32_t p = w[256 * i + d[s + i]];
            bits -= log2((p ? p : 0.5) / sum);
        }
    }
    printf("%s: integer %.4f bits/byte (%zu bytes, windows of %zu from BOS)\n", argv[1],
           bits / (double)want, want, T);
    free(w);
    free(st);
    free(d);
    eiw_model_free(m);
    return 0;
}
