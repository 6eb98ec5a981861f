/* Ideal code length of the context-mixing levels on files, fast enough to tune with: the
 * byte model's (M1's) contribution along each byte is computed once per file and cached
 * (17 bytes per byte under $EIW_M1_CACHE, default /tmp/eiw_m1cache), then the adaptive part
 * runs alone in the codec's lane order. Prints bits/byte per file and their mean.
 * Usage: cm_tune LEVEL [-l LANES] [-r REVISION] [-c CONTEXTS_HEX -m 0|1] FILE...
 *   LANES: most lanes per block (default 8); REVISION: of the mixing (default the newest);
 *   -c/-m: ablation (eiw_mix_new_ablation, newest revision);
 *   LEVEL 0: the byte model alone, its 12-bit binary decisions without any mixing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <xxhash.h>
#include "model/cm_model.h"
#include "model/cm_primitives.h"
#include "eiw.h"
#include "bench/bench_files.h"

/* per byte: 8 stretched P(1) + confidence */
typedef struct {
    int16_t st[8];
    int8_t conf;
} __attribute__((packed)) path_rec;

static path_rec *m1_paths(const uint8_t *buf, size_t n, unsigned lanes)
{
    const char *dir = getenv("EIW_M1_CACHE") ? getenv("EIW_M1_CACHE") : "/tmp/eiw_m1cache";
    mkdir(dir, 0755);
    const eiw_model *m = eiw_model_default();
    char path[512];   /* keyed by the model too: a new default M1 must not reuse old paths */
    snprintf(path, sizeof path, "%s/%016llx-%016llx-%u.bin", dir, (unsigned long long)m->id,
             (unsigned long long)XXH3_64bits(buf, n), lanes);
    path_rec *r = malloc(sizeof *r * (n + 1));
    FILE *f = fopen(path, "rb");
    if (f) {
        size_t got = fread(r, sizeof *r, n, f);
        fclose(f);
        if (got == n)
            return r;
    }
    size_t lane_len = EIW_LANE_LEN(n, lanes);
    #pragma omp parallel for schedule(dynamic, 1)
    for (unsigned k = 0; k < lanes; k++) {
        void *state = calloc(1, m->state_size);
        uint32_t *w = malloc(sizeof(uint32_t) * 256 * 256);
        size_t s = (size_t)k * lane_len, e = s + lane_len < n ? s + lane_len : n;
        m->ops->reset(m, state);
        for (size_t p = s; p < e; p += 256) {
            size_t len = e - p < 256 ? e - p : 256;
            m->ops->predict_run(m, state, buf + p, len, w);
            for (size_t i = 0; i < len; i++) {
                int conf;
                int16_t st[8];
                eiw_mix_path_of(w + 256 * i, buf[p + i], st, &conf);
                memcpy(r[p + i].st, st, sizeof st);
                r[p + i].conf = (int8_t)conf;
            }
        }
        free(w);
        free(state);
    }
    f = fopen(path, "wb");
    if (f) {
        fwrite(r, sizeof *r, n, f);
        fclose(f);
    }
    return r;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: cm_tune LEVEL [-l LANES] [-r REVISION] FILE...\n");
        return 2;
    }
    int level = atoi(argv[1]);
    int a = 2;
    unsigned lmax = EIW_LANES_DEFAULT;
    long ctx = -1;
    int match = 1, revision = EIW_MIX_REVISION;
    while (a + 1 < argc && argv[a][0] == '-') {
        if (strcmp(argv[a], "-l") == 0)
            lmax = (unsigned)atoi(argv[a + 1]);
        else if (strcmp(argv[a], "-c") == 0)
            ctx = strtol(argv[a + 1], NULL, 16);
        else if (strcmp(argv[a], "-m") == 0)
            match = atoi(argv[a + 1]);
        else if (strcmp(argv[a], "-r") == 0)
            revision = atoi(argv[a + 1]);
        a += 2;
    }
    double cost[4096];
    for (int p = 1; p < 4096; p++)
        cost[p] = -log2(p / 4096.0);
    eiw_mix *x;
    const int alone = level == 0;
    if (alone)
        level = EIW_LEVEL_DEFAULT;
    if ((ctx >= 0 ? eiw_mix_new_ablation(level, (uint32_t)ctx, match, &x)
                  : eiw_mix_new_revision(level, revision, &x)) != EIW_OK)
        return 1;
    struct timespec t0, t1;
    double secs = 0, total = 0;
    double sum = 0;
    int nf = 0;
    for (; a < argc; a++) {
        size_t n;
        uint8_t *buf = bench_read_file(argv[a], &n);
        if (!buf) {
            fprintf(stderr, "cm_tune: %s: cannot read\n", argv[a]);
            return 1;
        }
        int uses = eiw_level_uses_model(level);
        unsigned lanes = 1;
        if (uses) {
            size_t k = n / EIW_LANE_MIN_DEFAULT;
            lanes = k < 1 ? 1 : k > lmax ? lmax : (unsigned)k;
        }
        path_rec *pr = uses ? m1_paths(buf, n, lanes) : NULL;
        eiw_mix_start(x, buf, n, lanes);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        size_t lane_len = EIW_LANE_LEN(n, lanes);
        double bits = 0;
        for (size_t t = 0; t < lane_len; t++)
            for (unsigned k = 0; k < lanes; k++) {
                size_t p = (size_t)k * lane_len + t;
                if (p >= n)
                    break;
                int16_t st[8];
                if (pr && alone) {
                    for (int j = 0; j < 8; j++) {
                        int p1 = cm_squash(pr[p].st[j]);
                        bits += cost[(buf[p] >> (7 - j) & 1) ? p1 : 4096 - p1];
                    }
                    continue;
                }
                if (pr) {
                    memcpy(st, pr[p].st, sizeof st);
                    eiw_mix_byte_begin_path(x, k, st, pr[p].conf);
                }
                else
                    eiw_mix_byte_begin(x, k, NULL);
                for (int j = 7; j >= 0; j--) {
                    unsigned bit = buf[p] >> j & 1;
                    unsigned p1 = eiw_mix_p1(x);
                    bits += cost[bit ? p1 : 4096 - p1];
                    eiw_mix_update(x, bit);
                }
            }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        secs += (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
        total += (double)n;
        const char *base = strrchr(argv[a], '/');
        printf("%-18s %8zu %.4f\n", base ? base + 1 : argv[a], n, bits / (double)n);
        sum += bits / (double)n;
        nf++;
        free(pr);
        free(buf);
    }
    printf("mean %.4f   (adaptive part: %.2f MB/s, one thread)\n", sum / nf, total / secs / 1e6);
    eiw_mix_free(x);
    return 0;
}
