/* What Equal-Info window encoding asks of the model: tokenize's document encoder
 * (eiw_docs_encode, each file one document) over a model wrapped to count what it is asked.
 * Prints, per input byte, the positions the model evaluated (forward passes over one byte),
 * the model calls, and the passes of up to 64 positions (M1's unit of matrix work: bytes given
 * with advance are evaluated by the next predict), and a checksum of the windows (equal
 * checksums: equal tokens); per thread, its positions and when its last model call ended
 * (an early end is idle time of that thread, unless the stitching after it keeps it busy).
 * Usage: tokenize_positions [-T THREADS] [-b WINDOW_BITS] MODEL|FILE.eiwm FILE... */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <omp.h>
#include <xxhash.h>
#include "eiw.h"
#include "bench/bench_files.h"
#include "data/doc_encode.h"

static const eiw_model *inner;
static unsigned long long n_pos, n_calls, n_passes;
static _Thread_local unsigned long long queued;   /* advanced, not yet evaluated */
#define THREADS_MAX 64
static double t_start, t_last[THREADS_MAX];       /* per thread: its last model call ended */
static unsigned long long t_pos[THREADS_MAX];     /* per thread: positions */

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* A model call that evaluated p positions on this thread. */
static void count_call(unsigned long long p)
{
#pragma omp atomic
    n_pos += p;
#pragma omp atomic
    n_calls++;
#pragma omp atomic
    n_passes += (p + 63) / 64;
    int t = omp_get_thread_num();
    if (t < THREADS_MAX) {
        t_pos[t] += p;
        t_last[t] = now() - t_start;
    }
}

static void c_reset(const eiw_model *m, void *s) { (void)m; inner->ops->reset(inner, s); }

/* bytes given with advance are evaluated by the next predict */
static void c_advance(const eiw_model *m, void *s, const uint8_t *b, size_t len)
{
    (void)m;
    queued += len;
    inner->ops->advance(inner, s, b, len);
}

static void c_predict(const eiw_model *m, void *const *s, size_t n, uint32_t *w)
{
    (void)m;
    inner->ops->predict(inner, s, n, w);
    count_call(queued);
    queued = 0;
}

static void c_predict_run(const eiw_model *m, void *s, const uint8_t *b, size_t len, uint32_t *w)
{
    (void)m;
    inner->ops->predict_run(inner, s, b, len, w);
    count_call(len);
}

static void c_predict_runs(const eiw_model *m, void *const *s, const uint8_t *const *runs,
                           const size_t *lens, size_t n, uint32_t *w)
{
    (void)m;
    unsigned long long p = 0;
    for (size_t i = 0; i < n; i++)
        p += lens[i];
    inner->ops->predict_runs(inner, s, runs, lens, n, w);
    count_call(p);
}

static const eiw_model_ops counting_ops = { c_reset, c_advance, c_predict, c_predict_run, NULL,
                                            c_predict_runs };

int main(int argc, char **argv)
{
    int threads = 1, a = 1;
    unsigned bits = 16;
    for (; a + 1 < argc && argv[a][0] == '-'; a += 2) {
        if (!strcmp(argv[a], "-T"))
            threads = atoi(argv[a + 1]);
        else if (!strcmp(argv[a], "-b"))
            bits = (unsigned)atoi(argv[a + 1]);
    }
    if (argc - a < 2 || threads < 1 || threads > THREADS_MAX) {
        fprintf(stderr, "usage: tokenize_positions [-T THREADS] [-b BITS] MODEL FILE...\n");
        return 2;
    }
    eiw_model *loaded;
    inner = bench_model("tokenize_positions", argv[a], &loaded);
    if (!inner)
        return 1;
    eiw_model counting = *inner;
    counting.ops = &counting_ops;
    counting.builtin = 1;
    size_t nj = (size_t)(argc - a - 1), bytes = 0;
    eiw_doc_job *jobs = calloc(nj, sizeof *jobs);
    for (size_t i = 0; i < nj; i++) {
        jobs[i].src = bench_read_file(argv[a + 1 + i], &jobs[i].n);
        if (!jobs[i].src) {
            fprintf(stderr, "tokenize_positions: %s: cannot read\n", argv[a + 1 + i]);
            return 1;
        }
        bytes += jobs[i].n;
    }
    eiw_window_params wp = { bits, 16, EIW_WINDOW_END_IMPLICIT };
    eiw_doc_encode_options o = { 0 };
    o.threads = threads;
    t_start = now();
    if (eiw_docs_encode(&counting, &wp, jobs, nj, &o) != EIW_OK) {
        fprintf(stderr, "tokenize_positions: eiw_docs_encode failed\n");
        return 1;
    }
    XXH64_state_t *h = XXH64_createState();
    XXH64_reset(h, 0);
    size_t windows = 0;
    for (size_t i = 0; i < nj; i++) {
        if (jobs[i].status != EIW_OK)
            fprintf(stderr, "tokenize_positions: %s: status %d\n", argv[a + 1 + i],
                    (int)jobs[i].status);
        XXH64_update(h, jobs[i].out ? (const void *)jobs[i].out : "", jobs[i].out_len);
        windows += jobs[i].out_len / (bits / 8);
        free(jobs[i].out);
        free((void *)jobs[i].src);
    }
    printf("| bytes | windows | positions | positions/byte | calls | rows/call | passes | "
           "positions/pass | windows xxh64 |\n|---|---|---|---|---|---|---|---|---|\n");
    printf("| %zu | %zu | %llu | %.4f | %llu | %.1f | %llu | %.1f | %016llx |\n", bytes, windows,
           n_pos, (double)n_pos / (double)bytes, n_calls,
           n_calls ? (double)n_pos / (double)n_calls : 0.0, n_passes,
           n_passes ? (double)n_pos / (double)n_passes : 0.0,
           (unsigned long long)XXH64_digest(h));
    XXH64_freeState(h);
    /* a thread whose model work ends early waits for the others (wall clock: depends on load) */
    printf("\n| thread | positions | last model call ends (s) |\n|---|---|---|\n");
    for (int t = 0; t < threads; t++)
        printf("| %d | %llu | %.2f |\n", t, t_pos[t], t_last[t]);
    free(jobs);
    eiw_model_free(loaded);
    return 0;
}
