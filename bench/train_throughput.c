/* Training-throughput benchmark: the machine's fp32 FMA peak (register-resident AVX-512 kernel,
 * measured in this run), then whole training steps of a named config (default m1) on real text,
 * reporting tokens/s and achieved GFLOP/s (model FLOPs: 6 per weight per token + attention).
 * usage: train_throughput [config] [threads] [steps] [datafile]  (a benchmark; prints figures) */
#include <immintrin.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "eiw_train.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

__attribute__((target("avx512f"))) static float fma_loop(long iters, float seed)
{
    /* 16 independent accumulators cover 2 FMA pipes x 4-cycle latency with room to spare */
    __m512 acc[16];
    __m512 x = _mm512_set1_ps(0.999999f), y = _mm512_set1_ps(seed * 1e-9f);
    for (int i = 0; i < 16; i++)
        acc[i] = _mm512_set1_ps(seed + (float)i);
    for (long it = 0; it < iters; it++) {
        #pragma GCC unroll 16
        for (int i = 0; i < 16; i++)
            acc[i] = _mm512_fmadd_ps(acc[i], x, y);
    }
    __m512 s = acc[0];
    for (int i = 1; i < 16; i++)
        s = _mm512_add_ps(s, acc[i]);
    return _mm512_reduce_add_ps(s);
}

static double fma_peak(int threads)
{
    long iters = 20000000;
    float sink = 0.0f;
    double t0 = now_s();
    #pragma omp parallel num_threads(threads) reduction(+:sink)
    sink += fma_loop(iters, (float)omp_get_thread_num());
    double t = now_s() - t0;
    if (sink == 12345.0f)
        printf("#");
    return (double)threads * (double)iters * 16.0 * 16.0 * 2.0 / t * 1e-9;
}

int main(int argc, char **argv)
{
    const char *cfg = argc > 1 ? argv[1] : "m1";
    int threads = argc > 2 ? atoi(argv[2]) : 2;
    int steps = argc > 3 ? atoi(argv[3]) : 10;
    const char *path = argc > 4 ? argv[4] : NULL;
    if (!__builtin_cpu_supports("avx512f")) {
        fprintf(stderr, "train_throughput: needs AVX-512 for the peak kernel\n");
        return 1;
    }
    double peak1 = fma_peak(1), peakn = fma_peak(threads);
    printf("fp32 FMA peak: %.1f GFLOP/s (1 thread), %.1f GFLOP/s (%d threads)\n", peak1, peakn,
           threads);

    size_t n = 4u << 20;
    uint16_t *tok = malloc(n * sizeof *tok);
    FILE *f = path ? fopen(path, "rb") : NULL;
    size_t got = 0;
    if (f) {
        int c;
        while (got < n && (c = getc(f)) != EOF)
            tok[got++] = (uint16_t)c;
        fclose(f);
    }
    for (size_t i = got; i < n; i++)   /* pad (or replace) with pseudo-text bytes */
        tok[i] = (uint16_t)(' ' + (i * 2654435761u >> 7) % 90);
    eiw_train_options o;
    if (eiw_train_config(cfg, &o) != EIW_TRAIN_OK) {
        fprintf(stderr, "train_throughput: unknown config %s\n", cfg);
        return 1;
    }
    o.threads = threads;
    o.steps = steps + 3;
    eiw_trainer *tr;
    int rc = eiw_trainer_create(&tr, &o, tok, n, NULL, 0);
    if (rc != EIW_TRAIN_OK) {
        fprintf(stderr, "train_throughput: %s\n", eiw_train_strerror(rc));
        return 1;
    }
    eiw_train_info info;
    eiw_trainer_info(tr, &info);
    for (int i = 0; i < 3; i++)   /* warm-up: page faults, thread pools */
        eiw_trainer_step(tr, NULL);
    double t0 = now_s();
    for (int i = 0; i < steps; i++)
        eiw_trainer_step(tr, NULL);
    double t = now_s() - t0;
    double gf = info.flops_per_step * steps / t * 1e-9;
    printf("config %s: %lld params (%lld non-embedding), batch %d x %d tokens, %.1f GFLOP/step\n",
           cfg, (long long)eiw_model_num_params(&o.model),
           (long long)eiw_model_num_nonembed_params(&o.model), o.batch, o.model.ctx,
           info.flops_per_step * 1e-9);
    printf("training: %d steps in %.2f s: %.3f s/step, %.0f tokens/s, %.1f GFLOP/s = %.1f%% of the "
           "%d-thread peak\n", steps, t, t / steps, (double)info.tokens_per_step * steps / t, gf,
           100.0 * gf / peakn, threads);
    eiw_trainer_free(tr);
    free(tok);
    return 0;
}
