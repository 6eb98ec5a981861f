/* Speed of the integer M1 engine in the codec, in process, one thread, one block: stream and
 * 16-bit-window encode and decode of the first N bytes of a file with the default (embedded)
 * M1. Usage: m1_speed FILE [N] [MODES], MODES a comma list of se,sd,we,wd (default all).
 * Prints KB/s per direction and the kernel in use; decodes check the round trip. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "eiw.h"
#include "model/qkernels.h"

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
    const char *modes = argc > 3 ? argv[3] : "se,sd,we,wd";
    const eiw_model *m = eiw_model_default();
    FILE *f = fopen(argv[1], "rb");
    uint8_t *d = malloc(want);
    size_t n = f ? fread(d, 1, want, f) : 0;
    if (f)
        fclose(f);
    if (!m || !n)
        return 1;
    void *st = calloc(1, m->state_size);
    size_t cap = n * 4 + 64;
    uint8_t *enc = malloc(cap), *dec = malloc(n + 1);
    printf("model %s, kernel %s, %zu bytes, state %zu bytes\n", m->name,
           eiw_kernel_name(eiw_kernel_active()), n, m->state_size);
    int ok = 1;
    for (int w = 0; w < 2; w++) {
        const char *e = w ? "we" : "se", *dd = w ? "wd" : "sd";
        int do_e = strstr(modes, e) != NULL, do_d = strstr(modes, dd) != NULL;
        if (!do_e && !do_d)
            continue;
        eiw_window_params p = { 16, 16 };
        double t0 = now_s();
        ptrdiff_t r = w ? eiw_windows_encode(m, &p, st, d, n, enc, cap, NULL)
                        : eiw_stream_encode(m, st, d, n, enc, cap);
        double t1 = now_s(), t2 = t1;
        if (r <= 0)
            return 1;
        if (do_d) {
            eiw_status s = w ? eiw_windows_decode(m, &p, NULL, enc, (size_t)r, dec, n)
                             : eiw_stream_decode(m, st, enc, (size_t)r, dec, n);
            t2 = now_s();
            ok &= s == EIW_OK && memcmp(d, dec, n) == 0;
        }
        printf("%s: %.3f bits/byte", w ? "b=16  " : "stream", 8.0 * (double)r / (double)n);
        if (do_e)
            printf(", encode %.1f KB/s", (double)n / 1024 / (t1 - t0));
        if (do_d)
            printf(", decode %.1f KB/s%s", (double)n / 1024 / (t2 - t1),
                   ok ? "" : " (ROUND TRIP FAILED)");
        printf("\n");
    }
    return ok ? 0 : 1;
}
