/* Speed of the integer M1 engine in the codec, in process: stream and 16-bit-window encode and
 * decode of the first N bytes of a file with an M1-sized model (C=256, 4 heads, 3 layers,
 * MLP 1024, window 256). Weights are seeded random: speed does not depend on them.
 * Usage: m1_speed FILE [N]. Prints KB/s per direction and the kernel in use. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "eiw.h"
#include "qkernels.h"
#include "qm1.h"
#include "transformer.h"

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    size_t want = argc > 2 ? (size_t)atol(argv[2]) : 20000;
    eiw_model_config cfg = { 257, 256, 256, 4, 3, 1024 };
    eiw_transformer t;
    eiw_qm1 *q;
    eiw_model *m;
    if (eiw_transformer_init(&t, &cfg, 1, 8))
        return 1;
    eiw_transformer_init_weights(&t, 5);
    if (eiw_qm1_from_float(&q, &cfg, t.params_mem, "m1-speed") ||
        eiw_model_from_bytes(q->file, q->file_len, &m) != EIW_OK)
        return 1;
    FILE *f = fopen(argv[1], "rb");
    uint8_t *d = malloc(want);
    size_t n = f ? fread(d, 1, want, f) : 0;
    if (f)
        fclose(f);
    void *st = calloc(1, m->state_size);
    size_t cap = n * 4 + 64;
    uint8_t *enc = malloc(cap), *dec = malloc(n + 1);
    printf("kernel %s, %zu bytes, state %zu bytes\n", eiw_kernel_name(eiw_kernel_active()), n,
           m->state_size);
    double t0 = now_s();
    ptrdiff_t r = eiw_stream_encode(m, st, d, n, enc, cap);
    double t1 = now_s();
    int ok = r > 0 && eiw_stream_decode(m, st, enc, (size_t)r, dec, n) == EIW_OK &&
             memcmp(d, dec, n) == 0;
    double t2 = now_s();
    printf("stream:   encode %.1f KB/s, decode %.1f KB/s%s\n", (double)n / 1024 / (t1 - t0),
           (double)n / 1024 / (t2 - t1), ok ? "" : " (ROUND TRIP FAILED)");
    eiw_window_params p = { 16, 16 };
    t0 = now_s();
    r = eiw_windows_encode(m, &p, st, d, n, enc, cap, NULL);
    t1 = now_s();
    ok = r > 0 && eiw_windows_decode(m, &p, NULL, enc, (size_t)r, dec, n) == EIW_OK &&
         memcmp(d, dec, n) == 0;
    t2 = now_s();
    printf("b=16:     encode %.1f KB/s, decode %.1f KB/s%s\n", (double)n / 1024 / (t1 - t0),
           (double)n / 1024 / (t2 - t1), ok ? "" : " (ROUND TRIP FAILED)");
    return ok ? 0 : 1;
}
