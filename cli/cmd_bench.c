/* `eiw bench [OPTIONS] FILE...`: in-process benchmark like `zstd -b`. For each file and mode
 * (stream, Equal-Info windows of several sizes): compressed size, ratio, bits/byte, compression
 * and decompression speed (median of the runs) and peak memory. Each mode runs in a child
 * process so its peak resident memory is its own. Every run is verified by decompressing. */
#define _GNU_SOURCE 1
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "eiw.h"
#include "cli/model_arg.h"

typedef struct {
    double csize, cspeed, dspeed;   /* bytes, MB/s, MB/s */
    uint64_t blocks[4];             /* blocks stored, zstd, model coded, adaptive only */
    int ok;
} bench_result;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: eiw bench [OPTIONS] FILE...\n"
               "Compresses and decompresses each FILE in memory and prints, per mode, the size,\n"
               "ratio, bits/byte, MB/s both ways (median) and peak memory.\n"
               "  --model NAME|FILE   model (default: the default model)\n"
               "  --modes LIST        comma-separated: lN (level N), stream (the model alone,\n"
               "                      level 0) and window sizes (default l1,l6,stream,16,64)\n"
               "  --token-bits 8|16   token width of window modes (default 16)\n"
               "  --runs N            timed runs per direction (default 3)\n"
               "  --threads N         threads (default 1, so speeds are per core)\n"
               "  --model-only        keep model-coded blocks even where zstd is smaller, so\n"
               "                      the speeds are the model's own\n"
               "  --block-size SIZE   block size in bytes (default: as eiw compress, 16K for\n"
               "                      a neural model, else 1M)\n");
}

/* One mode on one input, in this process. */
static bench_result run_mode(const eiw_model *m, const eiw_options *o, const uint8_t *data,
                             size_t n, int runs)
{
    bench_result r;
    memset(&r, 0, sizeof r);
    double ct[16], dt[16];
    eiw_stats stats;
    char *cbuf = NULL;
    size_t clen = 0;
    for (int i = 0; i < runs; i++) {
        free(cbuf);
        cbuf = NULL;
        FILE *in = fmemopen((void *)data, n ? n : 1, "rb"), *out = open_memstream(&cbuf, &clen);
        if (!in || !out)
            return r;
        if (!n)
            fgetc(in);   /* empty input: position at EOF */
        double t0 = now_s();
        eiw_status st = eiw_compress_stream(in, out, m, o, n, &stats);
        fclose(out);
        ct[i] = now_s() - t0;
        fclose(in);
        if (st != EIW_OK) {
            fprintf(stderr, "eiw: bench: %s\n", eiw_strerror(st));
            free(cbuf);
            return r;
        }
    }
    uint8_t *back = malloc(n + 1);   /* fmemopen keeps a byte for its NUL terminator */
    for (int i = 0; i < runs && back; i++) {
        FILE *in = fmemopen(cbuf, clen, "rb");
        FILE *out = fmemopen(back, n + 1, "wb");
        eiw_header h;
        double t0 = now_s();
        eiw_status st = in && out ? eiw_header_read(in, &h) : EIW_ERR_IO;
        if (st == EIW_OK)
            st = eiw_decompress_body(in, out, &h, m, o, NULL);
        dt[i] = now_s() - t0;
        if (in)
            fclose(in);
        if (out)
            fclose(out);
        if (st != EIW_OK || (n && memcmp(back, data, n) != 0)) {
            fprintf(stderr, "eiw: bench: round trip failed: %s\n", eiw_strerror(st));
            free(back);
            free(cbuf);
            return r;
        }
    }
    qsort(ct, (size_t)runs, sizeof *ct, cmp_double);
    qsort(dt, (size_t)runs, sizeof *dt, cmp_double);
    r.csize = (double)clen;
    memcpy(r.blocks, stats.blocks, sizeof r.blocks);
    r.cspeed = (double)n / 1e6 / ct[runs / 2];
    r.dspeed = (double)n / 1e6 / dt[runs / 2];
    r.ok = back != NULL;
    free(back);
    free(cbuf);
    return r;
}

int eiw_cli_bench(int argc, char **argv)
{
    const char *model_name = NULL, *modes = "l1,l6,stream,16,64";
    eiw_options o;
    eiw_options_default(&o);
    o.level = 0;   /* the modes are the model alone's: stream and windows */
    o.threads = 1;
    int runs = 3, first = argc, block_size_given = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return EIW_EXIT_OK;
        } else if (!strcmp(a, "--model") && v) {
            model_name = v, i++;
        } else if (!strcmp(a, "--modes") && v) {
            modes = v, i++;
        } else if (!strcmp(a, "--token-bits") && v) {
            o.win.token_bits = (unsigned)atoi(v), i++;
        } else if (!strcmp(a, "--runs") && v) {
            runs = atoi(v), i++;
        } else if (!strcmp(a, "--model-only")) {
            o.model_only = 1;
        } else if (!strcmp(a, "--threads") && v) {
            o.threads = atoi(v), i++;
        } else if (!strcmp(a, "--block-size") && v) {
            o.block_size = (uint32_t)strtoul(v, NULL, 10), i++;
            block_size_given = 1;
        } else if (a[0] == '-') {
            fprintf(stderr, "eiw: bench: bad option '%s'\n", a);
            usage(stderr);
            return EIW_EXIT_USAGE;
        } else {
            first = i;
            break;
        }
    }
    if (first >= argc || runs < 1 || runs > 15 || o.threads < 1 || o.threads > 64) {
        usage(stderr);
        return EIW_EXIT_USAGE;
    }
    const eiw_model *m;
    int rc = cli_model_arg(model_name, "--model", "bench", &m);
    if (rc != EIW_EXIT_OK)
        return rc;
    if (!block_size_given)
        o.block_size = eiw_block_size_for(m, &o);
    printf("model %s, %d thread(s), %u-byte blocks, median of %d run(s)\n", m->name, o.threads,
           o.block_size, runs);
    printf("%-24s %-8s %10s %10s %7s %9s %9s %9s %8s  %s\n", "file", "mode", "bytes",
           "eiw bytes", "ratio", "bits/byte", "comp MB/s", "dec MB/s", "peak MB",
           "blocks model/zstd/stored");
    for (int f = first; f < argc; f++) {
        FILE *in = fopen(argv[f], "rb");
        uint8_t *data = NULL;
        size_t n = 0, cap = 0;
        if (!in) {
            fprintf(stderr, "eiw: %s: %s\n", argv[f], strerror(errno));
            rc = EIW_EXIT_ERROR;
            continue;
        }
        for (;;) {   /* read whole: benchmarks are in memory */
            if (n == cap) {
                cap = cap ? cap * 2 : 1 << 20;
                uint8_t *b = realloc(data, cap);
                if (!b)
                    break;
                data = b;
            }
            size_t got = fread(data + n, 1, cap - n, in);
            if (!got)
                break;
            n += got;
        }
        fclose(in);
        const char *base = strrchr(argv[f], '/') ? strrchr(argv[f], '/') + 1 : argv[f];
        char list[256];
        snprintf(list, sizeof list, "%s", modes);
        for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
            eiw_options mo = o;
            if (tok[0] == 'l' && tok[1] >= '1' && tok[1] <= '9' && !tok[2]) {
                mo.mode = EIW_MODE_STREAM;
                mo.level = tok[1] - '0';
                if (!block_size_given)
                    mo.block_size = eiw_level_block_size(mo.level);
            } else if (strcmp(tok, "stream") == 0) {
                mo.mode = EIW_MODE_STREAM;
                mo.level = 0;
            } else {
                mo.level = 0;
                mo.mode = EIW_MODE_WINDOWS;
                mo.win.window_bits = (unsigned)atoi(tok);
                if (eiw_window_params_check(&mo.win) != EIW_OK) {
                    fprintf(stderr, "eiw: bench: bad mode '%s'\n", tok);
                    rc = EIW_EXIT_USAGE;
                    continue;
                }
            }
            int fd[2];
            if (pipe(fd) != 0)
                break;
            fflush(stdout);
            pid_t pid = fork();
            if (pid == 0) {
                close(fd[0]);
                bench_result r = run_mode(m, &mo, data, n, runs);
                ssize_t w = write(fd[1], &r, sizeof r);
                _exit(w == (ssize_t)sizeof r ? 0 : 1);
            }
            close(fd[1]);
            bench_result r;
            memset(&r, 0, sizeof r);
            ssize_t got = pid > 0 ? read(fd[0], &r, sizeof r) : -1;
            close(fd[0]);
            struct rusage ru;
            int status = 0;
            memset(&ru, 0, sizeof ru);
            if (pid > 0)
                wait4(pid, &status, 0, &ru);
            if (got != (ssize_t)sizeof r || !r.ok) {
                fprintf(stderr, "eiw: %s: bench of mode %s failed\n", argv[f], tok);
                rc = EIW_EXIT_ERROR;
                continue;
            }
            printf("%-24.24s %-8s %10zu %10.0f %7.3f %9.3f %9.3f %9.3f %8.1f  %llu/%llu/%llu\n",
                   base, tok, n, r.csize, n ? (double)n / r.csize : 0.0,
                   n ? 8.0 * r.csize / (double)n : 0.0, r.cspeed, r.dspeed,
                   (double)ru.ru_maxrss / 1024.0, (unsigned long long)(r.blocks[EIW_METHOD_MODEL] +
                                         r.blocks[EIW_METHOD_ADAPTIVE]),
                   (unsigned long long)r.blocks[EIW_METHOD_ZSTD],
                   (unsigned long long)r.blocks[EIW_METHOD_STORED]);
        }
        free(data);
    }
    eiw_model_free(m);
    return rc;
}
